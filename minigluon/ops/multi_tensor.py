"""MXNet's fused multi-tensor operators: one call over a list of tensors (MXNet 1.9.1
``src/operator/contrib/multi_sum_sq.cc``, ``reset_arrays.cc``, ``multi_lars.cc``,
``optimizer_op.cc``, ``preloaded_multi_sgd.cc``, ``adamw.cc``, ``multi_lamb.cc`` and
``contrib/optimizer_op.cc``).

* ``multi_sum_sq(*arrays, num_arrays)``: the float32 sums of squares, shape ``(num_arrays,)``;
* ``reset_arrays(*arrays, num_arrays)``: sets every array to 0 in place, no output;
* ``multi_lars(lrs, weights_sum_sq, grads_sum_sq, wds, eta, eps, rescale_grad=1)``: LARS rates;
* the updates ``multi_sgd_update``, ``multi_sgd_mom_update``, ``multi_mp_sgd_update``,
  ``multi_mp_sgd_mom_update``, their ``preloaded_`` forms (learning rates and weight decays as
  two float32 arrays after the tensors instead of the ``lrs`` / ``wds`` attributes),
  ``_multi_adamw_update`` / ``_multi_mp_adamw_update`` (``nd.contrib.multi_adamw_update``...),
  ``_multi_lamb_update`` / ``_multi_mp_lamb_update`` (``nd.contrib.multi_lamb_update``...), and
  ``_contrib_group_adagrad_update`` (one tensor, ``nd.contrib.group_adagrad_update``).

The inputs of an update are the tensors' groups in turn (``weight_0, grad_0, mom_0, weight_1,
grad_1, mom_1, ...``); each group runs the single-tensor kernel of
:mod:`minigluon.ops.update_kernels` (the same code as ``sgd_update`` & co. and the optimizer
classes). The results are the new weights, one output per tensor; the states (``mom``,
``weight32``, ``mean``, ``var``) are updated in place (auxiliary states in a graph). The
multi-precision forms take float16 weights; a float32 weight is updated directly and its
``weight32`` left alone, as MXNet 1.9.1's kernels do. Pass
``out=[weight_0, weight_1, ...]`` to write the weights back, as MXNet's optimizers do. Without
``out`` the weights are left as they are and new arrays are returned: MXNet 1.9.1 fails there
("shape must have a valid ndim").

The tensors of one update may have different dtypes (a float32 and a float16 weight; in the
multi-precision forms, a float16 weight beside a float32 one): each is updated in its own dtype.
MXNet 1.9.1's kernels take one dtype for the whole call and fail otherwise ("data type do not
match"); its optimizers never mix them (they group the weights by dtype), nor do minigluon's.
"""
import numpy as np

from minigluon.backend import to_numpy
from minigluon.ops import update_kernels as K
from minigluon.ops.optimizer_ops import AdamWUpdate, _Update
from minigluon.ops.registry import Attr, Op, register, require_float


class _CountedInputs(Op):
    """Base of the variadic operators here: ``arguments`` is None and :meth:`list_arguments`
    names the inputs from the count attribute ``count_attr``."""

    arguments = None
    count_attr = 'num_arrays'

    def _count(self):
        return getattr(self, self.count_attr)

    def check_count(self, inputs, per=1, extra=0):
        """Raise unless there are ``count*per + extra`` inputs."""
        want = self._count() * per + extra
        if len(inputs) != want:
            raise ValueError('%s: %s=%d means %d inputs (%s), got %d; set %s to the number of '
                             'tensors' % (self.name, self.count_attr, self._count(), want,
                                          ', '.join(self.list_arguments()[:per + extra]) + '...',
                                          len(inputs), self.count_attr))


def _sum_sq(xp, a):
    """``sum(a*a)`` as MXNet 1.9.1's ``multi_sum_sq`` takes it on the CPU: the squares in ``a``'s
    dtype, added in that dtype (in float32 for float16 arrays); a 0-d array."""
    flat = a.reshape(-1)
    if a.dtype == np.float16:
        return (flat * flat).astype(np.float32).sum()
    return xp.dot(flat, flat)


