"""The operator registry: one class per operator, feeding ``nd``, ``sym``, the graph executor and JSON.

Terms used across :mod:`minigluon.ops`, :mod:`minigluon.ndarray.dispatch` and
:mod:`minigluon.symbol`:

* an **operator class** is a subclass of :class:`Op` registered with :func:`register` under
  MXNet's operator name (``Convolution``, ``relu``). It is defined once and serves every mode;
* an **operator instance** (``op``) is made for one call, eager or in a graph: its attributes
  are instance fields (``op.num_filter``), and ``forward`` may keep on it what ``backward``
  needs (``self.cols``). An autograd ``Node`` holds the instance it ran;
* an **attribute** is a typed setting of the operator (:class:`~minigluon.ops.attr.Attr`):
  ``kernel``, ``num_filter``. ``op.given`` holds the attributes the caller set, parsed; those
  are what ``-symbol.json`` writes, as MXNet writes only the given ones;
* an **input** (MXNet: *argument*) is an array the operator computes on, named by
  ``op.list_arguments()`` (``data, weight, bias``); an **output** is an array it returns;
* a **node** is an operator instance with its inputs, either on the autograd tape
  (:class:`minigluon.autograd.Node`) or in a Symbol graph (:mod:`minigluon.symbol.graph`).

A subclass declares:

* ``name`` (MXNet's operator name, as written in ``-symbol.json``) and ``aliases``;
* ``arguments``: the names of its array inputs, in MXNet's order (override :meth:`Op.list_arguments`
  when they depend on attributes, e.g. ``no_bias``); ``None`` means variadic (``Concat``);
  ``positional_inputs`` where MXNet's generated function lists fewer of them before the
  attributes (``log_softmax(x, 0)``: 0 is the axis, not the ``length`` input);
* ``attrs``: typed attributes with defaults (:class:`Attr`, defined in :mod:`minigluon.ops.attr`
  and re-exported here), parsed from Python values or from MXNet's string form (``"(3, 3)"``,
  ``"True"``) and printed back in that form;
* ``num_outputs`` / ``num_visible_outputs`` and ``mutate_inputs`` (auxiliary states such as
  BatchNorm's running mean, which appear as ``aux:`` in exported files);
* ``forward(xp, *inputs)`` returning an array or a tuple of arrays, and right below it
  ``backward(xp, *grad_outputs)`` returning one gradient (or ``None``) per input; ``xp`` is
  ``numpy`` or ``cupy``, the inputs and outputs raw arrays of that module (never NDArrays);
* optionally ``infer_shape`` and ``infer_type`` for symbolic shape inference (deferred
  initialisation, ``Symbol.infer_shape``); the defaults run ``forward`` on zeros.

Writing an operator outside the package (a user's module) takes the same three steps as inside::

    from minigluon.ops import Attr, Op, register

    @register
    class ScaledSoftsign(Op):               # alpha * x / (1 + |x|)
        name = 'scaled_softsign'            # what nd.<name>, sym.<name> and -symbol.json use
        same_shape = True                   # shape rule: the output has the input's shape
        attrs = {'alpha': Attr('float', 1.0)}

        def forward(self, xp, data):        # xp: numpy or cupy; data: a raw array
            self.x = data                   # kept for backward, on this call's instance
            return (self.alpha * data / (1 + xp.abs(data))).astype(data.dtype, copy=False)

        def backward(self, xp, grad):       # one gradient per input, as a tuple
            return (grad * self.alpha / (1 + xp.abs(self.x)) ** 2,)

After the decorator runs, ``nd.scaled_softsign(x, alpha=2)``, ``x.scaled_softsign()``,
``sym.scaled_softsign`` and ``F.scaled_softsign`` in a ``hybrid_forward`` exist; autograd,
``hybridize``, ``export`` and ``SymbolBlock.imports`` use the class (a process that imports an
exported graph must register it first, as with MXNet's custom operators). The dtype rule
defaults to the element-wise one (:meth:`Op.infer_type`: an integer result from float inputs
needs its own; a result in NumPy's ``result_type`` of some inputs names them in
``dtype_from_inputs``, as ``dot`` does) and the shape rule to a forward pass on zeros (:meth:`Op.infer_shape`). An
operator with a weight input that a block creates with an unknown shape (``shape=(0,)``,
``allow_deferred_init=True``) overrides ``infer_shape(in_shapes)`` to complete that input from
the data, returning ``([data_shape, weight_shape], [output_shape])`` (``FullyConnected`` in
:mod:`minigluon.ops.nn`). An operator without a gradient sets ``differentiable = False``. Nothing checks what
``backward`` returns on the hot path: compare it with central differences through
:func:`minigluon.test_utils.check_gradient`. MXNet 1.9.1 has no such Python registry (its
operators are C++); its way, ``mx.operator.CustomOp``, runs here too (:mod:`minigluon.operator`).

Semantics, names, attributes and defaults are MXNet 1.9.1's (its ``NNVM_REGISTER_OP`` entries
and their parameter structs); each operator's docstring names its source. How a call reaches an
instance: :mod:`minigluon.ops.binding` (``bind_call``), ``_make_function`` in
:mod:`minigluon.ndarray` (``nd.<name>``) and :mod:`minigluon.symbol.creation` (``sym.<name>``).
"""
import copy
import difflib

