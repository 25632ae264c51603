"""Evaluation metrics: ``EvalMetric`` base, Accuracy, TopKAccuracy, F1, MCC, MAE, MSE, RMSE,
CrossEntropy, NegativeLogLikelihood, Perplexity, PearsonCorrelation, Loss, CustomMetric,
CompositeEvalMetric and ``create``.

Semantics follow ``mxnet.metric`` (MXNet 1.9.1): each metric keeps a local sum/count (cleared by
``reset_local``) and a global one (cleared only by ``reset``); ``get()`` returns
``(name, sum_metric / num_inst)``, NaN before any update. ``update(labels, preds)`` takes lists of
NDArrays (a single NDArray or NumPy array is accepted too). MAE/MSE/RMSE and macro-averaged F1/MCC/
Pearson average per-``update`` values, as MXNet 1.9.1 does, rather than per sample.

Layout: :mod:`~minigluon.metric.base` (EvalMetric, registry, ``create``, composite/custom/loss
metrics), :mod:`~minigluon.metric.classification`, :mod:`~minigluon.metric.regression`,
:mod:`~minigluon.metric.probability`. Importing this package registers every metric by name.
"""
from minigluon.metric.base import (  # noqa: F401
    Caffe, CompositeEvalMetric, CustomMetric, EvalMetric, Loss, Torch, _REGISTRY, alias, check_label_shapes, create, np,
    register)
from minigluon.metric.classification import F1, MCC, PCC, Accuracy, TopKAccuracy  # noqa: F401
from minigluon.metric.probability import CrossEntropy, NegativeLogLikelihood, Perplexity  # noqa: F401
from minigluon.metric.regression import MAE, MSE, RMSE, PearsonCorrelation  # noqa: F401

__all__ = ['EvalMetric', 'CompositeEvalMetric', 'Accuracy', 'TopKAccuracy', 'F1', 'MCC', 'MAE', 'MSE',
           'RMSE', 'CrossEntropy', 'NegativeLogLikelihood', 'Perplexity', 'PearsonCorrelation', 'PCC', 'Loss',
           'Torch', 'Caffe', 'CustomMetric',
           'create', 'register', 'alias', 'check_label_shapes', 'np']
