"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker20c_program.py`` (the depthwise
convolution's rarer geometries, frozen inputs and non-finite values; BatchNorm in training on
constant, NaN, overflowing, float16 and transposed data), recorded for
``tests/test_breaker20c_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker20c_fixtures.py

Output: ``tests/fixtures/breaker20c/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import own_cpu_kernels, record_run  # noqa: E402

if __name__ == '__main__':
    own_cpu_kernels()
    # 7 significant digits: the tests compare with a relative tolerance of 1e-5 or looser
    record_run('_breaker20c_program', os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker20c', 'mxnet.json'),
               digits=7, compact=True)
