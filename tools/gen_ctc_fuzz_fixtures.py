"""Generate MXNet 1.9.1 golden data for the CTC cases ``tools/fuzz_ctc.py`` explores.

Run with a Python that has MXNet 1.9.1::

    /opt/mxvenv/bin/python tools/gen_ctc_fuzz_fixtures.py

Writes ``tests/fixtures/ctc_fuzz/cases.json`` (one entry per case: ``name``, ``kind`` 'op' or
'gluon', for 'op' the ``path`` under ``nd`` and the operator ``attrs``, for 'gluon' the block's
``kwargs`` and ``args``, the call's positional arguments: ``'x<i>'`` or ``None``) and
``values.npz``: the inputs ``<name>_in<i>``, MXNet's loss ``<name>_loss`` and its gradient
``<name>_grad`` (of ``sum(loss)`` with respect to ``x0``), and for a ``sample_weight``
``<name>_swgrad``. Cases named ``mx_fault_*`` record what MXNet returns where it is wrong
(``<name>_loss`` / ``<name>_grad`` are then MXNet's wrong values, kept to document the fault;
the tests check minigluon against hand-computed values instead). Cases named ``int_lengths_*``
are computed by MXNet with lengths in the dtype it requires; the tests pass integer lengths,
which MXNet 1.9.1 refuses.
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'ctc_fuzz')
CASES, VALUES = [], {}


def record(name, kind, inputs, **spec):
    """Run one case under MXNet and store its inputs and results."""
    xs = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    xs[0].attach_grad()
    sw = None
    if kind == 'gluon' and len(spec['args']) == 5:
        sw = xs[-1]
        sw.attach_grad()
    with mx.autograd.record():
        if kind == 'op':
            fn = mx.nd
            for part in spec['path'].split('.'):
                fn = getattr(fn, part)
            loss = fn(*xs, **spec['attrs'])
        else:
            net = mx.gluon.loss.CTCLoss(**spec['kwargs'])
            it = iter(xs)
            loss = net(*[None if a is None else next(it) for a in spec['args']])
    loss.backward()
    for i, a in enumerate(inputs):
        VALUES['%s_in%d' % (name, i)] = a
    VALUES[name + '_loss'] = loss.asnumpy()
    VALUES[name + '_grad'] = xs[0].grad.asnumpy()
    if sw is not None:
        VALUES[name + '_swgrad'] = sw.grad.asnumpy()
    CASES.append(dict(name=name, kind=kind, **spec))


def op(name, path, inputs, **attrs):
    record(name, 'op', inputs, path=path, attrs=attrs)


def gluon(name, kwargs, args, inputs):
    record(name, 'gluon', inputs, kwargs=kwargs, args=args)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def main():
    rng = np.random.RandomState(0)
    x = lambda *shape: f32(rng.randn(*shape) * 2)  # noqa: E731
    # Integer label dtypes, repeats, blank 'first' padded with 0.
    op('int32_first_repeats', 'ctc_loss',
       [x(7, 3, 4), np.array([[1, 1, 2], [3, 0, 0], [2, 2, 2]], dtype=np.int32)])
    # int64 labels, values past label_lengths that are valid classes (ignored), data_lengths.
    op('int64_lengths_junk_last', 'CTCLoss',
       [x(6, 3, 5), np.array([[0, 1, 3, 2], [2, 2, 0, 1], [3, 0, 0, 0]], dtype=np.int64),
        f32([6, 5, 3]), np.array([2, 2, 1], dtype=np.int64)],
       use_data_lengths=True, use_label_lengths=True, blank_label='last')
    # float64 labels on float32 data, float64 label_lengths.
    op('float64_label', 'contrib.ctc_loss',
       [x(5, 2, 3), np.array([[1, 2], [2, 0]], dtype=np.float64), np.array([2, 1], dtype=np.float64)],
       use_label_lengths=True)
    # One symbol: a repeated label that needs every frame (T = 3 + 2 blanks).
    op('two_classes_tight', 'contrib.CTCLoss',
       [x(5, 2, 2), f32([[0, 0, 0], [0, -1, -1]])], blank_label='last')
    # A label as wide as T, no repeats: exactly one frame per symbol.
    op('wide_as_T', 'ctc_loss', [x(4, 2, 5), f32([[1, 2, 3, 4], [4, 3, 2, 1]])])
    # -inf activations the label never needs: finite loss, zero gradient at the masked entries.
    a = x(6, 2, 4)
    a[:, :, 2] = -np.inf
    a[5, 0, 0] = -np.inf
    op('neginf_finite', 'CTCLoss', [a, f32([[0, 1], [1, -1]])], blank_label='last')
    # A batch with empty rows among non-empty ones, blank first, data_lengths.
    op('one_empty_row_first', 'contrib.ctc_loss',
       [x(5, 3, 4), f32([[0, 0], [1, 2], [0, 0]]), f32([5, 4, 2])], use_data_lengths=True)
    # NaN in one sample: that sample's loss and gradient are NaN, the others unaffected.
    a = x(4, 3, 3)
    a[1, 1, 0] = np.nan
    op('nan_one_sample', 'ctc_loss', [a, f32([[1, 2], [1, 0], [2, 2]])])
    # Longer sequences, repeats, data_lengths.
    lab = np.array([[1, 1, 2, 3, 3, 4, 1, 5, 5, 2], [2, 3, 4, 0, 0, 0, 0, 0, 0, 0]], dtype=np.float32)
    op('long_T', 'CTCLoss', [x(30, 2, 6), lab, f32([30, 25])], use_data_lengths=True)
    # The Gluon block: layouts, weight, sample_weight, lengths.
    pred = x(8, 3, 5)
    label_tn = f32([[0, 1, 3], [1, 1, -1], [2, 3, -1], [-1, 0, -1]])
    gluon('gluon_tnc_tn_weights', {'layout': 'TNC', 'label_layout': 'TN', 'weight': 2.0},
          ['x0', 'x1', 'x2', 'x3', 'x4'],
          [pred, label_tn, f32([8, 6, 7]), f32([3, 4, 0]), f32([0.5, 1.0, 1.5])])
    gluon('gluon_ntc_int_label', {}, ['x0', 'x1'],
          [x(2, 6, 4), np.array([[0, 2, 2], [1, -1, -1]], dtype=np.int32)])
    gluon('gluon_ntc_sample_weight_only', {}, ['x0', 'x1', None, None, 'x2'],
          [x(3, 5, 3), f32([[0, 1], [1, -1], [-1, -1]]), f32([2.0, 0.5, 1.0])])
    # Lengths MXNet wants in data's / label's dtype: MXNet's values, from float32 lengths.
    op('int_lengths_op', 'ctc_loss',
       [x(6, 2, 4), f32([[1, 2, 3], [3, 3, 0]]), f32([6, 5]), f32([3, 2])],
       use_data_lengths=True, use_label_lengths=True)
    # MXNet faults (recorded as MXNet returns them): a near-certain label gets softmax as its
    # gradient (the occupancy term is lost); the true gradient is ~0.
    op('mx_fault_certain_one_frame', 'ctc_loss', [f32([[[40.0, 0.0]]]), f32([[0]])], blank_label='last')
    op('mx_fault_certain_two_frames', 'ctc_loss', [f32([[[18.0, 0.0]], [[0.0, 18.0]]]), f32([[0]])],
       blank_label='last')
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **VALUES)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'cases': CASES}, f, indent=1)
    print('wrote %d cases, %d bytes' % (len(CASES), os.path.getsize(os.path.join(OUT, 'values.npz'))))


if __name__ == '__main__':
    main()
