"""``nd.contrib``: the operators MXNet registers as ``_contrib_<name>``, under ``<name>``.

MXNet 1.9.1 files every operator whose registered name starts with ``_contrib_`` into the
``mx.nd.contrib`` namespace with the prefix removed (``_contrib_ctc_loss`` is
``mx.nd.contrib.ctc_loss``); legacy code (the OCR examples, for one) calls them that way. The list
is read from the operator registry, so an operator registered later as ``_contrib_<name>`` appears
here after :func:`refresh`. The same functions are ``minigluon.contrib.nd`` / ``contrib.ndarray``.

``isinf``, ``isnan`` and ``isfinite`` are Python functions over comparison operators, as in
MXNet 1.9.1 (there is no ``_contrib_isfinite`` operator; ``mx.sym.contrib`` has none of them).

The control-flow functions ``foreach``, ``while_loop`` and ``cond`` (Python functions in MXNet
too) come from :mod:`minigluon.control_flow.eager`.

``adamw_update`` / ``mp_adamw_update`` (over the ``_adamw_update`` / ``_mp_adamw_update``
operators, taking ``rescale_grad`` as a number or an NDArray) and ``rand_zipfian`` (a composition
of ``random.uniform``, ``exp`` and ``log``) are Python functions, as in MXNet 1.9.1; their
``sym.contrib`` twins are in :mod:`minigluon.symbol.contrib`. So are ``multi_adamw_update``,
``multi_mp_adamw_update``, ``multi_lamb_update`` and ``multi_mp_lamb_update`` (lists of tensors
over the fused operators of :mod:`minigluon.ops.multi_tensor`; ``nd.contrib`` only, as in MXNet).
"""
import math
import numbers

import numpy as np

from minigluon.base import MXNetTypeError
from minigluon.context import current_context
from minigluon.control_flow.eager import cond, foreach, while_loop  # noqa: F401
from minigluon.ndarray._prefixed import fill as _fill
from minigluon.ndarray._prefixed import nd_function as _nd_function

_PREFIX = '_contrib_'


def refresh():
    """Add functions for ``_contrib_`` operators registered after this module was imported."""
    _fill(globals(), _PREFIX)


refresh()


def _check_nd(data, fn):
    """A TypeError naming ``contrib.<fn>`` unless ``data`` is an NDArray (MXNet 1.9.1 fails with
    an AttributeError deep inside: "'list' object has no attribute 'abs'")."""
    from minigluon.ndarray import NDArray
    if not isinstance(data, NDArray):
        raise MXNetTypeError('contrib.%s: data must be an NDArray, got %s' % (fn, type(data).__name__))


def isinf(data):
    """1 where ``data`` is +inf or -inf, else 0 (float array of ``data``'s shape and dtype;
    MXNet 1.9.1 ``nd.contrib.isinf``: ``abs(data) == inf``)."""
    _check_nd(data, 'isinf')
    return data.abs() == np.inf


def isnan(data):
    """1 where ``data`` is NaN, else 0 (``data != data``; MXNet 1.9.1 ``nd.contrib.isnan``)."""
    _check_nd(data, 'isnan')
    return data != data  # noqa: PLR0124 -- NaN is the one value unequal to itself


def isfinite(data):
    """1 where ``data`` is neither infinite nor NaN, else 0 (MXNet 1.9.1 ``nd.contrib.isfinite``)."""
    from minigluon.ndarray import logical_and
    _check_nd(data, 'isfinite')
    return logical_and(data.abs() != np.inf, data == data)  # noqa: PLR0124


# -- AdamW and the Zipfian sampler (Python functions over operators, as in MXNet 1.9.1) ------------

_ADAMW_DOC = """{what} (MXNet 1.9.1 ``{ns}.contrib.{name}``, operator ``_{name}``).

    The step is ``g = clip(rescale_grad*grad)``, ``mean = beta1*mean + (1-beta1)*g``,
    ``var = beta2*var + (1-beta2)*g^2``,
    ``weight - eta*(lr*mean/(sqrt(var)+epsilon) + wd*weight)`` (decoupled weight decay,
    Loshchilov & Hutter 2017; no bias correction: fold it into ``lr``). {states} are updated in
    place; the result is the new weight (pass ``out=weight`` to update the weight in place). The
    gradient is left unchanged (MXNet overwrites it with the rescaled, clipped one).

    Parameters
    ----------
    {args}
    rescale_grad : {kind} or number
        A number becomes a one-element float32 {kind}. A value of 0, NaN or inf skips the update:
        weight and states stay as they are and the result is the weight unchanged (MXNet leaves
        the result unwritten).
    lr, eta : float
        Learning rate and its schedule multiplier (both required).
    beta1, beta2, epsilon, wd : float
    clip_gradient : float, default -1
        Clip the rescaled gradient to ``[-clip_gradient, clip_gradient]`` when ``>= 0`` (0 clips
        everything to 0, as MXNet's kernel does; its docs say ``<= 0`` turns clipping off).
    out, name
        As for every operator.

    Raises
    ------
    ValueError
        When the shapes differ from the weight's, or ``rescale_grad`` holds more than one value.
    TypeError
        When a dtype is wrong{mp_types}.
    """

