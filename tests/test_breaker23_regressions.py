"""Regressions found by breaker23: every optimizer MXNet 1.9.1 registers, driven through
``optimizer.create`` / ``get_updater`` for several steps (weight decay, clipping, rescaling,
multipliers by index and by name, ``begin_num_update``, float16 weights with and without
``multi_precision``, float64, ``lazy_update``, ``lr=0``, negative ``wd``, NaN / inf gradients and
weights, zero-size weights), the learning-rate schedulers stepped through ``num_update``, and
``gluon.Trainer`` (``step`` / ``allreduce_grads`` + ``update``, kvstores, ``update_on_kvstore``,
stale gradients, ``grad_req`` 'add' and 'null', parameters as a ParameterDict, a list or a dict,
``save_states`` / ``load_states`` mid-training, two Trainers on shared parameters, bad
``optimizer_params``).

MXNet's outcomes come from tools/gen_breaker23_fixtures.py (tests/_breaker23_program.py run on
MXNet 1.9.1 with the same seeded data). Weights and states are compared to 1e-6 relative in
float32 (float16 to one float16 rounding); where MXNet 1.9.1 fails (``MXNetError`` for float16 /
float64 weights of AdaGrad, AdaDelta, RMSProp, Ftrl, GroupAdaGrad and for zero-size weights;
DCASGD with momentum; a ``'device'`` store with ``update_on_kvstore=True`` on one context) the
result is checked against the float32 / non-empty / store-less run MXNet does give; the
documented differences are :data:`DEVIATIONS`."""
import os
import re
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.dirname(__file__))
import _breaker23_program as program  # noqa: E402
from _breaker import as_json, kernels, mxnet_fixture, same_json  # noqa: E402,F401

FIX = mxnet_fixture('breaker23')

# case-name patterns (per section) where minigluon differs from MXNet 1.9.1 on purpose
DEVIATIONS = {
    'optimizers': [
        # PORTING: sign(NaN) is NaN (MXNet: 0), so a NaN gradient or momentum makes a NaN weight
        (r'^signum\w*\.(nan|nan_clip|bad_weight|bad_weight_wd)$', 'sign(NaN)'),
        # LBSGD: MXNet's calls that only add to the gradient sum still run sgd_update with
        # lr=0, which turns the weight into NaN (0 * NaN) one call before the sum is used;
        # minigluon leaves the weight alone on those calls (legacy.LBSGD docstring)
        (r'^lbsgd\.(nan|nan_clip)$', 'LBSGD accumulating calls'),
    ],
}


def _deviation(section, case):
    return any(re.match(p, case) for p, _ in DEVIATIONS.get(section, ()))


@pytest.fixture(scope='module')
def got():
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return as_json(program.run(mx))


def _same_error(have, want, case):
    """An error where MXNet raises one, of MXNet's classes (minigluon's may be more: its
    ``ValueAssertionError`` is a ``ValueError`` and an ``AssertionError``)."""
    assert have[0] == 'error', (case, str(have)[:300])
    assert set(want[1]) <= set(have[1]), (case, have, want)


def _float16(case):
    return case.endswith(('.f16', '.f16_mp'))


# SGD, ccSGD and NAG keep (master, momentum) for a float16 weight with multi_precision; MXNet
# 1.9.1 keeps (momentum, master) (minigluon/_mxnet_states.py, to_own_layout)
_SWAPPED = re.compile(r'^(sgd|sgd_mom|nag|nag_mom|ccsgd)\.f16_mp$')


