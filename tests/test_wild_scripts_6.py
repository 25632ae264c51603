"""Patterns met running a sixth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(the programs: tests/_wild6_programs.py; fixture: tools/gen_wild6_fixtures.py, which runs the
same file with its import line switched to MXNet).

* A deferred Conv2D whose kernel exceeds its (padded) input says so (a text classifier with a
  (4, 1) kernel over a 2-row feature map): shape inference left the output size 0 and the error read
  "could not infer the shape of every graph input"; MXNet's says "kernel size exceed input".
* ``test_utils.list_gpus`` returns a range as MXNet's (tests/test_test_utils.py pins it; an NCF
  trainer prints it).
* Behaviours checked against MXNet and pinned: an A2C trainer's one-hot written through ``act[0]``
  and its two ``backward(retain_graph=True)`` calls, a DQN target built with ``np.max`` of an NDArray,
  AlphaPose's Reshape-code pixel shuffle and its export, a style-transfer network's conditional
  instance norm (take / split with squeeze_axis / InstanceNorm), a distillation loss with softmax
  temperatures, CTCLoss with a 0 (padding) label, ``nd.array`` of a range and of an ``np.matrix``,
  ImageFolderDataset with imresize and CreateAugmenter, and a HybridBlock given plain attributes
  before ``super().__init__`` that stashes a graph value on itself (the Straight Dope VAE).
"""
import numpy as np
import pytest

import minigluon as mx
from minigluon import gluon, nd
from minigluon.gluon import nn
from _wild import close, load_fixture
import _wild6_programs as P

FIX = load_fixture('wild6')


def test_conv_kernel_larger_than_input_fails_as_in_mxnet():
    want = FIX['conv_kernel_too_big']
    assert want == {'error': 'ValueError', 'is_value_error': True, 'says': True}
    # minigluon's is a ValueError that is also an MXNetError (MXNetValueError)
    assert P.conv_kernel_too_big()['is_value_error'] is True


@pytest.mark.parametrize('hybrid', [False, True])
def test_conv_kernel_larger_than_input_is_named_in_deferred_init(hybrid):
    # minigluon's message names the sizes where MXNet's says "kernel size exceed input"
    conv = nn.Conv2D(5, kernel_size=(4, 1), strides=(3, 1))
    conv.initialize()
    if hybrid:
        conv.hybridize()
    with pytest.raises(ValueError, match=r'padded input \(2, 1\) is smaller than the dilated kernel'):
        conv(nd.ones((3, 50, 2, 1)))


def test_conv_kernel_larger_than_input_in_symbol_shape_inference():
    out = mx.sym.Convolution(mx.sym.var('data'), kernel=(4, 1), stride=(3, 1), num_filter=5)
    for infer in (out.infer_shape, out.infer_shape_partial):     # MXNet raises from both
        with pytest.raises(mx.base.MXNetError, match='smaller than the dilated kernel'):
            infer(data=(3, 50, 2, 1))
    assert out.infer_shape(data=(3, 50, 4, 1))[1] == [(3, 5, 1, 1)]   # (4 - 4) // 3 + 1 = 1 row


def test_list_gpus_repr_as_mxnet():
    if mx.context.num_gpus() == 0:
        assert P.list_gpus() == FIX['list_gpus']


def test_onehot_written_through_a_row_view():
    got, want = P.onehot_view(), FIX['onehot_view']
    close(got['act'], want['act'])
    close(got['grid'], want['grid'])


def test_actor_critic_two_backward_inside_record():
    got, want = P.two_backward(), FIX['two_backward']
    close(got['actor_loss'], want['actor_loss'])
    close(got['critic_loss'], want['critic_loss'])
    close(got['actor_w_grad'], want['actor_w_grad'])
    # grad_req 'write': the critic keeps the second backward's gradient only
    close(got['critic_w_grad'], want['critic_w_grad'])
    close(got['critic_b_grad'], want['critic_b_grad'])


def test_dqn_target_with_numpy_max_of_an_ndarray():
    got, want = P.dqn_target(), FIX['dqn_target']
    assert got['max_types'] == want['max_types']
    close(got['target'], want['target'])


def test_pixel_shuffle_by_reshape_codes_and_its_export():
    got, want = P.pixel_shuffle(), FIX['pixel_shuffle']
    for key in ('eager', 'hybrid', 'imported'):
        close(got[key], want[key])
    assert got['attrs'] == want['attrs']


@pytest.fixture(scope='module')
def cond_instance_norm():
    """What the conditional-instance-norm program gives on minigluon, for all its cases."""
    return P.cond_instance_norm()