import numpy as np

from minigluon.base import MXNetError, ShapeConflictError, TypeConflictError
from minigluon.ops.attr import Attr, WholeFloat, is_hidden_attribute  # noqa: F401 (Attr re-exported for operator files)

OPS = {}          # every registered name and alias -> Op subclass

# Sizes the default shape rule gives unknown (0) dimensions to see which output dimensions
# depend on them (see Op.infer_shape): two sizes, because a dimension that comes out the same for
# both does not depend on the unknown one; 12 and 24 because they divide by 2, 3, 4 and 6, so
# that reshapes and splits of an unknown axis into a few parts work; 1 to catch sizes that stop
# growing (a slice's end clamped to the axis) and ranks that depend on sizes (squeeze).
PROBE_SIZES = (12, 24, 1)


# A keyword and the name other operators (or other libraries: PyTorch's reductions and softmax)
# give the same setting: ``dim`` is ``axis`` in MXNet 1.9.1's reductions, but ``dim`` in its
# ``concat``; MXNet refuses the other name too (tests/fixtures/other_frameworks)
_SAME_SETTING = {'dim': 'axis', 'axis': 'dim', 'keepdim': 'keepdims'}


def _unexpected_attribute_message(cls, key):
    """The error for an attribute ``key`` that operator class ``cls`` does not declare: its
    attributes and inputs, and its own name for the setting ``key`` names elsewhere (``dim`` ->
    ``axis``)."""
    inputs = ('any number of arrays, given separately' if cls.arguments is None
              else tuple(cls.arguments))
    message = '%s got an unexpected attribute %r; its attributes are %s and its inputs %s' % (
        cls.name, key, sorted(cls.attrs), inputs)
    instead = _SAME_SETTING.get(key)
    if instead in cls.attrs:
        message += ' (%s calls it %s: write %s=...)' % (cls.name, instead, instead)
    return message


# ---------------------------------------------------------------------------------------------------
# The operator base class


