"""The interleaved multi-head attention products against MXNet 1.9.1
(tests/fixtures/attention/cases.npz, from tools/gen_attention_fixtures.py). Numerical gradients,
eager against graph, float16/float64 and GPU: the op sweep (tests/ops/op_cases.py)."""
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, nd
from minigluon.base import MXNetError

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'attention', 'cases.npz')
NAMES = ('selfatt_qk', 'selfatt_valatt', 'encdec_qk', 'encdec_valatt')


@pytest.fixture(scope='module')
def cases():
    return np.load(FIX, allow_pickle=False)


@pytest.mark.parametrize('name', NAMES)
def test_forward_and_gradients_match_mxnet(cases, name):
    n_inputs = 1 if name == 'selfatt_qk' else 2
    arrays = [nd.array(cases['%s:in%d' % (name, i)]) for i in range(n_inputs)]
    for a in arrays:
        a.attach_grad()
    fn = getattr(nd.contrib, 'interleaved_matmul_' + name)
    with autograd.record():
        out = fn(*arrays, heads=2)
    out.backward(nd.array(cases[name + ':head']))
    np.testing.assert_allclose(out.asnumpy(), cases[name + ':out'], rtol=1e-5, atol=1e-6)
    for i, a in enumerate(arrays):
        np.testing.assert_allclose(a.grad.asnumpy(), cases['%s:grad%d' % (name, i)],
                                   rtol=1e-5, atol=1e-6)


def test_symbol_names_and_export_form():
    s = mx.sym.contrib.interleaved_matmul_encdec_qk(heads=2, name='att')
    assert s.list_arguments() == ['att_queries', 'att_keys_values']
    node = [n for n in __import__('json').loads(s.tojson())['nodes'] if n['op'] != 'null'][0]
    assert node['op'] == '_contrib_interleaved_matmul_encdec_qk' and node['attrs'] == {'heads': '2'}
    v = mx.sym.contrib.interleaved_matmul_selfatt_valatt(heads=2, name='va')
    assert v.list_arguments() == ['va_queries_keys_values', 'va_attention']


def test_bad_shapes_name_the_argument():
    with pytest.raises(MXNetError, match=r'queries_keys_values must be \(length, batch, 3 \* heads'):
        nd.contrib.interleaved_matmul_selfatt_qk(nd.ones((3, 2, 10)), heads=2)
    with pytest.raises(MXNetError, match='attention must be'):
        nd.contrib.interleaved_matmul_selfatt_valatt(nd.ones((3, 2, 12)), nd.ones((4, 3, 2)), heads=2)
    with pytest.raises(MXNetError, match='same batch size and head_dim'):
        nd.contrib.interleaved_matmul_encdec_qk(nd.ones((3, 2, 4)), nd.ones((5, 2, 16)), heads=2)
    with pytest.raises(MXNetError, match='heads must be a positive integer'):
        nd.contrib.interleaved_matmul_selfatt_qk(nd.ones((3, 2, 12)), heads=0)
    with pytest.raises(MXNetError, match='floating-point'):
        nd.contrib.interleaved_matmul_selfatt_qk(nd.ones((3, 2, 12), dtype='int32'), heads=2)
