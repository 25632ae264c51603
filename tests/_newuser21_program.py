"""Calls run on minigluon by tests/test_newuser21_regressions.py and on MXNet 1.9.1 by
tools/gen_newuser21_fixtures.py (``mx`` is either package): a hybridized block or an imported
``SymbolBlock`` given a NumPy array, a list or a Python number where an NDArray belongs, the
mistake of a user fine-tuning an exported model with a NumPy batch. Each case records which of
Python's exception classes the error is an instance of, so that the test can check that a
legacy ``except`` clause written for MXNet still catches minigluon's error; a Parameter's
``grad_req`` set to something else than 'write', 'add' or 'null' is among them.

And ``HybridBlock.optimize_for(x, backend='MKLDNN')``, the way MXNet 1.8+ guides prepare a
network for CPU inference: the block is hybridized and its graph built, then called and
exported."""
import os

import numpy as np

CLASSES = ('AssertionError', 'ValueError', 'TypeError', 'RuntimeError')


def _classes(fn):
    """The names in :data:`CLASSES` that the error ``fn()`` raises is an instance of (``None``
    when it raises nothing)."""
    try:
        fn()
    except Exception as err:       # noqa: BLE001 -- the error is the result here
        import builtins
        return [name for name in CLASSES if isinstance(err, getattr(builtins, name))]
    return None


def cases(mx):
    """``{name: zero-argument call that fails}``."""
    nd, gluon, sym = mx.nd, mx.gluon, mx.sym

    class Two(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super(Two, self).__init__(**kwargs)
            with self.name_scope():
                self.dense = gluon.nn.Dense(2, in_units=2)

        def hybrid_forward(self, F, a, b):
            return self.dense(a) + b

    def two():
        net = Two(prefix='two_')
        net.initialize()
        net.hybridize()
        return net

    def doubler():
        return gluon.SymbolBlock(sym.var('data') * 2, sym.var('data'))

    def adder():
        return gluon.SymbolBlock(sym.var('a') + sym.var('b'), [sym.var('a'), sym.var('b')])

    def bad_grad_req():
        dense = gluon.nn.Dense(2, in_units=2)
        dense.weight.grad_req = 'sometimes'

    batch = np.ones((1, 2), dtype='float32')
    return {
        'parameter_grad_req': lambda: gluon.Parameter('w', grad_req='sometimes'),
        'parameter_grad_req_set': bad_grad_req,
        'paramdict_setattr_grad_req': lambda: gluon.nn.Dense(2, in_units=2).collect_params()
        .setattr('grad_req', 'sometimes'),
        'symbolblock_numpy_first': lambda: doubler()(batch),
        'symbolblock_list_first': lambda: doubler()([1.0, 2.0]),
        'symbolblock_numpy_second': lambda: adder()(nd.ones((1, 2)), batch),
        'hybridized_numpy_second': lambda: two()(nd.ones((1, 2)), batch),
        'hybridized_number_second': lambda: two()(nd.ones((1, 2)), 3.0),
    }


def optimize_for(mx, folder):
    """Outputs of a small convolutional network after ``optimize_for``, the error classes of a
    call without a backend, and the files ``export`` writes into ``folder`` right after it."""
    nd, nn = mx.nd, mx.gluon.nn
    net = nn.HybridSequential(prefix='opt_')
    with net.name_scope():
        net.add(nn.Conv2D(3, 3, in_channels=2, activation='relu'), nn.BatchNorm(in_channels=3),
                nn.Flatten(), nn.Dense(4, in_units=48))
    net.initialize()
    for i, (name, p) in enumerate(sorted(net.collect_params().items())):
        values = np.sin(np.arange(np.prod(p.shape)) * 0.7 + i).reshape(p.shape) * 0.5
        p.set_data(nd.array(np.abs(values) + 0.5 if name.endswith('running_var') else values))
    x = nd.array(np.cos(np.arange(2 * 2 * 6 * 6) * 0.3).reshape(2, 2, 6, 6))
    net.optimize_for(x, backend='MKLDNN')
    out = {'first': net(x).asnumpy().tolist(), 'second': net(x * 2)[:, :2].asnumpy().tolist()}
    net.export(os.path.join(folder, 'opt'))
    out['exported'] = sorted(os.listdir(folder))
    plain = nn.Dense(2, in_units=2)
    plain.initialize()
    out['no_backend'] = _classes(lambda: plain.optimize_for(nd.ones((1, 2))))
    deferred = nn.HybridSequential(prefix='deferred_')
    with deferred.name_scope():
        deferred.add(nn.Dense(2), nn.Dense(1))
    deferred.initialize(mx.init.One())
    deferred.optimize_for(nd.ones((3, 4)), backend='MKLDNN')
    out['deferred_shapes'] = {k: list(p.shape) for k, p in deferred.collect_params().items()}
    deferred.export(os.path.join(folder, 'deferred'))
    out['deferred_exported'] = sorted(n for n in os.listdir(folder) if n.startswith('deferred'))
    return out


def run(mx):
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        return {'errors': {name: _classes(fn) for name, fn in sorted(cases(mx).items())},
                'optimize_for': optimize_for(mx, folder)}
