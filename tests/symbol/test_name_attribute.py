"""NameManager, Prefix and AttrScope (mxnet.name / mxnet.attribute semantics)."""
import threading

import pytest

from minigluon.attribute import AttrScope
from minigluon.name import NameManager, Prefix


def test_counter_per_hint_and_given_name():
    with NameManager():
        nm = NameManager.current
        assert [nm.get(None, 'dense'), nm.get(None, 'dense'), nm.get(None, 'conv')] == \
            ['dense0', 'dense1', 'conv0']
        assert nm.get('mine', 'dense') == 'mine'
        assert nm.get(None, 'dense') == 'dense2'


def test_scope_restores_outer_counter():
    outer = NameManager.current
    first = outer.get(None, 'scopetest')
    with NameManager() as inner:
        assert NameManager.current is inner
        assert inner.get(None, 'scopetest') == 'scopetest0'
    assert NameManager.current is outer
    n = int(first[len('scopetest'):])
    assert outer.get(None, 'scopetest') == 'scopetest%d' % (n + 1)


def test_prefix_applies_to_given_and_automatic_names():
    with Prefix('net_'):
        nm = NameManager.current
        assert nm.get(None, 'relu') == 'net_relu0'
        assert nm.get('fc', 'x') == 'net_fc'
    with pytest.raises(TypeError, match='prefix'):
        Prefix(3)


def test_threads_share_default_but_scopes_are_thread_local():
    seen = []

    def work():
        seen.append(NameManager.current)
        with NameManager() as m:
            seen.append(NameManager.current is m)

    with NameManager() as mine:
        t = threading.Thread(target=work)
        t.start()
        t.join()
        assert NameManager.current is mine
    assert seen[0] is not mine and seen[1] is True


def test_attr_scope_nesting_and_override():
    assert AttrScope.current.get(None) == {}
    with AttrScope(group='a', lr='1'):
        with AttrScope(group='b'):
            assert AttrScope.current.get({'lr': '2'}) == {'group': 'b', 'lr': '2'}
        assert AttrScope.current.get(None) == {'group': 'a', 'lr': '1'}
    assert AttrScope.current.get(None) == {}


def test_attr_scope_rejects_non_strings():
    with pytest.raises(ValueError, match="'x'"):
        AttrScope(x=1)


def test_a_scope_entered_again_inside_itself_is_restored_on_each_exit():
    """An AttrScope or a name Prefix entered again inside its own ``with``: each exit restores
    what that entry replaced. MXNet 1.9.1 keeps one saved scope per object, so after the outer
    exit the AttrScope stays current (its attributes leak into later symbols, and an operator
    then refuses them as arguments); minigluon kept one too and failed with "'NoneType' object
    has no attribute 'get'" (found after reviewer21's note on name_scope)."""
    from minigluon import sym
    scope = AttrScope(group='4')
    with scope:
        with scope:
            pass
        assert sym.var('inside').list_attr() == {'group': '4'}
    assert sym.var('after').list_attr() == {}
    prefix = Prefix('p_')
    with prefix:
        with prefix:
            assert sym.FullyConnected(num_hidden=2).name == 'p_fullyconnected0'
        assert sym.FullyConnected(num_hidden=2).name == 'p_fullyconnected1'
    assert not sym.FullyConnected(num_hidden=2).name.startswith('p_')
