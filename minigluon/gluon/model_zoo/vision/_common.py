"""Helpers shared by the model-zoo constructors: default root and the ``pretrained`` guard."""
import os

from minigluon.base import NotSupportedError

__all__ = ['default_root', 'no_pretrained']


def default_root():
    """``$MXNET_HOME/models`` (``~/.mxnet/models`` when unset), MXNet's default ``root``."""
    home = os.environ.get('MXNET_HOME', os.path.join('~', '.mxnet'))
    return os.path.join(os.path.expanduser(home), 'models')


def no_pretrained(name, pretrained, root=None):
    """Raise when ``pretrained`` is true: minigluon never downloads weights.

    Parameters
    ----------
    name : str
        The model-zoo name (``'resnet18_v1'``), used in the message.
    pretrained : bool
        The constructor's ``pretrained`` argument.
    root : str, optional
        Where MXNet would have cached the file; mentioned in the message.

    Raises
    ------
    NotSupportedError
        (a ``NotImplementedError``) when ``pretrained`` is true; the message says how to load a local
        ``.params`` file instead.
    """
    if not pretrained:
        return
    where = root if root is not None else default_root()
    raise NotSupportedError(
        "%s: pretrained=True would download weights, and minigluon does not download anything. "
        "Build the network with pretrained=False and load a local MXNet parameter file instead, e.g. "
        "net = vision.get_model(%r); net.load_parameters('%s', ctx=ctx) (files saved by MXNet's "
        "save_parameters, such as those cached in %s, load as they are)."
        % (name, name, os.path.join(where, name + '-<hash>.params'), where))
