"""Counting the tokens of a string (MXNet 1.9.1 ``mx.contrib.text.utils``)."""
import collections
import re


def count_tokens_from_str(source_str, token_delim=' ', seq_delim='\n', to_lower=False,
                          counter_to_update=None):
    """Count the tokens of ``source_str``.

    ``token_delim`` and ``seq_delim`` are regular expressions; the string is split on either of
    them and empty pieces are dropped. With ``to_lower`` the tokens are lower-cased first.
    Returns ``counter_to_update`` updated with the counts, or a new ``collections.Counter`` when
    it is None.
    """
    tokens = [t for t in re.split(token_delim + '|' + seq_delim, source_str) if t]
    if to_lower:
        tokens = [t.lower() for t in tokens]
    if counter_to_update is None:
        return collections.Counter(tokens)
    counter_to_update.update(tokens)
    return counter_to_update
