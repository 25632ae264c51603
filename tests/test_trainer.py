"""Trainer: trajectories against MXNet 1.9.1, stale gradients, grad_req null, lr, states, contexts."""
import os

import numpy as np
import pytest

from minigluon import autograd, cpu, init, nd, nn
from minigluon.lr_scheduler import FactorScheduler
from minigluon.optimizer import Adam
from minigluon.parameter import Parameter
from minigluon.test_utils import assert_almost_equal
from minigluon.trainer import Trainer

FIX = np.load(os.path.join(os.path.dirname(__file__), 'fixtures', 'layers', 'trainer.npz'))


def _params(ctx=None):
    ctx = ctx or [cpu()]
    w = Parameter('w', shape=(3, 2))
    b = Parameter('b', shape=(3,), lr_mult=0.5)
    w.initialize(ctx=ctx)
    b.initialize(ctx=ctx)
    w.set_data(nd.array(FIX['w0']))
    b.set_data(nd.array(FIX['b0']))
    return w, b


def _loss_backward(w, b, ctx=None):
    ctx = ctx or cpu()
    with autograd.record():
        out = nd.FullyConnected(nd.array(FIX['x'], ctx=ctx), w.data(ctx), b.data(ctx), num_hidden=3)
        loss = ((out - nd.array(FIX['y'], ctx=ctx)) ** 2).sum()
    loss.backward()


@pytest.mark.parametrize('tag, name, kw', [
    ('adam', 'adam', {'learning_rate': 0.1, 'wd': 0.01}),
    ('sgd', 'sgd', {'learning_rate': 0.05, 'momentum': 0.9, 'rescale_grad': 2.0}),
])
def test_trajectory_matches_mxnet(tag, name, kw):
    w, b = _params()
    tr = Trainer({'z_w': w, 'a_b': b}, name, kw)
    assert tr._params == [b, w]                    # dict sorted by key
    traj = []
    for _ in range(3):
        _loss_backward(w, b)
        tr.step(4)
        traj.append(np.concatenate([w.data().asnumpy().ravel(), b.data().asnumpy().ravel()]))
    assert_almost_equal(np.stack(traj), FIX['traj_' + tag], rtol=1e-5, atol=1e-5)


def test_stale_gradient_raises_and_can_be_ignored():
    w, b = _params()
    tr = Trainer([w, b], 'sgd', {'learning_rate': 0.1})
    _loss_backward(w, b)
    tr.step(1)
    with pytest.raises(UserWarning, match='has not been updated by backward'):
        tr.step(1)
    before = w.data().asnumpy()
    tr.step(1, ignore_stale_grad=True)             # stale: skipped, not updated
    assert_almost_equal(w.data(), before)


@pytest.mark.parametrize('batch_size, error', [(0, ValueError), (-4, ValueError),
                                               (float('nan'), ValueError), ('8', TypeError),
                                               (None, TypeError)])
def test_batch_size_that_is_not_a_positive_number_is_named(batch_size, error):
    # MXNet 1.9.1: ZeroDivisionError for 0, and a negative size reverses every update; a str or
    # None is a TypeError there too (tests/test_trainer_fuzz_regressions.py)
    w, b = _params()
    tr = Trainer([w, b], 'sgd', {'learning_rate': 0.1})
    _loss_backward(w, b)
    before = w.data().asnumpy()
    for method in ('step', 'update'):
        with pytest.raises(error, match='Trainer.%s: batch_size must be a positive number'
                                        % method):
            getattr(tr, method)(batch_size)
    assert_almost_equal(w.data(), before)
    tr.step(np.int64(2))                     # NumPy numbers are numbers
    assert not np.allclose(w.data().asnumpy(), before)


def test_a_step_that_raises_changes_nothing():
    """Only ``b`` has a fresh gradient: the raising step leaves both weights as they were, and a
    retry with ignore_stale_grad=True still updates ``b`` (MXNet 1.9.1 would have cleared ``b``'s
    fresh mark while checking, and the retry would skip it: found by a breaker session)."""
    w, b = _params()
    tr = Trainer([b, w], 'sgd', {'learning_rate': 0.1})
    _loss_backward(w, b)
    w.list_data()[0]._fresh_grad = False           # as if w took no part in this backward
    w_before, b_before = w.data().asnumpy(), b.data().asnumpy()
    with pytest.raises(UserWarning, match='`w`'):
        tr.step(1)
    assert_almost_equal(w.data(), w_before)
    assert_almost_equal(b.data(), b_before)
    tr.step(1, ignore_stale_grad=True)
    assert_almost_equal(w.data(), w_before)
    assert not np.allclose(b.data().asnumpy(), b_before)


def test_grad_req_null_is_skipped():
    w, b = _params()
    b.grad_req = 'null'
    tr = Trainer([w, b], 'sgd', {'learning_rate': 0.1})
    b_before = b.data().asnumpy()
    _loss_backward(w, b)
    tr.step(1)
    assert_almost_equal(b.data(), b_before)


