"""Estimator CheckpointHandler(resume_from_checkpoint=True) over corrupt checkpoint files: a clear
MXNetError naming the file, and the net, the trainer and the estimator left as they were."""
import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetError

est_mod = mx.gluon.contrib.estimator


def _setup():
    # a fixed prefix: the Trainer orders optimizer states by sorted parameter name (as MXNet
    # does), so automatic names crossing from dense9 to dense10 between the two nets of a test
    # would reorder them and fail the states check before the damaged file is reached
    net = mx.gluon.nn.HybridSequential(prefix='resume_')
    with net.name_scope():
        net.add(mx.gluon.nn.Dense(4, in_units=3), mx.gluon.nn.Dense(2, in_units=4))
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    est = est_mod.Estimator(net, mx.gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer)
    est.logger.handlers = []
    rng = np.random.RandomState(0)
    data = mx.gluon.data.ArrayDataset(mx.nd.array(rng.uniform(size=(8, 3))),
                                      mx.nd.array(rng.randint(0, 2, 8)))
    return net, est, mx.gluon.data.DataLoader(data, batch_size=4)


def _state(net, est):
    weights = {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}
    momenta = {i: s.asnumpy().copy() for i, s in est.trainer._updaters[0].states.items()}
    return weights, momenta, est.trainer.optimizer.num_update


@pytest.mark.parametrize('ext', ['.params', '.states'])
@pytest.mark.parametrize('damage', ['truncate', 'garbage'])
def test_corrupt_checkpoint_leaves_net_and_trainer_untouched(tmp_path, ext, damage):
    net, est, train = _setup()
    est.fit(train, epochs=2, event_handlers=est_mod.CheckpointHandler(str(tmp_path), 'm'))
    path = tmp_path / ('m-epoch1batch4' + ext)
    blob = path.read_bytes()
    path.write_bytes(blob[:len(blob) // 2] if damage == 'truncate' else b'\x12\x01' + b'x' * 40)

    net2, est2, _ = _setup()
    est2.fit(train, epochs=1)          # the trainer has momenta and an update count of its own
    before = _state(net2, est2)
    with pytest.raises(MXNetError, match='m-epoch1batch4'):
        est2.fit(train, epochs=4, event_handlers=est_mod.CheckpointHandler(
            str(tmp_path), 'm', resume_from_checkpoint=True))
    after = _state(net2, est2)
    for b, a in zip(before[:2], after[:2]):
        assert sorted(b) == sorted(a)
        for key in b:
            np.testing.assert_array_equal(a[key], b[key])
    assert after[2] == before[2]
    assert est2.max_epoch == 4         # not shortened by a resume that did not happen


def _fail_second_states_save(monkeypatch):
    """Trainer.save_states raises (a full disk) from its second call on."""
    real, calls = mx.gluon.Trainer.save_states, []

    def flaky(self, fname):
        calls.append(fname)
        if len(calls) >= 2:
            raise OSError('No space left on device (injected)')
        return real(self, fname)
    monkeypatch.setattr(mx.gluon.Trainer, 'save_states', flaky)


def test_a_failed_states_save_leaves_no_unpaired_params_file(tmp_path, monkeypatch):
    net, est, train = _setup()
    _fail_second_states_save(monkeypatch)
    with pytest.raises(OSError, match='injected'):
        est.fit(train, epochs=2, event_handlers=est_mod.CheckpointHandler(str(tmp_path), 'm'))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['m-epoch0batch2.params',
                                                          'm-epoch0batch2.states']
    monkeypatch.undo()
    net2, est2, _ = _setup()           # and the complete checkpoint resumes
    est2.fit(train, epochs=2, event_handlers=est_mod.CheckpointHandler(
        str(tmp_path), 'm', resume_from_checkpoint=True))
    assert est2.trainer.optimizer.num_update == 4


def test_a_failed_best_save_keeps_the_previous_best_pair(tmp_path, monkeypatch):
    net, est, train = _setup()
    est.fit(train, epochs=1)
    handler = est_mod.CheckpointHandler(str(tmp_path), 'm')
    _fail_second_states_save(monkeypatch)
    handler._save(est, 'm-best')       # what an improved epoch does
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert sorted(before) == ['m-best.params', 'm-best.states']
    for p in net.collect_params().values():
        p.set_data(p.data() + 1)
    with pytest.raises(OSError, match='injected'):
        handler._save(est, 'm-best')   # the next improvement meets a full disk
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
