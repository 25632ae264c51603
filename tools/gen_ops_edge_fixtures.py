"""Write MXNet 1.9.1 golden values for operator edge cases to ``tests/fixtures/ops_edge/``.

Run with the MXNet oracle venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_ops_edge_fixtures.py

The cases probe paths the per-family tests are thin on (strided/dilated/grouped 1-D and 3-D
convolutions and transposed convolutions, pooling conventions, normalisation axes, index modes,
reverse reshape, negative-step slices, ...). Each record holds the operator, its inputs,
attributes, whether autograd runs in training mode, MXNet's outputs and the gradients of the
listed inputs for a stored head gradient (or the fact that MXNet rejects the call).
"""
import json
import os
import sys

import numpy as np
import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_ops_fixtures import arr, signed, enc  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'ops_edge')


def case(op, inputs, attrs=None, grad=(), train=True, error=False, note='', mxnet_wrong=''):
    """``mxnet_wrong``: where MXNet 1.9.1 itself is wrong and minigluon deliberately differs:
    'nan' (MXNet yields NaN from 0/0 or 0*inf where minigluon yields 0) or 'grads' (MXNet's
    gradient or auxiliary output is wrong; the test checks minigluon numerically instead)."""
    return {'op': op, 'inputs': inputs, 'attrs': attrs or {}, 'grad': list(grad),
            'train': train, 'error': error, 'note': note, 'mxnet_wrong': mxnet_wrong}


def run(c):
    inputs = [mx.nd.array(x, dtype=x.dtype) for x in c['inputs']]
    fn = getattr(mx.nd, c['op'])
    rec = {'op': c['op'], 'attrs': c['attrs'], 'train': c['train'], 'note': c['note'],
           'mxnet_wrong': c['mxnet_wrong'],
           'inputs': [enc(x) for x in c['inputs']]}
    if c['error']:
        try:
            fn(*inputs, **c['attrs']).wait_to_read()
        except mx.base.MXNetError as err:
            rec['error'] = str(err).strip().splitlines()[-1][:200]
            return rec
        raise SystemExit('expected an error for %s %s' % (c['op'], c['attrs']))
    for i in c['grad']:
        inputs[i].attach_grad()
    with mx.autograd.record(train_mode=c['train']):
        out = fn(*inputs, **c['attrs'])
    outs = out if isinstance(out, (list, tuple)) else [out]
    rec['outputs'] = [enc(o.asnumpy()) for o in outs]
    if c['grad']:
        heads = [mx.nd.array(arr(o.shape, start=-1.0, step=0.29), dtype=o.dtype) for o in outs]
        mx.autograd.backward(outs, heads)
        rec['head_grads'] = [enc(h.asnumpy()) for h in heads]
        rec['grads'] = {str(i): enc(inputs[i].grad.asnumpy()) for i in c['grad']}
    return rec


def conv_cases():
    C = []
    x1 = signed((2, 4, 9))
    w1 = arr((6, 2, 3), start=-0.7, step=0.13)
    C.append(case('Convolution', [x1, w1], dict(kernel=(3,), num_filter=6, stride=(2,), pad=(2,),
                                                dilate=(2,), num_group=2, no_bias=True,
                                                layout='NCW'), grad=(0, 1)))
    x3 = signed((1, 2, 5, 4, 6))
    w3 = arr((4, 1, 2, 3, 2), start=-0.5, step=0.11)
    b3 = arr((4,), start=0.1, step=0.2)
    C.append(case('Convolution', [x3, w3, b3], dict(kernel=(2, 3, 2), num_filter=4, stride=(2, 1, 3),
                                                    pad=(1, 1, 0), dilate=(1, 2, 1), num_group=2,
                                                    layout='NCDHW'), grad=(0, 1, 2)))
    xd = signed((2, 4, 3, 4))
    wd = arr((4, 3, 3, 2), start=-0.6, step=0.09)   # (in, out/group, kh, kw), groups=2
    C.append(case('Deconvolution', [xd, wd], dict(kernel=(3, 2), num_filter=6, stride=(2, 3),
                                                  pad=(1, 1), adj=(1, 2), dilate=(2, 1),
                                                  num_group=2, no_bias=True), grad=(0, 1)))
    x1d = signed((1, 2, 5))
    w1d = arr((2, 3, 3), start=-0.6, step=0.17)
    C.append(case('Deconvolution', [x1d, w1d, arr((3,))], dict(kernel=(3,), num_filter=3,
                                                               stride=(3,), pad=(1,), adj=(2,),
                                                               layout='NCW', no_bias=False), grad=(0, 1, 2)))
    x3d = signed((1, 2, 2, 3, 2))
    w3d = arr((2, 2, 2, 2, 3), start=-0.4, step=0.07)
    C.append(case('Deconvolution', [x3d, w3d], dict(kernel=(2, 2, 3), num_filter=2,
                                                    stride=(2, 1, 2), pad=(0, 1, 1), adj=(1, 0, 1),
                                                    no_bias=True), grad=(0, 1)))
    return C


