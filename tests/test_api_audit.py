"""The public Python API as a user calls it, from a third audit (session 22): the Emissions constructor checks
what the decoders rely on, a batch goes on past any one bad item, and results compare as objects."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from ctcdecode_plus import compare
from ctcdecode_plus.audio import Audio
from ctcdecode_plus.compare import Item
from ctcdecode_plus.decoders import BeamSearchDecoder, GreedyDecoder
from ctcdecode_plus.emissions import LOG_FLOOR, Emissions
from ctcdecode_plus.errors import CtcDecodeError, EmissionsError
from ctcdecode_plus.metrics import wer
from ctcdecode_plus.pipeline import each_transcript, transcribe

LIBRI_LABELS = list(" abcdefghijklmnopqrstuvwxyz'") + [""]


def test_the_constructor_refuses_what_from_logits_refuses(libri_emissions):
    em = libri_emissions
    nan = em.log_probs.copy()
    nan[3:5] = np.nan
    cases = [  # each decoded to a wrong text, an AxisError or an AttributeError deep in a decoder before
        ((nan, em.labels, 0.02), "NaN"),
        ((em.log_probs[:, 0], em.labels, 0.02), r"\[frames, vocab\]"),
        ((em.log_probs, em.labels, 20), "milliseconds"),  # gave word times in the hundreds of seconds
        ((em.log_probs + 1.0, em.labels, 0.02), "not normalised.*from_logits"),  # logits given as log-probs
        ((em.log_probs, 3, 0.02), "labels"),
        ((em.log_probs[:, :5], em.labels, 0.02), "5 columns"),
        ((em.log_probs.astype(int), em.labels, 0.02), "float"),
    ]
    for args, match in cases:
        with pytest.raises(EmissionsError, match=match):
            Emissions(*args)
    import torch

    for log_probs, labels in ((torch.tensor(em.log_probs), em.labels), (em.log_probs.astype(np.float64),
                                                                          LIBRI_LABELS)):
        made = Emissions(log_probs, labels, 0.02)  # a tensor, float64, a plain label list: taken as they are
        assert made.log_probs.dtype == np.float32 and made.labels == em.labels
        assert GreedyDecoder().decode(made).text == GreedyDecoder().decode(em).text
    zero = em.log_probs.copy()
    zero[:, em.labels.blank_id] = np.where(zero.argmax(1) == em.labels.blank_id, zero[:, em.labels.blank_id], -np.inf)
    zero = zero - np.log(np.exp(zero).sum(1, keepdims=True))
    assert Emissions(zero, em.labels, 0.02).log_probs.min() == LOG_FLOOR  # probability 0: floored, as from_logits


def test_results_holding_arrays_compare_as_objects(libri_emissions):
    em = libri_emissions  # `==` raised "truth value of an array is ambiguous", and so did `x in list`
    other = Emissions(em.log_probs, em.labels, 0.02)
    assert em == em and em != other and em in [other, em] and other not in [em]
    item = Item("u", em, "ref")
    assert item in [item] and Item("u", em, "ref") not in [item]
    audio = Audio(np.zeros(1600, np.float32), 16000)
    assert audio in [audio]


def test_a_piece_is_a_frame_range_inside_the_emissions(libri_emissions):
    em = libri_emissions
    assert em.piece(10, 20).num_frames == 10 and em.piece(0, em.num_frames).num_frames == em.num_frames
    for start, end in ((-10, 5), (200, 100), (0, em.num_frames + 1), (1.5, 3)):  # were silently 0 frames
        with pytest.raises(EmissionsError, match="piece"):
            em.piece(start, end)


class _FailsOn(GreedyDecoder):
    """Greedy decoding that fails, as a bug would (not a CtcDecodeError), on emissions from one source."""

    def __init__(self, source: str):
        super().__init__()
        self.bad_source = source

    def decode(self, emissions):
        if emissions.source == self.bad_source:
            raise ValueError("max() arg is an empty sequence")
        return super().decode(emissions)


def test_an_unexpected_error_fails_its_item_and_the_batch_goes_on(libri_emissions):
    em = libri_emissions
    good, bad = Emissions(em.log_probs, em.labels, 0.02, "good"), Emissions(em.log_probs, em.labels, 0.02, "bad")
    dec = _FailsOn("bad")
    out = dec.decode_batch([good, bad, good], errors="return")  # the whole batch raised ValueError
    assert [type(x).__name__ for x in out] == ["Transcript", "CtcDecodeError", "Transcript"]
    assert "bad: decoding failed unexpectedly (ValueError" in str(out[1])
    texts = [(s, None if isinstance(t, CtcDecodeError) else t.text) for s, _, t in each_transcript([good, bad, good],
                                                                                                   None, dec)]
    assert [t is None for _, t in texts] == [False, True, False]
    ref = "i have a good deal of will you remember"
    result = compare({"g": dec}, [Item("a", good, ref), Item("b", bad, ref), Item("c", good, ref)])
    assert result.decoders["g"].failed == 1 and len(result.utterances) == 3
    with pytest.raises(CtcDecodeError, match="bad: decoding failed"):  # one recording alone: its error
        transcribe(bad, decoder=dec)


def test_compare_takes_an_input_that_failed_before_decoding_as_a_failure(libri_emissions):
    ref = "i have a good deal of will you remember"
    failed = CtcDecodeError("broken.wav: not an audio file")  # what AcousticModel.emissions_batch puts in its place
    result = compare({"g": GreedyDecoder()}, [Item("a", libri_emissions, ref), Item("b", failed, ref)])
    assert [f["id"] for f in result.failures] == ["b"] and "broken.wav" in result.failures[0]["error"]
    assert [u.id for u in result.utterances] == ["a"]  # was: compare() refused the whole call
    with pytest.raises(CtcDecodeError, match="every one of the 1 item"):
        compare({"g": GreedyDecoder()}, [Item("b", failed, ref)])


def test_acoustic_frame_counts_and_small_api_checks(libri_emissions, caplog):
    from ctcdecode_plus.acoustic import AcousticModel

    model = AcousticModel.from_pretrained("demo", device="cpu")
    assert model.num_frames(0) == 0 == model.num_frames(10) and model.num_frames(16000) == 49  # 0 and 10 were -1
    with pytest.raises(CtcDecodeError, match="num_frames"):
        model.num_frames(-5)
    with pytest.raises(CtcDecodeError, match="no utterances"):
        wer([], [])  # was 0.0: a perfect score for nothing
    with caplog.at_level(logging.WARNING, logger="ctcdecode_plus.pipeline"):
        transcribe(libri_emissions, alpha=0.8)  # beam search without an LM: alpha did nothing, silently
    assert "alpha" in caplog.text and "lm=" in caplog.text
    with pytest.raises(CtcDecodeError, match="nbest"):
        BeamSearchDecoder(nbest=0)


def test_manifest_items_make_compare_one_call_from_a_manifest(tmp_path):
    """Turning a manifest into compare() items needed the CLI's private helper (and NeMo segments were scored as
    whole files by the obvious emissions_batch of the paths)."""
    import shutil

    from ctcdecode_plus import manifest_items
    from ctcdecode_plus.acoustic import AcousticModel
    from ctcdecode_plus.manifest import read_manifest

    demo = read_manifest(Path(__file__).resolve().parents[1] / "demo" / "manifest.tsv")[:2]
    a, b = (shutil.copy(e.audio, tmp_path) for e in demo)
    model = AcousticModel.from_pretrained("demo", device="cpu")
    model.emissions(b).save(tmp_path / "b_saved.npz")
    (tmp_path / "broken.wav").write_bytes(b"not audio")
    (tmp_path / "m.tsv").write_text(
        "audio\ttext\toffset\tduration\n"
        f"{Path(a).name}\t{demo[0].text}\t\t\n"
        f"{Path(a).name}\tFIRST SECOND\t0.5\t1.0\n"  # a segment of the same file: the model runs on it once
        f"b_saved.npz\t{demo[1].text}\t\t\n"
        f"broken.wav\tX\t\t\n"
        f"{Path(a).name}\t...\t\t\n")  # no words to score
    items, failures = manifest_items(tmp_path / "m.tsv", model)
    assert [it.emissions.num_frames for it in items][1] == 50  # 1.0 s of frames from 0.5 s
    assert len(items) == 3 and sorted(f["audio"].rsplit("/", 1)[-1] for f in failures) == [Path(a).name, "broken.wav"]
    result = compare({"greedy": GreedyDecoder()}, items, failures=failures)
    whole = GreedyDecoder().decode(model.emissions(a)).text
    assert result.utterances[0].hypothesis == whole and result.decoders["greedy"].wer < 0.5
    with pytest.raises(CtcDecodeError, match="model="):
        manifest_items(tmp_path / "m.tsv")  # audio, and no model


def test_a_decoder_folder_given_as_lm_names_the_reader_that_takes_it(tmp_path, libri_emissions):
    from ctcdecode_plus.errors import LanguageModelError

    lm_dir = Path(__file__).resolve().parents[1] / "lm"
    folder = BeamSearchDecoder(lm_dir / "domain_4gram.arpa.gz").save_pretrained(tmp_path / "d", LIBRI_LABELS)
    with pytest.raises(LanguageModelError, match=r"language_model/domain_4gram.arpa\).*from_pretrained"):
        BeamSearchDecoder(folder).decode(libri_emissions)
    with pytest.raises(LanguageModelError, match=r"folder; give the .arpa.*domain_4gram.arpa.gz"):
        BeamSearchDecoder(lm_dir).decode(libri_emissions)


def test_word_errors_split_into_substitutions_deletions_and_insertions(libri_emissions):
    import jiwer

    from ctcdecode_plus.metrics import word_errors

    pairs = [("the cat sat on the mat", "the cat sat on mat"), ("a b c", "a x c d"), ("one two", "one two"),
             ("hello world", "")]
    for ref, hyp in pairs:
        e = word_errors(ref, hyp)
        assert e.errors == e.substitutions + e.deletions + e.insertions
        if hyp:  # as jiwer splits them (it refuses an empty hypothesis)
            j = jiwer.process_words(ref, hyp)
            assert (e.substitutions, e.deletions, e.insertions) == (j.substitutions, j.deletions, j.insertions)
    assert (word_errors("hello world", "").deletions, word_errors("", "extra").insertions) == (2, 1)
    ref = "i have a good deal of will you remember"
    result = compare({"g": GreedyDecoder()}, [Item("a", libri_emissions, ref), Item("b", libri_emissions, "i have")])
    s = result.decoders["g"]
    assert s.reference_words == 11 and (s.substitutions + s.deletions + s.insertions) / 11 == pytest.approx(s.wer)
    assert s.insertions >= 1 and "sub/del/ins %" in result.table()  # "i have" then many more words


def test_transcribe_takes_a_torch_tensor_and_a_generator_of_sources(libri_emissions):
    import torch

    from ctcdecode_plus.audio import load_audio

    samples = (0.1 * np.sin(np.arange(32000) * 0.05)).astype(np.float32)
    a = load_audio(torch.from_numpy(samples), input_rate=16000)  # was "give an audio file path, or a numpy array"
    assert np.array_equal(a.samples, load_audio(samples, input_rate=16000).samples)
    out = transcribe((em for em in [libri_emissions, libri_emissions]))  # was taken as one source, and refused
    assert isinstance(out, list) and len(out) == 2 and out[0].text == out[1].text != ""


def test_a_tiny_or_character_level_lm_is_warned_about(tmp_path, libri_emissions, caplog):
    """From a workflow audit: a 2-word model and a character-level one took the demo's WER from 40 to 80 % (words
    glued together) without a word of warning."""
    from ctcdecode_plus.lm import build_lm

    words = build_lm(None, tmp_path / "w.arpa", 2, lines=["hello world", "hello there world"] * 3,
                     discount_fallback=True, binary=False).arpa_path
    chars = build_lm(None, tmp_path / "c.arpa", 3, lines=["h e l l o", "w o r l d"] * 3,
                     discount_fallback=True, binary=False).arpa_path
    big = Path(__file__).resolve().parents[1] / "lm" / "domain_4gram.arpa.gz"
    for lm, said in ((words, "knows only 3 words"), (chars, "character-level"), (big, None)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ctcdecode_plus"):
            BeamSearchDecoder(lm).decode(libri_emissions)
        assert (said in caplog.text) if said else "scored as unknown" not in caplog.text


def test_perplexity_reads_text_in_the_lms_case_and_warns_when_the_lm_does_not_fit(tmp_path, caplog):
    """From a workflow audit: an upper-case model's alphabet against a lower-case LM scored every word as an OOV
    (the decoders reconcile the two), and a 96 % OOV rate with an alphabet given passed without a word."""
    from ctcdecode_plus.lm import Alphabet, build_lm, perplexity

    text = ["the iterator returns a tuple", "a tuple of the values", "the values of the iterator"] * 4
    low = build_lm(None, tmp_path / "low.arpa", 2, lines=text, discount_fallback=True, binary=False).arpa_path
    upper = Alphabet.from_string("ABCDEFGHIJKLMNOPQRSTUVWXYZ'")
    held = ["The iterator returns the values."]
    assert perplexity(low, lines=held, alphabet=upper).oovs == 0  # was 5 of 5
    assert perplexity(low, lines=held, alphabet=upper).perplexity == perplexity(low, lines=["the iterator returns "
                                                                                           "the values"]).perplexity
    with caplog.at_level(logging.WARNING, logger="ctcdecode_plus"):
        r = perplexity(low, lines=["completely different words here"], alphabet=upper)
    assert r.oov_rate == 1.0 and "does not fit this text" in caplog.text


def test_cli_audio_swallowed_by_hotwords_is_named_and_verbose_goes_anywhere(capsys):
    """From a workflow audit: "--hotwords A B talk.flac" said only "required: audio", and "-v" after the command was
    an unrecognized argument."""
    from ctcdecode_plus.cli import build_parser, main

    audio = str(Path(__file__).resolve().parents[1] / "demo" / "audio" / "000_espeak.flac")
    assert main(["transcribe", "--hotwords", "LOOPBACK", "SNAPSHOT", audio]) == 2
    err = capsys.readouterr().err
    assert f"{audio!r} was read as a hotword" in err and "end the hotwords with --" in err
    assert main(["transcribe"]) == 2 and "no audio given" in capsys.readouterr().err
    parser = build_parser()
    for argv, verbose in ((["-v", "transcribe", "x"], True), (["transcribe", "x", "-v"], True),
                          (["transcribe", "x"], False), (["tune", "--manifest", "m.tsv", "-v"], True)):
        assert parser.parse_args(argv).verbose is verbose
