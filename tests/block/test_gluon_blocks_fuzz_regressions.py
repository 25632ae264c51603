"""Regressions found by fuzzing the Gluon Block / Parameter API against MXNet 1.9.1
(``tools/fuzz_gluon_blocks.py``). Each program of
``tests/fixtures/gluon_blocks_fuzz/programs.json`` is replayed statement by statement and the
outcomes MXNet 1.9.1 gave (``expected.npz``, from ``tools/gen_gluon_blocks_fuzz_fixtures.py``)
are compared: whether each statement raised, then the named values (arrays, or the ``repr`` of
names, key lists and printed text). MXNet is never imported here."""
import json
import os

import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd

DIR = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'gluon_blocks_fuzz')
with open(os.path.join(DIR, 'programs.json')) as _f:
    PROGRAMS = json.load(_f)['programs']
EXPECTED = np.load(os.path.join(DIR, 'expected.npz'))


def _replay(lines, filedir):
    """Run ``lines`` one by one in one namespace; return (raised flags, namespace)."""
    env = {'mx': mx, 'nd': nd, 'gluon': gluon, 'nn': gluon.nn, 'autograd': autograd, 'np': np,
           'FILEDIR': str(filedir)}
    raised = []
    for line in lines:
        try:
            exec(line, env)
            raised.append(0)
        except Exception:  # noqa: BLE001 -- the outcome compared is whether it raised
            raised.append(1)
    return np.array(raised, dtype=np.int8), env


@pytest.mark.parametrize('name', sorted(PROGRAMS))
def test_program_matches_mxnet(name, tmp_path):
    prog = PROGRAMS[name]
    raised, env = _replay(prog['lines'], tmp_path)
    np.testing.assert_array_equal(raised, EXPECTED[name + '/raised'],
                                  err_msg='which statements raise (%s)' % name)
    for key in prog['check']:
        want = EXPECTED['%s/%s' % (name, key)]
        got = env[key]
        if want.dtype.kind == 'U':
            assert repr(got) == str(want), key
        else:
            got = got.asnumpy()
            assert got.shape == want.shape and got.dtype == want.dtype, key
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=key)


def test_static_shape_without_static_alloc_names_both_flags():
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize(static_shape=True)
    with pytest.raises(mx.base.MXNetError, match='static_alloc.*static_shape'):
        net(nd.ones((1, 3)))
