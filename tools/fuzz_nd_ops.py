"""Differential fuzzer: random (seeded) ``mx.nd`` calls under MXNet 1.9.1 and under minigluon,
compared output by output (shape, dtype, values) and, for floating inputs, the gradient of
``sum(out * w)`` for a random ``w`` through autograd.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_nd_ops.py /tmp/fuzz-out --seed 1 [--groups unary,binary] [--n 100]
                                 [--timeout 90] [--mx-python /opt/mxvenv/bin/python]

writes ``cases.json`` (one case per call: ``code``, Python statements run with the inputs bound
as ``x0, x1...``, ``nd``, ``mx``, ``np`` and ``I`` (``nd._internal`` in MXNet, ``nd`` here) that set
``out``; ``wrt``, the differentiated inputs) and ``inputs.npz``, runs them with
``/opt/mxvenv/bin/python`` and ``python3`` (this file again, ``--backend``), one process per batch
with a timeout: after a crash or a hang the next process starts at the next case, and the case is
recorded as ``CRASH``. Results go to ``res/<backend>/<key>.npz``; the report (stdout) gives per
group the number of cases, compared, equal and rejected by MXNet, then each difference:
``diff`` (values, shape or dtype), ``ours-error`` (MXNet computes, minigluon raises) and
``mx-error-ours-ok`` (MXNet raises or crashes, minigluon computes).

Groups (``--n`` 100, the default, draws 300 unary cases, 450 shape cases...): unary, binary
(``broadcast_*`` / ``elemwise_*``), scalar (``_*_scalar``, ``nd.add(x, 2)``...), operators
(``a + 1``, ``1 - a``, ``a // b``, ``+=``...), reduce, shape, linalg, softmax, sequence, index
(``__getitem__`` / ``__setitem__``). The batching, crash/hang resume, comparison and command line
are ``tools/_fuzz.py``'s, shared by every fuzzer. Differences found and fixed go into the golden
fixtures through ``tools/gen_ops_fuzz_fixtures.py``.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case  # noqa: E402  (R: the case generator's RandomState)

FLOATS = ['float16', 'float32', 'float64']
INTS = ['int8', 'int32', 'int64', 'uint8']
ALL = FLOATS + INTS


def data(shape, dtype, kind='any'):
    """A random array; ``kind``: any, pos (> 0), unit (in (-1, 1)) or ge1 (> 1)."""
    shape = tuple(shape)
    if dtype == 'bool':
        return R.rand(*shape) > 0.5 if shape else np.array(R.rand() > 0.5)
    if np.dtype(dtype).kind == 'f':
        if kind == 'pos':
            a = R.uniform(0.2, 3, size=shape)
        elif kind == 'unit':
            a = R.uniform(-0.9, 0.9, size=shape)
        elif kind == 'ge1':
            a = R.uniform(1.1, 3, size=shape)
        else:
            a = R.standard_normal(shape) * 2
        return np.asarray(a).astype(dtype)
    lo = 0 if dtype == 'uint8' or kind == 'pos' else -6
    a = R.randint(lo, 7, size=shape)
    if kind == 'pos':
        a = a + 1
    return np.asarray(a).astype(dtype)


def add(group, code, inputs, wrt=(), path=None, args=(), attrs=None):
    """Record a case: ``code`` sets ``out`` from ``x0, x1...``; ``wrt`` keeps floating inputs."""
    add_case(group, code, inputs, wrt=[i for i in wrt if inputs[i].dtype.kind == 'f'], path=path,
             args=list(args), attrs=attrs or {})


def call(group, path, inputs, wrt=(0,), args=(), **attrs):
    """A case calling ``nd.<path>(*inputs, *args, **attrs)``."""
    parts = ['x%d' % i for i in range(len(inputs))] + [repr(a) for a in args]
    parts += ['%s=%r' % kv for kv in attrs.items()]
    add(group, 'out = nd.%s(%s)' % (path, ', '.join(parts)), inputs, wrt, path, args, attrs)


def shape(nd_=None, empty=False):
    """A random shape of ``nd_`` axes (1 to 3 by default), with a 0 axis when ``empty``."""
    n = R.randint(1, 4) if nd_ is None else nd_
    s = [int(R.choice([1, 2, 3, 4])) for _ in range(n)]
    if empty and n:
        s[R.randint(n)] = 0
    return tuple(s)


def bshapes():
    """Two broadcast-compatible shapes."""
    a = shape()
    b = list(a)
    for i in range(len(b)):
        r = R.rand()
        if r < 0.25:
            b[i] = 1
        elif r < 0.4:
            a = a[:i] + (1,) + a[i + 1:]
    if R.rand() < 0.3 and len(b) > 1:
        b = b[R.randint(1, len(b)):]
    if R.rand() < 0.5:
        a, b = tuple(b), a
    return tuple(a), tuple(b)


UNARY = {'abs': 'any', 'sign': 'any', 'round': 'any', 'rint': 'any', 'ceil': 'any', 'floor': 'any',
         'trunc': 'any', 'fix': 'any', 'square': 'any', 'sqrt': 'pos', 'rsqrt': 'pos', 'cbrt': 'any',
         'rcbrt': 'pos', 'exp': 'any', 'log': 'pos', 'log10': 'pos', 'log2': 'pos', 'log1p': 'pos',
         'expm1': 'any', 'sin': 'any', 'cos': 'any', 'tan': 'unit', 'arcsin': 'unit',
         'arccos': 'unit', 'arctan': 'any', 'sinh': 'any', 'cosh': 'any', 'tanh': 'any',
         'arcsinh': 'any', 'arccosh': 'ge1', 'arctanh': 'unit', 'degrees': 'any',
         'radians': 'any', 'sigmoid': 'any', 'relu': 'any', 'softsign': 'any',
         'reciprocal': 'pos', 'negative': 'any', 'gamma': 'pos', 'gammaln': 'pos', 'erf': 'any',
         'erfinv': 'unit', 'logical_not': 'any', 'ones_like': 'any', 'zeros_like': 'any',
         'identity': 'any', 'hard_sigmoid': 'any', 'size_array': 'any', 'shape_array': 'any',
         'stop_gradient': 'any', 'BlockGrad': 'any', 'make_loss': 'any', 'softmin': 'any',
         'Flatten': 'any', 'flatten': 'any'}
BINARY = ['add', 'sub', 'mul', 'div', 'mod', 'power', 'maximum', 'minimum', 'hypot', 'equal',
          'not_equal', 'greater', 'greater_equal', 'lesser', 'lesser_equal', 'logical_and',
          'logical_or', 'logical_xor']
SCALAR = ['_plus_scalar', '_minus_scalar', '_rminus_scalar', '_mul_scalar', '_div_scalar',
          '_rdiv_scalar', '_mod_scalar', '_rmod_scalar', '_power_scalar', '_rpower_scalar',
          '_maximum_scalar', '_minimum_scalar', '_hypot_scalar', '_equal_scalar',
          '_not_equal_scalar', '_greater_scalar', '_greater_equal_scalar', '_lesser_scalar',
          '_lesser_equal_scalar', '_logical_and_scalar', '_logical_or_scalar',
          '_logical_xor_scalar']
PYFUNCS = ['add', 'subtract', 'multiply', 'divide', 'modulo', 'power', 'maximum', 'minimum',
           'equal', 'not_equal', 'greater', 'greater_equal', 'lesser', 'lesser_equal',
           'logical_and', 'logical_or', 'logical_xor', 'true_divide']


def g_unary(n):
    for _ in range(n):
        op = R.choice(list(UNARY))
        dt = R.choice(ALL + ['bool'] if R.rand() < 0.1 else ALL)
        s = shape(empty=R.rand() < 0.05)
        call('unary', op, [data(s, dt, UNARY[op])])


def g_binary(n):
    for _ in range(n):
        op = R.choice(BINARY)
        a, b = bshapes()
        d1 = R.choice(ALL)
        d2 = d1 if R.rand() < 0.75 else R.choice(ALL)
        kind = 'pos' if op in ('div', 'mod', 'power') else 'any'
        x, y = data(a, d1, 'pos' if op == 'power' else 'any'), data(b, d2, kind)
        if op == 'power' and x.dtype.kind == 'f':
            y = data(b, d2, 'any')
        if R.rand() < 0.8:
            call('binary', 'broadcast_' + op, [x, y], wrt=(0, 1))
        else:
            if op in ('add', 'sub', 'mul', 'div'):
                call('binary', 'elemwise_' + op, [x, data(a, d2, kind)], wrt=(0, 1))


def scalar_value(dt):
    r = R.rand()
    if r < 0.3:
        return int(R.randint(-3, 4))
    if r < 0.6:
        return float(np.round(R.uniform(-3, 3), 2))
    if r < 0.8:
        return float(R.choice([0.5, 2.0, 1.5, -2.5, 3.0]))
    return int(R.randint(1, 4))


def g_scalar(n):
    for _ in range(n):
        dt = R.choice(ALL)
        s = shape()
        x = data(s, dt, 'pos' if R.rand() < 0.5 else 'any')
        v = scalar_value(dt)
        r = R.rand()
        if r < 0.4:
            op = R.choice(SCALAR)
            if op in ('_mod_scalar', '_div_scalar') and v == 0:
                v = 2
            add('scalar', 'out = I.%s(x0, scalar=%r)' % (op, v), [x], (0,))
        elif r < 0.8:
            op = R.choice(PYFUNCS)
            if R.rand() < 0.5:
                add('scalar', 'out = nd.%s(x0, %r)' % (op, v), [x], (0,))
            else:
                add('scalar', 'out = nd.%s(%r, x0)' % (op, v), [x], (0,))
        else:
            op = R.choice(PYFUNCS)
            a, b = bshapes()
            y = data(b, R.choice(ALL), 'pos')
            add('scalar', 'out = nd.%s(x0, x1)' % op, [data(a, dt), y], (0, 1))


OPERATORS = ['+', '-', '*', '/', '//', '%', '**', '==', '!=', '<', '<=', '>', '>=']


def g_operators(n):
    for _ in range(n):
        op = R.choice(OPERATORS)
        dt = R.choice(ALL + ['bool'] if R.rand() < 0.1 else ALL)
        s = shape()
        x = data(s, dt)
        r = R.rand()
        v = scalar_value(dt)
        if op in ('/', '//', '%') and v == 0:
            v = 3
        if r < 0.35:
            add('operator', 'out = x0 %s %r' % (op, v), [x], (0,))
        elif r < 0.6:
            xs = x if op not in ('/', '//', '%', '**') else data(s, dt, 'pos')
            add('operator', 'out = %r %s x0' % (v, op), [xs], (0,))
        elif r < 0.85:
            a, b = bshapes()
            d2 = dt if R.rand() < 0.7 else R.choice(ALL)
            y = data(b, d2, 'pos' if op in ('/', '//', '%', '**') else 'any')
            if op == '**':
                add('operator', 'out = x0 ** x1', [data(a, dt, 'pos'), data(b, d2)], (0, 1))
            else:
                add('operator', 'out = x0 %s x1' % op, [data(a, dt), y], (0, 1))
        else:
            iop = R.choice(['+=', '-=', '*=', '/=', '%=', '**='])
            add('operator', 'y = x0.copy()\ny %s %r\nout = y' % (iop, v if v != 0 else 2),
                [x if iop != '**=' else data(s, dt, 'pos')], ())


REDUCE = ['sum', 'mean', 'prod', 'max', 'min', 'nansum', 'nanprod', 'argmax', 'argmin', 'norm',
          'sum_axis', 'max_axis', 'min_axis', 'argmax_channel']


def axis_attr(ndim, allow_tuple=True):
    r = R.rand()
    if r < 0.15:
        return None
    if r < 0.6 or not allow_tuple:
        return int(R.randint(-ndim, ndim))
    k = R.randint(1, ndim + 1)
    ax = list(R.choice(ndim, k, replace=False))
    return tuple(int(a) - (ndim if R.rand() < 0.3 else 0) for a in ax)


def g_reduce(n):
    for _ in range(n):
        op = R.choice(REDUCE)
        dt = R.choice(ALL)
        s = shape(R.randint(1, 4), empty=R.rand() < 0.04)
        x = data(s, dt)
        if op in ('nansum', 'nanprod') and x.dtype.kind == 'f' and x.size:
            x.flat[R.randint(x.size)] = np.nan
        attrs = {}
        if op == 'argmax_channel':
            call('reduce', op, [x], wrt=())
            continue
        ax = axis_attr(len(s), allow_tuple=op not in ('argmax', 'argmin'))
        if ax is not None or R.rand() < 0.3:
            attrs['axis'] = ax
        if R.rand() < 0.5:
            attrs['keepdims'] = bool(R.rand() < 0.5)
        if op not in ('argmax', 'argmin', 'norm') and R.rand() < 0.25 and ax is not None:
            attrs['exclude'] = True
        if op == 'norm':
            attrs['ord'] = int(R.choice([1, 2]))
            if isinstance(ax, tuple) and len(ax) > 2:
                attrs['axis'] = ax[:2]
        wrt = (0,) if op not in ('argmax', 'argmin') else ()
        call('reduce', op, [x], wrt=wrt, **attrs)


def g_shape(n):
    for _ in range(n):
        kind = R.choice(['reshape', 'reshape_like', 'transpose', 'swapaxes', 'expand_dims',
                         'squeeze', 'flip', 'tile', 'repeat', 'pad', 'concat', 'stack',
                         'split', 'slice', 'slice_axis', 'slice_like', 'take', 'pick',
                         'gather_nd', 'scatter_nd', 'one_hot', 'where', 'clip', 'sort',
                         'argsort', 'topk', 'broadcast_to', 'broadcast_axis', 'broadcast_like',
                         'diag', 'depth_to_space', 'space_to_depth', 'reverse', 'split_v2'])
        dt = R.choice(ALL) if R.rand() < 0.3 else R.choice(FLOATS)
        if kind == 'reshape':
            x = data((2, 3, 4), dt)
            shp = [(0, -1), (-1, 0), (-2,), (0, -2), (-3, 0), (0, -3), (-4, 1, 2, -2),
                   (-4, -1, 2, -2), (2, -4, 3, -1, 0), (6, -1), (-1,), (0, 0, -1), (-3, -1),
                   (4, 0, -1), (2, -1, 2)][R.randint(15)]
            rev = bool(R.rand() < 0.3)
            attrs = {'shape': shp}
            if rev:
                attrs['reverse'] = True
            call('shape', 'reshape', [x], **attrs)
            if R.rand() < 0.3:
                add('shape', 'out = x0.reshape(%r)' % (shp,), [x], (0,))
        elif kind == 'reshape_like':
            x = data((2, 3, 4), dt)
            r = R.rand()
            if r < 0.5:
                call('shape', 'reshape_like', [x, data((6, 4), dt)], wrt=(0,))
            else:
                call('shape', 'reshape_like', [x, data((4, 6, 1), dt)], wrt=(0,), lhs_begin=1,
                     lhs_end=3, rhs_begin=0, rhs_end=2)
        elif kind == 'transpose':
            s = shape(R.randint(1, 5))
            axes = tuple(int(a) for a in R.permutation(len(s)))
            if R.rand() < 0.3:
                call('shape', 'transpose', [data(s, dt)])
            else:
                call('shape', 'transpose', [data(s, dt)], axes=axes)
        elif kind == 'swapaxes':
            s = shape(R.randint(1, 4))
            call('shape', 'swapaxes', [data(s, dt)], dim1=int(R.randint(-len(s), len(s))),
                 dim2=int(R.randint(-len(s), len(s))))
        elif kind == 'expand_dims':
            s = shape()
            call('shape', 'expand_dims', [data(s, dt)], axis=int(R.randint(-len(s) - 1, len(s) + 1)))
        elif kind == 'squeeze':
            s = tuple(int(R.choice([1, 1, 2, 3])) for _ in range(R.randint(1, 4)))
            ones = [i for i, v in enumerate(s) if v == 1]
            if ones and R.rand() < 0.6:
                call('shape', 'squeeze', [data(s, dt)], axis=int(R.choice(ones)) - (len(s) if R.rand() < 0.5 else 0))
            else:
                call('shape', 'squeeze', [data(s, dt)])
        elif kind in ('flip', 'reverse'):
            s = shape()
            call('shape', kind, [data(s, dt)], axis=axis_attr(len(s)) if R.rand() < 0.9 else 0)
        elif kind == 'tile':
            s = shape()
            reps = tuple(int(R.randint(1, 3)) for _ in range(R.randint(1, 4)))
            call('shape', 'tile', [data(s, dt)], reps=reps)
        elif kind == 'repeat':
            s = shape()
            attrs = {'repeats': int(R.randint(1, 4))}
            if R.rand() < 0.7:
                attrs['axis'] = int(R.randint(-len(s), len(s)))
            call('shape', 'repeat', [data(s, dt)], **attrs)
        elif kind == 'pad':
            s = (2, 2, 3, 3) if R.rand() < 0.7 else (1, 2, 2, 3, 2)
            mode = R.choice(['constant', 'edge', 'reflect'])
            pw = (0, 0, 0, 0) + tuple(int(R.randint(0, 3)) for _ in range(2 * (len(s) - 2)))
            attrs = {'mode': mode, 'pad_width': pw}
            if mode == 'constant' and R.rand() < 0.5:
                attrs['constant_value'] = 1.5
            call('shape', 'pad', [data(s, R.choice(FLOATS))], **attrs)
        elif kind in ('concat', 'stack'):
            s = shape(R.randint(1, 4))
            ax = int(R.randint(-len(s), len(s)))
            k = R.randint(1, 4)
            ins = []
            for _ in range(k):
                ss = list(s)
                if kind == 'concat':
                    ss[ax] = int(R.randint(1, 4))
                ins.append(data(ss, dt if R.rand() < 0.9 else R.choice(ALL)))
            if kind == 'concat':
                call('shape', kind, ins, wrt=tuple(range(k)), dim=ax)
            else:
                call('shape', kind, ins, wrt=tuple(range(k)), axis=ax)
        elif kind in ('split', 'split_v2'):
            s = shape(R.randint(1, 4))
            ax = int(R.randint(-len(s), len(s)))
            s = list(s)
            s[ax] = int(R.choice([2, 4, 6]))
            if kind == 'split':
                call('shape', 'split', [data(s, dt)], num_outputs=int(R.choice([1, 2])), axis=ax,
                     squeeze_axis=bool(R.rand() < 0.3 and s[ax] == 2))
            else:
                call('shape', 'split_v2', [data(s, dt)], args=((1,) if s[ax] > 1 else 1,), axis=ax)
        elif kind == 'slice':
            s = shape(R.randint(1, 4))
            b, e, st = [], [], []
            for d in s[:R.randint(1, len(s) + 1)]:
                step = int(R.choice([1, 1, 2, -1, -2])) if R.rand() < 0.5 else None
                bb = R.choice([None, 0, 1, -1, -d]) if d > 1 else R.choice([None, 0])
                ee = R.choice([None, d, -1, 1]) if d > 1 else None
                b.append(None if bb is None else int(bb))
                e.append(None if ee is None else int(ee))
                st.append(step)
            attrs = {'begin': tuple(b), 'end': tuple(e)}
            if any(v is not None for v in st):
                attrs['step'] = tuple(st)
            call('shape', 'slice', [data(s, dt)], **attrs)
        elif kind == 'slice_axis':
            s = shape()
            ax = int(R.randint(-len(s), len(s)))
            d = s[ax]
            call('shape', 'slice_axis', [data(s, dt)], axis=ax, begin=int(R.randint(-d, d)),
                 end=R.choice([None, d, -1 if d > 1 else None]))
        elif kind == 'slice_like':
            x = data((3, 4, 5), dt)
            y = data((2, 3, 4), dt)
            attrs = {}
            if R.rand() < 0.6:
                attrs['axes'] = tuple(int(a) for a in R.choice([0, 1, -1, 2], R.randint(1, 3), replace=False))
            call('shape', 'slice_like', [x, y], wrt=(0,), **attrs)
        elif kind == 'take':
            s = shape(R.randint(1, 4))
            ax = int(R.randint(-len(s), len(s)))
            idx = R.randint(-s[ax] - 2, s[ax] + 2, size=shape(R.randint(1, 3))).astype(R.choice(['float32', 'int32', 'int64']))
            call('shape', 'take', [data(s, dt), idx], wrt=(0,), axis=ax,
                 mode=R.choice(['clip', 'wrap']))
        elif kind == 'pick':
            s = shape(R.randint(2, 4))
            ax = int(R.randint(-len(s), len(s)))
            ishape = list(s)
            del ishape[ax]
            idx = R.randint(0, s[ax], size=ishape).astype(R.choice(['float32', 'int32']))
            call('shape', 'pick', [data(s, dt), idx], wrt=(0,), axis=ax,
                 keepdims=bool(R.rand() < 0.5), mode=R.choice(['clip', 'wrap']))
        elif kind == 'gather_nd':
            s = shape(R.randint(2, 4))
            m = R.randint(1, len(s) + 1)
            idx = np.stack([R.randint(0, s[i], size=(3,)) for i in range(m)]).astype(R.choice(['int32', 'float32', 'int64']))
            call('shape', 'gather_nd', [data(s, dt), idx], wrt=(0,))
        elif kind == 'scatter_nd':
            s = (3, 4)
            idx = np.array([[0, 2, 1], [1, 3, 0]], dtype=R.choice(['int32', 'float32', 'int64']))
            call('shape', 'scatter_nd', [data((3,), dt), idx], wrt=(0,), shape=s)
        elif kind == 'one_hot':
            idx = R.randint(-1, 5, size=shape(R.randint(1, 3))).astype(R.choice(['float32', 'int32']))
            attrs = {'depth': 4}
            if R.rand() < 0.5:
                attrs['on_value'] = 2.5
                attrs['off_value'] = -1.0
            if R.rand() < 0.5:
                attrs['dtype'] = str(R.choice(['int32', 'float16', 'uint8', 'int64', 'float64']))
            call('shape', 'one_hot', [idx], wrt=(), **attrs)
        elif kind == 'where':
            s = shape()
            r = R.rand()
            cond = data(s, R.choice(['float32', 'int32']))
            if r < 0.6:
                call('shape', 'where', [cond, data(s, dt), data(s, dt)], wrt=(1, 2))
            else:
                c1 = data(s[:1], 'float32')
                call('shape', 'where', [c1, data(s, dt), data(s, dt)], wrt=(1, 2))
        elif kind == 'clip':
            s = shape()
            lo = float(R.choice([-1, -0.5, 0]))
            call('shape', 'clip', [data(s, dt)], a_min=lo, a_max=float(R.choice([0.5, 1, 2])))
        elif kind in ('sort', 'argsort', 'topk'):
            s = shape(R.randint(1, 4))
            x = data(s, dt)
            attrs = {}
            if R.rand() < 0.85:
                attrs['axis'] = int(R.randint(-len(s), len(s)))
            elif R.rand() < 0.5:
                attrs['axis'] = None
            if R.rand() < 0.5:
                attrs['is_ascend'] = bool(R.rand() < 0.5)
            if kind == 'topk':
                ax = attrs.get('axis', -1)
                d = x.size if ax is None else s[ax]
                attrs['k'] = int(R.randint(0 if R.rand() < 0.1 else 1, d + 1))
                attrs['ret_typ'] = str(R.choice(['value', 'indices', 'mask', 'both']))
            if kind != 'sort' and R.rand() < 0.4:
                attrs['dtype'] = str(R.choice(['int32', 'float16', 'int64', 'float64']))
            wrt = (0,) if kind == 'sort' or (kind == 'topk' and attrs['ret_typ'] in ('value', 'both')) else ()
            call('shape', kind, [x], wrt=wrt, **attrs)
        elif kind == 'broadcast_to':
            call('shape', 'broadcast_to', [data((1, 3, 1), dt)], shape=(2, 3, 4) if R.rand() < 0.5 else (0, 3, 2))
        elif kind == 'broadcast_axis':
            call('shape', 'broadcast_axis', [data((1, 3, 1), dt)], axis=(0, -1), size=(2, 3))
        elif kind == 'broadcast_like':
            attrs = {}
            if R.rand() < 0.5:
                attrs = {'lhs_axes': (0,), 'rhs_axes': (-1,)}
            call('shape', 'broadcast_like', [data((1, 3, 1), dt), data((2, 3, 4), dt)], wrt=(0,), **attrs)
        elif kind == 'diag':
            s = shape(R.randint(1, 4))
            attrs = {}
            if R.rand() < 0.5:
                attrs['k'] = int(R.randint(-2, 3))
            if len(s) > 2 and R.rand() < 0.5:
                attrs['axis1'], attrs['axis2'] = -1, 0
            call('shape', 'diag', [data(s, dt)], **attrs)
        elif kind in ('depth_to_space', 'space_to_depth'):
            if kind == 'depth_to_space':
                call('shape', kind, [data((1, 8, 2, 3), dt)], block_size=2)
            else:
                call('shape', kind, [data((1, 2, 4, 6), dt)], block_size=2)


def g_linalg(n):
    for _ in range(n):
        kind = R.choice(['dot', 'batch_dot', 'gemm', 'gemm2', 'potrf', 'trsm', 'trmm', 'syrk',
                         'sumlogdiag', 'inverse', 'det', 'slogdet', 'potri', 'extractdiag',
                         'makediag', 'gelqf', 'syevd', 'extracttrian', 'maketrian'])
        dt = R.choice(['float32', 'float64']) if R.rand() < 0.85 else R.choice(['float16', 'int32'])
        ta, tb = bool(R.rand() < 0.4), bool(R.rand() < 0.4)
        if kind == 'dot':
            if R.rand() < 0.7:
                a, b = (3, 4), (4, 2)
            else:
                a, b = (2, 3, 4), (4, 5)
            if R.rand() < 0.1:
                a, b = (4,), (4,)
            A = data(a[::-1] if ta and len(a) == 2 else a, dt)
            B = data(b[::-1] if tb and len(b) == 2 else b, dt)
            call('linalg', 'dot', [A, B], wrt=(0, 1), transpose_a=ta and len(a) == 2, transpose_b=tb and len(b) == 2)
        elif kind == 'batch_dot':
            A = data((2, 4, 3) if ta else (2, 3, 4), dt)
            B = data((2, 5, 4) if tb else (2, 4, 5), dt)
            call('linalg', 'batch_dot', [A, B], wrt=(0, 1), transpose_a=ta, transpose_b=tb)
        elif kind in ('gemm', 'gemm2'):
            bshape = (2,) if R.rand() < 0.5 else ()
            A = data(bshape + ((4, 3) if ta else (3, 4)), dt)
            B = data(bshape + ((5, 4) if tb else (4, 5)), dt)
            attrs = dict(transpose_a=ta, transpose_b=tb, alpha=float(R.choice([1.0, 0.5, -2.0])))
            if R.rand() < 0.3 and bshape:
                attrs['axis'] = -3
            if kind == 'gemm':
                attrs['beta'] = float(R.choice([1.0, 0.0, 2.0]))
                call('linalg', 'linalg.gemm', [A, B, data(bshape + (3, 5), dt)], wrt=(0, 1, 2), **attrs)
            else:
                call('linalg', 'linalg.gemm2', [A, B], wrt=(0, 1), **attrs)
        else:
            bshape = (2,) if R.rand() < 0.5 else ()
            m = R.randint(1, 4)
            M = R.standard_normal(bshape + (m, m))
            spd = (M @ np.swapaxes(M, -1, -2) + m * np.eye(m)).astype(dt)
            low = np.tril(R.standard_normal(bshape + (m, m)) + 3 * np.eye(m)).astype(dt)
            lower = bool(R.rand() < 0.7)
            if kind == 'potrf':
                call('linalg', 'linalg.potrf', [spd])
            elif kind == 'potri':
                call('linalg', 'linalg.potri', [low])
            elif kind in ('trsm', 'trmm'):
                tri = low if lower else np.swapaxes(low, -1, -2).copy()
                rightside = bool(R.rand() < 0.4)
                B = data(bshape + ((2, m) if rightside else (m, 2)), dt)
                call('linalg', 'linalg.' + kind, [tri, B], wrt=(0, 1), transpose=ta,
                     rightside=rightside, lower=lower, alpha=float(R.choice([1.0, -0.5])))
            elif kind == 'syrk':
                call('linalg', 'linalg.syrk', [data(bshape + (m, 3), dt)], transpose=ta, alpha=1.5)
            elif kind == 'sumlogdiag':
                call('linalg', 'linalg.sumlogdiag', [spd])
            elif kind in ('inverse', 'det', 'slogdet'):
                call('linalg', 'linalg.' + kind, [spd])
            elif kind == 'extractdiag':
                call('linalg', 'linalg.extractdiag', [data(bshape + (m, m), dt)], offset=int(R.randint(-m + 1, m)) if m > 1 else 0)
            elif kind == 'makediag':
                call('linalg', 'linalg.makediag', [data(bshape + (m,), dt)], offset=int(R.randint(-1, 2)))
            elif kind == 'extracttrian':
                call('linalg', 'linalg.extracttrian', [data(bshape + (m, m), dt)], lower=lower,
                     offset=int(R.randint(-m + 1, m)) if m > 1 else 0)
            elif kind == 'maketrian':
                call('linalg', 'linalg.maketrian', [data(bshape + (m * (m + 1) // 2,), dt)], lower=lower)
            elif kind == 'gelqf':
                call('linalg', 'linalg.gelqf', [data(bshape + (m, m + 1), dt)], wrt=())
            elif kind == 'syevd':
                call('linalg', 'linalg.syevd', [spd], wrt=())


def g_softmax(n):
    for _ in range(n):
        op = R.choice(['softmax', 'log_softmax', 'softmin'])
        s = shape(R.randint(1, 4))
        dt = R.choice(FLOATS)
        attrs = {}
        ax = int(R.randint(-len(s), len(s)))
        if R.rand() < 0.8:
            attrs['axis'] = ax
        else:
            ax = -1
        if R.rand() < 0.5:
            attrs['temperature'] = float(R.choice([0.5, 2.0, 1.0]))
        if R.rand() < 0.3:
            attrs['dtype'] = str(R.choice(FLOATS))
        ins = [data(s, dt)]
        if op != 'softmin' and R.rand() < 0.35 and len(s) >= 2:
            ls = list(s)
            del ls[ax]
            ins.append(R.randint(1, s[ax] + 1, size=ls).astype(R.choice(['int32', 'int64'])))
            attrs['use_length'] = True
        call('softmax', op, ins, wrt=(0,), **attrs)


def g_sequence(n):
    for _ in range(n):
        op = R.choice(['SequenceMask', 'SequenceLast', 'SequenceReverse'])
        T, B = int(R.randint(1, 5)), int(R.randint(1, 4))
        axis = int(R.choice([0, 1])) if op != 'SequenceReverse' else 0
        s = (T, B, 2) if axis == 0 else (B, T, 2)
        dt = R.choice(FLOATS)
        attrs = {}
        if axis:
            attrs['axis'] = axis
        ins = [data(s, dt)]
        if R.rand() < 0.7:
            ins.append(R.randint(1, T + 1, size=(B,)).astype(R.choice(['float32', 'int32'])))
            attrs['use_sequence_length'] = True
        if op == 'SequenceMask' and R.rand() < 0.5:
            attrs['value'] = -1.5
        call('sequence', op, ins, wrt=(0,), **attrs)


def g_index(n):
    for _ in range(n):
        s = shape(R.randint(1, 4))
        dt = R.choice(ALL)
        x = data(s, dt)
        r = R.rand()
        if r < 0.35:
            key = []
            for d in s[:R.randint(1, len(s) + 1)]:
                key.append(R.choice(['int', 'slice', 'list']))
            parts = []
            for k, d in zip(key, s):
                if k == 'int':
                    parts.append(str(int(R.randint(-d, d))))
                elif k == 'slice':
                    parts.append(R.choice(['::-1', '1:', ':-1', '::2', ':']))
                else:
                    parts.append(repr([int(v) for v in R.randint(-d, d, size=2)]))
            add('index', 'out = x0[%s]' % ', '.join(parts), [x], (0,))
        elif r < 0.5:
            idx = R.randint(0, s[0], size=(2, 2)).astype(R.choice(['int32', 'int64', 'float32']))
            add('index', 'out = x0[x1]', [x, idx], (0,))
        elif r < 0.6:
            add('index', 'out = x0[None, ..., 0]', [x], (0,))
        else:
            # __setitem__ broadcasting
            v = R.rand()
            if v < 0.3:
                add('index', 'y = x0.copy()\ny[0] = %r\nout = y' % scalar_value(dt), [x], ())
            elif v < 0.6:
                sub = s[1:]
                add('index', 'y = x0.copy()\ny[:] = x1\nout = y', [x, data(sub[-1:] if sub else (1,), R.choice(ALL))], ())
            elif v < 0.8:
                add('index', 'y = x0.copy()\ny[%s] = x1\nout = y' % repr([0, s[0] - 1]),
                    [x, data((1,) + s[1:], dt)], ())
            else:
                add('index', 'y = x0.copy()\ny[..., -1:] = x1\nout = y', [x, data((1,), R.choice(FLOATS))], ())


# group -> (generator, size): ``--n 100`` (the default) draws 300 unary cases...
GROUPS = {'unary': (g_unary, 3.0), 'binary': (g_binary, 3.0), 'scalar': (g_scalar, 3.0),
          'operators': (g_operators, 3.0), 'reduce': (g_reduce, 3.0), 'shape': (g_shape, 4.5),
          'linalg': (g_linalg, 1.5), 'softmax': (g_softmax, 1.0), 'sequence': (g_sequence, 0.8),
          'index': (g_index, 2.0)}


def generate(out, seed, n=100, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ----------------------------------------------------------

def run_case(mx, c, inputs):
    """Run case ``c``: its outputs ``out<j>`` and, with ``wrt``, the input gradients ``grad<i>``
    of ``sum(out * w)`` for a random ``w``."""
    nd = mx.nd
    xs = [nd.array(a, dtype=a.dtype) for a in
          (inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in']))]
    res = {}
    wrt = c.get('wrt', [])
    for i in wrt:
        xs[i].attach_grad()
    env = {'nd': nd, 'mx': mx, 'np': np, 'I': getattr(nd, '_internal', nd)}
    env.update({'x%d' % i: x for i, x in enumerate(xs)})
    if wrt:
        with mx.autograd.record():
            exec(c['code'], env)
    else:
        exec(c['code'], env)
    out = env['out']
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    for j, o in enumerate(outs):
        res['out%d' % j] = o.asnumpy()
    if wrt:
        rng = np.random.RandomState(int(c['key'][1:]))
        heads = [rng.standard_normal(o.shape).astype(
            o.dtype if np.dtype(o.dtype).kind == 'f' else np.float32) for o in outs]
        mx.autograd.backward(outs, [nd.array(h, dtype=h.dtype) for h in heads])
        for i in wrt:
            res['grad%d' % i] = xs[i].grad.asnumpy()
    return res


def main():
    _fuzz.main(__doc__, __file__, generate, _fuzz.child(run_case), _fuzz.compare_outputs,
               n=100, timeout=90)


if __name__ == '__main__':
    main()
