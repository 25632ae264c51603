"""Differential fuzzer of the training utilities: random (seeded) optimizers, update operators,
learning-rate schedulers, metrics and deterministic initializers run under MXNet 1.9.1 and under
minigluon, compared value by value (and raise / no raise).

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_training_utils.py /tmp/tu-fuzz --seed 1 [--groups optimizer,metric]
                                         [--n 100] [--timeout 120]

(``MXNET_PYTHON`` names another MXNet 1.9.1 interpreter than ``/opt/mxvenv/bin/python``.)

A case is ``code``: Python statements run with ``mx``, ``nd``, ``np``, the case's NumPy inputs as
the list ``X`` and ``A(x)`` (``nd.array(x, dtype=x.dtype)``), that set ``out``, any nesting of
lists, tuples and dicts of NDArrays, NumPy arrays, numbers, strings and None. The child process
flattens ``out`` into named arrays: ``out/<path>`` for arrays (dtype compared too) and
``val/<path>`` for Python numbers (values only: MXNet's metrics return NumPy or Python floats at
random). Strings compare exactly. Groups:

* ``optimizer``: every optimizer MXNet 1.9.1 registers (``sgld`` only with ``learning_rate=0``: its
  noise has its own generator) through ``mx.optimizer.create`` with random hyper-parameters
  (``clip_gradient`` None, -1, 0 or positive; ``lr_mult``/``wd_mult`` by index or by name through
  ``param_idx2name``; ``multi_precision`` with float16 weights; float64 weights;
  ``begin_num_update``; an attached scheduler) and ``get_updater``, several steps over several
  weights; the weights after every step and ``num_update``;
* ``update_op``: the update operators (``nd.sgd_update`` ... ``mp_*``, ``lamb_update_phase1/2``,
  ``multi_*sgd*``, ``contrib.adamw_update``, ``contrib.group_adagrad_update``) with random
  attributes, called with or without ``out=``; the result and every state array after the call;
* ``lr_scheduler``: the four schedulers with random ``base_lr``, ``final_lr``, ``warmup_*``,
  ``stop_factor_lr``... evaluated over a random sequence of ``num_update`` (non-monotonic, with 0);
* ``metric``: every metric (``create`` by class, name, alias, list or function), several
  ``update`` calls on single arrays or lists, ``get``, ``get_global``, ``get_name_value``,
  ``reset_local`` and ``reset``;
* ``init``: the deterministic initializers (``Zero``, ``One``, ``Constant``, ``LSTMBias``,
  ``Bilinear``, ``Mixed``) and the routing of ``Initializer.__call__`` by name suffix and by the
  ``__init__`` attribute of an ``InitDesc`` (random initializers only where the routing makes the
  result deterministic: biases, gamma, beta, moving statistics), and ``dumps()``.

Known differences, each a row of the docs/PORTING.md's table of MXNet 1.9.1 faults or a documented
choice, that the generator avoids or that remain in the report: a negative ``clip_gradient`` of
an optimizer MXNet clips in Python (``PY_CLIP``: MXNet clips to the reversed interval, minigluon
does not clip); MXNet's optimizers whose states are float32 fail on float64 weights (AdaGrad,
AdaDelta, RMSProp, Ftrl, GroupAdaGrad) and float16 ones without ``multi_precision``; ``DCASGD``
with momentum crashes; ``Mixed`` fills what the pattern asks whatever the suffix;
``PearsonCorrelation(average='micro').get_global()`` is 0 in MXNet; F1/MCC take 1-D predictions;
``CustomMetric(allow_extra_outputs=True)`` wraps a bare array (MXNet scores it row by row);
``TopKAccuracy`` with ``top_k`` above the class count (MXNet: NumPy error); ``adamw_update``
leaves ``grad`` alone; minigluon also registers ``adamw``.

The batching, crash/hang resume, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s. Differences found and fixed are pinned by ``tools/gen_training_utils_fuzz_fixtures.py``
(MXNet-made values in ``tests/fixtures/training_utils_fuzz``).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case as add, kwargs_code, pick, rf, ri  # noqa: E402,F401

# Several optimizer steps compound rounding: a little looser than the element-wise fuzzer.
TOL = {'float16': (2e-2, 2e-2), 'float32': (1e-4, 1e-5), 'float64': (1e-6, 1e-9)}


def shape(n=None):
    n = ri(1, 3) if n is None else n
    return tuple(ri(1, 4) for _ in range(n))


# -- optimizers ----------------------------------------------------------------------------------

def _opt_kwargs(name):
    kw = {}
    if name in ('sgd', 'ccsgd', 'nag', 'signum', 'dcasgd', 'lbsgd', 'lars') and R.rand() < 0.7:
        kw['momentum'] = pick(0.0, 0.5, 0.9, rf(0, 0.99))
    if name in ('sgd', 'adam') and R.rand() < 0.3:
        kw['lazy_update'] = bool(R.rand() < 0.5)
    if name in ('adam', 'adamax', 'nadam', 'ftml', 'lamb') and R.rand() < 0.5:
        kw['beta1'] = pick(0.9, 0.5, rf(0, 0.99))
    if name in ('adam', 'adamax', 'nadam', 'ftml', 'lamb') and R.rand() < 0.5:
        kw['beta2'] = pick(0.999, 0.9, rf(0.5, 0.999))
    if name in ('adam', 'nadam', 'ftml', 'lamb', 'adadelta', 'rmsprop') and R.rand() < 0.4:
        kw['epsilon'] = pick(1e-8, 1e-3, 0.1)
    if name == 'adagrad' and R.rand() < 0.5:
        kw['eps'] = pick(1e-7, 1e-3, 0.1)
    if name == 'adadelta' and R.rand() < 0.5:
        kw['rho'] = pick(0.9, 0.5, rf(0.1, 0.99))
    if name == 'rmsprop':
        if R.rand() < 0.5:
            kw['centered'] = True
        if R.rand() < 0.5:
            kw['gamma1'] = pick(0.9, 0.5, rf(0.1, 0.99))
        if R.rand() < 0.4:
            kw['gamma2'] = pick(0.9, 0.5, rf(0.1, 0.99))
        if R.rand() < 0.3:
            kw['clip_weights'] = pick(0.05, 1.0, 0.0, -1.0)
    if name == 'nadam' and R.rand() < 0.5:
        kw['schedule_decay'] = pick(0.004, 0.1, 0.0)
    if name == 'ftrl':
        if R.rand() < 0.6:
            kw['lamda1'] = pick(0.01, 0.0, 0.5, rf(0, 1))
        if R.rand() < 0.5:
            kw['beta'] = pick(1.0, 0.0, rf(0, 2))
    if name == 'signum' and R.rand() < 0.5:
        kw['wd_lh'] = pick(0.0, 0.01, rf(0, 0.2))
    if name == 'dcasgd' and R.rand() < 0.6:
        kw['lamda'] = pick(0.04, 0.0, rf(0, 1))
    if name == 'lbsgd':
        if R.rand() < 0.6:
            kw['warmup_strategy'] = pick('linear', 'power2', 'sqrt', 'lars')
        if R.rand() < 0.6:
            kw['warmup_epochs'] = ri(1, 4)
        if R.rand() < 0.5:
            kw['batch_scale'] = pick(1, 2, 3)
        if R.rand() < 0.5:
            kw['updates_per_epoch'] = ri(1, 5)
        if R.rand() < 0.3:
            kw['begin_epoch'] = ri(0, 2)
        if R.rand() < 0.3:
            kw['num_epochs'] = ri(1, 60)
    if name == 'lamb':
        if R.rand() < 0.4:
            kw['lower_bound'] = pick(None, 1e-3, 0.5)
        if R.rand() < 0.4:
            kw['upper_bound'] = pick(None, 2.0, 10.0)
        if R.rand() < 0.4:
            kw['bias_correction'] = bool(R.rand() < 0.5)
    if name == 'lars' and R.rand() < 0.5:
        kw['eta'] = pick(0.001, 0.1, rf(0, 1))
    if name in ('lars', 'groupadagrad') and R.rand() < 0.4:
        kw['eps'] = pick(1e-8, 1e-3, 0.1)
    return kw


# the optimizers MXNet 1.9.1 clips in Python, to [-c, c] even for a negative c
PY_CLIP = ('adagrad', 'adadelta', 'adamax', 'nadam', 'dcasgd', 'sgld', 'groupadagrad')
OPTIMIZERS = ['sgd', 'ccsgd', 'nag', 'adam', 'adagrad', 'adadelta', 'rmsprop', 'adamax', 'nadam',
              'ftml', 'ftrl', 'signum', 'sgld', 'dcasgd', 'lbsgd', 'lamb', 'lars', 'groupadagrad',
              'test']


def g_sgld():
    """SGLD adds Gaussian noise of variance ``lr`` from its framework's generator: compare the
    noise's mean and standard deviation after removing the deterministic step, as booleans."""
    lr, wd, rescale = pick(0.01, 0.1, rf(0.001, 0.2)), pick(0.0, rf(0, 0.3)), pick(1.0, rf(0.1, 2))
    inputs = [R.standard_normal((20, 25)).astype('float32') for _ in range(3)]
    code = '\n'.join([
        'opt = mx.optimizer.create(%r, learning_rate=%r, wd=%r, rescale_grad=%r)' % ('sgld', lr, wd, rescale),
        'upd = mx.optimizer.get_updater(opt)', 'w = A(X[0])', 'out = {}',
        'for s in (1, 2):',
        '    old = w.asnumpy()',
        '    upd(0, A(X[s]), w)',
        '    noise = w.asnumpy() - old + %r / 2 * (X[s] * %r + %r * old)' % (lr, rescale, wd),
        "    out[s] = (abs(noise.mean()) < 4 * %r ** 0.5 / 500 ** 0.5," % lr,
        "              abs(noise.std() / %r ** 0.5 - 1) < 0.15)" % lr,
        "out['num_update'] = opt.num_update"])
    add('optimizer', code, inputs)


