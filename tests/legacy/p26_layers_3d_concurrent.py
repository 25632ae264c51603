import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from minigluon.gluon.contrib.nn import Concurrent, HybridConcurrent
from _common import set_weights, show

rng = np.random.RandomState(26)

# A tiny video classifier: Conv3D, 3-D pooling, BatchNorm, then Dense(flatten=True) on 5-D input.
video = nn.HybridSequential(prefix='video_')
with video.name_scope():
    video.add(nn.Conv3D(3, kernel_size=(2, 3, 3), padding=(0, 1, 1), activation='relu'),
              nn.MaxPool3D(pool_size=(1, 2, 2)),
              nn.BatchNorm(),
              nn.Conv3D(4, kernel_size=1, strides=(1, 2, 2), use_bias=False),
              nn.AvgPool3D(pool_size=(2, 1, 1), strides=1),
              nn.Dense(3))
clip = nd.array(rng.randn(2, 1, 3, 8, 8))
video.initialize()
video(clip)
set_weights(video, seed=26, scale=0.5)
print([(k, v.shape) for k, v in sorted(video.collect_params().items())])
show('video eager', video(clip))
video.hybridize()
trainer = gluon.Trainer(video.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
labels = nd.array([0, 2])
for step in range(3):
    with autograd.record():
        loss = gluon.loss.SoftmaxCrossEntropyLoss()(video(clip), labels)
    loss.backward()
    trainer.step(2)
    show('video step %d' % step, loss)
bn = video[2]
show('bn running mean', bn.running_mean.data())
show('bn running var', bn.running_var.data())

# A frozen BatchNorm: use_global_stats normalises with the running statistics even while training.
frozen = nn.BatchNorm(use_global_stats=True, in_channels=3)
frozen.initialize()
frozen.running_mean.set_data(nd.array([0.5, -0.5, 0.0]))
frozen.running_var.set_data(nd.array([4.0, 1.0, 0.25]))
frozen.gamma.set_data(nd.array([1.0, 2.0, 0.5]))
feat = nd.array(rng.randn(2, 3, 2, 2))
feat.attach_grad()
with autograd.record():
    y = frozen(feat)
y.backward()
show('frozen bn', y[1, :, 0, 0])
show('frozen bn grad', feat.grad[0, :, 1, 1])
show('running mean unchanged', frozen.running_mean.data())

# Decoders: 1-D and 3-D transposed convolutions, reflection padding, nearest upsampling via F.
up1 = nn.Conv1DTranspose(2, kernel_size=3, strides=2, padding=1, output_padding=1, in_channels=3)
up3 = nn.Conv3DTranspose(2, kernel_size=2, strides=2, in_channels=1, use_bias=False)
for i, layer in enumerate([up1, up3]):
    layer.initialize()
    set_weights(layer, seed=40 + i, scale=0.5)
    print(layer)
sig = nd.array(rng.randn(1, 3, 4))
show('conv1d transpose', up1(sig))
print('conv3d transpose', up3(clip[:1, :, :2, :2, :2]).shape)
show('conv3d transpose', up3(clip[:1, :, :2, :2, :2])[0, 1, 1])


class UpBlock(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.pad = nn.ReflectionPad2D(1)
            self.conv = nn.Conv2D(2, kernel_size=3, in_channels=2)

    def hybrid_forward(self, F, x):
        x = F.UpSampling(x, scale=2, sample_type='nearest')
        return self.conv(self.pad(x))


img = nd.array(rng.randn(1, 2, 3, 3))
ub = UpBlock()
ub.initialize()
set_weights(ub, seed=42, scale=0.5)
show('reflection pad', nn.ReflectionPad2D(1)(img)[0, 0, 0])
show('upblock', ub(img)[0, 1, 2])
ub.hybridize()
img.attach_grad()
with autograd.record():
    out = ub(img)
out.backward()
print('upblock out', out.shape)
show('upblock img grad', img.grad[0, 0])

# Concurrent (a Block) and HybridConcurrent give the same concatenation.
branches = []
for cls in (Concurrent, HybridConcurrent):
    block = cls(axis=1, prefix='branch_')
    with block.name_scope():
        block.add(nn.Dense(2, in_units=6), nn.Dense(3, in_units=6, activation='sigmoid'))
    block.initialize()
    set_weights(block, seed=43)
    branches.append(block)
print(branches[0])
v = nd.array(rng.randn(2, 6))
show('concurrent', branches[0](v))
branches[1].hybridize()
show('hybrid concurrent', branches[1](v))

# Embedding with dense gradients: repeated tokens accumulate into their row.
emb = nn.Embedding(5, 3, sparse_grad=False)
emb.initialize()
set_weights(emb, seed=44)
tokens = nd.array([[1, 3, 1], [4, 1, 0]])
with autograd.record():
    e = emb(tokens)
    (e * e).sum().backward()
print(emb, emb.weight.grad().stype)
show('embedding grad row 1', emb.weight.grad()[1])
show('embedding grad row 2', emb.weight.grad()[2])
