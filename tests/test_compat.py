"""``import minigluon as mx`` mirrors MXNet 1.x's layout; ``install_mxnet_alias`` makes ``import mxnet`` work."""
import subprocess
import sys
import textwrap

import minigluon as mx


def test_top_level_layout_matches_mxnet():
    for name in ['nd', 'ndarray', 'sym', 'symbol', 'autograd', 'gluon', 'init', 'initializer', 'optimizer',
                 'lr_scheduler', 'metric', 'random', 'context', 'name', 'attribute', 'base', 'test_utils',
                 'util', 'io', 'cpu', 'gpu', 'current_context', 'num_gpus', 'Context', '__version__']:
        assert hasattr(mx, name), name
    for name in ['Block', 'HybridBlock', 'SymbolBlock', 'Parameter', 'ParameterDict', 'Constant', 'Trainer',
                 'nn', 'rnn', 'loss', 'data', 'utils', 'contrib', 'model_zoo']:
        assert hasattr(mx.gluon, name), name
    assert hasattr(mx.gluon.contrib, 'nn') and hasattr(mx.gluon.model_zoo, 'vision')
    assert issubclass(mx.base.MXNetError, RuntimeError)
    assert mx.util.is_np_array() is False
    assert mx.nd.random.uniform(shape=(2,)).shape == (2,)
    assert mx.name.NameManager and mx.name.Prefix and mx.attribute.AttrScope


def test_submodule_imports_work():
    from minigluon.gluon import nn, rnn, loss  # noqa: F401
    import minigluon.gluon.nn as nn2
    assert nn2.Dense is nn.Dense


def test_install_mxnet_alias_in_a_fresh_interpreter():
    code = textwrap.dedent('''
        import minigluon.compat
        minigluon.compat.install_mxnet_alias()
        import mxnet as mx
        from mxnet.gluon import nn
        import mxnet.gluon.loss
        from mxnet import autograd, nd
        net = nn.Dense(2, in_units=3)
        net.initialize()
        x = nd.ones((1, 3))
        with autograd.record():
            y = net(x)
        y.backward()
        print(type(mx).__name__, mx.__name__, net.weight.grad().shape, mxnet.gluon.loss.CTCLoss.__name__)
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['module', 'minigluon', '(2,', '3)', 'CTCLoss']


def test_install_mxnet_alias_refuses_to_shadow_a_real_mxnet():
    code = textwrap.dedent('''
        import sys, types
        sys.modules['mxnet'] = types.ModuleType('mxnet')
        import minigluon.compat
        try:
            minigluon.compat.install_mxnet_alias()
        except ImportError as err:
            print('refused', 'already imported' in str(err))
    ''')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ['refused', 'True'], out.stderr


def test_python_m_minigluon_compat_runs_an_unedited_script(tmp_path):
    # README: install_mxnet_alias is "for scripts you cannot edit"; `python -m minigluon.compat
    # script.py args` runs one as `python script.py args` would: __main__, its argv, its folder
    # on sys.path (a sibling module imports), `import mxnet` resolving to minigluon.
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    (tmp_path / 'sibling.py').write_text('SCALE = 3\n')
    (tmp_path / 'old_script.py').write_text(textwrap.dedent('''
        import sys
        import mxnet as mx
        from mxnet.gluon import nn
        from sibling import SCALE
        if __name__ == '__main__':
            print(mx.__name__, nn.Dense.__module__.split('.')[0], sys.argv[1:],
                  (mx.nd.ones(2) * SCALE).asnumpy().tolist())
            raise SystemExit(int(sys.argv[1]))
    '''))
    env = dict(os.environ, PYTHONPATH=root)
    run = [sys.executable, '-m', 'minigluon.compat']
    work = tmp_path / 'elsewhere'
    work.mkdir()
    out = subprocess.run(run + [str(tmp_path / 'old_script.py'), '3', '--flag'], cwd=work, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stderr          # the script's own exit status
    assert out.stdout.split() == ['minigluon', 'minigluon', "['3',", "'--flag']", '[3.0,', '3.0]']
    out = subprocess.run(run + ['--help'], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith('usage: python -m minigluon.compat SCRIPT.py')
    out = subprocess.run(run, cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and 'usage:' in out.stderr
    out = subprocess.run(run + ['missing.py'], cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "'missing.py' is not a file" in out.stderr
