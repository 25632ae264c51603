"""Differential fuzzer of ``gluon.data``: random (seeded) snippets that build datasets, samplers,
batches, DataLoaders, vision transforms and ``mx.image`` crops/resizes under MXNet 1.9.1 and under
minigluon, compared result by result (structure, types, dtypes, shapes, values, raise/no-raise).

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_gluon_data.py /tmp/data-fuzz --seed 1 [--groups dataset,sampler] [--n 60]
                                     [--timeout 120] [--mx-python /opt/mxvenv/bin/python]

A case is ``code``: Python statements run with ``mx``, ``nd``, ``np``, ``gdata``
(``mx.gluon.data``), ``T`` (``gdata.vision.transforms``), ``IntervalSampler`` (MXNet keeps it in
``gluon.contrib.data``), ``tmp`` (an empty folder of the case's own) and the inputs ``x0, x1...``
(NumPy arrays) bound, which set ``out``. ``out`` is flattened into a structure string (container
kinds, Python scalars' values, array kinds with dtype and shape; an NDArray's context is left out:
the one documented difference, batches of worker processes on ``cpu_shared(0)`` in MXNet) and the
list of its arrays. An exception is recorded with the names of its class and base classes, so an
MXNet ``AssertionError`` met by minigluon's ``ValueAssertionError`` counts as the same error.

The batching, crash/hang resume of the child processes, the report and the command line (also
``--compare-only``, ``MXNET_PYTHON``) are ``tools/_fuzz.py``'s. The report gives per group the
number of cases, compared (neither framework raises), equal and rejected by MXNet, then each
difference: ``diff`` (structure or values), ``ours-error``
(MXNet computes, minigluon raises), ``mx-error-ours-ok`` and ``error-class`` (both raise, but
minigluon's exception is not an instance of MXNet's class).

Groups: dataset (ArrayDataset, SimpleDataset, transform / transform_first / filter / shard / take /
sample, RecordFileDataset, indexing), sampler (Sequential, Batch over several epochs with
keep/discard/rollover, Interval, Filter; Random only as a permutation), batchify (the default
batchify functions on nested samples; MXNet 1.9.1 has no ``gluon.data.batchify`` module), loader
(DataLoader arguments, workers 0 and 2, threads or processes, bad combinations), transforms
(ToTensor, Normalize, Resize, CenterCrop, CropResize, Cast, Compose, hybridized
HybridSequential), image (``mx.image.imresize``, ``center_crop``, ``fixed_crop``,
``color_normalize``, ``resize_short``, ``copyMakeBorder``). Differences found and fixed are pinned
by ``tools/gen_gluon_data_fuzz_fixtures.py`` and ``tests/data/test_gluon_data_fuzz_regressions.py``.

Differences that remain, all deliberate (docs/PORTING.md, "Where minigluon deliberately differs", or the
docstrings): MXNet's ``KeyError`` for str/dict/ragged samples in the default batchify (a
``TypeError``/``ValueError`` here); stacking 0-d or mixed-dtype NDArrays, Normalize with other
than 1 or 3 channels, float16 and int resizes, which MXNet refuses or crashes on; a lambda
``batchify_fn`` with worker processes (MXNet cannot pickle it); ``IntervalSampler`` with
``interval`` 0 or without rollover (``len``); ``BatchSampler`` with ``batch_size`` <= 0 or
``num_workers < 0`` (a ``ValueError`` here); uint8 Normalize out of range (saturates);
``copyMakeBorder``'s fourth channel; ``CropResize`` without ``interpolation``; float64 resizes
about 3e-7 apart (OpenCV's float32 coefficients) and ToTensor of float16 (MXNet divides in
float16).
"""
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case as add, pick, ri  # noqa: E402


def rand(shape, dtype):
    if np.dtype(dtype).kind == 'f':
        return (R.standard_normal(shape) * 3).astype(dtype)
    if dtype == 'uint8':
        return R.randint(0, 256, size=shape).astype(dtype)
    if dtype == 'bool':
        return R.rand(*shape) > 0.5
    return R.randint(-20, 20, size=shape).astype(dtype)


