"""Operators legacy scripts use: ``Crop`` (the pre-Gluon spatial crop), ``khatri_rao``,
``_histogram`` (behind ``nd.histogram`` / ``sym.histogram``, see
:mod:`minigluon.ndarray.histogram`) and ``IdentityAttachKLSparseReg`` (the sparse autoencoder
regulariser of the pre-Gluon examples).

Names, inputs, attributes and defaults follow MXNet 1.9.1 (``src/operator/crop*``,
``src/operator/contrib/krprod*``, ``src/operator/tensor/histogram*``,
``src/operator/identity_attach_KL_sparse_reg*``).
"""
import numbers

import numpy as np

from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


@register
class Crop(Op):
    """Crop the two spatial axes of a 4-D ``(N, C, H, W)`` array (MXNet 1.9.1 ``Crop``, the
    legacy operator of FCN-style models; ``image.crop`` and ``slice`` are the modern ways).

    With ``num_args=1`` the crop is ``h_w = (h, w)`` pixels; with ``num_args=2`` it takes the
    height and width of the second input ``crop_like`` (axes 2 and 3 of a 4-D array; only its
    shape is read). The window starts at ``offset = (y, x)``, or with ``center_crop=True`` at
    ``((H - h) // 2, (W - w) // 2)``. Output ``(N, C, h, w)`` in ``data``'s dtype (any dtype;
    MXNet 1.9.1 takes float32 only). The gradient of ``data`` is the output gradient placed in the
    window (zeros elsewhere); ``crop_like`` gets a zero gradient, as in MXNet. Inputs are named
    ``arg0``, ``arg1`` as in MXNet. Raises ValueError naming ``h_w``, ``offset`` or the inputs when
    the window is empty or does not fit in ``data``.
    """

    name = 'Crop'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = None
    attrs = {'num_args': Attr('int'), 'offset': Attr('shape', (0, 0)), 'h_w': Attr('shape', (0, 0)),
             'center_crop': Attr('bool', False)}

    def check_attrs(self):
        if self.num_args not in (1, 2):
            raise ValueError('Crop: num_args must be 1 (crop to h_w) or 2 (crop to the shape of '
                             'the second input), got %d' % self.num_args)
        for key in ('offset', 'h_w'):
            if len(getattr(self, key)) != 2 or min(getattr(self, key)) < 0:
                raise ValueError('Crop: %s must be a pair of non-negative ints (y, x) / (h, w), '
                                 'got %s' % (key, getattr(self, key)))
        if self.num_args == 1 and min(self.h_w) < 1:
            raise ValueError('Crop: with one input, h_w=(h, w) must give the crop size (both at '
                             'least 1), got %s' % (self.h_w,))

    def forward(self, xp, *inputs):
        if len(inputs) != self.num_args:
            raise TypeError('Crop: num_args=%d but %d inputs given' % (self.num_args, len(inputs)))
        data = inputs[0]
        if data.ndim != 4 or (len(inputs) == 2 and inputs[1].ndim != 4):
            raise shape_error(self, 'every input must be 4-D (N, C, H, W)', *inputs)
        h, w = self.h_w if len(inputs) == 1 else inputs[1].shape[2:]
        big_h, big_w = data.shape[2:]
        if self.center_crop:
            y, x = (big_h - h) // 2, (big_w - w) // 2
        else:
            y, x = self.offset
        if h < 1 or w < 1 or y < 0 or x < 0 or y + h > big_h or x + w > big_w:
            raise shape_error(self, 'the crop window (h, w) = (%d, %d) at offset (y, x) = (%d, %d) '
                              'does not fit in data of spatial size (%d, %d)'
                              % (h, w, y, x, big_h, big_w), *inputs)
        self.window = (slice(None), slice(None), slice(y, y + h), slice(x, x + w))
        self.shapes = [a.shape for a in inputs]
        self.dtypes = [a.dtype for a in inputs]
        return xp.ascontiguousarray(data[self.window])

    def backward(self, xp, grad):
        gdata = xp.zeros(self.shapes[0], dtype=grad.dtype)
        gdata[self.window] = grad
        if len(self.shapes) == 1:
            return (gdata,)
        return gdata, xp.zeros(self.shapes[1], dtype=self.dtypes[1])


