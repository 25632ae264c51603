"""Write MXNet 1.9.1 golden files for minigluon's symbol tests (tests/fixtures/symbol/).

Run in the MXNet venv:  /opt/mxvenv/bin/python tools/gen_symbol_fixtures.py
Writes small files only: -symbol.json texts, export .params, input/output .npz, expectations .json.
"""
import json
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'symbol')


def path(name):
    return os.path.join(OUT, name)


def write(name, text):
    with open(path(name), 'w') as f:
        f.write(text)


def dense_export():
    """docs/MXNET_SPEC.md 5.1: Dense(3, relu, in_units=2) + Activation('sigmoid'), export epoch 7."""
    with mx.name.NameManager():
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Dense(3, activation='relu', in_units=2))
            net.add(gluon.nn.Activation('sigmoid'))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(0).randn(4, 2))
    y = net(x)
    net.export(path('dense'), epoch=7)
    np.savez(path('dense_io.npz'), x=x.asnumpy(), y=y.asnumpy())


def convbn_export():
    """Conv2D(2, 3, no bias) + BatchNorm + relu + MaxPool + Flatten + Dense(3): export, I/O, grads."""
    with mx.name.NameManager():
        net = gluon.nn.HybridSequential()
        with net.name_scope():
            net.add(gluon.nn.Conv2D(2, 3, in_channels=1, use_bias=False))
            net.add(gluon.nn.BatchNorm(in_channels=2))
            net.add(gluon.nn.Activation('relu'))
            net.add(gluon.nn.MaxPool2D(2))
            net.add(gluon.nn.Flatten())
            net.add(gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Xavier())
    # non-trivial running statistics so that predict mode differs from train mode
    bn = net[1]
    bn.running_mean.set_data(mx.nd.array([0.1, -0.2]))
    bn.running_var.set_data(mx.nd.array([1.5, 0.5]))
    net.hybridize()
    rng = np.random.RandomState(1)
    x = mx.nd.array(rng.randn(2, 1, 6, 6))
    y_pred = net(x)
    net.export(path('convbn'), epoch=0)
    head = mx.nd.array(rng.randn(2, 3))
    params = net.collect_params()
    for p in params.values():
        if p.grad_req != 'null':
            p.zero_grad()
    with autograd.record():
        y_train = net(x)
        loss = (y_train * head).sum()
    loss.backward()
    grads = {'grad:' + name: p.grad().asnumpy() for name, p in params.items() if p.grad_req != 'null'}
    stats = {'after:' + name: p.data().asnumpy() for name, p in params.items() if 'running' in name}
    np.savez(path('convbn_io.npz'), x=x.asnumpy(), y_pred=y_pred.asnumpy(), head=head.asnumpy(),
             y_train=y_train.asnumpy(), **grads, **stats)


def sym_graph():
    """A graph built with mx.sym (mirrored in tests/symbol/test_json_fixtures.py)."""
    with mx.name.NameManager():
        data = mx.sym.var('data')
        conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, pad=(1, 1), name='conv1')
        bn = mx.sym.BatchNorm(conv, fix_gamma=False, eps=1e-5, name='bn1')
        act = mx.sym.Activation(bn, act_type='relu')
        pool = mx.sym.Pooling(act, kernel=(2, 2), stride=(2, 2), pool_type='max')
        parts = mx.sym.SliceChannel(pool, num_outputs=2, axis=1)
        cat = mx.sym.Concat(parts[1], parts[0], dim=1)
        flat = mx.sym.Flatten(cat)
        fc = mx.sym.FullyConnected(flat, num_hidden=5, name='fc1')
        scaled = fc * 2 + 1.5
        mixed = scaled - fc / 4
        out = mx.sym.Group([mixed, -fc, 3 - fc, fc ** 2])
    write('sym_graph.json', out.tojson())
    arg, outs, aux = out.infer_shape(data=(2, 3, 8, 8))
    with open(path('sym_graph_shapes.json'), 'w') as f:
        json.dump({'arguments': out.list_arguments(), 'aux': out.list_auxiliary_states(),
                   'outputs': out.list_outputs(), 'inputs': out.list_inputs(),
                   'arg_shapes': arg, 'out_shapes': outs, 'aux_shapes': aux,
                   'internals': out.get_internals().list_outputs()}, f, indent=1)


