"""Element-wise unary operators: maths, rounding, ``clip``, ``Cast``, ``BlockGrad``, ``add_n``,
and the straight-through estimators ``_contrib_round_ste`` / ``_contrib_sign_ste``.

Semantics, names and aliases follow MXNet 1.9.1 (``src/operator/tensor/elemwise_unary_op_*.cc``).
Each operator keeps its input and output so that its derivative, written right below its
forward rule in the table, can use either. Rounding operators and ``sign`` have a zero gradient,
as in MXNet (their ``_ste`` twins pass it through). On integer arrays the result keeps the
integer dtype (truncated toward zero, as MXNet's kernels cast back); bool arrays are refused with a TypeError. Special functions (``erf``, ``erfinv``, ``gamma``, ``gammaln``) are computed on
the host (``minigluon.ops._special``) when the data lives on a GPU.
"""
import math

import numpy as np

from minigluon.ops import _special
from minigluon.ops.elemwise import scalar_as
from minigluon.ops.nn import _sigmoid, _sigmoid_grad
from minigluon.ops.registry import OPS, Attr, Op, register, require_float, shape_error


class _Unary(Op):
    """``y = f(x)`` with ``dx = d(g, x, y)``; subclasses are generated from the table below."""

    arguments = ('data',)
    allow_bool = False          # only the identity copies a bool array
    same_shape = True

    def forward(self, xp, data):
        if data.dtype.kind == 'b' and not self.allow_bool:
            raise TypeError("%s: data must be a numeric array, got bool; convert it first, e.g. "
                            "x.astype('float32')" % self.name)
        self.x = data
        y = self.f(xp, data)
        if data.dtype.kind in 'iu' and y.dtype.kind == 'f' and y.dtype != np.float64:
            # NumPy computes int8/uint8/int16 maths in float16, which rounds tanh(int8 6) =
            # 0.99998 up to 1; MXNet's kernels compute in double (exp(int32 20) is 485165195),
            # so the truncated result is 0 there and here.
            y = self.f(xp, data.astype(np.float64))
        if y.dtype != data.dtype:
            # Integer input: MXNet computes in the input type, so exp(int32 [1, 4]) is int32
            # [2, 54] (truncated toward zero), never a float64 array.
            y = y.astype(data.dtype)
        self.y = y
        return y

    def backward(self, xp, grad):
        if self.d is None:      # piecewise-constant functions: zero gradient
            return (xp.zeros_like(self.x),)
        return (self.d(xp, grad, self.x, self.y).astype(self.x.dtype, copy=False),)


def _unary(name, f, d, aliases=(), doc=None):
    cls = type(name, (_Unary,), {'name': name, 'aliases': tuple(aliases), 'f': staticmethod(f),
                                 'd': None if d is None else staticmethod(d),
                                 '__doc__': doc or 'Element-wise ``%s`` (MXNet operator ``%s``).'
                                 % (name, name)})
    return register(cls)


def _rint(xp, x):
    # MXNet's rint sends halves down (rint(0.5) = 0, rint(-0.5) = -1), unlike NumPy's half-to-even.
    lo, hi = xp.floor(x), xp.ceil(x)
    return xp.where(x - lo <= hi - x, lo, hi)


