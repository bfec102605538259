"""Linear interpolation of ARPA models into one ARPA model, as SRILM's ``ngram -mix-lm ... -write-lm`` does.

The mixed model holds the union of the models' n-grams, plus any context or suffix of one of them that no model
lists (SRILM's pruning can drop one; lmplz's models have them all). For an n-gram ``h w`` in the union its
probability is ``sum_i lambda_i p_i(w|h)`` where ``p_i`` is model i's *backed-off* probability (0 for a word outside model i's
vocabulary: that mass is in model i's ``<unk>``; so a rare word that only one model knows can score below ``<unk>``,
as in SRILM, where KenLM querying model i alone would give it ``p_i(<unk>)``). Backoffs are then recomputed so that every context normalises:
``bo(h) = (1 - sum_{w: hw in union} p(w|h)) / (1 - sum_{same w} p(w|h'))`` with ``h'`` = h without its first word
and ``p(w|h')`` the mixed model's own (backed-off) probability. ``<s>`` is never predicted, so it is left out of the
sums and written with log10 probability 0, as lmplz writes it.

The work is done on arrays (:class:`~.arpa.ArpaArrays`, about 100 bytes per n-gram of the union at the peak), so
models of millions of n-grams mix in memory; ``benchmarks/bench_mix.py`` compares it with the dict-based mixer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from ..errors import LanguageModelError
from ..vocab import text_case
from .arpa import ArpaArrays, ArpaModel, NGramIndex, _Arrays, read_arpa_arrays, write_arpa
from .counts import BOS, EOS, SPECIALS, UNK

PathLike = Union[str, Path]


def _normalize_weights(weights: Sequence[float], n: int) -> list[float]:
    if len(weights) != n:
        raise LanguageModelError(f"{n} models but {len(weights)} weights; give one weight per model")
    w = []
    for x in weights:
        try:
            x = float(x)
        except (TypeError, ValueError):
            raise LanguageModelError(f"mixture weight {x!r} is not a number; use e.g. other.arpa:0.3") from None
        if not math.isfinite(x) or x <= 0:
            raise LanguageModelError(f"mixture weight {x} must be a positive number; use e.g. other.arpa:0.3")
        w.append(x)
    total = sum(w)
    return [x / total for x in w]


def mix_arrays(models: Sequence[ArpaArrays], weights: Sequence[float]) -> ArpaArrays:
    """Mix ARPA models in array form with ``weights`` (normalised to sum 1) into new :class:`ArpaArrays`.

    Memory: numpy arrays of the union's n-grams (ids, keys, one probability per model at a time), about 100 bytes an
    n-gram at the peak. The union is closed under contexts and suffixes (every n-gram's first and last n-1 words are
    an n-gram too), as lmplz's models already are, so every model's backed-off probability is one array lookup.
    """
    if len(models) < 2:
        raise LanguageModelError("mixing needs at least two models")
    lam = _normalize_weights(weights, len(models))
    N = max(m.order for m in models)
    words = set().union(*(m.vocab for m in models))
    vocab = [w for w in (UNK, BOS, EOS) if w in words] + sorted(words - {UNK, BOS, EOS})
    ids = {w: i for i, w in enumerate(vocab)}
    V = len(vocab)
    grams = []  # per model, per order: its n-grams in the common ids
    for m in models:
        remap = np.array([ids[w] for w in m.vocab], dtype=np.int32)
        grams.append([remap[o.words] for o in m.orders])
    index = NGramIndex([[g[k] for g in grams if len(g) > k] for k in range(N)], V)
    rows, context, suffix = index.rows, index.context, index.suffix
    mixed = [np.zeros(len(r)) for r in rows]  # linear mixed probability of each union n-gram
    for m, g, weight in zip(models, grams, lam):
        logp = prev_bo = None
        for k in range(1, N + 1):
            n = len(rows[k - 1])
            own = np.full(n, -np.inf)  # this model's log10 probability where it has the n-gram, else backed off
            bo = np.zeros(n)
            if k <= m.order:
                at = index.locate(g[k - 1])
                own[at], bo[at] = m.orders[k - 1].log10_prob, m.orders[k - 1].log10_backoff
                has = np.zeros(n, dtype=bool)
                has[at] = True
                if k > 1:
                    own = np.where(has, own, prev_bo[context[k - 1]] + logp[suffix[k - 1]])
            elif k > 1:  # above this model's order: its longest n-gram decides
                own = prev_bo[context[k - 1]] + logp[suffix[k - 1]]
            mixed[k - 1] += weight * np.power(10.0, own)  # 0 for a word outside its vocabulary (mass in <unk>)
            logp, prev_bo = own, bo

    out = []
    bos = ids.get(BOS, -1)
    for k in range(1, N + 1):
        p = mixed[k - 1]
        with np.errstate(divide="ignore"):
            lp = np.minimum(np.where(p > 0, np.log10(p), -99.0), 0.0)
        if k == 1:
            lp[rows[0][:, 0] == bos] = 0.0  # <s> is never predicted
        backoff = np.zeros(len(p))
        if k < N:  # renormalise each context over its extensions (<s> is never predicted)
            ext = rows[k][:, -1] != bos
            h = context[k][ext]
            num = 1.0 - np.bincount(h, weights=mixed[k][ext], minlength=len(p))
            den = 1.0 - np.bincount(h, weights=p[suffix[k][ext]], minlength=len(p))
            with np.errstate(divide="ignore", invalid="ignore"):
                b = np.where(num <= 1e-12, np.where(den > 1e-12, 1e-99, 1.0), np.where(den <= 1e-12, 1.0, num / den))
            b[np.bincount(h, minlength=len(p)) == 0] = 1.0
            backoff = np.log10(b)
        out.append(_Arrays(lp, backoff, rows[k - 1]))
    return ArpaArrays(vocab=vocab, orders=out)


def mix_models(models: Sequence[ArpaModel], weights: Sequence[float]) -> ArpaModel:
    """Mix in-memory ARPA models with ``weights`` (normalised to sum 1) into a new :class:`ArpaModel`
    (:func:`mix_arrays` on their array form)."""
    arrays = []
    for m in models:
        vocab, *orders = m.to_order_arrays()
        arrays.append(ArpaArrays(vocab=vocab, orders=orders))
    mixed = mix_arrays(arrays, weights)
    words = np.array(mixed.vocab, dtype=object)
    return ArpaModel(ngrams=[{tuple(words[g]): (float(p), float(b)) for g, p, b in
                              zip(o.words, o.log10_prob, o.log10_backoff)} for o in mixed.orders])


@dataclass
class MixResult:
    """Where the mixed model was written, the normalised weights, and its n-gram counts."""

    path: Path
    weights: list[float]
    ngram_counts: list[int]


def mix_arpa(paths: Sequence[PathLike], weights: Sequence[float], out_path: PathLike) -> MixResult:
    """Read ARPA files (plain or .gz), mix them with ``weights`` and write ``out_path`` atomically.

    Raises:
        LanguageModelError: fewer than two models, bad weights, or a missing/malformed/truncated ARPA (file, line).
    """
    if len(paths) < 2:
        raise LanguageModelError("mixing needs at least two ARPA models")
    lam = _normalize_weights(weights, len(paths))
    models = [read_arpa_arrays(p) for p in paths]
    check_same_case(paths, models)
    mixed = mix_arrays(models, lam)
    write_arpa(mixed, out_path)
    return MixResult(path=Path(out_path), weights=lam, ngram_counts=mixed.counts)


def check_same_case(paths: Sequence[PathLike], models: Sequence[ArpaArrays]) -> None:
    """A :class:`LanguageModelError` where one model writes its words in upper case and another in lower case (the
    mix would hold every word twice, each with part of its probability, and a decoder would find half of them), or
    one in mixed case beside one in a single case (a decoder refuses a mixed-case LM for single-case labels)."""
    cases = {}
    for path, model in zip(paths, models):
        case = text_case("".join(w for w in model.vocab[:5000] if w not in SPECIALS))
        if case in ("upper", "lower", "mixed"):
            cases.setdefault(case, path)
    if "upper" in cases and "lower" in cases:
        raise LanguageModelError(f"{cases['upper']} writes its words in upper case and {cases['lower']} in lower "
                                 "case: mixed, each word would be two words; build both from text normalised to one "
                                 "alphabet (build-lm --alphabet-from MODEL)")
    if "mixed" in cases and len(cases) > 1:  # a decoder refuses the mix: its words are in no one case
        other = next(c for c in cases if c != "mixed")
        raise LanguageModelError(f"{cases['mixed']} writes its words in mixed case (built from text as it was) and "
                                 f"{cases[other]} in {other} case: a decoder could not match the mix to a model's "
                                 f"labels; rebuild {cases['mixed']} from text normalised to the model's alphabet "
                                 "(build-lm --alphabet-from MODEL)")


def parse_mix_spec(spec: str) -> tuple[str, float]:
    """``other.arpa:0.3`` -> ("other.arpa", 0.3)."""
    path, sep, w = spec.rpartition(":")
    if not sep or not path:
        raise LanguageModelError(f"--mix {spec!r}: expected PATH:WEIGHT, e.g. --mix general.arpa:0.3")
    try:
        weight = float(w)
    except ValueError:
        raise LanguageModelError(f"--mix {spec!r}: weight {w!r} is not a number; e.g. --mix general.arpa:0.3") from None
    if not 0.0 < weight < 1.0:
        raise LanguageModelError(f"--mix {spec!r}: weight must be between 0 and 1 (the built model gets the rest)")
    return path, weight
