"""Differential fuzzer of model files across frameworks: seeded random Gluon networks built the
same way under MXNet 1.9.1 and under minigluon, whose files (``export``, ``save_parameters``,
``mx.model.save_checkpoint``, ``nd.save``) must be byte-identical and load into the other
framework with the same numbers.

Not part of the test suite (it needs the MXNet oracle venv). Usage, from the repository root::

    python3 tools/fuzz_model_files.py /tmp/files-fuzz --seed 1 [--n 300] [--groups net,ndsave]
                                      [--timeout 300]

Groups:

* ``net``: a random network, a ``HybridSequential`` (``seq``) or a custom ``HybridBlock``
  whose ``hybrid_forward`` mixes child blocks and ``F`` operators (``custom``, one to three
  inputs, one to three outputs). Layers: Dense (flatten or not, deferred or given ``in_units``),
  Conv1D/Conv2D/Conv2DTranspose, BatchNorm, LayerNorm, InstanceNorm, GroupNorm, Embedding,
  Dropout (inference), pooling, activations, Flatten, nested ``HybridSequential`` blocks with an
  explicit prefix or none, ``contrib.nn.HybridConcurrent`` and ``Identity``, a block added twice
  and Dense layers sharing ``params``, LSTM/GRU (with begin states as inputs, or not). ``F``
  operators: ``reshape`` with the special codes, ``slice_axis``, broadcast operators,
  ``concat``, ``SwapAxis``, ``transpose``, ``softmax``, ``where``, ``clip``, ``split``,
  reductions, scalar arithmetic. A custom block sits, sometimes, inside another one's name
  scope. Dtypes float32, float64 and float16 (``net.cast``; float16 networks mostly without
  Dense, convolution and RNN layers, which MXNet's CPU build cannot run in float16). The case's
  ``code`` (run inside a fresh ``mx.name.NameManager()``, so automatic names agree) sets
  ``net``; the weights are set from NumPy (``set_weights``: uniform values in sorted
  parameter-name order, running variances positive).
* ``ndsave``: a list or a dict of arrays (or one array) of various dtypes and shapes given to
  ``nd.save``.

A case runs twice per backend. The first pass (``run_case``) builds the network, hybridizes it,
runs it on the inputs (``out<i>``), writes ``export`` at epoch 0 or 12 (``json``: the text,
``params``: the bytes), ``save_parameters`` (``sp``, sometimes with ``deduplicate``) and a
``save_checkpoint`` of what ``load_checkpoint`` read back from the export (``ckjson``,
``ckparams``), under ``files/<backend>/<key>/``. The second pass (``--crossload``, after both
first passes, ``crossload_case``) reads the *other* framework's files: ``SymbolBlock.imports``
of its export (``imp<i>``), ``load_parameters`` of its ``save_parameters`` file and of its
export's parameters (``allow_missing``) into a freshly built network (``lp<i>``, ``le<i>``), the
imported block exported and saved again (``rejson``, ``reparams``, ``resp``: compared between
the two importers), ``load_checkpoint`` of its checkpoint saved again (``rtjson``,
``rtparams``) and imported (``ck<i>``), ``nd.load`` of its ``nd.save`` file (``keys``, ``a<i>``).

Comparison (the report, stdout): the first pass's outputs with ``_fuzz.close``'s tolerances,
the JSON node by node (op, name, attrs, inputs; then arg_nodes, heads and the rest), every file
byte by byte; the second pass's outputs against the *exporter's* outputs, its re-saved
checkpoint against the exporter's checkpoint bytes. Both failing counts as equal.

Known differences (counted under ``known:<tag>``, not printed): MXNet's CPU build refusing
float16 Dense/convolution/RNN (``mx-float16-cpu``) and non-float32 ``InstanceNorm``
(``mx-instancenorm-float32-only``), MXNet's float64 ``LeakyReLU`` family at float32 precision
(``mx-leakyrelu-float64-in-float32``), MXNet failing to give shapes to a child whose result no
output uses (``mx-child-off-the-graph``) and MXNet's ``load_parameters`` of an export file
failing (``mx-load-parameters-of-export``): docs/PORTING.md's table and the operators' docstrings.

First runs (seeds 1 to 9, about 3,400 networks and 700 ``nd.save`` files): JSON, ``.params``,
``save_parameters`` and checkpoint bytes all identical, every load in both directions with the
exporter's outputs, but for two minigluon bugs, now fixed: ``BatchNorm(scale=False)`` wrote the
1 it uses into the stored gamma in a hybridized call outside ``autograd.record()`` (MXNet's
graph inference leaves it, so ``export`` and ``save_parameters`` differed), and
``load_parameters`` of an export file put values into the wrong parameters where a full name
is also another parameter's prefix-stripped name (nested ``HybridSequential`` blocks).

Batches, crash/hang resume, the report and the command line (also ``--mx-python``,
``--compare-only``) are ``tools/_fuzz.py``'s. What it found is pinned by
``tools/gen_model_files_fuzz_fixtures.py`` (``tests/fixtures/model_files_fuzz/``) and
``tests/test_model_files_fuzz_regressions.py``.
"""
import argparse
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _fuzz  # noqa: E402
from _fuzz import R, chance, pick, ri  # noqa: E402

TOL = {'float16': (2e-2, 2e-2), 'float32': (2e-4, 2e-5), 'float64': (1e-7, 1e-9)}

# -- drawing a network -----------------------------------------------------------------------------