@register
class KhatriRao(Op):
    """The Khatri-Rao product (column-wise Kronecker product) of matrices
    (MXNet 1.9.1 ``khatri_rao``).

    Inputs ``(M_1, N)``, ..., ``(M_k, N)`` (one or more, all with ``N`` columns and the same
    dtype) give ``(M_1 * ... * M_k, N)``: column ``j`` is the Kronecker product of the inputs'
    columns ``j``, so row ``(i_1, ..., i_k)`` (row-major, the first input's index slowest) is
    ``prod_m A_m[i_m, j]``. Output dtype = the inputs'. Here it is differentiable (MXNet 1.9.1
    registers no gradient and refuses ``backward``; MXNet also fails on integer inputs, which
    work here). Raises ValueError naming the inputs for a non-2-D input or unequal column counts,
    TypeError for mixed dtypes.
    """

    name = 'khatri_rao'
    mxnet_input_names = True
    arguments = None
    attrs = {'num_args': Attr('int')}

    def check_attrs(self):
        if self.num_args < 1:
            raise ValueError('khatri_rao: num_args must be at least 1, got %d' % self.num_args)

    def forward(self, xp, *inputs):
        if len(inputs) != self.num_args or not inputs:
            raise TypeError('khatri_rao: num_args=%d but %d inputs given'
                            % (self.num_args, len(inputs)))
        if any(a.ndim != 2 for a in inputs) or len({a.shape[1] for a in inputs}) != 1:
            raise shape_error(self, 'every input must be a matrix (M_i, N) with the same number of '
                              'columns N', *inputs)
        if len({a.dtype for a in inputs}) != 1:
            raise TypeError('khatri_rao: all inputs must have the same dtype, got %s'
                            % [str(a.dtype) for a in inputs])
        self.inputs = inputs
        out = inputs[0]
        for a in inputs[1:]:
            out = (out[:, None, :] * a[None, :, :]).reshape(-1, a.shape[1])
        return xp.ascontiguousarray(out)

    def backward(self, xp, grad):
        rows = [a.shape[0] for a in self.inputs]
        k = len(rows)
        g = grad.reshape(tuple(rows) + (grad.shape[1],))
        out = []
        for m in range(k):
            prod = g
            for l, a in enumerate(self.inputs):
                if l != m:
                    prod = prod * a.reshape((1,) * l + (rows[l],) + (1,) * (k - 1 - l) + (a.shape[1],))
            others = tuple(i for i in range(k) if i != m)
            out.append(prod.sum(axis=others) if others else prod)
        return tuple(out)


@register
class Histogram(Op):
    """Counts of ``data``'s values (all axes flattened) per bin (MXNet 1.9.1 ``_histogram``, the
    operator behind ``nd.histogram`` / ``sym.histogram``).

    Either ``bin_cnt`` equal-width bins over ``range = (lo, hi)`` (both attributes, input
    ``data`` only; ``lo == hi`` widens the range to ``(lo - 0.5, hi + 0.5)``), or the bin edges
    given as a second input ``bins`` (1-d, increasing, at least 2 edges; neither attribute). A
    value ``v`` counts in bin ``i`` when ``edges[i] <= v < edges[i + 1]``; the last bin also holds
    ``v == edges[-1]``; values outside the edges (and NaN) are not counted. Outputs: the counts
    ``(bins,)`` int64 and the edges ``(bins + 1,)`` in ``data``'s dtype (with ``bin_cnt`` the
    edges are ``(hi * i + lo * (bin_cnt - i)) / bin_cnt`` rounded to that dtype, and values are
    binned against the rounded edges, as MXNet does). ``bins`` of another dtype than ``data``
    is compared as given (MXNet 1.9.1 reads it as ``data``'s dtype, garbage for another one).
    Not differentiable. Raises ValueError naming the attribute or input for a bad ``range``,
    ``bin_cnt`` or ``bins`` (edges that decrease somewhere included: MXNet 1.9.1 counts against
    them all the same).
    """

    name = '_histogram'
    mxnet_input_names = True
    arguments = ('data', 'bins')
    attrs = {'bin_cnt': Attr('int', None), 'range': Attr('any', None)}
    num_outputs = 2
    differentiable = False

    def check_attrs(self):
        if (self.bin_cnt is None) != (self.range is None):
            raise ValueError('_histogram: give both bin_cnt and range (equal-width bins) or '
                             'neither (edges as the input bins), got bin_cnt=%r, range=%r'
                             % (self.bin_cnt, self.range))
        if self.bin_cnt is None:
            return
        if self.bin_cnt < 1:
            raise ValueError('_histogram: bin_cnt must be at least 1, got %d' % self.bin_cnt)
        rng = self.range
        if (not isinstance(rng, (tuple, list)) or len(rng) != 2
                or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in rng)):
            raise ValueError('_histogram: range must be a pair of numbers (lo, hi), got %r' % (rng,))
        if not rng[0] <= rng[1]:
            raise ValueError('_histogram: range=(lo, hi) needs lo <= hi, got %r' % (rng,))
        # plain Python numbers, so that the JSON string reads "(0, 1.5)" as MXNet writes it, not
        # "(np.float32(0), ...)"; ints stay ints and a list stays a list, as MXNet prints them
        plain = type(rng)(int(v) if isinstance(v, numbers.Integral) else float(v) for v in rng)
        self.range = plain
        if 'range' in self.given:
            self.given['range'] = plain

    def list_arguments(self):
        return ['data'] if self.bin_cnt is not None else ['data', 'bins']

    def forward(self, xp, data, bins=None):
        values = data.reshape(-1)
        if self.bin_cnt is not None:
            lo, hi = float(self.range[0]), float(self.range[1])
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            cnt = self.bin_cnt
            i = np.arange(cnt + 1, dtype=np.float64)
            edges = xp.asarray(((hi * i + (cnt - i) * lo) / cnt).astype(data.dtype))
            # the range test in float64, as MXNet compares with its double-valued range
            wide = values.astype(np.float64)
            inside = (wide >= lo) & (wide <= hi)
            out_edges = edges
        else:
            if bins.ndim != 1 or bins.shape[0] < 2:
                raise ValueError('_histogram: input bins must be a 1-d array of at least 2 '
                                 'increasing edges, got shape %s' % (tuple(bins.shape),))
            if bool((bins[1:] < bins[:-1]).any()):
                # (MXNet 1.9.1 bins against unsorted edges all the same: garbage counts)
                raise ValueError('_histogram: input bins must be increasing edges, got %s'
                                 % (to_host(bins).tolist(),))
            edges, cnt = bins, bins.shape[0] - 1
            inside = (values >= edges[0]) & (values <= edges[-1])
            out_edges = xp.ascontiguousarray(bins.astype(data.dtype))
        target = xp.searchsorted(edges, values[inside], side='right') - 1
        target = xp.clip(target, 0, cnt - 1)
        counts = xp.bincount(target.astype(np.int64), minlength=cnt)[:cnt].astype(np.int64)
        return counts, out_edges

    def infer_type(self, in_types):
        data = in_types[0]
        return list(in_types), [np.dtype(np.int64), data]