class Op:
    """Base of every operator; see the module docstring for what a subclass declares.

    ``Op(**attributes)`` parses each attribute with its :class:`Attr` (a Python value or MXNet's
    string form), sets every attribute (given or default) as an instance field, keeps the parsed
    given ones in ``given`` and runs :meth:`check_attrs`; TypeError for an unknown or missing
    attribute, ValueError for a bad value. :meth:`_fast` makes an instance from already-parsed
    values without any of this (the graph executor, ``x + 1``, the cached prototypes of
    ``nd.<name>``).

    Besides its attributes, the machinery that runs an operator may set on an instance:

    * ``needs_input_grad`` (one bool per input, True where someone reads that input's
      gradient): set by autograd before ``backward`` (and before ``forward`` where
      ``needs_grad_hint`` asks for it) and by the graph executor, so that a backward can skip
      (return ``None`` for) the gradients nobody reads; absent means all are needed;
    * ``view`` (see the class attribute): set True on the instance by
      ``call_op(..., _view=True)`` for an NDArray method whose result may be a view
      (``x.reshape``);
    * ``graph_inference``: see below; ``static_workspace`` (a dict of buffers kept across calls),
      for operators declaring ``uses_workspace``, in a ``static_alloc`` graph;
      ``keep_argmax`` / ``strided_output_ok``: plan flags of max Pooling / Convolution
      (:mod:`minigluon.executor`);
    * ``_infer_outputs`` / ``_infer_dtypes``: what the graph's shape and type sweep already knows
      (:mod:`minigluon.symbol.infer`, read by :meth:`infer_shape` and :meth:`infer_type`).
    """

    name = None
    aliases = ()
    arguments = ('data',)
    # How many leading positional places of the ``nd`` / ``sym`` function are input slots, as in
    # MXNet 1.9.1's generated functions (``softmax(data, length, axis, ...)``: a number second is
    # the ``length`` input, refused; :func:`minigluon.ops.binding.input_slots`); None: all of
    # ``arguments``. Smaller for the operators whose MXNet signature lists fewer inputs
    # (``log_softmax(x, 0)``: 0 is the axis there, minigluon's ``length`` by keyword only).
    positional_inputs = None
    attrs = {}
    num_outputs = 1
    num_visible_outputs = None     # None: all outputs are visible
    mutate_inputs = ()             # indices of auxiliary-state inputs written by forward
    # False: no gradient, so no tape node; the outputs take invoke's zero path (argmax,
    # comparisons: a backward through them sends zeros, as in MXNet 1.9.1)
    differentiable = True
    # True: a recorded eager call sets ``op.needs_input_grad`` before the forward too (a CachedOp
    # does so when it records), for operators whose forward can prepare the backward's work
    # (max Pooling)
    needs_grad_hint = False
    # True while the operator runs in a CachedOp call (a hybridized block, a SymbolBlock) outside
    # ``autograd.record()``: MXNet 1.9.1 runs such a graph for inference, where BatchNorm leaves
    # the gamma it fixes at 1 unwritten (set per call by :class:`~minigluon.executor.CachedOp`)
    graph_inference = False
    # The inputs (positions) whose dtypes make the output's, as NumPy's ``result_type`` of them,
    # once all are known (matrix products and convolutions, whose NumPy forms compute in that
    # dtype: float32 data with a float64 weight gives float64); None: the element-wise rule of
    # :meth:`infer_type`
    dtype_from_inputs = None
    # True: output 0 has the shape of input 0 (element-wise maths), so shape inference also
    # completes input 0 from a known output, as MXNet's ElemwiseShape does
    same_shape = False
    # True: the result may share memory with an input (``x.reshape``, basic ``x[1:3]``, which are
    # views in MXNet); otherwise :func:`~minigluon.ndarray.dispatch.invoke` copies a result that
    # NumPy made a view of an input (``nd.flatten(x)``, ``nd.split``), as MXNet's operators write
    # new arrays
    view = False
    # Whether MXNet 1.9.1 registers names for the operator's inputs / outputs (nnvm's
    # FListInputNames / FListOutputNames, invisible from Python): its op hook
    # (``HybridBlock.register_op_hook``) then reports an input as ``<node>_<input name>`` and an
    # output as ``<node>_<output name>``, else as ``<node>_input<i>`` and ``<node>_<i>``.
    # True, False, or a tuple of the MXNet operator names (among those this class serves) that
    # do: ``elemwise_add`` names its output, ``broadcast_add`` does not. Measured for every
    # operator MXNet has (tests/fixtures/op_hook, tools/gen_op_hook_fixtures.py); see
    # :func:`minigluon.symbol.graph.hook_names`.
    mxnet_input_names = False
    mxnet_output_names = False

    def __init__(self, **kwargs):
        """Parse and check the attributes ``kwargs`` (see the class docstring)."""
        cls = type(self)
        given = {}
        for key, value in kwargs.items():
            spec = cls.attrs.get(key)
            if spec is None:
                if is_hidden_attribute(key):
                    # MXNet's hidden attributes (``__layout__``, which every recurrent cell's
                    # ``begin_state`` passes to its ``func``: ``nd.random.uniform`` too) are
                    # accepted by every MXNet 1.9.1 operator and change nothing
                    continue
                if not cls.attrs:
                    # an operator without attributes ignores the ones it is given, as MXNet 1.9.1's
                    # operators without a parameter parser do (gluon-ts's mixtures call
                    # F.broadcast_mul(a, b, axis=-1)); one with attributes refuses unknown names
                    continue
                raise TypeError(_unexpected_attribute_message(cls, key))
            given[key] = spec.parse(value, cls.name)
        for key, spec in cls.attrs.items():
            if key in given:
                value = given[key]
                # Compute with a plain float: CuPy refuses float subclasses as ufunc operands
                # (TypeError 'Unsupported type'); ``given`` keeps the WholeFloat for export.
                setattr(self, key, float(value) if type(value) is WholeFloat else value)
            elif spec.required:
                raise TypeError("%s: required attribute '%s' is missing" % (cls.name, key))
            else:
                setattr(self, key, spec.default)
        self.given = given     # the attributes the caller set: what export writes, as MXNet does
        self.check_attrs()

    @classmethod
    def _fast(cls, values, given):
        """Build an instance from already-parsed attributes, skipping :meth:`__init__`'s parsing
        and checks: ``values`` becomes the instance's fields, ``given`` what export writes. For
        the hot paths whose attributes are known to be valid: the graph executor's steps (state
        parsed once per graph) and the Python operators of ``NDArray`` (``x + 1``)."""
        self = cls.__new__(cls)
        self.__dict__.update(values)
        self.given = given
        return self

    def attr_values(self):
        """All attribute values (given or default) as a dict."""
        return {k: getattr(self, k) for k in type(self).attrs}

    def check_attrs(self):
        """Hook for cross-attribute validation; raise ValueError naming the attribute."""

    @classmethod
    def mxnet_names(cls, which, op_name):
        """Whether MXNet registers names for the ``which`` (``'input'`` or ``'output'``) of the
        operator ``op_name`` that this class serves (see ``mxnet_input_names``)."""
        declared = cls.mxnet_input_names if which == 'input' else cls.mxnet_output_names
        return op_name in declared if isinstance(declared, tuple) else bool(declared)

    def list_arguments(self):
        """Names of the array inputs for these attributes (variadic ops: ``arg0, arg1, ...``)."""
        if self.arguments is None:
            return ['arg%d' % i for i in range(getattr(self, 'num_args', 0))]
        return list(self.arguments)

    @property
    def n_visible(self):
        """How many outputs a call returns (``num_visible_outputs``, else ``num_outputs``)."""
        return self.num_outputs if self.num_visible_outputs is None else self.num_visible_outputs

    def list_outputs(self):
        """Output names; MXNet calls a single output ``output``."""
        if self.num_outputs == 1:
            return ['output']
        return ['output%d' % i for i in range(self.num_outputs)]

    def attrs_to_strings(self, only_given=True):
        """The attributes as MXNet strings (sorted keys), as written into ``-symbol.json``."""
        cls = type(self)
        src = self.given if only_given else self.attr_values()
        return {k: cls.attrs[k].to_str(v) for k, v in sorted(src.items())}

    # -- maths --------------------------------------------------------------------------------------
    def forward(self, xp, *inputs):
        """The outputs for raw ``inputs`` (arrays of the module ``xp``, ordered as
        :meth:`list_arguments`): one array, or a tuple of ``num_outputs`` arrays. It may keep
        on ``self`` what :meth:`backward` needs."""
        raise NotImplementedError('%s.forward' % type(self).__name__)

    def backward(self, xp, *grad_outputs):
        """The gradients of the inputs given one gradient per output (each the shape and dtype
        of that output; zeros for an output nobody used), after :meth:`forward` on this same
        instance: a tuple of one array (or ``None``: no gradient) per input."""
        hint = ''
        if not type(self).__module__.startswith('minigluon.'):    # a user's operator: the recipe
            hint = ('; its class %s defines no backward(self, xp, *grad_outputs) returning one '
                    'gradient per input, or set differentiable = False for an operator through '
                    'which no gradient flows' % type(self).__name__)
        raise MXNetError('operator %s has no gradient%s' % (self.name, hint))

    # -- shape and dtype rules ----------------------------------------------------------------------
    def infer_shape(self, in_shapes):
        """Complete unknown input shapes and return ``(in_shapes, out_shapes)``.

        ``in_shapes`` holds a tuple per input, or ``None`` where unknown; ``0`` marks an unknown
        dimension (MXNet 1.x legacy convention). The default needs every input's rank and reads
        the output shapes off :meth:`output_shapes`. Where some dimensions are unknown it runs
        that with each unknown dimension set to every size in ``PROBE_SIZES`` (the same size for
        all of them, so dimensions that must agree do); an output dimension is known when every
        run gives it the same size, else it is ``0``. The sizes 12 and 24 must both work; size 1
        is tried too and, where the operator accepts it, catches a size that stops growing
        (``slice`` clamps its end to the axis length) or a rank that depends on the size
        (``squeeze``). With ``same_shape``, input 0 first takes the dimensions it lacks from a
        known output 0 (set by the graph sweep in ``_infer_outputs``), and a one-input
        ``same_shape`` operator's output is its input's shape without any run. Operators with
        parameter inputs override this so that weights can take their shape from the data.

        Each run of :meth:`output_shapes` is a forward pass: inference costs about one forward
        pass per run, on arrays of the graph's sizes.
        """
        in_shapes = list(in_shapes)
        if self.same_shape and in_shapes:
            outs = getattr(self, '_infer_outputs', None) or [None]
            in_shapes[0] = fill_unknown(in_shapes[0], outs[0])
        unknown = [n for n, s in zip(self.list_arguments(), in_shapes) if s is None]
        if unknown:
            raise MXNetError('%s: cannot infer the shape of input(s) %s from the other inputs'
                             % (self.name, unknown))
        in_shapes = [tuple(int(d) for d in s) for s in in_shapes]
        if self.same_shape and len(in_shapes) == 1 and self.num_outputs == 1:
            return in_shapes, [in_shapes[0]]     # element-wise: no pass over (large) zeros needed
        if not any(0 in s for s in in_shapes):
            return in_shapes, self.output_shapes(in_shapes)
        runs = []
        for size in PROBE_SIZES:
            probe = [tuple(d or size for d in s) for s in in_shapes]
            try:
                runs.append(self.output_shapes(probe))
            except Exception as err:   # noqa: BLE001 - any refusal means "not from these inputs"
                if size != 1:
                    raise MXNetError('%s: cannot infer the output shape from partly known input '
                                     'shapes %s (with unknown dimensions set to %d: %s)'
                                     % (self.name, in_shapes, size, err)) from None
        if len({tuple(len(s) for s in run) for run in runs}) != 1:
            raise MXNetError('%s: the output rank depends on the unknown dimensions of %s'
                             % (self.name, in_shapes))
        return in_shapes, [tuple(d[0] if len(set(d)) == 1 else 0 for d in zip(*outs))
                           for outs in zip(*runs)]

    def output_shapes(self, in_shapes):
        """The output shapes for complete input shapes: a forward pass on zeros (in the dtypes
        the graph sweep set in ``_infer_dtypes``). Override where zeros are not valid data."""
        dtypes = getattr(self, '_infer_dtypes', None) or [np.float32] * len(in_shapes)
        dummy = [np.zeros(s, dtype=d) for s, d in zip(in_shapes, dtypes)]
        with np.errstate(all='ignore'):       # log(0) and the like: only the shapes matter
            outs = self.forward(np, *dummy)
        outs = outs if isinstance(outs, (tuple, list)) else (outs,)
        return [tuple(o.shape) for o in outs]

    def infer_type(self, in_types):
        """Complete unknown input dtypes and return ``(in_types, out_types)`` (NumPy dtypes).

        Default (MXNet's element-wise type rule): unknown inputs and the outputs take the first
        known input dtype, else the first known output dtype (set by the graph sweep in
        ``_infer_outputs``), else stay unknown until a later sweep learns one; an operator
        without inputs gives float32. With ``dtype_from_inputs``, once those inputs' dtypes are
        known (given, or completed by that rule), the output has their ``result_type`` (what the
        forward computes in).
        """
        outs = getattr(self, '_infer_outputs', None) or []
        known = next((t for t in list(in_types) + list(outs) if t is not None),
                     None if in_types else np.dtype(np.float32))
        in_types = [known if t is None else t for t in in_types]
        # from the completed inputs: float32 data, an unknown weight (float32 now) and a float64
        # bias compute in float64
        given = [in_types[i] for i in self.dtype_from_inputs or () if i < len(in_types)]
        out = known
        if given and all(t is not None for t in given):
            out = np.result_type(*given)
        return in_types, [out] * self.num_outputs

    def __repr__(self):
        return '%s(%s)' % (self.name, ', '.join('%s=%r' % kv for kv in sorted(self.given.items())))


