"""Decoder folders (pyctcdecode / Wav2Vec2ProcessorWithLM) and the build-lm / perplexity CLI."""
from __future__ import annotations

import argparse
import json
import os
import warnings

import pytest

from ctcdecode_plus.errors import CtcDecodeError, LanguageModelError, VocabularyError
from ctcdecode_plus.lm.arpa import read_arpa, write_arpa
from ctcdecode_plus.lm.cli import register
from ctcdecode_plus.lm.counts import count_ngrams
from ctcdecode_plus.lm.kneser_ney import estimate
from ctcdecode_plus.lm.package import load_decoder_folder, save_decoder_folder

pytestmark = pytest.mark.filterwarnings("ignore::ctcdecode_plus.lm.kneser_ney.DiscountFallbackWarning")

LINES = ["THE CAT SAT", "THE DOG SAT", "A CAT RAN", "THE CAT RAN AWAY", "IT'S A DOG"]
VOCAB = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4, **{c: i + 5 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ'")}}
LABELS = [k for k, _ in sorted(VOCAB.items(), key=lambda kv: kv[1])]


@pytest.fixture()
def lm_path(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = estimate(count_ngrams(lines=LINES, order=3), discount_fallback=True)
    p = tmp_path / "lm.arpa"
    write_arpa(m, p)
    return p


def test_save_and_load_round_trip(tmp_path, lm_path):
    folder = save_decoder_folder(tmp_path / "dec", LABELS, lm_path, alpha=0.7, beta=2.0, unk_score_offset=-8.0)
    alph = json.loads((folder / "alphabet.json").read_text())
    assert set(alph) == {"labels", "is_bpe"} and alph["is_bpe"] is False
    assert alph["labels"][0] == "" and alph["labels"][4] == " "
    attrs = json.loads((folder / "language_model" / "attrs.json").read_text())
    assert attrs == {"alpha": 0.7, "beta": 2.0, "unk_score_offset": -8.0, "score_boundary": True}
    d = load_decoder_folder(folder)
    assert d.lm_path == folder / "language_model" / "lm.arpa"
    assert (d.alpha, d.beta, d.unk_score_offset, d.score_boundary) == (0.7, 2.0, -8.0, True)
    assert d.unigrams == ["A", "AWAY", "CAT", "DOG", "IT'S", "RAN", "SAT", "THE"]
    assert d.labels == alph["labels"]
    assert sorted(p.name for p in folder.iterdir()) == ["alphabet.json", "language_model"]


def test_saved_folder_follows_the_umask(tmp_path, lm_path):
    """The folder is built in a mkdtemp (0700) and renamed: it must end up as readable as a plain mkdir."""
    old = os.umask(0o022)
    try:
        folder = save_decoder_folder(tmp_path / "dec", LABELS, lm_path)
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o755


def test_prune_list_swallowing_the_text_gets_a_hint(tmp_path, capsys):
    (tmp_path / "t.txt").write_text("A B\n")
    with pytest.raises(SystemExit):
        run_cli("build-lm", "-o", tmp_path / "o.arpa", "--order", 2, "--prune", 0, 1, tmp_path / "t.txt")
    assert "put the TEXT files before --prune" in capsys.readouterr().err


def test_pyctcdecode_loads_the_folder(tmp_path, lm_path):
    pyctcdecode = pytest.importorskip("pyctcdecode")
    pytest.importorskip("kenlm")
    folder = save_decoder_folder(tmp_path / "dec", LABELS, lm_path, alpha=0.6, beta=1.0)
    dec = pyctcdecode.BeamSearchDecoderCTC.load_from_dir(str(folder))
    lm = dec.model_container[dec._model_key]
    assert lm.alpha == 0.6 and lm.beta == 1.0
    assert "CAT" in lm._unigram_set


def test_gz_lm_is_decompressed_and_unigrams_override(tmp_path, lm_path):
    import gzip

    gz = tmp_path / "lm.arpa.gz"
    gz.write_bytes(gzip.compress(lm_path.read_bytes()))
    folder = save_decoder_folder(tmp_path / "dec", LABELS, gz, unigrams=["CAT", "<s>", "DOG", "CAT"])
    d = load_decoder_folder(folder)
    assert d.lm_path.name == "lm.arpa" and d.unigrams == ["CAT", "DOG"]
    read_arpa(d.lm_path)


def test_transformers_processor_with_lm(tmp_path, lm_path):
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("kenlm")
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "vocab.json").write_text(json.dumps(VOCAB))
    transformers.Wav2Vec2CTCTokenizer(str(proc / "vocab.json")).save_pretrained(proc)
    transformers.Wav2Vec2FeatureExtractor().save_pretrained(proc)
    folder = save_decoder_folder(tmp_path / "dec", LABELS, lm_path, processor_dir=proc,
                                 search_settings={"hotwords": ["CAT"]})  # a hidden file transformers ignores
    assert (folder / ".ctcdecode_plus.json").exists()
    p = transformers.Wav2Vec2ProcessorWithLM.from_pretrained(str(folder))
    assert p.decoder.model_container[p.decoder._model_key].alpha == 0.5


def test_package_errors(tmp_path, lm_path):
    with pytest.raises(LanguageModelError, match="nope.arpa: language model file not found"):
        save_decoder_folder(tmp_path / "d1", LABELS, tmp_path / "nope.arpa")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(LanguageModelError, match="overwrite=True"):
        save_decoder_folder(tmp_path / "busy", LABELS, lm_path)
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"mmap lm\0\1\2")
    with pytest.raises(LanguageModelError, match="pass unigrams"):
        save_decoder_folder(tmp_path / "d2", LABELS, binary)
    with pytest.raises(VocabularyError):
        save_decoder_folder(tmp_path / "d3", [], lm_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "lm.arpa", "lm.unigrams.txt", "model.bin"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["busy", "lm.arpa", "model.bin"]
    with pytest.raises(LanguageModelError, match="decoder folder not found"):
        load_decoder_folder(tmp_path / "none")
    folder = save_decoder_folder(tmp_path / "ok", LABELS, lm_path)
    (folder / "language_model" / "extra.arpa").write_text("x")
    with pytest.raises(LanguageModelError, match="exactly one"):
        load_decoder_folder(folder)
    # overwrite replaces it in one rename
    save_decoder_folder(folder, LABELS, lm_path, overwrite=True, alpha=1.0)
    assert load_decoder_folder(folder).alpha == 1.0


def test_folder_without_lm(tmp_path):
    folder = save_decoder_folder(tmp_path / "dec", LABELS, None)
    d = load_decoder_folder(folder)
    assert d.lm_path is None and d.unigrams == []


# ------------------------------------------------------------------------------------ CLI
def run_cli(*argv) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def test_cli_build_and_perplexity(tmp_path, capsys):
    raw = tmp_path / "raw.txt"
    raw.write_text("The cat sat. The dog sat!\nA cat ran, it's 2 cats.\n“The cat ran away.”\n", encoding="utf-8")
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "vocab.json").write_text(json.dumps(VOCAB))
    out = tmp_path / "lm.arpa"
    assert run_cli("build-lm", raw, "-o", out, "--order", 3, "--discount-fallback", "--alphabet-from", model_dir) == 0
    text = capsys.readouterr()
    assert "wrote" in text.out and "normalised" in text.err
    m = read_arpa(out)
    assert ("TWO",) in m.ngrams[0] and ("IT'S",) in m.ngrams[0]
    assert (tmp_path / "lm.unigrams.txt").exists()
    assert run_cli("perplexity", "--lm", out, raw, "--alphabet-from", model_dir, "--backend", "python") == 0
    assert "OOV rate 0.00%" in capsys.readouterr().out
    # mix with another model
    other = tmp_path / "other.arpa"
    (tmp_path / "o.txt").write_text("THE BIRD FLEW\nA BIRD SAT\n")
    assert run_cli("build-lm", tmp_path / "o.txt", "-o", other, "--order", 2, "--discount-fallback") == 0
    mixed = tmp_path / "mixed.arpa"
    assert run_cli("build-lm", raw, "-o", mixed, "--order", 3, "--discount-fallback", "--alphabet",
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ'", "--mix", f"{other}:0.3") == 0
    assert ("BIRD",) in read_arpa(mixed).ngrams[0]
    assert "BIRD" in (tmp_path / "mixed.unigrams.txt").read_text().split()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "argv,match",
    [
        (["--order", "9"], "1 to 6"),
        (["--order", "3", "--prune", "0", "2", "1"], "non-decreasing"),
        (["--order", "2", "--mix", "missing.arpa:0.5"], "not found"),
        (["--order", "2", "--case", "upper"], "needs an alphabet"),
        (["--order", "2", "--alphabet", ""], "give the characters"),  # was no alphabet: raw text counted
        (["--order", "2"], r"t\.txt: could not calculate .*discount-fallback"),  # the text is named
    ],
)
def test_cli_user_errors_raise_ctcdecode_errors(tmp_path, argv, match):
    (tmp_path / "t.txt").write_text("A B\n")
    with pytest.raises(CtcDecodeError, match=match):
        run_cli("build-lm", tmp_path / "t.txt", "-o", tmp_path / "o.arpa", *argv)
    assert not (tmp_path / "o.arpa").exists()


