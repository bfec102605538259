"""Mixing ARPA models and measuring perplexity / OOV rate."""
from __future__ import annotations

import warnings

import pytest

from ctcdecode_plus.errors import LanguageModelError
from ctcdecode_plus.lm.arpa import read_arpa, read_arpa_arrays, write_arpa
from ctcdecode_plus.lm.counts import count_ngrams
from ctcdecode_plus.lm.kneser_ney import estimate
from ctcdecode_plus.lm.mix import mix_arpa, mix_models, parse_mix_spec
from ctcdecode_plus.lm.normalize import Alphabet
from ctcdecode_plus.lm.perplexity import ArrayScorer, perplexity

A = ["THE CAT SAT ON THE MAT", "THE CAT RAN", "A DOG SAT", "THE DOG RAN AWAY", "A CAT SAT ON A DOG"]
B = ["SHE SAT ON THE CHAIR", "HE RAN HOME", "THE CHAIR IS RED", "SHE IS HOME", "HE SAT"]


def make(tmp_path, lines, order, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = estimate(count_ngrams(lines=lines, order=order), discount_fallback=True)
    p = tmp_path / name
    write_arpa(m, p)
    return p


def test_mix_normalises_and_interpolates(tmp_path):
    pa, pb = make(tmp_path, A, 3, "a.arpa"), make(tmp_path, B, 2, "b.arpa")
    res = mix_arpa([pa, pb], [3, 1], tmp_path / "mix.arpa")
    assert res.weights == [0.75, 0.25]
    a, b, mix = read_arpa(pa), read_arpa(pb), read_arpa(res.path)
    assert mix.order == 3
    vocab = [w for w in mix.vocab if w != "<s>"]
    # union of n-grams
    for k in range(2):
        assert set(mix.ngrams[k]) == set(a.ngrams[k]) | set(b.ngrams[k])
    # n-grams in the union: the weighted sum of each model's backed-off probability (0 outside its vocabulary)
    def p(model, w, h):
        return 10 ** model.log10_prob(w, h)[0] if w in model.vocab else 0.0
    for g in list(mix.ngrams[1])[:40]:
        want = 0.75 * p(a, g[1], g[:1]) + 0.25 * p(b, g[1], g[:1])
        assert 10 ** mix.ngrams[1][g][0] == pytest.approx(want, rel=1e-5)
    # every context normalises over the union vocabulary
    contexts = [()] + [g for k in range(2) for g in mix.ngrams[k] if g[-1] != "</s>"]
    for h in contexts:
        total = sum(10 ** mix.log10_prob(w, h)[0] for w in vocab)
        assert total == pytest.approx(1.0, abs=1e-4), h


def test_mix_with_itself_is_the_same_model(tmp_path):
    pa = make(tmp_path, A, 3, "a.arpa")
    a = read_arpa(pa)
    mixed = mix_models([a, a], [0.5, 0.5])
    for k in range(3):
        for g, (lp, bo) in a.ngrams[k].items():
            assert mixed.ngrams[k][g][0] == pytest.approx(lp, abs=1e-5)
            if g[-1] not in ("</s>",):
                assert mixed.ngrams[k][g][1] == pytest.approx(bo, abs=1e-4)


def test_arrays_read_what_the_dicts_read_and_mix_the_same(tmp_path):
    pa, pb = make(tmp_path, A, 3, "a.arpa"), make(tmp_path, B, 2, "b.arpa")
    for path in (pa, pb):
        d, arr = read_arpa(path), read_arpa_arrays(path)
        assert arr.counts == d.counts
        for k, o in enumerate(arr.orders):
            got = {tuple(arr.vocab[i] for i in g): (p, b) for g, p, b in zip(o.words, o.log10_prob, o.log10_backoff)}
            assert got == d.ngrams[k]
    res = mix_arpa([pa, pb], [3, 1], tmp_path / "mix.arpa")  # arrays
    via_dicts = mix_models([read_arpa(pa), read_arpa(pb)], [3, 1])
    assert read_arpa(res.path).ngrams == write_and_read(tmp_path, via_dicts).ngrams


def write_and_read(tmp_path, model):
    write_arpa(model, tmp_path / "m.arpa")
    return read_arpa(tmp_path / "m.arpa")


def test_mix_fills_in_a_missing_suffix_and_still_normalises(tmp_path):
    # an SRILM-style pruned model: the 3-gram "THE CAT SAT" kept, its suffix 2-gram "CAT SAT" pruned
    pa = make(tmp_path, A, 3, "a.arpa")
    lines = pa.read_text().splitlines()
    gone = next(i for i, line in enumerate(lines) if line.split("\t")[1:2] == ["CAT SAT"])
    n2 = int(next(line for line in lines if line.startswith("ngram 2=")).split("=")[1])
    lines = [line.replace(f"ngram 2={n2}", f"ngram 2={n2 - 1}") for i, line in enumerate(lines) if i != gone]
    pruned = tmp_path / "pruned.arpa"
    pruned.write_text("\n".join(lines) + "\n")
    assert ("THE", "CAT", "SAT") in read_arpa(pruned).ngrams[2] and ("CAT", "SAT") not in read_arpa(pruned).ngrams[1]
    res = mix_arpa([pruned, make(tmp_path, B, 2, "b.arpa")], [1, 1], tmp_path / "mix.arpa")
    mix = read_arpa(res.path)
    assert ("CAT", "SAT") in mix.ngrams[1]  # B lacks it too: the mixer put it back, as a backed-off probability
    vocab = [w for w in mix.vocab if w != "<s>"]
    for h in [()] + [g for k in range(2) for g in mix.ngrams[k] if g[-1] != "</s>"]:
        assert sum(10 ** mix.log10_prob(w, h)[0] for w in vocab) == pytest.approx(1.0, abs=1e-4), h


def test_arrays_reader_refuses_a_repeated_ngram(tmp_path):
    pa = make(tmp_path, A, 2, "a.arpa")
    text = pa.read_text()
    first = next(line for line in text.splitlines() if line.count("\t") >= 1 and " " in line.split("\t")[1])
    dup = tmp_path / "dup.arpa"  # one 2-gram listed twice, the count raised to match: only the repeat is wrong
    head, body = text.split("\\2-grams:\n", 1)
    n2 = int(head.split("ngram 2=")[1].split()[0])
    dup.write_text(head.replace(f"ngram 2={n2}", f"ngram 2={n2 + 1}") + "\\2-grams:\n" + first + "\n" + body)
    with pytest.raises(LanguageModelError, match="dup.arpa.*more than once"):
        read_arpa_arrays(dup)
    with pytest.raises(LanguageModelError, match="dup.arpa"):
        read_arpa(dup)  # the dicts see one entry fewer than the header declares


def test_mix_bad_input(tmp_path):
    pa = make(tmp_path, A, 2, "a.arpa")
    bad = tmp_path / "bad.arpa"
    bad.write_text(pa.read_text().replace("\\end\\", "").rsplit("\n", 4)[0])
    with pytest.raises(LanguageModelError, match="bad.arpa.*truncated"):
        mix_arpa([pa, bad], [0.5, 0.5], tmp_path / "out.arpa")
    with pytest.raises(LanguageModelError, match="not found"):
        mix_arpa([pa, tmp_path / "none.arpa"], [0.5, 0.5], tmp_path / "out.arpa")
    with pytest.raises(LanguageModelError, match="positive"):
        mix_arpa([pa, pa], [1, 0], tmp_path / "out.arpa")
    with pytest.raises(LanguageModelError, match="one weight per model"):
        mix_arpa([pa, pa], [1], tmp_path / "out.arpa")
    assert not (tmp_path / "out.arpa").exists()
    with pytest.raises(LanguageModelError, match="PATH:WEIGHT"):
        parse_mix_spec("a.arpa")
    with pytest.raises(LanguageModelError, match="between 0 and 1"):
        parse_mix_spec("a.arpa:1.5")
    assert parse_mix_spec("c:/x/a.arpa:0.25") == ("c:/x/a.arpa", 0.25)


def test_perplexity_by_hand_and_backends_agree(tmp_path):
    pa = make(tmp_path, A, 3, "a.arpa")
    text = tmp_path / "t.txt"
    text.write_text("THE CAT SAT\nTHE ZEBRA SAT\n\n")
    py = perplexity(pa, [text], backend="python")
    assert (py.sentences, py.words, py.oovs) == (2, 6, 1)
    assert py.oov_rate == pytest.approx(1 / 6)
    assert py.perplexity == pytest.approx(10 ** (-py.log10_prob / 8))
    a = read_arpa(pa)
    total, ctx = 0.0, ("<s>",)
    for w in ["THE", "CAT", "SAT", "</s>"]:
        total += a.log10_prob(w, ctx)[0]
        ctx = (ctx + (w,))[-2:]
    pytest.importorskip("kenlm")
    kl = perplexity(pa, [text], backend="kenlm")
    assert kl.log10_prob == pytest.approx(py.log10_prob, abs=1e-3)
    assert (kl.oovs, kl.words, kl.sentences) == (py.oovs, py.words, py.sentences)
    assert kl.perplexity_excluding_oov == pytest.approx(py.perplexity_excluding_oov, rel=1e-4)
    one = perplexity(pa, lines=["THE CAT SAT"], backend="python")
    assert one.log10_prob == pytest.approx(total, abs=1e-6)


@pytest.mark.parametrize("backend", ["python", "kenlm"])
def test_perplexity_warns_when_raw_text_meets_a_normalised_lm(tmp_path, caplog, backend):
    if backend == "kenlm":
        pytest.importorskip("kenlm")
    pa = make(tmp_path, A, 3, "a.arpa")
    with caplog.at_level("WARNING", logger="ctcdecode_plus.lm.perplexity"):
        raw = perplexity(pa, lines=["The cat sat."], backend=backend)  # was 100 % OOV without a word
    assert raw.oov_rate == 1.0 and "--alphabet-from" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="ctcdecode_plus.lm.perplexity"):
        fixed = perplexity(pa, lines=["The cat sat."], backend=backend,
                           alphabet=Alphabet.from_string("ABCDEFGHIJKLMNOPQRSTUVWXYZ'"))
    assert fixed.oovs == 0 and caplog.text == ""


