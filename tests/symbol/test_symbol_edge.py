"""Edge cases of the symbol layer found by attacking it as a hostile user; golden values from
MXNet 1.9.1 (tools/gen_symbol_edge_fixtures.py -> tests/fixtures/symbol/edge.expected.json)."""
import json
import os

import numpy as np
import pytest

from minigluon import nd, sym
from minigluon.block.symbol_block import SymbolBlock
from minigluon.name import NameManager

_GOLD_PATH = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'symbol', 'edge.expected.json')
with open(_GOLD_PATH) as _f:
    GOLD = json.load(_f)

EXPRS = {'gt_scalar': lambda a: a > 1, 'ge_scalar': lambda a: a >= 1.5,
         'lt_scalar': lambda a: a < 1, 'le_scalar': lambda a: a <= 0,
         'eq_scalar': lambda a: a == 1, 'ne_scalar': lambda a: a != 2,
         'rpow_scalar': lambda a: 3 ** a, 'rgt_scalar': lambda a: 1 < a}


@pytest.mark.parametrize('key', sorted(EXPRS))
def test_scalar_comparison_and_rpow_node_names_match_mxnet(key):
    with NameManager():
        out = EXPRS[key](sym.var('a'))
    assert out.name == GOLD['names'][key]


def test_float_attributes_given_as_ints_print_like_mxnet():
    with NameManager():
        d = sym.var('data')
        g = sym.one_hot(d, depth=3, on_value=2, off_value=-1) + \
            sym.LeakyReLU(d, act_type='leaky', slope=1) + sym.Dropout(d, p=0) + \
            sym.BatchNorm(d, momentum=1, eps=0.5, name='bn')
    assert g.tojson() == GOLD['int_floats_json']
    assert sym.load_json(g.tojson()).tojson() == GOLD['int_floats_json']


def test_int_given_float_attribute_still_computes_as_float():
    x = nd.array([0, 2, 1])
    out = nd.one_hot(x, depth=3, on_value=2, off_value=-1)
    ref = np.where(np.eye(3)[[0, 2, 1]] > 0, 2.0, -1.0).astype(np.float32)
    np.testing.assert_array_equal(out.asnumpy(), ref)


@pytest.mark.parametrize('dtype', ['float16', 'float32', 'float64'])
def test_batchnorm_infer_type_keeps_float32_params_for_float16(dtype):
    bn = sym.BatchNorm(sym.var('data'), name='bn')
    got = [[t.__name__ for t in ts] for ts in bn.infer_type(data=dtype)]
    assert got == GOLD['bn_types'][dtype]


def test_batchnorm_with_relu_infers_every_output_type():
    bn = sym._contrib_BatchNormWithReLU(sym.var('data'), name='bn')
    _, outs, auxs = bn.get_internals().infer_type(data='float16')
    assert [t.__name__ for t in outs] == ['float16'] + ['float32'] * 4 + ['float16']
    assert [t.__name__ for t in auxs] == ['float32', 'float32']


def test_symbolblock_float16_input_keeps_batchnorm_params_float32():
    data = sym.var('data', dtype='float16')
    out = sym.BatchNorm(sym.Convolution(data, kernel=(1, 1), num_filter=2, name='c'), name='bn')
    block = SymbolBlock(out, data)
    dtypes = {name: np.dtype(p.dtype).name for name, p in block.collect_params().items()}
    assert dtypes == {'c_weight': 'float16', 'c_bias': 'float16', 'bn_gamma': 'float32',
                      'bn_beta': 'float32', 'bn_moving_mean': 'float32',
                      'bn_moving_var': 'float32'}


def test_attrscope_key_that_is_no_hidden_attribute_is_rejected_at_creation():
    import minigluon as mx
    x = mx.sym.var('x')
    with mx.AttrScope(foo='bar'):
        with pytest.raises(ValueError, match="'foo'.*not an argument"):
            mx.sym.FullyConnected(x, num_hidden=2, name='fc')
    with mx.AttrScope(ctx_group='dev1', lr_mult='2'):       # hidden keys still attach and round-trip
        y = mx.sym.FullyConnected(x, num_hidden=2, name='fc')
    again = mx.sym.load_json(y.tojson())
    assert again.tojson() == y.tojson() and y.attr('ctx_group') == 'dev1'


def test_infer_shape_sizes_a_zero_begin_state_from_the_data():
    # A cell's step on Symbols: the state _zeros(shape=(0, 3)) goes through FullyConnected and is
    # added to the data's projection; element-wise ops and FullyConnected fill the 0 (MXNet does).
    import minigluon as mx
    x = mx.sym.var('x')
    z = mx.sym.zeros(shape=(0, 3), name='state')
    s = mx.sym.FullyConnected(x, num_hidden=12, name='i2h') + mx.sym.FullyConnected(
        z, num_hidden=12, name='h2h')
    out = (mx.sym.Activation(mx.sym.slice_axis(s, axis=1, begin=0, end=3), act_type='sigmoid')
           * z).get_internals()
    shapes = dict(zip(out.list_outputs(), out.infer_shape_partial(x=(2, 4))[1]))
    assert shapes['state_output'] == (2, 3)
    assert shapes['h2h_output'] == (2, 12)