def g_optimizer(n):
    for _ in range(n):
        name = pick(*OPTIMIZERS)
        if name == 'sgld':
            g_sgld()
            continue
        kw = _opt_kwargs(name)
        if R.rand() < 0.8:
            kw['learning_rate'] = pick(0.1, 0.01, rf(0.001, 1.0))
        if R.rand() < 0.6 and name != 'groupadagrad':
            kw['wd'] = pick(0.0, 0.01, rf(0, 0.5))
        if R.rand() < 0.5:
            kw['rescale_grad'] = pick(1.0, 0.5, 0.125, rf(0.01, 2))
        if R.rand() < 0.5:
            kw['clip_gradient'] = pick(None, -1.0, 0.0, 0.1, 0.5, 1.0, rf(0.01, 2))
            if name in PY_CLIP and kw['clip_gradient'] == -1.0:
                kw['clip_gradient'] = None      # a known, deliberate difference (see docstring)
        if R.rand() < 0.2:
            kw['begin_num_update'] = ri(1, 5)
        k = ri(1, 3)
        dtype = pick('float32', 'float32', 'float32', 'float64', 'float16')
        if dtype == 'float16' and R.rand() < 0.7:
            kw['multi_precision'] = True
        elif dtype == 'float32' and R.rand() < 0.1:
            kw['multi_precision'] = True
        idx = sorted(int(i) for i in R.choice(8, k, replace=False)) if R.rand() < 0.5 \
            else list(range(k))
        names = {}
        if R.rand() < 0.5:
            for i in idx:
                names[i] = 'p%d_%s' % (i, pick('weight', 'bias', 'gamma', 'beta', 'alpha'))
            kw['param_idx2name'] = names
        pre = []
        if R.rand() < 0.3:
            sch = pick('mx.lr_scheduler.FactorScheduler(step=%d, factor=%r)' % (ri(1, 3), rf(0.1, 1)),
                       'mx.lr_scheduler.MultiFactorScheduler(step=[1, 3], factor=0.5)',
                       'mx.lr_scheduler.PolyScheduler(max_update=6, base_lr=%r, pwr=2)' % rf(0.01, 1),
                       'mx.lr_scheduler.CosineScheduler(max_update=5, base_lr=0.2, final_lr=0.01, '
                       'warmup_steps=2)')
            pre.append('sch = ' + sch)
        args = kwargs_code(kw)
        if pre:
            args += ', lr_scheduler=sch'
        lines = pre + ['opt = mx.optimizer.create(%r%s)' % (name, ', ' + args if args else '')]
        if R.rand() < 0.4:
            keys = [pick(i, names.get(i, i)) for i in idx if R.rand() < 0.7]
            lines.append('opt.set_lr_mult(%r)' % {kk: pick(0.0, 0.5, 2.0, rf(0, 3)) for kk in keys})
        if R.rand() < 0.4:
            keys = [pick(i, names.get(i, i)) for i in idx if R.rand() < 0.7]
            lines.append('opt.set_wd_mult(%r)' % {kk: pick(0.0, 0.5, 2.0, rf(0, 3)) for kk in keys})
        steps = ri(1, 4)
        shapes = [shape(2) if name == 'groupadagrad' else shape() for _ in idx]
        inputs = [(R.standard_normal(s)).astype(dtype) for s in shapes]
        for _ in range(steps):
            inputs += [(R.standard_normal(s) * pick(1, 0.1, 3)).astype(dtype) for s in shapes]
        lines += ['upd = mx.optimizer.get_updater(opt)',
                  'idx, k = %r, %d' % (idx, k),
                  'ws = [A(X[i]) for i in range(k)]',
                  'out = {}',
                  'for s in range(%d):' % steps,
                  '    for i in range(k):',
                  '        upd(idx[i], A(X[k + s * k + i]), ws[i])',
                  "    out['step%d' % s] = [w.asnumpy() for w in ws]",
                  "out['num_update'] = opt.num_update"]
        add('optimizer', '\n'.join(lines), inputs)


