"""Correlation (FlowNet) against MXNet 1.9.1 (tools/gen_vision_contrib_fixtures.py); float64
numerical gradients are in the operator sweep (tests/ops/op_cases.py)."""
import pytest

from minigluon import nd
from tests.ops._golden import Golden

GOLD = Golden('vision_contrib')
CASES, IDS = GOLD.cases, Golden.ids(GOLD.cases)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_outputs_and_gradients_match_mxnet(case):
    GOLD.check_outputs_and_gradients(case, atol=1e-5, grad_atol=1e-5)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


@pytest.mark.parametrize('case', CASES, ids=IDS)
def test_graph_run_after_a_json_round_trip_matches_mxnet(case):
    GOLD.check_graph_round_trip(case, atol=1e-5)


def test_correlation_bad_inputs_raise_clear_errors():
    x = nd.zeros((1, 2, 6, 7))
    with pytest.raises(ValueError, match='of the same shape'):
        nd.Correlation(x, nd.zeros((1, 3, 6, 7)))        # MXNet 1.9.1 crashes
    with pytest.raises(ValueError, match='kernel_size must be odd'):
        nd.Correlation(x, x, kernel_size=2)
    with pytest.raises(ValueError, match='do not fit in the padded 6x7 map'):
        nd.Correlation(x, x, max_displacement=5)
