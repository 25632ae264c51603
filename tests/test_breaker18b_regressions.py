"""Regressions found by breaker18b: differential programs against MXNet 1.9.1 and invariant
checks on the day's merges (fast_bind's prototype cache, user-registered operators, metrics,
Pooling's long pad, Symbol.reshape with separate ints, the save/load helpers)."""
import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.ndarray import dispatch
from _breaker import mxnet_fixture


def _fresh_cache(name):
    """Forget the cached prototypes of operator ``name`` (so a test sees its own calls only)."""
    cls = mx.ops.OPS[name]
    cls.__dict__.get('_proto_cache', {}).clear()


# --- 1. fast_bind: the prototype cache must not confuse equal-comparing attribute values ----------

def test_tuple_attribute_of_floats_is_refused_after_the_int_tuple_was_cached():
    """(1, 0) == (1.0, 0) as dict keys: the prototype made for axes=(1, 0) served (1.0, 0),
    which is refused when it comes first (MXNet 1.9.1 refuses it too: "Invalid Parameter format
    for axes expect Shape(tuple) but value='(1.0, 0)'")."""
    _fresh_cache('transpose')
    x = nd.ones((2, 3))
    assert nd.transpose(x, axes=(1, 0)).shape == (3, 2)
    with pytest.raises(ValueError, match="axes"):
        nd.transpose(x, axes=(1.0, 0))
    with pytest.raises(ValueError, match="axes"):
        nd.transpose(x, (1.0, 0))
    _fresh_cache('Reshape')
    assert x.reshape(3, 2).shape == (3, 2)
    with pytest.raises(TypeError, match="shape"):      # as MXNet 1.9.1's method: a TypeError
        x.reshape(3.0, 2)


@pytest.mark.parametrize('first', [0.0, -0.0])
def test_signed_zero_attributes_keep_their_sign_whatever_came_first(first):
    """0.0 == -0.0 as dict keys: after a call with scalar=0.0, scalar=-0.0 ran with +0.0. As
    MXNet 1.9.1 (and IEEE 754): [1, -1] * -0.0 is [-0, +0], clip(-1, -0.0, 1) is -0.0."""
    _fresh_cache('_mul_scalar')
    _fresh_cache('clip')
    x = nd.array([1.0, -1.0])
    nd._internal._mul_scalar(x, scalar=first)
    x.clip(first, 1.0)
    for zero in (0.0, -0.0):
        got = nd._internal._mul_scalar(x, scalar=zero).asnumpy()
        assert np.signbit(got).tolist() == np.signbit(np.array([1.0, -1.0]) * zero).tolist()
        clipped = x.clip(zero, 1.0).asnumpy()
        assert np.signbit(clipped).tolist() == [False, np.signbit(zero)]


def test_prototype_keys_tell_equal_tuples_of_other_entry_types_apart():
    cls = mx.ops.OPS['transpose']
    _fresh_cache('transpose')
    ints = dispatch.prototype(cls, {'axes': (1, 0)})
    assert ints is not None
    assert dispatch.prototype(cls, {'axes': (1.0, 0)}) is None      # refused: bind_call says why
    # nested tuples and float entries are keyed by their printed form
    cls = mx.ops.OPS['_mul_scalar']
    assert dispatch.prototype(cls, {'scalar': -0.0})['scalar'] == 0.0
    assert np.signbit(dispatch.prototype(cls, {'scalar': -0.0})['scalar'])
    assert not np.signbit(dispatch.prototype(cls, {'scalar': 0.0})['scalar'])


# --- MXNet 1.9.1's numbers (tools/gen_breaker18b_fixtures.py) ----------------------------------

def _program():
    import os
    import sys
    sys.path.insert(0, os.path.dirname(__file__))
    import _breaker18b_program
    return _breaker18b_program


# --- 3. metrics ------------------------------------------------------------------------------------

