"""Where eager operators run: :func:`invoke`, its recording helper and :func:`call_op`.

:func:`invoke` takes an operator instance and NDArray inputs, runs the operator's ``forward`` on
the inputs' NumPy or CuPy data, wraps the results as NDArrays and, while autograd records, puts a
:class:`~minigluon.autograd.Node` on the tape. Eager calls (``nd.<op>``) and NDArray methods come
through here; a hybridized graph runs its operators' ``forward`` itself from a plan
(:mod:`minigluon.executor`), recording one node for the whole graph. :func:`call_op` binds an
operator by name to positional and keyword arguments first (``call_op('Reshape', x, shape=(2, -1))``;
:func:`fast_bind` from a cached :func:`prototype` where it can, else
:func:`~minigluon.ops.binding.bind_call`).

This is separate from :mod:`minigluon.ndarray.ndarray` so that the ``NDArray`` class and the
operator-calling machinery can each be read in one sitting. It needs the ``NDArray`` class (to wrap
outputs), so :mod:`minigluon.ndarray.ndarray` imports it at its end and re-exports its names:
``from minigluon.ndarray.ndarray import invoke, call_op`` keeps working. Semantics: MXNet 1.9.1's
imperative invoke (``MXImperativeInvoke``), recording as ``mxnet.autograd`` does.
"""
from weakref import ref as _ref

import numpy as np

from minigluon import autograd, backend
from minigluon._fp_errors import IGNORE as _FP_IGNORE, enter as _fp_enter, leave as _fp_leave
from minigluon.base import MXNetError, MXNetValueError, raises_mxnet_errors
from minigluon.context import current_context
from minigluon.ndarray.helpers import _name_the_operator, _parse_ctx
from minigluon.ndarray.ndarray import NDArray, _autograd_state
from minigluon.ops import attr as _attr
from minigluon.ops.binding import (bind_call, input_slots, leading_inputs, positional_attribute_names,
                                    trailing_keywords)
from minigluon.ops.registry import Op, get_op

_Node = autograd.Node
_on_tape = autograd.on_tape
_join_inputs = autograd._join_inputs


def _is_nd(x):
    """True for an NDArray: the ``is_input`` test of :func:`~minigluon.ops.binding.bind_call`."""
    return isinstance(x, NDArray)


