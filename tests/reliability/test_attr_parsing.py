"""Operator attribute strings (as found in ``-symbol.json``) are parsed without eval and without
MemoryError/RecursionError on hostile text; the result matches what Python's literal syntax gives
for the literals MXNet writes."""
import ast
import json

import pytest

from minigluon import nd
from minigluon import symbol as sym
from minigluon.base import MXNetFormatError
from minigluon.ops._literal import parse_literal as _parse_literal

MXNET_STRINGS = ['(3, 3)', '(3,)', '(3)', '[1, 2]', 'True', 'False', 'None', '1e-05', '-1', '0.5',
                 '.5', '(0, None)', '()', '((1, 2), (3,))', "'float32'", '"abc"', ' ( 1 , 2 , ) ',
                 '(-1, -2)', '1.0', '(None,)', '64']


@pytest.mark.parametrize('text', MXNET_STRINGS)
def test_literals_agree_with_python_literal_syntax(text):
    expected = ast.literal_eval(text.strip())
    got = _parse_literal(text)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize('text', ['relu', 'inf', '-inf', 'nan', 'float32', '(1,)*3', '{1: 2}',
                                  'Truex', '(1 2)', "__import__('os')"])
def test_other_text_stays_text(text):
    assert _parse_literal(text) == text


@pytest.mark.parametrize('text', ['999', 'abc', '{1: 2}'])
def test_shape_attribute_never_iterates_a_string(text):
    with pytest.raises(ValueError, match="Reshape: attribute 'shape'"):
        nd.reshape(nd.ones((2, 3)), shape='"%s"' % text if text == '999' else text)


HOSTILE = ['-' * 100000 + '1', '1' + '+1' * 100000, '(' * 5000, '[' * 40 + ']' * 40, '9' * 5000,
           '(' + '1, ' * 100000 + ')']


@pytest.mark.parametrize('text', HOSTILE, ids=['minus-chain', 'plus-chain', 'open-parens',
                                               'deep-list', 'huge-int', 'long-tuple'])
def test_hostile_attribute_strings_fail_cleanly(text):
    _parse_literal(text)      # returns something, never MemoryError / RecursionError
    with pytest.raises((ValueError, TypeError)) as info:
        nd.reshape(nd.ones((2, 3)), shape=text)
    assert 'Reshape' in str(info.value)


@pytest.mark.parametrize('text', HOSTILE[:5], ids=['minus-chain', 'plus-chain', 'open-parens',
                                                   'deep-list', 'huge-int'])
def test_hostile_attribute_in_symbol_json_names_the_node(text):
    graph = {'nodes': [{'op': 'null', 'name': 'x', 'inputs': []},
                       {'op': 'Reshape', 'name': 'rs', 'attrs': {'shape': text},
                        'inputs': [[0, 0, 0]]}],
             'heads': [[1, 0, 0]]}
    with pytest.raises(MXNetFormatError, match="'rs'"):
        sym.load_json(json.dumps(graph))
