"""The optimizer update rules, shared by the optimizer classes (:mod:`minigluon.optimizer`) and the
update operators (``nd.sgd_update`` & co., :mod:`minigluon.ops.optimizer_ops`).

Each function updates the raw weight ``w`` and its states in place from the raw gradient ``g``
(NumPy or CuPy arrays, ``xp`` their module). ``clip`` is the gradient clipping bound, or None for
no clipping. The arithmetic follows MXNet 1.9.1's kernels (``src/operator/optimizer_op-inl.h``)
in the weight's dtype and in their order, so float32 results equal MXNet's bit for bit. Scalar
hyper-parameters reach MXNet's kernels as float32 fields cast to the weight's dtype; so they do here
(:func:`param_type`), which also makes float64 and float16 weights round as MXNet's do.
"""
import numpy as np

from minigluon.ops import _numba, _update_cuda


def param_type(arr):
    """The converter of a scalar hyper-parameter for arrays like ``arr``: rounded to float32 (the
    type of MXNet's parameter fields), then cast to ``arr``'s dtype."""
    cast = arr.dtype.type
    return lambda x: cast(np.float32(x))


def clipped_grad(xp, grad, rescale, clip, weight=None, wd=0.0, wd_before_clip=False):
    """``rescale * grad``, clipped to ``[-clip, clip]`` unless ``clip`` is None; with a
    ``weight``, ``wd * weight`` added before or after the clip as asked, also at ``wd == 0``,
    as MXNet 1.9.1's update kernels add it: an inf or NaN weight then makes the gradient
    (and the states it feeds) NaN."""
    dt = param_type(grad)
    g = grad * dt(rescale)
    if wd_before_clip and weight is not None:
        g = g + dt(wd) * weight
    if clip is not None:
        g = xp.clip(g, -dt(clip), dt(clip))
    if not wd_before_clip and weight is not None:
        g = g + dt(wd) * weight
    return g


def sgd(xp, w, g, mom, lr, wd, momentum, rescale, clip, multi=False, lr_wd_float32=False):
    """SGD (``sgd_update``; with a momentum array ``mom``, ``sgd_mom_update``).

    Without momentum ``w = (1 - lr*wd)*w - lr*g`` with ``g = clip(rescale*grad)``, as
    ``sgd_update``. With momentum ``mom = momentum*mom - (lr*wd)*w - step; w += mom``, where the
    step is ``lr*clip(rescale*grad)`` when clipping and ``(lr*rescale)*grad`` when not (MXNet's
    order). ``multi=True``: the rounding of MXNet 1.9.1's multi-tensor kernels
    (``multi_sgd_update``, which its SGD optimizer calls for plain updates), the momentum form
    with a zero momentum: ``w -= step + (lr*wd)*w``. ``lr_wd_float32``: ``lr*wd`` taken in
    float32 whatever the weight's dtype, as the ``preloaded_`` kernels, which read the rates from
    float32 arrays. (Measured bit for bit against MXNet, float32 and float64.)
    """
    dt = param_type(w)
    lr_wd = dt(np.float32(lr) * np.float32(wd)) if lr_wd_float32 else dt(lr) * dt(wd)
    lr, wd = dt(lr), dt(wd)
    if mom is None and not multi:
        w[...] = (dt(1) - lr * wd) * w - lr * clipped_grad(xp, g, rescale, clip)
        return
    if clip is not None:
        step = lr * clipped_grad(xp, g, rescale, clip)
    else:
        step = (lr * dt(rescale)) * g
    if mom is None:
        w -= step + lr_wd * w
        return
    mom *= dt(momentum)
    mom -= lr_wd * w
    mom -= step
    w += mom


