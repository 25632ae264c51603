"""Differential fuzzer of NDArray indexing, assignment and methods: seeded random small arrays
(0 to 4 axes, zero-size axes too; float32/64/16, int32/64, uint8, int8), each indexed, assigned
into, updated in place or given to a method under MXNet 1.9.1 and under minigluon, compared
value by value, with dtypes, shapes, view-ness, gradients and error classes.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_ndarray_index.py /tmp/nd-index-fuzz --seed 1 [--n 400]
                                        [--groups getitem,setitem] [--timeout 30]

Groups (``--groups``):

* ``getitem``: ``out = x[key]``, key an int (negative, rarely out of range), a slice (any start,
  stop and step, negative steps included), ``None``, ``...``, an integer list, NumPy array or
  NDArray (float and integer dtypes, 2-d too), or a tuple of these (basic and advanced mixed,
  rarely too many); then ``out[:] = 7`` and ``x`` is read back (``src``): a view shows the write;
* ``setitem``: ``x[key] = value``, value a number (negative, fractional, large), an NDArray or a
  NumPy array of the selection's shape or of a shape that broadcasts to it (dtype drawn too),
  ``x`` itself or an overlapping slice of it;
* ``inplace``: ``+=``, ``-=``, ``*=``, ``/=``, ``%=`` with a number or a broadcasting NDArray,
  on ``x`` or on a view of it (``x[1:3]``, ``x[1]``, ``x.reshape``);
* ``method``: the reshaping methods (``reshape`` with the codes 0/-1/-2/-3/-4 and ``reverse``,
  ``reshape_like``, ``expand_dims``, ``squeeze``, ``flatten``, ``swapaxes``, ``transpose``,
  ``T``), copies (``astype(copy=)``, ``copy``, ``copyto``, ``as_in_context``; written through
  like ``getitem``'s results), conversions and properties (``asscalar``, ``asnumpy``,
  ``tolist``, ``size``, ``ndim``, ``shape``, ``dtype``, ``context``, ``bool``, ``len``, iteration,
  ``repr``), and ``slice``, ``slice_axis``, ``take``, ``pick``, ``one_hot``, ``tile``,
  ``repeat``, ``pad``, ``split``, ``clip``, ``sort``, ``argsort``, ``topk``, ``sum``, ``mean``,
  ``max``, ``norm`` (``axis``, ``keepdims``, ``exclude``), ``abs``, ``sign`` and comparisons;
* ``autograd``: the gradient of ``(x[key] ** 2 * w).sum()``-like heads with respect to ``x``
  (repeated advanced indices accumulate), and ``y[key] = ...`` while recording.

A case is ``code``, Python run with ``exec`` in a namespace holding ``mx``, ``nd``, ``np``,
``autograd`` and ``x`` (the NDArray of input 0, of the case's dtype); it sets ``out``. Results
(``res/<backend>/<key>.npz``): ``desc`` (``_fuzz.structure`` of ``out``: Python values exactly,
NDArray dtypes and shapes), ``out<i>`` (its arrays), ``src`` (``x`` afterwards), with ``write``:
``wsrc`` (``x`` after ``out[:] = 7``) or ``werror``, with ``grad``: ``grad`` (``x.grad``); a
failure is ``error`` and ``mro``.

Comparison (the report, stdout): everything exactly but float values (``_fuzz.TOLERANCES``);
when both fail, MXNet's error class must be among minigluon's. Differences that docs/PORTING.md's table of
deliberate differences (or a docstring) lists carry a ``known`` tag (``known_tag``) and are counted
instead of printed.

First runs (seeds 1 to 5, 5,200 cases): views, values, dtypes and gradients agreed but for these,
now fixed as MXNet: an out-of-range float scalar written into an integer array (int32 ``1e10``:
MXNet -2147483648, as x86 converts; minigluon wrapped it), ``nd.full`` into uint8 (300 raised
OverflowError), ``x[-4:] = y`` of 4 rows while recording (a whole-array copy in MXNet, refused
here), ``split(squeeze_axis=True)`` of a 1-d array (0-d parts), a ``None`` in a written key
(ignored by MXNet), an empty value into an empty selection, a value with more axes than the
selection (MXNet drops leading axes of length 1 only; a NumPy value of the whole array's shape
fills it), and the error classes of index
arrays that do not broadcast (``ValueError``), of a value of the wrong shape and of ``copyto``
into another shape (``MXNetError``); also ``prod``'s gradient over an empty array (a reshape
error; MXNet cannot make one). Seeds 2 to 5 (4,800 cases) then: 3,838 equal, 962 known, none
other. The known tags (``known_tag``): MXNet refusing zero-size and 0-d arrays and empty
selections, crashing, refusing mixed dtypes, dropping negative advanced indices on writes and in
gradients, skipping the bounds check of advanced writes, placing a ``None`` after an advanced
index first, smearing overlapping self-assignments, padding only 4-D/5-D arrays, failing ``tile``
of more than two axes, sorting float16 never and equal values unstably, its integer ``norm``;
boolean masks; cases with two faults reported in another order.

Batches, crash/hang resume and the command line (also ``--mx-python``, ``--compare-only``) are
``tools/_fuzz.py``'s. A difference where MXNet is right is fixed in minigluon and pinned by
``tools/gen_ndarray_index_fuzz_fixtures.py`` (``tests/fixtures/ndarray_index_fuzz/``,
``tests/test_ndarray_index_fuzz_regressions.py``).
"""
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case, chance, pick, ri  # noqa: E402

