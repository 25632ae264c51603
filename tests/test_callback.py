"""mx.callback and mx.model.BatchEndParam: the log lines of MXNet 1.9.1
(tests/fixtures/kvcallback/expected.json, written by tools/gen_kvcallback_fixtures.py with the
same fixed clock, metric data and calls as here)."""
import json
import logging
import os
import re

import pytest

import minigluon as mx
import minigluon.callback as cbmod
from minigluon.base import NotSupportedError

import _callback_cases

with open(os.path.join(os.path.dirname(__file__), 'fixtures', 'kvcallback', 'expected.json')) as _f:
    EXPECTED = json.load(_f)['callbacks']


@pytest.fixture
def capture(monkeypatch):
    monkeypatch.setattr(cbmod, 'time', _callback_cases.FakeClock())
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.INFO)
    cap = _callback_cases.Capture()
    root.addHandler(cap)
    yield cap
    root.removeHandler(cap)
    root.setLevel(old)


_NUMBER = re.compile(r'-?\d+\.\d+')


def assert_lines(got, expected):
    """Equal lines, but for the last digit of a printed float: the metrics' float32 sums may
    round the sixth decimal the other way than MXNet's (cross-entropy 1.623877 / 1.623876)."""
    assert len(got) == len(expected), (got, expected)
    for g, e in zip(got, expected):
        assert _NUMBER.sub('#', g) == _NUMBER.sub('#', e), (g, e)
        for a, b in zip(_NUMBER.findall(g), _NUMBER.findall(e)):
            assert len(a) == len(b) and abs(float(a) - float(b)) <= 1.5e-6, (g, e)


@pytest.mark.parametrize('name', sorted(_callback_cases.cases(mx)))
def test_log_lines_match_mxnet(capture, name):
    _callback_cases.run(mx, name)
    assert_lines(capture.lines, EXPECTED[name])


def test_do_checkpoint_matches_mxnet(capture, tmp_path):
    _callback_cases.run_checkpoint(mx, str(tmp_path / 'ck'))
    exp = EXPECTED['do_checkpoint']
    assert sorted(os.listdir(str(tmp_path))) == exp['files']
    assert [line.replace(str(tmp_path), '<tmp>') for line in capture.lines] == exp['log']
    _, arg, aux = mx.model.load_checkpoint(str(tmp_path / 'ck'), 4)
    assert arg['fc_weight'].asnumpy().tolist() == [[1, 2], [3, 4]] and aux == {}


def test_batch_end_param():
    p = mx.model.BatchEndParam(1, 2, None, None)
    assert type(p).__name__ == 'BatchEndParams'
    assert p._fields == ('epoch', 'nbatch', 'eval_metric', 'locals')
    assert repr(p) == 'BatchEndParams(epoch=1, nbatch=2, eval_metric=None, locals=None)'


def test_speedometer_zero_elapsed_is_inf(capture, monkeypatch):
    class Frozen:
        def time(self):
            return 5.0
    monkeypatch.setattr(cbmod, 'time', Frozen())
    s = mx.callback.Speedometer(2, 1)
    s(mx.model.BatchEndParam(0, 0, None, None))
    s(mx.model.BatchEndParam(0, 1, None, None))
    assert capture.lines == ['Iter[0] Batch [1]\tSpeed: inf samples/sec']


def test_bad_arguments():
    with pytest.raises(NotSupportedError, match='Module API'):
        mx.callback.module_checkpoint(None, 'x')
    with pytest.raises(TypeError, match='Speedometer: frequent'):
        mx.callback.Speedometer(4, 'x')
    with pytest.raises(ValueError, match='Speedometer: frequent must be >= 1'):
        mx.callback.Speedometer(4, 0)               # MXNet divides by zero at the first log
    with pytest.raises(ValueError, match='log_train_metric: period must be >= 1'):
        mx.callback.log_train_metric(0)
    with pytest.raises(ValueError, match='ProgressBar: total must be >= 1'):
        mx.callback.ProgressBar(0)
    with pytest.raises(TypeError, match='do_checkpoint: period'):
        mx.callback.do_checkpoint('x', period='2')
    mx.callback.do_checkpoint('x', period=0)        # below 1 means 1, as in MXNet
