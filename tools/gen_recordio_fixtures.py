"""Golden RecordIO files from MXNet 1.9.1, for tests/test_recordio.py.

Run in the MXNet venv: ``/opt/mxvenv/bin/python tools/gen_recordio_fixtures.py``. Writes under
``tests/fixtures/recordio/``:

* ``plain.rec`` (``MXRecordIO``) and ``indexed.rec`` / ``indexed.idx`` (``MXIndexedRecordIO``,
  keys out of order) holding the same payloads: empty, lengths 1..13 and 1000, and payloads with
  the magic number at aligned and unaligned offsets, twice in a row, at the start and the end;
* ``strkeys.rec`` / ``strkeys.idx`` (``key_type=str``);
* ``headers.rec`` / ``headers.idx``: ``mx.recordio.pack`` of scalar labels, label lists and arrays;
* ``images.rec`` / ``images.idx``: ``pack`` around PNG bytes made with Pillow (RGB, grey, RGBA,
  palette);
* ``expected.json``: the inputs and what MXNet reads back (payloads in hex, ``tell`` values, index
  keys and offsets, ``unpack`` results); ``images.npz``: the source pixels and
  ``mx.image.imdecode(png, flag, to_rgb=False)`` (OpenCV's BGR / grey decoding) of each image.
"""
import io
import json
import os
import struct

import mxnet as mx
import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'recordio')
os.makedirs(OUT, exist_ok=True)
rs = np.random.RandomState(7)
M = struct.pack('<I', 0xced7230a)


def path(name):
    return os.path.join(OUT, name)


payloads = [b'', b'a', b'ab', b'abc', b'abcd', b'abcde', bytes(rs.randint(0, 256, 13, dtype=np.uint8)),
            M, M + M, M + b'x', b'x' + M, b'xy' + M, b'xyz' + M, b'wxyz' + M, b'wxyz' + M + b'q',
            b'ab' + M + b'cd', b'abcd' + M + b'efgh' + M + b'ij' + M, b'abc' + M + M + b'x',
            M[:2] + M + M[2:], bytes(rs.randint(0, 256, 1000, dtype=np.uint8))]
big = bytearray(rs.randint(0, 256, 64, dtype=np.uint8))
for at in (0, 12, 13, 30, 60):
    big[at:at + 4] = M
payloads.append(bytes(big))
keys = list(rs.permutation(len(payloads)) * 3 + 1)

w = mx.recordio.MXRecordIO(path('plain.rec'), 'w')
for p in payloads:
    w.write(p)
w.close()
wi = mx.recordio.MXIndexedRecordIO(path('indexed.idx'), path('indexed.rec'), 'w')
tells = [wi.tell()]
for k, p in zip(keys, payloads):
    wi.write_idx(int(k), p)
    tells.append(wi.tell())
wi.close()

r = mx.recordio.MXRecordIO(path('plain.rec'), 'r')
read_plain = []
while True:
    item = r.read()
    if item is None:
        break
    read_plain.append(item.hex())
r.close()
ri = mx.recordio.MXIndexedRecordIO(path('indexed.idx'), path('indexed.rec'), 'r')
read_indexed = {str(k): ri.read_idx(k).hex() for k in ri.keys}
index = {'keys': [int(k) for k in ri.keys], 'offsets': [int(ri.idx[k]) for k in ri.keys]}
ri.close()

str_keys = ['cat', 'dog/01.jpg', 'a b', '7']
ws = mx.recordio.MXIndexedRecordIO(path('strkeys.idx'), path('strkeys.rec'), 'w', key_type=str)
for i, k in enumerate(str_keys):
    ws.write_idx(k, b'record %d' % i)
ws.close()
rs_ = mx.recordio.MXIndexedRecordIO(path('strkeys.idx'), path('strkeys.rec'), 'r', key_type=str)
read_str = {k: rs_.read_idx(k).hex() for k in rs_.keys}
rs_.close()

