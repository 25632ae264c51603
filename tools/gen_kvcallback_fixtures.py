"""Record MXNet 1.9.1's kvstore numbers and callback log lines (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_kvcallback_fixtures.py

Writes tests/fixtures/kvcallback/expected.json, which tests/test_kvstore.py and
tests/test_callback.py compare minigluon against:

* ``kv``: what ``mx.kv.create`` reports for each single-process type; the values pulled after
  init / push (a list pushed for one key is summed) / pushpull / broadcast, with int and str keys
  and lists of keys; dtype casts on push and pull; ``row_sparse_pull`` (the dense view);
* ``kv_opt``: a store running SGD (momentum, wd, rescale_grad) and Adam after ``set_optimizer``,
  weights pulled after each push, and Adam saved after two pushes, loaded into a new store and
  pushed once more (equal to the uninterrupted third push);
* ``trainer``: a Dense layer trained 3 steps by ``gluon.Trainer`` with a KVStore instance
  (``update_on_kvstore`` None and False) on one and two contexts, SGD and Adam: the final
  weights, the resolved ``_update_on_kvstore``, and the weights without a store;
* ``callbacks``: the ``logging.info`` messages of ``Speedometer`` (with and without auto_reset,
  without a metric), ``log_train_metric``, ``ProgressBar``, ``LogValidationMetricsCallback``
  and ``do_checkpoint``, with ``time.time`` of ``mxnet.callback`` replaced by a fixed clock
  (the same clock the tests give minigluon).
"""
import json
import logging
import os
import sys
import tempfile

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
import _callback_cases  # noqa: E402  (the scenarios tests/test_callback.py runs too)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'kvcallback')


def tolist(x):
    return x.asnumpy().tolist()


def kv_cases():
    res = {'types': {}}
    for name in ['local', 'device', 'local_allreduce_cpu', 'local_allreduce_device', 'LOCAL']:
        kv = mx.kv.create(name)
        res['types'][name] = [kv.type, kv.rank, kv.num_workers, kv.is_capable('optimizer')]
    kv = mx.kv.create('local')
    out = mx.nd.zeros(3)
    src = mx.nd.array([1, 2, 3])
    kv.init(3, src)
    src[:] = 7                                 # the store holds a copy
    kv.pull(3, out=out)
    res['init_copy'] = tolist(out)
    kv.push(3, [mx.nd.ones(3), mx.nd.ones(3) * 2, mx.nd.array([0.5, 0.25, 0.125])])
    kv.pull(3, out=out)
    res['push_list_sum'] = tolist(out)
    kv.push(3, mx.nd.array([1.5, 2.5, 3.5], dtype='float64'))
    kv.pull(3, out=out)
    res['push_float64_into_float32'] = [tolist(out), np.dtype(out.dtype).name]
    o64 = mx.nd.zeros(3, dtype='float64')
    kv.pull(3, out=o64)
    res['pull_into_float64'] = [tolist(o64), np.dtype(o64.dtype).name]
    kv.init([5, 6], [mx.nd.ones(2), mx.nd.ones(2) * 2])
    outs = [[mx.nd.zeros(2), mx.nd.zeros(2)], mx.nd.zeros(2)]
    kv.push([5, 6], [[mx.nd.ones(2), mx.nd.array([1, 2])], mx.nd.ones(2) * 3])
    kv.pull([5, 6], out=outs)
    res['list_keys'] = [[tolist(x) for x in outs[0]], tolist(outs[1])]
    kv.init(10, mx.nd.zeros(2))
    g = [mx.nd.array([1, 2]), mx.nd.array([10, 20])]
    kv.pushpull(10, g)
    o = mx.nd.zeros(2)
    kv.pushpull(10, [mx.nd.array([1, 1]), mx.nd.array([3, 4])], out=o)
    res['pushpull'] = [[tolist(x) for x in g], tolist(o)]
    bo = [mx.nd.zeros(2), mx.nd.zeros(2)]
    kv.broadcast(12, mx.nd.array([3, 4]), out=bo)
    res['broadcast'] = [tolist(x) for x in bo]
    skv = mx.kv.create('device')
    skv.init('w', mx.nd.array([[1, 2], [3, 4]]))
    skv.push('w', [mx.nd.ones((2, 2)), mx.nd.ones((2, 2))])
    so = mx.nd.zeros((2, 2))
    skv.pull('w', out=so)
    res['str_key'] = tolist(so)
    rkv = mx.kv.create('local')
    rkv.init(0, mx.nd.array(np.arange(12).reshape(4, 3)).tostype('row_sparse'))
    ro = mx.nd.sparse.zeros('row_sparse', (4, 3))
    rkv.row_sparse_pull(0, out=ro, row_ids=mx.nd.array([2, 0, 2]))
    ro2 = [mx.nd.sparse.zeros('row_sparse', (4, 3)), mx.nd.sparse.zeros('row_sparse', (4, 3))]
    rkv.row_sparse_pull(0, out=ro2, row_ids=mx.nd.array([1]))
    res['row_sparse_pull'] = [ro.tostype('default').asnumpy().tolist(),
                              [x.tostype('default').asnumpy().tolist() for x in ro2]]
    return res


