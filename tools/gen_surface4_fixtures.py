"""Golden files for the API-surface gaps filled in session 4 (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_surface4_fixtures.py

Writes tests/fixtures/surface4/surface4.json: the nodes MXNet writes for ``sym.random`` calls,
the parameter lists of functions whose signatures minigluon matches, and ``mx.io`` results.
"""
import inspect
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'surface4')


def nodes(sym):
    return [{k: n.get(k, {}) for k in ('op', 'name', 'attrs')}
            for n in json.loads(sym.tojson())['nodes'] if n['op'] != 'null']


def random_cases():
    x, y = mx.sym.var('x'), mx.sym.var('y')
    r = mx.sym.random
    cases = {
        'uniform': r.uniform(0, 2, shape=(2, 3)),
        'uniform_dtype': r.uniform(-1, 1, shape=4, dtype='float64'),
        'normal_sym': r.normal(x, y, shape=(2,)),
        'uniform_sym': r.uniform(x, y),
        'randn': r.randn(2, 3),
        'randint': r.randint(0, 5, shape=(3,)),
        'exponential': r.exponential(scale=2, shape=(2, 3)),
        'gamma': r.gamma(2, 3, shape=(2,)),
        'poisson': r.poisson(4, shape=(2,)),
        'multinomial': r.multinomial(x),
        'multinomial_noprob': r.multinomial(x, shape=(3,), get_prob=False),
        'shuffle': r.shuffle(x),
        'uniform_like': r.uniform_like(x, low=1, high=2),
        'normal_like': r.normal_like(x),
        'exponential_like': r.exponential_like(x, lam=2),
        'gamma_like': r.gamma_like(x, alpha=2),
        'poisson_like': r.poisson_like(x, lam=3),
    }
    out = {k: {'nodes': nodes(s), 'outputs': s.list_outputs()} for k, s in cases.items()}
    shapes = {k: r.__dict__[k](x).infer_shape(x=(3, 4))[1] for k in
              ('uniform_like', 'normal_like', 'exponential_like', 'gamma_like', 'poisson_like')}
    return out, shapes


def params(fn):
    return [[p.name, None if p.default is inspect.Parameter.empty else repr(p.default)]
            for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def signatures():
    t = mx.gluon.data.vision.transforms
    names = {
        'nd.power': mx.nd.power, 'sym.power': mx.sym.power, 'sym.pow': mx.sym.pow,
        'sym.maximum': mx.sym.maximum, 'sym.minimum': mx.sym.minimum, 'sym.hypot': mx.sym.hypot,
        'nd.maximum': mx.nd.maximum, 'nd.minimum': mx.nd.minimum,
        'gluon.nn.MaxPool1D': mx.gluon.nn.MaxPool1D, 'gluon.nn.MaxPool2D': mx.gluon.nn.MaxPool2D,
        'gluon.nn.MaxPool3D': mx.gluon.nn.MaxPool3D, 'gluon.nn.AvgPool1D': mx.gluon.nn.AvgPool1D,
        'gluon.nn.AvgPool2D': mx.gluon.nn.AvgPool2D, 'gluon.nn.AvgPool3D': mx.gluon.nn.AvgPool3D,
        'autograd.set_recording': mx.autograd.set_recording,
        'gluon.data.vision.transforms.RandomBrightness': t.RandomBrightness,
        'gluon.data.vision.transforms.RandomContrast': t.RandomContrast,
        'gluon.data.vision.transforms.RandomSaturation': t.RandomSaturation,
        'gluon.data.vision.transforms.RandomHue': t.RandomHue,
        'io.DataBatch': mx.io.DataBatch, 'io.DataDesc': mx.io.DataDesc,
    }
    return {k: params(v) for k, v in names.items()}


def io_cases():
    it = mx.io.NDArrayIter(np.arange(10).reshape(5, 2), np.arange(5), batch_size=2)
    seq = []
    while it.iter_next():
        seq.append([it.getdata()[0].asnumpy().tolist(), it.getlabel()[0].asnumpy().tolist(),
                    it.getpad(), it.getindex()])
    lay = mx.io.NDArrayIter(np.arange(10, dtype=np.float64).reshape(5, 2), batch_size=2,
                            layout='NTC')
    return {
        'iter_next_sequence': seq,
        'provide_data': repr(it.provide_data), 'provide_data_ntc': repr(lay.provide_data),
        'batch_axis': [mx.io.DataDesc.get_batch_axis(x) for x in ('NCHW', 'TNC', None)],
        'get_list': repr(mx.io.DataDesc.get_list([('a', (1, 2)), ('b', (3,))], [('a', np.int32), ('b', np.float64)])),
        'databatch_defaults': [mx.io.DataBatch([]).pad, mx.io.DataBatch([]).bucket_key],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    rnd, like_shapes = random_cases()
    a = mx.nd.ones((2, 3), dtype='float64')
    data = {
        'random_sym': rnd, 'like_shapes': like_shapes,
        'like_dtype': str(mx.nd.random.uniform_like(a).dtype.__name__),
        'signatures': signatures(), 'io': io_cases(),
    }
    with open(os.path.join(OUT, 'surface4.json'), 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
