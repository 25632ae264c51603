"""Bad input found by ``tools/sweep_bad_input.py`` (a sweep of every operator with one-thing
changes of a valid call): each call here gave a silent result, a NumPy/Python error from deep
inside (``StopIteration``, ``ZeroDivisionError``, ``AxisError``, ``AttributeError``...) or an error
naming neither the operator nor the argument. MXNet 1.9.1 refuses each of the refused calls
(checked under the oracle; ``GroupNorm(num_groups=0)`` kills its process with SIGFPE); now each is
an ``MXNetError`` naming the operator and the argument.
"""
import numpy as np
import pytest

from minigluon import autograd, nd
from minigluon.base import MXNetError
from minigluon.context import Context, current_context
from minigluon.ops.attr import Attr


def _refused(call, kind, match):
    with pytest.raises(kind, match=match) as info:
        call()
    assert isinstance(info.value, MXNetError)


# -- a None among the inputs of a variadic operator was dropped: concat(None, x) gave x ----------

@pytest.mark.parametrize('call', [
    lambda x: nd.concat(None, x, dim=1), lambda x: nd.Concat(x, None),
    lambda x: nd.add_n(x, None), lambda x: nd.stack(None, x),
    lambda x: nd.khatri_rao(x, None),
    lambda x: nd.UpSampling(None, x, scale=2, sample_type='nearest'),
])
def test_a_none_input_of_a_variadic_operator_is_refused(call):
    _refused(lambda: call(nd.ones((2, 3, 4, 5))), TypeError, r'input \d is None')


def test_variadic_operators_still_take_their_arrays():
    x = nd.ones((2, 3))
    assert nd.concat(x, x, dim=1).shape == (2, 6)
    assert nd.add_n(x, x, x).asnumpy().tolist() == [[3.0] * 3] * 2


# -- window attributes: one declared minimum (Attr(minimum=...)) for every operator --------------

def CONV():
    """Convolution's data, weight and bias, made at call time on the current context (the
    CuPy stand-in's run makes gpu(0) the default)."""
    return nd.ones((2, 3, 4, 5)), nd.ones((2, 3, 2, 2)), nd.ones(2)


def DECONV():
    """Deconvolution's data and weight, made at call time on the current context."""
    return nd.ones((2, 3, 4, 5)), nd.ones((3, 2, 2, 2))


@pytest.mark.parametrize('call,attr,minimum', [
    # Deconvolution with a negative pad computed a (2, 2, 1, 1) result
    (lambda: nd.Deconvolution(*DECONV(), kernel=(2, 2), num_filter=2, no_bias=True, pad=(-2, -2)), 'pad', 0),
    (lambda: nd.Deconvolution(*DECONV(), kernel=(2, 2), num_filter=2, no_bias=True, stride=(2, 2),
                              adj=(-1, 0)), 'adj', 0),
    # NumPy's "index can't contain negative values"
    (lambda: nd.Convolution(*CONV(), kernel=(2, 2), num_filter=2, pad=(-1, -1)), 'pad', 0),
    (lambda: nd.Convolution(*CONV(), kernel=(2, 2), num_filter=2, stride=(0, 1)), 'stride', 1),
    (lambda: nd.Convolution(*CONV(), kernel=(0, 2), num_filter=2), 'kernel', 1),
    # a bare StopIteration, a ZeroDivisionError and NumPy's message
    (lambda: nd.Pooling(CONV()[0], kernel=(-2, -2)), 'kernel', 1),
    (lambda: nd.Pooling(CONV()[0], kernel=(2, 2), stride=(0, 1)), 'stride', 1),
    (lambda: nd.Pooling(CONV()[0], kernel=(2, 2), pad=(-1, 0)), 'pad', 0),
    (lambda: nd.im2col(CONV()[0], kernel=(2, 2), dilate=(1, 0)), 'dilate', 1),
    (lambda: nd.col2im(nd.ones((2, 12, 1)), output_size=(2, 2), kernel=(2, 2), pad=(-1, 0)), 'pad', 0),
    # NumPy's "index can't contain negative values" (MXNet 1.9.1 crops with a negative width)
    (lambda: nd.Pad(CONV()[0], mode='constant', pad_width=(0, 0, 0, 0, -1, 1, 1, 1)), 'pad_width', 0),
])
def test_window_attributes_below_their_minimum(call, attr, minimum):
    _refused(call, ValueError, r"attribute '%s' must be >= %d in each entry" % (attr, minimum))


