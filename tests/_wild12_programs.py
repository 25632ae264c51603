"""The programs of the twelfth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_12.py),
each rewritten in our own words from the source named above it, keeping its calls, shapes and
idioms (channel counts and sizes shrunk, random draws replaced by seeded NumPy data). Each program
function returns its outputs, gradients and losses as nested dicts of lists.

The test runs this file as it is, on minigluon; tools/gen_wild12_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild12/wild12.json.
"""
import collections
import math
import numbers
import os
import random
import re
import tempfile

import numpy as np

import minigluon as mx
from _wild_common import attempt as _try, natural, png_bytes, program_helpers, training_helpers

autograd, gluon, nd, init = mx.autograd, mx.gluon, mx.nd, mx.init
nn, rnn = gluon.nn, gluon.rnn
HybridBlock, Block = gluon.HybridBlock, gluon.Block

L, set_params, rnd = program_helpers(nd)     # tests/_wild_common.py, shared with _wild.py
norms, build = training_helpers(mx)



# ---------------------------------------------------------------- 1 embedding learning
# apache/mxnet example/gluon/embedding_learning/model.py (L2Normalization, get_distance,
# DistanceWeightedSampling drawing negatives with np.random.choice from NDArray weights, MarginNet
# over a model-zoo base network's features, MarginLoss taking the class betas as a Parameter and indexing its
# data by a list) and train.py (a second Trainer over [beta], losses backward in a loop).
class L2Normalization(HybridBlock):
    def __init__(self, mode, **kwargs):
        self._mode = mode
        super(L2Normalization, self).__init__(**kwargs)

    def hybrid_forward(self, F, x):
        return F.L2Normalization(x, mode=self._mode, name='l2_norm')


def get_distance(F, x):
    n = x.shape[0]
    square = F.sum(x ** 2.0, axis=1, keepdims=True)
    distance_square = square + square.transpose() - (2.0 * F.dot(x, x.transpose()))
    return F.sqrt(distance_square + F.array(np.identity(n)))


class DistanceWeightedSampling(HybridBlock):
    def __init__(self, batch_k, cutoff=0.5, nonzero_loss_cutoff=1.4, **kwargs):
        self.batch_k = batch_k
        self.cutoff = cutoff
        self.nonzero_loss_cutoff = nonzero_loss_cutoff
        super(DistanceWeightedSampling, self).__init__(**kwargs)

    def hybrid_forward(self, F, x):
        k = self.batch_k
        n, d = x.shape
        distance = F.maximum(get_distance(F, x), self.cutoff)
        log_weights = ((2.0 - float(d)) * F.log(distance)
                       - (float(d - 3) / 2) * F.log(1.0 - 0.25 * (distance ** 2.0)))
        weights = F.exp(log_weights - F.max(log_weights))
        mask = np.ones(weights.shape)
        for i in range(0, n, k):
            mask[i:i + k, i:i + k] = 0
        weights = weights * F.array(mask) * (distance < self.nonzero_loss_cutoff)
        weights = weights / F.sum(weights, axis=1, keepdims=True)
        a_indices, p_indices, n_indices = [], [], []
        np_weights = weights.asnumpy()
        for i in range(n):
            block_idx = i // k
            try:
                n_indices += np.random.choice(n, k - 1, p=np_weights[i]).tolist()
            except ValueError:
                n_indices += np.random.choice(n, k - 1).tolist()
            for j in range(block_idx * k, (block_idx + 1) * k):
                if j != i:
                    a_indices.append(i)
                    p_indices.append(j)
        return a_indices, x[a_indices], x[p_indices], x[n_indices], x


class MarginNet(Block):
    def __init__(self, base_net, emb_dim, batch_k, **kwargs):
        super(MarginNet, self).__init__(**kwargs)
        with self.name_scope():
            self.base_net = base_net
            self.dense = nn.Dense(emb_dim)
            self.normalize = L2Normalization(mode='instance')
            self.sampled = DistanceWeightedSampling(batch_k=batch_k)

    def forward(self, x):
        z = self.base_net(x)
        z = self.dense(z)
        z = self.normalize(z)
        return self.sampled(z)


class MarginLoss(gluon.loss.Loss):
    def __init__(self, margin=0.2, nu=0.0, weight=None, batch_axis=0, **kwargs):
        super(MarginLoss, self).__init__(weight, batch_axis, **kwargs)
        self._margin = margin
        self._nu = nu

    def hybrid_forward(self, F, anchors, positives, negatives, beta_in, a_indices=None):
        if a_indices is not None:
            beta = beta_in.data()[a_indices]
            beta_reg_loss = F.sum(beta) * self._nu
        else:
            beta = beta_in
            beta_reg_loss = 0.0
        d_ap = F.sqrt(F.sum(F.square(positives - anchors), axis=1) + 1e-8)
        d_an = F.sqrt(F.sum(F.square(negatives - anchors), axis=1) + 1e-8)
        pos_loss = F.maximum(d_ap - beta + self._margin, 0.0)
        neg_loss = F.maximum(beta - d_an + self._margin, 0.0)
        pair_cnt = float(F.sum((pos_loss > 0.0) + (neg_loss > 0.0)).asscalar())
        loss = (F.sum(pos_loss + neg_loss) + beta_reg_loss) / pair_cnt
        return gluon.loss._apply_weighting(F, loss, self._weight, None)


