"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker20b_program.py`` (positional
attributes after every input in nd, sym and a hybridized F; user blocks using the names the
PyTorch hints occupy; the convolution and pooling layers' constructors; pooling conventions and
transposed convolutions' geometry; depthwise gradients with inf/NaN; autograd.grad; NDArrayIter
shuffling), recorded for ``tests/test_breaker20b_regressions.py``; run in the MXNet venv, never
by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker20b_fixtures.py

Output: ``tests/fixtures/breaker20b/mxnet.json``.
"""
import json
import os
import sys
import tempfile

# before importing MXNet: errors raised by the call that fails, and MXNet's own CPU kernels
os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'
os.environ['MXNET_MKLDNN_ENABLED'] = '0'

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import rounded  # noqa: E402


def main():
    import mxnet as mx
    sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
    import _breaker20b_program as program
    with tempfile.TemporaryDirectory() as tmp:
        result = program.run(mx, os.path.join(tmp, 'net'))
    result = rounded(json.loads(json.dumps(result, default=float)), 6)
    out = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker20b', 'mxnet.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    print('wrote', out, os.path.getsize(out), 'bytes')


if __name__ == '__main__':
    main()
