"""``SymbolBlock``: a HybridBlock made from a symbol graph, e.g. a model exported by MXNet.

Semantics follow ``mxnet.gluon.SymbolBlock`` (MXNet 1.9.1; docs/MXNET_SPEC.md section 1.3): every graph
variable that is not an input becomes a Parameter named exactly as the variable (``prefix`` is
``''``), auxiliary states get ``grad_req='null'``; shapes stay unknown (deferred) until a file is
loaded or the first forward call infers them. :meth:`SymbolBlock.imports` loads the
``-symbol.json`` + ``.params`` pair that ``HybridBlock.export`` (or MXNet's) writes.
"""
import numpy as np

from minigluon.base import TypeAssertionError
from minigluon.base import describe_value
from minigluon.block._graph import flatten, regroup, same_structure
from minigluon.block.hybrid import HybridBlock, _in_block
from minigluon.ndarray import NDArray
from minigluon.parameter_dict import ParameterDict

__all__ = ['SymbolBlock']


def _common_prefix(names):
    """The longest common prefix of ``names`` (MXNet's ``_common_prefix``; all of a lone name)."""
    if not names:
        return ''
    prefix = names[0]
    for name in names[1:]:
        i = 0
        while i < len(prefix) and i < len(name) and prefix[i] == name[i]:
            i += 1
        prefix = prefix[:i]
    return prefix


def _param_types(inputs, out):
    """dtypes for the graph's arguments and auxiliary states, float32 where they cannot be inferred."""
    known = {}
    for v in inputs:
        types = v.infer_type_partial()[0]
        if not types or types[0] is None:
            known = None
            break
        known[v.name] = types[0]
    arg_types = aux_types = None
    if known is not None:
        try:
            arg_types, _, aux_types = out.infer_type_partial(**known)
        except Exception:   # noqa: BLE001 - MXNet also falls back to float32 here
            arg_types = aux_types = None
    args, auxs = out.list_arguments(), out.list_auxiliary_states()
    arg_types = [t or np.float32 for t in arg_types] if arg_types else [np.float32] * len(args)
    aux_types = [t or np.float32 for t in aux_types] if aux_types else [np.float32] * len(auxs)
    return arg_types, aux_types


def _flatten_symbols(value, what):
    """:func:`~minigluon.block._graph.flatten` of the constructor's ``inputs`` or ``outputs``
    (``what``), its error worded for ``SymbolBlock``."""
    try:
        return flatten(value, what)
    except ValueError as err:
        leaf = value
        while isinstance(leaf, (list, tuple)):      # the first item flatten refused
            leaf = next(x for x in leaf if _refused(x))
        raise ValueError('SymbolBlock: %s must be Symbols or (nested) lists of Symbols, got %s'
                         % (what, describe_value(leaf))) from err


def _refused(value):
    """Whether :func:`flatten` refuses ``value`` (or something in it)."""
    try:
        flatten(value, '')
    except ValueError:
        return True
    return False


def _check_input_names(graph, input_names, symbol_file, param_file):
    """Raise ValueError when a name of ``input_names`` is not a variable of ``graph`` and the
    parameter file leaves variables without a value: the usual slip of a wrong input name
    (``'input'`` for ``'data'``), which loading would report as a missing Parameter. An input
    the graph does not read is harmless otherwise (a block may ignore an argument)."""
    from minigluon import serialization
    arguments = graph.list_arguments() + graph.list_auxiliary_states()
    absent = [n for n in input_names if n not in arguments]
    if not absent:
        return
    saved = {k.split(':', 1)[-1] for k in serialization.load(param_file)}
    free = [n for n in arguments if n not in saved and n not in input_names]
    if free:
        raise ValueError('SymbolBlock.imports: input_names %s are not variables of the graph in '
                         '%r, whose variables without a value in %r are %s'
                         % (absent, symbol_file, param_file,
                            free[:10] + (['...'] if len(free) > 10 else [])))


