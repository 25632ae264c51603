"""``mx.rnn.encode_sentences`` and ``mx.rnn.BucketSentenceIter``: the MXNet 1.x helpers that
bucketing language-model scripts use to turn tokenised sentences into batches of one length
(``python/mxnet/rnn/io.py``). The iterator speaks :mod:`minigluon.io`'s DataIter protocol: each
:class:`~minigluon.io.DataBatch` carries its ``bucket_key`` and its own ``provide_data`` /
``provide_label``, so a Gluon loop can pick the sequence length per batch."""
import bisect
import random
import warnings

import numpy as np

from minigluon import ndarray as nd
from minigluon.base import ValueAssertionError
from minigluon.io import DataBatch, DataDesc, DataIter

__all__ = ['encode_sentences', 'BucketSentenceIter']


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key='\n', start_label=0,
                     unknown_token=None):
    """Encode tokenised sentences as lists of integer ids, building the vocabulary as it goes.

    Parameters
    ----------
    sentences : list of list of str
        The sentences, each a list of tokens.
    vocab : dict of str to int, optional
        An existing vocabulary. Without it a new one is built: ``{invalid_key: invalid_label}``,
        then each new token, in order of first appearance, gets the next id from
        ``start_label`` up, skipping ``invalid_label``.
    invalid_label : int, default -1
        The id of ``invalid_key`` (the padding / end-of-sentence id).
    invalid_key : str, default '\\n'
    start_label : int, default 0
        The first id given to a token.
    unknown_token : str, optional
        With a given ``vocab``: the token that tokens missing from it are encoded as (added
        to the vocabulary, with the next free id, if it is not there). Without one, a missing
        token is an error.

    Returns
    -------
    (list of list of int, dict of str to int)
        The encoded sentences and the vocabulary (``vocab`` itself, updated, when given).

    Raises
    ------
    ValueAssertionError
        For a token missing from a given ``vocab`` when there is no ``unknown_token`` (MXNet
        1.9.1 asserts: an ``AssertionError``; this is also a ``ValueError``), naming it.

    Notes
    -----
    MXNet 1.9.1 gives every missing token its own new id for ``unknown_token`` (each one
    moving the vocabulary's ``unknown_token`` entry, counting from ``start_label`` so the new
    ids can collide with the given vocabulary's), and with a new vocabulary encodes every token
    as ``unknown_token``. Here ``unknown_token`` has one id, and is used only with a given
    vocabulary; without ``unknown_token`` the results are MXNet's.
    """
    new_vocab = vocab is None
    if new_vocab:
        vocab = {invalid_key: invalid_label}
        next_id = start_label
    else:
        next_id = max([start_label - 1] + [v for v in vocab.values()]) + 1

    def add(token):
        nonlocal next_id
        if next_id == invalid_label:
            next_id += 1
        vocab[token] = next_id
        next_id += 1
        return vocab[token]

    encoded = []
    for sentence in sentences:
        ids = []
        for token in sentence:
            if token in vocab:
                ids.append(vocab[token])
            elif new_vocab:
                ids.append(add(token))
            elif unknown_token is not None:
                ids.append(vocab[unknown_token] if unknown_token in vocab else add(unknown_token))
            else:
                raise ValueAssertionError(
                    'encode_sentences: token %r is not in the given vocab; pass unknown_token= '
                    'to encode such tokens as one id' % (token,))
        encoded.append(ids)
    return encoded, vocab