def test_metric_subclass_sums_numpy_scalars_in_float64_and_falls_back_to_local_stats():
    """A subclass adding float32 ``asscalar()`` values to ``sum_metric``: MXNet 1.9.1 sums them in
    float64 (minigluon summed in float32 on NumPy 2, ~1e-7 off after 300 updates), and its
    ``get_global()`` is ``get()`` without ``has_global_stats=True`` (minigluon gave NaN)."""
    want = mxnet_fixture('breaker18b')['metric_subclass']
    got = _program().metric_subclass(mx)
    assert got['get'] == want['get']
    assert got['get_global'] == want['get_global'] == want['get']
    assert got['global_name_value'] == want['global_name_value']
    assert got['sum_type'] == want['sum_type']
    assert type(got['get']) is float


def test_builtin_metrics_keep_global_statistics_apart_from_local_ones():
    """The built-in metrics are made with ``has_global_stats=True`` (as in MXNet 1.9.1): after
    ``reset_local()`` the global value is that of a fresh metric given every update, the local
    one that of the last update only."""
    makers = (mx.metric.Accuracy, mx.metric.MAE, mx.metric.CrossEntropy, mx.metric.Loss,
              mx.metric.Torch, mx.metric.NegativeLogLikelihood, mx.metric.F1,
              lambda: mx.metric.Perplexity(None),
              lambda: mx.metric.CustomMetric(lambda label, pred: float(pred[0, 0])))
    label = nd.array([1, 0])
    batches = [nd.array([[0.25, 0.75], [0.5, 0.5]]), nd.array([[1.0, 1.0], [0.125, 0.875]])]
    for make in makers:
        metric, whole, last = make(), make(), make()
        for i, pred in enumerate(batches):
            if i:
                metric.reset_local()
            metric.update([label], [pred])
            whole.update([label], [pred])
        last.update([label], [batches[-1]])
        name = type(metric).__name__
        assert metric._has_global_stats, name
        assert metric.get_global() == whole.get(), name
        assert metric.get() == last.get(), name
        assert whole.get() != last.get(), name       # the check can tell them apart


# --- 4. Symbol.reshape --------------------------------------------------------------------------

def test_symbol_reshape_with_one_int_writes_mxnets_json_attribute():
    """``x.reshape(-1)`` in a hybrid_forward wrote ``"shape": "(-1,)"`` once separate ints became
    a tuple; MXNet 1.9.1 (and minigluon before) writes ``"-1"``. Every form MXNet accepts writes
    MXNet's attributes."""
    assert _program().reshape_json(mx) == mxnet_fixture('breaker18b')['reshape_json']
    x = mx.sym.var('x')
    assert x.reshape(0, 2, -1).infer_shape(x=(2, 3, 4))[1] == [(2, 2, 6)]
    assert x.reshape(-1).infer_shape(x=(2, 3, 4))[1] == [(24,)]


# --- 2. operators registered from user code ---------------------------------------------------

def _namespaces():
    """Snapshot of what a registration may change: the registry and every namespace it fills."""
    from minigluon.ndarray.ndarray import _OP_FUNCTIONS
    spaces = (mx.ops.OPS, _OP_FUNCTIONS, vars(nd), vars(mx.sym), vars(nd.contrib),
              vars(mx.sym.contrib), vars(nd._internal), vars(mx.sym._internal), vars(nd.op),
              vars(mx.sym.op), vars(nd.NDArray))
    return [dict(space) for space in spaces]


def _unchanged(before):
    after = _namespaces()
    return all(a.keys() == b.keys() and all(a[k] is b[k] for k in a)
               for a, b in zip(before, after))


def _op_class(name, aliases=(), attrs=None):
    def forward(self, xp, data):
        return data * self.alpha
    return type('Op_%s' % abs(hash(str(name))), (mx.ops.Op,),
                {'name': name, 'aliases': aliases, 'same_shape': True, 'forward': forward,
                 'attrs': {'alpha': mx.ops.Attr('float', 2.0)} if attrs is None else attrs})


def _forget(names):
    from minigluon.ndarray.ndarray import _OP_FUNCTIONS
    for name in names:
        mx.ops.OPS.pop(name, None)
        _OP_FUNCTIONS.pop(name, None)
        for module in (nd, mx.sym, nd.op, mx.sym.op, nd._internal, mx.sym._internal):
            module.__dict__.pop(name, None)
        if name in vars(nd.NDArray):
            delattr(nd.NDArray, name)


