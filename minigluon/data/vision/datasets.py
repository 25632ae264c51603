"""``gluon.data.vision.datasets``: MNIST, FashionMNIST, CIFAR10 and CIFAR100 read from local files;
``ImageFolderDataset``, ``ImageListDataset`` and ``ImageRecordDataset`` (from
:mod:`minigluon.data.vision._image_datasets`).

The MNIST and CIFAR classes take the arguments of MXNet 1.9.1's
``mxnet.gluon.data.vision.datasets`` and read the same files from the same places
(``$MXNET_HOME/datasets/<name>``, ``~/.mxnet`` when ``MXNET_HOME`` is unset), so a folder that MXNet
filled serves minigluon as it is. Their items are what MXNet returns: ``(image, label)`` with the
image an ``NDArray`` of shape ``(H, W, C)`` and dtype ``uint8`` and the label a NumPy ``int32``
scalar; a slice gives ``(NDArray batch, NumPy label array)``. (The image-file datasets take a
``root`` or file name, read one image per item and document their own labels.)

minigluon never downloads. Where MXNet downloads a missing file (or one whose SHA-1 differs from
the published one), minigluon:

* reads the files that are there, warning (``UserWarning``) when a SHA-1 differs from MXNet's
  published hash;
* for CIFAR, extracts the expected ``.bin`` members from ``cifar-10-binary.tar.gz`` /
  ``cifar-100-binary.tar.gz`` in the root when the batch files are missing (only those regular
  members, never links or paths that leave the root);
* otherwise raises :class:`DatasetNotFoundError` naming every expected path and where to get it.
"""
import os

import numpy as np

from minigluon.base import MXNetFileNotFoundError, MXNetFormatError, data_dir, read_file
from minigluon.data.dataset import Dataset
from minigluon.data.vision._files import (as_path, check_transform, extract_members, read_idx,
                                          repo_url, warn_hashes)
from minigluon.data.vision._image_datasets import (ImageFolderDataset, ImageListDataset,
                                                   ImageRecordDataset)
from minigluon.ndarray import array

__all__ = ['MNIST', 'FashionMNIST', 'CIFAR10', 'CIFAR100', 'ImageRecordDataset', 'ImageFolderDataset',
           'ImageListDataset', 'DatasetNotFoundError']

_HINT = ('minigluon reads the files MXNet 1.9.1 downloads but never downloads anything itself: '
         'fetch them once (with MXNet, or from %s) and put them there, or pass root= to the folder '
         'that holds them.')


class DatasetNotFoundError(MXNetFileNotFoundError):
    """The files of a dataset are not on disk (a ``FileNotFoundError`` and an ``MXNetError``).

    Raised where MXNet 1.9.1 would download them; the message names every expected path."""


class _LocalFileDataset(Dataset):
    """Base of the datasets below: a split (``train``) read whole by the subclass's
    ``_get_data()`` into ``_data`` (NDArray, N x H x W x C uint8) and ``_label`` (NumPy int32, N);
    items ``(self._data[idx], self._label[idx])`` passed through ``transform``."""

    _namespace = None   # MXNet's folder and repository name

    def __init__(self, root=None, train=True, transform=None):
        if root is None:
            root = os.path.join(data_dir(), 'datasets', self._namespace)
        self._root = as_path(type(self).__name__, 'root', root)
        check_transform(type(self).__name__, transform)
        self._train, self._transform = train, transform
        self._data, self._label = None, None
        self._get_data()

    def _raise_not_found(self, paths, origin):
        """Raise :class:`DatasetNotFoundError` listing the expected ``paths`` and where to get
        the files (``origin``)."""
        raise DatasetNotFoundError(
            '%s: the %s files were not found. Expected:\n  %s\n%s'
            % (type(self).__name__, 'training' if self._train else 'test', '\n  '.join(paths),
               _HINT % origin))

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)


# -- MNIST / Fashion-MNIST: gzipped idx files -------------------------------------------------------

