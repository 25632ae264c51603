"""DeformableConvolution and ModulatedDeformableConvolution against MXNet 1.9.1
(tools/gen_deformable_fixtures.py), and their gradients against numerical differentiation.

MXNet 1.9.1 has no CPU backward for ModulatedDeformableConvolution (it raises 'only implemented
in GPU'): its cases record outputs only, and its gradients are checked numerically here.
"""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal
from tests.ops._golden import Golden

GOLD = Golden('deformable')
CASES, IDS = GOLD.cases, Golden.ids(GOLD.cases)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_outputs_and_gradients_match_mxnet(case):
    GOLD.check_outputs_and_gradients(case, atol=1e-5, grad_atol=1e-4)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_graph_run_after_a_json_round_trip_matches_mxnet(case):
    GOLD.check_graph_round_trip(case, atol=1e-5)


@pytest.mark.parametrize('modulated', [False, True])
def test_zero_offsets_and_unit_mask_give_convolution(modulated):
    """With every tap in place (and a mask of ones) the result and the data, weight and bias
    gradients are Convolution's; pad, stride, dilation and groups included."""
    rng = np.random.RandomState(3)
    attrs = dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1), dilate=(1, 2), num_filter=4,
                 num_group=2)
    x, w, b = (nd.array(rng.uniform(-1, 1, s)) for s in [(2, 4, 6, 5), (4, 2, 3, 2), (4,)])
    ref = nd.Convolution(x, w, b, **attrs)
    side = [nd.zeros((2, 12) + ref.shape[2:])] + ([nd.ones((2, 6) + ref.shape[2:])]
                                                   if modulated else [])
    op = nd.contrib.ModulatedDeformableConvolution if modulated else \
        nd.contrib.DeformableConvolution
    head = nd.array(rng.uniform(-1, 1, ref.shape))
    grads = []
    for f, args in ((op, [x] + side + [w, b]), (nd.Convolution, [x, w, b])):
        for a in (x, w, b):
            a.attach_grad()
        with autograd.record():
            y = f(*args, **attrs)
        y.backward(head)
        grads.append([y] + [a.grad.copy() for a in (x, w, b)])
    for got, want in zip(*grads):
        assert_almost_equal(got, want, rtol=1e-5, atol=1e-5)


def test_bad_inputs_raise_clear_errors():
    x, w = nd.zeros((1, 4, 5, 5)), nd.zeros((2, 4, 3, 3))
    attrs = dict(kernel=(3, 3), num_filter=2, no_bias=True)
    with pytest.raises(ValueError, match=r'offset must have shape \(1, 18, 3, 3\)'):
        nd.contrib.DeformableConvolution(x, nd.zeros((1, 18, 5, 5)), w, **attrs)
    with pytest.raises(ValueError, match=r'mask must have shape \(1, 18, 3, 3\)'):
        nd.contrib.ModulatedDeformableConvolution(x, nd.zeros((1, 36, 3, 3)),
                                                  nd.zeros((1, 9, 3, 3)), w,
                                                  num_deformable_group=2, **attrs)
    with pytest.raises(ValueError, match='multiple of num_deformable_group=3'):
        nd.contrib.DeformableConvolution(x, nd.zeros((1, 54, 3, 3)), w, num_deformable_group=3,
                                         **attrs)
    with pytest.raises(ValueError, match='only 2-D kernels'):
        nd.contrib.DeformableConvolution(x, nd.zeros((1, 6, 3)), w, kernel=(3,), num_filter=2)
    with pytest.raises(ValueError, match='weight must have shape'):
        nd.contrib.DeformableConvolution(x, nd.zeros((1, 18, 3, 3)), nd.zeros((2, 4, 3, 2)),
                                         **attrs)


def test_im2col_step_does_not_change_the_result():
    """(MXNet 1.9.1 refuses a batch of 3 with im2col_step=2; the step only sizes its buffers.)"""
    rng = np.random.RandomState(1)
    args = [nd.array(rng.uniform(-1, 1, s)) for s in
            [(3, 2, 4, 4), (3, 18, 2, 2), (3, 9, 2, 2), (2, 2, 3, 3)]]
    attrs = dict(kernel=(3, 3), num_filter=2, no_bias=True)
    assert_almost_equal(nd.contrib.ModulatedDeformableConvolution(*args, im2col_step=2, **attrs),
                        nd.contrib.ModulatedDeformableConvolution(*args, **attrs), rtol=0, atol=0)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_array_form_matches_mxnet(case, monkeypatch):
    """The NumPy form (what runs without Numba; CuPy runs the same code) against MXNet, with the
    compiled kernels (which the tests above use when Numba is installed) turned off."""
    from minigluon.ops import _numba
    monkeypatch.setattr(_numba, 'enabled', False)
    GOLD.check_outputs_and_gradients(case, atol=1e-5, grad_atol=1e-4)
