"""Momentum-style optimizers: SGD (with optional momentum), NAG (Nesterov) and Signum.

Semantics follow ``mxnet.optimizer`` (MXNet 1.9.1) and its ``sgd_mom_update`` / ``nag_mom_update`` /
``signum_update`` operators. Updates are in place on the raw arrays; autograd records nothing.
"""
from minigluon.optimizer.base import Optimizer, _raw, _zeros_like, register


@register
class SGD(Optimizer):
    """SGD with optional momentum: ``mom = momentum*mom - lr*wd*w - lr*clip(rescale*g); w += mom``;
    without momentum ``w -= lr*clip(rescale*g) + lr*wd*w`` (float32 results equal MXNet 1.9.1's).

    ``lazy_update`` (sparse gradients) is accepted and ignored: gradients are dense here.
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _step(self, xp, index, w, g, state, lr, wd):
        # MXNet 1.9.1's update kernels in the weight's dtype and in their order, so that float32
        # trajectories match bit for bit (measured): without momentum w -= lr*g + (lr*wd)*w with
        # g = clip(rescale*grad); with it, mom = momentum*mom - (lr*wd)*w - step, where the step
        # is lr*clip(rescale*grad) when clipping and (lr*rescale)*grad when not.
        dt = w.dtype.type
        lr, wd = dt(lr), dt(wd)
        if state is None:
            w -= lr * self._grad(xp, g) + (lr * wd) * w
            return
        if self._clips():
            step = lr * self._grad(xp, g)
        else:
            step = (lr * dt(self.rescale_grad)) * _raw(g)
        mom = _raw(state)
        mom *= dt(self.momentum)
        mom -= (lr * wd) * w
        mom -= step
        w += mom


@register
class NAG(Optimizer):
    """Nesterov accelerated SGD (MXNet's ``nag_mom_update``): with ``g = clip(rescale*grad)``,
    ``w_new = w - lr*(g + wd*w) + momentum*(momentum*mom - lr*(g + wd*w))`` then
    ``mom = momentum*mom - lr*(g + wd*w_new)``.

    The momentum takes its decay term from the *updated* weight: MXNet's kernel writes the weight
    in place before it computes the momentum, and minigluon reproduces that so trajectories match.
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _step(self, xp, index, w, g, state, lr, wd):
        # MXNet's sgd_update / nag_mom_update in the weight's dtype and order (float32 weights
        # equal MXNet's bit for bit): the second form below is the first one regrouped as
        # w - m*mom + (m+1)*(m*mom - lr*(g + wd*w)), and the momentum reads the updated weight
        dt = w.dtype.type
        lr, wd = dt(lr), dt(wd)
        g = self._grad(xp, g)
        if state is None:
            w[...] = (dt(1) - lr * wd) * w - lr * g
            return
        m = dt(self.momentum)
        mom = _raw(state)
        mom *= m
        w[...] = w - mom + (m + dt(1)) * (mom - lr * (g + wd * w))
        mom -= lr * (g + wd * w)


@register
class Signum(Optimizer):
    """Signum / signSGD (Bernstein et al. 2018): with momentum,
    ``mom = momentum*mom - (1-momentum)*(clip(rescale*grad) + wd*w)``,
    ``w = (1 - lr*wd_lh)*w + lr*sign(mom)``; without, ``w = (1-lr*wd)*w - lr*sign(grad)``."""

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum, self.wd_lh = momentum, wd_lh

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _step(self, xp, index, w, g, state, lr, wd):
        g = self._grad(xp, g)
        if state is None:
            w[...] = (1. - lr * wd) * w - lr * xp.sign(g)
            return
        mom = _raw(state)
        mom[...] = self.momentum * mom - (1. - self.momentum) * (g + wd * w)
        w[...] = (1. - lr * self.wd_lh) * w + lr * xp.sign(mom)
