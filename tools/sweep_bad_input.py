"""Bad-input sweep of the operator surface: every registered operator, called with systematically
bad arguments derived from its declared inputs and attributes, and each outcome classified.

Not part of the test suite. Usage, from the repository root::

    python3 tools/sweep_bad_input.py [--ops Convolution,py:nd.arange] [--out /tmp/sweep]
                                     [--timeout 10] [--oracle /opt/mxvenv/bin/python]

For each operator class of the registry (one call path each: its public name, else
``nd.contrib.X`` / ``nd.linalg.X`` / ``nd.image.X``, else ``I._name``, where ``I`` is
``nd._internal`` in MXNet and ``nd`` here) the sweep first looks for a *baseline*: a valid call,
trying a few data shapes with the other inputs' shapes from the operator's own shape rule and the
required attributes filled from a table (:data:`FILL`; :data:`KNOWN` for operators whose inputs
it cannot guess). It then changes one thing at a time (:func:`mutations`): an input missing or
``None``; the first input a Python list, a NumPy array or a number; an unknown keyword; a required
attribute left out; each input of rank 0, 1 or one more, size 0, of a mismatched shape, or holding
99, -5 or NaN; all inputs int32 or bool; each attribute given a string, a fraction, ``None``,
NaN, a negative value or a 0 entry (sizes), an unknown enum value, an axis out of range, a kernel
larger than the data. The Python functions of the namespaces (:data:`PY_FUNCS`: ``nd.add``,
``nd.arange``, ``nd.random.uniform``...) get the few generic changes of :data:`PY_CASES`. Each
outcome is one of

* ``ok``: the call worked where the input may be valid (a broadcast, an int dtype...);
* ``clean``: an ``MXNetError`` raised by minigluon's own code (innermost frame in ``minigluon/``)
  whose message names the operator or the argument, in minigluon's words;
* ``named``: NumPy's error from deep inside, re-worded by ``invoke`` to name the operator and its
  inputs (an ``MXNetError``, but its text is NumPy's: "operands could not be broadcast...");
* ``bad``: any other exception (an ``AxisError``, ``ZeroDivisionError``, a numba typing error,
  not an ``MXNetError``, a message naming neither operator nor argument, or Python's own wording
  from inside minigluon, :data:`INTERNAL`: "tuple index out of range"...);
* ``silent``: the call worked although the input is invalid (a negative kernel, an axis out of
  range, a list where an array is expected...);
* ``hang`` / ``crash``: no answer within ``--timeout`` seconds, or the worker process died.

Calls run in a worker process (``--worker``) that the parent restarts after a crash or a hang,
at the next case; every result goes to ``OUT.json``. The report prints a table per class, then
every ``bad`` / ``silent`` / ``hang`` / ``crash`` case and every ``named`` one with its code,
self-contained: ``A(shape, dtype, value)`` is an NDArray of values in (0.1, 1) (or of ``value``;
``'spd'``: positive definite matrices), ``L`` a nested list and ``N`` a NumPy array of that shape.
``--oracle PYTHON`` runs those cases, the ``ok`` ones and each operator's baseline again under
MXNet 1.9.1, tags each case with what MXNet does (raises, computes or crashes) and lists the calls
that work here and that MXNet refuses (where MXNet computes the baseline; 0-d, size-0 and bool
arrays, which minigluon supports by design, counted apart).
"""
import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# -- the cases ---------------------------------------------------------------------------------------

