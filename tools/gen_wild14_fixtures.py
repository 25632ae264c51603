"""Golden values for the fourteenth trial of public MXNet 1.x Gluon sources (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild14_fixtures.py

Runs tests/_wild14_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild14/wild14.json, read by
tests/test_wild_scripts_14.py. With program names as arguments it prints what those return and
writes nothing. The programs and their sources are listed in tests/_wild14_programs.py, each above
its code.
"""
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import choose_kernels, record_in_two_passes  # noqa: E402

# Two passes, as tools/gen_wild13_fixtures.py: MXNet's own CPU kernels for the programs that set a
# used convolution weight (MXNet 1.9.1's oneDNN build refuses it), oneDNN's for the seq2seq
# program, whose fused GRU's inference forward fails without it in MXNet 1.9.1.
ONEDNN = ('seq2seq_attention',)
choose_kernels()          # before MXNet is imported (by the programs)
warnings.filterwarnings('ignore')

TESTS = os.path.join(HERE, '..', 'tests')


def main(names=()):
    record_in_two_passes(__file__, os.path.join(TESTS, '_wild14_programs.py'), 'wild14_programs_on_mxnet',
                         os.path.join(TESTS, 'fixtures', 'wild14', 'wild14.json'), ONEDNN, names)


if __name__ == '__main__':
    main(sys.argv[1:])
