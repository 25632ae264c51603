"""Regressions found by breaker20b: valid MXNet 1.9.1 usage next to the last hour's changes
(the input-slot refusal of numbers in later input places, the PyTorch-name hints on modules and
classes, the hybrid_forward signature errors, the convolution and pooling layers' signatures,
the shared window geometry, autograd.grad of no variables, NDArrayIter's shuffle), compared
with MXNet 1.9.1. MXNet's results come from tools/gen_breaker20b_fixtures.py
(tests/_breaker20b_program.py run on MXNet 1.9.1 with its own CPU kernels, oneDNN off, and its
synchronous engine).

Found: a mixin base listed after a Gluon class (``class Agent(gluon.Block, Learner)``) could no
longer provide ``train`` / ``eval`` / ``parameters`` / ``to`` / ``cuda`` / ``state_dict`` (nor
a Trainer mixin ``zero_grad``, a Parameter mixin ``requires_grad`` property): the hint
descriptors on Block, Trainer and Parameter stood first in the MRO and raised; a free-text
attribute given None (``nd.contrib.arange_like(x, ctx=None)``, MXNet's text 'None') was
refused; a float given to a bool attribute (``linalg.trsm(A, B, False, False, 1.0)``, whose 1.0
is ``lower``) was taken as True where MXNet refuses it."""
import os
import sys
import tempfile

import numpy as np
import pytest

import minigluon as mx
from minigluon import nd

sys.path.insert(0, os.path.dirname(__file__))
import _breaker20b_program as program  # noqa: E402
from _breaker import as_json, kernels, mxnet_fixture, same_json  # noqa: E402,F401


# --- 1. positional attributes after every input -------------------------------------------------

@pytest.mark.parametrize('section', ['positional_nd', 'positional_sym', 'positional_hybrid',
                                     'methods', 'namespaces', 'trailing'])
def test_positional_calls_match_mxnet(section):
    """Operators called with their attributes positionally after all their inputs (Pooling,
    FullyConnected, Convolution, topk, one_hot, pick, SequenceMask, softmax(x, None, 0),
    BatchNorm, LeakyReLU(x, None, 'leaky'), linalg, contrib, image, random...), in nd, in sym
    and through F eagerly and hybridized, and as NDArray methods: the same results as MXNet
    1.9.1, and an error wherever it refuses the call (a number in a later input slot, concat's
    axis=, stack's dim=, a float for a bool attribute)."""
    with np.errstate(all='ignore'):
        got = as_json(getattr(program, section)(mx))
    same_json(got, mxnet_fixture('breaker20b')[section], section)


def test_free_text_attribute_takes_none_as_mxnet():
    """ctx=None (or SyncBatchNorm's key=None) is the text 'None' in MXNet 1.9.1's generated
    functions: arange_like(x, ctx=None) runs there; minigluon refused it ('must not be None')."""
    x = nd.zeros((2, 3))
    np.testing.assert_array_equal(nd.contrib.arange_like(x, ctx=None, axis=1).asnumpy(),
                                  [0, 1, 2])
    s = mx.sym.contrib.arange_like(mx.sym.var('x'), ctx=None, axis=0)
    assert s.attr('ctx') == 'None'
    assert mxnet_fixture('breaker20b')['namespaces']['arange_like_ctx_none'] == [0.0, 1.0, 2.0]
    # the choices of a text attribute still refuse None, as MXNet
    with pytest.raises(ValueError, match='pool_type'):
        nd.Pooling(nd.zeros((1, 1, 2, 2)), kernel=(1, 1), pool_type=None)


def test_float_for_a_bool_attribute_is_refused_naming_it():
    """linalg.trsm(A, B, False, False, 1.0): the 1.0 is ``lower`` (MXNet 1.9.1: "expect boolean
    but value='1.0'"); minigluon took it as True and computed. 0, 1, True, False and NumPy bools
    still pass."""
    a = nd.array([[2.0, 0.0], [0.5, 1.5]])
    assert mxnet_fixture('breaker20b')['namespaces']['trsm_float_bool'] == 'error'
    with pytest.raises(ValueError, match="'lower' expects bool"):
        nd.linalg.trsm(a, a, False, False, 1.0)
    with pytest.raises(ValueError, match="'keepdims' expects bool"):
        nd.sum(a, axis=1, keepdims=1.0)
    for flag in (1, True, np.bool_(True), 'true'):
        assert nd.sum(a, axis=1, keepdims=flag).shape == (2, 1)


