"""Record MXNet 1.9.1's answers for the pre-Gluon operators and for symbol files written by old
MXNet versions (minigluon/ops/legacy_v1.py, minigluon/symbol/json_io.py).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_legacy_ops_fixtures.py

Writes into tests/fixtures/legacy_ops/:

* ``cases.json`` / ``values.npz`` (``_golden.Recorder``): ``Convolution_v1``, ``Pooling_v1`` and
  ``Correlation`` calls, outputs and gradients, and the node MXNet writes for each;
* ``bn_v1.json`` / ``bn_v1.npz``: ``BatchNorm_v1`` run through an executor (MXNet 1.9.1's
  ``nd.BatchNorm_v1`` cannot take its five inputs), training and inference: outputs, the
  gradients of data, gamma and beta, and the moving statistics after the forward; and
  ``bn_v1-symbol.json``, the graph of ``sym.BatchNorm_v1``;
* ``old_<name>.json``: hand-written symbol files in the layouts of MXNet 0.7 to 1.6 (``param`` /
  ``attr`` keys, ``backward_source_id``, two-element entries, missing auxiliary variables, plain
  hidden keys, ``<input>_lr_mult``, legacy operator names), ``old_<name>.expected.json`` (MXNet's
  re-save after ``load_json``) and, for the two model files, ``old_<name>-0000.params`` (random
  weights) and ``old_<name>_io.npz`` (an input and MXNet's outputs for it);
* ``kl-symbol.json`` / ``kl.npz``: ``IdentityAttachKLSparseReg``'s graph and three training
  steps through an executor (inputs, head gradients, outputs, gradients, moving averages);
* ``gpu_only_graphs.json``: the JSON and inferred shapes of ``fft``, ``ifft`` and
  ``count_sketch`` graphs (MXNet's CPU build cannot run them);
* ``legacy_graph.json``: a graph of ``Correlation``, ``Pooling_v1`` and ``BatchNorm_v1``, its JSON
  and internal output names;
* ``hawkesll.npz``: ``nd.contrib.hawkesll`` inputs, outputs and gradients;
* ``op_namespaces.json``: the names in ``mx.nd.op`` and ``mx.sym.op``;
* ``old_hidden_keys.json``: small graphs whose hidden keys MXNet upgrades or refuses by version,
  with MXNet's re-saved node attributes or ``null`` where it raises.
"""
import json
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'legacy_ops')
RNG = np.random.RandomState(0)
REC = Recorder(mx, RNG)


def U(*shape, dtype=np.float32):
    return RNG.uniform(-1, 1, size=shape).astype(dtype)


def ties(*shape):
    """Small integers: windows with several equal maxima."""
    return RNG.randint(-2, 3, size=shape).astype(np.float32)


def write(name, text):
    with open(os.path.join(OUT, name), 'w') as f:
        f.write(text)


# -- Convolution_v1 / Pooling_v1 (eager calls) ----------------------------------------------------