def _own_layout(case, want):
    if case in ('api.update_direct_mp', 'api.update_updater_mp'):   # {optimizer: outcome}
        out = dict(want)
        for key, o in want.items():
            if key.startswith('lamb') and case == 'api.update_direct_mp':
                # MXNet 1.9.1's LAMB.update_multi_precision with one index never updates the
                # master copy: test_lamb_multi_precision_called_directly
                out[key] = _got_direct()[key]
            elif _SWAPPED.match(key + '.f16_mp') and o[0] == 'dict':
                out[key] = ['dict', dict(o[1], state=['tuple', o[1]['state'][1][::-1]])]
        return out
    if not isinstance(want, list) or want[0] != 'dict' or not _SWAPPED.match(case):
        return want
    states = want[1]['states']
    states = ['list', [['tuple', s[1][::-1]] for s in states[1]]]
    return ['dict', dict(want[1], states=states)]


_GOT = {}


def _got_direct():
    if not _GOT:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            _GOT.update(as_json(program._update_direct(mx, True)))
    return _GOT


def test_lamb_multi_precision_called_directly():
    """MXNet 1.9.1's ``LAMB.update_multi_precision`` called with one index (not through its
    Updater, which hands it a group) runs ``mp_lamb_update_phase2``, which leaves the float32
    master copy as it was: the master never moves, and each step restarts from the first
    weights. minigluon updates the master copy: its numbers are those of MXNet's Updater (to
    2e-5: a single update takes the norm of the master copy, MXNet's grouped one that of the
    float16 weight)."""
    want = FIX['optimizers']['api.update_direct_mp']
    for key in ('lamb', 'lamb_nobc'):
        master = want[key][1]['state'][1][0][3]
        assert master == [0.5, -0.25, 1.0], master          # MXNet's master never moved
        same_json(_got_direct()[key], FIX['optimizers']['api.update_updater_mp'][key], key,
                  rtol=2e-5, atol=1e-6)


def test_optimizers_match_mxnet(got):
    """Every optimizer case gives MXNet's weights after each step, its states, ``num_update``
    and learning rate (float32 to 1e-6 relative, float16 to a float16 rounding), or an error
    where MXNet raises one, except the documented :data:`DEVIATIONS` and the cases MXNet cannot
    run (checked by :func:`test_cases_mxnet_cannot_run`)."""
    compared = 0
    for case, want in FIX['optimizers'].items():
        if _deviation('optimizers', case):
            continue
        have = got['optimizers'][case]
        if isinstance(want, list) and want[0] == 'error':
            if have[0] == 'error':
                _same_error(have, want, case)
            continue
        # float16: one rounding of the weight (2^-10) or of a step near 0.1 (6e-5)
        tol = (dict(rtol=2e-3, atol=1e-4) if _float16(case) else dict(rtol=1e-6, atol=1e-7))
        same_json(have, _own_layout(case, want), 'optimizers.' + case, **tol)
        compared += 1
    assert compared >= 400


def _trace(outcome, index):
    """The values of weight ``index`` after each step of an optimizer case."""
    assert outcome[0] == 'dict', outcome
    return [step[1][index][3] for step in outcome[1]['trace'][1]]


def test_cases_mxnet_cannot_run(got):
    """Where MXNet 1.9.1 fails, minigluon runs: float64 weights follow MXNet's float32 run of
    the same data (to 1e-5), float16 ones without ``multi_precision`` to float16 precision; of
    zero-size weights, the one non-empty weight follows MXNet's run without the empty ones;
    empty weights stay empty."""
    checked = set()
    for case, want in FIX['optimizers'].items():
        key, variant = case.split('.')
        if key in ('sgld', 'bad', 'api'):
            continue
        if want[0] != 'error' or got['optimizers'][case][0] == 'error':
            continue
        have = got['optimizers'][case]
        plain = FIX['optimizers'][key + '.plain']
        if plain[0] == 'error':          # DCASGD with momentum: MXNet never runs it
            assert key == 'dcasgd', case
            continue
        if variant == 'f64':
            for i in range(4):
                same_json(_trace(have, i), _trace(plain, i), case, rtol=1e-5, atol=1e-6)
        elif variant == 'f16':
            for i in range(4):
                same_json(_trace(have, i), _trace(plain, i), case, rtol=2e-2, atol=2e-2)
        elif variant == 'zero_size':
            same_json(_trace(have, 2), _trace(plain, 2), case, rtol=1e-6, atol=1e-7)
            for i in (0, 1, 3):
                assert all(v == [] for v in _trace(have, i)), case
        else:
            continue
        checked.add(variant)
    assert checked == {'f64', 'f16', 'zero_size'}


