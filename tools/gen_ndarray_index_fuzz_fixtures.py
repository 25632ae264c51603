"""Regression cases for what ``tools/fuzz_ndarray_index.py`` found, with MXNet 1.9.1's outcomes;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_ndarray_index_fuzz_fixtures.py

A case is the fuzzer's: ``code`` (Python run with ``x``, the NDArray of the input, bound; it sets
``out``), ``write`` (then ``out[:] = 7`` and ``x`` is read back) and ``grad`` (``x`` gets
``attach_grad`` first; its gradient is kept), run by the fuzzer's ``run_code``.

Output: ``tests/fixtures/ndarray_index_fuzz/cases.json`` (name -> the case, plus ``error`` and
``mro``, the class names of MXNet's exception, where it raised) and ``values.npz``
(``<name>/in0``, and ``<name>/<result>`` for each result of ``run_code``).
"""
import json
import os
import sys

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _fuzz import error_result  # noqa: E402
from fuzz_ndarray_index import run_code  # noqa: E402  (the fuzzer's runner: one way to run a case)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'ndarray_index_fuzz')


def arange(shape, dtype='float32'):
    return (np.arange(int(np.prod(shape))).reshape(shape) % 7 - 2).astype(dtype)


# name -> (code, input, write, grad)
CASES = {
    # an out-of-range float scalar into an integer dtype: the conversion range's smallest value
    'scalar_1e10_int32_slice': ('x[0:2] = 1e10\nout = x', arange((3,), 'int32'), False, False),
    'scalar_1e10_int32_advanced': ('x[[0, 2]] = 1e10\nout = x', arange((3,), 'int32'), False,
                                   False),
    'scalar_1e10_int32_int': ('x[1] = 1e10\nout = x', arange((3,), 'int32'), False, False),
    'scalar_1e10_uint8': ('x[0] = 1e10\nx[1] = 300\nx[2] = -3.5\nout = x',
                          arange((3,), 'uint8'), False, False),
    'scalar_1e10_int8': ('x[0] = 1e10\nx[1] = 300\nx[2] = float("nan")\nout = x',
                         arange((3,), 'int8'), False, False),
    'scalar_3e9_int64': ('x[0] = 3e9\nx[1] = 1e19\nout = x', arange((2,), 'int64'), False, False),
    'plus_scalar_1e10_int32': ('out = x + 1e10', arange((3,), 'int32'), False, False),
    'full_uint8_300': ("out = [nd.full((2,), 300, dtype='uint8'), "
                       "nd.full((2,), 1e10, dtype='int32'), nd.full((2,), -1, dtype='uint8')]",
                       arange((1,)), False, False),
    # integer index arrays that do not broadcast together: ValueError
    'index_arrays_mismatch_get': ('out = x[[0, 1], [1, 2, 0]]', arange((3, 4)), False, False),
    'index_arrays_mismatch_set': ('x[[0, 1], [1, 2, 0]] = 1\nout = x', arange((3, 4)), False,
                                  False),
    # a value of the wrong shape: MXNetError
    'setitem_value_shape': ('x[None, 1, ::2] = np.ones((2, 4, 1))\nout = x', arange((2, 4, 1)),
                            False, False),
    # None in a written key adds no axis: the value fits the selection without it
    'setitem_none_ignored': ('x[::-1, None, nd.array([[1, 1], [1, 0]]), 1] = '
                             'nd.arange(16).reshape((2, 2, 2, 2))\nout = x',
                             arange((2, 2, 2, 2)), False, False),
    'setitem_none_basic': ('x[None, 1:3] = nd.array([[[1, 2, 3]]])\nout = x', arange((3, 3)),
                           False, False),
    # a value with more axes than the selection: only leading axes of length 1 are dropped
    'setitem_extra_axes_refused': ('x[:, 0, ::-1] = nd.arange(12).reshape((4, 1, 3))\nout = x',
                                   arange((4, 1, 3)), False, False),
    'setitem_leading_ones': ('x[:, 0, ::-1] = nd.arange(12).reshape((1, 1, 4, 3))\nout = x',
                             arange((4, 1, 3)), False, False),
    'setitem_one_element': ('x[1, 2] = nd.array([5.])\nx[0, 0] = nd.array([[6.]])\nout = x',
                            arange((2, 3)), False, False),
    # a NumPy value of the array's shape into a key selecting all of it (an NDArray: refused)
    'setitem_whole_numpy_full_shape': ('x[::1, 0] = np.arange(4.).reshape((4, 1))\nout = x',
                                       arange((4, 1), 'int64'), False, False),
    'setitem_whole_ndarray_full_shape': ('x[::1, 0] = nd.arange(4).reshape((4, 1))\nout = x',
                                         arange((4, 1), 'int64'), False, False),
    # an empty value of any shape into an empty selection
    'setitem_empty_value': ('x[...] = nd.array(np.zeros((2, 0)))\nout = x', arange((2, 0, 3)), False,
                            False),
    # split with squeeze_axis of a 1-d array: 0-d parts (writing into one raises)
    'split_squeeze_1d': ('out = x.split(num_outputs=2, axis=0, squeeze_axis=True)',
                         arange((2,), 'float64'), True, False),
    'split_v2_squeeze_1d': ('out = nd.split_v2(x, 3, axis=0, squeeze_axis=True)',
                            arange((3,)), False, False),
    # copyto into an array of another shape: MXNetError
    'copyto_shape': ('out = x.copyto(nd.zeros((3,)))', arange((2,)), False, False),
    'copyto_shape_2d': ('out = x.copyto(nd.zeros((2, 2, 3)))', arange((1, 2, 3), 'int32'),
                        False, False),
    # while recording, a write through a basic index covering the whole array is a recorded copy
    'record_whole_slice_write': ('u = nd.zeros((4, 3))\nwith autograd.record():\n'
                                 '    u[-4:] = x * 2\n    z = (u * u).sum()\nz.backward()\nout = u',
                                 arange((4, 3)), False, True),
    'record_whole_int_write': ('u = nd.zeros((1, 3))\nwith autograd.record():\n'
                               '    u[0, None, 0:9] = x * 3\n    z = (u * u).sum()\nz.backward()\n'
                               'out = u', arange((3,)), False, True),
    'record_part_write_refused': ('u = nd.zeros((4, 3))\nwith autograd.record():\n'
                                  '    u[1:] = x[1:] * 2\nout = u', arange((4, 3)), False, True),
    # an int index out of range on write
    'setitem_int_out_of_range': ('x[5] = 1\nout = x', arange((3, 2)), False, False),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    cases, values = {}, {}
    for name, (code, x, write, grad) in sorted(CASES.items()):
        c = {'code': code, 'write': write, 'grad': grad}
        try:
            res = run_code(mx, c, [x])
        except Exception as e:  # noqa: BLE001 -- MXNet's error is the expected outcome
            res = error_result(e)
            c['error'], c['mro'] = str(res['error']), str(res['mro']).split()
            res = {}
        values[name + '/in0'] = x
        for k, v in res.items():
            values['%s/%s' % (name, k)] = v
        cases[name] = c
        print(name, c.get('error', 'ran'))
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    np.savez(os.path.join(OUT, 'values.npz'), **values)


if __name__ == '__main__':
    main()
