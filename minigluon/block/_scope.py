"""The naming scope of ``Block.name_scope()`` (MXNet 1.9.1's automatic prefixes, docs/MXNET_SPEC.md section 2.1)."""
import threading
import weakref

from minigluon.parameter_dict import ParameterDict


class _BlockScope:
    """The naming scope opened by ``block.name_scope()``: children get ``block.prefix + hint + n_``."""

    _current = threading.local()

    def __init__(self, block):
        self._block = weakref.ref(block) if block is not None else None
        self._counter = {}
        # one (enclosing block scope, name manager) per __enter__ not yet exited: the scope is
        # re-entrant (a helper of __init__ may open name_scope() again inside its own)
        self._entered = []

    def __getstate__(self):
        """The block (pickled strongly; the weak reference is made again on load) and the child
        counters, so children added after unpickling continue the numbering (``dense2_``)."""
        return {'block': self._block() if self._block is not None else None,
                'counter': self._counter}

    def __setstate__(self, state):
        self.__init__(state['block'])
        self._counter = state['counter']

    @staticmethod
    def create(prefix, params, hint):
        """``(prefix, params)`` of a new Block: its full prefix and its own ParameterDict.

        ``hint`` is the block's ``_alias()`` (``'dense'``); ``prefix`` and ``params`` are the
        constructor's. Outside any ``name_scope`` see :func:`_top_level_names`, inside one
        :func:`_names_in_scope` (MXNet 1.9.1 ``_BlockScope.create``, ``python/mxnet/gluon/block.py``;
        docs/MXNET_SPEC.md section 2.1).
        """
        current = getattr(_BlockScope._current, 'value', None)
        if current is None:
            return _top_level_names(prefix, params, hint)
        return _names_in_scope(current, prefix, params, hint)

    def __enter__(self):
        """Make this the current block scope (children made now are named by
        :func:`_names_in_scope`) and enter a :class:`minigluon.name.Prefix` of the block's prefix,
        so graph nodes traced without a name get it too (``mlp0_fullyconnected0``). A block made
        with ``prefix=''`` opens no scope: its children are named in the enclosing one.

        Entering the scope again while inside it works (MXNet 1.9.1 keeps one saved scope, so
        the inner exit fails with "'NoneType' object has no attribute '__exit__'" and leaves the
        block's scope current: later top-level blocks get its prefix)."""
        block = self._block()
        if block._empty_prefix:
            return self
        from minigluon.name import Prefix
        names = Prefix(block.prefix)
        self._entered.append((getattr(_BlockScope._current, 'value', None), names))
        _BlockScope._current.value = self
        names.__enter__()
        return self

    def __exit__(self, ptype, value, trace):
        """Restore the enclosing block scope and name manager."""
        if self._block()._empty_prefix:
            return
        enclosing, names = self._entered.pop()
        names.__exit__(ptype, value, trace)
        _BlockScope._current.value = enclosing


def _top_level_names(prefix, params, hint):
    """A Block made outside any ``name_scope``: ``prefix``, else the process-wide name manager's
    next ``hint`` name plus ``'_'`` (``dense0_``, ``dense1_``...: :class:`minigluon.name.NameManager`).
    Its ParameterDict has that prefix, or, given ``params`` (sharing), ``params``' prefix and
    entries, so the shared Parameters keep their names."""
    if prefix is None:
        from minigluon.name import NameManager
        prefix = NameManager.current.get(None, hint) + '_'
    if params is None:
        params = ParameterDict(prefix)
    else:
        params = ParameterDict(params.prefix, params)
    return prefix, params


def _names_in_scope(scope, prefix, params, hint):
    """A Block made inside ``scope`` (the parent's ``name_scope()``): the parent's prefix plus
    ``prefix``, else plus ``hint`` and the parent's own count of that hint (``mlp0_dense1_``).
    Its ParameterDict prefixes names the same way and looks Parameters up in the parent's shared
    dict first; given ``params``, it takes ``params``' prefix and entries instead."""
    parent = scope._block()
    if prefix is None:
        count = scope._counter.get(hint, 0)
        prefix = '%s%d_' % (hint, count)
        scope._counter[hint] = count + 1
    if params is None:
        params = ParameterDict(parent.params.prefix + prefix, parent.params._shared)
    else:
        params = ParameterDict(params.prefix, params)
    return parent.prefix + prefix, params
