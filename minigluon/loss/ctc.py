"""``CTCLoss``: the Gluon block over the ``CTCLoss`` operator (``mxnet.gluon.loss.CTCLoss``, 1.9.1).

The block only moves axes to the operator's layout (``(T, N, C)`` activations, ``(N, L)`` labels),
picks ``blank_label='last'``, applies the weights, and words errors in its own argument names;
the operator and its input checks are :mod:`minigluon.ops.ctc`, the recursions and the gradient
:mod:`minigluon.ops.ctc_kernel` (its docstring defines the terms and gives a reading order), the
decoders :mod:`minigluon.ctc`. ``docs/DESIGN.md`` ("CTC, the centrepiece") is the reading guide.
"""
from minigluon import ndarray
from minigluon.base import MXNetValueError
from minigluon.loss.loss import Loss, _apply_weighting


class CTCLoss(Loss):
    """Connectionist Temporal Classification loss (Graves et al. 2006).

    Parameters
    ----------
    layout : {'NTC', 'TNC'}, default 'NTC'
        Layout of ``pred``: batch, time and class axes.
    label_layout : {'NT', 'TN'}, default 'NT'
        Layout of ``label``; ``batch_axis`` is the position of 'N' in it.
    weight : float, optional
        Global scalar weight of the loss.
    zero_infinity : bool, default False
        minigluon extension: report 0 (instead of ``+inf``) for samples whose label cannot be
        aligned to their frames, or has probability 0 (``-inf`` activations wherever it could be
        emitted). Their gradient is zero either way.

    Inputs (``hybrid_forward(F, pred, label, pred_lengths=None, label_lengths=None, sample_weight=None)``)
    -------------------------------------------------------------------------------------------------
    pred : (N, T, C) or (T, N, C)
        Unnormalised activations; the operator applies a log-softmax over C. Class ``C-1`` is the
        blank, labels are ``0 .. C-2``.
    label : (N, L) or (L, N)
        Label indices padded with -1; a row ends at its first -1 unless ``label_lengths`` is given.
    pred_lengths : (N,), optional
        Frames used per sample; the gradient beyond them is zero.
    label_lengths : (N,), optional
        Labels used per row.
    sample_weight : (N,) or (N, 1), optional
        Per-sample weights (both shapes give a loss of shape (N,), unlike MXNet which broadcasts
        (N, 1) to (N, N)); (1,) or (1, 1) weighs every sample alike. A sample weighted 0 has loss
        0 and gradient 0 even when its label is infeasible (its unweighted loss +inf; ``inf * 0``
        would be NaN).

    Returns
    -------
    NDArray, shape (N,)
        The per-sample negative log-likelihood, not reduced over batch or time.

    Raises
    ------
    ValueError
        For an unknown layout. ``MXNetValueError`` (a ``ValueError`` and an ``MXNetError``, as
        MXNet raises ``MXNetError`` for bad shapes) for pred not 3-D, label not 2-D, invalid labels
        or lengths, or a sample_weight of another shape; hybridized too, in this block's argument
        names (``pred_lengths``, ``pred.shape[1], the time axis``).
    """

    def __init__(self, layout='NTC', label_layout='NT', weight=None, zero_infinity=False, **kwargs):
        if layout not in ('NTC', 'TNC'):
            raise ValueError("CTCLoss: layout must be 'NTC' or 'TNC', got %r" % (layout,))
        if label_layout not in ('NT', 'TN'):
            raise ValueError("CTCLoss: label_layout must be 'NT' or 'TN', got %r" % (label_layout,))
        self._layout = layout
        self._label_layout = label_layout
        self._zero_infinity = bool(zero_infinity)
        super().__init__(weight, label_layout.find('N'), **kwargs)

    def forward(self, pred, label, *args):
        """Run eagerly, through the cached graph once hybridized, or compose Symbols. A hybridized
        call on NDArrays checks ``pred``, ``label`` and ``sample_weight`` as an eager one does and
        words the operator's errors in this block's argument names (``pred_lengths``, the axes of
        ``layout``) instead of the operator's (``data_lengths``, ``data.shape[0]``)."""
        if not (self._active and isinstance(pred, ndarray.NDArray)):
            return super().forward(pred, label, *args)
        sample_weight = args[2] if len(args) > 2 else None     # args: pred_lengths, label_lengths, ...
        self._check_arrays(pred, label, sample_weight, args[:2])
        try:
            return super().forward(pred, label, *args)
        except ValueError as err:
            if 'CTCLoss: ' not in str(err):
                raise
            raise type(err)(self._in_block_terms(str(err))).with_traceback(err.__traceback__) from None

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None, sample_weight=None):
        """Move ``pred`` to (T, N, C) and ``label`` to (N, L), call the ``CTCLoss`` operator with
        ``blank_label='last'`` (:class:`minigluon.ops.ctc.CTCLoss`), weight the (N,) loss."""
        if F is ndarray:
            self._check_arrays(pred, label, sample_weight, (pred_lengths, label_lengths))
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, dim1=0, dim2=1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, dim1=0, dim2=1)
        # zero_infinity is not an MXNet attribute: passed only when set, so an exported graph
        # without it stays readable by MXNet
        extra = {'zero_infinity': True} if self._zero_infinity else {}
        try:
            loss = F.CTCLoss(pred, label, pred_lengths, label_lengths,
                             use_data_lengths=pred_lengths is not None,
                             use_label_lengths=label_lengths is not None,
                             blank_label='last', **extra)
        except ValueError as err:
            if F is not ndarray:
                raise
            raise MXNetValueError(self._in_block_terms(str(err))) from err
        if sample_weight is not None:
            sample_weight = F.reshape(sample_weight, shape=(-1,))
            # a sample weighted 0 is excluded: its loss is 0 even when it is +inf (an infeasible
            # label), where inf * 0 would be NaN; its gradient is 0 either way
            excluded = F.broadcast_like(F.broadcast_equal(sample_weight, F.zeros_like(sample_weight)),
                                        loss)
            loss = F.where(excluded, F.zeros_like(loss), loss)
        return _apply_weighting(F, loss, self._weight, sample_weight)

    def _in_block_terms(self, message):
        """Rephrase the operator's error (``data``, ``data_lengths``, (T, N, C) axes) in this block's
        argument names and ``layout``, so the user reads about the arrays they passed."""
        t_axis, n_axis = self._layout.find('T'), self._layout.find('N')
        label_n_axis = self._label_layout.find('N')
        for op_term, block_term in (('data_lengths', 'pred_lengths'),
                                    ('data has', 'pred has'),
                                    ('data.shape[0]', 'pred.shape[%d], the time axis' % t_axis),
                                    ('data.shape[1]', 'pred.shape[%d], the batch axis' % n_axis),
                                    ('data.shape[2]', 'pred.shape[2]'),
                                    ('rows (label.shape[0])',
                                     'sequences (label.shape[%d], the batch axis of label_layout %r)'
                                     % (label_n_axis, self._label_layout))):
            message = message.replace(op_term, block_term)
        return message

    def _check_arrays(self, pred, label, sample_weight, lengths=()):
        """The checks the operator cannot word in this block's terms: every input an NDArray
        (a Python number, list or NumPy array is a ``TypeError`` naming the argument, where
        MXNet 1.9.1 fails inside an operator), ranks, ``sample_weight``'s shape."""
        named = [('pred', pred), ('label', label)] + list(zip(('pred_lengths', 'label_lengths'),
                                                              lengths))
        for name, value in named + [('sample_weight', sample_weight)]:
            if value is not None and not isinstance(value, ndarray.NDArray):
                raise TypeError('CTCLoss: %s must be an NDArray%s, got %s'
                                % (name, ' (one weight per sample; for one scale for every '
                                   'sample pass weight= to the constructor)'
                                   if name == 'sample_weight' else '', type(value).__name__))
        if pred.ndim != 3:
            raise MXNetValueError('CTCLoss: pred must be 3-D (%s), got shape %s' % (self._layout, pred.shape))
        if label.ndim != 2:
            raise MXNetValueError('CTCLoss: label must be 2-D (%s), got shape %s' % (self._label_layout, label.shape))
        n = pred.shape[self._layout.find('N')]
        if sample_weight is not None and sample_weight.shape not in ((n,), (n, 1), (1,), (1, 1)):
            raise MXNetValueError('CTCLoss: sample_weight must have shape (%d,) or (%d, 1) (batch_size %d), '
                                  'or (1,) / (1, 1) for one weight for all, got %s'
                                  % (n, n, n, sample_weight.shape))
