"""Regression programs for what ``tools/fuzz_gluon_blocks.py`` found, with MXNet 1.9.1's outcomes;
run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_gluon_blocks_fuzz_fixtures.py

Each program is a list of statements run one by one in one namespace holding ``mx``, ``nd``,
``gluon``, ``nn``, ``autograd``, ``np`` and ``FILEDIR`` (an empty folder for the files a program
saves); ``check`` names the values a test compares besides ``raised`` (0/1 per statement): an
NDArray is compared as an array, anything else as its ``repr`` (a str, a list of keys...);
``differs`` lists the statements where MXNet raises and minigluon deliberately runs (docs/PORTING.md's
table of deliberate differences); with ``'warnings': True`` the number of ``UserWarning``s of
each statement is compared too.

Output: ``tests/fixtures/gluon_blocks_fuzz/programs.json`` (name -> ``{'lines', 'check'}``) and
``expected.npz`` (``<name>/raised``, ``<name>/warned``, ``<name>/<value>``).
"""
import json
import os
import sys
import tempfile

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_gluon_blocks  # noqa: E402  (its replay: the test's too)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'gluon_blocks_fuzz')

PROGRAMS = {
    # hybridize(static_shape=True) without static_alloc: the first call of the hybridized block
    # raises (CachedOp's check), every call again until it is hybridized with static_alloc;
    # the flags reach the children, so a child called alone raises too (minigluon ran).
    'static_shape_needs_static_alloc': {
        'lines': ["net = nn.HybridSequential(prefix='net_')",
                  "d = nn.Dense(2, in_units=3, prefix='d_'); net.add(d)",
                  "net.initialize(mx.init.Constant(0.5))",
                  "x = nd.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])",
                  "net.hybridize(static_shape=True)",
                  "y1 = net(x)",
                  "y2 = net(x)",
                  "y3 = d(x)",
                  "net.hybridize(static_alloc=True, static_shape=True)",
                  "y4 = net(x)",
                  "net.hybridize(active=True, static_alloc=False, static_shape=False)",
                  "y5 = net(x)"],
        'check': ['y4', 'y5']},
    # docs/PORTING.md "deliberately differs": MXNet raises at the statements listed in 'differs', where
    # minigluon runs. A child that hybrid_forward never calls: MXNet cannot infer its deferred
    # shapes, so the parent's first call fails, eager or hybridized; the child stays pending here.
    'unused_child_deferred_init': {
        'lines': ["class P(gluon.HybridBlock):\n"
                  "    def __init__(self, **kw):\n"
                  "        super(P, self).__init__(**kw)\n"
                  "        self.w = self.params.get('w', shape=(2, 0), allow_deferred_init=True)\n"
                  "        self.extra = nn.Dense(3)\n"
                  "    def hybrid_forward(self, F, x, w):\n"
                  "        return F.FullyConnected(x, w, no_bias=True, num_hidden=2)",
                  "p = P(prefix='p_'); p.initialize(mx.init.One())",
                  "keys = list(p.collect_params().keys())",
                  "y = p(nd.array([[1.0, 2.0, 3.0]]))",
                  "e = p.extra.weight.data()",
                  "q = P(prefix='q_'); q.initialize(mx.init.One()); q.hybridize()",
                  "z = q(nd.array([[1.0, 2.0, 3.0]]))"],
        'check': ['keys'], 'differs': [3, 6]},
    # load_parameters of a file without '.' keys (MXNet's legacy path): full names (nd.save of
    # collect_params()), a block whose child lies outside its prefix, an empty file.
    'legacy_load_paths': {
        'lines': ["net = nn.HybridSequential(prefix='net_')",
                  "with net.name_scope():\n    net.add(nn.Dense(2, in_units=3))",
                  "net.initialize(mx.init.Constant(0.5))",
                  "nd.save(FILEDIR + '/full.params', "
                  "{k: v.data() for k, v in net.collect_params().items()})",
                  "keys = sorted(nd.load(FILEDIR + '/full.params').keys())",
                  "net.load_parameters(FILEDIR + '/full.params')",
                  "out = nn.HybridSequential(prefix='out_'); d = nn.Dense(2, in_units=3, "
                  "prefix='free_'); out.add(d); out.initialize(mx.init.One())",
                  "d.save_parameters(FILEDIR + '/d.params')",
                  "dkeys = sorted(nd.load(FILEDIR + '/d.params').keys())",
                  "out.load_parameters(FILEDIR + '/d.params', allow_missing=True, "
                  "ignore_extra=True)",
                  "empty = nn.HybridSequential(prefix='empty_'); empty.initialize(); "
                  "empty.save_parameters(FILEDIR + '/empty.params')",
                  "net.load_parameters(FILEDIR + '/empty.params', allow_missing=True)",
                  "net.load_parameters(FILEDIR + '/empty.params')"],
        'check': ['keys', 'dkeys'], 'differs': [5, 9, 11]},
    # A block registered as its own child: whatever walks the tree (save, collect_params,
    # hybridize) recurses without end and raises, as does a forward (here: the loop feeds the
    # Dense its own (1, 2) output).
    'block_as_its_own_child': {
        'lines': ["net = nn.Sequential(prefix='self_')",
                  "net.add(nn.Dense(2, in_units=3, prefix='d_')); net.initialize()",
                  "net.d1 = net",
                  "net.save_parameters(FILEDIR + '/loop.params')",
                  "keys = list(net.collect_params().keys())",
                  "z = net(nd.array([[1.0, 2.0, 3.0]]))",
                  "net.hybridize(False)",
                  "children = list(net._children.keys())"],
        'check': ['children']},
    # A child added to a grandchild of a hybridized block is not in its graph: once the block
    # is hybridized again (MXNet rebuilds its graph then; minigluon already at the first call,
    # docs/PORTING.md "deliberately differs") the rebuilt graph warns that it leaves the new parameters
    # unused.
    'grandchild_added_under_hybridized': {
        'lines': ["net = nn.HybridSequential(prefix='net_')",
                  "net.add(nn.Dropout(0.5, prefix='drop_'))",
                  "net.initialize(mx.init.One())",
                  "x = nd.array([[1.0, 2.0, 3.0]])",
                  "net.hybridize()",
                  "y1 = net(x)",
                  "net[0].d1 = nn.Dense(2, in_units=3, prefix='extra_')",
                  "net[0].d1.initialize(mx.init.One())",
                  "net.hybridize()",
                  "y2 = net(x)",
                  "keys = list(net.collect_params().keys())"],
        'check': ['y1', 'y2', 'keys'], 'warnings': True},
    # Gradients of a float64 Dense whose weight is frozen: the bias still gets its gradient
    # (MXNet's float64 kernel; its float32 one leaves it at zero, docs/PORTING.md "deliberately
    # differs"); the input gradient is weight.sum(0) per row.
    'frozen_weight_bias_grad_float64': {
        'lines': ["d = nn.Dense(3, in_units=3, prefix='d_', dtype='float64')",
                  "d.initialize(mx.init.Constant(0.3))",
                  "d.weight.grad_req = 'null'",
                  "x = nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype='float64')",
                  "x.attach_grad()",
                  "with autograd.record():\n    y = d(x).sum()",
                  "y.backward()",
                  "bgrad = d.bias.grad()",
                  "xgrad = x.grad",
                  "wgrad = d.weight.grad()"],
        'check': ['bgrad', 'xgrad']},
    # Saving a network holding one child under two names writes both; a rebuilt network without
    # the alias refuses the file unless ignore_extra (what it holds after the refusal differs:
    # docs/PORTING.md "a failed load can leave a network half-loaded").
    'load_of_an_aliased_child': {
        'lines': ["net = nn.Sequential(prefix='net_')",
                  "ln = nn.LayerNorm(in_channels=3, prefix='ln_'); net.add(ln)",
                  "net.initialize(mx.init.One())",
                  "net.d1 = ln; ln.beta.set_data(nd.array([0.1, 0.2, 0.3]))",
                  "net.save_parameters(FILEDIR + '/a.params')",
                  "keys = sorted(nd.load(FILEDIR + '/a.params').keys())",
                  "other = nn.Sequential(prefix='other_'); "
                  "other.add(nn.LayerNorm(in_channels=3, prefix='ln_'))",
                  "other.load_parameters(FILEDIR + '/a.params')",
                  "other.load_parameters(FILEDIR + '/a.params', ignore_extra=True)",
                  "beta = other[0].beta.data()"],
        'check': ['keys', 'beta']},
}


def replay(lines, filedir):
    """``fuzz_gluon_blocks.replay`` on MXNet, printing where a statement raised."""
    return fuzz_gluon_blocks.replay(mx, lines, filedir, lambda line, e: print(
        '   raised at %r: %s: %s' % (line[:60], type(e).__name__, str(e)[:150])))


def value(v):
    if isinstance(v, mx.nd.NDArray):
        return v.asnumpy()
    return np.array(repr(v))


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    for name, prog in PROGRAMS.items():
        with tempfile.TemporaryDirectory() as tmp:
            raised, warned, env = replay(prog['lines'], tmp)
        expected[name + '/raised'] = raised
        if prog.get('warnings'):
            expected[name + '/warned'] = warned
        for key in prog['check']:
            expected['%s/%s' % (name, key)] = value(env[key])
        print(name, raised.tolist())
    with open(os.path.join(OUT, 'programs.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'programs': PROGRAMS}, f, indent=1)
    np.savez(os.path.join(OUT, 'expected.npz'), **expected)


if __name__ == '__main__':
    main()
