"""What the differential fuzzers under ``tools/`` (``fuzz_*.py``) share: one way to draw random
cases, record them, run them under MXNet 1.9.1 and under minigluon in child processes that
survive crashes and hangs, compare the results and print the report.

A fuzzer keeps only what is its own: its case generators (the ``GROUPS`` it passes to
``generate``), its per-case runner (run in the child process, given the imported framework as
``mx``), its tolerances and its known-difference tags. Its ``main`` is ``_fuzz.main(...)``.

The flow of one fuzzer run (``python3 tools/fuzz_X.py OUTDIR --seed S --n N``):

1. ``generate`` seeds ``R`` with S, calls each group's generator, which records cases with
   ``add_case`` (inputs go to ``VALUES``) or ``add_program``, and writes ``OUTDIR/cases.json``
   (and ``OUTDIR/inputs.npz``, ``<key>_in<i>`` for input i of case ``<key>``);
2. ``run_backend`` runs the fuzzer's own file again as a child process
   (``OUTDIR --backend mxnet --start K``) under MXNet's Python, then under ``python3``; the child
   calls ``run_cases``, which writes ``OUTDIR/res/<backend>/<key>.npz`` per case. When a child
   crashes or hangs, the parent records ``CRASH`` for the case it stopped at and starts a new
   child at the next one;
3. the comparison: ``compare_cases`` (a report per group of cases) or ``compare_programs`` (for
   the fuzzers of statement-by-statement programs), both with ``close`` and ``diff_arrays``.

Nothing here imports MXNet or minigluon at module level, so a test may import a fuzzer.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The interpreter of each backend. MXNET_PYTHON (or --mx-python) names another MXNet 1.9.1
# interpreter than the oracle venv's.
PYTHONS = {'mxnet': os.environ.get('MXNET_PYTHON', '/opt/mxvenv/bin/python'),
           'minigluon': sys.executable}

# -- drawing random cases ------------------------------------------------------------------------

# The one random generator of case generation: ``generate`` reseeds it (``R.seed(seed)`` puts it
# in the state of a fresh ``np.random.RandomState(seed)``). Fuzzers import the object itself
# (``from _fuzz import R``), so it is never rebound, only reseeded.
R = np.random.RandomState(0)


def ri(lo, hi):
    """A random int in [lo, hi] (both ends included)."""
    return int(R.randint(lo, hi + 1))


def pick(*options):
    """One of ``options``, uniformly."""
    return options[R.randint(len(options))]


def rf(lo, hi, nd=3):
    """A random float in [lo, hi], rounded to ``nd`` digits (readable case code)."""
    return float(round(R.uniform(lo, hi), nd))


def chance(p):
    """True with probability ``p``."""
    return R.rand() < p


def kwargs_code(kw):
    """``kw`` as the source of keyword arguments: ``{'a': 1, 'b': 'x'}`` -> ``"a=1, b='x'"``."""
    return ', '.join('%s=%r' % kv for kv in kw.items())


# -- recording cases -------------------------------------------------------------------------------

CASES = []      # the cases of the current ``generate``, in order (written to cases.json)
VALUES = {}     # their NumPy inputs, ``<key>_in<i>`` (written to inputs.npz)


def add_case(group, code, inputs=(), **fields):
    """Record a case of ``group`` whose Python ``code`` runs on NumPy ``inputs`` (kept in
    ``VALUES`` as ``<key>_in<i>``); ``fields`` are the fuzzer's own entries of the case. The case
    is ``{'key': 'c<i>', 'group', 'code', 'n_in', **fields, 'dtypes', 'shapes'}`` (dtypes and
    shapes of the inputs); its key is returned."""
    key = 'c%d' % len(CASES)
    for i, x in enumerate(inputs):
        VALUES['%s_in%d' % (key, i)] = x
    case = {'key': key, 'group': group, 'code': code, 'n_in': len(inputs)}
    case.update(fields)
    case.update(dtypes=[str(x.dtype) for x in inputs], shapes=[list(x.shape) for x in inputs])
    CASES.append(case)
    return key


def add_program(group, lines, **fields):
    """Record a program (a list of statements, no inputs): ``{'key': 'p<i>', 'group', 'lines',
    **fields}``."""
    CASES.append(dict({'key': 'p%d' % len(CASES), 'group': group, 'lines': lines}, **fields))


def generate(out, seed, groups, n, only=None, inputs=True):
    """Draw the cases of one run and write them to folder ``out``: ``groups`` maps each group
    name to ``(generator, size)``; ``generator(count)`` records ``max(1, int(n * size))`` cases
    (the groups of ``only`` alone when given). Writes ``cases.json`` and, with ``inputs``,
    ``inputs.npz``. Returns the number of cases."""
    R.seed(seed)
    del CASES[:]
    VALUES.clear()
    for name, (g, size) in groups.items():
        if not only or name in only:
            g(max(1, int(n * size)))
    os.makedirs(out, exist_ok=True)
    if inputs:
        np.savez(os.path.join(out, 'inputs.npz'), **VALUES)
    with open(os.path.join(out, 'cases.json'), 'w') as f:
        json.dump(CASES, f, indent=0)
    return len(CASES)


def load_cases(casedir):
    """The cases of ``casedir/cases.json``."""
    with open(os.path.join(casedir, 'cases.json')) as f:
        return json.load(f)


# -- one backend, run as a child process -----------------------------------------------------------

def import_backend(backend):
    """The framework of ``backend``: ``mxnet`` or ``minigluon``, imported as ``mx``."""
    if backend == 'mxnet':
        import mxnet as mx
    else:
        import minigluon as mx
    return mx


def error_text(e, width=300):
    """``'<class name>: <last line of the message, cut at width>'``: how an exception is told."""
    text = str(e).strip()
    return '%s: %s' % (type(e).__name__, text.splitlines()[-1][:width] if text else '')


def error_result(e):
    """The result of a case that raised: ``error`` (``error_text``) and ``mro`` (the class names
    of the exception's MRO, so that an error can be matched by class)."""
    return {'error': np.array(error_text(e)),
            'mro': np.array(' '.join(k.__name__ for k in type(e).__mro__))}


def record_fixtures(out, cases, run, version):
    """What a fixture generator of recorded cases writes, run under MXNet: for each case of
    ``cases`` (name -> dict of the case's fields, its arrays under ``'inputs'``), its inputs
    (``<name>/in<i>``) and the arrays ``run(name, case)`` returns (``<name>/<key>``) go to
    ``out/values.npz``; its fields, its input count (``n_in``) and, where ``run`` raised, the
    error (``error_text``, width 200) and the class names of the exception's MRO (``mro``) go to
    ``out/cases.json``, beside MXNet's ``version``."""
    os.makedirs(out, exist_ok=True)
    meta, values = {}, {}
    for name, c in cases.items():
        for i, a in enumerate(c['inputs']):
            values['%s/in%d' % (name, i)] = a
        entry = {k: v for k, v in c.items() if k != 'inputs'}
        entry['n_in'] = len(c['inputs'])
        try:
            for k, v in run(name, c).items():
                values['%s/%s' % (name, k)] = v
        except Exception as e:  # noqa: BLE001 -- the error class is the result
            entry['error'] = error_text(e, width=200)
            entry['mro'] = [k.__name__ for k in type(e).__mro__]
        meta[name] = entry
    with open(os.path.join(out, 'cases.json'), 'w') as f:
        json.dump({'mxnet_version': version, 'cases': meta}, f, indent=1, sort_keys=True)
    np.savez_compressed(os.path.join(out, 'values.npz'), **values)
    print('%d cases, %d raised' % (len(cases), sum('error' in c for c in meta.values())))


def run_cases(backend, casedir, start, run_case, suffix='', quiet=False):
    """The child process's loop: import ``backend``, then for every case from index ``start``
    write ``res/<backend>/<key><suffix>.npz``, the dict of arrays ``run_case(mx, case, inputs)``
    returns (``inputs``: the loaded inputs.npz, or None without one) or ``error_result`` of what
    it raised, and append the key to ``res/<backend>/done.txt`` (which the parent reads to resume
    after a crash). ``quiet``: warnings and logging below ERROR silenced."""
    if quiet:
        import logging
        import warnings
        warnings.simplefilter('ignore')
        logging.disable(logging.WARNING)
    mx = import_backend(backend)
    cases = load_cases(casedir)
    path = os.path.join(casedir, 'inputs.npz')
    inputs = np.load(path) if os.path.exists(path) else None
    resdir = os.path.join(casedir, 'res', backend)
    os.makedirs(resdir, exist_ok=True)
    done = open(os.path.join(resdir, 'done.txt'), 'a')
    for c in cases[start:]:
        try:
            res = run_case(mx, c, inputs)
        except Exception as e:  # noqa: BLE001 -- every failure is a result to compare
            res = error_result(e)
        np.savez(os.path.join(resdir, c['key'] + suffix + '.npz'), **res)
        done.write(c['key'] + '\n')
        done.flush()


def child(run_case, **kw):
    """The ``child`` of ``main`` for a fuzzer whose child is ``run_cases(..., run_case, **kw)``."""
    return lambda backend, casedir, start, args: run_cases(backend, casedir, start, run_case, **kw)


# -- the parent: both backends with crash resume ---------------------------------------------------

def run_backend(backend, casedir, keys, timeout, script, extra_env=None, extra_args=(),
                suffix=''):
    """Run every case under ``backend``, one child process per stretch between crashes: the
    child is ``script casedir --backend B --start N`` (plus ``extra_args``) under
    ``PYTHONS[B]``, with at most ``timeout`` seconds. The case a child stopped at gets the result
    ``error: CRASH rc=...`` (in ``<key><suffix>.npz``) and the next child starts after it."""
    resdir = os.path.join(casedir, 'res', backend)
    os.makedirs(resdir, exist_ok=True)
    donef = os.path.join(resdir, 'done.txt')
    if os.path.exists(donef):
        os.remove(donef)
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', **(extra_env or {}))
    script = os.path.abspath(script)
    start = 0
    while start < len(keys):
        try:
            rc = subprocess.run([PYTHONS[backend], script, casedir, '--backend', backend,
                                 '--start', str(start)] + list(extra_args), env=env,
                                timeout=timeout, capture_output=True).returncode
        except subprocess.TimeoutExpired:
            rc = 'timeout'
        n = len(set(open(donef).read().split())) if os.path.exists(donef) else 0
        if n >= len(keys):
            break
        np.savez(os.path.join(resdir, keys[n] + suffix + '.npz'),
                 error=np.array('CRASH rc=%s' % rc))
        with open(donef, 'a') as f:
            f.write(keys[n] + '\n')
        start = n + 1



# -- describing a result ----------------------------------------------------------------------------

def structure(mx, obj, arrays, leaf=None):
    """The structure string of a result ``obj`` (nested lists, tuples and dicts of NDArrays, NumPy
    arrays and scalars, Python scalars), in the same form under both frameworks; its arrays are
    appended to ``arrays`` in order, for the comparison of values. ``leaf(obj)``, when given and
    not None for ``obj``, is ``(description, array)`` for a fuzzer's own kind of value."""
    own = leaf(obj) if leaf is not None else None
    if own is not None:
        arrays.append(own[1])
        return own[0]
    if isinstance(obj, mx.nd.NDArray):
        arrays.append(obj.asnumpy())
        return 'ND(%s%s)' % (np.dtype(obj.dtype).name, tuple(obj.shape))
    if isinstance(obj, np.ndarray):
        arrays.append(obj)
        return 'np(%s%s)' % (obj.dtype.name, obj.shape)
    if isinstance(obj, np.generic):
        arrays.append(np.asarray(obj))
        return 'npscalar(%s)' % obj.dtype.name
    if isinstance(obj, (bool, int, float, str, bytes, type(None))):
        return '%s:%r' % (type(obj).__name__, obj)
    if isinstance(obj, (list, tuple)):
        inner = ', '.join(structure(mx, o, arrays, leaf) for o in obj)
        return '[%s]' % inner if isinstance(obj, list) else '(%s)' % inner
    if isinstance(obj, dict):
        return '{%s}' % ', '.join('%r: %s' % (k, structure(mx, obj[k], arrays, leaf))
                                  for k in sorted(obj))
    return 'object:%s' % type(obj).__name__


# -- comparing results ------------------------------------------------------------------------------

# (rtol, atol) by dtype name for element-wise results; other dtypes (integers, bool) exactly.
TOLERANCES = {'float16': (2e-2, 2e-2), 'float32': (2e-4, 2e-5), 'float64': (1e-7, 1e-9)}


def close(a, b, tol=None):
    """Whether our array ``a`` equals MXNet's ``b`` within ``tol``: a dict dtype name ->
    (rtol, atol) (default ``TOLERANCES``; a dtype not in it: exactly), or a function of ``b``
    returning (rtol, atol). Strings compare exactly, NaN equals NaN, empty arrays always agree."""
    if a.size == 0:
        return True
    if a.dtype.kind in 'USO' or b.dtype.kind in 'USO':   # strings: exactly
        return a.shape == b.shape and bool((a == b).all())
    tol = TOLERANCES if tol is None else tol
    rtol, atol = tol(b) if callable(tol) else tol.get(np.dtype(b.dtype).name, (0, 0))
    return np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                       equal_nan=True)


