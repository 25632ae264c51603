"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker22c_program.py`` (``gluon.rnn``
cells, modifier cells and fused layers: activations, names, training-mode modifiers, reset,
state clipping, sequence lengths, float16, export and import), recorded for
``tests/test_breaker22c_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker22c_fixtures.py

Output: ``tests/fixtures/breaker22c/``: ``mxnet.json`` (the programs' outcomes) and the layers
MXNet exported (``<name>-symbol.json``, ``<name>-0000.params``), which the tests load into
minigluon.
"""
import os
import sys
import warnings

os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'     # errors raised by the call that fails

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402

FOLDER = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker22c')


def _run(program, mx):
    os.makedirs(FOLDER, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return program.run(mx, FOLDER)


if __name__ == '__main__':
    record_run('_breaker22c_program', os.path.join(FOLDER, 'mxnet.json'), digits=7, compact=True,
               call=_run)
