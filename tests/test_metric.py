"""Metrics against values recorded from MXNet 1.9.1, plus NumPy references and errors."""
import json
import math
import os

import numpy as np
import pytest

from minigluon import metric, nd

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'layers')
with open(os.path.join(FIX, 'metric.json')) as _f:
    CASES = json.load(_f)
DATA = np.load(os.path.join(FIX, 'metric.npz'))
CONFIGS = [c for c in CASES if c['metric'] != 'composite']


def _pair(case, b):
    return [nd.array(DATA['%s%d' % (case['label'], b)])], [nd.array(DATA['%s%d' % (case['pred'], b)])]


def _check(got, want):
    assert got[0] == want[0]
    assert got[1] == pytest.approx(want[1], rel=1e-5, abs=1e-6)


@pytest.mark.parametrize('case', CONFIGS, ids=['%s-%d' % (c['metric'], i) for i, c in enumerate(CONFIGS)])
def test_matches_mxnet(case):
    m = metric.create(case['metric'], **case['kwargs'])
    for b in range(2):
        m.update(*_pair(case, b))
    _check(m.get(), case['get_after_2'])
    # a Python float, so print(m.get()) shows the number, not np.float64(...) (NumPy 2)
    assert type(m.get()[1]) is float and type(m.get_global()[1]) is float
    m.reset_local()
    m.update(*_pair(case, 2))
    _check(m.get(), case['get_after_local_reset'])
    if case['metric'] == 'pearsonr' and case['kwargs'].get('average') == 'micro':
        # MXNet returns 0.0 (unfilled global sums); minigluon returns the pooled value
        lab = np.concatenate([DATA['reg_label%d' % b] for b in range(3)])
        pred = np.concatenate([DATA['reg_pred%d' % b] for b in range(3)])
        _check(m.get_global(), ('pearsonr', np.corrcoef(pred, lab)[0, 1]))
    else:
        _check(m.get_global(), case['get_global'])


def test_composite_matches_mxnet():
    want = [c for c in CASES if c['metric'] == 'composite'][0]['get']
    comp = metric.create(['acc', 'ce'])
    comp.update([nd.array(DATA['cls0'])], [nd.array(DATA['probs0'])])
    names, values = comp.get()
    assert names == want[0]
    assert values == pytest.approx(want[1], rel=1e-6)
    assert comp.get_name_value() == list(zip(names, values))
    assert isinstance(comp.get_metric(1), metric.CrossEntropy)
    with pytest.raises(ValueError, match='out of range'):
        comp.get_metric(2)


def test_numpy_references():
    probs, cls = DATA['probs0'], DATA['cls0']
    acc = metric.Accuracy()
    acc.update(nd.array(cls), nd.array(probs))       # single arrays are wrapped
    assert acc.get()[1] == pytest.approx((probs.argmax(1) == cls).mean())
    ce = metric.CrossEntropy()
    ce.update([nd.array(cls)], [nd.array(probs)])
    ref = -np.log(probs[np.arange(6), cls.astype(int)] + 1e-12).mean()
    assert ce.get()[1] == pytest.approx(ref, rel=1e-6)
    rmse = metric.RMSE()
    p, l = DATA['reg_pred0'], DATA['reg_label0']
    rmse.update([nd.array(l)], [nd.array(p)])
    assert rmse.get()[1] == pytest.approx(np.sqrt(((p - l) ** 2).mean()), rel=1e-6)
    loss = metric.Loss()
    loss.update(None, [nd.array([1.0, 2.0, 3.0])])
    assert loss.get() == ('loss', 2.0)


def test_empty_metric_is_nan_and_reset():
    m = metric.MAE()
    assert m.get()[0] == 'mae' and math.isnan(m.get()[1])
    m.update([nd.array([1.0])], [nd.array([3.0])])
    assert m.get()[1] == 2.0
    m.reset()
    assert math.isnan(m.get_global()[1])


def test_custom_metric():
    def errs(label, pred):
        return float((label != pred.argmax(1)).sum()), label.size
    m = metric.create(errs)
    m.update([nd.array([0, 1])], [nd.array([[1, 0], [1, 0]])])
    assert m.name == 'errs' and m.get()[1] == 0.5
    m2 = metric.np(lambda label, pred: float(np.abs(label - pred).max()))
    m2.update([nd.array([0, 1])], [nd.array([0.5, 1.0])])
    assert m2.name.startswith('custom(') and m2.get()[1] == 0.5


def test_custom_metric_extra_outputs():
    # A Module-style network returns [softmax, loss] for one label (cnocr's CTC metric):
    # allow_extra_outputs scores the first pair and ignores the rest; without it, a count mismatch.
    def first_sample_argmax(label, pred):
        assert pred.shape == (2, 3)
        return float(pred[0].argmax() == label[0]), 1
    label, softmax, loss = nd.array([2, 0]), nd.array([[0, 0, 1], [1, 0, 0]]), nd.array([0.7, 0.1])
    m = metric.np(first_sample_argmax, allow_extra_outputs=True)
    m.update([label], [softmax, loss])
    m.update(label, softmax)               # bare arrays are wrapped, not iterated row by row
    assert m.name == 'first_sample_argmax' and m.get() == ('first_sample_argmax', 1.0)
    assert m.num_inst == 2
    strict = metric.np(first_sample_argmax)
    with pytest.raises(ValueError, match='does not match'):
        strict.update([label], [softmax, loss])


