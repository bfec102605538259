"""Score weights that ``training.gpu_train`` wrote (fp16 shards + ``run.json``) on this machine's FLAC
validation set, exactly as ``train.py`` scores its own (greedy CER per family on the 150 held-out sentences),
and, with ``--lm-gate``, beam search + the domain LM on ``demo/dev`` (``train.lm_dev_wer``).

Usage::

    python -m training.gpu_import runs/gpu/wide [--lm-gate] [--json runs/gpu_wide.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from training.gpu_train import load_shards


def main(argv=None) -> None:
    from training import train as T

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--lm-gate", action="store_true", help="also beam + domain LM WER on demo/dev")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_shards(args.dir)
    rows = T.read_manifest(T.CACHE / "val.tsv")
    ev = T.evaluate(model, rows, T.AudioCache(), "cpu")
    ev.pop("_examples", None)
    out = {"n_params": sum(p.numel() for p in model.parameters()), "eval": ev}
    if args.lm_gate:
        out["lm_dev_wer"] = T.lm_dev_wer(model, T.build_processor(), "cpu")
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
