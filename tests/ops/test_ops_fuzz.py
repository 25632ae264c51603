"""Differences between ``mx.nd`` and minigluon found by the differential fuzzer
(tools/fuzz_nd_ops.py), fixed and pinned to MXNet 1.9.1's values recorded by
tools/gen_ops_fuzz_fixtures.py: unary maths and ``hypot`` on integer arrays."""
import pytest

from tests.ops._golden import Golden

GOLD = Golden('ops_fuzz')


@pytest.mark.parametrize('case', GOLD.cases, ids=Golden.ids(GOLD.cases))
def test_mxnet_golden_outputs_and_gradients(case):
    GOLD.check_outputs_and_gradients(case)


@pytest.mark.parametrize('case', GOLD.sym_cases, ids=Golden.ids(GOLD.sym_cases))
def test_exported_json_node_matches_mxnet(case):
    GOLD.check_json_node(case)


@pytest.mark.parametrize('case', GOLD.sym_cases, ids=Golden.ids(GOLD.sym_cases))
def test_graph_run_after_a_json_round_trip_matches_mxnet(case):
    GOLD.check_graph_round_trip(case)
