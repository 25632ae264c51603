"""The programs of the fifth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_5.py),
each rewritten in our own words from the sources named above it. Each program function returns its
results as nested dicts and lists.

The test runs this file as it is, on minigluon; tools/gen_wild5_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return, not rounded, in tests/fixtures/wild5/wild5.json.
"""
import numpy as np

import minigluon as mx

autograd, gluon, nd = mx.autograd, mx.gluon, mx.nd
rnn = gluon.rnn
rnn_cell = gluon.rnn.rnn_cell


def set_lstm(cell, seed):
    """Seeded uniform weights, in [-0.5, 0.5), by sorted parameter name."""
    rs = np.random.RandomState(seed)
    for name, p in sorted(cell.collect_params().items()):
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, size=p.shape)))


# ---------------------------------------------------------------- 1 mxnet.base._as_list
# GluonNLP's GNMT encoder / decoder and sequence-to-sequence code import it
AS_LIST_INPUTS = [(1, 2), [3], 4, None]


def as_list():
    """``_as_list`` on a tuple, a list, a number and None: its result's repr and whether it is the
    value given, keyed by the given value's repr."""
    return {repr(v): {'result': repr(mx.base._as_list(v)), 'same': mx.base._as_list(v) is v}
            for v in AS_LIST_INPUTS}


# ---------------------------------------------------------------- 2 the private rnn_cell helpers
# a child-sum Tree-GRU cell, gluon-ts's zoneout cell and GluonNLP's Fold unroll with them
def custom_unroll():
    """An LSTMCell stepped over an NTC batch by ``_format_sequence`` and ``_get_begin_state``, its
    outputs masked by valid lengths with ``_mask_sequence_variable_length``."""
    cell = rnn.LSTMCell(3, input_size=2, prefix='lstm_')
    cell.initialize()
    set_lstm(cell, 0)
    x = nd.array(np.linspace(-1, 1, 16).reshape(2, 4, 2))
    valid = nd.array([4, 2])
    steps, axis, F, batch_size = rnn_cell._format_sequence(4, x, 'NTC', False)
    states = rnn_cell._get_begin_state(cell, F, None, steps, batch_size)
    outs = []
    for step in steps:
        out, states = cell(step, states)
        outs.append(out)
    merged = rnn_cell._mask_sequence_variable_length(F, outs, 4, valid, axis, True)
    return {'axis': axis, 'batch_size': batch_size, 'num_steps': len(steps),
            'outputs': merged.asnumpy().tolist(), 'states': [s.asnumpy().tolist() for s in states]}


# ---------------------------------------------------------------- 3 BidirectionalCell with valid_length
# GluonNLP's GNMTEncoder (scripts/machine_translation/gnmt.py) keeps the backward cell's states
def bidir_valid_length():
    """A BidirectionalCell unrolled NTC with ``valid_length`` from default (zero) and given begin
    states: outputs, states and the data's gradient of a squared sum."""
    cell = rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=2, prefix='l_'),
                                 rnn.LSTMCell(2, input_size=2, prefix='r_'))
    cell.initialize()
    set_lstm(cell, 1)
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


# ---------------------------------------------------------------- 4 learning-rate scheduler idioms
def positional_cosine(params):
    """A DGL example: CosineScheduler(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr)
    given positionally, beside another 'learning_rate' (the cosine keeps its own)."""
    return gluon.Trainer(params, 'adam', {
        'learning_rate': 0.01, 'lr_scheduler': mx.lr_scheduler.CosineScheduler(6, 0.1, 0, 0, 0.002)})


def optimizer_object(params):
    """A cosine schedule with warm-up inside an SGD optimizer object given to the Trainer."""
    return gluon.Trainer(params, optimizer=mx.optimizer.SGD(
        learning_rate=0.1, momentum=0.9, wd=0.0005, lr_scheduler=mx.lr_scheduler.CosineScheduler(
            base_lr=0.1, final_lr=0.001, max_update=6, warmup_steps=3)))


def multifactor_warmup(params):
    """MultiFactorScheduler with a constant warm-up under NAG."""
    return gluon.Trainer(params, 'nag', {
        'learning_rate': 0.3, 'momentum': 0.5, 'lr_scheduler': mx.lr_scheduler.MultiFactorScheduler(
            step=[2, 5], factor=0.1, base_lr=0.3, warmup_steps=1, warmup_begin_lr=0.05,
            warmup_mode='constant')})


def learning_rates(make_trainer, steps=8):
    """The learning rate the Trainer ``make_trainer(params)`` reports after each of ``steps`` steps
    on a small Dense."""
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    trainer = make_trainer(net.collect_params())
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
    """The learning rates of the three scheduler idioms, keyed by their functions' names."""
    return {make.__name__: learning_rates(make)
            for make in (positional_cosine, optimizer_object, multifactor_warmup)}


PROGRAMS = ['as_list', 'custom_unroll', 'bidir_valid_length', 'lr_schedules']
