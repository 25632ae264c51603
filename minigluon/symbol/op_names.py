"""Names used in MXNet's symbol files: operator aliases, hidden attribute keys, type and storage codes.

``MX_ALIASES`` maps each legacy-mode MXNet operator alias to the name MXNet writes into
``-symbol.json`` (``sym.flatten`` is written as ``Flatten``, the ``+`` of two symbols as
``elemwise_add``). It is a fact table read off MXNet 1.9.1's operator registry (NumPy-mode
``_np*``/``_npi*``/``_npx*`` and ``_sparse_*`` names left out).
"""
import numpy as np

MX_ALIASES = {
    '_contrib_box_non_maximum_suppression': '_contrib_box_nms',
    'ElementWiseSum': 'add_n', 'Softmax': 'SoftmaxOutput', '_Div': 'elemwise_div',
    '_DivScalar': '_div_scalar', '_Equal': '_equal', '_EqualScalar': '_equal_scalar',
    '_Greater': '_greater', '_GreaterEqualScalar': '_greater_equal_scalar',
    '_GreaterScalar': '_greater_scalar', '_Greater_Equal': '_greater_equal', '_Hypot': '_hypot',
    '_HypotScalar': '_hypot_scalar', '_Lesser': '_lesser',
    '_LesserEqualScalar': '_lesser_equal_scalar', '_LesserScalar': '_lesser_scalar',
    '_Lesser_Equal': '_lesser_equal', '_LogicalAndScalar': '_logical_and_scalar',
    '_LogicalOrScalar': '_logical_or_scalar', '_LogicalXorScalar': '_logical_xor_scalar',
    '_Logical_And': '_logical_and', '_Logical_Or': '_logical_or', '_Logical_Xor': '_logical_xor',
    '_Maximum': '_maximum', '_MaximumScalar': '_maximum_scalar', '_Minimum': '_minimum',
    '_MinimumScalar': '_minimum_scalar', '_Minus': 'elemwise_sub', '_MinusScalar': '_minus_scalar',
    '_Mod': '_mod', '_ModScalar': '_mod_scalar', '_Mul': 'elemwise_mul',
    '_MulScalar': '_mul_scalar', '_NotEqualScalar': '_not_equal_scalar',
    '_Not_Equal': '_not_equal', '_Plus': 'elemwise_add', '_PlusScalar': '_plus_scalar',
    '_Power': '_power', '_PowerScalar': '_power_scalar', '_RDivScalar': '_rdiv_scalar',
    '_RMinusScalar': '_rminus_scalar', '_RModScalar': '_rmod_scalar',
    '_RPowerScalar': '_rpower_scalar', '_add': 'elemwise_add', '_contrib_CTCLoss': 'CTCLoss',
    '_contrib_ctc_loss': 'CTCLoss', '_crop_assign': '_slice_assign',
    '_crop_assign_scalar': '_slice_assign_scalar', '_div': 'elemwise_div',
    '_minus': 'elemwise_sub', '_mul': 'elemwise_mul', '_plus': 'elemwise_add',
    '_sub': 'elemwise_sub', 'broadcast_axes': 'broadcast_axis', 'broadcast_minus': 'broadcast_sub',
    'broadcast_plus': 'broadcast_add', 'cast': 'Cast', 'choose_element_0index': 'pick',
    'concat': 'Concat', 'crop': 'slice', 'ctc_loss': 'CTCLoss', 'cumsum': '_np_cumsum',
    'flatten': 'Flatten', 'flip': 'reverse', 'identity': '_copy', 'linalg_det': '_linalg_det',
    'linalg_extractdiag': '_linalg_extractdiag', 'linalg_extracttrian': '_linalg_extracttrian',
    'linalg_gelqf': '_linalg_gelqf', 'linalg_gemm': '_linalg_gemm',
    'linalg_gemm2': '_linalg_gemm2', 'linalg_inverse': '_linalg_inverse',
    'linalg_makediag': '_linalg_makediag', 'linalg_maketrian': '_linalg_maketrian',
    'linalg_potrf': '_linalg_potrf', 'linalg_potri': '_linalg_potri',
    'linalg_slogdet': '_linalg_slogdet', 'linalg_sumlogdiag': '_linalg_sumlogdiag',
    'linalg_syrk': '_linalg_syrk', 'linalg_trmm': '_linalg_trmm', 'linalg_trsm': '_linalg_trsm',
    'max_axis': 'max', 'min_axis': 'min', 'normal': '_random_normal', 'pad': 'Pad',
    'random_exponential': '_random_exponential', 'random_gamma': '_random_gamma',
    'random_generalized_negative_binomial': '_random_generalized_negative_binomial',
    'random_negative_binomial': '_random_negative_binomial', 'random_normal': '_random_normal',
    'random_pdf_dirichlet': '_random_pdf_dirichlet',
    'random_pdf_exponential': '_random_pdf_exponential', 'random_pdf_gamma': '_random_pdf_gamma',
    'random_pdf_generalized_negative_binomial': '_random_pdf_generalized_negative_binomial',
    'random_pdf_negative_binomial': '_random_pdf_negative_binomial',
    'random_pdf_normal': '_random_pdf_normal', 'random_pdf_poisson': '_random_pdf_poisson',
    'random_pdf_uniform': '_random_pdf_uniform', 'random_poisson': '_random_poisson',
    'random_randint': '_random_randint', 'random_uniform': '_random_uniform',
    'ravel_multi_index': '_ravel_multi_index', 'reshape': 'Reshape',
    'sample_exponential': '_sample_exponential', 'sample_gamma': '_sample_gamma',
    'sample_generalized_negative_binomial': '_sample_generalized_negative_binomial',
    'sample_multinomial': '_sample_multinomial',
    'sample_negative_binomial': '_sample_negative_binomial', 'sample_normal': '_sample_normal',
    'sample_poisson': '_sample_poisson', 'sample_uniform': '_sample_uniform',
    'shuffle': '_shuffle', 'split': 'SliceChannel', 'stop_gradient': 'BlockGrad',
    'sum_axis': 'sum', 'swapaxes': 'SwapAxis', 'uniform': '_random_uniform',
    'unravel_index': '_unravel_index',
}

