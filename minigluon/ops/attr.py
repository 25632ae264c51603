"""Typed operator attributes: :class:`Attr` and the value types that print back as given.

Every operator declares its attributes as ``attrs = {'num_hidden': Attr('int'), ...}``. An
:class:`Attr` parses a Python value or MXNet's string form (``"(3, 3)"``, ``"True"``, ``"None"``)
into its kind, checks it, and prints a parsed value back in the form MXNet 1.9.1 writes to
``-symbol.json`` (:meth:`Attr.to_str`); :class:`WholeFloat`, :class:`ScalarShape` and
:class:`ListShape` remember that a value was given as an int or a list so that it prints back
unchanged.

This is separate from :mod:`minigluon.ops.registry` (which re-exports these names, so
``from minigluon.ops.registry import Attr`` keeps working) because attribute parsing reads well on
its own and needs nothing from the operator base class.
"""
import numpy as np

from minigluon.ops._literal import parse_literal as _parse_literal

_REQUIRED = object()      # the default of a required attribute


def is_hidden_attribute(key):
    """Whether ``key`` is spelled as one of MXNet's hidden attributes, ``__name__``
    (``__layout__``, ``__lr_mult__``, ``__dtype__``...): every MXNet 1.9.1 operator accepts one,
    a symbol node keeps it among its attributes, and the maths never reads it."""
    return key.startswith('__') and key.endswith('__') and len(key) > 4