_ADAMW_ARGS = ("weight, grad, mean, var : {kind}\n        Same shape; all of the weight's floating "
               "dtype.")
_MP_ADAMW_ARGS = ("weight, grad : {kind}\n        The (float16) weight and its gradient.\n    "
                  "mean, var, weight32 : {kind}\n        float32 states and master weight.")


def _adamw_doc(kind, ns, mp):
    """The docstring of ``{ns}.contrib.adamw_update`` / ``mp_adamw_update`` for ``kind``
    (``NDArray`` or ``Symbol``); shared with :mod:`minigluon.symbol.contrib`."""
    return _ADAMW_DOC.format(
        what='Multi-precision AdamW update' if mp else 'AdamW update', ns=ns,
        name='mp_adamw_update' if mp else 'adamw_update',
        states='``mean``, ``var`` and ``weight32``' if mp else '``mean`` and ``var``',
        args=(_MP_ADAMW_ARGS if mp else _ADAMW_ARGS).format(kind=kind), kind=kind,
        mp_types=' (mean, var and weight32 must be float32)' if mp else '')


def _rescale_array(rescale_grad, weight):
    from minigluon.ndarray import NDArray, full
    if isinstance(rescale_grad, NDArray):
        return rescale_grad.as_in_context(weight.context)
    return full((1,), rescale_grad, ctx=weight.context)


_adamw_op = _nd_function('_adamw_update', 'adamw_update')
_mp_adamw_op = _nd_function('_mp_adamw_update', 'mp_adamw_update')


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs):
    return _adamw_op(weight, grad, mean, var, _rescale_array(rescale_grad, weight), lr=lr, eta=eta,
                     beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                     clip_gradient=clip_gradient, out=out, name=name, **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None,
                    **kwargs):
    return _mp_adamw_op(weight, grad, mean, var, weight32, _rescale_array(rescale_grad, weight),
                        lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                        clip_gradient=clip_gradient, out=out, name=name, **kwargs)


adamw_update.__doc__ = _adamw_doc('NDArray', 'nd', False)
mp_adamw_update.__doc__ = _adamw_doc('NDArray', 'nd', True)


