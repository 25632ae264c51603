"""``Block``, the base of every layer and model.

``HookHandle`` lives in :mod:`minigluon.block.hooks`, the naming scope in :mod:`minigluon.block._scope`.

Semantics follow ``mxnet.gluon.Block`` (MXNet 1.9.1; docs/MXNET_SPEC.md sections 1.1, 2 and 9). A Block
owns Parameters (``self.params``, and attributes holding Parameters) and child Blocks (attributes
holding Blocks), names them with automatic prefixes (``dense0_``, ``mlp0_dense1_``), runs hooks
around ``forward``, and saves/loads its parameters with structural keys (``body.0.weight``).
"""
import re
import threading
import warnings
import weakref
from collections import OrderedDict

from minigluon import initializer
from minigluon.base import OtherFrameworkName
from minigluon.block import _io, _model_io
from minigluon.block._scope import _BlockScope
from minigluon.block.hooks import HookHandle
from minigluon.parameter import Parameter, ParameterMismatchError
from minigluon.parameter_dict import ParameterDict


# child Block -> the Blocks it is registered in (weakly held), so a HybridBlock whose structure
# changes can clear the cached graphs of every ancestor that traced through it.
_PARENTS = weakref.WeakKeyDictionary()


# Per thread: how deep in Block.__call__ we are, and the Parameters (with their state before) whose
# deferred initialization the outermost call started; restored if that call raises.
_calls = threading.local()

# Model methods of other frameworks (PyTorch's nn.Module) that MXNet 1.9.1's Block does not have:
# asking for one says what Gluon does instead (hasattr() stays False; no new API; set on Block
# below the class, base.OtherFrameworkName).
_MODE_HINT = ("a Block has no training flag of its own: inside autograd.record() layers run in "
              "training mode (Dropout drops, BatchNorm uses batch statistics), outside it in "
              "predict mode; autograd.train_mode() / autograd.predict_mode() choose explicitly")
_OTHER_FRAMEWORKS = {
    'train': _MODE_HINT,
    'eval': _MODE_HINT,
    'parameters': "use collect_params(), a ParameterDict of name -> Parameter (its values() are "
                  "the Parameters, p.data() and p.grad() their arrays)",
    'named_parameters': "use collect_params().items()",
    'state_dict': "use save_parameters(file) / load_parameters(file), or collect_params() for "
                  "the Parameters by name",
    'load_state_dict': "use load_parameters(file), or set values with "
                       "collect_params()[name].set_data(array)",
    'to': "use collect_params().reset_ctx(ctx) to move the parameters (or initialize(ctx=...)), "
          "and x.as_in_context(ctx) for the data",
    'cuda': "use collect_params().reset_ctx(mx.gpu(0)) to move the parameters, and "
            "x.as_in_context(mx.gpu(0)) for the data",
    'double': "use cast('float64')",
    'half': "use cast('float16')",
}


def _check_init_arguments(cls_name, prefix, params):
    """Refuse a ``prefix`` that is no string and ``params`` that are no ParameterDict, as
    ``nn.Sequential(nn.Dense(2), nn.Dense(3))`` passes (MXNet 1.9.1 fails later with
    "'Sequential' object has no attribute '_children'")."""
    if any(isinstance(v, Block) for v in (prefix, params)):
        raise TypeError('%s(prefix=None, params=None) got a Block as an argument: child blocks are '
                        'not constructor arguments; add them with net.add(block1, block2, ...) '
                        '(Sequential, HybridSequential) or assign them as attributes in __init__'
                        % cls_name)
    if prefix is not None and not isinstance(prefix, str):
        raise TypeError('%s: prefix must be a string or None, got %s'
                        % (cls_name, type(prefix).__name__))
    if params is not None and not isinstance(params, ParameterDict):
        raise TypeError('%s: params must be a ParameterDict (another block\'s collect_params() or '
                        'params) or None, got %s' % (cls_name, type(params).__name__))


