"""Regressions found by breaker21: saving and loading (parameters, optimizer states) and the
lifecycle of a Parameter around hybridized calls. MXNet's numbers and files come from
tools/gen_breaker21_fixtures.py (tests/_breaker21_program.py run on MXNet 1.9.1)."""
import os
import shutil
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd

sys.path.insert(0, os.path.dirname(__file__))
import _breaker21_program as program  # noqa: E402
from _breaker import FIXTURES, as_json, mxnet_fixture, same_json  # noqa: E402

HERE = os.path.join(FIXTURES, 'breaker21')


# --- 1. LBSGD's open gradient sum in Trainer.save_states ------------------------------------------

def test_lbsgd_resumes_mxnets_states_in_the_middle_of_a_macro_batch(tmp_path):
    """MXNet 1.9.1 pickles LBSGD's running gradient sum (``cumgrads``) with the optimizer; a
    Trainer loading that file now continues the macro-batch from it (it dropped the sum, so the
    next update used half a macro-batch's gradient: 0.07 off MXNet's weights)."""
    for name in ('lbsgd.params', 'lbsgd.states'):
        shutil.copy(os.path.join(HERE, name), str(tmp_path))
    got = program.after(mx, str(tmp_path), 'lbsgd')
    same_json(as_json(got), mxnet_fixture('breaker21')['after']['lbsgd'], 'after')


def test_lbsgd_round_trip_of_minigluons_own_states_file(tmp_path):
    """minigluon's own states file keeps the open sum too ('optimizer:<index>' arrays): the
    resumed run reaches MXNet's weights, as the uninterrupted run does."""
    before = program.before(mx, str(tmp_path), 'lbsgd')
    same_json(as_json(before), mxnet_fixture('breaker21')['before']['lbsgd'], 'before')
    loaded = nd.load(str(tmp_path / 'lbsgd.states'))
    assert sorted(k for k in loaded if k.startswith('optimizer:')) == ['optimizer:0', 'optimizer:1']
    got = program.after(mx, str(tmp_path), 'lbsgd')
    same_json(as_json(got), mxnet_fixture('breaker21')['after']['lbsgd'], 'after')


@pytest.mark.parametrize('tag', sorted(set(program.OPTIMIZERS) - {'lbsgd'}))
def test_other_optimizers_resume_mxnets_states_and_their_own(tag, tmp_path):
    """Adamax, Ftrl, LAMB, DCASGD, GroupAdaGrad and Test, whose MXNet 1.9.1 states files no
    other fixture holds: MXNet's pickle and minigluon's own file both resume to MXNet's
    weights (no fix needed; kept so that they stay so)."""
    want = mxnet_fixture('breaker21')
    for name in (tag + '.params', tag + '.states'):
        shutil.copy(os.path.join(HERE, name), str(tmp_path))
    same_json(as_json(program.after(mx, str(tmp_path), tag)), want['after'][tag], tag)
    own = tmp_path / 'own'
    own.mkdir()
    same_json(as_json(program.before(mx, str(own), tag)), want['before'][tag], tag)
    same_json(as_json(program.after(mx, str(own), tag)), want['after'][tag], tag)


def _lbsgd_trainer():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), 'lbsgd', dict(program.LBSGD))
    return net, trainer


def test_lbsgd_states_saved_on_a_closed_macro_batch_clear_an_open_sum(tmp_path):
    """A file saved after a macro-batch's update holds no sum; loading it into a Trainer whose
    LBSGD has a sum open drops that sum (the file's position in the macro-batch wins)."""
    net, trainer = _lbsgd_trainer()
    for call in range(2):
        program._step(mx, net, trainer, call)
    trainer.save_states(str(tmp_path / 'closed.states'))
    assert not any(k.startswith('optimizer:') for k in nd.load(str(tmp_path / 'closed.states')))
    program._step(mx, net, trainer, 2)
    assert trainer._optimizer.array_state()
    trainer.load_states(str(tmp_path / 'closed.states'))
    assert trainer._optimizer.array_state() == {}


