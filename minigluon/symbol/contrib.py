"""``sym.contrib``: the operators MXNet registers as ``_contrib_<name>``, under ``<name>``.

As ``mx.sym.contrib`` in MXNet 1.9.1: ``sym.contrib.ctc_loss(data=..., label=...)`` builds the same
node as ``sym.ctc_loss`` (written as ``CTCLoss`` in ``-symbol.json``, the name MXNet writes for
every alias of that operator) and names it ``ctc_loss0``, ``ctc_loss1``... The list is read from
the operator registry; :func:`refresh` adds operators registered later. The same functions are
``minigluon.contrib.sym`` / ``contrib.symbol``.

The control-flow functions ``foreach``, ``while_loop`` and ``cond`` come from
:mod:`minigluon.control_flow.symbolic`; ``adamw_update``, ``mp_adamw_update`` and
``rand_zipfian`` are the Symbol twins of the Python functions of ``nd.contrib``.
"""
from minigluon.control_flow.symbolic import cond, foreach, while_loop  # noqa: F401
from minigluon.ndarray._prefixed import fill as _fill
from minigluon.ndarray.contrib import _PREFIX, _adamw_doc, _zipfian
from minigluon.symbol.creation import make_function as _make_function
from minigluon.symbol.symbol import Symbol


def refresh():
    """Add functions for ``_contrib_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX, lambda full, short: _make_function(full, hint=short))


refresh()


def _rescale_symbol(rescale_grad):
    if isinstance(rescale_grad, Symbol):
        return rescale_grad
    from minigluon.symbol import full
    return full(shape=(1,), val=rescale_grad)


_adamw_op = _make_function('_adamw_update')
_mp_adamw_op = _make_function('_mp_adamw_update')


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs):
    if out is not None:
        raise TypeError('adamw_update: out is not supported for Symbols')
    return _adamw_op(weight, grad, mean, var, _rescale_symbol(rescale_grad), lr=lr, eta=eta,
                     beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                     clip_gradient=clip_gradient, name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None,
                    **kwargs):
    if out is not None:
        raise TypeError('mp_adamw_update: out is not supported for Symbols')
    return _mp_adamw_op(weight, grad, mean, var, weight32, _rescale_symbol(rescale_grad), lr=lr,
                        eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                        clip_gradient=clip_gradient, name=name, **kwargs)


_SYM_NOTE = """
    MXNet 1.9.1 cannot build this Symbol ("Not enough argument to call operator _{}"); here it
    builds an ``_{}`` node whose ``mean``/``var`` (and ``weight32``) are auxiliary states.
    """
adamw_update.__doc__ = _adamw_doc('Symbol', 'sym', False) + _SYM_NOTE.format(*['adamw_update'] * 2)
mp_adamw_update.__doc__ = _adamw_doc('Symbol', 'sym', True) + _SYM_NOTE.format(*['mp_adamw_update'] * 2)


def rand_zipfian(true_classes, num_sampled, range_max):
    """The Symbol form of ``nd.contrib.rand_zipfian`` (MXNet 1.9.1 ``sym.contrib.rand_zipfian``):
    three outputs, the ``(num_sampled,)`` int64 sampled classes and the float64 expected counts
    of the true and of the sampled classes; the draws happen each time the graph runs.

    Raises
    ------
    ValueError
        When ``num_sampled`` or ``range_max`` is not a positive int.
    TypeError
        When ``true_classes`` is not a Symbol.
    """
    from minigluon.symbol import random
    if not isinstance(true_classes, Symbol):
        raise TypeError('rand_zipfian: true_classes must be a Symbol, got %s'
                        % type(true_classes).__name__)
    return _zipfian(true_classes, num_sampled, range_max,
                   lambda high, shape: random.uniform(0, high, shape=shape, dtype='float64'),
                   'rand_zipfian')