def test_window_attributes_at_their_minimum_still_work():
    x = CONV()[0]
    assert nd.Convolution(*CONV(), kernel=(2, 2), num_filter=2, stride=(1, 1), pad=(0, 0)).shape == (2, 2, 3, 4)
    assert nd.Pooling(x, kernel=(1, 1), stride=(1, 1), pad=(0, 0)).shape == (2, 3, 4, 5)
    assert nd.Pooling(x, global_pool=True, pool_type='avg').shape == (2, 3, 1, 1)
    assert nd.Pad(x, mode='constant', pad_width=(0,) * 8).shape == (2, 3, 4, 5)


def test_group_norm_needs_a_group():
    # a ZeroDivisionError from the forward; MXNet 1.9.1 dies of SIGFPE
    _refused(lambda: nd.GroupNorm(nd.ones((2, 3, 4)), nd.ones(1), nd.ones(1), num_groups=0),
             ValueError, "attribute 'num_groups' must be >= 1, got 0")


@pytest.mark.parametrize('call', [
    lambda: nd.random.uniform(shape=(-2, 2)), lambda: nd.random_normal(shape=(2, -1)),
    lambda: nd.sample_poisson(nd.ones(2), shape=(-2,)), lambda: nd.random_negative_binomial(shape=-3),
    lambda: nd._zeros(shape=(-2,)), lambda: nd._full(shape=(2, -2), value=1),
])
def test_a_negative_sampler_or_fill_shape(call):
    # was NumPy's "negative dimensions are not allowed", naming no argument
    _refused(call, ValueError, "attribute 'shape' must be >= 0 in each entry")


def test_attr_minimum_parses_and_prints_as_before():
    spec = Attr('shape', (), minimum=1)
    spec.name = 'stride'
    assert spec.parse('(1, 2)', 'Op') == (1, 2)
    assert spec.to_str(spec.parse(3, 'Op')) == '3'
    assert spec.parse((), 'Op') == ()            # empty: the operator's own default applies
    with pytest.raises(ValueError, match="Op: attribute 'stride' must be >= 1 in each entry, got"):
        spec.parse('(1, 0)', 'Op')
    count = Attr('int', 1, minimum=1)
    count.name = 'num_groups'
    with pytest.raises(ValueError, match="attribute 'num_groups' must be >= 1, got -1"):
        count.parse(-1, 'Op')


# -- one operator each ------------------------------------------------------------------------------

def test_dropout_checks_its_axes_when_predicting_too():
    # out-of-range axes passed unnoticed outside training (MXNet's shape rule refuses them)
    x = nd.ones((2, 3))
    for axes in [(10,), (-10,)]:
        _refused(lambda: nd.Dropout(x, axes=axes), ValueError, 'Dropout: axes=-?10 is out of range')
    assert nd.Dropout(x, axes=(1,)).shape == (2, 3)


def test_swapaxes_of_a_0d_array():
    # NumPy's AxisError ("axis1: axis 0 is out of bounds"), not an MXNetError
    _refused(lambda: nd.SwapAxis(nd.ones(())), ValueError, 'SwapAxis: a 0-d array has no axes')
    assert nd.swapaxes(nd.ones((2, 3)), 0, 1).shape == (3, 2)


