# The GluonNLP / GluonCV automatic-mixed-precision idiom: amp.init() before the model,
# amp.init_trainer(trainer), scale_loss around backward, unscale before gradient clipping,
# and a step skipped (with the loss scale halved) when a gradient overflows. The model has no
# FullyConnected / Convolution (MXNet 1.9.1 cannot train those in float16 on a CPU), so it runs
# in float32 on both frameworks and the loss scaling is what is compared.
import minigluon as mx
import numpy as np
from minigluon import autograd, gluon, nd
from minigluon.contrib import amp
from _common import show

amp.init()


class Scorer(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super(Scorer, self).__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get('w', shape=(4, 3))
            self.b = self.params.get('b', shape=(3,))

    def hybrid_forward(self, F, x, w, b):
        h = F.Activation(F.broadcast_add(F.dot(x, w), b), act_type='softrelu')
        return F.sum(h * h, axis=1)


rng = np.random.RandomState(58)
net = Scorer()
net.initialize(mx.init.Zero())       # the values are set just below
net.w.set_data(nd.array(rng.uniform(-0.5, 0.5, (4, 3))))
net.b.set_data(nd.array(rng.uniform(-0.1, 0.1, (3,))))
net.hybridize()
trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
amp.init_trainer(trainer)
trainer._amp_loss_scaler._scale_seq_len = 4       # grow after 4 clean steps instead of 2000
loss_fn = gluon.loss.L2Loss()

for step in range(12):
    x = rng.randn(8, 4).astype('float32')
    if step in (5, 9):
        x[0] = 3e38                                   # an overflowing batch
    y = rng.randn(8).astype('float32')
    with autograd.record():
        loss = loss_fn(net(nd.array(x)), nd.array(y))
        with amp.scale_loss(loss, trainer) as scaled_loss:
            autograd.backward(scaled_loss)
    if step % 3 == 2:
        amp.unscale(trainer)
        grads = [p.grad() for p in net.collect_params().values()]
        norm = gluon.utils.clip_global_norm(grads, 1.0)
        print('step', step, 'unscaled grad norm %.5g' % norm)
    before = net.w.data().asnumpy().copy()
    trainer.step(8)
    skipped = bool((net.w.data().asnumpy() == before).all())
    print('step', step, 'loss scale', trainer._amp_loss_scaler.loss_scale,
          'trainer scale %.6g' % trainer._scale, 'skipped', skipped)
show('w', net.w.data())
show('b', net.b.data())
print('final loss %.6f' % loss_fn(net(nd.array(rng.randn(8, 4))), nd.zeros((8,))).mean().asscalar())

