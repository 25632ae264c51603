"""One or more sample calls for every differentiable registered operator (data for test_op_sweep).

Each :class:`Case` holds an operator name, one input maker per input, the attributes and flags:

* the makers draw the inputs in the operator's argument order (floating inputs in float64);
  inputs made by ``INTS`` or ``CONST`` (indices, labels, lengths) are never differentiated;
* ``attrs`` are the operator's attributes;
* ``flags`` is a set of: ``'train'`` (call under ``autograd.train_mode()``, e.g. BatchNorm's batch
  statistics), ``'seed'`` (reseed ``minigluon.random`` before every call: Dropout, rrelu),
  ``'no_numeric'`` (the backward is deliberately not the derivative of the forward: loss-output
  operators such as SoftmaxOutput, and BlockGrad; they are still compared eager against graph,
  and the loss-output heads' gradients are checked as the numerical gradient of their loss in
  tests/ops/test_nn.py),
  ``'no_half'`` (float16 not meaningful for this case).

Inputs are chosen away from kinks and discontinuities (abs at 0, floor at integers, max ties) so
that central differences are valid. ``EXCLUDED`` lists differentiable operators with no
case here and why.
"""
import numpy as np

from minigluon.ops import OPS
from minigluon.ops.rnn import rnn_param_size


def U(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, size=shape)


def AWAY(*shape):
    """Values of magnitude in [0.15, 0.45]: away from 0, from integers and from half-integers."""
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.15, 0.45, size=shape)


def DISTINCT(*shape):
    """A random permutation of spread-out values: no ties for max/min/sort."""
    return lambda rng: (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.0)


def _fixed(maker):
    maker.fixed = True      # an index, label or length: never differentiated, never cast
    return maker


def INTS(lo, hi, *shape):
    return _fixed(lambda rng: rng.randint(lo, hi, size=shape).astype(np.int64))


def CONST(value, dtype=np.float64):
    return _fixed(lambda rng: np.array(value, dtype=dtype))


def AUX(maker):
    """An auxiliary state (BatchNorm's running statistics): floating, but never differentiated."""
    maker.aux = True
    return maker


class Case:
    """One sample call of operator ``name``; see the module docstring."""

    def __init__(self, name, makers, attrs, flags):
        self.name, self.makers, self.attrs, self.flags = name, makers, attrs, frozenset(flags)
        self.floating = [i for i, m in enumerate(makers) if not getattr(m, 'fixed', False)]
        self.wrt = [i for i in self.floating if not getattr(makers[i], 'aux', False)]

    def inputs(self, seed=0):
        rng = np.random.RandomState(seed)
        return [m(rng) for m in self.makers]

    def __repr__(self):
        attrs = ','.join('%s=%s' % kv for kv in sorted(self.attrs.items()))
        return '%s(%s)' % (self.name, attrs)


CASES = []


def case(name, makers, flags=(), **attrs):
    CASES.append(Case(name, makers, attrs, flags))


# -- unary math (MXNet's elemwise unary family) --------------------------------------------------
for _name in ('sin', 'cos', 'tanh', 'sinh', 'cosh', 'arctan', 'arcsinh', 'sigmoid', 'softsign',
              'exp', 'expm1', 'square', 'negative', 'erf', 'degrees', 'radians', '_copy',
              'zeros_like', 'ones_like', 'tan', 'hard_sigmoid'):
    case(_name, [U(-1, 1, 2, 3)])
for _name in ('arcsin', 'arccos', 'arctanh', 'erfinv'):
    case(_name, [U(-0.8, 0.8, 2, 3)])
case('arccosh', [U(1.2, 3, 2, 3)])
for _name in ('log', 'log10', 'log2', 'sqrt', 'rsqrt', 'rcbrt', 'reciprocal', 'gamma', 'gammaln'):
    case(_name, [U(0.5, 2.5, 2, 3)])
case('log1p', [U(-0.5, 2, 2, 3)])
for _name in ('abs', 'sign', 'relu', 'cbrt', 'ceil', 'floor', 'round', 'rint', 'fix', 'trunc'):
    case(_name, [AWAY(2, 3)])
case('clip', [AWAY(3, 4)], a_min=-0.3, a_max=0.3)
case('Cast', [U(-1, 1, 2, 3)], dtype='float64', flags={'no_half'})
# AMP's casts: float64 data passes through amp_cast / amp_multicast unchanged (MXNet's type rule)
case('amp_cast', [U(-1, 1, 2, 3)], dtype='float16', flags={'no_half'})
case('amp_multicast', [U(-1, 1, 2, 3), U(-1, 1, 3)], num_outputs=2, flags={'no_half'})
case('BlockGrad', [U(-1, 1, 2, 3)], flags={'no_numeric'})
case('add_n', [U(-1, 1, 2, 3), U(-1, 1, 2, 3), U(-1, 1, 2, 3)])

# -- binary, broadcasting, scalar -----------------------------------------------------------------
for _name in ('elemwise_add', 'elemwise_sub', 'elemwise_mul', 'broadcast_hypot'):
    case(_name, [U(-1, 1, 2, 3), U(-1, 1, 2, 3)])
    case(_name, [U(-1, 1, 2, 1, 3), U(-1, 1, 4, 1)])
