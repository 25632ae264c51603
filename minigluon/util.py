"""``mx.util``: the few helpers legacy code checks. minigluon has only MXNet's legacy (non-``np``) mode."""


def is_np_array():
    """Always False: minigluon implements MXNet's legacy NDArray semantics, not ``mx.np``."""
    return False


def is_np_shape():
    """Always False (legacy shape semantics: 0 means an unknown dimension)."""
    return False


def set_np_shape(active):
    if active:
        from minigluon.base import NotSupportedError
        raise NotSupportedError('minigluon does not implement NumPy-shape mode (mx.np / npx.set_np)')
    return False


def use_np(func):
    """Decorator accepted for compatibility; numpy mode itself is not supported."""
    return func
