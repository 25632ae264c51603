"""The ``nd`` namespace: NDArray, creation functions, file I/O and one function per registered operator.

Operator functions are generated from the registry (as MXNet generates ``mx.nd`` from its C++
registry): ``nd.FullyConnected(x, w, b, num_hidden=3)``, ``nd.relu(x)``, ``nd.CTCLoss(...)``, one
per registered name and alias (:func:`_populate`). The path of an eager call: the function made by
:func:`_make_function` builds the operator instance (from a cached prototype, or through
:func:`~minigluon.ndarray.dispatch.call_op` and ``bind_call``) and hands it to
:func:`~minigluon.ndarray.dispatch.invoke`, which runs and records it. docs/DESIGN.md, "Following
one operator call", walks through it.
"""
from minigluon import base as _base
import sys as _sys

from minigluon import ops as _ops
from minigluon.base import raises_mxnet_errors
from minigluon.ops.binding import call_signature as _call_signature
from minigluon.ndarray.ndarray import NDArray, call_op, invoke  # noqa: F401
from minigluon.ndarray.ndarray import _OP_FUNCTIONS
from minigluon.ndarray.dispatch import prototype as _prototype
from minigluon.ndarray.creation import (  # noqa: F401
    DEFAULT_DTYPE, arange, array, concatenate, empty, eye, from_dlpack, from_numpy, full, linspace, ones, ones_like,
    to_dlpack_for_read, to_dlpack_for_write, waitall, zeros, zeros_like)


def _make_function(op_name):
    """The function ``nd.<op_name>`` for the operator class registered as ``op_name``.

    Fast path: a call with every declared input given positionally as an NDArray and only
    attributes (and ``name=``, which means nothing eagerly; Gluon layers pass it: ``Dense`` calls
    ``F.FullyConnected(..., name='fwd')``) as keywords (``nd.relu(x)``, ``nd.Convolution(x, w,
    b, kernel=(3, 3), num_filter=8)``) builds the operator from a cached prototype
    (:func:`_prototype`; the instance :meth:`Op._fast` would make) and runs it with
    :func:`~minigluon.ndarray.dispatch.invoke`. Any other call goes through
    :func:`~minigluon.ndarray.dispatch.call_op`, which binds the arguments from a prototype too
    where it can (:func:`~minigluon.ndarray.dispatch.fast_bind`: positional attributes,
    ``x.clip(0, 1)``; fewer inputs than declared, ``nd.softmax(x)``; ``out=``) and else with
    :func:`~minigluon.ops.binding.bind_call` (inputs by keyword, a variadic operator, an
    operator with its own ``__init__`` or a ``ctx`` attribute), which reports bad arguments.
    All give the same instance and result. The function carries the operator's docstring and a signature
    (``call_signature``) for ``help()``.

    ``fn`` is the per-call overhead of every eager operator: it is kept to one function call
    (:func:`invoke`) once the prototype is cached; keep helpers out of it.
    """
    cls = _ops.OPS[op_name]
    declared = cls.arguments
    fast = (declared is not None and cls.__init__ is _ops.registry.Op.__init__
            and not hasattr(cls, 'ctx'))
    nargs = len(declared) if fast else -1
    attrs = cls.attrs
    new = cls.__new__
    plain = []         # the prototype of a call without attributes, once known (the common case)

    def fn(*args, **kwargs):
        # Fast path: every declared input given positionally as an NDArray, only attributes as
        # keywords. Same result as call_op, without re-parsing the attributes on every call.
        # (Plain loops: a generator expression inside all() costs more than the check itself.)
        if len(args) == nargs:
            for a in args:
                if type(a) is not NDArray:
                    break
            else:
                if kwargs:
                    # a node name (Gluon layers call F.FullyConnected(..., name='fwd')) means
                    # nothing eagerly: it must not send every layer call down the slow path
                    kwargs.pop('name', None)
                if not kwargs:
                    proto = plain[0] if plain else _plain_prototype(cls, plain)
                else:
                    for k in kwargs:
                        if k not in attrs:
                            proto = None
                            break
                    else:
                        proto = _prototype(cls, kwargs)
                if proto is not None:
                    # The prototype's ``given`` dict is shared, never copied: nothing mutates an
                    # operator's ``given`` after construction (the graph executor shares it too).
                    op = new(cls)
                    op.__dict__.update(proto)
                    return invoke(op, args)
        return call_op(op_name, *args, **kwargs)
    fn.__name__ = op_name
    fn.__doc__ = cls.__doc__
    fn.__signature__ = _call_signature(cls, ('out', 'name'))
    return fn


def _plain_prototype(cls, box):
    """The attribute-free prototype of ``cls``, remembered in the one-element list ``box``."""
    proto = _prototype(cls, {})
    box.append(proto)
    return proto


