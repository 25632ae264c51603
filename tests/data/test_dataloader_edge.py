import numpy as np
import pytest

from minigluon import nd
from minigluon.gluon import data as gdata


@pytest.mark.parametrize('samples', [[{'a': 1}, {'a': 2}], ['ab', 'cd'], [object(), object()]])
def test_default_batchify_rejects_samples_it_cannot_stack(samples):
    loader = gdata.DataLoader(gdata.SimpleDataset(samples), batch_size=2)
    with pytest.raises(TypeError, match='batchify_fn'):
        next(iter(loader))


def test_custom_batchify_still_batches_dicts():
    loader = gdata.DataLoader(gdata.SimpleDataset([{'a': 1}, {'a': 2}]), batch_size=2,
                              batchify_fn=lambda batch: [d['a'] for d in batch])
    assert next(iter(loader)) == [1, 2]


class _RandomDataset(gdata.Dataset):
    """Random augmentation as users write it: NumPy's, Python's and minigluon's global RNGs."""

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        import random

        import numpy as np

        from minigluon import nd
        return (np.float64(np.random.uniform()), np.float64(random.random()),
                np.float64(nd.random.uniform(shape=(1,)).asscalar()))


def test_process_workers_draw_different_random_numbers_per_batch_and_epoch():
    # Forked workers used to inherit one RNG state: every worker drew the same numbers, and since
    # the pool is forked again each epoch, every epoch repeated the first one. (MXNet 1.9.1 also
    # gives two workers the same numbers.)
    import numpy as np
    loader = gdata.DataLoader(_RandomDataset(), batch_size=2, num_workers=2)
    np.random.seed(3)
    epochs = [[np.stack([f.asnumpy() for f in b], 1) for b in loader] for _ in range(2)]
    draws = np.concatenate([np.concatenate(e) for e in epochs])          # (16 samples, 3 RNGs)
    for rng in range(3):
        assert len(np.unique(draws[:, rng])) == 16
    np.random.seed(3)                          # reproducible from the seed, with a new loader
    again = [np.stack([f.asnumpy() for f in b], 1)
             for b in gdata.DataLoader(_RandomDataset(), batch_size=2, num_workers=2)]
    np.testing.assert_array_equal(np.concatenate(again), np.concatenate(epochs[0]))
    # and with the same loader once the parent's state moved between its epochs (a shuffle)
    shuffled = gdata.DataLoader(_RandomDataset(), batch_size=2, num_workers=2, shuffle=True)
    runs = []
    for _ in range(2):
        np.random.seed(4)
        runs.append([np.stack([f.asnumpy() for f in b], 1) for b in shuffled])
    np.testing.assert_array_equal(np.concatenate(runs[0]), np.concatenate(runs[1]))


@pytest.mark.parametrize('make', [lambda n: np.ones(n), lambda n: nd.ones(n)])
def test_default_batchify_names_ragged_shapes(make):
    loader = gdata.DataLoader(gdata.SimpleDataset([make(i + 1) for i in range(3)]), batch_size=2)
    with pytest.raises(ValueError, match=r'\(1,\).*\(2,\)'):
        next(iter(loader))


def test_shuffled_order_does_not_depend_on_worker_processes():
    """The sampler shuffles before the workers' seed is drawn from NumPy's generator, so after
    the same np.random.seed the order is the same with 0 workers, 2 processes or a thread pool,
    as in MXNet 1.9.1 (found by a breaker session: the seed draw came first)."""
    from minigluon.gluon.data import ArrayDataset, DataLoader
    ds = ArrayDataset(np.arange(20, dtype=np.float32))

    def order(**kw):
        np.random.seed(3)
        return [int(v) for b in DataLoader(ds, batch_size=5, shuffle=True, **kw)
                for v in b.asnumpy()]
    want = order(num_workers=0)
    assert sorted(want) == list(range(20)) and want != list(range(20))
    assert order(num_workers=2) == want
    assert order(num_workers=2, thread_pool=True) == want


