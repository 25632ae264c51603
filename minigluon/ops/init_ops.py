"""Array-filling operators with no input: ``_zeros``, ``_ones``, ``_full``, ``_arange``,
``_linspace``, ``_eye``.

Semantics follow MXNet 1.9.1 (``src/operator/tensor/init_op.cc``): the output has the ``shape``
and ``dtype`` attributes (float32 by default) and lives on the ``ctx`` attribute's device (the
current context when empty). These nodes appear in exported graphs, e.g. the begin states that a
Gluon ``rnn.LSTM`` builds inside a hybridized parent are ``_zeros(shape=(L*D, 0, H))``; a 0 in the
shape gives an empty array, which the ``RNN`` operator reads as zero states of the data's batch.
They have no gradient (there is nothing to differentiate with respect to).
"""
import numpy as np

from minigluon.ops.elemwise import fill_value
from minigluon.ops.registry import Attr, Op, register

_DTYPES = ('float16', 'float32', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool')
_CTX_DTYPE = {'ctx': Attr('str', ''), 'dtype': Attr('str', 'float32', choices=_DTYPES)}


class _Fill(Op):
    """Base: no inputs, no gradient, output dtype from the ``dtype`` attribute."""

    arguments = ()
    differentiable = False
    attrs = dict({'shape': Attr('shape', (), minimum=0)}, **_CTX_DTYPE)

    def _fill(self, xp, value):
        return xp.full(tuple(self.shape or ()), value, dtype=np.dtype(self.dtype))

    def backward(self, xp, *grads):
        return ()

    def infer_shape(self, in_shapes):
        return [], [tuple(self.shape or ())]

    def infer_type(self, in_types):
        return [], [np.dtype(self.dtype)]


@register
class Zeros(_Fill):
    """An array of zeros of ``shape`` and ``dtype`` (MXNet ``_zeros``)."""

    name = '_zeros'

    def forward(self, xp):
        return self._fill(xp, 0)


@register
class Ones(_Fill):
    """An array of ones of ``shape`` and ``dtype`` (MXNet ``_ones``)."""

    name = '_ones'

    def forward(self, xp):
        return self._fill(xp, 1)


@register
class Full(_Fill):
    """An array of ``shape`` and ``dtype`` filled with ``value`` (MXNet ``_full``); into an
    integer dtype a value that does not fit is a ValueError (see
    :func:`minigluon.ops.elemwise.fill_value`)."""

    name = '_full'
    attrs = dict(_Fill.attrs, value=Attr('float'))

    def forward(self, xp):
        return self._fill(xp, fill_value(self.value, np.dtype(self.dtype), '_full: value'))


def _check_range(kind, attrs):
    """Raise ``ValueError`` naming the argument for what MXNet 1.9.1 refuses: a step of 0 or a
    repeat below 1 (arange), a negative count (linspace) or size (eye)."""
    if kind == 'arange':
        if attrs.get('step', 1.0) == 0:
            raise ValueError('arange: step must not be 0')
        if attrs.get('repeat', 1) < 1:
            raise ValueError('arange: repeat must be at least 1, got %r' % (attrs['repeat'],))
    elif kind == 'linspace':
        if attrs['num'] < 0:
            raise ValueError('linspace: num must be non-negative, got %r' % (attrs['num'],))
    elif attrs['N'] < 0 or (attrs.get('M') or 0) < 0:
        raise ValueError('eye: N and M must be non-negative, got N=%r, M=%r'
                         % (attrs['N'], attrs.get('M')))


def range_values(xp, kind, attrs):
    """The values of ``_arange`` / ``_linspace`` / ``_eye`` for the attribute dict ``attrs`` (the
    operators' forward, and ``nd.arange`` / ``nd.linspace`` / ``nd.eye``, which compute the same
    arrays on the host and move them)."""
    dtype = np.dtype(attrs.get('dtype') or 'float32')
    _check_range(kind, attrs)
    if kind == 'arange':
        values = xp.arange(attrs['start'], attrs.get('stop'), attrs.get('step', 1.0), dtype=dtype)
        repeat = attrs.get('repeat', 1)
        return xp.repeat(values, repeat) if repeat != 1 else values
    if kind == 'linspace':
        return xp.linspace(attrs['start'], attrs['stop'], attrs['num'],
                           endpoint=attrs.get('endpoint', True), dtype=dtype)
    return xp.eye(attrs['N'], attrs.get('M') or None, attrs.get('k', 0), dtype=dtype)


class _Range(_Fill):
    """Base of ``_arange`` / ``_linspace`` / ``_eye``: the values come from :func:`range_values`."""

    kind = None

    def _attrs(self):
        return {k: getattr(self, k) for k in self.attrs}

    def forward(self, xp):
        return range_values(xp, self.kind, self._attrs())

    def infer_shape(self, in_shapes):
        return [], [self.out_shape()]


@register
class Arange(_Range):
    """``start, start + step, ...`` below ``stop`` (``[0, start)`` when ``stop`` is None), each
    value ``repeat`` times (MXNet ``_arange``; ``infer_range`` is accepted for compatibility)."""

    name = '_arange'
    kind = 'arange'
    attrs = dict({'start': Attr('number'), 'stop': Attr('number', None), 'step': Attr('number', 1.0),
                  'repeat': Attr('int', 1), 'infer_range': Attr('bool', False)}, **_CTX_DTYPE)

    def out_shape(self):
        start, stop = (0, self.start) if self.stop is None else (self.start, self.stop)
        return (max(0, int(np.ceil((stop - start) / self.step))) * self.repeat,)


@register
class Linspace(_Range):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included with ``endpoint``)
    (MXNet ``_linspace``)."""

    name = '_linspace'
    kind = 'linspace'
    attrs = dict({'start': Attr('number'), 'stop': Attr('number'), 'num': Attr('int'),
                  'endpoint': Attr('bool', True)}, **_CTX_DTYPE)

    def out_shape(self):
        return (self.num,)


@register
class Eye(_Range):
    """An ``N x M`` matrix (``M = 0``: square) with ones on diagonal ``k`` (MXNet ``_eye``)."""

    name = '_eye'
    kind = 'eye'
    attrs = dict({'N': Attr('int'), 'M': Attr('int', 0), 'k': Attr('int', 0)}, **_CTX_DTYPE)

    def out_shape(self):
        return (self.N, self.M or self.N)