class MNIST(_LocalFileDataset):
    """MNIST handwritten digits (http://yann.lecun.com/exdb/mnist/), read from MXNet's local files.

    Each item is ``(image, label)``: an NDArray of shape ``(28, 28, 1)``, dtype ``uint8`` (values
    0-255), and a NumPy ``int32`` label in 0-9, as MXNet 1.9.1 returns them. The whole split is
    read into memory at construction: ``_data`` is an NDArray ``(N, 28, 28, 1)`` uint8 and
    ``_label`` a NumPy int32 array ``(N,)``. 60000 training and 10000 test images.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The folder of ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``; default
        ``$MXNET_HOME/datasets/mnist`` (``~/.mxnet/datasets/mnist``), MXNet's. Decompressed files
        (the same names without ``.gz``) are read when the ``.gz`` file is absent.
    train : bool, default True
        The training split (``train-*``) or the test split (``t10k-*``).
    transform : callable, optional
        Called as ``transform(image, label)`` on each item; its result is the item.

    Raises
    ------
    DatasetNotFoundError
        (a ``FileNotFoundError`` and an ``MXNetError``) when a file is missing; MXNet downloads it.
    MXNetFormatError
        When a file is not a well-formed idx file (bad magic number, truncated, image and label
        counts that differ), naming the file; MXNet reads such files unchecked or fails in NumPy.
    MXNetTypeError
        For a ``root`` that is not a path or a ``transform`` that is not callable.

    Notes
    -----
    A ``.gz`` file whose SHA-1 differs from MXNet's published hash is still read, with a
    ``UserWarning`` (MXNet downloads it again). The default root is looked up when the dataset is
    created (MXNet reads ``MXNET_HOME`` once, when it is imported). The image size comes from the
    idx header (MXNet assumes 28 x 28).
    """

    _namespace = 'mnist'
    _origin = 'http://yann.lecun.com/exdb/mnist/'
    _files = {'train-images-idx3-ubyte.gz': '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d',
              'train-labels-idx1-ubyte.gz': '2a80914081dc54586dbdf242f9805a6b8d2a15fc',
              't10k-images-idx3-ubyte.gz': 'c3a25af1f52dad7f726cce8cacb138654b760d48',
              't10k-labels-idx1-ubyte.gz': '763e7fa3757d93b0cdec073cef058b2004252c17'}

    def _get_data(self):
        prefix = 'train' if self._train else 't10k'
        names = ['%s-images-idx3-ubyte.gz' % prefix, '%s-labels-idx1-ubyte.gz' % prefix]
        found, missing = [], []
        for name in names:
            path = os.path.join(self._root, name)
            plain = path[:-len('.gz')]
            if os.path.isfile(path):
                found.append((path, self._files[name]))
            elif os.path.isfile(plain):
                found.append((plain, None))
            else:
                missing.append(path)
        if missing:
            self._raise_not_found([os.path.join(self._root, n) for n in names],
                                  '%s or %s' % (repo_url(self._namespace, '<name>'), self._origin))
        warn_hashes(type(self).__name__, found)
        images, labels = read_idx(found[0][0], 3), read_idx(found[1][0], 1)
        if len(images) != len(labels):
            raise MXNetFormatError('%s: %s holds %d images but %s holds %d labels'
                                   % (type(self).__name__, found[0][0], len(images), found[1][0],
                                      len(labels)))
        self._data = array(images[..., None], dtype=np.uint8)
        self._label = labels.astype(np.int32)


class FashionMNIST(MNIST):
    """Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist), a drop-in MNIST.

    As :class:`MNIST` (same file names, item types and shapes, errors and warnings), with the
    default root ``$MXNET_HOME/datasets/fashion-mnist`` and Fashion-MNIST's published SHA-1s.
    """

    _namespace = 'fashion-mnist'
    _origin = 'https://github.com/zalandoresearch/fashion-mnist'
    _files = {'train-images-idx3-ubyte.gz': '0cf37b0d40ed5169c6b3aba31069a9770ac9043d',
              'train-labels-idx1-ubyte.gz': '236021d52f1e40852b06a4c3008d8de8aef1e40b',
              't10k-images-idx3-ubyte.gz': '626ed6a7c06dd17c0eec72fa3be1740f146a2863',
              't10k-labels-idx1-ubyte.gz': '17f9ab60e7257a1620f4ad76bbbaf857c3920701'}


# -- CIFAR-10 / CIFAR-100: binary batches, possibly still in their archive ---------------------------

