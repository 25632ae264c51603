"""Less common MXNet 1.9.1 optimizers: Nadam, LAMB, FTML, LARS and DCASGD.

Semantics follow ``mxnet.optimizer`` (MXNet 1.9.1) and the update operators it calls
(``lamb_update_phase1/2``, ``ftml_update``, ``multi_lars`` with ``sgd_mom_update``), checked
against trajectories recorded from MXNet (``tools/gen_optimizer_extra_fixtures.py``). Updates are
in place on the raw arrays; autograd records nothing. Gradients are dense here: the
``lazy_update`` options are accepted and have no effect.
"""

import numpy as np

from minigluon._fp_errors import call_as_caller, fp_errors_ignored_calling_back
from minigluon.backend import get_array_module as _xp
from minigluon.ops import update_kernels as K
from minigluon.ops.multi_tensor import lamb_norms
from minigluon.optimizer.base import (Optimizer, _astype_like, _raw, _zeros_like, aggregation_size,
                                      register)


@register
class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2016, http://cs229.stanford.edu/proj2015/054_report.pdf).

    With ``g = clip(rescale*grad + wd*w)`` and the warming schedule
    ``mu_t = beta1*(1 - 0.5*0.96^(t*schedule_decay))``::

        m_schedule *= mu_t
        m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
        m_bar = (1-mu_t)*g/(1-m_schedule) + mu_{t+1}*m/(1-m_schedule*mu_{t+1})
        w -= lr*m_bar/(sqrt(v/(1-beta2^t)) + epsilon)

    As in MXNet, ``m_schedule`` is one number on the optimizer, multiplied on every update of
    every parameter (``t`` is the per-parameter update count). State: ``(mean, variance)``.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def scalar_state(self):
        return {'m_schedule': self.m_schedule}

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def _step(self, xp, index, w, g, state, lr, wd):
        t = self._index_update_count[index]
        g = self._grad(xp, g, w, wd, wd_before_clip=True)
        mu_t = self.beta1 * (1. - 0.5 * 0.96 ** (t * self.schedule_decay))
        mu_next = self.beta1 * (1. - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * mu_t
        m_schedule_next = self.m_schedule * mu_next
        m, v = self._state_raw(state)
        m[...] = self.beta1 * m + (1. - self.beta1) * g
        v[...] = self.beta2 * v + (1. - self.beta2) * g * g
        # grouped as MXNet's NDArray expression (g / (1 - m_schedule) first), for equal rounding
        m_bar = (1. - mu_t) * (g / (1. - self.m_schedule)) + mu_next * (m / (1. - m_schedule_next))
        v_hat = v / (1. - self.beta2 ** t)
        w -= lr * m_bar / (xp.sqrt(v_hat) + self.epsilon)


@register
class LAMB(Optimizer):
    """Layer-wise adaptive moments for batch training (You et al. 2019, arXiv:1904.00962), as MXNet's
    ``lamb_update_phase1`` + ``lamb_update_phase2``.

    With ``g = clip(rescale*grad)`` (no decay in the moments)::

        m = beta1*m + (1-beta1)*g;  v = beta2*v + (1-beta2)*g^2
        (with bias_correction: m /= 1-beta1^t, v /= 1-beta2^t, on copies)
        r = m/(sqrt(v) + epsilon) + wd*w
        r1 = ||w|| (clamped to [lower_bound, upper_bound] where given and >= 0), r2 = ||r||
        w -= lr*(r1/r2 if r1 > 0 and r2 > 0 else 1)*r

    The norms are over the whole parameter. The two lines are the kernels of the operators
    ``nd.lamb_update_phase1`` / ``lamb_update_phase2`` (:mod:`minigluon.ops.update_kernels`).
    State: ``(mean, variance)``.

    With ``multi_precision`` a float16 weight is updated through its float32 master copy
    however the update is called. MXNet 1.9.1 updates the master copy only in its grouped
    update (what its Updater, and so a Trainer, calls); ``update_multi_precision`` called with
    one index runs ``mp_lamb_update_phase2``, which writes the float16 weight and leaves the
    master copy as it was, so every step starts again from the first weights
    (tests/test_breaker23_regressions.py).
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, aggregation_size(45)))

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    _in_group = False       # inside a group of updates (Optimizer._begin_group)
    _norm_weight = None     # the float16 weight whose norm a grouped update takes

    def _begin_group(self, indices):
        """MXNet 1.9.1's grouped LAMB (``multi_lamb_update``, when ``aggregate_num`` > 1: what
        its Updater runs, also for one weight) still counts each weight and takes its rate in
        turn; what differs is how it takes the norms (``multi_sum_sq``: float16 squares for a
        float16 weight, see :func:`~minigluon.ops.multi_tensor.lamb_norms`), and that its
        multi-precision kernel takes the norm of the float16 weight where the single update
        takes that of the float32 master copy (they differ by rounding, or wholly after
        ``set_data``)."""
        self._in_group = self.aggregate_num > 1

    def _end_group(self):
        self._in_group = False

    @fp_errors_ignored_calling_back      # as Optimizer.update (see minigluon._fp_errors)
    def update_multi_precision(self, index, weight, grad, state):
        if self._in_group and self.multi_precision and _raw(weight).dtype == np.float16:
            self._norm_weight = _raw(weight)
            try:
                super().update_multi_precision(index, weight, grad, state)
            finally:
                self._norm_weight = None
        else:
            super().update_multi_precision(index, weight, grad, state)

    def _update_op_name(self):
        return '_multi_lamb_update'     # MXNet 1.9.1's LAMB updates its weights in one call

    def _step(self, xp, index, w, g, state, lr, wd):
        t = self._index_update_count[index]
        m, v = self._state_raw(state)
        # the kernels of lamb_update_phase1 / lamb_update_phase2 (minigluon.ops.update_kernels)
        r = K.lamb_phase1(xp, w, g, m, v, wd, self.beta1, self.beta2, self.epsilon, t,
                          self.bias_correction, self.rescale_grad, self._clip())
        if self._in_group:        # MXNet's multi_[mp_]lamb_update
            r1, r2 = lamb_norms(xp, w if self._norm_weight is None else self._norm_weight, r)
        else:                     # its lamb_update_phase2 after NDArray.norm()
            r1 = float(xp.linalg.norm(w.astype(np.float32).ravel()))
            r2 = float(xp.linalg.norm(r.astype(np.float32).ravel()))
        # MXNet passes the bounds only when truthy; its kernel ignores a negative one
        K.lamb_phase2(w, r, r1, r2, lr, self.lower_bound or -1.0, self.upper_bound or -1.0)


@register
class FTML(Optimizer):
    """Follow the Moving Leader (Zheng & Kwok 2017, http://proceedings.mlr.press/v70/zheng17a),
    MXNet's ``ftml_update``. With ``g = clip(rescale*grad + wd*w)``::

        v = beta2*v + (1-beta2)*g^2
        d_t = (1-beta1^t)/lr*(sqrt(v/(1-beta2^t)) + epsilon)
        z = beta1*z + (1-beta1)*g - (d_t - beta1*d)*w;  d = d_t
        w = -z/d_t

    State: ``(d, v, z)``. The default learning rate is the base class's 0.01.
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))   # d, v, z

    def _step(self, xp, index, w, g, state, lr, wd):
        t = self._index_update_count[index]
        d, v, z = self._state_raw(state)
        # the kernel of ftml_update (float32 results equal MXNet's bit for bit)
        K.ftml(xp, w, _raw(g), d, v, z, lr, wd, self.beta1, self.beta2, self.epsilon, t,
               self.rescale_grad, self._clip())


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (Zheng et al. 2016, arXiv:1609.08326). With
    ``g = clip(rescale*grad)`` and ``w_prev`` the weight before the previous update::

        step = -lr*(g + wd*w + lamda*g^2*(w - w_prev))
        mom = momentum*mom + step  (or mom = step when momentum == 0)
        w_prev = w;  w += mom

    State: ``(momentum or None, copy of the weight)``.

    Difference from MXNet, on purpose: MXNet 1.9.1's DCASGD with a ``momentum`` fails at every
    update (it tests the momentum array's truth value: ``ValueError`` for a weight of several
    elements, an ``AssertionError`` for one element, whose momentum starts at 0); minigluon
    applies the formula above (``tools/fuzz_trainer.py``, known ``dcasgd-momentum``).
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum, self.lamda = momentum, lamda

    def create_state(self, index, weight):
        prev = _astype_like(weight, _raw(weight).dtype)      # a copy
        if self.momentum == 0.0:
            return (None, prev)
        return (_zeros_like(weight), prev)

    def _step(self, xp, index, w, g, state, lr, wd):
        g = self._grad(xp, g)
        mom, prev = state
        prev = _raw(prev)
        step = -lr * (g + wd * w + self.lamda * g * g * (w - prev))
        if mom is not None:
            mom = _raw(mom)
            mom *= self.momentum
            mom += step
            step = mom
        prev[...] = w
        w += step


