"""The acoustic side on tiny random Wav2Vec2ForCTC models saved with save_pretrained."""
from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import make_tiny_model, shared_dir, write_tone_wav
from ctcdecode_plus.acoustic import AcousticModel
from ctcdecode_plus.audio import load_audio
from ctcdecode_plus.decoders import BeamSearchDecoder, GreedyDecoder
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.errors import AudioError, ModelError


@pytest.fixture(scope="module")
def model(tiny_model_dir):
    return AcousticModel.from_pretrained(tiny_model_dir, device="cpu")


def test_file_to_every_decoder(model, tmp_path, pyctc_data):
    wav = write_tone_wav(tmp_path / "a.wav", 2.0, 44100, 2)
    em = model.emissions(wav)
    assert model.seconds_per_frame == pytest.approx(0.02)  # conv strides 5*4*4*4 = 320 samples at 16 kHz
    assert em.log_probs.shape == (model.num_frames(32000), 32) and em.log_probs.dtype == np.float32
    assert abs(em.duration - 2.0) < 0.05
    for dec in (GreedyDecoder(), BeamSearchDecoder(beam_width=8),
                BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=8),
                BeamSearchDecoder(beam_width=8, hotwords=["HELLO"])):
        t = dec.decode(em)
        assert isinstance(t.text, str) and t.text == t.text.upper()
        assert all(0 <= w.start < w.end <= em.duration + 1e-6 for w in t.words)


def test_lower_case_vocab_model(tmp_path):
    m = AcousticModel.from_pretrained(make_tiny_model(tmp_path / "lc", lower=True))
    assert m.labels.case == "lower"
    t = GreedyDecoder().decode(m.emissions(write_tone_wav(tmp_path / "a.wav", 1.0)))
    assert t.text == t.text.lower()


def test_save_and_reload(model, tmp_path):
    folder = model.save_pretrained(tmp_path / "copy")
    again = AcousticModel.from_pretrained(folder)
    x = write_tone_wav(tmp_path / "a.wav", 1.0)
    np.testing.assert_allclose(again.emissions(x).log_probs, model.emissions(x).log_probs, atol=1e-5)


def test_batch_with_padding_matches_single(model, tmp_path):
    files = [write_tone_wav(tmp_path / f"{i}.wav", s, freq=f) for i, (s, f) in enumerate([(1.0, 300), (2.5, 500)])]
    batch = model.emissions_batch(files)
    for f, em in zip(files, batch):
        single = model.emissions(f)
        assert em.log_probs.shape == single.log_probs.shape
        np.testing.assert_allclose(em.log_probs, single.log_probs, atol=2e-3)


def test_batch_goes_past_bad_items(model, tmp_path):
    good = write_tone_wav(tmp_path / "good.wav", 1.0)
    (tmp_path / "bad.wav").write_bytes(b"RIFF1234WAVEjunk")
    out = model.emissions_batch([good, tmp_path / "bad.wav", tmp_path / "missing.wav", good])
    assert out[0].num_frames > 0 and out[3].num_frames > 0
    assert isinstance(out[1], AudioError) and "bad.wav" in str(out[1])
    assert isinstance(out[2], AudioError) and "not found" in str(out[2])


def test_batch_reads_its_inputs_a_window_at_a_time(model, tmp_path, monkeypatch):
    """All inputs' audio was read before the first batch (memory grew with the whole list; no progress meanwhile)."""
    import ctcdecode_plus.acoustic as acoustic

    files = [write_tone_wav(tmp_path / f"{i}.wav", 0.5 + 0.25 * (i % 3), freq=200 + 50 * i) for i in range(5)]
    whole = model.emissions_batch(files + [tmp_path / "missing.wav"])
    events = []
    original = AcousticModel._load
    monkeypatch.setattr(AcousticModel, "_load",
                        lambda self, src, rate: events.append("load") or original(self, src, rate))
    monkeypatch.setattr(acoustic, "_LOAD_AHEAD", 2)
    windowed = model.emissions_batch(files + [tmp_path / "missing.wav"], progress=events.append)
    assert sum(e for e in events if e != "load") == 6 and isinstance(windowed[5], AudioError)
    for a, b in zip(whole[:5], windowed[:5]):
        np.testing.assert_allclose(a.log_probs, b.log_probs, atol=2e-3)
    assert events[:3] == ["load", "load", 2]  # the first window ran before the later inputs were read


