"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker21b_program.py`` (the CTC loss with
activations of 1e28 to 1e36, gradients through copies onto another context), recorded for
``tests/test_breaker21b_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker21b_fixtures.py

Output: ``tests/fixtures/breaker21b/mxnet.json``.
"""
import json
import os
import sys

# before importing MXNet: errors raised by the call that fails, and MXNet's own CPU kernels
os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'
os.environ['MXNET_MKLDNN_ENABLED'] = '0'

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import rounded  # noqa: E402


def main():
    import mxnet as mx
    sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
    import _breaker21b_program as program
    # 7 significant digits: the tests compare with a relative tolerance of 1e-5 or looser
    result = rounded(json.loads(json.dumps(program.run(mx), default=float)), 7)
    out = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker21b', 'mxnet.json')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(result, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    print('wrote', out)


if __name__ == '__main__':
    main()
