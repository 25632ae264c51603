# "Dive into Deep Learning" (MXNet edition, 0.7 with nd) style: the attention and sequence-to-
# sequence chapters. An Encoder / Decoder / EncoderDecoder family of nn.Blocks, the seq2seq
# encoder over rnn.LSTM with begin_state(batch_size=, ctx=), MaskedSoftmaxCELoss (a SoftmaxCELoss
# subclass overriding forward, weights from nd.SequenceMask), masked_softmax (repeat / reshape of
# the valid lengths, SequenceMask with value=-1e6), DotProductAttention and MLPAttention
# (Dense(flatten=False), expand_dims broadcasting, squeeze), the Bahdanau decoder that loops over
# time steps in Python, the Transformer (MultiHeadAttention with transpose_qkv / transpose_output
# and valid lengths tiled per head, PositionWiseFFN, AddNorm with LayerNorm, a positional
# encoding built in NumPy, decoder blocks caching their keys in the state and taking causal
# valid lengths while autograd.is_training()), training with Adam, gradient clipping by the
# global norm of the parameters' gradients, trainer.step(number of tokens), greedy prediction and
# BLEU. The English-French corpus is a small made-up one; Dropout is 0 and Xavier initialization
# an initializer seeded by parameter name.
import collections
import math

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import named_uniform, show

rng = np.random.RandomState(52)
ctx = mx.cpu()
SeededInit = named_uniform(mx, default_scale=0.3)

# ---------------------------------------------------------------- data
src_words = ['go', 'run', 'stop', 'hi', 'wait', 'help', 'now', 'home', 'me']
dictionary = {'go': 'va', 'run': 'cours', 'stop': 'arrete', 'hi': 'salut', 'wait': 'attends',
              'help': 'aide', 'now': 'maintenant', 'home': 'maison', 'me': 'moi'}
pairs = []
for _ in range(24):
    src = [src_words[i] for i in rng.choice(len(src_words), size=rng.randint(1, 4))]
    pairs.append((src + ['.'], [dictionary[w] for w in src][::-1] + ['!']))


class Vocab(object):
    def __init__(self, tokens, min_freq=0, use_special_tokens=False):
        counter = collections.Counter(tokens)
        token_freqs = sorted(counter.items(), key=lambda x: x[0])
        token_freqs.sort(key=lambda x: x[1], reverse=True)
        if use_special_tokens:
            self.pad, self.bos, self.eos, self.unk = (0, 1, 2, 3)
            tokens = ['<pad>', '<bos>', '<eos>', '<unk>']
        else:
            self.unk = 0
            tokens = ['<unk>']
        tokens += [token for token, freq in token_freqs if freq >= min_freq]
        self.idx_to_token = []
        self.token_to_idx = dict()
        for token in tokens:
            self.idx_to_token.append(token)
            self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]


def trim_pad(line, max_len, padding_token):
    if len(line) > max_len:
        return line[:max_len]
    return line + [padding_token] * (max_len - len(line))


def build_array(lines, vocab, max_len, is_source):
    lines = [vocab[l] for l in lines]
    if not is_source:
        lines = [[vocab.bos] + l + [vocab.eos] for l in lines]
    array = nd.array([trim_pad(l, max_len, vocab.pad) for l in lines])
    valid_len = (array != vocab.pad).sum(axis=1)
    return array, valid_len


num_steps = 6
src_vocab = Vocab([t for s, _ in pairs for t in s], use_special_tokens=True)
tgt_vocab = Vocab([t for _, t in pairs for t in t], use_special_tokens=True)
src_array, src_valid_len = build_array([s for s, _ in pairs], src_vocab, num_steps, True)
tgt_array, tgt_valid_len = build_array([t for _, t in pairs], tgt_vocab, num_steps, False)
train_iter = gluon.data.DataLoader(gluon.data.ArrayDataset(
    src_array, src_valid_len, tgt_array, tgt_valid_len), 8, shuffle=False)
for X, X_vlen, Y, Y_vlen in train_iter:
    print('X =', X.astype('int32')[0], '\nValid lengths for X =', X_vlen)
    break


