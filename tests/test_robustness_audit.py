"""Bad inputs found by an audit of the CLI and the API: each gets one clear CtcDecodeError (or a working result),
never a traceback, a silently wrong result, or work lost at the end of a run."""
from __future__ import annotations

import json
import math
import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import BASE_960H_VOCAB, write_tone_wav
from test_lm_arpa import GOOD
from ctcdecode_plus.audio import Audio, load_audio
from ctcdecode_plus.cli import build_parser, main
from ctcdecode_plus.decoders import BeamSearchDecoder, GreedyDecoder
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.errors import (AudioError, CtcDecodeError, EmissionsError, LanguageModelError, ManifestError,
                                   ModelError, VocabularyError)
from ctcdecode_plus.lm import build_lm, perplexity
from ctcdecode_plus.lm.arpa import read_arpa
from ctcdecode_plus.manifest import read_manifest
from ctcdecode_plus.vocab import Labels

ARPA = GOOD  # a tiny valid ARPA model (2-gram, words <s> Test </s>)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit")
    write_tone_wav(d / "u0.wav", 1.0, freq=300)
    write_tone_wav(d / "u1.wav", 1.0, freq=500)
    (d / "m.tsv").write_text("audio\ttext\nu0.wav\tHELLO\nu1.wav\tWORLD\n")
    return d


def _run(capsys, *argv):
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:  # a usage error argparse reports
        rc = e.code
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return rc, out


# --- command line: outputs checked before the work --------------------------------------------------------------
def test_json_output_that_is_a_folder_fails_before_the_work(tiny_model_dir, corpus, tmp_path, capsys):
    rc, out = _run(capsys, "compare", "--manifest", corpus / "m.tsv", "--model", tiny_model_dir, "--beam-width", 2,
                   "--json", tmp_path)
    assert rc == 2 and "--json" in out.err and "is a folder" in out.err
    assert "greedy" not in out.out  # nothing was computed, only to fail writing at the end


def test_emissions_folder_that_is_a_file_fails_up_front_and_a_failing_save_keeps_the_run(
        tiny_model_dir, corpus, tmp_path, capsys, monkeypatch):
    not_a_folder = tmp_path / "file.npz"
    not_a_folder.write_text("x")
    rc, out = _run(capsys, "compare", "--manifest", corpus / "m.tsv", "--model", tiny_model_dir,
                   "--emissions", not_a_folder)
    assert rc == 2 and out.err.startswith("error: --emissions") and "not a folder" in out.err

    def full_disk(self, path, made_with=None):
        raise EmissionsError(f"{path}: cannot write the emissions (No space left on device)")

    monkeypatch.setattr(Emissions, "save", full_disk)
    rc, out = _run(capsys, "compare", "--manifest", corpus / "m.tsv", "--model", tiny_model_dir, "--beam-width", 2,
                   "--emissions", tmp_path / "cache")
    assert rc == 0 and "greedy" in out.out and "going on without saving" in out.err


def test_a_read_only_emissions_cache_is_still_read(tiny_model_dir, corpus, tmp_path, capsys, monkeypatch):
    cache = tmp_path / "cache"
    args = ("compare", "--manifest", corpus / "m.tsv", "--model", tiny_model_dir, "--beam-width", 2)
    assert _run(capsys, *args, "--emissions", cache)[0] == 0
    real_touch = Path.touch

    def read_only(self, *a, **kw):  # a shared, read-only folder of saved emissions (chmod does not stop root)
        if cache in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_touch(self, *a, **kw)

    monkeypatch.setattr(Path, "touch", read_only)
    rc, out = _run(capsys, *args, "--emissions", cache)
    assert rc == 0 and "greedy" in out.out and "error" not in out.err
    # a folder that does not exist yet and cannot be made is still refused before the work
    rc, out = _run(capsys, *args, "--emissions", cache / "new")
    assert rc == 2 and "--emissions" in out.err


def test_saved_emissions_say_where_their_audio_was_whatever_folder_a_run_starts_in(tiny_model_dir, tmp_path,
                                                                                     monkeypatch, capsys):
    # a saved relative source ("data/x.wav") named the next run's own data/x.wav: another recording's emissions
    # were taken for it, silently (session 20 review); they keep their absolute path now
    for sub, freq in (("A", 300), ("B", 900)):
        (tmp_path / sub / "data").mkdir(parents=True)
        write_tone_wav(tmp_path / sub / "data" / "x.wav", 1.0, freq=freq)
        (tmp_path / sub / "m.tsv").write_text("audio\ttext\ndata/x.wav\tHELLO\n")
    base = ["compare", "--model", tiny_model_dir, "--beam-width", 2, "--emissions", tmp_path / "cache",
            "--manifest", "m.tsv"]
    monkeypatch.chdir(tmp_path / "A")
    assert _run(capsys, *base)[0] == 0
    monkeypatch.chdir(tmp_path / "B")
    rc, out = _run(capsys, *base)
    assert rc == 2 and f"saved emissions of {tmp_path / 'A' / 'data' / 'x.wav'}" in out.err


def test_saved_emissions_of_another_file_with_the_same_name_are_refused(tiny_model_dir, tmp_path, capsys):
    for sub, freq in (("a", 300), ("b", 900)):
        (tmp_path / sub).mkdir()
        write_tone_wav(tmp_path / sub / "x.wav", 1.0, freq=freq)
        (tmp_path / f"{sub}.tsv").write_text(f"audio\ttext\n{sub}/x.wav\tHELLO\n")
    base = ["compare", "--model", tiny_model_dir, "--beam-width", 2, "--emissions", tmp_path / "cache"]
    assert _run(capsys, *base, "--manifest", tmp_path / "a.tsv")[0] == 0
    rc, out = _run(capsys, *base, "--manifest", tmp_path / "b.tsv")  # same stem x, another recording
    assert rc == 2 and "saved emissions of" in out.err and "b/x.wav" in out.err
    np.savez(tmp_path / "cache" / "x.npz", log_probs=np.zeros((3, 3)))  # damaged: a cache computes it again
    rc, out = _run(capsys, *base, "--manifest", tmp_path / "a.tsv")  # (it was refused: "delete it ...")
    assert rc == 0 and "1 made that could not be read (damaged)" in out.err
    assert Emissions.load(tmp_path / "cache" / "x.npz").num_frames > 0


def test_lm_names_must_be_given_and_distinct():
    from ctcdecode_plus.cli import _parse_lms

    assert _parse_lms(["a/dom.arpa", "x=b/dom.arpa"]) == [("dom", "a/dom.arpa"), ("x", "b/dom.arpa")]
    for specs, needle in ((["a/dom.arpa", "b/dom.arpa.gz"], "named 'dom'"), (["=a.arpa"], "no name"),
                          (["x="], "no path")):
        with pytest.raises(CtcDecodeError, match=needle):
            _parse_lms(specs)


