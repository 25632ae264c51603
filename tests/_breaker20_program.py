"""Programs run on minigluon by tests/test_breaker20_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker20_fixtures.py (``mx`` is either package): each returns JSON-able results.
An error is recorded as ``'error'`` (the class names differ between the two frameworks; the
tests check minigluon's own).

The cases aim at the newest fast paths: the depthwise convolution (compiled for 2-D, NumPy
otherwise), the batch path's phase columns, the pointwise per-image path, compiled max pooling
with its argmax, BatchNorm's compiled inference and leaner backward; and at sigmoid's formula,
the new error messages and the numbers given in optional input slots."""
import json
import warnings

import numpy as np


def _raised(fn):
    """``fn()``'s result, or ``'error'`` when it raises."""
    try:
        return fn()
    except Exception:          # noqa: BLE001 -- an error is a result here
        return 'error'


def _arr(mx, shape, seed, dtype='float32', ties=False):
    """A reproducible array: uniform in [-1, 1), or small integers (many ties) with ``ties``."""
    rs = np.random.RandomState(seed)
    v = rs.randint(-2, 3, shape) if ties else rs.uniform(-1, 1, shape)
    return mx.nd.array(v.astype(dtype), dtype=dtype)


def _lists(arrays):
    return [None if a is None else a.asnumpy().astype('float64').tolist() for a in arrays]


def _grads(mx, fn, inputs, seed=99, req='write', twice=False):
    """``[out, d input 0, d input 1, ...]`` of ``fn(*inputs)`` (inputs given as None are passed
    as None), the head gradient reproducible from ``seed``; ``twice``: two backward passes (with
    ``req='add'`` the gradients add up)."""
    for a in inputs:
        if a is not None:
            a.attach_grad(grad_req=req)
    for _ in range(2 if twice else 1):
        with mx.autograd.record():
            out = fn(*inputs)
        head = _arr(mx, out.shape, seed, np.dtype(out.dtype).name)
        out.backward(head)
    return _lists([out] + [None if a is None else a.grad for a in inputs])


# --- convolution ------------------------------------------------------------------------------

