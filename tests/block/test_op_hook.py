"""HybridBlock.register_op_hook: per-operator callbacks of the cached graph (MXNet 1.9.1 names)."""
import json
import os

import numpy as np
import pytest

from minigluon import nd, nn
from minigluon.test_utils import assert_almost_equal

with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block', 'audit.json')) as _f:
    MXNET = json.load(_f)                      # tools/gen_audit_fixtures.py


def _net():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(3, activation='relu', in_units=2), nn.Dense(2, in_units=3))
    net.initialize()
    return net


def test_op_hook_reports_every_output_with_mxnet_names(fresh_names):
    net = _net()
    seen = []
    net.register_op_hook(lambda name, op, arr: seen.append((name, op, arr.asnumpy().copy())))
    x = nd.array([[0.5, -1.0]])
    net(x)
    assert seen == []                              # eager calls are not monitored (as in MXNet)
    net.hybridize()
    out = net(x)
    # the names MXNet 1.9.1 gives for the same network (register_op_hook, monitor_all=False)
    assert [[n, o] for n, o, _ in seen] == MXNET['op_hook']
    w0, b0 = net[0].weight.data().asnumpy(), net[0].bias.data().asnumpy()
    assert_almost_equal(seen[0][2], x.asnumpy() @ w0.T + b0)
    assert_almost_equal(seen[1][2], np.maximum(seen[0][2], 0))
    assert_almost_equal(seen[2][2], out)


def test_op_hook_monitor_all_inputs_first_and_survives_rebuild(fresh_names):
    net = _net()
    net.hybridize()
    net(nd.ones((1, 2)))                           # the graph exists before the hook is added
    seen = []
    net.register_op_hook(lambda name, op, arr: seen.append([name, op]), monitor_all=True)
    net(nd.ones((1, 2)))
    # as MXNet 1.9.1: Activation's input is 'input0' (MXNet registers no input names for it;
    # minigluon said 'data')
    assert seen == MXNET['op_hook_all'] and len(seen) == 4 + 2 + 4
    net.hybridize()                                # clears the cache; the rebuilt graph keeps the hook
    seen.clear()
    net(nd.ones((1, 2)))
    assert len(seen) == 10
    net.register_op_hook(None)
    seen.clear()
    net(nd.ones((1, 2)))
    assert seen == []


def test_op_hook_rejects_non_callable(fresh_names):
    net = _net()
    with pytest.raises(TypeError, match='callback must be callable'):
        net.register_op_hook('not a function')
    net.hybridize()
    net(nd.ones((1, 2)))
    with pytest.raises(TypeError, match='callback must be callable'):
        net.register_op_hook(3)


def test_op_hook_keeps_the_failing_node_and_layer_in_the_error(fresh_names):
    # with a hook the graph runs node by node through invoke, whose MXNetValueError passed
    # unnamed ('FullyConnected: data has 3 features...'), where the plan names the node and layer
    net = _net()
    net.hybridize()
    net(nd.ones((1, 2)))
    net.register_op_hook(lambda name, op, arr: None)
    with pytest.raises(ValueError, match=r"^hybridsequential0_dense0 \(Dense\): node "
                                         r"'hybridsequential0_dense0_fwd': FullyConnected"):
        net(nd.ones((1, 3)))


def test_op_hook_names_the_node_operator_of_broadcast_nodes(fresh_names):
    # MXNet 1.9.1 reports each node's own operator: broadcast_mul / broadcast_add for those nodes,
    # elemwise_add for ``a + b`` (its _plus); minigluon reported the shared operator class's name
    # (elemwise_mul / elemwise_add) for the broadcast nodes (tests/test_wild_scripts_14.py
    # compares the same with MXNet's record)
    from minigluon import gluon

    class Gate(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.broadcast_add(F.broadcast_mul(x, F.sum(x, axis=1, keepdims=True)), x) + x

    gate = Gate()
    gate.hybridize()
    ops = []
    gate.register_op_hook(lambda name, op, arr: ops.append(op))
    gate(nd.ones((2, 3)))
    assert ops == ['sum', 'broadcast_mul', 'broadcast_add', 'elemwise_add']
