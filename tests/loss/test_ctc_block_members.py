"""Every Block member on the CTCLoss seed page, exercised on CTCLoss itself (issue 6), against what
MXNet 1.9.1 does (``tests/fixtures/ctc/ctc_block_members.json``, from
``tools/gen_ctc_block_fixtures.py``), plus ``sym.CTCLoss`` and export + ``SymbolBlock.imports`` of a
network that ends in CTCLoss."""
import contextlib
import io
import json
import os

import numpy as np
import pytest

import minigluon as mg
from minigluon import autograd, nd
from minigluon import symbol as sym
from minigluon.block import SymbolBlock
from minigluon.loss import CTCLoss
from minigluon.name import NameManager
from minigluon.test_utils import assert_almost_equal

with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'ctc',
                       'ctc_block_members.json')) as _f:
    MX = json.load(_f)
PRED = np.array(MX['pred'], np.float32)
LABEL = np.array(MX['label'], np.float32)


def _fresh():
    with NameManager():
        return CTCLoss()


def test_name_prefix_params_repr():
    block = _fresh()
    assert block.name == MX['name'] and block.prefix == MX['prefix']
    assert repr(block) == MX['repr']
    assert repr(block.params) == MX['params_repr']
    assert len(list(block.collect_params().keys())) == MX['num_params'] == 0
    named = CTCLoss(prefix='ocr_')
    assert [named.name, named.prefix] == MX['custom_prefix']


def test_forward_and_hybrid_forward():
    block = _fresh()
    out = block.forward(nd.array(PRED), nd.array(LABEL))
    assert out.shape == (2,)
    assert_almost_equal(out, np.array(MX['loss'], np.float32), rtol=1e-5)
    direct = block.hybrid_forward(nd, nd.array(PRED), nd.array(LABEL))
    assert_almost_equal(direct, out, rtol=1e-6)
    graph = block.hybrid_forward(sym, sym.var('pred'), sym.var('label'))
    assert 'CTCLoss' in [n['op'] for n in json.loads(graph.tojson())['nodes']]


def test_hybridize_and_initialize_cast_apply():
    block = _fresh()
    assert block.initialize() is None              # nothing to initialise, no error
    seen = []
    assert block.apply(lambda b: seen.append(b.name)) is block and seen == [MX['name']]
    block.hybridize()
    assert_almost_equal(block(nd.array(PRED), nd.array(LABEL)), np.array(MX['loss']), rtol=1e-5)
    block.cast('float64')
    out = block(nd.array(PRED, dtype='float64'), nd.array(LABEL, dtype='float64'))
    assert out.dtype == np.float64
    assert_almost_equal(out, np.array(MX['loss']), rtol=1e-5)


def test_infer_shape_and_infer_type():
    block = _fresh()
    # no parameters: both complete silently (None, as MXNet), creating nothing and changing nothing
    assert block.infer_shape(nd.array(PRED), nd.array(LABEL)) is None
    assert block.infer_type(nd.array(PRED, dtype='float64'), nd.array(LABEL)) is None
    assert len(list(block.collect_params().keys())) == 0
    out = block(nd.array(PRED), nd.array(LABEL))
    assert out.dtype == np.float32
    assert_almost_equal(out, np.array(MX['loss'], np.float32), rtol=1e-5)


def test_summary_matches_mxnet():
    block = _fresh()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        block.summary(nd.array(PRED), nd.array(LABEL))
    assert buf.getvalue() == MX['summary']


def test_save_and_load_parameters_and_deprecated_forms(tmp_path):
    block = _fresh()
    path = str(tmp_path / 'ctc.params')
    block.save_parameters(path)
    with open(path, 'rb') as f:
        assert f.read().hex() == MX['save_parameters_hex']     # MXNet's empty-dict file
    block.load_parameters(path)
    with pytest.warns(UserWarning, match='save_params is deprecated'):      # as MXNet warns
        block.save_params(str(tmp_path / 'old.params'))
    with pytest.warns(UserWarning, match='load_params is deprecated'):
        block.load_params(str(tmp_path / 'old.params'))
    assert_almost_equal(block(nd.array(PRED), nd.array(LABEL)), np.array(MX['loss']), rtol=1e-5)