def test_open_sums_of_another_shape_are_refused_before_anything_changes(tmp_path):
    """The sums are checked against the parameters (minigluon's file and MXNet's) first."""
    net, trainer = _lbsgd_trainer()
    program._step(mx, net, trainer, 0)
    trainer.save_states(str(tmp_path / 'open.states'))
    for fname in (str(tmp_path / 'open.states'), os.path.join(HERE, 'lbsgd.states')):
        other = gluon.nn.Dense(2, in_units=5)
        other.initialize()
        trainer2 = gluon.Trainer(other.collect_params(), 'lbsgd', dict(program.LBSGD))
        with pytest.raises(ValueError, match='shape'):
            trainer2.load_states(fname)
        assert trainer2._optimizer.array_state() == {}
        assert trainer2._optimizer.num_update == 0


def test_lbsgd_open_sums_of_a_kvstore_with_str_keys_round_trip(tmp_path):
    """KVStore.save_optimizer_states / load_optimizer_states keep the open sums under the
    store's own keys: a store resumed mid macro-batch updates as the uninterrupted one."""
    def store():
        kv = mx.kv.create('local')
        kv.set_optimizer(mx.optimizer.create('lbsgd', **dict(program.LBSGD)))
        kv.init('w', nd.ones((2,)))
        kv.init('v', nd.ones((3,)))
        return kv
    kv = store()
    for i in range(3):
        kv.push('w', nd.array([1., -2.]) * (i + 1))
        kv.push('v', nd.array([1., 2., 3.]) * (i - 1))
    kv.save_optimizer_states(str(tmp_path / 'kv.states'), dump_optimizer=True)
    kv2 = store()
    kv2.load_optimizer_states(str(tmp_path / 'kv.states'))
    for key in ('w', 'v'):
        weight = nd.zeros(kv._store[key].shape)
        kv.pull(key, out=weight)
        kv2._store[key]._data[...] = weight._data
    assert sorted(kv2._updater.optimizer.array_state()) == ['v', 'w']
    for k in (kv, kv2):
        k.push('w', nd.array([5., 5.]))
        k.push('v', nd.array([-1., 0., 1.]))
    for key in ('w', 'v'):
        a, b = nd.zeros(kv._store[key].shape), nd.zeros(kv._store[key].shape)
        kv.pull(key, out=a)
        kv2.pull(key, out=b)
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


# --- 2. set_data while the shape waits for data ---------------------------------------------------

def test_values_set_before_the_shape_is_known_take_the_parameters_dtype():
    """``set_data`` of a float64 array on a float32 Parameter whose shape waits for data (or a
    ``cast`` after it) left the data in the array's dtype at the first call: ``weight.dtype``
    said float32 (float64) while ``weight.data()`` was float64 (float32). Deliberate
    difference: MXNet 1.9.1 also keeps the array's dtype, and its first call then fails on the
    mix of dtypes; minigluon stores the values in the Parameter's dtype, as ``set_data`` does
    once there is data."""
    mxnet = mxnet_fixture('breaker21')['deferred_set_data']
    assert mxnet == {'other_dtype': 'error', 'cast_after': 'error'}
    for hybridize in (False, True):
        got = program.deferred_set_data(mx) if not hybridize else _hybridized_deferred_set_data()
        assert got['other_dtype'] == [[[6.0, 15.0]], 'float32', 'float32']
        assert got['cast_after'] == [[[6.0, 15.0]], 'float64', 'float64']


def _hybridized_deferred_set_data():
    original = gluon.nn.Dense

    class Hybridized(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.hybridize(static_alloc=True)
    gluon.nn.Dense = Hybridized
    try:
        return program.deferred_set_data(mx)
    finally:
        gluon.nn.Dense = original


# --- 3. ParameterDict.setattr's warning about an empty selection ----------------------------------

def test_freezing_layer_by_layer_through_parameterless_layers_is_silent():
    """Freezing the first layers one by one (``for layer in net[:3]:
    layer.collect_params().setattr('grad_req', 'null')``) met a pooling or activation layer,
    whose dict is empty, and warned that a pattern matched nothing though none was given
    (MXNet 1.9.1 is silent); a pattern that matches none of a block's Parameters still warns."""
    import warnings
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(2, 3, in_channels=1), gluon.nn.Activation('relu'),
            gluon.nn.MaxPool2D(), gluon.nn.Flatten(), gluon.nn.Dense(2, in_units=2))
    net.initialize()
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for layer in net[:4]:
            layer.collect_params().setattr('grad_req', 'null')
        net[1].collect_params('.*weight').setattr('lr_mult', 0.5)   # no Parameters to match
    assert [p.grad_req for p in net.collect_params().values()] == ['null', 'null', 'write', 'write']
    with pytest.warns(UserWarning, match='changes nothing'):
        net.collect_params('.*features.*').setattr('grad_req', 'null')


