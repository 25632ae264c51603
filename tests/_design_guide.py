"""Helpers for the tests that check a reading guide of docs/DESIGN.md against the code: the
guide's section, the names and files it quotes, and those that no longer exist."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def section(title):
    """The text of the DESIGN.md section ``## <title>``, up to the next ``## `` heading."""
    text = (ROOT / 'docs' / 'DESIGN.md').read_text()
    start = text.index('## ' + title)
    return text[start:text.index('\n## ', start + 1)]


def cited_names(text):
    """Each identifier quoted in backticks, a dotted one (``Op._fast``) split into its parts."""
    quoted = re.findall(r'`([A-Za-z_][A-Za-z_0-9.]*)`', text)
    return {part for q in quoted for part in q.split('.') if part and part != 'py'}


def cited_files(text):
    """Each ``.py`` path quoted in backticks (``ops/conv.py``)."""
    return set(re.findall(r'`((?:\w+/)*\w+\.py)`', text))


def missing_names(text, files):
    """The cited names that are no word of the source ``files`` (paths from the repository root)."""
    words = set(re.findall(r'\w+', ''.join((ROOT / f).read_text() for f in files)))
    return cited_names(text) - words


def missing_files(text, bases=('minigluon', '.', 'minigluon/ops'), ignore=()):
    """The cited files found under none of ``bases``, apart from those starting with ``ignore``."""
    return sorted(p for p in cited_files(text) if not p.startswith(tuple(ignore))
                  and not any((ROOT / base / p).exists() for base in bases))
