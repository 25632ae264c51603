"""Hypothesis drives the mutators of bench/fuzz_loaders.py over the golden ``.params`` and
``-symbol.json`` files (truncations, bit flips, inserted/deleted/duplicated spans, extreme integers,
JSON tokens, structural graph edits); every case must load correctly or raise an MXNetError.
``python3 bench/fuzz_loaders.py`` runs 10,000 cases and prints the outcome counts."""
import importlib.util
import json
import os
import resource
import struct
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import serialization
from minigluon import symbol as sym
from minigluon.base import MXNetError, MXNetFormatError
from minigluon.symbol import json_io

_PATH = os.path.join(os.path.dirname(__file__), '..', '..', 'bench', 'fuzz_loaders.py')
_spec = importlib.util.spec_from_file_location('fuzz_loaders', _PATH)
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

SEEDS = fuzz.seed_files()
PARAMS = [b for k, b in SEEDS if k == 'params']
JSONS = [b for k, b in SEEDS if k == 'json']
PAIRS = fuzz.pair_files()


def fast(n):
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def test_seed_files_load():
    assert len(PARAMS) >= 5 and len(JSONS) >= 5
    for kind, blob in SEEDS:
        assert fuzz.load_one(kind, blob) == 'loaded'


@fast(200)
@given(st.sampled_from(PARAMS), st.randoms(use_true_random=False))
def test_mutated_params_files(blob, rng):
    assert fuzz.load_one('params', fuzz.mutate(rng, blob, 'params')) in ('loaded', 'clean error')


@fast(250)
@given(st.sampled_from(JSONS), st.randoms(use_true_random=False))
def test_mutated_symbol_files(blob, rng):
    assert fuzz.load_one('json', fuzz.mutate(rng, blob, 'json')) in ('loaded', 'clean error')


@fast(40)
@given(st.sampled_from(range(len(PAIRS))), st.booleans(), st.randoms(use_true_random=False))
def test_mutated_exported_pairs_through_imports(tmp_path_factory, which, mutate_symbol, rng):
    sym_blob, params_blob = PAIRS[which]
    if mutate_symbol:
        sym_blob = fuzz.mutate(rng, sym_blob, 'json')
    else:
        params_blob = fuzz.mutate(rng, params_blob, 'params')
    folder = str(tmp_path_factory.mktemp('pair'))
    assert fuzz.import_pair(sym_blob, params_blob, folder) in ('loaded', 'clean error')


def test_bench_runs_and_reports(capsys):
    assert fuzz.main(['--cases', '200', '--seed', '3']) == 0
    out = capsys.readouterr().out
    assert 'anything else       0' in out and 'slowest case' in out


# Regressions for what the fuzzer found ------------------------------------------------------------

def _graph(shape_text):
    return json.dumps({'nodes': [{'op': 'null', 'name': 'x', 'attrs': {'__shape__': shape_text},
                                  'inputs': []},
                                 {'op': 'relu', 'name': 'r', 'inputs': [[0, 0, 0]]}],
                       'heads': [[1, 0, 0]]})


@pytest.mark.parametrize('shape_text', ['1e309', '(1e309, 2)', '(x)', 'nan'])
def test_variable_shape_that_is_not_a_shape(shape_text):
    s = sym.load_json(_graph(shape_text))
    with pytest.raises(MXNetError, match="'x'"):
        s.infer_shape_partial()


def test_csr_array_with_impossible_empty_shape():
    hdr = struct.pack('<QQQ', 0x112, 0, 1)
    shape = struct.pack('<i2q', 2, 0, 2 ** 62)
    blob = (hdr + struct.pack('<Ii', 0xF993FAC9, 2) + struct.pack('<i1q', 1, 0) + shape
            + struct.pack('<iii', 1, 0, 0) + struct.pack('<i', 6) + struct.pack('<i1q', 1, 1)
            + struct.pack('<i', 6) + struct.pack('<i1q', 1, 0) + struct.pack('<q', 0)
            + struct.pack('<Q', 0))
    with pytest.raises(MXNetFormatError, match='when made dense'):
        serialization.loads(blob, source='csr.params')


def _counted(*nodes):
    """A graph of a variable 'x' and one node per (op, attrs) on it, named r0, r1..., each a head."""
    out = [{'op': 'null', 'name': 'x', 'inputs': []}]
    for k, (op, attrs) in enumerate(nodes):
        out.append({'op': op, 'name': 'r%d' % k, 'attrs': attrs, 'inputs': [[0, 0, 0]]})
    return json.dumps({'nodes': out, 'heads': [[k, 0, 0] for k in range(1, len(out))]})


@pytest.mark.parametrize('op, key, value', [('SliceChannel', 'num_outputs', 2 ** 31 - 1),
                                            ('Concat', 'num_args', 2 ** 32),
                                            ('multi_sgd_update', 'num_weights', 2 ** 31 - 1),
                                            ('multi_sum_sq', 'num_arrays', 99999999999)])
