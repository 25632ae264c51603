"""Golden values for the patterns met in the fifth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild5_fixtures.py

Runs tests/_wild5_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns, floats not rounded (the
learning rates are compared to 1e-12), to tests/fixtures/wild5/wild5.json, read by
tests/test_wild_scripts_5.py. The programs:

* ``as_list``: ``mxnet.base._as_list`` on a tuple, a list, a number and None (GluonNLP's GNMT and
  sequence-to-sequence code import it).
* ``custom_unroll``: an unroll written with the private helpers of ``mxnet.gluon.rnn.rnn_cell``
  (``_format_sequence``, ``_get_begin_state``, ``_mask_sequence_variable_length``), as a child-sum
  Tree-GRU, gluon-ts's zoneout cell and GluonNLP's Fold import them: an LSTMCell stepped over an
  NTC batch, outputs masked by valid lengths.
* ``bidir_valid_length``: a BidirectionalCell unrolled NTC with ``valid_length`` and explicit or
  default begin states (GluonNLP's GNMTEncoder keeps the second half of the states, the backward
  cell's).
* ``lr_schedules``: the learning rate a Trainer reports after each step for the scheduler idioms of
  the trial (a CosineScheduler built positionally and given to Trainer with another
  'learning_rate', one inside an SGD optimizer object with warm-up, MultiFactorScheduler with a
  constant warm-up under NAG).
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
    record(os.path.join(tests, '_wild5_programs.py'), 'wild5_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild5', 'wild5.json'), names, digits=None)


if __name__ == '__main__':
    main(sys.argv[1:])