def test_name_scope_and_register_child():
    block = _fresh()
    with block.name_scope():
        child = mg.nn.Dense(2)
    assert child.name == MX['child_name']
    block.register_child(child)
    assert list(block._children.keys()) == MX['children']
    assert repr(block) == MX['repr_with_child']
    assert 'ctcloss0_dense0_weight' in block.collect_params().keys()


def test_forward_hooks_see_inputs_and_output():
    block = _fresh()
    calls = []
    pre = block.register_forward_pre_hook(lambda b, args: calls.append(('pre', len(args))))
    post = block.register_forward_hook(lambda b, args, out: calls.append(('post', out.shape)))
    block(nd.array(PRED), nd.array(LABEL))
    assert calls == [('pre', 2), ('post', (2,))]
    pre.detach()
    post.detach()
    block(nd.array(PRED), nd.array(LABEL))
    assert len(calls) == 2


def test_export_matches_mxnet_and_imports_give_the_same_loss(tmp_path):
    with NameManager():
        block = CTCLoss()
        block.hybridize()
        block(nd.array(PRED), nd.array(LABEL))
        block.export(str(tmp_path / 'ctc'))
    graph = json.loads((tmp_path / 'ctc-symbol.json').read_text())
    assert [n['op'] for n in graph['nodes']] == MX['export_ops']
    assert graph['heads'] == MX['export_heads']
    assert (tmp_path / 'ctc-0000.params').read_bytes().hex() == MX['export_params_hex']
    net = SymbolBlock.imports(str(tmp_path / 'ctc-symbol.json'), ['data0', 'data1'],
                              str(tmp_path / 'ctc-0000.params'))
    assert_almost_equal(net(nd.array(PRED), nd.array(LABEL)), np.array(MX['imports_loss']), rtol=1e-5)


class _OCRHead(mg.block.HybridBlock):
    """A tiny network that ends in CTCLoss: Dense over the features of each frame, then the loss."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = mg.nn.Dense(4, flatten=False)
            self.loss = CTCLoss()

    def hybrid_forward(self, F, x, label):
        return self.loss(self.dense(x), label)


def test_network_ending_in_ctcloss_exports_and_imports_with_gradients(tmp_path):
    net = _OCRHead()
    net.initialize(mg.initializer.Xavier())
    net.hybridize()
    x = nd.array(np.random.RandomState(1).randn(2, 5, 3))
    label = nd.array([[0, 1], [2, -1]])
    want = net(x, label)
    net.export(str(tmp_path / 'ocr'), epoch=3)
    imported = SymbolBlock.imports(str(tmp_path / 'ocr-symbol.json'), ['data0', 'data1'],
                                   str(tmp_path / 'ocr-0003.params'), ctx=x.context)
    got = imported(x, label)
    assert_almost_equal(got, want, rtol=1e-6)
    grads = []
    for block in (net, imported):
        params = [p for name, p in sorted(block.collect_params().items()) if name.endswith('weight')]
        with autograd.record():
            loss = block(x, label)
        loss.backward()
        grads.append(params[0].grad().asnumpy())
    assert_almost_equal(grads[1], grads[0], rtol=1e-5, atol=1e-7)


def test_sym_ctcloss_has_one_visible_output_and_runs():
    from minigluon.executor import CachedOp
    data, label = sym.var('data'), sym.var('label')
    out = sym.CTCLoss(data, label, blank_label='last', name='ctc')
    assert out.list_arguments() == ['data', 'label'] and len(out.list_outputs()) == 1
    arg_shapes, out_shapes, _ = out.infer_shape(data=(4, 2, 4), label=(2, 3))
    assert out_shapes == [(2,)]
    for alias in ('ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss'):
        assert len(getattr(sym, alias)(data, label).list_outputs()) == 1
    loss, = CachedOp(out)(nd.array(PRED.transpose(1, 0, 2)), nd.array(LABEL))
    assert_almost_equal(loss, np.array(MX['loss']), rtol=1e-5)


@pytest.mark.parametrize('member', [
    'apply', 'cast', 'collect_params', 'export', 'forward', 'hybrid_forward', 'hybridize',
    'infer_shape', 'infer_type', 'initialize', 'load_parameters', 'load_params', 'name_scope',
    'register_child', 'register_forward_hook', 'register_forward_pre_hook', 'save_parameters',
    'save_params', 'summary', 'name', 'params', 'prefix'])
def test_every_seed_page_member_exists(member):
    assert hasattr(CTCLoss(), member)
