"""Blocks: ``Block``, ``HybridBlock``, ``SymbolBlock``, ``Sequential``, ``HybridSequential``, hooks.

Read :mod:`~minigluon.block.block` (naming, children, parameters, hooks), then
:mod:`~minigluon.block.hybrid` (``hybrid_forward``, ``hybridize``, the cached graph). Helpers:
``_scope`` (the ``name_scope`` prefixes), ``_graph`` (the structure codes of a hybridized call's
nested arguments), ``_io`` (``save_parameters`` / ``load_parameters``), ``_model_io``
(``save`` / ``load``), ``symbol_block`` (``SymbolBlock``: a graph loaded from files), ``summary``.
"""
from minigluon.block.block import Block, HookHandle  # noqa: F401
from minigluon.block.hybrid import HybridBlock  # noqa: F401
from minigluon.block.sequential import HybridSequential, Sequential  # noqa: F401
from minigluon.block.symbol_block import SymbolBlock  # noqa: F401
# MXNet 1.9.1's private names in mxnet.gluon.block, imported by gluon-ts's mx/util.py
from minigluon.block._graph import flatten as _flatten, regroup as _regroup  # noqa: F401
