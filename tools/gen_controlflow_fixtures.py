"""Golden files for the control-flow tests (tests/test_controlflow.py), made with MXNet 1.9.1.

Run in the MXNet venv:  /opt/mxvenv/bin/python tools/gen_controlflow_fixtures.py
Writes under tests/fixtures/controlflow/:

* eager.npz: nd.contrib.foreach (NDArray data, list data with nested states), while_loop and
  cond results and the gradients of a weighted sum of them with respect to their inputs;
* foreach_net-symbol.json / foreach_net-0000.params: a hybridized Net whose body holds a Dense,
  exported by MXNet; net.npz: its inputs, outputs and gradients (inputs and parameters);
* nested-symbol.json: sym.contrib.foreach inside a foreach body;
* cond_net-symbol.json / cond_net-0000.params / cond_net.npz: a hybridized block calling
  F.contrib.cond (a Dense in the then-branch), run on inputs taking each branch;
* while_net-symbol.json / while_net-0000.params / while_net.npz: a hybridized block calling
  F.contrib.while_loop (a Dense and a closure input in the body);
* while_cond-symbol.json: sym.contrib.while_loop whose cond and func read one outside
  variable and whose loop variable is an operator's output, then sym.contrib.cond on the result.
"""
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'controlflow')


def rand(rng, *shape):
    return rng.uniform(-1, 1, size=shape).astype('float32')


def eager(rng):
    res = {}
    # 1. foreach over one NDArray, one state
    x, h = rand(rng, 4, 2, 3), rand(rng, 2, 3)
    wo, ws = rand(rng, 4, 2, 3), rand(rng, 2, 3)
    X, H = nd.array(x), nd.array(h)
    X.attach_grad(); H.attach_grad()
    with autograd.record():
        outs, states = mx.nd.contrib.foreach(
            lambda d, s: (nd.tanh(d * s[0] + d), [s[0] * 0.5 + nd.sigmoid(d)]), X, [H])
        loss = (outs * nd.array(wo)).sum() + (states[0] * nd.array(ws)).sum()
    loss.backward()
    res.update(f1_x=x, f1_h=h, f1_wo=wo, f1_ws=ws, f1_out=outs.asnumpy(), f1_state=states[0].asnumpy(),
               f1_gx=X.grad.asnumpy(), f1_gh=H.grad.asnumpy())
    # 2. foreach over a list of data, nested states, two outputs
    a, b, s1, s2 = rand(rng, 3, 2), rand(rng, 3, 2), rand(rng, 2), rand(rng, 2)
    A, B, S1, S2 = [nd.array(v) for v in (a, b, s1, s2)]
    for v in (A, B, S1, S2):
        v.attach_grad()

    def body(d, s):
        p, q = d
        (u,), v = s
        o1 = p * u + q
        o2 = nd.exp(q) * v
        return [o1, o2], [[u + o1], v * p]
    with autograd.record():
        (o1, o2), ((u,), v) = mx.nd.contrib.foreach(body, [A, B], [[S1], S2])
        loss = (o1 * 2).sum() + (o2 * 3).sum() + (u * u).sum() + v.sum()
    loss.backward()
    res.update(f2_a=a, f2_b=b, f2_s1=s1, f2_s2=s2, f2_o1=o1.asnumpy(), f2_o2=o2.asnumpy(),
               f2_u=u.asnumpy(), f2_v=v.asnumpy(), f2_ga=A.grad.asnumpy(), f2_gb=B.grad.asnumpy(),
               f2_gs1=S1.grad.asnumpy(), f2_gs2=S2.grad.asnumpy())
    # 3. while_loop (MXNet's docstring example, float) and a differentiable one
    outs, st = mx.nd.contrib.while_loop(lambda i, s: i <= 5, lambda i, s: ([i + s], [i + 1, s + i]),
                                        (nd.array([0]), nd.array([1])), max_iterations=10)
    res.update(w1_out=outs[0].asnumpy()[:6], w1_i=st[0].asnumpy(), w1_s=st[1].asnumpy())
    z = rand(rng, 3)
    Z = nd.array(z)
    Z.attach_grad()
    with autograd.record():
        outs, (k, acc) = mx.nd.contrib.while_loop(
            lambda k, acc: k < 3, lambda k, acc: (acc * 2, [k + 1, nd.sin(acc) + acc * Z]),
            [nd.array([0]), Z * 1], max_iterations=5)
        loss = (outs[:3] * nd.arange(9).reshape((3, 3))).sum() + acc.sum()
    loss.backward()
    res.update(w2_z=z, w2_out=outs.asnumpy()[:3], w2_acc=acc.asnumpy(), w2_k=k.asnumpy(),
               w2_gz=Z.grad.asnumpy())
    # 4. cond, both branches
    for tag, c in (('c1', 1.0), ('c0', -1.0)):
        p = rand(rng, 2)
        P = nd.array(p)
        P.attach_grad()
        with autograd.record():
            out = mx.nd.contrib.cond(nd.array([c]) > 0, lambda: nd.exp(P) * 2, lambda: P * P - 1)
            out.backward()
        res.update(**{tag + '_p': p, tag + '_out': out.asnumpy(), tag + '_gp': P.grad.asnumpy()})
    np.savez(os.path.join(OUT, 'eager.npz'), **res)


