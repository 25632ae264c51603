"""mx.contrib.text: token counting, Vocabulary indexing and embeddings read from local files.

Expected values are derived by hand from the rules MXNet 1.9.1 follows (stated beside each);
tests/legacy/p51_d2l_nlp_word2vec_sentiment.py runs the module against MXNet-made output.
"""
import collections
import warnings

import numpy as np
import pytest

import minigluon as mx
from minigluon.base import NotSupportedError
from minigluon.contrib import text


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def test_count_tokens_splits_on_both_delimiters_and_drops_empty_pieces():
    counter = text.utils.count_tokens_from_str(' Life is great ! \n life is good . \n',
                                               to_lower=True)
    assert counter == collections.Counter({'life': 2, 'is': 2, 'great': 1, '!': 1, 'good': 1,
                                           '.': 1})
    same = text.utils.count_tokens_from_str('a*b\na', '\\*', '\n', counter_to_update=counter)
    assert same is counter and counter['a'] == 2 and counter['b'] == 1


def test_vocabulary_order_unknown_reserved_then_by_frequency_ties_sorted():
    counter = collections.Counter({'b': 2, 'a': 2, 'c': 3, 'd': 1, '<pad>': 5})
    v = text.vocab.Vocabulary(counter, reserved_tokens=['<pad>'])
    # '<unk>' first, the reserved token next (not indexed twice), then c (3), a and b (2, sorted),
    # d (1)
    assert v.idx_to_token == ['<unk>', '<pad>', 'c', 'a', 'b', 'd']
    assert v.token_to_idx['b'] == 4 and len(v) == 6
    assert v.to_indices(['d', 'zz']) == [5, 0] and v.to_indices('a') == 3
    assert v.to_tokens([2, 0]) == ['c', '<unk>'] and v.to_tokens(np.int64(1)) == '<pad>'
    # most_freq_count caps the counted tokens (the reserved ones are not counted); min_freq cuts
    # by frequency
    assert text.vocab.Vocabulary(counter, most_freq_count=2).idx_to_token == ['<unk>', '<pad>', 'c']
    assert text.vocab.Vocabulary(counter, min_freq=2).idx_to_token == ['<unk>', '<pad>', 'c', 'a',
                                                                       'b']


def test_vocabulary_bad_arguments():
    with pytest.raises(ValueError, match='min_freq'):
        text.vocab.Vocabulary(min_freq=0)
    with pytest.raises(AssertionError, match='reserved_tokens'):
        text.vocab.Vocabulary(reserved_tokens=['<unk>'])
    with pytest.raises(ValueError, match='duplicates'):
        text.vocab.Vocabulary(reserved_tokens=['x', 'x'])
    with pytest.raises(TypeError, match='collections.Counter'):
        text.vocab.Vocabulary({'a': 1})
    v = text.vocab.Vocabulary(collections.Counter('ab'))
    for bad in (3, -1, 1.0):
        with pytest.raises(ValueError, match='token index'):
            v.to_tokens(bad)


def test_custom_embedding_reads_the_file_and_keeps_reserved_tokens_aligned(tmp_path):
    path = write(tmp_path, 'vec.txt', ['hello 1 2', 'world 3 4'])
    # MXNet 1.9.1 gives the file's first vector to '<pad>' here (its rows are shifted by one per
    # reserved token); each token keeps its own vector, the reserved one zeros
    e = text.embedding.CustomEmbedding(path, reserved_tokens=['<pad>'])
    assert e.idx_to_token == ['<unk>', '<pad>', 'hello', 'world'] and e.vec_len == 2
    np.testing.assert_array_equal(e.get_vecs_by_tokens(['world', 'hello', '<pad>', 'zz']).asnumpy(),
                                  [[3, 4], [1, 2], [0, 0], [0, 0]])
    assert e.get_vecs_by_tokens('hello').shape == (2,)