# -- datasets ---------------------------------------------------------------------------------------

def _array_source(i, n, inputs):
    """Code of one ArrayDataset argument of length ``n`` named from input ``i``."""
    kind = pick('np', 'np', 'nd', 'nd1', 'list', 'listf', 'dataset')
    if kind == 'np':
        inputs.append(rand((n,) + tuple(ri(1, 3) for _ in range(ri(0, 2))),
                           pick('float32', 'int32', 'uint8', 'float64', 'int64')))
        return 'x%d' % i
    if kind == 'nd':
        inputs.append(rand((n, ri(1, 3)), pick('float32', 'int32', 'uint8', 'float64')))
        return 'nd.array(x%d, dtype=x%d.dtype)' % (i, i)
    if kind == 'nd1':
        inputs.append(rand((n,), pick('float32', 'int32', 'float64', 'int64')))
        return 'nd.array(x%d, dtype=x%d.dtype)' % (i, i)
    if kind == 'list':
        inputs.append(rand((n,), 'int64'))
        return '[int(v) for v in x%d]' % i
    if kind == 'listf':
        inputs.append(rand((n,), 'float64'))
        return '[float(v) for v in x%d]' % i
    inputs.append(rand((n, 2), 'float32'))
    return 'gdata.SimpleDataset(list(x%d))' % i


TRANSFORMS = {  # fn of the sample's fields -> code
    1: ['lambda a: a * 2', 'lambda a: (a, 1)', 'lambda a: str(type(a).__name__)'],
    2: ['lambda a, b: (b, a)', 'lambda a, b: a', 'lambda a, b: (a + 1, b)'],
    3: ['lambda a, b, c: (c, b)', 'lambda a, b, c: a'],
}
FILTERS = ['lambda s: True', 'lambda s: False', 'lambda s: len(repr(s)) % 2 == 0',
           'lambda s: isinstance(s, tuple)']


def g_dataset(n):
    for _ in range(n):
        r = R.rand()
        length = ri(0, 7) if R.rand() < 0.9 else ri(8, 12)
        inputs = []
        if r < 0.55:
            k = pick(1, 1, 2, 2, 3)
            srcs = [_array_source(i, length, inputs) for i in range(k)]
            if R.rand() < 0.12 and k > 1:      # one array of another length
                j = ri(0, k - 1)
                inputs[j] = inputs[j][:max(0, length - 1)] if length else np.zeros((1,), 'int64')
            lines = ['ds = gdata.ArrayDataset(%s)' % ', '.join(srcs)]
            fields = k
        elif r < 0.7:
            inputs.append(rand((length, 2), pick('float32', 'int32')))
            src = pick('list(x0)', 'x0', 'nd.array(x0, dtype=x0.dtype)', '[int(v) for v in x0[:, 0]]',
                       "[(int(a), 'ab'[int(a) % 2]) for a in x0[:, 0]]")
            lines = ['ds = gdata.SimpleDataset(%s)' % src]
            fields = 2 if src.startswith('[(') else 1
        elif r < 0.8:
            count = ri(0, 4)
            lines = ['w = mx.recordio.MXIndexedRecordIO(tmp + "/a.idx", tmp + "/a.rec", "w")']
            for j in range(count):
                payload = bytes(R.randint(0, 256, size=ri(0, 9)).astype(np.uint8).tolist())
                lines.append('w.write_idx(%d, %r)' % (pick(j, j * 3 + 1), payload))
            lines += ['w.close()', 'ds = gdata.RecordFileDataset(tmp + "/a.rec")']
            length, fields = count, 1
        else:
            inputs.append(rand((length, 2), 'float32'))
            inputs.append(rand((length,), 'int32'))
            lines = ['ds = gdata.ArrayDataset(x0, x1).transform_first(lambda a: a * 10, lazy=%s)'
                     % pick(True, False)]
            fields = 2
        # then a chain of derived datasets
        for _ in range(ri(0, 2)):
            op = R.rand()
            if op < 0.2:
                lines.append('ds = ds.transform(%s, lazy=%s)' % (pick(*TRANSFORMS[fields]), pick(True, False)))
                fields = None
                break
            if op < 0.35:
                lines.append('ds = ds.transform_first(lambda a: (a, 0), lazy=%s)' % pick(True, False))
            elif op < 0.5:
                lines.append('ds = ds.filter(%s)' % pick(*FILTERS))
            elif op < 0.7:
                shards = pick(1, 2, 3, 4, 0)
                lines.append('ds = ds.shard(%d, %d)' % (shards, pick(0, 1, 2, shards - 1, shards, -1)))
            elif op < 0.85:
                lines.append('ds = ds.take(%r)' % (pick(None, 0, 1, 3, 20, -1),))
            else:
                lines.append('ds = ds.sample(%s)' % pick('gdata.SequentialSampler(min(2, len(ds)))',
                                                         'gdata.SequentialSampler(1, len(ds) - 1)',
                                                         '[0]', 'gdata.RandomSampler(0)'))
        look = R.rand()
        if look < 0.5:
            lines.append('out = [len(ds), [ds[i] for i in range(len(ds))]]')
        elif look < 0.8:
            lines.append('out = [ds[%d] for _ in [0]]' % ri(-length - 2, length + 1))
        else:
            lines.append('out = [len(ds), list(ds)]')
        add('dataset', '\n'.join(lines), inputs)


