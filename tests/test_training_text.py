"""The acoustic model's training text (training/text.py): normalisation and the WordNet source."""
from pathlib import Path

from training import text

# Two synsets in WordNet's data-file layout (licence header lines start with two spaces).
FAKE_DATA = """  1 This software and database is being provided to you, the LICENSEE
00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived; "the team is a unit"; "she heard 3 bells"
00002137 03 n 01 tracing 0 000 | a drawing; "his clenched (or clinched) teeth"; "currently tracing the snapshot"
00002452 03 n 01 thing 0 000 | an entity; "ok"; "the competition was tough"
"""


def _fake_wordnet(tmp_path: Path) -> Path:
    (tmp_path / "data.noun").write_text(FAKE_DATA, encoding="latin-1")
    return tmp_path


def test_normalize_spells_digits_and_keeps_inner_apostrophes():
    assert text.normalize("She won't pay $5 -- 'really'!") == "SHE WON'T PAY FIVE DOLLARS REALLY"


def test_read_wordnet_examples_takes_quoted_examples_only(tmp_path):
    examples = text.read_wordnet_examples(_fake_wordnet(tmp_path))
    # glosses, the licence header and examples with parentheses are left out
    assert examples == ["the team is a unit", "she heard 3 bells", "currently tracing the snapshot", "ok",
                        "the competition was tough"]
    assert text.read_wordnet_examples(tmp_path / "missing") == []


def test_wordnet_train_text_drops_hotwords_evaluated_and_known_sentences(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "WORDNET_DIR", _fake_wordnet(tmp_path))
    monkeypatch.setattr(text, "_held_out_words_and_sentences",
                        lambda val: ({"SNAPSHOT"}, set(val)))
    out = text.wordnet_train_text(val=["THE COMPETITION WAS TOUGH"], train=["THE TEAM IS A UNIT"])
    # "ok" is under three words; the snapshot example holds a hotword; the others are known sentences
    assert out == ["SHE HEARD THREE BELLS"]


def test_held_out_sets_come_from_the_repository():
    words, sentences = text._held_out_words_and_sentences([])
    demo = (text.REPO / "demo" / "hotwords.txt").read_text().split()
    assert {w.upper() for w in demo} <= words
    first_demo = (text.REPO / "demo" / "manifest.tsv").read_text().splitlines()[1].split("\t")[-1]
    assert text.normalize(first_demo) in sentences


def test_nonce_words_are_new_pronounceable_and_never_a_hotword():
    import random

    from training import nonce

    lexicon = ["TRACE", "TRACING", "HOUSE", "MOUSE", "GARDEN", "WINDOW", "BOTTLE", "LITTLE", "MARKET", "CANDLE",
               "HANDLE", "SADDLE", "PEN", "CAT", "DOG", "HAT", "SUN", "MOON", "STAR", "TREE"]
    words = nonce.nonce_words(lexicon, random.Random(1), 40, forbidden_words={"CATDOG"}, hotwords={"TRACING",
                                                                                                   "MOONSUN"})
    assert len(words) == len(set(words)) > 10
    for w in words:
        assert w not in lexicon and w != "CATDOG" and 4 <= len(w) <= 11, w
        assert "TRACING" not in w and w not in "TRACING" and "MOONSUN" not in w, w
        assert set("AEIOUY") & set(w) and not nonce._CONSONANT_RUN.search(w), w
    assert any(w[:3] in lexicon or w[:4] in lexicon for w in words)  # the compounds of short words


def test_nonce_utterances_replace_one_or_two_words(tmp_path, monkeypatch):
    from training import nonce

    (tmp_path / "train_text.txt").write_text("THE LITTLE HOUSE STOOD BY THE GARDEN\nA CAT SAT ON THE WINDOW\n")
    (tmp_path / "val_text.txt").write_text("")
    monkeypatch.setattr(nonce, "CACHE", tmp_path)
    monkeypatch.setattr(nonce, "_forbidden", lambda: ({"GARDENS"}, set()))
    utts = nonce.nonce_utterances(2, seed=3)
    assert len(utts) == 2
    known = {"THE", "LITTLE", "HOUSE", "STOOD", "BY", "GARDEN", "A", "CAT", "SAT", "ON", "WINDOW"}
    for u in utts:
        new = [w for w in u.split() if w not in known]
        assert 1 <= len(new) <= 2 and all(len(w) >= 4 for w in new), u
