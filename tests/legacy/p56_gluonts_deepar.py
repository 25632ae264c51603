# GluonTS 0.x (its MXNet-era model code), shrunk: DeepAR's pieces. The MeanScaler (per-series
# mean of absolute observed values, a batch default through where, maximum with a minimum scale,
# broadcast_div), lagged subsequences cut by slice_axis and stacked, a FeatureEmbedder that splits
# the categorical columns (F.split with squeeze_axis) into one Embedding each, the
# HybridSequentialRNNCell of LSTMCells with a ResidualCell around the upper layers unrolled with
# begin_state(func=F.zeros, batch_size=0 when hybridized), the ArgProj projection (register_child'ed
# Dense(flatten=False) layers and a domain map through softrelu), the StudentT and Gaussian
# log-likelihoods (gammaln, log1p), the weighted average loss over observed values, Adam with
# clip_gradient and weight decay, hybridized training, and the scaled mean forecast unrolled step
# by step from the training network's final state. The series are small NumPy arrays; sampling
# (each framework's own generator) is replaced by the distribution's mean.
import math

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import HybridBlock
from _common import named_uniform, show

rng = np.random.RandomState(56)
SeededInit = named_uniform(mx, default_scale=0.3)

batch_size, history_length, context_length, prediction_length = 4, 10, 6, 3
lags_seq = [1, 2, 4]
num_cells, num_layers, embedding_dim, cardinality = 8, 2, 3, [3, 2]

t = np.arange(history_length + prediction_length)
series = np.stack([10 * (i + 1) + 3 * np.sin(t / 2.0 + i) + rng.normal(scale=0.5, size=t.size)
                   for i in range(batch_size)]).astype('float32')
observed = np.ones_like(series)
observed[1, 2] = 0.0
observed[3, :4] = 0.0
feat_static_cat = np.array([[0, 1], [1, 0], [2, 1], [1, 1]], dtype='float32')
time_feat = np.stack([np.sin(t / 3.0), np.cos(t / 3.0)], axis=-1)
time_feat = np.broadcast_to(time_feat, (batch_size,) + time_feat.shape).astype('float32')


class MeanScaler(HybridBlock):
    def __init__(self, minimum_scale=1e-10, **kwargs):
        super(MeanScaler, self).__init__(**kwargs)
        self.minimum_scale = minimum_scale

    def hybrid_forward(self, F, data, observed_indicator):
        num_observed = F.sum(observed_indicator, axis=1)
        sum_observed = (data.abs() * observed_indicator).sum(axis=1)
        total_observed = num_observed.sum(axis=0)
        denominator = F.maximum(total_observed, 1.0)
        default_scale = sum_observed.sum(axis=0) / denominator
        scale = sum_observed / F.maximum(num_observed, 1.0)
        cond = F.broadcast_greater(sum_observed, F.zeros_like(sum_observed))
        scale = F.where(cond, scale, F.broadcast_mul(default_scale, F.ones_like(num_observed)))
        scale = F.maximum(scale, self.minimum_scale)
        return F.broadcast_div(data, scale.expand_dims(axis=1)), scale


scaler = MeanScaler()
x = nd.array(series[:, :history_length])
scaled, scale = scaler(x, nd.array(observed[:, :history_length]))
show('scale', scale)
zero_rows = nd.array(np.vstack([series[:2, :history_length], np.zeros((1, history_length))]))
_, scale2 = scaler(zero_rows, nd.ones((3, history_length)))
show('scale with a zero series', scale2)


def get_lagged_subsequences(F, sequence, sequence_length, indices, subsequences_length):
    assert max(indices) + subsequences_length <= sequence_length, (
        'lags cannot go further than history length, found lag %d while history length is '
        'only %d' % (max(indices), sequence_length))
    lagged_values = []
    for lag_index in indices:
        begin_index = -lag_index - subsequences_length
        end_index = -lag_index if lag_index > 0 else None
        lagged_values.append(F.slice_axis(sequence, axis=1, begin=begin_index, end=end_index))
    return F.stack(*lagged_values, axis=-1)


lags = get_lagged_subsequences(nd, x, history_length, lags_seq, context_length)
print('lags', lags.shape, lags[0, :, 0].asnumpy().round(3).tolist())
try:
    get_lagged_subsequences(nd, x, history_length, [6], context_length)
except AssertionError as e:
    print('AssertionError', e)


