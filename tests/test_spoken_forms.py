"""Automatic hotword spoken forms (decoders.hotwords.suggest_spoken_forms) and how the beam decoder uses them."""
from __future__ import annotations

import pytest

from ctcdecode_plus.decoders import BeamSearchDecoder
from ctcdecode_plus.decoders.hotwords import apply_display, split_word, suggest_spoken_forms
from ctcdecode_plus.transcript import Word
from test_decoders import spell

LEXICON = {"HEAP", "PUSH", "POP", "LIB", "BYTES", "TEXT", "UNDER", "PEN", "PRE", "MAX", "STD", "FILE", "MAKE"}


@pytest.mark.parametrize("word, forms", [
    ("HEAPPUSH", ("HEAP PUSH",)),                           # a compound of known words
    ("makefile", ("MAKE FILE",)),                           # any case in, upper case out
    ("STDLIB", ("ESTEEDEE LIB", "ESTEEDEELIB")),            # STD has no vowel: letters, though the lexicon has it
    ("NBYTES", ("EN BYTES", "ENBYTES")),                    # a leading letter before a consonant
    ("MAXFDS", ("MAX EFDEEES", "MAXEFDEEES")),              # a trailing run of 3 letters
    ("KWDS", ("KAY DOUBLEYOU DEE ES", "KAYDOUBLEYOUDEEES")),  # no vowel at all: letter by letter
    ("DUNDER", ()),                                         # D opens the syllable "DUN": not D + UNDER
    ("PREPENDS", ()),                                       # DS closes "PENDS": no spelled 2-letter tail
    ("HEAP", ()),                                           # one piece is the word itself
    ("HEAP PUSH", ()),                                      # a phrase, not a term
    ("C++", ()),                                            # outside A-Z: the user says how it sounds
])
def test_suggest_spoken_forms(word, forms):
    assert suggest_spoken_forms(word, LEXICON) == forms


def test_suggest_spoken_forms_limit_and_no_lexicon():
    assert suggest_spoken_forms("STDLIB", LEXICON, limit=1) == ("ESTEEDEE LIB",)
    assert suggest_spoken_forms("HEAPPUSH") == ()  # no known words: no compound
    assert suggest_spoken_forms("KWDS")[0] == "KAY DOUBLEYOU DEE ES"  # letters need no lexicon


def test_apply_display_with_a_short_run_at_the_end():
    # a 1-word spoken form at the end while 2-word forms exist (this raised IndexError)
    words = [Word("a", 0.0, 0.1), Word("esteedeelib", 0.2, 0.5)]
    out = apply_display(words, {("heap", "push"): "HEAPPUSH", ("esteedeelib",): "STDLIB"})
    assert [(w.word, w.start, w.end) for w in out] == [("a", 0.0, 0.1), ("STDLIB", 0.2, 0.5)]


def test_a_spotted_phrase_is_one_word_per_word_and_shows_its_term():
    # spotting puts a phrase in as one Word ("heap push", 1.0-1.8 s): shown as the term, or as its own words
    phrase = Word("heap push", 1.0, 1.8)
    assert [(w.word, w.start, w.end) for w in split_word(phrase)] == [("heap", 1.0, 1.4), ("push", 1.4, 1.8)]
    assert split_word(Word("heap", 0.0, 0.5)) == [Word("heap", 0.0, 0.5)]
    out = apply_display([Word("a", 0.0, 0.5), phrase], {("heap", "push"): "HEAPPUSH"})
    assert [(w.word, w.start, w.end) for w in out] == [("a", 0.0, 0.5), ("HEAPPUSH", 1.0, 1.8)]


def test_the_spotting_check_scores_a_phrase_as_its_words(pyctc_data):
    from ctcdecode_plus.decoders.beam import _FusionJudge
    from ctcdecode_plus.decoders.spotting import Detection, apply_detections

    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    em = spell(["b", "u", "g", "s", " ", "b", "u", "n", "n", "y"])
    dec = BeamSearchDecoder(lm, hotwords=["BUGSBUNNY"], auto_spoken_forms=True)
    judge = _FusionJudge(dec, em, "lower", ["bugsbunny", "bugs bunny"], hotword_bonus=0.0)
    # the same two known words, as one spotted Word or as two: the same LM score, unknown-word penalty and bonus
    one, two = [Word("bugs bunny", 0.0, 0.4)], [Word("bugs", 0.0, 0.2), Word("bunny", 0.2, 0.4)]
    assert judge.fusion(one) == pytest.approx(judge.fusion(two))
    # words that already spell the detected term by another spelling are left as they are
    words = [Word("bugsbunny", 0.0, 0.4)]
    det = [Detection("bugs bunny", 0, 20, 0.1)]
    assert apply_detections(words, det, 0.02, accept=lambda *a: True,
                            term=lambda t: {"bugs bunny": "BUGSBUNNY", "bugsbunny": "BUGSBUNNY"}.get(t, t)) == words
    assert apply_detections(words, det, 0.02, accept=lambda *a: True)[0].word == "bugs bunny"


