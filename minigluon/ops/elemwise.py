"""Element-wise arithmetic of two operands: binary (``elemwise_*``, ``broadcast_*``, the
comparisons) and scalar (``_plus_scalar``...). One-operand maths (``relu``, ``exp``) is in
:mod:`minigluon.ops.unary`.

Each family is one base class (:class:`_Binary`, :class:`_Scalar`) holding ``forward``,
``backward`` and the shape and type rules, and a factory (:func:`_binary`, :func:`_scalar`)
that makes and registers one subclass per MXNet operator from its maths and gradient.

MXNet distinguishes ``elemwise_add`` (same shapes) from ``broadcast_add``; minigluon registers
them as one class (the second an alias), so ``elemwise_*`` also broadcast and ``a + b`` means the
same eagerly and hybridized (MXNet's Symbol ``+`` refuses to broadcast). Exported graphs write MXNet's
operator name for the function that made the node (:func:`minigluon.symbol.op_names.json_op_name`). Semantics: MXNet
1.9.1 ``src/operator/tensor/elemwise_binary_broadcast_op_*.cc`` and
``elemwise_binary_scalar_op_*.cc``, with the dtype rules documented at :func:`promote` and
:func:`scalar_as`.
"""
import math
import numbers

import numpy as np

from minigluon.base import MXNetError, ShapeConflictError
from minigluon.ops.registry import Attr, Op, register, unbroadcast


# ---------------------------------------------------------------------------------------------------
# Binary operators with broadcasting

def promote(a, b):
    """Result dtype of mixing ``a`` and ``b``: a floating operand's dtype wins over an integer one
    (int32 + float32 is float32, as in PyTorch; NumPy would give float64 and MXNet 1.9.1 raises)."""
    if a == b:
        return a
    fa, fb = a.kind == 'f', b.kind == 'f'
    if fa != fb:
        return a if fa else b
    return np.result_type(a, b)


class _Binary(Op):
    """``out = compute(xp, lhs, rhs)`` with NumPy broadcasting; the subclasses (one per MXNet
    operator and its aliases) are made by :func:`_binary` from a ``compute`` function and a
    ``grads(self, xp, g, lhs, rhs)`` function returning ``(d lhs, d rhs)`` at full (broadcast)
    shape, which :meth:`backward` sums back to each operand's shape (:func:`unbroadcast`).

    Inputs ``lhs``, ``rhs`` of any shapes that broadcast; the output has the broadcast shape
    and the :func:`promote` dtype (int64 for two bool arrays).
    """

    arguments = ('lhs', 'rhs')
    mxnet_input_names = True

    def forward(self, xp, lhs, rhs):
        if lhs.dtype == rhs.dtype == np.bool_:
            # Arithmetic on two bool arrays counts in int64 (True + True is 2), as a bool array
            # with a number does in MXNet; MXNet 1.9.1 refuses two bool arrays ("does not
            # support boolean type"), and NumPy's bool + bool is a logical or.
            lhs, rhs = lhs.astype(np.int64), rhs.astype(np.int64)
        elif lhs.dtype != rhs.dtype:
            dt = promote(lhs.dtype, rhs.dtype)
            lhs, rhs = lhs.astype(dt, copy=False), rhs.astype(dt, copy=False)
        self.lhs, self.rhs = lhs, rhs
        out = self.compute(xp, lhs, rhs)
        self.out = out
        return out

    def backward(self, xp, grad):
        gl, gr = self.grads(xp, grad, self.lhs, self.rhs)
        return (None if gl is None else unbroadcast(xp, gl, self.lhs.shape),
                None if gr is None else unbroadcast(xp, gr, self.rhs.shape))

    def infer_type(self, in_types):
        """With both dtypes known the output has their :func:`promote` dtype, as :meth:`forward`
        computes it (MXNet 1.9.1 rejects mixed dtypes); otherwise the element-wise rule."""
        if len(in_types) == 2 and all(t is not None for t in in_types):
            a, b = (np.dtype(t) for t in in_types)
            if a != b:
                return list(in_types), [promote(a, b)]
        return super().infer_type(in_types)

    def infer_shape(self, in_shapes):
        """Known shapes: the broadcast result. Otherwise dimension by dimension, right-aligned as
        in broadcasting, with MXNet's rule for the name the graph node was made with
        (``_infer_op_name``, set by the graph sweep; else this operator's name):

        * ``broadcast_*``: an output dimension is the size other than 1 that an operand (or a
          known output) gives it, 1 where all give 1, else unknown (0): ``(0, 10)`` with
          ``(1, 10)`` gives ``(0, 10)``. Operands are not completed (an unknown one may be 1),
          and a wholly unknown operand leaves the output unknown (it may have more axes).
        * the others (``elemwise_*``, ``+``, ``_maximum``...) want equal shapes, so an unknown
          dimension, or a wholly unknown operand, takes the size the other operands give, 1
          included: the zero begin state ``_zeros(shape=(0, H))`` of a cell unrolled in a
          hybridized block learns its batch size from the data it is added to, and a label
          variable in ``square(pred - label)`` its shape.

        Raises ShapeConflictError when, with some dimension unknown, known sizes other than 1
        differ; with every shape known, the forward pass on zeros raises (a ValueError naming
        the shapes)."""
        if all(s is not None and 0 not in s for s in in_shapes):
            return super().infer_shape(in_shapes)
        out = (getattr(self, '_infer_outputs', None) or [None])[0]
        broadcast = (getattr(self, '_infer_op_name', None) or self.name).startswith('broadcast_')
        known = [tuple(s) for s in list(in_shapes) + [out] if s is not None]
        if not known:
            raise MXNetError('%s: cannot infer the shapes of inputs %s' % (self.name, in_shapes))
        ndim = max(len(s) for s in known)
        full = []
        for j in range(ndim, 0, -1):
            col = [s[-j] if len(s) >= j else 1 for s in known]
            sizes = {d for d in col if d > 1}
            if len(sizes) > 1:
                raise ShapeConflictError('%s: shapes %s cannot be broadcast together (output %s)'
                                         % (self.name, list(in_shapes), out))
            full.append(sizes.pop() if sizes else 0 if 0 in col and (broadcast or 1 not in col)
                        else 1)
        full = tuple(full)
        if broadcast:
            if any(s is None for s in in_shapes) and out is None:
                # an operand of unknown rank may add leading axes: the output is unknown (MXNet)
                return list(in_shapes), [None]
            return list(in_shapes), [full]
        fill = [full if s is None else tuple(d or f for d, f in zip(s, full[ndim - len(s):]))
                for s in in_shapes]
        return fill, [full]


