"""``io.NDArrayIter`` last-batch handling over several epochs vs MXNet 1.9.1 (fixtures:
tools/gen_leftovers_fixtures.py, ndarrayiter.json).

Regression: with ``last_batch_handle='roll_over'`` minigluon reported ``pad=0`` for the first batch
of an epoch that starts with samples carried over; MXNet reports the number of carried samples.
Also: ``'pad'`` with a batch larger than the data wraps the data as often as needed, ``getpad`` and
``hard_reset`` exist, and ``DataBatch.index`` is None, as in MXNet.
"""
import json
import os

import numpy as np
import pytest

from minigluon import io

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'leftovers', 'ndarrayiter.json')) as _f:
    FIX = json.load(_f)


def _iterator(n, batch_size, handle):
    return io.NDArrayIter(np.arange(n).reshape(n, 1).astype('float32'), np.arange(n) + 100,
                          batch_size=batch_size, last_batch_handle=handle)


@pytest.mark.parametrize('case', FIX['cases'],
                         ids=lambda c: '%d/%d/%s' % (c['n'], c['batch_size'], c['last_batch_handle']))
def test_three_epochs_match_mxnet(case):
    it = _iterator(case['n'], case['batch_size'], case['last_batch_handle'])
    for epoch in case['epochs']:
        got = []
        for b in it:
            got.append({'data': b.data[0].asnumpy().ravel().tolist(), 'label': b.label[0].asnumpy().tolist(),
                        'pad': b.pad, 'getpad': it.getpad(), 'index': b.index})
        assert got == epoch
        it.reset()


def test_pad_with_batch_larger_than_data_wraps():
    it = io.NDArrayIter(np.arange(2).reshape(2, 1).astype('float32'), batch_size=5, last_batch_handle='pad')
    got = [(b.data[0].asnumpy().ravel().tolist(), b.pad) for b in it]
    assert got == [tuple(x) for x in FIX['batch_larger_than_data_pad']]


def test_hard_reset_drops_rolled_over_samples():
    it = _iterator(10, 3, 'roll_over')
    list(it)
    it.hard_reset()
    got = [(b.data[0].asnumpy().ravel().tolist(), b.pad) for b in it]
    assert got == [tuple(x) for x in FIX['roll_over_after_hard_reset']]


def test_roll_over_with_batch_larger_than_data_is_a_clear_error():
    # MXNet 1.9.1 fails inside its first batch (a slice past the end of the data).
    with pytest.raises(ValueError, match='roll_over.*batch_size'):
        _iterator(2, 5, 'roll_over')
