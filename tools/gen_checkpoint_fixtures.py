"""Write a checkpoint with MXNet 1.9.1's ``mx.model.save_checkpoint`` (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_checkpoint_fixtures.py

Writes tests/fixtures/checkpoint/:

* ``mlp-symbol.json`` and ``mlp-0003.params``: FullyConnected -> BatchNorm -> relu ->
  FullyConnected, weights and BatchNorm running statistics drawn from a seeded NumPy
  RandomState (so the aux states are not the trivial 0 and 1);
* ``expected.json``: the input ``x``, the output MXNet computes for it (inference mode) after the
  usual legacy loading pattern (``load_checkpoint``, ``SymbolBlock(sym, var('data'))``,
  ``_load_init`` of every arg/aux entry), and the parameter names, shapes and dtypes that
  ``load_checkpoint`` returns.

tests/test_model_checkpoint.py loads these with minigluon and also checks that minigluon's
``save_checkpoint`` of what it loaded writes the same bytes.
"""
import json
import os
import tempfile

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'checkpoint')


def build():
    data = mx.sym.var('data')
    h = mx.sym.FullyConnected(data, num_hidden=4, name='fc1')
    h = mx.sym.BatchNorm(h, fix_gamma=False, name='bn1')
    h = mx.sym.Activation(h, act_type='relu', name='relu1')
    return mx.sym.FullyConnected(h, num_hidden=3, name='fc2')


def main():
    rng = np.random.RandomState(7)
    sym = build()
    arg_shapes, _, aux_shapes = sym.infer_shape(data=(2, 5))
    arg_params = {n: mx.nd.array(rng.uniform(-1, 1, s).astype(np.float32))
                  for n, s in zip(sym.list_arguments(), arg_shapes) if n != 'data'}
    aux_params = {'bn1_moving_mean': mx.nd.array(rng.uniform(-0.5, 0.5, 4).astype(np.float32)),
                  'bn1_moving_var': mx.nd.array(rng.uniform(0.5, 2.0, 4).astype(np.float32))}
    assert sorted(aux_params) == sorted(sym.list_auxiliary_states())
    os.makedirs(OUT, exist_ok=True)
    prefix = os.path.join(OUT, 'mlp')
    mx.model.save_checkpoint(prefix, 3, sym, arg_params, aux_params)

    loaded, args, auxs = mx.model.load_checkpoint(prefix, 3)
    net = mx.gluon.SymbolBlock(loaded, mx.sym.var('data'))
    params = net.collect_params()
    for name, value in list(args.items()) + list(auxs.items()):
        params[name]._load_init(value, mx.cpu())
    x = rng.uniform(-1, 1, (2, 5)).astype(np.float32)
    out = net(mx.nd.array(x)).asnumpy()

    # the same checkpoint without a symbol: only the .params file is written
    with tempfile.TemporaryDirectory() as tmp:
        mx.model.save_checkpoint(os.path.join(tmp, 'p'), 12, None, args, auxs)
        params_only = sorted(os.listdir(tmp))

    expected = {
        'mxnet_version': mx.__version__, 'x': x.tolist(), 'out': out.tolist(),
        'arg_params': {k: [list(v.shape), np.dtype(v.dtype).name] for k, v in args.items()},
        'aux_params': {k: [list(v.shape), np.dtype(v.dtype).name] for k, v in auxs.items()},
        'params_keys': list(mx.nd.load(prefix + '-0003.params').keys()),
        'files_without_symbol': params_only,
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write('\n')
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    main()
