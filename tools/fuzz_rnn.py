"""Differential fuzzer of ``gluon.rnn`` and ``gluon.contrib.rnn``: random (seeded) fused layers,
cells, stacks of cells and convolutional cells built, run and differentiated under MXNet 1.9.1 and
under minigluon, compared output by output, state by state, gradient by gradient, and failures
by their error class.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_rnn.py /tmp/rnn-fuzz --seed 1 [--n 100] [--groups layer,cell]
                              [--timeout 120]

Families (``--groups``):

* ``layer``: ``rnn.RNN`` / ``LSTM`` / ``GRU`` with ``layout`` TNC/NTC, ``num_layers`` 1-3,
  ``bidirectional``, ``projection_size`` (LSTM), ``input_size`` given or deferred, ``dtype``
  float32/float64, ``dropout`` (run outside training mode), deterministic ``i2h/h2h``
  initializers (their values are compared), states omitted, given as a list or one array, or
  made by ``begin_state``; ``state_info`` compared too;
* ``cell``: ``RNNCell`` / ``LSTMCell`` / ``GRUCell`` / ``contrib.rnn.LSTMPCell``, run by
  ``unroll(length, inputs, begin_state, layout, merge_outputs, valid_length)`` (inputs as one
  array or a list of steps; ``merge_outputs`` True/False/None; begin states omitted, given, or
  ``begin_state(batch_size, func=nd.zeros / nd.ones)``) or stepped by hand after ``reset()``;
* ``stack``: ``SequentialRNNCell`` / ``HybridSequentialRNNCell`` of cells, ``ResidualCell``,
  ``ZoneoutCell``, ``DropoutCell``, ``contrib.rnn.VariationalDropoutCell`` (rates above 0 run
  outside training mode, so dropout is the identity) and ``BidirectionalCell``, nested;
* ``conv``: ``contrib.rnn.Conv{1,2,3}D{RNN,LSTM,GRU}Cell`` with small shapes, kernels, pads
  and dilations, unrolled.

Every family draws, with a small chance, bad input: a wrong input size, a state of the wrong
shape or number, a bad layout, ``length`` not the number of steps, a ``valid_length`` of the
wrong shape. Each configuration becomes two cases, ``<family>`` (eager) and ``<family>.hyb``
(hybridized before the first call).

A case is ``build`` (Python setting ``net`` from ``rnn``, ``contrib``, ``nd``, ``mx``, run in a
fresh ``mx.name.NameManager()``) and ``call`` (setting ``out``, any nesting of lists, tuples,
dicts and NDArrays, from ``net`` and the inputs ``x0, x1...``). ``run_net``, which the regression
tests and the fixture generator call too: initialize, (hybridize), a first ``call`` (deferred
shapes), then every parameter set from a seed of the case and its name, ``call`` again under
``autograd.record`` and ``sum(a * head)`` over every float array of ``out`` back-propagated.
Results: ``structure`` (the nesting, dtypes and shapes of ``out``), ``out<j>``, ``grad<i>``
(inputs), ``pgrad:<name>``, ``names`` (every parameter's name, shape and dtype), ``saved`` (the
keys and shapes ``save_parameters`` writes), ``init:<name>`` (values set by the drawn
initializers); a failure is ``error`` plus ``mro``.

First runs (seeds 1 to 5, 3,952 cases, and seed 6's layers and misuse, 260 more; MXNet's
float32 and float64 results compared with the tolerances of ``TOL``): every output, state, gradient, parameter name and saved key agrees but
for the tagged cases. The differences found were error classes (MXNet's assertions and operator
failures; now among minigluon's exception's classes), a step state of batch 1 that a plain cell
broadcast (now refused, as MXNet's ``elemwise_add`` does) and extra step states (now ignored,
as MXNet ignores them). The known ones are MXNet's faults: float64 cells' float32 zero states,
float64 multi-layer gradients and dropout outside training, the CPU LSTMP that cannot train,
modifier cells' Symbol begin states, the NTC bidirectional unroll with ``merge_outputs=None``,
a valid length of 0 (``SequenceLast`` reads out of bounds: aborted or hung MXNet, so those
cases are not run there), a repeated output's head gradient in a hybridized stack, and the
checks minigluon adds (a ``sequence_length`` the layer would ignore, a layout other than
NTC/TNC, a conv cell's input size, extra begin states of a hybridized or deferred cell).

The batching, crash/hang resume, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s. A difference where MXNet is right is fixed in
minigluon and pinned by ``tools/gen_rnn_fuzz_fixtures.py`` (``tests/fixtures/rnn_fuzz/``,
``tests/rnn/test_rnn_fuzz_regressions.py``); one where MXNet is wrong carries a ``known`` tag
(docs/PORTING.md's table of deliberate differences or the docstring saying so).
"""
import os
import re
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case, chance, pick, ri  # noqa: E402

