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
    # A plain array that a recorded operator reads joins MXNet's graph: writing into it while
    # recording raises (minigluon wrote, and the backward then read the new values). Each refused
    # write stores the values the array already holds, since MXNet writes before raising.
    'plain_input_write_while_recording': {
        'lines': ["w = nd.array([1.0, -2.0, 3.0]); w.attach_grad()",
                  "x = nd.array([0.5, 2.0, 4.0])",
                  "c = nd.array([1.5, 1.5, 1.5])",
                  "s = autograd.record(); s.__enter__()",
                  "y = (x * w).sum() + (c * 2).sum()",
                  "x[:] = nd.array([0.5, 2.0, 4.0])",
                  "x[1] = 2.0",
                  "x[nd.array([0, 2])] = nd.array([0.5, 4.0])",
                  "x += 0",
                  "x *= 1",
                  "nd.array([0.5, 2.0, 4.0]).copyto(x)",
                  "nd.abs(x, out=x)",
                  "x[1:][:] = nd.array([2.0, 4.0])",
                  "c[:] = 7",
                  "s.__exit__(None, None, None)",
                  "y.backward()"],
        'check': ['raised', 'val:x', 'val:c', 'grad:w']},
    # ... and stays in the graph until a backward frees it (a new record scope, or the graph
    # dropped, is not enough); outside recording the write is allowed and the backward reads
    # the new values. Operators applied to a joined array alone are recorded (their outputs
    # join, cannot be written into while recording, cannot be the only head); a joined array
    # may be one of several heads.
    'plain_input_stays_in_graph': {
        'lines': ["w = nd.array([1.0, -2.0, 3.0]); w.attach_grad()",
                  "x = nd.array([0.5, 2.0, 4.0])",
                  "u = nd.array([1.0, 1.0, 1.0])",
                  "with autograd.record():\n    y = (x * w).sum()\n    d = (u * w).sum()",
                  "del d",
                  "s = autograd.record(); s.__enter__()",
                  "x[:] = nd.array([0.5, 2.0, 4.0])",
                  "u[:] = nd.array([1.0, 1.0, 1.0])",
                  "z = x * 2",
                  "z[:] = nd.array([1.0, 4.0, 8.0])",
                  "q = z + 1",
                  "q[0] = 2.0",
                  "p = nd.exp(nd.array([0.0, 1.0]))",
                  "p[:] = 0",
                  "m = x > w",
                  "m[:] = nd.array([0.0, 1.0, 1.0])",
                  "s.__exit__(None, None, None)",
                  "z.backward(retain_graph=True)",
                  "x[:] = nd.array([-1.0, 0.25, 2.0])",
                  "autograd.backward([y, x, z], retain_graph=True)",
                  "gw1 = w.grad.copy()",
                  "autograd.backward([y, x])",
                  "with autograd.record():\n    x[:] = 6",
                  "with autograd.record():\n    u[:] = 1"],
        'check': ['raised', 'val:x', 'val:u', 'val:p', 'val:gw1', 'grad:w']},
    # attach_grad after recorded operators read the array makes it a new variable for later
    # operations only: the earlier ones send the gradient to the old buffer (a variable), on
    # through the array's producer (an operator output), or nowhere (a plain array). minigluon
    # sent it to the new buffer and stopped at an operator output.
    'reattach_after_recording': {
        'lines': ["t = nd.array([1.0, 2.0]); t.attach_grad(); b0 = t.grad",
                  "w = nd.array([3.0, -4.0]); w.attach_grad()",
                  "with autograd.record():\n    y = (t * w).sum()",
                  "t.attach_grad(); b1 = t.grad",
                  "with autograd.record():\n    y2 = (t * 5).sum() + y",
                  "g = autograd.grad([y], [t], retain_graph=True)",
                  "y2.backward()",
                  "x = nd.array([1.0, -2.0]); x.attach_grad()",
                  "with autograd.record():\n    h = x * 2\n    q = (h * h).sum()",
                  "h.attach_grad()",
                  "with autograd.record():\n    q2 = (h * 10).sum() + q",
                  "q2.backward()",
                  "p = nd.array([0.5, 1.5])",
                  "v = nd.array([2.0, 2.0]); v.attach_grad()",
                  "with autograd.record():\n    r = (p * v).sum()",
                  "p.attach_grad(grad_req='add')",
                  "r.backward()",
                  "u = nd.array([1.0, 3.0]); u.attach_grad()",
                  "with autograd.record():\n    k = (u * u).sum()",
                  "u.attach_grad(); u.attach_grad(); bu = u.grad",
                  "k.backward()"],
        'check': ['raised', 'val:b0', 'val:b1', 'grad:t', 'grad:w', 'grad:x', 'grad:h', 'grad:p',
                  'grad:v', 'grad:u', 'val:bu']},
    # attach_grad(grad_req='null'): a zero .grad that backward never writes; the array is in the
    # graph (writes into it or into what operators make of it raise while recording; such an
    # output cannot be the only head); autograd.grad with respect to it raises; a backward
    # through an operator reading it frees it (.grad None). minigluon made it a constant with
    # .grad None.
    'attach_grad_null': {
        'lines': ["w = nd.array([1.0, 2.0]); w.attach_grad(grad_req='null')",
                  "g0 = w.grad.copy()",
                  "v = nd.array([3.0, -4.0]); v.attach_grad()",
                  "s = autograd.record(); s.__enter__()",
                  "w[:] = nd.array([1.0, 2.0])",
                  "y = w * 2",
                  "y[:] = nd.array([2.0, 4.0])",
                  "z = (y * v).sum() + (w * v).sum()",
                  "s.__exit__(None, None, None)",
                  "y.backward(retain_graph=True)",
                  "gl = autograd.grad([z], [v, w], retain_graph=True)",
                  "autograd.backward([z, y], retain_graph=True)",
                  "g1 = w.grad.copy()",
                  "z.backward()",
                  "wn = [w.grad is None]",
                  "q = nd.array([1.0, -1.0]); gq = nd.ones((2,))",
                  "autograd.mark_variables([q], [gq], 'null')",
                  "with autograd.record():\n    k = (q * q).sum()",
                  "k.backward()",
                  "with autograd.record():\n    q[:] = nd.array([1.0, -1.0])"],
        'check': ['raised', 'val:g0', 'val:g1', 'grad:v', 'val:gq', 'val:wn[0]']},
    # A grad_req='null' variable or a joined plain array among the heads leaves the graph with
    # the backward (.grad None; writable while recording), unless retain_graph.
    'passive_heads_freed': {
        'lines': ["a = nd.array([1.0, 2.0]); a.attach_grad(grad_req='null')",
                  "b = nd.array([3.0, 4.0]); b.attach_grad()",
                  "c = nd.array([0.5, 0.5])",
                  "with autograd.record():\n    y = (b * c).sum()",
                  "autograd.backward([a, b, y], retain_graph=True)",
                  "an1 = [a.grad is None]",
                  "autograd.backward([a, c, y])",
                  "an2 = [a.grad is None]",
                  "with autograd.record():\n    c[:] = nd.array([0.5, 0.5])",
                  "with autograd.record():\n    a[:] = nd.array([1.0, 2.0])"],
        'check': ['raised', 'val:an1[0]', 'val:an2[0]', 'grad:b']},
    # mark_variables: each array given as a gradient buffer becomes an array of the graph that
    # wants no gradient (minigluon kept it as it was): a variable given as a buffer stops being
    # one, the variable given as its own buffer too (backward then finds nothing to
    # differentiate), a recorded array given as a buffer is a constant for later operations, and
    # the buffer may be a head of backward (freed by it). attach_grad's own buffer stays plain.
    'mark_buffer_was_a_variable': {
        'lines': ["x = nd.array([1.0, 2.0, 3.0]); y = nd.array([0.5, -1.0, 2.0])",
                  "y.attach_grad()",
                  "autograd.mark_variables([x], [y])",
                  "with autograd.record():\n    z = (x * x + y * 3).sum()",
                  "z.backward()",
                  "ynone = y.grad is None"],
        'check': ['raised', 'val:y', 'grad:x', 'val:ynone']},
    'mark_buffer_is_the_variable': {
        'lines': ["x = nd.array([1.0, 2.0, 3.0])",
                  "autograd.mark_variables([x], [x], 'add')",
                  "with autograd.record():\n    z = (x * x).sum()",
                  "z.backward()",
                  "xnone = x.grad is None"],
        'check': ['raised', 'val:x', 'val:xnone']},
    'mark_buffer_was_recorded': {
        'lines': ["x = nd.array([1.0, 2.0, 3.0]); y = nd.array([0.5, -1.0, 2.0])",
                  "x.attach_grad()",
                  "with autograd.record():\n    w = x * 2\n    autograd.mark_variables([y], [w])\n"
                  "    z = (w * y).sum()",
                  "z.backward()"],
        'check': ['raised', 'grad:x', 'grad:y', 'val:w']},
    'mark_buffer_among_heads': {
        'lines': ["x = nd.array([1.0, 2.0, 3.0]); g = nd.zeros(3)",
                  "autograd.mark_variables([x], [g], 'add')",
                  "autograd.backward([x, g])",
                  "gv = g * 1",
                  "autograd.backward([x, g])",
                  "autograd.backward([x])",
                  "y = nd.array([1.0, 1.0]); h = nd.zeros(2); autograd.mark_variables([y], [h])",
                  "autograd.backward([h])"],
        'check': ['raised', 'val:gv', 'val:g']},
    'mark_buffer_written_while_recording': {
        'lines': ["x = nd.array([1.0, 2.0, 3.0]); g = nd.zeros(3)",
                  "autograd.mark_variables([x], [g])",
                  "with autograd.record():\n    g[:] = 1",
                  "y = nd.array([1.0, 2.0]); y.attach_grad()",
                  "with autograd.record():\n    y.grad[:] = 1",
                  "yg = y.grad * 1"],
        'check': ['raised', 'val:yg']},
    # (already as in MXNet, kept as a pin) 'add' into a user buffer holding values, a user
    # write into it between two backward passes, and mark_variables on an array that had
    # attach_grad (its old buffer keeps what it held)
    'mark_buffer_user_values': {
        'lines': ["x = nd.array([1.0, 2.0, 3.0]); x.attach_grad(); old = x.grad; old[:] = 7",
                  "g = nd.array([10.0, 20.0, 30.0]); autograd.mark_variables([x], [g], 'add')",
                  "with autograd.record():\n    z = (x * x).sum()",
                  "z.backward()",
                  "g1 = g * 1",
                  "g[:] = 5",
                  "with autograd.record():\n    z = (x * 3).sum()",
                  "z.backward()"],
        'check': ['raised', 'val:g1', 'val:g', 'grad:x', 'val:old']},
    # A backward frees the inputs of its nodes as they were recorded: an array attached again
    # (here with grad_req='null') after a recorded operator read it keeps its new gradient
    # buffer (minigluon's release dropped it, as for a 'null' variable read by that node)
    'reattached_null_survives_backward': {
        'lines': ["x0 = nd.array([[-0.85, -0.88], [-0.95, 1.59]]); x0.attach_grad()",
                  "x1 = nd.array([[-1.31, 1.02], [1.06, -1.21]]); x1.attach_grad(grad_req='add')",
                  "with autograd.record():\n    t2 = x1 * 2 + x0",
                  "x1.attach_grad(grad_req='null')",
                  "t2.backward()",
                  "x1none = x1.grad is None",
                  "with autograd.record():\n    t3 = (x1 * x0).sum()",
                  "t3.backward()",
                  "x1none2 = x1.grad is None"],
        'check': ['raised', 'grad:x0', 'val:x1none', 'val:x1none2']},
    # A custom Function applied while recording to arrays in the graph that want no gradient
    # (grad_req='null') is recorded by MXNet: its outputs cannot be written into while
    # recording (minigluon left them plain). MXNet writes before raising: only the outcomes and
    # a value not written are compared.
    'function_of_null_variable_in_graph': {
        'lines': ["class Two(autograd.Function):\n    def forward(self, x):\n        return x * 2, x + 1\n"
                  "    def backward(self, da, db):\n        return da * 2 + db",
                  "x0 = nd.array([[-0.94, -0.38], [-0.29, 1.05]]); x0.attach_grad(grad_req='null')",
                  "s1 = autograd.record(); s1.__enter__()",
                  "t2, t3 = Two()(x0)",
                  "t2[:] = x0",
                  "t3 += 1",
                  "s1.__exit__(None, None, None)",
                  "t3.backward()",
                  "p = nd.array([1.0, 2.0])",
                  "with autograd.record():\n    u, w = Two()(p)\n    u[:] = 5"],
        'check': ['raised', 'val:x0']},
    # An output of operators without a gradient ((x == x).min(), recorded by MXNet) leaves the
    # graph with it when a backward or autograd.grad from it frees the graph: an in-place write
    # is then allowed (minigluon kept raising: fuzz seed 5's p317) and a second backward raises.
    'comparison_head_freed': {
        'lines': ["x = nd.array([[-1.0, 1.99, 1.96], [0.47, 0.4, 0.31]]); x.attach_grad()",
                  "s1 = autograd.record(); s1.__enter__()",
                  "t = (nd.Dropout(x, p=0.5) == x).min()",
                  "u = (x > 0).sum()",
                  "t *= 2",
                  "g = autograd.grad([t], [x])",
                  "t *= 2",
                  "u.backward()",
                  "u[:] = 7",
                  "s1.__exit__(None, None, None)",
                  "t.backward()",
                  "u.backward()"],
        'check': ['raised', 'val:t', 'val:u', 'val:g[0]', 'grad:x']},
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
