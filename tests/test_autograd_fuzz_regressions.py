"""Regressions found by fuzzing autograd's tape and NDArray mutation against MXNet 1.9.1
(``tools/fuzz_autograd.py``). Each program of ``tests/fixtures/autograd_fuzz/programs.json`` is
replayed statement by statement, and the outcomes MXNet 1.9.1 gave (``expected.npz``, from
``tools/gen_autograd_fuzz_fixtures.py``) are compared: whether each statement raised, and final
values and gradients. MXNet is never imported here."""
import json
import os

import numpy as np
import pytest

from _autograd_replay import replay
from minigluon import autograd, nd
from minigluon.base import MXNetError

DIR = os.path.join(os.path.dirname(__file__), 'fixtures', 'autograd_fuzz')
with open(os.path.join(DIR, 'programs.json')) as _f:
    PROGRAMS = json.load(_f)['programs']
EXPECTED = np.load(os.path.join(DIR, 'expected.npz'))


def _outcome(env, key):
    kind, name = key.split(':')
    if '[' in name:
        base, i = name[:-1].split('[')
        val = env[base][int(i)]
    else:
        val = env[name]
    if kind == 'grad':
        val = val.grad
    return np.asarray(val.asnumpy() if hasattr(val, 'asnumpy') else val)


@pytest.mark.parametrize('name', sorted(PROGRAMS))
def test_program_matches_mxnet(name):
    prog = PROGRAMS[name]
    raised, env = replay(prog['lines'])
    np.testing.assert_array_equal(np.array(raised), EXPECTED[name + '/raised'],
                                  err_msg='which statements raise (%s)' % name)
    for key in prog['check']:
        if key == 'raised':
            continue
        got, want = _outcome(env, key), EXPECTED['%s/%s' % (name, key)]
        assert got.shape == want.shape, key
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=key)


def test_unreachable_variable_error_names_it_and_frees_nothing():
    x = nd.array([1.0, 2.0])
    y = nd.array([3.0, 4.0])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = x * x
    with pytest.raises(MXNetError, match=r'variables\[1\] is unreachable'):
        autograd.grad([z], [x, y])
    assert autograd.grad([z], [x])[0].asnumpy().tolist() == [2.0, 4.0]


def test_copyto_itself_warns_and_returns_false():
    x = nd.array([1.0, 2.0])
    with pytest.warns(RuntimeWarning, match='itself'):
        assert x.copyto(x) is False
    assert x.asnumpy().tolist() == [1.0, 2.0]


