"""Composite initializers: ``Load`` (values from saved arrays), ``Mixed`` (one per name pattern)
and ``FusedRNN`` (a fused RNN's flat parameter vector, piece by piece).

Semantics follow ``mxnet.initializer.Load``, ``Mixed`` and ``FusedRNN`` (MXNet 1.9.1). They choose
or delegate to other initializers rather than draw values themselves (``Load`` and ``Mixed`` are
plain callables ``init(name, arr)``; ``FusedRNN`` is a registered
:class:`~minigluon.initializer.Initializer`, so it can be named in a Symbol's ``__init__``
attribute), so they read well apart from the rest of :mod:`minigluon.initializer`, which keeps
the base class, the registry and the value-drawing initializers. That module imports this one at
its end and re-exports the three, so ``mx.init.Load`` and
``from minigluon.initializer import Mixed`` keep working.
"""
import re

import numpy as np

from minigluon.base import TypeAssertionError, ValueAssertionError, check_int
from minigluon.initializer import InitDesc, Initializer, _fill, create, register


class Load:
    """Initialize from a dict of arrays (or a ``.params`` file), falling back to ``default_init``
    (MXNet 1.9.1 ``mx.init.Load``, which fine-tuning scripts use to start from saved weights).

    Parameters
    ----------
    param : str, os.PathLike or dict of str to NDArray
        A file written by ``nd.save`` / ``save_parameters`` / ``save_checkpoint`` holding named
        arrays, or such a dict. ``arg:`` / ``aux:`` key prefixes (checkpoint files) are
        stripped, as in MXNet.
    default_init : Initializer, str or callable, optional
        A registered name (``'zeros'``) is built with ``create``. Fills a parameter whose name is not among the loaded ones. It fills the array whatever
        the name's suffix, as :class:`Mixed` does (MXNet 1.9.1 lets it dispatch on the suffix, so
        ``One()`` there writes zeros into ``'fc_bias'``), unless the InitDesc carries the
        parameter's own ``'__init__'``, which wins (and then no ``default_init`` is needed).
    verbose : bool, default False
        Print ``Initialized NAME by loading`` / ``by default`` for each array (MXNet logs the
        same lines at INFO level).

    Given to Gluon's ``initialize`` (which MXNet 1.9.1 refuses), it is asked about every
    Parameter, those with their own init too: a bias or BatchNorm's running statistics found in
    the arrays are loaded.

    Raises
    ------
    ValueError
        When a loaded array's shape differs from the parameter's, or a name is absent and no
        ``default_init`` was given (also an ``AssertionError``, as MXNet asserts:
        :class:`~minigluon.base.ValueAssertionError`).
    TypeError
        When ``param`` (or the file) holds a list of arrays rather than named ones (also an
        ``AssertionError``); for a ``default_init`` that is neither an Initializer, a name nor a
        callable.
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, (str, bytes)) or hasattr(param, '__fspath__'):
            from minigluon import serialization
            param = serialization.load(param)
        if not isinstance(param, dict):
            raise TypeAssertionError('Load: param must be a dict of arrays or a file holding named '
                                     'arrays, got %s' % type(param).__name__)
        self.param = {}
        for name, arr in param.items():
            if name.startswith(('arg:', 'aux:')):
                name = name[4:]
            self.param[name] = arr
        self.default_init = None if default_init is None else _as_initializer(default_init,
                                                                              'Load: default_init')
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            src = self.param[name]
            if tuple(src.shape) != tuple(arr.shape):
                raise ValueAssertionError('Load: parameter %s cannot be initialized from loading: shape '
                                 'mismatch, target %s vs loaded %s' % (name, arr.shape, src.shape))
            arr[:] = src
            if self.verbose:
                print('Initialized %s by loading' % name)
        else:
            own_init = isinstance(name, InitDesc) and name.attrs.get('__init__')
            if self.default_init is None and not own_init:
                raise ValueAssertionError('Load: cannot initialize %s, it is not in the loaded params '
                                          'and no default_init was given' % name)
            _apply(self.default_init or Initializer(), name, arr)
            if self.verbose:
                print('Initialized %s by default' % name)


def _as_initializer(value, what):
    """``value`` as a callable initializer: a registered name or JSON form (``'zeros'``) is
    built with :func:`~minigluon.initializer.create`; anything else must be callable."""
    if isinstance(value, str):
        return create(value)
    if not callable(value):
        raise TypeError('%s must be an Initializer, a registered name or a callable init(name, '
                        'arr), got %s' % (what, type(value).__name__))
    return value


def _apply(initializer, name, arr):
    # The chosen initializer fills the array whatever the name's suffix (as Gluon does), unless the
    # InitDesc names the parameter's own initializer ('__init__'), which wins as in MXNet.
    if isinstance(name, InitDesc) and name.attrs.get('__init__'):
        initializer(name, arr)
    elif isinstance(initializer, Initializer):
        initializer(InitDesc(name, {'__init__': initializer}), arr)
    else:
        initializer(name, arr)


class Mixed:
    """Choose an initializer by the first regular expression (``re.match``) matching the name.

    The chosen initializer fills the array whatever the name's suffix, unless the InitDesc carries
    the parameter's own ``'__init__'``, which wins. **Differs from MXNet 1.9.1**, whose Gluon
    ``initialize`` rejects ``Mixed`` and ``Load`` ("initializer must be of string type") and whose
    direct call lets the chosen initializer dispatch on the suffix (``One()`` chosen for
    ``'fc_bias'`` writes zeros there); here ``One()`` writes ones, as the pattern asked.
    ``initializers`` may name registered initializers (``'zeros'``; MXNet fails on the call).

    Raises
    ------
    ValueError
        When no pattern matches (add ``'.*'`` as the last pattern for a default).
    TypeError
        For an initializer that is neither an Initializer, a name nor a callable.
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError('Mixed: got %d patterns but %d initializers'
                             % (len(patterns), len(initializers)))
        self.map = [(re.compile(p), _as_initializer(init, 'Mixed: initializers[%d]' % i))
                    for i, (p, init) in enumerate(zip(patterns, initializers))]

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                _apply(init, name, arr)
                return
        raise ValueError('Parameter name %s did not match any pattern. Consider adding a ".*" '
                         'pattern at the end with a default Initializer.' % name)


