"""``mx.contrib`` and ``gluon.contrib``: contributed operators and blocks.

``contrib.nd`` / ``contrib.ndarray`` and ``contrib.sym`` / ``contrib.symbol`` are the
``_contrib_`` operators without their prefix (the modules ``nd.contrib`` and ``sym.contrib``), as
MXNet's ``mx.contrib.nd.ctc_loss``; ``contrib.nn`` holds the extra Gluon blocks, ``contrib.cnn`` the
deformable convolutions, ``contrib.rnn`` the extra recurrent cells, ``contrib.data`` the ``IntervalSampler``, ``contrib.estimator`` the
``Estimator`` training loop and its event handlers, ``contrib.text`` token vocabularies and
embeddings read from local files, ``contrib.amp`` automatic mixed precision, ``contrib.io`` the ``DataLoaderIter`` (a Gluon
``DataLoader`` as an ``mx.io`` data iterator), ``contrib.autograd`` the autograd API of MXNet before 1.0.
"""
from minigluon import base as _base
import sys as _sys

from minigluon.ndarray import contrib as ndarray
from minigluon.symbol import contrib as symbol
from minigluon.contrib import amp  # noqa: F401
from minigluon.contrib import autograd  # noqa: F401
from minigluon.contrib import cnn  # noqa: F401
from minigluon.contrib import data  # noqa: F401
from minigluon.contrib import estimator  # noqa: F401
from minigluon.contrib import io  # noqa: F401
from minigluon.contrib import nn  # noqa: F401
from minigluon.contrib import rnn  # noqa: F401
from minigluon.contrib import text

nd = ndarray
sym = symbol
__all__ = ['ndarray', 'nd', 'symbol', 'sym', 'amp', 'autograd', 'cnn', 'data', 'estimator', 'io', 'nn', 'rnn', 'text']

for _name, _module in [('ndarray', ndarray), ('nd', ndarray), ('symbol', symbol), ('sym', symbol)]:
    _sys.modules.setdefault('%s.%s' % (__name__, _name), _module)
# ``from minigluon.gluon.contrib.rnn import X`` finds these modules, not fresh copies of them
for _name, _module in [('cnn', cnn), ('nn', nn), ('rnn', rnn), ('data', data), ('data.sampler', data.sampler),
                       ('estimator', estimator), ('estimator.estimator', estimator.estimator),
                       ('estimator.event_handler', estimator.event_handler),
                       ('estimator.batch_processor', estimator.batch_processor)]:
    _sys.modules.setdefault('minigluon.gluon.contrib.%s' % _name, _module)

# parts of mx.contrib that are out of scope: asking for them says so (hasattr() stays False)
__getattr__ = _base.out_of_scope_getattr('minigluon.contrib', {
    'quantization': 'quantization (contrib.quantization)', 'quant': 'quantization (contrib.quant)',
    'onnx': 'ONNX import and export (contrib.onnx)',
    'tensorboard': 'the TensorBoard logging callback (contrib.tensorboard)'},
    'export the model with HybridBlock.export (MXNet-format files) instead')
