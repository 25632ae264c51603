"""``HookHandle``: the handle returned by ``Block.register_forward_hook`` / ``register_forward_pre_hook``."""
import weakref
from collections import OrderedDict


class HookHandle:
    """Handle of a registered forward (pre-)hook: ``detach()`` removes it; also a context manager."""

    def __init__(self):
        self._hooks_dict_ref = None
        self._id = None

    def attach(self, hooks_dict, hook):
        """Store ``hook`` in ``hooks_dict`` (an OrderedDict); a handle attaches only once."""
        if self._hooks_dict_ref is not None:
            raise RuntimeError('The same HookHandle cannot be attached twice.')
        self._id = id(hook)
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self):
        """Remove the hook (idempotent)."""
        hooks_dict = self._hooks_dict_ref() if self._hooks_dict_ref is not None else None
        if hooks_dict is not None and self._id in hooks_dict:
            del hooks_dict[self._id]

    def __getstate__(self):
        return (self._hooks_dict_ref() if self._hooks_dict_ref is not None else None, self._id)

    def __setstate__(self, state):
        if state[0] is None:
            self._dead = OrderedDict()       # keep the referent alive so detach() stays a no-op
            self._hooks_dict_ref = weakref.ref(self._dead)
        else:
            self._hooks_dict_ref = weakref.ref(state[0])
        self._id = state[1]

    def __enter__(self):
        return self

    def __exit__(self, ptype, value, trace):
        self.detach()