# -- update operators ----------------------------------------------------------------------------

def _common(kw, clip=True):
    if R.rand() < 0.5:
        kw['wd'] = pick(0.0, 0.01, rf(0, 0.5))
    if R.rand() < 0.5:
        kw['rescale_grad'] = pick(1.0, 0.5, rf(0.01, 2))
    if clip and R.rand() < 0.5:
        kw['clip_gradient'] = pick(-1.0, 0.0, 0.1, 1.0, rf(0.01, 2))
    return kw


# op name: (arrays (w = weight, g = gradient, s = non-negative state, m = signed state,
#           W = float32 master weight of a float16 weight), attribute maker)
def _lr():
    return {'lr': pick(0.1, 0.01, rf(0.001, 1))}


UPDATE_OPS = {
    'sgd_update': ('wg', lambda: _common(dict(_lr(), **({'lazy_update': False} if R.rand() < .2 else {})))),
    'sgd_mom_update': ('wgm', lambda: _common(dict(_lr(), momentum=pick(0.0, 0.9, rf(0, 1))))),
    'mp_sgd_update': ('wgW', lambda: _common(_lr())),
    'mp_sgd_mom_update': ('wgmW', lambda: _common(dict(_lr(), momentum=pick(0.0, 0.9, rf(0, 1))))),
    'nag_mom_update': ('wgm', lambda: _common(dict(_lr(), momentum=pick(0.0, 0.9, rf(0, 1))))),
    'mp_nag_mom_update': ('wgmW', lambda: _common(dict(_lr(), momentum=pick(0.0, 0.9, rf(0, 1))))),
    'adam_update': ('wgms', lambda: _common(dict(_lr(), beta1=pick(0.9, rf(0, 1)),
                                                 beta2=pick(0.999, rf(0, 1)),
                                                 epsilon=pick(1e-8, 1e-3)))),
    'rmsprop_update': ('wgs', lambda: _common(dict(_lr(), gamma1=pick(0.95, rf(0, 1)),
                                                   epsilon=pick(1e-8, 1e-3),
                                                   clip_weights=pick(-1.0, 0.5, 0.0)))),
    'rmspropalex_update': ('wgsmm', lambda: _common(dict(_lr(), gamma1=pick(0.95, rf(0, 1)),
                                                         gamma2=pick(0.9, rf(0, 1)),
                                                         epsilon=pick(1e-8, 1e-3),
                                                         clip_weights=pick(-1.0, 0.5)))),
    'ftml_update': ('wgssm', lambda: dict(_common(dict(_lr(), beta1=pick(0.6, rf(0, 1)),
                                                       beta2=pick(0.999, rf(0, 1)),
                                                       epsilon=pick(1e-8, 1e-3)), clip=False),
                                          t=ri(1, 5),
                                          **({'clip_grad': pick(-1.0, 0.5)} if R.rand() < .5 else {}))),
    'ftrl_update': ('wgms', lambda: _common(dict(_lr(), lamda1=pick(0.01, rf(0, 1)),
                                                 beta=pick(1.0, rf(0, 2))))),
    'signsgd_update': ('wg', lambda: _common(_lr())),
    'signum_update': ('wgm', lambda: _common(dict(_lr(), momentum=pick(0.9, rf(0, 1)),
                                                  wd_lh=pick(0.0, rf(0, 0.2))))),
    'lamb_update_phase1': ('wgms', lambda: _common(dict(wd=0.0, beta1=pick(0.9, rf(0, 1)),
                                                        beta2=pick(0.999, rf(0, 1)),
                                                        epsilon=pick(1e-6, 1e-3), t=ri(1, 5),
                                                        bias_correction=bool(R.rand() < .7)))),
    'mp_lamb_update_phase1': ('wgmsW', lambda: _common(dict(wd=0.0, beta1=pick(0.9, rf(0, 1)),
                                                            beta2=pick(0.999, rf(0, 1)),
                                                            epsilon=pick(1e-6, 1e-3), t=ri(1, 5),
                                                            bias_correction=bool(R.rand() < .7)))),
    'lamb_update_phase2': ('wgrr', lambda: dict(_lr(), **{k: v for k, v in (
        ('lower_bound', pick(-1.0, 1e-3, 0.5)), ('upper_bound', pick(-1.0, 2.0, 10.0)))
        if R.rand() < 0.5})),
    'mp_lamb_update_phase2': ('wGrrW', lambda: dict(_lr(), **{k: v for k, v in (
        ('lower_bound', pick(-1.0, 1e-3, 0.5)), ('upper_bound', pick(-1.0, 2.0, 10.0)))
        if R.rand() < 0.5})),
    'contrib.adamw_update': ('wgms', lambda: dict(_common({}, clip=True), lr=pick(0.1, rf(0, 1)),
                                                  eta=pick(1.0, rf(0, 2)),
                                                  beta1=pick(0.9, rf(0, 1)),
                                                  beta2=pick(0.999, rf(0, 1)),
                                                  epsilon=pick(1e-8, 1e-3))),
    'contrib.mp_adamw_update': ('wgmsW', lambda: dict(_common({}, clip=True), lr=pick(0.1, rf(0, 1)),
                                                      eta=pick(1.0, rf(0, 2)))),
}
MULTI_OPS = {'multi_sgd_update': 'wg', 'multi_sgd_mom_update': 'wgm',
             'multi_mp_sgd_update': 'wgW', 'multi_mp_sgd_mom_update': 'wgmW',
             'preloaded_multi_sgd_update': 'wg', 'preloaded_multi_sgd_mom_update': 'wgm',
             'preloaded_multi_mp_sgd_update': 'wgW', 'preloaded_multi_mp_sgd_mom_update': 'wgmW'}


