# "Dive into Deep Learning" (MXNet edition, d2lzh) style: the natural-language-processing chapter.
# word2vec (subsampling of frequent words, centre / context windows and negative sampling drawn
# with Python's random, a DataLoader with a batchify_fn that pads and masks, the skip-gram model
# as two nn.Embedding layers and nd.batch_dot, SigmoidBinaryCrossEntropyLoss with a mask as
# sample weight, similar tokens by cosine and nd.topk), pretrained word vectors through
# mx.contrib.text (count_tokens_from_str, vocab.Vocabulary with min_freq and reserved tokens,
# embedding.CustomEmbedding re-indexed by a vocabulary, get_vecs_by_tokens, update_token_vectors,
# nearest neighbours and analogies), and sentiment analysis with a bidirectional rnn.LSTM and
# with TextCNN (nd.add_n over 1-d correlations, Conv1D, GlobalMaxPool1D, a frozen
# constant_embedding: set_data then collect_params().setattr('grad_req', 'null')). The PTB and
# IMDb corpora and the GloVe file are small texts written by the program (GloVe through
# CustomEmbedding: text.embedding.create('glove') downloads); the loaders do not shuffle,
# Dropout is 0, and Xavier initialization is an initializer seeded by parameter name.
import collections
import math
import os
import random
import tempfile

import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.contrib import text
from minigluon.gluon import data as gdata, loss as gloss, nn, rnn
from _common import named_uniform, show

rng = np.random.RandomState(51)
random.seed(51)
tmp = tempfile.mkdtemp()
ctx = mx.cpu()
SeededInit = named_uniform(mx, default_scale=0.2)

words = ['the', 'a', 'cat', 'dog', 'sat', 'ran', 'on', 'mat', 'log', 'big', 'small', 'red',
         'good', 'bad', 'film', 'plot', 'great', 'awful', 'fun', 'dull']
probs = np.array([12, 10, 5, 5, 4, 4, 6, 3, 3, 2, 2, 2, 3, 3, 4, 3, 2, 2, 2, 2], dtype='float64')
raw_dataset = [[words[i] for i in rng.choice(len(words), size=rng.randint(6, 12),
                                            p=probs / probs.sum())] for _ in range(30)]
print('# sentences: %d' % len(raw_dataset))

# ---------------------------------------------------------------- word2vec data
counter = collections.Counter([tk for st in raw_dataset for tk in st])
counter = dict(filter(lambda x: x[1] >= 3, counter.items()))
idx_to_token = sorted(counter, key=lambda tk: (-counter[tk], tk))
token_to_idx = {tk: idx for idx, tk in enumerate(idx_to_token)}
dataset = [[token_to_idx[tk] for tk in st if tk in token_to_idx] for st in raw_dataset]
num_tokens = sum([len(st) for st in dataset])
print('# tokens: %d' % num_tokens)


def discard(idx):
    return random.uniform(0, 1) < 1 - math.sqrt(1e-1 / counter[idx_to_token[idx]] * num_tokens)


subsampled_dataset = [[tk for tk in st if not discard(tk)] for st in dataset]
print('# tokens after subsampling: %d' % sum([len(st) for st in subsampled_dataset]))


def compare_counts(token):
    return '# %s: before=%d, after=%d' % (token, sum(
        [st.count(token_to_idx[token]) for st in dataset]), sum(
        [st.count(token_to_idx[token]) for st in subsampled_dataset]))


print(compare_counts('the'))


def get_centers_and_contexts(dataset, max_window_size):
    centers, contexts = [], []
    for st in dataset:
        if len(st) < 2:
            continue
        centers += st
        for center_i in range(len(st)):
            window_size = random.randint(1, max_window_size)
            indices = list(range(max(0, center_i - window_size),
                                 min(len(st), center_i + 1 + window_size)))
            indices.remove(center_i)
            contexts.append([st[idx] for idx in indices])
    return centers, contexts


all_centers, all_contexts = get_centers_and_contexts(subsampled_dataset, 2)


def get_negatives(all_contexts, sampling_weights, K):
    all_negatives, neg_candidates, i = [], [], 0
    population = list(range(len(sampling_weights)))
    for contexts in all_contexts:
        negatives = []
        while len(negatives) < len(contexts) * K:
            if i == len(neg_candidates):
                i, neg_candidates = 0, random.choices(population, sampling_weights, k=int(1e3))
            neg, i = neg_candidates[i], i + 1
            if neg not in set(contexts):
                negatives.append(neg)
        all_negatives.append(negatives)
    return all_negatives