@pytest.mark.parametrize("option,value", [("--alphas", "nan"), ("--betas", "inf"), ("--hotword-weights", "nan"),
                                          ("--hotword-weights", "-5"),  # failed after the whole alpha/beta sweep
                                          ("--spotting-thresholds", "-1"), ("--max-false-insertions", "2"),
                                          ("--chunk-seconds", "0.001"), ("--chunk-seconds", "-1")])
def test_tune_grid_and_chunk_values_are_checked_when_parsed(option, value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tune", "--manifest", "m.tsv", "--lm", "x.arpa", option, value])
    assert f"argument {option}" in capsys.readouterr().err


def test_each_share_option_says_what_it_shares(capsys):
    # two parsers were once both named _share: the later one answered for --max-false-insertions too
    for argv, needle in ((["tune", "--manifest", "m.tsv", "--max-false-insertions", "2"], "share of utterances"),
                         (["transcribe", "a.wav", "--hotword-prefix-share", "2"], "a share in [0, 1]")):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)
        assert needle in capsys.readouterr().err


def test_chunk_seconds_below_the_minimum_is_refused_by_the_api(tiny_model_dir):
    from ctcdecode_plus.acoustic import AcousticModel

    model = AcousticModel.from_pretrained(tiny_model_dir, device="cpu")
    sig = np.random.default_rng(0).normal(0, 0.1, 16000 * 5).astype(np.float32)
    with pytest.raises(CtcDecodeError, match="at least 1 s"):
        model.emissions(sig, input_rate=16000, chunk_seconds=0.001)  # was: 20 ms windows, each with 4 s context


def test_tune_checks_a_missing_background_before_the_grid(tiny_model_dir, corpus, pyctc_data, capsys):
    rc, out = _run(capsys, "tune", "--manifest", corpus / "m.tsv", "--model", tiny_model_dir,
                   "--lm", pyctc_data / "bugs_bunny_kenlm.arpa", "--alphas", 0.5, "--betas", 0, "--beam-width", 2,
                   "--hotwords", "BUNNY", "--hotword-weights", 5, "--spotting-background", corpus / "nowhere")
    assert rc == 2 and "--spotting-background" in out.err and "alpha=" not in out.out


def test_spotting_background_without_lm_fails_before_the_background_runs(tiny_model_dir, corpus, tmp_path, capsys):
    background = tmp_path / "bg"
    background.mkdir()
    write_tone_wav(background / "b.wav", 1.0)
    (background / "broken.wav").write_bytes(b"not audio")
    rc, out = _run(capsys, "transcribe", corpus / "u0.wav", "--model", tiny_model_dir, "--hotwords", "HELLO",
                   "--spotting-background", background)
    assert rc == 2 and "give an LM (--lm)" in out.err and "skipped" not in out.err


def _interrupt_the_second_slice(monkeypatch) -> None:
    """``emissions`` computes one input a slice, and Ctrl-C comes during the second."""
    from ctcdecode_plus import cli
    from ctcdecode_plus.acoustic import AcousticModel

    calls = []
    real = AcousticModel.emissions_batch

    def interrupted_on_the_second_slice(self, sources, **kw):
        calls.append(sources)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, sources, **kw)

    monkeypatch.setattr(cli, "_SAVE_EMISSIONS_EVERY", 1)
    monkeypatch.setattr(AcousticModel, "emissions_batch", interrupted_on_the_second_slice)


def test_emissions_interrupted_keeps_what_was_written(tiny_model_dir, corpus, tmp_path, capsys, monkeypatch):
    _interrupt_the_second_slice(monkeypatch)
    rc, out = _run(capsys, "emissions", corpus / "u0.wav", corpus / "u1.wav", "-o", tmp_path / "ems",
                   "--model", tiny_model_dir)
    assert rc == 130 and "interrupted: 1 of 2" in out.err
    assert [p.name for p in (tmp_path / "ems").iterdir()] == ["u0.npz"]


# --- decoders -----------------------------------------------------------------------------------------------------
def test_beam_settings_are_checked_in_replace_too():
    dec = BeamSearchDecoder(beam_width=4)
    for change in ({"alpha": float("nan")}, {"beta": math.inf}, {"hotword_weight": float("nan")},
                   {"beam_width": 0}):
        with pytest.raises(CtcDecodeError, match=next(iter(change))):
            dec.replace(**change)  # the tune grid goes through replace(): nan failed deep in the search
    with pytest.raises(CtcDecodeError, match="beam_prune_logp"):
        BeamSearchDecoder(beam_prune_logp=5.0)  # pruned every beam: "max() arg is an empty sequence"
    with pytest.raises(CtcDecodeError, match="must be a string"):
        BeamSearchDecoder(hotwords=[5])


def test_decode_takes_emissions_and_decode_batch_checks_its_options():
    em = Emissions.from_logits(np.zeros((4, len(BASE_960H_VOCAB))), BASE_960H_VOCAB)
    for decoder in (GreedyDecoder(), BeamSearchDecoder(beam_width=2)):
        with pytest.raises(EmissionsError, match="Emissions.from_logits"):
            decoder.decode(em.log_probs)  # a bare array: was AttributeError
    assert isinstance(GreedyDecoder().decode_batch([em, None], errors="return")[1], EmissionsError)
    with pytest.raises(CtcDecodeError, match="errors="):
        GreedyDecoder().decode_batch([em], errors="ignore")
    with pytest.raises(CtcDecodeError, match="start_method"):
        GreedyDecoder().decode_batch([em, em], num_workers=2, start_method="threads")


def test_frames_where_no_token_is_possible_are_an_error():
    logits = np.zeros((5, len(BASE_960H_VOCAB)))
    logits[2] = -np.inf  # decoded as a uniform frame before: garbage text
    with pytest.raises(EmissionsError, match=r"1 frame\(s\).*frames \[2\]"):
        Emissions.from_logits(logits, BASE_960H_VOCAB)


# --- language models ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,needle", [
    (ARPA.split("\\2-grams:")[0] + "\\end\\\n", "header declares 2 orders"),  # python scorer: IndexError
    ("\\data\\\nngram 1=0\n\n\\1-grams:\n\n\\end\\\n", "no 1-grams"),
    (ARPA.replace("-0.38021123\tTest", "nan\tTest"), "'nan' is not a number"),
    (ARPA.replace("\tTest\t-0.30103\n", "\tTest\tnan\n"), "'nan' is not a number"),
    ("\ufeff" + ARPA, "byte-order mark"),
])
def test_malformed_arpa(tmp_path, text, needle):
    path = tmp_path / "lm.arpa"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LanguageModelError, match=needle):
        read_arpa(path)
    with pytest.raises(LanguageModelError, match=needle):
        perplexity(path, lines=["Test"], backend="python")


def test_python_perplexity_of_a_model_with_an_empty_order(tmp_path):
    path = tmp_path / "lm.arpa"
    path.write_text(ARPA.replace("ngram 2=2", "ngram 2=0").replace("-0.1497623\t<s> Test\n-0.1497623\tTest </s>\n", ""))
    assert perplexity(path, lines=["Test"], backend="python").words == 1  # was IndexError