def conv_and_pooling():
    conv = 'Convolution_v1'
    REC.case(conv, [U(2, 3, 5, 5), U(4, 3, 3, 3), U(4)], wrt=(0, 1, 2), kernel=(3, 3), num_filter=4)
    REC.case(conv, [U(1, 4, 7, 6), U(6, 2, 3, 2), U(6)], wrt=(0, 1, 2), kernel=(3, 2), num_filter=6,
             num_group=2, stride=(2, 1), pad=(1, 0), dilate=(1, 2))
    REC.case(conv, [U(2, 2, 4, 4), U(3, 2, 1, 1)], wrt=(0, 1), kernel=(1, 1), num_filter=3,
             no_bias=True, workspace=256, cudnn_tune='off')
    REC.case(conv, [U(1, 2, 4, 5, dtype=np.float64), U(2, 2, 2, 2, dtype=np.float64),
                    U(2, dtype=np.float64)], wrt=(0, 1, 2), kernel=(2, 2), num_filter=2, pad=(1, 1))
    pool = 'Pooling_v1'
    REC.case(pool, [U(2, 2, 5, 5)], kernel=(2, 2), stride=(2, 2))
    REC.case(pool, [ties(1, 2, 6, 6)], kernel=(3, 3), stride=(1, 1))                  # tied maxima
    REC.case(pool, [ties(1, 2, 6, 6)], kernel=(2, 2), stride=(2, 2), pooling_convention='full')
    REC.case(pool, [U(1, 2, 4, 4) - 2], kernel=(3, 3), pad=(1, 1))                    # zero padding
    REC.case(pool, [U(1, 1, 6, 6) - 2], kernel=(3, 3), stride=(2, 2), pooling_convention='full')
    REC.case(pool, [U(1, 2, 6, 6)], kernel=(3, 3), stride=(2, 2), pool_type='avg',
             pooling_convention='full')                                                # past the input
    REC.case(pool, [U(2, 1, 5, 5)], kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
             pooling_convention='full')
    REC.case(pool, [U(1, 2, 5, 4)], kernel=(2, 3), pad=(1, 1), pool_type='avg')
    REC.case(pool, [U(1, 2, 6, 6)], kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='sum',
             pooling_convention='full')
    REC.case(pool, [U(2, 3, 4, 5)], global_pool=True, pool_type='avg')
    REC.case(pool, [ties(2, 3, 3, 4)], global_pool=True, kernel=(1, 1))
    REC.case(pool, [U(1, 2, 5, 5, dtype=np.float64)], kernel=(2, 2), pool_type='avg')
    corr = 'Correlation'                                     # FlowNet's layer, CPU in MXNet too
    REC.case(corr, [U(2, 3, 6, 7), U(2, 3, 6, 7)], wrt=(0, 1), kernel_size=3, max_displacement=2,
             pad_size=2)
    REC.case(corr, [U(1, 2, 9, 8), U(1, 2, 9, 8)], wrt=(0, 1), max_displacement=4, stride1=2,
             stride2=2, pad_size=4)
    REC.case(corr, [U(2, 2, 7, 7), U(2, 2, 7, 7)], wrt=(0, 1), kernel_size=3, max_displacement=1,
             stride1=2, is_multiply=False)
    REC.case(corr, [U(1, 1, 4, 5), U(1, 1, 4, 5)], wrt=(0, 1))


# -- BatchNorm_v1 (through an executor) -----------------------------------------------------------

BN_CASES = [
    ({}, True, (2, 3, 4, 4)),
    ({'fix_gamma': False}, True, (2, 3, 4, 4)),
    ({'fix_gamma': False, 'eps': 0.01, 'momentum': 0.8}, True, (4, 3)),
    ({'fix_gamma': False, 'output_mean_var': True}, True, (2, 3, 3, 2)),
    ({'fix_gamma': False, 'output_mean_var': True}, False, (2, 3, 3, 2)),
    ({'fix_gamma': False, 'use_global_stats': True}, True, (2, 3, 4, 4)),
]


