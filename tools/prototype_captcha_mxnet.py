"""Run examples/captcha_ocr.py on MXNet 1.9.1, to find and check the training recipe.

Run with the MXNet venv: ``/opt/mxvenv/bin/python tools/prototype_captcha_mxnet.py [flags]``
(same flags as the example). The example is plain Gluon code that imports
``minigluon``; here the names it imports are bound to MXNet's modules, and
``minigluon.ctc.greedy_decode`` to a small NumPy best-path decoder, so the very
same model, data and training code run on MXNet. Prototype only: nothing in
minigluon or its tests imports this file.
"""
import os
import sys
import types

import numpy as np
import mxnet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _greedy_decode(scores, blank="last"):
    """Arg-max per frame, merge repeats, drop blanks (blank = last class)."""
    scores = scores.asnumpy() if hasattr(scores, "asnumpy") else np.asarray(scores)
    blank = scores.shape[-1] - 1 if blank == "last" else 0
    best = scores.argmax(axis=-1)
    out = []
    for row in best:
        seq, prev = [], None
        for k in row:
            if k != prev and k != blank:
                seq.append(int(k))
            prev = k
        out.append(seq)
    return out


ctc_shim = types.ModuleType("minigluon.ctc")
ctc_shim.greedy_decode = _greedy_decode
mxnet.ctc = ctc_shim
sys.modules.update({"minigluon": mxnet, "minigluon.gluon": mxnet.gluon,
                    "minigluon.ctc": ctc_shim})
sys.path.insert(0, os.path.join(ROOT, "examples"))

import captcha_ocr  # noqa: E402  (needs the module aliases above)

if __name__ == "__main__":
    sys.exit(0 if captcha_ocr.main()["reload_ok"] else 1)