def _zipfian(true_classes, num_sampled, range_max, uniform, caller):
    """The three outputs of ``rand_zipfian`` from ``uniform(high, shape)`` (float64 samples of
    ``U[0, high)``), with NDArray or Symbol arithmetic; shared with :mod:`minigluon.symbol.contrib`.

    A class ``k`` has probability ``log((k + 2) / (k + 1)) / log(range_max + 1)``: the samples
    are ``floor(exp(u) - 1)`` for ``u ~ U[0, log(range_max + 1))`` (kept in range by ``mod``).
    """
    for arg, value in (('num_sampled', num_sampled), ('range_max', range_max)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError('%s: %s must be a positive int, got %r' % (caller, arg, value))
    log_range = math.log(range_max + 1)
    sampled = (uniform(log_range, (num_sampled,)).exp() - 1).astype('int64') % range_max

    def expected_count(classes):
        classes = classes.astype('float64')
        return ((classes + 2.0) / (classes + 1.0)).log() / log_range * num_sampled

    return sampled, expected_count(true_classes), expected_count(sampled)


def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """Draw ``num_sampled`` classes from ``[0, range_max)`` with replacement, from the
    approximately Zipfian (log-uniform) distribution
    ``P(k) = (log(k + 2) - log(k + 1)) / log(range_max + 1)``, and the expected counts of the
    true and the sampled classes (MXNet 1.9.1 ``nd.contrib.rand_zipfian``, for sampled softmax;
    classes should be sorted by decreasing frequency).

    The draws come from minigluon's generator (``mx.random.seed`` reproduces them).

    Parameters
    ----------
    true_classes : NDArray
        1-D, the target classes (any numeric dtype).
    num_sampled : int
        How many classes to draw.
    range_max : int
        The number of classes.
    ctx : Context, optional
        Where the results live (default: the current context).

    Returns
    -------
    sampled_classes : NDArray
        ``(num_sampled,)`` int64.
    expected_count_true : NDArray
        float64, shape of ``true_classes``: ``P(k) * num_sampled`` for each true class.
    expected_count_sampled : NDArray
        ``(num_sampled,)`` float64: the same for each sampled class.

    Raises
    ------
    ValueError
        When ``num_sampled`` or ``range_max`` is not a positive int.
    TypeError
        When ``true_classes`` is not an NDArray.
    """
    from minigluon import random
    from minigluon.ndarray import NDArray
    if not isinstance(true_classes, NDArray):
        raise TypeError('rand_zipfian: true_classes must be an NDArray, got %s'
                        % type(true_classes).__name__)
    ctx = ctx or current_context()
    return _zipfian(true_classes.as_in_context(ctx), num_sampled, range_max,
                   lambda high, shape: random.uniform(0, high, shape=shape, dtype='float64', ctx=ctx),
                   'rand_zipfian')


# -- multi-tensor AdamW and LAMB (Python functions over operators, as in MXNet 1.9.1) -------------

_multi_adamw_op = _nd_function('_multi_adamw_update', 'multi_adamw_update')
_multi_mp_adamw_op = _nd_function('_multi_mp_adamw_update', 'multi_mp_adamw_update')
_multi_lamb_op = _nd_function('_multi_lamb_update', 'multi_lamb_update')
_multi_mp_lamb_op = _nd_function('_multi_mp_lamb_update', 'multi_mp_lamb_update')


def _interleave(*lists):
    """``[a0, b0, c0, a1, b1, c1, ...]`` from the lists ``a, b, c`` (one group per tensor)."""
    return [x for group in zip(*lists) for x in group]


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None,
                       name=None, size=0, **kwargs):
    """AdamW over lists of tensors (MXNet 1.9.1 ``nd.contrib.multi_adamw_update``, operator
    ``_multi_adamw_update``; see :mod:`minigluon.ops.multi_tensor`): ``lrs``, ``wds`` and ``etas``
    hold one number per tensor, ``rescale_grad`` is a number or a one-element NDArray (0, NaN or
    inf skips every update). ``mean`` and ``var`` are updated in place; returns the new weights
    (``out=weights`` writes them back). ``size`` is the number of tensors (default: all)."""
    size = size or len(weights)
    inputs = _interleave(weights, grads, mean, var) + [_rescale_array(rescale_grad, weights[0])]
    return _multi_adamw_op(*inputs, out=out, num_weights=size, lrs=lrs, wds=wds, etas=etas,
                           name=name, **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas,
                          out=None, name=None, size=0, **kwargs):
    """Multi-precision :func:`multi_adamw_update` (MXNet 1.9.1
    ``nd.contrib.multi_mp_adamw_update``): the float32 masters ``weights32`` (updated in place)
    take the step; returns them cast to the weights' dtype."""
    size = size or len(weights)
    inputs = (_interleave(weights, grads, mean, var, weights32)
              + [_rescale_array(rescale_grad, weights[0])])
    return _multi_mp_adamw_op(*inputs, out=out, num_weights=size, lrs=lrs, wds=wds, etas=etas,
                              name=name, **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds, out=None, num_tensors=0,
                      **kwargs):
    """LAMB over lists of tensors (MXNet 1.9.1 ``nd.contrib.multi_lamb_update``, operator
    ``_multi_lamb_update``; see :mod:`minigluon.ops.multi_tensor`): ``step_count``, ``lrs`` and
    ``wds`` hold one value per tensor. ``mean`` and ``var`` are updated in place; returns the new
    weights (``out=weights`` writes them back)."""
    num_tensors = num_tensors or len(weights)
    return _multi_lamb_op(*_interleave(weights, grads, mean, var), out=out,
                          num_tensors=num_tensors, step_count=step_count, learning_rates=lrs,
                          wds=wds, **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count, lrs, wds, out=None,
                         num_tensors=0, **kwargs):
    """Multi-precision :func:`multi_lamb_update` (MXNet 1.9.1 ``nd.contrib.multi_mp_lamb_update``):
    the float32 masters ``weights32`` (updated in place) take the step; returns them cast to the
    weights' dtype."""
    num_tensors = num_tensors or len(weights)
    return _multi_mp_lamb_op(*_interleave(weights, grads, mean, var, weights32), out=out,
                             num_tensors=num_tensors, step_count=step_count, learning_rates=lrs,
                             wds=wds, **kwargs)
