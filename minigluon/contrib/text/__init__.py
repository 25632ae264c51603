"""``mx.contrib.text``: indexing text tokens and looking up their embedding vectors (MXNet 1.x's
pure-Python text helpers, used by "Dive into Deep Learning" and other 1.x-era NLP code).

``utils.count_tokens_from_str`` counts tokens in a string, ``vocab.Vocabulary`` indexes the
counted tokens, and ``embedding`` maps tokens to vectors read from a local text file
(``CustomEmbedding``, and ``GloVe`` / ``FastText`` from files already downloaded: minigluon
never downloads).
"""
from minigluon.contrib.text import utils  # noqa: F401
from minigluon.contrib.text import vocab  # noqa: F401
from minigluon.contrib.text import embedding  # noqa: F401

__all__ = ['utils', 'vocab', 'embedding']
