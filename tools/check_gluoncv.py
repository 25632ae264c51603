"""Run GluonCV 0.10.5's unchanged model zoo on MXNet 1.9.1 and on minigluon, and compare.

Not part of the test suite (it needs GluonCV and MXNet). Two runs, the same file:

1. On MXNet 1.9.1, with GluonCV importable (``pip install --no-deps gluoncv==0.10.5 --target SITE``
   plus tqdm, portalocker, yacs and scipy)::

       PYTHONPATH=SITE /opt/mxvenv/bin/python tools/check_gluoncv.py record DIR [MODEL ...]

   builds each model with ``gluoncv.model_zoo.get_model(name, pretrained=False)``, initializes it
   with a fixed seed, and writes to ``DIR/<model>/``: the parameters (``save_parameters``), the
   exported graph (``export``), the input, the outputs eager and hybridized, the gradients of a
   backward pass and the parameters after two SGD ``Trainer`` steps. Set
   ``MXNET_MKLDNN_ENABLED=0``: the default oneDNN build sends max pooling's gradient to each
   window's first element (docs/PORTING.md, deliberate differences).

2. On minigluon, in a virtual environment with minigluon and the same GluonCV installed::

       python -m minigluon.compat tools/check_gluoncv.py compare DIR [MODEL ...]

   builds the same models, loads MXNet's files (``load_parameters`` and ``SymbolBlock.imports``),
   repeats every step and prints one row per model: builds / loads / eager / hybrid / imports /
   heads (CenterNet's raw outputs) / grads / trainer, each ``ok``, ``DIFF <max relative error>``
   or the error, then the counts (and writes them to ``DIR/minigluon_results.json``).

The two runs take several minutes each for all models on two CPU cores and write about 11 GB
(each model's parameters twice, its float64 gradients and steps); name fewer models for less.
"""
import json
import os
import sys
import traceback

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon

