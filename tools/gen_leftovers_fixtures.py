"""Record MXNet 1.9.1's answers for five small fidelity cases (run with /opt/mxvenv/bin/python).

    /opt/mxvenv/bin/python tools/gen_leftovers_fixtures.py

Writes tests/fixtures/leftovers/*.json, read by tests/test_leftovers.py:

* contrib.json: which ``_contrib_`` operators ``mx.nd.contrib``/``mx.sym.contrib``/``mx.contrib.nd``
  /``mx.contrib.sym`` offer, the node names, outputs and JSON operator names of symbols built from
  them, and eager ``contrib.ctc_loss`` values;
* batchnorm_fix_gamma.json: ``nn.BatchNorm(scale=False)`` and raw ``BatchNorm(fix_gamma=True)``:
  output, beta gradient and the stored gamma after forward / in ``save_parameters``. MXNet runs
  here with its synchronous NaiveEngine: under the default threaded engine the write of 1 into
  gamma races with reading it back, so what you see varies from run to run;
* ndarrayiter.json: batches, ``pad`` over three epochs for each ``last_batch_handle``;
* attrs.json: ``list_attr``/``attr_dict``/``attr`` of symbols built by the source lines stored
  with the answers (the test evaluates the same lines on minigluon);
* multi_precision.json: what MXNet does when a net is cast to float16 after a
  ``multi_precision=True`` optimizer made its states (it fails inside its update operator).
"""
import json
import os
import tempfile

os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'     # before importing mxnet; see the docstring

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'leftovers')

CONTRIB_NAMES = ['ctc_loss', 'CTCLoss', 'BatchNormWithReLU']
CONTRIB_SYMBOLS = [
    "mx.sym.contrib.ctc_loss(data=d, label=l)",
    "mx.sym.contrib.ctc_loss(data=d, label=l)",
    "mx.sym.contrib.CTCLoss(data=d, label=l)",
    "mx.contrib.sym.ctc_loss(data=d, label=l, name='ocr_ctc')",
    "mx.contrib.symbol.CTCLoss(d, l, mx.sym.var('dl'), use_data_lengths=True, blank_label='last')",
    "mx.sym.contrib.BatchNormWithReLU(data=d, name='bnr')",
    "mx.sym.contrib.BatchNormWithReLU(data=d, output_mean_var=True)",
]
ATTR_CASES = [
    "mx.sym.var('w', lr_mult=2.0, wd_mult=0.5, init=mx.init.Xavier(), shape=(2, 3), dtype='float16', "
    "stype='default', attr={'mood': 'angry', '__ctx_group__': 'dev1'})",
    "mx.sym.var('b', attr={'lr_mult': '3', '__wd_mult__': '0.1', 'profiler_scope': 'x'})",
    "mx.sym.var('c', attr={'profiler_scope': 'x', 'mirror_stage': 'True', '__profiler_scope__': 'y'})",
    "mx.sym.var('e', attr={'lr_mult': '1', '__lr_mult__': '2', 'force_mirroring': 'False'})",
    "mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=3, name='fc2', "
    "attr={'__lr_mult__': '2', '__wd_mult__': '0', '__force_mirroring__': 'True'})",
    "mx.sym.Group([mx.sym.FullyConnected(mx.sym.var('y'), num_hidden=2, name='fc3', lr_mult=2), "
    "mx.sym.var('v', wd_mult=3)])",
    "mx.sym.load_json(mx.sym.relu(mx.sym.var('z', lr_mult=4), name='r', attr={'__ctx_group__': 'g'}).tojson())",
]
ATTR_SCOPE_CASE = ("with mx.AttrScope(ctx_group='g1', __lr_mult__='4'):\n"
                   "    sym = mx.sym.FullyConnected(mx.sym.var('d'), num_hidden=3, name='fc')")