def _arrays(kinds, s, dtype, op):
    out = []
    for c in kinds:
        if c == 'w':
            out.append(R.standard_normal(s).astype(dtype))
        elif c in 'gG':   # G: a float32 gradient of a float16 weight
            out.append((R.standard_normal(s) * pick(1, 0.1, 5)).astype('float32' if c == 'G' else dtype))
        elif c == 's':
            out.append(R.uniform(0, 2, s).astype('float32' if 'mp_' in op else dtype))
        elif c == 'm':
            out.append(R.standard_normal(s).astype('float32' if 'mp_' in op else dtype))
        elif c == 'W':
            out.append(out[0].astype('float32') + np.float32(R.uniform(-1e-3, 1e-3)))
        elif c == 'r':
            out.append(np.array([pick(0.0, rf(0.1, 3))], dtype='float32' if 'mp_' in op else dtype))
    return out


def g_update_op(n):
    names = list(UPDATE_OPS) + list(MULTI_OPS)
    for _ in range(n):
        op = pick(*names)
        mp = 'mp_' in op
        dtype = 'float16' if mp else pick('float32', 'float32', 'float64', 'float16')
        if op in ('mp_nag_mom_update', 'mp_lamb_update_phase2', 'mp_sgd_update') and R.rand() < .25:
            dtype = 'float32'          # MXNet's mp_ operators take float32 weights too
        if op in MULTI_OPS:
            kinds = MULTI_OPS[op]
            nw = ri(1, 3)
            inputs, lrs, wds = [], [], []
            for _ in range(nw):
                inputs += _arrays(kinds, shape(), dtype, op)
                lrs.append(pick(0.1, rf(0, 1)))
                wds.append(pick(0.0, rf(0, 0.3)))
            kw = {k: v for k, v in _common({}).items() if k != 'wd'}
            if 'mom' in op:
                kw['momentum'] = pick(0.0, 0.9, rf(0, 1))
            kw['num_weights'] = nw
            if op.startswith('preloaded'):
                lines = ['arrs = [A(x) for x in X] + [nd.array(%r), nd.array(%r)]' % (lrs, wds)]
            else:
                kw['lrs'], kw['wds'] = tuple(lrs), tuple(wds)
                lines = ['arrs = [A(x) for x in X]']
            per = len(kinds)   # MXNet's multi_* operators need out= (the weights)
            lines.append('res = nd.%s(*arrs, %s, out=[arrs[%d * j] for j in range(%d)])'
                         % (op, kwargs_code(kw), per, nw))
            lines.append("out = {'res': res, 'arrays': arrs[:%d]}" % (per * nw))
            add('update_op', '\n'.join(lines), inputs)
            continue
        kinds, make = UPDATE_OPS[op]
        s = shape(2) if 'group_adagrad' in op else shape()
        inputs = _arrays(kinds, s, dtype, op)
        kw = make()
        n_arr = len(inputs)
        lines = ['arrs = [A(x) for x in X]']
        if 'adamw' in op:   # rescale_grad is an NDArray input
            lines.append('arrs.append(nd.array([%r]))' % kw.pop('rescale_grad', 1.0))
        call = 'nd.%s(*arrs, %s' % (op, kwargs_code(kw))
        if R.rand() < 0.6 and 'phase1' not in op:
            lines.append('res = %s, out=arrs[0])' % call)
        elif R.rand() < 0.4 and 'phase1' in op:     # the direction into a fresh array
            lines.append("res = %s, out=nd.zeros(arrs[0].shape, dtype=%r))"
                         % (call, 'float32' if mp else dtype))
        else:
            lines.append('res = %s)' % call)
        lines.append("out = {'res': res, 'arrays': arrs[:%d]}" % n_arr)
        add('update_op', '\n'.join(lines), inputs)


