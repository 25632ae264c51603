"""Public classes of ``minigluon.loss`` and ``minigluon.nn`` carry their own docstrings.

Every public class needs a docstring of its own (one inherited from a base class does not count).
Losses also need a numpydoc "Parameters" section, and wherever a class has one it must name every
argument of its constructor, so the documentation cannot silently fall behind the code.
"""
import inspect
import re

import pytest

import minigluon.loss
import minigluon.nn


def _public_classes(module):
    """``(name, class)`` for each public class reachable as ``module.<name>``."""
    return [(name, obj) for name, obj in sorted(vars(module).items())
            if not name.startswith('_') and inspect.isclass(obj)]


def _own_doc(cls):
    """The docstring written on ``cls`` itself, dedented ('' when it has none)."""
    doc = cls.__dict__.get('__doc__')
    return inspect.cleandoc(doc) if doc else ''


def _section(doc, title):
    """Lines of the numpydoc section ``title`` (None when absent)."""
    lines = doc.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() == title and re.fullmatch(r'-{3,}', lines[i + 1].strip()):
            body = []
            for line in lines[i + 2:]:
                if line.strip() and not line.startswith(' ') and body and body[-1] == '':
                    break  # blank line followed by an unindented line: the section ended
                if re.fullmatch(r'-{3,}', line.strip()):
                    body.pop()  # that was the title of the next section
                    break
                body.append(line)
            return body
    return None


def _documented_names(section):
    """Argument names in a Parameters section: unindented lines, ``a, b : type`` or ``a, b``."""
    names = set()
    for line in section:
        if line.strip() and not line.startswith(' '):
            head = line.split(' : ')[0]
            names.update(part.strip().lstrip('*') for part in head.split(','))
    return names


def _constructor_args(cls):
    """Constructor arguments, less ``prefix``/``params`` (the Block plumbing documented on Block)."""
    params = inspect.signature(cls.__init__).parameters.values()
    return {p.name for p in params if p.name not in ('self', 'prefix', 'params')
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


LOSSES = _public_classes(minigluon.loss)
LAYERS = _public_classes(minigluon.nn)


def test_helpers_find_sections():
    doc = 'Title.\n\nParameters\n----------\na, b : int\n    Two.\nc\n\nRaises\n------\nValueError\n    Bad.'
    assert _documented_names(_section(doc, 'Parameters')) == {'a', 'b', 'c'}
    assert _section(doc, 'Raises') == ['ValueError', '    Bad.']
    assert _section(doc, 'Returns') is None


def test_both_namespaces_have_classes():
    assert len(LOSSES) >= 14 and len(LAYERS) >= 30


@pytest.mark.parametrize('name,cls', LOSSES + LAYERS, ids=[n for n, _ in LOSSES + LAYERS])
def test_public_class_has_own_docstring(name, cls):
    assert _own_doc(cls), '%s.%s has no docstring of its own' % (cls.__module__, name)


@pytest.mark.parametrize('name,cls', LOSSES, ids=[n for n, _ in LOSSES])
def test_loss_has_parameters_section(name, cls):
    assert _section(_own_doc(cls), 'Parameters'), '%s has no "Parameters" section' % name


WITH_PARAMETERS = [(name, cls) for name, cls in LOSSES + LAYERS if _section(_own_doc(cls), 'Parameters')]


@pytest.mark.parametrize('name,cls', WITH_PARAMETERS, ids=[n for n, _ in WITH_PARAMETERS])
def test_parameters_section_names_every_constructor_argument(name, cls):
    section = _section(_own_doc(cls), 'Parameters')
    missing = _constructor_args(cls) - _documented_names(section)
    assert not missing, '%s: Parameters section does not name %s' % (name, sorted(missing))
