# GluonNLP 0.x model code, shrunk: the AWD-LSTM language model (AWDRNN: one rnn.LSTM per layer,
# weight drop by swapping h2h weights for a Parameter subclass whose data() applies Dropout,
# applied through the blocks' _reg_params / ParameterDict internals as apply_weight_drop does,
# Dropout with axes=(0,) between layers, the decoder Dense tied to the embedding's params,
# truncated BPTT with detached states and clip_global_norm), the masked losses
# (SoftmaxCEMaskedLoss through SequenceMask, LabelSmoothing by one_hot), a GNMT-style
# encoder/decoder (BidirectionalCell unrolled with valid_length, MLPAttentionCell with the
# where-filled masked softmax) and BeamSearchSampler's step (BeamSearchScorer's length penalty,
# topk over beams x vocabulary, broadcast_mod / floor to split the indices, take to reorder
# samples and states, the alive mask ended by EOS). Dropout rates that matter are 0, or the
# network runs in predict mode (weight drop is 'training' only); the train-mode pass prints
# properties only.
import math

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show


# ---------------------------------------------------------------- weight drop
class WeightDropParameter(gluon.Parameter):
    def __init__(self, parameter, rate=0.0, mode='training', axes=()):
        p = parameter
        super(WeightDropParameter, self).__init__(
            name=p.name, grad_req=p.grad_req, shape=p._shape, dtype=p.dtype, lr_mult=p.lr_mult,
            wd_mult=p.wd_mult, init=p.init, allow_deferred_init=p._allow_deferred_init,
            differentiable=p._differentiable)
        self._rate, self._mode, self._axes = rate, mode, axes
        self._deferred_init = p._deferred_init
        self._var, self._data, self._grad = p._var, p._data, p._grad
        self._ctx_list, self._ctx_map, self._trainer = p._ctx_list, p._ctx_map, p._trainer

    def data(self, ctx=None):
        d = self._check_and_get(self._data, ctx)
        if self._rate:
            d = nd.Dropout(d, self._rate, self._mode, self._axes)
        return d

    def __repr__(self):
        return 'WeightDropParameter %s (shape=%s, rate=%s, mode=%s)' % (
            self.name, self.shape, self._rate, self._mode)


def apply_weight_drop(block, local_param_regex, rate, axes=(), weight_dropout_mode='training'):
    import re
    pattern = re.compile(local_param_regex)
    todo = [block]
    while todo:
        b = todo.pop()
        for local_name, p in list(b._reg_params.items()):
            if pattern.match(local_name):
                dropped = WeightDropParameter(p, rate, weight_dropout_mode, axes)
                b._reg_params[local_name] = dropped
                params = b._params
                while params is not None:
                    if p.name in params._params:
                        params._params[p.name] = dropped
                    params = params._shared
                if getattr(b, local_name, None) is p:
                    super(gluon.Block, b).__setattr__(local_name, dropped)
        todo.extend(b._children.values())


def _get_rnn_layer(mode, num_layers, input_size, hidden_size, dropout, weight_dropout):
    block = {'lstm': rnn.LSTM, 'gru': rnn.GRU}[mode](hidden_size, num_layers, dropout=dropout,
                                                    input_size=input_size)
    if weight_dropout:
        apply_weight_drop(block, '.*h2h_weight', rate=weight_dropout)
    return block