@register
class IdentityAttachKLSparseReg(Op):
    """Identity forward; the backward adds the gradient of a KL sparseness penalty on the mean
    activation of each unit (MXNet 1.9.1 ``IdentityAttachKLSparseReg``, meant to follow a
    sigmoid; Hinton, "A Practical Guide to Training Restricted Boltzmann Machines", section 11).

    Inputs ``data (N, C)`` (float) and the auxiliary state ``moving_avg (C,)`` (the running mean
    activation; ``sym`` creates ``<name>_moving_avg`` initialised to zeros). The output is
    ``data``. The backward first updates ``moving_avg`` in place,
    ``moving_avg = momentum * moving_avg + (1 - momentum) * mean(data, axis=0)``, then returns
    ``grad + penalty * (-sparseness_target / moving_avg + (1 - sparseness_target) /
    (1 - moving_avg))`` (per column, the same for every row), as MXNet does. A moving average
    of exactly 0 or 1 gives inf, as in MXNet. MXNet's ``nd.IdentityAttachKLSparseReg`` cannot be
    called (its generated function takes one array, the operator wants two); here it takes
    ``(data, moving_avg)``.

    Raises
    ------
    ValueError
        ``data`` is not 2-D, ``moving_avg`` is not ``(C,)``, or ``sparseness_target`` or
        ``momentum`` is outside [0, 1].
    TypeError
        ``data`` is not floating-point.
    """

    name = 'IdentityAttachKLSparseReg'
    mxnet_input_names = True
    mxnet_output_names = True
    arguments = ('data', 'moving_avg')
    positional_inputs = 1       # MXNet 1.9.1's signature: (data, sparseness_target, ...)
    attrs = {'sparseness_target': Attr('float', 0.1), 'penalty': Attr('float', 0.001),
             'momentum': Attr('float', 0.9)}
    mutate_inputs = (1,)

    def check_attrs(self):
        for key in ('sparseness_target', 'momentum'):
            if not 0 <= getattr(self, key) <= 1:
                raise ValueError('IdentityAttachKLSparseReg: %s must be in [0, 1], got %g'
                                 % (key, getattr(self, key)))

    def forward(self, xp, data, moving_avg):
        require_float(self, data)
        if data.ndim != 2 or moving_avg.shape != data.shape[1:]:
            raise shape_error(self, 'data must be 2-D (N, C) and moving_avg (C,)', data, moving_avg)
        self.data, self.moving_avg = data, moving_avg
        return data.copy()

    def backward(self, xp, grad, *unused):
        m = self.momentum
        self.moving_avg[...] = m * self.moving_avg + (1 - m) * self.data.mean(axis=0)
        t, avg = self.sparseness_target, self.moving_avg
        penalty = self.penalty * (-t / avg + (1 - t) / (1 - avg))
        return (grad + penalty).astype(grad.dtype, copy=False), None

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or len(data) != 2:
            return super().infer_shape(in_shapes)
        return [tuple(data), (data[1],)], [tuple(data)]
