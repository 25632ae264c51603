"""Differential fuzzer of the ``mx.io`` data iterators: random (seeded) snippets that build
``NDArrayIter``, ``ResizeIter``, ``PrefetchingIter`` and ``CSVIter`` and read them for a few
epochs under MXNet 1.9.1 and under minigluon, compared batch by batch (data and label arrays with
kind, dtype, shape and values, ``pad``, ``index``, the ``provide_data`` / ``provide_label``
DataDescs with name, shape, dtype and layout, and raise/no-raise with the error class).

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_io_iters.py /tmp/io-fuzz --seed 1 [--groups ndarray,csv] [--n 190]
                                   [--timeout 120] [--mx-python /opt/mxvenv/bin/python]

A case is ``code``: Python statements run with ``mx``, ``nd``, ``np``, ``tmp`` (an empty folder
of the case's own), the inputs ``x0, x1...`` (NumPy arrays) and the helpers below bound, which
set ``out``. ``dump(it, epochs, style, reset)`` reads ``epochs`` epochs of ``it`` (``style``
``'next'``: ``for batch in it``, reading ``batch.data / label / pad / index``; ``'manual'``:
``iter_next()`` then ``getdata() / getlabel() / getpad() / getindex()``), calling ``it.reset()``
(or ``it.hard_reset()``) after each; every array is copied when it is read (MXNet's native
iterators reuse their output buffers). ``descs(list)`` gives the DataDescs as
``(name, shape, dtype name, layout)``. ``write_csv(path, rows)`` writes a CSV file.
``shuffle=True`` is compared as a permutation only (the sorted sample ids of each epoch).

Groups: ndarray (NDArrayIter: one array, a list, a dict; NumPy or NDArray inputs of several
dtypes; 1-D to 4-D; label None; every ``last_batch_handle`` over several epochs; ``data_name`` /
``label_name``; ``layout``), shuffle, resize (ResizeIter with sizes below and above the inner
epoch, ``reset_internal``), prefetch (PrefetchingIter over one or two NDArrayIters, with
``rename_data`` / ``rename_label``), csv (CSVIter: ``data_shape``, ``label_shape``, a label file
or none, ``batch_size``, ``round_batch``, ``dtype``), bad (bad arguments of all of them).

The report (``tools/_fuzz.py``) gives per group the cases, compared, equal, known and rejected by
MXNet, then every other difference. Known differences (counted, not printed; each documented in
docs/PORTING.md's "Where minigluon deliberately differs", the File iterators paragraph or the
docstrings): ``clear-error`` -- bad arguments (unknown ``last_batch_handle``, lengths that
differ, batch sizes that are not positive ints, data that is not an array, ResizeIter sizes
that are not ints >= 0, rename lists that do not fit, a batch read before ``iter_next``) that
MXNet accepts, loops on or fails on with another error, where minigluon raises an error naming
the iterator and argument; ``roll-over-big-batch`` -- ``'roll_over'`` with a batch larger than
the data (MXNet: an empty epoch or a slicing error); ``manual-short-batch`` -- MXNet's
``iter_next`` / ``getdata`` give the short last batch with ``'discard'`` / ``'roll_over'``;
``csv-dtype`` -- CSVIter float16 / float64 (MXNet refuses); ``csv-big-batch`` -- a CSVIter
batch larger than the data with ``round_batch=True`` (MXNet fails or skips rows);
``csv-filler`` -- the filler rows of ``round_batch=False`` where MXNet's are uninitialised;
``mx-first-batch`` -- MXNet's ``iter_next`` repeats a native iterator's first batch until
``next()`` ran. Found and fixed: ``tests/test_io_iters_fuzz_regressions.py``.
"""
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402


# -- reading an iterator's epochs (shared by tools/gen_io_iters_fuzz_fixtures.py and
#    tests/test_io_iters_fuzz_regressions.py, which replay MXNet's batches) -----------------------
def seven(mx, last):
    """``NDArrayIter`` over the 7 numbers 0..6 in batches of 3 (a short last batch)."""
    return mx.io.NDArrayIter(np.arange(7, dtype=np.float32), batch_size=3, last_batch_handle=last)


def epochs_by_next(it, epochs=2):
    """``[[data as a list, pad] per batch] per epoch``, read with ``for batch in it``."""
    out = []
    for _ in range(epochs):
        out.append([[b.data[0].asnumpy().tolist(), b.pad] for b in it])
        it.reset()
    return out


