"""Peak memory of computing emissions for a long file, as a function of its length.

    python benchmarks/bench_memory.py [--model demo] [--minutes 1 10]

Each length runs in a fresh subprocess (peak RSS via getrusage); the file is streamed window by window, so peak
memory should stay flat while the file grows. Reports MB and the ratio against the shortest file.
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
em = m.emissions(sys.argv[2])
dt = time.perf_counter() - t0
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "frames": em.num_frames,
                  "seconds": dt}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="demo")
    ap.add_argument("--minutes", type=float, nargs="+", default=[1, 10])
    args = ap.parse_args()
    import numpy as np
    import soundfile as sf

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            path = Path(tmp) / f"{minutes}min.flac"
            rng = np.random.default_rng(0)
            with sf.SoundFile(str(path), "w", 16000, 1, subtype="PCM_16") as f:  # written in blocks, too
                for _ in range(int(minutes * 6)):
                    f.write((rng.standard_normal(160000) * 0.05).astype(np.float32))
            out = subprocess.run([sys.executable, "-c", CHILD, args.model, str(path)], capture_output=True,
                                 text=True, check=True)
            rows.append((minutes, json.loads(out.stdout.strip().splitlines()[-1])))
    base = rows[0][1]["peak_mb"]
    print(f"model={args.model}")
    for minutes, r in rows:
        print(f"{minutes:5.1f} min audio: peak RSS {r['peak_mb']:7.1f} MB  (x{r['peak_mb'] / base:.2f} of the "
              f"{rows[0][0]:g}-min run), {r['frames']} frames in {r['seconds']:.1f} s")


if __name__ == "__main__":
    main()
