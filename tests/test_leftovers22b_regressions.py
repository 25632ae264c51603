"""Regressions left by earlier trials and fixed by leftovers22b: a tuple then a NumPy array in one
batch, ``Resize`` / ``CenterCrop`` sizes as strings or whole floats, the exception classes of
recurrent layers given the wrong states, NDArray-only methods on a Symbol, and the Module-era
``mx.rnn.encode_sentences`` / ``BucketSentenceIter``. MXNet's results come from
tools/gen_leftovers22b_fixtures.py (tests/_leftovers22b_program.py run on MXNet 1.9.1)."""
import os
import sys

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.dirname(__file__))
import _leftovers22b_program as program  # noqa: E402
from _breaker import as_json, mxnet_fixture, same_json  # noqa: E402


def _want(section):
    return mxnet_fixture('leftovers22b')[section]


@pytest.mark.parametrize('case', sorted(_want('batchify_tuple_then_array')))
def test_default_batchify_zips_a_numpy_array_beside_tuples(case):
    """``[(1, 2.5), np.array([3, 4])]`` was refused ("sample 0 of the batch is a tuple and
    sample 1 is ndarray"); MXNet 1.9.1 zips the array's rows into the tuple's fields, as
    minigluon does now. Rows of different shapes in one field (MXNet: a KeyError from its dtype
    table) are a ValueError naming the shapes."""
    got = as_json(program.batchify_tuple_then_array(mx)[case])
    want = _want('batchify_tuple_then_array')[case]
    if case == 'tuple_then_ragged_numpy':
        assert want == {'raised': []}       # KeyError: <class 'numpy.object_'>
        assert got == {'raised': ['ValueError']}
        return
    same_json(got, want, case)


def test_default_batchify_still_refuses_a_numpy_array_of_another_length_beside_tuples():
    with pytest.raises(ValueError, match='sample 0 of the batch has 2 fields and sample 1 has 3'):
        mx.gluon.data.dataloader.default_batchify_fn([(1, 2), np.array([3, 4, 5])])
    with pytest.raises(TypeError, match='sample 1 is float64'):
        mx.gluon.data.dataloader.default_batchify_fn([(1, 2), np.float64(3)])
