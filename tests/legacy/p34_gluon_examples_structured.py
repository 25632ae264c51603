# MXNet 1.x example/gluon programs with Python control flow, shrunk: actor_critic (softmax
# policy, mx.nd.sample_multinomial with get_prob, autograd.backward with head gradients),
# tree_lstm (a child-sum Tree-LSTM cell whose forward recurses over a Python tree), lstm_crf
# (BiLSTM-CRF with Viterbi decoding; the greedy decode takes argmax of 1-d rows and indexes the
# result with .asnumpy()[0]) and embedding_learning (distance-weighted sampling, margin loss with
# a trained per-class beta Parameter).
import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn, rnn
from _common import set_weights, show


# ---------------------------------------------------------------- actor_critic
class Policy(gluon.Block):
    def __init__(self, **kwargs):
        super(Policy, self).__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(16, in_units=4, activation='relu')
            self.action_pred = nn.Dense(2, in_units=16)
            self.value_pred = nn.Dense(1, in_units=16)

    def forward(self, x):
        x = self.dense(x)
        return mx.nd.softmax(self.action_pred(x)), self.value_pred(x)


net = Policy()
net.collect_params().initialize(mx.init.Uniform(0.02))
set_weights(net, 21, 0.3)
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 3e-2})
loss = gluon.loss.L1Loss()
rng = np.random.RandomState(5)
for epoch in range(3):
    rewards, values, heads, actions = [], [], [], []
    with autograd.record():
        for t in range(6):
            prob, value = net(mx.nd.array(np.expand_dims(rng.uniform(-1, 1, 4), 0)))
            # the action is drawn from NumPy so both frameworks take the same ones
            action = int(rng.rand() < prob[0, 1].asscalar())
            heads.append(prob)
            actions.append(action)
            values.append(value)
            rewards.append(float(rng.rand()))
        R = 0
        for i in range(len(rewards) - 1, -1, -1):
            R = rewards[i] + 0.99 * R
            rewards[i] = R
        rewards = np.array(rewards)
        rewards -= rewards.mean()
        rewards /= rewards.std() + np.finfo(rewards.dtype).eps
        L = sum([loss(value, mx.nd.array([r])) for r, value in zip(rewards, values)])
        final_nodes, head_grads = [L], [None]
        for p, r, v, a in zip(heads, rewards, values, actions):
            grad_head = np.zeros(p.shape, dtype='float32')
            grad_head[0, a] = -(r - v.asnumpy()[0, 0]) / p[0, a].asscalar()
            final_nodes.append(p)
            head_grads.append(nd.array(grad_head))
    autograd.backward(final_nodes, head_grads=head_grads)
    trainer.step(6)
    print('actor-critic', epoch, '%.6f' % L.asscalar(), actions)
show('actor-critic w', net.dense.weight.data())
prob = nd.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
prob.attach_grad()
with autograd.record():
    a, logp = mx.nd.sample_multinomial(prob, get_prob=True)
autograd.backward([logp], [nd.array([2.0, 3.0])])
an = a.asnumpy().astype(int)
expected = np.zeros((2, 3))
expected[np.arange(2), an] = np.array([2.0, 3.0]) / prob.asnumpy()[np.arange(2), an]
print('multinomial', a.dtype, logp.shape, np.allclose(prob.grad.asnumpy(), expected))


# ---------------------------------------------------------------- tree_lstm
class Tree(object):
    def __init__(self, idx):
        self.children = []
        self.idx = idx


def build_tree(spec):
    t = Tree(spec[0])
    t.children = [build_tree(c) for c in spec[1:]]
    return t