# -- learning-rate schedulers --------------------------------------------------------------------

def _warmup(kw):
    if R.rand() < 0.5:
        kw['warmup_steps'] = pick(0, 1, 3, ri(0, 10))
        if R.rand() < 0.6:
            kw['warmup_begin_lr'] = pick(0.0, 0.001, rf(0, 0.5))
        if R.rand() < 0.6:
            kw['warmup_mode'] = pick('linear', 'constant', 'constant', 'exp')
    return kw


def g_lr_scheduler(n):
    for _ in range(n):
        kind = pick('FactorScheduler', 'MultiFactorScheduler', 'PolyScheduler', 'CosineScheduler')
        kw = {}
        if R.rand() < 0.7:
            kw['base_lr'] = pick(0.01, 0.1, 1.0, rf(0.001, 2))
        if kind == 'FactorScheduler':
            kw['step'] = pick(1, 2, 3, ri(1, 10), 0)
            if R.rand() < 0.8:
                kw['factor'] = pick(0.5, 0.9, 0.1, rf(0.05, 1), 1.0, 1.5)
            if R.rand() < 0.4:
                kw['stop_factor_lr'] = pick(1e-8, 0.001, 0.05, rf(0, 0.3))
        elif kind == 'MultiFactorScheduler':
            m = ri(1, 4)
            steps = sorted(int(v) for v in R.choice(np.arange(1, 15), m, replace=False))
            if R.rand() < 0.1:
                steps = steps[::-1] if m > 1 else [0]
            kw['step'] = steps
            if R.rand() < 0.8:
                kw['factor'] = pick(0.5, 0.1, rf(0.05, 1), 1.0, 2.0)
        else:
            kw['max_update'] = pick(ri(1, 20), 10, 0)
            if R.rand() < 0.5:
                kw['final_lr'] = pick(0.0, 0.001, rf(0, 0.5))
            if kind == 'PolyScheduler' and R.rand() < 0.6:
                kw['pwr'] = pick(1, 2, 0.5, rf(0.1, 3))
        _warmup(kw)
        if R.rand() < 0.5:
            seq = sorted(int(v) for v in R.randint(0, 30, size=ri(3, 15)))
        else:
            seq = [int(v) for v in R.randint(0, 30, size=ri(3, 15))]
        if R.rand() < 0.3:
            seq = [0] + seq + [0]
        code = ('s = mx.lr_scheduler.%s(%s)\n' % (kind, kwargs_code(kw)) +
                'out = {}\nfor i, t in enumerate(%r):\n' % seq +
                '    out[i] = s(t)\n'
                "out['base_lr'] = s.base_lr")
        add('lr_scheduler', code)


