"""Golden values for the patterns met in the seventh trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild7_fixtures.py

Runs tests/_wild7_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns, floats not rounded (the
learning rates are compared to 1e-12), to tests/fixtures/wild7/wild7.json, read by
tests/test_wild_scripts_7.py. The programs:

* ``auto_mode_warnings``: how many warnings CheckpointHandler(save_best=True) and
  EarlyStoppingHandler give in mode 'auto' (and 'max' / 'min', or save_best=False) for a metric
  made by ``mx.metric.create(function)`` (a captcha trainer's fit loop).
* ``checkpoint_files``: the files that fit loop leaves (two epochs, save_best on that metric).
* ``tied_lm``: MXNet's word_language_model cell model: an Embedding whose params a decoder Dense
  shares (tie_weights), a SequentialRNNCell of LSTMCells unrolled over TNC input, two truncated-BPTT
  steps with detached states, ``clip_global_norm`` and SGD; parameter names, losses, norms, weights.
* ``lr_sequential``: a GluonCV-style composed schedule (linear warm-up, then cosine) given to a
  Trainer as its lr_scheduler: ``trainer.learning_rate`` after each step.
* ``empty_prefix_names``: parameter names of blocks built with ``prefix=''`` inside a
  ``stage1_`` HybridSequential's name scope (GluonCV's ResNeXt stages).
* ``seg_ce``: GluonCV's segmentation cross-entropy (SoftmaxOutput with use_ignore, multi_output,
  normalization='valid', then pick / log / where) with an auxiliary head: loss and input gradients,
  and the error its hybridized form raises (a Symbol has no dtype).
* ``export_preprocess``: a block with ``params.get_constant`` mean / scale and a transpose ahead of a
  Dense, hybridized and exported: graph nodes, parameter file keys, output.
* ``metrics``: MCC(average='micro'), F1 + Accuracy in a CompositeEvalMetric, F1(average='micro'),
  PearsonCorrelation macro / micro, Perplexity(ignore_label=0), Accuracy of ``sigmoid() > 0.5``
  predictions, an Accuracy never updated.
* ``pad_batchify``: a detection loader's label padding batchify, with Dataset.shard / filter,
  FilterSampler and a rollover BatchSampler.
* ``multitask``: ``autograd.backward([l1, l2])`` over two heads of one network: the gradients.
* ``static_running_stats``: BatchNorm running statistics after each step of a network, eager and
  hybridized with static_alloc / static_shape (read after ``nd.waitall()``: MXNet's read right after
  the step can return the value from before it).
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
    record(os.path.join(tests, '_wild7_programs.py'), 'wild7_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild7', 'wild7.json'), names, digits=None)


if __name__ == '__main__':
    main(sys.argv[1:])
