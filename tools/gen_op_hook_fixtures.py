"""Golden file of the names MXNet 1.9.1's op hook gives each operator's inputs and outputs (run in
the MXNet 1.9.1 venv)::

    /opt/mxvenv/bin/python tools/gen_op_hook_fixtures.py

``register_op_hook`` (a CachedOp's monitor callback) names an input ``<node>_<input name>`` and
an output ``<node>_<output name>`` where the operator registers input / output names with MXNet,
else ``<node>_input<i>`` and ``<node>_<i>``. Which operators register them is not visible from
Python, so each operator that minigluon registers and MXNet has is run here: a one-node graph
(variables for its inputs, its visible outputs as the graph's outputs) in a CachedOp with the
hook (``monitor_all=True``), on the first valid call among the candidates of
``tools/sweep_bad_input.py`` (``EXTRA`` where those fail in MXNet). Writes
tests/fixtures/op_hook/op_hook_names.json: per MXNet operator name, the call (attributes as
strings, input shapes and dtypes) and the hook's names without the node's name; the operators
that no candidate runs (or that crash MXNet) are listed under ``not_run``. Also records the
hook's calls on a few hybridized blocks (``tests/_op_hook_program.py``) to
tests/fixtures/op_hook/mxnet.json.
"""
import json
import os
import subprocess
import sys
import warnings

warnings.filterwarnings('ignore')
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, HERE]
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402

import sweep_bad_input as sweep  # noqa: E402
from _programs_on_mxnet import record_run  # noqa: E402
from minigluon.ops import OPS  # noqa: E402
from minigluon.symbol.op_names import MX_ALIASES  # noqa: E402

OUT = os.path.join(ROOT, 'tests', 'fixtures', 'op_hook', 'op_hook_names.json')
NODE = 'nd0'
# Calls for operators whose sweep candidates MXNet refuses: input shapes (float32 unless given as
# (shape, dtype[, value])) and attributes, as in sweep.KNOWN
IMAGE = [(4, 5, 3)]
EXTRA = {
    '_arange': ([], {'start': 0, 'stop': 3}),
    '_contrib_DeformablePSROIPooling': ([(1, 8, 4, 4), (1, 5), (1, 4, 2, 2)], {
        'spatial_scale': 1.0, 'output_dim': 2, 'group_size': 2, 'pooled_size': 2,
        'part_size': 2, 'trans_std': 0.1}),
    '_contrib_PSROIPooling': ([(1, 8, 4, 4), (1, 5)],
                              {'spatial_scale': 1.0, 'output_dim': 2, 'pooled_size': 2}),
    '_contrib_Proposal': ([(1, 24, 4, 4), (1, 48, 4, 4), ((1, 3), 'float32', 16)], {}),
    '_contrib_MultiProposal': ([(1, 24, 4, 4), (1, 48, 4, 4), ((1, 3), 'float32', 16)], {}),
    '_contrib_RROIAlign': ([(1, 2, 4, 4), (1, 6)], {'pooled_size': (2, 2), 'spatial_scale': 1.0}),
    '_contrib_bipartite_matching': ([(2, 3)], {'threshold': 0.5}),
    '_contrib_box_decode': ([(1, 2, 4), (1, 2, 4)], {}),
    '_contrib_group_adagrad_update': ([(2, 3), (2, 3), (2, 1)], {'lr': 0.1}),
    '_contrib_hawkesll': ([(2, 3), (3,), (3,), (2, 3), (2, 4), ((2, 4), 'int32', 1), (2,), (2,)],
                          {}),
    '_histogram': ([(2, 3)], {'bin_cnt': 3, 'range': (0.0, 1.0)}),
    '_image_crop': (IMAGE, {'x': 0, 'y': 0, 'width': 2, 'height': 2}),
    '_image_flip_left_right': (IMAGE, {}),
    '_image_flip_top_bottom': (IMAGE, {}),
    '_image_random_flip_left_right': (IMAGE, {}),
    '_image_random_flip_top_bottom': (IMAGE, {}),
    '_image_normalize': ([(3, 4, 5)], {'mean': (0.1, 0.1, 0.1), 'std': (1.0, 1.0, 1.0)}),
    '_split_v2': ([(2, 4)], {'indices': (0, 2), 'axis': 1}),
    '_unravel_index': ([((2,), 'float32', 1)], {'shape': (3, 4)}),
    'amp_multicast': ([(2, 3), (2, 3)], {'num_outputs': 2}),
    'batch_take': ([(2, 3), ((2,), 'int32', 1)], {}),
    'broadcast_to': ([(1, 3)], {'shape': (2, 3)}),
    'fill_element_0index': ([(2, 3), (2,), ((2,), 'float32', 1)], {}),
    'multi_all_finite': ([(2, 3), (2, 3)], {'num_arrays': 2}),
    'multi_sum_sq': ([(2, 3), (2, 3)], {'num_arrays': 2}),
    'reset_arrays': ([(2, 3), (2, 3)], {'num_arrays': 2}),
    'multi_sgd_update': ([(2, 3), (2, 3)], {'lrs': (0.1,), 'wds': (0.0,), 'num_weights': 1}),
    'multi_sgd_mom_update': ([(2, 3)] * 3, {'lrs': (0.1,), 'wds': (0.0,), 'num_weights': 1}),
    'multi_mp_sgd_update': ([((2, 3), 'float16'), ((2, 3), 'float16'), (2, 3)],
                            {'lrs': (0.1,), 'wds': (0.0,), 'num_weights': 1}),
    'multi_lars': ([(2,)] * 4, {'eta': 1.0, 'eps': 1e-8}),
}


