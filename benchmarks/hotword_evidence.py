"""How much acoustic evidence each hotword has: the recall a hotword method can reach without false insertions.

    .venv/bin/python benchmarks/hotword_evidence.py --manifest demo/manifest.tsv --emissions runs/demo_emissions

``--emissions`` is a folder of ``<id>.npz`` (``ctcdecode-plus compare --emissions DIR`` writes them). For every
utterance and hotword, the *deficit* of the hotword's best CTC alignment anywhere in the utterance: nats per
character below the best path over the same frames (0: the greedy output already spells it there;
:func:`ctcdecode_plus.decoders.spotting.false_alarm_floors`). A hotword occurrence whose deficit is higher than that of
some hotword in an utterance that does not contain it cannot be told apart from that false alarm by the acoustics:
only the language model can separate them. The "ceilings" count the occurrences below the lowest false-alarm
deficit, of any hotword (one threshold for all, as ``--hotword-spotting`` uses) or of the same hotword (a
threshold per hotword): the recall that acoustic evidence alone supports at zero false insertions.
``--auto-spoken-forms LM`` adds the spoken forms that ``--auto-spoken-forms`` would search (the LM's unigrams as
the known words); a hotword's deficit is that of its best spelling.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ctcdecode_plus.decoders.hotwords import hotword_lines, parse_hotword, with_suggested_forms
from ctcdecode_plus.decoders.spotting import false_alarm_floors
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.manifest import read_manifest
from ctcdecode_plus.metrics import count_phrase


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", default="demo/manifest.tsv")
    p.add_argument("--emissions", required=True)
    p.add_argument("--hotwords-file", default=None, help="default: hotwords.txt beside the manifest")
    p.add_argument("--auto-spoken-forms", metavar="LM", default=None,
                   help="also try the automatic spoken forms, with this LM's unigrams as the known words")
    p.add_argument("--show-false", type=int, default=5, help="list this many lowest false-alarm deficits")
    args = p.parse_args()
    manifest = Path(args.manifest)
    entries = [parse_hotword(h) for h in
               hotword_lines(Path(args.hotwords_file or manifest.parent / "hotwords.txt").read_text())]
    if args.auto_spoken_forms:
        from ctcdecode_plus.decoders import BeamSearchDecoder

        lexicon = BeamSearchDecoder(args.auto_spoken_forms).unigrams or []
        entries = [with_suggested_forms(h, lexicon) for h in entries]
    true, false = [], []  # (deficit per character, hotword, utterance)
    for e in read_manifest(manifest):
        em = Emissions.load(Path(args.emissions) / f"{e.id}.npz")
        # the best deficit of each spelling in this one utterance (its "floor" over a background of one)
        best = false_alarm_floors([em.log_probs], em.labels.labels, em.blank_id,
                                  [f for h in entries for f in (h.display, *h.spoken)])
        for h in entries:
            cost = min(best.get(f, float("inf")) for f in (h.display, *h.spoken))
            (true if count_phrase(e.text, h.display) else false).append((cost, h.display, e.id))
    true.sort()
    false.sort()
    floor = false[0][0] if false else float("inf")
    own = {h.display: min((c for c, w, _ in false if w == h.display), default=float("inf")) for h in entries}
    print("| hotword | utterance | deficit (nats/char) | its lowest false alarm | below every false alarm |")
    print("|---|---|---|---|---|")
    for cost, word, utt in true:
        print(f"| {word} | {utt} | {cost:.2f} | {own[word]:.2f} | {'yes' if cost < floor else 'no'} |")
    print("\nlowest false-alarm deficits (hotword in an utterance without it):")
    for cost, word, utt in false[: args.show_false]:
        print(f"  {cost:.2f}  {word} in {utt}")
    n = max(len(true), 1)
    below = sum(c < floor for c, _, _ in true)
    below_own = sum(c < own[w] for c, w, _ in true)
    print(f"\nrecall supported by acoustic evidence alone at zero false insertions: one threshold {below}/{len(true)} "
          f"({100 * below / n:.1f} %), a threshold per hotword {below_own}/{len(true)} ({100 * below_own / n:.1f} %)")


if __name__ == "__main__":
    main()
