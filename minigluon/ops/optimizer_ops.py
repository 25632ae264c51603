"""The optimizer update operators called directly: ``sgd_update``, ``sgd_mom_update``,
``nag_mom_update``, ``adam_update``, ``rmsprop_update``, ``rmspropalex_update``, ``ftrl_update``,
``signsgd_update``, ``signum_update``, ``ftml_update``, ``lamb_update_phase1`` /
``lamb_update_phase2``, the multi-precision ``mp_sgd_update``, ``mp_sgd_mom_update``,
``mp_nag_mom_update``, ``mp_lamb_update_phase1`` / ``mp_lamb_update_phase2``, and
``_adamw_update`` / ``_mp_adamw_update`` (``nd.contrib.adamw_update`` / ``mp_adamw_update``,
whose last input is the ``rescale_grad`` array, ``src/operator/contrib/adamw.cc``).

Semantics follow MXNet 1.9.1 (``src/operator/optimizer_op.cc``): the inputs are the weight, the
gradient and the optimizer states in MXNet's order; the result is the updated weight and the
states are updated in place (MXNet's ``FMutateInputs``). Write the result back with ``out``, as
MXNet's optimizers do: ``nd.sgd_mom_update(w, g, mom, out=w, lr=0.1, momentum=0.9)``. Without
``out`` the weight itself is left unchanged (the states are still updated).

A negative ``clip_gradient`` (the default, -1) means no clipping; 0 clips every gradient to 0, as in
MXNet's kernels (``signsgd_update`` ignores it, as MXNet's does). The arithmetic is
:mod:`minigluon.ops.update_kernels`, the same code the optimizer classes run, so both give
MXNet's float32 results bit for bit. None of these operators is differentiable; ``lazy_update`` (for sparse gradients) is accepted and has no effect.

The weight must be floating-point, and the gradient and states must have its shape (ValueError)
and dtype (TypeError; the multi-precision states are float32), as MXNet 1.9.1 requires.

LAMB (You et al. 2019, arXiv:1904.00962) runs in two operators, as in MXNet: phase 1 returns the
direction ``g`` and updates the moments; the caller takes ``r1 = ||weight||`` and ``r2 = ||g||``
(e.g. ``nd.norm``) and phase 2 returns the new weight. ``optimizer.LAMB`` runs the same kernels.
"""
import numpy as np

from minigluon.ops import update_kernels as K
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error

_COMMON = {'wd': Attr('float', 0.0), 'rescale_grad': Attr('float', 1.0),
           'clip_gradient': Attr('float', -1.0)}


def _attrs(*pairs, tail=()):
    """MXNet's declaration order: ``lr``, the optimizer's own, then wd/rescale/clip, then ``tail``."""
    out = {'lr': Attr('float')}
    out.update(pairs)
    out.update(_COMMON)
    out.update(tail)
    return out


class _Update(Op):
    """Base of the update operators: ``step(xp, w, g, *states)`` updates the copy ``w`` of the
    weight and the states in place; :meth:`forward` returns ``w``."""

    differentiable = False

    def _clip(self, value=None):
        """The clipping bound, or None for no clipping: MXNet's kernels clip only when
        ``clip_gradient >= 0``, so a negative bound and NaN both mean "off"."""
        c = self.clip_gradient if value is None else value
        return c if c >= 0 else None

    def check_inputs(self, weight, grad, *states, dtypes=None):
        """Raise unless the weight is floating-point and every other input has its shape and
        its dtype (``dtypes``: the expected dtype of each input after the weight, if others)."""
        require_float(self, weight, 'weight')
        inputs = (grad,) + states
        if dtypes is None:
            dtypes = [weight.dtype] * len(inputs)
        for name, a, dt in zip(self.list_arguments()[1:], inputs, dtypes):
            if a.shape != weight.shape:
                raise shape_error(self, '%s must have the shape of weight %s'
                                  % (name, tuple(weight.shape)), weight, *inputs)
            if a.dtype != dt:
                expected = np.dtype(dt).name
                if dt == weight.dtype:
                    expected = 'the dtype of weight (%s)' % expected
                raise TypeError('%s: %s must have %s, got %s'
                                % (self.name, name, expected, a.dtype.name))

    def forward(self, xp, weight, grad, *states):
        self.check_inputs(weight, grad, *states)
        w = weight.copy()
        self.step(xp, w, grad, *states)
        return w


