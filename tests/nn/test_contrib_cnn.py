"""gluon.contrib.cnn.DeformableConvolution and ModulatedDeformableConvolution against MXNet 1.9.1
(tools/gen_deformable_fixtures.py, blocks.json / blocks.npz): parameter names, shapes and default
initial values, outputs and gradients for given parameter values (MXNet 1.9.1 has no CPU backward
for the modulated block: its gradients are checked against numerical differentiation here), the
repr of the block and of its parameters, and the nodes of the exported symbol.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'deformable')
with open(os.path.join(FIX, 'blocks.json')) as _f:
    BLOCKS = json.load(_f)['blocks']
VALUES = np.load(os.path.join(FIX, 'blocks.npz'))
IDS = ['%s-%s' % (b['key'], b['name']) for b in BLOCKS]


def _kwargs(entry):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in entry['kwargs'].items()}


def _value(entry, name):
    return VALUES['%s|%s' % (entry['key'], name)]


def _block(entry, tmp_name=None):
    """The block made and initialised as the generator did (a fresh name scope, so prefix 0)."""
    with mx.name.NameManager():
        block = getattr(mx.gluon.contrib.cnn, entry['name'])(**_kwargs(entry))
    block.initialize()
    return block


@pytest.mark.parametrize('entry', BLOCKS, ids=IDS)
def test_parameters_and_default_initialisers_match_mxnet(entry):
    block = _block(entry)
    x = nd.array(_value(entry, 'x'))
    block(x)
    params = block.collect_params()
    assert {k: list(p.shape) for k, p in params.items()} == entry['params']
    made = {k: 'zeros' if not p.data().asnumpy().any() else 'nonzero' for k, p in params.items()}
    assert made == entry['default_init']
    assert repr(block) == entry['repr']


@pytest.mark.parametrize('entry', BLOCKS, ids=IDS)
def test_parameter_repr_before_the_first_call_matches_mxnet(entry):
    """The weight's shape shows as the list the block gave (``shape=[4, 0, 3, 3]``) until it
    is inferred, as in MXNet 1.9.1; after the first call it is a tuple (the test above)."""
    with mx.name.NameManager():
        block = getattr(mx.gluon.contrib.cnn, entry['name'])(**_kwargs(entry))
    assert repr(block.collect_params()) == entry['params_repr']
    block.initialize()
    block(nd.array(_value(entry, 'x')))
    assert '[' not in repr(block.collect_params())


def _set_params(block, entry):
    for k, p in block.collect_params().items():
        p.set_data(nd.array(_value(entry, 'param:' + k)))


@pytest.mark.parametrize('entry', BLOCKS, ids=IDS)
@pytest.mark.parametrize('hybridize', [False, True])
def test_output_and_gradients_match_mxnet(entry, hybridize):
    block = _block(entry)
    x = nd.array(_value(entry, 'x'))
    block(x)
    _set_params(block, entry)
    if hybridize:
        block.hybridize()
    x.attach_grad()
    with autograd.record():
        y = block(x)
    assert_almost_equal(y, _value(entry, 'out'), rtol=1e-5, atol=1e-5)
    if entry['name'].startswith('Modulated'):
        return            # no MXNet gradients: test_modulated_block_gradients_are_numerical
    y.backward(nd.array(_value(entry, 'head')))
    assert_almost_equal(x.grad, _value(entry, 'grad:x'), rtol=1e-4, atol=1e-4)
    for k, p in block.collect_params().items():
        assert_almost_equal(p.grad(), _value(entry, 'grad:' + k), rtol=1e-4, atol=1e-4,
                            names=(k, 'mxnet'))


@pytest.mark.parametrize('entry', BLOCKS, ids=IDS)
def test_exported_symbol_matches_mxnet(entry, tmp_path):
    block = _block(entry)
    x = nd.array(_value(entry, 'x'))
    block.hybridize()
    block(x)
    block.export(str(tmp_path / 'net'))
    with open(str(tmp_path / 'net-symbol.json')) as f:
        nodes = [{'op': n['op'], 'name': n['name'], 'attrs': dict(n.get('attrs', {}))}
                 for n in json.load(f)['nodes']]
    # exactly MXNet's, the deformable weight's '__shape__' included: '[4, 0, 3, 3]', the text of
    # the list the block gives as its shape (the others are tuples: '(18, 0, 3, 3)')
    assert nodes == entry['nodes']
    back = mx.gluon.SymbolBlock.imports(str(tmp_path / 'net-symbol.json'), ['data'],
                                        str(tmp_path / 'net-0000.params'), ctx=x.context)
    assert_almost_equal(back(x), block(x), rtol=1e-6, atol=1e-6)


def test_modulated_block_gradients_are_numerical():
    """Input and parameter gradients of a modulated block (float64) against central
    differences of its output, projected on a random head gradient."""
    rng = np.random.RandomState(4)
    with mx.name.NameManager():
        block = mx.gluon.contrib.cnn.ModulatedDeformableConvolution(
            4, kernel_size=3, padding=1, groups=2, num_deformable_group=2, in_channels=4)
    block.initialize()
    block.cast('float64')
    x = nd.array(rng.uniform(-1, 1, (1, 4, 4, 4)), dtype='float64')
    block(x)                                     # the weight's input size is found here
    for p in block.collect_params().values():
        p.set_data(nd.array(rng.uniform(-0.4, 0.4, p.shape), dtype='float64'))
    head = rng.uniform(-1, 1, (1, 4, 4, 4))
    x.attach_grad()
    with autograd.record():
        y = block(x)
    y.backward(nd.array(head, dtype='float64'))

    def loss():
        return float((block(x).asnumpy() * head).sum())

    arrays = [('x', x, x.grad.asnumpy())] + [(k, p.data(), p.grad().asnumpy())
                                             for k, p in block.collect_params().items()]
    eps = 1e-6
    for name, arr, grad in arrays:
        flat = arr.asnumpy().reshape(-1)
        for i in rng.choice(flat.size, size=min(6, flat.size), replace=False):
            keep = flat[i]
            numeric = []
            for step in (eps, -eps):
                flat[i] = keep + step
                arr[:] = nd.array(flat.reshape(arr.shape), dtype='float64')
                numeric.append(loss())
            flat[i] = keep
            arr[:] = nd.array(flat.reshape(arr.shape), dtype='float64')
            assert abs((numeric[0] - numeric[1]) / (2 * eps) - grad.reshape(-1)[i]) < 1e-6, name


def test_bad_arguments_raise_clear_errors():
    cnn = mx.gluon.contrib.cnn
    with pytest.raises(ValueError, match="layout must be 'NCHW'"):
        cnn.DeformableConvolution(4, layout='NHWC')
    with pytest.raises(ValueError, match='multiples of groups'):
        cnn.DeformableConvolution(3, kernel_size=3, groups=2)
    with pytest.raises(ValueError, match='kernel_size must be an int or a pair'):
        cnn.ModulatedDeformableConvolution(3, kernel_size=(3, 3, 3))


@pytest.mark.parametrize('name', ['DeformableConvolution', 'ModulatedDeformableConvolution'])
def test_a_small_net_trains(name):
    """A hybridized deformable layer learns a shifted copy of its input: the loss falls, and the
    offset convolution (zero at the start) receives gradients and moves."""
    rng = np.random.RandomState(0)
    with mx.name.NameManager():
        net = getattr(mx.gluon.contrib.cnn, name)(2, kernel_size=3, padding=1, in_channels=2)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = nd.array(rng.uniform(-1, 1, (4, 2, 8, 8)))
    target = nd.array(np.roll(x.asnumpy(), 1, axis=3))
    trainer = mx.gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05})
    losses = []
    for _ in range(15):
        with autograd.record():
            loss = ((net(x) - target) ** 2).mean()
        loss.backward()
        trainer.step(1)
        losses.append(float(loss.asscalar()))
    assert losses[-1] < 0.5 * losses[0]
    assert np.abs(net.offset_weight.data().asnumpy()).max() > 0


@pytest.mark.parametrize('name', ['DeformableConvolution', 'ModulatedDeformableConvolution'])
def test_static_alloc_graph_matches_eager(name):
    """Under ``hybridize(static_alloc=True)`` the operator reuses its column buffers across calls
    (minigluon/ops/_workspace.py): two calls on different batches, the first one's backward run
    after the second call, give eager's outputs and gradients."""
    rng = np.random.RandomState(2)
    with mx.name.NameManager():
        net = getattr(mx.gluon.contrib.cnn, name)(
            4, kernel_size=3, padding=1, in_channels=4, num_deformable_group=2,
            offset_weight_initializer=mx.init.Normal(0.5))
    net.initialize(mx.init.Xavier())
    xs = [nd.array(rng.uniform(-1, 1, (3, 4, 7, 6))) for _ in range(2)]

    def run():
        outs, grads = [], []
        with autograd.record():
            ys = [net(x) for x in xs]                 # the second call before any backward
        for y in ys:
            outs.append(y.asnumpy())
            y.backward()
            grads.append([p.grad().asnumpy().copy() for p in net.collect_params().values()])
            for p in net.collect_params().values():
                p.zero_grad()
        return outs, grads

    want = run()
    net.hybridize(static_alloc=True, static_shape=True)
    for _ in range(2):
        got = run()
        for a, b in zip(got[0] + sum(got[1], []), want[0] + sum(want[1], [])):
            assert_almost_equal(a, b, rtol=1e-5, atol=1e-5)
