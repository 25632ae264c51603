"""``_zeros``, ``_ones``, ``_full``: zero-input fill operators (MXNet 1.9.1 init_op.cc)."""
import json

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import symbol as sym


@pytest.mark.parametrize('op, value', [('_zeros', 0), ('_ones', 1)])
def test_fill_matches_numpy(op, value):
    out = getattr(nd, op)(shape=(2, 3))
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 3), value, np.float32))


def test_full_value_and_dtype():
    out = nd._full(shape=(4,), value=2.5, dtype='float64')
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.asnumpy(), np.full(4, 2.5))
    assert nd._full(shape=(2,), value=3, dtype='int32').asnumpy().tolist() == [3, 3]


def test_zero_sized_shape_gives_empty_array():
    """MXNet's exported LSTM begin states are `_zeros(shape=(L*D, 0, H))`."""
    assert nd._zeros(shape=(2, 0, 16)).shape == (2, 0, 16)


def test_symbol_json_round_trip_and_shape_inference():
    z = sym._zeros(shape=(2, 3), name='z')
    y = sym.broadcast_add(sym.var('x'), z)
    loaded = sym.load_json(y.tojson())
    _, out_shapes, _ = loaded.infer_shape(x=(2, 3))
    assert out_shapes == [(2, 3)]
    node = [n for n in json.loads(y.tojson())['nodes'] if n['op'] == '_zeros'][0]
    assert node['attrs'] == {'shape': '(2, 3)'}


def test_not_recorded_by_autograd():
    with autograd.record():
        out = nd._ones(shape=(2,))
    # nothing to differentiate: recording must not fail, and nothing is put on the tape
    assert out.asnumpy().tolist() == [1.0, 1.0] and out._entry is None


def test_bad_dtype_names_the_attribute():
    with pytest.raises(ValueError, match='dtype'):
        nd._zeros(shape=(2,), dtype='complex64')