def _update_op(name, arguments, attrs, step, doc):
    cls = type(name, (_Update,), {'name': name, 'arguments': arguments, 'attrs': attrs,
                                  'step': step, '__doc__': doc,
                                  'mutate_inputs': tuple(range(2, len(arguments)))})
    return register(cls)


_LAZY = {'lazy_update': Attr('bool', True)}

SGDUpdate = _update_op(
    'sgd_update', ('weight', 'grad'), _attrs(tail=_LAZY),
    lambda self, xp, w, g: K.sgd(xp, w, g, None, self.lr, self.wd, 0.0, self.rescale_grad,
                                 self._clip()),
    'SGD: ``w - lr*clip(rescale_grad*grad) - lr*wd*w`` (MXNet 1.9.1 ``sgd_update``).')
SGDMomUpdate = _update_op(
    'sgd_mom_update', ('weight', 'grad', 'mom'), _attrs(('momentum', Attr('float', 0.0)), tail=_LAZY),
    lambda self, xp, w, g, mom: K.sgd(xp, w, g, mom, self.lr, self.wd, self.momentum,
                                      self.rescale_grad, self._clip()),
    'SGD with momentum: ``mom = momentum*mom - lr*wd*w - lr*clip(rescale_grad*grad)``, returns '
    '``w + mom`` (MXNet 1.9.1 ``sgd_mom_update``).')
NAGMomUpdate = _update_op(
    'nag_mom_update', ('weight', 'grad', 'mom'), _attrs(('momentum', Attr('float', 0.0))),
    lambda self, xp, w, g, mom: K.nag(xp, w, g, mom, self.lr, self.wd, self.momentum,
                                      self.rescale_grad, self._clip(),
                                      out_is_weight=self.out_is_weight),
    'Nesterov momentum SGD (MXNet 1.9.1 ``nag_mom_update``; see update_kernels.nag). The new '
    'momentum reads the updated weight when ``out`` is the weight, else the old one, as in MXNet.')
# set by call_op: whether ``out=`` is the weight input itself (update_kernels.nag)
NAGMomUpdate.out_is_weight = False
AdamUpdate = _update_op(
    'adam_update', ('weight', 'grad', 'mean', 'var'),
    _attrs(('beta1', Attr('float', 0.9)), ('beta2', Attr('float', 0.999)),
           ('epsilon', Attr('float', 1e-8)), tail=_LAZY),
    lambda self, xp, w, g, mean, var: K.adam(xp, w, g, mean, var, self.lr, self.wd, self.beta1,
                                             self.beta2, self.epsilon, self.rescale_grad,
                                             self._clip()),
    'Adam without bias correction (MXNet 1.9.1 ``adam_update``; the optimizer folds the '
    'correction into ``lr``).')
RMSPropUpdate = _update_op(
    'rmsprop_update', ('weight', 'grad', 'n'),
    _attrs(('gamma1', Attr('float', 0.95)), ('epsilon', Attr('float', 1e-8)),
           tail={'clip_weights': Attr('float', -1.0)}),
    lambda self, xp, w, g, n: K.rmsprop(xp, w, g, n, self.lr, self.wd, self.gamma1, self.epsilon,
                                        self.rescale_grad, self._clip(),
                                        self._clip(self.clip_weights)),
    'RMSProp (Tieleman & Hinton 2012; MXNet 1.9.1 ``rmsprop_update``).')
RMSPropAlexUpdate = _update_op(
    'rmspropalex_update', ('weight', 'grad', 'n', 'g', 'delta'),
    _attrs(('gamma1', Attr('float', 0.95)), ('gamma2', Attr('float', 0.9)),
           ('epsilon', Attr('float', 1e-8)), tail={'clip_weights': Attr('float', -1.0)}),
    lambda self, xp, w, g, n, gbar, delta: K.rmsprop(
        xp, w, g, n, self.lr, self.wd, self.gamma1, self.epsilon, self.rescale_grad, self._clip(),
        self._clip(self.clip_weights), gbar, delta, self.gamma2),
    'Centered RMSProp (Graves 2013, eq. 38-45; MXNet 1.9.1 ``rmspropalex_update``).')
