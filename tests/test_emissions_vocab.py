"""The label mapping and the Emissions container: validation and .npz round trip."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import BASE_960H_VOCAB
from ctcdecode_plus.emissions import LOG_FLOOR, Emissions
from ctcdecode_plus.errors import EmissionsError, VocabularyError
from ctcdecode_plus.vocab import Labels


def test_base_960h_label_mapping():
    labels = Labels.from_vocab({t: i for i, t in enumerate(BASE_960H_VOCAB)},
                               special_tokens=["<s>", "</s>", "<unk>"])
    assert labels.blank_id == 0 and labels.labels[0] == ""
    assert labels.labels[4] == " "
    assert labels.suppressed == (1, 2, 3)
    assert labels.case == "upper"
    assert "'" in labels.characters and " " not in labels.characters and "<s>" not in labels.characters


def test_plain_label_list_and_lower_case():
    labels = Labels.from_list(list(" abcdefghijklmnopqrstuvwxyz'") + [""])
    assert labels.blank_id == 28 and labels.case == "lower" and labels.suppressed == ()
    assert labels.validate_text("Hello", "hotword") == "hello"
    with pytest.raises(VocabularyError, match="outside the model's alphabet: '3'"):
        labels.validate_text("mp3", "hotword")


def test_vocabulary_errors():
    with pytest.raises(VocabularyError, match="blank"):
        Labels.from_vocab({"a": 0, "|": 1}, pad_token="<pad>")
    with pytest.raises(VocabularyError, match="empty"):
        Labels.from_vocab({})


def test_from_logits_normalises_and_suppresses():
    labels = Labels.from_vocab({t: i for i, t in enumerate(BASE_960H_VOCAB)})
    logits = np.random.default_rng(0).standard_normal((50, len(labels))).astype(np.float32) * 3
    em = Emissions.from_logits(logits, labels, 0.02, "x")
    assert em.log_probs.shape == (50, 32) and em.log_probs.dtype == np.float32
    np.testing.assert_allclose(np.exp(em.log_probs).sum(1), 1.0, rtol=1e-5)
    assert np.all(em.log_probs[:, [1, 2, 3]] < -1000)
    assert em.duration == pytest.approx(1.0)
    # idempotent on log-probs
    np.testing.assert_allclose(Emissions.from_logits(em.log_probs, labels).log_probs, em.log_probs, atol=1e-5)


def test_temperature_is_dividing_the_logits(libri_emissions):
    from ctcdecode_plus import GreedyDecoder

    labels = Labels.from_vocab({t: i for i, t in enumerate(BASE_960H_VOCAB)})
    logits = np.random.default_rng(1).standard_normal((40, len(labels))).astype(np.float32) * 4
    em = Emissions.from_logits(logits, labels, 0.02, "x")
    flat = em.with_temperature(2.5)
    np.testing.assert_allclose(flat.log_probs, Emissions.from_logits(logits / 2.5, labels).log_probs, atol=1e-4)
    np.testing.assert_allclose(np.exp(flat.log_probs).sum(1), 1.0, rtol=1e-5)
    assert np.all(flat.log_probs[:, [1, 2, 3]] == LOG_FLOOR)  # suppressed stays suppressed
    assert flat.log_probs.max(1).mean() < em.log_probs.max(1).mean()  # flatter
    assert em.with_temperature(1) is em and em.with_temperature(0.5).log_probs.max(1).mean() > \
        em.log_probs.max(1).mean()
    # real logits: the argmax of every frame, so the greedy transcript, does not move
    hot = libri_emissions.with_temperature(3.0)
    assert np.array_equal(hot.log_probs.argmax(1), libri_emissions.log_probs.argmax(1))
    assert GreedyDecoder().decode(hot).text == GreedyDecoder().decode(libri_emissions).text
    for bad in (0, -1.0, float("nan"), float("inf"), True, "2"):
        with pytest.raises(EmissionsError, match="temperature"):
            em.with_temperature(bad)


def test_bad_logits():
    labels = Labels.from_list(list(" ab") + [""])
    with pytest.raises(EmissionsError, match="4 entries"):
        Emissions.from_logits(np.zeros((10, 5)), labels, source="u1")
    with pytest.raises(EmissionsError, match="NaN"):
        Emissions.from_logits(np.array([[0, np.nan, 0, 0]]), labels)
    with pytest.raises(EmissionsError, match="NaN/\\+inf"):
        Emissions.from_logits(np.array([[0, np.inf, 0, 0]]), labels)
    with pytest.raises(EmissionsError, match="shape"):
        Emissions.from_logits(np.zeros(4), labels)
    with pytest.raises(EmissionsError, match="0 frames"):
        Emissions.from_logits(np.zeros((0, 4)), labels)
    em = Emissions.from_logits(np.array([[0, -np.inf, 0, 0]]), labels)  # log(0) is fine
    assert em.log_probs[0, 1] <= LOG_FLOOR


def test_npz_round_trip(tmp_path, libri_emissions):
    path = libri_emissions.save(tmp_path / "sub" / "u.npz")
    back = Emissions.load(path)
    np.testing.assert_array_equal(back.log_probs, libri_emissions.log_probs)
    assert back.labels == libri_emissions.labels and back.seconds_per_frame == 0.02
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(EmissionsError, match="bad.npz"):
        Emissions.load(tmp_path / "bad.npz")
    with pytest.raises(EmissionsError, match="not found"):
        Emissions.load(tmp_path / "none.npz")
    assert libri_emissions.save(tmp_path / "noext") == tmp_path / "noext.npz"  # was written as "noext": then audio


@pytest.mark.parametrize("damage", ["blank on a letter", "| for the delimiter", "a label twice"])
def test_an_npz_with_damaged_labels_is_refused(tmp_path, libri_emissions, damage):
    # from a review: a blank id on E dropped every E; "|" for " " gave THIS|INSTANCE|...; both exit 0
    import json

    path = libri_emissions.save(tmp_path / "u.npz")
    with np.load(path) as data:
        log_probs, meta = data["log_probs"], json.loads(str(data["meta"]))
    if damage == "blank on a letter":
        meta["blank_id"] = meta["labels"].index("e")
    elif damage == "| for the delimiter":
        meta["labels"][meta["labels"].index(" ")] = "|"
    else:
        meta["labels"][meta["labels"].index("q")] = "e"
    np.savez(path, log_probs=log_probs, meta=np.array(json.dumps(meta)))
    with pytest.raises(EmissionsError, match="u.npz: .* the file is damaged"):
        Emissions.load(path)


def test_an_npz_of_a_model_with_a_pipe_character_loads(tmp_path):
    # a model whose word delimiter is " " and whose alphabet has "|" as a character of its own (a review: refused)
    from ctcdecode_plus.vocab import Labels

    labels = Labels.from_vocab({"<pad>": 0, " ": 1, "a": 2, "|": 3}, word_delimiter_token=" ")
    em = Emissions.from_logits(np.log(np.full((4, 4), 0.25)), labels)
    assert Emissions.load(em.save(tmp_path / "p.npz")).labels == labels


def _spelling(labels: list, text: str, frames_per_char: int = 3) -> Emissions:
    """Emissions that spell ``text`` (one label per run of frames, blanks between), for decoder tests."""
    log = np.full((len(text) * frames_per_char, len(labels)), -12.0)
    for i, ch in enumerate(text):
        log[i * frames_per_char, labels.index(ch)] = 0.0
        log[i * frames_per_char + 1:(i + 1) * frames_per_char, labels.index("")] = 0.0
    return Emissions.from_logits(log, Labels.from_list(labels))


def test_saved_emissions_of_another_model_fail_alone(tmp_path):
    """A batch of saved emissions from two models: a hotword only one model can spell fails the other's files one
    by one (it used to stop the whole batch when the odd file came first); fitting none of them still fails once."""
    from ctcdecode_plus import BeamSearchDecoder, Transcript, each_transcript

    odd = _spelling(["", " ", "A", "B"], "AB BA").save(tmp_path / "odd.npz")
    good = [_spelling(["", " ", "A", "B", "Z"], "ZAB AB").save(tmp_path / f"good{i}.npz") for i in range(2)]
    assert Emissions.load_labels(odd).labels == ("", " ", "A", "B")  # without reading the log-probs
    out = [t for _, _, t in each_transcript([odd, *good], None, BeamSearchDecoder(hotwords=["ZAB"], beam_width=8))]
    assert isinstance(out[0], VocabularyError) and "ZAB" in str(out[0])
    assert all(isinstance(t, Transcript) and t.text == "ZAB AB" for t in out[1:])
    with pytest.raises(VocabularyError, match="ZAB"):  # no file can use it: once, up front
        next(each_transcript([odd, odd], None, BeamSearchDecoder(hotwords=["ZAB"])))
    with pytest.raises(EmissionsError, match="not found"):
        Emissions.load_labels(tmp_path / "missing.npz")


def test_a_label_list_without_blank_or_delimiter_says_how_a_list_marks_them():
    """The fix said "pass pad_token=", an argument that from_logits and Labels.from_list do not have."""
    with pytest.raises(VocabularyError, match="a label list marks the blank as ''.*Labels.from_vocab"):
        Emissions.from_logits(np.zeros((3, 6)), list(" abc'") + ["_"])


def test_an_interrupted_save_leaves_nothing_a_folder_listing_would_take(tmp_path, monkeypatch):
    """The temporary file was X.npz.tmp.npz, kept after an interruption: every later `transcribe DIR` failed on it."""
    em = Emissions.from_logits(np.log(np.full((4, 3), 1 / 3)), ["", " ", "A"])

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        em.save(tmp_path / "a.npz")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert Emissions.load(em.save(tmp_path / "a.npz")).num_frames == 4
    assert [p.name for p in tmp_path.iterdir()] == ["a.npz"]
