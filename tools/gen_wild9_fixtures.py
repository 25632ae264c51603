"""Golden values for the ninth trial of public MXNet 1.x Gluon sources (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild9_fixtures.py

Runs tests/_wild9_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild9/wild9.json, read by
tests/test_wild_scripts_9.py. The programs and their sources:

* ``resnest_splat``, ``resnest_dropblock``: ResNeSt's gluon split-attention conv and DropBlock
  (zhanghang1989/ResNeSt resnest/gluon/splat.py, dropblock.py).
* ``hrnet_module``: GluonCV's HighResolutionModule (gluoncv/model_zoo/hrnet.py).
* ``nbeats``: gluon-ts's N-BEATS network and losses (src/gluonts/mx/model/n_beats/_network.py).
* ``tft``: gluon-ts's temporal fusion transformer layers (src/gluonts/mx/model/tft/_layers.py).
* ``kalman``: gluon-ts's LDS Kalman filter (src/gluonts/mx/distribution/lds.py).
* ``txl_attention``: GluonNLP's Transformer-XL attention cell
  (scripts/language_model/transformer/attention_cell.py).
* ``nonlocal_block``: GluonCV's non-local block (gluoncv/model_zoo/action_recognition/non_local.py).
* ``quantile``: gluon-ts's QuantileLoss and projection (src/gluonts/mx/block/quantile_output.py).
* ``angular_margin``: a Gluon combined angular-margin (SphereFace/ArcFace/CosFace) head.
* ``gaussian_process``: gluon-ts's GP forecaster pieces (src/gluonts/mx/model/gp_forecaster/
  gaussian_process.py, mx/kernels/_rbf_kernel.py, mx/linalg_util.py).
* ``piecewise_linear``: gluon-ts's piecewise-linear quantile output
  (src/gluonts/mx/distribution/piecewise_linear.py).
* ``slowfast``: GluonCV's SlowFast pathways (gluoncv/model_zoo/action_recognition/slowfast.py).
* ``siamrpn``: GluonCV's SiamRPN depthwise cross-correlation head
  (gluoncv/model_zoo/siamrpn/siam_rpn.py, siam_net.py).
"""
import os
import sys
import warnings

# MXNet's own CPU kernels, not oneDNN's: the oneDNN build of MXNet 1.9.1 fails in the backward pass
# of the 3-D non-local block and of the SlowFast network ("Check failed: !is_view", ndarray.cc:649;
# the input's or the first Conv3D's gradient cannot be read, and the error poisons what follows).
# Set before MXNet is imported.
os.environ['MXNET_MKLDNN_ENABLED'] = '0'
warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record  # noqa: E402


def main(names=()):
    tests = os.path.join(HERE, '..', 'tests')
    record(os.path.join(tests, '_wild9_programs.py'), 'wild9_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild9', 'wild9.json'), names)


if __name__ == '__main__':
    main(sys.argv[1:])