# ---------------------------------------------------------------- encoder-decoder
class Encoder(nn.Block):
    def __init__(self, **kwargs):
        super(Encoder, self).__init__(**kwargs)

    def forward(self, X, *args):
        raise NotImplementedError


class Decoder(nn.Block):
    def __init__(self, **kwargs):
        super(Decoder, self).__init__(**kwargs)

    def init_state(self, enc_outputs, *args):
        raise NotImplementedError

    def forward(self, X, state):
        raise NotImplementedError


class EncoderDecoder(nn.Block):
    def __init__(self, encoder, decoder, **kwargs):
        super(EncoderDecoder, self).__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, enc_X, dec_X, *args):
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)


class Seq2SeqEncoder(Encoder):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqEncoder, self).__init__(**kwargs)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = rnn.LSTM(num_hiddens, num_layers, dropout=dropout)

    def forward(self, X, *args):
        X = self.embedding(X)
        X = X.swapaxes(0, 1)
        state = self.rnn.begin_state(batch_size=X.shape[1], ctx=X.context)
        out, state = self.rnn(X, state)
        return out, state


encoder = Seq2SeqEncoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
encoder.initialize()
X = nd.zeros((4, 7))
output, state = encoder(X)
print('encoder', output.shape, len(state), state[0].shape, state[1].shape)


class MaskedSoftmaxCELoss(gluon.loss.SoftmaxCELoss):
    def forward(self, pred, label, valid_length):
        weights = nd.ones_like(label).expand_dims(axis=-1)
        weights = nd.SequenceMask(weights, valid_length, True, axis=1)
        return super(MaskedSoftmaxCELoss, self).forward(pred, label, weights)


loss = MaskedSoftmaxCELoss()
show('masked loss', loss(nd.ones((3, 4, 10)), nd.ones((3, 4)), nd.array([4, 2, 0])))


# ---------------------------------------------------------------- attention
def masked_softmax(X, valid_length):
    if valid_length is None:
        return X.softmax()
    else:
        shape = X.shape
        if valid_length.ndim == 1:
            valid_length = valid_length.repeat(shape[1], axis=0)
        else:
            valid_length = valid_length.reshape((-1,))
        X = nd.SequenceMask(X.reshape((-1, shape[-1])), valid_length, True, axis=1, value=-1e6)
        return X.softmax().reshape(shape)


show('masked softmax', masked_softmax(nd.array(rng.uniform(size=(2, 2, 4))), nd.array([2, 3])))
show('masked softmax 2-d lengths',
     masked_softmax(nd.array(rng.uniform(size=(2, 2, 4))), nd.array([[1, 3], [2, 4]])))


class DotProductAttention(nn.Block):
    def __init__(self, dropout, **kwargs):
        super(DotProductAttention, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, valid_length=None):
        d = query.shape[-1]
        scores = nd.batch_dot(query, key, transpose_b=True) / math.sqrt(d)
        attention_weights = self.dropout(masked_softmax(scores, valid_length))
        return nd.batch_dot(attention_weights, value)


atten = DotProductAttention(dropout=0.0)
atten.initialize()
keys = nd.ones((2, 10, 2))
values = nd.arange(40).reshape((1, 10, 4)).repeat(2, axis=0)
show('dot-product attention', atten(nd.ones((2, 1, 2)), keys, values, nd.array([2, 6])))


class MLPAttention(nn.Block):
    def __init__(self, units, dropout, **kwargs):
        super(MLPAttention, self).__init__(**kwargs)
        self.W_k = nn.Dense(units, activation='tanh', use_bias=False, flatten=False)
        self.W_q = nn.Dense(units, activation='tanh', use_bias=False, flatten=False)
        self.v = nn.Dense(1, use_bias=False, flatten=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, valid_length):
        query, key = self.W_k(query), self.W_q(key)
        features = query.expand_dims(axis=2) + key.expand_dims(axis=1)
        scores = self.v(features).squeeze(axis=-1)
        attention_weights = self.dropout(masked_softmax(scores, valid_length))
        return nd.batch_dot(attention_weights, value)


