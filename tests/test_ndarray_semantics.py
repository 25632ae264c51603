"""NDArray memory sharing (views against copies), bool arithmetic and shape edge cases, against
MXNet 1.9.1 where it answers.

Fixtures come from ``tools/gen_ndarray_semantics_fixtures.py`` (run in the MXNet venv); its
tables ``VIEW_KEYS``, ``OP_WRITES`` and ``BOOL_CASES`` are repeated here (the test checks that the
names agree). Where MXNet raises or crashes the tests state minigluon's own rule.
"""
import os

import numpy as np
import pytest

from minigluon import autograd, gluon, nd
from minigluon.base import MXNetError
from minigluon.test_utils import check_gradient

FIX = np.load(os.path.join(os.path.dirname(__file__), 'fixtures', 'ndarray_semantics',
                           'semantics.npz'), allow_pickle=False)

VIEW_KEYS = {
    'int': 1, 'negint': -1, 'slice': slice(1, 3), 'full': slice(None), 'int_int': (1, 2),
    'int_int_int': (1, 2, 1), 'int_slice': (1, slice(1, 3)), 'slice1_slice': (slice(1, 2), slice(1, 3)),
    'ellipsis': Ellipsis, 'ellipsis_int': (1, Ellipsis), 'none': None, 'int_none': (1, None),
    'step2': slice(None, None, 2), 'col_slice': (slice(None), slice(1, 3)),
    'neg_step': slice(None, None, -1), 'int_list': [1, 2], 'last_axis_int': (Ellipsis, 1),
}

OP_WRITES = {
    'reshape_method': lambda x: x.reshape((6, 4)),
    'reshape_method_codes': lambda x: x.reshape((0, -1)),
    'reshape_of_slice': lambda x: x[1:3].reshape((-1,)),
    'reshape_fn': lambda x: nd.reshape(x, shape=(6, 4)),
    'flatten': lambda x: nd.flatten(x),
    'flatten_method': lambda x: x.flatten(),
    'expand_dims': lambda x: nd.expand_dims(x, axis=0),
    'reshape_like': lambda x: nd.reshape_like(x, nd.zeros((24,))),
    'squeeze': lambda x: nd.squeeze(x[:, :, :1]),
    'split0': lambda x: nd.split(x, 2, axis=0)[0],
    'slice_axis_full': lambda x: nd.slice_axis(x, axis=0, begin=0, end=None),
    'slice_full': lambda x: nd.slice(x, begin=(0,), end=(4,)),
    'transpose_identity': lambda x: nd.transpose(x, axes=(0, 1, 2)),
    'swapaxes_same': lambda x: nd.swapaxes(x, 0, 0),
    'flip': lambda x: nd.flip(x, axis=1),
    'broadcast_to_same': lambda x: nd.broadcast_to(x, shape=(4, 3, 2)),
    'dropout_predict': lambda x: nd.Dropout(x, p=0.5),
    'make_loss': lambda x: nd.make_loss(x),
    'identity': lambda x: nd.identity(x),
}

BOOL_CASES = {
    'add_float': lambda b: b + 1.5, 'mul': lambda b: b * 2, 'sub': lambda b: b - 1,
    'rsub': lambda b: 1 - b, 'div': lambda b: b / 2, 'gt': lambda b: b > 0,
    'eq': lambda b: b == 1, 'pow': lambda b: b ** 2, 'mod': lambda b: b % 2,
    'maximum': lambda b: nd.maximum(b, 0),
}


def test_tables_match_the_fixture():
    assert list(FIX['view_names']) == sorted(VIEW_KEYS)
    assert list(FIX['op_names']) == sorted(OP_WRITES)
    assert list(FIX['bool_names']) == sorted(BOOL_CASES)


@pytest.mark.parametrize('name', sorted(VIEW_KEYS))
def test_basic_index_is_a_view_exactly_where_mxnet_makes_one(name):
    # x[1], x[1:3], x[1, 2, 1]... share x's memory (a write goes through); strided or advanced
    # selections are copies
    x = nd.zeros((4, 3, 2))
    y = x[VIEW_KEYS[name]]
    y[:] = 1
    assert y.shape == tuple(FIX['viewshape_' + name])
    np.testing.assert_array_equal(x.asnumpy(), FIX['view_' + name])


