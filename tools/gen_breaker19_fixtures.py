"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker19_program.py`` (box_nms at its
thresholds, ROI operators with spatial_scale=0, out= and name/attr given positionally, samplers
writing into out=, attr= and unknown keywords, bools as number attributes), recorded for
``tests/test_breaker19_regressions.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker19_fixtures.py

Output: ``tests/fixtures/breaker19/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402


def main():
    record_run('_breaker19_program',
               os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker19', 'mxnet.json'))


if __name__ == '__main__':
    main()
