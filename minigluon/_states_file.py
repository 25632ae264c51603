"""The file behind ``Trainer.save_states`` / ``load_states`` and ``KVStore.save_optimizer_states`` /
``load_optimizer_states``: the optimizer's states in MXNet's ``.params`` binary format (no pickle),
plus one JSON entry (````__trainer_meta__````) for the optimizer's settings and the states' structure. Also
the checks that a loaded file (this format, or MXNet's pickle read by :mod:`minigluon._mxnet_states`)
fits the parameters it is loaded into.
"""
import copy
import json
import struct
import warnings

import numpy as np

from minigluon import _mxnet_states
from minigluon import serialization
from minigluon.base import MXNetFormatError, read_file
from minigluon.ndarray import NDArray, array

META_KEY = '__trainer_meta__'
FORMAT = 'minigluon-trainer-states'


def write_states(fname, optimizer, states, dump_optimizer=True):
    """Write ``states`` (a dict key -> state of an :class:`~minigluon.optimizer.Updater`) and,
    with ``dump_optimizer``, ``optimizer``'s counters, learning rate, scalars and scheduler, to
    ``fname`` atomically (the layout is described in :meth:`Trainer.save_states`). Keys are ints
    (a Trainer's parameter indices); when some key is a str (a KVStore's), the file numbers the
    keys 0, 1, ... and ``key_names`` maps each number to its key."""
    arrays = {}
    structure = {}
    own = optimizer.array_state() if dump_optimizer else {}
    keys = list(states) + [k for k in own if k not in states]
    key_names = None
    if any(isinstance(k, str) for k in keys):
        key_names = {str(i): k for i, k in enumerate(keys)}
        number = {k: i for i, k in enumerate(keys)}
    else:
        number = {k: k for k in keys}
    for key, state in states.items():
        _check_state_kind(state, key)
        structure[str(number[key])] = _flatten_state(state, 'state:%d' % number[key], arrays)
    o = optimizer
    if not dump_optimizer:
        meta = {'format': FORMAT, 'version': 1, 'optimizer': type(o).__name__.lower(),
                'num_update': 0, 'lr': None, 'index_update_count': {}, 'structure': structure,
                'dump_optimizer': False}
    else:
        counts = {str(number[k]): v for k, v in o._index_update_count.items() if k in number} \
            if key_names is not None else {str(k): v for k, v in o._index_update_count.items()}
        meta = {'format': FORMAT, 'version': 1, 'optimizer': type(o).__name__.lower(),
                'num_update': o.num_update, 'lr': o.lr, 'index_update_count': counts,
                'structure': structure, 'scalars': o.scalar_state()}
        if o.lr_scheduler is not None:
            meta['lr_scheduler'] = _scheduler_state(o.lr_scheduler)
        if own:     # arrays the optimizer keeps itself (LBSGD's open gradient sums)
            meta['optimizer_arrays'] = {}
            for key, value in own.items():
                name = 'optimizer:%d' % number[key]
                arrays[name] = value if isinstance(value, NDArray) else \
                    array(value, dtype=value.dtype)
                meta['optimizer_arrays'][str(number[key])] = name
    if key_names is not None:
        meta['key_names'] = key_names
    arrays[META_KEY] = array(np.frombuffer(json.dumps(meta, default=_numpy_scalar).encode('utf-8'),
                                           dtype=np.uint8), dtype=np.uint8)
    serialization.save(fname, arrays)


def read_states(fname):
    """``(meta, arrays)`` of a states file written by :func:`write_states`; MXNetFormatError for
    anything else (an MXNet pickle too: only ``Trainer.load_states`` reads those)."""
    fname = serialization._check_fname(fname, 'load_optimizer_states')
    buf = read_file(fname)
    if _mxnet_states.looks_like_pickle(buf):
        raise MXNetFormatError('%s is a Python pickle (MXNet\'s optimizer states format); '
                               'KVStore.load_optimizer_states reads only minigluon\'s format, '
                               'which KVStore.save_optimizer_states writes. Trainer.load_states '
                               'reads MXNet\'s pickle safely' % fname)
    return _parse_states(buf, fname)


def _parse_states(buf, fname):
    if buf[:8] != struct.pack('<Q', serialization.LIST_MAGIC):
        raise MXNetFormatError(
            '%s is not a Trainer states file: expected either minigluon\'s Trainer.save_states '
            'format (an MXNet .params file, starting with the bytes %s) or MXNet 1.9.1\'s '
            'Trainer.save_states format (a Python pickle of protocol 3 to 5, starting with '
            'the bytes 80 03, 80 04 or 80 05), but it %s'
            % (fname, struct.pack('<Q', serialization.LIST_MAGIC).hex(' '),
               'starts with the bytes %s' % buf[:8].hex(' ') if buf else 'is empty'))
    loaded = serialization._wrap(serialization.loads(buf, source=fname), None)
    return _read_meta(loaded, fname), loaded


