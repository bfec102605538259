"""Decoding speed: ctcdecode-plus's BeamSearchDecoder against bare pyctcdecode, in the same process.

    python benchmarks/bench_decode.py                        # pyctcdecode's real LibriSpeech logits
    python benchmarks/bench_decode.py --emissions DIR --lm lm/domain_4gram.arpa
    python benchmarks/bench_decode.py --emissions DIR --lm lm/domain_4gram.arpa --hotwords 1000   # a long list

Reports CPU seconds (process time: robust to other load on the machine) per pass and the speed ratio (bare / ours), and checks that both give the same transcripts.
Both decoders use the same beam settings. "no skipping" is ctcdecode-plus's search loop alone
(decoders/search.py: pyctcdecode's algorithm with less Python per frame, the same beams); the last row adds
blank-frame skipping.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def _load(args):
    from ctcdecode_plus.emissions import Emissions

    if args.emissions:
        return [Emissions.load(p) for p in sorted(Path(args.emissions).glob("*.npz"))]
    import pyctcdecode

    path = Path(pyctcdecode.__file__).parent / "tests" / "sample_data" / "libri_logits.json"
    logits = np.array(json.loads(path.read_text()), dtype=np.float32)
    return [Emissions.from_logits(logits, list(" abcdefghijklmnopqrstuvwxyz'") + [""], 0.02, "libri")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emissions", help="folder of .npz emissions (default: pyctcdecode's libri logits)")
    ap.add_argument("--lm", help="ARPA/binary LM for both decoders")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--beam-width", type=int, default=100)
    ap.add_argument("--hotwords", type=int, default=0,
                    help="boost this many words of the LM (6 letters or more, a seeded random choice) in both "
                         "decoders (needs --lm)")
    ap.add_argument("--hotword-weight", type=float, default=10.0)
    ap.add_argument("--show-diff", action="store_true", help="print the transcripts that differ")
    args = ap.parse_args()

    from pyctcdecode import build_ctcdecoder

    from ctcdecode_plus.decoders import BeamSearchDecoder
    from ctcdecode_plus.lm.arpa import is_arpa_file, read_arpa_unigrams

    ems = _load(args)
    labels = list(ems[0].labels.labels)
    # bare pyctcdecode, as a user would build it (same labels, same LM, same defaults)
    # (given the same unigram list: pyctcdecode reads it by itself only from files named *.arpa)
    unigrams = read_arpa_unigrams(args.lm) if args.lm and is_arpa_file(args.lm) else None
    bare = build_ctcdecoder([lab if i not in ems[0].labels.suppressed else f"<{i}>" for i, lab in enumerate(labels)],
                            kenlm_model_path=args.lm, unigrams=unigrams)
    hotwords = []
    if args.hotwords:
        import random

        if unigrams is None:
            ap.error("--hotwords takes words of the LM: give --lm with an ARPA file")
        known = sorted({w for w in unigrams if w.isalpha() and len(w) >= 6})
        hotwords = random.Random(0).sample(known, min(args.hotwords, len(known)))
    boost = {"hotwords": hotwords, "hotword_weight": args.hotword_weight} if hotwords else {}
    ours = BeamSearchDecoder(args.lm, beam_width=args.beam_width, **boost)
    # the same search as bare pyctcdecode: every frame, and no word break forced at a pause (pause_seconds)
    # (and with hotwords, pyctcdecode's bonus for every prefix and every length: ours has defaults of its own)
    exact = BeamSearchDecoder(args.lm, beam_width=args.beam_width, blank_skip_threshold=None, pause_seconds=None,
                              **boost, **({"hotword_prefix_share": 1.0, "hotword_full_letters": 1} if boost else {}))

    def run(fn):
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.process_time()
            out = [fn(e) for e in ems]
            best = min(best, time.process_time() - t0)
        return best, out

    t_bare, txt_bare = run(lambda e: bare.decode(e.log_probs, beam_width=args.beam_width, **boost))
    t_exact, txt_exact = run(lambda e: exact.decode(e).text)
    t_ours, txt_ours = run(lambda e: ours.decode(e).text)
    frames = sum(e.num_frames for e in ems)
    audio = sum(e.duration for e in ems)
    same = sum(a.upper() == b.upper() for a, b in zip(txt_bare, txt_ours))
    print(f"{len(ems)} utterances, {frames} frames, {audio:.1f} s audio, beam {args.beam_width}, "
          f"lm={args.lm or 'none'}, hotwords {len(hotwords)}, best of {args.repeat}")
    print(f"bare pyctcdecode              {t_bare:8.3f} s  (RTF {t_bare / audio:.4f})")
    print(f"ctcdecode-plus, no skipping   {t_exact:8.3f} s  ratio {t_bare / t_exact:.2f}x")
    print(f"ctcdecode-plus (blank skip)   {t_ours:8.3f} s  ratio {t_bare / t_ours:.2f}x")
    for a, b, c in zip(txt_bare, txt_exact, txt_ours):
        if a.upper() != c.upper() and args.show_diff:
            print(f"  bare: {a}\n  skip: {c}\n  exact: {b}")
    print(f"identical transcripts: {same}/{len(ems)} (no-skip identical: "
          f"{sum(a.upper() == b.upper() for a, b in zip(txt_bare, txt_exact))}/{len(ems)})")


if __name__ == "__main__":
    main()
