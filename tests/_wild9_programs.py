"""The programs of the ninth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_9.py),
each rewritten in our own words from the source named above it, keeping its calls, shapes and
idioms. Each program function returns its outputs, gradients and losses as nested dicts of lists.

The test runs this file as it is, on minigluon; tools/gen_wild9_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild9/wild9.json.
"""
import math
import os
import tempfile
from functools import partial

import numpy as np

import minigluon as mx
from _wild_common import program_helpers

autograd, gluon, nd, init = mx.autograd, mx.gluon, mx.nd, mx.init
nn = gluon.nn
HybridBlock = gluon.HybridBlock


L, set_params, rnd = program_helpers(nd)     # tests/_wild_common.py, shared with _wild.py


# ---------------------------------------------------------------- 1 ResNeSt split attention
# zhanghang1989/ResNeSt resnest/gluon/splat.py
class RadixSoftmax(nn.HybridBlock):
    def __init__(self, radix, cardinality):
        super().__init__()
        self.radix, self.cardinality = radix, cardinality

    def hybrid_forward(self, F, x):
        if self.radix > 1:
            x = x.reshape(0, self.cardinality, self.radix, -1).swapaxes(1, 2)
            x = F.softmax(x, axis=1)
            x = x.reshape(0, -1)
        else:
            x = F.sigmoid(x)
        return x


