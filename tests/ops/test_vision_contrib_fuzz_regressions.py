"""Regressions of ``tools/fuzz_vision_contrib.py`` replayed against MXNet 1.9.1's outcomes
(``tests/fixtures/vision_contrib_fuzz/``, made by ``tools/gen_vision_contrib_fuzz_fixtures.py``).

Where MXNet raised (``spatial_scale`` above 1, ``trans_std`` outside ``[0, 1]``; PSROIPooling,
DeformablePSROIPooling, RROIAlign, ROIAlign, ROIPooling), minigluon must raise an ``MXNetError``
naming the attribute. Elsewhere outputs and gradients must match MXNet's: float64 regions scaled
by the float32 ``spatial_scale``, as MXNet's C ``float`` (also where that moves a sampling grid's
``ceil``). RROIAlign, which MXNet 1.9.1 cannot hybridize, must give MXNet's eager outputs
hybridized and exported too; the last two tests pin deliberate differences.
"""
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import base

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from fuzz_vision_contrib import run_op  # noqa: E402  (the fuzzer's runner: one way to run a case)

HERE = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'vision_contrib_fuzz')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(HERE, 'values.npz'))

TOL = {'float32': (1e-5, 1e-6), 'float64': (1e-12, 1e-14)}


def run(name, c, mode=None):
    """The case on minigluon with MXNet's inputs (the heads are drawn from the name)."""
    c = dict(c, mode=mode or c['mode'])
    return run_op(mx, c, [VALUES['%s/in%d' % (name, i)] for i in range(c['n_in'])])


RAISING = sorted(n for n, c in CASES.items() if 'error' in c)
RUNNING = sorted(n for n, c in CASES.items() if 'error' not in c)


@pytest.mark.parametrize('name', RAISING)
def test_error_as_mxnet(name):
    c = CASES[name]
    assert c['mro'][0] == 'MXNetError'
    with pytest.raises(base.MXNetError) as info:
        run(name, c)
    attr = 'trans_std' if 'trans_std' in name else 'spatial_scale'
    assert attr in str(info.value) and 'must be in' in str(info.value)


def _check(name, res, keys):
    for key in keys:
        want = VALUES['%s/%s' % (name, key)]
        got = res[key]
        assert got.dtype == want.dtype and got.shape == want.shape, key
        rtol, atol = TOL[str(want.dtype)]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg='%s %s' % (name, key))


@pytest.mark.parametrize('name', RUNNING)
def test_values_as_mxnet(name):
    c = CASES[name]
    outs = sorted(k.split('/')[1] for k in VALUES.files
                  if k.startswith(name + '/out'))
    _check(name, run(name, c), outs + ['grad%d' % i for i in c['wrt']])


@pytest.mark.parametrize('mode', ['hyb', 'export'])
def test_rroi_hybridized_and_exported_as_mxnet_eager(mode):
    """MXNet 1.9.1's hybridized RROIAlign raises 'non-differentiable' (docstring); here the
    hybridized and the exported block give MXNet's eager outputs."""
    name = 'rroi_f32_rotated'
    _check(name, run(name, CASES[name], mode), ['out0'])


def test_bipartite_empty_matrix():
    """0 rows or 0 columns: every marker -1 (MXNet 1.9.1 crashes or refuses the shape)."""
    rows, cols = mx.nd.contrib.bipartite_matching(mx.nd.zeros((3, 0)), threshold=0.5)
    assert rows.shape == (3,) and (rows.asnumpy() == -1).all() and cols.shape == (0,)
    rows, cols = mx.nd.contrib.bipartite_matching(mx.nd.zeros((2, 0, 4)), threshold=0.5)
    assert rows.shape == (2, 0) and cols.shape == (2, 4) and (cols.asnumpy() == -1).all()


def test_det_record_iter_last_batch_wraps_as_often_as_needed():
    """docs/PORTING.md's table: a round_batch batch that needs more filler records than the file holds
    wraps over the file again (MXNet 1.9.1 fails: 'number of input must be bigger than batch
    size'). The 7 records of the fixture in a batch of 16: records 0-6, 0-6, 0, 1, pad 9."""
    rec = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'image_det', 'det.rec')
    it = mx.io.ImageDetRecordIter(path_imgrec=rec, batch_size=16, data_shape=(3, 8, 8))
    batch = next(iter(it))
    assert batch.pad == 9
    data, label = batch.data[0].asnumpy(), batch.label[0].asnumpy()
    order = list(range(7)) * 2 + [0, 1]
    np.testing.assert_array_equal(data, data[order])
    np.testing.assert_array_equal(label, label[order])
    assert len({row.tobytes() for row in data[:7]}) == 7     # seven different images