@register
class MultiSumSq(_CountedInputs):
    """``multi_sum_sq(*arrays, num_arrays)``: ``[sum(a*a) for a in arrays]`` as one float32 array
    of shape ``(num_arrays,)``: the squares in the arrays' dtype, added in that dtype (float32 for
    float16 arrays: MXNet 1.9.1's CPU kernel), the sums rounded to float32. The arrays may have
    any shapes but one dtype (TypeError otherwise, as MXNet's "requires uniform type")."""

    name = 'multi_sum_sq'
    mxnet_input_names = True
    attrs = {'num_arrays': Attr('int')}
    differentiable = False

    def list_arguments(self):
        return ['array_%d' % i for i in range(self.num_arrays)]

    def forward(self, xp, *arrays):
        self.check_count(arrays)
        dtypes = {a.dtype for a in arrays}
        if len(dtypes) > 1:
            raise TypeError('multi_sum_sq: every array must have one dtype, got %s'
                            % sorted(d.name for d in dtypes))
        out = xp.zeros((len(arrays),), dtype=np.float32)
        for i, a in enumerate(arrays):
            out[i] = _sum_sq(xp, a)
        return out

    def infer_shape(self, in_shapes):
        if any(s is None for s in in_shapes):
            return super().infer_shape(in_shapes)
        return [tuple(s) for s in in_shapes], [(self.num_arrays,)]

    def infer_type(self, in_types):
        known = next((t for t in in_types if t is not None), None)
        return [known if t is None else t for t in in_types], [np.dtype(np.float32)]


@register
class ResetArrays(_CountedInputs):
    """``reset_arrays(*arrays, num_arrays)``: sets every array to 0 in place; no output (MXNet
    1.9.1 returns an empty list). For NDArrays only: a Symbol of it has no outputs, so it adds
    nothing to a graph (MXNet 1.9.1's ``sym.reset_arrays`` crashes the process). Arrays of any
    dtype, integers too (MXNet 1.9.1 refuses integer arrays: "only support floating point
    types")."""

    name = 'reset_arrays'
    attrs = {'num_arrays': Attr('int')}
    differentiable = False
    num_outputs = 0

    def check_attrs(self):
        self.mutate_inputs = tuple(range(self.num_arrays))

    def list_arguments(self):
        return ['array_%d' % i for i in range(self.num_arrays)]

    def list_outputs(self):
        return []

    def forward(self, xp, *arrays):
        self.check_count(arrays)
        for a in arrays:
            a[...] = 0
        return ()

    def infer_shape(self, in_shapes):
        return list(in_shapes), []

    def infer_type(self, in_types):
        return list(in_types), []


@register
class MultiLARS(Op):
    """``multi_lars(lrs, weights_sum_sq, grads_sum_sq, wds, eta, eps, rescale_grad=1)``: the
    layer-wise rates of LARS (You et al. 2017), element by element over four float32 arrays of
    one shape ``(n,)``: with ``w = sqrt(weights_sum_sq)`` and
    ``g = sqrt(grads_sum_sq)*rescale_grad``, ``lrs*eta*w/(g + wds*w + eps)`` where both norms are
    positive, else ``lrs`` (MXNet 1.9.1 ``multi_lars``)."""

    name = 'multi_lars'
    mxnet_input_names = True
    arguments = ('lrs', 'weights_sum_sq', 'grads_sum_sq', 'wds')
    attrs = {'eta': Attr('float'), 'eps': Attr('float'), 'rescale_grad': Attr('float', 1.0)}
    differentiable = False

    def infer_shape(self, in_shapes):
        known = next((s for s in in_shapes if s is not None), None)
        if known is None:
            return super().infer_shape(in_shapes)      # raises: nothing to infer from
        return [tuple(known)] * 4, [tuple(known)]

    def forward(self, xp, lrs, weights_sum_sq, grads_sum_sq, wds):
        for name, a in zip(self.arguments, (lrs, weights_sum_sq, grads_sum_sq, wds)):
            require_float(self, a, name)
            if a.shape != lrs.shape:
                raise ValueError('multi_lars: %s must have the shape of lrs %s, got %s'
                                 % (name, tuple(lrs.shape), tuple(a.shape)))
        f = np.float32
        w = xp.sqrt(weights_sum_sq.astype(f))
        g = xp.sqrt(grads_sum_sq.astype(f)) * f(self.rescale_grad)
        lrs32 = lrs.astype(f)
        with np.errstate(all='ignore'):
            scaled = lrs32 * f(self.eta) * w / (g + wds.astype(f) * w + f(self.eps))
        return xp.where((w > 0) & (g > 0), scaled, lrs32).astype(lrs.dtype)


# ---------------------------------------------------------------------------------------------------
# The multi-tensor updates


