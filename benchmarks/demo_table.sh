#!/usr/bin/env bash
# Reproduce the demo table of README.md / benchmarks/RESULTS.md:
#  1. tune alpha/beta (domain LM) and the hotword weight / spotting threshold on the development set demo/dev/
#     (its own sentences and hotwords, none of them in the demo set or in the LM corpus);
#  2. run the demo comparison (scripts/demo.sh) with those values.
# Writes runs/tune_dev.json, runs/demo_comparison.json, runs/demo_utterances.csv and runs/demo_table.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p runs
rm -rf runs/dev_emissions
.venv/bin/ctcdecode-plus tune --manifest demo/dev/manifest.tsv --model demo --emissions runs/dev_emissions \
  --lm lm/domain_4gram.arpa.gz --alphas 0.3 0.5 0.8 1.2 --betas 0 1.5 3 \
  --hotwords-file demo/dev/hotwords.txt --hotword-weights 0 3 6 10 --spotting-thresholds 1 2 3 \
  --json runs/tune_dev.json | tee runs/tune_dev.txt
alpha=$(grep -o -- '--alpha [0-9.]*' runs/tune_dev.txt | head -1 | cut -d' ' -f2)
beta=$(grep -o -- '--beta [0-9.]*' runs/tune_dev.txt | head -1 | cut -d' ' -f2)
weight=$(grep -o -- '--hotword-weight [0-9.]*' runs/tune_dev.txt | head -1 | cut -d' ' -f2)
spot=$(grep -o -- '--hotword-spotting [0-9a-z.]*' runs/tune_dev.txt | head -1 | cut -d' ' -f2)
echo "tuned on demo/dev: --alpha $alpha --beta $beta --hotword-weight $weight --hotword-spotting $spot"
bash scripts/demo.sh --alpha "$alpha" --beta "$beta" --hotword-weight "$weight" --hotword-spotting "$spot" \
  | tee runs/demo_table.txt