DTYPES = ['float32', 'float32', 'float64', 'float16', 'int32', 'int64', 'uint8', 'int8']


def shape(min_nd=0, max_nd=4, zero=0.06):
    """A small shape; a zero-size axis with probability ``zero`` per axis."""
    return tuple(0 if chance(zero) else ri(1, 4) for _ in range(ri(min_nd, max_nd)))


def values(shp, dt):
    """Small distinct-looking values of ``dt`` (floats with two decimals, ints from -9 or 0)."""
    if np.dtype(dt).kind == 'f':
        return np.asarray(np.round(R.uniform(-3, 3, size=shp), 2), dtype=dt)
    lo = 0 if dt == 'uint8' else -9
    return np.asarray(R.randint(lo, 10, size=shp), dtype=dt)


# -- keys ------------------------------------------------------------------------------------------

def int_part(d):
    """An int index for an axis of length ``d`` (rarely out of range)."""
    if d == 0 or chance(0.04):
        return pick(d, -d - 1, d + 1)
    return ri(-d, d - 1)


def slice_part(d):
    step = pick(None, None, None, 1, 2, -1, -1, -2, 3)
    b = pick(None, None, ri(-d - 1, d + 1))
    e = pick(None, None, ri(-d - 1, d + 1))
    if step is None and chance(0.3):
        return '%s:%s' % ('' if b is None else b, '' if e is None else e)
    return '%s:%s:%s' % ('' if b is None else b, '' if e is None else e,
                         '' if step is None else step)


def array_part(d, allow_2d=True):
    """An integer advanced index as source: a list, a NumPy array or an NDArray."""
    n = ri(1, 4)
    hi = max(d - 1, 0)
    idx = [ri(-d, hi) if d and chance(0.15) else ri(0, hi) for _ in range(n)]
    if d == 0 or chance(0.03):
        idx[0] = d + 1                                   # out of range
    if allow_2d and chance(0.15):
        idx = [idx, [ri(0, hi) for _ in range(n)]]
    kind = pick('list', 'np', 'nd', 'nd')
    if kind == 'list':
        return repr(idx), 'list'
    if kind == 'np':
        return 'np.array(%r, dtype=%r)' % (idx, pick('int64', 'int32')), 'np'
    return 'nd.array(%r, dtype=%r)' % (idx, pick('float32', 'int32', 'int64')), 'nd'


