"""Regressions found by breaker20: differential programs against MXNet 1.9.1 on the newest code
(the compiled depthwise convolution, the batch path's phase columns, the pointwise per-image
path, compiled max pooling, BatchNorm's compiled inference and leaner backward, sigmoid's
formula, the new error messages) and what earlier breakers left open (numbers in optional input
slots). MXNet's numbers come from tools/gen_breaker20_fixtures.py (tests/_breaker20_program.py
run on MXNet 1.9.1 with its own CPU kernels, oneDNN off, and its synchronous engine)."""
import json
import os
import sys

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from minigluon.base import TypeAssertionError
from minigluon.ops import _parallel

sys.path.insert(0, os.path.dirname(__file__))
import _breaker20_program as program  # noqa: E402
from _breaker import as_json, kernels, mxnet_fixture, same_json, same_projection  # noqa: E402,F401


# --- 1. convolutions: depthwise, batch-path phases, pointwise -----------------------------------

# MXNet 1.9.1 refuses float16 convolution on the CPU (with oneDNN and without)
_FLOAT16_REFUSED = {'dw_float16'}
# MXNet 1.9.1 without oneDNN writes a 1x1 convolution's data gradient where grad_req='add' asks
# for a sum (two passes give one pass's gradient); with oneDNN, its pip default, it adds
_ADD_OVERWRITTEN = {'pointwise_grad_add'}


@pytest.mark.parametrize('case', sorted(set(program.CONV_CASES) - _FLOAT16_REFUSED
                                        - _ADD_OVERWRITTEN))
def test_convolution_outputs_and_gradients_match_mxnet(case, kernels):
    """Depthwise convolutions with a depth multiplier, stride 3, dilation 2, 3x1 / 1x3 kernels,
    an image smaller than the kernel, 1-D and 3-D, a transposed input, float64, grad_req='add';
    the batch path's strided phases; the pointwise and per-image paths: the output and the
    gradients of data, weight and bias (compiled kernels and NumPy forms)."""
    i = sorted(program.CONV_CASES).index(case)
    got = as_json(program._projected(program._conv_case(mx, seed=10 * i,
                                                      **program.CONV_CASES[case])))
    same_projection(got, mxnet_fixture('breaker20')['convolution'][case], case)


def test_grad_add_of_a_pointwise_convolution_adds():
    """grad_req='add' over two identical passes: every gradient is twice one pass's, the data
    gradient included (MXNet 1.9.1's own CPU 1x1 path overwrites it, so its data gradient is the
    single pass's: 2x that here; its weight and bias gradients are summed)."""
    case = 'pointwise_grad_add'
    i = sorted(program.CONV_CASES).index(case)
    got = as_json(program._projected(program._conv_case(mx, seed=10 * i,
                                                      **program.CONV_CASES[case])))
    want = mxnet_fixture('breaker20')['convolution'][case]
    same_projection(got[:1], want[:1], case)
    same_projection(got[1:2], want[1:2], case + ' data', scale=2.0)
    same_projection(got[2:], want[2:], case + ' weight, bias')


def test_float16_depthwise_convolution_is_the_float32_one_rounded(kernels):
    """MXNet 1.9.1 refuses float16 convolutions on the CPU; minigluon computes the depthwise one
    in float32 (the NumPy form): within float16 rounding of the float32 results of the same
    values, which the other cases check against MXNet."""
    assert mxnet_fixture('breaker20')['convolution']['dw_float16'] == 'error'
    kw = dict(program.CONV_CASES['dw_float16'])
    i = sorted(program.CONV_CASES).index('dw_float16')
    half = program._conv_case(mx, seed=10 * i, **kw)
    single = program._conv_case(mx, seed=10 * i, **dict(kw, dtype='float32'))
    for h, s, what in zip(half, single, ('out', 'data', 'weight', 'bias')):
        s = np.array(s)
        np.testing.assert_allclose(np.array(h), s, rtol=2e-3, atol=2e-3 * np.abs(s).max(),
                                   err_msg=what)


@pytest.mark.parametrize('workers', [1, 2])
def test_large_convolutions_pooling_and_deconvolution_match_mxnet(workers, kernels):
    """Images whose wide rows span several of the compiled kernels' 2048-element blocks
    (depthwise with strides 1, 2 and 3), the batch and per-image paths, max pooling with ties
    and 'full' windows, a depthwise Deconvolution: projected outputs and gradients, with one
    and two CPU workers."""
    old = _parallel.set_workers(workers)
    try:
        got = as_json(program.large(mx))
    finally:
        _parallel.set_workers(old)
    want = mxnet_fixture('breaker20')['large']
    assert sorted(got) == sorted(want)
    for case in want:
        same_projection(got[case], want[case], case)


