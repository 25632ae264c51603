"""``gluon.contrib.nn``: HybridConcurrent, Concurrent, Identity (MXNet 1.9.1).

Concurrent containers feed the same input to every child and concatenate the outputs along
``axis`` (Inception and DenseNet branches).
"""
from minigluon import ndarray
from minigluon.block import HybridBlock, HybridSequential, Sequential

__all__ = ['Concurrent', 'HybridConcurrent', 'Identity']


class Concurrent(Sequential):
    """Run every child on the input and ``concat`` the outputs along ``axis`` (default -1)."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x):
        return ndarray.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """Hybridizable :class:`Concurrent`."""

    def __init__(self, axis=-1, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def hybrid_forward(self, F, x):
        return F.concat(*[block(x) for block in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input unchanged (a placeholder branch in a concurrent block)."""

    def hybrid_forward(self, F, x):
        return x