def key_source(shp):
    """A random key for an array of shape ``shp``: ``(source, kinds)``, kinds the set of part
    kinds (``int``, ``slice``, ``None``, ``...``, ``list``, ``np``, ``nd``, ``bool``)."""
    nd_ = len(shp)
    if nd_ and chance(0.04):                  # a boolean mask (docs/PORTING.md: minigluon reads a mask)
        m = R.rand(shp[0]) < 0.5
        return 'np.array(%r)' % m.tolist(), {'bool'}
    n_idx = min(nd_, ri(1, max(nd_, 1)))
    if chance(0.03):
        n_idx = nd_ + 1                       # too many indices
    parts, kinds = [], set()
    axis = 0
    ell = False
    n_adv = 0
    for _ in range(n_idx):
        if not ell and chance(0.1):
            parts.append('...')
            kinds.add('...')
            ell = True
            axis = max(axis, nd_ - (n_idx - len(parts)))
            continue
        if chance(0.1):
            parts.append('None')
            kinds.add('None')
        d = shp[axis] if axis < nd_ else 1
        r = R.rand()
        if r < 0.35:
            parts.append(str(int_part(d)))
            kinds.add('int')
        elif r < 0.75 or n_adv >= 2:
            parts.append(slice_part(d))
            kinds.add('slice')
        else:
            src, kind = array_part(d, allow_2d=n_adv == 0)
            parts.append(src)
            kinds.add(kind)
            n_adv += 1
        axis += 1
    if not parts:
        parts = [pick('...', 'None', ':')]
        kinds.add({'...': '...', 'None': 'None', ':': 'slice'}[parts[0]])
    if len(parts) == 1 and chance(0.7):
        return parts[0], kinds
    return ', '.join(parts) + (',' if len(parts) == 1 else ''), kinds


def add(group, code, x, write=False, grad=False, kinds=(), extra=()):
    add_case(group, code, [x] + list(extra), write=write, grad=grad, kinds=sorted(kinds))


# -- groups ------------------------------------------------------------------------------------------

def g_getitem(n):
    for _ in range(n):
        dt = pick(*DTYPES)
        shp = shape(1, 4)
        key, kinds = key_source(shp)
        add('getitem', 'out = x[%s]' % key, values(shp, dt), write=True, kinds=kinds)


def value_source(tshape, dt):
    """A value to assign into a selection of shape ``tshape`` (a guess: the selection's shape
    as NumPy computes it; MXNet's rules decide)."""
    r = R.rand()
    if r < 0.35:
        v = pick(0, 1, -1, 2.7, -3.5, 300, 1e10, 0.5, float('nan')) if chance(0.9) else ri(-5, 5)
        return repr(v) if v == v else "float('nan')"
    shp = list(tshape)
    if shp and chance(0.4):                   # a broadcasting shape
        k = ri(0, len(shp))
        shp = [1 if chance(0.5) else s for s in shp[k:]]
    if chance(0.05):
        shp = shp + [2]                       # a shape that does not fit
    vdt = pick(dt, dt, 'float32', 'int32', 'float64')
    v = values(tuple(shp), vdt)
    if r < 0.75:
        return 'nd.array(%r, dtype=%r)' % (v.tolist(), vdt) if v.ndim else \
            'nd.array([%r], dtype=%r)' % (v.item(), vdt)
    return 'np.array(%r, dtype=%r)' % (v.tolist(), vdt)


def g_setitem(n):
    for _ in range(n):
        dt = pick(*DTYPES)
        shp = shape(1, 4)
        xv = values(shp, dt)
        r = R.rand()
        if r < 0.1 and shp[0] > 1:            # overlapping self-assignment
            code = pick('x[1:] = x[:-1]', 'x[:-1] = x[1:]', 'x[:] = x', 'x[::-1] = x',
                        'x[0] = x[-1]', 'x[:] = x[::-1]')
            add('setitem', code + '\nout = x', xv, kinds={'self'})
            continue
        key, kinds = key_source(shp)
        try:
            tshape = xv[eval(key, {'np': np, 'nd': _NpAsNd})].shape
        except Exception:  # noqa: BLE001 -- an invalid key: any value
            tshape = shp
        add('setitem', 'x[%s] = %s\nout = x' % (key, value_source(tshape, dt)), xv, kinds=kinds)


