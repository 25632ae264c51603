"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker18b_program.py`` (a metric keeping
local statistics only, ``Symbol.reshape``'s JSON attributes...), recorded for
``tests/test_breaker18b_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker18b_fixtures.py

Output: ``tests/fixtures/breaker18b/mxnet.json``.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))

import mxnet as mx  # noqa: E402

import _breaker18b_program  # noqa: E402


def main():
    out = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker18b')
    os.makedirs(out, exist_ok=True)
    result = _breaker18b_program.run(mx)
    with open(os.path.join(out, 'mxnet.json'), 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True, default=float)
        f.write('\n')
    print('wrote', os.path.join(out, 'mxnet.json'))


if __name__ == '__main__':
    main()
