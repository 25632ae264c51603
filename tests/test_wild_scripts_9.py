"""Patterns met running a ninth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(the programs: tests/_wild9_programs.py; fixture: tools/gen_wild9_fixtures.py, which runs the same
file with its import line switched to MXNet).

* ``x.reshape(0, card, radix, -1)`` on a Symbol (ResNeSt's radix softmax, hybridized) reads the
  separate ints as the shape, as ``NDArray.reshape`` does; MXNet 1.9.1 passes them on as ``shape,
  reverse, target_shape, keep_highest`` and fails ("Invalid Parameter format for keep_highest"),
  and minigluon failed too. The split-attention conv now runs hybridized and exports, with MXNet's
  eager numbers.
* ``Pooling`` takes a pad of ``2 * len(kernel)`` equal entries (ResNeSt's DropBlock writes
  ``pad=(1, 1, 1, 1)`` for a 3x3 max pool), as MXNet does; minigluon refused it. A per-side pad
  that differs by side (DropBlock's for an even block size, ``(0, 1, 0, 1)``) is refused with a
  message: MXNet 1.9.1 reads its first two entries as the per-axis padding, which shrinks one axis
  and widens the other.
* Behaviours checked against MXNet and pinned: GluonCV's HRNet module (list outputs, ``*args``,
  UpSampling / BilinearResize2D by scale and ``like``); gluon-ts's N-BEATS (parameters shared
  through ``params=collect_params()``, constant bases built with ``F`` on the first call and
  cached on the block, sMAPE / MASE with ``stop_gradient``) trained with Adam, hybridized; the TFT
  layers (a list input to a HybridBlock, ``unroll`` inside ``hybrid_forward``, a causal mask from
  ``contrib.arange_like``); the LDS Kalman filter (``linalg_potrf`` / ``linalg_trsm`` /
  ``linalg_gemm2``, ``where`` on a per-sample flag) and its gradients; Transformer-XL's relative
  attention (``reshape_like`` shift, ``reverse=True`` reshapes, ``broadcast_like`` with axes);
  GluonCV's non-local block; gluon-ts's QuantileLoss; a combined angular-margin head.
* MXNet 1.9.1's oneDNN build fails in the backward pass of GluonCV's 3-D non-local block and of a
  small SlowFast network ("Check failed: !is_view": the input's or the first Conv3D's gradient
  cannot be read, and the error poisons what follows); the fixture is made with MXNet's own CPU
  kernels (``MXNET_MKLDNN_ENABLED=0``), which agree with minigluon.
* Also pinned: gluon-ts's GP forecaster in float64 (the iterative jitter catching ``potrf``'s
  failure on a singular kernel matrix and retrying, ``syevd``, ``eye(d, d, -k)``), its
  piecewise-linear quantile output (CRPS through ``linalg_trmm`` cumsums, ``broadcast_power``) and
  GluonCV's SlowFast pathways (``slice`` with ``None`` bounds, temporally strided lateral Conv3D,
  blocks named through the scopes of throwaway sequentials) and SiamRPN head (template features
  as the weight of a grouped ``F.Convolution``, an RPN ``forward`` override, the template cached
  on the block).
"""
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.base import MXNetError
from _wild import close, load_fixture, same
import _wild9_programs as P

FIX = load_fixture('wild9')


def test_symbol_reshape_takes_the_shape_as_separate_ints():
    x = mx.sym.var('x')
    assert x.reshape(0, 2, -1).infer_shape(x=(3, 4))[1] == [(3, 2, 2)]
    assert x.reshape(6).infer_shape(x=(3, 2))[1] == [(6,)]
    # other positional arguments keep MXNet's meaning: (shape, reverse)
    assert x.reshape((-1, 0), True).infer_shape(x=(3, 2, 5))[1] == [(6, 5)]


def test_resnest_split_attention_runs_hybridized():
    got, want = P.resnest_splat(), FIX['resnest_splat']
    for key in ('g1_r2', 'g2_r2', 'g2_r1'):
        assert 'keep_highest' in want[key]['hybrid_error']      # MXNet 1.9.1 cannot trace it
        same(got[key]['eager'], want[key]['eager'])
        hybrid = got[key]['hybrid']
        same({k: hybrid[k] for k in want[key]['eager']}, want[key]['eager'])
        close(hybrid['imported'], hybrid['y'])
        assert hybrid['n_params'] == 14     # conv, fc1, fc2: weight + bias; bn, bn1: four each


def test_resnest_dropblock_pools_with_a_per_side_pad():
    got, want = P.resnest_dropblock(), FIX['resnest_dropblock']
    # MXNet reads pad (0, 1, 0, 1) as (pad_h, pad_w) = (0, 1): 6 + 0 - 2 + 1 = 5 rows, 6 + 2 - 2 + 1
    # = 7 columns, where the block means 6 x 6
    assert want.pop('even_block_pad') == [1, 3, 5, 7]
    assert 'pad=(0, 1, 0, 1)' in got.pop('even_block_pad')
    same(got, want)
    with pytest.raises(MXNetError, match='pad'):
        nd.Pooling(nd.ones((1, 1, 6, 6)), pool_type='max', kernel=(2, 2), pad=(0, 1, 0, 1))


def test_hrnet_module_fuses_its_branches():
    same(P.hrnet_module(), FIX['hrnet_module'])


def test_nbeats_shares_stack_parameters_and_caches_its_bases():
    got, want = P.nbeats(), FIX['nbeats']
    same(got, want)
    assert got['sMAPE']['hybrid']['shared'] is True
    assert len(got['sMAPE']['hybrid']['names']) == 28


def test_temporal_fusion_layers():
    same(P.tft(), FIX['tft'])


def test_kalman_filter_log_likelihood_and_gradients():
    same(P.kalman(), FIX['kalman'])


def test_transformer_xl_relative_attention():
    same(P.txl_attention(), FIX['txl_attention'])


def test_quantile_loss_and_projection():
    same(P.quantile(), FIX['quantile'])


def test_angular_margin_heads():
    same(P.angular_margin(), FIX['angular_margin'], tol=2e-4)


def test_nonlocal_block_in_2d_and_3d():
    got = P.nonlocal_block()
    same(got, FIX['nonlocal_block'])
    assert got['dim3']['eager']['first_is_x'] == 0       # a zero-gamma BatchNorm: the block is the identity


def test_gaussian_process_jitter_and_inference():
    got, want = P.gaussian_process(), FIX['gaussian_process']
    same(got, want, tol=1e-5)
    assert got['iter_eager']['dtype'] == 'float64'
    assert got['singular']['tries'] == 1                   # potrf raised once, then the jitter made it


def test_piecewise_linear_crps():
    same(P.piecewise_linear(), FIX['piecewise_linear'])


def test_slowfast_pathways():
    got = P.slowfast()
    same(got, FIX['slowfast'])
    assert 'slowfast_slow_conv0_weight' in got['eager']['names']


def test_siamrpn_depthwise_cross_correlation():
    got = P.siamrpn()
    same(got, FIX['siamrpn'])
    assert got['hybrid_error'] == 'AttributeError'        # .shape of a Symbol, as in MXNet