def epochs_by_iter_next(it, epochs=2):
    """The same, read with ``iter_next()`` / ``getdata()`` / ``getpad()``."""
    out = []
    for _ in range(epochs):
        ep = []
        while it.iter_next():
            ep.append([it.getdata()[0].asnumpy().tolist(), it.getpad()])
        out.append(ep)
        it.reset()
    return out
from _fuzz import R, add_case as add, pick, ri  # noqa: E402

DTYPES = ('float32', 'float32', 'float16', 'float64', 'int32', 'int64', 'uint8')


def rand(shape, dtype):
    """Values that every dtype holds exactly (small integers, halves for floats)."""
    if np.dtype(dtype).kind == 'f':
        return (R.randint(-40, 40, size=shape) / 2).astype(dtype)
    if dtype == 'uint8':
        return R.randint(0, 256, size=shape).astype(dtype)
    return R.randint(-50, 50, size=shape).astype(dtype)


def _array(inputs, n, dims=None, dtype=None, kind=None):
    """The code of one array argument of ``n`` samples, its input appended to ``inputs``."""
    dims = ri(0, 3) if dims is None else dims
    shape = (n,) + tuple(ri(1, 3) for _ in range(dims))
    dtype = dtype or pick(*DTYPES)
    i = len(inputs)
    inputs.append(rand(shape, dtype))
    kind = kind or pick('np', 'nd', 'nd')
    return 'x%d' % i if kind == 'np' else 'nd.array(x%d, dtype=x%d.dtype)' % (i, i)


def _arrays(inputs, n, allow_none=False):
    """The code of a ``data`` / ``label`` argument: one array, a list or a dict (or None)."""
    form = pick('one', 'one', 'list1', 'list', 'dict', 'none' if allow_none else 'one')
    if form == 'none':
        return 'None'
    if form == 'one':
        return _array(inputs, n)
    if form == 'list1':
        return '[%s]' % _array(inputs, n)
    if form == 'list':
        return '[%s]' % ', '.join(_array(inputs, n) for _ in range(ri(2, 3)))
    names = [pick('b', 'a', 'data', 'img', 'z_label', 'x') for _ in range(ri(1, 3))]
    return '{%s}' % ', '.join('%r: %s' % (k, _array(inputs, n)) for k in dict.fromkeys(names))


def _ndarray_iter(inputs, n=None, bs=None, last=None, extra=True):
    """The code of an NDArrayIter over fresh inputs."""
    n = ri(1, 9) if n is None else n
    bs = pick(1, 2, 3, 4, ri(1, n + 3)) if bs is None else bs
    last = last or pick('pad', 'discard', 'roll_over')
    args = [_arrays(inputs, n), _arrays(inputs, n, allow_none=True), 'batch_size=%d' % bs]
    if last != 'pad' or R.rand() < 0.5:
        args.append('last_batch_handle=%r' % last)
    if extra:
        if R.rand() < 0.2:
            args.append('shuffle=False')
        if R.rand() < 0.25:
            args.append('data_name=%r' % pick('img', 'x', 'data'))
        if R.rand() < 0.25:
            args.append('label_name=%r' % pick('lab', 'y', 'softmax_label'))
    return 'mx.io.NDArrayIter(%s)' % ', '.join(args)


def _dump(epochs=None):
    return 'out = dump(it, %d, %r, %r)' % (ri(1, 3) if epochs is None else epochs,
                                         pick('next', 'manual'), pick('reset', 'reset', 'hard_reset'))


def g_ndarray(n):
    for _ in range(n):
        inputs = []
        it = _ndarray_iter(inputs)
        if R.rand() < 0.1:
            # a layout whose batch axis is first (other layouts are a documented difference)
            it = it[:-1] + ', layout=%r)' % pick('NC', 'NTC', 'NCHW')
        code = 'it = %s\n' % it
        if R.rand() < 0.15:
            code += 'out = [it.batch_size, descs(it.provide_data), descs(it.provide_label)]'
        else:
            code += _dump().replace('hard_reset', pick('hard_reset', 'reset'))
        add('ndarray', code, inputs)


