"""Differential fuzzer of ``gluon.loss`` (every loss of MXNet 1.9.1 but ``CTCLoss``): seeded
random losses and inputs, each evaluated and differentiated under MXNet 1.9.1 and under minigluon,
compared output by output and gradient by gradient, failures compared by their error class.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_gluon_losses.py /tmp/loss-fuzz --seed 1 [--n 200] [--groups l2,kldiv]
                                       [--timeout 180]

Families (``--groups``): ``l1``, ``l2``, ``huber``, ``hinge``, ``sqhinge``, ``logistic``,
``sbce`` (SigmoidBinaryCrossEntropyLoss, ``from_sigmoid``, ``pos_weight``), ``softmaxce``
(``axis``, ``sparse_label``, ``from_logits``; integer and float labels, labels out of range),
``kldiv`` (``from_logits``, ``axis``), ``triplet``, ``poisson`` (``from_logits``,
``compute_full``, ``epsilon``), ``cosine`` and ``sdml``. Every configuration draws a shape (batch
1 included, 0 to 3 trailing axes), sometimes ``batch_axis=1``, a ``weight``, a ``sample_weight``
of shape ``(N, 1...)``, ``(N,)``, the full shape, ``(1,)``, the per-sample shape of another batch
(bad) or none, the dtype (float16/32/64; rarely a label of another dtype) and, rarely, a label of
the wrong element count.

Each configuration becomes two cases, ``<family>`` (eager) and ``<family>.hyb`` (the loss
hybridized before its first call). A case is ``code`` (Python setting ``loss`` from ``gluon``,
run inside a fresh ``mx.name.NameManager()``) and ``call`` (setting ``out`` from ``loss`` and the
inputs ``x0, x1...``), run under ``autograd.record()`` (``record`` False: outside it, no
gradients); ``sum(out * w)`` for a random ``w`` is back-propagated to the inputs in ``wrt`` (the
prediction, and the floating labels). Results: ``out0``, ``grad<i>``; a failure (construction,
call or backward) is ``error`` plus ``mro`` (the class names of the exception's MRO).

Comparison (the report, stdout): values with ``_tol`` by the dtype; output dtypes and shapes
exactly; when both fail, MXNet's class must be among minigluon's (``MXNetError`` included: every
minigluon error class of an operator derives from it). A case that differs where README's table
of deliberate differences (or a loss's docstring) says so carries a ``known`` tag set by the
generator and is counted under ``known:<tag>`` instead of printed.

First runs (seeds 1 to 6, 10,300 cases): every value, gradient, dtype and shape agrees; the
differences found were error classes (a wrong-size label was a plain ``ValueError``, not an
``MXNetError``; ``SDMLLoss``'s shape check not an ``AssertionError``; a non-number ``weight`` not an
``AssertionError``), now fixed, and float16 ``KLDivLoss`` labels below 2**-16 (MXNet's ``log``
gradient overflows to inf; kept, README). Float32 ``SDMLLoss`` / ``log_softmax`` over a length-1
axis differ by ~1e-5 from MXNet's rounding, hence the float32 ``atol`` scaled by magnitude.

The batching, crash/hang resume and ``_close`` are ``tools/fuzz_nd_ops.py``'s. A difference where
MXNet is right is fixed in minigluon and pinned by ``tools/gen_gluon_losses_fuzz_fixtures.py``
(``tests/fixtures/gluon_losses_fuzz/``, ``tests/loss/test_gluon_losses_fuzz_regressions.py``).
"""
import argparse
import collections
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_nd_ops as base  # noqa: E402

R = None
CASES, VALUES = [], {}


def _tol(dt):
    """Losses take means, logs and softmaxes: float32 a little looser than element-wise ops."""
    return {np.dtype(np.float16): (2e-2, 2e-2), np.dtype(np.float32): (1e-4, 3e-5),
            np.dtype(np.float64): (1e-7, 1e-9)}.get(np.dtype(dt), (0, 0))


