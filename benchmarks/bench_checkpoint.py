"""What keeping a long file's model run for Ctrl-C costs (``AcousticModel.emissions(checkpoint=)``).

    python benchmarks/bench_checkpoint.py [--model demo] [--minutes 10] [--repeats 3]

Writes a FLAC of the demo set's utterances joined end to end (repeated to ``--minutes``), then computes its
emissions in the model's own chunks three ways, in the same process, alternating, ``--repeats`` times each: no
checkpoint (the baseline), the default (saved every ``CHECKPOINT_SECONDS``), and saved after every group of chunks
(the most it can cost). Reports each one's best time and its ratio to the baseline, and the number of saves.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="demo")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import numpy as np
    import soundfile as sf

    from ctcdecode_plus import AcousticModel, acoustic
    from ctcdecode_plus.audio import load_audio
    from ctcdecode_plus.manifest import read_manifest

    model = AcousticModel.from_pretrained(args.model, device="cpu")
    root = Path(__file__).resolve().parents[1]
    clips = [load_audio(e.audio, 16000).samples for e in read_manifest(root / "demo" / "manifest.tsv")]
    joined = np.concatenate(clips)
    need = int(args.minutes * 60 * 16000)
    audio = np.tile(joined, -(-need // len(joined)))[:need]
    saves = {"n": 0}
    real_save = acoustic._Checkpoint.save

    def counted(self, chunks, pieces):
        saves["n"] += 1
        return real_save(self, chunks, pieces)

    acoustic._Checkpoint.save = counted
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "long.flac"
        sf.write(wav, audio, 16000)
        setups = {"no checkpoint": (None, None), "checkpoint, default": (Path(tmp) / "a", None),
                  "checkpoint, every group": (Path(tmp) / "b", 0.0)}
        best = {name: float("inf") for name in setups}
        count = {}
        default = acoustic.CHECKPOINT_SECONDS
        for _ in range(args.repeats):
            for name, (path, every) in setups.items():
                acoustic.CHECKPOINT_SECONDS = default if every is None else every
                saves["n"] = 0
                t0 = time.perf_counter()
                model.emissions(wav, checkpoint=path)
                best[name] = min(best[name], time.perf_counter() - t0)
                count[name] = saves["n"]
        acoustic.CHECKPOINT_SECONDS = default
    base = best["no checkpoint"]
    print(f"{args.minutes:g} min of audio, chunks of {model.chunk_seconds:g} s with {model.context_seconds:g} s of "
          f"context, best of {args.repeats}")
    print("| run | seconds | ratio | saves |\n|---|---|---|---|")
    for name in setups:
        print(f"| {name} | {best[name]:.2f} | {best[name] / base:.3f} | {count[name]} |")


if __name__ == "__main__":
    main()
