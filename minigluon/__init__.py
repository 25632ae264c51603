"""minigluon: a small deep learning framework that speaks MXNet 1.x Gluon, on NumPy or CuPy.

``import minigluon as mx`` gives the layout of MXNet 1.x: ``mx.nd``, ``mx.sym``, ``mx.autograd``,
``mx.gluon``, ``mx.init``, ``mx.optimizer``, ``mx.metric``... (see the README's porting guide).

How it works, for a reader of the code: the README's "Reading the code" gives a reading order
(one operator, running it eagerly, backpropagation, graphs, Gluon, CTC, files); ``docs/DESIGN.md``
follows one operator call, one training step (eager, then hybridized), a name and a save through
the functions they run; ``examples/trace_one_step.py`` prints those functions for a tiny network,
and the docstrings of :mod:`minigluon.autograd` and :mod:`minigluon.block.hybrid` explain the tape
and the cached graph behind ``hybridize``.
"""
import sys as _sys

__version__ = '0.1.0'

from minigluon import _malloc
_malloc.tune()     # reuse freed memory: fewer page faults per training step (see _malloc.py)

from minigluon import base  # noqa: F401
from minigluon.base import MXNetError  # noqa: F401
from minigluon import context  # noqa: F401
from minigluon.context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus  # noqa: F401
from minigluon import ops  # noqa: F401
from minigluon import autograd  # noqa: F401
from minigluon import ndarray  # noqa: F401
from minigluon import ndarray as nd  # noqa: F401
from minigluon import random  # noqa: F401
from minigluon import name, attribute  # noqa: F401
from minigluon.attribute import AttrScope  # noqa: F401  (MXNet exports mx.AttrScope)
from minigluon import symbol  # noqa: F401
from minigluon import symbol as sym  # noqa: F401
from minigluon import initializer  # noqa: F401
from minigluon import initializer as init  # noqa: F401
from minigluon import optimizer, lr_scheduler, metric  # noqa: F401
from minigluon import io, util, test_utils  # noqa: F401
from minigluon import recordio  # noqa: F401
from minigluon import gluon  # noqa: F401
from minigluon import engine, model, runtime  # noqa: F401
from minigluon import image  # noqa: F401
from minigluon import image as img  # noqa: F401  (MXNet's alias)
from minigluon import visualization  # noqa: F401
from minigluon import profiler  # noqa: F401
from minigluon import operator  # noqa: F401
from minigluon import kvstore  # noqa: F401
from minigluon import kvstore as kv  # noqa: F401  (MXNet's alias)
from minigluon import callback  # noqa: F401
from minigluon import registry  # noqa: F401
from minigluon import visualization as viz  # noqa: F401  (MXNet's alias)

# MXNet spells the samplers both mx.random.uniform and mx.nd.random.uniform.
ndarray.random = random
_sys.modules[__name__ + '.ndarray.random'] = random
_sys.modules[__name__ + '.nd'] = ndarray
_sys.modules[__name__ + '.sym'] = symbol
_sys.modules[__name__ + '.img'] = image
_sys.modules[__name__ + '.viz'] = visualization
_sys.modules[__name__ + '.kv'] = kvstore

# From here on an operator registered with minigluon.ops.register (a user's, in a module of their
# own) gets its nd.<name> and sym.<name> functions at once (ops/registry.py, "Writing an operator").
ops.registry.REGISTRATION_HOOKS[:] = [ndarray.refresh, symbol.refresh]
ops.registry.NAME_CHECKS[:] = [ndarray._taken_name, symbol._taken_name]

# Parts of MXNet 1.9.1 that minigluon leaves out (docs/PORTING.md, "Out of scope"): asking for one says so
# instead of a bare "module 'minigluon' has no attribute" (hasattr() stays False).
_OUT_OF_SCOPE = {
    'mod': 'the Module API (mx.mod)', 'module': 'the Module API (mx.module)',
    'monitor': 'mx.monitor (a Module-era tool)', 'np': "NumPy mode (mx.np)",
    'npx': "NumPy mode (mx.npx)", 'numpy': 'NumPy mode (mx.numpy)',
    'numpy_extension': 'NumPy mode (mx.numpy_extension)', 'rtc': 'CUDA run-time compilation (mx.rtc)',
    'onnx': 'ONNX export (mx.onnx)', 'library': 'loading compiled extension libraries (mx.library)',
}


__getattr__ = base.out_of_scope_getattr(
    'minigluon', _OUT_OF_SCOPE, 'write the model with gluon Blocks and gluon.Trainer instead')
