"""Regressions found by fuzzing the control-flow operators against MXNet 1.9.1
(``tools/fuzz_control_flow.py``), with MXNet's outcomes from
``tools/gen_control_flow_fuzz_fixtures.py`` (``tests/fixtures/control_flow_fuzz/``). MXNet is
never imported here.

* Each program of ``programs.json`` runs in the fuzzer's modes (eager, recorded with backward,
  hybridized, hybridized with backward, exported and re-imported: ``fuzz_control_flow.run_case``)
  and must give MXNet's values, gradients, output structure and exported JSON. Where MXNet's
  hybridized run fails or is wrong (docs/PORTING.md's "deliberately differs" rows on control flow),
  minigluon's hybridized results must be MXNet's eager ones.
* The graphs MXNet exported (``<name>-symbol.json`` / ``-0000.params``) load with
  ``SymbolBlock.imports`` and give MXNet's outputs and (eager) gradients.
* The statements of ``errors.json`` raise an instance of the class MXNet raised.
"""
import json
import os
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, current_context, gluon, nd, sym
from minigluon.name import NameManager

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
import fuzz_control_flow as fcf  # noqa: E402  (imports neither framework at module level)

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'control_flow_fuzz')
with open(os.path.join(DIR, 'programs.json')) as _f:
    _META = json.load(_f)
PROGRAMS, EXPORTED = _META['programs'], _META['exported']
with open(os.path.join(DIR, 'errors.json')) as _f:
    ERRORS = json.load(_f)
INPUTS = np.load(os.path.join(DIR, 'inputs.npz'))
EXPECTED = np.load(os.path.join(DIR, 'expected.npz'))


def _case(name, mode):
    p = PROGRAMS[name]
    xs = [INPUTS['%s/x%d' % (name, i)] for i in range(len(p['shapes']))]
    ps = [INPUTS['%s/p:%s' % (name, k)] for k in p['pnames']]
    case = {'key': name, 'code': p['code'], 'mode': mode, 'n_x': len(xs),
            'n_in': len(xs) + len(ps), 'pnames': p['pnames']}
    return case, {'%s_in%d' % (name, i): a for i, a in enumerate(xs + ps)}


def _expected(name, mode):
    head = '%s/%s/' % (name, mode)
    return {k[len(head):]: EXPECTED[k] for k in EXPECTED.files if k.startswith(head)}


def _same(got, want):
    """The fuzzer's comparison: every result of ``want`` (values and gradients within the
    fuzzer's tolerances, output dtypes, the structure and the normalised JSON exactly)."""
    kind, msg = fcf._fuzz.check_case(want, got, fcf.TOL, dtype=lambda k: k.startswith('out'))
    assert kind is None, msg


CASES = [(n, m) for n in sorted(PROGRAMS) for m in PROGRAMS[n]['modes']]


@pytest.mark.parametrize('name,mode', CASES)
def test_program_matches_mxnet(name, mode, tmp_path):
    case, inputs = _case(name, mode)
    got = fcf.run_case(mx, case, inputs, str(tmp_path))
    assert 'error' not in got, str(got['error'])
    want = _expected(name, mode)
    ref_mode = PROGRAMS[name]['reference'].get(mode)
    if 'error' in want or ref_mode:
        # MXNet's hybridized run fails or is wrong (sometimes uninitialised memory): its eager
        # run is the reference
        ref = _expected(name, ref_mode or ('grad' if mode == 'hybgrad' else 'eager'))
        assert fcf._agrees(got, ref)
        return
    _same(got, want)


def _grads_of_import(name, tmp_path):
    """Outputs and input gradients of MXNet's export of ``name``, imported."""
    p = PROGRAMS[name]
    xs = [INPUTS['%s/x%d' % (name, i)] for i in range(len(p['shapes']))]
    prefix = os.path.join(DIR, name)
    names = [n for n in sym.load(prefix + '-symbol.json').list_inputs() if n.startswith('data')]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        net = gluon.SymbolBlock.imports(prefix + '-symbol.json', names, prefix + '-0000.params',
                                        ctx=current_context())
    arrays = [nd.array(xs[0 if n == 'data' else int(n[4:])]) for n in names]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        outs = net(*arrays)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        loss = fcf.loss_of(mx, outs)
    loss.backward()
    res = {'out%d' % j: o.asnumpy() for j, o in enumerate(outs)}
    for n, a in zip(names, arrays):
        res['gx%d' % (0 if n == 'data' else int(n[4:]))] = a.grad.asnumpy()
    return res


