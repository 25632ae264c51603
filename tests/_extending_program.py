"""A contributor's extensions, written the way MXNet 1.9.1 users wrote them: a custom
``autograd.Function`` and ``gluon.loss.Loss``, an initializer and an optimizer registered and used
by name (with the Trainer's states saved and loaded), a ``CustomMetric`` and an ``EvalMetric``
registered under an alias, a DataLoader with its own ``Sampler`` and ``batchify_fn``, and a
``CustomOp`` hybridized and exported.

:func:`run` takes the framework module (``mxnet`` or ``minigluon``) and returns plain numbers:
``tools/gen_extending_fixtures.py`` runs it under MXNet 1.9.1 and records the result in
``tests/fixtures/extending/mxnet.json``; ``tests/test_extending.py`` runs it under minigluon and
compares. Each class is defined inside :func:`run`'s helpers so the same code registers into
either framework; MXNet's ``Trainer.save_states`` pickles the optimizer, so that one class is made
importable under a module-level name (:data:`_PICKLED`).
"""
import os
import tempfile

import numpy as np

_PICKLED = {}


def run(mx):
    """Run every part under the framework ``mx``; ``{part: plain values}``."""
    return {'function_and_loss': _function_and_loss(mx),
            'init_and_optimizer': _init_and_optimizer(mx),
            'metrics': _metrics(mx),
            'data': _data(mx),
            'custom_op': _custom_op(mx)}


def _rows(x, digits=6):
    return np.round(x.asnumpy().astype(np.float64), digits).tolist()


def _function_and_loss(mx):
    nd, autograd, gluon = mx.nd, mx.autograd, mx.gluon

    class ScaledTanh(autograd.Function):
        """LeCun's 1.7159 * tanh(2x/3)."""
        def forward(self, x):
            t = nd.tanh(2 * x / 3)
            self.save_for_backward(t)
            return 1.7159 * t

        def backward(self, dy):
            t, = self.saved_tensors
            return dy * 1.7159 * (2 / 3) * (1 - t * t)

    class LogCoshLoss(gluon.loss.Loss):
        def __init__(self, weight=None, batch_axis=0, **kwargs):
            super().__init__(weight, batch_axis, **kwargs)

        def hybrid_forward(self, F, pred, label, sample_weight=None):
            loss = F.log(F.cosh(pred - F.reshape_like(label, pred)))
            if sample_weight is not None:
                loss = F.broadcast_mul(loss, sample_weight)
            if self._weight is not None:
                loss = loss * self._weight
            return F.mean(loss, axis=self._batch_axis, exclude=True)

    rs = np.random.RandomState(0)
    X = nd.array(rs.uniform(-1, 1, (16, 5)))
    Y = nd.array(rs.uniform(-1, 1, (16, 1)))
    net = gluon.nn.Dense(1, in_units=5)
    net.initialize(mx.init.Constant(0.1))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    loss_fn = LogCoshLoss(weight=2.0)
    losses = []
    for _ in range(10):
        with autograd.record():
            loss = loss_fn(ScaledTanh()(net(X)), Y)
        loss.backward()
        trainer.step(16)
        losses.append(float(loss.mean().asscalar()))
    loss_fn.hybridize()
    hybrid = loss_fn(net(X), Y, nd.ones((16, 1)) * 0.5)
    return {'losses': np.round(losses, 6).tolist(), 'weight': _rows(net.weight.data()),
            'hybrid_weighted': _rows(hybrid)}


def _init_and_optimizer(mx):
    nd, autograd, gluon = mx.nd, mx.autograd, mx.gluon

    @mx.init.register
    class LinspaceInit(mx.init.Initializer):
        def __init__(self, lo=-0.5, hi=0.5):
            super().__init__(lo=lo, hi=hi)
            self.lo, self.hi = lo, hi

        def _init_weight(self, name, arr):
            arr[:] = nd.array(np.linspace(self.lo, self.hi, arr.size).reshape(arr.shape))

    @mx.optimizer.register
    class MomentumSignSGD(mx.optimizer.Optimizer):
        def __init__(self, momentum=0.9, **kwargs):
            super().__init__(**kwargs)
            self.momentum = momentum

        def create_state(self, index, weight):
            return nd.zeros(weight.shape, weight.context, dtype=weight.dtype)

        def update(self, index, weight, grad, state):
            self._update_count(index)
            lr, wd = self._get_lr(index), self._get_wd(index)
            state[:] = self.momentum * state + grad * self.rescale_grad + wd * weight
            weight[:] = weight - lr * nd.sign(state)

    # MXNet pickles the optimizer into the states file: give the class a findable name
    MomentumSignSGD.__module__, MomentumSignSGD.__qualname__ = __name__, 'MomentumSignSGD'
    globals()['MomentumSignSGD'] = MomentumSignSGD

    rs = np.random.RandomState(1)
    X, Y = nd.array(rs.uniform(-1, 1, (8, 4))), nd.array(rs.uniform(-1, 1, (8, 3)))
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize('linspaceinit')
    first = _rows(net.weight.data())
    hyper = {'learning_rate': 0.01, 'momentum': 0.5, 'wd': 0.01}
    trainer = gluon.Trainer(net.collect_params(), 'momentumsignsgd', hyper)
    l2 = gluon.loss.L2Loss()

    def steps(tr, n):
        for _ in range(n):
            with autograd.record():
                loss = l2(net(X), Y)
            loss.backward()
            tr.step(8)

    steps(trainer, 5)
    after5 = _rows(net.weight.data())
    fname = os.path.join(tempfile.mkdtemp(), 'trainer.states')
    trainer.save_states(fname)
    again = gluon.Trainer(net.collect_params(), 'momentumsignsgd', hyper)
    again.load_states(fname)
    states = {str(k): _rows(v) for k, v in sorted(again._updaters[0].states.items())}
    steps(again, 2)
    return {'init': first, 'after5': after5, 'loaded_states': states,
            'num_update': again._optimizer.num_update, 'after_reload': _rows(net.weight.data()),
            'dumps': LinspaceInit(lo=0, hi=1).dumps()}