def _keyword_inputs_message(block, kwargs):
    """The error for ``block(x, name=value)``: Blocks take their inputs by position only."""
    import inspect
    from minigluon.block.hybrid import HybridBlock
    names = ', '.join(repr(k) for k in kwargs)
    cls = type(block)
    # a HybridBlock's own hybrid_forward says the inputs (CTCLoss's forward takes *args)
    own_hybrid = getattr(cls, 'hybrid_forward', HybridBlock.hybrid_forward) is not HybridBlock.hybrid_forward
    method, skip = ('hybrid_forward', 2) if own_hybrid else ('forward', 1)
    order = ''
    try:
        params = list(inspect.signature(getattr(cls, method)).parameters.values())[skip:]
        held = getattr(block, '_reg_params', {})     # Parameters reach hybrid_forward by name
        shown = [str(p) for p in params if p.kind != p.VAR_KEYWORD and p.name not in held]
        order = ': pass them in the order of %s(%s%s), None for an optional one left out' % (
            method, 'F, ' if method == 'hybrid_forward' else '', ', '.join(shown))
    except (TypeError, ValueError):
        pass
    return ('%s (%s) got the keyword input%s %s, but a Block takes its inputs by position only '
            '(Block.__call__(*args), as in MXNet 1.x)%s'
            % (getattr(block, 'name', cls.__name__), cls.__name__, 's' if len(kwargs) > 1 else '',
               names, order))


def _remember_pending(params):
    """Note the state of the still-pending ``params`` before a call infers their shapes."""
    if getattr(_calls, 'depth', 0) > 0:
        _calls.pending.extend((p, dict(p.__dict__)) for p in params if p._deferred_init)


def _parents_of(block):
    """The live Blocks in which ``block`` is registered as a child."""
    return list(_PARENTS.get(block, ()))


def _hybridized_ancestor(block):
    """The first hybridized (``_active``) HybridBlock among ``block``'s ancestors, or None."""
    seen, todo = set(), _parents_of(block)
    while todo:
        parent = todo.pop()
        if id(parent) in seen:
            continue
        seen.add(id(parent))
        if getattr(parent, '_active', False):
            return parent
        todo.extend(_parents_of(parent))
    return None


def _warn_hook_inside_hybridized(block):
    """Warn when a hook is registered on a block inside a hybridized one: the outer block's cached
    graph never calls the inner block, so the hook would stay silent after the first (tracing)
    call. MXNet 1.9.1 warns only when a block that already has hooks is hybridized."""
    outer = _hybridized_ancestor(block)
    if outer is not None:
        warnings.warn('"%s" is inside the hybridized block "%s": a hook registered on it does not '
                      'run when "%s" runs its cached graph (only while it traces the graph, with '
                      'Symbols); hook "%s" instead, or call %s.hybridize(active=False) while you '
                      'inspect' % (block.name, outer.name, outer.name, outer.name, outer.name),
                      stacklevel=3)


def _indent(text, num_spaces):
    lines = text.split('\n')
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + '\n' + '\n'.join(' ' * num_spaces + line for line in lines)


def _no_block_init_error(block, missing):
    """The AttributeError for a Block whose subclass ``__init__`` never ran ``Block.__init__``
    (attribute ``missing`` absent; MXNet 1.9.1 says no more than that), with the fix."""
    cls = type(block).__name__
    return AttributeError("'%s' object has no attribute '%s': %s.__init__ must call "
                          'super().__init__(**kwargs) before it uses name_scope() or assigns a '
                          'Block or Parameter (Block.__init__ sets up the children, Parameters '
                          'and prefix)' % (cls, missing, cls))


