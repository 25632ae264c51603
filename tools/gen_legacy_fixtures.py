"""Run tests/legacy/p*.py under MXNet 1.9.1 and record what they print (run in the MXNet venv).

    /opt/mxvenv/bin/python tools/gen_legacy_fixtures.py [p17_init_mixed_apply ...]

Each program starts with ``import minigluon as mx``; here that import (and ``from minigluon ...``) is
rewritten to MXNet, the program runs in a fresh interpreter, and its stdout is saved as
tests/fixtures/legacy/<program>.out. tests/test_legacy.py runs the same files on minigluon.
Names given on the command line restrict the run to those programs.
"""
import glob
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
SRC = os.path.join(ROOT, 'tests', 'legacy')
OUT = os.path.join(ROOT, 'tests', 'fixtures', 'legacy')


def as_mxnet(source):
    return source.replace('import minigluon as mx', 'import mxnet as mx').replace(
        'from minigluon', 'from mxnet')


def main():
    os.makedirs(OUT, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(SRC, 'p*.py'))):
        name = os.path.basename(path)[:-3]
        if sys.argv[1:] and name not in sys.argv[1:]:
            continue
        code = as_mxnet(open(path).read())
        res = subprocess.run([sys.executable, '-c', code], cwd=SRC, capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=SRC, PYTHONWARNINGS='ignore'))
        if res.returncode:
            print('FAILED', name, res.stderr[-2000:])
            continue
        with open(os.path.join(OUT, name + '.out'), 'w') as f:
            f.write(res.stdout)
        print('ok', name, len(res.stdout.splitlines()), 'lines')


if __name__ == '__main__':
    main()
