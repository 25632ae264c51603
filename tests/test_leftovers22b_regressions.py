"""Regressions left by earlier trials and fixed by leftovers22b: a tuple then a NumPy array in one
batch, ``Resize`` / ``CenterCrop`` sizes as strings or whole floats, the exception classes of
recurrent layers given the wrong states, NDArray-only methods on a Symbol, and the Module-era
``mx.rnn.encode_sentences`` / ``BucketSentenceIter``. MXNet's results come from
tools/gen_leftovers22b_fixtures.py (tests/_leftovers22b_program.py run on MXNet 1.9.1)."""
import os
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.dirname(__file__))
import _leftovers22b_program as program  # noqa: E402
from _breaker import as_json, mxnet_fixture, same_json  # noqa: E402


def _want(section):
    return mxnet_fixture('leftovers22b')[section]


@pytest.mark.parametrize('case', sorted(_want('batchify_tuple_then_array')))
def test_default_batchify_zips_a_numpy_array_beside_tuples(case):
    """``[(1, 2.5), np.array([3, 4])]`` was refused ("sample 0 of the batch is a tuple and
    sample 1 is ndarray"); MXNet 1.9.1 zips the array's rows into the tuple's fields, as
    minigluon does now. Rows of different shapes in one field (MXNet: a KeyError from its dtype
    table) are a ValueError naming the shapes."""
    got = as_json(program.batchify_tuple_then_array(mx)[case])
    want = _want('batchify_tuple_then_array')[case]
    if case == 'tuple_then_ragged_numpy':
        assert want == {'raised': []}       # KeyError: <class 'numpy.object_'>
        assert got == {'raised': ['ValueError']}
        return
    same_json(got, want, case)


def test_default_batchify_still_refuses_a_numpy_array_of_another_length_beside_tuples():
    with pytest.raises(ValueError, match='sample 0 of the batch has 2 fields and sample 1 has 3'):
        mx.gluon.data.dataloader.default_batchify_fn([(1, 2), np.array([3, 4, 5])])
    with pytest.raises(TypeError, match='sample 1 is numpy.float64'):
        mx.gluon.data.dataloader.default_batchify_fn([(1, 2), np.float64(3)])


@pytest.mark.parametrize('case', sorted(_want('image_sizes')))
def test_resize_takes_size_as_text_and_center_crop_whole_floats(case):
    """``Resize('2')`` / ``Resize('(2, 3)')`` and ``CenterCrop(2.0)`` / ``CenterCrop((2.0, 3))``
    were refused ("size must be a positive int or (width, height)"); MXNet 1.9.1 takes them (the
    text goes to its resize operator; a whole float crop size works while no resize is needed).
    Now they give MXNet's pixels. What MXNet refuses (``Resize('2,3')``, ``Resize('2.0')``,
    ``CenterCrop(2.5)``, ``CenterCrop('2')``) stays a ValueError naming ``size``."""
    got = as_json(program.image_sizes(mx)[case])
    want = _want('image_sizes')[case]
    if isinstance(want, dict):
        assert got == {'raised': ['ValueError']}, case
        cls, size = case.split('/')[0], case.split('/')[-1]
        size = size[1:-1] if size.startswith('"') else float(size)
        with pytest.raises(ValueError, match=r'%s: size must be .* got %s$'
                           % (cls, __import__('re').escape(repr(size)))):
            getattr(mx.gluon.data.vision.transforms, cls)(size)
    else:
        same_json(got, want, case)


def test_center_crop_whole_float_size_also_when_the_window_is_resized():
    """MXNet 1.9.1 fails when a whole-float size needs a resize ("expect int but value='6.0'");
    here the same as the int size."""
    T = mx.gluon.data.vision.transforms
    img = mx.nd.array(np.arange(60).reshape(4, 5, 3), dtype='uint8')
    assert (T.CenterCrop(6.0)(img).asnumpy() == T.CenterCrop(6)(img).asnumpy()).all()
    assert repr(T.Resize('(2, 3)')) == repr(T.Resize((2, 3)))