def _round(xp, x):
    # MXNet's round sends halves away from zero (round(2.5) = 3, round(-2.5) = -3).
    return xp.sign(x) * xp.floor(xp.abs(x) + 0.5)


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# name, forward f(xp, x), derivative d(xp, g, x, y) or None for zero, aliases
_TABLE = [
    ('negative', lambda xp, x: -x, lambda xp, g, x, y: -g, ()),
    ('abs', lambda xp, x: xp.abs(x), lambda xp, g, x, y: g * xp.sign(x), ()),
    ('sign', lambda xp, x: xp.sign(x), None, ()),
    ('exp', lambda xp, x: xp.exp(x), lambda xp, g, x, y: g * y, ()),
    ('expm1', lambda xp, x: xp.expm1(x), lambda xp, g, x, y: g * (y + 1), ()),
    ('log', lambda xp, x: xp.log(x), lambda xp, g, x, y: g / x, ()),
    ('log1p', lambda xp, x: xp.log1p(x), lambda xp, g, x, y: g / (1 + x), ()),
    ('log2', lambda xp, x: xp.log2(x), lambda xp, g, x, y: g / (x * _LN2), ()),
    ('log10', lambda xp, x: xp.log10(x), lambda xp, g, x, y: g / (x * _LN10), ()),
    ('sqrt', lambda xp, x: xp.sqrt(x), lambda xp, g, x, y: g / (2 * y), ()),
    ('rsqrt', lambda xp, x: 1 / xp.sqrt(x), lambda xp, g, x, y: -0.5 * g * y * y * y, ()),
    ('cbrt', lambda xp, x: xp.cbrt(x), lambda xp, g, x, y: g / (3 * y * y), ()),
    ('rcbrt', lambda xp, x: 1 / xp.cbrt(x), lambda xp, g, x, y: -g * y / (3 * x), ()),
    ('square', lambda xp, x: x * x, lambda xp, g, x, y: 2 * g * x, ()),
    ('reciprocal', lambda xp, x: 1 / x, lambda xp, g, x, y: -g * y * y, ()),
    ('sin', lambda xp, x: xp.sin(x), lambda xp, g, x, y: g * xp.cos(x), ()),
    ('cos', lambda xp, x: xp.cos(x), lambda xp, g, x, y: -g * xp.sin(x), ()),
    ('tan', lambda xp, x: xp.tan(x), lambda xp, g, x, y: g * (1 + y * y), ()),
    ('arcsin', lambda xp, x: xp.arcsin(x), lambda xp, g, x, y: g / xp.sqrt(1 - x * x), ()),
    ('arccos', lambda xp, x: xp.arccos(x), lambda xp, g, x, y: -g / xp.sqrt(1 - x * x), ()),
    ('arctan', lambda xp, x: xp.arctan(x), lambda xp, g, x, y: g / (1 + x * x), ()),
    ('sinh', lambda xp, x: xp.sinh(x), lambda xp, g, x, y: g * xp.cosh(x), ()),
    ('cosh', lambda xp, x: xp.cosh(x), lambda xp, g, x, y: g * xp.sinh(x), ()),
    ('tanh', lambda xp, x: xp.tanh(x), lambda xp, g, x, y: g * (1 - y * y), ()),
    ('arcsinh', lambda xp, x: xp.arcsinh(x), lambda xp, g, x, y: g / xp.sqrt(x * x + 1), ()),
    ('arccosh', lambda xp, x: xp.arccosh(x), lambda xp, g, x, y: g / xp.sqrt(x * x - 1), ()),
    ('arctanh', lambda xp, x: xp.arctanh(x), lambda xp, g, x, y: g / (1 - x * x), ()),
    ('degrees', lambda xp, x: x * (180.0 / math.pi), lambda xp, g, x, y: g * (180.0 / math.pi), ()),
    ('radians', lambda xp, x: x * (math.pi / 180.0), lambda xp, g, x, y: g * (math.pi / 180.0), ()),
    # from the output, as MXNet's _backward_relu: an input written over after the call (outside
    # record) leaves the gradient alone
    ('relu', lambda xp, x: xp.maximum(x, 0), lambda xp, g, x, y: g * (y > 0), ()),
    ('sigmoid', _sigmoid, lambda xp, g, x, y: _sigmoid_grad(xp, g, y), ()),
    ('softsign', lambda xp, x: x / (1 + xp.abs(x)),
     lambda xp, g, x, y: g / ((1 + xp.abs(x)) ** 2), ()),
    ('erf', _special.erf, lambda xp, g, x, y: g * _TWO_OVER_SQRT_PI * xp.exp(-x * x), ()),
    ('erfinv', _special.erfinv, lambda xp, g, x, y: g * (math.sqrt(math.pi) / 2) * xp.exp(y * y), ()),
    ('gamma', _special.gamma, lambda xp, g, x, y: g * y * _special.digamma(xp, x), ()),
    ('gammaln', _special.gammaln, lambda xp, g, x, y: g * _special.digamma(xp, x), ()),
    ('floor', lambda xp, x: xp.floor(x), None, ()),
    ('ceil', lambda xp, x: xp.ceil(x), None, ()),
    ('round', _round, None, ()),
    ('rint', _rint, None, ()),
    ('fix', lambda xp, x: xp.trunc(x), None, ()),
    ('trunc', lambda xp, x: xp.trunc(x), None, ()),
    ('logical_not', lambda xp, x: (x == 0).astype(x.dtype), None, ()),     # 1/0 in x's dtype
    ('_copy', lambda xp, x: x.copy(), lambda xp, g, x, y: g, ('identity',)),
]