# Required attributes: a valid value by name (a callable takes the data rank).
FILL = {
    'N': 2, 'axis': 1, 'begin': (0,), 'end': (1,), 'block_size': 2, 'depth': 3, 'heads': 1,
    'height': 2, 'width': 2, 'high': 5, 'low': 0, 'input_dim': 3, 'output_dim': 2, 'nsize': 3,
    'num': 2, 'num_filter': 2, 'num_hidden': 2, 'num_layers': 1, 'num_out_data': 1,
    'num_outputs': 1, 'repeats': 2, 'scale': 2, 'state_size': 2, 't': 1, 'x': 0, 'y': 0,
    'indices': (1,), 'kernel': lambda r: (2,) * max(r - 2, 1), 'output_size': (2, 2),
    'pad_width': lambda r: (0, 0, 0, 0) + (1, 1) * max(r - 2, 0), 'pooled_size': (2, 2),
    'reps': (2,), 'shape': (2, 3), 'brightness': 0.5, 'contrast': 0.5, 'eta': 0.5, 'hue': 0.5,
    'lr': 0.1, 'wd': 0.0, 'max_factor': 1.5, 'min_factor': 0.5, 'saturation': 0.5,
    'spatial_scale': 1.0, 'value': 1.0, 'a_max': 1, 'a_min': 0, 'start': 0, 'stop': 3,
    'act_type': 'relu', 'key': 'x', 'dtype': 'float32', 'alpha': (1.0,), 'sample_type': 'nearest',
    'mode': None, 'sampler_type': 'bilinear', 'transform_type': 'affine',
}
# Attributes for which a negative (or zero) value is never valid.
SIZES = {'kernel', 'stride', 'dilate', 'num_filter', 'num_hidden', 'num_group', 'num_groups',
         'input_dim', 'output_dim', 'depth', 'state_size', 'num_layers', 'num_outputs',
         'repeats', 'block_size', 'pooled_size', 'output_size', 'reps', 'heads', 'nsize',
         'projection_size', 'sections', 'num_args', 'bin_cnt'}
AXES = {'axis', 'axes', 'dim', 'dim1', 'dim2', 'axis1', 'axis2'}
SHAPES = [(2, 3, 4, 5), (2, 3, 4), (2, 3), (4,), (2, 3, 4, 5, 6), (1, 3, 4, 4), ()]
# Valid calls for operators whose inputs the generic search cannot guess: input shapes (float32
# unless given as (shape, dtype)) and attributes.
KNOWN = {
    'BilinearSampler': ([(2, 3, 4, 5), (2, 2, 3, 3)], {}),
    'CTCLoss': ([(5, 2, 4), ((2, 3), 'float32', 1)], {}),
    'GridGenerator': ([(2, 6)], {'transform_type': 'affine', 'target_shape': (3, 3)}),
    'ROIPooling': ([(2, 3, 4, 5), (3, 5)], {'pooled_size': (2, 2), 'spatial_scale': 1.0}),
    '_contrib_ROIAlign': ([(2, 3, 4, 5), (3, 5)], {'pooled_size': (2, 2), 'spatial_scale': 1.0}),
    'Reshape': ([(2, 3, 4, 5)], {'shape': (6, -1)}),
    'SpatialTransformer': ([(2, 3, 4, 5), (2, 6)], {'transform_type': 'affine',
                                                     'sampler_type': 'bilinear',
                                                     'target_shape': (3, 3)}),
    '_contrib_MultiBoxTarget': ([(1, 4, 4), (2, 3, 5), (2, 3, 4)], {}),
    '_contrib_box_encode': ([(2, 4), (2, 4), (2, 4, 4), (2, 3, 4), (4,), (4,)], {}),
    '_contrib_interleaved_matmul_encdec_qk': ([(3, 2, 4), (5, 2, 8)], {'heads': 2}),
    '_contrib_interleaved_matmul_encdec_valatt': ([(5, 2, 8), (4, 3, 5)], {'heads': 2}),
    '_contrib_interleaved_matmul_selfatt_qk': ([(3, 2, 12)], {'heads': 2}),
    '_contrib_interleaved_matmul_selfatt_valatt': ([(3, 2, 12), (4, 3, 3)], {'heads': 2}),
    '_histogram': ([(2, 3), (4,)], {}),
    '_image_adjust_lighting': ([(4, 5, 3)], {'alpha': (0.1, 0.1, 0.1)}),
    '_image_random_brightness': ([(4, 5, 3)], {'min_factor': 0.5, 'max_factor': 1.5}),
    '_image_random_contrast': ([(4, 5, 3)], {'min_factor': 0.5, 'max_factor': 1.5}),
    '_image_random_saturation': ([(4, 5, 3)], {'min_factor': 0.5, 'max_factor': 1.5}),
    '_image_random_hue': ([(4, 5, 3)], {'min_factor': 0.5, 'max_factor': 1.5}),
    '_image_random_color_jitter': ([(4, 5, 3)], {'brightness': 0.5, 'contrast': 0.5,
                                                 'saturation': 0.5, 'hue': 0.5}),
    '_image_random_lighting': ([(4, 5, 3)], {}),
    '_image_resize': ([(4, 5, 3)], {'size': (3, 2)}),
    '_linalg_potrf': ([((2, 3, 3), 'float32', 'spd')], {}),
    'batch_take': ([(2, 3), (2,)], {}),
    'col2im': ([(2, 12, 1)], {'output_size': (2, 2), 'kernel': (2, 2)}),
    'depth_to_space': ([(2, 8, 4, 5)], {'block_size': 2}),
    'fill_element_0index': ([(2, 3), (2,), (2,)], {}),
    'moments': ([(2, 3, 4, 5)], {'axes': (1,)}),
    'mp_lamb_update_phase1': ([((2, 3), 'float16')] * 4 + [(2, 3)], {'t': 1, 'wd': 0.0}),
    'pick': ([(2, 3, 4, 5), (2, 3, 4)], {}),
    'scatter_nd': ([(2,), (2, 2)], {'shape': (2, 3)}),
    'slice_axis': ([(2, 3, 4, 5)], {'axis': 1, 'begin': 0, 'end': 2}),
}
# The Python functions of the namespaces that take arrays or numbers (not generated from the
# registry), each called with the few generic changes of PY_CASES.
PY_FUNCS = ['nd.%s' % n for n in (
    'add subtract multiply divide true_divide modulo power maximum minimum equal not_equal '
    'greater greater_equal lesser lesser_equal logical_and logical_or logical_xor moveaxis '
    'split_v2 histogram concatenate onehot_encode ones_like zeros_like array empty zeros ones '
    'full arange linspace eye from_numpy').split()] + ['nd.random.%s' % n for n in (
        'uniform normal randn randint exponential gamma poisson negative_binomial '
        'generalized_negative_binomial multinomial shuffle uniform_like normal_like').split()] + [
    'nd.contrib.%s' % n for n in 'isfinite isinf isnan rand_zipfian'.split()]