# -- samplers ---------------------------------------------------------------------------------------

def g_sampler(n):
    for _ in range(n):
        r = R.rand()
        length = ri(0, 11)
        if r < 0.15:
            args = '%d' % length + (', %d' % ri(-3, 5) if R.rand() < 0.5 else '')
            add('sampler', 's = gdata.SequentialSampler(%s)\nout = [len(s), list(s), list(s)]' % args)
        elif r < 0.6:
            inner = pick('gdata.SequentialSampler(%d)' % length,
                         'gdata.SequentialSampler(%d, %d)' % (length, ri(0, 4)),
                         'IntervalSampler(%d, %d)' % (max(length, 1), ri(1, max(length, 1))),
                         'list(range(%d))' % length, 'range(%d)' % length)
            bs = pick(1, 2, 3, 4, 5, 13, 0) if R.rand() < 0.9 else pick(-1, 2.0, None)
            last = pick('keep', 'discard', 'rollover', 'rollover')
            epochs = ri(1, 4)
            add('sampler', 'b = gdata.BatchSampler(%s, %r, %r)\nout = []\nfor _ in range(%d):\n'
                '    out.append(len(b))\n    out.append(list(b))\nout.append(len(b))'
                % (inner, bs, last, epochs))
        elif r < 0.8:
            iv = ri(0, max(length, 1) + 1)
            roll = pick('', ', rollover=False', ', rollover=True', ', False')
            add('sampler', 's = IntervalSampler(%d, %d%s)\nout = [list(s), list(s), len(s)]' % (length, iv, roll))
        elif r < 0.9:
            inputs = [rand((length,), 'int32')]
            add('sampler', 's = gdata.FilterSampler(lambda v: v > 0, x0)\nout = [len(s), list(s)]', inputs)
        else:
            add('sampler', 's = gdata.RandomSampler(%d)\nout = [len(s), sorted(int(i) for i in s), '
                'sorted(int(i) for i in s) == list(range(%d))]' % (length, length))


# -- batchify ---------------------------------------------------------------------------------------

