"""Connectionist Temporal Classification loss: the ``CTCLoss`` operator (MXNet 1.9.1 semantics).

The loss of one sample is ``-log p(l | x)``, summed over every alignment of the label ``l`` to the
frames of ``x`` (Graves et al., "Connectionist Temporal Classification", ICML 2006). Its gradient
with respect to the unnormalised activations is ``softmax(x) - occupancy`` (Graves 2006, eq. 16).
As in MXNet and warp-ctc, the forward pass computes the gradient too and saves it; backward only
scales it by the incoming gradient. The computation lives in :mod:`minigluon.ops.ctc_kernel` (whose
docstring defines the terms); this module validates inputs (:func:`check_ctc_inputs`: shapes, the
label lengths read from the padding or given, the label classes) and declares the operator
(:class:`CTCLoss`, whose ``forward`` calls :func:`~minigluon.ops.ctc_kernel.ctc_loss_and_grad`).

A sample with no alignment at all (it needs ``L + repeats`` frames: adjacent equal labels need a
blank between them), or whose every alignment passes through an activation of ``-inf`` (a masked
class), gets loss ``+inf`` (or 0 with ``zero_infinity``) and an exactly zero gradient.
"""
import numpy as np

from minigluon.ops.ctc_kernel import ctc_loss_and_grad, to_host
from minigluon.ops.registry import Attr, Op, register


# ---------------------------------------------------------------------------------------------------
# Input validation (on the host, before any computation)

def _as_lengths(op, arr, name, n, upper, upper_desc):
    """``arr`` (``data_lengths`` or ``label_lengths``, any numeric dtype) as an (n,) int64 host
    array, after checking its shape and that every entry is an integer in ``[0, upper]``."""
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError('%s: %s must have shape (batch_size,) = (%d,), got %s'
                         % (op.name, name, n, arr.shape))
    vals = arr.astype(np.float64)
    bad = np.nonzero(~np.isfinite(vals) | (vals != np.round(vals)) | (vals < 0) | (vals > upper))[0]
    if len(bad):
        i = bad[0]
        raise ValueError('%s: %s[%d] = %r is invalid; lengths must be integers in [0, %d] (%s)'
                         % (op.name, name, i, arr[i].item(), upper, upper_desc))
    return vals.astype(np.int64)


def _check_shapes(op, data, label):
    """Ranks, data's dtype, the alphabet size and the batch sizes of ``data`` (T, N, C) and
    ``label`` (N, L)."""
    if data.ndim != 3:
        raise ValueError('%s: data must be 3-D (sequence_length, batch_size, alphabet_size), got shape %s'
                         % (op.name, tuple(data.shape)))
    if data.dtype.kind != 'f':
        raise ValueError('%s: data must be floating point (float16/32/64), got %s' % (op.name, data.dtype))
    T, N, C = data.shape
    if C < 1:
        raise ValueError('%s: data.shape[2] (alphabet_size, blank included) must be at least 1, got shape %s'
                         % (op.name, tuple(data.shape)))
    if label.ndim != 2:
        raise ValueError('%s: label must be 2-D (batch_size, max_label_length), got shape %s'
                         % (op.name, tuple(label.shape)))
    if label.shape[0] != N:
        raise ValueError('%s: batch sizes disagree: data has %d sequences (data.shape[1]) but label has %d '
                         'rows (label.shape[0])' % (op.name, N, label.shape[0]))


def _check_label_classes(op, label, lab, used, alphabet_size, lengths_given):
    """Every used label entry (``used`` (N, L) bool) must be an integer class other than the
    blank: ``0 .. C-2`` with ``blank_label='last'`` (blank ``C-1``, padding -1), ``1 .. C-1``
    with ``'first'`` (blank 0, padding 0). ``lab`` is ``label`` as float64."""
    C = alphabet_size
    last = op.blank_label == 'last'
    low, high = (0, C - 2) if last else (1, C - 1)
    wrong = used & (~np.isfinite(lab) | (lab != np.round(lab)) | (lab < low) | (lab > high))
    if wrong.any():
        b, j = np.argwhere(wrong)[0]
        raise ValueError(
            "%s: label[%d, %d] = %r is not a valid class: with blank_label='%s' and alphabet_size %d "
            "(data.shape[2]) labels must be integers in [%d, %d], the blank is %d and rows are padded "
            "with %d%s" % (op.name, b, j, label[b, j].item(), op.blank_label, C, low, high,
                           C - 1 if last else 0, -1 if last else 0,
                           ' (label_lengths is given, so padding inside a row is not allowed)'
                           if lengths_given else ''))