def test_perplexity_says_when_the_alphabet_left_no_sentence(tmp_path):
    from ctcdecode_plus.lm.normalize import Alphabet

    path = tmp_path / "lm.arpa"
    path.write_text(ARPA)
    with pytest.raises(LanguageModelError, match="after normalising the text to the alphabet"):
        perplexity(path, lines=["Test"], alphabet=Alphabet.from_string("абв"), backend="python")


def test_order1_lm_in_beam_search_says_to_rebuild(tmp_path):
    pytest.importorskip("kenlm")
    path = tmp_path / "u.arpa"
    path.write_text(ARPA.replace("ngram 2=2\n", "").split("\\2-grams:")[0] + "\\end\\\n")
    with pytest.raises(LanguageModelError, match="beam search, needs order 2"):
        BeamSearchDecoder(path)


def test_a_byte_order_mark_is_not_part_of_the_first_word(tmp_path):
    text = tmp_path / "c.txt"
    text.write_text("\ufeffHELLO WORLD\nHELLO THERE\nTHE WORLD\n", encoding="utf-8")
    res = build_lm([text], tmp_path / "lm.arpa", 2, discount_fallback=True, binary=False)
    assert "\ufeff" not in res.arpa_path.read_text(encoding="utf-8")


# --- manifests and hotwords --------------------------------------------------------------------------------------
def test_manifest_with_bom_folder_or_json_array(tmp_path):
    (tmp_path / "bom.tsv").write_text("\ufeffaudio\ttext\nx.wav\tHELLO\n", encoding="utf-8")
    assert read_manifest(tmp_path / "bom.tsv")[0].text == "HELLO"
    (tmp_path / "bom.jsonl").write_text('\ufeff{"audio_filepath": "x.wav", "text": "HI"}\n', encoding="utf-8")
    assert read_manifest(tmp_path / "bom.jsonl")[0].text == "HI"
    with pytest.raises(ManifestError, match="is a folder"):
        read_manifest(tmp_path)
    (tmp_path / "a.json").write_text('[{"audio_filepath": "x.wav", "text": "HI"}]\n')
    with pytest.raises(ManifestError, match="JSON lines"):
        read_manifest(tmp_path / "a.json")


def test_hotwords_file_with_bom_and_empty_hotword(tmp_path, capsys):
    (tmp_path / "hw.txt").write_text("\ufeffLAMBDA\nTUPLE\n", encoding="utf-8")
    rc, out = _run(capsys, "spoken-forms", "--hotwords-file", tmp_path / "hw.txt")
    assert rc == 0 and out.out.splitlines() == ["LAMBDA", "TUPLE"]
    rc, out = _run(capsys, "spoken-forms", "--hotwords", "")
    assert rc == 2 and "empty" in out.err and "before ':'" not in out.err
    rc, out = _run(capsys, "spoken-forms", "--hotwords-file", tmp_path)
    assert rc == 2 and "is a folder" in out.err


# --- audio and models --------------------------------------------------------------------------------------------
def test_file_name_that_is_not_utf8(tmp_path):
    if os.name != "posix":
        pytest.skip("undecodable file names are a POSIX matter")
    name = os.fsdecode(b"caf\xe9.wav")
    try:
        write_tone_wav(tmp_path / "tone.wav")
        shutil.copy(tmp_path / "tone.wav", tmp_path / name)
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take undecodable names")
    assert load_audio(tmp_path / name).duration == pytest.approx(1.0)  # was "could not decode the audio"


@pytest.mark.parametrize("source,kwargs,needle", [
    (None, {}, "give an audio file path"),
    (5, {}, "give an audio file path"),
    (np.float32(0.5), {"input_rate": 16000}, "give an audio file path"),
    (np.zeros((2, 16000), np.float32) + 0.1, {"input_rate": 16000}, "more channels than samples"),
    (np.ones(16000, complex), {"input_rate": 16000}, "real numbers"),
    (np.ones(16000, np.float32), {"input_rate": "16000"}, "input_rate"),
    (np.ones(16000, np.float32), {"input_rate": 16000, "sampling_rate": 0}, "sampling_rate"),
])
def test_load_audio_rejects_what_is_not_audio(source, kwargs, needle):
    with pytest.raises(AudioError, match=needle):
        load_audio(source, **kwargs)