FtrlUpdate = _update_op(
    'ftrl_update', ('weight', 'grad', 'z', 'n'),
    _attrs(('lamda1', Attr('float', 0.01)), ('beta', Attr('float', 1.0))),
    lambda self, xp, w, g, z, n: K.ftrl(xp, w, g, z, n, self.lr, self.wd, self.lamda1, self.beta,
                                        self.rescale_grad, self._clip()),
    'FTRL-proximal (McMahan et al. 2013; MXNet 1.9.1 ``ftrl_update``).')
SignSGDUpdate = _update_op(
    'signsgd_update', ('weight', 'grad'), _attrs(),
    lambda self, xp, w, g: K.signum(xp, w, g, None, self.lr, self.wd, 0.0, 0.0,
                                    self.rescale_grad, None),
    'signSGD: ``(1 - lr*wd)*w - lr*sign(grad)`` (Bernstein et al. 2018; MXNet 1.9.1 '
    '``signsgd_update``). ``clip_gradient`` is accepted and ignored, as in MXNet\'s kernel: '
    'clipping cannot change a sign, and ``clip_gradient=0`` does not stop the step.')
SignumUpdate = _update_op(
    'signum_update', ('weight', 'grad', 'mom'),
    _attrs(('momentum', Attr('float', 0.0)), tail={'wd_lh': Attr('float', 0.0)}),
    lambda self, xp, w, g, mom: K.signum(xp, w, g, mom, self.lr, self.wd, self.momentum,
                                         self.wd_lh, self.rescale_grad, self._clip()),
    'Signum (Bernstein et al. 2018; MXNet 1.9.1 ``signum_update``).')
FTMLUpdate = _update_op(
    'ftml_update', ('weight', 'grad', 'd', 'v', 'z'),
    {'lr': Attr('float'), 'beta1': Attr('float', 0.6), 'beta2': Attr('float', 0.999),
     'epsilon': Attr('float', 1e-8), 't': Attr('int'), 'wd': Attr('float', 0.0),
     'rescale_grad': Attr('float', 1.0), 'clip_grad': Attr('float', -1.0)},
    lambda self, xp, w, g, d, v, z: K.ftml(xp, w, g, d, v, z, self.lr, self.wd, self.beta1,
                                           self.beta2, self.epsilon, self.t, self.rescale_grad,
                                           self._clip(self.clip_grad)),
    'FTML at step ``t`` >= 1 (Zheng & Kwok 2017; MXNet 1.9.1 ``ftml_update``; its clipping '
    'attribute is ``clip_grad``).')


class _MPUpdate(_Update):
    """Multi-precision update: ``step`` runs on the float32 master ``weight32`` (the last input,
    updated in place) with the float32 states and the gradient cast to float32; the result is
    the master cast to the weight's dtype (float16 weights; float32 ones work too)."""

    def check_mp_inputs(self, weight, grad, *states):
        """Raise unless ``grad`` has the weight's shape and dtype and every state is a float32
        array of the weight's shape (MXNet's multi-precision type rule)."""
        w32 = states[-1]
        if w32.dtype != np.float32 or w32.shape != weight.shape:
            raise shape_error(self, 'weight32 must be a float32 array of the shape of weight %s'
                              % (tuple(weight.shape),), weight, grad, *states)
        self.check_inputs(weight, grad, *states,
                          dtypes=[weight.dtype] + [np.dtype(np.float32)] * len(states))

    def forward(self, xp, weight, grad, *states):
        self.check_mp_inputs(weight, grad, *states)
        w32 = states[-1]
        self.step(xp, w32, grad.astype(np.float32), *states[:-1])
        return w32.astype(weight.dtype)

    def infer_type(self, in_types):
        """The weight's dtype for the gradient and the result, float32 for the states."""
        n = len(in_types)
        weight = in_types[0] or in_types[1]
        return [weight, weight] + [np.dtype(np.float32)] * (n - 2), [weight]


def _mp_update_op(name, arguments, attrs, step, doc, base=_MPUpdate):
    cls = type(name, (base,), {'name': name, 'arguments': arguments, 'attrs': attrs,
                               'step': step, '__doc__': doc,
                               'mutate_inputs': tuple(range(2, len(arguments)))})
    return register(cls)