case('elemwise_div', [U(-1, 1, 2, 3), U(0.5, 2, 1, 3)])
case('broadcast_power', [U(0.5, 2, 2, 3), U(-1, 2, 2, 1)])
case('broadcast_maximum', [DISTINCT(2, 3), U(-0.9, 0.9, 1, 3) ])
case('broadcast_minimum', [DISTINCT(2, 3), U(-0.9, 0.9, 2, 1)])
case('broadcast_mod', [U(2.1, 2.9, 2, 3), U(0.75, 0.8, 1, 3)])
for _name, _scalar in (('_plus_scalar', 1.5), ('_minus_scalar', 1.5), ('_rminus_scalar', 1.5),
                       ('_mul_scalar', -2.5), ('_div_scalar', 4.0), ('_maximum_scalar', 0.1),
                       ('_minimum_scalar', 0.1)):
    case(_name, [AWAY(2, 3)], scalar=_scalar)
case('_rdiv_scalar', [U(0.5, 2, 2, 3)], scalar=3.0)
case('_power_scalar', [U(0.5, 2, 2, 3)], scalar=2.5)
case('_rpower_scalar', [U(-1, 1, 2, 3)], scalar=1.7)
case('_mod_scalar', [U(2.1, 2.9, 2, 3)], scalar=0.75)
case('_hypot_scalar', [U(-1, 1, 2, 3)], scalar=0.5)
case('_rmod_scalar', [U(1.1, 1.2, 2, 3)], scalar=2.0)

# -- reductions -------------------------------------------------------------------------------------
for _name in ('sum', 'mean', 'nansum'):
    case(_name, [U(-1, 1, 2, 3, 4)])
    case(_name, [U(-1, 1, 2, 3, 4)], axis=(0, 2), keepdims=True)
    case(_name, [U(-1, 1, 2, 3, 4)], axis=1, exclude=True)
for _name in ('prod', 'nanprod'):
    case(_name, [U(0.5, 1.5, 2, 3)], axis=1)
for _name in ('max', 'min'):
    case(_name, [DISTINCT(2, 3, 4)], axis=1)
    case(_name, [DISTINCT(3, 4)])
case('norm', [U(-1, 1, 3, 4)])
case('norm', [AWAY(3, 4)], ord=1, axis=1, keepdims=True)
case('moments', [U(-1, 1, 2, 3, 4)], axes=(0, 2))
case('moments', [U(-1, 1, 2, 3)], axes=(1,), keepdims=True)
case('_np_cumsum', [U(-1, 1, 2, 3, 4)], axis=1)
case('_np_cumsum', [U(-1, 1, 2, 3)])
case('LRN', [U(-1, 1, 2, 5, 2, 2)], nsize=3, alpha=0.5)
case('LRN', [U(-1, 1, 1, 4, 3, 1)], nsize=4, alpha=0.2, beta=0.5, knorm=1.0)

# -- shape ------------------------------------------------------------------------------------------
case('Reshape', [U(-1, 1, 2, 3, 4)], shape=(0, -1))
case('Reshape', [U(-1, 1, 2, 3, 4)], shape=(-4, 1, 2, -2))
case('Reshape', [U(-1, 1, 2, 3, 4)], shape=(-3, 4))
case('Flatten', [U(-1, 1, 2, 3, 2)])
case('transpose', [U(-1, 1, 2, 3, 4)], axes=(2, 0, 1))
case('SwapAxis', [U(-1, 1, 2, 3, 4)], dim1=0, dim2=2)
case('expand_dims', [U(-1, 1, 2, 3)], axis=1)
case('squeeze', [U(-1, 1, 2, 1, 3)], axis=1)
case('Concat', [U(-1, 1, 2, 3), U(-1, 1, 2, 2)], dim=1)
case('_rnn_param_concat', [U(-1, 1, 6), U(-1, 1, 4)], dim=0)
case('stack', [U(-1, 1, 2, 3), U(-1, 1, 2, 3)], axis=1)
case('SliceChannel', [U(-1, 1, 2, 6)], num_outputs=3, axis=1)
case('SliceChannel', [U(-1, 1, 2, 3)], num_outputs=3, axis=1, squeeze_axis=True)
case('slice', [U(-1, 1, 4, 5)], begin=(1, None), end=(3, None), step=(1, -2))
case('slice_axis', [U(-1, 1, 4, 5)], axis=1, begin=1, end=-1)
case('_slice_assign', [U(-1, 1, 4, 5), U(-1, 1, 2, 3)], begin=(1, None), end=(3, None), step=(1, -2))
case('_slice_assign_scalar', [U(-1, 1, 4, 5)], scalar=0.5, begin=(None, 1), end=(None, 4), step=(2, 2))
case('slice_like', [U(-1, 1, 4, 5), U(-1, 1, 2, 3)], axes=(1,))
case('tile', [U(-1, 1, 2, 3)], reps=(2, 1, 2))
case('repeat', [U(-1, 1, 2, 3)], repeats=2, axis=1)
case('Pad', [U(-1, 1, 1, 2, 3, 3)], mode='constant', pad_width=(0, 0, 0, 0, 1, 2, 2, 1),
     constant_value=0.5)
case('Pad', [U(-1, 1, 1, 2, 3, 3)], mode='edge', pad_width=(0, 0, 0, 0, 1, 2, 2, 1))
case('Pad', [U(-1, 1, 1, 2, 3, 3)], mode='reflect', pad_width=(0, 0, 0, 0, 1, 2, 2, 1))
case('broadcast_to', [U(-1, 1, 1, 3)], shape=(4, 3))
case('broadcast_axis', [U(-1, 1, 1, 3, 1)], axis=(0, 2), size=(2, 4))
case('broadcast_like', [U(-1, 1, 1, 3), U(-1, 1, 4, 3)])
case('reshape_like', [U(-1, 1, 2, 6), U(-1, 1, 3, 4)])
case('reverse', [U(-1, 1, 3, 4)], axis=1)

