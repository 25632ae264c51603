import pytest

from minigluon.name import NameManager


@pytest.fixture
def fresh_names():
    """Fresh automatic-name counters, so prefixes start at 0 inside the test."""
    with NameManager():
        yield