@pytest.mark.parametrize('dtype', ['int32', 'bool'])
def test_rnn_needs_floating_data(dtype):
    # int32 computed (MXNet: "only support floating point types"); bool failed in a NumPy ufunc
    _refused(lambda: nd.RNN(nd.ones((2, 3, 4), dtype=dtype), nd.ones((16,), dtype=dtype),
                            nd.ones((1, 3, 2), dtype=dtype), state_size=2, num_layers=1,
                            mode='rnn_relu'), TypeError, 'RNN: data must be a floating-point array')


@pytest.mark.parametrize('name', ['random_negative_binomial_like',
                                  'random_generalized_negative_binomial_like'])
def test_negative_binomial_like_of_a_0d_array(name):
    # AttributeError: 'int' object has no attribute 'astype'
    out = getattr(nd, name)(nd.ones(()))
    assert out.shape == () and out.dtype == np.float32


def test_a_number_as_the_data_of_slice_names_the_input():
    # the number was taken for the attribute 'step': "'float' object is not iterable"
    _refused(lambda: nd.slice(1.5, begin=(0,), end=(1,)), TypeError,
             "slice: input 'data' must be an array")


@pytest.mark.parametrize('fn', [nd.zeros_like, nd.ones_like])
def test_zeros_like_without_data(fn):
    # Python's "missing 1 required positional argument", not an MXNetError
    _refused(fn, TypeError, "input 'data' is missing")


def test_slice_axis_requires_end():
    # it sliced to the end; MXNet: "Required parameter end of int or None is not presented"
    _refused(lambda: nd.slice_axis(nd.ones((2, 3)), axis=1, begin=1), TypeError,
             "slice_axis: required attribute 'end' is missing")
    assert nd.slice_axis(nd.ones((2, 3)), axis=1, begin=1, end=None).shape == (2, 2)


@pytest.mark.parametrize('call', [
    lambda x: nd.max(x), lambda x: nd.min(x, axis=0), lambda x: nd.argmax(x, axis=0),
    lambda x: nd.argmin(x), lambda x: nd.argmax_channel(nd.zeros((3, 0))),
])
def test_extremes_over_an_empty_axis(call):
    # NumPy's "zero-size array to reduction operation maximum which has no identity"
    _refused(lambda: call(nd.zeros((0, 3))), ValueError, 'over an empty axis')


def test_extremes_over_non_empty_axes_of_a_size_0_array():
    x = nd.zeros((0, 3))
    assert nd.max(x, axis=1).shape == (0,)
    assert nd.argmin(x, axis=1).shape == (0,)


# -- integer data where the result is fractional: it was truncated without a word ------------------

def _INT():
    """An int32 (2, 3) array, made at call time on the current context."""
    return nd.array(np.arange(6).reshape(2, 3), dtype='int32')


@pytest.mark.parametrize('name,call', [
    ('SoftmaxActivation', lambda x: nd.SoftmaxActivation(x)),             # all zeros
    ('LogisticRegressionOutput', lambda x: nd.LogisticRegressionOutput(x, x)),   # all zeros
    ('LinearRegressionOutput', lambda x: nd.LinearRegressionOutput(x, x)),
    ('MAERegressionOutput', lambda x: nd.MAERegressionOutput(x, x)),
    ('hard_sigmoid', lambda x: nd.hard_sigmoid(x)),                       # 0.2 * x + 0.5 truncated
    ('_linalg_gemm2', lambda x: nd.linalg.gemm2(x, x, transpose_b=True, alpha=0.5)),
    ('_linalg_gemm', lambda x: nd.linalg.gemm(x, x, nd.zeros((2, 2), dtype='int32'), transpose_b=True)),
    ('_contrib_box_decode', lambda x: nd.contrib.box_decode(nd.ones((1, 2, 4), dtype=x.dtype),
                                                            nd.ones((1, 2, 4), dtype=x.dtype))),
    ('_contrib_box_encode', lambda x: nd.contrib.box_encode(
        nd.ones((1, 2)), nd.zeros((1, 2)), nd.ones((1, 2, 4), dtype=x.dtype),
        nd.ones((1, 1, 4)), nd.zeros(4), nd.ones(4))),
])
def test_float_only_operators_refuse_integer_data(name, call):
    # MXNet 1.9.1: "This operation only support floating point types, not int32"
    _refused(lambda: call(_INT()), TypeError, '%s: .* must be a floating-point array' % name)
    floats = call(_INT().astype('float32'))
    assert (floats[0] if isinstance(floats, list) else floats).dtype == np.float32


