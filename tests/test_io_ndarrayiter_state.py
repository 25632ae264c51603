"""``mx.io.NDArrayIter``'s public state against MXNet 1.9.1, for MXNet 1.x code that reads or
subclasses it (a new-user trial, iter22): ``data`` / ``label`` are lists of ``(name, NDArray)``
pairs, ``cursor`` starts at ``-batch_size`` and moves in ``iter_next``, ``idx`` is the last
shuffle's permutation and ``data`` / ``label`` hold the samples in shuffled order, ``num_data``,
``num_source``, ``data_list``, ``batch_size``, ``shuffle`` and ``last_batch_handle`` are there,
each with MXNet's value after construction, every ``next()`` and every ``reset()``.

Before, ``data`` held NumPy arrays (``it.data[0][1].asnumpy()`` raised AttributeError) in the
order given, and ``cursor``, ``idx``, ``num_source`` and ``data_list`` did not exist; one more
``next()`` after a 'roll_over' epoch ended still carried its last samples over (MXNet drops
them then), and an NDArray given as data was copied (MXNet keeps the very array).

The programs: tests/_ndarrayiter_state_programs.py; MXNet's values:
tools/gen_ndarrayiter_state_fixtures.py (tests/fixtures/ndarrayiter_state/mxnet.json).
"""
import json
import os

import numpy as np
import pytest

import _ndarrayiter_state_programs as P
from _wild import same

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'ndarrayiter_state', 'mxnet.json')) as _f:
    FIX = json.load(_f)


@pytest.mark.parametrize('name', sorted(P.TRACES))
def test_state_after_each_step_matches_mxnet(name):
    same(P.trace(*P.TRACES[name]), FIX['traces'][name], path=name)


@pytest.mark.parametrize('program', ['roll_over_edges', 'manual_protocol', 'shared_input'])
def test_edges_match_mxnet(program):
    same(getattr(P, program)(), FIX[program], path=program)


@pytest.mark.parametrize('program', ['subclass_next', 'subclass_statistics', 'subclass_reset',
                                     'subclass_batchify'])
def test_legacy_subclass_matches_mxnet(program):
    same(getattr(P, program)(), FIX[program], path=program)


def test_shuffled_int_data_keeps_its_dtype():
    # Deliberate difference (NDArrayIter's docstring): MXNet 1.9.1 copies shuffled NDArrays
    # through mx.nd.array, which makes int32 data float32 only when shuffle=True.
    assert FIX['shuffled_int_dtype'] == 'float32'
    assert P.shuffled_int_dtype() == 'int32'


def test_roll_over_carries_the_samples_not_a_transformed_batch():
    # Deliberate difference (NDArrayIter.reset's docstring): MXNet 1.9.1 carries over the batch
    # its next() got from getdata(), so a subclass that transforms batches in getdata()
    # transforms the carried samples twice (6 doubled twice: 24).
    want = FIX['subclass_transform_roll_over']
    assert want[1][0] == [24.0, 0.0, 2.0]
    got = P.subclass_transform_roll_over()
    assert got[0] == want[0] and got[1][1:] == want[1][1:]
    assert got[1][0] == [2 * 6.0, 0.0, 2.0]


def test_batches_are_copies_not_views():
    # A batch changed in place (an augmentation written as ``batch.data[0][:] *= 2``) must not
    # change the iterator's data, as in MXNet (whose slices are copies).
    it = P.mx.io.NDArrayIter(np.arange(6, dtype=np.float32), batch_size=2)
    for b in it:
        b.data[0][:] = -1
    it.reset()
    assert [b.data[0].asnumpy().tolist() for b in it] == [[0, 1], [2, 3], [4, 5]]
