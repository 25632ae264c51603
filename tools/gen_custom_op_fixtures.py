"""Golden fixtures for custom Python operators (``mx.operator``), from MXNet 1.9.1 (run in its venv).

    /opt/mxvenv/bin/python tools/gen_custom_op_fixtures.py

The operators and the network are those of tests/_custom_ops.py (one definition for both
frameworks). Writes to tests/fixtures/custom_op/:

* ``eager.npz``: inputs, outputs and gradients of eager ``nd.Custom`` calls (``scale_*``,
  ``ce_*``, ``centre_*``);
* ``net.npz``: the network's input, label, parameters before the step, the training-mode
  output of the hybridized network, every parameter's gradient, the running state after the
  step and the prediction-mode output of the exported files;
* ``net-symbol.json`` / ``net-0000.params``: the network exported after that step.
"""
import os
import sys

import numpy as np
import mxnet as mx
from mxnet import autograd, nd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
import _custom_ops  # noqa: E402

OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'custom_op')


def eager_cases(rng):
    res = {}
    x = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    y = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    w1 = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    w2 = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    xs, ys = nd.array(x), nd.array(y)
    xs.attach_grad()
    ys.attach_grad()
    with autograd.record():
        a, b = nd.Custom(xs, ys, op_type='t_scale_add', scale=2.5)
        loss = (a * nd.array(w1) + b * nd.array(w2)).sum()
    loss.backward()
    res.update(scale_x=x, scale_y=y, scale_w1=w1, scale_w2=w2, scale_out=a.asnumpy(),
               scale_plus=b.asnumpy(), scale_dx=xs.grad.asnumpy(), scale_dy=ys.grad.asnumpy())

    data = rng.uniform(-2, 2, (5, 3)).astype(np.float32)
    label = np.array([0, 2, 1, 2, 0], dtype=np.float32)
    ds = nd.array(data)
    ds.attach_grad()
    with autograd.record():
        prob = nd.Custom(ds, nd.array(label), op_type='t_softmax_ce')
    prob.backward()
    res.update(ce_data=data, ce_label=label, ce_prob=prob.asnumpy(), ce_grad=ds.grad.asnumpy())

    c = rng.uniform(-1, 1, (6, 4)).astype(np.float32)
    running = nd.array(rng.uniform(-1, 1, (4,)).astype(np.float32))
    res['centre_x'] = c
    res['centre_running0'] = running.asnumpy()
    with autograd.train_mode():
        out_train = nd.Custom(nd.array(c), running, op_type='t_centre')
    res['centre_out_train'] = out_train.asnumpy()
    res['centre_running1'] = running.asnumpy()
    res['centre_out_predict'] = nd.Custom(nd.array(c), running, op_type='t_centre').asnumpy()
    res['centre_running2'] = running.asnumpy()
    return res


def net_case(rng):
    net = _custom_ops.net_class(mx)(prefix='net_')
    net.initialize()
    x = rng.uniform(-1, 1, (5, 6)).astype(np.float32)
    label = np.array([1, 0, 2, 2, 1], dtype=np.float32)
    net(nd.array(x), nd.array(label))            # shapes known
    res = {'x': x, 'label': label}
    for name, p in sorted(net.collect_params().items()):
        value = rng.uniform(-0.5, 0.5, p.shape).astype(np.float32)
        p.set_data(nd.array(value))
        res['param:' + name] = value
    net.hybridize()
    with autograd.record():
        prob = net(nd.array(x), nd.array(label))
    prob.backward()
    res['prob_train'] = prob.asnumpy()
    for name, p in sorted(net.collect_params().items()):
        if p.grad_req != 'null':
            res['grad:' + name] = p.grad().asnumpy()
    res['running_after'] = net.running.data().asnumpy()
    net.export(os.path.join(OUT, 'net'))
    imported = mx.gluon.SymbolBlock.imports(os.path.join(OUT, 'net-symbol.json'),
                                            ['data0', 'data1'],
                                            os.path.join(OUT, 'net-0000.params'))
    res['prob_imported'] = imported(nd.array(x), nd.array(label)).asnumpy()
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    _custom_ops.define(mx)
    rng = np.random.RandomState(7)
    np.savez(os.path.join(OUT, 'eager.npz'), **eager_cases(rng))
    np.savez(os.path.join(OUT, 'net.npz'), **net_case(rng))
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
