"""The README's code must run as written, and its two commands must be what CI runs."""
import os
import re
import textwrap
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, 'README.md')).read()


def test_tour_snippet_runs_and_reloads(tmp_path):
    code = re.search(r'## A tour, the Gluon way\n\n```python\n(.*?)```', README, re.S).group(1)
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert 'reloaded export gives the same output: True' in out.stdout
    loss = float(re.search(r'loss after 20 steps: ([0-9.]+)', out.stdout).group(1))
    assert loss < 2.3            # below chance level (ln 10): it learned something
    assert os.listdir(tmp_path) == []      # the snippet writes into a temporary folder only


def test_ctc_snippet_fits_the_labels_and_decodes_them(tmp_path):
    code = re.search(r'### CTC, the centrepiece\n.*?```python\n(.*?)```', README, re.S).group(1)
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    losses = [float(v) for v in re.search(r'CTC loss per sequence: \[(.*?)\]', out.stdout).group(1).split()]
    assert len(losses) == 2 and max(losses) < 1.0     # -log p(label) after fitting: p above 1/e
    assert 'greedy: [[0, 1, 1, 3], [2, 2]]' in out.stdout          # the labels without their padding
    assert 'beam search: [[0, 1, 1, 3], [2, 2]]' in out.stdout


def test_porting_snippet_imports_the_mxnet_names(tmp_path):
    code = re.search(r'## Porting MXNet 1.x Gluon code\n.*?```python\n(.*?)```', README, re.S).group(1)
    check = code + textwrap.dedent('''
        print(mx.nd is nd, nn.Dense is gluon.nn.Dense, rnn.LSTM is gluon.rnn.LSTM,
              autograd.record is mx.autograd.record)
    ''')
    out = subprocess.run([sys.executable, '-c', check], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['True'] * 4


def test_every_code_block_of_the_readme_is_run_by_a_test():
    # the tests above find each block by the heading it follows; a block added elsewhere (or a
    # heading renamed) must come with its test
    python = re.findall(r'```python\n', README)
    tested = [r'## A tour, the Gluon way\n\n```python\n', r'### CTC, the centrepiece\n.*?```python\n',
              r'## Porting MXNet 1.x Gluon code\n.*?```python\n']
    assert len(python) == len(tested), 'a README python block without a test that runs it'
    starts = sorted(re.search(t, README, re.S).end() for t in tested)
    assert starts == [m.end() for m in re.finditer(r'```python\n', README)]
    assert len(re.findall(r'```bash\n', README)) == 2             # the two commands, below
    assert '```' not in open(os.path.join(ROOT, 'docs', 'PORTING.md')).read(), \
        'docs/PORTING.md has a code block now: add a test that runs it'


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r'```bash\n(.*?)\n```', README, re.S)
    example, tests = blocks[0].strip(), blocks[1].strip()
    assert 'examples/captcha_ocr.py' in example and 'pip install' in example
    assert 'pytest' in tests and '.[test]' in tests
    ci = open(os.path.join(ROOT, '.ci', 'run')).read()
    assert tests in ci


def test_tour_file_keys_are_mxnets(tmp_path):
    """README tour: save_parameters keys are 'hidden.weight'..., export keys 'arg:'/'aux:'."""
    import minigluon as mx
    from minigluon import gluon, nd
    from minigluon.gluon import nn

    class Net(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.hidden = nn.Dense(4, activation='relu')
                self.out = nn.Dense(2)

        def hybrid_forward(self, F, x):
            return self.out(self.hidden(x))

    net = Net()
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 3)))
    net.save_parameters(str(tmp_path / 'net.params'))
    assert sorted(nd.load(str(tmp_path / 'net.params'))) == [
        'hidden.bias', 'hidden.weight', 'out.bias', 'out.weight']
    net.export(str(tmp_path / 'net'))
    assert sorted(os.listdir(tmp_path)) == ['net-0000.params', 'net-symbol.json', 'net.params']
    keys = nd.load(str(tmp_path / 'net-0000.params'))
    assert keys and all(k.startswith(('arg:', 'aux:')) for k in keys)
    assert isinstance(mx.sym.load(str(tmp_path / 'net-symbol.json')), mx.sym.Symbol)


