"""Opt-in ``import mxnet`` support for unchanged legacy scripts.

After :func:`install_mxnet_alias`, ``import mxnet as mx`` and ``from mxnet.gluon import nn`` resolve to
minigluon's modules. It is opt-in because it shadows a real MXNet installation in this process.

A script that cannot be edited runs under the alias with ``python -m minigluon.compat script.py
[arguments]`` (:func:`run_script`), as ``python script.py [arguments]`` would run it.
"""
import importlib
import os
import pkgutil
import runpy
import sys

#: The MXNet release whose API, semantics and file formats minigluon follows (docs/MXNET_SPEC.md).
MXNET_VERSION = '1.9.1'


def install_mxnet_alias(name='mxnet'):
    """Register ``minigluon`` and all its submodules in ``sys.modules`` under ``name`` (default 'mxnet').

    Under the alias ``mxnet.__version__`` is :data:`MXNET_VERSION` ('1.9.1'), the release minigluon
    follows: unchanged libraries gate their import on it (GluonCV 0.10.5 requires
    ``1.4.0 <= mxnet.__version__ < 2.0.0``). Without the alias ``minigluon.__version__`` is minigluon's
    own version; ``importlib.metadata.version('minigluon')`` gives that one in either case.

    Returns the minigluon package. Raises ImportError if a different ``mxnet`` is already imported.
    """
    import minigluon
    existing = sys.modules.get(name)
    if existing is not None and existing is not minigluon:
        raise ImportError('install_mxnet_alias: a module named %r is already imported (%r); call this '
                          'before anything imports MXNet' % (name, getattr(existing, '__file__', existing)))
    sys.modules[name] = minigluon
    minigluon.__version__ = MXNET_VERSION
    for info in pkgutil.walk_packages(minigluon.__path__, 'minigluon.'):
        try:
            importlib.import_module(info.name)
        except ImportError:   # optional pieces (e.g. GPU-only) stay unaliased
            continue
    _alias_submodules()
    # Every module now loaded, files and the aliases minigluon registers (minigluon.gluon.nn, .nd ...)
    for key, mod in list(sys.modules.items()):
        if key.startswith('minigluon.'):
            sys.modules[name + key[len('minigluon'):]] = mod
    return minigluon


def _alias_submodules():
    """Give the submodules of every aliased package their name under the alias too.

    ``minigluon.gluon.data`` is ``minigluon.data`` under a second name; without an entry for
    ``minigluon.gluon.data.dataset``, ``from mxnet.gluon.data.dataset import SimpleDataset`` would
    load ``dataset.py`` a second time, and its classes would not be those of ``mxnet.gluon.data``
    (GluonNLP 0.10's dataset registry then refuses its own datasets). Repeats until no name is
    added, so aliases of aliases are covered."""
    added = True
    while added:
        added = False
        modules = list(sys.modules.items())
        for key, mod in modules:
            real = getattr(mod, '__name__', key)
            if not key.startswith('minigluon.') or real == key or not hasattr(mod, '__path__'):
                continue
            for sub_key, sub in modules:
                if sub_key.startswith(real + '.'):
                    alias = key + sub_key[len(real):]
                    if alias not in sys.modules:
                        sys.modules[alias] = sub
                        added = True


def run_script(argv):
    """Run ``argv[0]``, a Python file, as ``__main__`` with ``mxnet`` aliased to minigluon.

    ``argv`` is the command line ``python script.py a b`` would give the script: ``sys.argv``
    becomes ``argv`` and the script's folder comes first on ``sys.path``, as when Python runs a
    file, so the script's own modules import. Returns the script's globals.
    """
    usage = ('usage: python -m minigluon.compat SCRIPT.py [ARGUMENTS...]\n'
             'Run a script written for MXNet 1.x with `import mxnet` resolving to minigluon.')
    if argv and argv[0] in ('-h', '--help'):
        print(usage)
        raise SystemExit(0)
    if not argv:
        raise SystemExit(usage)
    path = argv[0]
    if not os.path.isfile(path):
        raise SystemExit('python -m minigluon.compat: %r is not a file' % (path,))
    install_mxnet_alias()
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    return runpy.run_path(path, run_name='__main__')


if __name__ == '__main__':
    run_script(sys.argv[1:])
