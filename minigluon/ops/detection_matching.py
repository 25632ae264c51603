"""Greedy bipartite matching: ``_contrib_bipartite_matching``, the operator behind GluonCV's
``BipartiteMatcher`` (SSD training targets: each ground-truth box takes the anchor it overlaps
most, each anchor at most one box).

Name, input, attributes, outputs and the order in which ties are taken follow MXNet 1.9.1's CPU
operator (``src/operator/contrib/bounding_box-inl.h``), measured against it
(``tools/gen_bipartite_fixtures.py``); it appears as ``nd.contrib.bipartite_matching`` and
``sym.contrib.bipartite_matching``. Two deliberate differences, both where MXNet contradicts
its own documentation: ``topk=k`` makes at most ``k`` matches (MXNet 1.9.1 makes ``k + 1``),
and a NaN score is never matched while the other scores still are (MXNet 1.9.1's sort puts NaN
first and then stops at it, so a single NaN leaves the whole matrix unmatched).

The matching runs on the host in NumPy, one Python step per matrix entry visited; inputs on a
GPU are copied over and the results copied back.
"""
import numpy as np

from minigluon.ops.ctc_kernel import to_host
from minigluon.ops.registry import Attr, Op, register, require_float, shape_error


def _match_one(scores, threshold, is_ascend, topk):
    """Greedy matching of one ``(rows, cols)`` score matrix; ``(row_marker, col_marker)``.

    Entries are visited best first (descending scores, ascending with ``is_ascend``; ties in
    row-major order: a stable sort, as MXNet's). An entry whose row and column are both free is
    matched when its score passes the threshold (``> threshold``, or ``< threshold`` with
    ``is_ascend``); the first free pair that does not pass ends the matching, since every later
    one scores worse. NaN scores sort last, so they are never matched.
    """
    rows, cols = scores.shape
    row_marker = np.full(rows, -1, dtype=np.int64)
    col_marker = np.full(cols, -1, dtype=np.int64)
    flat = scores.reshape(-1).astype(np.float64)
    order = np.argsort(flat if is_ascend else -flat, kind='stable')
    count = 0
    for idx in order:
        if topk > 0 and count >= topk:
            break
        r, c = divmod(int(idx), cols)
        if row_marker[r] != -1 or col_marker[c] != -1:
            continue
        score = flat[idx]
        if not (score < threshold if is_ascend else score > threshold):
            break
        row_marker[r], col_marker[c] = c, r
        count += 1
    return row_marker, col_marker


@register
class BipartiteMatching(Op):
    """Greedy bipartite matching of the score matrices in ``data`` (``(..., rows, cols)``: every
    leading axis is a batch axis, each matrix is matched on its own).

    Per matrix, the entries are taken best first (highest score; lowest with ``is_ascend``; ties
    in row-major order). An entry whose row and column are both still free is matched if its
    score is ``> threshold`` (``< threshold`` with ``is_ascend``); the first free entry that fails
    the threshold ends that matrix's matching. ``topk > 0`` stops after ``topk`` matches
    (MXNet 1.9.1 stops after ``topk + 1``; its documentation says ``topk``). ``threshold`` is
    read as float32, as MXNet's.

    Outputs, in ``data``'s dtype: ``row_marker`` ``(..., rows)``, the column matched to each row
    or -1, and ``col_marker`` ``(..., cols)``, the row matched to each column or -1. A NaN score is
    never matched (MXNet 1.9.1 matches nothing in a matrix with a NaN). No gradient: backward
    sends zeros to ``data``, as MXNet's does.

    A matrix of 0 rows or 0 columns matches nothing: the markers of the other axis are all -1
    (MXNet 1.9.1 dies of a floating-point exception on 0 rows and refuses 0 columns as an
    unknown shape).

    Raises TypeError for integer scores (MXNet 1.9.1 refuses them too), ValueError for ``data``
    with fewer than 2 axes, and TypeError when ``threshold`` is missing (it is required, as in
    MXNet).
    """

    name = '_contrib_bipartite_matching'
    num_outputs = 2
    differentiable = False
    attrs = {'is_ascend': Attr('bool', False), 'threshold': Attr('float'),
             'topk': Attr('int', -1)}

    def forward(self, xp, data):
        require_float(self, data)
        if data.ndim < 2:
            raise shape_error(self, 'data must be a score matrix (..., rows, cols) with at least '
                              '2 axes', data)
        host = to_host(data)
        rows, cols = host.shape[-2:]
        batch = int(np.prod(host.shape[:-2]))
        mats = host.reshape((batch, rows, cols))
        row_marker = np.full((batch, rows), -1, dtype=np.int64)
        col_marker = np.full((batch, cols), -1, dtype=np.int64)
        threshold = float(np.float32(self.threshold))
        if rows and cols:
            for b, mat in enumerate(mats):
                row_marker[b], col_marker[b] = _match_one(mat, threshold, self.is_ascend,
                                                          self.topk)
        lead = data.shape[:-2]
        return (xp.asarray(row_marker.reshape(lead + (rows,)).astype(data.dtype)),
                xp.asarray(col_marker.reshape(lead + (cols,)).astype(data.dtype)))

    def backward(self, xp, grad_rows, grad_cols):
        return (None,)

    def infer_shape(self, in_shapes):
        shape = in_shapes[0]
        if shape is None or len(shape) < 2:
            return super().infer_shape(in_shapes)
        shape = tuple(shape)
        return [shape], [shape[:-1], shape[:-2] + shape[-1:]]

    def infer_type(self, in_types):
        t = in_types[0] or np.dtype(np.float32)
        return [t], [t, t]
