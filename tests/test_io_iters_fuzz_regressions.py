"""Differences between minigluon's and MXNet 1.9.1's ``mx.io`` iterators found by
``tools/fuzz_io_iters.py``. MXNet's batches come from ``tools/gen_io_iters_fuzz_fixtures.py``
(``tests/fixtures/io_iters_fuzz/batches.json``)."""
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tools'))
from fuzz_io_iters import epochs_by_iter_next, epochs_by_next, seven  # noqa: E402

FIX = json.load(open(os.path.join(os.path.dirname(__file__), 'fixtures', 'io_iters_fuzz',
                                  'batches.json')))


def _seven(last):
    return seven(mx, last)


@pytest.mark.parametrize('last', ['pad', 'discard', 'roll_over'])
def test_next_gives_mxnets_batches(last):
    assert epochs_by_next(_seven(last)) == FIX['next_' + last]


@pytest.mark.parametrize('last', ['pad', 'discard', 'roll_over'])
def test_iter_next_gives_the_batches_of_next(last):
    # Deliberate difference: MXNet's iter_next()/getdata() hand out the short last batch [6.0]
    # with 'discard' and 'roll_over' (only its next() drops or carries it); here both ways of
    # reading give the same batches.
    assert epochs_by_iter_next(_seven(last)) == FIX['next_' + last]
    if last != 'pad':
        assert FIX['iter_next_' + last][0][-1] == [[6.0], 0]


@pytest.mark.parametrize('data', ['abc', 3.0, [[1, 2], [3, 4]]])
def test_data_that_is_not_an_array_is_a_type_error_naming_it(data):
    # MXNet 1.9.1: TypeError "Input must be NDArray, numpy.ndarray, ..."; minigluon read 'abc'
    # as a float (ValueError) and a nested list as two arrays.
    with pytest.raises(TypeError, match='NDArrayIter: data must be an NDArray'):
        mx.io.NDArrayIter(data, batch_size=1)


def test_label_that_is_not_an_array_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match='NDArrayIter: label must be an NDArray'):
        mx.io.NDArrayIter(np.zeros((2, 1)), 'ab', batch_size=1)


@pytest.mark.parametrize('data', [None, [], {}])
def test_no_data_is_a_value_error(data):
    # MXNet 1.9.1 fails with a bare AssertionError or IndexError; minigluon built an iterator
    # without data arrays.
    with pytest.raises(ValueError, match='NDArrayIter: data must hold at least one array'):
        mx.io.NDArrayIter(data, np.zeros(4), batch_size=2)


@pytest.mark.parametrize('batch_size', [None, 2.5, '2', True])
def test_batch_size_that_is_not_an_int_is_a_type_error(batch_size):
    # MXNet 1.9.1 fails later (slicing with 2.5, IndexError for None); minigluon's int() gave an
    # unclear message for None and silently used 2 for 2.5.
    with pytest.raises(TypeError, match='NDArrayIter: batch_size must be an int'):
        mx.io.NDArrayIter(np.zeros((4, 1)), batch_size=batch_size)
