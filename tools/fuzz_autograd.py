"""Differential fuzzer of autograd's tape semantics and NDArray mutation: seeded random short
programs (3-10 statements after the set-up) over a few attached variables, run statement by
statement under MXNet 1.9.1 and under minigluon and compared.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_autograd.py /tmp/ag-fuzz --seed 1 [--n 2000] [--timeout 120]

A program is a list of statements, each Python source run with ``exec`` in one namespace holding
``mx``, ``nd``, ``autograd``, ``np`` and the custom Functions ``Sq`` (``x * x``), ``Mul``
(``x * y``) and ``Two`` (``(2 x, x + 1)``), defined identically for both frameworks in
``PRELUDE``. Scopes are opened and closed by separate statements (``s0 = autograd.record();
s0.__enter__()`` ... ``s0.__exit__(None, None, None)``) so that every statement, nested scopes
included, has its own outcome. The statements mix:

* ``record()`` / ``pause()`` / ``train_mode()`` / ``predict_mode()`` scopes, nested, with
  ``is_recording()`` / ``is_training()`` read into flags; ``Dropout`` (read through
  ``(Dropout(x) == x).min()``, deterministic: 1 in predict mode, 0 in training) and ``BatchNorm``
  with fresh running statistics (batch statistics in training);
* in-place writes while recording and outside: ``+=``, ``*=``, ``x[:] = ...``, ``x[i] = ...``
  (basic and advanced indices), ``copyto``, ``out=``, writes through views (``x[1:]``,
  ``x.reshape``), and writes into variables after they were used;
* ``attach_grad`` (write / add / null, again), ``mark_variables``, ``backward`` with and without
  ``retain_graph`` (twice: the second must fail), with ``out_grad``, of several heads,
  ``autograd.grad``, ``detach``, ``stop_gradient``, ``astype`` / ``copy`` / ``as_in_context``,
  integer arrays in the graph, non-scalar heads, the custom Functions, and (rarely) zero-size
  arrays.

Outcome of a program (``res/<backend>/<key>.npz``): ``raised`` (0/1 per statement; the error's
type and message are not compared, only printed), then for every name bound at the end
(NDArrays, lists of them, flags): ``val:<name>`` (value; dtype and shape compared too) and
``grad:<name>`` (its ``.grad``; ``gradnone:<name>`` when it has none). The report (stdout) gives
the numbers of programs, compared and equal, then each difference with the program and the first
statement whose outcome differs. Differences that docs/PORTING.md's "deliberately differs" table already
lists are counted under ``KNOWN`` and not printed one by one.

Batches, crash/hang resume, tolerances, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s. A difference where MXNet is right is fixed in minigluon and pinned by a program in
``tools/gen_autograd_fuzz_fixtures.py`` (run under MXNet; the tests replay its programs).
"""
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, chance as _r  # noqa: E402

PRELUDE = '''
class Sq(autograd.Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x * x
    def backward(self, dy):
        x, = self.saved_tensors
        return dy * 2 * x

class Mul(autograd.Function):
    def forward(self, x, y):
        self.save_for_backward(x, y)
        return x * y
    def backward(self, dz):
        x, y = self.saved_tensors
        return dz * y, dz * x

class Two(autograd.Function):
    def forward(self, x):
        return x * 2, x + 1
    def backward(self, da, db):
        return da * 2 + db
'''

# Differences docs/PORTING.md's table lists ("Where minigluon deliberately differs"): the first statement
# whose outcome differs matches the pattern and MXNet raised there while minigluon did not.
KNOWN = [
    (r'^\w+ \+= |^\w+ -= |^\w+ \*= ', 'rec-iadd', '`loss += l` while recording: MXNet raises, '
     'minigluon records it'),
    (r'\bzeros\(\(0|\(0, 3\)', 'zero-size', 'size-0 arrays: MXNet cannot create them'),
]
# Differences of the whole program (values too), by a pattern of any of its statements.
KNOWN_ANYWHERE = [
    (r'backward\(\[(\w+), \1\]', 'repeated-head', 'one array twice among the heads: MXNet keeps '
     'only the last head gradient, minigluon adds them'),
    (r'(\w+)\[1:\] = \1\[:-1\]', 'self-shift', '`x[1:] = x[:-1]`: MXNet smears x[0]'),
]
# The MXNet error of the first statement whose outcome differs: mixing dtypes in one operator
# (MXNet raises, minigluon promotes).
KNOWN_MX_ERRORS = [('Incompatible attr in node', 'mixed-dtype'),
                   ('This layer requires uniform type', 'mixed-dtype'),
                   # MXNet fails inside ("The any container is empty requested=...AGInfo") when
                   # a backward goes through an array whose graph an earlier backward freed and
                   # that mark_variables then made a variable (seed 5's p166); minigluon
                   # back-propagates into it as the new variable
                   ('The any container is empty', 'mx-freed-then-marked')]
