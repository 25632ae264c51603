"""Programs run on minigluon by tests/test_breaker18b_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker18b_fixtures.py (``mx`` is either package): each returns JSON-able results."""
import json

import numpy as np


def metric_subclass(mx):
    """A metric written as MXNet's docs show it, keeping local statistics only: its ``update``
    adds float32 NumPy scalars (``asscalar()``) to ``sum_metric``. MXNet 1.9.1 sums them in
    float64 and, without ``has_global_stats=True``, ``get_global()`` is ``get()``."""
    class MeanOfMeans(mx.metric.EvalMetric):
        def __init__(self):
            super().__init__('meanofmeans')

        def update(self, labels, preds):
            for pred in preds:
                self.sum_metric += pred.mean().asscalar()
                self.num_inst += 1

    metric = MeanOfMeans()
    rs = np.random.RandomState(0)
    for _ in range(300):
        # one value per array: its mean is the float32 value itself, the same in both
        # frameworks, so only the running sum rounds (float64 in MXNet, float32 if left so)
        metric.update(None, [mx.nd.array(rs.rand(1), dtype='float32')])
    name, value = metric.get()
    _, global_value = metric.get_global()
    return {'name': name, 'get': value, 'get_global': global_value,
            'global_name_value': [[n, v] for n, v in metric.get_global_name_value()],
            'sum_type': type(metric.sum_metric).__name__}


def reshape_json(mx):
    """The ``Reshape`` node attributes of ``Symbol.reshape`` forms that MXNet 1.9.1 accepts."""
    x = mx.sym.var('x')
    forms = {'int': x.reshape(-1), 'shape_int': x.reshape(shape=-1),
             'tuple': x.reshape((0, -1)), 'int_reverse': x.reshape(-1, reverse=True),
             'list': x.reshape([0, -1])}
    return {key: json.loads(s.tojson())['nodes'][-1]['attrs'] for key, s in forms.items()}


def gluon_pooling_pad(mx, folder):
    """Gluon pooling layers given a ``padding`` of ``2 * n`` equal entries (``(1, 1, 1, 1)`` for
    a 2-D pool), which MXNet 1.9.1's layers pass on to ``Pooling``: the output, the layer's
    repr and the exported ``Pooling`` node's attributes."""
    import os
    nn = mx.gluon.nn
    x = np.random.RandomState(0).randn(1, 2, 5, 5).astype('float32')
    cases = {'max2d': (nn.MaxPool2D(3, 1, (1, 1, 1, 1)), x),
             'avg2d': (nn.AvgPool2D(3, 2, (1, 1, 1, 1), count_include_pad=False), x),
             'max1d': (nn.MaxPool1D(3, 1, (1, 1)), x.reshape(1, 2, 25)),
             'avg3d': (nn.AvgPool3D(3, 1, (1,) * 6), np.tile(x.reshape(1, 2, 5, 5, 1), 3))}
    out = {}
    for key, (block, data) in cases.items():
        block.hybridize()
        y = block(mx.nd.array(data))
        prefix = os.path.join(folder, key)
        block.export(prefix)
        with open(prefix + '-symbol.json') as f:
            node = [n for n in json.load(f)['nodes'] if n['op'] == 'Pooling'][0]
        out[key] = {'shape': list(y.shape), 'values': y.asnumpy().ravel().tolist(),
                    'repr': repr(block), 'attrs': node['attrs']}
    return out


def run(mx):
    import tempfile
    return {'metric_subclass': metric_subclass(mx), 'reshape_json': reshape_json(mx),
            'gluon_pooling_pad': gluon_pooling_pad(mx, tempfile.mkdtemp())}
