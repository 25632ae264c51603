"""Regressions found running GluonCV 0.10.5's unchanged model zoo on minigluon through
``python -m minigluon.compat`` (tools/check_gluoncv.py). These tests use no GluonCV: each one
is the pattern GluonCV's code relies on, written small."""
import subprocess
import sys
import textwrap

import pytest


def _run_under_alias(code):
    """Run ``code`` in a fresh interpreter after install_mxnet_alias(); its stdout, split."""
    prog = 'import minigluon.compat\nminigluon.compat.install_mxnet_alias()\n' + textwrap.dedent(code)
    out = subprocess.run([sys.executable, '-c', prog], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_mxnet_version_under_the_alias_passes_a_library_version_gate():
    # gluoncv/__init__.py refuses to import unless 1.4.0 <= mxnet.__version__ < 2.0.0 (it compares
    # with distutils' LooseVersion, i.e. number by number); under the alias it was minigluon's
    # 0.1.0, so `import gluoncv` failed ("Legacy mxnet==0.1.0 detected").
    got = _run_under_alias('''
        import mxnet
        v = tuple(int(p) for p in mxnet.__version__.split('.'))
        print(mxnet.__version__, (1, 4, 0) <= v < (2, 0, 0))
    ''')
    assert got == ['1.9.1', 'True']


def test_minigluon_keeps_its_own_version_without_the_alias():
    import importlib.metadata
    out = subprocess.run([sys.executable, '-c', 'import minigluon; print(minigluon.__version__)'],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == importlib.metadata.version('minigluon') != '1.9.1'


def test_dataloader_private_multiworker_iterator_can_be_imported_and_subclassed():
    # gluoncv/data/dataloader.py, imported by `import gluoncv`, does
    # `from mxnet.gluon.data.dataloader import DataLoader, _MultiWorkerIter` and subclasses it at
    # module level: the import failed (ImportError), so gluoncv did not import at all.
    from minigluon.gluon.data.dataloader import DataLoader, _MultiWorkerIter

    class Sub(_MultiWorkerIter):
        pass

    assert DataLoader is not None
    # minigluon's DataLoader has no such iterator: using one says what to use instead
    with pytest.raises(NotImplementedError, match='DataLoader'):
        Sub(None, None, None)


def test_dataloader_private_iterator_under_the_alias():
    got = _run_under_alias('''
        from mxnet.gluon.data.dataloader import DataLoader, _MultiWorkerIter
        print(_MultiWorkerIter.__name__, DataLoader.__name__)
    ''')
    assert got == ['_MultiWorkerIter', 'DataLoader']