class Block:
    """Base class of all layers and models.

    Subclasses create Parameters and child Blocks in ``__init__`` (inside ``with self.name_scope():``)
    and define ``forward(*args)``.

    Parameters
    ----------
    prefix : str, optional
        Prefix of this block's name and parameters; automatic (``dense0_``) when None, and ``''``
        makes the block transparent for naming (its children are named in the enclosing scope).
    params : ParameterDict, optional
        Share parameters with another block (pass ``other.params``).
    """

    def __init__(self, prefix=None, params=None):
        _check_init_arguments(type(self).__name__, prefix, params)
        self._empty_prefix = prefix == ''
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith('_') else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __setstate__(self, state):
        """Restore a pickled or deep-copied Block: its attributes, then its place as the parent
        of its children (kept outside the blocks, in ``_PARENTS``, for clearing cached graphs).
        Parameters shared between blocks stay shared within one pickle or ``deepcopy``."""
        self.__dict__.update(state)
        for child in self._children.values():
            _PARENTS.setdefault(child, weakref.WeakSet()).add(self)

    def __repr__(self):
        modstr = '\n'.join('  ({key}): {block}'.format(key=key, block=_indent(repr(block), 2))
                           for key, block in self.__dict__.items() if isinstance(block, Block))
        return '{name}(\n{modstr}\n)'.format(name=self.__class__.__name__, modstr=modstr)

    def __setattr__(self, name, value):
        """Register Blocks as children and Parameters as own parameters when assigned as attributes."""
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError('Changing attribute type for {name} from {type1} to {type2} '
                                'is not allowed.'.format(name=name, type1=type(existing),
                                                         type2=type(value)))
        if isinstance(value, Block):
            if '_children' not in self.__dict__:
                raise _no_block_init_error(self, '_children')
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if '_reg_params' not in self.__dict__:
                raise _no_block_init_error(self, '_reg_params')
            if name in self._reg_params:
                raise ParameterMismatchError(
                    "Overriding Parameter attribute %s is not allowed. If you want to share "
                    "parameters between blocks, please set 'params' at Block construction instead."
                    % name)
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self):
        """Warn about Blocks held in a list, tuple or dict attribute without being registered as
        children: their parameters would be missing from ``collect_params`` (as MXNet warns)."""
        children = set(id(c) for c in self._children.values())

        def unregistered(data):
            if isinstance(data, (list, tuple)):
                return any(unregistered(x) for x in data)
            if isinstance(data, dict):
                return any(unregistered(x) for x in data.values())
            if isinstance(data, Block):
                return id(data) not in children
            return False

        for key, value in self.__dict__.items():
            if isinstance(value, (list, tuple, dict)) and not (key.startswith('__') or key == '_children'):
                if unregistered(value):
                    warnings.warn('"{name}" is an unregistered container with Blocks. Note that Blocks '
                                  'inside the list, tuple or dict will not be registered automatically. '
                                  'Make sure to register them using register_child() or switching to '
                                  'nn.Sequential/nn.HybridSequential instead. '
                                  .format(name=self.__class__.__name__ + '.' + key), stacklevel=3)

    def _alias(self):
        """The hint of automatic prefixes: ``Dense`` blocks are named ``dense0_``, ``dense1_``..."""
        return self.__class__.__name__.lower()

    @property
    def prefix(self):
        """Prefix of this block's name and parameters, e.g. ``'hybridsequential0_dense0_'``."""
        return self._prefix

    @property
    def name(self):
        """The prefix without its trailing underscore."""
        return self._name

    def name_scope(self):
        """Context manager in which new Blocks (and unnamed symbol ops) get this block's prefix."""
        try:
            return self._scope
        except AttributeError:
            raise _no_block_init_error(self, '_scope') from None

    @property
    def params(self):
        """This block's own ParameterDict (children's parameters are not included)."""
        return self._params

    def collect_params(self, select=None):
        """A ParameterDict of this block's and all descendants' Parameters (own first, then children).

        Parameters
        ----------
        select : str, optional
            Regular expression; keep parameters whose full name it matches (``re.match``, anchored at
            the start only), e.g. ``'.*weight|.*bias'``.
        """
        self._check_container_with_block()
        ret = ParameterDict(self._params.prefix)
        if not select:
            ret.update(self.params)
        else:
            pattern = re.compile(select)
            ret.update({name: value for name, value in self.params.items() if pattern.match(name)})
        for child in self._children.values():
            ret.update(child.collect_params(select=select))
        if select and not ret._params and self.collect_params()._params:
            ret._unmatched_select = select     # ParameterDict.setattr warns on this dict only
        return ret

    def _collect_params_with_prefix(self, prefix=''):
        """``{structural name: Parameter}``, the names ``save_parameters`` writes: attribute
        names joined by dots from this block down (``body.0.weight``), not the prefixed names of
        ``collect_params`` (``hybridsequential0_dense0_weight``)."""
        if prefix:
            prefix += '.'
        ret = {prefix + key: val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def register_child(self, block, name=None):
        """Register ``block`` as a child (under ``name``, default its index)."""
        if name is None:
            name = str(len(self._children))
        previous = self._children.get(name)
        if previous is not None and previous is not block and previous in _PARENTS:
            _PARENTS[previous].discard(self)
        self._children[name] = block
        _PARENTS.setdefault(block, weakref.WeakSet()).add(self)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before each ``forward``; ``inputs`` is the positional-args tuple.

        Inside a hybridized block it runs only while the graph is traced, with Symbols (see
        :meth:`register_forward_hook`).

        Returns
        -------
        HookHandle
        """
        _warn_hook_inside_hybridized(self)
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, output)`` after each ``forward``.

        On a hybridized block the hook sees every call's NDArrays. On a block *inside* a
        hybridized one it runs only while the outer block traces its graph (its first call, or a
        call with a new input structure) and sees Symbols, which have no ``.shape``; the later
        calls run the cached graph and skip it (as in MXNet 1.9.1). Hook the outer block, or
        leave it unhybridized while you inspect. Registering a hook on a block whose ancestor is
        already hybridized warns (a ``UserWarning`` naming that ancestor); MXNet 1.9.1 warns only
        at ``hybridize()``, so a hook added afterwards stayed silent there.

        Returns
        -------
        HookHandle
        """
        _warn_hook_inside_hybridized(self)
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Call ``fn(block)`` on every descendant, children before parents (post-order); returns self."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialize all parameters: ``self.collect_params().initialize(init, ctx, verbose, force_reinit)``.

        ``init`` defaults to ``Uniform(scale=0.07)`` and applies to parameters without their own init.
        """
        if init is None:
            init = _DEFAULT_INIT
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Recursively hybridize the HybridBlock descendants (a plain Block itself cannot be)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast all parameters (children first) to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for _, param in self.params.items():
            param.cast(dtype)

    def zero_grad(self):
        """Set all parameter gradients to 0."""
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx):
        """Move all parameters to ``ctx`` (a Context or list)."""
        self.collect_params().reset_ctx(ctx)

    def share_parameters(self, shared):
        """Replace own and descendants' Parameters by those in ``shared`` (structural keys, MXNet 2.x).

        Parameters
        ----------
        shared : dict of str to Parameter
            E.g. ``other._collect_params_with_prefix()``; keys absent from this block warn.

        Returns
        -------
        self
        """
        if shared is None:
            return self
        if not isinstance(shared, dict):
            raise ValueError("share_parameters: 'shared' should be a dict of structural name to "
                             "Parameter, got {}".format(type(shared).__name__))
        remaining = set(shared.keys())
        self._share_parameters(shared, remaining)
        for name in sorted(remaining):
            warnings.warn('Parameter name {} is not in the current model!'.format(name), stacklevel=2)
        return self

    def _share_parameters(self, shared, remaining, prefix=''):
        if prefix:
            prefix += '.'
        for name, old in list(self._reg_params.items()):
            new = shared.get(prefix + name)
            if new is None:
                continue
            self._reg_params[name] = new
            object.__setattr__(self, name, new)
            items = [(new.name, new) if v is old else (k, v) for k, v in self._params._params.items()]
            self._params._params = OrderedDict(items)
            remaining.discard(prefix + name)
        for name, child in self._children.items():
            child._share_parameters(shared, remaining, prefix + name)
        clear = getattr(self, '_clear_cached_op', None)
        if clear is not None:       # a cached graph holds the Parameters it was built with
            clear()

    def __call__(self, *args, **kwargs):
        """Run forward pre-hooks, ``forward(*args)``, then forward hooks; return the output.

        Inputs are positional only, as in MXNet 1.9.1 (``Block.__call__(self, *args)``): a keyword
        input raises a ``TypeError`` that lists the order in which to pass them.

        If the outermost call raises, the Parameters whose deferred initialization it completed
        go back to pending (shape unknown), so a call with corrected inputs infers them afresh
        (MXNet 1.9.1 keeps the shapes inferred from the failed input).
        """
        if kwargs:
            raise TypeError(_keyword_inputs_message(self, kwargs))
        depth = getattr(_calls, 'depth', 0)
        if depth == 0:
            _calls.pending = []
        _calls.depth = depth + 1
        try:
            for hook in self._forward_pre_hooks.values():
                hook(self, args)
            out = self.forward(*args)
            for hook in self._forward_hooks.values():
                hook(self, args, out)
            return out
        except BaseException:
            if depth == 0:
                for param, state in reversed(_calls.pending):
                    param.__dict__.clear()
                    param.__dict__.update(state)
            raise
        finally:
            _calls.depth = depth
            if depth == 0:
                _calls.pending = []

    def forward(self, *args):
        """Compute the output; subclasses override this."""
        raise NotImplementedError('%s must implement forward()' % type(self).__name__)

    def register_op_hook(self, callback, monitor_all=False):
        """Install an operator hook on hybridized descendants (see HybridBlock)."""
        for child in self._children.values():
            child.register_op_hook(callback, monitor_all)

    def summary(self, *inputs):
        """Print a table of each layer's output shape and parameter count (see docs/MXNET_SPEC.md section 6)."""
        from minigluon.block.summary import summary
        summary(self, *inputs)

    # -- files ---------------------------------------------------------------------------------------
    def save_parameters(self, filename, deduplicate=False):
        """Save parameters with structural keys (``0.weight``, ``body.1.bias``) to ``filename``.

        Parameters
        ----------
        filename : str
        deduplicate : bool, default False
            Store a Parameter reachable under several keys once, under the last of them.
        """
        _io.save_parameters(self, filename, deduplicate)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source='current'):
        """Load parameters saved by :meth:`save_parameters`, ``save_params`` or ``export``.

        A file whose keys contain no ``'.'`` is a prefixed-name file (``dense0_weight`` from
        ``save_params``, ``arg:mlp0_dense0_weight`` from ``export``): its keys are matched against
        ``collect_params()`` names with or without this block's prefix (better than MXNet, which
        cannot load an exported file here). Full names (a file written by ``nd.save`` of
        ``collect_params()``) and parameters whose names lie outside this block's prefix (children
        built outside ``name_scope``) are matched by their full name too, where MXNet adds the
        prefix again and raises. A file saved from a block without parameters holds an empty list:
        it loads as a file without keys (MXNet fails with ``AttributeError: 'list' object has no
        attribute 'keys'``).

        Raises
        ------
        ParameterMismatchError
            On a missing or extra key, or a shape/dtype mismatch, naming the parameter and the file;
            no parameter is changed.
        MXNetFormatError
            When the file is corrupt.
        """
        _io.load_parameters(self, filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source)

    def save(self, prefix):
        """Save the architecture record and the parameters (MXNet 1.9.1 ``Block.save``).

        Writes ``<prefix>-model.json`` (per block, nested: ``orig_name``, ``hybridized``, and for a
        hybridized block with a cached graph ``in_format``, ``out_format``, ``inputs``, ``symbol``;
        ``children`` maps child names to attribute names) and ``<prefix>-model.params`` (as
        :meth:`save_parameters`). Both payloads are built before either file is replaced, and each
        file is written atomically. See :mod:`minigluon.block._model_io`.
        """
        _model_io.save(self, prefix)

    def load(self, prefix, ctx=None):
        """Load files written by :meth:`save` into this block, built the same way as the saved one.

        Blocks get their saved names (parameters are re-keyed accordingly), saved cached graphs
        are restored (the block is hybridized and runs without re-tracing), then parameters are
        loaded onto ``ctx`` (minigluon extension; MXNet's ``load`` takes only ``prefix``).

        Raises
        ------
        MXNetFormatError
            When the JSON is malformed or does not match this block's tree (blocks are matched by
            class name and pre-order position), or the parameter file is corrupt.
        ParameterMismatchError
            When parameters are missing, extra, or of another shape/dtype.

        Nothing in the block changes unless the whole load succeeds.
        """
        _model_io.load(self, prefix, ctx)

    def save_params(self, filename):
        """Deprecated: save with prefixed names; use :meth:`save_parameters`."""
        warnings.warn('save_params is deprecated. Please use save_parameters. Note that if you want '
                      'load from SymbolBlock later, please use export instead. For details, see '
                      'https://mxnet.apache.org/api/python/docs/tutorials/packages/gluon/blocks/'
                      'save_load_params.html', stacklevel=2)
        _io.save_params(self, filename)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """Deprecated: use :meth:`load_parameters`."""
        warnings.warn('load_params is deprecated. Please use load_parameters.', stacklevel=2)
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)


OtherFrameworkName.install(Block, _OTHER_FRAMEWORKS)
_DEFAULT_INIT = initializer.Uniform()
