"""Greedy and beam decoders on real logits and on hand-made ambiguous emissions."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import LIBRI_TEXT
from ctcdecode_plus.decoders import BeamSearchDecoder, GreedyDecoder
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.errors import CtcDecodeError, LanguageModelError, VocabularyError

LOWER = list(" abcdefghijklmnopqrstuvwxyz'") + [""]
UPPER_960H = ["<pad>", "<s>", "</s>", "<unk>", "|", *"ETAONIHSRDLUMWCFGYPBVK'XJQZ"]


def spell(spec: list, labels=LOWER, case=str.lower) -> Emissions:
    """Emissions from a list of frames: a character (certain) or a {char: prob} dict; each followed by a blank."""
    from ctcdecode_plus.vocab import Labels

    lab = Labels.from_list(labels) if labels is LOWER else Labels.from_vocab({t: i for i, t in enumerate(labels)})
    index = {(" " if t == "|" else case(t)): i for i, t in enumerate(labels) if len(t) == 1 or t == ""}
    rows = []
    for frame in spec:
        probs = np.full(len(labels), 1e-6)
        for ch, p in ({frame: 0.999} if isinstance(frame, str) else frame).items():
            probs[index[case(ch)]] = p
        rows.append(probs / probs.sum())
        blank = np.full(len(labels), 1e-6)
        blank[lab.blank_id] = 1.0
        rows.append(blank / blank.sum())
    return Emissions.from_logits(np.log(np.array(rows)), lab, 0.02, "hand-made")


def ambiguous_bugs_bunny(**kw) -> Emissions:
    # the acoustics prefer "bogs" (o 0.55) over "bugs" (u 0.45)
    return spell(["b", {"o": 0.55, "u": 0.45}, "g", "s", " ", "b", "u", "n", "n", "y"], **kw)


def test_greedy_libri_real_logits(libri_emissions):
    t = GreedyDecoder().decode(libri_emissions)
    assert t.text == LIBRI_TEXT
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and all(w.end > w.start for w in t.words)
    assert t.words[-1].end <= libri_emissions.duration + 1e-6  # seconds, not frames
    assert 0.3 < t.words[0].start < 1.0 and all(0 <= w.confidence <= 1 for w in t.words)


def test_beam_libri_real_logits(libri_emissions):
    t = BeamSearchDecoder(beam_width=50, nbest=3).decode(libri_emissions)
    assert t.text == LIBRI_TEXT
    assert [w.word for w in t.words] == LIBRI_TEXT.split()
    starts = [w.start for w in t.words]
    assert starts == sorted(starts) and t.words[-1].end <= libri_emissions.duration
    assert 1 <= len(t.nbest) <= 3 and t.nbest[0].text == t.text
    assert t.acoustic_score <= 0 and t.lm_score is None


def test_lm_fixes_ambiguous_word(pyctc_data):
    em = ambiguous_bugs_bunny()
    assert GreedyDecoder().decode(em).text == "bogs bunny"
    assert BeamSearchDecoder().decode(em).text == "bogs bunny"
    t = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa").decode(em)
    assert t.text == "bugs bunny" and t.lm_score is not None


def test_lm_case_mismatch_is_reconciled(pyctc_data):
    em = ambiguous_bugs_bunny(labels=UPPER_960H, case=str.upper)  # upper-case labels, lower-case LM
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa")
    assert dec.lm_case == "lower"
    assert dec.decode(em).text == "BUGS BUNNY"


def test_a_reconciled_lm_is_saved_in_the_labels_case(tmp_path, pyctc_data):
    from pyctcdecode import BeamSearchDecoderCTC

    em = ambiguous_bugs_bunny(labels=UPPER_960H, case=str.upper)  # upper-case labels, lower-case LM
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa")
    folder = dec.save_pretrained(tmp_path / "decoder", em.labels)
    # the folder held the lower-case LM with upper-case labels: pyctcdecode read every word as out-of-vocabulary
    assert (folder / "language_model" / "unigrams.txt").read_text().split() == ["BUGS", "BUNNY"]
    assert "<s>" in (folder / "language_model" / "bugs_bunny_kenlm.arpa").read_text()
    assert BeamSearchDecoderCTC.load_from_dir(str(folder)).decode(em.log_probs) == "BUGS BUNNY"
    assert BeamSearchDecoder.from_pretrained(folder).decode(em).text == "BUGS BUNNY"
    # case is judged on the first 5000 words: a "lower" LM with BUNNY and bunny after them cannot be converted
    import itertools

    words = ["".join(t) for t in itertools.product("abcdefghijklmnopqrst", repeat=3)][:5001] + ["bunny", "BUNNY"]
    two = BeamSearchDecoder(write_bigram_arpa(tmp_path / "two.arpa", words))
    with pytest.raises(LanguageModelError, match="differ only in case \\('BUNNY' twice"):  # was a file listing it
        two.save_pretrained(tmp_path / "two", em.labels)  # twice, which read_arpa then called damaged


def write_bigram_arpa(path, words):
    """A valid 2-gram ARPA over ``words`` (uniform unigrams, one bigram)."""
    uni = ["-1\t<unk>\t0", "0\t<s>\t0", "-1\t</s>\t0"] + [f"-0.5\t{w}\t0" for w in words]
    path.write_text("\\data\\\n" f"ngram 1={len(uni)}\nngram 2=1\n\n\\1-grams:\n" + "\n".join(uni)
                    + f"\n\n\\2-grams:\n-0.1\t<s> {words[0]}\n\n\\end\\\n", encoding="utf-8")
    return path


def test_mixed_case_lm_is_refused(tmp_path):
    arpa = write_bigram_arpa(tmp_path / "mixed.arpa", ["Bugs", "bunny"])
    em = ambiguous_bugs_bunny(labels=UPPER_960H, case=str.upper)
    with pytest.raises(VocabularyError, match="mixed case"):
        BeamSearchDecoder(arpa).decode(em)


def test_lm_with_some_words_outside_the_alphabet_warns_once(tmp_path, caplog):
    # from a review: 8 % of an LM's words carrying "," or "." went unnoticed (only > 50 % was an error)
    arpa = write_bigram_arpa(tmp_path / "some.arpa", ["bugs", "bunny", "the", "a", "of", "and", "to", "in", "is",
                                                      "bugs,", "x.y"])
    em = ambiguous_bugs_bunny()
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        dec = BeamSearchDecoder(arpa)
        dec.decode(em)
        dec.replace(alpha=1.0).decode(em)
    warned = [r.getMessage() for r in caplog.records if "outside the model's alphabet" in r.getMessage()]
    assert len(warned) == 1 and "2 of 11 LM words (18 %)" in warned[0] and "'bugs,'" in warned[0]


def test_lm_with_foreign_alphabet_is_refused(tmp_path):
    arpa = write_bigram_arpa(tmp_path / "ru.arpa", ["привет", "мир"])
    with pytest.raises(VocabularyError, match="outside the model's alphabet"):
        BeamSearchDecoder(arpa).decode(ambiguous_bugs_bunny())


def test_hotword_brings_in_weakly_supported_word():
    em = spell([{"k": 0.7, "c": 0.3}, "a", "t", " ", "s", "a", "t"])
    assert BeamSearchDecoder().decode(em).text == "kat sat"
    assert BeamSearchDecoder(hotwords=["cat"]).decode(em).text == "cat sat"


def test_a_hotword_phrase_is_boosted_only_where_it_stands_whole():
    from ctcdecode_plus.decoders.search import PhraseHotwordScorer

    phrase = ["see plus plus"]
    alone = spell(["s", "e", {"a": 0.6, "e": 0.4}, " ", "i", "t"])
    said = spell(["s", "e", {"a": 0.6, "e": 0.4}, " ", "p", "l", "u", "s", " ", "p", "l", "u", "s"])
    assert BeamSearchDecoder().decode(alone).text == "sea it"
    # pyctcdecode boosts each word of a phrase wherever it stands: "see" alone got the bonus (was "see it")
    assert BeamSearchDecoder(hotwords=phrase, hotword_weight=10.0).decode(alone).text == "sea it"
    assert BeamSearchDecoder().decode(said).text == "sea plus plus"
    assert BeamSearchDecoder(hotwords=phrase, hotword_weight=10.0).decode(said).text == "see plus plus"
    scorer = PhraseHotwordScorer.build(["see plus plus", "kube"], 2.0, refund={"kube": 1.0})
    assert scorer.score("see it plus") == 0.0 and scorer.score("a kube") == 3.0
    assert scorer.score("see plus plus and see plus plus") == 12.0
    overlapping = PhraseHotwordScorer.build(["a b", "b c d"], 1.0)
    assert overlapping.score("a b c d") == 5.0 and overlapping.score("z b c d") == 3.0  # was 2.0: b c d lost


def test_a_phrase_with_a_word_the_lm_does_not_know_survives_until_it_is_whole(tmp_path):
    # the LM knows every word but "tee": the unknown-word penalty of "es tee" (about 18 nats) had pruned the
    # phrase before its last word; while the text ends with the start of the phrase, that penalty is waived
    words = ["import", "the", "es", "dee", "lib", "module", "he"]
    arpa = tmp_path / "lm.arpa"
    arpa.write_text("\\data\\\nngram 1=%d\nngram 2=1\n\n\\1-grams:\n-3\t<unk>\t0\n0\t<s>\t0\n-1\t</s>\t0\n"
                    % (len(words) + 3) + "".join(f"-1\t{w}\t0\n" for w in words)
                    + "\n\\2-grams:\n-0.5\timport the\n\n\\end\\\n")
    frames = list("import the es t") + [{"h": 0.55, "e": 0.45}] + list("e dee lib module")
    em = spell(frames)
    assert BeamSearchDecoder(arpa, alpha=0.8, beta=1.5).decode(em).text == "import the es the dee lib module"
    dec = BeamSearchDecoder(arpa, alpha=0.8, beta=1.5, hotwords=["STDLIB: ES TEE DEE LIB"], hotword_weight=10.0)
    assert dec.decode(em).text == "import the STDLIB module"  # was "import the es the dee lib module"


def test_hotword_beats_unknown_word_penalty(tmp_path):
    # The LM knows "kat" and "sat" but not the hotword "cat". Bare pyctcdecode adds unk_score_offset (-10) to
    # "cat", which cancels the hotword bonus (+10), so the in-vocabulary "kat" wins; here the hotword wins.
    from pyctcdecode import build_ctcdecoder

    arpa = tmp_path / "kat.arpa"
    arpa.write_text("\\data\\\nngram 1=5\nngram 2=1\n\n\\1-grams:\n-3\t<unk>\t0\n0\t<s>\t0\n-1\t</s>\t0\n"
                    "-0.5\tkat\t0\n-0.5\tsat\t0\n\n\\2-grams:\n-0.2\tkat sat\n\n\\end\\\n")
    em = spell([{"k": 0.7, "c": 0.3}, "a", "t", " ", "s", "a", "t"])
    bare = build_ctcdecoder(list(em.labels.labels), str(arpa))
    assert bare.decode(em.log_probs, hotwords=["cat"], hotword_weight=10.0) == "kat sat"
    assert BeamSearchDecoder(arpa, hotwords=["cat"], hotword_weight=10.0).decode(em).text == "cat sat"
    assert BeamSearchDecoder(arpa).decode(em).text == "kat sat"


def test_bad_lm_and_hotword_inputs(tmp_path, libri_emissions):
    with pytest.raises(LanguageModelError, match="not found"):
        BeamSearchDecoder(tmp_path / "none.arpa")
    bad = tmp_path / "bad.arpa"
    bad.write_text("this is not an arpa file\n")
    with pytest.raises(LanguageModelError, match="bad.arpa"):
        BeamSearchDecoder(bad)
    trunc = tmp_path / "trunc.arpa"
    trunc.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\t0\n")
    with pytest.raises(LanguageModelError, match="trunc.arpa"):
        BeamSearchDecoder(trunc)
    with pytest.raises(VocabularyError, match="hotword 'c3po'"):
        BeamSearchDecoder(hotwords=["c3po"]).decode(libri_emissions)


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_parallel_decode_any_start_method(method, libri_emissions, pyctc_data):
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=16)
    batch = [libri_emissions, ambiguous_bugs_bunny(), libri_emissions]
    serial = dec.decode_batch(batch)
    parallel = dec.decode_batch(batch, num_workers=2, start_method=method)
    assert [t.text for t in parallel] == [t.text for t in serial]
    assert parallel[1].text == "bugs bunny"


def test_batch_reports_bad_item_and_continues(libri_emissions):
    bad = Emissions.from_logits(np.log(np.full((5, 4), 0.25)), list(" ab") + [""])
    dec = BeamSearchDecoder(hotwords=["zzz"])  # 'z' not in the small alphabet -> error for that item only
    out = dec.decode_batch([libri_emissions, bad], errors="return")
    assert out[0].text.startswith("i have") and isinstance(out[1], VocabularyError)
    with pytest.raises(VocabularyError):
        dec.decode_batch([libri_emissions, bad])


@pytest.mark.parametrize("workers", [None, 2])
def test_decode_batch_passes_an_emissions_batch_error_through(libri_emissions, workers):
    """emissions_batch puts a file's error in its place; decoding that batch used to replace it with "decode() takes
    Emissions, got AudioError", losing the file and the cause."""
    from ctcdecode_plus.errors import AudioError

    missing = AudioError("/nope.flac: audio file not found")
    out = GreedyDecoder().decode_batch([missing, libri_emissions, libri_emissions], workers, errors="return")
    assert out[0] is missing and all(t.text.startswith("i have") for t in out[1:])
    with pytest.raises(AudioError, match="nope.flac"):
        GreedyDecoder().decode_batch([libri_emissions, missing], workers)


