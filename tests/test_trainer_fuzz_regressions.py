"""Regressions of ``tools/fuzz_trainer.py`` replayed against MXNet 1.9.1's outcomes
(``tests/fixtures/trainer_fuzz/``, made by ``tools/gen_trainer_fuzz_fixtures.py``).

Each case is a few training steps of a fuzzer configuration (``fuzz_trainer.run_config``); the
final weights of every context, the optimizer states, ``trainer.learning_rate`` and
``num_update`` must match MXNet's, and every operation must raise where MXNet's did, with MXNet's
class among minigluon's. They pin the order of a step's updates (context by context), the
grouped updates of SGD and LARS (the counts of a group advance before its learning rates;
LARS's momentum correction moves once per group; LAMB's groups count weight by weight),
AdaDelta leaving its scheduler alone (``trainer.learning_rate`` past ``max_update``) and the
``TypeError`` of a batch size that is not a number.
"""
import json
import os
import sys
import warnings

import numpy as np
import pytest

import minigluon as mx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools'))
from fuzz_trainer import differences, run_config  # noqa: E402  (the fuzzer's own runner)

HERE = os.path.join(os.path.dirname(__file__), 'fixtures', 'trainer_fuzz')
with open(os.path.join(HERE, 'cases.json')) as _f:
    CASES = json.load(_f)['cases']
VALUES = np.load(os.path.join(HERE, 'values.npz'))


def mxnet_results(name):
    """MXNet's results of case ``name``, as ``run_config`` returns them."""
    res = {k.split('/', 1)[1]: VALUES[k] for k in VALUES.files if k.startswith(name + '/')}
    res['raised'] = np.array(json.dumps(CASES[name]['raised']))
    return res


@pytest.mark.parametrize('name', sorted(CASES))
def test_training_as_mxnet(name, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        ours = run_config(mx, CASES[name]['cfg'], str(tmp_path))
    assert differences(mxnet_results(name), ours) == []


def test_batch_size_cases_raise_as_mxnet():
    """The fixture holds MXNet's TypeError for a batch size that is a str or None (step and
    update), then a step that runs."""
    for name in ('batch_size_str', 'batch_size_none'):
        assert [r.split()[:1] for r in CASES[name]['raised']] == [['TypeError'], ['TypeError'], []]


def test_aggregation_size_follows_the_environment(monkeypatch):
    """MXNET_OPTIMIZER_AGGREGATION_SIZE sets the group size of SGD and LARS (LAMB: at most 45),
    read when the optimizer is created, as in MXNet."""
    monkeypatch.setenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '2')
    assert mx.optimizer.SGD().aggregate_num == 2
    assert mx.optimizer.LARS().aggregate_num == 2
    monkeypatch.setenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', '100')
    assert mx.optimizer.LAMB().aggregate_num == 45
    monkeypatch.delenv('MXNET_OPTIMIZER_AGGREGATION_SIZE')
    assert mx.optimizer.SGD().aggregate_num == 4 and mx.optimizer.Adam().aggregate_num == 0