class _NpAsNd:
    """``nd.array`` read as ``np.array`` when the generator guesses a selection's shape."""
    array = staticmethod(lambda v, dtype=None: np.array(v).astype(np.int64))


def g_inplace(n):
    for _ in range(n):
        dt = pick(*DTYPES)
        shp = shape(1, 4, zero=0.03)
        op = pick('+=', '-=', '*=', '/=', '%=')
        target = pick('x', 'x', 'x', 'v1', 'v2', 'v3')
        tshape = shp
        pre = ''
        if target == 'v1':
            pre = 'v = x[1:3]\n'
            tshape = (len(range(*slice(1, 3).indices(shp[0]))),) + shp[1:]
        elif target == 'v2':
            pre = 'v = x[%d]\n' % ri(0, max(shp[0] - 1, 0))
            tshape = shp[1:] or (1,)
        elif target == 'v3':
            pre = 'v = x.reshape((-1,))\n'
            tshape = (int(np.prod(shp)),)
        name = 'x' if target == 'x' else 'v'
        if chance(0.45):
            other = repr(pick(2, 3, -1, 0.5, 2.5, 0))
        else:
            oshape = list(tshape)
            if oshape and chance(0.4):
                k = ri(0, len(oshape))
                oshape = [1 if chance(0.5) else s for s in oshape[k:]]
            if chance(0.06):
                oshape = oshape + [3]          # bigger than the target: refused
            odt = pick(dt, dt, dt, 'float32', 'int32')
            ov = values(tuple(oshape), odt)
            if odt[0] in 'iu' or op in ('/=', '%='):
                ov[ov == 0] = 1
            other = 'nd.array(%r, dtype=%r)' % (ov.tolist(), odt) if ov.ndim else \
                'nd.array([%r], dtype=%r)' % (ov.item(), odt)
        add('inplace', '%s%s %s %s\nout = %s' % (pre, name, op, other, name),
            values(shp, dt), kinds={target})


def _axis(nd_, none=True):
    if none and chance(0.3):
        return None
    return ri(-nd_, nd_ - 1) if nd_ else 0


# methods that only read the array: one fixed statement each (no drawing)
_READ_ONLY_METHODS = {
    'asscalar': 'out = x.asscalar()',
    'asnumpy': 'out = x.asnumpy()',
    'tolist': 'out = x.tolist()',
    'props': 'out = [x.size, x.ndim, x.shape, str(np.dtype(x.dtype)), str(x.context)]',
    'bool': 'out = bool(x)',
    'len': 'out = len(x)',
    'iter': 'out = [r for r in x]',
    'repr': 'out = repr(x)',
}


