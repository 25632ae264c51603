"""The one NumPy/CuPy switch.

Operators receive the array module ``xp`` resolved once by the caller (``numpy`` or ``cupy``); no other
module imports CuPy. CuPy is optional: ``pip install "minigluon[gpu]"``.
"""
import numpy

try:  # CuPy is optional; any failure to import it (missing CUDA libs too) means "no GPU backend".
    import cupy  # type: ignore
except Exception:  # pragma: no cover - depends on the machine
    cupy = None


def cupy_available():
    """True when CuPy imports and sees at least one CUDA device."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # pragma: no cover - depends on the machine
        return False


def get_array_module(*arrays):
    """Return ``cupy`` if any of ``arrays`` is a CuPy array, else ``numpy``."""
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return numpy


def is_array(obj):
    """True for a NumPy or CuPy ndarray."""
    return isinstance(obj, numpy.ndarray) or (cupy is not None and isinstance(obj, cupy.ndarray))


def to_numpy(a):
    """Copy (or view) an array on the host as a NumPy array."""
    if cupy is not None and isinstance(a, cupy.ndarray):
        return cupy.asnumpy(a)
    return numpy.asarray(a)


def scatter_add(xp, target, index, values):
    """``target[index] += values`` with repeated indices accumulating (NumPy ``add.at``)."""
    if xp is numpy:
        numpy.add.at(target, index, values)
    else:  # pragma: no cover - GPU only
        import cupyx
        cupyx.scatter_add(target, index, values)


def may_share_memory(a, b):
    """True when arrays ``a`` and ``b`` (both NumPy, or both CuPy) may overlap in memory (a quick
    bounds check, as ``numpy.may_share_memory``); arrays of different modules never do."""
    mod = get_array_module(a)
    if mod is not get_array_module(b):
        return False
    return bool(mod.may_share_memory(a, b))
