"""Converting a float32 graph to mixed precision: ``amp.convert_symbol`` (MXNet 1.9.1's
``ReducePrecision`` graph pass, whose decisions were measured on MXNet: see
``tests/fixtures/amp/convert.json``), ``convert_model`` and ``convert_hybrid_block``.

The pass walks the graph in order and knows, for each output it has made, whether it is float16
("low"), float32, or unknown:

* an operator of the float16 list (FullyConnected, Convolution...) gets ``amp_cast`` to float16 on
  each input not known to be float16; its outputs are float16;
* an operator of the float32 list, a matching conditional one (``Activation`` with
  ``act_type='softrelu'``...) or one named in ``excluded_sym_names`` gets ``amp_cast`` to float32
  on each input that is float16 or the unknown output of an operator (variables are float32
  data); its outputs are float32;
* a widest-type operator (``elemwise_add``, ``broadcast_mul``...) whose inputs are all known
  runs in float32 when one of them is float32 or already has a float32 cast (the others get
  ``amp_cast`` to float32, reusing existing casts), else in float16 without casts; when a
  variable or an unknown output is among them, one ``amp_multicast`` node casts them all and
  its outputs are unknown;
* any other operator keeps its inputs; its outputs have their common known dtype, if any;
* finally the graph's outputs that are not known to be float32 get ``amp_cast`` to float32.

Each cast of one output to one dtype is made once and shared. A cast node is named
``<input>_amp_cast_<dtype>``, where ``<input>`` is a variable's name, ``<node>_output`` (or
``<node>_output<i>``) after operators for which MXNet registers output names
(``Op.mxnet_output_names``), else ``<node>_<index>``; an ``amp_multicast`` node is
named ``<first input>_amp_multicast``. With ``cast_optional_params`` the model parameters
(inputs not in ``data_names``) feeding float16 operators are not cast but marked
``__dtype__ = 2`` (float16: :func:`convert_model` casts their values), those feeding float32
operators ``__dtype__ = 0``.
"""
import numpy as np

from minigluon.contrib.amp import lists
from minigluon.ops.registry import OPS
from minigluon.symbol.graph import hook_names, new_op_node
from minigluon.symbol.symbol import Symbol

_LOW, _F32 = 'float16', 'float32'
_MX_DTYPE_CODE = {_F32: '0', _LOW: '2'}


