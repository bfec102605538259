"""Wall-clock time of `compare` in worker processes (``num_workers`` / ``--jobs``) against one process, in the same
run, on the same saved emissions; checks that every transcript is the same.

    python benchmarks/bench_jobs.py --emissions runs/dev_emissions --manifest demo/dev/manifest.tsv \\
        --lm lm/domain_4gram.arpa.gz --hotwords-file demo/dev/hotwords.txt --jobs 1 2

The decoders are the demo's beam + domain LM and beam + domain LM + hotwords (spotting off: calibrating it is
not decoding). Reports wall seconds per setting (the best of ``--repeat`` passes) and the speed-up against
``--jobs``'s first value; the 'decode s' sum of each item's own decode time is printed beside it, which is what
the tables of `compare` show.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emissions", required=True, help="folder of <id>.npz emissions (`ctcdecode-plus emissions`)")
    ap.add_argument("--manifest", required=True, help="the manifest whose ids name those files")
    ap.add_argument("--lm", required=True)
    ap.add_argument("--hotwords-file", required=True)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--alpha", type=float, default=0.5)
    ap.add_argument("--beta", type=float, default=0.0)
    ap.add_argument("--hotword-weight", type=float, default=10.0)
    args = ap.parse_args()

    from ctcdecode_plus import BeamSearchDecoder, Emissions, Item, compare, read_hotwords, read_manifest

    entries = read_manifest(args.manifest)
    items = [Item(e.id, Emissions.load(Path(args.emissions) / f"{e.id}.npz"), e.text) for e in entries]
    hotwords = read_hotwords(args.hotwords_file)
    lm = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta, name="beam+domain")
    decoders = {"beam+domain": lm, "beam+domain+hotwords": lm.replace(
        hotwords=hotwords, hotword_weight=args.hotword_weight, auto_spoken_forms=True, name="beam+domain+hotwords")}
    audio = sum(it.emissions.audio_duration for it in items)
    print(f"{len(items)} utterances, {audio:.0f} s of audio; decoders: {', '.join(decoders)}")
    first, texts = None, None
    for jobs in args.jobs:
        best, result = float("inf"), None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = compare(decoders, items, hotwords=hotwords, num_workers=jobs)
            best = min(best, time.perf_counter() - t0)
        got = [(u.id, u.decoder, u.hypothesis) for u in result.utterances]
        texts = texts or got
        first = first or best
        compute = sum(s.decode_seconds for s in result.decoders.values())
        print(f"jobs {jobs}: {best:6.2f} s wall, x{first / best:.2f} against jobs {args.jobs[0]}; decode s (sum of "
              f"items) {compute:.2f}; transcripts {'the same' if got == texts else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
