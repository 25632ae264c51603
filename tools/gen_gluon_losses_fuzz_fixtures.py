"""Regression cases for what ``tools/fuzz_gluon_losses.py`` found, with MXNet 1.9.1's outcomes;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_gluon_losses_fuzz_fixtures.py

A case is ``code`` (Python setting ``loss`` from ``gluon``), ``call`` (setting ``out`` from
``loss`` and the inputs ``x0, x1...``), ``record`` (run under ``autograd.record()``), ``hybridize``
and ``wrt`` (the inputs whose gradient of ``sum(out * head)`` is kept). The found differences were
error classes (minigluon's is now among MXNet's); a few value cases of areas the older fixtures
do not reach (``batch_axis=1``, float16, labels out of range, broadcast ``pos_weight`` and
``sample_weight``) are recorded with them.

Output: ``tests/fixtures/gluon_losses_fuzz/cases.json`` (name -> the case, plus ``error`` and
``mro``, the class names of MXNet's exception, where it raised) and ``values.npz``
(``<name>/in<i>``, ``<name>/head``, ``<name>/out``, ``<name>/grad<i>``).
"""
import os
import sys
import zlib

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from fuzz_gluon_losses import run_loss  # noqa: E402  (the fuzzer's runner: one way to run a case)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'gluon_losses_fuzz')


def rng(name):
    return np.random.RandomState(zlib.crc32(name.encode()))


def normal(name, *shapes, dtype='float32'):
    r = rng(name)
    return [(r.standard_normal(s) * 1.5).astype(dtype) for s in shapes]


CASES = {}


def case(name, code, call, inputs, record=True, hybridize=False, wrt=(0,), differs=()):
    """``differs``: results where MXNet is wrong (docs/PORTING.md's table); the test checks them
    against NumPy instead, and against MXNet where MXNet's are finite."""
    CASES[name] = {'code': code, 'call': call, 'inputs': inputs, 'record': record,
                   'hybridize': hybridize, 'wrt': list(wrt), 'differs': list(differs)}


# -- error classes ----------------------------------------------------------------------------------
# A label with another number of elements than pred: MXNet raises ValueError outside record(),
# MXNetError inside it and when hybridized (minigluon: MXNetValueError, both).
for loss, extra in [('L1Loss', ''), ('L2Loss', ''), ('HuberLoss', ''), ('HingeLoss', ''),
                    ('SquaredHingeLoss', ''), ('LogisticLoss', ''),
                    ('SigmoidBinaryCrossEntropyLoss', ''), ('PoissonNLLLoss', ''),
                    ('SoftmaxCrossEntropyLoss', 'sparse_label=False')]:
    for record in (False, True):
        for hyb in (False, True):
            if hyb and not record:
                continue
            name = 'size_mismatch_%s_%s' % (loss, 'hyb' if hyb else 'rec' if record else 'plain')
            case(name, 'loss = gluon.loss.%s(%s)' % (loss, extra), 'out = loss(x0, x1)',
                 normal(name, (2, 3), (2, 4)), record=record, hybridize=hyb)
for record in (False, True):
    name = 'size_mismatch_TripletLoss_%s' % ('rec' if record else 'plain')
    case(name, 'loss = gluon.loss.TripletLoss()', 'out = loss(x0, x1, x2)',
         normal(name, (3, 2), (3, 2), (7,)), record=record)
    name = 'size_mismatch_CosineEmbeddingLoss_%s' % ('rec' if record else 'plain')
    case(name, 'loss = gluon.loss.CosineEmbeddingLoss()', 'out = loss(x0, x1, x2)',
         normal(name, (2, 5), (2, 3)) + [np.array([1, -1], np.float32)], record=record)
# SDMLLoss with x1 and x2 of different shapes: MXNet asserts (minigluon: ValueAssertionError).
case('sdml_shape_mismatch', 'loss = gluon.loss.SDMLLoss()', 'out = loss(x0, x1)',
     normal('sdml_shape_mismatch', (3, 2), (3, 4)))
# A weight that is not a number: MXNet asserts when the loss is called (minigluon refuses it at
# construction with a TypeAssertionError, both a TypeError and an AssertionError).
for loss in ('L1Loss', 'HuberLoss', 'KLDivLoss', 'SoftmaxCrossEntropyLoss', 'TripletLoss'):
    for w in ("'2'", '[0.5]'):
        name = 'weight_not_number_%s_%s' % (loss, 'str' if w[0] == "'" else 'list')
        if loss == 'SoftmaxCrossEntropyLoss':
            ins = normal(name, (2, 3)) + [np.array([0, 2], np.float32)]
        else:
            ins = normal(name, (2, 3), (2, 3), (2, 3))[:3 if loss == 'TripletLoss' else 2]
        case(name, 'loss = gluon.loss.%s(weight=%s)' % (loss, w),
             'out = loss(%s)' % ', '.join('x%d' % i for i in range(len(ins))), ins)

