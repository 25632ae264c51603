"""Fixtures for tests/test_autograd_join_patterns.py: training-loop patterns around arrays that
join the autograd graph (read by a recorded operator), run under MXNet 1.9.1.

Each program is a list of statements (a statement may hold a ``with`` block) run one by one in
one namespace; the fixture keeps, for each statement, whether it raised MXNetError, and the
values of the program's ``check`` expressions at the end. Run with MXNet 1.9.1's Python:

    /opt/mxvenv/bin/python tools/gen_autograd_join_fixtures.py

It writes tests/fixtures/autograd_join/programs.json and expected.json.
"""
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'autograd_join')

REC = 'with autograd.record():\n'

PROGRAMS = {
    # A plain array that joined a dropped graph, read with another plain array by an operator
    # that is then part of a backward: the backward frees both, so writing into the second
    # one while recording is allowed afterwards.
    'plain_op_on_joined_then_backward': {
        'lines': [
            'v = nd.ones((3,)); v.attach_grad(); x = nd.ones((3,)); w = nd.ones((3,)) * 2',
            REC + '    y = x * v',
            'del y',
            REC + '    z = x * w\n    l = (z * v).sum()',
            'l.backward()',
            REC + '    w[:] = 0',
            REC + '    x[:] = 5',
        ],
        'check': ['v.grad', 'w', 'x'],
    },
    # A threshold array compared with a recorded output: the mask's consumer is freed by
    # backward, and the threshold with it.
    'threshold_array_in_comparison': {
        'lines': [
            'v = nd.array([0.2, 0.7, 1.5]); v.attach_grad(); thr = nd.array([0.5])',
            REC + '    o = v * 2\n    mask = nd.broadcast_greater(o, thr)\n    l = (o * mask).sum()',
            'l.backward()',
            'thr[:] = thr * 0.5',
            REC + '    thr[:] = 0.1',
            REC + '    o = v * 2\n    l = (o * nd.broadcast_greater(o, thr)).sum()',
            'l.backward()',
        ],
        'check': ['v.grad', 'thr'],
    },
    # Before the backward, the threshold is in the graph: writing into it while recording raises.
    'threshold_array_before_backward': {
        'lines': [
            'v = nd.array([0.2, 0.7, 1.5]); v.attach_grad(); thr = nd.array([0.5])',
            REC + '    o = v * 2\n    mask = nd.broadcast_greater(o, thr)\n    l = (o * mask).sum()',
            REC + '    thr[:] = 0.5',    # raises (MXNet writes first: same values)
            'l.backward()',
            REC + '    thr[:] = 0.2',
        ],
        'check': ['v.grad', 'thr'],
    },
    # A mask made of plain arrays only (label != ignore index) multiplying a recorded loss.
    'plain_mask_times_loss': {
        'lines': [
            'x = nd.array([[1., 2., 3.], [4., 5., 6.]]); x.attach_grad()',
            'lab = nd.array([0., 2.]); ign = nd.array([2.])',
            REC + '    keep = nd.broadcast_not_equal(lab, ign)\n'
                  '    l = (nd.pick(nd.log_softmax(x), lab) * keep).sum()',
            'l.backward()',
            REC + '    ign[:] = 0\n    lab[:] = 1',
        ],
        'check': ['x.grad', 'ign', 'lab'],
    },
    # A target network with grad_req='null' whose parameters (and input) were read under
    # record: after a backward through it, copying the online weights in is allowed while
    # recording (the input had joined a graph dropped without backward).
    'null_req_target_sync': {
        'lines': [
            'q = mx.gluon.nn.Dense(2, in_units=3); q.initialize(mx.init.Constant(0.1))',
            't = mx.gluon.nn.Dense(2, in_units=3); t.initialize(mx.init.Constant(0.0))',
            's = nd.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])',
            REC + '    dropped = t(s)',
            'del dropped',
            "t.collect_params().setattr('grad_req', 'null')",
            REC + '    l = (q(s) - t(s)).sum()',
            'l.backward()',
            REC + '    q.weight.data().copyto(t.weight.data())\n    t.bias.data()[:] = 1',
        ],
        'check': ['q.weight.grad()', 't.weight.data()', 't.bias.data()'],
    },
    # Patterns that behaved as MXNet already (kept as guards).
    'buffer_refill_in_record_after_backward': {
        'lines': [
            'w = nd.ones((2,)) * 0.5; w.attach_grad(); buf = nd.array([1., 2.])',
            REC + '    l = (buf * w).sum()',
            'l.backward()',
            REC + '    buf[:] = nd.array([3., 4.])\n    l = (buf * w).sum()',
            REC + '    buf[:] = nd.array([3., 4.])',   # raises (MXNet writes first: same values)
            'l.backward()',
        ],
        'check': ['w.grad', 'buf'],
    },
    'validation_in_record_then_refill': {
        'lines': [
            'w = nd.ones((2,)) * 0.5; w.attach_grad(); val = nd.array([1., 2.]); x = nd.array([3., 1.])',
            REC + '    l = (x * w).sum()\n    vo = (val * w).sum()',
            'l.backward()',
            'val[:] = 7',
            REC + '    val[:] = 7',    # raises (MXNet writes first: same values)
            REC + '    x[:] = 2\n    l = (x * w).sum()',
            'l.backward()',
        ],
        'check': ['w.grad', 'val', 'x'],
    },
}


def run(mx, lines, check):
    """Run the statements; return (raised flags, check values as lists)."""
    import numpy as np
    env = {'mx': mx, 'nd': mx.nd, 'autograd': mx.autograd, 'np': np}
    raised = []
    for line in lines:
        try:
            exec(line, env)
            raised.append(0)
        except mx.base.MXNetError:
            raised.append(1)
    mx.autograd.set_recording(False)
    mx.autograd.set_training(False)
    return raised, [eval(c, env).asnumpy().astype('float64').tolist() for c in check]


def main():
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, prog in PROGRAMS.items():
        raised, values = run(mx, prog['lines'], prog['check'])
        expected[name] = {'raised': raised, 'values': values}
    with open(os.path.join(OUT, 'programs.json'), 'w') as f:
        json.dump(PROGRAMS, f, indent=1, sort_keys=True)
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'expected': expected}, f, indent=1, sort_keys=True)
    print('wrote %d programs to %s' % (len(PROGRAMS), os.path.normpath(OUT)), file=sys.stderr)


if __name__ == '__main__':
    main()
