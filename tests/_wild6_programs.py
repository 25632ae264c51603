"""The programs of the sixth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_6.py),
each rewritten in our own words from the sources named above it. Each program function returns its
results as nested dicts and lists.

The test runs this file as it is, on minigluon; tools/gen_wild6_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild6/wild6.json.
"""
import json
import os
import tempfile

import numpy as np

import minigluon as mx
from _wild_common import program_helpers, write_png

autograd, gluon, image, nd = mx.autograd, mx.gluon, mx.image, mx.nd
nn = gluon.nn

L = program_helpers(nd)[0]     # tests/_wild_common.py, shared with _wild.py


def dense(units, in_units, weight, bias):
    """An initialized Dense layer holding the given weight and bias."""
    layer = nn.Dense(units, in_units=in_units)
    layer.initialize()
    layer.weight.set_data(nd.array(weight))
    layer.bias.set_data(nd.array(bias))
    return layer


# ---------------------------------------------------------------- 1 a one-hot written through a row
# an A2C trainer's action: act = nd.array(np.zeros([1, n])); act[0][action] = 1
def onehot_view():
    """``act[0][2] = 1``: the row ``act[0]`` is a view, so the write reaches ``act``."""
    act = nd.array(np.zeros([1, 3]))
    act[0][2] = 1
    grid = nd.zeros((2, 3))
    grid[1][0] = 5
    return {'act': L(act), 'grid': L(grid)}


# ---------------------------------------------------------------- 2 two backward calls in one record
# the same A2C trainer's step: actor loss, then critic L1 loss, each backward(retain_graph=True)
A2C_W = {'actor_w': [[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]], 'actor_b': [0.05, -0.05],
         'critic_w': [[0.3, 0.2, -0.4]], 'critic_b': [0.1]}


def two_backward():
    """Both losses and the gradients after the second backward (grad_req 'write': the critic's
    is the second backward's alone)."""
    actor = dense(2, 3, A2C_W['actor_w'], A2C_W['actor_b'])
    critic = dense(1, 3, A2C_W['critic_w'], A2C_W['critic_b'])
    state, next_state = nd.array([[0.5, -1.0, 2.0]]), nd.array([[1.0, 0.5, -0.5]])
    with autograd.record():
        value = critic(state)
        next_value = critic(next_state)
        prob = nd.softmax(actor(state))
        act = nd.array(np.zeros([1, 2]))
        act[0][1] = 1
        advantage = (0.7 + 0.9 * next_value) - value
        target = 0.7 + 0.9 * next_value
        actor_loss = -nd.sum(nd.log(nd.sum(act * prob, axis=1)) * advantage)
        actor_loss.backward(retain_graph=True)
        critic_loss = gluon.loss.L1Loss()(value, target)
        critic_loss.backward(retain_graph=True)
    return {'actor_loss': L(actor_loss), 'critic_loss': L(critic_loss),
            'actor_w_grad': L(actor.weight.grad()), 'critic_w_grad': L(critic.weight.grad()),
            'critic_b_grad': L(critic.bias.grad())}


# ---------------------------------------------------------------- 3 a DQN target with np.max
# a DQN replay step: target[i] = target[i] + gamma * np.max(net(x_i), 1)
def dqn_target():
    """The targets, and the type NumPy's ``max`` of an NDArray gives at each step."""
    net = dense(2, 2, [[0.5, -0.2], [0.1, 0.3]], [0.0, 0.1])
    target = nd.array([0.5, 0.2, 1.0])
    states = nd.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]])
    kinds = []
    for i in range(3):
        best = np.max(net(nd.reshape(states[i], [1, 2])), 1)
        kinds.append(type(best).__name__)
        target[i] = target[i] + 0.9 * best
    return {'target': L(target), 'max_types': kinds}


# ---------------------------------------------------------------- 4 a pixel shuffle by Reshape codes
# AlphaPose (MVIG-SJTU/AlphaPose, its MXNet DUC / PixelShuffle layer)
class PixelShuffle(gluon.HybridBlock):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def hybrid_forward(self, F, x):
        f = self.factor
        x = F.reshape(x, (0, -4, -1, f * f, 0, 0))
        x = F.reshape(x, (0, 0, -4, f, f, 0, 0))
        x = F.transpose(x, (0, 1, 4, 2, 5, 3))
        return F.reshape(x, (0, 0, -3, -3))