@pytest.mark.parametrize('name', [123, ('a', 'b'), b'bytes_name'])
def test_register_refuses_a_name_that_is_not_a_string_and_leaves_everything_as_it_was(name):
    """A non-string name was put into the registry before nd.refresh failed on it ("__name__
    must be set to a string object"), and every later registration failed the same way."""
    before = _namespaces()
    with pytest.raises(TypeError, match='name must be a string'):
        mx.ops.register(_op_class(name))
    assert _unchanged(before)
    try:
        mx.ops.register(_op_class('breaker18b_after_bad_name'))
        assert nd.breaker18b_after_bad_name(nd.ones(2)).asnumpy().tolist() == [2.0, 2.0]
    finally:
        _forget(['breaker18b_after_bad_name'])


def test_register_refuses_aliases_given_as_one_string():
    """``aliases = 'myop_alias'`` registered each letter as an operator name (nd.m, nd.y...)."""
    before = _namespaces()
    with pytest.raises(TypeError, match='aliases must be a tuple'):
        mx.ops.register(_op_class('breaker18b_alias_str', aliases='xq'))
    assert _unchanged(before)
    assert 'x' not in mx.ops.OPS and 'q' not in mx.ops.OPS


@pytest.mark.parametrize('name, where', [('zeros', 'nd.zeros'), ('add', 'nd.add'),
                                         ('load', 'nd.load'), ('refresh', 'nd.refresh'),
                                         ('var', 'sym.var'), ('Group', 'sym.Group'),
                                         ('_contrib_isinf', 'nd.contrib.isinf'),
                                         ('_contrib_foreach', 'nd.contrib.foreach')])
def test_register_refuses_a_name_the_namespaces_use_for_something_else(name, where):
    """An operator named ``zeros`` was registered, but ``nd.zeros`` / ``sym.zeros`` (so
    ``F.zeros`` in a hybrid_forward) stayed minigluon's own functions: the operator was
    reachable by name in JSON only. The registration is refused, naming the clash."""
    before = _namespaces()
    with pytest.raises(ValueError, match="%r is taken: %s" % (name, where.replace('.', r'\.'))):
        mx.ops.register(_op_class(name))
    assert _unchanged(before)


def test_register_gives_a_shared_attr_object_its_own_copy():
    """One Attr object under two keys (``attrs = {'gamma': Other.attrs['beta']}``) was renamed
    for the second operator, so the first one's errors named the other key."""
    first = _op_class('breaker18b_first', attrs={'beta': mx.ops.Attr('float', 1.0)})
    try:
        mx.ops.register(first)
        second = _op_class('breaker18b_second', attrs={'gamma': first.attrs['beta']})
        mx.ops.register(second)
        assert first.attrs['beta'].name == 'beta' and second.attrs['gamma'].name == 'gamma'
        with pytest.raises(ValueError, match="'beta'"):
            first(beta='not a number')
        with pytest.raises(ValueError, match="'gamma'"):
            second(gamma='not a number')
    finally:
        _forget(['breaker18b_first', 'breaker18b_second'])


# --- 5. save / load ------------------------------------------------------------------------------

def test_bad_dtype_source_is_the_assertion_error_mxnet_raises_and_changes_nothing(tmp_path):
    """MXNet 1.9.1 asserts ``dtype_source in ['current', 'saved']`` (AssertionError); minigluon
    raised a plain ValueError, which ``except AssertionError`` code did not catch."""
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    path = str(tmp_path / 'dense.params')
    net.save_parameters(path)
    before = net.weight.data().asnumpy().copy()
    net.weight.set_data(nd.ones((2, 3)))
    for cast in (True, False):
        with pytest.raises(AssertionError, match='dtype_source'):
            net.load_parameters(path, cast_dtype=cast, dtype_source='bogus')
        with pytest.raises(ValueError, match='dtype_source must be'):
            net.load_parameters(path, cast_dtype=cast, dtype_source='Saved')
        assert net.weight.data().asnumpy().tolist() == [[1.0] * 3] * 2
    net.load_parameters(path, cast_dtype=True, dtype_source='saved')
    assert np.array_equal(net.weight.data().asnumpy(), before)


