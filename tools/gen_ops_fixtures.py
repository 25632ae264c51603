"""Write MXNet 1.9.1 golden values for minigluon's core operators to ``tests/fixtures/ops/``.

Run with the MXNet oracle venv (never imported by minigluon or its tests)::

    /opt/mxvenv/bin/python tools/gen_ops_fixtures.py

Each area (unary, reduce, shape, indexing, linalg) gets one small JSON file holding a list of
cases: the operator name, its inputs (values, dtype), its attributes, MXNet's outputs and, for
differentiable cases, the input gradients for a fixed head gradient. Cases marked ``error`` record
that MXNet rejects the call. Inputs are small deterministic arrays (no ties where order matters).
"""
import json
import os
import sys

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'ops')


def arr(shape, start=0.5, step=0.37, dtype='float32', mod=None):
    """A deterministic array without ties: a scrambled arithmetic sequence."""
    n = int(np.prod(shape))
    vals = (start + step * ((np.arange(n) * 7) % max(n, 1)))
    if mod:
        vals = np.fmod(vals, mod)
    return vals.reshape(shape).astype(dtype)


def signed(shape):
    return arr(shape, start=-2.0, step=0.41)


def enc(a):
    a = np.asarray(a)
    if a.dtype == np.float32:   # shortest text that reads back to the same float32
        data = [float(str(v)) if np.isfinite(v) else str(v) for v in a.reshape(-1)]
    else:
        data = a.reshape(-1).tolist()
    return {'shape': list(a.shape), 'dtype': str(a.dtype), 'data': data}


def case(op, inputs, attrs=None, grad=True, error=False, note=''):
    return {'op': op, 'inputs': inputs, 'attrs': attrs or {}, 'grad': grad, 'error': error,
            'note': note}


def run(c):
    inputs = [mx.nd.array(x, dtype=x.dtype) for x in c['inputs']]
    fn = getattr(mx.nd, c['op'])
    rec = {'op': c['op'], 'attrs': c['attrs'], 'inputs': [enc(x) for x in c['inputs']],
           'note': c['note']}
    if c['error']:
        try:
            fn(*inputs, **c['attrs']).wait_to_read()
        except mx.base.MXNetError as err:
            rec['error'] = str(err).strip().splitlines()[-1][:200]
            return rec
        raise SystemExit('expected an error for %s %s' % (c['op'], c['attrs']))
    floats = [i for i, x in enumerate(c['inputs']) if x.dtype.kind == 'f'] if c['grad'] else []
    for i in floats:
        inputs[i].attach_grad()
    with mx.autograd.record():
        out = fn(*inputs, **c['attrs'])
    outs = out if isinstance(out, (list, tuple)) else [out]
    rec['outputs'] = [enc(o.asnumpy()) for o in outs]
    if floats:
        heads = [mx.nd.array(arr(o.shape, start=-1.0, step=0.29), dtype=o.dtype) for o in outs]
        mx.autograd.backward(outs, heads)
        rec['head_grads'] = [enc(h.asnumpy()) for h in heads]
        rec['grads'] = {str(i): enc(inputs[i].grad.asnumpy()) for i in floats}
    return rec


def unary_cases():
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.7, 2.7, 0.0], dtype='float32')
    pos = arr((2, 3), start=0.3, step=0.45)
    cases = [case(n, [halves], grad=False) for n in ('round', 'rint', 'fix', 'trunc', 'floor',
                                                      'ceil', 'sign')]
    cases += [case(n, [pos]) for n in ('rsqrt', 'cbrt', 'rcbrt', 'gamma', 'gammaln', 'log2',
                                       'reciprocal', 'softsign', 'erf')]
    cases += [
        case('erfinv', [np.array([-0.9, -0.3, 0.0, 0.45, 0.8], dtype='float32')]),
        case('clip', [np.array([-1., 0., 0.5, 2., 3.], dtype='float32')], {'a_min': 0., 'a_max': 2.}),
        case('relu', [np.array([-1., 0., 0.5], dtype='float32')]),
        case('abs', [np.array([-1., 0., 0.5], dtype='float32')]),
        case('Cast', [np.array([1.7, -1.7, 2.5], dtype='float32')], {'dtype': 'int32'}, grad=False),
        case('add_n', [pos, pos * 2, pos - 1]),
        case('hard_sigmoid', [signed((2, 4))], {'alpha': 0.3, 'beta': 0.4}),
        case('BlockGrad', [pos]),
    ]
    return cases


