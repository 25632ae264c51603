"""``gluon.contrib.data`` (MXNet 1.9.1 ``mxnet.gluon.contrib.data``): ``IntervalSampler``.

The sampler is the one of :mod:`minigluon.data.sampler` (also ``gluon.data.IntervalSampler``
here), so ``gluon.contrib.data.sampler`` is that module. MXNet's ``contrib.data.text``
(``WikiText2``, ``WikiText103``) downloads its corpora and is not provided.
"""
from minigluon.data import sampler
from minigluon.data.sampler import IntervalSampler

__all__ = ['IntervalSampler', 'sampler']
