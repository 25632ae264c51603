"""Exception root and small shared helpers.

MXNet raises ``MXNetError`` (a ``RuntimeError``) for most failures; minigluon keeps that name as the
root of its own errors so that ``except mx.base.MXNetError`` in legacy code still works.
"""


class MXNetError(RuntimeError):
    """Root of minigluon's errors (same name and base class as MXNet's)."""


class ShapeConflictError(MXNetError):
    """An operator's known input (or output) dimensions contradict each other. Raised by shape
    rules even while other dimensions are unknown, so that ``infer_shape_partial`` reports it at
    once, as MXNet does, instead of leaving the output unknown."""


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