@pytest.mark.parametrize('name', EXPORTED)
def test_mxnet_export_imports_with_mxnet_numbers(name, tmp_path):
    got = _grads_of_import(name, tmp_path)
    want = _expected(name, 'export')
    for k in [k for k in want if k.startswith('out')]:
        assert not fcf._fuzz.diff_arrays(k, got[k], want[k], fcf.TOL)
    grads = _expected(name, 'grad')           # MXNet's eager gradients of the same program
    for k in [k for k in grads if k.startswith('gx')]:
        assert not fcf._fuzz.diff_arrays(k, got[k], grads[k], fcf.TOL)


@pytest.mark.parametrize('name', sorted(ERRORS))
def test_error_class_matches_mxnet(name):
    mro = ERRORS[name]['mro']
    assert mro is not None
    with pytest.raises(Exception) as info:
        exec(ERRORS[name]['code'], {'mx': mx, 'nd': nd, 'sym': sym, 'np': np})
        nd.waitall()
    assert mro[0] in [k.__name__ for k in type(info.value).__mro__], type(info.value).__mro__


# -- the fixes, one by one ---------------------------------------------------------------------------

def test_single_output_control_flow_nodes_name_their_output_output():
    # MXNet names the one output of an operator 'output' (net__cond0_output), a subgraph's cut
    # input after it included; minigluon's _cond/_foreach/_while_loop wrote 'output0'
    with NameManager():
        x, h = sym.var('x'), sym.var('h')
        c = sym.contrib.cond(x.sum() > 0, lambda: x * 2, lambda: x)
        _, st = sym.contrib.foreach(lambda d, s: ([], [s[0] + d]), x, [h])
        _, w = sym.contrib.while_loop(lambda a: a.sum() < 3, lambda a: (None, [a + 1]), [x],
                                      max_iterations=2)
        two = sym.contrib.cond(x.sum() > 0, lambda: [x, x * 2], lambda: [x, x])
    assert c.list_outputs() == ['_cond0_output']
    assert sym.Group(st).list_outputs() == ['_foreach0_output']
    assert sym.Group(w).list_outputs() == ['_while_loop0_output']
    assert sym.Group(two).list_outputs() == ['_cond1_output0', '_cond1_output1']


def test_graph_while_loop_refuses_max_iterations_below_one():
    # MXNet's _while_loop parameter bound; eagerly 0 runs no step, as in MXNet
    with pytest.raises(mx.base.MXNetError, match='max_iterations should be greater equal to 1'):
        sym.contrib.while_loop(lambda a: a.sum() < 3, lambda a: (a, [a + 1]), [sym.var('x')],
                               max_iterations=0)
    x = nd.array([1.0, 2.0])
    outs, final = nd.contrib.while_loop(lambda a: a.sum() < 30, lambda a: (a, [a + 1]), [x],
                                        max_iterations=0)
    assert outs == [] and final[0] is x


def test_body_returning_an_array_is_both_type_and_value_error():
    x, h = nd.ones((3, 2)), nd.zeros((2,))
    # MXNet unpacks the array (ValueError unless it has two rows); minigluon's TypeError is
    # also a ValueError (NotAPairError)
    with pytest.raises(TypeError, match=r'body must return a pair') as info:
        nd.contrib.foreach(lambda d, s: d, x, [h])
    assert isinstance(info.value, ValueError)
    assert type(info.value).__name__ == 'NotAPairError'
    with pytest.raises(TypeError, match='got NoneType'):            # not iterable: TypeError
        nd.contrib.while_loop(lambda a: a.sum() < 3, lambda a: None, [h], max_iterations=2)


# -- where minigluon deliberately differs -------------------------------------------------------------

def test_hybridized_foreach_over_empty_data_raises():
    # MXNet's hybridized foreach over data of length 0 returns uninitialised memory as the
    # final states (and its eager one an UnboundLocalError); minigluon raises a ValueError
    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x, h):
            _, st = F.contrib.foreach(lambda d, s: ([], [F.tanh(s[0] + d)]), x, [h])
            return st[0]
    net = Net()
    net.hybridize()
    with pytest.raises(ValueError, match='same length >= 1'):
        net(nd.zeros((0, 3)), nd.ones((3,)))
    with pytest.raises(ValueError, match='data has length 0'):
        nd.contrib.foreach(lambda d, s: ([], [s[0] + d]), nd.zeros((0, 3)), [nd.ones((3,))])
