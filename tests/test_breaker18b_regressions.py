"""Regressions found by breaker18b: differential programs against MXNet 1.9.1 and invariant
checks on the day's merges (fast_bind's prototype cache, user-registered operators, metrics,
Pooling's long pad, Symbol.reshape with separate ints, the save/load helpers)."""
import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.ndarray import dispatch


def _fresh_cache(name):
    """Forget the cached prototypes of operator ``name`` (so a test sees its own calls only)."""
    cls = mx.ops.OPS[name]
    cls.__dict__.get('_proto_cache', {}).clear()


# --- 1. fast_bind: the prototype cache must not confuse equal-comparing attribute values ----------

def test_tuple_attribute_of_floats_is_refused_after_the_int_tuple_was_cached():
    """(1, 0) == (1.0, 0) as dict keys: the prototype made for axes=(1, 0) served (1.0, 0),
    which is refused when it comes first (MXNet 1.9.1 refuses it too: "Invalid Parameter format
    for axes expect Shape(tuple) but value='(1.0, 0)'")."""
    _fresh_cache('transpose')
    x = nd.ones((2, 3))
    assert nd.transpose(x, axes=(1, 0)).shape == (3, 2)
    with pytest.raises(ValueError, match="axes"):
        nd.transpose(x, axes=(1.0, 0))
    with pytest.raises(ValueError, match="axes"):
        nd.transpose(x, (1.0, 0))
    _fresh_cache('Reshape')
    assert x.reshape(3, 2).shape == (3, 2)
    with pytest.raises(ValueError, match="shape"):
        x.reshape(3.0, 2)


@pytest.mark.parametrize('first', [0.0, -0.0])
def test_signed_zero_attributes_keep_their_sign_whatever_came_first(first):
    """0.0 == -0.0 as dict keys: after a call with scalar=0.0, scalar=-0.0 ran with +0.0. As
    MXNet 1.9.1 (and IEEE 754): [1, -1] * -0.0 is [-0, +0], clip(-1, -0.0, 1) is -0.0."""
    _fresh_cache('_mul_scalar')
    _fresh_cache('clip')
    x = nd.array([1.0, -1.0])
    nd._internal._mul_scalar(x, scalar=first)
    x.clip(first, 1.0)
    for zero in (0.0, -0.0):
        got = nd._internal._mul_scalar(x, scalar=zero).asnumpy()
        assert np.signbit(got).tolist() == np.signbit(np.array([1.0, -1.0]) * zero).tolist()
        clipped = x.clip(zero, 1.0).asnumpy()
        assert np.signbit(clipped).tolist() == [False, np.signbit(zero)]


def test_prototype_keys_tell_equal_tuples_of_other_entry_types_apart():
    cls = mx.ops.OPS['transpose']
    _fresh_cache('transpose')
    ints = dispatch.prototype(cls, {'axes': (1, 0)})
    assert ints is not None
    assert dispatch.prototype(cls, {'axes': (1.0, 0)}) is None      # refused: bind_call says why
    # nested tuples and float entries are keyed by their printed form
    cls = mx.ops.OPS['_mul_scalar']
    assert dispatch.prototype(cls, {'scalar': -0.0})['scalar'] == 0.0
    assert np.signbit(dispatch.prototype(cls, {'scalar': -0.0})['scalar'])
    assert not np.signbit(dispatch.prototype(cls, {'scalar': 0.0})['scalar'])
