"""Patterns met running a sixth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(fixture: tools/gen_wild6_fixtures.py).

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
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, image, nd
from minigluon.gluon import nn
from _wild import close, FIXTURES, load_fixture

HERE = os.path.join(FIXTURES, 'wild6')
FIX = load_fixture('wild6')


def _dense(units, in_units, weight, bias):
    layer = nn.Dense(units, in_units=in_units)
    layer.initialize()
    layer.weight.set_data(nd.array(weight))
    layer.bias.set_data(nd.array(bias))
    return layer


@pytest.mark.parametrize('hybrid', [False, True])
def test_conv_kernel_larger_than_input_is_named_in_deferred_init(hybrid):
    assert FIX['conv_kernel_too_big'] == {'error': 'ValueError', 'is_value_error': True, 'says': True}
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
        assert repr(mx.test_utils.list_gpus()) == FIX['list_gpus']


def test_onehot_written_through_a_row_view():
    act = nd.array(np.zeros([1, 3]))
    act[0][2] = 1
    grid = nd.zeros((2, 3))
    grid[1][0] = 5
    close(act, FIX['onehot_view']['act'])
    close(grid, FIX['onehot_view']['grid'])


def test_actor_critic_two_backward_inside_record():
    want = FIX['two_backward']
    w = {'actor_w': [[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]], 'actor_b': [0.05, -0.05],
         'critic_w': [[0.3, 0.2, -0.4]], 'critic_b': [0.1]}      # as tools/gen_wild6_fixtures.py
    actor = _dense(2, 3, w['actor_w'], w['actor_b'])
    critic = _dense(1, 3, w['critic_w'], w['critic_b'])
    state, next_state = nd.array([[0.5, -1.0, 2.0]]), nd.array([[1.0, 0.5, -0.5]])
    with autograd.record():
        value, next_value = critic(state), critic(next_state)
        prob = nd.softmax(actor(state))
        act = nd.array(np.zeros([1, 2]))
        act[0][1] = 1
        advantage = (0.7 + 0.9 * next_value) - value
        actor_loss = -nd.sum(nd.log(nd.sum(act * prob, axis=1)) * advantage)
        actor_loss.backward(retain_graph=True)
        critic_loss = gluon.loss.L1Loss()(value, 0.7 + 0.9 * next_value)
        critic_loss.backward(retain_graph=True)
    close(actor_loss, want['actor_loss'])
    close(critic_loss, want['critic_loss'])
    close(actor.weight.grad(), want['actor_w_grad'])
    # grad_req 'write': the critic keeps the second backward's gradient only
    close(critic.weight.grad(), want['critic_w_grad'])
    close(critic.bias.grad(), want['critic_b_grad'])


def test_dqn_target_with_numpy_max_of_an_ndarray():
    net = _dense(2, 2, [[0.5, -0.2], [0.1, 0.3]], [0.0, 0.1])
    target = nd.array([0.5, 0.2, 1.0])
    states = nd.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]])
    for i in range(3):
        best = np.max(net(nd.reshape(states[i], [1, 2])), 1)
        assert type(best).__name__ == FIX['dqn_target']['max_type']
        target[i] = target[i] + 0.9 * best
    close(target, FIX['dqn_target']['target'])


class _PixelShuffle(gluon.HybridBlock):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def hybrid_forward(self, F, x):
        f = self.factor
        x = F.reshape(x, (0, -4, -1, f * f, 0, 0))
        x = F.reshape(x, (0, 0, -4, f, f, 0, 0))
        x = F.transpose(x, (0, 1, 4, 2, 5, 3))
        return F.reshape(x, (0, 0, -3, -3))


def test_pixel_shuffle_by_reshape_codes_and_its_export(tmp_path):
    x = nd.arange(48).reshape((1, 8, 2, 3))
    block = _PixelShuffle(2)
    close(block(x), FIX['pixel_shuffle']['out'])
    block.hybridize()
    close(block(x), FIX['pixel_shuffle']['out'])
    block.export(str(tmp_path / 'shuffle'))
    graph = json.loads((tmp_path / 'shuffle-symbol.json').read_text())
    attrs = [[n['op'], n['attrs'].get('shape', n['attrs'].get('axes'))]
             for n in graph['nodes'] if n['op'] != 'null']
    assert attrs == FIX['pixel_shuffle']['attrs']
    loaded = gluon.SymbolBlock.imports(str(tmp_path / 'shuffle-symbol.json'), ['data'])
    close(loaded(x), FIX['pixel_shuffle']['out'])


class _CondInstanceNorm(gluon.HybridBlock):
    def __init__(self, channels, styles, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = batch_size
        self.gamma = self.params.get('gamma', shape=(styles, channels), init='ones')
        self.beta = self.params.get('beta', shape=(styles, channels), init='zeros')

    def hybrid_forward(self, F, X, style_idx, gamma, beta):
        gammas = F.split(F.take(gamma, indices=style_idx, axis=0), axis=0,
                         num_outputs=self.batch_size, squeeze_axis=True)
        betas = F.split(F.take(beta, indices=style_idx, axis=0), axis=0,
                        num_outputs=self.batch_size, squeeze_axis=True)
        if self.batch_size == 1:        # split gave one array, not a list
            return F.InstanceNorm(X, gammas, betas, eps=1e-5)
        xs = F.split(X, axis=0, num_outputs=self.batch_size)
        return F.concat(*[F.InstanceNorm(xs[i], gammas[i], betas[i], eps=1e-5)
                          for i in range(self.batch_size)], dim=0)


@pytest.mark.parametrize('batch_size', [1, 2])
@pytest.mark.parametrize('hybrid', [False, True])
def test_conditional_instance_norm(batch_size, hybrid):
    rs = np.random.RandomState(7)     # the draws of tools/gen_wild6_fixtures.py cond_norm_inputs
    x = rs.uniform(-1, 2, size=(batch_size, 2, 3, 3))
    gamma = rs.uniform(0.5, 1.5, size=(3, 2))
    beta = rs.uniform(-0.5, 0.5, size=(3, 2))
    head = rs.uniform(-1, 1, size=(batch_size, 2, 3, 3))
    split_one = nd.split(nd.array(gamma[:1]), axis=0, num_outputs=1, squeeze_axis=True)
    assert type(split_one).__name__ == FIX['cond_instance_norm']['split_one_type']
    block = _CondInstanceNorm(2, 3, batch_size)
    block.initialize()
    block.gamma.set_data(nd.array(gamma))
    block.beta.set_data(nd.array(beta))
    if hybrid:
        block.hybridize()
    data = nd.array(x)
    data.attach_grad()
    with autograd.record():
        y = block(data, nd.array([2, 0][:batch_size]))
        loss = (y * nd.array(head)).sum()
    loss.backward()
    want = FIX['cond_instance_norm']['b%d_%s' % (batch_size, hybrid)]
    close(y, want['y'])
    close(data.grad, want['x_grad'], 1e-4)
    close(block.gamma.grad(), want['gamma_grad'], 1e-4)
    close(block.beta.grad(), want['beta_grad'], 1e-4)


@pytest.mark.parametrize('axis', [-1, 1])
def test_distillation_loss_with_temperatures(axis):
    student = nd.array([[1.0, -0.5, 2.0, 0.3], [0.2, 0.1, -1.2, 0.8], [-0.7, 1.5, 0.0, 0.4]])
    teacher = nd.array([[2.0, 0.5, 1.0, -1.0], [0.0, 0.3, -0.2, 1.9], [0.9, 0.2, -0.6, 1.1]])
    student.attach_grad()
    with autograd.record():
        p_t = nd.softmax(teacher, temperature=2.5)
        log_p_s = nd.log_softmax(student, axis, temperature=2.5)
        log_p_t = nd.log_softmax(teacher, axis, temperature=2.5)
        loss = (p_t * (log_p_t - log_p_s)).sum(axis=axis, keepdims=True).mean(axis=0, exclude=True)
    loss.backward()
    close(loss, FIX['soft_logits']['axis%d' % axis]['loss'])
    close(student.grad, FIX['soft_logits']['axis%d' % axis]['grad'])


def test_ctc_loss_one_step_with_a_zero_label():
    pred = nd.array(np.linspace(-1, 1, 24).reshape(4, 1, 6))
    pred.attach_grad()
    with autograd.record():
        loss = gluon.loss.CTCLoss(layout='NTC', label_layout='NT')(pred, nd.array([[3], [0], [4], [1]]))
    loss.backward()
    close(loss, FIX['ctc_one_step']['loss'])
    close(pred.grad, FIX['ctc_one_step']['grad'])
    # blank last: 0 is a class; one step, one label: the loss is -log softmax(row)[0]
    row = np.linspace(-1, 1, 24).reshape(4, 6)[1]
    assert loss.asnumpy()[1] == pytest.approx(-(row[0] - np.log(np.exp(row).sum())), rel=1e-5)


@pytest.mark.filterwarnings('ignore::PendingDeprecationWarning')     # np.matrix itself
def test_nd_array_of_a_range_and_of_a_matrix():
    want = FIX['array_sources']
    r = nd.array(range(5))
    assert r.dtype.__name__ == want['range']['dtype']
    close(r, want['range']['value'])
    m = nd.array(np.asmatrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), dtype=np.float64)
    assert m.dtype.__name__ == want['matrix']['dtype'] and list(m.shape) == want['matrix']['shape']
    close(m, want['matrix']['value'])


def test_image_folder_with_imresize_and_create_augmenter():
    want = FIX['image_folder']
    root = os.path.join(HERE, 'images')
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])

    def transform(data, label):
        im = image.imresize(data.astype('float32') / 255, 5, 4)
        for aug in image.CreateAugmenter(data_shape=(3, 4, 5), mean=mean, std=std):
            im = aug(im)
        return nd.transpose(im, (2, 0, 1)), nd.array([label]).asscalar().astype('float32')

    ds = gluon.data.vision.ImageFolderDataset(root, flag=1, transform=transform)
    raw = gluon.data.vision.ImageFolderDataset(root, flag=1)
    assert ds.synsets == want['synsets']
    assert [[os.path.relpath(f, root), y] for f, y in ds.items] == want['items']
    assert raw[0][0].dtype.__name__ == want['raw0_dtype']
    close(raw[0][0], want['raw0'], 0)
    close(image.imresize(raw[0][0].astype('float32') / 255, 5, 4), want['resized0'])
    assert [type(a).__name__ for a in image.CreateAugmenter(
        data_shape=(3, 4, 5), mean=mean, std=std)] == want['augmenters']
    first, label = ds[0]
    close(first, want['first'])
    assert type(label).__name__ == want['label_type'] and float(label) == want['label']


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
    with pytest.raises(AttributeError):
        nn.Dense(2).to(mx.cpu())        # Block itself has no to() (as MXNet; the hint says so)
