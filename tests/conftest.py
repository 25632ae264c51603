import os

if os.environ.get('MINIGLUON_EMULATE_CUPY') == '1':
    # Test-only: run the GPU code paths on the CPU through a strict CuPy stand-in
    # (tests/cupy_emulation/README.md). Must happen before minigluon is imported.
    from cupy_emulation import fakecupy as _fakecupy
    _fakecupy.install()

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
