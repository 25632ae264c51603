"""Write golden `.params` files with MXNet 1.9.1 (run in the MXNet venv, never by the test suite).

    /opt/mxvenv/bin/python tools/gen_serialization_fixtures.py

Writes tests/fixtures/serialization/*.params and expected.json (what each file holds).
"""
import json
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'serialization')
os.makedirs(OUT, exist_ok=True)
expected = {}


def record(name, value, note):
    path = os.path.join(OUT, name)
    if isinstance(value, dict):
        expected[name] = {'note': note, 'kind': 'dict', 'items': {
            k: {'dtype': str(v.dtype.__name__ if hasattr(v.dtype, '__name__') else v.dtype),
                'shape': list(v.shape), 'values': v.asnumpy().astype('float64').ravel().tolist()}
            for k, v in value.items()}}
    else:
        expected[name] = {'note': note, 'kind': 'list', 'items': [
            {'dtype': np.dtype(v.dtype).name, 'shape': list(v.shape),
             'values': v.asnumpy().astype('float64').ravel().tolist()} for v in value]}
    return path


one = {'ab': mx.nd.array([1, 2, 3])}
mx.nd.save(record('one.params', one, 'spec 4.2 hexdump'), one)
mixed = [mx.nd.array([[1, 2], [3, 4]], dtype='float16'), mx.nd.array([1], dtype='int32')]
mx.nd.save(record('mixed_list.params', mixed, 'float16 and int32 list, no names'), mixed)
many = {'w': mx.nd.array(np.arange(12).reshape(3, 4) / 7.0, dtype='float64'),
        'b': mx.nd.array([-1, 0, 255], dtype='uint8'), 'i8': mx.nd.array([-5, 7], dtype='int8'),
        'i64': mx.nd.array([2 ** 40, -3], dtype='int64')}
mx.nd.save(record('dtypes.params', many, 'several dtypes'), many)
mx.nd.save(record('empty_dict.params', {}, 'empty dict'), {})
rsp = mx.nd.sparse.row_sparse_array((np.array([[1., 2.]]), np.array([1])), shape=(3, 2))
mx.nd.save(record('row_sparse.params', {'rsp': rsp.tostype('default')}, 'row_sparse (3,2), row 1'),
           {'rsp': rsp})
csr = mx.nd.sparse.csr_matrix((np.array([1., 2., 3.]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])),
                              shape=(3, 3))
mx.nd.save(record('csr.params', {'csr': csr.tostype('default')}, 'csr 3x3'), {'csr': csr})
mx.npx.set_np()
scalar = mx.np.array(3.0)
mx.npx.save(os.path.join(OUT, 'np_scalar.params'), {'s': scalar})
expected['np_scalar.params'] = {'note': 'V3 np-mode scalar', 'kind': 'dict',
                                'items': {'s': {'dtype': 'float32', 'shape': [], 'values': [3.0]}}}
with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    json.dump(expected, f, indent=1)
print('wrote', sorted(expected))
