#!/usr/bin/env bash
# Set up (scripts/setup.sh), then compare the decoders on the shipped demo: the demo acoustic model
# (ctcdecode_plus/models/demo), held-out Python-documentation sentences read by synthetic voices (demo/), the
# general, domain and mixed language models (lm/) and the demo hotwords. Prints the table and writes
# runs/demo_comparison.json. The LM weight, word bonus, hotword weight and spotting calibration below were tuned
# on the development set demo/dev by benchmarks/demo_table.sh; spotting thresholds are calibrated per hotword on the
# audio of demo/background (general English, no hotwords); --auto-spoken-forms also searches each hotword as it may
# sound (HEAPPUSH as HEAP PUSH, STDLIB as ESTEEDEE LIB). Extra arguments go to `ctcdecode-plus compare` and
# override these (e.g. --alpha 0.8).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p runs
exec .venv/bin/ctcdecode-plus compare \
  --manifest demo/manifest.tsv --model demo \
  --lm general=lm/general_3gram.arpa.gz --lm domain=lm/domain_4gram.arpa.gz --lm mixed=lm/mixed.arpa.gz \
  --hotwords-file demo/hotwords.txt --hotword-lm domain --auto-spoken-forms \
  --alpha 0.5 --beta 0 --hotword-weight 6 --hotword-spotting off \
  --spotting-background demo/background/manifest.tsv --spotting-ratio 1 \
  --explain-hotwords --json runs/demo_comparison.json --csv runs/demo_utterances.csv "$@"