MPSGDUpdate = _mp_update_op(
    'mp_sgd_update', ('weight', 'grad', 'weight32'), _attrs(tail=_LAZY),
    lambda self, xp, w, g: K.sgd(xp, w, g, None, self.lr, self.wd, 0.0, self.rescale_grad,
                                 self._clip()),
    'SGD on the float32 master ``weight32`` (MXNet 1.9.1 ``mp_sgd_update``).')
MPSGDMomUpdate = _mp_update_op(
    'mp_sgd_mom_update', ('weight', 'grad', 'mom', 'weight32'),
    _attrs(('momentum', Attr('float', 0.0)), tail=_LAZY),
    lambda self, xp, w, g, mom: K.sgd(xp, w, g, mom, self.lr, self.wd, self.momentum,
                                      self.rescale_grad, self._clip()),
    'SGD with momentum on the float32 master ``weight32`` (MXNet 1.9.1 ``mp_sgd_mom_update``).')
MPNAGMomUpdate = _mp_update_op(
    'mp_nag_mom_update', ('weight', 'grad', 'mom', 'weight32'),
    _attrs(('momentum', Attr('float', 0.0))),
    lambda self, xp, w, g, mom: K.nag(xp, w, g, mom, self.lr, self.wd, self.momentum,
                                      self.rescale_grad, self._clip(), out_is_weight=True),
    'Nesterov momentum SGD on the float32 master ``weight32`` (MXNet 1.9.1 '
    '``mp_nag_mom_update``): ``nag_mom_update``\'s step on ``weight32`` with the float32 '
    '``mom`` (both updated in place), from the gradient cast to float32; returns the master '
    'cast to the weight\'s dtype. The new momentum always reads the updated master, whatever '
    '``out`` is. ``grad`` has the weight\'s shape and dtype, ``mom`` and ``weight32`` are float32 '
    'of its shape.')


# -- LAMB (You et al. 2019, arXiv:1904.00962) in two phases: phase 1 gives the direction, the
#    caller takes the norms r1 = ||weight|| and r2 = ||direction||, phase 2 applies the step.

_LAMB1_ATTRS = {'beta1': Attr('float', 0.9), 'beta2': Attr('float', 0.999),
                'epsilon': Attr('float', 1e-6), 't': Attr('int'),
                'bias_correction': Attr('bool', True), 'wd': Attr('float'),
                'rescale_grad': Attr('float', 1.0), 'clip_gradient': Attr('float', -1.0)}
_LAMB2_ATTRS = {'lr': Attr('float'), 'lower_bound': Attr('float', -1.0),
                'upper_bound': Attr('float', -1.0)}


def _lamb1(self, xp, w, g, mean, var, rescale):
    return K.lamb_phase1(xp, w, g, mean, var, self.wd, self.beta1, self.beta2, self.epsilon,
                         self.t, self.bias_correction, rescale, self._clip())


class _LambPhase1(_Update):
    """``lamb_update_phase1``: the direction ``g`` (a new array of the weight's dtype); ``mean``
    and ``var`` are updated in place."""

    def forward(self, xp, weight, grad, mean, var):
        self.check_inputs(weight, grad, mean, var)
        return _lamb1(self, xp, weight, grad, mean, var, self.rescale_grad)


class _MPLambPhase1(_MPUpdate):
    """``mp_lamb_update_phase1``: float16 ``weight`` and ``grad`` (MXNet accepts no other
    dtype), float32 ``mean``, ``var`` and ``weight32``; the direction is float32."""

    def forward(self, xp, weight, grad, mean, var, weight32):
        if weight.dtype != np.float16:
            raise TypeError('%s: weight must be float16 (the float32 master is weight32), got %s; '
                            'for float32 weights use lamb_update_phase1'
                            % (self.name, weight.dtype.name))
        self.check_mp_inputs(weight, grad, mean, var, weight32)
        # MXNet's kernel scales the float16 gradient in float16 (rescale_grad rounded to
        # float16, the product too: mshadow's half_t arithmetic), then works in float32
        scaled = grad * np.float16(np.float32(self.rescale_grad))
        return _lamb1(self, xp, weight32, scaled.astype(np.float32), mean, var, 1.0)

    def infer_type(self, in_types):
        f16, f32 = np.dtype(np.float16), np.dtype(np.float32)
        return [f16, f16, f32, f32, f32], [f32]


