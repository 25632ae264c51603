"""Helpers shared by the tests of public sources run against MXNet 1.9.1 (tests/test_wild_scripts_*.py):
the fixture their generator (tools/gen_wild*_fixtures.py) recorded, tolerance comparisons of single
arrays (:func:`close`) and of whole program results (:func:`same`), and the parameter values both
sides set."""
import os

import numpy as np
import pytest

from minigluon import nd
from _breaker import read_fixture
from _wild_common import program_helpers

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures')


def load_fixture(name):
    """``tests/fixtures/<name>/<name>.json``, as a dict."""
    return read_fixture(os.path.join(FIXTURES, name, name + '.json'))


def close(got, want, tol=1e-5):
    """``got`` (NDArray or array-like) equals the recorded ``want`` within ``tol`` (absolute and
    relative)."""
    got = got.asnumpy() if hasattr(got, 'asnumpy') else np.asarray(got)
    want = np.array(want)
    # (assert_allclose would broadcast a scalar: [0.5, 0.5] against 0.5, or 0.5 against [0.5])
    assert got.shape == want.shape, 'shape %s, recorded %s' % (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def _numeric(value):
    """Whether ``value`` converts to a float array (not ragged, no strings or None inside)."""
    try:
        np.array(value, dtype=float)
        return True
    except (ValueError, TypeError):
        return False


def same(got, want, tol=1e-4, path='', key_tols=None):
    """``got`` (what a program returned here) equals ``want`` (what it returned on MXNet): dicts
    with the same keys, compared key by key; strings, flags and None exactly; numbers and numeric
    lists within ``tol`` (within the looser of ``tol`` and ``key_tols[key]`` for the values under a
    dict key of that name);
    ragged or mixed lists item by item. ``path`` names the place in messages."""
    key_tols = key_tols or {}
    if isinstance(want, dict):
        assert isinstance(got, dict), path
        assert sorted(got) == sorted(want), path
        for key in want:
            same(got[key], want[key], max(tol, key_tols.get(key, tol)), path + '/' + key, key_tols)
    elif want is None or isinstance(want, (str, bool)):
        # (a flag is not a number: 1 == True would pass)
        assert got == want and isinstance(got, (bool, np.bool_)) == isinstance(want, bool), path
    elif isinstance(want, list) and not _numeric(want):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            same(g, w, tol, '%s[%d]' % (path, i), key_tols)
    else:
        try:
            close(got, want, tol)
        except AssertionError as e:
            raise AssertionError('%s: %s' % (path, e)) from None


def run_program(program, expected_warnings=()):
    """``program()``'s result; when ``expected_warnings`` lists texts, the call must give a
    UserWarning containing each of them (the warnings MXNet 1.9.1 gives the same program, or
    minigluon's own), and those warnings are kept out of the suite's summary."""
    if not expected_warnings:
        return program()
    with pytest.warns(UserWarning) as caught:
        got = program()
    messages = [str(w.message) for w in caught]
    for text in expected_warnings:
        assert any(text in m for m in messages), (text, messages)
    return got


def without(d, *keys):
    """``d`` without ``keys``."""
    return {k: v for k, v in d.items() if k not in keys}


# the same seeded values the wild programs set on both frameworks (tests/_wild_common.py)
set_params = program_helpers(nd)[1]
