"""Which exception classes MXNet 1.9.1 raises for the calls of ``tests/_newuser21_program.py``
(a hybridized block or a SymbolBlock given a NumPy array, a list or a number where an NDArray
belongs), and what ``HybridBlock.optimize_for(x, backend='MKLDNN')`` then gives, recorded for
``tests/test_newuser21_regressions.py``; run in the MXNet venv, never by
the test suite::

    /opt/mxvenv/bin/python tools/gen_newuser21_fixtures.py

Output: ``tests/fixtures/newuser21/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402

if __name__ == '__main__':
    record_run('_newuser21_program', os.path.join(HERE, '..', 'tests', 'fixtures', 'newuser21', 'mxnet.json'))
