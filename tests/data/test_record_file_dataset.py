"""gluon.data.RecordFileDataset on MXNet 1.9.1's files (tests/fixtures/recordio)."""
import json
import os
import pickle

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetFileNotFoundError

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'recordio')
with open(os.path.join(FIX, 'expected.json')) as _f:
    EXP = json.load(_f)


def _first_byte_or_minus_one(record):
    return record[0] if record else -1


def test_items_follow_the_index_order():
    ds = mx.gluon.data.RecordFileDataset(os.path.join(FIX, 'indexed.rec'))
    keys = EXP['index']['keys']
    assert len(ds) == len(keys)
    assert [ds[i].hex() for i in range(len(ds))] == [EXP['read_indexed'][str(k)] for k in keys]
    assert ds[-1].hex() == EXP['read_indexed'][str(keys[-1])]
    copy = pickle.loads(pickle.dumps(ds))           # what a spawned worker receives
    assert copy[2] == ds[2] and len(copy) == len(ds)


@pytest.mark.parametrize('thread_pool', [False, True])
def test_through_a_dataloader_with_two_workers(thread_pool):
    ds = mx.gluon.data.RecordFileDataset(os.path.join(FIX, 'indexed.rec'))
    first_bytes = ds.transform(_first_byte_or_minus_one)
    loader = mx.gluon.data.DataLoader(first_bytes, batch_size=4, num_workers=2, thread_pool=thread_pool)
    got = np.concatenate([batch.asnumpy() for batch in loader])
    keys = EXP['index']['keys']
    want = [_first_byte_or_minus_one(bytes.fromhex(EXP['read_indexed'][str(k)])) for k in keys]
    assert got.tolist() == want
    assert ds[0].hex() == EXP['read_indexed'][str(keys[0])]     # the parent's reader is intact


def test_missing_index(tmp_path):
    (tmp_path / 'a.rec').write_bytes(b'')
    with pytest.raises(MXNetFileNotFoundError, match='a.idx'):
        mx.gluon.data.RecordFileDataset(str(tmp_path / 'a.rec'))