atten = MLPAttention(units=8, dropout=0.0)
atten.initialize(mx.init.One())
show('MLP attention', atten(nd.ones((2, 1, 2)), keys, values, nd.array([2, 6])))


class Seq2SeqAttentionDecoder(Decoder):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0, **kwargs):
        super(Seq2SeqAttentionDecoder, self).__init__(**kwargs)
        self.attention_cell = MLPAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = rnn.LSTM(num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Dense(vocab_size, flatten=False)

    def init_state(self, enc_outputs, enc_valid_len, *args):
        outputs, hidden_state = enc_outputs
        return (outputs.swapaxes(0, 1), hidden_state, enc_valid_len)

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_len = state
        X = self.embedding(X).swapaxes(0, 1)
        outputs = []
        for x in X:
            query = hidden_state[0][-1].expand_dims(axis=1)
            context = self.attention_cell(query, enc_outputs, enc_outputs, enc_valid_len)
            x = nd.concat(context, x.expand_dims(axis=1), dim=-1)
            out, hidden_state = self.rnn(x.swapaxes(0, 1), hidden_state)
            outputs.append(out)
        outputs = self.dense(nd.concat(*outputs, dim=0))
        return outputs.swapaxes(0, 1), [enc_outputs, hidden_state, enc_valid_len]


# ---------------------------------------------------------------- transformer
class MultiHeadAttention(nn.Block):
    def __init__(self, units, num_heads, dropout, **kwargs):
        super(MultiHeadAttention, self).__init__(**kwargs)
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Dense(units, use_bias=False, flatten=False)
        self.W_k = nn.Dense(units, use_bias=False, flatten=False)
        self.W_v = nn.Dense(units, use_bias=False, flatten=False)
        self.W_o = nn.Dense(units, use_bias=False, flatten=False)

    def forward(self, query, key, value, valid_length):
        query = transpose_qkv(self.W_q(query), self.num_heads)
        key = transpose_qkv(self.W_k(key), self.num_heads)
        value = transpose_qkv(self.W_v(value), self.num_heads)
        if valid_length is not None:
            if valid_length.ndim == 1:
                valid_length = valid_length.tile(self.num_heads)
            else:
                valid_length = valid_length.tile((self.num_heads, 1))
        output = self.attention(query, key, value, valid_length)
        output_concat = transpose_output(output, self.num_heads)
        return self.W_o(output_concat)


def transpose_qkv(X, num_heads):
    X = X.reshape((X.shape[0], X.shape[1], num_heads, -1))
    X = X.transpose((0, 2, 1, 3))
    output = X.reshape((-1, X.shape[2], X.shape[3]))
    return output


def transpose_output(X, num_heads):
    X = X.reshape((-1, num_heads, X.shape[1], X.shape[2]))
    X = X.transpose((0, 2, 1, 3))
    return X.reshape((X.shape[0], X.shape[1], -1))


cell = MultiHeadAttention(90, 9, 0.0)
cell.initialize(SeededInit())
X = nd.ones((2, 4, 5))
valid_length = nd.array([2, 3])
show('multi-head', cell(X, X, X, valid_length)[1, 2, :8])
print('multi-head shape', cell(X, X, X, valid_length).shape)


class PositionWiseFFN(nn.Block):
    def __init__(self, ffn_num_hiddens, pw_num_outputs, **kwargs):
        super(PositionWiseFFN, self).__init__(**kwargs)
        self.dense1 = nn.Dense(ffn_num_hiddens, flatten=False, activation='relu')
        self.dense2 = nn.Dense(pw_num_outputs, flatten=False)

    def forward(self, X):
        return self.dense2(self.dense1(X))


class AddNorm(nn.Block):
    def __init__(self, dropout, **kwargs):
        super(AddNorm, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm()

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)


layer = nn.LayerNorm()
layer.initialize()
batch = nn.BatchNorm()
batch.initialize()
X = nd.array([[1, 2], [2, 3]])
with autograd.record():
    print('layer norm:', layer(X), '\nbatch norm:', batch(X))


class PositionalEncoding(nn.Block):
    def __init__(self, embed_size, dropout, max_len=1000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = np.zeros((1, max_len, embed_size))
        X = np.arange(0, max_len).reshape(-1, 1) / np.power(
            10000, np.arange(0, embed_size, 2) / embed_size)
        self.P[:, :, 0::2] = np.sin(X)
        self.P[:, :, 1::2] = np.cos(X)
        self.P = nd.array(self.P)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].as_in_context(X.context)
        return self.dropout(X)


pe = PositionalEncoding(20, 0)
pe.initialize()
Y = pe(nd.zeros((1, 100, 20)))
show('positional encoding row 3', Y[0, 3, 4:8])


class EncoderBlock(nn.Block):
    def __init__(self, embed_size, ffn_num_hiddens, num_heads, dropout, **kwargs):
        super(EncoderBlock, self).__init__(**kwargs)
        self.attention = MultiHeadAttention(embed_size, num_heads, dropout)
        self.addnorm1 = AddNorm(dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, embed_size)
        self.addnorm2 = AddNorm(dropout)

    def forward(self, X, valid_length):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_length))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(Encoder):
    def __init__(self, vocab_size, embed_size, ffn_num_hiddens, num_heads, num_layers, dropout,
                 **kwargs):
        super(TransformerEncoder, self).__init__(**kwargs)
        self.embed_size = embed_size
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.pos_encoding = PositionalEncoding(embed_size, dropout)
        self.blks = nn.Sequential()
        for i in range(num_layers):
            self.blks.add(EncoderBlock(embed_size, ffn_num_hiddens, num_heads, dropout))

    def forward(self, X, valid_length, *args):
        X = self.pos_encoding(self.embed(X) * math.sqrt(self.embed_size))
        for blk in self.blks:
            X = blk(X, valid_length)
        return X


