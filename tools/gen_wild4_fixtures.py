"""Golden values for the patterns met in the fourth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild4_fixtures.py

Runs tests/_wild4_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns, floats not rounded (the
decoder is compared to 1e-6), to tests/fixtures/wild4/wild4.json, read by
tests/test_wild_scripts_4.py. The programs:

* ``like_dtype``: ``zeros_like`` / ``ones_like`` given ``dtype=`` (GluonCV's CenterNetDecoder passes
  ``dtype='int64'``). MXNet 1.9.1 accepts the attribute and ignores it: the result keeps the input's
  dtype, and the exported node carries the attribute.
* ``topk_decode``: a heat-map decoder written in the style of CenterNet's (topk with
  ``ret_typ='both'``, int64 indices split by ``broadcast_div`` / ``broadcast_mod``, batch indices from
  ``arange(256).slice_like``, ``zeros_like(..., dtype='int64')``, ``gather_nd``), eager and hybridized.
* ``box_columns``: the NDArray idioms of an early GluonCV region-proposal step: columns of a
  ``broadcast_to`` result updated with ``+=``, strided column slices read and assigned
  (``deltas[:, 0::4]``, ``boxes[:, 2::4] = ...``), rows picked by a NumPy index array, and
  ``contrib.box_nms`` called with positional thresholds (the third is ``valid_thresh``).
* ``gibbs_op``: a Python CustomOp with two auxiliary states, called through ``F.Custom`` from a
  HybridBlock whose parameters (auxiliary ones included) have deferred ``(0, 0)`` shapes, trained by a
  Trainer over ``collect_params('^(?!.*_aux_.*).*$')`` (the pattern of MXNet's restricted-Boltzmann-
  machine example; sampling is a threshold here, so the result is deterministic), hybridized.
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
    record(os.path.join(tests, '_wild4_programs.py'), 'wild4_programs_on_mxnet',
           os.path.join(tests, 'fixtures', 'wild4', 'wild4.json'), names, digits=None)


if __name__ == '__main__':
    main(sys.argv[1:])