def _binary(name, aliases, compute, grads):
    """Make and register the :class:`_Binary` operator class ``name`` (MXNet's operator name)
    with ``aliases``, computing ``compute(xp, lhs, rhs)`` with gradients ``grads``."""
    cls = type(name, (_Binary,), {'name': name, 'aliases': tuple(aliases),
                                  'compute': staticmethod(compute), 'grads': grads})
    return register(cls)


def _g_add(self, xp, g, a, b):
    return g, g


def _g_sub(self, xp, g, a, b):
    return g, -g


def _g_mul(self, xp, g, a, b):
    return g * b, g * a


def _g_div(self, xp, g, a, b):
    return g / b, -g * a / (b * b)


def _g_pow(self, xp, g, a, b):
    out = self.out
    glog = xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), 0)
    return g * b * a ** (b - 1), g * out * glog


def _g_max(self, xp, g, a, b):
    mask = (a >= b)
    return g * mask, g * ~mask


def _g_min(self, xp, g, a, b):
    mask = (a <= b)
    return g * mask, g * ~mask


def _g_hypot(self, xp, g, a, b):
    out = self.out
    safe = xp.where(out == 0, 1, out)
    return g * a / safe, g * b / safe


def _g_none(self, xp, g, a, b):
    return None, None


ElemwiseAdd = _binary('elemwise_add', ['broadcast_add', 'broadcast_plus', '_add', '_plus', '_Plus'],
                      lambda xp, a, b: a + b, _g_add)
ElemwiseAdd.mxnet_output_names = ('elemwise_add',)     # of the two: not broadcast_add's
ElemwiseSub = _binary('elemwise_sub', ['broadcast_sub', 'broadcast_minus', '_sub', '_minus', '_Minus'],
                      lambda xp, a, b: a - b, _g_sub)
ElemwiseMul = _binary('elemwise_mul', ['broadcast_mul', '_mul', '_Mul'], lambda xp, a, b: a * b, _g_mul)


