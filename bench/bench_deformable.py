"""Deformable convolutions against plain Convolution: minigluon, PyTorch and MXNet 1.9.1 (CPU).

One layer, ``(16, 64, 32, 32)`` float32 input, 64 filters, 3x3 kernel, pad 1 (``--quick``:
``(4, 16, 16, 16)``, 16 filters), offsets uniform in [-1, 1] pixels and (modulated) masks in
[0, 1]. Per framework, the forward alone and forward + backward (gradients of every input, a
head gradient of ones) of three operators:

* ``Convolution`` (PyTorch: ``conv2d``);
* ``DeformableConvolution`` (v1; PyTorch: ``torchvision.ops.deform_conv2d`` when torchvision
  imports against the installed torch, else no column);
* ``ModulatedDeformableConvolution`` (v2; torchvision: ``deform_conv2d`` with ``mask``; MXNet
  1.9.1 has no CPU backward for it, so its forward + backward cell stays empty).

minigluon runs through ``nd`` with ``autograd.record()``, as a training step does. minigluon's and
PyTorch's calls are interleaved (:func:`_common.interleaved_medians`: the same machine load);
MXNet runs in a subprocess (``MXNET_PYTHON`` pointing at its venv's python) with
``OMP_NUM_THREADS`` and ``MXNET_CPU_WORKER_NTHREADS`` set to ``--threads``.

Prints median milliseconds, and per framework the ratios deformable / Convolution of the same
pass; then minigluon's deformable fwd+bwd against PyTorch's conv2d and MXNet's deformable.

    python3 bench/bench_deformable.py [--repeats 9] [--threads 1] [--quick]
    MXNET_PYTHON=/opt/mxvenv/bin/python python3 bench/bench_deformable.py    # adds MXNet rows
    MINIGLUON_CPU_WORKERS=2 python3 bench/bench_deformable.py                # minigluon on 2 workers
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import interleaved_medians, load_note, set_threads  # noqa: E402

THREADS = set_threads(1) if __name__ == '__main__' else None

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402

OPS = ('Convolution', 'DeformableConvolution', 'ModulatedDeformableConvolution')
PASSES = ('fwd', 'fwd+bwd')


def make_problem(quick, seed=0):
    """``(data, offset, mask, weight, bias)`` float32 arrays and the layer's attributes."""
    n, c, hw, f = (4, 16, 16, 16) if quick else (16, 64, 32, 64)
    rng = np.random.RandomState(seed)
    arrays = (rng.randn(n, c, hw, hw), rng.uniform(-1, 1, (n, 18, hw, hw)),
              rng.uniform(0, 1, (n, 9, hw, hw)), rng.randn(f, c, 3, 3) * 0.05, np.zeros(f))
    return [a.astype(np.float32) for a in arrays], dict(kernel=(3, 3), pad=(1, 1), num_filter=f)


def _inputs(op, data, offset, mask, weight, bias):
    """The operator's inputs in ``list_arguments`` order."""
    if op == 'Convolution':
        return [data, weight, bias]
    if op == 'DeformableConvolution':
        return [data, offset, weight, bias]
    return [data, offset, mask, weight, bias]


def minigluon_steps(arrays, attrs):
    """``{(op, pass): callable}`` for minigluon; each waits for its result (``asnumpy``)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    from minigluon import autograd, nd
    funcs = {'Convolution': nd.Convolution,
             'DeformableConvolution': nd.contrib.DeformableConvolution,
             'ModulatedDeformableConvolution': nd.contrib.ModulatedDeformableConvolution}
    steps = {}
    for op, fn in funcs.items():
        args = [nd.array(a) for a in _inputs(op, *arrays)]
        for a in args:
            a.attach_grad()

        def fwd(fn=fn, args=args):
            return fn(*args, **attrs).asnumpy()

        def fwd_bwd(fn=fn, args=args):
            with autograd.record():
                y = fn(*args, **attrs)
            y.backward()
            return args[0].grad.asnumpy()
        steps[op, 'fwd'], steps[op, 'fwd+bwd'] = fwd, fwd_bwd
    return steps


def torch_steps(arrays):
    """The same for PyTorch (``conv2d``; ``torchvision.ops.deform_conv2d`` when it imports), or
    ``{}`` without torch. Also returns a note on torchvision."""
    try:
        import torch
    except ImportError:
        return {}, 'torch is not installed: no PyTorch rows'
    torch.set_num_threads(THREADS)
    try:
        from torchvision.ops import deform_conv2d
        note = 'torchvision %s deform_conv2d' % __import__('torchvision').__version__
    except Exception as err:      # missing, or built for another torch (RuntimeError, OSError)
        deform_conv2d = None
        note = 'torchvision.ops.deform_conv2d unavailable (%s: %s): PyTorch has conv2d only' % (
            type(err).__name__, str(err).splitlines()[0][:60])
    data, offset, mask, weight, bias = [torch.from_numpy(a) for a in arrays]
    # MXNet's offset channels are (dy, dx) per tap, as torchvision's; its mask channels per tap too
    calls = {'Convolution': lambda d, o, m, w, b: torch.nn.functional.conv2d(d, w, b, padding=1)}
    if deform_conv2d is not None:
        calls['DeformableConvolution'] = lambda d, o, m, w, b: deform_conv2d(d, o, w, b, padding=1)
        calls['ModulatedDeformableConvolution'] = \
            lambda d, o, m, w, b: deform_conv2d(d, o, w, b, padding=1, mask=m)
    steps = {}
    for op, call in calls.items():
        leaves = [t.clone().requires_grad_() for t in (data, offset, mask, weight, bias)]

        def fwd(call=call):
            with torch.no_grad():
                return call(data, offset, mask, weight, bias)

        def fwd_bwd(call=call, leaves=leaves):
            y = call(*leaves)
            y.backward(torch.ones_like(y))
            return leaves[0].grad

        steps[op, 'fwd'], steps[op, 'fwd+bwd'] = fwd, fwd_bwd
    return steps, note


def mxnet_worker(quick, repeats):
    """Runs inside MXNet's venv: prints one JSON line ``{"op pass": seconds}``."""
    import mxnet as mx
    arrays, attrs = make_problem(quick)
    funcs = {'Convolution': mx.nd.Convolution,
             'DeformableConvolution': mx.nd.contrib.DeformableConvolution,
             'ModulatedDeformableConvolution': mx.nd.contrib.ModulatedDeformableConvolution}
    out = {}
    for op, fn in funcs.items():
        args = [mx.nd.array(a) for a in _inputs(op, *arrays)]
        for a in args:
            a.attach_grad()

        def fwd(fn=fn, args=args):
            return fn(*args, **attrs).asnumpy()

        def fwd_bwd(fn=fn, args=args):
            with mx.autograd.record():
                y = fn(*args, **attrs)
            y.backward()
            return args[0].grad.asnumpy()
        out[op + ' fwd'] = interleaved_medians([fwd], repeats, warmup=1)[0]
        if op != 'ModulatedDeformableConvolution':          # no CPU backward in MXNet 1.9.1
            out[op + ' fwd+bwd'] = interleaved_medians([fwd_bwd], repeats, warmup=1)[0]
    print(json.dumps(out))


