"""Differential fuzzer of the Symbol API (``mx.sym``) as legacy code uses it to build and
inspect networks: seeded random short programs run statement by statement under MXNet 1.9.1
and under minigluon and compared.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_symbol_api.py /tmp/symapi-fuzz --seed 1 [--n 2000] [--timeout 300]

A program is a list of statements run with ``exec`` in one namespace holding ``mx``, ``np``,
``copy``, ``json`` and ``fname`` (a scratch file path). Every program runs inside a fresh
``mx.name.NameManager()`` so that automatic node names (``fullyconnected0``) do not depend on
the programs before it. The statements mix:

* variables: ``mx.sym.var`` / ``mx.sym.Variable`` with ``shape`` (unknown dims as 0), ``dtype``,
  ``init``, ``lr_mult``, ``wd_mult``, ``attr=``, drawn from a small pool of names so that two
  variables often share a name;
* operators with and without ``name=`` (FullyConnected, Convolution, BatchNorm, Activation,
  SliceChannel, Concat, elemwise/broadcast arithmetic, reshape, sum, SoftmaxOutput...), inside
  ``mx.name.Prefix`` / ``mx.name.NameManager`` / ``mx.AttrScope`` scopes, and with unknown
  keyword arguments (bad input);
* Python arithmetic and comparisons with scalars and symbols, reflected forms included;
* composition (``s(data=t)``, ``s(t)``, ``s._compose(data=t)``), ``mx.sym.Group``, output
  indexing by position and by name (also bad ones), ``get_internals()``, ``get_children()``;
* ``infer_shape`` / ``infer_shape_partial`` / ``infer_type`` with positional and keyword
  arguments (also conflicting or unknown ones), ``tojson()`` / ``mx.sym.load_json`` and
  ``save`` / ``mx.sym.load`` round trips, ``copy.copy`` / ``copy.deepcopy``.

Outcome of a program (``res/<backend>/<key>.npz``): ``raised`` (0/1 per statement; the error's
text is printed, not compared), then for every name bound at the end: a Symbol as
``sym:<name>`` (JSON of its name, list_outputs, list_arguments, list_auxiliary_states,
list_inputs, attr_dict and list_attr), any other value as ``val:<name>`` (JSON of it, with NumPy
types written as their names). Both compare exactly. The report (stdout) gives the numbers of
programs, equal and different ones, then each difference with the program and the first
statement whose outcome differs.

Batches, crash/hang resume, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s. A difference where MXNet is right is fixed in
minigluon and pinned by ``tools/gen_symbol_api_fuzz_fixtures.py`` (run under MXNet) and
``tests/symbol/test_symbol_api_fuzz_regressions.py``.
"""
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, chance as _r  # noqa: E402

VAR_NAMES = ['data', 'data', 'x', 'y', 'w', 'label']
OP_NAMES = ['fc', 'fc1', 'conv', 'bn', 'act', 'out', 'data']
SHAPES = [(2, 3), (4, 3), (2, 3, 4, 4), (0, 3), (2, 0), (3,), (1, 3, 5, 5)]
DTYPES = ['float32', 'float16', 'float64', 'int32', 'np.float32', 'np.int64', 'uint8']

# Differences docs/PORTING.md's table lists ("Where minigluon deliberately differs"), by MXNet's error
# at the first statement whose outcome differs (MXNet raised, minigluon ran): (text, tag, why).
KNOWN = [
    ('_S_construct null not valid', 'positional-infer',
     'infer_shape / infer_type with positional arguments always fail in MXNet 1.9.1'),
    ('Symbol only accept nonnegative index', 'negative-index', 's[-1]: MXNet raises'),
    ('General composition only support kwargs', 'positional-compose',
     'net(x) on a built graph: MXNet raises'),
    ('Incompatible attr in node', 'mixed-dtype',
     'two dtypes in one operator: MXNet raises, minigluon promotes (infer_type too)'),
    ('input type to dropout is not specified', 'dropout-untyped',
     'infer_type(_partial) through Dropout of an input without a known dtype: MXNet raises, '
     'minigluon leaves the dtype unknown as for every other operator'),
]


