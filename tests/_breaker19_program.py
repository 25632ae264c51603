"""Programs run on minigluon by tests/test_breaker19_regressions.py and on MXNet 1.9.1 by
tools/gen_breaker19_fixtures.py (``mx`` is either package): each returns JSON-able results.
An error is recorded as ``'error'`` (the class names differ between the two frameworks; the
tests check minigluon's own)."""
import json

import numpy as np


def _raised(fn):
    """``fn()``'s result, or ``'error'`` when it raises."""
    try:
        return fn()
    except Exception:          # noqa: BLE001 -- an error is a result here
        return 'error'


def _rows(mx, data, **kw):
    """box_nms of ``data`` (float32 unless it is another float array) as nested lists."""
    return mx.nd.contrib.box_nms(mx.nd.array(data, dtype=data.dtype), **kw).asnumpy().tolist()


def _quarter_grid_boxes(seed, fmt):
    """200 boxes on a quarter-pixel grid (many IoUs exactly at round thresholds) with random
    scores, rows ``(0, score, 4 coordinates)`` in ``fmt``."""
    rs = np.random.RandomState(seed)
    d = np.zeros((200, 6))
    d[:, 1] = rs.rand(200)
    xy, wh = rs.randint(0, 20, (200, 2)) / 4.0, rs.randint(1, 20, (200, 2)) / 4.0
    d[:, 2:] = np.concatenate([xy, xy + wh] if fmt == 'corner' else [xy, wh], 1)
    return d


def box_nms(mx):
    """box_nms where minigluon's suppression differed from MXNet 1.9.1's."""
    out = {}
    # class ids are compared as C ints: 0.5, 0.7, -0.5 and 0.2 are all class 0; NaN is INT_MIN
    ids = np.array([[0.5, 0.9, 0, 0, 2, 2], [0.7, 0.8, 0, 0, 2, 2.1], [-0.5, 0.7, 0, 0, 2, 2],
                    [0.2, 0.6, 0, 0, 2, 2]], 'float32')
    out['fractional_ids'] = _rows(mx, ids, id_index=0)
    nan_id = ids.copy()
    nan_id[1, 0] = np.nan
    out['nan_id'] = _rows(mx, nan_id, id_index=0)
    # valid_thresh is a C float: 0.1 + 1e-12 (float64) is not above 0.1f = 0.10000000149
    out['float64_valid_thresh'] = _rows(mx, np.array([[0, 0.1 + 1e-12, 0, 0, 1, 1],
                                                      [0, 0.1000000015, 2, 2, 3, 3]]),
                                        valid_thresh=0.1)
    # an empty union is 0 / 0 = NaN, which suppresses nothing even below a negative threshold
    degenerate = np.array([[0, 0.9, 0, 0, 0, 0], [0, 0.8, 0, 0, 0, 0], [0, 0.7, 5, 5, 6, 6]],
                          'float32')
    out['degenerate_negative_thresh'] = _rows(mx, degenerate, overlap_thresh=-0.1)
    inverted = np.array([[0, 0.9, 2, 2, 0, 0], [0, 0.8, 0, 0, 2, 2], [0, 0.7, 2, 2, 0, 0]],
                        'float32')
    out['inverted_negative_thresh'] = _rows(mx, inverted, overlap_thresh=-1.0)
    # float16: IoU in float16 steps, compared with the threshold as a float (0.6 is no float16:
    # 35 of 500 such grids kept other boxes before)
    for seed, fmt, thresh in ((2, 'corner', 0.6), (7, 'center', 0.6), (20, 'corner', 0.6)):
        data = _quarter_grid_boxes(seed, fmt).astype('float16')
        out['float16_%d' % seed] = _rows(mx, data, overlap_thresh=thresh, in_format=fmt,
                                         out_format=fmt)
    # float32 on the same grid in the center format: its own width * height is the area
    data = _quarter_grid_boxes(3, 'center').astype('float32')
    out['float32_center'] = _rows(mx, data, overlap_thresh=0.25, in_format='center',
                                  out_format='center')
    return out


