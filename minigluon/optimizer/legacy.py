"""MXNet 1.9.1 optimizers that old scripts still name: ccSGD, SGLD, LBSGD, GroupAdaGrad and Test.

Semantics follow ``mxnet.optimizer`` (MXNet 1.9.1): ccSGD is SGD under its old name; SGLD adds
Gaussian noise to a half-size gradient step (Welling & Teh 2011); LBSGD is SGD for emulated large
batches (gradients summed over ``batch_scale`` calls, rate warm-up or layer-wise LARS scaling);
GroupAdaGrad (``mxnet.optimizer.contrib``) is AdaGrad with one rate per row; Test adds the
gradient. LBSGD and GroupAdaGrad are checked against trajectories recorded from MXNet
(``tools/gen_optimizer_extra_fixtures.py``); SGLD's noise comes from minigluon's generator
(``mx.random.seed``), so its draws differ from MXNet's and its tests are statistical.
"""
import math
import numbers

from minigluon import backend
from minigluon._fp_errors import fp_errors_ignored_calling_back
from minigluon.base import ValueAssertionError
from minigluon.ndarray import NDArray
from minigluon.ops import update_kernels
from minigluon.optimizer.base import Optimizer, _raw, _zeros_like, register
from minigluon.optimizer.sgd import SGD
from minigluon.random import draw_normal


