"""Differential fuzzer of the Gluon layers: random (seeded) configurations of ``gluon.nn`` and
``gluon.rnn`` blocks built, run and differentiated under MXNet 1.9.1 and under minigluon, compared
output by output, input gradient by input gradient and parameter gradient by parameter gradient.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_gluon_layers.py /tmp/layer-fuzz --seed 1 [--groups conv,pool] [--n 40]
                                       [--timeout 120] [--no-mkldnn]

Each configuration becomes two cases, ``<family>`` (eager) and ``<family>.hyb`` (the same block
hybridized before its first call). A case is ``code`` (Python that sets ``net`` from ``nn``,
``rnn``, ``nd``, ``mx``, run inside a fresh ``mx.name.NameManager()`` so parameter names agree),
``call`` (sets ``out`` from ``net`` and the inputs ``x0, x1...``), the dtype the block is cast to,
``train`` (autograd's train mode) and ``wrt`` (the differentiated inputs). The child process builds
the block, initializes it, sets every parameter from NumPy before the first call (values drawn
from a seed made of the configuration and the parameter's name, so both frameworks get the same
ones; MXNet's MKL-DNN build refuses ``set_data`` on a used convolution weight), runs ``call``
under ``autograd.record``, and back-propagates ``sum(out * w)`` for random ``w``. Results:
``out<j>``, ``grad<i>`` (inputs), ``pgrad:<name>`` (parameters that take a gradient) and
``after:<name>`` (every parameter after the pass: BatchNorm's running statistics).

The batching, crash/hang resume, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s; a configuration count per family is half the cases of ``<family>`` plus
``<family>.hyb``. Float64 differences near 1e-7 are MXNet computing in float32 inside (GELU, PReLU,
the RNN op with relu, BatchNorm's running mean). ``--no-mkldnn`` tells the MKL-DNN kernels' faults
from the reference kernels'. A difference where MXNet is right is fixed in minigluon with MXNet's
numbers added to a golden fixture (``tools/gen_nn_fixtures.py``, ``gen_rnn_fixtures.py``...); one
where MXNet is wrong is a row of the docs/PORTING.md's "deliberately differs" table with a test in
``tests/ops/test_deliberate_differences.py``.
"""
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, add_case, pick, ri  # noqa: E402

# Layers sum over many terms: looser than the element-wise fuzzer.
TOL = {'float16': (2e-2, 2e-2), 'float32': (1e-3, 1e-4), 'float64': (1e-7, 1e-9)}


def fdtype():
    return 'float64' if R.rand() < 0.2 else 'float32'


def add(group, code, call, inputs, wrt=(0,), dtype='float32', train=False):
    """Record one configuration as an eager and a hybridized case."""
    cfg = len(_fuzz.CASES) // 2
    for hyb in (False, True):
        add_case(group + ('.hyb' if hyb else ''), code + ('\n# hybridized' if hyb else ''), inputs,
                 cfg=cfg, build=code, call=call, hybridize=hyb,
                 wrt=[i for i in wrt if inputs[i].dtype.kind == 'f'], dtype=dtype,
                 train=bool(train))


def rand(shape, dtype):
    return (R.standard_normal(shape) * 1.5).astype(dtype)


def args(**kw):
    return ', '.join('%s=%r' % kv for kv in kw.items())


# -- families ---------------------------------------------------------------------------------------

def g_conv(n):
    for _ in range(n):
        d = pick(1, 2, 2, 3)
        tr = R.rand() < 0.35
        dt = fdtype()
        g = pick(1, 1, 2)
        cin, cout = g * ri(1, 3), g * ri(1, 3)
        k = tuple(ri(1, 3) for _ in range(d))
        s = tuple(ri(1, 2) for _ in range(d))
        dil = tuple(ri(1, 2) if R.rand() < 0.3 else 1 for _ in range(d))
        p = tuple(ri(0, 2) if R.rand() < 0.5 else 0 for _ in range(d))
        size = [ri(3, 7) if d < 3 else ri(3, 5) for _ in range(d)]
        for i in range(d):      # keep the convolution's output non-empty
            while not tr and size[i] + 2 * p[i] < dil[i] * (k[i] - 1) + 1:
                size[i] += 1
        layout = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}[d]
        if R.rand() < 0.15 and d in (1, 2):
            layout = {1: 'NWC', 2: 'NHWC'}[d]
        kw = dict(channels=cout, kernel_size=k, strides=s, padding=p, dilation=dil, groups=g,
                  layout=layout, use_bias=bool(R.rand() < 0.7), in_channels=cin)
        if tr and R.rand() < 0.5:
            kw['output_padding'] = tuple(ri(0, si - 1) for si in s)
        act = pick(None, None, 'relu', 'tanh', 'sigmoid')
        if act:
            kw['activation'] = act
        cls = 'Conv%dD%s' % (d, 'Transpose' if tr else '')
        N = ri(1, 2)
        shp = (N, cin) + tuple(size) if layout.startswith('NC') else (N,) + tuple(size) + (cin,)
        add('conv', 'net = nn.%s(%s)' % (cls, args(**kw)), 'out = net(x0)', [rand(shp, dt)],
            dtype=dt)


