"""Golden values for the patterns met in the second trial of public MXNet 1.x Gluon scripts
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild2_fixtures.py

Runs tests/_wild2_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns, floats not rounded (the
BatchNorm statistics are checked bit for bit), to tests/fixtures/wild2/wild2.json, read by
tests/test_wild_scripts_2.py. The programs:

* ``bn_running``: BatchNorm's moving mean and variance after each of three training steps on the
  normalization tutorial's data (``arange(16).reshape(2, 2, 2, 2)``, whose batch statistics are
  exact, so the only rounding is the update's), for several momenta, float32 and float64. MXNet
  keeps ``momentum`` as a float32 and forms ``1 - momentum`` in the accumulation type: 0.55000013
  where 0.55 is expected. (On other data MXNet's oneDNN and native kernels also round the batch
  variance their own ways, the native one through ``1 / sqrt(var + eps)`` and back: last-bit
  differences minigluon does not reproduce.)
* ``prelu_se``: the gradient of a PReLU's ``alpha`` in Conv -> BatchNorm -> PReLU -> SELayer (GluonFR's
  basic blocks), eager and hybridized.
"""
import os
import sys
import warnings

warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record  # noqa: E402


def main(names=()):
    tests = os.path.join(HERE, '..', 'tests')
    record(os.path.join(tests, '_wild2_programs.py'), 'wild2_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild2', 'wild2.json'), names, digits=None)


if __name__ == '__main__':
    main(sys.argv[1:])
