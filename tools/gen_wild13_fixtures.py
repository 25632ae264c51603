"""Golden values for the thirteenth trial of public MXNet 1.x Gluon sources (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild13_fixtures.py

Runs tests/_wild13_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild13/wild13.json, read by
tests/test_wild_scripts_13.py. With program names as arguments it prints what those return and
writes nothing. The programs and their sources are listed in tests/_wild13_programs.py, each above
its code.
"""
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import choose_kernels, record_in_two_passes  # noqa: E402

# Two passes, as tools/gen_wild12_fixtures.py: MXNet's own CPU kernels (the programs set parameter
# values after a first call, which MXNet 1.9.1's oneDNN build refuses for a used convolution
# weight), but the fused LSTM layers of ESIM and BiDAF run with oneDNN on (without it MXNet 1.9.1
# fails an LSTM's inference forward: "in_data.size() == num_inputs (4 vs. 3)").
ONEDNN = ('esim', 'bidaf')
choose_kernels()          # before MXNet is imported (by the programs)
warnings.filterwarnings('ignore')

TESTS = os.path.join(HERE, '..', 'tests')


def main(names=()):
    record_in_two_passes(__file__, os.path.join(TESTS, '_wild13_programs.py'), 'wild13_programs_on_mxnet',
                         os.path.join(TESTS, 'fixtures', 'wild13', 'wild13.json'), ONEDNN, names)


if __name__ == '__main__':
    main(sys.argv[1:])