def test_symbol_file_declaring_billions_of_inputs_or_outputs(op, key, value):
    # Once a list of one name per output: 2**31 names took minutes and all of memory (a fuzz
    # run of the whole suite was killed at 22 GB). The cap turns a regression into a MemoryError.
    with fuzz.memory_cap(), pytest.raises(MXNetFormatError, match=r"node 1 \('r0'\): %s=%d"
                                          % (key, value)):
        sym.load_json(_counted((op, {key: str(value)})))


def test_count_budget_is_for_the_whole_file():
    split = ('SliceChannel', {'num_outputs': '30000'})
    internals = sym.load_json(_counted(split, split)).get_internals()
    assert len(internals.list_outputs()) == 1 + 2 * 30000
    with pytest.raises(MXNetFormatError, match=r"node 3 \('r2'\).*past 65536"):
        sym.load_json(_counted(split, split, split))
    padded = json.loads(_counted(split, split, split))
    padded['attrs'] = {'padding': ' ' * 90000}     # a file of over 90,000 characters may declare more
    assert len(sym.load_json(json.dumps(padded)).get_internals().list_outputs()) == 1 + 3 * 30000



def _parsable(spec, op_name, candidates):
    """The first of ``candidates`` (attribute strings) that ``spec`` parses, or None."""
    for text in candidates:
        try:
            spec.parse(text, op_name)
            return text
        except Exception:
            pass
    return None


def _built_with(cls, key, n):
    """An instance of operator ``cls`` with ``key=n`` and each required attribute given the first
    filler it parses (plain scalars, or else tuples of ``n`` entries, as the multi-tensor updates'
    ``lrs`` need); None where neither way builds one (operators needing subgraphs)."""
    scalars = ['1', '0.5', 'float32', '(1,)', '(1, 1)']
    for fillers in (scalars, [str((0.5,) * n), str(tuple(range(1, n + 1)))] + scalars):
        attrs = {k: _parsable(s, cls.name, fillers) for k, s in cls.attrs.items()
                 if s.required and k != key}
        attrs[key] = str(n)
        try:
            return cls(**attrs)
        except Exception:
            pass
    return None


def test_count_attributes_are_those_that_set_a_nodes_inputs_or_outputs():
    # COUNT_ATTRS is written by hand; derive it: an integer attribute is a count when building the
    # operator with it at 2 and at 5 changes how many inputs or outputs the node has.
    from minigluon.ops import OPS
    derived = {}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')       # attributes some operators warn about (make_loss)
        for cls in set(OPS.values()):
            for key, spec in cls.attrs.items():
                if _parsable(spec, cls.name, ['2']) is None or spec.parse('5', cls.name) != 5:
                    continue
                small, large = _built_with(cls, key, 2), _built_with(cls, key, 5)
                if small is None or large is None:
                    continue
                if ((len(small.list_arguments()), small.num_outputs)
                        != (len(large.list_arguments()), large.num_outputs)):
                    derived.setdefault(key, set()).add(cls.name)
    assert {'Concat', 'add_n', 'stack'} <= derived['num_args']     # the derivation works at all
    assert {'SliceChannel'} <= derived['num_outputs']
    assert set(derived) == set(json_io.COUNT_ATTRS), derived
    # The control-flow operators need subgraphs to be built: their counts are num_args and
    # num_outputs; num_out_data says how many of the num_outputs are stacked step outputs (the
    # operator refuses more than num_outputs), so it adds no input or output of its own.
    for name in ('_cond', '_foreach', '_while_loop'):
        counts = {key for key in OPS[name].attrs if key.startswith('num_')}
        assert counts - {'num_out_data'} <= set(json_io.COUNT_ATTRS), (name, counts)


@pytest.mark.skipif(not os.path.exists('/proc/self/statm'), reason='the cap needs /proc (Linux)')
def test_memory_cap_refuses_huge_allocations_and_is_lifted_after():
    before = resource.getrlimit(resource.RLIMIT_AS)
    with fuzz.memory_cap():
        with pytest.raises(MemoryError):
            np.empty(8 << 30, dtype=np.uint8)      # granted lazily without the cap
    assert resource.getrlimit(resource.RLIMIT_AS) == before


@pytest.mark.skipif(not os.path.exists('/proc/self/statm'), reason='the cap needs /proc (Linux)')
def test_every_fuzz_case_runs_under_the_memory_cap(monkeypatch, tmp_path):
    # Shape inference allocates arrays of the sizes a graph declares (README: what loading does
    # not protect against), so a mutated file can ask for 16 GiB: every case must be capped.
    limits = []
    real_load_json = json_io.load_json

    def spy(text):
        limits.append(resource.getrlimit(resource.RLIMIT_AS)[0])
        return real_load_json(text)
    monkeypatch.setattr(json_io, 'load_json', spy)
    monkeypatch.setattr(sym, 'load_json', spy)
    outside = resource.getrlimit(resource.RLIMIT_AS)[0]
    assert fuzz.load_one('json', _graph('(2, 3)').encode()) == 'loaded'
    sym_blob, params_blob = PAIRS[0]
    assert fuzz.import_pair(sym_blob, params_blob, str(tmp_path)) == 'loaded'
    assert len(limits) == 2
    assert all(limit != resource.RLIM_INFINITY and (outside == resource.RLIM_INFINITY
                                                     or limit < outside) for limit in limits)