# MXNet checks a write into an array of the recorded graph after doing it: the statement raises
# but the array has changed. minigluon raises before writing (docs/PORTING.md's table). A program whose
# only differences are values after such a statement is counted under this tag.
WRITE_THEN_RAISE = 'Assigning to NDArrays that are already in a computational graph'
# The same check for a write into part of an array (``x[1:] = y`` while recording): MXNet writes,
# then raises, and the array written stays in the graph, so that a later whole-array write into
# anything computed from it raises in MXNet (a write minigluon allows). Differences after such a
# statement are counted under the same tag.
PARTIAL_WRITE_THEN_RAISE = 'Inplace operations (+=, -=, x[:]=, etc) are not supported when recording'

class Prog:
    """Builds one program; tracks the names bound so far with their shapes and dtypes."""

    def __init__(self, shape, dtype):
        self.S, self.dt = shape, dtype
        self.lines = []
        self.arrays = {}           # name -> (shape, dtype)
        self.vars = []             # names given attach_grad
        self.scopes = []           # open scope names
        self.n = 0

    def name(self, prefix):
        self.n += 1
        return '%s%d' % (prefix, self.n)

    def lit(self, shape, dtype=None):
        """``nd.array(<literal>)`` of ``shape`` with small 2-decimal values (none zero)."""
        dtype = dtype or self.dt
        if 0 in shape:
            return "nd.zeros(%r, dtype='%s')" % (tuple(shape), dtype)
        v = np.round(R.uniform(0.2, 2.0, size=shape) * R.choice([-1, 1], size=shape), 2)
        if np.dtype(dtype).kind in 'iu':
            v = R.randint(1, 5, size=shape) * R.choice([-1, 1], size=shape)
        return "nd.array(%r, dtype='%s')" % (v.tolist(), dtype)

    def pick(self, pred=None):
        names = [k for k, (s, d) in self.arrays.items() if pred is None or pred(s, d)]
        return R.choice(names) if names else None

    def full(self):
        return self.pick(lambda s, d: s == self.S)

    def add(self, line, bind=None, shape=None, dtype=None):
        self.lines.append(line)
        if bind:
            self.arrays[bind] = (tuple(shape), dtype or self.dt)


def s_scope(p):
    if p.scopes and (_r(0.45) or len(p.scopes) >= 3):
        p.add('%s.__exit__(None, None, None)' % p.scopes.pop())
        return
    kind = R.choice(['autograd.record()', 'autograd.record()', 'autograd.record(train_mode=False)',
                     'autograd.pause()', 'autograd.pause(train_mode=True)',
                     'autograd.train_mode()', 'autograd.predict_mode()'])
    s = p.name('s')
    p.scopes.append(s)
    p.add('%s = %s; %s.__enter__()' % (s, kind, s))


def s_flags(p):
    p.add('%s = [autograd.is_recording(), autograd.is_training()]' % p.name('f'))