def test_a_wav_file_cut_short_is_said(tmp_path, caplog):
    full = write_tone_wav(tmp_path / "full.wav", 2.0).read_bytes()
    (tmp_path / "cut.wav").write_bytes(full[:len(full) // 2])  # header still announces 2 s
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        assert load_audio(tmp_path / "full.wav").duration == pytest.approx(2.0)
        assert not caplog.records
        assert load_audio(tmp_path / "cut.wav").duration == pytest.approx(1.0, abs=0.01)
    assert "cut.wav: the file is cut short or damaged (50 % of the audio its header announces is missing)" in caplog.text


def test_audio_object_with_nan_is_an_audio_error(tiny_model_dir):
    from ctcdecode_plus.acoustic import AcousticModel

    model = AcousticModel.from_pretrained(tiny_model_dir, device="cpu")
    with pytest.raises(AudioError, match="NaN"):  # not "the model produced invalid output"
        model.emissions(Audio(np.full(16000, np.nan, np.float32), 16000))


def test_damaged_model_folder(tiny_model_dir, tmp_path):
    from ctcdecode_plus.acoustic import AcousticModel

    folder = shutil.copytree(tiny_model_dir, tmp_path / "m")
    weights = next(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin"))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelError, match="weights file is damaged"):
        AcousticModel.from_pretrained(folder, device="cpu")
    (folder / "config.json").write_text("{bad")
    with pytest.raises(ModelError, match="config.json") as info:
        AcousticModel.from_pretrained(folder, device="cpu")
    assert "hub id" not in str(info.value)
    with pytest.raises(VocabularyError, match="has id 'x'"):
        Labels.from_vocab({"<pad>": 0, "|": 1, "A": "x"})
    with pytest.raises(VocabularyError, match="has id -1"):
        Labels.from_vocab({"<pad>": 0, "|": 1, "A": -1})
    vocab = json.loads((tiny_model_dir / "vocab.json").read_text())
    assert len(Labels.from_vocab(vocab)) == len(vocab)


@pytest.mark.parametrize("file,change,needle", [
    ("config.json", {"num_hidden_layers": "x"}, "config.json has a value transformers cannot use"),
    ("config.json", {"architectures": [["Wav2Vec2ForCTC"]]}, "architectures must be a list of class names"),
    ("processor_config.json", {"feature_extractor": -1}, "no usable tokenizer/feature extractor"),
    ("tokenizer_config.json", {"added_tokens_decoder": None}, "no usable tokenizer/feature extractor"),
], ids=["config-type", "config-architectures", "processor-type", "tokenizer-type"])
def test_a_model_file_with_a_value_of_the_wrong_type(tiny_model_dir, tmp_path, file, change, needle):
    # each was a traceback from inside transformers (found by a fuzz of the model folder's JSON files)
    from ctcdecode_plus.acoustic import AcousticModel

    folder = shutil.copytree(tiny_model_dir, tmp_path / "m")
    data = json.loads((folder / file).read_text())
    data.update(change)
    (folder / file).write_text(json.dumps(data))
    with pytest.raises(ModelError, match=needle):
        AcousticModel.from_pretrained(folder, device="cpu")


def test_public_calls_with_the_wrong_kind_of_argument_say_what_to_give(tiny_model_dir):
    # from a review: each of these was a bare TypeError, AttributeError, IndexError or a torch error
    import ctcdecode_plus as cp
    from ctcdecode_plus.errors import CtcDecodeError

    m = cp.load_model(tiny_model_dir)
    x = (0.3 * np.sin(np.arange(16000) / 5.0)).astype(np.float32)
    em = m.emissions(x, input_rate=16000)
    assert m.emissions(cp.Audio(np.stack([x, x], 1), 16000)).num_frames == em.num_frames  # stereo Audio: averaged
    assert m.emissions(cp.Audio(list(x), 16000)).num_frames == em.num_frames  # a list of samples
    assert cp.BeamSearchDecoder().prepare(list(m.labels.labels)) is not None  # a plain label list
    for call, needle in [(lambda: m.emissions(np.array(1.0), input_rate=16000), "shape"),
                         (lambda: cp.BeamSearchDecoder(123), "path of a KenLM model"),
                         (lambda: cp.BeamSearchDecoder().prepare(None), "model's labels"),
                         (lambda: cp.GreedyDecoder().decode_batch([em], num_workers="x"), "num_workers"),
                         (lambda: cp.transcribe(x, model=None, input_rate=16000), "model=None"),
                         (lambda: cp.read_manifest(None), "path of a manifest"),
                         (lambda: cp.wer(None, "a"), "reference None")]:
        with pytest.raises(CtcDecodeError, match=needle):
            call()


def test_reprs_and_argument_errors_name_the_thing_not_its_array(tiny_model_dir, pyctc_data):
    """From a review: an Emissions in an error message or a log pasted its whole array (1,263 characters); a decoder
    printed as <object at 0x...>; a sweep over a decoder it cannot tune ran the grid or raised AttributeError."""
    import ctcdecode_plus as cp
    from ctcdecode_plus.errors import CtcDecodeError
    from ctcdecode_plus.tune import tune_alpha_beta, tune_hotwords

    m = cp.load_model(tiny_model_dir)
    x = (0.3 * np.sin(np.arange(16000) / 5.0)).astype(np.float32)
    em = m.emissions(x, input_rate=16000)
    assert repr(em) == f"Emissions(source='<array>', frames={em.num_frames}, vocab={len(m.labels)}, " \
                       f"seconds_per_frame=0.02, audio_seconds=1.000)"
    assert repr(cp.Audio(x, 16000)) == "Audio(source='<array>', samples=16000, sampling_rate=16000, duration=1.000 s)"
    assert repr(m).startswith("AcousticModel(source=") and "chunk_seconds=" in repr(m)
    assert repr(cp.GreedyDecoder()) == "GreedyDecoder(pause_seconds=0.5, fill_gap_seconds=0.2, name='greedy')"
    lm = str(pyctc_data / "bugs_bunny_kenlm.arpa")
    beam = cp.BeamSearchDecoder(lm, alpha=0.8, hotwords=[f"W{i}" for i in range(7)], beam_width=16)
    assert repr(beam) == (f"BeamSearchDecoder(lm={lm!r}, alpha=0.8, hotwords=['W0', 'W1', 'W2', 'W3', 'W4', '... 2 "
                          "more'], beam_width=16, name='beam+lm+hotwords')")
    for call, needle in [(lambda: cp.compare({"g": cp.GreedyDecoder()}, [em]), "item 0 is a Emissions, not an Item"),
                         (lambda: cp.compare({"g": cp.GreedyDecoder()}, [cp.Item("u", x, "A")]),
                          "item 0 is an Item whose emissions are a ndarray"),
                         (lambda: tune_alpha_beta(cp.BeamSearchDecoder(), [cp.Item("u", em, "A")]), "has none"),
                         (lambda: tune_alpha_beta(cp.GreedyDecoder(), [cp.Item("u", em, "A")]), "GreedyDecoder"),
                         (lambda: tune_hotwords(cp.GreedyDecoder(), [cp.Item("u", em, "A")], ["A"]), "GreedyDecoder"),
                         (lambda: cp.BeamSearchDecoder(hotwords=["A"], hotword_weight=-5), "hotword_weight=-5")]:
        with pytest.raises(CtcDecodeError, match=needle) as e:
            call()
        assert len(str(e.value)) < 300


def test_an_interrupted_run_counts_skipped_inputs_as_the_failure_list_does(tiny_model_dir, corpus, tmp_path, capsys,
                                                                           monkeypatch):
    # "1 input(s) failed (of 2)" beside "interrupted: 1 of 2" once read as two different runs: the first counted
    # the input --skip-existing left out, the second did not
    files = [corpus / f"u{i}.wav" for i in range(3)]
    ems = tmp_path / "ems"
    assert _run(capsys, "emissions", files[0], "-o", ems, "--model", tiny_model_dir)[0] == 0
    _interrupt_the_second_slice(monkeypatch)
    rc, out = _run(capsys, "emissions", *files, "-o", ems, "--model", tiny_model_dir, "--skip-existing")
    assert rc == 130 and "interrupted: 2 of 3 inputs processed (1 skipped: their output" in out.err
    assert sorted(p.name for p in ems.iterdir()) == ["u0.npz", "u1.npz"]


def test_outputs_write_through_links_and_into_pipes_without_replacing_them(tmp_path, libri_emissions):
    """--json/--csv (and ARPA, emissions) put a plain file where a pipe or a link was: a reader of the pipe got
    nothing, and a link's target kept its old content while the link became a file."""
    import stat
    import threading

    from ctcdecode_plus.compare import _atomic_write
    from ctcdecode_plus.lm.arpa import atomic_write

    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    _atomic_write(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    with atomic_write(link) as fh:  # the LM tools' writer
        fh.write("newer")
    assert link.is_symlink() and target.read_text() == "newer"
    em_link = tmp_path / "em.npz"
    em_link.symlink_to(tmp_path / "real.npz")
    libri_emissions.save(em_link)
    assert em_link.is_symlink() and Emissions.load(tmp_path / "real.npz").num_frames == libri_emissions.num_frames

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    _atomic_write(fifo, "through the pipe")
    reader.join(timeout=30)
    assert got == ["through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["em.npz", "link.json", "pipe.json", "real.npz",
                                                          "target.json"]  # no temporary file left
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    with pytest.raises(CtcDecodeError, match="leads back to itself"):
        _atomic_write(tmp_path / "loop1", "x")
    assert (tmp_path / "loop1").is_symlink()  # not replaced by a file


def test_huge_seconds_and_frame_lengths_give_results_or_clear_errors(libri_emissions, capsys, tmp_path):
    """--fill-gap-seconds / --pause-seconds 1e308 and a saved frame length of 1e-320 s ended in OverflowError."""
    text = GreedyDecoder().decode(libri_emissions).text
    for dec in (GreedyDecoder(fill_gap_seconds=1e308), GreedyDecoder(pause_seconds=1e308),
                BeamSearchDecoder(beam_width=8, fill_gap_seconds=1e308, pause_seconds=1e308)):
        t = dec.decode(libri_emissions)
        assert t.text.replace(" ", "") == text.replace(" ", "") and t.words[-1].end <= libri_emissions.duration
    for spf in (1e-320, 1e300, 20.0):
        with pytest.raises(EmissionsError, match="not a frame length a CTC model has"):
            Emissions.from_logits(libri_emissions.log_probs, libri_emissions.labels, spf)
    npz = libri_emissions.save(tmp_path / "e.npz")
    rc, out = _run(capsys, "transcribe", npz, "--fill-gap-seconds", "1e308", "--pause-seconds", "1e308")
    assert rc == 0 and out.out.strip()


def test_a_full_disk_on_standard_output_is_an_error_not_a_traceback(libri_emissions, tmp_path):
    import subprocess
    import sys

    npz = libri_emissions.save(tmp_path / "e.npz")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "ctcdecode_plus.cli", "transcribe", str(npz), str(npz)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot write the output (No space left on device)" in done.stderr


def test_a_damaged_decoder_folder_names_the_file_and_value(tmp_path, pyctc_data, libri_emissions):
    import json as js

    folder = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa").save_pretrained(
        tmp_path / "dec", libri_emissions.labels)
    attrs = folder / "language_model" / "attrs.json"
    good = js.loads(attrs.read_text())
    for key, value, match in (("unk_score_offset", None, "unk_score_offset must be a finite number"),
                              ("alpha", [1], "alpha must be a finite number"),
                              ("score_boundary", "no", "score_boundary must be true or false")):
        attrs.write_text(js.dumps({**good, key: value}))
        with pytest.raises(LanguageModelError, match=match):
            BeamSearchDecoder.from_pretrained(folder)
    attrs.write_text(js.dumps(good))
    (folder / "language_model" / "unigrams.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(LanguageModelError, match="unigrams.txt: not UTF-8"):
        BeamSearchDecoder.from_pretrained(folder)


def test_audio_rates_are_checked_and_8_bit_samples_are_centred():
    from ctcdecode_plus.audio import Audio, load_audio

    for rate in (0, float("nan"), -16000, True):
        with pytest.raises(AudioError, match="sampling_rate"):
            Audio(np.zeros(10, np.float32), rate)
    a = load_audio(np.array([0, 128, 255] * 2000, np.uint8), input_rate=16000)
    assert a.samples[:3].tolist() == pytest.approx([-1.0, 0.0, 127 / 128])
    with pytest.raises(AudioError, match="silent"):  # 8-bit silence is 128: it read as a DC offset of 0.5
        load_audio(np.full(16000, 128, np.uint8), input_rate=16000)


def test_lm_tools_say_what_they_cannot_do_well(tmp_path, capsys, libri_emissions):
    """A CR-only text read as one sentence, an upper-case model mixed with a lower-case one, an empty hotword and a
    comparison of no decoders: each passed without a word."""
    from ctcdecode_plus.compare import Item, compare
    from ctcdecode_plus.lm.build import build_lm

    (tmp_path / "mac.txt").write_bytes(b"HELLO WORLD\rHELLO THERE\rTHE WORLD\r")
    res = build_lm([tmp_path / "mac.txt"], tmp_path / "mac.arpa", 2, discount_fallback=True, binary=False)
    assert res.sentences == 1 and any("carriage returns (CR)" in w and "mac.txt:1" in w for w in res.warnings)
    (tmp_path / "up.txt").write_text("HELLO WORLD\nHELLO THERE\nTHE WORLD\n")
    (tmp_path / "low.txt").write_text("hello world\nhello there\nthe world\n")
    for name in ("up", "low"):
        build_lm([tmp_path / f"{name}.txt"], tmp_path / f"{name}.arpa", 2, discount_fallback=True, binary=False)
    rc, out = _run(capsys, "build-lm", tmp_path / "up.txt", "-o", tmp_path / "mixed.arpa", "--order", 2,
                   "--discount-fallback", "--no-binary", "--mix", f"{tmp_path / 'low.arpa'}:0.5")
    assert rc == 2 and "in upper case and" in out.err and not (tmp_path / "mixed.arpa").exists()
    # a model of text as it was (mixed case) beside an upper-case one: the mix was written, then refused by every
    # decoder (an audit)
    (tmp_path / "raw.txt").write_text("Hello World\nhello there\nThe world\n")
    build_lm([tmp_path / "raw.txt"], tmp_path / "raw.arpa", 2, discount_fallback=True, binary=False)
    rc, out = _run(capsys, "build-lm", tmp_path / "up.txt", "-o", tmp_path / "mixed.arpa", "--order", 2,
                   "--discount-fallback", "--no-binary", "--mix", f"{tmp_path / 'raw.arpa'}:0.5")
    assert rc == 2 and "raw.arpa writes its words in mixed case" in out.err
    assert not (tmp_path / "mixed.arpa").exists()
    with pytest.raises(CtcDecodeError, match=r"entry 2 \(counted from 1\) is empty"):  # it was 1, from 0
        BeamSearchDecoder(hotwords=["BUNNY", " "])
    with pytest.raises(CtcDecodeError, match="at least one"):
        compare({}, [Item("u", libri_emissions, "I HAVE")])


def test_messages_name_the_real_cause(tmp_path, capsys, tiny_model_dir):
    """Each of these errors used to blame something else (a missing link target, another line, Latin-1, a file
    that exists) or to name nothing."""
    from ctcdecode_plus.audio import load_audio
    from ctcdecode_plus.decoders import read_hotwords
    from ctcdecode_plus.lm.arpa import read_arpa
    from ctcdecode_plus.lm.build import build_lm
    from ctcdecode_plus.lm.perplexity import perplexity

    (tmp_path / "a.wav").symlink_to(tmp_path / "b.wav")
    (tmp_path / "b.wav").symlink_to(tmp_path / "a.wav")
    with pytest.raises(AudioError, match="leads back to itself"):
        load_audio(tmp_path / "a.wav")
    (tmp_path / "h.txt").write_text("# a note\nSUPPORTING # the verb\n")
    with pytest.raises(CtcDecodeError, match="line 2: .*a comment only at the start of a line"):
        read_hotwords(tmp_path / "h.txt")
    (tmp_path / "u16.txt").write_text("HELLO WORLD\n", encoding="utf-16")
    with pytest.raises(LanguageModelError, match="it is UTF-16: iconv -f UTF-16"):
        build_lm([tmp_path / "u16.txt"], tmp_path / "o.arpa", 2, binary=False)
    (tmp_path / "m.tsv").write_text("audio\ttext\nx.wav\tHI\n", encoding="utf-16")
    with pytest.raises(ManifestError, match="it is UTF-16"):
        read_manifest(tmp_path / "m.tsv")
    arpa = ("\\data\\\nngram 1=4\nngram 2=1\n\n\\1-grams:\n-1\t<unk>\t0\n0\t<s>\t-0.3\n-1\t</s>\t0\n-1\t\t-0.3\n\n"
            "\\2-grams:\n-0.1\t<s> </s>\n\n\\end\\\n")
    (tmp_path / "e.arpa").write_text(arpa)
    with pytest.raises(LanguageModelError, match=r"e.arpa:9: two tabs together"):
        read_arpa(tmp_path / "e.arpa")
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "lm.txt").write_text("HELLO WORLD\nHELLO THERE\n")
    lm = build_lm([tmp_path / "lm.txt"], tmp_path / "lm.arpa", 2, discount_fallback=True, binary=False).arpa_path
    with pytest.raises(LanguageModelError, match="empty.txt: no sentences to score"):
        perplexity(lm, [tmp_path / "empty.txt"], backend="python")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "m.tsv").write_text("audio\ttext\nx.wav\tHI\n")
    assert read_manifest(os.path.relpath(sub / "m.tsv"))[0].audio == str(sub / "x.wav")  # absolute
    import soundfile as sf

    sf.write(tmp_path / "one.wav", np.array([0.5, -0.5], np.float32), 16000)
    rc, out = _run(capsys, "transcribe", tmp_path / "one.wav", "--model", tiny_model_dir)
    assert rc == 1 and "audio of 2 samples (0.1 ms)" in out.err  # was "audio of 0.000 s"


def test_a_long_silent_file_is_refused_before_its_first_window(tmp_path):
    """A 10-minute silent recording went through the model (50 s here) before it was called silent."""
    import soundfile as sf

    from ctcdecode_plus.audio import stream_chunks

    sf.write(tmp_path / "silent.flac", np.zeros(16000 * 60, np.int16), 16000, subtype="PCM_16")
    late = np.zeros(16000 * 60, np.float32)
    late[16000 * 59] = 0.5  # one sound in the last second: not silent
    sf.write(tmp_path / "late.flac", late, 16000, subtype="PCM_16")
    with pytest.raises(AudioError, match="silent"):
        next(stream_chunks(tmp_path / "silent.flac", 16000, 20.0, 2.0, 320, min_seconds=24))
    windows = list(stream_chunks(tmp_path / "late.flac", 16000, 20.0, 2.0, 320, min_seconds=24))
    assert [(w.start, w.end) for w in windows] == [(0.0, 20.0), (20.0, 40.0), (40.0, 60.0)]


def test_worker_pools_stop_when_their_caller_stops(libri_emissions, pyctc_data, tmp_path):
    """From a review: a pool left half-way (a generator closed, an error in the consumer) waited for every queued
    decode; compare kept one pool open while the hotword pass started another."""
    import multiprocessing
    import threading

    from ctcdecode_plus.compare import Item, compare

    batch = [libri_emissions] * 40
    threads = set(threading.enumerate())
    gen = SlowGreedy(marks=str(tmp_path)).timed_decodes(batch, 2)
    assert next(gen)[0].text == GreedyDecoder().decode(libri_emissions).text
    gen.close()
    assert not multiprocessing.active_children()
    # the workers were stopped, not left to run the queue: a decode marks its start, and when close() returned
    # (all workers gone) far fewer than the 40 had started (before: every one, close() waiting for them)
    assert 1 <= len(list(tmp_path.iterdir())) <= 20
    # and the pool's own threads are gone too: its call queue's feeder, left blocked, made CI's process hang at exit
    assert set(threading.enumerate()) <= threads
    slow = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=8)
    items = [Item(f"u{i}", libri_emissions, "I HAVE") for i in range(4)]
    seen = []

    def count_workers(_):
        seen.append(len(multiprocessing.active_children()))

    compare({"a": slow, "b": slow.replace(hotwords=["BUNNY"], name="b")}, items, hotwords=["BUNNY"],
            num_workers=2, progress=count_workers)
    assert max(seen) <= 2 and not multiprocessing.active_children()
    assert set(threading.enumerate()) <= threads


def test_review_mends_for_manifests_archives_and_grids(tmp_path, pyctc_data, libri_emissions):
    import gzip as gz

    from ctcdecode_plus.compare import Item
    from ctcdecode_plus.lm.arpa import read_arpa
    from ctcdecode_plus.tune import tune_alpha_beta, tune_hotwords

    data = bytearray(gz.compress(open(pyctc_data / "bugs_bunny_kenlm.arpa", "rb").read() * 3))
    for i in range(30, 60):
        data[i] ^= 0xFF  # a damaged deflate stream: zlib.error, not an OSError, was a traceback
    (tmp_path / "bad.arpa.gz").write_bytes(bytes(data))
    with pytest.raises(LanguageModelError, match="bad.arpa.gz: cannot read"):
        read_arpa(tmp_path / "bad.arpa.gz")
    with pytest.raises(LanguageModelError, match="bad.arpa.gz: cannot read"):
        BeamSearchDecoder(tmp_path / "bad.arpa.gz")
    lm = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=4)
    items = [Item("u", libri_emissions, "I HAVE")]
    with pytest.raises(CtcDecodeError, match="at least one alpha"):
        tune_alpha_beta(lm, items, [], [0.0])
    with pytest.raises(CtcDecodeError, match="at least one hotword weight"):
        tune_hotwords(lm, items, ["BUNNY"], [])