def diff_arrays(k, a, b, tol=None, dtype=True):
    """The differences between our array ``a`` and MXNet's ``b`` of result ``k``: dtype (when
    ``dtype``; strings by value alone), shape, else values beyond ``close``'s tolerance (where they differ most; a NaN
    on one side only counts as the largest difference). Empty when they agree."""
    bad = []
    text = a.dtype.kind in 'USO' or b.dtype.kind in 'USO'
    if dtype and a.dtype != b.dtype and not text:
        bad.append('%s dtype ours %s mx %s' % (k, a.dtype, b.dtype))
    if a.shape != b.shape:
        bad.append('%s shape ours %s mx %s' % (k, a.shape, b.shape))
    elif not close(a, b, tol):
        if text:
            bad.append('%s: ours %s | mx %s' % (k, str(a)[:700], str(b)[:700]))
        else:
            d = np.array(np.abs(a.astype(np.float64) - b.astype(np.float64)), ndmin=1)
            d[np.array(np.isnan(a) != np.isnan(b), ndmin=1)] = np.inf
            i = int(np.nanargmax(d)) if not np.isnan(d).all() else 0
            bad.append('%s values: largest difference at %s: ours %r mx %r' % (
                k, np.unravel_index(i, a.shape), a.flat[i], b.flat[i]))
    return bad


