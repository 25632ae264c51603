"""Regression programs for what ``tools/fuzz_autograd.py`` found, with MXNet 1.9.1's outcomes;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_autograd_fuzz_fixtures.py

Each program is a list of statements run one by one (``fuzz_autograd.run_program``: names ``mx``,
``nd``, ``autograd``, ``np`` and the custom Functions of ``fuzz_autograd.PRELUDE``); ``check``
names the outcomes a test compares: ``raised`` (0/1 per statement) and ``val:<name>`` /
``grad:<name>`` (the final value and ``.grad`` of an array). Outcomes that MXNet's own faults
change (it writes into an array of the graph before raising) are left out of ``check``.

Output: ``tests/fixtures/autograd_fuzz/programs.json`` (name -> ``{'lines', 'check'}``) and
``expected.npz`` (``<name>/<outcome>``).
"""
import json
import os
import sys

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_autograd import run_program  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'autograd_fuzz')

PROGRAMS = {
    # autograd.grad with respect to a variable the heads do not depend on raises (minigluon
    # returned zeros); the failed call frees nothing, so the next one goes through the graph.
    'grad_unreachable': {
        'lines': ["x = nd.array([1.0, 2.0, -3.0]); x.attach_grad()",
                  "y = nd.array([0.5, 4.0, 2.0]); y.attach_grad()",
                  "with autograd.record():\n    z = x * x",
                  "g1 = autograd.grad([z], [x, y])",
                  "g2 = autograd.grad([z], [y], retain_graph=True)",
                  "g3 = autograd.grad([z], [x])",
                  "with autograd.record():\n    w = (x > 0) * y",
                  "g4 = autograd.grad([w], [x, y])"],
        'check': ['raised', 'val:g3[0]', 'val:g4[0]', 'val:g4[1]']},
    # x[:] = x and x.copyto(x) do nothing, even while recording (minigluon raised).
    'self_copy': {
        'lines': ["x = nd.array([[1.0, -2.0], [0.5, 3.0]]); x.attach_grad()",
                  "s = autograd.record(); s.__enter__()",
                  "x[:] = x",
                  "r = x.copyto(x)",
                  "x[...] = x",
                  "y = (x * 3).sum()",
                  "s.__exit__(None, None, None)",
                  "y.backward()"],
        'check': ['raised', 'val:x', 'grad:x', 'val:r']},
    # The output of a comparison of a recorded array is in MXNet's graph: writing into it while
    # recording raises (minigluon wrote). MXNet changes the array before raising, so only the
    # outcomes and a gradient that does not depend on f's values are compared.
    'write_into_comparison': {
        'lines': ["x = nd.array([0.5, 1.5, 2.5]); x.attach_grad()",
                  "s = autograd.record(); s.__enter__()",
                  "f = x > 1",
                  "f[:] = 1",
                  "f[0] = 1",
                  "nd.exp(x, out=f)",
                  "g = (x * x).sum() + f.sum()",
                  "s.__exit__(None, None, None)",
                  "g.backward()",
                  "f[:] = 3"],
        'check': ['raised', 'grad:x']},
    # relu's gradient comes from its output: writing into the input after the call (outside
    # record) leaves it alone (minigluon read the input again).
    'relu_input_written_after': {
        'lines': ["x = nd.array([[-0.78, 1.57], [-0.78, -1.37]]); x.attach_grad()",
                  "with autograd.record():\n    t = nd.relu(x)",
                  "x[:] = 1.5",
                  "t.backward()"],
        'check': ['raised', 'val:t', 'grad:x']},
}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, prog in PROGRAMS.items():
        res, errors = run_program(mx, prog['lines'])
        for key in prog['check']:
            expected['%s/%s' % (name, key)] = res[key]
        print(name, res['raised'].tolist(), [e for e in errors if e])
    with open(os.path.join(OUT, 'programs.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'programs': PROGRAMS}, f, indent=1)
    np.savez(os.path.join(OUT, 'expected.npz'), **expected)


if __name__ == '__main__':
    main()
