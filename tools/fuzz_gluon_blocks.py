"""Differential fuzzer of the Gluon Block / Parameter API: seeded random programs that build a
nested model and then name, initialise, cast, save, load, hook, traverse, hybridize and summarise
it, run statement by statement under MXNet 1.9.1 and under minigluon and compared.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_gluon_blocks.py /tmp/blocks-fuzz --seed 1 [--n 2000] [--timeout 180]

A program is a list of statements, each Python source run with ``exec`` in one namespace holding
``mx``, ``nd``, ``gluon``, ``nn``, ``autograd``, ``np`` and the helpers and Block subclasses of
``PRELUDE`` (defined identically for both frameworks): ``Mlp`` (a Block with two Dense children
in its name scope), ``HMlp`` (the same, hybrid), ``NoScope`` (a HybridBlock that makes its child
outside any name scope), ``Scale`` (``self.params.get`` and ``get_constant``), ``PDense`` (a
deferred ``(units, 0)`` parameter), ``AttrP`` (``gluon.Parameter`` / ``gluon.Constant``
attributes), the initializer ``Det`` (deterministic values, so that values compare), ``F(name)``
(a path in the program's own folder), ``PINFO(block)`` (name, shape, dtype, grad_req, lr_mult,
wd_mult of every collected Parameter), ``SUMMARY(block, x)`` (the printed text of ``summary``),
``LOADED(path)`` (the ordered keys of ``nd.load``) and ``LOG`` (hooks and ``apply`` append to it).
Scopes (``name_scope``) are opened and closed by separate statements, so every statement has its
own outcome.

Outcome of a program (``res/<backend>/<key>.npz``): ``raised`` (0/1 per statement), ``warned``
(the number of ``UserWarning``s per statement, leaving out ``CONSTANT_ALIAS``; their texts are
in ``warnings``, printed with a difference, not compared), and the final value of every ``r<N>``
name and of ``LOG``: strings, numbers, lists and dicts as canonical JSON (``json:<name>``,
compared exactly; dtypes by name, contexts by ``str``), NDArrays as arrays (``arr:<name>#<i>``,
dtype, shape and values with ``_fuzz.close``'s tolerances, float32's for float64). Error
types and messages are printed, not compared; what hooks log during a statement that overflows
the stack (a block registered as its own child) is dropped. The files a program saves go to
``files/<backend>/<key>/``; after both runs each backend loads every saved file of both backends
with its own ``nd.load`` (``res/<backend>/<key>.files.npz``) and the four loads of a file
(MXNet's and ours, of MXNet's and of our file) must agree in their ordered keys and values: the
``.params`` files are exchangeable both ways.

The report (stdout) gives the numbers of programs, equal and different, then each difference with
the program, the first statement whose outcome differs marked ``>>`` and both errors. Differences
that docs/PORTING.md's "deliberately differs" table lists are counted under ``KNOWN`` and not printed one
by one. Batches, crash/hang resume, tolerances, the report and the command line (also
``--mx-python``, ``--compare-only``) are ``tools/_fuzz.py``'s. What it found is
pinned by ``tools/gen_gluon_blocks_fuzz_fixtures.py`` (MXNet-made outcomes) and
``tests/block/test_gluon_blocks_fuzz_regressions.py``.
"""
import argparse
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, chance as _r  # noqa: E402

PRELUDE = '''
import contextlib, io, os
LOG = []

class Det(mx.init.Initializer):
    """Deterministic values: 0.5 * sin(1 + index) for weights, 0.1 for biases."""
    def _init_weight(self, name, arr):
        n = int(np.prod(arr.shape))
        arr[:] = nd.array((0.5 * np.sin(np.arange(1, n + 1))).reshape(arr.shape), dtype=arr.dtype)
    def _init_bias(self, name, arr):
        arr[:] = 0.1
    def _init_default(self, name, arr):
        self._init_weight(name, arr)

class Mlp(gluon.Block):
    def __init__(self, units, **kwargs):
        super(Mlp, self).__init__(**kwargs)
        with self.name_scope():
            self.d0 = nn.Dense(units)
            self.d1 = nn.Dense(units, activation='tanh')
    def forward(self, x):
        return self.d1(self.d0(x))

class HMlp(gluon.HybridBlock):
    def __init__(self, units, **kwargs):
        super(HMlp, self).__init__(**kwargs)
        with self.name_scope():
            self.d0 = nn.Dense(units)
            self.d1 = nn.Dense(units, use_bias=False)
    def hybrid_forward(self, F, x):
        return self.d1(F.relu(self.d0(x)))

class NoScope(gluon.HybridBlock):
    def __init__(self, units, **kwargs):
        super(NoScope, self).__init__(**kwargs)
        self.body = nn.Dense(units)
    def hybrid_forward(self, F, x):
        return self.body(x)

class Scale(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Scale, self).__init__(**kwargs)
        with self.name_scope():
            self.scale = self.params.get('scale', shape=(1,), init=mx.init.Constant(1.5))
            self.shift = self.params.get_constant('shift', [[0.25]])
    def hybrid_forward(self, F, x, scale, shift):
        return F.broadcast_add(F.broadcast_mul(x, scale), shift)

class PDense(gluon.HybridBlock):
    def __init__(self, units, **kwargs):
        super(PDense, self).__init__(**kwargs)
        self.units = units
        self.weight = self.params.get('weight', shape=(units, 0), allow_deferred_init=True)
    def hybrid_forward(self, F, x, weight):
        return F.FullyConnected(x, weight, no_bias=True, num_hidden=self.units)

class AttrP(gluon.Block):
    def __init__(self, **kwargs):
        super(AttrP, self).__init__(**kwargs)
        self.g = gluon.Parameter('g', shape=(1,), init=mx.init.One())
        self.c = gluon.Constant('c', nd.array([0.5]))
    def forward(self, x):
        return x * self.g.data() + self.c.data()

def F(name):
    return os.path.join(FILEDIR, name)

def PINFO(block):
    return [(k, p.name, p.shape, np.dtype(p.dtype).name, p.grad_req, p.lr_mult, p.wd_mult)
            for k, p in block.collect_params().items()]

def SUMMARY(block, *args):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        block.summary(*args)
    return buf.getvalue()

def PARAM(block, i):
    ps = list(block.collect_params().values())
    return ps[i % len(ps)]

def LOADED(path):
    d = nd.load(path)
    return list(d.keys()) if isinstance(d, dict) else len(d)

def HOOK(tag):
    def pre(block, args):
        LOG.append([tag, 'pre', block.name, [a.shape for a in args]])
    def post(block, args, out):
        LOG.append([tag, 'post', block.name, out.shape])
    return pre, post
'''

