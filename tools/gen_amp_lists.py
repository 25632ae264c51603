"""Write ``minigluon/contrib/amp/lists/symbol_fp16.py``: the operator-name lists of MXNet 1.9.1's
AMP for the float16 target (``mxnet.contrib.amp.lists.symbol_fp16``), as data; run in the MXNet
venv::

    /opt/mxvenv/bin/python tools/gen_amp_lists.py

The names are MXNet's operator and function names, in MXNet's order; the module's text is ours.

``NAMED_OUTPUT_OPS`` is measured: the operators whose outputs ``amp.convert_symbol`` names
``<node>_output`` (``<node>_output<i>`` for several outputs) in the cast nodes it adds after them,
because MXNet registers output names for them; after any other operator the cast is named
``<node>_<index>``. Each operator of the lists is tried on a FullyConnected output (with the
attributes in ``_ATTRS`` where it needs some) followed by a float32 or a float16 consumer.
"""
import json
import os
import pprint
import re

import mxnet as mx
from mxnet.contrib import amp
from mxnet.contrib.amp.lists import symbol_fp16 as src

_ATTRS = {'Activation': {'act_type': 'relu'}, 'SliceChannel': {'num_outputs': 2},
          'split': {'num_outputs': 2}, 'Cast': {'dtype': 'float32'}, 'cast': {'dtype': 'float32'},
          'clip': {'a_min': 0, 'a_max': 1}, 'expand_dims': {'axis': 1}, 'repeat': {'repeats': 2},
          'tile': {'reps': (1, 2)}, 'slice_axis': {'axis': 1, 'begin': 0, 'end': 2},
          'slice': {'begin': (0, 0), 'end': (1, 2)}, 'Pad': {'mode': 'edge', 'pad_width': (0,) * 8},
          'pad': {'mode': 'edge', 'pad_width': (0,) * 8}, 'reverse': {'axis': 1},
          'flip': {'axis': 1}, 'one_hot': {'depth': 3}, 'pick': {}, 'take': {},
          'Embedding': {'input_dim': 4, 'output_dim': 2},
          'FullyConnected': {'num_hidden': 2}, 'Pooling': {'kernel': (1, 1), 'pool_type': 'max'},
          'Convolution': {'kernel': (1, 1), 'num_filter': 2},
          'Deconvolution': {'kernel': (1, 1), 'num_filter': 2},
          'LRN': {'nsize': 3}, 'UpSampling': {'scale': 2, 'sample_type': 'nearest'},
          'depth_to_space': {'block_size': 1}, 'space_to_depth': {'block_size': 1}}


def _cast_name_after(op):
    """How convert_symbol names a cast of ``op``'s output: 'named', 'indexed', or None when the
    operator cannot be built here."""
    S = mx.sym
    f = getattr(S, op, None) or getattr(S._internal, op, None)
    if f is None:
        return None
    for n_inputs in (1, 2):
        try:
            fc = S.FullyConnected(S.var('data'), num_hidden=4, name='fc')
            node = f(*[fc] * n_inputs, name='nn', **_ATTRS.get(op, {}))
            first = node[0] if len(node.list_outputs()) > 1 else node
            if op in src.FP32_FUNCS:
                out = S.FullyConnected(first, num_hidden=2, name='f2')
            else:
                out = S.FullyConnected(S.softmax(first, name='sm'), num_hidden=2, name='f2')
            js = json.loads(amp.convert_symbol(out).tojson(remove_amp_cast=False))
        except Exception:      # noqa: BLE001 - any refusal
            continue       # needs other inputs or attributes: not measured
        casts = [n['name'] for n in js['nodes']
                 if n['op'] == 'amp_cast' and n['name'].startswith('nn_')]
        if casts:
            return 'indexed' if re.match(r'nn_\d+_amp', casts[0]) else 'named'
    return None


def named_output_ops():
    ops = sorted(set(src.FP16_FUNCS + src.FP16_FP32_FUNCS + src.FP32_FUNCS + src.WIDEST_TYPE_CASTS
                     + [c[0] for c in src.CONDITIONAL_FP32_FUNCS]))
    return [op for op in ops if _cast_name_after(op) == 'named']

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'minigluon', 'contrib', 'amp',
                   'lists', 'symbol_fp16.py')

HEADER = '''"""MXNet 1.9.1's AMP operator lists for the float16 target (``amp.lists.symbol_fp16``), written by
``tools/gen_amp_lists.py`` from ``mxnet.contrib.amp.lists.symbol_fp16``: names only.

* ``FP16_FUNCS``: run in float16 (their floating inputs are cast to float16);
* ``FP16_FP32_FUNCS``: run in whatever dtype they are given;
* ``FP32_FUNCS``: run in float32 (inputs cast to float32: overflow-prone or precision-hungry);
* ``CONDITIONAL_FP32_FUNCS``: ``(name, attribute, values)``: float32 only for those values;
* ``WIDEST_TYPE_CASTS``: several inputs that must share a dtype, the widest of them;
* ``LOSS_OUTPUT_FUNCTIONS``: output layers whose ``grad_scale`` follows the loss scale;
* ``NAMED_OUTPUT_OPS`` (measured, not an MXNet list): the operators after which
  ``convert_symbol`` names a cast ``<node>_output_amp_cast_<dtype>`` (MXNet registers output
  names for them); after the others it is ``<node>_<index>_amp_cast_<dtype>``.

Names that minigluon has no operator for are skipped by :func:`minigluon.contrib.amp.init` and
:func:`~minigluon.contrib.amp.convert_symbol` (they cannot occur in a minigluon graph).
"""
'''


def main():
    parts = [HEADER]
    for name in ('FP16_FUNCS', 'FP16_FP32_FUNCS', 'FP32_FUNCS', 'CONDITIONAL_FP32_FUNCS',
                 'WIDEST_TYPE_CASTS', 'LOSS_OUTPUT_FUNCTIONS'):
        value = getattr(src, name)
        value = [tuple(v) if isinstance(v, (list, tuple)) else v for v in value]
        parts.append('%s = %s\n' % (name, pprint.pformat(value, width=99, compact=True)))
    parts.append('NAMED_OUTPUT_OPS = %s\n' % pprint.pformat(named_output_ops(), width=99,
                                                             compact=True))
    with open(OUT, 'w') as f:
        f.write('\n'.join(parts))


if __name__ == '__main__':
    main()
