"""``ParameterDict``: an ordered map from full parameter names to Parameters, with a name prefix.

Semantics follow ``mxnet.gluon.ParameterDict`` (MXNet 1.9.1; docs/MXNET_SPEC.md section 3.4). Blocks own
one each (``block.params``); ``block.collect_params()`` builds one over a whole tree. Files are read
and written with :mod:`minigluon.serialization` (MXNet's ``.params`` format).
"""
import warnings
from collections import OrderedDict

import numpy as np

from minigluon import initializer
from minigluon.base import MXNetFormatError, brief_list
from minigluon.ndarray import NDArray
from minigluon.parameter import Constant, Parameter, ParameterMismatchError


def missing_parameter_error(name, where, loaded_names):
    """The error for a Parameter ``name`` that a load found no value for in ``where`` (``"file
    'x.params'"`` or ``'param_dict'``), listing what ``where`` holds (MXNet's wording)."""
    return ParameterMismatchError(
        "Parameter '%s' is missing in %s, which contains parameters: %s. Please make sure source "
        "and target networks have the same prefix, or set allow_missing=True."
        % (name, where, brief_list(loaded_names)))


def extra_parameter_error(name, where, choices):
    """The error for an entry ``name`` of ``where`` (``"file 'x.params'"`` or ``'param_dict'``)
    that a load matched to no Parameter, listing the Parameter names ``choices`` (MXNet's
    wording); ``ParameterDict.load_dict`` and ``Block.load_parameters`` of a prefixed-name file
    raise it unless ``ignore_extra``. A name with ``export``'s ``arg:`` / ``aux:`` tag adds how
    to load an exported model."""
    hint = ''
    if name.startswith(('arg:', 'aux:')):
        hint = (" Its names carry 'arg:' / 'aux:', as HybridBlock.export writes them: load the "
                "exported model with gluon.SymbolBlock.imports(symbol_file, input_names, "
                "param_file), or this file into a network whose prefix is the exported one's.")
    return ParameterMismatchError(
        "Parameter '%s' loaded from %s is not present in ParameterDict, choices are: %s. Set "
        "ignore_extra to True to ignore. Please make sure source and target networks have the "
        "same prefix.%s" % (name, where, brief_list(choices), hint))