sampling_weights = [counter[w] ** 0.75 for w in idx_to_token]
all_negatives = get_negatives(all_contexts, sampling_weights, 3)
print('centers', len(all_centers), 'first contexts', all_contexts[:3], 'negatives',
      all_negatives[0])


def batchify(data):
    max_len = max(len(c) + len(n) for _, c, n in data)
    centers, contexts_negatives, masks, labels = [], [], [], []
    for center, context, negative in data:
        cur_len = len(context) + len(negative)
        centers += [center]
        contexts_negatives += [context + negative + [0] * (max_len - cur_len)]
        masks += [[1] * cur_len + [0] * (max_len - cur_len)]
        labels += [[1] * len(context) + [0] * (max_len - len(context))]
    return (nd.array(centers).reshape((-1, 1)), nd.array(contexts_negatives),
            nd.array(masks), nd.array(labels))


batch_size = 16
w2v_set = gdata.ArrayDataset(all_centers, all_contexts, all_negatives)
data_iter = gdata.DataLoader(w2v_set, batch_size, shuffle=False, batchify_fn=batchify)
for batch in data_iter:
    for name, data in zip(['centers', 'contexts_negatives', 'masks', 'labels'], batch):
        print(name, 'shape:', data.shape)
    break

# ---------------------------------------------------------------- skip-gram
embed = nn.Embedding(input_dim=20, output_dim=4)
embed.initialize()
print(embed.weight)
x = nd.array([[1, 2, 3], [4, 5, 6]])
print('embed(x)', embed(x).shape)
X, Y = nd.ones((2, 1, 4)), nd.ones((2, 4, 6))
print('batch_dot', nd.batch_dot(X, Y).shape)


def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    pred = nd.batch_dot(v, u.swapaxes(1, 2))
    return pred


loss = gloss.SigmoidBinaryCrossEntropyLoss()
pred = nd.array([[1.5, 0.3, -1, 2], [1.1, -0.6, 2.2, 0.4]])
label = nd.array([[1, 0, 1, 0]] * 2)
mask = nd.array([[1, 1, 1, 1], [1, 1, 0, 0]])
print(loss(pred, label, mask) * mask.shape[1] / mask.sum(axis=1))

embed_size = 6
net = nn.Sequential()
net.add(nn.Embedding(input_dim=len(idx_to_token), output_dim=embed_size),
        nn.Embedding(input_dim=len(idx_to_token), output_dim=embed_size))


def train(net, lr, num_epochs):
    net.initialize(SeededInit(), ctx=ctx, force_reinit=True)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr})
    for epoch in range(num_epochs):
        l_sum, n = 0.0, 0
        for batch in data_iter:
            center, context_negative, mask, label = [data.as_in_context(ctx) for data in batch]
            with autograd.record():
                pred = skip_gram(center, context_negative, net[0], net[1])
                l = (loss(pred.reshape(label.shape), label, mask) *
                     mask.shape[1] / mask.sum(axis=1))
            l.backward()
            trainer.step(batch_size)
            l_sum += l.sum().asscalar()
            n += l.size
        print('epoch %d, loss %.4f' % (epoch + 1, l_sum / n))


train(net, 0.05, 3)


def get_similar_tokens(query_token, k, embed):
    W = embed.weight.data()
    x = W[token_to_idx[query_token]]
    cos = nd.dot(W, x) / (nd.sum(W * W, axis=1) * nd.sum(x * x) + 1e-9).sqrt()
    topk = nd.topk(cos, k=k + 1, ret_typ='indices').asnumpy().astype('int32')
    for i in topk[1:]:
        print('cosine sim=%.3f: %s' % (cos[i].asscalar(), (idx_to_token[i])))


get_similar_tokens('cat', 3, net[0])

# ---------------------------------------------------------------- pretrained vectors
glove_path = os.path.join(tmp, 'glove.6B.8d.txt')
with open(glove_path, 'w') as f:
    for w in words + ['chip', 'chips', 'baby', 'babies', 'beautiful']:
        f.write(w + ' ' + ' '.join('%.4f' % v for v in rng.normal(size=8)) + '\n')
glove = text.embedding.CustomEmbedding(glove_path, elem_delim=' ')
print('glove', len(glove), glove.vec_len, glove.token_to_idx['beautiful'],
      glove.idx_to_token[3])