@register
class LARS(Optimizer):
    """Layer-wise adaptive rate scaling (You et al. 2017, arXiv:1708.03888): SGD with momentum whose
    rate is scaled per parameter, as MXNet's ``multi_lars`` + ``sgd_mom_update``.

    For parameters whose name does not end in ``gamma``, ``beta`` or ``bias``, with
    ``w_norm = ||w||`` and ``g_norm = rescale*||grad||`` (before clipping)::

        lr_layer = lr*eta*w_norm/(g_norm + wd*w_norm + eps)   if w_norm > 0 and g_norm > 0
        lr_layer = lr                                         otherwise

    then SGD: ``mom = m*mom - lr_layer*(clip(rescale*grad) + wd*w); w += mom`` (no momentum state
    when ``momentum == 0``). With ``momentum_correction`` the momentum ``m`` is
    ``momentum*lr/lr_previous`` (Goyal et al. 2017), the rates of this and the previous update.
    By default only names ending in ``_weight`` get weight decay. With ``multi_precision`` the state
    of a float16 weight is ``(momentum or None, float32 master copy)``, in that order, as in MXNet.
    ``MXNET_OPTIMIZER_AGGREGATION_SIZE=0`` updates weight by weight; MXNet 1.9.1's LARS then fails
    at every step ("Shape dim size cannot be a negative value -1": its single-weight path still
    calls ``preloaded_multi_sgd_update``).
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0, momentum_correction=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.momentum, self.lazy_update = momentum, lazy_update
        self.eta, self.eps = eta, eps
        self.momentum_correction = momentum_correction
        self.last_lr = self.cur_lr = None
        self.aggregate_num = aggregation_size(4)

    def scalar_state(self):
        return {'last_lr': self.last_lr, 'cur_lr': self.cur_lr}

    def set_wd_mult(self, args_wd_mult):
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if not n.endswith('_weight')}
        self.wd_mult.update(args_wd_mult)

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and _raw(weight).dtype == np.float16:
            master = _astype_like(weight, np.float32)
            return (self.create_state(index, master), master)
        return super().create_state_multi_precision(index, weight)

    _in_group = False       # inside a group of updates (Optimizer._begin_group)

    def _next_lr(self):
        """Move ``last_lr`` / ``cur_lr`` on: once per update, or once per group of updates (a
        Trainer's step, ``aggregate_num`` weights), as MXNet's ``_get_lrs``."""
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = (call_as_caller(self.lr_scheduler, self.num_update) if self.lr_scheduler is not None
              else self.lr)       # (the user's scheduler: the caller's settings, see _fp_errors)
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr

    def _begin_group(self, indices):
        super()._begin_group(indices)
        self._next_lr()
        self._in_group = True

    def _end_group(self):
        self._in_group = False

    def _get_lr(self, index):
        if not self._in_group:
            self._next_lr()
        return self.cur_lr * self._mult(index, self.lr_mult, 'lr_mult')

    def _lars_lr(self, xp, index, w, g, lr, wd):
        name = str(self.idx2name.get(index, index))
        if name.endswith(('gamma', 'beta', 'bias')):
            return lr
        w_norm = float(xp.linalg.norm(w.astype(np.float32).ravel()))
        g_norm = float(xp.linalg.norm(g.astype(np.float32).ravel())) * self.rescale_grad
        if w_norm > 0. and g_norm > 0.:
            return lr * self.eta * w_norm / (g_norm + wd * w_norm + self.eps)
        return lr

    def _momentum(self):
        if self.momentum_correction and self.last_lr != 0:
            return self.momentum * (self.cur_lr / self.last_lr)
        return self.momentum

    def _step(self, xp, index, w, g, state, lr, wd, norm_weight=None):
        lr = self._lars_lr(xp, index, w if norm_weight is None else norm_weight, g, lr, wd)
        step = self._grad(xp, g) + wd * w
        if state is None:
            w -= lr * step
        else:
            mom = _raw(state)
            mom *= self._momentum()
            mom -= lr * step
            w += mom

    @fp_errors_ignored_calling_back      # as Optimizer.update (see minigluon._fp_errors)
    def update_multi_precision(self, index, weight, grad, state):
        """As :meth:`update`; a float16 weight with ``multi_precision`` is updated through the float32
        master copy in ``state[1]`` (the norms use the float16 weight, as MXNet's do)."""
        w16 = _raw(weight)
        if not (self.multi_precision and w16.dtype == np.float16):
            return self.update(index, weight, grad, state)
        if not (isinstance(state, (tuple, list)) and len(state) == 2):
            raise ValueError('LARS.update_multi_precision: the state of a float16 weight must be '
                             '(momentum or None, float32 master copy); got %r. Create it with '
                             'create_state_multi_precision after casting the network.' % (state,))
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        mom, master = state
        m = _raw(master)
        self._step(_xp(m), index, m, _raw(grad).astype(np.float32), mom, lr, wd, norm_weight=w16)
        w16[...] = m.astype(np.float16)
