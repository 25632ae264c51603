import threading

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.test_utils import assert_almost_equal


def test_scope_flags_nest_and_restore():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            with autograd.train_mode():
                assert autograd.is_training() and not autograd.is_recording()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
        assert autograd.is_recording() and autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()


def test_set_recording_and_training_return_previous():
    assert autograd.set_recording(True) is False
    assert autograd.set_recording(False) is True
    assert autograd.set_training(True) is False
    assert autograd.set_training(False) is True


def test_flags_restored_after_exception():
    with pytest.raises(RuntimeError):
        with autograd.record():
            raise RuntimeError('boom')
    assert not autograd.is_recording()


def test_nothing_recorded_outside_record_or_inside_pause():
    x = nd.array([1., 2.])
    x.attach_grad()
    y = x * 2
    with pytest.raises(MXNetError, match='record'):
        y.backward()
    with autograd.record():
        with autograd.pause():
            z = x * 3
        w = x * 4
    with pytest.raises(MXNetError, match='cannot differentiate an array that was not computed inside'):
        z.backward()
    w.backward()
    assert x.grad.asnumpy().tolist() == [4., 4.]


@pytest.mark.parametrize('req,expect', [('write', [2., 4.]), ('add', [3., 6.])])
def test_grad_req(req, expect):
    x = nd.array([1., 2.])
    x.attach_grad(grad_req=req)
    x.grad[:] = nd.array([1., 2.])          # pre-existing content of the buffer
    with autograd.record():
        y = x * x
    y.backward()
    assert x.grad.asnumpy().tolist() == expect


def test_grad_req_null_keeps_a_zero_buffer_that_backward_never_writes():
    """MXNet 1.9.1's attach_grad('null') (tests/fixtures/autograd_fuzz, attach_grad_null, has
    MXNet's numbers): a zero ``.grad``, operations recorded, no gradient sent to it; the backward
    that goes through it frees it (``.grad`` None). Expected values by hand."""
    x = nd.array([1., 2.])
    x.attach_grad(grad_req='null')
    assert x.grad.asnumpy().tolist() == [0., 0.]
    w = nd.array([1., 1.])
    w.attach_grad()
    with autograd.record():
        y = x * x * w
        z = x * 2
    with pytest.raises(MXNetError, match='requires a gradient'):
        z.backward()                 # nothing below z wants a gradient
    y.backward()
    assert w.grad.asnumpy().tolist() == [1., 4.] and x.grad is None
    with pytest.raises(MXNetError, match="grad_req='null'"):
        x.attach_grad(grad_req='null')
        with autograd.record():
            y = x * w
        autograd.grad([y], [x])
    g = nd.ones((2,))
    autograd.mark_variables([x], [g], 'null')   # a buffer with req null is never written
    with autograd.record():
        y = x * w
    y.backward()
    assert g.asnumpy().tolist() == [1., 1.] and w.grad.asnumpy().tolist() == [1., 2.]


def test_grad_req_add_accumulates_over_backwards():
    x = nd.array([1., 2.])
    x.attach_grad(grad_req='add')
    for _ in range(3):
        with autograd.record():
            y = 2 * x
        y.backward()
    assert x.grad.asnumpy().tolist() == [6., 6.]


def test_fan_out_accumulates():
    x = nd.array([1., 2., 3.])
    x.attach_grad()
    with autograd.record():
        a = x * 2
        y = a * a + a + nd.exp(a) * x
    y.backward()
    xv = x.asnumpy()
    want = 8 * xv + 2 + np.exp(2 * xv) * (2 * xv + 1)
    assert_almost_equal(x.grad, want, rtol=1e-5)


def test_head_gradients_and_multiple_heads():
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y1 = x * 3
        y2 = x * x
    autograd.backward([y1, y2], [nd.array([1., 0.]), nd.array([0.5, 2.])])
    assert x.grad.asnumpy().tolist() == [3. + 1., 8.]


def test_autograd_grad_returns_without_touching_buffers():
    x = nd.array([1., 2.])
    w = nd.array([3., 4.])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = (x * w).sum()
    gx, gw = autograd.grad(y, [x, w])
    assert gx.asnumpy().tolist() == [3., 4.] and gw.asnumpy().tolist() == [1., 2.]
    assert x.grad.asnumpy().tolist() == [0., 0.]
    with autograd.record():
        y = x * x
    single = autograd.grad(y, x)          # a list of one, as MXNet returns
    assert isinstance(single, list) and single[0].asnumpy().tolist() == [2., 4.]
    # create_graph=True: the first-order gradient (retain_graph defaults to create_graph, as in
    # MXNet), on the tape as an operation whose backward raises (no higher-order gradients)
    with autograd.record():
        y = x * x
        gx, = autograd.grad(y, [x], create_graph=True)
        again, = autograd.grad(y, [x])          # the graph was retained
        penalty = (gx * gx).sum()
    assert gx.asnumpy().tolist() == [2., 4.] and again.asnumpy().tolist() == [2., 4.]
    with pytest.raises(MXNetError, match='create_graph'):
        penalty.backward()


