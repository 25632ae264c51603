"""``load_parameters``, ``load_params``, ``ParameterDict.load``/``load_dict`` and
``Trainer.load_states`` are all-or-nothing: whatever fails (a mismatch found by the checks, a
corrupt file, or a failure injected in the middle of the assignment), every parameter keeps its
value, shape, dtype, context and gradient buffer."""
import json

import numpy as np
import pytest

from minigluon import autograd, gluon, nd, serialization
from minigluon.base import MXNetError
from minigluon.parameter import Parameter


def _net(deferred=False):
    net = gluon.nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(gluon.nn.Dense(4, in_units=0 if deferred else 3))
        net.add(gluon.nn.BatchNorm(in_channels=0 if deferred else 4))
        net.add(gluon.nn.Dense(2, in_units=0 if deferred else 4))
    net.initialize()
    return net


def _state(net):
    out = {}
    for name, p in net.collect_params().items():
        if p._data is None:
            out[name] = (p.shape, p.dtype, None, None, None)
        else:
            grads = None if p._grad is None else [g.asnumpy().copy() for g in p._grad]
            out[name] = (p.shape, np.dtype(p.dtype), [d.asnumpy().copy() for d in p._data],
                         list(p.list_ctx()), grads)
    return out


def _assert_same(before, after):
    assert before.keys() == after.keys()
    for name in before:
        b, a = before[name], after[name]
        assert b[0] == a[0] and b[1] == a[1] and b[3] == a[3], name
        for x, y in zip(b[2] or [], a[2] or []):
            np.testing.assert_array_equal(x, y, err_msg=name)
        assert (b[2] is None) == (a[2] is None), name
        for x, y in zip(b[4] or [], a[4] or []):
            np.testing.assert_array_equal(x, y, err_msg=name)


def _file(tmp_path, net, change=None, key_style='structural'):
    """A file saved from a copy of ``net`` with other values, optionally altered by ``change``."""
    other = _net()
    for p in other.collect_params().values():
        p.set_data(nd.array(np.random.RandomState(1).randn(*p.shape)))
    path = str(tmp_path / 'other.params')
    if key_style == 'structural':
        other.save_parameters(path)
    else:
        other.save_params(path)
    if change is not None:
        data = nd.load(path)
        change(data)
        nd.save(path, data)
    return path


def _first(data, suffix):
    return next(k for k in data if k.endswith(suffix))


CHANGES = {
    'last-shape': lambda d: d.__setitem__(_first(d, '2.weight') if '2.weight' in ''.join(d)
                                          else _first(d, 'dense1_weight'), nd.ones((2, 5))),
    'dtype': lambda d: d.__setitem__(_first(d, 'bias'), nd.ones(d[_first(d, 'bias')].shape,
                                                                  dtype='float16')),
    'missing': lambda d: d.pop(_first(d, 'running_var')),
    'extra': lambda d: d.__setitem__('zzz_extra', nd.ones((1,))),
}
# what each change's error names (the parameter and what is wrong with it)
MESSAGES = {'last-shape': r'dense1_weight.*shape incompatible expected \(2, 4\) vs saved \(2, 5\)',
            'dtype': 'dense0_bias.*dtype incompatible expected float32',
            'missing': 'running_var.* is missing in file',
            'extra': "'zzz_extra' loaded from file .* is not present in"}


@pytest.mark.filterwarnings('ignore:save_params is deprecated')
@pytest.mark.parametrize('key_style', ['structural', 'prefixed'])
@pytest.mark.parametrize('change', sorted(CHANGES))
def test_mismatch_leaves_block_untouched(tmp_path, change, key_style):
    net = _net()
    path = _file(tmp_path, net, CHANGES[change], key_style)
    before = _state(net)
    with pytest.raises(ValueError, match=MESSAGES[change]):
        net.load_parameters(path)
    _assert_same(before, _state(net))


