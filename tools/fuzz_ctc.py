"""Differential fuzzer of the CTC surface: random (seeded) CTC calls under MXNet 1.9.1 and under
minigluon, compared loss by loss and gradient by gradient.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_ctc.py /tmp/ctc-fuzz --seed 1 [--groups op,gluon,bad] [--n 1000]
                              [--timeout 120] [--compare-only]

``MXNET_PYTHON`` names the MXNet 1.9.1 interpreter (default ``/opt/mxvenv/bin/python``).

Groups:

* ``op``: ``nd.ctc_loss``, ``nd.CTCLoss``, ``nd.contrib.ctc_loss``, ``nd.contrib.CTCLoss`` (all
  four exist in 1.9.1) with ``use_data_lengths`` / ``use_label_lengths``, ``blank_label``
  'first' / 'last' (rows padded with 0 / -1), ``T`` from 1 to 30, ``N`` from 1 to 4, alphabets of
  1 to 7 classes (blank included), repeated labels, empty labels, labels as wide as ``T``,
  infeasible samples, ``data_lengths`` of 0, float32 / float64 data, integer and float labels,
  large logits, ``-inf`` and NaN activations.
* ``gluon``: ``gluon.loss.CTCLoss`` with ``layout`` NTC / TNC, ``label_layout`` NT / TN,
  ``weight``, ``sample_weight`` of shape (N,) or (N, 1), ``pred_lengths`` / ``label_lengths``, run
  eagerly, hybridized, or hybridized, exported and re-imported with ``SymbolBlock.imports``. Every
  floating input gets a gradient buffer: labels, lengths and weights must receive none.
* ``bad``: wrong ranks, batch sizes that disagree, lengths beyond ``T`` / ``L``, negative or
  fractional lengths, negative labels other than the padding value, labels equal to the blank or
  beyond the alphabet, length arrays of the wrong shape (operator and block). MXNet may read out of
  bounds on these, so each ``bad`` case runs in a process of its own.

Each case is ``code`` (Python run with the inputs bound as ``x0, x1...`` and ``nd``, ``mx``,
``np``, ``gluon``, ``reimport`` that sets ``out``), ``wrt`` (inputs given a gradient buffer; the
gradient of ``sum(out * w)`` for a random ``w`` is recorded), ``nograd`` (labels and lengths: their
gradient must be zero) and ``expect``, what the generator knows about the case:

* ``ok``: valid and feasible: loss and gradients must agree with MXNet's.
* ``big`` (activations scaled by 30 to 3000), ``neginf`` (some ``-inf`` activations): compared
  too. MXNet computes in float32 and loses precision with large activations; an ``op`` case that
  differs is also computed by :func:`reference` (float64) to say which side is right.
* ``infeasible`` (a sample needs more frames than it has: MXNet returns loss 0 and uninitialised
  gradient memory, minigluon ``+inf`` and a zero gradient), ``empty0`` (an empty label over 0
  frames: probability 1; MXNet returns garbage or aborts): those samples are checked against their
  known values, the others compared.
* ``allempty`` (every label of the batch empty: MXNet returns uninitialised memory): minigluon is
  checked against ``-sum log softmax(x)[blank]`` computed here.
* ``nan`` (a NaN activation), ``sw_n1`` (a (N, 1) ``sample_weight``: MXNet broadcasts to (N, N)):
  only counted.
* ``float64``, ``wide`` (label wider than ``T``), ``len_dtype`` (lengths in another dtype than
  data / label): MXNet 1.9.1 refuses them, minigluon computes.
* ``bad:<kind>``: invalid input, minigluon must raise (the report lists MXNet's outcome: it raises,
  crashes, or computes garbage, and every error message).

The run, crash/hang resume and batching follow ``tools/fuzz_nd_ops.py``; the report (stdout) gives
per group and ``expect`` the counts and every case that does not behave as its ``expect`` says.
The first 3000-case run (seed 11, about 40 minutes on two cores) found no difference on valid input
beyond MXNet's float32 imprecision and the faults above; the fixes and MXNet's faults are pinned by
``tools/gen_ctc_fuzz_fixtures.py`` (MXNet-made data in ``tests/fixtures/ctc_fuzz``) and
``tests/loss/test_ctc_fuzz_regressions.py``.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz as base  # noqa: E402  (the shared fuzzing module: ROOT, PYTHONS, close)

R = None
CASES, VALUES = [], {}
PATHS = ['ctc_loss', 'CTCLoss', 'contrib.ctc_loss', 'contrib.CTCLoss']
LABEL_DTYPES = ['float32', 'float32', 'int32', 'int64', 'float64']
LENGTH_DTYPES = ['float32', 'int32', 'int64']
# Valid input MXNet 1.9.1 refuses: float64 data, a label wider than T, lengths of another dtype
# than data (data_lengths) or label (label_lengths), a label of width 0 (size-0 arrays).
MX_REJECTS = ('float64', 'wide', 'len_dtype', 'allempty')


def ri(lo, hi):
    """A random int in [lo, hi]."""
    return int(R.randint(lo, hi + 1))


def pick(*options):
    return options[R.randint(len(options))]


def add(group, expect, code, inputs, wrt=(), nograd=(), **info):
    """Record a case; ``wrt`` keeps the floating inputs; ``nograd`` are the inputs (labels,
    lengths) that must receive no gradient; ``info``: ``n_axis`` (the batch axis of ``x0``) and
    per-sample lists ``infeasible`` / ``empty0`` (see :func:`classify`)."""
    key = 'c%d' % len(CASES)
    for i, x in enumerate(inputs):
        VALUES['%s_in%d' % (key, i)] = x
    CASES.append(dict({'key': key, 'group': group, 'expect': expect, 'code': code,
                       'n_in': len(inputs), 'wrt': [i for i in wrt if inputs[i].dtype.kind == 'f'],
                       'nograd': list(nograd), 'dtypes': [str(x.dtype) for x in inputs],
                       'shapes': [list(x.shape) for x in inputs]}, **info))


# -- valid problems ------------------------------------------------------------------------------

def frames_needed(row):
    """Frames a label needs: one per symbol plus a blank between equal neighbours."""
    return len(row) + sum(1 for a, b in zip(row, row[1:]) if a == b)


def logits(shape, dtype):
    """Activations: mostly N(0, 2), sometimes large, sometimes with -inf or NaN entries."""
    r = R.rand()
    scale = 2.0 if r < 0.8 else pick(30.0, 300.0, 3000.0)
    x = R.standard_normal(shape) * scale
    kind = 'big' if scale > 2 else ''
    r = R.rand()
    if r < 0.04:
        x[R.rand(*shape) < 0.2] = -np.inf
        kind = 'neginf'
    elif r < 0.06:
        x.flat[R.randint(x.size)] = np.nan
        kind = 'nan'
    return x.astype(dtype), kind


def problem(blank, T=None, N=None, C=None, wide=False):
    """Random labels for a (T, N, C) problem: ``(rows, width, frames)``; rows hold class indices
    under ``blank`` ('first': 1..C-1, 'last': 0..C-2), ``frames`` are per-sample data lengths."""
    T = T or pick(ri(1, 6), ri(1, 12), ri(1, 12), ri(10, 30))
    N = N or ri(1, 4)
    C = C or pick(1, 2, 2, 3, ri(3, 7), ri(3, 7))
    lo = 1 if blank == 'first' else 0
    width = ri(0, T) if R.rand() < 0.85 else T          # as wide as the data allows
    if wide:
        width = T + ri(1, 3)
    rows, frames = [], []
    for _ in range(N):
        k = 0 if C == 1 else pick(ri(0, width), width, ri(0, min(width, 3)))
        sym = list(range(lo, lo + C - 1))
        if sym and R.rand() < 0.4:
            sym = sym[:pick(1, 2)]                        # repeats
        rows.append([int(R.choice(sym)) for _ in range(k)])
        frames.append(pick(T, ri(0, T), ri(frames_needed(rows[-1]), max(T, frames_needed(rows[-1])))))
    frames = [min(f, T) for f in frames]
    return T, N, C, rows, width, frames


def label_array(rows, width, pad, dtype, filler=None):
    """(N, width) labels padded with ``pad`` (or, past each row's length, ``filler(k)`` values)."""
    a = np.full((len(rows), width), pad, dtype=np.float64)
    for b, row in enumerate(rows):
        a[b, :len(row)] = row
        if filler is not None:
            a[b, len(row):] = filler(width - len(row))
    return a.astype(dtype)


def classify(rows, frames, T, dtype, kind, width, extra=()):
    """The ``expect`` tag of a valid-input case and its per-sample lists: ``infeasible`` (samples
    needing more frames than they have) and ``empty0`` (an empty label over 0 frames). Those
    samples are left out of the MXNet comparison (MXNet returns garbage for them) and checked
    against their known values instead (``+inf`` / 0 and a zero gradient)."""
    info = {'infeasible': [b for b, (r, f) in enumerate(zip(rows, frames)) if frames_needed(r) > f],
            'empty0': [b for b, (r, f) in enumerate(zip(rows, frames)) if f == 0 and not r]}
    if width > T:
        return 'wide', info
    if dtype != 'float32':
        return 'float64', info
    for tag in ('len_dtype', 'nan'):
        if tag in extra + (kind,):
            return tag, info
    if not any(rows):
        return 'allempty', info                   # MXNet: garbage for the whole batch
    for e in extra:
        return e, info
    for tag, samples in info.items():
        if samples:
            return tag, info
    return kind or 'ok', info


def length_dtypes(data_dtype, label_dtype):
    """dtypes of ``data_lengths`` and ``label_lengths``: mostly those of data and label (MXNet
    1.9.1 requires them: anything else fails its ``TBlob.get_with_shape`` type check), sometimes
    any, with the tag ``('len_dtype',)``."""
    if R.rand() < 0.8:
        return str(data_dtype), str(label_dtype), ()
    return pick(*LENGTH_DTYPES), pick(*LENGTH_DTYPES), ('len_dtype',)


def blank_only_loss(x, frames, blank, scale=None):
    """The loss of empty labels: ``-sum_t log softmax(x[t, b])[blank]`` over each sample's frames
    (float64), times ``scale`` (N,) if given. ``x`` is (T, N, C)."""
    x = x.astype(np.float64)
    with np.errstate(invalid='ignore'):
        m = x.max(-1, keepdims=True)
        lp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    T = x.shape[0]
    mask = np.arange(T)[:, None] < np.asarray(frames)[None, :]
    loss = -np.where(mask, lp[..., blank], 0).sum(0)
    return loss if scale is None else loss * scale


def g_op(n):
    for _ in range(n):
        path = pick(*PATHS)
        blank = pick('first', 'last')
        T, N, C, rows, width, frames = problem(blank, wide=R.rand() < 0.03)
        dtype = 'float32' if R.rand() < 0.85 else 'float64'
        x, kind = logits((T, N, C), dtype)
        use_d, use_l = R.rand() < 0.5, R.rand() < 0.5
        pad = 0 if blank == 'first' else -1
        lo = 1 if blank == 'first' else 0
        filler = None
        if use_l and R.rand() < 0.5 and C > 1:            # arbitrary values past label_lengths
            filler = lambda k: R.randint(lo, lo + C - 1, size=k)  # noqa: E731
        label = label_array(rows, width, pad, pick(*LABEL_DTYPES), filler)
        if not use_d:
            frames = [T] * N
        ins, attrs = [x, label], {}
        dl_dtype, ll_dtype, extra = length_dtypes(dtype, label.dtype)
        if use_d:
            ins.append(np.array(frames).astype(dl_dtype))
            attrs['use_data_lengths'] = True
        if use_l:
            ins.append(np.array([len(r) for r in rows]).astype(ll_dtype))
            attrs['use_label_lengths'] = True
        if not (use_d and dl_dtype != dtype or use_l and ll_dtype != label.dtype):
            extra = ()
        if blank == 'last' or R.rand() < 0.5:
            attrs['blank_label'] = blank
        args = ['x%d' % i for i in range(len(ins))] + ['%s=%r' % kv for kv in attrs.items()]
        expect, info = classify(rows, frames, T, dtype, kind, width, extra)
        if expect == 'allempty':
            VALUES['c%d_hand' % len(CASES)] = blank_only_loss(x, frames, 0 if blank == 'first' else C - 1)
        add('op', expect, 'out = nd.%s(%s)' % (path, ', '.join(args)), ins, wrt=range(len(ins)),
            nograd=range(1, len(ins)), n_axis=1, blank=blank, **info)


def g_gluon(n):
    for _ in range(n):
        layout, label_layout = pick('NTC', 'TNC'), pick('NT', 'TN')
        T, N, C, rows, width, frames = problem('last', wide=R.rand() < 0.02)
        dtype = 'float32' if R.rand() < 0.85 else 'float64'
        x, kind = logits((T, N, C), dtype)
        pred = x.transpose(1, 0, 2) if layout == 'NTC' else x
        use_d, use_l = R.rand() < 0.4, R.rand() < 0.4
        if not use_d:
            frames = [T] * N
        label = label_array(rows, width, -1, pick(*LABEL_DTYPES))
        dl_dtype, ll_dtype, extra = length_dtypes(dtype, label.dtype)
        if not (use_d and dl_dtype != dtype or use_l and ll_dtype != label.dtype):
            extra = ()
        if label_layout == 'TN':
            label = np.ascontiguousarray(label.T)
        args = [pred, label,
                np.array(frames).astype(dl_dtype) if use_d else None,
                np.array([len(r) for r in rows]).astype(ll_dtype) if use_l else None,
                None]
        r = R.rand()
        if r < 0.3:
            args[4] = R.uniform(0.1, 2, size=(N,)).astype(dtype)
        elif r < 0.4:
            args[4] = R.uniform(0.1, 2, size=(N, 1)).astype(dtype)
            extra = extra + ('sw_n1',)
        ins, names = _call_args(args)
        kw = ["layout=%r" % layout, "label_layout=%r" % label_layout]
        weight = float(pick(0.5, 2.0, 1.5)) if R.rand() < 0.3 else None
        if weight is not None:
            kw.append('weight=%r' % weight)
        mode = pick('eager', 'hybrid', 'export')
        code = 'net = gluon.loss.CTCLoss(%s)\n' % ', '.join(kw)
        if mode == 'eager':
            code += 'out = net(%s)' % ', '.join(names)
        elif mode == 'hybrid':
            code += 'net.hybridize()\nout = net(%s)' % ', '.join(names)
        else:
            code += 'out = reimport(net, [%s])' % ', '.join(names)
        expect, info = classify(rows, frames, T, dtype, kind, width, extra)
        if expect == 'allempty':
            scale = np.ones(N) * (weight or 1.0)
            if len(args) == 5:
                scale = scale * args[4].reshape(-1)
            VALUES['c%d_hand' % len(CASES)] = blank_only_loss(x, frames, C - 1, scale)
        add('gluon', expect, code, ins, wrt=range(len(ins)),
            nograd=range(1, 1 + sum(a is not None for a in args[1:4])),
            n_axis=layout.find('N'), blank='last', weight=weight, **info)


# -- bad input -----------------------------------------------------------------------------------

BAD_KINDS = ['data_rank', 'label_rank', 'batch', 'dlen_gt_T', 'dlen_neg', 'dlen_frac', 'dlen_shape',
             'llen_gt_L', 'llen_neg', 'label_neg', 'label_ge_C', 'label_blank', 'label_frac',
             'llen_frac', 'dlen_rank', 'block_pred_rank', 'block_batch', 'block_plen_gt_T',
             'block_label_ge_C', 'block_label_neg', 'block_sw_shape', 'block_llen_gt_L']


def g_bad(n):
    for _ in range(n):
        kind = pick(*BAD_KINDS)
        blank = 'last' if kind.startswith('block') else pick('first', 'last')
        T, N, C, rows, width, frames = problem(blank, T=ri(2, 8), N=ri(1, 3), C=ri(3, 5))
        width = max(width, 1)
        rows = [r[:width] for r in rows]
        if not any(rows):
            rows[0] = [1]
        pad = 0 if blank == 'first' else -1
        x, _ = logits((T, N, C), 'float32')
        label = label_array(rows, width, pad, 'float32')
        dlen = np.array([T] * N, dtype='float32')
        llen = np.array([len(r) for r in rows], dtype='float32')
        use_d = use_l = False
        b = int(R.choice([i for i, r in enumerate(rows) if r]))      # a non-empty row
        j = R.randint(len(rows[b]))
        if kind == 'data_rank':
            x = x[0] if R.rand() < 0.5 else x[..., None]
        elif kind == 'label_rank':
            label = label[0] if R.rand() < 0.5 else label[..., None]
        elif kind in ('batch', 'block_batch'):
            label = np.concatenate([label, label[:1]]) if R.rand() < 0.5 else label[:0]
        elif kind in ('dlen_gt_T', 'block_plen_gt_T'):
            dlen[b] = T + ri(1, 3)
            use_d = True
        elif kind == 'dlen_neg':
            dlen[b] = -ri(1, 2)
            use_d = True
        elif kind == 'dlen_frac':
            dlen[b] = T - 0.5
            use_d = True
        elif kind == 'dlen_shape':
            dlen = np.append(dlen, T).astype('float32')
            use_d = True
        elif kind in ('llen_gt_L', 'block_llen_gt_L'):
            llen[b] = width + ri(1, 2)
            use_l = True
        elif kind == 'llen_neg':
            llen[b] = -1
            use_l = True
        elif kind == 'llen_frac':
            llen[b] = len(rows[b]) - 0.5
            use_l = True
        elif kind == 'dlen_rank':
            dlen = dlen[:, None]
            use_d = True
        elif kind in ('label_neg', 'block_label_neg'):
            label[b, j] = pick(-2, -3) if blank == 'last' else pick(-1, -2)
            use_l = R.rand() < 0.5
        elif kind in ('label_ge_C', 'block_label_ge_C'):
            label[b, j] = C + ri(0, 2) if blank == 'first' else C - 1 + ri(1, 2)
            use_l = R.rand() < 0.5
        elif kind == 'label_blank':
            label[b, j] = C - 1 if blank == 'last' else 0
            use_l = True                                   # with 'first', 0 inside a row is padding
        elif kind == 'label_frac':
            label[b, j] = label[b, j] + 0.5 if label[b, j] != C - 1 else label[b, j] - 0.5
            use_l = R.rand() < 0.5
        if kind.startswith('block'):
            pred = x.transpose(1, 0, 2) if x.ndim == 3 else x
            if kind == 'block_pred_rank':
                pred = pred[0]
            args = [pred, label, dlen if use_d else None, llen if use_l else None]
            if kind == 'block_sw_shape':
                args.append(R.uniform(0.5, 1.5, size=pick((N + 1,), (N, 2), (2, N))).astype('float32'))
            ins, names = _call_args(args)
            hyb = 'net.hybridize()\n' if R.rand() < 0.4 else ''
            add('bad', 'bad:' + kind, 'net = gluon.loss.CTCLoss()\n%sout = net(%s)' % (hyb, ', '.join(names)),
                ins, wrt=(0,))
            continue
        ins, attrs = [x, label], {}
        if use_d:
            ins.append(dlen)
            attrs['use_data_lengths'] = True
        if use_l:
            ins.append(llen)
            attrs['use_label_lengths'] = True
        if blank == 'last' or R.rand() < 0.5:
            attrs['blank_label'] = blank
        args = ['x%d' % i for i in range(len(ins))] + ['%s=%r' % kv for kv in attrs.items()]
        add('bad', 'bad:' + kind, 'out = nd.%s(%s)' % (pick(*PATHS), ', '.join(args)), ins, wrt=(0,))


GROUPS = [(g_op, 0.6), (g_gluon, 0.3), (g_bad, 0.1)]


def generate(out, seed, n, only=None):
    global R
    R = np.random.RandomState(seed)
    del CASES[:]
    VALUES.clear()
    for g, share in GROUPS:
        if only and g.__name__[2:] not in only:
            continue
        g(max(1, int(round(n * share))))
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, 'inputs.npz'), **VALUES)
    with open(os.path.join(out, 'cases.json'), 'w') as f:
        json.dump(CASES, f, indent=0)
    return len(CASES)