class _Converter:
    """One run of the pass over ``sym`` (see the module docstring)."""

    def __init__(self, target_ops, fp32_ops, conditional, widest, excluded, data_names,
                 cast_optional_params):
        self.target_ops, self.fp32_ops, self.widest = set(target_ops), set(fp32_ops), set(widest)
        self.conditional = {name: (attr, set(values)) for name, attr, values in conditional}
        self.excluded = set(excluded)
        self.data_names = set(data_names)
        self.cast_optional_params = cast_optional_params
        self.new = {}          # id(old node) -> new node
        self.dtype = {}        # (id(new node), index) -> _LOW, _F32 or None
        self.casts = {}        # (id(new node), index, dtype) -> cast node

    # -- classification --------------------------------------------------------------------------
    def kind(self, node):
        """'low', 'fp32', 'widest' or 'neutral' for the operator node ``node``."""
        op = node.op        # the operator's name as called / as in the JSON (MXNet's lists)
        if node.name in self.excluded or op in self.fp32_ops:
            return 'fp32'
        if op in self.conditional:
            attr, values = self.conditional[op]
            if node.attrs.get(attr) in values:
                return 'fp32'
        if op in self.target_ops:
            return 'low'
        if op in self.widest:
            return 'widest'
        return 'neutral'

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def entry_name(src, idx):
        """The name MXNet gives the output ``idx`` of ``src`` in the cast nodes it adds: as its
        op hook names it (:func:`~minigluon.symbol.graph.hook_names`)."""
        if src.is_variable:
            return src.name
        return '%s_%s' % (src.name, hook_names(src)[1][idx])

    def cast(self, entry, dtype):
        """The entry ``entry`` cast to ``dtype`` (one shared ``amp_cast`` node per entry/dtype)."""
        src, idx, version = entry
        key = (id(src), idx, dtype)
        if key not in self.casts:
            op = OPS['amp_cast'](dtype=dtype)
            name = '%s_amp_cast_%s' % (self.entry_name(src, idx), dtype)
            self.casts[key] = new_op_node(op, 'amp_cast', name, {}, [(src, idx, version)])
            self.dtype[(id(self.casts[key]), 0)] = dtype
        return (self.casts[key], 0, 0)

    def has_cast(self, entry, dtype):
        """Whether a cast of ``entry`` to ``dtype`` was already made (a widest-type operator then
        takes that dtype, reusing the cast, as MXNet's pass does)."""
        return (id(entry[0]), entry[1], dtype) in self.casts

    def known(self, entry):
        return self.dtype.get((id(entry[0]), entry[1]))

    def is_param(self, entry):
        return entry[0].is_variable and entry[0].name not in self.data_names

    def mark_param(self, entry, dtype):
        """Mark the parameter variable of ``entry`` as stored in ``dtype`` (no cast node)."""
        entry[0].attrs['__dtype__'] = _MX_DTYPE_CODE[dtype]
        self.dtype[(id(entry[0]), 0)] = dtype

    # -- the pass --------------------------------------------------------------------------------
    def convert_inputs(self, node, inputs):
        """The new input entries of the operator ``node`` and the dtype of its outputs."""
        kind = self.kind(node)
        if kind == 'low':
            out = []
            for e in inputs:
                if self.known(e) == _LOW:
                    out.append(e)
                elif self.cast_optional_params and self.is_param(e):
                    self.mark_param(e, _LOW)
                    out.append(e)
                else:
                    out.append(self.cast(e, _LOW))
            return out, _LOW
        if kind == 'fp32':
            out = []
            for e in inputs:
                if e[0].is_variable:
                    if self.cast_optional_params and self.is_param(e):
                        self.mark_param(e, _F32)
                    out.append(e)
                elif self.known(e) == _F32:
                    out.append(e)
                else:
                    out.append(self.cast(e, _F32))
            return out, _F32
        dtypes = [None if e[0].is_variable else self.known(e) for e in inputs]
        if kind == 'widest' and len(inputs) > 1:
            if None in dtypes:
                return self.multicast(inputs), None
            if _F32 in dtypes or any(self.has_cast(e, _F32) for e in inputs):
                return [e if d == _F32 else self.cast(e, _F32) for e, d in zip(inputs, dtypes)], _F32
            return list(inputs), dtypes[0]
        common = set(dtypes)
        return list(inputs), (dtypes[0] if len(common) == 1 else None)

    def multicast(self, inputs):
        op = OPS['amp_multicast'](num_outputs=len(inputs))
        name = '%s_amp_multicast' % self.entry_name(inputs[0][0], inputs[0][1])
        node = new_op_node(op, 'amp_multicast', name, {}, list(inputs))
        return [(node, i, 0) for i in range(len(inputs))]

    def node(self, old):
        """The new node for ``old`` (made once: variables and operators are shared)."""
        if id(old) in self.new:
            return self.new[id(old)]
        if old.is_variable:
            new = old.clone([])
        else:
            inputs = [(self.new[id(src)], idx, version) for src, idx, version in old.inputs]
            inputs, out_dtype = self.convert_inputs(old, inputs)
            new = old.clone(inputs)
            for i in range(old.num_outputs):
                self.dtype[(id(new), i)] = out_dtype
        self.new[id(old)] = new
        return new

    def run(self, sym):
        for old in sym._nodes():
            self.node(old)
        heads = []
        for old, idx in sym._outputs:
            entry = (self.new[id(old)], idx, 0)
            if not entry[0].is_variable and self.known(entry) != _F32:
                entry = self.cast(entry, _F32)
            heads.append(entry[:2])
        return Symbol(heads)


def _option_list(value, default, name):
    if value is None:
        return default
    if not isinstance(value, list):
        raise TypeError('convert_symbol: %s must be a list, got %s' % (name, type(value).__name__))
    return value