def ri(lo, hi):
    """A random int in [lo, hi]."""
    return int(R.randint(lo, hi + 1))


def pick(*options):
    return options[R.randint(len(options))]


def fdtype():
    return pick('float32', 'float32', 'float32', 'float64', 'float16')


def args(**kw):
    return ', '.join('%s=%r' % kv for kv in kw.items())


def add(group, code, call, inputs, wrt=(0,), record=True, known=None):
    """Record one configuration as an eager and a hybridized case."""
    for hyb in (False, True):
        key = 'c%d' % len(CASES)
        for i, x in enumerate(inputs):
            VALUES['%s_in%d' % (key, i)] = x
        k = known(hyb) if callable(known) else known
        CASES.append({'key': key, 'group': group + ('.hyb' if hyb else ''),
                      'code': code + ('\n# hybridized' if hyb else ''), 'build': code,
                      'call': call, 'hybridize': hyb, 'n_in': len(inputs), 'record': record,
                      'wrt': [i for i in wrt if inputs[i].dtype.kind == 'f'] if record else [],
                      'dtypes': [str(x.dtype) for x in inputs], 'known': k,
                      'shapes': [list(x.shape) for x in inputs]})


def pshape(min_nd=1, max_nd=4):
    """A prediction shape: batch 1 to 4 (1 often), then up to three small axes."""
    n = pick(1, 1, 2, 3, 4)
    return (n,) + tuple(ri(1, 4) for _ in range(ri(min_nd, max_nd) - 1))


def normal(shape, dt, scale=1.5):
    """Standard normal values times ``scale`` (rarely times 10 more: large logits)."""
    return (R.standard_normal(shape) * scale * (10 if R.rand() < 0.1 else 1)).astype(dt)


def batch_axis(shape):
    return 1 if len(shape) >= 2 and R.rand() < 0.2 else 0


def common_kw(shape, weight_default=None):
    """``weight`` and ``batch_axis`` keywords (only those not at their default)."""
    kw = {}
    b = batch_axis(shape)
    if b:
        kw['batch_axis'] = b
    r = R.rand()
    if r < 0.3:
        kw['weight'] = float(pick(0.5, 2.0, -1.5, 0.0))
    elif r < 0.33 and weight_default is not None:
        kw['weight'] = None
    elif r < 0.35:
        kw['weight'] = pick('2', 2, [0.5])       # not a float: refused
    return kw, b


def sample_weight(lshape, b, dt):
    """(keyword text or '', array or None) for a loss of elementwise shape ``lshape``."""
    kind = pick('none', 'none', 'per', 'per', 'vec', 'full', 'one', 'bad', 'trail')
    n = lshape[b]
    if kind == 'none':
        return None
    if kind == 'per':
        shp = tuple(n if i == b else 1 for i in range(len(lshape)))
    elif kind == 'vec':
        shp = (n,)
    elif kind == 'full':
        shp = lshape
    elif kind == 'one':
        shp = (1,)
    elif kind == 'bad':
        shp = tuple(n + 1 if i == b else 1 for i in range(len(lshape)))
    else:
        shp = lshape[1:] or (1,)
    return R.uniform(0, 2, shp).astype(dt)


def label_dtype(dt):
    """The label's dtype: ``dt``, rarely another float dtype (MXNet refuses to mix them)."""
    return pick(*[d for d in ('float16', 'float32', 'float64') if d != dt]) \
        if R.rand() < 0.05 else dt


def maybe_bad(shape):
    """The label's shape: ``shape``, a flattened or reshaped one (same size), rarely a wrong size."""
    r = R.rand()
    if r < 0.06:
        return shape[:-1] + (shape[-1] + 1,)
    if r < 0.15:
        return (int(np.prod(shape)),)
    return shape


def mixed(dts):
    return 'mixed-dtype' if len(set(dts)) > 1 else None


