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
    # a variable and an operator of one name: the graph saves and loads again (p1753)
    'variable_and_operator_of_one_name_load':
        "d = mx.sym.var('data', shape=(3,))\n"
        "s = mx.sym.SliceChannel(d, num_outputs=3, axis=0, name='data')\n"
        "l = mx.sym.load_json(s.tojson())\n"
        "[l.list_arguments(), l.list_outputs(), l.infer_shape()[1], repr(l)]",
    # the outputs of one node show as that node (p147, p294, p1794, p1865)
    'repr_of_one_node_outputs': "v = mx.sym.var('v')\n"
                                "s = mx.sym.SliceChannel(v, num_outputs=2, name='sl')\n"
                                "[repr(s), repr(mx.sym.Group([v, v])), repr(mx.sym.Group([v, s[1]]))]",
    # a call refused for its attributes still uses up its automatic name; one refused for a
    # positional input that is not a Symbol (a variable's get_children() is None) does not
    # (p494, p1363, p1352, p1975)
    'failed_calls_and_automatic_names':
        "v = mx.sym.var('d')\n"
        "def fails(f):\n"
        "    try:\n"
        "        f()\n"
        "    except Exception:\n"
        "        return True\n"
        "    return False\n"
        "out = [fails(lambda: mx.sym.FullyConnected(v, num_hidden=2, foo=1)),\n"
        "       fails(lambda: mx.sym.Activation(v, act_type='bogus')),\n"
        "       fails(lambda: mx.sym.Concat(v, v.get_children(), dim=0))]\n"
        "with mx.AttrScope(k='v'):\n"
        "    out.append(fails(lambda: mx.sym.reshape(v, shape=(-1,))))\n"
        "    out.append(fails(lambda: mx.sym.SliceChannel(v, num_outputs=2)))\n"
        "out + [s.name for s in (mx.sym.FullyConnected(v, num_hidden=2), mx.sym.Activation(v, "
        "act_type='relu'), mx.sym.Concat(v, v, dim=0), mx.sym.reshape(v, shape=(-1,)), "
        "mx.sym.SliceChannel(v, num_outputs=2))]",
    # Pooling checks the rank and the known sizes of its data under infer_shape_partial (p780)
    'pooling_2d_data_partial': "p = mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2))\n"
                               "p.infer_shape_partial(data=(0, 3))",
    'pooling_kernel_rank_partial': "p = mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2, 2))\n"
                                   "p.infer_shape_partial(data=(0, 3, 4, 4))",
    'pooling_known_size_too_small_partial': "p = mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2))\n"
                                            "p.infer_shape_partial(data=(0, 3, 1, 4))",
    'pooling_unknown_batch_partial': "p = mx.sym.Pooling(mx.sym.var('data'), kernel=(2, 2))\n"
                                     "p.infer_shape_partial(data=(0, 3, 4, 4))",
    # BatchNorm and InstanceNorm refuse integer data in infer_type(_partial) (p463); BatchNorm
    # learns nothing before the data's dtype is known
    'batchnorm_int_data_partial': "mx.sym.BatchNorm(mx.sym.var('data', dtype='int32')).infer_type_partial()",
    'batchnorm_relu_int_data': "mx.sym.contrib.BatchNormWithReLU(mx.sym.var('data'))"
                               ".infer_type(data='uint8')",
    'instancenorm_int_data': "mx.sym.InstanceNorm(mx.sym.var('data')).infer_type(data='int64')",
    # SoftmaxOutput takes a label of the shape of data as probabilities (seed 1, p1554)
    'softmax_output_probability_label': "v = mx.sym.var('data')\n"
                                        "s = mx.sym.SoftmaxOutput(v, label=v, name='o')\n"
                                        "t = mx.sym.SoftmaxOutput(v, name='p')\n"
                                        "[s.infer_shape_partial(data=(4, 3)), "
                                        "t.infer_shape(data=(2, 3), p_label=(2, 3))]",
    'softmax_output_probability_label_gradient':
        "x = mx.nd.array([[1.0, 2.0, 0.5], [0.1, -1.0, 2.0]])\n"
        "x.attach_grad()\n"
        "lab = mx.nd.array([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])\n"
        "with mx.autograd.record():\n"
        "    y = mx.nd.SoftmaxOutput(x, lab, grad_scale=2.0, normalization='batch', use_ignore=True,\n"
        "                            ignore_label=0)\n"
        "y.backward()\n"
        "[round(float(v), 5) for v in x.grad.asnumpy().ravel()]",
    'batchnorm_untyped_data': "b = mx.sym.BatchNorm(mx.sym.var('data'), name='b')\n"
                              "b.infer_type_partial(b_gamma='float32')",
}


def main():
    import mxnet as mx
    out = {k: {'code': code, 'expected': run_case_code(mx, code)} for k, code in CASES.items()}
    with open(OUT, 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)


if __name__ == '__main__':
    main()
