"""Write ``minigluon/contrib/amp/lists/symbol_fp16.py``: the operator-name lists of MXNet 1.9.1's
AMP for the float16 target (``mxnet.contrib.amp.lists.symbol_fp16``), as data; run in the MXNet
venv::

    /opt/mxvenv/bin/python tools/gen_amp_lists.py

The names are MXNet's operator and function names, in MXNet's order; the module's text is ours.
Which operators name their outputs in the casts ``convert_symbol`` adds is ``Op.mxnet_output_names``
(tools/gen_op_hook_fixtures.py).
"""
import os
import pprint

from mxnet.contrib.amp.lists import symbol_fp16 as src

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'minigluon', 'contrib', 'amp',
                   'lists', 'symbol_fp16.py')

HEADER = '''"""MXNet 1.9.1's AMP operator lists for the float16 target (``amp.lists.symbol_fp16``), written by
``tools/gen_amp_lists.py`` from ``mxnet.contrib.amp.lists.symbol_fp16``: names only.

* ``FP16_FUNCS``: run in float16 (their floating inputs are cast to float16);
* ``FP16_FP32_FUNCS``: run in whatever dtype they are given;
* ``FP32_FUNCS``: run in float32 (inputs cast to float32: overflow-prone or precision-hungry);
* ``CONDITIONAL_FP32_FUNCS``: ``(name, attribute, values)``: float32 only for those values;
* ``WIDEST_TYPE_CASTS``: several inputs that must share a dtype, the widest of them;
* ``LOSS_OUTPUT_FUNCTIONS``: output layers whose ``grad_scale`` follows the loss scale.

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
    with open(OUT, 'w') as f:
        f.write('\n'.join(parts))


if __name__ == '__main__':
    main()
