"""``mx.contrib.io.DataLoaderIter`` against MXNet 1.9.1 (fixture: tools/gen_contrib_io_fixtures.py).

MXNet's example/gluon/data.py wraps its Gluon DataLoaders this way for
example/gluon/image_classification.py (``from mxnet.contrib.io import DataLoaderIter``).
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon.contrib.io import DataLoaderIter
from minigluon.gluon.data import ArrayDataset, DataLoader

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'contrib_io', 'contrib_io.json')) as _f:
    FIX = json.load(_f)

X = np.arange(15, dtype='float32').reshape(5, 3)
Y = np.arange(5, dtype='int32')


def loader(last_batch='keep'):
    return DataLoader(ArrayDataset(X, Y), batch_size=2, last_batch=last_batch)


def desc(descs):
    return [[d.name, list(d.shape), np.dtype(d.dtype).name] for d in descs]


@pytest.mark.parametrize('case', sorted(FIX['loaders']))
def test_batches_match_mxnet(case):
    last, dtype = case.split('_')
    want = FIX['loaders'][case]
    it = DataLoaderIter(loader(last), dtype=dtype)
    assert it.batch_size == want['batch_size']
    assert desc(it.provide_data) == want['provide_data']
    assert desc(it.provide_label) == want['provide_label']
    for want_epoch in want['epochs']:
        it.reset()
        got = list(it)
        assert len(got) == len(want_epoch)
        for b, w in zip(got, want_epoch):
            n = it.batch_size - b.pad
            assert b.pad == w['pad'] and b.index == w['index']
            assert list(b.data[0].shape) == w['shape']
            assert b.data[0][:n].asnumpy().tolist() == w['data']
            assert b.label[0][:n].asnumpy().tolist() == w['label']
            if b.pad and dtype == 'float16':
                # MXNet's padded batch comes back float32; here it keeps the asked dtype.
                assert (w['data_dtype'], w['label_dtype']) == ('float32', 'float32')
                assert np.dtype(b.data[0].dtype).name == np.dtype(b.label[0].dtype).name == dtype
            else:
                assert np.dtype(b.data[0].dtype).name == w['data_dtype']
                assert np.dtype(b.label[0].dtype).name == w['label_dtype']


def test_padded_rows_are_zeros():
    it = DataLoaderIter(loader('keep'))
    last = list(it)[-1]
    assert last.pad == 1
    assert last.data[0].asnumpy().tolist() == [[12, 13, 14], [0, 0, 0]]
    assert last.label[0].asnumpy().tolist() == [4, 0]


def test_iter_next_protocol_and_names_match_mxnet():
    it = DataLoaderIter(loader(), data_name='img', label_name='lab')
    assert desc(it.provide_data) == FIX['named']['provide_data']
    assert desc(it.provide_label) == FIX['named']['provide_label']
    seq = []
    while it.iter_next():
        seq.append([it.getpad(), it.getindex(), list(it.getdata()[0].shape),
                    list(it.getlabel()[0].shape)])
    assert seq == FIX['named']['protocol']
    with pytest.raises(ValueError, match='iter_next'):
        it.getdata()
    assert isinstance(it, mx.io.DataIter)


def test_reachable_as_in_mxnet():
    assert mx.contrib.io.DataLoaderIter is DataLoaderIter
    import minigluon.compat
    minigluon.compat.install_mxnet_alias()
    from mxnet.contrib.io import DataLoaderIter as aliased     # noqa: the MXNet import line
    assert aliased is DataLoaderIter


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='no batch'):
        DataLoaderIter([])
    with pytest.raises(ValueError, match=r'\(data, label\) pair'):
        DataLoaderIter([mx.nd.zeros((2, 3))])
    with pytest.raises(TypeError, match='dtype'):
        DataLoaderIter(loader(), dtype='floaty')
