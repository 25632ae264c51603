"""Regressions from the model-file fuzzer (``tools/fuzz_model_files.py``): MXNet 1.9.1's files of
the networks in ``tools/gen_model_files_fuzz_fixtures.py`` (``tests/fixtures/model_files_fuzz``)
against minigluon, both ways.

For each network: minigluon builds, runs and saves it with the fuzzer's ``make_files`` and gets
MXNet's outputs, MXNet's graph (node by node) and MXNet's bytes for ``export``,
``save_parameters`` and ``save_checkpoint``; MXNet's export imported with
``SymbolBlock.imports``, its ``save_parameters`` file and its export's parameters loaded into a
fresh network (the latter fails in MXNet 1.9.1 unless the prefix is empty: docs/PORTING.md) and its
checkpoint read with ``load_checkpoint`` give MXNet's outputs.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

import minigluon as mg

ROOT = os.path.join(os.path.dirname(__file__), '..')
FIX = os.path.join(ROOT, 'tests', 'fixtures', 'model_files_fuzz')
_spec = importlib.util.spec_from_file_location(
    'fuzz_model_files', os.path.join(ROOT, 'tools', 'fuzz_model_files.py'))
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)


def _values(name):
    data = np.load(os.path.join(FIX, name, 'values.npz'))
    xs = [data['in%d' % i] for i in range(sum(k.startswith('in') for k in data.files))]
    outs = [data['out%d' % i] for i in range(sum(k.startswith('out') for k in data.files))]
    return xs, outs


def _read(name, fname):
    with open(os.path.join(FIX, name, fname), 'rb') as f:
        return f.read()


def _assert_outputs(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', sorted(CASES))
def test_files_are_mxnets(name, tmp_path):
    xs, want = _values(name)
    res = fuzz.make_files(mg, CASES[name], xs, str(tmp_path))
    _assert_outputs([res['out%d' % i] for i in range(len(want))], want)
    mine = json.loads(str(res['json']))
    theirs = json.loads(_read(name, 'net-symbol.json').decode())
    for a, b in zip(mine['nodes'], theirs['nodes']):
        assert a == b
    assert mine == theirs
    for key, fname in [('params', 'net-0000.params'), ('sp', 'sp.params'),
                       ('ckparams', 'ck-0003.params')]:
        assert res[key].tobytes() == _read(name, fname), fname
    assert str(res['ckjson']).encode() == _read(name, 'ck-symbol.json')


@pytest.mark.parametrize('name', sorted(CASES))
def test_mxnet_files_give_mxnets_outputs(name, tmp_path):
    xs, want = _values(name)
    res = fuzz.crossload_case(mg, dict(CASES[name], group='net', key=name, n_in=len(xs)),
                              {'%s_in%d' % (name, i): x for i, x in enumerate(xs)},
                              os.path.join(FIX, name), str(tmp_path))
    assert 'errors' not in res, str(res.get('errors'))
    for what in ('imp', 'lp', 'le', 'ck'):
        _assert_outputs([res['%s%d' % (what, i)] for i in range(len(want))], want)
    # load_checkpoint then save_checkpoint writes MXNet's checkpoint again, byte for byte
    assert res['rtparams'].tobytes() == _read(name, 'ck-0003.params')
    assert str(res['rtjson']).encode() == _read(name, 'ck-symbol.json')


@pytest.mark.parametrize('record', [False, True])
def test_fixed_gamma_is_kept_by_graph_inference_only(record, tmp_path):
    """MXNet 1.9.1 writes the 1 that ``BatchNorm(scale=False)`` uses into its gamma in eager and
    recorded calls; a hybridized call outside ``autograd.record()`` leaves it as set, and so does
    a ``SymbolBlock`` of MXNet's export (its file holds the gamma that was set)."""
    net = mg.gluon.nn.BatchNorm(scale=False, in_channels=3)
    net.initialize()
    net.hybridize()
    net.gamma.set_data(mg.nd.array([0.5, 0.2, 0.3]))
    with mg.autograd.record() if record else mg.autograd.pause():
        net(mg.nd.ones((2, 3)))
    expected = np.float32([1, 1, 1] if record else [0.5, 0.2, 0.3])
    assert (net.gamma.data().asnumpy() == expected).all()
    prefix = os.path.join(FIX, 'bn_fixed_gamma', 'net')
    block = mg.gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data'], prefix + '-0000.params',
                                         ctx=mg.current_context())
    gamma = [p for k, p in block.collect_params().items() if k.endswith('batchnorm0_gamma')][0]
    stored = gamma.data().asnumpy().copy()
    assert not (stored == 1).all()
    with mg.autograd.record() if record else mg.autograd.pause():
        block(mg.nd.array(_values('bn_fixed_gamma')[0][0]))
    assert (gamma.data().asnumpy() == (1 if record else stored)).all()