def roi_spatial_scale_zero(mx):
    """ROIAlign and ROIPooling with ``spatial_scale=0`` (MXNet's bound is [0, 1])."""
    x = mx.nd.array(np.arange(2 * 3 * 4, dtype='float32').reshape(1, 2, 3, 4))
    rois = mx.nd.array([[0, 1, 1, 3, 2], [0, 0, 0, 2, 2]])
    return {'align': mx.nd.contrib.ROIAlign(x, rois, (2, 2), 0.0).asnumpy().tolist(),
            'align_sr2': mx.nd.contrib.ROIAlign(x, rois, (2, 2), 0.0, sample_ratio=2)
            .asnumpy().tolist(),
            'pool': mx.nd.ROIPooling(x, rois, (2, 2), 0.0).asnumpy().tolist()}


def positional_out(mx):
    """``out`` (then ``name``) given positionally after every attribute."""
    x = mx.nd.array(np.arange(24, dtype='float32').reshape(2, 3, 4) / 7)
    out = {}
    o = mx.nd.zeros((2, 4))
    r = x.sum(1, False, False, o)
    out['sum_method'] = [r.asnumpy().tolist(), o.asnumpy().tolist(), r is o]
    o = mx.nd.zeros((2, 4))
    r = mx.nd.sum(x, 1, False, False, o, 'nm')
    out['sum_out_name'] = [o.asnumpy().tolist(), r is o]
    o = mx.nd.zeros((2, 3, 4))
    out['clip'] = [mx.nd.clip(x, 0.5, 1, o) is o, o.asnumpy().tolist()]
    y = -x
    out['relu_into_second_array'] = [mx.nd.relu(x, y) is y, y.asnumpy().tolist()]
    out['relu_none_name'] = mx.nd.relu(-x, None, 'nm').asnumpy().tolist()
    w, g = mx.nd.ones((3,)), mx.nd.ones((3,))
    mx.nd.sgd_update(w, g, 0.1, 0.0, 1.0, -1.0, True, w)
    out['sgd_update'] = w.asnumpy().tolist()
    o = mx.nd.ones((2, 3, 4))
    out['zeros_like'] = [mx.nd.zeros_like(x, o) is o, o.asnumpy().tolist()]
    out['out_twice'] = _raised(lambda: mx.nd.sum(x, 1, False, False, o, out=o))
    out['too_many'] = _raised(lambda: mx.nd.sum(x, 1, False, False, None, 'nm', 3))
    o = mx.nd.zeros((2,), dtype='float64')
    r = mx.nd.random_uniform(0, 1, (2,), 'cpu', 'float64', o)
    out['random_uniform'] = [r is o, np.dtype(o.dtype).name, bool((o.asnumpy() > 0).all())]
    o = mx.nd.zeros((2,))
    r = mx.nd.sample_uniform(mx.nd.zeros((2,)), mx.nd.ones((2,)), (), 'float32', o)
    out['sample_uniform'] = [r is o, bool((o.asnumpy() > 0).all())]
    a, b = mx.nd.zeros((2, 3, 2)), mx.nd.zeros((2, 3, 2))
    pair = (a, b)
    out['split_tuple_out_is_returned'] = mx.nd.split(x, 2, 2, out=pair) is pair
    return out