def s_compute(p):
    """One new array computed from earlier ones."""
    x = p.full() or p.pick()
    xs, xd = p.arrays[x]
    y = p.pick(lambda s, d: s == xs) or x
    t = p.name('t')
    k = R.randint(22)
    S = xs
    red = (1,)
    if k == 0:
        p.add('%s = %s * %s' % (t, x, y), t, S, xd)
    elif k == 1:
        p.add('%s = %s + %s * 2' % (t, x, y), t, S, xd)
    elif k == 2:
        p.add('%s = nd.%s(%s)' % (t, R.choice(['exp', 'sin', 'tanh', 'relu', 'square', 'abs']), x),
              t, S, xd)
    elif k == 3:
        p.add('%s = %s.sum()' % (t, x), t, red, xd)
    elif k == 4:
        p.add('%s = (%s * %s).sum()' % (t, x, y), t, red, xd)
    elif k == 5:   # basic index read (a view in MXNet)
        if len(S) == 2 and S[0] > 1:
            p.add('%s = %s[1:]' % (t, x), t, (S[0] - 1,) + S[1:], xd)
        elif len(S) == 2:
            p.add('%s = %s[0]' % (t, x), t, S[1:], xd)
        else:
            p.add('%s = %s[1:]' % (t, x), t, (max(S[0] - 1, 0),), xd)
    elif k == 6:   # advanced index read
        if S[0] > 1:
            p.add('%s = %s[[0, %d, 0]]' % (t, x, S[0] - 1), t, (3,) + S[1:], xd)
        else:
            p.add('%s = %s * 3' % (t, x), t, S, xd)
    elif k == 7:
        p.add('%s = %s.reshape((-1,))' % (t, x), t, (int(np.prod(S)),), xd)
    elif k == 8:
        dt = str(R.choice(['float64', 'float32', 'int32', 'float16']))
        p.add('%s = %s.astype(%r)' % (t, x, dt), t, S, dt)
    elif k == 9:
        p.add('%s = %s.copy()' % (t, x), t, S, xd)
    elif k == 10:
        p.add('%s = %s.detach()' % (t, x), t, S, xd)
    elif k == 11:
        p.add('%s = nd.stop_gradient(%s) * %s' % (t, x, y), t, S, xd)
    elif k == 12:
        p.add('%s = %s.as_in_context(mx.cpu())' % (t, x), t, S, xd)
    elif k == 13:
        p.add('%s = Sq()(%s)' % (t, x), t, S, xd)
    elif k == 14:
        p.add('%s = Mul()(%s, %s)' % (t, x, y), t, S, xd)
    elif k == 15:
        u = p.name('t')
        p.add('%s, %s = Two()(%s)' % (t, u, x), t, S, xd)
        p.arrays[u] = (S, xd)
    elif k == 16:   # training mode through Dropout, deterministic (values are never 0)
        p.add('%s = (nd.Dropout(%s, p=0.5) == %s).min()' % (t, x, x), t, (1,), xd)
    elif k == 17 and len(S) == 2 and xd != 'float16':
        C = S[1]
        extra = R.choice(['', ', use_global_stats=True'])
        g = p.pick(lambda s, d: s == (C,)) or 'nd.ones((%d,))' % C
        p.add('%s = nd.BatchNorm(%s, %s, nd.zeros((%d,)), nd.array(%r), nd.array(%r), '
              'fix_gamma=False%s)' % (t, x, g if g.startswith('nd') else g, C,
                                      [0.5] * C, [2.0] * C, extra), t, S, xd)
    elif k == 18:   # integer arrays in the graph
        p.add("%s = (%s.astype('int32') * 2).astype(%r) + %s" % (t, x, xd, y), t, S, xd)
    elif k == 19:   # a constant (not recorded) mixed with a recorded one
        c = p.lit(S, xd)
        p.add('%s = %s * %s' % (t, x, c), t, S, xd)
    elif k == 20:
        p.add('%s = nd.zeros_like(%s) + %s' % (t, x, y), t, S, xd)
    else:
        p.add('%s = nd.broadcast_mul(%s, %s.sum())' % (t, x, y), t, S, xd)