def check_optimizer_name(meta, optimizer, fname):
    name = type(optimizer).__name__.lower()
    if meta['optimizer'] != name:
        raise ValueError('%s holds states of optimizer %r, but this Trainer uses %r'
                         % (fname, meta['optimizer'], name))


def state_keys(meta):
    """The file's state numbers (str) mapped to the updater's keys (int, or a KVStore's str)."""
    names = meta.get('key_names') or {}
    numbers = set(meta['structure']) | set(meta['index_update_count']) | \
        set(meta.get('optimizer_arrays', {}))
    return {n: names.get(n, int(n)) for n in numbers}


def apply_optimizer_meta(o, meta, device_ids, keys, optimizer_arrays):
    """Restore ``num_update``, the per-key update counts of every device in ``device_ids``, the
    base learning rate (without a scheduler), a scheduler of the saved class, the scalars and
    the arrays the optimizer keeps (``optimizer_arrays``, from :func:`read_optimizer_arrays`;
    none in the file means none open then)."""
    counts = {keys[k]: v for k, v in meta['index_update_count'].items()}
    o.num_update = meta['num_update']
    if o.lr_scheduler is None and meta.get('lr') is not None:
        o.lr = meta['lr']
    saved = meta.get('lr_scheduler')
    if o.lr_scheduler is not None and isinstance(saved, dict) and \
            saved.get('class') == type(o.lr_scheduler).__name__:
        vars(o.lr_scheduler).update(saved['state'])
    # every device's counts (a device that has not stepped yet has none until now)
    o._restore_update_counts(device_ids, lambda device: counts)
    for key, value in meta.get('scalars', {}).items():     # Nadam's m_schedule, ...
        if key in o.scalar_state():
            setattr(o, key, value)
    o.set_array_state(optimizer_arrays)


def read_optimizer_arrays(meta, loaded, params, optimizer, fname, keys):
    """The arrays the optimizer kept itself (:meth:`Optimizer.array_state`) as the file holds
    them, ``{key: NumPy array}``, checked against the parameters ``params`` (indexed by the
    updater's keys; None: no check) and against what ``optimizer`` keeps (an optimizer that
    keeps none refuses them)."""
    out = {}
    for number, name in meta.get('optimizer_arrays', {}).items():
        if not isinstance(name, str) or name == META_KEY or name not in loaded:
            raise MXNetFormatError('%s: trainer states file has no array %r' % (fname, name))
        out[keys[number]] = loaded[name].asnumpy()
    if params is not None:
        for key, value in out.items():
            _check_array_fits(params, key, value, fname, 'a gradient sum of the optimizer')
    if out and not keeps_arrays(optimizer):
        raise ValueError('%s holds arrays kept by the optimizer itself for the indices %s, but '
                         '%s keeps none' % (fname, sorted(out), type(optimizer).__name__))
    return out


def keeps_arrays(optimizer):
    """Whether ``optimizer`` keeps arrays of its own (:meth:`Optimizer.array_state`: LBSGD's
    open gradient sums), so that a file holding some may be loaded into it."""
    from minigluon.optimizer import Optimizer
    return type(optimizer).set_array_state is not Optimizer.set_array_state


def _fits(expected, shape):
    """Whether an array of ``shape`` fits a parameter of shape ``expected``, where a ``0`` (or
    ``-1``) dimension of a parameter whose shape is not known yet matches any size."""
    expected = expected or ()
    return len(shape) == len(expected) and all(e in (0, -1, d) for e, d in zip(expected, shape))


def _check_array_fits(params, index, value, fname, what):
    """Raise ValueError unless ``index`` names one of ``params`` whose shape ``value`` has."""
    _check_state_indices(params, [index], fname)
    param = params[int(index)]
    if not _fits(param.shape, value.shape):
        raise ValueError("%s holds %s of shape %s for parameter index %d, but that parameter "
                         "('%s') has shape %s; the states were saved for other parameters"
                         % (fname, what, value.shape, int(index), param.name, param.shape))


