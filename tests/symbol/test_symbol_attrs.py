"""``Symbol.list_attr`` / ``attr_dict`` / ``attr`` vs MXNet 1.9.1 (fixtures:
tools/gen_leftovers_fixtures.py, attrs.json, which stores the source line of each symbol).

MXNet stores ctx_group, lr_mult, wd_mult, force_mirroring and mirror_stage as ``__key__`` and lists a
plain ``key`` copy next to each; ``profiler_scope`` is kept under its own name, also in the JSON
(no copy, and a separate ``__profiler_scope__``). ``list_attr`` of a group is that of its first output's node.
minigluon listed no plain copies, stored profiler_scope as ``__profiler_scope__`` and gave ``{}``
for a group.
"""
import json
import os

import pytest

import minigluon as mx

with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'leftovers', 'attrs.json')) as _f:
    FIX = json.load(_f)


def _build(case):
    if case.get('exec'):
        scope = {'mx': mx}
        exec(case['src'], scope)          # noqa: S102 -- fixture source lines
        return scope['sym']
    return eval(case['src'], {'mx': mx})  # noqa: S307


@pytest.mark.parametrize('case', FIX['cases'], ids=lambda c: c['src'][:40])
def test_attributes_listed_as_mxnet(case):
    with mx.name.NameManager():
        s = _build(case)
    assert s.list_attr() == case['list_attr']
    assert s.attr_dict() == case['attr_dict']
    assert {k: s.attr(k) for k in FIX['keys']} == case['attr']


def test_plain_copies_do_not_reach_the_json():
    v = mx.sym.var('w', lr_mult=2, attr={'ctx_group': 'a', 'profiler_scope': 's'})
    attrs = json.loads(v.tojson())['nodes'][0]['attrs']
    assert attrs == {'__lr_mult__': '2', '__ctx_group__': 'a', 'profiler_scope': 's'}
    assert 'lr_mult' in v.list_attr() and 'lr_mult' not in mx.sym.load_json(v.tojson())._outputs[0][0].attrs


def test_profiler_scope_on_an_operator_keeps_its_name_through_json():
    # MXNet 1.9.1 writes relu(..., profiler_scope='s') as {"profiler_scope": "s"} and reads it back.
    for r in (mx.sym.relu(mx.sym.var('x'), profiler_scope='s'),
              mx.sym.relu(mx.sym.var('x'), attr={'profiler_scope': 's'})):
        assert r.list_attr() == {'profiler_scope': 's'}
        assert json.loads(r.tojson())['nodes'][-1]['attrs'] == {'profiler_scope': 's'}
        assert mx.sym.load_json(r.tojson()).list_attr() == {'profiler_scope': 's'}
