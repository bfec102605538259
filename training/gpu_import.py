"""Score weights that ``training.gpu_train`` wrote (fp16 shards + ``run.json``) on this machine's FLAC
validation set, exactly as ``train.py`` scores its own (greedy CER per family on the 150 held-out sentences),
and, with ``--lm-gate``, beam search + the domain LM on ``demo/dev`` (``train.lm_dev_wer``).

``--export`` ships them as the demo model (``ctcdecode_plus/models/demo``, with a model card of the GPU recipe) if,
and only if, they beat the shipped model on all three: a lower held-out CER than the shipped model's recorded one, an
LM WER on demo/dev no more than ``train.GATE_TOLERANCE`` worse than the shipped model's (measured now), and a demo/dev
hotword recall no lower, with at most 1 point more false insertions, decoded as ``scripts/demo.sh`` decodes
(``train.dev_hotword_recall``, measured now for both; since session 16, whose seventh stage passed the first two
with recall 96 -> 88 %). "demo/dev" here is ``train.dev_manifest()``: since session 20 demo/dev with each sentence
also read by the three other voice families (640 utterances) once ``demo/make_demo.py --set dev-reread`` has written
it (about 1 min; a model's dev emissions then take about 2 min on 2 cores, once for all temperatures), and since
session 26 with 152 hotword-free sound-alikes of the development hotwords too (``--set dev-soundalike``: 792), at the
demo's settings (``train.GATE_ALPHA``, ``train.HOTWORD_GATE``).

``--temperatures 1 1.5 2 2.5 3`` (with ``--lm-gate``/``--export``): a model trained for many epochs on a few hours
of audio comes out over-confident, and beam search with an LM cannot then reach the right words: pyctcdecode
prunes tokens below fixed log-probabilities (``token_min_logp``, ``beam_prune_logp``), and ``alpha``/``beta`` are
tuned for a calibrated model. The CTC head's logits are divided by each temperature in turn; the one with the
lowest demo/dev LM WER is baked into the weights (``lm_head`` scaled by ``1 / T``: greedy output is unchanged).

``--init-run DIR [DIR ...]``: the runs this one continued from (its ``--init`` chain, oldest first), so the model
card tells every stage; an exported model folder (``training_meta.json``) stands for the stages it records.

Usage::

    python -m training.gpu_import runs/gpu/r0 [--lm-gate] [--json runs/gpu_r0.json] [--export]
    python -m training.gpu_import runs/gpu/d --init-run runs/gpu/a runs/gpu/c --temperatures 1 1.5 2 2.5 3 --export
"""
from __future__ import annotations

import argparse
import json
import textwrap
import time
from pathlib import Path

import torch

from training.gpu_train import load_shards, scale_logits


def choose_temperature(model, processor, temperatures) -> tuple[float, dict]:
    """The temperature (from ``temperatures``) at which ``model``'s logits give the lowest demo/dev LM WER
    (``train.lm_dev_wers``: the emissions once, rescaled for each), first wins a tie; and every WER,
    ``{temperature: WER}``. ``model`` itself is left as it is."""
    from training import train as T

    scores = T.lm_dev_wers(model, processor, "cpu", temperatures)
    for t, wer in scores.items():
        print(f"temperature {t:g}: demo/dev LM WER {100 * wer:.2f} %", flush=True)
    best = min(scores, key=scores.get)  # the first of equal ones
    return best, scores


def _audio_hours(run: dict) -> float:
    """Hours of audio one stage trained on: its last evaluation's count, or the ``audio_hours`` that an exported
    model's ``training_meta.json`` keeps for a stage whose evaluations it does not keep."""
    if "audio_hours" in run:
        return float(run["audio_hours"])
    return max((e.get("audio_hours", 0.0) for e in run.get("evals", [])), default=0.0)


