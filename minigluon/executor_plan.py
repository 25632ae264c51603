"""The execution plan of a :class:`minigluon.executor.CachedOp`: its steps, and three rewrites.

Terms (the executor's module docstring has the whole picture):

* a **plan** is a list of :class:`_Step`, one per operator node of the Symbol graph, in the
  graph's topological order (variables make no step: they are the call's inputs);
* a **slot** is an index into the list of raw arrays a call fills: slots ``0 .. num_inputs-1``
  hold the graph inputs (in ``Symbol.list_inputs()`` order), then each step's visible outputs
  take the next slots in plan order;
* a step's **free list** names the slots it reads for the last time (graph inputs and outputs
  excepted), so a call drops those arrays as soon as the step ran.

:func:`make_plan` builds the plan node by node from the Symbol (what ``CachedOp._plan`` holds);
:func:`_optimise` returns a copy with these rewrites (``CachedOp._exec_plan``, what a call runs):

* ``Activation(relu) -> Pooling(max)`` runs as ``Pooling(max) -> relu``: ``max`` and ``relu``
  commute exactly (``max_i relu(x_i) = relu(max_i x_i)``), the gradient reaches the same first
  maximum of each window (or is zero in both orders), and the relu touches a pooled array
  ``prod(kernel)`` times smaller. Not done when the pooling's geometry allows a window lying wholly
  in the padding (e.g. ``pooling_convention='full'`` with ``stride + pad > kernel``): such a
  window gives the lowest float, which the moved relu would turn into 0. Values are eager's bit
  for bit; where windows overlap (stride below kernel, global pooling included) a gradient
  element that is zero or NaN may carry the other sign bit, as eager masks the gradient summed
  over the windows and the plan masks each window's share before the sum.
* a relu whose input is the fresh single output of a Convolution, FullyConnected or Pooling (of
  any pool type) that nothing else reads runs in place on that array (:class:`_ReluInPlace`: no
  new output array, which on CPU also means no new pages to fault in), and its backward masks
  the gradient with ``output > 0``.
* a max Pooling followed by such an in-place relu becomes one step (:class:`_MaxPoolRelu`): the
  pass that finds each window's winner also applies the relu and marks the windows it zeroes, so
  in captcha's model (Conv -> relu -> max pool, twice) neither relu nor its backward makes a pass
  of its own (the hybridized training step with two CPU workers ~44 -> ~41 ms).
* a Convolution whose only reader is such a step with 2x2 windows of stride 2 (no padding,
  'valid', one group, 2-D, channel-first) joins it
  (:class:`~minigluon.ops._conv_pool_relu.ConvMaxPoolRelu`): on NumPy float32/float64 each
  image's convolution output is made into a small scratch that stays in the cache and pooled at
  once, so the whole convolution output is never written and read back; the backward scatters
  each image's gradient into such a scratch. Values and gradients are the two steps' bit for bit;
  on CuPy and for other dtypes the step runs the two operators unchanged. captcha's training
  step, in-process A/B against the plan without it, 1 CPU worker: ~2 ms less (57 -> 55 ms).

It also marks a Convolution read only by a Pooling (``layout_free``: it may return a strided view)
and max Poolings that may keep their winning positions (``argmax_ok``), and computes the free
lists again. The Symbol, hence ``export``, is never changed.
"""
import numpy as np

from minigluon.base import MXNetError
# (imported here, not where the plan uses it: the profiler times the classes of this module)
from minigluon.ops._conv_pool_relu import ConvMaxPoolRelu, fusable
from minigluon.ops.pooling import Pooling, _window_reduce
from minigluon.ops.registry import Op


