"""The LSTM and GRU time loops on the CPU, compiled with Numba when it is installed (optional).

:mod:`minigluon.ops._rnn_kernels` runs each LSTM step as one GEMM plus about ten NumPy calls
forward and six backward. At the sizes of a typical recurrent layer (N*H of a few thousand) each
call costs 1-9 us of memory traffic, so the element-wise work is most of the step. Here each step
is the same GEMM plus **one** compiled kernel that does all the element-wise work of the step in a
single pass, the structure of :mod:`minigluon.ops._rnn_cuda` on a GPU, and the whole time loop is
one compiled call (the GEMM by Numba's ``np.dot``, SciPy's BLAS), so a direction runs from its
first step to its last without Python's GIL: the two directions of a bidirectional layer on two
CPU workers (:mod:`minigluon.ops._parallel`) no longer wait for each other between steps:

* forward: add the recurrent product, activate the four gates (the weights of the sigmoid gates
  are halved as for the NumPy loop's ``0.5 * tanh(x / 2) + 0.5``, so the kernel computes
  ``sigmoid(2 y)``; internal gate order ``[i, f, o, g]``), ``c' = f * c + i * g``, ``tanh(c')``,
  ``h' = o * tanh(c')``;
* backward: ``dh += dout_t``, ``dc += dh * o * (1 - tanh(c')^2)``, the four pre-activation
  gradients in MXNet's order ``[i, f, g, o]`` from the kept activations (the NumPy loop first
  computes these derivative factors for all steps at once, five more passes over (T, N, H)
  arrays), ``dc *= f``.

``tanh`` and the sigmoid are computed here, not by libm: a scalar ``tanhf`` call per element
would not vectorise. ``tanh``: for ``|x| < 0.3`` an odd Taylor polynomial (terms to ``x**11``),
otherwise ``1 - 2 / (exp(2|x|) + 1)`` with ``exp`` by range reduction (``2**k * exp(r)``,
``|r| <= ln(2)/2``, a degree-7 Taylor polynomial); the sigmoid from the same ``exp``
(:func:`~minigluon.ops._rnn_numba_kernels.sigmoid_of_twice`). Both are within 1.2e-7 of the exact
value (about one float32 ulp, as NumPy's own float32 ``tanh``), NaN propagates. So results agree
with the NumPy loop to float32 rounding, not bit for bit.

The GRU step is the same idea (:func:`gru_forward_steps`: the recurrent product with its bias,
``r``, ``z``, ``n = tanh(. + r * .)``, the new state in one call; backward: both pre-activation
gradients and the carried ``dh * z``); a GRU layer (64, 32, 128) -> 64, forward and backward,
7.5 -> 5.1 ms.

Used for LSTM layers in float32 without sequence masks, state clipping or a projection, and GRU
layers in float32 without sequence masks, on NumPy arrays, when ``numba`` imports and the
environment variable ``MINIGLUON_NUMBA`` is not ``0`` (the switch shared by all compiled
kernels: :mod:`minigluon.ops._numba`) and SciPy is installed (Numba's ``np.dot`` calls its BLAS;
the ``fast`` extra installs both). Everything else takes the NumPy loop. Kernels are compiled
on first use (~2 s) and cached on disk by Numba (``__pycache__`` beside the kernel file,
``NUMBA_CACHE_DIR`` or the user's cache directory; where none is writable, compiled in each
process); Numba's import and LLVM take ~100 MiB of memory once per process.
"""
import numpy as np

from minigluon.ops import _numba


_blas = []      # [whether Numba's np.dot has a BLAS], once known


def _numba_has_blas():
    """Whether Numba can call BLAS from compiled code: its ``np.dot`` uses SciPy's BLAS
    (``scipy.linalg.cython_blas``), so SciPy must be installed."""
    if not _blas:
        try:
            from numba.np.linalg import ensure_blas
            ensure_blas()
            _blas.append(True)
        except ImportError:
            _blas.append(False)
    return _blas[0]


def kernels():
    """The kernel module (:mod:`minigluon.ops._rnn_numba_kernels`), or None when Numba is
    missing or switched off (:mod:`minigluon.ops._numba`) or SciPy is missing (the compiled
    loops' recurrent products are Numba's ``np.dot``, which calls SciPy's BLAS)."""
    found = _numba.kernels('_rnn_numba_kernels')
    return found if found is not None and _numba_has_blas() else None


def supported(xp, dtype, mask, clip, wr):
    """True when the compiled loop handles this call: NumPy, float32, no mask, clip or projection,
    and the kernels loaded (Numba and SciPy there, Numba not switched off)."""
    return (xp is np and np.dtype(dtype) == np.float32 and mask is None and clip is None
            and wr is None and kernels() is not None)


def forward_steps(gates, hs, cs, tcs, whT):
    """The LSTM recursion over all ``T`` steps, arrays as in ``_rnn_kernels.dir_forward`` (and
    :func:`minigluon.ops._rnn_cuda.forward_steps`): ``gates (T, N, 4H)`` pre-activations from the
    inputs, overwritten with the activated gates; ``hs``/``cs (T+1, N, H)`` with the initial state
    in row 0; ``tcs (T, N, H)``; ``whT (H, 4H)``."""
    T, N, gh = gates.shape
    kernels().forward_loop(gates, hs, cs, tcs, np.ascontiguousarray(whT),
                           np.empty((N, gh), dtype=gates.dtype))


def backward_steps(dh, dc, dout, gates, cs, tcs, dgx, wh):
    """The reverse loop: updates ``dh``/``dc (N, H)`` in place and fills ``dgx (T, N, 4H)`` in
    MXNet's gate order; ``dout (T, N, H)``, ``gates (T, N, 4H)`` activated ``[i, f, o, g]``,
    ``cs (T+1, N, H)``, ``tcs (T, N, H)``, ``wh (4H, H)``."""
    dout = np.ascontiguousarray(dout)     # the caller's view is reversed and sliced
    kernels().backward_loop(gates, cs, tcs, dout, dh, dc, dgx, np.ascontiguousarray(wh))


def gru_forward_steps(gates, hp, hs, whT, bh):
    """The GRU recursion over all ``T`` steps, arrays as in ``_rnn_kernels.dir_forward``:
    ``gates (T, N, 3H)`` pre-activations from the inputs, overwritten with the activated
    ``[r, z, n]``; ``hp (T, N, 3H)`` receives each step's recurrent product plus ``bh`` (the
    recurrent bias, ``r, z`` halves scaled as the weights); ``hs (T+1, N, H)`` with the initial
    state in row 0; ``whT (H, 3H)``."""
    kernels().gru_forward_loop(gates, hp, bh, hs, np.ascontiguousarray(whT))


def gru_backward_steps(dh, dout, gates, hp, hs, dgx, dgh, wh):
    """The GRU reverse loop: updates ``dh (N, H)`` in place and fills ``dgx`` / ``dgh (T, N, 3H)``,
    the gradients of the input and recurrent pre-activations; ``wh (3H, H)``."""
    dout = np.ascontiguousarray(dout)
    kernels().gru_backward_loop(gates, hp, hs, dout, dh, dgx, dgh, np.ascontiguousarray(wh),
                                np.empty_like(dh))