class SlowGreedy(GreedyDecoder):
    """A greedy decoder that takes 0.2 s an utterance (module level: worker processes unpickle it), leaving a file
    in ``marks`` (a folder) as each decode starts."""

    def __init__(self, marks=None):
        super().__init__()
        self.marks = marks

    def decode(self, emissions):
        import tempfile
        import time

        if self.marks:
            tempfile.mkstemp(dir=self.marks)
        time.sleep(0.2)
        return super().decode(emissions)


def test_second_audit_silent_errors_and_api_tracebacks(tmp_path, tiny_model_dir, libri_emissions, pyctc_data, capsys):
    """A subword vocabulary lost its tokens from every transcript; a tuning run of failed decodes chose a setting;
    build-lm overwrote its own --mix input; and the Python API raised TypeErrors and worse for plain mistakes."""
    import torch

    from ctcdecode_plus import each_transcript, load_model, transcribe
    from ctcdecode_plus.compare import Item
    from ctcdecode_plus.lm.build import build_lm
    from ctcdecode_plus.transcript import Word
    from ctcdecode_plus.tune import tune_alpha_beta, tune_hotwords

    with pytest.raises(VocabularyError, match="tokens of several characters \\('▁the', 'ab'\\)"):
        Emissions.from_logits(np.zeros((3, 6)), ["", " ", "▁the", "ab", "c", "d"])
    assert Labels.from_list(["", " ", "a", "<unk>", "</s>"]).suppressed == (3, 4)  # markup stays special
    cannot_spell = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=4, hotwords=["C++"])
    items = [Item("u", libri_emissions, "I HAVE")]
    with pytest.raises(CtcDecodeError, match="every decode failed.*C\\+\\+"):
        tune_alpha_beta(cannot_spell, items, [0.5, 1.0], [0.0])
    lm = cannot_spell.replace(hotwords=[])
    with pytest.raises(CtcDecodeError, match="give the hotwords"):
        tune_hotwords(lm, items, [])
    with pytest.raises(CtcDecodeError, match="alphas 'x'"):
        tune_alpha_beta(lm, items, ["x"], [0.0])
    (tmp_path / "t.txt").write_text("HELLO WORLD\nHELLO THERE\n")
    mix = build_lm([tmp_path / "t.txt"], tmp_path / "m.arpa", 2, discount_fallback=True, binary=False).arpa_path
    before = mix.read_bytes()
    rc, out = _run(capsys, "build-lm", tmp_path / "t.txt", "-o", mix, "--order", 2, "--discount-fallback",
                   "--mix", f"{mix}:0.3")
    assert rc == 2 and "is also an input" in out.err and mix.read_bytes() == before
    with pytest.raises(LanguageModelError, match="is also the text to count"):
        build_lm([tmp_path / "t.txt"], tmp_path / "t.txt", 2)
    model = load_model(tiny_model_dir)
    sound = np.sin(np.arange(16000) / 5).astype(np.float32)
    for call, match in [(lambda: transcribe(sound, model=model, input_rate=16000, bogus=1), "no option 'bogus'"),
                        (lambda: next(each_transcript([sound], model, "greedy")), "is not a decoder"),
                        (lambda: next(each_transcript([sound], model, GreedyDecoder(), num_workers=2.5)),
                         "num_workers=2.5"),
                        (lambda: model.emissions(sound, input_rate=16000, progress=5), "progress=5"),
                        (lambda: BeamSearchDecoder.from_pretrained(None), "folder=None is not a path"),
                        (lambda: Word("a", float("nan"), 1.0), "must be finite")]:
        with pytest.raises(CtcDecodeError, match=match):
            call()
    logits = torch.randn(10, len(model.labels), requires_grad=True) * 2  # model(x).logits outside no_grad
    assert Emissions.from_logits(logits, model.labels).num_frames == 10
    assert len(model.emissions_batch((s for s in [sound, sound]), input_rate=16000)) == 2  # a generator


