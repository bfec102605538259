"""Peak memory of computing emissions for a long file, as a function of its length.

    python benchmarks/bench_memory.py [--model demo] [--minutes 1 10] [--formats flac mp3]

Each length and format runs in a fresh subprocess (peak RSS via getrusage). A FLAC (or WAV, Ogg) file is streamed
window by window, so peak memory should stay flat while the file grows; an MP3 is read whole (libsndfile decodes
MP3 exactly only in one read: ``ctcdecode_plus.audio``), so its peak grows with its length. Reports MB and the
ratio against the shortest file of the same format.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from ctcdecode_plus import AcousticModel
m = AcousticModel.from_pretrained(sys.argv[1], device="cpu")
t0 = time.perf_counter()
em = m.emissions(sys.argv[2], chunk_seconds=float(sys.argv[3]))
dt = time.perf_counter() - t0
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "frames": em.num_frames,
                  "seconds": dt}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="demo")
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 10])
    ap.add_argument("--formats", nargs="+", default=["flac"], choices=["flac", "mp3"])
    ap.add_argument("--chunk-seconds", type=float, default=20.0,
                    help="window length (20 s as in RESULTS.md; the demo model's own is 2.5 s since session 17)")
    args = ap.parse_args()
    import numpy as np
    import soundfile as sf

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats:
            for minutes in args.minutes:
                path = Path(tmp) / f"{minutes}min.{fmt}"
                rng = np.random.default_rng(0)
                kw = {"format": "MP3"} if fmt == "mp3" else {"subtype": "PCM_16"}
                with sf.SoundFile(str(path), "w", 16000, 1, **kw) as f:  # written in blocks, too
                    for _ in range(int(minutes * 6)):
                        f.write((rng.standard_normal(160000) * 0.05).astype(np.float32))
                out = subprocess.run([sys.executable, "-c", CHILD, args.model, str(path), str(args.chunk_seconds)], capture_output=True,
                                     text=True, check=True)
                rows.append((fmt, minutes, json.loads(out.stdout.strip().splitlines()[-1])))
    print(f"model={args.model}")
    for fmt, minutes, r in rows:
        first_minutes, first = next((m, x) for f, m, x in rows if f == fmt)
        print(f"{fmt:4s} {minutes:5.1f} min audio: peak RSS {r['peak_mb']:7.1f} MB  (x{r['peak_mb'] / first['peak_mb']:.2f} "
              f"of the {first_minutes:g}-min {fmt} run), {r['frames']} frames in {r['seconds']:.1f} s")

if __name__ == "__main__":
    main()