def batchnorm_v1():
    values, cases = {}, []
    for k, (attrs, is_train, shape) in enumerate(BN_CASES):
        c = shape[1]
        arrays = {'data': U(*shape) * 2 + 0.5, 'bn_gamma': U(c) + 1.5, 'bn_beta': U(c),
                  'bn_moving_mean': U(c), 'bn_moving_var': U(c) + 1.5}
        out = mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn', **attrs)
        if attrs.get('output_mean_var'):
            out = mx.sym.Group([out[0], out[1], out[2]])
        args = {n: mx.nd.array(arrays[n]) for n in ('data', 'bn_gamma', 'bn_beta')}
        aux = {n: mx.nd.array(arrays[n]) for n in ('bn_moving_mean', 'bn_moving_var')}
        grads = {n: mx.nd.zeros(a.shape) for n, a in args.items()}
        ex = out.bind(mx.cpu(), args, args_grad=grads, aux_states=aux)
        outs = ex.forward(is_train=is_train)
        heads = [RNG.standard_normal(o.shape).astype(np.float32) for o in outs]
        ex.backward([mx.nd.array(h) for h in heads], is_train=is_train)
        key = 'b%d' % k
        for n, a in arrays.items():
            values['%s_%s' % (key, n)] = a
        for j, (o, h) in enumerate(zip(outs, heads)):
            values['%s_out%d' % (key, j)] = o.asnumpy()
            values['%s_head%d' % (key, j)] = h
        for n in grads:
            values['%s_grad_%s' % (key, n)] = grads[n].asnumpy()
        for n in aux:
            values['%s_after_%s' % (key, n)] = aux[n].asnumpy()
        values['%s_after_bn_gamma' % key] = args['bn_gamma'].asnumpy()
        cases.append({'key': key, 'attrs': attrs, 'is_train': is_train, 'n_out': len(outs)})
    np.savez_compressed(os.path.join(OUT, 'bn_v1.npz'), **values)
    with open(os.path.join(OUT, 'bn_v1.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'cases': cases}, f, indent=1, sort_keys=True)
    graph = mx.sym.BatchNorm_v1(mx.sym.var('data'), name='bn', eps=2e-5, fix_gamma=False)
    write('bn_v1-symbol.json', graph.tojson())


# -- Old symbol files -----------------------------------------------------------------------------

def _old_node(op, name, inputs, param=None, attr=None):
    """A node as MXNet 0.5 - 0.8 wrote it: ``param``, optional ``attr``, two-element entries and
    ``backward_source_id``."""
    node = {'op': op, 'param': param or {}, 'name': name, 'inputs': [list(e) for e in inputs],
            'backward_source_id': -1}
    if attr is not None:
        node['attr'] = attr
    return node


def v07_inception_bn():
    """The layout of the 2015 model zoo's Inception-BN file (a tiny graph of its operators):
    BatchNorm without its auxiliary variables, plain hidden keys on a variable and an operator,
    ``weight_lr_mult`` on an operator, no graph attributes."""
    nodes = []

    def add(*args, **kwargs):
        nodes.append(_old_node(*args, **kwargs))
        return len(nodes) - 1
    data = add('null', 'data', [])
    w = add('null', 'conv_1_weight', [], attr={'lr_mult': '0.5', 'wd_mult': '0'})
    b = add('null', 'conv_1_bias', [])
    conv = add('Convolution', 'conv_1', [(data, 0), (w, 0), (b, 0)],
               {'dilate': '(1,1)', 'kernel': '(3,3)', 'no_bias': 'False', 'num_filter': '4',
                'num_group': '1', 'pad': '(1,1)', 'stride': '(1,1)', 'workspace': '512'},
               attr={'ctx_group': 'stage1'})
    g = add('null', 'bn_1_gamma', [])
    be = add('null', 'bn_1_beta', [])
    bn = add('BatchNorm', 'bn_1', [(conv, 0), (g, 0), (be, 0)],
             {'eps': '0.001', 'fix_gamma': 'False', 'momentum': '0.9', 'use_global_stats': 'False'})
    act = add('Activation', 'relu_1', [(bn, 0)], {'act_type': 'relu'})
    pool = add('Pooling', 'pool_1', [(act, 0)],
               {'kernel': '(3,3)', 'pad': '(0,0)', 'pool_type': 'max', 'stride': '(2,2)'})
    w2 = add('null', 'conv_2_weight', [])
    conv2 = add('Convolution', 'conv_2', [(pool, 0), (w2, 0)],
                {'kernel': '(1,1)', 'no_bias': 'True', 'num_filter': '4', 'pad': '(0,0)',
                 'stride': '(1,1)'})
    pool2 = add('Pooling', 'pool_2', [(pool, 0)],
                {'kernel': '(3,3)', 'pad': '(1,1)', 'pool_type': 'avg', 'stride': '(1,1)'})
    cat = add('Concat', 'ch_concat', [(conv2, 0), (pool2, 0)], {'dim': '1', 'num_args': '2'})
    gp = add('Pooling', 'global_pool', [(cat, 0)],
             {'global_pool': 'True', 'kernel': '(2,2)', 'pad': '(0,0)', 'pool_type': 'avg',
              'stride': '(1,1)'})
    fl = add('Flatten', 'flatten', [(gp, 0)])
    fw = add('null', 'fc1_weight', [])
    fb = add('null', 'fc1_bias', [])
    fc = add('FullyConnected', 'fc1', [(fl, 0), (fw, 0), (fb, 0)],
             {'no_bias': 'False', 'num_hidden': '5'}, attr={'weight_lr_mult': '2'})
    label = add('null', 'softmax_label', [])
    sm = add('Softmax', 'softmax', [(fc, 0), (label, 0)],
             {'grad_scale': '1', 'ignore_label': '-1', 'multi_output': 'False',
              'normalization': 'null', 'use_ignore': 'False'})
    return {'nodes': nodes, 'arg_nodes': [i for i, n in enumerate(nodes) if n['op'] == 'null'],
            'heads': [[sm, 0]]}


def v09_legacy_ops():
    """A 0.9.3 file: ``attr`` per node, three-element entries, the auxiliary variables present
    but without the ``__init__`` MXNet adds below 0.9.4, the ``_v1`` operators, ``argmax`` with
    the pre-0.9.5 ``axis=-1`` and a PReLU slope variable."""
    nodes = []

    def add(op, name, inputs, attr=None):
        node = {'op': op, 'name': name, 'inputs': [list(e) for e in inputs]}
        if attr:
            node['attr'] = attr
        nodes.append(node)
        return len(nodes) - 1
    data = add('null', 'data', [])
    g, b = add('null', 'bn0_gamma', []), add('null', 'bn0_beta', [])
    mm = add('null', 'bn0_moving_mean', [])
    mv = add('null', 'bn0_moving_var', [], {'__init__': '["constant", {"value": 2}]'})
    bn = add('BatchNorm_v1', 'bn0', [(data, 0, 0), (g, 0, 0), (b, 0, 0), (mm, 0, 1), (mv, 0, 1)],
             {'eps': '2e-05', 'fix_gamma': 'False', 'momentum': '0.9'})
    w = add('null', 'conv0_weight', [])
    conv = add('Convolution_v1', 'conv0', [(bn, 0, 0), (w, 0, 0)],
               {'kernel': '(3,3)', 'no_bias': 'True', 'num_filter': '4', 'pad': '(1,1)',
                'stride': '(1,1)', 'workspace': '256'})
    slope = add('null', 'prelu_gamma', [])
    prelu = add('LeakyReLU', 'prelu', [(conv, 0, 0), (slope, 0, 0)], {'act_type': 'prelu'})
    pool = add('Pooling_v1', 'pool0', [(prelu, 0, 0)],
               {'kernel': '(2,2)', 'pool_type': 'max', 'stride': '(2,2)',
                'pooling_convention': 'full', 'pad': '(1,1)'})
    pool2 = add('Pooling_v1', 'pool1', [(pool, 0, 0)],
                {'kernel': '(2,2)', 'pool_type': 'avg', 'stride': '(1,1)', 'pooling_convention': 'full'})
    am = add('argmax', 'am', [(pool2, 0, 0)], {'axis': '-1'})
    return {'nodes': nodes, 'arg_nodes': [i for i, n in enumerate(nodes) if n['op'] == 'null'],
            'node_row_ptr': list(range(len(nodes) + 1)), 'heads': [[pool2, 0, 0], [am, 0, 0]],
            'attrs': {'mxnet_version': ['int', 903]}}


MODEL_FILES = {'v07_inception_bn': (v07_inception_bn, (2, 3, 6, 6)),
               'v09_legacy_ops': (v09_legacy_ops, (2, 3, 5, 5))}


def old_model_files():
    for name, (make, shape) in MODEL_FILES.items():
        text = json.dumps(make(), indent=2)
        write('old_%s.json' % name, text)
        graph = mx.sym.load_json(text)
        write('old_%s.expected.json' % name, graph.tojson())
        arg_shapes, _, aux_shapes = graph.infer_shape(data=shape)
        inputs = {'data': U(*shape)}
        args = {}
        for n, s in zip(graph.list_arguments(), arg_shapes):
            if n.endswith('label'):
                inputs[n] = np.zeros(s, np.float32)
            elif n != 'data':
                args[n] = U(*s)
        aux = {n: U(*s) + (1.5 if n.endswith('var') else 0)
               for n, s in zip(graph.list_auxiliary_states(), aux_shapes)}
        mx.nd.save(os.path.join(OUT, 'old_%s-0000.params' % name),
                   dict({'arg:' + k: mx.nd.array(v) for k, v in args.items()},
                        **{'aux:' + k: mx.nd.array(v) for k, v in aux.items()}))
        ex = graph.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in dict(args, **inputs).items()},
                        aux_states={k: mx.nd.array(v) for k, v in aux.items()})
        outs = [o.asnumpy() for o in ex.forward(is_train=False)]
        np.savez_compressed(os.path.join(OUT, 'old_%s_io.npz' % name),
                            **{'in_' + k: v for k, v in inputs.items()},
                            **{'out%d' % j: o for j, o in enumerate(outs)})