def nag(xp, w, g, mom, lr, wd, momentum, rescale, clip, out_is_weight=True):
    """Nesterov momentum (``nag_mom_update``; plain SGD when ``mom`` is None). The form
    ``w - m*mom + (m+1)*(m*mom - lr*(g + wd*w))`` is MXNet's regrouping. MXNet's kernel writes
    its output before the momentum ``m*mom - lr*(g + wd*w)``, which reads the weight input: when
    the output is the weight (``out_is_weight``, the optimizer's call) that is the updated weight,
    otherwise the old one."""
    dt = param_type(w)
    lr, wd = dt(lr), dt(wd)
    g = clipped_grad(xp, g, rescale, clip)
    if mom is None:
        w[...] = (dt(1) - lr * wd) * w - lr * g
        return
    m = dt(momentum)
    mom *= m
    step = lr * (g + wd * w)
    w[...] = w - mom + (m + dt(1)) * (mom - step)
    mom -= lr * (g + wd * w) if out_is_weight else step


def signum(xp, w, g, mom, lr, wd, momentum, wd_lh, rescale, clip):
    """Signum (``signum_update``): ``mom = momentum*mom - (1-momentum)*wd*w - (1-momentum)*g``,
    ``w = (1 - lr*wd_lh)*w + lr*sign(mom)``; signSGD (``signsgd_update``) when ``mom`` is None:
    ``w = (1 - lr*wd)*w - lr*sign(g)``, with ``g = clip(rescale*grad)``; scalars in the weight's
    dtype, as MXNet's kernel."""
    g = clipped_grad(xp, g, rescale, clip)
    dt = param_type(w)
    lr, wd, one = dt(lr), dt(wd), dt(1)
    if mom is None:
        w[...] = (one - lr * wd) * w - lr * xp.sign(g)
        return
    m = dt(momentum)
    mom[...] = m * mom - (one - m) * wd * w - (one - m) * g
    w[...] = (one - lr * dt(wd_lh)) * w + lr * xp.sign(mom)


def _one_pass(w, *arrays):
    """Whether the one-pass kernels take these arrays: a float32/float64 weight, and every
    state/gradient array C-contiguous, of the weight's dtype and size."""
    return (w.dtype in (np.float32, np.float64) and w.flags.c_contiguous
            and all(a.dtype == w.dtype and a.size == w.size and a.flags.c_contiguous
                    for a in arrays))


def adam(xp, w, g, mean, var, lr, wd, beta1, beta2, epsilon, rescale, clip):
    """Adam without bias correction (``adam_update``; the optimizer folds the correction into
    ``lr``): ``g = clip(rescale*grad + wd*w)``, moments with ``1 - beta`` in the weight's dtype,
    ``w -= lr*mean/(sqrt(var) + epsilon)``. For contiguous float32/float64 arrays one pass
    computes the same numbers: a CUDA kernel on a GPU (:mod:`minigluon.ops._update_cuda`), a
    Numba kernel on the CPU when Numba is installed (:mod:`minigluon.ops._update_numba_kernels`)."""
    dt = param_type(w)
    b1, b2 = dt(beta1), dt(beta2)
    if _one_pass(w, g, mean, var):
        scalars = (dt(rescale), dt(wd), dt(clip if clip is not None else 0),
                   clip is not None, b1, dt(1) - b1, b2, dt(1) - b2, dt(lr), dt(epsilon))
        if xp is not np:
            _update_cuda.adam(xp, w, g, mean, var, *scalars)
            return
        compiled = _numba.kernels('_update_numba_kernels')
        if compiled is not None:
            compiled.adam_update(*(a.reshape(-1) for a in (w, g, mean, var)), *scalars)
            return
    g = clipped_grad(xp, g, rescale, clip, w, wd, wd_before_clip=True)
    mean[...] = b1 * mean + (dt(1) - b1) * g
    var[...] = b2 * var + (dt(1) - b2) * g * g
    w -= dt(lr) * mean / (xp.sqrt(var) + dt(epsilon))


