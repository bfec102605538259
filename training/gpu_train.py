"""Train the demo model on one CUDA GPU within a fixed time budget (the GPU machine a session is sometimes lent).

``train.py`` is the CPU recipe: it reads FLAC from ``training/cache`` and augments in numpy, which on 2 cores is
the right shape and on a GPU would leave the GPU idle. Here the whole packed pool (``training.pack``: Ogg/Opus
chunks + ``index.tsv``) is decoded once and kept on the GPU as int16, and every batch is cut, augmented and
normalised there, with the same augmentation as ``training.augment``:

* speed perturbation 0.9-1.1 (80 % of utterances; linear interpolation), 0-0.25 s of silence before and after;
* reverberation (15 %): exponentially decaying noise impulse responses, RT60 0.15-0.8 s, FFT convolution;
* noise (35 %): white, pink or babble (2-4 other utterances of the batch) at 10-35 dB SNR (babble 15-35 dB);
* gain -18..+6 dB with clipping; then zero-mean/unit-variance per utterance, as the feature extractor does.

The learning rate follows the clock, not the step count (the step rate is unknown until the run starts):
linear warm-up over ``--warmup`` of the budget, then a cosine down to ``--final-lr-frac`` of the peak at the
deadline. bf16 autocast, fused AdamW (betas 0.9/0.98, weight decay 0.01), gradient clipping 1.0.

Greedy CER per voice family on the packed validation sentences is measured ``--evals`` times; the best weights so
far are written to ``--out`` each time (a run from ``--init`` in which no evaluation beats the starting weights
writes its last ones, ``run.json`` saying so): fp16 safetensors shards of at most 15 MiB (so they come back from the
device machine) and ``run.json`` (configuration, arguments, evaluation history). Score them on the FLAC validation set here with
``python -m training.gpu_import``.

Usage (``--arch wide``: a 14 M-parameter configuration from scratch; ``--init DIR``: fine-tune a model)::

    python -m training.gpu_train --pack gpu_pack --minutes 7 --arch wide --out $OUT/wide
    python -m training.gpu_train --pack gpu_pack --minutes 7 --init ctcdecode_plus/models/demo --lr 3e-4 --out $OUT/ft
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from training.common import MODEL_KWARGS, SR, edit_distance, encode_text, greedy_decode, make_batches

# 7 x 384 transformer layers (6 heads, FFN 1536) over a conv front end twice as wide: 14.39 M parameters,
# 28 MB in fp16, under the 30 MB the shipped model may take.
ARCHS = {
    "small": dict(MODEL_KWARGS, num_hidden_layers=8),
    "wide": dict(MODEL_KWARGS, hidden_size=384, num_hidden_layers=7, num_attention_heads=6,
                 intermediate_size=1536, conv_dim=(256, 256, 384, 384)),
}
SHARD_BYTES = 15 * 2**20  # the device machine returns files of at most 16 MiB


def _decode(path: str) -> np.ndarray:
    import soundfile as sf

    a, sr = sf.read(path, dtype="int16")
    if sr != SR:
        raise SystemExit(f"{path}: {sr} Hz, expected {SR}")
    return a if a.ndim == 1 else a[:, 0]


class Split:
    """One split of a pack on ``device``: ``wave`` (int16, all chunks end to end), per utterance ``offset`` and
    ``length`` (samples), ``labels`` (N x longest, -100 padded), ``family`` and ``text``."""

    def __init__(self, rows: list[list[str]], chunks: dict[str, np.ndarray], device):
        names = sorted({r[1] for r in rows})
        base, pos = {}, 0
        for n in names:
            base[n] = pos
            pos += len(chunks[n])
        self.wave = torch.from_numpy(np.concatenate([chunks[n] for n in names])).to(device)
        self.offset = torch.tensor([base[r[1]] + int(r[2]) for r in rows], device=device)
        self.length = torch.tensor([int(r[3]) for r in rows], device=device)
        self.family = [r[4] for r in rows]
        self.text = [r[5] for r in rows]
        enc = [encode_text(t) for t in self.text]
        lab = np.full((len(enc), max(map(len, enc))), -100, dtype=np.int64)
        for i, e in enumerate(enc):
            lab[i, : len(e)] = e
        self.labels = torch.from_numpy(lab).to(device)
        self.rows = [dict(duration=int(r[3]) / SR) for r in rows]

    @property
    def hours(self) -> float:
        return float(self.length.sum()) / SR / 3600


def load_pack(packs: Path | list[Path], device, workers: int = 8) -> dict[str, Split]:
    """The ``train`` and ``val`` splits of packs written by ``training.pack``, decoded onto ``device``: the
    training rows of every pack, the validation rows of the first (packs drawn from one pool share it)."""
    packs = [packs] if isinstance(packs, Path) else list(packs)
    rows, paths = [], {}
    for i, pack in enumerate(packs):
        index = pack / "index.tsv"
        if not index.is_file():
            raise SystemExit(f"--pack {pack}: no index.tsv; write the pack with `python -m training.pack --out {pack}`")
        own = [r.split("\t") for r in index.read_text().splitlines()[1:] if r]
        missing = {"train", "val"} - {r[0] for r in own}
        if missing or any(len(r) != 6 for r in own):
            what = "no " + " or ".join(sorted(missing)) + " rows" if missing else "malformed rows"
            raise SystemExit(f"{index}: {what}; write the pack again with `python -m training.pack`")
        for r in own:
            if r[0] == "train" or i == 0:
                paths[f"{i}/{r[1]}"] = pack / r[1]
                rows.append([r[0], f"{i}/{r[1]}", *r[2:]])
    names = sorted(paths)
    with ProcessPoolExecutor(workers) as ex:
        chunks = dict(zip(names, ex.map(_decode, [str(paths[n]) for n in names])))
    return {s: Split([r for r in rows if r[0] == s], chunks, device) for s in sorted({r[0] for r in rows})}


def _uniform(lo, hi, n, g, device):
    return lo + (hi - lo) * torch.rand(n, generator=g, device=device)


def _rms2(x, mask, n):
    return (x.square() * mask).sum(1, keepdim=True) / n[:, None] + 1e-10


@torch.no_grad()
def make_batch(split: Split, idx: torch.Tensor, g: torch.Generator | None, augment: bool):
    """Cut (and augment) utterances ``idx``: returns normalised audio (B x T float32), attention mask (B x T
    int64) and labels (B x longest label, -100 padded)."""
    dev = split.wave.device
    B = len(idx)
    off, L = split.offset[idx], split.length[idx]
    if augment:
        f = torch.where(torch.rand(B, generator=g, device=dev) < 0.8, _uniform(0.9, 1.1, B, g, dev),
                        torch.ones(B, device=dev))
        pre = torch.randint(0, SR // 4, (B,), generator=g, device=dev)
        post = torch.randint(0, SR // 4, (B,), generator=g, device=dev)
    else:
        f = torch.ones(B, device=dev)
        pre = post = torch.zeros(B, dtype=torch.long, device=dev)
    n_out = ((L - 1).float() / f).floor().long() + 1 + pre + post
    T = int(n_out.max())
    p = torch.arange(T, device=dev)[None, :]
    src = (p - pre[:, None]).float() * f[:, None]
    last = (L - 1)[:, None]
    valid = (src >= 0) & (src <= last.float())
    i0 = src.floor().clamp(min=0)
    frac = src - i0
    i0 = torch.minimum(i0.long(), last)
    i1 = torch.minimum(i0 + 1, last)
    w = split.wave
    x = (w[off[:, None] + i0].float() * (1 - frac) + w[off[:, None] + i1].float() * frac) / 32768.0
    mask = (p < n_out[:, None]).float()
    x = x * valid
    n = n_out.float()
    if augment:
        x = _reverb(x, mask, g)
        x = _noise(x, mask, n, g)
        peak = x.abs().amax(1, keepdim=True) + 1e-9
        gain = 10 ** (_uniform(-18, 6, B, g, dev) / 20)
        x = (x / peak * 0.7 * gain[:, None]).clamp(-1, 1)
    mean = (x * mask).sum(1, keepdim=True) / n[:, None]
    var = ((x - mean).square() * mask).sum(1, keepdim=True) / n[:, None]
    x = (x - mean) / torch.sqrt(var + 1e-7) * mask
    labels = split.labels[idx]
    labels = labels[:, : int((labels >= 0).sum(1).max())]
    return x, mask.long(), labels


def _reverb(x, mask, g, p=0.15):
    dev = x.device
    sel = torch.nonzero(torch.rand(len(x), generator=g, device=dev) < p).flatten()
    if len(sel) == 0:
        return x
    xs = x[sel]
    k = len(sel)
    n_ir = int(0.6 * SR)
    t = torch.arange(n_ir, device=dev)[None, :] / SR
    rt60 = _uniform(0.15, 0.8, k, g, dev)[:, None]
    ir = torch.randn(k, n_ir, generator=g, device=dev) * torch.exp(-6.9 * t / rt60) * (t < rt60.clamp(max=0.6))
    ir = ir * (_uniform(0.05, 0.4, k, g, dev)[:, None] / (ir.norm(dim=1, keepdim=True) + 1e-9))
    ir[:, 0] = 1.0
    T = x.shape[1]
    nfft = 1 << (T + n_ir - 1).bit_length()
    y = torch.fft.irfft(torch.fft.rfft(xs, nfft) * torch.fft.rfft(ir, nfft), nfft)[:, :T] * mask[sel]
    y = y / (y.abs().amax(1, keepdim=True) + 1e-9) * xs.abs().amax(1, keepdim=True)
    x = x.clone()
    x[sel] = y
    return x


def _noise(x, mask, n, g):
    dev = x.device
    B, T = x.shape
    r = torch.rand(B, generator=g, device=dev)
    kind = torch.rand(B, generator=g, device=dev)
    white = torch.randn(B, T, generator=g, device=dev)
    F_ = T // 2 + 1
    freq = torch.arange(F_, device=dev).float().clamp(min=1)
    spec = torch.complex(torch.randn(B, F_, generator=g, device=dev), torch.randn(B, F_, generator=g, device=dev))
    pink = torch.fft.irfft(spec / freq.sqrt(), T)
    babble = torch.zeros_like(x)
    if B > 1:
        for j in range(1, int(torch.randint(2, 5, (1,), generator=g, device=dev)) + 1):
            o = torch.roll(x, shifts=(j % B, int(torch.randint(0, T, (1,), generator=g, device=dev))), dims=(0, 1))
            babble = babble + o / _rms2(o, torch.ones_like(o), torch.full_like(n, T)).sqrt()
    noise = torch.where((kind < 0.35)[:, None], white, torch.where((kind < 0.7)[:, None], pink, babble))
    snr = torch.where(kind < 0.7, _uniform(10, 35, B, g, dev), _uniform(15, 35, B, g, dev))
    scale = (_rms2(x, mask, n) / (_rms2(noise, mask, n) * 10 ** (snr[:, None] / 10))).sqrt()
    add = torch.where((r < 0.35)[:, None], noise * scale, torch.where((r < 0.5)[:, None], white * 1e-4, 0.0))
    return x + add * mask


@torch.no_grad()
def evaluate(model, split: Split, batch_seconds: float = 120.0) -> dict:
    """Greedy CER per family on ``split`` (clean): {family: cer (0-1)} plus ``heldout_all`` (all but newvoice)."""
    model.eval()
    order = sorted(range(len(split.rows)), key=lambda i: split.rows[i]["duration"])
    stats: dict[str, list[int]] = {}
    b = 0
    while b < len(order):
        e = b + 1
        while e < len(order) and split.rows[order[e]]["duration"] * (e - b + 1) <= batch_seconds:
            e += 1
        idx = torch.tensor(order[b:e], device=split.wave.device)
        x, mask, _ = make_batch(split, idx, None, augment=False)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=x.is_cuda):
            logits = model(x, attention_mask=mask).logits
        out_len = model._get_feat_extract_output_lengths(mask.sum(-1)).tolist()
        ids = logits.argmax(-1).cpu().numpy()
        for k, i in enumerate(order[b:e]):
            hyp, ref = greedy_decode(ids[k, : out_len[k]]), split.text[i]
            s = stats.setdefault(split.family[i], [0, 0])
            s[0] += edit_distance(hyp, ref)
            s[1] += len(ref)
        b = e
    model.train()
    res = {fam: s[0] / max(s[1], 1) for fam, s in sorted(stats.items())}
    held = [s for fam, s in stats.items() if fam != "newvoice"]
    res["heldout_all"] = sum(s[0] for s in held) / max(sum(s[1] for s in held), 1)
    return res


def save_shards(model, out: Path) -> None:
    """fp16 safetensors shards ``model-NN.safetensors`` of at most ``SHARD_BYTES`` each (the configuration goes
    into ``run.json``, with the history: the device machine returns at most 8 files)."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("model-*.safetensors"):
        old.unlink()
    shard, size, k = {}, 0, 0
    for name, t in model.state_dict().items():
        t = t.detach().to("cpu", torch.float16 if t.is_floating_point() else t.dtype).contiguous()
        if shard and size + t.numel() * t.element_size() > SHARD_BYTES:
            save_file(shard, str(out / f"model-{k:02d}.safetensors"))
            shard, size, k = {}, 0, k + 1
        shard[name] = t
        size += t.numel() * t.element_size()
    save_file(shard, str(out / f"model-{k:02d}.safetensors"))