# -- the Python functions of nd, nd.random and nd.contrib -------------------------------------------

@pytest.mark.parametrize('call', [
    lambda: nd.random.uniform(foo_bar=1), lambda: nd.random.normal(0, 1, shape=2, foo_bar=1),
    lambda: nd.random.exponential(nd.ones(2), foo_bar=1), lambda: nd.random.poisson(foo_bar=1),
    lambda: nd.random.multinomial(nd.ones((2, 3)) / 3, foo_bar=1),
    lambda: nd.random.randint(0, 5, foo_bar=1), lambda: nd.random.randn(2, foo_bar=1),
])
def test_sampling_functions_refuse_unknown_keywords(call):
    # they were dropped without a word; MXNet 1.9.1: "Cannot find argument 'foo_bar'"
    _refused(call, TypeError, "unexpected attribute 'foo_bar'")


def test_sampling_functions_take_a_name():
    assert nd.random.uniform(shape=2, name='u').shape == (2,)
    assert nd.random.normal(nd.zeros(2), nd.ones(2), shape=3, name='n').shape == (2, 3)


@pytest.mark.parametrize('call,match', [
    # Python's "unsupported operand type(s) for -: 'NoneType' and 'int'" and the like
    (lambda: nd.arange(None), "arange: attribute 'start' must not be None"),
    (lambda: nd.arange('abc'), "arange: attribute 'start' expects number, got 'abc'"),
    (lambda: nd.arange(0, [1, 2]), "arange: attribute 'stop' expects number"),
    (lambda: nd.eye([2, 2]), "eye: attribute 'N' expects int"),
    (lambda: nd.eye(2.5), "eye: attribute 'N' expects int, got 2.5"),
    (lambda: nd.linspace(0, 1, None), "linspace: attribute 'num' must not be None"),
    (lambda: nd.eye(nd.ones((2, 3))), r"eye: attribute 'N' expects int, got NDArray \(2, 3\)"),
])
def test_range_functions_name_a_bad_argument(call, match):
    _refused(call, ValueError, match)


def test_range_functions_still_take_numbers_and_their_text():
    assert nd.arange(1, 3, 0.5).asnumpy().tolist() == [1.0, 1.5, 2.0, 2.5]
    assert nd.arange(np.int64(3)).asnumpy().tolist() == [0.0, 1.0, 2.0]
    assert nd.arange('2').asnumpy().tolist() == [0.0, 1.0]       # MXNet's string form
    assert nd.eye(2, 3, 1).asnumpy().tolist() == [[0, 1, 0], [0, 0, 1]]


@pytest.mark.parametrize('fn', ['isinf', 'isnan', 'isfinite'])
def test_contrib_is_functions_need_an_ndarray(fn):
    # AttributeError: 'list' object has no attribute 'abs' (so in MXNet 1.9.1 too)
    _refused(lambda: getattr(nd.contrib, fn)([1.0]), TypeError, 'contrib.%s: data must be an NDArray' % fn)


def test_histogram_needs_an_ndarray():
    # AttributeError: 'NoneType' object has no attribute 'size'
    with pytest.raises(TypeError, match='histogram: a must be an NDArray, got list'):
        nd.histogram([1.0, 2.0], 2)


# -- NumPy's own exception subclasses, re-worded by invoke like its plain ValueErrors ----------------