# -- indexing ---------------------------------------------------------------------------------------
case('take', [U(-1, 1, 4, 3), INTS(0, 4, 2, 3)])
case('take', [U(-1, 1, 4, 3), INTS(-2, 6, 5)], axis=1, mode='wrap')
case('batch_take', [U(-1, 1, 4, 3), INTS(0, 3, 4)])
case('pick', [U(-1, 1, 4, 3), INTS(0, 3, 4)], axis=1)
case('where', [INTS(0, 2, 3, 4), U(-1, 1, 3, 4), U(-1, 1, 3, 4)])
case('gather_nd', [U(-1, 1, 3, 4), INTS(0, 3, 2, 5)])
case('scatter_nd', [U(-1, 1, 3), CONST(np.array([[0, 1, 1], [1, 2, 0]]))], shape=(2, 3))
case('sort', [DISTINCT(3, 4)], axis=1, is_ascend=False)
case('topk', [DISTINCT(3, 4)], k=2, ret_typ='value')
case('SequenceMask', [U(-1, 1, 4, 3, 2), CONST([1, 4, 2])], use_sequence_length=True, value=-1.0)
case('SequenceLast', [U(-1, 1, 4, 3, 2), CONST([1, 4, 2])], use_sequence_length=True)
case('SequenceReverse', [U(-1, 1, 4, 3, 2), CONST([1, 4, 2])], use_sequence_length=True)
case('SequenceLast', [U(-1, 1, 3, 4, 2), CONST([3, 1, 2])], use_sequence_length=True, axis=1)

# -- layout, resizing and the contrib helpers (ops/layout.py, resize.py, misc.py) -------------------
case('depth_to_space', [U(-1, 1, 2, 8, 2, 3)], block_size=2)
case('space_to_depth', [U(-1, 1, 2, 2, 4, 6)], block_size=2)
case('diag', [U(-1, 1, 3)], k=-1)
case('diag', [U(-1, 1, 2, 3, 4)], k=1, axis1=-1, axis2=1)
case('_split_v2', [U(-1, 1, 3, 5)], indices=(0, 1, 4), axis=1)
case('_split_v2', [U(-1, 1, 3, 4)], indices=(), sections=3, axis=0, squeeze_axis=True)
case('_contrib_BilinearResize2D', [U(-1, 1, 1, 2, 3, 4)], height=5, width=3)
case('_contrib_BilinearResize2D', [U(-1, 1, 1, 2, 4, 5)], height=3, width=7, align_corners=False)
case('_contrib_BilinearResize2D', [U(-1, 1, 1, 2, 3, 3), U(-1, 1, 1, 1, 5, 2)], mode='like')
case('_contrib_AdaptiveAvgPooling2D', [U(-1, 1, 2, 2, 5, 7)], output_size=(3, 2))
case('smooth_l1', [lambda rng: np.array([[-2.0, -0.6, -0.1], [0.1, 0.3, 1.7]])], scalar=1.5)
case('_contrib_div_sqrt_dim', [U(-1, 1, 2, 3, 4)])
case('_contrib_boolean_mask', [U(-1, 1, 4, 3), CONST([0, 1, 1, 0])])
case('_contrib_index_copy', [U(-1, 1, 5, 3), CONST([4, 1]), U(-1, 1, 2, 3)])
case('_contrib_quadratic', [U(-2, 2, 3, 4)], a=1.5, b=-0.7, c=0.3)
case('_contrib_quadratic', [U(-2, 2, 2, 3)], a=-0.25)
# straight-through estimators and the gradient multiplier: their backward is by design not the
# derivative of the forward (tests/ops/test_contrib_extra.py checks it exactly)
case('_contrib_round_ste', [AWAY(2, 3)], flags={'no_numeric'})
case('_contrib_sign_ste', [AWAY(3, 2)], flags={'no_numeric'})
case('_contrib_gradientmultiplier', [U(-1, 1, 2, 3)], scalar=-0.5, flags={'no_numeric'})

# -- linear algebra ---------------------------------------------------------------------------------
case('dot', [U(-1, 1, 2, 3), U(-1, 1, 3, 4)])
case('dot', [U(-1, 1, 3, 2), U(-1, 1, 4, 3)], transpose_a=True, transpose_b=True)
case('batch_dot', [U(-1, 1, 2, 3, 4), U(-1, 1, 2, 4, 5)])
case('batch_dot', [U(-1, 1, 2, 4, 3), U(-1, 1, 2, 4, 5)], transpose_a=True)
case('_linalg_gemm2', [U(-1, 1, 2, 3, 4), U(-1, 1, 2, 5, 4)], transpose_b=True, alpha=0.5)


def SPD(*shape):
    """Symmetric positive-definite matrices (batch shape + (n, n)), eigenvalues >= 1."""
    def make(rng):
        m = rng.uniform(-1, 1, size=shape)
        return m @ m.swapaxes(-1, -2) / shape[-1] + np.eye(shape[-1])
    return make


def WELL(*shape):
    """Well-conditioned square matrices: 2 on the diagonal plus uniform(-0.4, 0.4) noise."""
    return lambda rng: rng.uniform(-0.4, 0.4, size=shape) + 2 * np.eye(shape[-1])


case('_linalg_gemm', [U(-1, 1, 2, 3, 4), U(-1, 1, 2, 5, 4), U(-1, 1, 2, 3, 5)], transpose_b=True,
     alpha=0.5, beta=-2.0)