def load_shards(d: Path):
    """A float32 ``Wav2Vec2ForCTC`` from ``d/run.json`` (its ``config``) and ``d/model-*.safetensors``."""
    from safetensors.torch import load_file
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    shards = sorted(d.glob("model-*.safetensors"))
    if not shards or not (d / "run.json").is_file():
        raise SystemExit(f"{d}: not a training.gpu_train output folder (model-NN.safetensors shards and run.json)")
    cfg = json.loads((d / "run.json").read_text())["config"]
    model = Wav2Vec2ForCTC(Wav2Vec2Config.from_dict(cfg))
    state = {}
    for s in shards:
        state.update({k: v.float() if v.is_floating_point() else v for k, v in load_file(str(s)).items()})
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f"{d}: weights do not match the config (missing {missing[:3]}, unexpected {unexpected[:3]})")
    return model.eval()


def scale_logits(model, temperature: float):
    """Divide ``model``'s CTC logits by ``temperature`` (in place, on ``lm_head``): its log-probabilities become
    ``log_softmax(logits / temperature)``; the argmax of every frame is unchanged. Returns ``model``."""
    if not temperature > 0:
        raise SystemExit(f"temperature {temperature!r}: must be a positive number")
    with torch.no_grad():
        model.lm_head.weight.div_(temperature)
        model.lm_head.bias.div_(temperature)
    return model


