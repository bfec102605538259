"""ARPA reading/writing, bad input to the builder, atomic outputs."""
from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from ctcdecode_plus.errors import LanguageModelError
from ctcdecode_plus.lm.arpa import atomic_write, read_arpa, unigram_list_path, write_arpa
from ctcdecode_plus.lm.build import build_lm
from ctcdecode_plus.lm.counts import count_ngrams

pytestmark = pytest.mark.filterwarnings("ignore::ctcdecode_plus.lm.kneser_ney.DiscountFallbackWarning")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = sorted((SHARED / "arpa_samples").glob("*.arpa"))

GOOD = """\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-0.7781512\t<unk>\t0
0\t<s>\t-0.30103
-0.38021123\t</s>\t0
-0.38021123\tTest\t-0.30103

\\2-grams:
-0.1497623\t<s> Test
-0.1497623\tTest </s>

\\end\\
"""


def write(tmp_path, text, name="m.arpa"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("path", SAMPLES or [None], ids=[p.name for p in SAMPLES] or ["no-samples"])
def test_reads_other_tools_arpa(path):
    if path is None:
        pytest.skip(f"{SHARED / 'arpa_samples'} not available")
    m = read_arpa(path)
    assert m.order >= 1 and all(c > 0 for c in m.counts)


def test_samples_present_or_skip():
    if not SAMPLES:
        pytest.skip(f"{SHARED / 'arpa_samples'} not available")
    assert any(p.name == "kenlm_test.arpa" for p in SAMPLES)


def test_round_trip_and_gzip(tmp_path):
    m = read_arpa(write(tmp_path, GOOD))
    write_arpa(m, tmp_path / "out.arpa.gz")
    with gzip.open(tmp_path / "out.arpa.gz", "rt") as fh:
        assert fh.read().startswith("\\data\\")
    m2 = read_arpa(tmp_path / "out.arpa.gz")
    assert m2.ngrams == m.ngrams


def test_every_unigram_line_has_a_backoff_column_even_for_order_1(tmp_path):
    res = build_lm([write(tmp_path, "a b\nb c\na\n", "t.txt")], tmp_path / "u.arpa", 1, discount_fallback=True,
                   binary=False)
    lines = res.arpa_path.read_text().split("\\1-grams:\n")[1].split("\n\n")[0].splitlines()
    assert lines and all(len(line.split("\t")) == 3 for line in lines)
    assert "0\t<s>\t0" in lines


@pytest.mark.parametrize(
    "text,match",
    [
        (GOOD.replace("-0.1497623\tTest </s>\n", ""), r"m.arpa:14: section \\2-grams: has 1 entries"),
        (GOOD.split("\\2-grams:")[0], r"ends before \\end\\"),
        (GOOD.replace("-0.38021123\t</s>\t0", "abc\t</s>\t0"), r"m.arpa:8: probability 'abc'"),
        (GOOD.replace("-0.1497623\t<s> Test", "-0.1497623\t<s> Test x y"), r"m.arpa:12: expected"),
        (GOOD.replace("ngram 2=2", "ngram 2=x"), r"m.arpa:3: malformed header"),
        ("hello\nworld\n", r"no \\data\\ header"),
        ("", r"no \\data\\ header"),
        (GOOD.replace("\\2-grams:", "\\3-grams:"), r"m.arpa:11: unexpected section"),
        (GOOD.replace("-0.1497623\tTest </s>", "-0.1497623\t<s> Test"), r"2-gram '<s> Test' is listed twice"),
    ],
    ids=["count-mismatch", "truncated", "bad-prob", "bad-fields", "bad-header", "not-arpa", "empty", "bad-section",
         "duplicate"],
)
def test_malformed_arpa_names_file_and_line(tmp_path, text, match):
    with pytest.raises(LanguageModelError, match=match):
        read_arpa(write(tmp_path, text))


def test_truncated_gzip(tmp_path):
    p = tmp_path / "m.arpa.gz"
    data = gzip.compress(GOOD.encode() * 50)
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(LanguageModelError, match="m.arpa.gz"):
        read_arpa(p)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(LanguageModelError, match="not found"):
        read_arpa(tmp_path / "nope.arpa")
    p = tmp_path / "x.bin"
    p.write_bytes(b"mmap lm http://kheafield.com/code\0\xff\xfe" * 10)
    with pytest.raises(LanguageModelError, match="x.bin"):
        read_arpa(p)


# ------------------------------------------------------------------------------------ bad corpora
def _build(tmp_path, content, order=2, **kw):
    src = tmp_path / "corpus.txt"
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.arpa"
    return src, out, lambda: build_lm([src], out, order, binary=False, **kw)


@pytest.mark.parametrize("content", ["", "\n\n  \n", "... !!! ???\n"], ids=["empty", "blank", "punct"])
def test_empty_corpus(tmp_path, content):
    from ctcdecode_plus.lm.normalize import Alphabet

    src, out, run = _build(tmp_path, content, alphabet=Alphabet.from_string("ABC'"))
    with pytest.raises(LanguageModelError, match="corpus.txt: no words"):
        run()
    assert not out.exists() and not unigram_list_path(out).exists()
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.txt"]


@pytest.mark.parametrize("symbol", ["<s>", "</s>", "<unk>"])
def test_reserved_symbols(tmp_path, symbol):
    src, out, run = _build(tmp_path, f"A B\nA {symbol} B\n")
    with pytest.raises(LanguageModelError, match=f"corpus.txt:2: .*{symbol}.*skip_symbols"):
        run()
    assert not out.exists()
    # documented recovery: treat them as spaces, as lmplz --skip_symbols
    res = build_lm([src], out, 2, binary=False, skip_symbols=True, discount_fallback=True)
    assert res.tokens == 4


def test_non_utf8(tmp_path):
    src, out, run = _build(tmp_path, b"A B\nCAF\xe9 B\n")
    with pytest.raises(LanguageModelError, match="corpus.txt:2: not valid UTF-8.*iconv"):
        run()
    assert not out.exists()


def test_missing_text_and_output_folder(tmp_path):
    with pytest.raises(LanguageModelError, match="nope.txt: text file not found"):
        build_lm([tmp_path / "nope.txt"], tmp_path / "o.arpa", 2)
    (tmp_path / "t.txt").write_text("a b\n")
    (tmp_path / "t.txt").write_text("a b\nb a\na a b\n")  # a missing output folder is made, as transcribe -o does
    assert build_lm([tmp_path / "t.txt"], tmp_path / "no" / "o.arpa", 2, discount_fallback=True).arpa_path.is_file()


def test_failed_build_removes_the_output_folders_it_made(tmp_path):
    (tmp_path / "blank.txt").write_text("\n\n")
    with pytest.raises(LanguageModelError, match="no words left"):
        build_lm([tmp_path / "blank.txt"], tmp_path / "new" / "deeper" / "o.arpa", 2)
    assert not (tmp_path / "new").exists()
    (tmp_path / "kept").mkdir()  # a folder that was there stays
    with pytest.raises(LanguageModelError, match="no words left"):
        build_lm([tmp_path / "blank.txt"], tmp_path / "kept" / "sub" / "o.arpa", 2)
    assert (tmp_path / "kept").is_dir() and not (tmp_path / "kept" / "sub").exists()


def test_bad_order_and_prune_fail_before_reading(tmp_path):
    with pytest.raises(LanguageModelError, match="1 to 6"):
        build_lm([tmp_path / "missing.txt"], tmp_path / "o.arpa", 9)
    with pytest.raises(LanguageModelError, match="non-decreasing"):
        build_lm([tmp_path / "missing.txt"], tmp_path / "o.arpa", 3, prune=[0, 3, 1])


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.arpa"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.arpa"]


