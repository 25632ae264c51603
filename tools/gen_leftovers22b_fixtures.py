"""What MXNet 1.9.1 gives for the programs of ``tests/_leftovers22b_program.py`` (a tuple then a
NumPy array in a batch, image sizes as strings or floats, recurrent layers given the wrong
states, NDArray-only methods on a Symbol, ``mx.rnn.encode_sentences`` and
``BucketSentenceIter``), recorded for ``tests/test_leftovers22b_regressions.py``; run in the MXNet
venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_leftovers22b_fixtures.py

Output: ``tests/fixtures/leftovers22b/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import own_cpu_kernels, record_run  # noqa: E402

if __name__ == '__main__':
    own_cpu_kernels()
    record_run('_leftovers22b_program',
               os.path.join(HERE, '..', 'tests', 'fixtures', 'leftovers22b', 'mxnet.json'))