GRADS = [[0.5, -0.5, 1.0], [0.25, 0.25, 0.25], [-1.0, 2.0, 0.5]]


def kv_opt_cases(tmp):
    res = {}
    for name, make in [('sgd', lambda: mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01,
                                                         rescale_grad=0.5)),
                       ('adam', lambda: mx.optimizer.Adam(learning_rate=0.01, wd=0.001))]:
        kv = mx.kv.create('local')
        opt = make()
        kv.set_optimizer(opt)
        kv.init(0, mx.nd.array([1., 2., 3.]))
        pulls = []
        for it in range(3):
            kv.push(0, [mx.nd.array(GRADS[it]), mx.nd.array(GRADS[(it + 1) % 3])])
            o = mx.nd.zeros(3)
            kv.pull(0, out=o)
            pulls.append(tolist(o))
        res[name] = {'pulls': pulls, 'num_update': opt.num_update,
                     'index_update_count': {str(k): v for k, v in opt._index_update_count.items()}}
    # resume: Adam saved after two pushes, loaded into a new store
    kv = mx.kv.create('local')
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.01, wd=0.001))
    kv.init(0, mx.nd.array([1., 2., 3.]))
    for it in range(2):
        kv.push(0, [mx.nd.array(GRADS[it]), mx.nd.array(GRADS[(it + 1) % 3])])
    w = mx.nd.zeros(3)
    kv.pull(0, out=w)
    fname = os.path.join(tmp, 'kv.states')
    kv.save_optimizer_states(fname, dump_optimizer=True)
    kv2 = mx.kv.create('local')
    kv2.set_optimizer(mx.optimizer.Adam(learning_rate=0.01, wd=0.001))
    kv2.init(0, w)
    kv2.load_optimizer_states(fname)
    kv2.push(0, [mx.nd.array(GRADS[2]), mx.nd.array(GRADS[0])])
    kv2.pull(0, out=w)
    res['adam_resumed'] = tolist(w)
    return res


def trainer_run(optname, oparams, nctx, kvstore, update_on_kvstore):
    ctxs = [mx.cpu(i) for i in range(nctx)]
    rng = np.random.RandomState(3)
    net = gluon.nn.Dense(3, in_units=4, prefix='d_')
    net.initialize(ctx=ctxs)
    net.weight.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, (3, 4))))
    net.bias.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, (3,))))
    net.weight.lr_mult = 0.5
    kv = mx.kv.create(kvstore) if kvstore else None
    tr = gluon.Trainer(net.collect_params(), optname, oparams, kvstore=kv,
                       update_on_kvstore=update_on_kvstore)
    X = mx.nd.array(rng.randn(8, 4))
    for s in range(3):
        xs = gluon.utils.split_and_load(X * (s + 1), ctxs)
        with autograd.record():
            losses = [(net(x) ** 2).sum() for x in xs]
        autograd.backward(losses)
        tr.step(8)
    return {'weight': [tolist(net.weight.data(c)) for c in ctxs],
            'bias': [tolist(net.bias.data(c)) for c in ctxs],
            'update_on_kvstore': tr._update_on_kvstore}


TRAINER_OPTS = {'sgd': {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01},
                'adam': {'learning_rate': 0.01, 'wd': 0.001}}


def trainer_cases():
    res = {}
    for optname, oparams in TRAINER_OPTS.items():
        for nctx in (1, 2):
            for kvs, upd in [('local', None), ('local', False), ('device', None), ('device', True)]:
                res['%s-%d-%s-%s' % (optname, nctx, kvs, upd)] = trainer_run(optname, oparams, nctx,
                                                                             kvs, upd)
    return res


def callback_cases(tmp):
    import mxnet.callback as cbmod
    res = {}
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for name in sorted(_callback_cases.cases(mx)):
        cap = _callback_cases.Capture()
        root.addHandler(cap)
        cbmod.time = _callback_cases.FakeClock()
        _callback_cases.run(mx, name)
        root.removeHandler(cap)
        res[name] = cap.lines
    # do_checkpoint: every second epoch
    cap = _callback_cases.Capture()
    root.addHandler(cap)
    _callback_cases.run_checkpoint(mx, os.path.join(tmp, 'ck'))
    root.removeHandler(cap)
    res['do_checkpoint'] = {'files': sorted(os.listdir(tmp)),
                            'log': [line.replace(tmp, '<tmp>') for line in cap.lines]}
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as tmp2:
        expected = {'kv': kv_cases(), 'kv_opt': kv_opt_cases(tmp), 'trainer': trainer_cases(),
                    'callbacks': callback_cases(tmp2), 'grads': GRADS,
                    'trainer_opts': TRAINER_OPTS}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write('\n')
    print('wrote', os.path.join(OUT, 'expected.json'))


if __name__ == '__main__':
    main()
