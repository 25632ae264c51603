"""What MXNet 1.9.1's ``mx.io.NDArrayIter`` exposes to the code that reads or subclasses it (its
``data`` / ``label`` pairs, ``cursor``, ``idx``, ``num_data``, ``num_source``, ``data_list``...
after construction, each ``next()`` and each ``reset()``; three legacy subclasses), recorded for
tests/test_io_ndarrayiter_state.py. Run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_ndarrayiter_state_fixtures.py [program names]

Runs tests/_ndarrayiter_state_programs.py with its line ``import minigluon as mx`` switched to
``import mxnet as mx`` and writes what its programs return (floats rounded to 7 significant
digits) to tests/fixtures/ndarrayiter_state/mxnet.json; with program names, prints theirs and
writes nothing.
"""
import os
import sys
import warnings

warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record  # noqa: E402


def main(names=()):
    tests = os.path.join(HERE, '..', 'tests')
    record(os.path.join(tests, '_ndarrayiter_state_programs.py'), 'ndarrayiter_state_on_mxnet',
           os.path.join(tests, 'fixtures', 'ndarrayiter_state', 'mxnet.json'), names)


if __name__ == '__main__':
    main(sys.argv[1:])