# Attribute keys that MXNet stores as ``__key__`` on nodes (nnvm ``kHiddenKeys``).
HIDDEN_KEYS = ('ctx_group', 'lr_mult', 'wd_mult', 'force_mirroring', 'mirror_stage', 'profiler_scope')

# MXNet type flags (``__dtype__``) and storage types (``__storage_type__``).
DTYPE_TO_FLAG = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.float16): 2,
                 np.dtype(np.uint8): 3, np.dtype(np.int32): 4, np.dtype(np.int8): 5,
                 np.dtype(np.int64): 6, np.dtype(np.bool_): 7, np.dtype(np.int16): 8,
                 np.dtype(np.uint16): 9, np.dtype(np.uint32): 10, np.dtype(np.uint64): 11}
FLAG_TO_DTYPE = {flag: dt for dt, flag in DTYPE_TO_FLAG.items()}
STYPE_TO_FLAG = {'default': 0, 'row_sparse': 1, 'csr': 2}

# Inputs whose variables MXNet gives an ``__init__`` when a graph is composed
# (``FSetInputVarAttrOnCompose``), unless the variable already has one: BatchNorm's running
# statistics, PReLU's slope (``gamma``) and UpSampling's second input (measured in MXNet 1.9.1:
# by position, so also the second image of a two-input nearest UpSampling).
INPUT_VAR_INIT = {
    'BatchNorm': {3: '["zero", {}]', 4: '["one", {}]'},
    'BatchNorm_v1': {3: '["zero", {}]', 4: '["one", {}]'},
    'IdentityAttachKLSparseReg': {1: '["zero", {}]'},
    '_contrib_SyncBatchNorm': {3: '["zero", {}]', 4: '["one", {}]'},
    '_contrib_BatchNormWithReLU': {3: '["zero", {}]', 4: '["one", {}]'},
    'LeakyReLU': {1: '["Constant", {"value": 0.25}]'},
    'UpSampling': {1: '["bilinear", {}]'},
}

MXNET_VERSION = 10901