@pytest.mark.parametrize('create_graph', [False, True])
def test_grad_of_no_variables_is_refused_as_in_mxnet(create_graph):
    """MXNet 1.9.1 asserts "variables cannot be an empty list." (reviewer20: minigluon returned
    [], and with create_graph=True while recording failed with an IndexError)."""
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
        with pytest.raises(AssertionError, match='variables cannot be an empty list'):
            autograd.grad(y, [], create_graph=create_graph)
    assert autograd.grad(y, [x])[0].asnumpy().tolist() == [2., 4.]     # the graph is intact


def test_mark_variables():
    x = nd.array([1., 2.])
    g = nd.zeros((2,))
    autograd.mark_variables([x], [g], 'write')
    with autograd.record():
        y = x * 5
    y.backward()
    assert g.asnumpy().tolist() == [5., 5.] and x.grad is g
    with pytest.raises(ValueError, match='grad_req'):
        autograd.mark_variables([x], [g], 'sometimes')
    with pytest.raises(ValueError, match='shape'):
        autograd.mark_variables([x], [nd.zeros((3,))])


class _Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y, = self.saved_tensors
        return dy * y * (1 - y)


class _Scale2(autograd.Function):
    def forward(self, a, b):
        return a * 2, b * 3

    def backward(self, da, db):
        return da * 2, db * 3


def test_custom_function_single_and_multi_output():
    x = nd.array([-1., 0., 2.])
    x.attach_grad()
    with autograd.record():
        y = _Sigmoid()(x) * 2
    y.backward()
    s = 1 / (1 + np.exp(-x.asnumpy()))
    assert_almost_equal(x.grad, 2 * s * (1 - s), rtol=1e-5)
    a, b = nd.array([1.]), nd.array([1.])
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        p, q = _Scale2()(a, b)
        z = p + q * q
    z.backward()
    assert a.grad.asnumpy().tolist() == [2.] and b.grad.asnumpy().tolist() == [18.]


def test_second_backward_needs_retain_graph():
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.asnumpy().tolist() == [2., 4.]
    with pytest.raises(MXNetError, match='retain_graph=True'):
        y.backward()


def test_backward_frees_the_nodes_no_gradient_reached():
    # ctc_loss sends no gradient to its labels: the recorded operator that made them is behind
    # the head all the same, and MXNet 1.9.1 frees it ("Cannot differentiate node" on a second
    # backward from the labels); minigluon left it on the tape and ran the second backward
    x = nd.array([[0.5, 1.5]])
    x.attach_grad()
    data = nd.array(np.random.RandomState(0).rand(3, 1, 3))
    data.attach_grad()
    with autograd.record():
        labels = nd.round(x * 1)
        loss = nd.contrib.ctc_loss(data, labels)
    loss.backward()
    with pytest.raises(MXNetError, match='retain_graph=True'):
        labels.backward()


def test_an_array_of_a_freed_graph_is_a_constant_in_later_recordings():
    # MXNet 1.9.1 forgets the graph of every array a backward went through: reusing such an array
    # (a recurrent state carried to the next batch, with no detach) records it as a constant.
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        h = x * 2
        y = h * 3
    y.backward()
    with autograd.record():
        z = h * x            # h joins a multi-input node whose other input is a variable
    z.backward()
    assert x.grad.asnumpy().tolist() == h.asnumpy().tolist()
    with autograd.record():
        w = y * x            # the old head too
    w.backward()
    assert x.grad.asnumpy().tolist() == y.asnumpy().tolist()


def test_a_freed_state_entering_a_multi_output_operator_is_a_constant():
    from minigluon.gluon import rnn
    layer = rnn.GRU(3)
    layer.initialize()
    state = layer.begin_state(batch_size=2)
    grads = []
    for _ in range(2):
        with autograd.record():
            out, state = layer(nd.ones((4, 2, 5)), state)   # state: an unused output of the node
            loss = out.sum()
        loss.backward()
        grads.append(layer.l0_i2h_weight.grad().asnumpy().copy())
    assert np.isfinite(grads[1]).all() and not np.allclose(grads[0], grads[1])


def test_a_node_recorded_before_its_input_was_freed_still_raises():
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        h = x * 2
        a = h * 3
        b = h * 4
    a.backward()
    with pytest.raises(MXNetError, match='freed'):
        b.backward()