def embedding_learning():
    """Two steps of margin-based embedding learning: a model-zoo MobileNet's features as the base
    net, distance-weighted negatives (np.random seeded), class betas trained by their own SGD
    Trainer; then the constant-beta form of the loss."""
    batch_k, classes = 2, 3
    base = gluon.model_zoo.vision.get_model('mobilenet0.25', pretrained=False).features
    net = MarginNet(base, emb_dim=4, batch_k=batch_k)
    net.initialize(mx.init.Xavier(magnitude=2))
    rs = np.random.RandomState(21)
    x = nd.array(rs.uniform(0, 1, (batch_k * classes, 3, 32, 32)))
    y = nd.array(np.repeat(np.arange(classes), batch_k))
    np.random.seed(22)
    build(net, 23, x)
    beta = gluon.Parameter('beta', shape=(classes,))
    beta.initialize(mx.init.Constant(1.2))
    # train.py's --optimizer sgd (with its momentum 0.9): the default Adam's first steps are the
    # signs of the gradients, and those of a few BatchNorm parameters are rounding noise
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1e-4, 'wd': 1e-4, 'momentum': 0.9})
    trainer_beta = gluon.Trainer([beta], 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    loss = MarginLoss(margin=0.2, nu=0.1)
    out = {}
    np.random.seed(24)
    for step in range(2):
        Ls = []
        with autograd.record():
            a_indices, anchors, positives, negatives, _ = net(x)
            Ls.append(loss(anchors, positives, negatives, beta, y[a_indices]))
            for l in Ls:
                l.backward()
        trainer.step(x.shape[0])
        trainer_beta.step(x.shape[0])
        out['loss%d' % step] = L(Ls[0])
        out['a_indices%d' % step] = a_indices
        out['anchors%d' % step] = L(anchors)
        if step == 0:
            out['grad0'] = norms(net)['grad']
    out['beta'] = L(beta.data())
    out['beta_grad'] = L(beta.grad())
    out['values'] = norms(net)['value']
    with autograd.predict_mode():
        _, anchors, positives, negatives, emb = net(x)
    out['constant_beta'] = L(loss(anchors, positives, negatives, 1.2, None))
    out['emb'] = L(emb)
    out['distance'] = L(get_distance(nd, emb))
    return out


# ---------------------------------------------------------------- 2 BiLSTM-CRF
# apache/mxnet example/gluon/lstm_crf/lstm_crf.py: a transition matrix from params.get read by
# ``self.transitions.data()[i, j]``, log-sum-exp over Python loops of one-element NDArrays, a
# bidirectional LSTM fed its hidden state, Viterbi decoding with ``vvars[0, i] = 0`` and
# ``nd.argmax``, SGD with weight decay (the begin states are seeded arrays, not nd.random.normal).
START_TAG, STOP_TAG = '<START>', '<STOP>'


def to_scalar(x):
    return int(x.asscalar())


def argmax(vec):
    return to_scalar(nd.argmax(vec, axis=1))


def log_sum_exp(vec):
    max_score = nd.max(vec).asscalar()
    return nd.log(nd.sum(nd.exp(vec - max_score))) + max_score


class BiLSTM_CRF(Block):
    def __init__(self, vocab_size, tag2idx, embedding_dim, hidden_dim):
        super(BiLSTM_CRF, self).__init__()
        with self.name_scope():
            self.embedding_dim = embedding_dim
            self.hidden_dim = hidden_dim
            self.vocab_size = vocab_size
            self.tag2idx = tag2idx
            self.tagset_size = len(tag2idx)
            self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = rnn.LSTM(hidden_dim // 2, num_layers=1, bidirectional=True)
            self.hidden2tag = nn.Dense(self.tagset_size)
            self.transitions = self.params.get("crf_transition_matrix",
                                               shape=(self.tagset_size, self.tagset_size))
            self._hidden_draws = 0
            self.hidden = self.init_hidden()

    def init_hidden(self):
        rs = np.random.RandomState(100 + self._hidden_draws)
        self._hidden_draws += 1
        return [nd.array(rs.normal(size=(2, 1, self.hidden_dim // 2))),
                nd.array(rs.normal(size=(2, 1, self.hidden_dim // 2)))]

    def _forward_alg(self, feats):
        alphas = [[-10000.] * self.tagset_size]
        alphas[0][self.tag2idx[START_TAG]] = 0.
        alphas = nd.array(alphas)
        for feat in feats:
            alphas_t = []
            for next_tag in range(self.tagset_size):
                emit_score = feat[next_tag].reshape((1, -1))
                trans_score = self.transitions.data()[next_tag].reshape((1, -1))
                next_tag_var = alphas + trans_score + emit_score
                alphas_t.append(log_sum_exp(next_tag_var))
            alphas = nd.concat(*alphas_t, dim=0).reshape((1, -1))
        terminal_var = alphas + self.transitions.data()[self.tag2idx[STOP_TAG]]
        return log_sum_exp(terminal_var)

    def _get_lstm_features(self, sentence):
        self.hidden = self.init_hidden()
        length = sentence.shape[0]
        embeds = self.word_embeds(sentence).reshape((length, 1, -1))
        lstm_out, self.hidden = self.lstm(embeds, self.hidden)
        lstm_out = lstm_out.reshape((length, self.hidden_dim))
        lstm_feats = self.hidden2tag(lstm_out)
        return nd.split(lstm_feats, num_outputs=length, axis=0, squeeze_axis=True)

    def _score_sentence(self, feats, tags):
        score = nd.array([0])
        tags = nd.concat(nd.array([self.tag2idx[START_TAG]]), *tags, dim=0)
        for i, feat in enumerate(feats):
            score = score + \
                self.transitions.data()[to_scalar(tags[i + 1]), to_scalar(tags[i])] + feat[to_scalar(tags[i + 1])]
        score = score + self.transitions.data()[self.tag2idx[STOP_TAG], to_scalar(tags[int(tags.shape[0] - 1)])]
        return score

    def _viterbi_decode(self, feats):
        backpointers = []
        vvars = nd.full((1, self.tagset_size), -10000.)
        vvars[0, self.tag2idx[START_TAG]] = 0
        for feat in feats:
            bptrs_t, viterbivars_t = [], []
            for next_tag in range(self.tagset_size):
                next_tag_var = vvars + self.transitions.data()[next_tag]
                best_tag_id = argmax(next_tag_var)
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0, best_tag_id])
            vvars = (nd.concat(*viterbivars_t, dim=0) + feat).reshape((1, -1))
            backpointers.append(bptrs_t)
        terminal_var = vvars + self.transitions.data()[self.tag2idx[STOP_TAG]]
        best_tag_id = argmax(terminal_var)
        path_score = terminal_var[0, best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        start = best_path.pop()
        assert start == self.tag2idx[START_TAG]
        best_path.reverse()
        return path_score, best_path

    def neg_log_likelihood(self, sentence, tags):
        feats = self._get_lstm_features(sentence)
        forward_score = self._forward_alg(feats)
        gold_score = self._score_sentence(feats, tags)
        return forward_score - gold_score

    def forward(self, sentence):
        lstm_feats = self._get_lstm_features(sentence)
        score, tag_seq = self._viterbi_decode(lstm_feats)
        return score, tag_seq


def lstm_crf():
    """Viterbi paths and scores before and after three SGD epochs over two tagged sentences."""
    training_data = [("the wall street journal reported today that apple made money".split(),
                      "B I I I O O O B O O".split()),
                     ("georgia tech is a university in georgia".split(), "B I O O O O B".split())]
    word2idx = {}
    for sentence, tags in training_data:
        for word in sentence:
            if word not in word2idx:
                word2idx[word] = len(word2idx)
    tag2idx = {"B": 0, "I": 1, "O": 2, START_TAG: 3, STOP_TAG: 4}
    model = BiLSTM_CRF(len(word2idx), tag2idx, 5, 4)
    model.initialize(mx.init.Xavier(magnitude=2.24), ctx=mx.cpu())
    precheck_sent = nd.array([word2idx[w] for w in training_data[0][0]])
    model(precheck_sent)
    set_params(model, 31)
    optimizer = gluon.Trainer(model.collect_params(), 'sgd', {'learning_rate': 0.01, 'wd': 1e-4})
    score, path = model(precheck_sent)
    out = {'before': [L(score), path], 'nll': []}
    for epoch in range(3):
        for i, (sentence, tags) in enumerate(training_data):
            neg_log_likelihood_acc = 0.
            with autograd.record():
                sentence_in = nd.array([word2idx[w] for w in sentence])
                targets = nd.array([tag2idx[t] for t in tags])
                neg_log_likelihood = model.neg_log_likelihood(sentence_in, targets)
                neg_log_likelihood.backward()
            optimizer.step(1)
            neg_log_likelihood_acc += neg_log_likelihood.mean()
            out['nll'].append(float(neg_log_likelihood_acc.asscalar()))
    score, path = model(precheck_sent)
    out['after'] = [L(score), path]
    out['transitions'] = L(model.transitions.data())
    out['norms'] = norms(model)
    return out


# ---------------------------------------------------------------- 3 child-sum Tree-LSTM
# apache/mxnet example/gluon/tree_lstm/tree_lstm.py (ChildSumLSTMCell: Blocks whose forward takes
# the ``F`` module as an argument, ``with inputs.context as ctx``, ``data(ctx)`` of params.get
# Parameters, F.split / F.SliceChannel / F.add_n / F._internal._plus / _mul; Similarity with
# ``F.add(lvec, -rvec)``) and main.py (metric.create(['pearsonr', 'mse']), to_target / to_score,
# KLDivLoss, an AdaGrad Trainer with weight decay stepped every batch_size samples).
class Tree(object):
    def __init__(self, idx):
        self.idx = idx
        self.children = []

    def add_child(self, c):
        self.children.append(c)


class ChildSumLSTMCell(Block):
    def __init__(self, hidden_size, i2h_weight_initializer=None, hs2h_weight_initializer=None,
                 hc2h_weight_initializer=None, i2h_bias_initializer='zeros', hs2h_bias_initializer='zeros',
                 hc2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        super(ChildSumLSTMCell, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._hidden_size = hidden_size
            self._input_size = input_size
            self.i2h_weight = self.params.get('i2h_weight', shape=(4 * hidden_size, input_size),
                                              init=i2h_weight_initializer)
            self.hs2h_weight = self.params.get('hs2h_weight', shape=(3 * hidden_size, hidden_size),
                                               init=hs2h_weight_initializer)
            self.hc2h_weight = self.params.get('hc2h_weight', shape=(hidden_size, hidden_size),
                                               init=hc2h_weight_initializer)
            self.i2h_bias = self.params.get('i2h_bias', shape=(4 * hidden_size,), init=i2h_bias_initializer)
            self.hs2h_bias = self.params.get('hs2h_bias', shape=(3 * hidden_size,), init=hs2h_bias_initializer)
            self.hc2h_bias = self.params.get('hc2h_bias', shape=(hidden_size,), init=hc2h_bias_initializer)

    def _alias(self):
        return 'childsum_lstm'

    def forward(self, F, inputs, tree):
        children_outputs = [self.forward(F, inputs, child) for child in tree.children]
        if children_outputs:
            _, children_states = zip(*children_outputs)
        else:
            children_states = None
        with inputs.context as ctx:
            return self.node_forward(F, F.expand_dims(inputs[tree.idx], axis=0), children_states,
                                     self.i2h_weight.data(ctx), self.hs2h_weight.data(ctx),
                                     self.hc2h_weight.data(ctx), self.i2h_bias.data(ctx),
                                     self.hs2h_bias.data(ctx), self.hc2h_bias.data(ctx))

    def node_forward(self, F, inputs, children_states, i2h_weight, hs2h_weight, hc2h_weight,
                     i2h_bias, hs2h_bias, hc2h_bias):
        name = '{0}{1}_'.format(self.prefix, self._alias)
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias,
                               num_hidden=self._hidden_size * 4, name='%si2h' % name)
        i2h_slices = F.split(i2h, num_outputs=4, name='%siuo_slice' % name)
        i2h_iuo = F.concat(*[i2h_slices[i] for i in [0, 2, 3]], dim=1)
        if children_states:
            hs = F.add_n(*[state[0] for state in children_states], name='%shs' % name)
            hc = F.concat(*[F.expand_dims(state[0], axis=1) for state in children_states], dim=1, name='%shc')
            cs = F.concat(*[F.expand_dims(state[1], axis=1) for state in children_states], dim=1, name='%scs')
            f_act = i2h_slices[1] + hc2h_bias + F.dot(hc, hc2h_weight)
            forget_gates = F.Activation(f_act, act_type='sigmoid', name='%sf' % name)
        else:
            hs = F.zeros_like(i2h_slices[0])
        hs2h_iuo = F.FullyConnected(data=hs, weight=hs2h_weight, bias=hs2h_bias,
                                    num_hidden=self._hidden_size * 3, name='%shs2h' % name)
        i2h_iuo = i2h_iuo + hs2h_iuo
        iuo_act_slices = F.SliceChannel(i2h_iuo, num_outputs=3, name='%sslice' % name)
        i_act, u_act, o_act = iuo_act_slices[0], iuo_act_slices[1], iuo_act_slices[2]
        in_gate = F.Activation(i_act, act_type='sigmoid', name='%si' % name)
        in_transform = F.Activation(u_act, act_type='tanh', name='%sc' % name)
        out_gate = F.Activation(o_act, act_type='sigmoid', name='%so' % name)
        next_c = in_gate * in_transform
        if children_states:
            next_c = F._internal._plus(F.sum(forget_gates * cs, axis=1), next_c, name='%sstate' % name)
        next_h = F._internal._mul(out_gate, F.Activation(next_c, act_type='tanh'), name='%sout' % name)
        return next_h, [next_h, next_c]


class Similarity(nn.Block):
    def __init__(self, sim_hidden_size, rnn_hidden_size, num_classes):
        super(Similarity, self).__init__()
        with self.name_scope():
            self.wh = nn.Dense(sim_hidden_size, in_units=2 * rnn_hidden_size, prefix='sim_embed_')
            self.wp = nn.Dense(num_classes, in_units=sim_hidden_size, prefix='sim_out_')

    def forward(self, F, lvec, rvec):
        mult_dist = F.broadcast_mul(lvec, rvec)
        abs_dist = F.abs(F.add(lvec, -rvec))
        vec_dist = F.concat(*[mult_dist, abs_dist], dim=1)
        return F.log_softmax(self.wp(F.sigmoid(self.wh(vec_dist))))


class SimilarityTreeLSTM(nn.Block):
    def __init__(self, sim_hidden_size, rnn_hidden_size, embed_in_size, embed_dim, num_classes):
        super(SimilarityTreeLSTM, self).__init__()
        with self.name_scope():
            self.embed = nn.Embedding(embed_in_size, embed_dim, prefix='word_embed_')
            self.childsumtreelstm = ChildSumLSTMCell(rnn_hidden_size, input_size=embed_dim)
            self.similarity = Similarity(sim_hidden_size, rnn_hidden_size, num_classes)

    def forward(self, F, l_inputs, r_inputs, l_tree, r_tree):
        l_inputs = self.embed(l_inputs)
        r_inputs = self.embed(r_inputs)
        lstate = self.childsumtreelstm(F, l_inputs, l_tree)[1][1]
        rstate = self.childsumtreelstm(F, r_inputs, r_tree)[1][1]
        return self.similarity(F, lstate, rstate)


def _tree(parents):
    """A dependency tree from a parent list (1-based, 0 for the root), as the example's reader."""
    nodes = [Tree(i) for i in range(len(parents))]
    root = None
    for i, p in enumerate(parents):
        if p == 0:
            root = nodes[i]
        else:
            nodes[p - 1].add_child(nodes[i])
    return root


def tree_lstm():
    """Two epochs of the similarity model over four sentence pairs (AdaGrad steps every two
    pairs), the pearsonr / mse metrics of the scores, a checkpoint of the ParameterDict."""
    num_classes = 5
    net = SimilarityTreeLSTM(4, 5, 12, 3, num_classes)
    net.collect_params().initialize(mx.init.Xavier(magnitude=2.24), ctx=mx.cpu())
    set_params(net, 41)
    net.embed.weight.set_data(nd.array(np.random.RandomState(42).uniform(-1, 1, (12, 3))))
    rs = np.random.RandomState(43)
    pairs = []
    for parents_l, parents_r, score in [([2, 0, 2], [0, 1], 3.4), ([0, 1, 1, 3], [2, 0, 2], 1.0),
                                        ([3, 3, 0], [0, 1, 2], 4.6), ([0, 1], [0, 1, 1], 2.0)]:
        pairs.append((_tree(parents_l), nd.array(rs.randint(0, 12, len(parents_l))),
                      _tree(parents_r), nd.array(rs.randint(0, 12, len(parents_r))), score))
    labels_all = [p[4] for p in pairs]
    metric = mx.metric.create(['pearsonr', 'mse'])

    def to_target(x):
        target = np.zeros((1, num_classes))
        ceil, floor = int(math.ceil(x)), int(math.floor(x))
        if ceil == floor:
            target[0][floor - 1] = 1
        else:
            target[0][floor - 1] = ceil - x
            target[0][ceil - 1] = x - floor
        return mx.nd.array(target)

    def to_score(x):
        levels = mx.nd.arange(1, 6, ctx=x.context)
        return [mx.nd.sum(levels * mx.nd.exp(x), axis=1).reshape((-1, 1))]

    batch_size = 2
    trainer = gluon.Trainer(net.collect_params(), 'adagrad', {'learning_rate': 0.05, 'wd': 1e-4})
    Loss = gluon.loss.KLDivLoss()
    out = {'metrics': [], 'losses': []}
    for epoch in range(2):
        preds = []
        labels = [mx.nd.array(labels_all).reshape((-1, 1))]
        for j, (l_tree, l_sent, r_tree, r_sent, label) in enumerate(pairs):
            with autograd.record():
                z = net(mx.nd, l_sent, r_sent, l_tree, r_tree)
                loss = Loss(z, to_target(label).as_in_context(mx.cpu()))
                loss.backward()
                preds.append(z)
            out['losses'].append(L(loss))
            if (j + 1) % batch_size == 0:
                trainer.step(batch_size)
        preds = to_score(mx.nd.concat(*preds, dim=0))
        metric.update(preds, labels)
        names, values = metric.get()
        metric.reset()
        out['metrics'].append([names, [float(v) for v in values]])
    out['scores'] = L(preds[0])
    out['norms'] = norms(net)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'childsum_tree_lstm_0.params')
        net.collect_params().save(path)
        out['saved_keys'] = sorted(k.replace(net.prefix, '', 1) for k in nd.load(path))
    return out



# ---------------------------------------------------------------- 4 MSG-Net style transfer
# apache/mxnet example/gluon/style_transfer/net.py (an InstanceNorm HybridBlock over params.get
# gamma / beta with grad_req 'null', ReflectancePadding overriding forward with nd.pad 'reflect',
# ConvLayer, UpsampleConvLayer through nd.UpSampling 'nearest', pre-activation Bottleneck /
# UpBottleneck Blocks whose children are made without a name scope, gram_matrix by batch_dot,
# Inspiration with SwapAxis / broadcast_to / reshape((0, 0, -1)), Net.set_target) and main.py's
# training step (content and style L2 losses over a VGG's features, grams broadcast over the
# batch, Adam). Channels shrunk (64 -> 8, ngf 4, one residual block), a two-stage VGG.
ndF = mx.ndarray      # the example imports mxnet.ndarray as F at module level


class StyleInstanceNorm(HybridBlock):
    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=False,
                 beta_initializer='zeros', gamma_initializer='ones', in_channels=0, **kwargs):
        super(StyleInstanceNorm, self).__init__(**kwargs)
        self._kwargs = {'eps': epsilon}
        if in_channels != 0:
            self.in_channels = in_channels
        self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null', shape=(in_channels,),
                                     init=gamma_initializer, allow_deferred_init=True)
        self.beta = self.params.get('beta', grad_req='write' if center else 'null', shape=(in_channels,),
                                    init=beta_initializer, allow_deferred_init=True)

    def hybrid_forward(self, F, x, gamma, beta):
        return F.InstanceNorm(x, gamma, beta, name='fwd', **self._kwargs)


class ReflectancePadding(HybridBlock):
    def __init__(self, pad_width=None, **kwargs):
        super(ReflectancePadding, self).__init__(**kwargs)
        self.pad_width = pad_width

    def forward(self, x):
        return ndF.pad(x, mode='reflect', pad_width=self.pad_width)


class ConvLayer(Block):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        padding = int(np.floor(kernel_size / 2))
        self.pad = ReflectancePadding(pad_width=(0, 0, 0, 0, padding, padding, padding, padding))
        self.conv2d = nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=kernel_size,
                                strides=(stride, stride), padding=0)

    def forward(self, x):
        return self.conv2d(self.pad(x))


class UpsampleConvLayer(Block):
    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super(UpsampleConvLayer, self).__init__()
        self.upsample = upsample
        self.reflection_padding = int(np.floor(kernel_size / 2))
        self.conv2d = nn.Conv2D(in_channels=in_channels, channels=out_channels, kernel_size=kernel_size,
                                strides=(stride, stride), padding=self.reflection_padding)

    def forward(self, x):
        if self.upsample:
            x = ndF.UpSampling(x, scale=self.upsample, sample_type='nearest')
        return self.conv2d(x)


class Bottleneck(Block):
    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=StyleInstanceNorm):
        super(Bottleneck, self).__init__()
        self.expansion = 4
        self.downsample = downsample
        if self.downsample is not None:
            self.residual_layer = nn.Conv2D(in_channels=inplanes, channels=planes * self.expansion,
                                            kernel_size=1, strides=(stride, stride))
        self.conv_block = nn.Sequential()
        with self.conv_block.name_scope():
            self.conv_block.add(norm_layer(in_channels=inplanes))
            self.conv_block.add(nn.Activation('relu'))
            self.conv_block.add(nn.Conv2D(in_channels=inplanes, channels=planes, kernel_size=1))
            self.conv_block.add(norm_layer(in_channels=planes))
            self.conv_block.add(nn.Activation('relu'))
            self.conv_block.add(ConvLayer(planes, planes, kernel_size=3, stride=stride))
            self.conv_block.add(norm_layer(in_channels=planes))
            self.conv_block.add(nn.Activation('relu'))
            self.conv_block.add(nn.Conv2D(in_channels=planes, channels=planes * self.expansion, kernel_size=1))

    def forward(self, x):
        residual = self.residual_layer(x) if self.downsample is not None else x
        return residual + self.conv_block(x)


class UpBottleneck(Block):
    def __init__(self, inplanes, planes, stride=2, norm_layer=StyleInstanceNorm):
        super(UpBottleneck, self).__init__()
        self.expansion = 4
        self.residual_layer = UpsampleConvLayer(inplanes, planes * self.expansion, kernel_size=1, stride=1,
                                                upsample=stride)
        self.conv_block = nn.Sequential()
        with self.conv_block.name_scope():
            self.conv_block.add(norm_layer(in_channels=inplanes))
            self.conv_block.add(nn.Activation('relu'))
            self.conv_block.add(nn.Conv2D(in_channels=inplanes, channels=planes, kernel_size=1))
            self.conv_block.add(norm_layer(in_channels=planes))
            self.conv_block.add(nn.Activation('relu'))
            self.conv_block.add(UpsampleConvLayer(planes, planes, kernel_size=3, stride=1, upsample=stride))
            self.conv_block.add(norm_layer(in_channels=planes))
            self.conv_block.add(nn.Activation('relu'))
            self.conv_block.add(nn.Conv2D(in_channels=planes, channels=planes * self.expansion, kernel_size=1))

    def forward(self, x):
        return self.residual_layer(x) + self.conv_block(x)


def gram_matrix(y):
    (b, ch, h, w) = y.shape
    features = y.reshape((b, ch, w * h))
    return ndF.batch_dot(features, features, transpose_b=True) / (ch * h * w)


class GramMatrix(Block):
    def forward(self, x):
        return gram_matrix(x)


class Inspiration(Block):
    def __init__(self, C, B=1):
        super(Inspiration, self).__init__()
        self.C = C
        self.weight = self.params.get('weight', shape=(1, C, C), init=mx.initializer.Uniform(),
                                      allow_deferred_init=True)
        self.gram = ndF.random.uniform(shape=(B, C, C))

    def set_target(self, target):
        self.gram = target

    def forward(self, X):
        self.P = ndF.batch_dot(ndF.broadcast_to(self.weight.data(), shape=(self.gram.shape)), self.gram)
        return ndF.batch_dot(ndF.SwapAxis(self.P, 1, 2).broadcast_to((X.shape[0], self.C, self.C)),
                             X.reshape((0, 0, X.shape[2] * X.shape[3]))).reshape(X.shape)


class StyleNet(Block):
    def __init__(self, input_nc=3, output_nc=3, ngf=4, norm_layer=StyleInstanceNorm, n_blocks=1):
        super(StyleNet, self).__init__()
        self.gram = GramMatrix()
        block, upblock, expansion = Bottleneck, UpBottleneck, 4
        with self.name_scope():
            self.model1 = nn.Sequential()
            self.ins = Inspiration(ngf * expansion)
            self.model = nn.Sequential()
            self.model1.add(ConvLayer(input_nc, 8, kernel_size=7, stride=1))
            self.model1.add(norm_layer(in_channels=8))
            self.model1.add(nn.Activation('relu'))
            self.model1.add(block(8, 4, 2, 1, norm_layer))
            self.model1.add(block(4 * expansion, ngf, 2, 1, norm_layer))
            self.model.add(self.model1)
            self.model.add(self.ins)
            for i in range(n_blocks):
                self.model.add(block(ngf * expansion, ngf, 1, None, norm_layer))
            self.model.add(upblock(ngf * expansion, 2, 2, norm_layer))
            self.model.add(upblock(2 * expansion, 1, 2, norm_layer))
            self.model.add(norm_layer(in_channels=1 * expansion))
            self.model.add(nn.Activation('relu'))
            self.model.add(ConvLayer(1 * expansion, output_nc, kernel_size=7, stride=1))

    def set_target(self, Xs):
        F = self.model1(Xs)
        G = self.gram(F)
        self.ins.set_target(G)

    def forward(self, input):
        return self.model(input)


class TinyVgg(Block):
    def __init__(self):
        super(TinyVgg, self).__init__()
        self.conv1_1 = nn.Conv2D(in_channels=3, channels=4, kernel_size=3, strides=1, padding=1)
        self.conv1_2 = nn.Conv2D(in_channels=4, channels=4, kernel_size=3, strides=1, padding=1)
        self.conv2_1 = nn.Conv2D(in_channels=4, channels=6, kernel_size=3, strides=1, padding=1)
        self.conv2_2 = nn.Conv2D(in_channels=6, channels=6, kernel_size=3, strides=1, padding=1)

    def forward(self, X):
        h = ndF.Activation(self.conv1_1(X), act_type='relu')
        h = ndF.Activation(self.conv1_2(h), act_type='relu')
        relu1_2 = h
        h = ndF.Pooling(h, pool_type='max', kernel=(2, 2), stride=(2, 2))
        h = ndF.Activation(self.conv2_1(h), act_type='relu')
        h = ndF.Activation(self.conv2_2(h), act_type='relu')
        return [relu1_2, h]


def subtract_imagenet_mean_preprocess_batch(batch):
    """The example's utils: RGB -> BGR and the ImageNet mean taken off, on an NDArray batch."""
    batch = ndF.swapaxes(batch, 0, 1)
    (r, g, b) = ndF.split(batch, num_outputs=3, axis=0)
    r = r - 123.680
    g = g - 116.779
    b = b - 103.939
    batch = ndF.concat(b, g, r, dim=0)
    return ndF.swapaxes(batch, 0, 1)


def style_transfer():
    """Two Adam steps of MSG-Net on content / style losses, the stylized output and the
    Inspiration layer's gradient."""
    batch_size, content_weight, style_weight = 2, 1.0, 5.0
    style_model = StyleNet(ngf=4)
    style_model.initialize(init=mx.initializer.MSRAPrelu())
    set_params(style_model, 51)
    vgg = TinyVgg()
    vgg.initialize()
    set_params(vgg, 52)
    trainer = gluon.Trainer(style_model.collect_params(), 'adam', {'learning_rate': 1e-3})
    mse_loss = gluon.loss.L2Loss()
    rs = np.random.RandomState(53)
    style_image = nd.array(rs.uniform(0, 255, (1, 3, 16, 16)))
    x = nd.array(rs.uniform(0, 255, (batch_size, 3, 16, 16)))
    style_model.set_target(style_image)
    features_style = vgg(subtract_imagenet_mean_preprocess_batch(style_image))
    gram_style = [gram_matrix(y) for y in features_style]
    out = {'gram_style': [L(g[0, :2]) for g in gram_style], 'losses': []}
    for step in range(2):
        with autograd.record():
            y = style_model(x)
            xc = subtract_imagenet_mean_preprocess_batch(x.copy())
            y = subtract_imagenet_mean_preprocess_batch(y)
            features_y = vgg(y)
            features_xc = vgg(xc)
            f_xc_c = mx.nd.array(features_xc[1].asnumpy())
            content_loss = 2 * content_weight * mse_loss(features_y[1], f_xc_c)
            style_loss = 0.
            for m in range(len(features_y)):
                gram_y = gram_matrix(features_y[m])
                _, C, _ = gram_style[m].shape
                gram_s = mx.nd.expand_dims(gram_style[m], 0).broadcast_to((batch_size, 1, C, C))
                style_loss = style_loss + 2 * style_weight * mse_loss(gram_y, gram_s[:, 0, :, :])
            total_loss = content_loss + style_loss
            total_loss.backward()
        trainer.step(batch_size)
        out['losses'].append([L(content_loss), L(style_loss)])
        if step == 0:
            out['ins_grad0'] = L(style_model.ins.weight.grad()[0, :3])
            out['grad0'] = norms(style_model)['grad']
    out['norms'] = norms(style_model)
    out['styled'] = L(style_model(x)[:, :, :3, :3])
    return out


# ---------------------------------------------------------------- 5 super-resolution
# apache/mxnet example/gluon/super_resolution.py (1.x): a Block whose forward calls F.Activation
# on each Conv2D, _rearrange's pixel shuffle by reshape codes (-4, -3) and a 6-axis transpose,
# Orthogonal initialization with conv4's ``collect_params().initialize(..., force_reinit=True)``,
# mx.metric.MSE and its PSNR, split_and_load; example/gluon/data.py's ImagePairIter (an
# mx.io.DataIter of DataBatches, CenterCropAug + ResizeAug of a YCbCr luma plane).
def _rearrange(raw, F, upscale_factor):
    splitted = F.reshape(raw, shape=(0, -4, -1, upscale_factor ** 2, 0, 0))
    unflatten = F.reshape(splitted, shape=(0, 0, -4, upscale_factor, upscale_factor, 0, 0))
    swapped = F.transpose(unflatten, axes=(0, 1, 4, 2, 5, 3))
    return F.reshape(swapped, shape=(0, 0, -3, -3))


class SuperResolutionNet(gluon.Block):
    def __init__(self, upscale_factor):
        super(SuperResolutionNet, self).__init__()
        with self.name_scope():
            self.conv1 = nn.Conv2D(8, (5, 5), strides=(1, 1), padding=(2, 2))
            self.conv2 = nn.Conv2D(8, (3, 3), strides=(1, 1), padding=(1, 1))
            self.conv3 = nn.Conv2D(4, (3, 3), strides=(1, 1), padding=(1, 1))
            self.conv4 = nn.Conv2D(upscale_factor ** 2, (3, 3), strides=(1, 1), padding=(1, 1))
        self.upscale_factor = upscale_factor

    def forward(self, x):
        x = nd.Activation(self.conv1(x), act_type='relu')
        x = nd.Activation(self.conv2(x), act_type='relu')
        x = nd.Activation(self.conv3(x), act_type='relu')
        return _rearrange(self.conv4(x), nd, self.upscale_factor)


class ImagePairIter(mx.io.DataIter):
    """Pairs of (downscaled input, target) luma planes from in-memory RGB images."""

    def __init__(self, images, data_shape, label_shape, batch_size=2, input_aug=None, target_aug=None):
        super(ImagePairIter, self).__init__(batch_size)
        self.data_shape = (1,) + data_shape
        self.label_shape = (1,) + label_shape
        self.images = images
        self.input_aug = input_aug
        self.target_aug = target_aug
        self.provide_data = [('data', (batch_size,) + self.data_shape)]
        self.provide_label = [('label', (batch_size,) + self.label_shape)]
        self.count = 0

    def reset(self):
        self.count = 0

    def next(self):
        from_idx = self.count * self.batch_size
        to_idx = from_idx + self.batch_size
        if to_idx > len(self.images):
            raise StopIteration
        data, label = [], []
        for img in self.images[from_idx:to_idx]:
            # YCbCr's Y of an RGB uint8 image, as PIL computes it
            y = (0.299 * img[:, :, 0] + 0.587 * img[:, :, 1] + 0.114 * img[:, :, 2]).round().astype('uint8')
            y = nd.array(y[:, :, None], dtype='uint8')
            data_img, label_img = y, y
            for aug in self.input_aug:
                data_img = aug(data_img)
            for aug in self.target_aug:
                label_img = aug(label_img)
            data.append(nd.transpose(data_img.astype('float32') / 255, axes=(2, 0, 1)).expand_dims(axis=0))
            label.append(nd.transpose(label_img.astype('float32') / 255, axes=(2, 0, 1)).expand_dims(axis=0))
        self.count += 1
        return mx.io.DataBatch(data=[nd.concat(*data, dim=0)], label=[nd.concat(*label, dim=0)],
                               provide_data=self.provide_data, provide_label=self.provide_label)


def super_resolution():
    """Two epochs of Adam on L2Loss over an ImagePairIter (CenterCropAug, bicubic ResizeAug), the
    MSE metric and its PSNR per epoch, the resolved output."""
    upscale_factor, batch_size = 3, 2
    rs = np.random.RandomState(61)
    images = [rs.randint(0, 256, (20, 22, 3)).astype('uint8') for _ in range(4)]
    crop_size = 18
    crop_size -= crop_size % upscale_factor
    input_crop_size = crop_size // upscale_factor
    input_transform = [mx.image.CenterCropAug((crop_size, crop_size)), mx.image.ResizeAug(input_crop_size)]
    target_transform = [mx.image.CenterCropAug((crop_size, crop_size))]
    train_data = ImagePairIter(images, (input_crop_size, input_crop_size), (crop_size, crop_size), batch_size,
                               input_transform, target_transform)
    ctx = [mx.cpu()]
    net = SuperResolutionNet(upscale_factor)
    net.initialize(mx.init.Orthogonal(), ctx=ctx)
    first = next(iter(train_data))
    train_data.reset()
    out = {'provide_data': [list(d) if isinstance(d, tuple) else [d.name, list(d.shape)]
                            for d in train_data.provide_data],
           'input0': L(first.data[0][0, 0]), 'label0': L(first.label[0][0, 0, :4])}
    net(first.data[0])
    net.conv4.collect_params().initialize(mx.init.Orthogonal(scale=1), force_reinit=True, ctx=ctx)
    set_params(net, 62)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    loss = gluon.loss.L2Loss()
    metric = mx.metric.MSE()
    out['epochs'] = []
    for i in range(2):
        train_data.reset()
        for batch in train_data:
            data = gluon.utils.split_and_load(batch.data[0], ctx_list=ctx, batch_axis=0)
            label = gluon.utils.split_and_load(batch.label[0], ctx_list=ctx, batch_axis=0)
            outputs = []
            with autograd.record():
                for x, y in zip(data, label):
                    z = net(x)
                    Lo = loss(z, y)
                    Lo.backward()
                    outputs.append(z)
            trainer.step(batch.data[0].shape[0])
            metric.update(label, outputs)
        name, acc = metric.get()
        metric.reset()
        out['epochs'].append([name, acc, 10 * math.log10(1 / acc)])
    out['norms'] = norms(net)
    out['resolved'] = L(net(first.data[0])[0, 0, :3])
    return out


# ---------------------------------------------------------------- 6 toy SSD
# apache/mxnet example/gluon/ssd/toy_ssd.py: a Block of HybridSequential stages, MultiBoxPrior /
# MultiBoxTarget / MultiBoxDetection imported from mxnet.contrib.ndarray, predictions flattened
# through transpose + flatten and concatenated, SoftmaxCrossEntropyLoss over the transposed class
# predictions, SmoothL1Loss of masked offsets, mx.metric.Accuracy and MAE over lists, inference
# by SoftmaxActivation(mode='channel'). Channels and image shrunk (1 x 32 x 32, three classes).
from_contrib = mx.contrib.ndarray


class ToySSD(gluon.Block):
    def __init__(self, num_class, **kwargs):
        super(ToySSD, self).__init__(**kwargs)
        self.sizes = [[.37, .447], [.54, .619], [.71, .79], [.88, .961]]
        self.ratios = [[1, 2, .5], [1, 2, .5], [1, 2, .5], [1, 2, .5]]
        num_anchors = [len(x) + len(y) - 1 for x, y in zip(self.sizes, self.ratios)]
        self.num_anchors = num_anchors
        self.num_class = num_class
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(self._make_basic_block(4))
            self.body.add(self._make_basic_block(4))
            self.body.add(self._make_basic_block(8))
            self.cls1 = nn.Conv2D(num_anchors[0] * (num_class + 1), 3, padding=1)
            self.loc1 = nn.Conv2D(num_anchors[0] * 4, 3, padding=1)
            self.blk1 = self._make_basic_block(8)
            self.cls2 = nn.Conv2D(num_anchors[1] * (num_class + 1), 3, padding=1)
            self.loc2 = nn.Conv2D(num_anchors[1] * 4, 3, padding=1)
            self.blk2 = self._make_basic_block(8)
            self.cls3 = nn.Conv2D(num_anchors[2] * (num_class + 1), 3, padding=1)
            self.loc3 = nn.Conv2D(num_anchors[2] * 4, 3, padding=1)
            self.cls4 = nn.Conv2D(num_anchors[3] * (num_class + 1), 3, padding=1)
            self.loc4 = nn.Conv2D(num_anchors[3] * 4, 3, padding=1)

    def _make_basic_block(self, num_filter):
        out = nn.HybridSequential()
        out.add(nn.Conv2D(num_filter, 3, strides=1, padding=1))
        out.add(nn.BatchNorm(in_channels=num_filter))
        out.add(nn.Activation('relu'))
        out.add(nn.Conv2D(num_filter, 3, strides=1, padding=1))
        out.add(nn.BatchNorm(in_channels=num_filter))
        out.add(nn.Activation('relu'))
        out.add(nn.MaxPool2D())
        return out

    def forward(self, x):
        anchors, loc_preds, cls_preds = [], [], []
        x = self.body(x)
        for i, (cls, loc) in enumerate([(self.cls1, self.loc1), (self.cls2, self.loc2), (self.cls3, self.loc3),
                                        (self.cls4, self.loc4)]):
            if i == 3:
                x = nd.Pooling(x, global_pool=True, pool_type='max', kernel=(2, 2))
            anchors.append(from_contrib.MultiBoxPrior(x, sizes=self.sizes[i], ratios=self.ratios[i]))
            loc_preds.append(nd.flatten(nd.transpose(loc(x), axes=(0, 2, 3, 1))))
            cls_preds.append(nd.flatten(nd.transpose(cls(x), axes=(0, 2, 3, 1))))
            if i == 0:
                x = self.blk1(x)
            elif i == 1:
                x = self.blk2(x)
        anchors = nd.reshape(nd.concat(*anchors, dim=1), shape=(0, -1, 4))
        loc_preds = nd.concat(*loc_preds, dim=1)
        cls_preds = nd.reshape(nd.concat(*cls_preds, dim=1), (0, -1, self.num_class + 1))
        cls_preds = nd.transpose(cls_preds, axes=(0, 2, 1))
        return [anchors, cls_preds, loc_preds]


def toy_ssd():
    """Two SGD steps with MultiBoxTarget targets, the Accuracy / MAE metrics, detections."""
    num_class = 3
    net = ToySSD(num_class)
    net.collect_params().initialize(mx.init.Xavier(magnitude=2.34), ctx=[mx.cpu()])
    rs = np.random.RandomState(71)
    data = nd.array(rs.uniform(0, 1, (2, 1, 32, 32)))
    label = nd.array([[[0, 0.1, 0.1, 0.5, 0.6], [2, 0.4, 0.3, 0.9, 0.8]],
                      [[1, 0.2, 0.5, 0.7, 0.9], [-1, -1, -1, -1, -1]]])
    build(net, 72, data)
    for p in net.collect_params('.*running_var').values():      # seeded values include negatives
        p.set_data(nd.abs(p.data()) + 0.5)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.001})
    cls_metric, loc_metric = mx.metric.Accuracy(), mx.metric.MAE()
    # the example's gluon.loss.SmoothL1Loss is in neither MXNet 1.9.1 nor minigluon: HuberLoss is
    # the same loss (rho=1)
    out = {'smooth_l1': 'SmoothL1Loss' in _try(lambda: gluon.loss.SmoothL1Loss())['error'], 'steps': []}
    cls_loss, loc_loss = gluon.loss.SoftmaxCrossEntropyLoss(), gluon.loss.HuberLoss()
    for step in range(2):
        ctx = [mx.cpu()]
        data_l = gluon.utils.split_and_load(data, ctx_list=ctx, batch_axis=0)
        label_l = gluon.utils.split_and_load(label, ctx_list=ctx, batch_axis=0)
        cls_pred_outputs, cls_target_outputs, loc_pred_outputs, loc_target_outputs, Ls = [], [], [], [], []
        with autograd.record():
            for x, y in zip(data_l, label_l):
                anchors, cls_preds, loc_preds = net(x)
                z = from_contrib.MultiBoxTarget(*[anchors, y, cls_preds])
                loc_target, loc_mask, cls_target = z[0], z[1], z[2]
                loss1 = cls_loss(nd.transpose(cls_preds, (0, 2, 1)), cls_target)
                loss2 = loc_loss(loc_preds * loc_mask, loc_target)
                Ls.append(loss1 + loss2)
                cls_pred_outputs.append(cls_preds)
                cls_target_outputs.append(cls_target)
                loc_pred_outputs.append(loc_preds * loc_mask)
                loc_target_outputs.append(loc_target)
            for Lo in Ls:
                Lo.backward()
        trainer.step(data.shape[0])
        cls_metric.update(cls_target_outputs, cls_pred_outputs)
        loc_metric.update(loc_target_outputs, loc_pred_outputs)
        out['steps'].append([L(Ls[0]), list(cls_metric.get()), list(loc_metric.get())])
    out['anchors'] = [list(anchors.shape), L(anchors[0, :5])]
    out['cls_target'] = L(cls_target)
    out['loc_target_sum'] = float(loc_target.sum().asscalar())
    out['norms'] = norms(net)
    anchors, cls_preds, loc_preds = net(data)
    cls_probs = nd.SoftmaxActivation(cls_preds, mode='channel')
    dets = from_contrib.MultiBoxDetection(*[cls_probs, loc_preds, anchors], force_suppress=True)
    out['cls_probs'] = L(cls_probs[:, :, :3])
    out['dets'] = L(dets[:, :4])
    return out


# ---------------------------------------------------------------- 7 SNAIL
# apache/mxnet example/gluon/snail/models.py (CasualConv1d cutting ``out[:, :, :-dilation]``,
# DenseBlock, TCBlock with swapaxes, AttentionBlock with a NumPy causal mask through np.triu /
# np.place and nd.linalg_gemm2 / elemwise_mul, CnnEmbedding, SNAIL writing zero labels into
# ``labels[last_idxs]`` under ``with x.context``) and trainer.py's step (the last position's
# logits, SoftmaxCrossEntropyLoss, Adam). Widths shrunk (64 -> 4, filters 128 -> 4).
class CasualConv1d(nn.Block):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, dilation=1, groups=1, bias=True,
                 **kwargs):
        super(CasualConv1d, self).__init__(**kwargs)
        self.dilation = dilation
        self.padding = dilation * (kernel_size - 1)
        with self.name_scope():
            self.casual_conv = nn.Conv1D(in_channels=in_channels, channels=out_channels, kernel_size=kernel_size,
                                         strides=stride, padding=self.padding, dilation=dilation, groups=groups,
                                         use_bias=bias)

    def forward(self, x):
        out = self.casual_conv(x)
        return out[:, :, :-self.dilation]


class SnailDenseBlock(nn.Block):
    def __init__(self, in_channels, filters, dilation=1, kernel_size=2, **kwargs):
        super(SnailDenseBlock, self).__init__(**kwargs)
        with self.name_scope():
            self.casual_conv1 = CasualConv1d(in_channels, filters, kernel_size, dilation=dilation)
            self.casual_conv2 = CasualConv1d(in_channels, filters, kernel_size, dilation=dilation)

    def forward(self, x):
        tanh = nd.tanh(self.casual_conv1(x))
        sigmoid = nd.sigmoid(self.casual_conv1(x))
        return nd.concat(x, tanh * sigmoid, dim=1)


class TCBlock(nn.Block):
    def __init__(self, in_channels, seq_len, filters, **kwargs):
        super(TCBlock, self).__init__(**kwargs)
        layer_count = int(math.ceil(math.log(seq_len)))
        with self.name_scope():
            self.blocks = nn.Sequential()
            for i in range(layer_count):
                self.blocks.add(SnailDenseBlock(in_channels + i * filters, filters, dilation=2 ** (i + 1)))

    def forward(self, x):
        x = x.swapaxes(1, 2)
        out = self.blocks(x)
        return out.swapaxes(1, 2)


class AttentionBlock(nn.Block):
    def __init__(self, k_size, v_size, **kwargs):
        super(AttentionBlock, self).__init__(**kwargs)
        self.sqrt_k = math.sqrt(k_size)
        with self.name_scope():
            self.key_layer = nn.Dense(k_size, flatten=False)
            self.query_layer = nn.Dense(k_size, flatten=False)
            self.value_layer = nn.Dense(v_size, flatten=False)

    def forward(self, x):
        with x.context:
            keys = self.key_layer(x)
            queries = self.query_layer(x)
            values = self.value_layer(x)
            logits = nd.linalg_gemm2(queries, keys.swapaxes(2, 1))
            mask = np.full(shape=(logits.shape[1], logits.shape[2]), fill_value=1).astype('float')
            mask = np.triu(mask, 1)
            mask = np.expand_dims(mask, 0)
            mask = np.repeat(mask, logits.shape[0], 0)
            np.place(mask, mask == 1, 0.0)
            np.place(mask, mask == 0, 1.0)
            mask = nd.array(mask)
            logits = nd.elemwise_mul(logits, mask)
            probs = nd.softmax(logits / self.sqrt_k, axis=2)
            read = nd.linalg_gemm2(probs, values)
            return nd.concat(x, read, dim=2)


class CnnEmbedding(nn.Block):
    def __init__(self, **kwargs):
        super(CnnEmbedding, self).__init__(**kwargs)
        with self.name_scope():
            self.cnn1 = nn.Conv2D(4, 3, padding=1, activation='relu')
            self.bn1 = nn.BatchNorm()
            self.max1 = nn.MaxPool2D(2, 2)
            self.cnn2 = nn.Conv2D(4, 3, padding=1, activation='relu')
            self.bn2 = nn.BatchNorm()
            self.max2 = nn.MaxPool2D(2, 2)
            self.cnn3 = nn.Conv2D(4, 3, padding=1, activation='relu')
            self.bn3 = nn.BatchNorm()
            self.max3 = nn.MaxPool2D(2, 2)
            self.cnn4 = nn.Conv2D(4, 3, padding=1, activation='relu')
            self.bn4 = nn.BatchNorm()
            self.max4 = nn.MaxPool2D(2)

    def forward(self, x):
        out = self.max1(self.bn1(self.cnn1(x)))
        out = self.max2(self.bn2(self.cnn2(out)))
        out = self.max3(self.bn3(self.cnn3(out)))
        out = self.max4(self.bn4(self.cnn4(out)))
        return out.reshape(out.shape[0], -1)


class SNAIL(nn.Block):
    def __init__(self, N, K, input_dims, ctx, **kwargs):
        super(SNAIL, self).__init__(**kwargs)
        self.N, self.K = N, K
        self.num_filters = int(math.ceil(math.log(N * K + 1)))
        self.ctx = ctx
        self.num_channels = input_dims + N
        with self.name_scope():
            self.cnn_emb = CnnEmbedding()
            self.attn1 = AttentionBlock(4, 3)
            attn1_out_shape = self.num_channels + 3
            self.tc1 = TCBlock(attn1_out_shape, N * K + 1, 4)
            tc1_out_shape = attn1_out_shape + self.num_filters * 4
            self.attn2 = AttentionBlock(4, 3)
            attn2_out_shape = tc1_out_shape + 3
            self.tc2 = TCBlock(attn2_out_shape, N * K + 1, 4)
            self.attn3 = AttentionBlock(4, 3)
            self.fc = nn.Dense(N, flatten=False)

    def forward(self, x, labels):
        with x.context:
            batch_size = int(labels.shape[0] / (self.N * self.K + 1))
            last_idxs = [(i + 1) * (self.N * self.K + 1) - 1 for i in range(batch_size)]
            labels[last_idxs] = nd.zeros(shape=(batch_size, labels.shape[1]))
            x = self.cnn_emb(x)
            x = nd.concat(x, labels, dim=1)
            x = x.reshape((batch_size, self.N * self.K + 1, -1))
            x = self.attn1(x)
            x = self.tc1(x)
            x = self.attn2(x)
            x = self.tc2(x)
            x = self.attn3(x)
            x = self.fc(x)
        return x


def snail():
    """Two Adam steps of a 2-way 2-shot SNAIL on two episodes, the last positions' logits."""
    N, K, episodes = 2, 2, 2
    ctx = mx.cpu()
    model = SNAIL(N, K, 4, ctx)
    model.initialize(ctx=ctx)
    rs = np.random.RandomState(81)
    x = nd.array(rs.uniform(0, 1, (episodes * (N * K + 1), 1, 16, 16)))
    classes = np.array([0, 1, 1, 0, 1, 1, 0, 0, 1, 0])
    one_hot = nd.one_hot(nd.array(classes), N)
    build(model, 82, x, one_hot.copy())
    trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': 1e-3})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    last_targets = nd.array(classes[N * K::N * K + 1])
    out = {'losses': []}
    for step in range(3):
        labels = one_hot.copy()
        with autograd.record():
            model_output = model(x, labels)
            last_model = model_output[:, -1, :]
            loss = loss_fn(last_model, last_targets)
        loss.backward()
        # DenseBlock calls casual_conv1 twice: casual_conv2's parameters never get a gradient, and
        # the first step says so and updates nothing; the next ones skip them
        if step == 0:
            try:
                trainer.step(episodes)
            except UserWarning as e:
                out['stale'] = 'has not been updated by backward' in str(e)
        else:
            trainer.step(episodes, ignore_stale_grad=True)
        out['losses'].append(L(loss))
    out['labels_after'] = L(labels)
    out['logits'] = L(model_output)
    out['acc'] = float((last_model.argmax(axis=1) == last_targets).mean().asscalar())
    out['norms'] = norms(model)
    return out



# ---------------------------------------------------------------- 8 learning-rate manipulation
# apache/mxnet example/gluon/learning_rate_manipulation.py: a Trainer made before
# ``net.initialize(Xavier, force_reinit=True)`` re-initializes the (still deferred) Dense,
# batches from a shuffling mx.io.NDArrayIter (np.random seeded), ``trainer.set_learning_rate``
# from ``trainer.learning_rate`` after the second epoch. 200 samples instead of 10000.
def learning_rate_manipulation():
    np.random.seed(91)
    X = np.random.randn(200, 2)
    Y = 2 * X[:, 0] - 3.4 * X[:, 1] + 4.2 + .01 * np.random.normal(size=200)
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(1))
    net.initialize()
    loss = gluon.loss.L2Loss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', optimizer_params={'learning_rate': 0.1})
    net.initialize(mx.init.Xavier(magnitude=2.24), force_reinit=True)
    train_data = mx.io.NDArrayIter(X, Y, batch_size=30, shuffle=True)
    out = {'provide': [[d.name, list(d.shape)] for d in train_data.provide_data + train_data.provide_label],
           'epochs': []}
    seeded = False
    for epoch in range(4):
        train_data.reset()
        for i, batch in enumerate(train_data):
            data = batch.data[0]
            label = batch.label[0].reshape((-1, 1))
            if not seeded:
                build(net, 92, data)
                seeded = True
            with autograd.record():
                output = net(data)
                mse = loss(output, label)
            mse.backward()
            trainer.step(data.shape[0])
        if epoch > 1:
            trainer.set_learning_rate(trainer.learning_rate * 0.9)
        out['epochs'].append([epoch, trainer.learning_rate, i, batch.pad, float(mse.mean().asscalar())])
    out['last_batch'] = [L(data[:3]), L(label[:3])]
    # (the Dense is made outside a name scope: its prefix counts every Dense the process made)
    out['params'] = {re.sub(r'^dense\d+_', '', name): L(p.data()) for name, p in net.collect_params().items()}
    return out


