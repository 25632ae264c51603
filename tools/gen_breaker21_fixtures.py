"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker21_program.py`` (LBSGD resumed from
``Trainer.save_states`` in the middle of a macro-batch, and the other optimizers whose states
files no other fixture holds; set_data on a Parameter whose shape waits
for data), recorded for ``tests/test_breaker21_regressions.py``; run in the MXNet venv, never by
the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker21_fixtures.py

Output: ``tests/fixtures/breaker21/``: ``<optimizer>.params`` and ``<optimizer>.states`` (MXNet's
``save_parameters`` and ``Trainer.save_states`` pickle after the program's first calls, for each
optimizer of the program's ``OPTIMIZERS``) and ``mxnet.json`` (the weights then, the weights
after each call of the resumed run, and the set_data programs' results).
"""
import os
import sys

os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'     # errors raised by the call that fails

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402

FOLDER = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker21')


def _states_and_resumed_runs(program, mx):
    os.makedirs(FOLDER, exist_ok=True)
    return {'before': {tag: program.before(mx, FOLDER, tag) for tag in program.OPTIMIZERS},
            'after': {tag: program.after(mx, FOLDER, tag) for tag in program.OPTIMIZERS},
            'deferred_set_data': program.deferred_set_data(mx)}


if __name__ == '__main__':
    record_run('_breaker21_program', os.path.join(FOLDER, 'mxnet.json'), digits=8, compact=True,
               call=_states_and_resumed_runs)
