"""gluon.contrib.estimator against MXNet 1.9.1: tools/gen_estimator_fixtures.py ran its scenarios
on MXNet (tests/fixtures/estimator/); here the same function runs on minigluon."""
import importlib.util
import json
import math
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetError
from minigluon.gluon.contrib import estimator as est_mod

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, 'fixtures', 'estimator')


def _generator():
    spec = importlib.util.spec_from_file_location(
        'gen_estimator_fixtures', os.path.join(HERE, '..', 'tools', 'gen_estimator_fixtures.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    with open(os.path.join(FIXTURES, 'expected.json')) as f:
        expected = json.load(f)
    results, weights = GEN.run_scenarios(mx, str(tmp_path_factory.mktemp('estimator')))
    return expected, results, weights


def _close(actual, expected, where):
    """Nested lists/dicts equal, floats to 1e-5 relative (NaN equals NaN)."""
    if isinstance(expected, float) or isinstance(actual, float):
        if math.isnan(expected):
            assert math.isnan(actual), where
        else:
            assert actual == pytest.approx(expected, rel=1e-5, abs=1e-7), where
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (where, actual, expected)
        for i, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, '%s[%d]' % (where, i))
    elif isinstance(expected, dict):
        assert sorted(actual) == sorted(expected), where
        for key in expected:
            _close(actual[key], expected[key], '%s.%s' % (where, key))
    else:
        assert actual == expected, (where, actual, expected)


def _log(lines):
    # MXNet's wording of the two lines whose text minigluon writes its own way
    out = []
    for line in lines:
        if line.startswith('Model architecture'):
            line = 'Model architecture not saved'
        out.append(line.replace('EarlyStoppingHanlder', 'EarlyStoppingHandler'))
    return out


@pytest.mark.parametrize('scenario', ['fit_epochs', 'fit_batches', 'resume', 'evaluate'])
def test_matches_mxnet(runs, scenario):
    expected, results, _ = runs
    want, got = dict(expected[scenario]), dict(results[scenario])
    _close(_log(got.pop('log')), _log(want.pop('log')), scenario + '.log')
    _close(got, want, scenario)


@pytest.mark.parametrize('scenario', ['fit_epochs', 'fit_batches', 'resume'])
def test_final_weights_match_mxnet(runs, scenario):
    _, _, weights = runs
    want = np.load(os.path.join(FIXTURES, 'weights_%s.npz' % scenario))
    assert sorted(want.files) == sorted(weights[scenario])
    for name in want.files:
        # float32 sums in another order drift by up to ~2e-6 over 12-16 SGD steps
        np.testing.assert_allclose(weights[scenario][name], want[name], rtol=1e-5, atol=1e-5)


def test_early_stopping_and_default_metric_names(runs):
    expected, results, _ = runs
    assert results['fit_epochs']['stopped_epoch'] == expected['fit_epochs']['stopped_epoch'] == 2
    assert len(results['fit_epochs']['epochs']) == 3
    assert results['fit_epochs']['metric_names'] == [
        'training accuracy', 'training softmaxcrossentropyloss',
        'validation accuracy', 'validation softmaxcrossentropyloss']


def test_custom_handler_order_matches_mxnet(runs):
    expected, results, _ = runs
    assert results['order'] == expected['order']
    # 'between' (priority -1500) runs after the trainer step and before MetricHandler
    assert ['between', 'batch_end', 0] in results['order']
    assert ['after_metric', 'batch_end', 6] in results['order']


def _small():
    net, est, _ = GEN._make(mx)
    train, val = GEN._loaders(mx)
    return net, est, train, val


def test_batches_stop_counts_over_epochs():
    net, est, train, _ = _small()
    seen = []

    class Count(est_mod.BatchEnd, est_mod.EpochEnd):
        def batch_end(self, estimator, *args, **kwargs):
            seen.append('b')

        def epoch_end(self, estimator, *args, **kwargs):
            seen.append('e')
    est.fit(train, batches=6, event_handlers=Count())
    assert seen == ['b'] * 4 + ['e'] + ['b'] * 2 + ['e']   # 4 batches an epoch


def test_batch_end_true_ends_the_epoch_and_epoch_end_true_ends_training():
    net, est, train, _ = _small()
    seen = []

    class Stop(est_mod.BatchEnd, est_mod.EpochEnd):
        def batch_end(self, estimator, *args, **kwargs):
            seen.append('b')
            return len(seen) == 2

        def epoch_end(self, estimator, *args, **kwargs):
            seen.append('e')
            return True
    est.fit(train, epochs=5, event_handlers=[Stop()])
    assert seen == ['b', 'b', 'e']


def test_user_handlers_replace_defaults_of_their_class():
    net, est, train, val = _small()
    calls = []

    class NoStep(est_mod.GradientUpdateHandler):
        def batch_end(self, estimator, *args, **kwargs):
            calls.append(kwargs['loss'][0].shape)
    before = GEN._weights(net)
    est.fit(train, epochs=1, event_handlers=[NoStep()])
    assert calls == [(6,), (6,), (6,), (2,)]
    for name, value in GEN._weights(net).items():
        np.testing.assert_array_equal(value, before[name])   # no default step ran


def test_handler_holding_a_foreign_metric_is_rejected():
    net, est, train, _ = _small()
    with pytest.raises(ValueError, match='MetricHandler.*train_metrics') as err:
        est.fit(train, epochs=1, event_handlers=[est_mod.MetricHandler(mx.metric.Accuracy())])
    assert isinstance(err.value, MXNetError)


def test_custom_batch_processor_is_used():
    net, est, train, _ = _small()

    class Half(est_mod.BatchProcessor):
        def fit_batch(self, estimator, batch, batch_axis=0):
            data, label, pred, loss = super().fit_batch(estimator, batch, batch_axis)
            return data, label, pred, [l * 0 for l in loss]
    est.batch_processor = est_mod.Estimator._check_batch_processor(Half())
    est.fit(train, epochs=1)
    assert est.train_metrics[1].get()[1] == 0


def test_default_trainer_and_metrics_for_other_losses():
    net = GEN._net(mx)
    with pytest.warns(UserWarning, match='no trainer'):
        est = est_mod.Estimator(net, mx.gluon.loss.L2Loss())
    assert est.trainer.learning_rate == pytest.approx(0.001)
    assert [m.name for m in est.train_metrics] == ['training l2loss']
    assert [m.name for m in est.val_metrics] == ['validation l2loss']
    assert est.val_metrics[0] is not est.train_metrics[0]


def test_hybridized_net_writes_symbol_file(tmp_path):
    net, est, train, _ = _small()
    net.hybridize()
    est.fit(train, epochs=1, event_handlers=est_mod.CheckpointHandler(str(tmp_path), 'h'))
    assert sorted(os.listdir(tmp_path)) == ['h-epoch0batch4.params', 'h-epoch0batch4.states',
                                           'h-symbol.json']
    assert mx.sym.load(str(tmp_path / 'h-symbol.json')).list_outputs()
    # the checkpoint is not a pickle: it loads back as MXNet .params files do
    assert sorted(mx.nd.load(str(tmp_path / 'h-epoch0batch4.params')))


def _bad(match, fn, *args, **kwargs):
    with pytest.raises((ValueError, TypeError), match=match) as err:
        fn(*args, **kwargs)
    assert isinstance(err.value, MXNetError)


def test_bad_arguments_name_the_argument():
    net, est, train, val = _small()
    loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = est.trainer
    _bad('loss must be a gluon.loss.Loss', est_mod.Estimator, net, 'l2', trainer=trainer)
    _bad('val_loss must be', est_mod.Estimator, net, loss, val_loss=3, trainer=trainer)
    _bad('train_metrics must be', est_mod.Estimator, net, loss, train_metrics=['acc'], trainer=trainer)
    _bad('val_metrics must be', est_mod.Estimator, net, loss, val_metrics=5, trainer=trainer)
    _bad('trainer must be a gluon.Trainer', est_mod.Estimator, net, loss, trainer='sgd')
    _bad('context must be', est_mod.Estimator, net, loss, trainer=trainer, context='cpu')
    _bad('context gpu\\(7\\) is not available', est_mod.Estimator, net, loss, trainer=trainer,
         context=mx.gpu(7))
    _bad('batch_processor must have fit_batch', est_mod.Estimator, net, loss, trainer=trainer,
         batch_processor=object())
    _bad('train_data must be a gluon.data.DataLoader', est.fit, [1, 2], epochs=1)
    _bad('val_data must be a gluon.data.DataLoader', est.fit, train, val_data=[1], epochs=1)
    _bad('val_data must be a gluon.data.DataLoader', est.evaluate, None)
    _bad('exactly one of epochs and batches', est.fit, train)
    _bad('exactly one of epochs and batches', est.fit, train, epochs=1, batches=2)
    _bad('epochs must be >= 1', est.fit, train, epochs=0)
    _bad('epochs must be an int', est.fit, train, epochs=1.5)
    _bad('batches must be an int', est.fit, train, batches='3')
    _bad('event_handlers must be an EventHandler', est.fit, train, epochs=1, event_handlers=[print])
    _bad('log_interval must be', est_mod.LoggingHandler, log_interval='batch')
    _bad('log_interval must be >= 1', est_mod.LoggingHandler, log_interval=0)
    _bad('EarlyStoppingHandler: monitor must be', est_mod.EarlyStoppingHandler, 'loss')
    _bad('CompositeEvalMetric', est_mod.EarlyStoppingHandler, mx.metric.CompositeEvalMetric())
    _bad('eval_fn must be callable', est_mod.ValidationHandler, val, eval_fn=None)


def test_checkpoint_bad_arguments(tmp_path):
    net, est, train, _ = _small()
    d = str(tmp_path)
    _bad('save_best=True needs monitor', est_mod.CheckpointHandler, d, save_best=True)
    _bad('max_checkpoints must be >= 1', est_mod.CheckpointHandler, d, max_checkpoints=0)
    _bad('batch_period must be an int', est_mod.CheckpointHandler, d, batch_period=1.5)
    _bad('model_prefix must be', est_mod.CheckpointHandler, d, model_prefix='')
    # resuming needs the same kind of period as fit counts
    handler = est_mod.CheckpointHandler(d, epoch_period=1, batch_period=2, resume_from_checkpoint=True)
    _bad('set batch_period=None', est.fit, train, epochs=2, event_handlers=handler)
    handler = est_mod.CheckpointHandler(d, epoch_period=1, resume_from_checkpoint=True)
    _bad('set epoch_period=None', est.fit, train, batches=2, event_handlers=handler)


def test_resume_refuses_a_finished_run_and_missing_states(tmp_path):
    net, est, train, _ = _small()
    d = str(tmp_path)
    est.fit(train, epochs=2, event_handlers=est_mod.CheckpointHandler(d))
    again = est_mod.CheckpointHandler(d, resume_from_checkpoint=True)
    _bad('already reached epochs=2', est.fit, train, epochs=2, event_handlers=again)
    os.remove(os.path.join(d, 'model-epoch1batch8.states'))
    with pytest.raises(FileNotFoundError, match='no matching') as err:
        est.fit(train, epochs=3, event_handlers=est_mod.CheckpointHandler(d, resume_from_checkpoint=True))
    assert isinstance(err.value, MXNetError)


def test_early_stopping_modes_and_baseline():
    metric = mx.metric.Loss('validation loss')
    with pytest.warns(UserWarning, match="mode='auto' will minimise validation loss"):
        assert not est_mod.EarlyStoppingHandler(metric).greater       # auto: a loss is minimised
    with pytest.warns(UserWarning, match="mode='auto' will maximise accuracy"):
        assert est_mod.EarlyStoppingHandler(mx.metric.Accuracy()).greater
    with pytest.warns(RuntimeWarning, match="mode 'up' is unknown"), \
            pytest.warns(UserWarning, match="mode='auto' will minimise validation loss"):
        assert not est_mod.EarlyStoppingHandler(metric, mode='up').greater
    def run(handler, values):
        handler.train_begin(None)
        stops = []
        for value in values:
            metric.reset()
            metric.update(0, mx.nd.array([value]))
            stops.append(handler.epoch_end(None))
        return stops
    # 0.95 is not 0.1 below the baseline 1.0; patience 1 stops there
    handler = est_mod.EarlyStoppingHandler(metric, min_delta=0.1, patience=1, mode='min', baseline=1.0)
    assert run(handler, [0.95]) == [True] and handler.stopped_epoch == 0 and handler.best == 1.0
    # improvements must beat the best by min_delta; two misses in a row stop
    handler = est_mod.EarlyStoppingHandler(metric, min_delta=0.1, patience=2, mode='min')
    assert run(handler, [0.85, 0.8, 0.7, 0.69, 0.68]) == [False] * 4 + [True]
    assert handler.stopped_epoch == 4 and handler.best == pytest.approx(0.7)


def test_resume_without_checkpoint_trains_from_scratch(tmp_path):
    net, est, train, _ = _small()
    handler = est_mod.CheckpointHandler(str(tmp_path), resume_from_checkpoint=True)
    est.fit(train, epochs=2, event_handlers=handler)
    # numbered as a fresh run (MXNet 1.9.1 would write model-epoch0batch3 and model-epoch1batch7)
    assert sorted(os.listdir(tmp_path)) == ['model-epoch0batch4.params', 'model-epoch0batch4.states',
                                           'model-epoch1batch8.params', 'model-epoch1batch8.states']


def test_validation_by_batch_period_with_its_own_handlers():
    net, est, train, val = _small()
    seen = []

    class Count(est_mod.EpochEnd):
        def epoch_end(self, estimator, *args, **kwargs):
            seen.append(estimator.val_metrics[0].num_inst)
    handler = est_mod.ValidationHandler(val, est.evaluate, epoch_period=None, batch_period=3,
                                        event_handlers=[Count()])
    est.fit(train, val_data=val, batches=6, event_handlers=handler)
    assert seen == [10, 10]   # after batches 3 and 6, each over the 10 validation samples


def test_checkpoint_model_dir_that_is_a_file(tmp_path):
    afile = tmp_path / 'afile'
    afile.write_bytes(b'keep')
    for model_dir in (afile, afile / 'sub'):
        with pytest.raises(NotADirectoryError, match='afile') as err:
            est_mod.CheckpointHandler(str(model_dir))
        assert isinstance(err.value, MXNetError)
    assert afile.read_bytes() == b'keep'
