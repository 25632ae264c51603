"""What GluonNLP 0.10.0's unchanged code needed from minigluon (tools/check_gluonnlp.py runs it on
MXNet 1.9.1 and minigluon). These tests pin each gap with small programs of our own; none imports
GluonNLP. Expected values follow MXNet 1.9.1's source, as each test's comment says."""
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minigluon as mx
from minigluon import registry
from minigluon.base import TypeAssertionError, ValueAssertionError
from minigluon.contrib.amp import amp
from minigluon.data import dataloader
from minigluon.utils import _get_repo_file_url, _get_repo_url


# -- mx.registry ------------------------------------------------------------------------------

class _Base:
    def __init__(self, size=1):
        self.size = size


class _Other:
    pass


def _fresh_base():
    """A new base class per test, so the module-wide tables do not carry over between tests."""
    return type('Thing', (_Base,), {})


def test_registry_register_and_create_by_lower_case_name():
    base = _fresh_base()
    register = registry.get_register_func(base, 'thing')
    create = registry.get_create_func(base, 'thing')
    big = register(type('BigThing', (base,), {}))      # returns the class: usable as a decorator
    assert registry.get_registry(base) == {'bigthing': big}
    made = create('BIGTHING', 7)                          # names are case-insensitive
    assert type(made) is big and made.size == 7
    assert type(create(thing='bigthing', size=3)) is big  # the name under the keyword `nickname`
    assert create(made) is made                           # an instance passes through


def test_registry_create_from_dict_and_json_configs():
    base = _fresh_base()
    registry.get_alias_func(base, 'thing')('a', 'b')(type('AB', (base,), {}))
    create = registry.get_create_func(base, 'thing')
    assert sorted(registry.get_registry(base)) == ['a', 'b']
    assert create({'thing': 'a', 'size': 4}).size == 4
    assert create('["b", {"size": 5}]').size == 5          # JSON [name, kwargs]
    assert create('{"thing": "a", "size": 6}').size == 6   # JSON kwargs


def test_registry_copy_is_a_copy_and_reregistering_warns():
    base = _fresh_base()
    register = registry.get_register_func(base, 'thing')
    register(type('One', (base,), {}), 'x')
    registry.get_registry(base)['y'] = None                # a copy: the table is unchanged
    assert list(registry.get_registry(base)) == ['x']
    two = type('Two', (base,), {})
    with pytest.warns(UserWarning, match="'x'"):
        register(two, 'X')
    assert registry.get_registry(base)['x'] is two


def test_registry_errors_are_mxnets_assertion_errors():
    base = _fresh_base()
    register = registry.get_register_func(base, 'thing')
    create = registry.get_create_func(base, 'thing')
    with pytest.raises(TypeAssertionError, match='subclass of Thing'):
        register(_Other)
    with pytest.raises(ValueAssertionError, match="'nope' is not registered"):
        create('nope')
    with pytest.raises(TypeAssertionError, match='must be a str'):
        create(3)
    register(type('Z', (base,), {}))
    with pytest.raises(ValueAssertionError, match='already an instance'):
        create(create('z'), 1)
    for err in (TypeAssertionError, ValueAssertionError):
        assert issubclass(err, AssertionError)             # MXNet asserts


# -- gluon.utils / dataloader private names GluonNLP imports -------------------------------------

def test_repo_url_default_and_environment(monkeypatch):
    # MXNet 1.9.1: $MXNET_GLUON_REPO or its S3 bucket, with a trailing '/' added when missing
    monkeypatch.delenv('MXNET_GLUON_REPO', raising=False)
    assert _get_repo_url() == 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/'
    monkeypatch.setenv('MXNET_GLUON_REPO', 'http://mirror/x')
    assert _get_repo_url() == 'http://mirror/x/'
    assert _get_repo_file_url('gluon/dataset/ns', 'f.zip') == 'http://mirror/x/gluon/dataset/ns/f.zip'
    assert mx.gluon.utils._get_repo_file_url is _get_repo_file_url


def test_dataloader_as_in_context_and_forking_pickler():
    import io
    from multiprocessing.reduction import ForkingPickler
    assert dataloader.ForkingPickler is ForkingPickler
    a, b = mx.nd.array([1, 2]), mx.nd.array([[3.0]])
    out = dataloader._as_in_context((a, [b, 'tag']), mx.cpu(0))
    assert isinstance(out, list) and isinstance(out[1], list) and out[1][1] == 'tag'
    np.testing.assert_array_equal(out[0].asnumpy(), [1, 2])
    np.testing.assert_array_equal(out[1][0].asnumpy(), [[3.0]])
    buf = io.BytesIO()
    ForkingPickler(buf, pickle.HIGHEST_PROTOCOL).dump(a)   # GluonNLP's worker path
    np.testing.assert_array_equal(pickle.loads(buf.getvalue()).asnumpy(), [1, 2])


# -- amp globals -----------------------------------------------------------------------------------

def test_amp_initialized_global_follows_init():
    assert amp._amp_initialized is False and amp._loss_scaler is None
    amp.init()
    try:
        assert amp._amp_initialized is True
    finally:
        amp._restore()
    assert amp._amp_initialized is False
    with pytest.raises(AttributeError, match='_no_such'):
        amp._no_such