def test_out_of_scope_paragraph(tmp_path, monkeypatch):
    """README 'Out of scope': what raises and what works although MXNet rejects it."""
    import numpy as np
    import pytest
    import minigluon as mx
    from minigluon import autograd, nd

    assert float(nd.array([2.5])) == 2.5 and int(nd.array([3])) == 3
    assert np.array(nd.ones((2,))).tolist() == [1.0, 1.0]
    params = mx.gluon.nn.Dense(2, in_units=2).collect_params()
    with pytest.raises(TypeError, match='has no len'):          # as in MXNet 1.9.1
        len(params)
    assert len(params.keys()) == 2
    monkeypatch.setenv('MXNET_HOME', str(tmp_path))     # an empty cache: nothing to load
    with pytest.raises(Exception, match='pretrained'):
        mx.gluon.model_zoo.vision.resnet18_v1(pretrained=True)
    x = nd.ones(2)
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
        gx, = autograd.grad(y, [x], create_graph=True)      # first-order gradients only
        second = (gx * gx).sum()
    with pytest.raises(mx.base.MXNetError, match='higher-order'):
        second.backward()
    assert not hasattr(nd.ones(1), 'handle') and not hasattr(mx, 'mod')


@pytest.mark.parametrize('path,part', [
    ('mod', 'the Module API'), ('np', 'NumPy mode'), ('nd.sparse', 'sparse storage'),
    ('sym.sparse', 'sparse storage'), ('nd.npx', 'NumPy mode'),
    ('contrib.quantization', 'quantization'), ('contrib.onnx', 'ONNX'),
    ('test_utils.get_mnist', 'downloading'),
    ('test_utils.download_model', 'downloading'),
    ('test_utils.rand_sparse_ndarray', 'sparse storage'), ('model.FeedForward', 'the Module API'),
    ('executor.Executor', 'the Module API'), ('io.LibSVMIter', 'the C++ file iterator'),
    ('gluon.contrib.data.WikiText2', 'downloading'),
    ('gluon.contrib.data.text', 'downloading'), ('rnn.FusedRNNCell', 'the pre-Gluon symbolic mx.rnn API'),
    ('rnn.save_rnn_checkpoint', 'the pre-Gluon symbolic mx.rnn API')])
def test_out_of_scope_parts_say_so_and_where_the_scope_is_written(path, part):
    # README: "These raise an error that says so"; the list is docs/PORTING.md's "Out of scope"
    import minigluon as mx
    *parents, name = path.split('.')
    owner = mx
    for p in parents:
        owner = getattr(owner, p)
    with pytest.raises(AttributeError, match=r"has no attribute '%s': %s.* is out of scope in "
                                             r"minigluon \(docs/PORTING.md, 'Out of scope'\); "
                       % (name, re.escape(part))):
        getattr(owner, name)
    assert not hasattr(owner, name)
    assert "Out of scope" in open(os.path.join(ROOT, 'docs', 'PORTING.md')).read()


_OUT_OF_SCOPE_IMPORTS = [
    ('from {pkg} import np, npx', 'np', 'NumPy mode'), ('import {pkg}.mod', 'mod', 'the Module API'),
    ('from {pkg}.contrib import onnx as onnx_mxnet', 'contrib.onnx', 'ONNX'),
    ('import {pkg}.contrib.onnx', 'contrib.onnx', 'ONNX'),
    ('from {pkg}.ndarray import sparse', 'ndarray.sparse', 'sparse storage'),
    ('from {pkg}.contrib import quantization', 'contrib.quantization', 'quantization')]


def _out_of_scope_import_pattern(pkg, module, part):
    return (r"^No module named '%s\.%s': %s.* is out of scope in minigluon \(docs/PORTING.md, 'Out "
            r"of scope'\); " % (pkg, re.escape(module), re.escape(part)))


@pytest.mark.parametrize('statement,module,part', _OUT_OF_SCOPE_IMPORTS)
def test_importing_an_out_of_scope_part_says_so(statement, module, part):
    # Python's import statements turn a module __getattr__'s message into a bare "cannot import
    # name"; the out-of-scope finder (base._OutOfScopeImports) keeps it
    with pytest.raises(ModuleNotFoundError, match=_out_of_scope_import_pattern('minigluon', module, part)):
        exec(statement.format(pkg='minigluon'), {})
    # an unknown name keeps Python's own error; a real submodule still imports
    with pytest.raises(ImportError, match=r"^cannot import name 'nosuch' from 'minigluon'"):
        exec('from minigluon import nosuch', {})
    exec('from minigluon.contrib import autograd', {})


