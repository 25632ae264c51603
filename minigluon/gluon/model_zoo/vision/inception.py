"""Inception V3 (MXNet 1.9.1 ``gluon.model_zoo.vision.inception``).

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision" (arXiv:1512.00567).
Every convolution is conv (no bias) - BatchNorm(epsilon=0.001) - ReLU. Mixed blocks are
concatenations of branches along channels, named ``A1_`` ... ``A3_``, ``B_``, ``C1_`` ... ``C4_``,
``D_``, ``E1_``, ``E2_`` (``inception30_C2_conv3_weight``); the stem sits directly under
``inception30_``. The head is an 8x8 average pool, so the input must be ``(N, 3, 299, 299)``.
The auxiliary classifier of the paper is not part of the network (as in MXNet).
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.contrib.nn import HybridConcurrent
from minigluon.gluon.model_zoo.model_store import get_model_file

__all__ = ['Inception3', 'inception_v3']


def _basic_conv(channels, kernel_size, strides=None, padding=None):
    """Conv2D (no bias) + BatchNorm(epsilon=1e-3) + ReLU; ``None`` keeps Conv2D's default."""
    extra = {}
    if strides is not None:
        extra['strides'] = strides
    if padding is not None:
        extra['padding'] = padding
    seq = nn.HybridSequential(prefix='')
    seq.add(nn.Conv2D(channels, kernel_size, use_bias=False, **extra), nn.BatchNorm(epsilon=0.001),
            nn.Activation('relu'))
    return seq


def _branch(pool, *convs):
    """An optional pool (``'avg'``: 3x3/1 pad 1, ``'max'``: 3x3/2) then basic convolutions given as
    ``(channels, kernel, strides, padding)`` tuples."""
    seq = nn.HybridSequential(prefix='')
    if pool == 'avg':
        seq.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == 'max':
        seq.add(nn.MaxPool2D(pool_size=3, strides=2))
    for conv in convs:
        seq.add(_basic_conv(*conv))
    return seq


def _mixed(prefix, *branches):
    """Concatenate the branches built by the callables in ``branches`` under ``prefix``."""
    block = HybridConcurrent(axis=1, prefix=prefix)
    with block.name_scope():
        for make in branches:
            block.add(make())
    return block


def _block_a(pool_features, prefix):      # 35x35 grid
    return _mixed(prefix,
                  lambda: _branch(None, (64, 1)),
                  lambda: _branch(None, (48, 1), (64, 5, None, 2)),
                  lambda: _branch(None, (64, 1), (96, 3, None, 1), (96, 3, None, 1)),
                  lambda: _branch('avg', (pool_features, 1)))


def _block_b(prefix):                     # 35x35 -> 17x17
    return _mixed(prefix,
                  lambda: _branch(None, (384, 3, 2)),
                  lambda: _branch(None, (64, 1), (96, 3, None, 1), (96, 3, 2)),
                  lambda: _branch('max'))


def _block_c(c7, prefix):                 # 17x17 grid, factorised 7x7 convolutions
    return _mixed(prefix,
                  lambda: _branch(None, (192, 1)),
                  lambda: _branch(None, (c7, 1), (c7, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0))),
                  lambda: _branch(None, (c7, 1), (c7, (7, 1), None, (3, 0)), (c7, (1, 7), None, (0, 3)),
                                  (c7, (7, 1), None, (3, 0)), (192, (1, 7), None, (0, 3))),
                  lambda: _branch('avg', (192, 1)))


def _block_d(prefix):                     # 17x17 -> 8x8
    return _mixed(prefix,
                  lambda: _branch(None, (192, 1), (320, 3, 2)),
                  lambda: _branch(None, (192, 1), (192, (1, 7), None, (0, 3)),
                                  (192, (7, 1), None, (3, 0)), (192, 3, 2)),
                  lambda: _branch('max'))


def _split_1x3_3x1():
    """Two parallel 1x3 and 3x1 convolutions of 384 channels, concatenated (768 channels)."""
    split = HybridConcurrent(axis=1, prefix='')
    split.add(_branch(None, (384, (1, 3), None, (0, 1))))
    split.add(_branch(None, (384, (3, 1), None, (1, 0))))
    return split


def _block_e(prefix):                     # 8x8 grid, expanded filter banks
    def branch_3x3():
        seq = nn.HybridSequential(prefix='')
        seq.add(_branch(None, (384, 1)))
        seq.add(_split_1x3_3x1())
        return seq

    def branch_3x3dbl():
        seq = nn.HybridSequential(prefix='')
        seq.add(_branch(None, (448, 1), (384, 3, None, 1)))
        seq.add(_split_1x3_3x1())
        return seq

    return _mixed(prefix, lambda: _branch(None, (320, 1)), branch_3x3, branch_3x3dbl,
                  lambda: _branch('avg', (192, 1)))


class Inception3(HybridBlock):
    """Inception V3.

    Parameters
    ----------
    classes : int, default 1000

    Input ``(N, 3, 299, 299)`` float32; output ``(N, classes)`` (after an 8x8 average pool,
    dropout 0.5 and a Dense layer over the 2048 features).
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(_basic_conv(32, 3, strides=2), _basic_conv(32, 3),
                              _basic_conv(64, 3, padding=1), nn.MaxPool2D(pool_size=3, strides=2),
                              _basic_conv(80, 1), _basic_conv(192, 3),
                              nn.MaxPool2D(pool_size=3, strides=2))
            self.features.add(_block_a(32, 'A1_'), _block_a(64, 'A2_'), _block_a(64, 'A3_'),
                              _block_b('B_'))
            self.features.add(_block_c(128, 'C1_'), _block_c(160, 'C2_'), _block_c(160, 'C3_'),
                              _block_c(192, 'C4_'))
            self.features.add(_block_d('D_'), _block_e('E1_'), _block_e('E2_'))
            self.features.add(nn.AvgPool2D(pool_size=8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def inception_v3(pretrained=False, ctx=None, root=None, **kwargs):
    """Inception V3 (``classes``, ``prefix``, ``params`` in ``kwargs``).

    Raises
    ------
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    net = Inception3(**kwargs)
    if pretrained:
        net.load_parameters(get_model_file('inceptionv3', root), ctx=ctx)
    return net