def test_schedulers_match_mxnet(got):
    """Every scheduler gives MXNet's rates in order, after jumps back and forth and after a
    ``base_lr`` change, and through an optimizer's ``num_update``; bad arguments fail alike."""
    for case, want in FIX['schedulers'].items():
        have = got['schedulers'][case]
        if want[0] == 'error':
            _same_error(have, want, case)
            continue
        same_json(have, want, 'schedulers.' + case, rtol=1e-6, atol=1e-9)


# Trainer cases MXNet cannot run, with the MXNet case whose numbers minigluon gives instead
TRAINER_INSTEAD = {
    # one context: MXNet 1.9.1 fails ('NoneType' object has no attribute 'is_capable'); there
    # is no store, and the weights are those of the run without one
    r'^(\w+)\.device_true\.(step|update)$': r'\1.device_false.\2',
    # a Parameter listed twice is updated once (PORTING); MXNet raises the stale-gradient
    # warning at the first step
    r'^params_dup$': 'params_pdict',
}


def test_trainer_matches_mxnet(got):
    """Every Trainer case gives MXNet's weights, learning rates and update counts (to 1e-6
    relative), or an error where MXNet raises one."""
    compared = 0
    for case, want in FIX['trainer'].items():
        have = got['trainer'][case]
        for pattern, instead in TRAINER_INSTEAD.items():
            if re.match(pattern, case):
                assert want[0] == 'error', case
                want = FIX['trainer'][re.sub(pattern, instead, case)]
                break
        if want[0] == 'error':
            _same_error(have, want, case)
            continue
        same_json(have, want, 'trainer.' + case, rtol=1e-6, atol=1e-7)
        compared += 1
    assert compared >= 100


def test_save_load_continues_as_uninterrupted(got):
    """``save_states`` mid-training, a fresh network and Trainer ``load_states``: the next steps
    give the uninterrupted run's weights, for every optimizer."""
    for key in program.TRAINER_CONFIGS:
        out = got['trainer'][key + '.save_load'][1]
        same_json(out['resumed'], out['straight'], key, rtol=0, atol=0)


# -- bad arguments -------------------------------------------------------------------------------

def test_groupadagrad_refusals_are_assertion_errors_too():
    """MXNet 1.9.1's GroupAdaGrad asserts (``AssertionError``) that there is no weight decay and
    that the weight is 2-D. Before: a ValueError only, which ``except AssertionError`` in code
    written for MXNet missed. Now a ``ValueAssertionError`` (both) naming the parameter."""
    for kw, shape, match in [({'wd': 0.1}, (2, 3), 'weight decay is not supported'),
                             ({}, (3,), 'weights must be 2-D')]:
        for cls in (AssertionError, ValueError):
            with pytest.raises(cls, match=match):
                program._one_update(mx, 'groupadagrad', kw, shape)


def test_param_idx2name_not_a_dict_is_an_assertion_error_too():
    """MXNet 1.9.1 asserts that ``param_idx2name`` is a dict. Before: a TypeError only."""
    for cls in (AssertionError, TypeError):
        with pytest.raises(cls, match='param_idx2name must be a dict'):
            mx.optimizer.create('sgd', param_idx2name=[1])


def test_trainer_optimizer_params_with_an_instance_is_an_assertion_error_too():
    """MXNet 1.9.1 asserts that ``optimizer_params`` is not given with an Optimizer instance.
    Before: a ValueError only."""
    net = program._net(mx)
    for cls in (AssertionError, ValueError):
        with pytest.raises(cls, match='optimizer_params must be None'):
            mx.gluon.Trainer(net.collect_params(), mx.optimizer.Adam(), {'learning_rate': 0.1})


