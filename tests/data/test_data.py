"""gluon.data: datasets, samplers, DataLoader, vision transforms (fixtures from MXNet 1.9.1)."""
import os

import numpy as np
import pytest

from minigluon import nd
from minigluon.data import (ArrayDataset, BatchSampler, DataLoader, IntervalSampler, RandomSampler,
                            SequentialSampler, SimpleDataset)
from minigluon.data.vision import transforms as T
from minigluon.test_utils import assert_almost_equal

FIX = np.load(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'layers', 'transforms.npz'))


def test_array_dataset_and_transforms():
    x, y = np.arange(12).reshape(6, 2).astype(np.float32), nd.array(np.arange(6))
    ds = ArrayDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[2]
    assert np.array_equal(xi, [4, 5]) and yi == 2.0        # 1-D NDArray -> NumPy scalars
    t = ds.transform_first(lambda a: a * 10)
    assert np.array_equal(t[1][0], [20, 30]) and t[1][1] == 1.0
    eager = ds.transform(lambda a, b: b, lazy=False)
    assert isinstance(eager, SimpleDataset) and list(eager) == list(range(6))
    assert [s for s in ds.filter(lambda s: s[1] % 2 == 0).transform(lambda a, b: b)] == [0, 2, 4]
    assert len(ds.take(4)) == 4 and len(ds.take(None)) == 6
    with pytest.raises(ValueError, match='same length'):
        ArrayDataset(x, np.zeros(5))


def test_shard_and_sample():
    ds = SimpleDataset(list(range(10)))
    shards = [list(ds.shard(3, i)) for i in range(3)]
    assert shards == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert list(ds.sample(SequentialSampler(3, start=5))) == [5, 6, 7]
    with pytest.raises(ValueError, match='Shard index'):
        ds.shard(3, 3)


def test_samplers():
    assert list(SequentialSampler(4)) == [0, 1, 2, 3]
    r = list(RandomSampler(20))
    assert sorted(r) == list(range(20)) and r != list(range(20))
    assert list(IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]
    assert list(IntervalSampler(7, 3, rollover=False)) == [0, 3, 6]
    keep = BatchSampler(SequentialSampler(7), 3, 'keep')
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6]] and len(keep) == 3
    disc = BatchSampler(SequentialSampler(7), 3, 'discard')
    assert list(disc) == [[0, 1, 2], [3, 4, 5]] and len(disc) == 2
    roll = BatchSampler(SequentialSampler(7), 3, 'rollover')
    assert list(roll) == [[0, 1, 2], [3, 4, 5]]
    assert len(roll) == 2                           # (1 carried + 7) // 3
    with pytest.raises(ValueError, match='last_batch'):
        BatchSampler(SequentialSampler(3), 2, 'drop')


def test_rollover_carries_leftover():
    roll = BatchSampler(SequentialSampler(7), 3, 'rollover')
    first = list(roll)
    second = list(roll)
    assert first == [[0, 1, 2], [3, 4, 5]]
    assert second == [[6, 0, 1], [2, 3, 4]]         # leftover 6 starts the next epoch


@pytest.mark.parametrize('num_workers,thread_pool', [(0, False), (2, True), (2, False)])
def test_dataloader_batches(num_workers, thread_pool):
    x = np.random.uniform(size=(10, 3)).astype(np.float32)
    y = np.arange(10).astype(np.int32)
    loader = DataLoader(ArrayDataset(x, y), batch_size=4, num_workers=num_workers, thread_pool=thread_pool)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    data, label = batches[0]
    assert data.shape == (4, 3) and data.dtype == np.float32 and label.dtype == np.int32
    assert_almost_equal(np.concatenate([b[0].asnumpy() for b in batches]), x)
    assert np.array_equal(np.concatenate([b[1].asnumpy() for b in batches]), y)
    assert batches[-1][0].shape == (2, 3)


