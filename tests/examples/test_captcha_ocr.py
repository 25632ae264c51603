"""Tests of the captcha CTC OCR example (examples/captcha_ocr.py)."""
import importlib.util
import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("captcha")
pytest.importorskip("PIL")
pytest.importorskip("tqdm")
pytest.importorskip("matplotlib")

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "captcha_ocr.py")


@pytest.fixture(scope="module")
def ocr():
    spec = importlib.util.spec_from_file_location("captcha_ocr", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["captcha_ocr"] = module      # worker processes pickle its functions by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("captcha_ocr", None)


def test_captchas_shape_range_and_labels(ocr):
    images, labels = ocr.make_captchas(30, seed=3)
    assert images.shape == (30, 32, 100) and images.dtype == np.float32
    assert labels.shape == (30, 5) and labels.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    # mostly background (near 0) with some ink
    assert 0.02 < images.mean() < 0.5
    for row in labels:
        n = int((row >= 0).sum())
        assert 3 <= n <= 5
        assert np.all(row[:n] >= 0) and np.all(row[n:] == -1)       # padding only at the end
        assert np.all(row[:n] == np.round(row[:n])) and row.max() <= 9


def test_captchas_are_deterministic(ocr, monkeypatch):
    monkeypatch.setattr(ocr, "CHUNK", 7)         # several chunks, so workers are used
    a = ocr.make_captchas(20, seed=11, workers=1)
    b = ocr.make_captchas(20, seed=11, workers=2)
    c = ocr.make_captchas(20, seed=12, workers=1)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_make_captchas_rejects_bad_count(ocr):
    with pytest.raises(ValueError, match="count"):
        ocr.make_captchas(0, seed=1)


def _edit_distance_brute(a, b):
    """Reference: breadth-first search over single edits (tiny alphabets only)."""
    alphabet = sorted(set(a) | set(b))
    frontier, seen, dist = {a}, {a}, 0
    while b not in frontier:
        nxt = set()
        for s in frontier:
            for i in range(len(s) + 1):
                if i < len(s):
                    nxt.add(s[:i] + s[i + 1:])
                    nxt.update(s[:i] + ch + s[i + 1:] for ch in alphabet)
                nxt.update(s[:i] + ch + s[i:] for ch in alphabet)
        frontier = nxt - seen
        seen |= nxt
        dist += 1
    return dist


def test_edit_distance_matches_brute_force(ocr):
    words = ["", "1", "12", "21", "121", "2211", "1212"]
    for a, b in itertools.product(words, repeat=2):
        assert ocr.edit_distance(a, b) == _edit_distance_brute(a, b), (a, b)


def test_label_to_string_stops_at_padding(ocr):
    assert ocr.label_to_string(np.array([4, 0, 7, -1, -1], np.float32)) == "407"
    assert ocr.label_to_string(np.array([1, -1, 2, -1, -1], np.float32)) == "1"


def test_flag_errors(ocr):
    with pytest.raises(SystemExit):
        ocr.parse_args(["--batch-size", "0"])
    with pytest.raises(SystemExit):
        ocr.parse_args(["--train-size", "10", "--batch-size", "64"])


def test_quick_keeps_explicit_flags_and_defaults_differ(ocr):
    args = ocr.parse_args(["--quick", "--epochs", "1"])
    assert (args.epochs, args.train_size, args.test_size) == (1, 1024, 200)
    args = ocr.parse_args([])
    assert (args.epochs, args.train_size, args.test_size) == (8, 12000, 1000)
    with pytest.raises(SystemExit):
        ocr.parse_args(["--workers", "0"])


def test_gpu_without_cupy_fails_before_any_work(ocr, capsys):
    import minigluon as mx
    if mx.num_gpus():
        pytest.skip("a GPU is available here")
    with pytest.raises(SystemExit):
        ocr.parse_args(["--ctx", "gpu"])
    assert 'pip install "minigluon[gpu]"' in capsys.readouterr().err


def test_model_output_shape(ocr):
    import minigluon as mx

    net = ocr.CaptchaNet(hidden=8)
    net.initialize(mx.init.Xavier())
    out = net(mx.nd.array(np.zeros((2, 32, 100), np.float32)))
    assert out.shape == (2, 25, ocr.NUM_CLASSES)


def test_quick_run_learns_and_reloads(tmp_path):
    """The command line end to end: the loss falls and both reloads predict the same."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, EXAMPLE, "--quick", "--out", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "reload check: OK" in proc.stdout
    # a line before the silent seconds of drawing, then its time
    assert proc.stdout.startswith("drawing 1024 training and 200 held-out captchas (2 processes)...\n"
                                  "generated 1024 training and 200 held-out captchas in ")
    with open(tmp_path / "results.json") as f:
        result = json.load(f)
    losses = result["losses"]
    assert len(losses) == 2 * (1024 // 64)
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3])
    assert result["reload_ok"]
    assert 0.0 <= result["accuracy"] <= 1.0 and result["cer"] >= 0.0
    for name in ("training_curve.png", "predictions.png", "captcha_ocr.params",
                 "captcha_ocr-symbol.json", "captcha_ocr-0000.params"):
        assert os.path.getsize(tmp_path / name) > 0, name
