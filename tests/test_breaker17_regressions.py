"""Regressions found by breaker17 (a hostile but fair user with MXNet 1.9.1 beside minigluon)."""
import json

import numpy as np

import minigluon as mx
from minigluon import nd


def test_norm_out_dtype_none_means_the_input_dtype():
    # MXNet 1.9.1's out_dtype is a dmlc::optional: x.norm(2, 1, None, True) (ord, axis, out_dtype,
    # keepdims by position) and out_dtype=None work there; minigluon raised "must not be None"
    x = nd.array([[3., 1, 2], [0, 5, 4]])
    out = x.norm(2, 1, None, True)
    assert out.dtype == np.float32 and out.shape == (2, 1)
    np.testing.assert_allclose(out.asnumpy().ravel(), np.sqrt([14., 41.]), rtol=1e-6)  # 9+1+4, 25+16
    assert nd.norm(x, out_dtype=None).asnumpy() == nd.norm(x).asnumpy()
    node = mx.sym.norm(mx.sym.var('x'), out_dtype=None)
    attrs = [n for n in json.loads(node.tojson())['nodes'] if n['op'] == 'norm'][0]['attrs']
    assert attrs['out_dtype'] == 'None'       # as MXNet writes an unset optional