# Differences docs/PORTING.md's "deliberately differs" table lists: the first statement whose outcome
# differs matches the pattern (MXNet raised there, minigluon did not).
KNOWN = [
    (r'SUMMARY\(', 'summary', '`summary`: MXNet prints a bogus row under deferred init, counts '
     'shared parameters twice, fails with user hooks'),
    (r'save_params\(', 'save-params', '`save_params` without `name_scope` crashes in MXNet'),
]
# MXNet errors (of the first statement whose outcome differs) that the table lists.
KNOWN_MX_ERRORS = [('cuDNN', 'float16'), ('float16', 'float16'),
                   ('Incompatible attr in node', 'mixed-dtype'),   # float64 Dense in float32 net
                   ('shape : (', 'zero-size'),                     # nd.ones((3, 0))
                   # load_parameters of a file without '.' keys (MXNet's legacy path): minigluon
                   # also finds full names and parameters outside the block's prefix
                   ('is missing in file:', 'legacy-load'), ('does not start with', 'legacy-load'),
                   # load_parameters of a file saved from a block without parameters
                   ("'list' object has no attribute 'keys'", 'empty-file-load'),
                   # a HybridBlock holding a child its hybrid_forward does not call (a child
                   # registered into BatchNorm, Scale...): MXNet's deferred init fails
                   ('Deferred initialization failed because shape cannot be inferred',
                    'unused-child')]
# minigluon errors (of the first statement whose outcome differs, where MXNet ran) that the
# table lists: a BatchNorm whose parameters do not match the data's channel count (MXNet reads
# past its parameter arrays).
KNOWN_OURS_ERRORS = [('gamma, beta, moving_mean and moving_var must have shape', 'bn-channels')]
# Whole-program patterns.
KNOWN_ANYWHERE = []
# Not counted as a warning: MXNet's ``Constant`` registers an initializer named after
# ``id(self)``; when Python reuses the id of a collected Constant named alike (``AttrP``'s 'c',
# in a later program of the same process), MXNet's registry warns that the new initializer
# overrides the old one -- noise that depends on the programs run before.
CONSTANT_ALIAS = re.compile(r'registered with name constant_.*overriding existing initializer')
# Value differences (no statement outcome differs) the table lists, by the statement that bound
# the value (``_value_known``): ``summary`` (MXNet's bogus ``<Symbol ...>`` row, shared parameters
# counted twice, user hooks) and ``bn-predict-grad`` (under ``record(train_mode=False)`` MXNet's
# BatchNorm input gradient uses the batch statistics).

UNITS = [3, 3, 3, 2, 4]
W0 = 3          # the input's width: x is (2, W0)


class Prog:
    def __init__(self):
        self.lines = []
        self.n = 0
        self.blocks = []          # (var, kind, hybrid, in_width, out_width)
        self.dense = []           # vars of Dense layers (in, out) for sharing
        self.width = W0
        self.dt = 'float32'
        self.inited = False

    def name(self, prefix):
        self.n += 1
        return '%s%d' % (prefix, self.n)

    def add(self, line):
        self.lines.append(line)

    def r(self, expr):
        self.add('%s = %s' % (self.name('r'), expr))


def prefix_kw():
    c = R.randint(6)
    if c == 0:
        return ", prefix=None"
    if c == 1:
        return ", prefix=''"
    if c == 2:
        return ", prefix='%s_'" % R.choice(['fc', 'body', 'head', 'blk'])
    if c == 3:
        return ", prefix='%s'" % R.choice(['x', 'nosep'])
    return ''


