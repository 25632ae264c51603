"""Differential fuzzer of the control-flow operators: seeded random programs calling
``F.contrib.foreach``, ``F.contrib.while_loop`` and ``F.contrib.cond`` (nested in one another),
run under MXNet 1.9.1 and under minigluon eagerly, under ``autograd.record`` with a backward pass,
as a hybridized ``HybridBlock`` (forward, then forward and backward) and exported and re-imported,
and compared value by value, gradient by gradient and by the class of the error raised.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_control_flow.py /tmp/cf-fuzz --seed 1 [--n 300] [--groups foreach,while]
                                       [--timeout 300]

A program is the source of ``def prog(F, X, P)``: ``F`` is ``nd`` or ``sym``, ``X`` the list of
input arrays, ``P`` the dict of parameters (read by the bodies as closures). Its bodies are built
from element-wise operators (``tanh``, ``sigmoid``, ``sin``, ``relu``, ``+``, ``*``,
``broadcast_maximum``...), ``dot`` with a parameter, reductions and ``broadcast_to``; they close
over parameters, inputs and values computed outside; they take one or several data arrays, one
state or (nested) lists of states of several shapes, and nest a ``foreach`` or ``while_loop`` or
``cond`` inside a body (a ``foreach`` over the rows of a data slice, a ``cond`` whose predicate
is computed from an array). ``while_loop`` bounds are reached or not, sometimes no step runs;
data arrays are sometimes of length zero, and a few programs hold a mistake (states structured
unlike the initial ones, a body that does not return a pair, data of two lengths, a predicate
of several elements, branches returning different numbers of outputs, a loop variable that
changes shape, a state the body does not read). The program returns ``OUT(...)``: its results
flattened (their nested structure is the result ``struct``, compared exactly). ``while_loop``
outputs pass through ``MASK``, which zeroes the rows after the last step (MXNet leaves them
uninitialised).

Each program is up to five cases, one per mode (group ``<kind>.<mode>``, kind ``foreach``,
``while``, ``cond`` or ``nested``):

* ``eager``: ``prog(nd, ...)``;
* ``grad``: the same under ``autograd.record()``, then ``backward`` of ``sum(out_j * w_j)``
  (``w_j`` drawn from the output's position and shape); gradients of every input (``gx<i>``)
  and parameter (``gp:<name>``);
* ``hyb``: a ``HybridBlock`` holding the parameters (``hybrid_forward`` calls ``prog(F, ...)``),
  hybridized, forward;
* ``hybgrad``: the hybridized block recorded and differentiated as in ``grad``;
* ``export`` (about half the programs): the hybridized block's outputs, ``export``, then
  ``SymbolBlock.imports`` of the files and its outputs (``imp<j>``), and the exported JSON
  (``json``, compared with subgraph counters normalised). After both runs each backend imports
  the other's files (``--crossload`` children): MXNet runs minigluon's export and minigluon
  MXNet's, and both must give MXNet's outputs (``cross<j>``).

Known differences are counted under their tag and not printed one by one (docs/PORTING.md's "deliberately
differs" rows on control flow):

* MXNet's hybridized runs (``MX_HYBRID_FAULTS``), tagged only when minigluon's hybridized
  results equal MXNet's own eager ones: the backward of a hybridized ``_cond`` / ``_foreach`` /
  ``_while_loop`` failing in storage type inference or on ``bwd_input_eid``, a recorded
  hybridized ``_while_loop`` refused, wrong hybridized gradients (``mx-hyb-grad``: a ``mean``
  in a body, whose MXNet backward into a gradient being added to divides the earlier sum too,
  or a loop state that starts from an array the body also reads), a ``while_loop`` that runs
  no step whose outputs feed another operator, a ``foreach`` body holding a ``cond`` or a
  ``while_loop`` (shape inference), a float64 ``cond``;
* minigluon's refusals of mistakes MXNet lets through (``KNOWN``): data of length 0, data of
  two lengths and states structured unlike ``init_states`` in the eager ``foreach``, a loop
  variable or state that changes shape, a ``Reshape`` to another size; and MXNet's failures on
  size-0 inputs (``zero-size``).

Batches, crash/hang resume, tolerances and the command line are ``tools/_fuzz.py``'s. What it
found is pinned by ``tools/gen_control_flow_fuzz_fixtures.py`` (MXNet-made outcomes and
exports) and ``tests/test_control_flow_fuzz_regressions.py``.
"""
import argparse
import os
import re
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, chance, pick, ri  # noqa: E402

# Loops multiply rounding errors: looser than the element-wise fuzzer.
TOL = {'float16': (2e-2, 2e-2), 'float32': (2e-3, 2e-4), 'float64': (1e-7, 1e-9)}