ATTR_KEYS = ['lr_mult', '__lr_mult__', 'wd_mult', 'ctx_group', 'profiler_scope', '__profiler_scope__',
             'mirror_stage', 'mood', 'num_hidden']
ITER_CASES = [(10, 3), (10, 4), (7, 3), (6, 3), (5, 5)]


def contrib():
    names = {n: {'nd.contrib': hasattr(mx.nd.contrib, n), 'sym.contrib': hasattr(mx.sym.contrib, n),
                 'contrib.nd': hasattr(mx.contrib.nd, n), 'contrib.ndarray': hasattr(mx.contrib.ndarray, n),
                 'contrib.sym': hasattr(mx.contrib.sym, n), 'contrib.symbol': hasattr(mx.contrib.symbol, n)}
             for n in CONTRIB_NAMES}
    d, l = mx.sym.var('data'), mx.sym.var('label')
    symbols = []
    for src in CONTRIB_SYMBOLS:
        s = eval(src, {'mx': mx, 'd': d, 'l': l})
        nodes = json.loads(s.tojson())['nodes']
        symbols.append({'src': src, 'name': s.name, 'outputs': s.list_outputs(), 'arguments': s.list_arguments(),
                        'aux': s.list_auxiliary_states(), 'op': nodes[-1]['op'],
                        'internals': s.get_internals().list_outputs()})
    rng = np.random.RandomState(0)
    data = rng.uniform(-1, 1, (5, 2, 4)).astype('float32')
    label = np.array([[1, 2], [3, 0]], dtype='float32')
    eager = {'data': data.tolist(), 'label': label.tolist(),
             'loss': mx.nd.contrib.ctc_loss(mx.nd.array(data), mx.nd.array(label)).asnumpy().tolist(),
             'loss_last': mx.contrib.nd.CTCLoss(mx.nd.array(data), mx.nd.array(label) - 1,
                                                blank_label='last').asnumpy().tolist()}
    return {'names': names, 'symbols': symbols, 'eager': eager}


def batchnorm():
    x = np.random.RandomState(0).rand(2, 3, 2).astype('float32')
    gluon_cases = []
    for hybridize in (False, True):
        for train in (False, True):
            net = mx.gluon.nn.BatchNorm(scale=False, in_channels=3)
            net.initialize()
            net.gamma.set_data(mx.nd.array([2., 3., 4.]))
            net.beta.set_data(mx.nd.array([0.1, 0.2, 0.3]))
            fname = os.path.join(tempfile.mkdtemp(), 'bn.params')
            net.save_parameters(fname)
            saved_before = mx.nd.load(fname)['gamma'].asnumpy().tolist()
            if hybridize:
                net.hybridize()
            with mx.autograd.record(train_mode=train):
                y = net(mx.nd.array(x))
                (y * y).sum().backward()
            net.save_parameters(fname)
            gluon_cases.append({'hybridize': hybridize, 'train': train, 'gamma_grad_req': net.gamma.grad_req,
                                'saved_before': saved_before, 'out': y.asnumpy().tolist(),
                                'beta_grad': net.beta.grad().asnumpy().tolist(),
                                'gamma_after': net.gamma.data().asnumpy().tolist(),
                                'saved_after': mx.nd.load(fname)['gamma'].asnumpy().tolist()})
    op_cases = []
    for train in (False, True):
        for glob in (False, True):
            gamma = mx.nd.array([2., 3.])
            gamma.attach_grad()
            with mx.autograd.record(train_mode=train):
                y = mx.nd.BatchNorm(mx.nd.array([[1., 2.], [3., 5.]]), gamma, mx.nd.array([0., 0.]),
                                    mx.nd.zeros(2), mx.nd.ones(2), fix_gamma=True, use_global_stats=glob)
            y.backward()
            op_cases.append({'train': train, 'use_global_stats': glob, 'out': y.asnumpy().tolist(),
                             'gamma_after': gamma.asnumpy().tolist(), 'gamma_grad': gamma.grad.asnumpy().tolist()})
    return {'x': x.tolist(), 'gluon': gluon_cases, 'op': op_cases}


