"""Round 3 of hybridized speed: operators told which inputs need a gradient
(``op.needs_input_grad``, set by autograd and by CachedOp), static_alloc workspaces for
Convolution and Pooling, and a Convolution read only by Pooling keeping its channel-first layout.
Values and gradients must stay exactly those of eager mode."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.ops.conv import Convolution, Pooling


def _net(channels, pool_kernel=(2, 2)):
    x = sym.var('x')
    c = sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=16, name='conv')
    r = sym.Activation(c, act_type='relu', name='relu')
    p = sym.Pooling(r, kernel=pool_kernel, stride=(2, 2), pool_type='max', name='pool')
    c2 = sym.Convolution(p, kernel=(3, 3), pad=(1, 1), num_filter=4, name='conv2')
    return sym.FullyConnected(c2, num_hidden=3, name='fc')


def _values(rng, channels, dtype=np.float64):
    shapes = [(2, channels, 6, 8), (16, channels, 3, 3), (16,), (4, 16, 3, 3), (4,), (3, 4 * 12), (3,)]
    return [rng.randn(*s).astype(dtype) for s in shapes]


def _eager(args):
    x, w, b, w2, b2, fw, fb = args
    c = nd.Convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=16)
    p = nd.Pooling(nd.Activation(c, act_type='relu'), kernel=(2, 2), stride=(2, 2), pool_type='max')
    c2 = nd.Convolution(p, w2, b2, kernel=(3, 3), pad=(1, 1), num_filter=4)
    return nd.FullyConnected(c2, fw, fb, num_hidden=3)


def _grads(fn, values, wants):
    args = [nd.array(v, dtype=v.dtype) for v in values]
    for a, w in zip(args, wants):
        if w:
            a.attach_grad()
    with autograd.record():
        out = fn(*args) if isinstance(fn, CachedOp) else fn(args)
        out = out[0] if isinstance(out, list) else out
    out.backward()
    return out.asnumpy(), [a.grad.asnumpy() if w else None for a, w in zip(args, wants)]


@pytest.mark.parametrize('channels', [1, 16])          # im2col of the batch / one GEMM per image
@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_image_without_gradient_static_alloc_equals_eager(channels, dtype):
    values = _values(np.random.RandomState(channels), channels, dtype)
    wants = [False] + [True] * 6                       # the image needs no gradient
    op = CachedOp(_net(channels), [('static_alloc', True)])
    want = _grads(_eager, values, wants)
    for _ in range(2):                                 # the second call reuses the workspaces
        got = _grads(op, values, wants)
        np.testing.assert_array_equal(got[0], want[0])
        for g, w in zip(got[1][1:], want[1][1:]):
            np.testing.assert_array_equal(g, w)
    names = {}
    for (_, i), ws in op._workspaces.items():
        name = op._exec_plan[i].cls.__name__
        names[name] = names.get(name, set()) | set(ws)
    # static_alloc max pooling keeps its winners from the forward (ops/pooling.py, keep_argmax);
    # the NumPy passes also keep masks ('hit', 'term'), the compiled 2x2 kernels need none. Here
    # the convolution, its relu and the 2x2 pooling are one step (ops/_conv_pool_relu.py), which
    # keeps them in its own workspace (or, running unfused, in the Pooling's: 'pool')
    assert {'argpos', 'out'} <= names['ConvMaxPoolRelu'] or 'pool' in names['ConvMaxPoolRelu']


@pytest.mark.parametrize('channels', [1, 16])
def test_convolution_backward_skips_unneeded_gradients(channels):
    rng = np.random.RandomState(3)
    x, w, b = rng.randn(2, channels, 5, 6), rng.randn(4, channels, 3, 3), rng.randn(4)
    full = Convolution(kernel=(3, 3), pad=(1, 1), num_filter=4)
    y = full.forward(np, x, w, b)
    g = rng.randn(*y.shape)
    gx, gw, gb = full.backward(np, g)
    part = Convolution(kernel=(3, 3), pad=(1, 1), num_filter=4)
    part.forward(np, x, w, b)
    part.needs_input_grad = (False, True, True)
    px, pw, pb = part.backward(np, g)
    assert px is None
    np.testing.assert_array_equal(pw, gw)
    np.testing.assert_array_equal(pb, gb)
    part.forward(np, x, w, b)
    part.needs_input_grad = (True, False, False)
    px, pw, _ = part.backward(np, g)
    assert pw is None
    np.testing.assert_array_equal(px, gx)


def test_autograd_tells_operators_which_inputs_need_a_gradient():
    seen = []
    orig = Convolution.backward

    def spy(self, xp, grad):
        seen.append(self.needs_input_grad)
        return orig(self, xp, grad)
    x, w, b = nd.ones((1, 1, 4, 4)), nd.ones((2, 1, 3, 3)), nd.zeros((2,))
    w.attach_grad()
    Convolution.backward = spy
    try:
        with autograd.record():
            y = nd.Convolution(x, w, b, kernel=(3, 3), num_filter=2)
        y.backward()
    finally:
        Convolution.backward = orig
    assert seen == [(False, True, False)]
    assert w.grad.asnumpy().sum() == 2 * 9 * 4        # every output position reads each weight once


def test_convolution_read_only_by_pooling_keeps_its_layout_in_the_plan_only():
    op = CachedOp(_net(1, pool_kernel=(3, 3)))     # (a 2x2 pool would take the conv into its step)
    flags = {s.name: s.layout_free for s in op._exec_plan}
    assert flags['conv'] and not flags['conv2']        # conv2 is read by FullyConnected
    x = sym.var('x')
    c = sym.Convolution(x, kernel=(3, 3), num_filter=2, name='c')
    both = sym.Group([sym.Pooling(c, kernel=(2, 2), pool_type='max', name='p'), c])
    assert not any(s.layout_free for s in CachedOp(both)._exec_plan)   # c is also an output
    # on a GPU (the CuPy stand-in) the flag keeps the GEMM's channel-first memory: a view
    from cupy_emulation import fakecupy
    out = Convolution(kernel=(3, 3), num_filter=2)
    out.strided_output_ok = True
    y = out.forward(fakecupy, fakecupy.ones((2, 1, 4, 4)), fakecupy.ones((2, 1, 3, 3)),
                    fakecupy.zeros(2))
    assert y.shape == (2, 2, 2, 2) and not y.flags.c_contiguous
    np.testing.assert_array_equal(fakecupy.asnumpy(y), 9.0)
    # on NumPy one GEMM per image writes the batch-first output directly: the flag changes nothing
    y = out.forward(np, np.ones((2, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.zeros(2))
    assert y.shape == (2, 2, 2, 2) and y.flags.c_contiguous
    np.testing.assert_array_equal(y, 9.0)


def test_pooling_gradient_keeps_the_memory_order_of_its_input():
    x = np.random.RandomState(0).randn(3, 2, 4, 4).transpose(1, 0, 2, 3)    # channel-first memory
    pool = Pooling(kernel=(2, 2), stride=(2, 2), pool_type='max')
    y = pool.forward(np, x)
    gx, = pool.backward(np, np.ones_like(y))
    assert gx.strides == x.strides
    eager = Pooling(kernel=(2, 2), stride=(2, 2), pool_type='max')
    eager.forward(np, np.ascontiguousarray(x))
    np.testing.assert_array_equal(gx, eager.backward(np, np.ones_like(y))[0])