# --- 2. max pooling: ties, 'full', padding, global, fused relu ---------------------------------

@pytest.mark.parametrize('case', sorted(program.POOL_CASES))
def test_pooling_outputs_and_gradients_match_mxnet(case, kernels):
    """Overlapping windows with ties (the gradient goes to the first maximum), 'full' windows,
    padding around negative data, global pooling, float16 / float64, 1-D and 3-D, a transposed
    input and grad_req='add'."""
    i = sorted(program.POOL_CASES).index(case)
    got = as_json(program._pool_case(mx, seed=7 * i + 1, **program.POOL_CASES[case]))
    rtol = 1e-3 if 'float16' in case else 1e-5
    same_json(got, mxnet_fixture('breaker20')['pooling'][case], case, rtol=rtol)


@pytest.mark.parametrize('relu_first', [False, True])
@pytest.mark.parametrize('mode', ['eager', 'hybridized', 'static_alloc'])
def test_max_pooling_with_a_relu_in_a_graph_matches_mxnet(relu_first, mode):
    """Conv -> relu -> 3x3/2 max pool, or Conv -> 'full' max pool -> relu (the executor fuses
    the relu into the pooling, static_alloc keeps the argmax workspace between two steps):
    the output and the data and weight gradients of two steps, as MXNet's eager ones."""
    want = mxnet_fixture('breaker20')['pool_graphs']['relu_first_%s' % relu_first]
    same_json(as_json(program._pool_net(mx, mode, relu_first, 5)), want, mode)


@pytest.mark.parametrize('mode', ['eager', 'hybridized', 'static_alloc'])
def test_convolution_paths_in_a_graph_match_mxnet(mode, kernels):
    """Depthwise 3x3/2, pointwise 1x1 and a batch-path 3x3/2 convolution, BatchNorm and relu in
    one network, eager, hybridized and static_alloc, two training steps of different batch
    sizes: the output, the gradients of the data and of every parameter, the running
    statistics. The two convolution biases before BatchNorm have a zero gradient in exact
    arithmetic (BatchNorm removes any shift): rounding noise below 1e-5 in both."""
    got = as_json(program._conv_net(mx, mode, 3))
    want = mxnet_fixture('breaker20')['conv_graphs']['eager']
    for step, (g, w) in enumerate(zip(got, want)):
        for i, (gi, wi) in enumerate(zip(g, w)):
            if wi[1] < 1e-5:
                assert gi[1] < 1e-5, (step, i)
            else:
                same_projection([gi], [wi], '%s step %d [%d]' % (mode, step, i))


# --- 3. BatchNorm ------------------------------------------------------------------------------

@pytest.mark.parametrize('case', sorted(program.BN_CASES))
def test_batchnorm_outputs_gradients_and_statistics_match_mxnet(case, kernels):
    """Batch statistics on axis 1, 0, 2 and -1, fix_gamma, float16 / float64, grad_req='add',
    one value per channel; moving statistics (use_global_stats) with zero and negative
    variances: the output, the gradients of data, gamma and beta, the moving statistics after
    the step. float16: within one float16 step (MXNet 1.9.1's own kernel rounds each step to
    float16, minigluon computes in float32 and rounds once)."""
    i = sorted(program.BN_CASES).index(case)
    got = as_json(program._raised(lambda: program._bn_case(mx, seed=11 * i + 3,
                                                         **program.BN_CASES[case])))
    rtol, atol = (2e-3, 2e-3) if 'float16' in case else (1e-5, 1e-6)
    same_json(got, mxnet_fixture('breaker20')['batchnorm'][case], case, rtol=rtol, atol=atol)


def test_batchnorm_inference_matches_mxnet(kernels):
    """The moving-statistics forward outside record (one compiled pass for contiguous
    float32/float64 data), a zero variance included, and on a transposed input."""
    got = as_json(program.batchnorm(mx))
    want = mxnet_fixture('breaker20')['batchnorm']
    for key in want:
        if key.startswith('infer'):
            tol = 2e-3 if 'float16' in key else 1e-5
            same_json(got[key], want[key], key, rtol=tol, atol=tol)


def test_batchnorm_layers_match_mxnet(kernels):
    """nn.BatchNorm (axis 1 and -1, scale=False) with set running statistics: inference eager
    and hybridized, a training step's output, data gradient, gamma and updated running
    statistics; the operator's output_mean_var outputs with batch and moving statistics."""
    same_json(as_json(program.batchnorm_layers(mx)), mxnet_fixture('breaker20')['batchnorm_layers'])


