"""minigluon/_malloc.py: freed memory is reused (no fresh page faults per allocation), opt-out works."""
import os
import subprocess
import sys

import pytest

from minigluon import _malloc

glibc_only = pytest.mark.skipif(not sys.platform.startswith('linux'), reason='glibc mallopt only')

_FAULTS = r'''
import resource, numpy as np
import minigluon
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():                             # three 8 MiB temporaries alive at once, then all freed
    a, b, c = np.ones(1 << 20), np.ones(1 << 20), np.ones(1 << 20)
for _ in range(3):                      # warm up: the first arrays fault their pages in once
    step()
before = faults()
for _ in range(20):
    step()
print(minigluon._malloc.applied, faults() - before)
'''


def _run(tuning):
    env = dict(os.environ, MINIGLUON_MALLOC_TUNING=tuning)
    out = subprocess.run([sys.executable, '-c', _FAULTS], env=env, capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    applied, faults = out.stdout.split()
    return applied == 'True', int(faults)


@glibc_only
def test_freed_arrays_are_reused_without_page_faults():
    applied, tuned = _run('1')
    if not applied:
        pytest.skip('this C library is not glibc or refused the settings')
    off, default = _run('0')
    assert not off
    pages = 20 * 3 * (8 << 20) // 4096         # what 60 fresh 8 MiB arrays would fault in
    assert default > pages // 10               # glibc's default trims freed memory: faults again
    assert tuned < pages // 100                # tuned: the same memory is reused


def test_tune_respects_the_opt_out_and_is_idempotent(monkeypatch):
    monkeypatch.setattr(_malloc, 'applied', False)
    assert _malloc.tune({'MINIGLUON_MALLOC_TUNING': '0'}) is False
    first = _malloc.tune({})
    assert _malloc.tune({}) == first           # a second call changes nothing
