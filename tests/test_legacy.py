"""Ten MXNet 1.x Gluon programs (tests/legacy/p*.py) run unchanged on minigluon and print MXNet's numbers.

The expected output was recorded by tools/gen_legacy_fixtures.py, which runs the same files under
MXNet 1.9.1 with the import line switched to ``import mxnet as mx``.
"""
import glob
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'legacy')
FIX = os.path.join(HERE, 'fixtures', 'legacy')
ROOT = os.path.dirname(HERE)
PROGRAMS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(SRC, 'p*.py')))
NUMBER = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?')


def _split(text):
    """Separate a program's output into its non-numeric skeleton and its numbers."""
    return NUMBER.sub('#', text), [float(n) for n in NUMBER.findall(text)]


def test_every_program_has_a_fixture():
    assert len(PROGRAMS) == 10
    for name in PROGRAMS:
        assert os.path.exists(os.path.join(FIX, name + '.out')), name


@pytest.mark.parametrize('name', PROGRAMS)
def test_program_prints_mxnet_numbers(name):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, SRC]), PYTHONWARNINGS='ignore')
    res = subprocess.run([sys.executable, os.path.join(SRC, name + '.py')], cwd=SRC, env=env,
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