class Attr:
    """One typed operator attribute.

    Parameters
    ----------
    kind : str
        ``'int'``, ``'float'``, ``'number'`` (int or float, printed as given), ``'bool'``, ``'str'``, ``'shape'`` (tuple of ints, an int becomes a
        1-tuple), ``'floats'`` (tuple of floats, written back as given), ``'dtype'`` (a NumPy dtype name) or ``'any'``.
    default : object
        Default value; omit for a required attribute.
    choices : sequence of str, optional
        Allowed values of a ``'str'`` attribute.
    optional : bool
        ``None`` is allowed (MXNet's ``dmlc::optional``).
    minimum : int, optional
        The smallest value of an ``'int'`` attribute, or of each entry of a ``'shape'`` one
        (``kernel``, ``stride``: 1; ``pad``: 0); a value below is refused when parsed, naming the
        attribute, as MXNet's parameter checks do (``kernel=(-2, -2)`` would otherwise fail deep
        inside the kernel, or compute).
    """

    __slots__ = ('kind', 'default', 'choices', 'optional', 'minimum', 'name')

    def __init__(self, kind, default=_REQUIRED, choices=None, optional=False, minimum=None):
        self.kind = kind
        self.default = default
        self.choices = tuple(choices) if choices is not None else None
        self.optional = optional or default is None
        self.minimum = minimum
        self.name = None

    @property
    def required(self):
        return self.default is _REQUIRED

    def parse(self, value, op_name='?'):
        """Convert a Python value or MXNet string to this attribute's type; raise ValueError if bad."""
        if isinstance(value, str) and self.kind not in ('str', 'dtype'):
            value = _parse_literal(value)
        if value is None and self.name == 'dtype' and self.kind != 'any':
            # MXNet 1.9.1's operator functions pass any dtype given through np.dtype(...).name,
            # and np.dtype(None) is float64: nd.cast(x, dtype=None) is a float64 cast there
            value = 'float64'
        if value is None and self.kind == 'str' and self.choices is None and not self.optional:
            # a free-text attribute (ctx, SyncBatchNorm's key): MXNet 1.9.1's generated functions
            # pass str(value), so ctx=None is the text 'None' there
            # (nd.contrib.arange_like(x, ctx=None))
            value = 'None'
        if value is None or (isinstance(value, str) and value == 'None' and self.kind != 'str'):
            if self.optional:
                return None
            raise ValueError("%s: attribute '%s' must not be None" % (op_name, self.name))
        try:
            value = self._convert(value)
        except (TypeError, ValueError) as err:
            raise ValueError("%s: attribute '%s' expects %s, got %s (%s)"
                             % (op_name, self.name, self.kind, _shown(value), err)) from None
        if self.choices is not None and value not in self.choices:
            raise ValueError("%s: attribute '%s' must be one of %s, got %r"
                             % (op_name, self.name, list(self.choices), value))
        if self.minimum is not None and min(value if self.kind == 'shape' else (value,),
                                            default=self.minimum) < self.minimum:
            raise ValueError("%s: attribute '%s' must be >= %d%s, got %r"
                             % (op_name, self.name, self.minimum,
                                ' in each entry' if self.kind == 'shape' else '', value))
        return value

    def _convert(self, value):
        kind = self.kind
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]      # np.array(1) is the number 1: MXNet writes str(value), '1'
        if kind == 'int':
            return _int(value)
        if kind == 'float':
            _refuse_bool(value)
            if isinstance(value, (int, np.integer)):
                return WholeFloat(value)      # p=1 is written back as "1", as MXNet keeps it
            return _float(value)
        if kind == 'number':   # keeps an int an int, so it prints as MXNet does ("2", "0.5")
            _refuse_bool(value)    # clip(x, False, True), arange(True): MXNet 1.9.1 refuses them
            if isinstance(value, (int, np.integer)):
                return int(value)
            return _float(value)
        if kind == 'bool':
            if isinstance(value, str):
                if value.lower() in ('true', '1'):
                    return True
                if value.lower() in ('false', '0'):
                    return False
                raise ValueError('not a bool')
            if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
                if value not in (0, 1):    # as MXNet 1.9.1 ('expect boolean but value=2')
                    raise ValueError('an integer bool must be 0 or 1')
                return IntBool(bool(value))    # squeeze_axis=1 is written back as "1"
            if not isinstance(value, (bool, np.bool_)):
                # MXNet 1.9.1 parses str(value): 'True', 'False', '1', '0' only; a float
                # ('1.0'), a list or an array is refused (linalg.trsm(A, B, False, False, 1.0):
                # the 1.0 is lower, not alpha)
                raise ValueError('a bool must be True, False, 0 or 1')
            return bool(value)
        if kind == 'str':
            if not isinstance(value, str):
                if isinstance(value, (type, np.dtype)):
                    # dtype=np.int32 (a NumPy type, not a name): MXNet 1.9.1's operator wrappers
                    # pass every dtype argument through np.dtype(...).name, so it is 'int32'
                    return np.dtype(value).name
                value = str(value)
            return value
        if kind in ('shape', 'floats') and isinstance(value, (str, bytes, dict, set)):
            raise ValueError('not a tuple')       # never iterate the characters of a string
        if kind == 'shape':
            if isinstance(value, (int, np.integer, bool, np.bool_)):
                return ScalarShape((_shape_entry(value),))
            if isinstance(value, list):
                return ListShape(_shape_entry(v) for v in value)
            return tuple(_shape_entry(v) for v in value)
        if kind == 'floats':
            if isinstance(value, (int, float, np.number)):
                return GivenFloats((_float(value),), _number_text(value))
            values = tuple(value)
            floats = tuple(_float(v) for v in values)
            text = ', '.join(_number_text(v) for v in values)
            text = ('[%s]' if isinstance(value, list) else '(%s,)' if len(values) == 1 else '(%s)') % text
            return floats if text == str(floats) else GivenFloats(floats, text)
        if kind == 'dtype':
            if value is None:
                return None
            return np.dtype(value).name
        if isinstance(value, (tuple, list)):
            # NumPy scalars as Python numbers, so the text is "(0, None)" as in MXNet, not
            # "(np.int64(0), None)" (NumPy 2's repr), which no JSON reader parses back
            return type(value)(python_scalar(v) for v in value)
        return python_scalar(value)

    def to_str(self, value):
        """MXNet's string form of a parsed value, as it appears in ``-symbol.json``."""
        if value is None:
            return 'None'
        if self.kind == 'bool':
            if type(value) is IntBool:
                return str(int(value))
            return 'True' if value else 'False'
        if isinstance(value, ScalarShape):
            return str(value[0])
        if isinstance(value, ListShape):
            return str(list(value))
        if isinstance(value, GivenFloats):
            return value.text
        if self.kind in ('shape', 'floats'):
            return str(tuple(value))
        return str(value)


