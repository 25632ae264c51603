"""Shared by tests/test_legacy.py and tests/porting/test_snippets.py: run a program written for
MXNet on minigluon and compare what it prints with what MXNet 1.9.1 printed.

Text must match exactly once every number is replaced by ``#``; the numbers must agree to
``1e-5 + 1e-4 * |mxnet|`` (floating-point order of operations differs between the frameworks).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMBER = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?')


def split_numbers(text):
    """``(skeleton, numbers)``: the text with every number replaced by ``#``, and the numbers."""
    return NUMBER.sub('#', text), [float(n) for n in NUMBER.findall(text)]


def assert_prints_like_mxnet(program, expected_file, cwd, extra_path=()):
    """Run ``program`` with minigluon importable and compare its stdout with ``expected_file``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, *extra_path]), PYTHONWARNINGS='ignore')
    res = subprocess.run([sys.executable, program], cwd=str(cwd), env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    expected = open(expected_file).read()
    got_skel, got_nums = split_numbers(res.stdout)
    exp_skel, exp_nums = split_numbers(expected)
    assert got_skel == exp_skel, '\n--- minigluon ---\n%s\n--- MXNet ---\n%s' % (res.stdout, expected)
    assert len(got_nums) == len(exp_nums)
    for i, (g, e) in enumerate(zip(got_nums, exp_nums)):
        assert abs(g - e) <= 1e-5 + 1e-4 * abs(e), 'number %d: minigluon %r, MXNet %r\n%s' % (
            i, g, e, res.stdout)
