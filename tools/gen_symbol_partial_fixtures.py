"""Golden values for tests/symbol/test_infer_shape_partial.py (run with the MXNet 1.9.1 venv).

Writes tests/fixtures/symbol/partial_shapes.expected.json: for each case (an operator, its
attributes and input shapes with an unknown ``0`` dimension, or a small graph) what MXNet's
``Symbol.infer_shape_partial`` returns, or the error class when it raises. The cases travel in
the file, so the test builds the same graphs in minigluon.

``python tools/gen_symbol_partial_fixtures.py --compare`` (run with minigluon's Python, from the
repository root) prints where minigluon differs from the file instead.
"""
import json
import os
import sys

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'symbol',
                   'partial_shapes.expected.json')


def _op(key, op, inputs, attrs=None, positional=None):
    """A case: ``op`` applied to variables named after ``inputs`` (name -> shape, None: not
    given); ``positional`` lists the variables passed to the operator (default: all)."""
    return {'key': key, 'op': op, 'inputs': inputs, 'attrs': attrs or {},
            'positional': list(inputs) if positional is None else positional}


D0 = {'data': [0, 10]}           # batch unknown
D1 = {'data': [4, 0]}            # second dimension unknown
D3 = {'data': [0, 3, 5]}
D3M = {'data': [2, 0, 5]}
IMG = {'data': [0, 3, 8, 8]}

