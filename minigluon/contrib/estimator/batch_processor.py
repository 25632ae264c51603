"""The per-batch work of :class:`~minigluon.contrib.estimator.Estimator` (MXNet 1.9.1's
``gluon.contrib.estimator.BatchProcessor``)."""
from minigluon import autograd
from minigluon.utils import split_and_load

__all__ = ['BatchProcessor']


class BatchProcessor(object):
    """Runs one batch for an Estimator: :meth:`fit_batch` (forward under ``autograd.record`` and
    backward; the optimizer step is :class:`GradientUpdateHandler`'s) and :meth:`evaluate_batch`
    (forward only, with ``val_net`` and ``val_loss``).

    Subclass it and pass an instance as ``Estimator(..., batch_processor=...)`` to change how a
    batch is split into data and label or how the loss is computed.
    """

    def _get_data_and_label(self, batch, ctx, batch_axis=0):
        """``batch[0]`` and ``batch[1]`` split along ``batch_axis`` over the contexts ``ctx``."""
        data = split_and_load(batch[0], ctx_list=ctx, batch_axis=batch_axis)
        label = split_and_load(batch[1], ctx_list=ctx, batch_axis=batch_axis)
        return data, label

    def evaluate_batch(self, estimator, val_batch, batch_axis=0):
        """Forward ``val_batch`` through ``estimator.val_net`` and ``estimator.val_loss``.

        Returns
        -------
        tuple of four lists of NDArray, one entry per context: data, label, pred, loss.
        """
        data, label = self._get_data_and_label(val_batch, estimator.context, batch_axis)
        pred = [estimator.val_net(x) for x in data]
        loss = [estimator.val_loss(p, y) for p, y in zip(pred, label)]
        return data, label, pred, loss

    def fit_batch(self, estimator, train_batch, batch_axis=0):
        """Forward ``train_batch`` through ``estimator.net`` and ``estimator.loss`` while recording,
        then backward each loss (gradients only; no optimizer step).

        Returns
        -------
        tuple of four lists of NDArray, one entry per context: data, label, pred, loss.
        """
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(p, y) for p, y in zip(pred, label)]
        for value in loss:
            value.backward()
        return data, label, pred, loss