@pytest.mark.parametrize('statement,module,part', _OUT_OF_SCOPE_IMPORTS)
def test_looking_for_an_out_of_scope_part_finds_nothing(statement, module, part):
    # code testing for a feature asks importlib.util.find_spec: the answer for a module that is
    # not there is None, not the import's error
    import importlib.util
    assert importlib.util.find_spec('minigluon.' + module) is None


def test_importing_an_out_of_scope_part_under_the_mxnet_alias_says_so():
    # the same statements in an unedited MXNet script (minigluon.compat's alias, its own process)
    import subprocess
    import sys
    code = textwrap.dedent('''
        import minigluon.compat
        minigluon.compat.install_mxnet_alias()
        for statement in %r:
            try:
                exec(statement, {})
                print('imported')
            except ModuleNotFoundError as err:
                print(err)
    ''') % ([statement.format(pkg='mxnet') for statement, _, _ in _OUT_OF_SCOPE_IMPORTS],)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(_OUT_OF_SCOPE_IMPORTS)
    for line, (statement, module, part) in zip(lines, _OUT_OF_SCOPE_IMPORTS):
        # 'from mxnet... import x' reports the package by its own name, minigluon...
        pkg = 'minigluon' if statement.startswith('from ') else 'mxnet'
        assert re.match(_out_of_scope_import_pattern(pkg, module, part), line), (statement, line)


@pytest.mark.parametrize('name,part', [
    ('bind', 'the Module API'), ('simple_bind', 'the Module API'),
    ('optimize_for', 'backend partitioning'), ('get_backend_symbol', 'backend partitioning')])
def test_out_of_scope_symbol_methods_say_so(name, part):
    # README: "Out of scope: the Module API (mx.mod, bind) ... These raise an error that says so"
    import minigluon as mx
    s = mx.sym.var('a') * 2
    with pytest.raises(AttributeError, match=r"^'Symbol' object has no attribute '%s': %s.* is out "
                                             r"of scope in minigluon \(docs/PORTING.md, 'Out of "
                                             r"scope'\); " % (name, part)):
        getattr(s, name)
    assert not hasattr(s, name)
    with pytest.raises(AttributeError, match=r"^'Symbol' object has no attribute 'bnd'$"):
        s.bnd


def test_out_of_scope_attributes_of_objects_say_so():
    # docs/PORTING.md "Out of scope": C handles (NDArray.handle), Updater.get_states / set_states
    import minigluon as mx
    updater = mx.optimizer.get_updater(mx.optimizer.SGD())
    for owner, name, part in [(mx.nd.ones(1), 'handle', 'C handles'),
                              (updater, 'get_states', 'Updater.get_states and set_states'),
                              (updater, 'set_states', 'Updater.get_states and set_states')]:
        with pytest.raises(AttributeError, match=r"^'%s' object has no attribute '%s': %s.* are out of "
                                                 r"scope in minigluon \(docs/PORTING.md, 'Out of "
                                                 r"scope'\); " % (type(owner).__name__, name, part)):
            getattr(owner, name)
        assert not hasattr(owner, name)
    with pytest.raises(AttributeError, match=r"^'Updater' object has no attribute 'get_state'$"):
        updater.get_state


def test_a_misspelt_name_is_a_plain_attribute_error():
    import minigluon as mx
    with pytest.raises(AttributeError, match=r"^module 'minigluon.ndarray' has no attribute 'Convolutoin'$"):
        mx.nd.Convolutoin
    with pytest.raises(AttributeError, match=r"^module 'minigluon.test_utils' has no attribute 'get_mnst'$"):
        mx.test_utils.get_mnst
    for owner, name in [(mx.io, 'LibSVMIte'), (mx.rnn, 'FusedRNNCel'), (mx.model, 'FeedForwad')]:
        with pytest.raises(AttributeError, match=r"^module '%s' has no attribute '%s'$" % (owner.__name__, name)):
            getattr(owner, name)
