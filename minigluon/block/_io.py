"""Parameter files of a Block: ``save_parameters``/``load_parameters`` and the deprecated ``*_params``.

Two naming systems meet here (docs/MXNET_SPEC.md section 9): structural keys (``body.0.weight``) written
by ``save_parameters``, and prefixed names (``dense0_weight``, ``arg:mlp0_dense0_weight``) written by
``save_params`` and ``export``. Loads are all-or-nothing: the file is read and every entry checked
before any Parameter changes (:func:`minigluon.parameter_dict.load_pairs`).

Semantics follow MXNet 1.9.1 ``python/mxnet/gluon/block.py`` (``Block.save_parameters``,
``Block.load_parameters``, ``Block.save_params``); the file format is :mod:`minigluon.serialization`.
docs/DESIGN.md, "Following a save and a load", walks through these functions in call order.
"""
from collections import OrderedDict

from minigluon import serialization
from minigluon.base import brief_list
from minigluon.parameter import ParameterMismatchError
from minigluon.parameter_dict import (_named_arrays, extra_parameter_error, load_pairs,
                                      missing_parameter_error)


def save_parameters(block, filename, deduplicate=False):
    """Write ``block``'s Parameters to ``filename`` under their structural names.

    The entries are :func:`structural_arrays`, written by :func:`minigluon.serialization.save`:
    MXNet's ``.params`` layout, to a temporary file renamed over ``filename``.

    Raises
    ------
    RuntimeError
        When a Parameter has no data yet (not initialized, or its shape still waits for data).
    """
    serialization.save(filename, structural_arrays(block, deduplicate))


def structural_arrays(block, deduplicate=False):
    """``{structural name: array}`` as :func:`save_parameters` writes it (and ``Block.save``
    its ``-model.params``): each Parameter's ``_reduce()`` (the mean of its per-context copies,
    on the CPU), in ``_collect_params_with_prefix`` order (own Parameters, then each child's);
    with ``deduplicate``, a Parameter reachable under several names once
    (:func:`_last_key_per_parameter`).

    Raises
    ------
    RuntimeError
        When a Parameter has no data yet.
    """
    params = block._collect_params_with_prefix()
    if deduplicate:
        params = _last_key_per_parameter(params)
    return OrderedDict((key, param._reduce()) for key, param in params.items())


def _last_key_per_parameter(params):
    """``params`` (structural name -> Parameter) with each Parameter once: under the last of its
    names (MXNet's observed behaviour), at the position of its first."""
    last_key = {}
    for key, param in params.items():
        last_key[param] = key
    return OrderedDict((key, param) for param, key in last_key.items())


def load_parameters(block, filename, ctx=None, allow_missing=False, ignore_extra=False,
                    cast_dtype=False, dtype_source='current'):
    """Load ``filename`` into ``block``'s Parameters (``Block.load_parameters``).

    The steps: read and parse the whole file (:func:`minigluon.serialization.load`, then
    :func:`_named_arrays`); tell a structural-name file from a prefixed-name one
    (:func:`_is_prefixed_file`); pair each entry with its Parameter, raising on a missing or extra
    name unless ``allow_missing`` / ``ignore_extra`` (:func:`_pairs_by_structural_name` or
    :func:`_pairs_by_prefixed_name`); then :func:`load_pairs` checks every pair's shape, dtype and
    context before it assigns any, so a failed load changes nothing.
    """
    loaded = _named_arrays(serialization.load(filename), filename)
    params = block._collect_params_with_prefix()
    if not loaded and not params:
        return
    if _is_prefixed_file(loaded, params):
        pairs = _pairs_by_prefixed_name(block, loaded, filename, allow_missing, ignore_extra)
    else:
        pairs = _pairs_by_structural_name(params, loaded, filename, allow_missing, ignore_extra)
    load_pairs(pairs, ctx, cast_dtype, dtype_source, filename)


def _is_prefixed_file(loaded, params):
    """Whether the file's names are prefixed names (``dense0_weight``, ``arg:dense0_weight``):
    no name holds a ``'.'``, unless every name is a structural name of this block (a
    SymbolBlock's own ``save_parameters`` file: ``0_weight``, which MXNet cannot load back)."""
    return not any('.' in key for key in loaded) and not set(loaded) <= set(params)


def _pairs_by_structural_name(params, loaded, filename, allow_missing, ignore_extra):
    """``[(Parameter, NDArray)]`` for a ``save_parameters`` file, matched by structural name.

    A Parameter reachable under several names (shared between children) is present when any of
    them is in the file. Missing Parameters are checked first, then extra names (MXNet's order
    and wording).
    """
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
    return pairs


def _pairs_by_prefixed_name(block, loaded, filename, allow_missing, ignore_extra):
    """``[(Parameter, NDArray)]`` for a file keyed by full or prefix-stripped names (``save_params``,
    ``export``).

    When every key (less an ``arg:``/``aux:`` tag) is the full name of one of the block's
    parameters, keys are full names (``export``, ``nd.save`` of ``collect_params()``); otherwise
    a key is first read as a name with the block's prefix stripped (``save_params``). Deciding
    per file matters where a full name is also another parameter's stripped name (a
    ``HybridSequential`` child of a ``HybridSequential``: ``hybridsequential0_hybridsequential0_x``
    is both). Extra names are checked first, then missing Parameters."""
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
                raise extra_parameter_error(key, "file '%s'" % filename, by_name.keys())
            continue
        covered.add(name)
        pairs.append((by_name[name], value))
    if not allow_missing:
        for name in by_name.keys():
            if name not in covered:
                raise missing_parameter_error(name, "file '%s'" % filename, loaded.keys())
    return pairs


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