def test_decoder_folder_round_trip_and_pyctcdecode_reads_it(tmp_path, pyctc_data, libri_emissions):
    from pyctcdecode import BeamSearchDecoderCTC

    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", alpha=0.7, beta=2.0)
    folder = dec.save_pretrained(tmp_path / "decoder", libri_emissions.labels)
    back = BeamSearchDecoder.from_pretrained(folder, beam_width=10)
    assert (back.alpha, back.beta, back.beam_width) == (0.7, 2.0, 10)
    assert sorted(back.unigrams) == ["bugs", "bunny"]
    assert back.decode(ambiguous_bugs_bunny()).text == "bugs bunny"
    theirs = BeamSearchDecoderCTC.load_from_dir(str(folder))
    assert theirs.decode(ambiguous_bugs_bunny().log_probs) == "bugs bunny"


def test_a_saved_decoder_keeps_its_hotwords_and_search_settings(tmp_path, pyctc_data, libri_emissions):
    from pyctcdecode import BeamSearchDecoderCTC

    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", hotwords=["C++: SEE PLUS PLUS", "rabbit"],
                            hotword_weight=4.0, beam_width=30, hotword_spotting=1.5, auto_spoken_forms=True,
                            pause_seconds=0.8)
    dec.spotting_floors = {"rabbit": 2.5}
    folder = dec.save_pretrained(tmp_path / "decoder", libri_emissions.labels)  # hotwords were dropped silently
    back = BeamSearchDecoder.from_pretrained(folder)
    assert (back.hotwords, back.hotword_weight, back.beam_width) == (dec.hotwords, 4.0, 30)
    assert (back.hotword_spotting, back.auto_spoken_forms, back.spotting_floors) == (1.5, True, {"rabbit": 2.5})
    assert back.pause_seconds == 0.8
    assert BeamSearchDecoder.from_pretrained(folder, hotwords=["bunny"]).spotting_floors is None  # not theirs
    BeamSearchDecoderCTC.load_from_dir(str(folder))  # pyctcdecode ignores the hidden settings file
    import shutil

    copy = shutil.copytree(folder, tmp_path / "copy")
    shutil.rmtree(copy / "language_model")  # was accepted, then "give an LM (--lm)" on the first decode
    with pytest.raises(LanguageModelError, match="no language_model/ folder"):
        BeamSearchDecoder.from_pretrained(copy)
    assert BeamSearchDecoder.from_pretrained(copy, hotword_spotting=None).lm_path is None
    settings = folder / ".ctcdecode_plus.json"
    settings.write_text('{"beam": 3}')
    with pytest.raises(LanguageModelError, match="unknown settings"):
        BeamSearchDecoder.from_pretrained(folder)
    # wrong types were coerced ("no" -> True, a dict -> its keys, -3 -> 1); a deep nest was a RecursionError
    for bad in ('{"beam_width": 0}', '{"auto_spoken_forms": "no"}', '{"hotwords": {"bunny": 1}}',
                '{"spotting_floors": {"a": true}}', '{"nbest": -3}', "[" * 100_000):
        settings.write_text(bad)
        with pytest.raises(LanguageModelError, match="wrong type|not valid JSON"):
            BeamSearchDecoder.from_pretrained(folder)
    with pytest.raises(TypeError, match="beamwidth"):  # the caller's typo, not the folder's fault
        BeamSearchDecoder.from_pretrained(folder, beamwidth=5)
    settings.write_text('{"hotwords": ["bunny"], "hotword_spotting": {"bunny": 5.0}}')
    assert BeamSearchDecoder.from_pretrained(folder).hotword_spotting == {"bunny": 5.0}
    other = BeamSearchDecoder.from_pretrained(folder, hotwords=["rabbit"])  # thresholds were for "bunny"
    assert other.hotword_spotting is None


