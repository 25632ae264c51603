"""Run GluonNLP 0.10.0's unchanged model code on MXNet 1.9.1 and on minigluon, and compare.

For developers who have both (the test suite never imports GluonNLP). GluonNLP 0.10 is the last
MXNet-1.x release; its source must be importable by both Pythons (its Cython tokenizer built, e.g.
``cythonize -i gluonnlp/data/fast_bert_tokenizer.pyx``; it needs ``packaging``)::

    python3 tools/check_gluonnlp.py --mxnet-python /opt/mxvenv/bin/python \\
        --gluonnlp-path DIR_HOLDING_gluonnlp --work /tmp/check_gluonnlp

The MXNet side (``--side mxnet``) builds each component with small hyper-parameters, initialises
it with a fixed seed, runs it and records, under ``--work``: the .params file, inputs, eager and
hybridized outputs, the gradients of a fixed linear loss, the parameters after two SGD (momentum) steps, and
the exported symbol files. The minigluon side (``--side minigluon``, run under
``minigluon.compat`` so that ``import mxnet`` is minigluon) builds the same component, loads that
.params file and checks each record; it also imports MXNet's exported files with
``SymbolBlock.imports``. One line per component and check; the table at the end counts them.

Checks: build (GluonNLP's constructor runs), load (MXNet's .params file loads), eager / hybrid
(outputs), grads (gradients of sum_i sum(out_i * w_i), w_i fixed), export (minigluon's own export,
imported back), mx_export (MXNet's exported files, imported by minigluon), trainer (parameters after
two Trainer steps). Floats compare within rtol 1e-4 and atol 1e-5 times the largest entry.

Where MXNet 1.9.1 itself fails, the component leaves that check out (see the comments): ELMoBiLM
hybridized with a mask, the temporal activation regularizer hybridized, HybridBeamSearchSampler
hybridized (minigluon's hybridized outputs are compared with MXNet's eager ones instead), and
float16 (MXNet's CPU FullyConnected has none).
"""
import argparse
import os
import subprocess
import sys
import traceback

import numpy as np

CHECKS = ('build', 'load', 'eager', 'grads', 'hybrid', 'export', 'mx_export', 'trainer')
RTOL, ATOL = 1e-4, 1e-5


# --------------------------------------------------------------------------------------------
# components: each returns dict(net=Block or None, inputs=[numpy arrays], call=f(net, nd_inputs))
# --------------------------------------------------------------------------------------------

def _ints(rng, high, shape):
    return rng.randint(0, high, size=shape).astype('float32')


def _vocab(nlp, n=20):
    counter = nlp.data.count_tokens(['w%d' % i for i in range(n)])
    return nlp.Vocab(counter, bos_token='<bos>', eos_token='<eos>')


def bert(mx, nlp, rng):
    enc = nlp.model.BERTEncoder(num_layers=2, units=64, hidden_size=128, num_heads=4,
                                max_length=16, dropout=0.0, output_all_encodings=False)
    net = nlp.model.BERTModel(enc, vocab_size=30, token_type_vocab_size=2, units=64, embed_size=64,
                              use_pooler=True, use_decoder=True, use_classifier=True)
    inputs = [_ints(rng, 30, (2, 7)), _ints(rng, 2, (2, 7)), np.array([7, 4], 'float32'),
              _ints(rng, 4, (2, 3))]
    return dict(net=net, inputs=inputs, call=lambda n, x: n(*x))


def transformer(mx, nlp, rng):
    enc, dec, one_step = nlp.model.transformer.get_transformer_encoder_decoder(
        num_layers=2, num_heads=4, units=32, hidden_size=64, dropout=0.0, max_src_length=16,
        max_tgt_length=16)
    vocab = _vocab(nlp)
    net = nlp.model.translation.NMTModel(vocab, vocab, enc, dec, one_step, embed_size=32, share_embed=True,
                             tie_weights=True, prefix='nmt_')
    inputs = [_ints(rng, len(vocab), (2, 6)), _ints(rng, len(vocab), (2, 5)),
              np.array([6, 3], 'float32'), np.array([5, 2], 'float32')]
    return dict(net=net, inputs=inputs, call=lambda n, x: n(*x), hybrid=False)


