"""Programs run on minigluon by tests/test_breaker20c_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker20c_fixtures.py (``mx`` is either package): each returns JSON-able results,
an error recorded as ``'error'``.

They aim at the compiled kernels of conv20: the depthwise convolution plane by plane (geometries
the earlier programs left out: padding wider than the kernel, stride 4 over a 1x1 kernel so that
phases are missing, kernels up to 7 with dilation 3, rows and columns of one pixel, 64 channels
with a depth multiplier, a frozen weight or a constant image) and BatchNorm in training (constant
channels, a NaN in one channel, values whose squares overflow float32, momentum 0 and 1,
output_mean_var, float16, transposed data, one element per channel). The helpers are those of
:mod:`tests._breaker20_program`."""
import numpy as np

from _breaker20_program import _arr, _grads, _lists, _projected, _raised, _conv_case

# --- depthwise convolution --------------------------------------------------------------------

DW_CASES = {
    'pad_wider_than_kernel': dict(shape=(2, 3, 5, 4), f=3, g=3, kernel=(2, 2), pad=(4, 3)),
    'k1_stride4_phases_missing': dict(shape=(2, 3, 9, 10), f=6, g=3, kernel=(1, 1),
                                      stride=(4, 4)),
    'k7x2_s41_d13': dict(shape=(2, 2, 15, 9), f=2, g=2, kernel=(7, 2), stride=(4, 1),
                         dilate=(1, 3), pad=(3, 2)),
    'k5x3_s23_d32_mult3': dict(shape=(2, 2, 11, 12), f=6, g=2, kernel=(5, 3), stride=(2, 3),
                               dilate=(3, 2), pad=(4, 1)),
    'row_of_one_pixel': dict(shape=(3, 4, 1, 13), f=8, g=4, kernel=(1, 5), stride=(1, 2),
                             pad=(0, 2)),
    'column_of_one_pixel': dict(shape=(2, 3, 9, 1), f=3, g=3, kernel=(3, 3), stride=(2, 1),
                                pad=(1, 1)),
    'c64_mult2_s2': dict(shape=(2, 64, 9, 8), f=128, g=64, kernel=(3, 3), stride=(2, 2),
                         pad=(1, 1)),
    'image_smaller_than_kernel_s3': dict(shape=(2, 2, 2, 3), f=4, g=2, kernel=(5, 6),
                                         stride=(3, 3), pad=(2, 3)),
    'transposed_float64_mult2': dict(shape=(3, 3, 6, 7), f=6, g=3, kernel=(3, 3), pad=(1, 1),
                                     dtype='float64', transpose=True),
    'grad_add_mult3_s2': dict(shape=(2, 2, 8, 9), f=6, g=2, kernel=(3, 3), stride=(2, 2),
                              pad=(1, 1), req='add', twice=True),
    'k7_no_bias_large_plane': dict(shape=(1, 3, 70, 66), f=3, g=3, kernel=(7, 7), pad=(3, 3),
                                   no_bias=True),
    'k4x4_s4x3_asym': dict(shape=(5, 3, 13, 11), f=9, g=3, kernel=(4, 4), stride=(4, 3),
                           pad=(1, 2)),
}


def depthwise(mx):
    """Output and gradients of data, weight and bias of each case of :data:`DW_CASES`, each array
    projected (:func:`tests._breaker20_program._projected`)."""
    return {name: _raised(lambda kw=kw, i=i: _projected(_conv_case(mx, seed=13 * i + 2, **kw)))
            for i, (name, kw) in enumerate(sorted(DW_CASES.items()))}


def _frozen(mx, which, seed):
    """A depthwise convolution (multiplier 2, stride 2) with only one of data and weight
    attached for a gradient (the other's gradient is skipped): ``[out, its gradient]``."""
    x = _arr(mx, (2, 3, 7, 8), seed)
    w = _arr(mx, (6, 1, 3, 3), seed + 1)
    b = _arr(mx, (6,), seed + 2)
    leaf = x if which == 'data' else w
    leaf.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, b, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=6,
                              num_group=3)
    y.backward(_arr(mx, y.shape, seed + 3))
    return _projected(_lists([y, leaf.grad]))


def depthwise_more(mx):
    """Only the data's gradient, only the weight's, a float64 bias with float32 data and weight,
    and non-finite values in the image, the weight and the head gradient."""
    out = {'only_data_grad': _raised(lambda: _frozen(mx, 'data', 3)),
           'only_weight_grad': _raised(lambda: _frozen(mx, 'weight', 4))}

    def mixed_bias():
        x, w = _arr(mx, (1, 2, 4, 4), 5), _arr(mx, (2, 1, 3, 3), 6)
        b = _arr(mx, (2,), 7, 'float64')
        return _lists([mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=2, num_group=2)])
    out['float64_bias_float32_data'] = _raised(mixed_bias)

    def non_finite(where, value):
        x = _arr(mx, (2, 2, 5, 6), 8)
        w = _arr(mx, (4, 1, 3, 3), 9)
        b = _arr(mx, (4,), 10)
        head = _arr(mx, (2, 4, 3, 3), 11)
        if where == 'data':
            x[1, 0, 4, 5] = value       # a corner: read only by outputs at the image's edge
        elif where == 'weight':
            w[2, 0, 0, 1] = value
        else:
            head[0, 3, 2, 2] = value
        for a in (x, w, b):
            a.attach_grad()
        with mx.autograd.record():
            y = mx.nd.Convolution(x, w, b, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                  num_filter=4, num_group=2)
        y.backward(head)
        return _lists([y, x.grad, w.grad, b.grad])
    for where in ('data', 'weight', 'head'):
        for name, value in (('inf', float('inf')), ('nan', float('nan'))):
            out['%s_%s' % (where, name)] = _raised(lambda w=where, v=value: non_finite(w, v))
    return out


