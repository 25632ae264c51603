"""``fast_bind`` (minigluon/ndarray/dispatch.py) binds the calls ``nd.<op>``'s inline fast path
leaves to ``call_op`` (positional attributes, fewer inputs than declared, variadic operators)
from a cached prototype. It must give exactly what ``bind_call`` gives, or decline (``None``)
so that ``bind_call`` raises its error."""
import numpy as np
import pytest

import minigluon as mx
from minigluon import nd, ops
from minigluon.ndarray.dispatch import _is_nd, fast_bind, prototype
from minigluon.ops.binding import bind_call


def _arrays(n, shape=(2, 3)):
    rng = np.random.RandomState(n)
    return [nd.array(rng.uniform(-1, 1, shape).astype('float32')) for _ in range(n)]


X, Y, Z = _arrays(3)

# calls fast_bind must take: (operator name, positional arguments, keyword arguments)
TAKEN = [
    ('clip', (X, 0, 1), {}),
    ('clip', (X, 0.0), {'a_max': 0.5}),
    ('expand_dims', (X, 0), {}),
    ('transpose', (X, (1, 0)), {}),
    ('SwapAxis', (X, 0, 1), {}),
    ('Reshape', (X,), {'shape': (3, 2), 'reverse': True}),
    ('Reshape', (X, (6,)), {}),
    ('softmax', (X,), {}),
    ('softmax', (X,), {'axis': 0, 'temperature': 2.0}),
    ('log_softmax', (X, 0), {}),                 # (MXNet's log_softmax has no length input)
    ('sum', (X, 1, True), {}),
    ('sum', (X, np.int64(1)), {}),
    ('one_hot', (X, 3), {}),
    ('FullyConnected', (X, nd.ones((4, 3))), {'num_hidden': 4, 'no_bias': True}),
    ('Cast', (X, 'float64'), {}),
    ('concat', (X, Y), {'dim': 1}),
    ('concat', (X, Y, Z), {'dim': 0}),
    ('concat', (X, Y), {'num_args': 2, 'dim': 0}),
    ('stack', (X, Y), {'axis': 2}),
    ('add_n', (X, Y, Z), {}),
    ('CTCLoss', (X.reshape(2, 1, 3), Y[:, :1], None, None), {'blank_label': 'last'}),
    ('CTCLoss', (X.reshape(2, 1, 3), Y[:, :1], None), {}),
    ('FullyConnected', (X, nd.ones((4, 3)), None, 4, True), {}),
    ('softmax', (X, None, 0), {}),
    ('FullyConnected', (X, nd.ones((4, 3)), None), {'num_hidden': 4, 'no_bias': True}),
]

# calls it must decline, leaving bind_call to bind them or to raise its error
DECLINED = [
    ('clip', (), {'data': X, 'a_min': 0, 'a_max': 1}),          # input by keyword
    ('clip', (X, [0], 1), {}),                                   # a list attribute
    ('transpose', (X, 1, 0), {}),                                # too many positional values
    ('FullyConnected', (X, nd.ones((4, 3))), {'num_hidden': 4}),  # bias missing
    ('softmax', (X, Y), {}),                                     # length without use_length
    ('softmax', (X, 0), {}),                                     # a number in the length slot
    ('relu', (X, Y), {}),                                        # surplus array
    ('concat', (X, Y), {'num_args': 3}),                         # num_args against the count
    ('clip', (X, 0, 1), {'out': X}),                             # not an attribute
    ('relu', (X, None), {}),                                     # None beyond the inputs
    ('FullyConnected', (X, None, Y), {'num_hidden': 4}),         # None between arrays
    ('add_n', (X, None), {}),                                    # None among variadic inputs
    ('concat', (X, Y, 0), {}),                                   # variadic: attributes by keyword
    ('CTCLoss', (X.reshape(2, 1, 3), Y[:, :1], None, None), {'use_data_lengths': True}),
]


def _bound(name, args, kwargs, binder):
    cls = ops.OPS[name]
    got = binder(cls, args, dict(kwargs))
    if got is None:
        return None
    op, inputs = got
    return type(op), dict(vars(op)), [id(x) for x in inputs]


@pytest.mark.parametrize('name,args,kwargs', TAKEN)
def test_taken_calls_bind_as_bind_call_does(name, args, kwargs):
    fast = _bound(name, args, kwargs, fast_bind)
    assert fast is not None, 'fast_bind declined %s%r' % (name, args)
    slow = _bound(name, args, kwargs, lambda c, a, k: bind_call(c, a, k, _is_nd))
    assert fast == slow


@pytest.mark.parametrize('name,args,kwargs', DECLINED)
def test_declined_calls(name, args, kwargs):
    assert fast_bind(ops.OPS[name], args, dict(kwargs)) is None