class Prog:
    """Builds one program; tracks the symbols bound so far."""

    def __init__(self):
        self.lines = []
        self.syms = []     # names bound to a Symbol
        self.ops = []      # those surely made by an operator (not a variable): composable
        self.n = 0

    def name(self, prefix):
        self.n += 1
        return '%s%d' % (prefix, self.n)

    def sym(self):
        return _fuzz.pick(*self.syms) if self.syms else None

    def add(self, line, bind=None, op=False):
        self.lines.append(line)
        if bind:
            self.syms.append(bind)
            if op:
                self.ops.append(bind)


def shape_code():
    return repr(SHAPES[R.randint(len(SHAPES))])


def dtype_code():
    d = DTYPES[R.randint(len(DTYPES))]
    return d if d.startswith('np.') else repr(d)


def var_code():
    fn = 'mx.sym.var' if _r(0.6) else 'mx.sym.Variable'
    args = [repr(_fuzz.pick(*VAR_NAMES))]
    if _r(0.4):
        args.append('shape=%s' % shape_code())
    if _r(0.25):
        args.append('dtype=%s' % dtype_code())
    if _r(0.15):
        args.append('lr_mult=%s' % _fuzz.pick('2.0', '0', '0.5'))
    if _r(0.1):
        args.append('wd_mult=%s' % _fuzz.pick('0.0', '3'))
    if _r(0.15):
        args.append('init=%s' % _fuzz.pick("mx.init.Zero()", "mx.init.Constant(2.0)",
                                            "'zeros'", 'mx.init.Xavier()'))
    if _r(0.15):
        args.append('attr=%s' % _fuzz.pick("{'k': 'v'}", "{'__lr_mult__': '3'}", "{'ctx_group': 'dev1'}",
                                           "{'k': 1}"))
    if _r(0.03):
        args.append(_fuzz.pick('shape=3', 'foo=1', 'stype="row_sparse"'))
    return '%s(%s)' % (fn, ', '.join(args))


def op_code(p):
    """An operator call on symbols of ``p`` (or fresh variables)."""
    a = p.sym() or var_code()
    b = p.sym() or var_code()
    k = R.randint(16)
    name = ', name=%r' % _fuzz.pick(*OP_NAMES) if _r(0.4) else ''
    extra = ', foo=1' if _r(0.03) else ''
    if k == 0:
        nobias = ', no_bias=True' if _r(0.3) else ''
        flat = ', flatten=False' if _r(0.2) else ''
        return 'mx.sym.FullyConnected(data=%s, num_hidden=%d%s%s%s%s)' % (
            a, ri(1, 5), nobias, flat, name, extra)
    if k == 1:
        return 'mx.sym.Convolution(%s, kernel=(3, 3), num_filter=%d, pad=(1, 1)%s%s)' % (
            a, ri(1, 4), name, extra)
    if k == 2:
        return 'mx.sym.BatchNorm(%s%s%s)' % (a, name, extra)
    if k == 3:
        return 'mx.sym.Activation(%s, act_type=%r%s%s)' % (
            a, _fuzz.pick('relu', 'tanh', 'sigmoid'), name, extra)
    if k == 4:
        return 'mx.sym.SliceChannel(%s, num_outputs=%d, axis=%d%s%s)' % (
            a, ri(1, 3), ri(0, 1), name, extra)
    if k == 5:
        return 'mx.sym.Concat(%s, %s, dim=%d%s)' % (a, b, ri(0, 1), name)
    if k == 6:
        return 'mx.sym.%s(%s, %s%s)' % (_fuzz.pick('elemwise_add', 'broadcast_add',
                                                   'broadcast_mul', 'elemwise_mul'), a, b, name)
    if k == 7:
        return 'mx.sym.reshape(%s, shape=%s%s)' % (a, _fuzz.pick('(-1,)', '(0, -1)', '(3, -1)',
                                                                  '(-1, 3)'), name)
    if k == 8:
        return 'mx.sym.sum(%s, axis=%s%s)' % (a, _fuzz.pick('0', '1', '(0, 1)', 'None'), name)
    if k == 9:
        return 'mx.sym.SoftmaxOutput(%s%s%s)' % (a, _fuzz.pick('', ', label=%s' % b), name)
    if k == 10:
        return 'mx.sym.%s(%s%s)' % (_fuzz.pick('relu', 'exp', 'sqrt', 'square', 'negative',
                                               'identity', 'BlockGrad', 'flatten'), a, name)
    if k == 11:
        return 'mx.sym.transpose(%s%s)' % (a, name)
    if k == 12:
        return 'mx.sym.Dropout(%s, p=0.5%s)' % (a, name)
    if k == 13:
        return 'mx.sym.Cast(%s, dtype=%s%s)' % (a, dtype_code(), name)
    if k == 14:
        return 'mx.sym.Pooling(%s, kernel=(2, 2), pool_type=%r%s)' % (
            a, _fuzz.pick('max', 'avg'), name)
    return 'mx.sym.LinearRegressionOutput(%s, %s%s)' % (a, b, name)


