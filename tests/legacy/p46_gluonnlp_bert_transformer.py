# GluonNLP 0.x model code, shrunk: BERT (the self-attention cell that packs query/key/value
# weights per head for interleaved_matmul_selfatt_qk / _valatt, softmax with use_length,
# PositionwiseFFN with residual and LayerNorm(epsilon=1e-12), GELU both exact (LeakyReLU 'gelu'
# and erf) and tanh-approximated, positional Embedding over arange_like, the tanh pooler on the
# first token, the masked-LM decoder tied to the word embedding and reading the masked positions
# with gather_nd, the classifier) and the NMT Transformer's pieces (MultiHeadAttentionCell over a
# DotProductAttentionCell with div_sqrt_dim, batch_dot and the masked softmax filled by where,
# a sinusoidal position Constant, a causal mask built from broadcast_lesser_equal, and the
# encoder/decoder attention through interleaved_matmul_encdec_qk / _valatt). Dropout is 0.
import math
import os
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

tmp = tempfile.mkdtemp()


# ---------------------------------------------------------------- GELU / FFN
class GELU(gluon.HybridBlock):
    def __init__(self, approximate=False, prefix=None, params=None):
        super(GELU, self).__init__(prefix=prefix, params=params)
        self._approximate = approximate

    def hybrid_forward(self, F, x):
        if self._approximate:
            return 0.5 * x * (1 + F.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * (x ** 3))))
        return F.LeakyReLU(x, act_type='gelu')


