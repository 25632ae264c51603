"""Golden values for tests/test_breaker17_regressions.py (run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_breaker17_fixtures.py

Writes tests/fixtures/breaker17/breaker17.json:

* ``mae``: ``MAERegressionOutput``'s data gradient where some residuals ``out - label`` are exactly
  0. MXNet's backward is ``a - b > 0 ? 1 : -1`` (its ``minus_sign``), so a tie gives -1, not 0;
  divided by the outputs per sample and multiplied by ``grad_scale``.
* ``softmax_out_grad``: ``SoftmaxOutput(out_grad=True)``'s data gradient under two head
  gradients. MXNet 1.9.1 ignores the head gradient and multiplies ``softmax - onehot`` by the
  softmax output instead (the same numbers for both heads), where its documentation says it
  multiplies by the output gradient: minigluon does the latter; the test pins MXNet's numbers as
  the fault they are.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
from mxnet import autograd, nd  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'tests', 'fixtures', 'breaker17')


def _grad(fn, data):
    x = nd.array(data)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    return x.grad.asnumpy().astype('float64').tolist()


def mae():
    cases = []
    data = [[0.0, 1.5, -2.0, 3.0], [4.0, -1.0, 0.5, 0.0]]
    label = [[0.0, 1.0, -2.0, 4.0], [4.0, 0.0, 0.5, 1.0]]
    for grad_scale in (1.0, 3.0):
        cases.append({'data': data, 'label': label, 'grad_scale': grad_scale,
                      'grad': _grad(lambda x, g=grad_scale: nd.MAERegressionOutput(
                          x, nd.array(label), grad_scale=g), data)})
    return cases


def softmax_out_grad():
    data, label = [[0.0, 1.0, 2.0]], [1]
    cases = []
    for head in ([[1.0, 1.0, 1.0]], [[2.0, 0.0, 5.0]]):
        x = nd.array(data)
        x.attach_grad()
        with autograd.record():
            y = nd.SoftmaxOutput(x, nd.array(label), out_grad=True)
        y.backward(nd.array(head))
        cases.append({'data': data, 'label': label, 'head': head,
                      'mxnet_grad': x.grad.asnumpy().astype('float64').tolist()})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'breaker17.json'), 'w') as f:
        json.dump({'mae': mae(), 'softmax_out_grad': softmax_out_grad()}, f, indent=1)


if __name__ == '__main__':
    main()
