"""MXNet 1.9.1's outcomes for what ``tools/fuzz_control_flow.py`` found; run in the MXNet venv,
never by the test suite::

    /opt/mxvenv/bin/python tools/gen_control_flow_fuzz_fixtures.py

Writes ``tests/fixtures/control_flow_fuzz/`` (read by ``tests/test_control_flow_fuzz_regressions.py``):

* ``programs.json``: ``programs``: name -> ``{'code', 'shapes', 'pnames', 'modes', 'dtype',
  'reference'}``, programs in the fuzzer's form (``def prog(F, X, P)``), run by
  ``fuzz_control_flow.run_case`` in each mode (``reference``: mode -> the mode of MXNet's
  results to compare with, where MXNet's own numbers in that mode are wrong); ``exported``;
  ``inputs.npz`` (``<name>/x<i>``, ``<name>/p:<param>``) and ``expected.npz``
  (``<name>/<mode>/<result>``: MXNet's results; ``<name>/<mode>/error`` and ``/mro`` when MXNet
  raised). Where MXNet's hybridized run fails or is wrong (the fuzzer's known families), its
  eager results are the reference of minigluon's hybridized ones;
* ``<name>-symbol.json`` / ``<name>-0000.params``: the programs of ``EXPORTED``, exported by
  MXNet from a hybridized block (``SymbolBlock.imports`` must give ``<name>/export/out<j>``);
* ``errors.json``: name -> ``{'code', 'mro'}``: statements run with ``mx``, ``nd``, ``sym``,
  ``np`` and the class names of what MXNet raised (a test checks that minigluon raises an
  instance of MXNet's class).
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_control_flow as fcf  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'control_flow_fuzz')

# -- programs (fuzzer form) ---------------------------------------------------------------------------

PROGRAMS = {
    # A single-output _cond and _while_loop read by a later subgraph: the cut input is named
    # after the output 'output' (net__cond0_output), as MXNet names a single output; minigluon
    # wrote 'output0'. Exported by MXNet; minigluon's export must give the same JSON.
    'single_output_read_later': {
        'code': '''def prog(F, X, P):
    c = F.contrib.cond(F.sum(X[1]) > 0, lambda: F.tanh(X[1]) * 2, lambda: X[1] * 0.5)
    def body(d, s):
        return F.broadcast_mul(d, c), [F.tanh(s[0] + F.sum(d * c))]
    o, st = F.contrib.foreach(body, X[0], [F.sum(X[1]) * 0])
    _, w = F.contrib.while_loop(lambda a: F.sum(a) < 3, lambda a: (None, a + 1), X[1] * 1,
                                max_iterations=4)
    r = F.contrib.cond(F.sum(w) > 0, lambda: w * P['p0'], lambda: w - c)
    return OUT(o, st, w, r)
''',
        'shapes': [(3, 2), (2,)], 'params': {'p0': (2,)},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad', 'export'],
        # MXNet's hybridized gradient of X[1] is uninitialised memory in some runs
        'reference': {'hybgrad': 'grad'}},
    # foreach over two data arrays with nested states, a parameter read as a closure and a
    # cond inside the body whose predicate comes from the data slice (MXNet's hybridized run
    # fails its shape inference: its eager results are the reference).
    'foreach_nested_cond': {
        'code': '''def prog(F, X, P):
    def body(d, s):
        a, (b,) = s
        h = F.tanh(F.dot(d[0], P['w']) + b)
        c = F.contrib.cond(F.sum(d[1]) > 0, lambda: h * 2, lambda: F.sigmoid(h) - a)
        return [c, [F.sum(h, axis=1)]], [F.tanh(a * 0.5 + c), [F.sin(b + h)]]
    o, st = F.contrib.foreach(body, [X[0], X[1]], [X[2], [X[2] * 0.5]])
    return OUT(o, st)
''',
        'shapes': [(4, 2, 3), (4, 2, 3), (2, 3)], 'params': {'w': (3, 3)},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad']},
    # foreach over two data arrays, one state alone (not in a list) and nested step outputs,
    # reading a parameter and an input as closures. Exported by MXNet.
    'foreach_list_data_single_state': {
        'code': '''def prog(F, X, P):
    def body(d, s):
        h = F.tanh(F.dot(d[0], P['w']) + s * d[1] + X[2])
        return [[h], F.sum(h, axis=0)], F.sigmoid(s + h)
    o, st = F.contrib.foreach(body, [X[0], X[1]], X[2] * 0.5)
    return OUT(o, st)
''',
        'shapes': [(3, 2, 3), (3, 2, 3), (2, 3)], 'params': {'w': (3, 3)},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad', 'export'],
        # the state starts from X[2], which the body also reads: MXNet's hybridized
        # gradients are wrong (as in 'while_closure_and_start_shared')
        'reference': {'hybgrad': 'grad'}},
    # cond whose branches hold a foreach each (predicate from an input). Exported by MXNet.
    'cond_holding_foreach': {
        'code': '''def prog(F, X, P):
    def then():
        o, st = F.contrib.foreach(lambda d, s: (d * s[0], [s[0] + d]), X[0], [X[1]])
        return [o, st[0]]
    def other():
        o, st = F.contrib.foreach(lambda d, s: (F.sin(d) + P['p0'], [s[0] * d]), X[0], [X[1]])
        return [o, st[0]]
    return OUT(F.contrib.cond(F.mean(X[1]) > 0, then, other))
''',
        'shapes': [(3, 4), (4,)], 'params': {'p0': (4,)},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad', 'export']},
    # while_loop reaching max_iterations, reading a parameter and a value computed outside;
    # its step outputs (rows after the last step zeroed by MASK) and final variables.
    'while_closures_max_reached': {
        'code': '''def prog(F, X, P):
    v = F.tanh(X[1])
    def func(k, a):
        n = F.sigmoid(F.dot(a, P['w']) + v)
        return [n, F.sum(n)], [k + 1, n]
    o, (k, a) = F.contrib.while_loop(lambda k, a: k < 9, func,
                                     [F.zeros_like(F.sum(X[0])), X[0] * 1], max_iterations=3)
    return OUT(MASK(F, o, k, 3), k, a)
''',
        'shapes': [(2, 3), (2, 3)], 'params': {'w': (3, 3)},
        'modes': ['eager', 'grad', 'hyb', 'export']},
    # -- where minigluon's hybridized run is right and MXNet's is not: MXNet's eager results are
    #    the reference (docs/PORTING.md's "deliberately differs" rows on control flow) ---------------
    # a hybridized float64 cond fails in MXNet ("Incompatible attr in node ..._identity0":
    # the predicate computed outside goes through an identity node typed float32)
    'cond_float64': {
        'code': '''def prog(F, X, P):
    c = F.contrib.cond(F.sum(X[0]) > 0, lambda: [F.sin(X[0]) * P['p0'], X[0]],
                       lambda: [X[0] * 2, F.cos(X[0])])
    return OUT(c)
''',
        'shapes': [(2, 3)], 'params': {'p0': (2, 3)}, 'dtype': 'float64',
        'modes': ['eager', 'grad', 'hyb', 'hybgrad']},
    # a hybridized foreach whose body holds a while_loop (or a cond) fails MXNet's shape
    # inference
    'foreach_holding_while': {
        'code': '''def prog(F, X, P):
    def body(d, s):
        _, w = F.contrib.while_loop(lambda k, a: k < 2, lambda k, a: (None, [k + 1, F.tanh(a + d)]),
                                    [F.zeros_like(F.sum(d)), s[0]], max_iterations=3)
        return w[1] * P['p0'], [w[1]]
    o, st = F.contrib.foreach(body, X[0], [X[1]])
    return OUT(o, st)
''',
        'shapes': [(3, 4), (4,)], 'params': {'p0': (4,)},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad']},
    # a hybridized while_loop that runs no step: MXNet cannot infer the shapes of its outputs
    # for the operators reading them (eagerly the outputs are [])
    'while_no_step_outputs_read': {
        'code': '''def prog(F, X, P):
    o, (k, a) = F.contrib.while_loop(lambda k, a: k < 0, lambda k, a: ([a * 2], [k + 1, a + 1]),
                                     [F.zeros_like(F.sum(X[0])), X[0] * 1], max_iterations=2)
    return OUT(MASK(F, o, k, 2), k, F.tanh(a))
''',
        'shapes': [(2, 3)], 'params': {},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad']},
    # MXNet's `mean` backward into a gradient being added to divides the earlier sum too: a
    # hybridized loop body reading an outside array through `mean` gets a wrong gradient
    'mean_in_loop_body': {
        'code': '''def prog(F, X, P):
    o, st = F.contrib.foreach(lambda d, s: (F.broadcast_mul(d, F.mean(X[1])), [s[0] + d]),
                              X[0], [X[2]])
    return OUT(o, st)
''',
        'shapes': [(3, 2, 3), (2, 3), (2, 3)], 'params': {},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad'], 'reference': {'hybgrad': 'grad'}},
    # a hybridized while_loop whose loop variable starts from the array that func also reads
    # as a closure: MXNet's gradient is wrong
    'while_closure_and_start_shared': {
        'code': '''def prog(F, X, P):
    v = F.tanh(F.sum(X[0]))
    _, w = F.contrib.while_loop(lambda k, a: k < 3, lambda k, a: ([], [k + 1, F.sigmoid(a * 0.9 + v)]),
                                [F.zeros_like(v), v], max_iterations=3)
    return OUT(w)
''',
        'shapes': [(2, 2)], 'params': {},
        'modes': ['eager', 'grad', 'hyb', 'hybgrad'], 'reference': {'hybgrad': 'grad'}},
}
EXPORTED = ('single_output_read_later', 'foreach_list_data_single_state', 'cond_holding_foreach',
            'while_closures_max_reached')

# -- error classes --------------------------------------------------------------------------------------

ERRORS = {
    # a body / func returning a list or tuple of another length than 2: MXNet's unpacking
    # ValueError (minigluon raised TypeError)
    'foreach_body_returns_three': "nd.contrib.foreach(lambda d, s: (d, s, d), nd.ones((3, 2)), "
                                  "[nd.zeros((2,))])",
    'while_func_returns_one': "nd.contrib.while_loop(lambda a: a.sum() < 3, lambda a: [a + 1], "
                              "[nd.ones((2,))], max_iterations=3)",
    'sym_foreach_body_returns_one': "sym.contrib.foreach(lambda d, s: [d + s[0]], sym.var('x'), "
                                    "[sym.var('h')])",
    'sym_while_func_returns_three': "sym.contrib.while_loop(lambda a: a.sum() < 3, lambda a: "
                                    "(a, [a + 1], a), [sym.var('x')], max_iterations=3)",
    # sym.contrib.foreach's asserts (minigluon raised ValueError)
    'sym_foreach_state_unused': "sym.contrib.foreach(lambda d, s: (d * 2, [d + 1]), sym.var('x'), "
                                "[sym.var('h')])",
    'sym_foreach_data_unused': "sym.contrib.foreach(lambda d, s: (s[0] * 2, [s[0] + 1]), "
                               "sym.var('x'), [sym.var('h')])",
    'sym_foreach_state_structure': "sym.contrib.foreach(lambda d, s: (d, [[s[0] + d], s[1]]), "
                                   "sym.var('x'), [sym.var('h'), sym.var('g')])",
    # one array given twice (minigluon's node construction failed with ValueError)
    'sym_foreach_same_state_twice': "h = sym.var('h'); sym.contrib.foreach(lambda d, s: (d, "
                                    "[s[0] + d, s[1] * d]), sym.var('x'), [h, h])",
    'sym_foreach_data_as_state': "h = sym.var('h'); sym.contrib.foreach(lambda d, s: (d, "
                                 "[s[0] + d]), h, [h])",
    'sym_while_same_var_twice': "h = sym.var('h'); sym.contrib.while_loop(lambda a, b: a.sum() < 3, "
                                "lambda a, b: (a, [a + 1, b * 2]), [h, h], max_iterations=2)",
    # max_iterations below 1 in a graph while_loop: MXNet's parameter bound (minigluon ran)
    'sym_while_max_iterations_0': "sym.contrib.while_loop(lambda a: a.sum() < 3, lambda a: "
                                  "(a * 2, [a + 1]), [sym.var('x')], max_iterations=0)",
    # a step output that changes shape: MXNet's stack / concat fail with MXNetError
    # (minigluon raised a plain ValueError)
    'foreach_output_shape_changes': "nd.contrib.foreach(lambda d, s: (nd.concat(s[0], d, dim=0), "
                                    "[nd.concat(s[0], d, dim=0)]), nd.ones((2, 1)), [nd.ones((1,))])",
    'while_output_shape_changes': "nd.contrib.while_loop(lambda a: a.sum() < 5, lambda a: "
                                  "(a, [nd.concat(a, a, dim=0)]), [nd.ones((1,))], max_iterations=3)",
}


def rand(rng, shape, dtype):
    return rng.uniform(-1, 1, size=shape).astype(dtype)


def case_of(name, prog, mode):
    """The fuzzer's case dict of program ``name`` in ``mode``."""
    return {'key': name, 'code': prog['code'], 'mode': mode, 'n_x': len(prog['shapes']),
            'n_in': len(prog['shapes']) + len(prog['params']), 'pnames': list(prog['params'])}