_GATE_NAMES = {'rnn_relu': [''], 'rnn_tanh': [''], 'lstm': ['_i', '_f', '_c', '_o'],
               'gru': ['_r', '_z', '_o']}


def fused_rnn_pieces(size, num_hidden, num_layers, mode, bidirectional):
    """The pieces of the fused ``RNN`` operator's flat parameter vector of length ``size``, as
    ``[(name, start, shape), ...]`` in vector order, named as MXNet 1.9.1's legacy
    ``mx.rnn.FusedRNNCell.unpack_weights`` names them (prefix ``''``).

    The vector (the ``RNN`` operator's ``parameters``; what ``_rnn_param_concat`` builds from a
    Gluon ``rnn.LSTM``/``GRU``/``RNN`` layer's per-layer weights) holds, for each layer and
    direction (``l`` forward, ``r`` reverse), the input weights then the recurrent weights,
    one ``(num_hidden, inputs)`` block per gate (``_i _f _c _o`` for LSTM, ``_r _z _o`` for GRU,
    one unnamed gate for ``rnn_relu`` / ``rnn_tanh``): ``l0_i2h_i_weight``... ``l0_h2h_o_weight``;
    then all the biases in the same order (``l0_i2h_i_bias``...). The input size of layer 0 is
    what ``size`` leaves (later layers take ``num_hidden`` per direction).

    Raises ValueError (also an ``AssertionError``, as MXNet asserts) when no input size gives
    ``size``.
    """
    from minigluon.ops.rnn import rnn_param_size
    gates, dirs = _GATE_NAMES[mode], ['l', 'r'] if bidirectional else ['l']
    per_input = len(dirs) * len(gates) * num_hidden      # vector length added per layer-0 input
    fixed = rnn_param_size(mode, num_layers, 0, num_hidden, bidirectional)
    num_input = (size - fixed) // per_input
    if num_input < 1 or fixed + num_input * per_input != size:
        raise ValueAssertionError(
            'FusedRNN: a parameter vector of %d values does not fit a %s RNN of %d layer(s), %d '
            'hidden units%s (its length is %d + %d x input size)' % (
                size, mode, num_layers, num_hidden, ', bidirectional' if bidirectional else '',
                fixed, per_input))
    pieces, pos = [], 0
    for kind, shape_of in (('weight', lambda layer, part: (num_hidden, num_hidden) if part == 'h2h' else
                            (num_hidden, num_input if layer == 0 else len(dirs) * num_hidden)),
                           ('bias', lambda layer, part: (num_hidden,))):
        for layer in range(num_layers):
            for direction in dirs:
                for part in ('i2h', 'h2h'):
                    for gate in gates:
                        shape = shape_of(layer, part)
                        pieces.append(('%s%d_%s%s_%s' % (direction, layer, part, gate, kind), pos, shape))
                        pos += int(np.prod(shape))
    return pieces