def register(cls):
    """Class decorator: register an :class:`Op` subclass under its name and aliases.

    Works the same for minigluon's operators and for a user's, in a module of their own (see
    "Writing an operator" in this module's docstring): once ``minigluon`` is imported, each
    registration also adds ``nd.<name>``, ``sym.<name>`` (so ``F.<name>`` in ``hybrid_forward``),
    the NDArray method and the ``contrib`` / ``linalg`` / ``image`` / ``_internal`` / ``op``
    entries for every name and alias (the functions in :data:`REGISTRATION_HOOKS`).

    Raises
    ------
    TypeError
        ``cls`` is not an :class:`Op` subclass, its ``name`` is not a non-empty string, its
        ``aliases`` or ``arguments`` not a tuple of strings, or an ``attrs`` value not an
        :class:`Attr` (:func:`_check_registrable`); nothing is registered then.
    ValueError
        A name or alias is already registered to another class, or is already something else in
        the ``nd`` / ``sym`` namespaces (``nd.zeros``, ``sym.var``: :data:`NAME_CHECKS`).
    """
    _check_registrable(cls)
    names = (cls.name,) + tuple(cls.aliases)
    for n in names:
        if n in OPS and OPS[n] is not cls:
            raise ValueError('operator name %r is registered twice (%s and %s); pick another name '
                             '(a class defined again, as by running a notebook cell twice, needs '
                             'a new name or a fresh process)' % (n, OPS[n].__name__, cls.__name__))
    for n in names:
        where = None if n in OPS else next(filter(None, (check(n) for check in NAME_CHECKS)), None)
        if where:
            raise ValueError('operator name %r is taken: %s is already something else in minigluon, '
                             'so it would not call this operator; pick another name' % (n, where))
    for key, spec in cls.attrs.items():
        if spec.name not in (None, key):     # one Attr object under two names: give this one its own
            spec = cls.attrs[key] = copy.copy(spec)
        spec.name = key
    for n in names:
        OPS[n] = cls
    for hook in REGISTRATION_HOOKS:
        hook()
    return cls


