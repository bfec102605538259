"""Independent check of the demo model on text it has never seen the like of: Debian's licence texts.

The training and validation text comes from Debian's fortunes; ``/usr/share/common-licenses`` is kept out of
training so that this check measures the model on another register of English (legal prose) read by the same
voice families. ``N`` sentences (seeded) are synthesised once per family (espeak, flite, festival, and the held-out
"new voice") into ``training/cache/audio/<family>/ind_*.flac`` (manifest ``training/cache/independent.tsv``)
and transcribed greedily by the model.

    .venv/bin/python -m training.independent_check                  # the shipped model
    .venv/bin/python -m training.independent_check --model DIR --json runs/independent.json

Prints greedy CER/WER per family (``heldout_all`` pools espeak, flite and festival, as ``train.py`` does).
"""
from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from training.synth import CACHE, FAMILIES, fixed_voice_jobs, run_jobs
from training.text import utterances_from_fortunes

LICENSE_DIR = Path("/usr/share/common-licenses")
SEED = 2026
N = 60


def licence_sentences(n: int = N, directory: Path = LICENSE_DIR, seed: int = SEED) -> list[str]:
    """``n`` normalised 4-12-word utterances from the licence texts (seeded sample; fewer if fewer exist)."""
    texts = []
    for path in sorted(directory.iterdir()):
        if path.is_file():
            body = path.read_text(encoding="utf-8", errors="replace")
            texts.append(re.sub(r"\s+", " ", body))  # one paragraph stream per licence
    utts = [u for u in utterances_from_fortunes(texts) if 4 <= len(u.split()) <= 12]
    random.Random(seed).shuffle(utts)
    return utts[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="ctcdecode_plus/models/demo", help="model folder (default: the shipped one)")
    ap.add_argument("-n", type=int, default=N, help="sentences per family")
    ap.add_argument("-j", "--processes", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the result here")
    args = ap.parse_args()
    if not LICENSE_DIR.is_dir():
        raise SystemExit(f"{LICENSE_DIR} is missing: this check needs Debian's licence texts.")

    import torch
    from transformers import Wav2Vec2ForCTC

    from training.train import AudioCache, evaluate, read_manifest

    sentences = licence_sentences(args.n)
    manifest = CACHE / "independent.tsv"
    CACHE.mkdir(parents=True, exist_ok=True)  # git-ignored: a fresh clone has no training/cache yet
    run_jobs(fixed_voice_jobs(sentences, "ind", SEED), manifest, args.processes)
    wanted = {f"ind_{fam}_{i:04d}" for fam in FAMILIES + ["newvoice"] for i in range(len(sentences))}
    rows = [r for r in read_manifest(manifest) if Path(r["path"]).stem in wanted]
    model = Wav2Vec2ForCTC.from_pretrained(args.model).eval()
    torch.set_num_threads(2)
    res = evaluate(model, rows, AudioCache(), "cpu")  # row paths are relative to training/cache
    examples = res.pop("_examples")
    print(f"{args.model}: greedy on {len(sentences)} licence sentences per family")
    print(f"{'family':<12} {'CER %':>6} {'WER %':>6} {'n':>4}")
    for fam, r in res.items():
        print(f"{fam:<12} {100 * r['cer']:6.1f} {100 * r['wer']:6.1f} {r['n']:4d}")
    for fam, (ref, hyp) in examples.items():
        print(f"[{fam}] REF: {ref}\n[{fam}] HYP: {hyp}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(dict(model=args.model, sentences=len(sentences), **res), indent=2))


if __name__ == "__main__":
    main()
