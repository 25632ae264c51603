import numpy as np
import pytest

from minigluon import nd
from minigluon.test_utils import assert_almost_equal, check_gradient
from ops_golden import check_case, load_cases


@pytest.mark.parametrize('case', load_cases('linalg'))
def test_mxnet_golden(case):
    check_case(case)


R = np.random.RandomState(0)

DOT = [((3, 4), (4, 2), False, False, lambda a, b: a @ b),
       ((4, 3), (4, 2), True, False, lambda a, b: a.T @ b),
       ((3, 4), (2, 4), False, True, lambda a, b: a @ b.T),
       ((2, 3, 4), (4, 5), False, False, lambda a, b: np.tensordot(a, b, 1)),
       ((2, 3, 4), (2, 5), True, False, lambda a, b: np.tensordot(a, b, ([0], [0]))),
       ((2, 3, 4), (5, 6, 4), False, True, lambda a, b: np.tensordot(a, b, ([2], [2]))),
       ((3,), (3,), False, False, lambda a, b: np.dot(a, b).reshape(1)),
       ((3,), (3, 2), False, False, lambda a, b: a @ b)]


@pytest.mark.parametrize('sa,sb,ta,tb,ref', DOT)
def test_dot_forward_and_gradient(sa, sb, ta, tb, ref):
    a, b = R.rand(*sa), R.rand(*sb)
    out = nd.dot(nd.array(a, dtype='float64'), nd.array(b, dtype='float64'),
                 transpose_a=ta, transpose_b=tb)
    assert_almost_equal(out, ref(a, b), rtol=1e-12, atol=1e-12)
    check_gradient(lambda x, y: nd.dot(x, y, transpose_a=ta, transpose_b=tb), [a, b])


@pytest.mark.parametrize('ta', [False, True])
@pytest.mark.parametrize('tb', [False, True])
def test_batch_dot_and_gemm2(ta, tb):
    a = R.rand(2, 4, 3) if ta else R.rand(2, 3, 4)
    b = R.rand(2, 5, 4) if tb else R.rand(2, 4, 5)
    want = np.matmul(a.swapaxes(1, 2) if ta else a, b.swapaxes(1, 2) if tb else b)
    kw = {'transpose_a': ta, 'transpose_b': tb}
    assert_almost_equal(nd.batch_dot(nd.array(a, dtype='float64'), nd.array(b, dtype='float64'),
                                     **kw), want, rtol=1e-12)
    check_gradient(lambda x, y: nd.batch_dot(x, y, **kw), [a, b])
    assert_almost_equal(nd.linalg_gemm2(nd.array(a, dtype='float64'), nd.array(b, dtype='float64'),
                                        alpha=0.5, **kw), 0.5 * want, rtol=1e-12)
    check_gradient(lambda x, y: nd._linalg_gemm2(x, y, alpha=1.5, **kw), [a, b])


def test_gemm2_row_axis_and_4d_batch_dot():
    a, b = R.rand(3, 2, 4), R.rand(4, 2, 5)
    out = nd.linalg_gemm2(nd.array(a, dtype='float64'), nd.array(b, dtype='float64'), axis=0)
    want = np.einsum('ibk,kbj->ibj', a, b)
    assert_almost_equal(out, want, rtol=1e-12)
    check_gradient(lambda x, y: nd.linalg_gemm2(x, y, axis=0), [a, b])
    check_gradient(nd.batch_dot, [R.rand(2, 2, 3, 4), R.rand(2, 2, 4, 2)])


def test_product_shape_errors():
    with pytest.raises(ValueError, match=r'dot: contracted axes differ .*lhs\(2, 3\)'):
        nd.dot(nd.ones((2, 3)), nd.ones((4, 5)))
    with pytest.raises(ValueError, match='batch_dot'):
        nd.batch_dot(nd.ones((2, 3)), nd.ones((3, 2)))
    with pytest.raises(ValueError, match='batch_dot: contracted'):
        nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((2, 3, 4)))
    with pytest.raises(ValueError, match='_linalg_gemm2'):
        nd.linalg_gemm2(nd.ones((2, 3)), nd.ones((2, 3)))
