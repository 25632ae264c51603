"""What MXNet 1.9.1's ``mx.contrib.amp`` does on the CPU, recorded for minigluon's tests; run in the
MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_amp_fixtures.py

Each part runs in its own process (``amp.init()`` patches MXNet's operator functions for good):

* ``train``: the AMP training idiom (``amp.init``; ``amp.init_trainer``; ``with
  amp.scale_loss(loss, trainer) as scaled: autograd.backward(scaled)``; ``trainer.step``) on a
  tiny float32 Dense model for 10 steps, with the loss scaler's growth interval set to 3 steps
  (MXNet's ``_scale_seq_len``, 2000 by default) and overflows injected at steps 4 and 5 (inputs of
  1e30); step 7 calls ``amp.unscale`` before the step, step 8 scales a list of two losses. MXNet
  cannot run float16 Dense layers on the CPU ("float16 fully connected layer is currently only
  supported by CuDNN version"), so this part calls ``amp.init(target_precision_ops=[])``: the
  model stays float32 and the loss scaling is what is recorded. Per step: the loss scale in
  use, the trainer's ``_scale``, the gradients after backward (and after ``unscale``), the weights
  after the step.
* ``init``: the output dtypes of a few ``nd`` operators after a plain ``amp.init()`` (float16
  target): FullyConnected casts its float32 inputs to float16 (the forward runs on the CPU),
  ``softmax`` of a float16 array (an FP32 operator: on the CPU MXNet casts only float32 and
  bfloat16 arrays, so it stays float16), ``elemwise_add`` of float16 and float32 (widest type);
  the graphs the patched ``sym`` functions build (a hybridized Dense-softrelu-Dense network
  after one forward pass, which runs on the CPU; ``sym.FullyConnected``, ``sym.elemwise_add``,
  ``sym.softmax``).
* ``convert``: ``amp.convert_symbol`` of small graphs (default lists; ``excluded_sym_names``,
  ``data_names`` and ``cast_optional_params``; widest-type operators over variables, over float32
  outputs, over a float16 output with a float32 cast; casts after operators with and without
  registered output names, of a multi-output operator, of the graph's outputs),
  the JSON with the ``amp_cast`` / ``amp_multicast`` nodes (``tojson(remove_amp_cast=False)``).

Output, in ``tests/fixtures/amp/``: ``train.json`` + ``train.npz``, ``init.json``, ``convert.json``.
"""
import json
import os
import subprocess
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'amp')


