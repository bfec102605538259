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
