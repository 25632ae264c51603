"""``gluon.model_zoo``: network definitions of MXNet's model zoo (no pretrained downloads)."""
from minigluon.gluon.model_zoo import vision  # noqa: F401
from minigluon.gluon.model_zoo.vision import get_model  # noqa: F401
