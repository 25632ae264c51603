"""Running test programs written once for both frameworks on MXNet 1.9.1: the shared part of their
fixture generators. Two forms:

* a program file that starts with the line ``import minigluon as mx`` (``tests/_wild2_programs.py``
  and the other ``tests/_wild*_programs.py``): the test suite runs it as it is, :func:`record` runs
  the same text with that one line reading ``import mxnet as mx`` and records what its programs
  return (tools/gen_wild2_fixtures.py and the other gen_wild*_fixtures.py);
* a program module whose ``run(mx)`` takes the framework (``tests/_extending_program.py``,
  ``_breaker18b_program.py``...): :func:`record_run` calls it with MXNet
  (tools/gen_extending_fixtures.py, the gen_breaker*_fixtures.py scripts), after
  :func:`own_cpu_kernels` where the programs need MXNet's own CPU kernels.

Some programs of one file need MXNet's oneDNN kernels and the others its own CPU kernels (a
choice MXNet makes once, when it is imported): :func:`choose_kernels` and
:func:`record_in_two_passes` run those in a second process (tools/gen_wild11_fixtures.py,
gen_wild12_fixtures.py).

Run only in the MXNet venv, by the generator scripts (which import it from this folder and set
MXNet's environment variables before calling it).
"""
import json
import os
import subprocess
import sys
import types

IMPORT = '\nimport minigluon as mx\n'


def load_programs(src, module_name):
    """The program file ``src`` as a module named ``module_name`` running on MXNet: its import
    line switched, nothing else. The module is put in ``sys.modules`` so that DataLoader worker
    processes can unpickle the classes it defines."""
    with open(src) as f:
        text = f.read()
    assert text.count(IMPORT) == 1, 'the programs import minigluon on one line of its own'
    module = types.ModuleType(module_name)
    module.__file__ = src
    sys.modules[module.__name__] = module
    folder = os.path.dirname(os.path.abspath(src))     # its helpers (tests/_wild_common.py)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    exec(compile(text.replace(IMPORT, '\nimport mxnet as mx\n'), src, 'exec'), module.__dict__)
    return module


def rounded(value, digits=7):
    """``value`` with every float rounded to ``digits`` significant digits (float32 carries about
    7); ``digits=None`` keeps every float as it is (JSON writes a float so that it reads back
    bit for bit)."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float) and digits is not None:
        return float('%.*g' % (digits, value))
    return value


def record(src, module_name, out_file, names=(), digits=7):
    """Run the programs of ``src`` listed in its ``PROGRAMS`` (or only ``names``) on MXNet and
    write what they return, floats rounded to ``digits`` significant digits (None: not rounded,
    for checks bit for bit), as JSON to ``out_file``; with ``names``, print it instead and write
    nothing (a trial run)."""
    programs = load_programs(src, module_name)
    fixture = {name: rounded(getattr(programs, name)(), digits) for name in names or programs.PROGRAMS}
    _print_or_write(fixture, out_file, trial=bool(names))


def _print_or_write(fixture, out_file, trial):
    """A trial run prints ``fixture`` as one line of JSON; otherwise it is written to ``out_file``."""
    if trial:
        print(json.dumps(fixture, sort_keys=True))
        return
    os.makedirs(os.path.dirname(out_file), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump(fixture, f, sort_keys=True)


def own_cpu_kernels():
    """Set before MXNet is imported: errors raised by the call that fails, not by a later wait
    (``NaiveEngine``), and MXNet's own CPU kernels, not oneDNN's (its reference forms)."""
    os.environ['MXNET_ENGINE_TYPE'] = 'NaiveEngine'
    os.environ['MXNET_MKLDNN_ENABLED'] = '0'


def as_json(value):
    """``value`` as JSON gives it back: NumPy numbers as Python floats, tuples as lists."""
    return json.loads(json.dumps(value, default=float))


def record_run(module_name, out_file, digits=None, compact=False, call=None):
    """Import ``tests/<module_name>.py``, call its ``run(mx)`` with MXNet (or ``call(program,
    mx)``) and write the result as JSON to ``out_file``: NumPy numbers as floats, every float
    rounded to ``digits`` significant digits (None: as it is), keys sorted, indented by one
    space or ``compact`` (no spaces), a final newline."""
    import importlib
    import mxnet as mx
    tests = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests')
    if tests not in sys.path:
        sys.path.insert(0, tests)
    program = importlib.import_module(module_name)
    result = rounded(as_json(program.run(mx) if call is None else call(program, mx)), digits)
    os.makedirs(os.path.dirname(out_file), exist_ok=True)
    with open(out_file, 'w') as f:
        if compact:
            json.dump(result, f, sort_keys=True, separators=(',', ':'))
        else:
            json.dump(result, f, indent=1, sort_keys=True)
        f.write('\n')
    print('wrote', out_file)


def choose_kernels():
    """Set ``MXNET_MKLDNN_ENABLED`` for this process before MXNet is imported: oneDNN's kernels
    when the generator was started with ``--onednn`` (the second pass of
    :func:`record_in_two_passes`; the flag is taken off ``sys.argv``), else MXNet's own."""
    onednn = '--onednn' in sys.argv
    if onednn:
        sys.argv.remove('--onednn')
    os.environ['MXNET_MKLDNN_ENABLED'] = '1' if onednn else '0'


def _second_pass(script, names):
    """What the programs ``names`` return when the generator ``script`` runs them in a process
    with oneDNN on (it prints them as its last line)."""
    proc = subprocess.run([sys.executable, os.path.abspath(script), '--onednn'] + list(names),
                          stdout=subprocess.PIPE, check=True, universal_newlines=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def record_in_two_passes(script, src, module_name, out_file, onednn, names=()):
    """:func:`record` for a generator ``script`` that called :func:`choose_kernels`: the programs
    of ``src`` listed in ``onednn`` run in a second process with oneDNN's kernels, the others in
    this one with MXNet's own. With ``names``, print what those return and write nothing (in
    the second process, only that is done)."""
    if os.environ['MXNET_MKLDNN_ENABLED'] == '1':
        record(src, module_name, None, names)
        return
    programs = load_programs(src, module_name)
    todo = list(names or programs.PROGRAMS)
    fixture = _second_pass(script, [n for n in todo if n in onednn]) if set(todo) & set(onednn) else {}
    fixture.update((n, rounded(getattr(programs, n)())) for n in todo if n not in onednn)
    _print_or_write(fixture, out_file, trial=bool(names))
