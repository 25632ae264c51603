"""Record MXNet 1.9.1 golden values for the deformable convolutions of
minigluon/ops/deformable_conv.py and the blocks of minigluon/contrib/cnn.py.

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_deformable_fixtures.py

Writes tests/fixtures/deformable/cases.json and values.npz (the operator calls, through
``_golden.Recorder``: inputs, outputs, head gradients, every input's gradient and the exported JSON
node) and blocks.json / blocks.npz (the ``gluon.contrib.cnn`` blocks: parameter names, shapes and
default initial values, outputs and parameter gradients for given parameter values, the repr of
the block and, before the first call, of its parameters, and the nodes of the exported symbol).
"""
import json
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'deformable')
RNG = np.random.RandomState(0)
REC = Recorder(mx, RNG)


def U(lo, hi, *shape, dtype=np.float32):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def conv_case(n, c, hw, f, kernel, offset_range=2.0, modulated=False, dtype=np.float32,
              halves=False, **attrs):
    """One call with random data, offsets (uniform in +-offset_range; with ``halves``, multiples
    of 0.5: points on pixel centres and half-way, at the border and just outside), weights and,
    unless ``no_bias``, bias; every input differentiated, except for the modulated operator, whose
    backward MXNet 1.9.1 does not have on the CPU (it raises 'only implemented in GPU')."""
    stride, dilate = attrs.get('stride', (1, 1)), attrs.get('dilate', (1, 1))
    pad = attrs.get('pad', (0, 0))
    out = [(s + 2 * p - d * (k - 1) - 1) // st + 1
           for s, p, d, k, st in zip(hw, pad, dilate, kernel, stride)]
    dg, g = attrs.get('num_deformable_group', 1), attrs.get('num_group', 1)
    taps = kernel[0] * kernel[1]
    offset = U(-offset_range, offset_range, n, 2 * dg * taps, *out, dtype=dtype)
    if halves:
        offset = (np.round(offset * 2) / 2).astype(dtype)
    inputs = [U(-1, 1, n, c, *hw, dtype=dtype), offset]
    if modulated:
        inputs.append(U(0, 2, n, dg * taps, *out, dtype=dtype))
    inputs.append(U(-1, 1, f, c // g, *kernel, dtype=dtype))
    if not attrs.get('no_bias', False):
        inputs.append(U(-1, 1, f, dtype=dtype))
    path = 'contrib.%sDeformableConvolution' % ('Modulated' if modulated else '')
    REC.case(path, inputs, wrt=() if modulated else tuple(range(len(inputs))), kernel=kernel, num_filter=f, **attrs)


def op_cases():
    for modulated in (False, True):
        conv_case(2, 3, (5, 6), 4, (3, 3), modulated=modulated, pad=(1, 1))
        conv_case(1, 4, (7, 6), 4, (3, 3), modulated=modulated, stride=(2, 2), pad=(2, 2),
                  dilate=(2, 2), num_group=2, num_deformable_group=2, no_bias=True,
                  offset_range=3.0)
        conv_case(2, 2, (4, 5), 3, (1, 3), modulated=modulated, offset_range=4.0,
                  dtype=np.float64, stride=(1, 2), pad=(0, 1))
        conv_case(1, 2, (4, 4), 2, (2, 2), modulated=modulated, halves=True, pad=(1, 1),
                  num_deformable_group=2)
        conv_case(3, 4, (3, 4), 6, (3, 2), modulated=modulated, num_group=2, offset_range=1.0,
                  pad=(1, 0), dilate=(1, 2))
    conv_case(2, 2, (4, 4), 2, (3, 3), modulated=True, pad=(1, 1), im2col_step=1)


def block_record(name, kwargs, x_shape):
    """A ``gluon.contrib.cnn`` block: its parameters as made (default initialisers), then its
    output and (not for the modulated block, which has no CPU backward in MXNet 1.9.1) its input
    and parameter gradients with every parameter set to random values, its repr and the nodes of
    its exported symbol."""
    cls = getattr(mx.gluon.contrib.cnn, name)
    mx.random.seed(0)
    block = cls(**kwargs)
    params_repr = repr(block.collect_params())         # before the shapes are inferred
    block.initialize()
    x = mx.nd.array(U(-1, 1, *x_shape))
    block(x)                                           # finishes deferred initialisation
    params = block.collect_params()
    entry = {'name': name, 'kwargs': kwargs, 'x_shape': list(x_shape), 'repr': repr(block),
             'params_repr': params_repr,
             'params': {k: list(p.shape) for k, p in params.items()},
             'default_init': {k: ('zeros' if not p.data().asnumpy().any() else 'nonzero')
                              for k, p in params.items()}}
    values = {'x': x.asnumpy()}
    for k, p in params.items():
        v = U(-0.6, 0.6, *p.shape)
        p.set_data(mx.nd.array(v))
        values['param:' + k] = v
    x.attach_grad()
    with mx.autograd.record():
        y = block(x)
    values['out'] = y.asnumpy()
    if not name.startswith('Modulated'):
        head = mx.nd.array(U(-1, 1, *y.shape))
        y.backward(head)
        values['head'], values['grad:x'] = head.asnumpy(), x.grad.asnumpy()
        for k, p in params.items():
            values['grad:' + k] = p.grad().asnumpy()
    block.hybridize()
    block(x)
    prefix = os.path.join('/tmp', 'deformable_block')
    block.export(prefix)
    with open(prefix + '-symbol.json') as f:
        graph = json.load(f)
    entry['nodes'] = [{'op': nd['op'], 'name': nd['name'], 'attrs': nd.get('attrs', {})}
                      for nd in graph['nodes']]
    return entry, values


def block_cases():
    specs = [('DeformableConvolution', {'channels': 4, 'kernel_size': 3, 'padding': 1}, (2, 3, 5, 5)),
             ('DeformableConvolution', {'channels': 4, 'kernel_size': (3, 3), 'strides': 2,
                                        'dilation': 2, 'padding': 2, 'groups': 2,
                                        'num_deformable_group': 2, 'use_bias': False,
                                        'offset_use_bias': False, 'in_channels': 4,
                                        'activation': 'relu'}, (1, 4, 7, 6)),
             ('ModulatedDeformableConvolution', {'channels': 3, 'kernel_size': 3, 'padding': 1},
              (2, 2, 5, 4)),
             ('ModulatedDeformableConvolution', {'channels': 4, 'kernel_size': (1, 3),
                                                 'padding': (0, 1), 'groups': 2,
                                                 'num_deformable_group': 2, 'use_bias': False,
                                                 'in_channels': 2, 'activation': 'tanh'},
              (1, 2, 4, 5))]
    entries, values = [], {}
    for i, (name, kwargs, shape) in enumerate(specs):
        with mx.name.NameManager():
            entry, vals = block_record(name, kwargs, shape)
        entry['key'] = 'b%d' % i
        entries.append(entry)
        values.update({'b%d|%s' % (i, k): v for k, v in vals.items()})
    np.savez_compressed(os.path.join(OUT, 'blocks.npz'), **values)
    with open(os.path.join(OUT, 'blocks.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'blocks': entries}, f, indent=1,
                  sort_keys=True)
        f.write('\n')


def main():
    op_cases()
    REC.save(OUT)
    block_cases()


if __name__ == '__main__':
    main()
