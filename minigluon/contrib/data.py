"""``gluon.contrib.data`` (MXNet 1.9.1 ``mxnet.gluon.contrib.data``): ``IntervalSampler``.

The sampler is the one of :mod:`minigluon.data.sampler` (also ``gluon.data.IntervalSampler``
here), so ``gluon.contrib.data.sampler`` is that module. MXNet's ``contrib.data.text``
(``WikiText2``, ``WikiText103``) downloads its corpora and is not provided.
"""
from minigluon.data import sampler
from minigluon.data.sampler import IntervalSampler

__all__ = ['IntervalSampler', 'sampler']


# the text datasets download their corpora: asking for them says so (hasattr() stays False)
from minigluon import base as _base  # noqa: E402
__getattr__ = _base.out_of_scope_getattr('minigluon.contrib.data', {
    'text': 'downloading (the text datasets of gluon.contrib.data.text)',
    'WikiText2': 'downloading (gluon.contrib.data.text.WikiText2)',
    'WikiText103': 'downloading (gluon.contrib.data.text.WikiText103)'},
    'read a local corpus with gluon.data.SimpleDataset and mx.contrib.text (vocab.Vocabulary, '
    'utils.count_tokens_from_str)')
