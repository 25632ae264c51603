"""mx.kv / mx.kvstore against MXNet 1.9.1 (tests/fixtures/kvcallback, tools/gen_kvcallback_fixtures.py),
and gluon.Trainer with a KVStore instance."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.base import MXNetFormatError, NotSupportedError

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'kvcallback', 'expected.json')) as _f:
    EXPECTED = json.load(_f)
KV = EXPECTED['kv']
GRADS = EXPECTED['grads']


def _pulled(kv, key, shape, dtype='float32'):
    out = nd.zeros(shape, dtype=dtype)
    kv.pull(key, out=out)
    return out.asnumpy()


def test_namespace():
    assert mx.kv is mx.kvstore
    import minigluon.kv as kv_module            # noqa: F401  (importable, as MXNet's alias is)
    assert issubclass(mx.kv.KVStore, mx.kv.KVStoreBase)
    assert mx.kv.KVStoreBase.OPTIMIZER == 'optimizer'
    assert 'teststore' in mx.kv.KVStoreBase.kv_registry


@pytest.mark.parametrize('name', sorted(KV['types']))
def test_create_types(name):
    kv = mx.kv.create(name)
    assert [kv.type, kv.rank, kv.num_workers, kv.is_capable('optimizer')] == KV['types'][name]
    assert kv.is_capable('OPTIMIZER')
    with pytest.raises(ValueError, match='Unknown capability'):
        kv.is_capable('foo')


def test_nccl_is_a_local_store_here():
    assert mx.kv.create('nccl').type == 'nccl'


@pytest.mark.parametrize('name', ['dist_sync', 'dist_async', 'dist_device_sync', 'horovod',
                                  'byteps', 'DIST_SYNC'])
def test_distributed_types_refused(name):
    with pytest.raises(NotSupportedError, match='distributed'):
        mx.kv.create(name)
    p = gluon.Parameter('w', shape=(2,))
    p.initialize()
    with pytest.raises(NotSupportedError, match='distributed'):
        gluon.Trainer([p], 'sgd', kvstore=name)


def test_create_bad_names():
    with pytest.raises(TypeError, match='must be a str'):
        mx.kv.create(3)
    with pytest.raises(ValueError, match="unknown kvstore type 'foo'"):
        mx.kv.create('foo')


def test_init_push_pull_against_mxnet():
    kv = mx.kv.create('local')
    src = nd.array([1, 2, 3])
    kv.init(3, src)
    src[:] = 7
    assert _pulled(kv, 3, 3).tolist() == KV['init_copy']
    kv.push(3, [nd.ones(3), nd.ones(3) * 2, nd.array([0.5, 0.25, 0.125])])
    assert _pulled(kv, 3, 3).tolist() == KV['push_list_sum']
    kv.push(3, nd.array([1.5, 2.5, 3.5], dtype='float64'))
    out = nd.zeros(3)
    kv.pull(3, out=out)
    assert [out.asnumpy().tolist(), np.dtype(out.dtype).name] == KV['push_float64_into_float32']
    o64 = nd.zeros(3, dtype='float64')
    kv.pull(3, out=o64)
    assert [o64.asnumpy().tolist(), np.dtype(o64.dtype).name] == KV['pull_into_float64']
    kv.init([5, 6], [nd.ones(2), nd.ones(2) * 2])
    outs = [[nd.zeros(2), nd.zeros(2)], nd.zeros(2)]
    kv.push([5, 6], [[nd.ones(2), nd.array([1, 2])], nd.ones(2) * 3])
    kv.pull([5, 6], out=outs)
    assert [[x.asnumpy().tolist() for x in outs[0]], outs[1].asnumpy().tolist()] == KV['list_keys']
    kv.init(10, nd.zeros(2))
    g = [nd.array([1, 2]), nd.array([10, 20])]
    kv.pushpull(10, g)
    o = nd.zeros(2)
    kv.pushpull(10, [nd.array([1, 1]), nd.array([3, 4])], out=o)
    assert [[x.asnumpy().tolist() for x in g], o.asnumpy().tolist()] == KV['pushpull']
    bo = [nd.zeros(2), nd.zeros(2)]
    kv.broadcast(12, nd.array([3, 4]), out=bo)
    assert [x.asnumpy().tolist() for x in bo] == KV['broadcast']


def test_str_keys_and_mixed_keys():
    kv = mx.kv.create('device')
    kv.init('w', nd.array([[1, 2], [3, 4]]))
    kv.push('w', [nd.ones((2, 2)), nd.ones((2, 2))])
    assert _pulled(kv, 'w', (2, 2)).tolist() == KV['str_key']
    kv.init(np.int64(4), nd.ones(1))            # MXNet refuses mixing int and str keys
    assert _pulled(kv, 4, 1).tolist() == [1.0]


def test_row_sparse_pull_dense_view():
    kv = mx.kv.create('local')
    kv.init(0, nd.array(np.arange(12).reshape(4, 3)))
    o = nd.ones((4, 3))
    kv.row_sparse_pull(0, out=o, row_ids=nd.array([2, 0, 2]))
    o2 = [nd.zeros((4, 3)), nd.zeros((4, 3))]
    kv.row_sparse_pull(0, out=o2, row_ids=nd.array([1]))
    assert [o.asnumpy().tolist(), [x.asnumpy().tolist() for x in o2]] == KV['row_sparse_pull']
    with pytest.raises(ValueError, match=r'row_ids for key 0 must be whole numbers in \[0, 4\)'):
        kv.row_sparse_pull(0, out=o, row_ids=nd.array([4]))
    with pytest.raises(ValueError, match='out and row_ids are both required'):
        kv.row_sparse_pull(0, out=o)


def test_bad_input_names_the_argument():
    kv = mx.kv.create('local')
    kv.init(3, nd.zeros(3))
    with pytest.raises(KeyError, match='key 9 has not been initialised'):
        kv.pull(9, out=nd.zeros(3))
    with pytest.raises(KeyError, match='key 9 has not been initialised'):
        kv.push(9, nd.zeros(3))
    with pytest.raises(ValueError, match=r'value for key 3 has shape \(4,\).*shape \(3,\)'):
        kv.push(3, nd.zeros(4))
    with pytest.raises(ValueError, match=r'out for key 3 has shape \(4,\)'):
        kv.pull(3, out=nd.zeros(4))             # MXNet ignores this pull silently
    with pytest.raises(ValueError, match='already initialised'):
        kv.init(3, nd.zeros(3))
    with pytest.raises(ValueError, match='out is required'):
        kv.pull(3)
    with pytest.raises(ValueError, match='2 keys were given'):
        kv.push([3, 4], [nd.ones(3)])
    with pytest.raises(TypeError, match='a key must be an int or a str'):
        kv.push(3.0, nd.ones(3))
    with pytest.raises(TypeError, match='must be an NDArray'):
        kv.push(3, np.ones(3))
    with pytest.raises(ValueError, match='initialised with one array'):
        kv.init(7, [nd.ones(2), nd.ones(2)])
    # a failed push changes nothing, even for the keys before the bad one
    kv.init(4, nd.zeros(2))
    with pytest.raises(ValueError, match=r'value for key 3 has shape \(5,\)'):
        kv.push([4, 3], [nd.ones(2), nd.ones(5)])
    assert _pulled(kv, 4, 2).tolist() == [0, 0]


def test_gradient_compression_and_barrier():
    for name in ('local', 'device'):
        with pytest.raises(NotSupportedError, match='set_gradient_compression'):
            mx.kv.create(name).set_gradient_compression({'type': '2bit', 'threshold': 0.5})
    kv = mx.kv.create('local')
    assert kv.barrier() is None and kv._barrier() is None


@pytest.mark.parametrize('name', ['sgd', 'adam'])
def test_optimizer_on_the_store_against_mxnet(name):
    exp = EXPECTED['kv_opt'][name]
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5) \
        if name == 'sgd' else mx.optimizer.Adam(learning_rate=0.01, wd=0.001)
    kv = mx.kv.create('local')
    kv.set_optimizer(opt)
    kv.init(0, nd.array([1., 2., 3.]))
    for it in range(3):
        kv.push(0, [nd.array(GRADS[it]), nd.array(GRADS[(it + 1) % 3])])
        np.testing.assert_allclose(_pulled(kv, 0, 3), exp['pulls'][it], rtol=1e-6, atol=1e-7)
    assert opt.num_update == exp['num_update']
    assert {str(k): v for k, v in opt._index_update_count.items()} == exp['index_update_count']


def test_optimizer_states_save_load_against_mxnet(tmp_path):
    kv = mx.kv.create('local')
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.01, wd=0.001))
    kv.init(0, nd.array([1., 2., 3.]))
    for it in range(2):
        kv.push(0, [nd.array(GRADS[it]), nd.array(GRADS[(it + 1) % 3])])
    w = nd.zeros(3)
    kv.pull(0, out=w)
    fname = str(tmp_path / 'kv.states')
    kv.save_optimizer_states(fname, dump_optimizer=True)
    with open(fname, 'rb') as f:
        assert f.read(2) != b'\x80\x04'         # not a pickle
    assert os.listdir(str(tmp_path)) == ['kv.states']     # no temporary file left
    kv2 = mx.kv.create('local')
    kv2.set_optimizer(mx.optimizer.Adam(learning_rate=0.01, wd=0.001))
    kv2.init(0, w)
    kv2.load_optimizer_states(fname)
    kv2.push(0, [nd.array(GRADS[2]), nd.array(GRADS[0])])
    np.testing.assert_allclose(_pulled(kv2, 0, 3), EXPECTED['kv_opt']['adam_resumed'], rtol=1e-6)


def test_optimizer_states_str_keys_and_errors(tmp_path):
    kv = mx.kv.create('local')
    with pytest.raises(AssertionError, match='call set_optimizer first'):
        kv.save_optimizer_states(str(tmp_path / 'x'))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(['b', 'a'], [nd.ones(2), nd.ones(3)])
    kv.push(['b', 'a'], [nd.ones(2), nd.ones(3)])
    fname = str(tmp_path / 's.states')
    kv.save_optimizer_states(fname)
    fresh = mx.kv.create('local')
    fresh.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    fresh.init(['a', 'b'], [nd.ones(3), nd.ones(2)])
    fresh.load_optimizer_states(fname)
    for key in ('a', 'b'):
        assert fresh._updater.states[key].asnumpy().tolist() == kv._updater.states[key].asnumpy().tolist()
    other = mx.kv.create('local')
    other.set_optimizer(mx.optimizer.Adam())
    other.init(['a', 'b'], [nd.ones(3), nd.ones(2)])
    with pytest.raises(ValueError, match="optimizer 'sgd'"):
        other.load_optimizer_states(fname)
    small = mx.kv.create('local')
    small.set_optimizer(mx.optimizer.SGD(momentum=0.9))
    small.init('a', nd.ones(3))
    with pytest.raises(ValueError, match="key 'b'"):
        small.load_optimizer_states(fname)
    assert small._updater.states == {}
    with open(str(tmp_path / 'p.states'), 'wb') as f:
        f.write(b'\x80\x04junk')
    with pytest.raises(MXNetFormatError, match='pickle'):
        fresh.load_optimizer_states(str(tmp_path / 'p.states'))
    # a Trainer refuses a store's str-keyed file
    p = gluon.Parameter('w', shape=(3,))
    p.initialize()
    with pytest.raises(ValueError, match='KVStore with str keys'):
        gluon.Trainer([p], 'sgd', {'momentum': 0.9}).load_states(fname)


def test_teststore():
    ts = mx.kv.create('teststore')
    assert (ts.type, ts.rank, ts.num_workers, ts.is_capable('optimizer')) == ('teststore', 0, 1, False)
    v = [nd.array([1, 2]), nd.array([3, 4])]
    ts.pushpull(0, v)
    assert [x.asnumpy().tolist() for x in v] == [[4, 6], [4, 6]]


# -- gluon.Trainer with a KVStore instance -----------------------------------------------------
def _train(optname, nctx, kvstore, update_on_kvstore, steps=3):
    ctxs = [mx.cpu(i) for i in range(nctx)]
    rng = np.random.RandomState(3)
    net = gluon.nn.Dense(3, in_units=4, prefix='d_')
    net.initialize(ctx=ctxs)
    net.weight.set_data(nd.array(rng.uniform(-0.5, 0.5, (3, 4))))
    net.bias.set_data(nd.array(rng.uniform(-0.5, 0.5, (3,))))
    net.weight.lr_mult = 0.5
    kv = mx.kv.create(kvstore) if kvstore else None
    tr = gluon.Trainer(net.collect_params(), optname, dict(EXPECTED['trainer_opts'][optname]),
                       kvstore=kv if kvstore else 'device', update_on_kvstore=update_on_kvstore)
    X = nd.array(rng.randn(8, 4))
    for s in range(steps):
        xs = gluon.utils.split_and_load(X * (s + 1), ctxs)
        with autograd.record():
            losses = [(net(x) ** 2).sum() for x in xs]
        autograd.backward(losses)
        tr.step(8)
    return net, tr, ctxs


@pytest.mark.parametrize('case', sorted(EXPECTED['trainer']))
def test_trainer_with_kvstore_against_mxnet_and_bit_identical(case):
    optname, nctx, kvstore, upd = case.split('-')
    upd = {'None': None, 'True': True, 'False': False}[upd]
    exp = EXPECTED['trainer'][case]
    net, tr, ctxs = _train(optname, int(nctx), kvstore, upd)
    assert tr._update_on_kvstore == exp['update_on_kvstore']
    ref, _, _ = _train(optname, int(nctx), None, None)      # the path without a store
    for c, w, b in zip(ctxs, exp['weight'], exp['bias']):
        np.testing.assert_allclose(net.weight.data(c).asnumpy(), w, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(net.bias.data(c).asnumpy(), b, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(net.weight.data(c).asnumpy(), ref.weight.data(c).asnumpy())
        np.testing.assert_array_equal(net.bias.data(c).asnumpy(), ref.bias.data(c).asnumpy())


def _dense_trainer(kv, **kwargs):
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize(mx.init.One())
    return net, gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1.0}, kvstore=kv, **kwargs)


def _backward(net):
    with autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()


def test_trainer_kvstore_refuses_allreduce_and_update_on_store():
    net, tr = _dense_trainer(mx.kv.create('local'))
    _backward(net)
    with pytest.raises(AssertionError, match='update_on_kvstore=False'):
        tr.allreduce_grads()
    with pytest.raises(AssertionError, match='update_on_kvstore=False'):
        tr.update(1)
    net, tr = _dense_trainer(mx.kv.create('local'), update_on_kvstore=False)
    _backward(net)
    tr.allreduce_grads()
    tr.update(1)
    assert net.weight.data().asnumpy().tolist() == [[0, 0], [0, 0]]
    with pytest.raises(ValueError, match='cannot run an optimizer'):
        _dense_trainer(mx.kv.create('teststore'), update_on_kvstore=True)[1].step(1)
    with pytest.raises(TypeError, match='kvstore must be a KVStore, a str or None'):
        _dense_trainer(3)
    with pytest.raises(NotSupportedError, match='set_gradient_compression'):
        _dense_trainer(mx.kv.create('device'), compression_params={'type': '2bit'})[1].step(1)


def test_trainer_kvstore_stale_gradients_and_set_data():
    net, tr = _dense_trainer(mx.kv.create('local'))
    _backward(net)
    tr.step(1)
    w1 = net.weight.data().asnumpy().copy()
    # MXNet applies the old gradient again here; minigluon reports it and changes nothing
    with pytest.raises(UserWarning, match='has not been updated by backward'):
        tr.step(1)
    tr.step(1, ignore_stale_grad=True)          # stale: skipped (MXNet updates)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), w1)
    net.weight.set_data(nd.zeros((2, 2)))       # MXNet fails at the next step ("duplicate init")
    _backward(net)
    tr.step(1)
    assert net.weight.data().asnumpy().tolist() == [[-1, -1], [-1, -1]]
    assert tr._kvstore.type == 'local'


def test_trainer_kvstore_save_load_states_continue(tmp_path):
    fname = str(tmp_path / 't.states')

    def run(resume):
        net, tr, _ = _train('adam', 1, 'local', None, steps=2)
        if resume:
            tr.save_states(fname)
            weights = {k: v.data().copy() for k, v in net.collect_params().items()}
            net2 = gluon.nn.Dense(3, in_units=4, prefix='d_')
            net2.initialize()
            for k, v in net2.collect_params().items():
                v.set_data(weights[k])
            net2.weight.lr_mult = 0.5
            tr = gluon.Trainer(net2.collect_params(), 'adam', dict(EXPECTED['trainer_opts']['adam']),
                               kvstore=mx.kv.create('local'))
            tr.load_states(fname)
            net = net2
        X = nd.array(np.random.RandomState(5).randn(8, 4), ctx=net.weight.list_ctx()[0])
        with autograd.record():
            loss = (net(X) ** 2).sum()
        loss.backward()
        tr.step(8)
        return net.weight.data().asnumpy()
    np.testing.assert_array_equal(run(True), run(False))