class _Step:
    """One step of a plan: the operator node to run, where it reads and writes.

    ``cls`` is the operator class and ``state`` its parsed attributes (the node's ``state``: what
    ``cls._fast(state, given)`` turns into a fresh instance for each call, without parsing);
    ``given`` the attributes the graph set (``state['given']``); ``name`` the node's name (for
    errors and op hooks) and ``op_name`` its operator as the graph's JSON names it (``broadcast_add``
    for a node of the class that also runs ``elemwise_add``; what op hooks report; None in the
    rewritten steps of an execution plan), ``hook_names`` the names op hooks give its inputs
    and visible outputs (:func:`~minigluon.symbol.graph.hook_names`; None there too). ``ins``
    is a tuple of the slots it reads, one per operator input, ``outs`` the slots of its visible outputs, ``multi`` whether it has several visible outputs
    (``forward`` then returns a tuple), ``free`` the slots read for the last time here.
    ``layout_free`` and ``argmax_ok`` are the plan flags of the module docstring.
    """

    __slots__ = ('cls', 'state', 'given', 'ins', 'outs', 'free', 'multi', 'name', 'layout_free',
                 'argmax_ok', 'op_name', 'hook_names')

    def __init__(self, cls, state, name, multi, ins, outs, free=(), op_name=None, hook_names=None):
        self.cls = cls
        self.state = state
        self.given = state['given']
        self.ins = ins
        self.outs = outs
        self.free = free
        self.multi = multi
        self.name = name
        self.op_name = op_name
        self.hook_names = hook_names
        self.layout_free = False    # the output may be any strided view (its only reader allows it)
        self.argmax_ok = False      # a max Pooling that may keep its winners for the backward


class _ReluInPlace(Op):
    """``Activation(act_type='relu')`` written over its input (used only inside a plan, when the
    input is a fresh array that no other step reads). Backward: ``grad * (output > 0)``, equal to
    eager's ``grad * (input > 0)``. float16 input is computed out of place, as eager does."""

    name = 'Activation'

    def forward(self, xp, data):
        if data.dtype.kind != 'f' or data.dtype == np.float16:
            from minigluon.ops.nn import Activation
            self.eager = Activation._fast({'act_type': 'relu'}, {'act_type': 'relu'})
            return self.eager.forward(xp, data)
        self.eager = None
        self.y = xp.maximum(data, 0, out=data)
        return self.y

    def backward(self, xp, grad):
        if self.eager is not None:
            return self.eager.backward(xp, grad)
        return ((grad * (self.y > 0)).astype(grad.dtype, copy=False),)


class _MaxPoolRelu(Pooling):
    """A max ``Pooling`` and the relu over its output as one step (used only inside a plan, when
    the relu is the pooling's only reader). When the pooling keeps its winning positions for the
    backward (``keep_argmax``), the relu is done in that same pass and windows it zeroes are
    marked there (:func:`minigluon.ops._pool_argmax.winning_positions`), so neither the relu nor
    its backward makes a pass of its own; otherwise the relu runs in place over the pooled array
    and the backward masks the gradient with the recomputed maxima ``> 0`` (not with the output,
    which the caller may have changed since). float16 runs eager's relu, which computes in float32
    (NumPy's float16 ``maximum(-0.0, 0)`` keeps ``-0.0``; eager's relu gives ``+0.0``). Either way
    the values and gradients are those of the two steps, bit for bit. The relu is applied in
    the channel-first domain of :meth:`Pooling._pool` / :meth:`Pooling._unpool`, so channel-last
    layouts are covered by the pooling's own axis moves."""

    def _pool(self, xp, data, given):
        self.fused_relu = data.dtype != np.float16
        y = super()._pool(xp, data, given)
        self.relu = None
        if not self.fused_relu:
            from minigluon.ops.nn import Activation
            self.relu = Activation._fast({'act_type': 'relu'}, {'act_type': 'relu'})
            return self.relu.forward(xp, y)
        if getattr(self, 'argpos', None) is None:        # the relu was not done in the pass
            xp.maximum(y, 0, out=y)
        return y

    def _unpool(self, xp, grad):
        if self.relu is not None:
            grad, = self.relu.backward(xp, grad)
        elif getattr(self, 'argpos', None) is None:
            # No kept winners (none were kept, or a first backward of a retained graph used them
            # up; the pooling then recomputes its maxima as well): the relu's mask from the maxima.
            k, s, _, _, out = self.geom
            best = _window_reduce(xp, self.xpad, k, s, out, xp.maximum)
            grad = (grad * (best > 0)).astype(grad.dtype, copy=False)
        return super()._unpool(xp, grad)


