"""Random small graphs for the executor fuzzer (``test_graph_fuzz.py``): a hypothesis strategy for
programs over 4-D values and the HybridBlock that runs one.

A program is a list of ``(kind, sources, attributes)``; value ``i`` is input ``i`` or the result
of instruction ``i - n_inputs``. The vocabulary (Conv2D with padding, dilation and groups, Dense
on the last axis or flattened, Max/Avg/Global pooling with ``ceil_mode``, Activation relu and
``F.relu``, tanh/sigmoid/softrelu, BatchNorm, add/multiply, concat, slice, transpose, reshape,
flatten, a layer called twice, frozen layers) and the motifs (conv -> relu -> max pool, one relu
feeding several pools, relu(conv) read by a pool and an add, Dense -> relu) aim at the executor's
plan rewrites and the sharing patterns around them.
"""
import numpy as np
from hypothesis import strategies as st

from minigluon import gluon, nd

nn = gluon.nn

__all__ = ['programs', 'ProgramNet', 'build_net']


# -- the program: a list of (kind, sources, attributes) over 4-D values (N, C, H, W) ---------------

def _pool_out(n, k, s, p, full):
    span = n + 2 * p - k
    return (-(-span // s) if full else span // s) + 1


@st.composite
def _pool_attrs(draw, shape, allow_full):
    """Kernel, stride, pad and convention of a 2-D pooling valid for ``shape`` (pad < kernel)."""
    h, w = shape[2:]
    k = (draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w))))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, kk - 1)) for kk in k)
    full = allow_full and draw(st.booleans())
    out = tuple(_pool_out(n, kk, ss, pp, full) for n, kk, ss, pp in zip((h, w), k, s, p))
    return dict(k=k, s=s, p=p, full=full), shape[:2] + out


_frozen = st.sampled_from([False, False, True])    # the layer's parameters have grad_req 'null'


def _numel(shape):
    return int(np.prod(shape))