def test_dataloader_ndarray_samples_shuffle_and_batchify():
    ds = SimpleDataset([nd.array([i, i]) for i in range(6)])
    loader = DataLoader(ds, batch_size=3, shuffle=True, last_batch='discard')
    seen = np.concatenate([b.asnumpy()[:, 0] for b in loader])
    assert sorted(seen.tolist()) == list(range(6))
    loader = DataLoader(ds, batch_sampler=[[0, 5], [1]], batchify_fn=lambda s: len(s))
    assert list(loader) == [2, 1]


def test_dataloader_errors():
    ds = SimpleDataset([1, 2, 3])
    with pytest.raises(ValueError, match='batch_size must be specified'):
        DataLoader(ds)
    with pytest.raises(ValueError, match='shuffle must not be specified'):
        DataLoader(ds, batch_size=1, shuffle=True, sampler=SequentialSampler(3))
    with pytest.raises(ValueError, match='must not be specified if batch_sampler'):
        DataLoader(ds, batch_size=1, batch_sampler=[[0]])
    with pytest.raises(ValueError, match='num_workers'):
        DataLoader(ds, batch_size=1, num_workers=-1)


def test_transforms_match_mxnet():
    x = nd.array(FIX['img'], dtype='uint8')
    tensor = T.ToTensor()(x)
    assert tensor.dtype == np.float32
    assert_almost_equal(tensor, FIX['to_tensor'], rtol=1e-6, atol=1e-7)
    norm = T.Normalize(mean=(0.1, 0.2, 0.3), std=(0.5, 0.6, 0.7))
    assert_almost_equal(norm(tensor), FIX['normalize'], rtol=1e-5, atol=1e-6)
    # uint8 resizes are exact (OpenCV's fixed-point arithmetic)
    assert np.array_equal(T.Resize((4, 9))(x).asnumpy(), FIX['resize_bilinear'])
    assert np.array_equal(T.Resize(3, keep_ratio=True)(x).asnumpy(), FIX['resize_keep'])
    assert np.array_equal(T.Resize(6, interpolation=0)(x).asnumpy(), FIX['resize_nearest'])
    assert_almost_equal(T.Resize((11, 3))(x.astype('float32')), FIX['resize_float'], rtol=1e-5, atol=1e-4)


def test_compose_cast_and_transform_errors():
    img = nd.array(np.full((4, 4, 3), 255), dtype='uint8')
    f = T.Compose([T.Resize(2), T.ToTensor(), T.Normalize(0.5, 0.5), T.Cast('float16')])
    out = f(img)
    assert out.shape == (3, 2, 2) and out.dtype == np.float16
    assert_almost_equal(out, np.ones((3, 2, 2)))
    batch = T.ToTensor()(nd.zeros((2, 4, 5, 3)))
    assert batch.shape == (2, 3, 4, 5)
    with pytest.raises(ValueError, match='channels'):
        T.Normalize(mean=(0.1, 0.2))(nd.zeros((3, 2, 2)))
    with pytest.raises(ValueError, match='3-D'):
        T.ToTensor()(nd.zeros((4, 4)))
    with pytest.raises(ValueError, match='size'):
        T.Resize((0, 3))


