"""``_arange`` / ``_linspace`` / ``_eye``: ``sym.arange`` / ``sym.linspace`` / ``sym.eye`` write MXNet 1.9.1's
nodes (recorded from MXNet: op names and attribute strings), infer their shapes without computing the
values, run in graphs, and give the same values as ``nd.arange`` / ``nd.linspace`` / ``nd.eye``."""
import json

import numpy as np
import pytest

from minigluon import nd, symbol as sym

# MXNet 1.9.1: json.loads(mx.sym.eye(3, 4, 1).tojson())['nodes'] etc.
MXNET_NODES = {
    'eye': {'op': '_eye', 'name': '_eye0', 'attrs': {'M': '4', 'N': '3', 'dtype': 'float32', 'k': '1'}},
    'arange': {'op': '_arange', 'name': '_arange0',
               'attrs': {'dtype': 'float32', 'infer_range': 'False', 'repeat': '1', 'start': '0',
                         'step': '2', 'stop': '5'}},
    'linspace': {'op': '_linspace', 'name': '_linspace0',
                 'attrs': {'dtype': 'float32', 'endpoint': 'True', 'num': '5', 'start': '0',
                           'stop': '1'}},
}


@pytest.mark.parametrize('kind,make,ref', [
    ('eye', lambda: sym.eye(3, 4, 1), lambda: nd.eye(3, 4, 1)),
    ('arange', lambda: sym.arange(0, 5, 2), lambda: nd.arange(0, 5, 2)),
    ('linspace', lambda: sym.linspace(0, 1, 5), lambda: nd.linspace(0, 1, 5))])
def test_nodes_shapes_and_values(kind, make, ref):
    from minigluon.name import NameManager
    with NameManager():
        s = make()
    node = json.loads(s.tojson())['nodes'][0]
    assert {k: node[k] for k in ('op', 'name', 'attrs')} == MXNET_NODES[kind]
    want = ref().asnumpy()
    assert s.infer_shape()[1] == [want.shape]
    np.testing.assert_array_equal(s.eval()[0].asnumpy(), want)


@pytest.mark.parametrize('args,kw', [((5,), {}), ((2, 11, 3), {'repeat': 2}), ((0, 1, 0.3), {}),
                                     ((1.5, 4.2, 0.7), {'dtype': 'float64'}), ((5, 2, -1), {})])
def test_arange_shape_formula_matches_the_values(args, kw):
    s = sym.arange(*args, **kw)
    values = nd.arange(*args, **kw).asnumpy()
    assert s.infer_shape()[1] == [values.shape]
    np.testing.assert_array_equal(s.eval()[0].asnumpy(), values)
    assert values.dtype == np.dtype(kw.get('dtype', 'float32'))


def test_huge_range_shape_is_inferred_without_allocating():
    assert sym.arange(0, 10 ** 12).infer_shape()[1] == [(10 ** 12,)]