def convert_symbol(sym, target_dtype='float16', target_dtype_ops=None, fp32_ops=None,
                   conditional_fp32_ops=None, excluded_sym_names=None, data_names=None,
                   cast_optional_params=False):
    """A mixed-precision copy of the float32 graph ``sym`` with ``amp_cast`` / ``amp_multicast``
    nodes (MXNet 1.9.1 ``amp.convert_symbol``; the rules are in the module docstring). ``sym``
    itself is not changed.

    Parameters
    ----------
    sym : Symbol
    target_dtype : 'float16'
        (``'bfloat16'`` raises ValueError: NumPy has no such dtype.)
    target_dtype_ops, fp32_ops : list of str, optional
        Instead of the float16 / float32 lists.
    conditional_fp32_ops : list of (str, str, list of str), optional
        Instead of the conditional list: ``(operator, attribute, values)``.
    excluded_sym_names : list of str, optional
        Operator nodes kept in float32.
    data_names : list of str, optional
        The data inputs (default: every input without a ``__dtype__`` attribute); the other
        inputs are the model parameters.
    cast_optional_params : bool, default False
        Mark parameters ``__dtype__`` float16/float32 instead of casting them in the graph.

    Raises
    ------
    TypeError
        When ``sym`` is not a Symbol or an option is not a list.
    ValueError
        When an operator is in two lists, or not in any of MXNet's lists (as MXNet asserts).
    """
    from minigluon.contrib.amp.amp import _target_dtype
    if not isinstance(sym, Symbol):
        raise TypeError('convert_symbol: sym must be a Symbol, got %s' % type(sym).__name__)
    _target_dtype(target_dtype, 'convert_symbol')
    fp16 = lists.symbol_fp16
    target_ops = _option_list(target_dtype_ops, fp16.FP16_FUNCS, 'target_dtype_ops')
    fp32 = _option_list(fp32_ops, fp16.FP32_FUNCS, 'fp32_ops')
    conditional = [tuple(c) for c in _option_list(conditional_fp32_ops,
                                                  fp16.CONDITIONAL_FP32_FUNCS,
                                                  'conditional_fp32_ops')]
    for c in conditional:
        if len(c) != 3 or not isinstance(c[0], str) or not isinstance(c[1], str) \
                or not isinstance(c[2], (list, tuple)):
            raise TypeError('convert_symbol: conditional_fp32_ops holds (operator, attribute, '
                            'list of values) triples, got %r' % (c,))
    _check_lists(target_ops, fp32, [c[0] for c in conditional])
    excluded = _option_list(excluded_sym_names, [], 'excluded_sym_names')
    if data_names is None:
        attrs = sym.attr_dict()
        data_names = [n for n in sym.list_inputs() if '__dtype__' not in attrs.get(n, {})]
    return _Converter(target_ops, fp32, conditional, fp16.WIDEST_TYPE_CASTS, excluded,
                      data_names, cast_optional_params).run(sym)


def _check_lists(target_ops, fp32_ops, conditional_names):
    """MXNet's checks: no operator in two lists, and each one from MXNet's lists."""
    fp16 = lists.symbol_fp16
    pairs = [('target_dtype_ops', target_ops, 'fp32_ops', fp32_ops),
             ('target_dtype_ops', target_ops, 'conditional_fp32_ops', conditional_names),
             ('fp32_ops', fp32_ops, 'conditional_fp32_ops', conditional_names)]
    for name_a, a, name_b, b in pairs:
        common = set(a) & set(b)
        if common:
            raise ValueError('convert_symbol: operators cannot be in two lists; %s and %s share %s'
                             % (name_a, name_b, sorted(common)))
    known = set(fp16.FP16_FUNCS + fp16.FP32_FUNCS + fp16.FP16_FP32_FUNCS
                + [c[0] for c in fp16.CONDITIONAL_FP32_FUNCS])
    unknown = set(target_ops + fp32_ops + list(conditional_names)) - known
    if unknown:
        raise ValueError('convert_symbol: %s are not in amp.list_lp16_ops, list_fp32_ops, '
                         'list_lp16_fp32_ops or list_conditional_fp32_ops' % sorted(unknown))


def strip_amp_casts(sym):
    """``sym`` without the ``amp_cast`` / ``amp_multicast`` nodes that feed other nodes (each
    such input replaced by the cast's own input), as ``tojson(remove_amp_cast=True)`` writes a
    graph (MXNet 1.9.1's ``RemoveAmpCast``: as there, a cast that is itself an output of the
    graph stays); ``sym`` itself when it holds none."""
    nodes = sym._nodes()
    if not any(n.op in ('amp_cast', 'amp_multicast') for n in nodes):
        return sym
    new = {}

    def resolve(src, idx, version):
        while src.op in ('amp_cast', 'amp_multicast'):
            src, idx, version = src.inputs[idx if src.op == 'amp_multicast' else 0]
        return new[id(src)], idx, version

    heads = {id(src) for src, _ in sym._outputs}
    for node in nodes:
        if node.op not in ('amp_cast', 'amp_multicast') or id(node) in heads:
            new[id(node)] = node.clone([resolve(*e) for e in node.inputs])
    return Symbol([(new[id(src)], idx) for src, idx in sym._outputs])