def reduce_cases():
    x = arr((2, 3, 4))
    ties = np.array([[1., 3., 3.], [2., 2., 0.]], dtype='float32')
    cases = [case('sum', [x], {'axis': a, 'keepdims': k, 'exclude': e})
             for a, k, e in [(None, False, False), (1, False, False), ((0, 2), True, False),
                             (1, False, True), ((), False, False), (-1, True, False)]]
    cases += [
        case('mean', [x], {'axis': (0, 1)}),
        case('max', [ties], {'axis': 1}, note='ties all receive the gradient'),
        case('min', [x], {'axis': 2, 'keepdims': True}),
        case('prod', [arr((2, 3), start=0.5, step=0.3)], {'axis': 0}),
        case('nansum', [np.array([[1., np.nan], [2., 3.]], dtype='float32')], {'axis': 1}, grad=False),
        case('nanprod', [np.array([[1.5, np.nan], [2., 3.]], dtype='float32')], {'axis': 1}, grad=False),
        case('norm', [signed((2, 3, 4))], {}),
        case('norm', [signed((2, 3, 4))], {'ord': 1, 'axis': (1, 2)}),
        case('norm', [signed((2, 3, 4))], {'ord': 2, 'axis': 1, 'keepdims': True}),
        case('argmax', [x], {'axis': 1}, grad=False),
        case('argmin', [x], {'axis': -1, 'keepdims': True}, grad=False),
        case('argmax', [x], {}, grad=False),
        case('argmax_channel', [x], grad=False),
        case('norm', [x], {'ord': 3}, error=True),
        case('sum', [x], {'axis': 5}, error=True),
    ]
    return cases


def shape_cases():
    x = arr((2, 3, 4))
    specs = [((0, -1), False), ((-1,), False), ((-2,), False), ((-3, 4), False),
             ((0, -3), False), ((-4, 1, 2, -2), False), ((2, -4, -1, 3, 4), False),
             ((0, 0, -1), False), ((-1, 0), True), ((4, -1), True), ((-3, -2), False),
             ((6, 0), True), ((0, 3, 2, 2), False)]
    cases = [case('Reshape', [x], {'shape': s, 'reverse': r}, grad=False) for s, r in specs]
    x4 = arr((1, 2, 3, 4))
    cases += [
        case('Flatten', [x]), case('transpose', [x], {'axes': (1, 0, 2)}), case('transpose', [x]),
        case('SwapAxis', [x], {'dim1': 0, 'dim2': 2}), case('expand_dims', [x], {'axis': -1}),
        case('squeeze', [arr((2, 1, 3, 1))], {'axis': (1, 3)}), case('squeeze', [arr((1, 1))]),
        case('Concat', [x, x * 2], {'dim': 2}), case('stack', [x, x + 1], {'axis': 1}),
        case('split', [arr((2, 6))], {'num_outputs': 3, 'axis': 1}),
        case('split', [arr((3, 2))], {'num_outputs': 3, 'axis': 0, 'squeeze_axis': True}),
        case('slice', [x], {'begin': (None, 2), 'end': (None, 0), 'step': (None, -1)}),
        case('slice', [x], {'begin': (1, 0, 1), 'end': (2, 3, 4), 'step': (1, 2, 2)}),
        case('slice', [x], {'begin': (-1,), 'end': (None,)}),
        case('slice_axis', [x], {'axis': -1, 'begin': -3, 'end': None}),
        case('slice_axis', [x], {'axis': 1, 'begin': 1, 'end': 3}),
        case('slice_like', [x, arr((1, 2, 3))], {'axes': (1, 2)}),
        case('tile', [arr((2, 3))], {'reps': (2, 1, 2)}),
        case('repeat', [arr((2, 3))], {'repeats': 2, 'axis': 1}),
        case('repeat', [arr((2, 3))], {'repeats': 2}),
        case('pad', [x4], {'mode': 'constant', 'pad_width': (0, 0, 0, 0, 1, 2, 2, 1),
                           'constant_value': 1.5}),
        case('pad', [x4], {'mode': 'edge', 'pad_width': (0, 0, 0, 0, 2, 1, 1, 3)}),
        case('pad', [x4], {'mode': 'reflect', 'pad_width': (0, 0, 0, 0, 2, 1, 1, 3)}),
        case('broadcast_to', [arr((2, 1, 3))], {'shape': (0, 4, 0)}),
        case('broadcast_axis', [arr((1, 3, 1))], {'axis': (0, 2), 'size': (2, 4)}),
        case('broadcast_like', [arr((1, 3)), arr((4, 5))], {'lhs_axes': (0,), 'rhs_axes': (0,)}),
        case('reshape_like', [arr((2, 6)), arr((3, 4))], {}),
        case('reshape_like', [arr((2, 6)), arr((3, 2, 5))], {'lhs_begin': 1, 'lhs_end': 2,
                                                          'rhs_begin': 0, 'rhs_end': 2}),
        case('reverse', [x], {'axis': (0, 2)}),
        case('shape_array', [x], grad=False), case('size_array', [x], grad=False),
    ]
    return cases