# ---------------------------------------------------------------- 9 house prices (k-fold)
# apache/mxnet example/gluon/house_prices/kaggle_k_fold_cross_validation.py: get_net / get_rmse_log
# (nd.clip to [1, inf), log, L2Loss summed and turned into a NumPy sqrt), train over a shuffling
# DataLoader of an ArrayDataset with Adam and weight decay, ``net.initialize(force_reinit=True)``
# on a fresh net, k-fold slicing and nd.concat of the folds. Seeded features instead of Kaggle's.
def get_rmse_log(net, X_train, y_train):
    num_train = X_train.shape[0]
    square_loss = gluon.loss.L2Loss()
    clipped_preds = nd.clip(net(X_train), 1, float('inf'))
    return np.sqrt(2 * nd.sum(square_loss(nd.log(clipped_preds), nd.log(y_train))).asscalar() / num_train)


def get_net(seed):
    net = gluon.nn.Sequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(1))
    net.initialize()
    net(nd.zeros((1, 5)))
    set_params(net, seed)
    return net


def house_train(net, X_train, y_train, X_test, y_test, epochs, verbose_epoch, learning_rate, weight_decay,
                batch_size):
    train_loss, test_loss = [], []
    dataset_train = gluon.data.ArrayDataset(X_train, y_train)
    data_iter_train = gluon.data.DataLoader(dataset_train, batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': learning_rate, 'wd': weight_decay})
    square_loss = gluon.loss.L2Loss()
    for epoch in range(epochs):
        for data, label in data_iter_train:
            with autograd.record():
                output = net(data)
                loss = square_loss(output, label)
            loss.backward()
            trainer.step(batch_size)
        cur_train_loss = get_rmse_log(net, X_train, y_train)
        train_loss.append(float(cur_train_loss))
        if X_test is not None:
            test_loss.append(float(get_rmse_log(net, X_test, y_test)))
    return train_loss, test_loss


def house_prices():
    """3-fold cross-validation of a linear model on log-RMSE, then a final fit and predictions."""
    rs = np.random.RandomState(101)
    X_train = nd.array(rs.normal(0, 1, (30, 5)))
    y_train = nd.array(np.exp(rs.normal(2.5, 0.3, (30, 1))))
    np.random.seed(102)
    k, epochs, learning_rate, weight_decay, batch_size = 3, 3, 0.5, 0.1, 8
    fold_size = X_train.shape[0] // k
    folds = []
    train_loss_sum, test_loss_sum = 0.0, 0.0
    for test_i in range(k):
        X_val_test = X_train[test_i * fold_size: (test_i + 1) * fold_size, :]
        y_val_test = y_train[test_i * fold_size: (test_i + 1) * fold_size]
        val_train_defined = False
        for i in range(k):
            if i != test_i:
                X_cur_fold = X_train[i * fold_size: (i + 1) * fold_size, :]
                y_cur_fold = y_train[i * fold_size: (i + 1) * fold_size]
                if not val_train_defined:
                    X_val_train, y_val_train = X_cur_fold, y_cur_fold
                    val_train_defined = True
                else:
                    X_val_train = nd.concat(X_val_train, X_cur_fold, dim=0)
                    y_val_train = nd.concat(y_val_train, y_cur_fold, dim=0)
        net = get_net(103 + test_i)
        train_loss, test_loss = house_train(net, X_val_train, y_val_train, X_val_test, y_val_test, epochs, 2,
                                            learning_rate, weight_decay, batch_size)
        train_loss_sum += train_loss[-1]
        test_loss_sum += test_loss[-1]
        folds.append([train_loss, test_loss])
    net = get_net(110)
    net.initialize(force_reinit=True)
    net(nd.zeros((1, 5)))
    set_params(net, 111)
    house_train(net, X_train, y_train, None, None, epochs, 2, learning_rate, weight_decay, batch_size)
    preds = net(X_train[:4]).asnumpy()
    return {'folds': folds, 'means': [train_loss_sum / k, test_loss_sum / k], 'preds': preds.tolist()}


# ---------------------------------------------------------------- 10 d2l attention + transformer
# d2l-ai/d2l-en (MXNet NDArray edition, 0.x) chapter_attention-mechanisms: masked_softmax by
# nd.SequenceMask (``valid_len.repeat``), DotProductAttention / MLPAttention Blocks,
# transformer.md's MultiHeadAttention (transpose_qkv / transpose_output by reshape and transpose),
# PositionWiseFFN, AddNorm, PositionalEncoding (a NumPy table sliced and as_in_context-ed),
# EncoderBlock / TransformerEncoder; chapter_recurrent-modern's MaskedSoftmaxCELoss (a
# SoftmaxCELoss subclass overriding forward with SequenceMask weights) and d2l.grad_clipping
# through ``p.data().grad`` written in place.
def masked_softmax(X, valid_len):
    if valid_len is None:
        return nd.softmax(X)
    shape = X.shape
    if valid_len.ndim == 1:
        valid_len = valid_len.repeat(shape[1], axis=0)
    else:
        valid_len = valid_len.reshape(-1)
    X = nd.SequenceMask(X.reshape((-1, shape[-1])), valid_len, True, axis=1, value=-1e6)
    return X.softmax().reshape(shape)


class DotProductAttention(nn.Block):
    def __init__(self, dropout, **kwargs):
        super(DotProductAttention, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, valid_len=None):
        d = query.shape[-1]
        scores = nd.batch_dot(query, key, transpose_b=True) / math.sqrt(d)
        attention_weights = self.dropout(masked_softmax(scores, valid_len))
        return nd.batch_dot(attention_weights, value)


class MLPAttention(nn.Block):
    def __init__(self, units, dropout, **kwargs):
        super(MLPAttention, self).__init__(**kwargs)
        self.W_k = nn.Dense(units, activation='tanh', use_bias=False, flatten=False)
        self.W_q = nn.Dense(units, activation='tanh', use_bias=False, flatten=False)
        self.v = nn.Dense(1, use_bias=False, flatten=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, valid_len):
        query, key = self.W_k(query), self.W_q(key)
        features = query.expand_dims(axis=2) + key.expand_dims(axis=1)
        scores = self.v(features).squeeze(axis=-1)
        attention_weights = self.dropout(masked_softmax(scores, valid_len))
        return nd.batch_dot(attention_weights, value)


def transpose_qkv(X, num_heads):
    X = X.reshape((X.shape[0], X.shape[1], num_heads, -1))
    X = X.transpose((0, 2, 1, 3))
    return X.reshape((-1, X.shape[2], X.shape[3]))


def transpose_output(X, num_heads):
    X = X.reshape((-1, num_heads, X.shape[1], X.shape[2]))
    X = X.transpose((0, 2, 1, 3))
    return X.reshape((X.shape[0], X.shape[1], -1))


class MultiHeadAttention(nn.Block):
    def __init__(self, units, num_heads, dropout, **kwargs):
        super(MultiHeadAttention, self).__init__(**kwargs)
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Dense(units, use_bias=False, flatten=False)
        self.W_k = nn.Dense(units, use_bias=False, flatten=False)
        self.W_v = nn.Dense(units, use_bias=False, flatten=False)
        self.W_o = nn.Dense(units, use_bias=False, flatten=False)

    def forward(self, query, key, value, valid_len):
        query = transpose_qkv(self.W_q(query), self.num_heads)
        key = transpose_qkv(self.W_k(key), self.num_heads)
        value = transpose_qkv(self.W_v(value), self.num_heads)
        if valid_len is not None:
            if valid_len.ndim == 1:
                valid_len = valid_len.tile(self.num_heads)
            else:
                valid_len = valid_len.tile((self.num_heads, 1))
        output = self.attention(query, key, value, valid_len)
        return self.W_o(transpose_output(output, self.num_heads))


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


class PositionalEncoding(nn.Block):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = np.zeros((1, max_len, num_hiddens))
        X = np.arange(0, max_len).reshape(-1, 1) / np.power(10000, np.arange(0, num_hiddens, 2) / num_hiddens)
        self.P[:, :, 0::2] = np.sin(X)
        self.P[:, :, 1::2] = np.cos(X)
        self.P = nd.array(self.P)

    def forward(self, X):
        X = X + self.P[:, :X.shape[1], :].as_in_context(X.context)
        return self.dropout(X)


class EncoderBlock(nn.Block):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout, **kwargs):
        super(EncoderBlock, self).__init__(**kwargs)
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(dropout)

    def forward(self, X, valid_len):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_len))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(nn.Block):
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_layers, dropout, **kwargs):
        super(TransformerEncoder, self).__init__(**kwargs)
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for _ in range(num_layers):
            self.blks.add(EncoderBlock(num_hiddens, ffn_num_hiddens, num_heads, dropout))

    def forward(self, X, valid_len, *args):
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        for blk in self.blks:
            X = blk(X, valid_len)
        return X


class MaskedSoftmaxCELoss(gluon.loss.SoftmaxCELoss):
    def forward(self, pred, label, valid_len):
        weights = nd.ones_like(label).expand_dims(axis=-1)
        weights = nd.SequenceMask(weights, valid_len, True, axis=1)
        return super(MaskedSoftmaxCELoss, self).forward(pred, label, weights)


