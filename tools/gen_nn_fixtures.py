"""Generate MXNet 1.9.1 golden files for the layer operators (nn, conv, norm).

Run in the MXNet venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_nn_fixtures.py

For each case it records the inputs, the forward outputs, the gradient of every input with
respect to ``sum(output0 * head_grad)`` and, for BatchNorm, the moving statistics after one
forward + backward (MXNet's CPU build updates them in backward, minigluon in forward: the state
after both passes is the same). Writes ``tests/fixtures/nn/<case>.npz`` and ``cases.json``.
"""
import json
import os

# MKL-DNN cannot run some dilated (de)convolution backward passes; the reference kernels can.
os.environ.setdefault('MXNET_MKLDNN_ENABLED', '0')

import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'nn')
rng = np.random.RandomState(42)


def r(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape).astype(np.float32)


def bn_inputs(shape, c):
    return [r(*shape, low=-2, high=3), r(c, low=0.5, high=1.5), r(c), r(c, low=-0.2, high=0.2),
            r(c, low=0.5, high=1.5)]


# (name, op, attrs, inputs, indices of differentiable inputs, train_mode)
CASES = [
    ('conv2d_basic', 'Convolution', dict(kernel=(3, 3), num_filter=4),
     [r(2, 3, 6, 5), r(4, 3, 3, 3), r(4)], [0, 1, 2], False),
    ('conv2d_stride_pad_dilate', 'Convolution',
     dict(kernel=(3, 2), stride=(2, 1), pad=(1, 2), dilate=(2, 1), num_filter=3),
     [r(2, 2, 7, 6), r(3, 2, 3, 2), r(3)], [0, 1, 2], False),
    ('conv2d_groups_nobias', 'Convolution', dict(kernel=(3, 3), pad=(1, 1), num_filter=6, num_group=2,
                                                 no_bias=True),
     [r(2, 4, 5, 5), r(6, 2, 3, 3)], [0, 1], False),
    ('conv1d', 'Convolution', dict(kernel=(3,), stride=(2,), pad=(1,), num_filter=4),
     [r(2, 3, 9), r(4, 3, 3), r(4)], [0, 1, 2], False),
    ('conv3d', 'Convolution', dict(kernel=(2, 3, 2), pad=(1, 0, 1), num_filter=2),
     [r(1, 2, 4, 5, 4), r(2, 2, 2, 3, 2), r(2)], [0, 1, 2], False),
    ('deconv2d_stride_adj', 'Deconvolution',
     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 0), num_filter=2, no_bias=False),
     [r(2, 3, 4, 4), r(3, 2, 3, 3), r(2)], [0, 1, 2], False),
    ('deconv2d_groups_target', 'Deconvolution',
     dict(kernel=(4, 4), stride=(2, 2), target_shape=(8, 7), num_filter=4, num_group=2),
     [r(1, 4, 4, 4), r(4, 2, 4, 4)], [0, 1], False),
    ('deconv1d', 'Deconvolution', dict(kernel=(3,), stride=(3,), pad=(1,), num_filter=3),
     [r(2, 2, 5), r(2, 3, 3)], [0, 1], False),
    ('pool_max_valid', 'Pooling', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='max'),
     [r(2, 3, 7, 6)], [0], False),
    ('pool_max_full', 'Pooling', dict(kernel=(3, 3), stride=(2, 2), pool_type='max',
                                      pooling_convention='full'),
     [r(2, 2, 6, 8)], [0], False),
    ('pool_avg_full_pad', 'Pooling', dict(kernel=(3, 2), stride=(2, 2), pad=(1, 1), pool_type='avg',
                                          pooling_convention='full'),
     [r(1, 2, 6, 7)], [0], False),
    ('pool_avg_exclude_pad', 'Pooling', dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
                                             count_include_pad=False),
     [r(2, 2, 7, 7)], [0], False),
    ('pool_sum', 'Pooling', dict(kernel=(2, 2), stride=(1, 2), pool_type='sum'), [r(1, 3, 5, 6)], [0], False),
    ('pool_global_avg', 'Pooling', dict(kernel=(1, 1), global_pool=True, pool_type='avg'),
     [r(2, 3, 4, 5)], [0], False),
    ('pool_lp2', 'Pooling', dict(kernel=(2, 2), stride=(2, 2), pool_type='lp', p_value=2),
     [r(1, 2, 4, 6, low=0.2, high=1.5)], [0], False),
    ('pool_max_1d', 'Pooling', dict(kernel=(3,), stride=(2,), pool_type='max'), [r(2, 3, 9)], [0], False),
    ('pool_avg_3d', 'Pooling', dict(kernel=(2, 2, 2), stride=(2, 1, 2), pad=(0, 1, 1), pool_type='avg'),
     [r(1, 2, 4, 3, 5)], [0], False),
    ('bn_train_fixgamma', 'BatchNorm', dict(), bn_inputs((4, 3, 2, 2), 3), [0, 1, 2], True),
    ('bn_train_gamma_meanvar', 'BatchNorm', dict(fix_gamma=False, eps=1e-5, momentum=0.8,
                                                  output_mean_var=True),
     bn_inputs((5, 4, 3), 4), [0, 1, 2], True),
    ('bn_eval_gamma', 'BatchNorm', dict(fix_gamma=False), bn_inputs((3, 4, 2, 2), 4), [0, 1, 2], False),
    ('bn_eval_fixgamma_axis_last', 'BatchNorm', dict(axis=-1), bn_inputs((3, 2, 5), 5), [0, 1, 2], False),
    ('bn_train_axis_last', 'BatchNorm', dict(axis=-1, fix_gamma=False), bn_inputs((6, 3), 3), [0, 1, 2], True),
    ('leaky', 'LeakyReLU', dict(act_type='leaky', slope=0.1), [r(3, 4)], [0], False),
    ('prelu', 'LeakyReLU', dict(act_type='prelu'), [r(2, 3, 4), r(3, low=0.1, high=0.5)], [0, 1], False),
    ('elu', 'LeakyReLU', dict(act_type='elu', slope=0.7), [r(3, 4, low=-3, high=3)], [0], False),
    ('selu', 'LeakyReLU', dict(act_type='selu'), [r(3, 4, low=-3, high=3)], [0], False),
    ('gelu', 'LeakyReLU', dict(act_type='gelu'), [r(3, 4, low=-3, high=3)], [0], False),
    ('rrelu_eval', 'LeakyReLU', dict(act_type='rrelu'), [r(3, 4)], [0], False),
    ('act_softrelu', 'Activation', dict(act_type='softrelu'), [r(3, 4, low=-5, high=5)], [0], False),
    ('act_softsign', 'Activation', dict(act_type='softsign'), [r(3, 4, low=-5, high=5)], [0], False),
    ('act_sigmoid', 'Activation', dict(act_type='sigmoid'), [r(3, 4, low=-5, high=5)], [0], False),
    ('softmax_temperature', 'softmax', dict(axis=1, temperature=2.5), [r(2, 5, 3, low=-3, high=3)], [0], False),
    ('log_softmax_temperature', 'log_softmax', dict(temperature=0.5), [r(3, 6, low=-3, high=3)], [0], False),
    ('softmin', 'softmin', dict(axis=0), [r(4, 3)], [0], False),
    ('softmax_length', 'softmax', dict(axis=-1, use_length=True),
     [r(3, 5), np.array([2, 5, 1], dtype=np.int32)], [0], False),
    ('layernorm_last', 'LayerNorm', dict(), [r(3, 4, 5, low=-3, high=4), r(5), r(5)], [0, 1, 2], False),
    ('layernorm_axis1', 'LayerNorm', dict(axis=1, eps=1e-3), [r(2, 4, 3), r(4), r(4)], [0, 1, 2], False),
    ('groupnorm', 'GroupNorm', dict(num_groups=2), [r(2, 6, 3, 2, low=-2, high=3), r(2), r(2)], [0, 1, 2], False),
    ('instancenorm', 'InstanceNorm', dict(), [r(2, 3, 4, 5), r(3), r(3)], [0, 1, 2], False),
    ('l2norm_channel', 'L2Normalization', dict(mode='channel'), [r(2, 3, 4)], [0], False),
    ('l2norm_instance', 'L2Normalization', dict(), [r(2, 3, 4)], [0], False),
    ('fc_flatten', 'FullyConnected', dict(num_hidden=4), [r(2, 3, 5), r(4, 15), r(4)], [0, 1, 2], False),
    ('fc_noflatten', 'FullyConnected', dict(num_hidden=4, flatten=False, no_bias=True),
     [r(2, 3, 5), r(4, 5)], [0, 1], False),
    ('softmaxoutput_ignore_valid', 'SoftmaxOutput',
     dict(use_ignore=True, ignore_label=1, normalization='valid', grad_scale=2.0),
     [r(4, 5, low=-2, high=2), np.array([0, 1, 4, 2], dtype=np.float32)], [0], False),
    ('softmaxoutput_multi_batch', 'SoftmaxOutput', dict(multi_output=True, normalization='batch'),
     [r(2, 3, 4), np.array([[0, 2, 1, 1], [2, 0, 0, 1]], dtype=np.float32)], [0], False),
    ('upsampling_nearest_concat', 'UpSampling', dict(scale=2, sample_type='nearest', num_args=2),
     [r(1, 2, 3, 2), r(1, 1, 6, 4)], [0, 1], False),
    ('embedding', 'Embedding', dict(input_dim=5, output_dim=3),
     [np.array([[0, 4], [2, 2]], dtype=np.float32), r(5, 3)], [1], False),
    ('softmax_cross_entropy', 'softmax_cross_entropy', dict(),
     [r(3, 4, low=-2, high=2), np.array([1, 0, 3], dtype=np.float32)], [0], False),
]