@register
class ccSGD(SGD):  # noqa: N801 (MXNet's name)
    """The old name of :class:`SGD` (MXNet 1.9.1 keeps it, deprecated); same arguments and updates."""


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics (Welling & Teh 2011): with ``g = clip(rescale*grad)``,
    ``w += -lr/2*(g + wd*w) + N(0, lr)`` (noise of standard deviation ``sqrt(lr)``, drawn from
    minigluon's generator). No state.
    """

    def _step(self, xp, index, w, g, state, lr, wd):
        g = self._grad(xp, g)
        w += -lr / 2 * (g + wd * w)
        w += draw_normal(xp, w.shape, 0.0, math.sqrt(lr), dtype=w.dtype)


@register
class Test(Optimizer):
    """MXNet's test optimizer: ``w += rescale*grad`` (no rate, no decay, no update count); its
    state is a float32 copy of the updated weight."""

    def create_state(self, index, weight):
        return _zeros_like(weight, dtype='float32')

    @fp_errors_ignored_calling_back      # as Optimizer.update (see minigluon._fp_errors)
    def update(self, index, weight, grad, state):
        w = _raw(weight)
        w += _raw(grad) * self.rescale_grad
        _raw(state)[...] = w


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one accumulated rate per row of a 2-D weight (MXNet 1.9.1
    ``mxnet.optimizer.contrib.GroupAdaGrad``, for embeddings): with ``g = clip(rescale*grad)``,
    ``history += mean(g^2, axis=1)``, ``w -= lr*g/sqrt(history + eps)``. State: ``history``
    of shape ``(rows, 1)``.

    Raises
    ------
    ValueAssertionError
        If the weight is not 2-D, or the parameter has weight decay (not supported): a
        ``ValueError`` and the ``AssertionError`` MXNet 1.9.1 raises.
    """

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise ValueAssertionError('GroupAdaGrad: weights must be 2-D (one rate per row), got shape %s '
                                      'for parameter %s'
                                      % (tuple(weight.shape), self.idx2name.get(index, index)))
        raw = _raw(weight)
        history = backend.get_array_module(raw).zeros((raw.shape[0], 1), dtype=raw.dtype)
        return NDArray(history, weight.context) if isinstance(weight, NDArray) else history

    def _step(self, xp, index, w, g, state, lr, wd):
        if wd:
            raise ValueAssertionError('GroupAdaGrad: weight decay is not supported (wd * wd_mult '
                                      '= %g for parameter %s); set wd=0'
                                      % (wd, self.idx2name.get(index, index)))
        update_kernels.group_adagrad(xp, w, g, _raw(state), lr, self.rescale_grad, self._clip(),
                                     self.float_stable_eps)


_WARMUPS = ('linear', 'power2', 'sqrt', 'lars')


@register
class LBSGD(Optimizer):
    """Large-batch SGD with momentum (MXNet 1.9.1 ``LBSGD``).

    Each parameter's gradients are summed over ``batch_scale`` calls; on every ``batch_scale``-th
    call (counting from ``begin_epoch * updates_per_epoch``) their mean ``g`` makes an SGD step
    ``mom = momentum*mom - lr*mult*(clip(rescale*g) + wd*w); w += mom`` (no state when
    ``momentum == 0``), and the other calls leave the weight as it is. ``mult`` grows from 1 to
    ``batch_scale`` over ``warmup_epochs * updates_per_epoch`` calls (``'linear'``, ``'power2'``:
    quadratically, ``'sqrt'``), or with ``'lars'`` is ``sqrt(|w|^2 / (|g|^2 + wd*|w|^2))``
    clipped to ``[0.01, 100]`` (You et al. 2017). As in MXNet the rate is read before the
    update count moves (a scheduler sees the previous count), and ``num_epochs`` is unused.

    Raises
    ------
    ValueError
        For a ``warmup_strategy`` other than the four above (MXNet silently runs without
        warm-up), or a ``batch_scale`` that is not a positive integer.

    Notes
    -----
    MXNet keeps the first gradient of each sum by reference, so with ``batch_scale > 1`` the next
    backward pass overwrites it before it is added; minigluon sums copies. MXNet's calls that
    only add to the sum still run ``sgd_update`` with ``lr=0``, which turns the weight into NaN
    where the gradient is NaN or inf (``0 * inf``), a call before the sum is used; minigluon
    leaves the weight as it is on those calls (the sum carries the NaN into the next update,
    tests/test_breaker23_regressions.py). A gradient sum still
    open when ``Trainer.save_states`` runs is saved with the states (:meth:`array_state`; MXNet
    pickles it with the optimizer as ``cumgrads``, which ``Trainer.load_states`` reads), so a
    resumed run continues the macro-batch it was in.
    """

    clip_zero_is_off = True      # see Optimizer.clip_zero_is_off

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear',
                 warmup_epochs=5, batch_scale=1, updates_per_epoch=32, begin_epoch=0, num_epochs=60,
                 **kwargs):
        super().__init__(multi_precision=multi_precision, **kwargs)
        if warmup_strategy not in _WARMUPS:
            raise ValueError('LBSGD: warmup_strategy must be one of %s, got %r'
                             % (', '.join(_WARMUPS), warmup_strategy))
        if isinstance(batch_scale, numbers.Integral) and not isinstance(batch_scale, bool):
            batch_scale = int(batch_scale)      # a NumPy integer too, as MXNet 1.9.1 takes it
        if isinstance(batch_scale, bool) or not isinstance(batch_scale, int) or batch_scale < 1:
            raise ValueError('LBSGD: batch_scale must be a positive integer, got %r' % (batch_scale,))
        self.momentum = momentum
        self.warmup_strategy, self.warmup_epochs = warmup_strategy, warmup_epochs
        self.batch_scale, self.updates_per_epoch = batch_scale, updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self._sums = {}      # index -> running sum of this macro-batch's gradients

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def array_state(self):
        """The gradient sums of the macro-batch in progress, ``{index: array}``."""
        return dict(self._sums)

    def set_array_state(self, arrays):
        self._sums = dict(arrays)

    def _warmup_mult(self, calls):
        total, top = self.warmup_epochs * self.updates_per_epoch, float(self.batch_scale)
        if calls >= total:
            return top
        if total <= 1:
            return 1.0
        frac = calls / total
        curve = {'linear': frac, 'power2': frac * frac, 'sqrt': math.sqrt(frac)}
        return 1.0 + (top - 1.0) * curve[self.warmup_strategy]

    @staticmethod
    def _lars_mult(w, g, wd):
        w2, g2 = float((w * w).sum()), float((g * g).sum())
        return min(max(math.sqrt(w2 / (g2 + wd * w2 + 1e-18)), 0.01), 100.0)

    @fp_errors_ignored_calling_back      # as Optimizer.update (see minigluon._fp_errors)
    def update(self, index, weight, grad, state):
        lr, wd = self._get_lr(index), self._get_wd(index)
        self._update_count(index)
        w, g = _raw(weight), _raw(grad)
        # calls so far, counted from begin_epoch * updates_per_epoch (the saved update count
        # carries it through Trainer.save_states / load_states)
        calls = self.init_updates + self._index_update_count[index] - self.begin_num_update
        total = self._sums.pop(index, None)
        # (a sum read back by Trainer.load_states is a NumPy array; the gradient may be CuPy's)
        total = g.copy() if total is None else backend.get_array_module(g).asarray(total) + g
        if calls % self.batch_scale:
            self._sums[index] = total
            return
        g = total / self.batch_scale
        if self.warmup_strategy == 'lars':
            lr *= self._lars_mult(w, g, wd)
        else:
            lr *= self._warmup_mult(calls)
        SGD._step(self, backend.get_array_module(w), index, w, g, state, lr, wd)   # SGD's update
