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


def named_uniform(mx, default_scale=0.1):
    """The Initializer class ``NamedUniform(scale=default_scale)`` of the framework module ``mx``
    (minigluon or MXNet): each weight uniform in [-scale, scale] from a NumPy RandomState seeded by
    the crc32 of the parameter's name (biases and the rest as the base Initializer sets them), so both
    frameworks get the same values without their own RNGs. For layers whose shapes are known only
    at the first forward, and because MXNet 1.9.1 with MKL-DNN refuses ``set_data`` on a
    convolution weight that has been used."""
    import zlib

    class NamedUniform(mx.init.Initializer):
        def __init__(self, scale=default_scale):
            super().__init__(scale=scale)
            self.scale = scale

        def _init_weight(self, name, arr):
            rng = np.random.RandomState(zlib.crc32(str(name).encode()))
            arr[:] = mx.nd.array(rng.uniform(-self.scale, self.scale, size=arr.shape))

    return NamedUniform
