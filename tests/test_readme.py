"""The README's code must run as written, and its two commands must be what CI runs."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = open(os.path.join(ROOT, 'README.md')).read()


def test_tour_snippet_runs_and_reloads(tmp_path):
    code = re.search(r'## A tour, the Gluon way\n\n```python\n(.*?)```', README, re.S).group(1)
    out = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, PYTHONPATH=ROOT))
    assert out.returncode == 0, out.stderr
    assert 'reloaded export gives the same output: True' in out.stdout
    loss = float(re.search(r'loss after 20 steps: ([0-9.]+)', out.stdout).group(1))
    assert loss < 2.3            # below chance level (ln 10): it learned something
    assert os.listdir(tmp_path) == []      # the snippet writes into a temporary folder only


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    blocks = re.findall(r'```bash\n(.*?)\n```', README, re.S)
    example, tests = blocks[0].strip(), blocks[1].strip()
    assert 'examples/captcha_ocr.py' in example and 'pip install' in example
    assert 'pytest' in tests and '.[test]' in tests
    ci = open(os.path.join(ROOT, '.ci', 'run')).read()
    assert tests in ci
