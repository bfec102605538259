"""training.pack -> training.gpu_train: the packed pool round-trips, and the GPU-side batches (run here on CPU)
are cut at the right places, augmented within bounds and normalised as the feature extractor does."""
from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import soundfile as sf

torch = pytest.importorskip("torch")

from training import gpu_train, pack  # noqa: E402
from training.common import SR, encode_text  # noqa: E402


def _tone_pool(root, n=6):
    """A fake synthesised pool: ``n`` distinct chirps (0.6-1.6 s) with a manifest, as training.synth writes."""
    (root / "audio").mkdir(parents=True)
    lines = ["path\tfamily\tvoice\tduration\ttext"]
    rng = np.random.default_rng(0)
    for i in range(n):
        dur = 0.6 + 0.2 * i
        t = np.arange(int(dur * SR)) / SR
        x = 0.3 * np.sin(2 * np.pi * (200 + 150 * i) * t * (1 + t)) + 0.01 * rng.standard_normal(len(t))
        sf.write(root / "audio" / f"u{i}.flac", x.astype(np.float32), SR)
        lines.append(f"audio/u{i}.flac\t{['espeak', 'flite', 'festival'][i % 3]}\tv\t{dur:.3f}\tWORD NUMBER {i}")
    return lines


@pytest.fixture()
def packed(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    lines = _tone_pool(cache)
    (cache / "train.tsv").write_text("\n".join(lines) + "\n")
    (cache / "val.tsv").write_text("\n".join(lines[:3]) + "\n")
    monkeypatch.setattr(pack, "CACHE", cache)
    pack.main(["--out", str(tmp_path / "pack"), "--hours", "1", "--level", "0.5", "--chunk-minutes", "0.05",
               "-j", "1"])
    return cache, gpu_train.load_pack(tmp_path / "pack", "cpu", workers=1)


def test_pack_round_trip_keeps_every_offset(packed):
    cache, splits = packed
    train = splits["train"]
    assert len(train.rows) == 6 and len(splits["val"].rows) == 2
    for i, text in enumerate(train.text):
        k = int(text.split()[-1])
        orig = sf.read(cache / "audio" / f"u{k}.flac", dtype="float32")[0]
        got = train.wave[train.offset[i]: train.offset[i] + train.length[i]].float().numpy() / 32768
        assert len(got) == len(orig)
        assert np.corrcoef(orig, got)[0, 1] > 0.95  # Opus is lossy, but this is the same chirp, in place
        assert train.labels[i][train.labels[i] >= 0].tolist() == encode_text(text)


def test_two_packs_train_on_both_and_validate_on_the_first(packed, tmp_path):
    _, one = packed
    second = tmp_path / "pack2"
    shutil.copytree(tmp_path / "pack", second)
    both = gpu_train.load_pack([tmp_path / "pack", second], "cpu", workers=1)
    assert len(both["train"].rows) == 2 * len(one["train"].rows)
    assert both["val"].text == one["val"].text  # the second pack's validation rows are not repeated
    a, b = both["train"], one["train"]
    for i in range(len(b.rows)):
        for j in (i, i + len(b.rows)):  # the same utterance, from each pack's own chunks
            got = a.wave[a.offset[j]: a.offset[j] + a.length[j]]
            assert torch.equal(got, b.wave[b.offset[i]: b.offset[i] + b.length[i]])


def test_exclude_packs_only_what_earlier_packs_lack(packed, tmp_path):
    cache, _ = packed
    lines = (cache / "train.tsv").read_text().splitlines()
    lines += [f"audio/u{i}.flac\tfestival\tv\t{0.6 + 0.2 * i:.3f}\tWORD NUMBER {i}" for i in (0, 1)]  # same text, other
    (cache / "train.tsv").write_text("\n".join(lines) + "\n")                        # family: not the same speech
    pack.main(["--out", str(tmp_path / "more"), "--hours", "1", "--level", "0.5", "--chunk-minutes", "0.05",
               "-j", "1", "--exclude", str(tmp_path / "pack")])
    rows = (tmp_path / "more" / "index.tsv").read_text().splitlines()[1:]
    train = sorted((r.split("\t")[4], r.split("\t")[5]) for r in rows if r.startswith("train"))
    assert train == [("festival", "WORD NUMBER 0"), ("festival", "WORD NUMBER 1")]
    with pytest.raises(SystemExit, match="no index.tsv"):
        pack.main(["--out", str(tmp_path / "x"), "--exclude", str(tmp_path / "nowhere")])


def test_clean_batch_is_the_feature_extractors_normalisation(packed):
    _, splits = packed
    train = splits["train"]
    x, mask, labels = gpu_train.make_batch(train, torch.tensor([0, 3]), None, augment=False)
    for row, i in enumerate([0, 3]):
        n = int(train.length[i])
        a = train.wave[train.offset[i]: train.offset[i] + n].double().numpy() / 32768
        ref = (a - a.mean()) / np.sqrt(a.var() + 1e-7)
        assert int(mask[row].sum()) == n
        np.testing.assert_allclose(x[row, :n].numpy(), ref, atol=1e-4)
        assert float(x[row, n:].abs().sum()) == 0.0
    assert labels.shape[1] == max(len(encode_text(train.text[i])) for i in [0, 3])


def test_augmented_batch_stays_within_bounds(packed):
    _, splits = packed
    train = splits["train"]
    g = torch.Generator()
    g.manual_seed(3)
    idx = torch.arange(6)
    for _ in range(5):
        x, mask, _ = gpu_train.make_batch(train, idx, g, augment=True)
        assert torch.isfinite(x).all()
        n = mask.sum(1)
        # speed 0.9-1.1 and up to 0.25 s of silence on each side
        assert (n >= (train.length.float() / 1.1).floor()).all()
        assert (n <= (train.length.float() / 0.9).ceil() + SR // 2).all()
        for row in range(6):
            v = x[row, : n[row]].double()
            assert abs(float(v.mean())) < 1e-3 and abs(float(v.std()) - 1) < 1e-2
            assert float(x[row, n[row]:].abs().sum()) == 0.0


def test_learning_rate_follows_the_clock():
    f = gpu_train.lr_factor
    assert f(0.0, 0.1, 0.02) == 0.01
    assert math.isclose(f(0.05, 0.1, 0.02), 0.5)
    assert math.isclose(f(0.1, 0.1, 0.02), 1.0)
    assert math.isclose(f(1.0, 0.1, 0.02), 0.02)
    assert f(0.3, 0.1, 0.02) > f(0.6, 0.1, 0.02) > f(0.9, 0.1, 0.02)


def _tiny_model():
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    cfg = dict(gpu_train.ARCHS["small"], hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
               intermediate_size=64, conv_dim=(8, 8, 16, 16), num_conv_pos_embedding_groups=4)
    return Wav2Vec2ForCTC(Wav2Vec2Config(**cfg)).eval()


def test_shards_reload_as_the_same_model(tmp_path, monkeypatch):
    import json

    model = _tiny_model()
    monkeypatch.setattr(gpu_train, "SHARD_BYTES", 20_000)  # several shards
    gpu_train.save_shards(model, tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"config": model.config.to_dict()}))
    assert len(list(tmp_path.glob("model-*.safetensors"))) > 1
    back = gpu_train.load_shards(tmp_path)
    x = torch.randn(1, SR)
    with torch.no_grad():
        a, b = model(x).logits, back(x).logits
    assert torch.allclose(a, b, atol=0.05)  # fp16 storage


