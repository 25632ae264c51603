"""Golden fixtures for optimizers, lr schedulers, metrics and gluon.nn layers, recorded from MXNet 1.9.1.

Run in the MXNet venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_layers_fixtures.py [optimizer lr_scheduler metric layers]

Writes small files under ``tests/fixtures/layers/``. Inputs are drawn from fixed NumPy seeds and
stored next to the outputs, so the tests replay exactly what MXNet saw.
"""
import json
import os
import sys

import numpy as np

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'layers')

# (name, create() kwargs, weight dtype); every config runs 10 steps on the same problem.
OPT_CONFIGS = [
    ('sgd', {'learning_rate': 0.1}, 'float32'),
    ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01, 'rescale_grad': 0.5,
             'clip_gradient': 0.6}, 'float32'),
    ('sgd', {'learning_rate': 0.1, 'momentum': 0.9, 'multi_precision': True}, 'float16'),
    ('nag', {'learning_rate': 0.1, 'momentum': 0.9, 'wd': 0.01, 'clip_gradient': 0.6}, 'float32'),
    ('nag', {'learning_rate': 0.1, 'wd': 0.01}, 'float32'),
    ('adam', {'learning_rate': 0.05}, 'float32'),
    ('adam', {'learning_rate': 0.05, 'wd': 0.01, 'rescale_grad': 0.5, 'clip_gradient': 0.6,
              'beta1': 0.8, 'beta2': 0.99, 'epsilon': 1e-6}, 'float32'),
    ('adam', {'learning_rate': 0.05, 'multi_precision': True}, 'float16'),
    ('rmsprop', {'learning_rate': 0.01, 'wd': 0.01, 'clip_gradient': 0.6}, 'float32'),
    ('rmsprop', {'learning_rate': 0.01, 'centered': True, 'gamma2': 0.8, 'clip_weights': 0.9},
     'float32'),
    ('adagrad', {'learning_rate': 0.1, 'wd': 0.01, 'clip_gradient': 0.6}, 'float32'),
    ('adadelta', {'rho': 0.8, 'wd': 0.01, 'rescale_grad': 0.5, 'clip_gradient': 0.6}, 'float32'),
    ('adamax', {'learning_rate': 0.05, 'wd': 0.01, 'clip_gradient': 0.6}, 'float32'),
    ('ftrl', {'learning_rate': 0.1, 'lamda1': 0.05, 'beta': 0.5, 'wd': 0.01, 'clip_gradient': 0.6},
     'float32'),
    ('signum', {'learning_rate': 0.01, 'momentum': 0.8, 'wd': 0.01, 'wd_lh': 0.02,
                'clip_gradient': 0.6}, 'float32'),
    ('signum', {'learning_rate': 0.01, 'momentum': 0.0, 'wd': 0.01}, 'float32'),
]


def _grad_fn(w, k, rng_grads):
    """The fixed problem: gradient of ||w - 1||^2 plus a per-step perturbation."""
    return 2.0 * (w - 1.0) + rng_grads[k]


def gen_optimizer():
    rng = np.random.RandomState(42)
    w0 = rng.uniform(-1, 1, (3, 4))
    noise = rng.normal(0, 0.5, (10, 3, 4))
    out = {'w0': w0, 'noise': noise}
    for i, (name, kw, dtype) in enumerate(OPT_CONFIGS):
        opt = mx.optimizer.create(name, **kw)
        w = mx.nd.array(w0, dtype=dtype)
        state = opt.create_state_multi_precision(0, w)
        traj = []
        for k in range(10):
            g = mx.nd.array(_grad_fn(w.asnumpy().astype(np.float64), k, noise), dtype=dtype)
            opt.update_multi_precision(0, w, g, state)
            traj.append(w.asnumpy().astype(np.float32))
        out['traj_%d' % i] = np.stack(traj)
    # AdamW is not an MXNet 1.9.1 optimizer; minigluon follows MXNet 2.0's AdamW, which calls the
    # 1.9.1 operator adamw_update with the bias-corrected rate as eta and lr=1.
    w = mx.nd.array(w0)
    mean, var = mx.nd.zeros(w.shape), mx.nd.zeros(w.shape)
    traj = []
    lr, b1, b2, eps, wd = 0.05, 0.9, 0.999, 1e-8, 0.1
    for k in range(10):
        g = mx.nd.array(_grad_fn(w.asnumpy().astype(np.float64), k, noise))
        t = k + 1
        eta = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        mx.nd.contrib.adamw_update(w, g, mean, var, mx.nd.array([1.0]), out=w, lr=1.0, eta=eta,
                                   beta1=b1, beta2=b2, epsilon=eps, wd=wd)
        traj.append(w.asnumpy().astype(np.float32))
    out['traj_adamw'] = np.stack(traj)
    np.savez_compressed(os.path.join(OUT, 'optimizer.npz'), **out)
    with open(os.path.join(OUT, 'optimizer.json'), 'w') as f:
        json.dump({'configs': OPT_CONFIGS,
                   'adamw': {'learning_rate': lr, 'beta1': b1, 'beta2': b2, 'epsilon': eps,
                             'wd': wd}}, f, indent=1)


