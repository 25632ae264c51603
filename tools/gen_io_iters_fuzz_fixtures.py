"""Record the MXNet 1.9.1 batches behind ``tests/test_io_iters_fuzz_regressions.py`` (differences
found by ``tools/fuzz_io_iters.py``) into ``tests/fixtures/io_iters_fuzz/batches.json``.

Run with the oracle venv from the repository root::

    /opt/mxvenv/bin/python tools/gen_io_iters_fuzz_fixtures.py
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   'tests', 'fixtures', 'io_iters_fuzz', 'batches.json')


def ten(last):
    return mx.io.NDArrayIter(np.arange(7, dtype=np.float32), batch_size=3, last_batch_handle=last)


def with_next(it, epochs=2):
    out = []
    for _ in range(epochs):
        out.append([[b.data[0].asnumpy().tolist(), b.pad] for b in it])
        it.reset()
    return out


def with_iter_next(it, epochs=2):
    out = []
    for _ in range(epochs):
        ep = []
        while it.iter_next():
            ep.append([it.getdata()[0].asnumpy().tolist(), it.getpad()])
        out.append(ep)
        it.reset()
    return out


def main():
    fix = {}
    for last in ('discard', 'roll_over', 'pad'):
        fix['next_' + last] = with_next(ten(last))
        fix['iter_next_' + last] = with_iter_next(ten(last))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(fix, f, indent=1)


if __name__ == '__main__':
    main()