def test_bad_pack_and_bad_hours_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="no index.tsv"):
        gpu_train.load_pack(tmp_path, "cpu")
    with pytest.raises(SystemExit, match="not a training.gpu_train output folder"):
        gpu_train.load_shards(tmp_path)
    (tmp_path / "index.tsv").write_text("split\tchunk\tstart\tn_samples\tfamily\ttext\n")
    with pytest.raises(SystemExit, match="no train or val rows"):
        gpu_train.load_pack(tmp_path, "cpu")
    cache = tmp_path / "cache"
    lines = _tone_pool(cache, 2)
    (cache / "train.tsv").write_text("\n".join(lines) + "\n")
    (cache / "val.tsv").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(pack, "CACHE", cache)
    with pytest.raises(SystemExit, match="positive number of hours"):
        pack.main(["--out", str(tmp_path / "p"), "--hours", "0"])


def _tiny_run(d, n_evals=1):
    """A tiny Wav2Vec2ForCTC saved as gpu_train saves a run."""
    import json

    model = _tiny_model()
    gpu_train.save_shards(model, d)
    evals = [dict(step=10 * (k + 1), seconds=60.0 * (k + 1), audio_hours=1.0 * (k + 1), heldout_all=0.5,
                  newvoice=0.6) for k in range(n_evals)]
    (d / "run.json").write_text(json.dumps(dict(config=model.config.to_dict(), saved_step=10, device="test GPU",
                                                train_hours=0.1, evals=evals,
                                                args=dict(lr="0.001", batch_seconds="320", minutes="7.5"))))
    return model


