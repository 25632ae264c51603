"""Golden files for the image operators and vision transforms, from MXNet 1.9.1.

Run in the MXNet venv: ``/opt/mxvenv/bin/python tools/gen_image_fixtures.py``. Writes
``tests/fixtures/image/image_ops.npz`` (inputs, outputs of every deterministic ``nd.image``
operator, the random colour operators with ``min_factor == max_factor``, gradients where MXNet
has them, and transform outputs) and ``pipeline-symbol.json`` (an exported hybridized pipeline).
"""
import os
import tempfile

import mxnet as mx
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn
from mxnet.gluon.data.vision import transforms as T

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'image')
rs = np.random.RandomState(42)
fx = {}
fx['img_f'] = rs.uniform(0, 255, (5, 6, 3)).astype(np.float32)
fx['img_u8'] = rs.randint(0, 256, (5, 6, 3)).astype(np.uint8)
fx['batch_f'] = rs.uniform(0, 255, (2, 5, 6, 3)).astype(np.float32)
fx['batch_u8'] = rs.randint(0, 256, (2, 5, 6, 3)).astype(np.uint8)
fx['gray_f'] = rs.uniform(0, 255, (5, 6, 1)).astype(np.float32)
fx['chw'] = rs.uniform(0, 1, (3, 5, 6)).astype(np.float32)
fx['nchw'] = rs.uniform(0, 1, (2, 3, 5, 6)).astype(np.float32)
fx['head_chw'] = rs.uniform(-1, 1, (3, 5, 6)).astype(np.float32)
fx['head_crop'] = rs.uniform(-1, 1, (2, 3, 3)).astype(np.float32)
fx['head_hwc'] = rs.uniform(-1, 1, (5, 6, 3)).astype(np.float32)
I = nd.image


def a(key, dtype=None):
    return nd.array(fx[key], dtype=dtype or fx[key].dtype)


def grad(fn, key, head):
    x = a(key)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward(nd.array(fx[head]))
    return x.grad.asnumpy()


MEAN, STD = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
ops = {
    'to_tensor_f': I.to_tensor(a('img_f')), 'to_tensor_u8': I.to_tensor(a('img_u8')),
    'to_tensor_batch': I.to_tensor(a('batch_u8')),
    'normalize_chw': I.normalize(a('chw'), mean=MEAN, std=STD),
    'normalize_nchw': I.normalize(a('nchw'), mean=MEAN, std=STD),
    'normalize_scalar': I.normalize(a('chw'), mean=0.4, std=0.2),
    'flip_lr_f': I.flip_left_right(a('img_f')), 'flip_lr_u8': I.flip_left_right(a('img_u8')),
    'flip_tb_f': I.flip_top_bottom(a('img_f')), 'flip_tb_u8': I.flip_top_bottom(a('img_u8')),
    'crop_f': I.crop(a('img_f'), 1, 2, 3, 2), 'crop_batch': I.crop(a('batch_u8'), 2, 0, 4, 3),
    'resize_down_f': I.resize(a('img_f'), (4, 3)), 'resize_up_f': I.resize(a('img_f'), (9, 7)),
    'resize_int_f': I.resize(a('img_f'), 4), 'resize_keep_f': I.resize(a('img_f'), 4, keep_ratio=True),
    'resize_keep_tall_f': I.resize(nd.array(fx['img_f'].transpose(1, 0, 2)), 4, keep_ratio=True),
    'resize_nearest_down': I.resize(a('img_f'), (4, 3), interp=0),
    'resize_nearest_up': I.resize(a('img_u8'), (9, 7), interp=0),
    'resize_down_u8': I.resize(a('img_u8'), (4, 3)), 'resize_up_u8': I.resize(a('img_u8'), (9, 7)),
    'resize_batch_f': I.resize(a('batch_f'), (4, 7)),
    'lighting_f': I.adjust_lighting(a('img_f'), alpha=(0.5, -1.0, 2.0)),
    'lighting_u8': I.adjust_lighting(a('img_u8'), alpha=(1.5, -1.0, 2.0)),
    'brightness_f': I.random_brightness(a('img_f'), 0.7, 0.7),
    'brightness_u8': I.random_brightness(a('img_u8'), 1.6, 1.6),
    'contrast_f': I.random_contrast(a('img_f'), 0.6, 0.6),
    'contrast_u8': I.random_contrast(a('img_u8'), 1.7, 1.7),
    'contrast_gray': I.random_contrast(a('gray_f'), 0.6, 0.6),
    'hue_f': I.random_hue(a('img_f'), 0.15, 0.15), 'hue_f2': I.random_hue(a('img_f'), 0.8, 0.8),
    'hue_u8': I.random_hue(a('img_u8'), 0.3, 0.3),
}
fx.update({'op_' + k: v.asnumpy() for k, v in ops.items()})
fx['grad_normalize'] = grad(lambda x: I.normalize(x, mean=MEAN, std=STD), 'chw', 'head_chw')
fx['grad_crop'] = grad(lambda x: I.crop(x, 1, 2, 3, 2), 'img_f', 'head_crop')

# The pipeline first, so its blocks are numbered as in a fresh process (resize0, cast0...).
pipe = nn.HybridSequential()
pipe.add(T.Resize((4, 3)), T.RandomFlipLeftRight(), T.RandomBrightness(0.3), T.Cast('float32'),
         T.ToTensor(), T.Normalize(MEAN, STD))
pipe.hybridize()
pipe(a('img_u8'))
with tempfile.TemporaryDirectory() as tmp:
    pipe.export(os.path.join(tmp, 'pipeline'))
    with open(os.path.join(tmp, 'pipeline-symbol.json')) as f:
        js = f.read()
tf = {
    'ToTensor': T.ToTensor()(a('img_u8')),
    'Normalize': T.Normalize(MEAN, STD)(a('chw')),
    'Resize': T.Resize((4, 3))(a('img_u8')),
    'Resize_keep': T.Resize(4, keep_ratio=True)(a('img_f')),
    'CropResize': T.CropResize(1, 1, 4, 3)(a('img_f')),
    'CropResize_size': T.CropResize(1, 1, 4, 3, size=(6, 5), interpolation=1)(a('img_f')),
    'CropResize_batch': T.CropResize(0, 1, 5, 2)(a('batch_u8')),
    'Rotate': T.Rotate(30)(a('chw')),
    'Rotate_zoom_in': T.Rotate(-20, zoom_in=True)(a('chw')),
    'Rotate_zoom_out': T.Rotate(45, zoom_out=True)(a('nchw')),
    'Cast': T.Cast('float16')(a('img_u8')),
}
fx.update({'tf_' + k: v.asnumpy() for k, v in tf.items()})

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, 'pipeline-symbol.json'), 'w') as f:
    f.write(js)
np.savez_compressed(os.path.join(OUT, 'image_ops.npz'), **fx)
print('wrote', len(fx), 'arrays')
