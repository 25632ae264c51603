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


@pytest.mark.parametrize('call', [
    lambda fd: nd.load(fd),
    lambda fd: nd.save(fd, {'a': nd.ones(1)}),
    lambda fd: gluon.nn.Dense(2, in_units=1).load_parameters(fd),
], ids=['nd.load', 'nd.save', 'load_parameters'])
def test_an_int_file_name_is_refused_not_used_as_a_descriptor(call):
    # open(3) reads file descriptor 3 and closes it: nd.load(0) read stdin, and any load closed a
    # descriptor the program still used. MXNet 1.9.1 raises TypeError for non-str names too.
    import os
    import tempfile
    with tempfile.TemporaryFile() as f:
        f.write(b'still mine')
        f.flush()
        os.lseek(f.fileno(), 0, os.SEEK_SET)
        with pytest.raises(TypeError, match='fname must be a str or path'):
            call(f.fileno())
        assert os.lseek(f.fileno(), 0, os.SEEK_CUR) == 0          # not read
        assert os.read(f.fileno(), 10) == b'still mine'           # not closed


def test_save_into_a_missing_folder_names_the_target(tmp_path):
    target = str(tmp_path / 'missing' / 'net.params')
    net = gluon.nn.Dense(2, in_units=1)
    net.initialize()
    with pytest.raises(FileNotFoundError) as info:
        net.save_parameters(target)
    assert info.value.filename == target and '.tmp' not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize('ctx', ['cpu', 3], ids=['str', 'int'])
def test_a_bad_ctx_is_named_as_given(tmp_path, ctx):
    # ctx='cpu' was reported as "got ['c', 'p', 'u']"; ctx=3 raised "'int' object is not iterable".
    net = gluon.nn.Dense(2, in_units=1)
    net.initialize()
    path = str(tmp_path / 'n.params')
    net.save_parameters(path)
    with pytest.raises(ValueError, match=r"ctx must be a Context or a non-empty list of Contexts, "
                                         r"got %s$" % repr(ctx)):
        gluon.nn.Dense(2, in_units=1).load_parameters(path, ctx=ctx)


@pytest.mark.parametrize('value', [5.0, [[1.0]]], ids=['float', 'list'])
def test_set_data_with_a_non_array_names_the_parameter(value):
    # AttributeError: 'float' object has no attribute 'shape'
    p = gluon.Parameter('w', shape=(1, 1))
    p.initialize()
    with pytest.raises(TypeError, match="Parameter 'w': set_data expects an NDArray or NumPy array, "
                                        "got %s" % type(value).__name__):
        p.set_data(value)
    assert p.data().shape == (1, 1)