# --- 4. sigmoid --------------------------------------------------------------------------------

def _exact(got, want, dtype):
    g, w = np.array(got, dtype=dtype), np.array(want, dtype=dtype)
    return (g == w) | (np.isnan(g) & np.isnan(w))


def test_float16_sigmoid_and_its_gradient_are_mxnets_bit_for_bit():
    """float16: the output (through float32) and the gradient, ``g * (y * (1 - y))`` with each
    step computed in float32 and rounded once, as MXNet 1.9.1; the float16 ``(1 - y)`` rounded
    first before (the gradient at -8 was one float16 step below MXNet's: 3 of 126 values off).
    The same for Activation('sigmoid'), whose backward read the unrounded float32 output."""
    got, want = as_json(program.sigmoid(mx)), mxnet_fixture('breaker20')['sigmoid']
    for key in ('float16', 'head_float16', 'activation_grad_float16'):
        for g, w in zip(*((got[key], want[key]) if key == 'float16'
                          else ([got[key]], [want[key]]))):
            assert _exact(g, w, np.float16).all(), key
    assert got['activation_same_float16'] and want['activation_same_float16']


def test_float32_and_float64_sigmoid_agree_with_mxnet():
    """float32: NumPy's vectorised float32 exp is not glibc's expf, so the output is within two
    float32 steps of MXNet's (equal on 177 of 200 random values; exp computed in float64 and
    rounded would make all 200 equal, at 2x the time on small arrays and 8x on large ones); the
    gradients (from that output) to 5e-7 relative. float64 to the 9 digits kept."""
    got, want = as_json(program.sigmoid(mx)), mxnet_fixture('breaker20')['sigmoid']
    for key in ('random_float32', 'float32'):
        g = np.array(got[key] if key == 'random_float32' else got[key][0], np.float32)
        w = np.array(want[key] if key == 'random_float32' else want[key][0], np.float32)
        ok = np.isnan(w) & np.isnan(g) | (np.abs(g.view(np.int32).astype(np.int64)
                                                 - w.view(np.int32).astype(np.int64)) <= 2)
        assert ok.all(), key
        assert _exact(g, w, np.float32).mean() > 0.8, key
    for key in ('head_float32', 'activation_grad_float32'):
        same_json(got[key], want[key], key, rtol=5e-7, atol=1e-45)
    same_json(got['float32'][1], want['float32'][1], 'grad', rtol=5e-7, atol=1e-45)
    same_json(got['float64'], want['float64'], 'float64', rtol=1e-8, atol=1e-300)


# --- 5. valid usage next to the new error messages ---------------------------------------------

def test_valid_usage_passes_silently_and_mistakes_fail_as_in_mxnet():
    """Trainer given a ParameterDict, a list or a dict of Parameters; initialize with an
    Initializer, a name, a class (refused); clip_global_norm on lists, tuples, gradients and
    Parameters (refused); forward hooks on the hybridized block itself and on children of blocks
    that are not (or not actively) hybridized; ParameterDict.setattr on matching selections:
    the same results and warnings as MXNet 1.9.1 (Trainer of frozen Parameters, Activation
    softsign / softrelu), but for the deliberate differences below."""
    got, want = as_json(program.new_messages(mx)), dict(mxnet_fixture('breaker20')['new_messages'])
    for key in ('init_none', 'pre_hook_after_hybridize_inner', 'clip_float16', 'clip_float64'):
        del want[key], got[key]
    same_json(got, want)


def test_a_hook_registered_inside_a_hybridized_graph_warns():
    """Deliberate difference: a pre-hook registered on a child after its hybridized parent has
    built its graph never runs (as in MXNet 1.9.1, which says nothing then): minigluon warns."""
    got, want = as_json(program.new_messages(mx)), mxnet_fixture('breaker20')['new_messages']
    assert want['pre_hook_after_hybridize_inner'] == [0, 0]
    assert got['pre_hook_after_hybridize_inner'] == [0, 1]