def test_worker_processes_leave_the_parents_numpy_stream_alone():
    """Over several epochs, and beside a sequential loader with workers, the shuffled order and
    the parent's later draws are those of MXNet 1.9.1, where the DataLoader draws nothing but
    the shuffle. (The workers' seeds used to be one draw of the parent's generator per epoch,
    which moved every later epoch's order; found porting MXNet's crash-course tutorial.)"""
    from minigluon.gluon.data import ArrayDataset, DataLoader
    ds = ArrayDataset(np.arange(12, dtype=np.float32))

    def run(**kw):
        np.random.seed(5)
        train = DataLoader(ds, batch_size=4, shuffle=True, **kw)
        valid = DataLoader(ds, batch_size=4, **kw)
        seen = []
        for _ in range(3):
            seen += [int(v) for b in train for v in b.asnumpy()]
            seen += [int(v) for b in valid for v in b.asnumpy()]
        return seen, np.random.randint(1 << 30)
    want = run()
    # a shuffle of 12 per epoch, then MXNet's sequential order, and the generator moved only by
    # the three shuffles
    np.random.seed(5)
    perms = [np.random.permutation(12).tolist() for _ in range(3)]
    assert want[0] == sum([p + list(range(12)) for p in perms], [])
    assert want[1] == np.random.randint(1 << 30)
    assert run(num_workers=2) == want
    assert run(num_workers=2, thread_pool=True) == want


def test_default_batchify_names_labels_of_mixed_kinds():
    # (3,) label arrays beside a number label: NumPy's bare "inhomogeneous shape" error before
    # (found by the legacy image-scripts session; MXNet 1.9.1 raises a bare KeyError)
    samples = [(np.zeros(2), np.array([1.0, 2.0, 3.0])), (np.zeros(2), 4.0)]
    loader = gdata.DataLoader(gdata.SimpleDataset(samples), batch_size=2)
    with pytest.raises(ValueError, match=r'shape \(\).*shape \(3,\).*batchify_fn='):
        next(iter(loader))


class _SlowAt(gdata.Dataset):
    """Sample ``stall`` sleeps ``seconds`` (a worker stuck in the dataset's code)."""

    def __init__(self, stall=None, seconds=0.0):
        self._stall, self._seconds = stall, seconds

    def __len__(self):
        return 16

    def __getitem__(self, idx):
        import time
        if idx == self._stall:
            time.sleep(self._seconds)
        return np.float32(idx)


def _count_terminations(monkeypatch):
    from multiprocessing.pool import Pool
    calls = []
    real = Pool.terminate
    monkeypatch.setattr(Pool, 'terminate', lambda self: (calls.append(1), real(self))[1])
    return calls


@pytest.mark.parametrize('thread_pool', [False, True])
def test_leaving_the_loop_early_lets_the_batches_in_flight_finish(monkeypatch, thread_pool):
    # Pool.terminate, which the loader used to call at the end of every epoch, can deadlock in
    # CPython 3.11 while batches are still being handed to the workers (a `break` after the first
    # batch hung about one loop in a hundred): the pool is now closed and joined instead.
    import multiprocessing
    calls = _count_terminations(monkeypatch)
    loader = gdata.DataLoader(_SlowAt(), batch_size=2, num_workers=2, thread_pool=thread_pool)
    for _ in range(3):
        for batch in loader:
            break
        assert batch.asnumpy().tolist() == [0, 1]
    assert [b.asnumpy().tolist() for b in loader] == [[2 * i, 2 * i + 1] for i in range(8)]
    assert calls == [] and multiprocessing.active_children() == []


def test_a_stuck_worker_still_times_out_and_is_terminated(monkeypatch):
    import multiprocessing
    import time
    calls = _count_terminations(monkeypatch)
    loader = gdata.DataLoader(_SlowAt(stall=4, seconds=30), batch_size=2, num_workers=2,
                              timeout=0.5)
    start = time.time()
    with pytest.raises(multiprocessing.TimeoutError, match='within timeout=0.5 seconds'):
        list(loader)
    assert calls == [1] and time.time() - start < 10
    assert multiprocessing.active_children() == []