@pytest.mark.parametrize('req', ['write', 'add'])
def test_function_gradient_reaches_a_variable_with_grad_req_add(req):
    """A custom ``autograd.Function`` applied directly to a variable with ``grad_req='add'``:
    MXNet 1.9.1 leaves the variable's gradient at zero (its Function backward callback never
    adds); minigluon adds it, as for every other operator. Expected values by hand:
    d(sum(x * x))/dx = 2 x, d(sum(2 x) + sum(x + 1))/dx = 3."""
    class Sq(autograd.Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x * x

        def backward(self, dy):
            x, = self.saved_tensors
            return dy * 2 * x

    class Two(autograd.Function):
        def forward(self, x):
            return x * 2, x + 1

        def backward(self, da, db):
            return da * 2 + db

    x = nd.array([1.0, -2.0, 0.5])
    x.attach_grad(grad_req=req)
    for _ in range(2):
        with autograd.record():
            y = Sq()(x)
        y.backward()
    assert x.grad.asnumpy().tolist() == [v * (2 if req == 'add' else 1) for v in [2.0, -4.0, 1.0]]
    x.grad[:] = 0
    with autograd.record():
        a, b = Two()(x)
    autograd.backward([a, b])
    assert x.grad.asnumpy().tolist() == [3.0, 3.0, 3.0]



@pytest.mark.parametrize('copy', [lambda v: v.astype('float64'), lambda v: v.astype('float32'),
                                  lambda v: v.copy(), lambda v: v.copy().sum()],
                         ids=['astype-float64', 'astype-same', 'copy', 'copy-sum'])
@pytest.mark.parametrize('mark', ['attach_grad', 'mark_variables'])
def test_a_gradient_through_astype_or_copy_is_added_with_grad_req_add(copy, mark):
    """Seed 3's p788 of tools/fuzz_autograd.py, reduced: three ``backward(retain_graph=True)``
    of ``v.astype(...)`` (or ``v.copy()``) add three head gradients into a ``grad_req='add'``
    variable. MXNet 1.9.1 leaves 1 (its ``_copyto`` backward writes instead of adding when it
    is the gradient's only way to the variable; the fuzzer counts it as ``copy-add``); minigluon
    adds, as for ``nd.Cast`` or ``x * 1``, which MXNet adds too. Expected by hand: d(sum
    copy(v))/dv = 1 per backward, so 3."""
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        v = x * x
        if mark == 'attach_grad':
            v.attach_grad(grad_req='add')
            grad = lambda: v.grad    # noqa: E731
        else:
            buf = nd.zeros(2)
            autograd.mark_variables([v], [buf], 'add')
            grad = lambda: buf    # noqa: E731
        y = copy(v)
    for _ in range(3):
        y.backward(retain_graph=True)
    assert grad().asnumpy().tolist() == [3.0, 3.0]
    assert x.grad.asnumpy().tolist() == [0.0, 0.0]     # the variable v stops the way back to x


def test_a_gradient_added_before_an_astype_path_is_kept():
    """Seed 5's p725, reduced: a gradient already in a ``grad_req='add'`` variable, then one
    through ``(x.astype('int32') * 2).astype('float32')``. MXNet 1.9.1 overwrites the first (its
    ``_copyto`` backward writes: [-2, 0, -2]); minigluon adds. Expected by hand: the int32 path
    carries the head gradient cast to int32 (-1.29 -> -1, -0.87 -> 0), times 2, so
    [0.58, 0.8, -1.55] + [-2, 0, -2]."""
    x = nd.array([-0.94, -1.35, -1.24])
    x.attach_grad(grad_req='add')
    with autograd.record():
        x.backward(nd.array([0.58, 0.8, -1.55]))
        y = (x.astype('int32') * 2).astype('float32')
    y.backward(nd.array([-1.69, -0.87, -1.29]))
    np.testing.assert_allclose(x.grad.asnumpy(), [0.58 - 2, 0.8, -1.55 - 2], rtol=1e-6)


def test_a_refused_write_changes_nothing():
    """MXNet 1.9.1 raises after writing (the variable holds 5 afterwards); here the write is
    refused before it happens."""
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
        with pytest.raises(MXNetError, match=r'__setitem__: cannot write in-place to an array .* recorded'):
            x[:] = 5
        with pytest.raises(MXNetError, match=r'exp\(\.\.\., out=\.\.\.\): cannot write in-place'):
            nd.exp(x, out=y)
    assert x.asnumpy().tolist() == [1.0, 2.0] and y.asnumpy().tolist() == [2.0, 4.0]


def test_mark_variables_refuses_a_buffer_of_another_dtype_or_shape():
    # MXNet 1.9.1 takes them and fails in the backward pass ("Incompatible attr in node")
    x = nd.array([1.0, 2.0])
    with pytest.raises(ValueError, match='dtype float64 differs from variable dtype float32'):
        autograd.mark_variables([x], [nd.zeros(2, dtype='float64')])
    with pytest.raises(ValueError, match=r'shape \(3,\) differs'):
        autograd.mark_variables([x], [nd.zeros(3)])


def test_two_variables_sharing_one_write_buffer():
    """docs/PORTING.md's difference: with one buffer for two variables and 'write', MXNet 1.9.1 keeps the
    gradient its backward graph writes last (here y's, 3); minigluon writes the variables in the
    order its backward pass reaches them, from the last recorded operation back: y (read by the
    later ``y * 3``) first, then x, so the buffer holds x's gradient 2 x. With 'add' both add up
    (1 + 2 x + 3), as in MXNet."""
    for req, want in (('write', [2.0, 4.0, 6.0]), ('add', [6.0, 8.0, 10.0])):
        x, y = nd.array([1.0, 2.0, 3.0]), nd.array([0.5, -1.0, 2.0])
        g = nd.ones(3)
        autograd.mark_variables([x, y], [g, g], req)
        with autograd.record():
            z = (x * x + y * 3).sum()
        z.backward()
        assert g.asnumpy().tolist() == want


@pytest.mark.parametrize('free', ['grad', 'backward'])
def test_an_output_of_operators_without_gradient_leaves_the_graph_with_it(free):
    """Seed 5's p317 of tools/fuzz_autograd.py, reduced: ``t = (x == x).min()`` is in the recorded
    graph (MXNet records comparisons too), so ``t *= 2`` while recording raises; once a backward
    or ``autograd.grad`` from ``t`` freed the graph, MXNet 1.9.1 allows the write, and a second
    backward raises (the graph is gone). minigluon kept ``t`` in the graph for good."""
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        t = (x == x).min()
        with pytest.raises(MXNetError, match='cannot write in-place'):
            t *= 2
        if free == 'grad':
            assert autograd.grad([t], [x])[0].asnumpy().tolist() == [0.0, 0.0]
        else:
            t.backward()
        t *= 2
    assert t.asnumpy().tolist() == [2.0]
    with pytest.raises(MXNetError, match='freed'):
        t.backward()


def test_grad_of_one_variable_twice():
    """Seed 2's p648, reduced: ``autograd.grad(heads, [x, x])``. MXNet 1.9.1 fails inside its
    graph executor ('Check failed: nodeEntry.node'); minigluon gives the gradient once per
    entry (the fuzzer counts it as ``repeated-variable``). d(3 x)/dx = 3."""
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 3
    gx, gx2 = autograd.grad([y], [x, x])
    assert gx.asnumpy().tolist() == gx2.asnumpy().tolist() == [3.0, 3.0]


def test_marking_an_array_whose_graph_was_freed():
    """Seed 5's p166, reduced: ``t2 = x * 1; t3 = x * t2``, ``t2.backward()`` frees t2's graph,
    then ``mark_variables([t2], [buf], 'add')`` and a backward from ``t3``. MXNet 1.9.1 fails
    inside ('The any container is empty'); minigluon back-propagates into t2 as the new variable
    (the fuzzer counts it as ``mx-freed-then-marked``). Expected by hand: d(x * t2)/dt2 = x and
    d(x * t2)/dx = t2 (written: x has grad_req 'write'); a second head t2 adds its ones."""
    for heads, want in ((1, [2.0, 3.0]), (2, [3.0, 4.0])):
        x = nd.array([2.0, 3.0])
        x.attach_grad()
        with autograd.record():
            t2 = x * 1
            t3 = x * t2
            t2.backward()
            buf = nd.zeros(2)
            autograd.mark_variables([t2], [buf], 'add')
            autograd.backward([t3, t2][:heads])
        assert buf.asnumpy().tolist() == want
        assert x.grad.asnumpy().tolist() == [2.0, 3.0]