class SplAtConv(HybridBlock):
    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 radix=2, *args, in_channels=None, r=2, norm_layer=nn.BatchNorm, **kwargs):
        super().__init__()
        inter = max(in_channels * radix // 2 // r, 8)
        self.radix, self.cardinality, self.channels = radix, groups, channels
        self.conv = nn.Conv2D(channels * radix, kernel_size, strides, padding, dilation,
                              groups=groups * radix, *args, in_channels=in_channels, **kwargs)
        self.bn = norm_layer(in_channels=channels * radix)
        self.relu = nn.Activation('relu')
        self.fc1 = nn.Conv2D(inter, 1, in_channels=channels, groups=self.cardinality)
        self.bn1 = norm_layer(in_channels=inter)
        self.relu1 = nn.Activation('relu')
        self.fc2 = nn.Conv2D(channels * radix, 1, in_channels=inter, groups=self.cardinality)
        self.rsoftmax = RadixSoftmax(radix, groups)

    def hybrid_forward(self, F, x):
        x = self.relu(self.bn(self.conv(x)))
        if self.radix > 1:
            parts = F.split(x, self.radix, axis=1)
            gap = sum(parts)
        else:
            gap = x
        gap = F.contrib.AdaptiveAvgPooling2D(gap, 1)
        att = self.relu1(self.bn1(self.fc1(gap)))
        att = self.fc2(att).reshape((0, self.radix, self.channels))
        att = self.rsoftmax(att).reshape(0, -1, 1, 1)
        if self.radix > 1:
            att = F.split(att, self.radix, axis=1)
            out = sum([F.broadcast_mul(a, p) for (a, p) in zip(att, parts)])
        else:
            out = F.broadcast_mul(att, x)
        return out


def resnest_splat():
    """A split-attention conv (radix 2 with 1 and 2 groups, radix 1) eager and hybridized: the
    output, the data's and fc2's gradients and the BatchNorm running mean after one recorded pass;
    hybridized, also the exported files read back by ``SymbolBlock.imports``. MXNet 1.9.1 cannot
    trace the block (``x.reshape(0, card, radix, -1)`` on a Symbol): its error is recorded."""
    res = {}
    tmp = tempfile.mkdtemp()
    for groups, radix in ((1, 2), (2, 2), (2, 1)):
        key = 'g%d_r%d' % (groups, radix)
        res[key] = {}
        for hyb in (False, True):
            net = SplAtConv(4, 3, padding=(1, 1), groups=groups, radix=radix, in_channels=4)
            net.initialize()
            set_params(net, 11)
            if hyb:
                net.hybridize()
            x = rnd(12, 2, 4, 5, 5)
            x.attach_grad()
            try:
                with autograd.record():
                    y = net(x)
                    loss = (y * rnd(13, *y.shape)).sum()
            except Exception as e:
                res[key]['hybrid_error'] = '%s: %s' % (type(e).__name__, str(e).splitlines()[0][:200])
                continue
            loss.backward()
            r = {'y': L(y), 'xgrad': L(x.grad), 'fc2grad': L(net.fc2.weight.grad()),
                 'bn_mean': L(net.bn.running_mean.data())}
            if hyb:
                path = os.path.join(tmp, key)
                net.export(path)
                blk = gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params')
                with autograd.record():       # BatchNorm on batch statistics, as y was computed
                    r['imported'] = L(blk(x))
                r['n_params'] = len(list(blk.collect_params().keys()))
            res[key]['hybrid' if hyb else 'eager'] = r
    return res


# ---------------------------------------------------------------- 2 ResNeSt DropBlock
# zhanghang1989/ResNeSt resnest/gluon/dropblock.py
class DropBlock(HybridBlock):
    def __init__(self, drop_prob, block_size, c, h, w):
        super().__init__()
        self.drop_prob, self.block_size = drop_prob, block_size
        self.c, self.h, self.w = c, h, w
        self.numel = c * h * w
        pad_h = max((block_size - 1), 0)
        pad_w = max((block_size - 1), 0)
        self.padding = (pad_h // 2, pad_h - pad_h // 2, pad_w // 2, pad_w - pad_w // 2)
        self.dtype = 'float32'

    def hybrid_forward(self, F, x):
        if not mx.autograd.is_training() or self.drop_prob <= 0:
            return x
        gamma = self.drop_prob * (self.h * self.w) / (self.block_size ** 2) / \
            ((self.w - self.block_size + 1) * (self.h - self.block_size + 1))
        mask = F.random.uniform(0, 1, shape=(1, self.c, self.h, self.w), dtype=self.dtype) < gamma
        mask = F.Pooling(mask, pool_type='max', kernel=(self.block_size, self.block_size), pad=self.padding)
        mask = 1 - mask
        y = F.broadcast_mul(F.broadcast_mul(x, mask),
                            (1.0 * self.numel / mask.sum(axis=0, exclude=True).expand_dims(1).expand_dims(1).expand_dims(1)))
        return y


def set_drop_prob(drop_prob, module):
    if isinstance(module, DropBlock):
        module.drop_prob = drop_prob


class DropBlockScheduler(object):
    def __init__(self, net, start_prob, end_prob, num_epochs):
        self.net, self.start_prob, self.end_prob, self.num_epochs = net, start_prob, end_prob, num_epochs

    def __call__(self, epoch):
        ratio = self.start_prob + 1.0 * (self.end_prob - self.start_prob) * (epoch + 1) / self.num_epochs
        assert 0 <= ratio <= 1
        self.net.apply(partial(set_drop_prob, ratio))
        self.net.hybridize()


def resnest_dropblock():
    """A DropBlock between a conv and a relu, its drop probability ramped by the scheduler
    (``net.apply`` + ``hybridize``): the probabilities, the output outside training (the block
    passes its input), the 4-entry-pad max pool of a mask, and in training the one factor kept
    entries are scaled by. The random mask itself differs between frameworks: only its effect is
    recorded."""
    res = {}
    net = nn.HybridSequential()
    net.add(nn.Conv2D(3, 3, padding=1, in_channels=2), DropBlock(0.0, 3, 3, 6, 6), nn.Activation('relu'))
    net.initialize()
    set_params(net, 21)
    x = rnd(22, 2, 2, 6, 6)
    sched = DropBlockScheduler(net, 0.0, 0.2, 4)
    probs = []
    for epoch in range(4):
        sched(epoch)
        probs.append(net[1].drop_prob)
    res['probs'] = probs
    res['eval'] = L(net(x))
    res['eval_is_relu_conv'] = float((net(x) - nd.relu(net[0](x))).abs().max().asscalar())
    m = (rnd(23, 1, 3, 6, 6) > 0.8)
    res['pooled'] = L(nd.Pooling(m, pool_type='max', kernel=(3, 3), pad=(1, 1, 1, 1)))
    try:        # the pad a block size of 2 gives: (before, after) = (0, 1) on each axis
        res['even_block_pad'] = list(nd.Pooling(m, pool_type='max', kernel=(2, 2), pad=(0, 1, 0, 1)).shape)
    except Exception as e:
        res['even_block_pad'] = '%s: %s' % (type(e).__name__, e)
    with autograd.record():
        y = net(x)
    base = nd.relu(net[0](x)).asnumpy()
    y = y.asnumpy()
    both = (base != 0) & (y != 0)
    res['train_shape'] = list(y.shape)
    res['kept_scale_is_one_value'] = bool(np.allclose(y[both] / base[both], (y[both] / base[both])[0]))
    res['dropped_are_zero'] = bool(np.all((y == 0) | both))
    return res


# ---------------------------------------------------------------- 3 HRNet module
# dmlc/gluon-cv gluoncv/model_zoo/hrnet.py (HighResolutionModule)


class HRModule(nn.HybridBlock):
    def __init__(self, num_branches, block, num_blocks, num_channels, num_inchannels, interp_type='nearest'):
        super(HRModule, self).__init__()
        self.num_inchannels = num_inchannels
        self.num_branches = num_branches
        self.interp_type = interp_type
        self.branches = nn.HybridSequential()
        for i in range(num_branches):
            layers = nn.HybridSequential()
            down = self.num_inchannels[i] != num_channels[i]
            layers.add(block(num_channels[i], 1, down, self.num_inchannels[i]))
            self.num_inchannels[i] = num_channels[i]
            for _ in range(1, num_blocks[i]):
                layers.add(block(num_channels[i], 1, False, self.num_inchannels[i]))
            self.branches.add(layers)
        self.fuse_layers = nn.HybridSequential()
        for i in range(num_branches):
            fuse_layer = nn.HybridSequential()
            for j in range(num_branches):
                if j > i:
                    seq = nn.HybridSequential()
                    seq.add(nn.Conv2D(num_inchannels[i], 1, 1, 0, use_bias=False), nn.BatchNorm())
                    fuse_layer.add(seq)
                elif j == i:
                    fuse_layer.add(gluon.contrib.nn.Identity())
                else:
                    convs = nn.HybridSequential()
                    for k in range(i - j):
                        if k == i - j - 1:
                            convs.add(nn.Conv2D(num_inchannels[i], 3, 2, 1, use_bias=False), nn.BatchNorm())
                        else:
                            convs.add(nn.Conv2D(num_inchannels[j], 3, 2, 1, use_bias=False), nn.BatchNorm(),
                                      nn.Activation('relu'))
                    fuse_layer.add(convs)
            self.fuse_layers.add(fuse_layer)
        self.relu = nn.Activation('relu')

    def hybrid_forward(self, F, x, *args, **kwargs):
        X = [self.branches[0](x)]
        for i in range(1, self.num_branches):
            X.append(self.branches[i](args[i - 1]))
        x_fuse = []
        for i in range(len(self.fuse_layers)):
            y = X[0] if i == 0 else self.fuse_layers[i][0](X[0])
            for j in range(1, self.num_branches):
                if j > i:
                    if self.interp_type == 'nearest':
                        y = y + F.UpSampling(self.fuse_layers[i][j](X[j]), scale=2 ** (j - i), sample_type='nearest')
                    elif self.interp_type == 'bilinear':
                        y = y + F.contrib.BilinearResize2D(self.fuse_layers[i][j](X[j]), scale_height=2 ** (j - i),
                                                           scale_width=2 ** (j - i), align_corners=False)
                    else:
                        y = y + F.contrib.BilinearResize2D(self.fuse_layers[i][j](X[j]), like=X[i], mode='like',
                                                           align_corners=False)
                else:
                    y = y + self.fuse_layers[i][j](X[j])
            x_fuse.append(self.relu(y))
        return x_fuse


def hrnet_module():
    """A three-branch HighResolutionModule (BasicBlockV1 branches, fuse layers with Identity,
    strided 3x3 convs and upsampling by ``UpSampling`` nearest or ``BilinearResize2D`` by scale or
    ``like``), called with ``*args`` and returning a list: outputs and input gradients, eager and
    hybridized."""
    res = {}
    for interp in ('nearest', 'bilinear', 'bilinear_like'):
        res[interp] = {}
        for hyb in (False, True):
            m = HRModule(3, gluon.model_zoo.vision.BasicBlockV1, [1, 1, 1], [2, 3, 4], [2, 4, 4], interp)
            m.initialize()
            m(rnd(1, 1, 2, 8, 8), rnd(2, 1, 4, 4, 4), rnd(3, 1, 4, 2, 2))
            set_params(m, 31)
            if hyb:
                m.hybridize()
            xs = [rnd(32, 2, 2, 8, 8), rnd(33, 2, 4, 4, 4), rnd(34, 2, 4, 2, 2)]
            for v in xs:
                v.attach_grad()
            with autograd.record():
                outs = m(*xs)
                loss = sum([(o * o).sum() for o in outs])
            loss.backward()
            res[interp]['hybrid' if hyb else 'eager'] = {
                'outs': [L(o) for o in outs], 'grads': [L(v.grad) for v in xs],
                'n_params': len(list(m.collect_params().keys()))}
    return res



# ---------------------------------------------------------------- 4 N-BEATS
# awslabs/gluonts src/gluonts/mx/model/n_beats/_network.py
def lin_space(F, back_len, fwd_len, fwd_looking):
    if fwd_looking:
        return F.arange(0, fwd_len) / fwd_len
    return F.arange(-back_len, 0) / back_len


def fourier_basis(F, n_coef, back_len, fwd_len, is_forecast):
    t = lin_space(F, back_len, fwd_len, is_forecast)
    cos = F.stack(*[F.cos(2 * np.pi * i * t) for i in range(n_coef)])
    sin = F.stack(*[F.sin(2 * np.pi * i * t) for i in range(n_coef)])
    return F.concat(cos, sin, dim=0)


def poly_basis(F, n_coef, back_len, fwd_len, is_forecast):
    t = lin_space(F, back_len, fwd_len, is_forecast)
    return F.stack(*[t ** i for i in range(n_coef)])


class BeatsBlock(HybridBlock):
    def __init__(self, width, n_layers, n_coef, pred_len, ctx_len, has_backcast, **kwargs):
        super().__init__(**kwargs)
        self.width, self.n_layers, self.n_coef = width, n_layers, n_coef
        self.pred_len, self.ctx_len, self.has_backcast = pred_len, ctx_len, has_backcast
        self.basis_ready = False
        with self.name_scope():
            self.fc_stack = nn.HybridSequential()
            for i in range(n_layers):
                self.fc_stack.add(nn.Dense(width, activation='relu', prefix='fc_stack_dense_%d_' % i))
            self.theta_backcast = self.theta_forecast = self.backcast = self.forecast = None
            self.backcast_basis = self.forecast_basis = None

    def initialize_basis(self, F):
        pass

    def hybrid_forward(self, F, x, *args, **kwargs):
        if not self.basis_ready:
            self.initialize_basis(F)
            self.basis_ready = True
        x = self.fc_stack(x)
        forecast = self.forecast(self.theta_forecast(x))
        if self.has_backcast:
            return self.backcast(self.theta_backcast(x)), forecast
        return forecast


class GenericBeats(BeatsBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            if self.has_backcast:
                self.theta_backcast = nn.Dense(self.n_coef, prefix='theta_backcast_dense_')
                self.backcast = nn.Dense(self.ctx_len, prefix='backcast_dense_')
            self.theta_forecast = nn.Dense(self.n_coef, prefix='theta_forecast_dense_')
            self.forecast = nn.Dense(self.pred_len, prefix='theta_dense_')


class SeasonalBeats(BeatsBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.n_fourier = int((self.pred_len / 2) - 1) + 1
        with self.name_scope():
            if self.has_backcast:
                self.theta_backcast = nn.Dense(2 * self.n_fourier, prefix='theta_backcast_dense_')
                self.backcast = nn.HybridLambda(lambda F, th: F.dot(th, self.backcast_basis),
                                                prefix='backcast_lambda_')
            self.theta_forecast = nn.Dense(2 * self.n_fourier, prefix='theta_forecast_dense_')
            self.forecast = nn.HybridLambda(lambda F, th: F.dot(th, self.forecast_basis),
                                            prefix='forecast_lambda_')

    def initialize_basis(self, F):
        if self.has_backcast:
            self.backcast_basis = fourier_basis(F, self.n_fourier, self.ctx_len, self.pred_len, False)
        self.forecast_basis = fourier_basis(F, self.n_fourier, self.ctx_len, self.pred_len, True)


class TrendBeats(BeatsBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            if self.has_backcast:
                self.theta_backcast = nn.Dense(self.n_coef, prefix='theta_backcast_dense_')
                self.backcast = nn.HybridLambda(lambda F, th: F.dot(th, self.backcast_basis),
                                                prefix='backcast_lambda_')
            self.theta_forecast = nn.Dense(self.n_coef, prefix='theta_forecast_dense_')
            self.forecast = nn.HybridLambda(lambda F, th: F.dot(th, self.forecast_basis),
                                            prefix='forecast_lambda_')

    def initialize_basis(self, F):
        if self.has_backcast:
            self.backcast_basis = poly_basis(F, self.n_coef, self.ctx_len, self.pred_len, False)
        self.forecast_basis = poly_basis(F, self.n_coef, self.ctx_len, self.pred_len, True)


class MeanScale(HybridBlock):
    def hybrid_forward(self, F, data, observed):
        num_obs = F.sum(observed, axis=1)
        sum_obs = F.sum(F.abs(data) * observed, axis=1)
        default = F.sum(sum_obs, axis=0) / F.maximum(F.sum(num_obs, axis=0), 1.0)
        scale = sum_obs / F.maximum(num_obs, 1.0)
        scale = F.where(sum_obs > F.zeros_like(sum_obs), scale, F.broadcast_mul(default, F.ones_like(num_obs)))
        scale = F.maximum(scale, 1e-10).expand_dims(axis=1)
        return F.broadcast_div(data, scale), scale


class BeatsNet(HybridBlock):
    KINDS = {'G': GenericBeats, 'S': SeasonalBeats, 'T': TrendBeats}

    def __init__(self, pred_len, ctx_len, stack_types, num_blocks, sharing, width=6, coef=3, **kwargs):
        super().__init__(**kwargs)
        self.pred_len, self.ctx_len = pred_len, ctx_len
        self.scaler = MeanScale()
        with self.name_scope():
            self.net_blocks = []
            n_stacks = len(stack_types)
            for s in range(n_stacks):
                for b in range(num_blocks[s]):
                    params = self.net_blocks[-1].collect_params() if (b > 0 and sharing[s]) else None
                    has_backcast = not (s == n_stacks - 1 and b == num_blocks[-1] - 1)
                    blk = self.KINDS[stack_types[s]](width=width, n_layers=2, n_coef=coef, pred_len=pred_len,
                                                     ctx_len=ctx_len, has_backcast=has_backcast, params=params)
                    self.net_blocks.append(blk)
                    self.register_child(blk, 'block_%d_%d' % (s, b))

    def hybrid_forward(self, F, past_target, past_observed, future_target=None, future_observed=None):
        past_target, scale = self.scaler(past_target, past_observed)
        backcast, forecast = self.net_blocks[0](past_target)
        backcast = (past_target - backcast) * past_observed
        for i in range(1, len(self.net_blocks) - 1):
            b, f = self.net_blocks[i](backcast)
            backcast = (backcast - b) * past_observed
            forecast = forecast + f
        forecast = forecast + self.net_blocks[-1](backcast)
        return F.broadcast_mul(forecast, scale)

    def smape(self, F, forecast, target, observed):
        denom = F.stop_gradient(F.abs(target) + F.abs(forecast))
        flag = denom == 0
        err = F.abs(target - forecast) * observed
        return (200 / self.pred_len) * F.mean((err * (1 - flag)) / (denom + flag), axis=1)

    def mase(self, F, forecast, target, past, period, observed):
        whole = F.concat(past, target, dim=1)
        season = F.mean(F.abs(F.slice_axis(whole, axis=1, begin=period, end=None)
                              - F.slice_axis(whole, axis=1, begin=0, end=-period)), axis=1)
        flag = season == 0
        err = F.abs(target - forecast) * observed
        return (F.mean(err, axis=1) * (1 - flag)) / (season + flag)


class BeatsTrain(BeatsNet):
    def __init__(self, loss, period, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss, self.period = loss, period

    def hybrid_forward(self, F, past_target, past_observed, future_target, future_observed):
        forecast = super().hybrid_forward(F, past_target=past_target, past_observed=past_observed,
                                          future_target=None, future_observed=None)
        if self.loss == 'sMAPE':
            return self.smape(F, forecast, future_target, future_observed)
        return self.mase(F, forecast, future_target, past_target, self.period, future_observed)


def nbeats():
    """N-BEATS training networks (a generic stack whose blocks share parameters through
    ``params=collect_params()``, a trend and a seasonal stack whose constant bases are built with
    ``F`` on the first call and cached on the block) trained three Adam steps on sMAPE and MASE,
    eager and hybridized: losses, parameter names, the sharing; then a hybridized prediction
    network called twice."""
    res = {}
    rs = np.random.RandomState(41)
    series = np.cumsum(rs.uniform(-1, 1.5, (3, 12)), axis=1) + 5
    past, fut = nd.array(series[:, :8]), nd.array(series[:, 8:])
    obs = nd.array((rs.uniform(size=(3, 8)) > 0.15).astype('float32'))
    fobs = nd.ones((3, 4))
    for loss in ('sMAPE', 'MASE'):
        res[loss] = {}
        for hyb in (False, True):
            net = BeatsTrain(loss, 2, 4, 8, ['G', 'T', 'S'], [2, 1, 2], [True, False, True], prefix='beats_')
            if hyb:
                net.hybridize()
            net.initialize()
            net(past, obs, fut, fobs)
            set_params(net, 42)
            trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
            losses = []
            for _ in range(3):
                with autograd.record():
                    l = net(past, obs, fut, fobs)
                l.backward()
                trainer.step(3)
                losses.append(L(l))
            names = sorted(net.collect_params().keys())
            res[loss]['hybrid' if hyb else 'eager'] = {
                'losses': losses, 'names': names,
                'shared': net.net_blocks[1].fc_stack[0].weight is net.net_blocks[0].fc_stack[0].weight,
                'shared_name': net.net_blocks[1].fc_stack[0].weight.name}
    pred = BeatsNet(4, 8, ['T', 'S'], [1, 1], [False, False], prefix='pred_')
    pred.hybridize()
    pred.initialize()
    pred(past, obs)
    set_params(pred, 43)
    res['predict'] = L(pred(past, obs))
    res['predict_again'] = L(pred(past * 2, obs))
    return res


# ---------------------------------------------------------------- 5 TFT layers
# awslabs/gluonts src/gluonts/mx/model/tft/_layers.py
class GLU(HybridBlock):
    def __init__(self, axis=-1, nonlinear=True, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.nonlinear = axis, nonlinear

    def hybrid_forward(self, F, x):
        val, gate = F.split(x, axis=self.axis, num_outputs=2)
        if self.nonlinear:
            val = F.tanh(val)
        return F.broadcast_mul(F.sigmoid(gate), val)


class GRN(HybridBlock):
    def __init__(self, d_hidden, d_input=None, d_output=None, d_static=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.d_hidden = d_hidden
        self.d_input = d_input or d_hidden
        self.d_static = d_static or 0
        if d_output is None:
            self.d_output, self.add_skip = self.d_input, False
        else:
            self.d_output = d_output
            self.add_skip = d_output != self.d_input
            if self.add_skip:
                with self.name_scope():
                    self.skip_proj = nn.Dense(self.d_output, in_units=self.d_input, flatten=False)
        with self.name_scope():
            self.mlp = nn.HybridSequential(prefix='mlp_')
            self.mlp.add(nn.Dense(d_hidden, in_units=self.d_input + self.d_static, flatten=False))
            self.mlp.add(nn.ELU())
            self.mlp.add(nn.Dense(d_hidden, in_units=d_hidden, flatten=False))
            self.mlp.add(nn.Dropout(dropout))
            self.mlp.add(nn.Dense(self.d_output * 2, in_units=d_hidden, flatten=False))
            self.mlp.add(GLU(axis=-1, nonlinear=False))
            self.lnorm = nn.LayerNorm(axis=-1, in_channels=self.d_output)

    def hybrid_forward(self, F, x, c=None):
        skip = self.skip_proj(x) if self.add_skip else x
        if c is not None:
            x = F.concat(x, c, dim=-1)
        return self.lnorm(F.broadcast_add(self.mlp(x), skip))


class VarSelect(HybridBlock):
    def __init__(self, d_hidden, n_vars, add_static=False, **kwargs):
        super().__init__(**kwargs)
        self.d_hidden, self.n_vars, self.add_static = d_hidden, n_vars, add_static
        with self.name_scope():
            self.weight_network = GRN(d_hidden, d_input=d_hidden * n_vars, d_output=n_vars,
                                      d_static=d_hidden if add_static else None)
            self.variable_network = []
            for n in range(n_vars):
                net = GRN(d_hidden)
                self.register_child(net, name='var_%d' % (n + 1))
                self.variable_network.append(net)

    def hybrid_forward(self, F, variables, static=None):
        flat = F.concat(*variables, dim=-1)
        if static is not None:
            static = F.broadcast_like(static, variables[0])
        weight = F.softmax(F.expand_dims(self.weight_network(flat, static), axis=-2), axis=-1)
        enc = F.stack(*[net(v) for v, net in zip(variables, self.variable_network)], axis=-1)
        return F.sum(F.broadcast_mul(enc, weight), axis=-1), weight


class SelfAtt(HybridBlock):
    def __init__(self, context_length, prediction_length, d_hidden, n_head=1, share_values=False, **kwargs):
        super().__init__(**kwargs)
        self.context_length, self.prediction_length = context_length, prediction_length
        self.d_hidden, self.n_head, self.d_head = d_hidden, n_head, d_hidden // n_head
        self.share_values = share_values
        with self.name_scope():
            self.q_proj = nn.Dense(d_hidden, in_units=d_hidden, flatten=False, prefix='q_proj_')
            self.k_proj = nn.Dense(d_hidden, in_units=d_hidden, flatten=False, prefix='k_proj_')
            self.v_proj = nn.Dense(self.d_head if share_values else d_hidden, in_units=d_hidden,
                                   flatten=False, prefix='v_proj_')
            self.out_proj = nn.Dense(d_hidden, in_units=d_hidden, flatten=False, prefix='out_proj_')

    def _split_head(self, F, x):
        return F.swapaxes(data=F.reshape(data=x, shape=(0, 0, -4, self.n_head, self.d_head)), dim1=1, dim2=2)

    def _merge_head(self, F, x):
        return F.reshape(data=F.swapaxes(data=x, dim1=1, dim2=2), shape=(0, 0, self.d_hidden))

    def hybrid_forward(self, F, x, mask):
        cx = F.slice_axis(x, axis=1, begin=-self.prediction_length, end=None)
        q = self._split_head(F, self.q_proj(cx))
        k = self._split_head(F, self.k_proj(x))
        v = self.v_proj(x)
        v = F.broadcast_like(v.expand_dims(axis=1), k) if self.share_values else self._split_head(F, v)
        score = F.batch_dot(lhs=q, rhs=k, transpose_b=True)
        k_idx = F.contrib.arange_like(score, axis=-1)
        k_idx = k_idx.expand_dims(axis=0).expand_dims(axis=0).expand_dims(axis=0)
        q_idx = F.contrib.arange_like(score, axis=-2) + self.context_length
        q_idx = q_idx.expand_dims(axis=-1).expand_dims(axis=0).expand_dims(axis=0)
        unidir = F.broadcast_like(F.broadcast_lesser_equal(k_idx, q_idx), score)
        score = F.where(unidir, score, F.ones_like(score) * -1e9)
        key_mask = F.broadcast_like(mask.expand_dims(axis=1).expand_dims(axis=2), score)
        score = F.where(key_mask, score, F.ones_like(score) * -1e9)
        score = F.softmax(score / math.sqrt(self.d_head), axis=-1)
        out = self.out_proj(self._merge_head(F, F.batch_dot(score, v)))
        return out


class FusionEncoder(HybridBlock):
    def __init__(self, context_length, prediction_length, d_input, d_hidden, **kwargs):
        super().__init__(**kwargs)
        self.context_length, self.prediction_length = context_length, prediction_length
        with self.name_scope():
            self.encoder_lstm = gluon.rnn.HybridSequentialRNNCell(prefix='encoder_')
            self.encoder_lstm.add(gluon.rnn.LSTMCell(hidden_size=d_hidden, input_size=d_input))
            self.decoder_lstm = gluon.rnn.HybridSequentialRNNCell(prefix='decoder_')
            self.decoder_lstm.add(gluon.rnn.LSTMCell(hidden_size=d_hidden, input_size=d_input))
            self.gate = nn.HybridSequential()
            self.gate.add(nn.Dense(d_hidden * 2, in_units=d_hidden, flatten=False))
            self.gate.add(GLU(axis=-1, nonlinear=False))
            self.skip_proj = nn.Dense(d_hidden, in_units=d_input, flatten=False)
            self.lnorm = nn.LayerNorm(axis=-1, in_channels=d_hidden)

    def hybrid_forward(self, F, ctx_input, tgt_input, states):
        ctx_enc, states = self.encoder_lstm.unroll(length=self.context_length, inputs=ctx_input,
                                                   begin_state=states, merge_outputs=True)
        tgt_enc, _ = self.decoder_lstm.unroll(length=self.prediction_length, inputs=tgt_input,
                                              begin_state=states, merge_outputs=True)
        enc = F.concat(ctx_enc, tgt_enc, dim=1)
        skip = self.skip_proj(F.concat(ctx_input, tgt_input, dim=1))
        return self.lnorm(F.broadcast_add(skip, self.gate(enc)))


class TinyTFT(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.vsn = VarSelect(4, 3, add_static=True)
            self.enc = FusionEncoder(3, 2, 4, 6)
            self.att = SelfAtt(3, 2, 6, n_head=2, share_values=True)

    def hybrid_forward(self, F, v1, v2, v3, static, h0, c0, mask):
        x, w = self.vsn([v1, v2, v3], static)
        ctx = F.slice_axis(x, axis=1, begin=0, end=3)
        tgt = F.slice_axis(x, axis=1, begin=3, end=None)
        e = self.enc(ctx, tgt, [h0, c0])
        return self.att(e, mask), w


def tft():
    """Temporal fusion transformer layers: a variable selection network given a list of inputs
    and a static context, an LSTM encoder-decoder unrolled inside ``hybrid_forward`` from given
    states, and masked causal self-attention (``contrib.arange_like``, ``broadcast_lesser_equal``,
    ``where``): outputs, selection weights and gradients, eager and hybridized."""
    res = {}
    ins = [rnd(51 + i, 2, 5, 4) for i in range(3)] + [rnd(55, 2, 1, 4), rnd(56, 2, 6), rnd(57, 2, 6),
                                                      nd.array([[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]])]
    for hyb in (False, True):
        net = TinyTFT(prefix='tft_')
        net.initialize()
        set_params(net, 52)
        if hyb:
            net.hybridize()
        for a in ins:
            a.attach_grad()
        with autograd.record():
            out, w = net(*ins)
            loss = (out * rnd(58, *out.shape)).sum() + (w * w).sum()
        loss.backward()
        res['hybrid' if hyb else 'eager'] = {
            'out': L(out), 'w': L(w), 'grads': [L(a.grad) for a in ins[:6]],
            'pgrad': L(net.vsn.variable_network[1].mlp[0].weight.grad()),
            'names': sorted(net.collect_params().keys())}
    return res


# ---------------------------------------------------------------- 6 Kalman filter (gluonts LDS)
# awslabs/gluonts src/gluonts/mx/distribution/lds.py
def split_steps(x, num_outputs, axis, squeeze_axis):
    if num_outputs > 1:
        return x.split(axis=axis, num_outputs=num_outputs, squeeze_axis=squeeze_axis)
    return [x.squeeze(axis=axis)] if squeeze_axis else [x]


def diag_of(F, x, d):
    return F.broadcast_mul(F.eye(d), x.expand_dims(axis=-1))


def gauss_logpdf(F, mean, L_chol, x, d):
    diff = (x - mean).expand_dims(axis=-1)
    sol = F.linalg_trsm(L_chol, diff)
    return -0.5 * F.sum(F.square(sol), axis=(-2, -1)) - F.linalg_sumlogdiag(L_chol) - 0.5 * d * math.log(2 * math.pi)


def filter_step(F, target, prior_mean, prior_cov, emission, residual, noise_std, latent_dim, output_dim):
    out_mean = F.linalg_gemm2(emission, prior_mean.expand_dims(axis=-1)).squeeze(axis=-1)
    noise_cov = diag_of(F, noise_std * noise_std, output_dim)
    S_At = F.linalg_gemm2(prior_cov, emission, transpose_b=True)
    out_cov = F.linalg_gemm2(emission, S_At) + noise_cov
    L_out = F.linalg_potrf(out_cov)
    gain = F.linalg_trsm(L_out, F.linalg_trsm(L_out, S_At, rightside=True, transpose=True), rightside=True)
    t_minus_r = target - residual
    delta = t_minus_r - out_mean
    f_mean = (prior_mean.expand_dims(axis=-1) + F.linalg_gemm2(gain, delta.expand_dims(axis=-1))).squeeze(axis=-1)
    ImKA = F.broadcast_sub(F.eye(latent_dim), F.linalg_gemm2(gain, emission))
    f_cov = F.linalg_gemm2(ImKA, F.linalg_gemm2(prior_cov, ImKA, transpose_b=True)) + \
        F.linalg_gemm2(gain, F.linalg_gemm2(noise_cov, gain, transpose_b=True))
    return f_mean, f_cov, gauss_logpdf(F, out_mean, L_out, t_minus_r, output_dim)


class KalmanLogLik(HybridBlock):
    def __init__(self, latent_dim, output_dim, seq_length, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim, self.output_dim, self.seq_length = latent_dim, output_dim, seq_length

    def hybrid_forward(self, F, targets, emission, transition, innovation, noise_std, residuals,
                       prior_mean, prior_cov, observed):
        T = self.seq_length
        em = split_steps(emission, T, 1, True)
        tr = split_steps(transition, T, 1, True)
        inn = split_steps(innovation, T, 1, False)
        ns = split_steps(noise_std, T, 1, True)
        rs_ = split_steps(residuals, T, 1, True)
        tg = split_steps(targets, T, 1, True)
        ob = split_steps(observed, T, 1, True)
        mean, cov, logps = prior_mean, prior_cov, []
        for t in range(T):
            f_mean, f_cov, log_p = filter_step(F, tg[t], mean, cov, em[t], rs_[t], ns[t],
                                               self.latent_dim, self.output_dim)
            logps.append(log_p.expand_dims(axis=1))
            mean = F.linalg_gemm2(tr[t], F.where(ob[t], x=f_mean, y=mean).expand_dims(axis=-1)).squeeze(axis=-1)
            cov = F.linalg_gemm2(tr[t], F.linalg_gemm2(F.where(ob[t], x=f_cov, y=cov), tr[t], transpose_b=True)) \
                + F.linalg_gemm2(inn[t], inn[t], transpose_a=True)
        return F.concat(*logps, dim=1), mean, cov


def kalman():
    """A Kalman filter's log-likelihood as gluon-ts's linear dynamical system computes it
    (``linalg_gemm2``, ``linalg_potrf``, two ``linalg_trsm``, ``eye``, ``where`` on a per-sample
    observed flag): log-probabilities, final mean and covariance and the gradients of every
    input, eager and hybridized."""
    res = {}
    B, T, H, D = 2, 3, 3, 2
    rs = np.random.RandomState(61)
    A = rs.uniform(-1, 1, (B, H, H))
    ins = [nd.array(rs.uniform(-1, 1, (B, T, D))), nd.array(rs.uniform(-1, 1, (B, T, D, H))),
           nd.array(rs.uniform(-0.6, 0.6, (B, T, H, H))), nd.array(rs.uniform(0.1, 0.5, (B, T, H))),
           nd.array(rs.uniform(0.3, 0.8, (B, T, D))), nd.array(rs.uniform(-0.2, 0.2, (B, T, D))),
           nd.array(rs.uniform(-1, 1, (B, H))), nd.array(np.einsum('bij,bkj->bik', A, A) + np.eye(H)),
           nd.array([[1, 0, 1], [1, 1, 0]])]
    for hyb in (False, True):
        blk = KalmanLogLik(H, D, T)
        if hyb:
            blk.hybridize()
        for a in ins[:8]:
            a.attach_grad()
        with autograd.record():
            logp, mean, cov = blk(*ins)
            loss = logp.sum() + (mean * mean).sum() + cov.sum()
        loss.backward()
        res['hybrid' if hyb else 'eager'] = {'logp': L(logp), 'mean': L(mean), 'cov': L(cov),
                                             'grads': [L(a.grad) for a in ins[:8]]}
    return res


# ---------------------------------------------------------------- 7 Transformer-XL relative attention
# dmlc/gluon-nlp scripts/language_model/transformer/attention_cell.py
def rel_shift(F, x):
    x_ = F.reshape_like(x, F.swapaxes(x, 1, 2))
    x_ = F.slice_axis(x_, axis=-2, begin=1, end=None)
    return F.reshape_like(x_, F.swapaxes(x_, 1, 2))


def masked_softmax(F, score, mask):
    if mask is not None:
        score = F.where(mask, score, -1e18 * F.ones_like(score))
        return F.softmax(score, axis=-1) * mask
    return F.softmax(score, axis=-1)


class RelPosAttention(HybridBlock):
    def __init__(self, d_head, num_heads, scaled, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._d_head, self._num_heads, self._scaled = d_head, num_heads, scaled
        with self.name_scope():
            for name in ['query', 'key', 'value', 'emb']:
                setattr(self, 'proj_%s' % name, nn.Dense(d_head * num_heads, use_bias=False, flatten=False,
                                                         prefix='%s_' % name))
            self.query_key_bias = self.params.get('query_key_bias', shape=(num_heads, d_head), init='zeros')
            self.query_emb_bias = self.params.get('query_emb_bias', shape=(num_heads, d_head), init='zeros')

    def hybrid_forward(self, F, query, key, value, emb, mask, query_key_bias, query_emb_bias):
        att = self._weights(F, query, key, emb, mask, query_key_bias, query_emb_bias)
        return self._read(F, att, value), att

    def _project(self, F, name, x):
        x = getattr(self, 'proj_%s' % name)(x)
        return F.transpose(x.reshape(shape=(0, 0, self._num_heads, -1)), axes=(0, 2, 1, 3)) \
            .reshape(shape=(-1, 0, 0), reverse=True)

    def _weights(self, F, query, key, emb, mask, query_key_bias, query_emb_bias):
        pq = self.proj_query(query).reshape(shape=(0, 0, self._num_heads, -1))
        pk = self.proj_key(key).reshape(shape=(0, 0, self._num_heads, -1))
        pe = self.proj_emb(emb).reshape(shape=(-1, self._num_heads, self._d_head))
        q_kb = F.transpose(F.broadcast_add(pq, F.reshape(query_key_bias, shape=(1, 1, 0, 0), reverse=True)),
                           axes=(0, 2, 1, 3))
        q_eb = F.transpose(F.broadcast_add(pq, F.reshape(query_emb_bias, shape=(1, 1, 0, 0), reverse=True)),
                           axes=(0, 2, 1, 3))
        pk = F.transpose(pk, axes=(0, 2, 1, 3))
        pe = F.transpose(pe, axes=(1, 0, 2))
        pe = F.broadcast_like(F.expand_dims(pe, axis=0), pk, lhs_axes=(0,), rhs_axes=(0,))
        q_kb = q_kb.reshape(shape=(-1, 0, 0), reverse=True)
        pk = pk.reshape(shape=(-1, 0, 0), reverse=True)
        q_eb = q_eb.reshape(shape=(-1, 0, 0), reverse=True)
        pe = pe.reshape(shape=(-1, 0, 0), reverse=True)
        if mask is not None:
            mask = F.broadcast_axis(F.expand_dims(mask, axis=1), axis=1, size=self._num_heads) \
                .reshape(shape=(-1, 0, 0), reverse=True)
        ac = F.batch_dot(q_kb, pk, transpose_b=True)
        bd = F.batch_dot(q_eb, pe, transpose_b=True)
        bd = F.slice_like(rel_shift(F, bd), shape_like=ac, axes=(2,))
        score = ac + bd
        if self._scaled:
            score = score / math.sqrt(self._d_head)
        return masked_softmax(F, score, mask).reshape(shape=(-1, self._num_heads, 0, 0), reverse=True)

    def _read(self, F, att, value):
        att = att.reshape(shape=(-1, 0, 0), reverse=True)
        ctx = F.batch_dot(att, self._project(F, 'value', value))
        return F.transpose(ctx.reshape(shape=(-1, self._num_heads, 0, 0), reverse=True),
                           axes=(0, 2, 1, 3)).reshape(shape=(0, 0, -1))


def txl_attention():
    """Transformer-XL's relative positional attention cell (``reshape(..., reverse=True)``,
    ``broadcast_like`` with axes, the ``reshape_like`` relative shift, ``slice_like``, masked
    softmax, bias parameters given to ``hybrid_forward``): context, weights and gradients, eager
    and hybridized; and a second cell sharing the first one's parameters."""
    res = {}
    B, Q, K, D = 2, 3, 5, 6
    q, kv = rnd(71, B, Q, D), rnd(72, B, K, D)
    pos = nd.arange(K, -Q, -1).reshape((-1, 1))
    emb = nd.concat(nd.sin(pos * nd.array([[1.0, 0.5, 0.25]])), nd.cos(pos * nd.array([[1.0, 0.5, 0.25]])), dim=1)
    mask = nd.array(np.tril(np.ones((Q, K)), K - Q)[None].repeat(B, 0))
    res['pos'] = L(pos)
    for hyb in (False, True):
        cell = RelPosAttention(3, 2, True, prefix='relatt_')
        cell.initialize()
        cell(q, kv, kv, emb, mask)
        set_params(cell, 73)
        if hyb:
            cell.hybridize()
        q.attach_grad()
        kv.attach_grad()
        with autograd.record():
            ctx, att = cell(q, kv, kv, emb, mask)
            loss = (ctx * rnd(74, *ctx.shape)).sum()
        loss.backward()
        res['hybrid' if hyb else 'eager'] = {'ctx': L(ctx), 'att': L(att), 'qgrad': L(q.grad),
                                             'kvgrad': L(kv.grad),
                                             'bias_grad': L(cell.query_emb_bias.grad())}
    # the shared-parameter form gluonnlp builds its layers with
    shared = RelPosAttention(3, 2, True, prefix='relatt2_', params=cell.collect_params())
    res['shared_names'] = sorted(shared.collect_params().keys())
    res['shared_out'] = L(shared(q, kv, kv, emb, mask)[0])
    return res


# ---------------------------------------------------------------- 8 GluonCV non-local block
# dmlc/gluon-cv gluoncv/model_zoo/action_recognition/non_local.py
class NonLocalBlock(HybridBlock):
    def __init__(self, in_channels=8, dim=3, embed_dim=None, sub_sample=True, use_bn=True, **kwargs):
        super(NonLocalBlock, self).__init__()
        self.embed_dim = embed_dim if embed_dim is not None else in_channels // 2
        self.sub_sample, self.use_bn = sub_sample, use_bn
        conv = nn.Conv3D if dim == 3 else nn.Conv2D
        k = (1,) * dim
        with self.name_scope():
            self.theta = conv(in_channels=in_channels, channels=self.embed_dim, kernel_size=k,
                              weight_initializer=init.MSRAPrelu())
            self.phi = conv(in_channels=in_channels, channels=self.embed_dim, kernel_size=k,
                            weight_initializer=init.MSRAPrelu())
            self.g = conv(in_channels=in_channels, channels=self.embed_dim, kernel_size=k,
                          weight_initializer=init.MSRAPrelu())
            if sub_sample:
                self.max_pool = nn.MaxPool3D(pool_size=(1, 2, 2)) if dim == 3 else nn.MaxPool2D(pool_size=(2, 2))
                self.sub_phi = nn.HybridSequential()
                self.sub_phi.add(self.phi)
                self.sub_phi.add(self.max_pool)
                self.sub_g = nn.HybridSequential()
                self.sub_g.add(self.g)
                self.sub_g.add(self.max_pool)
            self.W = conv(in_channels=self.embed_dim, channels=in_channels, kernel_size=k,
                          weight_initializer=init.MSRAPrelu())
            if use_bn:
                self.bn = nn.BatchNorm(in_channels=in_channels, gamma_initializer='zeros')
                self.W_bn = nn.HybridSequential()
                self.W_bn.add(self.W)
                self.W_bn.add(self.bn)

    def hybrid_forward(self, F, x):
        theta = self.theta(x)
        if self.sub_sample:
            phi, g = self.sub_phi(x), self.sub_g(x)
        else:
            phi, g = self.phi(x), self.g(x)
        theta = F.reshape(theta, (0, 0, -1))
        phi = F.reshape(phi, (0, 0, -1))
        g = F.reshape(g, (0, 0, -1))
        attn = F.softmax(F.batch_dot(theta, phi, transpose_a=True), axis=2)
        y = F.batch_dot(g, attn, transpose_b=True)
        y = F.reshape_like(y, x, lhs_begin=2, lhs_end=None, rhs_begin=2, rhs_end=None)
        return (self.W_bn(y) if self.use_bn else self.W(y)) + x


def nonlocal_block():
    """GluonCV's non-local block in 3-D (video) and 2-D, with a max pool shared by two
    sequentials and a zero-gamma BatchNorm: the output of a fresh block (its input, as the zero
    gamma makes it), then with set parameters the output, gradients and running variance after
    one recorded pass, eager and hybridized."""
    res = {}
    for dim, shape in ((3, (2, 8, 2, 4, 4)), (2, (2, 8, 4, 6))):
        res['dim%d' % dim] = {}
        for hyb in (False, True):
            fresh = NonLocalBlock(8, dim=dim)
            fresh.initialize()
            x = rnd(81, *shape)
            first = fresh(x)
            blk = NonLocalBlock(8, dim=dim)
            blk.initialize()
            set_params(blk, 82)
            if hyb:
                blk.hybridize()
            x.attach_grad()
            with autograd.record():
                z = blk(x)
                loss = (z * rnd(83, *z.shape)).sum()
            loss.backward()
            res['dim%d' % dim]['hybrid' if hyb else 'eager'] = {
                'first_is_x': float(np.abs(first.asnumpy() - x.asnumpy()).max()), 'z': L(z), 'xgrad': L(x.grad),
                'phi_grad': L(blk.phi.weight.grad()), 'names': [n.split('_', 1)[1] for n in
                                                                 sorted(blk.collect_params().keys())],
                'running_var': L(blk.bn.running_var.data())}
    return res


# ---------------------------------------------------------------- 9 gluon-ts quantile loss / projection
# awslabs/gluonts src/gluonts/mx/block/quantile_output.py
class QLoss(gluon.loss.Loss):
    def __init__(self, quantiles, quantile_weights=None, is_equal_weights=True, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.quantiles, self.num_quantiles = quantiles, len(quantiles)
        self.is_equal_weights = is_equal_weights
        self.quantile_weights = quantile_weights if quantile_weights else self.compute_weights()

    def hybrid_forward(self, F, y_true, y_pred, sample_weight=None):
        if self.num_quantiles > 1:
            preds = F.split(y_pred, axis=-1, num_outputs=self.num_quantiles, squeeze_axis=1)
        else:
            preds = [F.squeeze(y_pred, axis=-1)]
        losses = [self.one_loss(F, y_true, yq, self.quantiles[i]) * self.quantile_weights[i]
                  for i, yq in enumerate(preds)]
        total = F.mean(F.stack(*losses, axis=-1), axis=-1)
        return sample_weight * total if sample_weight is not None else total

    @staticmethod
    def one_loss(F, y_true, y_pred_p, p):
        under = p * F.maximum(y_true - y_pred_p, 0)
        over = (1 - p) * F.maximum(y_pred_p - y_true, 0)
        return 2 * (under + over)

    def compute_weights(self):
        if self.is_equal_weights or self.num_quantiles == 1:
            return [1.0 / self.num_quantiles] * self.num_quantiles
        q = self.quantiles
        return [0.5 * (q[1] - q[0])] + [0.5 * (q[i + 1] - q[i - 1]) for i in range(1, self.num_quantiles - 1)] \
            + [0.5 * (q[-1] - q[-2])]


class QProject(nn.HybridBlock):
    def __init__(self, num_quantiles, is_iqf=False, **kwargs):
        super().__init__(**kwargs)
        self.num_quantiles, self.is_iqf = num_quantiles, is_iqf
        with self.name_scope():
            if is_iqf:
                self.proj_intrcpt = nn.Dense(1, flatten=False)
                self.proj_incrmnt = nn.Dense(num_quantiles - 1, flatten=False, activation='relu')
            else:
                self.projection = nn.Dense(units=num_quantiles, flatten=False)

    def hybrid_forward(self, F, x):
        if self.is_iqf:
            return F.cumsum(F.concat(self.proj_intrcpt(x), self.proj_incrmnt(x), dim=-1), axis=3)
        return self.projection(x)


def quantile():
    """gluon-ts's quantile projection (a plain Dense, or the increasing-quantile form with
    ``cumsum``) trained three SGD steps on its QuantileLoss (a ``gluon.loss.Loss`` subclass with a
    sample weight), eager and hybridized: losses, the last projection and the quantile weights."""
    res = {}
    x = rnd(91, 2, 3, 4, 5)
    y = rnd(92, 2, 3, 4)
    for iqf in (False, True):
        for hyb in (False, True):
            proj = QProject(3, is_iqf=iqf, prefix='qproj_')
            loss_fn = QLoss([0.1, 0.5, 0.9], is_equal_weights=not iqf)
            proj.initialize()
            proj(x)
            set_params(proj, 93)
            if hyb:
                proj.hybridize()
                loss_fn.hybridize()
            trainer = gluon.Trainer(proj.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
            losses = []
            for _ in range(3):
                with autograd.record():
                    q = proj(x)
                    l = loss_fn(y, q, nd.array(np.array([1.0, 0.5]).reshape(2, 1, 1).repeat(3, 1).repeat(4, 2)))
                l.backward()
                trainer.step(2)
                losses.append(L(l))
            res['%s_%s' % ('iqf' if iqf else 'qf', 'hybrid' if hyb else 'eager')] = {
                'losses': losses, 'q': L(q), 'weights': loss_fn.quantile_weights}
    return res


# ---------------------------------------------------------------- 10 combined angular margin head
# a public Gluon face-recognition AngularMarginBlock (SphereFace / ArcFace / CosFace margins in one)
class AngularMargin(HybridBlock):
    def __init__(self, num_classes=10, input_dim=6, margin_1=1.0, margin_2=0.0, margin_3=0.35, scale=30.0,
                 weight_name='weight', **kwargs):
        super(AngularMargin, self).__init__(**kwargs)
        self.scale, self.margin_1, self.margin_2, self.margin_3 = scale, margin_1, margin_2, margin_3
        self.num_classes = num_classes
        with self.name_scope():
            self.fc_weight = self.params.get(weight_name, shape=(num_classes, input_dim))

    def hybrid_forward(self, F, x, label, fc_weight):
        x_norm = F.L2Normalization(x, mode='instance')
        w_norm = F.L2Normalization(fc_weight, mode='instance')
        cos_t = F.clip(F.FullyConnected(x_norm, w_norm, no_bias=True, num_hidden=self.num_classes), -1.0, 1.0)
        if self.margin_1 != 1.0 or self.margin_2 > 0.0 or self.margin_3 > 0.0:
            one_hot = F.one_hot(label, depth=self.num_classes, on_value=1.0, off_value=0.0)
            upd = F.pick(cos_t, label, axis=1, keepdims=True)
            if self.margin_1 != 1.0:
                upd = F.cos(self.margin_1 * F.arccos(upd))
            if self.margin_2 > 0.0:
                sin_t = F.sqrt(1.0 - F.square(upd))
                upd = upd * math.cos(self.margin_2) - sin_t * math.sin(self.margin_2)
            if self.margin_3 > 0.0:
                upd = upd - self.margin_3
            cos_t = F.broadcast_mul(one_hot, upd) + F.broadcast_mul(1.0 - one_hot, cos_t)
        return self.scale * cos_t


def angular_margin():
    """A combined angular-margin head (SphereFace ``cos(m1 * arccos)``, ArcFace, CosFace and all
    together) on a Dense feature layer, trained three SGD steps with softmax cross-entropy,
    eager and hybridized: losses, logits and the head weight's gradient."""
    res = {}
    x = rnd(101, 4, 6)
    label = nd.array([0, 3, 9, 3])
    for name, m in (('sphere', (1.35, 0.0, 0.0)), ('arc', (1.0, 0.5, 0.0)), ('cos', (1.0, 0.0, 0.35)),
                    ('combined', (1.0, 0.3, 0.2))):
        res[name] = {}
        for hyb in (False, True):
            net = nn.HybridSequential(prefix='face_')
            with net.name_scope():
                net.add(nn.Dense(6, in_units=6, activation='tanh'))
            head = AngularMargin(10, 6, *m, scale=8.0, prefix='margin_')
            net.initialize()
            head.initialize()
            set_params(net, 102)
            set_params(head, 103)
            if hyb:
                net.hybridize()
                head.hybridize()
            params = net.collect_params()
            params.update(head.collect_params())
            trainer = gluon.Trainer(params, 'sgd', {'learning_rate': 0.5, 'wd': 5e-4})
            ce = gluon.loss.SoftmaxCrossEntropyLoss()
            losses = []
            for _ in range(3):
                with autograd.record():
                    logits = head(net(x), label)
                    l = ce(logits, label)
                l.backward()
                trainer.step(4)
                losses.append(L(l))
            res[name]['hybrid' if hyb else 'eager'] = {'losses': losses, 'logits': L(logits),
                                                       'wgrad': L(head.fc_weight.grad())}
    return res


# ---------------------------------------------------------------- 11 gluon-ts Gaussian process
# awslabs/gluonts src/gluonts/mx/model/gp_forecaster/gaussian_process.py, mx/kernels/_rbf_kernel.py,
# mx/linalg_util.py
def softplus(F, x):
    return F.Activation(x, act_type='softrelu')


def batch_diagonal(F, matrix, n, float_type=np.float32):
    return F.linalg.gemm2(F.broadcast_mul(F.eye(n, dtype=float_type), matrix),
                          F.ones_like(F.slice_axis(matrix, axis=2, begin=0, end=1)))


def lower_triangular_ones(F, d, offset=0):
    mask = F.zeros_like(F.eye(d))
    for k in range(offset, d):
        mask = mask + F.eye(d, d, -k)
    return mask


def jitter_cholesky_eig(F, matrix, n, float_type=np.float64, diag_weight=1e-6):
    diag = batch_diagonal(F, matrix, n, float_type)
    diag_mean = diag.mean(axis=1).expand_dims(axis=2)
    U, lam = F.linalg.syevd(matrix)
    jitter = F.broadcast_mul(diag_mean, F.ones_like(diag)) * diag_weight
    return F.linalg.potrf(F.linalg.gemm2(
        U, F.linalg.gemm2(F.broadcast_mul(F.eye(n, dtype=float_type), F.maximum(jitter, lam.expand_dims(axis=2))), U),
        transpose_a=True))


def jitter_cholesky(F, matrix, n, float_type=np.float64, max_iter=10, neg_tol=-1e-8, diag_weight=1e-6,
                    increase=10):
    """The iterative jitter: potrf, and on failure (an exception) again with a growing diagonal."""
    num_iter = 0
    diag = batch_diagonal(F, matrix, n, float_type)
    diag_mean = diag.mean(axis=1).expand_dims(axis=2)
    jitter = F.zeros_like(diag)
    if F.sum(diag <= neg_tol) > 0:
        raise mx.base.MXNetError('Matrix is not positive definite: negative diagonal elements')
    while num_iter <= max_iter:
        try:
            L_chol = F.linalg.potrf(F.broadcast_add(matrix, F.broadcast_mul(F.eye(n, dtype=float_type), jitter)))
            assert F.abs(L_chol.nansum() - L_chol.sum()) <= 1e-1
            return L_chol, num_iter
        except Exception:
            if num_iter == 0:
                jitter = F.broadcast_mul(diag_mean, F.ones_like(jitter)) * diag_weight
            else:
                jitter = jitter * increase
        finally:
            num_iter += 1
    raise mx.base.MXNetError('Matrix is not positive definite after %d jitters' % max_iter)


class RBF(object):
    def __init__(self, amplitude, length_scale, F):
        self.F, self.amplitude, self.length_scale = F, amplitude, length_scale

    def kernel_matrix(self, x1, x2):
        F = self.F
        x1_sq = F.sum(F.square(x1), axis=2, keepdims=True)
        x2_sq = F.swapaxes(F.sum(F.square(x2), axis=2, keepdims=True), 1, 2)
        sq = F.broadcast_add(F.broadcast_add(-2 * F.linalg.gemm2(x1, x2, transpose_b=True), x1_sq), x2_sq)
        sq = F.maximum(sq, 0.0)
        return F.broadcast_mul(self.amplitude, F.exp(F.broadcast_div(-sq, 2 * self.length_scale ** 2)))


class GaussProcess(object):
    def __init__(self, sigma, kernel, prediction_length, context_length, F, float_type=np.float64,
                 jitter_method='iter'):
        self.sigma, self.kernel, self.F = sigma, kernel, F
        self.prediction_length, self.context_length = prediction_length, context_length
        self.float_type, self.jitter_method = float_type, jitter_method

    def _cholesky(self, K, n):
        F = self.F
        K = F.broadcast_plus(K, F.broadcast_mul(self.sigma ** 2, F.eye(n, dtype=self.float_type)))
        if self.jitter_method == 'eig':
            return jitter_cholesky_eig(F, K, n, self.float_type)
        if self.jitter_method == 'iter' and F is mx.nd:
            return jitter_cholesky(F, K, n, self.float_type)[0]
        return F.linalg.potrf(K)

    def neg_log_prob(self, x_train, y_train):
        F = self.F
        L_chol = self._cholesky(self.kernel.kernel_matrix(x_train, x_train), self.context_length)
        sol = F.linalg.trsm(L_chol, y_train.expand_dims(axis=-1))
        return 0.5 * F.sum(F.square(sol), axis=(1, 2)) + F.linalg.sumlogdiag(L_chol) \
            + 0.5 * self.context_length * math.log(2 * math.pi)

    def exact_inference(self, x_train, y_train, x_test):
        F = self.F
        l_train = self._cholesky(self.kernel.kernel_matrix(x_train, x_train), self.context_length)
        solve = F.linalg.trsm(l_train, self.kernel.kernel_matrix(x_train, x_test))
        mean = F.linalg.gemm2(solve, F.linalg.trsm(l_train, y_train.expand_dims(axis=-1)),
                              transpose_a=True).squeeze(axis=-1)
        cov = self.kernel.kernel_matrix(x_test, x_test) - F.linalg.gemm2(solve, solve, transpose_a=True)
        std = F.broadcast_add(batch_diagonal(F, cov, self.prediction_length, self.float_type), self.sigma ** 2)
        return mean, F.sqrt(std).squeeze(axis=-1)


class GPNet(HybridBlock):
    def __init__(self, context_length, prediction_length, jitter_method='iter', **kwargs):
        super().__init__(**kwargs)
        self.context_length, self.prediction_length = context_length, prediction_length
        self.jitter_method = jitter_method
        with self.name_scope():
            self.proj = nn.Dense(3, in_units=1, flatten=False)

    def hybrid_forward(self, F, past_target, past_feat, future_feat):
        hyper = softplus(F, self.proj(F.mean(past_feat, axis=1, keepdims=True)))
        amp, ls, sigma = [F.cast(h, dtype='float64') for h in F.split(hyper, num_outputs=3, axis=2)]
        gp = GaussProcess(sigma, RBF(amp, ls, F), self.prediction_length, self.context_length, F,
                          jitter_method=self.jitter_method)
        x_train, x_test = F.cast(past_feat, dtype='float64'), F.cast(future_feat, dtype='float64')
        y_train = F.cast(past_target, dtype='float64')
        nll = gp.neg_log_prob(x_train, y_train)
        mean, std = gp.exact_inference(x_train, y_train, x_test)
        return nll, mean, std


def gaussian_process():
    """gluon-ts's GP forecaster pieces in float64: an RBF kernel matrix from hyper-parameters a
    Dense projects (softplus, ``split``, ``cast``), the negative log-likelihood and exact inference
    (``linalg.potrf`` / ``trsm`` / ``gemm2`` / ``sumlogdiag``, ``eye`` of dtype float64), eager
    (the iterative jitter, as ``F is mx.nd``) and hybridized (plain potrf; and the eigenvalue
    jitter), with the Dense weight's gradient; then both jitters on a singular kernel matrix
    (repeated inputs, no noise): the iterative one catches potrf's failure and retries."""
    res = {}
    t = np.arange(6, dtype='float32')
    past_feat = nd.array(np.stack([t[:4], t[:4] * 0.5]).reshape(2, 4, 1) / 3.0)
    fut_feat = nd.array(np.stack([t[4:], t[4:] * 0.5]).reshape(2, 2, 1) / 3.0)
    past_target = nd.array(np.sin(np.stack([t[:4], t[:4] * 0.7])))
    for method, hyb in (('iter', False), ('iter', True), ('eig', True)):
        net = GPNet(4, 2, method, prefix='gp_')
        net.initialize()
        set_params(net, 111)
        if hyb:
            net.hybridize()
        with autograd.record():
            nll, mean, std = net(past_target, past_feat, fut_feat)
            loss = nll.sum() + mean.sum() + std.sum()
        loss.backward()
        res['%s_%s' % (method, 'hybrid' if hyb else 'eager')] = {
            'nll': L(nll), 'mean': L(mean), 'std': L(std), 'dtype': str(np.dtype(nll.dtype)),
            'wgrad': L(net.proj.weight.grad())}
    x = nd.array(np.array([0., 1., 1., 2.]).reshape(1, 4, 1), dtype='float64')
    K = RBF(nd.ones((1, 1, 1), dtype='float64'), nd.ones((1, 1, 1), dtype='float64'), nd).kernel_matrix(x, x)
    L_iter, tries = jitter_cholesky(nd, K, 4)
    res['singular'] = {'iter_L': L(L_iter), 'tries': tries, 'eig_LLt': L(nd.linalg.gemm2(
        jitter_cholesky_eig(nd, K, 4), jitter_cholesky_eig(nd, K, 4), transpose_b=True)),
        'tril_ones': L(lower_triangular_ones(nd, 3, 1))}
    return res


# ---------------------------------------------------------------- 12 gluon-ts piecewise-linear quantile output
# awslabs/gluonts src/gluonts/mx/distribution/piecewise_linear.py
def excl_cumsum(F, x):
    """Exclusive cumulative sum over the last axis through a lower-triangular product."""
    col = x.expand_dims(axis=-1)
    ones = F.linalg_gemm2(F.ones_like(col), F.ones_like(col), transpose_b=True)
    return (F.linalg_trmm(ones, col) - col).squeeze(axis=-1)


class PiecewiseLin(object):
    def __init__(self, gamma, slopes, knot_spacings, F):
        self.F, self.gamma = F, gamma
        b = F.slice_axis(slopes, axis=-1, begin=1, end=None) - F.slice_axis(slopes, axis=-1, begin=0, end=-1)
        self.b = F.concat(F.slice_axis(slopes, axis=-1, begin=0, end=1), b, dim=-1)
        self.knot_positions = excl_cumsum(F, knot_spacings)

    def quantile_internal(self, x, axis=None):
        F = self.F
        if axis is not None:
            gamma = self.gamma.expand_dims(axis=axis if axis == 0 else -1)
            knots, b = self.knot_positions.expand_dims(axis=axis), self.b.expand_dims(axis=axis)
        else:
            gamma, knots, b = self.gamma, self.knot_positions, self.b
        x_minus_knots = F.broadcast_minus(x.expand_dims(axis=-1), knots)
        return F.broadcast_add(gamma, F.sum(F.broadcast_mul(b, F.relu(x_minus_knots)), axis=-1))

    def cdf(self, x):
        F = self.F
        at_knots = self.quantile_internal(self.knot_positions, axis=-2)
        mask = F.broadcast_lesser(at_knots, x.expand_dims(axis=-1))
        slope_l0 = F.sum(self.b * mask, axis=-1, keepdims=False)
        slope_nz = F.where(slope_l0 == F.zeros_like(slope_l0), F.ones_like(x), slope_l0)
        a_tilde = F.where(slope_l0 == F.zeros_like(slope_l0), F.zeros_like(x),
                          (x - self.gamma + F.sum(self.b * self.knot_positions * mask, axis=-1, keepdims=False))
                          / slope_nz)
        return F.broadcast_minimum(F.ones_like(a_tilde), a_tilde)

    def crps(self, x):
        F = self.F
        a_tilde = self.cdf(x)
        max_a = F.broadcast_maximum(a_tilde.expand_dims(axis=-1), self.knot_positions)
        knots_cubed = F.broadcast_power(self.knot_positions, F.ones(1) * 3.0)
        coeff = (1.0 - knots_cubed) / 3.0 - self.knot_positions - F.square(max_a) + 2 * max_a * self.knot_positions
        return (2 * a_tilde - 1) * x + (1 - 2 * a_tilde) * self.gamma + F.sum(self.b * coeff, axis=-1, keepdims=False)


class PLOutput(HybridBlock):
    def __init__(self, num_pieces, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.gamma = nn.Dense(1, flatten=False)
            self.slopes = nn.Dense(num_pieces, flatten=False)
            self.spacings = nn.Dense(num_pieces, flatten=False)

    def hybrid_forward(self, F, feat, target, levels):
        gamma = self.gamma(feat).squeeze(axis=-1)
        slopes = F.Activation(data=self.slopes(feat), act_type='softrelu') + 1e-4
        spacings = F.softmax(self.spacings(feat))
        distr = PiecewiseLin(gamma, slopes, spacings, F)
        return distr.crps(target), distr.cdf(target), distr.quantile_internal(levels, axis=0)


def piecewise_linear():
    """gluon-ts's piecewise-linear quantile distribution behind Dense projections (softrelu
    slopes, softmax knot spacings, an exclusive cumsum through ``linalg_trmm``): CRPS, CDF and
    quantiles at given levels, eager and hybridized, and three Adam steps on the mean CRPS."""
    res = {}
    feat, target = rnd(121, 3, 5, 4), rnd(122, 3, 5) * 2
    levels = nd.array(np.array([0.1, 0.5, 0.9]).reshape(3, 1, 1) * np.ones((3, 3, 5)))
    for hyb in (False, True):
        out = PLOutput(4, prefix='pl_')
        out.initialize()
        out(feat, target, levels)
        set_params(out, 123)
        if hyb:
            out.hybridize()
        trainer = gluon.Trainer(out.collect_params(), 'adam', {'learning_rate': 0.05})
        losses = []
        for _ in range(3):
            with autograd.record():
                crps, cdf, q = out(feat, target, levels)
                loss = crps.mean()
            loss.backward()
            trainer.step(1)
            losses.append(float(loss.asscalar()))
        res['hybrid' if hyb else 'eager'] = {'crps': L(crps), 'cdf': L(cdf), 'q': L(q), 'losses': losses}
    return res


# ---------------------------------------------------------------- 13 GluonCV SlowFast pathways
# dmlc/gluon-cv gluoncv/model_zoo/action_recognition/slowfast.py
class TinySlowFast(HybridBlock):
    def __init__(self, nclass=3, fast_frames=8, slow_frames=2, alpha=4, beta_inv=4, width=8, num_segments=2,
                 **kwargs):
        super(TinySlowFast, self).__init__(**kwargs)
        self.fast_frames, self.slow_frames, self.num_segments = fast_frames, slow_frames, num_segments
        fast_w = width // beta_inv
        self.feat_dim = width * 2 + fast_w * 2
        with self.name_scope():
            fast = nn.HybridSequential(prefix='fast_')
            with fast.name_scope():
                self.fast_conv1 = nn.Conv3D(in_channels=3, channels=fast_w, kernel_size=(5, 3, 3),
                                            padding=(2, 1, 1), use_bias=False)
                self.fast_bn1 = nn.BatchNorm(in_channels=fast_w)
                self.fast_relu = nn.Activation('relu')
                self.fast_maxpool = nn.MaxPool3D(pool_size=(1, 3, 3), strides=(1, 2, 2), padding=(0, 1, 1))
                self.fast_res = nn.Conv3D(in_channels=fast_w, channels=fast_w * 2, kernel_size=(3, 1, 1),
                                          padding=(1, 0, 0))
            self.lateral_p1 = nn.HybridSequential(prefix='lateral_p1_')
            with self.lateral_p1.name_scope():
                self.lateral_p1.add(nn.Conv3D(in_channels=fast_w, channels=fast_w * 2, kernel_size=(5, 1, 1),
                                              strides=(alpha, 1, 1), padding=(2, 0, 0), use_bias=False))
                self.lateral_p1.add(nn.BatchNorm(in_channels=fast_w * 2))
                self.lateral_p1.add(nn.Activation('relu'))
            slow = nn.HybridSequential(prefix='slow_')
            with slow.name_scope():
                self.slow_conv1 = nn.Conv3D(in_channels=3, channels=width, kernel_size=(1, 3, 3), padding=(0, 1, 1),
                                            use_bias=False)
                self.slow_bn1 = nn.BatchNorm(in_channels=width)
                self.slow_relu = nn.Activation('relu')
                self.slow_maxpool = nn.MaxPool3D(pool_size=(1, 3, 3), strides=(1, 2, 2), padding=(0, 1, 1))
                self.slow_res = nn.Conv3D(in_channels=width + fast_w * 2, channels=width * 2, kernel_size=1)
            self.avg = nn.GlobalAvgPool3D()
            self.fc = nn.Dense(in_units=self.feat_dim, units=nclass, weight_initializer=init.Normal(sigma=0.01))
            self.initialize(init.MSRAPrelu())

    def hybrid_forward(self, F, x):
        fast_in = F.slice(x, begin=(None, None, 0, None, None), end=(None, None, self.fast_frames, None, None))
        slow_in = F.slice(x, begin=(None, None, self.fast_frames, None, None),
                          end=(None, None, self.fast_frames + self.slow_frames, None, None))
        fast, lateral = self.fast_path(F, fast_in)
        slow = self.slow_path(F, slow_in, lateral)
        x = F.concat(slow, fast, dim=1)
        x = F.mean(F.reshape(x, shape=(-1, self.num_segments, self.feat_dim)), axis=1)
        return self.fc(x)

    def slow_path(self, F, x, lateral):
        pool1 = self.slow_maxpool(self.slow_relu(self.slow_bn1(self.slow_conv1(x))))
        res = self.slow_res(F.concat(pool1, lateral[0], dim=1))
        return F.squeeze(self.avg(res), axis=(2, 3, 4))

    def fast_path(self, F, x):
        pool1 = self.fast_maxpool(self.fast_relu(self.fast_bn1(self.fast_conv1(x))))
        lateral = [self.lateral_p1(pool1)]
        res = self.fast_res(pool1)
        return F.squeeze(self.avg(res), axis=(2, 3, 4)), lateral


def slowfast():
    """A small SlowFast network (frames of one clip split by ``F.slice`` with ``None`` bounds, a
    lateral Conv3D with a temporal stride joining the fast pathway to the slow one, ``squeeze``
    over a tuple of axes, segment averaging through ``reshape``; blocks made in the name scope of
    throwaway ``slow_`` / ``fast_`` sequentials, ``initialize`` called in ``__init__``): parameter
    names, then with set parameters two SGD steps on softmax cross-entropy, eager and hybridized:
    losses, logits and the lateral conv's gradient."""
    res = {}
    x = rnd(131, 4, 3, 10, 6, 6)
    label = nd.array([0, 2])
    for hyb in (False, True):
        net = TinySlowFast(prefix='slowfast_')
        names = sorted(net.collect_params().keys())
        set_params(net, 132)
        if hyb:
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
        ce = gluon.loss.SoftmaxCrossEntropyLoss()
        losses = []
        for _ in range(2):
            with autograd.record():
                logits = net(x)
                loss = ce(logits, label)
            loss.backward()
            trainer.step(2)
            losses.append(L(loss))
        res['hybrid' if hyb else 'eager'] = {'names': names, 'losses': losses, 'logits': L(logits),
                                             'lateral_grad': L(net.lateral_p1[0].weight.grad())}
    return res


# ---------------------------------------------------------------- 14 GluonCV SiamRPN depthwise cross-correlation
# dmlc/gluon-cv gluoncv/model_zoo/siamrpn/siam_rpn.py, siam_net.py
class DWXCorr(HybridBlock):
    def __init__(self, in_channels, hidden, out_channels, kernel_size=3):
        super(DWXCorr, self).__init__()
        self.conv_kernel = nn.HybridSequential(prefix='')
        self.conv_search = nn.HybridSequential(prefix='')
        self.head = nn.HybridSequential(prefix='')
        self.conv_kernel.add(nn.Conv2D(hidden, kernel_size=kernel_size, use_bias=False), nn.BatchNorm(),
                             nn.Activation('relu'))
        self.conv_search.add(nn.Conv2D(hidden, kernel_size=kernel_size, use_bias=False), nn.BatchNorm(),
                             nn.Activation('relu'))
        self.head.add(nn.Conv2D(hidden, kernel_size=1, use_bias=False), nn.BatchNorm(), nn.Activation('relu'),
                      nn.Conv2D(out_channels, kernel_size=1))

    def hybrid_forward(self, F, kernel, search):
        kernel = self.conv_kernel(kernel)
        search = self.conv_search(search)
        batch, channel, w, h = kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3]
        search = search.reshape(1, batch * channel, search.shape[2], search.shape[3])
        kernel = kernel.reshape(batch * channel, 1, kernel.shape[2], kernel.shape[3])
        out = F.Convolution(data=search, weight=kernel, kernel=[h, w], no_bias=True, num_filter=channel,
                            num_group=batch * channel)
        out = out.reshape(batch, channel, out.shape[2], out.shape[3])
        return self.head(out)


class DWRPN(HybridBlock):
    def __init__(self, anchor_num=2, in_channels=4, out_channels=4):
        super(DWRPN, self).__init__()
        self.cls = DWXCorr(in_channels, out_channels, 2 * anchor_num)
        self.loc = DWXCorr(in_channels, out_channels, 4 * anchor_num)

    def forward(self, z_f, x_f):
        cls = self.cls(z_f, x_f)
        loc = self.loc(z_f, x_f)
        cls = self.cls(z_f, x_f)
        return cls, loc


class SiamTracker(HybridBlock):
    def __init__(self):
        super(SiamTracker, self).__init__()
        self.backbone = nn.HybridSequential()
        self.backbone.add(nn.Conv2D(4, 3, in_channels=3), nn.BatchNorm(in_channels=4), nn.Activation('relu'))
        self.rpn_head = DWRPN()
        self.zbranch = None

    def template(self, zinput):
        self.zbranch = self.backbone(zinput)

    def track(self, xinput):
        cls, loc = self.rpn_head(self.zbranch, self.backbone(xinput))
        return {'cls': cls, 'loc': loc}


def siamrpn():
    """GluonCV's SiamRPN head: a depthwise cross-correlation that uses the template features as the
    weight of ``F.Convolution`` (``num_group`` = batch * channels, ``kernel`` from ``.shape``,
    ``NDArray.reshape`` with separate ints), in sequentials with ``prefix=''``, behind an RPN whose
    ``forward`` calls its cls branch twice; the tracker caches the template branch on the block.
    Eager (``.shape`` needs NDArrays): parameter count, cls / loc of a tracked frame outside
    training and, recorded, the gradients of the search image and of a head weight; the error two
    templates at once give (``num_filter`` below ``num_group``); and the error class of the
    hybridized correlation."""
    res = {}
    net = SiamTracker()
    net.initialize()
    z, x = rnd(141, 1, 3, 7, 7), rnd(142, 1, 3, 11, 11)      # one target, as the tracker runs
    net.template(z)
    net.track(x)
    set_params(net, 143)
    for p in net.collect_params('.*running_var').values():      # variances must be positive
        p.set_data(p.data().abs() + 0.5)
    net.template(z)
    out = net.track(x)
    res['n_params'] = len(list(net.collect_params().keys()))
    res['cls'], res['loc'] = L(out['cls']), L(out['loc'])
    x.attach_grad()
    with autograd.record():
        net.template(z)
        out = net.track(x)
        loss = (out['cls'] * out['cls']).sum() + out['loc'].sum()
    loss.backward()
    res['train_cls'] = L(out['cls'])
    res['xgrad'] = L(x.grad)
    res['head_grad'] = L(net.rpn_head.loc.head[3].weight.grad())
    try:        # two templates: num_filter = channels is then below num_group = 2 * channels
        net.template(rnd(141, 2, 3, 7, 7))
        net.track(rnd(142, 2, 3, 11, 11))
        res['batch2_error'] = None
    except mx.base.MXNetError:
        res['batch2_error'] = 'MXNetError'
    corr = DWXCorr(4, 4, 4)
    corr.initialize()
    corr(rnd(144, 1, 4, 5, 5), rnd(145, 1, 4, 7, 7))
    corr.hybridize()
    try:
        corr(rnd(144, 1, 4, 5, 5), rnd(145, 1, 4, 7, 7))
        res['hybrid_error'] = None
    except Exception as e:
        res['hybrid_error'] = type(e).__name__
    return res

PROGRAMS = ['resnest_splat', 'resnest_dropblock', 'hrnet_module', 'nbeats', 'tft', 'kalman', 'txl_attention',
            'nonlocal_block', 'quantile', 'angular_margin', 'gaussian_process', 'piecewise_linear', 'slowfast',
            'siamrpn']
