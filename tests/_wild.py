"""Helpers shared by the tests of public sources run against MXNet 1.9.1 (tests/test_wild_scripts_*.py):
the fixture their generator (tools/gen_wild*_fixtures.py) recorded, a tolerance comparison, and the
parameter values both sides set."""
import json
import os
import re

import numpy as np

from minigluon import nd

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def load_fixture(name):
    """``tests/fixtures/<name>/<name>.json``, as a dict."""
    with open(os.path.join(FIXTURES, name, name + '.json')) as f:
        return json.load(f)


def close(got, want, tol=1e-5):
    """``got`` (NDArray or array-like) equals the recorded ``want`` within ``tol`` (absolute and
    relative)."""
    got = got.asnumpy() if hasattr(got, 'asnumpy') else np.asarray(got)
    np.testing.assert_allclose(got, np.array(want), rtol=tol, atol=tol)


def _natural(name):
    """Sort key of a parameter name that compares its numbers as numbers (``dense9`` before
    ``dense10``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def set_params(block, seed):
    """Every parameter of ``block`` from ``RandomState(seed)`` uniform in [-0.5, 0.5), in sorted-name
    order, as the fixture scripts set MXNet's in a fresh process. Names are sorted with their
    numbers as numbers: the name counters of a test process depend on the tests run before, and
    plain string order would put ``dense10`` before ``dense9``."""
    rs = np.random.RandomState(seed)
    for name in sorted(block.collect_params().keys(), key=_natural):
        p = block.collect_params()[name]
        p.set_data(nd.array(rs.uniform(-0.5, 0.5, p.shape)))