def _fc_graph(version, fc_attrs, weight_attrs=None):
    """data -> relu -> FullyConnected(weight, bias), as a file of ``version`` (None: no graph
    attributes, a pre-0.9 file)."""
    nodes = [{'op': 'null', 'name': 'x', 'inputs': []},
             {'op': 'relu', 'name': 'r', 'inputs': [[0, 0, 0]]},
             {'op': 'null', 'name': 'fc_weight', 'attrs': weight_attrs or {}, 'inputs': []},
             {'op': 'null', 'name': 'fc_bias', 'inputs': []},
             {'op': 'FullyConnected', 'name': 'fc', 'attrs': dict({'num_hidden': '2'}, **fc_attrs),
              'inputs': [[1, 0, 0], [2, 0, 0], [3, 0, 0]]}]
    graph = {'nodes': nodes, 'arg_nodes': [0, 2, 3], 'heads': [[4, 0, 0]]}
    if version is not None:
        graph['attrs'] = {'mxnet_version': ['int', version]}
    return graph


def _relu_graph(version, x_attrs, relu_attrs):
    graph = {'nodes': [{'op': 'null', 'name': 'x', 'attrs': x_attrs, 'inputs': []},
                       {'op': 'relu', 'name': 'r', 'attrs': relu_attrs, 'inputs': [[0, 0, 0]]}],
             'arg_nodes': [0], 'heads': [[1, 0, 0]],
             'attrs': {'mxnet_version': ['int', version]}}
    return graph


