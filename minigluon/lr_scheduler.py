"""Learning-rate schedules: ``FactorScheduler``, ``MultiFactorScheduler``, ``PolyScheduler``,
``CosineScheduler``, each with an optional warm-up.

Semantics follow ``mxnet.lr_scheduler`` (MXNet 1.9.1). A scheduler is called with ``num_update``,
the largest number of updates applied to any weight so far, and returns the rate. Factor schedulers
keep state (they only move forward), as MXNet's do.
"""
import math

__all__ = ['LRScheduler', 'FactorScheduler', 'MultiFactorScheduler', 'PolyScheduler', 'CosineScheduler']


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError('%s must be an int, got %r' % (name, value))
    if value < minimum:
        raise ValueError('%s must be >= %d, got %d' % (name, minimum, value))


class LRScheduler:
    """Base class: ``base_lr`` and the warm-up.

    Parameters
    ----------
    base_lr : float, default 0.01
    warmup_steps : int, default 0
        Number of updates before the schedule proper starts.
    warmup_begin_lr : float, default 0
        Rate at update 0 of the warm-up; must not exceed ``base_lr``.
    warmup_mode : {'linear', 'constant'}
        ``'linear'`` ramps from ``warmup_begin_lr`` to ``base_lr``; ``'constant'`` stays at
        ``warmup_begin_lr``.

    Raises
    ------
    ValueError
        For a negative ``warmup_steps``, ``warmup_begin_lr > base_lr`` or an unknown mode.
    """

    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        self.base_lr = base_lr
        _check_int(warmup_steps, 'warmup_steps', 0)
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if warmup_begin_lr > base_lr:
            raise ValueError('Base lr has to be higher than warmup_begin_lr (got base_lr=%g, '
                             'warmup_begin_lr=%g)' % (base_lr, warmup_begin_lr))
        if warmup_mode not in ('linear', 'constant'):
            raise ValueError("warmup_mode must be 'linear' or 'constant', got %r" % (warmup_mode,))
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update):
        """Rate during the warm-up (``num_update < warmup_steps``)."""
        if self.warmup_mode == 'constant':
            return self.warmup_begin_lr
        frac = float(num_update) / float(self.warmup_steps)
        return self.warmup_begin_lr + (self.warmup_final_lr - self.warmup_begin_lr) * frac

    def __call__(self, num_update):
        raise NotImplementedError('%s must implement __call__' % type(self).__name__)


class FactorScheduler(LRScheduler):
    """``base_lr * factor ** floor((num_update - 1) / step)``, never below ``stop_factor_lr``.

    The rate changes after every ``step`` updates (at ``num_update = step + 1, 2*step + 1, ...``).

    Raises
    ------
    ValueError
        ``step < 1`` or ``factor > 1``.
    """

    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError('Schedule step must be greater or equal than 1 round, got %r' % (step,))
        if factor > 1.0:
            raise ValueError('Factor must be no more than 1 to make lr reduce, got %r' % (factor,))
        self.step, self.factor, self.stop_factor_lr = step, factor, stop_factor_lr
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while num_update > self.count + self.step:   # a loop: resuming may skip several steps
            self.count += self.step
            self.base_lr = max(self.base_lr * self.factor, self.stop_factor_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` once ``num_update`` exceeds each entry of ``step``.

    Parameters
    ----------
    step : list of int
        Strictly increasing update counts, each >= 1.

    Raises
    ------
    ValueError
        For an empty, non-increasing or non-positive ``step`` list, or ``factor > 1``.
    """

    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, (list, tuple)) or not step:
            raise ValueError('step must be a non-empty list of increasing ints, got %r' % (step,))
        for i, s in enumerate(step):
            if s < 1:
                raise ValueError('Schedule step must be greater or equal than 1 round, got %r' % (step,))
            if i and s <= step[i - 1]:
                raise ValueError('Schedule step must be an increasing integer list, got %r' % (step,))
        if factor > 1.0:
            raise ValueError('Factor must be no more than 1 to make lr reduce, got %r' % (factor,))
        self.step, self.factor = list(step), factor
        self.cur_step_ind = 0
        self.count = 0

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
        return self.base_lr


class _DecayToFinal(LRScheduler):
    """Shared by Poly and Cosine: after warm-up, ``final_lr + (base_lr - final_lr) * decay(t / T)``
    with ``t = num_update - warmup_steps`` and ``T = max_update - warmup_steps``; constant once
    ``num_update > max_update``."""

    def __init__(self, max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        _check_int(max_update, 'max_update', 1)
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = max_update - warmup_steps

    def decay(self, frac):
        raise NotImplementedError

    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            frac = float(num_update - self.warmup_steps) / float(self.max_steps)
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * self.decay(frac)
        return self.base_lr


class PolyScheduler(_DecayToFinal):
    """``final_lr + (base_lr - final_lr) * (1 - t/T) ** pwr`` with ``t = num_update - warmup_steps``
    and ``T = max_update - warmup_steps``; constant once ``num_update > max_update``.

    Raises
    ------
    ValueError
        ``max_update < 1``.
    """

    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0,
                 warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.power = pwr

    def decay(self, frac):
        return pow(1 - frac, self.power)


class CosineScheduler(_DecayToFinal):
    """``final_lr + (base_lr - final_lr) * (1 + cos(pi * t/T)) / 2`` with ``t``, ``T`` as in
    :class:`PolyScheduler` (Loshchilov & Hutter 2016, without restarts).

    Raises
    ------
    ValueError
        ``max_update < 1``.
    """

    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0,
                 warmup_mode='linear'):
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode)

    def decay(self, frac):
        return (1 + math.cos(math.pi * frac)) / 2
