#!/usr/bin/env bash
# training.gpu_train on a lent GPU machine (training/README.md, "GPU sessions").
#
# Expects, in the repository root there: gpu_pack/ (python -m training.pack) and .whl/ (soundfile, cffi and
# pycparser wheels for the machine's Python: it has torch and transformers but no audio reader), both carried.
# Trains the 14 M-parameter "wide" model (or INIT=<folder>: continue from an earlier run's --out folder or a
# Wav2Vec2ForCTC folder; EXTRA="--batch-seconds 480": more gpu_train options; PACKS="/tmp/pack9": more pack
# folders already on the machine, whose training rows join gpu_pack's) for MINUTES, once per peak learning rate
# given (default one run at 1e-3; two runs share the GPU and each gets about half of it), and
# writes $OUT/rN/{model-NN.safetensors,run.json} and $OUT/rN.log:
# 4 files a run, and the machine gives back at most 8.
#
# Usage: bash training/gpu_run.sh MINUTES [LR ...]        e.g. bash training/gpu_run.sh 7.5 1e-3 2e-3
#        INIT=runs/gpu/a EXTRA="--batch-seconds 480" bash training/gpu_run.sh 8.6 8e-4   (session 12)
#        INIT=/tmp/init/d PACKS=/tmp/pack9 EXTRA="--batch-seconds 480 --evals 3" bash training/gpu_run.sh 8 4e-4
set -uo pipefail
MIN=${1:?minutes}
shift
LRS=("$@")
[ ${#LRS[@]} -eq 0 ] && LRS=(1e-3)
OUT=${OUT:?set OUT to the output folder}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  || exit 3
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, transformers, soundfile; print(torch.__version__, transformers.__version__, soundfile.__libsndfile_version__)" \
  || exit 4
init=()
[ -n "${INIT:-}" ] && init=(--init "$INIT")
read -r -a extra <<< "${EXTRA:-}"  # more training.gpu_train options, e.g. EXTRA="--batch-seconds 480"
for i in "${!LRS[@]}"; do
  python3 -m training.gpu_train --pack gpu_pack ${PACKS:-} --minutes "$MIN" --lr "${LRS[$i]}" --evals 6 --seed $((i + 1)) \
    "${init[@]}" "${extra[@]}" --out "$OUT/r$i" > "$OUT/r$i.log" 2>&1 &
done
wait
for i in "${!LRS[@]}"; do grep -v Warning "$OUT/r$i.log" | tail -n 30; done