def pixel_shuffle():
    """The shuffle eager and hybridized, the shape / axes attributes of its exported graph, and
    the exported graph read back by ``SymbolBlock.imports``."""
    x = nd.arange(48).reshape((1, 8, 2, 3))
    block = PixelShuffle(2)
    res = {'eager': L(block(x))}
    block.hybridize()
    res['hybrid'] = L(block(x))
    with tempfile.TemporaryDirectory() as tmp:
        block.export(os.path.join(tmp, 'shuffle'))
        with open(os.path.join(tmp, 'shuffle-symbol.json')) as f:
            graph = json.load(f)
        loaded = gluon.SymbolBlock.imports(os.path.join(tmp, 'shuffle-symbol.json'), ['data'])
        res['imported'] = L(loaded(x))
    res['attrs'] = [[n['op'], n['attrs'].get('shape', n['attrs'].get('axes'))]
                    for n in graph['nodes'] if n['op'] != 'null']
    return res


# ---------------------------------------------------------------- 5 a conditional instance norm
# a style-transfer network's conditional instance norm (take / split(squeeze_axis=True) / InstanceNorm)
class CondInstanceNorm(gluon.HybridBlock):
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


def cond_instance_norm():
    """The norm's output and gradients for batches of one and two, eager and hybridized (keys
    ``b1_False`` ... ``b2_True``), and the type ``split`` gives for one output."""
    out = {}
    for batch_size in (1, 2):
        rs = np.random.RandomState(7)
        x = rs.uniform(-1, 2, size=(batch_size, 2, 3, 3))
        gamma = rs.uniform(0.5, 1.5, size=(3, 2))
        beta = rs.uniform(-0.5, 0.5, size=(3, 2))
        head = rs.uniform(-1, 1, size=(batch_size, 2, 3, 3))
        split_one = nd.split(nd.array(gamma[:1]), axis=0, num_outputs=1, squeeze_axis=True)
        out['split_one_type'] = type(split_one).__name__
        for hybrid in (False, True):
            block = CondInstanceNorm(2, 3, batch_size)
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
            out['b%d_%s' % (batch_size, hybrid)] = {
                'y': L(y), 'x_grad': L(data.grad), 'gamma_grad': L(block.gamma.grad()),
                'beta_grad': L(block.beta.grad())}
    return out


# ---------------------------------------------------------------- 6 a distillation loss
# a knowledge-distillation loss: softmax / log_softmax with temperature, mean(axis=0, exclude=True)
SOFT_STUDENT = [[1.0, -0.5, 2.0, 0.3], [0.2, 0.1, -1.2, 0.8], [-0.7, 1.5, 0.0, 0.4]]
SOFT_TEACHER = [[2.0, 0.5, 1.0, -1.0], [0.0, 0.3, -0.2, 1.9], [0.9, 0.2, -0.6, 1.1]]


def soft_logits():
    """The loss and the student's gradient, the axis given positionally as -1 and as 1."""
    out = {}
    for axis in (-1, 1):
        student, teacher = nd.array(SOFT_STUDENT), nd.array(SOFT_TEACHER)
        student.attach_grad()
        with autograd.record():
            p_t = nd.softmax(teacher, temperature=2.5)
            log_p_s = nd.log_softmax(student, axis, temperature=2.5)
            log_p_t = nd.log_softmax(teacher, axis, temperature=2.5)
            kl = (p_t * (log_p_t - log_p_s)).sum(axis=axis, keepdims=True)
            loss = kl.mean(axis=0, exclude=True)
        loss.backward()
        out['axis%d' % axis] = {'loss': L(loss), 'grad': L(student.grad)}
    return out


# ---------------------------------------------------------------- 7 CTCLoss over one time step
# an OCR trainer's labels [[6], [0], [8], [1]] after its transpose
CTC_PRED = np.linspace(-1, 1, 24).reshape(4, 1, 6)