def ndarrayiter():
    cases = []
    for n, bs in ITER_CASES:
        for handle in ('roll_over', 'pad', 'discard'):
            it = mx.io.NDArrayIter(np.arange(n).reshape(n, 1).astype('float32'), np.arange(n) + 100,
                                   batch_size=bs, last_batch_handle=handle)
            epochs = []
            for _ in range(3):
                epochs.append([{'data': b.data[0].asnumpy().ravel().tolist(),
                                'label': b.label[0].asnumpy().tolist(), 'pad': b.pad,
                                'getpad': it.getpad(), 'index': b.index} for b in it])
                it.reset()
            cases.append({'n': n, 'batch_size': bs, 'last_batch_handle': handle, 'epochs': epochs})
    it = mx.io.NDArrayIter(np.arange(2).reshape(2, 1).astype('float32'), batch_size=5, last_batch_handle='pad')
    small_pad = [(b.data[0].asnumpy().ravel().tolist(), b.pad) for b in it]
    it = mx.io.NDArrayIter(np.arange(10).reshape(10, 1).astype('float32'), batch_size=3,
                           last_batch_handle='roll_over')
    list(it)
    it.hard_reset()
    hard = [(b.data[0].asnumpy().ravel().tolist(), b.pad) for b in it]
    return {'cases': cases, 'batch_larger_than_data_pad': small_pad, 'roll_over_after_hard_reset': hard}


def _attr_answer(sym):
    try:
        listed = sym.list_attr()
    except Exception as err:  # noqa: BLE001
        listed = 'error: %s' % type(err).__name__
    return {'list_attr': listed, 'attr_dict': sym.attr_dict(),
            'attr': {k: sym.attr(k) for k in ATTR_KEYS}}


def attrs():
    cases = [dict(_attr_answer(eval(src, {'mx': mx})), src=src) for src in ATTR_CASES]
    scope = {'mx': mx}
    exec(ATTR_SCOPE_CASE, scope)
    cases.append(dict(_attr_answer(scope['sym']), src=ATTR_SCOPE_CASE, exec=True))
    return {'cases': cases, 'keys': ATTR_KEYS}


def multi_precision():
    """An Updater step on a float32 weight, then on the same weight cast to float16 (what
    ``net.cast('float16')`` between two ``Trainer.step`` calls does; MXNet's CPU FullyConnected
    has no float16, so the net-level scenario cannot run here), and the reverse order."""
    out = {}
    for name, kw in [('sgd', {'momentum': 0.9}), ('adam', {})]:
        for first, then in [('float32', 'float16'), ('float16', 'float32')]:
            updater = mx.optimizer.get_updater(mx.optimizer.create(name, learning_rate=0.1,
                                                                   multi_precision=True, **kw))
            weight = mx.nd.ones((2, 3), dtype=first)
            updater(0, mx.nd.ones((2, 3), dtype=first), weight)
            weight = weight.astype(then)
            try:
                updater(0, mx.nd.ones((2, 3), dtype=then), weight)
                mx.nd.waitall()
                result = {'raises': None, 'weight': weight.asnumpy().tolist()}
            except Exception as err:  # noqa: BLE001
                result = {'raises': type(err).__name__, 'message': str(err).strip().splitlines()[-1][:200]}
            out['%s %s->%s' % (name, first, then)] = result
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for fname, fn in [('contrib.json', contrib), ('batchnorm_fix_gamma.json', batchnorm),
                      ('ndarrayiter.json', ndarrayiter), ('attrs.json', attrs),
                      ('multi_precision.json', multi_precision)]:
        with open(os.path.join(OUT, fname), 'w') as f:
            json.dump(fn(), f, indent=1, sort_keys=True)
        print('wrote', fname)


if __name__ == '__main__':
    main()