def sampler_out(mx):
    """Samplers given ``out=`` and no dtype or shape take ``out``'s (MXNet infers them)."""
    def drawn(fn, out):
        r = fn(out)
        return [np.dtype(r.dtype).name, list(r.shape), r is out]
    f64 = lambda: mx.nd.zeros((2, 3), dtype='float64')      # noqa: E731
    cases = {
        'normal_float64': (lambda o: mx.nd.random.normal(0, 1, shape=(2, 3), out=o), f64),
        'normal_float16_no_shape': (lambda o: mx.nd.random.normal(0, 1, out=o),
                                    lambda: mx.nd.zeros((2, 3), dtype='float16')),
        'random_normal_no_shape': (lambda o: mx.nd.random_normal(0, 1, out=o), f64),
        'uniform_no_shape': (lambda o: mx.nd.random.uniform(out=o), f64),
        'randint_int64': (lambda o: mx.nd.random.randint(0, 5, shape=(2, 3), out=o),
                          lambda: mx.nd.zeros((2, 3), dtype='int64')),
        'sample_normal_float64': (lambda o: mx.nd.sample_normal(
            mx.nd.zeros((2,)), mx.nd.ones((2,)), shape=3, out=o), f64),
        'exponential_float64': (lambda o: mx.nd.random.exponential(1, out=o), f64),
        'dtype_given_other': (lambda o: mx.nd.random.normal(0, 1, shape=(2, 3),
                                                            dtype='float32', out=o), f64),
        'uniform_into_int32': (lambda o: mx.nd.random.uniform(0, 1, shape=(2, 3), out=o),
                               lambda: mx.nd.zeros((2, 3), dtype='int32')),
        'randint_into_float32': (lambda o: mx.nd.random.randint(0, 5, shape=(2, 3), out=o),
                                 lambda: mx.nd.zeros((2, 3))),
    }
    return {k: _raised(lambda fn=fn, make=make: drawn(fn, make())) for k, (fn, make)
            in cases.items()}


def keywords(mx):
    """``attr=`` and unknown keywords: MXNet refuses them for operators with attributes and
    ignores them for the others; ``zeros``/``ones`` write ``out=``; NDArray.reshape takes only
    ``shape`` and ``reverse``."""
    x = mx.nd.array(np.arange(6, dtype='float32').reshape(2, 3))
    calls = {
        'sum_attr': lambda: mx.nd.sum(x, axis=1, attr={'a': 'b'}),
        'clip_attr_none': lambda: mx.nd.clip(x, 0, 1, attr=None),
        'concat_attr': lambda: mx.nd.concat(x, x, dim=0, attr=None),
        'dot_attr': lambda: mx.nd.dot(x, x.T, attr=None),
        'method_sum_attr': lambda: x.sum(1, attr=None),
        'relu_attr': lambda: mx.nd.relu(x, attr={'a': 'b'}),
        'zeros_like_attr': lambda: mx.nd.zeros_like(x, attr=None),
        'elemwise_add_attr': lambda: mx.nd.elemwise_add(x, x, attr=None),
        'make_loss_attr': lambda: mx.nd.make_loss(x, attr={'a': 'b'}),
        'linear_regression_output_attr': lambda: mx.nd.LinearRegressionOutput(x, x, attr=None),
        'zeros_attr': lambda: mx.nd.zeros((2,), attr=None),
        'ones_foo': lambda: mx.nd.ones((2,), foo=1),
        'zeros_name': lambda: mx.nd.zeros((2,), name='z'),
        'zeros_hidden_layout': lambda: mx.nd.zeros((2,), __layout__='NC'),
        'reshape_name': lambda: x.reshape((3, 2), name='r'),
        'reshape_attr': lambda: x.reshape((3, 2), attr=None),
    }
    out = {k: _raised(lambda fn=fn: fn().asnumpy().tolist()) for k, fn in calls.items()}
    for fn in ('zeros', 'ones'):
        o = mx.nd.full((2,), 7)
        out[fn + '_out'] = [getattr(mx.nd, fn)((2,), out=o) is o, o.asnumpy().tolist()]
        out[fn + '_out_bad_shape'] = _raised(
            lambda fn=fn: getattr(mx.nd, fn)((2,), out=mx.nd.full((3,), 7)).asnumpy().tolist())
    return out


