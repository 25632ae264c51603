"""What a user fine-tuning an imported model met (newuser21): a hybridized block or a
``SymbolBlock`` given a NumPy array, a list or a number where an NDArray belongs.

MXNet 1.9.1's exception classes for these calls are recorded by tools/gen_newuser21_fixtures.py
(tests/fixtures/newuser21/mxnet.json): minigluon's error must be an instance of each, so that
an ``except`` written for MXNet still catches it. Its message must also name the block, the
Python type given (``numpy.ndarray``, not a bare ``ndarray`` that reads like ``NDArray``) and
the fix, as the eager call of a HybridBlock already does ("convert NumPy arrays with
mx.nd.array(...)"); before, a SymbolBlock said "got ndarray" (a ``TypeError`` where MXNet
asserts) and a hybridized call printed the whole array with no hint.
"""
import builtins
import os
import sys

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.dirname(__file__))
import _newuser21_program as program  # noqa: E402
from _breaker import mxnet_fixture  # noqa: E402

CASES = program.cases(mx)


def _error(name):
    with pytest.raises(Exception) as info:
        CASES[name]()
    return info.value


@pytest.mark.parametrize('name', sorted(CASES))
def test_the_error_is_caught_by_what_catches_mxnets(name):
    want = mxnet_fixture('newuser21')[name]
    assert want, 'MXNet raised nothing for %s' % name
    err = _error(name)
    for cls in want:
        assert isinstance(err, getattr(builtins, cls)), (name, cls, type(err).__mro__)


@pytest.mark.parametrize('name,block,given', [
    ('symbolblock_numpy_first', 'SymbolBlock', 'numpy.ndarray'),
    ('symbolblock_numpy_second', 'SymbolBlock', 'numpy.ndarray'),
    ('hybridized_numpy_second', 'two (Two)', 'numpy.ndarray'),
    ('hybridized_number_second', 'two (Two)', 'float'),
])
def test_the_message_names_the_block_the_type_and_the_fix(name, block, given):
    msg = str(_error(name))
    assert block in msg and given in msg and 'mx.nd.array(' in msg, msg


def test_a_large_numpy_batch_is_described_not_printed():
    block = mx.gluon.SymbolBlock(mx.sym.var('a') + mx.sym.var('b'),
                                 [mx.sym.var('a'), mx.sym.var('b')])
    with pytest.raises(ValueError) as info:
        block(mx.nd.ones((64, 100)), np.ones((64, 100), dtype='float32'))
    msg = str(info.value)
    assert '(64, 100)' in msg and len(msg) < 600, msg


def test_ndarrays_and_none_still_pass():
    block = mx.gluon.SymbolBlock(mx.sym.var('a') + mx.sym.var('b'),
                                 [mx.sym.var('a'), mx.sym.var('b')])
    out = block(mx.nd.ones((1, 2)), mx.nd.ones((1, 2)) * 2)
    np.testing.assert_array_equal(out.asnumpy(), [[3, 3]])