def mxnet_names():
    with open(os.path.join(ROOT, 'tests', 'fixtures', 'op_names', 'op_names.json')) as f:
        return set(json.load(f)['names'])


def candidates(name, cls):
    if name in EXTRA:
        shapes, attrs = EXTRA[name]
        yield [('A',) + (tuple(s) if s and isinstance(s[0], tuple) else (s, 'float32'))
               for s in shapes], attrs
    for inputs, attrs in sweep.baselines(cls):
        if cls.arguments is None and 'num_args' in cls.attrs:
            attrs = dict(attrs, num_args=len(inputs))
        if not inputs and 'shape' in cls.attrs:       # _zeros, _random_uniform: not 0-d
            attrs = dict(attrs, shape=attrs.get('shape') or (2, 3))
        yield inputs, attrs


def array(spec, rng):
    _, shape, dtype = spec[:3]
    value = spec[3] if len(spec) > 3 else None
    if value == 'spd':
        a = rng.uniform(0.1, 1, shape)
        a = a @ np.swapaxes(a, -1, -2) + 3 * np.eye(shape[-1])
        return mx.nd.array(a, dtype=dtype)
    if value is not None:
        return mx.nd.full(shape, value, dtype=dtype)
    return mx.nd.array(rng.uniform(0.1, 1, shape), dtype=dtype)


def run(name, cls, inputs, attrs):
    """The hook's names (node name stripped) for one call, or None where MXNet refuses it."""
    op = cls(**attrs)
    strings = op.attrs_to_strings()
    n_in = len(inputs)
    nodes = [{'op': 'null', 'name': 'v%d' % i, 'inputs': []} for i in range(n_in)]
    nodes.append({'op': name, 'name': NODE, 'attrs': strings,
                  'inputs': [[i, 0, 0] for i in range(n_in)]})
    try:
        n_out = op.n_visible        # every visible output is read (else MXNet leaves it out)
        # Each output goes through BlockGrad, and a variable through _copy is an output too: a
        # CachedOp builds its backward graph when made, which needs an input to differentiate
        # and refuses operators without a gradient (adam_update, _random_uniform) unless
        # nothing but zeros flows back to them.
        heads = []
        for i in range(n_out):
            nodes.append({'op': 'BlockGrad', 'name': 'bg%d' % i, 'inputs': [[n_in, i, 0]]})
            heads.append([len(nodes) - 1, 0, 0])
        nodes.append({'op': 'null', 'name': 'dummy', 'inputs': []})
        nodes.append({'op': '_copy', 'name': 'cp', 'inputs': [[len(nodes) - 1, 0, 0]]})
        heads.append([len(nodes) - 1, 0, 0])
        cached = mx.nd.CachedOp(mx.sym.load_json(json.dumps(_graph(nodes, heads))))
        seen = []
        cached._register_op_hook(lambda n, o, a: seen.append(mx.base.py_str(n)), True)
        rng = np.random.RandomState(0)
        outs = cached(*[array(s, rng) for s in inputs] + [mx.nd.ones((1,))])
        mx.nd.waitall()
    except Exception:    # noqa: BLE001 -- MXNet refuses this call: the next candidate
        return None
    del outs
    return {'attrs': strings, 'inputs': [[list(s[1]), s[2]] for s in inputs],
            'names': [s[len(NODE) + 1:] for s in seen if s.startswith(NODE + '_')]}


