"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker22b_program.py`` (the default
batchify function on samples of mixed kinds, ``transforms.Resize`` with sizes that are not
ints), recorded for ``tests/test_breaker22b_regressions.py``; run in the MXNet venv, never by the
test suite::

    /opt/mxvenv/bin/python tools/gen_breaker22b_fixtures.py

Output: ``tests/fixtures/breaker22b/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import own_cpu_kernels, record_run  # noqa: E402

if __name__ == '__main__':
    own_cpu_kernels()
    record_run('_breaker22b_program', os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker22b', 'mxnet.json'),
               compact=True)