# --- 1b. a variadic operator takes its attributes by keyword, eagerly as hybridized ---------------

class _Calls(mx.gluon.HybridBlock):
    def __init__(self, fn, **kwargs):
        super().__init__(**kwargs)
        self.fn = fn

    def hybrid_forward(self, F, x):
        return self.fn(F, x)


@pytest.mark.parametrize('fn', [lambda F, x: F.concat(x, x, 1), lambda F, x: F.stack(x, x, 1),
                                lambda F, x: F.add_n(x, x, 2)])
def test_variadic_operator_refuses_a_positional_attribute_eagerly_as_hybridized(fn):
    """``F.concat(x, x, 1)`` ran eagerly (1 taken as dim) but failed once hybridized; MXNet 1.9.1
    asserts in both modes ("Positional arguments must have NDArray type, but got 1"). Both modes
    now raise the same TypeAssertionError (a TypeError and an AssertionError)."""
    x = nd.ones((2, 3))
    block = _Calls(fn)
    with pytest.raises(AssertionError, match='positional argument 2 must be an NDArray'):
        block(x)
    block.hybridize()
    with pytest.raises(AssertionError, match='positional argument 2 must be a Symbol'):
        block(x)


def test_variadic_operator_with_keyword_attributes_agrees_eagerly_and_hybridized():
    x = nd.array(np.arange(6).reshape(2, 3))
    block = _Calls(lambda F, x: F.concat(x, x * 2, dim=1) * F.stack(x, x, axis=1).reshape((0, -1)))
    eager = block(x).asnumpy()
    block.hybridize()
    assert np.array_equal(block(x).asnumpy(), eager)
    # by hand: [x, 2x] side by side times [x, x] (each row of x twice)
    a = x.asnumpy()
    want = np.concatenate([a * a, 2 * a * a], 1)
    assert np.array_equal(eager, want)


@pytest.mark.parametrize('metric', ['nosuchmetric', 3, 2.5])
def test_metric_create_refuses_with_the_assertion_error_mxnet_raises(metric):
    """MXNet 1.9.1's ``metric.create`` asserts the name is registered (and is a string):
    AssertionError; minigluon raised a plain ValueError (still one)."""
    message = 'is not registered' if isinstance(metric, str) else 'metric must be an EvalMetric'
    with pytest.raises(AssertionError, match=message):
        mx.metric.create(metric)
    with pytest.raises(ValueError, match=message):
        mx.metric.create(metric)


# --- 4b. Gluon pooling layers with a pad of 2 * n equal entries ----------------------------------

def test_gluon_pooling_layers_take_the_per_side_pad_the_operator_takes(tmp_path):
    """``MaxPool2D(3, 1, (1, 1, 1, 1))`` runs in MXNet 1.9.1 (its layers pass ``padding`` on to
    ``Pooling``, which takes 2 * n equal entries); minigluon's layers refused it at construction
    ("padding must be a number or a list of 2 ints") though its operator now takes it. Output,
    repr and exported attributes as MXNet's."""
    want = mxnet_fixture('breaker18b')['gluon_pooling_pad']
    got = _program().gluon_pooling_pad(mx, str(tmp_path))
    for key, case in want.items():
        assert got[key]['shape'] == case['shape'], key
        np.testing.assert_allclose(got[key]['values'], case['values'], rtol=1e-6, atol=1e-6)
        assert got[key]['repr'] == case['repr'], key
        assert got[key]['attrs'] == case['attrs'], key


def test_gluon_pooling_layer_still_refuses_a_pad_that_differs_by_side():
    with pytest.raises(ValueError, match='padding'):
        mx.gluon.nn.MaxPool2D(3, 1, (0, 1, 0, 1))
    with pytest.raises(ValueError, match='padding'):
        mx.gluon.nn.MaxPool2D(3, 1, (1, 1, 1))