CASES = [
    # element-wise unary, activations
    _op('relu', 'relu', D0), _op('relu_d1', 'relu', D1), _op('sigmoid', 'sigmoid', D0),
    _op('tanh', 'tanh', D3M), _op('exp', 'exp', D0), _op('log', 'log', D0), _op('sqrt', 'sqrt', D0),
    _op('abs', 'abs', D0), _op('negative', 'negative', D0), _op('square', 'square', D0),
    _op('floor', 'floor', D0), _op('erf', 'erf', D0), _op('softsign', 'softsign', D0),
    _op('clip', 'clip', D0, {'a_min': 0, 'a_max': 1}), _op('Cast', 'Cast', D0, {'dtype': 'float16'}),
    _op('BlockGrad', 'BlockGrad', D0), _op('identity', 'identity', D0),
    _op('zeros_like', 'zeros_like', D0), _op('ones_like', 'ones_like', D0),
    _op('Activation_relu', 'Activation', D0, {'act_type': 'relu'}),
    _op('Activation_tanh', 'Activation', D3, {'act_type': 'tanh'}),
    _op('LeakyReLU_leaky', 'LeakyReLU', D0, {'act_type': 'leaky', 'slope': 0.1}),
    _op('LeakyReLU_elu', 'LeakyReLU', D0, {'act_type': 'elu'}),
    _op('LeakyReLU_prelu', 'LeakyReLU', IMG, {'act_type': 'prelu'}),
    # scalar arithmetic
    _op('_mul_scalar', '_mul_scalar', D0, {'scalar': 2}),
    _op('_plus_scalar', '_plus_scalar', D1, {'scalar': 1}),
    _op('_rminus_scalar', '_rminus_scalar', D0, {'scalar': 1}),
    _op('_power_scalar', '_power_scalar', D0, {'scalar': 2}),
    _op('_greater_scalar', '_greater_scalar', D0, {'scalar': 0}),
    # binary element-wise and broadcast
    _op('elemwise_add_both', 'elemwise_add', {'lhs': [0, 10], 'rhs': [0, 10]}),
    _op('elemwise_add_fill', 'elemwise_add', {'lhs': [0, 10], 'rhs': [5, 10]}),
    _op('elemwise_sub_one', 'elemwise_sub', {'lhs': [0, 10], 'rhs': [1, 10]}),
    _op('elemwise_mul_rhs_unknown', 'elemwise_mul', {'lhs': [0, 10], 'rhs': None}),
    _op('broadcast_add_row', 'broadcast_add', {'lhs': [0, 10], 'rhs': [1, 10]}),
    _op('broadcast_mul_outer', 'broadcast_mul', {'lhs': [0, 1], 'rhs': [1, 10]}),
    _op('broadcast_add_full', 'broadcast_add', {'lhs': [0, 10], 'rhs': [5, 10]}),
    _op('broadcast_maximum_col', 'broadcast_maximum', {'lhs': [0, 10], 'rhs': [0, 1]}),
    _op('broadcast_sub_rank', 'broadcast_sub', {'lhs': [0, 3, 4], 'rhs': [3, 1]}),
    _op('broadcast_to', 'broadcast_to', {'data': [0, 1]}, {'shape': (0, 6)}),
    _op('broadcast_like', 'broadcast_like', {'lhs': [0, 1], 'rhs': [0, 6]}),
    _op('where', 'where', {'condition': [0, 4], 'x': [0, 4], 'y': [0, 4]}),
    _op('dot', 'dot', {'lhs': [0, 10], 'rhs': [10, 5]}),
    _op('dot_inner_unknown', 'dot', {'lhs': [3, 0], 'rhs': [0, 5]}),
    _op('batch_dot', 'batch_dot', {'lhs': [0, 3, 4], 'rhs': [0, 4, 5]}),
    # softmax family
    _op('softmax', 'softmax', D0), _op('softmax_axis0', 'softmax', D0, {'axis': 0}),
    _op('softmax_3d', 'softmax', D3M, {'axis': 1}), _op('log_softmax', 'log_softmax', D0),
    _op('softmin', 'softmin', D1), _op('SoftmaxActivation', 'SoftmaxActivation', D0),
    _op('SoftmaxOutput', 'SoftmaxOutput', D0, positional=['data']),
    _op('LogisticRegressionOutput', 'LogisticRegressionOutput', D0, positional=['data']),
    _op('LinearRegressionOutput', 'LinearRegressionOutput', D0, positional=['data']),
    # layout
    _op('transpose', 'transpose', D0), _op('transpose_3d', 'transpose', D3, {'axes': (1, 0, 2)}),
    _op('SwapAxis', 'SwapAxis', D3, {'dim1': 0, 'dim2': 2}),
    _op('expand_dims', 'expand_dims', D0, {'axis': 1}),
    _op('expand_dims_neg', 'expand_dims', D1, {'axis': -1}),
    _op('Flatten', 'Flatten', D3), _op('Flatten_mid', 'Flatten', D3M),
    _op('Flatten_2d', 'Flatten', D0),
    _op('Reshape_copy_infer', 'Reshape', D3, {'shape': (0, -1)}),
    _op('Reshape_flat', 'Reshape', D3, {'shape': (-1,)}),
    _op('Reshape_copy_explicit', 'Reshape', D3, {'shape': (0, 15)}),
    _op('Reshape_minus2', 'Reshape', D3, {'shape': (-2,)}),
    _op('Reshape_minus3', 'Reshape', D3, {'shape': (-3, 5)}),
    _op('Reshape_minus3_known', 'Reshape', D3, {'shape': (0, -3)}),
    _op('Reshape_minus4', 'Reshape', {'data': [0, 6]}, {'shape': (0, -4, 2, 3)}),
    _op('Reshape_infer_unknown', 'Reshape', D3, {'shape': (-1, 5)}),
    _op('Reshape_reverse', 'Reshape', D3, {'shape': (-1, 0), 'reverse': True}),
    _op('reshape_like', 'reshape_like', {'lhs': [0, 6], 'rhs': [0, 2, 3]}),
    _op('squeeze', 'squeeze', {'data': [0, 1, 4]}, {'axis': 1}),
    _op('reverse', 'reverse', D0, {'axis': 1}),
    _op('tile', 'tile', D0, {'reps': (2, 3)}),
    _op('repeat', 'repeat', D0, {'repeats': 2, 'axis': 1}),
    _op('repeat_unknown_axis', 'repeat', D0, {'repeats': 2, 'axis': 0}),
    _op('pad', 'pad', IMG, {'mode': 'constant', 'pad_width': (0, 0, 0, 0, 1, 1, 2, 2)}),
    # reductions
    _op('sum_axis1', 'sum', D0, {'axis': 1}), _op('sum_axis0', 'sum', D0, {'axis': 0}),
    _op('sum_all', 'sum', D0), _op('sum_keepdims', 'sum', D0, {'axis': 1, 'keepdims': True}),
    _op('sum_exclude', 'sum', D3, {'axis': 1, 'exclude': True}),
    _op('mean_axis1', 'mean', D3, {'axis': 1}), _op('max_axis1', 'max', D0, {'axis': 1}),
    _op('min_axis_neg', 'min', D3M, {'axis': -1}), _op('prod_axis1', 'prod', D0, {'axis': 1}),
    _op('norm_axis1', 'norm', D0, {'axis': 1}), _op('argmax_axis1', 'argmax', D0, {'axis': 1}),
    _op('argmin_keepdims', 'argmin', D0, {'axis': 1, 'keepdims': True}),
    _op('topk', 'topk', D0, {'k': 3, 'axis': 1}), _op('sort', 'sort', D0, {'axis': 1}),
    _op('argsort', 'argsort', D0),
    # joining and slicing
    _op('concat_dim1', 'concat', {'a': [0, 10], 'b': [0, 5]}, {'dim': 1}),
    _op('concat_dim1_fill', 'concat', {'a': [0, 10], 'b': [3, 5]}, {'dim': 1}),
    _op('concat_dim0', 'concat', {'a': [0, 10], 'b': [3, 10]}, {'dim': 0}),
    _op('stack', 'stack', {'a': [0, 10], 'b': [0, 10]}, {'axis': 1}),
    _op('SliceChannel', 'SliceChannel', D0, {'num_outputs': 2, 'axis': 1}),
    _op('split_axis0', 'split', {'data': [4, 0]}, {'num_outputs': 2, 'axis': 0}),
    _op('slice_axis', 'slice_axis', D0, {'axis': 1, 'begin': 0, 'end': 5}),
    _op('slice_axis_unknown', 'slice_axis', D0, {'axis': 0, 'begin': 0, 'end': 2}),
    _op('slice', 'slice', D3, {'begin': (None, 1), 'end': (None, 3)}),
    _op('slice_like', 'slice_like', {'data': [0, 10], 'shape_like': [0, 4]}, {'axes': (1,)}),
    _op('take', 'take', {'a': [0, 10], 'indices': [3]}),
    _op('take_axis1', 'take', {'a': [0, 10], 'indices': [3]}, {'axis': 1}),
    _op('pick', 'pick', {'data': [0, 10], 'index': [0]}, {'axis': 1}),
    _op('one_hot', 'one_hot', {'indices': [0, 3]}, {'depth': 5}),
    _op('gather_nd', 'gather_nd', {'data': [0, 4], 'indices': [2, 3]}),
    _op('SequenceMask', 'SequenceMask', {'data': [5, 0, 3]}),
    _op('SequenceLast', 'SequenceLast', {'data': [5, 0, 3]}),
    # neural network layers
    _op('Dropout', 'Dropout', D0, {'p': 0.5}),
    _op('BatchNorm', 'BatchNorm', IMG, positional=['data']),
    _op('BatchNorm_2d', 'BatchNorm', D0, positional=['data']),
    _op('LayerNorm', 'LayerNorm', D3, positional=['data']),
    _op('InstanceNorm', 'InstanceNorm', IMG, positional=['data']),
    _op('L2Normalization', 'L2Normalization', D0),
    _op('LRN', 'LRN', IMG, {'nsize': 3}),
    _op('Pooling', 'Pooling', IMG, {'kernel': (2, 2), 'stride': (2, 2)}),
    _op('Pooling_global', 'Pooling', IMG, {'kernel': (1, 1), 'global_pool': True, 'pool_type': 'avg'}),
    _op('UpSampling', 'UpSampling', IMG, {'scale': 2, 'sample_type': 'nearest', 'num_args': 1}),
    _op('Embedding', 'Embedding', {'data': [0, 5]}, {'input_dim': 10, 'output_dim': 4},
        positional=['data']),
    _op('FullyConnected', 'FullyConnected', D0, {'num_hidden': 4}, positional=['data']),
    _op('FullyConnected_noflat', 'FullyConnected', D3, {'num_hidden': 4, 'flatten': False},
        positional=['data']),
    _op('Convolution', 'Convolution', IMG, {'kernel': (3, 3), 'num_filter': 4},
        positional=['data']),
    _op('Deconvolution', 'Deconvolution', IMG, {'kernel': (3, 3), 'num_filter': 4},
        positional=['data']),
    _op('RNN_lstm', 'RNN', {'data': [5, 0, 3]}, {'mode': 'lstm', 'state_size': 8, 'num_layers': 1},
        positional=['data']),
    _op('RNN_gru_state', 'RNN', {'data': [5, 0, 3]},
        {'mode': 'gru', 'state_size': 8, 'num_layers': 2, 'state_outputs': True},
        positional=['data']),
    _op('smooth_l1', 'smooth_l1', D0, {'scalar': 1.0}),
    _op('CTCLoss', 'CTCLoss', {'data': [5, 0, 4], 'label': [0, 3]}),
]


