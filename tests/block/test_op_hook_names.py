"""The names MXNet 1.9.1's op hook gives each operator's inputs and outputs
(``Op.mxnet_input_names`` / ``mxnet_output_names``, :func:`minigluon.symbol.graph.hook_names`),
operator by operator against tests/fixtures/op_hook (tools/gen_op_hook_fixtures.py)."""
import functools
import json
import os

import pytest

from minigluon import sym
from minigluon.symbol.graph import hook_names

with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'op_hook',
                       'op_hook_names.json')) as _f:
    FIXTURE = json.load(_f)                # what MXNet's hook called them, per operator


def one_node_graph(op_name, call):
    """The one-node graph MXNet ran (tools/gen_op_hook_fixtures.py): ``v<i>`` for the inputs."""
    n_in = len(call['inputs'])
    nodes = [{'op': 'null', 'name': 'v%d' % i, 'inputs': []} for i in range(n_in)]
    nodes.append({'op': op_name, 'name': FIXTURE['node'], 'attrs': call['attrs'],
                  'inputs': [[i, 0, 0] for i in range(n_in)]})
    graph = {'nodes': nodes, 'arg_nodes': list(range(n_in)), 'heads': [[n_in, 0, 0]],
             'node_row_ptr': list(range(n_in + 2)), 'attrs': {'mxnet_version': ['int', 10901]}}
    return sym.load_json(json.dumps(graph))


@pytest.mark.parametrize('op_name', sorted(FIXTURE['ops']))
def test_hook_names_of_each_operator_as_mxnet(op_name):
    call = FIXTURE['ops'][op_name]
    node = [n for n in one_node_graph(op_name, call)._nodes() if not n.is_variable][0]
    ins, outs = hook_names(node)
    assert ins + outs == call['names']


def test_fixture_covers_both_kinds():
    # the table is not trivially all-declared or none-declared
    names = [c['names'] for c in FIXTURE['ops'].values()]
    assert any('input0' in n for n in names) and any('data' in n for n in names)
    assert any('0' in n for n in names) and any('output' in n for n in names)
    assert len(FIXTURE['ops']) > 300


with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'op_hook', 'mxnet.json')) as _f:
    PROGRAM = json.load(_f)                # tests/_op_hook_program.py run on MXNet


@functools.lru_cache(maxsize=None)
def _program_on_minigluon():
    import minigluon
    import _op_hook_program
    return _op_hook_program.run(minigluon)


@pytest.mark.parametrize('key', sorted(PROGRAM))
def test_hook_calls_of_hybridized_blocks_as_mxnet(key):
    # every call, in order: names (relu0_0, _plus0_output, dense0_fwd_data, relu0_input0,
    # split0_output0...), operators, and which outputs are reported (a split's part that
    # nothing reads is not, except with static_alloc)
    assert _program_on_minigluon()[key] == PROGRAM[key]


def test_every_declared_name_flag_is_measured():
    # a class claims registered names only where the fixture shows them for one of its names
    from minigluon.ops import OPS
    measured = {type(None)}
    for name in FIXTURE['ops']:
        measured.add(OPS[name])
    claimed = {cls for cls in OPS.values()
               if cls.mxnet_input_names is not False or cls.mxnet_output_names is not False}
    assert claimed <= measured, sorted(c.name for c in claimed - measured)
