"""Dynamic loss scaling for AMP (MXNet 1.9.1 ``mxnet.contrib.amp.loss_scaler``).

Float16 gradients underflow to 0 when small; multiplying the loss by a large scale before the
backward pass keeps them representable, and the optimizer divides the scale back out
(``Trainer._scale``, see :func:`minigluon.contrib.amp.scale_loss`). The scale adapts:

* it starts at ``2**16``;
* after every step the gradients are checked (``multi_all_finite`` over chunks of 200): on an
  inf or NaN the step is skipped and the next scale is half the current one;
* after ``_scale_seq_len`` (2000) steps in a row without overflow the next scale doubles, up to
  ``2**24``.

As in MXNet, the check of step ``k`` first makes the scale chosen after step ``k-1`` current, so a
new scale reaches the trainer's ``_scale`` at the next ``scale_loss`` but counts as the
``loss_scale`` already from the check of step ``k``: a growth or halving shows in the loss that
is scaled one step later than it shows in :attr:`LossScaler.loss_scale`.
"""
import logging

from minigluon import autograd
from minigluon import ndarray as nd

_CHUNK = 200      # arrays per multi_all_finite call, as MXNet's


class LossScaler:
    """The dynamic loss scaler; its fields are MXNet's (``_loss_scale``, ``_next_loss_scale``,
    ``_max_loss_scale``, ``_scale_seq_len``, ``_unskipped``), which scripts sometimes set."""

    def __init__(self):
        self._loss_scale = 2.0 ** 16
        self._next_loss_scale = self._loss_scale
        self._max_loss_scale = 2.0 ** 24
        self._scale_seq_len = 2000
        self._unskipped = 0

    @property
    def loss_scale(self):
        """The current loss scale (a float)."""
        return self._loss_scale

    def has_overflow(self, params):
        """Whether any gradient of ``params`` (Parameters; the first context's gradient of each
        one that has a gradient) holds an inf or NaN; moves the scale as the module docstring
        says. Raises ValueError when no Parameter has a gradient."""
        grads = [p._grad[0] for p in params if p._grad is not None]
        if not grads:
            raise ValueError('LossScaler.has_overflow: none of the %d Parameters has a gradient '
                             '(grad_req is null for all, or they are not initialized)'
                             % len(params))
        with autograd.pause():
            flag = nd.ones((1,), ctx=grads[0].context)
            for start in range(0, len(grads), _CHUNK):
                chunk = grads[start:start + _CHUNK]
                nd.multi_all_finite(*chunk, num_arrays=len(chunk), init_output=False, out=flag)
        overflow = not bool(flag.asnumpy()[0])
        self._loss_scale = self._next_loss_scale
        if overflow:
            self._next_loss_scale = self._loss_scale / 2.0
            self._unskipped = 0
            logging.info('AMP: decreasing loss scale to %f', self._next_loss_scale)
        else:
            self._unskipped += 1
        if self._unskipped == self._scale_seq_len:
            self._unskipped = 0
            self._next_loss_scale = min(self._max_loss_scale, self._loss_scale * 2.0)
            logging.info('AMP: increasing loss scale to %f', self._next_loss_scale)
        return overflow