#: model name -> (input shape, get_model keyword arguments, check gradients and Trainer steps)
MODELS = {
    'resnet18_v1': ((2, 3, 64, 64), {}, True),
    'resnet50_v1b': ((1, 3, 64, 64), {}, True),
    'mobilenetv2_1.0': ((2, 3, 64, 64), {}, True),
    'mobilenetv3_small': ((2, 3, 64, 64), {}, True),
    'densenet121': ((1, 3, 224, 224), {}, False),
    'vgg11_bn': ((1, 3, 224, 224), {}, False),
    'squeezenet1.1': ((1, 3, 224, 224), {}, True),
    'inceptionv3': ((1, 3, 299, 299), {}, False),
    'resnext50_32x4d': ((1, 3, 64, 64), {}, False),
    'se_resnet18_v1': ((2, 3, 64, 64), {}, True),
    'darknet53': ((1, 3, 64, 64), {}, False),
    'cifar_resnet20_v1': ((2, 3, 32, 32), {}, True),
    'cifar_wideresnet16_10': ((1, 3, 32, 32), {}, False),
    'yolo3_darknet53_coco': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'ssd_512_mobilenet1.0_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'faster_rcnn_resnet50_v1b_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'center_net_resnet18_v1b_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'fcn_resnet50_voc': ((1, 3, 64, 64), {'pretrained_base': False}, False),
    'simple_pose_resnet18_v1b': ((1, 3, 64, 48), {}, False),
    # second round: more families
    'resnet18_v2': ((2, 3, 64, 64), {}, True),
    'resnet50_v1d': ((1, 3, 64, 64), {}, False),
    'resnet50_v1b_gn': ((1, 3, 64, 64), {}, True),
    'resnest14': ((1, 3, 64, 64), {}, True),
    'shufflenet_v1': ((1, 3, 224, 224), {}, False),
    'shufflenet_v2': ((1, 3, 224, 224), {}, False),
    'alexnet': ((1, 3, 224, 224), {}, False),
    'googlenet': ((1, 3, 224, 224), {}, False),
    'xception': ((1, 3, 299, 299), {}, False),
    'mobilenet0.25': ((2, 3, 64, 64), {}, True),
    'mobilenetv3_large': ((1, 3, 64, 64), {}, False),
    'hrnet_w18_small_v1_c': ((1, 3, 64, 64), {}, False),
    'nasnet_4_1056': ((1, 3, 224, 224), {}, False),
    'residualattentionnet56': ((1, 3, 224, 224), {}, False),
    'cifar_residualattentionnet56': ((1, 3, 32, 32), {}, False),
    'cifar_resnext29_32x4d': ((1, 3, 32, 32), {}, False),
    'dla34': ((1, 3, 64, 64), {}, False),
    'yolo3_mobilenet1.0_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'ssd_300_vgg16_atrous_voc': ((1, 3, 300, 300), {'pretrained_base': False}, False),
    'ssd_512_resnet50_v1_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'mask_rcnn_resnet18_v1b_coco': ((1, 3, 256, 256), {'pretrained_base': False}, False),
    'faster_rcnn_fpn_resnet50_v1b_coco': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'center_net_resnet18_v1b_dcnv2_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'center_net_mobilenetv3_small_duc_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'center_net_dla34_voc': ((1, 3, 128, 128), {'pretrained_base': False}, False),
    'psp_resnet50_ade': ((1, 3, 64, 64), {'pretrained_base': False, 'base_size': 64, 'crop_size': 64}, False),
    'deeplab_resnet50_ade': ((1, 3, 64, 64), {'pretrained_base': False, 'base_size': 64, 'crop_size': 64}, False),
    'danet_resnet50_citys': ((1, 3, 64, 64), {'pretrained_base': False}, False),
    'icnet_resnet50_citys': ((1, 3, 64, 64), {'pretrained_base': False, 'base_size': 64, 'crop_size': 64}, False),
    'fastscnn_citys': ((1, 3, 64, 64), {'pretrained_base': False, 'base_size': 64, 'crop_size': 64}, False),
    'mobile_pose_mobilenetv3_small': ((1, 3, 64, 48), {'pretrained_base': False}, False),
    'simple_pose_resnet50_v1d': ((1, 3, 64, 48), {'pretrained_base': False}, False),
    'i3d_resnet50_v1_kinetics400': ((1, 3, 8, 64, 64), {'pretrained_base': False}, False),
    'r2plus1d_resnet18_kinetics400': ((1, 3, 8, 64, 64), {}, False),
    'slowfast_4x16_resnet50_kinetics400': ((1, 3, 36, 64, 64), {'pretrained_base': False}, False),
    'monodepth2_resnet18_kitti_mono_640x192': ((1, 3, 64, 96), {'pretrained_base': False}, False),
}

#: models initialized with Normal(0.05) instead of Xavier: MXNet 1.9.1 refuses Xavier on SSD's 1-D
#: BatchNorm gamma and FPN's biases (it has no initializer of its own there); under Xavier CenterNet's heatmap
#: saturates to scores of exactly 1.0, whose top-k order is MXNet's unspecified tie order
NORMAL_INIT = {'ssd_512_mobilenet1.0_voc', 'ssd_512_resnet50_v1_voc', 'faster_rcnn_fpn_resnet50_v1b_coco',
               'center_net_resnet18_v1b_voc'}

RTOL = 1e-3        # float32 sums in another order: relative to the largest magnitude of the output
RTOL64 = 1e-6      # the float64 gradients and Trainer steps (2x2 BatchNorm batches amplify rounding)


def _outputs(out):
    """The list of NumPy arrays in an output (an NDArray or a nested tuple/list of them)."""
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in _outputs(o)]
    return [out.asnumpy()]


def _build(name):
    """The GluonCV model, its input shape and whether to check gradients and Trainer steps.

    Dropout rates are set to 0 (an attribute of the built blocks, GluonCV's code unchanged), so that
    the training-mode passes of the two frameworks, whose random streams differ, can be compared.
    """
    from gluoncv import model_zoo
    shape, kwargs, train = MODELS[name]
    net = model_zoo.get_model(name, pretrained=False, **kwargs)
    _no_dropout(net)
    return net, shape, train