LR_CONFIGS = [
    ('FactorScheduler', {'step': 3, 'factor': 0.5, 'base_lr': 1.0}),
    ('FactorScheduler', {'step': 2, 'factor': 0.1, 'base_lr': 1.0, 'stop_factor_lr': 1e-3,
                         'warmup_steps': 3, 'warmup_begin_lr': 0.1}),
    ('MultiFactorScheduler', {'step': [2, 5, 9], 'factor': 0.5, 'base_lr': 0.8}),
    ('MultiFactorScheduler', {'step': [4, 7], 'factor': 0.3, 'base_lr': 0.8, 'warmup_steps': 3,
                              'warmup_mode': 'constant', 'warmup_begin_lr': 0.2}),
    ('PolyScheduler', {'max_update': 10, 'base_lr': 1.0, 'pwr': 2}),
    ('PolyScheduler', {'max_update': 10, 'base_lr': 1.0, 'pwr': 1.5, 'final_lr': 0.1,
                       'warmup_steps': 4, 'warmup_begin_lr': 0.2}),
    ('CosineScheduler', {'max_update': 10, 'base_lr': 1.0}),
    ('CosineScheduler', {'max_update': 12, 'base_lr': 0.5, 'final_lr': 0.05, 'warmup_steps': 3}),
]


def gen_lr_scheduler():
    res = []
    for name, kw in LR_CONFIGS:
        sched = getattr(mx.lr_scheduler, name)(**kw)
        res.append({'name': name, 'kwargs': kw, 'lrs': [float(sched(n)) for n in range(15)]})
    with open(os.path.join(OUT, 'lr_scheduler.json'), 'w') as f:
        json.dump(res, f, indent=1)


def _metric_data():
    rng = np.random.RandomState(7)
    d = {}
    for b in range(3):
        logits = rng.normal(size=(6, 4))
        d['probs%d' % b] = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        d['cls%d' % b] = rng.randint(0, 4, size=6).astype(np.float64)
        d['bin_pred%d' % b] = rng.uniform(size=(8, 2))
        d['bin_label%d' % b] = rng.randint(0, 2, size=8).astype(np.float64)
        d['reg_pred%d' % b] = rng.normal(size=(5,))
        d['reg_label%d' % b] = d['reg_pred%d' % b] + rng.normal(scale=0.5, size=(5,))
        d['seq_prob%d' % b] = rng.dirichlet(np.ones(5), size=6)
        d['seq_label%d' % b] = rng.randint(0, 5, size=6).astype(np.float64)
    return d


# (metric name, kwargs, label key, pred key)
METRIC_CONFIGS = [
    ('acc', {}, 'cls', 'probs'),
    ('top_k_accuracy', {'top_k': 2}, 'cls', 'probs'),
    ('top_k_accuracy', {'top_k': 3}, 'cls', 'probs'),
    ('f1', {}, 'bin_label', 'bin_pred'),
    ('f1', {'average': 'micro'}, 'bin_label', 'bin_pred'),
    ('mcc', {}, 'bin_label', 'bin_pred'),
    ('mcc', {'average': 'micro'}, 'bin_label', 'bin_pred'),
    ('mae', {}, 'reg_label', 'reg_pred'),
    ('mse', {}, 'reg_label', 'reg_pred'),
    ('rmse', {}, 'reg_label', 'reg_pred'),
    ('ce', {}, 'cls', 'probs'),
    ('perplexity', {'ignore_label': None}, 'cls', 'probs'),
    ('perplexity', {'ignore_label': 2}, 'seq_label', 'seq_prob'),
    ('pearsonr', {}, 'reg_label', 'reg_pred'),
    ('pearsonr', {'average': 'micro'}, 'reg_label', 'reg_pred'),
    ('loss', {}, 'reg_label', 'reg_pred'),
    ('torch', {}, 'reg_label', 'reg_pred'),
    ('caffe', {}, 'reg_label', 'reg_pred'),
    ('pcc', {}, 'cls', 'probs'),
    ('pcc', {}, 'bin_label', 'bin_pred'),
    ('pcc', {}, 'cls', 'cls'),
]


