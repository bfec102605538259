"""Ablation of hotword spotting on saved emissions of a manifest: its guided search and its full-score check.

    .venv/bin/python benchmarks/hotword_spotting.py --manifest demo/dev/manifest.tsv --emissions runs/dev_emissions \
        --weights 3 6 10 --thresholds 1 2 3

``--emissions`` is a folder of ``<id>.npz`` (``ctcdecode-plus tune/compare --emissions DIR`` writes them). Rows per
weight and threshold: "full" (guided search + replacement, both checked by acoustics + LM without the hotword
bonus: what the decoder does), "replace only" (no guided search), "per-word check" (the check's acoustics compared
word by word only, as before session 11), "bonus in check" (the check also counts the
hotword bonus, as before session 7), "no check" (guided search and replacement, every spotted hotword accepted).
With ``--background DIR`` (e.g. ``runs/dev_emissions/background``, which ``tune --spotting-background`` leaves), the
same variants with thresholds calibrated per hotword at each of ``--ratios``. Prints the comparison table (WER,
CER, hotword recall, false insertions).

``--margins`` instead decodes once with the full decoder (the first weight, and the first ratio with
``--background``, else the first threshold) and prints the check's margin for every change it judged (nats,
acoustics + LM + word bonus, the better of its two acoustic comparisons; >= 0 is accepted), marked by whether the
hotword it brings in is in the reference, and what a prior of P nats per hotword in the check would do: each
judged change alone, so a first-order estimate.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from ctcdecode_plus.compare import Item, compare
from ctcdecode_plus.decoders import BeamSearchDecoder
from ctcdecode_plus.decoders.beam import _FusionJudge
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.manifest import read_manifest


class _AcceptAll(_FusionJudge):
    def accept(self, before, after, det) -> bool:
        return True

    def merge(self, words, other):
        hot = [w for w in other if w.word in self.hot_words]
        return other if hot else words


class _NoCheck(BeamSearchDecoder):
    def _judge(self, emissions, case, label_hotwords, to_display=None):
        return _AcceptAll(self, emissions, case, label_hotwords, to_display=to_display)


class _ReplaceOnly(BeamSearchDecoder):
    _guided_search = False


class _PerWordJudge(_FusionJudge):
    whole_transcript_check = False


class _PerWordCheck(BeamSearchDecoder):
    """The check as before session 11: acoustics compared per word only, no whole-transcript alignment."""

    def _judge(self, emissions, case, label_hotwords, to_display=None):
        return _PerWordJudge(self, emissions, case, label_hotwords, hotword_bonus=0.0, to_display=to_display)


class _BonusInCheck(BeamSearchDecoder):
    """The check as before session 7: the hotword bonus counted in the score that judges a spotted hotword."""

    def _judge(self, emissions, case, label_hotwords, to_display=None):
        return _FusionJudge(self, emissions, case, label_hotwords, hotword_bonus=self.hotword_weight,
                            to_display=to_display)


def margins(decoder: BeamSearchDecoder, items: list, hotwords: list[str]) -> str:
    """The ``--margins`` report (module docstring) of ``decoder`` over ``items``, from the check's decisions
    (:meth:`BeamSearchDecoder.explain_hotwords`: margin = acoustic + LM nats; a spoken form counts as its term)."""
    hot = {w for h in hotwords for w in h.split()}
    true, false, lines = {}, {}, []
    for it in items:
        ref = set(it.reference.split())
        for c in decoder.explain_hotwords(it.emissions).decisions:
            m = c.acoustic + c.language_model
            for w in [w for w in c.hotwords if w in hot] or ["(none)"]:
                key, into = (it.id, w), (true if w in ref else false)
                into[key] = max(into.get(key, -math.inf), m)
                lines.append(f"{m:8.2f}  {'in ref    ' if w in ref else 'NOT in ref'}  {it.id}  {w}")
    free = {it.id for it in items if not set(it.reference.split()) & hot}
    out = ["  margin  hotword is    utterance  hotword", *sorted(lines, key=lambda x: -float(x.split()[0])), "",
           "prior P (nats/hotword) | occurrences it would bring in | hotword-free utterances it would change"]
    for prior in (0, 1, 2, 3, 4, 5, 6, 8, 10):
        gained = sum(m < 0 <= m + prior for m in true.values())
        fa = {u for (u, w), m in false.items() if u in free and w != "(none)" and m + prior >= 0}
        out.append(f"{prior:>22g} | {gained:>29d} | {len(fa)} of {len(free)}")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", default="demo/dev/manifest.tsv")
    p.add_argument("--emissions", required=True)
    p.add_argument("--hotwords-file", default=None, help="default: hotwords.txt beside the manifest")
    p.add_argument("--lm", default="lm/domain_4gram.arpa.gz")
    p.add_argument("--alpha", type=float, default=0.8)
    p.add_argument("--beta", type=float, default=1.5)
    p.add_argument("--weights", type=float, nargs="+", default=[3.0, 6.0, 10.0])
    p.add_argument("--thresholds", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    p.add_argument("--background", default=None,
                   help="folder of saved emissions (<id>.npz) of speech without the hotwords: adds rows with "
                        "thresholds calibrated per hotword (BeamSearchDecoder.calibrate_spotting)")
    p.add_argument("--ratios", type=float, nargs="+", default=[0.7])
    p.add_argument("--auto-spoken-forms", action="store_true", help="as the decoder option")
    p.add_argument("--margins", action="store_true", help="print the check's margins instead (module docstring)")
    args = p.parse_args()
    manifest = Path(args.manifest)
    hotwords = [h.strip() for h in Path(args.hotwords_file or manifest.parent / "hotwords.txt").read_text().splitlines()
                if h.strip()]
    items = [Item(e.id, Emissions.load(Path(args.emissions) / f"{e.id}.npz"), e.text) for e in read_manifest(manifest)]
    kw = dict(alpha=args.alpha, beta=args.beta, hotwords=hotwords, auto_spoken_forms=args.auto_spoken_forms)
    base = BeamSearchDecoder(args.lm, **kw)
    variants = {"full": base, "replace only": _ReplaceOnly(args.lm, **kw),
                "per-word check": _PerWordCheck(args.lm, **kw), "bonus in check": _BonusInCheck(args.lm, **kw),
                "no check": _NoCheck(args.lm, **kw)}
    background = [Emissions.load(f) for f in sorted(Path(args.background).glob("*.npz"))] if args.background else []
    if args.margins:
        dec = BeamSearchDecoder(args.lm, **kw).replace(hotword_weight=args.weights[0])
        dec = dec.calibrate_spotting(background, ratio=args.ratios[0]) if background else \
            dec.replace(hotword_spotting=args.thresholds[0])
        print(margins(dec, items, hotwords))
        return
    grid = {}
    for w in args.weights:
        grid[f"w={w:g} no spotting"] = base.replace(hotword_weight=w)
        for t in args.thresholds:
            for name, variant in variants.items():
                grid[f"w={w:g} spot={t:g} {name}"] = variant.replace(hotword_weight=w, hotword_spotting=t)
        for r in args.ratios if background else ():
            for name, variant in variants.items():
                grid[f"w={w:g} spot=x{r:g} {name}"] = variant.replace(hotword_weight=w).calibrate_spotting(
                    background, ratio=r)
    print(compare(grid, items, hotwords=hotwords).table())


if __name__ == "__main__":
    main()