def method_code(shp, dt):
    """``(code, write)`` of one random method call on ``x`` of shape ``shp``."""
    nd_ = len(shp)
    ax = _axis(nd_, none=False)
    k = pick('reshape', 'reshape', 'reshape_like', 'expand_dims', 'squeeze', 'flatten',
             'swapaxes', 'transpose', 'T', 'astype', 'copy', 'copyto', 'as_in_context',
             'asscalar', 'asnumpy', 'tolist', 'props', 'bool', 'len', 'iter', 'repr', 'slice',
             'slice_axis', 'take', 'pick', 'one_hot', 'tile', 'repeat', 'pad', 'split', 'clip',
             'sort', 'argsort', 'topk', 'reduce', 'reduce', 'abs', 'sign', 'compare')
    if k == 'reshape':
        codes = []
        for _ in range(ri(1, 4)):
            codes.append(pick(0, -1, -2, -3, 1, 2, 3, 4, 6, -4))
            if codes[-1] == -4:
                codes += [pick(-1, 1, 2), pick(-1, 2, 3)]
        if chance(0.4):
            codes = [pick(-1, int(np.prod(shp)))]
        rev = ', reverse=True' if chance(0.25) else ''
        if chance(0.2):
            return 'out = x.reshape(%s%s)' % (', '.join(map(str, codes)), rev), True
        return 'out = x.reshape(%r%s)' % (tuple(codes), rev), True
    if k == 'reshape_like':
        other = list(R.permutation(shp)) if chance(0.5) else [int(np.prod(shp))]
        kw = ''
        if chance(0.3) and nd_:
            kw = ', lhs_begin=%d, lhs_end=%d, rhs_begin=0, rhs_end=1' % (0, 1)
            other = [shp[0]] + [2]
        return 'out = x.reshape_like(nd.zeros(%r)%s)' % (tuple(int(s) for s in other), kw), True
    if k == 'expand_dims':
        return 'out = x.expand_dims(axis=%d)' % ri(-nd_ - 2, nd_ + 1), True
    if k == 'squeeze':
        ones = [i for i, s in enumerate(shp) if s == 1]
        a = pick(None, ones[0] if ones else ax, ax, tuple(ones) if ones else None)
        return 'out = x.squeeze(%s)' % ('' if a is None else 'axis=%r' % (a,)), True
    if k == 'flatten':
        return 'out = x.flatten()', True
    if k == 'swapaxes':
        return 'out = x.swapaxes(%d, %d)' % (ax, _axis(nd_, False)), True
    if k == 'transpose':
        if chance(0.3):
            return 'out = x.transpose()', True
        perm = [int(i) for i in R.permutation(nd_)]
        if chance(0.1) and perm:
            perm[0] = perm[-1]
        return 'out = x.transpose(axes=%r)' % (tuple(perm),), True
    if k == 'T':
        return 'out = x.T', True
    if k == 'astype':
        return 'out = x.astype(%r, copy=%r)' % (pick(dt, 'float32', 'int32', 'float16'),
                                                 chance(0.5)), True
    if k == 'copy':
        return 'out = x.copy()', True
    if k == 'copyto':
        tgt = pick('nd.zeros(%r, dtype=%r)' % (shp, pick(dt, 'float32', 'int32')), 'mx.cpu()',
                   'nd.zeros(%r)' % ((shp[0] + 1,) + shp[1:],) if nd_ else 'mx.cpu()')
        return 'out = x.copyto(%s)' % tgt, True
    if k == 'as_in_context':
        return 'out = x.as_in_context(mx.cpu(%d))' % pick(0, 0, 1), True
    if k in _READ_ONLY_METHODS:
        return _READ_ONLY_METHODS[k], False
    if k == 'slice':
        m = ri(1, max(nd_, 1))
        b = tuple(pick(None, ri(-s, s)) for s in shp[:m])
        e = tuple(pick(None, ri(-s - 1, s + 1)) for s in shp[:m])
        if chance(0.5):
            st = tuple(pick(None, 1, 2, -1) for _ in range(m))
            return 'out = x.slice(begin=%r, end=%r, step=%r)' % (b, e, st), True
        return 'out = x.slice(begin=%r, end=%r)' % (b, e), True
    if k == 'slice_axis':
        d = shp[ax] if nd_ else 1
        return 'out = x.slice_axis(axis=%d, begin=%d, end=%r)' % (
            ax, ri(-d, d), pick(None, ri(-d, d + 1))), True
    if k == 'take':
        d = shp[ax] if nd_ else 1
        idx = [ri(-d - 1, d + 1) for _ in range(ri(1, 4))]
        mode = pick(None, 'clip', 'wrap', 'raise')
        return 'out = x.take(nd.array(%r), axis=%d%s)' % (
            idx, ax, '' if mode is None else ', mode=%r' % mode), True
    if k == 'pick':
        ishape = shp[:ax % max(nd_, 1)] + shp[ax % max(nd_, 1) + 1:]
        d = shp[ax] if nd_ else 1
        idx = R.randint(-1, d + 1, size=ishape)
        mode = pick(None, 'clip', 'wrap')
        return 'out = x.pick(nd.array(%r), axis=%d, keepdims=%r%s)' % (
            idx.tolist(), ax, chance(0.3), '' if mode is None else ', mode=%r' % mode), True
    if k == 'one_hot':
        return 'out = x.one_hot(%d%s)' % (ri(1, 5), pick('', ", dtype='int32'",
                                                         ', on_value=2, off_value=-1')), True
    if k == 'tile':
        return 'out = x.tile(reps=%r)' % (tuple(ri(1, 3) for _ in range(ri(1, 3))),), True
    if k == 'repeat':
        a = _axis(nd_)
        return 'out = x.repeat(repeats=%d%s)' % (ri(1, 3), '' if a is None else
                                                 ', axis=%d' % a), True
    if k == 'pad':
        pw = tuple(pick(0, 1, 2) if i >= 4 else 0 for i in range(2 * nd_))
        return "out = x.pad(mode=%r, pad_width=%r%s)" % (
            pick('constant', 'edge', 'reflect'), pw, pick('', ', constant_value=1.5')), True
    if k == 'split':
        d = shp[ax] if nd_ else 1
        num = pick(1, d, 2) or 1
        return 'out = x.split(num_outputs=%d, axis=%d, squeeze_axis=%r)' % (
            num, ax, chance(0.3)), True
    if k == 'clip':
        return 'out = x.clip(%r, %r)' % (pick(-1, 0, 0.5), pick(1, 2.5, 5)), True
    if k in ('sort', 'argsort'):
        extra = pick('', ', is_ascend=False', ", dtype='int32'" if k == 'argsort' else '')
        return 'out = x.%s(axis=%r%s)' % (k, _axis(nd_), extra), True
    if k == 'topk':
        return 'out = x.topk(axis=%r, k=%d, ret_typ=%r, is_ascend=%r)' % (
            _axis(nd_), ri(1, 3), pick('indices', 'value', 'both', 'mask'), chance(0.3)), True
    if k == 'reduce':
        fn = pick('sum', 'mean', 'max', 'norm', 'min', 'prod')
        a = _axis(nd_)
        if a is not None and chance(0.3) and nd_ > 1:
            a = (a, (a + 1) % nd_) if (a + 1) % nd_ != a % nd_ else a
        kw = []
        if a is not None:
            kw.append('axis=%r' % (a,))
        if chance(0.4):
            kw.append('keepdims=True')
        if fn != 'norm' and a is not None and chance(0.25):
            kw.append('exclude=True')
        if fn == 'norm' and chance(0.3):
            kw.append('ord=1')
        return 'out = x.%s(%s)' % (fn, ', '.join(kw)), True
    if k in ('abs', 'sign'):
        return 'out = x.%s()' % k, True
    op = pick('>', '<', '==', '!=', '>=', '<=')
    other = pick('1', '0.5', 'x', 'x[:1]' if nd_ else 'x', '-x')
    return 'out = x %s %s' % (op, other), True


