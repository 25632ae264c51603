"""``gluon.data``: datasets, samplers and the DataLoader (MXNet 1.9.1 ``mxnet.gluon.data``)."""
from minigluon.data.dataset import ArrayDataset, Dataset, RecordFileDataset, SimpleDataset  # noqa: F401
from minigluon.data.sampler import (BatchSampler, FilterSampler, IntervalSampler,  # noqa: F401
                                    RandomSampler, Sampler, SequentialSampler)
from minigluon.data.dataloader import DataLoader, default_batchify_fn, default_mp_batchify_fn  # noqa: F401
from minigluon.data import vision  # noqa: F401
