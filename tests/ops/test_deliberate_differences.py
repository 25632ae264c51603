"""Rows of the docs/PORTING.md's table "Where minigluon deliberately differs" added after a breaker
session compared minigluon with MXNet 1.9.1: each behaviour is checked here (the other rows have
their tests beside the operators)."""
import numpy as np

from minigluon import autograd, nd


def test_sign_of_nan_is_nan():
    np.testing.assert_array_equal(nd.sign(nd.array([np.nan, -2., 0., 3.])).asnumpy(),
                                  [np.nan, -1., 0., 1.])


def test_dropout_with_p_1_drops_everything_in_training():
    x = nd.ones((3, 4))
    with autograd.record():
        y = nd.Dropout(x, p=1.0)
    np.testing.assert_array_equal(y.asnumpy(), np.zeros((3, 4)))


def test_batchnorm_input_gradient_in_predict_mode_is_the_true_derivative():
    """Under ``record(train_mode=False)`` the output is ``gamma * (x - running_mean) /
    sqrt(running_var + eps) + beta``: its input gradient is ``gamma / sqrt(running_var + eps)``."""
    rng = np.random.RandomState(0)
    x = nd.array(rng.randn(4, 3))
    gamma, beta = nd.array([1., 2., 3.]), nd.array([0., 0., 0.])
    mean, var = nd.array([0.5, -1., 2.]), nd.array([4., 0.25, 1.])
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = nd.BatchNorm(x, gamma, beta, mean, var, eps=1e-5, fix_gamma=False)
    y.backward()
    want = np.broadcast_to(np.array([1., 2., 3.]) / np.sqrt(np.array([4., 0.25, 1.]) + 1e-5), (4, 3))
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-6)



def test_max_pooling_input_gradient_in_predict_mode_goes_to_each_window_maximum():
    """MXNet 1.9.1 (oneDNN, CPU) keeps no argmax workspace when max pooling runs under
    ``record(train_mode=False)`` and its backward then sends every window's gradient to the
    window's first (top-left) element, whatever the maximum (measured with the interop fuzzer:
    ``MaxPool2D(2)`` on a (1, 1, 4, 4) input puts the ones at (0, 0), (0, 2), (2, 0), (2, 2)).
    The gradient must reach the maximum of each window, as in training mode."""
    x_np = np.array([[0., 5., 1., 2.], [3., 4., 9., 6.], [7., 1., 8., 0.], [2., 3., 4., 9.]])
    head = np.array([[1., 2.], [3., 4.]])
    for train in (False, True):
        for ceil in (False, True):
            x = nd.array(x_np[None, None])
            x.attach_grad()
            with autograd.record(train_mode=train):
                y = nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max',
                               pooling_convention='full' if ceil else 'valid')
            y.backward(nd.array(head[None, None]))
            want = np.zeros((4, 4))
            for (i, j), h in np.ndenumerate(head):
                win = x_np[2 * i:2 * i + 2, 2 * j:2 * j + 2]
                a, b = np.unravel_index(np.argmax(win), (2, 2))
                want[2 * i + a, 2 * j + b] = h
            np.testing.assert_array_equal(y.asnumpy()[0, 0], [[5., 9.], [7., 9.]])
            np.testing.assert_array_equal(x.grad.asnumpy()[0, 0], want)

def test_a_boolean_numpy_index_is_a_mask():
    """MXNet 1.9.1 reads the booleans as the indices 1 and 0 (measured: shape (2, 3, 4))."""
    a = nd.arange(24).reshape((2, 3, 4))
    np.testing.assert_array_equal(a[np.array([True, False])].asnumpy(),
                                  np.arange(24).reshape(2, 3, 4)[:1])
    b = nd.arange(6)
    x = b.copy()
    x.attach_grad()
    with autograd.record():
        y = x[np.array([True, False, True, False, False, True])]
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), [0, 2, 5])
    np.testing.assert_array_equal(x.grad.asnumpy(), [1, 0, 1, 0, 0, 1])


def test_integer_mean_is_the_mean_of_the_values_while_sum_wraps():
    """MXNet 1.9.1: sum 4 (wrapped), mean 1 (the wrapped sum over 3); minigluon's mean is 86."""
    u8 = nd.array([250, 3, 7], dtype='uint8')
    assert u8.sum().asscalar() == 4 and u8.sum().dtype == np.uint8
    assert u8.mean().asscalar() == 86 and u8.mean().dtype == np.uint8


def test_batchnorm_frozen_by_grad_req_null_still_updates_its_statistics_in_training():
    """Running statistics move in the training forward pass (as with cuDNN); MXNet's CPU op moves
    them in a backward pass that a frozen first layer never runs. use_global_stats freezes them."""
    from minigluon import gluon
    x = nd.array([[1., 2.], [3., 4.]])
    for global_stats, want in ((False, [0.2, 0.3]), (True, [0., 0.])):
        bn = gluon.nn.BatchNorm(in_channels=2, use_global_stats=global_stats)
        bn.initialize()
        bn.collect_params().setattr('grad_req', 'null')
        with autograd.record():
            bn(x)
        np.testing.assert_allclose(bn.running_mean.data().asnumpy(), want, rtol=1e-6)