# -- one backend, run as a child process ----------------------------------------------------------

def reimport(net, args):
    """Hybridize ``net``, call it on ``args`` (``None`` for absent optional inputs), export it,
    load the files back with ``SymbolBlock.imports`` and return that block's output on the given
    inputs (the exported graph names them ``data0, data1...``, or ``data`` alone)."""
    import importlib
    mx = importlib.import_module(type(net).__module__.split('.')[0])
    net.hybridize()
    net(*args)
    given = [a for a in args if a is not None]
    tmp = tempfile.mkdtemp()
    try:
        net.export(os.path.join(tmp, 'm'))
        sym_file = os.path.join(tmp, 'm-symbol.json')
        names = sorted(mx.sym.load(sym_file).list_inputs(), key=lambda s: (len(s), s))
        params = os.path.join(tmp, 'm-0000.params')
        block = mx.gluon.SymbolBlock.imports(sym_file, names,
                                             params if os.path.exists(params) else None)
        return block(*given)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_case(mx, c, inputs):
    nd = mx.nd
    xs = [nd.array(inputs['%s_in%d' % (c['key'], i)], dtype=inputs['%s_in%d' % (c['key'], i)].dtype)
          for i in range(c['n_in'])]
    for i in c['wrt']:
        xs[i].attach_grad()
    env = {'nd': nd, 'mx': mx, 'np': np, 'gluon': mx.gluon, 'reimport': reimport}
    env.update({'x%d' % i: x for i, x in enumerate(xs)})
    with mx.autograd.record():
        exec(c['code'], env)
    out = env['out']
    res = {'out0': out.asnumpy()}
    if c['wrt']:
        head = np.random.RandomState(int(c['key'][1:])).uniform(0.5, 1.5, out.shape)
        out.backward(nd.array(head.astype(out.dtype), dtype=out.dtype))
        for i in c['wrt']:
            res['grad%d' % i] = xs[i].grad.asnumpy()
    return res