def load_result(casedir, backend, key, suffix=''):
    """The result dict of case ``key`` under ``backend`` ({} when there is none)."""
    path = os.path.join(casedir, 'res', backend, key + suffix + '.npz')
    return dict(np.load(path)) if os.path.exists(path) else {}


def check_case(m, o, tol=None, dtype=lambda k: True, error_class=False):
    """Compare MXNet's result ``m`` of a case with ours ``o``: ``(kind, message)`` with kind
    None (equal), ``'both-error'`` (both raised, alike), ``'mx-error-ours-ok'``,
    ``'ours-error'``, ``'error-class'`` (both raised, but with ``error_class`` MXNet's class is
    not among our exception's classes) or ``'diff'`` (``diff_arrays`` of every result;
    ``dtype(k)``: whether result k's dtype is compared)."""
    if 'error' in m:
        if 'error' not in o:
            return 'mx-error-ours-ok', str(m['error'])
        if error_class and \
                str(m.get('mro', m['error'])).split()[0] not in str(o.get('mro', '')).split():
            return 'error-class', 'mx %s | ours %s' % (m['error'], o['error'])
        return 'both-error', None
    if 'error' in o:
        return 'ours-error', str(o['error'])
    bad = []
    for k in sorted(m):
        if k not in o:
            bad.append('missing %s' % k)
        else:
            bad += diff_arrays(k, o[k], m[k], tol, dtype(k))
    return ('diff', '; '.join(bad)) if bad else (None, None)