def test_corrupt_file_leaves_block_untouched(tmp_path):
    net = _net()
    path = _file(tmp_path, net)
    blob = open(path, 'rb').read()
    open(path, 'wb').write(blob[:len(blob) // 2])
    before = _state(net)
    with pytest.raises(MXNetError, match='needs more bytes'):
        net.load_parameters(path)
    _assert_same(before, _state(net))


def _fail_on_call(monkeypatch, n):
    """Make the n-th Parameter._load_init call raise after it has started changing the parameter."""
    real = Parameter._load_init
    calls = []

    def flaky(self, data, *args, **kwargs):
        calls.append(self.name)
        if len(calls) == n:
            self._shape = (99,)           # half-done work that must be rolled back
            self._dtype = np.float16
            raise RuntimeError('device lost (injected)')
        return real(self, data, *args, **kwargs)
    monkeypatch.setattr(Parameter, '_load_init', flaky)
    return calls


@pytest.mark.parametrize('n', [1, 3, 6])
@pytest.mark.parametrize('deferred', [False, True], ids=['initialized', 'deferred'])
def test_failure_injected_mid_load_rolls_back(tmp_path, monkeypatch, n, deferred):
    net = _net(deferred)
    path = _file(tmp_path, net)
    before = _state(net)
    calls = _fail_on_call(monkeypatch, n)
    with pytest.raises(RuntimeError, match='injected'):
        net.load_parameters(path)
    assert len(calls) == n
    _assert_same(before, _state(net))
    monkeypatch.undo()
    net.load_parameters(path)          # the block still works and loads for real afterwards
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(),
                                  nd.load(path)['0.weight'].asnumpy())


def test_failure_after_cast_to_saved_dtype_rolls_back(tmp_path, monkeypatch):
    net = _net()
    data = {k: v.astype('float64') for k, v in nd.load(_file(tmp_path, net)).items()}
    path = str(tmp_path / 'f64.params')
    nd.save(path, data)
    before = _state(net)
    _fail_on_call(monkeypatch, 4)
    with pytest.raises(RuntimeError, match='injected'):
        net.load_parameters(path, cast_dtype=True, dtype_source='saved')
    _assert_same(before, _state(net))
    monkeypatch.undo()
    net.load_parameters(path, cast_dtype=True, dtype_source='saved')
    assert net[0].weight.dtype == np.float64


def test_parameter_dict_load_and_load_dict_roll_back(tmp_path, monkeypatch):
    net = _net()
    params = net.collect_params()
    path = str(tmp_path / 'pd.params')
    other = _net()
    other.collect_params().save(path, strip_prefix='net_')
    for p in other.collect_params().values():
        p.set_data(p.data() + 1)
    before = _state(net)
    _fail_on_call(monkeypatch, 2)
    with pytest.raises(RuntimeError, match='injected'):
        params.load(path, restore_prefix='net_')
    _assert_same(before, _state(net))
    monkeypatch.undo()
    _fail_on_call(monkeypatch, 2)
    with pytest.raises(RuntimeError, match='injected'):
        params.load_dict({k: p.data() for k, p in other.collect_params().items()})
    _assert_same(before, _state(net))


def test_training_still_works_after_rolled_back_load(tmp_path, monkeypatch):
    net = _net()
    path = _file(tmp_path, net)
    _fail_on_call(monkeypatch, 2)
    with pytest.raises(RuntimeError, match='device lost'):
        net.load_parameters(path)
    monkeypatch.undo()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.array(np.random.RandomState(0).randn(4, 3))
    w0 = net[0].weight.data().asnumpy().copy()
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    trainer.step(2)
    assert np.abs(net[0].weight.data().asnumpy() - w0).max() > 0


def _trainer_with_state():
    net = _net()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
    with autograd.record():
        loss = net(nd.ones((2, 3))).sum()
    loss.backward()
    trainer.step(2)
    return trainer


def _meta_blob(meta):
    return nd.array(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), dtype='uint8')