PRELUDE = '''
STRUCT = []

def _struct(v):
    if isinstance(v, list):
        return '[%s]' % ','.join(_struct(a) for a in v)
    if isinstance(v, tuple):
        return '(%s)' % ','.join(_struct(a) for a in v)
    return 'None' if v is None else 'A'

def OUT(*vals):
    """The results flattened; their nested structure goes to STRUCT."""
    flat = []
    def walk(v):
        if isinstance(v, (list, tuple)):
            for a in v:
                walk(a)
        elif v is not None:
            flat.append(v)
    STRUCT.append(_struct(list(vals)))
    walk(list(vals))
    return flat

def MASK(F, outs, k, m):
    """while_loop outputs with the rows after the last step (k steps ran) set to zero."""
    if isinstance(outs, (list, tuple)):
        return [MASK(F, o, k, m) for o in outs]
    keep = F.broadcast_lesser(F.arange(0, m), F.cast(F.reshape(k, shape=(1,)), dtype='float32'))
    return F.where(keep, outs, F.zeros_like(outs))
'''

MODES = ('eager', 'grad', 'hyb', 'hybgrad', 'export')
ERR_P = 0.06          # the share of constructs holding a mistake

UNARY = ['F.tanh(%s)', 'F.sigmoid(%s)', 'F.sin(%s)', 'F.relu(%s)', '(%s * 0.5)', '(%s + 0.25)',
         'F.cos(%s)', '(-%s)', 'F.square(F.tanh(%s))']
BINARY = ['(%s + %s)', '(%s * %s)', '(%s - %s)', 'F.broadcast_maximum(%s, %s)',
          'F.elemwise_mul(%s, %s)']


class Gen:
    """One program being drawn: its lines, parameters (name -> shape), kinds and mistakes."""

    def __init__(self):
        self.lines = []
        self.ind = 1
        self.n = 0
        self.params = {}
        self.kinds = set()
        self.errors = []
        self.nested = False

    def new(self, stem):
        self.n += 1
        return '%s%d' % (stem, self.n)

    def emit(self, line):
        self.lines.append('    ' * self.ind + line)

    def param(self, shape):
        """A parameter of ``shape`` (an existing one or a new one), as ``P['pN']``."""
        same = [k for k, s in self.params.items() if s == shape]
        if same and chance(0.7):
            return "P['%s']" % pick(*same)
        name = 'p%d' % len(self.params)
        self.params[name] = shape
        return "P['%s']" % name

    def let(self, scope, shape, code):
        name = self.new('v')
        self.emit('%s = %s' % (name, code))
        scope.append((name, shape))
        return name

    def error(self, level, *options):
        """An injected mistake (one of ``options``) or None; at most one per program."""
        if self.errors or not chance(ERR_P):
            return None
        e = pick(*options)
        self.errors.append(e)
        return e


# -- expressions ---------------------------------------------------------------------------------

def convert(g, src, t):
    """The expression ``src = (code, shape)`` brought to shape ``t``."""
    e, s = src
    if s == t:
        return e
    if len(s) == 2 and len(t) == 2 and s[0] == t[0] and chance(0.6):
        return 'F.dot(%s, %s)' % (e, g.param((s[1], t[1])))
    if len(s) == 2 and t == (s[1],) and chance(0.7):
        return pick('F.sum(%s, axis=0)', 'F.mean(%s, axis=0)') % e
    if len(s) == 3 and t == s[1:] and chance(0.7):
        return pick('F.mean(%s, axis=0)', 'F.max(%s, axis=0)') % e
    red = e if s == (1,) else pick('F.sum(%s)', 'F.mean(%s)', 'F.mean(%s)') % e
    if t == (1,):
        return red
    return 'F.broadcast_to(F.reshape(%s, shape=%r), shape=%r)' % (red, (1,) * len(t), t)


def expr(g, scope, t, depth=2):
    """A random expression of shape ``t`` over the values of ``scope``."""
    same = [e for e, s in scope if s == t]
    if depth <= 0 or chance(0.25):
        if same and not chance(0.2):
            return pick(*same)
        return convert(g, scope[R.randint(len(scope))], t)
    k = R.randint(7)
    if k == 0:
        return pick(*UNARY) % expr(g, scope, t, depth - 1)
    if k == 1:
        return pick(*BINARY) % (expr(g, scope, t, depth - 1), expr(g, scope, t, depth - 1))
    if k == 2 and len(t) == 2:
        ins = [s for _, s in scope if len(s) == 2 and s[0] == t[0]]
        kdim = pick(*ins)[1] if ins else t[1]
        return 'F.dot(%s, %s)' % (expr(g, scope, (t[0], kdim), depth - 1), g.param((kdim, t[1])))
    if k == 3 and t != (1,):
        return 'F.broadcast_mul(%s, %s)' % (expr(g, scope, t, depth - 1),
                                            expr(g, scope, (1,), depth - 1))
    if k == 4 and len(t) == 2:
        b = g.param((t[1],)) if chance(0.6) else expr(g, scope, (t[1],), depth - 1)
        return 'F.broadcast_add(%s, %s)' % (expr(g, scope, t, depth - 1), b)
    if k == 5 and same:
        return pick(*same)
    return convert(g, scope[R.randint(len(scope))], t)