case('_linalg_gemm', [U(-1, 1, 3, 2, 4), U(-1, 1, 3, 2, 5), U(-1, 1, 4, 2, 5)], transpose_a=True,
     axis=0)
case('_linalg_potrf', [SPD(2, 3, 3)])
case('_linalg_potri', [WELL(2, 3, 3)])
case('_linalg_trmm', [WELL(2, 3, 3), U(-1, 1, 2, 3, 4)], alpha=1.5)
case('_linalg_trmm', [WELL(3, 3), U(-1, 1, 4, 3)], transpose=True, rightside=True, lower=False)
case('_linalg_trsm', [WELL(2, 3, 3), U(-1, 1, 2, 3, 4)], alpha=-0.5)
case('_linalg_trsm', [WELL(3, 3), U(-1, 1, 4, 3)], transpose=True, rightside=True, lower=False)
case('_linalg_syrk', [U(-1, 1, 2, 3, 4)], alpha=0.5)
case('_linalg_syrk', [U(-1, 1, 3, 4)], transpose=True)
case('_linalg_sumlogdiag', [WELL(2, 3, 3)])
case('_linalg_extractdiag', [U(-1, 1, 2, 4, 4)], offset=-1)
case('_linalg_makediag', [U(-1, 1, 2, 3)], offset=2)
case('_linalg_extracttrian', [U(-1, 1, 2, 4, 4)], lower=False)
case('_linalg_extracttrian', [U(-1, 1, 4, 4)], offset=-1)
case('_linalg_maketrian', [U(-1, 1, 2, 6)], offset=1)
case('_linalg_maketrian', [U(-1, 1, 6)], lower=False)
case('_linalg_inverse', [WELL(2, 3, 3)])
case('_linalg_det', [WELL(2, 3, 3)])
case('_linalg_det', [WELL(3, 3)])
case('_linalg_slogdet', [lambda rng: -WELL(2, 3, 3)(rng)])     # negative determinants
case('_linalg_gelqf', [U(-1, 1, 2, 3, 4)])
case('_linalg_gelqf', [WELL(3, 3)])
case('_linalg_syevd', [SPD(2, 3, 3)])

# -- neural-network layers --------------------------------------------------------------------------
case('FullyConnected', [U(-1, 1, 2, 3, 2), U(-1, 1, 4, 6), U(-1, 1, 4)], num_hidden=4)
case('FullyConnected', [U(-1, 1, 2, 3, 2), U(-1, 1, 4, 2)], num_hidden=4, no_bias=True,
     flatten=False)
for _act in ('relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'):
    case('Activation', [AWAY(2, 3)], act_type=_act)
case('LeakyReLU', [AWAY(2, 3)], act_type='leaky', slope=0.1)
case('LeakyReLU', [AWAY(2, 3, 2), U(0.1, 0.5, 3)], act_type='prelu')
for _act in ('elu', 'selu', 'gelu'):
    case('LeakyReLU', [AWAY(2, 3)], act_type=_act)
case('LeakyReLU', [AWAY(2, 3)], act_type='rrelu', flags={'train', 'seed'})
for _name in ('softmax', 'log_softmax', 'softmin'):
    case(_name, [U(-2, 2, 2, 3, 4)], axis=1, temperature=2.0)
case('softmax', [U(-2, 2, 2, 4), CONST([2, 3], np.int64)], use_length=True)
case('SoftmaxActivation', [U(-2, 2, 2, 3, 2)], mode='channel')
case('Dropout', [U(-1, 1, 3, 4)], p=0.5, mode='always', flags={'seed'})
case('_sample_multinomial', [U(0.2, 1, 2, 3)], shape=(4,), get_prob=True, flags={'seed', 'no_numeric'})
case('Dropout', [U(-1, 1, 3, 4)], p=0.3, axes=(1,), flags={'train', 'seed'})
case('Embedding', [INTS(0, 5, 2, 3), U(-1, 1, 5, 4)], input_dim=5, output_dim=4,
     dtype='float64', flags={'no_half'})
case('softmax_cross_entropy', [U(-2, 2, 3, 4), CONST([0, 3, 1])])
for _name in ('SoftmaxOutput', 'LinearRegressionOutput', 'LogisticRegressionOutput',
              'MAERegressionOutput'):
    _label = CONST([0, 3, 1]) if _name == 'SoftmaxOutput' else U(-1, 1, 3, 4)
    case(_name, [U(-2, 2, 3, 4), _label], flags={'no_numeric'})
case('fill_element_0index', [U(-1, 1, 3, 4), U(-1, 1, 3), CONST([3, 0, 1])])
case('SVMOutput', [U(-2, 2, 3, 4), CONST([0, 3, 1])], flags={'no_numeric'})
case('SVMOutput', [U(-2, 2, 3, 4), CONST([0, 3, 1])], use_linear=True, flags={'no_numeric'})
case('MakeLoss', [U(-2, 2, 3, 4)], grad_scale=0.5, flags={'no_numeric'})
case('make_loss', [U(-2, 2, 3, 4)], flags={'no_numeric'})                    # gradient: ones

# -- convolution and pooling ------------------------------------------------------------------------
case('Convolution', [U(-1, 1, 2, 4, 7), U(-1, 1, 6, 2, 3), U(-1, 1, 6)], kernel=(3,),
     num_filter=6, num_group=2, stride=(2,), pad=(1,), dilate=(2,))
case('Convolution', [U(-1, 1, 1, 2, 5, 5), U(-1, 1, 3, 2, 3, 2)], kernel=(3, 2), num_filter=3,
     stride=(1, 2), pad=(1, 0), no_bias=True)
