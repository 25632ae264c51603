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


class _FakeLibc:
    """A C library as ctypes sees it: musl has mallopt (a no-op) but no gnu_get_libc_version."""

    def __init__(self, glibc):
        self.calls = []
        if glibc:
            self.gnu_get_libc_version = lambda: b'2.99'

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return 1


@pytest.mark.parametrize('glibc', [False, True])
def test_only_glibc_is_tuned(monkeypatch, glibc):
    fake = _FakeLibc(glibc)
    monkeypatch.setattr(_malloc, 'applied', False)
    monkeypatch.setattr(_malloc.sys, 'platform', 'linux')
    monkeypatch.setattr(_malloc.ctypes, 'CDLL', lambda name: fake)
    assert _malloc.tune({}) is glibc
    assert fake.calls == ([(_malloc.M_MMAP_THRESHOLD, _malloc.MMAP_THRESHOLD),
                           (_malloc.M_TRIM_THRESHOLD, _malloc.TRIM_THRESHOLD)] if glibc else [])


def test_no_c_library_to_load_leaves_malloc_alone(monkeypatch):
    def refuse(name):
        raise OSError('no libc')
    monkeypatch.setattr(_malloc, 'applied', False)
    monkeypatch.setattr(_malloc.sys, 'platform', 'linux')
    monkeypatch.setattr(_malloc.ctypes, 'CDLL', refuse)
    assert _malloc.tune({}) is False