# -- metrics -------------------------------------------------------------------------------------

def _labels(n, c, dt):
    return R.randint(0, c, size=(n,)).astype(dt)


def _probs(n, c, dt='float32'):
    p = R.uniform(0.01, 1, (n, c))
    return (p / p.sum(1, keepdims=True)).astype(dt)


def _metric_batch(kind, n, c, ldt):
    """(labels, preds) NumPy arrays of one update for metric ``kind``."""
    if kind in ('Accuracy', 'acc'):
        r = R.rand()
        if r < 0.5:
            return _labels(n, c, ldt), _probs(n, c)
        if r < 0.8:   # predicted classes, same shape as the labels
            return _labels(n, c, ldt), _labels(n, c, pick('float32', 'int32', 'int64'))
        return _labels(n, c, ldt).reshape(n, 1), _labels(n, c, 'float32').reshape(n, 1)
    if kind in ('TopKAccuracy', 'top_k_accuracy', 'Perplexity', 'perplexity', 'CrossEntropy',
                'ce', 'NegativeLogLikelihood', 'nll_loss', 'PCC', 'pcc'):
        return _labels(n, c, ldt), _probs(n, c)
    if kind in ('F1', 'f1', 'MCC', 'mcc'):
        if R.rand() < 0.8:
            return _labels(n, 2, ldt), _probs(n, 2)
        return _labels(n, 2, ldt), R.randint(0, 2, (n,)).astype('float32')
    if kind in ('MAE', 'MSE', 'RMSE', 'mae', 'mse', 'rmse', 'PearsonCorrelation', 'pearsonr'):
        s = pick((n,), (n, 1), (n, c))
        lab = R.standard_normal(s).astype(pick('float32', 'float64'))
        pred = R.standard_normal(s).astype('float32')
        if len(s) == 1 and R.rand() < 0.3 and kind not in ('PearsonCorrelation', 'pearsonr'):
            pred = pred.reshape(n, 1)
        return lab, pred
    if kind in ('Loss', 'loss'):
        return None, R.uniform(0, 3, pick((n,), (n, 2))).astype('float32')
    return _labels(n, c, ldt), _probs(n, c)


METRIC_CTORS = {
    'Accuracy': lambda c: pick('', 'axis=1', 'axis=-1', "name='acc2'"),
    'TopKAccuracy': lambda c: 'top_k=%d' % ri(2, c + 1),
    'F1': lambda c: pick('', "average='micro'", "average='macro'"),
    'MCC': lambda c: pick('', "average='micro'", "average='macro'"),
    'Perplexity': lambda c: pick('ignore_label=None', 'ignore_label=%d' % ri(0, c - 1),
                                 'ignore_label=0, axis=-1', 'ignore_label=None, axis=1'),
    'MAE': lambda c: '', 'MSE': lambda c: '', 'RMSE': lambda c: '',
    'CrossEntropy': lambda c: pick('', 'eps=1e-3', 'eps=0.5'),
    'NegativeLogLikelihood': lambda c: pick('', 'eps=1e-3'),
    'PearsonCorrelation': lambda c: pick('', "average='micro'", "average='macro'"),
    'PCC': lambda c: '', 'Loss': lambda c: pick('', "name='myloss'"),
    'Torch': lambda c: '', 'Caffe': lambda c: '',
}
ALIASES = {'acc': 'Accuracy', 'accuracy': 'Accuracy', 'top_k_accuracy': 'TopKAccuracy',
           'top_k_acc': 'TopKAccuracy', 'f1': 'F1', 'mcc': 'MCC', 'perplexity': 'Perplexity',
           'mae': 'MAE', 'mse': 'MSE', 'rmse': 'RMSE', 'ce': 'CrossEntropy',
           'nll_loss': 'NegativeLogLikelihood', 'pearsonr': 'PearsonCorrelation', 'pcc': 'PCC',
           'loss': 'Loss', 'torch': 'Torch', 'caffe': 'Caffe', 'crossentropy': 'CrossEntropy',
           'negativeloglikelihood': 'NegativeLogLikelihood'}
