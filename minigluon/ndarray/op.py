"""``nd.op``: every operator function of ``nd`` under its public name, and :class:`CachedOp`.

MXNet 1.9.1 generates its operator functions into the module ``mx.nd.op`` and copies them into
``mx.nd``, so ``mx.nd.op.Convolution is mx.nd.Convolution``; legacy code and code generators
call them there. Here ``nd.op`` holds the same function objects as ``nd`` for every registered
operator or alias whose name does not start with ``_`` (internal operators are not in MXNet's
``nd.op`` either), except the names ``nd`` gives to Python functions over operators
(``maximum``, ``minimum``, ``split_v2``...: MXNet defines those outside ``nd.op`` too).
``nd.op.CachedOp`` is ``nd.CachedOp``.
"""
from minigluon import executor as _executor
from minigluon.ndarray.ndarray import NDArray as _NDArray
from minigluon.ops import OPS as _OPS

# modules whose functions replace an operator's name in ``nd`` / ``sym`` with a Python function
_PYTHON_FUNCTION_MODULES = ('minigluon.ndarray.binary', 'minigluon.ndarray.layout_funcs',
                            'minigluon.ndarray.histogram')


def _operator_functions(namespace, names):
    """``{name: namespace[name]}`` for the public ``names`` whose function in ``namespace`` (the
    ``nd`` or ``sym`` module's dict) is the operator's own, not a Python function over it."""
    found = {}
    for name in names:
        fn = namespace.get(name)
        if (fn is not None and not name.startswith('_')
                and getattr(fn, '__module__', None) not in _PYTHON_FUNCTION_MODULES):
            found[name] = fn
    return found


class CachedOp(_executor.CachedOp):
    """A :class:`~minigluon.symbol.Symbol` made callable on NDArrays (MXNet 1.9.1
    ``mx.nd.CachedOp(sym, flags=())``), run by the executor of hybridized blocks.

    ``CachedOp(sym)(*arrays)`` takes the arrays in ``sym.list_inputs()`` order (arguments and
    auxiliary states as they appear in the graph) and returns one NDArray for a one-output graph,
    else a list; ``out=`` (an NDArray or a list) receives the outputs and is returned instead.
    Under ``autograd.record()`` the call is recorded. ``flags`` are MXNet's CachedOp flags
    (``[('static_alloc', True)]``...).

    Raises
    ------
    ValueError
        The number of arrays is not the number of graph inputs (MXNet: MXNetError), or ``out``
        holds another number of arrays than the graph has outputs.
    TypeError
        An argument is not an NDArray, or a keyword other than ``out`` is given.
    """

    def __call__(self, *args, out=None, **kwargs):
        if kwargs:
            raise TypeError('CachedOp.__call__ got unexpected keyword argument(s): '
                            + ', '.join(kwargs))
        outs = super().__call__(*args)
        if out is None:
            return outs[0] if len(outs) == 1 else outs
        targets = [out] if isinstance(out, _NDArray) else list(out)
        if len(targets) != len(outs):
            raise ValueError('CachedOp: out holds %d array(s), the graph has %d output(s)'
                             % (len(targets), len(outs)))
        for target, value in zip(targets, outs):
            target[:] = value
        return out


def _fill():
    import sys
    nd = sys.modules['minigluon.ndarray']
    globals().update(_operator_functions(vars(nd), list(_OPS)))


_fill()
