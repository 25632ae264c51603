"""Write MXNet 1.9.1 golden values for ``nd.image.resize`` with interp 2, 3 and 4.

    /opt/mxvenv/bin/python tools/gen_image_resize_fixtures.py

MXNet passes ``interp`` to OpenCV unchanged, so the codes are OpenCV's enum: 2 is bicubic
(INTER_CUBIC), 3 is area (INTER_AREA), 4 is Lanczos (INTER_LANCZOS4). Output:
tests/fixtures/image/resize_interp.npz with the inputs ``img_f`` (float32) and ``img_u8`` and one
array ``<interp>_<dtype>_<width>x<height>`` per case.
"""
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'image')
SIZES = [(4, 3), (9, 10), (3, 9), (11, 2)]    # (width, height): down, up, and both mixed


def main():
    rng = np.random.RandomState(7)
    res = {'img_f': rng.uniform(0, 255, (6, 7, 2)).astype(np.float32),
           'img_u8': rng.randint(0, 256, (6, 7, 3)).astype(np.uint8)}
    for interp in (2, 3, 4):
        for size in SIZES:
            for key in ('img_f', 'img_u8'):
                out = mx.nd.image.resize(mx.nd.array(res[key], dtype=res[key].dtype), size,
                                         False, interp)
                res['%d_%s_%dx%d' % (interp, key[4:], size[0], size[1])] = out.asnumpy()
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, 'resize_interp.npz'), **res)


if __name__ == '__main__':
    main()
