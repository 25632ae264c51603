"""minigluon's GPU code paths, run on the CPU through the strict CuPy stand-in (fakecupy).

Each check runs in a subprocess with ``MINIGLUON_EMULATE_CUPY=1`` (tests/conftest.py then installs
the stand-in as ``cupy`` before minigluon is imported): the GPU tests of the suite, the operator
tests with gpu(0) as the default context, and a few training steps on gpu(0) against cpu(0).
Skipped where a real CuPy with a device is present: tools/gpu_check.sh runs the real thing there.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from minigluon import backend

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

pytestmark = pytest.mark.skipif(backend.cupy_available(),
                                reason='a real CuPy and device are present (tools/gpu_check.sh)')

# Tests that assert the default context is cpu(0); they say nothing about the GPU path.
CPU_CONTEXT_TESTS = ['tests/ops/test_random.py::test_seed_single_context_and_bad_seed',
                     'tests/ops/test_random.py::test_uniform_statistics_shape_dtype']
# Skips that are right on a machine with a GPU (the test checks the no-GPU behaviour).
# skips that depend on the machine, not on the emulation: a real device, or a compiler for the
# kernels' CUDA form (nvcc, NVRTC) or C form
EXPECTED_SKIPS = ('a CUDA device is present', 'a GPU is available here', 'no nvcc',
                  'no NVRTC library', 'no C compiler')
# skips where an optional package (the `test` extra's) is not installed: they skip in the main run too
OPTIONAL_PACKAGE_SKIPS = ('optional package not installed', 'needs SciPy', "could not import 'PIL",
                          "could not import 'numba'", "could not import 'captcha'")
# Left out of the emulated runs: each would run exactly what it runs in the main run, because
# the stand-in never reaches what it checks. The kernels' source text handed to the system C
# compiler, nvcc and NVRTC (text made from the dtype alone); and tests whose every check is on a
# fresh ``python -c`` process, where the stand-in is not installed (the variable and the tests
# directory on the path it inherits change nothing there). About 25 s of compiling per run.
SAME_AS_THE_MAIN_RUN = [
    '--ignore=tests/ops/test_cuda_forms_compile.py',
    '--deselect=tests/ops/test_parallel_workers.py::test_environment_variable',
    '--deselect=tests/ops/test_rnn_numba.py::test_environment_variable_turns_it_off',
    '--deselect=tests/ops/test_rnn_numba.py::test_no_writable_cache_directory_compiles_without_caching']


# Each run takes seconds to about a minute on 2 idle cores; the bound only stops a hang, and must
# hold on a machine whose cores are busy with other work (4x slower and more: 240 s was too tight).
def _run(args, timeout=1200):
    path = os.pathsep.join([ROOT, os.path.join(ROOT, 'tests')] + [os.environ.get('PYTHONPATH', '')])
    env = dict(os.environ, MINIGLUON_EMULATE_CUPY='1', PYTHONPATH=path.rstrip(os.pathsep))
    proc = subprocess.run([sys.executable] + args, cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def _pytest(args):
    code, out = _run(['-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider'] + args)
    failed = [line for line in out.splitlines() if line.startswith(('FAILED', 'ERROR'))]
    assert code == 0, '\n'.join(failed) + '\n...\n' + out[-6000:]   # the names, then the tail
    passed = re.search(r'(\d+) passed', out)
    skips = [line for line in out.splitlines() if line.startswith('SKIPPED')]
    return int(passed.group(1)) if passed else 0, skips, out


def test_gpu_tests_pass_on_the_emulated_device():
    passed, skips, out = _pytest(['tests', '--ignore=tests/cupy_emulation', '-k', 'gpu or cupy or cuda']
                                 + SAME_AS_THE_MAIN_RUN)
    unexpected = [s for s in skips if not any(r in s for r in EXPECTED_SKIPS + OPTIONAL_PACKAGE_SKIPS)]
    assert not unexpected, out[-4000:]
    assert passed >= 35, out[-4000:]     # 38 when written; a drop means GPU tests stopped running


def test_operator_tests_pass_with_gpu_as_default_context():
    args = ['tests/ops', '-p', 'cupy_emulation.gpu_default'] + SAME_AS_THE_MAIN_RUN
    args += ['--deselect=%s' % t for t in CPU_CONTEXT_TESTS]
    passed, _, out = _pytest(args)
    assert passed >= 1500, out[-4000:]


# Blocks, layers, losses, RNNs, trainers, optimizers, AMP and the detection iterators, each test on
# gpu(0): about 12 s on 2 cores when added (983 tests). Loads without ctx= go to cpu(0) as in MXNet,
# so these tests load onto current_context().
GLUON_TESTS = ['tests/block', 'tests/nn', 'tests/loss', 'tests/rnn', 'tests/test_trainer.py',
               'tests/test_optimizer.py', 'tests/test_optimizer_extra.py',
               'tests/test_optimizer_precision.py', 'tests/test_contrib_amp.py',
               'tests/data/test_image_det.py', 'tests/test_contrib_io.py']


def test_gluon_tests_pass_with_gpu_as_default_context():
    passed, _, out = _pytest(GLUON_TESTS + ['-p', 'cupy_emulation.gpu_default'])
    assert passed >= 950, out[-4000:]


@pytest.fixture(scope='module')
def emulated_training():
    """What gpu_training_check.py prints: the per-step losses on cpu(0) and gpu(0), and whether
    the example's reload check passed (None where its packages are missing, with the reason)."""
    code, out = _run([os.path.join(HERE, 'gpu_training_check.py')])
    assert code == 0, out[-6000:]
    return json.loads(out.strip().splitlines()[-1])


