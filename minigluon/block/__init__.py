"""Blocks: ``Block``, ``HybridBlock``, ``SymbolBlock``, ``Sequential``, ``HybridSequential``, hooks."""
from minigluon.block.block import Block, HookHandle  # noqa: F401
from minigluon.block.hybrid import HybridBlock  # noqa: F401
from minigluon.block.sequential import HybridSequential, Sequential  # noqa: F401

try:  # SymbolBlock is written separately (symbol engineer)
    from minigluon.block.symbol_block import SymbolBlock  # noqa: F401
except ModuleNotFoundError as _err:  # pragma: no cover - until it lands
    if _err.name != 'minigluon.block.symbol_block':
        raise