def test_blank_skipping_keeps_text_and_times(libri_emissions):
    from ctcdecode_plus.decoders.beam import skip_blank_frames

    lp, index = skip_blank_frames(libri_emissions.log_probs, libri_emissions.blank_id, 0.999)
    assert len(lp) < libri_emissions.num_frames and np.all(np.diff(index) > 0)
    fast = BeamSearchDecoder(beam_width=32).decode(libri_emissions)
    exact = BeamSearchDecoder(beam_width=32, blank_skip_threshold=None).decode(libri_emissions)
    assert fast.text == exact.text
    for a, b in zip(fast.words, exact.words):
        assert abs(a.start - b.start) <= 0.04 and abs(a.end - b.end) <= 0.04
    # a blank run between two identical letters is kept, so doubled letters survive
    em = spell(["l", "l", "a"])  # l, blank, l, blank, a, blank
    assert BeamSearchDecoder().decode(em).text == "lla"


def test_hotword_spotting_finds_what_the_beam_pruned(pyctc_data):
    from ctcdecode_plus.decoders.spotting import alignment_cost, relative_log_probs, spot_hotwords

    # "c" is below token_min_logp (-5): the beam never tries it, whatever the hotword bonus
    em = spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"])
    clean = spell([{"k": 0.97, "c": 0.03}, "i", "t", " ", "s", "a", "t"])
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"  # knows "bugs" and "bunny": "kat" is an unknown word
    boost = BeamSearchDecoder(lm, beam_width=16, spotting_margin=None, hotwords=["cat"], hotword_weight=10.0)
    spot = boost.replace(hotword_spotting=2.0)
    assert boost.decode(em).text == "kat sat"
    t = spot.decode(em)
    # the hotword, a known word, beats the unknown "kat" (LM offset -10 log10) by more than its acoustic deficit
    # (ln(0.995 / 0.005) = 5.3 nats), with no hotword bonus at all
    assert t.text == "cat sat" and t.words[0].word == "cat" and t.words[0].start < t.words[1].start
    assert spot.replace(hotword_weight=0.0).decode(em).text == "cat sat"
    assert spot.decode(clean).text == "kit sat"  # "i" is certain: "cat" is far from the acoustics
    with pytest.raises(CtcDecodeError, match="spotting judges each candidate with the language model"):
        BeamSearchDecoder(hotwords=["cat"], hotword_spotting=2.0).decode(em)
    found = spot_hotwords(em.log_probs, em.labels.labels, em.blank_id, ["cat"], 2.0)
    assert len(found) == 1 and found[0].deficit == pytest.approx(np.log(0.995 / 0.005) / 3, abs=0.01)
    rel = relative_log_probs(em.log_probs)
    assert alignment_cost(rel, em.labels.labels, em.blank_id, "kat") == pytest.approx(0.0, abs=1e-6)
    assert alignment_cost(rel, em.labels.labels, em.blank_id, "cat") == pytest.approx(np.log(0.995 / 0.005), abs=0.01)
    assert alignment_cost(rel[:3], em.labels.labels, em.blank_id, "kat sat") == float("inf")  # does not fit


def test_spotting_margin_refuses_a_hotword_the_acoustics_are_against(pyctc_data, tmp_path):
    """Session 26: the check swapped a word the LM does not know for a hotword on the unknown-word penalty alone
    (PRETENDS -> PREPENDS on the sound-alike development set); the margin bounds what the acoustics may lose."""
    from ctcdecode_plus.cli import build_parser
    from ctcdecode_plus.constants import DEFAULT_SPOTTING_MARGIN

    em = spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"])  # "cat": 5.3 nats (1.77 a letter) below
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    spot = BeamSearchDecoder(lm, beam_width=16, hotwords=["cat"], hotword_weight=10.0, hotword_spotting=2.0)
    assert spot.spotting_margin == DEFAULT_SPOTTING_MARGIN == 0.5
    assert spot.decode(em).text == "kat sat"
    refused = [d for d in spot.explain_hotwords(em).decisions if d.hotwords == ("cat",)]
    assert refused and not any(d.kept for d in refused)
    assert max(d.acoustic for d in refused) == pytest.approx(-np.log(0.995 / 0.005), abs=0.05)
    assert spot.replace(spotting_margin=2.0).decode(em).text == "cat sat"  # 1.77 a letter is within 2
    assert spot.replace(spotting_margin=None).decode(em).text == "cat sat"
    near = spell([{"k": 0.6, "c": 0.4}, "a", "t", " ", "s", "a", "t"])  # 0.4 nats: a close hotword stays found
    assert BeamSearchDecoder(lm, beam_width=16, hotwords=["cat"], hotword_weight=0.0,
                             hotword_spotting=2.0).decode(near).text == "cat sat"
    for bad in (-1.0, float("nan"), "0.5", True):
        with pytest.raises(CtcDecodeError, match="spotting_margin"):
            spot.replace(spotting_margin=bad)
    folder = spot.replace(spotting_margin=1.25).save_pretrained(tmp_path / "dec", em.labels)
    assert BeamSearchDecoder.from_pretrained(folder).spotting_margin == 1.25
    parser = build_parser()
    assert parser.parse_args(["transcribe", "x", "--spotting-margin", "off"]).spotting_margin is None
    assert parser.parse_args(["transcribe", "x"]).spotting_margin == DEFAULT_SPOTTING_MARGIN


def test_transcript_cost_charges_frames_the_words_leave_unexplained():
    from ctcdecode_plus.decoders.spotting import alignment_cost, relative_log_probs, transcript_cost

    em = spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"])
    rel, labels, blank = relative_log_probs(em.log_probs), em.labels.labels, em.blank_id
    space = labels.index(" ")
    assert transcript_cost(rel, labels, blank, space, "kat sat") == pytest.approx(0.0, abs=1e-3)
    assert transcript_cost(rel, labels, blank, space, "cat sat") == pytest.approx(np.log(0.995 / 0.005), abs=0.01)
    # "kat" alone aligns for free somewhere (free start and end), but over all frames "sat" must be paid for
    assert alignment_cost(rel, labels, blank, "kat") == pytest.approx(0.0, abs=1e-6)
    assert transcript_cost(rel, labels, blank, space, "kat") > 3 * np.log(0.999 / 1e-6)
    assert transcript_cost(rel, labels, blank, space, "k@t sat") == float("inf")  # not in the labels
    assert transcript_cost(rel[:3], labels, blank, space, "kat sat") == float("inf")  # does not fit


def test_spotting_check_falls_back_on_the_whole_transcript():
    from ctcdecode_plus.decoders.beam import _FusionJudge
    from ctcdecode_plus.transcript import Word

    # the beam kept "kat" and lost "sat"; the replacement "kat sat" explains the frames "kat" left unexplained
    em = spell(["k", "a", "t", " ", "s", "a", "t"])
    judge = _FusionJudge(BeamSearchDecoder(hotwords=["sat"]), em, "lower", ["sat"], hotword_bonus=0.0)
    before = [Word("kat", 0.0, 0.1, None)]
    after = [Word("kat", 0.0, 0.1, None), Word("sat", 0.16, 0.26, None)]
    assert judge.whole_difference(before, after) > 10 and judge.whole_difference(after, before) < -10
    # the window is bounded by the words both share: a change in the middle is judged on its own frames
    em2 = spell(["k", "a", "t", " ", "s", "a", "t", " ", "o", "n"])
    judge2 = _FusionJudge(BeamSearchDecoder(hotwords=["sat"]), em2, "lower", ["sat"], hotword_bonus=0.0)
    kat, on = Word("kat", 0.0, 0.1, None), Word("on", 0.32, 0.4, None)
    d = judge2.whole_difference([kat, Word("sit", 0.16, 0.26, None), on], [kat, Word("sat", 0.16, 0.26, None), on])
    assert d == pytest.approx(np.log(0.999 / 1e-6), rel=0.01)  # one frame: "i" against the certain "a"
    # a per-word comparison that cannot judge (or says no) is not the last word ...
    assert judge.prefers(before, after, float("-inf")) and judge.prefers(before, after, -5.0)
    # ... unless the whole-transcript check is off, as before session 11
    judge.whole_transcript_check = False
    assert not judge.prefers(before, after, -5.0) and judge.prefers(before, after, 0.5)
    # and it never takes a change the whole alignment is against
    judge.whole_transcript_check = True
    assert not judge.prefers(after, before, -5.0)


