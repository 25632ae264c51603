"""Regression cases for what ``tools/fuzz_rnn.py`` found, with MXNet 1.9.1's outcomes; run in the
MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_rnn_fuzz_fixtures.py

A case is the fuzzer's (``build`` setting ``net``, ``call`` setting ``out``, ``hybridize``,
``train``, ``wrt``, ``grad``; ``fuzz_rnn.run_net`` runs it, with heads drawn from the case's
name). The found differences where MXNet is right were error classes (minigluon's exception is
now also of MXNet's class) and extra step states (ignored, as MXNet ignores them); the cases
where MXNet is wrong (``differs``) are recorded too, and the test checks minigluon there against
MXNet's own right answer (float32, ``merge_outputs=True``) or numerical differentiation.

Output: ``tests/fixtures/rnn_fuzz/cases.json`` (name -> the case, plus ``error`` and ``mro``,
the class names of MXNet's exception, where it raised) and ``values.npz`` (``<name>/in<i>``,
``<name>/head<j>`` and every result of ``run_net``: ``out<j>``, ``grad<i>``, ``pgrad:<param>``).
"""
import os
import sys
import zlib

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from fuzz_rnn import run_net  # noqa: E402  (the fuzzer's runner: one way to run a case)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'rnn_fuzz')


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def normal(name, *shapes, dtype='float32'):
    r = rng(name)
    return [(r.standard_normal(s) * 0.8).astype(dtype) for s in shapes]


CASES = {}


def case(name, build, call, inputs, wrt=(0,), hybridize=False, train=True, grad=True,
         differs=None, cfg=None):
    """``differs``: MXNet is wrong there (a docstring and docs/PORTING.md say so); the test checks the
    case otherwise (see its ``differs`` kinds). ``cfg`` (default: the name) seeds the parameter
    values and the heads: cases compared with each other share it."""
    CASES[name] = {'build': build, 'call': call, 'inputs': inputs, 'wrt': list(wrt),
                   'hybridize': hybridize, 'train': train, 'grad': grad, 'init_check': [],
                   'cfg': cfg or name, 'differs': differs}


# -- error classes: MXNet asserts ------------------------------------------------------------------
x = normal('x', (3, 2, 2))[0]
case('layer_layout', "net = rnn.LSTM(3, layout='NCT')", 'out = net(x0)', [x])
case('unroll_inputs_none', 'net = rnn.GRUCell(3, input_size=2)', 'out = net.unroll(3, None)', [x])
case('unroll_length_array', 'net = rnn.LSTMCell(3, input_size=2)',
     "out = net.unroll(4, x0, layout='TNC')", [x])
case('unroll_length_list', 'net = rnn.RNNCell(3, input_size=2)',
     "out = net.unroll(2, [x0[0], x0[1], x0[2]], layout='TNC')", [x])
case('base_begin_state', 'base = rnn.LSTMCell(3, input_size=2)\nnet = rnn.ZoneoutCell(base)',
     'out = base.begin_state(batch_size=2)', [x])
case('modify_twice', 'base = rnn.GRUCell(2, input_size=2)\nnet = rnn.ResidualCell(base)\n'
     'net2 = rnn.ZoneoutCell(base)', "out = net.unroll(3, x0, layout='TNC')", [x])
case('zoneout_bidirectional', 'net = rnn.ZoneoutCell(rnn.BidirectionalCell('
     'rnn.LSTMCell(2, input_size=2), rnn.GRUCell(2, input_size=2)))',
     "out = net.unroll(3, x0, layout='TNC')", [x])
case('vardrop_bidirectional', 'net = contrib.rnn.VariationalDropoutCell(rnn.BidirectionalCell('
     'rnn.LSTMCell(2, input_size=2), rnn.GRUCell(2, input_size=2)), drop_states=0.5)',
     "out = net.unroll(3, x0, layout='TNC')", [x])
case('dropout_rate_str', "net = rnn.DropoutCell('0.5')", "out = net.unroll(3, x0, layout='TNC')",
     [x])
case('sequential_step_bidirectional', 'net = rnn.SequentialRNNCell()\n'
     'net.add(rnn.LSTMCell(2, input_size=2))\n'
     'net.add(rnn.BidirectionalCell(rnn.GRUCell(2, input_size=2), rnn.GRUCell(2, input_size=2)))',
     'out = net(x0[0], net.begin_state(batch_size=2))', [x])
case('conv_spec_length', 'net = contrib.rnn.Conv2DRNNCell((1, 3, 3), 2, (3, 3), (3, 3, 3))',
     "out = net.unroll(1, nd.ones((1, 1, 1, 3, 3)), layout='TNC')", [x])
case('conv_h2h_even', 'net = contrib.rnn.Conv2DLSTMCell((1, 3, 3), 2, (3, 3), (2, 2))',
     "out = net.unroll(1, nd.ones((1, 1, 1, 3, 3)), layout='TNC')", [x])