def bounded(code):
    return pick('F.tanh(%s)', 'F.tanh(%s)', 'F.sigmoid(%s)', 'F.sin(%s)') % code


def shape_options(scope):
    """Shapes a new state or output may take: those of the scope's 1-d and 2-d values, and (1,)."""
    shapes = sorted({s for _, s in scope if 1 <= len(s) <= 2})
    return shapes + [(1,)]


def structure(n, allow_single=True):
    """A random nesting of ``n`` items: a template (``fill`` puts the items in) and how to reach
    each item in the result."""
    ph = ['\x00%d\x00' % i for i in range(n)]
    if n == 1 and allow_single and chance(0.35):
        return ph[0], ['']
    if n >= 2 and chance(0.4):
        cut = ri(1, n - 1)
        if chance(0.5):      # [a, [b, c]]
            tpl = '[%s, [%s]]' % (', '.join(ph[:cut]), ', '.join(ph[cut:]))
            paths = ['[%d]' % i for i in range(cut)] + ['[%d][%d]' % (cut, i)
                                                        for i in range(n - cut)]
        else:                # [[a], b, c]
            tpl = '[[%s], %s]' % (', '.join(ph[:cut]), ', '.join(ph[cut:]))
            paths = ['[0][%d]' % i for i in range(cut)] + ['[%d]' % (1 + i)
                                                           for i in range(n - cut)]
        return tpl, paths
    return '[%s]' % ', '.join(ph), ['[%d]' % i for i in range(n)]


def fill(tpl, items):
    """The template of ``structure`` with its items."""
    return re.sub('\x00(\\d+)\x00', lambda m: items[int(m.group(1))], tpl)


# -- constructs -------------------------------------------------------------------------------------

def nested(g, scope, level):
    """Maybe a construct nested inside a body (adds its results to ``scope``)."""
    if level < 2 and chance(0.4 if level == 0 else 0.15):
        g.nested = True
        construct(g, scope, level + 1)


def construct(g, scope, level):
    k = R.randint(3)
    return [c_foreach, c_while, c_cond][k](g, scope, level)


def c_foreach(g, scope, level):
    cands = [(e, s) for e, s in scope if len(s) >= 2 and not e.startswith('P[')]
    if not cands:
        return c_cond(g, scope, level)
    g.kinds.add('foreach')
    data = [pick(*cands)]
    same_len = [c for c in cands if c[1][0] == data[0][1][0] and c[0] != data[0][0]]
    if same_len and chance(0.35):
        data.append(pick(*same_len))
    err = g.error(level, 'state-structure', 'not-pair', 'data-length', 'unused-state',
                  'state-shape')
    if err == 'data-length':
        other = [c for c in cands if c[1][0] != data[0][1][0]]
        if other:
            data.append(pick(*other))
        else:
            g.errors.remove(err)
            err = None
    data_list = len(data) > 1 or chance(0.2)
    nst = ri(1, 3)
    st_shapes = [pick(*shape_options(scope + [('', d[1][1:]) for d in data])) for _ in range(nst)]
    inits = [g.let(scope, s, bounded(expr(g, scope, s, 1))) for s in st_shapes]
    st_tpl, st_paths = structure(nst)
    fn = g.new('body')
    dn, sn = 'd' + fn[4:], 's' + fn[4:]      # unique: a nested body must not shadow them
    g.emit('def %s(%s, %s):' % (fn, dn, sn))
    g.ind += 1
    inner = list(scope)
    slices = [('%s[%d]' % (dn, i) if data_list else dn, d[1][1:]) for i, d in enumerate(data)]
    states = [(sn + p, s) for p, s in zip(st_paths, st_shapes)]
    inner += slices + states
    # every data slice is read (sym.contrib.foreach requires it)
    mix_shape = pick(*shape_options(inner))
    mix = g.let(inner, mix_shape, bounded(' + '.join(convert(g, sl, mix_shape) for sl in slices)))
    nested(g, inner, level)
    for _ in range(ri(0, 2)):
        sh = pick(*shape_options(inner))
        g.let(inner, sh, expr(g, inner, sh))
    nout = pick(0, 1, 1, 2, 3)
    outs, out_shapes = [], []
    for _ in range(nout):
        sh = pick(*shape_options(inner))
        outs.append(expr(g, inner, sh))
        out_shapes.append(sh)
    out_paths = []
    if nout == 0:
        out_code = '[]'
    else:
        tpl, out_paths = structure(nout)
        out_code = fill(tpl, outs)
    new_states = []
    for j, (acc, sh) in enumerate(states):
        if err == 'unused-state' and j == 0:
            others = [x for x in inner if not x[0].startswith(sn)]
            new_states.append(bounded(convert(g, (mix, mix_shape), sh) + ' + ' +
                                      expr(g, others, sh, 1)))
        elif err == 'state-shape' and j == 0:
            new_states.append('F.concat(%s, %s, dim=0)' % (acc, acc))
        else:
            # the first state reads the mix of the data slices
            new_states.append(bounded('%s * %s + %s' % (
                acc, pick('0.5', '0.9', '1.0'), convert(g, (mix, mix_shape), sh) if j == 0
                else expr(g, inner, sh, 1))))
    st_code = fill(st_tpl, new_states)
    if err == 'state-structure':
        if not st_tpl.startswith('['):
            st_code = '[%s]' % st_code
        elif st_tpl.count('[') > 1:
            st_code = '[%s]' % ', '.join(new_states)
        else:
            st_code = '[%s]' % ', '.join(new_states[:-1] + ['[%s]' % new_states[-1]])
    if err == 'not-pair':
        g.emit('return %s' % (st_code if chance(0.5) else '(%s, %s, %s)' % (out_code, st_code, mix)))
    else:
        g.emit('return %s, %s' % (out_code, st_code))
    g.ind -= 1
    data_code = '[%s]' % ', '.join(d[0] for d in data) if data_list else data[0][0]
    o, st = g.new('o'), g.new('st')
    g.emit('%s, %s = F.contrib.foreach(%s, %s, %s)' % (o, st, fn, data_code, fill(st_tpl, inits)))
    T = data[0][1][0]
    for p, sh in zip(out_paths, out_shapes):
        scope.append((o + p, (T,) + sh))
    for p, sh in zip(st_paths, st_shapes):
        scope.append((st + p, sh))
    return '%s, %s' % (o, st)