def grad_clipping(model, theta):
    if isinstance(model, gluon.Block):
        params = [p.data() for p in model.collect_params().values()]
    else:
        params = model.params
    norm = math.sqrt(sum((p.grad ** 2).sum().asscalar() for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm
    return norm


class TaggerHead(nn.Block):
    """A token tagger over the encoder (ours): the encoder's states through a Dense."""

    def __init__(self, encoder, vocab_size, **kwargs):
        super(TaggerHead, self).__init__(**kwargs)
        self.encoder = encoder
        self.dense = nn.Dense(vocab_size, flatten=False)

    def forward(self, X, valid_len):
        return self.dense(self.encoder(X, valid_len))


def d2l_transformer():
    """The attention chapter's examples (masked_softmax, both attention Blocks), then two Adam
    steps of a one-layer transformer tagger under MaskedSoftmaxCELoss with gradient clipping."""
    out = {}
    X = nd.array(np.random.RandomState(121).uniform(size=(2, 2, 4)))
    out['masked_1d'] = L(masked_softmax(X, nd.array([2, 3])))
    out['masked_2d'] = L(masked_softmax(X, nd.array([[1, 3], [2, 4]])))
    keys = nd.ones((2, 10, 2))
    values = nd.arange(40).reshape((1, 10, 4)).repeat(2, axis=0)
    dot = DotProductAttention(dropout=0.5)
    dot.initialize()
    out['dot'] = L(dot(nd.ones((2, 1, 2)), keys, values, nd.array([2, 6])))
    mlp = MLPAttention(units=8, dropout=0.1)
    mlp.initialize()
    mlp(nd.ones((2, 1, 2)), keys, values, nd.array([2, 6]))
    set_params(mlp, 122)
    out['mlp'] = L(mlp(nd.ones((2, 1, 2)), keys, values, nd.array([2, 6])))
    encoder = TransformerEncoder(12, 8, 16, 2, 1, 0.0)
    model = TaggerHead(encoder, 12)
    model.initialize(init.Xavier())
    rs = np.random.RandomState(123)
    tokens = nd.array(rs.randint(0, 12, (3, 5)))
    labels = nd.array(rs.randint(0, 12, (3, 5)))
    valid_len = nd.array([5, 3, 2])
    model(tokens, valid_len)
    set_params(model, 124)
    trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': 0.005})
    loss = MaskedSoftmaxCELoss()
    out['steps'] = []
    for step in range(2):
        with autograd.record():
            Y_hat = model(tokens, valid_len)
            l = loss(Y_hat, labels, valid_len).sum()
        l.backward()
        norm = grad_clipping(model, 1)
        num_tokens = float(valid_len.sum().asscalar())
        trainer.step(num_tokens)
        out['steps'].append([float(l.asscalar()), norm])
    out['enc'] = L(encoder(tokens, valid_len)[:, :2])
    out['norms'] = norms(model)
    return out


# ---------------------------------------------------------------- 11 d2l word2vec
# d2l-ai/d2l-zh (MXNet edition) chapter_natural-language-processing/word2vec-gluon.md: batchify
# padding (center, context, negatives) triples into NDArrays, a DataLoader over an ArrayDataset
# of ragged Python lists with that batchify_fn, skip_gram's batch_dot of two Embeddings in an
# nn.Sequential, SigmoidBinaryCrossEntropyLoss with a mask as sample weight rescaled by
# ``mask.shape[1] / mask.sum(axis=1)``, get_similar_tokens by cosine and nd.topk. The corpus is
# seeded windows and negatives instead of PTB's.
def batchify(data):
    max_len = max(len(c) + len(n) for _, c, n in data)
    centers, contexts_negatives, masks, labels = [], [], [], []
    for center, context, negative in data:
        cur_len = len(context) + len(negative)
        centers += [center]
        contexts_negatives += [context + negative + [0] * (max_len - cur_len)]
        masks += [[1] * cur_len + [0] * (max_len - cur_len)]
        labels += [[1] * len(context) + [0] * (max_len - len(context))]
    return (nd.array(centers).reshape((-1, 1)), nd.array(contexts_negatives), nd.array(masks), nd.array(labels))


def skip_gram(center, contexts_and_negatives, embed_v, embed_u):
    v = embed_v(center)
    u = embed_u(contexts_and_negatives)
    return nd.batch_dot(v, u.swapaxes(1, 2))


def word2vec():
    rs = np.random.RandomState(131)
    vocab_size, embed_size, K = 15, 6, 2
    all_centers = [int(c) for c in rs.randint(1, vocab_size, 12)]
    all_contexts = [[int(w) for w in rs.randint(1, vocab_size, rs.randint(1, 4))] for _ in all_centers]
    all_negatives = [[int(w) for w in rs.randint(1, vocab_size, len(c) * K)] for c in all_contexts]
    out = {'batchify': [L(a) for a in batchify([(1, [2, 2], [3, 3, 3, 3]), (1, [2, 2, 2], [3, 3])])]}
    dataset = gluon.data.ArrayDataset(all_centers, all_contexts, all_negatives)
    np.random.seed(132)
    data_iter = gluon.data.DataLoader(dataset, 5, shuffle=True, batchify_fn=batchify)
    net = nn.Sequential()
    net.add(nn.Embedding(input_dim=vocab_size, output_dim=embed_size),
            nn.Embedding(input_dim=vocab_size, output_dim=embed_size))
    loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    net.initialize(force_reinit=True)
    set_params(net, 133)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
    out['epochs'] = []
    for epoch in range(2):
        l_sum, n = 0.0, 0
        for batch in data_iter:
            center, context_negative, mask, label = [data.as_in_context(mx.cpu()) for data in batch]
            with autograd.record():
                pred = skip_gram(center, context_negative, net[0], net[1])
                l = (loss(pred.reshape(label.shape), label, mask) * mask.shape[1] / mask.sum(axis=1))
            l.backward()
            trainer.step(center.shape[0])
            l_sum += float(l.sum().asscalar())
            n += l.size
        out['epochs'].append(l_sum / n)
    W = net[0].weight.data()
    x = W[3]
    cos = nd.dot(W, x) / (nd.sum(W * W, axis=1) * nd.sum(x * x) + 1e-9).sqrt()
    topk = nd.topk(cos, k=4, ret_typ='indices').asnumpy().astype('int32')
    out['similar'] = [int(i) for i in topk[1:]]
    out['cos'] = L(cos)
    return out


# ---------------------------------------------------------------- 12 d2l FCN
# d2l-ai/d2l-zh (MXNet edition) chapter_computer-vision/fcn.md: a model-zoo resnet18_v2 whose
# ``features[:-2]`` (a sliced HybridSequential) is copied layer by layer into a new
# HybridSequential, a 1x1 Conv2D and a Conv2DTranspose initialized by init.Constant of a bilinear
# kernel, ``net[-2].initialize(init=init.Xavier())``, SoftmaxCrossEntropyLoss(axis=1), SGD with
# weight decay; the chapter's check of the bilinear upsampling. 64 x 64 inputs, 3 classes.
def bilinear_kernel(in_channels, out_channels, kernel_size):
    factor = (kernel_size + 1) // 2
    if kernel_size % 2 == 1:
        center = factor - 1
    else:
        center = factor - 0.5
    og = np.ogrid[:kernel_size, :kernel_size]
    filt = (1 - abs(og[0] - center) / factor) * (1 - abs(og[1] - center) / factor)
    weight = np.zeros((in_channels, out_channels, kernel_size, kernel_size), dtype='float32')
    weight[range(in_channels), range(out_channels), :, :] = filt
    return nd.array(weight)


def d2l_fcn():
    out = {}
    conv_trans = nn.Conv2DTranspose(3, kernel_size=4, padding=1, strides=2)
    conv_trans.initialize(init.Constant(bilinear_kernel(3, 3, 4)))
    img = nd.array(np.random.RandomState(141).uniform(0, 1, (1, 3, 5, 6)))
    Y = conv_trans(img)
    out['upsampled'] = [list(Y.shape), L(Y[0, 0, :3, :4])]
    pretrained_net = gluon.model_zoo.vision.resnet18_v2(pretrained=False)
    out['tail'] = [type(b).__name__ for b in pretrained_net.features[-4:]]
    net = nn.HybridSequential()
    for layer in pretrained_net.features[:-2]:
        net.add(layer)
    num_classes = 3
    net.add(nn.Conv2D(num_classes, kernel_size=1),
            nn.Conv2DTranspose(num_classes, kernel_size=64, padding=16, strides=32))
    pretrained_net.initialize()
    net[-1].initialize(init.Constant(bilinear_kernel(num_classes, num_classes, 64)))
    net[-2].initialize(init=init.Xavier())
    rs = np.random.RandomState(142)
    X = nd.array(rs.uniform(0, 1, (2, 3, 64, 64)))
    labels = nd.array(rs.randint(0, num_classes, (2, 64, 64)))
    out['shape'] = list(net(X).shape)
    w_before = net[-1].weight.data().copy()
    params = net.collect_params()
    rs_p = np.random.RandomState(143)
    for name in sorted(params.keys(), key=natural):
        if name.startswith(net[-1].prefix):
            continue          # the bilinear kernel stays
        shape = params[name].shape
        value = rs_p.uniform(-0.5, 0.5, shape)
        if name.endswith('running_var'):
            value = np.abs(value) + 0.5
        params[name].set_data(nd.array(value))
    data_bn_mean = net[0].running_mean.data().copy()
    loss = gluon.loss.SoftmaxCrossEntropyLoss(axis=1)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.01, 'wd': 1e-3})
    out['steps'] = []
    for step in range(2):
        with autograd.record():
            l = loss(net(X), labels)
        l.backward()
        trainer.step(X.shape[0])
        out['steps'].append(L(l))
        if step == 0:
            out['grad0'] = norms(net)['grad']
    out['kernel_moved'] = float((net[-1].weight.data() - w_before).abs().sum().asscalar())
    # the input's BatchNorm (no gradient reaches it): MXNet's CPU BatchNorm updates its running
    # statistics in the backward pass, which does not run there; minigluon's in the forward pass
    out['data_bn_moved'] = bool((net[0].running_mean.data() != data_bn_mean).sum().asscalar() > 0)
    pred = net(X).argmax(axis=1)
    out['pred'] = L(pred[:, ::16, ::16])
    out['norms'] = norms(net)
    return out



# ---------------------------------------------------------------- 13 GluonCV SSD targets and loss
# dmlc/gluon-cv gluoncv/model_zoo/ssd/target.py (SSDTargetGenerator: box_iou transposed,
# CompositeMatcher, OHEMSampler, the class and box encoders), gluoncv/nn/matcher.py
# (CompositeMatcher over a HybridSequential, BipartiteMatcher with share_max, MaximumMatcher),
# gluoncv/nn/sampler.py (OHEMSampler: argsort of masked scores, NumPy assignment of the hardest
# negatives, nd.array(y, ctx=x.context)), gluoncv/loss.py (SSDMultiBoxLoss: argsort of argsort
# ranks, pick, _reshape_like, lists over devices) and the coders of gluoncv/nn/coder.py and
# bbox.py, rewritten shorter. Anchors from MultiBoxPrior, cls / box predictions from a Conv2D head.
class BBoxCornerToCenter(HybridBlock):
    def __init__(self, axis=-1, split=False):
        super(BBoxCornerToCenter, self).__init__()
        self._split, self._axis = split, axis

    def hybrid_forward(self, F, x):
        xmin, ymin, xmax, ymax = F.split(x, axis=self._axis, num_outputs=4)
        width, height = xmax - xmin, ymax - ymin
        x, y = xmin + width / 2, ymin + height / 2
        if not self._split:
            return F.concat(x, y, width, height, dim=self._axis)
        return x, y, width, height


class BBoxCenterToCorner(HybridBlock):
    def __init__(self, axis=-1, split=False):
        super(BBoxCenterToCorner, self).__init__()
        self._split, self._axis = split, axis

    def hybrid_forward(self, F, x):
        x, y, w, h = F.split(x, axis=self._axis, num_outputs=4)
        hw, hh = w / 2, h / 2
        xmin, ymin, xmax, ymax = x - hw, y - hh, x + hw, y + hh
        if not self._split:
            return F.concat(xmin, ymin, xmax, ymax, dim=self._axis)
        return xmin, ymin, xmax, ymax


class CompositeMatcher(HybridBlock):
    def __init__(self, matchers):
        super(CompositeMatcher, self).__init__()
        assert len(matchers) > 0, "At least one matcher required."
        for matcher in matchers:
            assert isinstance(matcher, (gluon.Block, gluon.HybridBlock))
        self._matchers = nn.HybridSequential()
        for m in matchers:
            self._matchers.add(m)

    def hybrid_forward(self, F, x):
        matches = [matcher(x) for matcher in self._matchers]
        result = matches[0]
        for match in matches[1:]:
            result = F.where(result > -0.5, result, match)
        return result


class BipartiteMatcher(HybridBlock):
    def __init__(self, threshold=1e-12, is_ascend=False, eps=1e-12, share_max=True):
        super(BipartiteMatcher, self).__init__()
        self._threshold, self._is_ascend, self._eps, self._share_max = threshold, is_ascend, eps, share_max

    def hybrid_forward(self, F, x):
        match = F.contrib.bipartite_matching(x, threshold=self._threshold, is_ascend=self._is_ascend)
        if self._share_max is False:
            return match[0]
        arg_, max_min_ = F.argmax, F.max
        comp_ = lambda a, b: a + self._eps > b        # noqa: E731 -- as the source writes it
        rargmax = arg_(x, axis=-1)
        rm = max_min_(x, axis=-1)
        rargmax = F.where(comp_(rm, self._threshold), rargmax, F.ones_like(rargmax) * -1)
        return F.where(comp_(F.pick(x, match[0], axis=-1), rm), match[0], rargmax)


class MaximumMatcher(HybridBlock):
    def __init__(self, threshold):
        super(MaximumMatcher, self).__init__()
        self._threshold = threshold

    def hybrid_forward(self, F, x):
        argmax = F.argmax(x, axis=-1)
        return F.where(F.pick(x, argmax, axis=-1) >= self._threshold, argmax, F.ones_like(argmax) * -1)


class OHEMSampler(gluon.Block):
    def __init__(self, ratio, min_samples=0, thresh=0.5):
        super(OHEMSampler, self).__init__()
        assert ratio > 0, "OHEMSampler ratio must > 0, {} given".format(ratio)
        self._ratio, self._min_samples, self._thresh = ratio, min_samples, thresh

    def forward(self, x, logits, ious):
        F = nd
        num_positive = F.sum(x > -1, axis=1)
        num_negative = self._ratio * num_positive
        num_total = x.shape[1]
        num_negative = F.minimum(F.maximum(self._min_samples, num_negative), num_total - num_positive)
        positive = logits.slice_axis(axis=2, begin=1, end=None)
        background = logits.slice_axis(axis=2, begin=0, end=1).reshape((0, -1))
        maxval = positive.max(axis=2)
        esum = F.exp(logits - maxval.reshape((0, 0, 1))).sum(axis=2)
        score = -F.log(F.exp(background - maxval) / esum)
        mask = F.ones_like(score) * -1
        score = F.where(x < 0, score, mask)
        if len(ious.shape) == 3:
            ious = F.max(ious, axis=2)
        score = F.where(ious < self._thresh, score, mask)
        argmaxs = F.argsort(score, axis=1, is_ascend=False)
        y = np.zeros(x.shape)
        y[np.where(x.asnumpy() >= 0)] = 1
        argmaxs = argmaxs.asnumpy()
        for i, num_neg in zip(range(x.shape[0]), num_negative.asnumpy().astype(np.int32)):
            indices = argmaxs[i, :num_neg]
            y[i, indices.astype(np.int32)] = -1
        return F.array(y, ctx=x.context)


class MultiClassEncoder(HybridBlock):
    def __init__(self, ignore_label=-1):
        super(MultiClassEncoder, self).__init__()
        self._ignore_label = ignore_label

    def hybrid_forward(self, F, samples, matches, refs):
        refs = F.broadcast_like(F.reshape(refs, (0, 1, -1)), matches, lhs_axes=1, rhs_axes=1)
        target_ids = F.pick(refs, matches, axis=2) + 1
        targets = F.where(samples > 0.5, target_ids, F.ones_like(target_ids) * self._ignore_label)
        return F.where(samples < -0.5, F.zeros_like(targets), targets)


class NormalizedBoxCenterEncoder(gluon.Block):
    def __init__(self, stds=(0.1, 0.1, 0.2, 0.2), means=(0., 0., 0., 0.)):
        super(NormalizedBoxCenterEncoder, self).__init__()
        self._stds, self._means = stds, means
        with self.name_scope():
            self.corner_to_center = BBoxCornerToCenter(split=True)

    def forward(self, samples, matches, anchors, refs):
        F = nd
        ref_boxes = F.repeat(refs.reshape((0, 1, -1, 4)), axis=1, repeats=matches.shape[1])
        ref_boxes = F.split(ref_boxes, axis=-1, num_outputs=4, squeeze_axis=True)
        ref_boxes = F.concat(*[F.pick(ref_boxes[i], matches, axis=2).reshape((0, -1, 1)) for i in range(4)], dim=2)
        g = self.corner_to_center(ref_boxes)
        a = self.corner_to_center(anchors)
        t0 = ((g[0] - a[0]) / a[2] - self._means[0]) / self._stds[0]
        t1 = ((g[1] - a[1]) / a[3] - self._means[1]) / self._stds[1]
        t2 = (F.log(g[2] / a[2]) - self._means[2]) / self._stds[2]
        t3 = (F.log(g[3] / a[3]) - self._means[3]) / self._stds[3]
        codecs = F.concat(t0, t1, t2, t3, dim=2)
        temp = F.tile(samples.reshape((0, -1, 1)), reps=(1, 1, 4)) > 0.5
        targets = F.where(temp, codecs, F.zeros_like(codecs))
        masks = F.where(temp, F.ones_like(temp), F.zeros_like(temp))
        return targets, masks


class SSDTargetGenerator(gluon.Block):
    def __init__(self, iou_thresh=0.5, neg_thresh=0.5, negative_mining_ratio=3, stds=(0.1, 0.1, 0.2, 0.2),
                 **kwargs):
        super(SSDTargetGenerator, self).__init__(**kwargs)
        self._matcher = CompositeMatcher([BipartiteMatcher(share_max=False), MaximumMatcher(iou_thresh)])
        self._sampler = OHEMSampler(negative_mining_ratio, thresh=neg_thresh)
        self._cls_encoder = MultiClassEncoder()
        self._box_encoder = NormalizedBoxCenterEncoder(stds=stds)
        self._center_to_corner = BBoxCenterToCorner(split=False)

    def forward(self, anchors, cls_preds, gt_boxes, gt_ids):
        anchors = self._center_to_corner(anchors.reshape((-1, 4)))
        ious = nd.transpose(nd.contrib.box_iou(anchors, gt_boxes), (1, 0, 2))
        matches = self._matcher(ious)
        samples = self._sampler(matches, cls_preds, ious)
        cls_targets = self._cls_encoder(samples, matches, gt_ids)
        box_targets, box_masks = self._box_encoder(samples, matches, anchors, gt_boxes)
        return cls_targets, box_targets, box_masks


def _as_list(arr):
    if not isinstance(arr, (list, tuple)):
        return [arr]
    return arr


class SSDMultiBoxLoss(gluon.Block):
    def __init__(self, negative_mining_ratio=3, rho=1.0, lambd=1.0, **kwargs):
        super(SSDMultiBoxLoss, self).__init__(**kwargs)
        self._negative_mining_ratio = max(0, negative_mining_ratio)
        self._rho, self._lambd = rho, lambd

    def forward(self, cls_pred, box_pred, cls_target, box_target):
        cls_pred, box_pred, cls_target, box_target = [_as_list(x) for x in
                                                      (cls_pred, box_pred, cls_target, box_target)]
        num_pos = []
        for cp, bp, ct, bt in zip(*[cls_pred, box_pred, cls_target, box_target]):
            num_pos.append((ct > 0).sum())
        num_pos_all = sum([p.asscalar() for p in num_pos])
        if num_pos_all < 1:
            return nd.zeros((1,)), nd.zeros((1,)), nd.zeros((1,))
        cls_losses, box_losses, sum_losses = [], [], []
        for cp, bp, ct, bt in zip(*[cls_pred, box_pred, cls_target, box_target]):
            pred = nd.log_softmax(cp, axis=-1)
            pos = ct > 0
            cls_loss = -nd.pick(pred, ct, axis=-1, keepdims=False)
            rank = (cls_loss * (pos - 1)).argsort(axis=1).argsort(axis=1)
            hard_negative = rank < (pos.sum(axis=1) * self._negative_mining_ratio).expand_dims(-1)
            cls_loss = nd.where((pos + hard_negative) > 0, cls_loss, nd.zeros_like(cls_loss))
            cls_losses.append(nd.sum(cls_loss, axis=0, exclude=True) / num_pos_all)
            bp = gluon.loss._reshape_like(nd, bp, bt)
            box_loss = nd.abs(bp - bt)
            box_loss = nd.where(box_loss > self._rho, box_loss - 0.5 * self._rho,
                                (0.5 / self._rho) * nd.square(box_loss))
            box_loss = box_loss * pos.expand_dims(axis=-1)
            box_losses.append(nd.sum(box_loss, axis=0, exclude=True) / num_pos_all)
            sum_losses.append(cls_losses[-1] + self._lambd * box_losses[-1])
        return sum_losses, cls_losses, box_losses


