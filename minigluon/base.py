"""Exception root and small shared helpers.

MXNet raises ``MXNetError`` (a ``RuntimeError``) for most failures; minigluon keeps that name as the
root of its own errors so that ``except mx.base.MXNetError`` in legacy code still works.

``integer_types``, ``numeric_types`` and ``string_types`` are the type tuples of MXNet 1.9.1's
``mxnet.base`` that legacy code passes to ``isinstance``; they hold the same types (Python 3, where
MXNet's ``long`` and ``basestring`` are ``int`` and ``str``).
"""
import numpy as _np

integer_types = (int, _np.int32, _np.int64)
numeric_types = (float, int, _np.generic)
string_types = (str,)


class MXNetError(RuntimeError):
    """Root of minigluon's errors (same name and base class as MXNet's)."""


class MXNetFormatError(MXNetError, ValueError):
    """A file or string in MXNet's formats is malformed (``.params`` binary, ``-symbol.json``).

    Also a ``ValueError``, so callers that validate input can catch one type.
    """


class NotSupportedError(MXNetError, NotImplementedError):
    """An MXNet feature that minigluon deliberately does not provide (sparse storage, Module API)."""


def brief_list(names, limit=7):
    """Quote a list of names for an error message, eliding the middle of long lists.

    Follows MXNet's ``_brief_print_list`` shape: at most ``limit`` entries, first 3, ``...``, last 3.
    """
    names = [repr(str(n)) for n in names]
    if len(names) > limit:
        names = names[:3] + ['...'] + names[-3:]
    return ', '.join(names)