@register
class FusedRNN(Initializer):
    """Initialize a fused RNN's flat parameter vector piece by piece (MXNet 1.9.1
    ``mx.init.FusedRNN``).

    The vector is the fused ``RNN`` operator's ``parameters`` input (layout: see
    :func:`fused_rnn_pieces`), e.g. a ``Parameter`` of shape ``(size,)`` or a Symbol variable
    ``sym.var('rnn_parameters', init=mx.init.FusedRNN(...))`` fed to ``sym.RNN``. Gluon's
    ``rnn.LSTM``/``GRU``/``RNN`` layers keep separate per-layer weights and need no such
    initializer. Each piece (one gate's input or recurrent weight or bias of one layer and
    direction) is handed to ``init`` as an :class:`InitDesc` named like
    ``l0_i2h_f_weight`` / ``r1_h2h_o_bias``, so the name's suffix chooses: weights get
    ``init``'s weight values (an ``Xavier`` scale is the gate block's own fan-in and fan-out),
    biases zeros; both LSTM forget-gate biases (``_i2h_f_bias`` and ``_h2h_f_bias``) are set to
    ``forget_bias``.

    MXNet 1.9.1 reaches the pieces through the legacy symbolic ``mx.rnn.FusedRNNCell`` (out of
    scope here); this works on the same flat layout directly and gives MXNet's values for the
    same initializer (tests/fixtures/surface6).

    Parameters
    ----------
    init : Initializer, str or None
        Applied to each piece. A registered name or the JSON form of :meth:`Initializer.dumps`
        is rebuilt with :func:`~minigluon.initializer.create` (MXNet 1.9.1 fails on the JSON form
        with a KeyError, and so ``create(FusedRNN(...).dumps())`` fails there; both work here).
        None: the global initializer (Gluon's ``default_init``) fills the pieces.
    num_hidden, num_layers : int
        As given to the ``RNN`` operator (``state_size``, ``num_layers``).
    mode : {'rnn_relu', 'rnn_tanh', 'lstm', 'gru'}
    bidirectional : bool, default False
    forget_bias : float, default 1.0

    Raises
    ------
    ValueError
        For an unknown ``mode``; when the array is not 1-D or its length fits no input size
        (also an ``AssertionError``); for ``init=None`` without a global initializer.
    TypeError
        For an ``init`` that is not an Initializer, a name, a JSON form or None.
    """

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            init = create(init)
        elif init is not None and not isinstance(init, Initializer):
            raise TypeError('FusedRNN: init must be an Initializer, a registered name, its JSON '
                            'form or None, got %s' % type(init).__name__)
        if mode not in _GATE_NAMES:
            raise ValueError('FusedRNN: mode must be one of %s, got %r'
                             % (', '.join(repr(m) for m in _GATE_NAMES), mode))
        num_hidden = check_int(num_hidden, 'FusedRNN: num_hidden', 1)
        num_layers = check_int(num_layers, 'FusedRNN: num_layers', 1)
        super().__init__(init=init.dumps() if init is not None else None, num_hidden=num_hidden,
                         num_layers=num_layers, mode=mode, bidirectional=bool(bidirectional),
                         forget_bias=forget_bias)
        self._init = init
        self._num_hidden, self._num_layers, self._mode = num_hidden, num_layers, mode
        self._bidirectional, self._forget_bias = bool(bidirectional), forget_bias

    def _init_weight(self, desc, arr):
        from minigluon.context import cpu
        from minigluon.ndarray import array
        if len(arr.shape) != 1:
            raise ValueAssertionError('FusedRNN: %s must be the 1-D flat parameter vector of the '
                                      'RNN operator, got shape %s' % (desc, tuple(arr.shape)))
        global_init = getattr(desc, 'global_init', None)
        if self._init is None and (global_init is None or global_init is self):
            raise ValueError('FusedRNN: init=None fills the pieces of %s with the global '
                             'initializer, and none was given (pass init=, or initialize with a '
                             'default_init)' % desc)
        flat = arr.asnumpy().copy()
        for name, start, shape in fused_rnn_pieces(flat.size, self._num_hidden, self._num_layers,
                                                   self._mode, self._bidirectional):
            stop = start + int(np.prod(shape))
            piece = array(flat[start:stop].reshape(shape), ctx=cpu(), dtype=flat.dtype)
            if self._mode == 'lstm' and name.endswith('_f_bias'):
                piece[:] = self._forget_bias
            else:
                (self._init or global_init)(InitDesc(name, global_init=global_init), piece)
            flat[start:stop] = piece.asnumpy().ravel()
        _fill(arr, flat)