# --- BatchNorm in training --------------------------------------------------------------------

def _bn_data(kind, shape, dtype, seed):
    """NumPy data for :data:`BN_CASES`: uniform in [-1, 1) times 3 plus 1, with the named
    pattern."""
    rs = np.random.RandomState(seed)
    v = rs.uniform(-1, 1, shape) * 3 + 1
    if kind == 'constant_channel':
        v[:, 1] = 2.5
    elif kind == 'nan_in_one_channel':
        v[1, 0, 1] = np.nan
    elif kind == 'squares_overflow':          # (x - mean)^2 ~ 1e38: its float32 sum overflows
        v = v * 1.5e19
    elif kind == 'huge':
        v = v * 1e30
    elif kind == 'sum_overflows':             # a channel's float32 sum passes 3.4e38
        v = np.abs(v) * 1e37 + 2e37
    elif kind == 'square_sum_overflows':      # squares below 3.4e38, their float32 sum above
        v = np.sign(v - 1) * 1.2e19 * (1 + 0.1 * np.abs(v))
    elif kind == 'offset':                    # a large mean, a small spread
        v = 1000 + v * 1e-2
    return v.astype(dtype)


BN_CASES = {
    'constant_channel': dict(kind='constant_channel', shape=(3, 2, 4)),
    'nan_in_one_channel': dict(kind='nan_in_one_channel', shape=(2, 3, 4)),
    'squares_overflow': dict(kind='squares_overflow', shape=(4, 2, 3)),
    'huge': dict(kind='huge', shape=(2, 2, 3)),
    'sum_overflows': dict(kind='sum_overflows', shape=(4, 2, 6)),
    'square_sum_overflows': dict(kind='square_sum_overflows', shape=(4, 2, 6)),
    'offset_float64': dict(kind='offset', shape=(3, 2, 5), dtype='float64'),
    'momentum_0': dict(shape=(3, 2, 4), momentum=0.0),
    'momentum_1_fix_gamma': dict(shape=(3, 2, 4), momentum=1.0, fix_gamma=True),
    'output_mean_var_axis_last': dict(shape=(2, 3, 4), axis=-1, output_mean_var=True),
    'output_mean_var_fix_gamma': dict(shape=(2, 3, 4), fix_gamma=True, output_mean_var=True),
    'float16_many': dict(shape=(16, 3, 6, 5), dtype='float16', eps=1e-5),
    'transposed': dict(shape=(2, 3, 4, 5), transpose=True),
    'transposed_axis2': dict(shape=(2, 3, 4, 5), transpose=True, axis=2),
    'one_per_channel_fix_gamma': dict(shape=(1, 4, 1, 1), fix_gamma=True),
    'axis0_float64_eps1': dict(shape=(3, 4, 2), axis=0, dtype='float64', eps=1.0),
    'rank1': dict(shape=(5,), axis=0),
    'big_float64': dict(shape=(4, 5, 16, 20), dtype='float64'),
}


def bn_case(mx, seed, shape, kind=None, dtype='float32', axis=1, fix_gamma=False, eps=1e-3,
            momentum=0.9, output_mean_var=False, transpose=False):
    """BatchNorm in training of one case: ``[outputs..., d data, d gamma, d beta, moving mean,
    moving var]`` (moving statistics after the step: MXNet's CPU build updates them in the
    backward)."""
    c = shape[axis]
    pdtype = 'float32' if dtype == 'float16' else dtype
    if transpose:                     # the same values through a transposed (strided) source
        x = mx.nd.array(_bn_data(kind, shape, dtype, seed).swapaxes(1, 3).copy(),
                        dtype=dtype).swapaxes(1, 3)
    else:
        x = mx.nd.array(_bn_data(kind, shape, dtype, seed), dtype=dtype)
    gamma = _arr(mx, (c,), seed + 1, pdtype) + 1.5
    beta = _arr(mx, (c,), seed + 2, pdtype)
    mean = _arr(mx, (c,), seed + 3, pdtype)
    var = _arr(mx, (c,), seed + 4, pdtype) + 1.2
    for a in (x, gamma, beta):
        a.attach_grad()
    with mx.autograd.record():
        res = mx.nd.BatchNorm(x, gamma, beta, mean, var, eps=eps, momentum=momentum,
                              fix_gamma=fix_gamma, axis=axis, output_mean_var=output_mean_var)
    outs = list(res) if isinstance(res, (list, tuple)) else [res]
    outs[0].backward(_arr(mx, shape, seed + 5, dtype))
    return _lists(outs + [x.grad, gamma.grad, beta.grad, mean, var])


def batchnorm(mx):
    """Each case of :data:`BN_CASES`; the big one projected."""
    out = {}
    for i, (name, kw) in enumerate(sorted(BN_CASES.items())):
        res = _raised(lambda kw=kw, i=i: bn_case(mx, seed=17 * i + 1, **kw))
        out[name] = _projected(res) if name.startswith('big') and res != 'error' else res
    return out


def run(mx):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return {'depthwise': depthwise(mx), 'depthwise_more': depthwise_more(mx),
                'batchnorm': batchnorm(mx)}