@pytest.mark.parametrize('name', sorted(OP_WRITES))
def test_operator_results_are_new_arrays_and_reshape_method_a_view(name):
    x = nd.zeros((4, 3, 2))
    y = OP_WRITES[name](x)
    y[:] = 1                 # broadcast_to's result was read-only before
    np.testing.assert_array_equal(x.asnumpy(), FIX['opwrite_' + name])


def test_hybridized_outputs_do_not_share_the_inputs_memory():
    class Reshape(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.reshape(x, shape=(-1,))

    class Split(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.split(x, 2, axis=0)[0]

    for name, block in [('reshape', Reshape()), ('split', Split())]:
        block.hybridize()
        x = nd.zeros((4, 3, 2))
        y = block(x)
        y[:] = 1
        np.testing.assert_array_equal(x.asnumpy(), FIX['hybrid_' + name])


def test_gradients_through_views():
    # the one-element view x[1, 2, 1] and a slice view differentiate as before
    def fn(x):
        return [x[1, 2, 1] * x[1:3].sum() + (x.reshape((6, 4)) ** 2).sum()]
    check_gradient(fn, [np.random.RandomState(0).uniform(-1, 1, (4, 3, 2))])


def test_view_of_a_recorded_array_refuses_an_in_place_write_while_recording():
    x = nd.ones((4, 3))
    x.attach_grad()
    with autograd.record():
        y = x[1]
        with pytest.raises(MXNetError, match='in the recorded computational graph'):
            y[:] = 0
    assert x.asnumpy().sum() == 12


def test_zero_dim_array_indexed_by_an_empty_tuple_stays_zero_dim():
    z = nd.array([5.0]).reshape(())
    assert z[()].shape == tuple(FIX['zerod_getitem'])
    assert z[()].asscalar() == 5


@pytest.mark.parametrize('name', sorted(BOOL_CASES))
def test_bool_array_with_a_number_computes_in_int64(name):
    got = BOOL_CASES[name](nd.array([1, 0, 1], dtype='bool'))
    want = FIX['bool_' + name]
    assert got.dtype == want.dtype.type
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_two_bool_arrays_compute_in_int64():
    # MXNet 1.9.1 refuses two bool arrays; minigluon counts as with a number (True + True is 2)
    a, b = nd.array([1, 0, 1], dtype='bool'), nd.array([1, 1, 0], dtype='bool')
    for got, want in [(a + b, [2, 1, 1]), (a * b, [1, 0, 0]), (a == b, [1, 0, 0]),
                      (a - b, [0, -1, 1])]:
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got.asnumpy(), want)


def test_arg_reductions_of_a_1d_array_have_shape_1():
    v = nd.array([1, 3, 2])
    for key, got in [('argmax', nd.argmax(v, axis=0)), ('argmin', nd.argmin(v, axis=-1)),
                     ('pick', nd.pick(v, nd.array([1]), axis=0))]:
        assert got.shape == FIX['argred_' + key].shape
        np.testing.assert_array_equal(got.asnumpy(), FIX['argred_' + key])
    # argmax_channel of a 1-d array: MXNet raises; minigluon reduces axis 0, to shape (1,)
    assert nd.argmax_channel(v).shape == (1,)


def test_concat_and_stack_promote_dtypes_as_addition_does():
    # MXNet 1.9.1 refuses mixed dtypes; minigluon uses the rule of a + b (float32 with int32 is
    # float32, where NumPy's concatenate would give float64)
    f, i = nd.array([1, 2]), nd.array([3, 4], dtype='int32')
    assert (f + i).dtype == np.float32
    assert nd.concat(f, i, dim=0).dtype == np.float32
    assert nd.stack(f, i).dtype == np.float32
    np.testing.assert_array_equal(nd.stack(i, f).asnumpy(), [[3, 4], [1, 2]])


@pytest.mark.parametrize('lhs, rhs, kw', [((2, 0), (0, 3), {}), ((0, 2), (0, 3), {'transpose_a': True}),
                                           ((2, 0, 4), (4, 0), {}), ((2, 0), (3, 0), {'transpose_b': True})])
def test_dot_with_an_empty_axis(lhs, rhs, kw):
    # MXNet 1.9.1 cannot even create size-0 arrays; a contraction over nothing is zeros
    a, b = nd.ones(lhs), nd.ones(rhs)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        out = nd.dot(a, b, **kw)
    out.backward()
    x = a.asnumpy().T if kw.get('transpose_a') else a.asnumpy()
    y = b.asnumpy().T if kw.get('transpose_b') else b.asnumpy()
    np.testing.assert_array_equal(out.asnumpy(), np.tensordot(x, y, axes=1))
    assert a.grad.shape == lhs and b.grad.shape == rhs


def test_in_place_arithmetic_that_would_grow_the_array_is_a_clear_error():
    x = nd.ones((3,))
    with pytest.raises(ValueError, match=r'shape \(2, 3\) broadcasts to \(2, 3\), bigger than'):
        x += nd.ones((2, 3))
    with pytest.raises(ValueError, match=r'\(4,\) does not broadcast with the left operand'):
        x *= nd.ones((4,))
    x += nd.ones((1,))
    np.testing.assert_array_equal(x.asnumpy(), [2, 2, 2])


def test_function_input_that_is_not_an_ndarray_is_named():
    class Scale(autograd.Function):
        def forward(self, x, k):
            return x * k

        def backward(self, dy):
            return dy

    x = nd.ones((2,))
    x.attach_grad()
    with autograd.record():
        with pytest.raises(TypeError, match='Scale: input 1 must be an NDArray, got int'):
            Scale()(x, 3)


def test_list_index_of_non_numbers_is_a_clear_type_error():
    x = nd.zeros((3, 2))
    with pytest.raises(TypeError, match='use a tuple for several axes'):
        x[[slice(0, 2), 1]]
    with pytest.raises(TypeError, match="a list in an index must hold numbers"):
        x[['a']] = 1


def test_overlapping_slice_assignment_copies_as_numpy():
    # MXNet 1.9.1 copies element by element, so x[0] spreads over the whole array (all zeros)
    x = nd.arange(5)
    x[1:] = x[:-1]
    np.testing.assert_array_equal(x.asnumpy(), [0, 0, 1, 2, 3])


@pytest.mark.parametrize('use,message', [
    (lambda x: [1, 2] * x, 'unsupported operand of type list'),
    (lambda x: x * 'a', 'unsupported operand of type str'),
    (lambda x: 'ab' * x, 'unsupported operand of type str'),
    (lambda x: [1, 2, 3][x], 'list indices must be integers'),
    (lambda x: range(x), 'cannot be interpreted as an integer')])
def test_an_ndarray_is_no_python_index(use, message):
    """MXNet 1.9.1's NDArray has no ``__index__``, so a list or a string never takes one as a
    repeat count or an index (a TypeError). minigluon had one: ``[1, 2] * nd.array([2.7])`` was
    ``[1, 2, 1, 2]`` and ``x * 'a'`` was ``'aa'``, silently (found by breaker21). ``int(x)``
    still converts a one-element array."""
    x = nd.array([2])
    with pytest.raises(TypeError, match=message):
        use(x)
    assert int(x) == 2 and float(x) == 2.0 and not hasattr(x, '__index__')


def test_a_bool_index_has_numpys_meaning():
    """``x[True]`` adds a leading axis of length 1 and ``x[False]`` one of length 0, as NumPy
    (MXNet 1.9.1 reads ``True`` as the integer 1: ``x[True]`` is ``x[1]``; docs/PORTING.md)."""
    x = nd.array([[1, 2], [3, 4]])
    assert x[True].shape == (1, 2, 2) and (x[True].asnumpy()[0] == x.asnumpy()).all()
    assert x[False].shape == (0, 2, 2)