def g_shuffle(n):
    for _ in range(n):
        size = ri(1, 10)
        bs = ri(1, size + 2)
        last = pick('pad', 'discard')
        inputs = [np.arange(size, dtype=np.float32).reshape(size, 1) * pick(1, -1)]
        code = ('it = mx.io.NDArrayIter(x0, x0[:, 0], batch_size=%d, shuffle=True, '
                'last_batch_handle=%r)\nout = []\n'
                'for e in range(%d):\n'
                '    ids = []\n'
                '    for b in it:\n'
                '        ids += b.data[0][:%d - b.pad, 0].asnumpy().tolist()\n'
                '        assert (b.data[0][:, 0] == b.label[0]).asnumpy().all()\n'
                '        out.append(b.pad)\n'
                '    out.append(%s)\n'
                '    it.reset()' % (bs, last, ri(1, 3), bs,
                                   # 'discard' drops random samples: their number, all distinct
                                   'sorted(ids)' if last == 'pad' else '[len(ids), len(set(ids))]'))
        add('shuffle', code, inputs)


def g_resize(n):
    for _ in range(n):
        inputs = []
        inner = _ndarray_iter(inputs, n=ri(1, 8), extra=False)
        size = pick(0, 1, 2, 3, ri(1, 9))
        reset = pick('', ', reset_internal=True', ', reset_internal=False')
        code = 'it = mx.io.ResizeIter(%s, %d%s)\n' % (inner, size, reset)
        if R.rand() < 0.2:
            code += 'out = [it.batch_size, descs(it.provide_data), descs(it.provide_label)]'
        else:
            code += _dump(ri(1, 3)).replace('hard_reset', 'reset')
        add('resize', code, inputs)


def g_prefetch(n):
    for _ in range(n):
        inputs = []
        k = pick(1, 1, 2)
        size, bs = ri(1, 8), None
        bs = pick(1, 2, 3, ri(1, size + 1))
        last = pick('pad', 'discard', 'roll_over' if bs <= size else 'pad')
        iters = []
        for _ in range(k):
            data = _array(inputs, size, dims=ri(0, 2))
            label = pick('None', _array(inputs, size, dims=0))
            iters.append('mx.io.NDArrayIter(%s, %s, batch_size=%d, last_batch_handle=%r)'
                         % (data, label, bs, last))
        rename = ''
        if k == 2 or R.rand() < 0.3:
            if R.rand() < 0.7:
                rename += ', rename_data=[%s]' % ', '.join(
                    "{'data': %r}" % pick('a%d' % j, 'img%d' % j) for j in range(k))
            if R.rand() < 0.5:
                rename += ', rename_label=[%s]' % ', '.join(
                    "{'softmax_label': 'lab%d'}" % j for j in range(k))
        src = iters[0] if k == 1 and R.rand() < 0.5 else '[%s]' % ', '.join(iters)
        code = 'it = mx.io.PrefetchingIter(%s%s)\n' % (src, rename)
        if R.rand() < 0.2:
            code += 'out = [it.batch_size, descs(it.provide_data), descs(it.provide_label)]'
        else:
            code += _dump(ri(1, 3)).replace('hard_reset', 'reset')
        add('prefetch', code, inputs)


def g_csv(n):
    for _ in range(n):
        rows = ri(1, 9)
        dshape = pick((1,), (2,), (3,), (2, 2), (1, 3), (2, 1, 2))
        dtype = pick(None, None, 'float32', 'int32', 'int64', 'float64', 'float16')
        kind = 'int32' if dtype in ('int32', 'int64') else 'float32'
        inputs = [rand((rows, int(np.prod(dshape))), kind)]
        lines = ['write_csv(tmp + "/d.csv", x0)']
        args = ['data_csv=tmp + "/d.csv"', 'data_shape=%r' % (dshape,)]
        if R.rand() < 0.6:
            lshape = pick((1,), (1,), (2,), (3,))
            inputs.append(rand((rows, int(np.prod(lshape))), kind))
            lines.append('write_csv(tmp + "/l.csv", x1)')
            args.append('label_csv=tmp + "/l.csv"')
            if lshape != (1,) or R.rand() < 0.3:
                args.append('label_shape=%r' % (lshape,))
        bs = pick(1, 2, 3, 4, ri(1, rows))
        args.append('batch_size=%d' % bs)
        if R.rand() < 0.6:
            args.append('round_batch=%s' % pick(True, False))
        if dtype:
            args.append('dtype=%r' % dtype)
        lines.append('it = mx.io.CSVIter(%s)' % ', '.join(args))
        if R.rand() < 0.15:
            lines.append('out = [it.batch_size, descs(it.provide_data), descs(it.provide_label)]')
        else:
            dump = _dump(ri(1, 3)).replace('hard_reset', 'reset')
            if "'manual'" in dump and R.rand() < 0.85:
                # MXNet's iter_next() repeats the first batch forever until next() took it
                # (known: mx-first-batch), and a reset() before that skips the first row:
                # a first epoch read with next(), then the manual ones
                dump = dump.replace('out = dump(', 'out = dump(it, 1) + dump(')
            lines.append(dump)
        add('csv', '\n'.join(lines), inputs)