def finish(group, code, pred, label, sw, extra_call='', wrt=(0, 1), known=None):
    """Add a ``loss(pred, label[, sample_weight])`` configuration (arguments by position: MXNet
    1.9.1's ``Block.__call__`` takes no keywords)."""
    ins = [pred, label]
    call = 'out = loss(x0, x1'
    if sw is not None:
        ins.append(sw)
        call += ', x2'
    call += extra_call + ')'
    k = known or mixed([x.dtype for x in ins])
    add(group, code, call, ins, wrt=wrt, known=k)


# -- families ---------------------------------------------------------------------------------------

def g_regression(name, cls, n, extra=None):
    for _ in range(n):
        dt = fdtype()
        shp = pshape()
        kw, b = common_kw(shp, weight_default=(cls == 'L2Loss') or None)
        if extra:
            kw.update(extra())
        pred = normal(shp, dt)
        label = normal(maybe_bad(shp), label_dtype(dt) if R.rand() < 0.97 else 'int32')
        if name in ('hinge', 'sqhinge'):
            label = np.sign(label).astype(label.dtype)
            label[label == 0] = 1
        elif name == 'logistic':
            if kw.get('label_format') == 'binary':
                label = (label > 0).astype(label.dtype)
            else:
                label = np.where(label > 0, 1, -1).astype(label.dtype)
        sw = sample_weight(shp, b, dt)
        finish(name, 'loss = gluon.loss.%s(%s)' % (cls, args(**kw)), pred, label, sw)


def g_l1(n):
    g_regression('l1', 'L1Loss', n)


def g_l2(n):
    g_regression('l2', 'L2Loss', n)


def g_huber(n):
    g_regression('huber', 'HuberLoss', n, lambda: {'rho': float(pick(1, 0.5, 2.0, 0.1))})


def g_hinge(n):
    g_regression('hinge', 'HingeLoss', n, lambda: {'margin': float(pick(1, 0.5, 2.0, 0.0))})


def g_sqhinge(n):
    g_regression('sqhinge', 'SquaredHingeLoss', n,
                 lambda: {'margin': float(pick(1, 0.5, 2.0, 0.0))})


def g_logistic(n):
    g_regression('logistic', 'LogisticLoss', n,
                 lambda: {'label_format': pick('signed', 'signed', 'binary', 'binary', 'bad')})


def g_sbce(n):
    for _ in range(n):
        dt = fdtype()
        shp = pshape()
        kw, b = common_kw(shp)
        fs = bool(R.rand() < 0.4)
        if fs:
            kw['from_sigmoid'] = True
            pred = R.uniform(0.02, 0.98, shp).astype(dt)
            if R.rand() < 0.1:                     # certain predictions: the 1e-12 guard
                pred.flat[0], pred.flat[-1] = 0, 1
        else:
            pred = normal(shp, dt, 3)
        label = R.uniform(0, 1, maybe_bad(shp))
        if R.rand() < 0.5:
            label = np.round(label)
        label = label.astype(label_dtype(dt))
        sw = sample_weight(shp, b, dt)
        ins_extra = []
        if R.rand() < 0.5:
            pw_shape = pick((shp[-1],), shp, (1,), (1,) * (len(shp) - 1) + (shp[-1],),
                            (shp[-1] + 1,))
            ins_extra = [R.uniform(0.2, 3, pw_shape).astype(dt)]
        ins = [pred, label] + ([sw] if sw is not None else []) + ins_extra
        call = 'out = loss(x0, x1%s%s)' % (', x2' if sw is not None else
                                           ', None' if ins_extra else '',
                                           ', x%d' % (len(ins) - 1) if ins_extra else '')
        add('sbce', 'loss = gluon.loss.SigmoidBinaryCrossEntropyLoss(%s)' % args(**kw), call, ins,
            wrt=(0, 1), known=mixed([x.dtype for x in ins]))