class SymbolBlock(HybridBlock):
    """Construct a block from symbolic outputs and input variables.

    Parameters
    ----------
    outputs : Symbol or list of Symbol
        The graph outputs.
    inputs : Symbol or list of Symbol
        The input variables (each must be a variable, not an operator output).
    params : ParameterDict, optional
        Parameters to share (looked up by variable name before creating new ones).

    Raises
    ------
    ValueError
        If an input is not a variable, a variable has ``row_sparse`` storage, or an item of
        ``outputs``/``inputs`` is neither a Symbol, an NDArray nor a (nested) list (the class
        MXNet 1.9.1 raises, there worded for a hybridized call).
    TypeError
        If an item of ``outputs``/``inputs`` is an NDArray.

    Examples
    --------
    >>> data = sym.var('data')
    >>> net = SymbolBlock(sym.FullyConnected(data, num_hidden=3, name='fc'), data)
    >>> net.initialize(); y = net(nd.ones((2, 5)))    # fc_weight gets shape (3, 5) here
    """

    def __init__(self, outputs, inputs, params=None):
        from minigluon.symbol import Group, Symbol
        super().__init__(prefix=None, params=None)     # consumes a 'symbolblock<N>' name
        self._prefix = ''
        self._params = ParameterDict('', params)
        if isinstance(inputs, Symbol) and len(inputs.list_outputs()) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten_symbols(inputs, 'inputs')
        outs, self._out_format = _flatten_symbols(outputs, 'outputs')
        for s in list(syms) + list(outs):
            if not isinstance(s, Symbol):
                raise TypeError('SymbolBlock: inputs and outputs must be Symbols, got %s'
                                % type(s).__name__)
        input_names = set()
        for s in syms:
            if len(s.get_internals().list_outputs()) != 1:
                raise ValueError('SymbolBlock: input symbols must be variables, but %s is the '
                                 'output of an operator' % s)
            input_names.add(s.name)
        for s in outs:
            for node in s._nodes():
                if node.is_variable and node.attrs.get('__storage_type__') == '1':
                    raise ValueError("SymbolBlock doesn't support Parameter '%s' because its "
                                     "storage type is 'row_sparse'." % node.name)
        out = Group(outs) if len(outs) > 1 else outs[0]
        arg_types, aux_types = _param_types(syms, out)
        for name, dtype in zip(out.list_arguments(), arg_types):
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True, dtype=dtype)
        for name, dtype in zip(out.list_auxiliary_states(), aux_types):
            if name not in input_names:
                self.params.get(name, grad_req='null', allow_deferred_init=True, dtype=dtype)
        self._cached_graph = syms, out
        strip = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[strip:]: p for key, p in self._params.items()}

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        """Load a block from a ``-symbol.json`` file and optionally its ``.params`` file.

        Parameters
        ----------
        symbol_file : str
            Path of the ``-symbol.json`` file.
        input_names : str or list of str
            Names of the graph variables that are data inputs: ``'data'``, or ``['data0', 'data1']``
            for a block exported after calls with two arrays (see :meth:`HybridBlock.export`).
        param_file : str, optional
            ``.params`` file (keys ``arg:<name>`` / ``aux:<name>``, or bare names); the saved
            dtypes are kept.
        ctx : Context or list of Context, optional
        allow_missing, ignore_extra : bool
            As for ``ParameterDict.load``.

        Returns
        -------
        SymbolBlock

        Raises
        ------
        MXNetFormatError
            If either file is malformed.
        ValueError
            If a name of ``input_names`` is not a variable of the graph while the parameter
            file leaves some variable without a value (the message lists those, the likely
            inputs; MXNet 1.9.1 reports the true input as a Parameter missing from the file).
        """
        from minigluon import symbol
        graph = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        if param_file is not None and not allow_missing:
            _check_input_names(graph, input_names, symbol_file, param_file)
        if param_file is None:
            inputs = [symbol.var(n, dtype=np.float32) for n in input_names]
        else:
            inputs = [symbol.var(n) for n in input_names]
        ret = SymbolBlock(graph, inputs)
        if param_file is not None:
            ret.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                      cast_dtype=True, dtype_source='saved')
        return ret

    def __repr__(self):
        syms, out = self._cached_graph
        return '%s(\n%s : %d -> %d\n)' % (type(self).__name__, out, len(syms),
                                          len(out.list_outputs()))

    def forward(self, x, *args):
        """NDArrays run the cached graph; Symbols give a copy of the graph composed on them."""
        from minigluon.symbol import Symbol
        if not isinstance(x, (NDArray, Symbol)):
            # (MXNet 1.9.1 asserts: an AssertionError, which TypeAssertionError also is)
            raise _in_block(self, TypeAssertionError(
                'the first input must be an NDArray (to compute) or a Symbol (to compose the '
                'graph), got %s; convert it with mx.nd.array(...)' % describe_value(x)))
        try:
            flat, fmt = flatten([x] + list(args), 'input')
        except ValueError as err:
            raise _in_block(self, err) from None
        if fmt != self._in_format and not same_structure(fmt, self._in_format):
            # (the graph is fixed: a HybridBlock would trace hybrid_forward again here)
            names = [s.name for s in self._cached_graph[0]]
            raise ValueError('SymbolBlock: the call gives input format %s (%d input(s)), but the '
                             'graph takes %s, format %s; pass one array per input, in that order'
                             % (fmt, len([f for f in flat if f is not None]), names,
                                self._in_format))
        if isinstance(x, NDArray):
            with x.context:
                return self._call_cached_op(x, *args)
        syms, out = self._cached_graph
        ret = out._composed({k.name: v for k, v in zip(syms, flat)}, [])
        return regroup(list(ret), self._out_format)

    def _cache_cleared(self):
        cleared = super()._cache_cleared()
        del cleared['_cached_graph']    # the graph is what this block is; only the plan is dropped
        return cleared

    def cast(self, dtype):
        """Cast the parameters; with float16, BatchNorm's statistics and scale/shift stay float32."""
        super().cast(dtype)
        if np.dtype(dtype).name != 'float16':
            return
        names = self._cached_graph[1].get_internals().list_inputs()
        for name in names:
            for stat, sibs in (('running_var', ('running_mean', 'gamma', 'beta')),
                               ('moving_var', ('moving_mean', 'gamma', 'beta'))):
                if name.endswith(stat):
                    stem = name[:-len(stat)]
                    group = [name] + [stem + s for s in sibs]
                    if all(n in names for n in group):
                        for n in group:
                            if n in self.params._params:
                                self.params[n].cast('float32')

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError('SymbolBlock runs its graph; hybrid_forward is not used')