def _populate(namespace):
    """Put an ``nd.<name>`` function for every registered operator name and alias into
    ``namespace`` (this module's globals), keeping names already defined there, and make each
    (but names starting with ``_``) a method of NDArray where NDArray has no attribute of that
    name: ``x.sum(axis=1)`` is the operator ``sum`` on ``x``, with the same fast path as
    ``nd.sum(x, axis=1)``. The methods are set on the class once, here, rather than found by a
    ``__getattr__``: a class with ``__getattr__`` makes every attribute read of its instances
    slower (31 against 9 ns, ~0.3 us per eager operator)."""
    for name in list(_ops.OPS):
        if name in _OP_FUNCTIONS:      # made by an earlier pass (refresh)
            continue
        fn = _OP_FUNCTIONS[name] = _make_function(name)
        if name not in namespace:
            namespace[name] = fn
        if not name.startswith('_') and not hasattr(NDArray, name):
            setattr(NDArray, name, _method(fn))


def _method(fn):
    """The NDArray method calling ``fn`` (an ``nd.<name>`` function) with the array first."""
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


_populate(globals())
from minigluon.ndarray import fluent as _fluent  # noqa: E402

_fluent.install(NDArray)      # flatten, expand_dims, squeeze, broadcast_to: MXNet's own signatures
from minigluon.ndarray.dispatch import Custom  # noqa: E402,F811 (inputs by name: ops.custom)

# add, subtract, ..., maximum, power, greater: arrays or numbers on either side (MXNet's Python
# functions of the same names, which replace the two-array operator aliases ``maximum``/``minimum``)
from minigluon.ndarray.binary import make_binary_functions as _make_binary  # noqa: E402

globals().update({k: v for k, v in _make_binary(NDArray, globals()).items() if k != 'hypot'})


def true_divide(lhs, rhs):
    """``divide(lhs, rhs)`` under its own name, as MXNet 1.9.1 defines it (so a call that does not
    fit, ``true_divide(x)``, is reported as ``true_divide() missing ... 'rhs'``)."""
    return divide(lhs, rhs)  # noqa: F821 -- defined just above


# split_v2 and moveaxis: MXNet's Python functions over the _split_v2 and transpose operators
from minigluon.ndarray.layout_funcs import make_layout_functions as _make_layout  # noqa: E402

globals().update(_make_layout(globals()))

# histogram over _histogram (a number of bins with a range, or bin edges)
from minigluon.ndarray.histogram import make_histogram as _make_histogram  # noqa: E402

globals().update(_make_histogram(globals(), NDArray))


@raises_mxnet_errors
def onehot_encode(indices, out):
    """Write the one-hot rows of ``indices`` into ``out`` and return ``out`` (legacy; use
    ``one_hot``).

    Row ``i`` of ``out`` becomes 1 at column ``int(indices[i])`` (truncated toward zero) and 0
    elsewhere; a row whose index is outside ``[0, out.shape[1])`` (or NaN) is all zeros. MXNet
    1.9.1 ``nd.onehot_encode``, which accepts float32 arrays only.

    Parameters
    ----------
    indices : NDArray
        Shape ``(N,)``, float32.
    out : NDArray
        Shape ``(N, C)``, float32; overwritten.

    Returns
    -------
    NDArray
        ``out`` itself.

    Raises
    ------
    TypeError
        When an argument is not an NDArray or not float32.
    ValueError
        When ``indices`` is not 1-d, ``out`` not 2-d, or their lengths differ.
    """
    for arg, value in (('indices', indices), ('out', out)):
        if not isinstance(value, NDArray):
            raise TypeError('onehot_encode: %s must be an NDArray, got %s' % (arg, type(value).__name__))
        if value.dtype != DEFAULT_DTYPE:
            raise TypeError('onehot_encode: %s must be float32 (as in MXNet), got %s; use '
                            'nd.one_hot for other dtypes' % (arg, value.dtype.__name__))
    if indices.ndim != 1 or out.ndim != 2 or indices.shape[0] != out.shape[0]:
        raise ValueError('onehot_encode: expected indices of shape (N,) and out of shape (N, C), '
                         'got %s and %s' % (indices.shape, out.shape))
    return one_hot(indices, depth=out.shape[1], dtype=out.dtype, out=out)  # noqa: F821 (generated)


def imdecode(str_img, clip_rect=(0, 0, 0, 0), out=None, index=0, channels=3, mean=None):
    """MXNet 1.9.1's deprecated ``nd.imdecode``: not provided, raises ``NotSupportedError``.

    In MXNet 1.9.1 it fails for every input under Python 3 ("Shape is unknown", with or without
    ``out``), so no script can depend on its results. Use :func:`minigluon.image.imdecode`
    (``mx.image.imdecode(buf, flag=1, to_rgb=True)``: a uint8 ``(H, W, C)`` NDArray), then
    crop, ``astype('float32')``, subtract the mean and ``transpose((2, 0, 1))`` as needed.
    """
    from minigluon.base import NotSupportedError
    raise NotSupportedError('nd.imdecode is the deprecated MXNet decoder (it fails for every '
                            'input in MXNet 1.9.1); use mx.image.imdecode(buf) instead, which '
                            'returns a uint8 (height, width, channels) NDArray')


