"""Ablation: hotword spotting with and without the full-score check, on saved emissions of a manifest.

    .venv/bin/python benchmarks/hotword_spotting.py --manifest demo/dev/manifest.tsv --emissions runs/dev_emissions \
        --weights 3 6 10 --thresholds 1 1.5 2.5

``--emissions`` is a folder of ``<id>.npz`` (``ctcdecode-plus tune/compare --emissions DIR`` writes them). The
"no check" rows replace the check by accepting every spotted hotword (spotting as it was before the check).
Prints the comparison table (WER, CER, hotword recall, false insertions).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ctcdecode_plus.compare import Item, compare
from ctcdecode_plus.decoders import BeamSearchDecoder
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.manifest import read_manifest


class _NoCheck(BeamSearchDecoder):
    def _spotting_check(self, emissions, case, label_hotwords):
        return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", default="demo/dev/manifest.tsv")
    p.add_argument("--emissions", required=True)
    p.add_argument("--hotwords-file", default=None, help="default: hotwords.txt beside the manifest")
    p.add_argument("--lm", default="lm/domain_4gram.arpa.gz")
    p.add_argument("--alpha", type=float, default=0.8)
    p.add_argument("--beta", type=float, default=1.5)
    p.add_argument("--weights", type=float, nargs="+", default=[3.0, 6.0, 10.0])
    p.add_argument("--thresholds", type=float, nargs="+", default=[1.0, 1.5, 2.5])
    args = p.parse_args()
    manifest = Path(args.manifest)
    hotwords = [h.strip() for h in Path(args.hotwords_file or manifest.parent / "hotwords.txt").read_text().splitlines()
                if h.strip()]
    items = [Item(e.id, Emissions.load(Path(args.emissions) / f"{e.id}.npz"), e.text) for e in read_manifest(manifest)]
    base = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta, hotwords=hotwords)
    base_unchecked = _NoCheck(args.lm, alpha=args.alpha, beta=args.beta, hotwords=hotwords)
    grid = {}
    for w in args.weights:
        grid[f"w={w:g} no spotting"] = base.replace(hotword_weight=w)
        for t in args.thresholds:
            checked = base.replace(hotword_weight=w, hotword_spotting=t)
            unchecked = base_unchecked.replace(hotword_weight=w, hotword_spotting=t)
            grid[f"w={w:g} spot={t:g} check"] = checked
            grid[f"w={w:g} spot={t:g} no check"] = unchecked
    print(compare(grid, items, hotwords=hotwords).table())


if __name__ == "__main__":
    main()
