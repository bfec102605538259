"""Bad inputs get one clear CtcDecodeError naming the input and the fix, never a Python traceback."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from ctcdecode_plus.acoustic import iter_sources
from ctcdecode_plus.audio import load_audio
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.errors import (AudioError, CtcDecodeError, EmissionsError, LanguageModelError, ManifestError,
                                   VocabularyError)
from ctcdecode_plus.lm import build_lm, mix_arpa, perplexity, save_decoder_folder
from ctcdecode_plus.manifest import read_manifest
from ctcdecode_plus.vocab import Labels

from conftest import BASE_960H_VOCAB

UNWRITABLE = "/proc/ctcdecode_plus_no_such_dir"  # cannot be created, even by root


@pytest.fixture()
def em():
    rng = np.random.default_rng(0)
    return Emissions.from_logits(rng.normal(size=(20, len(BASE_960H_VOCAB))).astype(np.float32), BASE_960H_VOCAB)


@pytest.fixture()
def corpus(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("HELLO WORLD\nTHE CAT SAT\nHELLO THE CAT\n", encoding="utf-8")
    return path


# --- emissions ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("logits,labels,spf,match", [
    ([[1.0, 2.0], [3.0]], BASE_960H_VOCAB, 0.02, "rectangular"),
    (np.ones((3, 32), complex), BASE_960H_VOCAB, 0.02, "numeric"),
    (np.zeros((3, 32)), None, 0.02, "labels must be"),
    (np.zeros((3, 32)), BASE_960H_VOCAB, 0.0, "seconds_per_frame"),
    (np.zeros((3, 32)), BASE_960H_VOCAB, float("nan"), "seconds_per_frame"),
    (np.zeros((3, 32)), BASE_960H_VOCAB, -0.02, "seconds_per_frame"),
    (np.full((3, 32), 1 / 32), BASE_960H_VOCAB, 0.02, "look like probabilities.*np.log"),  # decoded as garbage
    (np.eye(32)[[0, 5, 0]], BASE_960H_VOCAB, 0.02, "look like probabilities"),
])
def test_from_logits_rejects_bad_input(logits, labels, spf, match):
    with pytest.raises(EmissionsError, match=match):
        Emissions.from_logits(logits, labels, spf)


def test_duplicate_labels_are_an_error():
    with pytest.raises(VocabularyError, match="more than once"):
        Labels.from_list(["", "A", "A", " "])


def test_save_to_unwritable_place_or_folder(em, tmp_path):
    with pytest.raises(EmissionsError, match="cannot write"):
        em.save(f"{UNWRITABLE}/a.npz")
    with pytest.raises(EmissionsError, match="is a folder"):
        em.save(tmp_path)
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize("meta", ['{"labels": 3}', "[1, 2]", '{"labels": ["a"], "blank_id": 0}',
                                  '{"labels": ["", " ", "a"], "blank_id": 9, "seconds_per_frame": 0.02}'])
def test_load_npz_with_bad_metadata(tmp_path, meta):
    path = tmp_path / "bad.npz"
    np.savez(path, log_probs=np.zeros((4, 3), np.float32), meta=np.array(meta))
    with pytest.raises(EmissionsError, match="bad.npz"):
        Emissions.load(path)


def test_load_npz_errors_name_the_file(em, tmp_path):
    with pytest.raises(EmissionsError, match="talk.wav: log_probs contain NaN"):  # the constructor checks too
        Emissions(np.full((3, 32), np.nan, np.float32), em.labels, 0.02, "talk.wav")
    path = tmp_path / "nan.npz"
    np.savez(path, log_probs=np.full((3, 32), np.nan, np.float32), meta=np.array(json.dumps(
        {"labels": list(em.labels.labels), "blank_id": 0, "seconds_per_frame": 0.02, "source": "talk.wav"})))
    with pytest.raises(EmissionsError, match="nan.npz.*NaN"):
        Emissions.load(path)


# --- audio -----------------------------------------------------------------------------------------------------
def test_implausible_sample_rate(tmp_path):
    sf.write(tmp_path / "r1.wav", np.full(100, 0.1, np.float32), 1)
    with pytest.raises(AudioError, match="r1.wav: sample rate 1 Hz"):
        load_audio(tmp_path / "r1.wav")
    with pytest.raises(AudioError, match="16 Hz"):
        load_audio(np.full(1000, 0.1, np.float32), input_rate=16)  # kHz given instead of Hz


def test_folder_without_audio_is_reported_not_skipped(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    assert iter_sources([tmp_path / "empty"]) == [str(tmp_path / "empty")]
    with pytest.raises(AudioError, match="is a folder"):
        load_audio(tmp_path / "empty")


# --- acoustic model --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("device,match", [("bogus", "not a torch device"), ("cuda:99", "cuda|CUDA")])
def test_bad_device(tiny_model_dir, device, match):
    from ctcdecode_plus.acoustic import AcousticModel

    with pytest.raises(CtcDecodeError, match=match):
        AcousticModel.from_pretrained(tiny_model_dir, device=device)


@pytest.mark.parametrize("kwargs", [{"chunk_seconds": -5.0}, {"chunk_seconds": float("nan")},
                                    {"context_seconds": -1.0}, {"chunk_batch_size": 0}])
def test_bad_chunk_settings(tiny_model_dir, kwargs):
    from ctcdecode_plus.acoustic import AcousticModel

    model = AcousticModel.from_pretrained(tiny_model_dir, device="cpu")
    sig = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    with pytest.raises(CtcDecodeError, match="chunk|context"):
        model.emissions(sig, input_rate=16000, **kwargs)
    if "chunk_batch_size" not in kwargs:
        with pytest.raises(CtcDecodeError, match="chunk|context"):
            model.emissions_batch([sig], **kwargs)


# --- manifests -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("content,match", [
    ("audio\ttext\n\tHELLO\n", ":2: the audio path is empty"),
    ('{"audio_filepath": null, "text": "A"}\n', ":1: 'audio_filepath' and 'text' must be strings"),
])
def test_manifest_bad_rows(tmp_path, content, match):
    path = tmp_path / "m.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match=match):
        read_manifest(path)


# --- language-model tools --------------------------------------------------------------------------------------
def test_build_lm_unwritable_output_fails_before_counting(corpus, tmp_path):
    with pytest.raises(LanguageModelError, match="output folder does not exist and cannot be created"):
        build_lm([corpus], f"{UNWRITABLE}/x.arpa", 2, discount_fallback=True)
    assert build_lm([corpus], tmp_path / "new" / "dir" / "x.arpa", 2, discount_fallback=True).arpa_path.is_file()
    with pytest.raises(LanguageModelError, match="cannot write"):
        build_lm([corpus], "/proc/x.arpa", 2, discount_fallback=True)


def test_build_lm_and_perplexity_take_one_path_string(corpus, tmp_path):
    res = build_lm(str(corpus), tmp_path / "lm.arpa", 2, discount_fallback=True, binary=False)
    assert res.tokens == 8
    assert perplexity(res.arpa_path, str(corpus), backend="python").words == 8


def test_order1_model_perplexity_auto_and_warning(corpus, tmp_path):
    res = build_lm([corpus], tmp_path / "u.arpa", 1, discount_fallback=True, binary=False)
    assert any("order 2" in w for w in res.warnings)
    assert perplexity(res.arpa_path, [corpus]).words == 8  # auto: the python scorer, KenLM refuses order 1
    pytest.importorskip("kenlm")
    with pytest.raises(LanguageModelError, match="at least a bigram.*--backend python") as info:
        perplexity(res.arpa_path, [corpus], backend="kenlm")
    assert "GenericModel" not in str(info.value)


def test_mix_and_package_unwritable(corpus, tmp_path):
    res = build_lm([corpus], tmp_path / "lm.arpa", 2, discount_fallback=True, binary=False)
    with pytest.raises(LanguageModelError, match="cannot write"):
        mix_arpa([res.arpa_path, res.arpa_path], [0.5, 0.5], "/proc/m.arpa")
    with pytest.raises(LanguageModelError, match="cannot write"):
        save_decoder_folder("/proc/decoder", list(" ABC") + [""], res.arpa_path)


def test_cli_build_lm_unwritable_and_mix(corpus, tmp_path, capsys):
    from ctcdecode_plus.cli import main

    other = build_lm([corpus], tmp_path / "o.arpa", 2, discount_fallback=True, binary=False).arpa_path
    for extra in ([], ["--mix", f"{other}:0.3"]):
        rc = main(["build-lm", str(corpus), "-o", "/proc/x.arpa", "--order", "2", "--discount-fallback", *extra])
        err = capsys.readouterr().err
        assert rc == 2 and err.startswith("error: /proc/x.arpa: cannot write") and "Traceback" not in err


def test_cli_emissions_unwritable_output(tiny_model_dir, tmp_path, capsys):
    from ctcdecode_plus.cli import main

    sf.write(tmp_path / "a.wav", np.random.default_rng(0).normal(0, 0.1, 8000).astype(np.float32), 16000)
    rc = main(["emissions", str(tmp_path / "a.wav"), "-o", UNWRITABLE, "--model", str(tiny_model_dir),
               "--device", "cpu"])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot write there" in err and "Traceback" not in err
    assert not os.path.exists(UNWRITABLE)
    (tmp_path / "file").write_text("x")
    rc = main(["emissions", str(tmp_path / "a.wav"), "-o", str(tmp_path / "file"), "--model", str(tiny_model_dir)])
    assert rc == 2
    assert "is a file, not a folder" in capsys.readouterr().err  # was "cannot create the output folder (File exists)"
