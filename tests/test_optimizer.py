"""Optimizers against 10-step trajectories recorded from MXNet 1.9.1 (tools/gen_layers_fixtures.py)."""
import json
import os
import warnings

import numpy as np
import pytest

from minigluon import nd
from minigluon import optimizer as opt
from minigluon.lr_scheduler import FactorScheduler
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), 'fixtures', 'layers')
with open(os.path.join(FIX, 'optimizer.json')) as _f:
    META = json.load(_f)
DATA = np.load(os.path.join(FIX, 'optimizer.npz'))


def _run(optim, dtype, steps=10):
    w = nd.array(DATA['w0'], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        state = optim.create_state_multi_precision(0, w)
    traj = []
    for k in range(steps):
        g64 = 2.0 * (w.asnumpy().astype(np.float64) - 1.0) + DATA['noise'][k]
        optim.update_multi_precision(0, w, nd.array(g64, dtype=dtype), state)
        traj.append(w.asnumpy().astype(np.float32))
    return np.stack(traj)


@pytest.mark.parametrize('i', range(len(META['configs'])),
                         ids=['%s-%d' % (c[0], i) for i, c in enumerate(META['configs'])])
def test_trajectory_matches_mxnet(i):
    name, kwargs, dtype = META['configs'][i]
    traj = _run(opt.create(name, **kwargs), dtype)
    if dtype == 'float16':
        assert_almost_equal(traj, DATA['traj_%d' % i], rtol=2e-3, atol=2e-3)
    else:          # every float32 trajectory equals MXNet's to the last bit
        np.testing.assert_array_equal(traj, DATA['traj_%d' % i])


def test_adamw_matches_mxnet_adamw_update():
    """AdamW runs the kernel of nd.contrib.adamw_update: MXNet's trajectory to the last bit."""
    kw = META['adamw']
    traj = _run(opt.create('adamw', **kw), 'float32')
    np.testing.assert_array_equal(traj, DATA['traj_adamw'])


def test_registry_and_errors():
    assert isinstance(opt.create('SGD', learning_rate=0.5), opt.SGD)
    assert opt.create('adam').learning_rate == 0.001
    assert opt.Optimizer().learning_rate == 0.01
    with pytest.raises(ValueError, match='Cannot find optimizer'):
        opt.create('nosuch')

    @opt.register
    class MyOpt(opt.SGD):
        pass
    assert isinstance(opt.create('myopt'), MyOpt)
    del opt.Optimizer.opt_registry['myopt']


def test_lr_wd_mult_and_param_dict():
    o = opt.SGD(learning_rate=1.0, wd=0.1, param_idx2name={0: 'fc_weight', 1: 'fc_bias'})
    assert o._get_wd(0) == pytest.approx(0.1) and o._get_wd(1) == 0.0   # biases get no decay
    o.set_lr_mult({'fc_weight': 0.5})
    assert o._get_lr(0) == 0.5 and o._get_lr(1) == 1.0

    class P:
        lr_mult, wd_mult = 0.25, 2.0
    o = opt.SGD(learning_rate=1.0, wd=0.1, param_dict={0: P()})
    assert o._get_lr(0) == 0.25 and o._get_wd(0) == pytest.approx(0.2)
    # plain SGD step with the multipliers: w -= lr*(g + wd*w)
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, -0.5])
    o.update(0, w, g, o.create_state(0, w))
    assert_almost_equal(w, np.array([1.0, 2.0]) - 0.25 * (np.array([0.5, -0.5]) + 0.2 * np.array([1.0, 2.0])))


def test_scheduler_and_num_update():
    sched = FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    o = opt.SGD(lr_scheduler=sched)
    w = nd.array([0.0])
    lrs = []
    for _ in range(5):
        lrs.append(o.learning_rate)
        o.update(0, w, nd.array([1.0]), None)
    assert o.num_update == 5
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5]
    with pytest.raises(UserWarning):
        o.set_learning_rate(0.1)
    with pytest.warns(UserWarning, match='overwritten'):
        opt.SGD(learning_rate=0.3, lr_scheduler=FactorScheduler(step=2, base_lr=1.0))


