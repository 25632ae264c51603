"""Custom operators written against ``mx.operator``, defined once for both frameworks.

``define(mx)`` registers them with the ``mx`` it is given: ``mxnet`` in
``tools/gen_custom_op_fixtures.py`` (MXNet 1.9.1, the oracle) and ``minigluon`` in
``tests/test_custom_op.py``, so that both run the very same Python code.

* ``t_scale_add``: inputs ``data``, ``other``; outputs ``output = data**2 * scale`` and
  ``plus = data + other``; attribute ``scale`` (a string, as MXNet passes it).
* ``t_softmax_ce``: a loss layer (``need_top_grad=False``): inputs ``data`` (N, C) and ``label``
  (N,); output the softmax of ``data``; backward ``softmax - one_hot(label)``, as MXNet's
  classic example.
* ``t_centre``: input ``data`` (N, C); auxiliary state ``running`` (C,); output
  ``data - running``; in training, ``running = 0.9 * running + 0.1 * mean(data, axis=0)`` first.
"""


def define(mx):
    nd = mx.nd

    class ScaleAdd(mx.operator.CustomOp):
        def __init__(self, scale):
            super().__init__()
            self.scale = scale

        def forward(self, is_train, req, in_data, out_data, aux):
            x, y = in_data
            self.assign(out_data[0], req[0], x * x * self.scale)
            self.assign(out_data[1], req[1], x + y)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            x = in_data[0]
            self.assign(in_grad[0], req[0], 2 * self.scale * x * out_grad[0] + out_grad[1])
            self.assign(in_grad[1], req[1], out_grad[1])

    @mx.operator.register('t_scale_add')
    class ScaleAddProp(mx.operator.CustomOpProp):
        def __init__(self, scale='1'):
            super().__init__(need_top_grad=True)
            self.scale = float(scale)

        def list_arguments(self):
            return ['data', 'other']

        def list_outputs(self):
            return ['output', 'plus']

        def infer_shape(self, in_shape):
            return [in_shape[0], in_shape[0]], [in_shape[0], in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return ScaleAdd(self.scale)

    class SoftmaxCE(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            x = in_data[0]
            e = nd.exp(x - nd.max(x, axis=1, keepdims=True))
            self.assign(out_data[0], req[0], e / nd.sum(e, axis=1, keepdims=True))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            prob, label = out_data[0], in_data[1]
            self.assign(in_grad[0], req[0], prob - nd.one_hot(label, prob.shape[1]))

    @mx.operator.register('t_softmax_ce')
    class SoftmaxCEProp(mx.operator.CustomOpProp):
        def __init__(self):
            super().__init__(need_top_grad=False)

        def list_arguments(self):
            return ['data', 'label']

        def infer_shape(self, in_shape):
            return [in_shape[0], [in_shape[0][0]]], [in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return SoftmaxCE()

    class Centre(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            if is_train:
                aux[0][:] = aux[0] * 0.9 + 0.1 * nd.mean(in_data[0], axis=0)
            self.assign(out_data[0], req[0], in_data[0] - aux[0])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0])

    @mx.operator.register('t_centre')
    class CentreProp(mx.operator.CustomOpProp):
        def list_auxiliary_states(self):
            return ['running']

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0]], [[in_shape[0][1]]]

        def create_operator(self, ctx, shapes, dtypes):
            return Centre()


def net_class(mx):
    """A HybridBlock using all three: Dense(4) -> t_centre (running as a parameter) ->
    t_scale_add with itself -> Dense(3) -> t_softmax_ce with the label."""
    class Net(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.hidden = mx.gluon.nn.Dense(4)
                self.out = mx.gluon.nn.Dense(3)
                self.running = self.params.get('running', shape=(4,), init='zeros',
                                               grad_req='null')

        def hybrid_forward(self, F, x, label, running):
            h = F.Custom(self.hidden(x), running, op_type='t_centre', name='centre')
            sq, plus = F.Custom(h, h, op_type='t_scale_add', scale=0.5, name='sqadd')
            return F.Custom(self.out(sq + plus), label, op_type='t_softmax_ce', name='ce')
    return Net