def s_mutate(p):
    """An in-place write into an existing array."""
    x = p.pick()
    xs, xd = p.arrays[x]
    y = p.pick(lambda s, d: s == xs and d == xd) or x
    k = R.randint(14)
    if k == 0:
        p.add('%s += %s' % (x, y))
    elif k == 1:
        p.add('%s *= 2' % x)
    elif k == 2:
        p.add('%s -= %s' % (x, y))
    elif k == 3:
        p.add('%s[:] = %s' % (x, y))
    elif k == 4:
        p.add('%s[:] = 1.5' % x)
    elif k == 5:
        p.add('%s[0] = 0.25' % x)
    elif k == 6 and xs[0] > 1:
        p.add('%s[[0, %d]] = -0.5' % (x, xs[0] - 1))
    elif k == 7 and xs[0] > 1:
        p.add('%s[1:] = %s[:-1]' % (x, y))
    elif k == 8:
        p.add('%s.copyto(%s)' % (y, x))
    elif k == 9:
        p.add('nd.exp(%s, out=%s)' % (y, x))
    elif k == 10:
        p.add('nd.elemwise_add(%s, %s, out=%s)' % (x, y, x))
    elif k == 11 and xs[0] > 1:   # a view, then a write through it
        v = p.name('v')
        p.add('%s = %s[1:]' % (v, x), v, (xs[0] - 1,) + xs[1:], xd)
        p.add('%s[:] = %s' % (v, R.choice(['0.75', '%s * 0 + 3' % v])))
    elif k == 12:
        v = p.name('v')
        p.add('%s = %s.reshape((-1,))' % (v, x), v, (int(np.prod(xs)),), xd)
        p.add(R.choice(['%s[0] = 9' % v, '%s += 1' % v, '%s[:] = %s * 2' % (v, v)]))
    else:
        p.add('%s[:] = %s' % (x, p.lit(xs, xd)))


def s_grad(p):
    """attach_grad / mark_variables on an array."""
    x = p.pick()
    k = R.randint(5)
    if k < 3:
        req = ['write', 'add', 'null'][k]
        p.add('%s.attach_grad(%s)' % (x, '' if req == 'write' and _r(0.5) else 'grad_req=%r' % req))
    elif k == 3:
        g = p.name('gb')
        xs, xd = p.arrays[x]
        p.add('%s = nd.zeros(%r, dtype=%r); autograd.mark_variables([%s], [%s], %r)'
              % (g, xs, xd, x, g, str(R.choice(['write', 'add']))), g, xs, xd)
    else:
        p.add('%s.attach_grad(); %s.grad[:] = 1' % (x, x))
    if x not in p.vars:
        p.vars.append(x)


def s_backward(p):
    """A backward pass or autograd.grad."""
    t = p.pick(lambda s, d: d != 'int32') or p.pick()
    ts, td = p.arrays[t]
    rg = _r(0.4)
    k = R.randint(7)
    kw = ', retain_graph=True' if rg else ''
    if k == 0:
        p.add('%s.backward(%s)' % (t, kw[2:]))
    elif k == 1:
        p.add('%s.backward(%s%s)' % (t, p.lit(ts, td), kw))
    elif k == 2:
        u = p.pick(lambda s, d: d != 'int32') or t
        us, ud = p.arrays[u]
        if _r(0.5):
            p.add('autograd.backward([%s, %s], [%s, %s]%s)' % (t, u, p.lit(ts, td), p.lit(us, ud),
                                                              kw))
        else:
            p.add('autograd.backward([%s, %s]%s)' % (t, u, kw))
    elif k == 3:
        p.add('%s.backward(train_mode=False%s)' % (t, kw))
    elif k in (4, 5):
        vs = [v for v in p.vars if v in p.arrays] or [p.pick()]
        vs = list(R.choice(vs, size=min(len(vs), R.randint(1, 3)), replace=False))
        hg = ', head_grads=[%s]' % p.lit(ts, td) if _r(0.4) else ''
        g = p.name('g')
        p.add('%s = autograd.grad([%s], [%s]%s%s)' % (g, t, ', '.join(vs), hg, kw))
    else:
        p.add('%s.backward(); %s.backward()' % (t, t))


STATEMENTS = [(s_scope, 3), (s_flags, 1), (s_compute, 8), (s_mutate, 3), (s_grad, 1.5),
              (s_backward, 3)]


