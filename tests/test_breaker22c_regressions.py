"""Regressions found by breaker22c: ``gluon.rnn`` cells, modifier cells and fused layers against
MXNet 1.9.1 in corners the RNN fuzzer does not draw (cell activations, prefixes and parameter
names, modifier cells in training mode, ``reset()`` between steps, files of containers of
cells, state clipping, sequence lengths, float16, export / ``SymbolBlock.imports`` both ways,
MXNet's ``.params`` files loaded), and the layers' constructors given bad arguments.

MXNet's outcomes and files come from tools/gen_breaker22c_fixtures.py (tests/_breaker22c_program.py
run on MXNet 1.9.1, same weights in both: :func:`_breaker22c_program.fill`); where minigluon
differs on purpose, :data:`DEVIATIONS` names the rule (docs/PORTING.md)."""
import os
import re
import sys
import warnings

import pytest

import minigluon as mx

sys.path.insert(0, os.path.dirname(__file__))
import _breaker22c_program as program  # noqa: E402
from _breaker import FIXTURES, as_json, mxnet_fixture, same_json  # noqa: E402

FIX = mxnet_fixture('breaker22c')
FOLDER = os.path.join(FIXTURES, 'breaker22c')

# case-name patterns (per section) where minigluon differs from MXNet 1.9.1 on purpose
DEVIATIONS = {
    'cells': [
        # MXNet: a float64 cell unrolled with a valid_length fails ("Incompatible attr ...
        # expected float32, got float64"); minigluon runs it in float64
        (r'.*Cell_f64$', 'float64 unroll with valid_length'),
        # MXNet's GRUCell has no activation / recurrent_activation: minigluon's extra
        (r'^gru_acts$', 'GRUCell activations'),
        # PORTING: BidirectionalCell NTC + valid_length + merge_outputs=None swaps axes in MXNet
        (r'^mod_bi_NTC_None_\[', 'BidirectionalCell NTC valid_length merge None'),
    ],
    'layers': [
        # PORTING: MXNet's CPU RNN ignores use_sequence_length (LSTM) or refuses it (RNN, GRU),
        # ignores state clipping, and cannot run float16 or train / clip / mask an LSTMP
        (r'^S_', 'use_sequence_length on the CPU'),
        (r'^grad_seq_', 'use_sequence_length on the CPU'),
        (r'^clip_', 'state clipping on the CPU'),
        (r'^f16_', 'float16 RNN on the CPU'),
        (r'^proj_(clip|seq|grad)', 'LSTMP limits on the CPU'),
        # minigluon refuses a sequence_length that a layer without use_sequence_length would
        # ignore (rnn_layer.py); MXNet ignores it
        (r'^seq_without_flag$', 'sequence_length without use_sequence_length'),
    ],
}


def _deviation(section, case):
    return any(re.match(p, case) for p, _ in DEVIATIONS.get(section, ()))


