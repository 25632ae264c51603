"""``NDArray``: an n-dimensional array on a context, with autograd, over NumPy or CuPy.

Semantics follow ``mxnet.ndarray.NDArray`` in legacy (non-``np``) mode, MXNet 1.9.1. Arithmetic
broadcasts (as MXNet's NDArray does); every differentiable method goes through :func:`invoke`, so
it is recorded on the autograd tape like any operator. In-place writes (``x[:] = v``, ``x += 1``)
change the data; while autograd records, :mod:`minigluon.ndarray.inplace` decides whether such a
write is recorded or refused (it would otherwise make gradients silently wrong).

What lives where:

- this module: the :class:`NDArray` class (properties, conversion, autograd, arithmetic, fluent
  operator methods);
- :mod:`minigluon.ndarray.dispatch`: :func:`invoke` (where every eager operator call runs and
  gets recorded) and :func:`call_op`;
- :mod:`minigluon.ndarray.indexing`: ``x[key]`` and ``x[key] = value`` (key normalisation, the
  recorded ``_GetItem`` operator);
- :mod:`minigluon.ndarray.inplace`: the rules for in-place writes while recording;
- :mod:`minigluon.ndarray.helpers`: ``_move`` (raw data onto a context), ``_parse_ctx`` and
  ``_name_the_operator`` (error wording);
- :mod:`minigluon.ndarray.creation`: ``array``, ``zeros``, ... and DLPack import (``from_dlpack``).

``invoke``, ``call_op`` and ``_move`` are also importable from here
(``from minigluon.ndarray.ndarray import invoke, _move``).
"""
import warnings

import numpy as np

from minigluon import autograd, backend
from minigluon._fp_errors import IGNORE as _FP_IGNORE, enter as _fp_enter, leave as _fp_leave
from minigluon.base import MXNetError, MXNetValueError, OtherFrameworkName, TypeAssertionError
from minigluon.context import Context, context_of
from minigluon.ndarray.helpers import _move
from minigluon.ops.registry import get_op
from minigluon.ops.attr import python_scalar

# operator name -> its ``nd.<name>`` function (with the eager fast path), filled by
# minigluon/ndarray/__init__.py when it makes them; the methods below call through it
_OP_FUNCTIONS = {}

_autograd_state = autograd._state     # the per-thread recording flag, read once per operator call


# NDArray attributes of MXNet 1.9.1 that are out of scope (docs/PORTING.md, "Out of scope"):
# asking for one says so (hasattr() stays False)
_OUT_OF_SCOPE = {'handle': "C handles (NDArray.handle) are out of scope in minigluon (docs/PORTING.md, "
                           "'Out of scope'); an NDArray holds a NumPy or CuPy array (asnumpy() copies "
                           "it out)"}

# Names other array libraries (PyTorch, NumPy) use that MXNet 1.9.1's NDArray does not have:
# asking for one names MXNet's way (hasattr() stays False; no new API)
_OTHER_FRAMEWORKS = {
    'item': "use asscalar() for a one-element array (or float(x))",
    'numpy': "use asnumpy(), which copies the data into a NumPy array",
    'tolist': "use asnumpy().tolist()",
    'view': "use reshape(shape), which shares the data when it can",
    'unsqueeze': "use expand_dims(axis)",
    'permute': "use transpose(axes), the axes one tuple: x.transpose((1, 0))",
    'clone': "use copy()",
    'requires_grad': "call attach_grad() to take gradients into x.grad",
    'requires_grad_': "call attach_grad() to take gradients into x.grad",
    'to': "use as_in_context(ctx) to move it, astype(dtype) to convert it",
    'cuda': "use as_in_context(mx.gpu(0))",
    'cpu': "use as_in_context(mx.cpu())",
    'float': "use astype('float32')",
    'double': "use astype('float64')",
    'long': "use astype('int64')",
    'int': "use astype('int32')",
    'numel': "use the size property (x.size)",
    'dim': "use the ndim property (x.ndim)",
}