case('Convolution', [U(-1, 1, 1, 1, 3, 4, 3), U(-1, 1, 2, 1, 2, 2, 2), U(-1, 1, 2)],
     kernel=(2, 2, 2), num_filter=2)
case('Deconvolution', [U(-1, 1, 2, 4, 4), U(-1, 1, 4, 3, 3), U(-1, 1, 6)], kernel=(3,),
     num_filter=6, num_group=2, stride=(2,), pad=(1,), adj=(1,), no_bias=False)
case('Deconvolution', [U(-1, 1, 1, 2, 3, 3), U(-1, 1, 2, 2, 2, 3)], kernel=(2, 3), num_filter=2,
     stride=(2, 1), dilate=(1, 2))
case('Pooling', [DISTINCT(1, 2, 5, 5)], kernel=(2, 2), stride=(2, 2), pool_type='max',
     pooling_convention='full')
case('Pooling', [U(-1, 1, 1, 2, 5, 5)], kernel=(3, 3), pad=(1, 1), pool_type='avg',
     count_include_pad=False)
case('Pooling', [U(-1, 1, 1, 2, 6)], kernel=(2,), pool_type='sum')
case('Pooling', [U(0.5, 1.5, 1, 2, 4, 4)], kernel=(2, 2), pool_type='lp', p_value=2)
case('Pooling', [U(-1, 1, 2, 3, 3, 4)], global_pool=True, pool_type='avg', kernel=(1, 1))
case('UpSampling', [U(-1, 1, 1, 2, 2, 3)], scale=2, sample_type='nearest')
case('im2col', [U(-1, 1, 2, 2, 5, 4)], kernel=(2, 3), stride=(2, 1), pad=(1, 1))
case('im2col', [U(-1, 1, 1, 2, 7)], kernel=(3,), dilate=(2,))
case('col2im', [U(-1, 1, 2, 12, 9)], output_size=(4, 5), kernel=(2, 3))
case('col2im', [U(-1, 1, 1, 8, 12)], output_size=(3, 4, 3), kernel=(2, 2, 2), pad=(0, 0, 1),
     stride=(1, 1, 2))

# -- spatial transformer, Crop, khatri_rao (ops/spatial_transformer.py, legacy_extra.py) ------------
# grids drawn at random: no sampling point on a whole pixel (the interpolation's kinks)
case('GridGenerator', [U(-1, 1, 2, 6)], transform_type='affine', target_shape=(3, 4))
case('GridGenerator', [U(-2, 2, 2, 2, 3, 4)], transform_type='warp')
case('BilinearSampler', [U(-1, 1, 2, 2, 4, 5), U(-1.2, 1.2, 2, 2, 3, 3)])
case('SpatialTransformer', [U(-1, 1, 2, 2, 5, 4), U(-0.8, 0.8, 2, 6)], target_shape=(3, 3),
     transform_type='affine', sampler_type='bilinear')
case('Crop', [U(-1, 1, 2, 2, 5, 6)], num_args=1, h_w=(3, 2), offset=(1, 3))
# contrib fft / ifft / count_sketch (ops/fft.py), IdentityAttachKLSparseReg (legacy_extra.py; its
# backward adds a penalty: not the forward's derivative)
case('_contrib_fft', [U(-1, 1, 3, 4)])
case('_contrib_ifft', [U(-1, 1, 1, 2, 2, 6)], compute_size=2)
case('_contrib_count_sketch', [U(-1, 1, 2, 4), CONST([[2, 0, 2, 1]]), CONST([[1, -1, -1, 1]])],
     out_dim=3)
case('IdentityAttachKLSparseReg', [U(0.1, 0.9, 3, 4), AUX(U(0.2, 0.8, 4))], flags={'no_numeric'})
case('_contrib_hawkesll', [U(0.5, 2, 3, 2), U(0.1, 0.8, 2), U(0.5, 3, 2), U(0, 1, 3, 2),
                          CONST(np.linspace(0.1, 1.5, 15).reshape(3, 5)), INTS(0, 2, 3, 5),
                          CONST([5, 2.5, 0]), CONST([5.0, 5.5, 4.0])])     # ops/hawkes.py
case('Correlation', [U(-1, 1, 1, 2, 5, 6), U(-1, 1, 1, 2, 5, 6)], kernel_size=3,   # correlation.py
     max_displacement=1, pad_size=1)
case('Correlation', [U(-1, 1, 1, 2, 5, 6), U(-1, 1, 1, 2, 5, 6)], max_displacement=2, stride1=2,
     stride2=2, pad_size=2, is_multiply=False)
# the pre-Gluon Convolution_v1 and Pooling_v1 (ops/legacy_v1.py)
case('Convolution_v1', [U(-1, 1, 1, 2, 5, 5), U(-1, 1, 3, 2, 3, 2), U(-1, 1, 3)], kernel=(3, 2),
     num_filter=3, stride=(2, 1), pad=(1, 1))
case('Pooling_v1', [DISTINCT(1, 2, 5, 5)], kernel=(3, 3), stride=(2, 2), pad=(1, 1),
     pooling_convention='full')
case('Pooling_v1', [U(-1, 1, 1, 2, 6, 6)], kernel=(3, 3), stride=(2, 2), pool_type='avg',
     pooling_convention='full')
case('Crop', [U(-1, 1, 2, 2, 5, 6), U(-1, 1, 1, 1, 2, 4)], center_crop=True)
case('khatri_rao', [U(-1, 1, 2, 3), U(-1, 1, 3, 3)])
case('khatri_rao', [U(-1, 1, 2, 2), U(-1, 1, 1, 2), U(-1, 1, 3, 2)])