@pytest.mark.parametrize('batch_size', [1, 2])
@pytest.mark.parametrize('hybrid', [False, True])
def test_conditional_instance_norm(batch_size, hybrid, cond_instance_norm):
    assert cond_instance_norm['split_one_type'] == FIX['cond_instance_norm']['split_one_type']
    key = 'b%d_%s' % (batch_size, hybrid)
    got, want = cond_instance_norm[key], FIX['cond_instance_norm'][key]
    close(got['y'], want['y'])
    close(got['x_grad'], want['x_grad'], 1e-4)
    close(got['gamma_grad'], want['gamma_grad'], 1e-4)
    close(got['beta_grad'], want['beta_grad'], 1e-4)


@pytest.mark.parametrize('axis', [-1, 1])
def test_distillation_loss_with_temperatures(axis):
    got, want = P.soft_logits()['axis%d' % axis], FIX['soft_logits']['axis%d' % axis]
    close(got['loss'], want['loss'])
    close(got['grad'], want['grad'])


def test_ctc_loss_one_step_with_a_zero_label():
    got, want = P.ctc_one_step(), FIX['ctc_one_step']
    close(got['loss'], want['loss'])
    close(got['grad'], want['grad'])
    # blank last: 0 is a class; one step, one label: the loss is -log softmax(row)[0]
    row = P.CTC_PRED.reshape(4, 6)[1]
    assert got['loss'][1] == pytest.approx(-(row[0] - np.log(np.exp(row).sum())), rel=1e-5)


@pytest.mark.filterwarnings('ignore::PendingDeprecationWarning')     # np.matrix itself
def test_nd_array_of_a_range_and_of_a_matrix():
    got, want = P.array_sources(), FIX['array_sources']
    assert got['range']['dtype'] == want['range']['dtype']
    close(got['range']['value'], want['range']['value'])
    assert got['matrix']['dtype'] == want['matrix']['dtype'] and got['matrix']['shape'] == want['matrix']['shape']
    close(got['matrix']['value'], want['matrix']['value'])


def test_image_folder_with_imresize_and_create_augmenter():
    got, want = P.image_folder(), FIX['image_folder']
    for key in ('synsets', 'items', 'raw0_dtype', 'augmenters', 'label_type', 'label'):
        assert got[key] == want[key], key
    close(got['raw0'], want['raw0'], 0)
    close(got['resized0'], want['resized0'])
    close(got['first'], want['first'])


class _StashingVAE(gluon.HybridBlock):
    """Attributes set before Block.__init__ and a graph value stashed on self in hybrid_forward."""

    def __init__(self, **kwargs):
        self.soft_zero = 1e-10
        self.mu = None
        super().__init__(**kwargs)
        with self.name_scope():
            self.encoder = nn.Dense(4, in_units=3)

    def hybrid_forward(self, F, x):
        mu, lv = F.split(self.encoder(x), axis=1, num_outputs=2)
        self.mu = mu
        return F.sum(F.log(F.exp(lv) + self.soft_zero) - mu * mu, axis=1)


@pytest.mark.parametrize('hybrid', [False, True])
def test_block_attributes_before_init_and_stashed_graph_value(hybrid):
    net = _StashingVAE()
    net.initialize()
    net.encoder.weight.set_data(nd.array(np.arange(12).reshape(4, 3) * 0.1))
    if hybrid:
        net.hybridize()
    x = nd.array([[1.0, 0.0, -1.0]])
    out = net(x)
    # rows of W: mu = (-0.2, -0.2), lv = (-0.2, -0.2) for x = (1, 0, -1); bias 0
    close(out, [2 * (-0.2 - 0.04)])
    assert type(net.mu).__name__ == ('Symbol' if hybrid else 'NDArray')
    assert net.soft_zero == 1e-10 and 'soft_zero' not in net._children


def test_block_with_abcmeta_and_its_own_to_method():
    import abc

    class Policy(gluon.Block, metaclass=abc.ABCMeta):     # a PPO policy module's base class
        @abc.abstractmethod
        def forward(self, x):
            pass

    class Linear(Policy):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.ce_loss = gluon.loss.SoftmaxCrossEntropyLoss()
            with self.name_scope():
                self.fc = nn.Dense(2, in_units=2)

        def forward(self, x):
            return self.fc(x)

        def to(self, ctx):              # a captcha LSTM's PyTorch habit: initialize, return self
            self.initialize(mx.init.One(), ctx)
            return self

    with pytest.raises(TypeError, match='abstract'):
        Policy()
    net = Linear().to(mx.cpu())
    assert list(net._children) == ['ce_loss', 'fc']
    close(net(nd.array([[1.0, 2.0]])), [[3.0, 3.0]])     # weight ones, bias keeps its 'zeros': 1 + 2
    with pytest.raises(AttributeError, match='reset_ctx'):
        nn.Dense(2).to(mx.cpu())        # Block itself has no to() (as MXNet; the hint says so)
