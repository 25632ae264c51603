"""``sym.image``: the operators MXNet registers as ``_image_<name>``, under ``<name>``.

As ``mx.sym.image`` in MXNet 1.9.1: ``sym.image.to_tensor(x)`` builds an ``_image_to_tensor``
node named after the short name (``to_tensor0``...). :func:`refresh` adds operators registered
later. Inside ``hybrid_forward`` these are ``F.image.<name>`` when ``F`` is ``sym``.
"""
from minigluon.ndarray._prefixed import fill as _fill
from minigluon.ndarray.image import _PREFIX
from minigluon.symbol.creation import make_function as _make_function


def refresh():
    """Add functions for ``_image_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX, lambda full, short: _make_function(full, hint=short))


refresh()
