"""Optimizers with per-element adaptive step sizes: Adam, AdamW, RMSProp, AdaGrad, AdaDelta,
Adamax and Ftrl.

Semantics follow ``mxnet.optimizer`` (MXNet 1.9.1) and its update operators (``adam_update``,
``rmspropalex_update``...); AdamW follows MXNet 2.0 (bias correction folded into the rate, decoupled
weight decay). Updates are in place on the raw arrays; autograd records nothing.
"""
import math

from minigluon.ops import update_kernels as K
from minigluon.optimizer.base import Optimizer, _raw, _zeros_like, register


@register
class Adam(Optimizer):
    """Adam (Kingma & Ba 2014). The bias correction is folded into the rate, as MXNet does:
    ``lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t)``; ``g = clip(rescale*grad + wd*w)``."""

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=True,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def _step(self, xp, index, w, g, state, lr, wd):
        t = self._index_update_count[index]
        lr = lr * math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = self._state_raw(state)
        # the kernel of adam_update (float32 results equal MXNet's bit for bit)
        K.adam(xp, w, _raw(g), mean, var, lr, wd, self.beta1, self.beta2, self.epsilon,
               self.rescale_grad, self._clip())


@register
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2017), as MXNet 2.0's ``AdamW``:
    ``w -= lr_t*(mean/(sqrt(var)+epsilon) + wd*w)`` with the bias-corrected ``lr_t`` of Adam and
    ``g = clip(rescale*grad)`` (no decay in the moments). This is ``nd.contrib.adamw_update`` with
    ``lr=1`` and ``eta=lr_t``, as MXNet 2.0 calls it, and runs its kernel: float32 weights equal
    that operator's on MXNet 1.9.1 to the last bit."""

    def _step(self, xp, index, w, g, state, lr, wd):
        t = self._index_update_count[index]
        eta = lr * math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = self._state_raw(state)
        # the kernel of adamw_update, called as MXNet 2.0's AdamW does: lr=1, the rate as eta
        K.adamw(xp, w, _raw(g), mean, var, 1.0, eta, wd, self.beta1, self.beta2, self.epsilon,
                self.rescale_grad, self._clip())


@register
class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012) or, with ``centered=True``, Graves' 2013 variant (eq. 38-45).

    ``g = clip(rescale*grad + wd*w)``; plain: ``n = (1-gamma1)*g^2 + gamma1*n``,
    ``w -= lr*g/sqrt(n+epsilon)``; centered adds ``gbar`` and a momentum ``delta`` with ``gamma2``.
    ``clip_weights`` clips the weights to ``[-clip_weights, clip_weights]`` after the update; as
    in MXNet 1.9.1 (whose kernel clips only for a bound >= 0) None, 0 and negative bounds do not
    clip.
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8, centered=False,
                 clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1, self.gamma2, self.epsilon = gamma1, gamma2, epsilon
        self.centered, self.clip_weights = centered, clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))
        return (_zeros_like(weight),)

    def _update_op_name(self):
        return 'rmspropalex_update' if self.centered else 'rmsprop_update'

    def _step(self, xp, index, w, g, state, lr, wd):
        st = self._state_raw(state)
        gbar, delta = (st[1], st[2]) if self.centered else (None, None)
        # the kernel of rmsprop_update / rmspropalex_update (float32 equal to MXNet's bit for bit)
        K.rmsprop(xp, w, _raw(g), st[0], lr, wd, self.gamma1, self.epsilon, self.rescale_grad,
                  self._clip(), self.clip_weights if self.clip_weights and self.clip_weights > 0
                  else None, gbar, delta, self.gamma2)


@register
class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al. 2011): ``h += g^2; w -= lr*(g/sqrt(h+eps) + wd*w)``, ``g = clip(rescale*grad)``."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight)

    def _step(self, xp, index, w, g, state, lr, wd):
        g = self._grad(xp, g)
        hist = _raw(state)
        hist += g * g
        w -= lr * (g / xp.sqrt(hist + self.float_stable_eps) + wd * w)


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012); uses no learning rate: ``w -= delta + wd*w``.

    MXNet 1.9.1's ``AdaDelta.update`` also rescales the caller's gradient array in place
    (``grad *= rescale_grad``, the only optimizer that does), so ``param.grad()`` read after
    ``Trainer.step`` shows the gradient divided by the batch size there, and a ``grad_req='add'``
    accumulation continues from that. minigluon leaves the gradient as backward wrote it.
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho, self.epsilon = rho, epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def _get_lr(self, index):
        """None: AdaDelta has no learning rate, and, as MXNet 1.9.1's, it never calls the
        ``lr_scheduler``. That matters because Poly and Cosine keep the last rate they computed
        and return it once past ``max_update``: ``trainer.learning_rate`` then reads the
        scheduler's first rate, as in MXNet (``tests/test_trainer_fuzz_regressions.py``)."""
        return None

    def _step(self, xp, index, w, g, state, lr, wd):
        g = self._grad(xp, g)
        acc_g, acc_delta = self._state_raw(state)
        acc_g[...] = self.rho * acc_g + (1. - self.rho) * g * g
        delta = xp.sqrt(acc_delta + self.epsilon) / xp.sqrt(acc_g + self.epsilon) * g
        acc_delta[...] = self.rho * acc_delta + (1. - self.rho) * delta * delta
        w -= delta + wd * w


@register
class Adamax(Optimizer):
    """Adamax, the infinity-norm Adam (Kingma & Ba 2014, section 7): ``lr_t = lr/(1-beta1^t)``,
    ``u = max(beta2*u, |g|)``, ``w -= lr_t*m/u`` with ``g = clip(rescale*grad + wd*w)``."""

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2 = beta1, beta2

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def _step(self, xp, index, w, g, state, lr, wd):
        lr = lr / (1. - self.beta1 ** self._index_update_count[index])
        g = self._grad(xp, g, w, wd, wd_before_clip=True)
        m, u = self._state_raw(state)
        m[...] = self.beta1 * m + (1. - self.beta1) * g
        u[...] = xp.maximum(self.beta2 * u, xp.abs(g))
        w -= lr * m / u


@register
class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al. 2013), MXNet's ``ftrl_update``: with ``g = clip(rescale*grad)``,
    ``z += g - (sqrt(n+g^2)-sqrt(n))*w/lr; n += g^2;
    w = (sign(z)*lamda1 - z)/((beta+sqrt(n))/lr + wd)`` where ``|z| > lamda1``, else 0.

    As in MXNet 1.9.1, ``learning_rate`` (default 0.1) only sets ``lr``: it is not handed to the
    base class, so with an ``lr_scheduler`` the scheduler's own ``base_lr`` drives the rate and is
    not overwritten (the other optimizers overwrite it with a given ``learning_rate``)."""

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lr = learning_rate
        self.lamda1, self.beta = lamda1, beta

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))   # z, n

    def _step(self, xp, index, w, g, state, lr, wd):
        z, n = self._state_raw(state)
        K.ftrl(xp, w, _raw(g), z, n, lr, wd, self.lamda1, self.beta, self.rescale_grad,
               self._clip())     # the kernel of ftrl_update