def mxnet_times(quick, repeats):
    """``{(op, pass): seconds}`` from MXNet's venv (``MXNET_PYTHON``), or ``{}``."""
    python = os.environ.get('MXNET_PYTHON')
    if not python:
        return {}
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), MXNET_CPU_WORKER_NTHREADS=str(THREADS))
    cmd = [python, os.path.abspath(__file__), '--mxnet-worker', '--repeats', str(repeats)]
    res = subprocess.run(cmd + (['--quick'] if quick else []), capture_output=True, text=True,
                         env=env, check=False)
    if res.returncode != 0:
        print('MXNet run failed:\n' + res.stderr[-2000:], file=sys.stderr)
        return {}
    times = json.loads(res.stdout.strip().splitlines()[-1])
    return {tuple(key.split(' ')): t for key, t in times.items()}


def _print_table(times):
    """One row per framework and pass: milliseconds per operator, then deformable / Convolution."""
    head = '%-22s %12s %12s %12s %9s %9s' % ('framework, pass', 'Conv ms', 'Deform ms',
                                             'Modul. ms', 'D/Conv', 'M/Conv')
    print(head)
    print('-' * len(head))
    for framework, cells in times.items():
        for pas in PASSES:
            ms = [cells.get((op, pas)) for op in OPS]
            fmt = ['%12.2f' % (t * 1e3) if t is not None else '%12s' % '-' for t in ms]
            ratio = ['%9.2f' % (t / ms[0]) if t is not None and ms[0] else '%9s' % '-'
                     for t in ms[1:]]
            print('%-22s %s %s' % ('%s, %s' % (framework, pas), ' '.join(fmt), ' '.join(ratio)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--threads', type=int, default=1, help='BLAS, PyTorch and MXNet threads')
    parser.add_argument('--quick', action='store_true', help='(4, 16, 16, 16) x 16 filters')
    parser.add_argument('--mxnet-worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mxnet_worker:
        mxnet_worker(args.quick, args.repeats)
        return
    arrays, attrs = make_problem(args.quick)
    mg = minigluon_steps(arrays, attrs)
    th, note = torch_steps(arrays)
    print('input %s, %d filters 3x3 pad 1; %s; %d threads' % (arrays[0].shape, attrs['num_filter'],
                                                               note, THREADS))
    keys = list(mg) + list(th)
    medians = interleaved_medians([mg[k] for k in mg] + [th[k] for k in th], args.repeats)
    times = {'minigluon': dict(zip(keys[:len(mg)], medians[:len(mg)]))}
    if th:
        times['PyTorch'] = dict(zip(keys[len(mg):], medians[len(mg):]))
    mx_times = mxnet_times(args.quick, args.repeats)
    if mx_times:
        times['MXNet 1.9.1'] = mx_times
    _print_table(times)
    mine = times['minigluon'][('DeformableConvolution', 'fwd+bwd')]
    for framework, op in (('PyTorch', 'Convolution'), ('PyTorch', 'DeformableConvolution'),
                          ('MXNet 1.9.1', 'DeformableConvolution')):
        theirs = times.get(framework, {}).get((op, 'fwd+bwd'))
        if theirs:
            print('minigluon DeformableConvolution fwd+bwd / %s %s fwd+bwd: %.2f'
                  % (framework, op, mine / theirs))
    print('medians of %d interleaved repeats; %s' % (args.repeats, load_note()))


if __name__ == '__main__':
    main()
