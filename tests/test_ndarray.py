import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal, check_gradient

X = np.arange(24, dtype='float32').reshape(2, 3, 4)

READ_KEYS = [1, -1, (1, 2), (1, 2, 3), slice(None, None, 2), (slice(None), slice(2, 0, -1)),
             Ellipsis, (Ellipsis, 1), None, (None, 1), (0, None, Ellipsis), [1, 0, 1],
             (slice(None), [0, 2]), (np.array([1, 0]), np.array([2, 2])),
             (slice(1, 2), slice(None), slice(None, None, 3))]


@pytest.mark.parametrize('key', READ_KEYS, ids=[repr(k) for k in READ_KEYS])
def test_getitem_matches_numpy_and_has_gradient(key):
    want = X[key]
    got = nd.array(X)[key]
    assert got.shape == (want.shape or (1,))          # legacy MXNet: never 0-d
    assert_almost_equal(got, want.reshape(got.shape))
    check_gradient(lambda v: v[key], [X])


def test_getitem_with_ndarray_indices_and_masks():
    x = nd.array(X)
    assert x[nd.array([1, 0, 1])].shape == (3, 3, 4)
    assert x[nd.array([1.7, 0.2])].shape == (2, 3, 4)            # float indices truncate
    assert x[:, nd.array([0, 2])].shape == (2, 2, 4)
    mask = X[0, 0] > 1
    assert_almost_equal(x[0, 0][nd.array(mask, dtype='bool')], X[0, 0][mask])
    assert_almost_equal(x[X > 20], X[X > 20])
    check_gradient(lambda v: v[np.array([[True, False, True], [False, True, True]])], [X])


def test_getitem_repeated_indices_accumulate_gradient():
    x = nd.array([1., 2., 3.])
    x.attach_grad()
    with autograd.record():
        y = x[nd.array([0, 0, 2])]
    y.backward()
    assert x.grad.asnumpy().tolist() == [2., 0., 1.]


def test_setitem_forms():
    x = nd.zeros((2, 3, 4))
    ref = np.zeros((2, 3, 4), dtype='float32')
    x[0, 1] = nd.array([9, 8, 7, 6])
    ref[0, 1] = [9, 8, 7, 6]
    x[1, :, ::2] = -1
    ref[1, :, ::2] = -1
    x[:, 0] = 7
    ref[:, 0] = 7
    x[1, 2, 3] = nd.array([5.])            # a (1,) value into one element, as MXNet allows
    ref[1, 2, 3] = 5
    x[nd.array([0])] += 0.5 + nd.zeros((1, 3, 4))
    ref[[0]] += 0.5
    x[:, [1, 2], 0] = np.array([1., 2.])
    ref[:, [1, 2], 0] = [1., 2.]
    assert_almost_equal(x, ref)
    x[:] = 1
    assert (x.asnumpy() == 1).all()
    with pytest.raises(ValueError, match='cannot assign a value of shape'):
        x[0] = nd.ones((5,))


def test_inplace_arithmetic_and_copy_semantics():
    x = nd.ones((2, 3))
    y = x
    x += 1
    x *= nd.array([1., 2., 3.])
    x -= 0.5
    x /= 2
    assert y is x
    assert_almost_equal(x, (np.ones((2, 3)) * 2 * [1, 2, 3] - 0.5) / 2)
    c = x.copy()
    c[:] = 0
    assert x.asnumpy().sum() > 0
    target = nd.zeros((2, 3))
    assert x.copyto(target) is target and (target.asnumpy() == x.asnumpy()).all()
    with pytest.raises(ValueError, match='copyto'):
        x.copyto(nd.zeros((3, 2)))


def test_conversions_and_properties():
    x = nd.array([[1.5, 2.5]])
    assert x.shape == (1, 2) and x.size == 2 and x.ndim == 2 and x.dtype == np.float32
    assert x.context == mx.cpu() and x.ctx == mx.cpu(0) and x.stype == 'default'
    s = nd.array([3.5]).asscalar()
    assert s == 3.5 and isinstance(s, np.float32)
    with pytest.raises(ValueError, match='exactly one element'):
        x.asscalar()
    assert x.as_in_context(mx.cpu()) is x
    assert x.T.shape == (2, 1) and nd.ones((3,)).T.shape == (3,)
    assert x.astype('int32').dtype == np.int32 and x.astype('float32', copy=False) is x
    assert x.tostype('default') is x
    with pytest.raises(mx.MXNetError, match='dense'):
        x.tostype('csr')
    assert float(nd.array([2.])) == 2.0 and int(nd.array([3.])) == 3
    assert len(nd.zeros((4, 2))) == 4 and [r.shape for r in nd.zeros((2, 3))] == [(3,), (3,)]


def test_repr_matches_mxnet_layout():
    assert repr(nd.array([[1, 2], [3, 4]])) == '\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>'
    assert repr(nd.array([1, 2], dtype='int32')) == '\n[1 2]\n<NDArray 2 @cpu(0)>'


def test_dlpack_round_trip_shares_memory():
    x = nd.array([1., 2., 3.])
    y = np.from_dlpack(x)
    assert np.shares_memory(y, np.from_dlpack(x)) and y.tolist() == [1., 2., 3.]
    if y.flags.writeable:                # NumPy 2.2+; before 2.2 NumPy marks its own import read-only
        y[0] = 9
        assert x.asnumpy()[0] == 9
    assert x.__dlpack_device__()[0] == 1
    shared = nd.from_dlpack(nd.to_dlpack_for_write(x))      # MXNet's capsule round trip
    shared[1] = 5                        # writable and shared on NumPy 1.26 to 2.1 too, as in MXNet
    assert x.asnumpy().tolist()[1:] == [5., 3.]
    source = np.arange(3.)
    z = nd.from_dlpack(source)           # any producer of the protocol
    assert z.asnumpy().tolist() == [0., 1., 2.]
    z[0] = 5
    z += 1
    assert source.tolist() == [6., 2., 3.]
    assert nd.from_dlpack(x.to_dlpack_for_read()).shape == (3,)
    with pytest.raises(TypeError, match='from_dlpack'):
        nd.from_dlpack(5)


