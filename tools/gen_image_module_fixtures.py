"""Golden files for ``mx.image`` (MXNet 1.9.1's ``mxnet.image``): tests/fixtures/image_module/.

Run with MXNet 1.9.1 (``/opt/mxvenv/bin/python tools/gen_image_module_fixtures.py``). Writes small
images made with Pillow (PNG: RGB, L, RGBA, LA, P, 16-bit gray, 16-bit RGB; JPEG: colour and
gray) and ``results.npz`` (no pickle: numeric and unicode arrays only) holding MXNet's outputs of
``mx.image`` functions on them. Random functions run after ``random.seed`` / ``np.random.seed``
with the seed recorded in the key (``..._seed<N>``); their crop rectangles are stored next to the
images (``..._rect``).
"""
import io
import os
import random
import struct
import zlib

import numpy as np
from PIL import Image
import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'image_module')
INTERPS = (0, 1, 2, 3, 4, 9)


def png16_rgb(arr):
    """A 16-bit RGB PNG (Pillow cannot write one): big-endian rows, filter 0."""
    h, w, _ = arr.shape
    raw = b''.join(b'\x00' + arr[i].astype('>u2').tobytes() for i in range(h))

    def chunk(tag, data):
        return (struct.pack('>I', len(data)) + tag + data
                + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def make_images():
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:17, 0:33]
    smooth = np.stack([xx * 7, yy * 14, (xx + yy) * 5], -1) + rng.randint(0, 30, (17, 33, 3))
    smooth = np.clip(smooth, 0, 255).astype(np.uint8)
    files = {}

    def save(name, img, fmt='PNG', **kw):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        files[name] = buf.getvalue()

    save('rgb_7x5.png', Image.fromarray(rng.randint(0, 256, (5, 7, 3)).astype(np.uint8)))
    save('rgb_33x17.png', Image.fromarray(smooth))
    save('gray_33x17.png', Image.fromarray(rng.randint(0, 256, (17, 33)).astype(np.uint8)))
    save('rgba_7x5.png', Image.fromarray(rng.randint(0, 256, (5, 7, 4)).astype(np.uint8)))
    save('la_7x5.png', Image.fromarray(rng.randint(0, 256, (5, 7, 2)).astype(np.uint8), 'LA'))
    pal = Image.fromarray(rng.randint(0, 256, (5, 7, 3)).astype(np.uint8))
    save('pal_7x5.png', pal.convert('P', palette=Image.ADAPTIVE, colors=6))
    save('gray16_7x5.png', Image.fromarray(rng.randint(0, 65536, (5, 7)).astype(np.uint16)))
    files['rgb16_7x5.png'] = png16_rgb(rng.randint(0, 65536, (5, 7, 3)).astype(np.uint16))
    save('rgb_7x5.bmp', Image.fromarray(rng.randint(0, 256, (5, 7, 3)).astype(np.uint8)), 'BMP')
    save('photo_33x17.jpg', Image.fromarray(smooth), 'JPEG', quality=90)
    save('gray_33x17.jpg', Image.fromarray(smooth[..., 1]), 'JPEG', quality=90)
    os.makedirs(OUT, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    return files


def main():
    files = make_images()
    res = {}
    for name in files:
        path = os.path.join(OUT, name)
        for flag in (0, 1):
            for rgb in (0, 1):
                res['decode_%s_f%d_rgb%d' % (name, flag, rgb)] = mx.image.imread(
                    path, flag=flag, to_rgb=rgb).asnumpy()

    src = mx.image.imdecode(files['rgb_33x17.png'])
    rng = np.random.RandomState(1)
    f32 = src.asnumpy().astype(np.float32) + rng.uniform(0, 1, src.shape).astype(np.float32)
    res['src_f32'] = f32
    srcs = {'u8': src, 'f32': mx.nd.array(f32)}
    for kind, s in srcs.items():
        for (w, h) in ((20, 9), (40, 22), (40, 10)):
            for interp in range(5):   # 9 and 10 fail in OpenCV ("Unknown interpolation")
                res['imresize_%s_i%d_%dx%d' % (kind, interp, w, h)] = mx.image.imresize(
                    s, w, h, interp=interp).asnumpy()
        for interp in INTERPS:
            res['resize_short_%s_i%d_s10' % (kind, interp)] = mx.image.resize_short(
                s, 10, interp=interp).asnumpy()
        if kind == 'f32':   # the crops below cut and call imresize, whatever the dtype
            continue
        for interp in INTERPS:
            res['resize_short_%s_i%d_s20' % (kind, interp)] = mx.image.resize_short(
                s, 20, interp=interp).asnumpy()
            res['fixed_crop_%s_i%d_size15x12' % (kind, interp)] = mx.image.fixed_crop(
                s, 3, 2, 20, 10, size=(15, 12), interp=interp).asnumpy()
        res['fixed_crop_%s_nosize' % kind] = mx.image.fixed_crop(s, 3, 2, 20, 10).asnumpy()
        for size in ((20, 10), (40, 30), (10, 10), (33, 17)):
            out, rect = mx.image.center_crop(s, size)
            key = 'center_crop_%s_%dx%d' % (kind, size[0], size[1])
            res[key], res[key + '_rect'] = out.asnumpy(), np.array(rect)
        for seed in (0, 1, 2):
            random.seed(seed)
            out, rect = mx.image.random_crop(s, (12, 8), interp=9)
            key = 'random_crop_%s_12x8_seed%d' % (kind, seed)
            res[key], res[key + '_rect'] = out.asnumpy(), np.array(rect)
            random.seed(seed)
            out, rect = mx.image.random_size_crop(s, (16, 16), 0.08, (3 / 4, 4 / 3))
            key = 'random_size_crop_%s_seed%d' % (kind, seed)
            res[key], res[key + '_rect'] = out.asnumpy(), np.array(rect)
            random.seed(seed)
            out, rect = mx.image.random_size_crop(s, (10, 12), (0.3, 0.6), (0.5, 2.0), interp=1)
            key = 'random_size_crop_area_%s_seed%d' % (kind, seed)
            res[key], res[key + '_rect'] = out.asnumpy(), np.array(rect)
        random.seed(5)   # no crop fits: ten draws, then the centre crop
        out, rect = mx.image.random_size_crop(s, (16, 16), (2.0, 3.0), (1.0, 1.0))
        res['random_size_crop_fallback_%s_seed5' % kind] = out.asnumpy()
        res['random_size_crop_fallback_%s_seed5_rect' % kind] = np.array(rect)
        res['random_size_crop_fallback_%s_seed5_after' % kind] = np.array(random.random())
        random.seed(7)
        res['resize_short_%s_i10_s10_seed7' % kind] = mx.image.resize_short(
            s, 10, interp=10).asnumpy()
        random.seed(3)
        res['interp10_seq_seed3'] = np.array(
            [mx.image.image._get_interp_method(10) for _ in range(20)])

    f = mx.nd.array(f32[:6, :9])
    mean, std = mx.nd.array([123.68, 116.28, 103.53]), mx.nd.array([58.395, 57.12, 57.375])
    res['color_normalize_mean_std'] = mx.image.color_normalize(f.copy(), mean, std).asnumpy()
    res['color_normalize_mean'] = mx.image.color_normalize(f.copy(), mean).asnumpy()
    res['color_normalize_std_only'] = mx.image.color_normalize(f.copy(), None, std).asnumpy()
    res['color_normalize_scalars'] = mx.image.color_normalize(f.copy(), 5.0, 2.0).asnumpy()

    cases = [((640, 480), (720, 120)), ((33, 17), (40, 30)), ((33, 17), (10, 40)),
             ((33, 17), (12, 8)), ((5, 5), (7, 3))]
    res['scale_down'] = np.array([[*s, *z, *mx.image.scale_down(s, z)] for s, z in cases])

    small = mx.image.imdecode(files['rgb_7x5.png'])
    for kind, s in (('u8', small), ('f32', small.astype('float32') + 0.25)):
        for t in range(5):
            res['border_%s_t%d' % (kind, t)] = mx.image.copyMakeBorder(
                s, 1, 2, 3, 4, type=t).asnumpy()
            res['border_%s_t%d_big' % (kind, t)] = mx.image.copyMakeBorder(
                s, 6, 0, 9, 2, type=t).asnumpy()
        res['border_%s_value' % kind] = mx.image.copyMakeBorder(s, 1, 1, 1, 1, value=2.6).asnumpy()
        res['border_%s_values' % kind] = mx.image.copyMakeBorder(
            s, 1, 1, 1, 1, values=(1.4, 300, -3)).asnumpy()
        res['border_%s_values2' % kind] = mx.image.copyMakeBorder(
            s, 0, 2, 1, 0, value=9, values=(7, 8)).asnumpy()
    gray = mx.image.imdecode(files['gray_33x17.png'], flag=0)
    res['border_gray_values'] = mx.image.copyMakeBorder(gray, 1, 1, 2, 2, values=(4, 5, 6)).asnumpy()
    res['imresize_gray_i1'] = mx.image.imresize(gray, 20, 9).asnumpy()

    augment(res, f32[:9, :12])
    np.savez_compressed(os.path.join(OUT, 'results.npz'), **res)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print('wrote %d arrays, %d bytes in all' % (len(res), total))


def augment(res, f32):
    """The augmenters: their ``dumps()`` and their outputs under fixed seeds."""
    src = mx.nd.array(f32)
    u8 = mx.nd.array(np.clip(f32, 0, 255).astype(np.uint8), dtype='uint8')
    eigval = np.array([55.46, 4.794, 1.148])
    eigvec = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                       [-0.5836, -0.6948, 0.4203]])
    single = {
        'brightness': mx.image.BrightnessJitterAug(0.3),
        'contrast': mx.image.ContrastJitterAug(0.3),
        'saturation': mx.image.SaturationJitterAug(0.3),
        'hue': mx.image.HueJitterAug(0.3),
        'lighting': mx.image.LightingAug(0.1, eigval, eigvec),
        'gray': mx.image.RandomGrayAug(0.7),
        'flip': mx.image.HorizontalFlipAug(0.5),
        'colornorm': mx.image.ColorNormalizeAug(np.array([123.68, 116.28, 103.53]),
                                                np.array([58.395, 57.12, 57.375])),
        'resize': mx.image.ResizeAug(10, 9),
        'forceresize': mx.image.ForceResizeAug((15, 7), 1),
        'randcrop': mx.image.RandomCropAug((8, 6), 2),
        'randsized': mx.image.RandomSizedCropAug((10, 10), 0.08, (3 / 4, 4 / 3), 2),
        'centercrop': mx.image.CenterCropAug((8, 6), 2),
        'cast': mx.image.CastAug(),
        'colorjitter': mx.image.ColorJitterAug(0.2, 0.3, 0.4),
    }
    for name, aug in single.items():
        res['aug_dumps_%s' % name] = np.array(str(aug.dumps()))
        for seed in (0, 1):
            random.seed(seed)
            np.random.seed(seed)
            inp = u8 if name == 'cast' else src.copy()
            res['aug_%s_seed%d' % (name, seed)] = aug(inp).asnumpy()
    for seed in (0, 1):
        random.seed(seed)
        np.random.seed(seed)
        augs = mx.image.CreateAugmenter((3, 8, 10), resize=12, rand_crop=True, rand_resize=True,
                                        rand_mirror=True, mean=True, std=True, brightness=0.1,
                                        contrast=0.1, saturation=0.1, hue=0.1, pca_noise=0.1,
                                        rand_gray=0.2, inter_method=10)
        res['create_dumps_seed%d' % seed] = np.array([str(a.dumps()) for a in augs])
        x = u8
        for a in augs:
            x = a(x)
        res['create_out_seed%d' % seed] = x.asnumpy()
    augs = mx.image.CreateAugmenter((3, 8, 8))
    res['create_default_dumps'] = np.array([str(a.dumps()) for a in augs])
    x = u8
    for a in augs:
        x = a(x)
    res['create_default_out'] = x.asnumpy()


if __name__ == '__main__':
    main()