def _norm_value(op, name, r):
    """The number held by the norm input ``r`` (shape ``(1,)``; MXNet reads the first element of
    an array whose first dimension is 1)."""
    if r.ndim == 0 or r.shape[0] != 1 or r.size == 0:
        raise ValueError('%s: %s must be an array of shape (1,) holding a norm, got shape %s'
                         % (op.name, name, tuple(r.shape)))
    return r.reshape(-1)[0].item()


class _LambPhase2(_Update):
    """``lamb_update_phase2``: returns ``weight - lr*ratio*g`` (module docstring); nothing is
    updated in place. ``g`` has the weight's shape, ``r1``/``r2`` shape ``(1,)``; all have the
    weight's dtype."""

    def _checked_norms(self, weight, g, r1, r2, dtype):
        """The numbers in ``r1`` and ``r2``, once ``g``, ``r1`` and ``r2`` are checked (shapes,
        and ``dtype``)."""
        if g.shape != weight.shape:
            raise shape_error(self, 'g must have the shape of weight %s' % (tuple(weight.shape),),
                              weight, g, r1, r2)
        norms = (_norm_value(self, 'r1', r1), _norm_value(self, 'r2', r2))
        for name, a in (('g', g), ('r1', r1), ('r2', r2)):
            if a.dtype != dtype:
                raise TypeError('%s: %s must have dtype %s, got %s'
                                % (self.name, name, np.dtype(dtype).name, a.dtype.name))
        return norms

    def forward(self, xp, weight, g, r1, r2):
        require_float(self, weight, 'weight')
        r1, r2 = self._checked_norms(weight, g, r1, r2, dtype=weight.dtype)
        w = weight.copy()
        K.lamb_phase2(w, g, r1, r2, self.lr, self.lower_bound, self.upper_bound)
        return w

    def infer_shape(self, in_shapes):
        known = in_shapes[0] or in_shapes[1]
        if known is None:
            return super().infer_shape(in_shapes)      # raises: nothing to infer from
        n = len(in_shapes)
        shapes = [tuple(known), tuple(known), tuple(in_shapes[2] or (1,)),
                  tuple(in_shapes[3] or (1,))] + [tuple(known)] * (n - 4)
        return shapes, [tuple(known)]


class _MPLambPhase2(_LambPhase2):
    """``mp_lamb_update_phase2``: returns ``(weight32 - lr*ratio*g)`` cast to the weight's dtype;
    ``g``, ``r1``, ``r2`` and ``weight32`` are float32. MXNet 1.9.1 declares ``weight32`` as
    written (an auxiliary state) but leaves it unchanged; so does this."""

    def forward(self, xp, weight, g, r1, r2, weight32):
        require_float(self, weight, 'weight')
        if weight32.dtype != np.float32 or weight32.shape != weight.shape:
            raise shape_error(self, 'weight32 must be a float32 array of the shape of weight %s'
                              % (tuple(weight.shape),), weight, g, r1, r2, weight32)
        r1, r2 = self._checked_norms(weight, g, r1, r2, dtype=np.float32)
        w32 = weight32.copy()
        K.lamb_phase2(w32, g, r1, r2, self.lr, self.lower_bound, self.upper_bound)
        return w32.astype(weight.dtype)

    def infer_type(self, in_types):
        weight = in_types[0]
        return [weight] + [np.dtype(np.float32)] * 4, [weight]


_PHASE1_DOC = (
    'Phase 1 of LAMB (You et al. 2019; MXNet 1.9.1 ``{name}``): with '
    '``g = clip(rescale_grad*grad)`` updates ``mean = beta1*mean + (1-beta1)*g`` and '
    '``var = beta2*var + (1-beta2)*g^2`` in place and returns the direction '
    '``mean_hat/(sqrt(var_hat) + epsilon) + wd*{w}``, where with ``bias_correction`` '
    '``mean_hat = mean/(1-beta1^t)``, ``var_hat = var/(1-beta2^t)`` (else the moments). '
    '``t`` (the update count, >= 1) and ``wd`` are required. {dtypes} Pass the direction, '
    'the norms of the weight and of the direction to ``{phase2}``.')