def test_export_only_what_beats_the_shipped_model(tmp_path, monkeypatch):
    import json

    from transformers import Wav2Vec2ForCTC

    from training import gpu_import
    from training import train as T

    run = tmp_path / "run"
    model = _tiny_run(run)
    demo = tmp_path / "models" / "demo"
    demo.mkdir(parents=True)
    model.save_pretrained(demo)  # "the shipped model"
    (demo / "training_meta.json").write_text(json.dumps({"eval": {"heldout_all": {"cer": 0.30}}}))
    monkeypatch.setattr(T, "DEMO_DIR", demo)
    wers = {"shipped": 0.160}
    monkeypatch.setattr(T, "lm_dev_wer", lambda m, p, d: wers["shipped"])
    ev = {k: dict(cer=0.25, wer=0.5, n=150) for k in ("espeak", "flite", "festival", "heldout_all", "newvoice")}
    scored = dict(n_params=1, eval=ev, lm_dev_wer=0.170)
    back = gpu_train.load_shards(run)
    ref = np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1
    # better CER but the LM gate says no: nothing written
    assert not gpu_import.export_if_better(back, T.build_processor(), run, scored, ref)
    assert not (demo / "MODEL_CARD.md").exists()
    # worse CER: no
    ev_worse = dict(ev, heldout_all=dict(cer=0.31, wer=0.5, n=450))
    assert not gpu_import.export_if_better(back, T.build_processor(), run, dict(scored, eval=ev_worse), ref)
    # better CER and LM WER, but fewer dev hotwords found (session 16's seventh stage): no
    recalls = {"new": (0.88, 0.0), "shipped": (0.96, 0.007)}
    monkeypatch.setattr(T, "dev_hotword_recall", lambda m, p, d: recalls["new" if m is back else "shipped"])
    assert not gpu_import.export_if_better(back, T.build_processor(), run, dict(scored, lm_dev_wer=0.161), ref)
    assert not (demo / "MODEL_CARD.md").exists()
    recalls["new"] = (0.96, 0.02)  # as many found, but more than 1 point more false insertions: no
    assert not gpu_import.export_if_better(back, T.build_processor(), run, dict(scored, lm_dev_wer=0.161), ref)
    recalls["new"] = (0.96, 0.0)
    # better on both: exported, with the GPU recipe's card, and it loads as the demo model would
    assert gpu_import.export_if_better(back, T.build_processor(), run, dict(scored, lm_dev_wer=0.161), ref)
    card = (demo / "MODEL_CARD.md").read_text()
    assert "trained from scratch on a GPU" in card and "test GPU" in card and "25.0 %" in card
    assert "in stages" not in card and "Calibrated" not in card
    meta = json.loads((demo / "training_meta.json").read_text())
    assert meta["step"] == 10 and meta["wall_seconds"] == 450.0 and meta["audio_hours_seen"] == 1.0
    # a second stage (continued from an earlier run) with a temperature: both stages and the calibration are told
    first = json.loads((run / "run.json").read_text())
    first.update(device="first GPU", evals=[dict(first["evals"][0], audio_hours=150.0)])
    ev_better = dict(ev, heldout_all=dict(cer=0.20, wer=0.4, n=450))  # than the export just made
    calibrated = dict(scored, eval=ev_better, lm_dev_wer=0.150, temperature=2.5,
                      lm_dev_wer_by_temperature={1.0: 0.3, 2.5: 0.150})
    assert "WiSE" not in card
    record = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps(dict(record, wise=dict(init="x", alpha=0.4))))  # training.wise's
    assert gpu_import.export_if_better(back, T.build_processor(), run, calibrated, ref, earlier_runs=[first])
    card = (demo / "MODEL_CARD.md").read_text()
    assert "in stages" in card and "first GPU" in card and "divided by 2.5" in card
    assert "0.6 x the model before it + 0.4 x the stage's own" in " ".join(card.split())
    meta = json.loads((demo / "training_meta.json").read_text())
    assert meta["wall_seconds"] == 900.0 and meta["audio_hours_seen"] == 151.0 and meta["temperature"] == 2.5
    reloaded = Wav2Vec2ForCTC.from_pretrained(str(demo))
    x = torch.from_numpy(ref)[None]
    with torch.no_grad():
        assert torch.allclose(reloaded(x).logits, back(x).logits, atol=0.05)
    # a third stage continued from the exported folder (--init-run DIR): its stages and hours carry over
    meta = json.loads((demo / "training_meta.json").read_text())
    stages = gpu_import.exported_stages(meta)
    assert [r["device"] for r in stages] == ["first GPU", "test GPU"]
    best = dict(calibrated, eval=dict(ev, heldout_all=dict(cer=0.10, wer=0.3, n=450)))
    assert gpu_import.export_if_better(back, T.build_processor(), run, best, ref, earlier_runs=stages)
    third = json.loads((demo / "training_meta.json").read_text())
    assert third["audio_hours_seen"] == 152.0 and len(third["earlier_runs"]) == 2
    # an export written before stages kept their hours: the earliest stage takes the rest of the recorded total
    old = dict(meta, earlier_runs=[{k: r[k] for k in ("args", "device", "train_hours")} for r in meta["earlier_runs"]])
    assert [gpu_import._audio_hours(r) for r in gpu_import.exported_stages(old)] == [150.0, 1.0]