def pool_cases():
    C = []
    x2 = signed((1, 2, 5, 7))
    for conv in ('valid', 'full'):
        for cip in (True, False):
            C.append(case('Pooling', [x2], dict(kernel=(3, 2), stride=(2, 3), pad=(1, 1),
                                                pool_type='avg', pooling_convention=conv,
                                                count_include_pad=cip), grad=(0,)))
    C.append(case('Pooling', [x2], dict(kernel=(2, 3), stride=(2, 2), pool_type='max',
                                        pooling_convention='full'), grad=(0,)))
    C.append(case('Pooling', [signed((1, 2, 7))], dict(kernel=(3,), stride=(2,), pad=(1,),
                                                       pool_type='avg', pooling_convention='full',
                                                       count_include_pad=False, layout='NCW'),
                  grad=(0,)))
    C.append(case('Pooling', [signed((2, 3, 5))], dict(kernel=(1,), global_pool=True,
                                                       pool_type='avg'), grad=(0,)))
    C.append(case('Pooling', [signed((1, 2, 3, 4, 2))], dict(kernel=(1, 1, 1), global_pool=True,
                                                             pool_type='max'), grad=(0,)))
    C.append(case('Pooling', [signed((1, 2, 3, 4, 2))], dict(kernel=(1, 1, 1), global_pool=True,
                                                             pool_type='sum'), grad=(0,)))
    C.append(case('Pooling', [signed((1, 1, 5, 5, 5))], dict(kernel=(2, 2, 3), stride=(2, 2, 2),
                                                             pad=(1, 0, 1), pool_type='avg',
                                                             count_include_pad=False,
                                                             pooling_convention='full'),
                  grad=(0,), mxnet_wrong='nan', note='a window lying wholly in the padding'))
    C.append(case('Pooling', [arr((1, 2, 5, 6))], dict(kernel=(3, 2), stride=(2, 2), p_value=2,
                                                       pool_type='lp', pad=(1, 0)), grad=(0,)))
    C.append(case('Pooling', [signed((1, 2, 6, 5))], dict(kernel=(3, 3), stride=(2, 2),
                                                          pool_type='max', pad=(1, 1),
                                                          pooling_convention='full'), grad=(0,)))
    return C


def norm_cases():
    C = []
    x = signed((2, 3, 4))
    g, b = arr((4,), 0.5, 0.3), arr((4,), -0.2, 0.15)
    mm, mv = arr((4,), 0.1, 0.05), arr((4,), 0.8, 0.2)
    for train in (True, False):
        for ugs in (False, True):
            C.append(case('BatchNorm', [x, g, b, mm, mv], dict(axis=-1, use_global_stats=ugs,
                                                               fix_gamma=False),
                          grad=(0, 1, 2), train=train,
                          mxnet_wrong='' if train or ugs else 'grads'))
    g3, b3 = arr((3,), 0.5, 0.3), arr((3,), -0.2, 0.15)
    m3, v3 = arr((3,), 0.1, 0.05), arr((3,), 0.8, 0.2)
    xb = signed((2, 4, 3, 2))
    C.append(case('BatchNorm', [xb, g3, b3, m3, v3], dict(axis=2, fix_gamma=True, eps=1e-3),
                  grad=(0, 1, 2)))
    C.append(case('BatchNorm', [xb, g3, b3, m3, v3], dict(axis=2, fix_gamma=True),
                  grad=(0, 1, 2), train=False, mxnet_wrong='grads',
                  note='MXNet back-propagates batch statistics through a moving-stats forward'))
    C.append(case('BatchNorm', [signed((3, 5)), arr((5,)), arr((5,), -0.3), arr((5,), 0.2, 0.1),
                                arr((5,), 1.0, 0.1)], dict(axis=1, fix_gamma=False,
                                                           output_mean_var=True), grad=(0, 1, 2)))
    C.append(case('LayerNorm', [signed((2, 3, 4)), arr((3,), 0.5), arr((3,), -0.1)],
                  dict(axis=1, eps=1e-4), grad=(0, 1, 2)))
    C.append(case('LayerNorm', [signed((2, 3, 4)), arr((2,), 0.5), arr((2,), -0.1)],
                  dict(axis=0, output_mean_var=True), grad=(0, 1, 2)))
    C.append(case('GroupNorm', [signed((2, 6, 3, 2)), arr((3,), 0.5), arr((3,), -0.1)],
                  dict(num_groups=3, eps=1e-3), grad=(0, 1, 2)))
    C.append(case('GroupNorm', [signed((2, 4, 5)), arr((2,), 0.5), arr((2,), -0.1)],
                  dict(num_groups=2, output_mean_var=True), grad=(0, 1, 2)))
    C.append(case('InstanceNorm', [signed((2, 3, 4, 2)), arr((3,), 0.5), arr((3,), -0.1)],
                  dict(eps=1e-3), grad=(0, 1, 2)))
    C.append(case('InstanceNorm', [signed((2, 3, 5)), arr((3,), 0.5), arr((3,), -0.1)], {},
                  grad=(0, 1, 2)))
    C.append(case('L2Normalization', [signed((2, 3, 4))], dict(mode='spatial'), grad=(0,)))
    C.append(case('L2Normalization', [signed((2, 3, 4))], dict(mode='channel'), grad=(0,)))
    return C