def check_ctc_inputs(op, data, label, data_lengths=None, label_lengths=None):
    """Validate CTC inputs; return host arrays ``(labels, label_len, frames, blank)``.

    ``data`` (T, N, C), ``label`` (N, L) a host array of any numeric dtype, the lengths (N,) host
    arrays or None; ``op`` supplies ``name`` and ``blank_label``. Without ``label_lengths`` a row
    ends at its first padding value (-1 with ``blank_label='last'``, 0 with ``'first'``: what
    MXNet 1.9.1's code does). Returns ``labels`` (N, L) int64 (0 past each length),
    ``label_len`` and ``frames`` (N,) int64, and the blank's class index (``C-1`` or 0).

    Raises
    ------
    ValueError
        Naming the argument, the offending position and the expected form.
    """
    _check_shapes(op, data, label)
    T, N, C = data.shape
    lab = label.astype(np.float64)
    L = lab.shape[1]
    last = op.blank_label == 'last'
    pad = -1 if last else 0
    if label_lengths is not None:
        label_len = _as_lengths(op, label_lengths, 'label_lengths', N, L, 'label.shape[1]')
    else:
        is_pad = np.concatenate([lab == pad, np.ones((N, 1), dtype=bool)], 1)   # (N, 0) labels too
        label_len = is_pad.argmax(1)
    frames = (_as_lengths(op, data_lengths, 'data_lengths', N, T, 'data.shape[0]')
              if data_lengths is not None else np.full(N, T, dtype=np.int64))
    used = np.arange(L)[None, :] < label_len[:, None]
    _check_label_classes(op, label, lab, used, C, label_lengths is not None)
    labels = np.where(used, lab, 0).astype(np.int64)
    return labels, label_len, frames, (C - 1 if last else 0)


