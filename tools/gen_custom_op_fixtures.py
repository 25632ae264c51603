"""Golden fixtures for custom Python operators (``mx.operator``), from MXNet 1.9.1 (run in its venv).

    /opt/mxvenv/bin/python tools/gen_custom_op_fixtures.py

The operators and the network are those of tests/_custom_ops.py (one definition for both
frameworks). Writes to tests/fixtures/custom_op/:

* ``eager.npz``: inputs, outputs and gradients of eager ``nd.Custom`` calls (``scale_*``,
  ``ce_*``, ``centre_*``);
* ``net.npz``: the network's input, label, parameters before the step, the training-mode
  output of the hybridized network, every parameter's gradient, the running state after the
  step and the prediction-mode output of the exported files;
* ``net-symbol.json`` / ``net-0000.params``: the network exported after that step;
* ``more.npz``: the operators of ``_custom_ops.define_more`` and harder uses of the first ones
  (``num_inputs`` deciding the inputs, one output of two in the loss, ``retain_graph``,
  ``autograd.grad``, deferred initialisation through ``infer_shape`` with changing batch sizes,
  ``infer_type`` with several dtypes, a failing ``forward`` followed by good calls, a loss layer
  trained with ``gluon.Trainer``, control-flow bodies run eagerly (MXNet 1.9.1 ends the process
  with a segmentation fault when a custom operator runs in a hybridized ``foreach`` /
  ``while_loop`` / ``cond``: it passes ``__subgraph_name__`` to the description's constructor)
  an operator without inputs and the profiler's ``Custom Operator`` row names).
"""
import json
import os
import sys
import tempfile

import numpy as np
import mxnet as mx
from mxnet import autograd, nd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
import _custom_ops  # noqa: E402
from _custom_ops import (cond_class, dense_fail_class, flat_dense_class, foreach_class,  # noqa: E402
                         loss_net_class, while_class)

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


