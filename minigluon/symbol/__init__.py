"""The ``sym`` namespace: Symbol, variables, groups, JSON I/O and one function per registered operator.

Operator functions are generated from the registry, as MXNet generates ``mx.sym`` from its C++
registry: ``sym.FullyConnected(data, num_hidden=3, name='fc1')`` creates the variables
``fc1_weight`` and ``fc1_bias`` for the inputs not given.
"""
from minigluon import base as _base
import sys as _sys

from minigluon import ops as _ops
from minigluon.symbol.symbol import Symbol  # noqa: F401
from minigluon.symbol.creation import Group, Variable, make_function as _make_function, var  # noqa: F401
from minigluon.symbol.json_io import load, load_json  # noqa: F401
from minigluon.symbol.op_names import MX_ALIASES as _MX_ALIASES


def _populate(namespace):
    """Put a ``sym.<name>`` function (:func:`~minigluon.symbol.creation.make_function`) for every
    registered operator name and alias, and for MXNet's other names of them (``MX_ALIASES``),
    into ``namespace`` (this module's globals), keeping names already defined there."""
    names = list(_ops.OPS) + [a for a, target in _MX_ALIASES.items() if target in _ops.OPS]
    for name in names:
        if name not in namespace:
            namespace[name] = _make_function(name)


_populate(globals())
from minigluon.symbol.creation import Custom  # noqa: E402,F811 (inputs by name: ops.custom)

# power/pow, maximum, minimum, hypot with a Symbol or a number on either side (MXNet's Python
# functions; two Symbols give the element-wise ``_power``, ``_maximum``... nodes MXNet writes)
from minigluon.ndarray.binary import make_binary_functions as _make_binary  # noqa: E402

globals().update({k: v for k, v in _make_binary(Symbol, globals(), symbolic=True).items()
                  if k in ('power', 'maximum', 'minimum', 'hypot')})
pow = power  # noqa: A001,F821 -- defined just above

# split_v2 over _split_v2 (sections passed through, as MXNet's sym.split_v2 does)
from minigluon.ndarray.layout_funcs import make_layout_functions as _make_layout  # noqa: E402

globals().update(_make_layout(globals(), symbolic=True))

# histogram over _histogram (range required: a Symbol has no values to take it from)
from minigluon.ndarray.histogram import make_histogram as _make_histogram  # noqa: E402

globals().update(_make_histogram(globals(), Symbol, symbolic=True))


def _filled(op_name, shape, dtype, kwargs):
    return globals()[op_name](shape=shape, dtype='float32' if dtype is None else _np_dtype(dtype).name,
                              **kwargs)


def _np_dtype(dtype):
    import numpy
    return numpy.dtype(dtype)


def zeros(shape, dtype=None, **kwargs):
    """A ``_zeros`` node of ``shape`` (a 0 marks a size filled at run time, e.g. the batch)."""
    return _filled('_zeros', shape, dtype, kwargs)


def ones(shape, dtype=None, **kwargs):
    """A ``_ones`` node of ``shape``."""
    return _filled('_ones', shape, dtype, kwargs)


def full(shape, val, dtype=None, **kwargs):
    """A ``_full`` node of ``shape`` filled with ``val``."""
    return _filled('_full', shape, dtype, dict(kwargs, value=val))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    """An ``_arange`` node: ``start, start + step, ...`` below ``stop``, each ``repeat`` times."""
    return _filled_range('_arange', name, dtype, dict(start=start, stop=stop, step=step,
                                                      repeat=repeat, infer_range=infer_range))


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """A ``_linspace`` node: ``num`` evenly spaced values from ``start`` to ``stop``."""
    return _filled_range('_linspace', name, dtype, dict(start=start, stop=stop, num=num,
                                                        endpoint=endpoint))


def eye(N, M=0, k=0, dtype=None, **kwargs):
    """An ``_eye`` node: an ``N x M`` matrix with ones on diagonal ``k``."""
    return _filled_range('_eye', kwargs.pop('name', None), dtype, dict(kwargs, N=N, M=M, k=k))


def _filled_range(op_name, name, dtype, attrs):
    dtype = 'float32' if dtype is None else _np_dtype(dtype).name
    return globals()[op_name](name=name, dtype=dtype, **attrs)


def refresh():
    """Add functions for operators registered after this module was imported (here and in
    ``contrib``, ``linalg``, ``image``, ``_internal`` and ``op``); :func:`minigluon.ops.register`
    calls it for every registration made after ``import minigluon``."""
    _ops.registry.refresh_namespace(_sys.modules[__name__])


def _taken_name(name):
    """``'sym.<name>'`` (or ``'sym.contrib.<short>'``...) when ``sym`` already holds something
    else under the not yet registered operator name ``name`` (``sym.var``, ``sym.load``), else
    None; :func:`minigluon.ops.register` refuses such a name (``F.<name>`` would not be the
    operator)."""
    from minigluon.ndarray._prefixed import taken
    from minigluon.ndarray import contrib as ndc, image as ndi, linalg as ndl
    return taken(name, (('sym', globals(), ''), ('sym.contrib', vars(contrib), ndc._PREFIX),
                        ('sym.linalg', vars(linalg), ndl._PREFIX),
                        ('sym.image', vars(image), ndi._PREFIX)))


from minigluon.symbol import contrib  # noqa: E402,F401

_sys.modules.setdefault('minigluon.sym.contrib', contrib)    # ``import minigluon.sym.contrib``

from minigluon.symbol import linalg  # noqa: E402,F401  (sym.linalg.gemm2 and co.)

_sys.modules.setdefault('minigluon.sym.linalg', linalg)      # ``import minigluon.sym.linalg``

from minigluon.symbol import image  # noqa: E402,F401  (sym.image.to_tensor and co.)

_sys.modules.setdefault('minigluon.sym.image', image)        # ``import minigluon.sym.image``

from minigluon.symbol import random  # noqa: E402,F401  (sym.random.uniform: F.random when hybridized)

_sys.modules.setdefault('minigluon.sym.random', random)      # ``import minigluon.sym.random``

from minigluon.symbol import _internal  # noqa: E402,F401  (sym._internal._plus is sym._plus)

_sys.modules.setdefault('minigluon.sym._internal', _internal)  # ``import minigluon.sym._internal``

from minigluon.symbol import op  # noqa: E402,F401  (sym.op.Convolution is sym.Convolution; last)

_sys.modules.setdefault('minigluon.sym.op', op)              # ``import minigluon.sym.op``

symbol = _sys.modules[__name__]

# sym.sparse and NumPy mode are out of scope: asking for them says so (hasattr() stays False)
__getattr__ = _base.out_of_scope_getattr('minigluon.symbol', {
    'sparse': 'sparse storage (sym.sparse)', 'np': 'NumPy mode (sym.np)',
    'numpy': 'NumPy mode (sym.numpy)', 'npx': 'NumPy mode (sym.npx)',
    'numpy_extension': 'NumPy mode (sym.numpy_extension)'}, 'use the dense sym operators',
    # functions other libraries (PyTorch) name differently, as in hybrid_forward's F: named as in nd
    other_frameworks={'cat': 'use F.concat(a, b, dim=1), the inputs unpacked',
                      'permute': 'use F.transpose(x, axes=(1, 0)), the axes one tuple',
                      'matmul': 'use F.dot(a, b) for matrices, F.batch_dot(a, b) for batches '
                                'of them (3-D)'})
