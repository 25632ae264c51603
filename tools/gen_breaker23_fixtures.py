"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker23_program.py`` (every registered
optimizer through ``optimizer.create`` / ``get_updater``, the learning-rate schedulers, and
``gluon.Trainer``), recorded for ``tests/test_breaker23_regressions.py``; run in the MXNet venv,
never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker23_fixtures.py

Output: ``tests/fixtures/breaker23/mxnet.json`` (the programs' outcomes, floats as they are).
"""
import os
import sys
import tempfile
import warnings

os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'     # errors raised by the call that fails
os.environ['MXNET_MKLDNN_ENABLED'] = '0'

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402

FOLDER = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker23')


def _run(program, mx):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return program.run(mx, tempfile.mkdtemp())


if __name__ == '__main__':
    record_run('_breaker23_program', os.path.join(FOLDER, 'mxnet.json'), digits=9, compact=True,
               call=_run)