class BucketSentenceIter(DataIter):
    """Batches of encoded sentences of one length (a bucket) for a language model: the label
    at each step is the next token.

    Each sentence goes to the smallest bucket at least as long as it, padded with
    ``invalid_label``; sentences longer than the largest bucket are dropped (with a warning).
    Every batch holds ``batch_size`` sentences of one bucket (a bucket's last sentences that do
    not fill a batch are left out of the epoch). :meth:`reset` shuffles the order of the batches
    (Python's ``random``) and the sentences within each bucket (NumPy's global generator), so
    seeding both gives MXNet 1.9.1's batches.

    Parameters
    ----------
    sentences : list of list of int
        Encoded sentences (:func:`encode_sentences`).
    batch_size : int
    buckets : list of int, optional
        The bucket lengths. By default every sentence length that at least ``batch_size``
        sentences have. Buckets that no sentence falls in are dropped.
    invalid_label : int, default -1
        The padding id, also the label of each sentence's last step.
    data_name, label_name : str, default 'data', 'softmax_label'
    dtype : str, default 'float32'
        Of the data and label arrays.
    layout : str, default 'NT'
        ``'NT'``: batches of shape ``(batch_size, length)``; ``'TN'``: ``(length, batch_size)``
        (MXNet reads only where ``'N'`` is: at 0 or 1).

    Attributes
    ----------
    buckets : list of int
    default_bucket_key : int
        The largest bucket; ``provide_data`` / ``provide_label`` describe batches of it.

    Raises
    ------
    ValueError
        For a ``layout`` without ``'N'`` at position 0 or 1, or when there is no bucket (no
        length has ``batch_size`` sentences) or none gets a sentence (MXNet 1.9.1 fails with
        "max() arg is an empty sequence").
    """

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1, data_name='data',
                 label_name='softmax_label', dtype='float32', layout='NT'):
        super().__init__(batch_size)
        self.major_axis = layout.find('N')
        if self.major_axis not in (0, 1):
            raise ValueError("BucketSentenceIter: layout must be 'NT' (batch major) or 'TN' "
                             '(time major), got %r' % (layout,))
        if not buckets:
            counts = np.bincount([len(s) for s in sentences]) if len(sentences) else []
            buckets = [length for length, n in enumerate(counts) if n >= batch_size]
        buckets = sorted(buckets)
        if not buckets:
            raise ValueError('BucketSentenceIter: no bucket: no sentence length is shared by '
                             'batch_size=%d sentences (of %d); pass buckets=[...]'
                             % (batch_size, len(sentences)))
        padded = [[] for _ in buckets]
        discarded = 0
        for sentence in sentences:
            b = bisect.bisect_left(buckets, len(sentence))
            if b == len(buckets):
                discarded += 1
                continue
            row = np.full((buckets[b],), invalid_label, dtype=dtype)
            row[:len(sentence)] = sentence
            padded[b].append(row)
        if discarded:
            warnings.warn('BucketSentenceIter: discarded %d sentences longer than the largest '
                          'bucket (%d)' % (discarded, buckets[-1]), stacklevel=2)
        self.buckets = [length for length, rows in zip(buckets, padded) if rows]
        if not self.buckets:
            raise ValueError('BucketSentenceIter: no bucket holds a sentence (buckets %s, %d '
                             'sentences)' % (buckets, len(sentences)))
        self.data = [np.asarray(rows, dtype=dtype) for rows in padded if rows]
        self.data_name, self.label_name = data_name, label_name
        self.dtype, self.invalid_label, self.layout = dtype, invalid_label, layout
        self.default_bucket_key = max(self.buckets)
        self.provide_data = [self._desc(data_name, self.default_bucket_key)]
        self.provide_label = [self._desc(label_name, self.default_bucket_key)]
        # (bucket, first row) of every full batch
        self.idx = [(b, start) for b, rows in enumerate(self.data)
                    for start in range(0, len(rows) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.nddata, self.ndlabel = [], []
        self.reset()

    def _desc(self, name, length):
        shape = (self.batch_size, length) if self.major_axis == 0 else (length, self.batch_size)
        return DataDesc(name=name, shape=shape, layout=self.layout)

    def reset(self):
        """Start a new epoch: shuffle the batches and the sentences within each bucket."""
        self.curr_idx = 0
        random.shuffle(self.idx)
        for rows in self.data:
            np.random.shuffle(rows)
        self.nddata, self.ndlabel = [], []
        for rows in self.data:
            label = np.full_like(rows, self.invalid_label)
            label[:, :-1] = rows[:, 1:]
            self.nddata.append(nd.array(rows, dtype=self.dtype))
            self.ndlabel.append(nd.array(label, dtype=self.dtype))

    def next(self):
        """The next batch (a :class:`~minigluon.io.DataBatch` with ``bucket_key``);
        StopIteration at the end of the epoch."""
        if self.curr_idx == len(self.idx):
            raise StopIteration
        b, start = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[b][start:start + self.batch_size]
        label = self.ndlabel[b][start:start + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        length = self.buckets[b]
        return DataBatch([data], [label], pad=0, bucket_key=length,
                         provide_data=[self._desc(self.data_name, length)],
                         provide_label=[self._desc(self.label_name, length)])
