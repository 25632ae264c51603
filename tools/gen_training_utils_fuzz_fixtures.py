"""Regression cases for what ``tools/fuzz_training_utils.py`` found, recorded on MXNet 1.9.1; run
in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_training_utils_fuzz_fixtures.py

Each case is the fuzzer's: ``code`` run by ``fuzz_training_utils.run_case`` with the NumPy inputs
``X`` (``A(x)`` makes an NDArray). Output, in ``tests/fixtures/training_utils_fuzz/``:
``cases.json`` (``key``, ``code``, ``n_in``, ``error`` (the exception class name, or null)) and
``values.npz`` (``<key>_in<i>`` inputs, ``<key>:<name>`` the flattened outputs).

* ``signsgd_clip*``: ``nd.signsgd_update`` ignores ``clip_gradient`` (0 included);
* ``ftrl_sched*``: Ftrl with an ``lr_scheduler`` keeps the scheduler's ``base_lr`` (its
  ``learning_rate`` is not handed to the base class);
* ``rmsprop_clipw*``: RMSProp's ``clip_weights`` of None, 0 or a negative bound does not clip;
* ``pearson_micro*``: ``PearsonCorrelation(average='micro')`` of one sample is NaN, not an error;
* ``init_*``: the name patterns of ``Initializer.__call__`` with an ``InitDesc`` (raises for
  ``moving_mean``...) and with a plain name (the older, wider patterns).
"""
import json
import os
import sys
import warnings

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_training_utils import run_case  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'training_utils_fuzz')
rng = np.random.RandomState(7)
CASES, VALUES = [], {}


def case(key, code, inputs=()):
    c = {'key': key, 'code': code, 'n_in': len(inputs), 'error': None}
    for i, x in enumerate(inputs):
        VALUES['%s_in%d' % (key, i)] = x
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            res = run_case(mx, c, VALUES)
    except Exception as e:  # noqa: BLE001 -- the error is the expected result
        c['error'] = type(e).__name__
        res = {}
    for name, v in res.items():
        VALUES['%s:%s' % (key, name)] = v
    CASES.append(c)


def main():
    w, g = rng.standard_normal((3, 4)).astype('float32'), rng.standard_normal((3, 4)).astype('float32')
    for clip in (0.0, 0.3, -1.0):
        case('signsgd_clip%g' % clip,
             "out = {'res': nd.signsgd_update(A(X[0]), A(X[1]), lr=0.1, wd=0.05, "
             "rescale_grad=0.5, clip_gradient=%r)}" % clip, [w, g])
    steps = [rng.standard_normal((3, 4)).astype('float32') for _ in range(4)]
    for tag, lr_arg in (('', ''), ('_lr', 'learning_rate=0.05, ')):
        case('ftrl_sched' + tag, '\n'.join([
            'sch = mx.lr_scheduler.MultiFactorScheduler(step=[1, 3], factor=0.5, base_lr=0.3)',
            "opt = mx.optimizer.create('ftrl', %slamda1=0.01, lr_scheduler=sch)" % lr_arg,
            'upd = mx.optimizer.get_updater(opt)', 'w = A(X[0])', 'out = {}',
            'for s in range(1, 5):', '    upd(0, A(X[s]), w)', "    out[s] = w.asnumpy()",
            "out['lr'], out['base_lr'] = opt.lr, sch.base_lr"]), [w] + steps)
    big = (rng.standard_normal((3, 4)) * 2).astype('float32')
    for cw in (-1.0, 0.0, 0.5, None):
        for centered in (False, True):
            case('rmsprop_clipw%s_%d' % (cw, centered), '\n'.join([
                "opt = mx.optimizer.create('rmsprop', learning_rate=0.1, centered=%r, "
                "clip_weights=%r)" % (centered, cw),
                'upd = mx.optimizer.get_updater(opt)', 'w = A(X[0])', 'out = {}',
                'for s in range(1, 3):', '    upd(0, A(X[s]), w)', "    out[s] = w.asnumpy()"]),
                [big] + steps[:2])
    one, many = rng.standard_normal((1,)).astype('float32'), rng.standard_normal((4, 2)).astype('float32')
    case('pearson_micro', '\n'.join([
        "m = mx.metric.PearsonCorrelation(average='micro')", 'out = {}',
        'm.update([A(X[0])], [A(X[1])])', "out['one'] = m.get()",
        'm.update([A(X[2])], [A(X[3])])', "out['more'] = m.get()"]),
        [one, one * 2, many, many + rng.standard_normal((4, 2)).astype('float32')])
    for name in ('fc_weight', 'fc_bias', 'bn_gamma', 'bn_beta', 'q_min', 'q_max', 'fc_bias_quantize',
                 'bn_moving_mean', 'bn_moving_var', 'bn_running_mean', 'bn_moving_inv_var',
                 'bn_moving_avg', 'upsampling0_weight', 'upsampling0', 'x_upsampling',
                 'stn_loc_weight', 'stn_loc_bias', 'mystery'):
        for how, call in (('desc', 'ini(mx.init.InitDesc(%r), arr)'), ('legacy', 'ini(%r, arr)')):
            shape = (6,) if name.startswith('stn') else (1, 1, 2, 4) if 'upsampling' in name else (2, 3)
            case('init_%s_%s' % (how, name), '\n'.join([
                'arr = nd.zeros(%r) + 7' % (shape,), 'ini = mx.init.Constant(3)', call % name,
                "out = {'arr': arr}"]))
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, 'values.npz'), **VALUES)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'cases': CASES}, f, indent=1)
        f.write('\n')
    print('%d cases' % len(CASES))


if __name__ == '__main__':
    main()
