#!/usr/bin/env bash
# One run of training.gpu_train on a lent GPU machine (training/README.md, "GPU sessions").
#
# Expects, in the repository root there: gpu_pack/ (python -m training.pack) and .whl/ (soundfile, cffi and
# pycparser wheels for the machine's Python: it has torch and transformers but no audio reader), both carried.
# Trains two configurations side by side on the one GPU, the same 14 M-parameter "wide" model at two peak
# learning rates (a hedge: one shot, no second chance within a 15-minute lease), each for MINUTES, and writes
# $OUT/<name>/{model-NN.safetensors,run.json} and $OUT/<name>.log (8 files: what the machine gives back).
#
# Usage: bash training/gpu_run.sh MINUTES
set -uo pipefail
MIN=${1:?minutes}
OUT=${OUT:?set OUT to the output folder}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || exit 3
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, transformers, soundfile; print(torch.__version__, transformers.__version__, soundfile.__libsndfile_version__)" \
  || exit 4
python3 -m training.gpu_train --pack gpu_pack --minutes "$MIN" --lr 1e-3 --evals 6 --seed 1 --out "$OUT/a" \
  > "$OUT/a.log" 2>&1 &
python3 -m training.gpu_train --pack gpu_pack --minutes "$MIN" --lr 2e-3 --evals 6 --seed 2 --out "$OUT/b" \
  > "$OUT/b.log" 2>&1 &
wait
grep -v Warning "$OUT/a.log" | tail -n 30
grep -v Warning "$OUT/b.log" | tail -n 30
