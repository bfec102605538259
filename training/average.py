"""Checkpoint averaging: the mean of the model weights of several training checkpoints, scored like the trainer.

Late in training, at a low learning rate, successive checkpoints scatter around a minimum; their mean usually
sits nearer to it than any one of them (Izmailov et al., 2018, "Averaging weights leads to wider optima and
better generalization"; the same trick as fairseq's ``average_checkpoints.py``). The trainer writes
``last.pt`` every ``--ckpt-every`` seconds; keep copies of it (e.g. ``checkpoints/grow8/snaps/``), then::

    .venv/bin/python -m training.average checkpoints/grow8/snaps/*.pt --last 8
    .venv/bin/python -m training.average checkpoints/grow8/snaps/*.pt --last 8 --export

Greedy CER per voice family on the held-out sentences is printed for the newest checkpoint alone and for the
average. ``--export`` writes the average to ``ctcdecode_plus/models/demo`` (as the trainer's export does) if
its held-out CER beats the exported model's.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from training import train as T


def load(path: Path) -> dict:
    ck = torch.load(path, map_location="cpu", weights_only=False)
    if "model" not in ck or "step" not in ck:
        raise SystemExit(f"{path}: not a training checkpoint of training.train (no 'model'/'step')")
    return ck


def average_states(states: list[dict], weights: list[float] | None = None) -> dict:
    """Element-wise mean of floating-point tensors (weighted by ``weights``, which sum to 1; default equal), in
    float32; other entries (integer buffers) from the last state."""
    keys = states[-1].keys()
    if any(s.keys() != keys for s in states):
        raise SystemExit("the checkpoints have different parameters: average checkpoints of one run only")
    w = torch.tensor(weights if weights is not None else [1.0 / len(states)] * len(states), dtype=torch.float32)
    out = {}
    for k in keys:
        t = states[-1][k]
        out[k] = (torch.einsum("s,s...->...", w, torch.stack([s[k].float() for s in states])).to(t.dtype)
                  if t.is_floating_point() else t.clone())
    return out


def fmt(ev: dict) -> str:
    return "  ".join(f"{k} {100 * v['cer']:.2f}" for k, v in ev.items() if not k.startswith("_"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="+", type=Path, help="training checkpoints (last.pt copies) of one run")
    ap.add_argument("--last", type=int, default=0, help="average only the N latest (by step); 0: all")
    ap.add_argument("--export", action="store_true", help="export the average if it beats the shipped model")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    cks = sorted((load(p) for p in dict.fromkeys(args.checkpoints)), key=lambda c: c["step"])
    cks = list({c["step"]: c for c in cks}.values())  # one per step
    if args.last:
        cks = cks[-args.last:]
    steps = [c["step"] for c in cks]
    last = cks[-1]
    T.MODEL_KWARGS.update(last.get("model_kwargs") or {})
    cache = T.AudioCache()
    val_rows = T.read_manifest(T.CACHE / "val.tsv")
    device = torch.device("cpu")

    model = T.build_model()
    model.load_state_dict(last["model"])
    t0 = time.time()
    ev_last = T.evaluate(model, val_rows, cache, device)
    print(f"step {steps[-1]} alone:           {fmt(ev_last)}  ({time.time() - t0:.0f} s)", flush=True)
    model.load_state_dict(average_states([c["model"] for c in cks]))
    ev = T.evaluate(model, val_rows, cache, device)
    print(f"average of {len(steps)} (steps {steps[0]}-{steps[-1]}): {fmt(ev)}", flush=True)

    if args.export:
        shipped = json.loads((T.DEMO_DIR / "training_meta.json").read_text())["eval"]["heldout_all"]["cer"]
        if ev["heldout_all"]["cer"] >= shipped:
            print(f"not exported: held-out CER {100 * ev['heldout_all']['cer']:.2f} % does not beat the shipped "
                  f"model's {100 * shipped:.2f} %")
            return 0
        ev.pop("_examples", None)
        history = last["history"] + [dict(step=steps[-1], wall_seconds=last["wall"], averaged=len(steps),
                                          heldout_all=ev["heldout_all"]["cer"],
                                          newvoice=ev.get("newvoice", {}).get("cer", float("nan")))]
        meta = dict(
            step=steps[-1], epoch=last["epoch"], wall_seconds=last["wall"], audio_hours_seen=last["audio_seen"] / 3600,
            n_params=sum(p.numel() for p in model.parameters()), eval=ev, history=history,
            schedule=last["scheduler"], batch_seconds=last["args"]["batch_seconds"],
            pool=T.pool_summary(rows := T.read_manifest(T.CACHE / "train.tsv")), pool_sources=T.source_summary(rows),
            device_desc=f"CPU ({last['args']['threads']} threads)",
            freeze_first_conv_at=last["args"]["freeze_first_conv_at"], averaged_steps=steps,
            exported_at=time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        )
        ref_audio = cache.get_float(val_rows[0]["path"]) if val_rows else None
        dtype = T.export_demo(model, T.build_processor(), meta, ref_audio)
        print(f"exported the average ({dtype}) to {T.DEMO_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