def leaf(p, hybrid):
    """A new leaf block (one statement); returns (var, out_width)."""
    w = p.width
    b = p.name('b')
    kinds = ['dense', 'dense', 'dense', 'act', 'drop', 'bn', 'ln', 'hmlp', 'noscope', 'scale',
             'pdense', 'share']
    if not hybrid or _r(0.1):
        kinds += ['mlp', 'attrp']
    k = R.choice(kinds)
    u = int(R.choice(UNITS))
    if k == 'share':
        same = [d for d, (i, o) in p.dense if o == w and (i in (w, 0))]
        if not same:
            k = 'dense'
        else:
            d = R.choice(same)
            line = "%s = nn.Dense(%d, in_units=%d, params=%s.collect_params()%s)" % (
                b, w, w, d, prefix_kw() if _r(0.3) else '')
            p.add(line)
            p.blocks.append((b, 'dense', True))
            return b, w
    if k == 'dense':
        in_u = w if _r(0.5) else 0
        if _r(0.04):
            in_u = w + 1       # a wrong in_units: the forward must fail
        extra = ''
        if _r(0.3):
            extra += ", use_bias=False"
        if _r(0.2):
            extra += ", activation='relu'"
        if _r(0.03):
            extra += ", dtype='float64'"
        p.add("%s = nn.Dense(%d%s%s%s)" % (b, u, ", in_units=%d" % in_u if in_u else '', extra,
                                            prefix_kw() if _r(0.4) else ''))
        p.dense.append((b, (in_u, u)))
        p.blocks.append((b, 'dense', True))
        return b, u
    if k == 'act':
        p.add("%s = nn.Activation('%s'%s)" % (b, R.choice(['relu', 'tanh', 'sigmoid']),
                                             prefix_kw() if _r(0.3) else ''))
        p.blocks.append((b, k, True))
        return b, w
    if k == 'drop':
        p.add("%s = nn.Dropout(0.5%s)" % (b, prefix_kw() if _r(0.2) else ''))
        p.blocks.append((b, k, True))
        return b, w
    if k == 'bn':
        p.add("%s = nn.BatchNorm(%s)" % (b, ', '.join(
            a for a in ['in_channels=%d' % w if _r(0.5) else '',
                        prefix_kw()[2:] if _r(0.3) else ''] if a)))
        p.blocks.append((b, k, True))
        return b, w
    if k == 'ln':
        p.add("%s = nn.LayerNorm(%s)" % (b, ', '.join(
            a for a in ['in_channels=%d' % w if _r(0.5) else '',
                        prefix_kw()[2:] if _r(0.3) else ''] if a)))
        p.blocks.append((b, k, True))
        return b, w
    if k in ('hmlp', 'mlp', 'noscope', 'pdense'):
        cls = {'hmlp': 'HMlp', 'mlp': 'Mlp', 'noscope': 'NoScope', 'pdense': 'PDense'}[k]
        p.add("%s = %s(%d%s)" % (b, cls, u, prefix_kw() if _r(0.5) else ''))
        p.blocks.append((b, k, k != 'mlp'))
        return b, u
    if k == 'scale':
        p.add("%s = Scale(%s)" % (b, prefix_kw()[2:] if _r(0.5) else ''))
        p.blocks.append((b, k, True))
        return b, w
    p.add("%s = AttrP(%s)" % (b, prefix_kw()[2:] if _r(0.5) else ''))
    p.blocks.append((b, 'attrp', False))
    return b, w


def container(p, depth, hybrid):
    """A Sequential / HybridSequential with children; returns its var."""
    hy = hybrid or _r(0.6)
    c = p.name('b')
    p.add("%s = nn.%s(%s)" % (c, 'HybridSequential' if hy else 'Sequential',
                              prefix_kw()[2:] if _r(0.5) else ''))
    p.blocks.append((c, 'hseq' if hy else 'seq', hy))
    scoped = _r(0.7)
    if scoped:
        s = p.name('s')
        p.add('%s = %s.name_scope(); %s.__enter__()' % (s, c, s))
    for _ in range(R.randint(1, 4)):
        if depth < 2 and _r(0.3):
            ch = container(p, depth + 1, hy and not _r(0.05))
        else:
            ch, p.width = leaf(p, hy and not _r(0.05))
        if _r(0.1):
            p.add("%s.register_child(%s, '%s')" % (c, ch, R.choice(['extra', 'mine'])))
        else:
            p.add('%s.add(%s)' % (c, ch))
    if scoped:
        p.add('%s.__exit__(None, None, None)' % s)
    return c


# -- statements after the model is built ---------------------------------------------------------

def pick_block(p):
    return R.choice([b for b, _, _ in p.blocks] + ['net'] * 3)


def init_expr():
    return R.choice(["Det()", "Det()", "mx.init.One()", "mx.init.Constant(0.3)", "'zeros'"])


def s_names(p):
    b = pick_block(p)
    k = R.randint(9)
    if k == 0:
        p.r('[%s.name, %s.prefix, %s.params.prefix]' % (b, b, b))
    elif k == 1:
        p.r('list(%s.collect_params().keys())' % b)
    elif k == 2:
        p.r("list(%s.collect_params('%s').keys())" % (
            b, R.choice(['.*weight|.*bias', '.*weight', '.*running_.*', '.*gamma|.*beta',
                         '.*scale|.*shift', '.*_g$|^c$', 'dense0_.*'])))
    elif k == 3:
        p.r('[(k, c.name) for k, c in %s._children.items()]' % b)
    elif k == 4:
        p.r('repr(%s)' % b)
    elif k == 5:
        p.r('repr(%s.collect_params())' % b)
    elif k == 6:
        p.r('PINFO(%s)' % b)
    elif k == 7:
        p.r('sorted(%s._reg_params.keys())' % b)
    else:
        p.r('[(k, v.name) for k, v in %s.params.items()]' % b)


