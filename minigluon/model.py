"""``mx.model``: the checkpoint files of MXNet's Module API, without the Module API.

MXNet 1.9.1 (``python/mxnet/model.py``) saves a model as two files: ``prefix-symbol.json`` (the
graph) and ``prefix-%04d.params`` (the weights, keys ``arg:<name>`` and ``aux:<name>``), the same
layout ``HybridBlock.export`` writes. Legacy scripts load them with ``load_checkpoint`` and feed
them to a ``SymbolBlock``::

    sym, arg_params, aux_params = mx.model.load_checkpoint('model', 0)
    net = mx.gluon.SymbolBlock(sym, mx.sym.var('data'))
    params = net.collect_params()
    for name, value in list(arg_params.items()) + list(aux_params.items()):
        params[name]._load_init(value, mx.cpu())

The files are in the formats of :meth:`Symbol.save` and :func:`minigluon.ndarray.save` (MXNet's,
byte for byte), each written atomically; ``FeedForward`` and the rest of the Module-era API are
not provided. :data:`BatchEndParam` is the record MXNet's ``fit`` loops hand to the batch-end
callbacks of :mod:`minigluon.callback`; Gluon training loops build it themselves.

``_create_kvstore`` / ``_create_sparse_kvstore`` are MXNet's private helpers that pick a kvstore
for a number of devices; Trainer subclasses written over MXNet's ``gluon/trainer.py`` internals
call them from their own ``_init_kvstore`` (a local-SGD trainer for GluonNLP, for one).
"""
import logging
from collections import namedtuple

from minigluon import serialization
from minigluon.base import MXNetFormatError, check_int

__all__ = ['BatchEndParam', 'save_checkpoint', 'load_checkpoint', 'load_params']

#: What a batch-end callback receives: ``epoch`` (int), ``nbatch`` (int, batches done in the
#: epoch), ``eval_metric`` (an ``EvalMetric`` or None) and ``locals`` (the caller's ``locals()``
#: or None). A named tuple whose class is called ``BatchEndParams``, as in MXNet 1.9.1.
BatchEndParam = namedtuple('BatchEndParams', ['epoch', 'nbatch', 'eval_metric', 'locals'])


def _params_name(prefix, epoch):
    return '%s-%04d.params' % (prefix, epoch)


def _check_epoch(epoch, func):
    """``epoch`` as an int; TypeError naming ``epoch`` for anything else (a bool too)."""
    return check_int(epoch, '%s: epoch' % func)