@pytest.mark.parametrize('edit', [
    lambda d, m: d.pop(next(k for k in d if k.startswith('state:'))),
    lambda d, m: m.update(num_update='7'),
    lambda d, m: m.update(structure=[1]),
    lambda d, m: m['structure'].update({'0': 5}),
    lambda d, m: m['structure'].update({'x': None}),
    lambda d, m: m.pop('optimizer'),
    lambda d, m: d.__setitem__('__trainer_meta__', nd.array(np.frombuffer(b'\xff[', np.uint8),
                                                            dtype='uint8')),
    lambda d, m: d.__setitem__('__trainer_meta__', nd.ones((2, 2))),
], ids=['missing-array', 'num-update-type', 'structure-type', 'spec-type', 'index-type',
        'no-optimizer', 'bad-utf8', 'meta-dtype'])
def test_trainer_load_states_is_validated_and_atomic(tmp_path, edit):
    trainer = _trainer_with_state()
    path = str(tmp_path / 't.states')
    trainer.save_states(path)
    data = nd.load(path)
    meta = json.loads(bytes(data['__trainer_meta__'].asnumpy()).decode())
    edit(data, meta)
    if data['__trainer_meta__'].dtype == np.uint8 and data['__trainer_meta__'].asnumpy()[0] == ord('{'):
        data['__trainer_meta__'] = _meta_blob(meta)
    nd.save(path, data)
    target = _trainer_with_state()
    o = target._optimizer
    before = (o.num_update, dict(o._index_update_count),
              {k: [s.asnumpy().copy() for s in v] for k, v in target._updaters[0].states.items()})
    with pytest.raises(MXNetError, match='t.states'):
        target.load_states(path)
    after = (o.num_update, dict(o._index_update_count),
             {k: [s.asnumpy() for s in v] for k, v in target._updaters[0].states.items()})
    assert before[0] == after[0] and before[1] == after[1]
    for k in before[2]:
        for x, y in zip(before[2][k], after[2][k]):
            np.testing.assert_array_equal(x, y)


def test_serialization_roundtrip_of_states_still_works(tmp_path):
    trainer = _trainer_with_state()
    path = str(tmp_path / 't.states')
    trainer.save_states(path)
    other = _trainer_with_state()
    other.load_states(path)
    assert other._optimizer.num_update == trainer._optimizer.num_update
    assert serialization.load(path).keys() == nd.load(path).keys()


def _caches(block):
    return {k: block.__dict__.get(k) for k in ('_cached_graph', '_cached_op', '_cached_op_args',
                                               '_other_graphs')}


def test_failed_block_load_keeps_the_cached_graphs_of_the_block_and_its_parents(tmp_path):
    def build():
        outer, inner = gluon.nn.HybridSequential(), gluon.nn.HybridSequential()
        inner.add(gluon.nn.Dense(3, in_units=2), gluon.nn.Dense(3, in_units=3))
        outer.add(inner, gluon.nn.Dense(2, in_units=3))
        outer.initialize()
        outer.hybridize()
        outer(nd.ones((1, 2)))
        inner(nd.ones((1, 2)))                 # (a graph of the block itself too)
        return outer, inner
    _, saved = build()
    prefix = str(tmp_path / 'inner')
    saved.save(prefix)
    data = nd.load(prefix + '-model.params')
    data[sorted(data)[-1]] = nd.ones((9,))
    nd.save(prefix + '-model.params', data)
    outer, inner = build()
    before = {'outer': _caches(outer), 'inner': _caches(inner)}
    assert before['outer']['_cached_op'] is not None and before['inner']['_cached_op'] is not None
    y = outer(nd.ones((1, 2))).asnumpy()
    with pytest.raises(ValueError, match='inner-model.params'):
        inner.load(prefix)
    after = {'outer': _caches(outer), 'inner': _caches(inner)}
    for name in before:
        for key in before[name]:
            assert after[name][key] is before[name][key], (name, key)
    np.testing.assert_array_equal(outer(nd.ones((1, 2))).asnumpy(), y)