def _state_to(state, ctx):
    """A state of NumPy arrays (None, array, or nested tuple) as NDArrays on ``ctx``."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(_state_to(s, ctx) for s in state)
    return array(state, ctx=ctx, dtype=state.dtype)


def _state_signature(state):
    """``None``, ``(shape, dtype name)`` of an array, or a tuple of signatures."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return tuple(_state_signature(s) for s in state)
    raw = getattr(state, '_data', state)
    return (tuple(raw.shape), np.dtype(raw.dtype).name)


def _check_mxnet_states_fit(params, optimizer, settings, states, fname):
    """Raise ValueError unless every state index names one of ``params`` and every state has the
    nesting, shapes and dtypes that ``optimizer``, with the file's hyper-parameters, creates for
    that parameter (skipped for a parameter whose shape is not known yet)."""
    probe = copy.copy(optimizer)
    if settings is not None:
        vars(probe).update(settings.attrs)
    _check_state_indices(params, states, fname)
    for index, state in states.items():
        param = params[index]
        shape = tuple(param.shape or ())
        if not shape or any(d <= 0 for d in shape):
            continue
        expected = _state_signature(_probe_state(probe, index, shape, param.dtype))
        got = _state_signature(state)
        if got != expected:
            raise ValueError(
                "%s holds, for parameter index %d ('%s', shape %s, %s), an optimizer state of "
                "layout %s (shape and dtype of each array), but %s with the file's settings keeps "
                "%s for it; the states were saved for other parameters"
                % (fname, index, param.name, shape, np.dtype(param.dtype).name,
                   _mxnet_states.show_layout(got), type(optimizer).__name__,
                   _mxnet_states.show_layout(expected)))


def _numpy_scalar(value):
    """``json.dumps``'s ``default``: a NumPy number (a learning rate or a scheduler's ``base_lr``
    given as ``np.float32``) as the Python number it holds; anything else is a TypeError."""
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


