"""Mistakes of a first Gluon model (a PyTorch user's, written from the README), each an error
that says what to write: MXNet 1.9.1 raises the same exception types with Python's bare text
('takes 2 positional arguments but 3 were given', "object has no attribute '_children'")."""
import numpy as np
import pytest

import minigluon as mx
from minigluon import autograd, gluon, nd
from minigluon.gluon import nn


class _NoF(gluon.HybridBlock):
    """hybrid_forward written as PyTorch's forward: no F."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(2)

    def hybrid_forward(self, x):
        return self.dense(x)


class _Scaled(gluon.HybridBlock):
    """A Parameter of its own, which hybrid_forward must take by name; this one forgot it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.scale = self.params.get('scale', shape=(1,), init=mx.init.One())

    def hybrid_forward(self, F, x):
        return x * 2


@pytest.mark.parametrize('hybridize', [False, True])
def test_hybrid_forward_without_F_says_where_F_goes(hybridize):
    net = _NoF(prefix='nof_')
    net.initialize()
    if hybridize:
        net.hybridize()                  # the first call traces: the same call, with F = mx.sym
    with pytest.raises(TypeError, match=r"^nof \(_NoF\): hybrid_forward\(self, x\) cannot take the "
                                        r"call hybrid_forward\(F, x\): F \(mx.nd, or mx.sym when "
                                        r"hybridized\) comes first, .* so for this call it reads "
                                        r"hybrid_forward\(self, F, x\) \(.*takes 2 positional "
                                        r"arguments but 3 were given\)$") as info:
        net(nd.ones((1, 3)))
    assert isinstance(info.value.__cause__, TypeError)        # Python's own message, chained


def test_the_signature_the_hint_gives_works():
    class Fixed(_NoF):
        def hybrid_forward(self, F, x):
            return self.dense(x)

    net = Fixed()
    net.initialize()
    assert net(nd.ones((1, 3))).shape == (1, 2)


def test_the_hint_lists_the_blocks_own_parameters_and_the_inputs_of_the_call():
    # called with two inputs, and a Parameter hybrid_forward does not take
    net = _Scaled(prefix='s_')
    net.initialize()
    with pytest.raises(TypeError, match=r"call hybrid_forward\(F, x0, x1, scale=...\): .* so for "
                                        r"this call it reads hybrid_forward\(self, F, x0, x1, "
                                        r"scale\) \("):
        net(nd.ones((1,)), nd.ones((1,)))

    class Fixed(_Scaled):
        def hybrid_forward(self, F, x, scale):
            return F.broadcast_mul(x, scale)

    ok = Fixed()
    ok.initialize()
    assert ok(nd.array([3.0])).asnumpy().tolist() == [3.0]


def test_a_type_error_inside_hybrid_forward_is_left_as_it_is():
    class Inside(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return len(5)                 # the user's own bug, the call itself binds

    with pytest.raises(TypeError, match=r"^object of type 'int' has no len\(\)$"):
        Inside()(nd.ones(1))


class _NoSuper(gluon.Block):
    def __init__(self, scope_first):
        if scope_first:
            with self.name_scope():
                self.dense = nn.Dense(2)
        self.dense = nn.Dense(2)


@pytest.mark.parametrize('scope_first, missing', [(False, '_children'), (True, '_scope')])
def test_a_block_without_super_init_says_to_call_it(scope_first, missing):
    with pytest.raises(AttributeError, match=r"^'_NoSuper' object has no attribute '%s': "
                                             r"_NoSuper.__init__ must call "
                                             r"super\(\).__init__\(\*\*kwargs\) before" % missing):
        _NoSuper(scope_first)


def test_a_parameter_assigned_without_super_init_says_so_and_plain_attributes_are_fine():
    class Plain(gluon.Block):
        def __init__(self):
            self.units = 3                # no Block or Parameter: nothing needs Block.__init__
            self.weight = gluon.Parameter('weight', shape=(2,))

    with pytest.raises(AttributeError, match=r"no attribute '_reg_params': Plain.__init__ must call"):
        Plain()


def test_forgetting_initialize_names_the_call():
    net = nn.Dense(3)
    with pytest.raises(RuntimeError, match=r"has not been initialized\. .*; a network must be "
                                           r"initialized before its first call: net.initialize\(\), "
                                           r"e.g. net.initialize\(mx.init.Xavier\(\)\)$"):
        net(nd.ones((2, 4)))
    net.initialize(mx.init.Xavier())                             # the advice
    with autograd.record():
        out = net(nd.ones((2, 4)))
    assert out.shape == (2, 3) and np.isfinite(out.asnumpy()).all()


def test_export_of_a_block_that_overrides_forward_says_why_there_is_no_graph(tmp_path):
    # PyTorch's habit: forward() in a HybridBlock. hybridize() and a call run fine (eagerly), and
    # MXNet 1.9.1's export then asks to "first call block.hybridize()", which was done
    class Forward(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense = nn.Dense(2)

        def forward(self, x):
            return self.dense(x)

    net = Forward()
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 3)))
    with pytest.raises(RuntimeError, match=r"^Please first call block.hybridize\(\) .* Forward "
                                           r"overrides forward\(\), .* hybridize\(\) has nothing to "
                                           r"trace there. Write the computation as "
                                           r"hybrid_forward\(self, F, x\)"):
        net.export(str(tmp_path / 'net'))

    class Hybrid(Forward):                  # the advice: exports
        forward = gluon.HybridBlock.forward

        def hybrid_forward(self, F, x):
            return self.dense(x)

    net = Hybrid()
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 3)))
    net.export(str(tmp_path / 'net'))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['net-0000.params', 'net-symbol.json']
    # a block that was never called keeps the plain message
    with pytest.raises(RuntimeError, match=r"before calling export\.$"):
        nn.Dense(2).export(str(tmp_path / 'other'))


