"""Momentum-style optimizers: SGD (with optional momentum), NAG (Nesterov) and Signum.

Semantics follow ``mxnet.optimizer`` (MXNet 1.9.1) and its ``sgd_mom_update`` / ``nag_mom_update`` /
``signum_update`` operators. Updates are in place on the raw arrays; autograd records nothing.
"""
from minigluon.ops import update_kernels as K
from minigluon.optimizer.base import Optimizer, _raw, _zeros_like, aggregation_size, register


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
        self.aggregate_num = aggregation_size(4)

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _update_op_name(self):
        # MXNet 1.9.1's SGD updates up to 4 weights per call (MXNET_OPTIMIZER_AGGREGATION_SIZE)
        return 'multi_sgd_mom_update' if self.momentum != 0.0 else 'multi_sgd_update'

    def _step(self, xp, index, w, g, state, lr, wd):
        # the kernels of multi_sgd_update / sgd_mom_update, which MXNet's SGD calls (float32
        # results equal MXNet's bit for bit)
        K.sgd(xp, w, _raw(g), None if state is None else _raw(state), lr, wd, self.momentum,
              self.rescale_grad, self._clip(), multi=True)


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

    def _update_op_name(self):
        return 'nag_mom_update' if self.momentum != 0.0 else 'sgd_update'

    def _step(self, xp, index, w, g, state, lr, wd):
        # the kernel of nag_mom_update (float32 results equal MXNet's bit for bit)
        K.nag(xp, w, _raw(g), None if state is None else _raw(state), lr, wd, self.momentum,
              self.rescale_grad, self._clip())


@register
class Signum(Optimizer):
    """Signum / signSGD (Bernstein et al. 2018): with momentum,
    ``mom = momentum*mom - (1-momentum)*(clip(rescale*grad) + wd*w)``,
    ``w = (1 - lr*wd_lh)*w + lr*sign(mom)``; without, ``w = (1-lr*wd)*w - lr*sign(grad)``.

    Difference from MXNet, on purpose: without momentum MXNet 1.9.1 passes a non-zero ``wd_lh``
    to ``signsgd_update``, which has no such argument, so every update fails (``MXNetError``);
    minigluon applies the update above, where ``wd_lh`` has no part (``tools/fuzz_trainer.py``,
    known ``signum-wd-lh-without-momentum``)."""

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum, self.wd_lh = momentum, wd_lh

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _update_op_name(self):
        return 'signum_update' if self.momentum != 0.0 else 'signsgd_update'

    def _step(self, xp, index, w, g, state, lr, wd):
        # the kernel of signum_update / signsgd_update
        K.signum(xp, w, _raw(g), None if state is None else _raw(state), lr, wd, self.momentum,
                 self.wd_lh, self.rescale_grad, self._clip())