def g_method(n):
    for _ in range(n):
        dt = pick(*DTYPES)
        shp = shape(0, 4, zero=0.05)
        code, write = method_code(shp, dt)
        add('method', code, values(shp, dt), write=write, kinds={code.split('(')[0][6:]})


def g_autograd(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float64', 'float16')
        shp = shape(1, 3, zero=0.03)
        key, kinds = key_source(shp)
        r = R.rand()
        if r < 0.6:
            head = pick('(y * y).sum()', '(y * 3).sum()', 'y.sum() * y.sum()', '(y + 1).prod()')
            code = ('with autograd.record():\n    y = x[%s]\n    z = %s\nz.backward()\nout = y'
                    % (key, head))
        elif r < 0.75:
            code = ('with autograd.record():\n    y = x[%s]\ny.backward()\nout = y' % key)
        elif r < 0.9:
            code = ('with autograd.record():\n    y = x * 2\n    y[%s] = 0\n    z = (y * y).sum()\n'
                    'z.backward()\nout = y' % key)
        else:
            code = ('u = nd.zeros(%r, dtype=%r)\nwith autograd.record():\n    u[%s] = x * 2\n'
                    '    z = (u * u).sum()\nz.backward()\nout = u' % (shp, dt, key if chance(0.3)
                                                                      else ':'))
        add('autograd', code, values(shp, dt), grad=True, kinds=kinds)


GROUPS = {'getitem': (g_getitem, 1.0), 'setitem': (g_setitem, 0.8), 'inplace': (g_inplace, 0.5),
          'method': (g_method, 1.2), 'autograd': (g_autograd, 0.5)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ----------------------------------------------------------

def run_code(mx, c, arrays):
    """Run case ``c`` on the NumPy ``arrays`` (``x`` is the first, as an NDArray of its dtype):
    the result dict of the module docstring. The fuzzer's children, the regression tests and the
    fixture generator all run a case with it."""
    nd = mx.nd
    x = nd.array(arrays[0], dtype=arrays[0].dtype)
    if c['grad']:
        x.attach_grad()
    env = {'mx': mx, 'nd': nd, 'np': np, 'autograd': mx.autograd, 'x': x}
    exec(c['code'], env)
    out = env['out']
    got = []
    res = {'desc': np.array(_fuzz.structure(mx, out, got))}
    res.update(('out%d' % i, a) for i, a in enumerate(got))
    res['src'] = x.asnumpy()
    if c['grad']:
        res['grad'] = x.grad.asnumpy()
    if c['write']:
        targets = out if isinstance(out, (list, tuple)) else [out]
        try:
            for t in targets:
                t[:] = 7
            res['wsrc'] = x.asnumpy()
        except Exception as e:  # noqa: BLE001 -- a refused write is a result
            res['werror'] = _fuzz.error_result(e)['mro']
    return res


def run_case(mx, c, inputs):
    return run_code(mx, c, [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])])


