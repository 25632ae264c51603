"""What MXNet 1.9.1 gives for a contributor's extensions (``tests/_extending_program.py``: a
custom ``autograd.Function`` and ``Loss``, an initializer and an optimizer used by name with the
Trainer's states saved and reloaded, a ``CustomMetric`` and an aliased ``EvalMetric``, a
DataLoader with its own sampler and ``batchify_fn``, a hybridized and exported ``CustomOp``),
recorded for ``tests/test_extending.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_extending_fixtures.py

Output: ``tests/fixtures/extending/mxnet.json``.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))

import mxnet as mx  # noqa: E402

import _extending_program  # noqa: E402


def main():
    out = os.path.join(HERE, '..', 'tests', 'fixtures', 'extending')
    os.makedirs(out, exist_ok=True)
    result = _extending_program.run(mx)
    with open(os.path.join(out, 'mxnet.json'), 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True, default=float)
        f.write('\n')
    print('wrote', os.path.join(out, 'mxnet.json'))


if __name__ == '__main__':
    main()
