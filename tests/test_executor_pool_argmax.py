"""Max pooling under a static_alloc CachedOp keeps each window's winning kernel position from the
forward (``keep_argmax``) so the backward needs no recomputed maxima: outputs and gradients must be
bit-identical to eager's (first maximum on ties, first NaN in NaN windows), with padding and
overlapping windows, and the kept positions must be reused only once their graph is gone."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.ops.pooling import Pooling

CASES = [((2, 2), (2, 2), (0, 0)),     # disjoint windows tiling the input (no zero fill)
         ((2, 2), (2, 2), (1, 1)),     # tiling the padded input
         ((3, 3), (1, 1), (1, 1)),     # overlapping windows, padding
         ((3, 2), (2, 1), (1, 0)),     # overlapping in one dimension
         ((2, 2), (3, 3), (0, 0))]     # gaps between windows


def _values(rng, dtype, nan=False):
    x = rng.randint(0, 3, size=(2, 3, 7, 8)).astype(dtype)     # small integers: ties everywhere
    if nan:
        x[0, 0, 1, 1] = np.nan
        x[1, 2, 3:5, 4:6] = np.nan
    return x


def _eager(x, head, k, s, p, keep=False):
    """Eager output and gradient; ``keep=False`` takes the backward that recomputes the maxima
    (the reference), ``keep=True`` the kept positions that recorded eager calls use."""
    saved = Pooling.needs_grad_hint
    Pooling.needs_grad_hint = keep
    try:
        return _eager_run(x, head, k, s, p)
    finally:
        Pooling.needs_grad_hint = saved


def _eager_run(x, head, k, s, p):
    xa = nd.array(x, dtype=x.dtype)
    xa.attach_grad()
    with autograd.record():
        y = nd.Pooling(xa, kernel=k, stride=s, pad=p, pool_type='max')
    y.backward(nd.array(head, dtype=head.dtype))
    return y.asnumpy(), xa.grad.asnumpy()


def _graph(k, s, p):
    return sym.Pooling(sym.var('x'), kernel=k, stride=s, pad=p, pool_type='max', name='pool')


def _hybrid(op, x, head):
    xa = nd.array(x, dtype=x.dtype)
    xa.attach_grad()
    with autograd.record():
        y, = op(xa)
    y.backward(nd.array(head, dtype=head.dtype))
    return y.asnumpy(), xa.grad.asnumpy()


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
@pytest.mark.parametrize('nan', [False, True])
@pytest.mark.parametrize('k,s,p', CASES)
def test_kept_argmax_equals_eager_bit_for_bit(k, s, p, nan, dtype):
    rng = np.random.RandomState(3)
    x = _values(rng, dtype, nan)
    op = CachedOp(_graph(k, s, p), [('static_alloc', True)])
    assert op._exec_plan[0].argmax_ok
    for step in range(3):           # later steps reuse the workspace buffers
        out_shape = nd.Pooling(nd.array(x, dtype=x.dtype), kernel=k, stride=s, pad=p,
                               pool_type='max').shape
        head = rng.randn(*out_shape).astype(dtype)
        ye, ge = _eager(x, head, k, s, p)
        for yh, gh in (_hybrid(op, x, head), _eager(x, head, k, s, p, keep=True)):
            np.testing.assert_array_equal(yh, ye)
            np.testing.assert_array_equal(gh, ge)       # NaN positions equal too
            assert gh.dtype == ge.dtype == dtype


def test_argmax_is_kept_only_when_a_gradient_is_wanted(monkeypatch):
    seen = []
    orig = Pooling.forward

    def spy(self, xp, data):
        res = orig(self, xp, data)
        seen.append(getattr(self, 'argpos', None) is not None)
        return res

    monkeypatch.setattr(Pooling, 'forward', spy)
    x = nd.array(_values(np.random.RandomState(0), np.float32))
    static = CachedOp(_graph((2, 2), (2, 2), (0, 0)), [('static_alloc', True)])
    plain = CachedOp(_graph((2, 2), (2, 2), (0, 0)))
    static(x)                                    # not recording
    with autograd.record():
        static(x)                                # recording, but x wants no gradient
    nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')         # eager, not recording
    x.attach_grad()
    with autograd.record():
        plain(x)                                 # no static_alloc workspace: a fresh array
        nd.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type='max')     # eager, recorded
        static(x)
        nd.Pooling(x.detach(), kernel=(2, 2), stride=(2, 2), pool_type='max')   # no gradient
    assert seen == [False, False, False, True, True, True, False]


def test_kept_positions_are_reused_only_when_their_graph_is_gone():
    rng = np.random.RandomState(1)
    x = nd.array(rng.rand(2, 2, 6, 6).astype(np.float32))
    x.attach_grad()
    op = CachedOp(_graph((2, 2), (2, 2), (0, 0)), [('static_alloc', True)])
    ws = lambda: next(iter(op._workspaces.values()))
    with autograd.record():
        y1, = op(x)
    first = ws()['argpos']
    with autograd.record():                      # y1's graph still waits for its backward
        y2, = op(x * -1)
    assert ws()['argpos'] is not first           # a new buffer: the pending one is not overwritten
    y1.backward()
    g1 = x.grad.asnumpy().copy()
    y2.backward()
    g2 = x.grad.asnumpy()
    x_np = x.asnumpy()
    for g, v, sign in ((g1, x_np, 1), (g2, -x_np, -1)):   # distinct values: one winner per window
        win = v.reshape(2, 2, 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 2, 3, 3, 4)
        ref = (win == win.max(axis=-1, keepdims=True)).astype(np.float32)
        ref = ref.reshape(2, 2, 3, 3, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(2, 2, 6, 6)
        np.testing.assert_array_equal(g, sign * ref)     # d(-x)/dx = -1
    second = id(ws()['argpos'])                  # no reference kept: it would make the buffer busy
    with autograd.record():                      # both graphs are done: the buffer is free again
        op(x)
    assert id(ws()['argpos']) == second


def test_exported_graph_is_unchanged():
    graph = _graph((3, 3), (1, 1), (1, 1))
    before = graph.tojson()
    op = CachedOp(graph, [('static_alloc', True)])
    x = nd.array(np.random.RandomState(2).rand(1, 2, 5, 5))
    x.attach_grad()
    with autograd.record():
        y, = op(x)
    y.backward()
    assert graph.tojson() == before