def test_numpy_error_subclasses_name_the_operator():
    from minigluon.ndarray.helpers import _name_the_operator
    from minigluon.ops import get_op
    op = get_op('SwapAxis')()
    raw = np.ones((2, 3), dtype=np.float32)
    axis = _name_the_operator(op, np.exceptions.AxisError(5, 2), [raw])
    assert type(axis).__name__ == 'MXNetValueError'
    assert str(axis).startswith('SwapAxis: axis 5 is out of bounds') and 'data(2, 3) float32' in str(axis)

    class Mine(ValueError):      # a custom operator's own class is kept as it is
        pass
    mine = Mine('x')
    assert _name_the_operator(op, mine, [raw]) is mine


def test_syevd_of_nan_matrices():
    # numpy.linalg.LinAlgError "Eigenvalues did not converge", not an MXNetError; MXNet 1.9.1 fails too
    _refused(lambda: nd.linalg.syevd(nd.array(np.full((3, 3), np.nan))), ValueError,
             '_linalg_syevd: the eigendecomposition of A failed')


@pytest.mark.parametrize('call,match', [
    # Python's "'>' not supported between instances of 'NoneType' and 'int'" and the like
    (lambda: nd.random.exponential(None), 'random.exponential: scale must be a number or an NDArray, got NoneType'),
    (lambda: nd.random.exponential('abc'), 'random.exponential: scale must be a number'),
    (lambda: nd.random.uniform([0], 1), 'random.uniform: low must be a number or an NDArray, got list'),
    (lambda: nd.random.normal(None), 'random.normal: loc must be a number'),
    # AttributeError: 'NoneType' object has no attribute 'copy'
    (lambda: nd.from_numpy(None), 'from_numpy: ndarray must be a NumPy array, got NoneType'),
])
def test_python_functions_name_a_parameter_of_the_wrong_kind(call, match):
    with pytest.raises(TypeError, match=match):
        call()


# -- Python's "tuple index out of range" (and the like) from inside an operator ---------------------

@pytest.mark.parametrize('call,kind,match', [
    (lambda: nd.Convolution(*CONV()[:1], nd.ones(()), CONV()[2], kernel=(2, 2), num_filter=2), ValueError,
     r'Convolution: weight must have shape \(2, 3, 2, 2\)'),
    (lambda: nd.Deconvolution(DECONV()[0], nd.ones(()), kernel=(2, 2), num_filter=2), ValueError,
     r'Deconvolution: weight must have shape \(3, 2, 2, 2\)'),
    (lambda: nd.SequenceLast(nd.ones(3)), ValueError, 'SequenceLast: data must have at least 2 dimensions'),
    (lambda: nd.SequenceMask(nd.ones(())), ValueError, 'SequenceMask: data must have at least 2 dimensions'),
    (lambda: nd.SequenceReverse(nd.ones(3)), ValueError, 'SequenceReverse: data must have at least 2'),
    # NumPy's "index 0 is out of bounds for axis 0 with size 0"
    (lambda: nd.SequenceLast(nd.ones((0, 2, 3))), ValueError, 'SequenceLast: a sequence of 0 steps'),
    (lambda: nd.SoftmaxOutput(nd.ones(()), nd.ones(())), ValueError, 'SoftmaxOutput: data must have at least 1'),
    (lambda: nd.batch_take(nd.ones(()), nd.ones(2)), ValueError, 'batch_take: a must have at least 1'),
    # normalize_axis no longer takes axis 0 of a 0-d array (take indexed its missing axis)
    (lambda: nd.take(nd.ones(()), nd.ones(2)), ValueError, 'take: axis=0 is out of range for an input of 0'),
])
def test_inputs_of_too_few_dimensions(call, kind, match):
    _refused(call, kind, match)