def load_init(d: Path):
    """The float32 model to continue from: an earlier run's shards (:func:`load_shards`) or a ``Wav2Vec2ForCTC``
    folder. A folder exported by ``training.gpu_import`` with a logit temperature baked into ``lm_head``
    (``training_meta.json``: ``temperature``) gets it undone, so training goes on from the model's own logits."""
    if (d / "run.json").exists():
        return load_shards(d)
    if not (d / "config.json").is_file():
        raise SystemExit(f"--init {d}: not a model folder (config.json) or a training.gpu_train output folder "
                         "(run.json); give the model to start from")
    from transformers import Wav2Vec2ForCTC

    model = Wav2Vec2ForCTC.from_pretrained(str(d)).float()
    meta = d / "training_meta.json"
    t = float(json.loads(meta.read_text()).get("temperature", 1.0)) if meta.is_file() else 1.0
    if t != 1.0:
        scale_logits(model, 1.0 / t)
        print(f"{d}: its logit temperature {t:g} undone for training", flush=True)
    return model


def lr_factor(frac: float, warmup: float, final: float) -> float:
    if frac < warmup:
        return max(frac / warmup, 0.01)
    t = min((frac - warmup) / max(1 - warmup, 1e-9), 1.0)
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * t))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", type=Path, nargs="+", required=True,
                    help="pack folder(s) from training.pack: the training rows of all, the validation rows of the "
                         "first")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, required=True, help="training time budget (wall clock)")
    ap.add_argument("--arch", choices=sorted(ARCHS), default="wide", help="configuration when training from scratch")
    ap.add_argument("--init", type=Path,
                    help="start from this Wav2Vec2ForCTC folder, or from an earlier run's --out folder, instead")
    ap.add_argument("--lr", type=float, default=1.5e-3, help="peak learning rate")
    ap.add_argument("--warmup", type=float, default=0.08, help="share of the budget spent warming up")
    ap.add_argument("--final-lr-frac", type=float, default=0.02)
    ap.add_argument("--batch-seconds", type=float, default=320.0, help="padded audio per batch (s)")
    ap.add_argument("--evals", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    args = ap.parse_args(argv)
    if args.evals < 1 or args.minutes <= 0:
        ap.error("--evals must be >= 1 and --minutes > 0 (the best weights are saved at the evaluations)")

    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    t_load = time.time()
    splits = load_pack(args.pack, dev, workers=min(16, os.cpu_count() or 1))
    train, val = splits["train"], splits["val"]
    print(f"pack: {len(train.rows)} training utterances ({train.hours:.2f} h), {len(val.rows)} validation; "
          f"loaded in {time.time() - t_load:.1f} s on {dev}", flush=True)
    if args.init:
        model = load_init(args.init)
    else:
        model = Wav2Vec2ForCTC(Wav2Vec2Config(**ARCHS[args.arch]))
    model.to(dev).train()
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01,
                            fused=dev.type == "cuda")
    g = torch.Generator(device=dev)
    g.manual_seed(args.seed)
    rng = random.Random(args.seed)
    shown = {k: " ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in vars(args).items()}
    history = dict(args=shown, n_params=n_params, device=str(
        torch.cuda.get_device_name() if dev.type == "cuda" else "cpu"), train_hours=train.hours, evals=[],
        config=model.config.to_dict())
    best = None
    if args.init:
        ev = evaluate(model, val)
        history["evals"].append(dict(step=0, seconds=0.0, **ev))
        best = ev["heldout_all"]
        print(f"EVAL step 0 {json.dumps(ev)}", flush=True)
    budget = args.minutes * 60
    next_eval = [budget * (k + 1) / args.evals for k in range(args.evals)]
    t0 = time.time()
    step, audio_s, epoch, done = 0, 0.0, 0, False
    while not done:
        for b in make_batches(train.rows, args.batch_seconds, rng):
            elapsed = time.time() - t0
            frac = elapsed / budget
            for grp in opt.param_groups:
                grp["lr"] = args.lr * lr_factor(frac, args.warmup, args.final_lr_frac)
            x, mask, labels = make_batch(train, torch.tensor(b, device=dev), g, augment=True)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda"):
                loss = model(x, attention_mask=mask, labels=labels).loss
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            audio_s += float(train.length[b].sum()) / SR
            if step % 100 == 0 or step in (1, 10):
                print(f"step {step} epoch {epoch} {elapsed:.0f}s loss {loss.item():.3f} gnorm {gn.item():.2f} "
                      f"lr {opt.param_groups[0]['lr']:.2e} audio {audio_s / 3600:.1f} h "
                      f"({audio_s / max(elapsed, 1e-9):.0f}x real time)", flush=True)
            stop = elapsed >= budget or (args.max_steps and step >= args.max_steps)
            if next_eval and (elapsed >= next_eval[0] or stop):
                while next_eval and elapsed >= next_eval[0]:
                    next_eval.pop(0)
                ev = evaluate(model, val)
                history["evals"].append(dict(step=step, seconds=round(elapsed, 1), audio_hours=audio_s / 3600, **ev))
                print(f"EVAL step {step} {json.dumps(ev)}", flush=True)
                last = stop or not next_eval
                if best is None or ev["heldout_all"] < best:
                    best = ev["heldout_all"]
                    save_shards(model, args.out)
                    history["saved_step"] = step
                    print(f"saved step {step} to {args.out}", flush=True)
                elif last and "saved_step" not in history:
                    # no evaluation beat the starting weights (--init): bring back the last ones all the same, so
                    # the gates here can judge them (held-out CER is not all: session 24's run came back empty)
                    save_shards(model, args.out)
                    history.update(saved_step=step, saved_because="last: no evaluation beat the starting weights")
                    print(f"saved the last step {step} to {args.out} (none beat the starting weights)", flush=True)
                (args.out).mkdir(parents=True, exist_ok=True)
                (args.out / "run.json").write_text(json.dumps(history, indent=1, default=str))
            if stop:
                done = True
                break
        epoch += 1
    print(f"done: {step} steps, {audio_s / 3600:.1f} h of audio in {time.time() - t0:.0f} s; best held-out CER "
          f"{best:.4f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
