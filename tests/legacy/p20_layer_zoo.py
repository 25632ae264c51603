import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show


class TextCNN(gluon.HybridBlock):
    """Embedding -> parallel Conv1D branches with pooling -> norms -> classifier."""

    def __init__(self, vocab, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.embed = nn.Embedding(vocab, 6)
            self.branches = gluon.contrib.nn.HybridConcurrent(axis=1)
            with self.branches.name_scope():
                a = nn.HybridSequential()
                a.add(nn.Conv1D(4, 3, padding=1), nn.PReLU(), nn.MaxPool1D(2))
                b = nn.HybridSequential()
                b.add(nn.Conv1D(4, 1, use_bias=False), nn.ELU(alpha=0.5), nn.AvgPool1D(2))
                self.branches.add(a, b, nn.HybridSequential())
                self.branches[2].add(nn.MaxPool1D(2, strides=2), nn.Conv1D(4, 1))
            self.norm = nn.LayerNorm()
            self.act = nn.HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.2))
            self.out = nn.Dense(3)

    def hybrid_forward(self, F, tokens):
        h = self.embed(tokens).transpose((0, 2, 1))        # (N, C, T)
        h = self.branches(h)
        h = self.act(self.norm(h))
        return self.out(h)


rng = np.random.RandomState(20)
tokens = nd.array(rng.randint(0, 15, size=(2, 8)))
net = TextCNN(15)
net.initialize()
net(tokens)
set_weights(net, seed=20, scale=0.4)
print(sorted(net.collect_params().keys()))
show('eager', net(tokens))
labels = nd.array([0, 2])
# No Dropout in this model: in training mode its masks come from each framework's own random
# stream, and MXNet 1.9.1's Dropout backward under record(train_mode=False) reads an
# uninitialised mask (its gradients change from run to run).
with autograd.record():
    loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(tokens), labels)
loss.backward()
show('embed grad row', net.embed.weight.grad()[int(tokens[0, 0].asscalar())])
show('prelu alpha grad', net.branches[0][1].alpha.grad())
# Hybridized only for inference: MXNet 1.9.1's hybridized PReLU alpha gradient disagrees with its
# own imperative one in this graph (the imperative value is the derivative).
net.hybridize()
show('hybrid', net(tokens))

# An image decoder: transposed convolutions, instance / group norm, global pooling, activations.
# (No SELU under autograd here: MXNet 1.9.1's SELU gradient below 0 is lambda*(y+alpha), not the
# derivative; minigluon returns the derivative.)
dec = nn.HybridSequential()
with dec.name_scope():
    dec.add(nn.Conv2DTranspose(4, kernel_size=4, strides=2, padding=1, in_channels=2),
            nn.InstanceNorm(in_channels=4), nn.LeakyReLU(0.1),
            nn.Conv2DTranspose(4, kernel_size=3, strides=1, padding=0, output_padding=0),
            nn.GroupNorm(num_groups=2), nn.Swish(),
            nn.Conv2D(6, kernel_size=3, dilation=2, groups=2), nn.GELU(),
            nn.GlobalAvgPool2D(), gluon.contrib.nn.Identity(), nn.Flatten())
dec.initialize()
z = nd.array(rng.randn(2, 2, 3, 3))
dec(z)
set_weights(dec, seed=21, scale=0.5)
print([(k, v.shape) for k, v in sorted(dec.collect_params().items())])
show('decoder', dec(z))
dec.hybridize()
z.attach_grad()
with autograd.record():
    y = dec(z)
y.backward()
show('decoder hybrid', y)
show('z grad', z.grad[1, 1])

# Predict-mode Dropout is identity; Lambda with a string, Global max pooling, Activation names.
lam = nn.Lambda('tanh')
x = nd.array(np.linspace(-2, 2, 8).reshape(1, 2, 2, 2))
show('lambda tanh', lam(x))
show('dropout predict', nn.Dropout(0.9)(x))
show('global max', nn.GlobalMaxPool2D()(x))
show('avgpool ceil', nn.AvgPool2D(pool_size=2, strides=1, padding=1, ceil_mode=True,
                                  count_include_pad=False)(x))
for act in ['sigmoid', 'softrelu', 'softsign']:
    show(act, nn.Activation(act)(x))
show('selu forward', nn.SELU()(x))
print(net.branches)
print(dec[0], dec[4])
