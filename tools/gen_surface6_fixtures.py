"""Golden files for the third pass over MXNet 1.9.1 names (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_surface6_fixtures.py

Writes under tests/fixtures/surface6/:

* ``surface6.json``: MXNet's answers that are not arrays: the pieces ``init.FusedRNN`` hands to
  its initializer (name and shape, in call order), its ``dumps()``, the error classes of
  ``init.Load`` and ``init.FusedRNN``, the flags and return values of the legacy
  ``mx.contrib.autograd`` API, ``test_utils.get_tols`` / ``get_tolerance`` / ``get_etol`` /
  ``effective_dtype`` / ``default_dtype`` values, ``gen_buckets_probs_with_ppf`` buckets, the
  outcome (pass or the error class) of ``assert_almost_equal_with_err``,
  ``compare_ndarray_tuple``, ``compare_optimizer`` and ``check_consistency`` calls, and per
  image-record iterator case the batches' dtypes, labels and pads;
* ``arrays.npz``: the flat vectors ``init.FusedRNN`` writes, the arrays ``init.Load`` loads from
  ``load.params`` (written here, with ``arg:`` / ``aux:`` prefixes), the gradients and losses of
  ``contrib.autograd.grad_and_loss``, ``collapse_sum_like`` / ``create_vector`` /
  ``create_2d_tensor`` outputs, and the image batches of ``ImageRecordUInt8Iter``,
  ``ImageRecordInt8Iter``, ``ImageRecordIter(dtype='uint8' / 'int8')`` and the ``_v1`` names over
  ``tests/fixtures/file_iters/images.rec`` (made by tools/gen_file_iters_fixtures.py).
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import test_utils as tu  # noqa: E402
from mxnet.contrib import autograd as cag  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'tests', 'fixtures', 'surface6')
ITERS = os.path.join(HERE, '..', 'tests', 'fixtures', 'file_iters')
os.makedirs(OUT, exist_ok=True)


def outcome(fn):
    """'ok', or the class name of what ``fn()`` raised."""
    try:
        fn()
        return 'ok'
    except Exception as err:   # noqa: BLE001 -- the class is the answer
        return type(err).__name__


@mx.init.register
class Counting(mx.init.Initializer):
    """Writes ``1000 * call + position`` into each array it is given (weights and biases alike)
    and records the (name, shape) of every call: shows which pieces FusedRNN hands over, in
    which order, and where they land in the flat vector."""
    calls = []

    def _fill(self, name, arr):
        Counting.calls.append([str(name), list(arr.shape)])
        n = len(Counting.calls)
        arr[:] = (1000 * n + np.arange(arr.size)).reshape(arr.shape)

    def _init_weight(self, name, arr):
        self._fill(name, arr)

    def _init_bias(self, name, arr):
        self._fill(name, arr)


FUSED = [  # name, mode, layers, bidirectional, input size, hidden, forget_bias
    ('lstm_1', 'lstm', 1, False, 4, 3, 1.0),
    ('lstm_2_bi', 'lstm', 2, True, 4, 3, 2.0),
    ('gru_2', 'gru', 2, False, 5, 2, 1.0),
    ('gru_1_bi', 'gru', 1, True, 3, 2, 1.0),
    ('relu_2_bi', 'rnn_relu', 2, True, 3, 2, 1.0),
    ('tanh_3', 'rnn_tanh', 3, False, 2, 3, 1.0),
]


def fused_size(mode, layers, bidir, ni, nh):
    gates = {'lstm': 4, 'gru': 3, 'rnn_relu': 1, 'rnn_tanh': 1}[mode]
    dirs = 2 if bidir else 1
    size = 0
    for layer in range(layers):
        nin = ni if layer == 0 else dirs * nh
        size += dirs * gates * nh * (nin + nh + 2)
    return size


def fused_rnn(arrays, info):
    cases = []
    for name, mode, layers, bidir, ni, nh, fb in FUSED:
        size = fused_size(mode, layers, bidir, ni, nh)
        # an explicit init: the Counting initializer sees every piece
        Counting.calls = []
        init = mx.init.FusedRNN(Counting(), nh, layers, mode, bidir, fb)
        arr = mx.nd.zeros((size,))
        init(mx.init.InitDesc(name + '_parameters', {'__init__': init}), arr)
        arrays['fused/%s/explicit' % name] = arr.asnumpy()
        calls = list(Counting.calls)
        # init=None: the global initializer (Gluon's default_init) fills the pieces
        Counting.calls = []
        p = mx.gluon.Parameter(name + '_parameters', shape=(size,),
                               init=mx.init.FusedRNN(None, nh, layers, mode, bidir, fb))
        p.initialize(default_init=Counting())
        arrays['fused/%s/global' % name] = p.data().asnumpy()
        # One() for every piece: weights 1, biases 0, LSTM forget biases forget_bias
        arr = mx.nd.zeros((size,))
        init = mx.init.FusedRNN(mx.init.One(), nh, layers, mode, bidir, fb)
        init(mx.init.InitDesc('rnn_parameters', {'__init__': init}), arr)
        arrays['fused/%s/one' % name] = arr.asnumpy()
        cases.append({'name': name, 'mode': mode, 'layers': layers, 'bidirectional': bidir,
                      'input': ni, 'hidden': nh, 'forget_bias': fb, 'size': size,
                      'calls': calls, 'global_calls': list(Counting.calls),
                      'dumps': init.dumps()})
    info['fused'] = cases
    init = mx.init.FusedRNN(mx.init.One(), 3, 1, 'lstm')
    info['fused_errors'] = {
        'wrong_size': outcome(lambda: init(mx.init.InitDesc('p', {'__init__': init}),
                                           mx.nd.zeros((fused_size('lstm', 1, False, 4, 3) + 1,)))),
        'json_init': outcome(lambda: mx.init.FusedRNN('["one", {}]', 3, 1, 'lstm')),
        'create_dumps': outcome(lambda: mx.init.create(init.dumps())),
    }


def load(arrays, info):
    rng = np.random.RandomState(0)
    saved = {'arg:fc_weight': rng.uniform(-1, 1, (3, 2)).astype(np.float32),
             'aux:bn_moving_var': rng.uniform(0, 1, (3,)).astype(np.float32),
             'plain_bias': rng.uniform(-1, 1, (2,)).astype(np.float32)}
    path = os.path.join(OUT, 'load.params')
    mx.nd.save(path, {k: mx.nd.array(v) for k, v in saved.items()})
    init = mx.init.Load(path, default_init=mx.init.Constant(7.0))
    for name, shape in (('fc_weight', (3, 2)), ('bn_moving_var', (3,)), ('plain_bias', (2,)),
                        ('other_weight', (2, 2))):
        arr = mx.nd.zeros(shape)
        init(name, arr)
        arrays['load/' + name] = arr.asnumpy()
    bare = mx.init.Load(path)
    info['load'] = {
        'keys': sorted(init.param),
        'missing_no_default': outcome(lambda: bare('other_weight', mx.nd.zeros((2, 2)))),
        'shape_mismatch': outcome(lambda: bare('fc_weight', mx.nd.zeros((2, 3)))),
        'not_a_dict': outcome(lambda: mx.init.Load([mx.nd.zeros(2)])),
    }


def contrib_autograd(arrays, info):
    flags = []

    def snap(tag, ret=None):
        flags.append([tag, mx.autograd.is_recording(), mx.autograd.is_training(), ret])

    snap('start')
    ret = cag.set_is_training(True)
    snap('set_true', ret)
    ret = cag.set_is_training(True)
    snap('set_true_again', ret)
    ret = cag.set_is_training(False)
    snap('set_false', ret)
    with cag.train_section():
        snap('train_section')
        with cag.test_section():
            snap('test_in_train')
        snap('after_test')
    snap('after_train')
    # the scope restores only when the previous recording flag differs from its own
    with mx.autograd.train_mode():
        with cag.test_section():
            snap('test_in_train_mode')
        snap('after_test_in_train_mode')
    snap('end')
    info['contrib_autograd_flags'] = flags

    x = mx.nd.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    y = mx.nd.array([[2.0, 3.0, -1.0], [0.5, -2.0, 1.0]])
    arrays['cag/x'], arrays['cag/y'] = x.asnumpy(), y.asnumpy()

    def f(a, b):
        return a * b + mx.nd.exp(a) * b * b

    grads, loss = cag.grad_and_loss(f)(x, y)
    arrays['cag/all/dx'], arrays['cag/all/dy'] = grads[0].asnumpy(), grads[1].asnumpy()
    arrays['cag/all/loss'] = loss.asnumpy()
    grads, loss = cag.grad_and_loss(f, argnum=1)(x, y)
    arrays['cag/arg1/dy'] = grads[0].asnumpy()
    grads = cag.grad(lambda a, b: [a * b, mx.nd.sin(a)], argnum=[0])(x, y)
    arrays['cag/two_outputs/dx'] = grads[0].asnumpy()
    # mark_variables + backward with head gradients, 'add' accumulating over two passes
    gx = mx.nd.ones(x.shape)
    cag.mark_variables([x], [gx], grad_reqs='add')
    head = mx.nd.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    for _ in range(2):
        with cag.train_section():
            z = x * x * 3
        cag.backward([z], [head])
    arrays['cag/add/dx'] = gx.asnumpy()
    gx2 = mx.nd.zeros(x.shape)
    cag.mark_variables([x], [gx2])
    with cag.train_section():
        z = mx.nd.sum(x * y)
    cag.compute_gradient([z])
    arrays['cag/compute_gradient/dx'] = gx2.asnumpy()
    info['contrib_autograd_errors'] = {
        'backward_not_list': outcome(lambda: cag.backward(z)),
        'grad_and_loss_numpy': outcome(lambda: cag.grad_and_loss(f)(x.asnumpy(), y)),
        'backward_length': outcome(lambda: cag.backward([z], [head, head])),
    }


def test_utils_cases(arrays, info):
    f16, f32, f64 = (np.zeros(2, dtype=d) for d in (np.float16, np.float32, np.float64))
    i32 = np.zeros(2, dtype=np.int32)
    tols = {}
    for label, x, y, rtol, atol in [
            ('f32_f64', f32, f64, None, None), ('f16_f32', f16, f32, None, None),
            ('i32_f64', i32, f64, None, None), ('i32_i32', i32, i32, None, None),
            ('nd_f32_f16', mx.nd.zeros(2), mx.nd.zeros(2, dtype='float16'), None, None),
            ('number_f32', 3.0, f32, None, None), ('given', f32, f16, 0.5, 0.25),
            ('dict', f32, f64, {np.dtype(np.float32): 0.2}, {np.dtype(np.float64): 0.3})]:
        tols[label] = list(tu.get_tols(x, y, rtol, atol))
    info['get_tols'] = tols
    info['get_tolerance'] = {
        'f32_default': tu.get_tolerance(f32, None, tu.default_rtols()),
        'f16_dict': tu.get_tolerance(f16, {np.dtype(np.float16): 0.7}, tu.default_atols()),
        'number': tu.get_tolerance(f16, 0.125, tu.default_atols()),
        'dict_miss': tu.get_tolerance(f64, {np.dtype(np.float16): 0.7}, tu.default_atols())}
    info['get_etol'] = [tu.get_etol(), tu.get_etol(0.25)]
    info['effective_dtype'] = [str(tu.effective_dtype(a)) for a in
                               (f16, f64, i32, mx.nd.zeros(1), mx.nd.zeros(1, dtype='uint8'))]
    info['default_dtype'] = np.dtype(tu.default_dtype()).name
    info['is_op_runnable'] = tu.is_op_runnable()
    buckets, probs = tu.gen_buckets_probs_with_ppf(lambda p: 4.0 * p - 1.0, 5)
    info['gen_buckets'] = {'buckets': [list(b) for b in buckets], 'probs': probs}
    info['gen_buckets_zero'] = outcome(lambda: tu.gen_buckets_probs_with_ppf(lambda p: p, 0))

    rng = np.random.RandomState(3)
    for label, shape, target in [('lead', (2, 3, 4), (3, 4)), ('ones', (2, 3, 4), (2, 1, 4)),
                                 ('mixed', (5, 2, 3), (1, 3)), ('same', (2, 3), (2, 3)),
                                 ('empty', (0, 3), (1, 3))]:
        a = rng.uniform(-1, 1, shape).astype(np.float32)
        arrays['collapse/%s/in' % label] = a
        arrays['collapse/%s/out' % label] = tu.collapse_sum_like(a, target)
    arrays['create_vector'] = tu.create_vector(5).asnumpy()
    arrays['create_vector_f32'] = tu.create_vector(4, dtype=np.float32).asnumpy()
    arrays['create_2d_tensor'] = tu.create_2d_tensor(3, 4).asnumpy()
    arrays['create_2d_tensor_i32'] = tu.create_2d_tensor(2, 5, dtype=np.int32).asnumpy()

    a = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    b = np.array([1.0, 2.0, 3.5, 4.0], np.float32)
    info['with_err'] = {
        'within_etol': outcome(lambda: tu.assert_almost_equal_with_err(a, b, etol=0.3)),
        'over_etol': outcome(lambda: tu.assert_almost_equal_with_err(a, b, etol=0.2)),
        'no_etol': outcome(lambda: tu.assert_almost_equal_with_err(a, b)),
        'nd': outcome(lambda: tu.assert_almost_equal_with_err(mx.nd.array(a), mx.nd.array(b), etol=0.25)),
        'exact_share': outcome(lambda: tu.assert_almost_equal_with_err(a, b, etol=0.25)),
        'rtol': outcome(lambda: tu.assert_almost_equal_with_err(a, b, rtol=0.2, etol=0.1)),
    }
    n1, n2 = mx.nd.array(a), mx.nd.array(b)
    info['compare_ndarray_tuple'] = {
        'same': outcome(lambda: tu.compare_ndarray_tuple((n1, (n1, n1)), (n1, (n1, n1)))),
        'nested_differs': outcome(lambda: tu.compare_ndarray_tuple((n1, (n1, n1)), (n1, (n1, n2)))),
        'none': outcome(lambda: tu.compare_ndarray_tuple(None, n2)),
        'loose': outcome(lambda: tu.compare_ndarray_tuple((n1,), (n2,), rtol=0.5, atol=0)),
        'zip_shorter': outcome(lambda: tu.compare_ndarray_tuple((n1,), (n1, n2))),
    }
    info['compare_optimizer'] = {
        'sgd_same': outcome(lambda: tu.compare_optimizer(
            mx.optimizer.SGD(learning_rate=0.1, momentum=0.9), mx.optimizer.SGD(learning_rate=0.1, momentum=0.9),
            (3, 4), np.float32)),
        'sgd_lr_differs': outcome(lambda: tu.compare_optimizer(
            mx.optimizer.SGD(learning_rate=0.1), mx.optimizer.SGD(learning_rate=0.2), (3, 4), np.float32)),
        'adam_states': outcome(lambda: tu.compare_optimizer(
            mx.optimizer.Adam(beta1=0.9), mx.optimizer.Adam(beta1=0.5), (2, 3), np.float32)),
        'adam_no_states': outcome(lambda: tu.compare_optimizer(
            mx.optimizer.Adam(beta1=0.9), mx.optimizer.Adam(beta1=0.5), (2, 3), np.float32,
            compare_states=False)),
    }
    x = mx.sym.var('x')
    ctx2 = [{'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float64}},
            {'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float32}}]
    fc = mx.sym.FullyConnected(x, num_hidden=4, name='fc')
    fc_ctx = [{'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float64}},
              {'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float32}},
              {'ctx': mx.cpu(0), 'x': (2, 3), 'type_dict': {'x': np.float16}}]
    tanh, sigm = mx.sym.tanh(x, name='y'), mx.sym.sigmoid(x, name='y')
    info['check_consistency'] = {
        'tanh': outcome(lambda: tu.check_consistency(tanh, ctx2)),
        'fc': outcome(lambda: tu.check_consistency(fc, fc_ctx[:2])),
        'differs': outcome(lambda: tu.check_consistency([tanh, sigm], ctx2)),
        'output_names_differ': outcome(lambda: tu.check_consistency([mx.sym.tanh(x, name='a'), tanh], ctx2)),
        'one_ctx': outcome(lambda: tu.check_consistency(tanh, ctx2[:1])),
        'not_raise': outcome(lambda: tu.check_consistency([tanh, sigm], ctx2, raise_on_err=False)),
        'ground_truth_differs': outcome(lambda: tu.check_consistency(
            tanh, ctx2, grad_req='null', arg_params={'x': np.ones((2, 3))},
            ground_truth={'y_output': np.zeros((2, 3))})),
        'ground_truth_same': outcome(lambda: tu.check_consistency(
            tanh, ctx2, grad_req='null', arg_params={'x': np.ones((2, 3))},
            ground_truth={'y_output': np.tanh(np.ones((2, 3)))})),
    }
    info['check_speed_forward_type'] = type(tu.check_speed(mx.sym.tanh(x), ctx=mx.cpu(), N=2, x=(2, 3),
                                                            typ='forward')).__name__
    info['check_speed_bad_typ'] = outcome(lambda: tu.check_speed(mx.sym.tanh(x), ctx=mx.cpu(), x=(2, 3),
                                                                 typ='both'))
    info['chi_square_without_scipy'] = outcome(lambda: tu.chi_square_check(
        lambda n: np.zeros(n), [0, 1], [0.5, 0.5], nsamples=10))
    dummy = tu.DummyIter(mx.io.NDArrayIter(np.arange(12).reshape(6, 2), np.arange(6), batch_size=4))
    batches = [next(dummy) for _ in range(3)]
    info['dummy_iter'] = {'same_object': all(b is batches[0] for b in batches),
                          'data': batches[0].data[0].asnumpy().tolist(),
                          'batch_size': dummy.batch_size,
                          'provide_data': [[d.name, list(d.shape)] for d in dummy.provide_data]}
    info['util'] = {
        'getenv_unset': mx.util.getenv('MINIGLUON_SURFACE6_UNSET'),
        'cc_cpu': outcome(lambda: mx.util.get_cuda_compute_capability(mx.cpu())),
        'cc_gpu_no_device': outcome(lambda: mx.util.get_cuda_compute_capability(mx.gpu(0))),
    }
    mx.util.setenv('MINIGLUON_SURFACE6', 'abc')
    info['util']['getenv_after_setenv'] = mx.util.getenv('MINIGLUON_SURFACE6')
    mx.util.setenv('MINIGLUON_SURFACE6', None)
    info['util']['getenv_after_unset'] = mx.util.getenv('MINIGLUON_SURFACE6')


REC = os.path.join(ITERS, 'images.rec')
REC2 = os.path.join(ITERS, 'images2.rec')
IMAGE_CASES = [  # name, iterator, arguments (path_imgrec added), epochs
    ('u8', 'ImageRecordUInt8Iter', dict(data_shape=(3, 10, 12), batch_size=3), 2),
    ('u8_crop_mirror', 'ImageRecordUInt8Iter', dict(data_shape=(3, 6, 8), batch_size=4, mirror=True), 1),
    ('u8_norm_ignored', 'ImageRecordUInt8Iter', dict(data_shape=(3, 10, 12), batch_size=7, mean_r=10.0,
                                                     std_g=2.0, scale=0.5), 1),
    ('u8_resize', 'ImageRecordUInt8Iter', dict(data_shape=(3, 6, 8), resize=8, batch_size=7), 1),
    ('u8_gray_label2', 'ImageRecordUInt8Iter', dict(path_imgrec=REC2, data_shape=(1, 10, 12), batch_size=3,
                                                    label_width=2), 1),
    ('u8_dtype_ignored', 'ImageRecordUInt8Iter', dict(data_shape=(3, 10, 12), batch_size=7, dtype='float32'), 1),
    ('i8', 'ImageRecordInt8Iter', dict(data_shape=(3, 10, 12), batch_size=3), 1),
    ('i8_mean_mirror', 'ImageRecordInt8Iter', dict(data_shape=(3, 10, 12), batch_size=7, mean_r=10.5,
                                                   mean_g=200.0, mean_b=-50.25, std_r=3.0, scale=2.0,
                                                   mirror=True), 1),
    ('i8_mean_ties', 'ImageRecordInt8Iter', dict(data_shape=(3, 10, 12), batch_size=7, mean_r=0.5,
                                                 mean_g=-0.5, mean_b=1.5), 1),
    ('i8_gray', 'ImageRecordInt8Iter', dict(data_shape=(1, 6, 8), batch_size=4, mean_r=100.0), 1),
    ('rec_dtype_u8', 'ImageRecordIter', dict(data_shape=(3, 10, 12), batch_size=7, dtype='uint8',
                                             mean_r=10.0, rand_mirror=False), 1),
    ('rec_dtype_i8', 'ImageRecordIter', dict(data_shape=(3, 10, 12), batch_size=7, dtype='int8',
                                             mean_g=20.0, std_g=4.0), 1),
    ('rec_v1', 'ImageRecordIter_v1', dict(data_shape=(3, 10, 12), batch_size=3, mean_r=10.0, std_r=2.0,
                                          mirror=True), 1),
    ('u8_v1', 'ImageRecordUInt8Iter_v1', dict(data_shape=(3, 10, 12), batch_size=3), 1),
    ('u8_v1_mirror_ignored', 'ImageRecordUInt8Iter_v1', dict(data_shape=(3, 10, 12), batch_size=7,
                                                             mirror=True, mean_r=10.0), 1),
]


def image_iters(arrays, info):
    cases = []
    for name, kind, kwargs, epochs in IMAGE_CASES:
        kw = dict(kwargs)
        kw.setdefault('path_imgrec', REC)
        it = getattr(mx.io, kind)(**kw)
        record = {'name': name, 'kind': kind, 'epochs': epochs,
                  'kwargs': dict(kwargs, path_imgrec=os.path.basename(kw['path_imgrec'])),
                  'provide_data': [[d.name, list(d.shape), np.dtype(d.dtype).name] for d in it.provide_data],
                  'provide_label': [[d.name, list(d.shape), np.dtype(d.dtype).name] for d in it.provide_label],
                  'batches': []}
        for epoch in range(epochs):
            for number, batch in enumerate(it):
                key = 'iter/%s/%d/%d' % (name, epoch, number)
                arrays[key] = batch.data[0].asnumpy()
                record['batches'].append({'key': key, 'pad': int(batch.pad),
                                          'label': batch.label[0].asnumpy().tolist(),
                                          'label_dtype': np.dtype(batch.label[0].dtype).name})
            it.reset()
        cases.append(record)
    info['image_iters'] = cases
    info['image_iter_errors'] = {
        dtype: outcome(lambda: mx.io.ImageRecordIter(path_imgrec=REC, data_shape=(3, 10, 12), batch_size=2,
                                                     dtype=dtype))
        for dtype in ('float16', 'float64', 'int32')}


def main():
    arrays, info = {}, {'mxnet_version': mx.__version__}
    fused_rnn(arrays, info)
    load(arrays, info)
    contrib_autograd(arrays, info)
    test_utils_cases(arrays, info)
    image_iters(arrays, info)
    np.savez_compressed(os.path.join(OUT, 'arrays.npz'), **arrays)
    with open(os.path.join(OUT, 'surface6.json'), 'w') as f:
        json.dump(info, f, indent=1, sort_keys=True)
    print('wrote %d arrays' % len(arrays))


if __name__ == '__main__':
    main()