PY_CASES = [('no arguments', [], {}, False), ('None', [None], {}, False),
            ('a list', [[0.5, 0.5]], {}, False), ('a string', ['abc'], {}, False),
            ('None, None', [None, None], {}, False),
            ('mismatched arrays', [('A', (2, 3), 'float32'), ('A', (4, 5), 'float32')], {}, False),
            ('unknown keyword', [('A', (2, 3), 'float32')], {'foo_bar': 1}, True)]
SKIP = {'_cond', '_foreach', '_while_loop', 'Custom'}     # subgraph operators, Custom's op_type
# Size attributes that the operator does not read with the baseline's other attributes, so that a
# negative or 0 value is no error: UpSampling's num_filter sizes the bilinear kernel only (MXNet
# 1.9.1 computes nearest upsampling with num_filter=-3 too, and gives the same values).
UNUSED = {('UpSampling', 'num_filter'): lambda attrs: attrs.get('sample_type') == 'nearest'}


def unused(op_name, key, attrs):
    """Whether attribute ``key`` of operator ``op_name`` is ignored given ``attrs`` (UNUSED)."""
    rule = UNUSED.get((op_name, key))
    return rule is not None and rule(attrs)


def call_path(name, aliases):
    """The public path of an operator (code, as written in a case)."""
    for n in (name,) + tuple(aliases):
        if not n.startswith('_'):
            return 'nd.' + n
    for prefix, ns in (('_contrib_', 'contrib'), ('_linalg_', 'linalg'), ('_image_', 'image')):
        for n in (name,) + tuple(aliases):
            if n.startswith(prefix):
                return 'nd.%s.%s' % (ns, n[len(prefix):])
    return 'I.' + name


def arg_code(spec):
    """Code of one argument: ``('A', shape, dtype)``, ``('L', shape)``, ``('N', shape)``, a
    number or None."""
    if isinstance(spec, tuple) and spec and spec[0] in ('A', 'L', 'N'):
        return '%s(%s)' % (spec[0], ', '.join(repr(s) for s in spec[1:]))
    return repr(spec)


def case_code(path, inputs, attrs):
    parts = [arg_code(s) for s in inputs] + ['%s=%r' % kv for kv in attrs.items()]
    return 'out = %s(%s)' % (path, ', '.join(parts))