def gen_metric():
    """Per config: get() after batches 0 and 1; then reset_local, batch 2: get() and get_global()."""
    d = _metric_data()
    res = []
    for name, kw, lk, pk in METRIC_CONFIGS:
        m = mx.metric.create(name, **kw)
        for b in range(2):
            m.update([mx.nd.array(d['%s%d' % (lk, b)])], [mx.nd.array(d['%s%d' % (pk, b)])])
        first = m.get()
        m.reset_local()
        m.update([mx.nd.array(d['%s2' % lk])], [mx.nd.array(d['%s2' % pk])])
        res.append({'metric': name, 'kwargs': kw, 'label': lk, 'pred': pk, 'get_after_2': first,
                    'get_after_local_reset': m.get(), 'get_global': m.get_global()})
    comp = mx.metric.create(['acc', 'ce'])
    comp.update([mx.nd.array(d['cls0'])], [mx.nd.array(d['probs0'])])
    res.append({'metric': 'composite', 'get': comp.get()})
    np.savez_compressed(os.path.join(OUT, 'metric.npz'), **d)
    with open(os.path.join(OUT, 'metric.json'), 'w') as f:
        json.dump(res, f, indent=1)


def gen_data():
    """vision.transforms outputs on a small uint8 image (Resize uses OpenCV inside MXNet)."""
    from mxnet.gluon.data.vision import transforms as T
    rng = np.random.RandomState(3)
    img = rng.randint(0, 256, size=(5, 7, 3)).astype(np.uint8)
    x = mx.nd.array(img, dtype='uint8')
    out = {'img': img}
    tensor = T.ToTensor()(x)
    out['to_tensor'] = tensor.asnumpy()
    out['normalize'] = T.Normalize(mean=(0.1, 0.2, 0.3), std=(0.5, 0.6, 0.7))(tensor).asnumpy()
    out['resize_bilinear'] = T.Resize((4, 9))(x).asnumpy()
    out['resize_keep'] = T.Resize(3, keep_ratio=True)(x).asnumpy()
    out['resize_nearest'] = T.Resize(6, interpolation=0)(x).asnumpy()
    out['resize_float'] = T.Resize((11, 3))(x.astype('float32')).asnumpy()
    np.savez_compressed(os.path.join(OUT, 'transforms.npz'), **out)


def gen_trainer():
    """Trainer on a least-squares problem: FullyConnected(x, w, b), params in a dict (sorted)."""
    from mxnet import autograd, gluon
    rng = np.random.RandomState(5)
    d = {'x': rng.normal(size=(4, 2)), 'y': rng.normal(size=(4, 3)), 'w0': rng.normal(size=(3, 2)),
         'b0': rng.normal(size=(3,))}
    for tag, name, kw in [('adam', 'adam', {'learning_rate': 0.1, 'wd': 0.01}),
                          ('sgd', 'sgd', {'learning_rate': 0.05, 'momentum': 0.9, 'rescale_grad': 2.0})]:
        w = gluon.Parameter('w', shape=(3, 2))
        b = gluon.Parameter('b', shape=(3,), lr_mult=0.5)
        w.initialize(ctx=mx.cpu())
        b.initialize(ctx=mx.cpu())
        w.set_data(mx.nd.array(d['w0']))
        b.set_data(mx.nd.array(d['b0']))
        tr = gluon.Trainer({'z_w': w, 'a_b': b}, name, kw)
        traj = []
        for _ in range(3):
            with autograd.record():
                out = mx.nd.FullyConnected(mx.nd.array(d['x']), w.data(), b.data(), num_hidden=3)
                loss = ((out - mx.nd.array(d['y'])) ** 2).sum()
            loss.backward()
            tr.step(4)
            traj.append(np.concatenate([w.data().asnumpy().ravel(), b.data().asnumpy().ravel()]))
        d['traj_' + tag] = np.stack(traj)
    np.savez_compressed(os.path.join(OUT, 'trainer.npz'), **d)