def error_text(e):
    """``Class: line`` for an exception: MXNet's ``Check failed`` line where there is one."""
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    found = [ln for ln in lines if 'Check failed' in ln or ln.startswith('MXNetError')]
    return '%s: %s' % (type(e).__name__, (found or lines or [''])[-1][:300])


def run_backend_child(backend, casedir, start, stop):
    if backend == 'mxnet':
        import mxnet as mx
    else:
        import minigluon as mx
    with open(os.path.join(casedir, 'cases.json')) as f:
        cases = json.load(f)
    inputs = np.load(os.path.join(casedir, 'inputs.npz'))
    resdir = os.path.join(casedir, 'res', backend)
    os.makedirs(resdir, exist_ok=True)
    done = open(os.path.join(resdir, 'done.txt'), 'a')
    for c in cases[start:stop]:
        try:
            res = run_case(mx, c, inputs)
        except Exception as e:  # noqa: BLE001 -- every failure is a result to compare
            res = {'error': np.array(error_text(e))}
        np.savez(os.path.join(resdir, c['key'] + '.npz'), **res)
        done.write(c['key'] + '\n')
        done.flush()
    done.close()
    sys.stdout.flush()
    os._exit(0)                 # MXNet can hang in its exit handlers after bad input


def rerun_alone(backend, casedir, cases, indices):
    """Run each of ``cases[i]`` for ``i`` in ``indices`` again in a process of its own (MXNet 1.9.1
    sometimes fails a valid case after earlier ones in the same process: "data type do not
    match" for a label dtype a previous case used)."""
    resdir = os.path.join(casedir, 'res', backend)
    env = dict(os.environ, PYTHONPATH=base.ROOT, OMP_NUM_THREADS='1')
    for i in indices:
        path = os.path.join(resdir, cases[i]['key'] + '.npz')
        os.remove(path)
        try:
            rc = subprocess.run([base.PYTHONS[backend], os.path.abspath(__file__), casedir,
                                 '--backend', backend, '--start', str(i), '--stop', str(i + 1)],
                                env=env, timeout=60, capture_output=True).returncode
        except subprocess.TimeoutExpired:
            rc = 'timeout'
        if not os.path.exists(path):
            np.savez(path, error=np.array('CRASH rc=%s' % rc))