def test_retained_graph_still_carries_gradients_into_later_recordings():
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        h = x * 2
        a = h * 3
    a.backward(retain_graph=True)
    with autograd.record():
        z = h * x
    z.backward()
    assert x.grad.asnumpy().tolist() == (4 * x).asnumpy().tolist()


def test_long_chain_back_propagates_without_recursion():
    x = nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = x
        for _ in range(100000):
            y = y + 1e-6
    y.backward()
    assert x.grad.asnumpy().tolist() == [1.0]


def test_recording_is_thread_local():
    started, checked = threading.Event(), threading.Event()
    seen = {}

    def worker():
        started.wait()
        seen['recording'] = autograd.is_recording()
        a = nd.array([1.])
        a.attach_grad()
        with autograd.record():
            b = a * 7
        b.backward()
        seen['grad'] = a.grad.asnumpy().tolist()
        checked.set()

    t = threading.Thread(target=worker)
    t.start()
    x = nd.array([2.])
    x.attach_grad()
    with autograd.record():
        started.set()
        checked.wait(10)
        y = x * 3
    t.join()
    y.backward()
    assert seen == {'recording': False, 'grad': [7.]}
    assert x.grad.asnumpy().tolist() == [3.]


def test_detach_cuts_the_graph():
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = x.detach() * x
    y.backward()
    assert x.grad.asnumpy().tolist() == [1., 2.]


@pytest.mark.parametrize('make', [
    lambda x: nd.argmax(x * 3, axis=1),               # integer-valued op output as the head
    lambda x: (x > 0) * 2,                            # a comparison, then a differentiable op
    lambda x: nd.contrib.arange_like(x),
    lambda x: nd.shape_array(x + 1),
])
def test_backward_from_a_non_differentiable_head_writes_zero_gradients(make):
    # MXNet 1.9.1 records argmax, comparisons, arange_like and shape_array with zero gradients:
    # backward from them writes zeros ('write') or leaves the buffer alone ('add'); checked
    # against MXNet 1.9.1 (x.grad all zeros, 'add' keeps 7, autograd.grad returns zeros).
    x = nd.ones((2, 3))
    x.attach_grad()
    x.grad[:] = 7
    with autograd.record():
        y = make(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.zeros((2, 3)))
    w = nd.ones((2, 3))
    w.attach_grad(grad_req='add')
    w.grad[:] = 7
    with autograd.record():
        y = make(w)
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), np.full((2, 3), 7.0))
    with autograd.record():
        y = make(x)
    np.testing.assert_array_equal(autograd.grad(y, [x])[0].asnumpy(), np.zeros((2, 3)))


@pytest.mark.parametrize('static', [False, True])
def test_backward_from_a_hybridized_argmax_writes_zero_gradients(static):
    from minigluon import gluon

    class ArgMax(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.argmax(x * 2, axis=1)

    net = ArgMax()
    net.hybridize(static_alloc=static, static_shape=static)
    x = nd.ones((2, 3))
    x.attach_grad()
    x.grad[:] = 7
    with autograd.record():
        y = net(x)
    y.backward()                         # MXNet 1.9.1: zeros
    np.testing.assert_array_equal(x.grad.asnumpy(), np.zeros((2, 3)))


def test_backward_from_an_array_computed_outside_record_still_raises():
    x = nd.ones((2, 3))
    x.attach_grad()
    y = x > 0                            # not recorded: no graph to go back through
    with pytest.raises(MXNetError, match='not computed inside'):
        y.backward()
    z = nd.ones((2, 3))
    with autograd.record():
        y = z > 0                        # recorded, but nothing in it wants a gradient
    with pytest.raises(MXNetError, match='not computed inside'):
        y.backward()


def test_zero_gradient_path_keeps_each_recorded_source_once():
    # A chain reusing one argmax result (m = m + m, twenty times) kept a list of 2**20 references
    # to the same recorded array, and backward built one zero array per entry.
    x = nd.ones((2, 3))
    x.attach_grad()
    x.grad[:] = 7
    with autograd.record():
        m = nd.argmax(x * 2, axis=1)
        for _ in range(20):
            m = m + m
        m = m + (x > 0).sum(axis=1)
    assert len(m._zero_src) == 2          # the recorded x * 2 and the variable x, once each
    m.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.zeros((2, 3)))


def test_cast_from_an_integer_array_passes_the_gradient_back_truncated():
    """MXNet 1.9.1 (measured): an int32 leaf gets ``cast``'s gradient cast back to int32, as from
    any other operator (found by a breaker: minigluon once gave zeros through cast only)."""
    for op, scale, want in ((lambda x: x.astype('float32'), 2.0, [2, 2, 2]),
                            (lambda x: nd.cast(x, 'float64'), 2.5, [2, 2, 2])):
        x = nd.array([1, 2, 3], dtype='int32')
        x.attach_grad()
        with autograd.record():
            y = (op(x) * scale).sum()
        y.backward()
        assert x.grad.dtype == np.int32
        np.testing.assert_array_equal(x.grad.asnumpy(), want)