def knn(W, x, k):
    cos = nd.dot(W, x.reshape((-1,))) / (
        (nd.sum(W * W, axis=1) + 1e-9).sqrt() * nd.sum(x * x).sqrt())
    topk = nd.topk(cos, k=k, ret_typ='indices').asnumpy().astype('int32')
    return topk, [cos[i].asscalar() for i in topk]


def get_similar_tokens_glove(query_token, k, embed):
    topk, cos = knn(embed.idx_to_vec, embed.get_vecs_by_tokens([query_token]), k + 1)
    for i, c in zip(topk[1:], cos[1:]):
        print('cosine sim=%.3f: %s' % (c, (embed.idx_to_token[i])))


get_similar_tokens_glove('chip', 3, glove)


def get_analogy(token_a, token_b, token_c, embed):
    vecs = embed.get_vecs_by_tokens([token_a, token_b, token_c])
    x = vecs[1] - vecs[0] + vecs[2]
    topk, cos = knn(embed.idx_to_vec, x, 1)
    return embed.idx_to_token[topk[0]]


print('analogy', get_analogy('baby', 'babies', 'chip', glove))
glove.update_token_vectors('<unk>', nd.ones(8) * 0.5)
show('unknown vector', glove.get_vecs_by_tokens('no-such-word'))
show('lower-case backup', glove.get_vecs_by_tokens(['Film'], lower_case_backup=True))

# ---------------------------------------------------------------- sentiment: data
positive, negative = ['good', 'great', 'fun'], ['bad', 'awful', 'dull']


def make_review(label):
    pool = positive if label else negative
    n = rng.randint(4, 10)
    tokens = [words[i] for i in rng.choice(12, size=n)]
    for pos in rng.choice(n, size=2, replace=False):
        tokens[pos] = pool[rng.randint(3)]
    return ' '.join(tokens).capitalize(), label


train_data = [make_review(i % 2) for i in range(24)]
test_data = [make_review(i % 2) for i in range(8)]


def get_tokenized_imdb(data):
    def tokenizer(text):
        return [tok.lower() for tok in text.split(' ')]
    return [tokenizer(review) for review, _ in data]


def get_vocab_imdb(data):
    tokenized_data = get_tokenized_imdb(data)
    counter = collections.Counter([tk for st in tokenized_data for tk in st])
    return text.vocab.Vocabulary(counter, min_freq=2, reserved_tokens=['<pad>'])


vocab = get_vocab_imdb(train_data)
print('# words in vocab:', len(vocab), vocab.idx_to_token[:6])
counted = text.utils.count_tokens_from_str('\n'.join(r.lower() for r, _ in train_data))
print('counted', counted['good'], counted['the'], len(counted))


def preprocess_imdb(data, vocab, max_l=8):
    def pad(x):
        return x[:max_l] if len(x) > max_l else x + [vocab.token_to_idx['<pad>']] * (max_l - len(x))
    tokenized_data = get_tokenized_imdb(data)
    features = nd.array([pad(vocab.to_indices(x)) for x in tokenized_data])
    labels = nd.array([score for _, score in data])
    return features, labels


train_set = gdata.ArrayDataset(*preprocess_imdb(train_data, vocab))
test_set = gdata.ArrayDataset(*preprocess_imdb(test_data, vocab))
train_iter = gdata.DataLoader(train_set, 8, shuffle=False)
test_iter = gdata.DataLoader(test_set, 8)
for X, y in train_iter:
    print('X', X.shape, 'y', y.shape)
    break
print('#batches:', len(train_iter))

glove_embedding = text.embedding.CustomEmbedding(glove_path, vocabulary=vocab)
print('glove for vocab', glove_embedding.idx_to_vec.shape, glove_embedding.idx_to_token[:3])
show('glove <pad> and good', glove_embedding.get_vecs_by_tokens(['<pad>', 'good'])[:, :4])


def evaluate_accuracy(data_iter, net):
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


def train_sentiment(train_iter, test_iter, net, loss, trainer, num_epochs):
    for epoch in range(num_epochs):
        train_l_sum, train_acc_sum, n, m = 0.0, 0.0, 0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hats = net(X)
                ls = loss(y_hats, y)
            ls.backward()
            trainer.step(X.shape[0])
            train_l_sum += ls.sum().asscalar()
            train_acc_sum += (y_hats.argmax(axis=1) == y).sum().asscalar()
            n += y.size
            m += 1
        test_acc = evaluate_accuracy(test_iter, net)
        print('epoch %d, loss %.4f, train acc %.3f, test acc %.3f' % (
            epoch + 1, train_l_sum / n, train_acc_sum / n, test_acc))


