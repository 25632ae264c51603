"""Golden values for tests/symbol/test_symbol_api_fuzz_regressions.py (run with the MXNet 1.9.1
venv): the differences tools/fuzz_symbol_api.py found, as MXNet 1.9.1 answers them.

Writes tests/fixtures/symbol_api_fuzz/expected.json: for each case in CASES (Python source run
with ``mx`` bound, under a fresh NameManager; its last line is an expression), the value of that
expression as JSON data (tuples as lists, NumPy types as their names) or ``{'error': ...}``.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fuzz_symbol_api import run_case_code  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'symbol_api_fuzz',
                   'expected.json')

CASES = {
    # s(x=y, name='g') renames the composed copy's output node (minigluon ignored name=)
    'call_name': "s = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='f')\n"
                 "r = s(x=mx.sym.var('y'), name='g')\n"
                 "[r.name, r.list_outputs(), r.list_arguments(), s.name]",
    # the public in-place _compose(**kwargs) (minigluon's took (dict, list))
    'compose_in_place': "s = mx.sym.FullyConnected(mx.sym.var('x'), num_hidden=2, name='f')\n"
                        "r = s._compose(x=mx.sym.var('y'), name='g')\n"
                        "[r, s.name, s.list_arguments(), s.list_outputs()]",
    # a shape given to infer_shape wins over the variable's __shape__ when fully known
    'given_shape_wins': "x = mx.sym.var('x', shape=(3,))\n"
                        "[x.infer_shape_partial(x=(1, 3, 5, 5)), (x * 2).infer_shape(x=(2, 3))]",
    'partial_given_shape_loses': "x = mx.sym.var('x', shape=(0, 3))\n"
                                 "(x * 2).infer_shape_partial(x=(2, 0))",
    # operators without parameters (and the regression outputs) keep any attribute key
    'attr_scope_plain_key': "v = mx.sym.var('d')\n"
                            "with mx.AttrScope(k='v'):\n"
                            "    a = mx.sym.LinearRegressionOutput(v, v, name='o')\n"
                            "    b = mx.sym.elemwise_add(v, v, name='e')\n"
                            "    c = mx.sym.relu(v, name='r')\n"
                            "g = mx.sym.load_json(mx.sym.Group([a, b, c]).tojson())\n"
                            "[a.list_attr(), b.attr_dict(), c.attr('k'), g.attr_dict()]",
    'attr_plain_key_with_params': "mx.sym.FullyConnected(mx.sym.var('d'), num_hidden=2, "
                                  "attr={'k': 'v'})",
    # nodes of one name share an attr_dict entry: their attributes merge (fuzz program p1525)
    'attr_dict_merges_nodes_of_one_name': "v1 = mx.sym.var('x', dtype='float32')\n"
                                          "v2 = mx.sym.var('x', shape=(2, 0), attr={'k': 'v'})\n"
                                          "(v1 + v2).attr_dict()",
    # two variables of one name: the graph saves and loads again
    'duplicate_variables_load': "s = mx.sym.var('data') + mx.sym.var('data')\n"
                                "l = mx.sym.load_json(s.tojson())\n"
                                "[l.list_arguments(), l.infer_shape(data=(2, 3))]",
}


def main():
    import mxnet as mx
    out = {k: {'code': code, 'expected': run_case_code(mx, code)} for k, code in CASES.items()}
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
