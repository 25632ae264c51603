"""Methods and properties added in the second API-surface pass (MXNet 1.9.1 names):
``NDArray``/``Symbol`` ``as_nd_ndarray`` and ``split_v2``, ``NDArray.writable`` and
``Symbol.debug_str`` (checked against MXNet's own listing in tests/fixtures/surface5)."""
import json
import os

import numpy as np
import pytest

import minigluon as mx

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'surface5', 'surface5.json')


@pytest.fixture(scope='module')
def golden():
    with open(FIXTURE) as f:
        return json.load(f)


def test_as_nd_ndarray_returns_self():
    a = mx.nd.ones((2, 3))
    s = mx.sym.var('x')
    assert a.as_nd_ndarray() is a
    assert s.as_nd_ndarray() is s


def test_writable_is_true_and_readonly_property():
    a = mx.nd.zeros((2,))
    assert a.writable is True
    with pytest.raises(AttributeError):
        a.writable = False


def test_ndarray_split_v2_method_matches_function_and_numpy():
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    a = mx.nd.array(x)
    parts = a.split_v2(3, axis=1)
    assert len(parts) == 3
    for p, ref in zip(parts, np.split(x, 3, axis=1)):
        np.testing.assert_array_equal(p.asnumpy(), ref)
    parts = a.split_v2((2, 5), axis=1)
    for p, ref in zip(parts, np.split(x, (2, 5), axis=1)):
        np.testing.assert_array_equal(p.asnumpy(), ref)
    sq = mx.nd.array(x[:, :2]).split_v2(2, axis=1, squeeze_axis=True)
    np.testing.assert_array_equal(sq[1].asnumpy(), x[:, 1])
    with pytest.raises(ValueError, match='equal'):
        a.split_v2(5, axis=1)


def test_symbol_split_v2_method_runs():
    with mx.name.NameManager():
        s = mx.sym.var('x').split_v2(2, axis=1)
    assert s.list_outputs() == ['_split_v20_output0', '_split_v20_output1']
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    outs = s.eval(x=mx.nd.array(x))
    np.testing.assert_array_equal(outs[1].asnumpy(), x[:, 2:])


def test_debug_str_matches_mxnet(golden):
    x = mx.sym.var('data')
    fc = mx.sym.FullyConnected(x, num_hidden=4, name='fc1')
    bn = mx.sym.BatchNorm(fc, name='bn')
    grouped = mx.sym.Group([mx.sym.Activation(bn, act_type='relu', name='relu1'), fc])
    assert grouped.debug_str() == golden['debug_str']['grouped']
    with mx.name.NameManager():
        split = mx.sym.var('x').split_v2(2, axis=1)
    assert split.debug_str() == golden['debug_str']['split']
    assert x.debug_str() == golden['debug_str']['variable']