def _div(xp, a, b):
    """``a / b``; integer operands divide as MXNet's kernels do (see below)."""
    if a.dtype.kind in 'iu' and b.dtype.kind in 'iu':
        # Integer division as MXNet's C++ kernels do it: truncated toward zero, integer result,
        # exact (through float64, int64 quotients beyond 2**53 were rounded).
        # A zero divisor gives 0, as MXNet's ``%`` does (MXNet 1.9.1's ``/`` kills the process
        # with SIGFPE there).
        dt = np.result_type(a.dtype, b.dtype)
        a, b = a.astype(dt, copy=False), b.astype(dt, copy=False)
        safe = xp.where(b == 0, 1, b).astype(dt, copy=False)
        q = a // safe
        q = q + ((q * safe != a) & ((a < 0) != (safe < 0))).astype(dt)
        return xp.where(b == 0, 0, q).astype(dt, copy=False)
    return a / b


def float_as(xp, values, dtype):
    """The floating array ``values`` converted to the integer ``dtype`` as a C cast on x86 does,
    element by element the rule of :func:`scalar_as`: truncated toward zero; NaN, infinities and
    values beyond int64 (for int64) or int32 (for the smaller types) give that range's smallest
    value; the smaller types then keep the low bits (1000 as uint8 is 232)."""
    width = 64 if dtype.itemsize == 8 else 32
    lo, hi = -float(1 << (width - 1)), float(1 << (width - 1))
    v = xp.asarray(values, np.float64)
    bad = ~((v >= lo) & (v < hi))          # NaN included
    v = xp.where(bad, lo, xp.trunc(xp.where(bad, 0, v)))
    return v.astype(np.int64).astype(dtype)


def _int_via_float32(xp, dtype, compute, *operands):
    """``compute(*operands)`` in float32, converted back to the integer ``dtype`` by
    :func:`float_as`: MXNet 1.9.1's integer ``**`` (every form) and ``number / int_array``
    compute so (3 ** 19 as int32 is 1162261504, 3 ** 20 is -2147483648; NumPy's integer
    arithmetic wrapped around to 3486784401 - 2**32). The operands are rounded to float32 and
    the result computed in float64 and rounded to float32, as C's ``powf`` does it (NumPy's
    float32 power is a few units off: 3 ** 19 gave 1162261376)."""
    floats = (xp.asarray(xp.asarray(o, np.float32), np.float64) for o in operands)
    return float_as(xp, xp.asarray(compute(*floats), np.float32), dtype)


def _power(xp, a, b):
    """``a ** b``. Integers as MXNet 1.9.1 raises them: in float32, converted back to the integer
    type as C does (:func:`_int_via_float32`), so a negative exponent truncates toward zero
    (``2 ** -1 == 0``, ``(-1) ** -3 == -1``) instead of raising as NumPy does, ``0 ** -n`` and a
    result beyond the type's range give the type's minimum, and results beyond 2**24 are
    float32's (3 ** 19 is 1162261504)."""
    if a.dtype.kind not in 'iu':
        return a ** b
    dt = np.result_type(a.dtype, getattr(b, 'dtype', a.dtype))
    return _int_via_float32(xp, dt, lambda x, y: x ** y, a, b)


ElemwiseDiv = _binary('elemwise_div', ['broadcast_div', '_div', '_Div'], _div, _g_div)
BroadcastPower = _binary('broadcast_power', ['_power', '_Power', 'pow'], _power, _g_pow)
BroadcastMaximum = _binary('broadcast_maximum', ['_maximum', '_Maximum', 'maximum'],
                           lambda xp, a, b: xp.maximum(a, b), _g_max)
BroadcastMinimum = _binary('broadcast_minimum', ['_minimum', '_Minimum', 'minimum'],
                           lambda xp, a, b: xp.minimum(a, b), _g_min)


def _hypot(xp, a, b):
    """``sqrt(a**2 + b**2)``; integer operands give their integer dtype, computed in double and
    truncated toward zero as MXNet 1.9.1 does (int32 hypot(3, 3) is 4; NumPy would return
    float64, or float16 for int8)."""
    if a.dtype.kind in 'iu':
        return xp.hypot(a.astype(np.float64), b.astype(np.float64)).astype(a.dtype)
    return xp.hypot(a, b)


BroadcastHypot = _binary('broadcast_hypot', ['_hypot'], _hypot, _g_hypot)