class _MultiUpdate(_CountedInputs):
    """Base of the multi-tensor updates. A subclass declares ``group`` (the input names of one
    tensor, weight and gradient first, e.g. ``('weight', 'grad', 'mom')``), ``tail`` (inputs after
    all groups: ``('lrs', 'wds')`` for the preloaded forms, ``('rescale_grad',)`` for AdamW),
    ``mp`` (a float32 master ``weight32`` ends each group) and ``step(xp, i, w, g, *states)``,
    which updates tensor ``i``'s weight copy ``w`` (the master for ``mp``) and states in place
    from the gradient ``g`` (cast to float32 for ``mp``)."""

    differentiable = False
    count_attr = 'num_weights'
    group = ('weight', 'grad')
    tail = ()
    mp = False
    # the per-tensor attributes (tuples of num_weights numbers) that check_attrs checks
    per_tensor = ('lrs', 'wds')

    def check_attrs(self):
        n = self._count()
        if n < 1:
            raise ValueError('%s: %s must be >= 1, got %d' % (self.name, self.count_attr, n))
        for key in self.per_tensor:
            if len(getattr(self, key)) != n:
                raise ValueError('%s: %s must hold %s=%d numbers (one per tensor), got %r'
                                 % (self.name, key, self.count_attr, n, getattr(self, key)))
        k = len(self.group)
        self.num_outputs = n
        self.mutate_inputs = tuple(i * k + j for i in range(n) for j in range(2, k))

    def list_arguments(self):
        return (['%s_%d' % (name, i) for i in range(self._count()) for name in self.group]
                + list(self.tail))

    def _clip(self):
        return _Update._clip(self)

    def _check_group(self, i, weight, grad, *states):
        """Raise unless tensor ``i``'s gradient has its weight's shape and dtype and each state
        its shape and dtype (float32 for the multi-precision states)."""
        require_float(self, weight, 'weight_%d' % i)
        state_dtype = np.dtype(np.float32) if self.mp else weight.dtype
        for name, a, dt in zip(self.group[1:], (grad,) + states,
                               [weight.dtype] + [state_dtype] * len(states)):
            if a.shape != weight.shape:
                raise ValueError('%s: %s_%d must have the shape of weight_%d %s, got %s'
                                 % (self.name, name, i, i, tuple(weight.shape), tuple(a.shape)))
            if a.dtype != dt:
                raise TypeError('%s: %s_%d must have dtype %s, got %s'
                                % (self.name, name, i, np.dtype(dt).name, a.dtype.name))

    def forward(self, xp, *inputs):
        k = len(self.group)
        self.check_count(inputs, per=k, extra=len(self.tail))
        self.prepare(xp, inputs[len(inputs) - len(self.tail):])
        outs = []
        for i in range(self._count()):
            weight, grad, *states = inputs[i * k:(i + 1) * k]
            self._check_group(i, weight, grad, *states)
            self._weight = weight        # the weight as given (multi-LAMB takes its norm)
            if self.mp and weight.dtype != np.float32:
                master = states[-1]
                self.step(xp, i, master, grad.astype(np.float32), *states[:-1])
                outs.append(master.astype(weight.dtype))
            else:
                # a float32 weight is its own master: MXNet 1.9.1's mp kernels then update it
                # directly and leave weight32 alone
                w = weight.copy()
                self.step(xp, i, w, grad, *(states[:-1] if self.mp else states))
                outs.append(w)
        return tuple(outs)

    def prepare(self, xp, tail):
        """Read the ``tail`` inputs before the tensors are updated (see the subclasses)."""

    def infer_shape(self, in_shapes):
        k, n = len(self.group), self._count()
        shapes = list(in_shapes)
        for i in range(n):
            known = next((s for s in shapes[i * k:(i + 1) * k] if s is not None), None)
            if known is None:
                return super().infer_shape(in_shapes)      # raises, naming the unknown inputs
            shapes[i * k:(i + 1) * k] = [tuple(known)] * k
        for j, name in enumerate(self.tail):
            if shapes[n * k + j] is None:
                shapes[n * k + j] = (1,) if name == 'rescale_grad' else (n,)
        return shapes, [shapes[i * k] for i in range(n)]

    def infer_type(self, in_types):
        k, n = len(self.group), self._count()
        types = list(in_types)
        f32 = np.dtype(np.float32)
        for i in range(n):
            weight = types[i * k] or types[i * k + 1]
            rest = [f32] * (k - 2) if self.mp else [weight] * (k - 2)
            types[i * k:(i + 1) * k] = [weight, weight] + rest
        types[n * k:] = [t or f32 for t in types[n * k:]]
        return types, [types[i * k] for i in range(n)]


