"""Weight-space interpolation of a fine-tuning stage with the model it started from (WiSE-FT).

A short fine-tuning stage on new data (e.g. sentences with made-up words, ``training/nonce.py``) can teach a skill
(spelling unheard words: hotword recall) and cost a little elsewhere (held-out CER). Weights on the straight line
between the starting model and the fine-tuned one often keep most of both (Wortsman et al., 2022, "Robust
fine-tuning of zero-shot models"; Ilharco et al., 2023, task arithmetic)::

    weights = (1 - alpha) * start + alpha * fine_tuned

``--init`` is the starting model (an exported model folder, its logit temperature undone as ``gpu_train`` undoes
it, or a ``gpu_train`` output folder); ``run`` the stage that continued from it. Each ``--alpha`` writes a folder
like ``gpu_train``'s (fp16 shards + ``run.json``: the stage's, with ``wise: {init, alpha}``) for
``training.gpu_import`` to score, gate and export::

    python -m training.wise runs/cpu_nonce/r0 --init ctcdecode_plus/models/demo --alpha 0.3 0.5 0.7 --out runs/wise
    python -m training.gpu_import runs/wise/a50 --init-run ctcdecode_plus/models/demo --temperatures 2 --export
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.average import average_states
from training.gpu_train import load_init, load_shards, save_shards


def interpolate(init: Path, run: Path, alphas, out: Path) -> list[Path]:
    """Write ``out/aNN`` (NN = 100 * alpha) for each of ``alphas`` in [0, 1]: ``(1 - alpha) * init + alpha * run``.
    Returns the folders."""
    bad = [a for a in alphas if not 0.0 <= a <= 1.0]
    if bad:
        raise SystemExit(f"--alpha {bad[0]:g}: give shares in [0, 1] (0: the starting model, 1: the run's own weights)")
    start, tuned = load_init(init), load_shards(run)
    record = json.loads((run / "run.json").read_text())
    # copies: loading a mixture into ``tuned`` writes into the very tensors its state_dict() returned
    s0, s1 = ({k: v.clone() for k, v in m.state_dict().items()} for m in (start, tuned))
    if s0.keys() != s1.keys() or any(s0[k].shape != s1[k].shape for k in s0):
        raise SystemExit(f"{init} and {run} have different architectures: interpolate a run with the model it "
                         "started from (its --init)")
    written = []
    for a in alphas:
        tuned.load_state_dict(average_states([s0, s1], [1.0 - a, a]))
        d = out / f"a{round(100 * a):02d}"
        save_shards(tuned, d)
        (d / "run.json").write_text(json.dumps(dict(record, wise=dict(init=str(init), alpha=a)), indent=1) + "\n")
        print(f"wrote {d}: {1 - a:g} x {init} + {a:g} x {run}", flush=True)
        written.append(d)
    return written


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="a training.gpu_train output folder that continued from --init")
    ap.add_argument("--init", type=Path, required=True, help="the model the run started from")
    ap.add_argument("--alpha", type=float, nargs="+", required=True, help="the run's share(s) of the weights")
    ap.add_argument("--out", type=Path, required=True, help="folder for the aNN folders")
    args = ap.parse_args(argv)
    interpolate(args.init, args.run, args.alpha, args.out)


if __name__ == "__main__":
    main()