def test_spotting_check_scores_a_spoken_form_as_its_written_term(pyctc_data):
    from ctcdecode_plus.decoders.beam import _FusionJudge
    from ctcdecode_plus.transcript import Word

    # "bugs" said as "bug es": the LM knows "bugs", so the check's LM part judges the term, not its spoken words
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    em = spell(["b", "u", "g", " ", "e", "s", " ", "b", "u", "n", "n", "y"])
    dec = BeamSearchDecoder(lm, hotwords=["bugs: bug es"])
    spoken = [Word("bug es", 0.0, 0.12, None), Word("bunny", 0.14, 0.24, None)]
    written = [Word("bugs", 0.0, 0.12, None), Word("bunny", 0.14, 0.24, None)]
    judge = _FusionJudge(dec, em, "lower", ["bug es"], hotword_bonus=0.0, to_display={("bug", "es"): "bugs"})
    assert judge.fusion(spoken) == pytest.approx(judge.fusion(written))
    plain = _FusionJudge(dec, em, "lower", ["bug es"], hotword_bonus=0.0)
    assert plain.fusion(spoken) < plain.fusion(written) - 1.0  # "bug es" is two words the LM finds unlikely


def test_explain_hotwords_says_what_spotting_found_kept_and_refused(pyctc_data):
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    em = spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"])  # "cat": spotted and kept
    spot = BeamSearchDecoder(lm, beam_width=16, spotting_margin=None, hotwords=["cat"], hotword_weight=10.0, hotword_spotting=2.0)
    report = spot.explain_hotwords(em)
    assert report.transcript.text == spot.decode(em).text == "cat sat"
    assert [(d.word, d.start_frame) for d in report.detections] == [("cat", 0)] and report.thresholds == {"cat": 2.0}
    kept = [c for c in report.decisions if c.kept]
    assert kept and kept[0].hotwords == ("cat",) and kept[0].before == "kat" and kept[0].after == "cat"
    assert kept[0].acoustic < 0 < kept[0].acoustic + kept[0].language_model  # the LM pays for the acoustics
    assert any(line.startswith("kept cat at 0.00-") for line in report.lines())
    # a near miss the LM and the acoustics both reject is reported as refused, with its margins
    near = spell(["b", {"u": 0.995, "i": 0.005}, "g", "s", " ", "b", "u", "n", "n", "y"])
    bigs = BeamSearchDecoder(lm, beam_width=16, spotting_margin=None, hotwords=["bigs"], hotword_spotting=3.0).explain_hotwords(near)
    assert bigs.transcript.text == "bugs bunny" and bigs.decisions
    assert all(not c.kept and c.acoustic + c.language_model < 0 for c in bigs.decisions)
    assert any(line.startswith("refused bigs") for line in bigs.lines())
    # without spotting there is nothing to explain, and the report says so
    off = BeamSearchDecoder(lm, beam_width=16, spotting_margin=None, hotwords=["cat"]).explain_hotwords(em)
    assert off.transcript.text == "kat sat" and off.lines()[0].startswith("hotword spotting was off")


def test_compare_explains_the_hotwords_a_decoder_missed(pyctc_data):
    from ctcdecode_plus.compare import Item, compare, explain_missed_hotwords

    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    near = spell(["b", {"u": 0.995, "i": 0.005}, "g", "s", " ", "b", "u", "n", "n", "y"])
    found = spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"])
    items = [Item("near", near, "bigs bunny"), Item("found", found, "cat sat")]
    decoders = {"greedy": GreedyDecoder(),
                "spot": BeamSearchDecoder(lm, beam_width=16, spotting_margin=None, hotwords=["bigs", "cat"], hotword_spotting=3.0)}
    result = compare(decoders, items, hotwords=["bigs", "cat"])
    lines = explain_missed_hotwords(result, decoders, items)
    assert lines[0].startswith("spot / near: missed bigs (wrote: bugs bunny)")  # only the spotting decoder
    assert any(line.strip().startswith("refused bigs") for line in lines[1:])
    assert not any("found" in line for line in lines)  # "cat" was found: nothing to explain


def test_explain_hotwords_says_what_the_bonus_put_in(pyctc_data):
    """A hotword the search's bonus puts in is explained against the same search without it: the acoustics and the
    LM without the bonus, which here are against the change, and compare's explanation lists the insertion."""
    from ctcdecode_plus.compare import Item, compare, explain_missed_hotwords

    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    em = spell(["b", {"u": 0.7, "i": 0.3}, "g", "s", " ", "b", "u", "n", "n", "y"])  # "bugs", near "bigs"
    plain = BeamSearchDecoder(lm, beam_width=16, hotwords=["bigs"], hotword_weight=0.0)
    boost = BeamSearchDecoder(lm, beam_width=16, hotwords=["bigs"], hotword_weight=20.0)
    assert plain.decode(em).text == "bugs bunny" and boost.decode(em).text == "bigs bunny"
    report = boost.explain_hotwords(em)
    (change,) = report.bonus
    assert change.hotwords == ("bigs",) and (change.before, change.after) == ("bugs", "bigs")
    assert change.acoustic < 0 and change.acoustic + change.language_model < 0 and report.bonus_weight == 20.0
    assert report.lines()[0].startswith("the bonus brought in bigs at 0.00-")
    assert plain.explain_hotwords(em).bonus == []  # no bonus, nothing it brought in
    result = compare({"boost": boost}, [Item("u", em, "bugs bunny")], hotwords=["bigs"])
    lines = explain_missed_hotwords(result, {"boost": boost}, [Item("u", em, "bugs bunny")])
    assert lines[0] == "boost / u: inserted bigs (wrote: bigs bunny)" and "the bonus brought in bigs" in lines[1]


def test_spotting_never_outvotes_the_lm_with_the_bonus(pyctc_data):
    # a near miss: the beam's word is one the LM knows; the spotted hotword is acoustically close but the LM and
    # the acoustics prefer the beam's word, so no hotword bonus, however large, lets spotting put it in
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    em = spell(["b", {"u": 0.995, "i": 0.005}, "g", "s", " ", "b", "u", "n", "n", "y"])
    spot = BeamSearchDecoder(lm, beam_width=16, hotwords=["bigs"], hotword_weight=20.0, hotword_spotting=3.0)
    found = spot.decode(em)
    assert found.text == "bugs bunny"  # bonus 20 > 5.3 (acoustics) + 11.5 (LM), but spotting adds no bonus
    assert spot.replace(hotword_weight=100.0).decode(em).text == "bugs bunny"


