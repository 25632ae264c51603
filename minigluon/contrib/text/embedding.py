"""Token embeddings read from local text files (MXNet 1.9.1 ``mx.contrib.text.embedding``).

A pretrained-embedding file has one token per line followed by its vector's elements, all
separated by ``elem_delim``. An embedding is a :class:`~minigluon.contrib.text.vocab.Vocabulary`
with a vector per index (``idx_to_vec``, a float32 NDArray); index 0, the unknown token, gets
``init_unknown_vec`` unless the file has a line for it. Given ``vocabulary=``, the embedding is
re-indexed by that vocabulary and tokens missing from the file get the unknown vector.

Unlike MXNet 1.9.1, whose vectors are shifted by one row per reserved token when an embedding
file is read with ``reserved_tokens=``, reserved tokens get zero vectors and every token keeps its
own. ``GloVe`` and ``FastText`` read a file already at ``embedding_root/<glove|fasttext>/<name>``
(where MXNet caches its downloads); minigluon never downloads.
"""
import os
import warnings

from minigluon import ndarray as nd
from minigluon.base import NotSupportedError, TypeAssertionError, ValueAssertionError, data_dir
from minigluon.contrib.text import vocab
from minigluon.contrib.text.vocab import UNKNOWN_IDX

_REGISTRY = {}


def register(embedding_cls):
    """Class decorator: make ``embedding_cls`` available to :func:`create` by its lower-cased
    class name."""
    _REGISTRY[embedding_cls.__name__.lower()] = embedding_cls
    return embedding_cls


def create(embedding_name, **kwargs):
    """An instance of the registered embedding class ``embedding_name`` (``'glove'``,
    ``'fasttext'``) made with ``kwargs``; an unregistered name raises ``ValueError`` (also an
    ``AssertionError``, as MXNet asserts)."""
    name = embedding_name.lower()
    if name not in _REGISTRY:
        raise ValueAssertionError('embedding.create: %r is not registered; registered: %s'
                                  % (embedding_name, ', '.join(sorted(_REGISTRY))))
    return _REGISTRY[name](**kwargs)


def _default_root():
    return os.path.join(data_dir(), 'embeddings')