# -- help(nn.Conv2D) -------------------------------------------------------------------------------
# It showed one line, "Arguments as MXNet: channels, kernel_size, ...", under the signature
# (channels, kernel_size, strides=(1, 1), padding=(0, 0), *args, **kwargs).
_CONVS = ['Conv1D', 'Conv2D', 'Conv3D', 'Conv1DTranspose', 'Conv2DTranspose', 'Conv3DTranspose']


@pytest.mark.parametrize('name', _CONVS)
def test_convolution_help_shows_the_signature_and_its_shape_rule_holds(name):
    import inspect
    import math
    import re
    cls = getattr(nn, name)
    transposed, n = name.endswith('Transpose'), int(name[4])
    signature = inspect.signature(cls)
    expected = ['channels', 'kernel_size', 'strides', 'padding'] + (
        ['output_padding'] if transposed else []) + [
        'dilation', 'groups', 'layout', 'activation', 'use_bias', 'weight_initializer',
        'bias_initializer', 'in_channels', 'kwargs']                   # MXNet 1.9.1's order
    assert list(signature.parameters) == expected
    assert signature.parameters['in_channels'].default == 0
    doc = cls.__doc__
    assert "PyTorch's ``Conv%s%dd(in, out, k)`` is\n    ``%s(out, k)`` here" % (
        'Transpose' if transposed else '', n, name) in doc
    rule = re.search(r"each\nspatial size ``x`` becoming ``(.*?)``;", doc).group(1)
    rng = np.random.RandomState(n + 3 * transposed)
    for _ in range(4):
        k, s, p, d = (int(v) for v in rng.randint(1, 4, 4))
        p -= 1
        size = int(rng.randint(k * d + 2, 12))
        extra = {'output_padding': int(rng.randint(0, s))} if transposed else {}
        layer = cls(5, k, s, p, *([extra['output_padding']] if transposed else []), d, in_channels=2)
        layer.initialize()
        out = layer(nd.ones((1, 2) + (size,) * n))
        want = eval(rule, {'floor': math.floor}, dict(x=size, strides=s, padding=p, dilation=d,
                                                       kernel_size=k, **extra))
        assert out.shape == (1, 5) + (want,) * n, (k, s, p, d, size, extra)
        wshape = re.search(r"``weight`` ``\((.*?)\)``", doc).group(1).split(', ')
        assert layer.weight.shape[:2] == ((2, 5) if wshape[0] == 'in_channels' else (5, 2))


def test_convolution_arguments_by_position_follow_the_signature():
    by_position = nn.Conv2D(4, 3, 2, 1, 1, 2, 'NCHW', 'relu', False, None, 'zeros', 6)
    by_name = nn.Conv2D(channels=4, kernel_size=3, strides=2, padding=1, dilation=1, groups=2,
                        layout='NCHW', activation='relu', use_bias=False, in_channels=6)
    assert repr(by_position) == repr(by_name) == (      # in_channels / groups -> channels
        'Conv2D(3 -> 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), groups=2, bias=False, '
        'Activation(relu))')


@pytest.mark.parametrize('name', ['MaxPool1D', 'MaxPool2D', 'MaxPool3D', 'AvgPool1D', 'AvgPool2D',
                                  'AvgPool3D'])
def test_pooling_help_gives_the_parameters_and_its_shape_rule_holds(name):
    # it was one line, "Max pooling over 2-D inputs (layout NCHW by default): pool_size, ..."
    import math
    import re
    cls = getattr(nn, name)
    n = int(name[-2])
    doc = cls.__doc__
    assert doc.splitlines()[2:4] == ['Parameters', '----------']
    assert "None (the default) means ``pool_size``" in doc
    rule = re.search(r"each spatial size ``x``\nbecoming ``(.*?)``", doc).group(1)
    rng = np.random.RandomState(n)
    for ceil_mode in (False, True):
        for _ in range(4):
            k, s = (int(v) for v in rng.randint(1, 4, 2))
            p = int(rng.randint(0, (k + 1) // 2))            # MXNet: padding below the window
            size = int(rng.randint(k + 1, 12))
            layer = cls(k, s, p, ceil_mode=ceil_mode)
            out = layer(nd.ones((1, 2) + (size,) * n))
            rounding = math.ceil if ceil_mode else math.floor
            want = eval(rule, {'floor': rounding}, dict(x=size, strides=s, padding=p, pool_size=k))
            assert out.shape == (1, 2) + (want,) * n, (k, s, p, size, ceil_mode)
    assert cls(3).__repr__() == cls(3, 3).__repr__()                 # strides=None: pool_size


def test_the_package_docstring_points_a_reader_at_guides_that_exist():
    # help(minigluon) is where a student starts; what it names must be there
    import os
    import re
    import minigluon
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    doc = minigluon.__doc__
    paths = re.findall(r'``((?:docs|examples)/[\w/]+\.(?:md|py))``', doc)
    assert sorted(paths) == ['docs/DESIGN.md', 'examples/trace_one_step.py']
    assert all(os.path.exists(os.path.join(root, p)) for p in paths)
    readme = open(os.path.join(root, 'README.md')).read()
    assert '## Reading the code' in readme and '"Reading the code"' in doc
    design = open(os.path.join(root, 'docs', 'DESIGN.md')).read()
    for title in ('Following one operator call', 'Following one training step',
                  'Following one hybridized training step', 'Following a name',
                  'Following a save and a load'):
        assert '## ' + title in design
    for module in re.findall(r':mod:`([\w.]+)`', doc):
        assert __import__(module, fromlist=['_']).__doc__