def filler(key, rank):
    """FILL's value of attribute ``key`` for data of rank ``rank``."""
    v = FILL[key]
    return v(rank) if callable(v) else v


def filled_attrs(cls, rank):
    """Required attributes filled from FILL (None when one has no entry)."""
    attrs = {}
    for k, a in cls.attrs.items():
        if not a.required or (cls.arguments is None and k == 'num_args'):
            continue
        if k not in FILL:
            return None
        v = filler(k, rank)
        if v is None:
            v = a.choices[0] if a.choices else 'x'
        if a.choices and v not in a.choices:
            v = a.choices[0]
        attrs[k] = v
    return attrs


def baselines(cls):
    """Candidate valid calls: ``(inputs, attrs)``, inputs as ``('A', shape, 'float32')``."""
    if cls.name in KNOWN:
        shapes, attrs = KNOWN[cls.name]
        return [([('A',) + (tuple(s) if isinstance(s[0], tuple) else (s, 'float32')) for s in shapes],
                 attrs)]
    out = []
    for shape in SHAPES:
        attrs = filled_attrs(cls, len(shape))
        if attrs is None:
            return out
        if cls.arguments is None:
            out.append(([('A', shape, 'float32')] * 2, attrs))
            continue
        try:
            op = cls(**attrs)
        except Exception:    # noqa: BLE001 -- needs an optional attribute (Pooling's kernel)?
            attrs = dict(attrs, **{k: filler(k, len(shape)) for k, a in cls.attrs.items()
                                   if k in FILL and not a.required and not a.default})
            try:
                op = cls(**attrs)
            except Exception:    # noqa: BLE001 -- a filler the operator refuses: no baseline
                continue
        names = op.list_arguments()
        if not names:
            out.append(([], attrs))
            break
        out.append(([('A', shape, 'float32')] * len(names), attrs))
        try:
            shapes, _ = op.infer_shape([shape] + [None] * (len(names) - 1))
            out.append(([('A', tuple(s), 'float32') for s in shapes], attrs))
        except Exception:    # noqa: BLE001 -- the rule needs every input: the first try only
            pass
    return out


def _with(inputs, i, spec):
    return inputs[:i] + [spec] + inputs[i + 1:]


