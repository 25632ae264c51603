"""Write MXNet 1.9.1's uint8 resizes, byte for byte, for every ``interp`` code.

    /opt/mxvenv/bin/python tools/gen_image_resize_uint8_fixtures.py

MXNet hands uint8 images to OpenCV 3.4.2's ``cv::resize``, whose integer arithmetic (11-bit
fixed-point weights, its SIMD loops' rounding, the block-average paths for integer factors) is
what minigluon redoes; these cases pin it down. Images: random ones and structured ones that
expose rounding (ramps, checkerboards, values next to 0, 127.5 and 255), with 1, 2, 3 and 4
channels, including one-pixel axes and rows wide enough to run OpenCV's SIMD loops several times.
Sizes: up, down, mixed, odd factors, unchanged, one axis unchanged, 1 x 1, and exact 2x/3x/4x
shrinks (both axes or one). Also a 4-D batch, ``keep_ratio``, ``mx.image.imresize`` and nearest on
int32 / int8 (the only integer dtypes besides uint8 MXNet resizes sensibly, and only with 0).

Lanczos-4 cases where OpenCV divides by zero (a sample position a hair below a pixel centre,
its offset rounding to 1.0 in float32) are left out of ``spec``: MXNet writes garbage in that
output row or column, which minigluon does not copy. One such case is kept apart:
``lanczos_nan_img`` (1 x 9) resized to 41 x 49 (``lanczos_nan_out``: row 24 is garbage) and to
41 x 1 (``lanczos_nan_row``: the values row 24 should hold).

Output: tests/fixtures/image/resize_uint8.npz (no pickle), holding the inputs ``img<k>``, the
results ``out<i>`` and ``spec``: one row ``(image, width, height, interp, call)`` per case, call
0 ``nd.image.resize(img, (width, height), False, interp)``, 1 ``mx.image.imresize(img, width,
height, interp)``, 2 ``nd.image.resize(img, width, True, interp)`` (height unused, 0).
"""
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'image')