def test_group_norm_of_an_empty_batch():
    # "cannot reshape array of size 0 into shape (0,1,newaxis)"
    x, gamma, beta = nd.zeros((0, 3, 4)), nd.ones(3), nd.zeros(3)
    for a in (x, gamma, beta):
        a.attach_grad()
    with autograd.record():
        y = nd.GroupNorm(x, gamma, beta, num_groups=3)
    y.backward()
    assert y.shape == x.grad.shape == (0, 3, 4)
    assert gamma.grad.asnumpy().tolist() == [0.0, 0.0, 0.0]     # a sum over no samples


# -- found by hand around the most-used operators (MXNet 1.9.1 refuses each) -------------------------

@pytest.mark.parametrize('call,match', [
    # the repeated axis collapsed: broadcast_axis gave (2, 4), squeeze (2,)
    (lambda: nd.broadcast_axis(nd.ones((2, 1)), axis=(1, 1), size=(3, 4)),
     r'broadcast_axis: axis=\(1, 1\) contains a repeated axis'),
    (lambda: nd.squeeze(nd.ones((2, 1)), axis=(1, -1)), r'squeeze: axis=\(1, -1\) contains a repeated axis'),
    # Lp pooling with p = 0 computed (MXNet: "p value of 0 is not supported yet")
    (lambda: nd.Pooling(nd.ones((1, 1, 2, 2)), kernel=(2, 2), pool_type='lp', p_value=0),
     "Pooling: attribute 'p_value' must be >= 1, got 0"),
    # a target shape that needs adj=1 with stride 1 gave a (2, 2, 1, 1) result
    (lambda: nd.Deconvolution(*DECONV(), kernel=(2, 2), num_filter=2, no_bias=True, target_shape=(1, 1)),
     r'Deconvolution: target_shape \(1, 1\) needs an output padding \(adj\) of 1, which must be below'),
])
def test_more_arguments_mxnet_refuses(call, match):
    _refused(call, ValueError, match)


def test_target_shapes_within_the_stride_still_work():
    assert nd.Deconvolution(*DECONV(), kernel=(2, 2), num_filter=2, no_bias=True, stride=(2, 2),
                            target_shape=(8, 10)).shape == (2, 2, 8, 10)
    assert nd.squeeze(nd.ones((2, 1, 1)), axis=(1, 2)).shape == (2,)


def test_an_unsupported_layout_is_an_mxnet_error():
    # a plain NotImplementedError; now NotSupportedError, which is both
    with pytest.raises(NotImplementedError, match="layout 'NHWC' is not supported") as info:
        nd.Convolution(*CONV(), kernel=(2, 2), num_filter=2, layout='NHWC')
    assert isinstance(info.value, MXNetError)


def test_symbolic_shape_rules_reading_a_missing_dimension_say_so():
    # "GroupNorm 'groupnorm0' (data=(), ...): tuple index out of range"
    import minigluon as mx
    net = mx.sym.GroupNorm(mx.sym.var('d'), mx.sym.var('g'), mx.sym.var('b'))
    with pytest.raises(MXNetError, match=r"\(data=\(\), .*\): an input has fewer dimensions than "
                                         r"GroupNorm reads \(tuple index out of range\)"):
        net.infer_shape(d=(), g=(1,), b=(1,))


@pytest.mark.parametrize('call,attr,minimum', [
    # a bare StopIteration and a ZeroDivisionError (the Pooling window code they share)
    (lambda: nd.Pooling_v1(CONV()[0], kernel=(-2, -2)), 'kernel', 1),
    (lambda: nd.Pooling_v1(CONV()[0], kernel=(2, 2), stride=(0, 1)), 'stride', 1),
    # a ZeroDivisionError in the output-size rule
    (lambda: nd.contrib.DeformableConvolution(CONV()[0], nd.ones((2, 8, 3, 4)), CONV()[1], CONV()[2],
                                              kernel=(2, 2), num_filter=2, stride=(0, 1)), 'stride', 1),
])
def test_window_attributes_of_the_older_and_deformable_operators(call, attr, minimum):
    _refused(call, ValueError, r"attribute '%s' must be >= %d in each entry" % (attr, minimum))


