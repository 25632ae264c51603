"""In-place writes while recording whose gradient the tape cannot carry (found by attack).

MXNet 1.9.1 (measured with /opt/mxvenv): ``nd.exp(w, out=z)`` and ``x[:] = y`` into a plain array
record the write (gradients reach ``w``/``y``); ``x[1:] = y``, ``x[1:] += y``, ``x[1] = y`` and
``view += y`` with ``y`` in the graph raise 'Inplace operations ... are not supported when
recording'. minigluon used to write the values and drop the gradient silently.
"""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError


def _w():
    w = nd.array([1., 2.], dtype='float64')
    w.attach_grad()
    return w


def test_out_into_a_plain_array_is_recorded():
    w = _w()
    z = nd.zeros((2,), dtype='float64')
    with autograd.record():
        nd.exp(w, out=z)
        loss = (z * 3).sum()
    loss.backward()
    np.testing.assert_allclose(z.asnumpy(), np.exp([1., 2.]))
    np.testing.assert_allclose(w.grad.asnumpy(), 3 * np.exp([1., 2.]))


@pytest.mark.parametrize('key', [slice(None), Ellipsis, (slice(None), slice(None))])
def test_whole_array_assignment_is_recorded(key):
    w = _w()
    x = nd.zeros((3, 2), dtype='float64')
    with autograd.record():
        x[key] = w * 2                  # broadcast over the rows, as MXNet's x[:] = y
        loss = (x * 3).sum()
    loss.backward()
    np.testing.assert_allclose(x.asnumpy(), [[2., 4.]] * 3)
    np.testing.assert_allclose(w.grad.asnumpy(), [18., 18.])


def test_whole_array_iadd_through_a_slice_raises():
    # x[:] is a view, so ``x[:] += y`` is ``v = x[:]; v += y`` (as in MXNet, which raises too)
    w = _w()
    x = nd.ones((2,), dtype='float64')
    with autograd.record():
        with pytest.raises(MXNetError, match='view'):
            x[:] += w * w
    np.testing.assert_allclose(x.asnumpy(), [1., 1.])


def test_iadd_into_a_whole_plain_array_is_still_recorded():
    w = _w()
    x = nd.ones((2,), dtype='float64')
    with autograd.record():
        x += w * w
        loss = x.sum()
    loss.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [2., 4.])


@pytest.mark.parametrize('write', ['x[1:] = y', 'x[1:] += y', 'x[1] = y', 'x[1:2] += y'])
def test_partial_write_of_a_recorded_value_raises(write):
    w = _w()
    x = nd.zeros((3, 2), dtype='float64')
    with autograd.record():
        y = w * 2
        with pytest.raises(MXNetError, match='not recorded|a view'):
            exec(write, {}, {'x': x, 'y': y})
    # before the fix the values were written and the gradient lost: a loss with another
    # term then gave w.grad without the contribution of x
    assert x.asnumpy().sum() == 0


def test_iadd_into_a_view_raises_while_recording():
    w = _w()
    x = nd.zeros((3, 2), dtype='float64')
    v = x[1]
    with autograd.record():
        with pytest.raises(MXNetError, match='view'):
            v += w
    assert x.asnumpy().sum() == 0


def test_writes_without_a_recorded_value_still_work():
    x = nd.zeros((3, 2))
    with autograd.record():
        x[1:] = nd.ones((2, 2))
        x[0] += 1
        x[:] += 1
    np.testing.assert_allclose(x.asnumpy(), [[2., 2.], [2., 2.], [2., 2.]])