def ri(lo, hi):
    return _fuzz.ri(lo, hi)


def s_var(p):
    v = p.name('v')
    p.add('%s = %s' % (v, var_code()), v)


def s_op(p):
    s = p.name('s')
    p.add('%s = %s' % (s, op_code(p)), s, op=True)


def s_scope(p):
    """One to three statements inside a name or attribute scope (one statement of source)."""
    k = R.randint(5)
    if k == 0:
        head = 'with mx.name.Prefix(%r):' % _fuzz.pick('p_', 'net_', 'a')
    elif k == 1:
        head = 'with mx.name.NameManager():'
    elif k == 2:
        head = 'with mx.AttrScope(%s):' % _fuzz.pick("group='4'", "lr_mult='0.1'",
                                                     "ctx_group='stage1', k='v'", "__wd_mult__='0'")
    elif k == 3:
        head = 'with mx.AttrScope(%s):' % _fuzz.pick('k=1', "group='a'")
    else:
        head = 'with mx.name.Prefix(%r), mx.AttrScope(group=%r):' % (
            _fuzz.pick('p_', 'q_'), _fuzz.pick('1', '2'))
    body = []
    binds = []
    for _ in range(ri(1, 3)):
        s = p.name('s')
        body.append('    %s = %s' % (s, op_code(p) if _r(0.7) else var_code()))
        binds.append(s)
    p.add('\n'.join([head] + body))
    p.syms += binds


def s_arith(p):
    a = p.sym()
    if a is None:
        return s_var(p)
    b = p.sym()
    c = _fuzz.pick('2', '0.5', '-1', '3.0')
    k = R.randint(7)
    ops = ['+', '-', '*', '/', '**', '%', '>', '<', '>=', '<=', '==', '!=']
    op = _fuzz.pick(*ops)
    if k < 2:
        e = '%s %s %s' % (a, op, c)
    elif k < 4:
        e = '%s %s %s' % (c, op, a)
    elif k < 6:
        e = '%s %s %s' % (a, op, b)
    else:
        e = _fuzz.pick('-%s' % a, 'abs(%s)' % a, '%s.astype(%s)' % (a, dtype_code()))
    s = p.name('s')
    p.add('%s = %s' % (s, e), s, op=True)


def s_compose(p):
    """Compose an operator's symbol (composing a variable is docs/PORTING.md's deliberate difference)."""
    a = _fuzz.pick(*p.ops) if p.ops else None
    if a is None:
        return s_op(p)
    b = p.sym() if _r(0.7) else var_code()
    name = _fuzz.pick(*VAR_NAMES, *['fc_weight', 'nope'])
    s = p.name('s')
    k = R.randint(5)
    if k == 0:
        p.add('%s = %s(%s=%s)' % (s, a, name, b), s, op=True)
    elif k == 1:
        p.add('%s = %s(%s)' % (s, a, b), s, op=True)
    elif k == 2:
        p.add('%s = %s(%s=%s, name=%r)' % (s, a, name, b, _fuzz.pick(*OP_NAMES)), s, op=True)
    elif k == 3:
        p.add('%s = copy.deepcopy(%s); %s._compose(%s=%s)' % (s, a, s, name, b), s, op=True)
    else:
        p.add('%s = %s(%s, %s)' % (s, a, b, p.sym()), s, op=True)


def s_group(p):
    if not p.syms:
        return s_var(p)
    items = [p.sym() for _ in range(ri(1, 3))]
    s = p.name('g')
    p.add('%s = mx.sym.Group([%s])' % (s, ', '.join(items)), s)