def gluoncv_ssd_targets():
    """Targets for anchors of a 4 x 4 and a 2 x 2 map, eager and with the matcher hybridized; the
    multibox loss and its gradient through a Conv2D head, over a list of two 'devices'."""
    num_class = 2
    rs = np.random.RandomState(151)
    feat1 = nd.array(rs.uniform(-1, 1, (2, 3, 4, 4)))
    feat2 = nd.array(rs.uniform(-1, 1, (2, 3, 2, 2)))
    anchors = nd.concat(nd.contrib.MultiBoxPrior(feat1, sizes=[.3, .45], ratios=[1, 2, .5]),
                        nd.contrib.MultiBoxPrior(feat2, sizes=[.6, .8], ratios=[1, 2, .5]), dim=1)
    anchors = BBoxCornerToCenter(split=False)(anchors)        # SSDAnchorGenerator's (x, y, w, h)
    n_anchor = anchors.shape[1]
    gt_boxes = nd.array([[[0.1, 0.1, 0.45, 0.5], [0.5, 0.4, 0.95, 0.9], [-1, -1, -1, -1]],
                         [[0.2, 0.3, 0.7, 0.8], [0.05, 0.6, 0.3, 0.95], [0.6, 0.05, 0.9, 0.35]]])
    gt_ids = nd.array([[[0], [1], [-1]], [[1], [0], [0]]])
    head = nn.Conv2D(4 * (num_class + 1 + 4), 3, padding=1)
    head.initialize()
    head(feat1)
    set_params(head, 152)

    def predict(feat):
        raw = head(feat)                                     # (B, 4 anchors * 7, 4, 4)
        raw = nd.transpose(raw, (0, 2, 3, 1)).reshape((0, -1, num_class + 1 + 4))
        cls = nd.concat(raw.slice_axis(axis=-1, begin=0, end=num_class + 1),
                        nd.zeros((raw.shape[0], n_anchor - raw.shape[1], num_class + 1)), dim=1)
        box = nd.concat(raw.slice_axis(axis=-1, begin=num_class + 1, end=None),
                        nd.zeros((raw.shape[0], n_anchor - raw.shape[1], 4)), dim=1)
        return cls, box
    out = {'n_anchor': n_anchor}
    with autograd.pause():
        cls_preds, _ = predict(feat1)
    for mode in ('eager', 'hybrid'):
        target = SSDTargetGenerator(negative_mining_ratio=3)
        if mode == 'hybrid':
            target._matcher.hybridize()
            target._cls_encoder.hybridize()
        cls_t, box_t, box_m = target(anchors, cls_preds, gt_boxes, gt_ids)
        out[mode] = {'cls': L(cls_t), 'box': L(box_t.sum(axis=2)), 'mask': float(box_m.sum().asscalar())}
    ious = nd.transpose(nd.contrib.box_iou(BBoxCenterToCorner()(anchors.reshape((-1, 4))), gt_boxes), (1, 0, 2))
    out['bipartite_shared'] = L(BipartiteMatcher(share_max=True)(ious))
    out['maximum'] = L(MaximumMatcher(0.3)(ious))
    loss_fn = SSDMultiBoxLoss()
    with autograd.record():
        cls_pred, box_pred = predict(feat1)
        halves = [(cls_pred[:1], box_pred[:1], cls_t[:1], box_t[:1]),
                  (cls_pred[1:], box_pred[1:], cls_t[1:], box_t[1:])]
        sum_losses, cls_losses, box_losses = loss_fn(*[list(z) for z in zip(*halves)])
    autograd.backward(sum_losses)
    out['losses'] = [[L(a) for a in sum_losses], [L(a) for a in cls_losses], [L(a) for a in box_losses]]
    out['head_grad'] = norms(head)['grad']
    return out



# ---------------------------------------------------------------- 14 GluonNLP weight drop
# dmlc/gluon-nlp src/gluonnlp/model/parameter.py (WeightDropParameter: a Parameter subclass made
# from another's private fields, _deferred_init / _shape / _var / _data / _grad / _ctx_list /
# _ctx_map / _trainer, whose data() applies nd.Dropout) and model/utils.py (apply_weight_drop
# rewriting ParameterDict._params, Block._reg_params and the block's attribute, found through
# _find_params over _children; _get_rnn_cell / _get_rnn_layer). The dropout draws differ between
# frameworks, so what is compared is what does not depend on them.
class WeightDropParameter(gluon.Parameter):
    def __init__(self, parameter, rate=0.0, mode='training', axes=()):
        p = parameter
        self._deferred_init = p._deferred_init
        super(WeightDropParameter, self).__init__(
            name=p.name, grad_req=p.grad_req, shape=p._shape, dtype=p.dtype, lr_mult=p.lr_mult,
            wd_mult=p.wd_mult, init=p.init, allow_deferred_init=p._allow_deferred_init,
            differentiable=p._differentiable)
        self._rate = rate
        self._mode = mode
        self._axes = axes
        self._var = p._var
        self._data = p._data
        self._grad = p._grad
        self._ctx_list = p._ctx_list
        self._ctx_map = p._ctx_map
        self._trainer = p._trainer

    def data(self, ctx=None):
        d = self._check_and_get(self._data, ctx)
        if self._rate:
            d = nd.Dropout(d, self._rate, self._mode, self._axes)
        return d

    def __repr__(self):
        s = 'WeightDropParameter {name} (shape={shape}, dtype={dtype}, rate={rate}, mode={mode})'
        return s.format(name=self.name, shape=self.shape, dtype=self.dtype, rate=self._rate, mode=self._mode)


def apply_weight_drop(block, local_param_regex, rate, axes=(), weight_dropout_mode='training'):
    if not rate:
        return
    existing_params = _find_params(block, local_param_regex)
    for (local_param_name, param), (ref_params_list, ref_reg_params_list) in existing_params.items():
        dropped_param = WeightDropParameter(param, rate, weight_dropout_mode, axes)
        for ref_params in ref_params_list:
            ref_params[param.name] = dropped_param
        for ref_reg_params in ref_reg_params_list:
            ref_reg_params[local_param_name] = dropped_param
            if hasattr(block, local_param_name):
                local_attr = getattr(block, local_param_name)
                if local_attr == param:
                    local_attr = dropped_param
                elif isinstance(local_attr, (list, tuple)):
                    if isinstance(local_attr, tuple):
                        local_attr = list(local_attr)
                    for i, v in enumerate(local_attr):
                        if v == param:
                            local_attr[i] = dropped_param
                else:
                    continue
                if local_attr:
                    super(Block, block).__setattr__(local_param_name, local_attr)


def _find_params(block, local_param_regex):
    results = collections.defaultdict(lambda: ([], []))
    pattern = re.compile(local_param_regex)
    local_param_names = ((local_param_name, p) for local_param_name, p in block._reg_params.items()
                         if pattern.match(local_param_name))
    for local_param_name, p in local_param_names:
        ref_params_list, ref_reg_params_list = results[(local_param_name, p)]
        ref_reg_params_list.append(block._reg_params)
        params = block._params
        while params:
            if p.name in params._params:
                ref_params_list.append(params._params)
            if params._shared:
                params = params._shared
            else:
                break
    if block._children:
        if isinstance(block._children, list):
            children = block._children
        elif isinstance(block._children, dict):
            children = block._children.values()
        for c in children:
            for (child_p_name, child_p), (child_pd_list, child_rd_list) in _find_params(c, local_param_regex).items():
                pd_list, rd_list = results[(child_p_name, child_p)]
                pd_list.extend(child_pd_list)
                rd_list.extend(child_rd_list)
    return results


def gluonnlp_weight_drop():
    """Weight drop on a fused LSTM layer's h2h weights and on the LSTMCells of a
    HybridSequentialRNNCell: the Parameters swapped in, predict-mode outputs (no dropout) equal to
    the plain network's, a training step's parameter gradients' structure, repr."""
    rs = np.random.RandomState(161)
    x = nd.array(rs.uniform(-1, 1, (3, 2, 4)))          # TNC
    out = {}
    layer = rnn.LSTM(5, 1, dropout=0.0, input_size=4)
    layer.initialize()
    layer(x)
    set_params(layer, 162)
    plain = layer(x)
    apply_weight_drop(layer, '.*h2h_weight', rate=0.4)
    params = layer.collect_params()
    out['layer_types'] = [type(params[k]).__name__ for k in sorted(params.keys())]
    out['layer_repr'] = repr(params[layer.prefix + 'l0_h2h_weight']).replace(layer.prefix, '')
    out['layer_same_in_predict'] = L(layer(x) - plain)
    with autograd.record():
        y = layer(x)
    y.backward()
    grads = [params[k].grad() for k in sorted(params.keys())]
    out['layer_grad_shapes'] = [list(g.shape) for g in grads]
    out['layer_train_dropped'] = bool((y - plain).abs().sum().asscalar() > 0)
    cell = rnn.HybridSequentialRNNCell()
    with cell.name_scope():
        for i in range(2):
            cell.add(rnn.LSTMCell(5, input_size=4 if i == 0 else 5))
        apply_weight_drop(cell, 'h2h_weight', rate=0.3)
    cell.initialize()
    set_params(cell, 163)
    cparams = cell.collect_params()
    out['cell_types'] = [type(cparams[k]).__name__ for k in sorted(cparams.keys())]
    out['cell_attr'] = [type(c.h2h_weight).__name__ for c in cell._children.values()]
    outputs, states = cell.unroll(3, x, layout='TNC', merge_outputs=True)
    out['cell_predict'] = L(outputs)
    trainer = gluon.Trainer(cparams, 'sgd', {'learning_rate': 0.1})
    with autograd.record():
        outputs, states = cell.unroll(3, x, layout='TNC', merge_outputs=True)
    outputs.backward()
    trainer.step(2)
    out['cell_grad_shapes'] = [list(cparams[k].grad().shape) for k in sorted(cparams.keys())]
    return out


# ---------------------------------------------------------------- 15 DCGAN
# apache/mxnet example/gluon/dc_gan/dcgan.py (1.x): generator and discriminator Sequentials in
# name scopes (Conv2DTranspose, BatchNorm, LeakyReLU), Normal(0.02) initialization, Adam with
# beta1, SoftmaxCrossEntropyLoss over 2 logits with ones / zeros labels, ``fake.detach()`` for the
# discriminator step, mx.metric.Accuracy updated with lists; the older example/gluon/dcgan.py's
# mx.metric.CustomMetric(facc) over sigmoid outputs. Seeded noise instead of nd.random.normal.
def facc(label, pred):
    pred = pred.ravel()
    label = label.ravel()
    return ((pred > 0.5) == label).mean()


def dcgan():
    nz, ngf, ndf, nc, batch_size = 3, 4, 4, 1, 4
    ctx = mx.cpu()
    netG = nn.Sequential()
    with netG.name_scope():
        netG.add(nn.Conv2DTranspose(ngf * 2, 4, 1, 0, use_bias=False))
        netG.add(nn.BatchNorm())
        netG.add(nn.Activation('relu'))
        netG.add(nn.Conv2DTranspose(ngf, 4, 2, 1, use_bias=False))
        netG.add(nn.BatchNorm())
        netG.add(nn.Activation('relu'))
        netG.add(nn.Conv2DTranspose(nc, 4, 2, 1, use_bias=False))
        netG.add(nn.Activation('tanh'))
    netD = nn.Sequential()
    with netD.name_scope():
        netD.add(nn.Conv2D(ndf, 4, 2, 1, use_bias=False))
        netD.add(nn.LeakyReLU(0.2))
        netD.add(nn.Conv2D(ndf * 2, 4, 2, 1, use_bias=False))
        netD.add(nn.BatchNorm())
        netD.add(nn.LeakyReLU(0.2))
        netD.add(nn.Conv2D(2, 4, 1, 0, use_bias=False))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    netG.initialize(mx.init.Normal(0.02), ctx=ctx)
    netD.initialize(mx.init.Normal(0.02), ctx=ctx)
    rs = np.random.RandomState(171)
    data = nd.array(rs.uniform(-1, 1, (batch_size, nc, 16, 16)))
    build(netG, 172, nd.array(rs.normal(0, 1, (batch_size, nz, 1, 1))))
    build(netD, 173, data)
    trainerG = gluon.Trainer(netG.collect_params(), 'adam', {'learning_rate': 0.0002, 'beta1': 0.5})
    trainerD = gluon.Trainer(netD.collect_params(), 'adam', {'learning_rate': 0.0002, 'beta1': 0.5})
    real_label = mx.nd.ones((batch_size,), ctx=ctx)
    fake_label = mx.nd.zeros((batch_size,), ctx=ctx)
    metric = mx.metric.Accuracy()
    custom = mx.metric.CustomMetric(facc)
    out = {'steps': []}
    for i in range(2):
        noise = nd.array(rs.normal(0, 1, (batch_size, nz, 1, 1)), ctx=ctx)
        with autograd.record():
            output = netD(data)
            output = output.reshape((batch_size, 2))
            errD_real = loss(output, real_label)
            metric.update([real_label, ], [output, ])
            custom.update([real_label], [output.softmax()[:, 1]])
            fake = netG(noise)
            output = netD(fake.detach())
            output = output.reshape((batch_size, 2))
            errD_fake = loss(output, fake_label)
            errD = errD_real + errD_fake
            errD.backward()
            metric.update([fake_label, ], [output, ])
            custom.update([fake_label], [output.softmax()[:, 1]])
        trainerD.step(batch_size)
        with autograd.record():
            output = netD(fake)
            output = output.reshape((-1, 2))
            errG = loss(output, real_label)
            errG.backward()
        trainerG.step(batch_size)
        out['steps'].append([L(errD), L(errG), list(metric.get()), list(custom.get())])
    out['custom_name'] = custom.name
    out['normsG'] = norms(netG)
    out['normsD'] = norms(netD)
    out['fake'] = L(fake[0, 0, :3, :3])
    return out


# ---------------------------------------------------------------- 16 Gluon image classification
# apache/mxnet example/gluon/image_classification.py: models.get_model(name, ctx=, pretrained=,
# classes=, thumbnail=) from the model zoo, hybridized, a Trainer over the 'device' KVStore,
# split_and_load and losses backward after all forwards, mx.metric.Accuracy, ``net.save_params``
# (deprecated, kept by MXNet 1.9.1), and the symbolic mode's ``net(mx.sym.var('data'))`` +
# SoftmaxOutput (the Module it then fits is out of minigluon's scope). A (4, 3, 32, 32) dummy
# batch from an NDArrayIter instead of CIFAR-10, 4 classes.
def image_classification():
    context = [mx.cpu()]
    kwargs = {'ctx': context, 'pretrained': False, 'classes': 4, 'thumbnail': True}
    net = gluon.model_zoo.vision.get_model('resnet18_v1', **kwargs)
    rs = np.random.RandomState(181)
    X = rs.uniform(-1, 1, (8, 3, 32, 32))
    y = rs.randint(0, 4, 8)
    train_data = mx.io.NDArrayIter(X, y, batch_size=4, shuffle=False)
    net.hybridize()
    net.initialize(mx.init.Xavier(magnitude=2.24), ctx=context, force_reinit=True)
    with autograd.train_mode():
        net(nd.array(X[:4]))
    params = net.collect_params()
    rs_p = np.random.RandomState(182)
    for name in sorted(params.keys(), key=natural):
        value = rs_p.uniform(-0.5, 0.5, params[name].shape)
        if name.endswith('running_var'):
            value = np.abs(value) + 0.5
        params[name].set_data(nd.array(value))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.05, 'wd': 1e-4}, kvstore='device')
    metric = mx.metric.Accuracy()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    out = {'batches': []}
    train_data.reset()
    metric.reset()
    for i, batch in enumerate(train_data):
        data = gluon.utils.split_and_load(batch.data[0], ctx_list=context, batch_axis=0)
        label = gluon.utils.split_and_load(batch.label[0], ctx_list=context, batch_axis=0)
        outputs, Ls = [], []
        with autograd.record():
            for x, yy in zip(data, label):
                z = net(x)
                Lo = loss(z, yy)
                Ls.append(Lo)
                outputs.append(z)
            for Lo in Ls:
                Lo.backward()
        trainer.step(batch.data[0].shape[0])
        metric.update(label, outputs)
        out['batches'].append([L(Ls[0]), list(metric.get())])
        if i == 0:
            out['grad0'] = norms(net)['grad']
    out['values'] = norms(net)['value']
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, 'image-classifier-resnet18_v1-1.params')
        net.save_params(fname)
        net2 = gluon.model_zoo.vision.get_model('resnet18_v1', **kwargs)
        net2.load_params(fname, ctx=context)
        out['reloaded'] = L(net2(nd.array(X[:2])) - net(nd.array(X[:2])))
    data = mx.sym.var('data')
    sym_out = net(data)
    softmax = mx.sym.SoftmaxOutput(sym_out, name='softmax')
    args = softmax.list_arguments()
    out['sym'] = [len(args), args[0], args[-1], softmax.list_outputs(),
                  [list(s) for s in softmax.infer_shape(data=(2, 3, 32, 32))[1]]]
    return out



# ---------------------------------------------------------------- 17 GluonCV image transforms
# dmlc/gluon-cv gluoncv/data/transforms/image.py (imresize, resize_long and resize_short_within
# through mxnet.image.image._get_interp_method, random_expand drawing from Python's random,
# random_flip from np.random.choice, resize_contain, ten_crop, random_pca_lighting), bbox.py's
# resize / flip / translate, presets/ssd.py (load_test's resize_short, SSDDefaultValTransform:
# imresize, to_tensor, normalize). One seeded 23 x 31 RGB image.
def g_imresize(src, w, h, interp=1):
    return mx.image.imresize(src, w, h, interp)


def resize_long(src, size, interp=2):
    get_interp = mx.image.image._get_interp_method     # the source imports it from there
    h, w, _ = src.shape
    if h > w:
        new_h, new_w = size, size * w // h
    else:
        new_h, new_w = size * h // w, size
    return g_imresize(src, new_w, new_h, interp=get_interp(interp, (h, w, new_h, new_w)))


def resize_short_within(src, short, max_size, interp=2):
    get_interp = mx.image.image._get_interp_method     # the source imports it from there
    h, w, _ = src.shape
    im_size_min, im_size_max = (h, w) if w > h else (w, h)
    scale = float(short) / float(im_size_min)
    if np.round(scale * im_size_max) > max_size:
        scale = float(max_size) / float(im_size_max)
    new_w, new_h = int(np.round(w * scale)), int(np.round(h * scale))
    return g_imresize(src, new_w, new_h, interp=get_interp(interp, (h, w, new_h, new_w)))


def random_pca_lighting(src, alphastd, eigval=None, eigvec=None):
    if alphastd <= 0:
        return src
    if eigval is None:
        eigval = np.array([55.46, 4.794, 1.148])
    if eigvec is None:
        eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])
    alpha = np.random.normal(0, alphastd, size=(3,))
    rgb = np.dot(eigvec * alpha, eigval)
    src += nd.array(rgb, ctx=src.context)
    return src


def random_expand(src, max_ratio=4, fill=0, keep_ratio=True):
    if max_ratio <= 1:
        return src, (0, 0, src.shape[1], src.shape[0])
    h, w, c = src.shape
    ratio_x = random.uniform(1, max_ratio)
    ratio_y = ratio_x if keep_ratio else random.uniform(1, max_ratio)
    oh, ow = int(h * ratio_y), int(w * ratio_x)
    off_y = random.randint(0, oh - h)
    off_x = random.randint(0, ow - w)
    if isinstance(fill, (int, float)):
        dst = nd.full(shape=(oh, ow, c), val=fill, dtype=src.dtype)
    else:
        fill = nd.array(fill, dtype=src.dtype, ctx=src.context)
        if not c == fill.size:
            raise ValueError("Channel and fill size mismatch, {} vs {}".format(c, fill.size))
        dst = nd.tile(fill.reshape((1, c)), reps=(oh * ow, 1)).reshape((oh, ow, c))
    dst[off_y:off_y + h, off_x:off_x + w, :] = src
    return dst, (off_x, off_y, ow, oh)


def random_flip(src, px=0, py=0, copy=False):
    flip_y = np.random.choice([False, True], p=[1 - py, py])
    flip_x = np.random.choice([False, True], p=[1 - px, px])
    if flip_y:
        src = nd.flip(src, axis=0)
    if flip_x:
        src = nd.flip(src, axis=1)
    if copy:
        src = src.copy()
    return src, (flip_x, flip_y)


def resize_contain(src, size, fill=0):
    h, w, c = src.shape
    ow, oh = size
    scale_h = oh / h
    scale_w = oh / w
    scale = min(min(scale_h, scale_w), 1)
    scaled_x, scaled_y = int(w * scale), int(h * scale)
    if scale < 1:
        src = mx.image.imresize(src, scaled_x, scaled_y)
    off_y = (oh - scaled_y) // 2 if scaled_y < oh else 0
    off_x = (ow - scaled_x) // 2 if scaled_x < ow else 0
    if isinstance(fill, (int, float)):
        dst = nd.full(shape=(oh, ow, c), val=fill, dtype=src.dtype)
    else:
        fill = nd.array(fill, ctx=src.context)
        dst = nd.repeat(fill, repeats=oh * ow).reshape((oh, ow, c))
    dst[off_y:off_y + scaled_y, off_x:off_x + scaled_x, :] = src
    return dst, (off_x, off_y, scaled_x, scaled_y)


