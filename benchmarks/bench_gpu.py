"""The acoustic model on CUDA against the same model on CPU, in one process: agreement and speed.

    python benchmarks/bench_gpu.py [--model demo] [--manifest demo/manifest.tsv] [--json out.json]

Runs ``AcousticModel.emissions`` on every file of the manifest on both devices, then ``emissions_batch`` on all
of them (padded batches of ``--batch-seconds``), and ``emissions`` on one long recording (the
manifest's files end to end, written to a temporary WAV, so the streamed, chunked path runs too). Reports the
largest absolute difference of the log-probabilities, the share of frames whose argmax agrees, greedy CER against
the references on each device, and the CUDA/CPU speed ratio (seconds of audio per second, after one warm-up file), and how far the batched
emissions are from the one-by-one ones.
Needs a CUDA GPU; exits 2 without one.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(argv=None) -> int:
    import soundfile as sf
    import torch

    from ctcdecode_plus import AcousticModel, GreedyDecoder, cer, read_manifest

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="demo")
    ap.add_argument("--manifest", default="demo/manifest.tsv")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--batch-seconds", type=float, default=60.0, help="emissions_batch's padded seconds per batch")
    ap.add_argument("--chunk-seconds", type=float, default=20.0,
                    help="chunk length (20 s as in RESULTS.md; the demo model's own is 2.5 s since session 17)")
    ap.add_argument("--devices", nargs=2, default=["cpu", "cuda"], metavar=("BASELINE", "DEVICE"))
    args = ap.parse_args(argv)
    base, dev2 = args.devices
    if "cuda" in args.devices and not torch.cuda.is_available():
        print("bench_gpu: no CUDA GPU here", file=sys.stderr)
        return 2
    entries = read_manifest(args.manifest)
    models = {"cpu": AcousticModel.from_pretrained(args.model, device=base),
              "cuda": AcousticModel.from_pretrained(args.model, device=dev2)}
    greedy = GreedyDecoder()
    res: dict = {"devices": args.devices, "gpu": torch.cuda.get_device_name() if dev2.startswith("cuda") else None, "cpu_threads": torch.get_num_threads(), "files": len(entries)}
    with tempfile.TemporaryDirectory() as tmp:
        long_wav = Path(tmp) / "long.wav"
        sf.write(long_wav, np.concatenate([sf.read(e.audio, dtype="float32")[0] for e in entries]), 16000)
        em: dict = {}
        for dev, am in models.items():
            cs = args.chunk_seconds
            am.emissions(entries[0].audio, chunk_seconds=cs)  # warm-up
            if am.device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            em[dev] = [am.emissions(e.audio, chunk_seconds=cs) for e in entries]
            t_files = time.perf_counter() - t0
            t0 = time.perf_counter()
            em[dev + "_batch"] = am.emissions_batch([e.audio for e in entries], batch_seconds=args.batch_seconds,
                                                    chunk_seconds=cs)
            t_batch = time.perf_counter() - t0
            t0 = time.perf_counter()
            em[dev + "_long"] = am.emissions(long_wav, chunk_seconds=cs)
            t_long = time.perf_counter() - t0
            audio_s = sum(x.duration for x in em[dev])
            hyps = [greedy.decode(x).text for x in em[dev]]
            res[dev] = dict(files_x_real_time=audio_s / t_files, batch_x_real_time=audio_s / t_batch,
                            long_x_real_time=em[dev + "_long"].duration / t_long,
                            greedy_cer=cer([e.text for e in entries], hyps), long_seconds=em[dev + "_long"].duration)
    diffs = [np.abs(a.log_probs - b.log_probs).max() for a, b in zip(em["cpu"], em["cuda"])]
    agree = [np.mean(a.log_probs.argmax(1) == b.log_probs.argmax(1)) for a, b in zip(em["cpu"], em["cuda"])]
    batch_diff = [np.abs(a.log_probs - b.log_probs).max() for dev in ("cpu", "cuda")
                  for a, b in zip(em[dev], em[dev + "_batch"])]
    batch_agree = [np.mean(a.log_probs.argmax(1) == b.log_probs.argmax(1)) for dev in ("cpu", "cuda")
                   for a, b in zip(em[dev], em[dev + "_batch"])]
    la, lb = em["cpu_long"].log_probs, em["cuda_long"].log_probs
    res["agreement"] = dict(
        max_abs_logprob_diff=float(max(diffs)), argmax_agree=float(np.mean(agree)),
        long_frames=[len(la), len(lb)], long_max_abs_logprob_diff=float(np.abs(la - lb).max()),
        long_argmax_agree=float(np.mean(la.argmax(1) == lb.argmax(1))),
        batch_vs_single_max_abs_logprob_diff=float(max(batch_diff)), batch_vs_single_argmax_agree=float(
            np.mean(batch_agree)))
    res["speed_ratio_cuda_over_cpu"] = dict(
        files=res["cuda"]["files_x_real_time"] / res["cpu"]["files_x_real_time"],
        batch=res["cuda"]["batch_x_real_time"] / res["cpu"]["batch_x_real_time"],
        long=res["cuda"]["long_x_real_time"] / res["cpu"]["long_x_real_time"])
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