def g_bad(n):
    for _ in range(n):
        inputs = [rand((4, 2), 'float32'), rand((4,), 'float32'), rand((3,), 'float32')]
        r = R.rand()
        if r < 0.45:
            arg = pick('batch_size=0', 'batch_size=-1', 'batch_size=2.5', "batch_size='2'",
                       "last_batch_handle='keep'", "last_batch_handle='PAD'", 'label=x2',
                       'label=[x1, x2]', 'data_name=None', "label_name=''", 'batch_size=None',
                       "last_batch_handle='roll_over', batch_size=5", 'shuffle=None')
            data = pick('x0', 'x0', 'None', '[]', '{}', '3.0', '[[1, 2], [3, 4]]', "'abc'")
            args = [data] + ([] if 'label=' in arg else ['x1']) + [arg]
            code = 'it = mx.io.NDArrayIter(%s)\n%s' % (', '.join(args), _dump(1))
        elif r < 0.6:
            size = pick('-1', '2.5', "'3'", 'None', '0')
            code = ('it = mx.io.ResizeIter(mx.io.NDArrayIter(x0, x1, batch_size=2), %s)\n%s'
                    % (size, _dump(1)))
        elif r < 0.75:
            arg = pick('[]', '[mx.io.NDArrayIter(x0, batch_size=2)], rename_data=[]',
                       "mx.io.NDArrayIter(x0, batch_size=2), rename_data=[{'x': 'y'}]",
                       '[mx.io.NDArrayIter(x0, batch_size=2), mx.io.NDArrayIter(x0, batch_size=1)]',
                       '[mx.io.NDArrayIter(x0, batch_size=2), mx.io.NDArrayIter(x0, batch_size=3)]')
            code = 'it = mx.io.PrefetchingIter(%s)\n%s' % (arg, _dump(1))
        elif r < 0.85:
            code = ('it = mx.io.NDArrayIter(x0, x1, batch_size=2)\n'
                    'out = [%s]' % pick('it.getdata()', 'it.getlabel()', 'it.getpad()',
                                        'it.getindex()', 'it.iter_next(), it.iter_next(), '
                                        'it.iter_next(), it.getdata()'))
        else:
            arg = pick('data_shape=(3,)', 'data_shape=(2,), batch_size=0', 'data_shape=(2,)',
                       'data_shape=(2,), batch_size=2, dtype="uint8"',
                       'data_shape=(2,), batch_size=2, label_csv=tmp + "/none.csv"',
                       'data_shape=(2,), batch_size=2, label_csv=tmp + "/d.csv", label_shape=(3,)')
            code = ('write_csv(tmp + "/d.csv", x0)\nit = mx.io.CSVIter(data_csv=tmp + "/d.csv", %s)\n%s'
                    % (arg, _dump(1)))
        add('bad', code, inputs)


