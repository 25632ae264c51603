"""Record MXNet 1.9.1's answers for training-utility edge cases (run with /opt/mxvenv/bin/python).

Writes tests/fixtures/utilities_edge/utilities_edge.json, read by tests/test_utilities_edge.py:
gluon.utils.split_data with even_split=False, mx.io.NDArrayIter naming/ordering/dtypes, and the
'nll_loss' metric.
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'utilities_edge')


def split_cases():
    cases = []
    for shape, num_slice, axis in [((7, 2), 3, 0), ((7, 2), 4, 0), ((6, 4), 4, 0), ((7, 2), 8, 0),
                                   ((2, 6), 4, 1), ((2, 1), 3, 0)]:
        x = mx.nd.arange(int(np.prod(shape))).reshape(shape)
        parts = mx.gluon.utils.split_data(x, num_slice, batch_axis=axis, even_split=False)
        cases.append({'shape': shape, 'num_slice': num_slice, 'axis': axis,
                      'parts': [p.asnumpy().tolist() for p in parts],
                      'part_shapes': [list(p.shape) for p in parts]})
    return cases


def io_cases():
    x = np.arange(10).reshape(5, 2)
    y = np.arange(5)
    out = {}
    it = mx.io.NDArrayIter({'b': x.astype('float32'), 'a': x.astype('float32') * 10}, {'y': y}, batch_size=3)
    out['dict_names'] = [d.name for d in it.provide_data]
    out['dict_first_batch'] = [d.asnumpy().tolist() for d in next(iter(it)).data]
    it = mx.io.NDArrayIter([x, x * 2], [y, y], batch_size=3)
    out['list_data_names'] = [d.name for d in it.provide_data]
    out['list_label_names'] = [d.name for d in it.provide_label]
    it = mx.io.NDArrayIter(x.astype('int32'), y.astype('float64'), batch_size=2)
    b = next(iter(it))
    out['numpy_dtypes'] = [str(b.data[0].dtype.__name__), str(b.label[0].dtype.__name__)]
    it = mx.io.NDArrayIter(mx.nd.array(x, dtype='int32'), batch_size=2)
    out['ndarray_dtype'] = str(next(iter(it)).data[0].dtype.__name__)
    return out


def nll_case():
    labels = [mx.nd.array([0, 1, 1]), mx.nd.array([2, 0])]
    preds = [mx.nd.array([[0.3, 0.7, 0.0], [0.0, 1.0, 0.0], [0.4, 0.5, 0.1]]),
             mx.nd.array([[0.2, 0.2, 0.6], [0.9, 0.05, 0.05]])]
    m = mx.metric.create('nll_loss')
    m.update(labels[:1], preds[:1])
    first = m.get()
    m.update(labels[1:], preds[1:])
    return {'labels': [l.asnumpy().tolist() for l in labels], 'preds': [p.asnumpy().tolist() for p in preds],
            'type': type(m).__name__, 'after_first': list(first), 'after_both': list(m.get())}


def main():
    os.makedirs(OUT, exist_ok=True)
    data = {'mxnet_version': mx.__version__, 'split_data': split_cases(), 'ndarrayiter': io_cases(),
            'nll_loss': nll_case()}
    with open(os.path.join(OUT, 'utilities_edge.json'), 'w') as f:
        json.dump(data, f, indent=1)


if __name__ == '__main__':
    main()