def bool_numbers(mx):
    """A bool given as a number attribute is refused, as MXNet's parser refuses 'True'; the
    NDArray binary functions pass ``float(True)`` on."""
    x = mx.nd.array(np.linspace(-2, 2, 6, dtype='float32'))
    a = mx.sym.var('a')
    calls = {
        'clip': lambda: x.clip(False, True).asnumpy().tolist(),
        'clip_keyword': lambda: mx.nd.clip(x, a_min=0, a_max=True).asnumpy().tolist(),
        'clip_numpy_bool': lambda: x.clip(np.bool_(False), 1).asnumpy().tolist(),
        'arange_start': lambda: mx.nd.arange(True, 3).asnumpy().tolist(),
        'linspace': lambda: mx.nd.linspace(False, True, 3).asnumpy().tolist(),
        'plus_scalar': lambda: mx.nd._internal._plus_scalar(x, scalar=True).asnumpy().tolist(),
        'symbol_plus_true': lambda: json.loads((a + True).tojson())['nodes'][-1]['attrs'],
        'maximum_true': lambda: mx.nd.maximum(x, True).asnumpy().tolist(),
        'power_numpy_false': lambda: mx.nd.power(np.bool_(False), x).asnumpy().tolist(),
        'x_plus_true': lambda: (x + True).asnumpy().tolist(),
        'symbol_maximum_true': lambda: json.loads(mx.sym.maximum(a, True).tojson())['nodes'][-1]
        ['attrs'],
    }
    return {k: _raised(fn) for k, fn in calls.items()}


def symbol_calls(mx):
    """``sym`` functions given ``name`` / ``attr`` positionally after the attributes, and 0-d
    NumPy arrays as attributes: the nodes' ops, names and attributes."""
    def nodes(s):
        return [[n['op'], n['name'], n.get('attrs', {})] for n in json.loads(s.tojson())['nodes']]
    x = mx.sym.var('x')
    calls = {
        'sum_name': lambda: mx.sym.sum(x, 1, False, False, 'nm'),
        'sum_name_attr': lambda: mx.sym.sum(x, 1, False, False, 'nm', {'__a__': 'b'}),
        'relu_name': lambda: mx.sym.relu(x, 'nm'),
        'clip_name': lambda: mx.sym.clip(x, 0, 1, 'nm'),
        'sum_name_twice': lambda: mx.sym.sum(x, 1, False, False, 'nm', name='b'),
        'too_many': lambda: mx.sym.sum(x, 1, False, False, 'nm', {'__a__': 'b'}, None, 3),
        'clip_0d': lambda: mx.sym.clip(x, np.array(0), np.array(1.5), name='c'),
        'leaky_0d': lambda: mx.sym.LeakyReLU(x, slope=np.array(1), name='l'),
        'one_hot_0d': lambda: mx.sym.one_hot(x, np.array(3), name='o'),
    }
    return {k: _raised(lambda fn=fn: nodes(fn())) for k, fn in calls.items()}


def dtype_none(mx):
    """``dtype=None`` given to an operator function: MXNet 1.9.1 passes it through
    ``np.dtype(None).name``, float64 (the results' dtypes, and the JSON of ``sym.cast``)."""
    x = mx.nd.array(np.linspace(-2, 2, 6, dtype='float32').reshape(2, 3))
    calls = {
        'cast': lambda: mx.nd.cast(x, dtype=None),
        'one_hot': lambda: mx.nd.one_hot(mx.nd.array([0, 1]), 3, dtype=None),
        'argsort': lambda: mx.nd.argsort(x, dtype=None),
        'topk': lambda: mx.nd.topk(x, k=2, dtype=None),
        'softmax': lambda: mx.nd.softmax(x, dtype=None),
        'random_uniform': lambda: mx.nd.random_uniform(shape=(2,), dtype=None),
    }
    out = {k: _raised(lambda fn=fn: np.dtype(fn().dtype).name) for k, fn in calls.items()}
    node = json.loads(mx.sym.cast(mx.sym.var('a'), dtype=None).tojson())['nodes'][-1]
    out['sym_cast'] = node['attrs']
    return out


def run(mx):
    return {'box_nms': box_nms(mx), 'roi_spatial_scale_zero': roi_spatial_scale_zero(mx),
            'positional_out': positional_out(mx), 'sampler_out': sampler_out(mx),
            'keywords': keywords(mx), 'bool_numbers': bool_numbers(mx),
            'symbol_calls': symbol_calls(mx), 'dtype_none': dtype_none(mx)}