def _net64(name, params):
    """The model with the parameters of file ``params``, cast to float64, hybridized.

    Gradients and Trainer steps are compared in float64: in float32 a deep network's gradient turns
    on ReLU inputs within rounding of 0 (a BatchNorm output of 2e-5 in float64 came out -1.9e-5 on
    minigluon and 8.6e-5 on MXNet in MobileNetV2), which makes the two frameworks' float32
    gradients differ by percents without either being wrong.
    """
    net = _build(name)[0]
    net.load_parameters(params)
    net.cast('float64')
    net.hybridize()
    return net


def _heads(name, params, x):
    """CenterNet's raw heads (heatmap, sizes, offsets: its training-mode outputs), else [].

    A fresh model with the parameters of file ``params``, not hybridized (a hybridized model keeps
    the branch of its first call): training mode updates BatchNorm's running statistics in
    minigluon's forward pass, in MXNet 1.9.1's CPU backward pass (docs/PORTING.md).

    With random weights CenterNet's scores tie (all 1.0, or all sigmoid(bias)), and the top-k of tied
    scores is MXNet 1.9.1's unspecified order (docs/PORTING.md: minigluon's sort is stable), so its
    decoded boxes cannot be compared; the heads they come from can.
    """
    if not name.startswith('center_net'):
        return []
    net = _build(name)[0]
    net.load_parameters(params)
    with autograd.train_mode():
        return _outputs(net(x))


def _no_dropout(block):
    if isinstance(block, gluon.nn.Dropout):
        block._rate = 0
    for child in block._children.values():
        _no_dropout(child)


def _loss(out):
    """sum(first output * fixed random weights): a plain sum of outputs behind BatchNorm layers in
    training mode has a gradient of about 0, which float32 leaves as rounding noise."""
    out = _outputs_nd(out)[0]
    w = np.random.RandomState(1).uniform(-1, 1, size=out.shape).astype('float32')
    return (out * mx.nd.array(w, dtype=out.dtype)).sum()


def _grads(net, x):
    """Gradients of :func:`_loss` by structural parameter name.

    Training mode: under ``record(train_mode=False)`` MXNet 1.9.1's BatchNorm back-propagates with
    the batch statistics its forward pass did not use (docs/PORTING.md, deliberate differences).
    """
    with autograd.record(train_mode=True):
        loss = _loss(net(x.astype('float64')))
    loss.backward()
    return {k: p.grad().asnumpy() for k, p in net._collect_params_with_prefix().items()
            if p.grad_req != 'null'}


def _outputs_nd(out):
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in _outputs_nd(o)]
    return [out]


def _trainer_steps(net, x, steps=2):
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01, 'momentum': 0.9})
    for _ in range(steps):
        with autograd.record(train_mode=True):
            loss = _loss(net(x.astype('float64')))
        loss.backward()
        trainer.step(x.shape[0])
    # trainable parameters only: MXNet 1.9.1's CPU BatchNorm updates its running statistics in the
    # backward pass, which it skips for a BatchNorm with nothing to differentiate (ResNet V2's
    # BatchNorm(scale=False, center=False) on the data), so there they stay at their initial values;
    # minigluon updates them in the forward pass, as MXNet on GPUs (docs/PORTING.md)
    return {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()
            if p.grad_req != 'null'}