class _TokenEmbedding(vocab.Vocabulary):
    """Base of the embeddings: a Vocabulary with ``idx_to_vec`` and ``vec_len``."""

    def __init__(self, **kwargs):
        super(_TokenEmbedding, self).__init__(**kwargs)
        self._idx_to_vec = None
        self._vec_len = None

    def _load_embedding(self, pretrained_file_path, elem_delim, init_unknown_vec,
                        encoding='utf8'):
        """Index the tokens of the file after the ones already indexed and read their vectors."""
        path = os.path.expanduser(pretrained_file_path)
        if not os.path.isfile(path):
            raise ValueError('pretrained_file_path must be a path to a pre-trained token '
                             'embedding file, got %r' % (pretrained_file_path,))
        rows, unknown_row, seen = [], None, set()
        with open(path, 'r', encoding=encoding) as f:
            for line_num, line in enumerate(f, 1):
                elems = line.rstrip().split(elem_delim)
                if len(elems) < 2:
                    raise ValueAssertionError('line %d of the embedding file %s: expected a '
                                              'token and its vector' % (line_num, path))
                token, vec = elems[0], [float(e) for e in elems[1:]]
                if token == self._unknown_token and unknown_row is None:
                    unknown_row = vec
                    seen.add(token)
                elif token in seen or token in self._token_to_idx:
                    warnings.warn('line %d of the embedding file: a second vector for token %r '
                                  'is skipped' % (line_num, token))
                elif len(vec) == 1:
                    warnings.warn('line %d of the embedding file: token %r with a 1-element '
                                  'vector is likely a header and is skipped' % (line_num, token))
                else:
                    if rows and len(vec) != len(rows[0]):
                        raise ValueAssertionError(
                            'line %d of the embedding file: token %r has %d elements, the '
                            'tokens before it %d' % (line_num, token, len(vec), len(rows[0])))
                    rows.append(vec)
                    seen.add(token)
                    self._token_to_idx[token] = len(self._idx_to_token)
                    self._idx_to_token.append(token)
        if not rows:
            raise ValueError('the embedding file %s holds no token vectors' % path)
        self._vec_len = len(rows[0])
        n_special = len(self._idx_to_token) - len(rows)  # the unknown and reserved tokens
        vecs = nd.concat(nd.zeros((n_special, self._vec_len)), nd.array(rows), dim=0)
        vecs[UNKNOWN_IDX] = (init_unknown_vec(shape=self._vec_len) if unknown_row is None
                             else nd.array(unknown_row))
        self._idx_to_vec = vecs

    def _index_tokens_from_vocabulary(self, vocabulary):
        self._token_to_idx = dict(vocabulary.token_to_idx)
        self._idx_to_token = list(vocabulary.idx_to_token)
        self._unknown_token = vocabulary.unknown_token
        self._reserved_tokens = (None if vocabulary.reserved_tokens is None
                                 else list(vocabulary.reserved_tokens))

    def _set_idx_to_vec_by_embeddings(self, token_embeddings, vocab_len, vocab_idx_to_token):
        """Vectors for ``vocab_idx_to_token``: the embeddings' vectors side by side, row 0 each
        embedding's unknown vector."""
        parts = []
        for embed in token_embeddings:
            rest = (embed.get_vecs_by_tokens(vocab_idx_to_token[1:]) if vocab_len > 1
                    else nd.zeros((0, embed.vec_len)))
            parts.append(nd.concat(embed.idx_to_vec[0:1], rest, dim=0))
        self._idx_to_vec = nd.concat(*parts, dim=1)
        self._vec_len = self._idx_to_vec.shape[1]

    def _build_embedding_for_vocabulary(self, vocabulary):
        if vocabulary is not None:
            if not isinstance(vocabulary, vocab.Vocabulary):
                raise TypeAssertionError('vocabulary must be a mx.contrib.text.vocab.Vocabulary, '
                                         'got %s' % type(vocabulary).__name__)
            self._set_idx_to_vec_by_embeddings([self], len(vocabulary), vocabulary.idx_to_token)
            self._index_tokens_from_vocabulary(vocabulary)

    @property
    def vec_len(self):
        """int: the length of each vector."""
        return self._vec_len

    @property
    def idx_to_vec(self):
        """NDArray of shape (len(self), vec_len): the vector of each index."""
        return self._idx_to_vec

    def get_vecs_by_tokens(self, tokens, lower_case_backup=False):
        """The vector of a token (1-D), or the vectors of a list of tokens (2-D); unknown tokens
        get the unknown vector. With ``lower_case_backup`` a token not found as written is
        looked up lower-cased."""
        single = not isinstance(tokens, list)
        indices = []
        for token in ([tokens] if single else tokens):
            if token not in self._token_to_idx and lower_case_backup:
                token = token.lower()
            indices.append(self._token_to_idx.get(token, UNKNOWN_IDX))
        vecs = nd.Embedding(nd.array(indices), self._idx_to_vec, self._idx_to_vec.shape[0],
                            self._idx_to_vec.shape[1])
        return vecs[0] if single else vecs

    def update_token_vectors(self, tokens, new_vectors):
        """Replace the vectors of ``tokens`` (a token, or a list) by the rows of ``new_vectors``
        (an NDArray of shape (len(tokens), vec_len); 1-D for a single token).

        Raises ``ValueError`` for a token that is not indexed (name the unknown token itself to
        change its vector) and for ``new_vectors`` of the wrong kind or shape (also an
        ``AssertionError``, as MXNet asserts).
        """
        if not isinstance(tokens, list):
            tokens = [tokens]
        if not isinstance(new_vectors, nd.NDArray) or new_vectors.ndim not in (1, 2) or (
                new_vectors.ndim == 1 and len(tokens) != 1):
            raise ValueAssertionError('update_token_vectors: new_vectors must be a 2-D NDArray '
                                      '(1-D for a single token)')
        if new_vectors.ndim == 1:
            new_vectors = new_vectors.expand_dims(axis=0)
        if new_vectors.shape != (len(tokens), self._vec_len):
            raise ValueAssertionError('update_token_vectors: new_vectors must have shape %s, got '
                                      '%s' % ((len(tokens), self._vec_len), new_vectors.shape))
        for token in tokens:
            if token not in self._token_to_idx:
                raise ValueError('update_token_vectors: token %r is unknown; to update the '
                                 'unknown vector, name the unknown_token %r' % (
                                     token, self._unknown_token))
        for token, vec in zip(tokens, new_vectors):
            self._idx_to_vec[self._token_to_idx[token]] = vec