def nn_cases():
    C = []
    w = arr((5, 3), -1, 0.23)
    idx = np.array([[0, 4, 7], [-1, -6, 2]], dtype='float32')
    C.append(case('Embedding', [idx, w], dict(input_dim=5, output_dim=3), grad=(1,),
                  note='out-of-range and negative indices'))
    C.append(case('Dropout', [signed((2, 3, 4))], dict(p=0.0, axes=(1,)), grad=(0,)))
    C.append(case('Dropout', [signed((2, 3, 4))], dict(p=1.0), grad=(0,), mxnet_wrong='nan'))
    C.append(case('Dropout', [signed((2, 3, 4))], dict(p=1.0, axes=(0, 2)), grad=(0,),
                  mxnet_wrong='nan'))
    C.append(case('Dropout', [signed((2, 3, 4))], dict(p=0.7), grad=(0,), train=False))
    xs = signed((2, 3, 4))
    for act in ('leaky', 'elu', 'selu', 'gelu'):
        C.append(case('LeakyReLU', [xs], dict(act_type=act, slope=0.3), grad=(0,),
                      mxnet_wrong='grads' if act == 'selu' else ''))
    C.append(case('LeakyReLU', [xs, arr((3,), 0.1, 0.1)], dict(act_type='prelu'), grad=(0, 1)))
    C.append(case('LeakyReLU', [xs, arr((1,), 0.2)], dict(act_type='prelu'), grad=(0, 1)))
    C.append(case('LeakyReLU', [xs], dict(act_type='rrelu', lower_bound=0.2, upper_bound=0.2),
                  grad=(0,), train=False, mxnet_wrong='grads',
                  note='MXNet leaves the mask uninitialised in eval mode'))
    C.append(case('softmax', [xs], dict(axis=0, temperature=2.5), grad=(0,)))
    C.append(case('log_softmax', [xs], dict(axis=0, temperature=0.5), grad=(0,)))
    C.append(case('softmin', [xs], dict(axis=1, temperature=1.5), grad=(0,)))
    C.append(case('softmax', [xs, np.array([[2, 4, 1], [3, 1, 4]], dtype='int32')],
                  dict(axis=-1, use_length=True, temperature=2.0), grad=(0,)))
    C.append(case('softmax', [xs, np.array([[1, 2, 3, 2], [3, 1, 2, 1]], dtype='int32')],
                  dict(axis=1, use_length=True), grad=(0,)))
    lab = np.array([[0, 2, 1, 2], [1, 1, 0, 2]], dtype='float32')
    for norm in ('null', 'batch', 'valid'):
        C.append(case('SoftmaxOutput', [signed((2, 3, 4)), lab],
                      dict(multi_output=True, use_ignore=True, ignore_label=2,
                           normalization=norm, grad_scale=1.5), grad=(0,)))
    C.append(case('SoftmaxOutput', [signed((4, 3)), np.array([0, 2, 1, 2], dtype='float32')],
                  dict(use_ignore=True, ignore_label=2, normalization='valid',
                       smooth_alpha=0.1), grad=(0,)))
    C.append(case('SoftmaxOutput', [signed((2, 3, 2, 2)), np.array([[[0, 1], [2, 1]], [[1, 0], [0, 2]]],
                                                                dtype='float32')],
                  dict(multi_output=True, preserve_shape=False), grad=(0,)))
    C.append(case('SoftmaxOutput', [signed((2, 3, 4)), np.array([[0, 2, 1], [1, 1, 0]], dtype='float32')],
                  dict(preserve_shape=True), grad=(0,)))
    return C


