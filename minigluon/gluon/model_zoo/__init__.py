"""``gluon.model_zoo``: network definitions of MXNet's model zoo (no pretrained downloads)."""
