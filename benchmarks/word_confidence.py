"""Word confidence: how well it tells right words from wrong ones, for greedy and for beam search + LM.

    python benchmarks/word_confidence.py        # demo/dev (where the settings were chosen) and the demo set (held out)

The shipped demo model makes the emissions of each set's audio; each decoder's words are aligned to the reference
(``difflib``: a word is right if it is matched to the same word of the reference) and scored by their confidence:

* AUC: the chance that a right word has a higher confidence than a wrong one (0.5: no better than chance);
* calibration: in bins of confidence, the mean confidence against the share of right words.

Rows: greedy (``Word.confidence``: the mean probability of the word's frames); ``BeamSearchDecoder(lm,
word_confidence=True)`` (the n-best posterior times the acoustic confidence to the power 1/4, constants
``WORD_CONFIDENCE_*``); and, to show what each part brings, the posterior alone (power 0).
"""
from __future__ import annotations

import argparse
import difflib
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BINS = (0.5, 0.8, 0.95, 0.999)


def auc(scores: list[float], right: list[bool]) -> float:
    """Mann-Whitney AUC of ``scores`` for ``right`` (ties count half)."""
    s, r = np.asarray(scores, float), np.asarray(right, bool)
    pos, neg = s[r], s[~r]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def right_words(reference: str, words: list[str]) -> list[bool]:
    matcher = difflib.SequenceMatcher(a=reference.split(), b=words, autojunk=False)
    right = [False] * len(words)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            right[block.b + k] = True
    return right


def calibration(scores: list[float], right: list[bool]) -> list[tuple[float, float, int]]:
    s, r = np.asarray(scores, float), np.asarray(right, bool)
    which = np.digitize(s, BINS)
    return [(float(s[which == k].mean()), float(r[which == k].mean()), int((which == k).sum()))
            for k in range(len(BINS) + 1) if (which == k).any()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lm", default=str(ROOT / "lm" / "domain_4gram.arpa.gz"))
    ap.add_argument("--alpha", type=float, default=0.8)
    ap.add_argument("--beta", type=float, default=1.5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from ctcdecode_plus import AcousticModel, BeamSearchDecoder, GreedyDecoder, read_manifest
    from ctcdecode_plus.decoders import beam as beam_module

    model = AcousticModel.from_pretrained("demo")
    sets = {"demo/dev": ROOT / "demo" / "dev" / "manifest.tsv", "demo set": ROOT / "demo" / "manifest.tsv"}
    beam = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta, word_confidence=True)
    results = {}
    for set_name, manifest in sets.items():
        entries = read_manifest(manifest)
        ems = [model.emissions(e.audio) for e in entries]
        rows = {}
        for name, decode in (("greedy", GreedyDecoder().decode), ("beam + LM, word_confidence", beam.decode),
                             ("beam + LM, posterior alone", "posterior")):
            acoustic = beam_module.WORD_CONFIDENCE_ACOUSTIC
            if decode == "posterior":
                beam_module.WORD_CONFIDENCE_ACOUSTIC, decode = 0.0, beam.decode
            t0 = time.perf_counter()
            try:
                ts = [decode(em) for em in ems]
            finally:
                beam_module.WORD_CONFIDENCE_ACOUSTIC = acoustic
            seconds = time.perf_counter() - t0
            scores = [w.confidence for t in ts for w in t.words]
            right = [ok for e, t in zip(entries, ts) for ok in right_words(e.text, [w.word for w in t.words])]
            rows[name] = dict(words=len(scores), right=float(np.mean(right)), auc=auc(scores, right),
                              calibration=calibration(scores, right), decode_seconds=seconds)
        plain_beam = beam.replace(word_confidence=False)
        for _ in range(2):  # the second pass: warm, as the rows above (which ran after one another) mostly were
            t0 = time.perf_counter()
            for em in ems:
                plain_beam.decode(em)
            plain = time.perf_counter() - t0
        rows["beam + LM, no confidence (time only)"] = dict(decode_seconds=plain)
        results[set_name] = rows
        print(f"\n{set_name}: {len(entries)} utterances")
        print("| decoder | words | right | AUC | calibration: mean confidence -> share right (words) | decode s |")
        print("|---|---|---|---|---|---|")
        for name, r in rows.items():
            if "auc" not in r:
                ratio = rows["beam + LM, word_confidence"]["decode_seconds"] / r["decode_seconds"]
                print(f"| {name} | | | | word_confidence took {ratio:.2f}x this time | {r['decode_seconds']:.1f} |")
                continue
            cal = "; ".join(f"{c:.2f} -> {a:.2f} ({n})" for c, a, n in r["calibration"])
            print(f"| {name} | {r['words']} | {100 * r['right']:.1f} % | {r['auc']:.3f} | {cal} | "
                  f"{r['decode_seconds']:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