def test_second_audit_valid_input_is_read_and_messages_fit(tmp_path, capsys, pyctc_data, libri_emissions):
    """16-bit values in an int64 array were "silent"; 1 GHz was "0 samples"; a transformers-5 processor folder
    was refused; pyctcdecode's own folders warned that <s> and </s> do not fit the alphabet; --format ctm dropped
    the confidences it prints; spoken-forms left half its output before failing; a VTT cue could hold '-->'."""
    import logging

    from ctcdecode_plus.lm.package import _has_processor
    from ctcdecode_plus.transcript import Transcript, Word

    wave = (np.sin(np.arange(16000) / 5) * 20000).astype(np.int64)  # what np.array(list_of_ints) gives
    assert load_audio(wave, input_rate=16000).samples.max() == pytest.approx(20000 / 32767, rel=1e-3)
    full = (np.sin(np.arange(16000) / 5) * 2e9).astype(np.int32)  # true 32-bit PCM keeps its scale
    assert load_audio(full, input_rate=16000).samples.max() == pytest.approx(2e9 / (2 ** 31 - 1), rel=1e-3)
    with pytest.raises(AudioError, match="above 1000000 Hz"):
        load_audio(np.full(100, 0.1, np.float32), input_rate=10 ** 9)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "processor_config.json").write_text("{}")
    assert _has_processor(tmp_path / "proc") and not _has_processor(tmp_path)
    from pyctcdecode import build_ctcdecoder

    labels = list(libri_emissions.labels.labels)
    (tmp_path / "py").mkdir()
    build_ctcdecoder(labels, str(pyctc_data / "bugs_bunny_kenlm.arpa")).save_to_dir(str(tmp_path / "py"))
    with caplog_at(logging.WARNING) as records:
        BeamSearchDecoder.from_pretrained(tmp_path / "py").decode(libri_emissions)
    assert not [r for r in records if "outside the model's alphabet" in r.getMessage()]
    npz = libri_emissions.save(tmp_path / "e.npz")
    rc, out = _run(capsys, "transcribe", npz, "--format", "ctm")
    assert rc == 0 and "--word-confidence" not in out.err and len(out.out.split("\n")[0].split()) == 6
    rc, out = _run(capsys, "spoken-forms", "--hotwords", "STDLIB", "HEAPPUSH", "")
    assert rc == 2 and out.out == ""
    vtt = Transcript("A-->B", [Word("A-->B", 0.0, 0.5), Word("<i>", 0.5, 1.0)], 0.0).to_vtt()
    assert "A--&gt;B &lt;i&gt;" in vtt and vtt.count("-->") == 1


