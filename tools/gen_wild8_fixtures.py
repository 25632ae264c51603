"""Golden values for the patterns met in the eighth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild8_fixtures.py

Runs tests/_wild8_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild8/wild8.json, read by
tests/test_wild_scripts_8.py. The programs:

* ``foreach_1d``: ``contrib.foreach`` over a 1-D array (MXNet's control-flow tutorial): each step
  sees shape ``(1,)``, so step outputs stack to ``(T, 1)``, eager and hybridized; a scan with a
  state, its outputs, final state and the data's gradient.
* ``ctc_last``: a CRNN trainer's own loss calling ``F.contrib.CTCLoss(..., blank_label='last')``
  on NTC predictions with and without lengths (padding -1): losses and gradients.
* ``internals_block``: a checkpoint (``arg:`` / ``aux:`` keys) loaded by
  ``SymbolBlock(Group([two get_internals() outputs]), data)`` and
  ``collect_params().load``: parameter names and both outputs, eager and hybridized.
* ``att_decoder``: an OCR attention decoder step (an Embedding, a (B, 1, 1) energy broadcast
  against a (B, S, 1) mask by NDArray ``*``, ``SliceChannel`` of the LSTM state): outputs and
  states of one step, eager; hybridized, MXNet 1.9.1's error (its graph ``*`` does not
  broadcast).
* ``zoneout_stack``: gluon-ts-style ``ModifierCell`` subclasses (a zoneout over a ResidualCell over
  an LSTMCell, then one over an LSTMCell) in a HybridSequentialRNNCell: ``unroll`` outside training
  (dropout masks of ones), gradients of a recorded unroll, and steps from
  ``begin_state(func=nd.ones)``, eager and hybridized.
* ``seeded_image_iter``: an ``mx.image.ImageIter`` over a ``.lst`` of small PNG files with a fine-tuning
  script's SequentialAug (CastAug, ForceResizeAug, RandomCropAug, HorizontalFlipAug, ColorJitterAug),
  Python's ``random`` seeded: ``provide_data`` / ``provide_label`` and every batch of two epochs.
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
    record(os.path.join(tests, '_wild8_programs.py'), 'wild8_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild8', 'wild8.json'), names)


if __name__ == '__main__':
    main(sys.argv[1:])