# -- error classes: MXNet's operators fail ---------------------------------------------------------
case('layer_rank2', 'net = rnn.RNN(2, input_size=2)', 'out = net(x0[0])', [x])
s = normal('s', (1, 2, 3))[0]
case('layer_too_many_states', 'net = rnn.GRU(3, input_size=2)', 'out = net(x0, [x1, x1])', [x, s])
case('layer_too_few_states', 'net = rnn.LSTM(3, input_size=2)', 'out = net(x0, [x1])', [x, s])
case('layer_missing_sequence_length', 'net = rnn.LSTM(3, input_size=2, use_sequence_length=True)',
     'out = net(x0)', [x])
xc, sc = normal('conv', (2, 2, 1, 5), (2, 2, 4))
case('conv_step_input_shape', "net = contrib.rnn.Conv1DRNNCell((1, 4), 2, 3, 3, i2h_pad=1)",
     "out = net.unroll(2, x0, layout='TNC')", [xc])
case('conv_state_shape', "net = contrib.rnn.Conv1DGRUCell((1, 5), 2, 3, 3, i2h_pad=1)",
     "out = net.unroll(2, x0, begin_state=[x1], layout='TNC')", [xc, sc])
sp = normal('lstmp_state', (2, 3), (2, 4))
case('lstmp_state_shape', 'net = contrib.rnn.LSTMPCell(3, 2, input_size=2)',
     "out = net.unroll(3, x0, begin_state=[x1, x2], layout='TNC')", [x] + sp)
for kind, n in (('RNNCell', 1), ('LSTMCell', 2), ('GRUCell', 1)):
    st = normal('state1_' + kind, *[(1, 3)] * n)
    # a state of batch 1 for a batch of 2: MXNet's elemwise_add refuses it (minigluon's
    # broadcast it before the states were checked)
    case('step_state_batch1_' + kind, 'net = rnn.%s(3, input_size=2)' % kind,
         'out = net(x0[0], [%s])' % ', '.join('x%d' % (i + 1) for i in range(n)), [x] + st)
case('step_too_few_states', 'net = rnn.LSTMCell(3, input_size=2)', 'out = net(x0[0], [x1[0]])',
     [x, s])

# -- values: extra step states are ignored -----------------------------------------------------------
for kind, n in (('RNNCell', 1), ('LSTMCell', 2), ('GRUCell', 1)):
    st = normal('extra_' + kind, *[(2, 3)] * (n + 1))
    case('step_extra_state_' + kind, 'net = rnn.%s(3, input_size=2)' % kind,
         'out = net(x0[0], [%s])' % ', '.join('x%d' % (i + 1) for i in range(n + 1)), [x] + st,
         wrt=range(n + 2))
st = normal('extra_lstmp', (2, 2), (2, 3), (2, 2))
case('step_extra_state_LSTMPCell', 'net = contrib.rnn.LSTMPCell(3, 2, input_size=2)',
     'out = net(x0[0], [x1, x2, x3])', [x] + st, wrt=range(3))

# -- MXNet wrong (docstrings, docs/PORTING.md) --------------------------------------------------------------
# BidirectionalCell, layout NTC, valid_length, merge_outputs=None: MXNet swaps the reverse
# outputs' batch and time axes (batch 3 = length 3 here); its merge_outputs=True is right.
xb = normal('bidir', (3, 3, 2))[0]
vl = np.array([1, 2, 3], np.float32)
bidir = ('net = rnn.BidirectionalCell(rnn.GRUCell(2, input_size=2), '
         'rnn.LSTMCell(1, input_size=2))')
case('bidir_ntc_merge_none', bidir, 'out = net.unroll(3, x0, valid_length=x1)[0]', [xb, vl],
     differs='bidir', cfg='bidir')
case('bidir_ntc_merge_true', bidir,
     'out = net.unroll(3, x0, valid_length=x1, merge_outputs=True)[0]', [xb, vl], cfg='bidir')
# float64 multi-layer layers: MXNet's gradients of the lower layers are wrong when the input
# takes no gradient (as here, wrt=()); its float32 are right (and so are minigluon's float64,
# checked against numerical differentiation too).
for mode in ('RNN', 'LSTM', 'GRU'):
    xl = normal('f64_' + mode, (3, 2, 2))[0]
    for dt in ('float32', 'float64'):
        case('layer_%s_2layers_%s' % (mode, dt),
             "net = rnn.%s(2, num_layers=2, input_size=2, dtype='%s')" % (mode, dt),
             'out = net(x0)', [xl.astype(dt)], wrt=(),
             differs='f64-grad' if dt == 'float64' else None,
             cfg='layer_%s_2layers' % mode)


def run(name, c):
    """``fuzz_rnn.run_net`` on MXNet, with heads drawn from the case's ``cfg`` (kept as
    ``head<j>``)."""
    heads = {}

    def head(j, a):
        r = rng('%s/head%d' % (c['cfg'], j))
        heads['head%d' % j] = r.standard_normal(a.shape).astype(a.dtype)
        return heads['head%d' % j]
    res = run_net(mx, c, c['inputs'], head)
    res.update(heads)
    return res


def main():
    _fuzz.record_fixtures(OUT, CASES, run, mx.__version__)


if __name__ == '__main__':
    main()