def g_pool(n):
    for _ in range(n):
        d = pick(1, 2, 2, 3)
        dt = fdtype()
        N, C = ri(1, 2), ri(1, 3)
        size = [ri(2, 7) if d < 3 else ri(2, 5) for _ in range(d)]
        layout = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}[d]
        if R.rand() < 0.1 and d in (1, 2):
            layout = {1: 'NWC', 2: 'NHWC'}[d]
        kind = pick('Max', 'Avg')
        if R.rand() < 0.2:
            code = 'net = nn.Global%sPool%dD(%s)' % (kind, d, args(layout=layout))
        else:
            k = tuple(ri(1, min(3, sz)) for sz in size)
            kw = dict(pool_size=k, strides=tuple(ri(1, 3) for _ in range(d)) if R.rand() < 0.7
                      else None,
                      padding=tuple(ri(0, (ki - 1) // 2 + (ki > 1)) if R.rand() < 0.5 else 0
                                    for ki in k),
                      ceil_mode=bool(R.rand() < 0.4), layout=layout)
            kw['padding'] = tuple(min(pi, ki - 1) if ki > 1 else 0
                                  for pi, ki in zip(kw['padding'], k))
            if kind == 'Avg' and R.rand() < 0.5:
                kw['count_include_pad'] = False
            code = 'net = nn.%sPool%dD(%s)' % (kind, d, args(**kw))
        shp = (N, C) + tuple(size) if layout.startswith('NC') else (N,) + tuple(size) + (C,)
        add('pool', code, 'out = net(x0)', [rand(shp, dt)], dtype=dt)


def g_norm(n):
    for _ in range(n):
        dt = fdtype()
        kind = pick('BatchNorm', 'BatchNorm', 'LayerNorm', 'InstanceNorm', 'GroupNorm')
        nd_ = ri(2, 4) if kind in ('BatchNorm', 'LayerNorm') else ri(3, 4)
        shp = tuple(ri(1, 4) for _ in range(nd_))
        train = bool(R.rand() < 0.6)
        kw = dict(epsilon=float(pick(1e-5, 1e-3, 0.1)), center=bool(R.rand() < 0.8),
                  scale=bool(R.rand() < 0.8))
        if kind == 'BatchNorm':
            ax = ri(-1, nd_ - 1)
            if ax == -1:
                ax = pick(-1, nd_ - 1)
            if R.rand() < 0.3 and ax != 0:
                shp = (shp[0] + 2,) + shp[1:]  # batch statistics over more than 1 sample
            kw.update(axis=ax, momentum=float(pick(0.9, 0.5, 0.0)),
                      use_global_stats=bool(R.rand() < 0.3), in_channels=shp[ax])
        elif kind == 'LayerNorm':
            ax = pick(-1, -1, ri(0, nd_ - 1))
            kw.update(axis=ax, in_channels=shp[ax])
        elif kind == 'InstanceNorm':
            ax = pick(1, 1, -1)
            kw.update(axis=ax, in_channels=shp[ax])
        else:
            g = pick(1, 2, 3)
            shp = (shp[0], g * ri(1, 2)) + shp[2:]
            kw.update(num_groups=g)
        add('norm', 'net = nn.%s(%s)' % (kind, args(**kw)), 'out = net(x0)',
            [rand(shp, dt) + 0.5], dtype=dt, train=train)


def g_dense(n):
    for _ in range(n):
        dt = fdtype()
        shp = tuple(ri(1, 4) for _ in range(ri(2, 4)))
        flat = bool(R.rand() < 0.5)
        kw = dict(units=ri(1, 5), use_bias=bool(R.rand() < 0.7), flatten=flat,
                  in_units=int(np.prod(shp[1:])) if flat else shp[-1])
        act = pick(None, 'relu', 'tanh', 'softrelu')
        if act:
            kw['activation'] = act
        add('dense', 'net = nn.Dense(%s)' % args(**kw), 'out = net(x0)', [rand(shp, dt)],
            dtype=dt)


def g_embedding(n):
    for _ in range(n):
        dt = fdtype()
        vocab, dim = ri(2, 8), ri(1, 5)
        idx = R.randint(0, vocab, size=tuple(ri(1, 4) for _ in range(ri(1, 3))))
        add('embedding', 'net = nn.Embedding(%d, %d, dtype=%r)' % (vocab, dim, dt),
            'out = net(x0)', [idx.astype(pick('float32', 'int32'))], wrt=(), dtype=dt)


ACTS = ["nn.Activation('relu')", "nn.Activation('sigmoid')", "nn.Activation('tanh')",
        "nn.Activation('softrelu')", "nn.Activation('softsign')", 'nn.LeakyReLU(0.1)',
        'nn.LeakyReLU(0.0)', 'nn.PReLU()', 'PRELU_C', 'nn.ELU()', 'nn.ELU(0.5)', 'nn.SELU()',
        'nn.GELU()', 'nn.Swish()', 'nn.Swish(0.7)', 'nn.Dropout(0.0)', 'nn.Flatten()',
        "nn.Lambda('tanh')", 'nn.Lambda(lambda x: nd.relu(x) * 2 - x)',
        "nn.HybridLambda('softsign')", 'nn.HybridLambda(lambda F, x: F.sigmoid(x) * x + 1)',
        'REFLECT']


def g_act(n):
    for _ in range(n):
        dt = fdtype()
        a = pick(*ACTS)
        shp = tuple(ri(1, 4) for _ in range(ri(1, 4)))
        if a == 'PRELU_C':
            shp = (ri(1, 3), ri(2, 4)) + shp[2:]
            a = 'nn.PReLU(in_channels=%d)' % shp[1]
        elif a == 'nn.Flatten()' and len(shp) < 2:
            shp = shp + (3,)
        elif a == 'REFLECT':
            shp = (ri(1, 2), ri(1, 2), ri(2, 5), ri(2, 5))
            pad = ri(0, min(shp[2:]) - 1)
            a = 'nn.ReflectionPad2D(%r)' % ((pad if R.rand() < 0.6 else
                                             (0, 0, 0, 0, pad, ri(0, pad), ri(0, pad), pad)),)
        add('act', 'net = %s' % a, 'out = net(x0)', [rand(shp, dt)], dtype=dt)


def g_rnn_layer(n):
    for _ in range(n):
        dt = fdtype()
        mode = pick('RNN', 'LSTM', 'GRU')
        L, D = ri(1, 2), pick(1, 2)
        H, I, T, N = ri(1, 4), ri(1, 4), ri(1, 4), ri(1, 3)
        layout = pick('TNC', 'NTC')
        kw = dict(hidden_size=H, num_layers=L, layout=layout, bidirectional=D == 2, input_size=I)
        if mode == 'RNN':
            kw['activation'] = pick('relu', 'tanh')
        P = None
        if mode == 'LSTM' and R.rand() < 0.3:
            P = ri(1, H)
            kw['projection_size'] = P
        if dt == 'float64':
            kw['dtype'] = dt
        x = rand((T, N, I) if layout == 'TNC' else (N, T, I), dt)
        ins, call = [x], 'out = net(x0)'
        if R.rand() < 0.5:
            ins.append(rand((L * D, N, P or H), dt) * 0.5)
            if mode == 'LSTM':
                ins.append(rand((L * D, N, H), dt) * 0.5)
                call = 'out = net(x0, [x1, x2])'
            else:
                call = 'out = net(x0, [x1])'
        add('rnn_layer', 'net = rnn.%s(%s)' % (mode, args(**kw)), call, ins,
            wrt=tuple(range(len(ins))), dtype=dt)


def _cell(kind, H, I):
    if kind == 'RNNCell':
        return 'rnn.RNNCell(%d, activation=%r, input_size=%d)' % (H, pick('tanh', 'relu'), I)
    return 'rnn.%s(%d, input_size=%d)' % (kind, H, I)


def g_cell(n):
    for _ in range(n):
        dt = fdtype()
        T, N, I = ri(1, 4), ri(1, 3), ri(1, 4)
        kind = pick('LSTMCell', 'GRUCell', 'RNNCell', 'Bidirectional', 'Residual', 'Zoneout',
                    'Sequential')
        base_kind = pick('LSTMCell', 'GRUCell', 'RNNCell')
        if kind in ('LSTMCell', 'GRUCell', 'RNNCell'):
            code = 'net = ' + _cell(kind, ri(1, 4), I)
        elif kind == 'Bidirectional':
            code = 'net = rnn.BidirectionalCell(%s, %s)' % (
                _cell(base_kind, ri(1, 3), I), _cell(pick('LSTMCell', 'GRUCell', 'RNNCell'),
                                                     ri(1, 3), I))
        elif kind == 'Residual':
            code = 'net = rnn.ResidualCell(%s)' % _cell(base_kind, I, I)
        elif kind == 'Zoneout':
            code = 'net = rnn.ZoneoutCell(%s, 0.0, 0.0)' % _cell(base_kind, ri(1, 4), I)
        else:
            H1 = ri(1, 4)
            code = ('net = rnn.SequentialRNNCell()\nwith net.name_scope():\n'
                    '    net.add(%s)\n    net.add(%s)' % (
                        _cell(base_kind, H1, I), _cell(pick('LSTMCell', 'GRUCell', 'RNNCell'),
                                                       ri(1, 4), H1)))
        layout = pick('TNC', 'NTC')
        merge = bool(R.rand() < 0.5)
        x = rand((T, N, I) if layout == 'TNC' else (N, T, I), dt)
        ins = [x]
        call = 'out = net.unroll(%d, x0, layout=%r, merge_outputs=%r' % (T, layout, merge)
        if R.rand() < 0.4 and kind != 'Bidirectional' or R.rand() < 0.2:
            ins.append(R.randint(1, T + 1, size=(N,)).astype(dt))
            call += ', valid_length=x1'
        if dt == 'float64':
            code += "\nnet.cast('float64')"
        add('cell', code, call + ')', ins, wrt=(0,), dtype=dt)


GROUPS = {'conv': (g_conv, 1.5), 'pool': (g_pool, 1.0), 'norm': (g_norm, 1.0),
          'dense': (g_dense, 0.5), 'embedding': (g_embedding, 0.3), 'act': (g_act, 1.0),
          'rnn_layer': (g_rnn_layer, 1.0), 'cell': (g_cell, 1.0)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process ------------------------------------------------------------

def param_value(cfg, name, shape, dtype):
    """The value every framework gives parameter ``name`` of configuration ``cfg``."""
    rng = np.random.RandomState(zlib.crc32(('%d:%s' % (cfg, name)).encode()))
    if name.endswith(('running_var', 'gamma')) and not name.endswith('h2r_weight'):
        return rng.uniform(0.5, 1.5, shape).astype(dtype)
    return (rng.standard_normal(shape) * 0.5).astype(dtype)


def flatten(out):
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in flatten(o)]
    return [out]


def run_case(mx, c, inputs):
    """Build, set, call and differentiate one case; the dict of arrays to compare."""
    nd = mx.nd
    env = {'nd': nd, 'mx': mx, 'np': np, 'nn': mx.gluon.nn, 'rnn': mx.gluon.rnn}
    with mx.name.NameManager():
        exec(c['build'], env)
    net = env['net']
    if c['dtype'] != 'float32' and 'cast(' not in c['build']:
        net.cast(c['dtype'])
    net.initialize()
    params = net.collect_params()
    for name, p in params.items():
        p.set_data(nd.array(param_value(c['cfg'], name, p.shape, c['dtype']), dtype=c['dtype']))
    if c['hybridize']:
        net.hybridize()
    xs = [nd.array(inputs['%s_in%d' % (c['key'], i)],
                   dtype=inputs['%s_in%d' % (c['key'], i)].dtype) for i in range(c['n_in'])]
    for i in c['wrt']:
        xs[i].attach_grad()
    env.update({'x%d' % i: x for i, x in enumerate(xs)}, net=net)
    with mx.autograd.record(train_mode=c['train']):
        exec(c['call'], env)
        outs = flatten(env['out'])
    res = {'out%d' % j: o.asnumpy() for j, o in enumerate(outs)}
    rng = np.random.RandomState(c['cfg'])
    heads = [nd.array(rng.standard_normal(o.shape), dtype=o.dtype) for o in outs]
    mx.autograd.backward(outs, heads, train_mode=c['train'])
    for i in c['wrt']:
        res['grad%d' % i] = xs[i].grad.asnumpy()
    for name, p in params.items():
        if p.grad_req != 'null':
            res['pgrad:' + name] = p.grad().asnumpy()
        res['after:' + name] = p.data().asnumpy()
    return res


def main():
    _fuzz.main(__doc__, __file__, generate,
               _fuzz.child(run_case),
               lambda casedir: _fuzz.compare_outputs(casedir, TOL), n=40, timeout=120,
               options=[(('--no-mkldnn',), dict(action='store_true',
                                                 help='MXNET_MKLDNN_ENABLED=0 for MXNet'))],
               extra_env=lambda a: {'MXNET_MKLDNN_ENABLED': '0'} if a.no_mkldnn else None)


if __name__ == '__main__':
    main()