_PHASE2_DOC = (
    'Phase 2 of LAMB (MXNet 1.9.1 ``{name}``): returns ``{w} - lr*ratio*g`` for the direction '
    '``g`` of ``{phase1}``, where ``ratio = r1/r2`` with ``r1`` (the norm of the weight) '
    'first raised to ``lower_bound`` and cut to ``upper_bound`` where those are >= 0 (-1: not '
    'set), and ``ratio = 1`` when ``r1`` or ``r2`` (the norm of ``g``) is 0. ``r1`` and ``r2`` '
    'are arrays of shape ``(1,)``. {dtypes}')

LambUpdatePhase1 = register(type('lamb_update_phase1', (_LambPhase1,), {
    'name': 'lamb_update_phase1', 'arguments': ('weight', 'grad', 'mean', 'var'),
    'attrs': _LAMB1_ATTRS, 'mutate_inputs': (2, 3),
    '__doc__': _PHASE1_DOC.format(
        name='lamb_update_phase1', w='weight', phase2='lamb_update_phase2',
        dtypes='``grad``, ``mean`` and ``var`` have the weight\'s shape and dtype (float16, '
               'float32 or float64); the direction too.')}))
MPLambUpdatePhase1 = register(type('mp_lamb_update_phase1', (_MPLambPhase1,), {
    'name': 'mp_lamb_update_phase1', 'arguments': ('weight', 'grad', 'mean', 'var', 'weight32'),
    'attrs': _LAMB1_ATTRS, 'mutate_inputs': (2, 3),
    '__doc__': _PHASE1_DOC.format(
        name='mp_lamb_update_phase1', w='weight32', phase2='mp_lamb_update_phase2',
        dtypes='``weight`` and ``grad`` are float16 (the gradient is cast to float32), '
               '``mean``, ``var`` and the master ``weight32`` float32 of the weight\'s shape; '
               'the direction is float32 and ``weight32`` is not changed.')}))
LambUpdatePhase2 = register(type('lamb_update_phase2', (_LambPhase2,), {
    'name': 'lamb_update_phase2', 'arguments': ('weight', 'g', 'r1', 'r2'),
    'attrs': _LAMB2_ATTRS, 'mutate_inputs': (),
    '__doc__': _PHASE2_DOC.format(
        name='lamb_update_phase2', w='weight', phase1='lamb_update_phase1',
        dtypes='``g``, ``r1`` and ``r2`` have the weight\'s dtype; nothing is updated in place '
               '(write the result back with ``out=weight``).')}))
MPLambUpdatePhase2 = register(type('mp_lamb_update_phase2', (_MPLambPhase2,), {
    'name': 'mp_lamb_update_phase2', 'arguments': ('weight', 'g', 'r1', 'r2', 'weight32'),
    'attrs': _LAMB2_ATTRS, 'mutate_inputs': (4,),
    '__doc__': _PHASE2_DOC.format(
        name='mp_lamb_update_phase2', w='weight32', phase1='mp_lamb_update_phase1',
        dtypes='``g``, ``r1``, ``r2`` and the master ``weight32`` are float32; the result has '
               'the weight\'s dtype. As in MXNet, ``weight32`` itself is left unchanged (an '
               'auxiliary state in a graph): copy the new weight into it to keep training.')}))


