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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that reaches a feature whose optional package is not installed here skips, with
    the message minigluon raises (``MissingDependencyError``, e.g. "... with Pillow, which is not
    installed: pip install pillow"), instead of failing: minigluon runs on NumPy alone, and the
    ``test`` extra installs every optional package, so the full suite runs those tests. Only an
    error raised while the package's import failed skips (minigluon raises it inside ``except
    ImportError``); any other ``MissingDependencyError`` fails the test."""
    from minigluon.base import MissingDependencyError
    try:
        return (yield)
    except MissingDependencyError as err:
        if not isinstance(err.__context__, ImportError):   # only a failed import of the package
            raise
        pytest.skip('optional package not installed: %s' % err)