def _field(inputs, b):
    """Code of one field of a sample, as a function of the sample number ``j``; the inputs hold
    the values of all ``b`` samples."""
    i = len(inputs)
    kind = pick('np', 'nd', 'int', 'float', 'bool', 'npscalar', 'list', 'nest', 'str')
    if kind in ('np', 'nd'):
        dt = pick('float32', 'float64', 'int32', 'uint8', 'int64', 'float16', 'bool')
        shape = tuple(ri(1, 3) for _ in range(ri(0, 2)))
        arr = rand((b,) + shape, dt)
        if R.rand() < 0.1 and b > 1 and shape:     # ragged sample shapes
            inputs.append(arr)
            return 'x%d[j][..., :1 + (j %% 2)]' % i if kind == 'np' else \
                'nd.array(x%d[j][..., :1 + (j %% 2)], dtype=x%d.dtype)' % (i, i)
        inputs.append(arr)
        if kind == 'np':
            return 'x%d[j]' % i
        if R.rand() < 0.15:     # NDArrays of two dtypes in one batch
            return 'nd.array(x%d[j], dtype=(x%d.dtype if j %% 2 else "float64"))' % (i, i)
        return 'nd.array(x%d[j], dtype=x%d.dtype)' % (i, i)
    if kind == 'int':
        inputs.append(rand((b,), 'int64'))
        return 'int(x%d[j])' % i
    if kind == 'float':
        inputs.append(rand((b,), 'float64'))
        return pick('float(x%d[j])' % i, '(float(x%d[j]) if j else int(x%d[j]))' % (i, i))
    if kind == 'bool':
        inputs.append(rand((b,), 'bool'))
        return 'bool(x%d[j])' % i
    if kind == 'npscalar':
        inputs.append(rand((b,), pick('float32', 'int32', 'uint8', 'float16')))
        return 'x%d[j]' % i
    if kind == 'list':
        inputs.append(rand((b, 2), pick('float32', 'int64')))
        return pick('list(x%d[j])' % i, '[x%d[j][0], float(x%d[j][1])]' % (i, i))
    if kind == 'str':
        inputs.append(rand((b,), 'int32'))
        return 'str(x%d[j])' % i
    inner = [_field(inputs, b) for _ in range(ri(1, 2))]
    return pick('(%s,)' % ', '.join(inner), '[%s]' % ', '.join(inner), "{'k': %s}" % inner[0])


def g_batchify(n):
    for _ in range(n):
        b = ri(1, 4)
        inputs = []
        if R.rand() < 0.6:
            sample = '(%s,)' % ', '.join(_field(inputs, b) for _ in range(ri(1, 3)))
        else:
            sample = _field(inputs, b)
        fn = pick('gdata.dataloader.default_batchify_fn', 'gdata.dataloader.default_batchify_fn',
                  'gdata.dataloader.default_mp_batchify_fn')
        add('batchify', 'data = [%s for j in range(%d)]\nout = %s(data)' % (sample, b, fn), inputs)


# -- DataLoader -------------------------------------------------------------------------------------