# Straight-through estimators (Bengio et al. 2013, "Estimating or Propagating Gradients Through
# Stochastic Neurons"): round / sign forward, the gradient passed through unchanged
_STE_DOC = ('Element-wise ``%s`` with a straight-through gradient: the forward is ``%s`` (%s), '
            'the backward passes the incoming gradient through unchanged (1 everywhere instead '
            'of 0), for quantized training (MXNet 1.9.1 ``%s``). Same shape and dtype as ``data``.')
_TABLE += [
    ('_contrib_round_ste', _round, lambda xp, g, x, y: g, (),
     _STE_DOC % ('round', 'round', 'halves away from zero', '_contrib_round_ste')),
    ('_contrib_sign_ste', lambda xp, x: xp.sign(x), lambda xp, g, x, y: g, (),
     _STE_DOC % ('sign', 'sign', '-1, 0 or 1; NaN stays NaN as in ``sign``, MXNet gives 0',
                 '_contrib_sign_ste')),
]

for _name, _f, _d, _aliases, *_doc in _TABLE:
    _unary(_name, _f, _d, _aliases, *_doc)
OPS['_copy'].allow_bool = True
OPS['logical_not'].differentiable = False      # a 0/1 mask, as the comparisons


@register
class Clip(Op):
    """Clip ``data`` to ``[a_min, a_max]`` by MXNet 1.9.1's rule: ``x > a_max ? a_max : (x <
    a_min ? a_min : x)``.

    The gradient passes where neither comparison holds (bounds included) and is zero outside, as
    in MXNet. What the rule means at the edges, as in MXNet: ``a_min > a_max`` is not refused
    (values above ``a_max`` become ``a_max``, the others below ``a_min`` become ``a_min``, and
    the gradient is zero but at NaN); a NaN bound clips nothing on its side; a NaN input stays
    NaN and passes its gradient; ``-0.0`` is not below ``a_min=0.0`` and stays ``-0.0``.
    (``np.clip`` gives NaN everywhere for a NaN bound.)
    """

    name = 'clip'
    same_shape = True
    attrs = {'a_min': Attr('number'), 'a_max': Attr('number')}   # '6' stays '6' in JSON, as in MXNet

    def forward(self, xp, data):
        self.x = data
        # MXNet keeps the bounds as C++ floats: -0.1 clips float64 data at -0.10000000149...
        lo, hi = self.bounds = float(np.float32(self.a_min)), float(np.float32(self.a_max))
        if data.dtype.kind in 'iu':
            # the bounds in the data's dtype, so the values left alone stay exact (int64 2**53 + 1
            # went through float64 and came back 2**53; MXNet keeps it)
            put_lo, put_hi = (scalar_as(b, data.dtype) if math.isfinite(b) else 0 for b in (lo, hi))
        else:
            put_lo, put_hi = lo, hi
        out = xp.where(data > hi, put_hi, xp.where(data < lo, put_lo, data))
        return out.astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        lo, hi = self.bounds
        return (grad * ~((self.x < lo) | (self.x > hi)),)


