"""Extending minigluon from user code, as a contributor reading the docs would: a registered
operator written outside the package (``minigluon.ops.registry``, "Writing an operator"), MXNet
1.9.1's extension points (``autograd.Function``, ``gluon.loss.Loss``, ``mx.init.register``,
``mx.optimizer.register``, ``mx.metric.register`` / ``alias``, ``CustomMetric``, ``Sampler`` and
``batchify_fn``, ``mx.operator.CustomOp``) against MXNet's numbers
(``tests/_extending_program.py``, recorded by ``tools/gen_extending_fixtures.py``), and the
errors a contributor meets on the way.
"""
import json
import os
import tempfile
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd, sym
from minigluon.metric import base as metric_base
from minigluon.ndarray.ndarray import _OP_FUNCTIONS
from minigluon.ops import OPS, Attr, Op, register
from minigluon.test_utils import assert_almost_equal, check_gradient

import _extending_program

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'extending', 'mxnet.json')


# ---------------------------------------------------------------------------------------------------
# A registered operator written outside the package


def _forget_operator(names):
    """Undo a test registration: the registry entry and every function the namespaces made."""
    for name in names:
        OPS.pop(name, None)
        _OP_FUNCTIONS.pop(name, None)
        for module in (nd, sym, nd.op, sym.op, nd._internal, sym._internal):
            module.__dict__.pop(name, None)
        if getattr(mx.nd.NDArray, name, None) is not None:
            delattr(mx.nd.NDArray, name)


@pytest.fixture
def scaled_softsign():
    """The example of ``ops/registry.py``'s docstring, registered after ``import minigluon``."""
    class ScaledSoftsign(Op):               # alpha * x / (1 + |x|)
        name = 'scaled_softsign_ext'
        aliases = ('_contrib_scaled_softsign_ext',)
        same_shape = True
        attrs = {'alpha': Attr('float', 1.0)}

        def forward(self, xp, data):
            self.x = data
            return (self.alpha * data / (1 + xp.abs(data))).astype(data.dtype, copy=False)

        def backward(self, xp, grad):
            return (grad * self.alpha / (1 + xp.abs(self.x)) ** 2,)

    register(ScaledSoftsign)
    try:
        yield ScaledSoftsign
    finally:
        _forget_operator(('scaled_softsign_ext', '_contrib_scaled_softsign_ext'))
        for module in (nd.contrib, sym.contrib):
            module.__dict__.pop('scaled_softsign_ext', None)


def _softsign(x, alpha):
    return alpha * x / (1 + np.abs(x))


def test_operator_registered_after_import_reaches_nd_sym_and_methods(scaled_softsign):
    x = np.array([[-3., -0.5, 0., 2.]], dtype=np.float32)
    want = _softsign(x, 2.0)
    assert_almost_equal(nd.scaled_softsign_ext(nd.array(x), alpha=2).asnumpy(), want)
    assert_almost_equal(nd.array(x).scaled_softsign_ext(alpha=2).asnumpy(), want)
    assert nd.op.scaled_softsign_ext is nd.scaled_softsign_ext
    assert 'scaled_softsign_ext' in mx.operator.get_all_registered_operators()
    assert_almost_equal(nd.contrib.scaled_softsign_ext(nd.array(x), alpha=2).asnumpy(), want)
    node = sym.scaled_softsign_ext(sym.var('data'), alpha=0.5, name='ss')
    assert sym.op.scaled_softsign_ext is sym.scaled_softsign_ext
    assert node.infer_shape(data=(2, 3))[1] == [(2, 3)]
    assert node.infer_type(data=np.float64)[1] == [np.float64]
    graph = json.loads(node.tojson())
    assert [(n['op'], n.get('attrs')) for n in graph['nodes']] == [
        ('null', None), ('scaled_softsign_ext', {'alpha': '0.5'})]


def test_registry_docstring_example_runs_as_written():
    import textwrap
    from minigluon.ops import registry
    doc = registry.__doc__
    start = doc.index('from minigluon.ops import Attr, Op, register')
    code = textwrap.dedent('    ' + doc[start:doc.index('\n\nAfter the decorator runs')])
    try:
        exec(compile(code, 'ops/registry.py docstring', 'exec'), {})
        x = np.array([-2., 0., 3.], dtype=np.float32)
        assert_almost_equal(nd.scaled_softsign(nd.array(x), alpha=2).asnumpy(), _softsign(x, 2.0))
        assert 'scaled_softsign' in json.loads(sym.scaled_softsign(sym.var('d')).tojson())['nodes'][1]['op']
    finally:
        _forget_operator(('scaled_softsign',))