def alone(case):
    """Whether ``case`` runs in a process of its own (see :func:`run_backend`)."""
    return case['group'] == 'bad' or bool(case.get('empty0'))


def run_backend(backend, casedir, cases, timeout):
    """Run every case under ``backend``: stretches of valid cases in one child process each
    (resuming after a crash as ``fuzz_nd_ops.run_backend`` does), every ``bad`` case in a process
    of its own, so memory MXNet corrupts on bad input cannot spoil the next case; so does a case
    with an empty label over 0 frames (after one, MXNet 1.9.1 often hangs on the next case).
    Stretches hold at most 100 cases and time out after ``min(timeout, 20 s + 0.5 s per case)``;
    a valid case recorded as a crash or an error is run again alone (:func:`rerun_alone`)."""
    resdir = os.path.join(casedir, 'res', backend)
    os.makedirs(resdir, exist_ok=True)
    donef = os.path.join(resdir, 'done.txt')
    if os.path.exists(donef):
        os.remove(donef)
    env = dict(os.environ, PYTHONPATH=base.ROOT, OMP_NUM_THREADS='1')
    keys = [c['key'] for c in cases]
    start = 0
    while start < len(keys):
        stop = start + 1
        if not alone(cases[start]):
            while stop < min(len(keys), start + 100) and not alone(cases[stop]):
                stop += 1
        try:
            rc = subprocess.run([base.PYTHONS[backend], os.path.abspath(__file__), casedir,
                                 '--backend', backend, '--start', str(start), '--stop', str(stop)],
                                env=env, timeout=min(timeout, 20 + 0.5 * (stop - start)),
                                capture_output=True).returncode
        except subprocess.TimeoutExpired:
            rc = 'timeout'
        n = len(set(open(donef).read().split())) if os.path.exists(donef) else 0
        if n < stop:
            np.savez(os.path.join(resdir, keys[n] + '.npz'), error=np.array('CRASH rc=%s' % rc))
            with open(donef, 'a') as f:
                f.write(keys[n] + '\n')
            n += 1
        start = n


