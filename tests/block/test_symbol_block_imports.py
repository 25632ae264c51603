"""SymbolBlock.imports of legacy files: JSON variants x .params V0-V3, unknown operators, and an
imported block summarised (MXNet 1.9.1 text from tools/gen_audit_fixtures.py) after training."""
import contextlib
import io
import json
import os
import struct

import numpy as np
import pytest

from minigluon import autograd, current_context, nd, serialization
from minigluon.base import MXNetError
from minigluon.block import SymbolBlock
from minigluon.test_utils import assert_almost_equal

HERE = os.path.dirname(__file__)
SYM = os.path.join(HERE, '..', 'fixtures', 'symbol')
with open(os.path.join(HERE, '..', 'fixtures', 'block', 'audit.json')) as _f:
    MXNET = json.load(_f)
# every legacy spelling of MXNet's dense export (tests/fixtures/symbol/dense-symbol.json)
DENSE_VARIANTS = ['dense-symbol.json', 'legacy_param.json', 'legacy_attr.json', 'legacy_no_attrs.json',
                  'legacy_no_row_ptr.json', 'legacy_two_element.json', 'legacy_hidden_plain.json',
                  'legacy_hidden_dunder.json']


def _array_bytes(version, arr):
    """One array in the given ``.params`` layout (docs/MXNET_SPEC.md section 4.1), written by hand."""
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    ctx_type = struct.pack('<iii', 1, 0, 0)                  # cpu(0), float32
    if version == 0:                                         # u32 ndim, u32 dims, no magic
        head = struct.pack('<I', arr.ndim) + struct.pack('<%dI' % arr.ndim, *arr.shape)
    else:
        shape = struct.pack('<i', arr.ndim) + struct.pack('<%dq' % arr.ndim, *arr.shape)
        magic = struct.pack('<I', {1: 0xF993FAC8, 2: 0xF993FAC9, 3: 0xF993FACA}[version])
        head = magic + (shape if version == 1 else struct.pack('<i', 0) + shape)
    return head + ctx_type + arr.tobytes()


def _params_file(path, version, arrays):
    blob = struct.pack('<QQQ', 0x112, 0, len(arrays))
    blob += b''.join(_array_bytes(version, a) for a in arrays.values())
    blob += struct.pack('<Q', len(arrays))
    for name in arrays:
        raw = name.encode('utf-8')
        blob += struct.pack('<Q', len(raw)) + raw
    with open(path, 'wb') as f:
        f.write(blob)


@pytest.mark.parametrize('version', [0, 1, 2, 3])
@pytest.mark.parametrize('json_name', DENSE_VARIANTS)
def test_legacy_json_and_params_versions_give_mxnet_output(tmp_path, json_name, version):
    arrays = {k: v.asnumpy() for k, v in serialization.load(os.path.join(SYM, 'dense-0007.params')).items()}
    params = str(tmp_path / ('v%d.params' % version))
    _params_file(params, version, arrays)
    net = SymbolBlock.imports(os.path.join(SYM, json_name), 'data', params, ctx=current_context())
    io_ = np.load(os.path.join(SYM, 'dense_io.npz'))
    assert_almost_equal(net(nd.array(io_['x'])), io_['y'], rtol=1e-5, atol=1e-6)


def test_unknown_operator_names_it_and_close_names(tmp_path):
    graph = json.load(open(os.path.join(SYM, 'dense-symbol.json')))
    graph['nodes'][3]['op'] = 'FullyConected'
    bad = tmp_path / 'bad-symbol.json'
    bad.write_text(json.dumps(graph))
    with pytest.raises(MXNetError, match=r"unknown operator 'FullyConected'.*FullyConnected") as info:
        SymbolBlock.imports(str(bad), 'data')
    assert str(bad) in str(info.value)


def _summary(net, x):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        net.summary(x)
    return buf.getvalue()


def test_imported_block_summary_matches_mxnet_before_and_after_training(tmp_path):
    net = SymbolBlock.imports(os.path.join(SYM, 'convbn-symbol.json'), 'data',
                              os.path.join(SYM, 'convbn-0000.params'), ctx=current_context())
    x = nd.array(np.load(os.path.join(SYM, 'convbn_io.npz'))['x'])
    assert _summary(net, x) == MXNET['symbolblock_summary']
    from minigluon.trainer import Trainer
    trainer = Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    before = net(x).asnumpy()
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    trainer.step(2)
    assert not np.allclose(net(x).asnumpy(), before)
    assert _summary(net, x) == MXNET['symbolblock_summary']      # same shapes and counts
    net.hybridize()
    net(x)
    sym_file, params_file = net.export(str(tmp_path / 'again'))
    back = SymbolBlock.imports(sym_file, 'data', params_file, ctx=current_context())
    assert _summary(back, x) == MXNET['symbolblock_summary']
    assert_almost_equal(back(x), net(x))


def test_an_input_name_the_graph_lacks_names_the_real_inputs(tmp_path):
    """MXNet 1.9.1 goes on and reports 'data' as a Parameter missing from the file; here the
    error names the wrong input and the graph's variables that have no saved value."""
    from minigluon import gluon, nd
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3))
    net.initialize()
    net.hybridize()
    net(nd.ones((2, 4)))
    prefix = str(tmp_path / 'e')
    net.export(prefix)
    with pytest.raises(ValueError, match=r"input_names \['input'\] .* are \['data'\]"):
        gluon.SymbolBlock.imports(prefix + '-symbol.json', ['input'], prefix + '-0000.params')
    # an input the graph does not read is fine when nothing is left without a value
    block = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data', 'unused'],
                                      prefix + '-0000.params', ctx=current_context())
    with pytest.warns(UserWarning, match='not used by any computation'):
        assert block(nd.ones((2, 4)), nd.ones((1,))).shape == (2, 3)
    block = gluon.SymbolBlock.imports(prefix + '-symbol.json', ['data'], prefix + '-0000.params',
                                      ctx=current_context())
    assert block(nd.ones((2, 4))).shape == (2, 3)
