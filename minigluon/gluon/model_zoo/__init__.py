"""``gluon.model_zoo``: network definitions of MXNet's model zoo (``vision``), and ``model_store``,
which finds the pretrained files MXNet downloaded (minigluon downloads nothing)."""
from minigluon.gluon.model_zoo import model_store  # noqa: F401
from minigluon.gluon.model_zoo import vision  # noqa: F401
from minigluon.gluon.model_zoo.vision import get_model  # noqa: F401