def convert_model(sym, arg_params, aux_params, target_dtype='float16', target_dtype_ops=None,
                  fp32_ops=None, conditional_fp32_ops=None, excluded_sym_names=None,
                  cast_optional_params=False):
    """:func:`convert_symbol` for a model and its parameters (MXNet 1.9.1 ``amp.convert_model``):
    returns ``(symbol, arg_params, aux_params)``, where the parameters marked float16 by
    ``cast_optional_params`` are cast to float16 and the others kept. The data inputs are the
    graph inputs that are not in ``arg_params`` / ``aux_params``.

    Raises
    ------
    ValueError
        When a name in ``arg_params`` or ``aux_params`` is not an input of ``sym``.
    """
    inputs = sym.list_inputs()
    missing = [k for k in list(arg_params) + list(aux_params) if k not in inputs]
    if missing:
        raise ValueError('convert_model: %s are not inputs of the symbol (inputs: %s)'
                         % (missing, inputs))
    data_names = [n for n in inputs if n not in arg_params and n not in aux_params]
    result = convert_symbol(sym, target_dtype=target_dtype, target_dtype_ops=target_dtype_ops,
                            fp32_ops=fp32_ops, conditional_fp32_ops=conditional_fp32_ops,
                            excluded_sym_names=excluded_sym_names, data_names=data_names,
                            cast_optional_params=cast_optional_params)
    attrs = result.attr_dict()

    def cast(params):
        out = {}
        for name, value in params.items():
            code = attrs.get(name, {}).get('__dtype__')
            out[name] = value.astype(np.float16) if code == '2' else value
        return out

    return result, cast(arg_params), cast(aux_params)


def convert_hybrid_block(block, target_dtype='float16', target_dtype_ops=None, fp32_ops=None,
                         conditional_fp32_ops=None, excluded_sym_names=None, ctx=None,
                         cast_optional_params=False):
    """A mixed-precision ``SymbolBlock`` from a hybridized ``HybridBlock`` that has run once
    (MXNet 1.9.1 ``amp.convert_hybrid_block``): its graph through :func:`convert_model`, its
    parameters copied (float16 where ``cast_optional_params`` marks them), on ``ctx``
    (default: the current context).

    Raises
    ------
    TypeError
        When ``block`` is not a HybridBlock.
    MXNetError
        When it has not been hybridized and run (there is no graph yet).
    """
    from minigluon.base import MXNetError
    from minigluon.block import HybridBlock, SymbolBlock
    from minigluon.context import current_context
    if not isinstance(block, HybridBlock):
        raise TypeError('convert_hybrid_block: block must be a HybridBlock, got %s'
                        % type(block).__name__)
    cached = getattr(block, '_cached_graph', None)
    if not cached:
        raise MXNetError('convert_hybrid_block: the block has no graph yet; call '
                         'block.hybridize() and run it on a batch first')
    inputs, out = cached
    ctx = ctx or current_context()
    params = block.collect_params()
    by_name = {p.name: p for p in params.values()}
    aux_names = set(out.list_auxiliary_states())
    arg_params = {n: by_name[n].data() for n in out.list_arguments() if n in by_name}
    aux_params = {n: by_name[n].data() for n in aux_names if n in by_name}
    sym, arg_params, aux_params = convert_model(
        out, arg_params, aux_params, target_dtype=target_dtype, target_dtype_ops=target_dtype_ops,
        fp32_ops=fp32_ops, conditional_fp32_ops=conditional_fp32_ops,
        excluded_sym_names=excluded_sym_names, cast_optional_params=cast_optional_params)
    net = SymbolBlock(sym, inputs)
    values = dict(arg_params, **aux_params)
    for name, param in net.collect_params().items():
        if name in values:
            value = values[name]
            param._dtype = value.dtype
            param.initialize(ctx=ctx)
            param.set_data(value.as_in_context(ctx))
    return net