class ChildSumLSTMCell(gluon.Block):
    def __init__(self, hidden_size, input_size=0, prefix=None, params=None):
        super(ChildSumLSTMCell, self).__init__(prefix=prefix, params=params)
        with self.name_scope():
            self._hidden_size = hidden_size
            self.i2h_weight = self.params.get('i2h_weight', shape=(4 * hidden_size, input_size))
            self.hs2h_weight = self.params.get('hs2h_weight', shape=(3 * hidden_size, hidden_size))
            self.hc2h_weight = self.params.get('hc2h_weight', shape=(hidden_size, hidden_size))
            self.i2h_bias = self.params.get('i2h_bias', shape=(4 * hidden_size,), init='zeros')
            self.hs2h_bias = self.params.get('hs2h_bias', shape=(3 * hidden_size,), init='zeros')
            self.hc2h_bias = self.params.get('hc2h_bias', shape=(hidden_size,), init='zeros')

    def forward(self, F, inputs, tree):
        children_outputs = [self.forward(F, inputs, child) for child in tree.children]
        children_states = list(zip(*children_outputs))[1] if children_outputs else None
        with inputs.context as ctx:
            return self.node_forward(F, F.expand_dims(inputs[tree.idx], axis=0), children_states,
                                     self.i2h_weight.data(ctx), self.hs2h_weight.data(ctx),
                                     self.hc2h_weight.data(ctx), self.i2h_bias.data(ctx),
                                     self.hs2h_bias.data(ctx), self.hc2h_bias.data(ctx))

    def node_forward(self, F, inputs, children_states, i2h_weight, hs2h_weight, hc2h_weight,
                     i2h_bias, hs2h_bias, hc2h_bias):
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias,
                               num_hidden=4 * self._hidden_size)
        i2h_slices = F.split(i2h, num_outputs=4)
        i2h_iuo = F.concat(*[i2h_slices[i] for i in [0, 2, 3]], dim=1)
        if children_states:
            hs = F.add_n(*[state[0] for state in children_states])
            hc = F.concat(*[F.expand_dims(state[0], axis=1) for state in children_states], dim=0)
            cs = F.concat(*[F.expand_dims(state[1], axis=1) for state in children_states], dim=0)
            f_act = i2h_slices[1] + hc2h_bias + F.dot(hc, hc2h_weight)
            forget_gates = F.Activation(f_act, act_type='sigmoid')
            i2h_iuo = i2h_iuo + F.FullyConnected(data=hs, weight=hs2h_weight, bias=hs2h_bias,
                                                 num_hidden=3 * self._hidden_size)
        iuo = F.SliceChannel(i2h_iuo, num_outputs=3)
        in_gate = F.Activation(iuo[0], act_type='sigmoid')
        in_transform = F.Activation(iuo[1], act_type='tanh')
        out_gate = F.Activation(iuo[2], act_type='sigmoid')
        next_c = in_gate * in_transform
        if children_states:
            next_c = F.sum(forget_gates * cs, axis=0) + next_c
        next_h = out_gate * F.Activation(next_c, act_type='tanh')
        return next_h, [next_h, next_c]


class SimilarityTreeLSTM(nn.Block):
    def __init__(self, sim_hidden_size, rnn_hidden_size, embed_in_size, embed_dim, num_classes):
        super(SimilarityTreeLSTM, self).__init__()
        with self.name_scope():
            self.embed = nn.Embedding(embed_in_size, embed_dim)
            self.childsumtreelstm = ChildSumLSTMCell(rnn_hidden_size, input_size=embed_dim)
            self.wh = nn.Dense(sim_hidden_size, in_units=2 * rnn_hidden_size)
            self.wp = nn.Dense(num_classes, in_units=sim_hidden_size)

    def forward(self, F, l_inputs, r_inputs, l_tree, r_tree):
        lstate = self.childsumtreelstm(F, self.embed(l_inputs), l_tree)[1][1]
        rstate = self.childsumtreelstm(F, self.embed(r_inputs), r_tree)[1][1]
        mult_dist = F.broadcast_mul(lstate, rstate)
        abs_dist = F.abs(F.add(lstate, -rstate))
        vec_dist = F.concat(*[mult_dist, abs_dist], dim=1)
        return F.log_softmax(self.wp(F.sigmoid(self.wh(vec_dist))))


tree_net = SimilarityTreeLSTM(5, 6, 10, 4, 5)
tree_net.initialize(mx.init.Xavier(magnitude=2.24))
set_weights(tree_net, 31, 0.4)
trainer = gluon.Trainer(tree_net.collect_params(), 'adagrad', {'learning_rate': 0.1, 'wd': 1e-4})
lt, rt = build_tree((0, (1,), (2, (3,), (4,)))), build_tree((1, (0,), (2,)))
li, ri = nd.array([1, 5, 2, 7, 3]), nd.array([4, 4, 9])
label = nd.array([[0, 0.3, 0.7, 0, 0]])
for i in range(3):
    with autograd.record():
        z = tree_net(mx.nd, li, ri, lt, rt)
        l = gluon.loss.KLDivLoss()(z, label)
    l.backward()
    trainer.step(1)
    print('tree-lstm', i, '%.6f' % l.asscalar())
show('tree-lstm embed grad', tree_net.embed.weight.grad())
print('tree-lstm score %.6f' % nd.dot(nd.exp(z), nd.arange(1, 6).reshape((-1, 1))).asscalar())


# ---------------------------------------------------------------- lstm_crf
START_TAG, STOP_TAG = '<START>', '<STOP>'


def log_sum_exp(vec):
    max_score = nd.max(vec).asscalar()
    return nd.log(nd.sum(nd.exp(vec - max_score))) + max_score


