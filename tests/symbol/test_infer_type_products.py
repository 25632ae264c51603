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
