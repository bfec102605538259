#!/usr/bin/env bash
# Reproduce the demo table of README.md / benchmarks/RESULTS.md:
#  1. tune alpha/beta (domain LM), then the hotword weight and the spotting calibration ratio, on the development
#     set demo/dev/ (its own sentences and hotwords, none of them in the demo set or in the LM corpus) together with
#     runs/dev_reread/ (the same sentences read by the three other voice families: 640 utterances, 100 hotword
#     occurrences; `demo/make_demo.py --set dev-reread` writes it, the same files on every run); spotting
#     thresholds are calibrated per hotword on demo/background/ (general English speech, no transcripts used);
#     decoded in one process per CPU core (--jobs 0: the same choice as one process, in less time);
#  2. run the demo comparison (scripts/demo.sh) with those values.
# Writes runs/tune_dev.json, runs/demo_comparison.json, runs/demo_utterances.csv and runs/demo_table.txt, and the
# emissions: runs/tune_emissions (all 640), runs/dev_emissions (demo/dev's 160, for the other benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p runs
.venv/bin/python demo/make_demo.py --set dev-reread
rm -rf runs/tune_emissions runs/dev_emissions
.venv/bin/ctcdecode-plus tune --manifest runs/dev_reread/dev_and_reread.tsv --model demo \
  --emissions runs/tune_emissions --lm lm/domain_4gram.arpa.gz --alphas 0.3 0.5 0.8 1.2 --betas 0 1.5 3 \
  --hotwords-file demo/dev/hotwords.txt --auto-spoken-forms --hotword-weights 0 3 6 10 15 20 \
  --spotting-background demo/background/manifest.tsv --spotting-thresholds --spotting-ratios 0.5 0.7 1 \
  --jobs 0 --json runs/tune_dev.json | tee runs/tune_dev.txt
mkdir -p runs/dev_emissions  # demo/dev's own (NNN_family.npz; the rereadings are NNN_k_family.npz)
cp runs/tune_emissions/[0-9][0-9][0-9]_[a-z]*.npz runs/dev_emissions/
cp -r runs/tune_emissions/background runs/dev_emissions/
best=$(grep -- '^best: --hotword-weight' runs/tune_dev.txt | head -1)
alpha=$(grep -o -- '--alpha [0-9.]*' runs/tune_dev.txt | head -1 | cut -d' ' -f2)
beta=$(grep -o -- '--beta [0-9.]*' runs/tune_dev.txt | head -1 | cut -d' ' -f2)
weight=$(grep -o -- '--hotword-weight [0-9.]*' <<<"$best" | cut -d' ' -f2)
ratio=$(grep -o -- '--spotting-ratio [0-9.]*' <<<"$best" | cut -d' ' -f2 || true)
cap=$(grep -o -- '--hotword-spotting [0-9.]*' <<<"$best" | cut -d' ' -f2 || true)  # empty for "off"
if [ -n "$ratio" ]; then
  spotting=(--spotting-background demo/background/manifest.tsv --spotting-ratio "$ratio")
else
  spotting=(--spotting-background off)
fi
spotting+=(--hotword-spotting "${cap:-off}")
echo "tuned on demo/dev + runs/dev_reread: --alpha $alpha --beta $beta --hotword-weight $weight ${spotting[*]}"
bash scripts/demo.sh --alpha "$alpha" --beta "$beta" --hotword-weight "$weight" "${spotting[@]}" \
  | tee runs/demo_table.txt