def more_cases(rng):
    """The cases of ``more.npz`` (see the module docstring)."""
    res = {}
    # num_inputs decides list_arguments
    xs = [rng.uniform(-1, 1, (2, 3)).astype(np.float32) for _ in range(3)]
    arrs = [nd.array(x) for x in xs]
    for a in arrs:
        a.attach_grad()
    with autograd.record():
        out = nd.Custom(*arrs, op_type='t_sum_n', num_inputs=3)
        loss = (out * out).sum()
    loss.backward()
    sym = mx.sym.Custom(op_type='t_sum_n', num_inputs=3, name='s')
    res.update({'sum_x%d' % i: x for i, x in enumerate(xs)})
    res.update({'sum_dx%d' % i: a.grad.asnumpy() for i, a in enumerate(arrs)})
    res.update(sum_out=out.asnumpy(), sum_args=np.array(sym.list_arguments()))

    # one output of two in the loss; retain_graph; autograd.grad
    x0 = rng.uniform(-1, 1, (3, 2)).astype(np.float32)
    y0 = rng.uniform(-1, 1, (3, 2)).astype(np.float32)
    x, y = nd.array(x0), nd.array(y0)
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        a, b = nd.Custom(x, y, op_type='t_scale_add', scale=1.5)
        loss = (a * a).sum()
    loss.backward(retain_graph=True)
    res.update(two_x=x0, two_y=y0, first_dx=x.grad.asnumpy(), first_dy=y.grad.asnumpy())
    loss.backward()
    res.update(again_dx=x.grad.asnumpy(), again_dy=y.grad.asnumpy())
    with autograd.record():
        a, b = nd.Custom(x, y, op_type='t_scale_add', scale=1.5)
        loss = (a * b).sum()
    gx, gy = autograd.grad(loss, [x, y])
    res.update(grad_dx=gx.asnumpy(), grad_dy=gy.asnumpy())

    # deferred initialisation through infer_shape, changing batch sizes
    images = [rng.uniform(-1, 1, (n, 2, 3)).astype(np.float32) for n in (2, 3, 2)]
    for i, img in enumerate(images):
        res['deferred_x%d' % i] = img
    for mode in ('eager', 'hybrid', 'static'):
        net = flat_dense_class(mx)(prefix='fd_')
        net.initialize(mx.init.One())
        if mode != 'eager':
            net.hybridize(static_alloc=mode == 'static', static_shape=mode == 'static')
        for i, img in enumerate(images):
            data = nd.array(img)
            data.attach_grad()
            with autograd.record():
                out = net(data)
                loss = (out * out).sum()
            loss.backward()
            res['deferred_%s_out%d' % (mode, i)] = out.asnumpy()
            res['deferred_%s_dx%d' % (mode, i)] = data.grad.asnumpy()
        res['deferred_%s_wgrad' % mode] = net.dense.weight.grad().asnumpy()

    # infer_type: the output's dtype from an attribute, the other one the input's
    base = np.array([[1, 2], [3, 4]])
    for in_dtype in ('float16', 'float32', 'float64', 'int32', 'uint8'):
        for out_dtype in ('float16', 'float64'):
            out, same = nd.Custom(nd.array(base, dtype=in_dtype), op_type='t_cast', dtype=out_dtype)
            key = 'cast_%s_%s' % (in_dtype, out_dtype)
            res[key + '_out'] = out.asnumpy()
            res[key + '_same'] = same.asnumpy()
    x = nd.array(base, dtype='float32')
    x.attach_grad()
    with autograd.record():
        out, same = nd.Custom(x, op_type='t_cast', dtype='float64')
        loss = out.sum().astype('float32') + (same * same).sum()
    loss.backward()
    res['cast_grad'] = x.grad.asnumpy()

    # a failing forward, then good calls (eager and hybridized)
    good = rng.uniform(0.5, 1, (2, 3)).astype(np.float32)
    res['fail_good'] = good
    for mode in ('eager', 'hybrid', 'static'):
        net = dense_fail_class(mx)(prefix='df_')
        net.initialize(mx.init.One())
        if mode != 'eager':
            net.hybridize(static_alloc=mode == 'static', static_shape=mode == 'static')
        try:
            net(nd.array(-good)).asnumpy()
        except mx.base.MXNetError:
            pass
        data = nd.array(good)
        data.attach_grad()
        with autograd.record():
            out = net(data)
        out.backward()
        res['fail_%s_out' % mode] = out.asnumpy()
        res['fail_%s_dx' % mode] = data.grad.asnumpy()

    # a loss layer without top gradient, trained with gluon.Trainer
    feats = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    labels = np.array([0, 2, 1, 1, 0], dtype=np.float32)
    res.update(train_x=feats, train_label=labels)
    net = loss_net_class(mx)(prefix='ln_')
    net.initialize(mx.init.Constant(0.1))
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
    for _ in range(3):
        with autograd.record():
            prob = net(nd.array(feats), nd.array(labels))
        prob.backward()
        trainer.step(5)
    res.update(train_weight=net.dense.weight.data().asnumpy(),
               train_bias=net.dense.bias.data().asnumpy())

    # control-flow bodies, eagerly (see the module docstring for hybridized ones in MXNet)
    seq = rng.uniform(0, 1, (3, 2)).astype(np.float32)
    res['flow_x'] = seq
    for name, cls in (('foreach', foreach_class), ('while', while_class), ('cond', cond_class)):
        data = nd.array(seq)
        data.attach_grad()
        with autograd.record():
            out = cls(mx)()(data)
            loss = (out * out).sum()
        loss.backward()
        rows = seq.shape[0] if name != 'while' else 3      # MXNet leaves the unused steps unset
        res['flow_%s_out' % name] = out.asnumpy()[:rows]
        res['flow_%s_dx' % name] = data.grad.asnumpy()

    # an operator without inputs, eagerly and in a graph
    res['const_nd'] = nd.Custom(op_type='t_const', value=2.5).asnumpy()
    graph = mx.sym.Custom(op_type='t_const', value=1.5, name='c') * mx.sym.var('x')
    res['const_shapes'] = np.array(graph.infer_shape(x=(2, 3))[1][0])
    res['const_graph'] = graph.eval(x=nd.array(seq.T))[0].asnumpy()

    # the profiler's rows for custom operators
    mx.profiler.set_config(profile_all=True, aggregate_stats=True,
                           filename=os.path.join(tempfile.mkdtemp(), 'profile.json'))
    data = nd.array(good)
    data.attach_grad()
    mx.profiler.set_state('run')
    with autograd.record():
        a, b = nd.Custom(nd.Custom(data, op_type='t_fail_neg'), data, op_type='t_scale_add')
        loss = (a + b).sum()
    loss.backward()
    nd.waitall()
    mx.profiler.set_state('stop')
    table = json.loads(mx.profiler.dumps(format='json'))
    table = table['Time']           # MXNet's JSON: {'Time': {category: {name: ...}}, ...}
    res['profile_custom_rows'] = np.array(sorted(table['Custom Operator']))
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    _custom_ops.define(mx)
    rng = np.random.RandomState(7)
    np.savez(os.path.join(OUT, 'eager.npz'), **eager_cases(rng))
    np.savez(os.path.join(OUT, 'net.npz'), **net_case(rng))
    _custom_ops.define_more(mx)
    np.savez(os.path.join(OUT, 'more.npz'), **more_cases(rng))
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
