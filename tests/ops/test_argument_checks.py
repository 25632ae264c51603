"""Arguments MXNet 1.9.1 refuses are refused here too, with an error naming the argument, where
minigluon once returned a clamped or empty result or a bare Python/NumPy error (found by a
breaker session comparing both); and ``make_loss``, MXNet's separate operator beside ``MakeLoss``.
"""
import warnings

import numpy as np
import pytest

from minigluon import autograd, nd


@pytest.mark.parametrize('op', ['SequenceLast', 'SequenceReverse', 'SequenceMask'])
@pytest.mark.parametrize('lengths', [[5, 1], [-1, 2], [np.nan, 1]])
def test_sequence_lengths_outside_0_to_T(op, lengths):
    x = nd.array(np.arange(24, dtype=np.float32).reshape(3, 2, 4))
    with pytest.raises(ValueError, match='%s: sequence_length must hold lengths between 0 and '
                                         'the number of steps T=3' % op):
        getattr(nd, op)(x, sequence_length=nd.array(lengths), use_sequence_length=True)
    # the bounds themselves are fine
    getattr(nd, op)(x, sequence_length=nd.array([3, 0]), use_sequence_length=True)


@pytest.mark.parametrize('begin,end', [(0, 7), (2, 1), (1, 1), (-4, None), (3, None)])
def test_slice_axis_out_of_range(begin, end):
    with pytest.raises(ValueError, match='slice_axis: begin=%d, end=%s must satisfy' % (begin, end)):
        nd.slice_axis(nd.ones((2, 3)), axis=1, begin=begin, end=end)


@pytest.mark.parametrize('begin,end,want', [(0, None, 3), (-2, None, 2), (0, -1, 2), (1, 3, 2)])
def test_slice_axis_in_range(begin, end, want):
    x = nd.array(np.arange(6, dtype=np.float32).reshape(2, 3))
    got = nd.slice_axis(x, axis=1, begin=begin, end=end)
    np.testing.assert_array_equal(got.asnumpy(), x.asnumpy()[:, slice(begin, end)])
    assert got.shape == (2, want)


def test_slice_like_larger_than_data():
    with pytest.raises(ValueError, match=r'slice_like: shape_like is larger than data on axis 1 \(9 > 4\)'):
        nd.slice_like(nd.ones((3, 4)), nd.ones((2, 9)))
    assert nd.slice_like(nd.ones((3, 4)), nd.ones((2, 9)), axes=(0,)).shape == (2, 4)


def test_one_hot_negative_depth():
    with pytest.raises(ValueError, match='one_hot: depth must be a non-negative integer, got -1'):
        nd.one_hot(nd.array([1]), -1)
    assert nd.one_hot(nd.array([1]), 0).shape == (1, 0)


@pytest.mark.parametrize('call,match', [
    (lambda: nd.arange(0, 5, 0), 'arange: step must not be 0'),
    (lambda: nd.arange(0, 5, repeat=0), 'arange: repeat must be at least 1'),
    (lambda: nd.linspace(0, 1, -1), 'linspace: num must be non-negative'),
    (lambda: nd.eye(-1), 'eye: N and M must be non-negative'),
    (lambda: nd.eye(2, -3), 'eye: N and M must be non-negative'),
    (lambda: nd.zeros((2, -1)), 'zeros: shape must be a non-negative int or a tuple of them'),
    (lambda: nd.ones(2.5), 'ones: shape must be'),
])
def test_creation_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_full_needs_a_number():
    with pytest.raises(TypeError, match="full: val must be a number, got 'x'"):
        nd.full((2,), 'x')
    np.testing.assert_array_equal(nd.full((2,), np.float32(1.5)).asnumpy(), [1.5, 1.5])


def test_make_loss_back_propagates_ones_and_warns_about_ignored_attributes():
    """MXNet 1.9.1 (measured): ``make_loss(a * 3, grad_scale=2)`` gives ``a`` the gradient 3 (ones
    through make_loss), where ``MakeLoss`` applies grad_scale (6)."""
    def grad(op, **kw):
        a = nd.array([1., 2.])
        a.attach_grad()
        with autograd.record():
            y = getattr(nd, op)(a * 3, **kw)
        y.backward(nd.array([10., 10.]))        # the head gradient is ignored by both
        return a.grad.asnumpy()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        np.testing.assert_array_equal(grad('make_loss'), [3., 3.])
    with pytest.warns(UserWarning, match='make_loss ignores grad_scale'):
        np.testing.assert_array_equal(grad('make_loss', grad_scale=2.0), [3., 3.])
    np.testing.assert_array_equal(grad('MakeLoss', grad_scale=2.0), [6., 6.])


