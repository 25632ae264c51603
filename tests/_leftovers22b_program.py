"""Programs run on minigluon by tests/test_leftovers22b_regressions.py and on MXNet 1.9.1 by
tools/gen_leftovers22b_fixtures.py (``mx`` is either package): each returns JSON-able results.

They cover what earlier trials left: the default batchify function given a tuple and then a
NumPy array, ``Resize`` / ``CenterCrop`` sizes given as a string or a whole float, the errors of
recurrent layers given the wrong states, Symbol methods that only an NDArray has, and the
Module-era ``mx.rnn.encode_sentences`` / ``BucketSentenceIter``."""
import random

import numpy as np


def _exception_classes(e):
    return [c.__name__ for c in (AssertionError, TypeError, ValueError, RuntimeError)
            if isinstance(e, c)]


def _outcome(fn):
    """``fn()``'s result as nested lists (an NDArray as ``[dtype, values]``), or, when it
    raises, ``{'raised': [...]}``: which of AssertionError, TypeError, ValueError and
    RuntimeError the exception is an instance of."""
    def plain(v):
        if isinstance(v, (list, tuple)):
            return [plain(i) for i in v]
        if isinstance(v, (int, float, str)):
            return v
        return [np.dtype(v.dtype).name, v.asnumpy().tolist()]
    try:
        return plain(fn())
    except Exception as e:     # noqa: BLE001 -- an error is a result here
        return {'raised': _exception_classes(e)}


def batchify_tuple_then_array(mx):
    """A tuple sample, then a NumPy array (or a list) as the second sample of the batch."""
    batches = {
        'tuple_then_numpy': lambda: [(1, 2.5), np.array([3, 4])],
        'tuple_then_float_numpy': lambda: [(1, 2), np.array([3.5, 4.5], dtype='float32')],
        'tuple_of_arrays_then_2d_numpy': lambda: [(np.ones(2), np.zeros(2)),
                                                  np.arange(4.0).reshape(2, 2)],
        'tuple_then_numpy_then_list': lambda: [(1, 2), np.array([3, 4]), [5, 6]],
        'tuple_then_ragged_numpy': lambda: [(np.ones(2), 1), np.arange(4.0).reshape(2, 2)],
    }
    batchify = mx.gluon.data.dataloader.default_batchify_fn
    out = {}
    for name, make in batches.items():
        out[name] = _outcome(lambda: batchify(make()))
    return out


def image_sizes(mx):
    """``Resize(size)`` and ``CenterCrop(size)`` on a (4, 5, 3) uint8 image, for sizes given as
    a string or a float: the output shape and values, or the exception classes."""
    T = mx.gluon.data.vision.transforms
    img = mx.nd.array(np.arange(60).reshape(4, 5, 3), dtype='uint8')
    resize = {'"2"': '2', '" 2 "': ' 2 ', '"(2, 3)"': '(2, 3)', '"[2, 3]"': '[2, 3]',
              '"(2,)"': '(2,)', '"2,3"': '2,3', '"2.0"': '2.0', '"a"': 'a', '"0"': '0',
              '"(2, 3, 4)"': '(2, 3, 4)', '"()"': '()'}
    crop = {'2.0': 2.0, 'float64_2': np.float64(2), '(2.0, 3)': (2.0, 3), '(3, 2.0)': (3, 2.0),
            '2.5': 2.5, '"2"': '2'}
    out = {}
    for name, size in resize.items():
        out['Resize/' + name] = _outcome(lambda size=size: [T.Resize(size)(img)])
        out['Resize/keep_ratio/' + name] = _outcome(
            lambda size=size: [T.Resize(size, keep_ratio=True)(img)])
    for name, size in crop.items():
        out['CenterCrop/' + name] = _outcome(lambda size=size: [T.CenterCrop(size)(img)])
    return out


def rnn_state_errors(mx):
    """Recurrent layers called with the wrong number of states, eagerly and hybridized: the
    exception classes."""
    nd = mx.nd
    x = nd.ones((3, 2, 4))
    R = mx.gluon.rnn
    cases = {
        'lstm_one_state': (R.LSTM, lambda: nd.zeros((1, 2, 5))),
        'lstm_one_state_in_list': (R.LSTM, lambda: [nd.zeros((1, 2, 5))]),
    }
    out = {}
    for name, (layer, states) in cases.items():
        for hybrid in (False, True):
            def call(layer=layer, states=states, hybrid=hybrid):
                net = layer(5)
                net.initialize()
                if hybrid:
                    net.hybridize()
                return net(x, states())[0]
            out['%s/%s' % (name, 'hybrid' if hybrid else 'eager')] = _outcome(call)
    return out