class AWDRNN(gluon.HybridBlock):
    def __init__(self, mode, vocab_size, embed_size, hidden_size, num_layers, tie_weights=True,
                 dropout=0.0, weight_drop=0.0, drop_h=0.0, drop_i=0.0, drop_e=0.0, **kwargs):
        super(AWDRNN, self).__init__(**kwargs)
        self._mode, self._vocab_size, self._embed_size = mode, vocab_size, embed_size
        self._hidden_size, self._num_layers, self._tie_weights = hidden_size, num_layers, tie_weights
        self._dropout, self._weight_drop = dropout, weight_drop
        self._drop_h, self._drop_i, self._drop_e = drop_h, drop_i, drop_e
        with self.name_scope():
            self.embedding = self._get_embedding()
            self.encoder = self._get_encoder()
            self.decoder = self._get_decoder()

    def _get_embedding(self):
        embedding = nn.HybridSequential()
        with embedding.name_scope():
            embedding_block = nn.Embedding(self._vocab_size, self._embed_size,
                                           weight_initializer=mx.init.Uniform(0.1))
            if self._drop_e:
                apply_weight_drop(embedding_block, 'weight', self._drop_e, axes=(1,))
            embedding.add(embedding_block)
            if self._drop_i:
                embedding.add(nn.Dropout(self._drop_i, axes=(0,)))
        return embedding

    def _get_encoder(self):
        encoder = nn.HybridSequential()
        with encoder.name_scope():
            for l in range(self._num_layers):
                last = l == self._num_layers - 1
                encoder.add(_get_rnn_layer(
                    self._mode, 1, self._embed_size if l == 0 else self._hidden_size,
                    self._embed_size if last and self._tie_weights else self._hidden_size,
                    0, self._weight_drop))
        return encoder

    def _get_decoder(self):
        output = nn.HybridSequential()
        with output.name_scope():
            if self._tie_weights:
                output.add(nn.Dense(self._vocab_size, flatten=False,
                                    params=self.embedding[0].params))
            else:
                output.add(nn.Dense(self._vocab_size, flatten=False))
        return output

    def begin_state(self, *args, **kwargs):
        return [c.begin_state(*args, **kwargs) for c in self.encoder]

    def hybrid_forward(self, F, inputs, begin_state=None):
        encoded = self.embedding(inputs)
        if not begin_state:
            begin_state = self.begin_state(batch_size=inputs.shape[1])
        out_states = []
        for i, (e, s) in enumerate(zip(self.encoder, begin_state)):
            encoded, state = e(encoded, s)
            out_states.append(state)
            if self._drop_h and i != len(self.encoder) - 1:
                encoded = F.Dropout(encoded, p=self._drop_h, axes=(0,))
        if self._dropout:
            encoded = F.Dropout(encoded, p=self._dropout, axes=(0,))
        with autograd.predict_mode():
            out = self.decoder(encoded)
        return out, out_states


def detach(hidden):
    if isinstance(hidden, (tuple, list)):
        return [detach(i) for i in hidden]
    return hidden.detach()


vocab, bptt, batch = 12, 4, 3
lm = AWDRNN('lstm', vocab, 6, 8, 2, tie_weights=True, weight_drop=0.5, drop_e=0.1)
for name, p in sorted(lm.collect_params().items()):
    print(type(p).__name__, name, p.shape)
print(lm.encoder[0].l0_h2h_weight)
lm.initialize(mx.init.Xavier())
set_weights(lm, 47, 0.3)
print('tied:', lm.decoder[0].weight is lm.embedding[0].weight)
rng = np.random.RandomState(0)
corpus = nd.array(rng.randint(0, vocab, (3 * bptt + 1, batch)))
trainer = gluon.Trainer(lm.collect_params(), 'sgd', {'learning_rate': 1.0, 'momentum': 0,
                                                      'wd': 1.2e-6})
loss = gluon.loss.SoftmaxCrossEntropyLoss()
hidden = lm.begin_state(batch_size=batch, func=nd.zeros)
params = [p for p in lm.collect_params().values() if p.grad_req != 'null']
for i in range(0, 3 * bptt, bptt):
    data, target = corpus[i:i + bptt], corpus[i + 1:i + 1 + bptt]
    hidden = detach(hidden)
    with autograd.record(train_mode=False):
        output, hidden = lm(data, hidden)
        l = loss(output.reshape((-3, -1)), target.reshape((-1,)))
    l.backward()
    grads = [p.grad() for p in params]
    norm = gluon.utils.clip_global_norm(grads, 0.25)
    trainer.step(1)
    print('awd bptt %d loss %.6f ppl %.4f norm %.6f' % (i, l.mean().asscalar(),
                                                       math.exp(l.mean().asscalar()), norm))
