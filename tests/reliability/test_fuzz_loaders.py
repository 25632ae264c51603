"""Hypothesis drives the mutators of bench/fuzz_loaders.py over the golden ``.params`` and
``-symbol.json`` files (truncations, bit flips, inserted/deleted/duplicated spans, extreme integers,
JSON tokens, structural graph edits); every case must load correctly or raise an MXNetError.
``python3 bench/fuzz_loaders.py`` runs 10,000 cases and prints the outcome counts."""
import importlib.util
import json
import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minigluon import serialization
from minigluon import symbol as sym
from minigluon.base import MXNetError, MXNetFormatError

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
    with pytest.raises(MXNetFormatError):
        serialization.loads(blob, source='csr.params')
