"""Mixed-dtype matrix products and convolutions: ``infer_type`` reports the dtype the forward
computes in (NumPy's ``result_type`` of the data and weight, and of FullyConnected's bias), as
docs/PORTING.md says of operations on arrays of two dtypes (MXNet 1.9.1 refuses them)."""
import numpy as np
import pytest

import minigluon as mx

CASES = {
    'dot': (lambda a, b: mx.sym.dot(a, b), (2, 3), (3, 4)),
    'batch_dot': (lambda a, b: mx.sym.batch_dot(a, b), (1, 2, 3), (1, 3, 4)),
    'FullyConnected': (lambda a, b: mx.sym.FullyConnected(a, b, num_hidden=4, no_bias=True),
                       (2, 3), (4, 3)),
    'Convolution': (lambda a, b: mx.sym.Convolution(a, b, kernel=(1, 1), num_filter=2,
                                                    no_bias=True), (1, 3, 4, 4), (2, 3, 1, 1)),
    'Deconvolution': (lambda a, b: mx.sym.Deconvolution(a, b, kernel=(1, 1), num_filter=2,
                                                        no_bias=True), (1, 3, 4, 4), (3, 2, 1, 1)),
}


@pytest.mark.parametrize('name', sorted(CASES))
@pytest.mark.parametrize('dtypes', [('float32', 'float64'), ('float64', 'float32'),
                                    ('int32', 'float32'), ('float16', 'float16')])
def test_infer_type_is_the_dtype_the_forward_computes_in(name, dtypes):
    build, sa, sb = CASES[name]
    a, b = mx.sym.var('a'), mx.sym.var('b')
    out = build(a, b)
    _, (inferred,), _ = out.infer_type(a=dtypes[0], b=dtypes[1])
    got = out.eval(a=mx.nd.ones(sa, dtype=dtypes[0]), b=mx.nd.ones(sb, dtype=dtypes[1]))[0]
    assert np.dtype(inferred) == np.dtype(got.dtype), (inferred, got.dtype)


def test_fully_connected_bias_dtype_counts():
    x, w, b = mx.sym.var('x'), mx.sym.var('w'), mx.sym.var('b')
    out = mx.sym.FullyConnected(x, w, b, num_hidden=2)
    _, (inferred,), _ = out.infer_type(x='float32', w='float32', b='float64')
    got = out.eval(x=mx.nd.ones((1, 3)), w=mx.nd.ones((2, 3)), b=mx.nd.ones((2,), dtype='float64'))[0]
    assert np.dtype(inferred) == np.dtype(got.dtype) == np.float64


def test_a_hybridized_block_with_a_float64_weight_gives_float64():
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.cast('float64')
    x = mx.nd.ones((1, 3))                      # float32 data into a float64 layer
    eager = net(x)
    net.hybridize()
    hybrid = net(x)
    assert eager.dtype == hybrid.dtype == np.float64
    np.testing.assert_allclose(hybrid.asnumpy(), eager.asnumpy())


def _rand(shape, dtype):
    return mx.nd.array(np.random.RandomState(0).uniform(0.5, 1.0, size=shape), dtype=dtype)


def _tri(shape, dtype):        # a well-conditioned triangular A for trsm
    return mx.nd.array(np.eye(shape[-1]) * 2 + np.tril(np.full(shape, 0.1)), dtype=dtype)


