"""SequenceMask, SequenceLast, SequenceReverse (minigluon/ops/sequence.py) against a NumPy reference;
their MXNet golden values are in the indexing fixtures (tests/ops/test_indexing.py)."""
import numpy as np
import pytest

from minigluon import nd
from minigluon.test_utils import assert_almost_equal, check_gradient


def _seq_ref(data, lens, op, value=0.0):
    out = data.copy()
    for n, length in enumerate(lens):
        if op == 'mask':
            out[length:, n] = value
        elif op == 'reverse':
            out[:length, n] = data[:length, n][::-1]
    if op == 'last':
        return np.stack([data[length - 1, n] for n, length in enumerate(lens)])
    return out


@pytest.mark.parametrize('op,name', [('mask', 'SequenceMask'), ('last', 'SequenceLast'),
                                     ('reverse', 'SequenceReverse')])
@pytest.mark.parametrize('axis', [0, 1])
def test_sequence_ops_forward_and_gradient(op, name, axis):
    data = np.random.rand(5, 3, 2)      # time-major reference
    lens = np.array([2, 5, 1])
    fn = getattr(nd, name)
    kw = {'use_sequence_length': True, 'axis': axis}
    if name == 'SequenceMask':
        kw['value'] = -2.0
    inp = data if axis == 0 else data.swapaxes(0, 1)
    out = fn(nd.array(inp, dtype='float64'), nd.array(lens), **kw).asnumpy()
    want = _seq_ref(data, lens, op, -2.0)
    if axis == 1 and op != 'last':
        want = want.swapaxes(0, 1)
    assert_almost_equal(out, want, rtol=0, atol=0)
    check_gradient(lambda d, s: fn(d, s, **kw), [inp, lens.astype('float64')], wrt=[0])
    # without lengths: whole sequences
    full = fn(nd.array(inp), axis=axis).asnumpy()
    assert_almost_equal(full, _seq_ref(data, [5, 5, 5], op).astype('f')
                        if axis == 0 or op == 'last' else
                        _seq_ref(data, [5, 5, 5], op).swapaxes(0, 1).astype('f'))


def test_sequence_ops_argument_checks():
    x = nd.ones((4, 3))
    with pytest.raises(TypeError, match='SequenceMask'):
        nd.SequenceMask(x, nd.ones((3,)))        # lengths given but use_sequence_length=False
    with pytest.raises(ValueError, match='sequence_length must have shape'):
        nd.SequenceLast(x, nd.ones((2,)), use_sequence_length=True)
    with pytest.raises(ValueError, match='axis'):
        nd.SequenceReverse(x, axis=2)