def test_learning_rate_and_scheduler():
    w, b = _params()
    tr = Trainer([w, b], 'sgd', {'learning_rate': 0.1})
    assert tr.learning_rate == 0.1
    tr.set_learning_rate(0.3)
    assert tr.learning_rate == 0.3 and tr.optimizer.lr == 0.3
    tr2 = Trainer([w, b], 'sgd', {'lr_scheduler': FactorScheduler(step=1, factor=0.5, base_lr=1.0)})
    with pytest.raises(UserWarning, match='LRScheduler'):
        tr2.set_learning_rate(0.2)


def test_save_load_states_roundtrip(tmp_path):
    fname = str(tmp_path / 'trainer.states')
    w, b = _params()
    tr = Trainer([w, b], 'adam', {'learning_rate': 0.1})
    for _ in range(2):
        _loss_backward(w, b)
        tr.step(4)
    tr.save_states(fname)
    ref_w, ref_b = _params()
    ref = Trainer([ref_w, ref_b], 'adam', {'learning_rate': 0.1})
    for _ in range(2):
        _loss_backward(ref_w, ref_b)
        ref.step(4)
    # a fresh trainer restored from the file continues exactly like the original
    w2, b2 = _params()
    w2.set_data(w.data())
    b2.set_data(b.data())
    tr2 = Trainer([w2, b2], 'adam', {'learning_rate': 0.1})
    tr2.load_states(fname)
    assert tr2.optimizer.num_update == 2
    for trainer, (pw, pb) in ((ref, (ref_w, ref_b)), (tr2, (w2, b2))):
        _loss_backward(pw, pb)
        trainer.step(4)
    assert_almost_equal(w2.data(), ref_w.data(), rtol=1e-6, atol=1e-7)
    with open(fname, 'rb') as f:
        assert b'pickle' not in f.read()
    loaded = nd.load(fname)                       # it is a plain .params file
    assert 'state:0:0' in loaded and 'state:1:1' in loaded
    tr3 = Trainer([w2, b2], 'sgd', {'learning_rate': 0.1})
    with pytest.raises(ValueError, match='adam'):
        tr3.load_states(fname)


def test_two_contexts_sum_gradients():
    ctxs = [cpu(0), cpu(1)]
    w, b = _params(ctxs)
    tr = Trainer([w, b], 'sgd', {'learning_rate': 0.05})
    ref_w, ref_b = _params()
    ref = Trainer([ref_w, ref_b], 'sgd', {'learning_rate': 0.05})
    for ctx in ctxs:                               # same batch on both devices: gradient doubles
        _loss_backward(w, b, ctx)
    tr.step(8)
    _loss_backward(ref_w, ref_b)
    ref.step(4)
    for ctx in ctxs:
        assert_almost_equal(w.data(ctx), ref_w.data(), rtol=1e-5, atol=1e-6)


def test_errors():
    w, b = _params()
    with pytest.raises(ValueError, match='list or dict of Parameters'):
        Trainer(w, 'sgd')
    with pytest.raises(ValueError, match='list or dict of Parameters'):
        Trainer([w, 'b'], 'sgd')
    with pytest.raises(ValueError, match='optimizer_params must be None'):
        Trainer([w], Adam(), {'learning_rate': 0.1})
    with pytest.raises(ValueError, match='Cannot find optimizer'):
        Trainer([w], 'nosuch')
    other = Parameter('o', shape=(2,))
    other.initialize(ctx=[cpu(0), cpu(1)])
    with pytest.raises(AssertionError, match='same set of contexts'):
        Trainer([w, other], 'sgd')