class BiLSTM_CRF(gluon.Block):
    def __init__(self, vocab_size, tag2idx, embedding_dim, hidden_dim):
        super(BiLSTM_CRF, self).__init__()
        with self.name_scope():
            self.hidden_dim, self.tag2idx, self.tagset_size = hidden_dim, tag2idx, len(tag2idx)
            self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
            self.lstm = rnn.LSTM(hidden_dim // 2, num_layers=1, bidirectional=True,
                                 input_size=embedding_dim)
            self.hidden2tag = nn.Dense(self.tagset_size, in_units=hidden_dim)
            self.transitions = self.params.get('crf_transition_matrix',
                                               shape=(self.tagset_size, self.tagset_size))

    def _forward_alg(self, feats):
        alphas = [[-10000.] * self.tagset_size]
        alphas[0][self.tag2idx[START_TAG]] = 0.
        alphas = nd.array(alphas)
        for feat in feats:
            alphas_t = []
            for next_tag in range(self.tagset_size):
                emit_score = feat[next_tag].reshape((1, -1))
                trans_score = self.transitions.data()[next_tag].reshape((1, -1))
                alphas_t.append(log_sum_exp(alphas + trans_score + emit_score))
            alphas = nd.concat(*alphas_t, dim=0).reshape((1, -1))
        return log_sum_exp(alphas + self.transitions.data()[self.tag2idx[STOP_TAG]])

    def _get_lstm_features(self, sentence):
        hidden = [nd.ones((2, 1, self.hidden_dim // 2)) * 0.1,
                  nd.ones((2, 1, self.hidden_dim // 2)) * -0.1]
        length = sentence.shape[0]
        embeds = self.word_embeds(sentence).reshape((length, 1, -1))
        lstm_out, _ = self.lstm(embeds, hidden)
        lstm_feats = self.hidden2tag(lstm_out.reshape((length, self.hidden_dim)))
        return nd.split(lstm_feats, num_outputs=length, axis=0, squeeze_axis=True)

    def _score_sentence(self, feats, tags):
        score = nd.array([0])
        tags = nd.concat(nd.array([self.tag2idx[START_TAG]]), *tags, dim=0)
        for i, feat in enumerate(feats):
            score = score + self.transitions.data()[int(tags[i + 1].asscalar()),
                                                    int(tags[i].asscalar())] + \
                feat[int(tags[i + 1].asscalar())]
        return score + self.transitions.data()[self.tag2idx[STOP_TAG],
                                               int(tags[int(tags.shape[0] - 1)].asscalar())]

    def _viterbi_decode(self, feats):
        backpointers = []
        vvars = nd.full((1, self.tagset_size), -10000.)
        vvars[0, self.tag2idx[START_TAG]] = 0
        for feat in feats:
            bptrs_t, viterbivars_t = [], []
            for next_tag in range(self.tagset_size):
                next_tag_var = vvars + self.transitions.data()[next_tag]
                best_tag_id = int(nd.argmax(next_tag_var, axis=1).asscalar())
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0, best_tag_id])
            vvars = (nd.concat(*viterbivars_t, dim=0) + feat).reshape((1, -1))
            backpointers.append(bptrs_t)
        terminal_var = vvars + self.transitions.data()[self.tag2idx[STOP_TAG]]
        best_tag_id = int(nd.argmax(terminal_var, axis=1).asscalar())
        path_score = terminal_var[0, best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        best_path.pop()
        best_path.reverse()
        return path_score, best_path

    def greedy_decode(self, sentence):
        # each feature row is 1-d: argmax over axis 0 has shape (1,) in MXNet 1.x
        return [int(nd.argmax(f, axis=0).asnumpy()[0]) for f in self._get_lstm_features(sentence)]

    def neg_log_likelihood(self, sentence, tags):
        feats = self._get_lstm_features(sentence)
        return self._forward_alg(feats) - self._score_sentence(feats, tags)

    def forward(self, sentence):
        return self._viterbi_decode(self._get_lstm_features(sentence))


training_data = [('the wall street journal reported today that apple corporation made money'.split(),
                  'B I I I O O O B I O O'.split()),
                 ('georgia tech is a university in georgia'.split(), 'B I O O O O B'.split())]
word2idx = {}
for sentence, tags in training_data:
    for word in sentence:
        word2idx.setdefault(word, len(word2idx))
tag2idx = {'B': 0, 'I': 1, 'O': 2, START_TAG: 3, STOP_TAG: 4}
crf = BiLSTM_CRF(len(word2idx), tag2idx, 5, 4)
crf.initialize(mx.init.Xavier(magnitude=2.24))
set_weights(crf, 71, 0.4)
trainer = gluon.Trainer(crf.collect_params(), 'sgd', {'learning_rate': 0.01, 'wd': 1e-4})
first = nd.array([word2idx[w] for w in training_data[0][0]])
s, p = crf(first)
print('crf before %.5f' % s.asscalar(), p)
for epoch in range(2):
    for sentence, tags in training_data:
        with autograd.record():
            nll = crf.neg_log_likelihood(nd.array([word2idx[w] for w in sentence]),
                                         nd.array([tag2idx[t] for t in tags]))
            nll.backward()
        trainer.step(1)
        print('crf', epoch, '%.6f' % nll.asscalar())
s, p = crf(first)
print('crf after %.5f' % s.asscalar(), p)
print('crf greedy', crf.greedy_decode(first))
feat = crf._get_lstm_features(first)[0]
print('argmax/argmin/pick of a 1-d row', nd.argmax(feat, axis=0).shape, feat.argmin(axis=0).shape,
      nd.pick(feat, nd.array([2]), axis=0).shape)
print('argmax symbol shape', mx.sym.argmax(mx.sym.var('x'), axis=0).infer_shape(x=(5,))[1])
show('crf transitions', crf.transitions.data())


# ---------------------------------------------------------------- embedding_learning
def get_distance(F, x):
    n = x.shape[0]
    square = F.sum(x ** 2.0, axis=1, keepdims=True)
    distance_square = square + square.transpose() - (2.0 * F.dot(x, x.transpose()))
    return F.sqrt(distance_square + F.array(np.identity(n)))


class DistanceWeightedSampling(gluon.HybridBlock):
    def __init__(self, batch_k, cutoff=0.5, nonzero_loss_cutoff=1.4, **kwargs):
        self.batch_k, self.cutoff, self.nonzero_loss_cutoff = batch_k, cutoff, nonzero_loss_cutoff
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
        choice = np.random.RandomState(0)
        for i in range(n):
            block_idx = i // k
            n_indices += choice.choice(n, k - 1, p=np_weights[i]).tolist()
            for j in range(block_idx * k, (block_idx + 1) * k):
                if j != i:
                    a_indices.append(i)
                    p_indices.append(j)
        return a_indices, x[a_indices], x[p_indices], x[n_indices], x


class MarginNet(gluon.Block):
    def __init__(self, emb_dim, batch_k, **kwargs):
        super(MarginNet, self).__init__(**kwargs)
        with self.name_scope():
            self.base_net = nn.Dense(6, in_units=5, activation='relu')
            self.dense = nn.Dense(emb_dim, in_units=6)
            self.normalize = nn.Lambda(lambda x: nd.L2Normalization(x))
            self.sampled = DistanceWeightedSampling(batch_k=batch_k)

    def forward(self, x):
        return self.sampled(self.normalize(self.dense(self.base_net(x))))


class MarginLoss(gluon.loss.Loss):
    def __init__(self, margin=0.2, nu=0.0, weight=None, batch_axis=0, **kwargs):
        super(MarginLoss, self).__init__(weight, batch_axis, **kwargs)
        self._margin, self._nu = margin, nu

    def hybrid_forward(self, F, anchors, positives, negatives, beta_in, a_indices=None):
        if a_indices is not None:
            beta = beta_in.data()[a_indices]
            beta_reg_loss = F.sum(beta) * self._nu
        else:
            beta, beta_reg_loss = beta_in, 0.0
        d_ap = F.sqrt(F.sum(F.square(positives - anchors), axis=1) + 1e-8)
        d_an = F.sqrt(F.sum(F.square(negatives - anchors), axis=1) + 1e-8)
        pos_loss = F.maximum(d_ap - beta + self._margin, 0.0)
        neg_loss = F.maximum(beta - d_an + self._margin, 0.0)
        pair_cnt = float(F.sum((pos_loss > 0.0) + (neg_loss > 0.0)).asscalar())
        loss = (F.sum(pos_loss + neg_loss) + beta_reg_loss) / pair_cnt
        return gluon.loss._apply_weighting(F, loss, self._weight, None)


emb_net = MarginNet(4, 2)
emb_net.initialize(mx.init.Xavier(magnitude=0.2))
set_weights(emb_net, 13, 0.5)
beta = mx.gluon.Parameter('beta', shape=(3,))
beta.initialize(mx.init.Constant(1.2))
trainer = gluon.Trainer(emb_net.collect_params(), 'adam', {'learning_rate': 0.01, 'wd': 1e-4})
trainer_beta = gluon.Trainer([beta], 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
margin_loss = MarginLoss(margin=0.2, nu=0.01)
rng = np.random.RandomState(3)
x = nd.array(rng.uniform(size=(6, 5)))
label = nd.array([0, 0, 1, 1, 2, 2])
for i in range(3):
    with autograd.record():
        a_indices, anchors, positives, negatives, _ = emb_net(x)
        L = margin_loss(anchors, positives, negatives, beta, label[a_indices])
    L.backward()
    trainer.step(6)
    trainer_beta.step(6)
    print('margin', i, '%.6f' % L.asscalar(), a_indices[:4])
show('margin beta', beta.data())
show('margin w', emb_net.dense.weight.data())