def c_while(g, scope, level):
    g.kinds.add('while')
    err = g.error(level, 'nvars', 'cond-shape', 'var-shape', 'unused-var', 'not-pair')
    src = scope[R.randint(len(scope))]
    k0 = g.let(scope, (1,), 'F.zeros_like(%s)' % convert(g, src, (1,)))
    nv = pick(0, 1, 1, 2)
    shapes = [pick(*shape_options(scope)) for _ in range(nv)]
    inits = [k0] + [g.let(scope, s, bounded(expr(g, scope, s, 1))) for s in shapes]
    M = pick(1, 2, 3, 4, 5, 5) if not chance(0.04) else 0
    n = ri(0, 6)
    cname, fname = g.new('cond'), g.new('func')
    kn = 'k' + fname[4:]                    # unique: a nested loop must not shadow them
    args = [kn] + ['a%s_%d' % (fname[4:], i) for i in range(nv)]
    simple = '%s < %d' % (kn, n)
    pred = simple
    if nv and chance(0.3):
        pred = '(%s) * (F.sum(%s) < %s)' % (simple, pick(*args[1:]), pick('0.5', '2.0', '10.0'))
    if err == 'cond-shape':
        pred = '(%s > 0)' % (pick(*args[1:]) if nv else 'F.concat(%s, %s, dim=0)' % (kn, kn))
    g.emit('def %s(%s):' % (cname, ', '.join(args)))
    g.emit('    return %s' % pred)
    g.emit('def %s(%s):' % (fname, ', '.join(args)))
    g.ind += 1
    inner = list(scope) + [(a, s) for a, s in zip(args, [(1,)] + shapes)]
    nested(g, inner, level)
    for _ in range(ri(0, 2)):
        sh = pick(*shape_options(inner))
        g.let(inner, sh, expr(g, inner, sh))
    nout = pick(0, 1, 1, 2, 3) if M else 0
    outs, out_shapes = [], []
    for _ in range(nout):
        sh = pick(*shape_options(inner))
        outs.append(expr(g, inner, sh))
        out_shapes.append(sh)
    if nout == 0:
        out_code, out_paths = pick('None', '[]'), []
    else:
        tpl, out_paths = structure(nout)
        out_code = fill(tpl, outs)
    new = [kn + ' + 1']
    for i, s in enumerate(shapes):
        a = args[i + 1]
        if err == 'unused-var' and i == 0:
            new.append(bounded(expr(g, [x for x in inner if x[0] != a], s, 1)))
        elif err == 'var-shape' and i == 0:
            new.append('F.concat(%s, %s, dim=0)' % (a, a))
        else:
            new.append(bounded('%s * %s + %s' % (a, pick('0.5', '0.9'), expr(g, inner, s, 1))))
    if err == 'nvars':
        new = new[:-1] if len(new) > 1 and chance(0.5) else new + [new[-1]]
    single = nv == 0 and chance(0.4)
    new_code = new[0] if single and len(new) == 1 else '[%s]' % ', '.join(new)
    if err == 'not-pair':
        g.emit('return %s' % new_code)
    else:
        g.emit('return %s, %s' % (out_code, new_code))
    g.ind -= 1
    o, v = g.new('o'), g.new('w')
    init_code = inits[0] if single else '[%s]' % ', '.join(inits)
    g.emit('%s, %s = F.contrib.while_loop(%s, %s, %s, max_iterations=%d)'
           % (o, v, cname, fname, init_code, M))
    counter = v if single else v + '[0]'
    if nout:
        g.emit('%s = MASK(F, %s, %s, %d)' % (o, o, counter, M))
        # outputs are [] eagerly when no step runs: read later only when a step surely runs
        if pred == simple and n >= 1:
            for p, sh in zip(out_paths, out_shapes):
                scope.append((o + p, (M,) + sh))
    scope.append((counter, (1,)))
    if not single:
        for i, s in enumerate(shapes):
            scope.append(('%s[%d]' % (v, i + 1), s))
    return '%s, %s' % (o, v) if nout else v


