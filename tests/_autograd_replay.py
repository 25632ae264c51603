"""Replaying an autograd program statement by statement, as MXNet 1.9.1 ran it for a fixture
(``tests/test_autograd_fuzz_regressions.py``, ``tests/test_autograd_join_patterns.py``)."""
import warnings

import numpy as np

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError


def replay(lines):
    """Run each statement of ``lines`` in one namespace (``mx``, ``nd``, ``autograd``, ``np``);
    return ``(raised, namespace)``, ``raised`` a list of 0/1 per statement (1: it raised
    MXNetError; any other error fails the test). Scopes a program left open (``record()``
    entered by hand) are closed afterwards; ``x.copyto(x)``'s RuntimeWarning is expected."""
    env = {'mx': mx, 'nd': nd, 'autograd': autograd, 'np': np}
    raised = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        try:
            for line in lines:
                try:
                    exec(line, env)
                    raised.append(0)
                except MXNetError:
                    raised.append(1)
        finally:
            autograd.set_recording(False)
            autograd.set_training(False)
    return raised, env