def test_clip_global_norm_of_float16_and_float64_gradients():
    """Deliberate difference: clip_global_norm scales float16 and float64 arrays (MXNet 1.9.1
    fails concatenating its float32 ones with their dtype's scale): the norm and the arrays
    scaled to norm 1, as NumPy gives them."""
    want = mxnet_fixture('breaker20')['new_messages']
    assert want['clip_float16'][0] == want['clip_float64'][0] == 'error'
    got = as_json(program.new_messages(mx))
    norm, scaled = got['clip_float64'][0][0], got['clip_float64'][0][1]
    assert norm == pytest.approx(3 * np.sqrt(2), rel=1e-12)
    np.testing.assert_allclose(scaled, [1 / np.sqrt(2)] * 2, rtol=1e-7)
    norm, scaled = got['clip_float16'][0][0], got['clip_float16'][0][1]
    assert norm == pytest.approx(300 * np.sqrt(2), rel=1e-3)
    np.testing.assert_allclose(scaled, [1 / np.sqrt(2)] * 2, rtol=1e-3)
    assert got['clip_float16'][1] == got['clip_float64'][1] == 0


def test_initialize_none_takes_the_default_initializer():
    """Deliberate difference: ``net.initialize(None)`` is ``net.initialize()`` here (Uniform
    in +-0.07); MXNet 1.9.1 asserts ('initializer must be of string type')."""
    assert mxnet_fixture('breaker20')['new_messages']['init_none'] == ['error', 0]
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize(None)
    w = net.weight.data().asnumpy()
    assert w.shape == (2, 3) and np.abs(w).max() <= 0.07 and np.abs(w).max() > 0


# --- 6. last session's changes ----------------------------------------------------------------

def test_last_sessions_changes_match_mxnet():
    """autograd.grad(create_graph=True) and with one variable, Initializer equality, keywords
    ignored by attribute-less operators (and kept as text on their sym nodes, as MXNet keeps
    them: minigluon's JSON dropped them), nd.relu / nd.sigmoid writing into a second array,
    dtype=None, and box_nms with topk, background_id, force_suppress, coord_start,
    valid_thresh."""
    same_json(as_json(program.last_session(mx)), mxnet_fixture('breaker20')['last_session'])


def test_box_nms_drops_boxes_of_the_default_background_id():
    """With id_index >= 0, boxes whose id equals background_id are dropped for the default -1
    too (a box of id -1, the highest score, led minigluon's output), compared as numbers:
    -1.5 is not -1, 0.7 is not 0 (MXNet 1.9.1 keeps both)."""
    d = nd.array([[[0.7, 0.9, 0, 0, 2, 2], [-1.5, 0.95, 3, 3, 4, 4], [-1, 0.99, 5, 5, 6, 6],
                   [0, 0.8, 7, 7, 8, 8]]])
    out = nd.contrib.box_nms(d, id_index=0).asnumpy()[0]
    assert out[:, 0].tolist() == pytest.approx([-1.5, 0.7, 0, -1])
    assert out[3].tolist() == [-1] * 6
    out = nd.contrib.box_nms(d, id_index=0, background_id=0).asnumpy()[0]
    assert out[:, 1].tolist() == pytest.approx([0.99, 0.95, 0.9, -1])
    kept = mxnet_fixture('breaker20')['last_session']['box_nms']['valid_thresh'][0]
    assert all(row[0] != -1 or row[1] == -1 for row in kept)      # MXNet dropped the -1 box


# --- 7. numbers in optional input slots, 0-d arrays in tuples, scale=0, flips -----------------

# where minigluon is deliberately more lenient than MXNet 1.9.1 (see the tests below)
_LENIENT = {'reshape_0d', 'tile_0d', 'pool_kernel_0d', 'transpose_0d', 'sum_axis_0d_tuple',
            'normal_scale0', 'random_normal_scale0'}


def test_optional_slots_and_attributes_match_mxnet():
    """``nd.softmax(x, 0)`` fills the ``length`` input and is refused (it was taken as the
    axis), ``log_softmax(x, 0)`` (no length input in MXNet) is axis 0, FullyConnected's bias
    and SequenceMask's length refuse numbers, ``softmax(x, None)``; np.int64 inside a tuple;
    normal with a negative scale refused, sample_normal with sigma 0; the flips of HWC images
    (1 or 3 channels, uint8; 2 channels, 4-D and 2-D refused); dot / batch_dot with
    ``forward_stype=None`` (MXNet's default; minigluon refused None), then ``out``
    positionally."""
    got, want = as_json(program.optional_slots(mx)), mxnet_fixture('breaker20')['optional_slots']
    for key in want:
        if key not in _LENIENT:
            same_json(got[key], want[key], key)