# reviewer20b: every other operator whose forward mixes its inputs' dtypes (found by comparing
# infer_type with the eager output over tests/ops/op_cases.py with one input in another dtype);
# each entry: build, input makers, dtypes tried
MORE = {
    'where_int_condition': (lambda a, b, c: mx.sym.where(a, b, c),
                            [lambda shape, d: mx.nd.array([1, 0], dtype='int64'), _rand, _rand],
                            [(None, 'float32', 'float32'), (None, 'float64', 'float32'),
                             (None, 'float16', 'float16')], (2,)),
    'where_float_condition': (lambda a, b, c: mx.sym.where(a, b, c), [_rand, _rand, _rand],
                              [('float64', 'float32', 'float32'), ('float32', 'float32', 'float64')],
                              (2,)),
    'concat': (lambda a, b: mx.sym.concat(a, b, dim=1), [_rand, _rand],
               [('float32', 'float64'), ('float16', 'float32'), ('int32', 'float32')], (2, 3)),
    'stack': (lambda a, b: mx.sym.stack(a, b, axis=1), [_rand, _rand],
              [('float32', 'float64'), ('float16', 'float32'), ('int32', 'float32')], (2, 3)),
    '_rnn_param_concat': (lambda a, b: mx.sym._internal._rnn_param_concat(a, b, dim=0, num_args=2),
                          [_rand, _rand], [('float32', 'float64'), ('int32', 'float32')], (4,)),
    'linalg_trmm': (lambda a, b: mx.sym.linalg.trmm(a, b), [_tri, _rand],
                    [('float64', 'float32'), ('float32', 'float64')], (3, 3)),
    'linalg_trsm': (lambda a, b: mx.sym.linalg.trsm(a, b), [_tri, _rand],
                    [('float64', 'float32'), ('float32', 'float64')], (3, 3)),
}


@pytest.mark.parametrize('name', sorted(MORE))
def test_infer_type_of_other_mixing_operators_is_the_eager_dtype(name):
    build, makers, dtype_sets, shape = MORE[name]
    names = ['a', 'b', 'c'][:len(makers)]
    out = build(*[mx.sym.var(n) for n in names])
    for dtypes in dtype_sets:
        arrays = [m(shape, d) for m, d in zip(makers, dtypes)]
        _, (inferred,), _ = out.infer_type(**{n: a.dtype for n, a in zip(names, arrays)})
        got = out.eval(**dict(zip(names, arrays)))[0]
        assert np.dtype(inferred) == np.dtype(got.dtype), (dtypes, inferred, got.dtype)


@pytest.mark.parametrize('name,shapes', [
    ('_contrib_interleaved_matmul_selfatt_valatt', [(3, 2, 3 * 2 * 4), (2 * 2, 3, 3)]),
    ('_contrib_interleaved_matmul_encdec_qk', [(3, 2, 2 * 4), (5, 2, 2 * 2 * 4)]),
    ('_contrib_interleaved_matmul_encdec_valatt', [(5, 2, 2 * 2 * 4), (2 * 2, 3, 5)]),
])
@pytest.mark.parametrize('dtypes', [('float32', 'float64'), ('float16', 'float32')])
def test_infer_type_of_interleaved_attention_products(name, shapes, dtypes):
    a, b = mx.sym.var('a'), mx.sym.var('b')
    out = getattr(mx.sym, name)(a, b, heads=2)
    _, (inferred,), _ = out.infer_type(a=dtypes[0], b=dtypes[1])
    got = out.eval(a=_rand(shapes[0], dtypes[0]), b=_rand(shapes[1], dtypes[1]))[0]
    assert np.dtype(inferred) == np.dtype(got.dtype) == np.result_type(*dtypes)


def test_where_condition_keeps_its_dtype_in_infer_type():
    """An int64 condition over float32 data: the output is float32 (infer_type said int64) and
    an unknown y takes x's dtype, not the condition's."""
    c, x, y = mx.sym.var('c'), mx.sym.var('x'), mx.sym.var('y')
    arg_types, (out_type,), _ = mx.sym.where(c, x, y).infer_type(c='int64', x='float32')
    assert [np.dtype(t) for t in arg_types] == [np.int64, np.float32, np.float32]
    assert np.dtype(out_type) == np.float32