def graphs(mx):
    """Small graphs (name -> (symbol, input shapes)); same code under either framework."""
    d = mx.sym.var('data')
    fc = mx.sym.FullyConnected(d, num_hidden=16, name='fc1')
    mlp = mx.sym.FullyConnected(mx.sym.Activation(fc, act_type='relu'), num_hidden=4, name='fc2')
    conv = mx.sym.Convolution(d, kernel=(3, 3), num_filter=4, name='conv')
    cnn = mx.sym.FullyConnected(mx.sym.Flatten(mx.sym.Pooling(
        mx.sym.relu(mx.sym.BatchNorm(conv, name='bn')), kernel=(2, 2), stride=(2, 2))),
        num_hidden=3, name='fc')
    att = mx.sym.softmax(mx.sym.sum(mx.sym.transpose(d, axes=(0, 2, 1)) * 2, axis=2))
    head = mx.sym.FullyConnected(mx.sym.mean(d, axis=1), num_hidden=2, name='head')
    emb = mx.sym.FullyConnected(mx.sym.Embedding(d, input_dim=10, output_dim=4, name='emb'),
                                num_hidden=3, flatten=False, name='proj')
    return {'mlp': (mlp, {'data': [0, 10]}), 'cnn': (cnn, {'data': [0, 3, 8, 8]}),
            'transpose_sum_softmax': (att, {'data': [0, 3, 5]}),
            'mean_then_fc': (head, {'data': [0, 7, 6]}),
            'embedding_proj': (emb, {'data': [0, 5]})}


