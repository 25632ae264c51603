"""Weight initializers: ``Uniform``, ``Normal``, ``Xavier``, ``MSRAPrelu``, ``Orthogonal``, ``Zero``...

Semantics follow ``mxnet.initializer`` (MXNet 1.9.1). An initializer is called as
``init(desc, arr)`` where ``desc`` is an :class:`InitDesc` (a parameter name carrying attributes) and
``arr`` an NDArray filled in place. When ``desc.attrs['__init__']`` names an initializer (which Gluon
always sets, see ``Parameter.initialize``), that initializer's ``_init_weight`` fills the array
whatever the name; otherwise the name suffix chooses, with MXNet 1.9.1's patterns: ``*weight`` ->
``_init_weight``, ``*bias`` / ``*beta`` / ``*min`` -> zeros, ``*gamma`` / ``*max`` -> ones, and any
other name raises ``ValueError``. The deprecated call with a plain ``str`` name keeps MXNet's older
patterns (``*moving_mean`` zeros, ``*moving_var`` ones, ``upsampling*`` bilinear...).

Initializers are registered under lower-case names (``'uniform'``, ``'zeros'``, ``'xavier'``...) and
can be rebuilt from those names or from their JSON :meth:`Initializer.dumps` form with :func:`create`.
Random numbers come from :func:`minigluon.random.generator` so ``mx.random.seed`` makes them
reproducible. The composite ``Load`` and ``Mixed`` live in :mod:`minigluon.initializer_composite`
and are re-exported here.
"""
import json
import warnings

import numpy as np

_REGISTRY = {}


def register(klass):
    """Class decorator registering an Initializer under its lower-case class name."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError('register: expected an Initializer subclass, got %r' % (klass,))
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*aliases):
    """Class decorator registering an Initializer under extra names (``@alias('zeros')``)."""
    def reg(klass):
        for name in aliases:
            _REGISTRY[name.lower()] = klass
        return klass
    return reg


def create(init, **kwargs):
    """Build an Initializer from an instance, a registered name or a JSON dump.

    Parameters
    ----------
    init : Initializer or str
        An instance (returned as is), a name such as ``'xavier'`` or ``'zeros'``, or the JSON form
        ``'["xavier", {"magnitude": 2}]'`` written by :meth:`Initializer.dumps`.
    **kwargs
        Constructor arguments when ``init`` is a name.

    Raises
    ------
    ValueError
        For an unknown name or a malformed JSON form.
    TypeError
        For any other type.
    """
    if isinstance(init, Initializer):
        return init
    if isinstance(init, type) and issubclass(init, Initializer):
        return init(**kwargs)
    if not isinstance(init, str):
        raise TypeError('initializer.create: init must be an Initializer, a name or a JSON string, '
                        'got %s' % type(init).__name__)
    if init.startswith('['):
        try:
            name, args = json.loads(init)
        except (ValueError, TypeError) as err:
            raise ValueError('initializer.create: malformed JSON initializer %r (%s)' % (init, err)) from None
        kwargs = dict(args, **kwargs)
    else:
        name = init
    klass = _REGISTRY.get(name.lower())
    if klass is None:
        raise ValueError('initializer.create: unknown initializer %r; registered names are %s'
                         % (name, ', '.join(sorted(_REGISTRY))))
    return klass(**kwargs)


class InitDesc(str):
    """A parameter name (a ``str``) with the attributes an initializer looks at.

    Parameters
    ----------
    name : str
    attrs : dict, optional
        ``'__init__'`` holds the initializer chosen for this parameter (instance, name or JSON).
    global_init : Initializer, optional
    """

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _rng():
    """The process random generator (``minigluon.random``), or NumPy's global one as a fallback."""
    try:
        from minigluon import random as mg_random
        return mg_random.generator(np)
    except (ImportError, AttributeError):
        return np.random


def _fill(arr, values):
    """Write host values into the NDArray ``arr`` (cast to its dtype)."""
    arr[:] = np.asarray(values).astype(arr.dtype, copy=False)


