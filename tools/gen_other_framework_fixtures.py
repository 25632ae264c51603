"""Which PyTorch names MXNet 1.9.1's namespaces lack, and what it does with PyTorch's keywords
(run in the MXNet 1.9.1 venv):

    /opt/mxvenv/bin/python tools/gen_other_framework_fixtures.py

Writes tests/fixtures/other_frameworks/names.json:

* ``present``: for each namespace (``gluon.nn``, ``gluon.loss``, ``nd``, ``sym``), each
  candidate name (a PyTorch layer, loss or function name) -> whether MXNet 1.9.1 has it. minigluon gives a name
  that MXNet lacks a hint in its ``AttributeError`` (tests/test_other_framework_hints.py), and
  must never add a hint for a name MXNet has;
* ``keyword_errors``: PyTorch's ``dim=`` / ``keepdim=`` given to reductions and ``softmax``,
  and ``axis=`` given to ``concat`` (whose name for it is ``dim``): whether MXNet refuses them
  (the exception's class name, None if it runs), so that minigluon refusing them too (with a
  hint naming the operator's own attribute) is MXNet's behaviour.
"""
import json
import os
import warnings

warnings.filterwarnings('ignore')
import mxnet as mx  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
                   'other_frameworks')

CANDIDATES = {
    'gluon.nn': ['Module', 'Parameter', 'functional', 'Linear', 'Conv1d', 'Conv2d', 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d',
                 'ConvTranspose3d', 'MaxPool1d', 'MaxPool2d', 'MaxPool3d', 'AvgPool1d',
                 'AvgPool2d', 'AvgPool3d', 'AdaptiveAvgPool2d', 'BatchNorm1d', 'BatchNorm2d',
                 'BatchNorm3d', 'ReLU', 'Sigmoid', 'Tanh', 'Softmax', 'Softplus', 'Softsign',
                 'GELU', 'SiLU', 'ELU', 'SELU', 'LeakyReLU', 'PReLU', 'Identity', 'ModuleList',
                 'ModuleDict', 'LSTM', 'GRU', 'RNN', 'Upsample', 'Embedding', 'Dropout',
                 'LayerNorm', 'Flatten', 'Sequential', 'CrossEntropyLoss', 'MSELoss', 'L1Loss',
                 'BCELoss', 'BCEWithLogitsLoss', 'NLLLoss', 'CTCLoss', 'KLDivLoss',
                 'SmoothL1Loss', 'HuberLoss'],
    'gluon.loss': ['CrossEntropyLoss', 'MSELoss', 'L1Loss', 'BCELoss', 'BCEWithLogitsLoss',
                   'NLLLoss', 'CTCLoss', 'KLDivLoss', 'SmoothL1Loss', 'HuberLoss'],
    'nd': ['matmul', 'tensor', 'randn', 'rand', 'cat', 'permute', 'from_numpy', 'dot',
           'batch_dot'],
    'sym': ['matmul', 'cat', 'permute', 'dot', 'batch_dot'],
}

KEYWORD_CALLS = {
    'sum(dim=1)': lambda x: mx.nd.sum(x, dim=1),
    'mean(dim=1)': lambda x: mx.nd.mean(x, dim=1),
    'max(dim=1)': lambda x: x.max(dim=1),
    'argmax(dim=1)': lambda x: x.argmax(dim=1),
    'softmax(dim=1)': lambda x: mx.nd.softmax(x, dim=1),
    'sum(axis=1, keepdim=True)': lambda x: mx.nd.sum(x, axis=1, keepdim=True),
    'stack(dim=0)': lambda x: mx.nd.stack(x, x, dim=0),
    'concat(axis=1)': lambda x: mx.nd.concat(x, x, axis=1),     # concat's own name is dim
}


def _owner(path):
    owner = mx
    for part in path.split('.'):
        owner = getattr(owner, part)
    return owner


def main():
    present = {path: {name: hasattr(_owner(path), name) for name in names}
               for path, names in CANDIDATES.items()}
    errors = {}
    for label, call in KEYWORD_CALLS.items():
        try:
            call(mx.nd.ones((2, 3))).wait_to_read()
            errors[label] = None
        except Exception as err:  # noqa: BLE001 -- the class is what is recorded
            errors[label] = type(err).__name__
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'names.json'), 'w') as f:
        json.dump({'mxnet': mx.__version__, 'present': present, 'keyword_errors': errors}, f,
                  indent=1, sort_keys=True)
        f.write('\n')
    print('wrote', os.path.join(OUT, 'names.json'))


if __name__ == '__main__':
    main()