@pytest.fixture(scope='module')
def got(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return as_json(program.run(mx, str(tmp_path_factory.mktemp('export'))))


@pytest.mark.parametrize('section', ['cells', 'cell_api', 'cell_files', 'layers'])
def test_rnn_programs_match_mxnet(got, section):
    """Every case gives MXNet's values (to 1e-5), names, structures and shapes, or an error
    where MXNet raises one (the classes may differ: minigluon's MXNetError is also a
    ValueError), except the documented :data:`DEVIATIONS`."""
    compared = 0
    for case, want in FIX[section].items():
        if case == 'export' or _deviation(section, case):
            continue
        have = got[section][case]
        if want[0] == 'error':
            assert have[0] == 'error', (case, str(have)[:300])
            continue
        same_json(have, want, '%s.%s' % (section, case), rtol=1e-5, atol=1e-6)
        compared += 1
    assert compared >= 4


def test_export_and_imports_both_ways(got, tmp_path):
    """Layers exported by minigluon import back (``SymbolBlock.imports`` with the states as
    ``data1``...) with MXNet's outputs and parameter names; the files MXNet exported import
    into minigluon, and the ``.params`` MXNet saved load into fresh layers, with MXNet's
    outputs."""
    want = FIX['layers']['export']
    mine = got['layers']['export']
    loaded = as_json(program.load_mxnet_params(mx, FOLDER))
    imported = as_json(program.imports_mxnet_files(mx, FOLDER))
    for name in program.EXPORTS:
        w = want[name]
        assert w[0] == 'dict', (name, w)
        same_json(mine[name], w, 'export.' + name)
        y = w[1]['y']
        same_json(loaded[name], y, 'loaded.' + name)
        same_json(imported[name], y, 'imported.' + name)


# -- constructors -------------------------------------------------------------------------------

BAD = {
    'hidden_float': (ValueError, 'hidden_size must be a positive int'),
    'layers_float': (ValueError, 'num_layers must be a positive int'),
    'hidden_zero': (ValueError, 'hidden_size must be a positive int'),
    'input_negative': (ValueError, 'input_size must be an int >= 0'),
    'input_float': (ValueError, 'input_size must be an int >= 0'),
    'projection_negative': (ValueError, 'projection_size must be a positive int'),
    'projection_float': (ValueError, 'projection_size must be a positive int'),
    'projection_rnn': (TypeError, 'projection_size is only for LSTM'),
    'projection_gru': (TypeError, 'projection_size is only for LSTM'),
    'dtype_int32': (TypeError, 'dtype must be a floating type'),
    'dtype_int64_gru': (TypeError, 'dtype must be a floating type'),
    'clip_inverted': (ValueError, 'state_clip_min .* must not be above state_clip_max'),
    'cell_input_negative': (ValueError, 'input_size must be an int >= 0'),
    'cell_input_float': (ValueError, 'input_size must be an int >= 0'),
}


@pytest.mark.parametrize('name', sorted(BAD))
def test_bad_layer_and_cell_arguments_are_refused_at_construction(name):
    """Each of these MXNet 1.9.1 refuses (mostly at the first call, in a shape check naming no
    argument) except ``clip_inverted``, which its CPU kernel runs ignoring the bounds. Before:
    a negative ``input_size`` was taken as 0, an integer ``dtype`` made integer parameters and
    ran, ``state_clip_min > state_clip_max`` set every cell state to ``state_clip_max``,
    ``projection_size`` on RNN / GRU was refused only at the first call, and non-int sizes
    failed in ``zeros`` naming no argument."""
    want = FIX['constructors'][name]
    assert (want[0] == 'error') == (name != 'clip_inverted'), want
    cls, args, kw = program.CONSTRUCTORS[name]
    err, match = BAD[name]
    with pytest.raises(err, match=match):
        getattr(mx.gluon.rnn, cls)(*args, **kw)


def test_good_constructor_corners_match_mxnet():
    """``projection_size`` 0 (no projection) or wider than the state, and a float64 layer."""
    got = as_json(program.constructors(mx))
    good = set(program.CONSTRUCTORS) - set(BAD)
    assert good == {'projection_zero', 'projection_wide', 'dtype_float64'}
    for name in good:
        same_json(got[name], FIX['constructors'][name], name)


def test_begin_state_with_a_random_func():
    """``cell.begin_state(batch_size=N, func=nd.random.uniform, low=..., high=...)`` (random
    initial states) works in MXNet 1.9.1, whose operators all accept its hidden attributes
    (``__layout__``, which every cell passes to ``func``). Before: MXNetTypeError
    "_random_uniform got an unexpected attribute '__layout__'"."""
    want = FIX['cell_api']['random_states']
    assert want[0] == 'list'
    same_json(as_json(program.outcome(lambda: program._random_states(mx))), want, 'random')
    # any operator takes (and ignores) a hidden attribute, as MXNet's
    x = mx.nd.array([-1.0, 2.0])
    assert mx.nd.relu(x, __layout__='N').asnumpy().tolist() == [0.0, 2.0]
