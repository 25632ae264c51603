"""examples/captcha_ocr.py run by a Python without the packages it needs (the system python3
instead of the README's .venv/bin/python) says which and how to get them before any work: captcha
failed inside a worker process's traceback, matplotlib only after the whole training run."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "captcha_ocr.py")

# runs the example as a script in a Python where the modules named in argv[1] cannot be imported
# (sys.modules[name] = None: import raises ImportError, importlib.util.find_spec answers None)
RUN_WITHOUT = """
import runpy, sys
for name in sys.argv[1].split(','):
    sys.modules[name] = None
sys.argv = [sys.argv[2]] + sys.argv[3:]
runpy.run_path(sys.argv[0], run_name='__main__')
"""


@pytest.mark.parametrize("hidden, named", [
    ("matplotlib", ["matplotlib"]),
    ("captcha,PIL", ["captcha", "pillow"]),
])
def test_missing_packages_are_named_before_any_work(hidden, named, tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT, hidden, EXAMPLE, "--quick", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")))
    assert out.returncode == 2, out.stderr
    listed = re.search(r"\) lacks (.*), which the example needs", out.stderr).group(1).split(", ")
    assert set(named) <= set(listed)            # and those of its packages this Python lacks
    assert '.venv/bin/python' in out.stderr and 'pip install -e ".[examples]"' in out.stderr
    assert "Traceback" not in out.stderr and "captchas" not in out.stdout      # nothing was drawn
    assert not (tmp_path / "o").exists()
