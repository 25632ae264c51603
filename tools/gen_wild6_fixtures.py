"""Golden values for the patterns met in the sixth trial of public MXNet 1.x Gluon sources
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild6_fixtures.py

Writes tests/fixtures/wild6/wild6.json and a few PNG files under tests/fixtures/wild6/images/
(written here, byte for byte, so both frameworks decode the same pixels), read by
tests/test_wild_scripts_6.py:

* ``onehot_view``: ``act[0][action] = 1`` on ``nd.array(np.zeros(...))`` (an A2C trainer builds its
  one-hot action this way): the row ``act[0]`` is a view, so the write reaches ``act``.
* ``two_backward``: an actor-critic step that calls ``backward(retain_graph=True)`` twice inside
  ``autograd.record()`` (actor loss, then critic L1 loss); the critic's gradient is the second
  backward's alone (grad_req 'write').
* ``dqn_target``: ``target[i] = target[i] + gamma * np.max(net(x_i), 1)``, NumPy's ``max`` applied to
  an NDArray (a DQN replay step).
* ``pixel_shuffle``: a sub-pixel shuffle written with Reshape's -4 / -3 codes and a 6-D transpose
  (AlphaPose), its output and the shape attributes export writes.
* ``cond_instance_norm``: the conditional instance norm of a style-transfer network: ``take`` of a
  (styles, C) gamma/beta, ``split(..., squeeze_axis=True)`` per sample (a single array when
  num_outputs is 1), ``InstanceNorm`` per slice, ``concat``; outputs and gradients, eager and hybridized.
* ``soft_logits``: a knowledge-distillation loss: ``softmax``/``log_softmax`` with ``temperature``
  (axis given positionally), ``mean(axis=0, exclude=True)``; loss and the student's gradient.
* ``ctc_one_step``: CTCLoss(layout='NTC', label_layout='NT') over one time step with one-element labels
  (an OCR trainer's [[6], [0], [8], [1]] after its transpose): gluon's CTCLoss puts the blank last, so
  0 is an ordinary class (padding is -1).
* ``array_sources``: ``nd.array`` of a ``range`` and of an ``np.matrix`` (a GCN's index vectors and
  densified features).
* ``image_folder``: ImageFolderDataset(flag=1) over the PNG files, ``image.imresize`` of float32 data,
  ``CreateAugmenter(data_shape, mean, std)``'s augmenters and their output, as a dog-breed
  feature-extraction script uses them.
* ``list_gpus``: ``repr(mx.test_utils.list_gpus())`` on a machine without a GPU.
* ``conv_kernel_too_big``: the error type of a deferred Conv2D whose kernel exceeds its input.
"""
import json
import os
import struct
import warnings
import zlib

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon, image, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'wild6')


def _list(a):
    return a.asnumpy().tolist() if hasattr(a, 'asnumpy') else np.asarray(a).tolist()


def onehot_view():
    act = nd.array(np.zeros([1, 3]))
    act[0][2] = 1
    grid = nd.zeros((2, 3))
    grid[1][0] = 5
    return {'act': _list(act), 'grid': _list(grid)}


def _dense(units, in_units, weight, bias):
    layer = nn.Dense(units, in_units=in_units)
    layer.initialize()
    layer.weight.set_data(nd.array(weight))
    layer.bias.set_data(nd.array(bias))
    return layer


# kept in step with tests/test_wild_scripts_6.py
A2C_W = {'actor_w': [[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1]], 'actor_b': [0.05, -0.05],
         'critic_w': [[0.3, 0.2, -0.4]], 'critic_b': [0.1]}


def two_backward():
    actor = _dense(2, 3, A2C_W['actor_w'], A2C_W['actor_b'])
    critic = _dense(1, 3, A2C_W['critic_w'], A2C_W['critic_b'])
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
    return {'actor_loss': _list(actor_loss), 'critic_loss': _list(critic_loss),
            'actor_w_grad': _list(actor.weight.grad()), 'critic_w_grad': _list(critic.weight.grad()),
            'critic_b_grad': _list(critic.bias.grad())}


def dqn_target():
    net = _dense(2, 2, [[0.5, -0.2], [0.1, 0.3]], [0.0, 0.1])
    target = nd.array([0.5, 0.2, 1.0])
    states = nd.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]])
    kinds = []
    for i in range(3):
        best = np.max(net(nd.reshape(states[i], [1, 2])), 1)
        kinds.append(type(best).__name__)
        target[i] = target[i] + 0.9 * best
    return {'target': _list(target), 'max_type': kinds[0]}


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


def pixel_shuffle(tmp):
    x = nd.arange(48).reshape((1, 8, 2, 3))
    block = _PixelShuffle(2)
    block.hybridize()
    out = block(x)
    block.export(os.path.join(tmp, 'shuffle'))
    with open(os.path.join(tmp, 'shuffle-symbol.json')) as f:
        graph = json.load(f)
    attrs = [[n['op'], n['attrs'].get('shape', n['attrs'].get('axes'))]
             for n in graph['nodes'] if n['op'] != 'null']
    return {'out': _list(out), 'attrs': attrs}


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
        if self.batch_size == 1:
            return F.InstanceNorm(X, gammas, betas, eps=1e-5)
        xs = F.split(X, axis=0, num_outputs=self.batch_size)
        return F.concat(*[F.InstanceNorm(xs[i], gammas[i], betas[i], eps=1e-5)
                          for i in range(self.batch_size)], dim=0)