def test_build_writes_unigrams_beside(tmp_path):
    src, out, _ = _build(tmp_path, "B A\nA C\n")
    res = build_lm([src], out, 2, discount_fallback=True)
    assert res.unigrams_path == tmp_path / "out.unigrams.txt"
    assert res.unigrams_path.read_text().split() == ["A", "B", "C"]
    assert res.binary_path is None or res.binary_path.exists()
    if res.binary_path is None:
        assert any("build_binary" in w for w in res.warnings)


def test_count_ngrams_accepts_files_and_gz(tmp_path):
    p = tmp_path / "c.txt.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("a b\n\tb  c \r\n")
    c = count_ngrams(p, 2)
    assert c.tokens == 4 and c.sentences == 2


def _fake_build_binary(folder: Path, script: str) -> None:
    """A stand-in for KenLM's ``build_binary INPUT OUTPUT`` on PATH (the real tool is not installed here)."""
    folder.mkdir()
    exe = folder / "build_binary"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)


def test_build_binary_is_called_and_its_failure_keeps_the_arpa(tmp_path, monkeypatch):
    import os

    ok, bad = tmp_path / "ok", tmp_path / "bad"
    _fake_build_binary(ok, 'head -c 5 "$1" > "$2"\n')  # the real tool writes the binary to its 2nd argument
    _fake_build_binary(bad, 'echo "reading $1" >&2; echo "Bad ARPA header" >&2; exit 3\n')
    path = os.environ["PATH"]
    src = tmp_path / "c.txt"
    src.write_text("B A\nA C\n")

    monkeypatch.setenv("PATH", f"{ok}{os.pathsep}{path}")
    res = build_lm([src], tmp_path / "m.arpa", 2, discount_fallback=True)
    assert res.binary_path == tmp_path / "m.bin" and res.binary_path.read_text() == "\\data"
    assert not any("build_binary" in w for w in res.warnings)

    monkeypatch.setenv("PATH", f"{bad}{os.pathsep}{path}")
    res = build_lm([src], tmp_path / "n.arpa", 2, discount_fallback=True)
    assert res.binary_path is None and read_arpa(res.arpa_path).order == 2  # the ARPA is kept and valid
    assert any("build_binary failed" in w and "Bad ARPA header" in w for w in res.warnings)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp file left

    # a compressed ARPA gets its binary too (KenLM reads .gz), named lm.bin rather than lm.arpa.bin
    monkeypatch.setenv("PATH", f"{ok}{os.pathsep}{path}")
    res = build_lm([src], tmp_path / "g.arpa.gz", 2, discount_fallback=True)
    assert res.binary_path == tmp_path / "g.bin" and res.binary_path.exists()