def record(folder, names):
    """MXNet side: write every model's files and reference results under ``folder``."""
    import warnings
    warnings.simplefilter('ignore')       # GluonCV's heads re-initialize some parameters: one warning each
    for name in names:
        sub = os.path.join(folder, name)
        os.makedirs(sub, exist_ok=True)
        try:
            mx.random.seed(0)
            np.random.seed(0)
            net, shape, train = _build(name)
            net.initialize(mx.init.Normal(0.05) if name in NORMAL_INIT else mx.init.Xavier(magnitude=2.0))
            x = mx.nd.array(np.random.uniform(-1, 1, size=shape).astype('float32'))
            eager = _outputs(net(x))
            net.save_parameters(os.path.join(sub, 'net.params'))
            heads = _heads(name, os.path.join(sub, 'net.params'), x)
            net.hybridize()
            hybrid = _outputs(net(x))
            net.export(os.path.join(sub, 'net'))
            results = {'x': x.asnumpy()}
            results.update({'eager%d' % i: a for i, a in enumerate(eager)})
            results.update({'hybrid%d' % i: a for i, a in enumerate(hybrid)})
            results.update({'heads%d' % i: a for i, a in enumerate(heads)})
            if train:
                params = os.path.join(sub, 'net.params')
                results.update({'grad:' + k: v for k, v in _grads(_net64(name, params), x).items()})
                results.update({'step:' + k: v for k, v in _trainer_steps(_net64(name, params), x).items()})
            np.savez(os.path.join(sub, 'ref.npz'), **results)
            print(name, 'recorded', flush=True)
        except Exception as err:       # noqa: BLE001  (MXNet's own failures are recorded, not fatal)
            with open(os.path.join(sub, 'mxnet_error.txt'), 'w') as f:
                f.write(traceback.format_exc())
            print(name, 'MXNet FAILED:', type(err).__name__, str(err).splitlines()[0][:200], flush=True)


def _close(got, want, rtol=RTOL):
    """'ok' or 'DIFF <max error>' for lists of arrays.

    Each array's error is taken relative to its largest magnitude, floored at 1e-6 of the largest
    magnitude of all: a gradient that is 0 in exact arithmetic (the bias of a layer followed by
    training-mode BatchNorm) is rounding noise on both sides.
    """
    if len(got) != len(want):
        return 'DIFF %d outputs, MXNet %d' % (len(got), len(want))
    floor = 1e-6 * max([float(np.abs(w).max()) for w in want if w.size] + [1e-30])
    worst = 0.0
    for g, w in zip(got, want):
        if g.shape != w.shape:
            return 'DIFF shape %s, MXNet %s' % (g.shape, w.shape)
        if w.size:
            scale = max(float(np.abs(w).max()), floor)
            worst = max(worst, float(np.abs(g.astype('float64') - w).max()) / scale)
    return 'ok' if worst <= rtol else 'DIFF %.2e' % worst


def _close_detections(got, want, rtol=RTOL):
    """Like :func:`_close`, for detection outputs ``(ids, scores, boxes[, masks])`` of shapes (B, N, ...):
    the rows of the two may come in another order where scores tie within float32 rounding
    (random weights give YOLOv3 scores 3e-8 apart). 'ok' if each of ``got``'s rows matches a
    distinct row of ``want``."""
    plain = _close(got, want, rtol)
    if plain == 'ok' or len(got) != len(want) or any(
            g.shape != w.shape or g.ndim < 3 or g.shape[:2] != got[0].shape[:2] for g, w in zip(got, want)):
        return plain
    rows = got[0].shape[0] * got[0].shape[1]
    rows_g = np.concatenate([g.reshape(rows, -1) for g in got], axis=1).astype('float64')
    rows_w = np.concatenate([w.reshape(rows, -1) for w in want], axis=1).astype('float64')
    scale = max(float(np.abs(rows_w).max()), 1e-6)
    moved = np.flatnonzero(np.abs(rows_g - rows_w).max(axis=1) / scale > rtol)
    free = np.ones(len(moved), bool)          # match the rows that differ in place among themselves
    for row in rows_g[moved]:
        err = np.abs(rows_w[moved] - row).max(axis=1) / scale
        err[~free] = np.inf
        j = int(np.argmin(err))
        if err[j] > rtol:
            return plain
        free[j] = False
    return 'ok'


def _step(row, key, fn):
    """Run one check; a raised error fills the rest of the row's cell with its first line."""
    try:
        row[key] = fn()
    except Exception as err:       # noqa: BLE001
        row[key] = 'ERROR %s: %s' % (type(err).__name__, str(err).splitlines()[0][:160] if str(err) else '')
        row.setdefault('tracebacks', {})[key] = traceback.format_exc()
    return row[key]