def test_deformable_convolution_weight_of_another_rank():
    # "tuple index out of range"
    _refused(lambda: nd.contrib.DeformableConvolution(CONV()[0], nd.ones((2, 8, 3, 4)), nd.ones(3),
                                                      CONV()[2], kernel=(2, 2), num_filter=2),
             ValueError, r'_contrib_DeformableConvolution: weight must have shape \(2, 3, 2, 2\)')


# -- the sweep's last 10 "bad" and 3 "silent" cases -------------------------------------------------

def test_true_divide_is_a_function_of_its_own_name():
    # it was `divide` itself, so a call that did not fit said "divide() missing ... 'rhs'";
    # MXNet 1.9.1 defines true_divide(lhs, rhs) over divide
    with pytest.raises(TypeError, match=r"true_divide\(\) missing 1 required positional argument: 'rhs'"):
        nd.true_divide(nd.ones(2))
    with pytest.raises(TypeError, match=r"true_divide\(\) got an unexpected keyword argument 'foo_bar'"):
        nd.true_divide(nd.ones(2), 2, foo_bar=1)
    assert nd.true_divide(nd.array([3.0, 5.0]), 2).asnumpy().tolist() == [1.5, 2.5]
    assert nd.true_divide(3, nd.array([2.0])).asnumpy().tolist() == [1.5]


_CREATION_CALLS = [
    ('array', lambda c: nd.array([1.0, 2.0], c)),
    ('zeros', lambda c: nd.zeros((2, 3), c)),
    ('ones', lambda c: nd.ones((2, 3), c)),
    ('empty', lambda c: nd.empty((2, 3), c)),
    ('full', lambda c: nd.full((2, 3), 1.0, c)),
    ('arange', lambda c: nd.arange(3, ctx=c)),
    ('linspace', lambda c: nd.linspace(0, 1, 3, ctx=c)),
    ('eye', lambda c: nd.eye(2, ctx=c)),
]


@pytest.mark.parametrize('name,call', _CREATION_CALLS)
@pytest.mark.parametrize('ctx', [nd.ones((4, 5)), 5, 1.5], ids=['NDArray', 'int', 'float'])
def test_creation_functions_name_a_ctx_that_is_not_a_context(name, call, ctx):
    # "The truth value of an NDArray with multiple elements is ambiguous" (from `ctx or ...`);
    # MXNet 1.9.1: AttributeError 'NDArray' object has no attribute 'device_typeid', or
    # MXNetError "Invalid context string"
    _refused(lambda: call(ctx), TypeError,
             r'%s: ctx must be a Context .* or None, got %s' % (name, type(ctx).__name__))


@pytest.mark.parametrize('name,call', _CREATION_CALLS)
def test_creation_functions_take_mxnet_context_strings(name, call):
    # MXNet 1.9.1's zeros/ones/arange/linspace/eye pass ctx on as an attribute string, so
    # nd.zeros(shape, 'cpu(0)') works there (its array/empty/full fail on a string; all take it here)
    for text in ('cpu(0)', 'cpu(1)', 'cpu'):
        out = call(text)
        assert out.context == Context('cpu', int(text[4:-1] or 0))
    _refused(lambda: call('tpu(0)'), ValueError, r"%s: ctx must look like 'cpu\(0\)'" % name)


def test_creation_functions_check_the_shape_before_the_context():
    # nd.zeros(x, y) with NDArrays: MXNet 1.9.1 reports the shape ("Invalid Parameter format for
    # shape"); the context is still taken as it was
    for fn in (nd.zeros, nd.ones, nd.empty):
        _refused(lambda: fn(nd.ones((2, 3)), nd.ones((4, 5))), ValueError,
                 '%s: shape must be a non-negative int or a tuple of them' % fn.__name__)
        assert fn((2, 3), current_context()).shape == (2, 3)
        assert fn(2, None).shape == (2,)