# -- normalisation ----------------------------------------------------------------------------------
_BN = [U(-1, 1, 3, 2, 4), U(0.5, 1.5, 2), U(-1, 1, 2), AUX(U(-0.1, 0.1, 2)), AUX(U(0.8, 1.2, 2))]
case('BatchNorm', _BN, fix_gamma=False, flags={'train'})
case('BatchNorm', _BN, fix_gamma=False, use_global_stats=True)
case('BatchNorm', [U(-1, 1, 3, 4, 2)] + _BN[1:], axis=-1, fix_gamma=False, flags={'train'})
if '_contrib_BatchNormWithReLU' in OPS:     # contrib fused layer (gluon.contrib.nn.BatchNormReLU)
    case('_contrib_BatchNormWithReLU', _BN, fix_gamma=False, flags={'train'})
case('_contrib_SyncBatchNorm', _BN, fix_gamma=False, key='bn', flags={'train'})   # gluon.contrib.nn
case('BatchNorm_v1', _BN, fix_gamma=False, flags={'train'})    # legacy_v1.py
case('BatchNorm_v1', _BN, fix_gamma=False, use_global_stats=True)
case('LayerNorm', [U(-1, 1, 3, 4), U(0.5, 1.5, 4), U(-1, 1, 4)])
case('InstanceNorm', [U(-1, 1, 2, 3, 4), U(0.5, 1.5, 3), U(-1, 1, 3)])
case('GroupNorm', [U(-1, 1, 2, 4, 3), U(0.5, 1.5, 2), U(-1, 1, 2)], num_groups=2)
case('L2Normalization', [U(-1, 1, 2, 3, 2)], mode='channel')

# -- recurrent and CTC ------------------------------------------------------------------------------
for _mode, _layers, _bidir in (('lstm', 2, False), ('gru', 1, True), ('rnn_tanh', 1, False)):
    _n = rnn_param_size(_mode, _layers, 3, 2, _bidir)
    _d = _layers * (2 if _bidir else 1)
    _ins = [U(-1, 1, 4, 2, 3), U(-0.5, 0.5, _n), U(-1, 1, _d, 2, 2)]
    if _mode == 'lstm':
        _ins.append(U(-1, 1, _d, 2, 2))
    case('RNN', _ins, mode=_mode, state_size=2, num_layers=_layers, bidirectional=_bidir)
case('RNN', [U(-1, 1, 4, 2, 3), U(-0.5, 0.5, rnn_param_size('lstm', 1, 3, 3, True, projection_size=2)),
             U(-1, 1, 2, 2, 2), U(-1, 1, 2, 2, 3)],          # LSTMP: states (L*D, N, P), (L*D, N, H)
     mode='lstm', state_size=3, projection_size=2, num_layers=1, bidirectional=True)
case('CTCLoss', [U(-2, 2, 5, 2, 4), CONST([[1, 2], [3, 0]])])
case('CTCLoss', [U(-2, 2, 5, 2, 4), CONST([[1, 1], [2, -1]]), CONST([5, 3]), CONST([2, 1])],
     use_data_lengths=True, use_label_lengths=True, blank_label='last')

# -- images (nd.image; random ones reseeded before every call) -------------------------------------
case('_image_to_tensor', [U(0, 255, 3, 4, 3)], flags={'no_numeric', 'no_half'})   # float32 output:
# its gradient (transpose / 255) is checked exactly in tests/ops/test_image.py
case('_image_normalize', [U(0, 1, 2, 3, 4, 5)], mean=(0.1, 0.2, 0.3), std=(0.5, 0.25, 2.0))
case('_image_flip_left_right', [U(0, 255, 3, 4, 3)])
case('_image_flip_top_bottom', [U(0, 255, 3, 4, 1)])
case('_image_crop', [U(0, 255, 2, 5, 4, 3)], x=1, y=2, width=2, height=3)
case('_image_adjust_lighting', [U(0, 255, 3, 4, 3)], alpha=(0.5, -1.0, 2.0))
case('_image_random_lighting', [U(0, 255, 3, 4, 3)], flags={'seed'})
for _name in ('_image_random_flip_left_right', '_image_random_flip_top_bottom'):
    case(_name, [U(0, 255, 3, 4, 3)], flags={'seed'})
for _name in ('_image_random_brightness', '_image_random_contrast', '_image_random_saturation'):
    case(_name, [U(0, 255, 3, 4, 3)], min_factor=0.5, max_factor=1.5, flags={'seed'})
case('_image_random_contrast', [U(0, 255, 3, 4, 1)], min_factor=0.5, max_factor=1.5, flags={'seed'})
case('_image_random_color_jitter', [U(0, 255, 3, 4, 3)], brightness=0.3, contrast=0.3,
     saturation=0.3, hue=0.0, flags={'seed'})
# hue passes the gradient through (as MXNet), which is not its derivative
case('_image_random_hue', [U(0, 255, 3, 4, 3)], min_factor=0.1, max_factor=0.3, flags={'seed', 'no_numeric'})
case('_image_random_color_jitter', [U(0, 255, 3, 4, 3)], brightness=0.3, contrast=0.3,
     saturation=0.3, hue=0.2, flags={'seed', 'no_numeric'})