def _by_dicts(model, sentences):
    """The word-by-word reference: ArpaModel.log10_prob, OOV words scored and kept as <unk>."""
    total = 0.0
    for ws in sentences:
        ctx = ("<s>",)
        for w in [*ws, "</s>"]:
            w = w if w in model.vocab else "<unk>"
            total += model.log10_prob(w, ctx)[0]
            ctx = (ctx + (w,))[-(model.order - 1):] if model.order > 1 else ()
    return total


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_array_scorer_matches_the_dict_scorer(tmp_path, order):
    pa = make(tmp_path, A, order, "a.arpa")
    text = pa.read_text()
    variants = {"a": pa}
    if order >= 3:  # an SRILM-style pruned model: "THE CAT SAT" kept, its suffix "CAT SAT" dropped
        lines = text.splitlines()
        gone = next(i for i, line in enumerate(lines) if line.split("\t")[1:2] == ["CAT SAT"])
        n2 = int(next(line for line in lines if line.startswith("ngram 2=")).split("=")[1])
        variants["pruned"] = tmp_path / "pruned.arpa"
        variants["pruned"].write_text("\n".join(line.replace(f"ngram 2={n2}", f"ngram 2={n2 - 1}")
                                               for i, line in enumerate(lines) if i != gone) + "\n")
    lines = text.splitlines()  # a model without <unk>: an OOV word gets -99
    n1 = int(next(line for line in lines if line.startswith("ngram 1=")).split("=")[1])
    variants["no unk"] = tmp_path / "nounk.arpa"
    variants["no unk"].write_text("\n".join(line.replace(f"ngram 1={n1}", f"ngram 1={n1 - 1}") for line in lines
                                             if line.split("\t")[1:2] != ["<unk>"]) + "\n")
    sentences = [s.split() for s in A + B + ["ZEBRA ZEBRA THE CAT SAT", "THE CAT SAT ON THE MAT AGAIN AND AGAIN",
                                             "CAT", "A"]]
    for name, path in variants.items():
        scorer = ArrayScorer(read_arpa_arrays(path))
        total, oov_total, oovs = scorer.score(sentences)
        model = read_arpa(path)
        assert total == pytest.approx(_by_dicts(model, sentences), abs=1e-9), name
        assert oovs == sum(w not in model.vocab for ws in sentences for w in ws)
        assert oov_total < 0 and oovs > 0
        one_by_one = [scorer.score([ws])[0] for ws in sentences]  # batching changes nothing
        assert sum(one_by_one) == pytest.approx(total, abs=1e-9)


