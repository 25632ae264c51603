import numpy as np
import pytest

from minigluon import io, util


def test_ndarrayiter_pad_discard_rollover():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5, dtype=np.float32)
    batches = list(io.NDArrayIter(x, y, batch_size=2))
    assert [b.pad for b in batches] == [0, 0, 1]
    assert batches[-1].data[0].asnumpy().tolist() == [[8, 9], [0, 1]]
    assert batches[0].label[0].asnumpy().tolist() == [0, 1]
    assert len(list(io.NDArrayIter(x, y, batch_size=2, last_batch_handle='discard'))) == 2
    it = io.NDArrayIter(x, y, batch_size=2, last_batch_handle='roll_over')
    assert len(list(it)) == 2
    it.reset()
    first = next(it)
    assert first.label[0].asnumpy().tolist() == [4, 0]   # the carried sample comes first
    assert it.provide_data[0].name == 'data' and it.provide_data[0].shape == (2, 2)
    assert it.provide_label[0].name == 'softmax_label'


def test_ndarrayiter_errors():
    with pytest.raises(ValueError, match='same number of samples'):
        io.NDArrayIter(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match='batch_size'):
        io.NDArrayIter(np.zeros((3, 2)), batch_size=0)
    with pytest.raises(ValueError, match='last_batch_handle'):
        io.NDArrayIter(np.zeros((3, 2)), last_batch_handle='wrap')


def test_util_is_legacy_mode():
    assert util.is_np_array() is False and util.is_np_shape() is False
