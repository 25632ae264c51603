"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker20b_program.py`` (positional
attributes after every input in nd, sym and a hybridized F; user blocks using the names the
PyTorch hints occupy; the convolution and pooling layers' constructors; pooling conventions and
transposed convolutions' geometry; depthwise gradients with inf/NaN; autograd.grad; NDArrayIter
shuffling), recorded for ``tests/test_breaker20b_regressions.py``; run in the MXNet venv, never
by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker20b_fixtures.py

Output: ``tests/fixtures/breaker20b/mxnet.json``.
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import own_cpu_kernels, record_run  # noqa: E402


def _in_a_temporary_folder(program, mx):
    with tempfile.TemporaryDirectory() as tmp:
        return program.run(mx, os.path.join(tmp, 'net'))


if __name__ == '__main__':
    own_cpu_kernels()
    record_run('_breaker20b_program', os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker20b',
                                                   'mxnet.json'),
               digits=6, compact=True, call=_in_a_temporary_folder)