def s_index(p):
    a = p.sym()
    if a is None:
        return s_var(p)
    s = p.name('s')
    k = R.randint(6)
    if k == 0:
        p.add('%s = %s[%d]' % (s, a, ri(-2, 2)), s)
    elif k == 1:
        p.add('%s = %s[%s.list_outputs()[-1]]' % (s, a, a), s)
    elif k == 2:
        p.add('%s = %s[%r]' % (s, a, _fuzz.pick('fc_output', 'data', 'nope', 'bn_output',
                                                 'fc_weight')), s)
    elif k == 3:
        p.add('%s = %s.get_internals()' % (s, a), s)
    elif k == 4:
        p.add('%s = %s.get_internals()[%s.get_internals().list_outputs()[0]]' % (s, a, a), s)
    else:
        p.add('%s = %s.get_children()' % (s, a), s)


def s_inspect(p):
    a = p.sym()
    if a is None:
        return s_var(p)
    r = p.name('r')
    e = _fuzz.pick('%s.list_arguments()', '%s.list_outputs()', '%s.list_auxiliary_states()',
                   '%s.list_inputs()', '%s.name', '%s.attr(%r)' % ('%s', _fuzz.pick(
                       'lr_mult', '__lr_mult__', 'k', 'group', '__shape__', 'ctx_group',
                       '__init__', 'num_hidden')),
                   '%s.attr_dict()', '%s.list_attr()', 'len(%s)',
                   '[t.name for t in %s]', 'repr(%s)')
    p.add('%s = %s' % (r, e.replace('%s', a)))


def infer_args(p, a):
    """Arguments of an infer_shape call: keyword shapes, positional ones, or bad ones."""
    k = R.randint(6)
    if k == 0:
        return ''
    if k == 1:
        return '*[%s for _ in %s.list_arguments()]' % (shape_code(), a)
    if k == 2:
        return '%s=%s' % (_fuzz.pick(*VAR_NAMES), shape_code())
    if k == 3:
        return '%s, %s' % (shape_code(), shape_code())
    if k == 4:
        return 'nope=(2, 3)'
    return '**{n: %s for n in %s.list_arguments()[:1]}' % (shape_code(), a)


def s_infer(p):
    a = p.sym()
    if a is None:
        return s_var(p)
    r = p.name('r')
    k = R.randint(4)
    if k == 0:
        p.add('%s = %s.infer_shape(%s)' % (r, a, infer_args(p, a)))
    elif k == 1:
        p.add('%s = %s.infer_shape_partial(%s)' % (r, a, infer_args(p, a)))
    elif k == 2:
        arg = _fuzz.pick('%s=%s' % (_fuzz.pick(*VAR_NAMES), dtype_code()), '',
                         '*[%s for _ in %s.list_arguments()]' % (dtype_code(), a), 'nope=np.float32')
        p.add('%s = %s.infer_type(%s)' % (r, a, arg))
    else:
        p.add('%s = %s.infer_type_partial(%s)' % (r, a, _fuzz.pick(
            '%s=%s' % (_fuzz.pick(*VAR_NAMES), dtype_code()), '')))


def s_serial(p):
    a = p.sym()
    if a is None:
        return s_var(p)
    s = p.name('s')
    k = R.randint(4)
    if k == 0:
        p.add('%s = mx.sym.load_json(%s.tojson())' % (s, a), s)
    elif k == 1:
        p.add('%s.save(fname); %s = mx.sym.load(fname)' % (a, s), s)
    elif k == 2:
        p.add('%s = copy.copy(%s)' % (s, a), s)
    else:
        p.add('%s = copy.deepcopy(%s)' % (s, a), s)


STATEMENTS = [(s_var, 2), (s_op, 5), (s_scope, 1.5), (s_arith, 2), (s_compose, 1.5),
              (s_group, 1), (s_index, 2), (s_inspect, 3), (s_infer, 3), (s_serial, 1.5)]


def program():
    p = Prog()
    for _ in range(ri(1, 2)):
        s_var(p)
    fns, weights = zip(*STATEMENTS)
    weights = np.array(weights) / sum(weights)
    for _ in range(ri(3, 10)):
        fns[R.choice(len(fns), p=weights)](p)
    return p.lines


def g_programs(n):
    for _ in range(n):
        _fuzz.add_program('symapi', program())