def invoke(op, inputs):
    """Run the operator instance ``op`` on NDArray ``inputs`` and record it if needed.

    Every eager call and NDArray method runs its operator here (a hybridized graph runs its
    operators itself, in :meth:`minigluon.executor.CachedOp._call_planned`, except node by node
    under an operator hook, which comes through here).

    Parameters
    ----------
    op : Op
        A fresh operator instance with its attributes set (:mod:`minigluon.ops.registry`), used
        for this call only: its ``forward`` may keep what its ``backward`` needs, and the tape
        keeps it.
    inputs : list or tuple of NDArray
        Ordered as ``op.list_arguments()``; kept on the autograd tape as given, without a copy:
        callers pass a fresh sequence and never mutate it.

    Returns
    -------
    NDArray or list of NDArray
        One NDArray, or a list for an operator with several visible outputs
        (``num_visible_outputs`` of its ``num_outputs``). Each is a new array unless ``op.view``
        (:func:`_own`), on the first input's context.

    The steps: check the contexts and collect the raw (NumPy or CuPy) arrays; run
    ``op.forward(xp, *raws)`` on them, ``xp`` the arrays' module (errors re-worded to name the
    operator); make sure no result aliases an input unless the operator is a view (:func:`_own`);
    wrap the results as NDArrays; while recording, put a node on the tape (:func:`_record`: a
    :class:`~minigluon.autograd.Node` holding ``op``, ``inputs`` and the outputs' shapes and
    dtypes, which each output's ``_entry`` points at) or send the outputs down the zero path
    (:func:`_zero_path`). The first branch below is the common one-NumPy-output case, with
    :func:`_record` written out for speed; the general case follows it.

    Raises
    ------
    MXNetError
        When the inputs live on different devices (CPU contexts mix, as in MXNet 1.9.1: host
        memory is one memory; the result is on the first input's context); an operator's
        ``ValueError``, ``TypeError`` or ``IndexError`` is re-raised as ``MXNetValueError`` etc.,
        which are both (see :func:`~minigluon.ndarray.helpers._name_the_operator`).
    """
    # This function is the per-operator overhead of the whole framework: keep it lean.
    ctx = None
    raws = []
    for x in inputs:
        if ctx is None:
            ctx = x._ctx
        elif x._ctx is not ctx and x._ctx != ctx and (ctx.is_gpu or x._ctx.is_gpu):
            raise MXNetError('%s: inputs are on different contexts (%s and %s); move them with '
                             'as_in_context()' % (op.name, ctx, x._ctx))
        raws.append(x._data)
    if op.needs_grad_hint and getattr(_autograd_state, 'recording', False):
        op.needs_input_grad = tuple(autograd.needs_grad(x) for x in inputs)
    # log(0), x / 0, a float16 overflow: inf and nan without NumPy's RuntimeWarning, as in MXNet
    # (see minigluon._fp_errors; the caller's NumPy error state is back afterwards)
    fp_state = _fp_enter(_FP_IGNORE)
    try:
        if ctx is not None:
            xp = np if backend.cupy is None else backend.get_array_module(*raws)
            res = op.forward(xp, *raws)
        else:   # no array inputs (a sampler): the device is the op's ``ctx`` attribute or the default
            ctx = _parse_ctx(getattr(op, 'ctx', None)) or current_context()
            xp = ctx.xp
            with ctx.device():
                res = op.forward(xp)
    except (ValueError, IndexError, TypeError) as err:
        named = _name_the_operator(op, err, raws)
        if named is err:
            raise
        raise named.with_traceback(err.__traceback__) from None
    finally:
        _fp_leave(fp_state)
    recording = getattr(_autograd_state, 'recording', False)
    if type(res) is np.ndarray:          # the common case: one NumPy output
        if res.base is not None:         # a view (of an input?): checked, not on the hot path
            if not op.view:
                res = _own(res, raws)
        else:
            for r in raws:               # an input returned as it is (Dropout when predicting)
                if r is res:
                    if not op.view:
                        res = res.copy()
                    break
        out = NDArray(res, ctx)
        if recording:
            # _record for one output, with _reaches_graph and _join_inputs written out: two
            # function calls are ~0.25 us, 5% of a recorded tiny operator (bench/bench_ops.py)
            if op.differentiable:
                for x in inputs:
                    if (x._entry is not None and _on_tape(x)) or x._grad is not None:
                        out._entry = (_Node(op, inputs, ((res.shape, res.dtype),), xp), 0)
                        for y in inputs:
                            if y._entry is None and not y._joined:
                                y._joined = True
                        break
                else:
                    _zero_path(inputs, (out,))
            else:
                _zero_path(inputs, (out,))
        n = op.num_visible_outputs       # (op.n_visible, without the property call)
        one = (n == 1) or (n is None and op.num_outputs == 1)    # one visible output: no list
        return out if one else [out][:op.n_visible]
    outs = list(res) if isinstance(res, (tuple, list)) else [res]
    outs = [o if backend.is_array(o) else xp.asarray(o) for o in outs]
    if not op.view:
        outs = [_own(o, raws) for o in outs]
    wrapped = [NDArray(o, ctx) for o in outs]
    if recording:
        _record(op, inputs, outs, wrapped, xp)
    n = op.n_visible
    return wrapped[0] if n == 1 else wrapped[:n]


def _own(res, raws):
    """``res``, or a copy of it where it shares memory with an input (or is read-only, as
    ``broadcast_to`` views are): an operator's result is a new array, as in MXNet, so that writing
    into ``nd.flatten(x)`` or a part of ``nd.split(x)`` leaves ``x`` alone."""
    if not backend.is_array(res):
        return res
    if getattr(res.flags, 'writeable', True) is False or any(r is res or (
            backend.is_array(r) and backend.may_share_memory(res, r)) for r in raws):
        return res.copy()
    return res