# Output names MXNet gives operators with several (partly hidden) outputs; used when the operator
# class keeps the generic ``output0, output1...`` names.
OUTPUT_NAMES = {
    'BatchNorm': ('output', 'mean', 'var'),
    '_contrib_BatchNormWithReLU': ('output', 'mean', 'var'),
    'InstanceNorm': ('output', 'mean', 'var'),
    'LayerNorm': ('output', 'mean', 'std'),
    'GroupNorm': ('output', 'mean', 'std'),
    'Dropout': ('output', 'mask'),
    'LeakyReLU': ('output', 'mask'),
    'L2Normalization': ('output', 'norm'),
}


def mx_hidden_outputs(cls_name, state):
    """How many outputs MXNet 1.9.1 gives an operator beyond minigluon's: workspaces its kernels
    keep for the backward (``sort``'s and ``topk(ret_typ='value')``'s indices, ``det``'s and
    ``slogdet``'s LU factors and pivots). They are invisible, but they make MXNet call the outputs
    ``output0``... and count in ``node_row_ptr`` (measured: ``sort`` -> ``srt_output0``, rows +2)."""
    if cls_name == 'sort' or (cls_name == 'topk' and state.get('ret_typ') == 'value'):
        return 1
    if cls_name in ('_linalg_det', '_linalg_slogdet'):
        return 2
    return 0


# Names under which minigluon's nd/sym offer an operator that MXNet 1.9.1's registry does not
# have (its operator is ``_random_normal_like``, ``_contrib_box_iou``...): a node made through
# one is written under the operator's own name, since MXNet cannot load a file naming them
# ("Operator random_normal_like is not registered").
NOT_MXNET_NAMES = frozenset([
    'MultiBoxPrior', 'box_iou', 'linalg_syevd', 'maximum', 'minimum', 'pow',
    'random_exponential_like', 'random_gamma_like', 'random_generalized_negative_binomial_like',
    'random_negative_binomial_like', 'random_normal_like', 'random_poisson_like',
    'random_uniform_like'])


def json_op_name(called, cls):
    """The operator name MXNet writes to JSON for a call through the name ``called``."""
    if called in NOT_MXNET_NAMES:
        return cls.name
    target = MX_ALIASES.get(called, called)
    from minigluon.ops.registry import OPS
    if OPS.get(target) is cls:
        return target
    return called


def json_row_count(node):
    """How many outputs MXNet 1.9.1 (the oneDNN CPU build) counts for ``node`` in ``node_row_ptr``.

    That build gives max pooling in channel-first layouts a hidden workspace output; minigluon's
    Pooling has none, so the count is adjusted only here, to keep files byte-identical (readers
    ignore ``node_row_ptr``).
    """
    if node.op == 'Pooling' and node.state.get('pool_type', 'max') == 'max' and \
            node.state.get('layout') in (None, 'NCW', 'NCHW', 'NCDHW'):
        return max(node.num_outputs, 2)
    if node.cls is None:          # a variable
        return node.num_outputs
    return node.num_outputs + mx_hidden_outputs(node.cls.name, node.state)


# Operators with parameters that still take any attribute key (their MXNet 1.9.1 parameter
# parser allows unknown keys); see :func:`accepts_any_attr`.
ANY_ATTR_OPS = ('LinearRegressionOutput', 'LogisticRegressionOutput', 'MAERegressionOutput',
                # no parameters in MXNet 1.9.1; minigluon gives them attributes of its own
                # (make_loss: MakeLoss's; zeros_like / ones_like: dtype)
                'make_loss', 'zeros_like', 'ones_like')


def accepts_any_attr(cls):
    """Whether an operator node of class ``cls`` may carry a plain attribute key (``{'k': 'v'}``
    from ``attr=`` or ``AttrScope``, not one of its parameters) as in MXNet 1.9.1: operators
    without parameters (``relu``, ``elemwise_add``, ``Flatten``; ``make_loss``, ``zeros_like``
    and ``ones_like``, which have attributes only in minigluon) and the regression outputs.
    The others reject such a key ("Cannot find argument"). ``Custom`` declares no attributes
    but every key it is given is a parameter (``op_type`` and its CustomOpProp's own)."""
    return (not cls.attrs and cls.name != 'Custom') or cls.name in ANY_ATTR_OPS
