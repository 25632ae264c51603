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
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _program_output import assert_prints_like_mxnet  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, 'snippets')
FIX = os.path.join(HERE, '..', 'fixtures', 'porting')
SNIPPETS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(SRC, 's*.py')))


def test_every_snippet_has_a_fixture():
    assert len(SNIPPETS) >= 10
    for name in SNIPPETS:
        assert os.path.exists(os.path.join(FIX, name + '.out')), name


@pytest.mark.parametrize('name', SNIPPETS)
def test_snippet_prints_mxnet_output(name, tmp_path):
    assert_prints_like_mxnet(os.path.join(SRC, name + '.py'), os.path.join(FIX, name + '.out'),
                             cwd=tmp_path)