def _lm(cls_name, mode):
    def build(mx, nlp, rng):
        cls = getattr(nlp.model, cls_name)
        kw = dict(mode=mode, vocab_size=25, embed_size=16, hidden_size=16, num_layers=2,
                  tie_weights=True, dropout=0.0)
        if cls_name == 'AWDRNN':
            kw.update(weight_drop=0.0, drop_h=0.0, drop_i=0.0, drop_e=0.0)
        net = cls(**kw)

        def call(n, x):
            state = n.begin_state(batch_size=3, func=mx.nd.zeros)
            return n(x[0], state)

        def flat_inputs(n, x):   # the exported graph's inputs: data, then each state
            return [x[0]] + _flat(n.begin_state(batch_size=3, func=mx.nd.zeros), mx)
        return dict(net=net, inputs=[_ints(rng, 25, (5, 3))], call=call, flat_inputs=flat_inputs)
    return build


def _nmt_for_sampling(mx, nlp, rng):
    comp = transformer(mx, nlp, rng)
    return comp


def _log_prob_step(n, mx):
    """The decoder GluonNLP's translation scripts give the samplers (BeamSearchTranslator's)."""
    def step(step_input, states):
        out, states, _ = n.decode_step(step_input, states)
        return mx.nd.log_softmax(out), states
    return step


def beam_search(mx, nlp, rng):
    comp = _nmt_for_sampling(mx, nlp, rng)
    vocab = comp['net'].tgt_vocab

    def call(n, x):
        src, _, src_len, _ = x
        enc_out = n.encode(src, valid_length=src_len)[0]
        states = n.decoder.init_state_from_encoder(enc_out, src_len)
        sampler = nlp.model.BeamSearchSampler(
            beam_size=3, decoder=_log_prob_step(n, mx), eos_id=vocab[vocab.eos_token],
            scorer=nlp.model.BeamSearchScorer(alpha=1.0, K=5), max_length=6)
        bos = mx.nd.full((src.shape[0],), vocab[vocab.bos_token], dtype='float32')
        return sampler(bos, states)
    comp.update(call=call, hybrid=False, grads=False)
    return comp


def sequence_sampler(mx, nlp, rng):
    """Random sampling: the frameworks' generators differ, so only shapes and dtypes compare."""
    comp = _nmt_for_sampling(mx, nlp, rng)
    vocab = comp['net'].tgt_vocab

    def call(n, x):
        src, _, src_len, _ = x
        enc_out = n.encode(src, valid_length=src_len)[0]
        states = n.decoder.init_state_from_encoder(enc_out, src_len)
        sampler = nlp.model.SequenceSampler(beam_size=2, decoder=_log_prob_step(n, mx),
                                            eos_id=vocab[vocab.eos_token], max_length=6)
        bos = mx.nd.full((src.shape[0],), vocab[vocab.bos_token], dtype='float32')
        samples, scores, valid = sampler(bos, states)
        return [mx.nd.array(np.array(samples.shape)), mx.nd.array(np.array(scores.shape)),
                mx.nd.array(np.array(valid.shape))]
    comp.update(call=call, hybrid=False, grads=False)
    return comp


def char_cnn(mx, nlp, rng):
    net = nlp.model.ConvolutionalEncoder(embed_size=8, num_filters=(4, 5), ngram_filter_sizes=(1, 2),
                                         conv_layer_activation='tanh', num_highway=1, output_size=6)
    x = rng.randn(4, 3, 8).astype('float32')   # (seq_len, batch, embed)
    mask = np.ones((4, 3), 'float32')
    mask[3, 1:] = 0
    return dict(net=net, inputs=[x, mask], call=lambda n, x: n(*x))


def highway(mx, nlp, rng):
    net = nlp.model.Highway(input_size=6, num_layers=2)
    return dict(net=net, inputs=[rng.randn(3, 6).astype('float32')], call=lambda n, x: n(x[0]))


def _attention(which):
    def build(mx, nlp, rng):
        cells = nlp.model.attention_cell
        if which == 'mlp':
            net = cells.MLPAttentionCell(units=16)
        elif which == 'dot':
            net = cells.DotProductAttentionCell(scaled=True, units=12, luong_style=False)
        else:
            net = cells.MultiHeadAttentionCell(cells.DotProductAttentionCell(), query_units=16,
                                               key_units=16, value_units=16, num_heads=2)
        q, k, v = (rng.randn(2, n, 8).astype('float32') for n in (3, 5, 5))
        mask = (rng.rand(2, 3, 5) > 0.3).astype('float32')
        mask[:, :, 0] = 1
        return dict(net=net, inputs=[q, k, v, mask], call=lambda n, x: n(*x))
    return build


def _sampled_dense(cls_name):
    def build(mx, nlp, rng):
        net = getattr(nlp.model, cls_name)(num_classes=20, num_sampled=5, in_unit=8)
        sampled = np.array([1, 3, 7, 11, 19], 'float32')
        exp_sampled = rng.rand(5).astype('float32') + 0.1
        label = np.array([3, 0, 5, 9], 'float32')
        exp_true = rng.rand(4).astype('float32') + 0.1
        x = rng.randn(4, 8).astype('float32')
        return dict(net=net, inputs=[x, sampled, exp_sampled, exp_true, label],
                    call=lambda n, a: n(a[0], (a[1], a[2], a[3]), a[4]))
    return build


