"""A safe parser for the literals MXNet writes as attribute strings in ``-symbol.json``.

Used by :class:`minigluon.ops.registry.Attr` to read ``"(3, 3)"``, ``"True"``, ``"1e-05"``, ``"None"``.
"""
import re

_NUMBER = re.compile(r'[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?')
_NAMES = {'True': True, 'False': False, 'None': None}
_MAX_DEPTH = 32


def parse_literal(text):
    """Parse MXNet's string form of a value (``"(3, 3)"``, ``"True"``, ``"1e-05"``, ``"None"``).

    A small recursive-descent parser for the only literals MXNet writes (numbers, ``True``,
    ``False``, ``None``, quoted strings without escapes, and tuples/lists of these nested at most
    32 deep). Text it does not recognise comes back unchanged, so ``"relu"`` stays a string. Unlike
    ``ast.literal_eval`` it cannot be driven into a MemoryError or RecursionError by a hostile
    ``-symbol.json`` (``"-" * 100000 + "1"``).
    """
    text = text.strip()
    try:
        value, pos = _parse_value(text, 0, 0)
        if pos == len(text):
            return value
    except ValueError:
        pass
    lowered = text.lower()
    if lowered in ('true', 'false'):
        return lowered == 'true'
    if lowered == 'none':
        return None
    return text


def _skip_space(text, pos):
    while pos < len(text) and text[pos] in ' \t\r\n':
        pos += 1
    return pos


def _parse_value(text, pos, depth):
    """Parse one literal at ``text[pos:]``; return ``(value, end)``; ValueError if there is none."""
    pos = _skip_space(text, pos)
    if pos >= len(text):
        raise ValueError('value expected')
    ch = text[pos]
    if ch in '([':
        if depth >= _MAX_DEPTH:
            raise ValueError('nested too deeply')
        close = ')' if ch == '(' else ']'
        items, pos, trailing_comma = [], _skip_space(text, pos + 1), False
        while pos < len(text) and text[pos] != close:
            item, pos = _parse_value(text, pos, depth + 1)
            items.append(item)
            pos = _skip_space(text, pos)
            trailing_comma = pos < len(text) and text[pos] == ','
            if trailing_comma:
                pos = _skip_space(text, pos + 1)
            elif pos < len(text) and text[pos] != close:
                raise ValueError("',' or %r expected" % close)
        if pos >= len(text):
            raise ValueError('%r expected' % close)
        if close == ']':
            return items, pos + 1
        if len(items) == 1 and not trailing_comma:
            return items[0], pos + 1        # "(3)" is 3, "(3,)" a 1-tuple, as in Python
        return tuple(items), pos + 1
    if ch in '\'"':
        end = text.find(ch, pos + 1)
        if end < 0 or '\\' in text[pos + 1:end]:
            raise ValueError('unterminated or escaped string')
        return text[pos + 1:end], end + 1
    match = _NUMBER.match(text, pos)
    if match:
        token = match.group()
        if any(c in token for c in '.eE'):
            return float(token), match.end()
        return int(token), match.end()      # over 4300 digits: ValueError, as int() says
    for name, value in _NAMES.items():
        if text.startswith(name, pos):
            end = pos + len(name)
            if end == len(text) or not (text[end].isalnum() or text[end] == '_'):
                return value, end
    raise ValueError('no literal at %d' % pos)
