"""Patterns met running a tenth set of public MXNet 1.x Gluon sources unchanged, against MXNet 1.9.1
(the programs: tests/_wild10_programs.py; fixture: tools/gen_wild10_fixtures.py, which runs the same
file with its import line switched to MXNet).

* Sockeye 2's beam search (awslabs/sockeye, MXNet era): HybridBlocks whose ``forward`` sends
  Python floats around the graph (``hybrid_forward(None, ...)``) and arrays through it, int32
  lengths and flags compared with ``<`` / ``==`` on Symbols, ``topk(ret_typ='both',
  is_ascend=True)``, ``nd.unravel_index`` unpacked into two rows (one offset in place, one by a
  broadcasting ``+``), ``first_step_mask[batch_indices] = 1.0``, ``scores *= mask`` with inf:
  eager and hybridized, MXNet's numbers.
* Sockeye 1.x layers: parameters read from ``**params`` under their attribute names
  (``params['scale']`` for a Parameter named ``_gamma``), ``broadcast_to`` with a list shape of
  0 codes, ``-3`` / ``-4`` reshapes, SequenceMask on transposed logits, weight normalization over
  Symbol variables with ``shape`` / ``init`` attributes wrapped in a SymbolBlock, a decoder cache
  dict (refused once hybridized, with MXNet's ``ValueError``). A hybridized block called with an
  optional input ``None`` and later with an array (the self-attention's bias) raises MXNet's
  ``ValueError`` ("argument structure ... does not match the cached version"); minigluon traces a
  graph per argument structure and gives the eager numbers (a deliberate difference).
* GluonNLP (dmlc/gluon-nlp): a registered Initializer given as ``bias_initializer`` has its
  ``_init_weight`` called for a bias (HighwayBias), HybridConcurrent of HybridLambda max-pools,
  ``broadcast_axes`` with an int ``size``, an LSTMPCell subclass on ``F._internal._plus`` /
  ``_mul`` and ``SliceChannel``; sampled softmax / NCE (a tuple input to a HybridBlock,
  ``slice`` with ``None`` ends, ``-1e37`` masks, ``rand_zipfian``'s float64 expected counts, a
  test Dense sharing ``params=decoder.params``); the ELMo biLM with rnn cells as
  ``contrib.foreach`` bodies and SequenceReverse by lengths (hybridized, MXNet 1.9.1 fails on the
  broadcasting ``output * mask.expand_dims(-1)``, a known difference; minigluon gives the eager
  numbers); the beam search samplers.
* ``HybridBeamSearchSampler`` hybridized: MXNet 1.9.1 fails type inference in its
  ``contrib.cond`` ("expected int32, got float32": a hybridized ``cond`` whose outputs are int32
  does not run at all); minigluon gives the eager sampler's numbers.
* GluonNLP's BERTAdam (a registered Optimizer setting ``aggregate_num``) calls ``_get_lrs`` /
  ``_get_wds``, MXNet's list forms of ``_get_lr`` / ``_get_wd``, which minigluon lacked; and MXNet
  1.9.1's Updater hands such an optimizer up to ``aggregate_num`` weights per call (tuples of
  indices, weights, gradients, a list of states), which it updates in one
  ``multi_adamw_update``; minigluon called it weight by weight. Now as MXNet, for an optimizer
  whose ``update_multi_precision`` is the user's, or whose ``update`` is the user's over the base
  Optimizer. A user's ``update`` over SGD stays called weight by weight: MXNet 1.9.1's grouped
  SGD update skips it (a deliberate difference).
* A local-SGD Trainer subclass written over MXNet's ``gluon/trainer.py`` internals (its own
  ``_init_kvstore`` calling ``mxnet.model._create_kvstore``, reading ``_contains_sparse_weight``
  / ``_contains_sparse_grad`` / ``_distributed``, averaging parameters and Adam's moments through
  kvstore ``init`` / ``push`` / ``pull`` with priorities and ``num_workers``) failed: minigluon's
  Trainer lacked those attributes and ``mx.model`` the helper. Now as MXNet 1.9.1
  (``_create_sparse_kvstore`` raises NotSupportedError: sparse storage is out of scope), and
  every Parameter waits for the store's first broadcast from the start, as in MXNet, also when
  a subclass resolves the store itself.
* GluonNLP's FP16Trainer hands ``Trainer.update`` an NDArray step size (the clipping ratio times
  the batch size and the loss scale); minigluon refused it (TypeError). As in MXNet 1.9.1 an
  optimizer written for MXNet (BERTAdam) now gets ``rescale_grad`` as that NDArray and passes it
  to ``adamw_update``, which skips the update when it is not finite (an overflowed step);
  minigluon's own optimizers take its value as a float, where MXNet 1.9.1's built-in Adam fails
  ("Some trailing characters could not be parsed": a deliberate difference).
* MXNet 1.9.1 can fail now and then when two threads make a hybridized block's first call at
  once (GluonCV's DataParallelModel with sync=True: "'NoneType' object has no attribute
  '__exit__'", a race on the block's name scope); the program makes one first call before the
  threads, and minigluon's concurrent first calls are pinned on their own.
* DGL's MXNet GCN examples pull the inference model's weights from the Trainer's KVStore by
  ``trainer._param2idx[name]``, and many Trainer subclasses' ``step`` calls
  ``self._check_and_rescale_grad(self._scale / batch_size)``: minigluon's Trainer had neither;
  both are there now, as in MXNet 1.9.1.
* ``mxnet.base.py_str`` exists: the import line of MXNet's unit tests (``from mxnet.base import
  py_str, MXNetError, _as_list``), copied into other projects' tests, failed.
* Also pinned: Sockeye 1.x's SoftmaxOutput loss (``use_ignore``, ``smooth_alpha``, 'valid' / 'null'
  normalization, ``grad_scale``) through a SymbolBlock, its CrossEntropyMetric and an
  attention-monotonicity MakeLoss; GluonNLP's LAMB written with nd ops (``grad *= rescale_grad``
  in place, ``where`` on a NaN-or-one ratio) and its fine-tuning loop (``grad_req='add'``
  accumulation, ``allreduce_grads`` + ``clip_grad_global_norm`` + ``update``); AutoGluon's
  tabular EmbedNet (y_range bounds from ``nd.array(scalar).reshape(1,)``,
  blocks made outside name scopes, a HybridSequential indexed in a plain Block's ``forward``),
  GluonCV's Faster R-CNN sampler / box coders (``nd.ones_like`` inside ``hybrid_forward``) and
  MobileNetV3 units (names from prefixes given outside the parent's scope), d2l's NiN /
  Inception / DenseNet blocks and batch norm from scratch; Sockeye 1.x's convolutional encoders
  (Convolution-GLU over Symbol variables, an 8-entry ``sym.pad``, strided max pooling); GluonNLP's
  batchify functions into 'cpu_shared' memory (DataLoader workers too) and corpus batchifiers;
  GluonCV's threaded DataParallelModel / DataParallelCriterion over two contexts; gluon-ts's
  trainer loop (an LRScheduler subclass stepped by the epoch loss, HybridContext,
  ``mx.metric.Loss``, the best epoch reloaded); GluonCV's YOLOv3 target generators (element-wise
  NDArray writes, ``tile(reps=int)``, a HybridBlock over ``*args``).
"""
import numpy as np
import pytest

