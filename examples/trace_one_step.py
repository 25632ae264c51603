"""Watch one training step happen: the minigluon functions it calls, in the order it calls them.

A companion to the walk-throughs of docs/DESIGN.md ("Following one training step", "Following one
hybridized training step"). It builds a tiny network (Dense(8, relu) -> Dense(3)) with a softmax
cross-entropy loss and an SGD Trainer, runs one eager training step and then, after
``hybridize()``, one hybridized step, and prints for each of the three parts of a step
(``loss = loss_fn(net(x), y)`` under ``autograd.record()``, ``loss.backward()``,
``trainer.step()``) the functions of minigluon's own modules that ran, each listed once, at its
first call. A ``*`` marks the functions the walk-throughs name (quoted in docs/DESIGN.md's
sections "Following one operator call", "Following one training step" and "Following one
hybridized training step"): read those lines beside the guide. Run it from the root of the
repository with the Python that has minigluon installed (README's commands make ``.venv``), or
with the clone on the path::

    .venv/bin/python examples/trace_one_step.py
    PYTHONPATH=. python3 examples/trace_one_step.py

How: :func:`sys.setprofile` makes Python call a function of ours at every function call; we keep
the calls whose code lives in the ``minigluon`` package, skip the frames of comprehensions and
lambdas (``<listcomp>``, ``<genexpr>``, ``<lambda>``), and keep the first call of each function.
A name such as ``_make_function.<locals>.fn`` is a function defined inside another one (here
the ``nd.<op>`` function that ``_make_function`` made).

The eager step traced is the second one: the first also infers the Dense layers' input sizes
(deferred initialisation), which the walk-through mentions only in passing. The hybridized step
traced is the first after ``hybridize()``, the one that traces the graph and builds the plan;
later hybridized steps skip those parts.
"""
import os
import re
import sys

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn

PACKAGE = os.path.dirname(os.path.abspath(mx.__file__))
ROOT = os.path.dirname(PACKAGE)
SKIPPED = ('<listcomp>', '<genexpr>', '<dictcomp>', '<setcomp>', '<lambda>', '<module>')
GUIDES = ('Following one operator call', 'Following one training step',
          'Following one hybridized training step')


def guide_names():
    """The identifiers quoted in backticks in the walk-throughs of docs/DESIGN.md (``Op._fast``,
    ``invoke``); an empty set where the file is not there (minigluon installed without its docs)."""
    path = os.path.join(ROOT, 'docs', 'DESIGN.md')
    if not os.path.exists(path):
        return set()
    text = open(path, encoding='utf-8').read()
    names = set()
    for title in GUIDES:
        start = text.index('## ' + title)
        section = text[start:text.index('\n## ', start + 1)]
        names.update(re.findall(r'`([A-Za-z_][A-Za-z_0-9.]*)`', section))
    return names


def in_guide(name, cited):
    """Whether the guides quote the function ``name`` (``'path.py: Class.method'``): as
    ``Class.method``, by its last part alone (``_call_cached_op``, ``fn``), or, for the
    ``__init__`` or ``__call__`` of a class, by the class (``Node``, ``Updater``)."""
    qualname = name.split(': ', 1)[1].replace('<locals>.', '')
    owner, _, last = qualname.rpartition('.')
    return (qualname in cited or last in cited
            or (last in ('__init__', '__call__') and owner in cited))


def trace(fn):
    """Run ``fn()`` and return the minigluon functions it called, in first-call order, each once,
    as ``'path/in/package.py: Qualified.name'`` strings."""
    seen = set()
    calls = []

    def profile(frame, event, arg):
        if event != 'call':
            return
        code = frame.f_code
        if not code.co_filename.startswith(PACKAGE) or code.co_qualname.endswith(SKIPPED):
            return
        name = '%s: %s' % (os.path.relpath(code.co_filename, ROOT), code.co_qualname)
        if name not in seen:
            seen.add(name)
            calls.append(name)

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


def one_step(net, loss_fn, trainer, x, y):
    """Trace the three parts of one training step; returns ``[(title, calls), ...]``."""
    box = {}

    def forward():
        with autograd.record():
            box['loss'] = loss_fn(net(x), y)

    return [('loss_fn(net(x), y) under autograd.record()', trace(forward)),
            ('loss.backward()', trace(lambda: box['loss'].backward())),
            ('trainer.step(batch_size)', trace(lambda: trainer.step(x.shape[0])))]


def main():
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation='relu'), nn.Dense(3))
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.random.uniform(shape=(4, 5))
    y = nd.array([0, 1, 2, 0])

    one_step(net, loss_fn, trainer, x, y)       # untraced: infers the Dense layers' input sizes
    steps = [('an eager training step', one_step(net, loss_fn, trainer, x, y))]
    net.hybridize()
    loss_fn.hybridize()
    steps.append(('the first hybridized training step',
                  one_step(net, loss_fn, trainer, x, y)))

    cited = guide_names()
    for title, parts in steps:
        print('=' * 72)
        print(title, '(* = named in docs/DESIGN.md)')
        for part, calls in parts:
            print('\n--- %s: %d functions' % (part, len(calls)))
            for i, name in enumerate(calls, 1):
                print('%4d %s %s' % (i, '*' if in_guide(name, cited) else ' ', name))
        print()


if __name__ == '__main__':
    main()