def _split_v2_method(self, indices_or_sections, axis=0, squeeze_axis=False):
    """``nd.split_v2(self, ...)`` as a method (MXNet 1.9.1 ``NDArray.split_v2``)."""
    return split_v2(self, indices_or_sections, axis=axis, squeeze_axis=squeeze_axis)  # noqa: F821


def _as_nd_ndarray(self):
    """This array itself (MXNet 1.9.1: the legacy view of an ``mx.np`` array; already one here)."""
    return self


# Methods over the module-level functions above (ndarray.py holds the class and is full)
NDArray.split_v2 = _split_v2_method
NDArray.as_nd_ndarray = _as_nd_ndarray
NDArray.writable = property(lambda self: True, doc='Whether the array may be written: always '
                            'True (MXNet: False only for read-only views of foreign memory).')

try:  # file I/O lives in serialization (written separately); optional until present
    from minigluon.serialization import load, load_frombuffer, save  # noqa: F401
except ImportError:  # pragma: no cover
    pass

from minigluon.ndarray import contrib  # noqa: E402,F401  (needs _make_function above)

_sys.modules.setdefault('minigluon.nd.contrib', contrib)     # ``import minigluon.nd.contrib``

from minigluon.ndarray import linalg  # noqa: E402,F401  (nd.linalg.gemm2 and co.; needs _make_function)

_sys.modules.setdefault('minigluon.nd.linalg', linalg)       # ``import minigluon.nd.linalg``

from minigluon.ndarray import image  # noqa: E402,F401  (nd.image.to_tensor and co.; needs _make_function)

_sys.modules.setdefault('minigluon.nd.image', image)         # ``import minigluon.nd.image``

from minigluon.ndarray import _internal  # noqa: E402,F401  (nd._internal._plus is nd._plus)

_sys.modules.setdefault('minigluon.nd._internal', _internal)  # ``import minigluon.nd._internal``

from minigluon.ndarray import op  # noqa: E402,F401  (nd.op.Convolution is nd.Convolution; last)
from minigluon.ndarray.op import CachedOp  # noqa: E402,F401

_sys.modules.setdefault('minigluon.nd.op', op)               # ``import minigluon.nd.op``

ndarray = _sys.modules[__name__]


def refresh():
    """Add the functions of operators registered after this module was imported: ``nd.<name>``,
    the NDArray method and the ``contrib``, ``linalg``, ``image``, ``_internal`` and ``op``
    entries. :func:`minigluon.ops.register` calls it (through ``REGISTRATION_HOOKS``) for every
    registration made after ``import minigluon``."""
    _ops.registry.refresh_namespace(ndarray)


def _taken_name(name):
    """``'nd.<name>'`` (or ``'nd.contrib.<short>'``...) when ``nd`` already holds something else
    under the not yet registered operator name ``name``, else None: :func:`minigluon.ops.register`
    refuses such a name (through ``NAME_CHECKS``), whose ``nd.<name>`` would not be the operator."""
    from minigluon.ndarray._prefixed import taken
    return taken(name, (('nd', globals(), ''), ('nd.contrib', vars(contrib), contrib._PREFIX),
                        ('nd.linalg', vars(linalg), linalg._PREFIX),
                        ('nd.image', vars(image), image._PREFIX)))


# nd.sparse and NumPy mode are out of scope: asking for them says so (hasattr() stays False)
__getattr__ = _base.out_of_scope_getattr('minigluon.ndarray', {
    'sparse': 'sparse storage (nd.sparse; sparse .params files load as dense arrays)',
    'np': 'NumPy mode (nd.np)', 'numpy': 'NumPy mode (nd.numpy)', 'npx': 'NumPy mode (nd.npx)',
    'numpy_extension': 'NumPy mode (nd.numpy_extension)'}, 'use dense NDArrays and the nd operators',
    # functions other libraries (PyTorch) name differently: asking for one names MXNet's
    other_frameworks={'cat': 'use nd.concat(a, b, dim=1), the arrays unpacked (F.concat in hybrid_forward)',
                      'permute': 'use nd.transpose(x, axes=(1, 0)), the axes one tuple',
                      'matmul': 'use nd.dot(a, b) for matrices, nd.batch_dot(a, b) for batches '
                                'of them (3-D)',
                      'tensor': "use nd.array(values), float32 unless dtype= says otherwise",
                      'randn': 'use nd.random.normal(shape=(2, 3))',
                      'rand': 'use nd.random.uniform(shape=(2, 3))'})