def _scheduler_state(scheduler):
    """The scheduler's class name and its attributes that JSON can hold (numbers, NumPy numbers
    too, strings and lists of them: base_lr, count, cur_step_ind...), which is all the built-in
    schedulers keep."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, (bool, int, float, str, np.bool_, np.integer, np.floating))
    return {'class': type(scheduler).__name__,
            'state': {k: v for k, v in vars(scheduler).items() if plain(v)}}


def _read_meta(loaded, fname):
    """The validated JSON header of a trainer-states file."""

    def bad(why):
        raise MXNetFormatError('%s is not a valid Trainer states file: %s; write it with '
                               'Trainer.save_states' % (fname, why))
    if not isinstance(loaded, dict) or META_KEY not in loaded:
        bad('no %s entry' % META_KEY)
    raw = loaded[META_KEY]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        bad('%s must be a 1-d uint8 array' % META_KEY)
    try:
        meta = json.loads(bytes(raw.asnumpy()).decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        bad('its header is not UTF-8 JSON (%s)' % err)
    if not isinstance(meta, dict) or meta.get('format') != FORMAT:
        bad('unknown format %r' % (meta.get('format') if isinstance(meta, dict) else meta,))
    checks = {'optimizer': str, 'num_update': int, 'index_update_count': dict, 'structure': dict}
    for key, kind in checks.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            bad('%r must be a %s' % (key, kind.__name__))
    if meta.get('lr') is not None and not isinstance(meta['lr'], (int, float)):
        bad("'lr' must be a number")
    sched = meta.get('lr_scheduler')
    if sched is not None and not (isinstance(sched, dict) and isinstance(sched.get('class'), str)
                                  and isinstance(sched.get('state'), dict)):
        bad("'lr_scheduler' must hold a 'class' name and a 'state' object")
    for k, v in list(meta['index_update_count'].items()) + list(meta['structure'].items()):
        if not k.lstrip('-').isdigit():
            bad('state index %r is not an integer' % k)
    for v in meta['index_update_count'].values():
        if not isinstance(v, int) or isinstance(v, bool):
            bad('update counts must be integers')
    arrays = meta.get('optimizer_arrays', {})
    if not isinstance(arrays, dict) or not all(
            k.lstrip('-').isdigit() and isinstance(v, str) for k, v in arrays.items()):
        bad("'optimizer_arrays' must map state numbers to array names")
    names = meta.get('key_names', {})
    if not isinstance(names, dict) or not all(
            k.isdigit() and isinstance(v, (int, str)) and not isinstance(v, bool)
            for k, v in names.items()):
        bad("'key_names' must map state numbers to int or str keys")
    if not isinstance(meta.get('dump_optimizer', True), bool):
        bad("'dump_optimizer' must be true or false")
    scalars = meta.get('scalars', {})
    if not isinstance(scalars, dict) or not all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in scalars.values()):
        bad("'scalars' must map names to numbers or null")
    return meta


def _check_state_indices(params, indices, fname):
    """Raise ValueError unless every state index (an int, or its string) names one of ``params``."""
    for key in indices:
        index = int(key)
        if not 0 <= index < len(params):
            raise ValueError('%s holds optimizer states for parameter index %d, but this Trainer has '
                             '%d parameters (0..%d); the states were saved for other parameters'
                             % (fname, index, len(params), len(params) - 1))


def _check_states_fit(params, structure, states, fname, optimizer=None):
    """Raise ValueError unless every saved state index names one of ``params`` and every state
    array has its parameter's shape (an unknown ``0`` dimension of a deferred parameter
    matches), or a shape ``optimizer`` makes state arrays of for that parameter (GroupAdaGrad's
    history is ``(rows, 1)``)."""
    _check_state_indices(params, structure, fname)
    for index, state in states.items():
        param = params[index]
        expected = param.shape or ()
        own = _state_shapes(optimizer, index, expected, param.dtype)
        for arr in _state_leaves(state):
            if tuple(arr.shape) not in own and not _fits(expected, arr.shape):
                raise ValueError("%s holds an optimizer state of shape %s for parameter index %d, but "
                                 "that parameter ('%s') has shape %s; the states were saved for other "
                                 "parameters" % (fname, arr.shape, index, param.name, param.shape))


def _state_shapes(optimizer, index, shape, dtype):
    """The shapes of the arrays ``optimizer`` makes as the state of a weight of ``shape`` and
    ``dtype`` (an empty set without an optimizer, or for a shape not known yet)."""
    shape = tuple(shape or ())
    if optimizer is None or not shape or any(d <= 0 for d in shape):
        return set()
    try:
        return {tuple(leaf.shape) for leaf in
                _state_leaves(_probe_state(optimizer, index, shape, dtype))}
    except Exception:       # noqa: BLE001 -- a user's optimizer: the parameter's shape only
        return set()


def _probe_state(optimizer, index, shape, dtype):
    """The state ``optimizer`` creates for parameter ``index``, a weight of ``shape`` and
    ``dtype``: made on a copy of the optimizer (creating a state changes nothing it keeps) for an
    NDArray of zeros, as the Updater passes (a user's ``create_state`` may read
    ``weight.context``). The checks of both states formats probe through here."""
    dtype = np.dtype(dtype or np.float32)
    weight = array(np.zeros(shape, dtype=dtype), dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')          # the float16 accuracy advice
        return copy.copy(optimizer).create_state_multi_precision(index, weight)


def _state_leaves(state):
    if state is None:
        return []
    if isinstance(state, tuple):
        return [leaf for s in state for leaf in _state_leaves(s)]
    return [state]


def _check_state_kind(state, key):
    """Raise a TypeError naming the parameter index ``key`` unless ``state`` (what the
    optimizer's ``create_state`` made) is None, an array or nested lists/tuples of those: what
    this file can hold without pickle (MXNet 1.9.1 pickles any Python object)."""
    if state is None or hasattr(state, 'dtype') and hasattr(state, 'shape'):
        return
    if isinstance(state, (list, tuple)):
        for s in state:
            _check_state_kind(s, key)
        return
    raise TypeError('save_states: the optimizer state of parameter %r holds a value of type %s; '
                    'minigluon saves states made of None, NDArrays (or NumPy arrays) and lists or '
                    'tuples of them (no pickle): have create_state return those (nd.array([x]) '
                    'for a number) and keep other values on the optimizer'
                    % (key, type(state).__name__))


def _flatten_state(state, key, arrays):
    """JSON spec of a state (None, array, or nested tuple), storing arrays under derived keys."""
    if state is None:
        return None
    if isinstance(state, (list, tuple)):
        return [_flatten_state(s, '%s:%d' % (key, i), arrays) for i, s in enumerate(state)]
    arrays[key] = state if isinstance(state, NDArray) else array(state, dtype=state.dtype)
    return key


def _unflatten_state(spec, loaded, ctx, fname='', depth=0):
    if spec is None:
        return None
    if isinstance(spec, list) and depth < _mxnet_states.MAX_DEPTH:
        return tuple(_unflatten_state(s, loaded, ctx, fname, depth + 1) for s in spec)
    if not isinstance(spec, str) or spec == META_KEY or spec not in loaded:
        raise MXNetFormatError('%s: trainer states file has no array %r' % (fname, spec))
    return loaded[spec].copyto(ctx)