@pytest.mark.parametrize('case', sorted(_want('rnn_state_errors')))
def test_a_recurrent_layer_given_too_few_states_raises_mxnets_classes(case):
    """An LSTM given one state array (bare or in a list) raised ``MXNetValueError`` only;
    MXNet 1.9.1 raises an ``MXNetError`` eagerly and an ``AssertionError`` hybridized. Now one
    class that is both (and a ValueError), with the message naming what is wanted."""
    want = _want('rnn_state_errors')[case]
    got = as_json(program.rnn_state_errors(mx)[case])
    assert set(want['raised']) <= set(got['raised']), (case, got)
    assert set(got['raised']) == {'AssertionError', 'ValueError', 'RuntimeError'}
    net = mx.gluon.rnn.LSTM(5)
    net.initialize()
    if case.endswith('hybrid'):
        net.hybridize()
    with pytest.raises(mx.base.MXNetError, match=r'LSTM: states must be a list of 2 arrays '
                                                 r'\[h, c\], got 1'):
        net(mx.nd.ones((3, 2, 4)), mx.nd.zeros((1, 2, 5)))


@pytest.mark.parametrize('method', sorted(set(_want('symbol_ndarray_methods'))
                                          - {'NotImplementedForSymbol_bases'}))
def test_ndarray_only_methods_on_a_symbol_raise_not_implemented_for_symbol(method):
    """``sym.asnumpy()``, ``sym.detach()``, ``sym.backward()``... were AttributeErrors (and
    ``hasattr`` False); MXNet 1.9.1 defines them on Symbol to raise ``NotImplementedForSymbol``
    (an ``MXNetError``), as minigluon does now, naming the method and what to write instead."""
    want = _want('symbol_ndarray_methods')
    assert as_json(program.symbol_ndarray_methods(mx)[method]) == want[method]
    assert program.symbol_ndarray_methods(mx)['NotImplementedForSymbol_bases'] == \
        want['NotImplementedForSymbol_bases']
    hint = {'asnumpy': 'a Symbol holds no values while a graph is traced',
            'detach': r'F\.stop_gradient\(x\)', 'copy': r'F\.identity\(x\)',
            'backward': r'backward\(\) on the NDArray'}.get(method, '')
    with pytest.raises(mx.base.NotImplementedForSymbol,
                       match=r'^Symbol\.%s is only available on an NDArray.*%s' % (method, hint)):
        getattr(mx.sym.var('x'), method)()


def test_truth_value_of_a_symbol_is_not_implemented_for_symbol_and_a_type_error():
    with pytest.raises(mx.base.NotImplementedForSymbol, match='truth value of a Symbol'):
        bool(mx.sym.var('x'))
    with pytest.raises(TypeError, match='truth value of a Symbol is undefined'):
        bool(mx.sym.var('x') > 1)


def test_encode_sentences_gives_mxnets_ids_and_vocabulary():
    """``mx.rnn.encode_sentences`` was out of scope (AttributeError); MXNet 1.9.1's results for
    new vocabularies (shifted ids, an invalid label inside the range) and a given one."""
    want = _want('encode_sentences')
    got = as_json(program.encode_sentences(mx))
    assert want['given_vocab_unknown_word'] == {'raised': ['AssertionError']}
    assert got.pop('given_vocab_unknown_word') == {'raised': ['AssertionError', 'ValueError']}
    want = {k: v for k, v in want.items() if k != 'given_vocab_unknown_word'}
    same_json(got, want)
    with pytest.raises(ValueError, match="token 'zebra' is not in the given vocab"):
        mx.rnn.encode_sentences([['zebra']], vocab={'a': 0})


def test_encode_sentences_unknown_token_has_one_id():
    """MXNet 1.9.1 gives each unknown token a new id (from start_label, colliding with the
    given vocabulary's); here ``unknown_token`` is one entry, added once with the next free id."""
    coded, vocab = mx.rnn.encode_sentences([['a', 'x', 'b', 'y', '<unk>']],
                                           vocab={'\n': -1, 'a': 0, 'b': 1},
                                           unknown_token='<unk>')
    assert coded == [[0, 2, 1, 2, 2]] and vocab == {'\n': -1, 'a': 0, 'b': 1, '<unk>': 2}
    coded, _ = mx.rnn.encode_sentences([['x']], vocab={'a': 0, '?': 7}, unknown_token='?')
    assert coded == [[7]]