def _reaches_graph(inputs):
    """True if an input is on a recorded path or is a variable (``grad_req='null'`` included:
    MXNet 1.9.1 records an operator applied to one, whose node then sends it nothing)."""
    for x in inputs:
        if (x._entry is not None and _on_tape(x)) or x._grad is not None:
            return True
    return False


def _record(op, inputs, outs, wrapped, xp):
    """Put ``op`` on the tape, pointing the NDArrays ``wrapped`` (of the raw outputs ``outs``)
    at its node, if it is differentiable and :func:`_reaches_graph`; else the outputs take
    the zero path (:func:`_zero_path`)."""
    if op.differentiable and _reaches_graph(inputs):
        node = _Node(op, inputs, [(o.shape, o.dtype) for o in outs], xp)
        for i, w in enumerate(wrapped):
            w._entry = (node, i)
        _join_inputs(inputs)
        return
    _zero_path(inputs, wrapped)


def _zero_path(inputs, outs):
    """Outputs not put on the tape that still hang off recorded arrays: an operator without a
    gradient (argmax, comparisons, ``shape_array``...) applied to them, or any operator applied to
    such outputs. They remember those recorded arrays (``_zero_src``), so that ``backward`` from
    them sends zero gradients down, as MXNet 1.9.1 does (it records these operators with zero
    gradients). An operator applied only to arrays that joined the graph (see
    :class:`~minigluon.autograd.Node`) gives outputs that join it too (MXNet records it: they
    cannot be written into while recording). With an array of the graph among the inputs, the
    plain inputs join the graph; without one, nothing is kept. The joining outputs remember
    (weakly) the plain inputs, so that a backward reaching them frees those inputs too, as MXNet
    frees the node it recorded (:func:`minigluon.autograd._unjoin`)."""
    src = None
    joined = False
    for x in inputs:
        if (x._entry is not None and _on_tape(x)) or (x._grad is not None and x._grad_req != 'null'):
            found = (x,)
        elif x._zero_src is not None:
            found = x._zero_src
        else:
            joined = joined or x._joined
            continue
        if src is None:
            src = {}
        for a in found:                  # each array once: m = m + m must not double the list
            src[id(a)] = a
    if src is None and not joined:
        return
    refs = {}      # what a backward reaching the outputs frees (see autograd._unjoin): the
    for x in inputs:     # plain inputs, and the live arrays they were computed from (flattened:
        if x._entry is None:     # an intermediate array freed by Python breaks no chain)
            joined = x._joined
            if not joined:
                x._joined = True
            elif joined.__class__ is tuple:
                for r in joined:
                    a = r()
                    if a is not None:
                        refs[id(a)] = r
            refs[id(x)] = _ref(x)
    refs = tuple(refs.values())
    if src is not None:
        src = tuple(src.values())
        for o in outs:
            o._zero_src = src
            if refs:
                o._joined = refs
    else:
        refs = refs or True
        for o in outs:
            o._joined = refs


# ---------------------------------------------------------------------------------------------------
# Binding without bind_call: operator instances copied from cached prototypes

# the types a parsed attribute value may have for its prototype to be shared between calls (an
# exact type test: a subclass could be mutable); the ops.attr types are tuples and numbers
# that remember how the value was given
_IMMUTABLE = (type(None), bool, int, float, str, tuple, frozenset, _attr.IntBool, _attr.WholeFloat,
              _attr.GivenFloats, _attr.ListShape, _attr.ScalarShape)
