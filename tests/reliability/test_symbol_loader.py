"""The ``-symbol.json`` loader and everything downstream of it (tojson, inference, the cached
graph, SymbolBlock.imports) on hostile graphs not covered by tests/symbol/test_json.py: very deep
chains (no recursion anywhere), self-references, lone surrogates, huge numbers, wrong containers."""
import json

import numpy as np
import pytest

from minigluon import autograd, gluon, nd
from minigluon import symbol as sym
from minigluon.base import MXNetFormatError
from minigluon.executor import CachedOp


def _chain(n):
    nodes = [{'op': 'null', 'name': 'x', 'inputs': []}]
    nodes += [{'op': 'relu', 'name': 'r%d' % i, 'inputs': [[i, 0, 0]]} for i in range(n)]
    return {'nodes': nodes, 'heads': [[n, 0, 0]]}


def test_deep_chain_has_no_recursion_limit(tmp_path):
    depth = 12000                     # far past Python's default recursion limit of 1000
    s = sym.load_json(json.dumps(_chain(depth)))
    assert sym.load_json(s.tojson()).tojson() == s.tojson()
    assert s.infer_shape(x=(2, 3))[1] == [(2, 3)]
    assert len(s.get_internals().list_outputs()) == depth + 1
    x = nd.array(np.arange(6.0).reshape(2, 3) - 2)
    np.testing.assert_array_equal(CachedOp(s)(x)[0].asnumpy(), np.maximum(x.asnumpy(), 0))
    path = tmp_path / 'deep-symbol.json'
    path.write_text(s.tojson())
    block = gluon.SymbolBlock.imports(str(path), ['x'])
    x.attach_grad()
    with autograd.record():
        y = block(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), (x.asnumpy() > 0).astype(np.float32))


def _graph(**changes):
    g = {'nodes': [{'op': 'null', 'name': 'x', 'inputs': []},
                   {'op': 'relu', 'name': 'r', 'inputs': [[0, 0, 0]]}],
         'heads': [[1, 0, 0]]}
    for key, value in changes.items():
        if key == 'node1':
            g['nodes'][1].update(value)
        else:
            g[key] = value
    return json.dumps(g)


@pytest.mark.parametrize('text, pattern', [
    (_graph(node1={'inputs': [[1, 0, 0]]}), "'r'.*earlier node"),                 # self-loop
    (_graph(node1={'inputs': [[10 ** 30, 0, 0]]}), "'r'.*earlier node"),
    (_graph(node1={'inputs': [[0, 2 ** 63, 0]]}), "'r'.*output"),
    (_graph(node1={'inputs': [[0, 0, 0, 0]]}), 'entry must be'),
    (_graph(node1={'inputs': [[0.0, 0, 0]]}), 'of ints'),
    (_graph(node1={'inputs': [[True, 0, 0]]}), 'of ints'),
    (_graph(node1={'inputs': {'0': 0}}), "'inputs' must be a list"),
    (_graph(node1={'name': 'r\ud800'}), 'not valid Unicode'),
    (_graph(node1={'attrs': {'__k__': '\udfff'}}), 'not valid Unicode'),
    (_graph(node1={'attrs': ['x']}), 'must be an object'),
    (_graph(node1={'op': None}), "'op' and 'name' must be strings"),
    (_graph(node1={'op': 'relu' * 1000}), 'unknown operator'),
    (_graph(heads=[[1, 5, 0]]), 'heads.*output'),
    (_graph(heads=[]), 'heads'),
    (_graph(heads='x'), 'heads'),
    (_graph(nodes=[]), 'heads'),
    (_graph(attrs={'mxnet_version': ['int', 'x']}), 'mxnet_version'),
    (_graph(attrs=[1]), "'attrs' must be an object"),
    ('{"nodes": [], "heads": [[0, 0, 0]]}', 'heads'),
    ('{"nodes": 1e999}', "'nodes' list"),
    ('{"nodes": [' + '{"op": "null", "name": "a"},' * 3 + ']}', 'not valid JSON'),
    ('\ufeff{"nodes": []}', 'not valid JSON|nodes'),
    ('null', "'nodes' list"),
    ('{"nodes": [' + '[' * 50000 + ']' * 50000 + ']}', 'not valid JSON|node 0'),
])
def test_hostile_graphs_raise_format_error(text, pattern):
    with pytest.raises(MXNetFormatError, match=pattern):
        sym.load_json(text)


def test_loading_never_allocates_what_a_shape_attribute_announces():
    # a 4 EiB variable: loading and listing are free; only inference would need the memory
    text = json.dumps({'nodes': [{'op': 'null', 'name': 'x',
                                  'attrs': {'__shape__': '(1073741824, 1073741824, 4)'}, 'inputs': []},
                                 {'op': 'Flatten', 'name': 'f', 'inputs': [[0, 0, 0]]}],
                       'heads': [[1, 0, 0]]})
    s = sym.load_json(text)
    assert s.list_arguments() == ['x']
    assert '1073741824' in s.tojson()


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / 'net-symbol.json'
    path.write_bytes(b'{"nodes": [\xff]}')
    with pytest.raises(MXNetFormatError, match='net-symbol.json'):
        sym.load(str(path))
    with pytest.raises(MXNetFormatError, match='net-symbol.json'):
        gluon.SymbolBlock.imports(str(path), ['data'])