import minigluon as mx
from minigluon import nd
from _wild import close, load_fixture, same, without

# GluonNLP's LAMB registers itself as 'lamb' over the built-in one (MXNet warns and does the same):
# the built-in is put back for the rest of the session, the bert test swaps GluonNLP's in
REGISTRY = mx.optimizer.Optimizer.opt_registry
BUILTIN_LAMB = REGISTRY['lamb']
with pytest.warns(UserWarning, match='overriding'):
    import _wild10_programs as P
REGISTRY['lamb'] = BUILTIN_LAMB

FIX = load_fixture('wild10')


def test_sockeye_beam_search():
    got = P.sockeye_beam()
    same(got, FIX['sockeye_beam'])
    assert got['hybrid'] == got['eager']


def test_sockeye_layers():
    got, want = P.sockeye_layers(), FIX['sockeye_layers']
    # MXNet refuses the second argument structure of the hybridized self-attention
    assert 'does not match the cached version' in want['hybrid']['structure_error']
    assert 'structure_error' not in got['hybrid']
    same(without(got['hybrid'], 'c', 'xgrad', 'ff_in_grad'), without(want['hybrid'], 'structure_error', 'c', 'xgrad',
                                                                     'ff_in_grad'))
    for key in ('c', 'xgrad', 'ff_in_grad'):       # here: a graph for each structure, MXNet's eager numbers
        same(got['hybrid'][key], want['eager'][key], path=key)
    assert got['hybrid_cache_error'].startswith('ValueError') and want['hybrid_cache_error'].startswith('ValueError')
    same(without(got, 'hybrid', 'hybrid_cache_error'), without(want, 'hybrid', 'hybrid_cache_error'))