def test_fluent_methods_dispatch_to_operators():
    x = nd.array(X)
    assert_almost_equal(x.sum(axis=1), X.sum(1))
    assert_almost_equal(x.exp(), np.exp(X), rtol=1e-5)
    assert x.transpose(axes=(2, 0, 1)).shape == (4, 2, 3)
    assert x.topk(k=2).shape == (2, 3, 2)
    assert x.clip(2, 5).asnumpy().max() == 5
    assert [p.shape for p in x.split(num_outputs=3, axis=1)] == [(2, 1, 4)] * 3
    with pytest.raises(AttributeError, match='no attribute'):
        x.not_an_operator()


def test_reshape_method_codes_and_reverse():
    x = nd.array(X)
    assert x.reshape((0, -1)).shape == (2, 12)
    assert x.reshape(-3, -2).shape == (6, 4)
    assert x.reshape(shape=(-4, 1, 2, -2)).shape == (1, 2, 3, 4)
    assert x.reshape((-1, 0), reverse=True).shape == (6, 4)
    with pytest.raises(ValueError, match='cannot reshape'):
        x.reshape(5, 5)


def test_zero_input_sampler_runs_on_ctx():
    out = nd.random_uniform(shape=(2,), ctx='cpu(0)')
    assert out.context == mx.cpu(0) and out.shape == (2,)
    with pytest.raises(ValueError, match='ctx'):
        nd.random_uniform(shape=(2,), ctx='tpu(0)')


GPU_CALLS = [
    ('take', lambda x: nd.take(x, nd.array([0, 1, 1], ctx=x.context), axis=1)),
    ('pick', lambda x: nd.pick(x, nd.array([[0, 1, 2]] * 2, ctx=x.context), axis=2)),
    ('topk', lambda x: nd.topk(x, k=2, ret_typ='value')),
    ('sort', lambda x: nd.sort(x, axis=1, is_ascend=False)),
    ('pad', lambda x: nd.pad(x.reshape((1, 2, 3, 4)), mode='reflect', pad_width=(0, 0, 0, 0, 1, 1, 2, 2))),
    ('reshape', lambda x: x.reshape((-4, 1, 2, -2))),
    ('dot', lambda x: nd.dot(x, x, transpose_b=True)),
    ('norm', lambda x: nd.norm(x, axis=(1, 2))),
    ('gammaln', lambda x: nd.gammaln(x + 1)),
    ('getitem', lambda x: x[:, nd.array([2, 0], ctx=x.context)]),
    ('getitem_one', lambda x: x[1, 2, 3]),         # one element: a 0-d CuPy array, not a scalar
    ('seqrev', lambda x: nd.SequenceReverse(x, nd.array([1, 3], ctx=x.context),
                                            use_sequence_length=True, axis=1)),
]


@pytest.mark.gpu
@pytest.mark.parametrize('name,fn', GPU_CALLS, ids=[c[0] for c in GPU_CALLS])
def test_core_ops_on_gpu_match_cpu(name, fn):
    if mx.num_gpus() == 0:
        pytest.skip('needs CuPy and a CUDA device')
    outs = []
    for ctx in (mx.cpu(), mx.gpu(0)):
        x = nd.array(np.random.RandomState(0).rand(2, 3, 4), ctx=ctx)
        x.attach_grad()
        with autograd.record():
            y = fn(x)
        y.backward()
        assert y.context == ctx
        outs.append((y.asnumpy(), x.grad.asnumpy()))
    assert_almost_equal(outs[1][0], outs[0][0], rtol=1e-5, atol=1e-6)
    assert_almost_equal(outs[1][1], outs[0][1], rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
def test_random_on_gpu_is_seeded_per_device():
    if mx.num_gpus() == 0:
        pytest.skip('needs CuPy and a CUDA device')
    from minigluon import random as mxrand
    mxrand.seed(7)
    a = mxrand.uniform(shape=(4,), ctx=mx.gpu(0))
    mxrand.seed(7)
    b = mxrand.uniform(shape=(4,), ctx=mx.gpu(0))
    assert a.context == mx.gpu(0) and (a.asnumpy() == b.asnumpy()).all()
    assert mxrand.shuffle(nd.arange(5, ctx=mx.gpu(0))).shape == (5,)


def test_array_of_a_ragged_list_names_the_argument():
    # MXNet 1.9.1 raises TypeError ("source_array must be array like object") for all of these
    with pytest.raises(TypeError, match='nd.array: source_array must be .* rectangular'):
        nd.array([[1, 2], [3]])
    assert nd.array([[1, 2], [3, 4]]).shape == (2, 2)
    for source, dtype in [(['a'], None), ([1, 'x'], None)]:
        with pytest.raises(TypeError, match='nd.array: source_array must be .* NumPy could not convert it'):
            nd.array(source, dtype=dtype)
    for source, dtype in [([np.nan], 'int32'), ([float('inf')], 'int64')]:
        with pytest.raises(TypeError, match='nd.array: source_array must be .* does not fit dtype'):
            nd.array(source, dtype=dtype)
    # a NumPy array is cast, as in MXNet (NaN into int32 is NumPy's INT_MIN there too)
    assert nd.array(np.array([1.7, -2.5]), dtype='int32').asnumpy().tolist() == [1, -2]
