"""``Sequential`` and ``HybridSequential``: containers that chain their children.

Semantics follow ``mxnet.gluon.nn.Sequential``/``HybridSequential`` (MXNet 1.9.1): ``add(*blocks)``
registers children in order, ``net[i]`` is a child and ``net[a:b]`` a new container of the same type
and prefix holding those children; ``forward`` feeds each child's output to the next.
"""
import warnings

from minigluon.block.block import Block, _indent
from minigluon.block.hybrid import HybridBlock


def _container_repr(net):
    modstr = '\n'.join('  ({key}): {block}'.format(key=key, block=_indent(repr(block), 2))
                       for key, block in net._children.items())
    return '{name}(\n{modstr}\n)'.format(name=type(net).__name__, modstr=modstr)


def _slice(net, key):
    children = list(net._children.values())[key]
    if not isinstance(key, slice):
        return children
    new = type(net)(prefix=net.prefix)
    with new.name_scope():
        new.add(*children)
    return new


class Sequential(Block):
    """Stacks Blocks sequentially: ``net.add(a, b)``; ``net(x) == b(a(x))``.

    Parameters
    ----------
    prefix, params
        As for :class:`~minigluon.block.Block`.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        """Append ``blocks`` as children, in order."""
        for block in blocks:
            self.register_child(block)

    def forward(self, x, *args):
        for block in self._children.values():
            x = block(x, *args)
            args = []
            if isinstance(x, (tuple, list)):
                args = x[1:]
                x = x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __repr__(self):
        return _container_repr(self)

    def __getitem__(self, key):
        """Child ``key`` (int), or a new Sequential with the same prefix over a slice of children."""
        return _slice(self, key)

    def __len__(self):
        return len(self._children)

    def hybridize(self, active=True, **kwargs):
        """Hybridize the HybridBlock children; warns when all children are HybridBlocks."""
        if self._children and all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn("All children of this Sequential layer '%s' are HybridBlocks. Consider "
                          "using HybridSequential for the best performance." % self.prefix[:-1],
                          stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(HybridBlock):
    """Stacks HybridBlocks sequentially; can be hybridized and exported as one graph."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def add(self, *blocks):
        """Append ``blocks`` (HybridBlocks) as children, in order."""
        for block in blocks:
            self.register_child(block)

    def hybrid_forward(self, F, x, *args):
        for block in self._children.values():
            x = block(x, *args)
            args = []
            if isinstance(x, (tuple, list)):
                args = x[1:]
                x = x[0]
        if args:
            x = tuple([x] + list(args))
        return x

    def __repr__(self):
        return _container_repr(self)

    def __getitem__(self, key):
        """Child ``key`` (int), or a new HybridSequential with the same prefix over a slice."""
        return _slice(self, key)

    def __len__(self):
        return len(self._children)