def test_raw_numpy_arrays_and_updater():
    w = np.ones(3, dtype=np.float32)
    o = opt.Adam(learning_rate=0.1)
    upd = opt.get_updater(o)
    upd(0, np.full(3, 2.0, np.float32), w)
    # first Adam step moves each weight by lr (bias-corrected mean/sqrt(var) == sign(g))
    assert_almost_equal(w, np.full(3, 0.9, np.float32), rtol=1e-5, atol=1e-6)
    assert isinstance(upd.states[0][0], np.ndarray)


@pytest.mark.parametrize('name', ['sgd', 'nag', 'adam', 'adagrad', 'adadelta', 'rmsprop', 'adamax',
                                  'nadam', 'ftml', 'signum', 'ftrl', 'dcasgd', 'lamb'])
def test_update_leaves_the_gradient_untouched(name):
    # MXNet 1.9.1's AdaDelta scales the gradient array in place (grad *= rescale_grad); the
    # gradient is the caller's, so none of ours writes to it.
    o = opt.create(name, rescale_grad=0.5, clip_gradient=0.3, wd=0.01)
    w = nd.array([1.0, -2.0, 3.0])
    g = nd.array([0.5, -0.25, 2.0])
    state = o.create_state_multi_precision(0, w)
    o.update_multi_precision(0, w, g, state)
    np.testing.assert_array_equal(g.asnumpy(), np.array([0.5, -0.25, 2.0], np.float32))
    assert not np.array_equal(w.asnumpy(), np.array([1.0, -2.0, 3.0], np.float32))


def test_float16_without_multi_precision_warns():
    w = nd.array([1.0, 2.0], dtype='float16')
    with pytest.warns(UserWarning, match='multi_precision'):
        opt.SGD(momentum=0.9).create_state_multi_precision(0, w)


def test_update_on_gpu_matches_cpu():
    from minigluon import backend, gpu
    if not backend.cupy_available():
        pytest.skip('CuPy/GPU not available')
    w_cpu, w_gpu = nd.array(DATA['w0']), nd.array(DATA['w0'], ctx=gpu(0))
    g = DATA['noise'][0]
    for w, ctx in ((w_cpu, None), (w_gpu, gpu(0))):
        o = opt.create('adam', learning_rate=0.1, wd=0.01)
        o.update(0, w, nd.array(g, ctx=ctx), o.create_state(0, w))
    assert w_gpu.context == gpu(0)
    assert_almost_equal(w_gpu.asnumpy(), w_cpu.asnumpy(), rtol=1e-5, atol=1e-6)


def test_sgd_nag_adam_rmsprop_reproduce_mxnet_bit_for_bit_in_float32():
    # tools/gen_optimizer_exact_fixtures.py: MXNet 1.9.1's update kernels compute 1 - beta, lr*wd
    # and lr*rescale in float32 and in a fixed order; minigluon does the same, so the weights after
    # six updates are equal to the last bit (plain, clipped, momentum, Nesterov, Adam, RMSProp)
    data = np.load(os.path.join(os.path.dirname(__file__), 'fixtures', 'optimizer_extra',
                                'exact_updates.npz'))
    for i, (name, kwargs, *dtype) in enumerate(json.loads(str(data['configs']))):
        dtype = dtype[0] if dtype else 'float32'      # float64 too: scalars rounded via float32
        optim = opt.create(name, **kwargs)
        w = nd.array(data['w0'], dtype=dtype)
        state = optim.create_state(0, w)
        for g in data['grads']:
            optim.update(0, w, nd.array(g, dtype=dtype), state)
        np.testing.assert_array_equal(w.asnumpy(), data['w_%d' % i], err_msg='%s %s' % (name, kwargs))
