"""Block.save(prefix) / Block.load(prefix) against MXNet 1.9.1 (tools/gen_block_save_fixtures.py)."""
import hashlib
import importlib.util
import json
import os
import shutil

import numpy as np
import pytest

from minigluon import autograd, backend, current_context, gluon, nd
from minigluon.base import MXNetError, MXNetFormatError
from minigluon.name import NameManager
from minigluon.parameter import ParameterMismatchError
from minigluon.test_utils import assert_almost_equal

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block')
IO = np.load(os.path.join(FIX, 'save_io.npz'))
MG_IN_MX = json.load(open(os.path.join(FIX, 'mg_in_mxnet.json')))


def _shared_models():
    """The models of tools/gen_block_save_fixtures.py, built from the one source the generator runs
    against MXNet (its ``MODELS_SRC``): ``Pair``, ``Scale``, ``Outer``, ``make``, ``fill``,
    ``names`` and the trace counter ``TRACES``."""
    spec = importlib.util.spec_from_file_location(
        'gen_block_save_fixtures', os.path.join(os.path.dirname(__file__), '..', '..', 'tools',
                                                'gen_block_save_fixtures.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    namespace = {'gluon': gluon, 'nd': nd}
    exec(tool.MODELS_SRC, namespace)
    return namespace


_MODELS = _shared_models()
TRACES, Pair, Outer = _MODELS['TRACES'], _MODELS['Pair'], _MODELS['Outer']
make, fill, names = _MODELS['make'], _MODELS['fill'], _MODELS['names']


class Twice(gluon.HybridBlock):
    """One Dense registered under two attribute names and applied twice (a shared layer: its graph
    has two nodes named ``twice0_dense0_fwd``, which MXNet's load_json accepts)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.a = gluon.nn.Dense(2, in_units=2)
            self.b = self.a

    def hybrid_forward(self, F, x):
        return self.b(self.a(x))


def run(kind, net):
    if kind == 'seq':
        return [net(nd.array(IO['x']))]
    return list(net(nd.array(IO['x']), nd.array(IO['y'])))


def saved_model(kind, folder, hybridize=True):
    """Build, fill, (hybridize and) call, and save a model under fresh names; return it and prefix."""
    with NameManager():
        net = make(kind)
        net.initialize()
        fill(net)
        if hybridize:
            net.hybridize()
        run(kind, net)
    prefix = str(folder / kind)
    net.save(prefix)
    return net, prefix


def shifted(kind):
    """A fresh model whose automatic names differ from the saved ones (``...1`` instead of ``...0``)."""
    with NameManager():
        make(kind)
        return make(kind)


def state(net):
    """Everything load may change: names, parameter keys and values, children keys, graphs."""
    out = []

    def one(b):
        values = {k: (p.data().asnumpy().copy() if p._data is not None else None)
                  for k, p in b.params.items()}
        out.append((b.name, [(k, p.name) for k, p in b.params.items()], values,
                    list(b._children.keys()),
                    getattr(b, '_cached_graph', None), getattr(b, '_active', None)))
    net.apply(one)
    return out


def assert_same_state(before, after):
    assert len(before) == len(after)
    for b, a in zip(before, after):
        assert b[:2] == a[:2] and b[3:] == a[3:]
        for k in b[2]:
            if b[2][k] is None:
                assert a[2][k] is None
            else:
                np.testing.assert_array_equal(b[2][k], a[2][k])


@pytest.mark.parametrize('kind', ['seq', 'pair'])
def test_save_writes_mxnet_bytes(kind, tmp_path):
    _, prefix = saved_model(kind, tmp_path)
    for suffix in ('-model.json', '-model.params'):
        with open(prefix + suffix, 'rb') as ours:
            with open(os.path.join(FIX, 'mx_' + kind + suffix), 'rb') as mx:
                assert ours.read() == mx.read(), suffix


@pytest.mark.parametrize('kind', ['seq', 'pair'])
def test_load_mxnet_files_without_retracing(kind):
    net = shifted(kind)
    assert names(net)[-1].endswith('1')
    net.load(os.path.join(FIX, 'mx_' + kind), ctx=current_context())
    assert names(net) == MG_IN_MX[kind]['names_after_load']     # MXNet's names after its own load
    traces = TRACES[0]
    outs = run(kind, net)
    assert TRACES[0] == traces                                   # the saved graph was used
    for i, out in enumerate(outs):
        assert_almost_equal(out.asnumpy(), IO['%s_out%d' % (kind, i)], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('kind', ['seq', 'pair'])
def test_mxnet_loads_minigluon_save(kind, tmp_path):
    rec = MG_IN_MX[kind]
    # MXNet loaded minigluon's files into a model with other names, without re-tracing, and agreed.
    assert rec['loaded'] is True and rec['retraced'] is False
    assert rec['names_before_load'] != rec['names_after_load']
    assert rec['max_abs_diff'] <= 1e-6
    # The files MXNet loaded are the ones minigluon writes today, and give minigluon's outputs.
    net, prefix = saved_model(kind, tmp_path)
    with open(prefix + '-model.json', 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == rec['model_json_sha256']
    for ours, theirs in zip(run(kind, net), rec['mxnet_outputs']):
        assert_almost_equal(ours.asnumpy(), np.array(theirs, dtype=np.float32), rtol=1e-5, atol=1e-6)


def test_round_trip_gradients_match_eager(tmp_path):
    _, prefix = saved_model('pair', tmp_path)
    loaded = shifted('pair')
    loaded.load(prefix, ctx=current_context())
    assert loaded.net._active and loaded.net._cached_graph
    eager = shifted('pair')
    eager.load_parameters(prefix + '-model.params', ctx=current_context())   # same values, eager
    grads = []
    for net in (loaded, eager):
        x = nd.array(IO['x'])
        x.attach_grad()
        with autograd.record():
            a, b = net(x, nd.array(IO['y']))
            loss = (a * a).sum() + (b * 3).sum()
        loss.backward()
        grads.append([x.grad.asnumpy()] + [p.grad().asnumpy() for p in net.collect_params().values()])
    for g_loaded, g_eager in zip(*grads):
        assert_almost_equal(g_loaded, g_eager, rtol=1e-5, atol=1e-6)


def test_retrace_after_load(tmp_path):
    # Parameters take the saved names too, so a graph traced after the load (hybridize() again,
    # which clears the restored graph) finds them; MXNet 1.9.1 fails here with 'Unknown input'.
    net, prefix = saved_model('pair', tmp_path)
    loaded = shifted('pair')
    loaded.load(prefix, ctx=current_context())
    assert loaded.net.fc.weight.name == 'outer0_pair0_dense0_weight'
    assert list(loaded.collect_params().keys()) == list(net.collect_params().keys())
    loaded.hybridize()
    traces = TRACES[0]
    for ours, ref in zip(run('pair', loaded), run('pair', net)):
        assert_almost_equal(ours.asnumpy(), ref.asnumpy())
    assert TRACES[0] == traces + 1


def test_not_hybridized_round_trip(tmp_path):
    net, prefix = saved_model('seq', tmp_path, hybridize=False)
    record = json.load(open(prefix + '-model.json'))
    top = record['hybridsequential0']
    assert top['hybridized'] is False and 'symbol' not in top and 'in_format' not in top
    loaded = shifted('seq')
    loaded.load(prefix, ctx=current_context())
    assert not loaded._active and not loaded._cached_graph
    assert_almost_equal(run('seq', loaded)[0].asnumpy(), run('seq', net)[0].asnumpy())


def test_load_then_export(tmp_path):
    _, prefix = saved_model('seq', tmp_path)
    net = shifted('seq')
    net.load(prefix)
    sym_file, params_file = net.export(str(tmp_path / 'exp'))
    keys = sorted(nd.load(params_file).keys())
    assert keys == ['arg:hybridsequential0_dense0_bias', 'arg:hybridsequential0_dense0_weight',
                    'arg:hybridsequential0_dense1_bias', 'arg:hybridsequential0_dense1_weight']


def test_shared_child_registered_twice(tmp_path):
    with NameManager():
        net = Twice()
        net.initialize()
        net.hybridize()
        x = nd.array(IO['x'])
        expected = net(x).asnumpy()
    net.save(str(tmp_path / 'twice'))
    with NameManager():
        Twice()
        other = Twice()
    other.load(str(tmp_path / 'twice'), ctx=current_context())
    assert list(other._children.keys()) == ['a', 'b']
    assert_almost_equal(other(x).asnumpy(), expected)
    # MXNet 1.9.1's own load loses child 'a' here and then fails on the 'a.weight' key.
    other.export(str(tmp_path / 'twice'))
    imported = gluon.SymbolBlock.imports(str(tmp_path / 'twice-symbol.json'), ['data'],
                                         str(tmp_path / 'twice-0000.params'), ctx=current_context())
    assert_almost_equal(imported(x).asnumpy(), expected)


def test_load_onto_ctx(tmp_path):
    _, prefix = saved_model('seq', tmp_path)
    net = shifted('seq')
    net.load(prefix, ctx=nd.array([0]).context)
    assert net[0].weight.list_ctx() == [nd.array([0]).context]


# -- errors: clear messages, nothing changed ---------------------------------------------------------

def _copy(kind, folder):
    prefix = str(folder / kind)
    for suffix in ('-model.json', '-model.params'):
        shutil.copy(os.path.join(FIX, 'mx_' + kind + suffix), prefix + suffix)
    return prefix


def _initialized(kind):
    net = shifted(kind)
    net.initialize()
    return net


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nothing-model\.json'):
        shifted('seq').load(str(tmp_path / 'nothing'))


@pytest.mark.parametrize('text, match', [
    (b'{not json', 'is not a JSON file'),
    (b'[1, 2]', 'must hold a JSON object'),
    (b'{"dense0": {"orig_name": "x", "children": {}}}', "entry hybridsequential0: not found"),
    (b'{"hybridsequential0": {"orig_name": 3, "children": {}}}', "'orig_name' must be a string"),
    (b'{"hybridsequential0": {"orig_name": "a", "hybridized": true, "children": {}}}',
     "lacks 'in_format'"),
])
def test_malformed_json(tmp_path, text, match):
    prefix = _copy('seq', tmp_path)
    with open(prefix + '-model.json', 'wb') as f:
        f.write(text)
    net = _initialized('seq')
    before = state(net)
    with pytest.raises(MXNetFormatError, match=match):
        net.load(prefix)
    assert_same_state(before, state(net))


def test_architecture_mismatch_names_entry(tmp_path):
    prefix = _copy('pair', tmp_path)
    net = _initialized('seq')
    before = state(net)
    with pytest.raises(MXNetFormatError, match='block tree differs'):
        net.load(prefix)
    assert_same_state(before, state(net))


def test_bad_symbol_and_unknown_graph_input(tmp_path):
    prefix = _copy('seq', tmp_path)
    record = json.load(open(prefix + '-model.json'))
    top = record['hybridsequential0']
    top['symbol'] = top['symbol'].replace('FullyConnected', 'NoSuchOperator', 1)
    json.dump(record, open(prefix + '-model.json', 'w'))
    net = _initialized('seq')
    before = state(net)
    with pytest.raises(MXNetFormatError, match="'symbol' is not a valid symbol"):
        net.load(prefix)
    assert_same_state(before, state(net))
    top['symbol'] = json.load(open(os.path.join(FIX, 'mx_seq-model.json')))['hybridsequential0'][
        'symbol'].replace('hybridsequential0_dense1_bias', 'elsewhere_bias')
    json.dump(record, open(prefix + '-model.json', 'w'))
    with pytest.raises(MXNetFormatError, match="inputs \\['elsewhere_bias'\\]"):
        net.load(prefix)
    assert_same_state(before, state(net))


def test_params_mismatch_rolls_back(tmp_path):
    prefix = _copy('seq', tmp_path)
    arrays = nd.load(prefix + '-model.params')
    del arrays['1.bias']
    nd.save(prefix + '-model.params', arrays)
    net = _initialized('seq')
    before = state(net)
    with pytest.raises(ParameterMismatchError, match="'1.bias' is missing"):
        net.load(prefix)
    assert_same_state(before, state(net))
    with open(prefix + '-model.params', 'wb') as f:
        f.write(b'\x12\x01\x00\x00\x00\x00\x00\x00garbage')
    with pytest.raises(MXNetFormatError, match='truncated: file header'):
        net.load(prefix)
    assert_same_state(before, state(net))


def test_save_failure_leaves_old_files(tmp_path):
    _, prefix = saved_model('seq', tmp_path)
    old = [open(prefix + s, 'rb').read() for s in ('-model.json', '-model.params')]
    with NameManager():
        fresh = make('seq')                              # never initialized: no data to save
    with pytest.raises(RuntimeError, match='has not been initialized'):
        fresh.save(prefix)
    assert [open(prefix + s, 'rb').read() for s in ('-model.json', '-model.params')] == old
    assert sorted(os.listdir(tmp_path)) == ['seq-model.json', 'seq-model.params']


def test_prefix_type_error():
    with pytest.raises(TypeError, match='prefix must be a str'):
        make('seq').save(3)


def _symbol_block(folder, with_params=True):
    with NameManager():
        net, _ = saved_model('seq', folder)
    net.export(str(folder / 'exp'))
    params = str(folder / 'exp-0000.params') if with_params else None
    return gluon.SymbolBlock.imports(str(folder / 'exp-symbol.json'), ['data'], params,
                                    ctx=current_context()), net


def test_symbol_block_round_trip(tmp_path):
    # Better than MXNet 1.9.1, whose load re-keys a SymbolBlock's parameters away from its graph.
    sb, net = _symbol_block(tmp_path)
    sb.save(str(tmp_path / 'sb'))
    other, _ = _symbol_block(tmp_path, with_params=False)
    other.load(str(tmp_path / 'sb'), ctx=current_context())
    assert list(other.params.keys()) == list(sb.params.keys())
    assert_almost_equal(run('seq', other)[0].asnumpy(), run('seq', net)[0].asnumpy())


def test_symbol_block_save_parameters_round_trip(tmp_path):
    # Keys like '0_weight' (no '.') are this block's structural keys: loaded as such (MXNet fails).
    sb, net = _symbol_block(tmp_path)
    sb.save_parameters(str(tmp_path / 'sb.params'))
    assert sorted(nd.load(str(tmp_path / 'sb.params'))) == ['0_bias', '0_weight', '1_bias', '1_weight']
    other, _ = _symbol_block(tmp_path, with_params=False)
    other.load_parameters(str(tmp_path / 'sb.params'), ctx=current_context())
    assert_almost_equal(run('seq', other)[0].asnumpy(), run('seq', net)[0].asnumpy())


def test_saved_files_get_ordinary_permissions(tmp_path):
    # Atomic writes go through a temporary file; the result must not stay private (0600).
    _, prefix = saved_model('seq', tmp_path)
    plain = tmp_path / 'plain'
    plain.write_bytes(b'')
    for suffix in ('-model.json', '-model.params'):
        assert os.stat(prefix + suffix).st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_load_json_duplicate_names():
    from minigluon import sym
    graph = {'nodes': [{'op': 'null', 'name': 'x', 'inputs': []},
                       {'op': 'relu', 'name': 'r', 'inputs': [[0, 0, 0]]},
                       {'op': 'relu', 'name': 'r', 'inputs': [[1, 0, 0]]}],
             'arg_nodes': [0], 'heads': [[2, 0, 0]]}
    out = sym.load_json(json.dumps(graph)).eval(x=nd.array([-1.0, 2.0]))[0]   # two ops named 'r'
    assert_almost_equal(out.asnumpy(), np.array([0.0, 2.0], dtype=np.float32))
    graph['nodes'][1] = {'op': 'null', 'name': 'x', 'inputs': []}          # two variables 'x'
    graph['nodes'][2]['inputs'] = [[0, 0, 0], [1, 0, 0]]
    graph['nodes'][2]['op'] = 'elemwise_add'
    two = sym.load_json(json.dumps(graph))      # MXNet 1.9.1 loads it too (var('x') + var('x'))
    assert two.list_arguments() == ['x', 'x']
    with pytest.raises(MXNetError, match="several inputs named"):    # MXNet cannot bind it either
        two.eval(x=nd.array([1.0]))
    graph['nodes'][1] = {'op': 'relu', 'name': 'x', 'inputs': [[0, 0, 0]]}   # variable + operator
    graph['nodes'][2]['inputs'] = [[1, 0, 0], [1, 0, 0]]
    both = sym.load_json(json.dumps(graph))     # MXNet 1.9.1 loads and runs it too
    assert both.list_arguments() == ['x']
    out = both.eval(x=nd.array([-1.0, 2.0]))[0]     # relu(x) + relu(x)
    assert_almost_equal(out.asnumpy(), np.array([0.0, 4.0], dtype=np.float32))


@pytest.mark.gpu
@pytest.mark.skipif(not backend.cupy_available(),
                    reason='CuPy with a CUDA device is not available')
def test_save_on_gpu_load_on_gpu(tmp_path):
    from minigluon.context import gpu
    with NameManager():
        net = make('pair')
        net.initialize(ctx=gpu(0))
        fill(net)
        net.hybridize()
        x, y = nd.array(IO['x'], ctx=gpu(0)), nd.array(IO['y'], ctx=gpu(0))
        expected = [o.asnumpy() for o in net(x, y)]
    net.save(str(tmp_path / 'g'))
    with open(str(tmp_path / 'g-model.json'), 'rb') as f, \
            open(os.path.join(FIX, 'mx_pair-model.json'), 'rb') as mx:
        assert f.read() == mx.read()
    other = shifted('pair')
    other.load(str(tmp_path / 'g'), ctx=gpu(0))
    assert other.net.fc.weight.list_ctx() == [gpu(0)]
    outs = other(x, y)
    assert outs[0].context == gpu(0)
    for out, ref in zip(outs, expected):
        assert_almost_equal(out.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    for i, ref in enumerate(expected):
        assert_almost_equal(ref, IO['pair_out%d' % i], rtol=1e-5, atol=1e-5)
