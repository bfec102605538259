"""Greedy CER on long recordings, by chunk length: does a model read long windows as well as single utterances?

Joins the development utterances (demo/dev, 160) eight at a time with 0.7-3 s of silence between them (seeded):
20 files of about 48 s. Decodes each whole, and in chunks of each given length, greedily, and prints the CER of
each against the joined transcripts, then the CER of the utterances one by one (the ceiling). Session 17 found the
demo model far worse on long windows (it was trained on utterances of 0.7-6.8 s), hence its 2.5 s chunk length;
session 22 found it better with 1 s of context around each chunk than with 2 s, hence its 1 s context.

    .venv/bin/python benchmarks/long_audio.py                  # chunk lengths 0 (one window) 2.5 5 10 20
    .venv/bin/python benchmarks/long_audio.py --chunks 2.5 3 4 --model path/to/model
    .venv/bin/python benchmarks/long_audio.py --chunks 2.5 --contexts 0.5 1 1.5 2
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> None:
    import ctcdecode_plus as cp
    from ctcdecode_plus.metrics import cer

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", type=Path, default=ROOT / "demo" / "dev" / "manifest.tsv")
    ap.add_argument("--model", default="demo")
    ap.add_argument("--chunks", type=float, nargs="+", default=[0, 2.5, 5, 10, 20], help="chunk lengths, s (0: whole)")
    ap.add_argument("--per-file", type=int, default=8, help="utterances joined into one file")
    ap.add_argument("--contexts", type=float, nargs="+", default=None,
                    help="seconds of context on each side of a chunk to try (default: the model's own, "
                         "AcousticModel.context_seconds)")
    args = ap.parse_args(argv)

    rows = [ln.rstrip("\n").split("\t") for ln in args.manifest.read_text(encoding="utf-8").splitlines()[1:]]
    model = cp.load_model(args.model)
    rng = np.random.default_rng(0)
    files = []
    for i in range(0, len(rows), args.per_file):
        parts, refs = [], []
        for audio, text in rows[i:i + args.per_file]:
            x = cp.load_audio(args.manifest.parent / audio, model.sampling_rate).samples
            parts += [x, np.zeros(int(rng.uniform(0.7, 3.0) * model.sampling_rate), np.float32)]
            refs.append(text)
        files.append((np.concatenate(parts), " ".join(refs)))
    seconds = [len(x) / model.sampling_rate for x, _ in files]
    print(f"{len(files)} files of {args.per_file} utterances, {np.mean(seconds):.1f} s each on average; "
          f"model {args.model} (its own chunk length {model.chunk_seconds:g} s, context {model.context_seconds:g} s)")
    refs = [r for _, r in files]
    for chunk in args.chunks:
        for context in (args.contexts or [model.context_seconds]) if chunk else [0.0]:
            t0 = time.time()
            hyps = [cp.GreedyDecoder().decode(model.emissions(x, input_rate=model.sampling_rate, chunk_seconds=chunk,
                                                              context_seconds=context)).text
                    for x, _ in files]
            label = "one window" if chunk == 0 else f"{chunk:g} s chunks, {context:g} s context"
            print(f"{label:>28}: greedy CER {100 * cer(refs, hyps):5.2f} %  ({time.time() - t0:.0f} s)", flush=True)
    hyps = [cp.GreedyDecoder().decode(model.emissions(args.manifest.parent / a, chunk_seconds=0)).text for a, _ in rows]
    print(f"{'per utterance':>14}: greedy CER {100 * cer([t for _, t in rows], hyps):5.2f} %")


if __name__ == "__main__":
    main()
