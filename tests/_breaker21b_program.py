"""Programs run on minigluon by tests/test_breaker21b_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker21b_fixtures.py (``mx`` is either package): each returns JSON-able results,
an error recorded as ``'error'``.

They aim at the CTC loss with activations whose log-probabilities are beyond -1e29 (large but
finite float32 logits), and at autograd through copies onto another context (``copyto``,
``as_in_context``, ``x[:] = y`` between ``cpu(0)`` and ``cpu(1)``, which MXNet records as
``_copyto``)."""
import numpy as np

from _breaker20_program import _raised

# --- CTC with huge activations ---------------------------------------------------------------

CTC_SCALES = (1e28, 1e29, 1e30, 1e33, 1e36)


def _ctc_activations(scale):
    """(N=2, T=4, C=3) float32 logits: a fixed normal draw times ``scale``."""
    x = np.random.RandomState(0).randn(2, 4, 3).astype('float32')
    return (x * np.float32(scale)).astype('float32')


def ctc_huge_activations(mx):
    """For each scale of :data:`CTC_SCALES`: the loss of ``nd.CTCLoss`` (TNC data, blank last,
    labels [0, 1] and [1]), its gradient with respect to the data (head gradient ones), and the
    loss of ``gluon.loss.CTCLoss`` (NTC) on the same activations, as plain lists."""
    nd, autograd = mx.nd, mx.autograd
    label = [[0, 1], [1, -1]]

    def one(scale):
        x = _ctc_activations(scale)
        data = nd.array(x.transpose(1, 0, 2))
        data.attach_grad()
        with autograd.record():
            loss = nd.CTCLoss(data, nd.array(label), blank_label='last')
        loss.backward()
        block = mx.gluon.loss.CTCLoss()(nd.array(x), nd.array(label))
        return {'loss': loss.asnumpy().astype('float64').tolist(),
                'grad': data.grad.asnumpy().astype('float64').tolist(),
                'block_loss': block.asnumpy().astype('float64').tolist()}

    return {'%g' % s: _raised(lambda s=s: one(s)) for s in CTC_SCALES}


# --- autograd through copies onto another context ----------------------------------------------

def _through(mx, fn):
    """``a = [1, 2]`` on cpu(0) with a gradient buffer; ``z = sum(3 * fn(a) ** 2)`` recorded and
    back-propagated: ``[a.grad, str(fn(a).context), str(a.grad.context)]``."""
    a = mx.nd.array([1.0, 2.0], ctx=mx.cpu(0))
    a.attach_grad()
    with mx.autograd.record():
        y = fn(a)
        z = (y * y * 3).sum()
    z.backward()
    return [a.grad.asnumpy().tolist(), str(y.context), str(a.grad.context)]


def _round_trip(mx):
    """cpu(0) -> cpu(1) -> cpu(0) with the original joining the result again."""
    nd = mx.nd
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    with mx.autograd.record():
        b = a.as_in_context(mx.cpu(1)) * 2
        c = b.as_in_context(mx.cpu(0)) + a
        z = (c * c).sum()
    z.backward()
    return a.grad.asnumpy().tolist()


def _setitem_across(mx):
    """``b[:] = a * 2`` with ``b`` a plain array on cpu(1)."""
    nd = mx.nd
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    b = nd.zeros(2, ctx=mx.cpu(1))
    with mx.autograd.record():
        b[:] = a * 2
        z = (b * b).sum()
    z.backward()
    return a.grad.asnumpy().tolist()


def _autograd_grad_across(mx):
    """``autograd.grad`` through ``as_in_context``."""
    nd = mx.nd
    a = nd.array([1.0, 2.0])
    a.attach_grad()
    with mx.autograd.record():
        c = (a * 2).as_in_context(mx.cpu(2))
        z = (c * c).sum()
    return mx.autograd.grad(z, [a])[0].asnumpy().tolist()


def _dense_on_two_contexts(mx):
    """A Dense layer initialised on cpu(0) and cpu(1); the cpu(1) output is brought back to
    cpu(0) before the sum: each context's weight gradient."""
    net = mx.gluon.nn.Dense(2, in_units=2)
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init=mx.init.One())
    x = mx.nd.array([[1.0, 2.0]])
    with mx.autograd.record():
        y0 = net(x)
        y1 = net(x.as_in_context(mx.cpu(1)))
        z = y0.sum() + (y1 * 3).as_in_context(mx.cpu(0)).sum()
    z.backward()
    return [g.asnumpy().tolist() for g in net.weight.list_grad()]


def _split_and_load(mx, even):
    """``gluon.utils.split_and_load`` of a variable onto cpu(0) and cpu(1), each part's sum of
    squares brought back to cpu(0)."""
    a = mx.nd.arange(8 if even else 6).reshape((-1, 2))
    a.attach_grad()
    with mx.autograd.record():
        parts = mx.gluon.utils.split_and_load(a, [mx.cpu(0), mx.cpu(1)], even_split=even)
        z = sum((p * p).sum().as_in_context(mx.cpu(0)) for p in parts)
    z.backward()
    return [a.grad.asnumpy().tolist(), [str(p.context) for p in parts]]


def copies_across_contexts(mx):
    """Gradients through each way of copying an array onto a context while recording."""
    nd = mx.nd
    cases = {
        'copyto_same_context': lambda a: a.copyto(mx.cpu(0)),
        'copyto_other_context': lambda a: a.copyto(mx.cpu(1)),
        'as_in_context_other': lambda a: a.as_in_context(mx.cpu(1)),
        'as_in_context_same': lambda a: a.as_in_context(mx.cpu(0)),
        'copyto_array_on_other_context': lambda a: a.copyto(nd.zeros(2, ctx=mx.cpu(1))),
        'copyto_array_then_op': lambda a: a.copyto(nd.zeros(2, ctx=mx.cpu(1))) * nd.ones(
            2, ctx=mx.cpu(1)),
    }
    out = {name: _raised(lambda fn=fn: _through(mx, fn)) for name, fn in sorted(cases.items())}
    out['round_trip'] = _raised(lambda: _round_trip(mx))
    out['setitem_across'] = _raised(lambda: _setitem_across(mx))
    out['autograd_grad_across'] = _raised(lambda: _autograd_grad_across(mx))
    out['dense_on_two_contexts'] = _raised(lambda: _dense_on_two_contexts(mx))
    out['split_and_load'] = _raised(lambda: _split_and_load(mx, True))
    out['split_and_load_uneven'] = _raised(lambda: _split_and_load(mx, False))
    return out


def run(mx):
    """Every program's results (what the fixture holds)."""
    return {'ctc_huge_activations': ctc_huge_activations(mx),
            'copies_across_contexts': copies_across_contexts(mx)}