class Net:
    """The source of one random network under construction: ``init`` lines (the constructor
    body of a custom block, or the statements of a ``HybridSequential``), ``fwd`` lines (the
    body of ``hybrid_forward``), and a counter of names."""

    def __init__(self, custom, gemm=True):
        self.custom = custom
        self.gemm = gemm      # False: no Dense, convolution or RNN (float16: MXNet's CPU has none)
        self.init = []
        self.fwd = []
        self.n = 0
        self.shared = []      # (block name, in_units) of square Dense layers another may share

    def name(self, stem):
        self.n += 1
        return '%s%d' % (stem, self.n)


def act_code():
    return pick("nn.Activation('relu')", "nn.Activation('tanh')", "nn.Activation('sigmoid')",
                "nn.Activation('softrelu')", 'nn.LeakyReLU(0.1)', 'nn.ELU()', 'nn.SELU()',
                'nn.GELU()', 'nn.Swish()', 'nn.PReLU()')


def same_shape_layer(shape):
    """A layer that keeps the shape: (constructor source, shape)."""
    opts = ['act', 'act', 'ln', 'drop'] + (['bn'] if len(shape) >= 2 else [])
    if len(shape) >= 3:
        opts += ['in', 'gn']
    k = pick(*opts)
    if k == 'act':
        return act_code()
    if k == 'bn':
        kw = {}
        if chance(0.3):
            kw['axis'] = pick(1, -1)
        if chance(0.3) and kw.get('axis', 1) == 1:
            kw['in_channels'] = shape[1]
        if chance(0.15):
            kw['center'] = False
        if chance(0.15):
            kw['scale'] = False
        return 'nn.BatchNorm(%s)' % _fuzz.kwargs_code(kw)
    if k == 'ln':
        return 'nn.LayerNorm(%s)' % ('in_channels=%d' % shape[-1] if chance(0.3) else '')
    if k == 'drop':
        return 'nn.Dropout(%s)' % pick(0.5, 0.2)
    if k == 'in':
        return 'nn.InstanceNorm(%s)' % ('in_channels=%d' % shape[1] if chance(0.3) else '')
    c = shape[1]
    g = pick(*[d for d in range(1, c + 1) if c % d == 0])
    return 'nn.GroupNorm(num_groups=%d)' % g


def prefix_kw():
    """An explicit prefix, rarely."""
    return pick('', '', '', '', "prefix='p%d_'" % ri(0, 3), "prefix=''")


def dense(shape, flatten=None):
    units = ri(1, 5)
    flat = pick(True, False) if flatten is None else flatten
    kw = ['%d' % units]
    if not flat:
        kw.append('flatten=False')
    if chance(0.3):
        kw.append("activation='%s'" % pick('relu', 'tanh'))
    if chance(0.3):
        kw.append('in_units=%d' % (int(np.prod(shape[1:])) if flat else shape[-1]))
    if chance(0.15):
        kw.append('use_bias=False')
    p = prefix_kw()
    if p:
        kw.append(p)
    new = (shape[0], units) if flat else shape[:-1] + (units,)
    return 'nn.Dense(%s)' % ', '.join(kw), new