# -- comparison --------------------------------------------------------------------------------------

def check(c, m, o):
    """``_fuzz.check_case`` with the error classes compared, those of the write through the
    result (``werror``) too: MXNet's class must be among ours."""
    m, o = dict(m), dict(o)
    mw, ow = str(m.pop('werror', '')), str(o.pop('werror', ''))
    kind, msg = _fuzz.check_case(m, o, error_class=True)
    if kind is None and (mw or ow) and (not mw or not ow or mw.split()[0] not in ow.split()):
        return 'diff', 'write through the result: mx %s | ours %s' % (
            mw.split()[0] if mw else 'ran', ow.split()[0] if ow else 'ran')
    return kind, msg


# MXNet 1.9.1's legacy NDArray holds no zero-size or 0-d results: an empty selection (x[3:1],
# x[5:]) or an operator on a zero-size or 0-d array raises (or asserts) there, with these messages.
MX_EMPTY = re.compile(r'Invalid range|Invalid slicing range|src_idx < dshape_len|'
                      r'inferred shape=\[[^\]]*\b0\b|operator attributes:|^AssertionError|'
                      r'target shape size is larger|Shape dim size cannot be a negative|'
                      r'^MXNetError: \w+ : ')
MIXED_DTYPE = re.compile(r'Incompatible attr in node.*expected u?(float|int)|requires uniform type')
# an advanced index (list, NumPy array, NDArray) holding a negative number
NEGATIVE_ADVANCED = re.compile(r'(\[|, )-\d')
# both raise, for two different faults of one case (a value of the wrong shape written through an
# index out of range, too many indices and arrays that do not broadcast...): the frameworks
# check in another order
TWO_FAULTS = re.compile(r'too many indices|could not be broadcast together with remapped|'
                        r'is out of bounds for axis')
# an overlapping write of x into itself: MXNet copies element by element, smearing (docs/PORTING.md)
SELF_OVERLAP = re.compile(r'^x\[(::-1|1:|:-1)\] = x\[?')


def _ties_only(c, m, o):
    """True when the results of an ``argsort`` / ``topk`` case differ only in the order of equal
    values (MXNet's sort is not stable on longer arrays): the indices select equal values."""
    mt = re.match(r'out = x\.(argsort|topk)\(axis=(None|-?\d+)', c['code'])
    if not mt or "ret_typ='mask'" in c['code'] or 'src' not in m:
        return False
    axis = None if mt.group(2) == 'None' else int(mt.group(2))
    src = m['src'].ravel() if axis is None else m['src']
    for k in m:
        if k.startswith('out') and k in o and m[k].shape == o[k].shape and \
                not np.array_equal(m[k], o[k]):
            try:
                picked = [np.take_along_axis(src, r[k].astype(np.int64),
                                             axis=-1 if axis is None else axis) for r in (m, o)]
            except (ValueError, IndexError):
                return False
            if not np.array_equal(*picked):
                return False
    return True