# --- 2. user blocks ------------------------------------------------------------------------------

def test_user_blocks_match_mxnet():
    """Blocks that use the hinted names for their own attributes and methods, set a value
    before super().__init__(), define __getattr__, take *args / **kwargs or keyword-only
    Parameters in hybrid_forward, override forward() and export, mix in a class that defines
    train / eval / parameters / to / cuda / state_dict / zero_grad / requires_grad: the same
    results as MXNet 1.9.1, and no warning."""
    import warnings
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter('error')
        got = program.blocks(mx)
        got['forward_override_export'] = program._raised(
            lambda: got['forward_override_export'](os.path.join(tmp, 'net')))
    same_json(as_json(got), mxnet_fixture('breaker20b')['blocks'], 'blocks')


def test_mixin_after_a_gluon_class_provides_the_hinted_names():
    """class Agent(gluon.Block, Learner): Learner's train() is found, as Python finds it past
    MXNet's Block (which has none); the hint still answers a class without such a mixin."""
    class Learner:
        def train(self):
            return 'mixin'

    class Agent(mx.gluon.Block, Learner):
        def forward(self, x):
            return x

    assert Agent().train() == 'mixin'
    with pytest.raises(AttributeError, match='training flag'):
        mx.gluon.nn.Dense(2).train          # noqa: B018
    with pytest.raises(AttributeError, match="'eval'"):
        Agent().eval                        # noqa: B018


def test_layers_match_mxnet():
    """The convolution and pooling layers' and DataLoader's signatures (inspect; DataLoader's
    showed the **unknown that only catches PyTorch's names), and layers made positionally
    (Conv2D(3, 3, 2, 1, 1, 1, 'NCHW', 'relu', False), Conv2DTranspose(3, 3, 2, 1, 1, 1),
    MaxPool2D(3, 2, 1, 'NCHW', True)...): reprs, shapes and outputs as MXNet 1.9.1."""
    same_json(as_json(program.layers(mx)), mxnet_fixture('breaker20b')['layers'], 'layers')


# --- 3. geometry, depthwise with non-finite values, autograd.grad --------------------------------

def test_window_geometry_matches_mxnet(kernels):
    """Pooling with the 'full' convention, padding and count_include_pad=False, sum and lp
    pooling, 3-D, a global pool with padding, a kernel larger than the padded input;
    Deconvolution with adj, target_shape, dilation and groups; convolutions whose padding
    exceeds the kernel: outputs and gradients."""
    with np.errstate(all='ignore'):
        same_json(as_json(program.geometry(mx)), mxnet_fixture('breaker20b')['geometry'], 'geometry')


def test_depthwise_with_inf_and_nan_matches_mxnet(kernels):
    """A depthwise convolution with inf and NaN in the data and -inf in the weight, gradients
    written and added over two passes: where MXNet has numbers, NaN and infinities, so does
    minigluon (the compiled backward's fallback)."""
    with np.errstate(all='ignore'):
        same_json(as_json(program.depthwise_nonfinite(mx)), mxnet_fixture('breaker20b')['depthwise_nonfinite'],
              'depthwise')


def test_autograd_grad_matches_mxnet():
    """autograd.grad of a tuple, of one array and of a list; no variables (a list or a tuple)
    is refused as MXNet 1.9.1."""
    same_json(as_json(program.autograd_grad(mx)), mxnet_fixture('breaker20b')['autograd_grad'], 'grad')


# --- 4. NDArrayIter ------------------------------------------------------------------------------

def test_ndarray_iter_shuffle_matches_mxnet():
    """Seeded shuffles with 'pad', 'discard' and 'roll_over' for three batch sizes over three
    epochs, several data and label arrays, dict inputs (sorted names), NDArray inputs, draws
    from np.random between epochs, a reset in mid-epoch, hard_reset: MXNet 1.9.1's batches and
    pads."""
    state = np.random.get_state()
    try:
        got = as_json(program.ndarray_iter(mx))
    finally:
        np.random.set_state(state)
    same_json(got, mxnet_fixture('breaker20b')['ndarray_iter'], 'ndarray_iter')
