"""Variable-length sequences: ``SequenceMask``, ``SequenceLast``, ``SequenceReverse``.

Semantics follow MXNet 1.9.1 (``src/operator/sequence_mask.cc``, ``sequence_last.cc``,
``sequence_reverse.cc``): ``data`` is time-major ``(T, N, ...)`` (``axis=0``) or batch-major
``(N, T, ...)`` (``axis=1``); with ``use_sequence_length=True`` a second input holds each
sequence's length (floating lengths are truncated, as MXNet casts them). A length outside
``[0, T]`` raises ``ValueError`` (MXNet 1.9.1 reads past the data there: garbage or a crash).
The length input receives a zero gradient.
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register, shape_error


class _Sequence(Op):
    """Base of the Sequence* operators: ``data`` is ``(T, N, ...)`` (axis 0) or ``(N, T, ...)``."""

    attrs = {'use_sequence_length': Attr('bool', False), 'axis': Attr('int', 0)}

    def check_attrs(self):
        if self.axis not in (0, 1):
            raise ValueError('%s: axis must be 0 or 1, got %d' % (self.name, self.axis))

    def list_arguments(self):
        return ['data', 'sequence_length'] if self.use_sequence_length else ['data']

    def _lengths(self, xp, data, seq_len):
        """Time-major view of ``data`` (T, N, ...) and the int lengths (N,)."""
        if data.ndim < 2:     # (a tuple index error inside, as in MXNet 1.9.1's shape rule)
            raise shape_error(self, 'data must have at least 2 dimensions, (T, N, ...) with axis=0 '
                              'or (N, T, ...) with axis=1', data)
        tm = self._back(data)
        t, n = tm.shape[0], tm.shape[1]
        if seq_len is None:
            return tm, xp.full((n,), t, dtype=np.int64)
        if seq_len.shape != (n,):
            raise shape_error(self, 'sequence_length must have shape (%d,)' % n, data, seq_len)
        if n and not (0 <= float(seq_len.min()) and float(seq_len.max()) <= t):
            raise ValueError('%s: sequence_length must hold lengths between 0 and the number of '
                             'steps T=%d, got %s' % (self.name, t, seq_len.tolist()))
        self.seq_len = seq_len
        return tm, seq_len.astype(np.int64)

    def _back(self, tm):
        """Swap between time-major and ``data``'s layout (its own inverse)."""
        return tm if self.axis == 0 else tm.swapaxes(0, 1)

    def _zero_len(self, xp):
        return (xp.zeros_like(self.seq_len),) if self.use_sequence_length else ()


@register
class SequenceMask(_Sequence):
    """Set positions at or beyond each sequence's length to ``value``."""

    name = 'SequenceMask'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'sequence_length')
    attrs = {'use_sequence_length': Attr('bool', False), 'value': Attr('float', 0.0),
             'axis': Attr('int', 0)}

    def forward(self, xp, data, seq_len=None):
        tm, lengths = self._lengths(xp, data, seq_len)
        keep = xp.arange(tm.shape[0])[:, None] < lengths[None, :]
        self.keep = keep.reshape(keep.shape + (1,) * (tm.ndim - 2))
        out = xp.where(self.keep, tm, xp.asarray(self.value, dtype=data.dtype))
        return xp.ascontiguousarray(self._back(out))

    def backward(self, xp, grad):
        return (self._back(self._back(grad) * self.keep),) + self._zero_len(xp)


@register
class SequenceLast(_Sequence):
    """The last valid element of each sequence: output ``(N, ...)``."""

    name = 'SequenceLast'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'sequence_length')

    def forward(self, xp, data, seq_len=None):
        tm, lengths = self._lengths(xp, data, seq_len)
        if tm.shape[0] == 0 and tm.shape[1]:
            raise shape_error(self, 'a sequence of 0 steps has no last element', data)
        self.tm_shape, self.last = tm.shape, xp.maximum(lengths - 1, 0)
        self.cols = xp.arange(tm.shape[1])
        return tm[self.last, self.cols]

    def backward(self, xp, grad):
        g = xp.zeros(self.tm_shape, dtype=grad.dtype)
        g[self.last, self.cols] = grad
        return (xp.ascontiguousarray(self._back(g)),) + self._zero_len(xp)


@register
class SequenceReverse(_Sequence):
    """Reverse the first ``length`` steps of each sequence; padding steps stay in place."""

    name = 'SequenceReverse'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'sequence_length')

    def forward(self, xp, data, seq_len=None):
        tm, lengths = self._lengths(xp, data, seq_len)
        t = xp.arange(tm.shape[0])[:, None]
        self.src = xp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)   # (T, N)
        self.cols = xp.arange(tm.shape[1])[None, :]
        return xp.ascontiguousarray(self._back(tm[self.src, self.cols]))

    def backward(self, xp, grad):
        tm = self._back(grad)
        return (xp.ascontiguousarray(self._back(tm[self.src, self.cols])),) + self._zero_len(xp)
