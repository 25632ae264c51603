"""Sixty-two MXNet 1.x Gluon programs (tests/legacy/p*.py) run unchanged on minigluon and print MXNet's numbers.

The expected output was recorded by tools/gen_legacy_fixtures.py, which runs the same files under
MXNet 1.9.1 with the import line switched to ``import mxnet as mx``.
"""
import glob
import os

import pytest

from _program_output import assert_prints_like_mxnet

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'legacy')
FIX = os.path.join(HERE, 'fixtures', 'legacy')
PROGRAMS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(SRC, 'p*.py')))


def test_every_program_has_a_fixture():
    assert len(PROGRAMS) == 62
    for name in PROGRAMS:
        assert os.path.exists(os.path.join(FIX, name + '.out')), name


@pytest.mark.parametrize('name', PROGRAMS)
def test_program_prints_mxnet_numbers(name):
    assert_prints_like_mxnet(os.path.join(SRC, name + '.py'), os.path.join(FIX, name + '.out'),
                             cwd=SRC, extra_path=[SRC])