GROUPS = {'ndarray': (g_ndarray, 3.0), 'shuffle': (g_shuffle, 0.5), 'resize': (g_resize, 1.0),
          'prefetch': (g_prefetch, 1.0), 'csv': (g_csv, 1.5), 'bad': (g_bad, 1.0)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ------------------------------------------------------------

class Copied:
    """An NDArray copied to NumPy when it was read (its dtype and shape kept)."""

    def __init__(self, value):
        self.value = value.asnumpy().copy()


def helpers(mx):
    """The helper functions of a case's code, for framework ``mx``."""

    def copy(obj):
        if isinstance(obj, mx.nd.NDArray):
            return Copied(obj)
        if isinstance(obj, np.ndarray):
            return obj.copy()
        if isinstance(obj, (list, tuple)):
            return type(obj)(copy(o) for o in obj)
        return obj

    def descs(lst):
        if lst is None:
            return None
        return [(d.name, tuple(d.shape), np.dtype(getattr(d, 'dtype', 'float32')).name,
                 getattr(d, 'layout', None)) for d in lst]

    def dump(it, epochs=1, style='next', reset='reset'):
        out = [descs(it.provide_data), descs(it.provide_label)]
        for _ in range(epochs):
            batches = []
            if style == 'next':
                for b in it:
                    batches.append([copy(b.data), copy(b.label), b.pad, copy(b.index)])
                    if len(batches) > 40:
                        break
            else:
                while it.iter_next():
                    batches.append([copy(it.getdata()), copy(it.getlabel()), it.getpad(),
                                    copy(it.getindex())])
                    if len(batches) > 40:
                        break
            out.append(batches)
            getattr(it, reset)()
        return out

    def write_csv(path, rows):
        with open(path, 'w') as f:
            for row in rows:
                f.write(','.join(str(v.item()) for v in row) + '\n')

    return {'dump': dump, 'descs': descs, 'write_csv': write_csv}


def _copied(obj):
    """A :class:`Copied` value's description and array, for :func:`_fuzz.structure`."""
    if isinstance(obj, Copied):
        return 'ND(%s%s)' % (obj.value.dtype.name, obj.value.shape), obj.value
    return None


def run_case(mx, c, inputs, tmp):
    env = {'mx': mx, 'nd': mx.nd, 'np': np, 'tmp': tmp}
    env.update(helpers(mx))
    env.update({'x%d' % i: inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])})
    try:
        exec(c['code'], env)
    finally:
        close = getattr(env.get('it'), 'close', None)
        if close is not None:       # minigluon's PrefetchingIter threads
            close()
    arrays = []
    struct = _fuzz.structure(mx, env['out'], arrays, _copied)
    res = {'struct': np.array(struct)}
    res.update({'a%d' % i: a for i, a in enumerate(arrays)})
    return res


def child(backend, casedir, start, args=None):
    """The child process: every case from ``start`` with an empty folder ``tmp`` of its own."""
    def run(mx, c, inputs):
        tmp = os.path.join(casedir, 'tmp', backend, c['key'])
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        return run_case(mx, c, inputs, tmp)
    _fuzz.run_cases(backend, casedir, start, run, quiet=True)


# -- comparison -------------------------------------------------------------------------------------

def check(c, m, o):
    """The structure strings, then ``_fuzz.check_case`` exactly (every value is exact) with
    error classes compared."""
    if 'error' not in m and 'error' not in o and str(m['struct']) != str(o['struct']):
        return 'diff', 'structure ours %s\n      mx   %s' % (str(o['struct'])[:1500],
                                                           str(m['struct'])[:1500])
    kind, msg = _fuzz.check_case(m, o, {}, error_class=True)
    return kind, msg if kind != 'diff' else msg[:1500]


def known(c, m, o, kind):
    """The tag of a documented difference, or None."""
    code, mx_error = c['code'], str(m.get('error', ''))
    ours_error = str(o.get('error', ''))
    if kind in ('ours-error', 'error-class') and "needs batch_size <= the number" in ours_error:
        return 'roll-over-big-batch'
    if kind in ('ours-error', 'error-class') and ours_error.split(': ')[1:2] and \
            ours_error.split(': ')[1].rstrip(':') in ('NDArrayIter', 'ResizeIter', 'PrefetchingIter',
                                                       'CSVIter'):
        return 'clear-error'
    if kind in ('mx-error-ours-ok', 'error-class') and 'is not supported for CSVIter' in mx_error:
        return 'csv-dtype'
    if kind == 'diff' and 'NDArrayIter' in code and "'manual'" in code and \
            ("'discard'" in code or "'roll_over'" in code):
        return 'manual-short-batch'
    if 'CSVIter' in code and 'round_batch=False' not in code and 'batch_size=' in code and \
            int(code.split('batch_size=')[1].split(',')[0].split(')')[0]) > c['shapes'][0][0]:
        return 'csv-big-batch'
    if kind == 'diff' and 'CSVIter' in code and 'round_batch=False' in code and \
            'structure' not in o.get('msg', '') and str(m['struct']) == str(o['struct']):
        return 'csv-filler'
    if kind == 'diff' and 'CSVIter' in code and "'manual'" in code and \
            'dump(it, 1) +' not in code and str(m['struct']).count('ND(') > 80:
        return 'mx-first-batch'
    return None


def compare(casedir):
    """The report (``_fuzz.compare_cases``)."""
    return _fuzz.compare_cases(casedir, check, known)


def main():
    _fuzz.main(__doc__, __file__, generate, child, compare, n=190, timeout=120)


if __name__ == '__main__':
    main()