def s_init(p):
    b = pick_block(p) if _r(0.3) else 'net'
    k = R.randint(6)
    if k == 0 or not p.inited:
        p.add('%s.initialize(init=%s)' % (b, init_expr()))
        p.inited = p.inited or b == 'net'
    elif k == 1:
        p.add('%s.initialize(init=%s, force_reinit=True)' % (b, init_expr()))
    elif k == 2:
        p.add('%s.collect_params().initialize(%s)' % (b, init_expr()))
    elif k == 3:
        p.add("%s.collect_params('.*bias').initialize(mx.init.Constant(0.2), force_reinit=True)" % b)
    elif k == 4:
        p.add('%s.initialize(%s)' % (b, init_expr()))
    else:
        p.add('%s.initialize(init=%s, ctx=mx.cpu(0))' % (b, init_expr()))


def xin(p):
    return 'x' if p.dt == 'float32' else "x.astype('%s')" % p.dt


def s_forward(p):
    k = R.randint(4)
    if k == 0:
        p.r('net(%s)' % xin(p))
    elif k == 1:
        y = p.name('y')
        p.add('with autograd.record(train_mode=False):\n    %s = net(%s).sum()' % (y, xin(p)))
        p.add('%s.backward()' % y)
        p.r("[(k, v.grad()) for k, v in net.collect_params().items() if v.grad_req != 'null']")
    elif k == 2:
        b = pick_block(p)
        p.r("[(k, v.data()) for k, v in %s.collect_params().items()]" % b)
    else:
        p.r('net(%s).shape' % xin(p))


def s_param(p):
    i = R.randint(8)
    P = 'PARAM(net, %d)' % i
    k = R.randint(14)
    if k == 0:
        p.add("net.collect_params().setattr('grad_req', '%s')" % R.choice(['null', 'add', 'write']))
    elif k == 1:
        p.add("net.collect_params('%s').setattr('%s', %s)" % (
            R.choice(['.*', '.*bias', '.*weight']), R.choice(['lr_mult', 'wd_mult']),
            R.choice(['0.0', '2.0', '0.5'])))
    elif k == 2:
        dt = str(R.choice(['float64', 'float64', 'float16']))
        p.add("net.cast('%s')" % dt)
        p.dt = dt
    elif k == 3:
        p.add('net.collect_params().zero_grad()')
    elif k == 4:
        p.add('net.collect_params().reset_ctx(mx.cpu(0))')
    elif k == 5:
        p.r('[str(c) for v in net.collect_params().values() for c in v.list_ctx()]')
    elif k == 6:
        p.r('%s.data()' % P)
    elif k == 7:
        p.add('_p = %s; _p.set_data(nd.ones(_p.shape) * 0.7)' % P)
    elif k == 8:
        p.r('[%s.var().name, sorted(%s.var().list_attr().items())]' % (P, P))
    elif k == 9:
        p.add('%s.shape = %r' % (P, [(3, 3), (2, 3), (3,), (3, 0), (0, 3)][R.randint(5)]))
    elif k == 10:
        p.add("net.collect_params().setattr('dtype', 'float64')")
        p.dt = 'float64'
    elif k == 11:
        p.r('[str(c) for c in %s.list_ctx()]' % P)
    elif k == 12:
        p.r('%s.grad()' % P)
    else:
        p.add("%s.grad_req = '%s'" % (P, R.choice(['null', 'add', 'write', 'bogus'])))


