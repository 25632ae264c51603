"""The programs of the tenth trial of public MXNet 1.x Gluon sources (tests/test_wild_scripts_10.py),
each rewritten in our own words from the source named above it, keeping its calls, shapes and
idioms. Each program function returns its outputs, gradients and losses as nested dicts of lists.

The test runs this file as it is, on minigluon; tools/gen_wild10_fixtures.py runs the same text
with the one line ``import minigluon as mx`` switched to ``import mxnet as mx`` (MXNet 1.9.1) and
records what the functions return in tests/fixtures/wild10/wild10.json.
"""
import functools
import math
import operator
import os
import re
import tempfile

import numpy as np

import minigluon as mx
from _wild_common import error_line as err, program_helpers

autograd, gluon, nd, init = mx.autograd, mx.gluon, mx.nd, mx.init
nn = gluon.nn
HybridBlock = gluon.HybridBlock


L, set_params, rnd = program_helpers(nd)     # tests/_wild_common.py, shared with _wild.py


# ---------------------------------------------------------------- 1 Sockeye 2 beam search
# awslabs/sockeye sockeye/beam_search.py (2.x, MXNet Gluon): UpdateScores, LengthPenalty,
# BrevityPenalty, CandidateScorer, SortNormalizeAndUpdateFinished, TopK, SortStates, BeamSearch;
# the model behind it is a toy decoder of our own.
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
STEP_STATE, DECODER_STATE = 'step', 'decoder'


class UpdateScores(HybridBlock):
    def hybrid_forward(self, F, target_dists, finished, inactive, scores_accumulated, lengths, max_lengths,
                       pad_dist, eos_dist):
        scores = F.broadcast_add(target_dists, scores_accumulated)
        pad_dist = F.concat(scores_accumulated, pad_dist)
        scores = F.where(F.broadcast_logical_or(finished, inactive), pad_dist, scores)
        lengths = lengths + (1 - finished)
        below_max_length = lengths < max_lengths
        scores = F.where(F.broadcast_logical_or(below_max_length, finished), scores, eos_dist + scores)
        return scores, lengths


