"""Op hook call sequences of a few hybridized blocks, written once for both frameworks: ``run(mx)``
with ``mx`` minigluon (tests/block/test_op_hook.py) or MXNet 1.9.1 (tools/gen_op_hook_fixtures.py
records it to tests/fixtures/op_hook/mxnet.json). Each sequence lists ``[name, operator]`` per
call, names and operators as str."""


def _many_ops(mx):
    nd, gluon = mx.nd, mx.gluon

    class Net(gluon.HybridBlock):
        """Unary maths, scalar and binary arithmetic, reductions, layers that register input
        and output names and operators that register neither, a split whose second part
        nobody reads, and an Embedding of zeros."""

        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.fc = gluon.nn.Dense(4, in_units=4)
                self.conv = gluon.nn.Conv2D(2, 1, in_channels=1)
                self.bn = gluon.nn.BatchNorm(in_channels=2)
                self.ln = gluon.nn.LayerNorm(in_channels=4)
                self.emb = gluon.nn.Embedding(5, 4)

        def hybrid_forward(self, F, x, y):
            a = F.sqrt(F.exp(F.tanh(F.sigmoid(F.relu(x)))))
            a = (2 * ((a + x) * y - 1)) / 3
            a = F.broadcast_add(a, F.sum(x, axis=0, keepdims=True))
            a = F.broadcast_add(F.mean(a, axis=1, keepdims=True), a)
            a = F.where(F.clip(a, -1, 1) > 0, a, x)
            a = F.LeakyReLU(F.Activation(self.fc(a), act_type='relu'), slope=0.1)
            a = F.Dropout(F.log_softmax(F.softmax(a)), p=0.0)
            a = F.reshape(F.dot(self.ln(a), y, transpose_b=True), (1, 1, 2, 2))
            a = F.Pooling(self.bn(self.conv(a)), kernel=(2, 2), pool_type='max')
            a = F.transpose(F.Flatten(a))
            a = F.concat(a, a, dim=0)
            b = F.split(a, num_outputs=2, axis=0)[0]
            e = F.expand_dims(self.emb(F.zeros((2,))), 0)
            return F.broadcast_mul(b, F.sum(F.batch_dot(e, e, transpose_b=True)))

    return Net(prefix='n_'), [nd.ones((2, 4)), nd.ones((2, 4))]


def _split_outputs(mx):
    gluon = mx.gluon

    class Parts(gluon.HybridBlock):
        """Both parts of one split are graph outputs, one part of another is read, one not."""

        def hybrid_forward(self, F, x):
            p = F.split(x, num_outputs=2, axis=1)
            q = F.split(x, num_outputs=3, axis=0)
            return p[0], p[1], F.negative(q[2])

    return Parts(prefix='p_'), [mx.nd.ones((3, 4))]


def _hook_calls(mx, make, monitor_all, **hybridize):
    net, args = make(mx)
    net.initialize()
    net.hybridize(**hybridize)
    calls = []

    def hook(name, op, arr):
        calls.append([name.decode() if isinstance(name, bytes) else name,
                      op.decode() if isinstance(op, bytes) else op])
    net.register_op_hook(hook, monitor_all=monitor_all)
    net(*args)
    return calls


def run(mx):
    return {
        'many_ops': _hook_calls(mx, _many_ops, False),
        'many_ops_all': _hook_calls(mx, _many_ops, True),
        'split_outputs': _hook_calls(mx, _split_outputs, False),
        'split_outputs_all': _hook_calls(mx, _split_outputs, True),
        'split_outputs_static': _hook_calls(mx, _split_outputs, False, static_alloc=True),
    }