# Recurrences compound rounding over steps and layers: looser than element-wise ops.
TOL = {'float32': (1e-3, 1e-4), 'float64': (1e-7, 1e-9)}


def fdtype():
    return 'float64' if chance(0.25) else 'float32'


def rand(shape, dtype, scale=1.0):
    return (R.standard_normal(shape) * scale).astype(dtype)


def init_kw():
    """Deterministic initializers for some of the four weight/bias kinds: ``(kwargs, kinds)``."""
    kw, kinds = {}, []
    for kind in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'):
        if chance(0.15):
            kw[kind + '_initializer'] = pick("'ones'", "'zeros'", 'mx.init.Constant(0.25)',
                                             "mx.init.One()")
            kinds.append(kind)
    return kw, kinds


def code_kwargs(kw):
    """Keyword arguments whose values are already source text (initializers) or plain values."""
    return ', '.join('%s=%s' % (k, v if k.endswith('_initializer') else repr(v))
                     for k, v in kw.items())


def add(group, build, call, inputs, wrt=(0,), train=True, init_check=(), grad=True):
    """Record one configuration as an eager and a hybridized case."""
    cfg = len(_fuzz.CASES) // 2
    for hyb in (False, True):
        add_case(group + ('.hyb' if hyb else ''), build + ('\n# hybridized' if hyb else ''),
                 inputs, cfg=cfg, build=build, call=call, hybridize=hyb,
                 wrt=[i for i in wrt if inputs[i].dtype.kind == 'f'], train=bool(train),
                 init_check=list(init_check), grad=grad)


# -- layers -------------------------------------------------------------------------------------

def g_layer(n):
    for _ in range(n):
        dt = fdtype()
        mode = pick('RNN', 'LSTM', 'GRU')
        H, L, D = ri(1, 4), ri(1, 3), pick(1, 2)
        I, T, N = ri(1, 4), ri(1, 4), ri(1, 3)
        layout = pick('TNC', 'NTC')
        kw = {'hidden_size': H}
        if L > 1 or chance(0.3):
            kw['num_layers'] = L
        if layout != 'TNC' or chance(0.3):
            kw['layout'] = layout
        if D == 2 or chance(0.2):
            kw['bidirectional'] = D == 2
        if chance(0.6):
            kw['input_size'] = I
        if mode == 'RNN' and chance(0.7):
            kw['activation'] = pick('relu', 'tanh')
        P = None
        if mode == 'LSTM' and chance(0.3):
            P = ri(1, H)
            kw['projection_size'] = P
        if dt == 'float64':
            kw['dtype'] = dt
        train = True
        if L > 1 and chance(0.2):
            kw['dropout'] = 0.5
            train = False
        ikw, kinds = init_kw()
        kw.update(ikw)
        R_ = P or H
        xshape = [T, N, I] if layout == 'TNC' else [N, T, I]
        sshapes = [(L * D, N, R_)] + ([(L * D, N, H)] if mode == 'LSTM' else [])
        bad = chance(0.12)
        how = pick('input', 'state', 'nstates', 'rank', 'layout') if bad else None
        if how == 'input':
            xshape[2] = I + 1
            kw['input_size'] = I
        elif how == 'layout':
            kw['layout'] = pick('NCT', 'TCN', 'tnc')
        x = rand(xshape, dt) if how != 'rank' else rand((T, I), dt)
        ins = [x]
        form = pick('none', 'list', 'list', 'begin', 'one') if mode != 'LSTM' else \
            pick('none', 'list', 'list', 'begin', 'tuple')
        if how in ('state', 'nstates') and form in ('none', 'begin'):
            form = 'list'
        if form == 'none':
            call = 'out = net(x0)'
        elif form == 'begin':
            call = 'out = net(x0, net.begin_state(%d))' % N
        else:
            shapes = list(sshapes)
            if how == 'state':
                j = ri(0, len(shapes) - 1)
                s = list(shapes[j])
                s[ri(0, 2)] += 1
                shapes[j] = tuple(s)
            if how == 'nstates':
                shapes = shapes[:1] if mode == 'LSTM' else shapes * 2
            ins += [rand(s, dt, 0.5) for s in shapes]
            names = ', '.join('x%d' % (i + 1) for i in range(len(shapes)))
            call = {'list': 'out = net(x0, [%s])', 'tuple': 'out = net(x0, (%s,))',
                    'one': 'out = net(x0, %s)'}[form] % names
        if chance(0.3):
            call += '\nout = (out, net.state_info(%d))' % N
        code = 'net = rnn.%s(%s)' % (mode, code_kwargs(kw))
        # the input takes a gradient most of the time (without one: the usual training case)
        wrt = tuple(range(len(ins))) if chance(0.7) else tuple(range(1, len(ins)))
        add('layer', code, call, ins, wrt=wrt, train=train, init_check=kinds)


