"""Record MXNet 1.9.1's NDArray memory-sharing and dtype answers (run with /opt/mxvenv/bin/python).

Writes ``tests/fixtures/ndarray_semantics/semantics.npz`` (no pickled objects) for
``tests/test_ndarray_semantics.py``:

* ``view_<name>``: ``x = zeros((4, 3, 2)); y = x[key]; y[:] = 1`` -- what ``x`` holds after the
  write (a view writes into ``x``, a copy does not), and ``viewshape_<name>`` the shape of ``y``;
  the keys are ``VIEW_KEYS`` (the test has the same table);
* ``opwrite_<name>``: the same write into the result of an operator (``nd.flatten(x)``...), and
  into the result of ``x.reshape`` (a view in MXNet), listed in ``OP_WRITES``;
* ``hybrid_<name>``: the same through a hybridized block returning ``F.reshape(x)`` / ``F.split``;
* ``bool_<name>``: a bool array with a Python number (``+ 1.5``, ``* 2``, ``> 0``...): values and
  dtype (MXNet computes these in int64);
* ``argred_<name>``: ``argmax`` / ``argmin`` / ``pick`` of a 1-d array along axis 0 (shape (1,));
* ``zerod_getitem``: the shape of ``z[()]`` for a 0-d ``z`` (empty: 0-d).
"""
import os

import mxnet as mx
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'ndarray_semantics')

# name -> key, for x of shape (4, 3, 2)
VIEW_KEYS = {
    'int': 1, 'negint': -1, 'slice': slice(1, 3), 'full': slice(None), 'int_int': (1, 2),
    'int_int_int': (1, 2, 1), 'int_slice': (1, slice(1, 3)), 'slice1_slice': (slice(1, 2), slice(1, 3)),
    'ellipsis': Ellipsis, 'ellipsis_int': (1, Ellipsis), 'none': None, 'int_none': (1, None),
    'step2': slice(None, None, 2), 'col_slice': (slice(None), slice(1, 3)),
    'neg_step': slice(None, None, -1), 'int_list': [1, 2], 'last_axis_int': (Ellipsis, 1),
}

# name -> function of x (shape (4, 3, 2)) giving the array that is written into
OP_WRITES = {
    'reshape_method': lambda nd, x: x.reshape((6, 4)),
    'reshape_method_codes': lambda nd, x: x.reshape((0, -1)),
    'reshape_of_slice': lambda nd, x: x[1:3].reshape((-1,)),
    'reshape_fn': lambda nd, x: nd.reshape(x, shape=(6, 4)),
    'flatten': lambda nd, x: nd.flatten(x),
    'flatten_method': lambda nd, x: x.flatten(),
    'expand_dims': lambda nd, x: nd.expand_dims(x, axis=0),
    'reshape_like': lambda nd, x: nd.reshape_like(x, nd.zeros((24,))),
    'squeeze': lambda nd, x: nd.squeeze(x[:, :, :1]),
    'split0': lambda nd, x: nd.split(x, 2, axis=0)[0],
    'slice_axis_full': lambda nd, x: nd.slice_axis(x, axis=0, begin=0, end=None),
    'slice_full': lambda nd, x: nd.slice(x, begin=(0,), end=(4,)),
    'transpose_identity': lambda nd, x: nd.transpose(x, axes=(0, 1, 2)),
    'swapaxes_same': lambda nd, x: nd.swapaxes(x, 0, 0),
    'flip': lambda nd, x: nd.flip(x, axis=1),
    'broadcast_to_same': lambda nd, x: nd.broadcast_to(x, shape=(4, 3, 2)),
    'dropout_predict': lambda nd, x: nd.Dropout(x, p=0.5),
    'make_loss': lambda nd, x: nd.make_loss(x),
    'identity': lambda nd, x: nd.identity(x),
}

BOOL_CASES = {
    'add_float': lambda b: b + 1.5, 'mul': lambda b: b * 2, 'sub': lambda b: b - 1,
    'rsub': lambda b: 1 - b, 'div': lambda b: b / 2, 'gt': lambda b: b > 0,
    'eq': lambda b: b == 1, 'pow': lambda b: b ** 2, 'mod': lambda b: b % 2,
    'maximum': lambda b: mx.nd.maximum(b, 0),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    nd = mx.nd
    res = {'view_names': np.array(sorted(VIEW_KEYS)), 'op_names': np.array(sorted(OP_WRITES)),
           'bool_names': np.array(sorted(BOOL_CASES))}
    for name, key in VIEW_KEYS.items():
        x = nd.zeros((4, 3, 2))
        y = x[key]
        y[:] = 1
        res['view_' + name], res['viewshape_' + name] = x.asnumpy(), np.array(y.shape)
    for name, fn in OP_WRITES.items():
        x = nd.zeros((4, 3, 2))
        y = fn(nd, x)
        y[:] = 1
        res['opwrite_' + name] = x.asnumpy()

    class Reshape(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.reshape(x, shape=(-1,))

    class Split(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.split(x, 2, axis=0)[0]

    for name, block in [('reshape', Reshape()), ('split', Split())]:
        block.hybridize()
        x = nd.zeros((4, 3, 2))
        y = block(x)
        y[:] = 1
        res['hybrid_' + name] = x.asnumpy()

    for name, fn in BOOL_CASES.items():
        res['bool_' + name] = fn(nd.array([1, 0, 1], dtype='bool')).asnumpy()

    v = nd.array([1, 3, 2])
    res['argred_argmax'] = nd.argmax(v, axis=0).asnumpy()
    res['argred_argmin'] = nd.argmin(v, axis=-1).asnumpy()
    res['argred_pick'] = nd.pick(v, nd.array([1]), axis=0).asnumpy()
    z = nd.array([5.0]).reshape(())
    res['zerod_getitem'] = np.array(z[()].shape, dtype=np.int64)   # () of a 0-d array: 0-d
    np.savez(os.path.join(OUT, 'semantics.npz'), **res)


if __name__ == '__main__':
    main()