def test_calibrated_spotting_thresholds_follow_each_hotwords_false_alarms(pyctc_data):
    from ctcdecode_plus.decoders.spotting import false_alarm_floors, spot_hotwords

    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    # background speech without the hotwords: "cut" comes near "cat" (one letter off), nothing comes near "zorbix"
    background = [spell(["c", {"u": 0.9, "a": 0.1}, "t", " ", "s", "u", "n"]), spell(["b", "u", "g", "s"])]
    floors = false_alarm_floors([b.log_probs for b in background], background[0].labels.labels,
                                background[0].blank_id, ["cat", "zorbix"])
    assert floors["cat"] == pytest.approx(np.log(0.9 / 0.1) / 3, abs=0.01)
    assert floors["zorbix"] > 5 * floors["cat"]
    dec = BeamSearchDecoder(lm, beam_width=16, hotwords=["CAT", "zorbix"])
    cal = dec.calibrate_spotting(background, ratio=0.5)
    assert cal.spotting_floors == pytest.approx(floors)
    assert cal.hotword_spotting == pytest.approx({"cat": 0.5 * floors["cat"], "zorbix": 0.5 * floors["zorbix"]})
    assert dec.hotword_spotting is None  # a copy
    assert dec.calibrate_spotting(background, ratio=1.0, cap=1.0).hotword_spotting["zorbix"] == 1.0
    # per-hotword thresholds: a detection of "cat" as uncertain as the background's "cut" is refused
    em = spell(["k", {"a": 0.9, "o": 0.1}, "t"])  # "kat"/"kot": "cat" has a deficit of ~ln(0.995/0.005)/3
    lp, labels, blank = em.log_probs, em.labels.labels, em.blank_id
    assert spot_hotwords(lp, labels, blank, ["cat"], 5.0)
    assert not spot_hotwords(lp, labels, blank, ["cat"], {"cat": 0.5})
    assert not spot_hotwords(lp, labels, blank, ["cat"], {"zorbix": 9.0})  # not in the mapping: not spotted
    for bad in (dict(background=[], ratio=0.7), dict(background=background, ratio=0.0),
                dict(background=background, ratio=1.5)):
        with pytest.raises(CtcDecodeError):
            dec.calibrate_spotting(**bad)
    with pytest.raises(CtcDecodeError, match="no hotwords"):
        BeamSearchDecoder(lm).calibrate_spotting(background)
    with pytest.raises(CtcDecodeError, match="thresholds must be numbers"):
        dec.replace(hotword_spotting={"cat": -1.0})


def test_apply_detections_merges_split_words():
    from ctcdecode_plus.decoders.spotting import Detection, apply_detections
    from ctcdecode_plus.transcript import Word

    words = [Word("the", 0.0, 0.2), Word("heap", 0.3, 0.5), Word("push", 0.5, 0.7), Word("call", 0.8, 1.0)]
    out = apply_detections(words, [Detection("heappush", 15, 35, 0.1)], 0.02)
    assert [w.word for w in out] == ["the", "heappush", "call"]
    assert (out[1].start, out[1].end) == (0.3, 0.7)
    assert apply_detections(words, [Detection("zz", 90, 95, 0.1)], 0.02) == words  # never inserts


def test_guided_search_decodes_the_hotword_and_its_neighbours(tmp_path):
    from ctcdecode_plus.decoders.spotting import apply_detections, forced_alignment, spot_hotwords

    # the model runs "cat" into the next word with no delimiter, and "c" is below token_min_logp: the beam says
    # "katsat", one unknown word that a detection of "cat" covers only half of, so replacing words cannot help
    em = spell([{"k": 0.995, "c": 0.005}, "a", "t", "s", "a", "t"])
    lm = write_bigram_arpa(tmp_path / "sat.arpa", ["sat", "on"])
    plain = BeamSearchDecoder(lm, beam_width=16, spotting_margin=None, hotwords=["cat"], hotword_weight=10.0)
    beam_words = plain.decode(em).words
    assert [w.word for w in beam_words] == ["katsat"]
    found = spot_hotwords(em.log_probs, em.labels.labels, em.blank_id, ["cat"], 2.0)
    assert apply_detections(beam_words, found, em.seconds_per_frame) == beam_words
    # the guided search re-decodes the span and its neighbour together: "cat sat", two words the LM knows
    t = plain.replace(hotword_spotting=2.0).decode(em)
    assert t.text == "cat sat" and t.words[0].end <= t.words[1].start
    # the alignment under the span spells the hotword with blanks between and around
    rel = em.log_probs - em.log_probs.max(1, keepdims=True)
    index = {lab: i for i, lab in enumerate(em.labels.labels)}
    path = forced_alignment(rel[found[0].start_frame:found[0].end_frame], [index[c] for c in "cat"], em.blank_id)
    assert "".join(em.labels.labels[i] for i in path if i != em.blank_id) == "cat"
    with pytest.raises(ValueError):
        forced_alignment(rel[:2], [index[c] for c in "cat"], em.blank_id)


def test_spoken_forms_show_the_written_term():
    from ctcdecode_plus.decoders.hotwords import apply_display, parse_hotword
    from ctcdecode_plus.transcript import Word

    assert parse_hotword(" C++ :  see plus plus, c  plus plus") == \
        parse_hotword("C++: see plus plus,c plus plus")
    assert parse_hotword("C++: SEE PLUS PLUS").spoken == ("SEE PLUS PLUS",)
    assert parse_hotword("KUBE PROXY").spoken == ()
    for bad in (": SEE", "C++:", "C++: SEE,, PLUS"):
        with pytest.raises(CtcDecodeError, match="hotword"):
            parse_hotword(bad)
    words = [Word("a", 0.0, 0.1), Word("see", 0.2, 0.3), Word("plus", 0.3, 0.4), Word("plus", 0.4, 0.5)]
    out = apply_display(words, {("see", "plus", "plus"): "C++", ("plus",): "+"})
    assert [(w.word, w.start, w.end) for w in out] == [("a", 0.0, 0.1), ("C++", 0.2, 0.5)]  # longest first

    # the audio spells what it hears ("es tee dee lib"); the written term cannot be heard letter by letter
    em = spell(["e", "s", "t", "e", "e", "d", "e", "e", "l", "i", "b", " ", "m", "o", "d", "u", "l", "e", "s"])
    plain = BeamSearchDecoder(beam_width=16, hotwords=["stdlib"])
    assert plain.decode(em).text == "esteedeelib modules"
    t = plain.replace(hotwords=["STDLIB: ES TEE DEE LIB, esteedeelib"]).decode(em)
    assert t.text == "STDLIB modules" and t.words[0].word == "STDLIB"
    assert (t.words[0].start, t.words[0].end) == (0.0, plain.decode(em).words[0].end)
    # a term outside the alphabet is fine with a spoken form; without one the error says how to give it
    assert BeamSearchDecoder(hotwords=["C++: esteedeelib"]).decode(em).text == "C++ modules"
    with pytest.raises(VocabularyError, match="Or say how it sounds: 'C\\+\\+: SPOKEN FORM'"):
        BeamSearchDecoder(hotwords=["C++"]).decode(em)
    with pytest.raises(VocabularyError, match="spoken form of hotword 'C\\+\\+'"):
        BeamSearchDecoder(hotwords=["C++: c plus plus!"]).decode(em)


def test_spoken_form_is_spotted_and_scored_by_its_written_form(pyctc_data):
    from ctcdecode_plus.compare import Item, compare

    # "c" is below token_min_logp: only spotting finds the spoken form "cat", which is then shown as "KAT-5"
    em = spell([{"k": 0.995, "c": 0.005}, "a", "t", " ", "s", "a", "t"])
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", beam_width=16, spotting_margin=None, hotwords=["KAT-5: cat"],
                            hotword_weight=10.0, hotword_spotting=2.0)
    assert dec.decode(em).text == "KAT-5 sat"
    r = compare({"hw": dec}, [Item("u", em, "KAT-5 SAT")], hotwords=["KAT-5: cat"])
    assert r.hotwords == ["KAT-5"] and r.decoders["hw"].hotword_recall == 1.0 and r.decoders["hw"].wer == 0.0


def test_spotting_judge_scores_like_pyctcdecode(pyctc_data):
    """The judge's LM part equals pyctcdecode's word-by-word LM score (unknown-word offset in log10 units, scaled
    by alpha * ln 10 with the rest), hotwords exempt from the offset as in the search."""
    from pyctcdecode.language_model import LanguageModel

    from ctcdecode_plus.decoders.beam import _FusionJudge, _hotword_lm_class
    from ctcdecode_plus.transcript import Word

    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    em = ambiguous_bugs_bunny()
    for hot in ([], ["zork"]):
        dec = BeamSearchDecoder(lm, alpha=0.8, beta=1.5, hotwords=hot, hotword_weight=0.0)
        judge = _FusionJudge(dec, em, "lower", hot)
        ref = (_hotword_lm_class()(dec._kenlm(), dec.unigrams, hotwords=hot, alpha=0.8, beta=1.5) if hot
               else LanguageModel(dec._kenlm(), dec.unigrams, alpha=0.8, beta=1.5))
        for text in ("bugs bunny", "bugs zork bunny", "zork", "qq bunny zork"):
            state, total = ref.get_start_state(), 0.0
            words = text.split()
            for i, w in enumerate(words):
                s, state = ref.score(state, w, is_last_word=i == len(words) - 1)
                total += s
            got = judge.fusion([Word(w, 0.0, 0.1) for w in words])
            assert got == pytest.approx(total, abs=1e-4), (hot, text)


