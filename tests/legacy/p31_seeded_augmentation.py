import random

import minigluon as mx
import numpy as np
from minigluon import nd
from minigluon.gluon.data.vision import transforms
from _common import show

# Seeded augmentation as MXNet 1.x scripts write it: Python's `random` drives the crops and the
# mx.image augmenters, NumPy's the rotations and the PCA lighting. Float images throughout, so the
# resizes agree to float rounding.
rng = np.random.RandomState(31)
u8 = nd.array(rng.randint(0, 256, size=(30, 40, 3)), dtype='uint8')
img = u8.astype('float32')

# gluon transforms: RandomResizedCrop after random.seed, then a tensor pipeline
random.seed(123)
for t in [transforms.RandomResizedCrop(16),
          transforms.RandomResizedCrop((20, 12), scale=(0.2, 0.5), ratio=(0.5, 2.0)),
          transforms.RandomResizedCrop(10, interpolation=2)]:
    for k in range(2):
        out = t(img)
        print('RandomResizedCrop', out.shape, out.dtype)
        show(' row', out[3, :, 0])
x = transforms.ToTensor()(u8)
show('Rotate', transforms.Rotate(30)(x)[0, 4])
show('Rotate zoom_in', transforms.Rotate(-45, zoom_in=True)(x)[1, 5])
np.random.seed(3)
show('RandomRotation', transforms.RandomRotation((-20, 20), zoom_out=True)(x)[2, 3])
show('CropResize', transforms.CropResize(2, 1, 6, 5, size=(4, 3), interpolation=1)(img)[:, :, 0])

# mx.image rotations
b = nd.stack(x, x * 0.5)
show('imrotate', mx.image.imrotate(x, 90)[0, 0])
show('imrotate batch', mx.image.imrotate(b, nd.array([10, -170]), zoom_out=True)[1, 1, 2])
np.random.seed(7)
show('random_rotate', mx.image.random_rotate(x, (-90, 90), zoom_in=True)[2, 6])
show('random_rotate batch', mx.image.random_rotate(b, (-90, 90))[1, 0, 1])

# mx.image.CreateAugmenter pipelines
for kw in [dict(data_shape=(3, 24, 24), resize=28, rand_crop=True, rand_mirror=True),
           dict(data_shape=(3, 24, 24), rand_resize=True, rand_crop=True, mean=True, std=True),
           dict(data_shape=(3, 20, 20), resize=24, brightness=0.2, contrast=0.2, saturation=0.2, hue=0.1,
                pca_noise=0.05, rand_gray=0.3, mean=np.array([123.68, 116.28, 103.53]),
                std=np.array([58.395, 57.12, 57.375]), inter_method=1)]:
    augs = mx.image.CreateAugmenter(**kw)
    print([type(a).__name__ for a in augs])
    random.seed(7)
    np.random.seed(7)
    for trial in range(2):
        data = img
        for aug in augs:
            data = aug(data)
        print(trial, data.shape, data.dtype)
        show(' px', data[5, :, 0])

# the inference side: resize_short, center_crop, color_normalize, to NCHW
small = mx.image.resize_short(img, 20, interp=1)
crop, box = mx.image.center_crop(small, (16, 16), interp=1)
print('center_crop', crop.shape, box)
normed = mx.image.color_normalize(crop / 255, mean=nd.array([0.485, 0.456, 0.406]),
                                  std=nd.array([0.229, 0.224, 0.225]))
batch = nd.transpose(normed, (2, 0, 1)).expand_dims(0)
print('batch', batch.shape)
show('normalized', batch[0, :, 8, 8])