def describe(c):
    """One line naming a case: key, code (`` | call`` when it has one), input dtypes, shapes."""
    code = c['code'].replace('\n', '; ') + (' | ' + c['call'] if c.get('call') else '')
    return '%s %s %s %s' % (c['key'], code, c['dtypes'], c['shapes'])


def compare_cases(casedir, check=None, known=None, errors_equal=False):
    """The report of a case fuzzer: per group the numbers of cases, compared (neither
    framework raised), equal, known and rejected by MXNet, then every other difference as
    ``[kind] <case>`` and its message. ``check(case, m, o)`` gives ``(kind, message)`` as
    ``check_case`` (the default); ``known(case, m, o, kind)``, when given, is the tag of a
    documented difference or None (tagged differences are counted, under ``known:<tag>`` in a
    first line of totals, not printed); ``errors_equal``: both raising alike counts as equal."""
    check = check or (lambda c, m, o: check_case(m, o))
    stats = collections.Counter()
    diffs = collections.defaultdict(list)
    for c in load_cases(casedir):
        g = c['group']
        m, o = load_result(casedir, 'mxnet', c['key']), load_result(casedir, 'minigluon', c['key'])
        stats[g] += 1
        if 'error' in m:
            stats[g + ':mx_error'] += 1
        kind, msg = check(c, m, o)
        if 'error' not in m and 'error' not in o:
            stats[g + ':compared'] += 1
        if kind is None or kind == 'both-error':
            if kind is None or errors_equal:
                stats[g + ':same'] += 1
            continue
        tag = known(c, m, o, kind) if known else None
        if tag:
            stats[g + ':known'] += 1
            stats['known:' + tag] += 1
        else:
            diffs[g].append((kind, describe(c), msg))
    groups = sorted(k for k in stats if ':' not in k)
    lines = []
    if known:
        lines.append('== %d cases: %d equal, %d known differences (%s), %d other differences' % (
            sum(stats[g] for g in groups), sum(stats[g + ':same'] for g in groups),
            sum(stats[g + ':known'] for g in groups),
            ', '.join('%s %d' % (k[6:], v) for k, v in sorted(stats.items())
                      if k.startswith('known:')) or 'none',
            sum(len(v) for v in diffs.values())))
    for g in groups:
        lines.append('== %s: %d cases, %d compared, %d equal, %s%d rejected by MXNet' % (
            g, stats[g], stats[g + ':compared'], stats[g + ':same'],
            '%d known, ' % stats[g + ':known'] if known else '', stats[g + ':mx_error']))
        for kind, desc, msg in diffs[g]:
            lines.append('  [%s] %s\n      %s' % (kind, desc, msg))
    return '\n'.join(lines)