def _check_params(params, what):
    from minigluon.ndarray import NDArray
    if not isinstance(params, dict):
        raise TypeError('save_checkpoint: %s must be a dict of str to NDArray, got %s'
                        % (what, type(params).__name__))
    for key, value in params.items():
        if not isinstance(key, str) or not isinstance(value, NDArray):
            raise TypeError('save_checkpoint: %s must map str to NDArray; entry %r is %s'
                            % (what, key, type(value).__name__))


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` and ``prefix-%04d.params`` as MXNet 1.9.1 does.

    Parameters
    ----------
    prefix : str
        Path prefix of the two files.
    epoch : int
        Epoch number, written as four digits or more (``prefix-0007.params``).
    symbol : Symbol or None
        The graph, written with :meth:`Symbol.save`; ``None`` writes only the parameters.
    arg_params : dict of str to NDArray
        Weights, stored under ``arg:<name>`` (first, in the dict's order).
    aux_params : dict of str to NDArray
        Auxiliary states (BatchNorm's running statistics), stored under ``aux:<name>``.
    remove_amp_cast : bool, default True
        Write the graph without the ``amp_cast`` / ``amp_multicast`` nodes that feed other
        nodes (see :meth:`Symbol.tojson`; ``contrib.amp`` adds them).

    Notes
    -----
    Both payloads are built before either file is touched, so bad input (an unsupported dtype...)
    changes no file; both files are then written to temporary files beside them, and only once
    both are on the disk is each renamed over its target: a failure (a full disk) leaves the
    previous pair, never a new graph beside old parameters or a half-written file.
    Arrays are stored from the host whatever their context, as MXNet copies them to ``cpu()``.

    Raises
    ------
    TypeError
        For an ``epoch`` that is not an int, parameters that are not dicts of str to NDArray, or a
        ``symbol`` that is neither a Symbol nor None.
    """
    from minigluon.symbol import Symbol
    epoch = _check_epoch(epoch, 'save_checkpoint')
    _check_params(arg_params, 'arg_params')
    _check_params(aux_params, 'aux_params')
    if symbol is not None and not isinstance(symbol, Symbol):
        raise TypeError('save_checkpoint: symbol must be a Symbol or None, got %s'
                        % type(symbol).__name__)
    save_dict = {'arg:%s' % k: v for k, v in arg_params.items()}
    save_dict.update({'aux:%s' % k: v for k, v in aux_params.items()})
    param_name = _params_name(prefix, epoch)
    blobs = {}
    if symbol is not None:
        blobs['%s-symbol.json' % prefix] = symbol.tojson(remove_amp_cast=remove_amp_cast).encode('utf-8')
    blobs[param_name] = serialization.dumps(save_dict)
    serialization.atomic_write_files(blobs)
    logging.info('Saved checkpoint to "%s"', param_name)     # MXNet's message


def load_params(prefix, epoch):
    """Read ``prefix-%04d.params`` into ``(arg_params, aux_params)`` (MXNet 1.9.1
    ``model.load_params``).

    Keys ``arg:<name>`` go to ``arg_params`` and ``aux:<name>`` to ``aux_params`` under
    ``<name>``; keys with another ``<kind>:`` prefix are skipped, as in MXNet. A file holding no
    arrays gives two empty dicts (and a logged warning); a file of 0 bytes is not a ``.params``
    file (``MXNetFormatError``).

    Returns
    -------
    (dict of str to NDArray, dict of str to NDArray)

    Raises
    ------
    MXNetFormatError
        When the file holds arrays without names, or a name without a ``<kind>:`` prefix (MXNet
        fails on these with an unpacking error).
    OSError
        When the file cannot be read (``FileNotFoundError`` and the like, also ``MXNetError``).
    TypeError
        When ``epoch`` is not an integer.
    """
    fname = _params_name(prefix, _check_epoch(epoch, 'load_params'))
    save_dict = serialization.load(fname)
    arg_params, aux_params = {}, {}
    if not save_dict:
        logging.warning('load_params: %s is empty (it holds no arrays)', fname)
        return arg_params, aux_params
    if not isinstance(save_dict, dict):
        raise MXNetFormatError('load_params: %s holds %d arrays without names; a checkpoint names '
                               'each one arg:<name> or aux:<name>' % (fname, len(save_dict)))
    for key, value in save_dict.items():
        kind, sep, name = key.partition(':')
        if not sep:
            raise MXNetFormatError('load_params: %s holds the key %r; a checkpoint names each array '
                                   'arg:<name> or aux:<name>' % (fname, key))
        if kind == 'arg':
            arg_params[name] = value
        elif kind == 'aux':
            aux_params[name] = value
    return arg_params, aux_params


def load_checkpoint(prefix, epoch):
    """Read a checkpoint written by :func:`save_checkpoint`, by MXNet's ``save_checkpoint`` or
    ``Module.save_checkpoint``, or by ``HybridBlock.export`` (MXNet 1.9.1 ``model.load_checkpoint``).

    Parameters
    ----------
    prefix : str
        Path prefix: the files are ``prefix-symbol.json`` and ``prefix-%04d.params``.
    epoch : int
        Epoch number of the parameter file.

    Returns
    -------
    symbol : Symbol
        The graph.
    arg_params : dict of str to NDArray
        Weights (the ``arg:`` entries, keys without the prefix).
    aux_params : dict of str to NDArray
        Auxiliary states (the ``aux:`` entries).

    Raises
    ------
    OSError
        When a file is missing or unreadable (``FileNotFoundError`` and the like, also
        ``MXNetError``).
    MXNetFormatError
        When a file is not in MXNet's format (see :func:`load_params`).
    TypeError
        When ``epoch`` is not an integer.
    """
    from minigluon.symbol import load as load_symbol
    epoch = _check_epoch(epoch, 'load_checkpoint')
    symbol = load_symbol('%s-symbol.json' % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


# The Module era's model classes are out of scope: asking for one says so (hasattr() stays False)
from minigluon import base as _base  # noqa: E402
__getattr__ = _base.out_of_scope_getattr('minigluon.model', {
    'FeedForward': 'the Module API (mx.model.FeedForward)',
    'DataParallelExecutorManager': 'the Module API (mx.model.DataParallelExecutorManager)'},
    'write the model with gluon Blocks and gluon.Trainer; load_checkpoint files load into a '
    'gluon.SymbolBlock')


def _create_kvstore(kvstore, num_device, arg_params):
    """``(kvstore or None, update_on_kvstore)`` for ``num_device`` devices, as MXNet 1.9.1's
    ``mxnet.model._create_kvstore``: a KVStore is used as given; a name creates a store (none
    for a single device); ``update_on_kvstore`` comes from ``MXNET_UPDATE_ON_KVSTORE`` (default
    1), False without a store, for a store that cannot run an optimizer, and for ``'local'``
    when a parameter of ``arg_params`` (dict of name to NDArray) has over 16 Mi elements.
    A distributed name raises :class:`~minigluon.base.NotSupportedError` (``kvstore.create``)."""
    from minigluon import kvstore as kvs
    update_on_kvstore = kvs._update_on_kvstore_default()
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, kvs.KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and 'dist' not in kvstore:
            kv = None
        else:
            kv = kvs.create(kvstore)
            if kvstore == 'local' and max(p.size for p in arg_params.values()) > 16 * 1024 ** 2:
                update_on_kvstore = False
    else:
        raise TypeError('kvstore must be KVStore, str or None, got %s' % type(kvstore).__name__)
    if kv is None:
        return None, False
    return kv, update_on_kvstore and kv.is_capable(kvs.KVStoreBase.OPTIMIZER)


def _create_sparse_kvstore(kvstore):
    """MXNet 1.9.1's helper for row_sparse weights: sparse storage is out of scope in minigluon
    (docs/PORTING.md), so this raises :class:`~minigluon.base.NotSupportedError`."""
    raise _base.NotSupportedError('_create_sparse_kvstore: row_sparse weights are out of scope in '
                                  'minigluon (docs/PORTING.md, "Out of scope"); got kvstore %r' % (kvstore,))
