"""Golden file for ``mx.contrib.io.DataLoaderIter`` (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_contrib_io_fixtures.py

Writes tests/fixtures/contrib_io/contrib_io.json: for a DataLoader of 5 samples in batches of 2
(``last_batch`` 'keep', 'discard' and 'rollover'; ``dtype`` float32 and float16), the batch size,
``provide_data`` / ``provide_label`` and two epochs of batches (the real rows of data and label,
their dtypes, shapes, ``pad`` and ``index``), and the ``iter_next`` / ``getpad`` protocol. The
filler rows of a padded batch are uninitialised memory in MXNet and are not recorded.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet.contrib.io import DataLoaderIter  # noqa: E402
from mxnet.gluon.data import ArrayDataset, DataLoader  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'contrib_io')


def desc(descs):
    return [[d.name, list(d.shape), np.dtype(d.dtype).name] for d in descs]


def record(it):
    rec = {'batch_size': it.batch_size, 'provide_data': desc(it.provide_data),
           'provide_label': desc(it.provide_label), 'epochs': []}
    for _ in range(2):
        it.reset()
        batches = []
        for b in it:
            n = it.batch_size - b.pad
            batches.append({'data': b.data[0][:n].asnumpy().tolist(),
                            'label': b.label[0][:n].asnumpy().tolist(),
                            'shape': list(b.data[0].shape), 'pad': b.pad, 'index': b.index,
                            'data_dtype': np.dtype(b.data[0].dtype).name,
                            'label_dtype': np.dtype(b.label[0].dtype).name})
        rec['epochs'].append(batches)
    return rec


def main():
    x = np.arange(15, dtype='float32').reshape(5, 3)
    y = np.arange(5, dtype='int32')
    out = {'loaders': {}}
    for last in ('keep', 'discard', 'rollover'):
        for dtype in ('float32', 'float16'):
            loader = DataLoader(ArrayDataset(x, y), batch_size=2, last_batch=last)
            out['loaders']['%s_%s' % (last, dtype)] = record(DataLoaderIter(loader, dtype=dtype))
    it = DataLoaderIter(DataLoader(ArrayDataset(x, y), batch_size=2), data_name='img',
                        label_name='lab')
    protocol = []
    while it.iter_next():
        protocol.append([it.getpad(), it.getindex(), list(it.getdata()[0].shape),
                         list(it.getlabel()[0].shape)])
    out['named'] = {'provide_data': desc(it.provide_data), 'provide_label': desc(it.provide_label),
                    'protocol': protocol}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'contrib_io.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
    print('wrote', os.path.join(OUT, 'contrib_io.json'), mx.__version__)


if __name__ == '__main__':
    main()
