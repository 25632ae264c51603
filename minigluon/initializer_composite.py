"""Composite initializers: ``Load`` (values from saved arrays) and ``Mixed`` (one per name pattern).

Semantics follow ``mxnet.initializer.Load`` and ``mxnet.initializer.Mixed`` (MXNet 1.9.1). Unlike the
:class:`~minigluon.initializer.Initializer` subclasses, these two are plain callables
``init(name, arr)`` that choose or delegate to other initializers rather than draw values
themselves, so they read well apart from the rest of :mod:`minigluon.initializer`, which keeps the
base class, the registry and the value-drawing initializers. That module imports this one at its
end and re-exports ``Load`` and ``Mixed``, so ``mx.init.Load`` and
``from minigluon.initializer import Mixed`` keep working.
"""
import re

from minigluon.initializer import InitDesc, Initializer


class Load:
    """Initialize from a dict of arrays (or a ``.params`` file), falling back to ``default_init``.

    ``arg:``/``aux:`` key prefixes are stripped, as in MXNet.

    Raises
    ------
    ValueError
        When a loaded array's shape differs from the parameter's, or a name is absent and no
        ``default_init`` was given.
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            from minigluon import serialization
            param = serialization.load(param)
        if not isinstance(param, dict):
            raise TypeError('Load: param must be a dict of arrays or a file holding named arrays')
        self.param = {}
        for name, arr in param.items():
            if name.startswith(('arg:', 'aux:')):
                name = name[4:]
            self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            src = self.param[name]
            if tuple(src.shape) != tuple(arr.shape):
                raise ValueError('Load: parameter %s cannot be initialized from loading: shape '
                                 'mismatch, target %s vs loaded %s' % (name, arr.shape, src.shape))
            arr[:] = src
            if self.verbose:
                print('Initialized %s by loading' % name)
        else:
            if self.default_init is None:
                raise ValueError('Load: cannot initialize %s, it is not in the loaded params and no '
                                 'default_init was given' % name)
            _apply(self.default_init, name, arr)


def _apply(initializer, name, arr):
    # The chosen initializer fills the array whatever the name's suffix (as Gluon does), unless the
    # InitDesc names the parameter's own initializer ('__init__'), which wins as in MXNet.
    if isinstance(name, InitDesc) and name.attrs.get('__init__'):
        initializer(name, arr)
    elif isinstance(initializer, Initializer):
        initializer(InitDesc(name, {'__init__': initializer}), arr)
    else:
        initializer(name, arr)


class Mixed:
    """Choose an initializer by the first regular expression (``re.match``) matching the name.

    The chosen initializer fills the array whatever the name's suffix, unless the InitDesc carries
    the parameter's own ``'__init__'``, which wins. **Differs from MXNet 1.9.1**, whose Gluon
    ``initialize`` rejects ``Mixed`` and ``Load`` ("initializer must be of string type") and whose
    direct call lets the chosen initializer dispatch on the suffix (``One()`` chosen for
    ``'fc_bias'`` writes zeros there); here ``One()`` writes ones, as the pattern asked.

    Raises
    ------
    ValueError
        When no pattern matches (add ``'.*'`` as the last pattern for a default).
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError('Mixed: got %d patterns but %d initializers'
                             % (len(patterns), len(initializers)))
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                _apply(init, name, arr)
                return
        raise ValueError('Parameter name %s did not match any pattern. Consider adding a ".*" '
                         'pattern at the end with a default Initializer.' % name)