def run(name, op, attrs, inputs, wrt, train):
    arrays = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    for i in wrt:
        arrays[i].attach_grad()
    with autograd.record(train_mode=train):
        outs = getattr(mx.nd, op)(*arrays, **attrs)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    head = rng.uniform(-1, 1, outs[0].shape).astype(np.float32)
    # backward in the same mode as forward: MXNet's BatchNorm backward otherwise applies the
    # batch-statistics formula to the moving statistics (not the gradient of the eval forward).
    outs[0].backward(mx.nd.array(head), train_mode=train)
    data = {'in%d' % i: a for i, a in enumerate(inputs)}
    data.update({'out%d' % i: o.asnumpy() for i, o in enumerate(outs)})
    data.update({'grad%d' % i: arrays[i].grad.asnumpy() for i in wrt})
    data['head'] = head
    if op == 'BatchNorm':
        data['moving_mean_after'] = arrays[3].asnumpy()
        data['moving_var_after'] = arrays[4].asnumpy()
    np.savez_compressed(os.path.join(OUT, name + '.npz'), **data)
    jattrs = {k: list(v) if isinstance(v, tuple) else v for k, v in attrs.items()}
    return {'name': name, 'op': op, 'attrs': jattrs, 'n_inputs': len(inputs), 'wrt': wrt,
            'n_outputs': len(outs), 'train': train}


def main():
    os.makedirs(OUT, exist_ok=True)
    index = [run(*case) for case in CASES]
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'cases': index}, f, indent=1)
    print('wrote %d cases to %s' % (len(index), os.path.abspath(OUT)))


if __name__ == '__main__':
    main()