def compare_outputs(casedir, tol=None):
    """``compare_cases`` with ``check_case(tol)``, dtypes compared for the results named
    ``out...`` alone (a gradient's dtype is not checked)."""
    return compare_cases(casedir, lambda c, m, o: check_case(
        m, o, tol, dtype=lambda k: k.startswith('out')))


# -- programs: statement-by-statement fuzzers --------------------------------------------------------

def run_statement(line, env, nd):
    """Run the statement ``line`` in namespace ``env`` (then ``nd.waitall()``, so that an
    asynchronous failure belongs to its statement); the exception it raised, or None."""
    try:
        exec(line, env)
        nd.waitall()
    except Exception as e:  # noqa: BLE001 -- every failure is an outcome to compare
        return e
    return None


def diff_program(m, o, tol=None, outcomes=('raised',), skip=('errors',)):
    """The differences between MXNet's outcome dict ``m`` of a program and ours ``o`` (empty:
    they agree): a whole-program error; for each per-statement outcome of ``outcomes``
    (``raised``: 0/1 per statement; ``warned``: numbers of warnings), the first statement where it differs
    (``'statement <i>: MXNet raised, ours ran'``...); an outcome only one side has; and
    ``diff_arrays`` of every other outcome but those of ``skip``."""
    if 'error' in m or 'error' in o:
        return ['whole program: mx %s / ours %s' % (m.get('error'), o.get('error'))]
    bad = []
    for k in sorted(set(m) | set(o)):
        if k in skip:
            continue
        if k not in m or k not in o:
            bad.append('%s only in %s' % (k, 'mx' if k in m else 'ours'))
            continue
        a, b = o[k], m[k]
        if k in outcomes:
            if not np.array_equal(a, b):
                i = int(np.nonzero(a != b)[0][0])
                bad.append('statement %d: %s' % (i, (
                    'MXNet raised, ours ran' if b[i] else 'ours raised, MXNet ran')
                    if k == 'raised' else 'warnings mx %d ours %d' % (b[i], a[i])))
            continue
        bad += diff_arrays(k, a, b, tol)
    return bad


def _json_list(d, k):
    return json.loads(str(d[k])) if k in d else []