def test_hybridized_block_traces_a_graph_per_argument_structure():
    class Att(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x, bias=None):
            return x * 2 if bias is None else F.broadcast_add(x * 2, bias)

    blk = Att()
    blk.hybridize()
    x = nd.array([[1., 2.]])
    close(blk(x), [[2., 4.]])
    close(blk(x, nd.array([10.])), [[12., 14.]])     # MXNet 1.9.1: ValueError, argument structure
    close(blk(x), [[2., 4.]])


def test_elmo_character_encoder():
    got = P.elmo_char()
    same(got, FIX['elmo_char'])
    # HighwayBias filled the bias through _init_weight: 0 for the transform half, 1 for the gate
    # (4 + 3 + 5 filters: a Dense of 2 * 12 units)
    assert got['eager']['highway_bias_init'] == [0.0] * 12 + [1.0] * 12


def test_sampled_softmax_and_nce():
    same(P.sampled_softmax(), FIX['sampled_softmax'])


def test_autogluon_embednet():
    same(P.embednet(), FIX['embednet'])


def test_rcnn_target_sampler_and_coders():
    got = P.rcnn_targets()
    same(got, FIX['rcnn_targets'])
    assert got['eager']['bottom_in_range'] == [True, True]


def test_d2l_modern_cnns():
    same(P.d2l_cnns(), FIX['d2l_cnns'])


def test_mobilenetv3_units():
    same(P.mobilenetv3(), FIX['mobilenetv3'])


def test_gluonnlp_beam_search_samplers():
    got, want = P.gluonnlp_beam(), FIX['gluonnlp_beam']
    for n in (3, 8):
        assert '_cond0' in want['while_%d_hybrid' % n]['error']   # MXNet 1.9.1: int32 outputs of cond
        same(got['while_%d_eager' % n], want['while_%d_eager' % n])
        same(got['while_%d_hybrid' % n], want['while_%d_eager' % n])
        same(got['loop_%d' % n], want['loop_%d' % n])
    same(got['scorer'], want['scorer'])


@pytest.mark.parametrize('passthrough', [True, False])
def test_hybridized_cond_with_int32_outputs(passthrough):
    class Pick(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            then = (lambda: a) if passthrough else (lambda: a * 1)
            return F.contrib.cond(F.sum(b) == 0, then, lambda: a + b)

    blk = Pick()
    blk.hybridize()
    out = blk(nd.array([1, 2], dtype='int32'), nd.array([0, 1], dtype='int32'))   # MXNet 1.9.1 fails here
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1, 3]
    out = blk(nd.array([1, 2], dtype='int32'), nd.array([0, 0], dtype='int32'))
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1, 2]


def test_elmo_bilm():
    got, want = P.elmo_bilm(), FIX['elmo_bilm']
    assert 'elmo__mul0' in want['hybrid_error']       # MXNet: a graph '*' does not broadcast
    same(got['eager'], want['eager'])
    same(got['hybrid'], want['eager'])