# -- the comparison -------------------------------------------------------------------------------

def _call_args(args):
    """The positional arguments of a block call with optional trailing ones: ``(inputs, names)``,
    the arrays given (bound as ``x0, x1...`` in the case code) and the code of each argument
    (``'x0'`` or ``'None'`` for one left out in the middle). Trailing Nones are dropped from
    ``args`` itself (the caller's list), so ``len(args)`` then counts the arguments given."""
    while args and args[-1] is None:
        args.pop()
    ins = [a for a in args if a is not None]
    names, i = [], 0
    for a in args:
        names.append('None' if a is None else 'x%d' % i)
        i += a is not None
    return ins, names


def _tol(dt):
    """CTC sums over frames and label positions; minigluon computes in float64 inside."""
    return {np.dtype(np.float32): (1e-4, 1e-4), np.dtype(np.float64): (1e-7, 1e-9)}.get(
        np.dtype(dt), (0, 0))


def differences(m, o):
    """Why ``o`` (minigluon's results) differs from ``m`` (MXNet's): a list of strings."""
    bad = []
    for k in sorted(m):
        if k not in o:
            bad.append('missing %s' % k)
            continue
        a, b = o[k], m[k]
        if a.dtype != b.dtype and k.startswith('out'):
            bad.append('%s dtype ours %s mx %s' % (k, a.dtype, b.dtype))
        if a.shape != b.shape:
            bad.append('%s shape ours %s mx %s' % (k, a.shape, b.shape))
        elif not base.close(a, b, lambda arr: _tol(arr.dtype)):
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            d = np.abs(a64 - b64)
            d[np.isnan(a64) & np.isnan(b64)] = 0
            d[np.isnan(d)] = np.inf
            i = int(np.argmax(d))
            bad.append('%s values: largest difference at %s: ours %r mx %r' % (
                k, np.unravel_index(i, a.shape), a.flat[i], b.flat[i]))
    return bad


