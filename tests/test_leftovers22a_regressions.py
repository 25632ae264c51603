"""Regressions of leftovers22a: differences from MXNet 1.9.1 left by earlier trials (integer
overflow in creation and arithmetic, non-number operands, CTC with excluded infeasible samples,
dtypes after a cast of a traced block, optimize_for with inputs that do not fit)."""
import fractions

import numpy as np
import pytest

from minigluon import nd


@pytest.mark.parametrize('other', [fractions.Fraction(1, 2), fractions.Fraction(2, 1)])
def test_power_with_a_fraction_is_a_type_error_naming_the_accepted_operands(other):
    """``x ** Fraction(1, 2)`` computed ``x ** 0.5`` (Fraction's reflected power converted
    itself); MXNet 1.9.1 raises TypeError for a Fraction with every operator."""
    x = nd.array([4.0, 9.0])
    for use in (lambda: x ** other, lambda: x + other, lambda: x * other):
        with pytest.raises(TypeError, match=r"Fraction.*a number \(int, float, bool or a NumPy "
                                            r"scalar\), an NDArray or a NumPy array"):
            use()
    y = x
    with pytest.raises(TypeError, match='Fraction'):
        y **= other
    np.testing.assert_array_equal(x.asnumpy(), [4, 9])


def _i(values, dtype):
    return nd.array(values, dtype=dtype)


# MXNet 1.9.1's numbers (tools-free: small cases read off MXNet and explained by its rule,
# float32 maths converted as a C cast on x86 does; the breaker22 fixture checks more)
@pytest.mark.parametrize('compute,want', [
    (lambda: _i([3, -3], 'int32') ** 19, [1162261504, -1162261504]),        # float32 rounding
    (lambda: _i([3, 5, 7], 'int32') ** 30, [-2147483648] * 3),             # out of range
    (lambda: _i([3], 'int64') ** 39, [4052555218645155840]),
    (lambda: _i([3], 'int64') ** _i([39], 'int64'), [4052555218645155840]),
    (lambda: _i([3, 5], 'int64') ** 50, [-9223372036854775808] * 2),
    (lambda: _i([10, 20, 3], 'uint8') ** 3, [232, 64, 27]),
    (lambda: _i([10, -20, 3], 'int8') ** _i([3, 3, 3], 'int8'), [-24, -64, 27]),
    (lambda: 3 ** _i([19, 20, 40, -1], 'int32'), [1162261504, -2147483648, -2147483648, 0]),
    (lambda: 3 ** _i([5, 6, 7], 'uint8'), [243, 217, 139]),
    (lambda: 2 ** _i([40, 3, -1], 'int32'), [-2147483648, 8, 0]),
    (lambda: _i([-8, 0], 'int32') ** _i([-1, -1], 'int32'), [0, -2147483648]),
    (lambda: (2 ** 30 + 1) / _i([1, 3, -7], 'int32'), [1073741824, 357913952, -153391696]),
    (lambda: 2 ** 40 / _i([3, 5, 7], 'int32'), [-715827904, -429496736, -306783392]),
    (lambda: (2 ** 60 + 1) / _i([1, 3], 'int64'), [1152921504606846976, 384307179655528448]),
    (lambda: 1 / _i([0, 2], 'int32'), [-2147483648, 0]),
    (lambda: -1 / _i([0, 2], 'int8'), [0, 0]),
    (lambda: 100 / _i([1, -3], 'int8'), [100, -33]),
    (lambda: 300 / _i([1, 2], 'uint8'), [44, 22]),
])
def test_integer_power_and_number_over_int_array_give_mxnets_numbers(compute, want):
    """Integer ``**`` (all three forms) and ``number / int_array`` wrapped around in integer
    arithmetic here (3 ** 30 as int32 was -1010140999); MXNet 1.9.1 computes them in float32 and
    converts back as C does (beyond the range: the smallest value)."""
    assert compute().asnumpy().tolist() == want