# Operators whose forward output is a fresh array that their own backward never reads.
_FRESH_OUTPUT = {'Convolution', 'FullyConnected', 'Pooling'}


def _is_relu(step):
    return step.cls.name == 'Activation' and step.state.get('act_type') == 'relu'


def _is_max_pool(step):
    return step.cls.name == 'Pooling' and step.state.get('pool_type') == 'max'


def _windows_touch_data(state):
    """True when every window of this Pooling holds at least one input element, whatever the
    input size. A window lying wholly in the padding gives the lowest float, which a relu after
    the pooling would turn into 0 (so relu and max pooling commute only without such windows).
    'valid' needs ``pad < kernel`` (the first window); 'full' also ``stride + pad <= kernel`` (its
    last window can start past the input); 'same' and global pooling never have one."""
    if state.get('global_pool') or state.get('pooling_convention') == 'same':
        return True
    kernel = state.get('kernel') or ()
    stride = state.get('stride') or (1,) * len(kernel)
    pad = state.get('pad') or (0,) * len(kernel)
    if state.get('pooling_convention') == 'full':
        return all(s + p <= k for k, s, p in zip(kernel, stride, pad))
    return all(p < k for k, p in zip(kernel, pad))


def make_plan(nodes, outputs):
    """The plan of a graph, node by node: ``(plan, slot_of)``.

    ``nodes`` are the graph's nodes in topological order (``Symbol._nodes()``), ``outputs`` its
    output entries ``(node, index)`` (``Symbol._outputs``). ``slot_of`` maps each entry
    ``(id(node), output index)`` to its slot: the variables first, in ``nodes`` order (so the
    graph inputs are slots ``0 .. num_inputs-1``), then the visible outputs of each step.
    The steps' free lists are left empty (the caller knows which slots to keep).

    Raises
    ------
    MXNetError
        When a node, or the graph, reads a hidden output of an operator (BatchNorm's saved
        mean): a call returns only the visible outputs, as :func:`~minigluon.ndarray.invoke`.
    """
    from minigluon.symbol.graph import hook_names     # (imports this module's importers)
    slot_of = {}
    for node in nodes:
        if node.is_variable:
            slot_of[(id(node), 0)] = len(slot_of)
    plan = []
    for node in nodes:
        if node.is_variable:
            continue
        for src, idx, _ in node.inputs:
            if not src.is_variable and idx >= src.num_visible:
                raise MXNetError("CachedOp: node '%s' reads hidden output %d of '%s' (%s), "
                                 'which is not supported' % (node.name, idx, src.name, src.op))
        ins = tuple(slot_of[(id(src), idx)] for src, idx, _ in node.inputs)
        outs = []
        for i in range(node.num_visible):
            slot_of[(id(node), i)] = len(slot_of)
            outs.append(slot_of[(id(node), i)])
        plan.append(_Step(node.cls, node.state, node.name, node.num_visible > 1, ins, tuple(outs),
                          op_name=node.op, hook_names=hook_names(node)))
    for node, idx in outputs:
        if not node.is_variable and idx >= node.num_visible:
            raise MXNetError("CachedOp: output %d of '%s' (%s) is hidden and cannot be a graph "
                             'output' % (idx, node.name, node.op))
    return plan, slot_of


def _free_lists(plan, keep):
    """Per step, the slots read for the last time there (except ``keep``)."""
    last_use = {}
    for i, step in enumerate(plan):
        for s in step.ins:
            last_use[s] = i
    frees = [[] for _ in plan]
    for s, i in last_use.items():
        if s not in keep:
            frees[i].append(s)
    return [tuple(f) for f in frees]


def set_free_lists(plan, keep):
    """Give each step of ``plan`` its free list; ``keep``: the slots never freed (the graph's
    inputs and outputs)."""
    for step, free in zip(plan, _free_lists(plan, keep)):
        step.free = free


def _only_reader_finder(plan, keep):
    """A function ``only_reader(slot)``: the index of the one step of ``plan`` that reads
    ``slot``, or None when several steps or none read it, or it is kept (a graph output)."""
    readers = {}
    for i, step in enumerate(plan):
        for s in step.ins:
            readers.setdefault(s, []).append(i)

    def only_reader(slot):
        r = readers.get(slot, ())
        return r[0] if len(r) == 1 and slot not in keep else None
    return only_reader