def _spelled(text_frames: list, labels: list) -> Emissions:
    """Emissions from frames given as {label: probability} (the rest share 1e-6)."""
    lp = np.full((len(text_frames), len(labels)), 1e-6)
    for i, frame in enumerate(text_frames):
        for label, p in frame.items():
            lp[i, labels.index(label)] = p
    return Emissions.from_logits(np.log(lp), labels, 0.02, "spelled")


def test_nbest_entries_are_distinct_once_spoken_forms_are_shown():
    labels = [""] + list(" ABCDEFGHIJKLMNOPQRSTUVWXYZ'")
    frames = [{"": 1.0}] + [{c: 1.0} for c in "HEAP"] + [{" ": 0.5, "": 0.5}] + [{c: 1.0} for c in "PUSH"] + [{"": 1.0}]
    t = BeamSearchDecoder(hotwords=["HEAPPUSH: HEAP PUSH"], nbest=4).decode(_spelled(frames, labels))
    texts = [h.text for h in t.nbest]
    assert t.text == "HEAPPUSH" and texts[0] == t.text and len(texts) == len(set(texts))  # was HEAPPUSH twice


def test_replace_checks_and_normalises_as_the_constructor():
    d = BeamSearchDecoder()
    assert d.replace(hotwords="LOOPBACK").hotwords == ["LOOPBACK"]  # was ['L', 'O', 'O', 'P', ...]
    for bad in (0, -2, 1.5, True):  # 0 was an IndexError at decode, then quietly 1; beam_width=0 is an error too
        with pytest.raises(CtcDecodeError, match="nbest"):
            d.replace(nbest=bad)
    with pytest.raises(CtcDecodeError, match="blank_skip_threshold"):
        d.replace(blank_skip_threshold=0.0)  # was a silent empty transcript
    with pytest.raises(TypeError, match="lm_path"):
        d.replace(lm_path="other.arpa")  # the loaded LM would have stayed
    assert d.replace(name="x", alpha=1).alpha == 1.0 and d.replace(name="x").name == "x"


def test_greedy_on_zero_frames_and_a_frame_below_the_floor():
    labels = ["<s>", "", " ", "A", "B"]
    em = Emissions.from_logits(np.array([[5.0, -2e4, -2e4, -1.5e4, -3e4]] * 3), labels)  # <s> is suppressed
    assert em.labels.suppressed == (0,)
    assert GreedyDecoder().decode(em).text == "A"  # the best token that is not suppressed; was '<s>'
    ok = Emissions.from_logits(np.zeros((2, 5)), labels)
    empty = Emissions(ok.log_probs[:0], ok.labels, 0.02)
    assert GreedyDecoder().decode(empty).text == "" == BeamSearchDecoder().decode(empty).text  # was an IndexError


def test_a_long_pause_ends_a_word_the_model_did_not_end():
    # from a review: the demo model says only blank through a silence, so the words either side ran together
    # ("CORDIF" 3.6-6.4 s across a 2 s silence, one subtitle cue through it)
    pause = list("cat") + [""] * 30 + list("sat")  # 60 blank frames: 1.2 s
    short = list("cat") + [""] * 10 + list("sat")  # 0.4 s: under the default 0.5 s
    for dec, off in ((GreedyDecoder(), GreedyDecoder(pause_seconds=None)),
                     (BeamSearchDecoder(), BeamSearchDecoder(pause_seconds=None))):
        t = dec.decode(spell(pause))
        assert [w.word for w in t.words] == ["cat", "sat"] and t.words[0].end < 0.3 < 1.2 < t.words[1].start
        assert off.decode(spell(pause)).text == "catsat" and dec.decode(spell(short)).text == "catsat"
    em = spell(list("cat ") + [""] * 30 + list("sat"))  # a delimiter already there: nothing to change
    assert em.with_pause_breaks(0.5) is em and GreedyDecoder().decode(em).text == "cat sat"
    assert GreedyDecoder(pause_seconds=2.0).decode(spell(pause)).text == "catsat"
    for bad in (0, -1, float("nan"), "0.5", True):
        with pytest.raises(CtcDecodeError, match="pause_seconds"):
            GreedyDecoder(pause_seconds=bad)
        with pytest.raises(CtcDecodeError, match="pause_seconds"):
            BeamSearchDecoder(pause_seconds=bad)


def _joined(em: Emissions, copies: int, gap_frames: int) -> Emissions:
    """``copies`` of ``em`` with ``gap_frames`` of certain blank before each (silence between recordings)."""
    gap = np.full((gap_frames, em.log_probs.shape[1]), -20.0, np.float32)
    gap[:, em.blank_id] = 0.0
    return Emissions.from_logits(np.concatenate([part for _ in range(copies) for part in (gap, em.log_probs)]),
                                 em.labels, em.seconds_per_frame, "joined")


def test_segments_cut_in_the_longest_pauses(libri_emissions):
    joined = _joined(libri_emissions, 3, 60)
    n, one = joined.num_frames, libri_emissions.num_frames + 60
    assert joined.segments(None) == [(0, n)] == joined.segments(n * 0.02 + 1)
    pieces = joined.segments(1.5 * one * 0.02)
    assert pieces[0][0] == 0 and pieces[-1][1] == n and all(b == c for (_, b), (c, _) in zip(pieces, pieces[1:]))
    assert all(b - a <= 1.5 * one for a, b in pieces)
    # each cut in the silence before a copy (the middle of it and the blank frames the recording starts with)
    assert [k * one <= b < k * one + 60 for k, (_, b) in enumerate(pieces[:-1], 1)] == [True, True]
    from ctcdecode_plus.errors import EmissionsError
    from ctcdecode_plus.vocab import Labels

    for bad in (0, -1, float("nan"), "30"):
        with pytest.raises(EmissionsError, match="segments"):
            joined.segments(bad)
    no_delimiter = Emissions.from_logits(joined.log_probs[:, :5], Labels(("", "A", "B", "C", "D"), 0), 0.02, "bpe-like")
    assert no_delimiter.segments(1.5 * one * 0.02) == [(0, n)]  # its pieces could not be joined without a guess


def test_beam_decodes_a_long_recording_in_pieces_as_in_one(libri_emissions, pyctc_data):
    """One search over a long recording grew in memory with its square (pyctcdecode keys beams and its LM cache by
    the whole text so far): pieces cut in pauses give the same words at the same times."""
    joined = _joined(libri_emissions, 3, 60)
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    whole = BeamSearchDecoder(lm, beam_width=16, segment_seconds=None).decode(joined)
    pieces = BeamSearchDecoder(lm, beam_width=16, segment_seconds=15).decode(joined)
    assert len(joined.segments(15)) == 3 and whole.text == pieces.text
    assert [(w.word, w.start, w.end) for w in pieces.words] == [(w.word, w.start, w.end) for w in whole.words]
    assert pieces.acoustic_score == pytest.approx(whole.acoustic_score, abs=1.0)
    best = BeamSearchDecoder(beam_width=16, segment_seconds=15).decode(joined)
    nbest = BeamSearchDecoder(beam_width=16, segment_seconds=15, nbest=3).decode(joined).nbest
    assert nbest[0].text == best.text and len(nbest) == 3 and len({h.text for h in nbest}) == 3
    for h in nbest[1:]:  # each alternative differs from the best in one piece: one of the three copies
        assert sum(a != b for a, b in zip(h.text.split(" i have "), best.text.split(" i have "))) == 1
        assert h.lm_score is None and h.acoustic_score <= nbest[0].acoustic_score + 1e-6
    with pytest.raises(CtcDecodeError, match="segment_seconds=0.5"):
        BeamSearchDecoder(segment_seconds=0.5)


def test_explain_hotwords_of_pieces_gives_times_in_the_whole(libri_emissions, pyctc_data):
    joined = _joined(libri_emissions, 3, 60)
    one = libri_emissions.num_frames + 60
    dec = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", hotwords=["bunny"], hotword_spotting=50,
                            segment_seconds=15)
    report = dec.explain_hotwords(joined)
    starts = [d.start_frame for d in report.detections]
    assert report.transcript.text == dec.decode(joined).text and report.thresholds == {"bunny": 50}
    assert min(starts) < one and max(starts) >= 2 * one  # found in every copy, in frames of the whole
    assert all(0 <= c.start <= c.end <= joined.duration for c in report.decisions)