# --- 4. nd.save of a name UTF-8 cannot encode ----------------------------------------------------

def test_a_name_utf8_cannot_encode_is_refused_naming_it_and_the_old_file_stays(tmp_path):
    """A lone surrogate (what ``os.fsdecode`` makes of undecodable bytes) raised a bare
    UnicodeEncodeError from inside the writer, naming neither the name nor the format (MXNet
    1.9.1's too); now a ValueError names it, and the file saved before is kept."""
    from minigluon.base import MXNetError
    path = str(tmp_path / 'a.params')
    nd.save(path, {'ok': nd.ones((2,))})
    before = open(path, 'rb').read()
    with pytest.raises(ValueError, match=r"name 'w\\ud800' cannot be stored.*UTF-8") as info:
        nd.save(path, {'ok': nd.zeros((2,)), 'w\ud800': nd.ones((1,))})
    assert isinstance(info.value, MXNetError)
    assert open(path, 'rb').read() == before and os.listdir(str(tmp_path)) == ['a.params']


# --- 5. a file of the wrong kind says what it is --------------------------------------------------

def test_files_of_the_wrong_kind_say_what_they_are_and_what_loads_them(tmp_path):
    """Each loader given another of the saved files (a very common slip: the two files of an
    export swapped, the states file given for the parameters) named offsets, magic numbers or
    every name as a missing or extra Parameter ('state:0:0'); now it says what the file is and
    which call reads it. MXNet 1.9.1 raises its C++ errors ('Invalid NDArray file format',
    UnicodeDecodeError, 'invalid load key')."""
    from minigluon.base import MXNetFormatError
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(2, in_units=2))
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 2)))
    prefix = str(tmp_path / 'm')
    symbol_file, params_file = net.export(prefix)
    trainer = gluon.Trainer(net.collect_params(), 'sgd')
    states_file = str(tmp_path / 'm.states')
    trainer.save_states(states_file)
    with pytest.raises(MXNetFormatError, match='holds optimizer states.*trainer.load_states'):
        net.load_parameters(states_file)
    with pytest.raises(MXNetFormatError, match='holds optimizer states.*trainer.load_states'):
        gluon.SymbolBlock.imports(symbol_file, ['data'], states_file)
    with pytest.raises(MXNetFormatError, match='JSON text, as a -symbol.json.*SymbolBlock.imports'):
        net.load_parameters(symbol_file)
    with pytest.raises(MXNetFormatError, match=r'NDArray \(.params\) file.*-symbol.json'):
        gluon.SymbolBlock.imports(params_file, ['data'], symbol_file)
    with pytest.raises(MXNetFormatError, match='Python pickle.*trainer.load_states'):
        nd.load(os.path.join(HERE, 'lbsgd.states'))


# --- 6. a hybrid_forward returning None ---------------------------------------------------------

@pytest.mark.parametrize('returned, shown', [(lambda x: None, 'None'),
                                             (lambda x: (x, None), r'\(Symbol, None\)'),
                                             (lambda x: [], r'\[\]')])