def test_a_hybridized_where_feeds_float32_to_the_next_layer():
    class Net(mx.gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            self.dense = mx.gluon.nn.Dense(2, in_units=2)

        def hybrid_forward(self, F, c, x):
            return self.dense(F.where(c, x, x * 2))

    net = Net()
    net.initialize()
    c, x = mx.nd.array([[1, 0], [0, 1]], dtype='int64'), mx.nd.ones((2, 2))
    eager = net(c, x)
    net.hybridize()
    hybrid = net(c, x)
    assert eager.dtype == hybrid.dtype == np.float32
    np.testing.assert_allclose(hybrid.asnumpy(), eager.asnumpy())
    sym_out = net(mx.sym.var('c'), mx.sym.var('x'))
    _, (out_type,), _ = sym_out.infer_type(c='int64', x='float32')
    assert np.dtype(out_type) == np.float32


@pytest.mark.parametrize('given', [dict(x='float32', b='float64'), dict(x='float32', w='float64'),
                                   dict(x='float16', b='float32')])
def test_fully_connected_with_an_input_dtype_unknown(given):
    """The unknown input takes the first known dtype (MXNet's rule); the output is the dtype the
    forward computes in with the completed inputs (it was the data's: float32 over a float64
    bias, and the graph sweep kept it)."""
    x, w, b = mx.sym.var('x'), mx.sym.var('w'), mx.sym.var('b')
    out = mx.sym.FullyConnected(x, w, b, num_hidden=2)
    arg_types, (inferred,), _ = out.infer_type(**given)
    shapes = {'x': (1, 3), 'w': (2, 3), 'b': (2,)}
    got = out.eval(**{n: _rand(shapes[n], t) for n, t in zip(out.list_arguments(), arg_types)})[0]
    assert np.dtype(inferred) == np.dtype(got.dtype) == np.result_type(*arg_types)
    _, (after_relu,), _ = mx.sym.relu(out).infer_type(**given)
    assert np.dtype(after_relu) == np.dtype(got.dtype)


@pytest.mark.parametrize('name', ['sample_uniform', 'sample_normal', 'sample_gamma'])
@pytest.mark.parametrize('dtypes,attrs', [(('float64', 'float64'), {}),
                                          (('float32', 'float32'), {'dtype': 'float64'}),
                                          (('float64', 'float64'), {'dtype': 'float16'})])
def test_array_parameter_samplers_infer_their_dtype_attribute(name, dtypes, attrs):
    """The output has ``dtype`` (float32 by default) whatever the parameters' dtype, as the
    forward draws it: infer_type gave sample_uniform/sample_normal the parameters' (reviewer20b)."""
    a, b = mx.sym.var('a'), mx.sym.var('b')
    out = getattr(mx.sym, name)(a, b, shape=2, **attrs)
    _, (inferred,), _ = out.infer_type(a=dtypes[0], b=dtypes[1])
    got = out.eval(a=_rand((3,), dtypes[0]) * 0 + 0.5, b=_rand((3,), dtypes[1]) + 1)[0]
    assert np.dtype(inferred) == np.dtype(got.dtype) == np.dtype(attrs.get('dtype', 'float32'))


def test_embedding_output_takes_a_given_weights_dtype():
    """MXNet 1.9.1: ``Embedding(dtype='float64')`` with a float32 weight infers float32 (the
    weight's), as its forward returns; with the weight unknown, the ``dtype`` attribute."""
    d, w = mx.sym.var('d'), mx.sym.var('w')
    out = mx.sym.Embedding(d, w, input_dim=3, output_dim=2, dtype='float64')
    args, (inferred,), _ = out.infer_type(d='float32', w='float32')
    got = out.eval(d=mx.nd.array([0, 1]), w=mx.nd.ones((3, 2)))[0]
    assert np.dtype(inferred) == np.dtype(got.dtype) == np.float32
    args, (inferred,), _ = out.infer_type(d='float32')
    assert [np.dtype(t) for t in args] == [np.float32, np.float64] and np.dtype(inferred) == np.float64
