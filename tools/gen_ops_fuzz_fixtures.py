"""Record MXNet 1.9.1 golden values for the differences that the differential fuzzer
(``tools/fuzz_nd_ops.py``) found between ``mx.nd`` and minigluon, so the suite keeps them fixed.

Run in the MXNet venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_ops_fuzz_fixtures.py

Writes tests/fixtures/ops_fuzz/cases.json and values.npz with ``tools/_golden.py``'s recorder
(read by tests/ops/test_ops_fuzz.py through tests/ops/_golden.py).
"""
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'ops_fuzz')
RNG = np.random.RandomState(0)
REC = Recorder(mx, RNG)
case = REC.case


def ints(dtype, *values):
    return np.array(values, dtype=dtype)


def main():
    # Unary maths on int8 / uint8 computes in double: tanh(6) = 0.99998 truncates to 0 (NumPy's
    # float16 for int8 rounded it up to 1), erf(2) = 0.995 to 0, exp(5) = 148.4 to 148.
    case('tanh', [ints('int8', 6, 5, -6, 0, 1)], wrt=())
    case('tanh', [ints('uint8', 6, 5, 0, 7, 1)], wrt=())
    case('erf', [ints('int8', 2, 3, -4, 0, 1)], wrt=())
    case('sigmoid', [ints('uint8', 9, 8, 0, 1, 200)], wrt=())
    case('exp', [ints('uint8', 5, 4, 0, 1, 2)], wrt=())
    case('log', [ints('int8', 100, 7, 1, 2, 127)], wrt=())
    case('sqrt', [ints('uint8', 255, 250, 3, 1, 99)], wrt=())
    # hypot of integers keeps the integer dtype (truncated), as the other element-wise maths
    case('broadcast_hypot', [ints('int32', 3, 2, -6, 0), ints('int32', 3, 2, 7, 5)], wrt=())
    case('broadcast_hypot', [ints('uint8', 3, 2, 6, 0).reshape(4, 1),
                             ints('uint8', 3, 2, 7).reshape(1, 3)], wrt=())
    case('broadcast_hypot', [ints('int8', 3, 2, -6), ints('int8', 3, 2, 7)], wrt=())
    case('broadcast_hypot', [ints('int64', 30, 2, 9, 1), ints('int64', 40, 1, 9, 1)], wrt=())
    case('broadcast_hypot', [RNG.standard_normal((2, 3)).astype(np.float32),
                             RNG.standard_normal((1, 3)).astype(np.float32)], wrt=(0, 1))

    REC.save(OUT)
    print('wrote %d cases to %s' % (len(REC.cases), os.path.abspath(OUT)))


if __name__ == '__main__':
    main()