# -- interleaved multi-head attention products (L=3, Lk=4, B=2, heads=2, D=2) -------------------
case('_contrib_interleaved_matmul_selfatt_qk', [U(-1, 1, 3, 2, 12)], heads=2)
case('_contrib_interleaved_matmul_selfatt_valatt', [U(-1, 1, 3, 2, 12), U(0, 1, 4, 3, 3)], heads=2)
case('_contrib_interleaved_matmul_encdec_qk', [U(-1, 1, 3, 2, 4), U(-1, 1, 4, 2, 8)], heads=2)
case('_contrib_interleaved_matmul_encdec_valatt', [U(-1, 1, 4, 2, 8), U(0, 1, 4, 3, 4)], heads=2)

# -- detection: box_nms (selection held fixed: distinct scores, IoUs far from the threshold) and
#    ROI pooling (regions fixed; distinct values, so no max ties)


def _nms_rows(rng):
    """Two batches of 6 rows (id, score, x1, y1, x2, y2): scores 0.1 apart, boxes either nearly
    coincident (IoU > 0.8) or disjoint, so small moves never change what is kept."""
    rows = np.zeros((2, 6, 6))
    rows[..., 0] = [[0, 1, 0, 0, 1, 1], [1, 1, 0, 2, 2, 0]]
    rows[..., 1] = rng.permutation(6) * 0.1 + 0.25
    spots = np.array([[0.1, 0.1], [0.1, 0.1], [0.6, 0.1], [0.1, 0.6], [0.6, 0.6], [0.12, 0.11]])
    rows[..., 2:4] = spots + rng.uniform(0, 0.01, (2, 6, 2))
    rows[..., 4:6] = rows[..., 2:4] + 0.3 + rng.uniform(0, 0.01, (2, 6, 2))
    return rows


case('_contrib_box_nms', [_nms_rows], overlap_thresh=0.5)
case('_contrib_box_nms', [_nms_rows], overlap_thresh=0.5, id_index=0, topk=5, valid_thresh=0.3,
     force_suppress=True)      # class ids compared for equality would break the finite differences
# with in_format != out_format the gradient passes the rows unchanged (MXNet's), which is not the
# derivative of the coordinate conversion
case('_contrib_box_nms', [_nms_rows], id_index=0, out_format='center', flags={'no_numeric'})
_ROIS = CONST([[0, 0.4, 0.6, 5.2, 4.4], [1, 2.5, 1.0, 6.0, 5.5], [0, -2.0, 3.0, 3.0, 9.0],
               [1, 3.0, 3.0, 3.0, 3.0]])
case('ROIPooling', [DISTINCT(2, 2, 6, 7), _ROIS], pooled_size=(2, 3), spatial_scale=1.0)
case('ROIPooling', [DISTINCT(2, 3, 5, 8), _ROIS], pooled_size=(3, 2), spatial_scale=0.7)
case('_contrib_ROIAlign', [U(-1, 1, 2, 2, 6, 7), _ROIS], pooled_size=(2, 3), spatial_scale=1.0)
case('_contrib_ROIAlign', [U(-1, 1, 2, 3, 5, 8), _ROIS], pooled_size=(3, 2), spatial_scale=0.7,
     sample_ratio=2, aligned=True)
# spatial_scale 0.75, not 0.8: MXNet reads it as a float32, so with 0.8 the region (-2, 3) to
# (3, 9) has bins of 2.0000000298 in float64 (3 samples) and 2.0 in float32 (2 samples)
case('_contrib_ROIAlign', [U(-1, 1, 2, 8, 5, 6), _ROIS], pooled_size=(2, 2), spatial_scale=0.75,
     position_sensitive=True)

# deformable convolutions: offsets within +-2.5 pixels move many taps past the border (pad 1);
# a uniform offset lands on a pixel boundary with probability 0, where the reading has a kink
case('_contrib_DeformableConvolution', [U(-1, 1, 2, 4, 5, 6), U(-2.5, 2.5, 2, 36, 5, 6),
                                        U(-1, 1, 4, 2, 3, 3), U(-1, 1, 4)],
     kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=2, num_deformable_group=2)
case('_contrib_DeformableConvolution', [U(-1, 1, 1, 2, 5, 5), U(-3, 3, 1, 4, 3, 2),
                                        U(-1, 1, 2, 2, 1, 2)],
     kernel=(1, 2), stride=(2, 2), dilate=(1, 2), num_filter=2, no_bias=True)
case('_contrib_ModulatedDeformableConvolution', [U(-1, 1, 2, 4, 5, 6), U(-2.5, 2.5, 2, 36, 5, 6),
                                                 U(0, 2, 2, 18, 5, 6), U(-1, 1, 4, 2, 3, 3),
                                                 U(-1, 1, 4)],
     kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=2, num_deformable_group=2)
case('_contrib_ModulatedDeformableConvolution', [U(-1, 1, 1, 2, 5, 5), U(-3, 3, 1, 4, 3, 2),
                                                 U(0, 2, 1, 2, 3, 2), U(-1, 1, 2, 2, 1, 2)],
     kernel=(1, 2), stride=(2, 2), dilate=(1, 2), num_filter=2, no_bias=True)

case('Correlation', [U(-1, 1, 2, 3, 6, 7), U(-1, 1, 2, 3, 6, 7)], kernel_size=3,
     max_displacement=2, stride1=2, stride2=2, pad_size=2)
case('Correlation', [U(-1, 1, 1, 2, 5, 6), U(-1, 1, 1, 2, 5, 6)], max_displacement=1, pad_size=1,
     is_multiply=False)    # random inputs: |a - b| away from its kink at a == b

