"""Regressions found reviewing the changes merged in session 21 (review21b).

Each test says what minigluon did before and what it does now; expected values are worked out by
hand or from NumPy, never copied from minigluon's output.
"""
import os
import tracemalloc

import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetValueError

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')


# --- in-place arithmetic into a plain array while recording -----------------------------------

@pytest.mark.parametrize('op,copies', [('+=', False), ('-=', False), ('*=', True), ('/=', True)])
def test_inplace_sum_into_a_plain_array_under_record_keeps_no_copy_of_it(op, copies):
    """``x += y`` recorded into a plain ``x`` kept a copy of the old ``x`` for the recorded
    operator (97fd21a), which only ``*=``, ``/=`` and ``%=`` need (their backward reads it): a
    20 MB ``x`` took 40 MB at the peak, the copy held until backward. Now ``+=`` and ``-=``
    allocate only the sum; the gradient stays ones / minus ones."""
    import minigluon as mx
    n = 1 << 21
    x, y = nd.zeros((n,), ctx=mx.cpu()), nd.ones((n,), ctx=mx.cpu())    # (host memory: traced)
    y.attach_grad()
    size = x.asnumpy().nbytes
    tracemalloc.start()
    try:
        with autograd.record():
            exec('x %s y' % op, {}, {'x': x, 'y': y})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (peak > 1.5 * size) == copies, (peak, size)
    with autograd.record():
        z = (x * 1).sum()
    z.backward()
    want = {'+=': 1.0, '-=': -1.0, '*=': 0.0, '/=': 0.0}[op]     # d/dy of 0 * y and 0 / y: 0
    assert np.all(y.grad.asnumpy() == want)


@pytest.mark.parametrize('op', ['+=', '*='])
def test_inplace_arithmetic_under_record_with_a_bigger_right_operand_is_named(op):
    """``x += y`` under ``record()`` with ``y`` (a variable) bigger than ``x``: NumPy's 'could not
    broadcast input array from shape (2,) into shape (1,)' came from the write after the
    operator was recorded; now the MXNetValueError that the same write outside ``record()``
    raises, before anything is recorded, and ``x`` is left as it was."""
    x, y = nd.array([5.0]), nd.array([1.0, 2.0])
    y.attach_grad()
    with autograd.record():
        with pytest.raises(MXNetValueError, match=r'in-place arithmetic: the right operand of '
                                                  r'shape \(2,\) broadcasts to \(2,\), bigger'):
            exec('x %s y' % op, {}, {'x': x, 'y': y})
    assert x.asnumpy().tolist() == [5.0]


# --- states files: one test of what a pickle is, one probe of the optimizer's states -----------

def test_nd_load_sends_only_mxnets_pickles_to_trainer_load_states(tmp_path):
    """``nd.load`` took a pickle of protocol 2 for MXNet's states file and advised
    ``trainer.load_states`` (e5d9bde), which reads protocols 3 to 5 only and refuses it as
    neither format (tests/test_trainer_mxnet_states.py pins that). Both loaders now share
    ``serialization.looks_like_pickle``: a protocol 3 pickle gets the advice, a protocol 2 one
    no longer does."""
    import pickle

    import minigluon as mx
    from minigluon.base import MXNetFormatError
    net = mx.gluon.nn.Dense(2, in_units=2)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd')
    for protocol in (2, 3):
        path = str(tmp_path / ('p%d.states' % protocol))
        with open(path, 'wb') as f:
            f.write(pickle.dumps(['no', 'states'], protocol=protocol))
        with pytest.raises(MXNetFormatError) as nd_load:
            nd.load(path)
        with pytest.raises(MXNetFormatError) as load_states:
            trainer.load_states(path)
        advised = 'load optimizer states with trainer.load_states' in str(nd_load.value)
        read_as_mxnets = 'is not a Trainer states file' not in str(load_states.value)
        assert advised == read_as_mxnets == (protocol == 3), (protocol, nd_load.value,
                                                               load_states.value)


def test_mxnet_states_load_into_an_optimizer_whose_create_state_reads_the_context():
    """The check of an MXNet 1.9.1 states file probed ``create_state`` with a NumPy weight, the
    check of minigluon's files (416417d) with an NDArray, as the Updater passes: a user's
    optimizer whose ``create_state`` reads ``weight.context`` loaded its own files and failed on
    MXNet's with "'numpy.ndarray' object has no attribute 'context'". One probe serves both."""
    import minigluon as mx

    class ContextAdam(mx.optimizer.Adam):
        def create_state(self, index, weight):
            return tuple(nd.zeros(weight.shape, ctx=weight.context, dtype=weight.dtype)
                         for _ in range(2))

    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), ContextAdam(learning_rate=0.05))
    # MXNet 1.9.1's Updater.get_states(dump_optimizer=False) of Adam on this Dense layer
    trainer.load_states(FIXTURES + '/trainer_states/adam_states_only.states')
    shapes = {p.name: p.shape for p in net.collect_params().values()}
    for index, param in enumerate(trainer._params):
        assert [s.shape for s in trainer._updaters[0].states[index]] == [shapes[param.name]] * 2
