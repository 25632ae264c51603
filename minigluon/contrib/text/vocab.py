"""Token indexing (MXNet 1.9.1 ``mx.contrib.text.vocab.Vocabulary``)."""
import collections

from minigluon.base import TypeAssertionError, ValueAssertionError, integer_types

UNKNOWN_IDX = 0  # the unknown token always has index 0


class Vocabulary(object):
    """Indices for the tokens counted in ``counter``.

    Index 0 is ``unknown_token``, the ``reserved_tokens`` follow in their order, then the keys of
    ``counter`` from the most frequent down (ties in sorted token order), skipping those counted
    fewer than ``min_freq`` times, and at most ``most_freq_count`` of them (reserved tokens not
    counted).

    Parameters
    ----------
    counter : collections.Counter or None
        Token frequencies.
    most_freq_count : int or None
        Index at most this many tokens of ``counter``.
    min_freq : int, default 1
        Index only tokens counted at least this often; must be positive.
    unknown_token : hashable, default '<unk>'
        What every unknown token maps to.
    reserved_tokens : list or None
        Tokens always indexed (padding, begin / end of sentence); neither ``unknown_token`` nor
        duplicates.

    Raises
    ------
    ValueError
        (also an ``AssertionError``, as MXNet asserts) for a ``min_freq`` below 1 or bad
        ``reserved_tokens``; a ``counter`` that is not a ``collections.Counter`` raises
        ``TypeError`` (also an ``AssertionError``).
    """

    def __init__(self, counter=None, most_freq_count=None, min_freq=1, unknown_token='<unk>',
                 reserved_tokens=None):
        if not min_freq > 0:
            raise ValueAssertionError('Vocabulary: min_freq must be positive, got %r' % (min_freq,))
        if reserved_tokens is not None:
            if unknown_token in reserved_tokens:
                raise ValueAssertionError('Vocabulary: reserved_tokens cannot contain the '
                                          'unknown_token %r' % (unknown_token,))
            if len(set(reserved_tokens)) != len(reserved_tokens):
                raise ValueAssertionError('Vocabulary: reserved_tokens cannot contain duplicates, '
                                          'got %r' % (reserved_tokens,))
        self._unknown_token = unknown_token
        self._reserved_tokens = None if reserved_tokens is None else list(reserved_tokens)
        self._idx_to_token = [unknown_token] + list(reserved_tokens or [])
        self._token_to_idx = {token: idx for idx, token in enumerate(self._idx_to_token)}
        if counter is not None:
            self._index_counter_keys(counter, most_freq_count, min_freq)

    def _index_counter_keys(self, counter, most_freq_count, min_freq):
        if not isinstance(counter, collections.Counter):
            raise TypeAssertionError('Vocabulary: counter must be a collections.Counter, got %s'
                                     % type(counter).__name__)
        special = set(self._idx_to_token)
        token_freqs = sorted(counter.items(), key=lambda kv: kv[0])
        token_freqs.sort(key=lambda kv: kv[1], reverse=True)
        cap = len(special) + (len(counter) if most_freq_count is None else most_freq_count)
        for token, freq in token_freqs:
            if freq < min_freq or len(self._idx_to_token) == cap:
                break
            if token not in special:
                self._token_to_idx[token] = len(self._idx_to_token)
                self._idx_to_token.append(token)

    def __len__(self):
        return len(self._idx_to_token)

    @property
    def token_to_idx(self):
        """dict: each indexed token's index."""
        return self._token_to_idx

    @property
    def idx_to_token(self):
        """list: the indexed tokens, position = index."""
        return self._idx_to_token

    @property
    def unknown_token(self):
        """The token every unknown token maps to (index 0)."""
        return self._unknown_token

    @property
    def reserved_tokens(self):
        """list or None: the reserved tokens."""
        return self._reserved_tokens

    def to_indices(self, tokens):
        """The index of a token, or the list of indices of a list of tokens (0 for unknown ones)."""
        if isinstance(tokens, list):
            return [self._token_to_idx.get(token, UNKNOWN_IDX) for token in tokens]
        return self._token_to_idx.get(tokens, UNKNOWN_IDX)

    def to_tokens(self, indices):
        """The token of an index, or the list of tokens of a list of indices.

        Raises ``ValueError`` for an index that is not an integer in ``[0, len(self))``.
        """
        single = not isinstance(indices, list)
        tokens = []
        for idx in ([indices] if single else indices):
            if (not isinstance(idx, integer_types) or isinstance(idx, bool)
                    or not 0 <= idx < len(self._idx_to_token)):
                raise ValueError('Vocabulary.to_tokens: token index %r is invalid: expected an '
                                 'int in [0, %d)' % (idx, len(self._idx_to_token)))
            tokens.append(self._idx_to_token[idx])
        return tokens[0] if single else tokens