def reference(x, row, frames, blank):
    """The float64 loss and gradient of one sample, for a third opinion where MXNet and minigluon
    differ: ``x`` (T, C) activations, ``row`` the label, ``frames`` the frames used. The plain
    log-space forward-backward recursions of Graves 2012 ("Supervised Sequence Labelling with
    RNNs", section 7.3), gradient ``softmax - occupancy`` (Graves et al. 2006, eq. 16)."""
    x = x.astype(np.float64)
    grad = np.zeros_like(x)
    T, C = frames, x.shape[1]
    if T == 0:
        return (0.0 if not len(row) else np.inf), grad
    m = x[:T].max(-1, keepdims=True)
    lp = x[:T] - m - np.log(np.exp(x[:T] - m).sum(-1, keepdims=True))
    ext = [blank]
    for k in row:
        ext += [int(k), blank]
    S = len(ext)
    la, lb = np.full((T, S), -np.inf), np.full((T, S), -np.inf)
    la[0, :2] = lp[0, ext[:2]]
    lb[T - 1, -2:] = lp[T - 1, ext[-2:]]
    for t in range(1, T):
        for s in range(S):
            prev = [la[t - 1, s]] + ([la[t - 1, s - 1]] if s > 0 else [])
            if s > 1 and ext[s] != blank and ext[s] != ext[s - 2]:
                prev.append(la[t - 1, s - 2])
            la[t, s] = np.logaddexp.reduce(prev) + lp[t, ext[s]]
    for t in range(T - 2, -1, -1):
        for s in range(S):
            nxt = [lb[t + 1, s]] + ([lb[t + 1, s + 1]] if s + 1 < S else [])
            if s + 2 < S and ext[s] != blank and ext[s] != ext[s + 2]:
                nxt.append(lb[t + 1, s + 2])
            lb[t, s] = np.logaddexp.reduce(nxt) + lp[t, ext[s]]
    logp = np.logaddexp.reduce(la[T - 1, -2:])
    if not np.isfinite(logp):
        return np.inf, grad
    with np.errstate(invalid='ignore'):
        gamma = np.where(np.isfinite(la) & np.isfinite(lb), la + lb - lp[:, ext], -np.inf)
    occ = np.zeros((T, C))
    for s, k in enumerate(ext):
        occ[:, k] += np.exp(gamma[:, s] - logp)
    grad[:T] = np.exp(lp) - occ
    return -logp, grad


