import numpy as np
import pytest

from minigluon import nd
from minigluon.test_utils import assert_almost_equal, check_gradient
from ops_golden import check_case, load_cases


@pytest.mark.parametrize('case', load_cases('shape'))
def test_mxnet_golden(case):
    check_case(case)


X = np.random.RandomState(0).uniform(-1, 1, (2, 3, 4))

# operator call, NumPy reference
CASES = [
    (lambda v: nd.reshape(v, shape=(0, -1)), lambda a: a.reshape(2, 12)),
    (lambda v: nd.Reshape(v, shape=(-3, -2)), lambda a: a.reshape(6, 4)),
    (lambda v: nd.reshape(v, shape=(-4, 1, 2, -2)), lambda a: a.reshape(1, 2, 3, 4)),
    (lambda v: v.reshape((4, -1), reverse=True), lambda a: a.reshape(4, 6)),
    (lambda v: nd.Flatten(v), lambda a: a.reshape(2, 12)),
    (lambda v: nd.transpose(v, axes=(2, 0, 1)), lambda a: a.transpose(2, 0, 1)),
    (lambda v: nd.swapaxes(v, dim1=0, dim2=2), lambda a: a.swapaxes(0, 2)),
    (lambda v: nd.expand_dims(v, axis=1), lambda a: a[:, None]),
    (lambda v: nd.squeeze(nd.expand_dims(v, axis=0), axis=0), lambda a: a),
    (lambda v: nd.concat(v, v * 2, dim=1), lambda a: np.concatenate([a, 2 * a], 1)),
    (lambda v: nd.stack(v, v + 1, axis=2), lambda a: np.stack([a, a + 1], 2)),
    (lambda v: nd.slice(v, begin=(1, None, 3), end=(None, 1, 0), step=(1, -1, -2)),
     lambda a: a[1:, :1:-1, 3:0:-2]),
    (lambda v: nd.slice_axis(v, axis=2, begin=1, end=-1), lambda a: a[:, :, 1:-1]),
    (lambda v: nd.tile(v, reps=(2, 1, 3)), lambda a: np.tile(a, (2, 1, 3))),
    (lambda v: nd.tile(v, reps=(2,)), lambda a: np.tile(a, (2,))),
    (lambda v: nd.repeat(v, repeats=3, axis=-1), lambda a: np.repeat(a, 3, -1)),
    (lambda v: nd.broadcast_to(nd.slice_axis(v, axis=1, begin=0, end=1), shape=(2, 5, 4)),
     lambda a: np.broadcast_to(a[:, :1], (2, 5, 4))),
    (lambda v: nd.reverse(v, axis=1), lambda a: a[:, ::-1]),
    (lambda v: nd.flip(v, axis=(0, 2)), lambda a: a[::-1, :, ::-1]),
]


@pytest.mark.parametrize('i', range(len(CASES)))
def test_shape_op_forward_and_gradient(i):
    fn, ref = CASES[i]
    assert_almost_equal(fn(nd.array(X, dtype='float64')), ref(X), rtol=0, atol=0)
    check_gradient(fn, [X])


@pytest.mark.parametrize('mode', ['constant', 'edge', 'reflect'])
def test_pad_matches_numpy_and_gradient(mode):
    x = np.random.rand(1, 2, 3, 4)
    pw = (0, 0, 1, 0, 2, 1, 1, 3)
    out = nd.pad(nd.array(x, dtype='float64'), mode=mode, pad_width=pw, constant_value=0.5)
    pairs = [(pw[2 * i], pw[2 * i + 1]) for i in range(4)]
    want = np.pad(x, pairs, mode=mode, **({'constant_values': 0.5} if mode == 'constant' else {}))
    assert_almost_equal(out, want, rtol=0, atol=0)
    check_gradient(lambda v: nd.Pad(v, mode=mode, pad_width=pw), [x])


