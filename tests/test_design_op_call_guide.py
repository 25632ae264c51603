"""docs/DESIGN.md, "Following one operator call": the reading guide names the functions, classes
and attributes an eager or symbolic operator call goes through; each must still exist in the
code, and each file it cites must exist, so the guide cannot go stale silently."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CALL_FILES = ('minigluon/ops/registry.py', 'minigluon/ops/attr.py', 'minigluon/ops/binding.py',
              'minigluon/ops/__init__.py', 'minigluon/ops/conv.py', 'minigluon/ops/unary.py',
              'minigluon/ndarray/__init__.py', 'minigluon/ndarray/dispatch.py',
              'minigluon/ndarray/ndarray.py', 'minigluon/ndarray/helpers.py',
              'minigluon/autograd.py', 'minigluon/symbol/__init__.py',
              'minigluon/symbol/creation.py', 'minigluon/symbol/graph.py',
              'minigluon/symbol/infer.py', 'minigluon/executor.py')


def _guide():
    text = (ROOT / 'docs' / 'DESIGN.md').read_text()
    start = text.index('## Following one operator call')
    return text[start:text.index('\n## ', start + 1)]


def _cited_names(section):
    """Each identifier quoted in backticks, a dotted one (``Op._fast``) split into its parts."""
    quoted = re.findall(r'`([A-Za-z_][A-Za-z_0-9.]*)`', section)
    return {part for q in quoted for part in q.split('.') if part and part != 'py'}


def _cited_files(section):
    return set(re.findall(r'`((?:\w+/)*\w+\.py)`', section))


def _missing_names(section):
    source = ''.join((ROOT / f).read_text() for f in CALL_FILES)
    return _cited_names(section) - set(re.findall(r'\w+', source))


def _missing_files(section):
    return sorted(p for p in _cited_files(section)
                  if not any((ROOT / base / p).exists() for base in ('minigluon', '.')))


def test_every_name_in_the_operator_call_guide_exists_in_the_code():
    section = _guide()
    assert len(_cited_names(section)) > 40     # the guide names the functions, not only files
    assert _missing_names(section) == set()


def test_every_file_in_the_operator_call_guide_exists():
    section = _guide()
    assert len(_cited_files(section)) >= 10
    assert _missing_files(section) == []


@pytest.mark.parametrize('stale', ['`_bind_arguments_gone`', '`ops/no_such_file.py`'])
def test_the_checks_catch_a_stale_name_or_file(stale):
    section = _guide() + ' ' + stale
    assert _missing_names(section) or _missing_files(section)