_CACHE_LIMIT = 64      # prototypes kept per operator (distinct attribute sets)
# the types of positional attribute values fast_bind takes (x.clip(0, 1), nd.transpose(x, (1, 0)));
# any other value (a list, None, an array) leaves the call to bind_call
_POSITIONAL_ATTR = (bool, int, float, str, tuple, np.generic)
# the attribute value types keyed by their text in a prototype's cache key: values of these types
# can be equal while meaning different things (-0.0 == 0.0; (1.0, 0) == (True, 0) == (1, 0), of
# which a shape attribute refuses the first two)
_KEYED_BY_TEXT = frozenset({float, tuple, np.float16, np.float32, np.float64})


def prototype(cls, kwargs, n_inputs=None):
    """The *prototype* of ``cls(**kwargs)``: the instance's field dict (``vars(op)``: every
    attribute value, parsed and checked, and ``given``), made once and then cached per operator
    class (``cls._proto_cache``, at most ``_CACHE_LIMIT`` attribute sets) and per attribute set
    (keyed by each value with its type, so ``1`` and ``True`` differ; floats and tuples by their
    text, so ``-0.0`` is not ``0.0`` and ``(1.0, 0)`` not ``(1, 0)``). An eager call then only
    copies it into a fresh instance (operators keep the state their backward needs on the
    instance, so every call needs its own); the copy is shallow, which is why the field values
    must be immutable.

    The instance must take the declared inputs (``cls.arguments``), or, with ``n_inputs``, the
    first ``n_inputs`` of them (``softmax`` without ``use_length`` takes ``data`` alone,
    ``FullyConnected`` with ``no_bias=True`` no ``bias``); a variadic operator (``concat``),
    ``n_inputs`` inputs. ``None`` when the call cannot take the
    fast path (unhashable or invalid attributes, other inputs, mutable attribute values); the
    caller then goes through ``bind_call``, which reports errors."""
    try:
        key = tuple([(k, type(v), repr(v) if type(v) in _KEYED_BY_TEXT else v)
                     for k, v in kwargs.items()]) if kwargs else ()
        declared = cls.arguments
        if n_inputs is not None and (declared is None or n_inputs != len(declared)):
            key = (n_inputs,) + key          # (the other entries are tuples, never ints)
        cache = cls.__dict__.get('_proto_cache')
        if cache is None:
            cache = {}
            cls._proto_cache = cache
        proto = cache.get(key, False)
    except TypeError:              # an unhashable attribute value (a list): no caching
        return None
    if proto is not False:
        return proto
    proto = None
    try:
        op = cls(**kwargs)
    except Exception:              # noqa: BLE001 -- the slow path raises the proper error
        op = None
    takes = False                  # op takes the inputs the caller gives
    if op is not None:
        inputs = op.list_arguments()
        takes = (len(inputs) == n_inputs if declared is None
                 else inputs == list(declared if n_inputs is None else declared[:n_inputs]))
    if (takes
            and all(type(v) in _IMMUTABLE for k, v in vars(op).items() if k != 'given')):
        proto = dict(vars(op))
    if len(cache) < _CACHE_LIMIT:
        cache[key] = proto
    return proto


