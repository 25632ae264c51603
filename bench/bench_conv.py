"""Convolution, Deconvolution, Pooling and BatchNorm at the shapes of vision models: minigluon
against PyTorch (CPU), float32, NCHW.

Rows (each a forward alone and a forward + backward with the gradients of data and weight, a head
gradient of ones; bias, gamma and beta get none):

* ResNet-50: the 7x7 stride-2 stem ``(N, 3, 224, 224) -> 64``, a 3x3 64 -> 64 at 56x56, a 1x1
  256 -> 64 at 56x56, a 3x3 stride-2 128 -> 128 at 56x56, a 1x1 1024 -> 256 at 14x14; batch 1
  and 8;
* MobileNet: depthwise 3x3 (``num_group`` = channels) 32 @ 112x112, 144 @ 28x28, 576 @ 7x7,
  and a stride-2 one, 96 @ 112x112 (MobileNetV2's first down-sampling block), batch 8;
* DeepLab: dilated 3x3 512 -> 512 at 28x28, dilate 2 and 4 (pad = dilate), batch 1;
* CenterNet / FCN up-sampling: Deconvolution 4x4 stride 2 pad 1 256 -> 256, 32x32 -> 64x64,
  batch 1;
* the captcha OCR example's two convolutions (``examples/captcha_ocr.py``): 3x3 pad 1, 1 -> 16 at
  32x100 and 16 -> 32 at 16x50, batch 64;
* an R-CNN FPN level: one large image, 3x3 256 -> 256 at 200x304 (the "per-image convolutions"
  of tools/check_gluoncv.py's Mask R-CNN), batch 1, with half the repeats (it is the slowest);
* ResNet's max Pooling 3x3 stride 2 pad 1 of ``(8, 64, 112, 112)``; BatchNorm of
  ``(8, 256, 56, 56)`` in training (batch statistics) and inference (moving statistics; forward
  only).

minigluon runs through ``nd`` with ``autograd.record()``, as a training step does; PyTorch through
``torch.nn.functional`` (forward under ``no_grad``). The two frameworks' calls alternate row by
row (:func:`_common.interleaved_medians`: the same machine load). NumPy's BLAS and PyTorch get the
same thread count (``--threads``, default 1); ``--workers N`` gives minigluon N CPU worker threads
(:mod:`minigluon.ops._parallel`, as ``MINIGLUON_CPU_WORKERS``).

Prints median milliseconds and the ratio minigluon / PyTorch per row and pass (the machine's load
below the table). ``--quick`` shrinks every row (a quarter of the spatial size, batch 8 -> 2) for a
smoke test; ``--rows WORD`` keeps the rows whose name contains WORD.

    python3 bench/bench_conv.py [--repeats 5] [--threads 1] [--workers 1] [--quick] [--rows 1x1]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import interleaved_medians, load_note, set_threads  # noqa: E402

THREADS = set_threads(1) if __name__ == '__main__' else None

import argparse  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from minigluon import autograd, nd  # noqa: E402


def conv_row(name, n, c, hw, f, k, stride=1, pad=0, dilate=1, groups=1, deconv=False, slow=False):
    """A convolution row: ``data (n, c, *hw)``, ``f`` filters of ``k x k``."""
    return dict(kind='deconv' if deconv else 'conv', name=name, n=n, c=c, hw=hw, f=f, k=k,
                stride=stride, pad=pad, dilate=dilate, groups=groups, slow=slow)


def rows():
    """Every row of the table, in order (see the module docstring)."""
    out = []
    for n in (1, 8):
        out += [conv_row('stem 7x7 s2 3->64 @224', n, 3, (224, 224), 64, 7, 2, 3),
                conv_row('3x3 64->64 @56', n, 64, (56, 56), 64, 3, 1, 1),
                conv_row('1x1 256->64 @56', n, 256, (56, 56), 64, 1),
                conv_row('3x3 s2 128->128 @56', n, 128, (56, 56), 128, 3, 2, 1),
                conv_row('1x1 1024->256 @14', n, 1024, (14, 14), 256, 1)]
    for c, s in ((32, 112), (144, 28), (576, 7)):
        out.append(conv_row('depthwise 3x3 %d @%d' % (c, s), 8, c, (s, s), c, 3, 1, 1, groups=c))
    out.append(conv_row('depthwise 3x3 s2 96 @112', 8, 96, (112, 112), 96, 3, 2, 1, groups=96))
    for d in (2, 4):
        out.append(conv_row('dilate %d 3x3 512->512 @28' % d, 1, 512, (28, 28), 512, 3, 1, d, d))
    out.append(conv_row('deconv 4x4 s2 256->256 @32', 1, 256, (32, 32), 256, 4, 2, 1, deconv=True))
    out.append(conv_row('captcha 3x3 1->16 @32x100', 64, 1, (32, 100), 16, 3, 1, 1))
    out.append(conv_row('captcha 3x3 16->32 @16x50', 64, 16, (16, 50), 32, 3, 1, 1))
    out.append(conv_row('FPN 3x3 256->256 @200x304', 1, 256, (200, 304), 256, 3, 1, 1, slow=True))
    out.append(dict(kind='pool', name='max pool 3x3 s2 64 @112', n=8, c=64, hw=(112, 112)))
    out.append(dict(kind='bn', name='BatchNorm train 256 @56', n=8, c=256, hw=(56, 56), train=True))
    out.append(dict(kind='bn', name='BatchNorm infer 256 @56', n=8, c=256, hw=(56, 56), train=False))
    return out


def shrink(row):
    """The ``--quick`` form of a row: a quarter of the spatial size (at least 7), batch 8 -> 2."""
    return dict(row, hw=tuple(max(7, s // 4) for s in row['hw']), n=min(row['n'], 2))


def arrays(row, seed=0):
    """``(data, weight)`` float32 NumPy arrays of a row (weight None for pooling; gamma for BN)."""
    rng = np.random.RandomState(seed)
    x = rng.randn(row['n'], row['c'], *row['hw']).astype(np.float32)
    if row['kind'] == 'conv':
        w = rng.randn(row['f'], row['c'] // row['groups'], row['k'], row['k']) * 0.05
    elif row['kind'] == 'deconv':
        w = rng.randn(row['c'], row['f'], row['k'], row['k']) * 0.05
    elif row['kind'] == 'bn':
        w = rng.uniform(0.5, 1.5, row['c'])
    else:
        w = None
    return x, None if w is None else w.astype(np.float32)


def minigluon_calls(row):
    """``(fwd, fwd_bwd)`` callables of a row in minigluon (fwd_bwd None where not timed)."""
    x_np, w_np = arrays(row)
    x, xg = nd.array(x_np), nd.array(x_np)
    xg.attach_grad()
    w = wg = None
    if w_np is not None:
        w, wg = nd.array(w_np), nd.array(w_np)
        wg.attach_grad()
    if row['kind'] == 'pool':
        def call(d, _w):
            return nd.Pooling(d, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='max')
    elif row['kind'] in ('conv', 'deconv'):
        op = nd.Convolution if row['kind'] == 'conv' else nd.Deconvolution
        attrs = dict(kernel=(row['k'],) * 2, stride=(row['stride'],) * 2, pad=(row['pad'],) * 2,
                     dilate=(row['dilate'],) * 2, num_filter=row['f'], num_group=row['groups'],
                     no_bias=row['kind'] == 'deconv')
        bias = nd.zeros((row['f'],)) if row['kind'] == 'conv' else None

        def call(d, wt):
            return op(d, wt, bias, **attrs) if bias is not None else op(d, wt, **attrs)
    elif row['kind'] == 'bn':
        c = row['c']
        beta, mean, var = nd.zeros((c,)), nd.zeros((c,)), nd.ones((c,))

        def call(d, gamma):
            return nd.BatchNorm(d, gamma, beta, mean, var, fix_gamma=False, eps=1e-5)

    def fwd():
        if row['kind'] == 'bn' and row['train']:
            with autograd.train_mode():
                return call(x, w)
        return call(x, w)

    def fwd_bwd():
        with autograd.record():
            y = call(xg, wg)
        y.backward()
        return xg.grad

    timed_bwd = not (row['kind'] == 'bn' and not row['train'])
    return fwd, fwd_bwd if timed_bwd else None


def torch_calls(row, torch):
    """The same for PyTorch."""
    F = torch.nn.functional
    x_np, w_np = arrays(row)
    x = torch.from_numpy(x_np)
    xg = x.clone().requires_grad_()
    w = wg = None if w_np is None else torch.from_numpy(w_np)
    if w is not None:
        wg = w.clone().requires_grad_()
    if row['kind'] == 'conv':
        bias = torch.zeros(row['f'])

        def call(d, wt):
            return F.conv2d(d, wt, bias, stride=row['stride'], padding=row['pad'],
                            dilation=row['dilate'], groups=row['groups'])
    elif row['kind'] == 'deconv':
        def call(d, wt):
            return F.conv_transpose2d(d, wt, stride=row['stride'], padding=row['pad'])
    elif row['kind'] == 'pool':
        def call(d, _w):
            return F.max_pool2d(d, 3, 2, 1)
    else:
        c = row['c']
        beta, mean, var = torch.zeros(c), torch.zeros(c), torch.ones(c)

        def call(d, gamma):
            return F.batch_norm(d, mean, var, gamma, beta, training=row['train'], eps=1e-5)

    def fwd():
        with torch.no_grad():
            return call(x, w)

    def fwd_bwd():
        y = call(xg, wg)
        y.backward(torch.ones_like(y))
        return xg.grad

    timed_bwd = not (row['kind'] == 'bn' and not row['train'])
    return fwd, fwd_bwd if timed_bwd else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=1, help='BLAS and PyTorch threads (default 1)')
    parser.add_argument('--workers', type=int, default=None,
                        help="minigluon's CPU worker threads (as MINIGLUON_CPU_WORKERS; default: "
                             "that variable, else 1)")
    parser.add_argument('--quick', action='store_true', help='every row smaller (a smoke test)')
    parser.add_argument('--rows', default='', help='only the rows whose name contains this')
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:         # the PyTorch columns are optional (bench/README.md says how to add them)
        torch = None
    from minigluon.ops import _parallel
    if args.workers:
        _parallel.set_workers(args.workers)
    if torch is None:
        framework = 'PyTorch not installed: its columns are empty'
    else:
        torch.set_num_threads(THREADS)
        framework = 'torch %s, %d threads' % (torch.__version__, torch.get_num_threads())
    print('%s; NumPy BLAS %s threads; %d minigluon CPU workers; float32 NCHW'
          % (framework, os.environ.get('OPENBLAS_NUM_THREADS'), _parallel.workers()))
    head = '%-32s %5s %10s %10s %7s %10s %10s %7s' % ('row', 'batch', 'mg fwd', 'pt fwd', 'ratio',
                                                       'mg f+b', 'pt f+b', 'ratio')
    print(head + '\n' + '-' * len(head) + '   (milliseconds; ratio = minigluon / PyTorch)')
    for row in rows():
        if args.rows not in row['name']:
            continue
        if args.quick:
            row = shrink(row)
        mg = minigluon_calls(row)
        pt = torch_calls(row, torch) if torch is not None else (None, None)
        fns = [f for f in mg + pt if f is not None]
        repeats = max(1, args.repeats // 2) if row.get('slow') else args.repeats
        times = iter(interleaved_medians(fns, repeats, warmup=1))
        cells = [next(times) if f is not None else None for f in mg + pt]

        def fmt(v):
            return '%10.2f' % (v * 1e3) if v is not None else '%10s' % '-'

        def ratio(a, b):
            return '%7.2f' % (a / b) if a is not None and b else '%7s' % '-'
        print('%-32s %5s %s %s %s %s %s %s' % (row['name'], 'N=%d' % row['n'], fmt(cells[0]), fmt(cells[2]),
                                               ratio(cells[0], cells[2]), fmt(cells[1]), fmt(cells[3]),
                                               ratio(cells[1], cells[3])))
        sys.stdout.flush()
    print('medians of %d interleaved repeats (FPN row: %d); %s'
          % (args.repeats, max(1, args.repeats // 2), load_note()))


if __name__ == '__main__':
    main()