def train():
    from mxnet import autograd, gluon, nd
    from mxnet.contrib import amp
    amp.init(target_precision_ops=[])
    rs = np.random.RandomState(7)
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    w0, b0 = rs.uniform(-.5, .5, (2, 3)).astype('float32'), rs.uniform(-.5, .5, (2,)).astype('float32')
    net.weight.set_data(nd.array(w0))
    net.bias.set_data(nd.array(b0))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.05, 'momentum': 0.5})
    amp.init_trainer(trainer)
    trainer._amp_loss_scaler._scale_seq_len = 3
    steps, arrays = [], {'w0': w0, 'b0': b0}
    loss_fn = gluon.loss.L2Loss()
    for step in range(10):
        x = rs.standard_normal((4, 3)).astype('float32')
        if step in (4, 5):
            x[1, 2] = 1e30
        y = rs.standard_normal((4, 2)).astype('float32')
        arrays['x%d' % step], arrays['y%d' % step] = x, y
        scale_in_use = trainer._amp_loss_scaler.loss_scale
        with autograd.record():
            out = net(nd.array(x))
            if step == 8:
                losses = [loss_fn(out[:2], nd.array(y[:2])), loss_fn(out[2:], nd.array(y[2:]))]
                with amp.scale_loss(losses, trainer) as scaled:
                    autograd.backward(scaled)
            else:
                loss = loss_fn(out, nd.array(y))
                with amp.scale_loss(loss, trainer) as scaled:
                    autograd.backward(scaled)
        arrays['grad%d' % step] = net.weight.grad().asnumpy()
        record = {'step': step, 'loss_scale': scale_in_use, 'trainer_scale': trainer._scale}
        if step == 7:
            amp.unscale(trainer)
            arrays['unscaled%d' % step] = net.weight.grad().asnumpy()
            record['trainer_scale_after_unscale'] = trainer._scale
        trainer.step(4)
        record['next_loss_scale'] = trainer._amp_loss_scaler._next_loss_scale
        record['rescale_grad'] = trainer._optimizer.rescale_grad
        arrays['w%d' % (step + 1)] = net.weight.data().asnumpy()
        arrays['b%d' % (step + 1)] = net.bias.data().asnumpy()
        steps.append(record)
    second = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    amp.init_trainer(second)
    meta = {'steps': steps, 'defaults': {
        'loss_scale': second._amp_loss_scaler.loss_scale,
        'second_trainer_shares_scaler': second._amp_loss_scaler is trainer._amp_loss_scaler,
        'max_loss_scale': second._amp_loss_scaler._max_loss_scale,
        'scale_seq_len': second._amp_loss_scaler._scale_seq_len}}
    with open(os.path.join(OUT, 'train.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    np.savez_compressed(os.path.join(OUT, 'train.npz'), **arrays)


def init():
    from mxnet import nd
    from mxnet.contrib import amp
    amp.init()
    x = nd.ones((2, 3))
    w, b = nd.ones((4, 3)), nd.ones((4,))
    h = nd.ones((2, 3), dtype='float16')
    res = {
        'FullyConnected(float32)': nd.FullyConnected(x, w, b, num_hidden=4).dtype,
        'softmax(float16)': nd.softmax(h).dtype,
        'softmax(float32)': nd.softmax(x).dtype,
        'elemwise_add(float16, float32)': nd.elemwise_add(h, x).dtype,
        'broadcast_add(float16, float16)': nd.broadcast_add(h, h).dtype,
        'relu(float16)': nd.relu(h).dtype,
    }
    import mxnet as mx
    from mxnet import gluon
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(4, in_units=3), gluon.nn.Activation('softrelu'),
            gluon.nn.Dense(2, in_units=4))
    net.initialize()
    net.hybridize()
    res['hybridized Dense forward'] = net(x).dtype
    S = mx.sym
    graphs = {'hybridized': net._cached_graph[1].tojson(remove_amp_cast=False),
              'sym.FullyConnected': S.FullyConnected(S.var('data'), num_hidden=3,
                                                     name='fc').tojson(remove_amp_cast=False),
              'sym.elemwise_add': S.elemwise_add(S.var('a'), S.var('b'),
                                                 name='add').tojson(remove_amp_cast=False),
              'sym.softmax': S.softmax(S.var('a'), name='sm').tojson(remove_amp_cast=False)}
    lists = {'lp16': amp.list_lp16_ops('float16'), 'fp32': amp.list_fp32_ops('float16'),
             'lp16_fp32': amp.list_lp16_fp32_ops('float16'),
             'conditional_fp32': amp.list_conditional_fp32_ops('float16'),
             'widest': amp.list_widest_type_cast('float16'),
             'loss_output': amp.list_loss_output_functions('float16')}
    with open(os.path.join(OUT, 'init.json'), 'w') as f:
        json.dump({'dtypes': {k: np.dtype(v).name for k, v in res.items()},
                   'list_sizes': {k: len(v) for k, v in lists.items()},
                   'graphs': graphs}, f, indent=1)


def convert():
    import mxnet as mx
    from mxnet.contrib import amp
    S = mx.sym
    x = S.var('data')
    fc = S.FullyConnected(x, num_hidden=4, name='fc1')
    act = S.Activation(fc, act_type='relu', name='relu1')
    fc2 = S.FullyConnected(act, num_hidden=4, name='fc2')
    add = S.elemwise_add(fc2, fc, name='add')
    net1 = S.softmax(add, name='sm')
    y = S.var('other')
    conv = S.Convolution(x, kernel=(3, 3), num_filter=2, name='conv')
    net2 = S.broadcast_add(S.Flatten(conv, name='flat'), y, name='badd')
    net2 = S.Activation(net2, act_type='softrelu', name='soft')
    cases = [('mlp', net1, {}),
             ('mlp_excluded', net1, {'excluded_sym_names': ['fc2'], 'data_names': ['data'],
                                     'cast_optional_params': True}),
             ('mlp_fp32_ops', net1, {'target_dtype_ops': ['FullyConnected'],
                                     'fp32_ops': ['softmax'],
                                     'conditional_fp32_ops': [('Activation', 'act_type',
                                                               ['relu'])]}),
             ('conv_widest', net2, {})]
    fc = S.FullyConnected(x, num_hidden=4, name='fc')
    cases += [
        ('heads', S.FullyConnected(S.softmax(x, name='s1'), num_hidden=2, name='f'), {}),
        ('split', S.softmax(S.split(fc, num_outputs=2, name='split')[1], name='sm'), {}),
        ('widest_vars', S.broadcast_add(x, y, name='b2'), {}),
        ('widest_fp32', S.broadcast_add(S.softmax(x, name='s1'), S.softmax(x, name='s2'),
                                        name='b3'), {}),
        ('plus_exp', S.softmax(S.exp(fc + fc, name='exp'), name='sm'), {}),
        ('fp32_on_variable', S.softmax(x, name='sm'), {}),
        ('two_heads', S.Group([S.relu(fc, name='r'), S.softmax(fc, name='sm')]), {}),
    ]
    out = {}
    for name, sym, kwargs in cases:
        c = amp.convert_symbol(sym, **kwargs)
        out[name] = {'source': sym.tojson(), 'kwargs': kwargs,
                     'converted': c.tojson(remove_amp_cast=False),
                     'removed': c.tojson(), 'arguments': c.list_arguments(),
                     'outputs': c.list_outputs()}
    with open(os.path.join(OUT, 'convert.json'), 'w') as f:
        json.dump(out, f, indent=1)


PARTS = {'train': train, 'init': init, 'convert': convert}


def main():
    os.makedirs(OUT, exist_ok=True)
    if len(sys.argv) > 1:
        PARTS[sys.argv[1]]()
        return
    for part in PARTS:
        subprocess.run([sys.executable, os.path.abspath(__file__), part], check=True)
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
