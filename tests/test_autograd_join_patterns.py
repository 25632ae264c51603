"""Training-loop patterns around plain arrays that join the autograd graph (read by a recorded
operator; see ``minigluon.autograd.Node``), against MXNet 1.9.1.

The programs of ``tests/fixtures/autograd_join/programs.json`` are replayed statement by
statement; whether each statement raised MXNetError and the final values must be what MXNet
1.9.1 gave (``expected.json``, from ``tools/gen_autograd_join_fixtures.py``). MXNet is never
imported here."""
import gc
import json
import os
import weakref

import numpy as np
import pytest

from _autograd_replay import replay
from minigluon import autograd, nd

DIR = os.path.join(os.path.dirname(__file__), 'fixtures', 'autograd_join')
with open(os.path.join(DIR, 'programs.json')) as _f:
    PROGRAMS = json.load(_f)
with open(os.path.join(DIR, 'expected.json')) as _f:
    EXPECTED = json.load(_f)['expected']


@pytest.mark.parametrize('name', sorted(PROGRAMS))
def test_program_as_mxnet(name):
    prog, want = PROGRAMS[name], EXPECTED[name]
    raised, env = replay(prog['lines'])
    values = [eval(c, env).asnumpy() for c in prog['check']]
    assert raised == want['raised'], [(r, w, line) for r, w, line in
                                      zip(raised, want['raised'], prog['lines']) if r != w]
    for expr, got, exp in zip(prog['check'], values, want['values']):
        np.testing.assert_allclose(got, np.array(exp), rtol=1e-5, atol=1e-6, err_msg=expr)


def test_chain_of_joined_arrays_keeps_no_memory():
    # m = m * 0.9 + x under record with plain arrays only: each m joins the graph, and remembers
    # its sources only weakly, so the earlier ones are freed.
    x = nd.ones((4,))
    v = nd.ones((4,))
    v.attach_grad()
    with autograd.record():
        _ = x * v                 # x joins (a graph dropped without backward)
    first = None
    m = nd.zeros((4,))
    with autograd.record():
        for i in range(50):
            m = m * 0.9 + x
            if i == 0:
                first = weakref.ref(m)
    gc.collect()
    assert first() is None
    with autograd.record():
        l = (m * v).sum()
    l.backward()                  # frees m and, through it, x
    assert not x._joined and not m._joined
    with autograd.record():
        x[:] = 2                  # allowed again, as in MXNet


def test_joined_sources_released_through_a_long_chain():
    v = nd.ones((2,))
    v.attach_grad()
    t = nd.array([0.5, 0.5])
    with autograd.record():
        o = v * 1
        m = o > t                  # t joins
        for _ in range(3000):      # released without recursion
            m = m * 1
        l = (o * m).sum()
    l.backward()
    with autograd.record():
        t[:] = 0
    np.testing.assert_allclose(v.grad.asnumpy(), [1, 1])