def generate(out, seed, n, only=None):
    """Write ``n`` programs of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, {'symapi': (g_programs, 1.0)}, n, inputs=False)


# -- the regression cases' replay (tools/gen_symbol_api_fuzz_fixtures.py under MXNet, and
#    tests/symbol/test_symbol_api_fuzz_regressions.py under minigluon) ---------------------------

def case_value(v):
    """``v`` as the regression fixture writes it: tuples as lists, types by name."""
    if isinstance(v, (list, tuple)):
        return [case_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): case_value(x) for k, x in v.items()}
    if isinstance(v, type):
        return v.__name__
    return v


def run_case_code(mx, code):
    """The value (:func:`case_value`) of ``code``'s last line, run after the others under a fresh
    NameManager of framework ``mx``; ``{'error': True}`` when it raises."""
    lines = code.split('\n')
    env = {'mx': mx}
    try:
        with mx.name.NameManager():
            exec('\n'.join(lines[:-1]), env)
            return case_value(eval(lines[-1], env))
    except Exception:  # noqa: BLE001 -- raising is the outcome
        return {'error': True}


# -- one backend -----------------------------------------------------------------------------------

def plain(v):
    """``v`` as JSON-able data: NumPy dtypes / types as their names, tuples as lists."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, type):
        return 'type:' + np.dtype(v).name if issubclass(v, np.generic) else 'type:' + v.__name__
    if isinstance(v, np.dtype):
        return 'dtype:' + v.name
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return 'obj:' + type(v).__name__


def describe_symbol(s):
    out = {}
    for k in ('name', 'list_outputs', 'list_arguments', 'list_auxiliary_states', 'list_inputs',
              'attr_dict', 'list_attr'):
        try:
            v = getattr(s, k)
            out[k] = plain(v() if callable(v) else v)
        except Exception as e:  # noqa: BLE001
            out[k] = 'raised ' + type(e).__name__
    return out


def run_program(mx, lines, fname):
    import copy
    env = {'mx': mx, 'np': np, 'copy': copy, 'json': json, 'fname': fname}
    base = set(env)
    raised, errors = [], []
    with mx.name.NameManager():
        for line in lines:
            e = _fuzz.run_statement(line, env, mx.nd)
            raised.append(int(e is not None))
            errors.append(None if e is None else _fuzz.error_text(e, 200))
    res = {'raised': np.array(raised, dtype=np.int8)}
    for name in sorted(set(env) - base):
        v = env[name]
        if isinstance(v, mx.sym.Symbol):
            res['sym:' + name] = np.array(json.dumps(describe_symbol(v), sort_keys=True))
        elif not name.startswith('__'):
            res['val:' + name] = np.array(json.dumps(plain(v), sort_keys=True))
    return res, errors


def run_case(mx, c, inputs=None):
    """The outcome of program ``c`` with its errors (``errors``, JSON, printed not compared)."""
    import tempfile
    fname = os.path.join(tempfile.gettempdir(), 'symapi-fuzz-%d.json' % os.getpid())
    res, errors = run_program(mx, c['lines'], fname)
    res['errors'] = np.array(json.dumps(errors))
    return res


# -- comparison --------------------------------------------------------------------------------------

def _keyword_compose_of_duplicate_names(bad, m):
    """True when a differing symbol of MXNet's lists an argument name twice: MXNet 1.9.1's
    keyword composition (``s(data=t)``, ``s._compose(...)``) of such a graph replaces nothing,
    not even the arguments of unique names (its matched count exceeds the keywords given),
    where minigluon replaces every argument of each name given."""
    for b in bad:
        key = b.split(': ')[0]
        if key.startswith('sym:') and key in m:
            args = json.loads(str(m[key])).get('list_arguments')
            if isinstance(args, list) and len(set(args)) < len(args):
                return True
    return False


def classify(case, bad, m, o):
    """The KNOWN tag of a difference, or None."""
    if not [b for b in bad if b.startswith('statement ')] and \
            _keyword_compose_of_duplicate_names(bad, m) and \
            any(re.search(r'\b[sv]\d+\(\w+=|\._compose\(\w+=', line) for line in case['lines']):
        return 'compose-duplicate-names'
    first = [b for b in bad if b.startswith('statement ')]
    if first and 'MXNet raised' in first[0]:
        i = int(first[0].split()[1].rstrip(':'))
        mx_errors = json.loads(str(m['errors'])) if 'errors' in m else []
        for text, tag, _ in KNOWN:
            if text in (mx_errors[i] or ''):
                return tag
    return None


def compare(casedir, verbose=True):
    """The report (``_fuzz.compare_programs``)."""
    return _fuzz.compare_programs(casedir, lambda c, m, o: _fuzz.diff_program(m, o),
                                  classify, verbose)


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case), compare, n=500, timeout=300,
               groups=False)


if __name__ == '__main__':
    main()
