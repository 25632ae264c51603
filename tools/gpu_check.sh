#!/usr/bin/env bash
# The one prepared device run (CuPy tests and GPU benchmarks) for a session that is lent a GPU.
# Run from the repository root on a machine with CuPy and a CUDA device, e.g. through the device
# tool: `bash tools/gpu_check.sh` (results go to $OUT, else ./gpu_check_out). About 5 minutes.
set -u
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
{ nvidia-smi -L; python3 -c "import cupy, numpy, minigluon as mx; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'GPUs seen by minigluon:', mx.num_gpus())"; } 2>&1 | tee "$OUT/env.txt"
# The whole suite: with CuPy and a device, the GPU tests that skip elsewhere run too (-rs lists any skip).
timeout 300 python3 -m pytest -q -rs -p no:cacheprovider -x tests 2>&1 | tail -40 | tee "$OUT/tests.txt"
timeout 120 python3 bench/bench_ctc.py --ctx gpu --repeats 7 2>&1 | tee "$OUT/bench_ctc_gpu.txt"
timeout 150 python3 bench/bench_train.py --ctx gpu --repeats 10 2>&1 | tee "$OUT/bench_train_gpu.txt"
