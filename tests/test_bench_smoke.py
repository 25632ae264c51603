"""The benchmark scripts still run (speed itself is never asserted: bench/README.md).

Each script runs once in a subprocess with the fewest repeats and its smallest sizes; the test
checks that it prints its table with a number for every minigluon row. The GPU variants run on
the CuPy stand-in in tests/cupy_emulation/test_emulated_gpu.py.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(*args, timeout=240):
    env = dict(os.environ)
    env.pop('MXNET_PYTHON', None)               # no MXNet rows: its venv is optional
    out = subprocess.run([sys.executable] + list(args), cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_bench_ctc_runs():
    text = _run('bench/bench_ctc.py', '--repeats', '1', '--sizes', '4,20,5,3', '2,12,4,2')
    rows = [line for line in text.splitlines() if re.match(r'\(\d+, \d+, \d+, \d+\)\s+\d+\.\d+', line)]
    assert [row.split(')')[0] + ')' for row in rows] == ['(4, 20, 5, 3)', '(2, 12, 4, 2)']


@pytest.mark.parametrize('model', ['ctc', 'captcha'])
def test_bench_train_runs(model):
    text = _run('bench/bench_train.py', '--repeats', '1', '--models', model)
    assert re.search(r'minigluon eager\s+\d+\.\d+', text)
    assert re.search(r'minigluon hybridized\s+\d+\.\d+', text)
    assert 'speed-up over eager' in text


def test_bench_ops_runs():
    text = _run('bench/bench_ops.py', '--quick', '--repeats', '1')
    for case in ('add (4,4)', 'dot 1024x1024', 'Convolution', 'LSTM'):
        assert case in text


def test_bench_deformable_runs():
    text = _run('bench/bench_deformable.py', '--quick', '--repeats', '1')
    for row in ('minigluon, fwd ', 'minigluon, fwd+bwd'):
        line = next(line for line in text.splitlines() if line.startswith(row))
        assert len(re.findall(r'\d+\.\d+', line)) == 5      # three operators, two ratios


def test_bench_conv_runs():
    text = _run('bench/bench_conv.py', '--quick', '--repeats', '1', '--rows', '@')
    lines = [line for line in text.splitlines() if re.search(r'\sN=\d+\s', line)]
    sys.path.insert(0, os.path.join(ROOT, 'bench'))
    try:
        import bench_conv
    finally:
        sys.path.pop(0)
    assert len(lines) == len(bench_conv.rows()) > 20      # every row of the table
    try:
        import torch  # noqa: F401  (the PyTorch columns are filled only where it is installed)
        numbers = 3                                   # forward: two times and a ratio at least
    except ImportError:
        numbers = 1                                   # minigluon's forward time at least
    for line in lines:
        assert re.search(r'N=\d+\s+\d+\.\d+', line), line     # minigluon's forward, always
        assert len(re.findall(r'\d+\.\d+', line)) >= numbers, line