class Initializer:
    """Base class of initializers; subclasses override ``_init_weight(name, arr)``.

    ``kwargs`` given to the constructor are what :meth:`dumps` writes into an exported graph.

    Writing one, as in MXNet 1.9.1: subclass it, pass the constructor's arguments on
    (``super().__init__(scale=scale)``, so that :meth:`dumps` and ``repr`` show them), fill
    ``arr`` in place in ``_init_weight(name, arr)`` (``arr[:] = ...``; ``name`` is the
    parameter's :class:`InitDesc`, a ``str``), and decorate the class with ``@mx.init.register``:
    ``net.initialize('<lowercase class name>')`` then finds it. The name decides which method
    runs (``*weight`` -> ``_init_weight``, ``*bias`` -> ``_init_bias``...), but a parameter whose
    layer sets its own initializer (``Dense``'s ``bias_initializer='zeros'``) uses that one.
    """

    # Class-level defaults, so that a subclass whose __init__ does not call super().__init__()
    # still works (MXNet 1.9.1 fails there with "AttributeError: ... no attribute '_verbose'");
    # instances replace them, nothing changes them in place.
    _kwargs = {}
    _verbose = False
    _print_func = None

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Print a line (via ``print_func``, default: the array's norm) after each initialization."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                return 'norm %g' % float(np.linalg.norm(x.asnumpy()) / np.sqrt(max(x.size, 1)))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            print('Initialized %s as %s: %s' % (desc, init, self._print_func(arr)))

    def dumps(self):
        """JSON form ``'["name", {kwargs}]'`` (used in the ``__init__`` attribute of exported variables)."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__,
                           ', '.join('%s=%r' % kv for kv in self._kwargs.items()))

    def __eq__(self, other):
        """Initializers of the same class built with the same arguments are equal, as in MXNet
        1.9.1: a block that shares another's parameters (``params=``) and builds its own
        ``Normal(0.02)`` asks ``ParameterDict.get`` for a Parameter whose stored initializer is
        another, equal ``Normal(0.02)`` (GluonNLP's GPT-2). As in MXNet, they are unhashable."""
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    def __call__(self, desc, arr):
        """Fill the NDArray ``arr`` for the parameter described by ``desc`` (an InitDesc or name)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        # MXNet 1.9.1's name patterns for a description without '__init__' (the backend gives
        # other variables, BatchNorm's moving statistics included, an '__init__' attribute)
        for suffix, method in (('weight', self._init_weight), ('bias', self._init_bias),
                               ('gamma', self._init_gamma), ('beta', self._init_beta),
                               ('min', self._init_zero), ('max', self._init_one),
                               ('weight_quantize', self._init_quantized_weight),
                               ('bias_quantize', self._init_zero)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """``init(name, arr)`` with a plain ``str``: MXNet 1.9.1's older, wider name patterns
        (``upsampling*`` bilinear, ``stn_loc*`` weight zero and bias the identity transform,
        ``*moving_mean`` / ``*moving_inv_var`` / ``*moving_avg`` zero, ``*moving_var`` one)."""
        warnings.warn('Calling an initializer with a plain name is deprecated; pass an InitDesc.',
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, str):
            raise TypeError('initializer: name must be a str or InitDesc, got %s' % type(name).__name__)
        if name.startswith('upsampling'):
            self._init_bilinear(name, arr)
        elif name.startswith('stn_loc') and name.endswith('weight'):
            self._init_zero(name, arr)
        elif name.startswith('stn_loc') and name.endswith('bias'):
            self._init_loc_bias(name, arr)
        elif name.endswith('bias'):
            self._init_bias(name, arr)
        elif name.endswith('gamma'):
            self._init_gamma(name, arr)
        elif name.endswith('beta'):
            self._init_beta(name, arr)
        elif name.endswith('weight'):
            self._init_weight(name, arr)
        elif name.endswith(('moving_mean', 'moving_inv_var', 'moving_avg', 'min')):
            self._init_zero(name, arr)
        elif name.endswith(('moving_var', 'max')):
            self._init_one(name, arr)
        else:
            self._init_default(name, arr)

    def _init_loc_bias(self, name, arr):
        """The identity affine transform ``[1, 0, 0, 0, 1, 0]`` of a spatial transformer's
        localisation bias (shape ``(6,)``; MXNet asserts a first axis of 6)."""
        if len(arr.shape) != 1 or arr.shape[0] != 6:
            raise ValueError('initializer: %s is a spatial-transformer localisation bias and must '
                             'have shape (6,), got %s' % (name, tuple(arr.shape)))
        _fill(arr, [1.0, 0, 0, 0, 1.0, 0])

    def _init_quantized_weight(self, _, arr):
        """Random integers in [-127, 127) (MXNet's int8 weight of a quantized graph)."""
        _fill(arr, _rng().randint(-127, 127, size=tuple(arr.shape)))

    def _init_bilinear(self, _, arr):
        shape = arr.shape
        weight = np.zeros(int(np.prod(shape)), dtype='float32')
        f = np.ceil(shape[3] / 2.)
        c = (2 * f - 1 - f % 2) / (2. * f)
        for i in range(weight.size):
            x = i % shape[3]
            y = (i // shape[3]) % shape[2]
            weight[i] = (1 - abs(x / f - c)) * (1 - abs(y / f - c))
        _fill(arr, weight.reshape(shape))

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        raise NotImplementedError('%s must override _init_weight' % type(self).__name__)

    def _init_default(self, name, _):
        raise ValueError('Unknown initialization pattern for %s. Default initialization is limited to '
                         'names ending in "weight", "bias", "gamma" (1.0) and "beta" (0.0); give the '
                         'parameter an explicit init=' % name)


@register
@alias('zeros')
class Zero(Initializer):
    """Fill with 0."""

    def _init_weight(self, _, arr):
        arr[:] = 0.0


@register
@alias('ones')
class One(Initializer):
    """Fill with 1."""

    def _init_weight(self, _, arr):
        arr[:] = 1.0


@register
class Constant(Initializer):
    """Fill with ``value`` (a scalar, or an array broadcastable to the parameter's shape)."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name, arr):
        value = self.value
        if hasattr(value, 'asnumpy'):
            value = value.asnumpy()
        value = np.asarray(value)
        try:
            value = np.broadcast_to(value, arr.shape)
        except ValueError:
            # (MXNet 1.9.1 raises NumPy's broadcast error here, naming neither)
            raise ValueError('init.Constant: a value of shape %s cannot fill %s of shape %s; give a scalar '
                             'or an array broadcastable to that shape' % (value.shape, name, arr.shape)) from None
        _fill(arr, value)

    def dumps(self):
        val = self._kwargs['value']
        if hasattr(val, 'asnumpy'):
            val = val.asnumpy()
        if isinstance(val, np.ndarray):
            val = val.tolist()
        return json.dumps([self.__class__.__name__.lower(), {'value': val}])


@register
class Uniform(Initializer):
    """Values drawn uniformly from ``[-scale, scale]`` (MXNet default ``scale=0.07``)."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _fill(arr, _rng().uniform(-self.scale, self.scale, size=arr.shape))


@register
class Normal(Initializer):
    """Values drawn from ``N(0, sigma**2)`` (default ``sigma=0.01``)."""

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _fill(arr, _rng().normal(0, self.sigma, size=arr.shape))


@register
class Orthogonal(Initializer):
    """Orthogonal matrix times ``scale`` (Saxe et al. 2013, "Exact solutions to the nonlinear dynamics...").

    The parameter is viewed as ``(shape[0], prod(shape[1:]))``; ``rand_type`` is ``'uniform'`` or
    ``'normal'`` for the random matrix whose SVD factor is used.
    """

    def __init__(self, scale=1.414, rand_type='uniform'):
        super().__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ('uniform', 'normal'):
            raise ValueError("Orthogonal: rand_type must be 'uniform' or 'normal', got %r" % rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        rng = _rng()
        tmp = (rng.uniform(-1.0, 1.0, size=(nout, nin)) if self.rand_type == 'uniform'
               else rng.normal(0.0, 1.0, size=(nout, nin)))
        u, _s, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _fill(arr, self.scale * res.reshape(arr.shape))


@register
class Xavier(Initializer):
    """Glorot & Bengio (2010) initialization, "Understanding the difficulty of training deep nets".

    ``scale = sqrt(magnitude / factor)`` where ``factor`` is ``fan_in``, ``fan_out`` or their mean
    (``factor_type`` ``'in'``, ``'out'``, ``'avg'``), with ``fan_in = shape[1] * prod(shape[2:])``,
    ``fan_out = shape[0] * prod(shape[2:])``; values are uniform on ``[-scale, scale]`` or normal with
    standard deviation ``scale`` (``rnd_type`` ``'uniform'`` / ``'gaussian'``).

    Raises
    ------
    ValueError
        On a parameter with fewer than 2 dimensions, or an unknown ``rnd_type``/``factor_type``.
    """

    def __init__(self, rnd_type='uniform', factor_type='avg', magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ('uniform', 'gaussian'):
            raise ValueError("Xavier: rnd_type must be 'uniform' or 'gaussian', got %r" % (rnd_type,))
        if factor_type not in ('avg', 'in', 'out'):
            raise ValueError("Xavier: factor_type must be 'avg', 'in' or 'out', got %r" % (factor_type,))
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError('Xavier initializer cannot be applied to vector {0}. It requires at '
                             'least 2D.'.format(name))
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factor = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}[self.factor_type]
        scale = np.sqrt(self.magnitude / factor)
        rng = _rng()
        if self.rnd_type == 'uniform':
            _fill(arr, rng.uniform(-scale, scale, size=shape))
        else:
            _fill(arr, rng.normal(0, scale, size=shape))


@register
class MSRAPrelu(Xavier):
    """He et al. (2015) initialization for PReLU nets: Gaussian Xavier with magnitude ``2/(1+slope**2)``."""

    def __init__(self, factor_type='avg', slope=0.25):
        super().__init__('gaussian', factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Bilinear upsampling kernel (for Deconvolution weights)."""

    def _init_weight(self, name, arr):
        self._init_bilinear(name, arr)


@register
class LSTMBias(Initializer):
    """Zero bias except the forget gate (second quarter, gate order i, f, c, o) set to ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        num_hidden = arr.shape[0] // 4
        arr[num_hidden:2 * num_hidden] = self.forget_bias


# The composite initializers build on the classes above, so they are imported last (the package
# ``__init__`` imports this module first); re-exported so ``mx.init.Load``/``Mixed`` keep working.
from minigluon.initializer_composite import FusedRNN, Load, Mixed, _apply  # noqa: E402,F401 (re-exported)