def s_save(p):
    f = p.name('f') + '.params'
    k = R.randint(10)
    if k <= 2:
        p.add("net.save_parameters(F('%s')%s)" % (f, ', deduplicate=True' if _r(0.4) else ''))
        p.r("LOADED(F('%s'))" % f)
        other = p.name('n')
        # load into a rebuilt copy of the program's model (same structure, fresh prefixes)
        p.add('%s = BUILD()' % other)
        opts = []
        if _r(0.3):
            opts.append('allow_missing=True')
        if _r(0.3):
            opts.append('ignore_extra=True')
        if _r(0.25):
            opts.append('cast_dtype=True')
            if _r(0.5):
                opts.append("dtype_source='%s'" % R.choice(['current', 'saved']))
        p.add("%s.load_parameters(F('%s')%s)" % (other, f, ''.join(', ' + o for o in opts)))
        p.r("[(k, v.data()) for k, v in %s.collect_params().items()]" % other)
        if _r(0.5):
            p.r('%s(x).shape' % other)
    elif k == 3:
        b = pick_block(p)
        p.add("%s.save_parameters(F('%s'))" % (b, f))
        p.r("LOADED(F('%s'))" % f)
        p.add("net.load_parameters(F('%s')%s)" % (
            f, R.choice(['', ', allow_missing=True', ', ignore_extra=True',
                         ', allow_missing=True, ignore_extra=True'])))
    elif k == 4:
        strip = R.choice(["''", 'net.prefix'])
        p.add("net.collect_params().save(F('%s'), strip_prefix=%s)" % (f, strip))
        p.r("LOADED(F('%s'))" % f)
        p.add("net.collect_params().load(F('%s'), restore_prefix=%s%s)" % (
            f, strip if _r(0.7) else "'zz_'",
            R.choice(['', ', allow_missing=True', ', ignore_extra=True'])))
    elif k == 5:
        # a different structure: a single Dense
        p.add("net.save_parameters(F('%s'))" % f)
        p.add("_o = nn.Dense(3, in_units=3); _o.load_parameters(F('%s')%s)" % (
            f, R.choice(['', ', ignore_extra=True', ', allow_missing=True, ignore_extra=True'])))
        p.r('_o.weight.data()')
    elif k == 6:
        p.add("net.save_parameters(F('%s'))" % f)
        p.add("net.load_parameters(F('%s'), cast_dtype=True, dtype_source='%s')" % (
            f, R.choice(['current', 'saved'])))
        p.r('PINFO(net)')
    elif k == 7:
        p.add("nd.save(F('%s'), {k: v.data() for k, v in net.collect_params().items()})" % f)
        p.add("net.load_parameters(F('%s')%s)" % (f, R.choice(['', ', ignore_extra=True'])))
    elif k == 8:
        p.add("net.collect_params().save(F('%s'))" % f)
        p.add("net.collect_params().load(F('%s'), ctx=mx.cpu(0))" % f)
        p.r("LOADED(F('%s'))" % f)
    else:
        b = pick_block(p)
        p.add("%s.save_parameters(F('%s'), deduplicate=True)" % (b, f))
        p.r("LOADED(F('%s'))" % f)
        p.add("%s.load_parameters(F('%s'))" % (b, f))


def s_hook(p):
    b = pick_block(p)
    h = p.name('h')
    k = R.randint(5)
    if k <= 1:
        p.add("_pre, _post = HOOK('%s'); %s = %s.register_forward_%shook(%s)" % (
            h, h, b, 'pre_' if k == 0 else '', '_pre' if k == 0 else '_post'))
        p.hooks = getattr(p, 'hooks', []) + [h]
    elif k == 2 and getattr(p, 'hooks', None):
        p.add('%s.detach()' % R.choice(p.hooks))
    elif k == 3:
        p.add("net.apply(lambda blk: LOG.append(['apply', blk.name]))")
    else:
        p.add("%s.apply(lambda blk: LOG.append(['apply', type(blk).__name__, len(blk._children)]))"
              % b)


def s_hybrid(p):
    b = pick_block(p)
    k = R.randint(4)
    if k == 0:
        p.add('%s.hybridize()' % b)
    elif k == 1:
        p.add('%s.hybridize(%s)' % (b, ', '.join(
            '%s=%s' % (a, R.choice(['True', 'False'])) for a in
            ['active', 'static_alloc', 'static_shape'] if _r(0.6))))
    elif k == 2:
        p.add('%s.hybridize(False)' % b)
    else:
        p.add('%s.hybridize(); %s.hybridize(active=True, static_alloc=True)' % (b, b))


def s_child(p):
    b = pick_block(p)
    k = R.randint(4)
    c = p.name('b')
    if k == 0:
        p.add("%s = nn.Dense(%d); %s.register_child(%s, '%s')" % (
            c, p.width, b, c, R.choice(['extra', 'tail', 'd1'])))
    elif k == 1:
        users = [v for v, kind, _ in p.blocks if kind in ('mlp', 'hmlp')]
        tgt = R.choice(users) if users else b
        p.add('%s.d1 = nn.Dense(%d%s)' % (tgt, int(R.choice(UNITS)),
                                          prefix_kw() if _r(0.4) else ''))
    elif k == 2:
        p.add('%s.d1 = nn.Activation("relu")' % b)
    else:
        p.add("%s.d1 = %s" % (b, R.choice([v for v, _, _ in p.blocks] + ['net'])))
    if k == 0:      # the other forms bind no new name
        p.blocks.append((c, 'dense', True))


def s_summary(p):
    p.r('SUMMARY(%s, %s)' % ('net' if _r(0.8) else pick_block(p), xin(p)))


STATEMENTS = [(s_names, 6), (s_init, 3), (s_forward, 4), (s_param, 5), (s_save, 4), (s_hook, 3),
              (s_hybrid, 2), (s_child, 1), (s_summary, 1.5)]


def program():
    """One program: its statements and the statements that rebuild its model (``BUILD``)."""
    p = Prog()
    top_scope = _r(0.3)
    if top_scope:
        p.add("_outer = nn.HybridSequential(prefix='outer_'); _os = _outer.name_scope(); "
              "_os.__enter__()")
    c = container(p, 0, False)
    if top_scope:
        p.add('_os.__exit__(None, None, None)')
    p.add('net = %s' % c)
    build = list(p.lines)
    p.add("x = nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])")
    fns, weights = zip(*STATEMENTS)
    weights = np.array(weights) / sum(weights)
    if _r(0.7):
        s_init(p)
    for _ in range(R.randint(4, 13)):
        fns[R.choice(len(fns), p=weights)](p)
    p.r('list(LOG)')
    return p.lines, build


def g_programs(n):
    for _ in range(n):
        lines, build = program()
        _fuzz.add_program('blocks', lines, build=build)


