"""Record MXNet 1.9.1 golden values for channel-last pooling (``Pooling`` with ``layout`` NWC,
NHWC or NDHWC, and the Gluon pooling layers built with those layouts).

Run in the MXNet venv (never imported by minigluon or its tests):

    /opt/mxvenv/bin/python tools/gen_pool_nhwc_fixtures.py

Writes tests/fixtures/pool_nhwc/:

* cases.json / values.npz: ``nd.Pooling`` calls through ``tools/_golden.py``'s recorder (outputs,
  input gradients for a random head gradient, the node MXNet exports for the same call);
* layers.json / layers.npz: Gluon layers (``MaxPool2D(layout='NHWC')``...), each run eagerly and
  hybridized on the same input: ``L<i>_in``, ``L<i>_head``, ``L<i>_{eager,hybrid}_{out,grad}``.

Everything is recorded under ``autograd.record()`` in training mode: MXNet's oneDNN build can
send max-pooling gradients to the wrong elements when recorded with ``train_mode=False``.
Windows lying wholly in the padding are avoided (MXNet gives NaN or the lowest float there:
minigluon's documented differences, tested elsewhere).
"""
import json
import os

import mxnet as mx
import numpy as np

from _golden import Recorder

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'pool_nhwc')
RNG = np.random.RandomState(0)


def U(*shape, dtype=np.float32):
    return RNG.uniform(-1, 1, size=shape).astype(dtype)


REC = Recorder(mx, RNG)
case = REC.case


def pooling_cases():
    f64 = np.float64
    for pool_type in ('max', 'avg', 'sum'):
        case('Pooling', [U(2, 9, 3)], kernel=(3,), stride=(2,), pool_type=pool_type, layout='NWC')
        case('Pooling', [U(2, 6, 7, 3)], kernel=(2, 3), stride=(2, 1), pad=(1, 1),
             pool_type=pool_type, layout='NHWC')
        case('Pooling', [U(1, 4, 5, 6, 2, dtype=f64)], kernel=(2, 2, 3), stride=(1, 2, 2),
             pad=(1, 0, 1), pool_type=pool_type, layout='NDHWC')
        # ceil mode ('full'), the last windows running past the padding
        case('Pooling', [U(2, 7, 8, 3)], kernel=(3, 3), stride=(2, 2), pad=(1, 0),
             pooling_convention='full', pool_type=pool_type, layout='NHWC')
        case('Pooling', [U(2, 8, 4, dtype=f64)], kernel=(3,), stride=(2,), pad=(1,),
             pooling_convention='full', pool_type=pool_type, layout='NWC')
        # global pooling in each rank
        case('Pooling', [U(2, 5, 3)], kernel=(1,), global_pool=True, pool_type=pool_type,
             layout='NWC')
        case('Pooling', [U(2, 4, 5, 3, dtype=f64)], kernel=(1, 1), global_pool=True,
             pool_type=pool_type, layout='NHWC')
        case('Pooling', [U(1, 3, 4, 2, 3)], kernel=(1, 1, 1), global_pool=True,
             pool_type=pool_type, layout='NDHWC')
    # average pooling without the padding in the divisor
    case('Pooling', [U(2, 6, 7, 3)], kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg',
         count_include_pad=False, layout='NHWC')
    case('Pooling', [U(1, 4, 5, 6, 2)], kernel=(2, 3, 2), stride=(2, 2, 2), pad=(1, 1, 1),
         pool_type='avg', count_include_pad=False, layout='NDHWC')
    case('Pooling', [U(2, 9, 2, dtype=f64)], kernel=(3,), stride=(2,), pad=(1,), pool_type='avg',
         count_include_pad=False, pooling_convention='full', layout='NWC')
    # Lp pooling, p = 1, 2, 3
    for p in (1, 2, 3):
        case('Pooling', [U(2, 6, 5, 3)], kernel=(2, 2), stride=(2, 1), pool_type='lp', p_value=p,
             layout='NHWC')
    case('Pooling', [U(2, 9, 3, dtype=f64)], kernel=(3,), stride=(2,), pad=(1,), pool_type='lp',
         p_value=2, layout='NWC')
    case('Pooling', [U(1, 4, 4, 5, 2)], kernel=(2, 2, 2), pool_type='lp', p_value=3,
         layout='NDHWC')