def program():
    """One program: its statements (a list of source strings)."""
    S = [(2, 3), (2, 3), (3,), (3, 2), (2, 2)][R.randint(5)] if not _r(0.02) else (0, 3)
    dt = 'float32' if _r(0.8) else str(R.choice(['float64', 'float16']))
    p = Prog(S, dt)
    for i in range(R.randint(1, 4)):
        v = 'x%d' % i
        d = dt if not _r(0.08) else 'int32'
        p.add('%s = %s' % (v, p.lit(S, d)), v, S, d)
        if d != 'int32' or _r(0.3):
            p.add('%s.attach_grad(%s)' % (v, R.choice(['', '', "grad_req='add'", "grad_req='null'"])))
            p.vars.append(v)
    setup = len(p.lines)
    if _r(0.8):
        s = p.name('s')
        p.scopes.append(s)
        p.add('%s = autograd.record(); %s.__enter__()' % (s, s))
    fns, weights = zip(*STATEMENTS)
    weights = np.array(weights) / sum(weights)
    for _ in range(R.randint(3, 11)):
        fns[R.choice(len(fns), p=weights)](p)
    while p.scopes:
        if _r(0.5):       # a backward before closing (inside the scope)
            s_backward(p)
        p.add('%s.__exit__(None, None, None)' % p.scopes.pop())
    if _r(0.6):
        s_backward(p)
    return p.lines, setup


def g_programs(n):
    for _ in range(n):
        lines, setup = program()
        _fuzz.add_program('autograd', lines, setup=setup)


