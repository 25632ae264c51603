"""``LRN``: local response normalisation across channels (MXNet 1.9.1 ``src/operator/nn/lrn.cc``;
Krizhevsky, Sutskever & Hinton 2012, section 3.3).

For channel ``c`` (axis 1) at each position::

    norm[c] = knorm + alpha / nsize * sum(data[j] ** 2 for j in window(c))
    out[c]  = data[c] * norm[c] ** -beta

with ``window(c) = [c - h, c + h]`` clipped to the channels and ``h = (nsize - 1) // 2``. For an
even ``nsize`` this is the window of ``nsize - 1`` channels while still dividing by ``nsize``:
what MXNet 1.9.1's CPU build (oneDNN) computes, checked against it. ``norm`` is the operator's
hidden second output (``tmp_norm``), as in MXNet.

Gradient (the window is symmetric, so its adjoint is itself)::

    d data[c] = g[c] * norm[c]**-beta
                - 2 * beta * alpha / nsize * data[c] * sum(g[j] * data[j] * norm[j]**(-beta-1), j in window(c))
"""
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _window_sum(xp, v, half):
    """Sum of ``v`` over channels ``[c - half, c + half]`` (axis 1), clipped to the edges."""
    if half == 0:
        return v
    c = v.shape[1]
    pad = [(0, 0)] * v.ndim
    pad[1] = (half + 1, half)
    csum = xp.cumsum(xp.pad(v, pad), axis=1)
    hi = csum.take(range(2 * half + 1, 2 * half + 1 + c), axis=1)
    lo = csum.take(range(0, c), axis=1)
    return hi - lo


@register
class LRN(Op):
    """Local response normalisation across channels (see the module docstring for the formula).

    ``data``: float16/32/64 of shape ``(N, C, ...)`` (MXNet uses ``(N, C, H, W)``). Attributes:
    ``alpha`` (default 1e-4), ``beta`` (0.75), ``knorm`` (2), ``nsize`` (window width, required,
    >= 1). Output: ``data``'s shape and dtype. Raises ValueError for ``nsize < 1`` or fewer than
    two dimensions, TypeError for integer data.
    """

    name = 'LRN'
    mxnet_input_names = True
    mxnet_output_names = True
    same_shape = True
    attrs = {'alpha': Attr('float', 1e-4), 'beta': Attr('float', 0.75),
             'knorm': Attr('float', 2.0), 'nsize': Attr('int')}
    num_outputs = 2
    num_visible_outputs = 1

    def check_attrs(self):
        if self.nsize < 1:
            raise ValueError('LRN: nsize (the window width) must be >= 1, got %d' % self.nsize)

    def list_outputs(self):
        return ['output', 'tmp_norm']

    def forward(self, xp, data):
        require_float(self, data)
        if data.ndim < 2:
            raise shape_error(self, 'data needs a channel axis: shape (N, C, ...)', data)
        self.half = (self.nsize - 1) // 2
        self.salpha = self.alpha / self.nsize
        norm = self.knorm + self.salpha * _window_sum(xp, data * data, self.half)
        self.x, self.norm = data, norm
        return (data * norm ** -self.beta).astype(data.dtype, copy=False), norm

    def backward(self, xp, grad, *unused):
        x, norm, beta = self.x, self.norm, self.beta
        scaled = _window_sum(xp, grad * x * norm ** (-beta - 1), self.half)
        dx = grad * norm ** -beta - 2 * beta * self.salpha * x * scaled
        return (dx.astype(x.dtype, copy=False),)