def hidden_key_cases():
    """Which plain hidden keys MXNet upgrades, by file version; ``expected`` is the list of the
    re-saved nodes' attributes, or None where MXNet raises."""
    cases = {}
    for version in (10901, 10600, None):
        tag = version or 'pre09'
        cases['input_lr_%s' % tag] = _fc_graph(version, {'weight_lr_mult': '2', 'bias_wd_mult': '0'})
        cases['ctx_group_%s' % tag] = _fc_graph(version, {'ctx_group': 'g1'})
        cases['input_ctx_%s' % tag] = _fc_graph(version, {'weight_ctx_group': 'g1',
                                                          'bias_force_mirroring': 'True'})
        cases['var_plain_%s' % tag] = _fc_graph(version, {}, {'weight_lr_mult': '3',
                                                              'mirror_stage': '1'})
        cases['dunder_%s' % tag] = _fc_graph(version, {'__lr_mult__': '3'}, {'__wd_mult__': '2'})
        cases['no_such_input_%s' % tag] = _fc_graph(version, {'foo_lr_mult': '2'})
        cases['not_a_variable_%s' % tag] = _fc_graph(version, {'data_lr_mult': '2'})
    cases['relu_plain_10901'] = _relu_graph(10901, {'lr_mult': '0.1'}, {'ctx_group': 'b'})
    cases['relu_plain_10000'] = _relu_graph(10000, {'lr_mult': '0.1'}, {'ctx_group': 'b'})
    out = {}
    for name, graph in sorted(cases.items()):
        text = json.dumps(graph)
        try:
            saved = json.loads(mx.sym.load_json(text).tojson())
            expected = [[n['name'], n.get('attrs', {})] for n in saved['nodes']]
        except mx.base.MXNetError:
            expected = None
        out[name] = {'json': text, 'expected': expected}
    with open(os.path.join(OUT, 'old_hidden_keys.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write('\n')


def kl_sparse_reg():
    """IdentityAttachKLSparseReg through an executor (MXNet 1.9.1's nd function cannot take its
    moving average): three forward/backward steps, the data gradients and the moving average
    after each (updated in the backward)."""
    graph = mx.sym.IdentityAttachKLSparseReg(mx.sym.var('x'), name='kl', penalty=0.01,
                                             sparseness_target=0.2, momentum=0.8)
    write('kl-symbol.json', graph.tojson())
    values = {'moving_avg': np.array([0.2, 0.5, 0.7, 0.4], np.float32)}
    args = {'x': mx.nd.zeros((5, 4))}
    grads = {'x': mx.nd.zeros((5, 4))}
    ex = graph.bind(mx.cpu(), args, args_grad=grads,
                    aux_states={'kl_moving_avg': mx.nd.array(values['moving_avg'])})
    for step in range(3):
        x = RNG.uniform(0.05, 0.95, (5, 4)).astype(np.float32)
        head = RNG.standard_normal((5, 4)).astype(np.float32)
        ex.arg_dict['x'][:] = x
        out = ex.forward(is_train=True)[0].asnumpy()
        ex.backward(mx.nd.array(head))
        values.update({'x%d' % step: x, 'head%d' % step: head, 'out%d' % step: out,
                       'grad%d' % step: grads['x'].asnumpy(),
                       'moving_avg%d' % step: ex.aux_dict['kl_moving_avg'].asnumpy()})
    np.savez_compressed(os.path.join(OUT, 'kl.npz'), **values)


def gpu_only_graphs():
    """The graphs of fft, ifft and count_sketch (MXNet 1.9.1 builds and shape-infers them on
    the CPU, but has no CPU kernel): the JSON and the inferred shapes."""
    x = mx.sym.var('x')
    graphs = {'fft': (mx.sym.contrib.fft(x, compute_size=64, name='f'), {'x': (3, 5)}),
              'fft4': (mx.sym.contrib.fft(x, name='f'), {'x': (2, 1, 3, 4)}),
              'ifft': (mx.sym.contrib.ifft(x, name='f'), {'x': (3, 8)}),
              'count_sketch': (mx.sym.contrib.count_sketch(x, mx.sym.var('h'), mx.sym.var('s'),
                                                            out_dim=5, name='cs'),
                               {'x': (2, 3), 'h': (1, 3), 's': (1, 3)})}
    out = {}
    for name, (graph, shapes) in graphs.items():
        arg, outs, _ = graph.infer_shape(**shapes)
        out[name] = {'json': graph.tojson(), 'shapes': shapes, 'arg_shapes': arg,
                     'out_shapes': outs}
    with open(os.path.join(OUT, 'gpu_only_graphs.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write('\n')


def hawkesll():
    """nd.contrib.hawkesll on random processes: outputs and the gradients of lda, alpha and
    beta for a random head gradient of the log likelihood (none reaching out_state: MXNet 1.9.1
    ignores that one)."""
    values, cases = {}, []
    for k, (n, t, kk, valid) in enumerate([(3, 5, 2, [5, 2, 0]), (2, 4, 3, [2.5, 4])]):
        inputs = {'lda': RNG.uniform(0.5, 2, (n, kk)), 'alpha': RNG.uniform(0.1, 0.8, kk),
                  'beta': RNG.uniform(0.5, 3, kk), 'state': RNG.uniform(0, 1, (n, kk)),
                  'lags': RNG.uniform(0.05, 1, (n, t)), 'valid_length': np.array(valid),
                  'max_time': RNG.uniform(5, 6, n)}
        inputs = {key: v.astype(np.float32) for key, v in inputs.items()}
        inputs['marks'] = RNG.randint(0, kk, (n, t)).astype(np.int32)
        order = ('lda', 'alpha', 'beta', 'state', 'lags', 'marks', 'valid_length', 'max_time')
        arrays = [mx.nd.array(inputs[key], dtype=inputs[key].dtype) for key in order]
        for a in arrays[:3]:
            a.attach_grad()
        head = RNG.standard_normal(n).astype(np.float32)
        with mx.autograd.record():
            ll, state = mx.nd.contrib.hawkesll(*arrays)
        ll.backward(mx.nd.array(head))
        key = 'h%d' % k
        values.update({'%s_%s' % (key, name): v for name, v in inputs.items()})
        values.update({key + '_head': head, key + '_loglike': ll.asnumpy(),
                       key + '_out_state': state.asnumpy()})
        values.update({'%s_grad_%s' % (key, name): a.grad.asnumpy()
                       for name, a in zip(order, arrays[:3])})
        cases.append(key)
    np.savez_compressed(os.path.join(OUT, 'hawkesll.npz'), cases=np.array(cases), **values)


def legacy_graph():
    """A graph of Correlation, Pooling_v1 and BatchNorm_v1: MXNet's JSON (hidden outputs counted
    in node_row_ptr) and the names of its internal outputs."""
    a = mx.sym.var('a')
    corr = mx.sym.Correlation(a, mx.sym.var('b'), name='c', kernel_size=3, max_displacement=2,
                              pad_size=2)
    pooled = mx.sym.Pooling_v1(a, kernel=(2, 2), pool_type='avg', name='p')
    graph = mx.sym.relu(corr, name='r') + mx.sym.BatchNorm_v1(pooled, name='bn').sum()
    with open(os.path.join(OUT, 'legacy_graph.json'), 'w') as f:
        json.dump({'json': graph.tojson(), 'internals': graph.get_internals().list_outputs()}, f,
                  indent=1)
        f.write('\n')


def op_namespaces():
    """The names in ``mx.nd.op`` and ``mx.sym.op``."""
    names = {ns: sorted(n for n in dir(getattr(mx, ns).op) if not n.startswith('__'))
             for ns in ('nd', 'sym')}
    with open(os.path.join(OUT, 'op_namespaces.json'), 'w') as f:
        json.dump(names, f, indent=0)
        f.write('\n')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    conv_and_pooling()
    REC.save(OUT)
    batchnorm_v1()
    old_model_files()
    hidden_key_cases()
    op_namespaces()
    kl_sparse_reg()
    gpu_only_graphs()
    hawkesll()
    legacy_graph()
    print('wrote', sorted(os.listdir(OUT)))
