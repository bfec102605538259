"""Mixing ARPA models: ``mix_arpa`` (arrays) against the dict-based mixer it replaced, in one command.

    .venv/bin/python benchmarks/bench_mix.py lm/domain_4gram.arpa.gz lm/general_3gram.arpa.gz --weights 0.7 0.3 \
        --baseline-rev e7b6ceb

Each side runs in a fresh subprocess (so peak RSS is its own: ``ru_maxrss``, interpreter and numpy included) and
writes the mixed model to a temporary folder; the baseline is ``ctcdecode_plus/lm/mix.py`` as it was at
``--baseline-rev`` (read with ``git show``, loaded as a module of this package). Prints wall time, peak RSS, their
ratios, and whether the two written models hold the same n-grams with the same values.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import importlib.util, json, resource, sys, time
paths, weights, out, baseline = json.loads(sys.argv[1])
if baseline:
    spec = importlib.util.spec_from_file_location("ctcdecode_plus.lm._mix_baseline", baseline)
    mod = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
else:
    from ctcdecode_plus.lm import mix as mod
t0 = time.perf_counter()
res = mod.mix_arpa(paths, weights, out)
rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(seconds=time.perf_counter() - t0, rss_mib=rss_mib, counts=res.ngram_counts)))
"""


def run(paths, weights, out: Path, baseline: str | None) -> dict:
    arg = json.dumps([[str(p) for p in paths], weights, str(out), baseline])
    done = subprocess.run([sys.executable, "-c", _CHILD, arg], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"bench_mix: the {'baseline' if baseline else 'array'} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    from ctcdecode_plus.lm.arpa import read_arpa

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arpa", nargs="+", help="two or more ARPA files (plain or .gz)")
    ap.add_argument("--weights", type=float, nargs="+", required=True)
    ap.add_argument("--baseline-rev", default="e7b6ceb", help="git revision whose lm/mix.py is the baseline")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "mix_baseline.py"
        old.write_text(subprocess.run(["git", "show", f"{args.baseline_rev}:ctcdecode_plus/lm/mix.py"], cwd=ROOT,
                                      capture_output=True, text=True, check=True).stdout)
        base = run(args.arpa, args.weights, Path(tmp) / "base.arpa", str(old))
        new = run(args.arpa, args.weights, Path(tmp) / "new.arpa", None)
        same = read_arpa(Path(tmp) / "base.arpa").ngrams == read_arpa(Path(tmp) / "new.arpa").ngrams
    print(f"n-grams {' '.join(map(str, new['counts']))}")
    print(f"dict-based ({args.baseline_rev})  {base['seconds']:7.2f} s  {base['rss_mib']:7.0f} MiB peak RSS")
    print(f"arrays                {new['seconds']:7.2f} s  {new['rss_mib']:7.0f} MiB peak RSS  "
          f"({base['seconds'] / new['seconds']:.2f}x faster, {base['rss_mib'] / new['rss_mib']:.2f}x less memory)")
    print(f"same n-grams and values: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
