"""Calls run on minigluon by tests/test_newuser21_regressions.py and on MXNet 1.9.1 by
tools/gen_newuser21_fixtures.py (``mx`` is either package): a hybridized block or an imported
``SymbolBlock`` given a NumPy array, a list or a Python number where an NDArray belongs, the
mistake of a user fine-tuning an exported model with a NumPy batch. Each case records which of
Python's exception classes the error is an instance of, so that the test can check that a
legacy ``except`` clause written for MXNet still catches minigluon's error."""
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

    batch = np.ones((1, 2), dtype='float32')
    return {
        'symbolblock_numpy_first': lambda: doubler()(batch),
        'symbolblock_list_first': lambda: doubler()([1.0, 2.0]),
        'symbolblock_numpy_second': lambda: adder()(nd.ones((1, 2)), batch),
        'hybridized_numpy_second': lambda: two()(nd.ones((1, 2)), batch),
        'hybridized_number_second': lambda: two()(nd.ones((1, 2)), 3.0),
    }


def run(mx):
    return {name: _classes(fn) for name, fn in sorted(cases(mx).items())}
