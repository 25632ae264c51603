"""The exported ``-symbol.json`` of blocks whose parameters have deferred shapes equals MXNet
1.9.1's, whole (tools/gen_deferred_export_fixtures.py, tests/fixtures/deferred_export): called
hybridized at once, or eagerly first and then hybridized. The parameters' ``__shape__`` is the
shape they had when the first call made their variables, before inference (``'(20, 0)'`` for an
RNN layer's input weight, also after an eager first call), and a shape the block gave as a list
stays one (``'[4, 0, 3, 3]'``, the deformable convolutions' weight)."""
import json
import os

import pytest

import minigluon as mx

FIX = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'deferred_export')
with open(os.path.join(FIX, 'exports.json')) as _f:
    BLOCKS = json.load(_f)['blocks']


def _export_json(source, shapes, eager_first, folder):
    """What the generator's ``export_json`` does, here (kept in step with it)."""
    with mx.name.NameManager():
        block = eval(source, {'nn': mx.gluon.nn, 'rnn': mx.gluon.rnn, 'contrib': mx.gluon.contrib})
    block.initialize()
    args = [mx.nd.ones(s) for s in shapes]
    if isinstance(block, mx.gluon.rnn.HybridRecurrentCell):
        args.append(block.begin_state(shapes[0][0]))
    if eager_first:
        block(*args)
    block.hybridize()
    block(*args)
    prefix = os.path.join(folder, 'net')
    block.export(prefix)
    with open(prefix + '-symbol.json') as f:
        return json.load(f)


@pytest.mark.parametrize('mode', ['hybridized', 'eager_first'])
@pytest.mark.parametrize('name', sorted(BLOCKS))
def test_exported_json_equals_mxnet(name, mode, tmp_path):
    entry = BLOCKS[name]
    got = _export_json(entry['source'], entry['shapes'], mode == 'eager_first', str(tmp_path))
    want = entry['json'][mode]
    shapes = lambda g: {n['name']: n['attrs'].get('__shape__') for n in g['nodes']  # noqa: E731
                        if n['op'] == 'null' and 'attrs' in n}
    assert shapes(got) == shapes(want)          # the likeliest difference, shown plainly first
    assert got == want


def test_the_fixture_holds_the_cases_of_the_docstring():
    """The cases the fixes were for: an unknown input size kept as 0 after an eager first call
    (it was the inferred size, '(20, 6)', for the RNN layers and cells), and the list."""
    def shape(name, mode, var):
        node = next(n for n in BLOCKS[name]['json'][mode]['nodes'] if n['name'] == var)
        return node['attrs']['__shape__']
    assert shape('lstm', 'eager_first', 'lstm0_l0_i2h_weight') == '(20, 0)'
    assert shape('lstm_cell', 'eager_first', 'lstm0_i2h_weight') == '(20, 0)'
    assert shape('deformable', 'eager_first', 'deformable_conv0_deformable_conv_weight') == '[4, 0, 3, 3]'


def test_export_returns_the_two_file_names(tmp_path):
    """MXNet 1.9.1's export returns None, MXNet 2's the pair written; minigluon returns the pair
    (docs/PORTING.md)."""
    net = mx.gluon.nn.Dense(2)
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 3)))
    names = net.export(str(tmp_path / 'net'), epoch=3)
    assert names == (str(tmp_path / 'net-symbol.json'), str(tmp_path / 'net-0003.params'))
    assert all(os.path.isfile(name) for name in names)
