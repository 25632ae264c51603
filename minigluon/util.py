"""``mx.util``: the few helpers legacy code checks (NumPy-mode flags, GPU count and memory, the
environment, ``set_module``), as MXNet 1.9.1's. minigluon has only MXNet's legacy (non-``np``) mode."""


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


def getenv(name):
    """The value of environment variable ``name``, or None when it is not set (MXNet 1.9.1
    ``util.getenv``, which asks the C runtime; here ``os.environ``, which Python keeps in step
    with the C runtime)."""
    import os
    return os.environ.get(name)


def setenv(name, value):
    """Set environment variable ``name`` to the str ``value``; None unsets it (MXNet 1.9.1
    ``util.setenv``). Here through ``os.environ``, so ``os.environ`` sees the change too (MXNet
    sets it in the C runtime only). minigluon reads its own variables (``MINIGLUON_NUMBA``...)
    when it is imported, so setting those later has no effect on the running process.

    Raises TypeError for a ``value`` that is neither a str nor None."""
    import os
    if value is None:
        os.environ.pop(name, None)
    elif not isinstance(value, str):
        raise TypeError('setenv: value must be a str or None, got %s' % type(value).__name__)
    else:
        os.environ[name] = value


def get_cuda_compute_capability(ctx):
    """The CUDA compute capability of the GPU of ``ctx`` as an int, e.g. 70 for ``sm_70``
    (MXNet 1.9.1 ``util.get_cuda_compute_capability``).

    Raises
    ------
    ValueError
        When ``ctx`` is not a GPU context (as MXNet).
    MXNetError
        When no GPU is available (no CuPy or no device) or the device id is out of range (MXNet
        raises OSError without a CUDA driver, RuntimeError without a device; MXNetError is a
        RuntimeError).
    """
    from minigluon.base import MXNetError
    from minigluon.context import Context, num_gpus
    ctx = Context(ctx)
    if ctx.device_type != 'gpu':
        raise ValueError('get_cuda_compute_capability: expected a gpu context, got %s' % ctx)
    count = num_gpus()
    if not 0 <= ctx.device_id < count:
        raise MXNetError('get_cuda_compute_capability: %s is not available: %d GPU(s) present '
                         '(CuPy is missing or sees no CUDA device when 0)' % (ctx, count))
    from minigluon import backend
    return int(backend.cupy.cuda.Device(ctx.device_id).compute_capability)


def set_module(module):
    """Decorator setting the ``__module__`` of a function or class to ``module`` (left alone
    when ``module`` is None), as MXNet 1.9.1 ``util.set_module``::

        @set_module('minigluon.foo')
        def bar(): ...
    """
    def decorator(func):
        if module is not None:
            func.__module__ = module
        return func
    return decorator
