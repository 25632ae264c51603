"""Record what the porting snippets print under MXNet 1.9.1 (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_porting_fixtures.py [snippet names, e.g. s17_contrib_ctc_ocr]

Each file tests/porting/snippets/s*.py is a small MXNet 1.x Gluon program written with
``import minigluon as mx``; here that import (and ``from minigluon ...``) is switched to MXNet, the
snippet runs in a fresh interpreter, and its stdout is saved as tests/fixtures/porting/<snippet>.out.
tests/porting/test_snippets.py runs the same files on minigluon and compares.

It also records tests/fixtures/porting/center_crop.npz (MXNet's ``transforms.CenterCrop`` on a
fixed uint8 image, for crops smaller and larger than the image) and autograd_grad.json (the
type ``autograd.grad`` returns for a single variable).
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SRC = os.path.join(ROOT, 'tests', 'porting', 'snippets')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'porting')
CROP_SIZES = [(4, 2), (5, 5), (8, 8), (12, 3), (10, 6), (3, 7)]


def as_mxnet(source):
    return source.replace('import minigluon as mx', 'import mxnet as mx').replace(
        'from minigluon', 'from mxnet')


def snippets(only=()):
    for path in sorted(glob.glob(os.path.join(SRC, 's*.py'))):
        name = os.path.basename(path)[:-3]
        if only and name not in only:
            continue
        res = subprocess.run([sys.executable, '-c', as_mxnet(open(path).read())], cwd=OUT,
                             capture_output=True, text=True, env=dict(os.environ, PYTHONWARNINGS='ignore'))
        if res.returncode:
            print('FAILED', name, res.stderr[-2000:])
            continue
        with open(os.path.join(OUT, name + '.out'), 'w') as f:
            f.write(res.stdout)
        print('ok', name, len(res.stdout.splitlines()), 'lines')


def center_crop():
    import mxnet as mx
    from mxnet.gluon.data.vision import transforms
    image = np.random.RandomState(0).randint(0, 256, size=(6, 10, 3)).astype('uint8')
    arrays = {'image': image}
    for w, h in CROP_SIZES:
        arrays['crop_%d_%d' % (w, h)] = transforms.CenterCrop((w, h))(mx.nd.array(image, dtype='uint8')).asnumpy()
    np.savez_compressed(os.path.join(OUT, 'center_crop.npz'), **arrays)


def autograd_grad():
    import mxnet as mx
    a = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    a.attach_grad()
    with mx.autograd.record():
        b = mx.nd.sigmoid(a) * 2
    g = mx.autograd.grad(b, a)
    with open(os.path.join(OUT, 'autograd_grad.json'), 'w') as f:
        json.dump({'single_variable_type': type(g).__name__, 'length': len(g),
                   'grad': g[0].asnumpy().tolist()}, f)


def main():
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:]:             # only the snippets named on the command line
        snippets(sys.argv[1:])
        return
    snippets()
    center_crop()
    autograd_grad()


if __name__ == '__main__':
    main()