def mutations(cls, inputs, attrs):
    """``(label, inputs, attrs, must_fail)`` for each one-thing change of a valid call."""
    out = []
    add = lambda label, i, a, must: out.append((label, list(i), dict(a), must))  # noqa: E731
    if inputs:
        add('input missing', inputs[:-1], attrs, cls.arguments is not None)
        add('int32', [('A', s[1], 'int32') for s in inputs], attrs, False)
        add('bool', [('A', s[1], 'bool') for s in inputs], attrs, False)
    names = list(getattr(cls, 'arguments', None) or ['arg%d' % i for i in range(len(inputs))])
    for i, (spec, name) in enumerate(zip(inputs, names)):
        shape, dtype = spec[1], spec[2]
        add('%s None' % name, _with(inputs, i, None), attrs, True)
        if i == 0:
            add('%s list' % name, _with(inputs, i, ('L', shape)), attrs, True)
            add('%s numpy' % name, _with(inputs, i, ('N', shape)), attrs, True)
            add('%s number' % name, _with(inputs, i, 1.5), attrs, True)
        for label, new in (('rank 0', ()), ('rank 1', (3,)), ('rank +1', tuple(shape) + (2,)),
                           ('zero-size', (0,) + tuple(shape[1:]) if shape else None),
                           ('mismatched shape', tuple(shape[:-1]) + (shape[-1] + 2,)
                            if shape and i else None)):
            if new is not None and new != tuple(shape):
                add('%s %s' % (name, label), _with(inputs, i, ('A', new, dtype)), attrs, False)
        for label, value in (('values 99', 99), ('values -5', -5), ('values nan', float('nan'))):
            add('%s %s' % (name, label), _with(inputs, i, ('A', shape, dtype, value)), attrs, False)
    add('unknown keyword', inputs, dict(attrs, foo_bar=1), True)
    for k in attrs:
        a = dict(attrs)
        del a[k]
        add('required %s missing' % k, inputs, a, True)
    for k, spec in cls.attrs.items():
        if k == 'num_args' and cls.arguments is None:
            continue
        kind = spec.kind
        given = lambda v: dict(attrs, **{k: v})  # noqa: E731
        if kind in ('int', 'float', 'number', 'shape', 'floats', 'bool'):
            add('%s=string' % k, inputs, given('abc'), True)
        if not spec.optional:
            add('%s=None' % k, inputs, given(None), True)
        if kind in ('int', 'shape'):
            add('%s=1.5' % k, inputs, given(1.5), True)
        if kind == 'float':
            add('%s=nan' % k, inputs, given(float('nan')), False)
        if kind == 'int':
            size = k in SIZES and not unused(cls.name, k, attrs)
            add('%s negative' % k, inputs, given(-3), size)
            if size:     # size 0 is valid where the result is merely empty
                add('%s=0' % k, inputs, given(0), k not in ('num_layers', 'sections', 'depth',
                                                            'repeats'))
        if kind == 'shape' and k not in AXES:
            base = attrs.get(k, spec.default)
            n = len(base) if isinstance(base, tuple) and base else 2
            add('%s negative' % k, inputs, given((-2,) * n), k in SIZES or k == 'pad')
            if k in SIZES:
                # reps with a 0 tiles to a size-0 array, as NumPy's tile does: minigluon supports
                # size-0 arrays by design (docs/PORTING.md; MXNet 1.9.1 refuses them, a 0 being
                # an unknown dimension in its shapes), so the call may work
                add('%s with a 0' % k, inputs, given((0,) + (1,) * (n - 1)), k != 'reps')
            if k == 'kernel':
                add('kernel larger than the data', inputs, given((99,) * n), True)
        if k in AXES and kind in ('int', 'shape'):
            big = 10 if kind == 'int' else (10,)
            add('%s out of range' % k, inputs, given(big), True)
            add('%s out of range negative' % k, inputs, given(-10 if kind == 'int' else (-10,)), True)
        if kind == 'str' and spec.choices:
            add('%s unknown choice' % k, inputs, given('bogus_choice'), True)
        if kind == 'dtype':
            add('%s unknown' % k, inputs, given('bogus_dtype'), True)
    return out


# -- the worker: runs cases, writes one JSON line per started and finished case --------------------

class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def make_env(backend):
    import numpy as np
    if backend == 'mxnet':
        import mxnet as mx
        nd, I = mx.nd, mx.nd._internal
    else:
        import minigluon as mx
        nd = I = mx.nd
    rs = np.random.RandomState(0)

    def A(shape, dtype='float32', value=None):
        v = rs.uniform(0.1, 1, size=shape) if value is None else np.full(shape, value)
        if value == 'spd':     # symmetric positive definite matrices (potrf)
            v = np.broadcast_to(np.eye(shape[-1]) * 2 + 0.5, shape)
        return nd.array(v > 0.5 if dtype == 'bool' else v.astype(dtype), dtype=dtype)
    return {'nd': nd, 'I': I, 'np': np, 'mx': mx, 'A': A, 'nan': float('nan'),
            'L': lambda shape: np.full(shape, 0.5).tolist(),
            'N': lambda shape: np.full(shape, 0.5, dtype='float32')}


def run_code(env, code, timeout):
    """Run ``code`` (sets ``out``); ``('ok', None)`` or ``('error', exc)``; raises Hang."""
    scope = dict(env)
    signal.alarm(timeout)
    try:
        exec(code, scope)
        out = scope['out']
        for o in out if isinstance(out, (list, tuple)) else [out]:
            if hasattr(o, 'asnumpy'):
                o.asnumpy()
        return 'ok', None
    except Hang:
        raise
    except Exception as e:  # noqa: BLE001 -- the exception is the result
        return 'error', e
    finally:
        signal.alarm(0)


# Python's and NumPy's own wording, which says nothing about the operator's arguments: an error
# that carries it (raised inside minigluon, e.g. ``shape[1]`` of a 0-d array) is ``bad`` too.
# (Attribute parsing quotes Python's reason after its own text: those are not counted.)
INTERNAL = ('tuple index out of range', 'list index out of range', 'has no attribute',
            'not subscriptable', 'unsupported operand', 'not supported between instances',
            'cannot reshape array', "'NoneType'", 'has no len()',
            'object is not iterable', 'division by zero', 'modulo by zero')


