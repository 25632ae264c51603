"""``mx.io.ImageRecordUInt8Iter``, ``ImageRecordInt8Iter``, ``ImageRecordIter(dtype='uint8' /
'int8')`` and the ``_v1`` names against MXNet 1.9.1's batches over
tests/fixtures/file_iters/images.rec (golden batches: tools/gen_surface6_fixtures.py)."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetValueError

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, '..', 'fixtures', 'surface6')
RECS = os.path.join(HERE, '..', 'fixtures', 'file_iters')
with open(os.path.join(FIX, 'surface6.json')) as _f:
    INFO = json.load(_f)
ARR = dict(np.load(os.path.join(FIX, 'arrays.npz')))
CASES = INFO['image_iters']


def _make(kind, **kwargs):
    kwargs['path_imgrec'] = os.path.join(RECS, kwargs['path_imgrec'])
    kwargs = {k: tuple(v) if k == 'data_shape' else v for k, v in kwargs.items()}
    return getattr(mx.io, kind)(**kwargs)


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_matches_mxnet(case):
    it = _make(case['kind'], **case['kwargs'])
    assert [[d.name, list(d.shape), np.dtype(d.dtype).name] for d in it.provide_data] == case['provide_data']
    assert [[d.name, list(d.shape), np.dtype(d.dtype).name] for d in it.provide_label] == case['provide_label']
    got = []
    for _ in range(case['epochs']):
        got.extend(it)
        it.reset()
    assert len(got) == len(case['batches'])
    for batch, want in zip(got, case['batches']):
        data, ref = batch.data[0].asnumpy(), ARR[want['key']]
        assert data.dtype == ref.dtype, want['key']
        np.testing.assert_array_equal(data, ref, err_msg=want['key'])
        assert batch.pad == want['pad'], want['key']
        label = batch.label[0]
        assert np.dtype(label.dtype).name == want['label_dtype']
        assert label.asnumpy().tolist() == want['label'], want['key']


def test_uint8_is_the_float_iterators_pixels():
    # the same pipeline: the float32 batch without normalisation holds the uint8 batch's values
    kw = dict(path_imgrec='images.rec', data_shape=(3, 6, 8), batch_size=7, resize=8)
    floats = next(iter(_make('ImageRecordIter', **kw))).data[0].asnumpy()
    bytes_ = next(iter(_make('ImageRecordUInt8Iter', **kw))).data[0].asnumpy()
    np.testing.assert_array_equal(floats, bytes_.astype(np.float32))


@pytest.mark.parametrize('dtype', ['float16', 'float64', 'int32'])
def test_other_dtypes_are_refused_as_in_mxnet(dtype):
    assert INFO['image_iter_errors'][dtype] == 'MXNetError'
    with pytest.raises(MXNetValueError, match='dtype'):
        _make('ImageRecordIter', path_imgrec='images.rec', data_shape=(3, 10, 12), batch_size=2,
              dtype=dtype)


def test_names_are_subclasses_and_errors_name_them():
    for name in ('ImageRecordUInt8Iter', 'ImageRecordInt8Iter', 'ImageRecordIter_v1',
                 'ImageRecordUInt8Iter_v1'):
        assert issubclass(getattr(mx.io, name), mx.io.ImageRecordIter)
        assert issubclass(getattr(mx.io, name), mx.io.MXDataIter)
    with pytest.raises(MXNetValueError, match='ImageRecordInt8Iter: data_shape'):
        _make('ImageRecordInt8Iter', path_imgrec='images.rec', data_shape=(2, 4, 4), batch_size=2)