def compare_programs(casedir, diff, classify, verbose=True):
    """The report of a program fuzzer: the numbers of programs, statements, statements MXNet
    raised at, equal, different and known programs, then (``verbose``) every other difference
    with the program listed, ``>>`` at the statements where one framework raised and the other
    did not, both errors, and the warnings where they differ. ``diff(case, m, o)`` lists the
    differences of a program (MXNet's outcome ``m``, ours ``o``); ``classify(case, bad, m, o)``
    is the tag of a documented difference or None."""
    stats = collections.Counter()
    lines = []
    for c in load_cases(casedir):
        m, o = load_result(casedir, 'mxnet', c['key']), load_result(casedir, 'minigluon', c['key'])
        stats['programs'] += 1
        stats['statements'] += len(c['lines'])
        if 'raised' in m:
            stats['mx_raised'] += int(m['raised'].sum())
        bad = diff(c, m, o)
        if not bad:
            stats['equal'] += 1
            continue
        tag = classify(c, bad, m, o)
        if tag:
            stats['known:' + tag] += 1
            continue
        stats['different'] += 1
        if verbose:
            me, oe = _json_list(m, 'errors'), _json_list(o, 'errors')
            mw, ow = _json_list(m, 'warnings'), _json_list(o, 'warnings')
            lines.append('-- %s: %s' % (c['key'], '\n     '.join(bad[:6])))
            for i, s in enumerate(c['lines']):
                both = i < len(me) and i < len(oe)
                mark = '>> ' if both and (me[i] is None) != (oe[i] is None) else '   '
                lines.append('   %s%2d %s%s' % (mark, i, s.replace('\n', '\\n')[:160],
                                                '   # mx: %s | ours: %s' % (me[i], oe[i])
                                                if both and (me[i] or oe[i]) else ''))
                if i < len(mw) and i < len(ow) and mw[i] != ow[i]:
                    lines.append('          warned: mx %s | ours %s' % (mw[i], ow[i]))
    head = ['== %d programs (%d statements; %d statements raised under MXNet): %d equal, '
            '%d different, %s' % (stats['programs'], stats['statements'], stats['mx_raised'],
                                  stats['equal'], stats['different'],
                                  ', '.join('%s %d' % (k, v) for k, v in sorted(stats.items())
                                            if k.startswith('known:')) or 'no known')]
    return '\n'.join(head + lines)


# -- the command line ---------------------------------------------------------------------------------

def main(doc, script, generate, child, compare, n, timeout, groups=True, options=(),
         extra_env=None, after_run=None):
    """The command line every fuzzer shares::

        fuzz_X.py OUTDIR [--seed S] [--n N] [--groups a,b] [--timeout T] [--mx-python PY]
                         [--compare-only] [fuzzer's own options]

    generates the cases (``generate(outdir, seed, n, groups)``, groups a list, empty for all),
    runs them under both backends (``run_backend``: ``script`` again as the child, which calls
    ``child(backend, outdir, start, args)``), then prints ``compare(outdir)``.
    ``--compare-only`` skips generating and running (the results of an earlier run). ``n`` and
    ``timeout`` are the defaults; ``groups``: whether there is ``--groups``; ``options``:
    ``(flags, add_argument keywords)`` of the fuzzer's own options; ``extra_env(args)``: extra
    environment variables of the children; ``after_run(outdir, keys, args)``: a second pass
    after both backends ran."""
    p = argparse.ArgumentParser(description=doc.split('\n\n')[0])
    p.add_argument('outdir')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--n', type=int, default=n,
                   help='how many cases (per group, scaled by its size)')
    if groups:
        p.add_argument('--groups', default='', help='comma-separated groups (default: all)')
    p.add_argument('--timeout', type=int, default=timeout, help='seconds per child process')
    p.add_argument('--mx-python', default=PYTHONS['mxnet'],
                   help='the Python of a venv holding mxnet 1.9.1 (default: $MXNET_PYTHON or '
                   '/opt/mxvenv/bin/python)')
    p.add_argument('--compare-only', action='store_true',
                   help='only compare the results already in OUTDIR')
    for flags, kw in options:
        p.add_argument(*flags, **kw)
    p.add_argument('--backend', help=argparse.SUPPRESS)
    p.add_argument('--start', type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.backend:
        child(a.backend, a.outdir, a.start, a)
        return
    PYTHONS['mxnet'] = a.mx_python
    if not a.compare_only:
        only = [g for g in getattr(a, 'groups', '').split(',') if g]
        count = generate(a.outdir, a.seed, a.n, only)
        keys = [c['key'] for c in load_cases(a.outdir)]
        print('%d cases' % count, file=sys.stderr)
        for backend in ('mxnet', 'minigluon'):
            run_backend(backend, a.outdir, keys, a.timeout, script,
                        extra_env=extra_env(a) if extra_env else None)
        if after_run:
            after_run(a.outdir, keys, a)
    print(compare(a.outdir))
