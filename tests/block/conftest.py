"""Small test blocks built from registered operators (independent of minigluon.nn)."""
import pytest

from minigluon.block import HybridBlock
from minigluon.name import NameManager


class TDense(HybridBlock):
    """A Dense-like block: ``weight (units, in_units)``, ``bias (units,)``, optional deferred in_units."""

    def __init__(self, units, in_units=0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get('bias', shape=(units,), init='zeros',
                                        allow_deferred_init=True) if use_bias else None

    def hybrid_forward(self, F, x, weight, bias=None):
        if bias is None:
            return F.FullyConnected(x, weight, num_hidden=self._units, no_bias=True)
        return F.FullyConnected(x, weight, bias, num_hidden=self._units)


@pytest.fixture
def fresh_names():
    """Fresh automatic-name counters, so prefixes start at 0 inside the test."""
    with NameManager():
        yield