def _shape_entry(v):
    """One entry of a ``'shape'`` attribute as an int. A float entry is refused, a whole one
    too (``(2.0, 3)``), as MXNet 1.9.1 refuses it ('Invalid Parameter format for shape'), instead
    of being truncated (``(2.5,)`` would silently be ``(2,)``); so is a bool (``axis=True``:
    MXNet 1.9.1 refuses it, here it summed over axis 1)."""
    if isinstance(v, (float, np.floating)):
        raise ValueError('entry %r is not an integer' % (v,))
    _refuse_bool(v)
    return int(v)


def _int(value):
    """The value of an ``'int'`` attribute: an integer, or a string of one. A float is refused,
    a whole one too (``depth=3.0``), and so is a bool (``k=True``), as MXNet 1.9.1 refuses both
    ("Invalid Parameter format for depth expect int but value='3.0'")."""
    if isinstance(value, (float, np.floating)):
        raise ValueError('a float is not an integer')
    _refuse_bool(value)
    return int(value)


def _refuse_bool(value):
    """Raise ValueError for a bool given as a number (MXNet 1.9.1 reads 'True' as no number)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError('a bool is not a number')


def _shown(value):
    """``repr(value)`` for an error message, or its type (and shape) when that is long (an array)."""
    text = repr(value)
    if len(text) <= 80 and '\n' not in text:
        return text
    return '%s %s' % (type(value).__name__, tuple(getattr(value, 'shape', ())) or '')


def _float(value):
    """``value`` as a Python float; a NumPy float goes through its shortest decimal form."""
    return float(str(value)) if isinstance(value, np.floating) else float(value)


def python_scalar(value):
    """A NumPy scalar as the Python number MXNet's operators receive for it.

    MXNet hands attributes to its C++ side as text, ``str(value)``: ``np.float32(0.1)`` travels
    as ``"0.1"`` and is read back as the double 0.1, not as 0.10000000149011612 (what ``float()``
    gives), and ``sym.var('x') + np.float32(0.1)`` is written to JSON as ``"0.1"``. minigluon
    converts through the same text for NDArrays too, so an eager call, its hybridized graph and
    that graph loaded in MXNet add the same number (MXNet's own NDArray operators use
    ``float()``: for float64 data its eager result differs from its hybridized one, in the 9th
    digit for ``np.float32(0.1)``).
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return _float(value)
    return value


class IntBool(int):
    """A bool attribute that was given as an int (``squeeze_axis=1``), or read as ``"1"``/``"0"``.

    It is truthy as the bool, and prints back as ``"1"``/``"0"``: MXNet writes the value the
    caller gave, so ``-symbol.json`` stays byte-identical.
    """


class WholeFloat(float):
    """A float attribute that was given as an int (``on_value=2``).

    It computes as the float ``2.0`` but prints back as ``"2"``: MXNet writes the value the caller
    gave, so ``-symbol.json`` stays byte-identical.
    """

    def __str__(self):
        return str(int(self))


def _number_text(v):
    """How MXNet writes one number of a tuple attribute: as the caller gave it (``2``, ``0.5``)."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    return repr(_float(v))


class GivenFloats(tuple):
    """A ``'floats'`` attribute given as ints, a list or a bare number (``ratios=[1, 2, 0.5]``).

    It behaves as the tuple of floats ``(1.0, 2.0, 0.5)`` but prints back as given
    (``"[1, 2, 0.5]"``): MXNet writes the value the caller gave into ``-symbol.json``.
    """

    def __new__(cls, floats, text):
        obj = super().__new__(cls, floats)
        obj.text = text
        return obj

    def __getnewargs__(self):
        return (tuple(self), self.text)


class ListShape(tuple):
    """A shape that was given as a list (``axes=[0, 2, 1]``).

    It behaves as the tuple but prints back as ``"[0, 2, 1]"``, as MXNet writes it in JSON.
    """


class ScalarShape(tuple):
    """A one-element shape that was given as a bare int (``shape=-1``).

    It behaves as the tuple ``(-1,)`` but prints back as ``"-1"``, as MXNet writes it in JSON.
    """
