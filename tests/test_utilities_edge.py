"""Training utilities vs MXNet 1.9.1 on edge paths (fixtures: tools/gen_utilities_edge_fixtures.py).

Regressions found by porting checks: split_data(even_split=False) put the remainder in the last
slice (MXNet gives one extra element to each of the first ``size % n`` slices, and empty trailing
slices when there are fewer elements than slices); NDArrayIter kept dict order, named list inputs
``data_0`` and kept NumPy dtypes (MXNet sorts by name, names ``_0_data``, converts to float32);
the ``'nll_loss'`` metric (NegativeLogLikelihood) was missing.
"""
import json
import math
import os

import numpy as np
import pytest

from minigluon import io, metric, nd
from minigluon.gluon import utils
from minigluon.test_utils import assert_almost_equal

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'utilities_edge', 'utilities_edge.json')) as _f:
    FIX = json.load(_f)


@pytest.mark.parametrize('case', FIX['split_data'], ids=lambda c: '%s/%d/ax%d' % (c['shape'], c['num_slice'], c['axis']))
def test_split_data_uneven_matches_mxnet(case):
    shape = tuple(case['shape'])
    x = nd.arange(int(np.prod(shape))).reshape(shape)
    parts = utils.split_data(x, case['num_slice'], batch_axis=case['axis'], even_split=False)
    assert [list(p.shape) for p in parts] == case['part_shapes']
    for part, expected in zip(parts, case['parts']):
        assert_almost_equal(part, np.array(expected, dtype='float32').reshape(part.shape))


def test_split_and_load_uneven_matches_mxnet():
    from minigluon import cpu
    parts = utils.split_and_load(nd.arange(14).reshape(7, 2), [cpu(0), cpu(1), cpu(2)], even_split=False)
    assert [p.shape[0] for p in parts] == [3, 2, 2]
    assert [p.context for p in parts] == [cpu(0), cpu(1), cpu(2)]


def test_split_data_rejects_bad_num_slice():
    with pytest.raises(ValueError, match='num_slice'):
        utils.split_data(nd.zeros((4, 2)), 0)


def test_ndarrayiter_dict_sorted_by_name():
    exp = FIX['ndarrayiter']
    x = np.arange(10).reshape(5, 2).astype('float32')
    it = io.NDArrayIter({'b': x, 'a': x * 10}, {'y': np.arange(5)}, batch_size=3)
    assert [d.name for d in it.provide_data] == exp['dict_names']
    batch = next(iter(it))
    for got, want in zip(batch.data, exp['dict_first_batch']):
        assert_almost_equal(got, np.array(want, dtype='float32'))


def test_ndarrayiter_list_names():
    exp = FIX['ndarrayiter']
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    it = io.NDArrayIter([x, x * 2], [y, y], batch_size=3)
    assert [d.name for d in it.provide_data] == exp['list_data_names']
    assert [d.name for d in it.provide_label] == exp['list_label_names']
    single = io.NDArrayIter([x], [y], batch_size=3)
    assert [d.name for d in single.provide_data] == ['data']
    assert [d.name for d in single.provide_label] == ['softmax_label']


def test_ndarrayiter_dtypes():
    exp = FIX['ndarrayiter']
    x = np.arange(10).reshape(5, 2)
    batch = next(iter(io.NDArrayIter(x.astype('int32'), np.arange(5).astype('float64'), batch_size=2)))
    assert [np.dtype(batch.data[0].dtype).name, np.dtype(batch.label[0].dtype).name] == exp['numpy_dtypes']
    batch = next(iter(io.NDArrayIter(nd.array(x, dtype='int32'), batch_size=2)))
    assert np.dtype(batch.data[0].dtype).name == exp['ndarray_dtype']


def test_nll_loss_metric_matches_mxnet():
    exp = FIX['nll_loss']
    m = metric.create('nll_loss')
    assert type(m).__name__ == exp['type']
    labels = [nd.array(v) for v in exp['labels']]
    preds = [nd.array(v) for v in exp['preds']]
    m.update(labels[:1], preds[:1])
    assert m.get()[0] == exp['after_first'][0]
    assert math.isclose(m.get()[1], exp['after_first'][1], rel_tol=1e-5)
    m.update(labels[1:], preds[1:])
    assert math.isclose(m.get()[1], exp['after_both'][1], rel_tol=1e-5)
    # independent NumPy reference: mean of -log(p[label] + eps) over all samples
    probs = [np.array(p)[np.arange(len(l)), np.array(l, dtype=int)] for l, p in zip(exp['labels'], exp['preds'])]
    ref = float(np.mean(-np.log(np.concatenate(probs) + 1e-12)))
    assert math.isclose(m.get()[1], ref, rel_tol=1e-5)
    assert metric.create('negativeloglikelihood').name == 'nll-loss'