def masked_ce(mx, nlp, rng):
    net = nlp.loss.MaskedSoftmaxCELoss()
    return dict(net=net, inputs=[rng.randn(2, 4, 6).astype('float32'), _ints(rng, 6, (2, 4)),
                                 np.array([4, 2], 'float32')], call=lambda n, x: n(*x),
                input_grads=[0])


def label_smoothing(mx, nlp, rng):
    net = nlp.loss.LabelSmoothing(epsilon=0.1, units=6)
    return dict(net=net, inputs=[_ints(rng, 6, (2, 4))], call=lambda n, x: n(x[0]), grads=False)


def batchify(mx, nlp, rng):
    b = nlp.data.batchify
    fn = b.Tuple(b.Pad(axis=0, pad_val=-1, ret_length=True), b.Stack(), b.Pad(axis=1, pad_val=0))
    samples = [(rng.randn(n).astype('float32'), np.float32(n), rng.randn(2, n + 1).astype('float32'))
               for n in (3, 5, 2)]

    def call(_, __):
        (padded, length), stacked, pad1 = fn(samples)
        return [padded, length, stacked, pad1]
    return dict(net=None, inputs=[], call=call)


def bucket_sampler(mx, nlp, rng):
    lengths = [int(v) for v in rng.randint(2, 30, size=40)]
    sampler = nlp.data.FixedBucketSampler(lengths, batch_size=4, num_buckets=3, shuffle=False)

    def call(_, __):
        batches = list(sampler)
        flat = [i for batch in batches for i in batch]
        return [mx.nd.array(np.array([len(batch) for batch in batches])), mx.nd.array(np.array(flat))]
    return dict(net=None, inputs=[], call=call)


def bert_classifier(mx, nlp, rng):
    enc = nlp.model.BERTEncoder(num_layers=1, units=32, hidden_size=64, num_heads=2,
                                max_length=16, dropout=0.0)
    bert = nlp.model.BERTModel(enc, vocab_size=30, token_type_vocab_size=2, units=32, embed_size=32,
                               use_pooler=True, use_decoder=False, use_classifier=False)
    net = nlp.model.BERTClassifier(bert, num_classes=3, dropout=0.0)
    inputs = [_ints(rng, 30, (2, 6)), _ints(rng, 2, (2, 6)), np.array([6, 3], 'float32')]
    return dict(net=net, inputs=inputs, call=lambda n, x: n(*x))


def roberta(mx, nlp, rng):
    enc = nlp.model.BERTEncoder(num_layers=1, units=32, hidden_size=64, num_heads=2,
                                max_length=16, dropout=0.0, layer_norm_eps=1e-5)
    net = nlp.model.RoBERTaModel(enc, vocab_size=30, units=32, embed_size=32, use_decoder=True)
    inputs = [_ints(rng, 30, (2, 6)), np.array([6, 3], 'float32'), _ints(rng, 6, (2, 2))]
    return dict(net=net, inputs=inputs, call=lambda n, x: n(*x))


def transformer_encoder(mx, nlp, rng):
    net = nlp.model.transformer.TransformerEncoder(num_layers=2, units=16, hidden_size=32,
                                                   num_heads=2, max_length=10, dropout=0.0)
    return dict(net=net, inputs=[rng.randn(2, 5, 16).astype('float32'), np.array([5, 3], 'float32')],
                call=lambda n, x: n(x[0], None, x[1]))


def elmo_bilm(mx, nlp, rng):
    net = nlp.model.ELMoBiLM(rnn_type='lstmpc', output_size=8, filters=[[1, 4], [2, 4]],
                             char_embed_size=4, char_vocab_size=262, num_highway=1,
                             conv_layer_activation='relu', max_chars_per_token=5, input_size=8,
                             hidden_size=12, proj_size=8, num_layers=2, cell_clip=3, proj_clip=3)
    chars = _ints(rng, 262, (2, 4, 5))

    def states(n):
        return n.begin_state(mx.nd.zeros, batch_size=2)

    def flat_inputs(n, x):
        return [x[0]] + _flat(states(n), mx)
    # no mask: ELMoBiLM multiplies by mask.expand_dims(-1) with `*`, which broadcasts on NDArrays
    # but not on Symbols, so MXNet 1.9.1 fails hybridized with a mask (Incompatible attr in _mul)
    return dict(net=net, inputs=[chars], call=lambda n, x: n(x[0], states(n)),
                flat_inputs=flat_inputs)