def test_auto_backend_reads_gzip_with_kenlm_or_falls_back(tmp_path, monkeypatch):
    import gzip
    import importlib

    ppl_mod = importlib.import_module("ctcdecode_plus.lm.perplexity")  # the module; the package exports the function

    pa = make(tmp_path, A, 3, "a.arpa")
    gz = tmp_path / "a.arpa.gz"
    gz.write_bytes(gzip.compress(pa.read_bytes()))
    py = perplexity(gz, lines=A, backend="python")
    pytest.importorskip("kenlm")
    auto = perplexity(gz, lines=A)
    assert auto.backend == "kenlm" and auto.log10_prob == pytest.approx(py.log10_prob, abs=1e-3)

    def no_zlib(path):  # a KenLM compiled without zlib
        raise LanguageModelError(f"{path}: KenLM cannot load this model (compression not supported); rebuild it")

    monkeypatch.setattr(ppl_mod, "load_kenlm", no_zlib)
    fallback = perplexity(gz, lines=A)
    assert fallback.backend == "python" and fallback.log10_prob == pytest.approx(py.log10_prob, abs=1e-9)
    with pytest.raises(LanguageModelError, match="compression"):
        perplexity(gz, lines=A, backend="kenlm")  # asked for by name: no fallback
    one = make(tmp_path, A, 1, "one.arpa")
    gz1 = tmp_path / "one.arpa.gz"
    gz1.write_bytes(gzip.compress(one.read_bytes()))
    assert ppl_mod._arpa_order(gz1) == 1 and perplexity(gz1, lines=A).backend == "python"


@pytest.mark.parametrize("backend", ["python", "kenlm"])
def test_perplexity_bad_models(tmp_path, backend):
    if backend == "kenlm":
        pytest.importorskip("kenlm")
    pa = make(tmp_path, A, 2, "a.arpa")
    bad = tmp_path / "bad.arpa"
    lines = pa.read_text().splitlines()
    lines[8] = "oops\tTHE"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(LanguageModelError, match="bad.arpa:9"):
        perplexity(bad, lines=["THE CAT"], backend=backend)
    with pytest.raises(LanguageModelError, match="not found"):
        perplexity(tmp_path / "none.arpa", lines=["THE CAT"], backend=backend)
    with pytest.raises(LanguageModelError, match="t.txt: text file not found"):
        perplexity(pa, [tmp_path / "t.txt"], backend=backend)
    with pytest.raises(LanguageModelError, match="no sentences"):
        perplexity(pa, lines=["", "  "], backend=backend)
