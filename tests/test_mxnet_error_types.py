"""Legacy ``except mx.base.MXNetError`` keeps catching what MXNet 1.9.1 reports as MXNetError.

MXNet raises ``MXNetError`` (a ``RuntimeError``) for every failure inside an operator and for a
file it cannot read. minigluon raises the Python type that says what went wrong (``ValueError``,
``TypeError``, ``IndexError``, ``FileNotFoundError``); these are instances of both (measured on
MXNet 1.9.1: ``nd.dot`` of (2, 3) and (2, 3), ``nd.load`` of a missing file, a broadcast of (3,)
with (4,), an unknown keyword all raise ``MXNetError``).
"""
import errno

import numpy as np
import pytest

import minigluon as mx
from minigluon import gluon, nd
from minigluon.base import MXNetError


@pytest.mark.parametrize('call,kind', [
    (lambda: nd.dot(nd.ones((2, 3)), nd.ones((2, 3))), ValueError),
    (lambda: nd.ones(3) + nd.ones(4), ValueError),
    (lambda: nd.Reshape(nd.ones(3), shape=(2, 2)), ValueError),
    (lambda: nd.ones(3).reshape((2, 2)), ValueError),
    (lambda: nd.Reshape(nd.ones(3), foo=2), TypeError),
    (lambda: nd.Pooling(nd.ones((1, 1, 2, 2)), kernel=(3, 3), pool_type='max'), ValueError),
    (lambda: nd.take(nd.ones(3), nd.array([5]), mode='raise'), IndexError),
    (lambda: nd.one_hot(nd.array([1]), depth=-1), ValueError),
])
def test_operator_errors_are_mxnet_errors_and_keep_their_python_type(call, kind):
    with pytest.raises(MXNetError) as info:
        call()
    assert isinstance(info.value, kind) and isinstance(info.value, RuntimeError)
    assert str(info.value)                                   # the message is kept


def test_an_error_inside_a_hybridized_graph_names_the_node_and_is_an_mxnet_error():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3, in_units=4))
    net.initialize()
    net.hybridize()
    net(nd.ones((2, 4)))
    with pytest.raises(MXNetError) as info:
        net(nd.ones((2, 5)))
    assert isinstance(info.value, ValueError)
    assert 'dense0' in str(info.value) or 'fullyconnected' in str(info.value).lower()


def _missing(tmp_path):
    return str(tmp_path / 'nowhere' / 'missing')


@pytest.mark.parametrize('what', ['nd.load', 'sym.load', 'load_parameters', 'imports',
                                  'load_states'])
def test_a_missing_file_is_a_file_not_found_error_and_an_mxnet_error(tmp_path, what):
    path = _missing(tmp_path)
    net = gluon.nn.Dense(2, in_units=2)
    net.initialize()
    calls = {
        'nd.load': lambda: nd.load(path + '.params'),
        'sym.load': lambda: mx.sym.load(path + '-symbol.json'),
        'load_parameters': lambda: net.load_parameters(path + '.params'),
        'imports': lambda: gluon.SymbolBlock.imports(path + '-symbol.json', ['data']),
        'load_states': lambda: gluon.Trainer(net.collect_params(), 'sgd').load_states(path + '.states'),
    }
    before = net.weight.data().asnumpy()
    with pytest.raises(MXNetError) as info:
        calls[what]()
    err = info.value
    assert isinstance(err, FileNotFoundError) and err.errno == errno.ENOENT
    assert err.filename.startswith(path)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), before)


def test_a_directory_given_as_a_file(tmp_path):
    with pytest.raises(MXNetError) as info:
        nd.load(str(tmp_path))
    assert isinstance(info.value, OSError)


def test_format_errors_keep_their_class(tmp_path):
    bad = tmp_path / 'bad.params'
    bad.write_bytes(b'not a params file')
    with pytest.raises(mx.base.MXNetFormatError) as info:
        nd.load(str(bad))
    assert isinstance(info.value, ValueError) and isinstance(info.value, MXNetError)


@pytest.mark.parametrize('call,kind', [
    (lambda a: mx.sym.FullyConnected(a, num_hidden=3, foo=1), TypeError),
    (lambda a: mx.sym.Reshape(a, shape=(2, 2)).infer_shape(a=(3,)), None),
    (lambda a: mx.sym.dot(a, a).infer_shape(a=(2, 3)), None),
])
def test_symbol_errors_are_mxnet_errors(call, kind):
    """Measured on MXNet 1.9.1: an unknown keyword ("Cannot find argument 'foo'") and a failing
    infer_shape both raise MXNetError."""
    with pytest.raises(MXNetError) as info:
        call(mx.sym.var('a'))
    assert kind is None or isinstance(info.value, kind)


def test_as_mxnet_error_keeps_messages_and_file_names():
    from minigluon.base import as_mxnet_error
    plain = as_mxnet_error(FileNotFoundError('checkpoint foo is missing'))
    assert isinstance(plain, MXNetError) and str(plain) == 'checkpoint foo is missing'
    full = as_mxnet_error(FileNotFoundError(errno.ENOENT, 'No such file', 'a', None, 'b'))
    assert (full.errno, full.strerror, full.filename, full.filename2) == (errno.ENOENT, 'No such file', 'a', 'b')
    other = KeyError('x')
    assert as_mxnet_error(other) is other


def test_a_file_used_as_a_folder(tmp_path):
    f = tmp_path / 'file'
    f.write_bytes(b'')
    with pytest.raises(MXNetError) as info:
        nd.load(str(f / 'x.params'))
    assert isinstance(info.value, NotADirectoryError)


def test_transpose_refuses_an_axis_out_of_range():
    x = nd.ones((2, 3))
    for axes in [(0, 5), (2, 0), (0, 0), (1, -1)]:
        with pytest.raises(ValueError, match='permutation'):
            x.transpose(axes=axes)
    assert x.transpose(axes=(-1, 0)).shape == (3, 2)


@pytest.mark.parametrize('where', ['missing folder', 'directory'])
def test_a_file_that_cannot_be_written_is_an_mxnet_error(tmp_path, where):
    """MXNet 1.9.1 raises MXNetError from nd.save, save_parameters, Symbol.save, export and
    save_checkpoint into a missing folder or onto a directory (found by a breaker)."""
    target = str(tmp_path / 'nowhere' / 'f') if where == 'missing folder' else str(tmp_path)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(2, in_units=2))
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 2)))
    calls = [lambda: nd.save(target, [nd.ones(2)]), lambda: net.save_parameters(target),
             lambda: mx.sym.var('x').save(target)]
    if where == 'missing folder':     # (these add suffixes to the name: no clash with a folder)
        calls += [lambda: net.export(target),
                  lambda: mx.model.save_checkpoint(target, 0, mx.sym.var('x'), {}, {})]
    for call in calls:
        with pytest.raises(MXNetError) as info:
            call()
        assert isinstance(info.value, OSError)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith('.tmp')]


@pytest.mark.parametrize('call', [
    lambda: nd.zeros((-1, 2)), lambda: nd.full((-1,), 1), lambda: nd.empty((-1,)),
    lambda: nd.eye(-1), lambda: nd.linspace(0, 1, -1), lambda: nd.arange(0, 5, 0),
    lambda: nd.zeros((2.5,)), lambda: nd.full((2,), 'a'),
    lambda: nd.onehot_encode(nd.array([1]), nd.zeros((2, 3)))])
def test_creation_errors_are_mxnet_errors(call):
    """MXNet 1.9.1 raises MXNetError for each (found by a breaker); the Python type is kept."""
    with pytest.raises(MXNetError) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError))