def build(mx, case):
    vars_ = {n: mx.sym.var(n) for n in case['inputs']}
    # MXNet keeps the scalar operators (``_mul_scalar``) in ``mx.sym._internal``
    fn = getattr(mx.sym, case['op'], None) or getattr(mx.sym._internal, case['op'])
    return fn(*[vars_[n] for n in case['positional']], name='op', **case['attrs'])


SIZES = (2, 6)     # sizes for the unknown dimensions in the complete reference runs


def shapes(sym, given, partial=True):
    """What infer_shape_partial (or infer_shape) gives, as JSON; an error as {'error': class}."""
    infer = sym.infer_shape_partial if partial else sym.infer_shape
    try:
        args, outs, auxs = infer(**{k: tuple(v) for k, v in given.items() if v is not None})
    except Exception as err:    # noqa: BLE001 - record what MXNet raises
        return {'error': type(err).__name__}
    as_list = (lambda ss: [list(s) for s in ss])
    return {'args': dict(zip(sym.list_arguments(), as_list(args))), 'outs': as_list(outs),
            'aux': dict(zip(sym.list_auxiliary_states(), as_list(auxs)))}


def both(sym, given):
    """The partial result and, per size in SIZES, the complete one with every unknown
    dimension (and every input not given) set to that size."""
    out = shapes(sym, given)
    out['complete'] = {}
    for size in SIZES:
        full = {k: [d or size for d in v] for k, v in given.items() if v is not None}
        out['complete'][str(size)] = shapes(sym, full, partial=False)
    return out


def run(mx, cases):
    ops = {}
    for case in cases:
        try:
            sym = build(mx, case)
        except Exception as err:    # noqa: BLE001
            ops[case['key']] = {'error': 'build: %s' % type(err).__name__}
            continue
        ops[case['key']] = both(sym, case['inputs'])
    return {'ops': ops, 'graphs': {key: both(sym, given) for key, (sym, given) in graphs(mx).items()}}


def _dump(out, f):
    """One line per case, so that a diff of the file reads case by case."""
    f.write('{\n')
    parts = sorted(out)
    for n, part in enumerate(parts):
        f.write(' %s: ' % json.dumps(part))
        value = out[part]
        if isinstance(value, dict):
            lines = [' %s: %s' % (json.dumps(k), json.dumps(v, sort_keys=True))
                     for k, v in sorted(value.items())]
        else:
            lines = [' ' + json.dumps(v, sort_keys=True) for v in value]
        brackets = '{}' if isinstance(value, dict) else '[]'
        f.write(brackets[0] + '\n' + ',\n'.join(lines) + '\n ' + brackets[1])
        f.write(',\n' if n + 1 < len(parts) else '\n')
    f.write('}\n')


def main():
    if '--compare' in sys.argv:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
        import minigluon as mx
        with open(OUT) as f:
            gold = json.load(f)
        got = run(mx, gold['cases'])
        same = []
        for part in ('ops', 'graphs'):
            for key, want in gold[part].items():
                want = {k: v for k, v in want.items() if k != 'complete'}
                got[part][key].pop('complete', None)
                if got[part][key] == want:
                    same.append(key)
                else:
                    print('%-26s MXNet    %s\n%-26s minigluon %s' % (key, want, '', got[part][key]))
        print('\n%d of %d match: %s' % (len(same), len(gold['ops']) + len(gold['graphs']),
                                        ' '.join(same)))
        return
    import mxnet as mx
    out = run(mx, CASES)
    out['cases'] = CASES
    with open(OUT, 'w') as f:
        _dump(out, f)


if __name__ == '__main__':
    main()