def test_split_outputs_and_gradient():
    x = np.random.rand(2, 6)
    parts = nd.split(nd.array(x), num_outputs=3, axis=1)
    assert len(parts) == 3 and parts[1].shape == (2, 2)
    assert nd.SliceChannel(nd.array(x), num_outputs=1).shape == (2, 6)
    check_gradient(lambda v: nd.split(v, num_outputs=2, axis=0, squeeze_axis=True), [x])
    check_gradient(lambda v: nd.split(v, num_outputs=3)[2] * 2, [x])


def test_broadcast_like_axis_reshape_like_slice_like_gradients():
    a, b = np.random.rand(1, 3), np.random.rand(4, 3)
    check_gradient(lambda u, v: nd.broadcast_like(u, v) * v, [a, b])
    check_gradient(lambda u: nd.broadcast_axis(u, axis=0, size=5), [a])
    check_gradient(lambda u, v: nd.reshape_like(u, v), [np.random.rand(2, 6), np.random.rand(3, 4)],
                   wrt=[0])
    check_gradient(lambda u, v: nd.slice_like(u, v, axes=(1,)), [X, np.zeros((1, 2, 1))], wrt=[0])


def test_reshape_like_method_takes_the_operator_ranges():
    # GluonNLP's BERT decoder: x.reshape_like(positions, lhs_begin=-2, lhs_end=-1, rhs_begin=0)
    x = nd.array(np.arange(6 * 4).reshape(6, 4))
    pos = nd.zeros((2, 3))
    out = x.reshape_like(pos, lhs_begin=-2, lhs_end=-1, rhs_begin=0)
    assert out.shape == (2, 3, 4)
    assert out.asnumpy().ravel().tolist() == list(range(24))
    assert x.reshape_like(nd.zeros((4, 6))).shape == (4, 6)
    with pytest.raises(ValueError, match=r'reshape_like: target shape .* has a different size'):
        x.reshape_like(pos, lhs_begin=0, lhs_end=1, rhs_begin=0, rhs_end=1)


def test_shape_and_size_array():
    x = nd.zeros((2, 3, 4))
    assert nd.shape_array(x).asnumpy().tolist() == [2, 3, 4]
    assert nd.size_array(x).asnumpy().tolist() == [24]
    assert nd.shape_array(x).dtype == np.int64


def test_ndarray_methods_use_shape_ops():
    x = nd.array(X)
    assert x.T.shape == (4, 3, 2)
    assert x.reshape(-1).shape == (24,) and x.reshape(4, 6).shape == (4, 6)
    assert x.reshape(shape=(0, -3)).shape == (2, 12)
    assert x.flatten().shape == (2, 12) and x.expand_dims(axis=0).shape == (1, 2, 3, 4)
    assert x.swapaxes(0, 1).shape == (3, 2, 4)


def test_shape_errors_name_the_operator():
    x = nd.zeros((2, 3, 4))
    with pytest.raises(ValueError, match='Reshape: cannot reshape'):
        nd.reshape(x, shape=(5, 5))
    with pytest.raises(ValueError, match='more than one -1'):
        nd.reshape(x, shape=(-1, -1))
    with pytest.raises(ValueError, match='both be -1'):
        nd.reshape(x, shape=(-4, -1, -1, 0, 0))
    with pytest.raises(ValueError, match='Concat: shapes differ'):
        nd.concat(x, nd.zeros((2, 2, 3)), dim=1)
    with pytest.raises(ValueError, match='not divisible'):
        nd.split(x, num_outputs=2, axis=1)
    with pytest.raises(ValueError, match='squeeze'):
        nd.squeeze(x, axis=0)
    with pytest.raises(ValueError, match='pad_width'):
        nd.pad(x, mode='constant', pad_width=(1, 1))
    with pytest.raises(ValueError, match='mode'):
        nd.pad(x, mode='wrap', pad_width=(0,) * 6)
    with pytest.raises(ValueError, match='permutation'):
        nd.transpose(x, axes=(0, 0, 1))
    with pytest.raises(ValueError, match='step'):
        nd.slice(x, begin=(0,), end=(1,), step=(0,))
    with pytest.raises(ValueError, match='broadcast'):
        nd.broadcast_to(x, shape=(2, 5, 4))
