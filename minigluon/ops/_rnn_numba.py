"""The LSTM and GRU time loops on the CPU, compiled with Numba when it is installed (optional).

:mod:`minigluon.ops._rnn_kernels` runs each LSTM step as one GEMM plus about ten NumPy calls
forward and six backward. At the sizes of a typical recurrent layer (N*H of a few thousand) each
call costs 1-9 us of memory traffic, so the element-wise work is most of the step. Here each step
is the same GEMM plus **one** compiled kernel that does all the element-wise work of the step in a
single pass, the structure of :mod:`minigluon.ops._rnn_cuda` on a GPU. For small recurrent
products (:func:`whole_loop`) the whole time loop is one compiled call (the GEMM by Numba's
``np.dot``, SciPy's BLAS), so a direction runs from its first step to its last without Python's
GIL: the two directions of a bidirectional layer on two CPU workers
(:mod:`minigluon.ops._parallel`) then do not wait for each other between steps:

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
kernels: :mod:`minigluon.ops._numba`); the whole-loop form also needs SciPy (Numba's ``np.dot``
calls its BLAS; the ``fast`` extra installs both). Everything else takes the NumPy loop. Kernels are compiled
on first use (~2 s) and cached on disk by Numba (``__pycache__`` beside the kernel file,
``NUMBA_CACHE_DIR`` or the user's cache directory; where none is writable, compiled in each
process); Numba's import and LLVM take ~100 MiB of memory once per process.
"""
import numpy as np

from minigluon.ops import _numba


_blas = []      # [whether Numba's np.dot has a BLAS], once known

#: Most multiply-adds of one step's recurrent product (``N * H * gates``) for which the whole time
#: loop runs as one compiled call; above it each step's product is NumPy's own GEMM, called from
#: a Python loop (see :func:`whole_loop`).
WHOLE_LOOP_MAX = 1 << 20


def _numba_has_blas():
    """Whether Numba can call BLAS from compiled code: its ``np.dot`` uses SciPy's BLAS
    (``scipy.linalg.cython_blas``), so SciPy must be installed. The first time it is, SciPy's
    own BLAS library is given one thread (:func:`_one_thread_for_scipy_blas`)."""
    if not _blas:
        try:
            from numba.np.linalg import ensure_blas
            ensure_blas()
            found = True
        except (ImportError, OSError):      # no SciPy, or one whose BLAS library fails to load
            found = False
        if found:
            _one_thread_for_scipy_blas()
        _blas[:] = [found]
    return _blas[0]


def _one_thread_for_scipy_blas():
    """Set the BLAS library that SciPy bundles (the one Numba's ``np.dot`` calls in the compiled
    loops) to one thread, through ``threadpoolctl`` (the ``fast`` extra installs it; without it
    nothing changes). Returns the number of libraries changed.

    Why: each step's recurrent product is small (32x64 by 64x256 for the benchmark's LSTM), and a
    multi-threaded OpenBLAS hands every one to its threads, which then spin, waiting for the next;
    beside NumPy's OpenBLAS, whose threads do the same, they fight for the cores. On the 2-core
    development machine with two BLAS threads (OpenBLAS's default there) a hybridized ctc step of
    ``bench/bench_train.py`` took 506 and 664 ms with SciPy's library threaded and 59 and 66 ms
    with it on one thread (other work running, load 3.6-4.2; NumPy's library kept its two
    threads in both). Only a library inside SciPy's own directories (``scipy.libs``,
    ``scipy/.dylibs``) is changed: NumPy's, and a system BLAS that SciPy shares with NumPy, keep
    their threads (set ``OPENBLAS_NUM_THREADS=1`` before NumPy loads for those, as
    ``examples/captcha_ocr.py`` does)."""
    try:
        import scipy
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return 0
    import os
    base = os.path.realpath(os.path.dirname(scipy.__file__))
    own = (base + os.sep, base + '.libs' + os.sep)
    changed = 0
    for lib in ThreadpoolController().lib_controllers:
        path = os.path.realpath(lib.filepath or '')
        if lib.user_api == 'blas' and path.startswith(own) and lib.num_threads != 1:
            lib.set_num_threads(1)
            changed += 1
    return changed


def kernels():
    """The kernel module (:mod:`minigluon.ops._rnn_numba_kernels`), or None when Numba is
    missing or switched off (:mod:`minigluon.ops._numba`)."""
    return _numba.kernels('_rnn_numba_kernels')


def supported(xp, dtype, mask, clip, wr):
    """True when the compiled steps handle this call: NumPy, float32, no mask, clip or projection,
    and the kernels loaded (Numba there and not switched off)."""
    return (xp is np and np.dtype(dtype) == np.float32 and mask is None and clip is None
            and wr is None and kernels() is not None)