@register
class HardSigmoid(Op):
    """``max(0, min(1, alpha * x + beta))`` (MXNet ``hard_sigmoid``)."""

    name = 'hard_sigmoid'
    same_shape = True
    attrs = {'alpha': Attr('float', 0.2), 'beta': Attr('float', 0.5)}

    def forward(self, xp, data):
        require_float(self, data)       # an integer result truncates (MXNet 1.9.1 refuses it)
        self.y = xp.clip(self.alpha * data + self.beta, 0, 1).astype(data.dtype, copy=False)
        return self.y

    def backward(self, xp, grad):
        return (grad * self.alpha * ((self.y > 0) & (self.y < 1)),)


@register
class BlockGrad(Op):
    """Identity in forward; stops the gradient (its input receives zeros)."""

    name = 'BlockGrad'
    aliases = ('stop_gradient',)
    same_shape = True

    def forward(self, xp, data):
        self.x = data
        return data.copy()

    def backward(self, xp, grad):
        return (xp.zeros_like(self.x),)


_CAST_TYPES = ('bool', 'float16', 'float32', 'float64', 'int32', 'int64', 'int8', 'uint8')


@register
class Cast(Op):
    """Cast ``data`` to ``dtype``; the gradient is cast back to the input dtype.

    ``dtype`` is one of bool, float16, float32, float64, int32, int64, int8, uint8 (MXNet also
    lists bfloat16, which NumPy lacks). Float to int truncates toward zero.
    """

    name = 'Cast'
    aliases = ('cast',)
    same_shape = True
    attrs = {'dtype': Attr('dtype', choices=_CAST_TYPES)}

    def forward(self, xp, data):
        self.in_dtype = data.dtype
        return data.astype(self.dtype)

    def backward(self, xp, grad):
        # an integer input gets the gradient cast (truncated) to its dtype, as in MXNet 1.9.1 and
        # as the other operators give integer inputs theirs; a bool input gets none
        if self.in_dtype.kind == 'b':
            return (None,)
        return (grad.astype(self.in_dtype),)

    def infer_type(self, in_types):
        return in_types, [np.dtype(self.dtype)]


class _Like(Op):
    """An array of the input's shape and dtype filled with a constant; zero gradient.

    ``dtype`` is accepted and ignored, as MXNet 1.9.1 ignores it (these operators have no
    parameters there, and MXNet drops unknown attributes of such operators): the result keeps
    ``data``'s dtype, and export writes the attribute as given. GluonCV's ``CenterNetDecoder``
    calls ``F.zeros_like(x, dtype='int64')`` on an int64 ``x``.
    """

    same_shape = True
    attrs = {'dtype': Attr('any', None)}

    def forward(self, xp, data):
        self.x = data
        return xp.full_like(data, self.value)

    def backward(self, xp, grad):
        return (xp.zeros_like(self.x),)


@register
class ZerosLike(_Like):
    """An array of zeros with the shape and dtype of ``data``."""

    name = 'zeros_like'
    value = 0


@register
class OnesLike(_Like):
    """An array of ones with the shape and dtype of ``data``."""

    name = 'ones_like'
    value = 1


@register
class AddN(Op):
    """Element-wise sum of any number of arrays of the same shape (``add_n(a, b, c)``).

    Raises ValueError naming every input's shape when the shapes differ.
    """

    name = 'add_n'
    mxnet_input_names = True
    aliases = ('ElementWiseSum',)
    arguments = None
    attrs = {'num_args': Attr('int')}

    def check_attrs(self):
        if self.num_args < 1:
            raise ValueError('add_n: num_args must be >= 1, got %d' % self.num_args)

    def forward(self, xp, *arrays):
        if len(arrays) != self.num_args:
            raise ValueError('add_n: num_args=%d but %d arrays were given'
                             % (self.num_args, len(arrays)))
        if any(a.shape != arrays[0].shape for a in arrays):
            raise shape_error(self, 'all inputs must have the same shape', *arrays)
        out = arrays[0].copy()
        for a in arrays[1:]:
            out += a
        return out

    def backward(self, xp, grad):
        return tuple(grad for _ in range(self.num_args))