@pytest.mark.parametrize('case', sorted(_want('bucket_sentence_iter')))
def test_bucket_sentence_iter_gives_mxnets_batches(case):
    """``mx.rnn.BucketSentenceIter`` was out of scope (AttributeError); now MXNet 1.9.1's
    buckets, shapes, descriptions, data and shifted labels, batch for batch over two seeded
    epochs, in both layouts (and the layouts MXNet reads by the place of 'N' alone)."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', 'BucketSentenceIter: discarded')
        got = as_json(program.bucket_sentence_iter(mx)[case])
    same_json(got, _want('bucket_sentence_iter')[case], case)


def test_bucket_sentence_iter_refuses_a_bad_layout_and_no_bucket():
    coded = [[1, 2], [3, 4], [5]]
    with pytest.raises(ValueError, match="layout must be 'NT' .* or 'TN' .* got 'CT'"):
        mx.rnn.BucketSentenceIter(coded, 2, layout='CT')
    with pytest.raises(ValueError, match='no bucket: no sentence length is shared by '
                                         'batch_size=3 sentences'):
        mx.rnn.BucketSentenceIter(coded, 3)
    with pytest.raises(ValueError, match=r'no bucket holds a sentence \(buckets \[1\]'), \
            pytest.warns(UserWarning, match='discarded 1 sentences'):
        mx.rnn.BucketSentenceIter([[1, 2]], 1, buckets=[1])
    with pytest.warns(UserWarning, match=r'discarded 2 sentences longer than the largest bucket '
                                         r'\(1\)'):
        mx.rnn.BucketSentenceIter(coded, 1, buckets=[1])
    buckets = [4, 2]
    it = mx.rnn.BucketSentenceIter(coded, 1, buckets=buckets)
    assert buckets == [4, 2] and it.buckets == [2]       # the caller's list is not sorted
    batch = next(iter(it))
    assert isinstance(batch, mx.io.DataBatch) and isinstance(batch.provide_data[0], mx.io.DataDesc)
    assert batch.provide_data[0].dtype == np.float32 and batch.index is None


def test_random_sampler_yields_python_ints_in_numpys_shuffle_order():
    """MXNet 1.9.1's RandomSampler (alone and under BatchSampler) yields numpy.int64, which
    json.dumps refuses; its other samplers yield ints. Here every sampler yields ints, in the
    order NumPy's seeded shuffle of arange gives (MXNet's)."""
    import json
    np.random.seed(5)
    want = np.arange(7)
    np.random.shuffle(want)
    np.random.seed(5)
    got = list(mx.gluon.data.RandomSampler(7))
    assert got == want.tolist() and all(type(i) is int for i in got)
    batches = list(mx.gluon.data.BatchSampler(mx.gluon.data.RandomSampler(5), 2, 'keep'))
    assert json.loads(json.dumps(batches)) == batches
    assert all(type(i) is int for b in batches for i in b)


@pytest.mark.parametrize('hybrid', [False, True])
@pytest.mark.parametrize('make, shape', [
    (lambda: mx.gluon.rnn.LSTM(3, input_size=4), (5, 2, 4)),
    (lambda: mx.gluon.rnn.GRU(3, num_layers=2, input_size=4), (5, 2, 4)),
    (lambda: mx.gluon.nn.Dense(3, in_units=4), (2, 4)),
    (lambda: mx.gluon.nn.Conv2D(3, 2, in_channels=4), (2, 4, 3, 3))])
def test_float32_layers_on_float64_data_compute_in_float64_alike(make, shape, hybrid):
    """MXNet 1.9.1 refuses float64 data in float32 RNN, Convolution and FullyConnected layers;
    here they all compute in the promoted dtype: the same numbers as the layer cast to float64
    (its float32 parameters are exact in float64), float32 parameter gradients."""
    net = make()
    net.initialize(mx.init.Uniform(0.5))
    if hybrid:
        net.hybridize()
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, shape), dtype='float64')
    with mx.autograd.record():
        out = net(x)
    out.backward()
    assert out.dtype == np.float64
    grads = {k: p.grad().asnumpy() for k, p in net.collect_params().items()}
    assert all(g.dtype == np.float32 for g in grads.values())
    net64 = make()
    net64.initialize()
    for (_, p), (_, q) in zip(sorted(net.collect_params().items()),
                              sorted(net64.collect_params().items())):
        q.set_data(p.data())
    net64.cast('float64')
    with mx.autograd.record():
        out64 = net64(x)
    out64.backward()
    np.testing.assert_allclose(out.asnumpy(), out64.asnumpy(), rtol=1e-12, atol=1e-12)
    for (k, g), (_, q) in zip(sorted(grads.items()), sorted(net64.collect_params().items())):
        np.testing.assert_allclose(g, q.grad().asnumpy(), rtol=1e-5, atol=1e-6, err_msg=k)