def test_loss_docstring_example_runs_as_written():
    import textwrap
    from minigluon.gluon.loss import _apply_weighting, _reshape_like
    doc = gluon.loss.Loss.__doc__
    start = doc.index('class LogCoshLoss')
    code = textwrap.dedent('        ' + doc[start:doc.index('Raises', start)])
    space = {'gluon': gluon, '_apply_weighting': _apply_weighting, '_reshape_like': _reshape_like}
    exec(compile(code, 'Loss docstring', 'exec'), space)
    loss = space['LogCoshLoss'](weight=2.0)
    pred, label = np.array([[0.5, -1.], [2., 0.]]), np.array([[0., 0.], [1., 1.]])
    want = 2.0 * np.log(np.cosh(pred - label)).mean(axis=1) * np.array([1., 0.5])
    for hybrid in (False, True):
        if hybrid:
            loss.hybridize()
        got = loss(nd.array(pred), nd.array(label), nd.array([[1.], [0.5]]))
        assert_almost_equal(got.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_registered_operator_gradient_matches_central_differences(scaled_softsign):
    rng = np.random.RandomState(3)
    check_gradient(lambda x: nd.scaled_softsign_ext(x, alpha=1.7), [rng.uniform(-4, 4, (3, 5))])


class _SoftsignNet(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = gluon.nn.Dense(4)

    def hybrid_forward(self, F, x):
        return F.scaled_softsign_ext(self.dense(x), alpha=1.5)


def test_registered_operator_hybridizes_exports_and_imports(scaled_softsign):
    x = nd.array(np.linspace(-3, 3, 6).reshape(2, 3))
    net = _SoftsignNet()
    net.initialize(mx.init.Xavier())
    eager = net(x).asnumpy()
    w, b = net.dense.weight.data().asnumpy(), net.dense.bias.data().asnumpy()
    assert_almost_equal(eager, _softsign(x.asnumpy() @ w.T + b, 1.5), rtol=1e-5, atol=1e-6)
    net.hybridize()
    x.attach_grad()
    with autograd.record():
        out = net(x)
    out.backward()
    assert np.array_equal(out.asnumpy(), eager)
    # d/dx sum(1.5 * s(xW^T + b)) = (1.5 / (1 + |z|)^2) W summed over the outputs
    z = x.asnumpy() @ w.T + b
    assert_almost_equal(x.grad.asnumpy(), (1.5 / (1 + np.abs(z)) ** 2) @ w, rtol=1e-5, atol=1e-6)
    folder = tempfile.mkdtemp()
    net.export(os.path.join(folder, 'net'))
    back = gluon.SymbolBlock.imports(os.path.join(folder, 'net-symbol.json'), ['data'],
                                     os.path.join(folder, 'net-0000.params'))
    assert np.array_equal(back(x).asnumpy(), eager)
    # a process that has not registered the operator is told how to load the graph
    _forget_operator(('scaled_softsign_ext', '_contrib_scaled_softsign_ext'))
    with pytest.raises(mx.base.MXNetFormatError,
                       match=r"unknown operator 'scaled_softsign_ext'.*module that registers it"):
        gluon.SymbolBlock.imports(os.path.join(folder, 'net-symbol.json'), ['data'])


def test_register_refuses_what_it_cannot_use():
    class NotAnOp:
        name = 'not_an_op_ext'
    with pytest.raises(TypeError, match='subclass of minigluon.ops.Op'):
        register(NotAnOp)

    class PlainNumberAttr(Op):
        name = 'plain_number_attr_ext'
        attrs = {'alpha': 1.0}
    with pytest.raises(TypeError, match=r"attrs\['alpha'\] must be an Attr"):
        register(PlainNumberAttr)

    class Nameless(Op):
        pass
    with pytest.raises(TypeError, match='has no name'):
        register(Nameless)

    # a clash on an alias registers none of the names (relu is minigluon's own)
    class Clash(Op):
        name = 'clash_ext'
        aliases = ('relu',)
    with pytest.raises(ValueError, match="'relu' is registered twice"):
        register(Clash)
    assert 'clash_ext' not in OPS and 'plain_number_attr_ext' not in OPS
    assert not hasattr(nd, 'clash_ext')


def test_registered_operator_without_backward_names_the_two_ways():
    class Doubler(Op):                       # forward only, as a first draft would be
        name = 'doubler_ext'
        same_shape = True

        def forward(self, xp, data):
            return data * 2

    register(Doubler)
    try:
        x = nd.ones(2)
        assert nd.doubler_ext(x).asnumpy().tolist() == [2, 2]        # forward alone works
        x.attach_grad()
        with autograd.record():
            y = nd.doubler_ext(x)
        with pytest.raises(mx.base.MXNetError,
                           match=r'operator doubler_ext has no gradient; its class Doubler defines '
                                 r'no backward\(self, xp, \*grad_outputs\) .* or set '
                                 r'differentiable = False'):
            y.backward()
        # minigluon's own operators keep the short message (no class to edit)
        with pytest.raises(mx.base.MXNetError, match=r'has no gradient$'):
            Op.backward(OPS['relu'](), np, np.ones(2))
    finally:
        _forget_operator(('doubler_ext',))


# ---------------------------------------------------------------------------------------------------
# MXNet 1.9.1's extension points, against MXNet's numbers


@pytest.fixture(scope='module')
def results():
    """The program's results under minigluon; its registrations are undone afterwards, so that
    tests sweeping the registries (every optimizer, every metric) do not meet them."""
    from minigluon import initializer, metric
    from minigluon.ops.custom import PROPS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)     # names registered again in one process
            yield _extending_program.run(mx)
    finally:
        mx.optimizer.Optimizer.opt_registry.pop('momentumsignsgd', None)
        initializer._REGISTRY.pop('linspaceinit', None)
        for name in ('top1errorext', 'top1err_ext'):
            metric._REGISTRY.pop(name, None)
        PROPS.pop('hard_swish_ext', None)


@pytest.fixture(scope='module')
def expected():
    with open(FIXTURE) as f:
        return json.load(f)


def _assert_matches(got, want, where):
    """``got`` equals MXNet's ``want``: the same nesting of lists and dicts, the same strings,
    None and types of number (a float where MXNet gives a float), and numbers within 1e-5."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), where
        for key in want:
            _assert_matches(got[key], want[key], '%s.%s' % (where, key))
    elif isinstance(want, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_matches(g, w, '%s[%d]' % (where, i))
    elif isinstance(want, (int, float)) and not isinstance(want, bool):
        assert type(got) is type(want), '%s: %r, MXNet %r' % (where, got, want)
        assert abs(got - want) <= 2e-6 + 1e-5 * abs(want), '%s: %r, MXNet %r' % (where, got, want)
    else:
        assert got == want, '%s: %r, MXNet %r' % (where, got, want)


@pytest.mark.parametrize('part', ['function_and_loss', 'init_and_optimizer', 'metrics', 'data',
                                  'custom_op'])
def test_extensions_give_mxnet_numbers(results, expected, part):
    _assert_matches(results[part], expected[part], part)


def test_custom_metric_sums_float32_values_in_float64():
    # MXNet 1.9.1 (NumPy < 1.24) adds each np.float32 result to 0.0, a float64 sum; ten
    # float32(0.1) values then average to float32(0.1) itself, as a Python float.
    tenths = mx.metric.CustomMetric(lambda label, pred: np.float32(0.1), name='tenths')
    for _ in range(10):
        tenths.update([nd.array([1])], [nd.array([1])])
    value = tenths.get()[1]
    assert type(value) is float and value == float(np.float32(0.1))


def test_metric_alias_registers_only_the_aliases_and_register_checks_the_class():
    @mx.metric.alias('only_alias_ext')
    class AliasOnlyExt(mx.metric.EvalMetric):
        def __init__(self, name='alias_only', **kwargs):
            super().__init__(name, **kwargs)
    try:
        assert isinstance(mx.metric.create('only_alias_ext'), AliasOnlyExt)
        with pytest.raises(ValueError, match='not registered'):
            mx.metric.create('aliasonlyext')
        with pytest.raises(TypeError, match='subclass of EvalMetric') as err:
            mx.metric.register(type('NotAMetric', (), {}))
        assert isinstance(err.value, AssertionError)      # MXNet asserts
        with pytest.warns(UserWarning, match='overriding existing metric'):
            mx.metric.alias('only_alias_ext')(type('OtherExt', (mx.metric.EvalMetric,), {}))
    finally:
        metric_base._REGISTRY.pop('only_alias_ext', None)


# ---------------------------------------------------------------------------------------------------
# Errors that say what to do


def test_function_in_hybridized_block_points_to_custom_op():
    class Double(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy * 2

    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return Double()(x)
    net = Net()
    assert net(nd.ones((2,))).asnumpy().tolist() == [2., 2.]
    net.hybridize()
    with pytest.raises(TypeError, match=r'input 0 is a Symbol.*registered with '
                                        r'minigluon.ops.register .*CustomOp'):
        net(nd.ones((2,)))


def test_optimizer_without_update_names_both_ways():
    class NoRuleExt(mx.optimizer.Optimizer):
        pass
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), NoRuleExt())
    with autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()
    with pytest.raises(NotImplementedError, match=r'update\(index, weight, grad, state\).*_step'):
        trainer.step(1)


def test_initializer_without_super_init_works():
    class NoSuperExt(mx.init.Initializer):
        def __init__(self, value):           # no super().__init__(): MXNet 1.9.1 fails later
            self.value = value

        def _init_weight(self, name, arr):
            arr[:] = self.value
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(NoSuperExt(0.25))
    assert (net.weight.data().asnumpy() == 0.25).all()
    assert NoSuperExt(1).dumps() == '["nosuperext", {}]'


def test_save_states_refuses_a_state_it_cannot_write():
    class DictStateExt(mx.optimizer.Optimizer):
        def create_state(self, index, weight):
            return {'m': nd.zeros(weight.shape)}

        def update(self, index, weight, grad, state):
            weight[:] = weight - 0.1 * grad
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), DictStateExt())
    with autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()
    trainer.step(1)
    fname = os.path.join(tempfile.mkdtemp(), 'states')
    with pytest.raises(TypeError, match=r'parameter 0 holds a value of type dict.*create_state'):
        trainer.save_states(fname)
    assert not os.path.exists(fname)
