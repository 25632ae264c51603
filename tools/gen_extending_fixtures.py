"""What MXNet 1.9.1 gives for a contributor's extensions (``tests/_extending_program.py``: a
custom ``autograd.Function`` and ``Loss``, an initializer and an optimizer used by name with the
Trainer's states saved and reloaded, a ``CustomMetric`` and an aliased ``EvalMetric``, a
DataLoader with its own sampler and ``batchify_fn``, a hybridized and exported ``CustomOp``),
recorded for ``tests/test_extending.py``; run in the MXNet venv, never by the test suite::

    /opt/mxvenv/bin/python tools/gen_extending_fixtures.py

Output: ``tests/fixtures/extending/mxnet.json``.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _programs_on_mxnet import record_run  # noqa: E402


def main():
    record_run('_extending_program',
               os.path.join(HERE, '..', 'tests', 'fixtures', 'extending', 'mxnet.json'))


if __name__ == '__main__':
    main()