class CustomEmbedding(_TokenEmbedding):
    """The embedding in the local file ``pretrained_file_path`` (see the module's docstring).

    ``init_unknown_vec`` (called with ``shape=vec_len``) makes the unknown token's vector;
    ``vocabulary`` re-indexes the embedding by a Vocabulary; other keyword arguments
    (``unknown_token``, ``reserved_tokens``) go to :class:`Vocabulary`.
    """

    def __init__(self, pretrained_file_path, elem_delim=' ', encoding='utf8',
                 init_unknown_vec=nd.zeros, vocabulary=None, **kwargs):
        super(CustomEmbedding, self).__init__(**kwargs)
        self._load_embedding(pretrained_file_path, elem_delim, init_unknown_vec, encoding)
        self._build_embedding_for_vocabulary(vocabulary)


class _CachedFileEmbedding(_TokenEmbedding):
    """An embedding MXNet downloads; here read from the file already in its cache folder."""
    default_file_name = None

    def __init__(self, pretrained_file_name=None, embedding_root=None, init_unknown_vec=nd.zeros,
                 vocabulary=None, **kwargs):
        super(_CachedFileEmbedding, self).__init__(**kwargs)
        name = pretrained_file_name or self.default_file_name
        root = _default_root() if embedding_root is None else embedding_root
        path = os.path.join(os.path.expanduser(root), type(self).__name__.lower(), name)
        if not os.path.isfile(path):
            raise NotSupportedError(
                '%s: %s is not there and minigluon does not download; put the file there or '
                'load it with mx.contrib.text.embedding.CustomEmbedding(pretrained_file_path=...)'
                % (type(self).__name__, path))
        self._load_embedding(path, ' ', init_unknown_vec)
        self._build_embedding_for_vocabulary(vocabulary)


@register
class GloVe(_CachedFileEmbedding):
    """GloVe vectors from ``embedding_root/glove/<pretrained_file_name>`` (see the module's
    docstring)."""
    default_file_name = 'glove.840B.300d.txt'


@register
class FastText(_CachedFileEmbedding):
    """fastText vectors from ``embedding_root/fasttext/<pretrained_file_name>`` (see the
    module's docstring)."""
    default_file_name = 'wiki.simple.vec'


class CompositeEmbedding(_TokenEmbedding):
    """The vectors of several ``token_embeddings`` side by side, for the tokens of
    ``vocabulary``."""

    def __init__(self, vocabulary, token_embeddings):
        if not isinstance(vocabulary, vocab.Vocabulary):
            raise TypeAssertionError('CompositeEmbedding: vocabulary must be a Vocabulary, got %s'
                                     % type(vocabulary).__name__)
        if not isinstance(token_embeddings, list):
            token_embeddings = [token_embeddings]
        for embed in token_embeddings:
            if not isinstance(embed, _TokenEmbedding):
                raise TypeAssertionError('CompositeEmbedding: token_embeddings must be token '
                                         'embeddings, got %s' % type(embed).__name__)
        super(CompositeEmbedding, self).__init__()
        self._index_tokens_from_vocabulary(vocabulary)
        self._set_idx_to_vec_by_embeddings(token_embeddings, len(self), self._idx_to_token)