def structured(kind, h, w, c, rng):
    yy, xx = np.mgrid[0:h, 0:w]
    if kind == 'random':
        return rng.randint(0, 256, (h, w, c))
    if kind == 'ramp':
        return np.stack([(xx * (17 + 6 * ch) + yy * (5 + ch) + 40 * ch) % 256
                         for ch in range(c)], -1)
    if kind == 'checker':
        return np.repeat((((xx + yy) % 2) * 255)[..., None], c, -1)
    if kind == 'stripes':
        bars = np.stack([((xx // (1 + ch)) % 2) * 255 for ch in range(c)], -1)
        return bars * (yy[..., None] % 3 > 0)
    # values where a rounding mode shows: next to 0, the middle and 255
    return rng.choice([0, 1, 2, 3, 126, 127, 128, 129, 252, 253, 254, 255], (h, w, c))


def lanczos_divides_by_zero(n_in, n_out):
    """Whether OpenCV's Lanczos-4 offsets along an axis (float32 ``(i + 0.5) * step - 0.5``
    minus its floor) put a tap at distance 0 in float32, where its weights become NaN."""
    pos = ((np.arange(n_out) + 0.5) * (1.0 / (n_out / n_in)) - 0.5).astype(np.float32)
    x = pos - np.floor(pos)
    t = (x + np.float32(3))[:, None] - np.arange(8, dtype=np.float32)
    return bool(((x >= np.finfo(np.float32).eps) & (t == 0).any(axis=1)).any())


def sizes_for(h, w, rng):
    """(width, height) targets for an h x w image."""
    big = (3 * w, 3 * h + 1) if h * w <= 100 else (w + 2, 3 * h // 2 + 1)
    out = [(2 * w, 2 * h), big, (w, h), (1, 1), (w, max(1, h // 2)),
           (w * 5 // 3 + 1, max(1, h * 3 // 4)), (max(1, w - 3), 2 * h + 1),
           (int(rng.randint(1, 50)), int(rng.randint(1, 50)))]
    for f in (2, 3, 4):
        if w % f == 0 and h % f == 0:
            out.append((w // f, h // f))
    if w % 2 == 0:
        out.append((w // 2, h))
    if h % 3 == 0:
        out.append((w, h // 3))
    return sorted(set(out))


def main():
    rng = np.random.RandomState(2024)
    images, spec, outs = [], [], []

    def add_image(img):
        images.append(img)
        return len(images) - 1

    def run(k, width, height, interp, call):
        h, w = images[k].shape[-3:-1]
        if interp == 4 and call != 2 and (lanczos_divides_by_zero(w, width)
                                          or lanczos_divides_by_zero(h, height)):
            return
        img = mx.nd.array(images[k], dtype=images[k].dtype)
        if call == 0:
            out = mx.nd.image.resize(img, (width, height), False, interp)
        elif call == 1:
            out = mx.image.imresize(img, width, height, interp)
        else:
            out = mx.nd.image.resize(img, width, True, interp)
        spec.append((k, width, height, interp, call))
        outs.append(out.asnumpy())

    shapes = [(16, 18, 3, 'random'), (16, 18, 3, 'ramp'), (9, 7, 1, 'checker'),
              (12, 12, 4, 'random'), (10, 14, 2, 'random'), (15, 11, 3, 'ramp'),
              (12, 20, 3, 'edges'), (8, 8, 1, 'edges'), (12, 9, 3, 'stripes'), (5, 3, 3, 'random'),
              (1, 1, 3, 'random'), (1, 9, 3, 'ramp'), (9, 1, 1, 'ramp'), (2, 64, 3, 'random'),
              (3, 100, 1, 'edges'), (3, 45, 4, 'ramp'), (12, 6, 4, 'checker')]
    for h, w, c, kind in shapes:
        k = add_image(structured(kind, h, w, c, rng).astype(np.uint8))
        for width, height in sizes_for(h, w, rng):
            for interp in range(5):
                run(k, width, height, interp, 0)
    # random shapes, kinds and targets
    kinds = ['random', 'ramp', 'checker', 'stripes', 'edges']
    for _ in range(30):
        h, w, c = rng.randint(1, 25), rng.randint(1, 25), int(rng.choice([1, 3, 4]))
        k = add_image(structured(kinds[rng.randint(5)], h, w, c, rng).astype(np.uint8))
        for _ in range(2):
            width, height = int(rng.randint(1, w * 3 // 2 + 3)), int(rng.randint(1, h * 3 // 2 + 3))
            for interp in range(5):
                run(k, width, height, interp, 0)
    # mx.image.imresize and keep_ratio reach the same OpenCV call; a 4-D batch resizes each image
    k = add_image(structured('random', 13, 17, 3, rng).astype(np.uint8))
    for interp in range(5):
        run(k, 26, 9, interp, 1)
        run(k, 8, 0, interp, 2)
    k = add_image(structured('random', 3 * 10 * 12 * 3, 1, 1, rng).reshape(3, 10, 12, 3)
                  .astype(np.uint8))
    for interp in range(5):
        for width, height in ((6, 5), (17, 13)):
            run(k, width, height, interp, 0)
    # sizes where OpenCV's step 1 / (out / in) falls a hair short of in / out (6 -> 34, 9 -> 51)
    k = add_image(structured('ramp', 6, 9, 3, rng).astype(np.uint8))
    for interp in range(5):
        run(k, 51, 34, interp, 0)
    # nearest on other integer dtypes (MXNet's nd.image.resize aborts on int8: imresize there)
    k = add_image(structured('random', 7, 9, 3, rng).astype(np.int32) * 1000 - 70000)
    run(k, 13, 4, 0, 0)
    k = add_image(structured('random', 7, 9, 3, rng).astype(np.uint8).view(np.int8))
    run(k, 13, 4, 0, 1)

    res = {'spec': np.array(spec, dtype=np.int64)}
    img = structured('ramp', 1, 9, 3, rng).astype(np.uint8)
    assert lanczos_divides_by_zero(1, 49)
    res['lanczos_nan_img'] = img
    res['lanczos_nan_out'] = mx.nd.image.resize(mx.nd.array(img, dtype='uint8'), (41, 49), False,
                                                4).asnumpy()
    res['lanczos_nan_row'] = mx.nd.image.resize(mx.nd.array(img, dtype='uint8'), (41, 1), False,
                                                4).asnumpy()
    res.update(('img%d' % i, x) for i, x in enumerate(images))
    res.update(('out%d' % i, x) for i, x in enumerate(outs))
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, 'resize_uint8.npz'), **res)
    print(len(spec), 'cases')


if __name__ == '__main__':
    main()