def test_deconvolution_adj_must_be_below_stride():
    x, w = nd.ones((1, 2, 3, 3)), nd.ones((2, 2, 3, 3))
    with pytest.raises(ValueError, match=r'Deconvolution: adj \(output_padding\) \(2, 2\) must '
                                         r'be below stride \(2, 2\)'):
        nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), adj=(2, 2), num_filter=2, no_bias=True)
    y = nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), adj=(1, 1), num_filter=2, no_bias=True)
    assert y.shape == (1, 2, 8, 8)


def test_fully_connected_takes_1d_data_as_a_column():
    """MXNet 1.9.1: ``Dense(3)`` on data ``(4,)`` infers weight (3, 1) and returns (4, 3)."""
    x = nd.array([1., 2., 3., 4.])
    w, b = nd.array([[1.], [2.], [-1.]]), nd.array([0., 1., 2.])
    x.attach_grad()
    with autograd.record():
        y = nd.FullyConnected(x, w, b, num_hidden=3)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), np.outer([1, 2, 3, 4], [1, 2, -1]) + [0, 1, 2])
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full(4, 2.0))


def test_an_out_argument_in_the_graph_names_the_operator():
    from minigluon.base import MXNetError
    y = nd.ones((2,))
    y.attach_grad()
    with autograd.record():
        with pytest.raises(MXNetError, match=r'relu\(\.\.\., out=\.\.\.\): cannot write in-place'):
            nd.relu(y, out=y)


@pytest.mark.parametrize('call,name', [
    (lambda x: nd.broadcast_mul(x, 0.5), "input 'rhs'"),     # no attribute to take the number
    (lambda x: nd.elemwise_add(1, x), "input 'lhs'"),
    (lambda x: nd.dot(x, 2), "input 'rhs'"),                 # 2 would become transpose_a
    (lambda x: nd.batch_dot(x.reshape((1, 2, 3)), 2), "input 'rhs'"),
    (lambda x: nd.relu([1, 2]), "input 'data'"),
])
def test_a_number_where_an_input_belongs_names_the_input(call, name):
    with pytest.raises(TypeError, match=name + ' must be an array of this framework.*got (float|int|list)'):
        call(nd.ones((2, 3)))


def test_numbers_that_fill_attributes_positionally_still_do():
    x = nd.ones((2, 3))
    assert nd.clip(x, 0, 0.5).asnumpy().max() == 0.5
    assert nd.topk(x, 1, 2).shape == (2, 2)
    assert nd.log_softmax(x, 1).shape == (2, 3)


def test_out_must_be_an_ndarray():
    # MXNet 1.9.1 fails on out.handle (AttributeError); minigluon wrote into a NumPy array given
    # as out= and returned it, and out=[1] failed with "'int' object does not support item
    # assignment", naming nothing
    x = nd.ones((2, 3))
    for out in [np.zeros((2, 3)), [1], [nd.zeros((2, 3)), np.zeros((2, 3))]]:
        with pytest.raises(TypeError, match='relu: out must be an NDArray .*, got (ndarray|int)'):
            nd.relu(x, out=out)
    o = nd.zeros((2, 3))
    assert nd.relu(x, out=o) is o


@pytest.mark.parametrize('op', ['concat', 'stack', 'add_n'])
def test_num_args_other_than_the_arrays_given(op):
    # MXNet 1.9.1: "Operator Concat expects 1 inputs, but got 2 instead"; concat and stack
    # ignored num_args here (add_n already refused it)
    x = nd.ones((2, 3))
    for num_args in (1, 3):
        with pytest.raises(ValueError, match='num_args=%d but 2 arrays were given' % num_args):
            getattr(nd, op)(x, x, num_args=num_args)
    assert getattr(nd, op)(x, x, num_args=2).size == (6 if op == 'add_n' else 12)   # 2 x (2, 3)