def _mod(xp, a, b):
    # MXNet's ``mod`` (mshadow_op.h): the result takes the divisor's sign, as Python's ``%``
    # (-7 % 2 == 1, 7 % -2 == -1), and a zero divisor gives 0 (not NaN). A zero result is -0.0
    # only for a negative dividend and divisor, or -0.0 by a positive divisor, as MXNet's
    # branches give it (NumPy gives zeros the divisor's sign: 2.0 % -2.0 was -0.0, MXNet's 0.0;
    # found by breaker22).
    r = xp.remainder(a, b)
    r = xp.where(b == 0, xp.zeros_like(r), r)
    if r.dtype.kind == 'f':
        negative = ((b < 0) & (a < 0)) | ((b > 0) & (a == 0) & xp.signbit(a))
        r = xp.where(r == 0, xp.where(negative, -1.0, 1.0).astype(r.dtype) * 0, r)
    return r


def _g_mod_rhs(xp, a, b):
    # d(a mod b)/db = -floor(a / b), MXNet's mod_rgrad (inf for a zero divisor, as MXNet).
    return -xp.floor(a / b)


BroadcastMod = _binary('broadcast_mod', ['_mod'], _mod,
                       lambda self, xp, g, a, b: (g, g * _g_mod_rhs(xp, a, b)))

for _name, _alias, _fn in [
        ('broadcast_equal', '_equal', lambda xp, a, b: (a == b)),
        ('broadcast_not_equal', '_not_equal', lambda xp, a, b: (a != b)),
        ('broadcast_greater', '_greater', lambda xp, a, b: (a > b)),
        ('broadcast_greater_equal', '_greater_equal', lambda xp, a, b: (a >= b)),
        ('broadcast_lesser', '_lesser', lambda xp, a, b: (a < b)),
        ('broadcast_lesser_equal', '_lesser_equal', lambda xp, a, b: (a <= b)),
        ('broadcast_logical_and', '_logical_and', lambda xp, a, b: xp.logical_and(a, b)),
        ('broadcast_logical_or', '_logical_or', lambda xp, a, b: xp.logical_or(a, b)),
        ('broadcast_logical_xor', '_logical_xor', lambda xp, a, b: xp.logical_xor(a, b))]:
    # Comparisons return the input dtype (1.0 / 0.0), as MXNet does; they have zero gradient.
    _cls = _binary(_name, [_alias], (lambda f: lambda xp, a, b: f(xp, a, b).astype(
        np.result_type(a.dtype, b.dtype)))(_fn), _g_none)
    _cls.differentiable = False


# ---------------------------------------------------------------------------------------------------
# Scalar operators: ``x + 2`` -> _plus_scalar(scalar=2)

def is_real_number(value):
    """True for a number an array can hold, as a scalar operand or a value written into it: a
    Python or NumPy bool, int or float, a ``Fraction`` or ``Decimal``; False for a complex
    number (MXNet 1.9.1 refuses those with TypeError) and for anything that is no number.
    Read by ``nd.full`` and ``x[key] = value``; :func:`scalar_as` converts what it accepts."""
    return (isinstance(value, (numbers.Number, np.bool_))
            and not (isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real)))


