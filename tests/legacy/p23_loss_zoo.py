import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(23)
x = nd.array(rng.randn(6, 5))
binary = nd.array(rng.randint(0, 2, size=(6, 3)))
signed = binary * 2 - 1
sample_weight = nd.array([[1.0], [0.5], [2.0], [1.0], [0.0], [1.5]])

# Binary cross-entropy on logits and on probabilities, with a positive-class weight.
bce_logits = gluon.loss.SigmoidBinaryCrossEntropyLoss()
bce_probs = gluon.loss.SigmoidBCELoss(from_sigmoid=True, weight=0.5)
logits = nd.array(rng.randn(6, 3))
show('bce logits', bce_logits(logits, binary))
show('bce probs', bce_probs(nd.sigmoid(logits), binary))
pos_weight = nd.array([[2.0, 1.0, 0.5]])
show('bce pos_weight', bce_logits(logits, binary, None, pos_weight))
show('bce probs pos_weight', bce_probs(nd.sigmoid(logits), binary, sample_weight, pos_weight))

# Soft-label cross-entropy on log-probabilities, and KL divergence to a target distribution.
soft = nd.softmax(nd.array(rng.randn(6, 4)))
logp = nd.log_softmax(nd.array(rng.randn(6, 4)))
ce = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False, from_logits=True)
show('soft ce', ce(logp, soft))
show('soft ce weighted', ce(logp, soft, sample_weight))
show('kl from logits', gluon.loss.KLDivLoss()(logp, soft))
show('kl from raw', gluon.loss.KLDivLoss(from_logits=False, axis=-1)(nd.array(rng.randn(6, 4)),
                                                                      soft))

# Margin losses and the logistic loss in both label formats.
score = nd.array(rng.randn(6, 3))
show('hinge', gluon.loss.HingeLoss()(score, signed))
show('hinge margin 2', gluon.loss.HingeLoss(margin=2.0)(score, signed, sample_weight))
show('squared hinge', gluon.loss.SquaredHingeLoss(weight=0.3)(score, signed))
show('logistic signed', gluon.loss.LogisticLoss()(score, signed))
show('logistic binary', gluon.loss.LogisticLoss(label_format='binary')(score, binary))

# Embedding losses.
anchor, pos, neg = (nd.array(rng.randn(4, 3)) for _ in range(3))
show('triplet', gluon.loss.TripletLoss()(anchor, pos, neg))
show('triplet margin', gluon.loss.TripletLoss(margin=0.2)(anchor, pos, neg))
sim = nd.array([1, -1, 1, -1])
show('cosine', gluon.loss.CosineEmbeddingLoss()(anchor, pos, sim))
show('cosine margin', gluon.loss.CosineEmbeddingLoss(margin=0.3)(anchor, neg, sim))

# Poisson negative log-likelihood on log-rates and on rates (with Stirling's term).
counts = nd.array(rng.poisson(2.0, size=(6, 2)))
log_rate = nd.array(rng.randn(6, 2) * 0.5)
show('poisson log', gluon.loss.PoissonNLLLoss()(log_rate, counts))
# compute_full only on counts >= 1: MXNet 1.9.1 computes 0 * log(0) before masking the Stirling
# term, so any zero count makes its whole loss NaN (minigluon documents that it does not).
show('poisson rate full', gluon.loss.PoissonNLLLoss(from_logits=False, compute_full=True)(
    nd.exp(log_rate), counts + 1))


# A multi-task head trained with several of the losses at once.
class MultiHead(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.body = nn.Dense(8, activation='tanh')
            self.tags = nn.Dense(3)         # multi-label tags
            self.margin = nn.Dense(3)       # +-1 scores
            self.rate = nn.Dense(2)         # log Poisson rates

    def hybrid_forward(self, F, x):
        h = self.body(x)
        return self.tags(h), self.margin(h), self.rate(h)


net = MultiHead()
net.initialize()
net(x)
set_weights(net, seed=23, scale=0.3)
net.hybridize()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
losses = [gluon.loss.SigmoidBCELoss(), gluon.loss.SquaredHingeLoss(),
          gluon.loss.PoissonNLLLoss(weight=0.5), gluon.loss.LogisticLoss(label_format='binary')]
for epoch in range(4):
    with autograd.record():
        tags, margin, rate = net(x)
        total = (losses[0](tags, binary, sample_weight) + losses[1](margin, signed)
                 + losses[2](rate, counts) + losses[3](margin, binary, sample_weight))
    total.backward()
    trainer.step(x.shape[0])
    show('epoch %d' % epoch, total)
show('tags bias', net.tags.bias.data())
show('rate weight', net.rate.weight.data()[0])