# label kinds: how the test rebuilds the label value that was passed to pack
headers_in = [
    dict(flag=0, label=3.5, kind='float', id=7, id2=0, payload='ab'),
    dict(flag=5, label=2, kind='int', id=1, id2=2, payload='hello'),
    dict(flag=0, label=-1.25, kind='np.float32', id=2 ** 63 + 5, id2=2 ** 64 - 1, payload=''),
    dict(flag=0, label=[1, 2, 3], kind='list', id=3, id2=0, payload='xyz'),
    dict(flag=9, label=[0.5, -2.0], kind='list', id=4, id2=0, payload=M.decode('latin-1')),
    dict(flag=0, label=[[1.5, 2.5], [3.5, 4.5]], kind='array', id=5, id2=0, payload='q'),
    dict(flag=0, label=[], kind='list', id=6, id2=0, payload='empty label'),
    dict(flag=0, label=7.0, kind='0d', id=8, id2=0, payload='0-d'),
]


def label_value(h):
    return {'float': float, 'int': int, 'np.float32': np.float32, 'list': list,
            'array': lambda v: np.array(v, dtype=np.float64), '0d': np.array}[h['kind']](h['label'])


def unpacked(rec):
    head, rest = mx.recordio.unpack(rec)
    label = head.label.tolist() if isinstance(head.label, np.ndarray) else float(head.label)
    return dict(flag=int(head.flag), label=label, label_is_array=isinstance(head.label, np.ndarray),
                id=int(head.id), id2=int(head.id2), payload=rest.hex())


wh = mx.recordio.MXIndexedRecordIO(path('headers.idx'), path('headers.rec'), 'w')
packed = []
for i, h in enumerate(headers_in):
    s = mx.recordio.pack(mx.recordio.IRHeader(h['flag'], label_value(h), h['id'], h['id2']),
                         h['payload'].encode('latin-1'))
    packed.append(s.hex())
    wh.write_idx(i, s)
wh.close()
rh = mx.recordio.MXIndexedRecordIO(path('headers.idx'), path('headers.rec'), 'r')
headers_out = [unpacked(rh.read_idx(i)) for i in range(len(headers_in))]
rh.close()

# images: made with Pillow (RGB order), packed as PNG; MXNet decodes them with OpenCV
rgb = rs.randint(0, 256, (5, 7, 3)).astype(np.uint8)
images = {'rgb': Image.fromarray(rgb), 'grey': Image.fromarray(rgb[:, :, 0]),
          'rgba': Image.fromarray(np.dstack([rgb, rs.randint(0, 256, (5, 7), dtype=np.uint8)])),
          'palette': Image.fromarray(rgb).quantize(6)}
arrays, image_meta = {}, []
wm = mx.recordio.MXIndexedRecordIO(path('images.idx'), path('images.rec'), 'w')
for i, (name, im) in enumerate(images.items()):
    buf = io.BytesIO()
    im.save(buf, format='PNG')
    png = buf.getvalue()
    arrays[name + '_pixels'] = np.asarray(im)
    if name == 'palette':
        arrays[name + '_pixels'] = np.asarray(im.convert('RGB'))
    for flag in (1, 0):
        arrays['%s_imdecode_%d' % (name, flag)] = mx.image.imdecode(png, flag=flag, to_rgb=False).asnumpy()
    label = [float(i), 0.5] if i % 2 else float(i)
    wm.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, label, 100 + i, 0), png))
    image_meta.append(dict(name=name, key=i, label=label, id=100 + i, png=png.hex()))
wm.close()
rm = mx.recordio.MXIndexedRecordIO(path('images.idx'), path('images.rec'), 'r')
images_out = [unpacked(rm.read_idx(i)) for i in range(len(images))]
rm.close()
np.savez_compressed(path('images.npz'), **arrays)

expected = dict(mxnet=mx.__version__, payloads=[p.hex() for p in payloads], keys=[int(k) for k in keys],
                read_plain=read_plain, read_indexed=read_indexed, index=index, tells=[int(t) for t in tells],
                str_keys=str_keys, read_str=read_str, headers_in=headers_in, packed=packed,
                headers_out=headers_out, images=image_meta, images_out=images_out)
with open(path('expected.json'), 'w') as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print('wrote', sorted(os.listdir(OUT)))