def ctc_one_step():
    """CTCLoss(layout='NTC', label_layout='NT') over one step with one-element labels: gluon's
    CTCLoss puts the blank last, so 0 is an ordinary class (padding is -1)."""
    pred = nd.array(CTC_PRED)
    label = nd.array([[3], [0], [4], [1]])
    pred.attach_grad()
    with autograd.record():
        loss = gluon.loss.CTCLoss(layout='NTC', label_layout='NT')(pred, label)
    loss.backward()
    return {'loss': L(loss), 'grad': L(pred.grad)}


# ---------------------------------------------------------------- 8 nd.array of a range and a matrix
# a GCN's index vectors and densified features
def array_sources():
    r = nd.array(range(5))
    m = nd.array(np.asmatrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), dtype=np.float64)
    return {'range': {'dtype': str(r.dtype.__name__), 'value': L(r)},
            'matrix': {'dtype': str(m.dtype.__name__), 'shape': list(m.shape), 'value': L(m)}}


# ---------------------------------------------------------------- 9 ImageFolderDataset and augmenters
# a dog-breed feature-extraction script: ImageFolderDataset(flag=1), imresize, CreateAugmenter
IMAGE_SIZES = {'husky/h0.png': (7, 9), 'husky/h1.png': (8, 6), 'akita/a0.png': (9, 7)}


def image_folder():
    """Over three seeded PNG files in two class folders: the synsets and items, the first raw
    image, it resized by ``imresize``, the augmenters ``CreateAugmenter(data_shape, mean, std)``
    makes and the first transformed sample."""
    with tempfile.TemporaryDirectory() as root:
        rs = np.random.RandomState(3)
        for name, (h, w) in sorted(IMAGE_SIZES.items()):
            os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
            write_png(os.path.join(root, name), rs.randint(0, 256, size=(h, w, 3)))
        mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])

        def transform(data, label):
            im = image.imresize(data.astype('float32') / 255, 5, 4)
            for aug in image.CreateAugmenter(data_shape=(3, 4, 5), mean=mean, std=std):
                im = aug(im)
            return nd.transpose(im, (2, 0, 1)), nd.array([label]).asscalar().astype('float32')

        ds = gluon.data.vision.ImageFolderDataset(root, flag=1, transform=transform)
        raw = gluon.data.vision.ImageFolderDataset(root, flag=1)
        first, label = ds[0]
        return {'synsets': ds.synsets, 'items': [[os.path.relpath(f, root), y] for f, y in ds.items],
                'raw0': L(raw[0][0]), 'raw0_dtype': raw[0][0].dtype.__name__,
                'resized0': L(image.imresize(raw[0][0].astype('float32') / 255, 5, 4)),
                'augmenters': [type(a).__name__ for a in image.CreateAugmenter(
                    data_shape=(3, 4, 5), mean=mean, std=std)],
                'first': L(first), 'label': float(label), 'label_type': type(label).__name__}


# ---------------------------------------------------------------- 10 list_gpus
# an NCF trainer prints it
def list_gpus():
    """``repr(test_utils.list_gpus())`` (a machine without a GPU is what the fixture records)."""
    return repr(mx.test_utils.list_gpus())


# ---------------------------------------------------------------- 11 a kernel bigger than its input
# a text classifier's (4, 1) kernel over a 2-row feature map
def conv_kernel_too_big():
    """The error a deferred Conv2D whose kernel exceeds its input raises: its type, whether it is a
    ValueError, and whether it says MXNet's 'kernel size exceed input'."""
    conv = nn.Conv2D(5, kernel_size=(4, 1), strides=(3, 1))
    conv.initialize()
    try:
        conv(nd.ones((3, 50, 2, 1)))
    except Exception as err:     # noqa: BLE001 - the type is what is recorded
        return {'error': type(err).__name__, 'is_value_error': isinstance(err, ValueError),
                'says': 'kernel size exceed input' in str(err)}
    return {'error': None}


PROGRAMS = ['onehot_view', 'two_backward', 'dqn_target', 'pixel_shuffle', 'cond_instance_norm', 'soft_logits',
            'ctc_one_step', 'array_sources', 'image_folder', 'list_gpus', 'conv_kernel_too_big']
