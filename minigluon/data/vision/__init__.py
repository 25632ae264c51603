"""``gluon.data.vision``: image transforms (datasets that download are not provided)."""
from minigluon.data.vision import transforms  # noqa: F401