@pytest.mark.parametrize('call,message', [
    (lambda: nd.transpose(X, 1, 0), r'^transpose: too many positional arguments'),
    (lambda: nd.FullyConnected(X, nd.ones((4, 3)), num_hidden=4),
     r"^FullyConnected: input 'bias' is missing"),
    (lambda: nd.softmax(X, Y), r'^softmax: 2 positional inputs given'),
    # (relu(X, Y) writes into Y: out=, as in MXNet 1.9.1)
    (lambda: nd.relu(X, Y, Z), r"^relu: takes 1 input\(s\) \['data'\], got 3"),
    (lambda: nd.concat(X, Y, 0), r'^Concat: positional argument 2 must be an NDArray'),
])
def test_declined_calls_still_raise_bind_call_errors(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_every_operator_with_defaults_binds_alike():
    """For each registered operator whose attributes all have defaults, a call with its declared
    inputs (two for a variadic one) binds the same instance through fast_bind (where it does
    not decline) as through bind_call; with one input fewer, fast_bind declines or agrees too."""
    compared = 0
    for name, cls in sorted(ops.OPS.items()):
        n = 2 if cls.arguments is None else len(cls.arguments)
        for given in {n, max(n - 1, 1)}:
            args = tuple(_arrays(given))
            try:
                slow = _bound(name, args, {}, lambda c, a, k: bind_call(c, a, k, _is_nd))
            except Exception:                     # noqa: BLE001 -- required attributes and the like
                slow = None
            fast = _bound(name, args, {}, fast_bind)
            if fast is not None:
                assert fast == slow, name
                compared += 1
    assert compared > 300


def test_results_follow_changing_attributes():
    """No state carried from one call to the next: the prototypes are per attribute set, and
    each call gets its own instance."""
    x = nd.array([[-2.0, -0.5, 0.5, 2.0]])
    assert x.clip(0, 1).asnumpy().tolist() == [[0.0, 0.0, 0.5, 1.0]]
    assert x.clip(-1, 0).asnumpy().tolist() == [[-1.0, -0.5, 0.0, 0.0]]
    assert x.clip(np.float32(0), 1).asnumpy().tolist() == [[0.0, 0.0, 0.5, 1.0]]
    assert x.expand_dims(0).shape == (1, 1, 4)
    assert x.expand_dims(2).shape == (1, 4, 1)
    a, b = nd.ones((2, 1)), nd.zeros((2, 1))
    assert nd.concat(a, b, dim=1).asnumpy().tolist() == [[1, 0], [1, 0]]
    assert nd.concat(a, b, a, dim=0).shape == (6, 1)
    assert nd.concat(a, b, dim=0).asnumpy().ravel().tolist() == [1, 1, 0, 0]


def test_reshape_method_gives_a_view_through_fast_bind():
    x = nd.arange(6)
    y = x.reshape(2, 3)
    y[:] = 7
    assert x.asnumpy().tolist() == [7] * 6
    z = nd.reshape(x, shape=(3, 2))
    z[:] = 1
    assert x.asnumpy().tolist() == [7] * 6


def test_gradients_through_fast_bound_calls():
    x = nd.array([[-2.0, 0.5], [0.25, 3.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = (x.clip(0, 1) * 3).sum() + nd.concat(x, x, dim=0).sum()
    y.backward()
    # clip passes the gradient inside [0, 1] only; concat sends 1 from each copy
    assert x.grad.asnumpy().tolist() == [[2.0, 5.0], [5.0, 2.0]]


def test_prototype_cache_distinguishes_input_counts():
    cls = ops.OPS['softmax']
    full = prototype(cls, {'use_length': True})
    short = prototype(cls, {}, 1)
    assert full is not None and short is not None
    assert prototype(cls, {}, 2) is None        # without use_length, softmax takes data alone


@pytest.mark.parametrize('space', ['nd', 'sym'])
@pytest.mark.parametrize('name,args,kwargs', [
    ('sum', (1,), {'axis': 0}),
    ('clip', (0,), {'a_min': 1}),
    ('transpose', ((1, 0),), {'axes': (0, 1)}),
])
def test_an_attribute_given_positionally_and_by_keyword_is_refused(space, name, args, kwargs):
    # as MXNet 1.9.1's generated functions (Python's "got multiple values for argument"): the
    # positional values fill the attributes in declaration order from the first, so the 0 of
    # clip(x, 0, a_min=1) is a_min; minigluon gave it to the next free attribute, a_max
    ns, data = (nd, X) if space == 'nd' else (mx.sym, mx.sym.var('x'))
    with pytest.raises(TypeError, match='given twice'):
        getattr(ns, name)(data, *args, **kwargs)


def test_positional_then_keyword_for_a_later_attribute_binds_in_order():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert nd.sum(x, 1, keepdims=True).asnumpy().tolist() == [[3.0], [7.0]]
    assert nd.clip(x, 2, a_max=3).asnumpy().tolist() == [[2.0, 2.0], [3.0, 3.0]]
    assert x.sum(0, True).shape == (1, 2)