def predict_sentiment(net, vocab, sentence):
    sentence = nd.array(vocab.to_indices(sentence), ctx=ctx)
    label = nd.argmax(net(sentence.reshape((1, -1))), axis=1)
    return 'positive' if label.asscalar() == 1 else 'negative'


# ---------------------------------------------------------------- sentiment: BiRNN
class BiRNN(nn.Block):
    def __init__(self, vocab, embed_size, num_hiddens, num_layers, **kwargs):
        super(BiRNN, self).__init__(**kwargs)
        self.embedding = nn.Embedding(len(vocab), embed_size)
        self.encoder = rnn.LSTM(num_hiddens, num_layers=num_layers, bidirectional=True,
                                input_size=embed_size)
        self.decoder = nn.Dense(2)

    def forward(self, inputs):
        embeddings = self.embedding(inputs.T)
        outputs = self.encoder(embeddings)
        encoding = nd.concat(outputs[0], outputs[-1])
        outs = self.decoder(encoding)
        return outs


net = BiRNN(vocab, 8, 6, 2)
net.initialize(SeededInit(), ctx=ctx)
net.embedding.weight.set_data(glove_embedding.idx_to_vec)
net.embedding.collect_params().setattr('grad_req', 'null')
print(net)
lr, num_epochs = 0.01, 3
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr})
loss = gloss.SoftmaxCrossEntropyLoss()
train_sentiment(train_iter, test_iter, net, loss, trainer, num_epochs)
print(predict_sentiment(net, vocab, ['this', 'film', 'is', 'great']),
      predict_sentiment(net, vocab, ['this', 'film', 'is', 'awful']))
print('embedding unchanged', (net.embedding.weight.data() == glove_embedding.idx_to_vec)
      .min().asscalar())


# ---------------------------------------------------------------- sentiment: TextCNN
def corr1d(X, K):
    w = K.shape[0]
    Y = nd.zeros((X.shape[0] - w + 1))
    for i in range(Y.shape[0]):
        Y[i] = (X[i: i + w] * K).sum()
    return Y


def corr1d_multi_in(X, K):
    return nd.add_n(*[corr1d(x, k) for x, k in zip(X, K)])


X, K = nd.array([0, 1, 2, 3, 4, 5, 6]), nd.array([1, 2])
print(corr1d(X, K))
X = nd.array([[0, 1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 8]])
K = nd.array([[1, 2], [3, 4], [-1, -3]])
print(corr1d_multi_in(X, K))


class TextCNN(nn.Block):
    def __init__(self, vocab, embed_size, kernel_sizes, num_channels, **kwargs):
        super(TextCNN, self).__init__(**kwargs)
        self.embedding = nn.Embedding(len(vocab), embed_size)
        self.constant_embedding = nn.Embedding(len(vocab), embed_size)
        self.dropout = nn.Dropout(0.0)
        self.decoder = nn.Dense(2)
        self.pool = nn.GlobalMaxPool1D()
        self.convs = nn.Sequential()
        for c, k in zip(num_channels, kernel_sizes):
            self.convs.add(nn.Conv1D(c, k, activation='relu'))

    def forward(self, inputs):
        embeddings = nd.concat(self.embedding(inputs), self.constant_embedding(inputs), dim=2)
        embeddings = embeddings.transpose((0, 2, 1))
        encoding = nd.concat(*[nd.flatten(self.pool(conv(embeddings))) for conv in self.convs],
                             dim=1)
        outputs = self.decoder(self.dropout(encoding))
        return outputs


embed_size, kernel_sizes, nums_channels = 8, [2, 3, 4], [5, 5, 5]
net = TextCNN(vocab, embed_size, kernel_sizes, nums_channels)
net.initialize(SeededInit(), ctx=ctx)
net.embedding.weight.set_data(glove_embedding.idx_to_vec)
net.constant_embedding.weight.set_data(glove_embedding.idx_to_vec)
net.constant_embedding.collect_params().setattr('grad_req', 'null')
lr, num_epochs = 0.01, 3
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': lr})
train_sentiment(train_iter, test_iter, net, loss, trainer, num_epochs)
print(predict_sentiment(net, vocab, ['this', 'film', 'is', 'so', 'great']),
      predict_sentiment(net, vocab, ['this', 'film', 'is', 'so', 'bad']))
show('trainable embedding moved', (net.embedding.weight.data() - glove_embedding.idx_to_vec)[4])