def exported_stages(meta: dict) -> list[dict]:
    """The training stages an exported model's ``training_meta.json`` records, oldest first, each with its
    ``audio_hours`` (:func:`_audio_hours`); exports from before session 25 kept no hours for the earlier stages, so
    the first of them is given the rest of the recorded total."""
    if "run" not in meta:
        return []
    stages = [dict(r) for r in meta.get("earlier_runs", [])] + [dict(meta["run"])]
    if stages[:-1] and not any("audio_hours" in r for r in stages[:-1]):
        stages[0]["audio_hours"] = max(0.0, meta.get("audio_hours_seen", 0.0) - _audio_hours(stages[-1]))
        for r in stages[1:-1]:
            r["audio_hours"] = 0.0
    return stages


def _stage(run: dict) -> str:
    a = run["args"]
    return (f"{a['minutes']} minutes on {run['device']} (peak lr {a['lr']}, batches of <= {a['batch_seconds']} s, "
            f"{run['train_hours']:.2f} h of the pool)")


def gpu_model_card(meta: dict) -> str:
    """MODEL_CARD.md for weights trained by ``training.gpu_train`` (``meta``: what ``main`` records)."""
    from training.train import _fmt_table

    c, run = meta["config"], meta["run"]
    hist = "\n".join(f"| {e['step']} | {e['seconds']:.0f} | {e.get('audio_hours', 0):.0f} | "
                     f"{100 * e['heldout_all']:.1f} % | {100 * e['newvoice']:.1f} % |" for e in run["evals"])
    stages = [_stage(r) for r in meta.get("earlier_runs", [])] + [_stage(run)]
    if len(stages) == 1:
        trained = f"`training/gpu_train.py` for {stages[0]}"
    else:
        trained = "`training/gpu_train.py` in stages, each continuing the last (`--init`): " + "; then ".join(stages)
    nonce_stages = [k + 1 for k, r in enumerate([*meta.get("earlier_runs", []), run])
                    if "nonce" in str(r["args"].get("pack", ""))]
    nonce = (f"from stage {nonce_stages[0]}, also training sentences with made-up words in them "
             "(`training/nonce.py`, `python -m training.synth --nonce`, packed with `--manifest train_nonce.tsv`); "
             if nonce_stages else "")
    bullets = [
        f"Architecture: {meta['n_params'] / 1e6:.2f} M parameters; 4 conv layers (channels {list(c['conv_dim'])}, "
        f"kernels {list(c['conv_kernel'])}, strides {list(c['conv_stride'])} = 20 ms frames at 16 kHz), hidden size "
        f"{c['hidden_size']}, {c['num_hidden_layers']} pre-LN transformer layers ({c['num_attention_heads']} heads, "
        f"FFN {c['intermediate_size']}). Vocabulary of `facebook/wav2vec2-base-960h` (`<pad>` = blank). Feature "
        f"extractor: 16 kHz, `do_normalize=True`, `return_attention_mask=True`. Weights stored as "
        f"{meta.get('weights_dtype', 'float16')} safetensors; `from_pretrained` loads float32.",
        "Recipe (`training/README.md`, \"GPU sessions\"): `training/text.py` and `training/synth.py` as for the CPU "
        "model (fortunes and WordNet examples; 150 held-out validation sentences never synthesised for training); "
        f"{nonce}`python -m training.pack` (the pool as Opus at ~12 kbps); {trained}. Augmentation on the GPU as "
        "`training/augment.py`; AdamW, clock-based warm-up and cosine; bf16.",
    ]
    wise = meta.get("wise")
    if wise:
        bullets.append(
            f"The last stage's weights interpolated with those it started from (WiSE-FT, `training/wise.py`): "
            f"{1 - wise['alpha']:g} x the model before it + {wise['alpha']:g} x the stage's own.")
    temp = meta.get("temperature", 1.0)
    if temp != 1.0:
        bullets.append(
            f"Calibrated for LM decoding: the CTC logits are divided by {temp:g} (baked into `lm_head`; greedy output "
            "unchanged), the temperature with the lowest demo/dev beam + domain LM WER of "
            + ", ".join(f"{t:g}" for t in meta["temperatures"]) + " (`training.gpu_import --temperatures`).")
    bullets.append(
        f"Exported at {meta['exported_at']} from step {meta['step']} by `python -m training.gpu_import --export`; "
        f"demo/dev beam + domain LM WER {100 * meta['lm_dev_wer']:.1f} % (the shipped model before it: "
        f"{100 * meta['lm_dev_wer_before']:.1f} %).")
    where = "the GPU" if run.get("device", "cuda") != "cpu" else "the CPU"
    before_wise = " and before the interpolation" if wise else ""
    items = "\n".join(textwrap.fill(b, width=116, initial_indent="* ", subsequent_indent="  ",
                                    break_on_hyphens=False) for b in bullets)
    return f"""# ctcdecode-plus demo model (`--model demo`)

A small **Wav2Vec2ForCTC** trained from scratch on a GPU on *synthetic* English speech (espeak-ng, flite and
festival voices), so that the project can be demonstrated and tested offline. It has only ever heard robotic TTS
voices; it is **not** a usable general-purpose recogniser.

{items}

Greedy decoding of the 150 held-out validation sentences (FLAC, scored on CPU by `training.gpu_import`):

{_fmt_table(meta['eval'])}

During the last stage (the packed, Opus-coded validation set, on {where}, before calibration{before_wise}):

| step | seconds | audio seen (h) | held-out CER | new-voice CER |
|---|---|---|---|---|
{hist}

## Limitations

Trained only on synthetic voices; expect much worse results on real human speech
(`python -m training.real_speech_check`). Not for any production use.

Trained on single utterances of 0.7-6.8 s (median 2.5 s in a training pack): long windows read worse (greedy CER
23.3 % over 48 s files of 8 development utterances in one window, 19.6 % in 20 s chunks, 11.3 % in 2.5 s chunks,
10.5 % per utterance; session 17), so `ctcdecode_plus.json` beside the weights sets its chunk length to 2.5 s
(`AcousticModel.chunk_seconds`), and to 1 s the context on each side of a chunk (`AcousticModel.context_seconds`;
the library's default 2 s made 6.5 s windows: 11.3 % there, 10.5 % with 1 s; session 22).
"""