def test_pack_fits_its_size_cap(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    lines = _tone_pool(cache, 6)
    (cache / "train.tsv").write_text("\n".join(lines) + "\n")
    (cache / "val.tsv").write_text("\n".join(lines[:2]) + "\n")
    monkeypatch.setattr(pack, "CACHE", cache)
    out = tmp_path / "pack"
    out.mkdir()
    (out / "train_999.ogg").write_bytes(b"x" * 10_000)  # a stale chunk of an earlier pack
    args = ["--out", str(out), "--hours", "1", "--level", "0.5", "--chunk-minutes", "0.02", "-j", "1"]
    pack.main(args)
    full = sorted(p.name for p in out.glob("train_*.ogg"))
    assert "train_999.ogg" not in full and len(full) > 2
    whole = sum(p.stat().st_size for p in out.iterdir())
    pack.main(args + ["--max-mib", str((whole - 1) / 2**20)])  # one byte short: the index counts too
    assert sum(p.stat().st_size for p in out.iterdir()) <= whole - 1 and len(list(out.glob("train_*.ogg"))) < len(full)
    pack.main(args)
    cap = sum(p.stat().st_size for p in out.iterdir()) - (out / full[-1]).stat().st_size
    pack.main(args + ["--max-mib", str(cap / 2**20)])
    kept = sorted(p.name for p in out.glob("train_*.ogg"))
    assert kept == full[:len(kept)] and len(kept) < len(full)
    assert sum(p.stat().st_size for p in out.iterdir()) <= cap
    splits = gpu_train.load_pack(out, "cpu", workers=1)  # the index names only what is there
    assert len(splits["train"].rows) < 6 and len(splits["val"].rows) == 1


def test_temperature_scales_log_probs_and_keeps_the_argmax(monkeypatch):
    import copy

    from ctcdecode_plus import AcousticModel, Emissions
    from training import gpu_import
    from training import train as T

    model = _tiny_model()
    x = torch.randn(1, SR)
    # the gate measures every temperature on one set of emissions, rescaled: the scaled model's own, to float error
    processor = T.build_processor()
    em = AcousticModel(model, processor.feature_extractor, processor.tokenizer).emissions(x[0].numpy(),
                                                                                          input_rate=SR)
    scaled = AcousticModel(gpu_import.scale_logits(copy.deepcopy(model), 2.5), processor.feature_extractor,
                           processor.tokenizer).emissions(x[0].numpy(), input_rate=SR)
    rescaled = Emissions.from_logits(em.log_probs / 2.5, em.labels, em.seconds_per_frame)
    assert np.allclose(rescaled.log_probs, scaled.log_probs, atol=1e-4)
    assert not np.allclose(em.log_probs, scaled.log_probs, atol=1e-2)
    calls = []
    wers = {1.0: 0.3, 2.0: 0.2, 3.0: 0.2}
    monkeypatch.setattr(T, "lm_dev_wers", lambda m, p, d, ts: calls.append(list(ts)) or wers)
    assert gpu_import.choose_temperature(model, processor, [1, 2, 3]) == (2.0, wers)
    assert calls == [[1, 2, 3]]  # one measurement of all of them (first of equal ones wins)
    with torch.no_grad():
        before = model(x).logits
        gpu_import.scale_logits(model, 2.0)
        after = model(x).logits
    assert torch.allclose(after, before / 2, atol=1e-5)
    assert torch.equal(after.argmax(-1), before.argmax(-1))
    assert torch.allclose(torch.log_softmax(after, -1), torch.log_softmax(before / 2, -1), atol=1e-5)
    with pytest.raises(SystemExit, match="positive"):
        gpu_import.scale_logits(model, 0.0)
    with pytest.raises(SystemExit, match="add --lm-gate"):
        gpu_import.main(["nowhere", "--temperatures", "1", "2"])


def test_continuing_from_a_calibrated_export_undoes_its_temperature(tmp_path):
    import json

    from training import gpu_import

    model = _tiny_model()
    x = torch.randn(1, SR)
    with torch.no_grad():
        own = model(x).logits
    gpu_import.scale_logits(model, 2.5)  # as an export bakes it in
    model.save_pretrained(tmp_path)
    (tmp_path / "training_meta.json").write_text(json.dumps({"temperature": 2.5}))
    back = gpu_train.load_init(tmp_path)
    with torch.no_grad():
        assert torch.allclose(back(x).logits, own, atol=1e-4)
    (tmp_path / "training_meta.json").unlink()  # any other Wav2Vec2ForCTC folder: loaded as it is
    with torch.no_grad():
        assert torch.allclose(gpu_train.load_init(tmp_path)(x).logits, own / 2.5, atol=1e-4)


def test_a_run_that_never_beats_its_start_still_returns_its_last_weights(packed, tmp_path):
    # session 24: a fine-tune whose held-out CER ended 0.2 points above its start came back with no weights at all
    import json

    _cache, _splits = packed
    _tiny_model().save_pretrained(tmp_path / "init")
    out = tmp_path / "out"
    gpu_train.main(["--pack", str(tmp_path / "pack"), "--out", str(out), "--minutes", "60", "--init",
                    str(tmp_path / "init"), "--evals", "1", "--max-steps", "1", "--lr", "1e-9", "--batch-seconds",
                    "5", "--threads", "1"])
    run = json.loads((out / "run.json").read_text())
    assert [e["step"] for e in run["evals"]] == [0, 1]
    assert run["evals"][1]["heldout_all"] >= run["evals"][0]["heldout_all"]  # nothing beat the start ...
    assert run["saved_step"] == 1 and run["saved_because"].startswith("last")  # ... yet the weights came back
    assert sum(p.numel() for p in gpu_train.load_shards(out).parameters()) == sum(
        p.numel() for p in _tiny_model().parameters())


def test_wise_interpolation_lies_between_the_start_and_the_run(tmp_path):
    import json

    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

    from training import wise

    start, run = tmp_path / "start", tmp_path / "run"
    a, b = _tiny_run(start), _tiny_run(run)  # two different random initialisations
    (d,) = wise.interpolate(start, run, [0.25], tmp_path / "out")
    assert d.name == "a25"
    mixed = gpu_train.load_shards(d).state_dict()
    sa, sb = gpu_train.load_shards(start).state_dict(), gpu_train.load_shards(run).state_dict()
    k = "lm_head.weight"
    assert not torch.allclose(sa[k], sb[k])
    assert torch.allclose(mixed[k], 0.75 * sa[k] + 0.25 * sb[k], atol=2e-3)  # fp16 storage
    record = json.loads((d / "run.json").read_text())
    assert record["wise"] == {"init": str(start), "alpha": 0.25} and record["saved_step"] == 10
    ends = wise.interpolate(start, run, [0.0, 1.0], tmp_path / "ends")
    assert torch.allclose(gpu_train.load_shards(ends[1]).state_dict()[k], sb[k])
    with pytest.raises(SystemExit, match=r"shares in \[0, 1\]"):
        wise.interpolate(start, run, [1.5], tmp_path / "bad")
    with pytest.raises(SystemExit, match="not a model folder"):
        wise.interpolate(tmp_path / "nowhere", run, [0.5], tmp_path / "bad")
    other, cfg = tmp_path / "other", dict(a.config.to_dict(), hidden_size=16, intermediate_size=32)
    gpu_train.save_shards(Wav2Vec2ForCTC(Wav2Vec2Config.from_dict(cfg)), other)
    (other / "run.json").write_text(json.dumps(dict(record, config=cfg)))
    with pytest.raises(SystemExit, match="different architectures"):
        wise.interpolate(start, other, [0.5], tmp_path / "bad")


def test_the_gates_measure_on_the_largest_development_set_written(tmp_path, monkeypatch):
    """train.dev_manifest(): the 792 with sound-alikes where written (session 26), else the 640, else demo/dev."""
    from training import train as T

    sets = {name: tmp_path / f"{name}.tsv" for name in ("all", "reread", "dev")}
    monkeypatch.setattr(T, "DEV_ALL_MANIFEST", sets["all"])
    monkeypatch.setattr(T, "DEV_REREAD_MANIFEST", sets["reread"])
    monkeypatch.setattr(T, "DEV_MANIFEST", sets["dev"])
    sets["dev"].write_text("audio\ttext\n")
    assert T.dev_manifest() == sets["dev"]
    sets["reread"].write_text("audio\ttext\n")
    assert T.dev_manifest() == sets["reread"]
    sets["all"].write_text("audio\ttext\n")
    assert T.dev_manifest() == sets["all"]
