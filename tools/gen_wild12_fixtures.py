"""Golden values for the twelfth trial of public MXNet 1.x Gluon sources (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_wild12_fixtures.py

Runs tests/_wild12_programs.py with its line ``import minigluon as mx`` switched to ``import mxnet as
mx`` (nothing else changes) and writes what each program function returns (floats rounded to 7
significant digits, float32's precision) to tests/fixtures/wild12/wild12.json, read by
tests/test_wild_scripts_12.py. With program names as arguments it prints what those return and
writes nothing. The programs and their sources are listed in tests/_wild12_programs.py, each above
its code.
"""
import json
import os
import subprocess
import sys
import warnings

# Two passes, as tools/gen_wild11_fixtures.py: MXNet's own CPU kernels, not oneDNN's, because the
# programs set parameter values after a first call, which MXNet 1.9.1's oneDNN build refuses for a
# used convolution weight; but the programs in ONEDNN run fused RNN layers, which MXNet 1.9.1 fails
# without oneDNN (an LSTM's inference forward: "in_data.size() == num_inputs (4 vs. 3)"): those
# run in a second process with oneDNN on. The variable is read when MXNet is imported.
ONEDNN = ('lstm_crf', 'gluonnlp_weight_drop')
if '--onednn' in sys.argv:
    sys.argv.remove('--onednn')
    os.environ['MXNET_MKLDNN_ENABLED'] = '1'
else:
    os.environ['MXNET_MKLDNN_ENABLED'] = '0'
warnings.filterwarnings('ignore')

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record, load_programs, rounded  # noqa: E402

TESTS = os.path.join(HERE, '..', 'tests')
SRC = os.path.join(TESTS, '_wild12_programs.py')


def onednn_results(names):
    """What the programs ``names`` return when run by this script in a process with oneDNN on."""
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), '--onednn'] + list(names),
                          stdout=subprocess.PIPE, check=True, universal_newlines=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(names=()):
    if names:
        if os.environ['MXNET_MKLDNN_ENABLED'] == '0' and any(n in ONEDNN for n in names):
            fixture = onednn_results([n for n in names if n in ONEDNN])
            programs = load_programs(SRC, 'wild12_programs_on_mxnet')
            fixture.update({n: rounded(getattr(programs, n)()) for n in names if n not in ONEDNN})
            print(json.dumps(fixture, sort_keys=True))
        else:
            record(SRC, 'wild12_programs_on_mxnet', None, names)
        return
    programs = load_programs(SRC, 'wild12_programs_on_mxnet')
    fixture = onednn_results([n for n in programs.PROGRAMS if n in ONEDNN])
    for name in programs.PROGRAMS:
        if name not in ONEDNN:
            fixture[name] = rounded(getattr(programs, name)())
    out_file = os.path.join(TESTS, 'fixtures', 'wild12', 'wild12.json')
    os.makedirs(os.path.dirname(out_file), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump(fixture, f, sort_keys=True)


if __name__ == '__main__':
    main(sys.argv[1:])