# -- cells ---------------------------------------------------------------------------------------

def cell_code(kind, H, I, deferred=None):
    """The constructor of a plain cell of ``H`` hidden units on ``I`` inputs (``input_size``
    given unless ``deferred``): ``(code, state sizes, output size)``."""
    kw = {}
    if not (chance(0.4) if deferred is None else deferred):
        kw['input_size'] = I
    ikw, _ = init_kw() if chance(0.3) else ({}, [])
    kw.update(ikw)
    if kind == 'RNNCell':
        if chance(0.6):
            kw['activation'] = pick('tanh', 'relu', 'sigmoid', 'softsign')
        return 'rnn.RNNCell(%d%s)' % (H, ', ' + code_kwargs(kw) if kw else ''), [H], H
    if kind == 'LSTMPCell':
        P = ri(1, 3)
        return ('contrib.rnn.LSTMPCell(%d, %d%s)' % (H, P, ', ' + code_kwargs(kw) if kw else ''),
                [P, H], P)
    nst = [H, H] if kind == 'LSTMCell' else [H]
    return 'rnn.%s(%d%s)' % (kind, H, ', ' + code_kwargs(kw) if kw else ''), nst, H


def unroll_call(T, N, I, nstates, dt, ins, bad=None, steppable=True):
    """The ``call`` of an unroll (or, when ``steppable``, sometimes a stepping loop) over ``T``
    steps of ``N`` x ``I`` inputs; appends the inputs to ``ins``."""
    layout = pick('TNC', 'NTC')
    x = rand((T, N, I) if layout == 'TNC' else (N, T, I), dt)
    if bad == 'input':
        x = rand((T, N, I + 1) if layout == 'TNC' else (N, T, I + 1), dt)
    ins.append(x)
    if steppable and chance(0.15) and bad is None:
        ax = layout.find('T')
        return ('net.reset()\nstates = net.begin_state(batch_size=%d%s%s)\nouts = []\n'
                'for t in range(%d):\n    o, states = net(x0%s, states)\n    outs.append(o)\n'
                'out = (outs, states)' % (
                    N, ", dtype='float64'" if dt == 'float64' else '',
                    pick('', ', func=nd.zeros'), T,
                    '[t]' if ax == 0 else '.slice_axis(axis=1, begin=t, end=t + 1).reshape((%d, -1))'
                    % N))
    if chance(0.3):
        xin = ('list(nd.split(x0, num_outputs=%d, axis=%d, squeeze_axis=True))' % (
            T, layout.find('T')) if T > 1 else '[x0.reshape((%d, -1))]' % N
            if layout == 'NTC' else '[x0[0]]')
    else:
        xin = 'x0'
    length = T + 1 if bad == 'length' else T
    args = ['%d' % length, xin]
    r = R.rand()
    if r < 0.3 or bad in ('state', 'nstates'):
        shapes = [(N, s) for s in nstates]
        if bad == 'state' and shapes:
            s = list(shapes[-1])
            s[ri(0, 1)] += 1
            shapes[-1] = tuple(s)
        if bad == 'nstates':
            shapes = shapes + [(N, nstates[0] if nstates else 1)]
        first = len(ins)
        ins += [rand(s, dt, 0.5) for s in shapes]
        args.append('begin_state=[%s]' % ', '.join('x%d' % (first + i)
                                                   for i in range(len(shapes))))
    elif r < 0.5:
        func = pick('nd.zeros', 'nd.ones')
        args.append('begin_state=net.begin_state(batch_size=%d, func=%s%s)' % (
            N, func, ", dtype='float64'" if dt == 'float64' else ''))
    lay = pick("'CTN'", "'tnc'") if bad == 'layout' else repr(layout)
    if layout != 'NTC' or bad == 'layout' or chance(0.3):
        args.append('layout=%s' % lay)
    merge = pick(True, False, None, 'absent')
    if merge != 'absent':
        args.append('merge_outputs=%r' % merge)
    if chance(0.35) or bad == 'valid':
        lens = R.randint(1 if chance(0.7) else 0, T + 1, size=(N + 1 if bad == 'valid' else N,))
        if not lens.all():
            ZERO_LENGTH[0] = True
        ins.append(lens.astype(pick(dt, 'float32', 'int32')))
        args.append('valid_length=x%d' % (len(ins) - 1))
    call = 'out = net.unroll(%s)' % ', '.join(args)
    if chance(0.25):
        call += '\nout = (out, net.state_info(%d))' % N
    return call


def cast_code(dt):
    return "\nnet.cast('float64')" if dt == 'float64' else ''


# Set by ``unroll_call`` when it drew a valid_length of 0: MXNet 1.9.1's ``SequenceLast`` then
# reads out of bounds, which aborts or hangs its process, so the case is not run under MXNet.
ZERO_LENGTH = [False]