def indexing_cases():
    a = arr((3, 4))
    f = lambda v, dt='float32': np.array(v, dtype=dt)  # noqa: E731
    seq = arr((4, 3, 2))
    lens = f([1, 4, 2])
    return [
        case('take', [a, f([[0, 2], [1, 1]])], {'axis': 0}),
        case('take', [a, f([0, 7, -1])], {'axis': 1, 'mode': 'clip'}),
        case('take', [a, f([0, 7, -1])], {'axis': 1, 'mode': 'wrap'}),
        case('take', [a, f([1.7, -0.5])], {}, note='float indices truncate'),
        case('take', [a, f([0, 7])], {'mode': 'raise'}, error=True),
        case('pick', [a, f([0, 9, -1])], {'mode': 'clip'}),
        case('pick', [a, f([0, 9, -1])], {'mode': 'wrap'}),
        case('pick', [a, f([0, 1, 2, 0])], {'axis': 0, 'keepdims': True}),
        case('one_hot', [f([1, -1, 5, 2])], {'depth': 3, 'on_value': 2.0, 'off_value': -1.0},
             grad=False),
        case('where', [f([1, 0, 1]), a, a * 3], {}),
        case('where', [f([[1, 0, 0, 1]] * 3), a, -a], {}),
        case('gather_nd', [a, f([[0, 2, 0], [1, 3, 1]])], {}),
        case('batch_take', [a, f([0, 5, -1], 'int32')], {}, grad=False),
        case('topk', [arr((3, 5))], {'k': 2, 'ret_typ': 'both'}),
        case('topk', [arr((3, 5))], {'k': 2, 'ret_typ': 'value', 'axis': 0, 'is_ascend': True}),
        case('topk', [arr((3, 5))], {'k': 3, 'ret_typ': 'mask'}),
        case('topk', [arr((3, 5))], {'k': 4, 'axis': None}, grad=False),
        case('topk', [arr((3, 5))], {'k': 2, 'dtype': 'int32'}, grad=False),
        case('sort', [arr((3, 5))], {'is_ascend': False}, grad=False),
        case('sort', [arr((3, 5))], {'axis': 0}, grad=False),
        case('argsort', [arr((3, 5))], {'axis': 1}, grad=False),
        case('argsort', [arr((3, 5))], {'is_ascend': False, 'dtype': 'int64'}, grad=False),
        case('SequenceMask', [seq, lens], {'use_sequence_length': True, 'value': -1.0}),
        case('SequenceMask', [arr((3, 4, 2)), lens], {'use_sequence_length': True, 'axis': 1}),
        case('SequenceMask', [seq], {}),
        case('SequenceLast', [seq, lens], {'use_sequence_length': True}),
        case('SequenceLast', [arr((3, 4, 2)), lens], {'use_sequence_length': True, 'axis': 1}),
        case('SequenceLast', [seq], {}, grad=False, note='MXNet crashes in this backward'),
        case('SequenceReverse', [seq, lens], {'use_sequence_length': True}),
        case('SequenceReverse', [seq], {}),
    ]


def linalg_cases():
    return [
        case('dot', [arr((3, 4)), arr((4, 2))], {}),
        case('dot', [arr((4, 3)), arr((4, 2))], {'transpose_a': True}),
        case('dot', [arr((3, 4)), arr((2, 4))], {'transpose_b': True}),
        case('dot', [arr((4, 3)), arr((2, 4))], {'transpose_a': True, 'transpose_b': True}),
        case('dot', [arr((2, 3, 4)), arr((4, 5))], {}),
        case('dot', [arr((2, 3, 4)), arr((2, 5))], {'transpose_a': True}),
        case('dot', [arr((2, 3, 4)), arr((5, 2, 4))], {'transpose_b': True}),
        case('dot', [arr((3,)), arr((3,))], {}),
        case('dot', [arr((3,)), arr((3, 2))], {}),
        case('dot', [arr((2, 3)), arr((4, 5))], {}, error=True),
        case('batch_dot', [arr((2, 3, 4)), arr((2, 4, 5))], {}),
        case('batch_dot', [arr((2, 4, 3)), arr((2, 5, 4))], {'transpose_a': True, 'transpose_b': True}),
        case('batch_dot', [arr((2, 2, 3, 4)), arr((2, 2, 4, 2))], {}),
        case('linalg_gemm2', [arr((2, 3, 4)), arr((2, 4, 5))], {'alpha': 2.0}),
        case('linalg_gemm2', [arr((2, 4, 3)), arr((2, 5, 4))], {'transpose_a': True,
                                                                'transpose_b': True}),
        case('linalg_gemm2', [arr((3, 2, 4)), arr((4, 2, 5))], {'axis': 0}),
    ]


AREAS = {'unary': unary_cases, 'reduce': reduce_cases, 'shape': shape_cases,
         'indexing': indexing_cases, 'linalg': linalg_cases}


def main():
    os.makedirs(OUT, exist_ok=True)
    for area, make in AREAS.items():
        records = [run(c) for c in make()]
        path = os.path.join(OUT, area + '.json')
        with open(path, 'w') as f:
            json.dump({'mxnet': mx.__version__, 'cases': records}, f, separators=(',', ':'))
        print('%s: %d cases, %d bytes' % (path, len(records), os.path.getsize(path)), file=sys.stderr)


if __name__ == '__main__':
    main()
