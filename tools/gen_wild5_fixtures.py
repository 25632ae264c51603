"""Golden values for the patterns met in the fifth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild5_fixtures.py

Writes tests/fixtures/wild5/wild5.json, read by tests/test_wild_scripts_5.py:

* ``as_list``: ``mxnet.base._as_list`` on a tuple, a list, a number and None (GluonNLP's GNMT and
  sequence-to-sequence code import it).
* ``custom_unroll``: an unroll written with the private helpers of ``mxnet.gluon.rnn.rnn_cell``
  (``_format_sequence``, ``_get_begin_state``, ``_mask_sequence_variable_length``), as a child-sum
  Tree-GRU, gluon-ts's zoneout cell and GluonNLP's Fold import them: an LSTMCell stepped over an
  NTC batch, outputs masked by valid lengths.
* ``bidir_valid_length``: a BidirectionalCell unrolled NTC with ``valid_length`` and explicit or
  default begin states (GluonNLP's GNMTEncoder keeps the second half of the states, the backward
  cell's).
* ``lr_schedules``: the learning rate a Trainer reports after each step for the scheduler idioms of
  the trial (a CosineScheduler built positionally and given to Trainer with another
  'learning_rate', one inside an SGD optimizer object with warm-up, MultiFactorScheduler with a
  constant warm-up under NAG).
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon, nd  # noqa: E402
from mxnet.base import _as_list  # noqa: E402
from mxnet.gluon import rnn  # noqa: E402
from mxnet.gluon.rnn.rnn_cell import (_format_sequence, _get_begin_state,  # noqa: E402
                                      _mask_sequence_variable_length)

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'wild5')


def as_list():
    return [{'given': repr(v), 'result': repr(_as_list(v)), 'same': _as_list(v) is v}
            for v in [(1, 2), [3], 4, None]]


def _set_lstm(cell, seed):
    """Kept in step with tests/test_wild_scripts_5.py: seeded uniform weights by sorted name."""
    rs = np.random.RandomState(seed)
    for name, p in sorted(cell.collect_params().items()):
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, size=p.shape)))


def custom_unroll():
    cell = rnn.LSTMCell(3, input_size=2, prefix='lstm_')
    cell.initialize()
    _set_lstm(cell, 0)
    x = nd.array(np.linspace(-1, 1, 16).reshape(2, 4, 2))
    valid = nd.array([4, 2])
    steps, axis, F, batch_size = _format_sequence(4, x, 'NTC', False)
    states = _get_begin_state(cell, F, None, steps, batch_size)
    outs = []
    for step in steps:
        out, states = cell(step, states)
        outs.append(out)
    merged = _mask_sequence_variable_length(F, outs, 4, valid, axis, True)
    return {'axis': axis, 'batch_size': batch_size, 'num_steps': len(steps),
            'outputs': merged.asnumpy().tolist(), 'states': [s.asnumpy().tolist() for s in states]}


def bidir_valid_length():
    cell = rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=2, prefix='l_'),
                                 rnn.LSTMCell(2, input_size=2, prefix='r_'))
    cell.initialize()
    _set_lstm(cell, 1)
    x = nd.array(np.linspace(-1, 1, 12).reshape(2, 3, 2))
    x.attach_grad()
    cases = {}
    for name, begin in [('zeros', None), ('given', [nd.ones((2, 2)) * 0.1 * (j + 1) for j in range(4)])]:
        with autograd.record():
            out, states = cell.unroll(3, x, begin_state=begin, layout='NTC', merge_outputs=True,
                                      valid_length=nd.array([3, 1]))
            loss = (out ** 2).sum() + sum((s ** 2).sum() for s in states)
        loss.backward()
        cases[name] = {'outputs': out.asnumpy().tolist(), 'states': [s.asnumpy().tolist() for s in states],
                       'dx': x.grad.asnumpy().tolist()}
    return cases


def _lrs(make_trainer, steps=8):
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    trainer = make_trainer(net)
    x = nd.array([[1., 2., 3.], [-1., 0.5, 2.]])
    lrs = []
    for _ in range(steps):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        trainer.step(2)
        lrs.append(float(trainer.learning_rate))
    return lrs


def lr_schedules():
    sched = mx.lr_scheduler
    return {
        'positional_cosine': _lrs(lambda n: gluon.Trainer(n.collect_params(), 'adam', {
            'learning_rate': 0.01, 'lr_scheduler': sched.CosineScheduler(6, 0.1, 0, 0, 0.002)})),
        'optimizer_object': _lrs(lambda n: gluon.Trainer(n.collect_params(), optimizer=mx.optimizer.SGD(
            learning_rate=0.1, momentum=0.9, wd=0.0005, lr_scheduler=sched.CosineScheduler(
                base_lr=0.1, final_lr=0.001, max_update=6, warmup_steps=3)))),
        'multifactor_warmup': _lrs(lambda n: gluon.Trainer(n.collect_params(), 'nag', {
            'learning_rate': 0.3, 'momentum': 0.5, 'lr_scheduler': sched.MultiFactorScheduler(
                step=[2, 5], factor=0.1, base_lr=0.3, warmup_steps=1, warmup_begin_lr=0.05,
                warmup_mode='constant')})),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    fix = {'as_list': as_list(), 'custom_unroll': custom_unroll(),
           'bidir_valid_length': bidir_valid_length(), 'lr_schedules': lr_schedules()}
    with open(os.path.join(OUT, 'wild5.json'), 'w') as f:
        json.dump(fix, f, indent=1)
    print('wrote', os.path.join(OUT, 'wild5.json'))


if __name__ == '__main__':
    main()