_CLIP = {'rescale_grad': Attr('float', 1.0), 'clip_gradient': Attr('float', -1.0),
         'num_weights': Attr('int', 1)}
_LRS_WDS = {'lrs': Attr('floats'), 'wds': Attr('floats')}
_MOMENTUM = {'momentum': Attr('float', 0.0)}


class _SGDStep:
    """The SGD step of tensor ``i`` (``K.sgd``; with a ``mom`` state, SGD with momentum). Plain
    SGD rounds as ``multi_sgd_update`` (``w -= lr*g + (lr*wd)*w``, see ``K.sgd``)."""

    def rates(self, i):
        return self.lrs[i], self.wds[i]

    def step(self, xp, i, w, g, mom=None):
        lr, wd = self.rates(i)
        K.sgd(xp, w, g, mom, lr, wd, getattr(self, 'momentum', 0.0), self.rescale_grad,
              self._clip(), multi=True, lr_wd_float32=isinstance(self, _Preloaded))


class _Preloaded(_SGDStep):
    """The preloaded forms: the rates are the float32 arrays ``lrs`` and ``wds`` (shape
    ``(num_weights,)``) after the tensors, read once before any update; ``lr*wd`` is taken in
    float32 (MXNet 1.9.1's kernel multiplies the two floats it read), whatever the weights'
    dtype."""

    tail = ('lrs', 'wds')
    per_tensor = ()

    def prepare(self, xp, tail):
        n = self._count()
        for name, a in zip(self.tail, tail):
            if a.size != n:
                raise ValueError('%s: %s must hold num_weights=%d values, got shape %s'
                                 % (self.name, name, n, tuple(a.shape)))
        self._rates = [[float(v) for v in to_numpy(a).reshape(-1)] for a in tail]

    def rates(self, i):
        return self._rates[0][i], self._rates[1][i]


def _sgd_op(name, group, mp, preloaded, doc):
    attrs = dict(() if preloaded else _LRS_WDS)
    if 'mom' in group:
        attrs.update(_MOMENTUM)
    attrs.update(_CLIP)
    bases = (_Preloaded if preloaded else _SGDStep, _MultiUpdate)
    return register(type(name, bases, {'name': name, 'group': group, 'mp': mp, 'attrs': attrs,
                                      '__doc__': doc}))


_SGD_DOC = ('{what} of ``num_weights`` tensors (MXNet 1.9.1 ``{name}``): the inputs are '
            '``{group}`` for each tensor in turn{tail}; {rates}. Returns the new weights '
            '(``num_weights`` outputs){states}. See the module docstring for ``out``.')


def _sgd_doc(name, what, group, mp, preloaded):
    rates = ('the rates are the float32 arrays ``lrs`` and ``wds`` of shape ``(num_weights,)``'
             if preloaded else 'the rates are the ``lrs`` and ``wds`` tuples, one number per '
             'tensor')
    states = []
    if 'mom' in group:
        states.append('``mom`` (of the master\'s dtype)')
    if mp:
        states.append('the float32 master ``weight32`` (the step runs on it, the gradient cast '
                      'to float32; the result is the master cast to the weight\'s dtype)')
    return _SGD_DOC.format(
        what=what, name=name, group=', '.join(group), rates=rates,
        tail=', then ``lrs, wds``' if preloaded else '',
        states='; updated in place: ' + ' and '.join(states) if states else '')


for _pre in (False, True):
    for _mp in (False, True):
        for _mom in (False, True):
            _group = ('weight', 'grad') + (('mom',) if _mom else ()) + (('weight32',) if _mp else ())
            _name = '%smulti_%ssgd_%supdate' % ('preloaded_' if _pre else '', 'mp_' if _mp else '',
                                               'mom_' if _mom else '')
            _what = ('SGD with momentum ``mom = momentum*mom - (lr*wd)*w - lr*g; w += mom``'
                     if _mom else 'SGD ``w -= lr*g + (lr*wd)*w``')
            _what += ' (``g = clip(rescale_grad*grad)``)'
            _sgd_op(_name, _group, _mp, _pre, _sgd_doc(_name, _what, _group, _mp, _pre))


# -- AdamW ----------------------------------------------------------------------------------------

