"""Block.summary against MXNet 1.9.1's printed tables, plus the cases where minigluon does better."""
import json
import os

import pytest

from minigluon import nd
from minigluon.block import HybridSequential, Sequential

from ._blocks import Dense

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block')
TEXT = json.load(open(os.path.join(FIX, 'summary.json')))


def _dense_net(in_units=4):
    net = HybridSequential()
    with net.name_scope():
        net.add(Dense(8, in_units=in_units, activation='relu'), Dense(2, in_units=8 if in_units else 0))
    net.initialize()
    return net


def _shared_net():
    net = Sequential()
    with net.name_scope():
        a = Dense(3, in_units=3)
        b = Dense(3, in_units=3, params=a.params)
        net.add(a, b)
    net.initialize()
    return net


def test_summary_matches_mxnet(capsys, fresh_names):
    _dense_net().summary(nd.ones((3, 4)))
    assert capsys.readouterr().out == TEXT['dense']


def test_summary_shared_layer_matches_mxnet(capsys, fresh_names):
    _shared_net().summary(nd.ones((2, 3)))
    assert capsys.readouterr().out == TEXT['shared']


def test_summary_deferred_init_has_no_symbol_row(capsys, fresh_names):
    # MXNet prints a bogus '<Symbol ...>' row here; minigluon's table equals the known-shape one
    _dense_net(in_units=0).summary(nd.ones((3, 4)))
    out = capsys.readouterr().out
    assert 'Symbol' not in out
    assert out == TEXT['dense']


def test_summary_with_user_hook(capsys, fresh_names):
    net = _shared_net()
    seen = []
    handle = net[0].register_forward_hook(lambda blk, inp, out: seen.append(out.shape))
    net.summary(nd.ones((2, 3)))
    assert capsys.readouterr().out == TEXT['shared']
    assert seen == [(2, 3)]
    assert len(net[0]._forward_hooks) == 1 and not net[1]._forward_hooks   # summary hooks removed
    handle.detach()


def test_summary_rejects_hybridized(fresh_names):
    net = _dense_net()
    net.hybridize()
    with pytest.raises(ValueError, match=r'must not be hybridized.*hybridize\(active=False\)') as err:
        net.summary(nd.ones((3, 4)))
    assert isinstance(err.value, AssertionError)      # what MXNet 1.9.1 raises here (measured)
    assert not net[0]._forward_hooks
    net.hybridize(active=False)     # the fix the message names works
    net.summary(nd.ones((3, 4)))


def test_summary_nested_output_shapes(capsys, fresh_names):
    from minigluon.block import HybridBlock

    class Two(HybridBlock):
        def hybrid_forward(self, F, x):
            return x, [x, x]
    Two().summary(nd.ones((1, 2)))
    row = '{:>20}  {:>42} {:>15}'.format('Two-1', '(1, 2), [(1, 2), (1, 2)]', 0)   # spec section 6
    assert row in capsys.readouterr().out.split('\n')
