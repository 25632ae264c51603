"""Autograd used the wrong way round: in-place writes on recorded arrays, copies, backward twice.

MXNet 1.9.1 raises for an in-place write (``+=``, ``x[...] = v``, ``copyto``, ``out=``) to an array
that is in the recorded graph while recording ("Assigning to NDArrays that are already in a
computational graph..."); minigluon did the write and then computed silently wrong gradients from
the overwritten values. Now ``x[...] = v``, ``copyto`` and ``out=`` raise as in MXNet, and ``+=``
and friends are recorded (the name is rebound to a new array when the old one is in the graph, so
``loss += l`` works where MXNet raises). ``copy()`` and ``copyto`` are recorded as in MXNet.
Expected gradients are worked out by hand.
"""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError


def _var(values=(1., 2., 3.)):
    x = nd.array(values)
    x.attach_grad()
    return x


@pytest.mark.parametrize('write', [
    lambda y: y.__setitem__(slice(None), 0),
    lambda y: y.__setitem__(1, 5),
    lambda y: nd.ones((3,)).copyto(y),
    lambda y: nd.relu(nd.ones((3,)), out=y),
], ids=['setitem_all', 'setitem_one', 'copyto', 'out'])
def test_inplace_write_to_a_recorded_array_raises_while_recording(write):
    x = _var()
    with autograd.record():
        y = x * 2
        z = (y * y).sum()
        with pytest.raises(MXNetError, match='in-place'):
            write(y)
    np.testing.assert_array_equal(y.asnumpy(), [2., 4., 6.])      # left untouched
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [8., 16., 24.])   # d(sum 4x^2)/dx = 8x


def test_inplace_write_to_a_variable_raises_while_recording():
    x = _var()
    with autograd.record():
        with pytest.raises(MXNetError, match='in-place'):
            x += 1
        with pytest.raises(MXNetError, match='in-place'):
            x[0] = 4
    np.testing.assert_array_equal(x.asnumpy(), [1., 2., 3.])


def test_inplace_writes_still_allowed_where_no_gradient_can_be_wrong():
    x = _var()
    c = nd.ones((3,))
    with autograd.record():
        c += 1                      # not in the graph yet
        y = x * c
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2., 2., 2.])
    y += 1                          # outside record: allowed, as MXNet
    x[0] = 10                       # a variable outside record (an optimizer update)
    np.testing.assert_array_equal(y.asnumpy(), [3., 5., 7.])
    np.testing.assert_array_equal(x.asnumpy(), [10., 2., 3.])
    p = nd.ones((3,))
    with autograd.record():
        p += 1                      # a plain array no recorded operator read
    np.testing.assert_array_equal(p.asnumpy(), [2., 2., 2.])
    p.attach_grad(grad_req='null')  # in the graph, as MXNet 1.9.1's: refused
    with autograd.record(), pytest.raises(MXNetError, match='cannot write in-place'):
        p += 1


def test_copy_is_recorded():
    x = _var()
    with autograd.record():
        y = x.copy()
        z = (y * y).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2., 4., 6.])
    y[:] = 0                        # a copy: x is unchanged
    np.testing.assert_array_equal(x.asnumpy(), [1., 2., 3.])


def test_copyto_an_array_is_recorded():
    x = _var()
    with autograd.record():
        target = nd.zeros((3,))
        out = (x * 2).copyto(target)
        w = (target * target).sum()
    assert out is target
    w.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [8., 16., 24.])


def test_backward_twice_needs_retain_graph():
    x = _var()
    with autograd.record():
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2., 4., 6.])     # 'write', not accumulated
    with pytest.raises(MXNetError, match='retain_graph'):
        y.backward()


@pytest.mark.parametrize('op, expected', [
    (lambda y: y.__iadd__(1), [4. * 2 * (2 * v + 1) / 2 for v in (1., 2., 3.)]),     # 4(2x+1)
    (lambda y: y.__imul__(3), [72. * v for v in (1., 2., 3.)]),                     # d 36x^2
    (lambda y: y.__isub__(nd.ones((3,))), [4. * (2 * v - 1) for v in (1., 2., 3.)]),
    (lambda y: y.__itruediv__(2), [2. * v for v in (1., 2., 3.)]),                  # d x^2
    (lambda y: y.__imod__(100), [8. * v for v in (1., 2., 3.)]),                    # 2x % 100 = 2x
], ids=['iadd', 'imul', 'isub', 'idiv', 'imod'])
def test_augmented_assignment_on_a_recorded_array_is_recorded(op, expected):
    x = _var()
    with autograd.record():
        y = x * 2
        first = y
        y = op(y)
        z = (y * y).sum()
    assert first is not y                                   # rebound, the old array is intact
    np.testing.assert_array_equal(first.asnumpy(), [2., 4., 6.])
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)


def test_loss_accumulated_with_iadd_gets_every_term_gradient():
    x = _var()
    for start in (0, nd.zeros((1,))):
        with autograd.record():
            loss = start
            for k in (1., 2., 3.):
                loss += (x * k).sum()
        loss.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), [6., 6., 6.])
