"""The helpers the wild-source programs share, written once for both frameworks: they take the
framework's ``nd`` module, so that the ``tests/_wild*_programs.py`` files (run as they are on
minigluon, and by ``tools/_programs_on_mxnet.py`` with ``import mxnet as mx`` on MXNet 1.9.1) and
``tests/_wild.py`` use the same seeded values. Imports NumPy only."""
import re
import struct
import zlib

import numpy as np


def natural(name):
    """Sort key of a parameter name that compares its numbers as numbers (``dense9`` before
    ``dense10``): the name counters of a test process depend on the tests run before it, and
    plain string order would put ``dense10`` before ``dense9``."""
    return [int(part) if part.isdigit() else part for part in re.split(r'(\d+)', name)]


def error_line(e):
    """An exception as 'Type: line' (at most 200 characters, MXNet's '[hh:mm:ss] ' timestamps left
    out): the first line of its message, or the last one of MXNet's 'Traceback ...' messages,
    what a program records of an error, the same from run to run."""
    lines = str(e).splitlines() or ['']
    line = lines[-1] if lines[0].startswith('Traceback') else lines[0]
    line = re.sub(r'\[\d\d:\d\d:\d\d\] ', '', line)
    return '%s: %s' % (type(e).__name__, line[:200])



def attempt(fn):
    """``fn()``, or ``{'error': 'Type: first line'}`` (:func:`error_line`) when it raises: what a
    program records of a call that may fail, compared between the two frameworks."""
    try:
        return fn()
    except Exception as e:      # noqa: BLE001 -- what each framework raises is recorded and compared
        return {'error': error_line(e)}

def png_bytes(pixels):
    """A minimal 8-bit RGB PNG (zlib + struct) of the uint8 ``pixels`` (H, W, 3), so that both
    frameworks decode the same pixels with no imaging library."""
    h, w, _ = pixels.shape
    raw = b''.join(b'\x00' + pixels[i].astype(np.uint8).tobytes() for i in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def write_png(path, pixels):
    """:func:`png_bytes` of ``pixels`` written to ``path``."""
    with open(path, 'wb') as f:
        f.write(png_bytes(pixels))


def program_helpers(nd):
    """``(L, set_params, rnd)`` for the framework whose ``nd`` module is given:

    * ``L(a)``: an NDArray as nested lists;
    * ``set_params(block, seed)``: every parameter of ``block`` from ``RandomState(seed)``
      uniform in [-0.5, 0.5), names in :func:`natural` order, as the fixture scripts set MXNet's;
    * ``rnd(seed, *shape)``: seeded data uniform in [-1, 1), float32."""
    def L(a):
        return a.asnumpy().tolist()

    def set_params(block, seed):
        rs = np.random.RandomState(seed)
        params = block.collect_params()
        for name in sorted(params.keys(), key=natural):
            params[name].set_data(nd.array(rs.uniform(-0.5, 0.5, params[name].shape)))

    def rnd(seed, *shape):
        return nd.array(np.random.RandomState(seed).uniform(-1, 1, shape))

    return L, set_params, rnd


def training_helpers(mx):
    """``(norms, build)`` for the framework module ``mx`` (minigluon or MXNet):

    * ``norms(block)``: the L2 norm of each parameter's value and gradient (``grad_req`` not
      'null'), in :func:`natural` order of the names, as ``{'value': [...], 'grad': [...]}``: a
      short summary of a large network's state;
    * ``build(net, seed, *inputs)``: shape the deferred parameters of ``net`` by one call on
      ``inputs`` in training mode, then set them all from ``RandomState(seed)`` as
      ``set_params`` does (training mode: MXNet 1.9.1's oneDNN build reorders a convolution
      weight used in predict mode and then refuses ``set_data`` on it)."""
    nd = mx.nd
    set_params = program_helpers(nd)[1]

    def norms(block):
        params = block.collect_params()
        out = {'value': [], 'grad': []}
        for name in sorted(params.keys(), key=natural):
            p = params[name]
            out['value'].append(float(nd.norm(p.data()).asscalar()))
            if p.grad_req != 'null':
                out['grad'].append(float(nd.norm(p.grad()).asscalar()))
        return out

    def build(net, seed, *inputs):
        with mx.autograd.train_mode():
            net(*inputs)
        set_params(net, seed)

    return norms, build
