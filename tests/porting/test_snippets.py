"""Small MXNet 1.x Gluon snippets (tests/porting/snippets/s*.py) run unchanged on minigluon and print
what MXNet 1.9.1 printed.

Each snippet covers porting ground the ten programs of tests/legacy/ do not: NDArray indexing and
in-place updates, ``autograd.grad``, seeded sampling, ``gluon.data`` transforms, ``lr_mult``/``wd_mult``,
``LSTMCell.unroll``, ``SequenceMask``, ``F.pick``/``F.where``, ``cast``, composite metrics, model-zoo
partial loading, ``Group``/``get_internals``, ``nd.save`` of lists and dicts, feature extraction with
``SymbolBlock``, ``grad_req='add'`` and NumPy conversions. The expected output was recorded by
tools/gen_porting_fixtures.py, which runs the same files under MXNet with the import switched.
"""
import glob
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'snippets')
FIX = os.path.join(HERE, '..', 'fixtures', 'porting')
ROOT = os.path.dirname(os.path.dirname(HERE))
SNIPPETS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(SRC, 's*.py')))
NUMBER = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?')


def _split(text):
    """Separate a snippet's output into its non-numeric skeleton and its numbers."""
    return NUMBER.sub('#', text), [float(n) for n in NUMBER.findall(text)]


def test_every_snippet_has_a_fixture():
    assert len(SNIPPETS) >= 10
    for name in SNIPPETS:
        assert os.path.exists(os.path.join(FIX, name + '.out')), name


@pytest.mark.parametrize('name', SNIPPETS)
def test_snippet_prints_mxnet_output(name, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, PYTHONWARNINGS='ignore')
    res = subprocess.run([sys.executable, os.path.join(SRC, name + '.py')], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    expected = open(os.path.join(FIX, name + '.out')).read()
    got_skel, got_nums = _split(res.stdout)
    exp_skel, exp_nums = _split(expected)
    assert got_skel == exp_skel, '\n--- minigluon ---\n%s\n--- MXNet ---\n%s' % (res.stdout, expected)
    assert len(got_nums) == len(exp_nums)
    for i, (g, e) in enumerate(zip(got_nums, exp_nums)):
        assert abs(g - e) <= 1e-5 + 1e-4 * abs(e), 'number %d: minigluon %r, MXNet %r\n%s' % (
            i, g, e, res.stdout)