show('awd h2h weight', lm.encoder[1].l0_h2h_weight.data())
show('awd h2h grad', lm.encoder[1].l0_h2h_weight.grad())
show('awd embedding grad', lm.embedding[0].weight.grad()[:2])
show('awd state', hidden[1][0])
with autograd.record(train_mode=True):
    out_train, _ = lm(corpus[:bptt], lm.begin_state(batch_size=batch, func=nd.zeros))
out_pred, _ = lm(corpus[:bptt], lm.begin_state(batch_size=batch, func=nd.zeros))
print('weight drop in train mode:', out_train.shape,
      bool((out_train - out_pred).abs().sum().asscalar() > 0))


# ---------------------------------------------------------------- masked losses
class SoftmaxCEMaskedLoss(gluon.loss.SoftmaxCELoss):
    def hybrid_forward(self, F, pred, label, valid_length):
        sample_weight = F.cast(F.expand_dims(F.ones_like(label), axis=-1), dtype=np.float32)
        sample_weight = F.SequenceMask(sample_weight, sequence_length=valid_length,
                                       use_sequence_length=True, axis=1)
        return super(SoftmaxCEMaskedLoss, self).hybrid_forward(F, pred, label, sample_weight)


class LabelSmoothing(gluon.HybridBlock):
    def __init__(self, axis=-1, epsilon=0.1, units=None, prefix=None, params=None):
        super(LabelSmoothing, self).__init__(prefix=prefix, params=params)
        self._axis, self._epsilon, self._units = axis, epsilon, units

    def hybrid_forward(self, F, inputs, units=None):
        units = self._units if units is None else units
        return F.one_hot(inputs, depth=units, on_value=1.0 - self._epsilon + self._epsilon / units,
                         off_value=self._epsilon / units)


pred = nd.array(rng.uniform(-1, 1, (2, 4, 5)))
lab = nd.array([[1, 2, 3, 4], [0, 1, 2, 3]])
vl = nd.array([4, 2])
masked_loss = SoftmaxCEMaskedLoss()
masked_loss.hybridize()
pred.attach_grad()
with autograd.record():
    ml = masked_loss(pred, lab, vl)
ml.backward()
show('masked ce', ml)
show('masked ce grad (masked steps 0)', pred.grad[1])
smooth = LabelSmoothing(epsilon=0.1, units=5)
soft = smooth(lab)
show('smoothed labels', soft[0, 0])
show('smoothed ce', gluon.loss.SoftmaxCELoss(sparse_label=False)(pred, soft))


# ---------------------------------------------------------------- GNMT-style seq2seq
def _masked_softmax(F, att_score, mask):
    if mask is not None:
        att_score = F.where(mask, att_score, -1e18 * F.ones_like(att_score))
        return F.softmax(att_score, axis=-1) * mask
    return F.softmax(att_score, axis=-1)


class MLPAttentionCell(gluon.HybridBlock):
    def __init__(self, units, act=nn.Activation('tanh'), normalized=False, dropout=0.0,
                 prefix=None, params=None):
        super(MLPAttentionCell, self).__init__(prefix=prefix, params=params)
        self._units, self._act, self._normalized = units, act, normalized
        with self.name_scope():
            self._dropout_layer = nn.Dropout(dropout)
            self._query_mid_layer = nn.Dense(units, flatten=False, use_bias=False,
                                             prefix='query_')
            self._key_mid_layer = nn.Dense(units, flatten=False, use_bias=True, prefix='key_')
            self._attention_score = nn.Dense(1, in_units=units, flatten=False, use_bias=False,
                                             prefix='score_')

    def hybrid_forward(self, F, query, key, value=None, mask=None):
        value = key if value is None else value
        mid_feat = F.broadcast_add(F.expand_dims(self._query_mid_layer(query), axis=2),
                                   F.expand_dims(self._key_mid_layer(key), axis=1))
        att_score = self._attention_score(self._act(mid_feat)).reshape(shape=(0, 0, 0))
        att_weights = self._dropout_layer(_masked_softmax(F, att_score, mask))
        return F.batch_dot(att_weights, value), att_weights