def classify(e, op_name, arg_names, pkg_dir):
    """``clean``, ``named`` or ``bad`` for an exception of a case, and why."""
    from minigluon.base import MXNetError
    tb = e.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    ours = last is not None and os.path.abspath(last).startswith(pkg_dir)
    text = str(e)
    names_it = op_name in text or any(("'%s'" % a) in text or (' %s ' % a) in text
                                      or text.startswith(a) for a in arg_names)
    if not isinstance(e, MXNetError):
        return 'bad', 'not an MXNetError'
    if type(e).__name__ in ('MXNetValueError', 'MXNetTypeError', 'MXNetIndexError') and not ours:
        return ('named', 'internal error re-worded') if names_it else ('bad', 'internal error')
    if not ours:
        return 'bad', 'raised outside minigluon'
    if "attribute '" not in text and any(p in text for p in INTERNAL):
        return 'bad', "Python's or NumPy's message from inside minigluon"
    return ('clean', '') if names_it else ('bad', 'message names neither operator nor argument')


def classify_py(e, fn_name, pkg_dir):
    """:func:`classify` for a Python function of the namespaces, which may raise Python's own
    ``TypeError`` for a call that does not fit its signature (as MXNet's functions do), or a
    plain ``TypeError`` / ``ValueError`` naming it or the operator it calls."""
    from minigluon.base import MXNetError
    tb, last = e.__traceback__, None
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    text = str(e)
    named = fn_name in text or ': ' in text.split('(')[0]
    if not isinstance(e, (MXNetError, TypeError, ValueError)):
        return 'bad', 'not an MXNetError, TypeError or ValueError'
    if not (last == '<string>' or os.path.abspath(last).startswith(pkg_dir)):
        return ('named', 'internal error re-worded') if named else ('bad', 'internal error')
    return ('clean', '') if named else ('bad', 'message names neither function nor operator')


def worker(args):
    import warnings
    warnings.simplefilter('ignore')
    import minigluon
    from minigluon import ops
    pkg_dir = os.path.dirname(os.path.abspath(minigluon.__file__))
    env = make_env('minigluon')
    signal.signal(signal.SIGALRM, _alarm)
    names = op_names(args.ops)
    log = open(args.log, 'a')

    def emit(**rec):
        log.write(json.dumps(rec) + '\n')
        log.flush()
    for i, name in enumerate(names[args.start_op:], args.start_op):
        emit(op=name, idx=-2, start=True)
        if name.startswith('py:'):      # a Python function of the namespaces: no baseline
            path = name[3:]
            base_code = case_code(path, [('A', (2, 3), 'float32')] * 2, {})
            cases = [(label, case_code(path, inputs, attrs), must)
                     for label, inputs, attrs, must in PY_CASES]
            op_label, arg_names = path.rsplit('.', 1)[-1], []
        else:
            cls = ops.OPS[name]
            path = call_path(cls.name, cls.aliases)
            base = None
            for inputs, attrs in baselines(cls):
                try:
                    status, _ = run_code(env, case_code(path, inputs, attrs), args.timeout)
                except Hang:
                    status = 'hang'
                if status == 'ok':
                    base = (inputs, attrs)
                    break
            if base is None:
                emit(op=name, idx=-1, result='no baseline')
                continue
            base_code = case_code(path, *base)
            cases = [(label, case_code(path, inputs, attrs), must)
                     for label, inputs, attrs, must in mutations(cls, *base)]
            op_label, arg_names = cls.name, list(cls.attrs) + list(cls.arguments or ['data'])
        emit(op=name, idx=-1, result='baseline', code=base_code)
        for j, (label, code, must) in enumerate(cases):
            if i == args.start_op and j < args.skip:
                continue
            emit(op=name, idx=j, start=True)
            try:
                status, err = run_code(env, code, args.timeout)
            except Hang:
                emit(op=name, idx=j, label=label, code=code, result='hang', why='')
                continue
            if status == 'ok':
                result, why = ('silent', '') if must else ('ok', '')
                emit(op=name, idx=j, label=label, code=code, result=result, why=why)
            else:
                result, why = (classify_py(err, op_label, pkg_dir) if name.startswith('py:')
                               else classify(err, op_label, arg_names, pkg_dir))
                emit(op=name, idx=j, label=label, code=code, result=result, why=why,
                     error='%s: %s' % (type(err).__name__, str(err).splitlines()[0][:200]
                                       if str(err) else ''),
                     where=_where(err))


