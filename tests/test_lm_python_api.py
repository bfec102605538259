"""The LM tools called from Python with what the rest of the API hands out: an AcousticModel, its Labels, a
model name, the characters as a string, text as strings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ctcdecode_plus.errors import CtcDecodeError, LanguageModelError, VocabularyError
from ctcdecode_plus.lm import Alphabet, build_lm, normalize_files, normalize_text, perplexity, save_decoder_folder
from ctcdecode_plus.vocab import Labels

CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
UPPER = Alphabet(frozenset(CHARS), "upper")
LM_DIR = Path(__file__).resolve().parents[1] / "lm"
TEXT = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the cat ate the rat"] * 3


@pytest.fixture(scope="module")
def demo_model():
    from ctcdecode_plus.acoustic import AcousticModel

    return AcousticModel.from_pretrained("demo", device="cpu")


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# --- 1. Alphabet.from_labels ---------------------------------------------------------------------------------------

def test_from_labels_takes_labels_a_model_and_a_list(demo_model):
    # was TypeError: 'Labels' object is not iterable
    assert Alphabet.from_labels(demo_model.labels) == UPPER
    assert Alphabet.from_labels(demo_model) == UPPER  # an AcousticModel: its .labels
    assert Alphabet.from_labels(list(demo_model.labels.labels)) == UPPER
    assert Alphabet.from_labels(Labels.from_list(["", " ", "a", "b", "<unk>"])) == Alphabet(frozenset("ab"), "lower")


@pytest.mark.parametrize("bad", [None, 42, b"ABC", object(), [1, 2]])
def test_from_labels_rejects_other_input_clearly(bad):
    with pytest.raises(CtcDecodeError, match="AcousticModel.labels") as exc:
        Alphabet.from_labels(bad)
    _one_line(exc)


# --- 2. alphabet= as the CLI's --alphabet string, a model, its labels -----------------------------------------------

def test_as_alphabet(demo_model):
    from ctcdecode_plus.lm.normalize import as_alphabet

    assert as_alphabet(None) is None
    assert as_alphabet(UPPER) is UPPER
    assert as_alphabet(CHARS) == UPPER
    assert as_alphabet(demo_model) == UPPER and as_alphabet(demo_model.labels) == UPPER
    for bad, match in ((" ", "give the characters"), (3.5, "give the characters"), ("demo", "from_pretrained"),
                       ("facebook/wav2vec2-base-960h", "names a model"),  # was read as the id's letters
                       (str(Path(__file__).parent), "names a model")):
        with pytest.raises(LanguageModelError, match=match) as exc:
            as_alphabet(bad)
        _one_line(exc)


def test_string_alphabet_everywhere(tmp_path, demo_model):
    raw = tmp_path / "raw.txt"
    raw.write_text("The cat sat on 2 mats.\n")
    # each was AttributeError: 'str' object has no attribute 'characters'
    assert normalize_text("The cat sat on 2 mats.", CHARS)[0] == ["THE CAT SAT ON TWO MATS"]
    assert normalize_text("The cat sat.", demo_model)[0] == ["THE CAT SAT"]
    normalize_files([raw], tmp_path / "norm.txt", CHARS)
    assert (tmp_path / "norm.txt").read_text() == "THE CAT SAT ON TWO MATS\n"
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(TEXT) + "\n")
    res = build_lm([corpus], tmp_path / "lm.arpa", 2, alphabet=CHARS, discount_fallback=True, binary=False)
    assert "THE" in res.unigrams_path.read_text().split()
    r = perplexity(res.arpa_path, lines=["the cat sat"], alphabet=CHARS, backend="python")
    assert r.oovs == 0 and r.words == 3
    with pytest.raises(LanguageModelError, match="alphabet="):
        build_lm([corpus], tmp_path / "lm2.arpa", 2, alphabet=["A", 1])
    with pytest.raises(LanguageModelError, match="needs an alphabet"):
        normalize_text("x", None)


# --- 3. save_pretrained(processor_dir=model | "demo") ---------------------------------------------------------------

def test_processor_dir_takes_a_model_and_a_name(tmp_path, demo_model):
    from ctcdecode_plus.decoders import BeamSearchDecoder

    dec = BeamSearchDecoder()
    for i, proc in enumerate((demo_model, "demo", demo_model.source)):  # was TypeError; "demo: no preprocessor..."
        folder = dec.save_pretrained(tmp_path / f"dec{i}", demo_model.labels, processor_dir=proc)
        assert (folder / "preprocessor_config.json").is_file() and (folder / "vocab.json").is_file()
    # the labels as a Labels or an AcousticModel, given to save_decoder_folder
    expected = json.loads((tmp_path / "dec0" / "alphabet.json").read_text())
    for i, labels in enumerate((demo_model.labels, demo_model)):
        folder = save_decoder_folder(tmp_path / f"lab{i}", labels, None)
        assert json.loads((folder / "alphabet.json").read_text()) == expected
    folder = dec.save_pretrained(tmp_path / "model", demo_model)  # the model as the labels: was a TypeError
    assert json.loads((folder / "alphabet.json").read_text()) == expected
    with pytest.raises(VocabularyError, match="labels=") as exc:
        save_decoder_folder(tmp_path / "bad", 42, None)
    _one_line(exc)


@pytest.mark.parametrize("proc, match", [
    ("no-such-org/no-such-model", "no-such-org/no-such-model: no such folder"),  # offline in the tests: cache only
    (3, "processor_dir=3"),
])
def test_processor_dir_errors(tmp_path, proc, match):
    with pytest.raises(LanguageModelError, match=match) as exc:
        save_decoder_folder(tmp_path / "dec", list(" AB") + [""], None, processor_dir=proc)
    assert "AcousticModel" in _one_line(exc)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LanguageModelError, match="no preprocessor_config.json.*AcousticModel"):
        save_decoder_folder(tmp_path / "dec", list(" AB") + [""], None, processor_dir=tmp_path / "empty")
    assert not (tmp_path / "dec").exists()


def test_processor_dir_a_mistyped_relative_folder_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()  # "models/acoustc" is not there, so it is tried as a hub id: the error says both
    with pytest.raises(LanguageModelError, match=r"models/acoustc: no such folder.*models/ has no 'acoustc'.*"
                                                 r"check the path") as exc:
        save_decoder_folder(tmp_path / "dec", list(" AB") + [""], None, processor_dir="models/acoustc")
    assert "AcousticModel" in _one_line(exc)


# --- 4. build_lm(lines=...) -----------------------------------------------------------------------------------------

def test_build_lm_from_lines(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(TEXT) + "\n")
    from_file = build_lm([corpus], tmp_path / "f.arpa", 3, discount_fallback=True, binary=False)
    from_lines = build_lm([], tmp_path / "l.arpa", 3, lines=TEXT, discount_fallback=True, binary=False)
    assert from_lines.arpa_path.read_text() == from_file.arpa_path.read_text()
    half = len(TEXT) // 2  # files first, then lines, as perplexity reads them
    (tmp_path / "half.txt").write_text("\n".join(TEXT[:half]) + "\n")
    both = build_lm(tmp_path / "half.txt", tmp_path / "b.arpa", 3, lines=iter(TEXT[half:]), discount_fallback=True,
                    binary=False)
    assert both.arpa_path.read_text() == from_file.arpa_path.read_text()
    # normalised like the files
    norm = build_lm(None, tmp_path / "n.arpa", 2, lines=["The cat, the 2 dogs!"] * 4, alphabet=CHARS,
                    discount_fallback=True, binary=False)
    assert norm.unigrams_path.read_text().split() == ["CAT", "DOGS", "THE", "TWO"]
    assert norm.normalize_stats.numbers_spelled == 4


def test_build_lm_text_errors_point_to_lines(tmp_path):
    with pytest.raises(LanguageModelError, match=r"the cat sat\.\.\.: text file not found.*pass lines=\[\.\.\.\]") as exc:
        build_lm("the cat sat\non the mat", tmp_path / "o.arpa", 2)
    _one_line(exc)
    with pytest.raises(LanguageModelError, match=r"the cat sat: text file not found.*lines="):
        build_lm(["the cat sat"], tmp_path / "o.arpa", 2)
    with pytest.raises(LanguageModelError, match="no text"):
        build_lm([], tmp_path / "o.arpa", 2)
    with pytest.raises(LanguageModelError, match="no words left to count") as exc:
        build_lm([], tmp_path / "o.arpa", 2, lines=["", "  ", "\t"])
    assert "lines" in _one_line(exc)
    with pytest.raises(LanguageModelError, match=r"lines\[1\]: .*str") as exc:
        build_lm([], tmp_path / "o.arpa", 2, lines=["a b", b"c d"], discount_fallback=True)
    _one_line(exc)
    assert not (tmp_path / "o.arpa").exists()
    with pytest.raises(LanguageModelError, match=r"THE CAT: text file not found.*to score from strings, pass lines="):
        perplexity(tmp_path / "none.arpa", "THE CAT")


def test_cli_missing_text_gets_no_python_hint(tmp_path, capsys):
    from ctcdecode_plus.lm.cli import main

    assert main(["build-lm", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "o.arpa"), "--order", "2"]) == 2
    err = capsys.readouterr().err
    assert "nope.txt: text file not found" in err and "lines=" not in err


# --- 5. messages a Python caller can act on -------------------------------------------------------------------------

def test_messages_name_the_python_argument_too(tmp_path):
    from ctcdecode_plus.lm.package import load_decoder_folder

    with pytest.raises(LanguageModelError, match="save_pretrained"):
        load_decoder_folder(tmp_path / "nope")
    with pytest.raises(LanguageModelError, match=r"--prune 0 1 1.*prune=\[0, 1, 1\]"):
        build_lm([], tmp_path / "o.arpa", 3, lines=TEXT, prune=[0, 2, 1])
    with pytest.raises(LanguageModelError, match=r"--prune 0 1.*prune=\[0, 1\]"):
        build_lm([], tmp_path / "o.arpa", 3, lines=TEXT, prune=[1, 1])
    with pytest.raises(LanguageModelError, match=r"alphabet=.*--skip-symbols"):
        build_lm([], tmp_path / "o.arpa", 2, lines=["a <s> b"])
    lm = build_lm([], tmp_path / "lm.arpa", 2, lines=TEXT,
                  discount_fallback=True, binary=False).arpa_path
    with pytest.raises(LanguageModelError, match="alphabet="):
        perplexity(lm, lines=["123 456"], alphabet="XYZ")
    with pytest.raises(VocabularyError, match="alphabet="):
        Alphabet.from_labels(["<pad>", "ab"])
    with pytest.raises(VocabularyError, match="from_pretrained"):
        Alphabet.from_model_dir(tmp_path / "missing")


def test_saving_a_wav2vec2_vocabulary_gives_no_bpe_warning(tmp_path, demo_model, caplog):
    """pyctcdecode took <s> and </s> for BPE pieces and warned on every save; a real multi-character label (a
    subword vocabulary, which every transcript would silently lose) is refused."""
    from ctcdecode_plus.decoders import BeamSearchDecoder
    from ctcdecode_plus.errors import VocabularyError

    with caplog.at_level("WARNING", logger="pyctcdecode.alphabet"):
        BeamSearchDecoder().save_pretrained(tmp_path / "d", demo_model)
        assert "length > 1" not in caplog.text
    with pytest.raises(VocabularyError, match="tokens of several characters \\('xy'\\)"):
        BeamSearchDecoder().save_pretrained(tmp_path / "e", ["", " ", "a", "b", "xy"])


def test_processor_dir_a_model_from_the_hub_saves_the_processor_it_loaded(tmp_path, demo_model):
    """A hub model loaded with cache_dir=/revision= was fetched again by its id alone (offline: an error; online:
    perhaps another revision's files)."""
    import copy

    from transformers import Wav2Vec2ProcessorWithLM

    from ctcdecode_plus.decoders import BeamSearchDecoder

    hub_model = copy.copy(demo_model)
    hub_model.source = "org/not-downloadable"  # as a model loaded from a hub id
    folder = BeamSearchDecoder(LM_DIR / "domain_4gram.arpa.gz").save_pretrained(tmp_path / "d", hub_model,
                                                                               processor_dir=hub_model)
    assert (folder / "preprocessor_config.json").is_file() and (folder / "vocab.json").is_file()
    processor = Wav2Vec2ProcessorWithLM.from_pretrained(str(folder))
    assert processor.tokenizer.get_vocab() == demo_model.tokenizer.get_vocab()


def test_saving_into_a_models_folder_keeps_the_model(tmp_path, demo_model):
    """overwrite=True deleted every file of the folder, the acoustic model's weights among them; it now replaces
    the decoder's files only, which makes a hub-style "with LM" folder that both classes load."""
    import shutil

    from transformers import Wav2Vec2ProcessorWithLM

    from ctcdecode_plus.acoustic import AcousticModel
    from ctcdecode_plus.decoders import BeamSearchDecoder

    folder = Path(shutil.copytree(demo_model.source, tmp_path / "model"))
    model_files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".safetensors")
                   and p.name not in ("preprocessor_config.json", "tokenizer_config.json", "vocab.json",
                                      "special_tokens_map.json", "added_tokens.json")}
    assert "model.safetensors" in model_files and "config.json" in model_files
    dec = BeamSearchDecoder(LM_DIR / "domain_4gram.arpa.gz", hotwords=["TRACEMALLOC"], alpha=0.7)
    with pytest.raises(LanguageModelError, match="keeps the rest"):
        dec.save_pretrained(folder, demo_model, processor_dir=folder)
    dec.save_pretrained(folder, demo_model, processor_dir=folder, overwrite=True)
    assert {n: (folder / n).read_bytes() for n in model_files} == model_files
    assert AcousticModel.from_pretrained(folder, device="cpu").labels == demo_model.labels
    back = BeamSearchDecoder.from_pretrained(folder)
    assert back.alpha == 0.7 and back.hotwords == ["TRACEMALLOC"] and back.lm_path is not None
    assert Wav2Vec2ProcessorWithLM.from_pretrained(str(folder)).decoder.model_container
    # saved again without an LM: the old language_model/ goes, the model stays, nothing is left aside
    BeamSearchDecoder().save_pretrained(folder, demo_model, overwrite=True)
    assert not (folder / "language_model").exists() and BeamSearchDecoder.from_pretrained(folder).lm_path is None
    assert {n: (folder / n).read_bytes() for n in model_files} == model_files
    assert not [p.name for p in folder.iterdir() if ".old" in p.name] and not list(tmp_path.glob(".model*"))
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LanguageModelError, match="is a file"):
        dec.save_pretrained(tmp_path / "afile", demo_model, overwrite=True)
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.parametrize("fail_at", range(1, 6))  # 3 entries moved aside, 2 moved in
def test_an_interrupted_overwrite_leaves_the_old_decoder(tmp_path, monkeypatch, fail_at):
    """From a review: entries were swapped one by one with nothing undone, so a Ctrl-C (or an OSError) part-way left
    a folder without alphabet.json, or a new .ctcdecode_plus.json beside the old language model."""
    import os

    from ctcdecode_plus.decoders import BeamSearchDecoder
    from ctcdecode_plus.lm import package

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_text("weights")
    labels = ["", " ", "A", "B", "C", "'"]
    lm = LM_DIR / "domain_4gram.arpa.gz"
    save_decoder_folder(folder, labels, lm, alpha=0.5, overwrite=True, search_settings={"beam_width": 10})
    real, calls = os.replace, []

    def flaky(a, b):
        calls.append(a)
        if len(calls) == fail_at:
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(package.os, "replace", flaky)
    with pytest.raises(KeyboardInterrupt):
        save_decoder_folder(folder, labels, None, alpha=0.9, overwrite=True, search_settings={"beam_width": 99})
    monkeypatch.setattr(package.os, "replace", real)
    back = BeamSearchDecoder.from_pretrained(folder)
    assert (back.alpha, back.beam_width, back.lm_path is not None) == (0.5, 10, True)
    assert (folder / "model.safetensors").read_text() == "weights"
    assert not [p.name for p in folder.iterdir() if ".old" in p.name] and not list(tmp_path.glob(".model*"))


