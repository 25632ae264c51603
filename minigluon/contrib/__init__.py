"""``gluon.contrib``: extra blocks (``contrib.nn``)."""
from minigluon.contrib import nn  # noqa: F401
