"""``gluon.nn``: neural network layers (MXNet 1.9.1 ``mxnet.gluon.nn``)."""
from minigluon.block import Block, HybridBlock, HybridSequential, Sequential  # noqa: F401
from minigluon.nn.activations import *  # noqa: F401,F403
from minigluon.nn.basic_layers import *  # noqa: F401,F403
from minigluon.nn.conv_layers import *  # noqa: F401,F403
try:  # SymbolBlock lives with the symbol engineer's block code
    from minigluon.block import SymbolBlock  # noqa: F401
except ImportError:  # pragma: no cover
    pass

from minigluon import base as _base  # noqa: E402
from minigluon.loss import _OTHER_FRAMEWORKS as _LOSSES  # noqa: E402

_CONV = ('use nn.%s(channels, kernel_size, strides=1, padding=0): channels is the number of '
         'output channels, the input channels are found at the first call (or in_channels=)')
_CONV_T = ('use nn.%s(channels, kernel_size, strides, padding, output_padding), channels the '
           'output channels')
_POOL = 'use nn.%s(pool_size, strides=None, padding=0); strides=None means pool_size'
_BATCHNORM = ('use nn.BatchNorm(): axis=1 is the channel axis and the channels are found at the '
              "first call; its momentum=0.9 is PyTorch's momentum=0.1 (the old statistics' weight)")
_RNN = ("use gluon.rnn.%s(hidden_size, num_layers=1): its layout is 'TNC' (time first) unless "
        "layout='NTC' (PyTorch's batch_first=True); bidirectional=True for both directions")

# PyTorch's torch.nn names that MXNet 1.9.1's gluon.nn lacks (checked against it:
# tests/fixtures/other_frameworks): asking for one names Gluon's way, as for nd.cat and net.eval
_OTHER_FRAMEWORKS = {
    'Module': ('use gluon.HybridBlock, its computation in hybrid_forward(self, F, x) (F: mx.nd, or '
               'mx.sym when hybridized), or gluon.Block with forward(self, x), which runs '
               'eagerly only (hybridize() reaches its HybridBlock children) and has no export; '
               '__init__ calls super().__init__(**kwargs) first'),
    'Parameter': ("use self.params.get('name', shape=...) in a block's name_scope() (or "
                  'gluon.Parameter); hybrid_forward receives it by name'),
    'functional': ('use F in hybrid_forward (mx.nd eagerly, mx.sym when hybridized): F.relu(x), '
                   'F.softmax(x, axis=-1); or mx.nd outside a block'),
    'Linear': ('use nn.Dense(units): the output size only, the input size is found at the first '
               'call (or in_units=); Dense flattens every axis after the first unless '
               'flatten=False'),
    'Conv1d': _CONV % 'Conv1D', 'Conv2d': _CONV % 'Conv2D', 'Conv3d': _CONV % 'Conv3D',
    'ConvTranspose1d': _CONV_T % 'Conv1DTranspose', 'ConvTranspose2d': _CONV_T % 'Conv2DTranspose',
    'ConvTranspose3d': _CONV_T % 'Conv3DTranspose',
    'MaxPool1d': _POOL % 'MaxPool1D', 'MaxPool2d': _POOL % 'MaxPool2D',
    'MaxPool3d': _POOL % 'MaxPool3D', 'AvgPool1d': _POOL % 'AvgPool1D',
    'AvgPool2d': _POOL % 'AvgPool2D', 'AvgPool3d': _POOL % 'AvgPool3D',
    'AdaptiveAvgPool2d': ('use nn.GlobalAvgPool2D() for an output of 1x1, '
                          'F.contrib.AdaptiveAvgPooling2D(x, output_size=(h, w)) in hybrid_forward '
                          'for others'),
    'BatchNorm1d': _BATCHNORM, 'BatchNorm2d': _BATCHNORM, 'BatchNorm3d': _BATCHNORM,
    'ReLU': "use nn.Activation('relu')", 'Sigmoid': "use nn.Activation('sigmoid')",
    'Tanh': "use nn.Activation('tanh')", 'Softplus': "use nn.Activation('softrelu')",
    'Softsign': "use nn.Activation('softsign')", 'SiLU': 'use nn.Swish() (beta=1)',
    'Softmax': 'there is no softmax layer: call F.softmax(x, axis=-1) in hybrid_forward',
    'Identity': 'use gluon.contrib.nn.Identity()',
    'ModuleList': ('use nn.Sequential() or nn.HybridSequential() (add(), net[i], len(net)), or '
                   'assign each block as an attribute: a Python list of blocks is not registered'),
    'ModuleDict': 'assign each block as an attribute, or call self.register_child(block, name)',
    'LSTM': _RNN % 'LSTM', 'GRU': _RNN % 'GRU', 'RNN': _RNN % 'RNN',
    'Upsample': "call F.UpSampling(x, scale=2, sample_type='nearest') in hybrid_forward",
    'L1Loss': 'use gluon.loss.L1Loss()', 'KLDivLoss': 'use gluon.loss.KLDivLoss()',
    'HuberLoss': ("use gluon.loss.HuberLoss(rho=delta), which is PyTorch's HuberLoss(delta) "
                  'divided by delta (its SmoothL1Loss(beta=delta))'),
    'CTCLoss': ("use gluon.loss.CTCLoss(): the blank is the last class (PyTorch's is 0) and the "
                "scores' layout 'NTC' unless layout='TNC'"),
}
_OTHER_FRAMEWORKS.update((name, hint + ' (losses live in gluon.loss)') for name, hint in
                         _LOSSES.items())

__getattr__ = _base.out_of_scope_getattr(__name__, other_frameworks=_OTHER_FRAMEWORKS)
