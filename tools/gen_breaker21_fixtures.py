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
import json
import os
import sys

os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'     # errors raised by the call that fails

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import rounded  # noqa: E402


def main():
    import mxnet as mx
    sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
    import _breaker21_program as program
    folder = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker21')
    os.makedirs(folder, exist_ok=True)
    result = {'before': {tag: program.before(mx, folder, tag) for tag in program.OPTIMIZERS},
              'after': {tag: program.after(mx, folder, tag) for tag in program.OPTIMIZERS},
              'deferred_set_data': program.deferred_set_data(mx)}
    result = rounded(json.loads(json.dumps(result, default=float)), 8)
    out = os.path.join(folder, 'mxnet.json')
    with open(out, 'w') as f:
        json.dump(result, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    print('wrote', out)


if __name__ == '__main__':
    main()
