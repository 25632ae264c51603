"""The execution plan of a :class:`minigluon.executor.CachedOp`: its steps and three rewrites.

A plan is a list of :class:`_Step` (an operator class, its parsed attributes, the slots it reads
and writes, the slots freed after it). :func:`_optimise` returns a copy with these rewrites:

* ``Activation(relu) -> Pooling(max)`` runs as ``Pooling(max) -> relu``: ``max`` and ``relu``
  commute exactly (``max_i relu(x_i) = relu(max_i x_i)``), the gradient reaches the same first
  maximum of each window (or is zero in both orders), and the relu touches a pooled array
  ``prod(kernel)`` times smaller. Not done when the pooling's geometry allows a window lying wholly
  in the padding (e.g. ``pooling_convention='full'`` with ``stride + pad > kernel``): such a
  window gives the lowest float, which the moved relu would turn into 0. Values are eager's bit
  for bit; where windows overlap (stride below kernel, global pooling included) a gradient
  element that is zero or NaN may carry the other sign bit, as eager masks the gradient summed
  over the windows and the plan masks each window's share before the sum.
* a relu whose input is the fresh output of a Convolution, FullyConnected or max Pooling that
  nothing else reads runs in place on that array (no new output array, which on CPU also means no
  new pages to fault in), and its backward masks the gradient with ``output > 0``.
* a max Pooling followed by such an in-place relu becomes one step (:class:`_MaxPoolRelu`): the
  pass that finds each window's winner also applies the relu and marks the windows it zeroes, so
  in captcha's model (Conv -> relu -> max pool, twice) neither relu nor its backward makes a pass
  of its own (the hybridized training step with two CPU workers ~44 -> ~41 ms).

It also marks a Convolution read only by a Pooling (``layout_free``: it may return a strided view)
and max Poolings that may keep their winning positions (``argmax_ok``), and computes the free lists.
"""
import numpy as np

from minigluon.ops.pooling import Pooling, _window_reduce
from minigluon.ops.registry import Op


class _Step:
    __slots__ = ('cls', 'state', 'given', 'ins', 'outs', 'free', 'multi', 'name', 'layout_free',
                 'argmax_ok')

    def __init__(self, cls, state, name, multi, ins, outs, free=()):
        self.cls = cls
        self.state = state
        self.given = state['given']
        self.ins = ins
        self.outs = outs
        self.free = free
        self.multi = multi
        self.name = name
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


def _optimise(plan, keep):
    """The execution plan with the rewrites of the module docstring; ``plan`` is not changed."""
    plan = [_Step(s.cls, s.state, s.name, s.multi, s.ins, s.outs) for s in plan]
    readers = {}

    def index_readers():
        readers.clear()
        for i, step in enumerate(plan):
            for s in step.ins:
                readers.setdefault(s, []).append(i)
    index_readers()

    def only_reader(slot):
        r = readers.get(slot, ())
        return r[0] if len(r) == 1 and slot not in keep else None

    for i, step in enumerate(plan):              # relu -> max pool  ==>  max pool -> relu
        j = only_reader(step.outs[0]) if _is_relu(step) else None
        if (j is not None and _is_max_pool(plan[j]) and len(plan[j].ins) == 1
                and _windows_touch_data(plan[j].state)):
            pool = plan[j]
            (src,), (mid,), (dst,) = step.ins, step.outs, pool.outs
            plan[i] = _Step(pool.cls, pool.state, pool.name, False, (src,), (mid,))
            plan[j] = _Step(step.cls, step.state, step.name, False, (mid,), (dst,))
    producer = {s: step for step in plan for s in step.outs}
    for i, step in enumerate(plan):              # relu over a fresh array read by nothing else
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
    plan[:] = [step for step in plan if step is not None]
    index_readers()                              # steps were removed: indices moved
    for step in plan:        # Convolution read only by Pooling: any layout; max Pooling: may keep argmax
        if step.cls.name == 'Convolution' and not step.multi:
            j = only_reader(step.outs[0])
            if j is not None and plan[j].cls.name == 'Pooling':
                step.layout_free = True
        if _is_max_pool(step) and len(step.ins) == 1:
            step.argmax_ok = True
    for step, free in zip(plan, _free_lists(plan, keep)):
        step.free = free
    return plan