# The three hybridized blocks, written once: run here against MXNet, and against minigluon by
# tests/test_controlflow.py, which reads this string (so both sides run the same code).
MODELS_SRC = '''
class Net(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x, h):
        def body(d, states):
            o = F.tanh(self.dense(d) + states[0])
            return o, [o * 0.5 + states[0]]
        outs, states = F.contrib.foreach(body, x, [h])
        return outs, states[0]


class CondNet(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x, y):
        return F.contrib.cond(F.sum(x) > 0, lambda: F.tanh(self.dense(x)) + y,
                              lambda: y * 2 + F.sin(F.slice_axis(x, axis=1, begin=0, end=3)))


class WhileNet(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = gluon.nn.Dense(3, in_units=3)

    def hybrid_forward(self, F, x, i):
        def func(i, s):
            o = F.tanh(self.dense(s)) + x
            return o, [i + 1, o * 0.5 + s]
        outs, (i, s) = F.contrib.while_loop(lambda i, s: i < 3, func, [i, x], max_iterations=5)
        return outs, i, s
'''
exec(MODELS_SRC)   # defines Net, CondNet, WhileNet with MXNet's gluon


def net_fixture(rng):
    mx.random.seed(7)
    net = Net(prefix='net_')
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x, h = rand(rng, 5, 2, 4), rand(rng, 2, 3)
    wo = rand(rng, 5, 2, 3)
    X, H = nd.array(x), nd.array(h)
    X.attach_grad(); H.attach_grad()
    with autograd.record():
        outs, state = net(X, H)
        loss = (outs * nd.array(wo)).sum() + state.sum()
    loss.backward()
    net.export(os.path.join(OUT, 'foreach_net'))
    np.savez(os.path.join(OUT, 'net.npz'), x=x, h=h, wo=wo, out=outs.asnumpy(), state=state.asnumpy(),
             gx=X.grad.asnumpy(), gh=H.grad.asnumpy(),
             gw=net.dense.weight.grad().asnumpy(), gb=net.dense.bias.grad().asnumpy())


def nested_fixture():
    """A foreach inside a foreach body (subgraph names foreach0 and foreach0$foreach0)."""
    def inner(d, s):
        return d * s[0], [s[0] + d.sum()]

    def outer(d, s):
        o, st = mx.sym.contrib.foreach(inner, d, [s[0]])
        return o, [st[0] * 2]
    o, st = mx.sym.contrib.foreach(outer, mx.sym.var('x'), [mx.sym.var('h')])
    mx.sym.Group([o, st[0]]).save(os.path.join(OUT, 'nested-symbol.json'))


def export_fresh(cls, net, args, name):
    """Export a new block holding ``net``'s parameters: retracing ``net`` itself would find its
    parameter variables already marked with the first trace's subgraph name."""
    new = cls(prefix='net_')
    new.initialize()
    for p, q in zip(net.collect_params().values(), new.collect_params().values()):
        q.set_data(p.data())
    new.hybridize()
    new(*args)
    new.export(os.path.join(OUT, name))