def unroll_case(group, code, call, ins, **kw):
    """``add`` an unroll configuration, marked ``zero_length`` when ``unroll_call`` drew one."""
    zero, ZERO_LENGTH[0] = ZERO_LENGTH[0], False
    add(group, code, call, ins, **kw)
    for case in _fuzz.CASES[-2:]:
        case['zero_length'] = zero


def g_cell(n):
    for _ in range(n):
        dt = fdtype()
        T, N, I = ri(1, 4), ri(1, 3), ri(1, 4)
        kind = pick('RNNCell', 'LSTMCell', 'GRUCell', 'LSTMPCell')
        code, nstates, _ = cell_code(kind, ri(1, 4), I)
        bad = pick('input', 'state', 'nstates', 'layout', 'length', 'valid') \
            if chance(0.12) else None
        if bad == 'input' and 'input_size' not in code:
            bad = 'state'
        ins = []
        call = unroll_call(T, N, I, nstates, dt, ins, bad)
        nstate_in = sum(1 for x in ins[1:] if x.ndim == 2)
        unroll_case('cell', 'net = ' + code + cast_code(dt), call, ins,
            wrt=tuple(range(1 + nstate_in)))


# -- stacks of cells -----------------------------------------------------------------------------

class _Stack:
    """Source lines building a nested stack of cells, with the sizes flowing through it."""

    def __init__(self):
        self.lines = []
        self.count = 0
        self.train = True
        self.steppable = True

    def var(self):
        self.count += 1
        return 'c%d' % self.count

    def item(self, I, depth):
        """A cell taking ``I`` features: ``(variable, state sizes, output size)``."""
        kinds = ['plain'] * 4 + ['residual', 'zoneout', 'dropout', 'vardrop', 'bidir']
        if depth < 2:
            kinds += ['seq', 'seq']
        kind = pick(*kinds)
        v = self.var()
        if kind == 'plain':
            code, nst, out = cell_code(pick('RNNCell', 'LSTMCell', 'GRUCell', 'LSTMPCell'),
                                       ri(1, 4), I)
            self.lines.append('%s = %s' % (v, code))
            return v, nst, out
        if kind == 'residual':
            code, nst, out = cell_code(pick('RNNCell', 'LSTMCell', 'GRUCell'), I, I)
            self.lines.append('%s = rnn.ResidualCell(%s)' % (v, code))
            return v, nst, I
        if kind == 'zoneout':
            base, nst, out = self.item(I, 2) if chance(0.3) else (None, None, None)
            if base is None or base.startswith('bi'):
                code, nst, out = cell_code(pick('RNNCell', 'LSTMCell', 'GRUCell'), ri(1, 4), I)
                self.lines.append('%s_base = %s' % (v, code))
                base = v + '_base'
            po, ps = pick(0.0, 0.0, 0.3), pick(0.0, 0.0, 0.5)
            if po or ps:
                self.train = False
            self.lines.append('%s = rnn.ZoneoutCell(%s, %r, %r)' % (v, base, po, ps))
            return v, nst, out
        if kind == 'dropout':
            rate = pick(0.0, 0.5)
            if rate:
                self.train = False
            self.lines.append('%s = rnn.DropoutCell(%r%s)' % (v, rate, ', axes=(0,)'
                                                              if chance(0.2) else ''))
            return v, [], I
        if kind == 'vardrop':
            code, nst, out = cell_code(pick('RNNCell', 'LSTMCell', 'GRUCell'), ri(1, 4), I)
            rates = [pick(0.0, 0.0, 0.4) for _ in range(3)]
            if any(rates):
                self.train = False
            self.lines.append('%s = contrib.rnn.VariationalDropoutCell(%s, %r, %r, %r)' % (
                v, code, *rates))
            return v, nst, out
        if kind == 'bidir':
            self.steppable = False
            lc, lst, lo = cell_code(pick('RNNCell', 'LSTMCell', 'GRUCell'), ri(1, 3), I)
            rc, rst, ro = cell_code(pick('RNNCell', 'LSTMCell', 'GRUCell'), ri(1, 3), I)
            self.lines.append('%s = rnn.BidirectionalCell(%s, %s)' % (v, lc, rc))
            return v, lst + rst, lo + ro
        cls = pick('SequentialRNNCell', 'HybridSequentialRNNCell')
        scope = chance(0.5)
        items, nst, size = [], [], I
        k = ri(1, 3)
        if scope:
            self.lines.append('%s = rnn.%s()' % (v, cls))
            self.lines.append('with %s.name_scope():' % v)
            start = len(self.lines)
        for _ in range(k):
            iv, ist, size = self.item(size, depth + 1)
            items.append(iv)
            nst += ist
        if scope:
            self.lines[start:] = ['    ' + s for s in self.lines[start:]]
            self.lines += ['    %s.add(%s)' % (v, iv) for iv in items]
        else:
            self.lines.append('%s = rnn.%s()' % (v, cls))
            self.lines += ['%s.add(%s)' % (v, iv) for iv in items]
        return v, nst, size


