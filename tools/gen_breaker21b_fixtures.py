"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker21b_program.py`` (the CTC loss with
activations of 1e28 to 1e36, gradients through copies onto another context), recorded for
``tests/test_breaker21b_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker21b_fixtures.py

Output: ``tests/fixtures/breaker21b/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import own_cpu_kernels, record_run  # noqa: E402

if __name__ == '__main__':
    own_cpu_kernels()
    # 7 significant digits: the tests compare with a relative tolerance of 1e-5 or looser
    record_run('_breaker21b_program', os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker21b', 'mxnet.json'),
               digits=7, compact=True)
