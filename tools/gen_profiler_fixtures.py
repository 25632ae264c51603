"""Record the operator names MXNet 1.9.1's profiler gives a small training step (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_profiler_fixtures.py

Writes tests/fixtures/profiler/names.json: the sorted names of the 'operator' events of the trace,
less MXNet's engine bookkeeping (DeleteVariable, SetValueOp, _copy, ResourceParallelRandomSetSeed),
which has no counterpart in minigluon; and tests/fixtures/profiler/updates.json: for each optimizer
of OPTIMIZERS, the update operators the trace of one Trainer.step holds. Each case runs in a fresh
interpreter (MXNet's profiler cannot be configured again once it has dumped).
"""
import json
import os
import subprocess
import sys
import tempfile

import mxnet as mx
from mxnet import autograd, nd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'profiler')
ENGINE = {'DeleteVariable', 'SetValueOp', '_copy', 'ResourceParallelRandomSetSeed'}


def step():
    """The step tests/test_profiler.py runs too."""
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(3, activation='relu'), mx.gluon.nn.Dense(2))
    net.initialize(mx.init.One())
    x = nd.ones((2, 4))
    net(x).wait_to_read()
    mx.profiler.set_state('run')
    with autograd.record():
        y = (net(x) * 2 / 3).sum()
    y.backward()
    mx.nd.waitall()
    mx.profiler.set_state('stop')


OPTIMIZERS = [('sgd', {}), ('sgd', {'momentum': 0.9}), ('nag', {'momentum': 0.9}), ('adam', {}),
              ('rmsprop', {'centered': True}), ('signum', {'momentum': 0}), ('ftml', {}), ('ftrl', {})]
UPDATE_STEP = """
import json, sys
import mxnet as mx
from mxnet import autograd, gluon, nd
optimizer, kwargs, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
net = gluon.nn.Dense(3)
net.initialize()
trainer = gluon.Trainer(net.collect_params(), optimizer, kwargs)
for run in (False, True):          # the first step creates the optimizer's states
    if run:
        mx.profiler.set_config(profile_all=True, filename=path)
        mx.profiler.set_state('run')
    with autograd.record():
        loss = net(nd.ones((2, 4))).sum()
    loss.backward()
    trainer.step(1)
    nd.waitall()
mx.profiler.set_state('stop')
mx.profiler.dump()
"""


def update_names():
    found = []
    for optimizer, kwargs in OPTIMIZERS:
        path = os.path.join(tempfile.mkdtemp(), 'trace.json')
        subprocess.run([sys.executable, '-c', UPDATE_STEP, optimizer, json.dumps(kwargs), path],
                       check=True, capture_output=True)
        events = json.load(open(path))['traceEvents']
        names = sorted({e['name'] for e in events if e.get('cat') == 'operator'
                        and e['name'].endswith('_update')})
        found.append([optimizer, kwargs, names])
    return found


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'updates.json'), 'w') as f:
        json.dump(update_names(), f)
    path = os.path.join(tempfile.mkdtemp(), 'trace.json')
    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename=path)
    step()
    mx.profiler.dump()
    events = json.load(open(path))['traceEvents']
    names = sorted({e['name'] for e in events if e.get('cat') == 'operator'} - ENGINE)
    with open(os.path.join(OUT, 'names.json'), 'w') as f:
        json.dump(names, f)
    print(names)


if __name__ == '__main__':
    main()