def legacy_variants():
    """Legacy spellings of the 5.1 graph; MXNet's re-serialisation after loading is the oracle."""
    with open(path('dense-symbol.json')) as f:
        graph = json.load(f)

    def variant(name, mutate):
        g = json.loads(json.dumps(graph))
        mutate(g)
        text = json.dumps(g)
        write('legacy_%s.json' % name, text)
        write('legacy_%s.expected.json' % name, mx.sym.load_json(text).tojson())

    def attr_key(key):
        def fn(g):
            for n in g['nodes']:
                if 'attrs' in n:
                    n[key] = n.pop('attrs')
        return fn

    def two_element(g):
        for n in g['nodes']:
            n['inputs'] = [e[:2] for e in n['inputs']]
        g['heads'] = [e[:2] for e in g['heads']]

    def no_row_ptr(g):
        del g['node_row_ptr']

    def no_attrs(g):
        del g['attrs']
        del g['node_row_ptr']

    def hidden_plain(g):           # pre-0.9 files wrote hidden keys plainly
        del g['attrs']
        g['nodes'][3]['attrs']['ctx_group'] = 'stage1'
        g['nodes'][1]['attrs']['lr_mult'] = '0.5'
        g['nodes'][3]['backward_source_id'] = -1

    def hidden_dunder(g):
        g['nodes'][3]['attrs']['__ctx_group__'] = 'stage1'

    variant('param', attr_key('param'))
    variant('attr', attr_key('attr'))
    variant('two_element', two_element)
    variant('no_row_ptr', no_row_ptr)
    variant('no_attrs', no_attrs)
    variant('hidden_plain', hidden_plain)
    variant('hidden_dunder', hidden_dunder)

    # A pre-0.9 file: BatchNorm without its auxiliary variables and without graph attrs.
    old = {'nodes': [
        {'op': 'null', 'name': 'data', 'inputs': []},
        {'op': 'null', 'name': 'bn_gamma', 'inputs': []},
        {'op': 'null', 'name': 'bn_beta', 'inputs': []},
        {'op': 'BatchNorm', 'name': 'bn', 'param': {'eps': '0.001'},
         'inputs': [[0, 0], [1, 0], [2, 0]]}],
        'arg_nodes': [0, 1, 2], 'heads': [[3, 0]]}
    text = json.dumps(old)
    write('legacy_old_bn.json', text)
    loaded = mx.sym.load_json(text)
    write('legacy_old_bn.expected.json', loaded.tojson())
    with open(path('legacy_old_bn.lists.json'), 'w') as f:
        json.dump({'arguments': loaded.list_arguments(), 'aux': loaded.list_auxiliary_states()}, f)


def raw_defaults():
    """Raw-op defaults when a JSON omits attributes: BatchNorm fix_gamma=True, eps=1e-3."""
    rng = np.random.RandomState(2)
    x = rng.randn(3, 2, 2, 2).astype('float32')
    gamma = np.array([2.0, 0.5], 'float32')
    beta = np.array([0.1, -0.3], 'float32')
    mean = np.array([0.2, -0.1], 'float32')
    var = np.array([0.7, 1.3], 'float32')
    data = mx.sym.var('data')
    out = mx.sym.BatchNorm(data, name='bn', use_global_stats=True)
    ex = out.bind(mx.cpu(), {'data': mx.nd.array(x), 'bn_gamma': mx.nd.array(gamma),
                             'bn_beta': mx.nd.array(beta)},
                  aux_states={'bn_moving_mean': mx.nd.array(mean), 'bn_moving_var': mx.nd.array(var)})
    y = ex.forward(is_train=False)[0].asnumpy()
    np.savez(path('raw_bn.npz'), x=x, gamma=gamma, beta=beta, mean=mean, var=var, y=y)
    write('raw_bn.json', out.tojson())


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    mx.random.seed(0)
    np.random.seed(0)
    dense_export()
    convbn_export()
    sym_graph()
    legacy_variants()
    raw_defaults()
    print('wrote', sorted(os.listdir(OUT)))
