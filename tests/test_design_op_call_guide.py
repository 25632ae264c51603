"""docs/DESIGN.md, "Following one operator call": the reading guide names the functions, classes
and attributes an eager or symbolic operator call goes through; each must still exist in the
code, and each file it cites must exist, so the guide cannot go stale silently."""
import pytest

from _design_guide import cited_files, cited_names, missing_files, missing_names, section

CALL_FILES = ('minigluon/ops/registry.py', 'minigluon/ops/attr.py', 'minigluon/ops/binding.py',
              'minigluon/ops/__init__.py', 'minigluon/ops/conv.py', 'minigluon/ops/unary.py',
              'minigluon/ndarray/__init__.py', 'minigluon/ndarray/dispatch.py',
              'minigluon/ndarray/ndarray.py', 'minigluon/ndarray/helpers.py',
              'minigluon/autograd.py', 'minigluon/symbol/__init__.py',
              'minigluon/symbol/creation.py', 'minigluon/symbol/graph.py',
              'minigluon/symbol/infer.py', 'minigluon/executor.py', 'minigluon/nn/basic_layers.py')
TITLE = 'Following one operator call'


def test_every_name_in_the_operator_call_guide_exists_in_the_code():
    guide = section(TITLE)
    assert len(cited_names(guide)) > 40     # the guide names the functions, not only files
    assert missing_names(guide, CALL_FILES) == set()


def test_every_file_in_the_operator_call_guide_exists():
    guide = section(TITLE)
    assert len(cited_files(guide)) >= 10
    assert missing_files(guide, bases=('minigluon', '.')) == []


@pytest.mark.parametrize('stale', ['`_bind_arguments_gone`', '`ops/no_such_file.py`'])
def test_the_checks_catch_a_stale_name_or_file(stale):
    guide = section(TITLE) + ' ' + stale
    assert missing_names(guide, CALL_FILES) or missing_files(guide, bases=('minigluon', '.'))
