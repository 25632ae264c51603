"""Shared by tests/test_legacy.py and tests/porting/test_snippets.py: run a program written for
MXNet on minigluon and compare what it prints with what MXNet 1.9.1 printed.

Text must match exactly once every number is replaced by ``#``; the numbers must agree to
``1e-5 + 1e-4 * |mxnet|`` (floating-point order of operations differs between the frameworks).

Each program runs as ``__main__`` in a process of its own, as ``python program.py`` would run it,
but that process is forked from a Python process that has already imported minigluon (and NumPy
with it: :class:`_ForkServer`), so the eighty-odd programs do not each pay the import
(about 1 s of CPU where bytecode is not cached, ``PYTHONDONTWRITEBYTECODE``). Nothing a program
does reaches the next one: each runs in its own forked copy of the freshly imported interpreter,
with the working directory, ``sys.path``, ``sys.argv``, ``PYTHONPATH`` and standard streams a
``python program.py`` started here would have, and exits as the interpreter does (atexit
handlers, exit status, an uncaught exception's traceback on stderr).
``MINIGLUON_TEST_FRESH_PROCESS=1`` runs each program with ``python program.py`` instead.
"""
import atexit
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMBER = re.compile(r'[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?')
TIMEOUT = 300


def split_numbers(text):
    """``(skeleton, numbers)``: the text with every number replaced by ``#``, and the numbers."""
    return NUMBER.sub('#', text), [float(n) for n in NUMBER.findall(text)]


# The fork server's code (``python -c``). It imports what every program imports, then reads one
# request per line on stdin and forks; the parent writes the child's pid, then its exit status,
# one line each; the child leaves the loop, takes the request's directory, path, arguments and
# streams, and runs the program as ``__main__``: an uncaught exception or ``sys.exit`` ends the
# child's interpreter as it ends ``python program.py``.
_SERVER = r'''
import json, os, runpy, sys
import minigluon
rest = sys.path[1 + int(sys.argv[1]):]      # after '' and the PYTHONPATH entries
control_in, control_out = sys.stdin, os.fdopen(os.dup(1), 'w')
while True:
    line = control_in.readline()
    if not line:
        sys.exit(0)
    req = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        break
    control_out.write('%d\n' % pid)
    control_out.flush()
    _, status = os.waitpid(pid, 0)
    control_out.write('%d\n' % os.waitstatus_to_exitcode(status))
    control_out.flush()
control_out.close()
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
for fd, path in ((1, req['stdout']), (2, req['stderr'])):
    f = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.dup2(f, fd)
    os.close(f)
os.chdir(req['cwd'])
os.environ.clear()
os.environ.update(req['env'])
sys.path[:] = [os.path.dirname(req['program'])] + req['pythonpath'] + rest
sys.argv[:] = [req['program']]
runpy.run_path(req['program'], run_name='__main__')
'''