# -- dtype given as a NumPy type -------------------------------------------------------------------

def test_dtype_attribute_takes_a_numpy_type():
    # MXNet 1.9.1's nd and sym wrappers pass any dtype argument through np.dtype(...).name, so
    # GluonNLP's F.sample_multinomial(..., dtype=np.int32) draws int32 samples
    probs = mx.nd.array([[0.0, 1.0], [1.0, 0.0]])
    drawn = mx.nd.sample_multinomial(probs, dtype=np.int32)
    assert drawn.dtype == np.int32
    np.testing.assert_array_equal(drawn.asnumpy(), [1, 0])
    assert mx.nd.random.uniform(shape=(2,), dtype=np.float64).dtype == np.float64
    sym = mx.sym.sample_multinomial(mx.sym.var('p'), dtype=np.int32)
    assert '"dtype": "int32"' in sym.tojson()
    with pytest.raises(ValueError, match="dtype"):
        mx.nd.sample_multinomial(probs, dtype=np.complex64)


# -- compat: submodules of aliased packages ----------------------------------------------------

def test_compat_submodule_of_an_aliased_package_is_the_same_module():
    # mxnet.gluon.data is minigluon.data under another name; its submodule dataset.py must not be
    # loaded a second time (GluonNLP's dataset registry checks issubclass(SimpleDataset, Dataset))
    code = textwrap.dedent('''
        import minigluon.compat
        minigluon.compat.install_mxnet_alias()
        from mxnet.gluon.data import Dataset
        from mxnet.gluon.data.dataset import SimpleDataset
        from mxnet.gluon.data.dataloader import default_batchify_fn
        import mxnet.gluon.data.dataloader as dl
        import minigluon.data.dataloader
        assert issubclass(SimpleDataset, Dataset)
        assert dl is minigluon.data.dataloader
        import mxnet.gluon.data.vision.transforms as t1, minigluon.data.vision.transforms as t2
        assert t1 is t2
        from mxnet import registry
        print('ok')
    ''')
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == 'ok'


# -- optimizer list forms of _get_lr / _get_wd -------------------------------------------------------

class _ListSGD(mx.optimizer.Optimizer):
    """Written as optimizers outside MXNet are (GluonNLP's BERTAdam): update() takes an index or
    lists of them and calls MXNet's list helpers _update_count, _get_lrs and _get_wds."""

    def update(self, index, weight, grad, state):
        indices, weights, grads = ((index, weight, grad) if isinstance(index, (list, tuple))
                                   else ([index], [weight], [grad]))
        self._update_count(indices)
        for w, g, lr, wd in zip(weights, grads, self._get_lrs(indices), self._get_wds(indices)):
            w[:] = w - lr * (g + wd * w)


def test_optimizer_get_lrs_and_get_wds_lists():
    opt = mx.optimizer.SGD(learning_rate=0.5, wd=0.1, param_idx2name={0: 'a_weight', 1: 'b_bias'})
    opt.set_lr_mult({'a_weight': 2.0})
    opt.set_wd_mult({'b_bias': 0.0})
    assert opt._get_lrs([0, 1]) == [1.0, 0.5]       # 0.5 * lr_mult
    assert opt._get_wds([0, 1]) == [0.1, 0.0]       # 0.1 * wd_mult
    assert opt._get_lrs([]) == []


def test_trainer_steps_an_optimizer_using_the_list_helpers():
    net = mx.gluon.nn.Dense(1, in_units=2, use_bias=False)
    net.initialize(mx.init.Constant(1.0))
    trainer = mx.gluon.Trainer(net.collect_params(), _ListSGD(learning_rate=0.1, wd=0.5))
    x = mx.nd.array([[1.0, 2.0]])
    with mx.autograd.record():
        y = net(x).sum()
    y.backward()
    trainer.step(1)
    # grad of y = w . x is x = (1, 2); w <- w - 0.1 * (x + 0.5 * w) = 1 - 0.1 * (1.5, 2.5)
    np.testing.assert_allclose(net.weight.data().asnumpy(), [[0.85, 0.75]], rtol=1e-6)


# -- Symbol slices selecting no output ------------------------------------------------------------

def test_symbol_slice_of_no_output_raises_as_mxnet():
    # MXNet 1.9.1: Symbol[slice] is Group of the selected outputs, and Group([]) is a TypeError.
    # GluonNLP's TemporalActivationRegularizationLoss does state[1:] - state[:-1]: hybridized, both
    # frameworks refuse it at the slice (minigluon built an empty group that failed later)
    x = mx.sym.var('x')
    with pytest.raises(TypeError, match=r'selects none of the 1 output'):
        x[1:]
    plus = x + 1
    pair = mx.sym.Group([x, plus])
    assert pair[1:].list_outputs() == plus.list_outputs()
    assert x[0:].name == 'x'

    class TemporalDiff(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, state):
            return state[1:] - state[:-1]
    net = TemporalDiff()
    eager = net(mx.nd.array([1.0, 4.0, 9.0]))       # NDArray slicing: differences of entries
    np.testing.assert_array_equal(eager.asnumpy(), [3.0, 5.0])
    net.hybridize()
    with pytest.raises(TypeError, match='selects none'):
        net(mx.nd.array([1.0, 4.0, 9.0]))