def test_errors():
    with pytest.raises(ValueError, match='not registered'):
        metric.create('nosuch')
    with pytest.raises(ValueError, match='does not match'):
        metric.Accuracy().update([nd.array([1])], [nd.array([[0, 1]]), nd.array([[0, 1]])])
    with pytest.raises(ValueError, match='top_k'):
        metric.TopKAccuracy(top_k=1)
    with pytest.raises(ValueError, match='binary'):
        metric.F1().update([nd.array([0, 1, 2])], [nd.array(np.eye(3)[:, :2])])


def test_top_k_at_least_the_number_of_classes():
    # every class is among the top 3 of 2: every sample counts (MXNet 1.9.1 fails in argpartition)
    m = metric.TopKAccuracy(top_k=3)
    m.update([nd.array([0, 1, 1])], [nd.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]])])
    assert m.get() == ('top_k_accuracy_3', 1.0)
    m = metric.TopKAccuracy(top_k=2)
    m.update([nd.array([0, 1])], [nd.array([[0.1, 0.9, 0.0], [0.8, 0.2, 0.5]])])
    assert m.get() == ('top_k_accuracy_2', 0.5)


def test_perplexity_class_axis_other_than_last():
    # Classes on axis 0 of a (C, N) prediction: the labels are the N columns. MXNet 1.9.1 compares
    # the label count with pred.shape[-1] and so rejects this layout; minigluon picks along `axis`.
    rng = np.random.RandomState(7)
    probs = rng.dirichlet(np.ones(4), size=6).T                   # (C=4, N=6)
    labels = rng.randint(0, 4, size=6)
    m = metric.Perplexity(ignore_label=None, axis=0)
    m.update([nd.array(labels)], [nd.array(probs)])
    expected = math.exp(-np.log(probs[labels, np.arange(6)]).mean())
    assert m.get()[1] == pytest.approx(expected, rel=1e-5)
    # As many labels as pred.shape[-1] would have been but not pred.shape[axis]: an error, not a
    # silent pick from the wrong rows.
    with pytest.raises(ValueError, match='shape mismatch'):
        metric.Perplexity(ignore_label=None, axis=0).update([nd.array(labels[:4])], [nd.array(probs)])


def test_pcc_refuses_negative_or_fractional_classes_and_is_nan_for_one_class():
    m = metric.PCC()
    with pytest.raises(ValueError, match='label must be a class index'):
        m.update([nd.array([0, -1])], [nd.array([[0.2, 0.8], [0.6, 0.4]])])
    with pytest.raises(ValueError, match='prediction must be a class index'):
        m.update([nd.array([0, 1])], [nd.array([0.5, 1])])
    m.update([nd.array([0, 1])], [nd.array([1, 1])])       # every prediction one class
    assert math.isnan(m.get()[1])
    assert m.get_config() == {'metric': 'PCC', 'name': 'pcc', 'output_names': None,
                              'label_names': None}


@pytest.mark.parametrize('made', [
    lambda: metric.Accuracy(axis=1, name='acc2'),
    lambda: metric.MAE(name='m', output_names=['out'], label_names=['lab']),
    lambda: metric.F1(average='micro'),
    lambda: metric.CrossEntropy(eps=1e-8),
    lambda: metric.create(['acc', 'mse', metric.Perplexity(ignore_label=None)]),
], ids=['accuracy', 'mae-names', 'f1-micro', 'ce-eps', 'composite'])
def test_create_builds_a_metric_back_from_its_config_dict_or_json(made):
    """MXNet 1.9.1's ``metric.create`` takes what ``get_config`` returns, as a dict or as its JSON
    string (its registry's create; a composite's children are dicts too); minigluon refused
    both ('metric must be an EvalMetric, a name...' / 'not registered')."""
    config = made().get_config()
    for spec in (config, json.dumps(config)):
        again = metric.create(spec)
        assert type(again) is type(made())
        assert again.get_config() == config


def test_create_takes_the_json_name_and_arguments_form_and_refuses_a_config_without_a_name():
    m = metric.create('["acc", {"axis": 0, "name": "a0"}]')
    assert isinstance(m, metric.Accuracy) and m.axis == 0 and m.name == 'a0'
    with pytest.raises(KeyError, match='metric'):          # MXNet: KeyError('metric')
        metric.create({'name': 'x'})
    with pytest.raises(ValueError, match='not registered') as err:
        metric.create({'metric': 'nosuch'})
    assert isinstance(err.value, AssertionError)           # MXNet asserts


def test_metrics_share_mx_registry_table():
    """``mx.registry.get_registry(EvalMetric)`` lists the metrics, as MXNet 1.9.1's (whose metric
    registry is one of its tables); minigluon's was empty."""
    from minigluon import registry
    table = registry.get_registry(metric.EvalMetric)
    assert table['acc'] is metric.Accuracy and table['compositeevalmetric'] is metric.CompositeEvalMetric