def c_cond(g, scope, level):
    g.kinds.add('cond')
    err = g.error(level, 'pred-shape', 'nout', 'branch-shape')
    src = scope[R.randint(len(scope))]
    if err == 'pred-shape':
        big = [c for c in scope if int(np.prod(c[1])) > 1]
        pred = '(%s > 0)' % (pick(*big)[0] if big else 'F.concat(%s, %s, dim=0)' % (
            convert(g, src, (1,)), convert(g, src, (1,))))
    else:
        pred = '(%s %s %s)' % (convert(g, src, (1,)) if src[1] != (1,) or chance(0.5) else
                               src[0], pick('>', '<', '>='), pick('0', '0.0', '0.3', '-0.3'))
    nout = ri(1, 3)
    shapes = [pick(*shape_options(scope)) for _ in range(nout)]
    tpl, paths = structure(nout)
    names = []
    for branch in ('then', 'else'):
        fn = g.new(branch)
        names.append(fn)
        g.emit('def %s():' % fn)
        g.ind += 1
        inner = list(scope)
        if chance(0.5):
            nested(g, inner, level)
        for _ in range(ri(0, 1)):
            sh = pick(*shape_options(inner))
            g.let(inner, sh, expr(g, inner, sh))
        items = [expr(g, inner, sh) for sh in shapes]
        code = fill(tpl, items)
        if branch == 'else' and err == 'nout':
            code = '[%s]' % ', '.join(items + [items[0]] if len(items) == 1 or chance(0.5)
                                      else items[:-1])
        if branch == 'else' and err == 'branch-shape':
            items[0] = 'F.concat(%s, %s, dim=0)' % (items[0], items[0])
            code = fill(tpl, items)
        g.emit('return %s' % code)
        g.ind -= 1
    c = g.new('c')
    g.emit('%s = F.contrib.cond(%s, %s, %s)' % (c, pred, names[0], names[1]))
    if err not in ('branch-shape', 'nout'):       # else the shapes may be other
        for p, sh in zip(paths, shapes):
            scope.append((c + p, sh))
    return c


# -- programs and cases -----------------------------------------------------------------------------

def program(kind=None):
    """One program: ``(source, input arrays, parameter shapes, kind, mistakes)``."""
    g = Gen()
    results = []
    B, D = ri(1, 3), ri(2, 4)
    Din = D if chance(0.6) else ri(1, 4)
    T = ri(1, 4) if not chance(0.04) else 0
    dt = 'float64' if chance(0.12) else 'float32'
    xs = [(T, B, Din)]
    if chance(0.4):
        xs.append((T, B, D))
    if chance(0.5):
        xs.append((B, D))
    if chance(0.3):
        xs.append((ri(1, 3), D))
    scope = [('X[%d]' % i, s) for i, s in enumerate(xs)]
    first = {'foreach': c_foreach, 'while': c_while, 'cond': c_cond}.get(kind)
    for i in range(1 if chance(0.7) else 2):
        if i == 0 and first is not None:
            results.append(first(g, scope, 0))
        else:
            results.append(construct(g, scope, 0))
    extra = ''
    if chance(0.3):
        sh = pick(*shape_options(scope))
        extra = ', ' + expr(g, scope, sh)
    g.emit('return OUT(%s%s)' % (', '.join(results), extra))
    # parameters (P['pN'], read by dot and bias terms), in the order of their names
    params = {k: g.params[k] for k in sorted(g.params, key=lambda k: int(k[1:]))}
    src = 'def prog(F, X, P):\n' + '\n'.join(g.lines) + '\n'
    inputs = [R.uniform(-1, 1, size=s).astype(dt) for s in xs]
    pvals = [(R.uniform(-1, 1, size=s) * 0.6).astype(dt) for s in params.values()]
    k = 'nested' if g.nested else (sorted(g.kinds)[0] if len(g.kinds) == 1 else 'nested')
    return src, inputs, list(params), pvals, k, list(g.errors), dt


def g_programs(n, export_share=0.5):
    for i in range(n):
        kind = ['foreach', 'while', 'cond'][i % 3]
        src, inputs, pnames, pvals, k, errors, dt = program(kind)
        pid = i
        modes = [m for m in MODES if m != 'export' or chance(export_share)]
        for mode in modes:
            _fuzz.add_case('%s.%s' % (k, mode), src + '# mode: %s' % mode, inputs + pvals,
                           mode=mode, pid=pid, n_x=len(inputs), pnames=pnames, errors=errors,
                           dtype=dt)