def compare(folder, names):
    """minigluon side: load MXNet's files, repeat each step, print and return the table."""
    rows = {}
    for name in names:
        sub = os.path.join(folder, name)
        row = rows[name] = {}
        if os.path.exists(os.path.join(sub, 'mxnet_error.txt')):
            row['builds'] = 'MXNet fails'
            print(name, row, flush=True)
            continue
        ref = np.load(os.path.join(sub, 'ref.npz'))
        x = mx.nd.array(ref['x'])
        n_out = len([k for k in ref.files if k.startswith('eager')])
        eager_ref = [ref['eager%d' % i] for i in range(n_out)]
        hybrid_ref = [ref['hybrid%d' % i] for i in range(n_out)]
        state = {}

        def build():
            state['net'], _, state['train'] = _build(name)
            return 'ok'

        if _step(row, 'builds', build) != 'ok':
            print(name, row['builds'], flush=True)
            continue
        net = state['net']
        if _step(row, 'loads', lambda: net.load_parameters(os.path.join(sub, 'net.params')) or 'ok') != 'ok':
            print(name, {k: v for k, v in row.items() if k != 'tracebacks'}, flush=True)
            continue
        _step(row, 'eager', lambda: _close_detections(_outputs(net(x)), eager_ref))

        def hybrid():
            net.hybridize()
            return _close_detections(_outputs(net(x)), hybrid_ref)

        _step(row, 'hybrid', hybrid)
        heads_ref = [ref['heads%d' % i] for i in range(len([k for k in ref.files if k.startswith('heads')]))]
        if heads_ref:
            _step(row, 'heads', lambda: _close(_heads(name, os.path.join(sub, 'net.params'), x), heads_ref))

        def imports():
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                blk = gluon.SymbolBlock.imports(os.path.join(sub, 'net-symbol.json'), ['data'],
                                                os.path.join(sub, 'net-0000.params'))
            return _close_detections(_outputs(blk(x)), hybrid_ref)

        _step(row, 'imports', imports)
        if state['train']:
            params = os.path.join(sub, 'net.params')

            def grads():
                got = _grads(_net64(name, params), x)
                keys = sorted(k[5:] for k in ref.files if k.startswith('grad:'))
                if sorted(got) != keys:
                    return 'DIFF names %s' % sorted(set(got) ^ set(keys))[:4]
                return _close([got[k] for k in keys], [ref['grad:' + k] for k in keys], RTOL64)

            def steps():
                got = _trainer_steps(_net64(name, params), x)
                keys = sorted(got)
                return _close([got[k] for k in keys], [ref['step:' + k] for k in keys], RTOL64)

            _step(row, 'grads', grads)
            _step(row, 'trainer', steps)
        print(name, {k: v for k, v in row.items() if k != 'tracebacks'}, flush=True)
    with open(os.path.join(folder, 'minigluon_results.json'), 'w') as f:
        json.dump(rows, f, indent=1)
    cols = ['builds', 'loads', 'eager', 'hybrid', 'imports', 'heads', 'grads', 'trainer']
    print('\n| model | ' + ' | '.join(cols) + ' |\n|' + '---|' * (len(cols) + 1))
    for name, row in rows.items():
        print('| %s | %s |' % (name, ' | '.join(row.get(c, '-') for c in cols)))
    for c in cols:
        vals = [row[c] for row in rows.values() if c in row]
        print('%s: %d ok of %d tried' % (c, sum(v == 'ok' for v in vals), len(vals)))
    return rows


def main(argv):
    if len(argv) < 2 or argv[0] not in ('record', 'compare'):
        raise SystemExit(__doc__)
    names = argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise SystemExit('unknown models %s; known: %s' % (unknown, ', '.join(MODELS)))
    if argv[0] == 'record':
        if mx.__name__ != 'mxnet':
            raise SystemExit('record runs on MXNet 1.9.1 (it found %s)' % mx.__name__)
        record(argv[1], names)
    else:
        if mx.__name__ != 'minigluon':
            raise SystemExit('compare runs under python -m minigluon.compat')
        if not hasattr(np, 'float'):
            # GluonCV 0.10.5's R-CNN anchors use np.float, which NumPy 1.24 removed (minigluon
            # needs NumPy >= 1.26); MXNet 1.9.1 runs on NumPy < 1.24 and has it
            np.float = float
        compare(argv[1], names)


if __name__ == '__main__':
    main(sys.argv[1:])