def op_reference(c, values):
    """Loss (N,) and gradient (T, N, C) of an ``op`` case by :func:`reference`, the gradient
    scaled by the case's random head gradient, or None where the inputs hold NaN."""
    key = c['key']
    x = values[key + '_in0']
    if np.isnan(x).any():
        return None
    T, N, C = x.shape
    label = values[key + '_in1'].astype(np.float64)
    i = 2
    frames, llen = np.full(N, T), None
    if 'use_data_lengths=True' in c['code']:
        frames, i = values['%s_in%d' % (key, i)].astype(int), i + 1
    if 'use_label_lengths=True' in c['code']:
        llen = values['%s_in%d' % (key, i)].astype(int)
    blank = 0 if c['blank'] == 'first' else C - 1
    pad = 0 if c['blank'] == 'first' else -1
    head = np.random.RandomState(int(key[1:])).uniform(0.5, 1.5, N)
    loss, grad = np.zeros(N), np.zeros((T, N, C))
    for b in range(N):
        row = label[b]
        if llen is not None:
            row = row[:llen[b]]
        elif (row == pad).any():
            row = row[:np.argmax(row == pad)]
        loss[b], g = reference(x[:, b], row, frames[b], blank)
        grad[:, b] = g * head[b]
    return loss, grad


def verdict(c, values, m, o):
    """For an ``op`` case that differs: which of the two agrees with :func:`op_reference`."""
    ref = op_reference(c, values)
    if ref is None or 'grad0' not in o:
        return ''
    fit = []
    for who, r in (('ours', o), ('mx', m)):
        ok = (np.allclose(r['out0'], ref[0], rtol=1e-4, atol=1e-4)
              and np.allclose(r['grad0'], ref[1], rtol=1e-4, atol=1e-4))
        fit.append('%s %s' % (who, 'matches' if ok else 'differs'))
    return ' [float64 reference: %s]' % ', '.join(fit)


def outcome(r):
    if 'error' not in r:
        return 'computes'
    return 'crash' if str(r['error']).startswith('CRASH') else 'raises'


def check_valid(c, m, o, hand, note, count, values):
    """Compare a valid-input case both frameworks computed. Samples with a known value are
    checked against it and left out of the comparison: infeasible ones (ours ``+inf``, zero
    gradient; MXNet 0 and garbage), an empty label over 0 frames (ours 0), a label of probability
    0 through ``-inf`` activations (both ``+inf``; MXNet's gradient is not zero), and samples
    whose float32 loss MXNet rounds to 0 (MXNet's gradient then omits the occupancy term: ours
    must be ~0). ``hand`` is the loss of an all-empty batch (blanks only) computed here."""
    e = c['expect']
    m0, o0 = dict(m), dict(o)
    for k in ['grad%d' % i for i in c['nograd']]:
        if k in o and np.any(o[k] != 0):
            note('input-grad', '%s: ours %r' % (k, o[k]))
        if np.any(m.pop(k, 0) != 0):
            count('mx-input-grad')
    loss = o['out0'].astype(np.float64)
    if e == 'nan':               # MXNet: NaN too, or garbage where the NaN meets infeasibility
        count('NaN loss' if np.isnan(loss).any() else 'no NaN in the used frames')
        return
    if e == 'sw_n1':                                  # MXNet: (N, N); ours (N,)
        return
    if e == 'allempty':
        if not np.allclose(loss, hand, rtol=1e-4, atol=1e-4, equal_nan=True):
            note('hand', 'all labels empty: ours %r, -sum(log p(blank)) %r' % (loss, hand))
        return
    g = o.get('grad0')
    ax = c['n_axis']
    drop = []
    for kind, want in (('infeasible', np.inf), ('empty0', 0.0)):
        for b in c.get(kind, []):
            drop.append(b)
            if loss[b] != want or (g is not None and np.any(np.take(g, b, ax) != 0)):
                note(kind, 'sample %d: ours loss %r, grad nonzero: %s' % (
                    b, loss[b], g is not None and bool(np.any(np.take(g, b, ax) != 0))))
            mb = m['out0'].reshape(-1)[b] if m['out0'].ndim == 1 else None
            count('%s sample, MXNet loss %s' % (kind, 'non-0' if mb else mb))
    if m['out0'].shape == o['out0'].shape:
        mloss = m['out0'].astype(np.float64)
        for b in range(len(loss)):
            if b in drop:
                continue
            if np.isinf(loss[b]) and np.isinf(mloss[b]):
                drop.append(b)
                count('both inf (-inf activations)')
            elif np.isnan(loss[b]) and np.isnan(mloss[b]):
                # A frame whose activations are all -inf: softmax 0/0. Ours: the sample's whole
                # gradient NaN; MXNet's: part NaN, part arbitrary finite values.
                drop.append(b)
                count('both NaN (a frame of all -inf)')
                if g is not None and not np.isnan(np.take(g, b, ax)).all():
                    note('nan-grad', 'sample %d: ours gradient partly finite' % b)
            elif mloss[b] == 0 and abs(loss[b]) < 1e-5 and g is not None:
                drop.append(b)
                count('mx loss rounded to 0')
                if np.abs(np.take(g, b, ax)).max() > 1e-4:
                    note('loss0-grad', 'sample %d: ours |grad| %r' % (b, np.abs(np.take(g, b, ax)).max()))
    if drop:
        keep = [b for b in range(len(loss)) if b not in drop]
        for d in (m, o):
            d['out0'] = d['out0'][keep]
            if 'grad0' in d:
                d['grad0'] = np.take(d['grad0'], keep, ax)
            for k in [k for k in d if k.startswith('grad') and k != 'grad0']:
                d[k] = d[k].reshape(-1)[keep]          # the sample weights
    bad = differences(m, o)
    if bad:
        note('diff', '; '.join(bad) + (verdict(c, values, m0, o0) if c['group'] == 'op' else ''))
    else:
        count('same')


