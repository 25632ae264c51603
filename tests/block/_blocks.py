"""Small blocks for the block tests, built from registered operators (independent of minigluon.nn).

Class names and aliases mirror gluon.nn's (``Dense`` -> ``dense0_``, ``Activation('relu')`` ->
``relu0_``), so names, keys and summary rows can be compared with MXNet's golden files.
"""
from minigluon.block import Block, HybridBlock, HybridSequential


class Activation(HybridBlock):
    def __init__(self, activation, **kwargs):
        self._act_type = activation
        super().__init__(**kwargs)

    def _alias(self):
        return self._act_type

    def hybrid_forward(self, F, x):
        return F.Activation(x, act_type=self._act_type, name='fwd')


class Dense(HybridBlock):
    """``weight (units, in_units)`` (deferred when ``in_units=0``), ``bias (units,)`` init zeros."""

    def __init__(self, units, in_units=0, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
            self.bias = (self.params.get('bias', shape=(units,), init='zeros', allow_deferred_init=True)
                         if use_bias else None)
            self.act = Activation(activation, prefix=activation + '_') if activation else None

    def hybrid_forward(self, F, x, weight, bias=None):
        if bias is None:
            out = F.FullyConnected(x, weight, num_hidden=self._units, flatten=True, no_bias=True,
                                   name='fwd')
        else:
            out = F.FullyConnected(x, weight, bias, num_hidden=self._units, flatten=True, no_bias=False,
                                   name='fwd')
        return self.act(out) if self.act is not None else out


class Model(HybridBlock):
    """The model of tools/gen_block_fixtures.py: own param ``w``, a hidden param, fc1 and a body."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get('scale', shape=(1,))
            self.params.get('hidden', shape=(1,))
            self.fc1 = Dense(2, in_units=2)
            self.body = HybridSequential()
            with self.body.name_scope():
                self.body.add(Dense(2, in_units=2), Dense(2, in_units=2))

    def hybrid_forward(self, F, x, w):
        return F.broadcast_mul(self.body(self.fc1(x)), w)


class Scale(Block):
    """A plain (non-hybrid) Block multiplying by a parameter."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get('alpha', shape=(1,), init='ones')

    def forward(self, x):
        return x * self.alpha.data(x.context)