def test_integer_division_by_an_array_or_a_number_stays_exact():
    """What MXNet computes exactly stays exact: ``int_array / number`` and ``int / int`` arrays."""
    assert (_i([2 ** 30 + 1, 7], 'int32') / 3).asnumpy().tolist() == [357913941, 2]
    assert (_i([2 ** 53 + 1, 7], 'int64') / _i([1, 3], 'int64')).asnumpy().tolist() == \
        [2 ** 53 + 1, 2]


@pytest.mark.parametrize('dtype,value', [
    ('int32', 2 ** 70), ('int32', -2 ** 70), ('int64', 2 ** 70), ('int32', 2 ** 31),
    ('int32', 1e20), ('int32', float('nan')), ('int64', float('inf')), ('uint8', 300),
    ('uint8', -1), ('int8', 128)])
def test_a_number_that_does_not_fit_an_integer_dtype_is_refused_where_it_is_written(dtype, value):
    """``nd.full(s, 2**70, dtype='int32')`` wrote -2**31 (MXNet 1.9.1: 0), 300 as uint8 44,
    NaN -2**31, and so did ``x[:] = value``, ``_full`` and ``slice_assign_scalar``; ``nd.array``
    of such a number refused it as 'not a number'. Each now names its argument and the range."""
    info = np.iinfo(dtype)
    want = r'%s.* does not fit dtype %s \(%d to %d\)' % ('%s', dtype, info.min, info.max)
    with pytest.raises(ValueError, match=want % 'full: val'):
        nd.full((2,), value, dtype=dtype)
    with pytest.raises(ValueError, match=want % '_full: value'):
        nd._full(shape=(2,), value=value, dtype=dtype)
    with pytest.raises(TypeError, match=want % 'nd.array: .*; a number in source_array, value'):
        nd.array([1, value], dtype=dtype)       # MXNet's class where it refuses (NaN)
    x = nd.zeros((3,), dtype=dtype)
    for key in (slice(None), 0):
        with pytest.raises(ValueError, match=want % r'__setitem__: value'):
            x[key] = value
    with pytest.raises(ValueError, match=want % r'_slice_assign_scalar: scalar'):
        x.slice_assign_scalar(value, (0,), (2,), (None,))
    assert x.asnumpy().tolist() == [0, 0, 0]


def test_numbers_that_fit_are_written_truncated_toward_zero():
    assert nd.full((2,), 2.7, dtype='int32').asnumpy().tolist() == [2, 2]
    assert nd.full((1,), -128.9, dtype='int8').asnumpy().tolist() == [-128]
    assert nd.full((1,), 2 ** 53 + 1, dtype='int64').asnumpy().tolist() == [2 ** 53 + 1]
    assert nd.full((1,), 255, dtype='uint8').asnumpy().tolist() == [255]
    x = nd.zeros((2,), dtype='uint8')
    x[0] = 255.9
    assert x.asnumpy().tolist() == [255, 0]
    assert nd.array([2 ** 63 - 1], dtype='int64').asnumpy().tolist() == [2 ** 63 - 1]


def test_int64_clip_keeps_the_values_it_does_not_clip_exact():
    """``clip`` of int64 ``2**53 + 1`` to [0, 2**53 + 3] gave 2**53 (the result went through
    float64); MXNet 1.9.1 keeps it (9007199254740993); clipped values are the bounds."""
    x = nd.array([2 ** 53 + 1, 5, -3, 2 ** 40 + 1], dtype='int64')
    assert nd.clip(x, 0, 2 ** 53 + 3).asnumpy().tolist() == [2 ** 53 + 1, 5, 0, 2 ** 40 + 1]
    assert nd.clip(x, 0, 100).asnumpy().tolist() == [100, 5, 0, 100]
    assert nd.clip(nd.array([200, 7], dtype='uint8'), 10.5, 100.7).asnumpy().tolist() == [100, 10]
    assert nd.clip(x, float('nan'), 10).asnumpy().tolist() == [10, 5, -3, 10]


