"""Attribute scopes: ``with AttrScope(ctx_group='dev1'):`` tags every symbol created inside.

Semantics follow ``mxnet.attribute.AttrScope`` (MXNet 1.9.1): attribute values must be strings;
nested scopes merge their attributes, the inner scope winning; attributes given explicitly when a
symbol is created win over the scope's.
"""
import threading

from minigluon.name import _ClassProperty

__all__ = ['AttrScope']


class AttrScope:
    """A scope of string attributes attached to symbols created inside it.

    Parameters
    ----------
    **kwargs : str
        Attribute names and values (e.g. ``ctx_group='stage1'``, ``__lr_mult__='0.1'``).

    Raises
    ------
    ValueError
        If a value is not a string.
    """

    _current = None

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ValueError('AttrScope: attribute %r must be a string, got %s'
                                 % (key, type(value).__name__))
        self._attr = dict(kwargs)
        # the scope each __enter__ not yet exited replaced: a scope may be entered again inside
        # itself (MXNet 1.9.1 keeps one, so the scope stays current after the outer exit)
        self._entered = []

    def get(self, attr):
        """Merge ``attr`` (a dict or None) over this scope's attributes and return a new dict."""
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self):
        enclosing = AttrScope._current.value
        self._entered.append(enclosing)
        merged = dict(enclosing._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._current.value = self
        return self

    def __exit__(self, ptype, value, trace):
        AttrScope._current.value = self._entered.pop()

    @_ClassProperty
    def current(cls):
        """The scope in effect for this thread (an empty scope outside any ``with``)."""
        return AttrScope._current.value


class _Current(threading.local):
    def __init__(self):
        super().__init__()
        self.value = AttrScope()


AttrScope._current = _Current()