def cond_fixture(rng):
    mx.random.seed(11)
    net = CondNet(prefix='net_')
    net.initialize(mx.init.Xavier())
    net.hybridize()
    res = {}
    for tag, sign in (('then', 1.0), ('else', -1.0)):
        x = np.abs(rand(rng, 2, 4)) * sign
        y, wo = rand(rng, 2, 3), rand(rng, 2, 3)
        X, Y = nd.array(x), nd.array(y)
        X.attach_grad(); Y.attach_grad()
        net.collect_params().zero_grad()      # the branch not taken leaves its weights alone
        net.hybridize()
        out = net(X, Y)                # the _cond node's forward
        # MXNet 1.9.1's _cond backward fails here ("storage_type_num_unknown_nodes"), for any
        # cond whose branches read more than one input; the gradients come from the eager form.
        net.hybridize(False)
        with autograd.record():
            eager_out = net(X, Y)
            loss = (eager_out * nd.array(wo)).sum()
        loss.backward()
        assert np.allclose(eager_out.asnumpy(), out.asnumpy(), rtol=1e-5, atol=1e-6)
        res.update(**{tag + '_x': x, tag + '_y': y, tag + '_wo': wo, tag + '_out': out.asnumpy(),
                      tag + '_gx': X.grad.asnumpy(), tag + '_gy': Y.grad.asnumpy(),
                      tag + '_gw': net.dense.weight.grad().asnumpy(),
                      tag + '_gb': net.dense.bias.grad().asnumpy()})
    export_fresh(CondNet, net, (X, Y), 'cond_net')
    np.savez(os.path.join(OUT, 'cond_net.npz'), **res)


def while_fixture(rng):
    mx.random.seed(13)
    net = WhileNet(prefix='net_')
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x, wo, ws = rand(rng, 2, 3), rand(rng, 3, 2, 3), rand(rng, 2, 3)
    X, I = nd.array(x), nd.array([0.0])
    X.attach_grad(); I.attach_grad()
    hybrid_out = net(X, I)[0].asnumpy()[:3]      # the _while_loop node's forward
    # Recording the hybridized _while_loop fails in MXNet 1.9.1 ("Assigning to NDArrays that are
    # already in a computational graph"); the gradients come from the eager form.
    net.hybridize(False)
    with autograd.record():
        outs, i, s = net(X, I)
        loss = (outs[:3] * nd.array(wo)).sum() + (s * nd.array(ws)).sum()   # rows 3, 4: padding
    loss.backward()
    assert np.allclose(outs.asnumpy()[:3], hybrid_out, rtol=1e-5, atol=1e-6)
    export_fresh(WhileNet, net, (X, I), 'while_net')
    np.savez(os.path.join(OUT, 'while_net.npz'), x=x, wo=wo, ws=ws, out=outs.asnumpy()[:3],
             i=i.asnumpy(), s=s.asnumpy(), gx=X.grad.asnumpy(), gi=I.grad.asnumpy(),
             gw=net.dense.weight.grad().asnumpy(), gb=net.dense.bias.grad().asnumpy())


def while_cond_fixture():
    """Symbolic while_loop (outside variable in cond and func, loop variable from an operator),
    then cond on its result: MXNet's input lists, locations and names."""
    with mx.name.NameManager():           # node names counted from 0
        a, w = mx.sym.var('a'), mx.sym.var('w')
        start = mx.sym.relu(a)
        outs, (k, acc) = mx.sym.contrib.while_loop(
            lambda k, acc: (k + w).sum() < 4, lambda k, acc: (acc * w, [k + 1, acc + k * w]),
            [mx.sym.var('k'), start], max_iterations=3)
        res = mx.sym.contrib.cond(acc.sum() > w.sum(), lambda: acc * w, lambda: outs.sum() + a)
    mx.sym.Group([outs, k, res]).save(os.path.join(OUT, 'while_cond-symbol.json'))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(0)
    eager(rng)
    net_fixture(rng)
    nested_fixture()
    cond_fixture(rng)
    while_fixture(rng)
    while_cond_fixture()


if __name__ == '__main__':
    main()