def test_hybridized_none_or_empty_output_names_the_block_and_what_it_returned(returned, shown):
    """Hybridized, a ``hybrid_forward`` returning None, ``(x, None)`` or ``[]`` (which runs
    eagerly) failed with 'Group: expected a non-empty list of Symbols, got [None]' (MXNet
    1.9.1: 'Expected a list of symbols as input', IndexError); the error now names the block
    and what it returned."""
    class Returns(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return returned(x)
    block = Returns(prefix='ret_')
    block(nd.ones((2,)))                  # eagerly it runs
    block.hybridize()
    with pytest.raises(ValueError, match=r'ret \(Returns\): when hybridized, hybrid_forward must '
                                         r'return Symbols.*returned %s' % shown):
        block(nd.ones((2,)))


def test_groupadagrad_states_round_trip_through_a_kvstore(tmp_path):
    """GroupAdaGrad keeps a ``(rows, 1)`` history per weight; minigluon's own states file was
    refused on loading ('holds an optimizer state of shape (2, 1) ... but that parameter has
    shape (2, 3)'), by a Trainer (test above) and by a KVStore."""
    def store():
        kv = mx.kv.create('local')
        kv.set_optimizer(mx.optimizer.create('groupadagrad', learning_rate=0.1))
        kv.init(3, nd.ones((2, 3)))
        return kv
    kv = store()
    kv.push(3, nd.array([[1., 2., 3.], [-1., 0., 2.]]))
    kv.save_optimizer_states(str(tmp_path / 'kv.states'))
    kv2 = store()
    kv2.load_optimizer_states(str(tmp_path / 'kv.states'))
    np.testing.assert_array_equal(kv2._updater.states[3].asnumpy(), kv._updater.states[3].asnumpy())
    assert kv2._updater.states[3].shape == (2, 1)


# --- 7. a hybridized block and its eager twin through random lifecycles --------------------------

class _Det(mx.init.Initializer):
    """Values from the name and shape alone (deferred initialisations happen at other times in
    the two twins, so random draws would differ)."""

    def __init__(self, salt=0):
        super().__init__(salt=salt)
        self.salt = salt

    def _init_weight(self, name, arr):
        n = int(np.prod(arr.shape))
        arr[:] = nd.array(np.sin(np.arange(n) * 0.7 + len(name) + self.salt).reshape(arr.shape)
                          * 0.5, dtype=arr.dtype)

    _init_bias = _init_gamma = _init_beta = _init_weight


def _twin():
    net = gluon.nn.HybridSequential(prefix='twin_')
    with net.name_scope():
        net.add(gluon.nn.Dense(4, activation='tanh'), gluon.nn.BatchNorm(), gluon.nn.Dense(3))
    net.initialize(_Det())
    return net


def _close(a, b):
    return np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)