def test_a_hotword_prefix_gets_no_partial_bonus_by_default():
    """pyctcdecode's whole bonus for a partial hotword let its prefix push letters out: "the cafe" -> "the kafe" for
    KAFKA at weight 20 (in the newterms check, "DOUBLE IN" -> "DOUBLE" for the phrase AY DOUBLEYOU ES). By default
    (share 0) the bonus comes when the hotword is whole, and a whole one is still found."""
    from ctcdecode_plus.constants import DEFAULT_HOTWORD_PREFIX_SHARE

    assert DEFAULT_HOTWORD_PREFIX_SHARE == 0.0
    em = spell(["t", "h", "e", " ", {"c": 0.6, "k": 0.4}, "a", "f", "e"])
    assert BeamSearchDecoder(beam_width=16).decode(em).text == "the cafe"
    assert BeamSearchDecoder(beam_width=16, hotwords=["kafka"], hotword_weight=20).decode(em).text == "the cafe"
    near = spell(["t", "h", "e", " ", {"c": 0.6, "k": 0.4}, "a", "f", {"k": 0.45, "e": 0.55}, "a"])
    assert BeamSearchDecoder(beam_width=16).decode(near).text == "the cafea"
    assert BeamSearchDecoder(beam_width=16, hotwords=["kafka"], hotword_weight=5).decode(near).text == "the kafka"
    assert BeamSearchDecoder(beam_width=16, hotwords=["kafka"], hotword_weight=20,
                             hotword_prefix_share=1.0).decode(em).text == "the kafe"
    for bad in (-0.1, 1.5, float("nan"), True):
        with pytest.raises(CtcDecodeError, match="hotword_prefix_share"):
            BeamSearchDecoder(hotword_prefix_share=bad)


def test_fill_word_gaps_moves_an_end_across_a_short_gap_only():
    from ctcdecode_plus.transcript import Word, check_fill_gap_seconds, fill_word_gaps

    words = [Word("a", 0.0, 0.1), Word("b", 0.3, 0.4), Word("c", 1.0, 1.2), Word("d", 1.2, 1.3)]
    filled = fill_word_gaps(words, 0.2)
    assert [(w.start, w.end) for w in filled] == [(0.0, 0.3), (0.3, 0.4), (1.0, 1.2), (1.2, 1.3)]  # 0.6 s: a pause
    assert fill_word_gaps(words, None) == words and fill_word_gaps(words, 0.0) == words
    for bad in (-0.1, float("nan"), "0.2", True):
        with pytest.raises(CtcDecodeError, match="fill-gap-seconds"):
            check_fill_gap_seconds(bad)


def test_word_ends_fill_short_gaps_and_end_at_the_delimiter_before_a_pause():
    from ctcdecode_plus.constants import DELIMITER_LAG_SECONDS, WORD_TAIL_SECONDS
    from ctcdecode_plus.decoders.base import word_ends
    from ctcdecode_plus.transcript import Word

    labels = ["a", "b", " ", ""]  # blank last
    path = "a" + "-" * 4 + "b" + "-" * 10 + " " + "-" * 14 + "a" + "-" * 9  # frames of 20 ms; "-" is the blank
    lp = np.full((len(path), 4), np.log(0.01), dtype=np.float32)
    for t, c in enumerate(path):
        lp[t, labels.index("" if c == "-" else c)] = np.log(0.97)
    em = Emissions.from_logits(lp, labels, 0.02, "ends")
    words = [Word("a", 0.0, 0.02), Word("b", 0.1, 0.12), Word("a", 0.54, 0.56)]
    ends = [w.end for w in word_ends(words, em, 0.2)]
    # "a" -> the next word's start (gap 0.08 s); "b" -> a frame before its delimiter at frame 16 (0.32 s), in a 0.42 s
    # gap (DELIMITER_LAG_SECONDS); the last "a" has no delimiter after it: WORD_TAIL_SECONDS (0.12 s) on
    assert WORD_TAIL_SECONDS == 0.12 and DELIMITER_LAG_SECONDS == 0.02 and ends == [0.1, 0.3, 0.68]
    # a delimiter further on than fill_gap_seconds (some models put one just before the next word) is not taken:
    # "b" gets the tail, which is at most fill_gap_seconds
    assert [w.end for w in word_ends(words, em, 0.1)] == [0.1, 0.22, 0.66]
    # the tail stops at the end of the audio (41 frames: 0.82 s)
    assert word_ends([Word("a", 0.7, 0.76)], em, 0.2)[0].end == 0.82
    assert word_ends(words, em, None) == words and word_ends(words, em, 0.0) == words


def test_fill_gap_seconds_in_both_decoders_n_best_and_saved_folders(tmp_path, pyctc_data, libri_emissions):
    plain = GreedyDecoder(fill_gap_seconds=None).decode(libri_emissions)
    filled = GreedyDecoder().decode(libri_emissions)  # default 0.2 s
    assert filled.text == plain.text and [w.start for w in filled.words] == [w.start for w in plain.words]
    nexts = [w.start for w in filled.words[1:]] + [libri_emissions.duration]
    best = libri_emissions.log_probs.argmax(axis=1)
    LABELS = libri_emissions.labels.labels
    for a, b, following in zip(plain.words, filled.words, nexts):
        if following - a.end <= 0.2 + 1e-9 and b is not filled.words[-1]:
            assert b.end == following  # filled up to the next word
        elif LABELS[best[round(b.end / 0.02) + 1]] == " ":  # into a pause: a frame before its first delimiter frame
            frame = round(b.end / 0.02) + 1
            assert a.end <= b.end < following and " " not in [LABELS[i] for i in best[round(a.end / 0.02):frame]]
        else:  # no delimiter in reach: 0.12 s on, within the gap
            assert b.end == round(min(a.end + 0.12, following), 4), (a, b, following)
    assert sum(a.end != b.end for a, b in zip(plain.words, filled.words)) >= len(plain.words) // 2
    # no end moves further than fill_gap_seconds: this model says the delimiter just before the next word, after a
    # pause ("r---...---|||||and"), which must not stretch "remember" across the pause
    assert all(0 <= b.end - a.end <= 0.2 + 1e-9 for a, b in zip(plain.words, filled.words))
    beam = BeamSearchDecoder(nbest=3)
    t, t0 = beam.decode(libri_emissions), beam.replace(fill_gap_seconds=None).decode(libri_emissions)
    assert t.text == t0.text and [w.end for w in t.words] != [w.end for w in t0.words]
    from ctcdecode_plus.decoders.base import word_ends

    assert len(t.nbest) == len(t0.nbest) > 1
    assert all(h.words == word_ends(h0.words, libri_emissions, 0.2) for h, h0 in zip(t.nbest, t0.nbest))
    with pytest.raises(CtcDecodeError, match="fill-gap-seconds"):
        BeamSearchDecoder(fill_gap_seconds=-1)
    for old in (GreedyDecoder(), BeamSearchDecoder()):  # pickled before the setting existed: the default
        del old.fill_gap_seconds
        assert old.decode(libri_emissions).words == type(old)().decode(libri_emissions).words
    folder = BeamSearchDecoder(pyctc_data / "bugs_bunny_kenlm.arpa", fill_gap_seconds=None).save_pretrained(
        tmp_path / "dec", libri_emissions.labels)
    assert BeamSearchDecoder.from_pretrained(folder).fill_gap_seconds is None
    assert BeamSearchDecoder.from_pretrained(folder, fill_gap_seconds=0.1).fill_gap_seconds == 0.1


def test_cli_fill_gap_seconds(tmp_path, libri_emissions, capsys):
    import json

    from ctcdecode_plus.cli import main

    npz = libri_emissions.save(tmp_path / "libri.npz")
    ends = {}
    for value in ("0.2", "off"):
        assert main(["transcribe", str(npz), "--fill-gap-seconds", value, "--format", "json"]) == 0
        ends[value] = [w["end"] for w in json.loads(capsys.readouterr().out)["words"]]
    assert ends["0.2"] != ends["off"] and all(a >= b for a, b in zip(ends["0.2"], ends["off"]))
    with pytest.raises(SystemExit):
        main(["transcribe", str(npz), "--fill-gap-seconds", "-1"])
    assert "fill-gap-seconds" in capsys.readouterr().err