class FeatureEmbedder(HybridBlock):
    def __init__(self, cardinalities, embedding_dims, **kwargs):
        super(FeatureEmbedder, self).__init__(**kwargs)
        self.__num_features = len(cardinalities)
        self.__embedders = []
        with self.name_scope():
            for index, (c, d) in enumerate(zip(cardinalities, embedding_dims)):
                embedding = gluon.nn.Embedding(c, d, prefix='cat_%d_embedding_' % index)
                self.register_child(embedding)
                self.__embedders.append(embedding)

    def hybrid_forward(self, F, features):
        if self.__num_features > 1:
            cat_feature_slices = F.split(features, axis=-1, num_outputs=self.__num_features,
                                         squeeze_axis=True)
        else:
            cat_feature_slices = [features]
        return F.concat(*[embed(cat_feature_slice) for embed, cat_feature_slice in
                          zip(self.__embedders, cat_feature_slices)], dim=-1)


def softplus(F, x):
    return F.Activation(x, act_type='softrelu')


class StudentTOutput(object):
    args_dim = {'mu': 1, 'sigma': 1, 'nu': 1}

    @classmethod
    def domain_map(cls, F, mu, sigma, nu):
        sigma = F.maximum(softplus(F, sigma), 1e-6)
        nu = 2.0 + softplus(F, nu)
        return mu.squeeze(axis=-1), sigma.squeeze(axis=-1), nu.squeeze(axis=-1)


class GaussianOutput(object):
    args_dim = {'mu': 1, 'sigma': 1}

    @classmethod
    def domain_map(cls, F, mu, sigma):
        sigma = softplus(F, sigma)
        return mu.squeeze(axis=-1), sigma.squeeze(axis=-1)


def student_t_log_prob(F, x, mu, sigma, nu):
    nup1_half = (nu + 1.0) / 2.0
    part1 = 1.0 / nu * F.square((x - mu) / sigma)
    Z = (F.gammaln(nup1_half) - F.gammaln(nu / 2.0) - 0.5 * F.log(math.pi * nu) -
         F.log(sigma))
    return Z - nup1_half * F.log1p(part1)


def gaussian_log_prob(F, x, mu, sigma):
    return -1.0 * (F.log(sigma) + 0.5 * math.log(2 * math.pi) +
                   0.5 * F.square((x - mu) / sigma))


class ArgProj(HybridBlock):
    def __init__(self, distr_output, **kwargs):
        super(ArgProj, self).__init__(**kwargs)
        self.distr_output = distr_output
        with self.name_scope():
            self.proj = [gluon.nn.Dense(dim, flatten=False, prefix='%s_' % name)
                         for name, dim in distr_output.args_dim.items()]
            for dense in self.proj:
                self.register_child(dense)

    def hybrid_forward(self, F, x):
        params_unbounded = [proj(x) for proj in self.proj]
        return self.distr_output.domain_map(F, *params_unbounded)


def weighted_average(F, x, weights=None, axis=None):
    if weights is not None:
        weighted_tensor = x * weights
        sum_weights = F.maximum(1.0, weights.sum(axis=axis))
        return weighted_tensor.sum(axis=axis) / sum_weights
    return x.mean(axis=axis)


