"""An experiment: pyctcdecode's bonus for a *partial* hotword, scaled by a factor.

While a word is being spelled, pyctcdecode gives a prefix of a hotword ``weight * len(prefix) / len(hotword)``
(``HotwordScorer.score_partial_token``); the bonus goes when the word ends as something else. It keeps the hotword's
beams alive, and it also lets a prefix push out the letters after it ("CAFE" -> "KAFE" for KAFKA, "DOUBLE IN" ->
"DOUBLE" for "AY DOUBLEYOU ES"), changes the whole-hotword false-insertion rate does not count. This runs
``ctcdecode-plus compare ARGS`` once per factor, in a fresh process with the partial bonus multiplied by it, and
prints each run's last table row (the hotword decoder) with its "hw-free changed %".

    .venv/bin/python benchmarks/partial_bonus.py --factors 1 0.5 0 -- --manifest demo/dev/manifest.tsv \\
        --emissions runs/dev_emissions --lm domain=lm/domain_4gram.arpa.gz --hotwords-file demo/dev/hotwords.txt \\
        --hotword-lm domain --alpha 0.8 --beta 1.5 --hotword-weight 10 --hotword-spotting off
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import sys
from pyctcdecode.language_model import HotwordScorer
factor, original = float(sys.argv[1]), HotwordScorer.score_partial_token
HotwordScorer.score_partial_token = lambda self, token: factor * original(self, token)
from ctcdecode_plus.cli import main
sys.exit(main(["compare", *sys.argv[2:]]))
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factors", type=float, nargs="+", default=[1.0, 0.5, 0.0])
    ap.add_argument("compare_args", nargs=argparse.REMAINDER, help="after --: the arguments of compare")
    args = ap.parse_args(argv)
    rest = [a for a in args.compare_args if a != "--"]
    header = None
    for factor in args.factors:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(factor), *rest], capture_output=True, text=True,
                             cwd=ROOT)
        lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
        table = lines[:lines.index(next(ln for ln in lines if ln.startswith("hotwords found")))] \
            if any(ln.startswith("hotwords found") for ln in lines) else lines
        if header is None and table:
            header = table[0]
            print(f"{'factor':>6}  {header}")
        print(f"{factor:>6g}  {table[-1] if table else out.stderr.strip()[-200:]}", flush=True)


if __name__ == "__main__":
    main()