def test_word_confidence_marks_the_uncertain_word(tmp_path, pyctc_data):
    em = ambiguous_bugs_bunny()  # "bogs" 0.55 against "bugs" 0.45; "bunny" certain
    plain = BeamSearchDecoder(nbest=3).decode(em)
    t = BeamSearchDecoder(nbest=3, word_confidence=True).decode(em)
    assert all(w.confidence is None for w in plain.words)
    assert t.text == plain.text == "bogs bunny" and [h.text for h in t.nbest] == [h.text for h in plain.nbest]
    (bogs, bunny) = t.words
    assert 0.3 < bogs.confidence < 0.8 < bunny.confidence <= 1.0  # the acoustics split "bogs"/"bugs" about 55/45
    # with the LM, "bugs" wins, and the LM's certainty shows in its confidence
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    with_lm = BeamSearchDecoder(lm, word_confidence=True).decode(em)
    assert with_lm.text == "bugs bunny" and with_lm.words[0].confidence > bogs.confidence
    folder = BeamSearchDecoder(lm, word_confidence=True).save_pretrained(tmp_path / "dec", em.labels)
    assert BeamSearchDecoder.from_pretrained(folder).word_confidence is True


def test_a_shown_form_takes_the_least_confident_of_its_spoken_words():
    from ctcdecode_plus.decoders.hotwords import apply_display
    from ctcdecode_plus.transcript import Word

    words = [Word("SEE", 0.0, 0.2, 0.9), Word("PLUS", 0.2, 0.4, 0.6), Word("PLUS", 0.4, 0.6, 0.8)]
    assert apply_display(words, {("SEE", "PLUS", "PLUS"): "C++"}) == [Word("C++", 0.0, 0.6, 0.6)]
    assert apply_display([Word("SEE", 0.0, 0.2), *words[1:]], {("SEE", "PLUS", "PLUS"): "C++"})[0].confidence is None


def test_cli_word_confidence(tmp_path, libri_emissions, capsys):
    import json

    from ctcdecode_plus.cli import main

    npz = libri_emissions.save(tmp_path / "libri.npz")
    assert main(["transcribe", str(npz), "--decoder", "beam", "--word-confidence", "--format", "json"]) == 0
    words = json.loads(capsys.readouterr().out)["words"]
    assert words and all(0 <= w["confidence"] <= 1 for w in words)


def test_word_confidence_counts_the_transcript_when_the_n_best_search_lost_it():
    from ctcdecode_plus.decoders.beam import _with_confidences
    from ctcdecode_plus.transcript import Hypothesis, Word

    em = spell(["c", "a", "t", " ", "s", "a", "t"])
    best = Hypothesis("cat sat", -1.0, -1.0, [Word("cat", 0.0, 0.12), Word("sat", 0.16, 0.28)])
    lost = [Hypothesis("cut sit", -30.0, -30.0, [Word("cut", 0.0, 0.12), Word("sit", 0.16, 0.28)])]
    words = _with_confidences(best, lost, em).words  # was 0.0 for both: the pool lacked the transcript
    assert all(w.confidence > 0.9 for w in words)  # 29 nats better than the alternative that differs
    inf = [Hypothesis("cat sat", float("-inf"), float("-inf"), best.words)]
    assert all(0 <= w.confidence <= 1 for w in _with_confidences(best, inf + lost, em).words)


def test_cli_word_confidence_only_where_it_shows(tmp_path, libri_emissions, capsys):
    from ctcdecode_plus.cli import main

    npz = libri_emissions.save(tmp_path / "libri.npz")
    assert main(["transcribe", str(npz), "--decoder", "beam", "--word-confidence"]) == 0  # text: nothing shows it
    assert "--word-confidence: ignored (--format text" in capsys.readouterr().err
    folder = BeamSearchDecoder(word_confidence=True).save_pretrained(tmp_path / "dec", libri_emissions.labels)
    assert main(["transcribe", str(npz), "--decoder-folder", str(folder), "--no-word-confidence",
                 "--format", "json"]) == 0
    import json

    assert all(w["confidence"] is None for w in json.loads(capsys.readouterr().out)["words"])


def test_a_hotword_with_an_accent_or_a_curly_apostrophe_is_searched_in_plain_letters(libri_emissions):
    """From an audit of the LM tools: build-lm writes O’BRIEN as O'BRIEN and ZOË as ZOE, but the same hotwords were
    refused for characters outside the model's alphabet. They are searched as the model spells them and shown as
    written; a character with no plain form (+) is still refused."""
    plain = BeamSearchDecoder(hotwords=["achieve"], beam_width=16).decode(libri_emissions)
    shown = BeamSearchDecoder(hotwords=["achiéve", "won’t"], beam_width=16).decode(libri_emissions)
    assert plain.text.split()[-1] == "achieve"
    assert shown.text.split()[:-1] == plain.text.split()[:-1] and shown.text.split()[-1] == "achiéve"
    assert shown.words[-1].word == "achiéve" and shown.words[-1].start == plain.words[-1].start
    with pytest.raises(VocabularyError, match="SPOKEN FORM"):
        BeamSearchDecoder(hotwords=["c++"]).decode(libri_emissions)


def test_a_short_hotword_earns_its_share_of_the_bonus(tmp_path):
    """A hotword entry of fewer letters than ``hotword_full_letters`` (default 4) earns weight x letters / 4: a
    one-letter hotword at the whole weight was written all over the development set (the five hotwords C R X E I,
    weight 10: into 78 % of the utterances without them), because the search can write a short word almost anywhere
    for little acoustic cost. Here "a", 2.2 nats against it, goes in at the whole weight 5 but not at a quarter of
    it; a word of 4 letters or more earns the whole bonus either way."""
    from ctcdecode_plus.cli import build_parser
    from ctcdecode_plus.constants import DEFAULT_HOTWORD_FULL_LETTERS
    from ctcdecode_plus.decoders.search import PhraseHotwordScorer

    assert DEFAULT_HOTWORD_FULL_LETTERS == 4
    em = spell(["t", "h", "e", " ", {" ": 0.9, "a": 0.1}, " ", "c", "a", "t"])
    assert BeamSearchDecoder(beam_width=16).decode(em).text == "the cat"
    whole = BeamSearchDecoder(beam_width=16, hotwords=["a"], hotword_weight=5, hotword_full_letters=1)
    assert whole.decode(em).text == "the a cat"
    assert whole.replace(hotword_full_letters=4).decode(em).text == "the cat"
    assert BeamSearchDecoder(beam_width=16, hotwords=["a"], hotword_weight=5).decode(em).text == "the cat"
    report = BeamSearchDecoder(beam_width=16, hotwords=["a"], hotword_weight=20).explain_hotwords(em)
    assert report.transcript.text == "the a cat" and report.bonus_full_letters == 4  # a quarter of 20 carries it
    assert any(line.endswith("(weight 20 a hotword word; a: 1/4 of it)") for line in report.lines())
    # the scorer: each word of an entry earns weight x min(1, letters / full_letters); a prefix grows towards that
    scorer = PhraseHotwordScorer.build(["c", "ai", "kafka", "see plus"], 8.0, full_letters=4)
    assert scorer.score("c") == pytest.approx(2.0) and scorer.score("ai") == pytest.approx(4.0)
    assert scorer.score("kafka") == pytest.approx(8.0) and scorer.score("see plus") == pytest.approx(16.0)
    assert scorer.score("a kafka c") == pytest.approx(10.0)
    assert scorer.score_partial_token("a") == pytest.approx(2.0)  # 1 letter of AI: 8 x 1 / max(2, 4)
    assert scorer.score_partial_token("kaf") == pytest.approx(8.0 * 3 / 5)
    plain = PhraseHotwordScorer.build(["c", "ai"], 8.0)  # full_letters 1: pyctcdecode's scores
    assert plain.score("c ai") == pytest.approx(16.0) and plain.score_partial_token("a") == pytest.approx(4.0)
    for bad in (0, -1, 2.5, True, "4"):
        with pytest.raises(CtcDecodeError, match="hotword_full_letters"):
            BeamSearchDecoder(hotword_full_letters=bad)
    folder = whole.save_pretrained(tmp_path / "dec", em.labels)  # kept with the decoder, and given on the CLI
    assert BeamSearchDecoder.from_pretrained(folder).decode(em).text == "the a cat"
    assert BeamSearchDecoder.from_pretrained(folder, hotword_full_letters=4).hotword_full_letters == 4
    assert build_parser().parse_args(["transcribe", "x", "--hotword-full-letters", "2"]).hotword_full_letters == 2
    assert build_parser().parse_args(["transcribe", "x"]).hotword_full_letters == DEFAULT_HOTWORD_FULL_LETTERS
