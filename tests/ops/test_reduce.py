import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal, check_gradient
from ops_golden import check_case, load_cases


@pytest.mark.parametrize('case', load_cases('reduce'))
def test_mxnet_golden(case):
    check_case(case)


def _np_axes(ndim, axis, exclude):
    if axis is None or axis == ():
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    axes = tuple(a % ndim for a in axes)
    return tuple(i for i in range(ndim) if i not in axes) if exclude else axes


REDUCERS = [('sum', np.sum), ('mean', np.mean), ('max', np.max), ('min', np.min),
            ('prod', np.prod), ('nansum', np.nansum), ('nanprod', np.nanprod)]
AXES = [(None, False, False), (0, False, False), ((0, 2), True, False), (-1, False, True),
        ((1,), True, True)]


@pytest.mark.parametrize('name,ref', REDUCERS, ids=[r[0] for r in REDUCERS])
@pytest.mark.parametrize('axis,keepdims,exclude', AXES)
def test_reduction_forward_and_gradient(name, ref, axis, keepdims, exclude):
    x = np.random.uniform(0.5, 1.5, (2, 3, 4))
    kw = {'axis': axis, 'keepdims': keepdims, 'exclude': exclude}
    out = getattr(nd, name)(nd.array(x, dtype='float64'), **kw)
    want = ref(x, axis=_np_axes(3, axis, exclude), keepdims=keepdims)
    want = want.reshape((1,)) if want.ndim == 0 else want
    assert_almost_equal(out, want, rtol=1e-10, atol=1e-12)
    check_gradient(lambda v: getattr(nd, name)(v, **kw), [x])


def test_full_reduction_returns_shape_1_and_aliases():
    x = nd.ones((2, 3))
    assert nd.sum(x).shape == (1,) and nd.sum_axis(x, axis=1).shape == (2,)
    assert nd.max_axis(x, axis=0).shape == (3,) and nd.min_axis(x).shape == (1,)
    assert x.sum(axis=1).asnumpy().tolist() == [3., 3.]
    assert x.mean(keepdims=True).shape == (1, 1)


def test_prod_gradient_is_exact_with_zeros():
    x = nd.array([[2., 2., 0.], [1., 3., 4.]])
    x.attach_grad()
    with autograd.record():
        y = nd.prod(x, axis=1)
    y.backward()
    assert x.grad.asnumpy().tolist() == [[0., 0., 4.], [12., 4., 3.]]


def test_integer_reductions_keep_dtype():
    x = nd.array([1, 2], dtype='int32')
    assert nd.sum(x).dtype == np.int32 and nd.mean(x).asnumpy().tolist() == [1]


@pytest.mark.parametrize('ord_,axis', [(1, None), (2, None), (2, 1), (1, (0, 2))])
def test_norm_forward_and_gradient(ord_, axis):
    x = np.random.uniform(-2, 2, (2, 3, 4))
    out = nd.norm(nd.array(x, dtype='float64'), ord=ord_, axis=axis)
    want = (np.abs(x).sum(axis=axis) if ord_ == 1 else np.sqrt((x * x).sum(axis=axis)))
    assert_almost_equal(out, np.reshape(want, out.shape), rtol=1e-10)
    check_gradient(lambda v: nd.norm(v, ord=ord_, axis=axis), [x])


def test_norm_of_zero_has_zero_gradient_and_out_dtype():
    x = nd.zeros((3,))
    x.attach_grad()
    with autograd.record():
        y = nd.norm(x)
    y.backward()
    assert x.grad.asnumpy().tolist() == [0., 0., 0.]
    assert nd.norm(nd.ones((2,)), out_dtype='float64').dtype == np.float64


def test_argmax_argmin():
    x = np.random.rand(3, 4, 5)
    assert_almost_equal(nd.argmax(nd.array(x), axis=1), np.argmax(x, 1).astype('f'))
    assert_almost_equal(nd.argmin(nd.array(x), axis=-1, keepdims=True),
                        np.argmin(x, -1)[..., None].astype('f'))
    assert nd.argmax(nd.array(x)).asnumpy().tolist() == [float(np.argmax(x))]
    assert nd.argmax_channel(nd.array(x[0])).shape == (4,)
    x = nd.array(x)
    x.attach_grad()
    with autograd.record():
        y = x * 2 + nd.argmax(x, axis=0).sum()
    y.backward()     # argmax is not differentiable and does not break the graph
    assert (x.grad.asnumpy() == 2).all()


def test_reduce_errors_are_clear():
    with pytest.raises(ValueError, match='axis 3 is out of range'):
        nd.sum(nd.ones((2, 3)), axis=3)
    with pytest.raises(ValueError, match='repeated'):
        nd.sum(nd.ones((2, 3)), axis=(1, -1))
    with pytest.raises(ValueError, match='ord'):
        nd.norm(nd.ones((2,)), ord=3)


def test_int_mean_truncates_toward_zero():
    # sum -8 over 12 elements: -0.67 -> 0 (MXNet 1.9.1), not floor's -1; per row -9/4 -> -2
    x = np.array([[-1, -2, -5, -1], [2, 0, 0, 1], [0, 0, 0, 0]], 'int32')
    assert nd.mean(nd.array(x, dtype='int32')).asnumpy().tolist() == [int(np.trunc(x.sum() / 12))]
    assert nd.mean(nd.array(x, dtype='int32'), axis=1).asnumpy().tolist() == \
        np.trunc(x.sum(axis=1) / 4).astype(int).tolist()


@pytest.mark.parametrize('dtype', ['int32', 'int64', 'uint8', 'float16', 'float64'])
def test_argmax_argmin_return_the_input_dtype(dtype):
    # MXNet 1.9.1: argmax of an int32 array is int32 (not float32), of float16 float16, ...
    x = np.array([[1, 3, 2], [7, 0, 7]], dtype)
    for fn, ref in [(nd.argmax, np.argmax), (nd.argmin, np.argmin)]:
        out = fn(nd.array(x, dtype=dtype), axis=1)
        assert out.dtype == np.dtype(dtype)
        assert out.asnumpy().tolist() == ref(x, axis=1).tolist()
    assert nd.argmax_channel(nd.array(x, dtype=dtype)).dtype == np.dtype(dtype)