def test_raw_text_built_as_it_is_gets_a_word_about_case_and_punctuation(tmp_path):
    """From a workflow audit: build-lm without an alphabet counted '“The' and 'assert' alike without a word, and
    transcribe later refused the mixed-case model."""
    raw = build_lm(None, tmp_path / "raw.arpa", 2, lines=["The cat sat.", "the dog, barked!"] * 3,
                   discount_fallback=True, binary=False)
    assert any("mixed case" in w for w in raw.warnings) and any("punctuation" in w for w in raw.warnings)
    clean = build_lm(None, tmp_path / "clean.arpa", 2, lines=["THE CAT SAT", "THE DOG BARKED"] * 3,
                     discount_fallback=True, binary=False)
    assert not any("as it is" in w for w in clean.warnings)


def test_raw_text_notes_leave_other_scripts_alone(tmp_path):
    """From a review: combining marks and the zero-width non-joiner counted as punctuation (Hindi, Thai, Persian)."""
    for text in (["मैं हिंदी बोलता हूँ", "यह किताब है"], ["ฉันชอบกินข้าว มาก"], ["من می\u200cخواهم بروم"]):
        res = build_lm(None, tmp_path / "x.arpa", 2, lines=text * 3, discount_fallback=True, binary=False)
        assert not any("punctuation" in w for w in res.warnings), text