def test_written_files_follow_the_umask_not_private_temp_modes(tmp_path, monkeypatch):
    """Atomic writes go through mkstemp (0600); the renamed result must get the usual 0666 & ~umask."""
    import os

    ok = tmp_path / "ok"
    _fake_build_binary(ok, 'head -c 5 "$1" > "$2"\n')
    monkeypatch.setenv("PATH", f"{ok}{os.pathsep}{os.environ['PATH']}")
    src = tmp_path / "c.txt"
    src.write_text("B A\nA C\n")
    old = os.umask(0o022)
    try:
        res = build_lm([src], tmp_path / "m.arpa", 2, discount_fallback=True)
    finally:
        os.umask(old)
    for p in (res.arpa_path, res.unigrams_path, res.binary_path):
        assert p.stat().st_mode & 0o777 == 0o644, p


@pytest.mark.skipif(shutil.which("build_binary") is None,
                    reason="KenLM's build_binary is not on PATH (see lm/README.md to compile it)")
def test_real_build_binary_scores_like_the_arpa(tmp_path):
    kenlm = pytest.importorskip("kenlm")
    src = tmp_path / "c.txt"
    src.write_text("THE CAT SAT\nTHE DOG SAT ON THE MAT\nA CAT ON A MAT\n" * 3 + "THE BIRD\n")
    res = build_lm([src], tmp_path / "m.arpa.gz", 3, discount_fallback=True)
    assert res.binary_path == tmp_path / "m.bin", res.warnings
    arpa, binary = kenlm.Model(str(res.arpa_path)), kenlm.Model(str(res.binary_path))
    for s in ("THE CAT SAT ON THE MAT", "A DOG", "THE UNSEEN WORD", ""):
        assert binary.score(s) == pytest.approx(arpa.score(s), abs=1e-5), s


