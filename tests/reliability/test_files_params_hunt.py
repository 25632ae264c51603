"""Regression tests from the third hunt for bugs in the file and parameter layer (trainer states,
``.params`` loading, parameters): each test failed before its fix."""
import numpy as np
import pytest

from minigluon import autograd, gluon, nd


def _trained(units, in_units, optimizer='adam', params=None):
    net = gluon.nn.Dense(units, in_units=in_units)
    net.initialize()
    trainer = gluon.Trainer(params or net.collect_params(), optimizer, {'learning_rate': 0.1})
    with autograd.record():
        loss = net(nd.ones((2, in_units))).sum()
    loss.backward()
    trainer.step(2)
    return net, trainer


def _states(trainer):
    return {k: [s.asnumpy().copy() for s in (v if isinstance(v, tuple) else (v,))]
            for k, v in trainer._updaters[0].states.items()}


@pytest.mark.parametrize('units, in_units', [(5, 2), (1, 4)], ids=['broadcast-error', 'silent-broadcast'])
def test_load_states_of_other_shapes_is_refused(tmp_path, units, in_units):
    # The states of Dense(3, in_units=4) loaded into another Dense were accepted; the next step
    # then failed inside NumPy, or (weight (1, 4) vs saved (3, 4)) broadcast silently.
    _, source = _trained(3, 4)
    path = str(tmp_path / 'a.states')
    source.save_states(path)
    _, target = _trained(units, in_units)
    before = _states(target)
    count = target._optimizer.num_update
    with pytest.raises(ValueError, match=r"a\.states.*shape \(3.*parameter index"):
        target.load_states(path)
    after = _states(target)
    assert target._optimizer.num_update == count and before.keys() == after.keys()
    for k in before:
        for x, y in zip(before[k], after[k]):
            np.testing.assert_array_equal(x, y)


def test_load_states_for_more_parameters_is_refused(tmp_path):
    path = str(tmp_path / 'b.states')
    net, trainer = _trained(3, 4)
    trainer.save_states(path)                 # states for index 0 (bias) and 1 (weight)
    only_bias = gluon.Trainer([net.bias], 'adam', {'learning_rate': 0.1})
    with pytest.raises(ValueError, match=r'index 1.*1 parameters'):
        only_bias.load_states(path)


def test_load_states_still_accepts_matching_states(tmp_path):
    _, source = _trained(3, 4)
    path = str(tmp_path / 'c.states')
    source.save_states(path)
    _, target = _trained(3, 4)
    target.load_states(path)
    for k, v in _states(source).items():
        for x, y in zip(v, _states(target)[k]):
            np.testing.assert_array_equal(x, y)
