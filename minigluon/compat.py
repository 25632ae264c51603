"""Opt-in ``import mxnet`` support for unchanged legacy scripts.

After :func:`install_mxnet_alias`, ``import mxnet as mx`` and ``from mxnet.gluon import nn`` resolve to
minigluon's modules. It is opt-in because it shadows a real MXNet installation in this process.
"""
import importlib
import pkgutil
import sys


def install_mxnet_alias(name='mxnet'):
    """Register ``minigluon`` and all its submodules in ``sys.modules`` under ``name`` (default 'mxnet').

    Returns the minigluon package. Raises ImportError if a different ``mxnet`` is already imported.
    """
    import minigluon
    existing = sys.modules.get(name)
    if existing is not None and existing is not minigluon:
        raise ImportError('install_mxnet_alias: a module named %r is already imported (%r); call this '
                          'before anything imports MXNet' % (name, getattr(existing, '__file__', existing)))
    sys.modules[name] = minigluon
    for info in pkgutil.walk_packages(minigluon.__path__, 'minigluon.'):
        try:
            importlib.import_module(info.name)
        except ImportError:   # optional pieces (e.g. GPU-only) stay unaliased
            continue
    # Every module now loaded, files and the aliases minigluon registers (minigluon.gluon.nn, .nd ...)
    for key, mod in list(sys.modules.items()):
        if key.startswith('minigluon.'):
            sys.modules[name + key[len('minigluon'):]] = mod
    return minigluon
