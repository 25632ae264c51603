"""No loader can run code: the package never unpickles, evals, execs or compiles text, and never
imports a module named by data. Checked on the syntax tree of every source file.

One exception, checked here too: ``minigluon/_mxnet_states.py`` reads the pickle MXNet 1.9.1's
``Trainer.save_states`` writes, so it imports ``pickle``, but uses it only to subclass
``pickle.Unpickler`` with a ``find_class`` that hands out inert stand-ins (and to catch
``pickle.UnpicklingError``); ``tests/test_trainer_mxnet_states.py`` feeds it hostile pickles."""
import ast
import pathlib

import minigluon

ROOT = pathlib.Path(minigluon.__file__).parent
SOURCES = sorted(ROOT.rglob('*.py'))
BANNED_MODULES = {'pickle', 'cPickle', '_pickle', 'marshal', 'shelve', 'dill', 'cloudpickle', 'yaml',
                  'joblib'}
PICKLE_READER = ROOT / '_mxnet_states.py'
PICKLE_READER_USES = {'Unpickler', 'UnpicklingError'}
BANNED_CALLS = {'eval', 'exec', 'compile', '__import__', 'literal_eval', 'execfile', 'input'}


def _problems(path):
    tree = ast.parse(path.read_text(encoding='utf-8'), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split('.')[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or '').split('.')[0] in BANNED_MODULES:
            found.append(node.module)
        elif isinstance(node, ast.Call):
            func = node.func
            name = None
            if isinstance(func, ast.Name):
                name = func.id
            elif isinstance(func, ast.Attribute) and (   # re.compile is fine; builtins.eval is not
                    func.attr == 'literal_eval'
                    or (isinstance(func.value, ast.Name) and func.value.id == 'builtins')):
                name = func.attr
            if name in BANNED_CALLS:
                found.append('%s() at line %d' % (name, node.lineno))
            for kw in node.keywords:
                if kw.arg == 'allow_pickle' and not (isinstance(kw.value, ast.Constant)
                                                     and kw.value.value is False):
                    found.append('allow_pickle at line %d' % node.lineno)
    return found


def test_sources_found():
    assert len(SOURCES) > 20 and ROOT / 'serialization.py' in SOURCES


def test_no_pickle_eval_or_exec():
    problems = {str(p.relative_to(ROOT)): _problems(p) for p in SOURCES}
    problems[str(PICKLE_READER.relative_to(ROOT))].remove('pickle')   # see the module docstring
    assert {k: v for k, v in problems.items() if v} == {}


def test_the_pickle_reader_only_subclasses_unpickler():
    tree = ast.parse(PICKLE_READER.read_text(encoding='utf-8'))
    uses = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name) and node.value.id == 'pickle'}
    assert uses == PICKLE_READER_USES                 # no pickle.load / loads / Unpickler(...)
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert not names & {'loads', 'load', 'getattr', 'importlib', 'import_module', '__import__'}
    subclasses = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and any(
        isinstance(b, ast.Attribute) and b.attr == 'Unpickler' for b in node.bases)]
    assert len(subclasses) == 1
    methods = {f.name for f in subclasses[0].body if isinstance(f, ast.FunctionDef)}
    assert {'find_class', 'persistent_load'} <= methods
    calls = [node for node in ast.walk(subclasses[0]) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == 'find_class']
    assert calls == []                                # never defers to Unpickler.find_class


def test_checker_catches_what_it_should(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('import pickle\nfrom marshal import loads\nimport ast\nast.literal_eval("1")\n'
                   'eval("1")\nimport re\nre.compile("x")\nimport numpy as np\nnp.load("x", allow_pickle=True)\n')
    assert len(_problems(bad)) == 5
