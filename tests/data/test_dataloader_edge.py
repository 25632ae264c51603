import pytest

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