@contextlib.contextmanager
def caplog_at(level):
    """The log records of ``level`` and above while the block runs (pytest's caplog without the fixture)."""
    import logging

    records = []
    handler = logging.Handler(level)
    handler.emit = records.append
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


def test_build_lm_mix_names_a_repeated_model_and_the_mix_order(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("HELLO WORLD\nHELLO THERE\nTHE WORLD\n")
    three = build_lm([tmp_path / "a.txt"], tmp_path / "three.arpa", 3, discount_fallback=True, binary=False)
    rc, out = _run(capsys, "build-lm", tmp_path / "a.txt", "-o", tmp_path / "m.arpa", "--order", 2,
                   "--discount-fallback", "--mix", f"{three.arpa_path}:0.2", "--mix", f"{three.arpa_path}:0.1")
    assert rc == 2 and "given twice" in out.err
    rc, out = _run(capsys, "build-lm", tmp_path / "a.txt", "-o", tmp_path / "m.arpa", "--order", 2,
                   "--discount-fallback", "--no-binary", "--mix", f"{three.arpa_path}:0.2")
    assert rc == 0 and "the mix has order 3" in out.err


def test_a_worker_that_dies_is_an_error_not_a_hang(libri_emissions):
    """multiprocessing.Pool waits for ever on a task whose worker was killed (a segfault in a C library)."""
    with pytest.raises(CtcDecodeError, match="worker process died"):
        DyingGreedy().decode_batch([libri_emissions] * 4, 2)


class DyingGreedy(GreedyDecoder):
    """A decoder whose worker process is killed mid-decode (module level: workers unpickle it)."""

    def decode(self, emissions):
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def test_spotting_background_of_saved_emissions_is_checked_against_the_inputs(tmp_path, capsys, libri_emissions,
                                                                              pyctc_data):
    """With saved emissions as inputs, background emissions of the same model were refused as "another model"
    than --model (the demo model, which the run does not use)."""
    npz = libri_emissions.save(tmp_path / "libri.npz")
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    rc, out = _run(capsys, "transcribe", npz, "--lm", lm, "--hotwords", "SOMEDAY", "--spotting-background", npz)
    assert rc == 0 and out.out.startswith("i have") and "another model" not in out.err


def test_from_pretrained_blames_a_bad_override_not_the_folder(tmp_path, pyctc_data, libri_emissions):
    folder = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa").save_pretrained(tmp_path / "d",
                                                                                    libri_emissions.labels)
    with pytest.raises(CtcDecodeError, match="from_pretrained.*alpha='x'") as err:
        BeamSearchDecoder.from_pretrained(folder, alpha="x")
    assert "its settings do not make a decoder" not in str(err.value)