def fast_bind(cls, args, kwargs):
    """``bind_call(cls, args, kwargs, ...)`` for the calls it binds without a question, from a
    cached :func:`prototype`: leading positional NDArrays that are the operator's first inputs,
    then ``None`` for inputs these attributes do not take (``nd.CTCLoss(x, y, None, None)``),
    then attribute values positionally (numbers, strings, tuples: ``x.clip(0, 1)``,
    ``x.expand_dims(0)``) and by keyword; for a variadic operator (``nd.concat(x, y, dim=1)``),
    all the leading NDArrays, ``num_args`` counting them unless given, and attributes by keyword
    only (MXNet 1.9.1 and ``sym`` refuse ``concat(x, y, 1)``). The operator's own
    ``__init__``, a ``ctx`` attribute, inputs by keyword or an input ``None`` before an array, lists, or anything
    ``bind_call`` would refuse give ``None``: the caller then binds with ``bind_call``, which gives the same
    instance and inputs, or the error. ``nd.<op>``'s function has its own inline copy of the
    commonest case (all declared inputs, attributes by keyword; :func:`minigluon.ndarray._make_function`).

    Returns ``(op, inputs)`` or ``None``."""
    declared = cls.arguments
    if cls.__init__ is not Op.__init__ or hasattr(cls, 'ctx'):
        return None
    n = 0
    for a in args:
        if type(a) is not NDArray:
            break
        n += 1
    if n == 0 or (declared is not None and n > len(declared)):
        return None
    given = n        # inputs given positionally, trailing Nones included: CTCLoss(x, y, None, None)
    if declared is not None:
        while given < len(args) and given < len(declared) and args[given] is None:
            given += 1
    for key in kwargs:
        if key not in cls.attrs:
            return None
    count = declared is None and 'num_args' in cls.attrs and 'num_args' not in kwargs
    if given < len(args) or count:
        kwargs = dict(kwargs)
    if given < len(args):
        if declared is None or given < input_slots(cls):
            # concat(a, b, 1), softmax(x, 0) (an input slot): refused by bind_call, as in MXNet
            return None
        extra = args[given:]
        for value in extra:
            if not isinstance(value, _POSITIONAL_ATTR):
                return None
        order = list(cls.attrs)        # (declared: no variadic num_args to leave out)
        if len(extra) > len(order):
            return None
        for key, value in zip(order, extra):
            if key in kwargs:          # given twice: bind_call raises
                return None
            kwargs[key] = value
    if count:
        kwargs['num_args'] = n
    proto = prototype(cls, kwargs, n)
    if proto is None:
        return None
    op = cls.__new__(cls)
    op.__dict__.update(proto)
    return op, args[:n]


@raises_mxnet_errors       # a bad argument is an MXNetError too, as in MXNet
def call_op(name, /, *args, **kwargs):
    """Call a registered operator by name with NDArray inputs: ``call_op('Reshape', x, shape=(2, -1))``.
    As MXNet 1.9.1's ``nd`` functions, ``out`` and then ``name`` may follow the attributes
    positionally (``nd.sum(x, 1, False, False, out)``)."""
    cls = get_op(name)
    args, kwargs = trailing_keywords(cls, name, args, kwargs, _is_nd, _ND_TRAILING)
    return _call_class(cls, name, args, kwargs)


def _is_out_value(value):
    """An ``out=`` value: None, an NDArray, or a non-empty list or tuple of them."""
    return value is None or isinstance(value, NDArray) or (
        isinstance(value, (list, tuple)) and value and all(isinstance(o, NDArray) for o in value))


# the keyword parameters of MXNet's nd functions after the attributes (ops.binding.trailing_keywords)
_ND_TRAILING = (('out', _is_out_value), ('name', lambda value: value is None or isinstance(value, str)))


@raises_mxnet_errors
def Custom(*data, **kwargs):
    """Run a Python operator registered with :func:`minigluon.operator.register`:
    ``nd.Custom(x, y, op_type='name', **attrs)`` (inputs also by name). One NDArray, or a list
    for several outputs. See :mod:`minigluon.operator` and :mod:`minigluon.ops.custom`."""
    from minigluon.ops.custom import bound_class
    return _call_class(bound_class(kwargs, _is_nd), 'Custom', data, kwargs)


