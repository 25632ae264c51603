"""``gluon.model_zoo.vision``: image classification networks with MXNet 1.9.1's names and shapes.

Every constructor takes ``classes`` (default 1000), ``pretrained=False``, ``ctx`` and ``root``, and
builds the network with randomly initialisable parameters whose names, shapes and
``save_parameters`` keys are those of ``mxnet.gluon.model_zoo.vision``, so MXNet parameter files
load directly::

    net = vision.get_model('resnet18_v1')
    net.load_parameters('resnet18_v1-a0666292.params')   # a file saved by MXNet

``pretrained=True`` loads the file MXNet downloaded before, from its cache
``<root>/<name>-<short hash>.params`` (``root`` defaults to ``$MXNET_HOME/models``, i.e.
``~/.mxnet/models``), after checking its SHA-1, onto ``ctx``; the rest of the arguments (``classes``
too) shape the network, so the file must match it. minigluon downloads nothing: a missing file, or
one with another SHA-1, raises :class:`~minigluon.base.NotSupportedError` naming the path and the
hash expected (see :func:`~minigluon.gluon.model_zoo.model_store.get_model_file`)::

    net = vision.resnet18_v1(pretrained=True)   # ~/.mxnet/models/resnet18_v1-a0666292.params

Input sizes: ResNet, MobileNet accept any size >= 32 (global pooling); SqueezeNet, DenseNet, VGG and
AlexNet need 224x224; Inception V3 needs 299x299.
"""
from minigluon.gluon.model_zoo.vision.alexnet import *  # noqa: F401,F403
from minigluon.gluon.model_zoo.vision.densenet import *  # noqa: F401,F403
from minigluon.gluon.model_zoo.vision.inception import *  # noqa: F401,F403
from minigluon.gluon.model_zoo.vision.mobilenet import *  # noqa: F401,F403
from minigluon.gluon.model_zoo.vision.resnet import *  # noqa: F401,F403
from minigluon.gluon.model_zoo.vision.squeezenet import *  # noqa: F401,F403
from minigluon.gluon.model_zoo.vision.vgg import *  # noqa: F401,F403
# The star imports above bind ``alexnet`` etc. to the constructors (shadowing the submodules of the
# same name), so the table refers to the functions directly.
_MODELS = {
    'resnet18_v1': resnet18_v1, 'resnet34_v1': resnet34_v1, 'resnet50_v1': resnet50_v1,  # noqa: F405
    'resnet101_v1': resnet101_v1, 'resnet152_v1': resnet152_v1,  # noqa: F405
    'resnet18_v2': resnet18_v2, 'resnet34_v2': resnet34_v2, 'resnet50_v2': resnet50_v2,  # noqa: F405
    'resnet101_v2': resnet101_v2, 'resnet152_v2': resnet152_v2,  # noqa: F405
    'vgg11': vgg11, 'vgg13': vgg13, 'vgg16': vgg16, 'vgg19': vgg19,  # noqa: F405
    'vgg11_bn': vgg11_bn, 'vgg13_bn': vgg13_bn, 'vgg16_bn': vgg16_bn, 'vgg19_bn': vgg19_bn,  # noqa: F405
    'alexnet': alexnet,  # noqa: F405
    'densenet121': densenet121, 'densenet161': densenet161,  # noqa: F405
    'densenet169': densenet169, 'densenet201': densenet201,  # noqa: F405
    'squeezenet1.0': squeezenet1_0, 'squeezenet1.1': squeezenet1_1,  # noqa: F405
    'inceptionv3': inception_v3,  # noqa: F405
    'mobilenet1.0': mobilenet1_0, 'mobilenet0.75': mobilenet0_75,  # noqa: F405
    'mobilenet0.5': mobilenet0_5, 'mobilenet0.25': mobilenet0_25,  # noqa: F405
    'mobilenetv2_1.0': mobilenet_v2_1_0, 'mobilenetv2_0.75': mobilenet_v2_0_75,  # noqa: F405
    'mobilenetv2_0.5': mobilenet_v2_0_5, 'mobilenetv2_0.25': mobilenet_v2_0_25,  # noqa: F405
}


def get_model(name, **kwargs):
    """Build a model-zoo network by its MXNet name.

    Parameters
    ----------
    name : str
        One of MXNet 1.9.1's names, e.g. ``'resnet50_v1'``, ``'mobilenet0.25'``,
        ``'mobilenetv2_1.0'``, ``'squeezenet1.1'``, ``'densenet121'``, ``'vgg16_bn'``, ``'alexnet'``,
        ``'inceptionv3'`` (case-insensitive).
    **kwargs
        Passed to the constructor: ``classes``, ``pretrained``, ``ctx``, ``root``,
        ``prefix``, ``params`` and the family's own options (``thumbnail``, ``dropout``...).

    Returns
    -------
    HybridBlock

    Raises
    ------
    ValueError
        For an unknown name (the message lists the available ones).
    NotSupportedError
        For ``pretrained=True`` when MXNet's file is not in ``root`` or has another SHA-1.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in _MODELS:
        raise ValueError('Model %s is not supported. Available options are\n\t%s'
                         % (name, '\n\t'.join(sorted(_MODELS))))
    return _MODELS[key](**kwargs)
