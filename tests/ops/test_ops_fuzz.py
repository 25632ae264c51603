"""Differences between ``mx.nd`` and minigluon found by the differential fuzzer
(tools/fuzz_nd_ops.py), fixed and pinned to MXNet 1.9.1's values recorded by
tools/gen_ops_fuzz_fixtures.py: unary maths and ``hypot`` on integer arrays."""

from tests.ops._golden import Golden, standard_tests

GOLD = Golden('ops_fuzz')


(test_mxnet_golden_outputs_and_gradients, test_exported_json_node_matches_mxnet,
 test_graph_run_after_a_json_round_trip_matches_mxnet) = standard_tests(GOLD)