class DecoderBlock(nn.Block):
    def __init__(self, embed_size, ffn_num_hiddens, num_heads, dropout, i, **kwargs):
        super(DecoderBlock, self).__init__(**kwargs)
        self.i = i
        self.attention_1 = MultiHeadAttention(embed_size, num_heads, dropout)
        self.addnorm_1 = AddNorm(dropout)
        self.attention_2 = MultiHeadAttention(embed_size, num_heads, dropout)
        self.addnorm_2 = AddNorm(dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, embed_size)
        self.addnorm_3 = AddNorm(dropout)

    def forward(self, X, state):
        enc_outputs, enc_valid_length = state[0], state[1]
        if state[2][self.i] is None:
            key_values = X
        else:
            key_values = nd.concat(state[2][self.i], X, dim=1)
        state[2][self.i] = key_values
        if autograd.is_training():
            batch_size, seq_len, _ = X.shape
            valid_length = nd.array(np.tile(np.arange(1, seq_len + 1), (batch_size, 1)),
                                    ctx=X.context)
        else:
            valid_length = None
        X2 = self.attention_1(X, key_values, key_values, valid_length)
        Y = self.addnorm_1(X, X2)
        Y2 = self.attention_2(Y, enc_outputs, enc_outputs, enc_valid_length)
        Z = self.addnorm_2(Y, Y2)
        return self.addnorm_3(Z, self.ffn(Z)), state


class TransformerDecoder(Decoder):
    def __init__(self, vocab_size, embed_size, ffn_num_hiddens, num_heads, num_layers, dropout,
                 **kwargs):
        super(TransformerDecoder, self).__init__(**kwargs)
        self.embed_size = embed_size
        self.num_layers = num_layers
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.pos_encoding = PositionalEncoding(embed_size, dropout)
        self.blks = nn.Sequential()
        for i in range(num_layers):
            self.blks.add(DecoderBlock(embed_size, ffn_num_hiddens, num_heads, dropout, i))
        self.dense = nn.Dense(vocab_size, flatten=False)

    def init_state(self, enc_outputs, env_valid_length, *args):
        return [enc_outputs, env_valid_length, [None] * self.num_layers]

    def forward(self, X, state):
        X = self.pos_encoding(self.embed(X) * math.sqrt(self.embed_size))
        for blk in self.blks:
            X, state = blk(X, state)
        return self.dense(X), state


