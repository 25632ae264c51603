"""``gluon.model_zoo.model_store``: the pretrained parameter files MXNet 1.9.1 downloaded, found in
its local cache.

MXNet stores the file of model ``name`` as ``<root>/<name>-<short hash>.params``, the short hash
being the first 8 hex digits of the file's published SHA-1 (``resnet18_v1-a0666292.params``); the
default ``root`` is ``$MXNET_HOME/models`` (``~/.mxnet/models``). :func:`get_model_file` returns that
path when the file is there and its SHA-1 is the published one. Where MXNet would download (no file,
or a file with another SHA-1), minigluon raises :class:`~minigluon.base.NotSupportedError` naming the
path and the hash expected: it never downloads. The model-zoo constructors call it for
``pretrained=True``.
"""
import os

from minigluon.base import NotSupportedError, data_dir
from minigluon.utils import check_sha1

__all__ = ['get_model_file', 'purge']

# The SHA-1 MXNet 1.9.1 publishes for each pretrained file, by model name.
_model_sha1 = {
    'alexnet': '44335d1f0046b328243b32a26a4fbd62d9057b45',
    'densenet121': 'f27dbf2dbd5ce9a80b102d89c7483342cd33cb31',
    'densenet161': 'b6c8a95717e3e761bd88d145f4d0a214aaa515dc',
    'densenet169': '2603f878403c6aa5a71a124c4a3307143d6820e9',
    'densenet201': '1cdbc116bc3a1b65832b18cf53e1cb8e7da017eb',
    'inceptionv3': 'ed47ec45a937b656fcc94dabde85495bbef5ba1f',
    'mobilenet0.25': '9f83e440996887baf91a6aff1cccc1c903a64274',
    'mobilenet0.5': '8e9d539cc66aa5efa71c4b6af983b936ab8701c3',
    'mobilenet0.75': '529b2c7f4934e6cb851155b22c96c9ab0a7c4dc2',
    'mobilenet1.0': '6b8c5106c730e8750bcd82ceb75220a3351157cd',
    'mobilenetv2_1.0': '36da4ff1867abccd32b29592d79fc753bca5a215',
    'mobilenetv2_0.75': 'e2be7b72a79fe4a750d1dd415afedf01c3ea818d',
    'mobilenetv2_0.5': 'aabd26cd335379fcb72ae6c8fac45a70eab11785',
    'mobilenetv2_0.25': 'ae8f9392789b04822cbb1d98c27283fc5f8aa0a7',
    'resnet18_v1': 'a0666292f0a30ff61f857b0b66efc0228eb6a54b',
    'resnet34_v1': '48216ba99a8b1005d75c0f3a0c422301a0473233',
    'resnet50_v1': '0aee57f96768c0a2d5b23a6ec91eb08dfb0a45ce',
    'resnet101_v1': 'd988c13d6159779e907140a638c56f229634cb02',
    'resnet152_v1': '671c637a14387ab9e2654eafd0d493d86b1c8579',
    'resnet18_v2': 'a81db45fd7b7a2d12ab97cd88ef0a5ac48b8f657',
    'resnet34_v2': '9d6b80bbc35169de6b6edecffdd6047c56fdd322',
    'resnet50_v2': 'ecdde35339c1aadbec4f547857078e734a76fb49',
    'resnet101_v2': '18e93e4f48947e002547f50eabbcc9c83e516aa6',
    'resnet152_v2': 'f2695542de38cf7e71ed58f02893d82bb409415e',
    'squeezenet1.0': '264ba4970a0cc87a4f15c96e25246a1307caf523',
    'squeezenet1.1': '33ba0f93753c83d86e1eb397f38a667eaf2e9376',
    'vgg11': 'dd221b160977f36a53f464cb54648d227c707a05',
    'vgg11_bn': 'ee79a8098a91fbe05b7a973fed2017a6117723a8',
    'vgg13': '6bc5de58a05a5e2e7f493e2d75a580d83efde38c',
    'vgg13_bn': '7d97a06c3c7a1aecc88b6e7385c2b373a249e95e',
    'vgg16': 'e660d4569ccb679ec68f1fd3cce07a387252a90a',
    'vgg16_bn': '7f01cf050d357127a73826045c245041b0df7363',
    'vgg19': 'ad2f660d101905472b83590b59708b71ea22b2e5',
    'vgg19_bn': 'f360b758e856f1074a85abd5fd873ed1d98297c3',
}


def default_root():
    """``$MXNET_HOME/models`` (``~/.mxnet/models`` when ``MXNET_HOME`` is unset), MXNet's cache of
    pretrained files, looked up at each call."""
    return os.path.join(data_dir(), 'models')


def short_hash(name):
    """The first 8 hex digits of the published SHA-1 of model ``name``'s file.

    Raises
    ------
    ValueError
        When MXNet publishes no pretrained file for ``name`` (the message lists those it does).
    """
    if name not in _model_sha1:
        raise ValueError('No pretrained model is published for %r; pretrained files exist for: %s'
                         % (name, ', '.join(sorted(_model_sha1))))
    return _model_sha1[name][:8]


def get_model_file(name, root=None):
    """The path of model ``name``'s pretrained parameter file in MXNet's cache, checked.

    Parameters
    ----------
    name : str
        A model-zoo name with a published file (``'resnet18_v1'``, ``'mobilenet0.25'``...).
    root : str or os.PathLike, optional
        The cache folder; default :func:`default_root`. ``~`` is expanded.

    Returns
    -------
    str
        ``<root>/<name>-<short hash>.params``. Nothing is written (MXNet creates ``root`` and
        downloads into it).

    Raises
    ------
    ValueError
        For a name without a published file.
    NotSupportedError
        (a ``NotImplementedError``) when the file is missing or its SHA-1 is not the published
        one, where MXNet would download it; the message names the path and the SHA-1 expected.
    """
    file_name = '%s-%s.params' % (name, short_hash(name))
    folder = os.path.expanduser(default_root() if root is None else root)
    path = os.path.join(folder, file_name)
    sha1 = _model_sha1[name]
    how = ('Download it with MXNet 1.9.1 on a machine with network access '
           '(mxnet.gluon.model_zoo.model_store.get_model_file(%r) writes it to '
           '$MXNET_HOME/models) and copy it to %s, or build the network with pretrained=False '
           'and load a local file with net.load_parameters(filename, ctx=ctx).' % (name, path))
    if not os.path.isfile(path):
        raise NotSupportedError(
            'The pretrained file of %r is expected at %s (SHA-1 %s); it is not there, and '
            'minigluon does not download. %s' % (name, path, sha1, how))
    if not check_sha1(path, sha1):
        raise NotSupportedError(
            'The pretrained file of %r at %s does not have the published SHA-1 %s (MXNet would '
            'download it again; minigluon does not download). %s' % (name, path, sha1, how))
    return path


def purge(root=None):
    """Delete every file whose name ends in ``.params`` from the cache folder ``root`` (default
    :func:`default_root`; ``~`` expanded), as MXNet's ``purge`` does; other files stay.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist.
    """
    folder = os.path.expanduser(default_root() if root is None else root)
    for entry in os.listdir(folder):
        if entry.endswith('.params'):
            os.remove(os.path.join(folder, entry))