def _call_class(cls, name, args, kwargs):
    """:func:`call_op` for the operator class ``cls`` (called ``name`` in messages): take off
    the keywords that are no operator's (``out``, ``name``, the internal ``_view``, and ``attr``
    where MXNet's operator has no parameters),
    bind the rest (:func:`fast_bind`, else :func:`~minigluon.ops.binding.bind_call`), set the flags some operators
    read from ``out=``, run the instance (:func:`invoke`) and copy the result into ``out``."""
    out = kwargs.pop('out', None)
    view = kwargs.pop('_view', False)     # internal: the result may be a view (x.reshape)
    kwargs.pop('name', None)
    if 'attr' in kwargs:
        # MXNet 1.9.1 ignores attr= for an operator without parameters and refuses it, as an
        # unknown attribute, for the others ('Cannot find argument attr'): the rule of sym's attr=
        from minigluon.symbol.op_names import accepts_any_attr
        if accepts_any_attr(cls):
            del kwargs['attr']
    if out is not None and hasattr(cls, 'attrs_from_out'):
        kwargs = attrs_from_out(cls, args, kwargs, out)
    op, inputs = fast_bind(cls, args, kwargs) or bind_call(cls, args, kwargs, _is_nd)
    if view:
        op.view = True
    if out is not None:
        from minigluon.ndarray.inplace import check_write
        for o in (out if isinstance(out, (list, tuple)) else (out,)):
            if not isinstance(o, NDArray):      # (a NumPy array was written into and returned)
                raise TypeError('%s: out must be an NDArray (or a list of them for several '
                                'outputs), got %s' % (name, type(o).__name__))
            check_write(o, '%s(..., out=...)' % name)     # before the operator is recorded
        if hasattr(op, 'out_is_weight'):
            op.out_is_weight = out is inputs[0]      # nag_mom_update's result depends on it (MXNet)
        if hasattr(op, 'prior_output'):
            op.prior_output = out._data      # all_finite(init_output=False) starts from it (MXNet)
    res = invoke(op, inputs)
    if out is not None:
        return _write_out(name, out, res)
    return res


def attrs_from_out(cls, args, kwargs, out):
    """``kwargs`` with the attributes named by ``cls.attrs_from_out`` (``dtype``, ``shape``) taken
    from the array ``out`` where the call (``args``, ``kwargs``) leaves them at their "infer"
    default (None): MXNet 1.9.1's samplers infer them from their output, so
    ``nd.random.normal(0, 1, shape=(2, 3), out=float64_array)`` draws float64 samples. A dtype
    the operator does not take is left to the out= check (an error, as in MXNet)."""
    if not isinstance(out, NDArray):
        return kwargs
    n = leading_inputs(cls, args, _is_nd)                # then the positional attributes
    given = set(positional_attribute_names(cls, False)[:len(args) - n])
    kwargs = dict(kwargs)
    for key in cls.attrs_from_out:
        attr = cls.attrs.get(key)
        if (kwargs.get(key) is not None or key in given or attr is None
                or attr.default not in (None, 'None')):
            continue
        if key == 'shape':
            kwargs[key] = out.shape
        elif attr.choices is None or np.dtype(out.dtype).name in attr.choices:
            kwargs[key] = np.dtype(out.dtype).name
    return kwargs


def _write_out(name, out, res):
    """Copy the result(s) ``res`` into ``out`` (an NDArray, or a list of them for an operator
    with several outputs, as MXNet's ``out=[w0, w1]``) and return ``out``.

    Raises
    ------
    MXNetValueError
        When an ``out`` array's shape or dtype is not the result's: MXNet 1.9.1 refuses both
        (its shape and type inference fail); writing would broadcast or cast silently."""
    if not isinstance(out, (list, tuple)):
        _check_out(name, out, res, '')
        out[:] = res
        return out
    res = res if isinstance(res, list) else [res]
    if len(out) != len(res):
        raise ValueError('%s: out= holds %d arrays, the operator has %d outputs'
                         % (name, len(out), len(res)))
    for i, (o, r) in enumerate(zip(out, res)):
        _check_out(name, o, r, '[%d]' % i)
        o[:] = r
    return out                    # the list or tuple given, as MXNet returns it


def _check_out(name, out, res, which):
    """Refuse an ``out`` array (``out=`` entry ``which``) of another shape or dtype than the
    result ``res`` (see :func:`_write_out`)."""
    if out.shape != res.shape or out.dtype != res.dtype:
        raise MXNetValueError('%s: out=%s has shape %s and dtype %s, the result has shape %s and '
                              'dtype %s; give an array of the result\'s shape and dtype (or cast '
                              'afterwards with .astype)' % (name, which, out.shape, np.dtype(out.dtype).name,
                                                            res.shape, np.dtype(res.dtype).name))
