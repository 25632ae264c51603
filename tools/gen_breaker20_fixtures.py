"""What MXNet 1.9.1 gives for the programs of ``tests/_breaker20_program.py`` (depthwise, batch-path
and pointwise convolutions with their gradients, max pooling with ties, 'full' windows and fused
relus, BatchNorm's forms, sigmoid on extreme inputs, valid usage next to the new error messages,
numbers in optional input slots), recorded for ``tests/test_breaker20_regressions.py``; run in
the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_breaker20_fixtures.py

Output: ``tests/fixtures/breaker20/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import as_json, own_cpu_kernels, record_run, rounded  # noqa: E402


def _rounded_by_key(program, mx):
    """sigmoid with 9 significant digits (a float32 reads back bit for bit: it is compared so),
    the rest with 6 (compared with a relative tolerance of 1e-5), to keep the fixture small."""
    return {k: rounded(v, 9 if k == 'sigmoid' else 6) for k, v in as_json(program.run(mx)).items()}


if __name__ == '__main__':
    own_cpu_kernels()       # (oneDNN's logistic flushes sigmoid(-88) = 6e-39 to 0)
    record_run('_breaker20_program', os.path.join(HERE, '..', 'tests', 'fixtures', 'breaker20',
                                                  'mxnet.json'), compact=True, call=_rounded_by_key)