def test_a_word_with_a_no_break_space_round_trips(tmp_path):
    # lmplz and KenLM split words on space/tab only; the reader split on every Unicode space, so build-lm wrote
    # an ARPA file that its own reader refused ("got 4 fields")
    from ctcdecode_plus.lm.perplexity import perplexity

    (tmp_path / "c.txt").write_text("THE\u00a0OBJECT IS\nTHE OBJECT\n", encoding="utf-8")
    build_lm([tmp_path / "c.txt"], tmp_path / "m.arpa", order=2, discount_fallback=True, binary=False)
    assert ("THE\u00a0OBJECT",) in read_arpa(tmp_path / "m.arpa").ngrams[0]
    lines = ["THE\u00a0OBJECT IS", "THE OBJECT"]
    py, ken = (perplexity(tmp_path / "m.arpa", lines=lines, backend=b) for b in ("python", "kenlm"))
    assert py.oovs == ken.oovs == 0 and py.log10_prob == pytest.approx(ken.log10_prob, abs=1e-4)


def test_an_ngram_of_words_that_are_not_1grams_is_refused(tmp_path):
    bad = GOOD.replace("-0.1497623\tTest </s>", "-0.1497623\tTest zz")
    with pytest.raises(LanguageModelError, match=r"m.arpa:\d+: the word 'zz' of this 2-gram is not among the 1-grams"):
        read_arpa(write(tmp_path, bad))  # KenLM refuses it; mixing turned it into a 1-gram KenLM then took


def test_a_model_without_unk_scores_oovs_as_kenlm(tmp_path, caplog):
    from ctcdecode_plus.lm.perplexity import perplexity

    no_unk = GOOD.replace("ngram 1=4", "ngram 1=3").replace("-0.7781512\t<unk>\t0\n", "")
    path = write(tmp_path, no_unk)
    with caplog.at_level("WARNING", logger="ctcdecode_plus"):
        py, ken = (perplexity(path, lines=["Test nope Test"], backend=b) for b in ("python", "kenlm"))
    assert py.oovs == ken.oovs == 1 and py.log10_prob == pytest.approx(ken.log10_prob, abs=1e-4)  # -99 vs -100
    warned = [r.getMessage() for r in caplog.records if "has no <unk>" in r.getMessage()]
    assert len(warned) == 2  # one per backend: a perplexity of 1e25 was printed without a word


def test_counting_one_string_counts_one_line():
    counts = count_ngrams(lines="HELLO WORLD", order=2)
    assert counts.sentences == 1 and "HELLO" in counts.vocab  # was 11 sentences of letters


UNK_BACKOFF = """\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-1.0\t<unk>\t-2.0
0\t<s>\t-0.3
-0.5\t</s>\t0
-0.4\tB\t-0.1

\\2-grams:
-0.2\t<unk> B
-0.3\t<s> B

\\end\\
"""