def generate(out, seed, n, only=None):
    """Write the cases of ``n`` programs of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, {'programs': (g_programs, 1.0)}, n)


# -- one backend ------------------------------------------------------------------------------------

def head_weight(shape, dtype):
    """The weight of an output of ``shape`` in the loss (the same under both frameworks, and
    for the eager and hybridized runs, whose numbers of outputs differ when a ``while_loop``
    runs no step: eagerly its outputs are ``[]``)."""
    seed = zlib.crc32(('%s' % (tuple(shape),)).encode())
    return np.random.RandomState(seed).uniform(-1, 1, size=shape).astype(dtype)


def make_prog(mx, code):
    env = {'np': np}
    exec(PRELUDE + code, env)
    return env


def block_class(mx):
    """The HybridBlock that holds a program's parameters and calls it."""
    class Net(mx.gluon.HybridBlock):
        def __init__(self, prog, pnames, pvals, **kw):
            super(Net, self).__init__(**kw)
            self._prog = prog
            self._pnames = pnames
            with self.name_scope():
                for name, v in zip(pnames, pvals):
                    setattr(self, name, self.params.get(name, shape=v.shape, dtype=v.dtype,
                                                        init=mx.init.Zero()))

        def hybrid_forward(self, F, *xs, **P):
            return self._prog(F, list(xs), P)
    return Net


def new_block(mx, prog, pnames, pvals):
    net = block_class(mx)(prog, pnames, pvals, prefix='net_')
    net.initialize()
    for name, v in zip(pnames, pvals):
        net.params.get(name).set_data(mx.nd.array(v, dtype=v.dtype))
    net.hybridize()
    return net


def outputs(res, outs, prefix='out'):
    for j, o in enumerate(outs):
        res['%s%d' % (prefix, j)] = o.asnumpy()


def loss_of(mx, outs):
    """``sum_j sum(out_j * w_j)`` (recorded when called inside ``record``)."""
    loss = None
    for o in outs:
        w = mx.nd.array(head_weight(o.shape, np.dtype(o.dtype).name), dtype=o.dtype)
        term = (o * w).sum()
        loss = term if loss is None else loss + term
    return loss


def normalise_json(text):
    """Subgraph counters (``foreach3``, ``cond_then12``...) and node name counters replaced."""
    return re.sub(r'(foreach|while_loop_cond|while_loop_func|cond_pred|cond_then|cond_else)\d+',
                  r'\1N', text)


def error_text(e):
    """The class and the telling line of an error (MXNet's last line is often a bare
    ``operator attributes:``): its first ``Check failed`` / ``Error in operator`` /
    ``... failed`` line, else the last line."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    telling = [ln for ln in lines if re.search(r'Check failed|Error in operator|failed\.|'
                                                 r'Incompatible|Cannot|cannot', ln)]
    text = (telling[0] if telling else lines[-1] if lines else '')[:300]
    return '%s: %s' % (type(e).__name__, text)


def run_case(mx, c, inputs, filedir=None):
    """The results of case ``c`` in its mode (see the module docstring); an error as
    ``_fuzz.error_result`` with ``error_text``'s message."""
    try:
        return _run_case(mx, c, inputs, filedir)
    except Exception as e:  # noqa: BLE001 -- every failure is a result to compare
        res = _fuzz.error_result(e)
        res['error'] = np.array(error_text(e))
        return res


def _run_case(mx, c, inputs, filedir=None):
    nd = mx.nd
    arrays = [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])]
    xs, pvals = arrays[:c['n_x']], arrays[c['n_x']:]
    env = make_prog(mx, c['code'])
    prog, mode, res = env['prog'], c['mode'], {}
    _reset_names(mx)
    if mode in ('eager', 'grad'):
        X = [nd.array(x, dtype=x.dtype) for x in xs]
        P = {k: nd.array(v, dtype=v.dtype) for k, v in zip(c['pnames'], pvals)}
        if mode == 'eager':
            outs = prog(nd, X, P)
        else:
            for a in X + list(P.values()):
                a.attach_grad()
            with mx.autograd.record():
                outs = prog(nd, X, P)
                loss = loss_of(mx, outs)
            loss.backward()
            for i, a in enumerate(X):
                res['gx%d' % i] = a.grad.asnumpy()
            for k, a in P.items():
                res['gp:' + k] = a.grad.asnumpy()
        outputs(res, outs)
        res['struct'] = np.array(' '.join(env['STRUCT']))
        return res
    net = new_block(mx, prog, c['pnames'], pvals)
    X = [nd.array(x, dtype=x.dtype) for x in xs]
    if mode == 'hybgrad':
        for a in X:
            a.attach_grad()
        with mx.autograd.record():
            outs = net(*X)
            loss = loss_of(mx, outs)
        loss.backward()
        for i, a in enumerate(X):
            res['gx%d' % i] = a.grad.asnumpy()
        for k in c['pnames']:
            res['gp:' + k] = net.params.get(k).grad().asnumpy()
        outputs(res, outs)
        return res
    outs = net(*X)
    outputs(res, outs)
    res['struct'] = np.array(' '.join(env['STRUCT']))
    if mode == 'hyb':
        return res
    prefix = os.path.join(filedir, 'net')
    net.export(prefix)
    with open(prefix + '-symbol.json') as f:
        res['json'] = np.array(normalise_json(f.read()))
    res.update(import_run(mx, prefix, xs, 'imp'))
    return res