@pytest.mark.parametrize('call,shown', [
    # randn(x, foo_bar=1) complained of foo_bar naming the operator _random_normal; randn(2.5)
    # drew 2 samples. MXNet 1.9.1 refuses the shape first: "Invalid Parameter format for shape"
    (lambda: nd.random.randn(nd.ones((2, 3)), foo_bar=1), 'NDArray'),
    (lambda: nd.random.randn(nd.ones((2, 3))), 'NDArray'),
    (lambda: nd.random.randn(2.5), '2.5'),
    (lambda: nd.random.randn(2, 3.0), '3.0'),
    (lambda: nd.random.randn(True), 'True'),
])
def test_randn_refuses_a_dimension_that_is_not_an_int(call, shown):
    _refused(call, ValueError, r'randn: each dimension of shape must be an int, got %s' % shown)


def test_randn_still_takes_ints():
    assert nd.random.randn(2, np.int64(3)).shape == (2, 3)
    assert nd.random.randn(4, loc=1.0, scale=0.5).shape == (4,)


@pytest.mark.parametrize('call,op,given', [
    # a float entry of a shape attribute was truncated: (2.5,) gave 2 samples, Reshape to
    # (3.5, 2) gave (3, 2); MXNet 1.9.1: "Invalid Parameter format for shape", also for 2.0
    (lambda: nd.random.normal(shape=(2.5,)), '_random_normal', r'\(2.5,\)'),
    (lambda: nd.random.uniform(shape=(2, 2.0)), '_random_uniform', r'\(2, 2.0\)'),
    (lambda: nd.reshape(nd.ones((2, 3)), shape=(3.5, 2)), 'Reshape', r'\(3.5, 2\)'),
    (lambda: nd.reshape(nd.ones((2, 3)), shape='(3.0, 2)'), 'Reshape', r'\(3.0, 2\)'),
    (lambda: nd.Pooling(nd.ones((1, 1, 4, 4)), kernel=(2.0, 2)), 'Pooling', r'\(2.0, 2\)'),
])
def test_a_shape_attribute_refuses_float_entries(call, op, given):
    _refused(call, ValueError, r"%s: attribute '\w+' expects shape, got %s \(entry [\d.]+ is not "
                               r"an integer\)" % (op, given))


def test_a_shape_attribute_still_takes_ints_and_their_text():
    assert nd.reshape(nd.ones((2, 3)), shape=(np.int64(3), 2)).shape == (3, 2)
    assert nd.reshape(nd.ones((2, 3)), shape='(3, -1)').shape == (3, 2)
    assert nd.random.normal(shape=np.int32(3)).shape == (3,)


def test_nearest_upsampling_ignores_num_filter():
    # not a silent wrong result (the sweep now knows): num_filter sizes the bilinear kernel only;
    # MXNet 1.9.1 computes nearest upsampling with num_filter=-3 or 0 too, the same values
    x = nd.array(np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4))
    want = np.repeat(np.repeat(x.asnumpy(), 2, axis=2), 2, axis=3)
    for num_filter in (-3, 0, 1):
        out = nd.UpSampling(x, scale=2, sample_type='nearest', num_filter=num_filter)
        assert out.asnumpy().tolist() == want.tolist()


def test_tile_with_a_zero_rep_is_empty_as_numpy():
    # not a silent wrong result (the sweep now knows): a size-0 array, as np.tile gives, since
    # minigluon supports size-0 arrays by design; MXNet 1.9.1 refuses (a 0 is an unknown
    # dimension in its shapes: "Operator tile inferring shapes failed")
    x = nd.ones((2, 3))
    for reps in ((0,), (2, 0), (0, 1, 1)):
        assert nd.tile(x, reps=reps).shape == np.tile(x.asnumpy(), reps).shape