def generate(out, seed, n, only=None):
    """Write ``n`` programs of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, {'blocks': (g_programs, 1.0)}, n, inputs=False)


# -- one backend -----------------------------------------------------------------------------------

def canon(v, arrays, nd, depth=0):
    """A JSON-able form of ``v``; NDArrays go to ``arrays`` (replaced by '<arr#i>')."""
    if depth > 6:
        return '<deep>'
    if isinstance(v, nd.NDArray):
        arrays.append(v.asnumpy())
        return '<arr#%d>' % (len(arrays) - 1)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return round(float(v), 6)
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, type) and issubclass(v, np.generic) or isinstance(v, np.dtype):
        return 'dtype:' + np.dtype(v).name
    if isinstance(v, (list, tuple)):
        return [canon(a, arrays, nd, depth + 1) for a in v]
    if isinstance(v, dict):
        return [[str(k), canon(a, arrays, nd, depth + 1)] for k, a in v.items()]
    if type(v).__name__ == 'Context':
        return str(v)
    return '<%s>' % type(v).__name__


def run_program(mx, lines, build, filedir):
    """Run ``lines`` one by one; return ``(results, errors)`` (see the module docstring)."""
    import warnings
    nd = mx.nd
    _reset_names(mx)
    env = {'mx': mx, 'nd': nd, 'gluon': mx.gluon, 'nn': mx.gluon.nn, 'autograd': mx.autograd,
           'np': np, 'FILEDIR': filedir}
    exec(PRELUDE, env)

    def rebuild():
        e = dict(env)
        saved = _scopes(mx)
        try:
            for line in build:
                exec(line, e)
        finally:    # a failed statement must not leave its name scopes open
            _scopes(mx, saved)
        return e['net']
    env['BUILD'] = rebuild
    raised, warned, errors, texts = [], [], [], []
    for line in lines:
        n_log = len(env['LOG'])
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter('always')
            e = _fuzz.run_statement(line, env, nd)
        raised.append(int(e is not None))
        errors.append(None if e is None else _fuzz.error_text(e, 200))
        if isinstance(e, RecursionError):
            # what the hooks logged before the stack overflowed depends on how many Python
            # frames each framework spends per call: drop it
            del env['LOG'][n_log:]
        ws = [w for w in ws if issubclass(w.category, UserWarning)
              and not CONSTANT_ALIAS.search(str(w.message))]
        warned.append(len(ws))
        texts.append([str(w.message)[:200] for w in ws])
    mx.autograd.set_recording(False)
    res = {'raised': np.array(raised, dtype=np.int8), 'warned': np.array(warned, dtype=np.int8)}
    for name in sorted(env):
        if not (re.match(r'^r\d+$', name) or name == 'LOG'):
            continue
        arrays = []
        try:
            # object ids in initializer names (Constant_shift_140433698566672)
            res['json:' + name] = np.array(re.sub(r'_\d{9,}', '_<id>', json.dumps(
                canon(env[name], arrays, nd))))
        except Exception as e:  # noqa: BLE001
            res['json:' + name] = np.array('<canon failed: %s>' % type(e).__name__)
        for i, a in enumerate(arrays):
            res['arr:%s#%d' % (name, i)] = a
    return res, errors, texts


def replay(mx, lines, filedir, on_error=None):
    """Run the statements of a regression program one by one in one namespace holding ``mx``,
    ``nd``, ``gluon``, ``nn``, ``autograd``, ``np`` and ``FILEDIR`` (no ``PRELUDE``); return
    (raised 0/1 per statement, number of ``UserWarning``s per statement, the namespace).
    ``on_error(line, exception)`` is called for a statement that raised. Shared by
    ``tools/gen_gluon_blocks_fuzz_fixtures.py`` (on MXNet) and
    ``tests/block/test_gluon_blocks_fuzz_regressions.py`` (on minigluon)."""
    import warnings
    env = {'mx': mx, 'nd': mx.nd, 'gluon': mx.gluon, 'nn': mx.gluon.nn, 'autograd': mx.autograd,
           'np': np, 'FILEDIR': str(filedir)}
    raised, warned = [], []
    for line in lines:
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter('always')
            try:
                exec(line, env)
                raised.append(0)
            except Exception as e:  # noqa: BLE001 -- the outcome is whether it raised
                if on_error:
                    on_error(line, e)
                raised.append(1)
        warned.append(sum(1 for w in ws if issubclass(w.category, UserWarning)))
    return np.array(raised, dtype=np.int8), np.array(warned, dtype=np.int8), env


def _scopes(mx, state=None):
    """The (block scope, name manager) in effect; with ``state``, put those back instead."""
    if hasattr(mx.gluon.block, '_BlockScope'):          # MXNet
        scope = mx.gluon.block._BlockScope
    else:
        from minigluon.block._scope import _BlockScope as scope
    if state is None:
        return getattr(scope._current, 'value', None), mx.name.NameManager._current.value
    scope._current.value, mx.name.NameManager._current.value = state
    return state


def _reset_names(mx):
    """Fresh automatic-name counters and no open name scope (as in a new process), so that a
    program's names do not depend on the programs run before it in the same process."""
    _scopes(mx, (None, mx.name.NameManager()))