def ten_crop(src, size):
    h, w, _ = src.shape
    ow, oh = size
    if h < oh or w < ow:
        raise ValueError("Cannot crop area {} from image with size ({}, {})".format(str(size), h, w))
    center = src[(h - oh) // 2:(h + oh) // 2, (w - ow) // 2:(w + ow) // 2, :]
    tl = src[0:oh, 0:ow, :]
    bl = src[h - oh:h, 0:ow, :]
    tr = src[0:oh, w - ow:w, :]
    br = src[h - oh:h, w - ow:w, :]
    crops = nd.stack(*[center, tl, bl, tr, br], axis=0)
    return nd.concat(*[crops, nd.flip(crops, axis=2)], dim=0)


def bbox_resize(bbox, in_size, out_size):
    bbox = bbox.copy()
    x_scale = out_size[0] / in_size[0]
    y_scale = out_size[1] / in_size[1]
    bbox[:, 1] = y_scale * bbox[:, 1]
    bbox[:, 3] = y_scale * bbox[:, 3]
    bbox[:, 0] = x_scale * bbox[:, 0]
    bbox[:, 2] = x_scale * bbox[:, 2]
    return bbox


class SSDDefaultValTransform(object):
    def __init__(self, width, height, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        self._width, self._height, self._mean, self._std = width, height, mean, std

    def __call__(self, src, label):
        h, w, _ = src.shape
        img = g_imresize(src, self._width, self._height)
        bbox = bbox_resize(label, in_size=(w, h), out_size=(self._width, self._height))
        img = mx.nd.image.to_tensor(img)
        img = mx.nd.image.normalize(img, mean=self._mean, std=self._std)
        return img, bbox.astype(img.dtype)


def gluoncv_image_transforms():
    rs = np.random.RandomState(191)
    img = nd.array(rs.randint(0, 256, (23, 31, 3)), dtype='uint8')
    out = {}
    for interp in range(5):
        out['shrink%d' % interp] = L(g_imresize(img, 13, 9, interp=interp)[:, :, 0])
        out['enlarge%d' % interp] = L(g_imresize(img, 40, 30, interp=interp)[::4, ::5, 1])
    out['long'] = [list(resize_long(img, 16).shape), L(resize_long(img, 16)[:4, :4, 2])]
    within = resize_short_within(img, 15, 18)
    out['short_within'] = [list(within.shape), L(within[:3, :, 0])]
    short = mx.image.resize_short(img, 12)
    out['resize_short'] = [list(short.shape), L(short[:, :5, 1])]
    out['center_crop'] = L(mx.image.center_crop(img, (8, 6))[0][:, :, 0])
    out['fixed_crop'] = L(mx.image.fixed_crop(img, 3, 4, 10, 7, size=(5, 4))[:, :, 2])
    random.seed(192)
    expanded, expand = random_expand(img, max_ratio=2, fill=[0.485 * 255, 0.456 * 255, 0.406 * 255])
    out['expand'] = [list(expand), list(expanded.shape), L(expanded[::5, ::5, 0])]
    expanded2, expand2 = random_expand(img, max_ratio=1.5, fill=7, keep_ratio=False)
    out['expand2'] = [list(expand2), L(expanded2.sum(axis=2)[::6, ::6])]
    np.random.seed(193)
    flips = []
    for _ in range(4):
        flipped, f = random_flip(img, px=0.5, py=0.5)
        flips.append([bool(f[0]), bool(f[1]), L(flipped[0, :3, 0])])
    out['flips'] = flips
    contained, region = resize_contain(img, (20, 16), fill=[1, 2, 3])
    out['contain'] = [list(region), L(contained[:, ::4, 0])]
    out['ten_crop'] = L(ten_crop(img, (6, 5))[:, 2, 2, 0])
    np.random.seed(194)
    lit = random_pca_lighting(img.astype('float32'), 0.1)
    out['pca'] = L(lit[:2, :3, :])
    label = np.array([[2., 3., 20., 15., 1.], [10., 1., 30., 22., 0.]])
    tensor, bbox = SSDDefaultValTransform(16, 12)(img, label)
    out['val_transform'] = [list(tensor.shape), L(tensor[:, :2, :3]), bbox.tolist()]
    return out



# ---------------------------------------------------------------- 18 GluonCV ImageNet training
# dmlc/gluon-cv scripts/classification/imagenet/train_imagenet.py: label smoothing by one_hot with
# on / off values, mixup (np.random.beta, X[::-1], mixed one-hot labels, RMSE of
# SoftmaxActivation outputs), SoftmaxCrossEntropyLoss(sparse_label=False), ``net.cast('float16')``
# with ``multi_precision``, ``wd_mult = 0`` on '.*beta|.*gamma|.*bias' (no_wd), NAG with an
# lr_scheduler, Accuracy / TopKAccuracy(5), ``trainer.save_states`` and a resumed Trainer's
# ``load_states``; gluoncv/utils/lr_scheduler.py's LRScheduler / LRSequential (an
# mx.lr_scheduler.LRScheduler subclass called with the update count), written shorter.
class GcvLRScheduler(mx.lr_scheduler.LRScheduler):
    def __init__(self, mode, base_lr=0.1, target_lr=0, niters=0, nepochs=0, iters_per_epoch=0, offset=0,
                 power=2, step_iter=None, step_epoch=None, step_factor=0.1):
        super(GcvLRScheduler, self).__init__()
        assert mode in ['constant', 'step', 'linear', 'poly', 'cosine']
        self.mode, self.base_lr, self.target_lr = mode, base_lr, target_lr
        if self.mode == 'constant':
            self.target_lr = self.base_lr
        self.niters = niters
        self.step = step_iter
        epoch_iters = nepochs * iters_per_epoch
        if epoch_iters > 0:
            self.niters = epoch_iters
            if step_epoch is not None:
                self.step = [s * iters_per_epoch for s in step_epoch]
        self.offset, self.power, self.step_factor = offset, power, step_factor

    def __call__(self, num_update):
        self.update(num_update)
        return self.learning_rate

    def update(self, num_update):
        N = self.niters - 1
        T = num_update - self.offset
        T = min(max(0, T), N)
        if self.mode == 'constant':
            factor = 0
        elif self.mode == 'linear':
            factor = 1 - T / N
        elif self.mode == 'poly':
            factor = pow(1 - T / N, self.power)
        elif self.mode == 'cosine':
            factor = (1 + math.cos(math.pi * T / N)) / 2
        else:
            count = sum([1 for s in self.step if s <= T]) if self.step is not None else 0
            factor = pow(self.step_factor, count)
        self.learning_rate = self.target_lr + (self.base_lr - self.target_lr) * factor


class LRSequential(mx.lr_scheduler.LRScheduler):
    def __init__(self, schedulers):
        super(LRSequential, self).__init__()
        assert len(schedulers) > 0
        self.update_sep = []
        self.count = 0
        self.learning_rate = 0
        self.schedulers = []
        for lr in schedulers:
            self.add(lr)

    def add(self, scheduler):
        assert isinstance(scheduler, GcvLRScheduler)
        scheduler.offset = self.count
        self.count += scheduler.niters
        self.update_sep.append(self.count)
        self.schedulers.append(scheduler)

    def __call__(self, num_update):
        self.update(num_update)
        return self.learning_rate

    def update(self, num_update):
        num_update = min(num_update, self.count - 1)
        ind = len(self.schedulers) - 1
        for i, sep in enumerate(self.update_sep):
            if sep > num_update:
                ind = i
                break
        lr = self.schedulers[ind]
        lr.update(num_update)
        self.learning_rate = lr.learning_rate


def smooth(label, classes, eta=0.1):
    if isinstance(label, nd.NDArray):
        label = [label]
    smoothed = []
    for l in label:
        smoothed.append(l.one_hot(classes, on_value=1 - eta + eta / classes, off_value=eta / classes))
    return smoothed


def mixup_transform(label, classes, lam=1, eta=0.0):
    if isinstance(label, nd.NDArray):
        label = [label]
    res = []
    for l in label:
        y1 = l.one_hot(classes, on_value=1 - eta + eta / classes, off_value=eta / classes)
        y2 = l[::-1].one_hot(classes, on_value=1 - eta + eta / classes, off_value=eta / classes)
        res.append(lam * y1 + (1 - lam) * y2)
    return res


def _imagenet_net(dtype, classes):
    net = gluon.model_zoo.vision.get_model('mobilenetv2_0.25', classes=classes)
    net.initialize(mx.init.MSRAPrelu())
    with autograd.train_mode():
        net(nd.zeros((4, 3, 64, 64)))
    params = net.collect_params()
    rs = np.random.RandomState(201)
    for name in sorted(params.keys(), key=natural):
        # values at an initializer's scale: with uniform(-0.5, 0.5) weights this deep network's
        # float32 forward pass is too ill-conditioned to compare (float32 against float64: 2e-4)
        shape = params[name].shape
        u = rs.uniform(-0.5, 0.5, shape)
        if name.endswith('weight'):
            value = u * 2 * math.sqrt(3.0 / np.prod(shape[1:]))
        elif name.endswith('gamma') or name.endswith('running_var'):
            value = 1 + 0.4 * np.abs(u)
        else:
            value = 0.2 * u
        params[name].set_data(nd.array(value))
    net.cast(dtype)
    for k, v in net.collect_params('.*beta|.*gamma|.*bias').items():
        v.wd_mult = 0.0
    return net


def _imagenet_run(dtype, mixup, resume_at=None):
    classes, batch_size, iters_per_epoch, num_epochs = 5, 4, 2, 3
    net = _imagenet_net(dtype, classes)
    lr_scheduler = LRSequential([
        GcvLRScheduler('linear', base_lr=0, target_lr=0.01, nepochs=1, iters_per_epoch=iters_per_epoch),
        GcvLRScheduler('cosine', base_lr=0.01, target_lr=0, nepochs=num_epochs - 1,
                       iters_per_epoch=iters_per_epoch, step_epoch=[], step_factor=0.1, power=2)])
    optimizer_params = {'wd': 1e-4, 'momentum': 0.9, 'lr_scheduler': lr_scheduler}
    if dtype != 'float32':
        optimizer_params['multi_precision'] = True
    trainer = gluon.Trainer(net.collect_params(), 'nag', optimizer_params)
    L_fn = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    train_metric = mx.metric.RMSE() if mixup else mx.metric.Accuracy()
    acc_top5 = mx.metric.TopKAccuracy(5)
    rs = np.random.RandomState(202)
    X = nd.array(rs.uniform(-1, 1, (iters_per_epoch * batch_size, 3, 64, 64)))
    Y = nd.array(rs.randint(0, classes, iters_per_epoch * batch_size))
    np.random.seed(203)
    out = {'lrs': [], 'losses': [], 'metric': []}
    with tempfile.TemporaryDirectory() as tmp:
        for epoch in range(num_epochs):
            if resume_at is not None and epoch == resume_at:
                fname = os.path.join(tmp, 'imagenet-mobilenetv2-%d.states' % (epoch - 1))
                trainer.save_states(fname)
                lr_scheduler2 = LRSequential([
                    GcvLRScheduler('linear', base_lr=0, target_lr=0.01, nepochs=1, iters_per_epoch=iters_per_epoch),
                    GcvLRScheduler('cosine', base_lr=0.01, target_lr=0, nepochs=num_epochs - 1,
                                   iters_per_epoch=iters_per_epoch)])
                optimizer_params['lr_scheduler'] = lr_scheduler2
                trainer = gluon.Trainer(net.collect_params(), 'nag', optimizer_params)
                trainer.load_states(fname)
                out['resumed_num_update'] = trainer._optimizer.num_update
            train_metric.reset()
            for i in range(iters_per_epoch):
                data = [X[i * batch_size:(i + 1) * batch_size]]
                label = [Y[i * batch_size:(i + 1) * batch_size]]
                if mixup:
                    lam = np.random.beta(0.2, 0.2)
                    if epoch >= num_epochs - 1:
                        lam = 1
                    data = [lam * x + (1 - lam) * x[::-1] for x in data]
                    label = mixup_transform(label, classes, lam, 0.1)
                else:
                    hard_label = label
                    label = smooth(label, classes)
                with autograd.record():
                    outputs = [net(x.astype(dtype, copy=False)) for x in data]
                    loss = [L_fn(yhat, y.astype(dtype, copy=False)) for yhat, y in zip(outputs, label)]
                for l in loss:
                    l.backward()
                if epoch == i == 0:
                    out['grad0'] = norms(net)['grad']
                trainer.step(batch_size)
                if epoch == i == 0:
                    out['values0'] = norms(net)['value']
                out['lrs'].append(trainer.learning_rate)
                out['losses'].append(L(loss[0].astype('float32')))
                if mixup:
                    output_softmax = [nd.SoftmaxActivation(o.astype('float32', copy=False)) for o in outputs]
                    train_metric.update(label, output_softmax)
                else:
                    train_metric.update(hard_label, outputs)
                    acc_top5.update(hard_label, outputs)
            out['metric'].append(list(train_metric.get()))
    out['top5'] = list(acc_top5.get())
    out['values'] = norms(net)['value']
    out['dtypes'] = sorted(set(str(np.dtype(p.dtype)) for p in net.collect_params().values()))
    return out


def gluoncv_imagenet():
    """float32 label smoothing, uninterrupted and resumed from saved Trainer states after the
    first epoch; float16 with mixup and multi_precision."""
    return {'smooth': _imagenet_run('float32', False), 'resumed': _imagenet_run('float32', False, resume_at=1),
            'fp16_mixup': _try(lambda: _imagenet_run('float16', True))}



# ---------------------------------------------------------------- 19 GluonCV quota sampler
# dmlc/gluon-cv gluoncv/nn/sampler.py: QuotaSampler (a Block rebalancing positives / negatives by
# np.random.choice), QuotaSamplerOp / QuotaSamplerProp (the same as a CustomOp registered with
# mx.operator.register, its attributes arriving as strings -- ``bool('False')`` is True --,
# ``need_top_grad=False``, zero input gradients through ``self.assign``, infer_type), called by
# F.Custom from a HybridBlock, eager and hybridized; SplitSampler (a gluon.data.Sampler shuffling
# one partition with Python's random) driving a DataLoader.
class QuotaSampler(gluon.Block):
    def __init__(self, num_sample, pos_thresh, neg_thresh_high, neg_thresh_low=-np.inf, pos_ratio=0.5,
                 neg_ratio=None, fill_negative=True):
        super(QuotaSampler, self).__init__()
        self._fill_negative = fill_negative
        self._num_sample = num_sample
        if neg_ratio is None:
            self._neg_ratio = 1. - pos_ratio
        self._pos_ratio = pos_ratio
        assert (self._neg_ratio + self._pos_ratio) <= 1.0
        self._pos_thresh = min(1., max(0., pos_thresh))
        self._neg_thresh_high = min(1., max(0., neg_thresh_high))
        self._neg_thresh_low = neg_thresh_low

    def forward(self, matches, ious):
        F = mx.nd
        max_pos = int(round(self._pos_ratio * self._num_sample))
        max_neg = int(self._neg_ratio * self._num_sample)
        results = []
        for i in range(matches.shape[0]):
            result = F.zeros_like(matches[0])
            ious_max = ious.max(axis=-1)[i]
            result = F.where(matches[i] >= 0, F.ones_like(result), result)
            result = F.where(ious_max >= self._pos_thresh, F.ones_like(result), result)
            neg_mask = ious_max < self._neg_thresh_high
            neg_mask = neg_mask * (ious_max >= self._neg_thresh_low)
            result = F.where(neg_mask, F.ones_like(result) * -1, result)
            result = result.asnumpy()
            num_pos = int((result > 0).sum())
            if num_pos > max_pos:
                disable_indices = np.random.choice(np.where(result > 0)[0], size=(num_pos - max_pos), replace=False)
                result[disable_indices] = 0
            num_neg = int((result < 0).sum())
            if self._fill_negative:
                max_neg = max(self._num_sample - min(num_pos, max_pos), max_neg)
            if num_neg > max_neg:
                disable_indices = np.random.choice(np.where(result < 0)[0], size=(num_neg - max_neg), replace=False)
                result[disable_indices] = 0
            results.append(mx.nd.array(result))
        return mx.nd.stack(*results, axis=0)


class QuotaSamplerOp(mx.operator.CustomOp):
    def __init__(self, num_sample, pos_thresh, neg_thresh_high=0.5, neg_thresh_low=-np.inf, pos_ratio=0.5,
                 neg_ratio=None, fill_negative=True):
        super(QuotaSamplerOp, self).__init__()
        self._num_sample = num_sample
        self._fill_negative = fill_negative
        if neg_ratio is None:
            self._neg_ratio = 1. - pos_ratio
        self._pos_ratio = pos_ratio
        assert (self._neg_ratio + self._pos_ratio) <= 1.0
        self._pos_thresh = min(1., max(0., pos_thresh))
        self._neg_thresh_high = min(1., max(0., neg_thresh_high))
        self._neg_thresh_low = neg_thresh_low

    def forward(self, is_train, req, in_data, out_data, aux):
        matches, ious = in_data[0], in_data[1]
        F = mx.nd
        max_pos = int(round(self._pos_ratio * self._num_sample))
        max_neg = int(self._neg_ratio * self._num_sample)
        for i in range(matches.shape[0]):
            result = F.zeros_like(matches[i])
            ious_max = ious.max(axis=-1)[i]
            neg_mask = ious_max < self._neg_thresh_high
            neg_mask = neg_mask * (ious_max >= self._neg_thresh_low)
            result = F.where(neg_mask, F.ones_like(result) * -1, result)
            result = F.where(matches[i] >= 0, F.ones_like(result), result)
            result = F.where(ious_max >= self._pos_thresh, F.ones_like(result), result)
            result = result.asnumpy()
            num_pos = int((result > 0).sum())
            if num_pos > max_pos:
                disable_indices = np.random.choice(np.where(result > 0)[0], size=(num_pos - max_pos), replace=False)
                result[disable_indices] = 0
            num_neg = int((result < 0).sum())
            if self._fill_negative:
                max_neg = max(self._num_sample - min(num_pos, max_pos), max_neg)
            if num_neg > max_neg:
                disable_indices = np.random.choice(np.where(result < 0)[0], size=(num_neg - max_neg), replace=False)
                result[disable_indices] = 0
            self.assign(out_data[0][i], req[0], mx.nd.array(result))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], 0)
        self.assign(in_grad[1], req[1], 0)


@mx.operator.register('wild12_quota_sampler')
class QuotaSamplerProp(mx.operator.CustomOpProp):
    def __init__(self, num_sample, pos_thresh, neg_thresh_high=0.5, neg_thresh_low=0., pos_ratio=0.5,
                 neg_ratio=None, fill_negative=True):
        super(QuotaSamplerProp, self).__init__(need_top_grad=False)
        self.num_sample = int(num_sample)
        self.pos_thresh = float(pos_thresh)
        self.neg_thresh_high = float(neg_thresh_high)
        self.neg_thresh_low = float(neg_thresh_low)
        self.pos_ratio = float(pos_ratio)
        self.neg_ratio = None if neg_ratio is None else float(neg_ratio)
        self.fill_negative = bool(fill_negative)

    def list_arguments(self):
        return ['matches', 'ious']

    def list_outputs(self):
        return ['output']

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], []

    def infer_type(self, in_type):
        return [in_type[0], in_type[0]], [in_type[0]], []

    def create_operator(self, ctx, in_shapes, in_dtypes):
        return QuotaSamplerOp(self.num_sample, self.pos_thresh, self.neg_thresh_high, self.neg_thresh_low,
                              self.pos_ratio, self.neg_ratio, self.fill_negative)


class HybridQuotaSampler(HybridBlock):
    """The sampler as an operator of the graph (the form GluonCV's hybridized RPN targets use)."""

    def __init__(self, num_sample, pos_thresh, neg_thresh_high, fill_negative, **kwargs):
        super(HybridQuotaSampler, self).__init__(**kwargs)
        self._kwargs = dict(num_sample=num_sample, pos_thresh=pos_thresh, neg_thresh_high=neg_thresh_high,
                            fill_negative=fill_negative)

    def hybrid_forward(self, F, matches, ious):
        return F.Custom(matches, ious, op_type='wild12_quota_sampler', **self._kwargs)


class SplitSampler(gluon.data.Sampler):
    def __init__(self, length, num_parts=1, part_index=0):
        part_len = length // num_parts
        self._start = part_len * part_index
        self._end = self._start + part_len
        if part_index == num_parts - 1:
            self._end = length

    def __iter__(self):
        indices = list(range(self._start, self._end))
        random.shuffle(indices)
        return iter(indices)

    def __len__(self):
        return self._end - self._start


def gluoncv_quota_sampler():
    rs = np.random.RandomState(211)
    ious = nd.array(rs.uniform(0, 1, (2, 12, 3)) ** 2)
    matches = nd.array(np.where(rs.uniform(0, 1, (2, 12)) > 0.6, rs.randint(0, 3, (2, 12)), -1))
    out = {}
    np.random.seed(212)
    out['block'] = L(QuotaSampler(6, 0.6, 0.3)(matches, ious))
    np.random.seed(212)
    out['block_no_fill'] = L(QuotaSampler(6, 0.6, 0.3, fill_negative=False)(matches, ious))
    for mode in ('eager', 'hybrid'):
        sampler = HybridQuotaSampler(6, 0.6, 0.3, fill_negative=False)
        if mode == 'hybrid':
            sampler.hybridize()
        np.random.seed(212)
        ious.attach_grad()
        with autograd.record():
            y = sampler(matches, ious)
        y.backward()
        out[mode] = [L(y), L(ious.grad.sum(axis=2)), str(y.dtype)]
    np.random.seed(212)
    out['nd_custom'] = L(nd.Custom(matches, ious, op_type='wild12_quota_sampler', num_sample=4, pos_thresh=0.5,
                                   neg_thresh_high=0.2, pos_ratio=0.25))
    random.seed(213)
    dataset = gluon.data.ArrayDataset(nd.arange(10).reshape((10, 1)), nd.arange(10) * 2)
    loader = gluon.data.DataLoader(dataset, batch_size=2, sampler=SplitSampler(len(dataset), 3, 2))
    out['split'] = [[L(x).__str__(), L(yb)] for x, yb in loader]
    out['split_len'] = [len(SplitSampler(10, 3, i)) for i in range(3)]
    return out



