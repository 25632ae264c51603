"""Record the operator names MXNet 1.9.1's profiler gives a small training step (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_profiler_fixtures.py

Writes tests/fixtures/profiler/names.json: the sorted names of the 'operator' events of the trace,
less MXNet's engine bookkeeping (DeleteVariable, SetValueOp, _copy, ResourceParallelRandomSetSeed),
which has no counterpart in minigluon.
"""
import json
import os
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


def main():
    path = os.path.join(tempfile.mkdtemp(), 'trace.json')
    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename=path)
    step()
    mx.profiler.dump()
    events = json.load(open(path))['traceEvents']
    names = sorted({e['name'] for e in events if e.get('cat') == 'operator'} - ENGINE)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'names.json'), 'w') as f:
        json.dump(names, f)
    print(names)


if __name__ == '__main__':
    main()