CUSTOM = ['lambda label, pred: float(np.abs(label.ravel() - pred.reshape(len(label), -1)[:, 0]).mean())',
          'lambda label, pred: (float(np.sum(label)), len(label))',
          'lambda label, pred: float((pred.reshape(len(label), -1).argmax(1) == label.ravel()).sum())']


def g_metric(n):
    for _ in range(n):
        _, c = ri(1, 6), ri(2, 5)      # (the first draw is unused; it keeps each seed's cases)
        ldt = pick('float32', 'int32', 'int64', 'float64')
        r = R.rand()
        kinds = []
        if r < 0.55:
            kind = pick(*METRIC_CTORS)
            ctor = 'mx.metric.%s(%s)' % (kind, METRIC_CTORS[kind](c))
            kinds = [kind]
        elif r < 0.75:
            alias = pick(*ALIASES)
            kind = ALIASES[alias]
            extra = {'TopKAccuracy': ', top_k=%d' % ri(2, c),
                     'Perplexity': pick('', ', ignore_label=None', ', ignore_label=1')}.get(kind, '')
            ctor = 'mx.metric.create(%r%s)' % (alias, extra)
            kinds = [kind]
        elif r < 0.87:
            members = [pick('Accuracy', 'MAE', 'MSE', 'CrossEntropy', 'TopKAccuracy', 'Perplexity')
                       for _ in range(ri(1, 3))]
            kinds = ['Composite'] + members
            if R.rand() < 0.5:
                ctor = 'mx.metric.create(%r)' % [{'TopKAccuracy': 'top_k_accuracy'}.get(m, m.lower())
                                                for m in members]
                if 'TopKAccuracy' in members:
                    ctor = 'mx.metric.create(%r, top_k=1)' % [m.lower() for m in members]
            else:
                ctor = ('mx.metric.CompositeEvalMetric([%s])'
                        % ', '.join('mx.metric.%s()' % m for m in members))
        else:
            f = pick(*CUSTOM)
            ctor = pick('mx.metric.np(%s)' % f, 'mx.metric.CustomMetric(%s, name=%r)' % (f, 'cm'),
                        'mx.metric.create(%s)' % f,
                        'mx.metric.CustomMetric(%s, allow_extra_outputs=True)' % f)
            kinds = ['Custom']
        # every member of a composite is fed the same batch: pick the layout all can read
        kind = kinds[0] if kinds[0] not in ('Composite', 'Custom') else 'CrossEntropy'
        if kinds[0] == 'Composite':
            kind = 'Regress' if set(kinds[1:]) <= {'MAE', 'MSE'} else 'CrossEntropy'
            if kind == 'CrossEntropy' and set(kinds[1:]) & {'MAE', 'MSE'}:
                kind = 'mismatch'
        inputs, lines = [], ['m = %s' % ctor, 'out = {}']
        for u in range(ri(1, 3)):
            listed = R.rand() < 0.5
            nlist = ri(1, 2) if listed else 1
            labs, preds = [], []
            for _ in range(nlist):
                n_ = ri(1, 6)
                if kind == 'Regress':
                    lab, pred = _metric_batch('MSE', n_, c, ldt)
                elif kind == 'mismatch':
                    lab, pred = _labels(n_, c, ldt), _probs(n_, c)
                else:
                    lab, pred = _metric_batch(kind, n_, c, ldt)
                if lab is None:
                    labs.append('None')
                else:
                    labs.append('A(X[%d])' % len(inputs))
                    inputs.append(lab)
                preds.append('A(X[%d])' % len(inputs))
                inputs.append(pred)
            if listed:
                lines.append('m.update([%s], [%s])' % (', '.join(labs), ', '.join(preds)))
            else:
                lines.append('m.update(%s, %s)' % (labs[0], preds[0]))
            lines.append("out['get%d'] = m.get()" % u)
        lines += ["out['global'] = m.get_global()", "out['nv'] = m.get_name_value()",
                  "out['gnv'] = m.get_global_name_value()"]
        if R.rand() < 0.5:
            lines += ['m.reset_local()', "out['after_reset_local'] = (m.get(), m.get_global())"]
        lines += ['m.reset()', "out['after_reset'] = (m.get(), m.get_global())"]
        add('metric', '\n'.join(lines), inputs)


# -- initializers --------------------------------------------------------------------------------

SUFFIXES = ['weight', 'weight', 'bias', 'bias', 'gamma', 'beta', 'moving_mean', 'moving_var',
            'running_mean', 'running_var', 'moving_inv_var', 'moving_avg', 'min', 'max',
            'upsampling', 'stat', 'parameters', 'state', 'i2h_bias', 'h2h_weight', 'weight_scale',
            'bias_quantize']
DET_INITS = ['mx.init.Zero()', 'mx.init.One()', 'mx.init.Constant(%r)', 'mx.init.Constant(%r)',
             'mx.init.LSTMBias(forget_bias=%r)', 'mx.init.Bilinear()']
