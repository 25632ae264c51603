"""Regressions found by tools/fuzz_symbol_api.py (the Symbol API against MXNet 1.9.1).

The expected values were made by MXNet 1.9.1 (tools/gen_symbol_api_fuzz_fixtures.py ->
tests/fixtures/symbol_api_fuzz/expected.json); the last tests pin where minigluon deliberately
differs (docs/PORTING.md's table), with hand-computed values.
"""
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'tools'))
from fuzz_symbol_api import run_case_code  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'symbol_api_fuzz',
                        'expected.json')
with open(FIXTURES) as _f:
    CASES = json.load(_f)


def run(code):
    return run_case_code(mx, code)


@pytest.mark.parametrize('key', sorted(CASES))
def test_matches_mxnet(key):
    assert run(CASES[key]['code']) == CASES[key]['expected']


def test_plain_attribute_on_operator_with_parameters_names_the_key():
    with pytest.raises(ValueError, match="FullyConnected: attribute 'k'"):
        mx.sym.FullyConnected(mx.sym.var('d'), num_hidden=2, attr={'k': 'v'})


def test_infer_checks_raise_mxnet_errors_naming_the_node():
    # the checks MXNet makes in infer_shape_partial / infer_type_partial raise MXNetError
    with pytest.raises(mx.base.MXNetError, match="BatchNorm 'b'.*int32"):
        mx.sym.BatchNorm(mx.sym.var('data', dtype='int32'), name='b').infer_type_partial()
    with pytest.raises(mx.base.MXNetError, match="Pooling 'p'.*2 spatial dimensions"):
        mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2), name='p').infer_shape_partial(data=(0, 3))
    with pytest.raises(TypeError, match='Concat: positional argument 1 must be a Symbol'):
        mx.sym.Concat(mx.sym.var('a'), None, dim=0)


# -- deliberate differences (MXNet 1.9.1 raises or crashes) ----------------------------------------

def test_dropout_of_an_untyped_input():
    # MXNet 1.9.1: "input type to dropout is not specified" from infer_type_partial, even where
    # the dtype is learnt from a later node; here the dtype stays unknown, or is learnt
    d = mx.sym.Dropout(mx.sym.var('data'), p=0.5)
    assert d.infer_type_partial() == ([None], [None], [])
    args, outs, _ = (d + mx.sym.var('y', dtype='float16')).infer_type_partial()
    assert args == [np.float16, np.float16] and outs == [np.float16]


def test_positional_infer_shape_and_type():
    # MXNet 1.9.1: "basic_string::_S_construct null not valid" for any positional argument
    fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=3, name='fc')
    args, outs, aux = fc.infer_shape((2, 5))
    assert args == [(2, 5), (3, 5), (3,)] and outs == [(2, 3)] and aux == []
    args, outs, _ = fc.infer_type('float16')
    assert args == [np.float16] * 3 and outs == [np.float16]


def test_negative_output_index_and_positional_compose():
    # MXNet 1.9.1 raises for both ("Symbol only accept nonnegative index", "General
    # composition only support kwargs for now")
    g = mx.sym.Group([mx.sym.var('a'), mx.sym.var('b')])
    assert g[-1].name == 'b'
    fc = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='f')
    assert fc(mx.sym.var('y')).list_arguments() == ['y', 'f_weight', 'f_bias']


def test_composing_a_variable():
    # MXNet 1.9.1 makes a variable node with an input (list_arguments ['t', 'v'], output 'v')
    v, t = mx.sym.var('v'), mx.sym.var('t')
    assert v(v=t).name == 't' and v(t).list_arguments() == ['t']
    with pytest.raises(ValueError, match="'data'"):
        v(data=t)


def test_keyword_composition_of_duplicate_argument_names():
    # MXNet 1.9.1 replaces nothing when the graph holds two arguments of one name (not even
    # those of unique names given with them): (a + b)(data=z) keeps both 'data'. minigluon
    # replaces every argument of each name given.
    a, b = mx.sym.var('data', shape=(1,)), mx.sym.var('data', shape=(2,))
    z = mx.sym.var('z')
    assert (a + b)(data=z).list_arguments() == ['z']
    s = mx.sym.Concat(a, mx.sym.var('y'), b, dim=0)
    assert s(data=z, y=mx.sym.var('w')).list_arguments() == ['z', 'w']    # (z listed once)