def _check_registrable(cls):
    """Raise a TypeError unless ``cls`` can be registered: an :class:`Op` subclass whose ``name``
    is a non-empty string, ``aliases`` a tuple of them (a bare string would register each of its
    letters), ``arguments`` None or a tuple of strings, and ``attrs`` a dict of :class:`Attr`.
    Checked before anything is registered, so that a refused class leaves the registry and the
    ``nd`` / ``sym`` namespaces as they were."""
    if not (isinstance(cls, type) and issubclass(cls, Op)):
        raise TypeError('register: expected a subclass of minigluon.ops.Op, got %r' % (cls,))
    if not cls.name:
        raise TypeError('operator class %s has no name: set name = \'<MXNet operator name>\' '
                        'in the class body' % cls.__name__)
    if not isinstance(cls.name, str):
        raise TypeError('operator class %s: name must be a string, got %r' % (cls.__name__, cls.name))
    for field in ('aliases', 'arguments'):
        value = getattr(cls, field)
        if field == 'arguments' and value is None:
            continue
        if not isinstance(value, (tuple, list)) or not all(isinstance(v, str) and v for v in value):
            raise TypeError("%s: %s must be a tuple of names, e.g. ('%s',), got %r"
                            % (cls.name, field, value if isinstance(value, str) else 'data', value))
    if not isinstance(cls.attrs, dict):
        raise TypeError('%s: attrs must be a dict of Attr, got %r' % (cls.name, cls.attrs))
    for key, spec in cls.attrs.items():
        if not isinstance(spec, Attr):
            raise TypeError("%s: attrs[%r] must be an Attr (e.g. Attr('float', %r)), got %r"
                            % (cls.name, key, spec, spec))