def adamw(xp, w, g, mean, var, lr, eta, wd, beta1, beta2, epsilon, rescale, clip, multi=False):
    """AdamW with decoupled weight decay (Loshchilov & Hutter 2017; MXNet 1.9.1
    ``_adamw_update``, ``src/operator/contrib/adamw-inl.h``): ``g = clip(rescale*grad)``,
    ``mean = beta1*mean + (1-beta1)*g``, ``var = beta2*var + (1-beta2)*g*g``, then
    ``w -= eta*(lr*mean/(sqrt(var) + epsilon) + wd*w)``, in the weight's dtype with float32
    scalars (``1 - beta`` taken in float32), in MXNet's order. No bias correction: the caller
    folds it into ``lr``. ``grad`` is left alone (MXNet's kernel writes the rescaled, clipped
    gradient back into it). The multi-precision update runs this on the float32 master copy.

    ``multi``: the moments as MXNet 1.9.1's multi-tensor kernel (``_multi_adamw_update``) writes
    them, ``mean = beta1*(mean - g) + g`` and ``var = beta2*(var - g*g) + g*g``: equal in exact
    arithmetic but rounded otherwise, and NaN where ``g`` (or ``g*g``) is infinite."""
    dt = param_type(w)
    one = np.float32(1)
    g = dt(rescale) * g
    if clip is not None:
        g = xp.clip(g, -dt(clip), dt(clip))
    if multi:
        with np.errstate(invalid='ignore', over='ignore'):
            g2 = g * g
            mean[...] = dt(beta1) * (mean - g) + g
            var[...] = dt(beta2) * (var - g2) + g2
    else:
        mean[...] = dt(beta1) * mean + dt(one - np.float32(beta1)) * g
        var[...] = dt(beta2) * var + dt(one - np.float32(beta2)) * (g * g)
    w -= dt(eta) * (dt(lr) * mean / (xp.sqrt(var) + dt(epsilon)) + dt(wd) * w)


def lamb_phase1(xp, w, g, mean, var, wd, beta1, beta2, epsilon, t, bias_correction, rescale, clip):
    """LAMB's first phase (You et al. 2019, arXiv:1904.00962; MXNet 1.9.1 ``lamb_update_phase1``):
    updates ``mean`` and ``var`` in place and returns the direction ``r`` (a new array)::

        g = clip(rescale*grad);  mean = beta1*mean + (1-beta1)*g;  var = beta2*var + (1-beta2)*g*g
        r = mean_hat/(sqrt(var_hat) + epsilon) + wd*w

    with ``mean_hat = mean/(1 - beta1^t)`` and ``var_hat = var/(1 - beta2^t)`` when
    ``bias_correction``, else the moments themselves. Everything is in the dtype of ``mean``
    (the multi-precision operator passes float32 states, the float32 master ``w`` and the
    gradient cast to float32), in MXNet's order: ``beta^t`` is taken in double and rounded to
    that dtype, and the mean's correction divides in double, as MXNet's kernel does."""
    dt = param_type(mean)
    g = clipped_grad(xp, g, rescale, clip)
    b1, b2, one = dt(beta1), dt(beta2), dt(1)
    mean[...] = b1 * mean + (one - b1) * g
    var[...] = b2 * var + (one - b2) * g * g
    m_hat, v_hat = mean, var
    if bias_correction:
        cast = mean.dtype.type
        b1_t, b2_t = cast(float(np.float32(beta1)) ** t), cast(float(np.float32(beta2)) ** t)
        m_hat = (mean.astype(np.float64) / (1.0 - float(b1_t))).astype(mean.dtype)
        v_hat = var / (one - b2_t)
    return m_hat / (xp.sqrt(v_hat) + dt(epsilon)) + dt(wd) * w


def lamb_phase2(w, r, r1, r2, lr, lower_bound, upper_bound):
    """LAMB's second phase (MXNet 1.9.1 ``lamb_update_phase2``): ``w -= lr*(r1/r2)*r`` in place,
    where ``r1`` (the norm of the weight, a number) is first raised to ``lower_bound`` and cut to
    ``upper_bound`` where those are >= 0, and the ratio is 1 when ``r1`` or ``r2`` (the norm of
    the direction ``r``) is 0. Scalars in ``w``'s dtype, ``(lr*r1)/r2`` in MXNet's order."""
    dt, cast = param_type(w), w.dtype.type
    r1, r2, lo, hi = cast(r1), cast(r2), dt(lower_bound), dt(upper_bound)
    if lo >= 0:
        r1 = r1 if r1 > lo else lo
    if hi >= 0:
        r1 = r1 if r1 < hi else hi
    lr = dt(lr)
    if r1 != 0 and r2 != 0:
        lr = lr * r1 / r2
    w -= lr * r