def test_advanced_index_with_negative_positions_sums_the_gradient_of_repeated_rows():
    """MXNet 1.9.1 keeps one head of a row selected twice through a negative position and
    segfaults on ``x[[-1]]``'s backward."""
    x = nd.arange(6).reshape((3, 2))
    x.attach_grad()
    with autograd.record():
        y = x[[1, -2, -1]]
    y.backward(nd.array([[1., 1.], [10., 10.], [100., 100.]]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 0], [11, 11], [100, 100]])


def test_integer_l2_norm_is_the_root_of_the_sum_of_squares():
    """MXNet 1.9.1 gives the largest absolute value (4 and 40)."""
    for v, want in (([3, 4], 5), ([30, 40], 50), ([-4, 5, 2, 3, -5, -3, -6, -2, -5], 12)):
        out = nd.norm(nd.array(v, dtype='int32'))
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out.asnumpy(), [want])


def test_sequence_last_without_lengths_sends_the_gradient_to_the_last_step():
    """MXNet 1.9.1 writes it into the first step (axis 0) or corrupts the heap (axis 1)."""
    for axis in (0, 1):
        x = nd.arange(18).reshape((3, 3, 2)).astype('float64')
        x.attach_grad()
        with autograd.record():
            y = nd.SequenceLast(x, axis=axis)
        y.backward(nd.ones_like(y))
        want = np.zeros((3, 3, 2))
        want[(slice(None),) * axis + (-1,)] = 1
        np.testing.assert_array_equal(x.grad.asnumpy(), want)
        np.testing.assert_array_equal(y.asnumpy(), np.arange(18.).reshape(3, 3, 2)[
            (slice(None),) * axis + (-1,)])


def test_flip_and_broadcast_axis_take_a_negative_axis():
    x = nd.array([[1., 2., 3.]])
    np.testing.assert_array_equal(nd.flip(x, axis=-1).asnumpy(), [[3., 2., 1.]])
    np.testing.assert_array_equal(nd.broadcast_axis(x.reshape((1, 3, 1)), axis=(0, -1),
                                                    size=(2, 2)).shape, (2, 3, 2))


def test_backward_with_the_same_head_twice_adds_both_head_gradients():
    """MXNet 1.9.1 keeps only the last head gradient given for an array that appears twice in
    ``heads`` (``[30, 300]`` here). That is why its eager ``LSTMCell`` / ``GRUCell`` / ``RNNCell``
    unroll, whose last output is the same array as the first new state, back-propagates
    differently from the hybridized cell (tools/fuzz_gluon_layers.py)."""
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = x * 3
    autograd.backward([y, y], [nd.array([1., 1.]), nd.array([10., 100.])])
    np.testing.assert_array_equal(x.grad.asnumpy(), [33., 303.])


def test_unrolled_cell_gradient_is_the_same_eager_and_hybridized():
    from minigluon.gluon import rnn
    rng = np.random.RandomState(3)
    x = rng.randn(2, 3, 4).astype(np.float32)
    grads = []
    for hybrid in (False, True):
        cell = rnn.LSTMCell(3, input_size=4, prefix='l_')
        cell.initialize()
        for p in cell.collect_params().values():
            p.set_data(nd.array(np.random.RandomState(len(p.name)).randn(*p.shape) * 0.5))
        if hybrid:
            cell.hybridize()
        xa = nd.array(x)
        xa.attach_grad()
        with autograd.record():
            outs, states = cell.unroll(3, xa, layout='NTC', merge_outputs=False)
        heads = outs + states
        autograd.backward(heads, [nd.ones(h.shape) for h in heads])
        grads.append(xa.grad.asnumpy())
    # the last output and the first state are one value: both heads count
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_dilated_deconvolution_is_the_adjoint_of_the_dilated_convolution():
    """MXNet 1.9.1's reference CPU ``Deconvolution`` (float64, or float32 with MKL-DNN off) is
    wrong when ``dilate > 1``; its MKL-DNN float32 kernel and minigluon compute the adjoint of
    ``Convolution``: <deconv(x, w), y> == <x, conv(y, w)>."""
    rng = np.random.RandomState(0)
    for dtype in ('float32', 'float64'):
        x = nd.array(rng.randn(2, 3, 4, 3), dtype=dtype)
        w = nd.array(rng.randn(3, 2, 2, 3), dtype=dtype)
        kw = dict(kernel=(2, 3), stride=(2, 1), dilate=(2, 2), pad=(1, 1))
        out = nd.Deconvolution(x, w, num_filter=2, no_bias=True, **kw)
        y = nd.array(rng.randn(*out.shape), dtype=dtype)
        back = nd.Convolution(y, w, num_filter=3, no_bias=True, **kw)
        assert back.shape == x.shape
        np.testing.assert_allclose((out * y).sum().asscalar(), (x * back).sum().asscalar(),
                                   rtol=1e-4 if dtype == 'float32' else 1e-10)


def test_rnn_cells_cast_to_float64_unroll():
    """MXNet 1.9.1's cells start from float32 zero states whatever the cell's dtype, so a cell
    cast to float64 fails in ``unroll`` ("expected float32, got float64")."""
    from minigluon.gluon import rnn
    for cell in (rnn.LSTMCell(3, input_size=2), rnn.GRUCell(3, input_size=2),
                 rnn.RNNCell(3, input_size=2)):
        cell.cast('float64')
        cell.initialize()
        outs, states = cell.unroll(2, nd.ones((1, 2, 2), dtype='float64'), layout='NTC',
                                   merge_outputs=True)
        assert outs.dtype == np.float64 and all(s.dtype == np.float64 for s in states)