def symbol_ndarray_methods(mx):
    """NDArray-only methods called on a Symbol: the exception classes and whether the class is
    named NotImplementedForSymbol and is MXNetError's subclass."""
    s = mx.sym.var('x') + 1
    out = {}
    for name in ('wait_to_read', 'asnumpy', 'asscalar', 'copy', 'as_in_context', 'detach',
                 'backward'):
        try:
            getattr(s, name)()
            out[name] = 'ran'
        except Exception as e:     # noqa: BLE001 -- an error is a result here
            out[name] = [type(e).__name__, isinstance(e, mx.base.MXNetError),
                         _exception_classes(e)]
    out['NotImplementedForSymbol_bases'] = [
        c.__name__ for c in mx.base.NotImplementedForSymbol.__mro__
        if c.__name__ in ('MXNetError', 'RuntimeError')]
    return out


SENTENCES = [['the', 'cat', 'sat'], ['a', 'dog'], ['the', 'dog', 'ran', 'off'], ['a', 'cat'],
             ['cat', 'sat', 'on', 'the', 'mat'], ['dog'], ['the', 'cat'], ['a', 'dog', 'sat'],
             ['on', 'a', 'mat'], ['the', 'end'], ['mat', 'cat', 'dog', 'a', 'the', 'on', 'off'],
             ['sat', 'on']]


def encode_sentences(mx):
    """``mx.rnn.encode_sentences``: a new vocabulary (default and shifted labels), and encoding
    with a given one."""
    out = {}
    for name, kwargs in {'default': {}, 'start_1': {'start_label': 1},
                         'invalid_0': {'invalid_label': 0, 'invalid_key': '<eos>'},
                         'invalid_2_start_1': {'invalid_label': 2, 'start_label': 1}}.items():
        coded, vocab = mx.rnn.encode_sentences(SENTENCES, **kwargs)
        out[name] = [coded, sorted(vocab.items())]
    _, vocab = mx.rnn.encode_sentences(SENTENCES)
    out['given_vocab'] = mx.rnn.encode_sentences([['the', 'mat'], ['off']], vocab=vocab)[0]
    out['given_vocab_unknown_word'] = _outcome(
        lambda: mx.rnn.encode_sentences([['the', 'zebra']], vocab=dict(vocab))[0])
    return out


def _epoch(it):
    batches = []
    for batch in it:
        batches.append({
            'data': [[np.dtype(d.dtype).name, d.asnumpy().tolist()] for d in batch.data],
            'label': [[np.dtype(d.dtype).name, d.asnumpy().tolist()] for d in batch.label],
            'pad': batch.pad, 'bucket_key': batch.bucket_key,
            'provide_data': [[d.name, list(d.shape), d.layout] for d in batch.provide_data],
            'provide_label': [[d.name, list(d.shape), d.layout] for d in batch.provide_label]})
    return batches


def bucket_sentence_iter(mx):
    """``mx.rnn.BucketSentenceIter`` over the encoded sentences: buckets chosen automatically
    and given, both layouts, another dtype and names; two epochs each, seeded (Python's and
    NumPy's global generators shuffle the batches)."""
    coded, _ = mx.rnn.encode_sentences(SENTENCES, start_label=1, invalid_label=0)
    configs = {
        'auto_NT': dict(batch_size=2),
        'auto_TN': dict(batch_size=2, layout='TN'),
        'given_buckets': dict(batch_size=2, buckets=[3, 5]),
        'given_buckets_unsorted_int32': dict(batch_size=3, buckets=[6, 2, 4], dtype='int32',
                                             invalid_label=-1, data_name='words',
                                             label_name='next'),
        'batch_1': dict(batch_size=1, buckets=[4, 8]),
    }
    out = {}
    for name, kwargs in configs.items():
        random.seed(3)
        np.random.seed(3)
        it = mx.rnn.BucketSentenceIter(coded, **kwargs)
        out[name] = {
            'buckets': list(it.buckets), 'default_bucket_key': it.default_bucket_key,
            'provide_data': [[d.name, list(d.shape), d.layout] for d in it.provide_data],
            'provide_label': [[d.name, list(d.shape), d.layout] for d in it.provide_label],
            'epoch1': _epoch(it)}
        it.reset()
        out[name]['epoch2'] = _epoch(it)
    for layout in ('NTC', 'TNC', 'N'):
        out['layout_' + layout] = _outcome(
            lambda: type(mx.rnn.BucketSentenceIter(coded, 2, layout=layout)).__name__)
    return out


def run(mx):
    return {'batchify_tuple_then_array': batchify_tuple_then_array(mx),
            'image_sizes': image_sizes(mx),
            'rnn_state_errors': rnn_state_errors(mx),
            'symbol_ndarray_methods': symbol_ndarray_methods(mx),
            'encode_sentences': encode_sentences(mx),
            'bucket_sentence_iter': bucket_sentence_iter(mx)}
