"""Hotword settings on speech that only sounds like the hotwords: recall and false insertions on the development set,
split into its ordinary utterances and its sound-alike negatives (``demo/make_demo.py --set dev-soundalike``).

    .venv/bin/python demo/make_demo.py --set dev-reread && .venv/bin/python demo/make_demo.py --set dev-soundalike
    .venv/bin/ctcdecode-plus tune --manifest runs/dev_soundalike/dev_all.tsv --model demo \
        --emissions runs/tune_emissions ...        # or any command that saves the 792 emissions and background/
    .venv/bin/python benchmarks/hotword_soundalikes.py --emissions runs/tune_emissions --weights 0 3 6 10 \
        --ratios off 0.5 1

Every (weight, spotting ratio) decodes the whole set in ``--jobs`` processes; spotting is calibrated on the
emissions in ``EMISSIONS/background`` (``demo/background``, as ``tune`` saves them). Sound-alike utterances are the
ones whose file name starts with ``s``. Prints one line per part and setting: WER, hotword recall (the ordinary part
holds every hotword occurrence) and false insertions (the share of hotword-free utterances given a hotword).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ctcdecode_plus import BeamSearchDecoder, Emissions, Item, compare
from ctcdecode_plus.decoders.hotwords import hotword_lines
from ctcdecode_plus.manifest import read_manifest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", default="runs/dev_soundalike/dev_all.tsv")
    p.add_argument("--emissions", required=True, help="folder of <file stem>.npz and background/*.npz")
    p.add_argument("--hotwords-file", default="demo/dev/hotwords.txt")
    p.add_argument("--lm", default="lm/domain_4gram.arpa.gz")
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--beta", type=float, default=0.0)
    p.add_argument("--weights", type=float, nargs="+", default=[0.0, 3.0, 6.0, 10.0])
    p.add_argument("--ratios", nargs="+", default=["off", "0.5", "1"], help="spotting ratios, or off")
    p.add_argument("--prefix-share", type=float, default=None, help="hotword_prefix_share (default: the decoder's)")
    p.add_argument("--full-letters", type=int, default=None,
                   help="hotword_full_letters (default: the decoder's; 1: every hotword the whole weight)")
    p.add_argument("--spotting-margin", default=None, help="spotting_margin in nats per letter, or off "
                                                            "(default: the decoder's)")
    p.add_argument("--unk-score-offset", type=float, default=None,
                   help="unk_score_offset, log10 (default: the decoder's)")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    folder = Path(args.emissions)
    items = [Item(Path(e.audio).stem, Emissions.load(folder / f"{Path(e.audio).stem}.npz"), e.text)
             for e in read_manifest(args.manifest)]
    background = [Emissions.load(f) for f in sorted((folder / "background").glob("*.npz"))]
    hotwords = hotword_lines(Path(args.hotwords_file).read_text(encoding="utf-8"))
    base = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta, hotwords=hotwords, auto_spoken_forms=True)
    if args.unk_score_offset is not None:
        base = base.replace(unk_score_offset=args.unk_score_offset)
    if args.prefix_share is not None:
        base = base.replace(hotword_prefix_share=args.prefix_share)
    if args.full_letters is not None:
        base = base.replace(hotword_full_letters=args.full_letters)
    if args.spotting_margin is not None:
        base = base.replace(spotting_margin=None if args.spotting_margin == "off" else float(args.spotting_margin))
    grid = {}
    for weight in args.weights:
        for ratio in args.ratios:
            d = base.replace(hotword_weight=weight)
            if ratio != "off":
                d = d.calibrate_spotting(background, ratio=float(ratio))
            name = f"weight {weight:g}, spotting {ratio if ratio == 'off' else 'x' + ratio}"
            grid[name] = d.replace(name=name)
    print("| part | setting | utterances | WER % | recall % | false ins. % |\n|---|---|---|---|---|---|")
    for part, pick in (("ordinary", lambda i: not i.id.startswith("s")), ("sound-alike", lambda i: i.id.startswith("s"))):
        chosen = [i for i in items if pick(i)]
        result = compare(grid, chosen, hotwords=hotwords, num_workers=args.jobs)
        for name, s in result.decoders.items():
            recall = "-" if s.hotword_recall is None or s.hotword_recall != s.hotword_recall else \
                f"{100 * s.hotword_recall:.1f}"
            print(f"| {part} | {name} | {len(chosen)} | {100 * s.wer:.1f} | {recall} | "
                  f"{100 * s.hotword_false_insertion_rate:.1f} |", flush=True)


if __name__ == "__main__":
    main()