def test_cli_failed_build_removes_the_output_folder_it_made(tmp_path):
    (tmp_path / "t.txt").write_text("A B\n")
    with pytest.raises(CtcDecodeError, match="not found"):  # fails after the output check
        run_cli("build-lm", tmp_path / "t.txt", "-o", tmp_path / "lm" / "o.arpa", "--order", "2",
                "--mix", f"{tmp_path / 'missing.arpa'}:0.5")
    with pytest.raises(CtcDecodeError, match="discount-fallback"):  # fails inside the build
        run_cli("build-lm", tmp_path / "t.txt", "-o", tmp_path / "lm" / "o.arpa", "--order", "2")
    assert not (tmp_path / "lm").exists()


def test_cli_standalone_main_prints_one_line(tmp_path, capsys):
    from ctcdecode_plus.lm.cli import main

    assert main(["perplexity", "--lm", str(tmp_path / "none.arpa"), str(tmp_path / "t.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not found" in err[0]


def test_cli_malformed_mix_model_fails_before_building(tmp_path):
    (tmp_path / "t.txt").write_text("A B\nB A\n")
    bad = tmp_path / "bad.arpa"
    bad.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\tA\t0\n-1\tB\n")
    with pytest.raises(LanguageModelError, match="bad.arpa.*truncated"):
        run_cli("build-lm", tmp_path / "t.txt", "-o", tmp_path / "o.arpa", "--order", 2, "--discount-fallback",
                "--mix", f"{bad}:0.3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.arpa", "t.txt"]


@pytest.mark.parametrize("content", [b"not gzip at all", None], ids=["not-gzip", "truncated"])
def test_a_damaged_gzip_lm_is_named_when_saving_a_decoder_folder(tmp_path, content):
    import gzip

    from ctcdecode_plus.lm.package import save_decoder_folder

    lm = tmp_path / "m.arpa.gz"
    whole = gzip.compress("".join(f"-1.0\tw{i}\n" for i in range(5000)).encode())
    lm.write_bytes(content if content is not None else whole[: len(whole) // 2])
    with pytest.raises(LanguageModelError, match="m.arpa.gz: not a complete gzip file"):
        save_decoder_folder(tmp_path / "out", ["", " ", "A"], lm, unigrams=["A"])  # was an EOFError traceback
    assert not (tmp_path / "out").exists()