@register
class CTCLoss(Op):
    """Connectionist Temporal Classification loss (MXNet ``CTCLoss``, aliases ``ctc_loss``,
    ``_contrib_CTCLoss``, ``_contrib_ctc_loss``).

    Inputs
    ------
    data : (T, N, C) float16/32/64
        Unnormalised activations; a log-softmax over ``C`` is applied inside. float16 is computed in
        float32 and returned as float16.
    label : (N, L) float or int
        Class indices. Without ``label_lengths`` a row ends at its first padding value.
    data_lengths : (N,), with ``use_data_lengths=True``, any integer or float dtype
        Frames used per sample (integers in ``[0, T]``); gradient rows beyond are zero.
    label_lengths : (N,), with ``use_label_lengths=True``, any integer or float dtype
        Labels used per row (integers in ``[0, L]``); padding is then not inspected.

    Attributes
    ----------
    use_data_lengths, use_label_lengths : bool, default False
    blank_label : {'first', 'last'}, default 'first'
        ``'first'``: the blank is class 0, labels are ``1..C-1`` and rows are padded with 0.
        ``'last'``: the blank is class ``C-1``, labels are ``0..C-2``, padding is -1 (what
        ``gluon.loss.CTCLoss`` uses). This follows MXNet's code; MXNet 1.9.1's parameter text
        states the two padding values the other way round.
    zero_infinity : bool, default False
        minigluon extension (not an MXNet attribute): report 0 instead of ``+inf`` for samples with
        no alignment or a label of probability 0.

    Outputs
    -------
    loss : (N,)
        ``-log p(label | data)`` per sample; ``+inf`` (gradient exactly 0) for a sample that needs
        more frames than it has (its label length plus its repeated neighbours above its
        ``data_lengths`` entry, or ``T``) and for one whose label has probability 0 because of
        ``-inf`` activations (for the latter MXNet 1.9.1 also gives ``inf``; for the former it
        gives 0, see Notes). Never negative.
    grad : (T, N, C), hidden
        The gradient of the loss with respect to ``data`` (MXNet's second, invisible output).

    Raises
    ------
    ValueError
        data not 3-D or not floating point, label not 2-D, batch sizes that disagree, lengths of the
        wrong shape, negative, non-integral or beyond the tensor extent, labels equal to the blank
        or outside the class range (naming the position).

    Notes
    -----
    Semantics: MXNet 1.9.1 ``src/operator/nn/ctc_loss.cc``, Graves et al. 2006. Unlike MXNet (loss 0,
    undefined gradient) infeasible samples give ``+inf`` and a zero gradient, and invalid labels
    raise instead of computing garbage. A sample with no frames (``data_lengths`` 0) and an empty
    label has probability 1, so loss 0 (MXNet 1.9.1 returns uninitialised memory, or aborts).
    Differences from MXNet 1.9.1 found by ``tools/fuzz_ctc.py`` (pinned in
    ``tests/loss/test_ctc_fuzz_regressions.py``): a batch whose labels are all empty gets the
    all-blank path's loss (MXNet: uninitialised memory); a nearly certain label (``p(l|x)`` ~ 1)
    gets the true, vanishing gradient (MXNet returns the softmax, 1 at the label's class); lengths
    may have any integer or float dtype (MXNet requires ``data_lengths`` in data's dtype and
    ``label_lengths`` in label's); labels and lengths receive no gradient (MXNet leaves it
    unwritten, so through the transpose of a hybridized ``gluon.loss.CTCLoss(label_layout='TN')``
    uninitialised memory reaches the label's gradient buffer; minigluon gives zeros).
    """

    name = 'CTCLoss'
    mxnet_input_names = True
    aliases = ('ctc_loss', '_contrib_CTCLoss', '_contrib_ctc_loss')
    arguments = ('data', 'label', 'data_lengths', 'label_lengths')
    attrs = {'use_data_lengths': Attr('bool', False),
             'use_label_lengths': Attr('bool', False),
             'blank_label': Attr('str', 'first', choices=('first', 'last')),
             'zero_infinity': Attr('bool', False)}
    num_outputs = 2
    num_visible_outputs = 1

    def list_arguments(self):
        return (['data', 'label'] + (['data_lengths'] if self.use_data_lengths else [])
                + (['label_lengths'] if self.use_label_lengths else []))

    def list_outputs(self):
        return ['output0', 'output1']       # MXNet declares no names: ``ctc_output0`` in symbols

    def forward(self, xp, data, label, *lengths):
        """Loss (N,) and the hidden gradient (T, N, C), both in ``data``'s dtype; the gradient is
        kept for :meth:`backward`."""
        lengths = list(lengths)
        data_lengths = to_host(lengths.pop(0)) if self.use_data_lengths else None
        label_lengths = to_host(lengths.pop(0)) if self.use_label_lengths else None
        labels, label_len, frames, blank = check_ctc_inputs(self, data, to_host(label), data_lengths,
                                                            label_lengths)
        loss, grad = ctc_loss_and_grad(xp, data, labels, label_len, frames, blank,
                                       zero_infinity=self.zero_infinity)
        self.grad = grad
        self.n_inputs = len(self.list_arguments())
        return loss.astype(data.dtype, copy=False), grad.astype(data.dtype, copy=False)

    def backward(self, xp, grad_loss, grad_hidden):
        """The saved gradient scaled per sample by ``grad_loss`` (N,); no gradient for the
        labels and lengths, none at all when autograd needs none for ``data``."""
        need = getattr(self, 'needs_input_grad', None)     # set by autograd / CachedOp
        if need is not None and not need[0]:
            return (None,) * self.n_inputs
        g = self.grad * grad_loss.astype(self.grad.dtype)[None, :, None]
        return (g.astype(grad_loss.dtype),) + (None,) * (self.n_inputs - 1)

    def infer_shape(self, in_shapes):
        data = in_shapes[0]
        if data is None or len(data) != 3:
            raise ValueError('CTCLoss: data must be 3-D (sequence_length, batch_size, alphabet_size), got '
                             'shape %s' % (data,))
        T, N, C = data
        shapes = list(in_shapes)
        for i, s in enumerate(shapes[2:], 2):
            shapes[i] = s if s is not None else (N,)
        if shapes[1] is None:
            raise ValueError('CTCLoss: the shape of label cannot be inferred; give it')
        return shapes, [(N,), (T, N, C)]

    def infer_type(self, in_types):
        """The outputs have data's dtype; the label and lengths (any numeric dtype) cannot be
        inferred and stay unknown unless given, as in MXNet 1.9.1 (so ``infer_type`` gives
        ``(None, None, None)`` without them; they used to be filled with float32)."""
        dt = in_types[0]
        return list(in_types), [dt, dt]