class _ForkServer:
    """A ``python -c _SERVER`` process started with ``env``; :meth:`run` runs one program."""

    def __init__(self, env):
        self.env = env
        self.tmp = tempfile.mkdtemp(prefix='minigluon-programs-')
        self.log = open(os.path.join(self.tmp, 'server.log'), 'w+')
        self.proc = subprocess.Popen([sys.executable, '-c', _SERVER, '1'], cwd=ROOT,
                                     env=dict(env, PYTHONPATH=ROOT), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.pending = b''              # read from the server, not yet a whole line

    def _line(self, deadline):
        """The next line the server writes, or None once ``deadline`` (``time.monotonic()``)
        has passed. Read with os.read: a buffered reader could hold the next line while select
        waits for more."""
        while b'\n' not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                self.log.seek(0)
                raise RuntimeError('the fork server exited:\n' + self.log.read()[-3000:])
            self.pending += chunk
        line, self.pending = self.pending.split(b'\n', 1)
        return line.decode()

    def run(self, program, cwd, env, pythonpath, timeout=TIMEOUT):
        """``(returncode, stdout, stderr)`` of ``program`` run in a child of the server, with the
        environment ``env``."""
        paths = [os.path.join(self.tmp, name) for name in ('stdout', 'stderr')]
        for path in paths:
            open(path, 'w').close()
        request = dict(program=program, cwd=str(cwd), env=env, pythonpath=pythonpath,
                       stdout=paths[0], stderr=paths[1])
        self.proc.stdin.write(json.dumps(request).encode() + b'\n')
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        pid = int(self._line(time.monotonic() + 60))
        status = self._line(deadline)
        if status is None:                         # as subprocess.run(..., timeout=) raises
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:             # it ended just now
                pass
            self._line(time.monotonic() + 60)
            raise subprocess.TimeoutExpired(program, timeout)
        outputs = []
        for path in paths:
            with open(path) as f:
                outputs.append(f.read())
        return (int(status), *outputs)

    def close(self):
        if self.tmp is None:
            return
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        for name in ('stdout', 'stderr', 'server.log'):
            try:
                os.remove(os.path.join(self.tmp, name))
            except OSError:
                pass
        os.rmdir(self.tmp)
        self.tmp = None


_server = None


# Set by pytest for each test; passed on to the program but no reason to start a new server.
_PER_CALL = ('PYTHONPATH', 'PYTEST_CURRENT_TEST')


def _close_server():
    global _server
    if _server is not None:
        _server.close()
        _server = None


def _run_forked(program, cwd, env, pythonpath):
    """Run ``program`` in a child of the fork server with the environment ``env``. The server is
    (re)started when it died or when the environment differs from the one it started with (other
    than in :data:`_PER_CALL`): a variable read at start-up or by an import must have its value."""
    global _server
    base = {k: v for k, v in env.items() if k not in _PER_CALL}
    if _server is not None and (_server.env != base or _server.proc.poll() is not None):
        _close_server()
    if _server is None:
        _server = _ForkServer(base)
    return _server.run(program, cwd, env, pythonpath)


atexit.register(_close_server)


# The optional packages a program may import (the ``examples`` and ``test`` extras): a program
# stopped by the lack of one skips, as a test of the suite that needs one does.
OPTIONAL_PACKAGES = ('PIL', 'captcha', 'matplotlib', 'numba', 'scipy', 'tqdm')
_NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '(\w+)[\w.]*'")
_NO_DEPENDENCY = 'minigluon.base.MissingDependencyError: '


def _skip_if_an_optional_package_is_missing(stderr):
    """Skip the test where the program's traceback (``stderr``) ends on an optional package that
    is not installed here: its own import, or minigluon's MissingDependencyError."""
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ''
    missing = _NO_MODULE.fullmatch(last)
    if missing and missing.group(1) in OPTIONAL_PACKAGES:
        pytest.skip('the program imports %s, which is not installed' % missing.group(1))
    if last.startswith(_NO_DEPENDENCY):
        pytest.skip('optional package not installed: %s' % last[len(_NO_DEPENDENCY):])


def assert_prints_like_mxnet(program, expected_file, cwd, extra_path=()):
    """Run ``program`` with minigluon importable and compare its stdout with ``expected_file``
    (skipped where the program needs an optional package that is not installed)."""
    pythonpath = [ROOT, *extra_path]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath), PYTHONWARNINGS='ignore')
    if os.environ.get('MINIGLUON_TEST_FRESH_PROCESS') == '1' or not hasattr(os, 'fork'):
        res = subprocess.run([sys.executable, program], cwd=str(cwd), env=env, capture_output=True,
                             text=True, timeout=TIMEOUT)
        returncode, stdout, stderr = res.returncode, res.stdout, res.stderr
    else:
        returncode, stdout, stderr = _run_forked(program, cwd, env, pythonpath)
    if returncode != 0:
        _skip_if_an_optional_package_is_missing(stderr)
    assert returncode == 0, stderr[-3000:]
    expected = open(expected_file).read()
    got_skel, got_nums = split_numbers(stdout)
    exp_skel, exp_nums = split_numbers(expected)
    assert got_skel == exp_skel, '\n--- minigluon ---\n%s\n--- MXNet ---\n%s' % (stdout, expected)
    assert len(got_nums) == len(exp_nums)
    for i, (g, e) in enumerate(zip(got_nums, exp_nums)):
        assert abs(g - e) <= 1e-5 + 1e-4 * abs(e), 'number %d: minigluon %r, MXNet %r\n%s' % (
            i, g, e, stdout)