def conv(shape):
    """A convolution, pooling or flatten fitting rank-3 or rank-4 ``shape``: (source, shape)."""
    nd_ = len(shape) - 2
    k = pick('conv', 'conv', 'pool', 'gpool', 'convT') if nd_ == 2 else \
        pick('conv', 'conv', 'pool', 'gpool')
    sp = shape[2:]
    if k == 'gpool':
        return 'nn.Global%sPool%dD()' % (pick('Avg', 'Max'), nd_), shape[:2] + (1,) * nd_
    if k == 'pool':
        ks = ri(1, min(sp))
        st = ri(1, 2)
        new = tuple((s - ks) // st + 1 for s in sp)
        return 'nn.%sPool%dD(pool_size=%d, strides=%d)' % (pick('Max', 'Avg'), nd_, ks, st), \
            shape[:2] + new
    ch = ri(1, 4)
    ks = ri(1, 3)
    pad = ri(0, 1)
    kw = ['%d' % ch, '%d' % ks]
    if pad:
        kw.append('padding=%d' % pad)
    if chance(0.3):
        kw.append('in_channels=%d' % shape[1])
    if chance(0.2):
        kw.append("activation='relu'")
    if chance(0.15):
        kw.append('use_bias=False')
    if k == 'convT':
        st = ri(1, 2)
        if st > 1:
            kw.append('strides=%d' % st)
        new = tuple((s - 1) * st - 2 * pad + ks for s in sp)
        if min(new) < 1:
            return 'nn.Flatten()', (shape[0], int(np.prod(shape[1:])))
        return 'nn.Conv2DTranspose(%s)' % ', '.join(kw), (shape[0], ch) + new
    new = tuple(s + 2 * pad - ks + 1 for s in sp)
    if min(new) < 1:
        return 'nn.Flatten()', (shape[0], int(np.prod(shape[1:])))
    return 'nn.Conv%dD(%s)' % (nd_, ', '.join(kw)), (shape[0], ch) + new


def rnn_layer(shape, layout):
    """(source, output shape, hidden, layers*directions) of an LSTM or GRU over rank-3 ``shape``."""
    cls = pick('LSTM', 'GRU')
    h = ri(1, 4)
    nl = pick(1, 1, 2)
    bi = chance(0.3)
    kw = ['%d' % h]
    if nl > 1:
        kw.append('num_layers=%d' % nl)
    if layout == 'NTC':
        kw.append("layout='NTC'")
    if bi:
        kw.append('bidirectional=True')
    if chance(0.4):
        kw.append('input_size=%d' % shape[2])
    p = prefix_kw()
    if p:
        kw.append(p)
    return 'rnn.%s(%s)' % (cls, ', '.join(kw)), shape[:2] + (h * (2 if bi else 1),), h, \
        nl * (2 if bi else 1), cls


def layer(net, shape, target, depth=0):
    """Lines making one block into ``target`` (a name), for input ``shape``: (lines, shape)."""
    opts = ['dense', 'same', 'same'] if len(shape) >= 2 and net.gemm else ['same']
    if len(shape) in (3, 4) and net.gemm:
        opts += ['conv', 'conv']
    if len(shape) >= 3:
        opts.append('flatten')
    if depth < 2 and len(shape) >= 2:
        opts += ['nested', 'concurrent'] if net.gemm else ['nested']
    k = pick(*opts)
    if k == 'dense':
        src, new = dense(shape, flatten=None if len(shape) > 2 else pick(True, False))
        return ['%s = %s' % (target, src)], new
    if k == 'same':
        return ['%s = %s' % (target, same_shape_layer(shape))], shape
    if k == 'conv':
        src, new = conv(shape)
        return ['%s = %s' % (target, src)], new
    if k == 'flatten':
        return ['%s = nn.Flatten()' % target], (shape[0], int(np.prod(shape[1:])))
    sub = '_s%d' % depth
    if k == 'nested':
        lines = ['%s = nn.HybridSequential(%s)' % (target, prefix_kw()),
                 'with %s.name_scope():' % target]
        for _ in range(ri(1, 3)):
            inner, shape = layer(net, shape, sub, depth + 1)
            lines += ['    ' + s for s in inner] + ['    %s.add(%s)' % (target, sub)]
        if chance(0.15):    # the same block twice: shared parameters
            src = same_shape_layer(shape)
            lines += ['    %s = %s' % (sub, src), '    %s.add(%s, %s)' % (target, sub, sub)]
        return lines, shape
    # HybridConcurrent along the last axis: branches ending in Dense(flatten=False) or Identity
    lines = ['%s = contrib_nn.HybridConcurrent(axis=-1%s)' % (
        target, (', ' + prefix_kw()) if chance(0.3) else ''),
        'with %s.name_scope():' % target]
    total = 0
    for _ in range(ri(1, 3)):
        if chance(0.25):
            lines += ['    %s.add(contrib_nn.Identity())' % target]
            total += shape[-1]
            continue
        if chance(0.4):
            src = same_shape_layer(shape)
            lines += ['    %s = nn.HybridSequential()' % sub,
                      '    %s.add(%s)' % (sub, src)]
            d, new = dense(shape, flatten=False)
            lines += ['    %s.add(%s)' % (sub, d), '    %s.add(%s)' % (target, sub)]
        else:
            d, new = dense(shape, flatten=False)
            lines += ['    %s.add(%s)' % (target, d)]
        total += new[-1]
    return lines, shape[:-1] + (total,)


def input_shape():
    n = pick(1, 2, 3)
    return pick((n, ri(1, 6)), (n, ri(1, 4), ri(1, 6)), (n, ri(1, 3), ri(2, 6), ri(2, 6)))


def normal(shape, dt):
    return R.uniform(-1.5, 1.5, shape).astype(dt)


def seq_case(dt, gemm):
    """A HybridSequential of one to five layers (the first, rarely, an Embedding)."""
    net = Net(False, gemm)
    inputs = []
    lines = ['net = nn.HybridSequential(%s)' % prefix_kw(), 'with net.name_scope():']
    if chance(0.15):
        vocab, dim = ri(2, 8), ri(1, 4)
        shape = (pick(1, 2), ri(1, 4))
        inputs.append(R.randint(0, vocab, shape).astype(dt))
        lines += ['    net.add(nn.Embedding(%d, %d))' % (vocab, dim)]
        shape = shape + (dim,)
    else:
        shape = input_shape()
        inputs.append(normal(shape, dt))
    for _ in range(ri(1, 5)):
        inner, shape = layer(net, shape, 'b')
        lines += ['    ' + s for s in inner] + ['    net.add(b)']
    return lines, inputs


def fop(net, pool):
    """One ``F`` operator (or child block, or scalar arithmetic) on live tensors of ``pool``
    (a list of (name, shape)); appends the result to ``pool``."""
    name, shape = pool[-1] if chance(0.7) else pool[R.randint(len(pool))]
    r = len(shape)
    out = net.name('h')
    k = pick('block', 'block', 'block', 'reshape', 'slice', 'bcast', 'concat', 'swap',
             'transpose', 'softmax', 'where', 'clip', 'arith', 'reduce', 'split', 'rnn',
             'shared', 'expand')
    code, new = None, None
    if k == 'block':
        b = 'self.' + net.name('blk')
        lines, new = layer(net, shape, b)
        net.init += lines
        code = '%s = %s(%s)' % (out, b, name)
    elif k == 'reshape':
        opts = [((0, -1), (shape[0], int(np.prod(shape[1:])))),
                ((-1,), (int(np.prod(shape)),)), ((-2,), shape),
                ((-1,) + (0,) * (r - 1), shape)]
        if r >= 3:
            opts += [((-3,) + (0,) * (r - 2), (shape[0] * shape[1],) + shape[2:]),
                     ((0, 0, -1), shape[:2] + (int(np.prod(shape[2:])),))]
        if r >= 2:
            opts.append(((0, -4, 1, -1, -2), (shape[0], 1, shape[1]) + shape[2:]))
        spec, new = opts[R.randint(len(opts))]
        code = '%s = F.reshape(%s, shape=%r)' % (out, name, spec)
    elif k == 'slice' and max(shape) > 1:
        ax = pick(*[i for i in range(r) if shape[i] > 1])
        b = ri(0, shape[ax] - 1)
        e = pick(None, ri(b + 1, shape[ax]))
        code = '%s = F.slice_axis(%s, axis=%d, begin=%d, end=%r)' % (
            out, name, ax - r * chance(0.3), b, e)
        new = shape[:ax] + ((e if e is not None else shape[ax]) - b,) + shape[ax + 1:]
    elif k == 'bcast':
        ax = ri(0, r - 1)
        op = pick('broadcast_add', 'broadcast_mul', 'broadcast_sub', 'broadcast_maximum')
        red = pick('sum', 'mean', 'max')
        code = '%s = F.%s(%s, F.%s(%s, axis=%d, keepdims=True))' % (out, op, name, red, name, ax)
        new = shape
    elif k == 'concat':
        ax = ri(0, r - 1)
        others = [(n2, s2) for n2, s2 in pool if len(s2) == r and all(
            s2[i] == shape[i] for i in range(r) if i != ax)]
        n2, s2 = others[R.randint(len(others))]
        code = '%s = F.concat(%s, %s, dim=%d)' % (out, name, n2, ax)
        new = shape[:ax] + (shape[ax] + s2[ax],) + shape[ax + 1:]
    elif k == 'swap' and r >= 2:
        a, b = ri(0, r - 1), ri(0, r - 1)
        code = '%s = F.SwapAxis(%s, dim1=%d, dim2=%d)' % (out, name, a, b)
        s = list(shape)
        s[a], s[b] = s[b], s[a]
        new = tuple(s)
    elif k == 'transpose' and r >= 2:
        perm = tuple(int(i) for i in R.permutation(r))
        code = '%s = F.transpose(%s, axes=%r)' % (out, name, perm)
        new = tuple(shape[i] for i in perm)
    elif k == 'softmax':
        code = '%s = F.%s(%s, axis=%d)' % (out, pick('softmax', 'log_softmax'), name,
                                           ri(-r, r - 1))
        new = shape
    elif k == 'where':
        code = '%s = F.where(%s > 0, %s, %s * %s)' % (out, name, name, name, rf_())
        new = shape
    elif k == 'clip':
        code = '%s = F.clip(%s, %s, %s)' % (out, name, -rf_(), rf_())
        new = shape
    elif k == 'arith':
        code = '%s = %s' % (out, pick('%s * 2 + 1', '1 - %s', 'F.tanh(%s)', '%s / 3',
                                        'F.square(%s) - 0.5', 'F.relu(%s)', '-%s') % ((name,) * 1))
        new = shape
    elif k == 'reduce' and r >= 2:
        ax = ri(0, r - 1)
        keep = chance(0.5)
        code = '%s = F.%s(%s, axis=%d%s)' % (out, pick('sum', 'mean', 'max', 'min'), name, ax,
                                             ', keepdims=True' if keep else '')
        new = shape[:ax] + ((1,) if keep else ()) + shape[ax + 1:]
    elif k == 'split':
        axes = [i for i in range(r) if shape[i] % 2 == 0]
        if axes:
            ax = pick(*axes)
            o2 = net.name('h')
            net.fwd.append('%s, %s = F.split(%s, num_outputs=2, axis=%d)' % (out, o2, name, ax))
            half = shape[:ax] + (shape[ax] // 2,) + shape[ax + 1:]
            pool.append((o2, half))
            new = half
    elif k == 'rnn' and r == 3 and net.gemm:
        layout = pick('NTC', 'TNC')
        b = 'self.' + net.name('rnn')
        src, new, h, ld, cls = rnn_layer(shape, layout)
        net.init.append('%s = %s' % (b, src))
        if chance(0.5):
            batch = shape[0] if layout == 'NTC' else shape[1]
            n_states = 2 if cls == 'LSTM' else 1
            names = []
            for _ in range(n_states):
                names.append(net.new_input((ld, batch, h)))
            st = net.name('st')
            code = '%s, %s = %s(%s, [%s])' % (out, st, b, name, ', '.join(names))
            for j in range(n_states):
                pool.append(('%s[%d]' % (st, j), (ld, batch, h)))
            net.fwd.append(code)
            pool.append((out, new))
            return
        code = '%s = %s(%s)' % (out, b, name)
    elif k == 'shared' and net.gemm:
        d = shape[-1]
        mine = [s for s in net.shared if s[1] == d]
        b = 'self.' + net.name('dense')
        if mine and chance(0.7):
            net.init.append('%s = nn.Dense(%d, flatten=False, in_units=%d, params=%s.params)' % (
                b, d, d, mine[0][0]))
        else:
            net.init.append('%s = nn.Dense(%d, flatten=False%s)' % (
                b, d, pick('', ', in_units=%d' % d)))
            net.shared.append((b, d))
        code = '%s = %s(%s)' % (out, b, name)
        new = shape
    elif k == 'expand' and r < 4:
        ax = ri(0, r)
        code = '%s = F.expand_dims(%s, axis=%d)' % (out, name, ax)
        new = shape[:ax] + (1,) + shape[ax:]
    if code is None:
        code, new = '%s = F.relu(%s)' % (out, name), shape
    net.fwd.append(code)
    pool.append((out, new))


def rf_():
    return float(pick(0.1, 0.5, 1.0, 2.0))


def custom_case(dt, gemm):
    """A custom HybridBlock: one to three inputs, a few blocks and ``F`` operators, one to three
    outputs."""
    net = Net(True, gemm)
    inputs = []
    names = []

    def new_input(shape, idx=False):
        nm = 'x%d' % len(inputs)
        inputs.append(R.randint(0, 8, shape).astype(dt) if idx else normal(shape, dt))
        names.append(nm)
        return nm
    net.new_input = new_input
    pool = []
    if chance(0.15):
        shape = (pick(1, 2), ri(1, 4))
        x = new_input(shape, idx=True)
        dim = ri(1, 4)
        net.init.append('self.emb = nn.Embedding(8, %d%s)' % (dim, ', ' + prefix_kw()
                                                                if chance(0.3) else ''))
        net.fwd.append('e0 = self.emb(%s)' % x)
        pool.append(('e0', shape + (dim,)))
    else:
        shape = input_shape()
        pool.append((new_input(shape), shape))
    extra = []
    for _ in range(ri(0, 2) if chance(0.5) else 0):
        s = pick(pool[0][1], input_shape())
        extra.append((new_input(s), s))
    steps = ri(1, 6)
    for i in range(steps):
        if extra and chance(0.4):     # use an extra input: joined to the newest tensor
            xn, xs = extra.pop()
            hn, hs = pool[-1]
            out = net.name('h')
            if hs == xs:
                net.fwd.append('%s = %s + %s' % (out, hn, xn))
            else:
                net.fwd.append('%s = F.broadcast_add(%s, F.mean(%s))' % (out, hn, xn))
            pool.append((out, hs))
            continue
        fop(net, pool)
    for xn, xs in extra:
        hn, hs = pool[-1]
        out = net.name('h')
        net.fwd.append('%s = F.broadcast_%s(%s, F.%s(%s))' % (
            out, pick('add', 'mul'), hn, pick('sum', 'max'), xn))
        pool.append((out, hs))
    outs = [pool[-1][0]]
    for _ in range(ri(0, 2)):
        cand = [p[0] for p in pool[:-1] if p[0] not in outs and p[0] not in names]
        if cand:
            outs.append(pick(*cand))
    lines = ['class Net(gluon.HybridBlock):',
             '    def __init__(self, **kwargs):',
             '        super().__init__(**kwargs)',
             '        with self.name_scope():']
    lines += ['            ' + s for s in net.init] or []
    if not net.init:
        lines.append('            pass')
    lines += ['    def hybrid_forward(self, F, %s):' % ', '.join(names)]
    lines += ['        ' + s for s in net.fwd]
    lines += ['        return %s' % (outs[0] if len(outs) == 1 and chance(0.5)
                                     else '(%s,)' % ', '.join(outs))]
    net_prefix = pick('', '', "prefix='net_'", "prefix='model0_'", "prefix=''")
    if chance(0.25):     # inside another custom block's name scope
        lines += ['class Outer(gluon.HybridBlock):',
                  '    def __init__(self, **kwargs):',
                  '        super().__init__(**kwargs)',
                  '        with self.name_scope():',
                  '            self.inner = Net(%s)' % net_prefix,
                  '    def hybrid_forward(self, F, x0, *rest):',
                  '        return self.inner(x0, *rest)',
                  'net = Outer(%s)' % pick('', "prefix='outer_'")]
    else:
        lines += ['net = Net(%s)' % net_prefix]
    return lines, inputs


def g_net(count):
    for _ in range(count):
        dt = pick('float32', 'float32', 'float32', 'float32', 'float64', 'float64', 'float16')
        # float16: mostly without the layers MXNet's CPU build cannot run in float16
        gemm = dt != 'float16' or chance(0.2)
        lines, inputs = (custom_case if chance(0.6) else seq_case)(dt, gemm)
        if dt != 'float32':
            lines.append("net.cast('%s')" % dt)
        _fuzz.add_case('net', '\n'.join(lines), inputs, seed=ri(0, 10 ** 6),
                       epoch=pick(0, 0, 0, 12), deduplicate=bool(chance(0.3)))


def g_ndsave(count):
    for _ in range(count):
        arrays = []
        for _ in range(ri(0, 4)):
            dt = pick('float16', 'float32', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool')
            shape = tuple(ri(1, 4) for _ in range(ri(1, 3)))
            if chance(0.05):
                shape = shape[:-1] + (0,)
            arrays.append(R.uniform(-100, 100, shape).astype(dt) if dt.startswith('float')
                          else R.randint(0 if dt in ('uint8', 'bool') else -100,
                                         2 if dt == 'bool' else 100, shape).astype(dt))
        if arrays and chance(0.15):
            names, code = [], 'single'
            arrays = arrays[:1]
        elif chance(0.5):
            names = [pick('w', 'arg:fc_weight', 'aux:bn_moving_mean', 'x.y', 'a b', 'data%d')
                     .replace('%d', str(i)) + ('_%d' % i) for i in range(len(arrays))]
            code = 'dict'
        else:
            names = []
            code = 'list'
        _fuzz.add_case('ndsave', code, arrays, names=names)


GROUPS = {'net': (g_net, 1.0), 'ndsave': (g_ndsave, 0.2)}


def generate(out, seed, n, only=None):
    """Write the cases of ``seed`` to folder ``out`` (``_fuzz.generate``)."""
    return _fuzz.generate(out, seed, GROUPS, n, only)


# -- one backend, run as a child process -----------------------------------------------------------

def build(mx, code):
    """The network of ``code`` (in a fresh ``NameManager``)."""
    env = {'mx': mx, 'nd': mx.nd, 'np': np, 'gluon': mx.gluon, 'nn': mx.gluon.nn,
           'rnn': mx.gluon.rnn, 'contrib_nn': mx.gluon.contrib.nn}
    with mx.name.NameManager():
        exec(code, env)
    return env['net']


def set_weights(mx, net, seed):
    """Every parameter (sorted by name) from ``RandomState(seed)``: uniform on [-0.5, 0.5], a
    running variance on [0.5, 1.5]."""
    rs = np.random.RandomState(seed)
    params = net.collect_params()
    for key in sorted(params.keys()):
        p = params[key]
        v = rs.uniform(-0.5, 0.5, p.shape)
        if key.endswith('running_var'):
            v = v + 1.0
        p.set_data(mx.nd.array(v, dtype=p.dtype))


def outputs(out):
    return [o.asnumpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


def forward(mx, net, xs):
    return outputs(net(*[mx.nd.array(x, dtype=x.dtype) for x in xs]))


def input_names(n):
    """The names ``export`` gives the inputs: ``data``, or ``data0``, ``data1``..."""
    return ['data'] if n == 1 else ['data%d' % i for i in range(n)]


def read(path, text=False):
    with open(path, 'rb') as f:
        data = f.read()
    return np.array(data.decode()) if text else np.frombuffer(data, dtype=np.uint8)


def case_inputs(c, inputs):
    return [inputs['%s_in%d' % (c['key'], i)] for i in range(c['n_in'])]


def make_files(mx, c, xs, folder):
    """Build, run and save network case ``c`` into ``folder``: its results (the outputs and the
    files' contents)."""
    os.makedirs(folder, exist_ok=True)
    net = build(mx, c['code'])
    net.initialize()
    net.hybridize()
    forward(mx, net, xs)
    set_weights(mx, net, c['seed'])
    res = {'out%d' % i: o for i, o in enumerate(forward(mx, net, xs))}
    prefix = os.path.join(folder, 'net')
    epoch = c.get('epoch', 0)
    net.export(prefix, epoch)
    res['json'] = read(prefix + '-symbol.json', text=True)
    res['params'] = read(prefix + '-%04d.params' % epoch)
    net.save_parameters(os.path.join(folder, 'sp.params'),
                        deduplicate=c.get('deduplicate', False))
    res['sp'] = read(os.path.join(folder, 'sp.params'))
    sym, args, auxs = mx.model.load_checkpoint(prefix, epoch)
    mx.model.save_checkpoint(os.path.join(folder, 'ck'), 3, sym, args, auxs)
    res['ckjson'] = read(os.path.join(folder, 'ck-symbol.json'), text=True)
    res['ckparams'] = read(os.path.join(folder, 'ck-0003.params'))
    return res


def save_arrays(mx, c, xs, folder):
    os.makedirs(folder, exist_ok=True)
    data = [mx.nd.array(x, dtype=x.dtype) for x in xs]
    if c['code'] == 'dict':
        data = dict(zip(c['names'], data))
    elif c['code'] == 'single':
        data = data[0]
    mx.nd.save(os.path.join(folder, 'arrays.nd'), data)
    return {'ndfile': read(os.path.join(folder, 'arrays.nd'))}


def files_dir(casedir, backend, key):
    return os.path.join(casedir, 'files', backend, key)


def run_case(mx, c, inputs, casedir):
    xs = case_inputs(c, inputs)
    folder = files_dir(casedir, 'mxnet' if mx.__name__ == 'mxnet' else 'minigluon', c['key'])
    return (make_files if c['group'] == 'net' else save_arrays)(mx, c, xs, folder)


def crossload_case(mx, c, inputs, folder, own):
    """Load the files of the other framework (in ``folder``); ``own``: a folder to save in."""
    xs = case_inputs(c, inputs)
    res = {}
    if c['group'] == 'ndsave':
        data = mx.nd.load(os.path.join(folder, 'arrays.nd'))
        keys = sorted(data) if isinstance(data, dict) else list(range(len(data)))
        res['keys'] = np.array(json.dumps(keys if isinstance(data, dict) else
                                          '%s%d' % (type(data).__name__, len(data))))
        vals = [data[k] for k in (c['names'] if isinstance(data, dict) else keys)]
        for i, v in enumerate(vals):
            res['a%d' % i] = v.asnumpy()
        return res
    names = input_names(len(xs))
    prefix = os.path.join(folder, 'net')
    errors = []

    def attempt(what, fn):
        try:
            for i, o in enumerate(fn()):
                res['%s%d' % (what, i)] = o
        except Exception as e:  # noqa: BLE001 -- every failure is a result to compare
            errors.append('%s: %s' % (what, _fuzz.error_text(e)))

    epoch = c.get('epoch', 0)
    os.makedirs(own, exist_ok=True)

    def imports():
        block = mx.gluon.SymbolBlock.imports(prefix + '-symbol.json', names,
                                             prefix + '-%04d.params' % epoch, ctx=mx.current_context())
        out = forward(mx, block, xs)
        # the imported block saved again: its export and save_parameters
        block.export(os.path.join(own, 're'), 1)
        res['rejson'] = read(os.path.join(own, 're-symbol.json'), text=True)
        res['reparams'] = read(os.path.join(own, 're-0001.params'))
        block.save_parameters(os.path.join(own, 'resp.params'))
        res['resp'] = read(os.path.join(own, 'resp.params'))
        return out
    attempt('imp', imports)

    def load_export_params():
        # (allow_missing: an export holds only the parameters its graph uses; a child called
        # off the outputs' paths keeps its initial values)
        net = build(mx, c['code'])
        net.initialize()
        net.load_parameters(prefix + '-%04d.params' % epoch, allow_missing=True)
        net.hybridize()
        return forward(mx, net, xs)
    attempt('le', load_export_params)

    def load_params():
        net = build(mx, c['code'])
        net.load_parameters(os.path.join(folder, 'sp.params'), ctx=mx.current_context())
        net.hybridize()
        return forward(mx, net, xs)
    attempt('lp', load_params)

    def checkpoint():
        sym, args, auxs = mx.model.load_checkpoint(os.path.join(folder, 'ck'), 3)
        mx.model.save_checkpoint(os.path.join(own, 'rt'), 3, sym, args, auxs)
        res['rtjson'] = read(os.path.join(own, 'rt-symbol.json'), text=True)
        res['rtparams'] = read(os.path.join(own, 'rt-0003.params'))
        return forward(mx, mx.gluon.SymbolBlock.imports(
            os.path.join(own, 'rt-symbol.json'), names, os.path.join(own, 'rt-0003.params'),
            ctx=mx.current_context()), xs)
    attempt('ck', checkpoint)
    if errors:
        res['errors'] = np.array('\n'.join(errors))
    return res


def child(backend, casedir, start, args):
    if args.crossload:
        other = 'minigluon' if backend == 'mxnet' else 'mxnet'
        _fuzz.run_cases(backend, casedir, start, lambda mx, c, inputs: crossload_case(
            mx, c, inputs, files_dir(casedir, other, c['key']),
            files_dir(casedir, backend + '.rt', c['key'])), suffix='.x', quiet=True)
    else:
        _fuzz.run_cases(backend, casedir, start,
                        lambda mx, c, inputs: run_case(mx, c, inputs, casedir), quiet=True)


def crossload_pass(casedir, keys, args):
    """After both runs, each backend loads the other's files (``--crossload`` children)."""
    for backend in ('mxnet', 'minigluon'):
        _fuzz.run_backend(backend, casedir, keys, args.timeout, __file__,
                          extra_args=['--crossload'], suffix='.x')


# -- comparison ------------------------------------------------------------------------------------

def diff_json(a, b):
    """The differences between our JSON text ``a`` and MXNet's ``b``: node by node, then the
    other entries (``mxnet_version`` left out)."""
    ga, gb = json.loads(str(a)), json.loads(str(b))
    bad = []
    na, nb = ga.get('nodes', []), gb.get('nodes', [])
    for i, (x, y) in enumerate(zip(na, nb)):
        if x != y:
            keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            bad.append('node %d (%s %s): %s' % (i, y.get('op'), y.get('name'), '; '.join(
                '%s ours %s mx %s' % (k, json.dumps(x.get(k))[:200], json.dumps(y.get(k))[:200])
                for k in keys)))
            break
    if len(na) != len(nb):
        bad.append('nodes: ours %d mx %d' % (len(na), len(nb)))
    for k in sorted(set(ga) | set(gb)):
        if k != 'nodes' and ga.get(k) != gb.get(k):
            bad.append('%s ours %s mx %s' % (k, json.dumps(ga.get(k))[:200],
                                            json.dumps(gb.get(k))[:200]))
    if not bad and str(a) != str(b):
        bad.append('same graph, other text')
    return bad


def diff_bytes(k, a, b):
    if a.shape == b.shape and (a == b).all():
        return []
    n = min(len(a), len(b))
    i = int(np.nonzero(a[:n] != b[:n])[0][0]) if (a[:n] != b[:n]).any() else n
    return ['%s bytes: ours %d mx %d, first difference at %d' % (k, len(a), len(b), i)]


FILES = ('json', 'ckjson', 'rtjson', 'rejson')
# files the crossload pass writes from the other's files: compared between the two importers
RESAVED = ('rejson', 'reparams', 'resp')


def diff_results(o, m, reference=None):
    """Differences of one pass: our ``o`` against MXNet's ``m``; outputs of the crossload pass
    (imp, lp, ck, a) against ``reference`` (the exporter's first-pass outputs)."""
    bad = []
    for k in sorted(set(m) | set(o)):
        if k in ('errors', 'mro', 'error'):
            continue
        if k not in o or k not in m:
            bad.append('%s only in %s' % (k, 'mx' if k in m else 'ours'))
            continue
        if k in FILES:
            bad += ['%s %s' % (k, d) for d in diff_json(o[k], m[k])]
        elif m[k].dtype == np.uint8 and k in ('params', 'sp', 'ckparams', 'rtparams', 'ndfile',
                                              'reparams', 'resp'):
            bad += diff_bytes(k, o[k], m[k])
        else:
            bad += _fuzz.diff_arrays(k, o[k], m[k], TOL)
    return bad


def failed(res):
    """{error line: the load that failed (imp, lp, le, ck)} of a crossload result."""
    return {e: e.split(':')[0] for e in str(res.get('errors', '')).split('\n') if e}


def check(c, casedir):
    """(kind, message) of case ``c``: both passes."""
    key = c['key']
    m, o = _fuzz.load_result(casedir, 'mxnet', key), _fuzz.load_result(casedir, 'minigluon', key)
    kind, msg = _fuzz.check_case(m, o)
    if kind is not None and kind != 'diff':
        return kind, msg
    if kind == 'both-error':
        return kind, msg
    bad = diff_results(o, m)
    mx_ = _fuzz.load_result(casedir, 'mxnet', key, '.x')     # MXNet reading our files
    og = _fuzz.load_result(casedir, 'minigluon', key, '.x')  # us reading MXNet's files
    for who, res, ref, saved in (('mx-reads-ours', mx_, o, o), ('ours-reads-mx', og, m, m)):
        if 'error' in res:
            bad.append('%s: %s' % (who, res['error']))
            continue
        # a load that failed for one importer only (the files are the same bytes, so both
        # failing is both frameworks failing on their own files too); but MXNet's
        # load_parameters of an export file fails for any prefix (docs/PORTING.md), so ours failing
        # there counts unless the file holds no parameter at all
        other = failed(og if res is mx_ else mx_)
        bad += ['%s: %s' % (who, e) for e, what in failed(res).items()
                if what not in other.values() or (
                    what == 'le' and who == 'ours-reads-mx' and
                    not any(w == 'le' and "'list' object has no attribute 'keys'" in x
                            for x, w in other.items()))]
        for k in sorted(res):
            if k == 'errors' or k in RESAVED:
                continue
            if k == 'keys':
                # (an empty dict's file is an empty list's)
                want = sorted(c['names']) if c['code'] == 'dict' and c['names'] else \
                    'list%d' % c['n_in']
                if json.loads(str(res[k])) != want:
                    bad.append('%s keys %s, saved %s' % (who, res[k], want))
                continue
            if k in ('rtjson', 'rtparams'):
                src = 'ck' + k[2:]
                bad += ['%s %s' % (who, d) for d in diff_results({k: res[k]}, {k: saved[src]})]
                continue
            if c['group'] == 'ndsave':
                want = np.load(os.path.join(casedir, 'inputs.npz'))['%s_in%s' % (key, k[1:])]
            else:
                want = ref.get('out' + k.lstrip('impclke'))
            if want is None:
                bad.append('%s: %s has no reference' % (who, k))
            else:
                bad += ['%s %s' % (who, d) for d in _fuzz.diff_arrays(k, res[k], want, TOL)]
    # what each importer saved again from MXNet's files and from ours: the same bytes
    bad += ['resaved %s' % d for d in diff_results({k: og[k] for k in RESAVED if k in og},
                                                   {k: mx_[k] for k in RESAVED if k in mx_})]
    return ('diff', '; '.join(bad)) if bad else (None, None)


# Documented differences (docs/PORTING.md's table of deliberate differences, or an operator's
# docstring): (tag, what MXNet's error says, what the network's code holds). A case is tagged
# when MXNet alone raised that error, or (an empty error pattern) when every difference is in
# values of float64 outputs.
KNOWN = [
    ('mx-float16-cpu', r'float16 fully connected|FP16 gemm on cpu', r"cast\('float16'\)"),
    ('mx-instancenorm-float32-only', r'Unsupported data type', r'InstanceNorm'),
    # a child called in hybrid_forward whose result no output uses: not in the graph, so MXNet
    # cannot give its parameters a shape (docs/PORTING.md: "a HybridBlock holding a child its
    # hybrid_forward never calls...")
    ('mx-child-off-the-graph', r'Deferred initialization failed because shape cannot be',
     r'class Net'),
]

# Documented differences found by comparing results: (tag, pattern of one difference, what the
# network's code holds). A case is tagged when each of its differences matches one.
KNOWN_ITEMS = [
    # LeakyReLU docstring: MXNet computes these on float64 data at float32 precision
    ('mx-leakyrelu-float64-in-float32', r' values: ',
     r"(LeakyReLU|SELU|GELU|PReLU)\(.*\n(.*\n)*net\.cast\('float64'\)"),
    # MXNet's load_parameters of an export file (arg:/aux: keys, full names) fails unless the
    # network's prefix is empty (also with a shape error, where a full name with the prefix
    # added again is another parameter's), and on a file without parameters: docs/PORTING.md,
    # "load_parameters of an exported (arg:/aux:) file fails"
    ('mx-load-parameters-of-export',
     r"^mx-reads-ours: le: (AssertionError: (Parameter '.*' (is missing in file|loaded from "
     r"file.* is not present)|Failed loading Parameter .* shape incompatible)|AttributeError: "
     r"'list' object has no attribute 'keys')", ''),
]


def known_tag(c, m, o, kind, msg):
    """The tag of a documented difference of case ``c`` (MXNet's results ``m``, ours ``o``, the
    ``(kind, msg)`` of ``check``), or None."""
    if kind == 'diff':
        tags = set()
        for d in msg.split('; '):
            tag = next((t for t, item, code in KNOWN_ITEMS
                        if re.search(item, d) and re.search(code, c['code'])), None)
            if tag is None:
                return None
            tags.add(tag)
        return '+'.join(sorted(tags))
    for tag, error, code in KNOWN:
        if kind == 'mx-error-ours-ok' and re.search(code, c['code']) and \
                re.search(error, str(m['error'])):
            return tag
    return None


def compare(casedir):
    """The report (``_fuzz.compare_cases``; both failing alike counts as equal)."""
    def known(c, m, o, kind):
        return known_tag(c, m, o, *check(c, casedir))
    return _fuzz.compare_cases(casedir, lambda c, m, o: check(c, casedir), known,
                               errors_equal=True)


def main():
    _fuzz.main(__doc__, __file__, generate, child, compare, n=300, timeout=300,
               options=[(('--crossload',), dict(action='store_true', help=argparse.SUPPRESS))],
               after_run=crossload_pass)


if __name__ == '__main__':
    main()
