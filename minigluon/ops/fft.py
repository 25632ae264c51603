"""``contrib.fft``, ``contrib.ifft`` and ``contrib.count_sketch``: operators that MXNet 1.9.1
builds for GPUs only (its CPU build raises "fft is only available for GPU", "CountSketch is only
available for GPU"); here they run on NumPy and CuPy alike.

Names, inputs, attributes, shapes and the interleaved complex layout follow MXNet 1.9.1
(``src/operator/contrib/fft*``, ``ifft*``, ``count_sketch*``): a complex vector of length ``d``
is stored as ``2 * d`` real numbers ``[re0, im0, re1, im1, ...]`` on the last axis. Neither
transform divides by ``d`` (cuFFT's convention, kept by MXNet), so ``ifft(fft(x)) == d * x``.
"""
import numpy as np

from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _interleave(xp, z, dtype):
    """Complex ``(..., d)`` -> real ``(..., 2 * d)`` ``[re0, im0, ...]`` in ``dtype``."""
    out = xp.stack([z.real, z.imag], axis=-1)
    return out.reshape(z.shape[:-1] + (2 * z.shape[-1],)).astype(dtype, copy=False)


def _complex(x):
    """Real ``(..., 2 * d)`` ``[re0, im0, ...]`` -> complex ``(..., d)``."""
    return x[..., 0::2] + 1j * x[..., 1::2]