def test_function_gradient_of_the_wrong_shape_is_an_error():
    class Transposed(autograd.Function):
        def forward(self, x):
            return x * 1

        def backward(self, dy):
            return dy.T

    x = nd.ones((3, 4))
    x.attach_grad()
    with autograd.record():
        y = Transposed()(x)
    with pytest.raises(MXNetError, match=r'Transposed.backward returned a gradient of shape '
                                         r'\(4, 3\) for input 0, whose shape is \(3, 4\)'):
        y.backward()


def test_stop_gradient_over_batch_dot_of_a_stopped_array():
    """The dynamic-routing loop of Gluon CapsNet ports (sxhxliang/CapsNet_Mxnet): the routing
    logits ``b = stop_gradient(b + batch_dot(stop_gradient(u), v(u)))`` weight ``u`` in the
    output. MXNet 1.9.1 dies in this backward pass (segmentation fault, with or without
    MKL-DNN; the smallest case is ``stop_gradient(batch_dot(stop_gradient(u), u * 2) + 1)``);
    here the stopped branch gets no gradient and ``u`` gets ``b``."""
    u0 = nd.array(np.arange(12.0).reshape(3, 4, 1) / 10)
    u0.attach_grad()
    with autograd.record():
        u = u0 * 1
        p = nd.batch_dot(nd.stop_gradient(u), u * 2, transpose_a=True)      # (3, 1, 1)
        b = nd.stop_gradient(p + 1)
        y = (b * u).sum()
    y.backward()
    want = np.broadcast_to(2 * (u0.asnumpy() ** 2).sum(axis=1, keepdims=True) + 1, (3, 4, 1))
    np.testing.assert_allclose(u0.grad.asnumpy(), want, rtol=1e-6)


def test_backward_names_a_head_or_head_gradient_that_is_not_an_ndarray():
    # a number or list among the heads (a loss function returning (loss, 3), as old
    # contrib.autograd code may) raised AttributeError "'int' object has no attribute '_xp'"
    # from inside the tape (MXNet 1.9.1: "... no attribute 'handle'")
    x = nd.array([1., 2.])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    with pytest.raises(TypeError, match=r'heads\[1\] must be an NDArray, got int'):
        autograd.backward([y, 3])
    with pytest.raises(TypeError, match=r'head_grads\[0\] must be an NDArray or None, got ndarray'):
        autograd.backward([y], [np.ones(2)])
    autograd.backward([y], [None])        # the checks freed nothing
    assert x.grad.asnumpy().tolist() == [2.0, 2.0]


def test_mark_variables_refuses_one_variable_with_a_list_of_buffers():
    # was an AttributeError ('list' object has no attribute 'shape'); MXNet 1.9.1 asserts
    x = nd.ones((2,))
    with pytest.raises(TypeError, match='both be NDArrays or both lists'):
        autograd.mark_variables(x, [nd.zeros((2,))])
    with pytest.raises(TypeError, match='both be NDArrays or both lists'):
        autograd.mark_variables([x], nd.zeros((2,)))


@pytest.mark.parametrize('case', ['ctc_label', 'one_hot_indices'])
def test_an_input_without_a_gradient_keeps_its_buffer_eager_and_gets_zeros_hybridized(case):
    """An array with attach_grad() that reaches the head only through an input that has no
    gradient (CTC's labels, one_hot's indices): eager backward leaves its buffer as it was,
    a hybridized block's backward writes zeros (the CachedOp gives every input on a gradient
    path a gradient). MXNet 1.9.1 has no one rule here: zeros for one_hot in eager mode, the old
    buffer for nd.contrib.ctc_loss called directly, uninitialised memory for ctc_loss inside a
    HybridBlock (measured; docs/PORTING.md)."""
    from minigluon import gluon

    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            if case == 'ctc_label':
                return F.contrib.ctc_loss(a.reshape((2, 1, 3)), b.reshape((1, 2)))
            return F.one_hot(b, 3) * a

    for hybridize, want in ((False, 5.0), (True, 0.0)):
        a = nd.array(np.arange(6).reshape(2, 3) / 10.0)
        b = nd.array([1, 0])
        a.attach_grad()
        b.attach_grad()
        b.grad[:] = 5
        net = Net()
        if hybridize:
            net.hybridize(static_alloc=True)
        with autograd.record():
            y = net(a, b)
        y.backward()
        assert a.grad.asnumpy().any()            # the differentiable input got its gradient
        assert b.grad.asnumpy().tolist() == [want, want]
