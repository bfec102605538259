"""Beam search + LM on long recordings: one search against pieces cut at pauses (``segment_seconds``).

pyctcdecode keys its beams and its LM score cache by the whole text so far, so one search over a long recording
grows in memory and time faster than the recording. ``BeamSearchDecoder(segment_seconds=30)`` (the default) cuts
it in its longest pauses into pieces of at most 30 s. This benchmark joins the development utterances' emissions
(demo/dev, 160, in manifest order) with 0.7-3 s of silence between them (seeded; blank-only frames, as the model
gives for silence) into recordings of the given lengths, decodes each with the domain LM both ways, each in a fresh
process, and prints wall time, peak RSS and WER against the joined transcripts.

    .venv/bin/python benchmarks/long_beam.py                       # 2 4 8 16 minutes
    .venv/bin/python benchmarks/long_beam.py --minutes 1 2 --emissions runs/dev_emissions
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(manifest: Path, emissions_dir, minutes: list[float], out: Path) -> list[dict]:
    """Write one ``.npz`` per length under ``out``; return ``{"minutes", "path", "reference"}`` each."""
    import ctcdecode_plus as cp

    rows = [ln.rstrip("\n").split("\t") for ln in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    if emissions_dir:
        ems = [cp.Emissions.load(Path(emissions_dir) / f"{Path(a).stem}.npz") for a, _ in rows]
    else:
        model = cp.load_model("demo")
        ems = [model.emissions(manifest.parent / a) for a, _ in rows]
    labels, spf = ems[0].labels, ems[0].seconds_per_frame
    rng = np.random.default_rng(0)
    silence_row = np.full(len(labels), -15.0, np.float32)
    silence_row[labels.blank_id] = 0.0
    out_rows = []
    for m in minutes:
        parts, refs, frames, i = [], [], 0, 0
        while frames * spf < m * 60:
            em, (_, text) = ems[i % len(ems)], rows[i % len(rows)]
            gap = np.tile(silence_row, (int(rng.uniform(0.7, 3.0) / spf), 1))
            parts += [gap, em.log_probs]
            refs.append(text)
            frames += len(gap) + em.num_frames
            i += 1
        joined = cp.Emissions.from_logits(np.concatenate(parts), labels, spf, f"joined_{m:g}min")
        path = joined.save(out / f"joined_{m:g}min.npz")
        out_rows.append({"minutes": m, "path": str(path), "reference": " ".join(refs), "utterances": i})
    return out_rows


def child(path: str, lm: str, segment: float) -> None:
    """Decode one file in this (fresh) process and print a JSON line: seconds, peak RSS (MiB), the text."""
    import ctcdecode_plus as cp

    em = cp.Emissions.load(path)
    dec = cp.BeamSearchDecoder(lm, alpha=0.8, beta=1.5, segment_seconds=segment if segment > 0 else None)
    dec.prepare(em.labels)  # the LM loaded before the clock and the memory baseline
    rss0 = _status("VmRSS")
    try:  # the high-water mark from here on, not the LM's loading (Linux: "5" resets VmHWM)
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    t0 = time.perf_counter()
    text = dec.decode(em).text
    print(json.dumps({"seconds": time.perf_counter() - t0, "rss_before": rss0, "rss_peak": _status("VmHWM"),
                      "text": text}))


def _status(key: str) -> float:
    """``/proc/self/status`` memory line ``key`` in MiB (peak RSS from getrusage where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--manifest", type=Path, default=ROOT / "demo" / "dev" / "manifest.tsv")
    ap.add_argument("--emissions", default=None, help="saved emissions of the manifest's files (default: computed)")
    ap.add_argument("--lm", default=str(ROOT / "lm" / "domain_4gram.arpa.gz"))
    ap.add_argument("--minutes", type=float, nargs="+", default=[2, 4, 8, 16])
    ap.add_argument("--segments", type=float, nargs="+", default=[0, 30], help="segment_seconds (0: one search)")
    ap.add_argument("--child", nargs=3, metavar=("PATH", "LM", "SEGMENT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]))
        return
    from ctcdecode_plus.metrics import wer

    with tempfile.TemporaryDirectory() as tmp:
        files = build(args.manifest, args.emissions, args.minutes, Path(tmp))
        print("| audio | segment_seconds | wall s | extra peak RSS MiB | WER % |")
        print("|---|---|---|---|---|")
        for f in files:
            for seg in args.segments:
                out = subprocess.run([sys.executable, __file__, "--child", f["path"], args.lm, str(seg)],
                                     capture_output=True, text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"| {f['minutes']:g} min ({f['utterances']} utterances) | {seg:g} | {r['seconds']:.1f} | "
                      f"{r['rss_peak'] - r['rss_before']:.0f} | {100 * wer(f['reference'], r['text']):.1f} |",
                      flush=True)


if __name__ == "__main__":
    main()
