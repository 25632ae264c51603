"""The comparison helpers of the MXNet-fixture tests refuse what they should (reviewer20b):
a scalar recorded where the program returned an array (NumPy's assert_allclose broadcasts it),
and a flag against a number (``1 == True``)."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from _breaker import read_fixture, same_json  # noqa: E402
from _wild import close, same  # noqa: E402


@pytest.mark.parametrize('got,want', [([0.5, 0.5], 0.5), (0.5, [0.5]), ([[1.0, 2.0]], [1.0, 2.0])])
def test_close_and_same_refuse_another_shape(got, want):
    with pytest.raises(AssertionError):
        close(got, want)
    with pytest.raises(AssertionError):
        same(got, want)


@pytest.mark.parametrize('got,want', [(1, True), (0, False), (np.int64(1), True), (1.0, True)])
def test_same_refuses_a_number_for_a_flag(got, want):
    with pytest.raises(AssertionError):
        same(got, want)
    with pytest.raises(AssertionError):
        same_json(got, want)
    with pytest.raises(AssertionError):
        same_json(want, got)


def test_the_helpers_still_pass_equal_values():
    same({'a': [1.0, np.nan], 'b': True, 'c': 'x'}, {'a': [1.0, np.nan], 'b': True, 'c': 'x'})
    same(np.bool_(True), True)
    close(np.float32(0.5), 0.5)
    same_json({'a': [1, 2.0], 'b': [True, None]}, {'a': [1, 2.0], 'b': [True, None]})


@pytest.mark.parametrize('text,message', [('{}', 'an empty fixture'), ('[]', 'an empty fixture'),
                                          ('{"a": [1], "cases": []}', "section 'cases' is empty"),
                                          ('{"a": 1, "ops": {}}', "section 'ops' is empty")])
def test_read_fixture_refuses_an_empty_fixture_or_section(tmp_path, text, message):
    """A test looping over a fixture's entries would pass on none: the shared loader refuses."""
    path = tmp_path / 'f.json'
    path.write_text(text)
    with pytest.raises(AssertionError, match=message):
        read_fixture(str(path))
    path.write_text('{"a": 0, "b": [0], "c": {"d": []}}')  # an empty value deeper is a result
    assert read_fixture(str(path)) == {'a': 0, 'b': [0], 'c': {'d': []}}
