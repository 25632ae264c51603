"""What the ``gluon.data`` fuzz (``tools/fuzz_gluon_data.py``) found against MXNet 1.9.1, pinned on
MXNet-made results from ``tools/gen_gluon_data_fuzz_fixtures.py`` (``tests/fixtures/gluon_data_fuzz``).

Each fixture case is a snippet that sets ``out`` (a flat list of arrays and numbers); MXNet's
result is its values or the class of the error it raised. Most cases must give MXNet's result;
the last group are MXNet faults minigluon does not copy (docs/PORTING.md, "Where minigluon deliberately
differs"), checked against hand-computed values.
"""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MXNetError

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'gluon_data_fuzz')
with open(os.path.join(FIX, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(FIX, 'values.npz'))

# MXNet's error classes that minigluon's must be instances of
BUILTIN = {'AssertionError': AssertionError, 'TypeError': TypeError, 'ValueError': ValueError,
           'MXNetError': MXNetError}
SAME_AS_MXNET = ['shard_index_past', 'shard_index_negative', 'shard_zero_shards', 'shard_ok',
                 'array_dataset_lengths', 'sample_list', 'sample_sampler', 'take_negative',
                 'take_past_end', 'loader_timeout_zero', 'loader_rollover_epochs',
                 'center_crop_zero_window', 'crop_resize_interp1']


def run(key):
    """The snippet of fixture case ``key`` under minigluon: its ``out`` as NumPy arrays."""
    x = VALUES[key + '_x'] if key + '_x' in VALUES.files else None
    env = {'mx': mx, 'nd': mx.nd, 'np': np, 'gdata': mx.gluon.data,
           'T': mx.gluon.data.vision.transforms,
           'IntervalSampler': mx.gluon.contrib.data.IntervalSampler, 'x': x}
    exec(CASES[key]['code'], env)
    return [o.asnumpy() if isinstance(o, mx.nd.NDArray) else np.asarray(o) for o in env['out']]


def mxnet_out(key):
    return [VALUES['%s_out%d' % (key, i)] for i in range(CASES[key]['n_out'])]


@pytest.mark.parametrize('key', SAME_AS_MXNET)
def test_same_as_mxnet(key):
    case = CASES[key]
    if 'error' in case:
        with pytest.raises(BUILTIN[case['classes'][0]]):
            run(key)
        return
    ours, want = run(key), mxnet_out(key)
    assert len(ours) == len(want)
    for a, b in zip(ours, want):
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_error_classes_and_messages():
    """MXNet asserts; minigluon's ValueAssertionError is also a ValueError and names the bound."""
    ds = mx.gluon.data.SimpleDataset(list(range(7)))
    with pytest.raises(ValueError, match=r'must be in \[0, 2\)'):
        ds.shard(2, 2)
    with pytest.raises(ValueError, match='num_shards must be > 0'):
        ds.shard(0, 0)
    with pytest.raises(TypeError, match='sampler must be a gluon.data.Sampler, got list'):
        ds.sample([0, 1])
    with pytest.raises(ValueError, match='count must be None or >= 0, got -1'):
        ds.take(-1)
    with pytest.raises(ValueError, match='timeout must be positive'):
        mx.gluon.data.DataLoader(ds, batch_size=2, timeout=0)


def test_empty_image_resize_is_a_clear_error():
    """MXNet cannot even make the 0-size input; minigluon names the operator and the size."""
    for call in (lambda x: mx.nd.image.resize(x, size=2),
                 lambda x: mx.image.imresize(x, 2, 2)):
        with pytest.raises(ValueError, match=r'cannot resize an empty image \(height 0, width 3\)'):
            call(mx.nd.zeros((0, 3, 3)))
    with pytest.raises(MXNetError, match='is 1x0 pixels'):
        mx.gluon.data.vision.transforms.CenterCrop((3, 1))(mx.nd.zeros((2, 1, 4)))


# -- MXNet 1.9.1 faults that minigluon does not copy --------------------------------------------------

def test_crop_resize_without_interpolation_resizes_bilinearly():
    """MXNet 1.9.1 passes interpolation=None to the resize operator and fails; minigluon uses
    the operator's default, bilinear: MXNet's own result with ``interpolation=1``."""
    assert 'interp' in CASES['crop_resize_default_interp']['error']
    ours = run('crop_resize_default_interp')[0]
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, mxnet_out('crop_resize_interp1')[0])


def test_copy_make_border_value_fills_every_channel():
    """MXNet 1.9.1 fills a fourth channel's border with 0 instead of ``value``; the first three
    channels are MXNet's, the fourth is 7 like them."""
    ours, theirs = run('border_value_rgba')[0], mxnet_out('border_value_rgba')[0]
    x = VALUES['border_value_rgba_x']
    want = np.full((x.shape[0] + 1, x.shape[1] + 3, 4), 7, np.uint8)
    want[1:, 2:2 + x.shape[1]] = x
    np.testing.assert_array_equal(ours, want)
    np.testing.assert_array_equal(ours[..., :3], theirs[..., :3])
    assert (theirs[0, :, 3] == 0).all()             # MXNet's fault, kept out


def test_interval_sampler_len_without_rollover():
    """MXNet 1.9.1's len() is ``length`` also without rollover, more than it yields; minigluon's
    is the number of indices yielded. The indices are MXNet's."""
    ours, theirs = run('interval_no_rollover'), mxnet_out('interval_no_rollover')
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert int(theirs[1]) == 11 and int(ours[1]) == len(theirs[0]) == 4