@st.composite
def programs(draw, allow_full=True):
    """``(input_shapes, program, outputs)``; value ``i`` is input ``i`` or instruction ``i - n``."""
    n_in = draw(st.integers(1, 2))
    first = (2, draw(st.sampled_from([1, 2, 3, 16])), draw(st.integers(2, 5)), draw(st.integers(2, 5)))
    shapes = [first] + ([first] if n_in == 2 and draw(st.booleans()) else
                        [(2, draw(st.integers(1, 3)),) + first[2:]])[:n_in - 1]
    prog = []

    def emit(kind, srcs, shape, **attrs):
        prog.append((kind, tuple(srcs), attrs))
        shapes.append(shape)
        return len(shapes) - 1

    def pick():           # shrinks towards the newest value (chains); any earlier one gives fan-out
        last = len(shapes) - 1
        return draw(st.one_of(st.just(last), st.integers(0, last)))

    def same_shape(a):
        cands = [i for i, s in enumerate(shapes) if s == shapes[a]]
        return draw(st.sampled_from(cands))

    def conv(a):
        n, c, h, w = shapes[a]
        k = (draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w))))
        s = draw(st.integers(1, 2))
        p = draw(st.integers(0, min(1, k[0] - 1, k[1] - 1)))     # pad < kernel: no window
        # lies wholly in the padding (else a channel can be constant, which BatchNorm turns into
        # amplified rounding noise); dilation only without padding, for the same reason
        d = draw(st.integers(1, 2)) if p == 0 and max(k) > 1 and min(h, w) >= 2 * max(k) - 1 else 1
        g = draw(st.sampled_from([1, c])) if c in (2, 3) else 1       # depthwise or not
        f = g * draw(st.integers(1, 3 if g == 1 else 2))
        span = [dd * (kk - 1) + 1 for dd, kk in zip((d, d), k)]
        out = (n, f, (h + 2 * p - span[0]) // s + 1, (w + 2 * p - span[1]) // s + 1)
        return emit('conv', [a], out, f=f, k=k, s=s, p=p, d=d, g=g, c=c,
                    bias=draw(st.booleans()), frozen=draw(_frozen))

    def maxpool(a, kind='maxpool'):
        attrs, out = draw(_pool_attrs(shapes[a], allow_full))
        return emit(kind, [a], out, **attrs)

    def relu(a):
        return emit('relu', [a], shapes[a])

    def layers():         # the instructions that made a layer with parameters (not BatchNorm:
        # a shared one updates its running statistics once per call in the order of the graph's
        # topological sort when hybridized, as in MXNet, not in the order of the Python code)
        return [i for i, (kind, _, _) in enumerate(prog) if kind in ('conv', 'dense')]

    for _ in range(draw(st.integers(1, 6))):
        a = pick()
        n, c, h, w = shapes[a]
        big = _numel(shapes[a]) > 600
        kind = draw(st.sampled_from(['conv_relu_pool', 'relu_pools', 'fan_out', 'dense_relu',
                                     'conv', 'dense', 'dense_flat', 'maxpool', 'avgpool', 'gpool',
                                     'relu', 'F.relu', 'act', 'bn', 'add', 'mul', 'concat',
                                     'slice', 'transpose', 'reshape', 'flatten', 'shared']))
        if kind == 'conv_relu_pool':
            maxpool(relu(conv(a)))
        elif kind == 'relu_pools':                 # one relu feeding several max pools
            r = relu(a)
            for _ in range(draw(st.integers(2, 3))):
                maxpool(r)
        elif kind == 'fan_out':                    # relu(conv) read by a pool and by an add
            r = relu(conv(a))
            maxpool(r)
            emit('add', [r, same_shape(r)], shapes[r])
        elif kind == 'dense_relu':
            relu(emit('dense', [a], (n, c, h, 3), units=3, w=w, bias=True, frozen=False))
        elif kind == 'conv':
            conv(a)
        elif kind == 'dense':
            emit('dense', [a], (n, c, h, 2), units=2, w=w, bias=draw(st.booleans()),
                 frozen=draw(_frozen))
        elif kind == 'dense_flat':
            emit('dense_flat', [a], (n, 3, 1, 1), units=3, w=c * h * w, frozen=draw(_frozen))
        elif kind in ('maxpool', 'avgpool'):
            maxpool(a, kind)
        elif kind == 'gpool':
            emit('gpool', [a], (n, c, 1, 1), max=draw(st.booleans()))
        elif kind in ('relu', 'F.relu'):
            emit(kind, [a], shapes[a])
        elif kind == 'act':
            emit('act', [a], shapes[a], act=draw(st.sampled_from(['tanh', 'sigmoid', 'softrelu'])))
        elif kind == 'bn':
            emit('bn', [a], shapes[a], c=c, frozen=draw(_frozen))
        elif kind == 'shared' and layers():       # a layer of the net called once more
            i = draw(st.sampled_from(layers()))
            b = draw(st.sampled_from([v for v, sh in enumerate(shapes) if sh == shapes[prog[i][1][0]]]))
            emit('shared', [b], shapes[n_in + i], of=i)
        elif kind in ('add', 'mul'):               # with itself (x + x) or another same-shape value
            emit(kind, [a, same_shape(a)], shapes[a])
        elif kind == 'concat' and not big:
            b = draw(st.sampled_from([i for i, s in enumerate(shapes)
                                      if s[0] == n and s[2:] == (h, w)]))
            emit('concat', [a, b], (n, c + shapes[b][1], h, w))
        elif kind == 'slice' and max(c, h, w) > 1:
            axis = draw(st.sampled_from([i for i in (1, 2, 3) if shapes[a][i] > 1]))
            size = shapes[a][axis]
            begin = draw(st.integers(0, size - 2))
            end = draw(st.integers(begin + 1, size))
            out = list(shapes[a])
            out[axis] = end - begin
            emit('slice', [a], tuple(out), axis=axis, begin=begin, end=end)
        elif kind == 'transpose':
            emit('transpose', [a], (n, c, w, h))
        elif kind == 'reshape':
            emit('reshape', [a], (n, c * h, 1, w))
        else:
            emit('flatten', [a], (n, c * h * w, 1, 1))
    # every value nobody reads is an output (so eager and hybridized compute the same nodes),
    # plus up to two values that are also read inside the graph (or an input passed through, or
    # an output returned twice)
    read = {s for _, srcs, _ in prog for s in srcs}
    sinks = [i for i in range(n_in, len(shapes)) if i not in read]
    extra = draw(st.lists(st.sampled_from(sorted(read | set(sinks))), max_size=2))
    return shapes[:n_in], prog, sinks + extra


# -- the block ------------------------------------------------------------------------------------

def _layer(kind, a):
    if kind == 'conv':
        return nn.Conv2D(a['f'], a['k'], strides=a['s'], padding=a['p'], dilation=a['d'],
                         groups=a['g'], in_channels=a['c'], use_bias=a['bias'])
    if kind == 'dense':
        return nn.Dense(a['units'], flatten=False, in_units=a['w'], use_bias=a['bias'])
    if kind == 'dense_flat':
        return nn.Dense(a['units'], in_units=a['w'])
    if kind in ('maxpool', 'avgpool'):
        cls = nn.MaxPool2D if kind == 'maxpool' else nn.AvgPool2D
        return cls(a['k'], strides=a['s'], padding=a['p'], ceil_mode=a['full'])
    if kind == 'gpool':
        return nn.GlobalMaxPool2D() if a['max'] else nn.GlobalAvgPool2D()
    if kind == 'relu':
        return nn.Activation('relu')
    if kind == 'bn':
        return nn.BatchNorm(in_channels=a['c'])
    return None


class ProgramNet(nn.HybridBlock):
    """Runs a program from :func:`programs`; returns one value or a tuple of them."""

    def __init__(self, prog, outputs, **kwargs):
        super().__init__(**kwargs)
        self.prog, self.outs, self.layers = prog, outputs, {}
        with self.name_scope():
            for i, (kind, _, a) in enumerate(prog):
                layer = _layer(kind, a)
                if layer is not None:
                    self.register_child(layer, 'l%d' % i)
                    self.layers[i] = layer

    def hybrid_forward(self, F, x, *rest):
        vals = [x, *rest]
        for i, (kind, srcs, a) in enumerate(self.prog):
            ins = [vals[s] for s in srcs]
            if kind == 'shared':
                y = self.layers[a['of']](ins[0])
            elif i in self.layers:
                y = self.layers[i](ins[0])
                if kind == 'dense_flat':
                    y = F.reshape(y, shape=(0, -1, 1, 1))
            elif kind == 'F.relu':
                y = F.relu(ins[0])
            elif kind == 'act':
                y = F.Activation(ins[0], act_type=a['act'])
            elif kind == 'add':
                y = ins[0] + ins[1]
            elif kind == 'mul':
                y = ins[0] * ins[1]
            elif kind == 'concat':
                y = F.concat(ins[0], ins[1], dim=1)
            elif kind == 'slice':
                y = F.slice_axis(ins[0], axis=a['axis'], begin=a['begin'], end=a['end'])
            elif kind == 'transpose':
                y = F.transpose(ins[0], axes=(0, 1, 3, 2))
            elif kind == 'reshape':
                y = F.reshape(ins[0], shape=(0, -1, 1, 0))
            else:
                y = F.reshape(F.flatten(ins[0]), shape=(0, -1, 1, 1))
            vals.append(y)
        outs = [vals[k] for k in self.outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


def build_net(prog, outputs, dtype, seed):
    net = ProgramNet(prog, outputs)
    net.initialize()
    net.cast(dtype)
    for i, (kind, _, a) in enumerate(prog):
        if a.get('frozen'):
            net.layers[i].collect_params().setattr('grad_req', 'null')
    rng = np.random.RandomState(seed)
    for p in net.collect_params().values():     # away from zero: relu kinks are unlikely ties
        p.set_data(nd.array(rng.uniform(0.3, 1.0, p.shape) * rng.choice([-1, 1], p.shape)
                            if not p.name.endswith('_var') else rng.uniform(0.5, 1.5, p.shape),
                            dtype=dtype))
    return net