def test_hybridized_deferred_net_on_two_contexts_trains_like_one(tmp_path):
    """split_and_load over cpu(0)/cpu(1) + a hybridized net with deferred shapes: the summed
    gradients and Adam updates equal single-context training on the whole batch; states reload."""
    from minigluon import gluon
    from minigluon.name import NameManager

    def make(ctx):
        with NameManager():
            net = gluon.nn.HybridSequential()
            with net.name_scope():
                net.add(gluon.nn.Dense(4, activation='tanh'), gluon.nn.Dense(2))
        net.initialize(init='xavier', ctx=ctx)
        net.hybridize()
        return net

    rng = np.random.RandomState(0)
    x, y = nd.array(rng.randn(8, 3), ctx=cpu(0)), nd.array(rng.randint(0, 2, 8), ctx=cpu(0))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    ctxs = [cpu(0), cpu(1)]
    multi, single = make(ctxs), make(cpu(0))
    multi(x.as_in_context(cpu(0)))                     # finish deferred init, then align weights
    single(x)
    for (_, p), (_, q) in zip(sorted(multi.collect_params().items()), sorted(single.collect_params().items())):
        q.set_data(p.data(cpu(0)))
    tr_multi = Trainer(multi.collect_params(), 'adam', {'learning_rate': 0.05})
    tr_single = Trainer(single.collect_params(), 'adam', {'learning_rate': 0.05})
    for _ in range(3):
        with autograd.record():
            losses = [loss_fn(multi(xs), ys) for xs, ys in
                      zip(gluon.utils.split_and_load(x, ctxs), gluon.utils.split_and_load(y, ctxs))]
        autograd.backward(losses)
        tr_multi.step(8)
        with autograd.record():
            loss = loss_fn(single(x), y)
        loss.backward()
        tr_single.step(8)
    for (name, p), (_, q) in zip(sorted(multi.collect_params().items()), sorted(single.collect_params().items())):
        for ctx in ctxs:
            assert_almost_equal(p.data(ctx), q.data(), rtol=1e-4, atol=1e-5, names=(name, 'single'))
    states = str(tmp_path / 'adam.states')
    tr_multi.save_states(states)
    again = Trainer(multi.collect_params(), 'adam', {'learning_rate': 0.05})
    again.load_states(states)
    assert again.optimizer.num_update == tr_multi.optimizer.num_update == 3


def _adam_two_contexts(tmp_path, resume):
    """Five Adam steps on cpu(0) and cpu(1); with ``resume``, a fresh Trainer loads the states
    saved after step 3 (as MXNet 1.9.1 resumes; its update counts continue on every device)."""
    import minigluon as mg
    from minigluon import gluon
    ctxs = [mg.cpu(0), mg.cpu(1)]
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize(mg.init.Constant(0.3), ctx=ctxs)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
    rs = np.random.RandomState(0)
    for step in range(5):
        xs = rs.randn(2, 2, 4).astype('float32')
        with autograd.record():
            losses = [(net(nd.array(xs[i], ctx=c)) ** 2).sum() for i, c in enumerate(ctxs)]
        for loss in losses:
            loss.backward()
        trainer.step(4)
        if step == 2 and resume:
            fname = str(tmp_path / 'adam.states')
            trainer.save_states(fname)
            trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
            trainer.load_states(fname)
    return [net.weight.data(c).asnumpy() for c in ctxs]


def test_load_states_gives_every_context_the_update_counts(tmp_path):
    # The second context's Adam step count restarted at 1 after load_states (its bias
    # correction then differed), so the two copies of the weight drifted apart.
    straight = _adam_two_contexts(tmp_path, resume=False)
    resumed = _adam_two_contexts(tmp_path, resume=True)
    assert_almost_equal(resumed[0], resumed[1], rtol=0, atol=0)
    assert_almost_equal(resumed[0], straight[0], rtol=1e-6, atol=1e-7)


def test_ignore_stale_grad_keeps_context_copies_in_sync():
    # backward ran on cpu(0) only: the summed gradient reaches both copies, so both must be
    # updated (MXNet's 'device' kvstore pushes the sum and pulls one weight to every context);
    # updating only the fresh copy made the replicas diverge.
    ctxs = [cpu(0), cpu(1)]
    w, b = _params(ctxs)
    tr = Trainer([w, b], 'sgd', {'learning_rate': 0.05})
    ref_w, ref_b = _params()
    ref = Trainer([ref_w, ref_b], 'sgd', {'learning_rate': 0.05})
    _loss_backward(w, b, ctxs[0])
    tr.step(4, ignore_stale_grad=True)
    _loss_backward(ref_w, ref_b)
    ref.step(4)
    for ctx in ctxs:
        assert_almost_equal(w.data(ctx), ref_w.data(), rtol=1e-5, atol=1e-6)
        assert_almost_equal(b.data(ctx), ref_b.data(), rtol=1e-5, atol=1e-6)
    w2, b2 = _params(ctxs)
    _loss_backward(w2, b2, ctxs[0])
    with pytest.raises(UserWarning, match='has not been updated by backward'):
        Trainer([w2, b2], 'sgd').step(4)               # without the flag a stale copy is reported


