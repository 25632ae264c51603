"""examples/trace_one_step.py: the calls it prints for one eager and one hybridized training step
follow docs/DESIGN.md's walk-throughs ("Following one training step", "Following one hybridized
training step"), in the guides' order, and the functions the guides name are marked."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, 'examples', 'trace_one_step.py')

EAGER = 'an eager training step'
HYBRID = 'the first hybridized training step'
FORWARD = 'loss_fn(net(x), y) under autograd.record()'
BACKWARD = 'loss.backward()'
STEP = 'trainer.step(batch_size)'

# The functions each guide names, in the order it names them (and the step runs them).
GUIDE_ORDER = {
    (EAGER, FORWARD): [
        'Block.__call__', 'HybridBlock.forward', '_ParameterAccess.data', 'Dense.hybrid_forward',
        '_make_function.<locals>.fn', 'invoke',
        'FullyConnected.forward', 'Node.__init__'],
    (EAGER, BACKWARD): [
        'NDArray.backward', 'backward', '_run_backward', '_seed_heads', '_reachable_nodes',
        '_propagate', 'FullyConnected.backward', '_write_grads'],
    (EAGER, STEP): [
        'Trainer.step', 'Trainer._set_rescale', 'Trainer._allreduce_grads', 'Trainer._update',
        'Updater.__call__', 'SGD._step'],
    (HYBRID, FORWARD): [
        'Block.__call__', 'HybridBlock.forward', 'HybridBlock._call_cached_op',
        'HybridBlock._build_cache', 'HybridBlock._get_graph', '_data_variables',
        'HybridBlock._trace_hybrid_forward', 'Parameter.var', 'make_function.<locals>.fn',
        '_create', 'new_op_node', 'CachedOp.__init__', 'make_plan', 'set_free_lists',
        '_optimise', 'HybridBlock._graph_inputs', 'CachedOp.__call__', 'CachedOp._call_planned',
        'CachedOp._raw_inputs', 'CachedOp._live', 'Op._fast', 'CachedOp._forward',
        'FullyConnected.forward', '_GraphGrad.__init__', 'Node.__init__',
        'CachedOp._wrap_outputs'],
    (HYBRID, BACKWARD): [
        '_run_backward', '_propagate', '_GraphGrad.backward', 'FullyConnected.backward',
        '_write_grads'],
    (HYBRID, STEP): [
        'Trainer.step', 'Trainer._set_rescale', 'Trainer._allreduce_grads', 'Trainer._update',
        'Updater.__call__', 'SGD._step'],
}


@pytest.fixture(scope='module')
def printed():
    """``{(step, part): [(marked, 'path.py: qualname'), ...]}`` as the example prints them."""
    out = subprocess.run([sys.executable, EXAMPLE], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=ROOT, MINIGLUON_NUMBA='0'))
    assert out.returncode == 0, out.stderr
    lists, step, part = {}, None, None
    for line in out.stdout.splitlines():
        if line.endswith('(* = named in docs/DESIGN.md)'):
            step = line.split(' (* =')[0]
        elif line.startswith('--- '):
            part = re.match(r'--- (.*): \d+ functions$', line).group(1)
            lists[step, part] = []
        elif re.match(r' *\d+ ', line):
            match = re.match(r' *\d+ ([* ]) (minigluon/\S+\.py: \S+)$', line)
            assert match, line
            lists[step, part].append((match.group(1) == '*', match.group(2)))
    return lists


def test_the_example_prints_the_six_lists(printed):
    assert sorted(printed) == sorted(GUIDE_ORDER)
    for calls in printed.values():
        names = [name for _, name in calls]
        assert len(names) == len(set(names))            # each function once
        assert not any('<listcomp>' in n or '<genexpr>' in n for n in names)


@pytest.mark.parametrize('key', sorted(GUIDE_ORDER))
def test_the_guides_functions_run_in_the_guides_order(printed, key):
    qualnames = [name.split(': ', 1)[1] for _, name in printed[key]]
    wanted = GUIDE_ORDER[key]
    missing = [w for w in wanted if w not in qualnames]
    assert missing == []
    positions = [qualnames.index(w) for w in wanted]
    assert positions == sorted(positions), [w for _, w in sorted(zip(positions, wanted))]


@pytest.mark.parametrize('key', sorted(GUIDE_ORDER))
def test_the_guides_functions_are_marked(printed, key):
    marked = {name.split(': ', 1)[1] for star, name in printed[key] if star}
    assert [w for w in GUIDE_ORDER[key] if w not in marked] == []


def test_a_hybridized_call_runs_no_operator_through_invoke(printed):
    """The guide: 'Neither `invoke` nor a node per operator is involved.'"""
    names = [name for _, name in printed[HYBRID, FORWARD]]
    assert 'minigluon/ndarray/dispatch.py: invoke' not in names
    assert 'minigluon/ndarray/dispatch.py: invoke' in [n for _, n in printed[EAGER, FORWARD]]