def test_too_short_audio(model):
    with pytest.raises(ModelError, match="receptive field"):
        model.emissions(np.full(100, 0.1, np.float32), input_rate=16000)


def test_chunked_equals_unchunked_away_from_seams(tmp_path):
    # no transformer layers and no per-utterance normalisation: the model is local, so chunks with enough
    # context must reproduce the unchunked emissions frame for frame.
    m = AcousticModel.from_pretrained(make_tiny_model(tmp_path / "local", layers=0, normalize=False))
    rng = np.random.default_rng(0)
    sig = (rng.standard_normal(16000 * 13) * 0.1).astype(np.float32)
    full = m.emissions(sig, input_rate=16000, chunk_seconds=0)
    chunked = m.emissions(sig, input_rate=16000, chunk_seconds=3.0, context_seconds=1.0)
    assert abs(chunked.num_frames - full.num_frames) <= 1
    n = min(full.num_frames, chunked.num_frames) - 2
    np.testing.assert_allclose(chunked.log_probs[:n], full.log_probs[:n], atol=1e-4)
    assert GreedyDecoder().decode(chunked).text == GreedyDecoder().decode(full).text


def test_chunked_real_model_words_away_from_edges(tmp_path):
    # with attention (global context) chunking is an approximation; most frames still agree
    m = AcousticModel.from_pretrained(make_tiny_model(tmp_path / "attn", layers=1, normalize=False))
    sig = (np.random.default_rng(1).standard_normal(16000 * 12) * 0.1).astype(np.float32)
    full = m.emissions(sig, input_rate=16000, chunk_seconds=0).log_probs.argmax(1)
    chunked = m.emissions(sig, input_rate=16000, chunk_seconds=4.0, context_seconds=2.0).log_probs.argmax(1)
    n = min(len(full), len(chunked))
    assert (full[:n] == chunked[:n]).mean() > 0.9


