"""Record MXNet 1.9.1's mx.viz output for tests/test_visualization.py (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_viz_fixtures.py

Writes tests/fixtures/viz/: ``<case>_summary.txt`` (what print_summary prints) and
``<case>_plot.gv`` (the Graphviz source of plot_network) for each graph of GRAPHS.
"""
import contextlib
import io
import os

import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'viz')


def conv_net():
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Conv2D(8, 3, strides=2, activation='relu'), mx.gluon.nn.BatchNorm(),
                mx.gluon.nn.MaxPool2D(), mx.gluon.nn.LeakyReLU(0.1), mx.gluon.nn.Flatten(),
                mx.gluon.nn.Dense(10))
    net.initialize()
    return net(mx.sym.var('data')), {'data': (1, 3, 16, 16)}, {'data': 'float32'}


def split_graph():
    d = mx.sym.var('data')
    a = mx.sym.Activation(mx.sym.FullyConnected(d, num_hidden=16, name='fc1'), act_type='relu', name='relu1')
    sp = mx.sym.split(a, num_outputs=2, axis=1, name='sp')
    y = mx.sym.elemwise_add(sp[0], sp[1], name='add')
    return mx.sym.SoftmaxOutput(y, name='softmax'), {'data': (4, 5)}, None


GRAPHS = {'conv': conv_net, 'split': split_graph}


def main():
    os.makedirs(OUT, exist_ok=True)
    for case, make in GRAPHS.items():
        with mx.name.NameManager():
            sym, shape, dtype = make()
        text = io.StringIO()
        with contextlib.redirect_stdout(text):
            mx.viz.print_summary(sym, shape=shape)
            mx.viz.print_summary(sym, shape=shape, line_length=90, positions=[30, 50, 60, 90])
        with open(os.path.join(OUT, case + '_summary.txt'), 'w') as f:
            f.write(text.getvalue())
        dot = mx.viz.plot_network(sym, shape=shape, dtype=dtype, title=case)
        with open(os.path.join(OUT, case + '_plot.gv'), 'w') as f:
            f.write(dot.source)
        print('ok', case)


if __name__ == '__main__':
    main()
