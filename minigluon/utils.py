"""``gluon.utils``: split_data, split_and_load, clip_global_norm, check_sha1, shape_is_known,
replace_file, download, HookHandle.

Semantics follow ``mxnet.gluon.utils`` (MXNet 1.9.1). ``download`` never reaches the network: it
returns a file that is already in place, as MXNet's does, and otherwise says where to copy it.
"""
from minigluon import base as _base
import hashlib
import math
import operator
import os
import warnings

import numpy as np

from minigluon import backend
from minigluon.block.hooks import HookHandle  # noqa: F401  (MXNet also exports it from gluon.utils)
from minigluon.block.block import _indent  # noqa: F401  (MXNet's private helper; GluonNLP imports it)
from minigluon.ndarray import NDArray, array

__all__ = ['split_data', 'split_and_load', 'clip_global_norm', 'check_sha1', 'shape_is_known',
           'replace_file', 'download', 'HookHandle']


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split an NDArray into ``num_slice`` slices along ``batch_axis``.

    Slicing is recorded by autograd. With ``even_split=False`` the first ``size % num_slice``
    slices hold one extra element (7 rows into 3 slices: 3, 2, 2), and when the axis is shorter
    than ``num_slice`` the trailing slices are empty, as in MXNet 1.9.1.

    Raises
    ------
    ValueError
        When the axis length is not a multiple of ``num_slice`` and ``even_split`` is True.
    """
    if not isinstance(data, NDArray):
        raise TypeError('split_data: data must be an NDArray, got %s' % type(data).__name__)
    if not -data.ndim <= batch_axis < data.ndim:
        raise ValueError('split_data: batch_axis %d out of range for shape %s' % (batch_axis, data.shape))
    if isinstance(num_slice, bool) or not isinstance(num_slice, (int, np.integer)) or num_slice < 1:
        raise ValueError('split_data: num_slice must be a positive int, got %r' % (num_slice,))
    batch_axis %= data.ndim
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            "data with shape %s cannot be evenly split into %d slices along axis %d. Use a batch "
            "size that's multiple of %d or set even_split=False to allow uneven partitioning of data."
            % (data.shape, num_slice, batch_axis, num_slice))
    if num_slice == 1:
        return [data]
    each, extras = divmod(size, num_slice)
    slices, start = [], 0
    for i in range(num_slice):
        stop = start + each + (1 if i < extras else 0)
        key = (slice(None),) * batch_axis + (slice(start, stop),)
        slices.append(data[key])
        start = stop
    return slices


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split ``data`` along ``batch_axis`` and put slice ``i`` on ``ctx_list[i]``.

    ``data`` may be an NDArray or anything ``nd.array`` accepts (then created on ``ctx_list[0]``).
    """
    if not isinstance(data, NDArray):
        data = array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Rescale ``arrays`` in place so that their joint L2 norm is at most ``max_norm``.

    ``scale = min(1, max_norm / (total_norm + 1e-8))``; not recorded by autograd.

    To clip a network's gradients, call it between ``backward()`` and ``trainer.step()``::

        grads = [p.grad() for p in net.collect_params().values() if p.grad_req != 'null']
        gluon.utils.clip_global_norm(grads, max_norm)

    (parameters with ``grad_req='null'``, such as BatchNorm's running statistics, have no
    gradient). Those are the gradients of the loss *summed* over the batch (``loss.backward()``
    of a per-sample loss; ``trainer.step(batch_size)`` divides by the batch size afterwards),
    so to bound the gradient of the batch's mean loss pass ``max_norm * batch_size``, as
    MXNet's word language model example does.

    Returns
    -------
    numpy scalar or NDArray
        The norm before clipping, in the dtype of ``arrays[0]``: a NumPy scalar
        (``numpy.float32`` for float32 arrays, as MXNet 1.9.1 returns) when ``check_isfinite``
        (which warns with a UserWarning if it is NaN or infinite), else a 1-element NDArray (no
        host sync needed). Arrays of float64 work (MXNet 1.9.1 fails on them in ``concat``).

    Raises
    ------
    ValueError
        For an empty list.
    TypeError
        When an item is not an NDArray, such as a ``Parameter`` (pass ``p.grad()``, as above;
        MXNet 1.9.1 fails with ``AttributeError: 'Parameter' object has no attribute 'context'``).
    """
    if not arrays:
        raise ValueError('clip_global_norm: arrays must be a non-empty list of NDArrays')
    for arr in arrays:
        if not isinstance(arr, NDArray):
            raise TypeError('clip_global_norm: arrays must be NDArrays (the gradients: '
                            '[p.grad() for p in net.collect_params().values() '
                            "if p.grad_req != 'null']), got %s" % type(arr).__name__)
    ctx = arrays[0].context
    total = 0.0
    for arr in arrays:
        flat = arr._data.reshape(-1).astype(np.float64) if arr._data.dtype == np.float16 else arr._data.reshape(-1)
        total = total + backend.to_numpy(flat.dot(flat)).astype(np.float64)
    total_norm = float(np.sqrt(total))
    if check_isfinite and not math.isfinite(total_norm):
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be undefined.'), stacklevel=2)
    scale = min(max_norm / (total_norm + 1e-8), 1.0)
    with np.errstate(invalid='ignore'):     # inf * 0 after a non-finite norm: warned above
        for arr in arrays:
            arr._data *= arr._data.dtype.type(scale)
    dtype = arrays[0].dtype
    if check_isfinite:
        return np.dtype(dtype).type(total_norm)
    return array([total_norm], ctx=ctx, dtype=dtype)


def check_sha1(filename, sha1_hash):
    """True if the SHA-1 hex digest of the file ``filename`` equals ``sha1_hash``."""
    sha1 = hashlib.sha1()
    with open(filename, 'rb') as f:
        for chunk in iter(lambda: f.read(1048576), b''):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Move the file ``src`` to ``dst`` in one step, replacing ``dst`` if it exists
    (``os.replace``: atomic when both are on one file system). MXNet 1.9.1's
    ``gluon.utils.replace_file``; the last step of a write-then-rename save.

    Raises
    ------
    FileNotFoundError
        If ``src`` does not exist (also an ``MXNetError``).
    """
    from minigluon.base import as_mxnet_error
    try:
        os.replace(src, dst)
    except OSError as err:
        raise as_mxnet_error(err) from None


