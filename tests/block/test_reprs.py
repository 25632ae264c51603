"""Reprs of freshly built layers, RNN layers/cells and losses equal MXNet 1.9.1's
(tests/fixtures/block/audit.json, written by tools/gen_audit_fixtures.py)."""
import json
import os

import pytest

from minigluon import gluon
from minigluon.name import NameManager

with open(os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'block', 'audit.json')) as _f:
    CASES = json.load(_f)['reprs']


@pytest.mark.parametrize('module,cls,args,kwargs,expected', CASES,
                         ids=['%s.%s-%d' % (c[0], c[1], i) for i, c in enumerate(CASES)])
def test_repr_matches_mxnet(module, cls, args, kwargs, expected):
    ns = gluon
    for part in module.split('.'):
        ns = getattr(ns, part)
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    with NameManager():
        block = getattr(ns, cls)(*args, **kw)
    assert repr(block) == expected