def import_run(mx, prefix, xs, tag):
    """``SymbolBlock.imports`` of ``prefix``'s export, run on ``xs``: ``<tag><j>``."""
    import warnings
    res = {}
    inputs = mx.sym.load(prefix + '-symbol.json').list_inputs()
    names = [n for n in inputs if re.match(r'^data\d*$', n)]
    which = [0 if n == 'data' else int(n[4:]) for n in names]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        back = mx.gluon.SymbolBlock.imports(prefix + '-symbol.json', names,
                                            prefix + '-0000.params', ctx=mx.current_context())
    used = [mx.nd.array(xs[i], dtype=xs[i].dtype) for i in which]
    outs = back(*used)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    outputs(res, outs, tag)
    return res


def _reset_names(mx):
    """Fresh automatic-name counters, as in a new process."""
    mx.name.NameManager._current.value = mx.name.NameManager()


def child(backend, casedir, start, args):
    """The child process: the cases from ``start`` or, with ``--crossload``, the imports of the
    other backend's exports."""
    def run(mx, c, inputs):
        filedir = os.path.join(casedir, 'files', backend, c['key'])
        if c['mode'] == 'export':
            os.makedirs(filedir, exist_ok=True)
        return run_case(mx, c, inputs, filedir)

    def cross(mx, c, inputs):
        if c['mode'] != 'export':
            return {}
        other = 'minigluon' if backend == 'mxnet' else 'mxnet'
        prefix = os.path.join(casedir, 'files', other, c['key'], 'net')
        if not os.path.exists(prefix + '-symbol.json'):
            return {'skipped': np.array('no export')}
        xs = [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_x'])]
        try:
            return import_run(mx, prefix, xs, 'cross')
        except Exception as e:  # noqa: BLE001
            res = _fuzz.error_result(e)
            res['error'] = np.array(error_text(e))
            return res
    if args.crossload:
        _fuzz.run_cases(backend, casedir, start, cross, suffix='.cross', quiet=True)
    else:
        _fuzz.run_cases(backend, casedir, start, run, quiet=True)


def crossload_pass(casedir, keys, args):
    for backend in ('mxnet', 'minigluon'):
        _fuzz.run_backend(backend, casedir, keys, args.timeout, __file__,
                          extra_args=['--crossload'], suffix='.cross')


# -- comparison -------------------------------------------------------------------------------------

def check(casedir):
    def chk(c, m, o):
        kind, msg = _fuzz.check_case(m, o, TOL, dtype=lambda k: k.startswith('out'),
                                     error_class=True)
        if kind is not None or c['mode'] != 'export' or 'error' in m:
            return kind, msg
        # the other direction: each backend ran the other's export; both must give MXNet's
        bad = []
        for who, d in (('mx<-ours', _fuzz.load_result(casedir, 'mxnet', c['key'], '.cross')),
                       ('ours<-mx', _fuzz.load_result(casedir, 'minigluon', c['key'], '.cross'))):
            if 'error' in d:
                bad.append('%s raised %s' % (who, d['error']))
                continue
            if 'skipped' in d:
                continue
            for k in sorted(x for x in m if x.startswith('out')):
                ck = 'cross' + k[3:]
                if ck not in d:
                    bad.append('%s: missing %s' % (who, ck))
                else:
                    bad += ['%s: %s' % (who, b) for b in _fuzz.diff_arrays(k, d[ck], m[k], TOL)]
        return ('cross', '; '.join(bad)) if bad else (None, None)
    return chk


# MXNet's faults in its hybridized runs, by its error text: (regex, tag). A hybridized case whose
# MXNet run raised one of these, or (``mx-hyb-grad`` / ``mx-hyb-value``) gave other numbers, is a
# known difference when minigluon's hybridized results equal MXNet's own eager results.
MX_HYBRID_FAULTS = [
    # the backward of a hybridized _cond / _foreach / _while_loop whose body reads an array
    # computed outside it fails in storage type inference
    (r'storage_type_num_unknown_nodes', 'mx-hyb-backward-stype'),
    (r'bwd_input_eid', 'mx-hyb-backward-eid'),
    # recording a hybridized _while_loop
    (r'Assigning to NDArrays that are already in a computational', 'mx-while-record'),
    # a hybridized foreach whose body holds a cond or a while_loop fails its shape inference
    (r'Operator _foreach inferring shapes failed', 'mx-foreach-nested'),
    # a hybridized while_loop that runs no step: its outputs' shapes are unknown to the
    # operators reading them (in the backward pass too)
    (r'inferring shapes failed|shape_num_unknown_nodes', 'mx-no-step-shape'),
    # a float64 _cond: the subgraph that passes the predicate computed outside (or a branch
    # that returns an input unchanged) through identity is typed float32
    (r'Incompatible attr in node \S*identity\d*.*expected float64, got float32',
     'mx-cond-float64'),
]
# Known differences of every mode: (modes or None, kinds, MXNet's error text, ours, tag); a
# text of None matches anything.
EAGER = ('eager', 'grad')
KNOWN = [
    # data of length 0: MXNet's eager foreach fails with UnboundLocalError (out_fmt), or
    # earlier on the size-0 array, and its hybridized one returns uninitialised memory as the
    # final states; minigluon's docstrings: a ValueError
    (None, ('error-class', 'mx-error-ours-ok', 'ours-error'), None,
     r'data has length 0|same length >= 1', 'empty-data'),
    # data arrays of two lengths: MXNet's eager foreach runs over the first one's length
    (EAGER, ('error-class', 'ours-error'), None, r'same length along axis 0', 'data-length'),
    # states structured unlike init_states: MXNet's eager foreach does not check and fails
    # later (IndexError, TypeError...) or runs; minigluon's docstring: a ValueError
    (EAGER, ('error-class', 'ours-error'), None, r'structured like init_states',
     'eager-structure'),
    # docs/PORTING.md: Reshape to another size gives garbage or aborts in MXNet, a ValueError here
    (None, ('error-class', 'ours-error'), None, r'Reshape: cannot reshape', 'reshape-size'),
    # a loop variable or state that changes shape (MXNet's docs forbid it): MXNet's graph
    # operators run on (a single step works), minigluon's raise
    (None, ('error-class', 'ours-error'), None, r'changed from .* must keep', 'var-shape'),
]
SKIP = ('struct', 'json')      # not compared between the eager and the hybridized runs


def _agrees(o, ref):
    """Whether minigluon's hybridized results ``o`` equal MXNet's eager ones ``ref``: gradients,
    and outputs when both runs have as many (an eager ``while_loop`` without a step has none)."""
    keys = [k for k in ref if k not in SKIP and (not k.startswith('out') or
            sum(x.startswith('out') for x in ref) == sum(x.startswith('out') for x in o))]
    return all(k in o and not _fuzz.diff_arrays(k, o[k], ref[k], TOL) for k in keys)


def known_factory(casedir):
    """``known(case, m, o, kind)``: the tag of a known difference, or None."""
    by_pid = {(c['pid'], c['mode']): c for c in _fuzz.load_cases(casedir)}

    def known(c, m, o, kind):
        text, ours = str(m.get('error', '')), str(o.get('error', ''))
        for modes, kinds, mx_pat, ours_pat, tag in KNOWN:
            if ((modes is None or c['mode'] in modes) and kind in kinds and
                    (mx_pat is None or re.search(mx_pat, text)) and
                    (ours_pat is None or re.search(ours_pat, ours))):
                return tag
        if any(0 in sh for sh in c['shapes'][:c['n_x']]) and (
                kind == 'mx-error-ours-ok' or kind == 'error-class' and
                'inferring shapes failed' in text):
            return 'zero-size'      # docs/PORTING.md: MXNet cannot handle size-0 arrays
        if c['mode'] not in ('hyb', 'hybgrad', 'export') or 'error' in o:
            return None
        eager = by_pid.get((c['pid'], 'grad' if c['mode'] == 'hybgrad' else 'eager'))
        ref = _fuzz.load_result(casedir, 'mxnet', eager['key']) if eager else {}
        if 'error' in ref or not ref or not _agrees(o, ref):
            return None
        if kind == 'mx-error-ours-ok':
            for pat, tag in MX_HYBRID_FAULTS:
                if re.search(pat, text):
                    return tag
            return None
        if kind == 'diff':
            # values and gradients alone: a JSON or re-import difference is never MXNet's fault
            bad = [k for k in m if k not in o or _fuzz.diff_arrays(k, o[k], m[k], TOL)]
            if any(not k.startswith(('out', 'gx', 'gp:')) for k in bad):
                return None
            return 'mx-hyb-grad' if c['mode'] == 'hybgrad' else 'mx-hyb-value'
        return None
    return known


def compare(casedir):
    return _fuzz.compare_cases(casedir, check(casedir), known=known_factory(casedir))


def main():
    _fuzz.main(__doc__, __file__, generate, child, compare, n=300, timeout=300, groups=False,
               options=[(('--crossload',), dict(action='store_true', help=argparse.SUPPRESS))],
               after_run=crossload_pass)


if __name__ == '__main__':
    main()