def whole_loop(n, h, gates):
    """Whether the time loop runs as one compiled call (``True``) or as a Python loop of NumPy's
    GEMM plus one compiled step (``False``). The compiled loop holds no GIL from the first step
    to the last, which is what two CPU workers running the two directions need, but its GEMM is
    SciPy's BLAS (Numba's ``np.dot``): it needs SciPy, and SciPy's OpenBLAS may be slower than
    NumPy's on larger products (here SciPy 1.17's OpenBLAS 0.3.30 against NumPy 2.4's 0.3.31:
    the same 32x64 by 64x256 product, but 207 against 161 us for 32x256 by 256x1024; the loops of
    a (64, 32, 128) -> 128 layer were level, -> 256 22% slower). So the compiled loop is taken up
    to :data:`WHOLE_LOOP_MAX` multiply-adds per step (``n * h * gates``)."""
    return n * h * gates <= WHOLE_LOOP_MAX and _numba_has_blas()


def forward_steps(gates, hs, cs, tcs, whT):
    """The LSTM recursion over all ``T`` steps, arrays as in ``_rnn_kernels.dir_forward`` (and
    :func:`minigluon.ops._rnn_cuda.forward_steps`): ``gates (T, N, 4H)`` pre-activations from the
    inputs, overwritten with the activated gates; ``hs``/``cs (T+1, N, H)`` with the initial state
    in row 0; ``tcs (T, N, H)``; ``whT (H, 4H)``."""
    T, N, gh = gates.shape
    hh = np.empty((N, gh), dtype=gates.dtype)
    if whole_loop(N, gh // 4, gh):
        kernels().forward_loop(gates, hs, cs, tcs, np.ascontiguousarray(whT), hh)
        return
    step = kernels().forward_step
    for t in range(T):
        np.dot(hs[t], whT, out=hh)
        step(gates[t], hh, cs[t], cs[t + 1], tcs[t], hs[t + 1])


def backward_steps(dh, dc, dout, gates, cs, tcs, dgx, wh):
    """The reverse loop: updates ``dh``/``dc (N, H)`` in place and fills ``dgx (T, N, 4H)`` in
    MXNet's gate order; ``dout (T, N, H)``, ``gates (T, N, 4H)`` activated ``[i, f, o, g]``,
    ``cs (T+1, N, H)``, ``tcs (T, N, H)``, ``wh (4H, H)``."""
    dout = np.ascontiguousarray(dout)     # the caller's view is reversed and sliced
    N, gh = dgx.shape[1:]
    if whole_loop(N, gh // 4, gh):
        kernels().backward_loop(gates, cs, tcs, dout, dh, dc, dgx, np.ascontiguousarray(wh))
        return
    step = kernels().backward_step
    for t in range(dout.shape[0] - 1, -1, -1):
        step(gates[t], cs[t], tcs[t], dout[t], dh, dc, dgx[t])
        np.dot(dgx[t], wh, out=dh)


def gru_forward_steps(gates, hp, hs, whT, bh):
    """The GRU recursion over all ``T`` steps, arrays as in ``_rnn_kernels.dir_forward``:
    ``gates (T, N, 3H)`` pre-activations from the inputs, overwritten with the activated
    ``[r, z, n]``; ``hp (T, N, 3H)`` receives each step's recurrent product plus ``bh`` (the
    recurrent bias, ``r, z`` halves scaled as the weights); ``hs (T+1, N, H)`` with the initial
    state in row 0; ``whT (H, 3H)``."""
    N, gh = gates.shape[1:]
    if whole_loop(N, gh // 3, gh):
        kernels().gru_forward_loop(gates, hp, bh, hs, np.ascontiguousarray(whT))
        return
    step = kernels().gru_forward_step
    for t in range(gates.shape[0]):
        np.dot(hs[t], whT, out=hp[t])
        step(gates[t], hp[t], bh, hs[t], hs[t + 1])


def gru_backward_steps(dh, dout, gates, hp, hs, dgx, dgh, wh):
    """The GRU reverse loop: updates ``dh (N, H)`` in place and fills ``dgx`` / ``dgh (T, N, 3H)``,
    the gradients of the input and recurrent pre-activations; ``wh (3H, H)``."""
    dout = np.ascontiguousarray(dout)
    back = np.empty_like(dh)
    N, gh = dgx.shape[1:]
    if whole_loop(N, gh // 3, gh):
        kernels().gru_backward_loop(gates, hp, hs, dout, dh, dgx, dgh, np.ascontiguousarray(wh),
                                    back)
        return
    step = kernels().gru_backward_step
    for t in range(dout.shape[0] - 1, -1, -1):
        step(gates[t], hp[t], hs[t], dout[t], dh, dgx[t], dgh[t])
        np.dot(dgh[t], wh, out=back)
        dh += back