# ---------------------------------------------------------------- training and prediction
def grad_clipping_gluon(model, theta, ctx):
    params = [p.data(ctx) for p in model.collect_params().values()]
    norm = nd.array([0.0], ctx)
    for param in params:
        norm += (param.grad ** 2).sum()
    norm = norm.sqrt().asscalar()
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train_s2s_ch8(model, data_iter, lr, num_epochs, ctx):
    model.initialize(SeededInit(), force_reinit=True, ctx=ctx)
    trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': lr})
    loss = MaskedSoftmaxCELoss()
    for epoch in range(1, num_epochs + 1):
        l_sum, num_tokens_sum = 0.0, 0.0
        for batch in data_iter:
            X, X_vlen, Y, Y_vlen = [x.as_in_context(ctx) for x in batch]
            Y_input, Y_label, Y_vlen = Y[:, :-1], Y[:, 1:], Y_vlen - 1
            with autograd.record():
                Y_hat, _ = model(X, Y_input, X_vlen, Y_vlen)
                l = loss(Y_hat, Y_label, Y_vlen)
            l.backward()
            grad_clipping_gluon(model, 5, ctx)
            num_tokens = Y_vlen.sum().asscalar()
            trainer.step(num_tokens)
            l_sum += l.sum().asscalar()
            num_tokens_sum += num_tokens
        print('epoch %d, loss %.4f' % (epoch, l_sum / num_tokens_sum))


def predict_s2s_ch8(model, src_sentence, src_vocab, tgt_vocab, num_steps, ctx):
    src_tokens = src_vocab[src_sentence.lower().split(' ')]
    enc_valid_length = nd.array([len(src_tokens)], ctx=ctx)
    src_tokens = trim_pad(src_tokens, num_steps, src_vocab.pad)
    enc_X = nd.array(src_tokens, ctx=ctx)
    enc_outputs = model.encoder(enc_X.expand_dims(axis=0), enc_valid_length)
    dec_state = model.decoder.init_state(enc_outputs, enc_valid_length)
    dec_X = nd.array([tgt_vocab.bos], ctx=ctx).expand_dims(axis=0)
    predict_tokens = []
    for _ in range(num_steps):
        Y, dec_state = model.decoder(dec_X, dec_state)
        dec_X = Y.argmax(axis=2)
        py = dec_X.squeeze(axis=0).astype('int32').asscalar()
        if py == tgt_vocab.eos:
            break
        predict_tokens.append(py)
    return ' '.join(tgt_vocab.to_tokens(predict_tokens))


def bleu(pred_tokens, label_tokens, k):
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / max(len_pred, 1)))
    for n in range(1, k + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[''.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[''.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[''.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / max(len_pred - n + 1, 1), math.pow(0.5, n))
    return score


sentences = ['go now .', 'help me .', 'hi .', 'wait home .']
references = ['maintenant va !', 'moi aide !', 'salut !', 'maison attends !']

encoder = Seq2SeqEncoder(len(src_vocab), 8, 12, 2)
decoder = Seq2SeqAttentionDecoder(len(tgt_vocab), 8, 12, 2)
model = EncoderDecoder(encoder, decoder)
train_s2s_ch8(model, train_iter, 0.01, 4, ctx)
for sentence, ref in zip(sentences, references):
    pred = predict_s2s_ch8(model, sentence, src_vocab, tgt_vocab, num_steps, ctx)
    print(sentence + ' => ' + pred, 'bleu %.3f' % bleu(pred.split(' '), ref.split(' '), 2))

encoder = TransformerEncoder(len(src_vocab), 16, 24, 4, 2, 0.0)
decoder = TransformerDecoder(len(tgt_vocab), 16, 24, 4, 2, 0.0)
model = EncoderDecoder(encoder, decoder)
train_s2s_ch8(model, train_iter, 0.005, 4, ctx)
for sentence, ref in zip(sentences, references):
    pred = predict_s2s_ch8(model, sentence, src_vocab, tgt_vocab, num_steps, ctx)
    print(sentence + ' => ' + pred, 'bleu %.3f' % bleu(pred.split(' '), ref.split(' '), 2))
show('transformer W_o', model.decoder.blks[1].attention_2.W_o.weight.data()[0, :8])