# Functions run after each registration; ``minigluon/__init__.py`` adds ``nd.refresh`` and
# ``sym.refresh`` once the package is imported, so an operator registered later (a user's) gets its
# ``nd`` and ``sym`` functions at once. (The package's own operators are registered before the
# namespaces exist, which then make all their functions in one pass.)
REGISTRATION_HOOKS = []
# Functions asked, before a registration, about each new name: one returns where the name is
# already used for something else (``'nd.zeros'``), which refuses it; ``minigluon/__init__.py``
# adds ``nd._taken_name`` and ``sym._taken_name`` beside the hooks above.
NAME_CHECKS = []


def refresh_namespace(module):
    """Add to an operator namespace (the module ``minigluon.ndarray`` or ``minigluon.symbol``)
    the functions of operators registered since it was made: its own ``<name>`` functions (its
    ``_populate``), those of its ``contrib``, ``linalg``, ``image`` and ``_internal`` submodules
    (each one's ``refresh``) and of its ``op`` module. ``nd.refresh`` and ``sym.refresh`` call it."""
    module._populate(vars(module))
    for sub in ('contrib', 'linalg', 'image', '_internal'):
        getattr(module, sub).refresh()
    module.op._fill()


def get_op(name):
    """Look up an operator class by MXNet name or alias; the error names the closest matches."""
    try:
        return OPS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(OPS), n=5)
        raise MXNetError('unknown operator %r%s' % (
            name, '; did you mean %s?' % ', '.join(close) if close else '')) from None