def child(backend, casedir, start, args):
    """The child process: the programs from ``start`` (each saving into
    ``files/<backend>/<key>/``), or with ``--crossload`` the loads of their saved files."""
    def run_case(mx, c, inputs):
        filedir = os.path.join(casedir, 'files', backend, c['key'])
        os.makedirs(filedir, exist_ok=True)
        res, errors, texts = run_program(mx, c['lines'], c['build'], filedir)
        res['errors'] = np.array(json.dumps(errors))
        res['warnings'] = np.array(json.dumps(texts))
        return res
    if args.crossload:
        _fuzz.run_cases(backend, casedir, start, lambda mx, c, inputs: crossload(mx, casedir, c),
                        suffix='.files')
    else:
        _fuzz.run_cases(backend, casedir, start, run_case)


def crossload(mx, casedir, c):
    """Every file program ``c`` saved, under either backend, loaded with ``mx.nd.load``:
    ``keys:<backend>/<file>`` (the ordered keys), ``arr:<backend>/<file>:<key>`` or
    ``err:<backend>/<file>``."""
    res = {}
    for who in ('mxnet', 'minigluon'):
        d = os.path.join(casedir, 'files', who, c['key'])
        for fn in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            tag = '%s/%s' % (who, fn)
            try:
                data = mx.nd.load(os.path.join(d, fn))
                items = list(data.items()) if isinstance(data, dict) else list(enumerate(data))
                res['keys:' + tag] = np.array(json.dumps([str(k) for k, _ in items]))
                for k, v in items:
                    res['arr:%s:%s' % (tag, k)] = v.asnumpy()
            except Exception as e:  # noqa: BLE001
                res['err:' + tag] = np.array('%s: %s' % (type(e).__name__, str(e)[:200]))
    return res


# -- comparison --------------------------------------------------------------------------------------

# ``_fuzz.TOLERANCES``, but float64 with float32's: every program computes in float32 first, and
# values carried through a later ``cast('float64')`` keep float32's rounding.
TOL = dict(_fuzz.TOLERANCES, float64=_fuzz.TOLERANCES['float32'])


def diff_files(mf, of):
    """The four loads of every saved file must agree (keys in order and values)."""
    bad = []
    tags = sorted({k.split(':', 1)[1] for d in (mf, of) for k in d if k.startswith(('keys:', 'err:'))})
    names = sorted({t.split('/', 1)[1] for t in tags})
    for fn in names:
        loads = {}
        for reader, d in (('mx', mf), ('ours', of)):
            for who in ('mxnet', 'minigluon'):
                tag = '%s/%s' % (who, fn)
                if 'err:' + tag in d:
                    loads['%s<-%s' % (reader, who)] = ('error', str(d['err:' + tag]))
                elif 'keys:' + tag in d:
                    keys = json.loads(str(d['keys:' + tag]))
                    loads['%s<-%s' % (reader, who)] = (
                        keys, [d['arr:%s:%s' % (tag, k)] for k in keys])
        if len(loads) < 4:
            continue         # saved by one backend only: the statement outcomes say so
        ref = loads['mx<-mxnet']
        for name, got in loads.items():
            if got[0] == 'error' or ref[0] == 'error':
                if (got[0] == 'error') != (ref[0] == 'error'):
                    bad.append('file %s: %s %s / mx<-mxnet %s' % (fn, name, got[0] if got[0] ==
                               'error' else 'ok', ref))
                continue
            if got[0] != ref[0]:
                bad.append('file %s: %s keys %s / mx<-mxnet %s' % (fn, name, got[0], ref[0]))
                continue
            for k, a, b in zip(got[0], got[1], ref[1]):
                if a.dtype != b.dtype or a.shape != b.shape or not _fuzz.close(a, b, TOL):
                    bad.append('file %s: %s key %s differs (%s%s / %s%s)' % (
                        fn, name, k, a.dtype, a.shape, b.dtype, b.shape))
    return bad


FORWARD = re.compile(r'\bnet\(|\b[bn]\d+\(x|SUMMARY\(')


def _after_failed_call(case, m, o, i):
    """Whether statement ``i`` comes after a forward call that raised under both frameworks:
    docs/PORTING.md's "a failed first call leaves the deferred parameters pending" (MXNet keeps the
    layers that ran before the failure initialised), so later outcomes may differ."""
    return any(FORWARD.search(case['lines'][j]) and m['raised'][j] and o['raised'][j]
               for j in range(min(i, len(m['raised']))))


def _after_failed_load(case, m, o, i):
    """Whether statement ``i`` comes after a load that raised under both frameworks: docs/PORTING.md's
    "a failed load can leave a network half-loaded" (MXNet loaded the parameters before the one
    that failed), so later outcomes may differ."""
    return any(re.search(r'\.load(_parameters)?\(', case['lines'][j]) and m['raised'][j]
               and o['raised'][j] for j in range(min(i, len(m['raised']))))


def _changed_under_hybridized(case, i):
    """Whether before statement ``i`` a child was added to a block after some ``hybridize()``:
    docs/PORTING.md's "replacing a grandchild of a hybridized block ... the cached graphs of every ancestor
    are dropped", so minigluon rebuilds (and warns about what the new graph leaves unused) where
    MXNet runs its old graph."""
    lines = case['lines'][:i]
    first = [j for j, s in enumerate(lines) if re.search(r'hybridize\((?!False|active=False)', s)]
    return bool(first) and any(re.search(r'\.d1 = |register_child\(', s)
                               for s in lines[first[0]:])


