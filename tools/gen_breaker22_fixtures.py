"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker22_program.py`` (NDArray's Python
protocol: operators with every kind of operand, conversions, copying, odd index keys, integer
arrays meeting Python ints beyond their range, bfloat16 arrays in ``.params`` files), recorded
for ``tests/test_breaker22_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker22_fixtures.py

Output: ``tests/fixtures/breaker22/``: ``bfloat16.params`` and ``bfloat16_list.params``
(bfloat16 arrays saved by MXNet's ``nd.save``) and ``mxnet.json`` (the programs' outcomes and
the float32 values MXNet loads from those files).
"""
import os
import sys
import warnings

os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'     # errors raised by the call that fails

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402

FOLDER = os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker22')


def _programs_and_bfloat16_files(program, mx):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')      # complex operands, NumPy's object arrays
        result = program.run(mx)
    os.makedirs(FOLDER, exist_ok=True)
    program.write_bfloat16(mx, FOLDER)
    result['bfloat16'] = program.bfloat16_values(mx, FOLDER)
    return result


if __name__ == '__main__':
    record_run('_breaker22_program', os.path.join(FOLDER, 'mxnet.json'), compact=True,
               call=_programs_and_bfloat16_files)