# ---------------------------------------------------------------------------------------------------
# Helpers shared by operator files


def check_given_shapes(op, in_shapes, wanted):
    """Raise ``ShapeConflictError`` naming the input when a given (non-None) input shape
    contradicts the shape ``op``'s rule wants for it: another rank, or a size that differs where
    both are known (0 is an unknown size on either side). Used by the rules that infer parameter
    shapes from the data (FullyConnected, Convolution, RNN), so that a wrong weight shape is
    reported even while other sizes are unknown, as MXNet does ("Shape inconsistent")."""
    for name, got, want in zip(op.list_arguments(), in_shapes, wanted):
        if got is None or want is None:
            continue
        if len(got) != len(want) or any(g and w and g != w for g, w in zip(got, want)):
            raise ShapeConflictError('%s: input %s has shape %s, expected %s'
                                     % (op.name, name, tuple(got), tuple(want)))


def fill_unknown(shape, other):
    """``shape`` with its unknown (0) dimensions taken from ``other`` when both have the same
    rank; ``other`` when ``shape`` is None (wholly unknown)."""
    if shape is None or other is None:
        return other if shape is None else shape
    if len(shape) != len(other):
        return shape
    return tuple(d or o for d, o in zip(shape, other))


def unbroadcast(xp, grad, shape):
    """Sum ``grad`` down to ``shape`` (the gradient of NumPy broadcasting)."""
    if grad.shape == tuple(shape):
        return grad
    ndiff = grad.ndim - len(shape)
    if ndiff:
        grad = grad.sum(axis=tuple(range(ndiff)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def normalize_axis(axis, ndim, op_name, arg='axis'):
    """Map a possibly negative axis into ``[0, ndim)``; raise ValueError naming the operator (a
    0-d array has no axis)."""
    if not -ndim <= axis < ndim:
        raise ValueError('%s: %s=%d is out of range for an input of %d dimensions'
                         % (op_name, arg, axis, ndim))
    return axis % ndim


def normalize_axes(axes, ndim, op_name, arg='axis'):
    """:func:`normalize_axis` of each axis in ``axes``, as a tuple in the given order; raise
    ValueError naming the operator when one repeats (MXNet 1.9.1 refuses ``axis=(1, 1)``)."""
    norm = tuple(normalize_axis(a, ndim, op_name, arg) for a in axes)
    if len(set(norm)) != len(norm):
        raise ValueError('%s: %s=%s contains a repeated axis' % (op_name, arg, tuple(axes)))
    return norm


def require_float(op, array, arg='data'):
    """Raise a TypeError naming ``op`` unless ``array`` is float16, float32 or float64.

    For operators that MXNet 1.9.1 only runs on floating data (softmax, Activation, Dropout...):
    on an integer array they would silently truncate every result (a softmax of zeros).
    """
    if array.dtype.kind != 'f':
        raise TypeError("%s: %s must be a floating-point array (float16, float32 or float64), got "
                        "%s; convert it first, e.g. x.astype('float32')" % (op.name, arg, array.dtype))


def compute_dtype(dtype):
    """The dtype a kernel computes in for inputs of ``dtype``: float16 is computed in float32 and
    rounded once at the end (NumPy has no float16 BLAS, and float16 sums lose digits), every
    other dtype in itself. Used by Correlation, the deformable convolutions, (Deformable)
    PSROIPooling, GridGenerator and BilinearSampler."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def require_float_type(op, dtype, arg='data'):
    """The type-rule form of :func:`require_float`: raise :class:`TypeConflictError` naming
    ``op`` unless the known dtype ``dtype`` is floating, for operators whose MXNet 1.9.1 type
    rule refuses other dtypes (BatchNorm, InstanceNorm)."""
    if np.dtype(dtype).kind != 'f':
        raise TypeConflictError('%s: %s must be floating-point (float16, float32 or float64), got '
                                '%s' % (op.name, arg, np.dtype(dtype)))


def shape_error(op, message, *arrays):
    """A ValueError naming the operator, the problem and every input's shape and dtype."""
    desc = ', '.join('%s%s %s' % (name, tuple(a.shape), a.dtype)
                     for name, a in zip(op.list_arguments(), arrays) if a is not None)
    return ValueError('%s: %s (inputs: %s)' % (op.name, message, desc))