# (class name, args, kwargs, input shape, train mode); inputs are float32 normal(0, 1) unless noted
LAYER_CASES = [
    ('Dense', [4], {'in_units': 5}, (2, 5), False),
    ('Dense', [3], {'activation': 'tanh'}, (2, 2, 3), False),
    ('Dense', [3], {'flatten': False, 'use_bias': False}, (2, 4, 5), False),
    ('Conv1D', [3, 3], {'strides': 2, 'padding': 1}, (2, 2, 9), False),
    ('Conv2D', [4, (3, 2)], {'strides': (2, 1), 'padding': (1, 0), 'dilation': (1, 2),
                             'activation': 'relu'}, (2, 3, 7, 8), False),
    ('Conv2D', [4, 3], {'groups': 2, 'use_bias': False}, (1, 4, 6, 6), False),
    ('Conv3D', [2, 2], {}, (1, 2, 4, 4, 3), False),
    ('Conv1DTranspose', [3, 3], {'strides': 2, 'output_padding': 1}, (2, 2, 5), False),
    ('Conv2DTranspose', [2, 3], {'strides': 2, 'padding': 1}, (1, 3, 4, 4), False),
    ('Conv3DTranspose', [2, 2], {'strides': 2}, (1, 2, 2, 2, 2), False),
    ('MaxPool2D', [3, 2], {'padding': 1, 'ceil_mode': True}, (1, 2, 7, 7), False),
    ('AvgPool2D', [2], {'padding': 1, 'count_include_pad': False}, (1, 2, 5, 5), False),
    ('MaxPool1D', [], {}, (2, 3, 8), False),
    ('AvgPool3D', [2], {}, (1, 1, 4, 4, 4), False),
    ('GlobalAvgPool2D', [], {}, (2, 3, 4, 5), False),
    ('GlobalMaxPool1D', [], {}, (2, 3, 6), False),
    ('GlobalMaxPool3D', [], {}, (1, 2, 3, 3, 3), False),
    ('BatchNorm', [], {}, (2, 3, 4), False),
    ('BatchNorm', [], {'scale': False, 'momentum': 0.8}, (4, 3, 2), True),
    ('LayerNorm', [], {}, (2, 3, 5), False),
    ('InstanceNorm', [], {'scale': True}, (2, 3, 5), False),
    ('GroupNorm', [], {'num_groups': 2}, (2, 4, 3, 3), False),
    ('Embedding', [10, 4], {}, (2, 3), False),
    ('Flatten', [], {}, (2, 3, 4), False),
    ('Activation', ['softrelu'], {}, (2, 5), False),
    ('LeakyReLU', [0.1], {}, (2, 5), False),
    ('PReLU', [], {'in_channels': 3}, (2, 3, 4), False),
    ('ELU', [], {'alpha': 0.5}, (2, 5), False),
    ('SELU', [], {}, (2, 5), False),
    ('GELU', [], {}, (2, 5), False),
    ('Swish', [], {'beta': 2.0}, (2, 5), False),
    ('ReflectionPad2D', [2], {}, (1, 2, 4, 5), False),
    # appended later (the seeded draws of the cases above are unchanged)
    ('BatchNormReLU', [], {}, (2, 3, 2, 2), False),            # MXNet: 4-D only on CPU
    ('BatchNormReLU', [], {'momentum': 0.8, 'in_channels': 3}, (4, 3, 1, 2), True),
    ('MaxPool3D', [2], {'strides': 1}, (1, 2, 3, 3, 3), False),
    ('AvgPool1D', [3], {'padding': 1}, (2, 2, 6), False),
    ('GlobalAvgPool1D', [], {}, (2, 3, 6), False),
    ('GlobalAvgPool3D', [], {}, (1, 2, 3, 3, 3), False),
    ('GlobalMaxPool2D', [], {}, (2, 3, 4, 5), False),
    ('Activation', ['softsign'], {}, (2, 5), False),
]


def gen_layers():
    """Each layer's params (seeded), input, output, parameter names/shapes and repr."""
    from mxnet import autograd
    from mxnet.gluon import nn
    rng = np.random.RandomState(11)
    arrays, meta = {}, []
    for i, (cls, args, kw, shape, train) in enumerate(LAYER_CASES):
        with mx.name.NameManager():
            net = getattr(nn, cls)(*args, **kw)
        if cls == 'Embedding':
            x = rng.randint(0, 10, size=shape).astype(np.float32)
        else:
            x = rng.normal(size=shape).astype(np.float32)
        repr_before = repr(net)
        net.initialize()
        net(mx.nd.array(x))
        for name, p in net.collect_params().items():
            if name.endswith('running_var'):
                val = rng.uniform(0.5, 1.5, size=p.shape)
            else:
                val = rng.normal(scale=0.5, size=p.shape)
            p.set_data(mx.nd.array(val))
            arrays['%d_p_%s' % (i, name)] = val.astype(np.float32)
        if train:
            with autograd.record():
                y = net(mx.nd.array(x))
        else:
            y = net(mx.nd.array(x))
        arrays['%d_in' % i] = x
        arrays['%d_out' % i] = y.asnumpy()
        meta.append({'cls': cls, 'args': args, 'kwargs': kw, 'train': train, 'repr_before': repr_before,
                     'repr_after': repr(net),
                     'params': [[n, list(p.shape)] for n, p in net.collect_params().items()]})
    np.savez_compressed(os.path.join(OUT, 'layers.npz'), **arrays)
    with open(os.path.join(OUT, 'layers.json'), 'w') as f:
        json.dump(meta, f, indent=1)


SECTIONS = {'layers': gen_layers, 'trainer': gen_trainer, 'optimizer': gen_optimizer, 'lr_scheduler': gen_lr_scheduler, 'metric': gen_metric,
            'data': gen_data}

if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for sec in (sys.argv[1:] or list(SECTIONS)):
        SECTIONS[sec]()
        print('wrote', sec)