class GNMTEncoder(gluon.Block):
    def __init__(self, hidden_size=6, num_layers=2, prefix=None, params=None):
        super(GNMTEncoder, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.rnn_cells = nn.Sequential()
            with self.rnn_cells.name_scope():
                self.rnn_cells.add(rnn.BidirectionalCell(
                    rnn.LSTMCell(hidden_size, prefix='rnn0_l_'),
                    rnn.LSTMCell(hidden_size, prefix='rnn0_r_'), output_prefix='gnmt_bi_'))
                for i in range(1, num_layers):
                    self.rnn_cells.add(rnn.LSTMCell(hidden_size, prefix='rnn%d_' % i))

    def forward(self, inputs, valid_length):
        length = inputs.shape[1]
        new_states = []
        outputs, states = self.rnn_cells[0].unroll(length=length, inputs=inputs, begin_state=None,
                                                   valid_length=valid_length, layout='NTC',
                                                   merge_outputs=True)
        new_states.append(states)
        for i in range(1, len(self.rnn_cells)):
            layer_outputs, states = self.rnn_cells[i].unroll(
                length=length, inputs=outputs, begin_state=None, valid_length=valid_length,
                layout='NTC', merge_outputs=True)
            new_states.append(states)
            outputs = layer_outputs if i == 1 else layer_outputs + outputs
        return outputs, new_states


class GNMTDecoder(gluon.Block):
    def __init__(self, vocab, hidden_size=6, prefix=None, params=None):
        super(GNMTDecoder, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.tgt_embed = nn.Embedding(vocab, 4)
            self.attention_cell = MLPAttentionCell(hidden_size, prefix='att_')
            self.rnn_cell = rnn.LSTMCell(hidden_size, prefix='rnn0_')
            self.tgt_proj = nn.Dense(vocab, flatten=False, prefix='proj_')

    def init_state_from_encoder(self, encoder_outputs, encoder_valid_length):
        mem_value, rnn_states = encoder_outputs
        batch_size, _, mem_size = mem_value.shape
        attention_vec = nd.zeros(shape=(batch_size, mem_size), ctx=mem_value.context)
        length = mem_value.shape[1]
        mem_masks = nd.broadcast_lesser(nd.arange(length, ctx=mem_value.context).reshape((1, -1)),
                                        encoder_valid_length.reshape((-1, 1)))
        return [rnn_states[-1], attention_vec, mem_value, mem_masks]

    def __call__(self, step_input, states):  # one step, as BeamSearchSampler calls it
        rnn_states, attention_vec, mem_value, mem_masks = states
        x = nd.concat(self.tgt_embed(step_input), attention_vec, dim=-1)
        out, rnn_states = self.rnn_cell(x, rnn_states)
        context, att = self.attention_cell(out.expand_dims(axis=1), mem_value, mem_value,
                                           mem_masks.expand_dims(axis=1))
        context = context.reshape((0, -1))
        logits = self.tgt_proj(out + context)
        return nd.log_softmax(logits), [rnn_states, context, mem_value, mem_masks], att

    def decode_seq(self, inputs, states):
        outs = []
        for t in range(inputs.shape[1]):
            o, states, _ = self(inputs[:, t], states)
            outs.append(o)
        return nd.stack(*outs, axis=1), states


class NMTModel(gluon.Block):
    def __init__(self, src_vocab, tgt_vocab, prefix=None, params=None):
        super(NMTModel, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.src_embed = nn.Embedding(src_vocab, 4)
            self.encoder = GNMTEncoder(prefix='gnmt_enc_')
            self.decoder = GNMTDecoder(tgt_vocab, prefix='gnmt_dec_')

    def encode(self, src, src_valid_length):
        return self.encoder(self.src_embed(src), src_valid_length)

    def forward(self, src, tgt, src_valid_length):
        states = self.decoder.init_state_from_encoder(self.encode(src, src_valid_length),
                                                      src_valid_length)
        return self.decoder.decode_seq(tgt, states)[0]


src_vocab, tgt_vocab, bos, eos = 9, 7, 1, 2
nmt = NMTModel(src_vocab, tgt_vocab, prefix='nmt_')
nmt.initialize(mx.init.Uniform(0.1))
src = nd.array(rng.randint(3, src_vocab, (2, 5)))
src_vl = nd.array([5, 3])
tgt = nd.array([[bos, 3, 4, 5, eos], [bos, 6, 3, eos, 0]])
tgt_vl = nd.array([4, 3])
nmt(src, tgt[:, :-1], src_vl)
set_weights(nmt, 48, 0.4)
print(sorted(nmt.collect_params().keys()))
nmt_trainer = gluon.Trainer(nmt.collect_params(), 'adam', {'learning_rate': 0.02})
nmt_loss = SoftmaxCEMaskedLoss(from_logits=True)
for step in range(3):
    with autograd.record():
        out = nmt(src, tgt[:, :-1], src_vl)
        l = nmt_loss(out, tgt[:, 1:], tgt_vl).mean()
    l.backward()
    nmt_trainer.step(1)
    print('nmt step %d loss %.6f' % (step, l.asscalar()))
show('nmt attention key grad', nmt.decoder.attention_cell._key_mid_layer.weight.grad())
enc_params = nmt.encoder.collect_params()
show('nmt encoder backward-cell grad', enc_params[[k for k in enc_params.keys()
                                                    if 'r_i2h_weight' in k][0]].grad())


# ---------------------------------------------------------------- beam search
LARGE_NEGATIVE_FLOAT = -1e18


class BeamSearchScorer(gluon.HybridBlock):
    def __init__(self, alpha=1.0, K=5.0, from_logits=True, **kwargs):
        super(BeamSearchScorer, self).__init__(**kwargs)
        self._alpha, self._K, self._from_logits = alpha, K, from_logits

    def hybrid_forward(self, F, outputs, scores, step):
        if not self._from_logits:
            outputs = outputs.log_softmax()
        prev_lp = (self._K + step - 1) ** self._alpha / (self._K + 1) ** self._alpha
        prev_lp = prev_lp * (step != 1) + (step == 1)
        scores = F.broadcast_mul(scores, prev_lp)
        lp = (self._K + step) ** self._alpha / (self._K + 1) ** self._alpha
        candidates = F.broadcast_add(outputs, F.expand_dims(scores, axis=-1))
        return F.broadcast_div(candidates, lp)


def _expand_to_beam_size(data, beam_size, batch_size):
    if isinstance(data, list):
        return [_expand_to_beam_size(d, beam_size, batch_size) for d in data]
    return nd.broadcast_axis(data.expand_dims(axis=1), axis=1, size=beam_size).reshape((-3, -2))


def _choose_states(states, indices):
    if isinstance(states, list):
        return [_choose_states(s, indices) for s in states]
    return nd.take(states, indices, axis=0)


class BeamSearchSampler(object):
    def __init__(self, beam_size, decoder, eos_id, scorer=BeamSearchScorer(), max_length=6):
        self._beam_size, self._decoder, self._eos_id = beam_size, decoder, eos_id
        self._scorer, self._max_length = scorer, max_length

    def _step(self, samples, valid_length, outputs, scores, step, beam_alive_mask, states,
              vocab_size, batch_shift):
        F, beam_size = nd, self._beam_size
        alive = F.expand_dims(beam_alive_mask, axis=2)
        candidate_scores = self._scorer(outputs.reshape(shape=(-4, -1, beam_size, 0)), scores,
                                        step)
        candidate_scores = F.where(F.broadcast_like(alive, candidate_scores), candidate_scores,
                                   F.ones_like(candidate_scores) * LARGE_NEGATIVE_FLOAT)
        finished_scores = F.where(beam_alive_mask, F.ones_like(scores) * LARGE_NEGATIVE_FLOAT,
                                  scores)
        candidate_scores = F.concat(candidate_scores.reshape(shape=(0, -1)), finished_scores,
                                    dim=1)
        new_scores, indices = F.topk(candidate_scores, axis=1, k=beam_size, ret_typ='both')
        indices = indices.astype(np.int32)
        use_prev = F.broadcast_greater_equal(indices, F.ones_like(indices) * beam_size * vocab_size)
        chosen_word_ids = F.broadcast_mod(indices, F.ones_like(indices) * vocab_size)
        beam_ids = F.where(use_prev, indices - beam_size * vocab_size,
                           F.floor(indices.astype('float32') / vocab_size).astype(np.int32))
        batch_beam_indices = F.broadcast_add(beam_ids, F.expand_dims(batch_shift, axis=1))
        chosen_word_ids = F.where(use_prev, -F.ones_like(indices), chosen_word_ids)
        flat = batch_beam_indices.reshape(shape=(-1,))
        selected_samples = F.concat(F.take(samples.reshape(shape=(-3, 0)), flat),
                                    chosen_word_ids.reshape(shape=(-1, 1)), dim=1)
        selected_samples = selected_samples.reshape(shape=(-4, -1, beam_size, 0))
        new_valid_length = F.take(valid_length.reshape(shape=(-1,)), flat).reshape(
            (-1, beam_size)) + 1 - use_prev
        new_states = _choose_states(states, flat)
        beam_alive_mask = F.take(beam_alive_mask.reshape(shape=(-1,)), flat).reshape(
            shape=(-1, beam_size)) * (chosen_word_ids != self._eos_id)
        return selected_samples, new_scores, beam_alive_mask, new_states, new_valid_length

    def __call__(self, inputs, states):
        batch_size, beam_size = inputs.shape[0], self._beam_size
        states = _expand_to_beam_size(states, beam_size, batch_size)
        step_input = _expand_to_beam_size(inputs, beam_size, batch_size).astype(np.int32)
        scores = nd.zeros(shape=(batch_size, beam_size))
        if beam_size > 1:
            scores[:, 1:] = LARGE_NEGATIVE_FLOAT
        samples = step_input.reshape((batch_size, beam_size, 1))
        valid_length = nd.ones(shape=(batch_size, beam_size), dtype=np.int32)
        beam_alive_mask = nd.ones(shape=(batch_size, beam_size), dtype=np.int32)
        batch_shift = nd.arange(0, batch_size * beam_size, beam_size, dtype=np.int32)
        vocab_size = None
        for i in range(self._max_length):
            log_probs, new_states, _ = self._decoder(step_input, states)
            vocab_size = log_probs.shape[1]
            samples, scores, beam_alive_mask, states, valid_length = self._step(
                samples, valid_length, log_probs, scores, nd.array([i + 1]), beam_alive_mask,
                new_states, vocab_size, batch_shift)
            step_input = nd.relu(samples[:, :, -1]).reshape((-1,))
            if beam_alive_mask.sum().asscalar() == 0:
                break
        final_word = nd.where(beam_alive_mask, nd.full(shape=(batch_size, beam_size),
                                                       val=self._eos_id, dtype=np.int32),
                              nd.full(shape=(batch_size, beam_size), val=-1, dtype=np.int32))
        samples = nd.concat(samples, final_word.reshape((0, 0, 1)), dim=2)
        valid_length = valid_length + beam_alive_mask
        return samples, scores, valid_length


scorer = BeamSearchScorer(alpha=0.6, K=5.0)
show('scorer', scorer(nd.array([[[-1.0, -2.0]]]), nd.array([[-3.0]]), nd.array([2])))
enc = nmt.encode(src, src_vl)
dec_states = nmt.decoder.init_state_from_encoder(enc, src_vl)
sampler = BeamSearchSampler(beam_size=3, decoder=nmt.decoder, eos_id=eos, scorer=scorer,
                            max_length=5)
samples, scores, valid_len = sampler(nd.full((2,), bos), dec_states)
print('beam samples', samples.shape, samples.asnumpy().astype(int).tolist())
show('beam scores', scores)
print('beam valid length', valid_len.asnumpy().tolist())