def test_custom_embedding_unknown_vector_header_duplicates_and_lower_case(tmp_path):
    path = write(tmp_path, 'vec.txt', ['2 2', '<unk> 9 9', 'Cat 1 0', 'dog 0 1', 'dog 5 5'])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        e = text.embedding.CustomEmbedding(path)
    # the header line '2 2' (a 1-element vector) and the second 'dog' are skipped with warnings
    assert len(caught) == 2 and e.idx_to_token == ['<unk>', 'Cat', 'dog']
    np.testing.assert_array_equal(e.idx_to_vec.asnumpy(), [[9, 9], [1, 0], [0, 1]])
    np.testing.assert_array_equal(e.get_vecs_by_tokens(['cat', 'DOG'], lower_case_backup=True)
                                  .asnumpy(), [[9, 9], [0, 1]])
    ones = text.embedding.CustomEmbedding(write(tmp_path, 'v2.txt', ['a,1,2']), elem_delim=',',
                                          init_unknown_vec=mx.nd.ones)
    np.testing.assert_array_equal(ones.idx_to_vec.asnumpy(), [[1, 1], [1, 2]])


def test_embedding_reindexed_by_a_vocabulary_and_composite(tmp_path):
    a = text.embedding.CustomEmbedding(write(tmp_path, 'a.txt', ['x 1 1', 'y 2 2']))
    v = text.vocab.Vocabulary(collections.Counter(['y', 'y', 'z']))
    e = text.embedding.CustomEmbedding(write(tmp_path, 'c.txt', ['x 1 1', 'y 2 2']), vocabulary=v)
    # the vocabulary's order (unk, y, z); 'z' is not in the file: the unknown vector
    assert e.idx_to_token == ['<unk>', 'y', 'z']
    np.testing.assert_array_equal(e.idx_to_vec.asnumpy(), [[0, 0], [2, 2], [0, 0]])
    c = text.embedding.CompositeEmbedding(v, [a, e])
    np.testing.assert_array_equal(c.idx_to_vec.asnumpy(), [[0, 0, 0, 0], [2, 2, 2, 2],
                                                           [0, 0, 0, 0]])
    assert c.vec_len == 4


def test_update_token_vectors(tmp_path):
    e = text.embedding.CustomEmbedding(write(tmp_path, 'a.txt', ['x 1 1', 'y 2 2']))
    e.update_token_vectors('x', mx.nd.array([5, 6]))
    e.update_token_vectors(['<unk>', 'y'], mx.nd.array([[7, 7], [8, 8]]))
    np.testing.assert_array_equal(e.idx_to_vec.asnumpy(), [[7, 7], [5, 6], [8, 8]])
    with pytest.raises(ValueError, match="'zz' is unknown"):
        e.update_token_vectors('zz', mx.nd.array([1, 1]))
    with pytest.raises(AssertionError, match='shape'):
        e.update_token_vectors(['x', 'y'], mx.nd.array([[1, 1, 1], [2, 2, 2]]))


def test_bad_files_and_downloads(tmp_path):
    with pytest.raises(ValueError, match='pretrained_file_path'):
        text.embedding.CustomEmbedding(str(tmp_path / 'missing.txt'))
    with pytest.raises(AssertionError, match='line 2'):
        text.embedding.CustomEmbedding(write(tmp_path, 'bad.txt', ['a 1 2', 'b 1 2 3']))
    with pytest.raises(NotSupportedError, match='does not download'):
        text.embedding.create('glove', pretrained_file_name='glove.6B.50d.txt',
                              embedding_root=str(tmp_path))
    (tmp_path / 'glove').mkdir()
    write(tmp_path / 'glove', 'glove.6B.50d.txt', ['the 0.5 0.25'])
    g = text.embedding.create('GloVe', pretrained_file_name='glove.6B.50d.txt',
                              embedding_root=str(tmp_path))
    assert g.idx_to_token == ['<unk>', 'the'] and g.vec_len == 2
    with pytest.raises(AssertionError, match='not registered'):
        text.embedding.create('word2vec')


def test_default_embedding_root_is_mxnet_home_embeddings(tmp_path, monkeypatch):
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))
    with pytest.raises(NotSupportedError, match=str(tmp_path / 'embeddings' / 'fasttext')):
        text.embedding.FastText(pretrained_file_name='wiki.simple.vec')
    (tmp_path / 'embeddings' / 'fasttext').mkdir(parents=True)
    write(tmp_path / 'embeddings' / 'fasttext', 'wiki.simple.vec', ['a 1 2'])
    assert text.embedding.FastText(pretrained_file_name='wiki.simple.vec').idx_to_token == ['<unk>', 'a']
    monkeypatch.setenv('MXNET_HOME', '')                # empty counts as unset: ~/.mxnet
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    with pytest.raises(NotSupportedError, match=str(tmp_path / 'home' / '.mxnet' / 'embeddings')):
        text.embedding.FastText(pretrained_file_name='wiki.simple.vec')
