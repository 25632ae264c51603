"""Blocks and Parameters on a GPU context (skipped without CuPy and a CUDA device)."""
import numpy as np
import pytest

from minigluon import autograd, backend, nd
from minigluon.context import cpu, gpu
from minigluon.test_utils import assert_almost_equal

from ._blocks import Model

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not backend.cupy_available(), reason='CuPy with a CUDA device is not available')]


def test_model_on_gpu_matches_cpu(tmp_path, fresh_names):
    net = Model()
    net.initialize(ctx=cpu())
    x = np.random.RandomState(0).randn(4, 2).astype('float32')
    ref = net(nd.array(x, ctx=cpu())).asnumpy()
    net.reset_ctx(gpu(0))
    assert net.fc1.weight.list_ctx() == [gpu(0)]
    for hybrid in (False, True):
        net.hybridize(hybrid)
        xg = nd.array(x, ctx=gpu(0))
        with autograd.record():
            y = net(xg)
        y.backward()
        assert y.context == gpu(0)
        assert_almost_equal(y, ref)
        assert net.fc1.weight.grad().context == gpu(0)
    fname = str(tmp_path / 'g.params')
    net.save_parameters(fname)
    net2 = Model()
    net2.load_parameters(fname, ctx=gpu(0))
    assert net2.fc1.weight.data().context == gpu(0)
    assert_almost_equal(net2(nd.array(x, ctx=gpu(0))), ref)
