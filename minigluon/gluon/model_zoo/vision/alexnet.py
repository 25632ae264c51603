"""AlexNet (MXNet 1.9.1 ``gluon.model_zoo.vision.alexnet``).

Krizhevsky, "One weird trick for parallelizing convolutional neural networks" (arXiv:1404.5997):
the single-tower variant with 64-192-384-256-256 filters. Input ``(N, 3, 224, 224)``.
"""
from minigluon import nn
from minigluon.block import HybridBlock
from minigluon.gluon.model_zoo.model_store import get_model_file

__all__ = ['AlexNet', 'alexnet']


class AlexNet(HybridBlock):
    """AlexNet: five convolutions (ReLU), three max-pools, two 4096-unit Dense layers with dropout.

    Parameters
    ----------
    classes : int, default 1000

    Input ``(N, 3, 224, 224)`` float32 (the first Dense layer's input size, 256*6*6, fixes it);
    output ``(N, classes)``.
    """

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                for channels, kernel, stride, pad, pool in ((64, 11, 4, 2, True), (192, 5, 1, 2, True),
                                                            (384, 3, 1, 1, False), (256, 3, 1, 1, False),
                                                            (256, 3, 1, 1, True)):
                    self.features.add(nn.Conv2D(channels, kernel_size=kernel, strides=stride,
                                                padding=pad, activation='relu'))
                    if pool:
                        self.features.add(nn.MaxPool2D(pool_size=3, strides=2))
                self.features.add(nn.Flatten())
                for _ in range(2):
                    self.features.add(nn.Dense(4096, activation='relu'), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def alexnet(pretrained=False, ctx=None, root=None, **kwargs):
    """AlexNet (``classes``, ``prefix``, ``params`` in ``kwargs``).

    Raises
    ------
    NotSupportedError
        When ``pretrained`` is true and MXNet's file is not in ``root`` (see
        :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`).
    """
    net = AlexNet(**kwargs)
    if pretrained:
        net.load_parameters(get_model_file('alexnet', root), ctx=ctx)
    return net
