"""Golden file of MXNet 1.9.1's operator names (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_op_names_fixtures.py

Writes tests/fixtures/op_names/op_names.json: every name (operators and their aliases) in
MXNet's operator registry that a legacy-mode ``-symbol.json`` may hold (``_np_cumsum`` too: MXNet's
``sym.cumsum`` writes it), NumPy-mode internals (``_npi*``, ``_npx*``), sparse (``_sparse_*``)
and backward (``_backward_*``) names left out. A graph file naming an operator outside this list does not load in MXNet ("Operator ...
is not registered").
"""
import ctypes
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402,F401
from mxnet.base import _LIB, check_call, mx_uint, py_str  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'op_names')
LEFT_OUT = ('_npi', '_npx', '_sparse_', '_backward_')


def main():
    size, names = mx_uint(), ctypes.POINTER(ctypes.c_char_p)()
    check_call(_LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(names)))
    kept = sorted(n for n in (py_str(names[i]) for i in range(size.value)) if not n.startswith(LEFT_OUT))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'op_names.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'names': kept}, f, indent=0)
    print('wrote', os.path.join(OUT, 'op_names.json'), len(kept), 'names')


if __name__ == '__main__':
    main()
