"""Shared by the legacy programs: deterministic weights, independent of either framework's RNG."""
import numpy as np


def set_weights(net, seed=0, scale=0.1):
    """Overwrite every parameter, in sorted-name order, with uniform values from a NumPy RandomState."""
    rng = np.random.RandomState(seed)
    for name in sorted(net.collect_params().keys()):
        p = net.collect_params()[name]
        if name.endswith('running_var') or name.endswith('moving_var'):
            p.set_data(np.ones(p.shape, dtype='float32'))
        elif name.endswith('running_mean') or name.endswith('moving_mean'):
            p.set_data(np.zeros(p.shape, dtype='float32'))
        else:
            p.set_data(rng.uniform(-scale, scale, size=p.shape).astype('float32'))


def show(label, value):
    arr = np.asarray(value.asnumpy() if hasattr(value, 'asnumpy') else value, dtype='float64').ravel()
    print(label, ' '.join('%.6g' % v for v in arr[:12]))
