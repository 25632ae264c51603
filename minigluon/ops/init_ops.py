"""Array-filling operators with no input: ``_zeros``, ``_ones``, ``_full``.

Semantics follow MXNet 1.9.1 (``src/operator/tensor/init_op.cc``): the output has the ``shape``
and ``dtype`` attributes (float32 by default) and lives on the ``ctx`` attribute's device (the
current context when empty). These nodes appear in exported graphs, e.g. the begin states that a
Gluon ``rnn.LSTM`` builds inside a hybridized parent are ``_zeros(shape=(L*D, 0, H))``; a 0 in the
shape gives an empty array, which the ``RNN`` operator reads as zero states of the data's batch.
They have no gradient (there is nothing to differentiate with respect to).
"""
import numpy as np

from minigluon.ops.registry import Attr, Op, register

_DTYPES = ('float16', 'float32', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool')


class _Fill(Op):
    """Base: no inputs, no gradient, output dtype from the ``dtype`` attribute."""

    arguments = ()
    differentiable = False
    attrs = {'shape': Attr('shape', ()), 'ctx': Attr('str', ''),
             'dtype': Attr('str', 'float32', choices=_DTYPES)}

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
    """An array of ``shape`` and ``dtype`` filled with ``value`` (MXNet ``_full``)."""

    name = '_full'
    attrs = dict(_Fill.attrs, value=Attr('float'))

    def forward(self, xp):
        return self._fill(xp, self.value)