def g_softmaxce(n):
    for _ in range(n):
        dt = fdtype()
        shp = pshape(min_nd=2)
        kw, b = common_kw(shp)
        ax = pick(-1, -1, ri(0, len(shp) - 1), ri(-len(shp), -1))
        if ax != -1:
            kw['axis'] = ax
        if ax % len(shp) == b:        # classes along the batch axis: move the batch elsewhere
            kw.pop('batch_axis', None)
            b = 0
            if ax % len(shp) == 0:
                kw['axis'] = ax = 1 - len(shp) if R.rand() < 0.5 else 1
        C = shp[ax]
        sparse = bool(R.rand() < 0.6)
        fl = bool(R.rand() < 0.25)
        if not sparse:
            kw['sparse_label'] = False
        if fl:
            kw['from_logits'] = True
        pred = normal(shp, dt, 2)
        if fl:
            pred = (pred - np.log(np.exp(pred.astype(np.float64)).sum(ax, keepdims=True))
                    ).astype(dt)
        lshape = list(shp)
        lshape[ax] = 1
        lshape = tuple(lshape)
        wrt = (0,)
        if sparse:
            lab_shape = pick(tuple(s for i, s in enumerate(shp) if i != ax % len(shp)), lshape)
            if R.rand() < 0.06:
                lab_shape = lab_shape[:-1] + (lab_shape[-1] + 1,) if lab_shape else (2,)
            ldt = pick('int32', 'int64', 'float32', dt, dt)
            if R.rand() < 0.15:      # out of range / non-integer indices
                lab = R.uniform(-2, C + 2, lab_shape)
                lab = lab if ldt.startswith('float') else np.round(lab)
            else:
                lab = R.randint(0, C, lab_shape)
            label = lab.astype(ldt)
            wrt = (0, 1)                           # a float index: pick's gradient (zero)
        else:
            label = R.dirichlet(np.ones(C), size=int(np.prod(shp)) // C)
            label = np.moveaxis(label.reshape(tuple(s for i, s in enumerate(shp)
                                                    if i != ax % len(shp)) + (C,)),
                                -1, ax).astype(label_dtype(dt))
            lab_shape = maybe_bad(shp)
            label = label.reshape(lab_shape) if R.rand() < 0.9 and label.size == int(
                np.prod(lab_shape)) else R.uniform(0, 1, lab_shape).astype(label.dtype)
            wrt = (0, 1)
        sw = sample_weight(lshape, b, dt)
        ins = [pred, label] + ([sw] if sw is not None else [])
        known = mixed([x.dtype for x in ins if x.dtype.kind == 'f'])
        finish('softmaxce', 'loss = gluon.loss.SoftmaxCrossEntropyLoss(%s)' % args(**kw), pred,
               label, sw, wrt=wrt, known=known)


def g_kldiv(n):
    for _ in range(n):
        dt = fdtype()
        shp = pshape(min_nd=2)
        kw, b = common_kw(shp)
        fl = bool(R.rand() < 0.6)
        ax = pick(-1, -1, ri(0, len(shp) - 1))
        if not fl:
            kw['from_logits'] = False
            if ax != -1:
                kw['axis'] = ax
        pred = normal(shp, dt, 2)
        if fl:
            pred = (pred - np.log(np.exp(pred.astype(np.float64)).sum(ax, keepdims=True))
                    ).astype(dt)
        label = np.exp(normal(shp, np.float64, 1))
        label = (label / label.sum(ax, keepdims=True))
        if R.rand() < 0.1:
            label[tuple(0 for _ in shp)] = 0.0
        lshape = shp
        known = None
        r = R.rand()
        if r < 0.08:          # a label that broadcasts (Symbol * does not: README's first row)
            lshape = (1,) + shp[1:]
            known = lambda hyb: 'sym-broadcast' if hyb else None  # noqa: E731
        elif r < 0.14:
            lshape = (int(np.prod(shp)),)
        label = label[:lshape[0]].reshape(lshape).astype(label_dtype(dt))
        if label.dtype == np.float16 and ((label > 0) & (label < 2.0 ** -16)).any():
            # README: MXNet's float16 log gradient multiplies by 1/x in float16, inf here
            known = 'f16-log-grad-tiny'
        sw = sample_weight(shp, b, dt)
        ins = [pred, label] + ([sw] if sw is not None else [])
        finish('kldiv', 'loss = gluon.loss.KLDivLoss(%s)' % args(**kw), pred, label, sw,
               known=known or mixed([x.dtype for x in ins]))


def g_triplet(n):
    for _ in range(n):
        dt = fdtype()
        shp = pshape()
        kw, b = common_kw(shp)
        if R.rand() < 0.7:
            kw['margin'] = float(pick(1, 0.5, 2.0, 0.0, 5.0))
        pos = normal(maybe_bad(shp), label_dtype(dt))
        neg = normal(maybe_bad(shp), dt)
        ins = [normal(shp, dt), pos, neg]
        call = 'out = loss(x0, x1, x2)'
        known = mixed([x.dtype for x in ins])
        if R.rand() < 0.05:   # minigluon's extension: MXNet's TripletLoss takes no sample_weight
            ins.append(R.uniform(0, 2, (shp[b],)).astype(dt))
            call = 'out = loss(x0, x1, x2, x3)'
            known = 'triplet-sample-weight'
        add('triplet', 'loss = gluon.loss.TripletLoss(%s)' % args(**kw), call, ins,
            wrt=(0, 1, 2), known=known)


def g_poisson(n):
    for _ in range(n):
        dt = fdtype()
        shp = pshape()
        kw, b = common_kw(shp)
        fl = bool(R.rand() < 0.6)
        full = bool(R.rand() < 0.3)
        if not fl:
            kw['from_logits'] = False
        if full:
            kw['compute_full'] = True
        pred = normal(shp, dt, 1) if fl else R.uniform(0.05, 3, shp).astype(dt)
        target = R.randint(0 if R.rand() < 0.5 else 1, 6, maybe_bad(shp)).astype(label_dtype(dt))
        if R.rand() < 0.2:
            target = R.uniform(0.1, 4, target.shape).astype(target.dtype)
        sw = sample_weight(shp, b, dt)
        extra = ''
        if not fl and R.rand() < 0.4:   # a number: MXNet refuses it when hybridized, as we do
            extra = ', %r' % float(pick(1e-3, 0.1, 0.0))
        ins = [pred, target] + ([sw] if sw is not None else [])
        known = mixed([x.dtype for x in ins])
        record = True
        if full:
            # README: MXNet's compute_full fails when recorded or hybridized and is NaN for a
            # zero target; eager cases run unrecorded so that the values still get compared.
            record = False
            known = lambda hyb, z=bool((target == 0).any()), k=known: (  # noqa: E731
                'poisson-full' if hyb or z else k)
        call = 'out = loss(x0, x1%s%s)' % (', x2' if sw is not None else
                                           ', None' if extra else '', extra)
        add('poisson', 'loss = gluon.loss.PoissonNLLLoss(%s)' % args(**kw), call, ins,
            wrt=(0, 1), record=record, known=known)


def g_cosine(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float32', 'float64', 'float16')
        shp = pshape(min_nd=2, max_nd=2 if R.rand() < 0.8 else 3)
        kw, b = common_kw(shp)
        kw.pop('batch_axis', None)
        if R.rand() < 0.6:
            kw['margin'] = float(pick(0.0, 0.2, 0.5, -0.3))
        x1 = normal(maybe_bad(shp), dt)
        x2 = normal(shp, dt)
        zero = R.rand() < 0.1
        if zero:
            x1.flat[:shp[-1]] = 0          # a zero vector: the 1e-12 floor of the norms
        rows = int(np.prod(shp[:-1]))
        label = R.choice([1, -1, 1, -1, 0], size=pick((rows,), (rows, 1), (rows + 1,)))
        label = label.astype(pick(dt, 'float32', 'int32'))
        ins = [x1, x2, label]
        call = 'out = loss(x0, x1, x2'
        r = R.rand()
        if r < 0.5:
            ins.append(R.uniform(0, 2, pick((rows, 1), (rows,), (1,), (rows + 1, 1))).astype(dt))
            call += ', x3'
        # README: MXNet's norm gradient is NaN at zero, ours 0
        known = 'cosine-dtype' if dt != 'float32' else mixed([x.dtype for x in ins]) or (
            'norm-grad-at-zero' if zero else None)
        if known is None and label.size != rows:   # Symbol * does not broadcast (README)
            known = lambda hyb: 'sym-broadcast' if hyb else None  # noqa: E731
        add('cosine', 'loss = gluon.loss.CosineEmbeddingLoss(%s)' % args(**kw), call + ')', ins,
            wrt=(0, 1), known=known)


def g_sdml(n):
    for _ in range(n):
        dt = pick('float32', 'float32', 'float32', 'float64', 'float16')
        N, D = ri(1, 5), ri(1, 4)
        kw = {}
        if R.rand() < 0.7:
            kw['smoothing_parameter'] = float(pick(0.3, 0.0, 0.1, 0.5, 0.9))
        if R.rand() < 0.2:
            kw['weight'] = float(pick(0.5, 2.0))
        x1 = normal((N, D), dt)
        x2 = normal((N, D) if R.rand() < 0.9 else (N, D + 1), dt)
        known = lambda hyb, dt=dt, w='weight' in kw: (  # noqa: E731
            'sdml' if hyb or dt != 'float32' or w else None)
        add('sdml', 'loss = gluon.loss.SDMLLoss(%s)' % args(**kw), 'out = loss(x0, x1)',
            [x1, x2], wrt=(0, 1), known=known)


GROUPS = {'l1': g_l1, 'l2': g_l2, 'huber': g_huber, 'hinge': g_hinge, 'sqhinge': g_sqhinge,
          'logistic': g_logistic, 'sbce': g_sbce, 'softmaxce': g_softmaxce, 'kldiv': g_kldiv,
          'triplet': g_triplet, 'poisson': g_poisson, 'cosine': g_cosine, 'sdml': g_sdml}
SIZES = {'l1': 0.5, 'l2': 0.6, 'huber': 0.6, 'hinge': 0.5, 'sqhinge': 0.5, 'logistic': 0.6,
         'sbce': 1.2, 'softmaxce': 1.5, 'kldiv': 1.0, 'triplet': 0.6, 'poisson': 1.0,
         'cosine': 0.8, 'sdml': 0.5}


def generate(out, seed, n, only=None):
    global R
    R = np.random.RandomState(seed)
    del CASES[:]
    VALUES.clear()
    for name, g in GROUPS.items():
        if not only or name in only:
            g(max(1, int(n * SIZES[name])))
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, 'inputs.npz'), **VALUES)
    with open(os.path.join(out, 'cases.json'), 'w') as f:
        json.dump(CASES, f, indent=0)
    return len(CASES)


