"""``Sequential`` and ``HybridSequential``: containers that chain their children.

Semantics follow ``mxnet.gluon.nn.Sequential``/``HybridSequential`` (MXNet 1.9.1): ``add(*blocks)``
registers children in order, ``net[i]`` is a child and ``net[a:b]`` a new container of the same type
and prefix holding those children; ``forward`` feeds each child's output to the next.
"""
import warnings

from minigluon.block.block import Block, _indent
from minigluon.block.hybrid import HybridBlock


class _Chain:
    """What both containers share: adding children, chaining them, indexing, length and repr."""

    def add(self, *blocks):
        """Append ``blocks`` as children, in order."""
        for block in blocks:
            self.register_child(block)

    def _chain(self, x, *args):
        # A child returning a tuple passes its extra outputs as extra inputs to the next child.
        for block in self._children.values():
            x = block(x, *args)
            args = []
            if isinstance(x, (tuple, list)):
                args = x[1:]
                x = x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __getitem__(self, key):
        """Child ``key`` (int), or a new container of the same type and prefix over a slice."""
        children = list(self._children.values())[key]
        if not isinstance(key, slice):
            return children
        new = type(self)(prefix=self.prefix)
        with new.name_scope():
            new.add(*children)
        return new

    def __len__(self):
        return len(self._children)

    def __repr__(self):
        modstr = '\n'.join('  ({key}): {block}'.format(key=key, block=_indent(repr(block), 2))
                           for key, block in self._children.items())
        return '{name}(\n{modstr}\n)'.format(name=type(self).__name__, modstr=modstr)


class Sequential(_Chain, Block):
    """Stacks Blocks sequentially: ``net.add(a, b)``; ``net(x) == b(a(x))``.

    Parameters
    ----------
    prefix, params
        As for :class:`~minigluon.block.Block`.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def forward(self, x, *args):
        return self._chain(x, *args)

    def hybridize(self, active=True, **kwargs):
        """Hybridize the HybridBlock children; warns when all children are HybridBlocks."""
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn("All children of this Sequential layer '%s' are HybridBlocks. Consider "
                          "using HybridSequential for the best performance." % self.prefix[:-1],
                          stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(_Chain, HybridBlock):
    """Stacks HybridBlocks sequentially; can be hybridized and exported as one graph."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args):
        return self._chain(x, *args)