_PS_ROIS = CONST([[0, 0.4, 0.6, 10.2, 8.4], [1, 2.5, 1.0, 6.0, 5.5], [0, -2.0, 3.0, 3.0, 9.0],
                  [1, 3.0, 3.0, 3.0, 3.0]])
case('_contrib_PSROIPooling', [U(-1, 1, 2, 8, 6, 7), _PS_ROIS], spatial_scale=0.7, output_dim=2,
     pooled_size=3, group_size=2)
case('_contrib_DeformablePSROIPooling', [U(-1, 1, 2, 18, 6, 7), _PS_ROIS, U(-1, 1, 4, 4, 2, 2)],
     spatial_scale=0.7, output_dim=2, group_size=3, pooled_size=3, part_size=2, trans_std=0.3,
     sample_per_part=2)
case('_contrib_DeformablePSROIPooling', [U(-1, 1, 2, 8, 6, 7), _PS_ROIS], spatial_scale=0.5,
     output_dim=2, group_size=2, pooled_size=2, no_trans=True, sample_per_part=3)

case('_contrib_RROIAlign', [U(-1, 1, 2, 3, 7, 8),
                            CONST([[0, 4.0, 3.0, 6.0, 4.0, 20.0], [1, 3.5, 4.2, 5.0, 3.0, -60.0],
                                   [1, 7.0, 6.0, 9.0, 5.0, 135.0]])],
     pooled_size=(2, 3), spatial_scale=0.9, sampling_ratio=2)
# region proposals: MXNet's backward gives zeros (not the derivative of the boxes); box order
# would change under float16 rounding of the scores
_RPN = [U(0.05, 0.95, 1, 6, 3, 4), U(-0.3, 0.3, 1, 12, 3, 4), CONST([[48.0, 64.0, 1.0]])]
case('_contrib_Proposal', _RPN, flags={'no_numeric', 'no_half'}, rpn_pre_nms_top_n=20,
     rpn_post_nms_top_n=6, scales=(2.0, 4.0, 8.0), ratios=(1.0,), rpn_min_size=2,
     output_score=True)
case('_contrib_MultiProposal', [U(0.05, 0.95, 2, 6, 3, 4), U(-0.3, 0.3, 2, 12, 3, 4),
                                CONST([[48.0, 64.0, 1.0], [40.0, 50.0, 0.5]])],
     flags={'no_numeric', 'no_half'}, rpn_pre_nms_top_n=20, rpn_post_nms_top_n=6,
     scales=(2.0, 4.0, 8.0), ratios=(1.0,), rpn_min_size=2)

# -- Custom: a Python operator registered with mx.operator (inputs a, b; a*sinh-shaped output) ----


def _register_custom_case():
    from minigluon import nd, operator

    class MulSinh(operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], nd.sinh(in_data[0]) * in_data[1])

        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            a, b = in_data
            self.assign(in_grad[0], req[0], out_grad[0] * nd.cosh(a) * b)
            self.assign(in_grad[1], req[1], out_grad[0] * nd.sinh(a))

    @operator.register('sweep_mul_sinh')
    class MulSinhProp(operator.CustomOpProp):
        def list_arguments(self):
            return ['a', 'b']

        def create_operator(self, ctx, shapes, dtypes):
            return MulSinh()


_register_custom_case()
case('Custom', [U(-1, 1, 2, 3), U(-1, 1, 2, 3)], op_type='sweep_mul_sinh')

# -- density operators (random_pdf.py): samples inside the support; counts are AUX (floating
# but never differentiated: the discrete distributions give the sample no gradient) -----------


def _counts(*shape):
    return AUX(lambda rng: rng.randint(0, 6, size=shape).astype(np.float64))


def _simplex(*shape):
    return lambda rng: rng.dirichlet(np.full(shape[-1], 2.0), size=shape[:-1])


for _log in (False, True):
    case('_random_pdf_normal', [U(-2, 2, 2, 3), U(-1, 1, 2), U(0.5, 2, 2)], is_log=_log)
    case('_random_pdf_uniform', [U(0.1, 0.9, 2, 3), U(-1, 0, 2), U(1, 2, 2)], is_log=_log)
    case('_random_pdf_exponential', [U(0.1, 3, 3, 2), U(0.5, 2, 3)], is_log=_log)
    case('_random_pdf_gamma', [U(0.2, 4, 2, 3), U(0.5, 3, 2), U(0.5, 2, 2)], is_log=_log)
    case('_random_pdf_poisson', [_counts(2, 4), U(0.5, 4, 2)], is_log=_log)
    case('_random_pdf_negative_binomial', [_counts(2, 4), U(0.5, 4, 2), U(0.2, 0.9, 2)],
         is_log=_log)
    case('_random_pdf_generalized_negative_binomial',
         [_counts(2, 4), U(0.5, 4, 2), U(0.1, 1.5, 2)], is_log=_log)
    case('_random_pdf_dirichlet', [_simplex(2, 4, 3), U(0.5, 3, 2, 3)], is_log=_log)
case('_random_pdf_normal', [U(-2, 2, 2, 3, 2), U(-1, 1, 2, 3), U(0.5, 2, 2, 3)], is_log=True)
case('_random_pdf_dirichlet', [_simplex(3), U(0.5, 3, 3)])

# Differentiable operators deliberately without a case here, and why.
EXCLUDED = {
    '_foreach': 'needs a subgraph (a traced body); gradients are checked in tests/test_controlflow.py',
    '_cond': 'needs subgraphs (traced branches); gradients are checked in tests/test_controlflow.py',
    '_while_loop': 'needs subgraphs (a traced body); gradients are checked in tests/test_controlflow.py',
}
