"""Operators: the registry and one module per family. Importing this package registers them all."""
from minigluon.ops.registry import OPS, Attr, Op, get_op, register  # noqa: F401
from minigluon.ops import elemwise  # noqa: F401

_FAMILIES = ['unary', 'reduce', 'shape', 'indexing', 'linalg', 'nn', 'conv', 'norm', 'rnn', 'ctc',
             'random_ops', 'misc']


def _load_families():
    import importlib
    for fam in _FAMILIES:
        try:
            importlib.import_module('minigluon.ops.' + fam)
        except ModuleNotFoundError as err:  # a family not written yet
            if err.name != 'minigluon.ops.' + fam:
                raise


_load_families()
