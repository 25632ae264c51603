"""``nd._internal``: the operators whose registered names start with ``_`` (MXNet 1.9.1
``mx.nd._internal``).

MXNet files every operator named ``_<something>`` into the module ``_internal``, except the
prefixed families that have namespaces of their own (``_contrib_*`` in ``contrib``, ``_linalg_*``
in ``linalg``, ``_image_*`` in ``image``, ``_np*`` in ``mx.np``, and the ``_random_*_like``
samplers, which are ``nd.random.uniform_like`` and co.). Gluon code calls them as
``F._internal._plus(a, b, name=...)``: MXNet 1.x's own ``LSTMCell`` and ``GRUCell`` do, and so
do the many custom cells written from them. The functions are those of ``nd`` (``nd._internal._plus
is nd._plus``); :func:`internal_functions` picks them, and ``sym._internal`` uses it too.
"""
from minigluon.ops import OPS as _OPS

# prefixes of the operator families MXNet keeps out of ``_internal``
_OWN_NAMESPACE = ('_contrib_', '_linalg_', '_image_', '_np')


def internal_functions(namespace, names):
    """``{name: namespace[name]}`` for the ``names`` starting with ``_`` that MXNet files into
    ``_internal`` and that ``namespace`` (the ``nd`` or ``sym`` module's dict) holds."""
    return {name: namespace[name] for name in names
            if name.startswith('_') and not name.startswith('__')
            and not name.startswith(_OWN_NAMESPACE) and name in namespace
            and not (name.startswith('_random_') and name.endswith('_like'))}


def refresh():
    """Add the operators registered after this module was imported."""
    import sys
    nd = sys.modules['minigluon.ndarray']
    globals().update(internal_functions(vars(nd), list(_OPS)))


refresh()
