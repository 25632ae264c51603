"""Checks that an optimizer state still fits its weight's precision (``multi_precision``).

With ``multi_precision=True`` the state of a float16 weight is ``(float32 master copy, state)``
and the state of any other weight is the optimizer's own state. Casting a network
(``net.cast('float16')``) after the optimizer has made its states leaves states of the other
layout behind; MXNet 1.9.1 then fails inside its update operator with a shape-check message
("Incompatible attr in node ... at 2-th input"), and a blind unpacking can even succeed and update
the wrong arrays. :func:`check_state_layout` compares the nesting of the state with the one the
optimizer makes, and raises a clear error instead.
"""
import numpy as np

from minigluon.base import MXNetError


def _layout(state):
    """The nesting of a state: ``'a'`` for an array, None, or a tuple of layouts."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return tuple(_layout(s) for s in state)
    return 'a'


def check_state_layout(optimizer, index, weight_raw, state, with_master):
    """Raise :class:`MXNetError` unless ``state`` has the layout ``optimizer`` would create now.

    ``with_master``: the weight is float16 and the optimizer uses ``multi_precision``, so the
    state must be ``(float32 master of the weight's shape, own state)``. The optimizer's own
    layout is found once per index (by creating one state) and remembered.
    """
    layouts = optimizer.__dict__.setdefault('_own_state_layouts', {})
    own = layouts.get(index, False)
    if own is False:
        own = layouts[index] = _layout(optimizer.create_state(index, weight_raw.astype(np.float32)))
    expected = ('a', own) if with_master else own
    got = _layout(state)
    ok = got == expected
    if ok and with_master:
        master = getattr(state[0], '_data', state[0])
        ok = master.dtype == np.float32 and master.shape == weight_raw.shape
    if ok:
        return
    param = optimizer.param_dict.get(index)           # a Trainer fills param_dict
    name = repr(getattr(param, 'name', None) or optimizer.idx2name.get(index, index))
    if with_master:
        what = ('the weight is float16 now, but its optimizer state was created while it was %s '
                '(no float32 master copy)' % ('float32' if got == own else 'of another precision'))
    else:
        what = ('the weight is %s now, but its optimizer state was created for a float16 weight '
                '(it holds a float32 master copy)' % weight_raw.dtype)
    raise MXNetError('%s.update (multi_precision=True), parameter %s: %s. The network was cast '
                     'after the optimizer made its states. Cast the network before the first '
                     'Trainer.step, or create a new Trainer after net.cast() (the optimizer '
                     'states start afresh).' % (type(optimizer).__name__, name, what))
