"""Record the MXNet 1.9.1 batches behind ``tests/test_io_iters_fuzz_regressions.py`` (differences
found by ``tools/fuzz_io_iters.py``) into ``tests/fixtures/io_iters_fuzz/batches.json``.

Run with the oracle venv from the repository root::

    /opt/mxvenv/bin/python tools/gen_io_iters_fuzz_fixtures.py
"""
import json
import os
import sys

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_io_iters import epochs_by_iter_next, epochs_by_next, seven  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   'tests', 'fixtures', 'io_iters_fuzz', 'batches.json')


def main():
    fix = {}
    for last in ('discard', 'roll_over', 'pad'):
        fix['next_' + last] = epochs_by_next(seven(mx, last))
        fix['iter_next_' + last] = epochs_by_iter_next(seven(mx, last))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(fix, f, indent=1)


if __name__ == '__main__':
    main()
