"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker20_program.py`` (depthwise, batch-path
and pointwise convolutions with their gradients, max pooling with ties, 'full' windows and fused
relus, BatchNorm's forms, sigmoid on extreme inputs, valid usage next to the new error messages,
numbers in optional input slots), recorded for ``tests/test_breaker20_regressions.py``; run in
the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker20_fixtures.py

Output: ``tests/fixtures/breaker20/mxnet.json``.
"""
import json
import os
import sys

# before importing MXNet: errors raised by the call that fails (not by a later wait), and MXNet's
# own CPU kernels (oneDNN's logistic flushes sigmoid(-88) = 6e-39 to 0)
os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'
os.environ['MXNET_MKLDNN_ENABLED'] = '0'

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import rounded  # noqa: E402


def main():
    import mxnet as mx
    sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
    import _breaker20_program as program
    # sigmoid with 9 significant digits (a float32 reads back bit for bit: it is compared so),
    # the rest with 6 (compared with a relative tolerance of 1e-5), to keep the fixture small
    result = json.loads(json.dumps(program.run(mx), default=float))
    result = {k: rounded(v, 9 if k == 'sigmoid' else 6) for k, v in result.items()}
    out = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker20', 'mxnet.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    print('wrote', out)


if __name__ == '__main__':
    main()