class DeepARTrainingNetwork(HybridBlock):
    def __init__(self, distr_output, log_prob, **kwargs):
        super(DeepARTrainingNetwork, self).__init__(**kwargs)
        self.distr_output, self.log_prob = distr_output, log_prob
        with self.name_scope():
            self.proj_distr_args = ArgProj(distr_output)
            self.rnn = gluon.rnn.HybridSequentialRNNCell()
            for k in range(num_layers):
                cell = gluon.rnn.LSTMCell(hidden_size=num_cells)
                cell = gluon.rnn.ResidualCell(cell) if k > 0 else cell
                self.rnn.add(cell)
            self.embedder = FeatureEmbedder(cardinality, [embedding_dim] * len(cardinality))
            self.scaler = MeanScaler()

    def unroll_encoder(self, F, past_target, past_observed, past_time_feat, feat_static_cat):
        sequence = past_target
        subsequences_length = context_length
        lags = get_lagged_subsequences(F, sequence, history_length, lags_seq,
                                       subsequences_length)
        _, scale = self.scaler(
            F.slice_axis(past_target, axis=1, begin=-context_length, end=None),
            F.slice_axis(past_observed, axis=1, begin=-context_length, end=None))
        lags_scaled = F.broadcast_div(lags, scale.expand_dims(axis=-1).expand_dims(axis=-1))
        embedded_cat = self.embedder(feat_static_cat)
        static_feat = F.concat(embedded_cat, F.log(scale.expand_dims(axis=-1)), dim=1)
        repeated_static_feat = static_feat.expand_dims(axis=1).repeat(axis=1,
                                                                      repeats=subsequences_length)
        inputs = F.concat(lags_scaled, F.slice_axis(past_time_feat, axis=1,
                                                    begin=-subsequences_length, end=None),
                          repeated_static_feat, dim=-1)
        outputs, state = self.rnn.unroll(
            inputs=inputs, length=subsequences_length, layout='NTC', merge_outputs=True,
            begin_state=self.rnn.begin_state(
                func=F.zeros, batch_size=inputs.shape[0] if isinstance(inputs, mx.nd.NDArray)
                else 0))
        return outputs, state, scale, static_feat

    def hybrid_forward(self, F, past_target, past_observed, past_time_feat, feat_static_cat):
        outputs, state, scale, _ = self.unroll_encoder(F, past_target, past_observed,
                                                       past_time_feat, feat_static_cat)
        distr_args = self.proj_distr_args(outputs)
        target = F.slice_axis(past_target, axis=1, begin=-context_length, end=None)
        observed = F.slice_axis(past_observed, axis=1, begin=-context_length, end=None)
        scale_b = scale.expand_dims(axis=1)
        mu = F.broadcast_mul(distr_args[0], scale_b)
        sigma = F.broadcast_mul(distr_args[1], scale_b)
        loss = -self.log_prob(F, target, mu, sigma, *distr_args[2:])
        weighted_loss = weighted_average(F, loss, weights=observed, axis=1)
        return weighted_loss, loss


def forecast_mean(net, past_target, past_observed, time_feat_all, feat_static_cat):
    past_time_feat = time_feat_all[:, :history_length]
    _, state, scale, static_feat = net.unroll_encoder(nd, past_target, past_observed,
                                                      past_time_feat, feat_static_cat)
    sequence, means = past_target, []
    for k in range(prediction_length):
        lags = get_lagged_subsequences(nd, sequence, history_length + k, lags_seq, 1)
        lags_scaled = nd.broadcast_div(lags, scale.expand_dims(axis=-1).expand_dims(axis=-1))
        inputs = nd.concat(lags_scaled, time_feat_all[:, history_length + k:
                                                      history_length + k + 1],
                           static_feat.expand_dims(axis=1), dim=-1)
        output, state = net.rnn.unroll(inputs=inputs, length=1, layout='NTC',
                                       merge_outputs=True, begin_state=state)
        mu = net.proj_distr_args(output)[0] * scale.expand_dims(axis=1)
        means.append(mu)
        sequence = nd.concat(sequence, mu, dim=1)
    return nd.concat(*means, dim=1)


inputs = [nd.array(series[:, :history_length]), nd.array(observed[:, :history_length]),
          nd.array(time_feat[:, :history_length]), nd.array(feat_static_cat)]
for distr_output, log_prob in [(StudentTOutput, student_t_log_prob),
                               (GaussianOutput, gaussian_log_prob)]:
    net = DeepARTrainingNetwork(distr_output, log_prob, prefix='deepar_')
    net.initialize(SeededInit())
    before, _ = net(*inputs)
    net.hybridize()
    after, per_step = net(*inputs)
    print(distr_output.__name__, 'eager equals hybridized',
          np.allclose(before.asnumpy(), after.asnumpy(), rtol=1e-5, atol=1e-6),
          'per-step loss', per_step.shape)
    show('initial loss', after)
    trainer = gluon.Trainer(net.collect_params(), optimizer='adam',
                            optimizer_params={'learning_rate': 0.01, 'wd': 1e-8,
                                              'clip_gradient': 10.0})
    for epoch in range(3):
        with autograd.record():
            loss, _ = net(*inputs)
        loss.backward()
        trainer.step(batch_size)
        print('epoch %d, loss %.5f' % (epoch, loss.mean().asscalar()))
    print(len(net.collect_params().keys()), 'parameters', sorted(net.collect_params().keys())[:4])
    forecast = forecast_mean(net, inputs[0], inputs[1], nd.array(time_feat),
                             inputs[3])
    show('mean forecast', forecast[:, :])