def compare(casedir):
    """The report: per group and ``expect`` the counts of MXNet's and minigluon's outcomes and of
    the checks of :func:`check_valid`, then every case that does not behave as expected."""
    with open(os.path.join(casedir, 'cases.json')) as f:
        cases = json.load(f)
    values = np.load(os.path.join(casedir, 'inputs.npz'))
    stats = collections.Counter()
    notes = collections.defaultdict(list)
    messages = collections.defaultdict(collections.Counter)
    for c in cases:
        g, e = c['group'], c['expect']
        m = dict(np.load(os.path.join(casedir, 'res', 'mxnet', c['key'] + '.npz')))
        o = dict(np.load(os.path.join(casedir, 'res', 'minigluon', c['key'] + '.npz')))
        head = (g, e)
        stats[head] += 1
        stats[head + ('mx %s / ours %s' % (outcome(m), outcome(o)),)] += 1
        desc = '%s %s %s %s' % (c['key'], c['code'].replace('\n', '; '), c['dtypes'], c['shapes'])

        def note(kind, msg):
            notes[head].append((kind, desc, msg))

        def count(what):
            stats[head + (what,)] += 1
        if 'error' in o:
            messages[e][str(o['error'])[:160]] += 1
        if 'error' in m:
            messages['mx ' + e][str(m['error'])[:160]] += 1
        if e.startswith('bad:'):
            m = {k: v for k, v in m.items()}
            if 'error' not in o:
                note('ours-computes', 'mx: %s' % m.get('error', 'computes'))
            continue
        if 'error' in o:
            note('ours-error', str(o['error']))
        elif 'error' in m:
            if e not in MX_REJECTS:
                note('mx-error-ours-ok', str(m['error']))
        else:
            hand = values[c['key'] + '_hand'] if c['key'] + '_hand' in values else None
            check_valid(c, m, o, hand, note, count, values)
    lines = []
    for head in sorted(k for k in stats if len(k) == 2):
        counts = ', '.join('%s: %d' % (k[2], v) for k, v in sorted(stats.items())
                           if len(k) == 3 and k[:2] == head)
        lines.append('== %s %s: %d cases (%s)' % (head + (stats[head], counts)))
        for kind, desc, msg in notes[head]:
            lines.append('  [%s] %s\n      %s' % (kind, desc, msg))
    lines.append('\n== error messages (count, text)')
    for e in sorted(messages):
        lines.append('  -- %s' % e)
        for msg, k in messages[e].most_common(8):
            lines.append('    %4d %s' % (k, msg))
    return '\n'.join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('outdir')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--n', type=int, default=1000, help='number of cases (60%% op, 30%% gluon, 10%% bad)')
    p.add_argument('--groups', default='', help='comma-separated groups (default: all)')
    p.add_argument('--timeout', type=int, default=300, help='seconds per child process')
    p.add_argument('--compare-only', action='store_true', help='report on an earlier run')
    p.add_argument('--backend', help=argparse.SUPPRESS)
    p.add_argument('--start', type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument('--stop', type=int, default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.backend:
        run_backend_child(a.backend, a.outdir, a.start, a.stop)
        return
    base.PYTHONS['mxnet'] = os.environ.get('MXNET_PYTHON', base.PYTHONS['mxnet'])
    if not a.compare_only:
        n = generate(a.outdir, a.seed, a.n, [g for g in a.groups.split(',') if g])
        print('%d cases' % n, file=sys.stderr)
        for backend in ('mxnet', 'minigluon'):
            run_backend(backend, a.outdir, CASES, a.timeout)
        errors = [str(dict(np.load(os.path.join(a.outdir, 'res', 'mxnet', c['key'] + '.npz')))
                      .get('error', '')) for c in CASES]
        retry = [i for i, (c, err) in enumerate(zip(CASES, errors)) if c['group'] != 'bad' and (
            err.startswith('CRASH') or err and c['expect'] not in MX_REJECTS)]
        print('%d cases MXNet failed run again alone' % len(retry), file=sys.stderr)
        rerun_alone('mxnet', a.outdir, CASES, retry)
    print(compare(a.outdir))


if __name__ == '__main__':
    main()
