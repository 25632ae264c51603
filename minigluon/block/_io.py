"""Parameter files of a Block: ``save_parameters``/``load_parameters`` and the deprecated ``*_params``.

Two naming systems meet here (docs/MXNET_SPEC.md section 9): structural keys (``body.0.weight``) written
by ``save_parameters``, and prefixed names (``dense0_weight``, ``arg:mlp0_dense0_weight``) written by
``save_params`` and ``export``. Loads are all-or-nothing: the file is read and every entry checked
before any Parameter changes.
"""
from collections import OrderedDict

from minigluon import serialization
from minigluon.base import brief_list
from minigluon.parameter import ParameterMismatchError
from minigluon.parameter_dict import _named_arrays, load_pairs, missing_parameter_error


def save_parameters(block, filename, deduplicate=False):
    params = block._collect_params_with_prefix()
    if deduplicate:
        # A Parameter reachable under several keys keeps the last one (MXNet's observed behaviour),
        # at the position of its first occurrence.
        last_key = {}
        for key, param in params.items():
            last_key[param] = key
        params = OrderedDict((key, param) for param, key in last_key.items())
    arg_dict = OrderedDict((key, param._reduce()) for key, param in params.items())
    serialization.save(filename, arg_dict)


def load_parameters(block, filename, ctx=None, allow_missing=False, ignore_extra=False,
                    cast_dtype=False, dtype_source='current'):
    loaded = _named_arrays(serialization.load(filename), filename)
    params = block._collect_params_with_prefix()
    if not loaded and not params:
        return
    # No '.' in any key: a prefixed-name file, unless every key is a structural key of this block
    # (a SymbolBlock's own save_parameters file: '0_weight'; MXNet cannot load it back).
    if not any('.' in key for key in loaded) and not set(loaded) <= set(params):
        _load_prefixed(block, loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source)
        return
    if not allow_missing:
        aliases = {}
        for key, param in params.items():
            aliases.setdefault(param, []).append(key)
        for key, param in params.items():
            if not any(alias in loaded for alias in aliases[param]):
                raise ParameterMismatchError(
                    "Parameter '%s' is missing in file '%s', which contains parameters: %s. Set "
                    "allow_missing=True to ignore missing parameters."
                    % (key, filename, brief_list(loaded.keys())))
    pairs = []
    for key, value in loaded.items():
        if key not in params:
            if not ignore_extra:
                raise ParameterMismatchError(
                    "Parameter '%s' loaded from file '%s' is not present in the block, which contains "
                    "parameters %s. Set ignore_extra=True to ignore."
                    % (key, filename, brief_list(params.keys())))
            continue
        pairs.append((params[key], value))
    load_pairs(pairs, ctx, cast_dtype, dtype_source, filename)


def _load_prefixed(block, loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype, dtype_source):
    """Load a file keyed by full or prefix-stripped names (``save_params``, ``export``).

    When every key (less an ``arg:``/``aux:`` tag) is the full name of one of the block's
    parameters, keys are full names (``export``, ``nd.save`` of ``collect_params()``); otherwise
    a key is first read as a name with the block's prefix stripped (``save_params``). Deciding
    per file matters where a full name is also another parameter's stripped name (a
    ``HybridSequential`` child of a ``HybridSequential``: ``hybridsequential0_hybridsequential0_x``
    is both)."""
    by_name = block.collect_params()
    prefix = block.prefix
    names = [key[4:] if key.startswith(('arg:', 'aux:')) else key for key in loaded]
    whole = all(name in by_name._params for name in names)
    pairs = []
    covered = set()
    for key, name, value in zip(loaded.keys(), names, loaded.values()):
        if not whole and prefix + name in by_name._params:
            name = prefix + name
        elif name not in by_name._params:
            if not ignore_extra:
                raise ParameterMismatchError(
                    "Parameter '%s' loaded from file '%s' is not present in ParameterDict, choices "
                    "are: %s. Set ignore_extra to True to ignore. Please make sure source and target "
                    "networks have the same prefix." % (key, filename, brief_list(by_name.keys())))
            continue
        covered.add(name)
        pairs.append((by_name[name], value))
    if not allow_missing:
        for name in by_name.keys():
            if name not in covered:
                raise missing_parameter_error(name, "file '%s'" % filename, loaded.keys())
    load_pairs(pairs, ctx, cast_dtype, dtype_source, filename)


def save_params(block, filename):
    """Prefixed-name save; names outside the block's prefix (children built without ``name_scope``)
    are kept whole instead of failing as in MXNet, and :func:`load_parameters` reads them back."""
    prefix = block.prefix
    arg_dict = OrderedDict()
    for name, param in block.collect_params().items():
        key = name[len(prefix):] if prefix and name.startswith(prefix) else name
        if key in arg_dict:
            raise ValueError("save_params: parameters '%s' and '%s%s' would both be saved as '%s'; "
                             "use save_parameters instead" % (name, prefix, key, key))
        arg_dict[key] = param._reduce()
    serialization.save(filename, arg_dict)