def test_unknown_words_are_unk_in_contexts_and_literal_unk_is_an_oov(tmp_path):
    # from a review: an OOV context word was skipped (no <unk> backoff, no <unk> n-grams): -0.4 here, KenLM -0.2;
    # and the python perplexity backend counted a literal <unk> in the text as known, KenLM as an OOV
    import kenlm

    from ctcdecode_plus.lm.perplexity import perplexity

    path = write(tmp_path, UNK_BACKOFF)
    model = read_arpa(path)
    ken = [lp for lp, _, _ in kenlm.Model(str(path)).full_scores("ZZZ B ZZZ", bos=True, eos=False)]
    ours = [model.log10_prob(w, ctx)[0] for w, ctx in (("ZZZ", ("<s>",)), ("B", ("<s>", "ZZZ")),
                                                       ("ZZZ", ("ZZZ", "B")))]
    assert ours == pytest.approx(ken, abs=1e-6) and ours[1] == pytest.approx(-0.2)
    py, kn = (perplexity(path, lines=["B <unk> B", "ZZZ B"], backend=b) for b in ("python", "kenlm"))
    assert py.oovs == kn.oovs == 2 and py.log10_prob == pytest.approx(kn.log10_prob, abs=1e-5)


def test_an_arpa_with_spaces_for_tabs_is_read_and_kenlms_refusal_says_how_to_rewrite_it(tmp_path, caplog):
    """SRILM reads fields split by spaces; KenLM (beam search) needs tabs: say so from both sides, with the fix."""
    pytest.importorskip("kenlm")
    from ctcdecode_plus.lm.perplexity import load_kenlm, perplexity

    spaced = write(tmp_path, GOOD.replace("\t", " "), "spaced.arpa")
    with caplog.at_level("WARNING"):
        python = perplexity(spaced, lines=["Test"], backend="python")
    assert "spaced.arpa:6: its fields are separated by spaces" in caplog.text and "KenLM" in caplog.text
    with pytest.raises(LanguageModelError, match="KenLM needs tabs: rewrite it with tabs: python -c"):
        load_kenlm(spaced)
    write_arpa(read_arpa(spaced), tmp_path / "with_tabs.arpa")  # the rewrite the message gives
    assert perplexity(tmp_path / "with_tabs.arpa", lines=["Test"], backend="kenlm").log10_prob == \
        pytest.approx(python.log10_prob, abs=1e-6)


def test_a_latin1_arpa_is_named_with_how_to_convert_it(tmp_path):
    """Not UTF-8: the decoder used to take it for a binary LM and decode without its unigrams, with a warning."""
    from ctcdecode_plus import BeamSearchDecoder

    latin1 = tmp_path / "latin1.arpa"
    latin1.write_bytes(GOOD.replace("Test", "Caf\u00e9").encode("latin-1"))
    with pytest.raises(LanguageModelError, match="latin1.arpa: not UTF-8 text.*iconv -f LATIN1"):
        BeamSearchDecoder(latin1)
    with pytest.raises(LanguageModelError, match="not UTF-8 text.*iconv"):
        read_arpa(latin1)
    pytest.importorskip("kenlm")
    from ctcdecode_plus.lm.perplexity import perplexity

    with pytest.raises(LanguageModelError, match="not UTF-8 text.*iconv"):  # KenLM's backend counted OOVs silently
        perplexity(latin1, lines=["Caf\u00e9"], backend="kenlm")


@pytest.mark.parametrize("count", ["-1", "-3", "-100"])
def test_a_negative_count_in_the_header_is_refused_before_kenlm_reads_it(tmp_path, count):
    """KenLM sized its tables by 'ngram 2=-3' and the process died (rc 139, no message): the header is checked
    first. In a subprocess, so that a crash fails this test instead of killing the test run."""
    import subprocess
    import sys

    path = write(tmp_path, GOOD.replace("ngram 2=2", f"ngram 2={count}"))
    code = ("from ctcdecode_plus.decoders import BeamSearchDecoder\n"
            "from ctcdecode_plus.errors import LanguageModelError\n"
            f"try:\n    BeamSearchDecoder({str(path)!r})\nexcept LanguageModelError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert f"m.arpa:3: header line 'ngram 2={count}' declares a negative number of 2-grams" in done.stdout
