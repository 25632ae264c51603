"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker18b_program.py`` (a metric keeping
local statistics only, ``Symbol.reshape``'s JSON attributes...), recorded for
``tests/test_breaker18b_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker18b_fixtures.py

Output: ``tests/fixtures/breaker18b/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402


def main():
    record_run('_breaker18b_program',
               os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker18b', 'mxnet.json'))


if __name__ == '__main__':
    main()