@pytest.mark.parametrize('make_second', ['same_object', 'new_base_lr'])
def test_load_states_restores_the_lr_scheduler(tmp_path, make_second):
    # MXNet 1.9.1 pickles the optimizer with its scheduler, so after load_states the schedule
    # continues where it was saved: 0.05, 0.05, 0.025 | 0.025, 0.0125, ... (an uninterrupted run).
    # minigluon kept the new Trainer's scheduler: a scheduler object shared with the first
    # Trainer had its base_lr reset to 0.05 while its count stayed at 2, giving 0.05 again.
    fname = str(tmp_path / 'trainer.states')
    sched = FactorScheduler(step=2, factor=0.5)
    w, b = _params()
    with pytest.warns(UserWarning, match='overwritten by ``learning_rate``'):   # as MXNet warns
        tr = Trainer([w, b], 'sgd', {'learning_rate': 0.05, 'lr_scheduler': sched})
    lrs = []
    for _ in range(3):
        _loss_backward(w, b)
        tr.step(4)
        lrs.append(tr.learning_rate)
    tr.save_states(fname)
    with pytest.warns(UserWarning, match='overwritten by ``learning_rate``'):
        if make_second == 'same_object':
            tr = Trainer([w, b], 'sgd', {'learning_rate': 0.05, 'lr_scheduler': sched})
        else:      # a fresh scheduler of the same kind built with another learning rate
            tr = Trainer([w, b], 'sgd', {'learning_rate': 1.0,
                                         'lr_scheduler': FactorScheduler(step=2, factor=0.5)})
    tr.load_states(fname)
    for _ in range(3):
        _loss_backward(w, b)
        tr.step(4)
        lrs.append(tr.learning_rate)
    assert lrs == [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]


def test_first_step_makes_the_copies_on_every_context_equal():
    """MXNet 1.9.1's kvstore starts from the first context's values at the first step (running
    statistics included); measured there with this script: running means 0.22446 on both
    contexts after step 0, then 0.42648 / 0.21779 (each context's own forward again)."""
    import minigluon as mx
    from minigluon import autograd, gluon, nd
    from minigluon.gluon import nn
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = nn.HybridSequential(prefix='n_')
    with net.name_scope():
        net.add(nn.Dense(4, in_units=3), nn.BatchNorm(in_channels=4), nn.Dense(2, in_units=4))
    net.initialize(mx.init.One(), ctx=ctx)
    net[0].weight.data(mx.cpu(1))[:] = 2          # a copy set by hand: reset by the first step
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    X = nd.array(np.random.RandomState(0).randn(8, 3))
    means = []
    for _ in range(2):
        xs = gluon.utils.split_and_load(X, ctx)
        with autograd.record():
            losses = [(net(x) ** 2).sum() for x in xs]
        autograd.backward(losses)
        tr.step(8)
        means.append([net[1].running_mean.data(c).asnumpy()[0] for c in ctx])
        np.testing.assert_array_equal(net[0].weight.data(mx.cpu(0)).asnumpy(),
                                      net[0].weight.data(mx.cpu(1)).asnumpy())
    np.testing.assert_allclose(means, [[0.22446, 0.22446], [0.42648, 0.21779]], atol=1e-5)


def test_no_first_step_sync_without_a_kvstore():
    import minigluon as mx
    from minigluon import gluon
    p = gluon.Parameter('w', shape=(2,))
    p.initialize(mx.init.One(), ctx=[mx.cpu(0), mx.cpu(1)])
    p.data(mx.cpu(1))[:] = 5
    tr = gluon.Trainer([p], 'sgd', {'learning_rate': 0.0}, kvstore=None)
    tr.step(1, ignore_stale_grad=True)
    assert p.data(mx.cpu(1)).asnumpy().tolist() == [5, 5]
    tr2 = gluon.Trainer([p], 'sgd', {'learning_rate': 0.0})
    tr2.step(1, ignore_stale_grad=True)
    assert p.data(mx.cpu(1)).asnumpy().tolist() == [1, 1]


def test_step_inside_the_record_scope_updates_as_outside():
    """MXNet 1.9.1 raises when ``trainer.step`` runs inside ``autograd.record()`` (the update
    writes into a weight of the graph); the update is not recorded here, so it runs and gives the
    same weights as a step after the scope (docs/PORTING.md, "deliberately differs")."""
    def weights(inside):
        net = nn.Dense(2, in_units=3)
        net.initialize(init.One())
        trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
        with autograd.record():
            net(nd.ones((4, 3))).sum().backward()
            if inside:
                trainer.step(4)
        if not inside:
            trainer.step(4)
        return net.weight.data().asnumpy()
    inside = weights(True)
    np.testing.assert_array_equal(inside, weights(False))
    np.testing.assert_allclose(inside, np.full((2, 3), 0.9), rtol=1e-6)   # 1 - 0.1 * 4 / 4


def test_step_before_the_first_forward_names_the_deferred_parameter():
    # as MXNet 1.9.1, whose first step reads every Parameter's array to set up the store: the
    # deferred weight is reported (not the stale-gradient error of the bias, which comes first
    # in the Trainer's sorted order); after a forward and backward pass the step runs
    from minigluon.parameter import DeferredInitializationError
    net = nn.Dense(3)
    net.initialize()
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    with pytest.raises(DeferredInitializationError, match='dense.*_weight'):
        trainer.step(1)
    x = nd.ones((2, 4))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    before = net.weight.data().asnumpy().copy()
    trainer.step(1)
    assert not np.allclose(net.weight.data().asnumpy(), before)
