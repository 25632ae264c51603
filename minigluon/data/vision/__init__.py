"""``gluon.data.vision``: image transforms and the datasets read from local files (MXNet 1.9.1's
``mxnet.gluon.data.vision``; minigluon never downloads)."""
from minigluon.data.vision import datasets, transforms
from minigluon.data.vision.datasets import (CIFAR10, CIFAR100, MNIST, FashionMNIST, ImageFolderDataset,
                                           ImageListDataset, ImageRecordDataset)

__all__ = ['datasets', 'transforms', 'MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100',
           'ImageFolderDataset', 'ImageListDataset', 'ImageRecordDataset']