def test_sockeye_losses():
    same(P.sockeye_loss(), FIX['sockeye_loss'])


def test_bert_finetune_optimizers(monkeypatch):
    monkeypatch.setitem(REGISTRY, 'lamb', P.LAMB)
    got = P.bert_finetune()
    same(got, FIX['bert_finetune'])
    # grouped (four weights a call) and weight-by-weight updates agree
    same(got['bertadam'], got['bertadam_single'])


class _Recorder(mx.optimizer.Optimizer):
    """An optimizer written for MXNet's grouped updates: records what each update receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.aggregate_num = 2
        self.calls = []

    def update(self, index, weight, grad, state):
        self.calls.append((type(index).__name__, list(index), type(weight).__name__, type(state).__name__,
                           self._get_lrs(index), self._get_wds(index)))


class _CountingSGD(mx.optimizer.SGD):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = []

    def update(self, index, weight, grad, state):
        self.calls.append(index)
        super().update(index, weight, grad, state)


def _one_step(opt):
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(2, in_units=2), mx.gluon.nn.Dense(1, in_units=2))
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), opt)
    with mx.autograd.record():
        loss = net(nd.ones((1, 2))).sum()
    loss.backward()
    trainer.step(1)
    return opt.calls


def test_user_optimizer_with_aggregate_num_gets_groups():
    # as MXNet 1.9.1's Updater: up to aggregate_num weights a call, tuples and a list of states
    calls = _one_step(_Recorder(learning_rate=0.5, wd=0.25))
    assert [c[:4] for c in calls] == [('tuple', [0, 1], 'tuple', 'list'), ('tuple', [2, 3], 'tuple', 'list')]
    assert calls[0][4:] == ([0.5, 0.5], [0.25, 0.25])


def test_user_update_over_sgd_is_called_per_weight():
    # MXNet 1.9.1's grouped SGD update never calls this override (a deliberate difference)
    assert _one_step(_CountingSGD(learning_rate=0.1)) == [0, 1, 2, 3]


def test_gluonnlp_batchify_and_corpus():
    got = P.gluonnlp_data()
    same(got, FIX['gluonnlp_data'])
    assert got['loader_2'] == got['loader_0']            # worker processes give the same batches
    assert got['pad_numpy'][3] == 'cpu_shared(0)'


def test_sockeye_convolutional_encoders():
    got = P.sockeye_conv()
    same(got, FIX['sockeye_conv'])
    full, step = got['left_block'][0]
    # the one-window step gives the causal convolution's output at the window's last position
    close(np.array(step)[:, 0], np.array(full)[:, 4])


def test_gluoncv_threaded_data_parallel():
    got = P.gluoncv_parallel()
    same(got, FIX['gluoncv_parallel'])
    assert got['sync'] == got['serial']            # the threads give what one thread does


def test_mxnet_unit_test_imports():
    # the import line of MXNet's own unit tests, copied into other projects' test files
    from minigluon.base import py_str, MXNetError, _as_list
    assert py_str(b'caf\xc3\xa9') == 'caf\u00e9'
    assert issubclass(MXNetError, RuntimeError) and _as_list(3) == [3]


def test_local_sgd_trainer_subclass():
    got = P.local_sgd()
    same(got, FIX['local_sgd'])
    assert [s['synced'] for s in got['local']['steps']] == [False, False, True] * 2
    # after a synchronisation both contexts hold the same weights
    w0, w1 = got['local']['steps'][2]['w']
    close(w0, w1)


def test_create_kvstore_helpers():
    params = {'w': nd.zeros((2, 2))}
    kv, update = mx.model._create_kvstore('device', 2, params)
    assert (kv.type, update) == ('device', True)
    assert mx.model._create_kvstore('device', 1, params) == (None, False)     # one device: no store
    assert mx.model._create_kvstore(None, 2, params) == (None, False)
    store = mx.kv.create('local')
    assert mx.model._create_kvstore(store, 1, params)[0] is store
    with pytest.raises(TypeError, match='kvstore'):
        mx.model._create_kvstore(3, 2, params)
    with pytest.raises(mx.base.NotSupportedError, match='row_sparse'):
        mx.model._create_sparse_kvstore('device')
    net = mx.gluon.nn.Dense(1, in_units=2)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd')
    assert (trainer._contains_sparse_weight, trainer._contains_sparse_grad, trainer._distributed) == \
        (False, False, None)
    assert trainer._params_to_init == trainer._params and len(trainer._params) == 2


def test_fp16_trainer_with_an_ndarray_step_size(monkeypatch):
    got, want = P.fp16_trainer(), FIX['fp16_trainer']
    assert 'could not be parsed' in want['adam_clip']['error']    # MXNet's Adam and an NDArray step
    same({k: v for k, v in got.items() if k != 'adam_clip'}, {k: v for k, v in want.items() if k != 'adam_clip'})
    assert 'error' not in got['adam_clip']
    # here Adam takes the step size's value: the same as passing it as a float
    update = mx.gluon.Trainer.update
    monkeypatch.setattr(mx.gluon.Trainer, 'update', lambda self, batch_size, ignore_stale_grad=False: update(
        self, float(batch_size.asscalar()) if isinstance(batch_size, nd.NDArray) else batch_size,
        ignore_stale_grad))
    same(got['adam_clip'], P.fp16_trainer()['adam_clip'], tol=1e-6)


def test_hybridized_first_call_from_two_threads():
    import threading
    xs = [nd.array(np.random.RandomState(5).uniform(-1, 1, (2, 2, 5, 5)), ctx=mx.cpu(0)),
          nd.array(np.random.RandomState(6).uniform(-1, 1, (3, 2, 5, 5)), ctx=mx.cpu(1))]

    def build():
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Conv2D(3, 3, in_channels=2), mx.gluon.nn.BatchNorm(in_channels=3), mx.gluon.nn.Dense(2))
        net.initialize(mx.init.Xavier(rnd_type='gaussian'), ctx=[mx.cpu(0), mx.cpu(1)])
        return net

    mx.random.seed(7)
    eager = build()
    with mx.autograd.record():
        want = [eager(x).asnumpy() for x in xs]
    for _ in range(5):
        mx.random.seed(7)
        net = build()
        net.hybridize()
        out, barrier = {}, threading.Barrier(2)

        def work(i):
            barrier.wait()
            with mx.autograd.record():
                out[i] = net(xs[i])
        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i in range(2):
            close(out[i], want[i])


def test_gluonts_trainer_loop():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)     # the lr_scheduler's base_lr overwritten, as MXNet warns
        got = P.gluonts_trainer()
    same(got, FIX['gluonts_trainer'])
    assert [e[0] for e in got['epochs']][:3] == [0.05, 0.05, 0.025]   # halved after a patience of one epoch
    assert got['active_after'] is False                                # HybridContext restored the mode


def test_dgl_gcn_pulls_inference_weights_by_param2idx():
    got = P.dgl_gcn()
    same(got, FIX['dgl_gcn'])
    assert got['same_names'] and got['update_on_kvstore']


def test_trainer_step_helpers_of_subclasses():
    # Trainer subclasses overriding step call these as MXNet 1.9.1's step does
    net = mx.gluon.nn.Dense(1, in_units=2, prefix='d_')
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), 'sgd')
    assert trainer._param2idx == {'d_bias': 0, 'd_weight': 1}      # sorted names, as the indices
    trainer._check_and_rescale_grad(trainer._scale / 8)
    assert trainer._optimizer.rescale_grad == 0.125


def test_yolo_v3_targets():
    got = P.yolo_targets()
    same(got, FIX['yolo_targets'])
    assert np.array(got['prefetch'][0]).sum() == 5          # one objectness 1 per valid ground truth
    assert got['merged_hybrid'] == got['merged']
