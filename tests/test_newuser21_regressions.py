"""What a user porting MXNet 1.x Gluon scripts met (newuser21): a hybridized block or a
``SymbolBlock`` given a NumPy array, a list or a number where an NDArray belongs (fine-tuning an
imported model), and ``HybridBlock.optimize_for`` (preparing a network for CPU inference).

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
    want = mxnet_fixture('newuser21')['errors'][name]
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


def test_optimize_for_hybridizes_and_builds_the_graph_as_mxnet():
    # MXNet 1.9.1: optimize_for(x, backend=...) is hybridize(True, backend, ...) plus the graph
    # built for x (no forward run); minigluon raised NotSupportedError, so a legacy inference
    # script written the way MXNet 1.8+ guides it (backend='MKLDNN') stopped there. Backends
    # are accepted and ignored, as hybridize(backend=...) already does: the plain graph gives
    # MXNet's numbers and exports loadable anywhere.
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        got = program.optimize_for(mx, folder)
    want = mxnet_fixture('newuser21')['optimize_for']
    assert got['exported'] == want['exported']
    assert got['deferred_shapes'] == want['deferred_shapes']
    assert got['deferred_exported'] == want['deferred_exported']
    np.testing.assert_allclose(got['first'], want['first'], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got['second'], want['second'], rtol=1e-5, atol=1e-5)
    err = _optimize_for_error()
    assert want['no_backend'] and all(isinstance(err, getattr(builtins, cls))
                                      for cls in want['no_backend'])


def _optimize_for_error():
    plain = mx.gluon.nn.Dense(2, in_units=2)
    plain.initialize()
    with pytest.raises(Exception) as info:
        plain.optimize_for(mx.nd.ones((1, 2)))
    return info.value


def test_optimize_for_does_not_run_the_forward_and_then_the_graph_is_used():
    calls = []

    class Counting(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            calls.append(F.__name__.rsplit('.', 1)[-1])
            return x * 2

    net = Counting()
    net.initialize()
    net.optimize_for(mx.nd.ones((2, 3)), backend='MKLDNN', static_alloc=True)
    assert calls == ['symbol']                 # traced once, not run eagerly
    out = net(mx.nd.ones((2, 3)))
    assert calls == ['symbol'] and out.asnumpy().tolist() == [[2.0] * 3] * 2