class _AdamWUpdate(_Update):
    """Base of ``_adamw_update`` / ``_mp_adamw_update`` (MXNet 1.9.1 ``adamw.cc``, the operators
    behind ``nd.contrib.adamw_update`` / ``mp_adamw_update``): the last input ``rescale_grad`` is
    a one-element array, read as float32; when it is 0, NaN or infinite the update is skipped
    (the weight and states stay as they are) and the result is the weight unchanged (MXNet
    leaves the output unwritten: uninitialised memory unless ``out`` is the weight)."""

    _mp = False

    def _scale(self, rescale_grad):
        if rescale_grad.size != 1:
            raise ValueError('%s: rescale_grad must hold one value (MXNet reads only the first), '
                             'got shape %s' % (self.name, tuple(rescale_grad.shape)))
        if rescale_grad.dtype.kind not in 'fiu':
            raise TypeError('%s: rescale_grad must be a numeric array, got %s'
                            % (self.name, rescale_grad.dtype.name))
        return np.float32(rescale_grad.reshape(-1)[0].item())

    def forward(self, xp, weight, grad, *states_and_scale):
        states, rescale_grad = states_and_scale[:-1], states_and_scale[-1]
        mp_dtypes = [weight.dtype] + [np.dtype(np.float32)] * len(states) if self._mp else None
        self.check_inputs(weight, grad, *states, dtypes=mp_dtypes)
        scale = self._scale(rescale_grad)
        if not np.isfinite(scale) or scale == 0:
            return weight.copy()
        master = states[2] if self._mp else weight.copy()
        K.adamw(xp, master, grad.astype(master.dtype, copy=False), states[0], states[1], self.lr,
                self.eta, self.wd, self.beta1, self.beta2, self.epsilon, scale, self._clip())
        return master.astype(weight.dtype) if self._mp else master

    def infer_shape(self, in_shapes):
        n = len(in_shapes) - 1
        known = next((s for s in in_shapes[:n] if s is not None and 0 not in s), None)
        if known is None:
            return super().infer_shape(in_shapes)       # raises: nothing to infer from
        scale = in_shapes[n] if in_shapes[n] is not None else (1,)
        return [tuple(known)] * n + [tuple(scale)], [tuple(known)]

    def infer_type(self, in_types):
        n = len(in_types) - 1
        weight = in_types[0] or (None if self._mp else next((t for t in in_types[:n] if t), None))
        f32 = np.dtype(np.float32)
        types = [weight, weight] + ([f32] * (n - 2) if self._mp else [weight] * (n - 2))
        return types + [in_types[n] or f32], [weight]


_ADAMW_ATTRS = {'lr': Attr('float'), 'beta1': Attr('float', 0.9), 'beta2': Attr('float', 0.999),
                'epsilon': Attr('float', 1e-8), 'wd': Attr('float', 0.0), 'eta': Attr('float'),
                'clip_gradient': Attr('float', -1.0)}

AdamWUpdate = register(type('_adamw_update', (_AdamWUpdate,), {
    'name': '_adamw_update', 'arguments': ('weight', 'grad', 'mean', 'var', 'rescale_grad'),
    'attrs': _ADAMW_ATTRS, 'mutate_inputs': (2, 3),
    '__doc__': 'AdamW: ``g = clip(rescale_grad*grad)``, ``mean = beta1*mean + (1-beta1)*g``, '
               '``var = beta2*var + (1-beta2)*g^2``, returns '
               '``weight - eta*(lr*mean/(sqrt(var)+epsilon) + wd*weight)`` (decoupled weight decay, '
               'Loshchilov & Hutter 2017; no bias correction). MXNet 1.9.1 ``_adamw_update``; '
               'called as ``nd.contrib.adamw_update``. ``mean``/``var`` are updated in place and '
               'have the weight\'s shape and dtype; ``rescale_grad`` is a one-element array and '
               'a value of 0, NaN or inf skips the update (the weight is returned unchanged). '
               'The gradient is not modified (MXNet overwrites it with the rescaled one).'}))
MPAdamWUpdate = register(type('_mp_adamw_update', (_AdamWUpdate,), {
    'name': '_mp_adamw_update', '_mp': True,
    'arguments': ('weight', 'grad', 'mean', 'var', 'weight32', 'rescale_grad'),
    'attrs': _ADAMW_ATTRS, 'mutate_inputs': (2, 3, 4),
    '__doc__': 'Multi-precision AdamW (MXNet 1.9.1 ``_mp_adamw_update``, called as '
               '``nd.contrib.mp_adamw_update``): the AdamW step of ``_adamw_update`` on the float32 '
               'master ``weight32`` with the float32 states ``mean`` and ``var`` (all updated in '
               'place) from the gradient cast to float32; returns the master cast to the '
               'weight\'s dtype (float16 weights). A ``rescale_grad`` of 0, NaN or inf skips the '
               'update and returns the weight unchanged.'}))
