"""Benchmark the ARPA builder: words/second and peak memory for 1 M and 10 M words.

Text is assembled offline: random walks on the word-bigram chain of a seed corpus (default: the lmplz reference
corpus of Python's docs, else Python's own stdlib docstrings), one sentence a line, so higher-order n-grams are
mostly new as in real text (repeating one file would make a 10 M-word corpus with almost no new n-grams).

Each measurement runs in a fresh subprocess so ``ru_maxrss`` is that run's peak resident memory. The baseline is a
dict-of-tuples counter (``counts.naive_counts``) on the same text in the same command; it is run on the 1 M corpus
(at 10 M words it would need gigabytes), and ratios are against it.

Usage::

    python benchmarks/bench_lm.py --words 1000000 10000000 --order 4
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def seed_lines() -> list[str]:
    ref = ROOT.parent / "shared" / "lmplz_reference" / "corpus_pydoc.txt"
    if ref.exists():
        return ref.read_text(encoding="utf-8").splitlines()
    import pydoc_data.topics as topics  # stdlib

    from ctcdecode_plus.lm.normalize import Alphabet, normalize_text

    text = "\n".join(topics.topics.values())
    return normalize_text(text, Alphabet.from_string("ABCDEFGHIJKLMNOPQRSTUVWXYZ'"))[0]


def make_corpus(n_words: int, path: Path, seed: int = 0) -> Path:
    """Random walks on the seed corpus's bigram chain until ``n_words`` words (cached by path)."""
    if path.exists():
        return path
    import numpy as np

    rng = np.random.default_rng(seed)
    lines = seed_lines()
    vocab: dict[str, int] = {"</s>": 0}
    succ: dict[int, list[int]] = {}
    starts = []
    for line in lines:
        ids = [vocab.setdefault(w, len(vocab)) for w in line.split()]
        if not ids:
            continue
        starts.append(ids[0])
        for a, b in zip(ids, ids[1:] + [0]):
            succ.setdefault(a, []).append(b)
    words = list(vocab)
    succ_arr = {k: np.array(v, dtype=np.int32) for k, v in succ.items()}
    tmp = path.with_suffix(".tmp")
    written = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        buf = []
        while written < n_words:
            w = starts[rng.integers(len(starts))]
            sent = []
            while w != 0 and len(sent) < 60:
                sent.append(words[w])
                nxt = succ_arr[w]
                w = int(nxt[rng.integers(len(nxt))])
            buf.append(" ".join(sent))
            written += len(sent)
            if len(buf) >= 10000:
                fh.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            fh.write("\n".join(buf) + "\n")
    os.replace(tmp, path)
    return path


def worker(kind: str, text: str, order: int, out: str) -> dict:
    """One measurement; returns seconds per stage and peak RSS (MiB)."""
    t0 = time.perf_counter()
    res: dict = {"kind": kind}
    if kind == "naive":
        from ctcdecode_plus.lm.counts import naive_counts

        with open(text, encoding="utf-8") as fh:
            counts = naive_counts((line.rstrip("\n") for line in fh), order)
        res["ngrams"] = len(counts)
        res["count_s"] = time.perf_counter() - t0
        res["total_s"] = res["count_s"]
    else:
        from ctcdecode_plus.lm.arpa import write_arpa
        from ctcdecode_plus.lm.counts import count_ngrams
        from ctcdecode_plus.lm.kneser_ney import estimate

        counts = count_ngrams(text, order)
        t1 = time.perf_counter()
        model = estimate(counts, discount_fallback=True)
        del counts
        t2 = time.perf_counter()
        write_arpa(model, out)
        t3 = time.perf_counter()
        res.update(count_s=t1 - t0, estimate_s=t2 - t1, write_s=t3 - t2, total_s=t3 - t0,
                   ngrams=sum(model.ngram_counts), tokens=model.tokens)
    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def run_worker(kind: str, text: Path, order: int, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, str(text), str(order), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--words", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--order", type=int, default=4)
    ap.add_argument("--workdir", default="/tmp/ctcdecode_plus_bench_lm")
    ap.add_argument("--baseline-words", type=int, default=1_000_000, help="corpus size the naive counter runs on")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        kind, text, order, out = args.worker
        print(json.dumps(worker(kind, text, int(order), out)))
        return
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    print(f"# machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"order {args.order}; {time.strftime('%Y-%m-%d')}")
    base_text = make_corpus(args.baseline_words, work / f"corpus_{args.baseline_words}.txt")
    base = run_worker("naive", base_text, args.order, work / "naive.out")
    base_wps = args.baseline_words / base["count_s"]
    print(f"baseline naive dict counter, {args.baseline_words:,} words: counting {base['count_s']:.1f}s "
          f"({base_wps:,.0f} words/s), peak RSS {base['peak_rss_mib']:.0f} MiB")
    print("| words | count s | estimate s | write ARPA s | total s | words/s (total) | counting speed vs naive | "
          "peak RSS MiB | RSS vs naive@1M | n-grams |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.words:
        text = make_corpus(n, work / f"corpus_{n}.txt")
        r = run_worker("builder", text, args.order, work / f"lm_{n}.arpa")
        wps = r["tokens"] / r["total_s"]
        print(f"| {r['tokens']:,} | {r['count_s']:.1f} | {r['estimate_s']:.1f} | {r['write_s']:.1f} | "
              f"{r['total_s']:.1f} | {wps:,.0f} | {(r['tokens'] / r['count_s']) / base_wps:.1f}x | "
              f"{r['peak_rss_mib']:.0f} | {r['peak_rss_mib'] / base['peak_rss_mib']:.2f} | {r['ngrams']:,} |")
        (work / f"lm_{n}.arpa").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