def main(argv=None) -> None:
    from training import train as T

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--lm-gate", action="store_true", help="also beam + domain LM WER on demo/dev")
    ap.add_argument("--export", action="store_true", help="ship them as the demo model if they beat it (implies "
                                                          "--lm-gate)")
    ap.add_argument("--temperatures", type=float, nargs="+", default=[1.0],
                    help="logit temperatures to try with the LM gate; the best is baked in (default 1: none)")
    ap.add_argument("--init-run", type=Path, nargs="+", default=[],
                    help="the runs this one continued from, oldest first (for the model card)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if args.temperatures != [1.0] and not (args.lm_gate or args.export):
        raise SystemExit("--temperatures are chosen by the demo/dev LM WER: add --lm-gate (or --export)")
    torch.set_num_threads(args.threads)
    model = load_shards(args.dir)
    earlier = []
    for d in args.init_run:
        if (d / "run.json").is_file():
            earlier.append(json.loads((d / "run.json").read_text()))
        elif (d / "training_meta.json").is_file():  # an exported model folder: the stages its card records
            meta = json.loads((d / "training_meta.json").read_text())
            earlier += exported_stages(meta)
        else:
            raise SystemExit(f"--init-run {d}: no run.json or training_meta.json there (give the training.gpu_train "
                             f"output folders that this run's --init chain went through, oldest first, or the "
                             f"exported model folder it started from)")
    rows = T.read_manifest(T.CACHE / "val.tsv")
    if not rows:
        raise SystemExit(f"{T.CACHE / 'val.tsv'}: no validation set; run `python -m training.synth --val` first")
    cache = T.AudioCache()
    ev = T.evaluate(model, rows, cache, "cpu")
    ev.pop("_examples", None)
    out = {"n_params": sum(p.numel() for p in model.parameters()), "eval": ev}
    processor = T.build_processor()
    if args.lm_gate or args.export:
        print(f"gates on {T.dev_manifest()}" + ("" if T.dev_manifest() == T.DEV_ALL_MANIFEST else
                                                 " (write the 792-utterance set first: python demo/make_demo.py "
                                                 "--set dev-reread, then --set dev-soundalike)"), flush=True)
        temp, wers = choose_temperature(model, processor, args.temperatures)
        scale_logits(model, temp)
        out.update(lm_dev_wer=wers[temp], temperature=temp, lm_dev_wer_by_temperature=wers)
    if args.export:
        out["exported"] = export_if_better(model, processor, args.dir, out, cache.get_float(rows[0]["path"]),
                                           earlier_runs=earlier)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


def export_if_better(model, processor, run_dir: Path, scored: dict, ref_audio, earlier_runs=()) -> bool:
    """Export ``model`` as the demo model if it beats the shipped one on held-out CER, the LM gate and the hotword
    gate (no lower demo/dev hotword recall, at most 1 point more false insertions: ``train.dev_hotword_recall``)
    (``scored``: ``main``'s measurements, with the temperature already baked into ``model``; ``earlier_runs``: the
    ``run.json`` of the runs it continued, oldest first)."""
    from transformers import Wav2Vec2ForCTC

    from training import train as T

    shipped = json.loads((T.DEMO_DIR / "training_meta.json").read_text())
    cer, shipped_cer = scored["eval"]["heldout_all"]["cer"], shipped["eval"]["heldout_all"]["cer"]
    if cer >= shipped_cer:
        print(f"not exported: held-out CER {100 * cer:.2f} % is not below the shipped model's {100 * shipped_cer:.2f} %")
        return False
    shipped_model = Wav2Vec2ForCTC.from_pretrained(str(T.DEMO_DIR))
    before = T.lm_dev_wer(shipped_model, processor, "cpu")
    if scored["lm_dev_wer"] > before + T.GATE_TOLERANCE:
        print(f"not exported: demo/dev LM WER {100 * scored['lm_dev_wer']:.1f} % against the shipped model's "
              f"{100 * before:.1f} % (tolerance {100 * T.GATE_TOLERANCE:g} points)")
        return False
    recall, insertions = T.dev_hotword_recall(model, processor, "cpu")
    recall_before, insertions_before = T.dev_hotword_recall(shipped_model, processor, "cpu")
    scored.update(dev_hotword_recall=recall, dev_hotword_recall_before=recall_before,
                  dev_false_insertions=insertions, dev_false_insertions_before=insertions_before)
    if recall < recall_before or insertions > insertions_before + 0.01:
        print(f"not exported: demo/dev hotword recall {100 * recall:.1f} % (false insertions {100 * insertions:.1f} %) "
              f"against the shipped model's {100 * recall_before:.1f} % ({100 * insertions_before:.1f} %)")
        return False
    run = json.loads((run_dir / "run.json").read_text())
    stages = [*earlier_runs, run]
    meta = dict(step=run.get("saved_step"), n_params=scored["n_params"], eval=scored["eval"],
                lm_dev_wer=scored["lm_dev_wer"], lm_dev_wer_before=before, config=run["config"],
                wall_seconds=sum(float(r["args"]["minutes"]) * 60 for r in stages),
                audio_hours_seen=sum(map(_audio_hours, stages)),
                run={k: run[k] for k in ("args", "device", "train_hours", "evals")}, recipe="training.gpu_train",
                earlier_runs=[dict({k: r[k] for k in ("args", "device", "train_hours")}, audio_hours=_audio_hours(r))
                              for r in earlier_runs],
                wise=run.get("wise"), temperature=scored.get("temperature", 1.0),
                temperatures=sorted(scored.get("lm_dev_wer_by_temperature", {1.0: None})),
                exported_at=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
    dtype = T.export_demo(model, processor, meta, ref_audio, card=gpu_model_card(meta))
    print(f"exported to {T.DEMO_DIR} ({dtype})")
    return True


if __name__ == "__main__":
    main()