def _wide(x):
    """float16 in float32 (the FFT routines take single or double precision)."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


class _Transform(Op):
    """What FFT and IFFT share: the ``compute_size`` attribute (MXNet's sub-batch size, which
    changes nothing in the results) and the data checks."""

    attrs = {'compute_size': Attr('int', 128)}

    def check_attrs(self):
        if self.compute_size < 1:
            raise ValueError('%s: compute_size must be at least 1, got %d'
                             % (self.name, self.compute_size))

    def _check(self, data):
        require_float(self, data)
        if data.ndim not in (2, 4):
            raise shape_error(self, 'data must be 2-D (N, d) or 4-D (N1, N2, N3, d), as in '
                              'MXNet', data)


@register
class FFT(_Transform):
    """The discrete Fourier transform of each row of real data (MXNet 1.9.1 ``_contrib_fft``,
    ``nd.contrib.fft``).

    ``data (N, d)`` or ``(N1, N2, N3, d)``, float -> ``(..., 2 * d)`` in ``data``'s dtype, the
    interleaved ``[re0, im0, re1, im1, ...]`` of ``y_k = sum_j x_j exp(-2 pi i j k / d)`` (not
    normalised). The gradient is ``Re(d * ifft(g))`` of the complex head gradient ``g``: the
    exact derivative, which MXNet's GPU kernel computes the same way. MXNet's CPU build has no
    kernel ("fft is only available for GPU").

    Raises
    ------
    ValueError
        ``data`` is not 2-D or 4-D, or ``compute_size`` is below 1.
    TypeError
        ``data`` is not floating-point.
    """

    name = '_contrib_fft'

    def forward(self, xp, data):
        self._check(data)
        self.dtype = data.dtype
        return _interleave(xp, xp.fft.fft(_wide(data), axis=-1), data.dtype)

    def backward(self, xp, grad):
        g = _complex(_wide(grad))
        return ((xp.fft.ifft(g, axis=-1) * g.shape[-1]).real.astype(self.dtype, copy=False),)

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or len(data) not in (2, 4):
            return super().infer_shape(in_shapes)
        return [tuple(data)], [tuple(data[:-1]) + (2 * data[-1],)]


@register
class IFFT(_Transform):
    """The inverse discrete Fourier transform of interleaved complex rows, real part only
    (MXNet 1.9.1 ``_contrib_ifft``, ``nd.contrib.ifft``).

    ``data (N, 2 * d)`` or ``(N1, N2, N3, 2 * d)`` holding ``[re0, im0, re1, im1, ...]`` ->
    ``(..., d)`` in ``data``'s dtype: ``Re(sum_k z_k exp(2 pi i j k / d))``, not divided by
    ``d``. The gradient is the interleaved ``fft`` of the (real) head gradient, the exact
    derivative, as MXNet's GPU kernel computes it. MXNet's CPU build has no kernel ("ifft is
    only available for GPU").

    Raises
    ------
    ValueError
        ``data`` is not 2-D or 4-D, its last axis is odd, or ``compute_size`` is below 1.
    TypeError
        ``data`` is not floating-point.
    """

    name = '_contrib_ifft'

    def forward(self, xp, data):
        self._check(data)
        if data.shape[-1] % 2:
            raise shape_error(self, 'the last axis holds (real, imaginary) pairs: its size must '
                              'be even', data)
        self.dtype = data.dtype
        z = _complex(_wide(data))
        return (xp.fft.ifft(z, axis=-1) * z.shape[-1]).real.astype(data.dtype, copy=False)

    def backward(self, xp, grad):
        return (_interleave(xp, xp.fft.fft(_wide(grad), axis=-1), self.dtype),)

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or len(data) not in (2, 4) or data[-1] % 2:
            return super().infer_shape(in_shapes)
        return [tuple(data)], [tuple(data[:-1]) + (data[-1] // 2,)]


@register
class CountSketch(Op):
    """Count sketch: project the last axis of ``data`` from ``d`` to ``out_dim`` with a hash
    and random signs (MXNet 1.9.1 ``_contrib_count_sketch``, ``nd.contrib.count_sketch``).

    ``data (N, d)`` or ``(N1, N2, N3, d)``; ``h`` and ``s`` of shape ``(1, d)`` (MXNet's form;
    ``(d,)`` works too): ``h[i]`` is the integer output column of input column ``i`` (in
    ``[0, out_dim)``, stored in any dtype), ``s[i]`` its sign (usually +1 or -1). Output
    ``(..., out_dim)`` in ``data``'s dtype with ``out[..., h[i]] += data[..., i] * s[i]``.
    ``processing_batch_size`` (MXNet's sub-batch size) changes nothing. The gradient of
    ``data`` is ``g[..., h[i]] * s[i]``; ``h`` and ``s`` get none, as in MXNet. MXNet's CPU
    build has no kernel ("CountSketch is only available for GPU").

    Raises
    ------
    ValueError
        ``data`` is not 2-D or 4-D, ``h`` or ``s`` do not hold ``d`` values on their last axis,
        an entry of ``h`` is not an integer in ``[0, out_dim)``, or ``out_dim`` is below 1.
    TypeError
        ``data`` is not floating-point.
    """

    name = '_contrib_count_sketch'
    arguments = ('data', 'h', 's')
    attrs = {'out_dim': Attr('int'), 'processing_batch_size': Attr('int', 32)}

    def check_attrs(self):
        if self.out_dim < 1:
            raise ValueError('_contrib_count_sketch: out_dim must be at least 1, got %d'
                             % self.out_dim)

    def _projection(self, xp, data, h, s):
        """The ``(d, out_dim)`` matrix with ``s[i]`` at ``(i, h[i])``, after checking ``h``."""
        d = data.shape[-1]
        for arr in (h, s):
            if arr.shape not in ((1, d), (d,)):
                raise shape_error(self, 'h and s must have shape (1, %d) (one entry per column '
                                  'of data)' % d, data, h, s)
        cols = to_host(h).reshape(-1)
        if ((cols != np.floor(cols)) | (cols < 0) | (cols >= self.out_dim)).any():
            raise ValueError('_contrib_count_sketch: h must hold integers in [0, out_dim=%d), '
                             'got %s' % (self.out_dim, cols.tolist()))
        proj = xp.zeros((d, self.out_dim), dtype=data.dtype)
        proj[xp.arange(d), xp.asarray(cols.astype(np.int64))] = s.reshape(-1).astype(data.dtype)
        return proj

    def forward(self, xp, data, h, s):
        require_float(self, data)
        if data.ndim not in (2, 4):
            raise shape_error(self, 'data must be 2-D (N, d) or 4-D (N1, N2, N3, d), as in MXNet',
                              data, h, s)
        self.proj = self._projection(xp, data, h, s)
        return data @ self.proj

    def backward(self, xp, grad):
        return grad @ self.proj.T, None, None

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or len(data) not in (2, 4):
            return super().infer_shape(in_shapes)
        d = data[-1]
        ins = [tuple(data)] + [tuple(s) if s is not None else (1, d) for s in in_shapes[1:]]
        return ins, [tuple(data[:-1]) + (self.out_dim,)]