def test_build_lm_never_writes_over_its_own_text_and_empty_values_are_refused(tmp_path, capsys):
    """From an audit of the LM tools: `build-lm notes.unigrams.txt -o notes.arpa` replaced the corpus with the word
    list (the build writes OUT.unigrams.txt beside OUT.arpa); `-o ""` failed with "No such file or directory";
    `--save-decoder ""`, `--lm ""` and `--alphabet-from ""` were taken as left out."""
    from ctcdecode_plus.errors import LanguageModelError
    from ctcdecode_plus.lm.build import build_lm

    corpus = tmp_path / "notes.unigrams.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n")
    kept = corpus.read_text()
    assert main(["build-lm", str(corpus), "-o", str(tmp_path / "notes.arpa"), "--order", "2",
                 "--discount-fallback"]) == 2
    assert "notes.unigrams.txt" in capsys.readouterr().err and corpus.read_text() == kept
    with pytest.raises(LanguageModelError, match="is also the text to count.*unigrams.txt beside it"):
        build_lm(corpus, tmp_path / "notes.arpa.gz", order=2, discount_fallback=True)
    assert corpus.read_text() == kept and not (tmp_path / "notes.arpa.gz").exists()
    for argv in (["build-lm", str(corpus), "-o", "", "--order", "2"],
                 ["build-lm", str(corpus), "-o", str(tmp_path / "x.arpa"), "--order", "2", "--alphabet-from", ""],
                 ["transcribe", str(corpus), "--lm", ""],
                 ["tune", "--manifest", str(corpus), "--save-decoder", " "]):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2 and "an empty value" in capsys.readouterr().err


def test_third_audit_big_numbers_pipes_long_names_and_what_skip_existing_counts_as_done(tiny_model_dir, corpus,
                                                                                        tmp_path, capsys):
    """From a bad-input sweep (session 23): each of these gave a traceback, a hang, a wrong exit status, or work
    skipped that was never done."""
    from ctcdecode_plus.acoustic import AcousticModel
    from ctcdecode_plus.decoders import GreedyDecoder
    from ctcdecode_plus.emissions import Emissions
    from ctcdecode_plus.errors import ModelError
    from ctcdecode_plus.pipeline import each_transcript

    model = AcousticModel.from_pretrained(tiny_model_dir)
    wav = str(corpus / "u0.wav")
    # a whole number of 400 digits (OverflowError from float()), in a model folder's settings and in the API
    folder = tmp_path / "big"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "ctcdecode_plus.json").write_text('{"context_seconds": 1' + "0" * 400 + "}")
    with pytest.raises(ModelError, match="ctcdecode_plus.json"):
        AcousticModel.from_pretrained(folder)
    (folder / "ctcdecode_plus.json").unlink()
    (folder / "ctcdecode_plus.json").mkdir()  # was ignored: the model ran with the library's defaults
    with pytest.raises(ModelError, match="not a file"):
        AcousticModel.from_pretrained(folder)
    with pytest.raises(CtcDecodeError, match="context_seconds=1000"):
        model.emissions(wav, context_seconds=10 ** 400)
    assert model.emissions(wav, chunk_seconds=np.float32(5)).num_frames > 0  # numpy numbers are numbers
    for bad in ("x", None, float("nan"), 0):
        with pytest.raises(ModelError, match="batch_seconds"):
            model.emissions_batch([wav, wav], batch_seconds=bad, chunk_seconds=0)
    # a manifest offset of 400 digits: a listed failure, not a traceback
    (tmp_path / "m.json").write_text(json.dumps({"audio_filepath": wav, "text": "A"})[:-1]
                                     + ', "offset": 1' + "0" * 400 + "}\n")
    rc, out = _run(capsys, "compare", "--manifest", tmp_path / "m.json", "--model", tiny_model_dir)
    assert rc == 2 and "offset" in out.err
    # more workers than cores: capped (541 processes for --jobs 1000 on 2 cores; 10**20 overflowed a C int)
    em = model.emissions(wav)
    assert [t.text for _, _, t in each_transcript([em, em], None, GreedyDecoder(), num_workers=10 ** 20)] \
        == [GreedyDecoder().decode(em).text] * 2
    # a FIFO given as the LM: refused, where KenLM waited for ever
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "lm.arpa")
        rc, out = _run(capsys, "transcribe", wav, "--model", tiny_model_dir, "--lm", tmp_path / "lm.arpa")
        assert rc == 2 and "not a regular file" in out.err
    # a name too long for the system: a listed failure in a batch (the other input done), and for -o a usage error
    long_name = str(tmp_path / ("x" * 300 + ".wav"))
    rc, out = _run(capsys, "transcribe", wav, long_name, "--model", tiny_model_dir)
    assert rc == 1 and "cannot be read" in out.err and out.out.startswith(wav)
    rc, out = _run(capsys, "transcribe", wav, "--model", tiny_model_dir, "-o", tmp_path / ("y" * 300))
    assert rc == 2 and "too long" in out.err
    # --skip-existing: a folder, or a file that is not ours, in an output's place is not a finished output
    out_dir = tmp_path / "out"
    (out_dir / "u0.json").mkdir(parents=True)
    rc, out = _run(capsys, "transcribe", wav, "--model", tiny_model_dir, "--format", "json,srt", "-o", out_dir,
                   "--skip-existing")
    assert rc == 1 and "is a folder" in out.err
    (out_dir / "u0.json").rmdir()
    (out_dir / "u0.json").write_text("not json")
    rc, out = _run(capsys, "transcribe", wav, "--model", tiny_model_dir, "--format", "json,srt", "-o", out_dir,
                   "--skip-existing")
    assert rc == 0 and json.loads((out_dir / "u0.json").read_text())["audio"] == wav
    (tmp_path / "ems").mkdir()
    (tmp_path / "ems" / "u0.npz").write_bytes(b"garbage")
    rc, out = _run(capsys, "emissions", wav, "--model", tiny_model_dir, "-o", tmp_path / "ems", "--skip-existing")
    assert rc == 0 and Emissions.load(tmp_path / "ems" / "u0.npz").num_frames == em.num_frames
    # -o out.json with several formats: a folder name is asked for, not a redirect of one format
    rc, out = _run(capsys, "transcribe", wav, "--model", tiny_model_dir, "--format", "srt,json", "-o",
                   tmp_path / "res.json")
    assert rc == 2 and "each input and format" in out.err and "redirect" not in out.err
