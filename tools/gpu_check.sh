#!/usr/bin/env bash
# The one prepared device run (CuPy tests and GPU benchmarks) for a session that is lent a GPU.
# Run from the repository root on a machine with CuPy and a CUDA device, e.g. through the device
# tool: `bash tools/gpu_check.sh` (results go to $OUT, else ./gpu_check_out). About 3 minutes; the timeouts add up to at most 10.
#
# Only the tests that touch the GPU run here (the CPU suite runs in CI): every test whose name or
# module says gpu / cupy / cuda, among them the operator sweep on gpu(0) and the CTC kernel against
# the CPU. CuPy compiles each kernel on first use, so the first run is slower than later ones.
set -u
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
{ nvidia-smi -L; python3 -c "import cupy, numpy, minigluon as mx; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'GPUs seen by minigluon:', mx.num_gpus())"; } 2>&1 | tee "$OUT/env.txt"
SECONDS=0
# pytest-xdist, where installed, spreads the tests over 8 processes (CuPy's kernel cache is shared on disk).
XDIST=$(python3 -c "import xdist" 2>/dev/null && echo "-n 8" || true)
timeout 200 python3 -m pytest -q -rfEs -p no:cacheprovider $XDIST -k "gpu or cupy or cuda" --durations=15 \
    --junitxml="$OUT/gpu_tests.xml" tests > "$OUT/tests_full.txt" 2>&1
echo "tests: exit $? after ${SECONDS}s" | tee -a "$OUT/tests_full.txt"
tail -60 "$OUT/tests_full.txt" | tee "$OUT/tests.txt"
SECONDS=0
timeout 60 python3 bench/bench_ctc.py --ctx gpu --repeats 5 2>&1 | tee "$OUT/bench_ctc_gpu.txt"
echo "bench_ctc: ${SECONDS}s" | tee -a "$OUT/bench_ctc_gpu.txt"
SECONDS=0
timeout 100 python3 bench/bench_train.py --ctx gpu --repeats 8 2>&1 | tee "$OUT/bench_train_gpu.txt"
echo "bench_train: ${SECONDS}s" | tee -a "$OUT/bench_train_gpu.txt"
# Each operator's synchronised time in a step (mx.profiler), to see which host work sets the pace.
SECONDS=0
timeout 60 python3 bench/profile_step.py --ctx gpu --per-op --steps 10 2>&1 | tee "$OUT/profile_gpu.txt"
echo "profile_step: ${SECONDS}s" | tee -a "$OUT/profile_gpu.txt"
# minigluon's own CUDA kernels under compute-sanitizer (races in shared memory, out-of-bounds
# accesses), where it is installed; tools/gpu_kernels_smoke.py also compares them with the CPU.
if command -v compute-sanitizer > /dev/null; then
    SECONDS=0
    for tool in racecheck memcheck; do
        timeout 90 compute-sanitizer --tool $tool python3 tools/gpu_kernels_smoke.py 2>&1 \
            | grep -v "^========= *$" | tail -8
        echo "$tool: exit ${PIPESTATUS[0]} after ${SECONDS}s"
    done 2>&1 | tee "$OUT/sanitizer.txt"
else
    python3 tools/gpu_kernels_smoke.py 2>&1 | tee "$OUT/sanitizer.txt"
fi