def test_auto_spoken_forms_in_the_beam_decoder(pyctc_data):
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"  # knows "bugs" and "bunny"
    em = spell(["b", "u", "g", "s", " ", "b", "u", "n", "n", "y"])
    plain = BeamSearchDecoder(lm, beam_width=16, hotwords=["BUGSBUNNY"], hotword_weight=5.0)
    assert plain.decode(em).text == "bugs bunny"
    auto = plain.replace(auto_spoken_forms=True)
    t = auto.decode(em)
    assert t.text == "BUGSBUNNY" and (t.words[0].start, t.words[0].end) == (0.0, plain.decode(em).words[1].end)
    # both spellings are spotted, but only the term itself is boosted: pyctcdecode would boost "bugs" and
    # "bunny" wherever they stand
    _dec, _case, boosted, spotted, to_display = auto._decoder_for(em.labels)
    assert spotted == ["bugsbunny", "bugs bunny"] and boosted == ["bugsbunny"]
    assert to_display == {("bugs", "bunny"): "BUGSBUNNY"}
    # an entry with its own forms keeps them, boosted as written (known words or not)
    for own in ("bugz bunee", "bugs bunny"):
        dec = plain.replace(hotwords=[f"BUGSBUNNY: {own}"], auto_spoken_forms=True)
        assert dec._decoder_for(em.labels)[2] == ["bugsbunny", own]


def test_cli_spoken_forms_prints_an_editable_hotwords_file(pyctc_data, capsys, tmp_path):
    from ctcdecode_plus.cli import main

    lm = str(pyctc_data / "bugs_bunny_kenlm.arpa")
    assert main(["spoken-forms", "--lm", lm, "--hotwords", "BUGSBUNNY", "KWDS", "C++: SEE PLUS PLUS", "ZORK"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["BUGSBUNNY: BUGS BUNNY", "KWDS: KAY DOUBLEYOU DEE ES, KAYDOUBLEYOUDEEES",
                       "C++: SEE PLUS PLUS", "ZORK"]
    # the output is a hotwords file: read back, the forms are the entries' own
    f = tmp_path / "hot.txt"
    f.write_text("\n".join(printed) + "\n")
    assert main(["spoken-forms", "--hotwords-file", str(f)]) == 0
    assert capsys.readouterr().out.splitlines() == printed
    assert main(["spoken-forms"]) == 2
    assert "no hotwords" in capsys.readouterr().err


def test_cli_auto_spoken_forms_reaches_the_hotword_decoders(pyctc_data):
    from ctcdecode_plus.cli import build_comparison_decoders, build_parser

    lm = str(pyctc_data / "bugs_bunny_kenlm.arpa")
    for flag, expected in (([], False), (["--auto-spoken-forms"], True)):
        args = build_parser().parse_args(["compare", "--manifest", "m.tsv", "--lm", f"bb={lm}", *flag])
        decoders = build_comparison_decoders(args, ["BUGSBUNNY"])
        assert decoders["beam+bb+hotwords"].auto_spoken_forms is expected


def test_read_hotwords_is_the_files_reader_in_python(tmp_path):
    """A reviewer's Python users read hotwords files with [l.strip() for l in open(f)]: a '# comment' line then
    became a hotword (a VocabularyError); the CLI's reader is public now."""
    import ctcdecode_plus as cp
    from ctcdecode_plus.errors import CtcDecodeError

    f = tmp_path / "hot.txt"
    f.write_text("\ufeff# terms of the domain\n\nCOROUTINE\n  STDLIB: ES TEE DEE LIB  \n", encoding="utf-8")
    assert cp.read_hotwords(f) == ["COROUTINE", "STDLIB: ES TEE DEE LIB"]
    f.write_text("COROUTINE\nSTDLIB:\n", encoding="utf-8")
    with pytest.raises(CtcDecodeError, match="hot.txt, line 2: hotword 'STDLIB:'"):
        cp.read_hotwords(f)
    with pytest.raises(CtcDecodeError, match="hotwords file not found"):
        cp.read_hotwords(tmp_path / "missing.txt")