def _empty(shape):
    return len(shape) == 0 or 0 in shape


def known_tag(c, m, o, kind):
    """The tag of a documented difference, or None."""
    kinds = set(c.get('kinds', ()))
    code = c['code']
    if 'bool' in kinds:
        return 'bool-mask'       # docs/PORTING.md: a boolean NumPy mask selects, MXNet reads 1/0 indices
    merr, oerr = str(m.get('error', '')), str(o.get('error', ''))
    if merr.startswith('CRASH'):
        return 'mx-crash'        # MXNet aborts, segfaults or hangs; minigluon answers
    if MIXED_DTYPE.search(merr):
        return 'mixed-dtype'     # docs/PORTING.md: one operator, two dtypes: MXNet raises, minigluon promotes
    if any(_empty(s) for s in c['shapes']):
        # MXNet refuses zero-size and 0-d arrays, gets their shapes wrong (pad, T) and skips the
        # bounds check of an index into a zero-size axis, where minigluon raises IndexError
        return 'zero-size'
    if kind in ('mx-error-ours-ok', 'error-class') and MX_EMPTY.search(merr):
        return 'zero-size'       # an empty selection (x[3:1]): MXNet raises, minigluon is empty
    if kind == 'diff' and NEGATIVE_ADVANCED.search(code) and kinds & {'list', 'np', 'nd'}:
        # MXNet drops negative advanced indices when writing (x[[-1]] = v writes nothing) and in
        # the gradient of x[idx] (docs/PORTING.md); reading x[[-1]] works there
        return 'mx-negative-advanced'
    if kind == 'ours-error' and 'is out of bounds' in oerr and c['group'] == 'setitem':
        return 'mx-setitem-no-bounds-check'   # x[[5]] = v on 3 rows: MXNet writes somewhere
    if kind == 'error-class' and (TWO_FAULTS.search(merr) or TWO_FAULTS.search(oerr)):
        return 'two-faults'
    if kind == 'error-class' and c['group'] == 'autograd' and 'recorded' in oerr:
        return 'two-faults'      # a write refused while recording, whose value is also wrong
    if kind == 'diff' and 'None' in kinds and kinds & {'list', 'np', 'nd'} and \
            'desc' in m and 'desc' in o and sorted(str(m['desc'])) == sorted(str(o['desc'])):
        # x[[0, 1], None]: MXNet puts a new axis that follows the advanced index before the
        # index's axes, (1, 2, ...); NumPy and minigluon after them, (2, 1, ...)
        return 'none-after-advanced'
    if 'delay_alloc' in merr:
        return 'mx-internal'     # a check inside MXNet's engine fails, now and then
    if kind == 'diff' and _ties_only(c, m, o):
        return 'sort-ties'       # equal values in another order (MXNet's sort is not stable)
    if SELF_OVERLAP.search(code):
        return 'self-overlap'
    if kind == 'mx-error-ours-ok' and 'only supports 4-D or 5-D' in merr:
        return 'pad-any-rank'    # MXNet pads 4-D and 5-D arrays only
    if kind == 'mx-error-ours-ok' and 'does not support float16' in merr:
        return 'sort-float16'    # MXNet's CPU sort / argsort refuse float16
    if kind == 'mx-error-ours-ok' and 'Too many reduction axes' in merr:
        return 'mx-tile-rank'    # MXNet's tile fails past 5 internal axes
    if re.match(r'out = x\.norm\(', code) and c['dtypes'][0][0] in 'iu':
        return 'int-norm'        # docs/PORTING.md: MXNet's integer norm is the largest absolute value
    return None


def compare(casedir):
    """The report (``_fuzz.compare_cases``; both raising alike counts as equal)."""
    return _fuzz.compare_cases(casedir, check, known_tag, errors_equal=True)


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case, quiet=True), compare, n=300,
               timeout=30)


if __name__ == '__main__':
    main()
