"""``contrib.bipartite_matching`` against MXNet 1.9.1 (tools/gen_bipartite_fixtures.py): outputs,
the exported JSON node and a graph run after a JSON round trip, for ties, thresholds, is_ascend,
batch axes and float16/32/64. ``topk`` and NaN scores are where minigluon deliberately differs
(MXNet makes ``topk + 1`` matches and matches nothing next to a NaN); their tests say how."""

import numpy as np
import pytest

from minigluon import autograd, nd, sym
from minigluon.base import MXNetError
from tests.ops._golden import Golden

GOLD = Golden('bipartite')
PLAIN = [c for c in GOLD.cases if c['attrs'].get('topk', -1) <= 0]
TOPK = [c for c in GOLD.cases if c['attrs'].get('topk', -1) > 0]


@pytest.mark.parametrize('case', PLAIN, ids=Golden.ids(PLAIN))
def test_outputs_match_mxnet(case):
    GOLD.check_outputs_and_gradients(case, atol=0, rtol=0)


@pytest.mark.parametrize('case', GOLD.cases, ids=Golden.ids(GOLD.cases))
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


@pytest.mark.parametrize('case', PLAIN, ids=Golden.ids(PLAIN))
def test_graph_run_after_a_json_round_trip_matches_mxnet(case):
    GOLD.check_graph_round_trip(case, atol=0, rtol=0)


@pytest.mark.parametrize('case', TOPK, ids=Golden.ids(TOPK))
def test_topk_makes_topk_matches(case):
    """MXNet 1.9.1 stops after topk + 1 matches; minigluon after topk. Greedy matching takes the
    same pairs in the same order, so minigluon's topk=k + 1 is MXNet's topk=k."""
    attrs = Golden.attrs(case)
    x = GOLD.inputs(case)[0]
    want = [GOLD.value(case, 'out', j) for j in range(2)]
    more = dict(attrs, topk=attrs['topk'] + 1)
    got = [o.asnumpy() for o in nd.contrib.bipartite_matching(x, **more)]
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    fewer = nd.contrib.bipartite_matching(x, **attrs)[0].asnumpy()
    assert (fewer >= 0).sum() == min(attrs['topk'], (want[0] >= 0).sum())


def test_nan_scores_are_skipped():
    """MXNet 1.9.1 sorts a NaN first and stops there (all -1); minigluon never matches a NaN
    and matches the rest: 0.9 at (0, 1), then 0.8 at (1, 0)."""
    x = nd.array([[np.nan, 0.9], [0.8, 0.1]])
    rows, cols = nd.contrib.bipartite_matching(x, threshold=0.05)
    assert rows.asnumpy().tolist() == [1, 0] and cols.asnumpy().tolist() == [1, 0]


def test_no_gradient_reaches_the_scores():
    """MXNet's backward writes zeros into the input gradient."""
    x = nd.array(np.random.RandomState(1).rand(3, 4))
    x.attach_grad()
    with autograd.record():
        rows, _ = nd.contrib.bipartite_matching(x, threshold=0.1)
        y = (rows * 2).sum() + x.sum()
    y.backward()
    assert np.array_equal(x.grad.asnumpy(), np.ones((3, 4)))


def test_shape_inference_and_empty_matrices():
    out = sym.contrib.bipartite_matching(sym.var('x'), threshold=0.5, name='bm')
    assert out.list_outputs() == ['bm_output0', 'bm_output1']
    assert out.infer_shape(x=(2, 3, 4))[1] == [(2, 3), (2, 4)]
    rows, cols = nd.contrib.bipartite_matching(nd.zeros((2, 0, 3)), threshold=0.1)
    assert rows.shape == (2, 0) and cols.shape == (2, 3) and (cols.asnumpy() == -1).all()


def test_bad_input_is_refused():
    with pytest.raises(MXNetError, match='at least 2 axes'):
        nd.contrib.bipartite_matching(nd.array([0.1, 0.2]), threshold=0.1)
    with pytest.raises(MXNetError, match='threshold'):
        nd.contrib.bipartite_matching(nd.array([[0.1, 0.2]]))
    with pytest.raises(MXNetError, match='data must be a floating-point array.*int32'):
        nd.contrib.bipartite_matching(nd.array([[1, 2]], dtype='int32'), threshold=0.1)


def test_gluoncv_bipartite_matcher_hybridizes_and_exports(tmp_path):
    """GluonCV's BipartiteMatcher: a HybridBlock returning the row marker of
    ``F.contrib.bipartite_matching``; hybridized, exported and imported it gives the eager
    result (the greedy matching of the fixture's IoU case)."""
    from minigluon import gluon

    class BipartiteMatcher(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            match = F.contrib.bipartite_matching(x, threshold=1e-12, is_ascend=False)
            return match[0]

    case = next(c for c in GOLD.cases if GOLD.value(c, 'in', 0).shape == (2, 3, 8))
    x = GOLD.inputs(case)[0]
    net = BipartiteMatcher()
    eager = net(x).asnumpy()
    np.testing.assert_array_equal(eager, GOLD.value(case, 'out', 0))
    net.hybridize()
    np.testing.assert_array_equal(net(x).asnumpy(), eager)
    net.export(str(tmp_path / 'matcher'))
    loaded = gluon.SymbolBlock.imports(str(tmp_path / 'matcher-symbol.json'), ['data'])
    np.testing.assert_array_equal(loaded(x).asnumpy(), eager)