# -- one backend, run as a child process ------------------------------------------------------------

def run_case(mx, c, inputs):
    """Build, call and differentiate one case; the dict of arrays to compare."""
    nd = mx.nd
    env = {'nd': nd, 'mx': mx, 'np': np, 'gluon': mx.gluon}
    with mx.name.NameManager():
        exec(c['build'], env)
    loss = env['loss']
    if c['hybridize']:
        loss.hybridize()
    xs = []
    for i in range(c['n_in']):
        a = inputs['%s_in%d' % (c['key'], i)]
        xs.append(nd.array(a, dtype=a.dtype))
    for i in c['wrt']:
        xs[i].attach_grad()
    env.update({'x%d' % i: x for i, x in enumerate(xs)}, loss=loss)
    if c['record']:
        with mx.autograd.record():
            exec(c['call'], env)
    else:
        exec(c['call'], env)
    out = env['out']
    res = {'out0': out.asnumpy()}
    if c['wrt']:
        rng = np.random.RandomState(int(c['key'][1:]) // 2)     # the same for both twins
        head = nd.array(rng.standard_normal(out.shape), dtype=out.dtype)
        out.backward(head)
        for i in c['wrt']:
            res['grad%d' % i] = xs[i].grad.asnumpy()
    return res


def run_backend_child(backend, casedir, start):
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
    for c in cases[start:]:
        try:
            res = run_case(mx, c, inputs)
        except Exception as e:  # noqa: BLE001 -- every failure is a result to compare
            text = str(e).strip()
            res = {'error': np.array('%s: %s' % (type(e).__name__,
                                                 text.splitlines()[-1][:300] if text else '')),
                   'mro': np.array(' '.join(k.__name__ for k in type(e).__mro__))}
        np.savez(os.path.join(resdir, c['key'] + '.npz'), **res)
        done.write(c['key'] + '\n')
        done.flush()


# -- comparison -------------------------------------------------------------------------------------

def scaled_tol(dt, b):
    """``_tol`` with the absolute part scaled by the array's largest finite magnitude (a loss
    summing terms of size 100 in float32 has rounding errors of about 1e-5 even where it is 0)."""
    rtol, atol = _tol(dt)
    fin = np.abs(b[np.isfinite(b)].astype(np.float64))
    return rtol, atol * max(1.0, float(fin.max()) if fin.size else 1.0)


def diff_case(m, o):
    """The list of differences between MXNet's results ``m`` and ours ``o`` (empty: equal)."""
    if 'error' in m or 'error' in o:
        if 'error' not in o:
            return ['MXNet raises (%s), minigluon runs' % m['error']]
        if 'error' not in m:
            return ['minigluon raises (%s), MXNet runs' % o['error']]
        cls = str(m['mro']).split()[0]
        if cls not in str(o['mro']).split():
            return ['error class: MXNet %s, minigluon %s (%s | %s)' % (
                cls, str(o['mro']).split()[0], m['error'], o['error'])]
        return []
    bad = []
    for k in sorted(m):
        if k not in o:
            bad.append('missing %s' % k)
            continue
        a, b = o[k], m[k]
        if a.dtype != b.dtype:
            bad.append('%s dtype ours %s mx %s' % (k, a.dtype, b.dtype))
        if a.shape != b.shape:
            bad.append('%s shape ours %s mx %s' % (k, a.shape, b.shape))
        elif not base._close(a, b, lambda dt: scaled_tol(dt, b)):
            d = np.abs(a.astype(np.float64) - b.astype(np.float64))
            d[np.isnan(a) != np.isnan(b)] = np.inf
            i = int(np.nanargmax(d)) if not np.isnan(d).all() else 0
            bad.append('%s values: largest difference at %s: ours %r mx %r' % (
                k, np.unravel_index(i, a.shape), a.flat[i], b.flat[i]))
    return bad


# MXNet's error when one operator gets two dtypes (README: minigluon promotes), and when a Symbol
# operator gets two shapes that NDArray's would broadcast (README's first row: minigluon broadcasts
# in both modes).
MIXED_DTYPE = re.compile(r'Incompatible attr in node.*expected u?(float|int)|requires uniform type')
SYM_SHAPES = re.compile(r'Incompatible attr in node.*expected \[')


def known_tag(c, m, o, mx_eager, ours):
    """The tag of a documented difference for case ``c`` (MXNet's results ``m``, ours ``o``), or
    None. ``mx_eager``: MXNet's results of the eager twin of a hybridized case."""
    if 'error' in o and 'error' not in m:    # minigluon failing alone is never documented
        return None
    if c['known']:
        return c['known']
    # a weight that is not a number: minigluon refuses it at construction (TypeError, also an
    # AssertionError), MXNet when called, after its checks of the inputs
    if re.search(r"weight=('|\[)", c['code']) and 'error' in m and 'error' in o and \
            'AssertionError' in str(o['mro']).split():
        return 'weight-at-construction'
    if 'error' in m:
        err = str(m['error'])
        if MIXED_DTYPE.search(err):
            return 'mixed-dtype'
        # MXNet's hybridized graph refuses what its eager run broadcast: ours must then equal
        # MXNet's eager results.
        if c['hybridize'] and SYM_SHAPES.search(err) and mx_eager is not None \
                and not diff_case(mx_eager, ours):
            return 'sym-broadcast'
    return None


def compare(casedir):
    with open(os.path.join(casedir, 'cases.json')) as f:
        cases = json.load(f)
    stats = collections.Counter()
    diffs = collections.defaultdict(list)

    def load(backend, key):
        return dict(np.load(os.path.join(casedir, 'res', backend, key + '.npz')))

    for c in cases:
        g = c['group']
        m, o = load('mxnet', c['key']), load('minigluon', c['key'])
        stats[g] += 1
        if 'error' in m:
            stats[g + ':mx_error'] += 1
        bad = diff_case(m, o)
        mx_eager = load('mxnet', 'c%d' % (int(c['key'][1:]) - 1)) if c['hybridize'] else None
        tag = known_tag(c, m, o, mx_eager, o) if bad else None
        if not bad:
            stats[g + ':same'] += 1
        elif tag:
            stats[g + ':known'] += 1
            stats['known:' + tag] += 1
        else:
            diffs[g].append('%s %s | %s %s %s\n      %s' % (
                c['key'], c['code'].replace('\n', '; '), c['call'], c['dtypes'], c['shapes'],
                '; '.join(bad)))
    lines = []
    total = sum(stats[g] for g in stats if ':' not in g)
    lines.append('== %d cases: %d equal, %d known differences (%s), %d other differences' % (
        total, sum(v for k, v in stats.items() if k.endswith(':same')),
        sum(v for k, v in stats.items() if k.endswith(':known')),
        ', '.join('%s %d' % (k[6:], v) for k, v in sorted(stats.items())
                  if k.startswith('known:')) or 'none',
        sum(len(v) for v in diffs.values())))
    for g in sorted(k for k in stats if ':' not in k):
        lines.append('== %s: %d cases, %d equal, %d known, %d rejected by MXNet' % (
            g, stats[g], stats[g + ':same'], stats[g + ':known'], stats[g + ':mx_error']))
        lines.extend('  ' + d for d in diffs[g])
    return '\n'.join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('outdir')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--n', type=int, default=100, help='configurations per family (scaled)')
    p.add_argument('--groups', default='', help='comma-separated families (default: all)')
    p.add_argument('--timeout', type=int, default=180, help='seconds per child process')
    p.add_argument('--compare-only', action='store_true', help=argparse.SUPPRESS)
    p.add_argument('--backend', help=argparse.SUPPRESS)
    p.add_argument('--start', type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.backend:
        run_backend_child(a.backend, a.outdir, a.start)
        return
    if not a.compare_only:
        n = generate(a.outdir, a.seed, a.n, [g for g in a.groups.split(',') if g])
        with open(os.path.join(a.outdir, 'cases.json')) as f:
            keys = [c['key'] for c in json.load(f)]
        print('%d cases' % n, file=sys.stderr)
        for backend in ('mxnet', 'minigluon'):
            base.run_backend(backend, a.outdir, keys, a.timeout, script=__file__)
    print(compare(a.outdir))


if __name__ == '__main__':
    main()