def test_trainer_optimizer_params_must_be_a_mapping():
    """MXNet 1.9.1 passes ``optimizer_params`` on as ``**optimizer_params``: a list of pairs is a
    TypeError. Before: minigluon made a dict of it (and a list of numbers failed inside
    ``dict()``, naming no argument). An empty list or None means no arguments, as in MXNet."""
    net = program._net(mx)
    for bad in ([('learning_rate', 0.1)], [0.1], (('wd', 0.1),), 'adam'):
        with pytest.raises(TypeError, match='optimizer_params must be a dict'):
            mx.gluon.Trainer(net.collect_params(), 'adam', bad)
    for empty in ([], None, {}):
        mx.gluon.Trainer(net.collect_params(), 'adam', empty)


# -- weight decay on non-finite weights ------------------------------------------------------------

@pytest.mark.parametrize('name', ['adam', 'adamax', 'nadam', 'ftml', 'rmsprop'])
def test_weight_decay_term_is_added_at_wd_zero(name, kernels):
    """MXNet 1.9.1's Adam, Adamax, Nadam, FTML and RMSProp take ``g = rescale*grad + wd*w``
    whatever ``wd``: at ``wd=0`` an inf or NaN weight turns the gradient, and so the states,
    into NaN (``0 * inf``), and an inf weight becomes NaN at the next step. Before: minigluon
    skipped the term at ``wd=0``, so the states stayed finite and an inf weight stayed inf
    (the float16 Adam run, whose first step overflows to inf, then parted from MXNet's).
    Checked with the compiled kernels and the NumPy forms."""
    opt = mx.optimizer.create(name, learning_rate=0.1)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.array([np.inf, 1.0, np.nan])
    for _ in range(2):
        upd(0, mx.nd.array([0.5, 0.5, 0.5]), w)
    state = upd.states[0]
    arrays = [s.asnumpy() for s in (state if isinstance(state, (list, tuple)) else [state])]
    assert np.isnan(w.asnumpy()[0]) and np.isnan(w.asnumpy()[2]), w
    assert np.isfinite(w.asnumpy()[1]), w
    for a in arrays:
        assert np.isnan(a[0]) and np.isnan(a[2]) and np.isfinite(a[1]), (name, arrays)


# -- LAMB's grouped update -------------------------------------------------------------------------

@pytest.mark.parametrize('case', ['lamb.f16_mp', 'lamb_nobc.f16_mp', 'lamb.plain', 'lamb.mults'])
def test_lamb_through_the_updater_is_mxnets_grouped_update(got, case):
    """MXNet 1.9.1's Updater hands LAMB (``aggregate_num`` 45) even one weight as a group, so
    its grouped kernel runs: the norms through ``multi_sum_sq`` (float16 squares of a float16
    weight, the float16 weight's norm with ``multi_precision``). Before: minigluon's Updater
    called with one index ran the single update (the master copy's norm), 1e-5 apart from MXNet
    after two steps; now the float32 states and the float16 weights agree to 1e-6."""
    same_json(got['optimizers'][case], FIX['optimizers'][case], case, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize('dtype', ['float16', 'float32'])
def test_multi_lamb_update_float16_direction_does_not_overflow(dtype):
    """``nd.contrib.multi_lamb_update`` on float16 weights where a small gradient element's
    second moment underflows: its direction is ~500, whose float16 square overflows. MXNet
    1.9.1 sums the direction's squares in float32 and updates; before, minigluon summed float16
    squares, took the norm as inf, and left the weight unchanged."""
    want = FIX['optimizers']['api.multi_lamb_' + dtype]
    have = as_json(program.outcome(lambda: program._multi_lamb(mx, dtype)))
    same_json(have, want, dtype, rtol=1e-6, atol=1e-7)
    assert want[1][0][3] != [0.5, -0.3, 0.2, 0.9]          # MXNet did update
