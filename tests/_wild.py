"""Helpers shared by the tests of public sources run against MXNet 1.9.1 (tests/test_wild_scripts_*.py):
the fixture their generator (tools/gen_wild*_fixtures.py) recorded, a tolerance comparison, and the
parameter values both sides set."""
import json
import os

import numpy as np

from minigluon import nd
from _wild_common import program_helpers

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


# the same seeded values the wild programs set on both frameworks (tests/_wild_common.py)
set_params = program_helpers(nd)[1]