def case_inputs(name, prog, inputs):
    """``inputs.npz``'s arrays of ``name`` as the fuzzer's ``<key>_in<i>`` dict."""
    arrays = [inputs['%s/x%d' % (name, i)] for i in range(len(prog['shapes']))]
    arrays += [inputs['%s/p:%s' % (name, p)] for p in prog['params']]
    return {'%s_in%d' % (name, i): a for i, a in enumerate(arrays)}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(0)
    inputs, expected, meta = {}, {}, {}
    for name, prog in PROGRAMS.items():
        dt = prog.get('dtype', 'float32')
        for i, s in enumerate(prog['shapes']):
            inputs['%s/x%d' % (name, i)] = rand(rng, s, dt)
        for p, s in prog['params'].items():
            inputs['%s/p:%s' % (name, p)] = rand(rng, s, dt) * 0.6
        meta[name] = {'code': prog['code'], 'shapes': prog['shapes'],
                      'pnames': list(prog['params']), 'modes': prog['modes'], 'dtype': dt,
                      'reference': prog.get('reference', {})}
    for name, prog in PROGRAMS.items():
        ins = case_inputs(name, prog, inputs)
        for mode in prog['modes']:
            tmp = tempfile.mkdtemp()
            try:
                res = fcf.run_case(mx, case_of(name, prog, mode), ins, tmp)
                if mode == 'export' and 'error' not in res:
                    for suffix in ('-symbol.json', '-0000.params'):
                        shutil.copy(os.path.join(tmp, 'net' + suffix),
                                    os.path.join(OUT, name + suffix))
            finally:
                shutil.rmtree(tmp)
            for k, v in res.items():
                expected['%s/%s/%s' % (name, mode, k)] = v
            print(name, mode, str(res.get('error', 'ok'))[:120])
    np.savez(os.path.join(OUT, 'inputs.npz'), **inputs)
    np.savez(os.path.join(OUT, 'expected.npz'), **expected)
    with open(os.path.join(OUT, 'programs.json'), 'w') as f:
        json.dump({'programs': meta, 'exported': list(EXPORTED)}, f, indent=1, sort_keys=True)
    errors = {}
    env = {'mx': mx, 'nd': mx.nd, 'sym': mx.sym, 'np': np}
    for name, code in ERRORS.items():
        try:
            exec(code, dict(env))
            mx.nd.waitall()         # MXNet's stack of mismatched shapes fails asynchronously
            mro = None
        except Exception as e:  # noqa: BLE001 -- the outcome is the class raised
            mro = [k.__name__ for k in type(e).__mro__]
        errors[name] = {'code': code, 'mro': mro}
        print(name, mro and mro[0])
    with open(os.path.join(OUT, 'errors.json'), 'w') as f:
        json.dump(errors, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