def generate(out, seed, n, only=None):
    """Write ``n`` programs of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, {'autograd': (g_programs, 1.0)}, n, inputs=False)


# -- one backend -----------------------------------------------------------------------------------

def run_program(mx, lines):
    """Run ``lines`` one by one; return ``(results, errors)``: the outcome dict described in the
    module docstring and the error text per statement (None where it ran)."""
    nd, autograd = mx.nd, mx.autograd
    env = {'mx': mx, 'nd': nd, 'autograd': autograd, 'np': np}
    exec(PRELUDE, env)
    base_names = set(env)
    raised, errors = [], []
    for line in lines:
        e = _fuzz.run_statement(line, env, nd)
        raised.append(int(e is not None))
        errors.append(None if e is None else _fuzz.error_text(e, 200))
    autograd.set_recording(False)
    autograd.set_training(False)
    res = {'raised': np.array(raised, dtype=np.int8)}
    for name in sorted(set(env) - base_names):
        val = env[name]
        items = [(name, val)]
        if isinstance(val, (list, tuple)):
            items = [('%s[%d]' % (name, i), v) for i, v in enumerate(val)]
        for key, v in items:
            if isinstance(v, (bool, np.bool_)):
                res['val:' + key] = np.array(v)
            elif isinstance(v, nd.NDArray):
                try:
                    res['val:' + key] = v.asnumpy()
                except Exception:  # noqa: BLE001
                    res['valerr:' + key] = np.array(1)
                g = v.grad
                if g is None:
                    res['gradnone:' + key] = np.array(1)
                else:
                    res['grad:' + key] = g.asnumpy()
    return res, errors


def run_case(mx, c, inputs=None):
    """The outcome of program ``c`` with its errors (``errors``, JSON, printed not compared)."""
    res, errors = run_program(mx, c['lines'])
    res['errors'] = np.array(json.dumps(errors))
    return res


# -- comparison --------------------------------------------------------------------------------------

def _add_variables(text):
    """The names that program ``text`` makes variables with ``grad_req='add'``."""
    adds = set(re.findall(r"(\w+)\.attach_grad\(grad_req='add'\)", text))
    return adds | set(re.findall(r"mark_variables\(\[(\w+)\], \[\w+\], 'add'\)", text))


def _function_on_add_variable(text):
    """Whether program ``text`` applies a custom Function (``Sq``, ``Mul``, ``Two``) to a
    variable with ``grad_req='add'``: docs/PORTING.md's difference (MXNet 1.9.1 does not add the
    gradient that reaches the variable through the Function; minigluon adds it)."""
    return any(re.search(r'\b(?:Sq|Mul|Two)\(\)\([^)]*\b%s\b' % re.escape(v), text)
               for v in _add_variables(text))


def _copy_of_add_variable(text):
    """Whether program ``text`` copies a variable with ``grad_req='add'`` by ``astype``, ``copy``
    or ``copyto`` (``t = v.astype('float64')``, ``(v.astype('int32') * 2)``, ``v.copyto(t)``).
    MXNet 1.9.1 runs them as its ``_copyto`` operator, whose backward writes the gradient into
    the variable instead of adding it when that is the gradient's only way there: three
    ``backward(retain_graph=True)`` of ``x.astype('float64')`` or of ``x.copy().sum()`` leave
    ``x.grad`` at 1, not 3 (``nd.Cast``, ``nd.identity``, ``x * 1``, ``(x * 2).astype(..)``, and
    ``x.astype(..) + x.astype(..)``, whose two gradients are summed first, give 3), and a
    gradient added before is lost. minigluon adds, as ``grad_req='add'`` says (measured on MXNet
    1.9.1; seed 3's p788: ``t4 = t2.astype('float64')`` of a ``mark_variables(.., 'add')``
    array; seed 5's p725: ``(x1.astype('int32') * 2)`` after ``x1.backward(..)``)."""
    return any(re.search(r'\b%s\.(?:astype|copy|copyto)\(' % re.escape(v), text)
               for v in _add_variables(text))


def _aliases(text):
    """``root(name)``: the array a name of program ``text`` is. ``t = x.as_in_context(mx.cpu())``
    is ``x`` itself in both frameworks (the array is already there)."""
    alias = dict(re.findall(r"^(\w+) = (\w+)\.as_in_context\(mx\.cpu\(\)\)$", text, re.M))

    def root(name):
        while name in alias:
            name = alias[name]
        return name
    return root


def _repeated_head_through_alias(text):
    """Whether program ``text`` passes one array twice among ``backward``'s heads under two
    names (``backward([t, x], ...)`` with ``t`` an alias of ``x``): docs/PORTING.md's
    repeated-head difference."""
    root = _aliases(text)
    return any(root(a) == root(b) for a, b in re.findall(r'backward\(\[(\w+), (\w+)\]', text))


def _repeated_variable(line, text):
    """Whether statement ``line`` of program ``text`` is ``autograd.grad(heads, [a, b])`` with
    ``a`` and ``b`` one array (the same name or an alias). MXNet 1.9.1 fails inside its graph
    executor ('Check failed: nodeEntry.node'); minigluon returns the gradient once per entry,
    as ``grad([y], [x])`` twice would (seed 2's p648)."""
    root = _aliases(text)
    return any(root(a) == root(b)
               for a, b in re.findall(r'autograd\.grad\(\[[^\]]*\], \[(\w+), (\w+)\]', line))


def classify(case, bad, m):
    """The KNOWN tag of a difference, or None."""
    first = [b for b in bad if b.startswith('statement ')]
    text = '\n'.join(case['lines'])
    if any(re.search(pat, text) for pat, tag, _ in KNOWN if tag == 'zero-size'):
        return 'zero-size'
    mx_errors = json.loads(str(m['errors'])) if 'errors' in m else []
    for pat, tag, _ in KNOWN_ANYWHERE:
        if re.search(pat, text):
            return tag
    if _repeated_head_through_alias(text):
        return 'repeated-head'
    if not first and any(e and (WRITE_THEN_RAISE in e or PARTIAL_WRITE_THEN_RAISE in e)
                         for e in mx_errors):
        # both raised there, but MXNet had written (``nd.elemwise_add(t, u, out=t)`` of a
        # recorded ``t``: seed 4's p122), so only values after it differ
        return 'mx-writes-then-raises'
    if first and 'MXNet raised' in first[0]:
        i = int(first[0].split()[1].rstrip(':'))
        for msg, tag in KNOWN_MX_ERRORS:
            if msg in (mx_errors[i] or ''):
                return tag
        if 'nodeEntry.node' in (mx_errors[i] or '') and _repeated_variable(case['lines'][i], text):
            return 'repeated-variable'
        for pat, tag, _ in KNOWN:
            if re.search(pat, case['lines'][i]):
                return tag
        if any(e and (WRITE_THEN_RAISE in e or PARTIAL_WRITE_THEN_RAISE in e) for e in mx_errors[:i]):
            return 'mx-writes-then-raises'
    if _function_on_add_variable(text):
        return 'function-add'
    if _copy_of_add_variable(text):
        return 'copy-add'
    return None


def compare(casedir, verbose=True):
    """The report (``_fuzz.compare_programs``)."""
    return _fuzz.compare_programs(casedir, lambda c, m, o: _fuzz.diff_program(m, o),
                                  lambda c, bad, m, o: classify(c, bad, m), verbose)


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case), compare, n=500, timeout=120, groups=False)


if __name__ == '__main__':
    main()
