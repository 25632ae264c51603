import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn
from _common import set_weights, show

rng = np.random.RandomState(27)


# A siamese encoder: the second tower reuses the first tower's parameters through params=.
class Tower(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.fc = nn.Dense(4, activation='tanh', in_units=5)

    def hybrid_forward(self, F, x):
        return self.fc(x)


left = Tower(prefix='tower_')
right = Tower(prefix='tower_', params=left.collect_params())
left.initialize()
set_weights(left, seed=27, scale=0.5)
print(sorted(left.collect_params().keys()), sorted(right.collect_params().keys()))
print('same object', left.fc.weight is right.fc.weight)
a, b = nd.array(rng.randn(3, 5)), nd.array(rng.randn(3, 5))
show('left', left(a))
show('right', right(a))

# Layers sharing one Dense through params= of the layer itself.
shared = nn.Dense(4, in_units=4, prefix='shared_')
twin = nn.Dense(4, in_units=4, prefix='twin_', params=shared.params)
shared.initialize()
shared.weight.set_data(nd.array(np.eye(4) * 0.5 + 0.1))
shared.bias.set_data(nd.array([0.0, 0.1, 0.2, 0.3]))
print(twin.weight.name, sorted(twin.params.keys()))

# A pre-hook that records input norms, and a head trained on the siamese distance.
seen = []
handle = left.register_forward_pre_hook(lambda block, inputs: seen.append(
    float(inputs[0].norm().asscalar())))
head = nn.Dense(1, in_units=4)
head.initialize()
set_weights(head, seed=28)
head.weight.lr_mult = 2.0
head.bias.wd_mult = 0.0
left.collect_params().setattr('lr_mult', 0.5)
print('mults', head.weight.lr_mult, head.bias.wd_mult, left.fc.bias.lr_mult)
params = left.collect_params()
params.update(head.collect_params())
trainer = gluon.Trainer(params, 'sgd', {'learning_rate': 0.1, 'wd': 0.01})
target = nd.array([[1.0], [0.0], [1.0]])
for step in range(3):
    with autograd.record():
        d = nd.abs(left(a) - right(b))
        loss = gluon.loss.L2Loss()(head(twin(shared(d))), target)
    loss.backward()
    norm = gluon.utils.clip_global_norm([p.grad() for p in params.values()], 0.3)
    trainer.step(3)
    print('step', step, 'loss %.6f' % loss.mean().asscalar(), 'norm %.6f' % norm)
handle.detach()
left(a)
print('pre-hook calls', len(seen), ['%.4f' % v for v in seen[:2]])
show('tower weight', left.fc.weight.data()[0])
show('head weight', head.weight.data())
show('head bias', head.bias.data())
show('tied grad', shared.weight.grad()[0])

# Freezing: grad_req 'null' on the towers, only the head keeps learning.
left.collect_params().setattr('grad_req', 'null')
print('grad_req', [p.grad_req for p in params.values()])
before = left.fc.weight.data().copy()
trainer = gluon.Trainer(head.collect_params(), 'sgd', {'learning_rate': 0.1})
with autograd.record():
    loss = gluon.loss.L2Loss()(head(nd.abs(left(a) - right(b))), target)
loss.backward()
trainer.step(3)
print('tower frozen', bool((left.fc.weight.data() == before).min().asscalar()))
show('head after frozen step', head.weight.data())

# set_data on an initialised parameter, and the same batch split across two CPU contexts.
head.bias.set_data(nd.array([0.25]))
show('bias set', head.bias.data())
ctxs = [mx.cpu(0), mx.cpu(1)]
tower = nn.Dense(2, in_units=5)
tower.initialize(ctx=ctxs)
tower.weight.set_data(nd.array(rng.uniform(-0.5, 0.5, size=(2, 5))))
tower.bias.set_data(nd.array([0.1, -0.1]))
x = nd.array(rng.randn(5, 5))
parts = gluon.utils.split_and_load(x, ctxs, batch_axis=0, even_split=False)
print('parts', [(p.shape, str(p.context)) for p in parts])
with autograd.record():
    outs = [tower(p) for p in parts]
    losses = [(o * o).sum() for o in outs]
autograd.backward(losses)
show('part 1 output', outs[1])
grads = [g for g in tower.weight.list_grad()]
show('grad ctx0 + ctx1', grads[0] + grads[1].as_in_context(mx.cpu(0)))
print('data on', [str(d.context) for d in tower.weight.list_data()])
print('split', [s.shape for s in gluon.utils.split_data(x[:4], 2)])