def awd_weight_drop(mx, nlp, rng):
    """AWD-LSTM with weight drop: outside autograd.record() (predict mode) no dropout applies."""
    net = nlp.model.AWDRNN(mode='lstm', vocab_size=25, embed_size=16, hidden_size=16, num_layers=2,
                           tie_weights=True, dropout=0.2, weight_drop=0.5, drop_h=0.2, drop_i=0.2,
                           drop_e=0.1)

    def call(n, x):
        return n(x[0], n.begin_state(batch_size=3, func=mx.nd.zeros))

    def flat_inputs(n, x):
        return [x[0]] + _flat(n.begin_state(batch_size=3, func=mx.nd.zeros), mx)
    return dict(net=net, inputs=[_ints(rng, 25, (5, 3))], call=call, flat_inputs=flat_inputs,
                grads=False)


def highway_bertadam(mx, nlp, rng):
    comp = highway(mx, nlp, rng)
    comp['optimizer'] = ('bertadam', {'learning_rate': 0.01, 'wd': 0.01})
    return comp


def activation_regularizers(mx, nlp, rng):
    class Both(mx.gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.ar = nlp.loss.ActivationRegularizationLoss(alpha=2.0)
            self.tar = nlp.loss.TemporalActivationRegularizationLoss(beta=1.5)

        def hybrid_forward(self, F, x):
            return self.ar(x) + self.tar(x)
    return dict(net=Both(), inputs=[rng.randn(4, 3, 5).astype('float32')],
                call=lambda n, x: n(x[0]), input_grads=[0],
                hybrid=False)   # MXNet 1.9.1 cannot: TAR slices state[1:], a Group of no symbols


def metrics(mx, nlp, rng):
    acc = nlp.metric.MaskedAccuracy()
    nll = nlp.metric.LengthNormalizedLoss()
    label, pred = _ints(rng, 4, (6,)), rng.randn(6, 4).astype('float32')
    mask = np.array([1, 1, 0, 1, 0, 1], 'float32')

    def call(_, __):
        acc.update([mx.nd.array(label)], [mx.nd.array(pred)], [mx.nd.array(mask)])
        nll.update([mx.nd.array([3.0, 4.0]), mx.nd.array([2.0, 5.0])], [mx.nd.array([1.5, 2.5])])
        return [mx.nd.array([acc.get()[1], nll.get()[1]])]
    return dict(net=None, inputs=[], call=call)


def bptt_batchify(mx, nlp, rng):
    vocab = _vocab(nlp)
    corpus = ['w%d' % i for i in rng.randint(0, 20, size=23)]   # a flat token list

    def call(_, __):
        out = []
        for data, target in nlp.data.batchify.CorpusBPTTBatchify(vocab, seq_len=4, batch_size=3)(
                corpus):
            out += [data, target]
        return out
    return dict(net=None, inputs=[], call=call)


def bert_transform(mx, nlp, rng):
    words = ['the', 'cat', 'sat', '##s', 'on', 'mat', '.']
    vocab = nlp.vocab.BERTVocab(nlp.data.count_tokens(words))
    transform = nlp.data.BERTSentenceTransform(nlp.data.BERTTokenizer(vocab, lower=True),
                                               max_seq_length=12, pair=True)

    def call(_, __):
        ids, length, types = transform(('The cats sat.', 'On the mat!'))
        return [mx.nd.array(ids), mx.nd.array(np.array(length)), mx.nd.array(types)]
    return dict(net=None, inputs=[], call=call)


def nmt_hybridized(mx, nlp, rng):
    """NMTModel is a Block; hybridize() reaches its HybridBlock children (not exportable)."""
    comp = transformer(mx, nlp, rng)
    comp.update(hybrid=True, export=False)
    return comp


def beam_search_hybridized(mx, nlp, rng):
    comp = beam_search(mx, nlp, rng)
    comp.update(hybrid=True, export=False)
    return comp


class _StepDecoder:
    """Our small one-step decoder for HybridBeamSearchSampler: embed, GRU cell, log-softmax."""

    @staticmethod
    def build(mx, vocab_size=12, hidden=8):
        class Decoder(mx.gluon.HybridBlock):
            def __init__(self, **kw):
                super().__init__(**kw)
                self._vocab_size = vocab_size
                with self.name_scope():
                    self.embed = mx.gluon.nn.Embedding(vocab_size, hidden)
                    self.cell = mx.gluon.rnn.GRUCell(hidden, input_size=hidden)
                    self.out = mx.gluon.nn.Dense(vocab_size, in_units=hidden, flatten=False)

            def state_info(self, batch_size=None):
                return self.cell.state_info(batch_size)

            def hybrid_forward(self, F, step_input, states):
                h, new_states = self.cell(self.embed(step_input), states)
                return F.log_softmax(self.out(h)), new_states
        return Decoder()


def hybrid_beam_search(mx, nlp, rng):
    class Net(mx.gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.decoder = _StepDecoder.build(mx)
                self.sampler = nlp.model.HybridBeamSearchSampler(
                    batch_size=2, beam_size=3, decoder=self.decoder, eos_id=1,
                    scorer=nlp.model.BeamSearchScorer(alpha=1.0, K=5), max_length=5)

        def hybrid_forward(self, F, inputs, state):
            return self.sampler(inputs, [state])
    return dict(net=Net(), inputs=[np.array([2, 3], 'float32'), rng.randn(2, 8).astype('float32')],
                call=lambda n, x: n(*x), grads=False, hybrid=False,
                # MXNet 1.9.1 fails hybridized (Incompatible attr in the _cond node's identity:
                # expected int32, got float32); minigluon's hybridized outputs are checked
                # against MXNet's eager ones
                hybrid_vs_eager=True)


def big_rnn(mx, nlp, rng):
    net = nlp.model.BigRNN(vocab_size=30, embed_size=8, hidden_size=16, num_layers=2,
                           projection_size=8)
    return dict(net=net, inputs=[_ints(rng, 30, (4, 2))], hybrid=False,
                call=lambda n, x: n(x[0], n.begin_state(batch_size=2, func=mx.nd.zeros)))


def standard_lm_get_model(mx, nlp, rng):
    """The model zoo path: get_model with pretrained=False and our own vocabulary."""
    net, _ = nlp.model.get_model('standard_lstm_lm_200', vocab=_vocab(nlp), pretrained=False,
                                 dropout=0.0)

    def flat_inputs(n, x):
        return [x[0]] + _flat(n.begin_state(batch_size=2, func=mx.nd.zeros), mx)
    return dict(net=net, inputs=[_ints(rng, 20, (3, 2))], flat_inputs=flat_inputs,
                call=lambda n, x: n(x[0], n.begin_state(batch_size=2, func=mx.nd.zeros)))


def token_embedding(mx, nlp, rng):
    path = os.path.join(os.environ.get('CHECK_GLUONNLP_WORK', '/tmp'), 'emb.txt')
    with open(path, 'w') as f:
        for w in ('the', 'cat', 'sat'):
            f.write(w + ' ' + ' '.join('%.3f' % v for v in rng.randn(4)) + '\n')

    def call(_, __):
        emb = nlp.embedding.TokenEmbedding.from_file(path)
        vocab = nlp.Vocab(nlp.data.count_tokens(['the', 'cat', 'dog', 'the']))
        vocab.set_embedding(emb)
        return [vocab.embedding.idx_to_vec, emb[['cat', 'nope']], vocab.embedding['dog']]
    return dict(net=None, inputs=[], call=call)


def clip_global_norm(mx, nlp, rng):
    comp = highway(mx, nlp, rng)

    def call(n, x):
        with mx.autograd.record():
            loss = (n(x[0]) ** 2).sum()
        loss.backward()
        norm = nlp.utils.clip_grad_global_norm(n.collect_params().values(), 0.5)
        norm = norm if isinstance(norm, mx.nd.NDArray) else mx.nd.array([norm])
        return [norm] + [p.grad() for p in n.collect_params().values()]
    comp.update(call=call, grads=False, hybrid=False)
    return comp


def sharded_loader(mx, nlp, rng):
    """ShardedDataLoader with two worker processes over FixedBucketSampler's sharded batches."""
    lengths = [int(v) for v in rng.randint(2, 9, size=16)]
    dataset = mx.gluon.data.SimpleDataset([(rng.randn(n).astype('float32'), np.float32(n))
                                           for n in lengths])
    b = nlp.data.batchify
    sampler = nlp.data.FixedBucketSampler(lengths, batch_size=3, num_buckets=2, shuffle=False,
                                          num_shards=2)

    def call(_, __):
        loader = nlp.data.ShardedDataLoader(dataset, batch_sampler=sampler, num_workers=2,
                                            batchify_fn=b.Tuple(b.Pad(pad_val=0), b.Stack()))
        return [a for shards in loader for a in _flat(shards, mx)]
    return dict(net=None, inputs=[], call=call)

def bert_finetune_loop(mx, nlp, rng):
    """GluonNLP's finetune_classifier.py training idiom: no weight decay on LayerNorm and biases,
    gradient accumulation (grad_req 'add') over two batches, allreduce_grads, clip_grad_global_norm,
    trainer.update, zero_grad; with BERTAdam."""
    comp = bert_classifier(mx, nlp, rng)

    def train(n, x):
        n.collect_params('.*beta|.*gamma|.*bias').setattr('wd_mult', 0.0)
        params = [p for p in n.collect_params().values() if p.grad_req != 'null']
        trainer = mx.gluon.Trainer(n.collect_params(), 'bertadam',
                                   {'learning_rate': 0.01, 'epsilon': 1e-6, 'wd': 0.01})
        for p in params:
            p.grad_req = 'add'
        loss_fn = mx.gluon.loss.SoftmaxCELoss()
        label = mx.nd.array([2, 0])
        for _ in range(2):
            for _ in range(2):                     # accumulate two batches
                with mx.autograd.record():
                    loss = loss_fn(n(*x), label).mean()
                loss.backward()
            trainer.allreduce_grads()
            nlp.utils.clip_grad_global_norm(params, 1.0)
            trainer.update(2)
            for p in params:
                p.zero_grad()
        return _values(n)
    comp.update(train=train)
    return comp


COMPONENTS = {
    'bert': bert, 'transformer_nmt': transformer,
    'awd_lstm': _lm('AWDRNN', 'lstm'), 'standard_gru': _lm('StandardRNN', 'gru'),
    'beam_search': beam_search, 'sequence_sampler': sequence_sampler,
    'elmo_char_cnn': char_cnn, 'highway': highway,
    'attn_mlp': _attention('mlp'), 'attn_dot': _attention('dot'), 'attn_multihead': _attention('mh'),
    'is_dense': _sampled_dense('ISDense'), 'nce_dense': _sampled_dense('NCEDense'),
    'masked_softmax_ce': masked_ce, 'label_smoothing': label_smoothing,
    'batchify': batchify, 'fixed_bucket_sampler': bucket_sampler,
    'bert_classifier': bert_classifier, 'roberta': roberta,
    'transformer_encoder': transformer_encoder, 'elmo_bilm': elmo_bilm,
    'awd_weight_drop': awd_weight_drop, 'highway_bertadam': highway_bertadam,
    'activation_regularizers': activation_regularizers, 'metrics': metrics,
    'bptt_batchify': bptt_batchify, 'bert_transform': bert_transform,
    'nmt_hybridized': nmt_hybridized, 'beam_search_hybridized': beam_search_hybridized,
    'hybrid_beam_search': hybrid_beam_search, 'big_rnn': big_rnn,
    'standard_lm_get_model': standard_lm_get_model, 'token_embedding': token_embedding,
    'clip_global_norm': clip_global_norm, 'sharded_loader': sharded_loader,
    'bert_finetune_loop': bert_finetune_loop,
}


# --------------------------------------------------------------------------------------------
# running one side
# --------------------------------------------------------------------------------------------

def _flat(out, mx):
    """The NDArrays of a (nested) output, in order."""
    if isinstance(out, mx.nd.NDArray):
        return [out]
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in _flat(o, mx)]
    return []


def _nd_inputs(comp, mx):
    """The component's inputs as NDArrays (float32: MXNet's CPU FullyConnected has no float16)."""
    return [mx.nd.array(a) for a in comp['inputs']]


def _outputs(comp, net, mx):
    nd_in = _nd_inputs(comp, mx)
    return [o.asnumpy() for o in _flat(comp['call'](net, nd_in), mx)]


def _loss_grads(comp, net, mx):
    """Gradients of sum_i sum(out_i * w_i), w_i fixed (seeded by position), by structural name."""
    from mxnet import autograd
    nd_in = _nd_inputs(comp, mx)
    for i in comp.get('input_grads', ()):
        nd_in[i].attach_grad()
    with autograd.record():
        outs = [o for o in _flat(comp['call'](net, nd_in), mx) if o.dtype == np.float32]
        loss = sum((o * mx.nd.array(np.random.RandomState(i).randn(*o.shape))).sum()
                   for i, o in enumerate(outs))
    loss.backward()
    return {'in%d' % i: nd_in[i].grad.asnumpy() for i in comp.get('input_grads', ())}


def _grads(net, input_grads):
    return dict(input_grads, **{k: p.grad().asnumpy() for k, p in net._collect_params_with_prefix().items()
            if p.grad_req != 'null'})


def _values(net):
    return {k: p.data().asnumpy() for k, p in net._collect_params_with_prefix().items()}


def _trainer_steps(comp, net, mx):
    if 'train' in comp:
        return comp['train'](net, _nd_inputs(comp, mx))
    # SGD with momentum: Adam would turn gradients that are zero up to rounding (a key bias under
    # softmax) into full-size steps of arbitrary sign, on either framework
    optimizer, kwargs = comp.get('optimizer', ('sgd', {'learning_rate': 0.1, 'momentum': 0.9}))
    trainer = mx.gluon.Trainer(net.collect_params(), optimizer, kwargs)
    for _ in range(2):
        _loss_grads(comp, net, mx)
        trainer.step(1, ignore_stale_grad=True)
    return _values(net)


def _imports_outputs(comp, net, mx, prefix):
    """Outputs of ``SymbolBlock.imports`` of the files ``prefix``-symbol.json / -0000.params on
    the component's inputs (flattened as HybridBlock.export names them: data, or data0, data1...)."""
    nd_in = _nd_inputs(comp, mx)
    nd_in = comp.get('flat_inputs', lambda n, x: x)(net, nd_in)
    names = ['data%d' % i for i in range(len(nd_in))] if len(nd_in) > 1 else ['data']
    blk = mx.gluon.SymbolBlock.imports(prefix + '-symbol.json', names, prefix + '-0000.params')
    return [o.asnumpy() for o in _flat(blk(*nd_in), mx)]


def record_mxnet(work, names):
    os.environ['CHECK_GLUONNLP_WORK'] = work
    import mxnet as mx
    import gluonnlp as nlp
    for name in names:
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        rec = {}
        try:
            mx.random.seed(0)
            np.random.seed(0)
            comp = COMPONENTS[name](mx, nlp, np.random.RandomState(0))
            net = comp['net']
            for i, a in enumerate(comp['inputs']):
                rec['in/%d' % i] = a
            if net is not None:
                net.initialize(mx.init.Normal(0.2))
                _outputs(comp, net, mx)          # shapes known (deferred initialisation done)
                net.save_parameters(os.path.join(d, 'net.params'))
            outs = _outputs(comp, net, mx)
            rec.update({'eager/%d' % i: o for i, o in enumerate(outs)})
            if net is not None:
                if comp.get('grads', True):
                    input_grads = _loss_grads(comp, net, mx)
                    rec.update({'grad/' + k: g for k, g in _grads(net, input_grads).items()})
                if comp.get('hybrid', True):
                    net.hybridize()
                    rec.update({'hybrid/%d' % i: o for i, o in enumerate(_outputs(comp, net, mx))})
                    if comp.get('export', True):
                        net.export(os.path.join(d, 'mx'))
                if comp.get('grads', True) and _values(net):
                    rec.update({'step/' + k: v for k, v in _trainer_steps(comp, net, mx).items()})
            print('%-22s recorded %d arrays' % (name, len(rec)))
        except Exception as e:   # MXNet's own failures are part of the report
            print('%-22s MXNET FAILED: %s' % (name, str(e).strip().splitlines()[-1][:200]))
            traceback.print_exc()
            rec['mxnet_failed'] = np.array(str(e)[:500])
        np.savez(os.path.join(d, 'ref.npz'), **rec)


def _close(a, b, tol=(RTOL, ATOL)):
    """Equal within float32 rounding: the absolute tolerance scales with the array's largest
    entry, as a gradient summed over many terms (entries ~60) cancels to near 0 differently in
    each framework's summation order."""
    a, b = np.asarray(a, 'float64'), np.asarray(b, 'float64')
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    return a.shape == b.shape and np.allclose(a, b, tol[0], tol[1] * scale)


def _compare(got, ref, prefix, tol=(RTOL, ATOL)):
    keys = sorted(k for k in ref if k.startswith(prefix))
    want = {k[len(prefix):]: ref[k] for k in keys}
    if set(got) != set(want):
        return 'names differ: only minigluon %s, only MXNet %s' % (
            sorted(set(got) - set(want))[:4], sorted(set(want) - set(got))[:4])
    bad = [k for k in sorted(want) if not _close(got[k], want[k], tol)]
    if bad:
        k = bad[0]
        diff = (np.abs(np.asarray(got[k], 'float64') - want[k]).max()
                if np.shape(got[k]) == want[k].shape else 'shape %s vs %s'
                % (np.shape(got[k]), want[k].shape))
        return '%d of %d differ (first %s: %s)' % (len(bad), len(want), k, diff)
    return None


def compare_minigluon(work, names):
    os.environ['CHECK_GLUONNLP_WORK'] = work
    import mxnet as mx   # minigluon, through minigluon.compat
    import gluonnlp as nlp
    table = {}
    for name in names:
        d = os.path.join(work, name)
        ref = dict(np.load(os.path.join(d, 'ref.npz')))
        row = table[name] = {}
        if 'mxnet_failed' in ref:
            row['build'] = 'MXNet failed: %s' % ref['mxnet_failed']
            continue
        step = 'build'
        try:
            mx.random.seed(0)
            np.random.seed(0)
            comp = COMPONENTS[name](mx, nlp, np.random.RandomState(0))
            net = comp['net']
            row['build'] = None
            tol = comp.get('tol', (RTOL, ATOL))
            if net is not None:
                step = 'load'
                net.load_parameters(os.path.join(d, 'net.params'))
                row['load'] = None
            step = 'eager'
            row['eager'] = _compare({'%d' % i: o for i, o in enumerate(_outputs(comp, net, mx))},
                                    ref, 'eager/', tol)
            if net is None:
                continue
            if comp.get('grads', True):
                step = 'grads'
                input_grads = _loss_grads(comp, net, mx)
                row['grads'] = _compare(_grads(net, input_grads), ref, 'grad/', tol)
            if comp.get('hybrid', True):
                step = 'hybrid'
                net.hybridize()
                got = {'%d' % i: o for i, o in enumerate(_outputs(comp, net, mx))}
                row['hybrid'] = _compare(got, ref, 'hybrid/', tol)
            if comp.get('hybrid', True) and comp.get('export', True):
                step = 'export'
                prefix = os.path.join(d, 'mg')
                net.export(prefix)
                got = {'%d' % i: o for i, o in enumerate(_imports_outputs(comp, net, mx, prefix))}
                row['export'] = _compare(got, ref, 'hybrid/', tol)
                step = 'mx_export'
                got = {'%d' % i: o for i, o in enumerate(
                    _imports_outputs(comp, net, mx, os.path.join(d, 'mx')))}
                row['mx_export'] = _compare(got, ref, 'hybrid/', tol)
            if comp.get('hybrid_vs_eager'):
                step = 'hybrid'
                net.hybridize()
                got = {'%d' % i: o for i, o in enumerate(_outputs(comp, net, mx))}
                row['hybrid'] = _compare(got, ref, 'eager/', tol)
            if comp.get('grads', True) and _values(net):
                step = 'trainer'
                row['trainer'] = _compare(_trainer_steps(comp, net, mx), ref, 'step/', tol)
        except Exception as e:
            row[step] = 'ERROR %s: %s' % (type(e).__name__, str(e).splitlines()[0][:300])
            if os.environ.get('CHECK_GLUONNLP_TRACE'):
                traceback.print_exc()
    _print_table(table)
    return table


def _print_table(table):
    print('%-22s %s' % ('component', ' '.join('%-9s' % c for c in CHECKS)))
    for name, row in table.items():
        cells = ['-' if c not in row else ('ok' if row[c] is None else 'FAIL') for c in CHECKS]
        print('%-22s %s' % (name, ' '.join('%-9s' % c for c in cells)))
    for name, row in table.items():
        for c in CHECKS:
            if row.get(c):
                print('  %s / %s: %s' % (name, c, row[c]))
    counts = [r.get(c, 1) is None for r in table.values() for c in CHECKS]
    tried = [c in r for r in table.values() for c in CHECKS]
    print('passed %d of %d checks over %d components' % (sum(counts), sum(tried), len(table)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--side', choices=['mxnet', 'minigluon'])
    ap.add_argument('--work', default='/tmp/check_gluonnlp')
    ap.add_argument('--mxnet-python', help='a Python with MXNet 1.9.1 (driver mode)')
    ap.add_argument('--gluonnlp-path', help='folder(s) holding the gluonnlp package and packaging, '
                    'joined by os.pathsep (driver mode)')
    ap.add_argument('--only', nargs='*', default=sorted(COMPONENTS), help='component names')
    args = ap.parse_args()
    if args.side == 'mxnet':
        record_mxnet(args.work, args.only)
    elif args.side == 'minigluon':
        compare_minigluon(args.work, args.only)
    else:
        if not (args.mxnet_python and args.gluonnlp_path):
            ap.error('give --side, or --mxnet-python and --gluonnlp-path to run both sides')
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [args.gluonnlp_path, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]))
        me = os.path.abspath(__file__)
        base = ['--work', args.work, '--only'] + args.only
        mx_env = dict(env, PYTHONPATH=args.gluonnlp_path)
        subprocess.run([args.mxnet_python, me, '--side', 'mxnet'] + base, env=mx_env, check=True)
        subprocess.run([sys.executable, '-m', 'minigluon.compat', me, '--side', 'minigluon'] + base,
                       env=env, check=True)


if __name__ == '__main__':
    main()