def _graph(nodes, heads):
    """MXNet's JSON of a graph of ``nodes`` (variables: op 'null') with outputs ``heads``."""
    return {'nodes': nodes, 'heads': heads,
            'arg_nodes': [i for i, n in enumerate(nodes) if n['op'] == 'null'],
            'node_row_ptr': list(range(len(nodes) + 1)), 'attrs': {'mxnet_version': ['int', 10901]}}


def operators():
    """``{MXNet operator name: minigluon class}`` for the operators both have."""
    known = mxnet_names()
    by_name = {}
    for name, cls in OPS.items():
        target = MX_ALIASES.get(name, name)
        if target in known and OPS.get(target, cls) is cls and cls.name not in sweep.SKIP:
            by_name.setdefault(target, cls)
    return by_name


def worker(start, log):
    """Record the operators from the ``start``-th on, one JSON line each to ``log``; a line
    ``{"op": name}`` first, so that the parent knows which one killed the process."""
    by_name = operators()
    with open(log, 'a') as f:
        for name in sorted(by_name)[start:]:
            f.write(json.dumps({'op': name}) + '\n')
            f.flush()
            got = None
            for inputs, attrs in candidates(name, by_name[name]):
                try:
                    got = run(name, by_name[name], inputs, attrs)
                except Exception:    # noqa: BLE001 -- minigluon refuses the attributes
                    got = None
                if got is not None:
                    break
            f.write(json.dumps({'op': name, 'got': got}) + '\n')
            f.flush()


def main():
    if sys.argv[1:2] == ['--worker']:
        return worker(int(sys.argv[2]), sys.argv[3])
    names = sorted(operators())
    log = OUT + '.log'
    if os.path.exists(log):
        os.remove(log)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    done, start = {}, 0
    while start < len(names):       # a worker per run of operators, restarted after a crash
        subprocess.call([sys.executable, os.path.abspath(__file__), '--worker', str(start), log],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(log) as f:
            for line in f:
                rec = json.loads(line)
                done[rec['op']] = rec.get('got')
        if len(done) == start:
            sys.exit('the worker failed before its first operator')
        start = len(done)           # the last one started either finished or crashed (None)
    os.remove(log)
    fixture = {n: g for n, g in done.items() if g is not None}
    not_run = sorted(n for n, g in done.items() if g is None)
    with open(OUT, 'w') as f:
        # one line per operator
        f.write('{"mxnet": %s, "node": %s, "not_run": %s,\n"ops": {\n%s\n}}\n' % (
            json.dumps(mx.__version__), json.dumps(NODE), json.dumps(not_run),
            ',\n'.join('%s: %s' % (json.dumps(n), json.dumps(fixture[n], sort_keys=True))
                        for n in sorted(fixture))))
    print('wrote', OUT, len(fixture), 'operators;', len(not_run), 'not run:', not_run)
    record_run('_op_hook_program', os.path.join(os.path.dirname(OUT), 'mxnet.json'))


if __name__ == '__main__':
    main()