class _MultiAdamW(_MultiUpdate):
    """``_multi_adamw_update`` / ``_multi_mp_adamw_update``: ``_adamw_update``'s step (``K.adamw``)
    per tensor with its ``lrs[i]``, ``wds[i]`` and ``etas[i]``, the moments rounded as MXNet 1.9.1's
    multi-tensor kernel rounds them (``multi=True``: NaN moments after an infinite gradient where
    ``_adamw_update`` leaves infinities); the last input ``rescale_grad`` is a
    one-element array, and when it holds 0, NaN or inf no tensor is updated and the results are the
    weights unchanged (as ``_adamw_update``)."""

    tail = ('rescale_grad',)
    per_tensor = ('lrs', 'wds', 'etas')
    attrs = {'lrs': Attr('floats'), 'beta1': Attr('float', 0.9), 'beta2': Attr('float', 0.999),
             'epsilon': Attr('float', 1e-8), 'wds': Attr('floats'), 'etas': Attr('floats'),
             'clip_gradient': Attr('float', -1.0), 'num_weights': Attr('int', 1)}

    def prepare(self, xp, tail):
        self._scale = AdamWUpdate._scale(self, tail[0])      # the same checks and float32 read

    def forward(self, xp, *inputs):
        self.check_count(inputs, per=len(self.group), extra=1)
        self.prepare(xp, inputs[-1:])
        if not np.isfinite(self._scale) or self._scale == 0:
            k = len(self.group)
            return tuple(inputs[i * k].copy() for i in range(self._count()))
        return super().forward(xp, *inputs)

    def step(self, xp, i, w, g, mean, var):
        K.adamw(xp, w, g.astype(w.dtype, copy=False), mean, var, self.lrs[i], self.etas[i],
                self.wds[i], self.beta1, self.beta2, self.epsilon, self._scale, self._clip(),
                multi=True)


register(type('_multi_adamw_update', (_MultiAdamW,), {
    'name': '_multi_adamw_update', 'group': ('weight', 'grad', 'mean', 'var'),
    '__doc__': 'AdamW over ``num_weights`` tensors (MXNet 1.9.1 ``_multi_adamw_update``, called '
               'as ``nd.contrib.multi_adamw_update``): inputs ``weight, grad, mean, var`` per '
               'tensor, then the one-element ``rescale_grad`` array. ' + _MultiAdamW.__doc__}))
register(type('_multi_mp_adamw_update', (_MultiAdamW,), {
    'name': '_multi_mp_adamw_update', 'mp': True,
    'group': ('weight', 'grad', 'mean', 'var', 'weight32'),
    '__doc__': 'Multi-precision AdamW over ``num_weights`` tensors (MXNet 1.9.1 '
               '``_multi_mp_adamw_update``, ``nd.contrib.multi_mp_adamw_update``): inputs '
               '``weight, grad, mean, var, weight32`` per tensor (float32 states and master), '
               'then ``rescale_grad``; the step runs on the master. ' + _MultiAdamW.__doc__}))


# -- LAMB -----------------------------------------------------------------------------------------

class _MultiLamb(_MultiUpdate):
    """LAMB over ``num_tensors`` tensors: per tensor ``lamb_update_phase1`` (``K.lamb_phase1``,
    with ``t = step_count[i]`` and ``wds[i]``), the norms of the weight as given (float16 for the
    multi-precision form, not its master) and of the direction (``multi_sum_sq``'s sums), then
    ``lamb_update_phase2`` (``K.lamb_phase2``) with ``learning_rates[i]``."""

    count_attr = 'num_tensors'
    per_tensor = ('learning_rates', 'wds', 'step_count')
    attrs = {'learning_rates': Attr('floats'), 'beta1': Attr('float', 0.9),
             'beta2': Attr('float', 0.999), 'epsilon': Attr('float', 1e-6),
             'wds': Attr('floats'), 'rescale_grad': Attr('float', 1.0),
             'lower_bound': Attr('float', -1.0), 'upper_bound': Attr('float', -1.0),
             'clip_gradient': Attr('float', -1.0), 'bias_correction': Attr('bool', True),
             'step_count': Attr('shape'), 'num_tensors': Attr('int', 1)}

    def step(self, xp, i, w, g, mean, var):
        direction = K.lamb_phase1(xp, w, g, mean, var, self.wds[i], self.beta1, self.beta2,
                                  self.epsilon, self.step_count[i], self.bias_correction,
                                  self.rescale_grad, self._clip())
        r1, r2 = lamb_norms(xp, self._weight, direction)
        K.lamb_phase2(w, direction, r1, r2, self.learning_rates[i], self.lower_bound,
                      self.upper_bound)