def test_int64_arithmetic_with_a_python_int_beyond_2_53_is_exact():
    """MXNet 1.9.1 hands the scalar over as a double (``int64 + (2**53 + 1)`` adds 2**53 there,
    ``(2**53 + 1) % 3`` is 2); minigluon keeps a Python int of the dtype's range exact."""
    b = nd.array([0, 1], dtype='int64')
    big = 2 ** 53 + 1
    assert (b + big).asnumpy().tolist() == [big, big + 1]
    assert (big - b).asnumpy().tolist() == [big, big - 1]
    assert (b * big).asnumpy().tolist() == [0, big]
    assert nd.maximum(b, big).asnumpy().tolist() == [big, big]
    assert (nd.array([big], dtype='int64') % 3).asnumpy().tolist() == [0]
    assert (nd.array([big], dtype='int64') == big).asnumpy().tolist() == [1]


def test_ctc_loss_infer_type_leaves_the_labels_and_lengths_unknown():
    """``sym.CTCLoss(data, label).infer_type(data='float16')`` filled float32 for the label;
    MXNet 1.9.1 cannot infer it: infer_type returns ``(None, None, None)`` and
    infer_type_partial the label (and lengths) as None, the output as data's dtype."""
    from minigluon import sym
    d, lab = sym.var('data'), sym.var('label')
    plain = sym.CTCLoss(d, lab)
    lens = sym.CTCLoss(d, lab, sym.var('dl'), sym.var('ll'), use_data_lengths=True,
                       use_label_lengths=True)
    f16 = np.dtype('float16')
    with pytest.warns(UserWarning, match=r"Cannot decide type .*\['label'\]"):     # as MXNet
        assert plain.infer_type(data='float16') == (None, None, None)
    with pytest.warns(UserWarning, match=r"Cannot decide type .*\['dl', 'll'\]"):
        assert lens.infer_type(data='float16', label='int32') == (None, None, None)
    assert plain.infer_type_partial(data='float16') == ([f16, None], [f16], [])
    assert lens.infer_type_partial(data='float64') == (
        [np.dtype('float64'), None, None, None], [np.dtype('float64')], [])
    assert plain.infer_type(data='float16', label='int32') == (
        [f16, np.dtype('int32')], [f16], [])


@pytest.mark.parametrize('hybridize', [False, True])
@pytest.mark.parametrize('weight_shape', [(3,), (3, 1)])
def test_ctc_loss_of_an_excluded_infeasible_sample_is_zero(hybridize, weight_shape):
    """A label that cannot be aligned to its frames (1, 1, 1 needs 5 frames, there are 4) has
    loss +inf; with ``sample_weight`` 0 for it the user excluded it, but ``inf * 0`` made its
    loss NaN. Now 0, its gradient 0, and the others' loss and gradient unchanged (numerically
    checked). MXNet 1.9.1 gives 0 here too (its CPU kernel reports 0 for any infeasible sample,
    weighted or not, with a NaN gradient)."""
    from minigluon import autograd, gluon
    from minigluon.test_utils import check_gradient
    rs = np.random.RandomState(0)
    pred = rs.randn(3, 4, 4)
    label = nd.array([[1, 1, 1, -1], [1, 2, -1, -1], [0, -1, -1, -1]])
    weights = nd.array([0.0, 1.0, 0.5]).reshape(weight_shape)
    loss = gluon.loss.CTCLoss()
    if hybridize:
        loss.hybridize()
    plain = loss(nd.array(pred), label).asnumpy()
    assert np.isinf(plain[0])
    got = loss(nd.array(pred), label, None, None, weights).asnumpy()
    np.testing.assert_allclose(got, [0.0, plain[1], 0.5 * plain[2]], rtol=1e-6)
    x = nd.array(pred)
    x.attach_grad()
    with autograd.record():
        out = loss(x, label, None, None, weights)
    out.backward()
    assert np.all(x.grad.asnumpy()[0] == 0) and np.isfinite(x.grad.asnumpy()).all()
    check_gradient(lambda p: loss(p, label, None, None, weights.astype('float64')), [pred],
                   rtol=1e-4, atol=1e-6)


