"""pytest plugin (``-p cupy_emulation.gpu_default``): every test runs inside ``with gpu(0):``.

Used with the CuPy stand-in to run the operator tests (tests/ops), which create their arrays on
the current context, on the emulated GPU. Tests that assert the default context is the CPU are
deselected by the caller (tests/cupy_emulation/test_emulated_gpu.py).
"""
import pytest


@pytest.fixture(autouse=True)
def _default_context_is_gpu():
    from minigluon.context import gpu
    with gpu(0):
        yield
