"""Golden files for tests/symbol/test_compose_interop.py: graph composition details that must
match MXNet 1.9.1 for exported JSON to be the same file (run with the MXNet 1.9.1 venv)::

    /opt/mxvenv/bin/python tools/gen_compose_fixtures.py

Writes ``tests/fixtures/compose/expected.json``: for each case in ``CASES`` (a function of the
framework module, so the same code builds the graph in MXNet and in minigluon) what MXNet returns:
the graph's ``tojson()``, and where the case asks for them, ``list_arguments()``,
``infer_shape(**shapes)``, ``infer_shape_partial(**shapes)``, ``infer_type(**dtypes)`` (or the
error class when MXNet raises) and the outputs of running the graph on the given inputs.

Also writes ``tests/fixtures/compose/scalar_v2.params``: ``nd.save`` of a dict holding a 0-d
array (``nd.array([3.5]).reshape(())``, which MXNet 1.9.1 writes as a V2 array of ndim 0 followed
by its value) between two ordinary arrays; ``expected.json`` records the values and what MXNet's
own ``nd.load`` of that file raises (tests/test_serialization.py); and ``scalar_v3.params``, the
same dict saved under ``mx.util.np_shape(True)`` (all arrays V3), which minigluon must write
byte for byte.

``--compare`` (run with the system Python from the repository root) prints where minigluon
differs instead of writing.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'compose', 'expected.json')
SCALAR_FILE = os.path.join(os.path.dirname(OUT), 'scalar_v2.params')
SCALAR_NP_FILE = os.path.join(os.path.dirname(OUT), 'scalar_v3.params')


def _prelu_gamma(fw):
    # a plain variable as PReLU's slope: MXNet gives it an __init__ when composing
    return fw.sym.LeakyReLU(fw.sym.var('x'), fw.sym.var('g'), act_type='prelu', name='act')


def _prelu_gamma_own_init(fw):
    # ... unless it has one already
    g = fw.sym.var('g', init=fw.init.One())
    return fw.sym.LeakyReLU(fw.sym.var('x'), g, act_type='prelu', name='act')


def _upsampling_bilinear(fw):
    # the weight is left out: MXNet makes the variable up_weight, with a bilinear __init__
    return fw.sym.UpSampling(fw.sym.var('x'), scale=2, sample_type='bilinear', num_filter=2,
                             name='up')


def _upsampling_nearest_two(fw):
    return fw.sym.UpSampling(fw.sym.var('x'), fw.sym.var('y'), scale=2, sample_type='nearest',
                             num_args=2, name='up')


def _upsampling_nearest_missing(fw):
    # num_args=2 with one input: the second becomes the variable up_arg1
    return fw.sym.UpSampling(fw.sym.var('x'), scale=2, sample_type='nearest', num_args=2,
                             name='up')


def _bn_relu(fw):
    return fw.sym.contrib.BatchNormWithReLU(fw.sym.var('x'), name='bn')


def _numpy_scalars(fw):
    x = fw.sym.var('x')
    y = x + np.float32(0.1)
    y = y * np.float16(0.3)
    y = y - np.float64(1.0 / 3)
    y = y * np.int64(3) * np.float32(0.7)
    return fw.sym.clip(y, np.float32(-0.1), np.float32(0.2), name='c')


def _broadcast_unknown(fw):
    # rhs of unknown rank: the output shape is unknown, whatever lhs is; float16 + float64 is
    # an error in MXNet (minigluon promotes, as its operators do when they run)
    fc = fw.sym.FullyConnected(fw.sym.var('x', shape=(2, 3), dtype='float16'), num_hidden=4,
                               name='fc')
    return fw.sym.broadcast_add(fc, fw.sym.var('y'), name='add')


def _prelu_block(fw):
    """A HybridBlock passing its own parameter as PReLU's slope, exported."""
    class PReLUBlock(fw.gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.alpha = self.params.get('alpha', shape=(3,))

        def hybrid_forward(self, F, x, alpha):
            return F.LeakyReLU(x, gamma=alpha, act_type='prelu') * np.float32(0.1)

    with fw.name.NameManager():
        return PReLUBlock(prefix='pb_')


X = np.linspace(-1, 1, 18, dtype=np.float32).reshape(1, 2, 3, 3)

# name -> (graph builder, extra records)
CASES = {
    'prelu_gamma': (_prelu_gamma, {}),
    'prelu_gamma_own_init': (_prelu_gamma_own_init, {}),
    'upsampling_bilinear': (_upsampling_bilinear, {'infer_shape': {'x': [1, 2, 3, 3]}}),
    'upsampling_nearest_two': (_upsampling_nearest_two, {}),
    'upsampling_nearest_missing': (_upsampling_nearest_missing, {}),
    'bn_relu': (_bn_relu, {}),
    'numpy_scalars': (_numpy_scalars, {'run': {'x': X.astype(np.float64)}}),
    'broadcast_unknown': (_broadcast_unknown, {'infer_shape_partial': {},
                                               'infer_type': {'y': 'float64'}}),
}
BLOCKS = {'prelu_block': (_prelu_block, X[0].reshape(2, 3, 3))}


def _shapes(result):
    return [[list(s) if s is not None else None for s in part] if part is not None else None
            for part in result]


def build_graph(fw, build):
    """``build(fw)`` under a fresh name counter (automatic node names start at 0)."""
    with fw.name.NameManager():
        return build(fw)


def record(fw, build, extra):
    graph = build_graph(fw, build)
    rec = {'json': graph.tojson(), 'arguments': graph.list_arguments()}
    for key, given in extra.items():
        try:
            if key == 'infer_shape':
                rec[key] = _shapes(graph.infer_shape(**{k: tuple(v) for k, v in given.items()}))
            elif key == 'infer_shape_partial':
                rec[key] = _shapes(graph.infer_shape_partial(
                    **{k: tuple(v) for k, v in given.items()}))
            elif key == 'infer_type':
                rec[key] = [[np.dtype(t).name if t is not None else None for t in part]
                            for part in graph.infer_type(**given)]
            elif key == 'run':
                args = {k: fw.nd.array(v, dtype=v.dtype) for k, v in given.items()}
                rec[key] = [o.asnumpy().ravel().tolist() for o in graph.eval(ctx=fw.cpu(), **args)]
        except Exception as err:   # noqa: BLE001 - the error class is the record
            rec[key] = {'error': type(err).__name__}
    return rec


def record_block(fw, build, x):
    import tempfile
    net = build(fw)
    net.initialize()
    net.hybridize()
    out = net(fw.nd.array(x))
    with tempfile.TemporaryDirectory() as tmp:
        net.export(os.path.join(tmp, 'b'))
        with open(os.path.join(tmp, 'b-symbol.json')) as f:
            text = f.read()
    return {'json': text, 'out_shape': list(out.shape)}


def generate(fw):
    result = {'mxnet': getattr(fw, '__version__', '?'), 'cases': {}, 'blocks': {}}
    for name, (build, extra) in CASES.items():
        result['cases'][name] = record(fw, build, extra)
    for name, (build, x) in BLOCKS.items():
        result['blocks'][name] = record_block(fw, build, x)
    return result


def main():
    if '--compare' in sys.argv:
        sys.path.insert(0, os.path.join(HERE, '..'))
        import minigluon as fw
        with open(OUT) as f:
            want = json.load(f)
        got = generate(fw)
        for part in ('cases', 'blocks'):
            for name, rec in want[part].items():
                for key, value in rec.items():
                    mine = got[part][name].get(key)
                    if mine != value:
                        print('%s %s %s:\n    MXNet     %s\n    minigluon %s'
                              % (part, name, key, value, mine))
        return
    import mxnet as fw
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    result = generate(fw)
    arrays = {'a': fw.nd.array([1, 2]), 'step': fw.nd.array([3.5]).reshape(()),
              'z': fw.nd.array([[4, 5, 6]], dtype='int32')}
    fw.nd.save(SCALAR_FILE, arrays)
    rec = {'values': {k: {'shape': list(v.shape), 'dtype': np.dtype(v.dtype).name,
                          'values': v.asnumpy().ravel().tolist()} for k, v in arrays.items()}}
    try:
        fw.nd.load(SCALAR_FILE)
        rec['mxnet_load'] = 'ok'
    except Exception as err:   # noqa: BLE001 - the error class is the record
        rec['mxnet_load'] = type(err).__name__
    # the same arrays saved in NumPy-shape mode: every array V3, and MXNet loads it back there
    with fw.util.np_shape(True):
        fw.nd.save(SCALAR_NP_FILE, arrays)
        back = fw.nd.load(SCALAR_NP_FILE)
        rec['mxnet_np_shape_load'] = {k: v.asnumpy().ravel().tolist() for k, v in back.items()}
    result['scalar_v2'] = rec
    with open(OUT, 'w') as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main()