def _conv_case(mx, shape, f, g, kernel, seed, dtype='float32', no_bias=False, transpose=False,
               req='write', twice=False, **kw):
    c = shape[1]
    x = _arr(mx, shape, seed, dtype)
    if transpose:                     # the same values through a transposed (strided) source
        x = _arr(mx, shape[:2] + shape[2:][::-1], seed, dtype).swapaxes(2, 3)
    w = _arr(mx, (f, c // g) + tuple(kernel), seed + 1, dtype)
    b = None if no_bias else _arr(mx, (f,), seed + 2, dtype)

    def fn(x, w, b=None):
        return mx.nd.Convolution(x, w, b, kernel=kernel, num_filter=f, num_group=g,
                                 no_bias=no_bias, **kw)
    return _grads(mx, fn, [x, w] + ([] if no_bias else [b]), req=req, twice=twice)


CONV_CASES = {
    # depthwise (num_group == channels), depth multiplier 2
    'dw_mult2_s3_d2_p1': dict(shape=(1, 3, 8, 7), f=6, g=3, kernel=(3, 3), stride=(3, 3),
                              dilate=(2, 2), pad=(1, 1)),
    'dw_mult3_s2': dict(shape=(1, 2, 7, 6), f=6, g=2, kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
    'dw_kernel_3x1_s21': dict(shape=(1, 4, 6, 5), f=4, g=4, kernel=(3, 1), stride=(2, 1),
                              pad=(1, 0)),
    'dw_kernel_1x3_s13_d12': dict(shape=(1, 3, 5, 11), f=3, g=3, kernel=(1, 3), stride=(1, 3),
                                  dilate=(1, 2), pad=(0, 2)),
    'dw_tiny_image_pad': dict(shape=(2, 2, 2, 2), f=2, g=2, kernel=(3, 3), stride=(2, 2),
                              pad=(1, 1)),
    'dw_image_1x1_pad2': dict(shape=(1, 2, 1, 1), f=4, g=2, kernel=(5, 5), pad=(2, 2)),
    'dw_asym_pad': dict(shape=(1, 3, 4, 9), f=3, g=3, kernel=(3, 3), stride=(1, 2),
                        pad=(2, 0)),
    'dw_stride_gt_kernel': dict(shape=(1, 2, 10, 10), f=2, g=2, kernel=(2, 2), stride=(4, 3),
                                pad=(1, 1)),
    'dw_no_bias': dict(shape=(1, 3, 5, 5), f=3, g=3, kernel=(3, 3), no_bias=True, pad=(1, 1)),
    'dw_transposed_input': dict(shape=(1, 3, 6, 5), f=3, g=3, kernel=(3, 3), stride=(2, 2),
                                pad=(1, 1), transpose=True),
    'dw_float64': dict(shape=(1, 2, 6, 6), f=4, g=2, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                       dtype='float64'),
    'dw_float16': dict(shape=(1, 2, 5, 5), f=2, g=2, kernel=(3, 3), pad=(1, 1),
                       dtype='float16'),
    'dw_grad_add': dict(shape=(1, 2, 5, 5), f=2, g=2, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                        req='add', twice=True),
    'dw_1d': dict(shape=(2, 3, 11), f=6, g=3, kernel=(3,), stride=(2,), dilate=(2,),
                  pad=(1,)),
    'dw_3d': dict(shape=(1, 2, 4, 5, 3), f=2, g=2, kernel=(2, 3, 1), stride=(1, 2, 1),
                  pad=(1, 1, 0)),
    # the batch path (fewer than 16 channels per group): phases with strides
    'batch_s2_d2_p2': dict(shape=(2, 2, 7, 5), f=4, g=1, kernel=(3, 3), stride=(2, 2),
                           dilate=(2, 2), pad=(2, 2)),
    'batch_groups2_s3': dict(shape=(1, 4, 7, 6), f=6, g=2, kernel=(2, 3), stride=(3, 3),
                             pad=(1, 0)),
    'batch_s_31': dict(shape=(1, 2, 10, 4), f=3, g=1, kernel=(3, 1), stride=(3, 1),
                       dilate=(1, 1), pad=(0, 0)),
    'batch_transposed_s2': dict(shape=(1, 3, 6, 7), f=2, g=1, kernel=(3, 3), stride=(2, 2),
                                transpose=True),
    'batch_1d_s2': dict(shape=(2, 3, 9), f=2, g=1, kernel=(3,), stride=(2,), pad=(1,)),
    'batch_3d_s2': dict(shape=(1, 2, 5, 4, 4), f=2, g=1, kernel=(2, 2, 2), stride=(2, 1, 2)),
    'batch_grad_add': dict(shape=(2, 3, 5, 5), f=2, g=1, kernel=(3, 3), stride=(2, 2),
                           req='add', twice=True),
    # the per-image path (16 or more channels per group), pointwise and not
    'pointwise_16': dict(shape=(2, 16, 1, 2), f=5, g=1, kernel=(1, 1)),
    'pointwise_groups2': dict(shape=(1, 32, 1, 3), f=4, g=2, kernel=(1, 1)),
    'pointwise_1d': dict(shape=(1, 16, 3), f=3, g=1, kernel=(1,)),
    'pointwise_transposed': dict(shape=(1, 16, 3, 2), f=3, g=1, kernel=(1, 1), transpose=True),
    'per_image_1x1_s2': dict(shape=(1, 16, 3, 4), f=3, g=1, kernel=(1, 1), stride=(2, 2)),
    'per_image_1x1_pad1': dict(shape=(1, 16, 2, 3), f=2, g=1, kernel=(1, 1), pad=(1, 1)),
    'per_image_3x3_s2_d2': dict(shape=(1, 16, 5, 4), f=1, g=1, kernel=(3, 3), stride=(2, 2),
                                dilate=(2, 2), pad=(1, 1)),
    'pointwise_grad_add': dict(shape=(1, 16, 3, 3), f=2, g=1, kernel=(1, 1), req='add',
                               twice=True),
}


def convolution(mx):
    """Outputs and gradients of data, weight (and bias) for each case of :data:`CONV_CASES`,
    each array projected (:func:`_projected`, defined below) to keep the fixture small."""
    return {name: _raised(lambda kw=kw, i=i: _projected(_conv_case(mx, seed=10 * i, **kw)))
            for i, (name, kw) in enumerate(sorted(CONV_CASES.items()))}


def _projected(results, seed=5):
    """Each array of ``results`` (nested lists from :func:`_grads`) as two numbers: its float64
    dot product with a reproducible random array, and its sum of magnitudes."""
    out = []
    for i, a in enumerate(results):
        if a is None:
            out.append(None)
            continue
        a = np.asarray(a, dtype=np.float64)
        r = np.random.RandomState(seed + i).uniform(-1, 1, a.shape)
        out.append([float((a * r).sum()), float(np.abs(a).sum())])
    return out


LARGE_CASES = {
    # wide rows longer than the compiled kernels' blocks of 2048 elements
    'dw_blocks_s1': dict(shape=(2, 3, 70, 65), f=6, g=3, kernel=(3, 3), pad=(1, 1)),
    'dw_blocks_s2_d2': dict(shape=(2, 4, 80, 77), f=4, g=4, kernel=(3, 5), stride=(2, 2),
                            dilate=(2, 2), pad=(2, 2)),
    'dw_blocks_s3': dict(shape=(3, 2, 90, 91), f=4, g=2, kernel=(3, 3), stride=(3, 3),
                         pad=(1, 1)),
    'batch_s3_k5': dict(shape=(3, 3, 40, 41), f=4, g=1, kernel=(5, 5), stride=(3, 3),
                        pad=(2, 2)),
    'per_image_s2': dict(shape=(3, 16, 20, 21), f=8, g=1, kernel=(3, 3), stride=(2, 2),
                         pad=(1, 1)),
    'pointwise': dict(shape=(3, 32, 20, 21), f=8, g=2, kernel=(1, 1)),
}


def large(mx):
    """Larger convolutions, pooling and Deconvolution, each array projected
    (:func:`_projected`) to keep the fixture small."""
    out = {name: _raised(lambda kw=kw, i=i: _projected(_conv_case(mx, seed=3 * i + 2, **kw)))
           for i, (name, kw) in enumerate(sorted(LARGE_CASES.items()))}
    out['pool_3x3_s2_p1_ties'] = _raised(lambda: _projected(_pool_case(
        mx, seed=4, shape=(2, 3, 60, 61), kernel=(3, 3), stride=(2, 2), pad=(1, 1), ties=True)))
    out['pool_full_5x5_s3'] = _raised(lambda: _projected(_pool_case(
        mx, seed=5, shape=(2, 2, 50, 47), kernel=(5, 5), stride=(3, 3),
        pooling_convention='full')))

    def deconv(x, w):
        return mx.nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=6,
                                   num_group=3, no_bias=True)
    out['deconv_depthwise'] = _raised(lambda: _projected(_grads(
        mx, deconv, [_arr(mx, (2, 3, 9, 8), 6), _arr(mx, (3, 2, 3, 3), 7)])))
    return out


# --- pooling ----------------------------------------------------------------------------------

POOL_CASES = {
    'max_3x3_s2_p1': dict(shape=(1, 2, 7, 7), kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
    'max_3x3_s1_overlap_ties': dict(shape=(1, 2, 6, 5), kernel=(3, 3), stride=(1, 1),
                                    ties=True),
    'max_3x3_s2_ties_p1': dict(shape=(2, 1, 8, 8), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                               ties=True),
    'max_full_3x3_s2': dict(shape=(1, 2, 8, 8), kernel=(3, 3), stride=(2, 2),
                            pooling_convention='full'),
    'max_full_2x2_s2_odd': dict(shape=(1, 2, 5, 7), kernel=(2, 2), stride=(2, 2),
                                pooling_convention='full', ties=True),
    'max_full_ties_p1': dict(shape=(1, 1, 6, 6), kernel=(3, 2), stride=(2, 3), pad=(1, 1),
                             pooling_convention='full', ties=True),
    'max_global': dict(shape=(2, 3, 4, 5), kernel=(1, 1), global_pool=True, ties=True),
    'max_2x2_s2_ties': dict(shape=(2, 2, 4, 6), kernel=(2, 2), stride=(2, 2), ties=True),
    'max_2x3_s1_negative_pad': dict(shape=(1, 1, 3, 4), kernel=(2, 3), stride=(1, 1),
                                    pad=(1, 1), negative=True),
    'max_5x5_s3_p2': dict(shape=(1, 1, 9, 10), kernel=(5, 5), stride=(3, 3), pad=(2, 2)),
    'max_float64_3x3_s2': dict(shape=(1, 2, 7, 7), kernel=(3, 3), stride=(2, 2),
                               dtype='float64', ties=True),
    'max_transposed_3x3_s2': dict(shape=(1, 2, 7, 6), kernel=(3, 3), stride=(2, 2),
                                  transpose=True),
    'max_1d_3_s2_ties': dict(shape=(2, 2, 9), kernel=(3,), stride=(2,), ties=True),
    'max_grad_add_3x3_s2': dict(shape=(1, 1, 7, 7), kernel=(3, 3), stride=(2, 2),
                                req='add', twice=True, ties=True),
    'max_float16_3x3_s2_p1': dict(shape=(1, 1, 7, 7), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                  dtype='float16'),
    'max_3d_2_s2': dict(shape=(1, 1, 5, 4, 4), kernel=(2, 2, 2), stride=(2, 2, 2), ties=True),
    'max_tiny_image_full_p1': dict(shape=(1, 2, 2, 2), kernel=(3, 3), stride=(2, 2),
                                   pad=(1, 1), pooling_convention='full'),
    'max_2x2_s3_gaps': dict(shape=(1, 2, 8, 7), kernel=(2, 2), stride=(3, 3), ties=True),
    'max_3x2_s34_p1': dict(shape=(1, 1, 9, 11), kernel=(3, 2), stride=(3, 4), pad=(1, 1)),
    'max_1x1_s2': dict(shape=(1, 2, 5, 5), kernel=(1, 1), stride=(2, 2)),
    'avg_3x3_s2_p1_full': dict(shape=(1, 1, 6, 6), kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                               pool_type='avg', pooling_convention='full'),
}


def _pool_case(mx, shape, seed, dtype='float32', ties=False, transpose=False, negative=False,
               req='write', twice=False, pool_type='max', **kw):
    x = _arr(mx, shape, seed, dtype, ties)
    if transpose:
        x = _arr(mx, shape[:2] + shape[2:][::-1], seed, dtype, ties).swapaxes(2, 3)
    if negative:
        x = -(x.abs() + 1)
    return _grads(mx, lambda x: mx.nd.Pooling(x, pool_type=pool_type, **kw), [x], req=req,
                  twice=twice)


def pooling(mx):
    """Outputs and data gradients for each case of :data:`POOL_CASES`."""
    return {name: _raised(lambda kw=kw, i=i: _pool_case(mx, seed=7 * i + 1, **kw))
            for i, (name, kw) in enumerate(sorted(POOL_CASES.items()))}


def _pool_net(mx, mode, relu_first, seed):
    """Conv -> relu -> 3x3/2 max pool (or pool -> relu), a HybridBlock whose parameters are set
    from ``seed``, run ``mode``: 'eager', 'hybridized' or 'static_alloc' (whose graph keeps its
    argmax workspace between calls): the output and the gradients of the data and the conv
    weight, two steps."""
    class Net(mx.gluon.HybridBlock):
        def __init__(self, **kw):
            super(Net, self).__init__(**kw)
            with self.name_scope():
                self.conv = mx.gluon.nn.Conv2D(3, 3, padding=1, in_channels=2)

        def hybrid_forward(self, F, x):
            y = self.conv(x)
            if relu_first:
                return F.Pooling(F.relu(y), kernel=(3, 3), stride=(2, 2), pool_type='max')
            return F.relu(F.Pooling(y, kernel=(3, 3), stride=(2, 2), pool_type='max',
                                    pooling_convention='full'))
    net = Net()
    net.initialize()
    net.conv.weight.set_data(_arr(mx, (3, 2, 3, 3), seed))
    net.conv.bias.set_data(_arr(mx, (3,), seed + 1) * 0.1)
    if mode != 'eager':
        static = mode == 'static_alloc'
        net.hybridize(static_alloc=static, static_shape=static)
    out = []
    for step in range(2):
        x = _arr(mx, (1, 2, 7, 7), seed + 2 + step)
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward(_arr(mx, y.shape, seed + 5 + step))
        out.append(_lists([y, x.grad, net.conv.weight.grad()]))
    return out


def _conv_net(mx, mode, seed):
    """Depthwise 3x3/2 -> pointwise 1x1 -> 3x3/2 -> BatchNorm -> relu (the depthwise, per-image
    and batch paths in one graph), parameters set from ``seed``, run ``mode`` as
    :func:`_pool_net`: the output and the gradients of the data and of every parameter, and
    the running statistics, over two training steps (the second with another batch size)."""
    nn = mx.gluon.nn
    net = nn.HybridSequential(prefix='cn_')
    with net.name_scope():
        net.add(nn.Conv2D(32, 3, strides=2, padding=1, groups=16, in_channels=16),
                nn.Conv2D(16, 1, in_channels=32, use_bias=False),
                nn.Conv2D(4, 3, strides=2, in_channels=16),
                nn.BatchNorm(in_channels=4), nn.Activation('relu'))
    net.initialize()
    params = net.collect_params()
    for i, name in enumerate(sorted(params)):
        p = params[name]
        value = _arr(mx, p.shape, seed + i) * 0.5
        p.set_data(value.abs() + 0.5 if name.endswith(('gamma', 'var')) else value)
    if mode != 'eager':
        static = mode == 'static_alloc'
        net.hybridize(static_alloc=static, static_shape=static)
    out = []
    for step, n in enumerate((2, 3)):
        x = _arr(mx, (n, 16, 11, 10), seed + 50 + step)
        x.attach_grad()
        with mx.autograd.record():
            y = net(x)
        y.backward(_arr(mx, y.shape, seed + 60 + step))
        out.append(_projected(_lists([y, x.grad] + [params[k].grad() for k in sorted(params)
                                                    if params[k].grad_req != 'null']
                                     + [params[k].data() for k in sorted(params)
                                        if k.endswith(('running_mean', 'running_var'))])))
    return out


def conv_graphs(mx):
    """The convolution paths in one eager network (the tests run minigluon's hybridized and
    static_alloc graphs against it too)."""
    return {'eager': _raised(lambda: _conv_net(mx, 'eager', 3))}


def pool_graphs(mx):
    """Max pooling with a relu before or after, eager (the tests run minigluon's hybridized
    static_alloc graphs, where the relu is fused, against these too)."""
    return {'relu_first_%s' % r: _raised(lambda r=r: _pool_net(mx, 'eager', r, 5))
            for r in (False, True)}


# --- BatchNorm --------------------------------------------------------------------------------

BN_CASES = {
    'train_axis1': dict(shape=(2, 2, 3, 3)),
    'train_fix_gamma': dict(shape=(3, 2, 4), fix_gamma=True),
    'train_axis_last': dict(shape=(2, 3, 4), axis=-1),
    'train_axis2': dict(shape=(2, 3, 4, 2), axis=2),
    'train_axis0': dict(shape=(3, 5), axis=0),
    'train_float64': dict(shape=(3, 2, 5), dtype='float64'),
    'train_float16': dict(shape=(4, 2, 3), dtype='float16'),
    'global_stats': dict(shape=(2, 3, 4), use_global_stats=True),
    'global_stats_fix_gamma': dict(shape=(2, 3, 4), use_global_stats=True, fix_gamma=True),
    'global_stats_axis_last': dict(shape=(2, 4, 3), use_global_stats=True, axis=3 - 4),
    'global_zero_negative_var': dict(shape=(2, 3, 2), use_global_stats=True,
                                     var=[0.0, -0.0005, -2.0]),
    'global_float64': dict(shape=(2, 3, 4), use_global_stats=True, dtype='float64'),
    'global_float16': dict(shape=(2, 3, 4), use_global_stats=True, dtype='float16'),
    'train_grad_add': dict(shape=(3, 2, 3), req='add', twice=True),
    'train_one_per_channel': dict(shape=(1, 3), eps=1e-5),
    'train_2d': dict(shape=(4, 3)),
    'global_2d_fix_gamma': dict(shape=(4, 3), use_global_stats=True, fix_gamma=True),
}


def _bn_case(mx, shape, seed, axis=1, dtype='float32', fix_gamma=False, use_global_stats=False,
             var=None, req='write', twice=False, eps=1e-3):
    c = shape[axis]
    pdtype = 'float32' if dtype == 'float16' else dtype
    x = _arr(mx, shape, seed, dtype) * 3 + 1
    gamma = _arr(mx, (c,), seed + 1, pdtype) + 1.5
    beta = _arr(mx, (c,), seed + 2, pdtype)
    mean = _arr(mx, (c,), seed + 3, pdtype)
    mvar = (mx.nd.array(var, dtype=pdtype) if var is not None
            else _arr(mx, (c,), seed + 4, pdtype) + 1.2)

    def fn(x, gamma, beta):
        return mx.nd.BatchNorm(x, gamma, beta, mean, mvar, eps=eps, momentum=0.8,
                               fix_gamma=fix_gamma, use_global_stats=use_global_stats,
                               axis=axis)
    res = _grads(mx, fn, [x, gamma, beta], req=req, twice=twice)
    return res + _lists([mean, mvar])


def batchnorm(mx):
    """Output, gradients of data, gamma and beta, and the moving statistics after the step, for
    each case of :data:`BN_CASES`; then the inference forward (outside ``record``)."""
    out = {name: _raised(lambda kw=kw, i=i: _bn_case(mx, seed=11 * i + 3, **kw))
           for i, (name, kw) in enumerate(sorted(BN_CASES.items()))}
    for dtype in ('float32', 'float64', 'float16'):
        pdtype = 'float32' if dtype == 'float16' else dtype
        x = _arr(mx, (2, 3, 2, 5), 4, dtype) * 4
        stats = [_arr(mx, (3,), s, pdtype) + off for s, off in ((5, 1), (6, 0), (7, 0), (8, 1.1))]
        stats[3][1] = 0.0
        out['infer_' + dtype] = _lists([mx.nd.BatchNorm(x, *stats, fix_gamma=False, eps=1e-5)])
        xt = _arr(mx, (2, 5, 2, 3), 4, dtype).transpose((0, 3, 2, 1)) * 4
        out['infer_transposed_' + dtype] = _lists([mx.nd.BatchNorm(xt, *stats, fix_gamma=False)])
    return out


def batchnorm_layers(mx):
    """nn.BatchNorm layers (axis 1 and -1, scale=False) with set running statistics: the output
    in inference (eager and hybridized, where the graph skips the write of gamma), in training
    with the gradient of the data, and output_mean_var on the operator."""
    out = {}
    for axis, hybridize in ((1, False), (1, True), (-1, False), (-1, True)):
        c = 3
        layer = mx.gluon.nn.BatchNorm(axis=axis, in_channels=c, scale=False, epsilon=1e-4)
        layer.initialize()
        layer.gamma.set_data(_arr(mx, (c,), 1) + 2)
        layer.beta.set_data(_arr(mx, (c,), 2))
        layer.running_mean.set_data(_arr(mx, (c,), 3))
        layer.running_var.set_data(_arr(mx, (c,), 4) + 1.5)
        if hybridize:
            layer.hybridize()
        shape = (2, c, 4, 3) if axis == 1 else (2, 4, 3, c)
        x = _arr(mx, shape, 5) * 2
        infer = layer(x)
        x.attach_grad()
        with mx.autograd.record():
            y = layer(x)
        y.backward(_arr(mx, shape, 6))
        out['axis%d_%s' % (axis, hybridize)] = _lists([infer, y, x.grad, layer.gamma.data(),
                                                       layer.running_mean.data(),
                                                       layer.running_var.data()])
    x = _arr(mx, (3, 2, 4), 7)
    for glob in (False, True):
        # (new moving statistics: MXNet's CPU build updates them in backward, minigluon in the
        # forward, a documented difference)
        stats = [_arr(mx, (2,), s) + 1 for s in (8, 9, 10, 11)]
        with mx.autograd.record():
            res = mx.nd.BatchNorm(x, *stats, output_mean_var=True, use_global_stats=glob,
                                  fix_gamma=False)
        out['output_mean_var_%s' % glob] = _lists(res)
    return out


# --- sigmoid ----------------------------------------------------------------------------------

def _extremes():
    v = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-8, -1e-8, 1e-30, 1e-45, -1e-45, 88.0, 88.72,
         89.0, -88.0, -88.73, -89.0, -103.0, -103.97, -104.0, -110.0, 16.0, 17.0, 17.33, -16.6,
         30.0, -30.0, 709.0, -709.0, -745.0, 745.0, 11.08, 65504.0, -65504.0, 3.4e38, -3.4e38,
         -9.0, -9.7, -10.0, -15.9, -17.0, -11.0, 0.5, -0.5, 2.0, -2.0]
    return v + list(np.linspace(-20, 20, 81))


def sigmoid(mx):
    """nd.sigmoid on extreme inputs, bit for bit (float32 values are exact in JSON), and its
    gradient; float16 and float64 too."""
    out = {}
    for dtype in ('float32', 'float16', 'float64'):
        with np.errstate(over='ignore'):       # (3.4e38 is inf in float16)
            values = np.array(_extremes()).astype(dtype)
        x = mx.nd.array(values, dtype=dtype)
        head = _arr(mx, x.shape, 4, dtype) * 3
        x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.sigmoid(x)
        y.backward()
        out[dtype] = [np.float64(y.asnumpy()).tolist(), np.float64(x.grad.asnumpy()).tolist()]
        with mx.autograd.record():
            y = mx.nd.sigmoid(x)
        y.backward(head)
        if dtype != 'float64':
            out['head_' + dtype] = np.float64(x.grad.asnumpy()).tolist()
        with mx.autograd.record():
            act = mx.nd.Activation(x, act_type='sigmoid')
        act.backward(head)
        a, b = act.asnumpy(), y.asnumpy()
        out['activation_same_' + dtype] = bool((a.view('u%d' % a.itemsize) == b.view(
            'u%d' % a.itemsize)).all())
        if dtype != 'float64':
            out['activation_grad_' + dtype] = np.float64(x.grad.asnumpy()).tolist()
    out['int32'] = _raised(lambda: mx.nd.sigmoid(mx.nd.array([-2, 0, 3, 40], dtype='int32'))
                           .asnumpy().tolist())
    rs = np.random.RandomState(1)
    x = mx.nd.array(rs.standard_normal(200).astype('float32') * 8)
    out['random_float32'] = np.float64(mx.nd.sigmoid(x).asnumpy()).tolist()
    return out


# --- error messages and warnings: valid usage must pass silently -------------------------------

def _warned(fn):
    """``[result, number of warnings]`` of ``fn()`` ('error' as the result when it raises)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        res = _raised(fn)
    ours = [w for w in caught if not issubclass(w.category, (DeprecationWarning,
                                                                 PendingDeprecationWarning))]
    return [res, len(ours)]


def new_messages(mx):
    """Usage MXNet 1.9.1 accepts (or refuses) next to the mistakes that now get messages."""
    nn = mx.gluon.nn

    def dense(prefix):
        net = nn.Dense(2, in_units=3, prefix=prefix)
        net.initialize(mx.init.Constant(0.5))
        return net

    def trainer(params):
        t = mx.gluon.Trainer(params, 'sgd', {'learning_rate': 0.1})
        return sorted(p.name for p in t._params)

    def initialize(init):
        net = nn.Dense(2, in_units=3, prefix='i_')
        net.initialize(init)
        net(mx.nd.ones((1, 3)))
        w = net.weight.data()                   # (random: its shape and bound only)
        return [list(w.shape), bool((w.abs() <= 1.1).asnumpy().all())]

    def param_init(init):
        p = mx.gluon.Parameter('p', shape=(2,), init=init)
        p.initialize()
        return p.data().asnumpy().tolist()

    def clip(arrays_fn):
        arrays = arrays_fn()
        norm = mx.gluon.utils.clip_global_norm(arrays, 1.0)
        return [float(norm)] + _lists(arrays)

    def frozen_trainer():
        net = dense('t4_')
        net.collect_params().setattr('grad_req', 'null')
        return trainer(net.collect_params())

    def activation(kind):
        return np.float64(nn.Activation(kind)(mx.nd.array([-1.0, 0.5])).asnumpy()).tolist()

    def hooks_late(where):
        class Outer(mx.gluon.HybridBlock):
            def __init__(self, **kw):
                super(Outer, self).__init__(**kw)
                with self.name_scope():
                    self.inner = nn.Dense(2, in_units=3)

            def hybrid_forward(self, F, x):
                return self.inner(x)
        seen = []
        net = Outer()
        net.initialize(mx.init.One())
        net.hybridize()
        net(mx.nd.ones((1, 3)))
        target = net if where == 'outer' else net.inner
        target.register_forward_pre_hook(lambda blk, inp: seen.append(1))
        net(mx.nd.ones((1, 3)))
        return len(seen)

    def hooks(hybridize, where):
        class Outer(mx.gluon.HybridBlock):
            def __init__(self, **kw):
                super(Outer, self).__init__(**kw)
                with self.name_scope():
                    self.inner = nn.Dense(2, in_units=3)

            def hybrid_forward(self, F, x):
                return self.inner(x)
        seen = []
        net = Outer()
        net.initialize(mx.init.One())
        target = net if where == 'outer' else net.inner
        target.register_forward_hook(lambda blk, inp, out: seen.append(1))
        if hybridize is not None:
            net.hybridize(active=hybridize)
        net(mx.nd.ones((1, 3)))
        net(mx.nd.ones((1, 3)))
        return len(seen)

    def setattr_(pattern):
        net = nn.HybridSequential(prefix='s_')
        with net.name_scope():
            net.add(nn.Dense(2, in_units=3), nn.Dense(1, in_units=2))
        params = net.collect_params(pattern)
        params.setattr('lr_mult', 0.5)
        return sorted([k, v.lr_mult] for k, v in params.items())

    calls = {
        'trainer_dict': lambda: trainer(dense('t0_').collect_params()),
        'trainer_list': lambda: trainer(list(dense('t1_').collect_params().values())),
        'trainer_plain_dict': lambda: trainer(dict(dense('t2_').collect_params().items())),
        'trainer_empty_dict': lambda: trainer(mx.gluon.ParameterDict()),
        'trainer_empty_list': lambda: trainer([]),
        'trainer_selection_empty': lambda: trainer(dense('t3_').collect_params('.*gamma')),
        'init_instance': lambda: initialize(mx.init.Xavier()),
        'init_string': lambda: initialize('xavier'),
        'init_string_ones': lambda: initialize('ones'),
        'init_class': lambda: initialize(mx.init.Xavier),
        'init_none': lambda: initialize(None),
        'param_init_string': lambda: param_init('ones'),
        'param_init_instance': lambda: param_init(mx.init.Constant(2)),
        'clip_list': lambda: clip(lambda: [mx.nd.ones((2,)) * 3, mx.nd.ones((1,)) * 4]),
        'clip_tuple': lambda: clip(lambda: (mx.nd.ones((2,)) * 3, mx.nd.ones((1,)) * 4)),
        'clip_small': lambda: clip(lambda: [mx.nd.ones((2,)) * 0.1]),
        'clip_grads': lambda: clip(lambda: [p.grad() for p in
                                            dense('c0_').collect_params().values()]),
        'clip_params': lambda: clip(lambda: list(dense('c1_').collect_params().values())),
        'hook_outer_hybridized': lambda: hooks(True, 'outer'),
        'hook_inner_not_hybridized': lambda: hooks(None, 'inner'),
        'hook_inner_inactive': lambda: hooks(False, 'inner'),
        'hook_inner_hybridized': lambda: hooks(True, 'inner'),
        'pre_hook_after_hybridize_outer': lambda: hooks_late('outer'),
        'pre_hook_after_hybridize_inner': lambda: hooks_late('inner'),
        'trainer_frozen': frozen_trainer,
        'activation_softsign': lambda: activation('softsign'),
        'activation_softrelu': lambda: activation('softrelu'),
        'clip_float16': lambda: clip(lambda: [mx.nd.ones((2,), dtype='float16') * 300]),
        'clip_float64': lambda: clip(lambda: [mx.nd.ones((2,), dtype='float64') * 3]),
        'setattr_matching': lambda: setattr_('.*weight'),
        'setattr_all': lambda: setattr_(None),
    }
    return {k: _warned(fn) for k, fn in calls.items()}


# --- last session's changes -------------------------------------------------------------------

def last_session(mx):
    """autograd.grad(create_graph=True), Initializer equality, keywords ignored by
    attribute-less operators, dtype=None, nd.relu(x, y), box_nms options."""
    out = {}
    x = mx.nd.array([0.5, -1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x * x).sum()
        g = mx.autograd.grad(y, [x], create_graph=True)[0]
    out['grad_create_graph'] = g.asnumpy().tolist()
    with mx.autograd.record():
        y = mx.nd.sigmoid(x)
    g = mx.autograd.grad(y, x)
    out['grad_single_variable'] = [isinstance(g, list)] + _lists(g if isinstance(g, list) else [g])
    init = mx.init
    out['init_eq'] = {
        'normal_same': init.Normal(0.01) == init.Normal(0.01),
        'normal_other': init.Normal(0.01) == init.Normal(0.02),
        'xavier': init.Xavier() == init.Xavier(),
        'xavier_kw': init.Xavier(magnitude=3) == init.Xavier(magnitude=2),
        'uniform_normal': init.Uniform(0.07) == init.Normal(0.07),
        'constant': init.Constant(1) == init.Constant(1),
        'constant_array': _raised(lambda: bool(init.Constant(1) == init.Constant(2))),
        'ne': init.Normal(0.01) != init.Normal(0.01),
        'not_init': _raised(lambda: init.Normal(0.01) == 3),
        'hashable': _raised(lambda: isinstance(hash(init.Normal(0.01)), int)),
        'zero_one': init.Zero() == init.One(),
    }
    a = mx.nd.array([[1.0, -2.0], [3.0, 4.0]])
    calls = {
        'relu_axis': lambda: mx.nd.relu(a, axis=1),
        'elemwise_add_foo': lambda: mx.nd.elemwise_add(a, a, foo='bar'),
        'sigmoid_axis': lambda: mx.nd.sigmoid(a, axis=0),
        'broadcast_mul_axis': lambda: mx.nd.broadcast_mul(a, a, axis=-1),
        'square_shape': lambda: mx.nd.square(a, shape=(4,)),
        'exp_dtype': lambda: mx.nd.exp(a, dtype='float16'),
        'sum_foo': lambda: mx.nd.sum(a, foo=1),
    }
    out['ignored_keywords'] = {k: _raised(lambda fn=fn: fn().asnumpy().tolist())
                               for k, fn in calls.items()}
    s, t = mx.sym.var('s'), mx.sym.var('t')
    sym_calls = {
        'relu_axis': lambda: mx.sym.relu(s, axis=1),
        'broadcast_mul_axis': lambda: mx.sym.broadcast_mul(s, t, axis=-1),
        'elemwise_add_foo_attr': lambda: mx.sym.elemwise_add(s, t, foo=1.5, attr={'k': 'v'}),
        'sigmoid_values': lambda: mx.sym.sigmoid(s, a=None, b=(1, 2), c=True, d=[1, 2]),
    }
    out['sym_ignored_keywords'] = {
        k: _raised(lambda fn=fn: json.loads(fn().tojson())['nodes'][-1].get('attrs', {}))
        for k, fn in sym_calls.items()}
    b = mx.nd.zeros((2, 2))
    r = mx.nd.relu(a, b)
    out['relu_out'] = [r is b, b.asnumpy().tolist()]
    b = mx.nd.zeros((2, 2))
    r = mx.nd.sigmoid(a, b)
    out['sigmoid_out'] = [r is b, np.float64(b.asnumpy()).tolist()]
    out['relu_out_wrong_shape'] = _raised(lambda: mx.nd.relu(a, mx.nd.zeros((3,)))
                                          .asnumpy().tolist())
    dt = {
        'ones_like_none': lambda: mx.nd.ones_like(a, dtype=None),
        'cast_none_sym_infer': lambda: mx.sym.cast(mx.sym.var('d'), dtype=None)
        .infer_type(d='float32')[1][0],
        'amp_cast_none': lambda: mx.nd.amp_cast(a, dtype=None),
        'full_none': lambda: mx.nd.full((2,), 3, dtype=None),
        'zeros_none': lambda: mx.nd.zeros((2,), dtype=None),
        'eye_none': lambda: mx.nd.eye(2, dtype=None),
        'sample_none': lambda: mx.nd.sample_uniform(mx.nd.zeros((2,)), mx.nd.ones((2,)),
                                                    dtype=None),
    }
    def name(value):
        return np.dtype(value.dtype if isinstance(value, mx.nd.NDArray) else value).name
    out['dtype_none'] = {k: _raised(lambda fn=fn: name(fn())) for k, fn in dt.items()}
    boxes = np.array([[[0, 0.9, 0, 0, 2, 2], [1, 0.8, 0, 0, 2, 2.1], [0, 0.7, 0, 0, 2, 2.2],
                       [1, 0.6, 5, 5, 7, 7], [-1, 0.95, 0, 0, 2, 2], [0, 0.5, 5, 5, 7, 7]],
                      [[1, 0.3, 1, 1, 3, 3], [1, 0.2, 1, 1, 3, 3.5], [0, 0.1, 9, 9, 10, 10],
                       [0, 0.05, 9, 9, 10, 10.2], [1, 0.01, 0, 0, 1, 1],
                       [0, 0.99, 1, 1, 3, 3]]], 'float32')
    d = mx.nd.array(boxes)
    nms = {
        'topk2': dict(topk=2, id_index=0),
        'background0': dict(background_id=0, id_index=0),
        'force': dict(force_suppress=True, id_index=0),
        'coord_score': dict(coord_start=2, score_index=1, id_index=0, overlap_thresh=0.3),
        'valid_thresh': dict(valid_thresh=0.55, id_index=0),
        'no_id': dict(overlap_thresh=0.4),
    }
    out['box_nms'] = {k: _raised(lambda kw=kw: mx.nd.contrib.box_nms(d, **kw).asnumpy().tolist())
                      for k, kw in nms.items()}
    return out


# --- left open by breaker19 -------------------------------------------------------------------

def optional_slots(mx):
    """Numbers and arrays in the optional input slots of the operator functions, 0-d arrays in
    tuple attributes, random.normal(scale=0), image.flip_left_right / flip_top_bottom on HWC and
    NHWC data."""
    x = mx.nd.array(np.arange(12, dtype='float32').reshape(3, 4) / 5)
    w = mx.nd.ones((2, 4))
    img = mx.nd.array(np.arange(2 * 3 * 4 * 3, dtype='float32').reshape(2, 3, 4, 3))
    calls = {
        'softmax_number': lambda: mx.nd.softmax(x, 0),
        'softmax_number_1': lambda: mx.nd.softmax(x, 1),
        'softmax_none': lambda: mx.nd.softmax(x, None),
        'log_softmax_number': lambda: mx.nd.log_softmax(x, 0),
        'softmax_axis_kw': lambda: mx.nd.softmax(x, axis=0),
        'fc_bias_number': lambda: mx.nd.FullyConnected(x, w, 0, num_hidden=2, no_bias=True),
        'fc_bias_none': lambda: mx.nd.FullyConnected(x, w, None, num_hidden=2, no_bias=True),
        'sequence_mask_number': lambda: mx.nd.SequenceMask(x, 2),
        'sequence_last_number': lambda: mx.nd.SequenceLast(x, 1),
        'reshape_0d': lambda: mx.nd.reshape(x, shape=(np.array(4), 3)),
        'reshape_0d_int64': lambda: mx.nd.reshape(x, shape=(np.int64(2), -1)),
        'tile_0d': lambda: mx.nd.tile(x, reps=(np.array(2), 1)),
        'pool_kernel_0d': lambda: mx.nd.Pooling(x.reshape((1, 1, 3, 4)), kernel=(np.array(2),
                                                                                 2)),
        'transpose_0d': lambda: mx.nd.transpose(x, axes=(np.array(1), np.array(0))),
        'sum_axis_0d_tuple': lambda: mx.nd.sum(x, axis=(np.array(1),)),
        'normal_scale0': lambda: mx.nd.random.normal(2.0, 0, shape=(3,)),
        'random_normal_scale0': lambda: mx.nd.random_normal(loc=1.0, scale=0.0, shape=(2,)),
        'normal_negative_scale': lambda: mx.nd.random.normal(0, -1, shape=(2,)),
        'sample_normal_sigma0': lambda: mx.nd.sample_normal(mx.nd.array([1.0, 2.0]),
                                                            mx.nd.array([0.0, 0.0])),
        'uniform_equal': lambda: mx.nd.random.uniform(1.0, 1.0, shape=(2,)),
        'flip_lr_hwc': lambda: mx.nd.image.flip_left_right(img[0]),
        'flip_lr_nhwc': lambda: mx.nd.image.flip_left_right(img),
        'flip_tb_hwc_even': lambda: mx.nd.image.flip_top_bottom(img[0, 1:]),
        'flip_lr_hwc_one_channel': lambda: mx.nd.image.flip_left_right(img[0, :, :, :1]),
        'flip_lr_hwc_two_channels': lambda: mx.nd.image.flip_left_right(img[0, :, :, :2]),
        'flip_tb_nhwc': lambda: mx.nd.image.flip_top_bottom(img),
        'flip_lr_2d': lambda: mx.nd.image.flip_left_right(img[0, :, :, 0]),
        'flip_lr_uint8': lambda: mx.nd.image.flip_left_right(img[1].astype('uint8')),
        'dot_stype_none_then_out': lambda: mx.nd.dot(x, x.T, False, False, None,
                                                     mx.nd.zeros((3, 3))),
        'batch_dot_stype_none': lambda: mx.nd.batch_dot(x.reshape((1, 3, 4)),
                                                        x.reshape((1, 4, 3)), forward_stype=None),
    }
    return {k: _raised(lambda fn=fn: np.float64(fn().asnumpy()).tolist())
            for k, fn in calls.items()}


def run(mx):
    return {'convolution': convolution(mx), 'large': large(mx), 'pooling': pooling(mx),
            'pool_graphs': pool_graphs(mx), 'conv_graphs': conv_graphs(mx),
            'batchnorm': batchnorm(mx),
            'batchnorm_layers': batchnorm_layers(mx), 'sigmoid': sigmoid(mx),
            'new_messages': new_messages(mx), 'last_session': last_session(mx),
            'optional_slots': optional_slots(mx)}
