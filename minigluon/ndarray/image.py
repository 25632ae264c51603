"""``nd.image``: the operators MXNet registers as ``_image_<name>``, under ``<name>``.

As ``mx.nd.image`` in MXNet 1.9.1: ``nd.image.to_tensor(x)`` runs ``_image_to_tensor`` (also
``nd._image_to_tensor``). The list is read from the operator registry
(:mod:`minigluon.ops.image`, :mod:`minigluon.ops.image_random`); :func:`refresh` adds operators
registered later. Inside ``hybrid_forward`` these are ``F.image.<name>`` when ``F`` is ``nd``.
"""
from minigluon.ndarray._prefixed import fill as _fill

_PREFIX = '_image_'


def refresh():
    """Add functions for ``_image_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX)


refresh()