def _lifecycle(seed, tmp_path):
    """Apply one random sequence of changes (hybridize with each flag set or off, set_data,
    cast of the block or of one Parameter, force_reinit, save/load with and without casts,
    grad_req, reset_ctx, zero_grad; values set while a shape waits for data) to a block and,
    but for hybridize, to its eager twin, calling both now and then (recording some calls):
    outputs, gradients and Parameters must agree, and each Parameter's data have its dtype.
    Returns what went wrong, or None."""
    import random
    rng = random.Random(seed)
    a, b = _twin(), _twin()
    in_dim, dtype = rng.randint(1, 4), 'float32'
    if rng.random() < 0.4:      # values (in another dtype) for a weight whose shape waits for data
        v = np.cos(np.arange(4 * in_dim)).reshape(4, in_dim)
        for net in (a, b):
            net[0].weight.set_data(nd.array(v, dtype='float64'))
    ops = ['call', 'call', 'record', 'record', 'hybridize', 'off', 'set_data', 'cast', 'pcast',
           'reinit', 'save_load', 'load_saved', 'grad_req', 'reset_ctx', 'zero_grad']
    for step in range(rng.randint(3, 10)):
        op = rng.choice(ops)
        pa, pb = list(a.collect_params().values()), list(b.collect_params().values())
        ready = all(p._data is not None for p in pa)
        if op == 'hybridize':
            a.hybridize(**rng.choice([{}, {'static_alloc': True},
                                      {'static_alloc': True, 'static_shape': True}]))
        elif op == 'off':
            a.hybridize(active=False)
        elif op == 'set_data' and ready:
            i = rng.randrange(len(pa) - 2)          # (not the running variance: it stays >= 0)
            v = np.random.RandomState(step).randn(*pa[i].shape)
            pa[i].set_data(nd.array(v, dtype=pa[i].dtype))
            pb[i].set_data(nd.array(v, dtype=pb[i].dtype))
        elif op == 'cast':
            dtype = rng.choice(['float32', 'float64'])
            a.cast(dtype)
            b.cast(dtype)
        elif op == 'pcast':
            i, t = rng.randrange(len(pa)), rng.choice(['float32', 'float64'])
            pa[i].cast(t)
            pb[i].cast(t)
        elif op == 'reinit':
            salt = rng.randrange(100)
            for net in (a, b):
                net.initialize(_Det(salt), force_reinit=True)
        elif op == 'save_load' and ready:
            a.save_parameters(str(tmp_path / 'p'))
            for net in (a, b):
                net.load_parameters(str(tmp_path / 'p'), cast_dtype=True)
        elif op == 'load_saved' and ready:
            dtype = rng.choice(['float32', 'float64'])
            c = _twin()
            a.save_parameters(str(tmp_path / 'q'))
            c.load_parameters(str(tmp_path / 'q'), cast_dtype=True)
            c.cast(dtype)
            c.save_parameters(str(tmp_path / 'q'))
            for net in (a, b):
                net.load_parameters(str(tmp_path / 'q'), cast_dtype=True, dtype_source='saved')
        elif op == 'grad_req':
            i, req = rng.choice([0, 1, 2, 3, 6, 7]), rng.choice(['write', 'null', 'add'])
            pa[i].grad_req = pb[i].grad_req = req
        elif op == 'reset_ctx' and ready:
            ctx = mx.cpu(rng.randrange(2))
            a.collect_params().reset_ctx(ctx)
            b.collect_params().reset_ctx(ctx)
        elif op == 'zero_grad':
            a.collect_params().zero_grad()
            b.collect_params().zero_grad()
        elif op in ('call', 'record'):
            ctx = pa[0].list_ctx()[0] if ready else mx.cpu(0)
            x = np.random.RandomState(step + 10).randn(rng.randint(1, 4), in_dim)
            xa, xb = nd.array(x, dtype=dtype, ctx=ctx), nd.array(x, dtype=dtype, ctx=ctx)
            if op == 'call':
                ya, yb = a(xa), b(xb)
            else:
                xa.attach_grad()
                xb.attach_grad()
                with autograd.record():
                    ya = a(xa)
                    loss_a = (ya * ya).sum()
                with autograd.record():
                    yb = b(xb)
                    loss_b = (yb * yb).sum()
                loss_a.backward()
                loss_b.backward()
                if not _close(xa.grad.asnumpy(), xb.grad.asnumpy()):
                    return 'the input gradients differ after %s' % op
                for p, q in zip(a.collect_params().values(), b.collect_params().values()):
                    if p.grad_req != 'null' and not all(_close(g.asnumpy(), h.asnumpy()) for g, h
                                                        in zip(p.list_grad(), q.list_grad())):
                        return 'the gradients of %s differ' % p.name
            if ya.dtype != yb.dtype or not _close(ya.asnumpy(), yb.asnumpy()):
                return 'the outputs differ'
        for p, q in zip(a.collect_params().values(), b.collect_params().values()):
            if p._data is not None:
                if np.dtype(p.data().dtype) != np.dtype(p.dtype):
                    return "%s: data() is %s but the Parameter's dtype %s" % (
                        p.name, np.dtype(p.data().dtype), np.dtype(p.dtype))
                if not _close(p.data().asnumpy(), q.data().asnumpy()):
                    return '%s differs' % p.name
    return None


def test_hybridized_block_and_its_eager_twin_agree_through_random_lifecycles(tmp_path):
    """120 random sequences of the changes a script makes between calls (see _lifecycle). It
    found no difference besides the dtype of values set while a shape waits for data (section
    2), which its first change covers."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')     # the warnings of unused Parameters and reinitialising
        failures = {seed: _lifecycle(seed, tmp_path) for seed in range(120)}
    assert {seed: why for seed, why in failures.items() if why} == {}
