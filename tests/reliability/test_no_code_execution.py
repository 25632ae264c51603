"""No loader can run code: the package never unpickles, evals, execs or compiles text, and never
imports a module named by data. Checked on the syntax tree of every source file."""
import ast
import pathlib

import minigluon

ROOT = pathlib.Path(minigluon.__file__).parent
SOURCES = sorted(ROOT.rglob('*.py'))
BANNED_MODULES = {'pickle', 'cPickle', '_pickle', 'marshal', 'shelve', 'dill', 'cloudpickle', 'yaml',
                  'joblib'}
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
    assert {k: v for k, v in problems.items() if v} == {}


def test_checker_catches_what_it_should(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('import pickle\nfrom marshal import loads\nimport ast\nast.literal_eval("1")\n'
                   'eval("1")\nimport re\nre.compile("x")\nimport numpy as np\nnp.load("x", allow_pickle=True)\n')
    assert len(_problems(bad)) == 5
