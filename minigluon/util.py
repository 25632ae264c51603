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


def get_gpu_count():
    """The number of GPUs minigluon can use (0 without CuPy or a device; MXNet 1.9.1
    ``util.get_gpu_count``)."""
    from minigluon.context import num_gpus
    return num_gpus()


def get_gpu_memory(gpu_dev_id):
    """``(free, total)`` bytes of GPU ``gpu_dev_id`` (MXNet 1.9.1 ``util.get_gpu_memory``).
    Raises MXNetError without a GPU or for a device id out of range."""
    from minigluon.context import gpu_memory_info
    return gpu_memory_info(gpu_dev_id)
