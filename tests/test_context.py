"""minigluon.context: Context, cpu/gpu, current_context, ``with ctx:`` scoping, num_gpus, GPU errors."""
import threading

import numpy as np
import pytest

import minigluon as mg
from minigluon import backend, nd
from minigluon.base import MXNetError
from minigluon.context import Context, cpu, current_context, gpu, num_gpus

needs_no_gpu = pytest.mark.skipif(backend.cupy_available(), reason='a CUDA device is present')


def test_context_identity_repr_and_validation():
    assert cpu() == Context('cpu', 0) == Context(cpu(0))
    assert cpu(1) != cpu(0) and gpu(0) != cpu(0)
    assert len({cpu(), Context('cpu'), cpu(1)}) == 2
    assert repr(gpu(2)) == str(gpu(2)) == 'gpu(2)'
    assert gpu(1).device_type == 'gpu' and gpu(1).device_id == 1 and gpu(1).device_typeid == 2
    assert mg.cpu is cpu and mg.gpu is gpu and mg.Context is Context
    with pytest.raises(ValueError, match="device_type must be one of"):
        Context('tpu')
    with pytest.raises(ValueError, match='device_id must be a non-negative int'):
        cpu(-1)


def test_with_scope_sets_default_and_restores_on_exit_and_error():
    assert current_context() == cpu(0)
    with cpu(1) as c:
        assert c == cpu(1) and current_context() == cpu(1)
        assert nd.zeros((2,)).context == cpu(1)
        assert nd.array([1.0]).context == cpu(1)
        with cpu(2):
            assert nd.ones((1,)).context == cpu(2)
        assert current_context() == cpu(1)
    assert current_context() == cpu(0)
    with pytest.raises(RuntimeError):
        with cpu(3):
            raise RuntimeError('boom')
    assert current_context() == cpu(0)


def test_scope_is_thread_local():
    seen = {}
    entered, leave = threading.Event(), threading.Event()

    def worker():
        with cpu(5):
            entered.set()
            leave.wait(5)
            seen['inside'] = current_context()

    t = threading.Thread(target=worker)
    t.start()
    entered.wait(5)
    seen['main'] = current_context()       # the other thread's scope does not leak here
    leave.set()
    t.join()
    assert seen == {'main': cpu(0), 'inside': cpu(5)}


def test_one_context_object_used_as_scope_by_two_threads():
    # Each thread must get back its own previous context, even when both enter the same object.
    shared = cpu(7)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    result = {}

    def thread_a():
        with cpu(1):
            with shared:
                a_in.set()
                b_in.wait(5)
            result['a'] = current_context()
            a_out.set()

    def thread_b():
        a_in.wait(5)
        with shared:
            b_in.set()
            a_out.wait(5)
        result['b'] = current_context()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert result == {'a': cpu(1), 'b': cpu(0)}


@needs_no_gpu
def test_gpu_without_cupy_or_device_names_the_fix():
    assert num_gpus() == 0
    for make in (lambda: nd.zeros((2,), ctx=gpu(0)), lambda: nd.array([1.0], ctx=gpu()),
                 lambda: nd.ones((1,)).as_in_context(gpu(0)), lambda: gpu(0).xp):
        with pytest.raises(MXNetError, match=r'pip install "minigluon\[gpu\]"'):
            make()
    with gpu(0):                     # entering the scope is fine; creating an array is not
        with pytest.raises(MXNetError, match='CuPy'):
            nd.zeros((1,))


def test_cupy_installed_but_no_device(monkeypatch):
    class _Runtime:
        @staticmethod
        def getDeviceCount():
            return 0

    class _FakeCupy:
        class cuda:
            runtime = _Runtime

    monkeypatch.setattr(backend, 'cupy', _FakeCupy)
    assert num_gpus() == 0
    with pytest.raises(MXNetError, match=r'no CUDA device is visible.*minigluon\[gpu\]'):
        gpu(0).xp


def test_cpu_context_helpers():
    assert cpu().xp is np
    with cpu().device():
        pass
    cpu().empty_cache()
    assert mg.context.context_of(np.zeros(1)) == cpu()


def test_cpu_contexts_mix_as_in_mxnet():
    """Measured on MXNet 1.9.1: host memory is one memory, so arrays on cpu(0) and cpu(1) combine;
    the result is on the first input's context, each gradient on its array's context."""
    import minigluon as mx
    from minigluon import autograd, nd
    a, b = nd.ones((2,), ctx=mx.cpu(1)), nd.ones((2,), ctx=mx.cpu(0))
    assert (a + b).context == mx.cpu(1) and (b + a).context == mx.cpu(0)
    assert nd.concat(b, a, dim=0).context == mx.cpu(0)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = (a * 2 + b * 3).sum()
    y.backward()
    assert y.context == mx.cpu(1)
    assert a.grad.context == mx.cpu(1) and b.grad.context == mx.cpu(0)
    assert a.grad.asnumpy().tolist() == [2, 2] and b.grad.asnumpy().tolist() == [3, 3]