class _PidDataset:
    """Each sample is (the process id that read it, its index)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        if i == 99:
            raise IndexError('sample 99 is broken')
        return os.getpid(), i


def _dict_batchify(samples):
    return {'pid': np.array([s[0] for s in samples]), 'idx': nd.array([s[1] for s in samples])}


@pytest.mark.parametrize('thread_pool', [False, True])
def test_dataloader_process_and_thread_workers(thread_pool):
    loader = DataLoader(_PidDataset(), batch_size=5, num_workers=2, thread_pool=thread_pool)
    for epoch in range(2):                         # a fresh pool per epoch, batches in order
        batches = list(loader)
        assert [b[1].asnumpy().tolist() for b in batches] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
        assert all(isinstance(b[1], nd.NDArray) for b in batches)
        pids = {int(p) for b in batches for p in b[0].asnumpy()}
        if thread_pool:
            assert pids == {os.getpid()}
        else:
            assert os.getpid() not in pids
    custom = list(DataLoader(_PidDataset(), batch_size=6, num_workers=2, batchify_fn=_dict_batchify))
    assert isinstance(custom[0]['pid'], np.ndarray) and isinstance(custom[0]['idx'], nd.NDArray)
    assert custom[1]['idx'].asnumpy().tolist() == [6, 7, 8, 9, 10, 11]
    broken = DataLoader(_PidDataset(), batch_sampler=[[0], [99]], num_workers=2, thread_pool=thread_pool)
    with pytest.raises(IndexError, match='sample 99 is broken'):
        list(broken)


# -- RandomResizedCrop, Normalize dtype (diff4b hunt against MXNet 1.9.1) -----------------------------

def _image(h=8, w=8, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, 3)).astype(np.uint8)


def test_random_resized_crop_whole_image_is_identity():
    img = _image(6, 8)
    out = T.RandomResizedCrop((8, 6), scale=(1.0, 1.0), ratio=(8 / 6., 8 / 6.))(nd.array(img, dtype='uint8'))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), img)


def test_random_resized_crop_takes_windows_of_the_requested_area_anywhere():
    """scale 1/4 and ratio 1 of an 8x8 image: a 4x4 window, no resize, at a random offset."""
    img = _image()
    crop = T.RandomResizedCrop(4, scale=(0.25, 0.25), ratio=(1.0, 1.0))
    windows = {(y, x): img[y:y + 4, x:x + 4] for y in range(5) for x in range(5)}
    seen = set()
    for _ in range(60):
        out = crop(nd.array(img, dtype='uint8')).asnumpy()
        assert out.shape == (4, 4, 3)
        seen |= {pos for pos, win in windows.items() if np.array_equal(win, out)}
    assert len(seen) >= 10          # 25 offsets, uniform: 60 draws cover at least 10 of them


def test_random_resized_crop_output_shape_dtype_and_range():
    img = nd.array(_image(6, 8), dtype='uint8')
    for size, shape in [((3, 4), (4, 3, 3)), (5, (5, 5, 3))]:
        outs = [T.RandomResizedCrop(size)(img) for _ in range(10)]
        assert {o.shape for o in outs} == {shape} and {np.dtype(o.dtype) for o in outs} == {np.dtype(np.uint8)}


def test_random_resized_crop_falls_back_to_center_crop():
    """No crop of the requested area and ratio fits: MXNet's fallback is center_crop."""
    img = nd.array(_image(6, 8), dtype='uint8')
    out = T.RandomResizedCrop((4, 4), scale=(1.0, 1.0), ratio=(4.0, 4.0))(img)
    np.testing.assert_array_equal(out.asnumpy(), T.CenterCrop(4)(img).asnumpy())


@pytest.mark.parametrize('kwargs', [{'size': 0}, {'size': (4,)}, {'size': 4, 'scale': (0.5, 0.1)},
                                    {'size': 4, 'ratio': (0, 1)}, {'size': 4, 'scale': (0, 1)}])
def test_random_resized_crop_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=f'RandomResizedCrop: {list(kwargs)[-1]} must be'):
        T.RandomResizedCrop(**kwargs)


def test_normalize_takes_integer_images_as_mxnet():
    """MXNet 1.9.1 normalizes a uint8 (C, H, W) image in float32 and truncates back to uint8
    (measured: [139, 182, 153] with mean (10, 20, 30), std (2, 3, 4) gives [64, 54, 30]). (It
    rejects an (8, 8, 3) HWC image for its 8 "channels", not for its dtype.)"""
    chw = nd.array(np.array([139, 182, 153], dtype=np.uint8).reshape(3, 1, 1), dtype='uint8')
    out = T.Normalize((10, 20, 30), (2, 3, 4))(chw)
    assert out.dtype == np.uint8 and out.asnumpy().ravel().tolist() == [64, 54, 30]
    chain = T.Compose([T.Normalize((10, 20, 30), (2, 3, 4))])
    assert chain(chw).asnumpy().ravel().tolist() == [64, 54, 30]
