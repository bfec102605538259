"""The python perplexity backend (``ArrayScorer`` on arrays) against word-by-word dict scoring, in one command.

    .venv/bin/python benchmarks/bench_perplexity.py lm/domain_4gram.arpa.gz lm/domain_corpus.txt

Each side runs in a fresh subprocess (peak RSS is its own ``ru_maxrss``, interpreter and numpy included): the
baseline reads the model into :class:`~ctcdecode_plus.lm.arpa.ArpaModel` dicts and scores word by word with
``ArpaModel.log10_prob`` (what ``perplexity(backend="python")`` did before session 13); the other is
``perplexity(backend="python")``. Prints wall time (reading the model included), peak RSS, ratios, and both
totals, which must agree.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time
lm, text, side = sys.argv[1:4]
t0 = time.perf_counter()
if side == "dicts":
    from ctcdecode_plus.lm.arpa import read_arpa
    model = read_arpa(lm)
    vocab = model.vocab  # a set built on each access: once
    total, n = 0.0, 0
    for line in open(text, encoding="utf-8"):
        ws = line.split()
        if not ws:
            continue
        ctx = ("<s>",)
        for w in [*ws, "</s>"]:
            w = w if w in vocab else "<unk>"
            total += model.log10_prob(w, ctx)[0]
            ctx = (ctx + (w,))[-(model.order - 1):] if model.order > 1 else ()
            n += 1
else:
    from ctcdecode_plus.lm.perplexity import perplexity
    res = perplexity(lm, lines=open(text, encoding="utf-8"), backend="python")
    total, n = res.log10_prob, res.words + res.sentences
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(seconds=time.perf_counter() - t0, rss_mib=rss, total=total, tokens=n)))
"""


def run(lm: str, text: str, side: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _CHILD, lm, text, side], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode:
        raise SystemExit(f"bench_perplexity: the {side} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lm", help="ARPA file (plain or .gz)")
    ap.add_argument("text", help="text file, one sentence a line, already normalised")
    args = ap.parse_args(argv)
    base, new = run(args.lm, args.text, "dicts"), run(args.lm, args.text, "arrays")
    print(f"{new['tokens']} tokens scored (words + </s>)")
    print(f"dicts, word by word   {base['seconds']:7.2f} s  {base['rss_mib']:7.0f} MiB peak RSS  "
          f"log10 total {base['total']:.4f}")
    print(f"arrays (ArrayScorer)  {new['seconds']:7.2f} s  {new['rss_mib']:7.0f} MiB peak RSS  "
          f"log10 total {new['total']:.4f}  ({base['seconds'] / new['seconds']:.2f}x faster, "
          f"{base['rss_mib'] / new['rss_mib']:.2f}x less memory)")
    same = abs(base["total"] - new["total"]) <= 1e-6 * max(1.0, abs(base["total"]))
    print(f"same total: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