def layer_cases():
    """Gluon layers, each eager then hybridized on the same input and head gradient."""
    nn = mx.gluon.nn
    specs = [
        ('MaxPool1D', {'layout': 'NWC'}, (2, 9, 3), np.float32),
        ('MaxPool1D', {'pool_size': 3, 'strides': 2, 'padding': 1, 'ceil_mode': True,
                       'layout': 'NWC'}, (2, 10, 3), np.float64),
        ('MaxPool2D', {'layout': 'NHWC'}, (2, 6, 8, 3), np.float32),
        ('MaxPool2D', {'pool_size': (3, 2), 'strides': (2, 1), 'padding': (1, 1),
                       'layout': 'NHWC'}, (2, 7, 6, 4), np.float64),
        ('MaxPool2D', {'pool_size': 3, 'strides': 2, 'ceil_mode': True, 'layout': 'NHWC'},
         (2, 8, 8, 3), np.float32),
        ('MaxPool3D', {'layout': 'NDHWC'}, (1, 4, 6, 4, 2), np.float32),
        ('AvgPool1D', {'pool_size': 3, 'strides': 2, 'padding': 1, 'layout': 'NWC'},
         (2, 9, 3), np.float64),
        ('AvgPool2D', {'pool_size': 3, 'strides': 2, 'padding': 1, 'count_include_pad': False,
                       'layout': 'NHWC'}, (2, 7, 6, 3), np.float32),
        ('AvgPool2D', {'pool_size': 2, 'ceil_mode': True, 'layout': 'NHWC'},
         (2, 5, 7, 3), np.float32),
        ('AvgPool3D', {'pool_size': 2, 'padding': 1, 'layout': 'NDHWC'},
         (1, 4, 5, 4, 2), np.float64),
        ('GlobalMaxPool1D', {'layout': 'NWC'}, (2, 7, 3), np.float32),
        ('GlobalMaxPool2D', {'layout': 'NHWC'}, (2, 5, 6, 3), np.float64),
        ('GlobalMaxPool3D', {'layout': 'NDHWC'}, (1, 3, 4, 5, 2), np.float32),
        ('GlobalAvgPool1D', {'layout': 'NWC'}, (2, 7, 3), np.float64),
        ('GlobalAvgPool2D', {'layout': 'NHWC'}, (2, 5, 6, 3), np.float32),
        ('GlobalAvgPool3D', {'layout': 'NDHWC'}, (1, 3, 4, 5, 2), np.float32),
    ]
    entries, values = [], {}
    for i, (cls, kwargs, shape, dtype) in enumerate(specs):
        key = 'L%d' % i
        x = U(*shape, dtype=dtype)
        values[key + '_in'] = x
        head = None
        for mode in ('eager', 'hybrid'):
            block = getattr(nn, cls)(**kwargs)
            if mode == 'hybrid':
                block.hybridize()
            data = mx.nd.array(x, dtype=dtype)
            data.attach_grad()
            with mx.autograd.record(train_mode=True):
                y = block(data)
            if head is None:
                head = RNG.standard_normal(y.shape).astype(dtype)
                values[key + '_head'] = head
            y.backward(mx.nd.array(head, dtype=dtype))
            values['%s_%s_out' % (key, mode)] = y.asnumpy()
            values['%s_%s_grad' % (key, mode)] = data.grad.asnumpy()
        entries.append({'key': key, 'cls': cls, 'kwargs': kwargs})
    np.savez_compressed(os.path.join(OUT, 'layers.npz'), **values)
    with open(os.path.join(OUT, 'layers.json'), 'w') as f:
        json.dump({'mxnet_version': mx.__version__, 'layers': entries}, f, indent=1,
                  sort_keys=True)
        f.write('\n')


def main():
    pooling_cases()
    REC.save(OUT)
    layer_cases()
    print('wrote %d cases and the layers to %s' % (len(REC.cases), os.path.abspath(OUT)))


if __name__ == '__main__':
    main()