def shape_index_cases():
    C = []
    x = signed((2, 3, 4, 5))
    for shape in ((-1, 0), (0, -1), (0, -3, 0),
                  (4, -1, 0), (-3, -3)):
        C.append(case('Reshape', [x], dict(shape=shape, reverse=True), grad=(0,)))
    C.append(case('Reshape', [x], dict(shape=(0, -4, -1, 3, -2)), grad=(0,)))
    C.append(case('slice', [x], dict(begin=(None, 2, -1), end=(None, None, 0), step=(1, -1, -2)),
                  grad=(0,)))
    C.append(case('slice', [x], dict(begin=(-1, None), end=(None, None), step=(-1, -2)),
                  grad=(0,)))
    C.append(case('slice', [x], dict(begin=(1, -2), end=(-3, 0), step=(-1, -1)), grad=(0,)))
    C.append(case('slice_axis', [x], dict(axis=-1, begin=-4, end=None), grad=(0,)))
    a = signed((4, 3))
    ind = np.array([[-1, 5], [2, -7]], dtype='float32')
    for mode in ('wrap', 'clip'):
        C.append(case('take', [a, ind], dict(axis=0, mode=mode), grad=(0,)))
        C.append(case('take', [a, ind], dict(axis=-1, mode=mode), grad=(0,)))
        C.append(case('pick', [a, np.array([-1, 3, 4, -5], dtype='float32')],
                      dict(axis=1, mode=mode, keepdims=True), grad=(0,)))
    C.append(case('pick', [signed((2, 3, 4)), np.array([[0, -1, 5, 2], [1, 3, -2, 0]],
                                                        dtype='float32')],
                  dict(axis=1, mode='wrap'), grad=(0,)))
    t = arr((3, 5), 0.3, 0.71)
    for ret in ('both', 'mask', 'indices', 'value'):
        C.append(case('topk', [t], dict(k=2, ret_typ=ret, axis=-1), grad=(0,)))
    C.append(case('topk', [t], dict(k=2, ret_typ='both', axis=0, is_ascend=True), grad=(0,)))
    C.append(case('topk', [t], dict(k=0, ret_typ='indices', axis=1, dtype='int32'), grad=()))
    C.append(case('topk', [t], dict(k=2, ret_typ='indices', axis=None), grad=()))
    C.append(case('sort', [t], dict(axis=0, is_ascend=False), grad=(0,)))
    C.append(case('argsort', [t], dict(axis=None), grad=()))
    return C


def reduce_cases():
    C = []
    x = signed((2, 3, 4))
    for ordv in (1, 2):
        for axis in ((0, 2), (1,), None, (-1, 0)):
            attrs = dict(ord=ordv, keepdims=True)
            if axis is not None:
                attrs['axis'] = axis
            if axis is not None and len(axis) == 2 and ordv == 1:
                pass
            C.append(case('norm', [x], attrs, grad=(0,)))
    for op in ('sum', 'mean', 'max', 'prod', 'nansum', 'min'):
        C.append(case(op, [x], dict(axis=(0, 2), exclude=True), grad=(0,)))
        C.append(case(op, [x], dict(axis=1, exclude=True, keepdims=True), grad=(0,)))
    C.append(case('sum', [x], dict(axis=(), exclude=True), grad=(0,)))
    return C


AREAS = [conv_cases, pool_cases, norm_cases, nn_cases, shape_index_cases, reduce_cases]


def main():
    os.makedirs(OUT, exist_ok=True)
    records = []
    for make in AREAS:
        for c in make():
            try:
                records.append(run(c))
            except mx.base.MXNetError as err:
                print('MXNet rejects %s %s: %s' % (c['op'], c['attrs'],
                                                   str(err).strip().splitlines()[-1][:200]),
                      file=sys.stderr)
    path = os.path.join(OUT, 'edge.json')
    with open(path, 'w') as f:
        json.dump({'mxnet': mx.__version__, 'cases': records}, f, separators=(',', ':'))
    print('%s: %d cases, %d bytes' % (path, len(records), os.path.getsize(path)), file=sys.stderr)


if __name__ == '__main__':
    main()