def test_numbers_in_input_slots_are_refused_naming_the_input():
    """The message names the input the number fills and says to give attributes by keyword;
    a TypeAssertionError (MXNet asserts); the same for sym, and for the method form."""
    x = nd.ones((2, 3))
    for call in (lambda: nd.softmax(x, 0), lambda: x.softmax(1),
                 lambda: nd.softmax(x, (1,))):
        with pytest.raises(TypeAssertionError, match=r"input 'length' must be an array.*axis="):
            call()
    with pytest.raises(TypeAssertionError, match="input 'length' must be a Symbol"):
        mx.sym.softmax(mx.sym.var('a'), 0)
    with pytest.raises(TypeAssertionError, match="input 'state_cell'"):
        nd.RNN(x, x, x, 3, mode='gru', state_size=2, num_layers=1)
    assert nd.softmax(x, None, 0).shape == (2, 3)           # None, then the axis
    node = json.loads(mx.sym.log_softmax(mx.sym.var('a'), 0).tojson())['nodes'][-1]
    assert node['attrs'] == {'axis': '0'}
    np.testing.assert_allclose(nd.softmin(x, 0).asnumpy(), np.full((2, 3), 0.5))


def test_zero_d_arrays_inside_tuple_attributes_are_their_numbers():
    """Deliberate difference: a 0-d NumPy array inside a tuple attribute is its number, as a 0-d
    array alone already is (MXNet 1.9.1 writes '(array(4), 3)' and fails to parse it); the sym
    JSON holds the plain numbers."""
    assert all(mxnet_fixture('breaker20')['optional_slots'][k] == 'error' for k in
               ('reshape_0d', 'tile_0d', 'pool_kernel_0d', 'transpose_0d', 'sum_axis_0d_tuple'))
    got = as_json(program.optional_slots(mx))
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 5
    same_json(got['reshape_0d'], x.reshape(4, 3).tolist())
    same_json(got['tile_0d'], np.tile(x, (2, 1)).tolist())
    same_json(got['transpose_0d'], x.T.tolist())
    same_json(got['sum_axis_0d_tuple'], x.sum(axis=1).tolist())
    same_json(got['pool_kernel_0d'], [[np.maximum(np.maximum(x[:2, :3], x[1:, :3]),
                                              np.maximum(x[:2, 1:], x[1:, 1:])).tolist()]])
    node = json.loads(mx.sym.reshape(mx.sym.var('a'), shape=(np.array(4), 3)).tojson())
    assert node['nodes'][-1]['attrs'] == {'shape': '(4, 3)'}


def test_normal_with_scale_zero_gives_loc():
    """Deliberate difference: random.normal / random_normal with scale=0 give ``loc`` (MXNet
    1.9.1 refuses scale 0 there but its sample_normal takes sigma 0 and gives mu, as here);
    a negative scale is refused by both."""
    got, want = as_json(program.optional_slots(mx)), mxnet_fixture('breaker20')['optional_slots']
    assert want['normal_scale0'] == want['random_normal_scale0'] == 'error'
    assert want['sample_normal_sigma0'] == [1.0, 2.0] == got['sample_normal_sigma0']
    assert got['normal_scale0'] == [2.0] * 3 and got['random_normal_scale0'] == [1.0] * 2
    assert got['normal_negative_scale'] == want['normal_negative_scale'] == 'error'


@pytest.mark.parametrize('flip', ['flip_left_right', 'flip_top_bottom', 'random_flip_left_right',
                                  'random_flip_top_bottom'])
def test_flips_refuse_a_channels_first_tensor(flip):
    """The flips take an (H, W, C) image with 1 or 3 channels, as MXNet 1.9.1 checks: a (C, H, W)
    tensor (to_tensor's output) was flipped along its H axis by flip_left_right (the top-bottom
    flip, silently); the error names nd.flip and the axis for either layout. A 1- or 3-channel
    image still flips."""
    assert mxnet_fixture('breaker20')['optional_slots']['flip_lr_hwc_two_channels'] == 'error'
    fn = getattr(nd.image, flip)
    axis = 0 if 'top_bottom' in flip else 1
    with pytest.raises(ValueError, match=r'1 or 3 channels.*shape \(3, 8, 8\).*nd\.flip\(x, '
                       r'axis=%d\).*nd\.flip\(x, axis=%d\)' % (axis + 1, axis)):
        fn(nd.ones((3, 8, 8)))
    with pytest.raises(ValueError, match='1 or 3 channels'):
        fn(nd.ones((8, 8, 4)))
    img = np.arange(2 * 3 * 1, dtype=np.float32).reshape(2, 3, 1)
    out = fn(nd.array(img)).asnumpy()
    assert out.tolist() in (np.flip(img, axis).tolist(), img.tolist())