def scalar_as(scalar, dtype):
    """``scalar`` converted to the integer ``dtype`` as MXNet's kernels do (C++ ``DType(scalar)``
    on x86): truncated toward zero, then wrapped modulo 2**bits (-3 as uint8 is 253). A number
    beyond the range of the conversion (int64 for int64, int32 for the smaller types) or NaN
    gives that range's smallest value (x86's "integer indefinite"): 1e10 as int32 is
    -2147483648, as uint8 0 (its low byte), as in MXNet 1.9.1. A Python int beyond that range
    too (``2**32`` or ``2**70`` for an int32 array, ``2**70`` for int64): MXNet hands every
    scalar to its kernels as a double, so it meets the same conversion (it used to wrap modulo
    2**bits here, so ``x + 2**32`` was ``x`` and ``x < 2**32`` false for x >= 0; found by
    breaker22). Other dtypes keep it.

    A Python int within that range stays exact, where MXNet 1.9.1 rounds it to a double first:
    ``int64_array + (2**53 + 1)`` adds 2**53 + 1 here, 2**53 there, and ``(2**53 + 1) % 3`` of an
    int64 array is 0 here, 2 there (every scalar operator and ``clip`` keep int64 values exact).

    So an integer array meets an integer scalar: ``x * 0.5`` is ``x * 0`` and ``x + 2.7`` is
    ``x + 2`` for an int32 ``x``, as in MXNet 1.9.1."""
    if dtype.kind not in 'iu' or isinstance(scalar, (bool, np.bool_)):
        return scalar
    if isinstance(scalar, np.generic):
        # the Python number: np.float16 and np.int8 have no __trunc__, so x[:] = np.float16(2.5)
        # and nd.full(s, np.int8(3), dtype='int32') failed (found by breaker22)
        scalar = scalar.item()
    width = 64 if dtype.itemsize == 8 else 32
    if isinstance(scalar, (float, np.floating)) and not math.isfinite(scalar):
        v = -(1 << (width - 1))
    else:
        v = int(math.trunc(scalar))
        if not -(1 << (width - 1)) <= v < (1 << (width - 1)):
            v = -(1 << (width - 1))
    bits = dtype.itemsize * 8
    v %= 1 << bits
    if dtype.kind == 'i' and v >= 1 << (bits - 1):
        v -= 1 << bits
    return dtype.type(v)


def fill_value(value, dtype, what):
    """``value`` as written into an array of ``dtype`` (``nd.full``, ``_full``, ``nd.array`` of
    numbers, ``x[key] = number``, ``_slice_assign_scalar``): :func:`scalar_as`, but into an
    integer dtype a number that does not fit, after truncation toward zero (NaN, an infinity,
    ``2**70`` or ``2**31`` for int32, 300 or -1 for uint8), raises ValueError naming ``what``
    (the function and argument) and the dtype's range. MXNet 1.9.1 writes something silently
    there (``nd.full(s, 2**70, dtype='int32')`` is 0, ``2**31`` -2**31, 300 as uint8 44);
    arithmetic (``x + 2**40``) keeps MXNet's conversion."""
    if dtype.kind in 'iu' and not isinstance(value, (bool, np.bool_)):
        v = value.item() if isinstance(value, np.generic) else value
        info = np.iinfo(dtype)
        if not (math.isfinite(v) and info.min <= math.trunc(v) <= info.max):
            raise ValueError('%s=%r does not fit dtype %s (%d to %d)'
                             % (what, v, dtype.name, info.min, info.max))
    return scalar_as(value, dtype)


class _Scalar(Op):
    """``out = compute(xp, data, scalar)`` for one array and one number (``x + 2`` is
    ``_plus_scalar(x, scalar=2)``); the subclasses are made by :func:`_scalar`, with
    ``grad_fn(self, xp, g, data, scalar)`` the gradient of ``data`` (None: no gradient).

    The output has ``data``'s shape and dtype (int64 for a bool ``data``); an integer ``data``
    meets the scalar converted to its dtype (:func:`scalar_as`), as in MXNet 1.9.1.
    """

    arguments = ('data',)
    same_shape = True
    attrs = {'scalar': Attr('number', 1.0), 'is_int': Attr('bool', True)}

    def forward(self, xp, data):
        if data.dtype == np.bool_:
            # A bool array with a number computes in int64, as MXNet 1.9.1 does: True + 1 is 2,
            # True / 2 is 0, (x > 0) is 1 or 0 in int64 (NumPy would keep bool: True + 1 = True).
            data = data.astype(np.int64)
        self.data = data
        s = scalar_as(self.scalar, data.dtype)
        out = self.compute(xp, data, s)
        out = out.astype(data.dtype, copy=False) if out.dtype != data.dtype else out
        self.out = out
        return out

    def backward(self, xp, grad):
        g = self.grad_fn(xp, grad, self.data, self.scalar)
        return (None if g is None else g.astype(self.data.dtype, copy=False),)

    def infer_type(self, in_types):
        in_types, out_types = super().infer_type(in_types)
        return in_types, [np.dtype(np.int64) if t == np.bool_ else t for t in out_types]


def _scalar(name, aliases, compute, grad_fn, differentiable=True, doc=None):
    """Make and register the :class:`_Scalar` operator class ``name`` with ``aliases``."""
    cls = type(name, (_Scalar,), {'name': name, 'aliases': tuple(aliases),
                                  'compute': staticmethod(compute), 'grad_fn': grad_fn,
                                  'differentiable': differentiable, '__doc__': doc})
    return register(cls)