def _where(e):
    tb = e.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return ''
    f = last.tb_frame.f_code
    return '%s:%d %s' % (os.path.relpath(f.co_filename, ROOT) if f.co_filename.startswith(ROOT)
                         else f.co_filename, last.tb_lineno, f.co_name)


def op_names(only):
    from minigluon import ops
    seen, names = set(), []
    for name in sorted(ops.OPS):
        cls = ops.OPS[name]
        if cls in seen or cls.name in SKIP or name.startswith('_getitem'):
            continue
        seen.add(cls)
        names.append(cls.name)
    names += ['py:' + p for p in PY_FUNCS]
    if only:
        names = [n for n in names if n in only.split(',')]
    return names


# -- the parent: restarts the worker after a crash or a hang ------------------------------------------

def sweep(args):
    log = args.out + '.log'
    if os.path.exists(log):
        os.remove(log)
    names = op_names(args.ops)
    start_op, skip = 0, 0
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', NUMBA_NUM_THREADS='1')
    while start_op < len(names):
        cmd = [sys.executable, os.path.abspath(__file__), '--worker', '--log', log,
               '--start-op', str(start_op), '--skip', str(skip), '--timeout', str(args.timeout)]
        if args.ops:
            cmd += ['--ops', args.ops]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        last_size, last_change = -1, time.time()
        while proc.poll() is None:
            time.sleep(0.5)
            size = os.path.getsize(log) if os.path.exists(log) else 0
            if size != last_size:
                last_size, last_change = size, time.time()
            elif time.time() - last_change > args.timeout + 30:
                proc.kill()
                proc.wait()
                break
        if proc.returncode == 0:
            break
        # the worker died or hung: the case it started last is a crash (or a hang)
        recs = [json.loads(line) for line in open(log)] if os.path.exists(log) else []
        if not recs:
            sys.exit('the worker failed before its first case:\n' + proc.stderr.read().decode()[-2000:])
        last = recs[-1]
        if last.get('start'):
            result = 'hang' if proc.returncode in (-9, None) else 'crash'
            with open(log, 'a') as f:
                f.write(json.dumps(dict(op=last['op'], idx=max(last['idx'], 0), label='?',
                                        code='?', result=result,
                                        why='rc=%s' % proc.returncode)) + '\n')
        if last['idx'] < 0:      # in (or right after) the baseline search: the next operator
            start_op, skip = names.index(last['op']) + 1, 0
        else:
            start_op, skip = names.index(last['op']), last['idx'] + 1
    return [json.loads(line) for line in open(log)]


def report(recs, oracle=None):
    finished = [r for r in recs if not r.get('start')]
    cases = [r for r in finished if r['idx'] >= 0]
    ops_ = {r['op'] for r in finished}
    nobase = sorted(r['op'] for r in finished if r['result'] == 'no baseline')
    counts = collections.Counter(r['result'] for r in cases)
    print('operators: %d swept, %d without a baseline (not swept): %s'
          % (len(ops_) - len(nobase), len(nobase), ', '.join(nobase)))
    print('calls: %d' % len(cases))
    for k in ('ok', 'clean', 'named', 'bad', 'silent', 'hang', 'crash'):
        print('  %-7s %5d' % (k, counts.get(k, 0)))
    bad = collections.Counter(r['why'] for r in cases if r['result'] == 'bad')
    for why, n in bad.most_common():
        print('    bad: %-45s %d' % (why, n))
    errs = collections.Counter(r['error'].split(':')[0] for r in cases if r['result'] == 'bad')
    print('    bad by exception type: %s' % dict(errs.most_common()))
    shown = [r for r in cases if r['result'] in ('bad', 'silent', 'hang', 'crash')]
    named = [r for r in cases if r['result'] == 'named']
    ok = [r for r in cases if r['result'] == 'ok']
    base = {r['op']: r['code'] for r in finished if r['result'] == 'baseline'}
    mx = run_oracle(oracle, shown + named + ok + [{'code': c} for c in base.values()]) if oracle else {}
    print('\n%d cases to look at:' % len(shown))
    for r in shown:
        _show(r, mx)
    print('\n%d errors with NumPy\'s text (named by invoke):' % len(named))
    for r in named:
        _show(r, mx)
    if oracle:
        # (only where MXNet computes the operator's baseline: else the change is not what it refuses)
        refused = [r for r in ok if mx.get(r['code'], '').startswith('raises')
                   and mx.get(base[r['op']]) == 'computes']
        # minigluon's documented extensions (README): 0-d and size-0 arrays, bool arithmetic
        ext = [r for r in refused if r['label'].endswith(('rank 0', 'zero-size', 'bool',
                                                          'reps with a 0'))
               or 'Unknown type enum' in mx[r['code']] or 'boolean type' in mx[r['code']]]
        refused = [r for r in refused if r not in ext]
        print('\n%d calls that work here and that MXNet refuses (and %d more on 0-d, size-0 or '
              'bool arrays, which minigluon supports by design):' % (len(refused), len(ext)))
        for r in refused:
            _show(r, mx)