def test_training_on_the_emulated_gpu_matches_cpu(emulated_training):
    results = emulated_training
    for name in ('captcha', 'lstm_ctc'):
        cpu, gpu = results[name]['cpu'], results[name]['gpu']
        assert len(cpu) == len(gpu) == 3
        for a, b in zip(cpu, gpu):
            assert abs(a - b) <= 1e-4 * max(1.0, abs(a)), (name, cpu, gpu)
        assert cpu[-1] < cpu[0], (name, cpu)              # it trained


def test_captcha_example_trains_and_reloads_on_the_emulated_gpu(emulated_training):
    if emulated_training['example_reload_ok'] is None:
        pytest.skip(emulated_training['example_not_run'])
    assert emulated_training['example_reload_ok']


# Float attributes given as ints (``on_value=2``) are kept as a float subclass for export; CuPy
# refuses a float subclass as a ufunc operand, so each op here once raised TypeError on a GPU.
INT_GIVEN_FLOAT_ATTRS = r'''
import json, numpy as np
from cupy_emulation import fakecupy
fakecupy.install()
from minigluon import nd, cpu, gpu
x = np.linspace(-2, 2, 24).reshape(2, 3, 4).astype(np.float32)
calls = [
    lambda: nd.one_hot(nd.array([0, 2]), 3, on_value=2, off_value=0),
    lambda: nd.hard_sigmoid(nd.array(x), alpha=1, beta=0),
    lambda: nd.LeakyReLU(nd.array(x), act_type='elu', slope=1),
    lambda: nd.LeakyReLU(nd.array(x), act_type='leaky', slope=1),
    lambda: nd.softmax(nd.array(x), temperature=2),
    lambda: nd.linalg_gemm2(nd.array(x[0]), nd.array(x[0].T), alpha=2),
    lambda: nd.SoftmaxOutput(nd.array(x[:, :, 0]), nd.array([2, 1]), ignore_label=2, use_ignore=True),
    lambda: nd.BatchNorm(nd.array(x), nd.ones(3), nd.zeros(3), nd.zeros(3), nd.ones(3), eps=1,
                         use_global_stats=True),
    lambda: nd.Pad(nd.array(x.reshape(1, 2, 3, 4)), mode='constant', pad_width=(0, 0, 0, 0, 1, 1, 1, 1),
                   constant_value=1),
]
worst = 0.0
for call in calls:
    with cpu(0):
        want = call()
    with gpu(0):
        got = call()
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    worst = max(worst, float(np.abs(got.asnumpy() - want.asnumpy()).max()))
print(json.dumps({'calls': len(calls), 'worst': worst}))
'''


def test_float_attributes_given_as_ints_run_on_the_emulated_gpu():
    code, out = _run(['-c', INT_GIVEN_FLOAT_ATTRS])
    assert code == 0, out[-4000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result['calls'] == 9 and result['worst'] <= 1e-6, result


# The GPU benchmark scripts (bench/*.py --ctx gpu), one repeat each: the thread count is set before
# NumPy loads (the stand-in imports it), then the script runs as __main__.
BENCH = r'''
import runpy, sys
sys.path.insert(0, 'bench')
import _common
_common.set_threads(1)
from cupy_emulation import fakecupy
fakecupy.install()
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name='__main__')
'''


@pytest.mark.parametrize('args', [
    ['bench/bench_ctc.py', '--ctx', 'gpu', '--repeats', '1', '--sizes', '4,20,5,3'],
    ['bench/bench_train.py', '--ctx', 'gpu', '--repeats', '1'],
    ['bench/profile_step.py', '--ctx', 'gpu', '--per-op', '--steps', '1', '--models', 'ctc']])
def test_gpu_benchmarks_run_on_the_emulated_device(args):
    # the commands of tools/gpu_check.sh, so that a device session's one prepared run works
    code, out = _run(['-c', BENCH] + args)
    assert code == 0, out[-4000:]
    if 'bench_ctc' in args[0]:
        assert re.search(r'\(4, 20, 5, 3\)\s+\d+\.\d+', out), out[-2000:]
    elif 'profile_step' in args[0]:
        # both modes, each with the RNN's forward and backward rows
        assert len(re.findall(r'^\s+_backward_RNN\s+backward\s+\d+\.\d+ ms', out, re.M)) == 2, out[-2000:]
    else:
        assert len(re.findall(r'minigluon hybridized\s+\d+\.\d+', out)) == 2, out[-2000:]
