"""Where one training step of bench_train.py's models spends its time, by phase and by function.

For each model (``ctc``, ``captcha``) and mode (eager, hybridized) it prints:

* the median wall time of each phase of a step (forward under ``autograd.record``, ``backward``,
  ``Trainer.step``), each phase ended by a device synchronisation;
* on a GPU, how long the host takes to *queue* a whole step (no synchronisation until its end)
  against the step's time with the synchronisation: when the two are close, the host (Python and
  the launches) sets the pace, not the device;
* the top functions of a cProfile run over a few steps (own time), and the operator modules'
  functions by cumulative time (on a GPU, where the host sets the pace, a launch's cost shows
  as its caller's time);
* with ``--per-op``: each operator's forward and backward time per step, the device synchronised
  before and after each call (so a GPU operator's time is its host work plus its kernels), and
  what is left of the step outside operators (autograd, the executor, the optimizer). The
  synchronisations slow the step, so only the shares mean anything.

Usage::

    python bench/profile_step.py [--ctx gpu] [--models ctc,captcha] [--steps 20] [--top 20] [--per-op]

Not a benchmark (no side-by-side reference); bench_train.py gives the comparable figures.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _common import set_threads  # noqa: E402

THREADS = set_threads(1)

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from bench_train import minigluon_setup  # noqa: E402


def synchronizer(ctx):
    if ctx != 'gpu':
        return lambda: None
    import cupy
    return cupy.cuda.Device().synchronize


def per_op(model, hybridize, ctx, steps):
    """Print each operator's synchronised time per step, measured by ``mx.profiler`` (see the
    module docstring)."""
    import json
    import tempfile

    from minigluon import autograd, profiler
    net, loss_fn, trainer, x, label = minigluon_setup(hybridize, model, ctx)
    sync = synchronizer(ctx)

    def step():
        with autograd.record():
            loss = loss_fn(net(x), label)
        loss.backward()
        trainer.step(x.shape[0])
        sync()
    for _ in range(3):
        step()
    profiler.dumps(reset=True)
    profiler.set_state('run')
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    whole = (time.perf_counter() - t0) / steps * 1e3
    profiler.set_state('stop')
    stats = json.loads(profiler.dumps(format='json', reset=True)).get('operator', {})
    with tempfile.TemporaryDirectory() as tmp:    # drop the trace (else written at exit)
        profiler.set_config(filename=os.path.join(tmp, 'profile.json'))
        profiler.dump()
    # (event name, 'backward' for _backward_* rows else 'forward', total ms, calls); optimizer
    # updates (adam_update...) count as forward rows
    rows = [(name, 'backward' if name.startswith('_backward_') else 'forward', st['Total'], st['Count'])
            for name, st in stats.items()]
    rows.sort(key=lambda r: -r[2])
    inside = sum(r[2] for r in rows) / steps
    print('\n[%s, %s, %s] per operator, ms per step (synchronised; step %.2f ms, operators %.2f, '
          'outside operators %.2f):' % (model, 'hybridized' if hybridize else 'eager', ctx, whole,
                                        inside, whole - inside))
    for name, meth, total_ms, calls in rows[:25]:
        print('  %-28s %-9s %7.3f ms  %3d calls' % (name, meth, total_ms / steps, calls // steps))


def profile(model, hybridize, ctx, steps, top):
    from minigluon import autograd
    net, loss_fn, trainer, x, label = minigluon_setup(hybridize, model, ctx)
    sync = synchronizer(ctx)
    n = x.shape[0]

    def step(phases=None):
        t0 = time.perf_counter()
        with autograd.record():
            loss = loss_fn(net(x), label)
        if phases is not None:
            sync()
            t1 = time.perf_counter()
        loss.backward()
        if phases is not None:
            sync()
            t2 = time.perf_counter()
        trainer.step(n)
        if phases is not None:
            sync()
            t3 = time.perf_counter()
            phases.append((t1 - t0, t2 - t1, t3 - t2))
        return loss

    for _ in range(3):
        step()
    sync()
    phases = []
    for _ in range(steps):
        step(phases)
    queued, whole = [], []
    for _ in range(steps):
        sync()
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        sync()
        t2 = time.perf_counter()
        queued.append(t1 - t0)
        whole.append(t2 - t0)
    med = [statistics.median(p[i] for p in phases) * 1e3 for i in range(3)]
    print('\n[%s, %s, %s] forward %.2f ms, backward %.2f ms, trainer %.2f ms (sum %.2f); '
          'host queues a step in %.2f ms, step with sync %.2f ms (medians of %d)'
          % (model, 'hybridized' if hybridize else 'eager', ctx, med[0], med[1], med[2], sum(med),
             statistics.median(queued) * 1e3, statistics.median(whole) * 1e3, steps))
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        step()
    sync()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats('tottime').print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, s in enumerate(lines) if 'ncalls' in s)
    print('cProfile over 5 steps (own time):')
    print('\n'.join(lines[start - 4:start - 3] + lines[start:start + top + 1]))
    out = io.StringIO()          # the operators' own modules, time with what they call
    pstats.Stats(prof, stream=out).sort_stats('cumulative').print_stats('minigluon/ops/', top)
    lines = out.getvalue().splitlines()
    start = next(i for i, s in enumerate(lines) if 'ncalls' in s)
    print('cProfile, minigluon/ops functions by cumulative time:')
    print('\n'.join(lines[start:start + top + 1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ctx', choices=('cpu', 'gpu'), default='cpu')
    ap.add_argument('--models', default='ctc,captcha')
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--top', type=int, default=20)
    ap.add_argument('--threads', type=int, default=1, help='BLAS threads (read before NumPy loads)')
    ap.add_argument('--per-op', action='store_true',
                    help='time each operator (synchronised) instead of the phases and cProfile')
    args = ap.parse_args()
    for model in args.models.split(','):
        for hybridize in (False, True):
            if args.per_op:
                per_op(model, hybridize, args.ctx, args.steps)
            else:
                profile(model, hybridize, args.ctx, args.steps, args.top)


if __name__ == '__main__':
    main()