class NDArray:
    """An array on a :class:`~minigluon.context.Context`.

    Create one with :func:`minigluon.nd.array`, ``zeros``, ``ones``... rather than directly.
    ``_data`` holds the NumPy or CuPy array, ``_ctx`` its Context; the other slots are the
    array's autograd state, listed in the docstring of :mod:`minigluon.autograd`.
    """

    __slots__ = ('_data', '_ctx', '_entry', '_grad', '_grad_req', '_fresh_grad', '_zero_src',
                 '_joined', '_before_attach', '__weakref__')
    __array_priority__ = 1000.0   # numpy scalars defer to NDArray's reflected operators

    def __init__(self, data, ctx=None):
        self._data = data
        self._ctx = ctx if ctx is not None else context_of(data)
        self._entry = None
        self._grad = None
        self._grad_req = 'null'
        self._fresh_grad = False
        self._zero_src = None    # recorded through ops without a gradient: see dispatch._zero_path
        # in the graph without being on the tape: True once a recorded operator read it (see
        # autograd.Node), or a tuple of weak references to the plain arrays it was computed
        # from by an operator left off the tape (dispatch._zero_path, autograd._unjoin)
        self._joined = False
        self._before_attach = None    # what recorded operators saw: see autograd.mark_variables

    # -- basic properties --------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self._data.shape)

    @property
    def dtype(self):
        """The NumPy dtype *type* (``numpy.float32``), as MXNet returns."""
        return self._data.dtype.type

    @property
    def size(self):
        return int(self._data.size)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def context(self):
        return self._ctx

    ctx = context

    @property
    def stype(self):
        return 'default'

    @property
    def _xp(self):
        return backend.get_array_module(self._data)

    @property
    def T(self):
        if self.ndim < 2:
            return self
        return _OP_FUNCTIONS['transpose'](self)

    def __len__(self):
        # a 0-d array has no length: TypeError, as NumPy (MXNet 1.9.1: IndexError from its shape)
        if self.ndim == 0:
            raise TypeError('len() of a 0-d NDArray')
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self.size == 1:
            return bool(self._data.reshape(-1)[0])
        if self.size == 0:
            return False
        raise ValueError('The truth value of an NDArray with multiple elements is ambiguous.')

    def __float__(self):
        """The value of a one-element array (of any shape) as a Python float.

        Raises TypeError for an array of another size, as NumPy does for ``float(array)`` (MXNet
        1.9.1's NDArray has no ``__float__``, so ``float(x)`` is a TypeError there for every
        array); ``asscalar()`` raises ValueError instead, as MXNet's does."""
        return float(self._one_value('float'))

    def __int__(self):
        """As :meth:`__float__`, truncated to a Python int (TypeError unless one element)."""
        return int(self._one_value('int'))

    def _one_value(self, what):
        if self.size != 1:
            raise TypeError('%s(): only a one-element NDArray converts to a Python number; this '
                            'one has shape %s (use x.asnumpy() for the values)' % (what, self.shape))
        return self.asnumpy().reshape(-1)[0]

    def __repr__(self):
        shape_info = 'x'.join('%d' % d for d in self.shape)
        return '\n%s\n<%s %s @%s>' % (str(self.asnumpy()), type(self).__name__, shape_info, self._ctx)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(x)``: a NumPy copy of the data (in ``dtype`` if given). MXNet 1.9.1's
        NDArray has no ``__array__`` (NumPy makes an object array of it).

        ``copy=False`` (NumPy 2's ``np.asarray(x, copy=False)``) promises no copy: the NumPy
        array this NDArray holds is returned, sharing its memory, and where that cannot be
        (an array on a GPU, another ``dtype``) ValueError, as NumPy's contract says. (A copy
        was returned silently: writes into it never reached the NDArray.)"""
        if copy is False:
            data = self._data
            if not isinstance(data, np.ndarray) or (dtype is not None
                                                    and np.dtype(dtype) != data.dtype):
                raise ValueError('NDArray.__array__: copy=False, but a NumPy array of this %s '
                                 'array on %s%s needs a copy'
                                 % (data.dtype, self._ctx, '' if dtype is None else
                                    ' as %s' % np.dtype(dtype)))
            return data
        arr = self.asnumpy()
        return arr if dtype is None else arr.astype(dtype)

    # -- conversion and copying --------------------------------------------------------------------
    def asnumpy(self):
        """A NumPy copy of the data (on the host)."""
        return np.array(backend.to_numpy(self._data))

    def asscalar(self):
        """The value of a one-element array as a NumPy scalar of its dtype (as MXNet returns).

        Raises ValueError for an array of more than one element.
        """
        if self.size != 1:
            raise ValueError('asscalar: the array must have exactly one element, it has shape %s'
                             % (self.shape,))
        return self.asnumpy().reshape(-1)[0]

    def astype(self, dtype, copy=True):
        """Cast to ``dtype`` (recorded: gradients flow back through the cast). ``dtype=None``
        is float32, as in MXNet 1.9.1 (its default dtype; NumPy's ``np.dtype(None)`` is float64).

        bfloat16 (``'bfloat16'``, or MXNet 1.9.1's ``np.dtype([('bfloat16', np.uint16)])``) is a
        TypeError saying so: NumPy has no bfloat16 (``nd.load`` reads MXNet's bfloat16 arrays as
        float32). MXNet takes the second form; the first is a TypeError there too."""
        if _is_bfloat16(dtype):
            raise TypeError("astype: bfloat16 is not supported (NumPy has no bfloat16; nd.load "
                            "reads MXNet's bfloat16 arrays as float32); use float16 or float32")
        if not copy and np.dtype(dtype) == self._data.dtype:
            return self
        return _OP_FUNCTIONS['Cast'](self, dtype='float32' if dtype is None else np.dtype(dtype).name)

    def copy(self):
        """A copy on the same context (recorded: gradients flow back, as MXNet's ``_copy``)."""
        return _OP_FUNCTIONS['_copy'](self)

    def copyto(self, other):
        """Copy into another NDArray (same shape) or onto a context, returning the copy.

        While autograd records, the copy is recorded (``other`` joins the graph), onto another
        context too (the gradient goes back to this array's context, as MXNet's ``_copyto``);
        writing into an array that is already in the recorded graph raises MXNetError.
        ``x.copyto(x)`` does nothing, warns (RuntimeWarning) and returns False, as in MXNet 1.9.1.
        """
        if other is self:
            warnings.warn('copyto: copying an array to itself does nothing', RuntimeWarning,
                          stacklevel=2)
            return False
        if isinstance(other, NDArray):
            if other.shape != self.shape:     # an MXNetError too, as MXNet 1.9.1's
                raise MXNetValueError('copyto: target shape %s differs from source shape %s'
                                      % (other.shape, self.shape))
            check_write(other, 'copyto')
            if getattr(_autograd_state, 'recording', False):
                return record_into(other, call_op('_copy', self) if other._ctx == self._ctx
                                   else copy_to_context(self, other._ctx))
            # into a float16 array, an overflow is inf silently, as in MXNet (inline, not the
            # decorator: the warning above must point at the caller's line)
            fp_state = _fp_enter(_FP_IGNORE)
            try:
                other._data[...] = _move(self._data, other._ctx)
            finally:
                _fp_leave(fp_state)
            return other
        if isinstance(other, Context):
            if getattr(_autograd_state, 'recording', False):
                return copy_to_context(self, other)     # recorded, as MXNet's _copyto
            return NDArray(_move(self._data, other, copy=True), other)
        raise TypeError('copyto: expected an NDArray or Context, got %s' % type(other).__name__)

    def __copy__(self):
        """An independent copy: new data on the same context, outside the autograd graph, with no
        gradient buffer (MXNet 1.9.1's ``copy.copy`` and ``copy.deepcopy`` go through its pickling,
        see :meth:`__reduce__`, so they copy the data and nothing else)."""
        return NDArray(self._data.copy(), self._ctx)

    def __deepcopy__(self, memo):
        """As :meth:`__copy__` (an NDArray holds no other objects)."""
        return self.__copy__()

    def __reduce__(self):
        """Pickle as MXNet 1.9.1 does: ``NDArray(None)`` then ``__setstate__`` with ``{'handle':
        bytearray}``, the bytes being the array in MXNet's binary layout
        (:func:`minigluon.serialization.dumps_array`: shape, dtype and data). Neither the
        gradient buffer nor the autograd state travels (MXNet's neither). minigluon adds
        ``'ctx'``: the array comes back on its context (MXNet puts every CPU array on ``cpu(0)``;
        here a GPU array comes back on its GPU, and a ``cpu(1)`` one stays where its
        Parameters' other copies expect it). Pickles MXNet made load here when ``mxnet`` is
        :func:`minigluon.compat.install_mxnet_alias`'s alias (on ``cpu(0)``)."""
        from minigluon import serialization
        raw = serialization.dumps_array(backend.to_numpy(self._data))
        state = {'handle': bytearray(raw), 'ctx': self._ctx}
        return NDArray, (None,), state

    def __setstate__(self, state):
        """Fill an ``NDArray(None)`` from the state :meth:`__reduce__` (or MXNet's) writes.

        Raises
        ------
        MXNetFormatError
            When the bytes are not one valid array (or are MXNet's empty "none" array).
        """
        from minigluon import serialization
        from minigluon.base import MXNetFormatError
        raw = state.get('handle') if isinstance(state, dict) else None
        data = serialization.loads_array(bytes(raw), source='pickled NDArray') if raw else None
        if data is None:
            raise MXNetFormatError('pickled NDArray: the state holds no array (%r)' % (state,))
        ctx = state.get('ctx') or Context('cpu', 0)
        self.__init__(_move(data, ctx), ctx)

    def as_in_context(self, context):
        """This array if already on ``context``, else a copy there (recorded while autograd
        records: the gradient comes back to this array's context, as in MXNet)."""
        if context == self._ctx:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def detach(self):
        """The same data, cut off from the autograd graph."""
        return NDArray(self._data, self._ctx)

    def wait_to_read(self):
        if self._ctx.is_gpu:
            self._xp.cuda.get_current_stream().synchronize()

    def wait_to_write(self):
        self.wait_to_read()

    def tostype(self, stype):
        if stype != 'default':
            raise MXNetError("tostype: minigluon supports only dense ('default') storage, not %r" % stype)
        return self

    # -- DLPack --------------------------------------------------------------------------------------
    def __dlpack__(self, **kwargs):
        """DLPack export sharing memory (keywords such as ``stream`` pass through to NumPy/CuPy)."""
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def to_dlpack_for_read(self):
        """A DLPack capsule sharing this array's memory (consumed by one ``from_dlpack``)."""
        try:   # a versioned capsule keeps the memory writable for NumPy consumers
            return self._data.__dlpack__(max_version=(1, 0))
        except TypeError:
            return self._data.__dlpack__()

    to_dlpack_for_write = to_dlpack_for_read

    # -- autograd --------------------------------------------------------------------------------------
    def attach_grad(self, grad_req='write', stype=None):
        """Make this array a variable: ``backward`` writes its gradient into ``.grad``.

        Semantics of MXNet 1.9.1's ``attach_grad``:

        * ``.grad`` becomes a new buffer of zeros (same shape, dtype and context);
        * operations recorded from now on lead to this new variable; those recorded **before**
          keep what they saw (the old buffer, or the array's earlier place in the graph: their
          gradient goes on to its inputs), so ``.grad`` gets nothing from them;
        * ``grad_req='null'``: the array wants no gradient, yet it is in the graph: ``.grad``
          is a zero buffer that ``backward`` never writes, writing into the array (or into the
          outputs of operators applied to it) while recording raises, such an output cannot be
          the only head of ``backward``, and ``autograd.grad`` with respect to the array raises.
          A ``backward`` through an operator that reads it frees it: it becomes a plain array
          (``.grad`` None), as in MXNet. (A ``Parameter`` with ``grad_req='null'`` does not use
          this: its arrays are plain and ``grad()`` raises, as in MXNet.)

        Parameters
        ----------
        grad_req : {'write', 'add', 'null'}
            ``'add'`` accumulates over backward passes (zero ``.grad`` yourself).
        stype : None or 'default'

        Raises
        ------
        MXNetError
            For a sparse ``stype``. ValueError for another ``grad_req``.
        """
        if stype not in (None, 'default'):
            raise MXNetError('attach_grad: only dense gradients are supported, got stype=%r' % stype)
        grad = NDArray(self._xp.zeros_like(self._data), self._ctx)
        autograd._make_variable(self, grad, grad_req, 'attach_grad')

    @property
    def grad(self):
        """The gradient buffer (None unless ``attach_grad`` was called)."""
        return self._grad

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Back-propagate from this array; see :func:`minigluon.autograd.backward`."""
        autograd.backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    # -- shape methods (recorded operators) ---------------------------------------------------------
    def reshape(self, *shape, **kwargs):
        """Reshape with MXNet's special codes 0, -1, -2, -3, -4 and ``reverse=True``;
        ``x.reshape(())`` of a one-element array gives a 0-d array, as in MXNet.

        The result shares this array's memory, as MXNet's: ``y = x.reshape((-1,)); y[:] = 0``
        zeroes ``x`` (``nd.reshape(x, ...)`` and the other operators give new arrays).

        Raises
        ------
        TypeAssertionError
            If no shape is given (positionally or as ``shape=``; MXNet 1.9.1 asserts), or one is
            given both ways (MXNet 1.9.1 ignores ``shape=`` then).
        TypeError
            For a keyword other than ``shape`` and ``reverse`` (``out=``, ``name=``), as MXNet
            1.9.1's method refuses them.
        """
        unknown = [k for k in kwargs if k not in ('shape', 'reverse')]
        if unknown:
            raise TypeError('reshape: unknown keyword(s) %s; NDArray.reshape takes shape and '
                            'reverse (nd.reshape(x, ...) takes the operator\'s other arguments)'
                            % ', '.join(unknown))
        if shape and 'shape' in kwargs:
            raise TypeAssertionError('reshape: the shape is given both positionally, %r, and as '
                                     'shape=%r; give it once'
                                     % (shape[0] if len(shape) == 1 else shape, kwargs['shape']))
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        elif not shape:
            if kwargs.get('shape') is None:
                raise TypeAssertionError('reshape: give the new shape, e.g. x.reshape((2, -1)) or '
                                         'x.reshape(shape=(2, -1))')
            shape = kwargs.pop('shape')
        shape = _shape_ints(shape)
        return call_op('Reshape', self, shape=shape, _view=True, **kwargs)

    def reshape_like(self, *args, **kwargs):
        """``nd.reshape_like(self, rhs, lhs_begin=..., lhs_end=..., rhs_begin=..., rhs_end=...)``."""
        return _OP_FUNCTIONS['reshape_like'](self, *args, **kwargs)

    def slice_assign(self, rhs, begin, end, step):
        """Write the NDArray ``rhs`` into the region ``self[begin:end:step]`` (tuples of ints or
        None, one entry per leading axis, as :func:`nd.slice`) in place and return ``self``, as
        MXNet 1.9.1's ``NDArray.slice_assign`` (``_slice_assign`` with ``out=self``). ``rhs`` must
        have the region's shape. An in-place write: refused inside ``autograd.record()`` for an
        array the recorded graph holds, as MXNet refuses it."""
        return call_op('_slice_assign', self, rhs, begin=begin, end=end, step=step, out=self)

    def slice_assign_scalar(self, value, begin, end, step):
        """Set the region ``self[begin:end:step]`` to the number ``value`` in place and return
        ``self``, as MXNet 1.9.1's ``NDArray.slice_assign_scalar``; see :meth:`slice_assign`."""
        return call_op('_slice_assign_scalar', self, scalar=value, begin=begin, end=end, step=step,
                       out=self)

    def __getitem__(self, key):
        """Basic and advanced indexing, recorded for autograd.

        Accepts ints, slices (with steps), ``Ellipsis``, ``None``, integer arrays or lists
        (NDArray indices of any dtype are truncated to integers, as MXNet does) and boolean
        masks (NumPy, or NDArray of dtype bool). As in MXNet's legacy mode, a result with no
        dimensions left (``x[1, 2]`` on a 2-d array) has shape ``(1,)``.

        As in MXNet, a basic index whose result is contiguous in memory (``x[1]``, ``x[1:3]``,
        ``x[1, 2]``, ``x[None]``) gives a view: ``y = x[1]; y[:] = 0`` zeroes a row of ``x``.
        Strided slices (``x[::2]``, ``x[:, 1:]``) and integer-array indices give copies.

        A ``None`` after an advanced index adds its axis after the index's axes, as NumPy:
        ``x[[0, 1], None]`` of shape (3, 4) is (2, 1, 4) (MXNet 1.9.1 gives (1, 2, 4): it places
        the new axis as if the advanced index added no axes).

        A boolean NumPy array selects as a mask, as in NumPy and PyTorch: MXNet 1.9.1 reads its
        ``True``/``False`` as the integer indices 1 and 0 (``x[np.array([True, False])]`` there is
        ``x[[1, 0]]``), a result nobody writing a mask means.
        """
        return invoke(_GetItem(_index_key(key, self._xp)), [self])

    def __setitem__(self, key, value):
        """Write ``value`` (scalar, NDArray or array, broadcast) into ``self[key]``.

        See :func:`minigluon.ndarray.indexing.setitem`; while autograd is recording, the rules of
        :func:`minigluon.ndarray.inplace.recorded_setitem` apply (as MXNet: writes into the graph
        raise, ``x[:] = y`` with ``y`` in the graph is recorded as a copy).
        """
        if not recorded_setitem(self, key, value):
            setitem(self, key, value)

    # -- arithmetic ----------------------------------------------------------------------------------
    def _binary(self, other, op_name, scalar_name, reverse=False):
        # Python operators skip argument binding and attribute parsing (Op._fast): the operator
        # is known, and so are its attributes: ``scalar``, and ``is_int`` at its default (True;
        # the maths never reads it), of which only ``scalar`` counts as given.
        if isinstance(other, _SCALAR_OPERANDS):
            other = python_scalar(other)
            return invoke(get_op(scalar_name)._fast({'scalar': other, 'is_int': True}, {'scalar': other}),
                          [self])
        if backend.is_array(other):
            other = NDArray(self._xp.asarray(other), self._ctx)
        elif not isinstance(other, NDArray):
            if op_name in ('broadcast_equal', 'broadcast_not_equal'):
                return NotImplemented       # Python's default: not equal (see __eq__)
            # A TypeError here, as MXNet 1.9.1 raises one for every other operand, rather
            # than NotImplemented: Fraction's reflected power then computed x ** float(f).
            raise TypeError('NDArray arithmetic: unsupported operand of type %s; expected a '
                            'number (int, float, bool or a NumPy scalar), an NDArray or a NumPy '
                            'array' % type(other).__name__)
        op = get_op(op_name)._fast({}, {})
        return invoke(op, [other, self] if reverse else [self, other])

    def __add__(self, o):
        return self._binary(o, 'elemwise_add', '_plus_scalar')

    __radd__ = __add__

    def __sub__(self, o):
        return self._binary(o, 'elemwise_sub', '_minus_scalar')

    def __rsub__(self, o):
        return self._binary(o, 'elemwise_sub', '_rminus_scalar', reverse=True)

    def __mul__(self, o):
        return self._binary(o, 'elemwise_mul', '_mul_scalar')

    __rmul__ = __mul__

    def __truediv__(self, o):
        return self._binary(o, 'elemwise_div', '_div_scalar')

    def __rtruediv__(self, o):
        return self._binary(o, 'elemwise_div', '_rdiv_scalar', reverse=True)

    __div__, __rdiv__ = __truediv__, __rtruediv__

    def __mod__(self, o):
        return self._binary(o, 'broadcast_mod', '_mod_scalar')

    def __rmod__(self, o):
        return self._binary(o, 'broadcast_mod', '_rmod_scalar', reverse=True)

    def __pow__(self, o):
        return self._binary(o, 'broadcast_power', '_power_scalar')

    def __rpow__(self, o):
        return self._binary(o, 'broadcast_power', '_rpower_scalar', reverse=True)

    def __neg__(self):
        return _OP_FUNCTIONS['negative'](self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _OP_FUNCTIONS['abs'](self)

    def __eq__(self, o):
        """Elementwise ``==`` with a number, an NDArray or a NumPy array (1.0 / 0.0 in the
        array's dtype). A list or tuple is a TypeError, as in MXNet 1.9.1 (it used to be a
        plain ``False``, where NumPy compares element by element); another object (None, a
        str) is Python's default, ``False`` (MXNet 1.9.1 raises TypeError for those too)."""
        _refuse_sequence(o, '==')
        return self._binary(o, 'broadcast_equal', '_equal_scalar')

    def __ne__(self, o):
        """Elementwise ``!=``; see :meth:`__eq__` (``True`` for None or a str)."""
        _refuse_sequence(o, '!=')
        return self._binary(o, 'broadcast_not_equal', '_not_equal_scalar')

    def __lt__(self, o):
        return self._binary(o, 'broadcast_lesser', '_lesser_scalar')

    def __le__(self, o):
        return self._binary(o, 'broadcast_lesser_equal', '_lesser_equal_scalar')

    def __gt__(self, o):
        return self._binary(o, 'broadcast_greater', '_greater_scalar')

    def __ge__(self, o):
        return self._binary(o, 'broadcast_greater_equal', '_greater_equal_scalar')

    def _in_place(self, other, fn, recorded, reads_left=True):
        """``self op= other`` (:func:`~minigluon.ndarray.inplace.inplace_arith`) for an operand
        the operators take (a number, an NDArray, a NumPy/CuPy array: :func:`_operand`);
        anything else (a str, None, a list, a complex number) is NotImplemented, so Python
        raises its TypeError, as MXNet 1.9.1 raises one ("type <class 'str'> not supported"),
        instead of NumPy's UFuncTypeError, or a list silently broadcast into a float array."""
        if not _operand(other):
            return NotImplemented
        return inplace_arith(self, other, fn, recorded, reads_left=reads_left)

    def __iadd__(self, o):
        return self._in_place(o, lambda a, b: a.__iadd__(b), lambda a, b: a + b, reads_left=False)

    def __isub__(self, o):
        return self._in_place(o, lambda a, b: a.__isub__(b), lambda a, b: a - b, reads_left=False)

    def __imul__(self, o):
        return self._in_place(o, lambda a, b: a.__imul__(b), lambda a, b: a * b)

    def __itruediv__(self, o):
        return self._in_place(o, lambda a, b: a.__itruediv__(b), lambda a, b: a / b)

    def __imod__(self, o):
        # In place, as MXNet's NDArray.__imod__ (its ``**=`` rebinds instead, and so does ours).
        return self._in_place(o, lambda a, b: a.__setitem__(Ellipsis, (self % o)._data),
                              lambda a, b: a % b)


def _is_bfloat16(dtype):
    if isinstance(dtype, str):
        return dtype == 'bfloat16'
    return isinstance(dtype, np.dtype) and dtype.names == ('bfloat16',)


def _refuse_sequence(other, symbol):
    if isinstance(other, (list, tuple)):
        raise TypeError("NDArray %s %s: compare with an array, nd.array(%r), not a %s (MXNet "
                        "1.9.1 refuses it too)" % (symbol, type(other).__name__,
                                                   other, type(other).__name__))


# The numbers NDArray arithmetic takes as a scalar operand (bool is an int; MXNet: any np.generic)
_SCALAR_OPERANDS = (int, float, np.number, np.bool_)


def _operand(other):
    """True for what NDArray arithmetic takes as its other operand (:meth:`NDArray._binary`): a
    number of :data:`_SCALAR_OPERANDS`, an NDArray, a NumPy or CuPy array."""
    return isinstance(other, (NDArray,) + _SCALAR_OPERANDS) or backend.is_array(other)


# Operators MXNet 1.9.1's NDArray does not have. Left undefined, ``x // np.float64(2)`` or
# ``x @ numpy_array`` would be computed by NumPy's reflected operator on ``np.asarray(x)`` and give
# a NumPy array (out of the autograd graph), silently; MXNet raises TypeError for every operand.
# Defined here to raise that TypeError, naming what to write instead.
_MISSING_OPERATORS = {
    'floordiv': ('//', 'nd.floor(a / b) (or a / b on integer arrays, which truncates)'),
    'matmul': ('@', 'nd.dot(a, b) (nd.batch_dot for batches)'),
    'and': ('&', 'nd.logical_and(a, b)'),
    'or': ('|', 'nd.logical_or(a, b)'),
    'xor': ('^', 'nd.logical_xor(a, b)'),
    'lshift': ('<<', 'a * 2 ** b'),
    'rshift': ('>>', 'a / 2 ** b'),
    'divmod': ('divmod()', 'nd.floor(a / b) and a % b'),
}


def _missing_operator(symbol, instead, reflected):
    def refuse(self, other):
        left, right = (other, self) if reflected else (self, other)
        raise TypeError("unsupported operand type(s) for %s: '%s' and '%s' (MXNet 1.9.1's NDArray "
                        "has no %s operator; use %s)" % (symbol, type(left).__name__,
                                                         type(right).__name__, symbol, instead))
    return refuse


for _name, (_symbol, _instead) in _MISSING_OPERATORS.items():
    for _reflected in (False, True):
        _method = _missing_operator(_symbol, _instead, _reflected)
        _method.__name__ = '__%s%s__' % ('r' if _reflected else '', _name)
        _method.__qualname__ = 'NDArray.' + _method.__name__
        setattr(NDArray, _method.__name__, _method)


def _shape_ints(shape):
    """The shape argument of :meth:`NDArray.reshape` as a tuple of Python ints (one int for a
    single one). Entries are read as MXNet 1.9.1's method reads them, as C integers: a NumPy
    integer or a bool counts (True is 1), a float or None is a TypeError, named here."""
    import operator
    if not isinstance(shape, (list, tuple)):
        shape = (shape,)
    try:
        return tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError('reshape: the shape must be integers, got %r' % (tuple(shape),)) from None


# Names NDArray lacks that say what to use instead when asked for (hasattr() stays False): the
# out-of-scope C handle and other libraries' names. Descriptors, not a ``__getattr__``: a class with
# ``__getattr__`` makes every attribute read of its instances slower (the operator methods, x.sum()
# and the like, are set on the class by minigluon/ndarray/__init__.py instead).
OtherFrameworkName.install(NDArray, {**_OUT_OF_SCOPE, **_OTHER_FRAMEWORKS})


# Operator dispatch, indexing and the in-place write rules need the NDArray class, so they are
# imported last (the package ``__init__`` always imports this module first). The methods above
# look these names up when called.
from minigluon.ndarray.dispatch import call_op, invoke  # noqa: E402 (re-exported)
from minigluon.ndarray.indexing import _GetItem, _index_key, setitem  # noqa: E402
from minigluon.ndarray.inplace import (  # noqa: E402
    check_write, copy_to_context, inplace_arith, record_into, recorded_setitem)
