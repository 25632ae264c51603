"""Operators written in Python: ``mx.operator`` of MXNet 1.9.1 (``CustomOp``, ``CustomOpProp``,
``register``).

An operator is described by a :class:`CustomOpProp` subclass, registered under a name, and
computed by a :class:`CustomOp` subclass that the description creates::

    class Scale(mx.operator.CustomOp):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0] * self.factor)
        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0] * self.factor)

    @mx.operator.register('scale')
    class ScaleProp(mx.operator.CustomOpProp):
        def __init__(self, factor='2'):        # attributes arrive as strings
            super().__init__(need_top_grad=True)
            self.factor = float(factor)
        def create_operator(self, ctx, in_shapes, in_dtypes):
            return Scale(self.factor)

    y = mx.nd.Custom(x, op_type='scale', factor=3)

``nd.Custom`` runs it eagerly (recorded by autograd like any operator), ``sym.Custom`` /
``F.Custom`` puts it in a graph (``hybridize``, ``export``: the node is ``"op": "Custom"`` with the
attributes as strings; the importing process must register the same name before loading).
The computation runs on NDArrays with autograd paused, so ``forward`` and ``backward`` may use
any ``mx.nd`` operator. Semantics, names and call order: MXNet 1.9.1's ``python/mxnet/operator.py``
and ``src/operator/custom``; where minigluon does better than MXNet, see
:mod:`minigluon.ops.custom`. The older ``PythonOp`` / ``NumpyOp`` / ``NDArrayOp`` interfaces
(deprecated in MXNet since 0.9) are not provided.
"""
from minigluon.ops.custom import PROPS as _PROPS
from minigluon.ops.registry import OPS as _OPS

__all__ = ['CustomOp', 'CustomOpProp', 'register', 'get_all_registered_operators']

_REQS = ('null', 'write', 'inplace', 'add')


class CustomOp:
    """The computation of a custom operator: override :meth:`forward` and :meth:`backward`.

    An instance is created by :meth:`CustomOpProp.create_operator` for each call (eager) or
    each run of a graph, so state kept on it lives for one forward and its backward.
    """

    def forward(self, is_train, req, in_data, out_data, aux):
        """Compute the outputs.

        Parameters
        ----------
        is_train : bool
            ``autograd.is_training()`` at the call.
        req : list of str
            One per output: how to write it (``'write'``); pass it to :meth:`assign`.
        in_data : list of NDArray
            The inputs, in ``list_arguments()`` order. Do not write to them.
        out_data : list of NDArray
            The outputs, allocated with the shapes and dtypes of ``infer_shape`` / ``infer_type``
            (zero-filled); fill them with :meth:`assign`.
        aux : list of NDArray
            The auxiliary states (``list_auxiliary_states()``), which the operator may update in
            place (``aux[0][:] = ...``).
        """
        raise NotImplementedError('%s.forward' % type(self).__name__)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Compute the gradients of the inputs.

        Parameters
        ----------
        req : list of str
            One per input: ``'write'``, or ``'null'`` where no gradient is wanted.
        out_grad : list of NDArray
            The gradients of the outputs.
        in_data, out_data, aux : list of NDArray
            As in :meth:`forward`.
        in_grad : list of NDArray
            Zero-filled arrays shaped like the inputs; fill them with :meth:`assign`.
        """
        raise NotImplementedError('%s.backward' % type(self).__name__)

    def assign(self, dst, req, src):
        """Write ``src`` into ``dst`` as ``req`` says: ``'null'`` leaves ``dst`` alone, ``'write'``
        and ``'inplace'`` copy, ``'add'`` adds.

        Raises
        ------
        ValueError
            For any other ``req`` (MXNet 1.9.1 ignores it silently).
        """
        if req == 'null':
            return
        if req in ('write', 'inplace'):
            dst[:] = src
        elif req == 'add':
            dst[:] = dst + src
        else:
            raise ValueError("CustomOp.assign: req must be one of %s, got %r" % (list(_REQS), req))


class CustomOpProp:
    """The description of a custom operator: its inputs, outputs, shape and dtype rules.

    Subclass it, override :meth:`create_operator` (and the ``list_*`` / ``infer_*`` methods whose
    defaults do not fit) and register the subclass with :func:`register`. The constructor
    receives the call's attributes (every keyword but ``op_type``) as **strings**.

    Parameters
    ----------
    need_top_grad : bool, default True
        Whether ``backward`` uses the outputs' gradients (False for a loss layer). minigluon
        passes them either way.
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def list_arguments(self):
        """Input names (default ``['data']``)."""
        return ['data']

    def list_outputs(self):
        """Output names (default ``['output']``); a symbol's outputs are ``<name>_<output>``."""
        return ['output']

    def list_auxiliary_states(self):
        """Auxiliary-state names (default none): inputs the forward updates in place."""
        return []

    def infer_shape(self, in_shape):
        """``(argument shapes, output shapes, auxiliary-state shapes)`` from the argument shapes
        (lists of ints; ``[]`` where unknown). Default: every output shaped like the first input,
        no auxiliary states."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """``(argument dtypes, output dtypes, auxiliary-state dtypes)`` from the argument dtypes
        (NumPy types such as ``numpy.float32``; None where unknown). Default: the first input's
        for everything."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        """Storage types (minigluon has dense arrays only: ``'default'`` everywhere)."""
        return (in_stype, ['default'] * len(self.list_outputs()),
                ['default'] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype, igrad_stype, aux_stype):
        """Storage types of the backward's arrays (dense: ``'default'`` everywhere)."""
        return (['default'] * len(ograd_stype), ['default'] * len(in_stype),
                ['default'] * len(out_stype), ['default'] * len(igrad_stype),
                ['default'] * len(aux_stype))

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The arrays ``backward`` reads (MXNet uses it to free memory early; minigluon keeps them
        all). Default: the outputs' gradients when ``need_top_grad``, the inputs and outputs."""
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """Return the :class:`CustomOp` that computes; ``ctx`` is the inputs' Context,
        ``in_shapes`` a list of shapes (lists of ints), ``in_dtypes`` MXNet's type flags
        (0 float32, 1 float64, 2 float16, 3 uint8, 4 int32, 5 int8, 6 int64)."""
        raise NotImplementedError('%s.create_operator' % type(self).__name__)


def register(reg_name):
    """Class decorator: register a :class:`CustomOpProp` subclass as ``op_type=reg_name``.

    Registering a name again replaces the earlier description (as MXNet does).

    Raises
    ------
    TypeError
        When ``reg_name`` is not a non-empty string, or the decorated object is not a
        :class:`CustomOpProp` subclass.
    """
    if not isinstance(reg_name, str) or not reg_name:
        raise TypeError('register: reg_name must be a non-empty string, got %r' % (reg_name,))

    def do_register(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise TypeError('register(%r): expected a subclass of mx.operator.CustomOpProp, got %r'
                            % (reg_name, prop_cls))
        _PROPS[reg_name] = prop_cls
        return prop_cls
    return do_register


def get_all_registered_operators():
    """The names of all registered operators (as ``mx.nd`` / ``mx.sym`` functions and in
    ``-symbol.json`` files), sorted: minigluon's and those a user registered with
    :func:`minigluon.ops.register` (a ``CustomOp`` runs under the one name ``Custom``)."""
    return sorted(_OPS)