# ---------------------------------------------------------------- 20 GluonNLP BERT self-attention
# dmlc/gluon-nlp src/gluonnlp/model/bert.py (0.9-0.10): DotProductSelfAttentionCell (three
# params.get projections concatenated into one FullyConnected, contrib.interleaved_matmul_selfatt_qk
# / _valatt, softmax with ``length=`` and ``use_length=True`` over valid lengths broadcast by
# broadcast_axis and reshaped with reverse=True, a Dropout layer) and its
# ``_collect_params_with_prefix`` override, which renames what save_parameters writes
# ('proj_query.weight'...). The encoder around it (proj Dense, residual, LayerNorm) is shrunk.
class DotProductSelfAttentionCell(HybridBlock):
    def __init__(self, units, num_heads, dropout=0.0, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', prefix=None, params=None):
        super(DotProductSelfAttentionCell, self).__init__(prefix=prefix, params=params)
        self._num_heads = num_heads
        self._use_bias = use_bias
        self._dropout = dropout
        self.units = units
        with self.name_scope():
            if self._use_bias:
                self.query_bias = self.params.get('query_bias', shape=(self.units,), init=bias_initializer)
                self.key_bias = self.params.get('key_bias', shape=(self.units,), init=bias_initializer)
                self.value_bias = self.params.get('value_bias', shape=(self.units,), init=bias_initializer)
            weight_shape = (self.units, self.units)
            self.query_weight = self.params.get('query_weight', shape=weight_shape, init=weight_initializer,
                                                allow_deferred_init=True)
            self.key_weight = self.params.get('key_weight', shape=weight_shape, init=weight_initializer,
                                              allow_deferred_init=True)
            self.value_weight = self.params.get('value_weight', shape=weight_shape, init=weight_initializer,
                                                allow_deferred_init=True)
            self.dropout_layer = nn.Dropout(self._dropout)

    def _collect_params_with_prefix(self, prefix=''):
        if prefix:
            prefix += '.'
        ret = {prefix + 'proj_' + k.replace('_', '.'): v for k, v in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def hybrid_forward(self, F, qkv, valid_len, query_bias, key_bias, value_bias, query_weight, key_weight,
                       value_weight):
        in_bias = F.concat(query_bias, key_bias, value_bias, dim=0)
        in_weight = F.concat(query_weight, key_weight, value_weight, dim=0)
        qkv_proj = F.FullyConnected(data=qkv, weight=in_weight, bias=in_bias, num_hidden=self.units * 3,
                                    no_bias=False, flatten=False)
        att_score = F.contrib.interleaved_matmul_selfatt_qk(qkv_proj, heads=self._num_heads)
        if valid_len is not None:
            valid_len = F.broadcast_axis(F.expand_dims(valid_len, axis=1), axis=1, size=self._num_heads)
            valid_len = valid_len.reshape(shape=(-1, 0), reverse=True)
            att_weights = F.softmax(att_score, length=valid_len, use_length=True, axis=-1)
        else:
            att_weights = F.softmax(att_score, axis=-1)
        att_weights = self.dropout_layer(att_weights)
        context_vec = F.contrib.interleaved_matmul_selfatt_valatt(qkv_proj, att_weights, heads=self._num_heads)
        att_weights = att_weights.reshape(shape=(-1, self._num_heads, 0, 0), reverse=True)
        return context_vec, att_weights


class BERTEncoderCellLite(HybridBlock):
    """The attention cell, its output projection, a residual and LayerNorm (ours, after bert.py)."""

    def __init__(self, units, num_heads, **kwargs):
        super(BERTEncoderCellLite, self).__init__(**kwargs)
        with self.name_scope():
            self.attention_cell = DotProductSelfAttentionCell(units, num_heads, prefix='attention_')
            self.proj = nn.Dense(units, flatten=False, prefix='proj_')
            self.layer_norm = nn.LayerNorm(in_channels=units, epsilon=1e-12)

    def hybrid_forward(self, F, inputs, valid_len):
        outputs, attention_weights = self.attention_cell(inputs, valid_len)
        outputs = self.proj(outputs)
        outputs = self.layer_norm(outputs + inputs)
        return outputs, attention_weights


def gluonnlp_bert_selfatt():
    rs = np.random.RandomState(221)
    x = nd.array(rs.uniform(-1, 1, (5, 2, 8)))               # (length, batch, units)
    valid = nd.array([[5, 5, 5, 5, 5], [3, 3, 3, 3, 3]], dtype='int32')     # (the lengths must be integers)
    out = {}
    for mode in ('eager', 'hybrid'):
        cell = BERTEncoderCellLite(8, 2, prefix='encoder_')
        cell.initialize()
        cell(x, valid)
        set_params(cell, 222)
        if mode == 'hybrid':
            cell.hybridize()
        x.attach_grad()
        with autograd.record():
            y, att = cell(x, valid)
            (y * y).sum().backward()
        out[mode] = {'y': L(y[:, :, :3]), 'att': L(att[:, :, :2]), 'x_grad': L(x.grad[:, :, :3]),
                     'norms': norms(cell)}
        if mode == 'eager':
            no_len, _ = cell.attention_cell(x, None)
            out['no_valid_len'] = L(no_len[:2])
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, 'bert_cell.params')
        cell.save_parameters(fname)
        out['saved_keys'] = sorted(nd.load(fname).keys())
        other = BERTEncoderCellLite(8, 2, prefix='encoder_')
        other.load_parameters(fname)
        out['reloaded'] = L(other(x, valid)[0] - cell(x, valid)[0])
    return out



# ---------------------------------------------------------------- 21 print_summary of networks
# mx.viz.print_summary as scripts call it: a public MXNet CIFAR script's symbolic network
# (Convolution / BatchNorm / Activation, a global average Pooling, flatten, SoftmaxOutput; shape
# {'data': (batch, 3, 28, 28)}) and a public Gluon MTCNN's ``net.hybridize(); sym = net(x);
# mx.viz.print_summary(sym[0], {'data': (1, 3, 12, 12)}, line_length=100)`` over a PNet (Conv2D,
# PReLU, MaxPool2D with ceil_mode, two 1x1 heads). The printed text is what is compared.
class PNet(HybridBlock):
    def __init__(self, **kwargs):
        super(PNet, self).__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(10, 3), nn.PReLU(), nn.MaxPool2D(2, 2, ceil_mode=True),
                          nn.Conv2D(16, 3), nn.PReLU(), nn.Conv2D(32, 3), nn.PReLU())
            self.cls = nn.Conv2D(2, 1)
            self.bbox = nn.Conv2D(4, 1)

    def hybrid_forward(self, F, x):
        x = self.body(x)
        return F.softmax(self.cls(x), axis=1), self.bbox(x)


def _printed(fn):
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    return buf.getvalue().splitlines()


def viz_summary():
    batch_size = 8
    net = mx.symbol.Variable('data')
    net = mx.symbol.Convolution(net, num_filter=8, kernel=(3, 3), pad=(1, 1), name='conv1')
    net = mx.symbol.BatchNorm(net, name='bn1')
    net = mx.symbol.Activation(net, act_type='relu', name='relu1')
    net = mx.symbol.Convolution(net, num_filter=10, kernel=(1, 1), pad=(0, 0), stride=(1, 1), name='conv2')
    net = mx.symbol.Pooling(net, global_pool=True, pool_type="avg", name="pooling", kernel=(1, 1))
    net = mx.symbol.flatten(net, name="flatten")
    net = mx.symbol.SoftmaxOutput(data=net, name="softmax")
    shape = {"data": (batch_size, 3, 28, 28)}
    out = {'symbolic': _printed(lambda: mx.viz.print_summary(symbol=net, shape=shape))}
    pnet = PNet(prefix='pnet0_')
    pnet.initialize()
    pnet.hybridize()
    x = mx.sym.var('data')
    sym = pnet(x)
    out['mtcnn'] = _printed(lambda: mx.viz.print_summary(sym[0], {'data': (1, 3, 12, 12)}, line_length=100))
    out['no_shape'] = _printed(lambda: mx.viz.print_summary(sym[1]))
    return out



# ---------------------------------------------------------------- 22 GluonCV YOLOv3 inference
# dmlc/gluon-cv gluoncv/model_zoo/yolo/yolo3.py: YOLOOutputV3 (anchors and grid offsets as
# params.get_constant, slice_like to the feature map, per-class detections by tile / transpose /
# arange.reshape((0, 1, 1, 1, 1))), YOLODetectionBlockV3 (HybridSequential(prefix='')), YOLOV3
# (stages sliced from a base network's features, upsampling by repeat, transitions indexed,
# box_nms with id_index / topk / post_nms slicing; in train mode outside record() the raw
# predictions with lists of anchors and offsets), reset_class reusing weights by slices and
# set_data; darknet.py's _conv2d. A small base network; eager, hybridized and exported.
def _conv2d(channel, kernel, padding, stride, norm_layer=nn.BatchNorm, norm_kwargs=None):
    cell = nn.HybridSequential(prefix='')
    cell.add(nn.Conv2D(channel, kernel_size=kernel, strides=stride, padding=padding, use_bias=False))
    cell.add(norm_layer(epsilon=1e-5, momentum=0.9, **({} if norm_kwargs is None else norm_kwargs)))
    cell.add(nn.LeakyReLU(0.1))
    return cell


def _upsample(x, stride=2):
    return x.repeat(axis=-1, repeats=stride).repeat(axis=-2, repeats=stride)


class YOLOOutputV3(HybridBlock):
    def __init__(self, index, num_class, anchors, stride, alloc_size=(16, 16), **kwargs):
        super(YOLOOutputV3, self).__init__(**kwargs)
        anchors = np.array(anchors).astype('float32')
        self._classes = num_class
        self._num_pred = 1 + 4 + num_class
        self._num_anchors = anchors.size // 2
        self._stride = stride
        with self.name_scope():
            all_pred = self._num_pred * self._num_anchors
            self.prediction = nn.Conv2D(all_pred, kernel_size=1, padding=0, strides=1)
            anchors = anchors.reshape(1, 1, -1, 2)
            self.anchors = self.params.get_constant('anchor_%d' % (index), anchors)
            grid_x, grid_y = np.meshgrid(np.arange(alloc_size[1]), np.arange(alloc_size[0]))
            offsets = np.concatenate((grid_x[:, :, np.newaxis], grid_y[:, :, np.newaxis]), axis=-1)
            offsets = np.expand_dims(np.expand_dims(offsets, axis=0), axis=0)
            self.offsets = self.params.get_constant('offset_%d' % (index), offsets)

    def reset_class(self, classes, reuse_weights=None):
        self._clear_cached_op()
        old_classes = self._classes
        old_pred = self.prediction
        old_num_pred = self._num_pred
        ctx = list(old_pred.params.values())[0].list_ctx()
        self._classes = len(classes)
        self._num_pred = 1 + 4 + len(classes)
        all_pred = self._num_pred * self._num_anchors
        in_channels = list(old_pred.params.values())[0].shape[1]
        self.prediction = nn.Conv2D(all_pred, kernel_size=1, padding=0, strides=1, in_channels=in_channels,
                                    prefix=old_pred.prefix)
        self.prediction.initialize(ctx=ctx)
        if reuse_weights:
            new_pred = self.prediction
            for old_params, new_params in zip(old_pred.params.values(), new_pred.params.values()):
                old_data = old_params.data()
                new_data = new_params.data()
                for k, v in reuse_weights.items():
                    if k >= self._classes or v >= old_classes:
                        continue
                    for i in range(self._num_anchors):
                        off_new = i * self._num_pred
                        off_old = i * old_num_pred
                        new_data[1 + 4 + k + off_new] = old_data[1 + 4 + v + off_old]
                        new_data[off_new: 1 + 4 + off_new] = old_data[off_old: 1 + 4 + off_old]
                new_params.set_data(new_data)

    def hybrid_forward(self, F, x, anchors, offsets):
        pred = self.prediction(x).reshape((0, self._num_anchors * self._num_pred, -1))
        pred = pred.transpose(axes=(0, 2, 1)).reshape((0, -1, self._num_anchors, self._num_pred))
        raw_box_centers = pred.slice_axis(axis=-1, begin=0, end=2)
        raw_box_scales = pred.slice_axis(axis=-1, begin=2, end=4)
        objness = pred.slice_axis(axis=-1, begin=4, end=5)
        class_pred = pred.slice_axis(axis=-1, begin=5, end=None)
        offsets = F.slice_like(offsets, x * 0, axes=(2, 3))
        offsets = offsets.reshape((1, -1, 1, 2))
        box_centers = F.broadcast_add(F.sigmoid(raw_box_centers), offsets) * self._stride
        box_scales = F.broadcast_mul(F.exp(raw_box_scales), anchors)
        confidence = F.sigmoid(objness)
        class_score = F.broadcast_mul(F.sigmoid(class_pred), confidence)
        wh = box_scales / 2.0
        bbox = F.concat(box_centers - wh, box_centers + wh, dim=-1)
        if autograd.is_training():
            return (bbox.reshape((0, -1, 4)), raw_box_centers, raw_box_scales, objness, class_pred, anchors,
                    offsets)
        bboxes = F.tile(bbox, reps=(self._classes, 1, 1, 1, 1))
        scores = F.transpose(class_score, axes=(3, 0, 1, 2)).expand_dims(axis=-1)
        ids = F.broadcast_add(scores * 0, F.arange(0, self._classes).reshape((0, 1, 1, 1, 1)))
        detections = F.concat(ids, scores, bboxes, dim=-1)
        return F.reshape(detections.transpose(axes=(1, 0, 2, 3, 4)), (0, -1, 6))


class YOLODetectionBlockV3(HybridBlock):
    def __init__(self, channel, norm_layer=nn.BatchNorm, norm_kwargs=None, **kwargs):
        super(YOLODetectionBlockV3, self).__init__(**kwargs)
        assert channel % 2 == 0, "channel {} cannot be divided by 2".format(channel)
        with self.name_scope():
            self.body = nn.HybridSequential(prefix='')
            for _ in range(2):
                self.body.add(_conv2d(channel, 1, 0, 1, norm_layer=norm_layer, norm_kwargs=norm_kwargs))
                self.body.add(_conv2d(channel * 2, 3, 1, 1, norm_layer=norm_layer, norm_kwargs=norm_kwargs))
            self.body.add(_conv2d(channel, 1, 0, 1, norm_layer=norm_layer, norm_kwargs=norm_kwargs))
            self.tip = _conv2d(channel * 2, 3, 1, 1, norm_layer=norm_layer, norm_kwargs=norm_kwargs)

    def hybrid_forward(self, F, x):
        route = self.body(x)
        tip = self.tip(route)
        return route, tip


class YOLOV3Lite(HybridBlock):
    """YOLOV3 without its training losses (the target merger and YOLOV3Loss)."""

    def __init__(self, stages, channels, anchors, strides, classes, alloc_size=(16, 16), nms_thresh=0.45,
                 nms_topk=40, post_nms=10, **kwargs):
        super(YOLOV3Lite, self).__init__(**kwargs)
        self._classes = classes
        self.nms_thresh, self.nms_topk, self.post_nms = nms_thresh, nms_topk, post_nms
        with self.name_scope():
            self.stages = nn.HybridSequential()
            self.transitions = nn.HybridSequential()
            self.yolo_blocks = nn.HybridSequential()
            self.yolo_outputs = nn.HybridSequential()
            for i, stage, channel, anchor, stride in zip(range(len(stages)), stages, channels, anchors[::-1],
                                                         strides[::-1]):
                self.stages.add(stage)
                self.yolo_blocks.add(YOLODetectionBlockV3(channel))
                self.yolo_outputs.add(YOLOOutputV3(i, len(classes), anchor, stride, alloc_size=alloc_size))
                if i > 0:
                    self.transitions.add(_conv2d(channel, 1, 0, 1))

    def hybrid_forward(self, F, x, *args):
        all_detections, all_anchors, all_offsets, all_objectness = [], [], [], []
        routes = []
        for stage, block, output in zip(self.stages, self.yolo_blocks, self.yolo_outputs):
            x = stage(x)
            routes.append(x)
        for i, block, output in zip(range(len(routes)), self.yolo_blocks, self.yolo_outputs):
            x, tip = block(x)
            if autograd.is_training():
                dets, box_centers, box_scales, objness, class_pred, anchors, offsets = output(tip)
                all_objectness.append(objness.reshape((0, -3, -1)))
                all_anchors.append(anchors)
                all_offsets.append(offsets)
            else:
                dets = output(tip)
            all_detections.append(dets)
            if i >= len(routes) - 1:
                break
            x = self.transitions[i](x)
            upsample = _upsample(x, stride=2)
            route_now = routes[::-1][i + 1]
            x = F.concat(F.slice_like(upsample, route_now * 0, axes=(2, 3)), route_now, dim=1)
        if autograd.is_training():
            return (F.concat(*all_detections, dim=1), all_anchors, all_offsets,
                    F.concat(*all_objectness, dim=1))
        result = F.concat(*all_detections, dim=1)
        if self.nms_thresh > 0 and self.nms_thresh < 1:
            result = F.contrib.box_nms(result, overlap_thresh=self.nms_thresh, valid_thresh=0.01,
                                       topk=self.nms_topk, id_index=0, score_index=1, coord_start=2,
                                       force_suppress=False)
            if self.post_nms > 0:
                result = result.slice_axis(axis=1, begin=0, end=self.post_nms)
        ids = result.slice_axis(axis=-1, begin=0, end=1)
        scores = result.slice_axis(axis=-1, begin=1, end=2)
        bboxes = result.slice_axis(axis=-1, begin=2, end=None)
        return ids, scores, bboxes


def _yolo_net():
    base = nn.HybridSequential()
    with base.name_scope():
        base.add(_conv2d(4, 3, 1, 2), _conv2d(8, 3, 1, 2), _conv2d(8, 3, 1, 2), _conv2d(8, 3, 1, 2))
    stages = [base[:3], base[3:]]
    anchors = [[6, 8, 10, 12], [14, 20, 24, 18]]
    net = YOLOV3Lite(stages, [8, 4], anchors, [8, 16], classes=['cat', 'dog', 'bird'], prefix='yolov3_')
    net.initialize()
    with autograd.train_mode():
        net(nd.zeros((1, 3, 32, 32)))
    params = net.collect_params()
    rs = np.random.RandomState(231)
    for name in sorted(params.keys(), key=natural):
        if params[name].grad_req == 'null' and ('anchor' in name or 'offset' in name):
            continue          # the constants
        value = rs.uniform(-0.5, 0.5, params[name].shape)
        if name.endswith('running_var'):
            value = np.abs(value) + 0.5
        params[name].set_data(nd.array(value))
    return net


def gluoncv_yolo3():
    x = nd.array(np.random.RandomState(232).uniform(0, 1, (2, 3, 32, 32)))
    out = {}
    for mode in ('eager', 'hybrid'):
        net = _yolo_net()
        if mode == 'hybrid':
            net.hybridize()
        ids, scores, bboxes = net(x)
        out[mode] = {'ids': L(ids[:, :5, 0]), 'scores': L(scores[:, :5, 0]), 'bboxes': L(bboxes[:, :3])}
        # a network first called in train mode outside record() (GluonCV's target generator in the
        # DataLoader transform does this to read anchors and offsets), hybridized: lists among the
        # outputs of the cached graph
        trained = _yolo_net()
        if mode == 'hybrid':
            trained.hybridize()
        bn = trained.collect_params('.*running_mean')
        before = [p.data().copy() for p in bn.values()]
        with autograd.train_mode():
            dets, anchors, offsets, objness = trained(x)
        out[mode]['train'] = [list(dets.shape), [L(a) for a in anchors], [list(o.shape) for o in offsets],
                              L(objness[:, :4, 0])]
        out[mode]['bn_moved'] = bool(sum(float((p.data() != b).sum().asscalar())
                                         for p, b in zip(bn.values(), before)) > 0)
    constants = sorted(k.replace(net.prefix, '') for k, p in net.collect_params().items()
                       if p.grad_req == 'null' and 'running' not in k)
    out['constants'] = constants
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, 'yolo3')
        net.export(prefix, epoch=0)
        sb = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data'], prefix + '-0000.params')
        imported = sb(x)
        out['imported'] = [L(imported[1][:, :5, 0]), len(imported)]
    for output in net.yolo_outputs:
        output.reset_class(['dog', 'cat'], reuse_weights={0: 1, 1: 0})
    net._classes = ['dog', 'cat']
    net._clear_cached_op()
    ids, scores, bboxes = net(x)
    out['reset'] = [L(ids[:, :5, 0]), L(scores[:, :5, 0])]
    with autograd.train_mode():
        res = net(x)
    out['cached'] = len(res)      # hybridized: the graph cached by a predict-mode call answers again
    return out



# ---------------------------------------------------------------- 23 d2l optimizers through Gluon
# d2l-ai/d2l-zh (MXNet edition) chapter_optimization: train_gluon_ch7 (a Dense(1) initialized by
# Normal(0.01), L2Loss, a shuffling DataLoader over an ArrayDataset, a Trainer made from an
# optimizer name and its hyper-parameters, the loss evaluated every 20 samples) run with the
# chapter's settings (sgd / momentum, adagrad, rmsprop gamma1, adadelta rho, adam), then the same
# loop over the other optimizers MXNet 1.9.1 registers. Seeded features instead of the airfoil data.
def train_gluon_ch7(trainer_name, trainer_hyperparams, features, labels, batch_size=10, num_epochs=2):
    net = nn.Sequential()
    net.add(nn.Dense(1))
    net.initialize(init.Normal(sigma=0.01))
    net(features[:1])
    set_params(net, 241)
    loss = gluon.loss.L2Loss()

    def eval_loss():
        return float(loss(net(features), labels).mean().asscalar())

    ls = [eval_loss()]
    np.random.seed(242)
    data_iter = gluon.data.DataLoader(gluon.data.ArrayDataset(features, labels), batch_size, shuffle=True)
    trainer = gluon.Trainer(net.collect_params(), trainer_name, trainer_hyperparams)
    for _ in range(num_epochs):
        for batch_i, (X, y) in enumerate(data_iter):
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(batch_size)
            if (batch_i + 1) * batch_size % 20 == 0:
                ls.append(eval_loss())
    return {'ls': ls, 'params': [L(p.data()) for p in net.collect_params().values()]}


def d2l_optimizers():
    rs = np.random.RandomState(243)
    features = nd.array(rs.normal(0, 1, (60, 5)))
    labels = nd.dot(features, nd.array([[0.5], [-1.0], [2.0], [0.3], [-0.7]])) + 0.1
    labels = labels.reshape((-1,)) + nd.array(rs.normal(0, 0.05, 60))
    runs = [('sgd', {'learning_rate': 0.05}), ('sgd', {'learning_rate': 0.004, 'momentum': 0.9}),
            ('adagrad', {'learning_rate': 0.1}), ('rmsprop', {'learning_rate': 0.01, 'gamma1': 0.9}),
            ('adadelta', {'rho': 0.9999}), ('adam', {'learning_rate': 0.01}),
            # the others, with weight decay and clipping where they take them
            ('rmsprop', {'learning_rate': 0.01, 'centered': True, 'wd': 0.01, 'clip_weights': 0.9}),
            ('adamax', {'learning_rate': 0.02, 'wd': 0.01}), ('nadam', {'learning_rate': 0.02, 'schedule_decay': 0.01}),
            ('ftrl', {'learning_rate': 0.1, 'lamda1': 0.01, 'beta': 1}), ('ftml', {'learning_rate': 0.02, 'wd': 0.01}),
            ('signum', {'learning_rate': 0.01, 'momentum': 0.9, 'wd_lh': 0.01}),
            ('nag', {'learning_rate': 0.01, 'momentum': 0.9, 'wd': 0.001}),
            ('dcasgd', {'learning_rate': 0.01, 'momentum': 0.9, 'lamda': 0.04}),
            ('lamb', {'learning_rate': 0.01, 'wd': 0.01}), ('lars', {'learning_rate': 0.1, 'momentum': 0.9, 'eta': 0.01}),
            ('lbsgd', {'learning_rate': 0.02, 'momentum': 0.9, 'warmup_strategy': 'linear', 'warmup_epochs': 1,
                       'batch_scale': 2, 'updates_per_epoch': 6}),
            ('sgd', {'learning_rate': 0.05, 'clip_gradient': 0.5, 'wd': 0.01, 'rescale_grad': 0.5}),
            ('adagrad', {'learning_rate': 0.1, 'eps': 1e-6, 'wd': 0.01}),
            ('adam', {'learning_rate': 0.01, 'lazy_update': False, 'beta2': 0.9}),
            ('lbsgd', {'learning_rate': 0.02, 'momentum': 0.9, 'warmup_strategy': 'power2', 'warmup_epochs': 1,
                       'batch_scale': 1, 'updates_per_epoch': 6}),
            ('dcasgd', {'learning_rate': 0.01, 'lamda': 0.04, 'wd': 0.01})]
    out = {}
    for j, (name, hyper) in enumerate(runs):
        out['%02d_%s' % (j, name)] = _try(lambda: train_gluon_ch7(name, hyper, features, labels))
    return out