class CIFAR10(_LocalFileDataset):
    """CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html), read from MXNet's local files.

    Each item is ``(image, label)``: an NDArray of shape ``(32, 32, 3)`` (RGB), dtype ``uint8``,
    and a NumPy ``int32`` label in 0-9, as MXNet 1.9.1 returns them. ``_data`` is an NDArray
    ``(N, 32, 32, 3)`` uint8 and ``_label`` a NumPy int32 array ``(N,)`` (50000 training images in
    ``data_batch_1.bin`` .. ``data_batch_5.bin``, in that order; 10000 in ``test_batch.bin``).

    Parameters
    ----------
    root : str or os.PathLike, optional
        Default ``$MXNET_HOME/datasets/cifar10`` (``~/.mxnet/datasets/cifar10``), MXNet's. The batch
        files are read from the root itself (where MXNet 1.9.1 keeps them) or, failing that, from
        ``root/cifar-10-batches-bin/`` (the official archive's folder). When neither holds them and
        ``root/cifar-10-binary.tar.gz`` exists, its batch files are extracted into the root.
    train : bool, default True
        The training split or the test split.
    transform : callable, optional
        Called as ``transform(image, label)`` on each item; its result is the item.

    Raises
    ------
    DatasetNotFoundError
        When the batch files and the archive are all missing (MXNet downloads the archive).
    MXNetFormatError
        A batch file whose size is not a whole number of records (1 label byte + 3072 pixel bytes
        for CIFAR-10, 2 + 3072 for CIFAR-100), an unreadable archive, a batch member that is a
        link, has a path leaving the root or is not whole records, or an archive of more than
        1000 members or 256 MiB unpacked (the official ones hold fewer than 10 members, 184 MB;
        MXNet extracts everything). Nothing is extracted then: the batch files are
        written under temporary names and renamed only once all were read.
    MXNetTypeError
        For a ``root`` that is not a path or a ``transform`` that is not callable.

    Notes
    -----
    A batch file whose SHA-1 differs from MXNet's published hash is read with a ``UserWarning``
    (MXNet downloads the archive again); the archive's own hash is not checked, since the official
    archive and MXNet's copy differ while holding the same batch files.
    """

    _namespace = 'cifar10'
    _archive, _subdir, _label_bytes = 'cifar-10-binary.tar.gz', 'cifar-10-batches-bin', 1
    _origin = 'https://www.cs.toronto.edu/~kriz/cifar.html'
    _train_files = [('data_batch_1.bin', 'aadd24acce27caa71bf4b10992e9e7b2d74c2540'),
                    ('data_batch_2.bin', 'c0ba65cce70568cd57b4e03e9ac8d2a5367c1795'),
                    ('data_batch_3.bin', '1dd00a74ab1d17a6e7d73e185b69dbf31242f295'),
                    ('data_batch_4.bin', 'aab85764eb3584312d3c7f65fd2fd016e36a258e'),
                    ('data_batch_5.bin', '26e2849e66a845b7f1e4614ae70f4889ae604628')]
    _test_files = [('test_batch.bin', '67eb016db431130d61cd03c7ad570b013799c88c')]

    def _find(self, name):
        """The path of the batch file ``name`` in the root or its archive folder, or None."""
        for path in (os.path.join(self._root, name), os.path.join(self._root, self._subdir, name)):
            if os.path.isfile(path):
                return path
        return None

    def _get_data(self):
        files = self._train_files if self._train else self._test_files
        if any(self._find(name) is None for name, _ in files):
            archive = os.path.join(self._root, self._archive)
            if not os.path.isfile(archive):
                self._raise_not_found(
                    [os.path.join(self._root, name) for name, _ in files]
                    + ['(or the same names in %s)' % os.path.join(self._root, self._subdir),
                       '(or the archive %s)' % archive],
                    '%s or %s' % (repo_url(self._namespace, self._archive), self._origin))
            # extract every missing batch file, of both splits, in one pass over the archive
            wanted = [name for name, _ in self._train_files + self._test_files
                      if self._find(name) is None]
            not_in_archive = set(extract_members(archive, self._root, wanted, self._subdir,
                                                 self._label_bytes + 3072))
            lacking = [name for name, _ in files if name in not_in_archive]
            if lacking:
                raise MXNetFormatError('%s: %s holds no member %s (looked for <name> and %s/<name>)'
                                       % (type(self).__name__, archive, ', '.join(lacking), self._subdir))
        paths = [(self._find(name), sha) for name, sha in files]
        warn_hashes(type(self).__name__, paths)
        parts = [self._read_batch(path) for path, _ in paths]
        self._data = array(np.concatenate([p[0] for p in parts]), dtype=np.uint8)
        self._label = np.concatenate([p[1] for p in parts])

    def _read_batch(self, path):
        """(images N x 32 x 32 x 3 uint8, labels N int32) of one batch file."""
        raw = read_file(path)
        size = self._label_bytes + 3072
        if not raw or len(raw) % size:
            raise MXNetFormatError('%s: %d bytes is not a whole number of %d-byte records (%d label '
                                   'byte%s + 3 x 32 x 32 pixels); truncated, or not a %s batch file'
                                   % (path, len(raw), size, self._label_bytes,
                                      's' * (self._label_bytes > 1), type(self).__name__))
        rec = np.frombuffer(raw, np.uint8).reshape(-1, size)
        images = rec[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, rec[:, self._label_column()].astype(np.int32)

    def _label_column(self):
        """Which of a record's label bytes is the label."""
        return 0


class CIFAR100(CIFAR10):
    """CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html), read from MXNet's local files.

    As :class:`CIFAR10` (item types and shapes, errors, warnings, archive handling), with the files
    ``train.bin`` (50000 images) and ``test.bin`` (10000), the folder ``cifar-100-binary/`` and
    archive ``cifar-100-binary.tar.gz``, and default root ``$MXNET_HOME/datasets/cifar100``.

    Parameters
    ----------
    root : str or os.PathLike, optional
        The folder of the files (see :class:`CIFAR10`).
    fine_label : bool, default False
        Labels of the 100 fine classes (0-99) when true, of the 20 coarse super-classes (0-19)
        otherwise (the first of each record's two label bytes).
    train : bool, default True
        The training split or the test split.
    transform : callable, optional
        Called as ``transform(image, label)`` on each item.
    """

    _namespace = 'cifar100'
    _archive, _subdir, _label_bytes = 'cifar-100-binary.tar.gz', 'cifar-100-binary', 2
    _train_files = [('train.bin', 'e207cd2e05b73b1393c74c7f5e7bea451d63e08e')]
    _test_files = [('test.bin', '8fb6623e830365ff53cf14adec797474f5478006')]

    def __init__(self, root=None, fine_label=False, train=True, transform=None):
        self._fine_label = bool(fine_label)
        super().__init__(root, train, transform)

    def _label_column(self):
        return int(self._fine_label)
