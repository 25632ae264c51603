"""minigluon: a small deep learning framework that speaks MXNet 1.x Gluon, on NumPy or CuPy.

``import minigluon as mx`` gives the layout of MXNet 1.x: ``mx.nd``, ``mx.autograd``, ``mx.gluon``...
"""
__version__ = '0.1.0'

from minigluon import base  # noqa: F401
from minigluon.base import MXNetError  # noqa: F401
from minigluon.context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus  # noqa: F401
from minigluon import context  # noqa: F401
from minigluon import ops  # noqa: F401
from minigluon import autograd  # noqa: F401
from minigluon import ndarray  # noqa: F401
from minigluon import ndarray as nd  # noqa: F401
