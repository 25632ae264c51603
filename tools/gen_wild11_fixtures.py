"""Golden values for the eleventh trial of public MXNet 1.x Gluon sources (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild11_fixtures.py

Runs tests/_wild11_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild11/wild11.json, read by
tests/test_wild_scripts_11.py. With program names as arguments it prints what those return and
writes nothing. The programs and their sources:

* ``lipnet``: MXNet's LipNet example (example/gluon/lipnet/models/network.py, trainer.py, main.py).
* ``urban_sounds``: MXNet's audio example (example/gluon/audio/transforms.py,
  urban_sounds/datasets.py, model.py, train.py).
* ``speech_ctc``: MXNet's speech-recognition CNN + CTC example
  (example/gluon/gluon_speech_recognition/HybridSequential_CNN_CTC.py).
* ``insightface``: insightface's Gluon training code (deepinsight/insightface gluon/blocks/fresnet.py,
  gluon/blocks/UDD.py, gluon/train.py).
* ``wgan_gp``: two public Gluon WGAN-GP trainers' gradient penalties (wgan_gp_resnet.py and another).
* ``cyclegan``: a public "CycleGAN, implemented in Gluon" models file.
* ``lstnet``: LSTNet in Gluon (safrooze/LSTNet-Gluon model.py, train.py).
* ``gluonts_lstnet``: gluon-ts's LSTNet (src/gluonts/model/lstnet/_network.py,
  src/gluonts/mx/block/scaler.py; export / import_symb_block of src/gluonts/mx/util.py).
* ``gluonts_sndense``: gluon-ts's SNDense (src/gluonts/mx/block/sndense.py).
* ``capsnet``: a public Gluon CapsNet's capsule layers (CapsLayers.py).
* ``gluonts_blocks``: gluon-ts's convolutions, feature embedders and regularization losses
  (src/gluonts/mx/block/cnn.py, feature.py, regularization.py).
* ``pix2pix``: a public Gluon pix2pix models file (UnetSkipUnit, UnetGenerator, PatchGAN) and the
  Straight Dope's pix2pix chapter (param_init, ImagePool, the training step).
* ``gluonts_lowrank``: gluon-ts's low-rank multivariate Gaussian and its output projection
  (src/gluonts/mx/distribution/lowrank_multivariate_gaussian.py, distribution_output.py).
* ``gpt2``: GluonNLP's GPT-2 (scripts/text_generation/model/gpt.py; GELU and
  DotProductAttentionCell from src/gluonnlp/model/block.py, attention_cell.py).
* ``gluonts_mixture``: gluon-ts's mixture, Gaussian and negative-binomial distributions
  (src/gluonts/mx/distribution/mixture.py, gaussian.py, neg_binomial.py, distribution.py).
* ``dqn``: two public Gluon DQNs (a CartPole DQN script, an Atari q_network.py).
* ``gluonts_wavenet``: gluon-ts's WaveNet (src/gluonts/model/wavenet/_network.py).
* ``pairwise_loss``: a pairwise ranking Loss (tswsxk/longling
  longling/framework/ML/MXnet/mx_gluon/gluon_sym/nn_sym.py).
"""
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import choose_kernels, record_in_two_passes  # noqa: E402

# Two passes (as tools/gen_wild9_fixtures.py for the first): MXNet's own CPU kernels, not oneDNN's,
# because the programs set parameter values after a first call, which MXNet 1.9.1's oneDNN build
# refuses for a used convolution weight (and it fails an Adam step on a Conv1D weight, "!is_view");
# but the programs in ONEDNN train fused RNN layers (rnn.GRU), whose training forward MXNet 1.9.1
# fails without oneDNN ("out_data.size() == num_outputs (2 vs. 1)"): those run in a second process
# with oneDNN on, their programs shaping parameters in training mode first (``build``).
ONEDNN = ('lipnet', 'lstnet')
choose_kernels()          # before MXNet is imported (by the programs)
warnings.filterwarnings('ignore')

TESTS = os.path.join(HERE, '..', 'tests')


def main(names=()):
    record_in_two_passes(__file__, os.path.join(TESTS, '_wild11_programs.py'), 'wild11_programs_on_mxnet',
                         os.path.join(TESTS, 'fixtures', 'wild11', 'wild11.json'), ONEDNN, names)


if __name__ == '__main__':
    main(sys.argv[1:])