def _tag(case, item, m, o):
    """The KNOWN tag of one difference of ``diff_program`` / ``diff_files``, or None."""
    text = '\n'.join(case['lines'])
    mx_errors = json.loads(str(m['errors'])) if 'errors' in m else []
    ours_errors = json.loads(str(o['errors'])) if 'errors' in o else []
    mt = re.match(r'statement (\d+): (.*)', item)
    if mt:
        i, what = int(mt.group(1)), mt.group(2)
        line = case['lines'][i]
        if what.startswith('MXNet raised'):
            for msg, tag in KNOWN_MX_ERRORS:
                if msg in (mx_errors[i] or ''):
                    return tag
            for pat, tag, _ in KNOWN:
                if re.search(pat, line):
                    return tag
        if what.startswith('ours raised'):
            for msg, tag in KNOWN_OURS_ERRORS:
                if msg in (ours_errors[i] or ''):
                    return tag
        if what.startswith('warnings') and re.search(r'hybridize\((False|active=False)', line):
            return 'hook-warn-inactive'
        ours_warned = json.loads(str(o['warnings']))[i] if 'warnings' in o else []
        if (what.startswith('warnings') and any('is not used by any computation' in w
                                                for w in ours_warned)
                and _changed_under_hybridized(case, i)):
            return 'ancestor-cache'
        if (what.startswith('ours raised') and (ours_errors[i] or '').startswith('DeferredInit')
                or what.startswith('warnings')) and _after_failed_call(case, m, o, i):
            return 'failed-first-call'
        if what.startswith('ours raised') and _after_failed_load(case, m, o, i):
            return 'half-loaded'
        return None
    mt = re.match(r'file (\S+): ', item)
    if mt:      # a saved file's values: the statement that saved it decides
        i = [j for j, s in enumerate(case['lines']) if "F('%s')" % mt.group(1) in s][0]
        return 'failed-first-call' if _after_failed_call(case, m, o, i) else None
    mt = re.match(r'(?:json|arr):(r\d+)', item)
    if not mt:
        return None
    i = [j for j, s in enumerate(case['lines']) if s.startswith(mt.group(1) + ' = ')][0]
    line = case['lines'][i]
    if 'SUMMARY(' in line and ('<Symbol' in str(m.get('json:' + mt.group(1), '')) or re.search(
            r'params=|register_forward|\.d1 = b\d|register_child', text)):
        return 'summary'
    if '.grad()' in line and 'BatchNorm' in text:
        return 'bn-predict-grad'
    ma = re.match(r'arr:(r\d+#\d+) values', item)
    if (ma and '.grad()' in line and re.search(r"grad_req(', | = )'null'", text)
            and not m['arr:' + ma.group(1)].any()):
        # MXNet's float32 (oneDNN) FullyConnected leaves the bias gradient at zero when the
        # weight's grad_req is 'null'
        return 'frozen-weight-bias-grad'
    if '.var()' in line:
        return 'stale-var'
    if 'only in' not in item and _after_failed_call(case, m, o, i):
        return 'failed-first-call'
    return None


def classify(case, bad, m, o):
    """The KNOWN tag(s) of a program's differences when every one of them has a tag (None when
    a whole program failed)."""
    if 'raised' not in m or 'raised' not in o:
        return None
    text = '\n'.join(case['lines'])
    for pat, tag, _ in KNOWN_ANYWHERE:
        if re.search(pat, text):
            return tag
    # the first statement whose outcome differs decides; the values after it follow from it
    first = [b for b in bad if b.startswith('statement ') and 'warnings' not in b]
    if first:
        return _tag(case, first[0], m, o)
    tags = set()
    for item in bad:
        tag = _tag(case, item, m, o)
        if tag is None:
            return None
        tags.add(tag)
    return '+'.join(sorted(tags)) or None


def diff(c, m, o, casedir):
    """The differences of program ``c``: its outcomes, then the loads of its saved files."""
    return _fuzz.diff_program(m, o, TOL, outcomes=('raised', 'warned'),
                              skip=('errors', 'warnings')) + \
        diff_files(_fuzz.load_result(casedir, 'mxnet', c['key'], '.files'),
                   _fuzz.load_result(casedir, 'minigluon', c['key'], '.files'))


def compare(casedir, verbose=True):
    """The report (``_fuzz.compare_programs``)."""
    return _fuzz.compare_programs(casedir, lambda c, m, o: diff(c, m, o, casedir), classify,
                                  verbose)


def crossload_pass(casedir, keys, args):
    """After both runs, each backend loads every saved file (``--crossload`` children)."""
    for backend in ('mxnet', 'minigluon'):
        _fuzz.run_backend(backend, casedir, keys, args.timeout, __file__,
                          extra_args=['--crossload'], suffix='.files')


def main():
    _fuzz.main(__doc__, __file__, generate, child, compare, n=500, timeout=180, groups=False,
               options=[(('--crossload',), dict(action='store_true', help=argparse.SUPPRESS))],
               after_run=crossload_pass)


if __name__ == '__main__':
    main()