def _optimise(plan, keep):
    """The execution plan with the rewrites of the module docstring; ``plan`` is not changed."""
    plan = [_Step(s.cls, s.state, s.name, s.multi, s.ins, s.outs) for s in plan]
    # (the first rewrite keeps every slot's readers where they were, so both share one index)
    only_reader = _only_reader_finder(plan, keep)
    _move_relus_after_max_pools(plan, only_reader)
    plan = _relus_in_place(plan, only_reader)
    plan = _fuse_conv_max_pool_relu(plan, _only_reader_finder(plan, keep))   # (indices moved)
    _mark_plan_flags(plan, _only_reader_finder(plan, keep))
    set_free_lists(plan, keep)
    return plan


def _move_relus_after_max_pools(plan, only_reader):
    """``relu -> max pool`` becomes ``max pool -> relu`` in place (same steps, same slots read
    and written by the steps at each position: ``only_reader`` stays true)."""
    for i, step in enumerate(plan):
        j = only_reader(step.outs[0]) if _is_relu(step) else None
        if (j is not None and _is_max_pool(plan[j]) and len(plan[j].ins) == 1
                and _windows_touch_data(plan[j].state)):
            pool = plan[j]
            (src,), (mid,), (dst,) = step.ins, step.outs, pool.outs
            plan[i] = _Step(pool.cls, pool.state, pool.name, False, (src,), (mid,))
            plan[j] = _Step(step.cls, step.state, step.name, False, (mid,), (dst,))


def _relus_in_place(plan, only_reader):
    """The plan with each relu over a fresh array read by nothing else made a
    :class:`_ReluInPlace`, and a max pool followed by such a relu made one :class:`_MaxPoolRelu`
    step (the relu's step removed)."""
    producer = {s: step for step in plan for s in step.outs}
    for i, step in enumerate(plan):
        if _is_relu(step):
            src = step.ins[0]
            prod = producer.get(src)
            if (prod is not None and not prod.multi and prod.cls.name in _FRESH_OUTPUT
                    and only_reader(src) == i):
                plan[i] = _Step(_ReluInPlace, {'given': step.given}, step.name, False, step.ins, step.outs)
                if _is_max_pool(prod):                # max pool + relu: one step
                    j = plan.index(prod)
                    plan[j] = _Step(_MaxPoolRelu, prod.state, prod.name, False, prod.ins, step.outs)
                    plan[i] = None
    return [step for step in plan if step is not None]


def _fuse_conv_max_pool_relu(plan, only_reader):
    """The plan with each Convolution whose only reader is a 2x2 stride-2 :class:`_MaxPoolRelu`
    made one :class:`~minigluon.ops._conv_pool_relu.ConvMaxPoolRelu` step with it (the pooling's
    step removed; see :func:`minigluon.ops._conv_pool_relu.fusable` for the attributes)."""
    for i, step in enumerate(plan):
        if step is None or step.cls.name != 'Convolution' or step.multi or step.cls is ConvMaxPoolRelu:
            continue
        j = only_reader(step.outs[0])
        pool = plan[j] if j is not None else None
        if pool is None or pool.cls is not _MaxPoolRelu or pool.ins != step.outs \
                or not fusable(step.state, pool.state):
            continue
        state = {'given': step.given, 'conv_state': step.state, 'pool_state': pool.state}
        plan[i] = _Step(ConvMaxPoolRelu, state, step.name, False, step.ins, pool.outs)
        plan[j] = None
    return [step for step in plan if step is not None]


def _mark_plan_flags(plan, only_reader):
    """Set ``layout_free`` on each Convolution read only by a Pooling (it may return any strided
    view) and ``argmax_ok`` on each max Pooling (it may keep its winners for the backward)."""
    for step in plan:
        if step.cls.name == 'Convolution' and not step.multi:
            j = only_reader(step.outs[0])
            if j is not None and plan[j].cls.name == 'Pooling':
                step.layout_free = True
        if _is_max_pool(step) and len(step.ins) == 1:
            step.argmax_ok = True