def g_stack(n):
    for _ in range(n):
        dt = fdtype()
        T, N, I = ri(1, 3), ri(1, 3), ri(1, 3)
        st = _Stack()
        top, nstates, _ = st.item(I, 0)
        code = '\n'.join(st.lines) + '\nnet = %s' % top + cast_code(dt)
        bad = pick('input', 'state', 'nstates', 'layout', 'length', 'valid') \
            if chance(0.08) else None
        ins = []
        call = unroll_call(T, N, I, nstates, dt, ins, bad, steppable=st.steppable)
        nstate_in = sum(1 for x in ins[1:] if x.ndim == 2)
        unroll_case('stack', code, call, ins, wrt=tuple(range(1 + nstate_in)), train=st.train)


# -- convolutional cells -------------------------------------------------------------------------

def g_conv(n):
    for _ in range(n):
        dims = pick(1, 1, 2, 2, 3)
        kind = pick('RNN', 'LSTM', 'GRU')
        C, Ch = ri(1, 2), ri(1, 2)
        spatial = tuple(ri(2, 4 if dims < 3 else 3) for _ in range(dims))
        k = tuple(ri(1, 3) for _ in range(dims))
        pad = tuple(ri(0, 1) for _ in range(dims))
        dil = tuple(pick(1, 1, 2) for _ in range(dims))
        k = tuple(min(kk, (s + 2 * p - 1) // d + 1) for kk, s, p, d in zip(k, spatial, pad, dil))
        hk = tuple(pick(1, 3) for _ in range(dims))
        kw = {'input_shape': (C,) + spatial, 'hidden_channels': Ch,
              'i2h_kernel': k if dims > 1 or chance(0.5) else k[0], 'h2h_kernel': hk}
        if any(pad) or chance(0.2):
            kw['i2h_pad'] = pad
        if any(d > 1 for d in dil):
            kw['i2h_dilate'] = dil
        if chance(0.2):
            kw['h2h_dilate'] = tuple(pick(1, 2) for _ in range(dims))
        if chance(0.3):
            kw['activation'] = pick('relu', 'sigmoid', 'tanh')
        dt = fdtype()
        T, N = ri(1, 3), ri(1, 2)
        out_sp = tuple(s + 2 * p - d * (kk - 1) for s, p, d, kk in zip(spatial, pad, dil, k))
        layout = pick('TNC', 'NTC')
        xs = (C,) + spatial
        bad = chance(0.1)
        if bad:
            xs = (C + 1,) + spatial if chance(0.5) else (C,) + spatial[:-1] + (spatial[-1] + 1,)
        x = rand((T, N) + xs if layout == 'TNC' else (N, T) + xs, dt)
        ins = [x]
        args = ['%d' % T, 'x0', 'layout=%r' % layout]
        if chance(0.4):
            shp = (N, Ch) + out_sp
            ins += [rand(shp, dt, 0.5) for _ in range(2 if kind == 'LSTM' else 1)]
            args.append('begin_state=[%s]' % ', '.join('x%d' % i for i in range(1, len(ins))))
        merge = pick(True, False, None)
        args.append('merge_outputs=%r' % merge)
        if chance(0.2):
            ins.append(R.randint(1, T + 1, size=(N,)).astype(dt))
            args.append('valid_length=x%d' % (len(ins) - 1))
        code = 'net = contrib.rnn.Conv%dD%sCell(%s)' % (dims, kind, code_kwargs(kw)) + \
            cast_code(dt)
        call = 'out = net.unroll(%s)' % ', '.join(args)
        if chance(0.2):
            call += '\nout = (out, net.state_info(%d))' % N
        add('conv', code, call, ins, wrt=tuple(i for i in range(len(ins)) if ins[i].ndim > 1))


# -- misuse of the API ---------------------------------------------------------------------------

def g_misuse(n):
    """API misuse (the error classes are compared), and a few odd but valid uses."""
    for _ in range(n):
        T, N, I = ri(1, 3), ri(1, 3), ri(1, 3)
        kinds = ('RNNCell', 'LSTMCell', 'GRUCell')
        a, sa, _ = cell_code(pick(*kinds), ri(1, 3), I, deferred=False)
        b, _, _ = cell_code(pick(*kinds), ri(1, 3), I, deferred=False)
        x = rand((T, N, I), 'float32')
        ins = [x]
        unroll = 'out = net.unroll(%d, x0, layout=%r)' % (T, 'TNC')
        what = pick('zoneout-bidir', 'vardrop-bidir', 'modify-twice', 'base-begin-state',
                    'dropout-rate', 'seq-step-bidir', 'bidir-step', 'inputs-none',
                    'conv-spec', 'modifier-begin-state', 'step-state-shape', 'seq-length',
                    'step-nstates')
        if what == 'zoneout-bidir':
            build, call = 'net = rnn.ZoneoutCell(rnn.BidirectionalCell(%s, %s))' % (a, b), unroll
        elif what == 'vardrop-bidir':
            build = ('net = contrib.rnn.VariationalDropoutCell(rnn.BidirectionalCell(%s, %s), '
                     'drop_states=0.5)' % (a, b))
            call = unroll
        elif what == 'modify-twice':
            build = 'base = %s\nnet = rnn.%s(base)\nnet2 = rnn.ZoneoutCell(base)' % (
                a, pick('ZoneoutCell', 'ResidualCell'))
            call = unroll
        elif what == 'base-begin-state':
            build = 'base = %s\nnet = rnn.%s(base)' % (a, pick('ZoneoutCell', 'ResidualCell'))
            call = 'out = base.begin_state(batch_size=%d)' % N
        elif what == 'dropout-rate':
            build, call = 'net = rnn.DropoutCell(%s)' % pick("'0.5'", 'None', '[0.5]'), unroll
        elif what == 'seq-step-bidir':
            build = ('net = rnn.%s()\nnet.add(%s)\nnet.add(rnn.BidirectionalCell(%s, %s))'
                     % (pick('SequentialRNNCell', 'HybridSequentialRNNCell'), a, b, b))
            call = 'out = net(x0[0], net.begin_state(batch_size=%d))' % N
        elif what == 'bidir-step':
            build = 'net = rnn.BidirectionalCell(%s, %s)' % (a, b)
            call = 'out = net(x0[0], net.begin_state(batch_size=%d))' % N
        elif what == 'inputs-none':
            build, call = 'net = %s' % a, 'out = net.unroll(%d, None)' % T
        elif what == 'conv-spec':
            build = 'net = contrib.rnn.Conv2DRNNCell((1, 3, 3), 2, %s)' % pick(
                '(3, 3), (2, 2)', '(3,), (3, 3)', '(3, 3), (3, 3, 3)', '(1, 1), (1, 1), i2h_pad=(1,)')
            call = 'out = net.unroll(1, nd.ones((1, 1, 1, 3, 3)), layout=%r)' % 'TNC'
        elif what == 'modifier-begin-state':
            build = 'net = %s' % pick('rnn.ZoneoutCell(%s)' % a, 'rnn.ResidualCell(%s)' % (
                cell_code(pick(*kinds), I, I, deferred=False)[0]),
                'contrib.rnn.VariationalDropoutCell(%s)' % a)
            call = ('out = net.unroll(%d, x0, begin_state=net.begin_state(batch_size=%d), '
                    'layout=%r)' % (T, N, 'TNC'))
        elif what == 'step-state-shape':
            build = 'net = %s' % a
            shapes = [(N, s) for s in sa]
            j = ri(0, len(shapes) - 1)
            shapes[j] = (N + pick(1, 0), shapes[j][1] + 1)
            ins += [rand(s, 'float32') for s in shapes]
            call = 'out = net(x0[0], [%s])' % ', '.join('x%d' % (i + 1) for i in range(len(shapes)))
        elif what == 'step-nstates':
            build = 'net = %s' % a
            shapes = [(N, s) for s in sa] + [(N, sa[0])]
            ins += [rand(s, 'float32') for s in shapes]
            call = 'out = net(x0[0], [%s])' % ', '.join('x%d' % (i + 1) for i in range(len(shapes)))
        else:
            mode = pick('RNN', 'LSTM', 'GRU')
            use = chance(0.5)
            build = 'net = rnn.%s(%d, input_size=%d%s)' % (mode, ri(1, 3), I,
                                                           ', use_sequence_length=True' if use
                                                           else '')
            ins.append(R.randint(1, T + 1, size=(N,)).astype('float32'))
            call = 'out = net(x0, net.begin_state(%d), x1)' % N if not use else pick(
                'out = net(x0)', 'out = net(x0, net.begin_state(%d))' % N)
        add('misuse', build, call, ins, wrt=())


GROUPS = {'layer': (g_layer, 1.0), 'cell': (g_cell, 1.0), 'stack': (g_stack, 1.0),
          'conv': (g_conv, 0.5), 'misuse': (g_misuse, 0.3)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ---------------------------------------------------------

def param_value(cfg, name, shape, dtype):
    """The value every framework gives parameter ``name`` of configuration ``cfg``."""
    rng = np.random.RandomState(zlib.crc32(('%s:%s' % (cfg, name)).encode()))
    return (rng.standard_normal(shape) * 0.5).astype(dtype)


def saved_keys(mx, net):
    """``'key(shape) ...'`` of what ``net.save_parameters`` writes, sorted."""
    fd, path = tempfile.mkstemp(suffix='.params')
    os.close(fd)
    try:
        net.save_parameters(path)
        loaded = mx.nd.load(path)
    finally:
        os.remove(path)
    return ' '.join('%s%s' % (k, tuple(v.shape)) for k, v in sorted(loaded.items()))


def run_net(mx, c, arrays, head):
    """Run case ``c`` on the NumPy ``arrays`` (bound as ``x0, x1...``); ``head(j, a)`` is the
    NumPy head of the ``j``-th float array ``a`` of ``out``. Returns the dict of results (see
    the module docstring). The fuzzer's children, ``tests/rnn/test_rnn_fuzz_regressions.py`` and
    ``tools/gen_rnn_fuzz_fixtures.py`` all run a case with it."""
    nd = mx.nd
    env = {'nd': nd, 'mx': mx, 'np': np, 'rnn': mx.gluon.rnn, 'contrib': mx.gluon.contrib,
           'gluon': mx.gluon}
    with mx.name.NameManager():
        exec(c['build'], env)
    net = env['net']
    xs = [nd.array(a, dtype=a.dtype) for a in arrays]
    env.update({'x%d' % i: x for i, x in enumerate(xs)}, net=net)
    net.initialize()
    if c['hybridize']:
        net.hybridize()
    with mx.autograd.train_mode() if c['train'] else mx.autograd.predict_mode():
        exec(c['call'], dict(env))          # the first call: deferred shapes
    res = {}
    params = net.collect_params()
    res['names'] = np.array(' '.join('%s%s:%s' % (k, tuple(p.shape), np.dtype(p.dtype).name)
                                     for k, p in sorted(params.items())))
    for name, p in params.items():
        if any(name.endswith(kind) for kind in c['init_check']):
            res['init:' + name] = p.data().asnumpy()
        p.set_data(nd.array(param_value(c['cfg'], name, p.shape, p.dtype), dtype=p.dtype))
    res['saved'] = np.array(saved_keys(mx, net))
    for i in c['wrt']:
        xs[i].attach_grad()
    leaves = []

    def leaf(obj):
        if isinstance(obj, nd.NDArray):
            leaves.append(obj)
            return 'ND(%s%s)' % (np.dtype(obj.dtype).name, tuple(obj.shape)), obj
        return None
    with mx.autograd.record(train_mode=c['train']):
        exec(c['call'], env)
        res['structure'] = np.array(_fuzz.structure(mx, env['out'], [], leaf))
        total = None
        for j, a in enumerate(leaves):
            if np.dtype(a.dtype).kind != 'f':
                continue
            h = head(j, a)
            term = (a * nd.array(h, dtype=h.dtype)).sum()
            total = term if total is None else total + term
    for j, a in enumerate(leaves):
        res['out%d' % j] = a.asnumpy()
    if c['grad'] and total is not None:
        total.backward(train_mode=c['train'])
        for i in c['wrt']:
            res['grad%d' % i] = xs[i].grad.asnumpy()
        for name, p in sorted(params.items()):
            if p.grad_req != 'null':
                res['pgrad:' + name] = p.grad().asnumpy()
    return res


def run_case(mx, c, inputs):
    """``run_net`` on the case's inputs, heads drawn from the configuration (the same for the
    eager and the hybridized twin). A ``zero_length`` case is not run under MXNet (it aborts
    or hangs there)."""
    if c.get('zero_length') and mx.__name__ == 'mxnet':
        return {'error': np.array('SKIPPED: a valid_length of 0 crashes MXNet 1.9.1')}
    def head(j, a):
        rng = np.random.RandomState(c['cfg'] * 1000 + j)
        return rng.standard_normal(a.shape).astype(a.dtype)
    return run_net(mx, c, [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])], head)


# -- comparison ----------------------------------------------------------------------------------

# MXNet's fused ``rnn_relu`` computes in float32 inside, even for float64 layers (seen in
# tools/fuzz_gluon_layers.py too): those compare with the float32 tolerance.
F32_INSIDE = dict(TOL, float64=TOL['float32'])


def tolerance(c):
    """``TOL``, or ``F32_INSIDE`` for relu RNN layers."""
    relu = c['build'].startswith('net = rnn.RNN(') and "activation='tanh'" not in c['build']
    return F32_INSIDE if relu else TOL


def check(c, m, o):
    """``_fuzz.check_case`` with ``tolerance(c)`` and the error classes compared."""
    return _fuzz.check_case(m, o, tolerance(c), error_class=True)


# MXNet's error when one operator gets float32 and float64 arrays
MIXED_DTYPE = re.compile(r"expected float32, got float64|Expected 'float32' v.s. given 'float64'")


def known_tag(c, m, o, kind):
    """The tag of a documented difference for case ``c`` (MXNet's results ``m``, ours ``o``),
    or None."""
    err, ours = str(m.get('error', '')), str(o.get('error', ''))
    # unroll's docstring: a layout other than NTC/TNC is refused (MXNet reads T and N from any
    # string, then fails with one of several errors or runs on the wrong axes)
    if re.search(r"layout='(CTN|tnc)'", c['call']) and 'layout must be' in ours:
        return 'unroll-layout'
    if kind == 'ours-error':
        # _RNNLayer.__call__'s docstring: MXNet ignores a sequence_length the layer cannot use
        if 'would be ignored' in ours:
            return 'sequence-length-ignored'
        # _BaseConvRNNCell.forward's docstring: MXNet runs a wrong input size whose i2h
        # convolution broadcasts against the h2h one
        if 'the step input must have shape' in ours:
            return 'conv-input-broadcast'
        return None
    # RecurrentCell.unroll's docstring: a length of 0 keeps the begin states (MXNet crashes)
    if c.get('zero_length'):
        return 'valid-length-zero'
    # docs/PORTING.md: MXNet's cells cast to float64 make float32 zero begin states (unroll fails)
    if "cast('float64')" in c['build'] and MIXED_DTYPE.search(err):
        return 'f64-cell-states'
    # docs/PORTING.md: MXNet's CPU RNN op cannot train an LSTM with projection_size
    if 'No training support for LSTM with projection' in err:
        return 'lstmp-cpu-train'
    # ModifierCell.begin_state's docstring: MXNet's makes Symbols by default
    if 'mixed NDArrays and Symbols' in err and 'begin_state(batch_size' in c['call']:
        return 'modifier-begin-state'
    # a hybridized layer given the wrong number of states or no sequence_length: MXNet's graph
    # check asserts, its eager RNN operator (and minigluon in both modes) raises an MXNetError
    if kind == 'error-class' and c['hybridize'] and 'Unknown input to HybridBlock' in err \
            or '\t[' in err and 'states must be a list of' in ours:
        return 'hyb-layer-inputs'
    # BidirectionalCell.unroll's docstring: with layout NTC, a valid_length and merge_outputs
    # None, MXNet stacks the merged reverse outputs once more, swapping batch and time (wrong
    # values when they are equal, an error otherwise)
    if 'BidirectionalCell' in c['build'] and 'valid_length' in c['call'] \
            and "layout='TNC'" not in c['call'] and kind in ('diff', 'mx-error-ours-ok'):
        return 'bidir-ntc-merge-none'
    # check_step_states's docstring: extra begin states are ignored (MXNet's deferred shape
    # inference fails on them, "[<i>]<name>", and so does its hybridized cell, whose later
    # steps get fewer states than its first)
    if kind == 'mx-error-ours-ok' and (re.match(r'ValueError: \s*\[\d+\]\w+$', err)
                                       or 'does not match the cached version' in err):
        return 'extra-states'
    # docs/PORTING.md (a repeated head): a hybridized stack ending in DropoutCell(0.0) returns one graph
    # entry twice, as the output and as the last cell's state; MXNet's backward keeps one of the
    # two head gradients (its eager run and minigluon's two modes agree)
    if kind == 'diff' and c['hybridize'] and 'DropoutCell(0.0' in c['build'] \
            and all(k.startswith(('grad', 'pgrad:')) for k in m if check_key(c, k, m, o)):
        return 'hyb-repeated-output'
    # docs/PORTING.md: MXNet's float64 RNN layers apply their dropout under autograd.record even
    # outside training mode (float32 ones do not)
    if c['group'].startswith('layer') and "dtype='float64'" in c['build'] \
            and 'dropout=' in c['build'] and not c['train']:
        return 'f64-layer-dropout'
    # docs/PORTING.md: MXNet's float64 RNN layers back-propagate wrong gradients into every layer but
    # the last (float32 and minigluon agree with numerical differentiation)
    if kind == 'diff' and c['group'].startswith('layer') and "dtype='float64'" in c['build'] \
            and all(k.startswith(('grad', 'pgrad:')) for k in m if check_key(c, k, m, o)):
        return 'f64-layer-grad'
    return None


def check_key(c, k, m, o):
    """Whether result ``k`` differs between MXNet's ``m`` and ours ``o``."""
    return k not in o or bool(_fuzz.diff_arrays(k, o[k], m[k], tolerance(c)))


def compare(casedir):
    """The report (``_fuzz.compare_cases``; both raising alike counts as equal)."""
    return _fuzz.compare_cases(casedir, check, known_tag, errors_equal=True)


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case, quiet=True), compare, n=100,
               timeout=120)


if __name__ == '__main__':
    main()