class ErfGELU(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return x * 0.5 * (1.0 + F.erf(x / math.sqrt(2.0)))


class PositionwiseFFN(gluon.HybridBlock):
    def __init__(self, units=8, hidden_size=16, dropout=0.0, use_residual=True,
                 activation='gelu', layer_norm_eps=1e-12, prefix=None, params=None):
        super(PositionwiseFFN, self).__init__(prefix=prefix, params=params)
        self._use_residual = use_residual
        with self.name_scope():
            self.ffn_1 = nn.Dense(units=hidden_size, flatten=False, prefix='ffn_1_')
            self.activation = GELU() if activation == 'gelu' else nn.Activation(activation)
            self.ffn_2 = nn.Dense(units=units, flatten=False, prefix='ffn_2_')
            self.dropout_layer = nn.Dropout(dropout)
            self.layer_norm = nn.LayerNorm(in_channels=units, epsilon=layer_norm_eps)

    def hybrid_forward(self, F, inputs):
        outputs = self.ffn_2(self.activation(self.ffn_1(inputs)))
        outputs = self.dropout_layer(outputs)
        if self._use_residual:
            outputs = outputs + inputs
        return self.layer_norm(outputs)


x = nd.array(np.linspace(-3, 3, 7))
show('gelu exact', GELU()(x))
show('gelu erf', ErfGELU()(x))
show('gelu tanh', GELU(approximate=True)(x))


# ---------------------------------------------------------------- BERT
class DotProductSelfAttentionCell(gluon.HybridBlock):
    def __init__(self, units, num_heads, dropout=0.0, use_bias=True, prefix=None, params=None):
        super(DotProductSelfAttentionCell, self).__init__(prefix=prefix, params=params)
        self._num_heads, self.units = num_heads, units
        with self.name_scope():
            for n in ('query', 'key', 'value'):
                setattr(self, n + '_bias', self.params.get(n + '_bias', shape=(units,),
                                                          init='zeros'))
            for n in ('query', 'key', 'value'):
                setattr(self, n + '_weight', self.params.get(n + '_weight', shape=(units, units),
                                                            allow_deferred_init=True))
            self.dropout_layer = nn.Dropout(dropout)

    def hybrid_forward(self, F, qkv, valid_len, query_bias, key_bias, value_bias,
                       query_weight, key_weight, value_weight):
        # per head: [query rows, key rows, value rows], so that the interleaved ops find them
        ws = [w.reshape(shape=(self._num_heads, -1, 0), reverse=True)
              for w in (query_weight, key_weight, value_weight)]
        in_weight = F.concat(*ws, dim=-2).reshape(shape=(-1, 0), reverse=True)
        bs = [b.reshape(shape=(self._num_heads, -1), reverse=True)
              for b in (query_bias, key_bias, value_bias)]
        in_bias = F.concat(*bs, dim=-1).reshape(shape=(-1,), reverse=True)
        qkv_proj = F.FullyConnected(data=qkv, weight=in_weight, bias=in_bias,
                                    num_hidden=self.units * 3, no_bias=False, flatten=False)
        att_score = F.contrib.interleaved_matmul_selfatt_qk(qkv_proj, heads=self._num_heads)
        valid_len = F.broadcast_axis(F.expand_dims(valid_len, axis=1), axis=1,
                                     size=self._num_heads)
        valid_len = valid_len.reshape(shape=(-1, 0), reverse=True)
        att_weights = F.softmax(att_score, length=valid_len, use_length=True, axis=-1)
        att_weights = self.dropout_layer(att_weights)
        context_vec = F.contrib.interleaved_matmul_selfatt_valatt(qkv_proj, att_weights,
                                                                  heads=self._num_heads)
        att_weights = att_weights.reshape(shape=(-1, self._num_heads, 0, 0), reverse=True)
        return context_vec, att_weights


class BERTEncoderCell(gluon.HybridBlock):
    def __init__(self, units, hidden_size, num_heads, dropout=0.0, prefix=None, params=None):
        super(BERTEncoderCell, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.attention_cell = DotProductSelfAttentionCell(units, num_heads, dropout,
                                                              prefix='attention_')
            self.proj = nn.Dense(units=units, flatten=False, in_units=units, prefix='proj_')
            self.dropout_layer = nn.Dropout(dropout)
            self.layer_norm = nn.LayerNorm(in_channels=units, epsilon=1e-12)
            self.ffn = PositionwiseFFN(units, hidden_size, dropout, activation='gelu')

    def hybrid_forward(self, F, inputs, valid_len):
        outputs, attention_weights = self.attention_cell(inputs, valid_len)
        outputs = self.dropout_layer(self.proj(outputs))
        outputs = self.layer_norm(outputs + inputs)
        return self.ffn(outputs), attention_weights


class BERTEncoder(gluon.HybridBlock):
    def __init__(self, num_layers, units, hidden_size, max_length, num_heads, dropout=0.0,
                 prefix=None, params=None):
        super(BERTEncoder, self).__init__(prefix=prefix, params=params)
        self._max_length, self._units = max_length, units
        with self.name_scope():
            self.dropout_layer = nn.Dropout(dropout)
            self.layer_norm = nn.LayerNorm(in_channels=units, epsilon=1e-12)
            self.position_weight = self.params.get('position_weight', shape=(max_length, units))
            self.transformer_cells = nn.HybridSequential()
            for i in range(num_layers):
                self.transformer_cells.add(BERTEncoderCell(units, hidden_size, num_heads, dropout,
                                                           prefix='transformer%d_' % i))

    def hybrid_forward(self, F, inputs, valid_length, position_weight):
        # one valid length per query row: (batch, seq)
        valid_length = F.broadcast_like(F.expand_dims(F.cast(valid_length, 'int32'), axis=1),
                                        F.slice_axis(inputs, axis=2, begin=0, end=1).reshape((0, -1)))
        inputs = F.transpose(inputs, axes=(1, 0, 2))  # (seq, batch, units)
        steps = F.contrib.arange_like(inputs, axis=0)
        positional_embed = F.Embedding(steps, position_weight, self._max_length, self._units)
        inputs = F.broadcast_add(inputs, F.expand_dims(positional_embed, axis=1))
        inputs = self.layer_norm(self.dropout_layer(inputs))
        outputs, all_weights = inputs, []
        for cell in self.transformer_cells:
            outputs, w = cell(outputs, valid_length)
            all_weights.append(w)
        return F.transpose(outputs, axes=(1, 0, 2)), all_weights[-1]


class BERTModel(gluon.HybridBlock):
    def __init__(self, encoder, vocab_size, token_type_vocab_size, units, embed_size,
                 prefix=None, params=None):
        super(BERTModel, self).__init__(prefix=prefix, params=params)
        self._units = units
        with self.name_scope():
            self.encoder = encoder
            self.word_embed = nn.HybridSequential(prefix='word_embed_')
            with self.word_embed.name_scope():
                self.word_embed.add(nn.Embedding(vocab_size, embed_size))
            self.token_type_embed = nn.HybridSequential(prefix='token_type_embed_')
            with self.token_type_embed.name_scope():
                self.token_type_embed.add(nn.Embedding(token_type_vocab_size, embed_size))
            self.pooler = nn.Dense(units=units, flatten=False, activation='tanh', in_units=units,
                                   prefix='pooler_')
            self.decoder = nn.HybridSequential(prefix='decoder_')
            self.decoder.add(nn.Dense(units, flatten=False, in_units=units))
            self.decoder.add(GELU())
            self.decoder.add(nn.LayerNorm(in_channels=units, epsilon=1e-12))
            self.decoder.add(nn.Dense(vocab_size, flatten=False,
                                      params=self.word_embed[0].collect_params()))
        assert self.decoder[3].weight == list(self.word_embed[0].collect_params().values())[0]

    def hybrid_forward(self, F, inputs, token_types, valid_length, masked_positions):
        embedding = self.word_embed(inputs) + self.token_type_embed(token_types)
        seq_out, attention = self.encoder(embedding, valid_length)
        first = seq_out.slice(begin=(0, 0, 0), end=(None, 1, None))
        pooled_out = self.pooler(first.reshape(shape=(-1, self._units)))
        batch_idx = F.contrib.arange_like(masked_positions, axis=0).reshape((-1, 1))
        batch_idx = F.broadcast_like(batch_idx, masked_positions)
        position_idx = F.stack(batch_idx.reshape((-1,)), masked_positions.reshape((-1,)), axis=0)
        encoded = F.gather_nd(seq_out, position_idx)
        encoded = encoded.reshape_like(masked_positions, lhs_begin=-2, lhs_end=-1, rhs_begin=0)
        return seq_out, pooled_out, self.decoder(encoded), attention


class BERTClassifier(gluon.HybridBlock):
    def __init__(self, bert, num_classes=2, dropout=0.0, prefix=None, params=None):
        super(BERTClassifier, self).__init__(prefix=prefix, params=params)
        self.bert = bert
        with self.name_scope():
            self.classifier = nn.HybridSequential(prefix=prefix)
            if dropout:
                self.classifier.add(nn.Dropout(rate=dropout))
            self.classifier.add(nn.Dense(units=num_classes, in_units=8))

    def hybrid_forward(self, F, inputs, token_types, valid_length, masked_positions):
        _, pooler_out, mlm, _ = self.bert(inputs, token_types, valid_length, masked_positions)
        return self.classifier(pooler_out), mlm


vocab, units, heads, seq, batch = 13, 8, 2, 5, 3
encoder = BERTEncoder(num_layers=2, units=units, hidden_size=16, max_length=10, num_heads=heads,
                      prefix='encoder_')
bert = BERTModel(encoder, vocab, 2, units, units, prefix='bertmodel_')
model = BERTClassifier(bert, num_classes=3, dropout=0.0)
model.initialize(mx.init.Normal(0.02))
rng = np.random.RandomState(0)
inputs = nd.array(rng.randint(0, vocab, (batch, seq)))
token_types = nd.array(rng.randint(0, 2, (batch, seq)))
valid_length = nd.array([5, 3, 4])
masked = nd.array([[1, 2], [0, 2], [3, 1]])
label = nd.array([0, 2, 1])
mlm_label = nd.array(rng.randint(0, vocab, (batch, 2)))
model(inputs, token_types, valid_length, masked)
set_weights(model, 46, 0.3)
for name in sorted(model.collect_params().keys()):
    print(name, model.collect_params()[name].shape)
model.hybridize(static_alloc=True)
loss_fn = gluon.loss.SoftmaxCELoss()
trainer = gluon.Trainer(model.collect_params(), 'adam',
                        {'learning_rate': 0.01, 'epsilon': 1e-6, 'wd': 0.01})
params = [p for p in model.collect_params().values() if p.grad_req != 'null']
for step in range(3):
    with autograd.record():
        cls_out, mlm_out = model(inputs, token_types, valid_length, masked)
        ls = loss_fn(cls_out, label).mean() + loss_fn(mlm_out.reshape((-1, vocab)),
                                                     mlm_label.reshape((-1,))).mean()
    ls.backward()
    trainer.allreduce_grads()
    nd.waitall()
    total_norm = gluon.utils.clip_global_norm([p.grad() for p in params], 1.0)
    trainer.update(1)
    print('bert step %d loss %.6f norm %.6f' % (step, ls.asscalar(), total_norm))
seq_out, pooled, mlm_out, att = bert(inputs, token_types, valid_length, masked)
print('bert shapes', seq_out.shape, pooled.shape, mlm_out.shape, att.shape)
show('bert seq_out', seq_out)
show('bert pooled', pooled)
show('bert mlm', mlm_out)
show('bert attention row (valid 3)', att[1, 0, 0])
show('tied decoder weight grad', bert.decoder[3].weight.grad())
show('position weight grad', bert.encoder.position_weight.grad()[3:5])
model.save_parameters(os.path.join(tmp, 'bert.params'))
model2 = BERTClassifier(BERTModel(BERTEncoder(2, units, 16, 10, heads, prefix='encoder_'),
                                  vocab, 2, units, units, prefix='bertmodel_'), num_classes=3)
model2.load_parameters(os.path.join(tmp, 'bert.params'))
show('bert reloaded logits', model2(inputs, token_types, valid_length, masked)[0])
print('decoder bias shares embedding dict:', sorted(bert.decoder[3].collect_params().keys()))


# ---------------------------------------------------------------- Transformer (NMT) pieces
def _position_encoding_init(max_length, dim):
    position_enc = np.arange(max_length).reshape((-1, 1)) / (
        np.power(10000, (2. / dim) * np.arange(dim).reshape((1, -1))))
    position_enc[:, 0::2] = np.sin(position_enc[:, 0::2])
    position_enc[:, 1::2] = np.cos(position_enc[:, 1::2])
    return position_enc


def _masked_softmax(F, att_score, mask):
    if mask is not None:
        att_score = F.where(mask, att_score, -1e18 * F.ones_like(att_score))
        return F.softmax(att_score, axis=-1) * mask
    return F.softmax(att_score, axis=-1)


class DotProductAttentionCell(gluon.HybridBlock):
    def __init__(self, scaled=True, dropout=0.0, prefix=None, params=None):
        super(DotProductAttentionCell, self).__init__(prefix=prefix, params=params)
        self._scaled = scaled
        self._dropout_layer = nn.Dropout(dropout)

    def _compute_weight(self, F, query, key, mask=None):
        if self._scaled:
            query = F.contrib.div_sqrt_dim(query)
        att_score = F.batch_dot(query, key, transpose_b=True)
        return self._dropout_layer(_masked_softmax(F, att_score, mask))

    def hybrid_forward(self, F, query, key, value=None, mask=None):
        if value is None:
            value = key
        att_weights = self._compute_weight(F, query, key, mask)
        return F.batch_dot(att_weights, value), att_weights


class MultiHeadAttentionCell(gluon.HybridBlock):
    def __init__(self, base_cell, query_units, key_units, value_units, num_heads, use_bias=True,
                 prefix=None, params=None):
        super(MultiHeadAttentionCell, self).__init__(prefix=prefix, params=params)
        self._base_cell, self._num_heads = base_cell, num_heads
        with self.name_scope():
            self.proj_query = nn.Dense(query_units, use_bias=use_bias, flatten=False,
                                       prefix='query_')
            self.proj_key = nn.Dense(key_units, use_bias=use_bias, flatten=False, prefix='key_')
            self.proj_value = nn.Dense(value_units, use_bias=use_bias, flatten=False,
                                       prefix='value_')

    def _split(self, F, x):
        x = F.transpose(F.reshape(x, shape=(0, 0, self._num_heads, -1)), axes=(0, 2, 1, 3))
        return F.reshape(x, shape=(-1, 0, 0), reverse=True)

    def hybrid_forward(self, F, query, key, value=None, mask=None):
        if value is None:
            value = key
        q = self._split(F, self.proj_query(query))
        k = self._split(F, self.proj_key(key))
        v = self._split(F, self.proj_value(value))
        if mask is not None:
            mask = F.broadcast_axis(F.expand_dims(mask, axis=1), axis=1, size=self._num_heads)
            mask = F.reshape(mask, shape=(-1, 0, 0), reverse=True)
        context, att = self._base_cell(q, k, v, mask)
        context = F.reshape(context, shape=(-1, self._num_heads, 0, 0), reverse=True)
        context = F.reshape(F.transpose(context, axes=(0, 2, 1, 3)), shape=(0, 0, -1))
        att = F.reshape(att, shape=(-1, self._num_heads, 0, 0), reverse=True)
        return context, att


class TransformerDecoderCell(gluon.HybridBlock):
    def __init__(self, units, hidden_size, num_heads, prefix=None, params=None):
        super(TransformerDecoderCell, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self.attention_cell_in = MultiHeadAttentionCell(
                DotProductAttentionCell(scaled=True), units, units, units, num_heads,
                prefix='att_in_')
            self.attention_cell_inter = MultiHeadAttentionCell(
                DotProductAttentionCell(scaled=True), units, units, units, num_heads,
                prefix='att_inter_')
            self.proj_in = nn.Dense(units, flatten=False, use_bias=False, prefix='proj_in_')
            self.proj_inter = nn.Dense(units, flatten=False, use_bias=False, prefix='proj_inter_')
            self.ffn = PositionwiseFFN(units, hidden_size, activation='relu', layer_norm_eps=1e-5)
            self.layer_norm_in = nn.LayerNorm()
            self.layer_norm_inter = nn.LayerNorm()

    def hybrid_forward(self, F, inputs, mem_value, mask=None, mem_mask=None):
        out, _ = self.attention_cell_in(inputs, inputs, inputs, mask)
        out = self.layer_norm_in(self.proj_in(out) + inputs)
        out2, att = self.attention_cell_inter(out, mem_value, mem_value, mem_mask)
        out2 = self.layer_norm_inter(self.proj_inter(out2) + out)
        return self.ffn(out2), att


class TinyTransformer(gluon.HybridBlock):
    def __init__(self, vocab, units, max_length, prefix=None, params=None):
        super(TinyTransformer, self).__init__(prefix=prefix, params=params)
        self._units, self._max_length = units, max_length
        with self.name_scope():
            self.embed = nn.Embedding(vocab, units)
            self.position_weight = self.params.get_constant(
                'const', _position_encoding_init(max_length, units))
            self.cell = TransformerDecoderCell(units, 16, 2, prefix='transformer0_')
            self.proj = nn.Dense(vocab, flatten=False, params=self.embed.params, prefix='proj_')

    def hybrid_forward(self, F, tgt, mem, mem_mask, position_weight):
        x = self.embed(tgt) * math.sqrt(self._units)
        steps = F.arange(0, 4)
        x = F.broadcast_add(x, F.expand_dims(F.Embedding(steps, position_weight, self._max_length,
                                                         self._units), axis=0))
        arange = F.arange(0, 4)
        mask = F.broadcast_lesser_equal(arange.reshape((1, -1)), arange.reshape((-1, 1)))
        mask = F.broadcast_axis(F.expand_dims(mask, axis=0), axis=0, size=2)
        out, att = self.cell(x, mem, mask, mem_mask)
        return self.proj(out), att


tr = TinyTransformer(11, units, 8, prefix='transformer_')
tr.initialize(mx.init.Xavier(magnitude=3.0))
print(sorted(tr.collect_params().keys()))
show('position const row 3', tr.position_weight.data()[3])
tgt = nd.array(rng.randint(0, 11, (2, 4)))
mem = nd.array(rng.uniform(-1, 1, (2, 3, units)))
mem_mask = nd.array([[[1, 1, 1]] * 4, [[1, 1, 0]] * 4])
tr(tgt, mem, mem_mask)
set_weights(tr, 47, 0.3)
tr.hybridize()
tr_trainer = gluon.Trainer(tr.collect_params(), 'sgd', {'learning_rate': 0.5})
for step in range(3):
    with autograd.record():
        logits, att = tr(tgt, mem, mem_mask)
        l = gluon.loss.SoftmaxCELoss()(logits, tgt)
    l.backward()
    tr_trainer.step(2)
    show('transformer loss %d' % step, l)
show('transformer att (masked key 2)', att[1, 1])
show('transformer embed grad', tr.embed.weight.grad()[:2])

# The encoder/decoder attention of GluonNLP's fast path: interleaved q and kv projections.
q_proj = nd.array(rng.uniform(-1, 1, (4, 2, 2 * 4)))     # (tgt_len, batch, heads*head_dim)
kv_proj = nd.array(rng.uniform(-1, 1, (3, 2, 2 * 2 * 4)))  # (src_len, batch, heads*2*head_dim)
q_proj.attach_grad()
kv_proj.attach_grad()
with autograd.record():
    score = nd.contrib.interleaved_matmul_encdec_qk(q_proj, kv_proj, heads=2)
    att = nd.softmax(score, axis=-1)
    ctx_vec = nd.contrib.interleaved_matmul_encdec_valatt(kv_proj, att, heads=2)
ctx_vec.backward(nd.ones_like(ctx_vec) * nd.arange(8).reshape((1, 1, 8)))
print('encdec shapes', score.shape, ctx_vec.shape)
show('encdec ctx', ctx_vec)
show('encdec q grad', q_proj.grad)
show('encdec kv grad', kv_proj.grad)
