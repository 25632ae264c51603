"""Helpers shared by the breaker trials' tests (tests/test_breaker*_regressions.py): each runs a
program file (tests/_breaker*_program.py) on minigluon and compares it with what the same program
returned on MXNet 1.9.1, recorded by tools/gen_breaker*_fixtures.py in
tests/fixtures/<trial>/mxnet.json."""
import functools
import json
import os

import numpy as np
import pytest

from minigluon.ops import _numba, _parallel

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def read_fixture(path):
    """The recorded JSON fixture at ``path``. Refuses an empty fixture and an empty top-level
    section (list or dict): a test that loops over a section's entries, or parametrizes over
    its keys, would otherwise pass without checking anything."""
    with open(path) as f:
        data = json.load(f)
    assert isinstance(data, (dict, list)) and data, '%s: an empty fixture' % path
    for key, section in (data.items() if isinstance(data, dict) else ()):
        assert not isinstance(section, (dict, list)) or section, \
            '%s: section %r is empty' % (path, key)
    return data


@functools.lru_cache(maxsize=None)
def mxnet_fixture(trial):
    """MXNet 1.9.1's results for the trial ``trial`` (``'breaker20'``...), as a dict."""
    return read_fixture(os.path.join(FIXTURES, trial, 'mxnet.json'))


def as_json(value):
    """``value`` as it reads back from JSON (NumPy numbers as floats), to compare with a fixture."""
    return json.loads(json.dumps(value, default=float))


def _numeric(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same_json(got, want, path='', rtol=1e-5, atol=1e-6):
    """Assert that the JSON-like ``got`` equals ``want``: dicts with the same keys, lists of the
    same length; numbers to ``rtol`` / ``atol`` (NaN equal to NaN; two ints exactly), everything
    else exactly. ``path`` names the place in messages."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), path
        for k in want:
            same_json(got[k], want[k], '%s.%s' % (path, k), rtol, atol)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (path, got, want)
        flat = np.ravel(np.array(want, dtype=object))
        if want and all(_numeric(v) for v in flat):
            np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float),
                                       rtol=rtol, atol=atol, equal_nan=True, err_msg=path)
            return
        for i, (g, w) in enumerate(zip(got, want)):
            same_json(g, w, '%s[%d]' % (path, i), rtol, atol)
    elif _numeric(want) and _numeric(got) and not (isinstance(want, int) and isinstance(got, int)):
        assert got == pytest.approx(want, rel=rtol, abs=atol, nan_ok=True), path
    else:
        # (a flag is not a number: 1 == True would pass)
        assert got == want and isinstance(got, bool) == isinstance(want, bool), (path, got, want)


def same_projection(got, want, path, scale=1.0):
    """Results of a program's ``_projected`` (a large array summarised as its dot product with a
    fixed random array and its sum of magnitudes): the magnitudes to 1e-5, the dot product to
    1e-5 of the magnitudes (``scale`` times MXNet's)."""
    assert len(got) == len(want), path
    for i, (g, w) in enumerate(zip(got, want)):
        if w is None:
            assert g is None, path
            continue
        dot, mag = w[0] * scale, w[1] * scale
        assert g[1] == pytest.approx(mag, rel=1e-5), '%s[%d] magnitudes' % (path, i)
        assert g[0] == pytest.approx(dot, abs=1e-5 * mag + 1e-6), '%s[%d]' % (path, i)


@pytest.fixture(params=['compiled', 'numpy'])
def kernels(request):
    """Run with the compiled kernels (where Numba is installed) and with the NumPy forms."""
    old = _numba.enabled
    _numba.enabled = request.param == 'compiled'
    yield request.param
    _numba.enabled = old


@pytest.fixture(params=[1, 2])
def workers(request):
    """Run with one and with two CPU worker threads."""
    old = _parallel.set_workers(request.param)
    yield request.param
    _parallel.set_workers(old)