def _show(r, mx):
    tag = (' [MXNet: %s]' % mx[r['code']]) if r['code'] in mx else ''
    print('%-7s %-22s %-28s %s%s' % (r['result'], r['op'], r['label'], r['code'], tag))
    if r.get('error'):
        print('        %s  (at %s)' % (r['error'][:160], r.get('where')))


ORACLE = """
import json, sys
sys.path.insert(0, %r)
from sweep_bad_input import make_env, oracle_text
env = make_env('mxnet')
for code in json.load(sys.stdin):
    try:
        s = dict(env)
        exec(code, s)
        o = s['out']
        [x.asnumpy() for x in (o if isinstance(o, (list, tuple)) else [o])]
        res = 'computes'
    except AttributeError as e:
        res = 'no such operator? ' + str(e)[:80]
    except Exception as e:
        res = 'raises ' + oracle_text(e)
    print(json.dumps([code, res]), flush=True)
"""


def oracle_text(e):
    """The telling line of an MXNet error (its C++ messages start with a traceback)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    told = [ln for ln in lines if 'Check failed' in ln or 'Error' in ln and 'Traceback' not in ln]
    return '%s: %s' % (type(e).__name__, (told or lines or [''])[-1][:120])


def run_oracle(python, cases):
    """``{code: 'raises ...' | 'computes' | 'crashes' ...}`` for ``cases`` under MXNet, one
    process per stretch between crashes."""
    codes = sorted({r['code'] for r in cases if r['code'] != '?'})
    prog = ORACLE % os.path.dirname(os.path.abspath(__file__))
    res = {}
    while len(res) < len(codes):
        todo = [c for c in codes if c not in res]
        try:
            p = subprocess.run([python, '-c', prog], input=json.dumps(todo), capture_output=True,
                               text=True, timeout=600)
            rc = p.returncode
            out = p.stdout
        except subprocess.TimeoutExpired as t:
            rc, out = 'timeout', (t.stdout or b'').decode()
        for line in out.splitlines():
            if line.startswith('["'):
                code, text = json.loads(line)
                res[code] = text
        if rc != 0:
            nxt = next((c for c in todo if c not in res), None)
            if nxt is None:
                break
            res[nxt] = 'crashes (rc=%s)' % rc
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--ops', default='', help='comma-separated registered names (default: all)')
    p.add_argument('--out', default='/tmp/sweep_bad_input')
    p.add_argument('--timeout', type=int, default=10, help='seconds per call')
    p.add_argument('--oracle', default='', help='an MXNet 1.9.1 Python to run the bad cases under')
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--log', help=argparse.SUPPRESS)
    p.add_argument('--start-op', type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument('--skip', type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        sys.path.insert(0, ROOT)
        try:
            worker(args)
        except BaseException:
            traceback.print_exc()
            raise
        return
    recs = sweep(args)
    with open(args.out + '.json', 'w') as f:
        json.dump(recs, f, indent=0)
    report(recs, args.oracle)


if __name__ == '__main__':
    main()