RANDOM_INITS = ['mx.init.Uniform()', 'mx.init.Normal(0.5)', 'mx.init.Xavier()',
                'mx.init.MSRAPrelu()', 'mx.init.Orthogonal()']


def _init_expr(det_only=True):
    f = pick(*(DET_INITS if det_only else DET_INITS + RANDOM_INITS))
    if '%r' in f:
        f = f % pick(0.5, -2.0, 3, rf(-3, 3))
    return f


def g_init(n):
    for _ in range(n):
        r = R.rand()
        sfx = pick(*SUFFIXES)
        name = pick('fc0_', 'conv1_', 'lstm0_l0_', '', 'stn_loc_', 'upsampling0_') + sfx
        dtype = pick('float32', 'float32', 'float64', 'float16')
        if name.startswith('stn_loc') and R.rand() < 0.7:
            s = (6,)
        elif 'LSTM' in name or R.rand() < 0.2:
            s = (4 * ri(1, 3),) if R.rand() < 0.5 else (4 * ri(1, 3), ri(1, 3))
        elif sfx in ('weight', 'upsampling') and R.rand() < 0.5:
            s = (ri(1, 3), ri(1, 2), ri(1, 5), ri(1, 5))
        else:
            s = shape()
        lines = ['arr = nd.zeros(%r, dtype=%r) + 7' % (s, dtype)]
        if r < 0.4:
            init = _init_expr(det_only=R.rand() < 0.6 or sfx in ('weight', 'upsampling'))
            call = 'ini(mx.init.InitDesc(%r), arr)' if R.rand() < 0.6 else 'ini(%r, arr)'  # legacy
            lines += ['ini = %s' % init, call % name, "out = {'arr': arr, 'dumps': ini.dumps()}"]
        elif r < 0.6:   # the __init__ attribute of the description wins over the name
            inner = _init_expr()
            outer = _init_expr(det_only=False)
            lines += ['ini = %s' % outer,
                      "desc = mx.init.InitDesc(%r, attrs={'__init__': %s.dumps()})" % (name, inner),
                      'ini(desc, arr)', "out = {'arr': arr, 'desc': desc.attrs}"]
        elif r < 0.8:   # Mixed
            pats = [pick('.*bias', '.*weight', '.*gamma', 'fc0_.*', '.*') for _ in range(ri(1, 3))]
            inits = [_init_expr() for _ in pats]
            lines += ['ini = mx.init.Mixed(%r, [%s])' % (pats, ', '.join(inits)),
                      'ini(mx.init.InitDesc(%r), arr)' % name, "out = {'arr': arr}"]
        else:           # create / dumps round trip
            init = _init_expr()
            lines += ['ini = mx.init.create(%s.dumps())' % init if R.rand() < 0.5 else
                      'ini = mx.init.create(%r)' % pick('zeros', 'ones', 'zero', 'one', 'Zero',
                                                        'constant', 'lstmbias', 'bilinear'),
                      'ini(mx.init.InitDesc(%r), arr)' % name,
                      "out = {'arr': arr, 'dumps': ini.dumps()}"]
        add('init', '\n'.join(lines))


GROUPS = {'optimizer': (g_optimizer, 3.0), 'update_op': (g_update_op, 2.0),
          'lr_scheduler': (g_lr_scheduler, 1.5), 'metric': (g_metric, 2.5), 'init': (g_init, 1.0)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ----------------------------------------------------------

def flatten(x, path, res, nd):
    """Put ``x`` into ``res`` as named NumPy arrays (see the module docstring)."""
    if isinstance(x, dict):
        for k in sorted(x, key=str):
            flatten(x[k], '%s/%s' % (path, k), res, nd)
    elif isinstance(x, (list, tuple)):
        res['len' + path] = np.array(len(x))
        for i, v in enumerate(x):
            flatten(v, '%s/%d' % (path, i), res, nd)
    elif isinstance(x, nd.NDArray):
        res['out' + path] = x.asnumpy()
    elif isinstance(x, np.ndarray):
        res['out' + path] = x
    elif isinstance(x, str):
        res['str' + path] = np.array(x)
    elif x is None:
        res['str' + path] = np.array('None')
    else:
        res['val' + path] = np.array(float(x))


def run_case(mx, c, inputs):
    """Run case ``c``; its flattened ``out`` (the tests and the fixture generator call it too)."""
    X = [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])]
    env = {'mx': mx, 'nd': mx.nd, 'np': np, 'X': X,
           'A': lambda x: mx.nd.array(x, dtype=x.dtype)}
    exec(c['code'], env)
    res = {}
    flatten(env['out'], '', res, mx.nd)
    return res


def run_seeded(mx, c, inputs):
    """``run_case`` with NumPy's global generator seeded with 0 first (the fuzzer's children)."""
    np.random.seed(0)
    return run_case(mx, c, inputs)


def main():
    _fuzz.main(__doc__, __file__, generate,
               _fuzz.child(run_seeded, quiet=True),
               lambda casedir: _fuzz.compare_outputs(casedir, TOL), n=100, timeout=120)


if __name__ == '__main__':
    main()