_scalar('_plus_scalar', ['_PlusScalar'], lambda xp, x, s: x + s, lambda self, xp, g, x, s: g)
_scalar('_minus_scalar', ['_MinusScalar'], lambda xp, x, s: x - s, lambda self, xp, g, x, s: g)
_scalar('_rminus_scalar', ['_RMinusScalar'], lambda xp, x, s: s - x, lambda self, xp, g, x, s: -g)
_scalar('_mul_scalar', ['_MulScalar'], lambda xp, x, s: x * s, lambda self, xp, g, x, s: g * s)
_scalar('_div_scalar', ['_DivScalar'], lambda xp, x, s: _div(xp, x, xp.asarray(s, x.dtype)),
        lambda self, xp, g, x, s: g / s)
def _rdiv(xp, x, s):
    """``s / x``; for an integer ``x`` in float32, as MXNet 1.9.1 (:func:`_int_via_float32`):
    ``(2**30 + 1) / x`` is 1073741824 for x = 1, ``1 / 0`` the type's minimum (``x / s`` and
    two arrays divide exactly, see :func:`_div`)."""
    if x.dtype.kind in 'iu':
        return _int_via_float32(xp, x.dtype, lambda a, b: a / b, s, x)
    return s / x


_scalar('_rdiv_scalar', ['_RDivScalar'], _rdiv, lambda self, xp, g, x, s: -g * s / (x * x))
_scalar('_power_scalar', ['_PowerScalar'], lambda xp, x, s: _power(xp, x, xp.asarray(s, x.dtype)),
        lambda self, xp, g, x, s: g * s * x ** (s - 1))
_scalar('_rpower_scalar', ['_RPowerScalar'], lambda xp, x, s: _power(xp, xp.asarray(s, x.dtype), x),
        lambda self, xp, g, x, s: g * self.out * np.log(s))
_scalar('_maximum_scalar', ['_MaximumScalar'], lambda xp, x, s: xp.maximum(x, s),
        lambda self, xp, g, x, s: g * (x >= s))
_scalar('_minimum_scalar', ['_MinimumScalar'], lambda xp, x, s: xp.minimum(x, s),
        lambda self, xp, g, x, s: g * (x <= s))
_scalar('_hypot_scalar', [], lambda xp, x, s: _hypot(xp, x, xp.asarray(s, x.dtype)),
        lambda self, xp, g, x, s: g * x / xp.where(self.out == 0, 1, self.out))
_scalar('_mod_scalar', ['_ModScalar'], lambda xp, x, s: _mod(xp, x, xp.asarray(s, x.dtype)),
        lambda self, xp, g, x, s: g)
_scalar('_rmod_scalar', ['_RModScalar'], lambda xp, x, s: _mod(xp, xp.asarray(s, x.dtype), x),
        lambda self, xp, g, x, s: g * _g_mod_rhs(xp, xp.asarray(s, x.dtype), x))
_scalar('_contrib_gradientmultiplier', [], lambda xp, x, s: x.copy(), lambda self, xp, g, x, s: g * s,
        doc='Identity in the forward pass; the backward multiplies the incoming gradient by '
            '``scalar`` (gradient reversal with a negative one, Ganin & Lempitsky 2015). MXNet '
            '1.9.1 ``_contrib_gradientmultiplier``; ``is_int`` is accepted and has no effect. '
            'Same shape and dtype as ``data``; the gradient keeps its dtype.')
for _name, _fn in [('_equal_scalar', lambda xp, x, s: x == s),
                   ('_not_equal_scalar', lambda xp, x, s: x != s),
                   ('_greater_scalar', lambda xp, x, s: x > s),
                   ('_greater_equal_scalar', lambda xp, x, s: x >= s),
                   ('_lesser_scalar', lambda xp, x, s: x < s),
                   ('_lesser_equal_scalar', lambda xp, x, s: x <= s),
                   ('_logical_and_scalar', lambda xp, x, s: xp.logical_and(x, s)),
                   ('_logical_or_scalar', lambda xp, x, s: xp.logical_or(x, s)),
                   ('_logical_xor_scalar', lambda xp, x, s: xp.logical_xor(x, s))]:
    _scalar(_name, [], _fn, lambda self, xp, g, x, s: None, differentiable=False)