def _metrics(mx):
    nd = mx.nd

    def mae(label, pred):
        return np.abs(label - pred).mean()

    @mx.metric.register
    @mx.metric.alias('top1err_ext')
    class Top1ErrorExt(mx.metric.EvalMetric):
        def __init__(self, name='top1_error', **kwargs):
            super().__init__(name, **kwargs)

        def update(self, labels, preds):
            for label, pred in zip(labels, preds):
                wrong = (pred.argmax(axis=1) != label).sum().asscalar()   # a float32
                self.sum_metric += wrong
                self.num_inst += label.shape[0]
                self.global_sum_metric += wrong
                self.global_num_inst += label.shape[0]

    labels = [nd.array([0, 1, 2])]
    preds = [nd.array([[1, 0, 0], [1, 0, 0], [0, 0, 1]])]
    custom = mx.metric.CustomMetric(mae, name='mymae')
    tenths = mx.metric.CustomMetric(lambda label, pred: np.float32(0.1), name='tenths')
    for _ in range(10):
        custom.update([nd.array([1, 2, 3])], [nd.array([1.5, 2, 2.2])])
        tenths.update([nd.array([1])], [nd.array([1])])
    mine = mx.metric.create('top1err_ext')
    mine.update(labels, preds)
    composite = mx.metric.create(['acc', 'top1err_ext', mae])
    composite.update(labels, preds)
    return {'custom': list(custom.get()), 'tenths': tenths.get()[1],
            'mine': [type(mine).__name__, mine.get()[0], mine.get()[1], mine.get_global()[1]],
            'composite': [list(v) for v in composite.get()],
            'config': mine.get_config()}


def _data(mx):
    nd, gluon = mx.nd, mx.gluon

    class EvenFirst(gluon.data.Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))

        def __len__(self):
            return self.n

    def pad_batchify(samples):
        data = [s[0] for s in samples]
        out = np.full((len(data), max(len(d) for d in data)), -1, 'float32')
        for i, d in enumerate(data):
            out[i, :len(d)] = d
        return nd.array(out), nd.array([s[1] for s in samples])

    ds = gluon.data.SimpleDataset([(np.arange(i % 4 + 1), i) for i in range(7)])
    keep = gluon.data.DataLoader(ds, batch_size=3, sampler=EvenFirst(7),
                                 batchify_fn=pad_batchify, last_batch='keep')
    roll = gluon.data.DataLoader(ds, batch_sampler=gluon.data.BatchSampler(EvenFirst(7), 3,
                                                                           'rollover'),
                                 batchify_fn=pad_batchify)
    return {'keep': [[_rows(x), _rows(y)] for x, y in keep], 'len_keep': len(keep),
            'rollover': [[_rows(y) for _, y in roll] for _ in range(2)]}


def _custom_op(mx):
    nd, autograd, gluon = mx.nd, mx.autograd, mx.gluon

    class HardSwish(mx.operator.CustomOp):
        def __init__(self, alpha):
            super().__init__()
            self.alpha = alpha

        def forward(self, is_train, req, in_data, out_data, aux):
            x = in_data[0]
            self.assign(out_data[0], req[0], self.alpha * x * nd.clip(x + 3, 0, 6) / 6)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            x = in_data[0]
            inner = nd.clip(x + 3, 0, 6) / 6 + x * ((x > -3) * (x < 3)) / 6
            self.assign(in_grad[0], req[0], out_grad[0] * self.alpha * inner)

    @mx.operator.register('hard_swish_ext')
    class HardSwishProp(mx.operator.CustomOpProp):
        def __init__(self, alpha='1.0'):
            super().__init__(need_top_grad=True)
            self.alpha = float(alpha)

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return HardSwish(self.alpha)

    class Net(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense = gluon.nn.Dense(4)

        def hybrid_forward(self, F, x):
            return F.Custom(self.dense(x), op_type='hard_swish_ext', alpha=1.5)

    net = Net()
    net.initialize(mx.init.Constant(0.3))
    x = nd.array(np.linspace(-3, 3, 6).reshape(2, 3))
    eager = net(x)
    net.hybridize()
    x.attach_grad()
    with autograd.record():
        out = net(x)
    out.backward()
    folder = tempfile.mkdtemp()
    net.export(os.path.join(folder, 'net'))
    back = gluon.SymbolBlock.imports(os.path.join(folder, 'net-symbol.json'), ['data'],
                                     os.path.join(folder, 'net-0000.params'))
    return {'eager': _rows(eager), 'hybrid': _rows(out), 'grad': _rows(x.grad),
            'imported': _rows(back(x))}
