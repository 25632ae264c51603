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
        self._old_scope = None
        self._name_scope = None

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
        """Return ``(prefix, params)`` for a new Block, per MXNet's naming rules (spec section 2.1)."""
        current = getattr(_BlockScope._current, 'value', None)
        if current is None:
            if prefix is None:
                from minigluon.name import NameManager
                prefix = NameManager.current.get(None, hint) + '_'
            if params is None:
                params = ParameterDict(prefix)
            else:
                params = ParameterDict(params.prefix, params)
            return prefix, params
        parent = current._block()
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = '%s%d_' % (hint, count)
            current._counter[hint] = count + 1
        if params is None:
            params = ParameterDict(parent.params.prefix + prefix, parent.params._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return parent.prefix + prefix, params

    def __enter__(self):
        block = self._block()
        if block._empty_prefix:
            return self
        self._old_scope = getattr(_BlockScope._current, 'value', None)
        _BlockScope._current.value = self
        from minigluon.name import Prefix
        self._name_scope = Prefix(block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, ptype, value, trace):
        if self._block()._empty_prefix:
            return
        self._name_scope.__exit__(ptype, value, trace)
        self._name_scope = None
        _BlockScope._current.value = self._old_scope
