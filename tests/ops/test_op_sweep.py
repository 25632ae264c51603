"""A sweep over every differentiable registered operator (cases in ``op_cases.py``).

For each case: the float64 numerical gradient check; eager (``nd.<op>``) against a ``sym.<op>``
graph run by :class:`minigluon.executor.CachedOp` (outputs and gradients, as docs/DESIGN.md asks per
operator); float16 and float64 forward against float64 with the input dtype kept. A coverage test
makes a newly registered differentiable operator fail here until it gets a case.
"""
import contextlib

import numpy as np
import pytest

from minigluon import autograd, backend, nd
from minigluon import random as mgrandom
from minigluon import symbol as sym
from minigluon.executor import CachedOp
from minigluon.ops import OPS
from minigluon.test_utils import assert_almost_equal, check_gradient
from tests.ops.op_cases import CASES, EXCLUDED

IDS = ['%s-%d' % (c.name, i) for i, c in enumerate(CASES)]


def _scope(case):
    """Training mode (BatchNorm, rrelu) and a fixed random stream (Dropout) for one call."""
    stack = contextlib.ExitStack()
    if 'train' in case.flags:
        stack.enter_context(autograd.train_mode())
    if 'seed' in case.flags:
        mgrandom.seed(1234)
    return stack


def _listify(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _eager(case):
    fn = getattr(nd, case.name)

    def run(*arrays):
        with _scope(case):
            return _listify(fn(*arrays, **case.attrs))
    return run


def _graph(case, n_inputs):
    names = ['in%d' % i for i in range(n_inputs)]
    graph = getattr(sym, case.name)(*[sym.var(n) for n in names], **case.attrs)
    cached = CachedOp(graph)
    order = [names.index(n) for n in graph.list_inputs()]

    def run(*arrays):
        with _scope(case):
            return cached(*[arrays[i] for i in order])
    return run


def test_every_differentiable_operator_has_a_case():
    covered = {OPS[c.name] for c in CASES}
    differentiable = {cls for cls in OPS.values() if cls.differentiable}
    missing = sorted(cls.name for cls in differentiable - covered if cls.name not in EXCLUDED)
    assert not missing, 'differentiable operators without a sweep case: %s' % missing


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_numeric_gradient_float64(case):
    values = case.inputs()
    if 'no_numeric' in case.flags:
        pytest.skip('backward is by design not the derivative of the forward (see op_cases)')
    check_gradient(_eager(case), values, wrt=case.wrt, rtol=1e-4, atol=1e-6)


def _run_with_grads(run, values, head_seed=7, ctx=None):
    arrays = [nd.array(v, dtype=v.dtype, ctx=ctx) for v in values]
    for a in arrays:
        if np.dtype(a.dtype).kind == 'f':
            a.attach_grad()
    with autograd.record():
        outs = run(*arrays)
    rng = np.random.RandomState(head_seed)
    heads = [nd.array(rng.standard_normal(o.shape), dtype=o.dtype, ctx=o.context) for o in outs]
    autograd.backward(outs, heads)
    return [o.asnumpy() for o in outs], [a.grad.asnumpy() if np.dtype(a.dtype).kind == 'f' else None
                                         for a in arrays]


def _assert_same(case, first, second, tol, names):
    """Run ``(run, values, ctx)`` twice with the same head gradients; outputs (and their dtypes) and
    the gradients of ``case.wrt`` must agree. Returns the first run's (outputs, gradients)."""
    outs_a, grads_a = _run_with_grads(first[0], first[1], ctx=first[2])
    outs_b, grads_b = _run_with_grads(second[0], second[1], ctx=second[2])
    assert len(outs_a) == len(outs_b)
    for a, b in zip(outs_a, outs_b):
        assert a.dtype == b.dtype
        assert_almost_equal(b, a, rtol=tol, atol=tol, names=names[::-1])
    for i in case.wrt:
        assert_almost_equal(grads_b[i], grads_a[i], rtol=tol, atol=tol,
                            names=('%s grad %d' % (names[1], i), '%s grad %d' % (names[0], i)))
    return outs_a, grads_a


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_eager_equals_graph(case):
    values = case.inputs()
    values = [v.astype(np.float32) if i in case.floating else v for i, v in enumerate(values)]
    _, grads_e = _assert_same(case, (_eager(case), values, None), (_graph(case, len(values)), values, None),
                              1e-6, ('eager', 'graph'))
    if 'no_numeric' in case.flags and case.name == 'BlockGrad':
        assert not grads_e[0].any()


GPU_CASES = [c for c in CASES if 'seed' not in c.flags]   # the GPU's random streams are its own


@pytest.mark.skipif(not backend.cupy_available(), reason='CuPy with a CUDA device is not available')
@pytest.mark.parametrize('case', GPU_CASES, ids=['%s-%d' % (c.name, i) for i, c in enumerate(GPU_CASES)])
def test_gpu_equals_cpu(case):
    """The whole sweep on CuPy: every operator's outputs and gradients on gpu(0) equal the CPU's
    (float64, so only the order of floating-point sums may differ)."""
    from minigluon.context import cpu, gpu
    values = case.inputs()
    _assert_same(case, (_eager(case), values, cpu()), (_eager(case), values, gpu(0)), 1e-9, ('cpu', 'gpu'))


HALF_CASES = [c for c in CASES if not c.flags & {'no_half', 'seed'}]


@pytest.mark.parametrize('dtype', [np.float16, np.float64])
@pytest.mark.parametrize('case', HALF_CASES, ids=['%s-%d' % (c.name, i)
                                                 for i, c in enumerate(HALF_CASES)])
def test_float16_and_float64_forward(case, dtype):
    values = case.inputs()
    want = _eager(case)(*[nd.array(v, dtype=v.dtype) for v in values])
    cast = [v.astype(dtype) if i in case.floating else v for i, v in enumerate(values)]
    got = _eager(case)(*[nd.array(v, dtype=v.dtype) for v in cast])
    for g, w in zip(got, want):
        if np.dtype(w.dtype).kind != 'f':
            continue
        assert g.dtype == dtype, '%s returned %s for %s input' % (case.name, g.dtype, dtype.__name__)
        w = w.asnumpy()
        tol = 3e-2 if dtype == np.float16 else 1e-12
        assert_almost_equal(g.asnumpy().astype(np.float64), w,
                            rtol=tol, atol=tol * max(1.0, float(np.abs(w).max(initial=0))))
