"""``gluon.contrib.estimator``: a training loop driven by event handlers (MXNet 1.9.1's
``mxnet.gluon.contrib.estimator``)."""
from minigluon.contrib.estimator import event_handler  # first: checkpoint builds on it
from minigluon.contrib.estimator import batch_processor, checkpoint
from minigluon.contrib.estimator.batch_processor import BatchProcessor
from minigluon.contrib.estimator.estimator import Estimator
from minigluon.contrib.estimator.event_handler import (
    BatchBegin, BatchEnd, CheckpointHandler, EarlyStoppingHandler, EpochBegin, EpochEnd,
    GradientUpdateHandler, LoggingHandler, MetricHandler, StoppingHandler, TrainBegin, TrainEnd,
    ValidationHandler)

__all__ = ['Estimator', 'BatchProcessor', 'TrainBegin', 'TrainEnd', 'EpochBegin', 'EpochEnd',
           'BatchBegin', 'BatchEnd', 'StoppingHandler', 'MetricHandler', 'ValidationHandler',
           'LoggingHandler', 'CheckpointHandler', 'EarlyStoppingHandler', 'GradientUpdateHandler',
           'batch_processor', 'checkpoint', 'event_handler']
