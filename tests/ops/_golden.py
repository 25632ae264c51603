"""MXNet golden operator cases (``cases.json`` + ``values.npz``, written by ``tools/_golden.py``'s
recorder) and the checks every such folder gets: outputs and gradients, the exported JSON node, and
the same call through a symbol graph after a JSON round trip.

A test module makes a :class:`Golden` for its fixture folder and parametrizes over ``cases`` (or
``sym_cases``, the cases whose symbol MXNet could build), calling the ``check_*`` methods; or it
binds the three standard tests of :func:`standard_tests` at its top level.
"""
import json
import os

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.executor import CachedOp
from minigluon.test_utils import assert_almost_equal

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures')


def resolve(ns, path):
    """``ns.a.b`` for ``path`` ``'a.b'``."""
    for part in path.split('.'):
        ns = getattr(ns, part)
    return ns


def listify(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


class Golden:
    """The recorded cases of ``tests/fixtures/<folder>``."""

    def __init__(self, folder):
        path = os.path.join(FIXTURES, folder)
        with open(os.path.join(path, 'cases.json')) as f:
            self.cases = json.load(f)['cases']
        self.values = np.load(os.path.join(path, 'values.npz'))
        self.sym_cases = [c for c in self.cases if 'json_op' in c]

    @staticmethod
    def ids(cases):
        return ['%s-%s' % (c['path'], c['key']) for c in cases]

    @staticmethod
    def attrs(case):
        """The case's attributes, with the tuples the generator passed back from JSON lists."""
        return {k: tuple(v) if isinstance(v, list) else v for k, v in case['attrs'].items()}

    def value(self, case, kind, i):
        """The recorded array ``<key>_<kind><i>`` (kind: in, out, head, grad)."""
        return self.values['%s_%s%d' % (case['key'], kind, i)]

    def inputs(self, case):
        return [nd.array(self.value(case, 'in', i), dtype=self.value(case, 'in', i).dtype)
                for i in range(case['n_in'])]

    def call(self, ns, case, inputs):
        return listify(resolve(ns, case['path'])(*inputs, *case.get('args', ()),
                                                  **self.attrs(case)))

    def check_outputs_and_gradients(self, case, atol=1e-6, grad_atol=1e-5, rtol=1e-5):
        """The eager call gives MXNet's outputs (value, shape, dtype) and, for MXNet's head
        gradients, MXNet's input gradients."""
        ins = self.inputs(case)
        for i in case['grads']:
            ins[i].attach_grad()
        with autograd.record():
            outs = self.call(nd, case, ins)
        assert len(outs) == case['n_out']
        for j, o in enumerate(outs):
            want = self.value(case, 'out', j)
            assert o.dtype == want.dtype and o.shape == want.shape
            assert_almost_equal(o, want, rtol=rtol, atol=atol, names=('minigluon', 'mxnet'),
                                equal_nan=True)      # NaN only where MXNet has NaN
        if case['grads']:
            heads = [nd.array(self.value(case, 'head', j)).astype(o.dtype)
                     for j, o in enumerate(outs)]
            autograd.backward(outs, heads)
            for i in case['grads']:
                assert_almost_equal(ins[i].grad, self.value(case, 'grad', i), rtol=rtol,
                                    atol=grad_atol,
                                    names=('minigluon grad %d' % i, 'mxnet grad %d' % i))

    def check_json_node(self, case):
        """The node written to ``-symbol.json`` has MXNet's operator name and attribute strings."""
        variables = [sym.var('in%d' % i) for i in range(case['n_in'])]
        out = self.call(sym, case, variables)[0]
        node = [n for n in json.loads(out.tojson())['nodes'] if n['op'] != 'null'][-1]
        assert node['op'] == case['json_op']
        assert node.get('attrs', {}) == case['json_attrs']

    def check_graph_round_trip(self, case, rtol=1e-5, atol=1e-6):
        """The call as a symbol graph, written to JSON and read back, infers MXNet's output
        shapes and computes MXNet's outputs."""
        ins = self.inputs(case)
        names = ['in%d' % i for i in range(case['n_in'])]
        graph = self.call(sym, case, [sym.var(n) for n in names])[0]
        graph = sym.load_json(graph.tojson())
        want = [self.value(case, 'out', j) for j in range(case['n_out'])]
        assert graph.infer_shape(**{n: a.shape for n, a in zip(names, ins)})[1] == \
            [w.shape for w in want]
        got = listify(CachedOp(graph)(*[ins[names.index(n)] for n in graph.list_inputs()]))
        for g, w in zip(got, want):
            assert_almost_equal(g, w, rtol=rtol, atol=atol, equal_nan=True)


def standard_tests(gold):
    """The three checks of every case of ``gold`` (a :class:`Golden`) as parametrized test
    functions, for a test module to bind at its top level (pytest collects them by those names)::

        test_outputs, test_json_node, test_graph_round_trip = standard_tests(Golden('ops_fuzz'))
    """
    def outputs(case):
        gold.check_outputs_and_gradients(case)

    def json_node(case):
        gold.check_json_node(case)

    def graph_round_trip(case):
        gold.check_graph_round_trip(case)

    by_case = pytest.mark.parametrize('case', gold.cases, ids=Golden.ids(gold.cases))
    by_sym_case = pytest.mark.parametrize('case', gold.sym_cases, ids=Golden.ids(gold.sym_cases))
    return by_case(outputs), by_sym_case(json_node), by_sym_case(graph_round_trip)