# kept in step with tests/test_wild_scripts_6.py
def cond_norm_inputs(batch_size):
    rs = np.random.RandomState(7)
    x = rs.uniform(-1, 2, size=(batch_size, 2, 3, 3))
    gamma = rs.uniform(0.5, 1.5, size=(3, 2))
    beta = rs.uniform(-0.5, 0.5, size=(3, 2))
    head = rs.uniform(-1, 1, size=(batch_size, 2, 3, 3))
    return x, gamma, beta, head, [2, 0][:batch_size]


def cond_instance_norm():
    out = {}
    for batch_size in (1, 2):
        x, gamma, beta, head, idx = cond_norm_inputs(batch_size)
        split_one = nd.split(nd.array(gamma[:1]), axis=0, num_outputs=1, squeeze_axis=True)
        out['split_one_type'] = type(split_one).__name__
        for hybrid in (False, True):
            block = _CondInstanceNorm(2, 3, batch_size)
            block.initialize()
            block.gamma.set_data(nd.array(gamma))
            block.beta.set_data(nd.array(beta))
            if hybrid:
                block.hybridize()
            data = nd.array(x)
            data.attach_grad()
            with autograd.record():
                y = block(data, nd.array(idx))
                loss = (y * nd.array(head)).sum()
            loss.backward()
            out['b%d_%s' % (batch_size, hybrid)] = {
                'y': _list(y), 'x_grad': _list(data.grad), 'gamma_grad': _list(block.gamma.grad()),
                'beta_grad': _list(block.beta.grad())}
    return out


SOFT_STUDENT = [[1.0, -0.5, 2.0, 0.3], [0.2, 0.1, -1.2, 0.8], [-0.7, 1.5, 0.0, 0.4]]
SOFT_TEACHER = [[2.0, 0.5, 1.0, -1.0], [0.0, 0.3, -0.2, 1.9], [0.9, 0.2, -0.6, 1.1]]


def soft_logits():
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
        out['axis%d' % axis] = {'loss': _list(loss), 'grad': _list(student.grad)}
    return out


def ctc_one_step():
    pred = nd.array(np.linspace(-1, 1, 24).reshape(4, 1, 6))
    label = nd.array([[3], [0], [4], [1]])
    pred.attach_grad()
    with autograd.record():
        loss = gluon.loss.CTCLoss(layout='NTC', label_layout='NT')(pred, label)
    loss.backward()
    return {'loss': _list(loss), 'grad': _list(pred.grad)}


def array_sources():
    r = nd.array(range(5))
    m = nd.array(np.asmatrix([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), dtype=np.float64)
    return {'range': {'dtype': str(r.dtype.__name__), 'value': _list(r)},
            'matrix': {'dtype': str(m.dtype.__name__), 'shape': list(m.shape), 'value': _list(m)}}


def _png(path, pixels):
    """A minimal 8-bit RGB PNG writer (zlib + struct), so the files need no imaging library."""
    h, w, _ = pixels.shape
    raw = b''.join(b'\x00' + pixels[i].astype(np.uint8).tobytes() for i in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


IMAGE_SIZES = {'husky/h0.png': (7, 9), 'husky/h1.png': (8, 6), 'akita/a0.png': (9, 7)}


def image_folder():
    root = os.path.join(OUT, 'images')
    rs = np.random.RandomState(3)
    for name, (h, w) in sorted(IMAGE_SIZES.items()):
        os.makedirs(os.path.dirname(os.path.join(root, name)), exist_ok=True)
        _png(os.path.join(root, name), rs.randint(0, 256, size=(h, w, 3)))
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
            'raw0': _list(raw[0][0]), 'raw0_dtype': raw[0][0].dtype.__name__,
            'resized0': _list(image.imresize(raw[0][0].astype('float32') / 255, 5, 4)),
            'augmenters': [type(a).__name__ for a in image.CreateAugmenter(
                data_shape=(3, 4, 5), mean=mean, std=std)],
            'first': _list(first), 'label': float(label), 'label_type': type(label).__name__}


def conv_kernel_too_big():
    conv = nn.Conv2D(5, kernel_size=(4, 1), strides=(3, 1))
    conv.initialize()
    try:
        conv(nd.ones((3, 50, 2, 1)))
    except Exception as err:     # noqa: BLE001 - the type is what is recorded
        return {'error': type(err).__name__, 'is_value_error': isinstance(err, ValueError),
                'says': 'kernel size exceed input' in str(err)}
    return {'error': None}


def main():
    import tempfile
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fix = {'onehot_view': onehot_view(), 'two_backward': two_backward(), 'dqn_target': dqn_target(),
               'pixel_shuffle': pixel_shuffle(tmp), 'cond_instance_norm': cond_instance_norm(),
               'soft_logits': soft_logits(), 'ctc_one_step': ctc_one_step(),
               'array_sources': array_sources(), 'image_folder': image_folder(),
               'list_gpus': repr(mx.test_utils.list_gpus()), 'conv_kernel_too_big': conv_kernel_too_big()}
    with open(os.path.join(OUT, 'wild6.json'), 'w') as f:
        json.dump(fix, f, indent=1)
    print('wrote', os.path.join(OUT, 'wild6.json'))


if __name__ == '__main__':
    main()
