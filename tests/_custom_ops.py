"""Custom operators written against ``mx.operator``, defined once for both frameworks.

``define(mx)`` (and ``define_more(mx)``) registers them with the ``mx`` it is given: ``mxnet`` in
``tools/gen_custom_op_fixtures.py`` (MXNet 1.9.1, the oracle) and ``minigluon`` in
``tests/test_custom_op.py``, so that both run the very same Python code.

* ``t_scale_add``: inputs ``data``, ``other``; outputs ``output = data**2 * scale`` and
  ``plus = data + other``; attribute ``scale`` (a string, as MXNet passes it).
* ``t_softmax_ce``: a loss layer (``need_top_grad=False``): inputs ``data`` (N, C) and ``label``
  (N,); output the softmax of ``data``; backward ``softmax - one_hot(label)``, as MXNet's
  classic example.
* ``t_centre``: input ``data`` (N, C); auxiliary state ``running`` (C,); output
  ``data - running``; in training, ``running = 0.9 * running + 0.1 * mean(data, axis=0)`` first.
* ``t_sum_n``: ``num_inputs`` inputs ``x0 .. x<n-1>`` (the attribute decides
  ``list_arguments``); output their sum; input ``i`` gets ``(i + 1) * out_grad``.
* ``t_flat2``: input ``(N, ...)``; output ``2 * data`` flattened to ``(N, prod(...))``, so that a
  following ``Dense`` learns its ``in_units`` through this operator's ``infer_shape``.
* ``t_cast``: outputs ``out = 3 * data`` in the dtype named by the attribute ``dtype`` and
  ``same = data`` in the input's dtype (``infer_type``); backward
  ``3 * out_grad[0] + out_grad[1]`` in the input's dtype.
* ``t_fail_neg``: ``data + 1``, but ``forward`` raises ``ValueError`` when the input sums to a
  negative number (for the errors: the next call must work).
* ``t_const``: no inputs; output ``(2, 3)`` float32 filled with the attribute ``value``.
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


def define_more(mx):
    """The operators of the second list in the module docstring (``t_sum_n`` onwards)."""
    import numpy as np

    class SumN(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            total = in_data[0]
            for x in in_data[1:]:
                total = total + x
            self.assign(out_data[0], req[0], total)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            for i in range(len(in_grad)):
                self.assign(in_grad[i], req[i], out_grad[0] * (i + 1))

    @mx.operator.register('t_sum_n')
    class SumNProp(mx.operator.CustomOpProp):
        def __init__(self, num_inputs='2'):
            super().__init__(need_top_grad=True)
            self.num_inputs = int(num_inputs)

        def list_arguments(self):
            return ['x%d' % i for i in range(self.num_inputs)]

        def infer_shape(self, in_shape):
            return [in_shape[0]] * self.num_inputs, [in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return SumN()

    class Flat2(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            x = in_data[0]
            self.assign(out_data[0], req[0], (x * 2).reshape((x.shape[0], -1)))

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], (out_grad[0] * 2).reshape(in_data[0].shape))

    @mx.operator.register('t_flat2')
    class Flat2Prop(mx.operator.CustomOpProp):
        def infer_shape(self, in_shape):
            size = 1
            for d in in_shape[0][1:]:
                size *= d
            return [in_shape[0]], [(in_shape[0][0], size)], []

        def create_operator(self, ctx, shapes, dtypes):
            return Flat2()

    class Cast(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], in_data[0].astype(out_data[0].dtype) * 3)
            self.assign(out_data[1], req[1], in_data[0])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            grad = out_grad[0].astype(in_grad[0].dtype) * 3 + out_grad[1]
            self.assign(in_grad[0], req[0], grad)

    @mx.operator.register('t_cast')
    class CastProp(mx.operator.CustomOpProp):
        def __init__(self, dtype='float64'):
            super().__init__()
            self.dtype = np.dtype(dtype).type

        def list_outputs(self):
            return ['out', 'same']

        def infer_type(self, in_type):
            return in_type, [self.dtype, in_type[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            return Cast()

    class FailNeg(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            if float(in_data[0].sum().asscalar()) < 0:
                raise ValueError('t_fail_neg wants a non-negative sum')
            self.assign(out_data[0], req[0], in_data[0] + 1)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            self.assign(in_grad[0], req[0], out_grad[0])

    @mx.operator.register('t_fail_neg')
    class FailNegProp(mx.operator.CustomOpProp):
        def create_operator(self, ctx, shapes, dtypes):
            return FailNeg()

    class Const(mx.operator.CustomOp):
        def __init__(self, value):
            super().__init__()
            self.value = value

        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], mx.nd.ones(out_data[0].shape) * self.value)

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            pass

    @mx.operator.register('t_const')
    class ConstProp(mx.operator.CustomOpProp):
        def __init__(self, value='1'):
            super().__init__()
            self.value = float(value)

        def list_arguments(self):
            return []

        def infer_shape(self, in_shape):
            return [], [[2, 3]], []

        def infer_type(self, in_type):
            return [], [np.float32], []

        def create_operator(self, ctx, shapes, dtypes):
            return Const(self.value)


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


def flat_dense_class(mx):
    """``t_flat2`` then ``Dense(3)`` without ``in_units``: the Dense's weight shape is only known
    through the custom operator's ``infer_shape``."""
    class FlatDense(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense = mx.gluon.nn.Dense(3)

        def hybrid_forward(self, F, x):
            return self.dense(F.Custom(x, op_type='t_flat2', name='flat'))
    return FlatDense


def dense_fail_class(mx):
    """``Dense(3, in_units=3)`` then ``t_fail_neg``."""
    class DenseFail(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense = mx.gluon.nn.Dense(3, in_units=3)

        def hybrid_forward(self, F, x):
            return F.Custom(self.dense(x), op_type='t_fail_neg', name='fail')
    return DenseFail


def loss_net_class(mx):
    """``Dense(3, in_units=4)`` then the loss layer ``t_softmax_ce`` (``need_top_grad=False``)."""
    class LossNet(mx.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense = mx.gluon.nn.Dense(3, in_units=4)

        def hybrid_forward(self, F, x, label):
            return F.Custom(self.dense(x), label, op_type='t_softmax_ce', name='ce')
    return LossNet


def foreach_class(mx):
    """``contrib.foreach`` over the rows of ``x``: state ``s`` (zeros at first), each step
    ``s = t_sum_n(row, s)`` (row + 2 * s in the gradient), output every ``s``."""
    class Foreach(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            def body(row, states):
                total = F.Custom(row, states[0], op_type='t_sum_n', num_inputs=2)
                return total, [total]
            outs, _ = F.contrib.foreach(body, x, [F.zeros_like(F.sum(x, axis=0))])
            return outs
    return Foreach


def while_class(mx):
    """``contrib.while_loop`` three times (of at most four) on ``v = sum(x, axis=0)``: each step
    ``a, b = t_scale_add(v, v, scale=0.5)``, output ``a``, ``v = a + b``; the first three
    outputs (MXNet leaves the fourth unset)."""
    class While(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            def cond(i, v):
                return i < 3

            def func(i, v):
                a, b = F.Custom(v, v, op_type='t_scale_add', scale=0.5)
                return a, [i + 1, a + b]
            outs, _ = F.contrib.while_loop(cond, func, [F.zeros((1,)), F.sum(x, axis=0)],
                                           max_iterations=4)
            return F.slice_axis(outs, axis=0, begin=0, end=3)
    return While


def cond_class(mx):
    """``contrib.cond(sum(x) > 1, t_flat2(x), t_flat2(3 * x))``."""
    class Cond(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.contrib.cond(F.sum(x) > 1, lambda: F.Custom(x, op_type='t_flat2'),
                                  lambda: F.Custom(x * 3, op_type='t_flat2'))
    return Cond
