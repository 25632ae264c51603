import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal, check_gradient
from ops_golden import check_case, load_cases


@pytest.mark.parametrize('case', load_cases('indexing'))
def test_mxnet_golden(case):
    check_case(case)


A = np.random.RandomState(0).uniform(-1, 1, (4, 5))


@pytest.mark.parametrize('mode', ['clip', 'wrap'])
@pytest.mark.parametrize('axis', [0, 1, -1])
def test_take_forward_and_gradient_with_repeats(mode, axis):
    idx = np.array([[0, 3], [3, 7]], dtype='float64')
    n = A.shape[axis]
    ref_idx = np.clip(idx.astype(int), 0, n - 1) if mode == 'clip' else idx.astype(int) % n
    out = nd.take(nd.array(A, dtype='float64'), nd.array(idx), axis=axis, mode=mode)
    assert_almost_equal(out, np.take(A, ref_idx, axis=axis), rtol=0, atol=0)
    check_gradient(lambda a, i: nd.take(a, i, axis=axis, mode=mode), [A, idx], wrt=[0])


def test_take_raise_mode():
    with pytest.raises(IndexError, match="mode='raise'"):
        nd.take(nd.array(A), nd.array([5.]), mode='raise')
    assert nd.take(nd.array(A), nd.array([3.]), mode='raise').shape == (1, 5)


@pytest.mark.parametrize('axis,keepdims', [(-1, False), (0, True), (1, True)])
def test_pick_forward_and_gradient(axis, keepdims):
    n = A.shape[axis]
    other = A.shape[1 - axis % 2]
    idx = np.arange(other) % n
    out = nd.pick(nd.array(A, dtype='float64'), nd.array(idx), axis=axis, keepdims=keepdims)
    want = np.take_along_axis(A, np.expand_dims(idx, axis % 2), axis)
    assert_almost_equal(out, want if keepdims else want.squeeze(axis), rtol=0, atol=0)
    check_gradient(lambda a, i: nd.pick(a, i, axis=axis, keepdims=keepdims), [A, idx], wrt=[0])


def test_one_hot_and_where():
    oh = nd.one_hot(nd.array([0, 2, 1]), depth=3, dtype='int32')
    assert oh.dtype == np.int32 and oh.asnumpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    c = (A > 0).astype('float64')
    out = nd.where(nd.array(c), nd.array(A), nd.array(-A))
    assert_almost_equal(out, np.abs(A).astype('f'))
    check_gradient(lambda x, y: nd.where(nd.array(c, dtype='float64'), x, y), [A, A * 2])
    check_gradient(lambda x, y: nd.where(nd.array([1., 0., 0., 1.]), x, y), [A, A + 1])
    with pytest.raises(ValueError, match='condition'):
        nd.where(nd.ones((3,)), nd.ones((4, 5)), nd.ones((4, 5)))


def test_gather_nd_and_batch_take():
    idx = np.array([[0, 3, 3], [1, 4, 4]])
    out = nd.gather_nd(nd.array(A), nd.array(idx))
    assert_almost_equal(out, A[idx[0], idx[1]].astype('f'))
    check_gradient(lambda a, i: nd.gather_nd(a, i), [A, idx.astype('float64')], wrt=[0])
    bt = nd.batch_take(nd.array(A), nd.array([0, 1, 2, 3], dtype='int32'))
    assert_almost_equal(bt, A[np.arange(4), [0, 1, 2, 3]].astype('f'))
    check_gradient(lambda a, i: nd.batch_take(a, i), [A, np.array([4, 0, 1, 1])], wrt=[0])


