"""The casts of automatic mixed precision and the finiteness checks of dynamic loss scaling:
``amp_cast``, ``amp_multicast``, ``all_finite`` and ``multi_all_finite`` (MXNet 1.9.1
``src/operator/tensor/amp_cast.cc`` and ``src/operator/contrib/all_finite.cc``).

``amp_cast`` and ``amp_multicast`` are the nodes :func:`minigluon.contrib.amp.convert_symbol`
inserts into a graph; they pass gradients back cast to each input's dtype. The ``all_finite``
pair is what the dynamic loss scaler (:mod:`minigluon.contrib.amp`) runs over the gradients: a
float32 array of shape ``(1,)`` holding 1 when every value is finite, else 0.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register

# the dtypes amp_cast and amp_multicast convert; any other input (float64, integers) passes through unchanged
_LOW_OR_SINGLE = (np.dtype(np.float16), np.dtype(np.float32))
def _amp_cast_type(in_dtype, target):
    """The output dtype of ``amp_cast``: ``target`` for a float16 or float32 input, else the input's
    own dtype (MXNet 1.9.1: ``amp_cast(float64 x, dtype='float16')`` stays float64, an int32 input
    stays int32)."""
    return np.dtype(target) if np.dtype(in_dtype) in _LOW_OR_SINGLE else np.dtype(in_dtype)


def _float32_to_int(xp, data, target):
    """A float32 array cast to the integer dtype ``target`` as MXNet 1.9.1's CPU kernel for
    float32 (an MKL-DNN reorder) does: rounded to the nearest integer, ties to even, and
    saturated to the target's range (300.7 -> 255 as uint8, -1.5 -> 0); the upper end is the
    largest float32 in range (2147483520 for int32). NaN gives 0 here (MXNet: 0 for uint8,
    2147483520 for int32)."""
    info = np.iinfo(target)
    hi = np.float32(info.max)
    if float(hi) > info.max:
        hi = np.nextafter(hi, np.float32(0))
    out = xp.clip(xp.rint(data), np.float32(info.min), hi)
    return xp.where(xp.isnan(out), np.float32(0), out).astype(target)


@register
class AMPCast(Op):
    """``amp_cast(data, dtype)``: ``data`` cast to ``dtype`` when it is float16 or float32; any
    other dtype is returned unchanged (a copy). Shape unchanged. A cast to an integer dtype follows
    MXNet 1.9.1's CPU kernels: from float32 it rounds to the nearest integer (ties to even) and
    saturates to the target's range; from float16 it truncates toward zero and wraps, as a C cast.
    (MXNet's MKL-DNN kernel refuses float32 to int64, and float64 inputs altogether; here
    float32 goes to int64 as to int32, and float64 passes through.) The gradient is the output's
    gradient cast back to the input's dtype. MXNet 1.9.1 also lists ``bfloat16``, which NumPy has
    no dtype for: it raises here."""

    name = 'amp_cast'
    arguments = ('data',)
    attrs = {'dtype': Attr('dtype')}
    same_shape = True

    def check_attrs(self):
        if np.dtype(self.dtype).kind not in 'fiu':
            raise ValueError('amp_cast: dtype must be a numeric dtype (float16, float32, float64, '
                             'int8, uint8, int32 or int64), got %s' % np.dtype(self.dtype).name)

    def forward(self, xp, data):
        self.in_dtype = data.dtype
        target = _amp_cast_type(data.dtype, self.dtype)
        if target.kind in 'iu' and data.dtype == np.float32:
            return _float32_to_int(xp, data, target)
        if target.kind in 'iu' and data.dtype == np.float16:
            # MXNet 1.9.1's CPU kernel for float16 is a plain C cast: toward zero, then wrapped
            # to the target's width (300.7 -> 44 as uint8)
            with np.errstate(invalid='ignore'):
                return data.astype(np.int32 if target.itemsize < 4 else target).astype(target)
        return data.astype(target)

    def backward(self, xp, grad):
        return (grad.astype(self.in_dtype),)

    def infer_type(self, in_types):
        if in_types[0] is None:
            return [None], [None]
        return list(in_types), [_amp_cast_type(in_types[0], self.dtype)]


def _multicast_target(dtypes, narrow):
    """The dtype ``amp_multicast`` casts its float16/float32 inputs to, or None for no cast, as
    MXNet 1.9.1's type rule picks it (measured with ``infer_type``): float32 when an input is
    float32, else the first input's dtype, which may be float64 or an integer type
    (``(int32, float16)`` gives ``(int32, int32)``, ``(float16, int32)`` is left alone); with
    ``narrow``, float16 when an input is float16, else no cast."""
    pick = np.dtype(np.float16 if narrow else np.float32)
    if pick in dtypes:
        return pick
    return None if narrow else dtypes[0]


@register
class AMPMultiCast(Op):
    """``amp_multicast(*data, num_outputs, cast_narrow=False)``: the float16 and float32 inputs
    cast to one dtype, float32 when an input is float32, else the first input's dtype
    (``cast_narrow``: float16 when an input is float16, else none is cast); other inputs
    (float64, integers) returned unchanged.
    ``num_outputs`` outputs, one per input, each of its input's shape. Gradients go back cast to
    each input's dtype (MXNet 1.9.1 ``amp_multicast``, its type rule measured with
    ``infer_type``; its CPU kernels fail for float16 and float64 data, which work here)."""

    name = 'amp_multicast'
    mxnet_input_names = True
    arguments = None
    attrs = {'num_outputs': Attr('int'), 'cast_narrow': Attr('bool', False)}

    def check_attrs(self):
        if self.num_outputs < 1:
            raise ValueError('amp_multicast: num_outputs must be >= 1 (the number of inputs), '
                             'got %d' % self.num_outputs)

    def list_arguments(self):
        return ['data_%d' % i for i in range(self.num_outputs)]

    def list_outputs(self):
        return ['output%d' % i for i in range(self.num_outputs)]

    def _out_types(self, dtypes):
        dtypes = [np.dtype(d) for d in dtypes]
        target = _multicast_target(dtypes, self.cast_narrow)
        return [target if target is not None and d in _LOW_OR_SINGLE else d for d in dtypes]

    def forward(self, xp, *data):
        if len(data) != self.num_outputs:
            raise ValueError('amp_multicast: num_outputs=%d but %d inputs were given (one output '
                             'per input)' % (self.num_outputs, len(data)))
        self.in_dtypes = [a.dtype for a in data]
        return tuple(a.astype(t) for a, t in zip(data, self._out_types(self.in_dtypes)))

    def backward(self, xp, *grads):
        return tuple(g.astype(d) for g, d in zip(grads, self.in_dtypes))

    def infer_shape(self, in_shapes):
        if any(s is None for s in in_shapes):
            return super().infer_shape(in_shapes)      # raises, naming the unknown inputs
        shapes = [tuple(s) for s in in_shapes]
        return shapes, shapes

    def infer_type(self, in_types):
        if any(t is None for t in in_types):
            return list(in_types), [None] * self.num_outputs
        return list(in_types), self._out_types(in_types)


def _finite_flag(xp, arrays, prior=None):
    """A float32 ``(1,)`` array: 1 when every value of every array is finite (and ``prior``, when
    given, holds a non-zero), else 0."""
    ok = all(bool(xp.isfinite(a).all()) for a in arrays)
    if prior is not None:
        ok = ok and bool(prior.reshape(-1)[0] != 0)
    return xp.full((1,), 1.0 if ok else 0.0, dtype=np.float32)


class _FiniteCheck(Op):
    """Base of ``all_finite`` / ``multi_all_finite``. With ``init_output=False`` the result
    starts from the ``out=`` array's value rather than 1 (MXNet writes only the 0 of a failed
    check, so one flag collects several calls, as the loss scaler does over chunks of 200
    gradients). Without ``out`` it starts from 1 (MXNet leaves such an output uninitialised)."""

    differentiable = False
    prior_output = None     # set by call_op: the raw ``out=`` array, read when not init_output

    def _prior(self):
        return None if self.init_output else self.prior_output

    def infer_shape(self, in_shapes):
        if any(s is None for s in in_shapes):
            return super().infer_shape(in_shapes)
        return [tuple(s) for s in in_shapes], [(1,)]

    def infer_type(self, in_types):
        return list(in_types), [np.dtype(np.float32)]


@register
class AllFinite(_FiniteCheck):
    """``all_finite(data, init_output=True)``: float32 ``[1.]`` when every value of ``data`` is
    finite, else ``[0.]`` (MXNet 1.9.1 ``all_finite``)."""

    name = 'all_finite'
    mxnet_input_names = True
    arguments = ('data',)
    attrs = {'init_output': Attr('bool', True)}

    def forward(self, xp, data):
        return _finite_flag(xp, [data], self._prior())


@register
class MultiAllFinite(_FiniteCheck):
    """``multi_all_finite(*arrays, num_arrays=1, init_output=True)``: float32 ``[1.]`` when every
    value of all ``num_arrays`` inputs is finite, else ``[0.]`` (MXNet 1.9.1
    ``multi_all_finite``; as there, ``num_arrays`` must be given and match the inputs). The
    arrays may have different dtypes: MXNet 1.9.1's CPU kernel takes the first array's dtype
    for all and fails otherwise ("data type do not match"), so its loss scaler fails on a
    model with float16 and float32 parameters; here that works."""

    name = 'multi_all_finite'
    mxnet_input_names = True
    arguments = None
    attrs = {'num_arrays': Attr('int', 1), 'init_output': Attr('bool', True)}

    def list_arguments(self):
        return ['array_%d' % i for i in range(self.num_arrays)]

    def forward(self, xp, *arrays):
        if len(arrays) != self.num_arrays:
            raise ValueError('multi_all_finite: num_arrays=%d but %d arrays were given; pass '
                             'num_arrays=len(arrays)' % (self.num_arrays, len(arrays)))
        return _finite_flag(xp, arrays, self._prior())