def group_adagrad(xp, w, g, history, lr, rescale, clip, epsilon):
    """Group AdaGrad (MXNet 1.9.1 ``_contrib_group_adagrad_update`` and
    ``optimizer.contrib.GroupAdaGrad``): one rate per row of the 2-D weight ``w``;
    ``g = clip(rescale*grad)``, ``history += mean(g*g, axis=1)`` (``history`` is ``(rows, 1)``),
    ``w -= lr*g/sqrt(history + epsilon)``."""
    g = clipped_grad(xp, g, rescale, clip)
    history += (g * g).mean(axis=1, keepdims=True)
    w -= lr * g / xp.sqrt(history + epsilon)


def rmsprop(xp, w, g, n, lr, wd, gamma1, epsilon, rescale, clip, clip_weights,
            gbar=None, delta=None, gamma2=None):
    """RMSProp (``rmsprop_update``) or, given ``gbar`` and ``delta``, Graves' centered variant
    (``rmspropalex_update``); ``g = clip(rescale*grad + wd*w)``; the weights are clipped to
    ``[-clip_weights, clip_weights]`` afterwards unless ``clip_weights`` is None. ``g*g`` is
    grouped in the plain update only, as in MXNet."""
    g = clipped_grad(xp, g, rescale, clip, w, wd, wd_before_clip=True)
    dt = param_type(w)
    g1, eps, lr = dt(gamma1), dt(epsilon), dt(lr)
    if gbar is not None:
        n[...] = (dt(1) - g1) * g * g + g1 * n
        gbar[...] = (dt(1) - g1) * g + g1 * gbar
        delta[...] = dt(gamma2) * delta - lr * g / xp.sqrt(n - gbar * gbar + eps)
        w += delta
    else:
        n[...] = (dt(1) - g1) * (g * g) + g1 * n
        w -= lr * (g / xp.sqrt(n + eps))
    if clip_weights is not None:
        w[...] = xp.clip(w, -clip_weights, clip_weights)


def ftrl(xp, w, g, z, n, lr, wd, lamda1, beta, rescale, clip):
    """FTRL-proximal (``ftrl_update``), ``g = clip(rescale*grad)``:
    ``z += g - (sqrt(n+g^2)-sqrt(n))*w/lr; n += g^2;
    w = (sign(z)*lamda1 - z)/((beta+sqrt(n))/lr + wd)`` where ``|z| > lamda1``, else 0."""
    g = clipped_grad(xp, g, rescale, clip)
    dt = param_type(w)
    lr, wd, lamda1, beta = dt(lr), dt(wd), dt(lamda1), dt(beta)
    z += g - (xp.sqrt(n + g * g) - xp.sqrt(n)) * w / lr
    n += g * g
    w[...] = ((xp.sign(z) * lamda1 - z) / ((beta + xp.sqrt(n)) / lr + wd)
              * (xp.abs(z) > lamda1))


def ftml(xp, w, g, d, v, z, lr, wd, beta1, beta2, epsilon, t, rescale, clip):
    """FTML (``ftml_update``) at step ``t``, ``g = clip(rescale*grad + wd*w)``, every scalar in
    the weight's dtype; ``beta^t`` as C's ``powf`` (the float32 base raised in double, rounded
    once: NumPy's float32 power is off by an ulp for some t)."""
    g = clipped_grad(xp, g, rescale, clip, w, wd, wd_before_clip=True)
    dt = param_type(w)
    b1, b2, one = dt(beta1), dt(beta2), dt(1)
    v[...] = b2 * v + (one - b2) * (g * g)
    p1, p2 = w.dtype.type(float(b1) ** t), w.dtype.type(float(b2) ** t)
    d_t = (one - p1) / dt(lr) * (xp.sqrt(v / (one - p2)) + dt(epsilon))
    z[...] = b1 * z + (one - b1) * g - (d_t - b1 * d) * w
    d[...] = d_t
    w[...] = -z / d_t
