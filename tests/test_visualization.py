"""mx.viz (minigluon/visualization.py): print_summary and plot_network against what MXNet 1.9.1
printed and drew for the same graphs (tests/fixtures/viz, made by tools/gen_viz_fixtures.py), and
the parameter counts MXNet gets wrong against the parameters' own sizes."""
import contextlib
import io
import os
import re
import sys
import types

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import MissingDependencyError, MXNetTypeError, MXNetValueError

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'viz')


def conv_net(flatten=True):
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Conv2D(8, 3, strides=2, activation='relu'), mx.gluon.nn.BatchNorm(),
                mx.gluon.nn.MaxPool2D(), mx.gluon.nn.LeakyReLU(0.1))
        if flatten:
            net.add(mx.gluon.nn.Flatten())
        net.add(mx.gluon.nn.Dense(10))
    net.initialize()
    return net


def split_graph():
    d = mx.sym.var('data')
    a = mx.sym.Activation(mx.sym.FullyConnected(d, num_hidden=16, name='fc1'), act_type='relu', name='relu1')
    sp = mx.sym.split(a, num_outputs=2, axis=1, name='sp')
    return mx.sym.SoftmaxOutput(mx.sym.elemwise_add(sp[0], sp[1], name='add'), name='softmax')


def printed(*args, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        mx.viz.print_summary(*args, **kwargs)
    return out.getvalue()


def test_summary_prints_mxnets_table():
    with mx.name.NameManager():
        sym = conv_net()(mx.sym.var('data'))
    shape = {'data': (1, 3, 16, 16)}
    got = printed(sym, shape=shape) + printed(sym, shape=shape, line_length=90, positions=[30, 50, 60, 90])
    assert got == open(os.path.join(FIX, 'conv_summary.txt')).read()


def test_summary_of_a_multi_output_graph_differs_from_mxnet_only_where_mxnet_is_blind():
    expected = open(os.path.join(FIX, 'split_summary.txt')).read().splitlines()
    got = printed(split_graph(), shape={'data': (4, 5)}).splitlines()
    got = got + printed(split_graph(), shape={'data': (4, 5)}, line_length=90,
                        positions=[30, 50, 60, 90]).splitlines()
    # MXNet leaves the split's shapes blank (it looks for one output) and lists only the first
    # variable; minigluon shows both outputs and the label variable's row
    label_rows = [i for i, line in enumerate(got) if line.startswith('softmax_label(null)')]
    assert len(label_rows) == 2
    for i in reversed(label_rows):
        del got[i:i + 2]
    softmax = [i for i, line in enumerate(got) if line.startswith('softmax(SoftmaxOutput)')]
    assert all(got[i + 1].split() == ['softmax_label'] for i in softmax)
    for i in reversed(softmax):
        del got[i + 1]
    split_rows = [i for i, line in enumerate(got) if line.startswith('sp(SliceChannel)')]
    assert [got[i].split()[1:3] for i in split_rows] == [['8,', '8'], ['8,', '8']]
    for i in split_rows:
        got[i] = expected[i]
    assert got == expected


def _count(params, names):
    return sum(int(np.prod(params[n].shape)) for n in names)


def test_parameter_counts_are_the_parameters_sizes():
    # Dense straight after pooling: MXNet counts (channels + 1) x units = 90; the weight is 72 x 10
    with mx.name.NameManager():
        net = conv_net(flatten=False)
        sym = net(mx.sym.var('data'))
    net(mx.nd.zeros((1, 3, 16, 16)))
    params = net.collect_params()
    text = printed(sym, shape={'data': (1, 3, 16, 16)})
    row = next(line for line in text.splitlines() if '(FullyConnected)' in line)
    assert int(row.split()[2]) == _count(params, ['hybridsequential0_dense0_weight',
                                                  'hybridsequential0_dense0_bias']) == 730
    learned = [n for n in params.keys() if 'running' not in n]
    assert text.splitlines()[-2] == 'Total params: %d' % _count(params, learned)


def test_layers_mxnet_does_not_count_are_counted():
    layer = mx.gluon.rnn.LSTM(6, num_layers=1, layout='NTC', bidirectional=True)
    norm = mx.gluon.nn.LayerNorm()
    with mx.name.NameManager():
        sym = norm(layer(mx.sym.var('data')))
    layer.initialize()
    norm.initialize()
    norm(layer(mx.nd.zeros((2, 5, 3))))
    text = printed(sym, shape={'data': (2, 5, 3)})
    lstm = _count(layer.collect_params(), layer.collect_params().keys())
    gamma_beta = _count(norm.collect_params(), norm.collect_params().keys())
    assert gamma_beta == 24
    assert text.splitlines()[-2] == 'Total params: %d' % (lstm + gamma_beta)
    # Gluon's LSTM reshapes each weight before concatenating them: the Reshape rows read them
    reshapes = [int(line.split()[1]) for line in text.splitlines() if '(Reshape)' in line]
    assert sum(reshapes) == lstm
    rnn, swap = layer.prefix + 'rnn0(RNN)', layer.prefix + 'swapaxes1(SwapAxis)'
    assert re.search(re.escape(rnn) + r'\s+2x12, 2x6, 2x6\s+0\s', text)  # output and states, batch axis dropped
    assert re.search(re.escape(swap) + r'\s+5x12\s', text)                # after the RNN's 3 outputs
    assert re.search(r'\(LayerNorm\)\s+5x12\s+24\s', text)


def test_without_shapes_unknown_counts_are_question_marks():
    with mx.name.NameManager():
        sym = conv_net()(mx.sym.var('data'))
    text = printed(sym)
    conv = next(line for line in text.splitlines() if '(Convolution)' in line)
    assert conv.split()[1:3] == ['?', 'data']
    assert 'Total params: 18 + ?' in text      # the BatchNorm/Dense biases are known: 8 + 10


def test_bad_arguments():
    with pytest.raises(MXNetTypeError, match='symbol must be a Symbol'):
        mx.viz.print_summary(mx.nd.zeros(3))
    with pytest.raises(MXNetTypeError, match='shape must be a dict'):
        mx.viz.print_summary(split_graph(), shape=(4, 5))
    with pytest.raises(MXNetValueError, match='positions'):
        mx.viz.print_summary(split_graph(), positions=[0.5, 0.4, 0.8, 1.0])


@pytest.mark.parametrize('shape, error, match', [
    ({'datum': (4, 5)}, MXNetValueError, "shape: 'datum' is not an argument of the symbol.*'data'"),
    ({'data': (4, -5)}, MXNetValueError, r"shape\['data'\] must be a tuple of sizes >= 0, got \(4, -5\)"),
    ({'data': 'abc'}, MXNetValueError, r"shape\['data'\] must be"),
    ({0: (4, 5)}, MXNetTypeError, 'shape: the names must be str, got int'),
])
def test_bad_shapes_are_named(shape, error, match):
    with pytest.raises(error, match=match):     # -5 printed a total of -8 parameters
        mx.viz.print_summary(split_graph(), shape=shape)


@pytest.mark.parametrize('kwargs, error, match', [
    ({'line_length': 0}, MXNetValueError, 'line_length must be an int >= 1, got 0'),
    ({'line_length': '80'}, MXNetTypeError, 'line_length must be an int'),
    ({'positions': [-5, .2, .3, 1]}, MXNetValueError, 'positions'),
    ({'positions': 'abcd'}, MXNetTypeError, 'positions'),
    ({'positions': None}, MXNetTypeError, 'positions'),
    ({'positions': [.5, 2, 3, 4]}, MXNetValueError, 'positions in characters must be ints'),
])
def test_bad_table_layouts_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        mx.viz.print_summary(split_graph(), **kwargs)


def test_odd_but_valid_layouts_and_names():
    text = printed(split_graph(), shape={'data': (4, 5)}, positions=[10, 20, 30, 40])
    assert text.splitlines()[1] == 'Layer (typOutput ShaParam #   Previous L'
    tiny = printed(split_graph(), line_length=5)             # as MXNet: every column cut short
    assert tiny.splitlines()[:3] == ['_____', 'LaOPr', '=====']
    name = 'données_' + 'x' * 150
    text = printed(mx.sym.FullyConnected(mx.sym.var(name), num_hidden=2, name='сеть'),
                   shape={name: (1, 3)})
    assert text.splitlines()[3].startswith(name[:52]) and 'сеть(FullyConnected)' in text
    assert 'Total params: 8' in text


# -- plot_network, through a stand-in for the graphviz package -------------------------------------
class _Digraph:
    def __init__(self, name, format):
        self.name, self.format, self.nodes, self.edges = name, format, {}, set()

    def node(self, name, label, **attrs):
        self.nodes[name] = dict(attrs, label=label)

    def edge(self, tail_name, head_name, **attrs):
        self.edges.add((tail_name, head_name, attrs['label'], attrs['dir'], attrs['arrowtail']))


def _parse_dot(path):
    """Nodes {name: attrs} and edges {(tail, head, label, dir, arrowtail)} of a graphviz source."""
    source = open(path).read()
    value = r'("(?:[^"\\]|\\.)*"|[^\s\]]+)'
    nodes, edges = {}, set()
    for tail, head, body in re.findall(r'\t(\S+)(?: -> (\S+))? \[((?:"(?:[^"\\]|\\.)*"|[^\]"])*)\]', source):
        attrs = {k: v.strip('"') for k, v in re.findall(r'(\w+)=' + value, body)}
        if head:
            edges.add((tail, head, attrs['label'], attrs['dir'], attrs['arrowtail']))
        else:
            nodes[tail] = attrs
    return nodes, edges


@pytest.fixture
def fake_graphviz(monkeypatch):
    module = types.ModuleType('graphviz')
    module.Digraph = _Digraph
    monkeypatch.setitem(sys.modules, 'graphviz', module)


def test_plot_network_draws_mxnets_nodes_and_edges(fake_graphviz):
    with mx.name.NameManager():
        sym = conv_net()(mx.sym.var('data'))
    dot = mx.viz.plot_network(sym, title='conv', shape={'data': (1, 3, 16, 16)}, dtype={'data': 'float32'})
    nodes, edges = _parse_dot(os.path.join(FIX, 'conv_plot.gv'))
    assert dot.name == 'conv' and dot.format == 'pdf'
    assert dot.nodes == nodes
    assert dot.edges == edges


def test_plot_network_labels_each_edge_with_its_own_output(fake_graphviz):
    nodes, edges = _parse_dot(os.path.join(FIX, 'split_plot.gv'))
    dot = mx.viz.plot_network(split_graph(), title='split', shape={'data': (4, 5)})
    assert dot.nodes == nodes
    # MXNet labels both edges from the split with its last output; here each carries its own
    # (equal shapes here), and the SoftmaxOutput's edge to its label has the label's shape
    assert dot.edges == edges
    shown = mx.viz.plot_network(split_graph(), hide_weights=False)
    assert shown.nodes['fc1_weight']['shape'] == 'oval' and shown.nodes['fc1_weight']['label'] == 'fc1_weight'
    assert ('fc1', 'fc1_weight', '', 'back', 'open') in shown.edges


def test_plot_network_without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, 'graphviz', None)
    with pytest.raises(MissingDependencyError, match='pip install graphviz') as err:
        mx.viz.plot_network(split_graph())
    assert isinstance(err.value, ImportError)