# ---------------------------------------------------------------- 24 the Gluon fit API
# apache/mxnet docs/python_docs/python/tutorials/packages/gluon/training/fit_api_tutorial.md:
# Estimator(net, loss, train_metrics, trainer, context) and fit(train_data, epochs), a
# LossRecordHandler(TrainBegin, TrainEnd, EpochEnd) reading the mx.metric.Loss the estimator adds
# to estimator.train_metrics, CheckpointHandler(model_dir, model_prefix, monitor, save_best) and a
# resumed fit (resume_from_checkpoint=True); example/gluon/estimator_example's val_data and
# evaluate, and a custom BatchProcessor (estimator/batch_processor.py's fit_batch overridden).
# A small convolutional net and seeded 1 x 8 x 8 images instead of resnet18 on Fashion-MNIST.
class LossRecordHandler(mx.gluon.contrib.estimator.TrainBegin, mx.gluon.contrib.estimator.TrainEnd,
                        mx.gluon.contrib.estimator.EpochEnd):
    def __init__(self):
        super(LossRecordHandler, self).__init__()
        self.loss_history = {}
        self.events = []

    def train_begin(self, estimator, *args, **kwargs):
        self.events.append('Training begin')

    def train_end(self, estimator, *args, **kwargs):
        self.events.append('Training ended')

    def epoch_end(self, estimator, *args, **kwargs):
        for metric in estimator.train_metrics:
            if isinstance(metric, mx.metric.Loss):
                loss_name, loss_val = metric.get()
                self.loss_history.setdefault(loss_name, []).append(loss_val)


class ClippingBatchProcessor(mx.gluon.contrib.estimator.BatchProcessor):
    """fit_batch as the default one, with the gradients clipped before the update (ours)."""

    def fit_batch(self, estimator, train_batch, batch_axis=0):
        data, label = self._get_data_and_label(train_batch, estimator.context, batch_axis)
        with autograd.record():
            pred = [estimator.net(x) for x in data]
            loss = [estimator.loss(y_hat, y) for y_hat, y in zip(pred, label)]
        for l in loss:
            l.backward()
        grads = [p.grad() for p in estimator.net.collect_params().values() if p.grad_req != 'null']
        gluon.utils.clip_global_norm(grads, 1.0)
        return data, label, pred, loss


def _fit_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation='relu'), nn.MaxPool2D(), nn.Flatten(), nn.Dense(3))
    net.initialize(init=mx.init.Xavier())
    net(nd.zeros((1, 1, 8, 8)))
    set_params(net, 251)
    return net


def fit_api():
    est_mod = mx.gluon.contrib.estimator
    rs = np.random.RandomState(252)
    X = nd.array(rs.uniform(0, 1, (12, 1, 8, 8)))
    Y = nd.array(rs.randint(0, 3, 12))
    train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=4)
    val_data = gluon.data.DataLoader(gluon.data.ArrayDataset(X[:8], Y[:8]), batch_size=4)
    ctx = mx.cpu()
    out = {}
    net = _fit_net()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.04})
    train_acc = mx.metric.Accuracy()
    est = est_mod.Estimator(net=net, loss=loss_fn, train_metrics=train_acc, trainer=trainer, context=ctx)
    loss_record = LossRecordHandler()
    est.fit(train_data=train_data, epochs=2, event_handlers=[loss_record])
    out['history'] = loss_record.loss_history
    out['events'] = loss_record.events
    out['train_metrics'] = [list(m.get()) for m in est.train_metrics]
    out['params'] = norms(net)['value']
    with tempfile.TemporaryDirectory() as tmp:
        net = _fit_net()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.04})
        train_acc = mx.metric.Accuracy()
        est = est_mod.Estimator(net=net, loss=loss_fn, train_metrics=train_acc, trainer=trainer, context=ctx)
        checkpoint_handler = est_mod.CheckpointHandler(model_dir=tmp, model_prefix='my_model', monitor=train_acc,
                                                       save_best=True)
        est.fit(train_data=train_data, epochs=2, event_handlers=[checkpoint_handler])
        out['files'] = sorted(os.listdir(tmp))
        net = _fit_net()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.04})
        est = est_mod.Estimator(net=net, loss=loss_fn, train_metrics=mx.metric.Accuracy(), trainer=trainer,
                                context=ctx)
        resume = est_mod.CheckpointHandler(model_dir=tmp, model_prefix='my_model', monitor=train_acc,
                                           save_best=True, resume_from_checkpoint=True)
        est.fit(train_data=train_data, epochs=3, event_handlers=[resume])
        out['resumed_files'] = sorted(os.listdir(tmp))
        out['resumed'] = [resume.current_epoch, resume.current_batch, trainer.optimizer.num_update]
        out['resumed_params'] = norms(net)['value']
    net = _fit_net()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    est = est_mod.Estimator(net=net, loss=loss_fn, train_metrics=mx.metric.Accuracy(), trainer=trainer,
                            context=ctx, val_metrics=mx.metric.Accuracy(),
                            batch_processor=ClippingBatchProcessor())
    est.fit(train_data=train_data, val_data=val_data, epochs=2)
    out['clipped'] = norms(net)['value']
    out['val_metrics'] = [list(m.get()) for m in est.val_metrics]
    est.evaluate(val_data=val_data)
    out['evaluated'] = [list(m.get()) for m in est.val_metrics]
    return out



# ---------------------------------------------------------------- 25 insightface's record files
# deepinsight/insightface recognition data tools (face2rec2.py: IRHeader records packed with
# mx.recordio.pack, a header record 0 whose label holds the identity range, per-identity
# records of image ranges, MXIndexedRecordIO.write_idx) and its FaceImageIter (an mx.io.DataIter:
# read_idx(0) and header.flag, id2range, next_sample's unpack and label[0] of array labels,
# mx.image.imdecode, mirror by nd.flip, mean subtraction times 0.0078125, ``data[i][:] = ...``
# into nd.empty batches, DataBatch with pad). Seeded PNG images instead of aligned faces.
class FaceImageIter(mx.io.DataIter):
    def __init__(self, batch_size, data_shape, path_imgrec=None, shuffle=False, rand_mirror=False,
                 mean=None, data_name='data', label_name='softmax_label'):
        super(FaceImageIter, self).__init__()
        path_imgidx = path_imgrec[0:-4] + ".idx"
        self.imgrec = mx.recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, 'r')
        s = self.imgrec.read_idx(0)
        header, _ = mx.recordio.unpack(s)
        if header.flag > 0:
            self.header0 = (int(header.label[0]), int(header.label[1]))
            self.imgidx = list(range(1, int(header.label[0])))
            self.id2range = {}
            self.seq_identity = range(int(header.label[0]), int(header.label[1]))
            for identity in self.seq_identity:
                s = self.imgrec.read_idx(identity)
                header, _ = mx.recordio.unpack(s)
                a, b = int(header.label[0]), int(header.label[1])
                self.id2range[identity] = (a, b)
        else:
            self.imgidx = list(self.imgrec.keys)
        self.seq = self.imgidx
        self.mean = mean
        self.nd_mean = None
        if self.mean:
            self.mean = np.array(self.mean, dtype=np.float32).reshape(1, 1, 3)
            self.nd_mean = mx.nd.array(self.mean).reshape((1, 1, 3))
        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + data_shape)]
        self.batch_size = batch_size
        self.data_shape = data_shape
        self.shuffle = shuffle
        self.image_size = '%d,%d' % (data_shape[1], data_shape[2])
        self.rand_mirror = rand_mirror
        self.provide_label = [(label_name, (batch_size,))]
        self.cur = 0
        self.nbatch = 0
        self.is_init = False

    def reset(self):
        self.cur = 0
        if self.shuffle:
            random.shuffle(self.seq)

    def num_samples(self):
        return len(self.seq)

    def next_sample(self):
        if self.cur >= len(self.seq):
            raise StopIteration
        idx = self.seq[self.cur]
        self.cur += 1
        s = self.imgrec.read_idx(idx)
        header, img = mx.recordio.unpack(s)
        label = header.label
        if not isinstance(label, numbers.Number):
            label = label[0]
        return label, img, None, None

    def next(self):
        if not self.is_init:
            self.reset()
            self.is_init = True
        self.nbatch += 1
        batch_size = self.batch_size
        c, h, w = self.data_shape
        batch_data = nd.empty((batch_size, c, h, w))
        batch_label = nd.empty(self.provide_label[0][1])
        i = 0
        try:
            while i < batch_size:
                label, s, bbox, landmark = self.next_sample()
                _data = self.imdecode(s)
                if _data.shape[0] != self.data_shape[1]:
                    _data = mx.image.resize_short(_data, self.data_shape[1])
                if self.rand_mirror:
                    _rd = random.randint(0, 1)
                    if _rd == 1:
                        _data = mx.ndarray.flip(data=_data, axis=1)
                if self.nd_mean is not None:
                    _data = _data.astype('float32', copy=False)
                    _data -= self.nd_mean
                    _data *= 0.0078125
                data = [_data]
                for datum in data:
                    assert i < batch_size, 'Batch size must be multiples of augmenter output length'
                    batch_data[i][:] = self.postprocess_data(datum)
                    batch_label[i][:] = label
                    i += 1
        except StopIteration:
            if i < batch_size:
                raise StopIteration
        return mx.io.DataBatch([batch_data], [batch_label], batch_size - i)

    def check_data_shape(self, data_shape):
        if not len(data_shape) == 3:
            raise ValueError('data_shape should have length 3, with dimensions CxHxW')
        if not data_shape[0] == 3:
            raise ValueError('This iterator expects inputs to have 3 channels.')

    def imdecode(self, s):
        return mx.image.imdecode(s)

    def postprocess_data(self, datum):
        return nd.transpose(datum, axes=(2, 0, 1))


def insightface_rec():
    rs = np.random.RandomState(261)
    identities = [[0, 0], [1, 1, 1], [2]]         # images per identity, as face2rec2's lists
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        rec_path, idx_path = os.path.join(tmp, 'train.rec'), os.path.join(tmp, 'train.idx')
        writer = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'w')
        n_images = sum(len(x) for x in identities)
        idx = 1
        ranges = []
        for ident, images in enumerate(identities):
            start = idx
            for _ in images:
                header = mx.recordio.IRHeader(0, float(ident), idx, 0)
                writer.write_idx(idx, mx.recordio.pack(header, png_bytes(rs.randint(0, 256, (12, 12, 3)))))
                idx += 1
            ranges.append((start, idx))
        id_start = idx
        for a, b in ranges:
            header = mx.recordio.IRHeader(0, [a, b], 0, 0)
            writer.write_idx(idx, mx.recordio.pack(header, b''))
            idx += 1
        writer.write_idx(0, mx.recordio.pack(mx.recordio.IRHeader(0, [id_start, idx], 0, 0), b''))
        writer.close()
        reader = mx.recordio.MXIndexedRecordIO(idx_path, rec_path, 'r')
        header0, payload0 = mx.recordio.unpack(reader.read_idx(0))
        out['header0'] = [header0.flag, L(nd.array(header0.label)), header0.id, header0.id2, len(payload0)]
        h3, img3 = mx.recordio.unpack(reader.read_idx(3))
        out['header3'] = [h3.flag, float(h3.label), h3.id, h3.id2]
        out['keys'] = sorted(reader.keys)
        reader.close()
        random.seed(262)
        it = FaceImageIter(2, (3, 10, 10), path_imgrec=rec_path, shuffle=True, rand_mirror=True,
                           mean=[127.5, 127.5, 127.5])
        out['id2range'] = sorted([k, list(v)] for k, v in it.id2range.items())
        out['header0_range'] = list(it.header0)
        out['provide'] = [[d[0], list(d[1])] for d in it.provide_data + it.provide_label]
        batches = []
        for epoch in range(2):
            it.reset()
            while True:
                try:
                    batch = it.next()
                except StopIteration:
                    break
                batches.append([L(batch.label[0]), batch.pad, float(batch.data[0].sum().asscalar()),
                                L(batch.data[0][0, 0, 0, :4])])
        out['batches'] = batches
        out['num_samples'] = it.num_samples()
    out['n_images'] = n_images
    return out



# ---------------------------------------------------------------- 26 printed networks
# The networks above printed as their scripts print them (``print(net)``, ``print(model)``):
# embedding_learning/model.py's L2Normalization and DistanceWeightedSampling define __repr__ by
# ``'{name}({_mode})'.format(name=..., **self.__dict__)``; the others use Block.__repr__ of their
# layers (the toy SSD, DCGAN's generator, the Tree-LSTM, the YOLOv3 output, a model-zoo ResNet).
class ReprL2Normalization(L2Normalization):
    def __repr__(self):
        s = '{name}({_mode})'
        return s.format(name=self.__class__.__name__, **self.__dict__)


class ReprDistanceWeightedSampling(DistanceWeightedSampling):
    def __repr__(self):
        s = '{name}({batch_k})'
        return s.format(name=self.__class__.__name__, **self.__dict__)


def printed_networks():
    out = {'l2': _try(lambda: repr(ReprL2Normalization(mode='instance'))),
           'dws': _try(lambda: repr(ReprDistanceWeightedSampling(batch_k=5)))}
    ssd = ToySSD(3)
    out['toy_ssd'] = repr(ssd).splitlines()
    tree = SimilarityTreeLSTM(4, 5, 12, 3, 5)
    out['tree_lstm'] = repr(tree).splitlines()
    yolo = YOLOOutputV3(0, 3, [6, 8, 10, 12], 8)
    out['yolo_output'] = repr(yolo).splitlines()
    resnet = gluon.model_zoo.vision.get_model('resnet18_v1', classes=4, thumbnail=True)
    out['resnet_head'] = repr(resnet).splitlines()[:12]
    gen = nn.Sequential()
    with gen.name_scope():
        gen.add(nn.Conv2DTranspose(8, 4, 1, 0, use_bias=False), nn.BatchNorm(), nn.Activation('relu'),
                nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Dense(3, in_units=4), nn.Embedding(5, 2),
                nn.LayerNorm(), nn.InstanceNorm(), nn.GlobalAvgPool2D(), nn.MaxPool2D(3, 2, 1),
                nn.Conv1D(2, 3, dilation=2, groups=1), nn.PReLU(), nn.ELU(), nn.SELU(), nn.Swish(),
                rnn.LSTM(4, 2, bidirectional=True, input_size=3), rnn.GRUCell(3), nn.Flatten(),
                nn.HybridLambda('tanh'), nn.Lambda(lambda x: x))
    out['layers'] = repr(gen).splitlines()
    return out



# ---------------------------------------------------------------- 27 GluonCV classification presets
# dmlc/gluon-cv gluoncv/data/transforms/presets/imagenet.py (transform_eval: Compose of
# Resize(resize_short, keep_ratio=True), CenterCrop, ToTensor, Normalize, each image
# expand_dims(0)-ed) and the validation transforms of scripts/classification/imagenet/
# train_imagenet.py and cifar's (Resize with an interpolation, CropResize); a Compose of
# HybridBlocks hybridized. Seeded uint8 images of odd sizes.
def transform_eval(imgs, resize_short=16, crop_size=12, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
    transforms = gluon.data.vision.transforms
    if isinstance(imgs, nd.NDArray):
        imgs = [imgs]
    for im in imgs:
        assert isinstance(im, nd.NDArray), "Expect NDArray, got {}".format(type(im))
    transform_fn = transforms.Compose([transforms.Resize(resize_short, keep_ratio=True),
                                       transforms.CenterCrop(crop_size), transforms.ToTensor(),
                                       transforms.Normalize(mean, std)])
    res = [transform_fn(img).expand_dims(0) for img in imgs]
    if len(res) == 1:
        return res[0]
    return res


def gluoncv_presets():
    transforms = gluon.data.vision.transforms
    rs = np.random.RandomState(271)
    imgs = [nd.array(rs.randint(0, 256, shape), dtype='uint8') for shape in ((19, 27, 3), (30, 14, 3))]
    out = {'eval': [L(t[0, :, :2, :3]) for t in transform_eval(imgs)]}
    for interp in (0, 1, 2, 3, 4):
        resized = transforms.Resize((9, 7), interpolation=interp)(imgs[0])
        out['resize%d' % interp] = L(resized[:, :, 0])
    out['crop_resize'] = L(transforms.CropResize(2, 3, 10, 8, size=(6, 5), interpolation=1)(imgs[1])[:, :, 1])
    hybrid = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.5, 0.25)])
    hybrid.hybridize()
    out['hybrid'] = L(hybrid(imgs[1])[:, :2, :2])
    out['cast'] = str(transforms.Cast('float16')(imgs[0]).dtype)
    return out



# ---------------------------------------------------------------- 28 Lorenz time-series CNN
# apache/mxnet example/gluon/ts_forecasting_cnn: data_generation.py (a Lorenz trajectory),
# data_iterator_builder.py (windows written element by element, ``X3[i, j, :] = data[i:i + rf, j]``
# from a NumPy array and ``y[i, j] = ...``; a shuffling DataLoader with last_batch='discard'),
# net_builder.py (Lorenz: a Block of dilated Conv1D / residual / skip Sequentials iterated with
# zip, Python's sum of sliced skips, Xavier(rnd_type='gaussian', factor_type='in')), model_train.py
# (Adam with wd, L1Loss, ``step(..., ignore_stale_grad=True)``, an ``nd.zeros(1, ctx)`` loss
# accumulator, save_parameters of the best epoch) and model_predict.py's load_parameters.
def lorenz_series(n, dt=0.01, s=10, r=28, b=2.667):
    xs, ys, zs = np.empty(n + 1), np.empty(n + 1), np.empty(n + 1)
    xs[0], ys[0], zs[0] = (0., 1., 1.05)
    for i in range(n):
        x_dot, y_dot, z_dot = s * (ys[i] - xs[i]), r * xs[i] - ys[i] - xs[i] * zs[i], xs[i] * ys[i] - b * zs[i]
        xs[i + 1] = xs[i] + (x_dot * dt)
        ys[i + 1] = ys[i] + (y_dot * dt)
        zs[i + 1] = zs[i] + (z_dot * dt)
    return np.stack([xs, ys, zs], axis=1) / 20.0


class Lorenz(gluon.nn.Block):
    def __init__(self, in_channels, L, k, M):
        super(Lorenz, self).__init__()
        self.L = L
        self.dilations = [2 ** i for i in range(L)]
        self.from_input = gluon.nn.Conv1D(in_channels=in_channels, kernel_size=1, channels=M)
        self.conv = gluon.nn.Sequential()
        self.residual = gluon.nn.Sequential()
        self.skips = gluon.nn.Sequential()
        for d in self.dilations:
            self.conv.add(gluon.nn.Conv1D(in_channels=M, kernel_size=k, channels=M, dilation=d, activation='relu'))
            self.residual.add(gluon.nn.Conv1D(in_channels=M, kernel_size=1, channels=M, dilation=d))
            self.skips.add(gluon.nn.Conv1D(in_channels=M, kernel_size=1, channels=M, dilation=d))
        self.conv_post1 = gluon.nn.Conv1D(in_channels=M, kernel_size=1, channels=1)
        self.conv_post2 = gluon.nn.Flatten()

    def forward(self, x):
        output = self.from_input(x)
        skip_connections = []
        for s, res, skip in zip(self.conv, self.residual, self.skips):
            output, skips = self.residue_forward(output, s, res, skip)
            skip_connections.append(skips)
        output = sum([s[:, :, -output.shape[2]:] for s in skip_connections])
        return self.conv_post2(self.conv_post1(output))

    def residue_forward(self, x, conv, residual, skips):
        output = conv(x)
        output = residual(output)
        skips = skips(output)
        output = output + x[:, :, -output.shape[2]:]
        return output, skips


def ts_forecasting_cnn():
    dilation_depth, batch_size, trajectory = 4, 8, 0
    receptive_field = dilation_depth ** 2
    data = lorenz_series(60)
    ctx = mx.cpu()
    T = data.shape[0]
    X3 = nd.zeros((T - receptive_field, data.shape[1], receptive_field), ctx=ctx)
    y = nd.zeros((T - receptive_field, data.shape[1]), ctx=ctx)
    for i in range(T - receptive_field):
        for j in range(data.shape[1]):
            X3[i, j, :] = data[i:i + receptive_field, j]
            y[i, j] = data[i + receptive_field, j]
    np.random.seed(281)
    train_iter = gluon.data.DataLoader(gluon.data.ArrayDataset(X3, y[:, trajectory]), batch_size, shuffle=True,
                                       last_batch='discard')
    net = Lorenz(L=dilation_depth, in_channels=3, k=2, M=4)
    net.collect_params().initialize(mx.init.Xavier(magnitude=2, rnd_type='gaussian', factor_type='in'), ctx=ctx)
    set_params(net, 282)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01, 'wd': 0.001})
    loss = gluon.loss.L1Loss()
    out = {'windows': [list(X3.shape), L(X3[3, :, :4]), L(y[3])], 'losses': []}
    best_loss = float('inf')
    with tempfile.TemporaryDirectory() as tmp:
        for epoch in range(3):
            total_epoch_loss, nb = mx.nd.zeros(1, ctx), 0
            for x, yb in train_iter:
                x = x.reshape((batch_size, 3, -1)).as_in_context(ctx)
                yb = yb.as_in_context(ctx)
                with autograd.record():
                    y_hat = net(x)
                    l = loss(y_hat, yb)
                l.backward()
                trainer.step(batch_size, ignore_stale_grad=True)
                total_epoch_loss += l.sum()
                nb += x.shape[0]
            current_loss = total_epoch_loss.asscalar() / nb
            out['losses'].append([float(current_loss), nb, list(y_hat.shape)])
            if current_loss < best_loss:
                best_loss = current_loss
                net.save_parameters(os.path.join(tmp, 'best_perf_model'))
        pred_net = Lorenz(L=dilation_depth, in_channels=3, k=2, M=4)
        pred_net.load_parameters(os.path.join(tmp, 'best_perf_model'), ctx=ctx)
        out['predict'] = L(pred_net(X3[:4]))
    out['norms'] = norms(net)
    return out


PROGRAMS = ['embedding_learning', 'lstm_crf', 'tree_lstm', 'style_transfer', 'super_resolution', 'toy_ssd',
            'snail', 'learning_rate_manipulation', 'house_prices', 'd2l_transformer', 'word2vec', 'd2l_fcn',
            'gluoncv_ssd_targets', 'gluonnlp_weight_drop', 'dcgan', 'image_classification',
            'gluoncv_image_transforms', 'gluoncv_imagenet', 'gluoncv_quota_sampler',
            'gluonnlp_bert_selfatt', 'viz_summary', 'gluoncv_yolo3', 'd2l_optimizers', 'fit_api',
            'insightface_rec', 'printed_networks', 'gluoncv_presets', 'ts_forecasting_cnn']