class LengthPenalty(HybridBlock):
    def __init__(self, alpha=1.0, beta=0.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha, self.beta = alpha, beta
        self.denominator = (self.beta + 1.) ** self.alpha

    def forward(self, lengths):
        if isinstance(lengths, mx.nd.NDArray) or isinstance(lengths, mx.sym.Symbol):
            return super().forward(lengths)
        return self.hybrid_forward(None, lengths)

    def hybrid_forward(self, F, lengths):
        if self.alpha == 0.0:
            return 1.0 if F is None else F.ones_like(lengths)
        numerator = self.beta + lengths if self.beta != 0.0 else lengths
        numerator = numerator ** self.alpha if self.alpha != 1.0 else numerator
        return numerator / self.denominator


class BrevityPenalty(HybridBlock):
    def __init__(self, weight=0.0, **kwargs):
        super().__init__(**kwargs)
        self.weight = weight

    def forward(self, hyp_lengths, reference_lengths):
        if isinstance(hyp_lengths, mx.nd.NDArray) or isinstance(hyp_lengths, mx.sym.Symbol):
            return super().forward(hyp_lengths, reference_lengths)
        return self.hybrid_forward(None, hyp_lengths, reference_lengths)

    def hybrid_forward(self, F, hyp_lengths, reference_lengths):
        if self.weight == 0.0:
            return 0.0 if F is None else F.zeros_like(hyp_lengths - reference_lengths)
        if F is None:
            log_bp = min(0.0, 1.0 - reference_lengths / hyp_lengths)
        else:
            log_bp = F.minimum(F.zeros_like(hyp_lengths), 1.0 - reference_lengths / hyp_lengths)
        return self.weight * log_bp


class CandidateScorer(HybridBlock):
    def __init__(self, length_penalty_alpha=1.0, length_penalty_beta=0.0, brevity_penalty_weight=0.0, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self._lp = LengthPenalty(alpha=length_penalty_alpha, beta=length_penalty_beta)
            self._bp = None
            if brevity_penalty_weight > 0.0:
                self._bp = BrevityPenalty(weight=brevity_penalty_weight)

    def forward(self, scores, lengths, reference_lengths):
        if isinstance(scores, mx.nd.NDArray) or isinstance(scores, mx.sym.Symbol):
            return super().forward(scores, lengths, reference_lengths)
        return self.hybrid_forward(None, scores, lengths, reference_lengths)

    def hybrid_forward(self, F, scores, lengths, reference_lengths):
        lp = self._lp(lengths)
        if self._bp is not None:
            bp = self._bp(lengths, reference_lengths)
        elif F is None:
            bp = 0.0
        else:
            bp = F.zeros_like(reference_lengths) if reference_lengths is not None else 0.0
        return scores / lp - bp

    def unnormalize(self, scores, lengths, reference_lengths):
        bp = 0.0 if self._bp is None else self._bp(lengths, reference_lengths)
        return (scores + bp) * self._lp(lengths)


class SortNormalizeAndUpdateFinished(HybridBlock):
    def __init__(self, dtype, pad_id, eos_id, scorer, **kwargs):
        super().__init__(**kwargs)
        self.dtype, self.pad_id, self.eos_id, self._scorer = dtype, pad_id, eos_id, scorer

    def hybrid_forward(self, F, best_hyp_indices, best_word_indices, finished, scores_accumulated, lengths,
                       reference_lengths):
        finished = F.take(finished, best_hyp_indices)
        lengths = F.take(lengths, best_hyp_indices)
        reference_lengths = F.take(reference_lengths, best_hyp_indices)
        all_finished = F.broadcast_logical_or(best_word_indices == self.pad_id, best_word_indices == self.eos_id)
        newly_finished = F.broadcast_logical_xor(all_finished, finished)
        scores_accumulated = F.where(newly_finished,
                                     self._scorer(scores_accumulated,
                                                  F.cast(F.expand_dims(lengths, axis=1), self.dtype),
                                                  reference_lengths),
                                     scores_accumulated)
        finished = F.broadcast_logical_or(best_word_indices == self.pad_id, best_word_indices == self.eos_id)
        return finished, scores_accumulated, lengths, reference_lengths


class TopK(HybridBlock):
    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def forward(self, scores, offset):
        vocab_size = scores.shape[1]
        batch_size = int(offset.shape[-1] / self.k)
        batchwise_scores = scores.reshape(shape=(batch_size, self.k * vocab_size))
        indices, values = super().forward(batchwise_scores)
        best_hyp_indices, best_word_indices = mx.nd.unravel_index(indices, shape=(batch_size * self.k, vocab_size))
        if batch_size > 1:
            best_hyp_indices += offset
        return best_hyp_indices, best_word_indices, values

    def hybrid_forward(self, F, scores):
        values, indices = F.topk(scores, axis=1, k=self.k, ret_typ='both', is_ascend=True)
        return F.reshape(F.cast(indices, 'int32'), shape=(-1,)), F.reshape(values, shape=(-1, 1))


class SortStates(HybridBlock):
    def __init__(self, state_structure, prefix):
        HybridBlock.__init__(self, prefix=prefix)
        self.flat_structure = functools.reduce(operator.add, state_structure)

    def hybrid_forward(self, F, best_hyp_indices, *states):
        sorted_states = []
        for state, state_format in zip(states, self.flat_structure):
            sorted_states.append(F.take(state, best_hyp_indices))
        return sorted_states


class ToyTranslator(gluon.Block):
    """A one-state recurrent decoder over an embedding (ours): the 'model' beam search drives."""

    def __init__(self, vocab, hidden, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embed = nn.Embedding(vocab, hidden)
            self.out = nn.Dense(vocab, flatten=False, in_units=hidden)

    def state_structure(self):
        return [DECODER_STATE]

    def encode_and_initialize(self, source, source_length, beam_size):
        h = self.embed(source).mean(axis=1)
        est = nd.cast(source_length, 'float32').reshape((-1, 1)) * 1.5
        return [h], est.repeat(repeats=beam_size, axis=0)

    def decode_step(self, step_input, states):
        h = nd.tanh(self.embed(step_input) + states[0])
        logits = self.out(h)
        return -logits.log_softmax(axis=-1), [h]


class BeamSearch(gluon.Block):
    def __init__(self, beam_size, dtype, bos_id, eos_id, output_vocab_size, scorer, model):
        super().__init__(prefix='beam_search_')
        self.beam_size, self.dtype, self.bos_id, self.eos_id = beam_size, dtype, bos_id, eos_id
        self.output_vocab_size, self._model = output_vocab_size, model
        with self.name_scope():
            self._sort_states = SortStates(state_structure=[model.state_structure()], prefix='sort_states_')
            self._update_scores = UpdateScores(prefix='update_scores_')
            self._scorer = scorer
            self._sort_norm_and_update_finished = SortNormalizeAndUpdateFinished(
                prefix='sort_norm_and_update_finished_', dtype=self.dtype, pad_id=PAD_ID, eos_id=eos_id, scorer=scorer)
            self._top = TopK(self.beam_size)

    def forward(self, source, source_length, max_output_lengths):
        batch_size = source.shape[0]
        max_iterations = max_output_lengths.max().asscalar()
        best_word_indices = mx.nd.full((batch_size * self.beam_size,), val=self.bos_id, dtype='int32')
        offset = mx.nd.repeat(mx.nd.arange(0, batch_size * self.beam_size, self.beam_size, dtype='int32'),
                              self.beam_size)
        batch_indices = mx.nd.arange(0, batch_size * self.beam_size, self.beam_size, dtype='int32')
        first_step_mask = mx.nd.full((batch_size * self.beam_size, 1), val=np.inf, dtype=self.dtype)
        first_step_mask[batch_indices] = 1.0
        pad_dist = mx.nd.full((batch_size * self.beam_size, self.output_vocab_size - 1), val=np.inf, dtype=self.dtype)
        eos_dist = mx.nd.full((batch_size * self.beam_size, self.output_vocab_size), val=np.inf, dtype=self.dtype)
        eos_dist[:, EOS_ID] = 0
        best_hyp_indices_list, best_word_indices_list = [], []
        lengths = mx.nd.zeros((batch_size * self.beam_size,), dtype='int32')
        finished = mx.nd.zeros((batch_size * self.beam_size,), dtype='int32')
        max_output_lengths = mx.nd.repeat(max_output_lengths, self.beam_size)
        scores_accumulated = mx.nd.zeros((batch_size * self.beam_size, 1), dtype=self.dtype)
        model_states, estimated_reference_lengths = self._model.encode_and_initialize(source, source_length,
                                                                                      self.beam_size)
        model_states = [s.repeat(repeats=self.beam_size, axis=0) for s in model_states]
        inactive = mx.nd.zeros((batch_size * self.beam_size), dtype='int32')
        t = 1
        for t in range(1, max_iterations + 1):
            target_dists, model_states = self._model.decode_step(best_word_indices, model_states)
            scores, lengths = self._update_scores(target_dists, finished, inactive, scores_accumulated, lengths,
                                                  max_output_lengths, pad_dist, eos_dist)
            if t == 1:
                scores *= first_step_mask
            best_hyp_indices, best_word_indices, scores_accumulated = self._top(scores, offset)
            finished, scores_accumulated, lengths, estimated_reference_lengths = self._sort_norm_and_update_finished(
                best_hyp_indices, best_word_indices, finished, scores_accumulated, lengths,
                estimated_reference_lengths)
            best_hyp_indices_list.append(best_hyp_indices)
            best_word_indices_list.append(best_word_indices)
            if finished.sum().asscalar() == batch_size * self.beam_size:
                break
            model_states = self._sort_states(best_hyp_indices, *model_states)
        folded = scores_accumulated.reshape((batch_size, self.beam_size * scores_accumulated.shape[-1]))
        indices = mx.nd.cast(mx.nd.argsort(folded.astype('float32'), axis=1), dtype='int32').reshape((-1,))
        best_hyp_indices, _ = mx.nd.unravel_index(indices, scores_accumulated.shape) + offset
        scores_accumulated = scores_accumulated.take(best_hyp_indices)
        best_hyp_indices_list.append(best_hyp_indices)
        lengths = lengths.take(best_hyp_indices)
        all_best_hyp_indices = mx.nd.stack(*best_hyp_indices_list, axis=1)
        all_best_word_indices = mx.nd.stack(*best_word_indices_list, axis=1)
        return (all_best_hyp_indices.asnumpy(), all_best_word_indices.asnumpy(), scores_accumulated.asnumpy(),
                lengths.asnumpy().astype('int32'), estimated_reference_lengths.asnumpy(), t)


def sockeye_beam():
    """Beam search (beam 3, two sentences) over a toy decoder, eager and with the search's
    HybridBlocks hybridized: the chosen hypotheses and words per step, the normalized scores and
    lengths; the scorer called on Python floats (its ``forward`` bypasses the graph) and on arrays;
    a TopK step on its own (``unravel_index`` unpacked and offset in place)."""
    res = {}
    model = ToyTranslator(9, 6, prefix='toy_')
    model.initialize()
    set_params(model, 31)
    source = nd.array([[4, 5, 6, 7], [8, 5, 4, 0]], dtype='int32')
    source_length = nd.array([4, 3], dtype='int32')
    for hyb in (False, True):
        scorer = CandidateScorer(1.0, 0.5, 0.2)
        bs = BeamSearch(3, 'float32', BOS_ID, EOS_ID, 9, scorer, model)
        if hyb:
            bs.hybridize()
        hyps, words, scores, lengths, ref, steps = bs(source, source_length, nd.array([4, 6], dtype='int32'))
        res['hybrid' if hyb else 'eager'] = {
            'hyps': hyps.tolist(), 'words': words.tolist(), 'scores': scores.tolist(),
            'lengths': lengths.tolist(), 'ref': ref.tolist(), 'steps': int(steps),
            'words_dtype': str(words.dtype), 'hyps_dtype': str(hyps.dtype)}
    scorer = CandidateScorer(1.0, 0.5, 0.2)
    res['scalar_score'] = scorer(1.5, 3, 4)
    res['scalar_unnormalize'] = scorer.unnormalize(res['scalar_score'], 3, 4)
    arr = scorer(nd.array([[1.5], [2.0]]), nd.array([[3.0], [5.0]]), nd.array([[4.0], [4.0]]))
    res['array_score'] = L(arr)
    res['lp_zero'] = LengthPenalty(alpha=0.0)(3)
    top = TopK(2)
    top.hybridize()
    h, w, v = top(rnd(32, 4, 5), nd.array([0, 0, 2, 2], dtype='int32'))
    res['topk'] = {'hyps': L(h), 'words': L(w), 'values': L(v), 'dtype': str(h.dtype)}
    return res


# ---------------------------------------------------------------- 2 Sockeye 1.x layers
# awslabs/sockeye sockeye/layers.py (1.18 era): LayerNormalization and LHUC reading their
# parameters from ``**params``, split_heads / combine_heads / broadcast_to_heads by reshape codes,
# DotAttentionCell, MultiHeadSelfAttention (with a decoder cache), MultiHeadAttention,
# WeightNormalization and OutputLayer over Symbol variables, LengthRatio's masked average.
LHUC_NAME = 'lhuc'


class LayerNormalization(nn.HybridBlock):
    def __init__(self, prefix='layernorm', scale=None, shift=None, scale_init=1.0, shift_init=0.0, eps=1e-06):
        super().__init__(prefix=prefix)
        self.eps = eps
        self.scale = scale
        if self.scale is None:
            with self.name_scope():
                self.scale = self.params.get('_gamma', init=mx.init.Constant(value=scale_init),
                                             allow_deferred_init=True)
        self.shift = shift
        if self.shift is None:
            with self.name_scope():
                self.shift = self.params.get('_beta', init=mx.init.Constant(value=shift_init),
                                             allow_deferred_init=True)

    def hybrid_forward(self, F, data, **params):
        scale = self.scale if isinstance(self.scale, mx.sym.Symbol) else params['scale']
        shift = self.shift if isinstance(self.shift, mx.sym.Symbol) else params['shift']
        return F.LayerNorm(data=data, gamma=scale, beta=shift, axis=-1, eps=self.eps, output_mean_var=False)


class LHUC(HybridBlock):
    def __init__(self, num_hidden, weight=None, prefix=''):
        super().__init__(prefix=prefix)
        self.num_hidden, self.weight = num_hidden, weight
        if self.weight is None:
            with self.name_scope():
                self.lhuc = self.params.get(LHUC_NAME, shape=(num_hidden,), init=mx.init.Uniform(0.1))

    def hybrid_forward(self, F, inputs, **params):
        weight = self.weight if isinstance(self.weight, mx.sym.Symbol) else params[LHUC_NAME]
        weight_vector = 2 * F.Activation(data=weight, act_type='sigmoid')
        return F.broadcast_mul(weight_vector, inputs)


class WeightNormalization:
    def __init__(self, weight, num_hidden, ndim=2, prefix=''):
        self.prefix, self.weight, self.num_hidden = prefix, weight, num_hidden
        self.scale = mx.sym.Variable('%swn_scale' % prefix, shape=tuple([num_hidden] + [1] * (ndim - 1)),
                                     init=mx.init.Constant(value=1.0))

    def __call__(self, weight=None, scale=None):
        if weight is None and scale is None:
            return mx.sym.broadcast_mul(lhs=mx.sym.L2Normalization(self.weight, mode='instance'),
                                        rhs=self.scale, name='%swn_scale' % self.prefix)
        assert isinstance(weight, mx.nd.NDArray)
        assert isinstance(scale, mx.nd.NDArray)
        return mx.nd.broadcast_mul(lhs=mx.nd.L2Normalization(weight, mode='instance'), rhs=scale)


class OutputLayer:
    def __init__(self, hidden_size, vocab_size, weight, weight_normalization, prefix='target_output_',
                 name='logits'):
        self.vocab_size, self.prefix, self.name = vocab_size, prefix, name
        self.w = mx.sym.Variable('%sweight' % self.prefix, shape=(vocab_size, hidden_size), dtype='float32') \
            if weight is None else weight
        self.weight_normalization = weight_normalization
        if weight_normalization:
            self.weight_norm = WeightNormalization(self.w, num_hidden=vocab_size, ndim=2, prefix=self.prefix)
            self.w = self.weight_norm()
        self.b = mx.sym.Variable('%sbias' % self.prefix)

    def __call__(self, hidden, weight=None, bias=None):
        if isinstance(hidden, mx.sym.Symbol):
            return mx.sym.FullyConnected(data=hidden, num_hidden=self.vocab_size, weight=self.w, bias=self.b,
                                         flatten=False, name=self.name)
        return mx.nd.FullyConnected(data=hidden, num_hidden=bias.shape[0], weight=weight, bias=bias, flatten=False)


class LengthRatio:
    def __init__(self, hidden_size, num_layers, prefix='length_ratio_'):
        self.prefix, self.num_layers, self.hidden_size = prefix, num_layers, hidden_size
        self.layers = [nn.Dense(units=hidden_size, activation='tanh', flatten=False, prefix=prefix + 'dense%d_' % l)
                       for l in range(num_layers - 1)]
        self.layers.append(nn.Dense(units=1, activation='softrelu', flatten=False,
                                    prefix=prefix + 'dense%d_' % (num_layers - 1)))

    def __call__(self, source_encoded, source_encoded_length):
        data = LengthRatio.average_sources(source_encoded, source_encoded_length)
        for layer in self.layers:
            data = layer(data)
        return data

    @staticmethod
    def average_sources(source_encoded, source_encoded_length):
        source_masked = mx.sym.SequenceMask(data=source_encoded, axis=1, sequence_length=source_encoded_length,
                                            use_sequence_length=True, value=0.)
        return mx.sym.broadcast_div(mx.sym.sum(source_masked, axis=1, keepdims=False),
                                    mx.sym.reshape(source_encoded_length, shape=(-1, 1)))


def split_heads(F, x, depth_per_head, heads):
    x = F.reshape(x, shape=(0, -1, heads, depth_per_head))
    x = F.transpose(x, axes=(0, 2, 1, 3))
    return F.reshape(x, shape=(-3, -1, depth_per_head))


def combine_heads(F, x, depth_per_head, heads):
    x = F.reshape(x, shape=(-4, -1, heads, 0, depth_per_head))
    x = F.transpose(x, axes=(0, 2, 1, 3))
    return F.reshape(x, shape=(-1, 0, depth_per_head * heads))


def broadcast_to_heads(F, x, num_heads, ndim, fold_heads=True):
    dims = [0] * (ndim - 1)
    x = F.expand_dims(x, axis=1)
    x = F.broadcast_to(x, shape=[0, num_heads] + dims)
    return F.reshape(x, shape=[-3] + dims) if fold_heads else x


class DotAttentionCell(HybridBlock):
    def __init__(self, dropout=0.0, prefix=''):
        super().__init__(prefix=prefix)
        self.dropout = dropout

    def hybrid_forward(self, F, queries, keys, values, lengths=None, bias=None):
        logits = F.batch_dot(lhs=queries, rhs=keys, transpose_b=True)
        if lengths is not None:
            logits = F.transpose(logits, axes=(2, 0, 1))
            logits = F.SequenceMask(logits, use_sequence_length=True, sequence_length=lengths, value=-99999999.)
            logits = F.transpose(data=logits, axes=(1, 2, 0))
        if bias is not None:
            logits = F.broadcast_add(logits, bias)
        probs = F.softmax(logits, axis=-1)
        probs = F.Dropout(probs, p=self.dropout) if self.dropout > 0.0 else probs
        return F.batch_dot(lhs=probs, rhs=values)


class MultiHeadAttentionBase(HybridBlock):
    def __init__(self, prefix, depth_att=512, heads=8, depth_out=512, dropout=0.0):
        super().__init__(prefix=prefix)
        self.depth, self.heads, self.depth_out = depth_att, heads, depth_out
        self.depth_per_head = self.depth // self.heads
        with self.name_scope():
            self.dot_att = DotAttentionCell(dropout=dropout, prefix='dot_att')
            self.ff_out = nn.Dense(units=depth_out, flatten=False, use_bias=False, prefix='h2o_')

    def _attend(self, F, queries, keys, values, lengths=None, bias=None):
        queries = queries * (self.depth_per_head ** -0.5)
        queries = split_heads(F, queries, self.depth_per_head, self.heads)
        keys = split_heads(F, keys, self.depth_per_head, self.heads)
        values = split_heads(F, values, self.depth_per_head, self.heads)
        if lengths is not None:
            lengths = broadcast_to_heads(F, lengths, self.heads, ndim=1, fold_heads=True)
        contexts = self.dot_att(queries, keys, values, lengths, bias)
        contexts = combine_heads(F, contexts, self.depth_per_head, self.heads)
        return self.ff_out(contexts)


class MultiHeadSelfAttention(MultiHeadAttentionBase):
    def __init__(self, prefix, depth_att=512, heads=8, depth_out=512, dropout=0.0):
        super().__init__(prefix, depth_att, heads, depth_out, dropout)
        with self.name_scope():
            self.ff_in = nn.Dense(units=depth_att * 3, flatten=False, use_bias=False, prefix='i2h_')

    def hybrid_forward(self, F, inputs, input_lengths=None, bias=None, cache=None):
        combined = self.ff_in(inputs)
        queries, keys, values = F.split(combined, num_outputs=3, axis=2)
        if cache is not None:
            keys = cache['k'] = keys if cache['k'] is None else F.concat(cache['k'], keys, dim=1)
            values = cache['v'] = values if cache['v'] is None else F.concat(cache['v'], values, dim=1)
        return self._attend(F, queries, keys, values, lengths=input_lengths, bias=bias)


class MultiHeadAttention(MultiHeadAttentionBase):
    def __init__(self, prefix, depth_att=512, heads=8, depth_out=512, dropout=0.0):
        super().__init__(prefix, depth_att, heads, depth_out, dropout)
        with self.name_scope():
            self.ff_q = nn.Dense(units=depth_att, flatten=False, use_bias=False, prefix='q2h_')
            self.ff_k = nn.Dense(units=depth_att, flatten=False, use_bias=False, prefix='k2h_')
            self.ff_v = nn.Dense(units=depth_att, flatten=False, use_bias=False, prefix='v2h_')

    def hybrid_forward(self, F, queries, memory, memory_lengths=None, bias=None):
        return self._attend(F, self.ff_q(queries), self.ff_k(memory), self.ff_v(memory), bias=bias,
                            lengths=memory_lengths)


def sockeye_layers():
    """The attention layers eager and hybridized (lengths masking; a causal bias; self-attention
    stepped with a key/value cache), LayerNormalization and LHUC (parameters passed as
    ``**params`` under their attribute names), and the Symbol-level OutputLayer with weight
    normalization and LengthRatio wrapped in SymbolBlocks, checked against their NDArray twins."""
    res = {}
    x = rnd(41, 2, 4, 8)
    mem = rnd(42, 2, 5, 8)
    lengths = nd.array([3, 4])
    mem_lengths = nd.array([5, 2])
    causal = nd.array(np.triu(np.full((4, 4), -99999999.), k=1)).expand_dims(0)
    for hyb in (False, True):
        selfatt = MultiHeadSelfAttention('att_self_', depth_att=8, heads=2, depth_out=8)
        encatt = MultiHeadAttention('att_enc_', depth_att=8, heads=2, depth_out=6)
        ln = LayerNormalization(prefix='ln_')
        lhuc = LHUC(6, prefix='lhuc_')
        blocks = (selfatt, encatt, ln, lhuc)
        for b in blocks:
            b.initialize()
        # settle deferred shapes eagerly, then give every parameter its value
        selfatt(x, lengths)
        ln(encatt(x, mem, mem_lengths))
        for i, b in enumerate(blocks):
            set_params(b, 43 + i)
            if hyb:
                b.hybridize()
        x.attach_grad()
        r = {}
        with autograd.record():
            a = selfatt(x, lengths)
            try:      # the cached graph was built for (inputs, lengths): None there, a bias added
                c = selfatt(x, None, causal)
            except ValueError as e:
                r['structure_error'] = err(e)
                c = a
            e = encatt(a, mem, mem_lengths)
            y = lhuc(ln(e))
            loss = (y * rnd(47, *y.shape)).sum() + (c * rnd(48, *c.shape)).sum()
        loss.backward()
        r.update({'a': L(a), 'c': L(c), 'y': L(y), 'xgrad': L(x.grad),
             'ff_in_grad': L(selfatt.ff_in.weight.grad()), 'ln_names': sorted(ln.collect_params().keys()),
             'lhuc_grad': L(lhuc.lhuc.grad()), 'scale_grad': L(ln.scale.grad())})
        res['hybrid' if hyb else 'eager'] = r
        if not hyb:
            eager_selfatt = selfatt
    # a decoder stepping self-attention one position at a time with a cache: a dict input is
    # refused once hybridized
    try:
        selfatt(x[:, 0:1], None, None, {'k': None, 'v': None})
    except ValueError as e:
        res['hybrid_cache_error'] = err(e)
    cache = {'k': None, 'v': None}
    steps = []
    for t in range(3):
        steps.append(L(eager_selfatt(x[:, t:t + 1], None, None, cache)))
    res['cached_steps'] = steps
    res['cache_shape'] = list(cache['k'].shape)
    # the Symbol-level output layer with weight normalization
    hidden = mx.sym.Variable('hidden')
    out = OutputLayer(8, 5, None, True, prefix='out_')
    logits = out(hidden)
    res['out_args'] = logits.list_arguments()
    blk = gluon.SymbolBlock(logits, [hidden])
    blk.initialize()
    h = rnd(49, 2, 3, 8)
    blk(h)
    set_params(blk, 50)
    prm = blk.collect_params()
    hh = h.copy()
    hh.attach_grad()
    with autograd.record():
        z = blk(hh)
        zl = (z * rnd(51, *z.shape)).sum()
    zl.backward()
    wn = out.weight_norm(weight=prm['out_weight'].data(), scale=prm['out_wn_scale'].data())
    res['logits'] = L(z)
    res['logits_nd'] = L(out(h, weight=wn, bias=prm['out_bias'].data()))
    res['wn_scale_grad'] = L(prm['out_wn_scale'].grad())
    res['wn_scale_shape'] = list(prm['out_wn_scale'].shape)
    # LengthRatio over a masked average of the encoded source
    enc = mx.sym.Variable('enc')
    enc_len = mx.sym.Variable('enc_len')
    ratio = LengthRatio(8, 2)(enc, enc_len)
    rblk = gluon.SymbolBlock(ratio, [enc, enc_len])
    rblk.initialize()
    src = rnd(52, 2, 5, 8)
    rblk(src, nd.array([5, 2]))
    set_params(rblk, 53)
    res['ratio'] = L(rblk(src, nd.array([5, 2])))
    res['ratio_names'] = sorted(rblk.collect_params().keys())
    return res


# ---------------------------------------------------------------- 3 GluonNLP ELMo character encoder
# dmlc/gluon-nlp src/gluonnlp/initializer/initializer.py (HighwayBias), model/highway.py,
# model/convolutional_encoder.py, model/elmo.py (ELMoCharacterEncoder), model/lstmpcellwithclip.py.
@mx.init.register
class HighwayBias(mx.init.Initializer):
    def __init__(self, nonlinear_transform_bias=0.0, transform_gate_bias=-2.0, **kwargs):
        super().__init__(**kwargs)
        self.nonlinear_transform_bias = nonlinear_transform_bias
        self.transform_gate_bias = transform_gate_bias

    def _init_weight(self, name, arr):
        arr[:int(arr.shape[0] / 2)] = self.nonlinear_transform_bias
        arr[int(arr.shape[0] / 2):] = self.transform_gate_bias


class Highway(HybridBlock):
    def __init__(self, input_size, num_layers, activation='relu',
                 highway_bias=HighwayBias(nonlinear_transform_bias=0.0, transform_gate_bias=-2.0), **kwargs):
        super().__init__(**kwargs)
        self._input_size, self._num_layers = input_size, num_layers
        with self.name_scope():
            self.hnet = nn.HybridSequential()
            with self.hnet.name_scope():
                for _ in range(self._num_layers):
                    self.hnet.add(nn.Dense(units=self._input_size * 2, in_units=self._input_size,
                                           bias_initializer=highway_bias, use_bias=True, flatten=False))
            self._activation = nn.Activation(activation)

    def hybrid_forward(self, F, inputs, **kwargs):
        current_input = inputs
        for layer in self.hnet:
            projected_input = layer(current_input)
            linear_transform = current_input
            nonlinear_transform, transform_gate = projected_input.split(num_outputs=2, axis=-1)
            nonlinear_transform = self._activation(nonlinear_transform)
            transform_gate = transform_gate.sigmoid()
            current_input = (1 - transform_gate) * linear_transform + transform_gate * nonlinear_transform
        return current_input


class ConvolutionalEncoder(HybridBlock):
    def __init__(self, embed_size=15, num_filters=(25, 50, 75, 100, 125, 150), ngram_filter_sizes=(1, 2, 3, 4, 5, 6),
                 conv_layer_activation='tanh', num_highway=1, highway_layer_activation='relu',
                 highway_bias=HighwayBias(nonlinear_transform_bias=0.0, transform_gate_bias=-2.0),
                 output_size=None, **kwargs):
        super().__init__(**kwargs)
        self._embed_size, self._num_filters = embed_size, num_filters
        self._ngram_filter_sizes, self._num_highway, self._output_size = ngram_filter_sizes, num_highway, output_size
        with self.name_scope():
            self._convs = gluon.contrib.nn.HybridConcurrent()
            maxpool_output_size = 0
            with self._convs.name_scope():
                for num_filter, ngram_size in zip(self._num_filters, self._ngram_filter_sizes):
                    seq = nn.HybridSequential()
                    seq.add(nn.Conv1D(in_channels=self._embed_size, channels=num_filter, kernel_size=ngram_size,
                                      use_bias=True))
                    seq.add(gluon.nn.HybridLambda(lambda F, x: F.max(x, axis=2)))
                    if conv_layer_activation is not None:
                        seq.add(nn.Activation(conv_layer_activation))
                    self._convs.add(seq)
                    maxpool_output_size += num_filter
            if self._num_highway:
                self._highways = Highway(maxpool_output_size, self._num_highway, activation=highway_layer_activation,
                                         highway_bias=highway_bias)
            else:
                self._highways = None
            if self._output_size:
                self._projection = nn.Dense(in_units=maxpool_output_size, units=self._output_size, use_bias=True)
            else:
                self._projection = None
                self._output_size = maxpool_output_size

    def hybrid_forward(self, F, inputs, mask=None):
        if mask is not None:
            inputs = F.broadcast_mul(inputs, mask.expand_dims(-1))
        inputs = F.transpose(inputs, axes=(1, 2, 0))
        output = self._convs(inputs)
        if self._highways:
            output = self._highways(output)
        if self._projection:
            output = self._projection(output)
        return output


class ELMoCharacterEncoder(HybridBlock):
    def __init__(self, output_size, filters, char_embed_size, num_highway, conv_layer_activation,
                 max_chars_per_token, char_vocab_size, **kwargs):
        super().__init__(**kwargs)
        self._output_size, self._char_embed_size, self._filters = output_size, char_embed_size, filters
        ngram_filter_sizes = [width for width, _ in filters]
        num_filters = [num for _, num in filters]
        self._max_chars_per_token = max_chars_per_token
        with self.name_scope():
            self._char_embedding = gluon.nn.Embedding(char_vocab_size, self._char_embed_size)
            self._convolutions = ConvolutionalEncoder(
                embed_size=self._char_embed_size, num_filters=tuple(num_filters),
                ngram_filter_sizes=tuple(ngram_filter_sizes), conv_layer_activation=conv_layer_activation,
                num_highway=num_highway,
                highway_bias=HighwayBias(nonlinear_transform_bias=0.0, transform_gate_bias=1.0),
                output_size=self._output_size)

    def hybrid_forward(self, F, inputs):
        character_embedding = self._char_embedding(inputs.reshape((-1, self._max_chars_per_token)))
        character_embedding = F.transpose(character_embedding, axes=(1, 0, 2))
        token_embedding = self._convolutions(character_embedding)
        out_shape_ref = inputs.slice_axis(axis=-1, begin=0, end=1)
        out_shape_ref = out_shape_ref.broadcast_axes(axis=(2,), size=(self._output_size))
        return token_embedding.reshape_like(out_shape_ref)


class LSTMPCellWithClip(gluon.contrib.rnn.LSTMPCell):
    def __init__(self, hidden_size, projection_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 h2r_weight_initializer=None, i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 input_size=0, cell_clip=None, projection_clip=None, prefix=None, params=None):
        super().__init__(hidden_size, projection_size, i2h_weight_initializer, h2h_weight_initializer,
                         h2r_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, input_size,
                         prefix=prefix, params=params)
        self._cell_clip, self._projection_clip = cell_clip, projection_clip

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, h2r_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=self._hidden_size * 4,
                               name=prefix + 'i2h')
        h2h = F.FullyConnected(data=states[0], weight=h2h_weight, bias=h2h_bias, num_hidden=self._hidden_size * 4,
                               name=prefix + 'h2h')
        gates = i2h + h2h
        slice_gates = F.SliceChannel(gates, num_outputs=4, name=prefix + 'slice')
        in_gate = F.Activation(slice_gates[0], act_type='sigmoid', name=prefix + 'i')
        forget_gate = F.Activation(slice_gates[1], act_type='sigmoid', name=prefix + 'f')
        in_transform = F.Activation(slice_gates[2], act_type='tanh', name=prefix + 'c')
        out_gate = F.Activation(slice_gates[3], act_type='sigmoid', name=prefix + 'o')
        next_c = F._internal._plus(forget_gate * states[1], in_gate * in_transform, name=prefix + 'state')
        if self._cell_clip is not None:
            next_c = next_c.clip(-self._cell_clip, self._cell_clip)
        hidden = F._internal._mul(out_gate, F.Activation(next_c, act_type='tanh'), name=prefix + 'hidden')
        next_r = F.FullyConnected(data=hidden, num_hidden=self._projection_size, weight=h2r_weight, no_bias=True,
                                  name=prefix + 'out')
        if self._projection_clip is not None:
            next_r = next_r.clip(-self._projection_clip, self._projection_clip)
        return next_r, [next_r, next_c]


def elmo_char():
    """The ELMo character encoder (a registered HighwayBias initializer given as a Dense
    bias_initializer, convolutions in a HybridConcurrent of HybridLambda max-pools, the highway
    gate, ``broadcast_axes`` with an int size and ``reshape_like``) eager and hybridized and
    exported; then an LSTMP cell with clipping, unrolled over its output."""
    res = {}
    chars = nd.array(np.random.RandomState(61).randint(0, 12, (2, 3, 7)))
    for hyb in (False, True):
        enc = ELMoCharacterEncoder(5, [[1, 4], [2, 3], [3, 5]], 6, 1, 'relu', 7, 12, prefix='elmo_')
        enc.initialize()
        out = {'highway_bias_init': L(enc._convolutions._highways.hnet[0].bias.data()),
               'names': sorted(enc.collect_params().keys())}
        enc(chars)
        set_params(enc, 62)
        if hyb:
            enc.hybridize()
        with autograd.record():
            y = enc(chars)
            loss = (y * rnd(63, *y.shape)).sum()
        loss.backward()
        out.update({'y': L(y), 'embed_grad': L(enc._char_embedding.weight.grad()),
                    'proj_grad': L(enc._convolutions._projection.weight.grad())})
        if hyb:
            path = os.path.join(tempfile.mkdtemp(), 'elmo')
            enc.export(path)
            blk = gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params')
            out['imported'] = L(blk(chars))
        res['hybrid' if hyb else 'eager'] = out
    # the masked form of the encoder on its own (TNC input, a (T, N) mask)
    conv = ConvolutionalEncoder(embed_size=4, num_filters=(3, 2), ngram_filter_sizes=(1, 2), num_highway=2,
                                output_size=None, prefix='conv_')
    conv.initialize()
    set_params(conv, 64)
    tnc = rnd(65, 5, 2, 4)
    mask = nd.array([[1, 1], [1, 1], [1, 0], [1, 0], [0, 0]])
    res['masked'] = L(conv(tnc, mask))
    conv.hybridize()
    res['masked_hybrid'] = L(conv(tnc, mask))
    # the LSTMP cell with clipping
    cell = LSTMPCellWithClip(6, 3, input_size=5, cell_clip=0.3, projection_clip=0.2, prefix='lstmp_')
    cell.initialize()
    set_params(cell, 66)
    seq = rnd(67, 2, 4, 5)
    seq.attach_grad()
    with autograd.record():
        outs, states = cell.unroll(4, seq, begin_state=cell.begin_state(batch_size=2), layout='NTC',
                                   merge_outputs=True)
        loss = (outs * rnd(68, *outs.shape)).sum() + states[1].sum()
    loss.backward()
    res['lstmp'] = {'outs': L(outs), 'c': L(states[1]), 'grad': L(seq.grad), 'counter': cell._counter,
                    'names': sorted(cell.collect_params().keys())}
    return res


# ---------------------------------------------------------------- 4 GluonNLP sampled softmax / NCE
# dmlc/gluon-nlp src/gluonnlp/model/sampled_block.py: _SampledDenseHelper, _SampledDense, NCEDense,
# ISDense (dense gradients: sparse storage is out of minigluon's scope), the candidates' expected
# counts from nd.contrib.rand_zipfian, and a test-time Dense sharing the decoder's parameters.
class _SampledDenseHelper(HybridBlock):
    def __init__(self, num_classes, num_sampled, in_unit, remove_accidental_hits, sparse_label, prefix=None,
                 params=None):
        super().__init__(prefix=prefix, params=params)
        self._num_classes, self._num_sampled, self._in_unit = num_classes, num_sampled, in_unit
        self._remove_accidental_hits, self._sparse_label = remove_accidental_hits, sparse_label

    def hybrid_forward(self, F, x, sampled_values, label, w_all, b_all):
        sampled_candidates, expected_count_sampled, expected_count_true = sampled_values
        w_sampled = w_all.slice(begin=(0, 0), end=(self._num_sampled, None))
        w_true = w_all.slice(begin=(self._num_sampled, 0), end=(None, None))
        b_sampled = b_all.slice(begin=(0,), end=(self._num_sampled,))
        b_true = b_all.slice(begin=(self._num_sampled,), end=(None,))
        x = x.reshape((-1, self._in_unit))
        pred_true = (w_true * x).sum(axis=1) + b_true
        b_sampled = F.reshape(b_sampled, (-1,))
        pred_sampled = F.FullyConnected(x, weight=w_sampled, bias=b_sampled, num_hidden=self._num_sampled)
        if self._remove_accidental_hits:
            label_vec = F.reshape(label, (-1, 1))
            sample_vec = F.reshape(sampled_candidates, (1, -1))
            mask = F.broadcast_equal(label_vec, sample_vec) * -1e37
            pred_sampled = pred_sampled + mask
        expected_count_sampled = F.reshape(expected_count_sampled, shape=(1, self._num_sampled))
        expected_count_true = expected_count_true.reshape((-1,))
        pred_true = pred_true - F.log(expected_count_true)
        pred_true = pred_true.reshape((-1, 1))
        pred_sampled = F.broadcast_sub(pred_sampled, F.log(expected_count_sampled))
        pred = F.concat(pred_true, pred_sampled, dim=1)
        if self._sparse_label:
            new_label = F.zeros_like(label)
        else:
            label_vec = F.reshape(label, (-1, 1))
            new_label_sampled = F.zeros_like(pred_sampled)
            new_label_true = F.ones_like(label_vec)
            new_label = F.Concat(new_label_sampled, new_label_true, dim=1)
        return pred, new_label


class _SampledDense(HybridBlock):
    def __init__(self, num_classes, num_sampled, in_unit, remove_accidental_hits, sparse_label, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', sparse_grad=True, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        with self.name_scope():
            grad_stype = 'row_sparse' if sparse_grad else 'default'
            self.weight = self.params.get('weight', shape=(num_classes, in_unit), init=weight_initializer,
                                          dtype=dtype, grad_stype=grad_stype)
            self.bias = self.params.get('bias', shape=(num_classes,), init=bias_initializer, dtype=dtype)
        self._dense = _SampledDenseHelper(num_classes, num_sampled, in_unit, remove_accidental_hits, sparse_label)
        self._num_classes, self._num_sampled, self._in_unit = num_classes, num_sampled, in_unit
        self._sparse_grad = sparse_grad

    def hybrid_forward(self, F, x, sampled_values, label, weight, bias):
        sampled_candidates, _, _ = sampled_values
        label = F.reshape(label, shape=(-1,))
        ids = F.concat(sampled_candidates, label, dim=0)
        w_all = F.Embedding(data=ids, weight=weight, input_dim=self._num_classes, output_dim=self._in_unit,
                            sparse_grad=self._sparse_grad)
        b_all = F.take(bias, indices=ids)
        return self._dense(x, sampled_values, label, w_all, b_all)


class NCEDense(_SampledDense):
    def __init__(self, num_classes, num_sampled, in_unit, remove_accidental_hits=False, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', sparse_grad=True, prefix=None, params=None):
        super().__init__(num_classes, num_sampled, in_unit, remove_accidental_hits, False, dtype=dtype,
                         weight_initializer=weight_initializer, bias_initializer=bias_initializer,
                         sparse_grad=sparse_grad, prefix=prefix, params=params)


class ISDense(_SampledDense):
    def __init__(self, num_classes, num_sampled, in_unit, remove_accidental_hits=True, dtype='float32',
                 weight_initializer=None, bias_initializer='zeros', sparse_grad=True, prefix=None, params=None):
        super().__init__(num_classes, num_sampled, in_unit, remove_accidental_hits, True, dtype=dtype,
                         weight_initializer=weight_initializer, bias_initializer=bias_initializer,
                         sparse_grad=sparse_grad, prefix=prefix, params=params)


def sampled_softmax():
    """ISDense (sampled softmax, accidental hits masked) and NCEDense under their losses, eager and
    hybridized, one SGD step each; the expected counts ``rand_zipfian`` gives the true classes
    (its draws are each framework's own, so fixed candidates stand in for them); a test-time
    Dense built with ``params=decoder.params`` scoring the full vocabulary."""
    res = {}
    num_classes, num_sampled, in_unit = 10, 4, 5
    label = nd.array([[2], [7], [3]])
    cands, exp_true, exp_sampled = nd.contrib.rand_zipfian(label.reshape((-1,)), num_sampled, num_classes)
    res['zipf'] = {'expected_true': L(exp_true), 'sampled_shape': list(cands.shape),
                   'sampled_dtype': str(cands.dtype), 'expected_sampled_shape': list(exp_sampled.shape),
                   'expected_dtype': str(exp_true.dtype)}
    exp_true = exp_true.astype('float32')
    cands = nd.array([3, 0, 5, 9])
    range_max = float(num_classes)
    exp_sampled = nd.log((cands + 2.0) / (cands + 1.0)) / math.log(range_max + 1) * num_sampled
    sampled_values = (cands, exp_sampled, exp_true)
    x = rnd(71, 3, in_unit)
    for kind, Cls, Loss in (('is', ISDense, gluon.loss.SoftmaxCrossEntropyLoss),
                            ('nce', NCEDense, gluon.loss.SigmoidBinaryCrossEntropyLoss)):
        for hyb in (False, True):
            dec = Cls(num_classes, num_sampled, in_unit, sparse_grad=False, prefix='decoder_')
            dec.initialize()
            set_params(dec, 72)
            if hyb:
                dec.hybridize()
            trainer = gluon.Trainer(dec.collect_params(), 'sgd', {'learning_rate': 0.5})
            xx = x.copy()
            xx.attach_grad()
            with autograd.record():
                pred, new_label = dec(xx, sampled_values, label)
                loss = Loss()(pred, new_label)
            loss.backward()
            grad = L(dec.weight.grad())
            trainer.step(3)
            test = nn.Dense(num_classes, in_units=in_unit, params=dec.params)
            r = {'pred': L(pred), 'new_label': L(new_label), 'loss': L(loss), 'xgrad': L(xx.grad),
                 'wgrad': grad, 'bias_after': L(dec.bias.data()), 'test_names': sorted(test.collect_params().keys()),
                 'full_scores': L(test(x))}
            res['%s_%s' % (kind, 'hybrid' if hyb else 'eager')] = r
    return res


# ---------------------------------------------------------------- 5 AutoGluon tabular EmbedNet
# awslabs/autogluon autogluon/utils/tabular/ml/models/tabular_nn/embednet.py (MXNet era):
# NumericBlock, EmbedBlock, FeedforwardBlock, WideAndDeepBlock, EmbedNet rebuilt from its
# architecture description, with its y_range constraints.
class NumericBlock(HybridBlock):
    def __init__(self, params, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = gluon.nn.Dense(params['numeric_embed_dim'], activation=params['activation'])

    def hybrid_forward(self, F, x):
        return self.body(x)


class EmbedBlock(HybridBlock):
    def __init__(self, embed_dim, num_categories, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = gluon.nn.Embedding(input_dim=num_categories, output_dim=embed_dim,
                                           weight_initializer=mx.init.Orthogonal(scale=0.1, rand_type='uniform'))

    def hybrid_forward(self, F, x):
        return self.body(x)


class FeedforwardBlock(HybridBlock):
    def __init__(self, params, num_net_outputs, **kwargs):
        super().__init__(**kwargs)
        layers = params['layers']
        with self.name_scope():
            self.body = gluon.nn.HybridSequential()
            if params['use_batchnorm']:
                self.body.add(gluon.nn.BatchNorm())
            if params['dropout_prob'] > 0:
                self.body.add(gluon.nn.Dropout(params['dropout_prob']))
            for i in range(len(layers)):
                layer_width = layers[i]
                if layer_width < 1 or int(layer_width) != layer_width:
                    raise ValueError('layers must be ints >= 1')
                self.body.add(gluon.nn.Dense(layer_width, activation=params['activation']))
                if params['use_batchnorm']:
                    self.body.add(gluon.nn.BatchNorm())
                if params['dropout_prob'] > 0:
                    self.body.add(gluon.nn.Dropout(params['dropout_prob']))
            self.body.add(gluon.nn.Dense(num_net_outputs, activation=None))

    def hybrid_forward(self, F, x):
        return self.body(x)


class WideAndDeepBlock(HybridBlock):
    def __init__(self, params, num_net_outputs, **kwargs):
        super().__init__(**kwargs)
        self.deep = FeedforwardBlock(params, num_net_outputs, **kwargs)
        with self.name_scope():
            self.wide = gluon.nn.Dense(num_net_outputs, activation=None)

    def hybrid_forward(self, F, x):
        return self.deep(x) + self.wide(x)


class EmbedNet(gluon.Block):
    def __init__(self, architecture_desc, ctx=None, **kwargs):
        super().__init__(**kwargs)
        self.architecture_desc = architecture_desc
        self.has_vector_features = architecture_desc['has_vector_features']
        self.has_embed_features = architecture_desc['has_embed_features']
        self.from_logits = architecture_desc['from_logits']
        num_net_outputs = architecture_desc['num_net_outputs']
        params = architecture_desc['params']
        if self.has_embed_features:
            num_categs_per_feature = architecture_desc['num_categs_per_feature']
            embed_dims = architecture_desc['embed_dims']
        if self.has_vector_features:
            self.numeric_block = NumericBlock(params)
        if self.has_embed_features:
            self.embed_blocks = gluon.nn.HybridSequential()
            for i in range(len(num_categs_per_feature)):
                self.embed_blocks.add(EmbedBlock(embed_dims[i], num_categs_per_feature[i]))
        if params['network_type'] == 'feedforward':
            self.output_block = FeedforwardBlock(params, num_net_outputs)
        elif params['network_type'] == 'widedeep':
            self.output_block = WideAndDeepBlock(params, num_net_outputs)
        else:
            raise ValueError('unknown network_type specified: %s' % params['network_type'])
        y_range = params['y_range']
        self.y_constraint = None
        if y_range is not None:
            if y_range[0] == -np.inf and y_range[1] == np.inf:
                self.y_constraint = None
            elif y_range[0] >= 0 and y_range[1] == np.inf:
                self.y_constraint = 'nonnegative'
            elif y_range[0] == -np.inf and y_range[1] <= 0:
                self.y_constraint = 'nonpositive'
            else:
                self.y_constraint = 'bounded'
            self.y_lower = nd.array(params['y_range'][0]).reshape(1,)
            self.y_upper = nd.array(params['y_range'][1]).reshape(1,)
            if ctx is not None:
                self.y_lower = self.y_lower.as_in_context(ctx)
                self.y_upper = self.y_upper.as_in_context(ctx)
            self.y_span = self.y_upper - self.y_lower

    def forward(self, data_batch):
        if self.has_vector_features:
            input_activations = self.numeric_block(data_batch['vector'])
        if self.has_embed_features:
            embed_data = data_batch['embed']
            embed_activations = self.embed_blocks[0](embed_data[0])
            for i in range(1, len(self.embed_blocks)):
                embed_activations = nd.concat(embed_activations, self.embed_blocks[i](embed_data[i]), dim=2)
            embed_activations = embed_activations.flatten()
            if not self.has_vector_features:
                input_activations = embed_activations
            else:
                input_activations = nd.concat(embed_activations, input_activations)
        unscaled_pred = self.output_block(input_activations)
        if self.y_constraint is None:
            return unscaled_pred
        if self.y_constraint == 'nonnegative':
            return self.y_lower + nd.abs(unscaled_pred)
        if self.y_constraint == 'nonpositive':
            return self.y_upper - nd.abs(unscaled_pred)
        return nd.sigmoid(unscaled_pred) * self.y_span + self.y_lower


def embednet():
    """EmbedNet for regression under each y_range constraint (widedeep and feedforward), trained
    three Adam steps with an L1 loss on a batch of numeric and two categorical features, the
    output blocks hybridized; the constraint bounds from ``nd.array(scalar).reshape(1,)``."""
    res = {}
    vector = rnd(81, 6, 5)
    embed = [nd.array(np.random.RandomState(82).randint(0, 4, (6, 1))),
             nd.array(np.random.RandomState(83).randint(0, 3, (6, 1)))]
    y = nd.array(np.random.RandomState(84).uniform(0, 3, (6, 1)))
    for key, net_type, y_range in (('nonneg', 'widedeep', (0, np.inf)), ('bounded', 'feedforward', (-1.0, 4.0)),
                                   ('nonpos', 'widedeep', (-np.inf, 0)), ('free', 'feedforward', None)):
        params = {'numeric_embed_dim': 6, 'activation': 'relu', 'layers': [8, 4], 'use_batchnorm': True,
                  'dropout_prob': 0.0, 'network_type': net_type, 'y_range': y_range}
        desc = {'has_vector_features': True, 'has_embed_features': True, 'has_language_features': False,
                'from_logits': False, 'num_net_outputs': 1, 'params': params, 'num_categs_per_feature': [4, 3],
                'embed_dims': [3, 2]}
        net = EmbedNet(architecture_desc=desc)
        net.initialize()
        batch = {'vector': vector, 'embed': embed}
        with autograd.record():
            net(batch)
        set_params(net, 85)
        net.output_block.hybridize()
        trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.05, 'wd': 1e-4,
                                                               'clip_gradient': 1.0})
        losses = []
        for _ in range(3):
            with autograd.record():
                loss = gluon.loss.L1Loss()(net(batch), y)
            loss.backward()
            trainer.step(6)
            losses.append(float(loss.mean().asscalar()))
        # the blocks are made outside any name scope: their names carry the process's counters
        names = sorted(re.sub(r'\d+_', '#_', n) for n in net.collect_params().keys())
        r = {'losses': losses, 'pred': L(net(batch)), 'names': names,
             'constraint': str(net.y_constraint)}
        if y_range is not None:
            r['bounds'] = [L(net.y_lower), L(net.y_upper), L(net.y_span), str(net.y_lower.dtype)]
        res[key] = r
    return res


# ---------------------------------------------------------------- 6 GluonCV Faster R-CNN targets
# dmlc/gluon-cv gluoncv/model_zoo/rcnn/rcnn_target.py (RCNNTargetSampler, RCNNTargetGenerator),
# gluoncv/nn/coder.py (NormalizedBoxCenterEncoder, NormalizedPerClassBoxCenterEncoder,
# NormalizedBoxCenterDecoder, MultiClassEncoder), gluoncv/nn/bbox.py (BBoxCornerToCenter).
class BBoxCornerToCenter(HybridBlock):
    def __init__(self, axis=-1, split=False):
        super().__init__()
        self._split, self._axis = split, axis

    def hybrid_forward(self, F, x):
        xmin, ymin, xmax, ymax = F.split(x, axis=self._axis, num_outputs=4)
        width = xmax - xmin
        height = ymax - ymin
        x = xmin + width / 2
        y = ymin + height / 2
        if not self._split:
            return F.concat(x, y, width, height, dim=self._axis)
        return x, y, width, height


class RCNNTargetSampler(HybridBlock):
    def __init__(self, num_image, num_proposal, num_sample, pos_iou_thresh, pos_ratio, max_num_gt):
        super().__init__()
        self._num_image, self._num_proposal, self._num_sample = num_image, num_proposal, num_sample
        self._max_pos = int(round(num_sample * pos_ratio))
        self._pos_iou_thresh, self._max_num_gt = pos_iou_thresh, max_num_gt

    def hybrid_forward(self, F, rois, scores, gt_boxes):
        with autograd.pause():
            new_rois, new_samples, new_matches = [], [], []
            for i in range(self._num_image):
                roi = F.squeeze(F.slice_axis(rois, axis=0, begin=i, end=i + 1), axis=0)
                score = F.squeeze(F.slice_axis(scores, axis=0, begin=i, end=i + 1), axis=0)
                gt_box = F.squeeze(F.slice_axis(gt_boxes, axis=0, begin=i, end=i + 1), axis=0)
                gt_score = F.ones_like(F.sum(gt_box, axis=-1, keepdims=True))
                all_roi = F.concat(roi, gt_box, dim=0)
                all_score = F.concat(score, gt_score, dim=0).squeeze(axis=-1)
                ious = F.contrib.box_iou(all_roi, gt_box, format='corner')
                ious_max = ious.max(axis=-1)
                ious_argmax = ious.argmax(axis=-1)
                mask = F.ones_like(ious_max) * 2
                mask = F.where(all_score < 0, F.zeros_like(mask), mask)
                pos_mask = ious_max >= self._pos_iou_thresh
                mask = F.where(pos_mask, F.ones_like(mask) * 3, mask)
                rand = F.random.uniform(0, 1, shape=(self._num_proposal + self._max_num_gt,))
                rand = F.slice_like(rand, ious_argmax)
                index = F.argsort(rand)
                mask = F.take(mask, index)
                ious_argmax = F.take(ious_argmax, index)
                order = F.argsort(mask, is_ascend=False)
                topk = F.slice_axis(order, axis=0, begin=0, end=self._max_pos)
                topk_indices = F.take(index, topk)
                topk_samples = F.take(mask, topk)
                topk_matches = F.take(ious_argmax, topk)
                topk_samples = F.where(topk_samples == 3, F.ones_like(topk_samples), topk_samples)
                topk_samples = F.where(topk_samples == 2, F.ones_like(topk_samples) * -1, topk_samples)
                index = F.slice_axis(index, axis=0, begin=self._max_pos, end=None)
                mask = F.slice_axis(mask, axis=0, begin=self._max_pos, end=None)
                ious_argmax = F.slice_axis(ious_argmax, axis=0, begin=self._max_pos, end=None)
                mask = F.where(mask == 2, F.ones_like(mask) * 4, mask)
                order = F.argsort(mask, is_ascend=False)
                num_neg = self._num_sample - self._max_pos
                bottomk = F.slice_axis(order, axis=0, begin=0, end=num_neg)
                bottomk_indices = F.take(index, bottomk)
                bottomk_samples = F.take(mask, bottomk)
                bottomk_matches = F.take(ious_argmax, bottomk)
                bottomk_samples = F.where(bottomk_samples == 3, F.ones_like(bottomk_samples), bottomk_samples)
                bottomk_samples = F.where(bottomk_samples == 4, F.ones_like(bottomk_samples) * -1, bottomk_samples)
                indices = F.concat(topk_indices, bottomk_indices, dim=0)
                samples = F.concat(topk_samples, bottomk_samples, dim=0)
                matches = F.concat(topk_matches, bottomk_matches, dim=0)
                new_rois.append(all_roi.take(indices))
                new_samples.append(samples)
                new_matches.append(matches)
            new_rois = F.stack(*new_rois, axis=0)
            new_samples = F.stack(*new_samples, axis=0)
            new_matches = F.stack(*new_matches, axis=0)
        return new_rois, new_samples, new_matches


class NormalizedBoxCenterEncoder(gluon.Block):
    def __init__(self, stds=(0.1, 0.1, 0.2, 0.2), means=(0., 0., 0., 0.)):
        super().__init__()
        self._stds, self._means = stds, means
        with self.name_scope():
            self.corner_to_center = BBoxCornerToCenter(split=True)

    def forward(self, samples, matches, anchors, refs):
        F = nd
        ref_boxes = F.repeat(refs.reshape((0, 1, -1, 4)), axis=1, repeats=matches.shape[1])
        ref_boxes = F.split(ref_boxes, axis=-1, num_outputs=4, squeeze_axis=True)
        ref_boxes = F.concat(*[F.pick(ref_boxes[i], matches, axis=2).reshape((0, -1, 1)) for i in range(4)], dim=2)
        g = self.corner_to_center(ref_boxes)
        a = self.corner_to_center(anchors)
        t0 = ((g[0] - a[0]) / a[2] - self._means[0]) / self._stds[0]
        t1 = ((g[1] - a[1]) / a[3] - self._means[1]) / self._stds[1]
        t2 = (F.log(g[2] / a[2]) - self._means[2]) / self._stds[2]
        t3 = (F.log(g[3] / a[3]) - self._means[3]) / self._stds[3]
        codecs = F.concat(t0, t1, t2, t3, dim=2)
        temp = F.tile(samples.reshape((0, -1, 1)), reps=(1, 1, 4)) > 0.5
        targets = F.where(temp, codecs, F.zeros_like(codecs))
        masks = F.where(temp, F.ones_like(temp), F.zeros_like(temp))
        return targets, masks


class NormalizedPerClassBoxCenterEncoder(gluon.Block):
    def __init__(self, num_class, stds=(0.1, 0.1, 0.2, 0.2), means=(0., 0., 0., 0.)):
        super().__init__()
        self._num_class = num_class
        with self.name_scope():
            self.class_agnostic_encoder = NormalizedBoxCenterEncoder(stds=stds, means=means)

    def forward(self, samples, matches, anchors, labels, refs):
        F = nd
        targets, masks = self.class_agnostic_encoder(samples, matches, anchors, refs)
        ref_labels = F.repeat(labels.reshape((0, 1, -1)), axis=1, repeats=matches.shape[1])
        ref_labels = F.pick(ref_labels, matches, axis=2).reshape((0, -1, 1))
        out_targets, out_masks = [], []
        for cid in range(self._num_class):
            same_cid = ref_labels == cid
            out_targets.append(targets)
            out_masks.append(masks * same_cid.repeat(axis=-1, repeats=4))
        return F.stack(*out_targets, axis=0), F.stack(*out_masks, axis=0)


class NormalizedBoxCenterDecoder(HybridBlock):
    def __init__(self, stds=(0.1, 0.1, 0.2, 0.2), means=(0., 0., 0., 0.), convert_anchor=False, clip=None):
        super().__init__()
        self._stds, self._means, self._clip = stds, means, clip
        self.corner_to_center = BBoxCornerToCenter(split=True) if convert_anchor else None

    def hybrid_forward(self, F, x, anchors):
        if self.corner_to_center is not None:
            a = self.corner_to_center(anchors)
        else:
            a = anchors.split(axis=-1, num_outputs=4)
        p = F.split(x, axis=-1, num_outputs=4)
        ox = F.broadcast_add(F.broadcast_mul(p[0] * self._stds[0] + self._means[0], a[2]), a[0])
        oy = F.broadcast_add(F.broadcast_mul(p[1] * self._stds[1] + self._means[1], a[3]), a[1])
        tw = F.exp(p[2] * self._stds[2] + self._means[2])
        th = F.exp(p[3] * self._stds[3] + self._means[3])
        if self._clip:
            tw = F.minimum(tw, self._clip)
            th = F.minimum(th, self._clip)
        ow = F.broadcast_mul(tw, a[2]) / 2
        oh = F.broadcast_mul(th, a[3]) / 2
        return F.concat(ox - ow, oy - oh, ox + ow, oy + oh, dim=-1)


class MultiClassEncoder(HybridBlock):
    def __init__(self, ignore_label=-1):
        super().__init__()
        self._ignore_label = ignore_label

    def hybrid_forward(self, F, samples, matches, refs):
        refs = F.repeat(refs.reshape((0, 1, -1)), axis=1, repeats=matches.shape[1])
        target_ids = F.pick(refs, matches, axis=2) + 1
        targets = F.where(samples > 0.5, target_ids, nd.ones_like(target_ids) * self._ignore_label)
        targets = F.where(samples < -0.5, nd.zeros_like(targets), targets)
        return targets


class RCNNTargetGenerator(gluon.Block):
    def __init__(self, num_class, means=(0., 0., 0., 0.), stds=(.1, .1, .2, .2)):
        super().__init__()
        self._cls_encoder = MultiClassEncoder()
        self._box_encoder = NormalizedPerClassBoxCenterEncoder(num_class=num_class, means=means, stds=stds)

    def forward(self, roi, samples, matches, gt_label, gt_box):
        with autograd.pause():
            cls_target = self._cls_encoder(samples, matches, gt_label)
            box_target, box_mask = self._box_encoder(samples, matches, roi, gt_label, gt_box)
            box_target = box_target.transpose((1, 2, 0, 3))
            box_mask = box_mask.transpose((1, 2, 0, 3))
        return cls_target, box_target, box_mask


def rcnn_targets():
    """The R-CNN sampler on two images with exactly ``max_pos`` positives (ground truths
    included), eager and hybridized inside ``autograd.record``: its first ``max_pos`` rows are
    then those positives in a random order (recorded sorted); the rows after them come from the
    shuffled remainder and may repeat a row (GluonCV's sampler takes them from ``index[max_pos:]``,
    not from what the first pick left), so only their shapes and value sets are recorded. The
    target generator and the decoder run on fixed samples and matches: decoding the positive
    targets gives back their ground-truth boxes."""
    res = {}
    rois = nd.array([[[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 4, 4], [5, 5, 15, 15],
                      [22, 22, 34, 34]],
                     [[2, 2, 8, 8], [0, 0, 9, 9], [10, 0, 20, 10], [11, 1, 21, 11], [30, 30, 40, 40],
                      [0, 10, 5, 20]]])
    scores = nd.array([[[0.9], [0.8], [0.7], [-1], [0.5], [0.4]],
                       [[0.9], [0.8], [0.7], [0.6], [0.5], [-1]]])
    gt_boxes = nd.array([[[0, 0, 10, 10], [20, 20, 32, 32]], [[1, 1, 9, 9], [10, 0, 20, 10]]])
    gt_label = nd.array([[0, 2], [1, 0]])
    for hyb in (False, True):
        sampler = RCNNTargetSampler(num_image=2, num_proposal=6, num_sample=8, pos_iou_thresh=0.5, pos_ratio=0.75,
                                    max_num_gt=3)
        if hyb:
            sampler.hybridize()
        with autograd.record():
            new_rois, samples, matches = sampler(rois, scores, gt_boxes)
        r = {'shapes': [list(new_rois.shape), list(samples.shape), list(matches.shape)]}
        top, bottom_values = [], []
        for i in range(2):
            rows = list(zip(new_rois[i].asnumpy().tolist(), samples[i].asnumpy().tolist(),
                            matches[i].asnumpy().tolist()))
            top.append(sorted(rows[:6]))
            bottom_values.append(set(v for _, v, _ in rows[6:]) <= {-1.0, 0.0, 1.0})
        r['top'] = top
        r['bottom_in_range'] = bottom_values
        res['hybrid' if hyb else 'eager'] = r
    # the generator on fixed proposals, samples (+1 / -1 / 0) and matches
    props = nd.array([[[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 4, 4], [5, 5, 15, 15]],
                      [[2, 2, 8, 8], [0, 0, 9, 9], [10, 0, 20, 10], [11, 1, 21, 11], [30, 30, 40, 40]]])
    fixed_samples = nd.array([[1, 1, 1, 0, -1], [1, 1, 1, -1, -1]])
    fixed_matches = nd.array([[0, 0, 1, 0, 0], [0, 0, 1, 1, 0]])
    gen = RCNNTargetGenerator(3)
    cls_t, box_t, box_m = gen(props, fixed_samples, fixed_matches, gt_label, gt_boxes)
    res['cls_target'], res['box_target'], res['box_mask'] = L(cls_t), L(box_t), L(box_m)
    for hyb in (False, True):
        dec = NormalizedBoxCenterDecoder(convert_anchor=True)
        if hyb:
            dec.hybridize()
        res['decoded_hybrid' if hyb else 'decoded'] = L(dec(box_t[:, :, 0, :], props))
    return res




# ---------------------------------------------------------------- 7 d2l (MXNet, d2lzh) modern CNNs
# d2l-ai/d2l-zh (MXNet edition) chapter_convolutional-modern: nin.md (nin_block), googlenet.md
# (Inception), densenet.md (conv_block, DenseBlock, transition_block), batch-norm.md (batch_norm
# from scratch and its BatchNorm Block).
def nin_block(num_channels, kernel_size, strides, padding):
    blk = nn.Sequential()
    blk.add(nn.Conv2D(num_channels, kernel_size, strides, padding, activation='relu'),
            nn.Conv2D(num_channels, kernel_size=1, activation='relu'),
            nn.Conv2D(num_channels, kernel_size=1, activation='relu'))
    return blk


class Inception(nn.Block):
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        self.p1_1 = nn.Conv2D(c1, kernel_size=1, activation='relu')
        self.p2_1 = nn.Conv2D(c2[0], kernel_size=1, activation='relu')
        self.p2_2 = nn.Conv2D(c2[1], kernel_size=3, padding=1, activation='relu')
        self.p3_1 = nn.Conv2D(c3[0], kernel_size=1, activation='relu')
        self.p3_2 = nn.Conv2D(c3[1], kernel_size=5, padding=2, activation='relu')
        self.p4_1 = nn.MaxPool2D(pool_size=3, strides=1, padding=1)
        self.p4_2 = nn.Conv2D(c4, kernel_size=1, activation='relu')

    def forward(self, x):
        p1 = self.p1_1(x)
        p2 = self.p2_2(self.p2_1(x))
        p3 = self.p3_2(self.p3_1(x))
        p4 = self.p4_2(self.p4_1(x))
        return nd.concat(p1, p2, p3, p4, dim=1)


def conv_block(num_channels):
    blk = nn.Sequential()
    blk.add(nn.BatchNorm(), nn.Activation('relu'), nn.Conv2D(num_channels, kernel_size=3, padding=1))
    return blk


class DenseBlock(nn.Block):
    def __init__(self, num_convs, num_channels, **kwargs):
        super(DenseBlock, self).__init__(**kwargs)
        self.net = nn.Sequential()
        for _ in range(num_convs):
            self.net.add(conv_block(num_channels))

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = nd.concat(X, Y, dim=1)
        return X


def transition_block(num_channels):
    blk = nn.Sequential()
    blk.add(nn.BatchNorm(), nn.Activation('relu'), nn.Conv2D(num_channels, kernel_size=1),
            nn.AvgPool2D(pool_size=2, strides=2))
    return blk


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not autograd.is_training():
        X_hat = (X - moving_mean) / nd.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(axis=0)
            var = ((X - mean) ** 2).mean(axis=0)
        else:
            mean = X.mean(axis=(0, 2, 3), keepdims=True)
            var = ((X - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
        X_hat = (X - mean) / nd.sqrt(var + eps)
        moving_mean = momentum * moving_mean + (1.0 - momentum) * mean
        moving_var = momentum * moving_var + (1.0 - momentum) * var
    Y = gamma * X_hat + beta
    return Y, moving_mean, moving_var


class BatchNorm(nn.Block):
    def __init__(self, num_features, num_dims, **kwargs):
        super(BatchNorm, self).__init__(**kwargs)
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = self.params.get('gamma', shape=shape, init=init.One())
        self.beta = self.params.get('beta', shape=shape, init=init.Zero())
        self.moving_mean = nd.zeros(shape)
        self.moving_var = nd.zeros(shape)

    def forward(self, X):
        if self.moving_mean.context != X.context:
            self.moving_mean = self.moving_mean.copyto(X.context)
            self.moving_var = self.moving_var.copyto(X.context)
        Y, self.moving_mean, self.moving_var = batch_norm(X, self.gamma.data(), self.beta.data(), self.moving_mean,
                                                          self.moving_var, eps=1e-5, momentum=0.9)
        return Y


def d2l_cnns():
    """NiN, an Inception block and a DenseNet stage (d2l's nn.Block classes over nd.concat) and
    LeNet with the from-scratch batch norm: outputs, per-layer output shapes as the book prints
    them, two SGD steps each, the hand-made moving statistics. Dropout's rate is 0 (its masks come
    from each framework's own generator)."""
    res = {}
    x = rnd(91, 2, 1, 12, 12)
    y = nd.array([1, 3])
    nin = nn.Sequential()
    nin.add(nin_block(4, kernel_size=3, strides=1, padding=1), nn.MaxPool2D(pool_size=3, strides=2),
            nin_block(5, kernel_size=3, strides=1, padding=1), nn.Dropout(0.0), nin_block(4, 3, 1, 1),
            nn.GlobalAvgPool2D(), nn.Flatten())
    dense = nn.Sequential()
    dense.add(nn.Conv2D(4, kernel_size=3, padding=1), nn.BatchNorm(), nn.Activation('relu'), DenseBlock(2, 3),
              transition_block(5), nn.BatchNorm(), nn.Activation('relu'), nn.GlobalAvgPool2D(), nn.Dense(4))
    goog = nn.Sequential()
    goog.add(nn.Conv2D(3, kernel_size=3, padding=1, activation='relu'), Inception(2, (2, 3), (1, 2), 2),
             nn.GlobalAvgPool2D(), nn.Dense(4))
    lenet = nn.Sequential()
    lenet.add(nn.Conv2D(3, kernel_size=5), BatchNorm(3, num_dims=4), nn.Activation('sigmoid'),
              nn.MaxPool2D(pool_size=2, strides=2), nn.Dense(6), BatchNorm(6, num_dims=2), nn.Activation('sigmoid'),
              nn.Dense(4))
    for key, net in (('nin', nin), ('densenet', dense), ('googlenet', goog), ('lenet_bn', lenet)):
        net.initialize(init=init.Xavier())
        net(x)          # in predict mode: the moving statistics stay as they are
        set_params(net, 92)
        shapes = []
        X = x
        for layer in net:
            X = layer(X)
            shapes.append([layer.name.rstrip('0123456789'), list(X.shape)])
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.3})
        losses = []
        for _ in range(2):
            with autograd.record():
                loss = gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
            loss.backward()
            trainer.step(2)
            losses.append(L(loss))
        r = {'shapes': shapes, 'losses': losses, 'eval': L(net(x))}
        if key == 'lenet_bn':
            r['moving_mean'] = L(net[1].moving_mean)
            r['moving_var'] = L(net[5].moving_var)
            r['gamma'] = L(net[1].gamma.data())
        res[key] = r
    return res


# ---------------------------------------------------------------- 8 GluonCV MobileNetV3
# dmlc/gluon-cv gluoncv/model_zoo/mobilenetv3.py (make_divisible, Activation, _SE, _Unit, _ResUnit,
# _MobileNetV3) and gluoncv/nn/block.py (ReLU6, HardSigmoid, HardSwish); a small configuration.
class ReLU6(HybridBlock):
    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name='relu6')


class HardSigmoid(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.act = ReLU6()

    def hybrid_forward(self, F, x):
        return self.act(x + 3.) / 6.


class HardSwish(HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.act = HardSigmoid()

    def hybrid_forward(self, F, x):
        return x * self.act(x)


def make_divisible(x, divisible_by=8):
    return int(np.ceil(x * 1. / divisible_by) * divisible_by)


class MV3Activation(HybridBlock):
    def __init__(self, act_func, **kwargs):
        super().__init__(**kwargs)
        if act_func == 'relu':
            self.act = nn.Activation('relu')
        elif act_func == 'relu6':
            self.act = ReLU6()
        elif act_func == 'hard_sigmoid':
            self.act = HardSigmoid()
        elif act_func == 'swish':
            self.act = nn.Swish()
        elif act_func == 'hard_swish':
            self.act = HardSwish()
        elif act_func == 'leaky':
            self.act = nn.LeakyReLU(alpha=0.375)
        else:
            raise NotImplementedError

    def hybrid_forward(self, F, x):
        return self.act(x)


class _SE(HybridBlock):
    def __init__(self, num_out, ratio=4, act_func=('relu', 'hard_sigmoid'), use_bn=False, prefix='', **kwargs):
        super().__init__(**kwargs)
        self.use_bn = use_bn
        num_mid = make_divisible(num_out // ratio)
        self.pool = nn.GlobalAvgPool2D()
        self.conv1 = nn.Conv2D(channels=num_mid, kernel_size=1, use_bias=True, prefix=('%s_fc1_' % prefix))
        self.act1 = MV3Activation(act_func[0])
        self.conv2 = nn.Conv2D(channels=num_out, kernel_size=1, use_bias=True, prefix=('%s_fc2_' % prefix))
        self.act2 = MV3Activation(act_func[1])

    def hybrid_forward(self, F, x):
        out = self.act2(self.conv2(self.act1(self.conv1(self.pool(x)))))
        return F.broadcast_mul(x, out)


class _Unit(HybridBlock):
    def __init__(self, num_out, kernel_size=1, strides=1, pad=0, num_groups=1, use_act=True, act_type='relu',
                 prefix='', norm_layer=nn.BatchNorm, **kwargs):
        super().__init__(**kwargs)
        self.use_act = use_act
        self.conv = nn.Conv2D(channels=num_out, kernel_size=kernel_size, strides=strides, padding=pad,
                              groups=num_groups, use_bias=False, prefix='%s-conv2d_' % prefix)
        self.bn = norm_layer(prefix='%s-batchnorm_' % prefix)
        if use_act is True:
            self.act = MV3Activation(act_type)

    def hybrid_forward(self, F, x):
        out = self.bn(self.conv(x))
        if self.use_act:
            out = self.act(out)
        return out


class _ResUnit(HybridBlock):
    def __init__(self, num_in, num_mid, num_out, kernel_size, act_type='relu', use_se=False, strides=1, prefix='',
                 norm_layer=nn.BatchNorm, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.use_se = use_se
            self.first_conv = (num_out != num_mid)
            self.use_short_cut_conv = True
            if self.first_conv:
                self.expand = _Unit(num_mid, kernel_size=1, strides=1, pad=0, act_type=act_type,
                                    prefix='%s-exp' % prefix, norm_layer=norm_layer)
            self.conv1 = _Unit(num_mid, kernel_size=kernel_size, strides=strides, pad=self._get_pad(kernel_size),
                               act_type=act_type, num_groups=num_mid, prefix='%s-depthwise' % prefix,
                               norm_layer=norm_layer)
            if use_se:
                self.se = _SE(num_mid, prefix='%s-se' % prefix)
            self.conv2 = _Unit(num_out, kernel_size=1, strides=1, pad=0, act_type=act_type, use_act=False,
                               prefix='%s-linear' % prefix, norm_layer=norm_layer)
            if num_in != num_out or strides != 1:
                self.use_short_cut_conv = False

    def hybrid_forward(self, F, x):
        out = self.expand(x) if self.first_conv else x
        out = self.conv1(out)
        if self.use_se:
            out = self.se(out)
        out = self.conv2(out)
        return x + out if self.use_short_cut_conv else out

    def _get_pad(self, kernel_size):
        return {1: 0, 3: 1, 5: 2, 7: 3}[kernel_size]


class _MobileNetV3(HybridBlock):
    def __init__(self, cfg, cls_ch_squeeze, cls_ch_expand, multiplier=1., classes=1000, norm_kwargs=None,
                 last_gamma=False, final_drop=0., use_global_stats=False, name_prefix='', norm_layer=nn.BatchNorm):
        super().__init__(prefix=name_prefix)
        norm_kwargs = norm_kwargs if norm_kwargs is not None else {}
        if use_global_stats:
            norm_kwargs['use_global_stats'] = True
        k = multiplier
        self.last_gamma, self.norm_kwargs, self.inplanes = last_gamma, norm_kwargs, 16
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(channels=make_divisible(k * self.inplanes), kernel_size=3, padding=1,
                                        strides=2, use_bias=False, prefix='first-3x3-conv-conv2d_'))
            self.features.add(norm_layer(prefix='first-3x3-conv-batchnorm_'))
            self.features.add(HardSwish())
            for i, layer_cfg in enumerate(cfg):
                self.features.add(self._make_layer(kernel_size=layer_cfg[0], exp_ch=make_divisible(k * layer_cfg[1]),
                                                   out_channel=make_divisible(k * layer_cfg[2]), use_se=layer_cfg[3],
                                                   act_func=layer_cfg[4], stride=layer_cfg[5], prefix='seq-%d' % i))
            self.features.add(nn.Conv2D(channels=make_divisible(k * cls_ch_squeeze), kernel_size=1, padding=0,
                                        strides=1, use_bias=False, prefix='last-1x1-conv1-conv2d_'))
            self.features.add(norm_layer(prefix='last-1x1-conv1-batchnorm_',
                                         **({} if norm_kwargs is None else norm_kwargs)))
            self.features.add(HardSwish())
            self.features.add(nn.GlobalAvgPool2D())
            self.features.add(nn.Conv2D(channels=cls_ch_expand, kernel_size=1, padding=0, strides=1, use_bias=False,
                                        prefix='last-1x1-conv2-conv2d_'))
            self.features.add(HardSwish())
            if final_drop > 0:
                self.features.add(nn.Dropout(final_drop))
            self.output = nn.HybridSequential(prefix='output_')
            with self.output.name_scope():
                self.output.add(nn.Conv2D(in_channels=cls_ch_expand, channels=classes, kernel_size=1, prefix='fc_'),
                                nn.Flatten())

    def _make_layer(self, kernel_size, exp_ch, out_channel, use_se, act_func, stride=1, prefix=''):
        layer = _ResUnit(self.inplanes, exp_ch, out_channel, kernel_size, act_func, strides=stride, use_se=use_se,
                         prefix=prefix)
        self.inplanes = out_channel
        return layer

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def mobilenetv3():
    """A three-unit MobileNetV3 (hard swish / hard sigmoid through a shared ReLU6 clip, squeeze-and-
    excitation, depthwise units, a residual unit) eager and hybridized: the parameter names its
    prefixes give (sub-blocks made outside their parent's name scope), the output and gradients in
    training, two SGD steps, the export read back by SymbolBlock.imports; the activations alone."""
    res = {}
    cfg = [[3, 16, 16, True, 'relu', 2], [3, 24, 16, False, 'hard_swish', 1], [5, 32, 24, True, 'hard_swish', 2]]
    x = rnd(101, 2, 3, 16, 16)
    y = nd.array([0, 4])
    for hyb in (False, True):
        net = _MobileNetV3(cfg, 32, 40, classes=5, final_drop=0.0, name_prefix='mobilenetv3_')
        net.initialize()
        net(x)
        set_params(net, 102)
        if hyb:
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
        losses = []
        for step in range(2):
            with autograd.record():
                out = net(x)
                loss = gluon.loss.SoftmaxCrossEntropyLoss()(out, y)
            loss.backward()
            if step == 0:
                grads = {'first': L(net.features[0].weight.grad()),
                         'se_fc1': L(net.features[3].se.conv1.weight.grad())}
            trainer.step(2)
            losses.append(L(loss))
        r = {'names': list(net.collect_params().keys()), 'losses': losses, 'grads': grads, 'eval': L(net(x))}
        if hyb:
            path = os.path.join(tempfile.mkdtemp(), 'mnv3')
            net.export(path)
            blk = gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params')
            r['imported'] = L(blk(x))
        res['hybrid' if hyb else 'eager'] = r
    z = nd.array([-4, -3, -1, 0, 1, 2.5, 3, 4, 7])
    res['acts'] = {k: L(MV3Activation(k)(z)) for k in ('relu6', 'hard_sigmoid', 'hard_swish', 'leaky', 'swish')}
    return res


# ---------------------------------------------------------------- 9 GluonNLP beam search samplers
# dmlc/gluon-nlp src/gluonnlp/model/sequence_sampler.py: BeamSearchScorer (``__call__`` overridden),
# _expand_to_beam_size, _choose_states, the nested-structure helpers, _BeamSearchStepUpdate,
# BeamSearchSampler (a Python loop) and HybridBeamSearchSampler (contrib.while_loop + contrib.cond);
# the step decoder is a GRU of our own.
LARGE_NEGATIVE_FLOAT = -1e18


class BeamSearchScorer(HybridBlock):
    def __init__(self, alpha=1.0, K=5.0, from_logits=True, **kwargs):
        super().__init__(**kwargs)
        self._alpha, self._K, self._from_logits = alpha, K, from_logits

    def __call__(self, outputs, scores, step):
        return super().__call__(outputs, scores, step)

    def hybrid_forward(self, F, outputs, scores, step):
        if not self._from_logits:
            outputs = outputs.log_softmax()
        prev_lp = (self._K + step - 1) ** self._alpha / (self._K + 1) ** self._alpha
        prev_lp = prev_lp * (step != 1) + (step == 1)
        scores = F.broadcast_mul(scores, prev_lp)
        lp = (self._K + step) ** self._alpha / (self._K + 1) ** self._alpha
        candidate_scores = F.broadcast_add(outputs, F.expand_dims(scores, axis=-1))
        return F.broadcast_div(candidate_scores, lp)


def _extract_and_flatten_nested_structure(data, flattened=None):
    if flattened is None:
        flattened = []
        structure = _extract_and_flatten_nested_structure(data, flattened)
        return structure, flattened
    if isinstance(data, list):
        return list(_extract_and_flatten_nested_structure(x, flattened) for x in data)
    if isinstance(data, tuple):
        return tuple(_extract_and_flatten_nested_structure(x, flattened) for x in data)
    if isinstance(data, (mx.sym.Symbol, mx.nd.NDArray)):
        flattened.append(data)
        return len(flattened) - 1
    raise NotImplementedError


def _reconstruct_flattened_structure(structure, flattened):
    if isinstance(structure, list):
        return list(_reconstruct_flattened_structure(x, flattened) for x in structure)
    if isinstance(structure, tuple):
        return tuple(_reconstruct_flattened_structure(x, flattened) for x in structure)
    if isinstance(structure, int):
        return flattened[structure]
    raise NotImplementedError


def _expand_to_beam_size(data, beam_size, batch_size, state_info=None):
    if isinstance(data, list):
        return [_expand_to_beam_size(d, beam_size, batch_size) for d in data]
    if isinstance(data, mx.nd.NDArray):
        new_shape = list(data.shape)
        new_shape[0] = batch_size * beam_size
        return data.expand_dims(1).broadcast_axes(axis=1, size=beam_size).reshape(tuple(new_shape))
    if isinstance(data, mx.sym.Symbol):
        return data.expand_dims(1).broadcast_axes(axis=1, size=beam_size).reshape((-3, -2))
    raise NotImplementedError


def _choose_states(F, states, state_info, indices):
    if isinstance(states, list):
        return [_choose_states(F, d, None, indices) for d in states]
    return F.take(states, indices, axis=0)


class _BeamSearchStepUpdate(HybridBlock):
    def __init__(self, beam_size, eos_id, scorer, state_info, single_step=False, prefix=None, params=None):
        super().__init__(prefix, params)
        self._beam_size, self._eos_id, self._scorer = beam_size, eos_id, scorer
        self._state_info, self._single_step = state_info, single_step

    def hybrid_forward(self, F, samples, valid_length, outputs, scores, step, beam_alive_mask, states, vocab_size,
                       batch_shift):
        beam_size = self._beam_size
        beam_alive_mask_bcast = F.expand_dims(beam_alive_mask, axis=2).astype(np.float32)
        candidate_scores = self._scorer(outputs.reshape(shape=(-4, -1, beam_size, 0)), scores, step)
        candidate_scores = F.broadcast_mul(beam_alive_mask_bcast, candidate_scores) + \
            F.broadcast_mul(1 - beam_alive_mask_bcast, F.ones_like(candidate_scores) * LARGE_NEGATIVE_FLOAT)
        finished_scores = F.where(beam_alive_mask, F.ones_like(scores) * LARGE_NEGATIVE_FLOAT, scores)
        candidate_scores = F.concat(candidate_scores.reshape(shape=(0, -1)), finished_scores, dim=1)
        new_scores, indices = F.topk(candidate_scores, axis=1, k=beam_size, ret_typ='both')
        indices = indices.astype(np.int32)
        use_prev = F.broadcast_greater_equal(indices, beam_size * vocab_size)
        chosen_word_ids = F.broadcast_mod(indices, vocab_size)
        beam_ids = F.where(use_prev, F.broadcast_minus(indices, beam_size * vocab_size),
                           F.floor(F.broadcast_div(indices, vocab_size)))
        batch_beam_indices = F.broadcast_add(beam_ids, F.expand_dims(batch_shift, axis=1))
        chosen_word_ids = F.where(use_prev, -F.ones_like(indices), chosen_word_ids)
        selected_samples = F.take(samples.reshape(shape=(-3, 0)), batch_beam_indices.reshape(shape=(-1,)))
        new_samples = F.concat(selected_samples, chosen_word_ids.reshape(shape=(-1, 1)), dim=1) \
            .reshape(shape=(-4, -1, beam_size, 0))
        if self._single_step:
            new_samples = new_samples.slice_axis(axis=2, begin=1, end=None)
        new_valid_length = F.take(valid_length.reshape(shape=(-1,)),
                                  batch_beam_indices.reshape(shape=(-1,))).reshape((-1, beam_size)) + 1 - use_prev
        new_states = _choose_states(F, states, self._state_info, batch_beam_indices.reshape((-1,)))
        beam_alive_mask = F.take(beam_alive_mask.reshape(shape=(-1,)), batch_beam_indices.reshape(shape=(-1,))) \
            .reshape(shape=(-1, beam_size)) * (chosen_word_ids != self._eos_id)
        return new_samples, new_valid_length, new_scores, chosen_word_ids, beam_alive_mask, new_states


class BeamSearchSampler:
    def __init__(self, beam_size, decoder, eos_id, scorer=BeamSearchScorer(alpha=1.0, K=5), max_length=100):
        self._beam_size, self._decoder, self._eos_id = beam_size, decoder, eos_id
        self._max_length, self._scorer = max_length, scorer
        self._updater = _BeamSearchStepUpdate(beam_size=beam_size, eos_id=eos_id, scorer=scorer, state_info=None)
        self._updater.hybridize()

    def __call__(self, inputs, states):
        batch_size, beam_size, ctx = inputs.shape[0], self._beam_size, inputs.context
        states = _expand_to_beam_size(states, beam_size=beam_size, batch_size=batch_size)
        step_input = _expand_to_beam_size(inputs, beam_size=beam_size, batch_size=batch_size).astype(np.int32)
        beam_alive_mask = mx.nd.ones(shape=(batch_size, beam_size), ctx=ctx, dtype=np.int32)
        valid_length = mx.nd.ones(shape=(batch_size, beam_size), ctx=ctx, dtype=np.int32)
        scores = mx.nd.zeros(shape=(batch_size, beam_size), ctx=ctx)
        if beam_size > 1:
            scores[:, 1:beam_size] = LARGE_NEGATIVE_FLOAT
        samples = step_input.reshape((batch_size, beam_size, 1))
        for i in range(self._max_length):
            log_probs, new_states = self._decoder(step_input, states)
            vocab_size_nd = mx.nd.array([log_probs.shape[1]], ctx=ctx, dtype=np.int32)
            batch_shift_nd = mx.nd.arange(0, batch_size * beam_size, beam_size, ctx=ctx, dtype=np.int32)
            step_nd = mx.nd.array([i + 1], ctx=ctx)
            samples, valid_length, scores, chosen_word_ids, beam_alive_mask, states = self._updater(
                samples, valid_length, log_probs, scores, step_nd, beam_alive_mask, new_states, vocab_size_nd,
                batch_shift_nd)
            step_input = mx.nd.relu(chosen_word_ids).reshape((-1,))
            if mx.nd.sum(beam_alive_mask).asscalar() == 0:
                return samples, scores, valid_length
        final_word = mx.nd.where(beam_alive_mask,
                                 mx.nd.full(shape=(batch_size, beam_size), val=self._eos_id, ctx=ctx, dtype=np.int32),
                                 mx.nd.full(shape=(batch_size, beam_size), val=-1, ctx=ctx, dtype=np.int32))
        samples = mx.nd.concat(samples, final_word.reshape((0, 0, 1)), dim=2)
        valid_length += beam_alive_mask
        return samples, scores, valid_length


class HybridBeamSearchSampler(HybridBlock):
    def __init__(self, batch_size, beam_size, decoder, eos_id, scorer=BeamSearchScorer(alpha=1.0, K=5),
                 max_length=100, vocab_size=None, prefix=None, params=None):
        super().__init__(prefix, params)
        self._batch_size, self._beam_size, self._decoder, self._eos_id = batch_size, beam_size, decoder, eos_id
        self._max_length, self._scorer = max_length, scorer
        self._state_info_func = getattr(decoder, 'state_info', lambda _=None: None)
        self._updater = _BeamSearchStepUpdate(beam_size=beam_size, eos_id=eos_id, scorer=scorer, single_step=True,
                                              state_info=self._state_info_func())
        self._updater.hybridize()
        self._vocab_size = vocab_size or getattr(decoder, '_vocab_size', None)

    def hybrid_forward(self, F, inputs, states):
        batch_size, beam_size, vocab_size = self._batch_size, self._beam_size, self._vocab_size
        step_input = _expand_to_beam_size(inputs, beam_size=beam_size, batch_size=batch_size).astype(np.int32)
        states = _expand_to_beam_size(states, beam_size=beam_size, batch_size=batch_size)
        state_structure, states = _extract_and_flatten_nested_structure(states)
        if beam_size == 1:
            init_scores = F.zeros(shape=(batch_size, 1))
        else:
            init_scores = F.concat(F.zeros(shape=(batch_size, 1)),
                                   F.full(shape=(batch_size, beam_size - 1), val=LARGE_NEGATIVE_FLOAT), dim=1)
        vocab_size = F.full(shape=(1,), val=vocab_size, dtype=np.int32)
        batch_shift = F.arange(0, batch_size * beam_size, beam_size, dtype=np.int32)

        def _loop_cond(_i, _samples, _indices, _step_input, _valid_length, _scores, beam_alive_mask, *_states):
            return F.sum(beam_alive_mask) > 0

        def _loop_func(i, samples, indices, step_input, valid_length, scores, beam_alive_mask, *states):
            outputs, new_states = self._decoder(step_input, _reconstruct_flattened_structure(state_structure, states))
            step = i + 1
            new_samples, new_valid_length, new_scores, chosen_word_ids, new_beam_alive_mask, new_new_states = \
                self._updater(samples, valid_length, outputs, scores, step.astype(np.float32), beam_alive_mask,
                              _extract_and_flatten_nested_structure(new_states)[-1], vocab_size, batch_shift)
            new_step_input = F.relu(chosen_word_ids).reshape((-1,))
            new_indices = F.concat(indices.slice_axis(axis=0, begin=1, end=None),
                                   indices.slice_axis(axis=0, begin=0, end=1), dim=0)
            return [], (step, new_samples, new_indices, new_step_input, new_valid_length, new_scores,
                        new_beam_alive_mask) + tuple(new_new_states)

        _, pad_samples, indices, _, new_valid_length, new_scores, new_beam_alive_mask = F.contrib.while_loop(
            cond=_loop_cond, func=_loop_func, max_iterations=self._max_length,
            loop_vars=(F.zeros(shape=(1,), dtype=np.int32),
                       F.zeros(shape=(batch_size, beam_size, self._max_length), dtype=np.int32),
                       F.arange(start=0, stop=self._max_length, dtype=np.int32),
                       step_input,
                       F.ones(shape=(batch_size, beam_size), dtype=np.int32),
                       init_scores,
                       F.ones(shape=(batch_size, beam_size), dtype=np.int32)) + tuple(states))[1][:7]
        samples = pad_samples.take(indices, axis=2)

        def _then_func():
            new_samples = F.concat(step_input.reshape((batch_size, beam_size, 1)), samples,
                                   F.full(shape=(batch_size, beam_size, 1), val=-1, dtype=np.int32), dim=2,
                                   name='concat3')
            return new_samples, new_valid_length

        def _else_func():
            final_word = F.where(new_beam_alive_mask,
                                 F.full(shape=(batch_size, beam_size), val=self._eos_id, dtype=np.int32),
                                 F.full(shape=(batch_size, beam_size), val=-1, dtype=np.int32))
            new_samples = F.concat(step_input.reshape((batch_size, beam_size, 1)), samples,
                                   final_word.reshape((0, 0, 1)), dim=2)
            return new_samples, new_valid_length + new_beam_alive_mask

        new_samples, new_new_valid_length = F.contrib.cond(F.sum(new_beam_alive_mask) == 0, _then_func, _else_func)
        return new_samples, new_scores, new_new_valid_length


class GRUStepDecoder(HybridBlock):
    """One decoding step (ours): embedding -> GRU cell -> log-softmax over the vocabulary."""

    def __init__(self, vocab_size, hidden, **kwargs):
        super().__init__(**kwargs)
        self._vocab_size = vocab_size
        with self.name_scope():
            self.embed = nn.Embedding(vocab_size, hidden)
            self.cell = gluon.rnn.GRUCell(hidden, input_size=hidden)
            self.proj = nn.Dense(vocab_size, in_units=hidden, flatten=False)

    def hybrid_forward(self, F, step_input, states):
        out, new_states = self.cell(self.embed(step_input), states)
        return F.log_softmax(self.proj(out)), new_states


def gluonnlp_beam():
    """GluonNLP's beam search over a GRU step decoder (vocabulary 7, EOS 2, beam 3, batch 2):
    the eager sampler (a Python loop around the hybridized step update) with maximum lengths 3
    and 8, and HybridBeamSearchSampler (``contrib.while_loop`` with ``max_iterations`` and a
    ``contrib.cond`` on whether every beam ended) eager and hybridized; the scorer alone."""
    res = {}
    dec = GRUStepDecoder(7, 5, prefix='dec_')
    dec.initialize()
    set_params(dec, 111)
    inputs = nd.array([1, 4])
    h0 = [rnd(112, 2, 5)]
    for max_length in (3, 8):
        sampler = BeamSearchSampler(3, dec, eos_id=2, scorer=BeamSearchScorer(alpha=1.0, K=5),
                                    max_length=max_length)
        samples, scores, valid_length = sampler(inputs, h0)
        res['loop_%d' % max_length] = {'samples': L(samples), 'scores': L(scores), 'valid_length': L(valid_length),
                                       'dtypes': [str(samples.dtype), str(valid_length.dtype)]}
        for hyb in (False, True):
            hsampler = HybridBeamSearchSampler(2, 3, dec, eos_id=2, scorer=BeamSearchScorer(alpha=1.0, K=5),
                                               max_length=max_length)
            if hyb:
                hsampler.hybridize()
            try:
                samples, scores, valid_length = hsampler(inputs, h0)
                r = {'samples': L(samples), 'scores': L(scores), 'valid_length': L(valid_length)}
            except Exception as e:
                r = {'error': err(e)}
            res['while_%d_%s' % (max_length, 'hybrid' if hyb else 'eager')] = r
    scorer = BeamSearchScorer(alpha=0.7, K=3.0, from_logits=False)
    res['scorer'] = [L(scorer(rnd(113, 2, 3, 4), rnd(114, 2, 3), nd.array([s]))) for s in (1, 3)]
    return res


# ---------------------------------------------------------------- 10 GluonNLP ELMo biLM
# dmlc/gluon-nlp src/gluonnlp/model/bilm_encoder.py (BiLMEncoder: cells as contrib.foreach bodies,
# SequenceReverse by the mask's lengths), model/utils.py (_get_rnn_cell, the 'lstmpc' branch) and
# model/elmo.py (ELMoBiLM), over section 3's character encoder and LSTMP cell.
def _get_rnn_cell(mode, num_layers, input_size, hidden_size, dropout, weight_dropout, var_drop_in, var_drop_state,
                  var_drop_out, skip_connection, proj_size=None, cell_clip=None, proj_clip=None):
    assert mode == 'lstmpc'
    rnn_cell = gluon.rnn.HybridSequentialRNNCell()
    with rnn_cell.name_scope():
        for i in range(num_layers):
            cell = LSTMPCellWithClip(hidden_size, proj_size, cell_clip=cell_clip, projection_clip=proj_clip,
                                     input_size=input_size)
            if skip_connection:
                cell = gluon.rnn.ResidualCell(cell)
            rnn_cell.add(cell)
            if i != num_layers - 1 and dropout != 0:
                rnn_cell.add(gluon.rnn.DropoutCell(dropout))
    return rnn_cell


class BiLMEncoder(HybridBlock):
    def __init__(self, mode, num_layers, input_size, hidden_size, dropout=0.0, skip_connection=True, proj_size=None,
                 cell_clip=None, proj_clip=None, **kwargs):
        super().__init__(**kwargs)
        self._mode, self._num_layers, self._input_size, self._hidden_size = mode, num_layers, input_size, hidden_size
        self._dropout, self._skip_connection, self._proj_size = dropout, skip_connection, proj_size
        self._cell_clip, self._proj_clip = cell_clip, proj_clip
        with self.name_scope():
            for direction in ('forward_layers', 'backward_layers'):
                lstm_input_size = self._input_size
                layers = gluon.rnn.HybridSequentialRNNCell()
                setattr(self, direction, layers)
                with layers.name_scope():
                    for layer_index in range(self._num_layers):
                        layers.add(_get_rnn_cell(mode=self._mode, num_layers=1, input_size=lstm_input_size,
                                                 hidden_size=self._hidden_size,
                                                 dropout=0 if layer_index == num_layers - 1 else self._dropout,
                                                 weight_dropout=0, var_drop_in=0, var_drop_state=0, var_drop_out=0,
                                                 skip_connection=False if layer_index == 0 else self._skip_connection,
                                                 proj_size=self._proj_size, cell_clip=self._cell_clip,
                                                 proj_clip=self._proj_clip))
                        lstm_input_size = self._proj_size if self._proj_size else self._hidden_size

    def begin_state(self, func, **kwargs):
        return [self.forward_layers[0][0].begin_state(func=func, **kwargs) for _ in range(self._num_layers)], \
               [self.backward_layers[0][0].begin_state(func=func, **kwargs) for _ in range(self._num_layers)]

    def hybrid_forward(self, F, inputs, states=None, mask=None):
        states_forward, states_backward = states
        if mask is not None:
            sequence_length = mask.sum(axis=1)
        outputs_forward, outputs_backward = [], []
        for layer_index in range(self._num_layers):
            layer_inputs = inputs if layer_index == 0 else outputs_forward[layer_index - 1]
            output, states_forward[layer_index] = F.contrib.foreach(self.forward_layers[layer_index], layer_inputs,
                                                                    states_forward[layer_index])
            outputs_forward.append(output)
            layer_inputs = inputs if layer_index == 0 else outputs_backward[layer_index - 1]
            if mask is not None:
                layer_inputs = F.SequenceReverse(layer_inputs, sequence_length=sequence_length,
                                                 use_sequence_length=True, axis=0)
            else:
                layer_inputs = F.SequenceReverse(layer_inputs, axis=0)
            output, states_backward[layer_index] = F.contrib.foreach(self.backward_layers[layer_index], layer_inputs,
                                                                     states_backward[layer_index])
            if mask is not None:
                backward_out = F.SequenceReverse(output, sequence_length=sequence_length, use_sequence_length=True,
                                                 axis=0)
            else:
                backward_out = F.SequenceReverse(output, axis=0)
            outputs_backward.append(backward_out)
        out = F.concat(*[F.stack(*outputs_forward, axis=0), F.stack(*outputs_backward, axis=0)], dim=-1)
        return out, [states_forward, states_backward]


class ELMoBiLM(HybridBlock):
    def __init__(self, rnn_type, output_size, filters, char_embed_size, char_vocab_size, num_highway,
                 conv_layer_activation, max_chars_per_token, input_size, hidden_size, proj_size, num_layers, cell_clip,
                 proj_clip, skip_connection=True, **kwargs):
        super().__init__(**kwargs)
        self._num_layers = num_layers
        with self.name_scope():
            self._elmo_char_encoder = ELMoCharacterEncoder(output_size, filters, char_embed_size, num_highway,
                                                           conv_layer_activation, max_chars_per_token, char_vocab_size)
            self._elmo_lstm = BiLMEncoder(mode=rnn_type, input_size=input_size, hidden_size=hidden_size,
                                          proj_size=proj_size, num_layers=num_layers, cell_clip=cell_clip,
                                          proj_clip=proj_clip)

    def begin_state(self, func, **kwargs):
        return self._elmo_lstm.begin_state(func, **kwargs)

    def hybrid_forward(self, F, inputs, states=None, mask=None):
        type_representation = self._elmo_char_encoder(inputs)
        type_representation = type_representation.transpose(axes=(1, 0, 2))
        lstm_outputs, states = self._elmo_lstm(type_representation, states, mask)
        lstm_outputs = lstm_outputs.transpose(axes=(0, 2, 1, 3))
        type_representation = type_representation.transpose(axes=(1, 0, 2))
        output = F.concat(*[type_representation, type_representation], dim=-1)
        if mask is not None:
            output = output * mask.expand_dims(axis=-1)
        output = [output]
        output.extend([layer_activations.squeeze(axis=0)
                       for layer_activations in F.split(lstm_outputs, self._num_layers, axis=0)])
        return output, states


def elmo_bilm():
    """ELMo's bidirectional LM (character encoder, two LSTMP layers each way run by
    ``contrib.foreach`` with the cells as bodies, the second behind a ResidualCell, the backward
    direction through SequenceReverse by the mask's lengths) eager and hybridized: the three
    layers' activations, the final states, gradients of the character embedding."""
    res = {}
    chars = nd.array(np.random.RandomState(121).randint(0, 12, (2, 4, 6)))
    mask = nd.array([[1, 1, 1, 1], [1, 1, 0, 0]])
    for hyb in (False, True):
        lm = ELMoBiLM('lstmpc', 4, [[1, 3], [2, 3]], 5, 12, 1, 'relu', 6, input_size=4, hidden_size=6, proj_size=4,
                      num_layers=2, cell_clip=3, proj_clip=3, prefix='elmo_')
        lm.initialize()
        states = lm.begin_state(nd.zeros, batch_size=2)
        lm(chars, states, mask)
        set_params(lm, 122)
        if hyb:
            lm.hybridize()
        states = lm.begin_state(nd.zeros, batch_size=2)
        try:        # ``output * mask.expand_dims(axis=-1)``: a broadcasting ``*`` between Symbols
            with autograd.record():
                outputs, new_states = lm(chars, states, mask)
                loss = sum((o * rnd(123 + i, *o.shape)).sum() for i, o in enumerate(outputs))
        except Exception as e:
            res['hybrid_error'] = err(e)
            continue
        loss.backward()
        res['hybrid' if hyb else 'eager'] = {
            'outputs': [L(o) for o in outputs],
            'states': [[[L(s) for s in layer] for layer in direction] for direction in new_states],
            'embed_grad': L(lm._elmo_char_encoder._char_embedding.weight.grad()),
            'n_params': len(lm.collect_params().keys())}
    return res


# ---------------------------------------------------------------- 11 Sockeye 1.x losses
# awslabs/sockeye sockeye/loss.py (1.x, and a fork's attention-monotonicity loss on the same
# file): CrossEntropyLoss as SoftmaxOutput with use_ignore / normalization / smooth_alpha /
# grad_scale, CrossEntropyMetric (an EvalMetric), MonotoneAttention over Symbols. Sockeye binds
# these graphs in a Module (out of minigluon's scope): here a SymbolBlock runs them.
class LossConfig:
    def __init__(self, normalization_type, vocab_size, label_smoothing=0.0):
        self.normalization_type, self.vocab_size, self.label_smoothing = normalization_type, vocab_size, label_smoothing


class SockeyeCrossEntropyLoss:
    def __init__(self, loss_config, ignore_label=0, name='softmax'):
        self.loss_config, self.ignore_label, self.name = loss_config, ignore_label, name

    def get_loss(self, logits, labels, grad_scale=1.0):
        if self.loss_config.normalization_type == 'valid':
            normalization = 'valid'
        elif self.loss_config.normalization_type == 'batch':
            normalization = 'null'
        else:
            raise ValueError('Unknown loss normalization type: %s' % self.loss_config.normalization_type)
        return mx.sym.SoftmaxOutput(data=logits, label=labels, grad_scale=grad_scale, ignore_label=self.ignore_label,
                                    use_ignore=True, normalization=normalization,
                                    smooth_alpha=self.loss_config.label_smoothing, name=self.name)


class CrossEntropyMetric(mx.metric.EvalMetric):
    def __init__(self, loss_config, name='perplexity', output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names)
        self.loss_config = loss_config

    @staticmethod
    def cross_entropy(logprob, label):
        return -mx.nd.pick(logprob, label)

    @staticmethod
    def cross_entropy_smoothed(logprob, label, alpha, num_classes):
        ce = CrossEntropyMetric.cross_entropy(logprob, label)
        per_class_gain = alpha / (num_classes - 1)
        ce *= 1 - alpha - per_class_gain
        ce -= mx.nd.sum(logprob * per_class_gain, axis=-1, keepdims=False)
        return ce

    def update(self, labels, preds):
        for label, pred in zip(labels, preds):
            batch_size = label.shape[0]
            label = label.as_in_context(pred.context).reshape((label.size,))
            logprob = mx.nd.log(mx.nd.maximum(1e-10, pred))
            if self.loss_config.label_smoothing > 0.0:
                ce = self.cross_entropy_smoothed(logprob, label, alpha=self.loss_config.label_smoothing,
                                                 num_classes=self.loss_config.vocab_size)
            else:
                ce = self.cross_entropy(logprob, label)
            valid = (label != 0).astype(dtype=pred.dtype)
            ce *= valid
            ce = mx.nd.sum(ce)
            if self.loss_config.normalization_type == 'valid':
                num_valid = mx.nd.sum(valid)
                ce /= num_valid
                self.num_inst += 1
            elif self.loss_config.normalization_type == 'batch':
                self.num_inst += batch_size
            self.sum_metric += ce.asscalar()


class MonotoneAttention:
    def __init__(self, loss_config):
        self.loss_config = loss_config

    def get_loss(self, attention_scores_list, num_attention_heads, target_words, source_words, source_length,
                 target_length, grad_scale=0.5, margin=0.0, return_position_diffs=False):
        total_loss = mx.sym.zeros_like(target_length)
        total_avg_position_increase = mx.sym.zeros_like(target_length)
        start, end = 0, len(attention_scores_list)
        for layer in range(start, end):
            loss, layer_position_increase = self.monotonicity_score_per_layer(
                attention_scores_list[layer], num_attention_heads, target_words, source_words, source_length,
                target_length, margin, return_position_diffs)
            total_loss = mx.sym.broadcast_add(total_loss, loss)
            total_avg_position_increase = mx.sym.broadcast_add(total_avg_position_increase, layer_position_increase)
        num_layers = mx.sym.ones_like(total_loss) * (end - start)
        avg_loss = mx.sym.broadcast_div(total_loss, num_layers, name='_mono_loss_broad_div3')
        if return_position_diffs:
            avg_position_increase = mx.sym.broadcast_div(total_avg_position_increase, num_layers,
                                                         name='_mono_loss_broaddiv_avg_pos_increase')
            return mx.sym.MakeLoss(avg_loss, grad_scale=grad_scale), avg_position_increase
        return mx.sym.MakeLoss(avg_loss, grad_scale=grad_scale)

    def monotonicity_score_per_layer(self, attention_scores, num_attention_heads, target_words, source_words,
                                     source_length, target_length, margin, return_position_diffs):
        start, end = 0, 1
        if num_attention_heads > 1:
            attention_scores = attention_scores.reshape(shape=(-4, -1, num_attention_heads, -2),
                                                        name='_mono_loss_reshape1')
            end = num_attention_heads
        source_positions = mx.sym.contrib.arange_like(data=source_words, start=1, axis=1,
                                                      name='_mono_loss_arange_like1')
        layer_loss = mx.sym.zeros_like(target_length)
        layer_avg_position_increase = mx.sym.zeros_like(target_length)
        for i in range(start, end):
            if num_attention_heads > 1:
                sliced_attention_scores = mx.sym.slice_axis(attention_scores, axis=1, begin=i, end=(i + 1)).squeeze()
            else:
                sliced_attention_scores = attention_scores
            positions = mx.sym.broadcast_mul(mx.sym.ones_like(sliced_attention_scores), source_positions,
                                             name='_mono_loss_broad_mul1')
            positionally_weighted_attention = mx.sym.broadcast_mul(sliced_attention_scores, positions,
                                                                   name='_mono_loss_broad_mul3')
            avg = mx.sym.sum(positionally_weighted_attention, axis=2, name='_mono_loss_broad_sum1')
            mask = (target_words != 0)
            valid_t = mask.reshape_like(avg)
            avg = mx.sym.broadcast_mul(avg, valid_t, name='_mono_loss_broad_mul4')
            shifted_avg = mx.sym.slice_axis(avg, axis=-1, begin=1, end=None, name='_mono_loss_broad_slice1')
            padding = mx.sym.slice_axis(mx.sym.zeros_like(shifted_avg), axis=-1, begin=0, end=1,
                                        name='_mono_loss_broad_slice2')
            shifted_avg = mx.sym.concat(shifted_avg, padding, dim=-1, name='_mono_loss_broad_concat1')
            shifted_mask = (shifted_avg != 0)
            s_t_length_ratio = mx.sym.broadcast_div(source_length, target_length)
            scaled_margin = (margin * s_t_length_ratio).expand_dims(axis=1)
            trg_len_ones = mx.sym.ones_like(shifted_avg).slice_axis(axis=0, begin=0, end=1)
            scaled_margin = mx.sym.broadcast_mul(scaled_margin, trg_len_ones, name='_mono_loss_broad_mul5')
            shifted_avg = shifted_avg - scaled_margin
            adjacent_pos_difference = avg - shifted_avg
            adjacent_pos_difference = adjacent_pos_difference * shifted_mask
            if return_position_diffs:
                increased = mx.sym.sum(adjacent_pos_difference < 0, axis=1)
                avg_position_increase = mx.sym.broadcast_div(increased, target_length, name='_broadcast_div_increased')
                layer_avg_position_increase = mx.sym.broadcast_add(layer_avg_position_increase, avg_position_increase)
            adjacent_pos_difference = mx.sym.broadcast_maximum(lhs=mx.sym.zeros_like(adjacent_pos_difference),
                                                               rhs=adjacent_pos_difference, name='_mono_loss_broad_max')
            head_loss = mx.sym.sum(adjacent_pos_difference, axis=1, name='_mono_loss_broad_sum2')
            target_length = target_length + 1e-8
            head_loss = mx.sym.broadcast_div(head_loss, target_length, name='_mono_loss_broad_div')
            layer_loss = mx.sym.broadcast_add(layer_loss, head_loss, name='_mono_loss_broad_add')
        heads = mx.sym.ones_like(layer_loss) * (end - start)
        layer_loss = mx.sym.broadcast_div(layer_loss, heads, name='_mono_loss_broad_div2')
        layer_avg_position_increase = mx.sym.broadcast_div(layer_avg_position_increase, heads)
        return layer_loss, layer_avg_position_increase


def sockeye_loss():
    """Sockeye's cross-entropy as SoftmaxOutput (padding ignored, 'valid' and 'null' normalization,
    label smoothing, grad_scale) run through a SymbolBlock: the softmax and the logits' gradient;
    the CrossEntropyMetric over those softmax outputs; the attention-monotonicity loss (two
    layers, two heads, MakeLoss with grad_scale) and its gradient, with the position diffs."""
    res = {}
    logits_v, labels_v = mx.sym.Variable('logits'), mx.sym.Variable('labels')
    logits = rnd(131, 6, 5)
    labels = nd.array([1, 3, 0, 4, 0, 2])
    for norm in ('valid', 'batch'):
        for alpha in (0.0, 0.1):
            cfg = LossConfig(norm, 5, alpha)
            out = SockeyeCrossEntropyLoss(cfg).get_loss(logits_v, labels_v, grad_scale=0.5)
            blk = gluon.SymbolBlock(out, [logits_v, labels_v])
            x = logits.copy()
            x.attach_grad()
            with autograd.record():
                probs = blk(x, labels)
            probs.backward()
            metric = CrossEntropyMetric(cfg)
            metric.update([labels.reshape((2, 3))], [probs])
            metric.update([labels[:3]], [probs[:3]])
            res['%s_%g' % (norm, alpha)] = {'probs': L(probs), 'grad': L(x.grad), 'metric': list(metric.get())}
    names = ['att0', 'att1', 'target_words', 'source_words', 'source_length', 'target_length']
    variables = [mx.sym.Variable(n) for n in names]
    loss, pos = MonotoneAttention(LossConfig('valid', 5)).get_loss(
        variables[:2], 2, variables[2], variables[3], variables[4], variables[5], grad_scale=0.5, margin=0.1,
        return_position_diffs=True)
    blk = gluon.SymbolBlock(mx.sym.Group([loss, pos]), variables)
    att = [nd.softmax(rnd(132 + i, 4, 3, 5) * 3) for i in range(2)]
    for a in att:
        a.attach_grad()
    target_words = nd.array([[5, 6, 7], [8, 9, 0]])
    source_words = nd.array(np.random.RandomState(134).randint(1, 9, (2, 5, 1)))
    with autograd.record():
        mono, increase = blk(att[0], att[1], target_words, source_words, nd.array([5, 4]), nd.array([3, 2]))
    mono.backward()
    res['monotone'] = {'loss': L(mono), 'increase': L(increase), 'grads': [L(a.grad) for a in att]}
    return res


# ---------------------------------------------------------------- 12 GluonNLP BERT fine-tuning step
# dmlc/gluon-nlp src/gluonnlp/optimizer/bert_adam.py (BERTAdam: adamw_update / multi_adamw_update,
# rescale_grad turned into an NDArray, aggregated updates), optimizer/lamb.py (LAMB written with nd
# ops, in place on the gradient), utils/parameter.py (clip_grad_global_norm) and the fine-tuning
# loop of scripts/bert/finetune_classifier.py (wd_mult 0 on LayerNorm and bias, warm-up by
# set_learning_rate, gradient accumulation with grad_req 'add', allreduce_grads + update).
@mx.optimizer.register
class BERTAdam(mx.optimizer.Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.aggregate_num = max(1, min(50, int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '4'))))

    def create_state_multi_precision(self, index, weight):
        return self.create_state(index, weight)

    def create_state(self, _, weight):
        return (mx.nd.zeros(weight.shape, weight.context, dtype=weight.dtype),
                mx.nd.zeros(weight.shape, weight.context, dtype=weight.dtype))

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state)

    def _update_impl(self, indices, weight, grad, state):
        adamw_update, multi_adamw_update = mx.nd.contrib.adamw_update, mx.nd.contrib.multi_adamw_update
        aggregate = self.aggregate_num > 1
        if not isinstance(indices, (tuple, list)):
            indices, weight, grad, state = [indices], [weight], [grad], [state]
        for w_i, g_i in zip(weight, grad):
            assert isinstance(w_i, mx.nd.NDArray)
            assert isinstance(g_i, mx.nd.NDArray)
            aggregate = aggregate and w_i.stype == 'default' and g_i.stype == 'default'
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        if not isinstance(self.rescale_grad, mx.nd.NDArray):
            self.rescale_grad = mx.nd.full(shape=(1,), val=self.rescale_grad, ctx=weight[0].context)
        else:
            self.rescale_grad = self.rescale_grad.as_in_context(weight[0].context)
        kwargs = {'beta1': self.beta1, 'beta2': self.beta2, 'epsilon': self.epsilon, 'rescale_grad': self.rescale_grad}
        if self.clip_gradient:
            kwargs['clip_gradient'] = self.clip_gradient
        if aggregate:
            current_index = 0
            while current_index < len(indices):
                sidx, eidx = current_index, min(current_index + self.aggregate_num, len(indices))
                mean, var = list(zip(*state[sidx:eidx]))
                multi_adamw_update(weight[sidx:eidx], grad[sidx:eidx], mean, var, out=weight[sidx:eidx],
                                   size=len(weight[sidx:eidx]), lrs=list(np.ones(len(weight[sidx:eidx]))),
                                   wds=wds[sidx:eidx], etas=lrs[sidx:eidx], **kwargs)
                current_index += self.aggregate_num
        else:
            for w_i, g_i, s_i, lr, wd in zip(weight, grad, state, lrs, wds):
                mean, var = s_i
                adamw_update(w_i, g_i, mean, var, out=w_i, lr=1, wd=wd, eta=lr, **kwargs)


@mx.optimizer.register
class LAMB(mx.optimizer.Optimizer):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, lower_bound=1e-3, upper_bound=10.0,
                 bias_correction=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lower_bound, self.upper_bound, self.bias_correction = lower_bound, upper_bound, bias_correction

    def create_state(self, index, weight):
        return (mx.nd.zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype),
                mx.nd.zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype))

    def update(self, index, weight, grad, state):
        assert isinstance(weight, mx.nd.NDArray)
        assert isinstance(grad, mx.nd.NDArray)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        grad *= self.rescale_grad
        if self.clip_gradient is not None:
            grad = mx.nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        mean, var = state
        mean *= self.beta1
        mean += (1. - self.beta1) * grad
        var *= self.beta2
        var += (1. - self.beta2) * mx.nd.square(grad)
        r1 = weight.norm()
        if not self.bias_correction:
            r1 = mx.nd.minimum(mx.nd.maximum(r1, self.lower_bound), self.upper_bound)
            g = mean / (mx.nd.sqrt(var) + self.epsilon) + wd * weight
        else:
            mean_hat = mean / (1. - mx.nd.power(self.beta1, t))
            var_hat = var / (1. - mx.nd.power(self.beta2, t))
            var_hat += self.epsilon
            var_hat[:] = mx.nd.sqrt(var_hat)
            mean_hat /= var_hat
            mean_hat += wd * weight
            g = mean_hat
        r2 = g.norm()
        ratio = r1 / r2
        nan_or_one = ratio / ratio
        r = mx.nd.where(nan_or_one, mx.nd.ones_like(ratio), ratio)
        lr *= r
        g *= lr
        weight[:] -= g


def clip_grad_global_norm(parameters, max_norm, check_isfinite=True):
    def _norm(array):
        if array.stype == 'default':
            x = array.reshape((-1))
            return mx.nd.dot(x, x)
        return array.norm().square()
    arrays = []
    i = 0
    for p in parameters:
        if p.grad_req != 'null':
            grad_list = p.list_grad()
            arrays.append(grad_list[i % len(grad_list)])
            i += 1
    ctx, dtype = arrays[0].context, arrays[0].dtype
    total_norm = mx.nd.add_n(*[_norm(arr).as_in_context(ctx) for arr in arrays])
    total_norm = mx.nd.sqrt(total_norm)
    if check_isfinite:
        total_norm = total_norm.asscalar()
    scale = max_norm / (total_norm + 1e-8)
    if check_isfinite:
        scale = mx.nd.array([scale], dtype=dtype, ctx=ctx)
    scale = mx.nd.min(mx.nd.concat(scale, mx.nd.ones((1,), dtype=dtype, ctx=ctx), dim=0))
    for p in parameters:
        if p.grad_req != 'null':
            for arr in p.list_grad():
                arr *= scale.as_in_context(arr.context)
    return total_norm


class TinyClassifier(HybridBlock):
    """A BERT-shaped toy (ours): embedding, a Dense + LayerNorm encoder, the first token's pooler,
    a classifier."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.embed = nn.Embedding(11, 6)
            self.enc = nn.Dense(6, flatten=False, activation='tanh')
            self.ln = nn.LayerNorm(epsilon=1e-12)
            self.pooler = nn.Dense(6, activation='tanh')
            self.classifier = nn.Dense(3)

    def hybrid_forward(self, F, tokens):
        h = self.ln(self.enc(self.embed(tokens)))
        return self.classifier(self.pooler(F.slice_axis(h, axis=1, begin=0, end=1).reshape((0, -1))))


def bert_finetune():
    """Four fine-tuning steps of a toy classifier for each optimizer (BERTAdam with aggregated
    and one-by-one updates, LAMB with and without bias correction): gradient accumulation over
    two micro-batches, the global-norm clip, a linear warm-up set by hand, no weight decay on
    LayerNorm / bias; the losses, the clipped norms and the final weights."""
    res = {}
    tokens = nd.array(np.random.RandomState(141).randint(0, 11, (4, 5)))
    labels = nd.array([0, 2, 1, 2])
    for key, opt, args, env in (('bertadam', 'bertadam', {'epsilon': 1e-6, 'wd': 0.01}, '4'),
                                ('bertadam_single', 'bertadam', {'epsilon': 1e-6, 'wd': 0.01}, '1'),
                                ('lamb', 'lamb', {'wd': 0.01}, None),
                                ('lamb_bc', 'lamb', {'wd': 0.01, 'bias_correction': True}, None)):
        if env is not None:
            os.environ['MXNET_OPTIMIZER_AGGREGATION_SIZE'] = env
        net = TinyClassifier(prefix='tiny_')
        net.initialize()
        net(tokens)
        set_params(net, 142)
        net.hybridize()
        for _, v in net.collect_params('.*beta|.*gamma|.*bias').items():
            v.wd_mult = 0.0
        params = [p for p in net.collect_params().values() if p.grad_req != 'null']
        args = dict(args, learning_rate=0.05)
        trainer = gluon.Trainer(net.collect_params(), opt, args)
        accumulate = 2
        for p in params:
            p.grad_req = 'add'
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        losses, norms, lrs = [], [], []
        step_num = 0
        for batch_id in range(8):
            if batch_id % accumulate == 0:
                step_num += 1
                new_lr = 0.05 * min(step_num / 3.0, 1.0)
                trainer.set_learning_rate(new_lr)
                lrs.append(trainer.learning_rate)
            part = slice(2 * (batch_id % 2), 2 * (batch_id % 2) + 2)
            with autograd.record():
                ls = loss_fn(net(tokens[part]), labels[part]).mean()
            ls.backward()
            losses.append(float(ls.asscalar()))
            if (batch_id + 1) % accumulate == 0:
                trainer.allreduce_grads()
                norms.append(float(clip_grad_global_norm(params, 1)))
                trainer.update(accumulate)
                net.collect_params().zero_grad()
        res[key] = {'losses': losses, 'norms': norms, 'lrs': lrs, 'weight': L(net.classifier.weight.data()),
                    'ln_gamma': L(net.ln.gamma.data()), 'embed': L(net.embed.weight.data())}
    os.environ.pop('MXNET_OPTIMIZER_AGGREGATION_SIZE', None)
    return res


# ---------------------------------------------------------------- 13 GluonNLP data pipeline
# dmlc/gluon-nlp src/gluonnlp/data/batchify/batchify.py (Stack, Pad, Tuple, List into
# 'cpu_shared' memory), data/batchify/language_model.py (CorpusBatchify, CorpusBPTTBatchify) and
# data/utils.py (slice_sequence, _slice_pad_length); the vocabulary is a small class of ours.
def _pad_arrs_to_max_length(arrs, pad_axis, pad_val, use_shared_mem, dtype):
    if isinstance(arrs[0], mx.nd.NDArray):
        dtype = arrs[0].dtype if dtype is None else dtype
        arrs = [arr.asnumpy() for arr in arrs]
    elif not isinstance(arrs[0], np.ndarray):
        arrs = [np.asarray(ele) for ele in arrs]
    else:
        dtype = arrs[0].dtype if dtype is None else dtype
    original_length = [ele.shape[pad_axis] for ele in arrs]
    max_size = max(original_length)
    ret_shape = list(arrs[0].shape)
    ret_shape[pad_axis] = max_size
    ret_shape = (len(arrs),) + tuple(ret_shape)
    ret = np.full(shape=ret_shape, fill_value=pad_val, dtype=dtype)
    for i, arr in enumerate(arrs):
        if arr.shape[pad_axis] == max_size:
            ret[i] = arr
        else:
            slices = [slice(None) for _ in range(arr.ndim)]
            slices[pad_axis] = slice(0, arr.shape[pad_axis])
            if slices[pad_axis].start != slices[pad_axis].stop:
                slices = [slice(i, i + 1)] + slices
                ret[tuple(slices)] = arr
    ctx = mx.Context('cpu_shared', 0) if use_shared_mem else mx.cpu()
    ret = mx.nd.array(ret, ctx=ctx, dtype=dtype)
    original_length = mx.nd.array(original_length, ctx=ctx, dtype=np.int32)
    return ret, original_length


def _stack_arrs(arrs, use_shared_mem, dtype):
    if isinstance(arrs[0], mx.nd.NDArray):
        dtype = arrs[0].dtype if dtype is None else dtype
        if use_shared_mem:
            out = mx.nd.empty((len(arrs),) + arrs[0].shape, dtype=dtype, ctx=mx.Context('cpu_shared', 0))
            return mx.nd.stack(*arrs, out=out)
        return mx.nd.stack(*arrs)
    out = np.asarray(arrs)
    dtype = out.dtype if dtype is None else dtype
    if use_shared_mem:
        return mx.nd.array(out, ctx=mx.Context('cpu_shared', 0), dtype=dtype)
    return mx.nd.array(out, dtype=dtype)


class Stack:
    def __init__(self, dtype=None):
        self._dtype = dtype

    def __call__(self, data):
        return _stack_arrs(data, True, self._dtype)


class Pad:
    def __init__(self, axis=0, pad_val=None, ret_length=False, dtype=None):
        self._axis, self._pad_val, self._ret_length, self._dtype = axis, 0 if pad_val is None else pad_val, \
            ret_length, dtype

    def __call__(self, data):
        if isinstance(data[0], (mx.nd.NDArray, np.ndarray, list)):
            padded_arr, original_length = _pad_arrs_to_max_length(data, self._axis, self._pad_val, True, self._dtype)
            return (padded_arr, original_length) if self._ret_length else padded_arr
        raise NotImplementedError


class Tuple:
    def __init__(self, fn, *args):
        self._fn = fn if isinstance(fn, (list, tuple)) else (fn,) + args

    def __call__(self, data):
        return tuple(ele_fn([ele[i] for ele in data]) for i, ele_fn in enumerate(self._fn))


class List:
    def __call__(self, data):
        return list(data)


def _slice_pad_length(num_items, length, overlap=0):
    step = length - overlap
    residual = (num_items - length) % step
    return step - residual if residual else 0


def slice_sequence(sequence, length, pad_last=False, pad_val='<pad>', overlap=0):
    if pad_last:
        sequence = sequence + [pad_val] * _slice_pad_length(len(sequence), length, overlap)
    num_samples = (len(sequence) - length) // (length - overlap) + 1
    return [sequence[i * (length - overlap): ((i + 1) * length - i * overlap)] for i in range(num_samples)]


class TinyVocab:
    """Token -> index, a list of tokens -> a list of indices (gluonnlp.Vocab's ``__getitem__``)."""

    def __init__(self, tokens, padding_token='<pad>'):
        self.padding_token = padding_token
        self._idx = {t: i for i, t in enumerate([padding_token] + tokens)}

    def __getitem__(self, tokens):
        if isinstance(tokens, (list, tuple)):
            return [self._idx[t] for t in tokens]
        return self._idx[tokens]


class CorpusBatchify:
    def __init__(self, vocab, batch_size):
        self._vocab, self._batch_size = vocab, batch_size

    def __call__(self, data):
        sample_len = len(data) // self._batch_size
        return gluon.data.SimpleDataset(
            mx.nd.array(self._vocab[data[:sample_len * self._batch_size]]).reshape(self._batch_size, -1).T)


def _split_data_label(x):
    return x[:-1, :], x[1:, :]


class CorpusBPTTBatchify:
    def __init__(self, vocab, seq_len, batch_size, last_batch='keep'):
        self._vocab, self._seq_len, self._batch_size, self._last_batch = vocab, seq_len, batch_size, last_batch

    def __call__(self, corpus):
        if self._last_batch == 'keep':
            coded = self._vocab[list(corpus)]
            sample_len = math.ceil(float(len(coded)) / self._batch_size)
            padding_size = _slice_pad_length(sample_len, self._seq_len + 1, 1) * self._batch_size + \
                sample_len * self._batch_size - len(coded)
            coded.extend([self._vocab[self._vocab.padding_token]] * int(padding_size))
        else:
            sample_len = len(corpus) // self._batch_size
            coded = self._vocab[corpus[:sample_len * self._batch_size]]
        data = mx.nd.array(coded).reshape((self._batch_size, -1)).T
        batches = slice_sequence(data, self._seq_len + 1, overlap=1)
        return gluon.data.SimpleDataset(batches).transform(_split_data_label, lazy=False)


def gluonnlp_data():
    """GluonNLP's batchify functions behind a DataLoader (lists, NumPy arrays and NDArrays padded
    and stacked into 'cpu_shared' memory, strings passed through; with worker processes too) and
    its corpus batchifiers (``.T`` of a reshaped NDArray, NDArray rows sliced by a Python list
    comprehension, ``SimpleDataset.transform(lazy=False)``)."""
    res = {}
    samples = [([3, 1, 4, 1], 0, 'pi'), ([2, 7], 1, 'e'), ([1, 4, 1], 0, 'root two'), ([1, 7, 3, 2, 0], 1, 'tau'),
               ([6], 0, 'six')]
    fn = Tuple(Pad(pad_val=-1, ret_length=True), Stack(dtype='float32'), List())
    for workers in (0, 2):
        loader = gluon.data.DataLoader(gluon.data.SimpleDataset(samples), batch_size=2, batchify_fn=fn,
                                       num_workers=workers)
        batches = []
        for (tokens, lengths), labels, texts in loader:
            batches.append([L(tokens), L(lengths), L(labels), texts, str(tokens.dtype), str(lengths.dtype),
                            str(labels.dtype)])
        res['loader_%d' % workers] = batches
    arrs = [np.arange(6).reshape(2, 3), np.arange(4).reshape(2, 2) + 10]
    padded, length = Pad(axis=1, pad_val=0, ret_length=True)(arrs)
    res['pad_numpy'] = [L(padded), L(length), str(padded.dtype), str(padded.context)]
    nds = [nd.array([1.5, 2.5]), nd.array([3.5])]
    padded = Pad(pad_val=0)(nds)
    stacked = Stack()([nd.array([1, 2]), nd.array([3, 4])])
    res['pad_nd'] = [L(padded), str(padded.dtype), L(stacked), str(stacked.context)]
    words = 'the cat sat on the mat and the dog sat on the log too'.split()
    vocab = TinyVocab(sorted(set(words)))
    corpus = CorpusBatchify(vocab, 3)(words)
    res['corpus'] = [L(corpus[i]) for i in range(len(corpus))]
    for last in ('keep', 'discard'):
        bptt = CorpusBPTTBatchify(vocab, 2, 3, last_batch=last)(words)
        res['bptt_' + last] = [[L(d), L(t)] for d, t in bptt]
    return res


# ---------------------------------------------------------------- 14 Sockeye 1.x convolutional encoders
# awslabs/sockeye sockeye/convolution.py (ConvolutionBlock: a Convolution-GLU over Symbol variables,
# 'left' / 'centered' padding, weight normalization, the single-position step as FullyConnected)
# and sockeye/encoder.py (ConvolutionalEncoder; ConvolutionalEmbeddingEncoder: sym.pad with an
# 8-entry pad_width, (w, num_embed) kernels, strided max pooling, a highway, ceil + BlockGrad).
class ConvolutionConfig:
    def __init__(self, kernel_width, num_hidden, act_type='glu', weight_normalization=False):
        self.kernel_width, self.num_hidden = kernel_width, num_hidden
        self.act_type, self.weight_normalization = act_type, weight_normalization


class ConvolutionBlock:
    def __init__(self, config, pad_type, prefix):
        self.prefix, self.pad_type, self.config = prefix, pad_type, config
        self.conv_weight = mx.sym.Variable('%sconv_weight' % prefix, shape=(
            self._pre_activation_num_hidden(), self.config.num_hidden, self.config.kernel_width))
        if self.config.weight_normalization:
            self.weight_norm = WeightNormalization(self.conv_weight, self._pre_activation_num_hidden(), ndim=3,
                                                   prefix='%sconv_' % prefix)
            self.conv_weight = self.weight_norm()
        else:
            self.weight_norm = None
        self.conv_bias = mx.sym.Variable('%sconv_bias' % prefix)

    def _pre_activation_num_hidden(self):
        return 2 * self.config.num_hidden if self.config.act_type == 'glu' else self.config.num_hidden

    def __call__(self, data, data_length, seq_len):
        if self.pad_type == 'left':
            padding = (self.config.kernel_width - 1,)
        elif self.pad_type == 'centered':
            padding = (int((self.config.kernel_width - 1) / 2),)
        else:
            raise ValueError('Unknown pad type %s' % self.pad_type)
        num_hidden = self._pre_activation_num_hidden()
        data = mx.sym.SequenceMask(data=data, axis=1, sequence_length=data_length, use_sequence_length=True, value=0)
        data = mx.sym.transpose(data, axes=(0, 2, 1))
        data_conv = mx.sym.Convolution(data=data, weight=self.conv_weight, bias=self.conv_bias, pad=padding,
                                       kernel=(self.config.kernel_width,), num_filter=num_hidden, layout='NCW')
        if self.pad_type == 'left':
            data_conv = mx.sym.slice_axis(data=data_conv, axis=2, begin=0, end=seq_len)
        return self._post_convolution(data_conv)

    def step(self, data):
        num_hidden = self._pre_activation_num_hidden()
        data = mx.sym.swapaxes(data, dim1=1, dim2=2)
        data = mx.sym.reshape(data, shape=(0, -3))
        weight = mx.sym.reshape(self.conv_weight, shape=(0, -3))
        data_conv = mx.sym.FullyConnected(data=data, weight=weight, bias=self.conv_bias, num_hidden=num_hidden)
        data_conv = mx.sym.expand_dims(data_conv, axis=2)
        return self._post_convolution(data_conv)

    def _post_convolution(self, data_conv):
        if self.config.act_type == 'glu':
            gate_a, gate_b = mx.sym.split(data_conv, num_outputs=2, axis=1)
            block_output = mx.sym.broadcast_mul(gate_a, mx.sym.Activation(data=gate_b, act_type='sigmoid'))
        else:
            block_output = mx.sym.Activation(data_conv, act_type=self.config.act_type)
        return mx.sym.swapaxes(block_output, dim1=1, dim2=2)


class SockeyeConvolutionalEncoder:
    def __init__(self, cnn_config, num_layers, prefix='encoder_cnn_'):
        self.cnn_config = cnn_config
        self.i2h_weight = mx.sym.Variable('%si2h_weight' % prefix)
        self.layers = [ConvolutionBlock(cnn_config, pad_type='centered', prefix='%s%d_' % (prefix, i))
                       for i in range(num_layers)]

    def encode(self, data, data_length, seq_len):
        data = mx.sym.FullyConnected(data=data, num_hidden=self.cnn_config.num_hidden, no_bias=True, flatten=False,
                                     weight=self.i2h_weight)
        for layer in self.layers:
            data = data + layer(data, data_length, seq_len)
        return data, data_length, seq_len


class ConvolutionalEmbeddingEncoder:
    def __init__(self, num_embed, output_dim, max_filter_width, num_filters, pool_stride, num_highway_layers,
                 prefix='encoder_char_'):
        self.num_embed, self.output_dim, self.max_filter_width = num_embed, output_dim, max_filter_width
        self.num_filters, self.pool_stride, self.num_highway_layers = num_filters[:], pool_stride, num_highway_layers
        self.prefix = prefix
        self.conv_weight = {w: mx.sym.Variable('%s%s%d%s' % (prefix, 'conv_', w, '_weight'))
                            for w in range(1, max_filter_width + 1)}
        self.conv_bias = {w: mx.sym.Variable('%s%s%d%s' % (prefix, 'conv_', w, '_bias'))
                          for w in range(1, max_filter_width + 1)}
        self.project_weight = mx.sym.Variable(prefix + 'project_weight')
        self.project_bias = mx.sym.Variable(prefix + 'project_bias')
        self.gate_weight = [mx.sym.Variable('%s%s%d%s' % (prefix, 'gate_', i, '_weight'))
                            for i in range(num_highway_layers)]
        self.gate_bias = [mx.sym.Variable('%s%s%d%s' % (prefix, 'gate_', i, '_bias'))
                          for i in range(num_highway_layers)]
        self.transform_weight = [mx.sym.Variable('%s%s%d%s' % (prefix, 'transform_', i, '_weight'))
                                 for i in range(num_highway_layers)]
        self.transform_bias = [mx.sym.Variable('%s%s%d%s' % (prefix, 'transform_', i, '_bias'))
                               for i in range(num_highway_layers)]

    def encode(self, data, data_length, seq_len):
        total_num_filters = sum(self.num_filters)
        encoded_seq_len = int(math.ceil(seq_len / self.pool_stride))
        data = mx.sym.Reshape(data=data, shape=(-1, 1, seq_len, self.num_embed))
        conv_outputs = []
        for filter_width, num_filter in enumerate(self.num_filters, 1):
            pad_before = math.ceil((filter_width - 1) / 2)
            pad_after = math.floor((filter_width - 1) / 2)
            padded = mx.sym.pad(data=data, mode='constant', constant_value=0,
                                pad_width=(0, 0, 0, 0, pad_before, pad_after, 0, 0))
            conv = mx.sym.Convolution(data=padded, kernel=(filter_width, self.num_embed), num_filter=num_filter,
                                      weight=self.conv_weight[filter_width], bias=self.conv_bias[filter_width])
            conv_outputs.append(mx.sym.Activation(data=conv, act_type='relu'))
        conv_concat = mx.sym.concat(*conv_outputs, dim=1)
        uncovered = seq_len % self.pool_stride
        if uncovered > 0:
            pad_after = self.pool_stride - uncovered
            conv_concat = mx.sym.pad(data=conv_concat, mode='constant', constant_value=0,
                                     pad_width=(0, 0, 0, 0, 0, pad_after, 0, 0))
        pool = mx.sym.Pooling(data=conv_concat, pool_type='max', kernel=(self.pool_stride, 1),
                              stride=(self.pool_stride, 1))
        pool = mx.sym.reshape(data=pool, shape=(-1, total_num_filters, encoded_seq_len))
        pool = mx.sym.swapaxes(data=pool, dim1=1, dim2=2)
        seg_embedding = mx.sym.Reshape(data=pool, shape=(-3, total_num_filters))
        if self.output_dim != total_num_filters:
            seg_embedding = mx.sym.FullyConnected(data=seg_embedding, num_hidden=self.output_dim,
                                                  weight=self.project_weight, bias=self.project_bias)
            seg_embedding = mx.sym.Activation(data=seg_embedding, act_type='relu')
        for i in range(self.num_highway_layers):
            gate = mx.sym.FullyConnected(data=seg_embedding, num_hidden=self.output_dim, weight=self.gate_weight[i],
                                         bias=self.gate_bias[i])
            gate = mx.sym.Activation(data=gate, act_type='sigmoid')
            transform = mx.sym.FullyConnected(data=seg_embedding, num_hidden=self.output_dim,
                                              weight=self.transform_weight[i], bias=self.transform_bias[i])
            transform = mx.sym.Activation(data=transform, act_type='relu')
            seg_embedding = gate * transform + (1 - gate) * seg_embedding
        seg_embedding = mx.sym.Reshape(data=seg_embedding, shape=(-1, encoded_seq_len, self.output_dim))
        encoded_data_length = mx.sym.BlockGrad(mx.sym.ceil(data_length / self.pool_stride))
        return seg_embedding, encoded_data_length, encoded_seq_len


def _run_symbol(outputs, inputs, arrays, seed, head_seed):
    """``outputs`` (a Symbol or a list) over the Variables ``inputs`` in a SymbolBlock, parameters
    set from ``seed``; the outputs and, after a backward pass from the first output weighted by
    data from ``head_seed``, the gradient of every parameter, by name."""
    out = mx.sym.Group(outputs) if isinstance(outputs, list) else outputs
    blk = gluon.SymbolBlock(out, inputs)
    blk.initialize()
    blk(*arrays)
    set_params(blk, seed)
    with autograd.record():
        res = blk(*arrays)
        res = res if isinstance(res, (list, tuple)) else [res]
        loss = (res[0] * rnd(head_seed, *res[0].shape)).sum()
    loss.backward()
    grads = {name: L(p.grad()) for name, p in sorted(blk.collect_params().items())}
    return [L(r) for r in res], grads


def sockeye_conv():
    """Sockeye's convolutional encoder (two centered Convolution-GLU blocks, residual) and a
    left-padded block with weight normalization whose one-position ``step`` (FullyConnected over
    the reshaped window) reproduces the full convolution's last position; the character-level
    convolutional embedding encoder (padding, strided max pool, highway, ceil'd lengths)."""
    res = {}
    data, length = mx.sym.Variable('data'), mx.sym.Variable('data_length')
    x = rnd(151, 2, 5, 4)
    lengths = nd.array([5, 3])
    enc = SockeyeConvolutionalEncoder(ConvolutionConfig(3, 4), 2)
    out, _, _ = enc.encode(data, length, 5)
    res['cnn_encoder'] = _run_symbol(out, [data, length], [x, lengths], 152, 153)
    block = ConvolutionBlock(ConvolutionConfig(3, 4, weight_normalization=True), 'left', 'dec_0_')
    full = block(data, length, 5)
    window = mx.sym.Variable('window')
    step = block.step(window)
    res['left_block'] = _run_symbol([full, step], [data, length, window],
                                    [x, nd.array([5, 5]), x[:, 2:5, :]], 154, 155)
    char = ConvolutionalEmbeddingEncoder(3, 6, 3, [2, 2, 3], 3, 2)
    chars = rnd(156, 2, 7, 3)
    seg, enc_len, enc_seq_len = char.encode(data, length, 7)
    res['char_encoder'] = _run_symbol([seg, enc_len], [data, length], [chars, nd.array([7, 4])], 157, 158)
    res['char_encoded_seq_len'] = enc_seq_len
    return res


# ---------------------------------------------------------------- 15 GluonCV data-parallel threads
# dmlc/gluon-cv gluoncv/utils/parallel.py: DataParallelModel / DataParallelCriterion (the network's
# parameters reset onto a context list, inputs split with split_and_load(even_split=False), one
# thread per context recording under the caller's autograd state), as the segmentation training
# script drives them; the network is a small fully convolutional one of ours.
import threading  # noqa: E402  (kept beside the code that uses it, as in the source)


class DataParallelModel:
    def __init__(self, module, ctx_list=None, sync=False):
        module.collect_params().reset_ctx(ctx=ctx_list)
        self.ctx_list, self.module, self.sync = ctx_list, module, sync

    def __call__(self, *inputs, **kwargs):
        if not self.ctx_list:
            return self.module(*inputs, **kwargs)
        inputs, kwargs = split_load_kwargs(inputs, kwargs, self.ctx_list)
        assert len(inputs) == len(self.ctx_list)
        if len(self.ctx_list) == 1:
            return tuple([tuple_map(self.module(*inputs[0], **kwargs[0]))])
        return parallel_apply(self.module, inputs, kwargs, self.sync)


class DataParallelCriterion:
    def __init__(self, module, ctx_list=None, sync=False):
        self.module, self.ctx_list, self.sync = module, ctx_list, sync

    def __call__(self, inputs, *targets, **kwargs):
        if not self.ctx_list:
            return self.module(inputs, *targets, **kwargs)
        targets, kwargs = split_load_kwargs(targets, kwargs, self.ctx_list)
        assert len(targets) == len(self.ctx_list)
        if len(self.ctx_list) == 1:
            return tuple_map(self.module(*(inputs[0] + targets[0]), **kwargs[0]))
        assert len(inputs) == len(self.ctx_list)
        return criterion_parallel_apply(self.module, inputs, targets, kwargs, self.sync)


def split_load_kwargs(inputs, kwargs, ctx_list, batch_axis=0):
    def split_map(obj):
        if isinstance(obj, mx.nd.NDArray):
            return gluon.utils.split_and_load(obj, ctx_list, batch_axis, even_split=False)
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(split_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return list(map(list, zip(*map(split_map, obj))))
        if isinstance(obj, dict) and len(obj) > 0:
            return list(map(type(obj), zip(*map(split_map, obj.items()))))
        return [obj for _ in ctx_list]
    inputs = split_map(inputs) if inputs else []
    kwargs = split_map(kwargs) if kwargs else []
    if len(inputs) < len(kwargs):
        inputs.extend([() for _ in range(len(kwargs) - len(inputs))])
    elif len(kwargs) < len(inputs):
        kwargs.extend([{} for _ in range(len(inputs) - len(kwargs))])
    return tuple(inputs), tuple(kwargs)


def tuple_map(obj):
    if isinstance(obj, mx.nd.NDArray) or isinstance(obj, str):
        return (obj,)
    if isinstance(obj, list) and len(obj) > 0:
        return tuple(obj)
    return obj


def parallel_apply(module, inputs, kwargs_tup=None, sync=False):
    kwargs_tup = kwargs_tup if kwargs_tup is not None else ({},) * len(inputs)
    lock = threading.Lock()
    results = {}

    def _worker(i, module, input, kwargs, results, is_recording, is_training, lock):
        try:
            if is_recording:
                with autograd.record(is_training):
                    output = tuple_map(module(*input, **kwargs))
                    for out in output:
                        out.wait_to_read()
            else:
                output = tuple_map(module(*input, **kwargs))
                for out in output:
                    out.wait_to_read()
            with lock:
                results[i] = output
        except Exception as e:
            with lock:
                results[i] = e

    is_training, is_recording = autograd.is_training(), autograd.is_recording()
    threads = [threading.Thread(target=_worker, args=(i, module, input, kwargs, results, is_recording, is_training,
                                                      lock))
               for i, (input, kwargs) in enumerate(zip(inputs, kwargs_tup))]
    if sync:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outputs = []
        for i in range(len(inputs)):
            if isinstance(results[i], Exception):
                raise results[i]
            outputs.append(results[i])
        return tuple(outputs)
    return tuple(tuple_map(module(*input, **kwargs)) for (input, kwargs) in zip(inputs, kwargs_tup))


def criterion_parallel_apply(module, inputs, targets, kwargs_tup=None, sync=False):
    kwargs_tup = kwargs_tup if kwargs_tup else ({},) * len(inputs)
    lock = threading.Lock()
    results = {}

    def _worker(i, module, input, target, kwargs, results, is_recording, is_training, lock):
        try:
            if is_recording:
                with autograd.record(is_training):
                    output = module(*(input + target), **kwargs)
                    output.wait_to_read()
            else:
                output = module(*(input + target), **kwargs)
                output.wait_to_read()
            with lock:
                results[i] = output
        except Exception as e:
            with lock:
                results[i] = e

    is_training, is_recording = bool(autograd.is_training()), autograd.is_recording()
    threads = [threading.Thread(target=_worker, args=(i, module, input, target, kwargs, results, is_recording,
                                                      is_training, lock))
               for i, (input, target, kwargs) in enumerate(zip(inputs, targets, kwargs_tup))]
    if sync:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outputs = []
        for i in range(len(inputs)):
            if isinstance(results[i], Exception):
                raise results[i]
            outputs.append(results[i])
        return tuple(outputs)
    return tuple(module(*(input + target), **kwargs) for (input, target, kwargs) in zip(inputs, targets, kwargs_tup))


class TinySegNet(HybridBlock):
    """Two convolutions with a BatchNorm between, an auxiliary head (ours)."""

    def __init__(self, classes, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(4, 3, padding=1, in_channels=2)
            self.bn = nn.BatchNorm(in_channels=4)
            self.head = nn.Conv2D(classes, 1, in_channels=4)
            self.aux = nn.Conv2D(classes, 1, in_channels=4)

    def hybrid_forward(self, F, x):
        h = F.relu(self.bn(self.conv1(x)))
        return self.head(h), self.aux(h)


class MixSoftmaxCrossEntropyLoss(gluon.loss.SoftmaxCrossEntropyLoss):
    """GluonCV's segmentation loss with an auxiliary weight (gluoncv/loss.py), simplified."""

    def __init__(self, aux_weight=0.2, **kwargs):
        super().__init__(axis=1, **kwargs)
        self.aux_weight = aux_weight

    def hybrid_forward(self, F, pred1, pred2, label, **kwargs):
        loss1 = super().hybrid_forward(F, pred1, label, **kwargs)
        loss2 = super().hybrid_forward(F, pred2, label, **kwargs)
        return loss1 + self.aux_weight * loss2


def gluoncv_parallel():
    """Three training steps of a small segmentation network over two CPU contexts with GluonCV's
    threaded DataParallelModel / DataParallelCriterion (sync and not, hybridized), a batch of
    5 split 3 + 2: the per-context losses, the weights after each step on both contexts, the
    BatchNorm running means each context keeps."""
    res = {}
    ctx = [mx.cpu(0), mx.cpu(1)]
    x = rnd(161, 5, 2, 4, 4)
    label = nd.array(np.random.RandomState(162).randint(0, 3, (5, 4, 4)))
    for sync in (True, False):
        net = TinySegNet(3, prefix='seg_')
        net.initialize()
        set_params(net, 163)
        net.hybridize()
        model = DataParallelModel(net, ctx, sync=sync)
        # one first call in this thread: MXNet 1.9.1 can fail when two threads make a hybridized
        # block's first call at once (its name scope is shared: "'NoneType' object has no
        # attribute '__exit__'"), now and then
        net(x)
        criterion = DataParallelCriterion(MixSoftmaxCrossEntropyLoss(aux_weight=0.4), ctx, sync=sync)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.2, 'momentum': 0.9, 'wd': 1e-4})
        steps = []
        for _ in range(3):
            with autograd.record(True):
                outputs = model(x)
                losses = criterion(outputs, label)
                autograd.backward(losses)
            trainer.step(5)
            steps.append({'losses': [L(l) for l in losses], 'shapes': [list(o[0].shape) for o in outputs],
                          'conv1': [L(net.conv1.weight.data(c)) for c in ctx]})
        res['sync' if sync else 'serial'] = {
            'steps': steps, 'running_mean': [L(net.bn.running_mean.data(c)) for c in ctx],
            'contexts': [str(c) for c in net.conv1.weight.list_ctx()]}
    return res


# ---------------------------------------------------------------- 16 a local-SGD Trainer subclass
# A local-SGD Trainer for GluonNLP's Transformer (a public fork's local_sgd trainer, written over
# MXNet 1.x's gluon/trainer.py internals): it overrides _init_kvstore with mxnet.model's
# _create_kvstore, rescales gradients by hand, skips the all-reduce between synchronisations, and
# averages parameters and optimizer states through kvstore push / pull every few steps.
class LocalSGDTrainer(mx.gluon.Trainer):
    def __init__(self, params, optimizer, optimizer_params=None, kvstore='device', local_sgd_interval=1,
                 local_sgd_regularization=0, local_sgd_regularization_interval=0):
        super().__init__(params, optimizer, optimizer_params=optimizer_params, kvstore=kvstore,
                         update_on_kvstore=False)
        self._local_sgd_interval = 1 if local_sgd_interval is None or local_sgd_interval <= 1 else local_sgd_interval
        self._local_sgd_counter = 0
        self._local_sgd_regularization = local_sgd_regularization
        self._local_sgd_regularization_interval = local_sgd_regularization_interval
        self._local_sgd_regularization_counter = 0
        self._is_states_initialized = False

    def _init_kvstore(self):
        config = self._kvstore_params
        if self._contains_sparse_weight:
            kvstore, update_on_kvstore = mx.model._create_sparse_kvstore(config['kvstore'])
            self._distributed = 'dist' in kvstore.type
        elif self._contains_sparse_grad:
            arg_arrays = {param.name: param.data(self._contexts[0]) for param in self._params}
            kvstore, _ = mx.model._create_kvstore(config['kvstore'], len(self._contexts), arg_arrays)
            self._distributed = 'dist' in kvstore.type if kvstore else False
            update_on_kvstore = self._distributed
        else:
            arg_arrays = {param.name: param.data(self._contexts[0]) for param in self._params}
            if self._local_sgd_interval > 1:
                state_arrays = {param.name + '_state': param.data(self._contexts[0]) for param in self._params}
                arg_arrays.update(state_arrays)
            kvstore, update_on_kvstore = mx.model._create_kvstore(config['kvstore'], len(self._contexts), arg_arrays)
            self._distributed = 'dist' in kvstore.type if kvstore else False
            if self._distributed and 'async' in kvstore.type:
                update_on_kvstore = True
            if config['update_on_kvstore'] is not None:
                update_on_kvstore = config['update_on_kvstore']
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore = kvstore
            self._update_on_kvstore = update_on_kvstore
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def init_states(self):
        assert self._kv_initialized, 'Cannot initialize states in KVStore when KVStore is not initialized.'
        if self._kvstore and self._is_states_initialized == False:  # noqa: E712  (as in the source)
            for i, param in enumerate(self._params):
                if param.grad_req != 'null':
                    if isinstance(self._updaters[0].states[i], (tuple, list)):
                        for j in range(len(self._updaters[0].states[i])):
                            self._kvstore.init(i + len(self._params) * (j + 1), self._updaters[0].states[i][j])
                    else:
                        self._kvstore.init(i + len(self._params), self._updaters[0].states[i])
            self._is_states_initialized = True

    def step(self, batch_sizes, ignore_stale_grad=False):
        for i, param in enumerate(self._params):
            if param.grad_req != 'null':
                for j in range(len(batch_sizes)):
                    param.list_grad()[j] /= batch_sizes[j]
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()
        if self._local_sgd_interval == 1:
            self._allreduce_grads()
        if self._local_sgd_interval > 1 and self._local_sgd_counter == 0 and self._local_sgd_regularization > 0:
            self._local_sgd_regularization_params = []
            for i, param in enumerate(self._params):
                if param.grad_req != 'null' and param._stype == 'default':
                    self._local_sgd_regularization_params.append(
                        [self._local_sgd_regularization * x.copy() for x in param.list_data()])
                else:
                    self._local_sgd_regularization_params.append([])
        self._update(ignore_stale_grad)
        if self._local_sgd_interval > 1 and self._local_sgd_regularization > 0:
            mixing_weight = (1 - self._local_sgd_regularization)
            self._local_sgd_regularization_counter += 1
            if self._local_sgd_regularization_interval == 0 or \
                    self._local_sgd_regularization_interval == self._local_sgd_regularization_counter:
                self._local_sgd_regularization_counter = 0
                for i, param in enumerate(self._params):
                    if param.grad_req != 'null' and param._stype == 'default':
                        for j, data in enumerate(param.list_data()):
                            data *= mixing_weight
                            data += self._local_sgd_regularization_params[i][j]
        if self._local_sgd_interval > 1:
            self._local_sgd_counter += 1
            if self._local_sgd_counter == self._local_sgd_interval:
                self._local_sgd_counter = 0
                self._allreduce_params()
                if self._is_states_initialized:
                    self._allreduce_states()
                return True
            return False
        return True

    def _allreduce_params(self):
        if self._kvstore:
            for i, param in enumerate(self._params):
                if param.grad_req != 'null':
                    self._kvstore.push(i, param.list_data(), priority=-i)
                    if param._stype == 'default':
                        self._kvstore.pull(i, param.list_data(), priority=-i)
                        num_workers = self._kvstore.num_workers * len(param.list_data())
                        for data in param.list_data():
                            data /= num_workers
                    else:
                        raise ValueError('Cannot pull row_sparse parameters for local SGD')

    def _allreduce_states(self):
        if self._kvstore:
            for i, param in reversed(list(enumerate(self._params))):
                if param.grad_req != 'null':
                    if isinstance(self._updaters[0].states[i], (tuple, list)):
                        for j in range(len(self._updaters[0].states[i])):
                            state_arrays = [updater.states[i][j] for updater in self._updaters]
                            idx = i + len(self._params) * (j + 1)
                            self._kvstore.push(idx, state_arrays, priority=i - len(self._params) * 2)
                            if param._stype == 'default':
                                self._kvstore.pull(idx, state_arrays, priority=i - len(self._params) * 2)
                                num_workers = float(self._kvstore.num_workers * len(state_arrays))
                                for state in state_arrays:
                                    state /= num_workers
                    else:
                        state_arrays = [updater.states[i] for updater in self._updaters]
                        idx = i + len(self._params)
                        self._kvstore.push(idx, state_arrays, priority=i - len(self._params) * 2)
                        if param._stype == 'default':
                            self._kvstore.pull(idx, state_arrays, priority=i - len(self._params) * 2)
                            num_workers = self._kvstore.num_workers * len(state_arrays)
                            for state in state_arrays:
                                state /= num_workers


def local_sgd():
    """Six steps of a small regression network on two CPU contexts, each fed its own half of the
    batch, with the local-SGD trainer (Adam, parameters and Adam's moments averaged every third
    step, a 0.1 pull towards the last synchronised weights): whether each step synchronised, and
    both contexts' weights and moments after each; the plain interval-1 trainer alongside."""
    res = {}
    ctx = [mx.cpu(0), mx.cpu(1)]
    x = rnd(171, 6, 3)
    y = rnd(172, 6, 1)
    for key, interval, reg in (('local', 3, 0.1), ('sync', 1, 0.0)):
        net = nn.HybridSequential(prefix='lsgd_')
        with net.name_scope():
            net.add(nn.Dense(4, activation='tanh', in_units=3), nn.Dense(1, in_units=4))
        net.initialize(ctx=ctx)
        set_params(net, 173)
        trainer = LocalSGDTrainer(net.collect_params(), 'adam', {'learning_rate': 0.05}, local_sgd_interval=interval,
                                  local_sgd_regularization=reg)
        steps = []
        for step in range(6):
            xs = gluon.utils.split_and_load(x, ctx)
            ys = gluon.utils.split_and_load(y, ctx)
            with autograd.record():
                losses = [gluon.loss.L2Loss()(net(a), b) for a, b in zip(xs, ys)]
            autograd.backward(losses)
            synced = trainer.step([3, 3])
            if step == 0 and interval > 1:
                trainer.init_states()
            first = net[0].weight
            steps.append({'synced': bool(synced), 'w': [L(first.data(c)) for c in ctx],
                          'loss': [float(l.sum().asscalar()) for l in losses]})
        r = {'steps': steps, 'kv_type': trainer._kvstore.type if trainer._kvstore else None,
             'update_on_kvstore': trainer._update_on_kvstore, 'distributed': trainer._distributed}
        if interval > 1:
            r['moments'] = [[L(m) for m in updater.states[0]] for updater in trainer._updaters]
        res[key] = r
    return res


# ---------------------------------------------------------------- 17 GluonNLP's FP16Trainer
# dmlc/gluon-nlp scripts/bert/fp16_utils.py: grad_global_norm (per-context norm groups, isfinite,
# a choice by take), FP16Trainer (loss scaled in record, allreduce_grads, update with an NDArray
# step size: the gradients' clipping ratio times the batch size and the loss scale), the static
# and dynamic loss scalers (overflow found by summing isnan / isinf into an NDArray and comparing
# it with 0). Over section 12's BERTAdam and toy classifier.
def grad_global_norm(parameters, max_norm):
    arrays = []
    idx = 0
    for p in parameters:
        if p.grad_req != 'null':
            p_grads = p.list_grad()
            arrays.append(p_grads[idx % len(p_grads)])
            idx += 1

    def _norm(array):
        x = array.reshape((-1,)).astype('float32', copy=False)
        return nd.dot(x, x)
    norm_arrays = [_norm(arr) for arr in arrays]

    def group_by_ctx(arr_list):
        groups = {}
        for arr in arr_list:
            groups.setdefault(arr.context, []).append(arr)
        return groups
    norm_groups = group_by_ctx(norm_arrays)
    ctx, dtype = arrays[0].context, 'float32'
    norms = [nd.add_n(*g).as_in_context(ctx) for g in norm_groups.values()]
    total_norm = nd.add_n(*norms).sqrt()
    scale = total_norm / max_norm
    is_finite = nd.contrib.isfinite(scale)
    scale_or_one = nd.maximum(nd.ones((1,), dtype=dtype, ctx=ctx), scale)
    choices = nd.concat(scale, scale_or_one, dim=0)
    chosen_scale = choices.take(is_finite)
    return total_norm, chosen_scale, is_finite


class LossScaler:
    def has_overflow(self, params):
        is_not_finite = 0
        for param in params:
            if param.grad_req != 'null':
                grad = param.list_grad()[0]
                is_not_finite += mx.nd.contrib.isnan(grad).sum()
                is_not_finite += mx.nd.contrib.isinf(grad).sum()
        return not is_not_finite == 0


class StaticLossScaler(LossScaler):
    def __init__(self, init_scale=1):
        self.loss_scale = init_scale

    def update_scale(self, overflow):
        pass


class DynamicLossScaler(LossScaler):
    def __init__(self, init_scale=2. ** 15, scale_factor=2., scale_window=2000, tolerance=0.01):
        self.loss_scale, self.scale_factor, self.scale_window, self.tolerance = init_scale, scale_factor, \
            scale_window, tolerance
        self._num_steps, self._last_overflow_iter, self._last_rescale_iter = 0, -1, -1
        self._overflows_since_rescale = 0

    def update_scale(self, overflow):
        iter_since_rescale = self._num_steps - self._last_rescale_iter
        if overflow:
            self._last_overflow_iter = self._num_steps
            self._overflows_since_rescale += 1
            percentage = self._overflows_since_rescale / float(iter_since_rescale)
            if percentage >= self.tolerance:
                self.loss_scale /= self.scale_factor
                self._last_rescale_iter = self._num_steps
                self._overflows_since_rescale = 0
        elif (self._num_steps - self._last_overflow_iter) % self.scale_window == 0:
            self.loss_scale *= self.scale_factor
            self._last_rescale_iter = self._num_steps
        self._num_steps += 1


class FP16Trainer:
    def __init__(self, trainer, dynamic_loss_scale=True, loss_scaler_params=None):
        if trainer._kvstore_params['update_on_kvstore'] is not False and trainer._kvstore:
            raise NotImplementedError('Only gluon.Trainer created with update_on_kvstore=False is supported.')
        self.fp32_trainer = trainer
        loss_scaler_params = loss_scaler_params if loss_scaler_params else {}
        self._scaler = DynamicLossScaler(**loss_scaler_params) if dynamic_loss_scale \
            else StaticLossScaler(**loss_scaler_params)
        self._support_nan_check = trainer._optimizer.__class__.__name__ == 'BERTAdam'

    def backward(self, loss):
        with mx.autograd.record():
            if isinstance(loss, (tuple, list)):
                ls = [l * self._scaler.loss_scale for l in loss]
            else:
                ls = loss * self._scaler.loss_scale
        mx.autograd.backward(ls)

    def step(self, batch_size, max_norm=None):
        self.fp32_trainer.allreduce_grads()
        step_size = batch_size * self._scaler.loss_scale
        if max_norm:
            norm, ratio, is_finite = grad_global_norm(self.fp32_trainer._params, max_norm * self._scaler.loss_scale)
            step_size = ratio * step_size
            if self._support_nan_check:
                self.fp32_trainer.update(step_size)
                overflow = is_finite.asscalar() < 1
            else:
                overflow = not np.isfinite(norm.asscalar())
                if not overflow:
                    self.fp32_trainer.update(step_size)
        else:
            if self._support_nan_check:
                self.fp32_trainer.update(step_size)
                overflow = self._scaler.has_overflow(self.fp32_trainer._params)
            else:
                overflow = self._scaler.has_overflow(self.fp32_trainer._params)
                if not overflow:
                    self.fp32_trainer.update(step_size)
        self._scaler.update_scale(overflow)


def fp16_trainer():
    """GluonNLP's FP16Trainer over BERTAdam and over Adam (float32 weights): five steps with the
    global-norm clip (an NDArray step size reaches ``Trainer.update``) and without, the dynamic
    loss scale doubling every second step, the third step's loss infinite (an overflow: the scale
    halves); the losses, the loss scales, the classifier weights; ``grad_global_norm`` alone."""
    res = {}
    tokens = nd.array(np.random.RandomState(181).randint(0, 11, (4, 5)))
    labels = nd.array([0, 2, 1, 2])
    for opt in ('bertadam', 'adam'):
        for max_norm in (1.0, None):
            net = TinyClassifier(prefix='fp16_')
            net.initialize()
            net(tokens)
            set_params(net, 182)
            trainer = gluon.Trainer(net.collect_params(), opt, {'learning_rate': 0.01}, update_on_kvstore=False)
            fp16 = FP16Trainer(trainer, dynamic_loss_scale=True,
                               loss_scaler_params={'init_scale': 2. ** 10, 'scale_window': 2})
            losses, scales = [], []
            r = res['%s_%s' % (opt, 'clip' if max_norm else 'noclip')] = {}
            try:      # with the clip, Adam gets an NDArray rescale_grad
                for step in range(5):
                    with autograd.record():     # the third step's loss overflows
                        ls = gluon.loss.SoftmaxCrossEntropyLoss()(net(tokens), labels).mean() * \
                            (float('inf') if step == 2 else 1.0)
                    fp16.backward(ls)
                    fp16.step(1, max_norm)
                    losses.append(float(ls.asscalar()))
                    scales.append(fp16._scaler.loss_scale)
            except Exception as e:
                r['error'] = err(e)
            r.update({'losses': losses, 'scales': scales, 'w': L(net.classifier.weight.data())})
            if opt == 'bertadam' and max_norm:
                norm, ratio, finite = grad_global_norm(trainer._params, 0.01)
                res['norm'] = [L(norm), L(ratio), L(finite)]
    return res


# ---------------------------------------------------------------- 18 gluon-ts's MXNet trainer loop
# awslabs/gluon-ts (MXNet era) src/gluonts/trainer/_base.py as a fork's MlflowTrainer rewrites it:
# MetricAttentiveScheduler (an mx.lr_scheduler.LRScheduler subclass stepped by the epoch loss),
# Adam built with learning_rate and lr_scheduler, HybridContext (support/util.py), mx.metric.Loss
# updated with preds only, the best epoch's parameters saved and loaded back when the rate drops;
# the network (ours) returns its loss, as gluon-ts training networks do.
class MetricAttentiveScheduler(mx.lr_scheduler.LRScheduler):
    def __init__(self, objective, patience, base_lr=0.01, decay_factor=0.5, min_lr=0.0):
        assert base_lr > 0 and base_lr > min_lr and 0 < decay_factor < 1 and patience >= 0
        assert objective in ['min', 'max']
        super(MetricAttentiveScheduler, self).__init__(base_lr=base_lr)
        self.decay_factor, self.patience, self.objective, self.min_lr = decay_factor, patience, objective, min_lr
        self.best_metric = np.inf if objective == 'min' else -np.inf
        self.prev_change, self.epoch_no, self.curr_lr = 0, 0, None

    def __call__(self, num_update):
        if self.curr_lr is None:
            self.curr_lr = self.base_lr
        return self.curr_lr

    def step(self, metric_value):
        if self.curr_lr is None:
            self.curr_lr = self.base_lr
        metric_improved = (self.objective == 'min' and metric_value < self.best_metric) or \
            (self.objective == 'max' and metric_value > self.best_metric)
        if metric_improved:
            self.best_metric = metric_value
            self.prev_change = self.epoch_no
        if self.epoch_no - self.prev_change >= self.patience or not np.isfinite(metric_value):
            if self.curr_lr == self.min_lr:
                return False
            self.curr_lr = max(self.min_lr, self.decay_factor * self.curr_lr)
            self.prev_change = self.epoch_no
        self.epoch_no += 1
        return True


class HybridContext:
    def __init__(self, net, hybridize, data_batch=None, **kwargs):
        self.net, self.required_mode = net, hybridize
        self.original_mode = getattr(net, '_active', False)
        self.data_batch, self.kwargs = data_batch, kwargs

    def __enter__(self):
        self.net.hybridize(active=self.required_mode, **self.kwargs)
        if self.data_batch is not None:
            self.net(*self.data_batch)

    def __exit__(self, *args):
        self.net.hybridize(active=self.original_mode, **self.kwargs)


def loss_value(loss):
    return loss.get_name_value()[0][1]


class ToyForecastTrainingNetwork(HybridBlock):
    """Past targets -> a Dense forecast; returns the mean squared error per series (ours)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.proj = nn.Dense(3, in_units=6)

    def hybrid_forward(self, F, past_target, future_target):
        return F.mean(F.square(self.proj(past_target) - future_target), axis=1), F.zeros_like(future_target)


def gluonts_trainer():
    """gluon-ts's training loop (hybridized with static_alloc through HybridContext) for eight
    epochs of four batches with a validation loop; the learning rate the scheduler sets (halved
    after a patience of 1), the epoch losses, the best epoch, the weights loaded back."""
    res = {}
    rs = np.random.RandomState(191)
    batches = [{'past_target': nd.array(rs.uniform(-1, 1, (4, 6))),
                'future_target': nd.array(rs.uniform(-1, 1, (4, 3)))} for _ in range(6)]
    train_iter, validation_iter = batches[:4], batches[4:]
    net = ToyForecastTrainingNetwork(prefix='forecast_')
    net.initialize(ctx=mx.cpu(), init=mx.init.Xavier())
    set_params(net, 192)
    tmp = tempfile.mkdtemp()
    epochs_log = []
    with HybridContext(net=net, hybridize=True, static_alloc=True, static_shape=True):
        best = {'params_path': os.path.join(tmp, 'init.params'), 'epoch_no': -1, 'metric_value': np.inf}
        lr_scheduler = MetricAttentiveScheduler(objective='min', patience=1, decay_factor=0.5, min_lr=5e-5)
        optimizer = mx.optimizer.Adam(learning_rate=0.05, lr_scheduler=lr_scheduler, wd=1e-8, clip_gradient=10.0)
        trainer = mx.gluon.Trainer(net.collect_params(), optimizer=optimizer, kvstore='device')

        def loop(epoch_no, batch_iter, is_training=True):
            epoch_loss = mx.metric.Loss()
            for batch_no, data_entry in enumerate(batch_iter, start=1):
                inputs = [data_entry[k] for k in ['past_target', 'future_target']]
                with mx.autograd.record():
                    output = net(*inputs)
                    loss = output[0] if isinstance(output, (list, tuple)) else output
                if is_training:
                    loss.backward()
                    trainer.step(4)
                epoch_loss.update(None, preds=loss)
            return epoch_loss

        for epoch_no in range(8):
            curr_lr = trainer.learning_rate
            loop(epoch_no, train_iter)
            epoch_loss = loop(epoch_no, validation_iter, is_training=False)
            should_continue = lr_scheduler.step(loss_value(epoch_loss))
            epochs_log.append([curr_lr, loss_value(epoch_loss), should_continue])
            if not should_continue:
                break
            if loss_value(epoch_loss) < best['metric_value']:
                best = {'params_path': os.path.join(tmp, '%04d.params' % epoch_no), 'epoch_no': epoch_no,
                        'metric_value': loss_value(epoch_loss)}
                net.save_parameters(best['params_path'])
            if not trainer.learning_rate == curr_lr:
                net.load_parameters(best['params_path'], mx.cpu())
        net.load_parameters(best['params_path'], mx.cpu())
    res['epochs'] = epochs_log
    res['best'] = [best['epoch_no'], best['metric_value']]
    res['weight'] = L(net.proj.weight.data())
    res['active_after'] = bool(net._active)
    res['num_params'] = int(sum(np.prod(net.collect_params()[p].shape) for p in net.collect_params()))
    return res


# ---------------------------------------------------------------- 19 DGL's MXNet GCN examples
# dmlc/dgl examples/mxnet/sampling (gcn_cv_sc.py): NodeUpdate / GCNSampling (control-variate
# histories, a skip concat) / GCNInfer built twice with prefix='GCN' (the same parameter names),
# a Trainer over a KVStore instance, and the inference model's weights pulled from the store by
# trainer._param2idx after each epoch. DGL's NodeFlow message passing (copy_src + sum) is a dense
# adjacency product here: a small graph class of ours stands in for it.
class NodeBatch:
    def __init__(self, data):
        self.data = data


class TinyFlow:
    """The whole graph as every layer of a NodeFlow: ``block_compute`` sums the neighbours' 'h'
    (A @ h) and applies the layer to the node batch."""

    def __init__(self, adj, data, n_layers):
        self.adj = adj
        self.layers = [NodeBatch(dict(data)) for _ in range(n_layers + 1)]

    def block_compute(self, i, layer):
        agg = nd.dot(self.adj, self.layers[i].data['h'])
        node = NodeBatch(dict(self.layers[i + 1].data, h=agg))
        self.layers[i + 1].data.update(layer(node))


class NodeUpdate(gluon.Block):
    def __init__(self, layer_id, in_feats, out_feats, dropout, activation=None, test=False, concat=False):
        super(NodeUpdate, self).__init__()
        self.layer_id, self.dropout, self.test, self.concat = layer_id, dropout, test, concat
        with self.name_scope():
            self.dense = gluon.nn.Dense(out_feats, in_units=in_feats)
            self.activation = activation

    def forward(self, node):
        h = node.data['h']
        norm = node.data['norm']
        if self.test:
            h = h * norm
        else:
            agg_history = node.data['agg_h_{}'.format(self.layer_id - 1)]
            subg_norm = node.data['subg_norm']
            h = h * subg_norm + agg_history * norm
            if self.dropout:
                h = mx.nd.Dropout(h, p=self.dropout)
        h = self.dense(h)
        if self.concat:
            h = mx.nd.concat(h, self.activation(h))
        elif self.activation:
            h = self.activation(h)
        return {'activation': h}


class GCNSampling(gluon.Block):
    def __init__(self, in_feats, n_hidden, n_classes, n_layers, activation, dropout, **kwargs):
        super(GCNSampling, self).__init__(**kwargs)
        self.dropout, self.n_layers = dropout, n_layers
        with self.name_scope():
            self.layers = gluon.nn.Sequential()
            self.dense = gluon.nn.Dense(n_hidden, in_units=in_feats)
            self.activation = activation
            for i in range(1, n_layers):
                self.layers.add(NodeUpdate(i, n_hidden, n_hidden, dropout, activation, concat=(i == self.n_layers - 1)))
            self.layers.add(NodeUpdate(n_layers, 2 * n_hidden, n_classes, dropout))

    def forward(self, nf):
        h = nf.layers[0].data['preprocess']
        h = self.dense(h)
        h = mx.nd.concat(h, self.activation(h)) if 0 == self.n_layers - 1 else self.activation(h)
        for i, layer in enumerate(self.layers):
            new_history = h.copy().detach()
            history_str = 'h_{}'.format(i)
            history = nf.layers[i].data[history_str]
            h = h - history
            nf.layers[i].data['h'] = h
            nf.block_compute(i, layer)
            h = nf.layers[i + 1].data.pop('activation')
            if i < len(nf.layers) - 2:
                nf.layers[i].data[history_str] = new_history
        return h


class GCNInfer(gluon.Block):
    def __init__(self, in_feats, n_hidden, n_classes, n_layers, activation, **kwargs):
        super(GCNInfer, self).__init__(**kwargs)
        self.n_layers = n_layers
        with self.name_scope():
            self.layers = gluon.nn.Sequential()
            self.dense = gluon.nn.Dense(n_hidden, in_units=in_feats)
            self.activation = activation
            for i in range(1, n_layers):
                self.layers.add(NodeUpdate(i, n_hidden, n_hidden, 0, activation, True, concat=(i == self.n_layers - 1)))
            self.layers.add(NodeUpdate(n_layers, 2 * n_hidden, n_classes, 0, None, True))

    def forward(self, nf):
        h = nf.layers[0].data['preprocess']
        h = self.dense(h)
        h = mx.nd.concat(h, self.activation(h)) if 0 == self.n_layers - 1 else self.activation(h)
        for i, layer in enumerate(self.layers):
            nf.layers[i].data['h'] = h
            nf.block_compute(i, layer)
            h = nf.layers[i + 1].data.pop('activation')
        return h


def dgl_gcn():
    """The control-variate GCN trained four epochs with Adam through a 'local' KVStore instance
    (the store runs the optimizer), the inference model refreshed from the store by
    ``_param2idx`` each epoch: the losses, the inference logits and accuracy, the names the two
    models share."""
    res = {}
    rs = np.random.RandomState(201)
    n, in_feats, n_hidden, n_classes, n_layers = 8, 4, 3, 2, 2
    adj_np = (rs.uniform(0, 1, (n, n)) > 0.6).astype('float32')
    np.fill_diagonal(adj_np, 1)
    adj = nd.array(adj_np)
    features = nd.array(rs.uniform(-1, 1, (n, in_feats)))
    labels = nd.array(rs.randint(0, n_classes, n))
    norm = mx.nd.expand_dims(1. / adj.sum(axis=1), 1)
    subg_norm = norm * 0.5
    preprocess = nd.dot(adj, features) * norm
    data = {'preprocess': preprocess, 'norm': norm, 'subg_norm': subg_norm}
    for i in range(n_layers):
        width = 2 * n_hidden if i == n_layers - 1 else n_hidden
        data['h_{}'.format(i)] = mx.nd.zeros((n, width))
        data['agg_h_{}'.format(i)] = mx.nd.zeros((n, width))
    model = GCNSampling(in_feats, n_hidden, n_classes, n_layers, mx.nd.relu, 0.0, prefix='GCN')
    model.initialize()
    set_params(model, 202)
    infer_model = GCNInfer(in_feats, n_hidden, n_classes, n_layers, mx.nd.relu, prefix='GCN')
    infer_model.initialize()
    trainer = gluon.Trainer(model.collect_params(), 'adam', {'learning_rate': 0.05, 'wd': 5e-4},
                            kvstore=mx.kv.create('local'))
    loss_fcn = gluon.loss.SoftmaxCELoss()
    losses, accs, logits = [], [], []
    for epoch in range(4):
        nf = TinyFlow(adj, data, n_layers)
        with mx.autograd.record():
            pred = model(nf)
            loss = loss_fcn(pred, labels)
            loss = loss.sum() / n
        loss.backward()
        trainer.step(batch_size=1)
        data.update({k: v for k, v in nf.layers[0].data.items() if k.startswith('h_')})
        losses.append(float(loss.asscalar()))
        infer_params = infer_model.collect_params()
        for key in infer_params:
            idx = trainer._param2idx[key]
            trainer._kvstore.pull(idx, out=infer_params[key].data())
        test_nf = TinyFlow(adj, {'preprocess': preprocess, 'norm': norm}, n_layers)
        pred = infer_model(test_nf)
        accs.append(float((pred.argmax(axis=1) == labels).sum().asscalar()) / n)
        logits.append(L(pred))
    res['losses'], res['accs'], res['logits'] = losses, accs, logits
    res['names'] = sorted(infer_model.collect_params().keys())
    res['same_names'] = sorted(model.collect_params().keys()) == res['names']
    res['update_on_kvstore'] = bool(trainer._update_on_kvstore)
    return res


# ---------------------------------------------------------------- 20 GluonCV YOLOv3 targets
# dmlc/gluon-cv gluoncv/model_zoo/yolo/yolo_target.py (YOLOV3PrefetchTargetGenerator: targets
# written element by element into NDArrays, one_hot prefilled with -1, per-layer slices;
# YOLOV3DynamicTargetGeneratorSimple; YOLOV3TargetMerger, a HybridBlock over *args) and
# gluoncv/nn/bbox.py (BBoxCenterToCorner; BBoxCornerToCenter is section 6's).
class BBoxCenterToCorner(HybridBlock):
    def __init__(self, axis=-1, split=False):
        super().__init__()
        self._split, self._axis = split, axis

    def hybrid_forward(self, F, x):
        x, y, w, h = F.split(x, axis=self._axis, num_outputs=4)
        hw, hh = w / 2, h / 2
        xmin, ymin, xmax, ymax = x - hw, y - hh, x + hw, y + hh
        if not self._split:
            return F.concat(xmin, ymin, xmax, ymax, dim=self._axis)
        return xmin, ymin, xmax, ymax


class YOLOV3PrefetchTargetGenerator(gluon.Block):
    def __init__(self, num_class, **kwargs):
        super().__init__(**kwargs)
        self._num_class = num_class
        self.bbox2center = BBoxCornerToCenter(axis=-1, split=True)
        self.bbox2corner = BBoxCenterToCorner(axis=-1, split=False)

    def forward(self, img, xs, anchors, offsets, gt_boxes, gt_ids):
        all_anchors = nd.concat(*[a.reshape(-1, 2) for a in anchors], dim=0)
        all_offsets = nd.concat(*[o.reshape(-1, 2) for o in offsets], dim=0)
        num_anchors = np.cumsum([a.size // 2 for a in anchors])
        num_offsets = np.cumsum([o.size // 2 for o in offsets])
        _offsets = [0] + num_offsets.tolist()
        orig_height, orig_width = img.shape[2], img.shape[3]
        with autograd.pause():
            shape_like = all_anchors.reshape((1, -1, 2)) * all_offsets.reshape((-1, 1, 2)).expand_dims(0).repeat(
                repeats=gt_ids.shape[0], axis=0)
            center_targets = nd.zeros_like(shape_like)
            scale_targets = nd.zeros_like(center_targets)
            weights = nd.zeros_like(center_targets)
            objectness = nd.zeros_like(weights.split(axis=-1, num_outputs=2)[0])
            class_targets = nd.one_hot(objectness.squeeze(axis=-1), depth=self._num_class)
            class_targets[:] = -1
            gtx, gty, gtw, gth = self.bbox2center(gt_boxes)
            shift_gt_boxes = nd.concat(gtx * 0, gty * 0, gtw, gth, dim=-1)
            anchor_boxes = nd.concat(0 * all_anchors, all_anchors, dim=-1)
            shift_anchor_boxes = self.bbox2corner(anchor_boxes)
            ious = nd.contrib.box_iou(shift_anchor_boxes, shift_gt_boxes).transpose((1, 0, 2))
            matches = ious.argmax(axis=1).asnumpy()
            valid_gts = (gt_boxes >= 0).asnumpy().prod(axis=-1)
            np_gtx, np_gty, np_gtw, np_gth = [x.asnumpy() for x in [gtx, gty, gtw, gth]]
            np_anchors = all_anchors.asnumpy()
            np_gt_ids = gt_ids.asnumpy()
            for b in range(matches.shape[0]):
                for m in range(matches.shape[1]):
                    if valid_gts[b, m] < 1:
                        break
                    match = int(matches[b, m])
                    nlayer = np.nonzero(num_anchors > match)[0][0]
                    height, width = xs[nlayer].shape[2], xs[nlayer].shape[3]
                    gtx, gty, gtw, gth = np_gtx[b, m, 0], np_gty[b, m, 0], np_gtw[b, m, 0], np_gth[b, m, 0]
                    loc_x = int(gtx / orig_width * width)
                    loc_y = int(gty / orig_height * height)
                    index = _offsets[nlayer] + loc_y * width + loc_x
                    center_targets[b, index, match, 0] = gtx / orig_width * width - loc_x
                    center_targets[b, index, match, 1] = gty / orig_height * height - loc_y
                    scale_targets[b, index, match, 0] = np.log(gtw / np_anchors[match, 0])
                    scale_targets[b, index, match, 1] = np.log(gth / np_anchors[match, 1])
                    weights[b, index, match, :] = 2.0 - gtw * gth / orig_width / orig_height
                    objectness[b, index, match, 0] = 1
                    class_targets[b, index, match, :] = 0
                    class_targets[b, index, match, int(np_gt_ids[b, m, 0])] = 1
            objectness = self._slice(objectness, num_anchors, num_offsets)
            center_targets = self._slice(center_targets, num_anchors, num_offsets)
            scale_targets = self._slice(scale_targets, num_anchors, num_offsets)
            weights = self._slice(weights, num_anchors, num_offsets)
            class_targets = self._slice(class_targets, num_anchors, num_offsets)
        return objectness, center_targets, scale_targets, weights, class_targets

    def _slice(self, x, num_anchors, num_offsets):
        anchors = [0] + num_anchors.tolist()
        offsets = [0] + num_offsets.tolist()
        ret = []
        for i in range(len(num_anchors)):
            y = x[:, offsets[i]:offsets[i + 1], anchors[i]:anchors[i + 1], :]
            ret.append(y.reshape((0, -3, -1)))
        return nd.concat(*ret, dim=1)


class YOLOV3DynamicTargetGeneratorSimple(gluon.Block):
    def __init__(self, num_class, ignore_iou_thresh, **kwargs):
        super().__init__(**kwargs)
        self._num_class, self._ignore_iou_thresh = num_class, ignore_iou_thresh

    def forward(self, img, xs, anchors, offsets, box_preds, gt_boxes, gt_ids):
        with autograd.pause():
            if isinstance(box_preds, (list, tuple)):
                box_preds = nd.concat(*box_preds, dim=1)
            box_preds = box_preds.reshape((0, -1, 4))
            objness_t = nd.zeros_like(box_preds.slice_axis(axis=-1, begin=0, end=1))
            center_t = nd.zeros_like(box_preds.slice_axis(axis=-1, begin=0, end=2))
            scale_t = nd.zeros_like(box_preds.slice_axis(axis=-1, begin=0, end=2))
            weight_t = nd.zeros_like(box_preds.slice_axis(axis=-1, begin=0, end=2))
            class_t = nd.ones_like(objness_t.tile(reps=(self._num_class))) * -1
            for b in range(box_preds.shape[0]):
                ious = nd.contrib.box_iou(box_preds[b], gt_boxes[b])
                ious_max = ious.max(axis=-1)
                ignored = (ious_max > self._ignore_iou_thresh) * -1
                objness_t[b, :, 0] = ignored
        return objness_t, center_t, scale_t, weight_t, class_t


class YOLOV3TargetMerger(HybridBlock):
    def __init__(self, num_class, **kwargs):
        super().__init__(**kwargs)
        self._num_class = num_class

    def hybrid_forward(self, F, *args):
        with autograd.pause():
            obj, centers, scales, weights, clas = zip(args[:5], args[5:])
            mask = obj[1] > 0
            objectness = F.where(mask, obj[1], obj[0])
            mask2 = mask.tile(reps=(2,))
            center_targets = F.where(mask2, centers[1], centers[0])
            scale_targets = F.where(mask2, scales[1], scales[0])
            weights = F.where(mask2, weights[1], weights[0])
            mask3 = mask.tile(reps=(self._num_class,))
            class_targets = F.where(mask3, clas[1], clas[0])
            class_mask = mask.tile(reps=(self._num_class,)) * (class_targets >= 0)
            return objectness, center_targets, scale_targets, weights, class_targets, class_mask


def yolo_targets():
    """The YOLOv3 targets for two images (two feature maps, 4x4 and 2x2, two anchors each, a
    padded ground-truth row), the dynamic ignore targets from predicted boxes, and their merge
    (eager and hybridized, the block taking its ten inputs as ``*args``)."""
    res = {}
    img = nd.zeros((2, 3, 16, 16))
    xs = [nd.zeros((2, 6, 4, 4)), nd.zeros((2, 6, 2, 2))]
    anchors = [nd.array([[2, 3], [4, 5]]).reshape((1, 1, 2, 2)), nd.array([[8, 9], [12, 10]]).reshape((1, 1, 2, 2))]

    def grid(n):
        gx, gy = np.meshgrid(np.arange(n), np.arange(n))
        return nd.array(np.stack([gx, gy], axis=-1)).reshape((1, 1, n, n, 2))
    offsets = [grid(4), grid(2)]
    gt_boxes = nd.array([[[1, 1, 4, 5], [6, 2, 15, 11], [-1, -1, -1, -1]],
                         [[0, 8, 3, 11], [4, 4, 12, 14], [9, 1, 14, 4]]])
    gt_ids = nd.array([[[1], [0], [-1]], [[2], [1], [0]]])
    prefetch = YOLOV3PrefetchTargetGenerator(3)(img, xs, anchors, offsets, gt_boxes, gt_ids)
    res['prefetch'] = [L(t) for t in prefetch]
    box_preds = nd.array(np.sort(np.random.RandomState(211).uniform(0, 16, (2, 40, 2, 2)), axis=2)
                         .transpose(0, 1, 3, 2).reshape(2, 40, 4))
    dynamic = YOLOV3DynamicTargetGeneratorSimple(3, 0.3)(img, xs, anchors, offsets, box_preds, gt_boxes, gt_ids)
    res['dynamic'] = [L(t) for t in dynamic]
    for hyb in (False, True):
        merger = YOLOV3TargetMerger(3)
        if hyb:
            merger.hybridize()
        res['merged_hybrid' if hyb else 'merged'] = [L(t) for t in merger(*(dynamic + prefetch))]
    return res
PROGRAMS = ['sockeye_beam', 'sockeye_layers', 'elmo_char', 'sampled_softmax', 'embednet',
            'rcnn_targets', 'd2l_cnns', 'mobilenetv3', 'gluonnlp_beam', 'elmo_bilm',
            'sockeye_loss', 'bert_finetune', 'gluonnlp_data', 'sockeye_conv', 'gluoncv_parallel',
            'local_sgd', 'fp16_trainer', 'gluonts_trainer', 'dgl_gcn', 'yolo_targets']