# -- values -----------------------------------------------------------------------------------------
p, lab = normal('sce_out_of_range', (3, 4))[0], np.array([-1.0, 2.7, 9.0], np.float32)
for hyb in (False, True):
    case('sce_out_of_range%s' % ('_hyb' if hyb else ''), 'loss = gluon.loss.SoftmaxCELoss()',
         'out = loss(x0, x1)', [p, lab], hybridize=hyb, wrt=(0, 1))
p, lab = normal('sce_axis_batch1', (3, 2, 4))[0], np.array([[2, 0], [1, 3], [0, 3]], np.int32)
case('sce_axis_batch1', 'loss = gluon.loss.SoftmaxCELoss(axis=2, batch_axis=1)',
     'out = loss(x0, x1, x2)', [p, lab, np.array([0.5, 2.0], np.float32).reshape(1, 2, 1)],
     hybridize=True)
p, lab = normal('sce_vec_weight', (3, 4))[0], np.array([1, 0, 3], np.float32)
case('sce_vec_weight', 'loss = gluon.loss.SoftmaxCELoss()', 'out = loss(x0, x1, x2)',
     [p, lab, np.array([0.5, 1.0, 3.0], np.float32)])
p, lab = normal('sbce_pos_weight_f16', (2, 3, 2), dtype='float16')[0], None
lab = (rng('sbce_lab').uniform(0, 1, (2, 3, 2)) > 0.5).astype(np.float16)
for hyb in (False, True):
    case('sbce_pos_weight_f16%s' % ('_hyb' if hyb else ''),
         'loss = gluon.loss.SigmoidBCELoss(weight=0.5)', 'out = loss(x0, x1, x2, x3)',
         [p, lab, np.array([[[1.0]], [[0.5]]], np.float16), np.array([0.3, 2.5], np.float16)],
         hybridize=hyb, wrt=(0, 1))
p, q = normal('kldiv_batch_axis1', (3, 2, 4), (3, 2, 4), dtype='float64')
q = np.exp(q) / np.exp(q).sum(-1, keepdims=True)
case('kldiv_batch_axis1', 'loss = gluon.loss.KLDivLoss(from_logits=False, axis=0, batch_axis=1)',
     'out = loss(x0, x1)', [p, q], hybridize=True, wrt=(0, 1))
p, y = normal('huber_batch_axis1', (2, 3), (6,))
case('huber_batch_axis1', 'loss = gluon.loss.HuberLoss(rho=0.5, batch_axis=1)',
     'out = loss(x0, x1, x2)', [p, y, np.array([0.5, 1.0, 2.0], np.float32)], wrt=(0, 1))
p = rng('poisson_eps').uniform(0.05, 3, (2, 3)).astype(np.float32)
t = np.array([[0, 1, 2], [3, 0, 5]], np.float32)
case('poisson_eps', 'loss = gluon.loss.PoissonNLLLoss(from_logits=False)',
     'out = loss(x0, x1, None, 0.1)', [p, t], wrt=(0, 1))
# docs/PORTING.md's table: MXNet's float16 log gradient multiplies by the float16 reciprocal, infinite
# for a label below 2**-16 (7.45e-6, 1.79e-7 here); minigluon's is the true derivative.
q = np.array([[0.0, 7.451e-06, 0.99999], [0.3, 0.7, 1.788e-07]], np.float16)
case('kldiv_f16_tiny_label', 'loss = gluon.loss.KLDivLoss()', 'out = loss(x0, x1)',
     [np.array([[-1.5, -0.3, -3.4], [-0.5, -0.9, -3.3]], np.float16), q], wrt=(0, 1),
     differs=['grad1'])


def run(name, c):
    """``fuzz_gluon_losses.run_loss`` on MXNet, with a head drawn from the name (kept as
    ``head``)."""
    heads = []

    def head(out):
        heads.append(rng(name + '/head').standard_normal(out.shape).astype(out.dtype))
        return heads[-1]
    res = run_loss(mx, c, c['inputs'], head)
    res.update({'head': h for h in heads})
    return res


def main():
    _fuzz.record_fixtures(OUT, CASES, run, mx.__version__)


if __name__ == '__main__':
    main()