def shape_is_known(shape):
    """Whether every dimension of ``shape`` is known, in MXNet's legacy shape semantics.

    A 0 dimension means "unknown" (a deferred shape, ``Dense(3)`` before its first call), and so
    does an empty shape or ``None`` (MXNet 1.9.1 ``gluon.utils.shape_is_known`` outside NumPy-shape
    mode, the only mode minigluon has). ``(2, 3)`` is known; ``(2, 0)``, ``()`` and ``None`` are not.

    Parameters
    ----------
    shape : tuple or list of int, or None

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        When ``shape`` is not None or a sequence of ints.
    ValueError
        For a negative dimension before the first 0 (MXNet fails an assertion there).
    """
    if shape is None:
        return False
    try:
        dims = [operator.index(d) for d in shape]
    except TypeError:
        raise TypeError('shape_is_known: shape must be None or a sequence of ints, got %r'
                        % (shape,)) from None
    for d in dims:
        if d == 0:
            return False
        if d < 0:
            raise ValueError('shape_is_known: shape dimensions cannot be negative, got %r'
                             % (tuple(dims),))
    return bool(dims)


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """The local file that MXNet 1.9.1's ``gluon.utils.download(url, ...)`` would return, without
    reaching the network (downloading is out of scope in minigluon, docs/PORTING.md).

    The file name follows MXNet: ``path`` when it names a file, ``path/<last part of url>`` when it
    is a folder, ``<last part of url>`` in the working folder when ``path`` is None (``~`` in
    ``path`` is expanded). When that file exists, ``overwrite`` is False and ``sha1_hash`` is None
    or the file's SHA-1 hex digest, MXNet downloads nothing and returns its name: so does this.
    ``retries`` and ``verify_ssl`` are checked as MXNet does and otherwise unused.

    Returns
    -------
    str
        The file name.

    Raises
    ------
    MXNetFileNotFoundError
        (a ``FileNotFoundError`` and a ``RuntimeError``, as MXNet's failed downloads) when MXNet
        would download: the file is missing, its SHA-1 differs, or ``overwrite`` is True. The
        message names the URL and the path to copy it to.
    ValueAssertionError
        (a ``ValueError`` and MXNet's ``AssertionError``) if ``url`` ends in '/' and ``path`` is
        None (no file name), or ``retries`` < 0.
    """
    if not isinstance(url, str):
        raise _base.MXNetTypeError('download: url must be a str, got %s' % type(url).__name__)
    if path is None:
        fname = url.split('/')[-1]
        if not fname:
            raise _base.ValueAssertionError('download: cannot make a file name from url %r (it ends in '
                                        "'/'); pass path=" % (url,))
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split('/')[-1]) if os.path.isdir(path) else path
    _check_retries(retries)
    return _file_in_place('download', url, fname, overwrite, sha1_hash)


def _get_repo_url():
    """The base URL of MXNet's dataset and model repository, ending in '/': ``$MXNET_GLUON_REPO``
    when set, else MXNet 1.9.1's default S3 bucket. Private in MXNet's ``gluon.utils`` too;
    GluonNLP 0.10 imports it to name the files it would download."""
    repo = os.environ.get('MXNET_GLUON_REPO',
                          'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/')
    return repo if repo.endswith('/') else repo + '/'


def _get_repo_file_url(namespace, filename):
    """``<repo>/<namespace>/<filename>``: the URL MXNet 1.9.1 downloads a hosted file from
    (see :func:`_get_repo_url`). Private in MXNet's ``gluon.utils``; GluonNLP 0.10 imports it."""
    return '%s%s/%s' % (_get_repo_url(), namespace, filename)


def _check_retries(retries):
    """MXNet's download functions assert ``retries >= 0``: an int, else ``MXNetTypeError``; below 0
    a ``ValueAssertionError`` (a ``ValueError`` and MXNet's ``AssertionError``)."""
    if _base.check_int(retries, 'download: retries') < 0:
        raise _base.ValueAssertionError('download: retries must be >= 0, got %d' % retries)


def _file_in_place(what, url, fname, overwrite=False, sha1_hash=None):
    """``fname`` when MXNet's download functions would not download ``url`` there (the file exists,
    ``overwrite`` is False, ``sha1_hash`` is None or the file's SHA-1), else
    :class:`~minigluon.base.MXNetFileNotFoundError` saying why and where to copy ``url``: the
    rule of ``gluon.utils.download`` and ``test_utils.download`` without the network."""
    if overwrite:
        reason = 'overwrite=True asks for a fresh copy'
    elif not os.path.exists(fname):
        reason = 'the file is missing'
    elif sha1_hash and not check_sha1(fname, sha1_hash):
        reason = 'its SHA-1 is not %s' % sha1_hash
    else:
        return fname
    raise _base.MXNetFileNotFoundError(
        "%s: %s (%r) and minigluon never downloads (docs/PORTING.md, 'Out of scope'): copy %s "
        'there yourself' % (what, reason, fname, url))