class ParameterDict:
    """Parameters by full name (``prefix + name``), optionally sharing another dict's entries.

    Parameters
    ----------
    prefix : str, default ''
        Prepended to names given to :meth:`get`.
    shared : ParameterDict, optional
        :meth:`get` takes a parameter from here (instead of creating it) when the name exists.
    """

    def __init__(self, prefix='', shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        body = '\n'.join('  ' + repr(p) for p in self.values())
        head = '{name} (\n' if self._prefix else '{name}(\n'
        return (head + '{content}\n)').format(name=self._prefix, content=body)

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """The prefix prepended to names given to :meth:`get`."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter ``prefix + name``, created with ``kwargs`` if absent (here and in ``shared``).

        When it exists, each given attribute must agree with the stored one (shapes may fill each
        other's unknown ``0`` dimensions; attributes stored as None are simply set).

        Raises
        ------
        ParameterMismatchError
            When a given attribute conflicts with the stored parameter's.
        """
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for key, value in kwargs.items():
            if key == 'allow_deferred_init':
                param._allow_deferred_init = param._allow_deferred_init or bool(value)
                continue
            existing = getattr(param, key, None)
            if existing is None:
                setattr(param, key, value)
                continue
            if key == 'shape':
                value = (value,) if isinstance(value, int) else value
                merged = _merge_shapes(tuple(value), tuple(existing)) if value is not None else existing
                if merged is not None:
                    param._shape = merged
                    continue
            elif key == 'dtype' and value is not None and np.dtype(value) == np.dtype(existing):
                continue
            if value is not None and value != existing:
                raise ParameterMismatchError(
                    "Cannot retrieve Parameter '%s' because desired attribute does not match with "
                    "stored for attribute '%s': desired '%s' vs stored '%s'."
                    % (name, key, value, existing))
        return param

    def get_constant(self, name, value=None):
        """The Constant ``prefix + name``, created from ``value`` if absent.

        Raises
        ------
        KeyError
            When absent and no ``value`` is given.
        ParameterMismatchError
            When it exists but is not a Constant, or holds a different value.
        """
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError("No constant named '{}'. Please specify value if you want to create a "
                               "new constant.".format(name))
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise ParameterMismatchError("Parameter '{}' already exists but it is not a "
                                             "constant.".format(name))
            if isinstance(value, NDArray):
                value = value.asnumpy()
            value = np.asarray(value)
            if param.shape != value.shape or not (param.value.asnumpy() == value).all():
                raise ParameterMismatchError("Constant '{}' already exists but its value doesn't "
                                             "match new value".format(name))
        return param

    def update(self, other):
        """Copy the entries of ``other`` (a ParameterDict or dict) into this one.

        Raises
        ------
        ParameterMismatchError
            When a name is bound to different Parameter objects here and in ``other``.
        """
        for key, value in other.items():
            if key in self._params and self._params[key] is not value:
                raise ParameterMismatchError(
                    "Cannot update self with other because they have different Parameters with the "
                    "same name '%s'" % key)
        for key, value in other.items():
            self._params[key] = value

    def initialize(self, init=None, ctx=None, verbose=False, force_reinit=False):
        """Initialize every Parameter; ``init`` (default ``Uniform()``) applies where a parameter has none.

        Parameters
        ----------
        init : Initializer, default Uniform(scale=0.07)
        ctx : Context or list of Context, optional
        verbose : bool
            Print each initialization.
        force_reinit : bool
            Re-initialize parameters that already have data.
        """
        if init is None:
            init = initializer.Uniform()
        if verbose and isinstance(init, initializer.Initializer):
            init.set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient buffer to 0."""
        for param in self.values():
            param.zero_grad()

    def reset_ctx(self, ctx):
        """Move every Parameter to ``ctx``."""
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self):
        """The contexts of all Parameters, without duplicates, in first-seen order."""
        seen = []
        for param in self.values():
            for ctx in param.list_ctx():
                if ctx not in seen:
                    seen.append(ctx)
        return seen

    def setattr(self, name, value):
        """Set attribute ``name`` (e.g. ``'grad_req'``, ``'lr_mult'``) on every Parameter.

        On an empty dict made by a ``collect_params(select)`` whose pattern matched none of the
        block's Parameters it warns (a ``UserWarning``; MXNet 1.9.1 is silent): the usual cause is
        a pattern written with attribute names (``'.*encoder.*'``) where the names are prefixes
        (``'model0_dense0_weight'``). The empty dict of a block without Parameters (a pooling or
        activation layer, met when freezing layer by layer) changes nothing silently."""
        if not self._params and getattr(self, '_unmatched_select', None):
            warnings.warn('ParameterDict.setattr(%r, ...) changes nothing: the dict is empty. A '
                          'collect_params(select) pattern matches full Parameter names such as '
                          "'dense0_weight' (print net.collect_params().keys()), not attribute "
                          "names; for the Parameters of a child block held as net.fc1, call "
                          "net.fc1.collect_params()" % (name,), stacklevel=2)
        for param in self.values():
            setattr(param, name, value)

    def save(self, filename, strip_prefix=''):
        """Write every Parameter (averaged over contexts) to ``filename``, keys without ``strip_prefix``.

        Raises
        ------
        ValueError
            When a parameter name does not start with ``strip_prefix`` (nothing is written).
        """
        from minigluon import serialization
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(
                    "Prefix '{}' is to be striped before saving, but Parameter's name '{}' does not "
                    "start with '{}'. this may be due to your Block shares parameters from other "
                    "Blocks or you forgot to use 'with name_scope()' when creating child blocks. For "
                    "more info on naming, please see https://mxnet.apache.org/api/python/docs/"
                    "tutorials/packages/gluon/blocks/naming.html".format(strip_prefix, param.name,
                                                                         strip_prefix))
        arg_dict = OrderedDict((p.name[len(strip_prefix):], p._reduce()) for p in self.values())
        serialization.save(filename, arg_dict)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix='',
             cast_dtype=False, dtype_source='current'):
        """Load Parameters from a ``.params`` file (``arg:``/``aux:`` key prefixes are stripped).

        See :meth:`load_dict` for the arguments and errors; the file is read completely and checked
        before any Parameter changes.
        """
        from minigluon import serialization
        loaded = serialization.load(filename)
        self.load_dict(_named_arrays(loaded, filename), ctx, allow_missing, ignore_extra, restore_prefix,
                       filename, cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False, restore_prefix='',
                  filename=None, cast_dtype=False, dtype_source='current'):
        """Load Parameters from a dict of NDArrays (keys are names minus ``restore_prefix``).

        Parameters
        ----------
        param_dict : dict of str to NDArray
        ctx : Context or list of Context, optional
            Where uninitialized parameters are created (default cpu).
        allow_missing : bool
            Do not fail when a parameter has no entry.
        ignore_extra : bool
            Do not fail on entries that match no parameter.
        restore_prefix : str
            Prepended to every key.
        filename : str, optional
            Named in error messages.
        cast_dtype : bool
            Convert between the saved and the current dtype instead of failing.
        dtype_source : {'current', 'saved'}
            With ``cast_dtype``, which dtype wins.

        Raises
        ------
        ParameterMismatchError
            On a missing or extra entry, a shape/dtype mismatch, or a Parameter whose name does
            not start with ``restore_prefix``; every Parameter is left as it was (all entries are
            checked before any is assigned).
        """
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise ParameterMismatchError(
                        "restore_prefix is '%s' but Parameter's name '%s' does not start with '%s'"
                        % (restore_prefix, name, restore_prefix))
        arg_dict = OrderedDict()
        for key, value in param_dict.items():
            if key.startswith(('arg:', 'aux:')):
                key = key[4:]
            arg_dict[restore_prefix + key] = value
        where = "file '%s'" % filename if filename else 'param_dict'
        if not allow_missing:
            for name in self.keys():
                if name not in arg_dict:
                    raise missing_parameter_error(name[len(restore_prefix):], where, arg_dict.keys())
        pairs = []
        for name, value in arg_dict.items():
            if name not in self._params:
                if not ignore_extra:
                    raise extra_parameter_error(name[len(restore_prefix):], where, self.keys())
                continue
            pairs.append((self._params[name], value))
        load_pairs(pairs, ctx, cast_dtype, dtype_source, filename)


def load_pairs(pairs, ctx, cast_dtype, dtype_source, filename):
    """Check every ``(Parameter, NDArray)`` pair, then load them all (all-or-nothing).

    The checks catch every mismatch we can foresee; should the assignment itself still fail
    (a device error, an interrupt), every Parameter is restored to its previous attributes and
    values before the exception propagates.
    """
    for param, value in pairs:
        param._check_load(value, ctx, cast_dtype, dtype_source, filename)
    snapshots = {}
    for param, _ in pairs:
        if id(param) not in snapshots:
            snapshots[id(param)] = (param, _snapshot(param))
    try:
        for param, value in pairs:
            param._load_init(value, ctx, cast_dtype, dtype_source, filename)
    except BaseException:
        for param, snap in snapshots.values():
            _restore(param, snap)
        raise


def _snapshot(param):
    """A parameter's attributes, plus a copy of each data array's buffer (set_data writes in place)."""
    arrays = [(arr, arr._data, arr._data.copy()) for arr in (param._data or ())]
    return dict(vars(param)), arrays


def _restore(param, snap):
    """Put back what :func:`_snapshot` took: the attributes, and each buffer's values in place."""
    attrs, arrays = snap
    vars(param).clear()
    vars(param).update(attrs)
    for arr, buf, saved in arrays:
        buf[...] = saved
        arr._data = buf


def _named_arrays(loaded, filename):
    """The dict read from a ``.params`` file; an empty list (empty file) counts as an empty dict.
    A ``Trainer.save_states`` file (also a ``.params`` file, of optimizer states) is refused
    saying so, rather than as a file whose every name is a missing or extra parameter."""
    if isinstance(loaded, dict):
        from minigluon._states_file import META_KEY
        if META_KEY in loaded:
            raise MXNetFormatError("File '%s' holds optimizer states (written by "
                                   "Trainer.save_states), not parameters: load it with "
                                   "trainer.load_states, and the parameters from the file "
                                   "save_parameters wrote" % filename)
        return loaded
    if not loaded:
        return {}
    raise MXNetFormatError("File '%s' holds %d unnamed arrays (saved from a list); parameters need a "
                           "file saved from a dict of names" % (filename, len(loaded)))


def _merge_shapes(given, stored):
    """Merge two shapes whose unknown (0 or -1) dims fill each other; None when they conflict."""
    if len(given) != len(stored):
        return None
    merged = []
    for a, b in zip(given, stored):
        if a == b:
            merged.append(a)
        elif a in (0, -1):
            merged.append(b)
        elif b in (0, -1):
            merged.append(a)
        else:
            return None
    return tuple(merged)