def _traced_dense():
    from minigluon import gluon
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=2), gluon.nn.Dense(2, in_units=3))
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 2)))
    return net


def _exported_dtypes(net, tmp_path, name):
    import json
    sym_file, params_file = net.export(str(tmp_path / name))
    with open(sym_file) as f:
        nodes = json.load(f)['nodes']
    written = {n['name']: n['attrs']['__dtype__'] for n in nodes
               if n['op'] == 'null' and '__dtype__' in n.get('attrs', {})}
    saved = {k.split(':', 1)[1]: v.dtype for k, v in nd.load(params_file).items()}
    return written, saved


@pytest.mark.parametrize('how', ['Parameter.cast', 'load_parameters'])
def test_export_after_a_parameter_cast_of_a_traced_block_writes_the_new_dtype(how, tmp_path):
    """After ``Parameter.cast`` or ``load_parameters(..., cast_dtype=True, dtype_source='saved')``
    on a hybridized block already run, ``export`` wrote the old ``__dtype__`` ('0', float32)
    beside float64 parameters (MXNet 1.9.1 does the same; ``Block.cast`` re-traces). Now the
    graph is re-traced at the next call, and export writes the parameters' dtypes at once."""
    net = _traced_dense()
    if how == 'Parameter.cast':
        for p in net.collect_params().values():
            p.cast('float64')
    else:
        src = _traced_dense()
        src.cast('float64')
        src.save_parameters(str(tmp_path / 'src.params'))
        net.load_parameters(str(tmp_path / 'src.params'), cast_dtype=True, dtype_source='saved')
    written, saved = _exported_dtypes(net, tmp_path, 'before_call')
    assert {np.dtype(d) for d in saved.values()} == {np.dtype('float64')}
    assert written == {name: '1' for name in saved}            # 1: float64's type flag
    out = net(nd.ones((1, 2), dtype='float64'))
    assert out.dtype == np.float64
    from minigluon.symbol.infer import _attr_dtype
    graph_vars = [n for n in net._cached_graph[1]._nodes() if n.name in saved]
    assert [_attr_dtype(n) for n in graph_vars] == [np.dtype('float64')] * len(saved)
    written, _ = _exported_dtypes(net, tmp_path, 'after_call')
    assert written == {name: '1' for name in saved}


def test_optimize_for_refuses_inputs_that_do_not_fit_the_initialised_parameters():
    """``optimize_for(x)`` with ``x`` of 5 features for a Dense(3, in_units=2) built the graph
    and only the first call refused it; MXNet 1.9.1 refuses at optimize_for (MXNetError,
    'Shape inconsistent, Provided = [3,2], inferred shape=(3,5)'). Now optimize_for raises the
    call's error (a ValueError and an MXNetError) naming the layer, the input and the shapes."""
    from minigluon import gluon
    from minigluon.base import MXNetError
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=2), gluon.nn.Dense(2))
    net.initialize()
    net(nd.ones((1, 2)))
    with pytest.raises(ValueError, match=r"hybridsequential\d+_dense0 \(Dense\).*data=\(1, 5\), "
                                         r"weight=\(3, 2\).*expected \(3, 5\)") as info:
        net.optimize_for(nd.ones((1, 5)), backend='MKLDNN')
    assert isinstance(info.value, MXNetError)
    net.optimize_for(nd.ones((4, 2)), backend='MKLDNN')        # what fits still builds
    assert net(nd.ones((4, 2))).shape == (4, 2)
    single = gluon.nn.Dense(3, in_units=2)
    single.initialize()
    with pytest.raises(ValueError, match=r'dense\d+ \(Dense\).*data=\(1, 5\)'):
        single.optimize_for(nd.ones((1, 5)), backend='MKLDNN')