@pytest.mark.parametrize('ascend', [True, False])
def test_sort_argsort_topk_against_numpy(ascend):
    order = np.argsort(A if ascend else -A, axis=1, kind='stable')
    assert_almost_equal(nd.argsort(nd.array(A), is_ascend=ascend), order.astype('f'))
    assert_almost_equal(nd.sort(nd.array(A), is_ascend=ascend), np.take_along_axis(A, order, 1)
                        .astype('f'))
    vals, idx = nd.topk(nd.array(A), k=3, ret_typ='both', is_ascend=ascend)
    assert_almost_equal(idx, order[:, :3].astype('f'))
    assert_almost_equal(vals, np.take_along_axis(A, order[:, :3], 1).astype('f'))
    check_gradient(lambda a: nd.sort(a, axis=0, is_ascend=ascend), [A])
    check_gradient(lambda a: nd.topk(a, k=2, ret_typ='value', is_ascend=ascend), [A])
    check_gradient(lambda a: nd.topk(a, k=2, ret_typ='both', is_ascend=ascend)[0], [A])


def test_topk_mask_and_indices_have_zero_gradient():
    x = nd.array(A)
    x.attach_grad()
    with autograd.record():
        y = nd.topk(x, k=2, ret_typ='mask') * x
    y.backward()
    assert_almost_equal(x.grad, nd.topk(nd.array(A), k=2, ret_typ='mask'))
    assert nd.topk(x, k=0).shape == (4, 5)       # k < 1 sorts the whole axis
    with pytest.raises(ValueError, match='k=9'):
        nd.topk(x, k=9)


def test_index_output_dtypes_for_type_inference():
    from minigluon.ops import get_op
    f64 = np.dtype('float64')
    assert get_op('topk')(k=1, ret_typ='both', dtype='int32').infer_type([f64])[1] == \
        [f64, np.dtype('int32')]
    assert get_op('one_hot')(depth=3, dtype='int64').infer_type([f64])[1] == [np.dtype('int64')]
    assert get_op('argsort')().infer_type([f64])[1] == [np.dtype('float32')]
    assert get_op('shape_array')().infer_type([f64])[1] == [np.dtype('int64')]


def test_scatter_nd_forward_gradient_and_duplicates():
    data = np.array([1., 2., 3.])
    idx = np.array([[0, 1, 0], [1, 2, 1]])
    out = nd.scatter_nd(nd.array(data), nd.array(idx), shape=(2, 3))
    ref = np.zeros((2, 3))
    ref[0, 1], ref[1, 2] = data[0], data[1]
    ref[0, 1] = data[2]              # a repeated index keeps the last value (MXNet 1.9.1: 3)
    assert out.asnumpy().tolist() == ref.tolist()
    rows = nd.scatter_nd(nd.array([[1, 2], [3, 4]]), nd.array([[1, 0]]), shape=(3, 2))
    assert rows.asnumpy().tolist() == [[3, 4], [1, 2], [0, 0]]
    ints = nd.scatter_nd(nd.array([1, 2], dtype='int32'), nd.array([[2, 0]], dtype='int32'),
                         shape=(3,))
    assert ints.dtype == np.int32 and ints.asnumpy().tolist() == [2, 0, 1]
    uniq = np.array([[0, 1, 1], [1, 2, 0]])
    check_gradient(lambda d: nd.scatter_nd(d, nd.array(uniq, dtype='float64'), shape=(2, 3)),
                   [data])
    with pytest.raises(ValueError, match='indices'):
        nd.scatter_nd(nd.array(data), nd.array([[0, 1]]), shape=(2, 3))


def test_setitem_converts_a_scalar_like_mxnet():
    x = nd.array([1, 2, 3], dtype='uint8')
    with pytest.raises(ValueError, match=r'value=-1 does not fit dtype uint8 \(0 to 255\)'):
        x[0] = -1                 # MXNet writes 255 (NumPy 2 raised a bare OverflowError)
    assert x.asnumpy().tolist() == [1, 2, 3]
    y = nd.zeros((2, 3), dtype='int32')
    y[0] = -2.7
    y[1] = nd.array([1.7, -1.7, 2.5])
    assert y.asnumpy().tolist() == [[-2, -2, -2], [1, -1, 2]]