def test_plot_network_warns_about_repeated_names(fake_graphviz):
    a, b = mx.sym.var('x'), mx.sym.var('x')
    with pytest.warns(RuntimeWarning, match='named x'):
        mx.viz.plot_network(a + b)


def test_plot_network_names_bad_dtypes(fake_graphviz):
    with pytest.raises(MXNetTypeError, match='dtype must be a dict'):
        mx.viz.plot_network(split_graph(), dtype=['float32'])
    with pytest.raises(MXNetValueError, match="dtype: 'datum' is not an argument"):
        mx.viz.plot_network(split_graph(), dtype={'datum': 'float32'})
    with pytest.raises(MXNetTypeError, match=r"dtype\['data'\] must be a NumPy dtype, got 'floaty'"):
        mx.viz.plot_network(split_graph(), dtype={'data': 'floaty'})


def test_plot_network_with_a_broken_graphviz_raises_its_import_error(monkeypatch):
    # an installed package that fails to import is no missing one: its own ImportError reaches
    # the caller (MissingDependencyError said "not installed: pip install graphviz", and
    # tests/conftest.py skipped the test, hiding the failure)
    monkeypatch.setitem(sys.modules, 'graphviz', types.ModuleType('graphviz'))   # no Digraph
    with pytest.raises(ImportError, match="cannot import name 'Digraph'") as err:
        mx.viz.plot_network(split_graph())
    assert not isinstance(err.value, MissingDependencyError)