def lamb_norms(xp, weight, direction):
    """The norms ``(||weight||, ||direction||)`` of MXNet 1.9.1's grouped LAMB update
    (``multi_lamb_update``, ``multi_mp_lamb_update``), as Python floats, the square roots in
    float32: the weight's through ``multi_sum_sq``'s rounding (float16 squares for a float16
    weight; the weight as given: float16 for the multi-precision form, not its float32 master),
    the direction's squares in float32 (a float16 direction of a few hundred, where the second
    moment underflows, would overflow a float16 square and stop the update; MXNet's kernel
    keeps it in float32). ``optimizer.LAMB`` takes them here in a grouped update."""
    sums = (_sum_sq(xp, weight), _sum_sq(xp, direction.astype(np.float32, copy=False)))
    return tuple(float(np.sqrt(np.float32(to_numpy(s)))) for s in sums)


register(type('_multi_lamb_update', (_MultiLamb,), {
    'name': '_multi_lamb_update', 'group': ('weight', 'grad', 'mean', 'var'),
    '__doc__': 'LAMB (You et al. 2019) over ``num_tensors`` tensors (MXNet 1.9.1 '
               '``_multi_lamb_update``, called as ``nd.contrib.multi_lamb_update``): inputs '
               '``weight, grad, mean, var`` per tensor; ``mean``/``var`` updated in place. '
               + _MultiLamb.__doc__}))
register(type('_multi_mp_lamb_update', (_MultiLamb,), {
    'name': '_multi_mp_lamb_update', 'mp': True,
    'group': ('weight', 'grad', 'mean', 'var', 'weight32'),
    '__doc__': 'Multi-precision LAMB over ``num_tensors`` tensors (MXNet 1.9.1 '
               '``_multi_mp_lamb_update``, ``nd.contrib.multi_mp_lamb_update``): inputs '
               '``weight, grad, mean, var, weight32`` per tensor, the step on the float32 master '
               '(updated in place with ``mean``/``var``). ' + _MultiLamb.__doc__}))


# -- Group AdaGrad ---------------------------------------------------------------------------------

@register
class GroupAdaGradUpdate(_Update):
    """``nd.contrib.group_adagrad_update(weight, grad, history, lr, rescale_grad=1,
    clip_gradient=-1, epsilon=1e-5)`` (MXNet 1.9.1 ``_contrib_group_adagrad_update``): AdaGrad with
    one rate per row of a 2-D weight, ``g = clip(rescale_grad*grad)``,
    ``history += mean(g*g, axis=1)`` (``history`` of shape ``(rows, 1)``, updated in place),
    returns ``weight - lr*g/sqrt(history + epsilon)``; the kernel of ``optimizer.GroupAdaGrad``.
    MXNet 1.9.1 has it for GPUs and row-sparse gradients only ("not implemented for CPU"); here
    it runs everywhere."""

    name = '_contrib_group_adagrad_update'
    arguments = ('weight', 'grad', 'history')
    attrs = {'lr': Attr('float'), 'rescale_grad': Attr('float', 1.0),
             'clip_gradient': Attr('float', -1.0), 'epsilon': Attr('float', 1e-5)}
    mutate_inputs = (2,)

    def forward(self, xp, weight, grad, history):
        require_float(self, weight, 'weight')
        if weight.ndim != 2 or grad.shape != weight.shape:
            raise ValueError('%s: weight must be 2-D and grad of its shape, got %s and %s'
                             % (self.name, tuple(weight.shape), tuple(grad.shape)))
        if history.shape != (weight.shape[0], 1) or history.dtype != weight.dtype:
            raise ValueError('%s: history must be a (%d, 1) array of the weight\'s dtype, got %s %s'
                             % (self.name, weight.shape[0], tuple(history.shape), history.dtype))
        w = weight.copy()
        K.group_adagrad(xp, w, grad, history, self.lr, self.rescale_grad, self._clip(),
                        self.epsilon)
        return w

    def infer_shape(self, in_shapes):
        known = in_shapes[0] or in_shapes[1]
        if known is None:
            return super().infer_shape(in_shapes)
        known = tuple(known)
        return [known, known, (known[0], 1)], [known]