def g_loader(n):
    for _ in range(n):
        length = ri(0, 9)
        inputs = [rand((length, 2), pick('float32', 'int32', 'uint8')), rand((length,), 'int64')]
        ds = pick('gdata.ArrayDataset(x0, x1)', 'gdata.ArrayDataset(nd.array(x0, dtype=x0.dtype))',
                  'gdata.ArrayDataset(x0, [int(v) for v in x1])', 'gdata.SimpleDataset(list(x1))',
                  'gdata.ArrayDataset(x0, x1).transform(lambda a, b: {"a": a, "b": b})',
                  'gdata.ArrayDataset(x0, x1).transform(lambda a, b: [a, b])')
        kw = {}
        r = R.rand()
        if r < 0.55:
            kw['batch_size'] = pick(1, 2, 3, 4, 10)
            if R.rand() < 0.6:
                kw['last_batch'] = pick('keep', 'discard', 'rollover')
            if R.rand() < 0.25:
                kw['sampler'] = pick('gdata.SequentialSampler(len(ds))',
                                     'gdata.SequentialSampler(max(0, len(ds) - 2), 2)',
                                     'IntervalSampler(max(1, len(ds)), 1)')
        elif r < 0.75:
            kw['batch_sampler'] = pick('gdata.BatchSampler(gdata.SequentialSampler(len(ds)), 3, "keep")',
                                       'gdata.BatchSampler(gdata.SequentialSampler(len(ds)), 2, "rollover")',
                                       '[[0, 0], [1]] if len(ds) > 1 else [[0]]', '[]')
        else:        # a bad or unusual combination
            kw = pick({}, {'batch_size': 2, 'batch_sampler': '[[0]]'},
                      {'batch_sampler': '[[0]]', 'last_batch': 'keep'},
                      {'batch_size': 2, 'shuffle': True, 'sampler': 'gdata.SequentialSampler(len(ds))'},
                      {'batch_sampler': '[[0]]', 'shuffle': True},
                      {'batch_size': 2, 'last_batch': 'bogus'},
                      {'batch_size': 0}, {'batch_size': 2, 'num_workers': -1},
                      {'batch_size': 2, 'timeout': 0}, {'batch_size': 2, 'prefetch': -3},
                      {'batch_size': 2, 'shuffle': False, 'sampler': 'gdata.SequentialSampler(len(ds))'})
        if 'num_workers' not in kw and R.rand() < 0.35:
            kw['num_workers'] = 2
            kw['thread_pool'] = pick(True, False)
        if R.rand() < 0.15:
            kw['batchify_fn'] = pick('lambda s: len(s)', 'lambda s: [type(t).__name__ for t in s]')
        code_kw = ', '.join('%s=%s' % (k, v if k in ('sampler', 'batch_sampler', 'batchify_fn')
                                       else repr(v)) for k, v in kw.items())
        code = ('ds = %s\nloader = gdata.DataLoader(ds%s)\nout = []\nfor _ in range(%d):\n'
                '    out.append(len(loader))\n    out.append(list(loader))'
                % (ds, ', ' + code_kw if code_kw else '', pick(1, 2)))
        if kw.get('shuffle'):
            code += '\nout = len(loader)'
        add('loader', code, inputs)
    for _ in range(max(1, n // 10)):    # shuffle: each epoch is a permutation of the samples
        length = ri(1, 9)
        add('loader', 'loader = gdata.DataLoader(gdata.SimpleDataset(list(range(%d))), batch_size=%d, '
            'shuffle=True, last_batch=%r)\nout = [len(loader), sorted(v for b in loader for v in '
            'b.asnumpy().tolist())]' % (length, ri(1, 4), 'keep'))


# -- vision transforms ------------------------------------------------------------------------------

def image(dtype=None, batch=None, small=False):
    dt = dtype or pick('uint8', 'uint8', 'float32', 'float64', 'int32', 'float16')
    h, w = (ri(1, 5), ri(1, 5)) if small else (ri(1, 9), ri(1, 9))
    c = pick(1, 3, 3, 4)
    shape = ((ri(1, 2),) if batch else ()) + (h, w, c)
    a = rand(shape, dt)
    if np.dtype(dt).kind == 'f':
        a = np.abs(a * 40).astype(dt)
    return a


def _transform_code():
    """(code of one deterministic transform, whether it wants CHW float input, needs HWC)."""
    r = R.rand()
    if r < 0.2:
        return 'T.ToTensor()', 'hwc'
    if r < 0.35:
        mean = pick(0.5, (0.1, 0.2, 0.3), (1.0,), 2)
        std = pick(0.5, (0.2, 0.3, 0.4), (2.0,), 1)
        return 'T.Normalize(%r, %r)' % (mean, std), 'chw'
    if r < 0.6:
        size = pick(ri(1, 8), (ri(1, 8), ri(1, 8)), [ri(1, 8), ri(1, 8)])
        args = '%r' % (size,)
        if R.rand() < 0.5:
            args += ', keep_ratio=%r' % pick(True, False)
        if R.rand() < 0.6:
            args += ', interpolation=%d' % pick(0, 1, 2, 3, 4)
        return 'T.Resize(%s)' % args, 'hwc'
    if r < 0.72:
        size = pick(ri(1, 6), (ri(1, 6), ri(1, 6)))
        return 'T.CenterCrop(%r%s)' % (size, pick('', ', interpolation=%d' % pick(0, 1, 2))), 'hwc'
    if r < 0.86:
        x, y, w, h = ri(0, 2), ri(0, 2), ri(1, 4), ri(1, 4)
        extra = pick('', ', size=%r' % (pick(ri(1, 6), (ri(1, 6), ri(1, 6))),),
                     ', size=(3, 2), interpolation=%d' % pick(0, 1, 2))
        return 'T.CropResize(%d, %d, %d, %d%s)' % (x, y, w, h, extra), 'hwc'
    return 'T.Cast(%r)' % pick('float32', 'float64', 'int32', 'uint8', 'float16'), 'any'


def g_transforms(n):
    for _ in range(n):
        r = R.rand()
        if r < 0.2:
            x = image(batch=R.rand() < 0.4)
            code = 'out = T.ToTensor()(nd.array(x0, dtype=x0.dtype))'
        elif r < 0.35:
            batch = R.rand() < 0.4
            x = image(dtype=pick('float32', 'float64', 'float16', 'uint8'), batch=batch)
            x = np.moveaxis(x, -1, -3).copy()       # CHW / NCHW
            mean = pick(0.5, (0.1, 0.2, 0.3), (1.0,), 2, (0.1, 0.2), (0.1, 0.2, 0.3, 0.4))
            std = pick(0.5, (0.2, 0.3, 0.4), (2.0,), 1, (0.5, 0.25, 0.125, 2.0))
            code = 'out = T.Normalize(%r, %r)(nd.array(x0, dtype=x0.dtype))' % (mean, std)
        elif r < 0.75:
            t, _ = _transform_code()
            while _ != 'hwc':
                t, _ = _transform_code()
            x = image(batch=R.rand() < 0.3)
            hyb = 'T.Resize' in t or 'T.CropResize' in t
            if hyb and R.rand() < 0.4:
                code = ('net = mx.gluon.nn.HybridSequential()\nnet.add(%s)\nnet.hybridize()\n'
                        'out = net(nd.array(x0, dtype=x0.dtype))' % t)
            else:
                code = 'out = %s(nd.array(x0, dtype=x0.dtype))' % t
        elif r < 0.85:
            x = image()
            code = 'out = T.Cast(%r)(nd.array(x0, dtype=x0.dtype))' % pick(
                'float32', 'float64', 'int32', 'uint8', 'float16')
        else:      # a chain: spatial transforms on HWC, then ToTensor, then Normalize
            x = image(dtype='uint8', batch=R.rand() < 0.2)
            steps = [_transform_code()[0] for _ in range(ri(0, 2))]
            steps = [s for s in steps if s.startswith(('T.Resize', 'T.CropResize', 'T.Cast'))]
            steps += ['T.ToTensor()'] + (['T.Normalize(0.5, 0.25)'] if R.rand() < 0.6 else [])
            if R.rand() < 0.5:
                code = 'net = T.Compose([%s])\nout = net(nd.array(x0, dtype=x0.dtype))' % ', '.join(steps)
            else:
                code = ('net = mx.gluon.nn.HybridSequential()\nnet.add(%s)\nnet.hybridize()\n'
                        'out = net(nd.array(x0, dtype=x0.dtype))' % ', '.join(steps))
        add('transforms', code, [x])


def g_image(n):
    for _ in range(n):
        x = image(dtype=pick('uint8', 'uint8', 'float32'))
        h, w = x.shape[:2]
        interp = pick('', ', interp=%d' % pick(0, 1, 2, 3, 4))
        r = R.rand()
        if r < 0.2:
            code = 'out = mx.image.imresize(src, %d, %d%s)' % (ri(1, 9), ri(1, 9), interp)
        elif r < 0.35:
            code = 'out = mx.image.center_crop(src, %r%s)' % ((ri(1, 10), ri(1, 10)), interp)
        elif r < 0.5:
            x0, y0 = ri(0, w - 1), ri(0, h - 1)
            size = pick('', ', size=%r' % ((ri(1, 6), ri(1, 6)),))
            code = 'out = mx.image.fixed_crop(src, %d, %d, %d, %d%s%s)' % (
                x0, y0, ri(1, w - x0), ri(1, h - y0), size, interp if size else '')
        elif r < 0.65:
            x = x.astype(np.float32)
            mean = pick('nd.array([1.0, 2.0, 3.0])', 'nd.array([5.0])', '4.0')
            std = pick('', ', nd.array([2.0, 0.5, 1.0])', ', nd.array([2.0])', ', None', ', 0.5')
            code = 'out = mx.image.color_normalize(src, %s%s)' % (mean, std)
        elif r < 0.8:
            code = 'out = mx.image.resize_short(src, %d%s)' % (ri(1, 9), interp)
        else:
            t, b, l, rr = ri(0, 3), ri(0, 3), ri(0, 3), ri(0, 3)
            extra = pick('', ', type=%d' % pick(0, 1, 2, 3, 4), ', type=0, value=7',
                         ', type=0, values=(1.0, 2.0, 3.0)')
            code = 'out = mx.image.copyMakeBorder(src, %d, %d, %d, %d%s)' % (t, b, l, rr, extra)
        add('image', 'src = nd.array(x0, dtype=x0.dtype)\n' + code, [x])


GROUPS = {'dataset': (g_dataset, 1.5), 'sampler': (g_sampler, 1.0), 'batchify': (g_batchify, 1.2),
          'loader': (g_loader, 1.0), 'transforms': (g_transforms, 2.0), 'image': (g_image, 1.0)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ------------------------------------------------------------

def run_case(mx, c, inputs, tmp):
    contrib = getattr(mx.gluon.contrib, 'data', None)
    env = {'mx': mx, 'nd': mx.nd, 'np': np, 'gdata': mx.gluon.data,
           'T': mx.gluon.data.vision.transforms, 'tmp': tmp,
           'IntervalSampler': getattr(contrib, 'IntervalSampler', None)}
    env.update({'x%d' % i: inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])})
    exec(c['code'], env)
    arrays = []
    struct = _fuzz.structure(mx, env['out'], arrays)
    res = {'struct': np.array(struct)}
    res.update({'a%d' % i: a for i, a in enumerate(arrays)})
    return res


def child(backend, casedir, start, args=None):
    """The child process: every case from ``start`` with an empty folder ``tmp`` of its own."""
    def run(mx, c, inputs):
        if backend == 'mxnet':
            import mxnet.gluon.contrib.data  # noqa: F401 -- IntervalSampler
        tmp = os.path.join(casedir, 'tmp', backend, c['key'])
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        return run_case(mx, c, inputs, tmp)
    _fuzz.run_cases(backend, casedir, start, run)


# -- comparison -------------------------------------------------------------------------------------

# float16 inputs (ToTensor, Cast): MXNet computes in float16 and returns float32, so float16's
# tolerance for every float.
TOL_FLOAT16 = {'float16': (2e-2, 2e-2), 'float32': (2e-2, 2e-2), 'float64': (2e-2, 2e-2)}


def check(c, m, o):
    """``_fuzz.check_case`` with error classes compared, after the structure strings."""
    if 'error' not in m and 'error' not in o and str(m['struct']) != str(o['struct']):
        return 'diff', 'structure ours %s mx %s' % (o['struct'], m['struct'])
    kind, msg = _fuzz.check_case(m, o, TOL_FLOAT16 if 'float16' in c['code'] + str(c['dtypes'])
                                 else None, error_class=True)
    return kind, msg if kind != 'diff' else msg[:1500]


def compare(casedir):
    """The report (``_fuzz.compare_cases``)."""
    return _fuzz.compare_cases(casedir, check)


def main():
    _fuzz.main(__doc__, __file__, generate, child, compare, n=60, timeout=120)


if __name__ == '__main__':
    main()
