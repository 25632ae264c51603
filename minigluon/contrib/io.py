"""``mx.contrib.io`` (MXNet 1.9.1 ``mxnet.contrib.io``): ``DataLoaderIter``, a Gluon
``DataLoader`` seen as an ``mx.io.DataIter``.

Code written for data iterators (``for batch in it: batch.data[0]``, ``it.reset()``,
``provide_data``) can read a Gluon ``DataLoader`` through it; MXNet's own
``example/gluon/data.py`` hands its ImageNet and Caltech-101 loaders to
``example/gluon/image_classification.py`` this way.
"""
import numpy as np

from minigluon import ndarray as nd
from minigluon.io import DataDesc, DataIter

__all__ = ['DataLoaderIter']


class DataLoaderIter(DataIter):
    """The batches of a Gluon ``DataLoader`` as an ``mx.io.DataIter`` (MXNet 1.9.1).

    Each batch of the loader must be a ``(data, label)`` pair of arrays; the iterator yields
    ``DataBatch(data=[data], label=[label], pad=...)`` with both cast to ``dtype``.

    Parameters
    ----------
    loader : gluon.data.DataLoader
        Or any re-iterable object yielding ``(data, label)`` batches. Its first batch is read
        once, to learn the batch size and shapes; iteration then starts from the beginning.
    data_name : str, default 'data'
        The name in ``provide_data``.
    label_name : str, default 'softmax_label'
        The name in ``provide_label``.
    dtype : str, default 'float32'
        The dtype of the batches (and the one ``provide_data`` / ``provide_label`` report).

    Attributes
    ----------
    batch_size : int
        The number of samples in the loader's first batch.
    provide_data, provide_label : list of DataDesc

    Notes
    -----
    A batch shorter than the first (the last one, with the DataLoader's ``last_batch='keep'``)
    is filled up to ``batch_size`` rows and ``pad`` says how many rows are filler, as in MXNet.
    The filler rows are zeros in ``dtype``; MXNet leaves them uninitialised (whatever the memory
    held) and in float32 whatever ``dtype`` says.

    Raises
    ------
    ValueError
        If ``loader`` yields no batch, or a batch that is not a ``(data, label)`` pair.
    TypeError
        If ``dtype`` is not a dtype.
    """

    def __init__(self, loader, data_name='data', label_name='softmax_label', dtype='float32'):
        try:
            np.dtype(dtype)
        except TypeError:
            raise TypeError('DataLoaderIter: dtype must be a dtype such as \'float32\' or '
                            '\'float16\', got %r' % (dtype,)) from None
        first = next(iter(loader), None)
        if first is None:
            raise ValueError('DataLoaderIter: loader yielded no batch; it must yield '
                             '(data, label) pairs')
        data, label = self._pair(first)
        super().__init__(data.shape[0])
        self._loader = loader
        self.dtype = dtype
        self.provide_data = [DataDesc(data_name, data.shape, dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, dtype)]
        self._current = None
        self.reset()

    @staticmethod
    def _pair(batch):
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError('DataLoaderIter: each batch of loader must be a (data, label) '
                             'pair, got %s' % type(batch).__name__)
        return batch

    def reset(self):
        """Start again from the loader's first batch."""
        self._iter = iter(self._loader)
        self._current = None

    def iter_next(self):
        """Read the loader's next batch; False at its end."""
        batch = next(self._iter, None)
        self._current = None if batch is None else self._pair(batch)
        return self._current is not None

    def _filled(self, which):
        """Part ``which`` (0: data, 1: label) of the current batch in ``dtype``, with zero rows
        appended up to ``batch_size``."""
        if self._current is None:
            raise ValueError('DataLoaderIter: no current batch; call iter_next() first (it '
                             'returned False or was not called)')
        array = self._current[which]
        if not isinstance(array, nd.NDArray):
            array = nd.array(array)
        array = array.astype(self.dtype)
        missing = self.batch_size - array.shape[0]
        if missing <= 0:
            return array
        filler = nd.zeros((missing,) + tuple(array.shape[1:]), ctx=array.context, dtype=self.dtype)
        return nd.concat(array, filler, dim=0)

    def getdata(self):
        """The data of the current batch, as a one-element list."""
        return [self._filled(0)]

    def getlabel(self):
        """The label of the current batch, as a one-element list."""
        return [self._filled(1)]

    def getpad(self):
        """The number of filler rows at the end of the current batch."""
        if self._current is None:
            return 0
        return max(self.batch_size - self._current[0].shape[0], 0)