def test_model_errors(tmp_path, tiny_model_dir):
    with pytest.raises(ModelError, match="not found"):
        AcousticModel.from_pretrained(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        AcousticModel.from_pretrained(tmp_path / "empty")
    # a checkpoint without CTC head
    import shutil

    headless = tmp_path / "headless"
    shutil.copytree(tiny_model_dir, headless)
    cfg = json.loads((headless / "config.json").read_text())
    cfg["architectures"] = ["Wav2Vec2Model"]
    (headless / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="no CTC head"):
        AcousticModel.from_pretrained(headless)
    # a model folder without tokenizer files
    notok = tmp_path / "notok"
    shutil.copytree(tiny_model_dir, notok)
    for f in ("vocab.json", "tokenizer_config.json", "special_tokens_map.json"):
        (notok / f).unlink(missing_ok=True)
    with pytest.raises(ModelError, match="tokenizer"):
        AcousticModel.from_pretrained(notok)
    # hub ids cannot be reached offline: a clear message, not a traceback
    with pytest.raises(ModelError, match="hub"):
        AcousticModel.from_pretrained("facebook/wav2vec2-base-960h")
    # a mistyped relative folder ("runs/modle") is tried as a hub id too: the error says it is not a folder
    (tmp_path / "runs").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        with pytest.raises(ModelError, match=r"runs/modle: .*runs/ has no 'modle'.*check the path.*hub id needs"):
            AcousticModel.from_pretrained("runs/modle")


def test_real_audio_through_model(model):
    folder = shared_dir("real_audio")
    em = model.emissions(folder / "derived_LJ050-0131_48k_stereo.ogg")
    assert abs(em.duration - load_audio(folder / "sb_LJ050-0131.wav").duration) < 0.05


def test_streamed_file_chunks_match_in_memory(tmp_path):
    import soundfile as sf

    m = AcousticModel.from_pretrained(make_tiny_model(tmp_path / "local", layers=0, normalize=False))
    sig = (np.random.default_rng(2).standard_normal(44100 * 11) * 0.1).astype(np.float32)
    sf.write(tmp_path / "long.wav", np.stack([sig, sig], 1), 44100, subtype="FLOAT")
    streamed = m.emissions(tmp_path / "long.wav", chunk_seconds=3.0, context_seconds=1.0)
    whole = m.emissions(load_audio(tmp_path / "long.wav"), chunk_seconds=0)
    assert streamed.num_frames == whole.num_frames  # one fewer when the streamed length truncated
    assert streamed.audio_seconds == whole.audio_seconds == 11.0 > streamed.duration  # frames: 10.98 s
    back = Emissions.load(streamed.save(tmp_path / "s.npz"))
    assert back.audio_seconds == 11.0 and back.with_temperature(2).with_pause_breaks(0.5).audio_seconds == 11.0
    n = min(streamed.num_frames, whole.num_frames) - 2
    assert (streamed.log_probs[:n].argmax(1) == whole.log_probs[:n].argmax(1)).mean() > 0.98
    np.testing.assert_allclose(streamed.log_probs[:n], whole.log_probs[:n], atol=0.05)
    sf.write(tmp_path / "silent.wav", np.zeros(16000 * 10, np.float32), 16000)
    with pytest.raises(AudioError, match="silent"):
        m.emissions(tmp_path / "silent.wav", chunk_seconds=3.0, context_seconds=1.0)


def test_transcribe_in_one_call(tiny_model_dir, tmp_path):
    from ctcdecode_plus import Transcript, each_transcript, load_model, transcribe
    from ctcdecode_plus.errors import CtcDecodeError, VocabularyError

    wav = tmp_path / "a.wav"
    write_tone_wav(wav, 1.0, 22050)
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    model = load_model(tiny_model_dir)
    assert load_model(tiny_model_dir) is model and load_model(model) is model  # loaded once, kept
    t = transcribe(wav, model=tiny_model_dir)
    assert isinstance(t, Transcript) and t.decoder == "greedy"
    assert t.text == GreedyDecoder().decode(model.emissions(wav)).text
    samples = load_audio(wav).samples
    assert transcribe(samples, model=model, input_rate=16000).text == t.text  # arrays need their rate
    beam = transcribe(wav, model=model, beam_width=4)
    assert beam.decoder == "beam"
    out = transcribe([wav, tmp_path / "bad.wav", wav], model=model, errors="return")
    assert [type(r).__name__ for r in out] == ["Transcript", "AudioError", "Transcript"]
    with pytest.raises(AudioError, match="bad.wav"):
        transcribe([wav, tmp_path / "bad.wav"], model=model)
    streamed = each_transcript(iter([tmp_path / "bad.wav", wav]), model, GreedyDecoder())  # one at a time
    src, em, err = next(streamed)
    assert src == tmp_path / "bad.wav" and em is None and isinstance(err, AudioError)
    src, em, t = next(streamed)
    assert src == wav and t.text == out[0].text and em.num_frames == len(em.log_probs)
    assert next(streamed, None) is None
    # from a review: one path (not a list) was read as one source per character; a model name was an AttributeError
    assert [t.text for _, _, t in each_transcript(str(wav), str(tiny_model_dir), GreedyDecoder())] == [out[0].text]
    assert [e.num_frames for e in model.emissions_batch(str(wav))] == [em.num_frames]
    one = list(each_transcript(samples, model, GreedyDecoder(), input_rate=16000))  # one array: one source
    assert len(one) == 1 and one[0][2].text == t.text
    saved = model.emissions(wav).save(tmp_path / "a.npz")
    with pytest.raises(VocabularyError, match="hotword 'C\\+\\+'"):  # saved emissions only: once, not per file
        next(each_transcript([saved, saved], None, BeamSearchDecoder(hotwords=["C++"])))
    with pytest.raises(VocabularyError, match="hotword 'C\\+\\+'"):  # once, not per file
        next(each_transcript([wav, wav], model, BeamSearchDecoder(hotwords=["C++"])))
    with pytest.raises(VocabularyError, match="hotword 'C\\+\\+'"):  # before any audio is read
        transcribe(tmp_path / "missing.wav", model=model, hotwords=["C++"])
    with pytest.raises(CtcDecodeError, match="not both"):
        transcribe(wav, model=model, decoder=GreedyDecoder(), beam_width=4)


def test_chunks_without_context_lose_no_frame(tiny_model_dir):
    # context_seconds=0 lost one frame at every chunk boundary (20 ms each), and a last chunk of a few samples
    # gave padding frames or a RuntimeError: the context is now at least the model's receptive field
    from ctcdecode_plus.acoustic import AcousticModel

    model = AcousticModel.from_pretrained(tiny_model_dir, device="cpu")
    rng = np.random.default_rng(0)
    for n in (int(45.0077 * 16000), 40 * 16000 + 1):
        x = (rng.standard_normal(n) * 0.1).astype(np.float32)
        for batch in (4, 1):
            em = model.emissions(x, input_rate=16000, chunk_seconds=20, context_seconds=0, chunk_batch_size=batch)
            assert em.num_frames == model.num_frames(n)
    (em,) = model.emissions_batch([x[:48000]], input_rate=16000)  # arrays need their rate: was an AudioError
    assert em.num_frames == model.num_frames(48000)


def test_a_model_folder_sets_its_own_chunk_length(tmp_path):
    # the demo model, trained on utterances of 1-8 s, reads 20 s windows worse: greedy CER 19.6 % against 11.3 % in
    # 2.5 s chunks on 20 files of 8 dev utterances (session 17); its folder says so in ctcdecode_plus.json
    folder = make_tiny_model(tmp_path / "m", layers=0, normalize=False)
    assert AcousticModel.from_pretrained(folder).chunk_seconds == 20.0
    (folder / "ctcdecode_plus.json").write_text('{"chunk_seconds": 3}')
    m = AcousticModel.from_pretrained(folder)
    assert m.chunk_seconds == 3.0
    assert AcousticModel.from_pretrained(m.save_pretrained(tmp_path / "copy")).chunk_seconds == 3
    sig = (np.random.default_rng(1).standard_normal(16000 * 10) * 0.1).astype(np.float32)
    by_default = m.emissions(sig, input_rate=16000)
    assert np.array_equal(by_default.log_probs, m.emissions(sig, input_rate=16000, chunk_seconds=3).log_probs)
    assert not np.array_equal(by_default.log_probs, m.emissions(sig, input_rate=16000, chunk_seconds=0).log_probs)
    assert AcousticModel.from_pretrained("demo").chunk_seconds == 2.5
    m.chunk_seconds = 20.0  # saved again into the same folder: the earlier file must not outlive it
    assert AcousticModel.from_pretrained(m.save_pretrained(tmp_path / "copy")).chunk_seconds == 20.0
    for bad in ('{"chunk_seconds": 0.01}', '{"chunk": 3}', "[1"):
        (folder / "ctcdecode_plus.json").write_text(bad)
        with pytest.raises(ModelError, match="ctcdecode_plus.json"):
            AcousticModel.from_pretrained(folder)


def test_a_model_folder_sets_its_own_context_around_each_chunk(tmp_path):
    # the demo model reads 2.5 s chunks better with 1 s of context on each side than with 2 s: greedy CER 10.50 %
    # against 11.33 % on 20 files of 8 dev utterances (session 22), as the 6.5 s windows are longer than most of
    # its training utterances; its folder says so beside the chunk length
    folder = make_tiny_model(tmp_path / "m")  # a transformer layer: each frame sees the whole window
    assert AcousticModel.from_pretrained(folder).context_seconds == 2.0
    (folder / "ctcdecode_plus.json").write_text('{"chunk_seconds": 3, "context_seconds": 0.5}')
    m = AcousticModel.from_pretrained(folder)
    assert (m.chunk_seconds, m.context_seconds) == (3.0, 0.5) and "context_seconds=0.5" in repr(m)
    copy = AcousticModel.from_pretrained(m.save_pretrained(tmp_path / "copy"))
    assert (copy.chunk_seconds, copy.context_seconds) == (3.0, 0.5)
    sig = (np.random.default_rng(2).standard_normal(16000 * 10) * 0.1).astype(np.float32)
    by_default = m.emissions(sig, input_rate=16000).log_probs
    assert np.array_equal(by_default, m.emissions(sig, input_rate=16000, chunk_seconds=3,
                                                  context_seconds=0.5).log_probs)
    assert not np.array_equal(by_default, m.emissions(sig, input_rate=16000, context_seconds=2).log_probs)
    batched = m.emissions_batch([sig], input_rate=16000)[0].log_probs  # the batch path takes it too
    assert np.array_equal(by_default, batched)
    demo = AcousticModel.from_pretrained("demo")
    assert (demo.chunk_seconds, demo.context_seconds) == (2.5, 1.0)
    m.context_seconds = 2.0  # back to the default: the file keeps only the chunk length
    m.save_pretrained(tmp_path / "copy")
    assert json.loads((tmp_path / "copy" / "ctcdecode_plus.json").read_text()) == {"chunk_seconds": 3.0}
    for bad in ('{"context_seconds": -1}', '{"context_seconds": "1"}', '{"chunk_seconds": 3, "context": 1}'):
        (folder / "ctcdecode_plus.json").write_text(bad)
        with pytest.raises(ModelError, match="ctcdecode_plus.json.*context_seconds"):
            AcousticModel.from_pretrained(folder)


def test_a_hub_id_from_the_cache_takes_its_revision_and_settings_for_every_file(tmp_path):
    # cache_dir (and revision, token...) reached only the weights: the config and processor were looked up in the
    # default cache, so a hub id in a cache of its own did not load; its ctcdecode_plus.json was never read
    import shutil

    repo = tmp_path / "cache" / "models--org--tiny"
    snapshot = repo / "snapshots" / ("a" * 40)
    shutil.copytree(make_tiny_model(tmp_path / "src", layers=0, normalize=False), snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    (snapshot / "ctcdecode_plus.json").write_text('{"chunk_seconds": 3}')
    m = AcousticModel.from_pretrained("org/tiny", cache_dir=str(tmp_path / "cache"), local_files_only=True)
    assert m.chunk_seconds == 3.0 and m.labels.labels


def test_a_hub_model_is_told_apart_by_its_cached_revision(tmp_path, monkeypatch):
    # saved emissions record the model that made them; a hub id was recorded as the id alone, so emissions of an
    # earlier revision were reused after the cache moved to a new one
    import shutil

    import huggingface_hub.constants

    from ctcdecode_plus.acoustic import model_fingerprint

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    assert model_fingerprint("org/tiny") == "hub:org/tiny"  # not in the cache: the id alone
    repo = tmp_path / "cache" / "models--org--tiny"
    for rev in ("a" * 40, "b" * 40):
        shutil.copytree(make_tiny_model(tmp_path / rev[:1], layers=0, normalize=False), repo / "snapshots" / rev)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    first = model_fingerprint("org/tiny")
    (repo / "refs" / "main").write_text("b" * 40)
    assert first == "hub:org/tiny@" + "a" * 40 and model_fingerprint("org/tiny") == "hub:org/tiny@" + "b" * 40


def test_loading_a_model_from_python_prints_no_progress_bar(tiny_model_dir, capfd, monkeypatch):
    """transformers drew a "Loading weights" bar on stderr at every load in a script (the CLI turned it off)."""
    from transformers.utils import logging as hf_logging

    from ctcdecode_plus import load_model

    monkeypatch.setattr(hf_logging, "_tqdm_active", True)  # as in a fresh script (a CLI test may have run here)
    load_model(tiny_model_dir)
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # left as it was


def test_progress_in_seconds_of_audio(model, tmp_path, monkeypatch):
    # a long file moves the progress chunk by chunk, not once at its end (session 20: the bar counted files)
    from ctcdecode_plus.audio import audio_duration

    long, short = write_tone_wav(tmp_path / "long.wav", 12.0), write_tone_wav(tmp_path / "short.wav", 1.5, 44100)
    assert audio_duration(long) == pytest.approx(12.0) and audio_duration(short) == pytest.approx(1.5)
    assert audio_duration(tmp_path / "missing.wav") is None and audio_duration(__file__) is None
    import os

    os.mkfifo(tmp_path / "pipe.wav")  # not opened: that would wait for a writer
    assert audio_duration(tmp_path / "pipe.wav") is None and audio_duration(tmp_path) is None
    steps: list[float] = []
    model.emissions(long, chunk_seconds=2.0, chunk_batch_size=1, progress=steps.append)
    assert len(steps) == 6 and sum(steps) == pytest.approx(12.0)
    steps.clear()
    model.emissions(short, progress=steps.append)  # not chunked: once
    assert steps == [pytest.approx(1.5)]
    steps.clear()
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    out = model.emissions_batch([long, bad, short], chunk_seconds=2.0, progress=steps.append, progress_seconds=True)
    assert isinstance(out[1], AudioError) and len(steps) > 2 and sum(steps) == pytest.approx(13.5)
    counted: list[int] = []
    model.emissions_batch([long, bad, short], chunk_seconds=2.0, progress=counted.append)
    assert sum(counted) == 3  # inputs, as before
    steps.clear()  # an input whose logits are not finite fails after the model: its seconds are not done
    monkeypatch.setattr(AcousticModel, "_forward", lambda self, signals: [np.full((10, 32), np.nan, np.float32)
                                                                          for _ in signals])
    out = model.emissions_batch([short], progress=steps.append, progress_seconds=True)
    assert not isinstance(out[0], Emissions) and sum(steps) == 0
    monkeypatch.undo()

    from ctcdecode_plus import cli

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    bar = cli._AudioProgress([str(long), str(short)], "emissions")
    assert bar.lengths == [pytest.approx(12.0), pytest.approx(1.5)] and bar.bar.unit == "s"
    bar.seconds(2.0)
    bar.inputs(1)  # the first input done: at its length, whatever the steps said
    assert bar.bar.n == pytest.approx(12.0)
    bar.seconds(100.0)  # never past the total
    assert bar.bar.n == pytest.approx(13.5)
    bar.close()
    bar = cli._AudioProgress([str(long), str(bad)], "emissions")  # a length unknown: counted in inputs
    assert bar.lengths is None and bar.bar.total == 2
    bar.inputs(1)
    assert bar.bar.n == 1
    bar.close()


def test_each_transcript_decodes_in_workers_with_the_same_results(tiny_model_dir, tmp_path, libri_emissions,
                                                                  pyctc_data, capsys):
    """num_workers / transcribe --jobs: the model runs here while workers decode; the same transcripts, in order, a
    bad input in its place."""
    from ctcdecode_plus import each_transcript, load_model
    from ctcdecode_plus.cli import main

    model = load_model(tiny_model_dir)
    wavs = []
    for i, f in enumerate((300, 500, 700)):
        wavs.append(tmp_path / f"u{i}.wav")
        write_tone_wav(wavs[-1], 1.0 + 0.3 * i, 16000, freq=f)
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    sources = [wavs[0], tmp_path / "bad.wav", wavs[1], wavs[2]]
    beam = BeamSearchDecoder(beam_width=8)
    serial = [(s, t if isinstance(t, Exception) else t.text) for s, _, t in each_transcript(sources, model, beam)]
    parallel = list(each_transcript(iter(sources), model, beam, num_workers=2))
    assert [(s, type(t).__name__ if isinstance(t, Exception) else t.text) for s, _, t in parallel] == \
        [(s, type(t).__name__ if isinstance(t, Exception) else t) for s, t in serial]
    assert parallel[1][1] is None and parallel[0][1].num_frames > 0
    saved = [libri_emissions.save(tmp_path / f"l{i}.npz") for i in range(5)]  # saved emissions, no model
    lm = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=16)
    assert [t.text for _, _, t in each_transcript(saved, None, lm, num_workers=2)] == \
        [lm.decode(libri_emissions).text] * 5
    for jobs in ("1", "2"):
        assert main(["transcribe", *map(str, saved), "--beam-width", "8", "--jobs", jobs]) == 0
        if jobs == "1":
            one = capsys.readouterr().out
    assert capsys.readouterr().out == one and one.count("\n") == 5


def test_an_interrupted_chunked_run_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    """Ctrl-C part-way through a long file keeps the chunks computed (``checkpoint``); the next call runs only the
    rest and gives the emissions of an uninterrupted run; the file goes when they are whole, and one made otherwise
    (other chunking, changed audio) is not used."""
    import os

    import soundfile as sf

    from ctcdecode_plus import acoustic

    m = AcousticModel.from_pretrained(make_tiny_model(tmp_path / "local", layers=0, normalize=False))
    sig = (np.random.default_rng(3).standard_normal(16000 * 12) * 0.1).astype(np.float32)
    wav = tmp_path / "long.wav"
    sf.write(wav, sig, 16000)
    opts = dict(chunk_seconds=1.0, context_seconds=0.5, chunk_batch_size=2)
    whole = m.emissions(wav, **opts)
    calls = []
    real = AcousticModel._forward

    def counted(self, signals):
        calls.append(len(signals))
        if stop_after is not None and len(calls) > stop_after:
            raise KeyboardInterrupt
        return real(self, signals)

    monkeypatch.setattr(AcousticModel, "_forward", counted)
    ckpt = tmp_path / "out" / ".long.partial-emissions"
    ckpt.parent.mkdir()
    for source in (wav, load_audio(wav)):  # streamed from the file, and from audio in memory
        calls.clear()
        stop_after = 3  # 6 of the 12 chunks, then Ctrl-C
        with pytest.raises(KeyboardInterrupt):
            m.emissions(source, checkpoint=ckpt, **opts)
        assert ckpt.exists()
        calls.clear()
        stop_after, seconds = None, []
        resumed = m.emissions(source, checkpoint=ckpt, progress=seconds.append, **opts)
        assert sum(calls) == 6 and sum(seconds) == pytest.approx(12.0)  # the rest only; progress still sums up
        np.testing.assert_allclose(resumed.log_probs, whole.log_probs, atol=1e-5)
        assert resumed.num_frames == whole.num_frames and not ckpt.exists()
    # a checkpoint made otherwise is not used: other chunking, then audio changed since
    stop_after = 3
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        m.emissions(wav, checkpoint=ckpt, **opts)
    stop_after = None
    calls.clear()
    m.emissions(wav, checkpoint=ckpt, chunk_seconds=2.0, context_seconds=0.5, chunk_batch_size=2)
    assert sum(calls) == 6 and not ckpt.exists()  # 6 chunks of 2 s, all run
    stop_after = 3
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        m.emissions(wav, checkpoint=ckpt, **opts)
    os.utime(wav, ns=(os.stat(wav).st_atime_ns, os.stat(wav).st_mtime_ns + 10**9))  # "changed"
    stop_after = None
    calls.clear()
    m.emissions(wav, checkpoint=ckpt, **opts)
    assert sum(calls) == 12
    # a checkpoint that cannot be written does not stop the run
    monkeypatch.setattr(acoustic, "CHECKPOINT_SECONDS", 0.0)
    calls.clear()
    again = m.emissions(wav, checkpoint=tmp_path / "missing-folder" / "x", **opts)
    np.testing.assert_allclose(again.log_probs, whole.log_probs, atol=1e-5)
