"""Hostile inputs to operators: wrong shapes, wrong types, empty arrays, NaN. Errors are ValueError
or TypeError whose message names the operator (and, for shape problems, the inputs); NumPy's own
messages are re-worded by ``ndarray.invoke`` so that no error leaves the operator anonymous."""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.executor import CachedOp

A, B = (2, 3), (4, 5)

SHAPE_ERRORS = [   # (operator name expected in the message, call)
    ('elemwise_add', lambda: nd.elemwise_add(nd.ones(A), nd.ones(B))),
    ('add', lambda: nd.ones(A) + nd.ones(B)),
    ('dot', lambda: nd.dot(nd.ones(A), nd.ones(B))),
    ('batch_dot', lambda: nd.batch_dot(nd.ones((2, 3, 4)), nd.ones((3, 4, 5)))),
    ('FullyConnected', lambda: nd.FullyConnected(nd.ones(A), nd.ones((4, 7)), nd.ones((4,)), num_hidden=4)),
    ('Convolution', lambda: nd.Convolution(nd.ones((3, 5)), nd.ones((4, 3, 3, 3)), nd.ones((4,)),
                                           kernel=(3, 3), num_filter=4)),
    ('Reshape', lambda: nd.reshape(nd.ones(A), shape=(7,))),
    ('transpose', lambda: nd.transpose(nd.ones(A), axes=(0, 0))),
    ('sum', lambda: nd.sum(nd.ones(A), axis=5)),
    ('softmax', lambda: nd.softmax(nd.ones(A), axis=5)),
    ('Concat', lambda: nd.concat(nd.ones(A), nd.ones(B), dim=0)),
    ('max', lambda: nd.max(nd.zeros((0, 3)))),
    ('argmax', lambda: nd.argmax(nd.zeros((0, 3)), axis=0)),
    ('where', lambda: nd.where(nd.ones(A), nd.ones(B), nd.ones(A))),
    ('pick', lambda: nd.pick(nd.ones(A), nd.array([0, 1, 2]))),
    ('Pooling', lambda: nd.Pooling(nd.ones((1, 1, 2, 2)), kernel=(5, 5), pool_type='max')),
    ('BatchNorm', lambda: nd.BatchNorm(nd.ones((2, 3, 4)), *[nd.ones((5,))] * 4)),
    ('CTCLoss', lambda: nd.CTCLoss(nd.ones((3, 2, 4)), nd.ones((3, 2)))),
]


@pytest.mark.parametrize('name, call', SHAPE_ERRORS, ids=[n for n, _ in SHAPE_ERRORS])
def test_shape_errors_name_the_operator(name, call):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(name) or name + ':' in message or name + ' ' in message, message


def test_numpy_errors_are_reworded_with_inputs():
    with pytest.raises(ValueError, match=r'^elemwise_add: operands could not be broadcast.*'
                                         r'inputs: lhs\(2, 3\) float32, rhs\(4, 5\) float32'):
        nd.elemwise_add(nd.ones(A), nd.ones(B))


def test_errors_inside_a_hybridized_graph_name_the_operator():
    x, y = sym.var('x'), sym.var('y')
    graph = sym.elemwise_add(x, y, name='plus')
    with pytest.raises(ValueError, match='elemwise_add'):
        CachedOp(graph)(nd.ones(A), nd.ones(B))


TYPE_ERRORS = [
    ('relu', lambda: nd.relu([1, 2])),
    ('softmax', lambda: nd.softmax(nd.ones(A), axs=1)),
    ('softmax', lambda: nd.softmax(nd.ones(A), axis='x')),
    ('LeakyReLU', lambda: nd.LeakyReLU(nd.ones(A), act_type='prelu')),
    ('Cast', lambda: nd.Cast(nd.ones(A), dtype='complex128')),
    ('Reshape', lambda: nd.reshape(nd.ones(A), shape='abc')),
]


@pytest.mark.parametrize('name, call', TYPE_ERRORS, ids=['%s-%d' % (n, i) for i, (n, _) in enumerate(TYPE_ERRORS)])
def test_bad_arguments_name_the_operator(name, call):
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    assert name in str(info.value)


@pytest.mark.parametrize('value', [[1.0, 2.0], np.ones(3)], ids=['list', 'numpy'])
def test_non_ndarray_input_is_named(value):
    with pytest.raises(TypeError, match="relu: input 'data' must be an array"):
        nd.relu(value)


def test_an_error_does_not_poison_the_tape():
    x = nd.ones(A)
    x.attach_grad()
    with autograd.record():
        with pytest.raises(ValueError, match='could not be broadcast'):
            x + nd.ones(B)
        y = (x * 2).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full(A, 2.0))


@pytest.mark.filterwarnings('ignore:invalid value encountered:RuntimeWarning')   # NaN in on purpose
@pytest.mark.parametrize('op', ['relu', 'sigmoid', 'softmax', 'log_softmax', 'exp', 'sum', 'mean'])
def test_nan_propagates_without_exceptions(op):
    x = nd.array([[np.nan, 1.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        y = getattr(nd, op)(x)
    y.backward()
    assert np.isnan(y.asnumpy()).any()


@pytest.mark.parametrize('op', ['relu', 'sigmoid', 'softmax', 'log_softmax', 'exp', 'sum', 'transpose'])
def test_empty_arrays_flow_through(op):
    x = nd.zeros((0, 3))
    x.attach_grad()
    with autograd.record():
        y = getattr(nd, op)(x)
    y.backward()
    assert x.grad.shape == (0, 3)


def test_eager_layer_errors_name_the_layer_and_the_feature_count():
    from minigluon.gluon import nn
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Dense(3, in_units=4), nn.Dense(2))
    net.initialize()
    with pytest.raises(ValueError, match=r'^net_dense0 \(Dense\): FullyConnected: data has 5 features '
                                         r'per sample \(flattened\), but the weight \(3, 4\) expects '
                                         r'in_units=4'):
        net(nd.ones((2, 5)))


def test_out_of_scope_modules_say_so():
    import minigluon as mx
    assert not hasattr(mx, 'mod')
    with pytest.raises(AttributeError, match=r'the Module API \(mx.mod\) is out of scope'):
        mx.mod.Module
    with pytest.raises(AttributeError, match=r"^module 'minigluon' has no attribute 'nonesuch'$"):
        mx.nonesuch
