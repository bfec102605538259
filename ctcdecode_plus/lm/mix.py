"""Linear interpolation of ARPA models into one ARPA model, as SRILM's ``ngram -mix-lm ... -write-lm`` does.

The mixed model holds the union of the models' n-grams. For an n-gram ``h w`` in the union its probability is
``sum_i lambda_i p_i(w|h)`` where ``p_i`` is model i's *backed-off* probability (0 for a word outside model i's
vocabulary: that mass is in model i's ``<unk>``). Backoffs are then recomputed so that every context normalises:
``bo(h) = (1 - sum_{w: hw in union} p(w|h)) / (1 - sum_{same w} p(w|h'))`` with ``h'`` = h without its first word
and ``p(w|h')`` the mixed model's own (backed-off) probability. ``<s>`` is never predicted, so it is left out of the
sums and written with log10 probability 0, as lmplz writes it.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

from ..errors import LanguageModelError
from .arpa import ArpaModel, read_arpa, write_arpa
from .counts import BOS

PathLike = Union[str, Path]
_NEG = -math.inf


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


class _BackedOff:
    """Backed-off log10 probabilities of one ARPA model, memoised."""

    def __init__(self, model: ArpaModel) -> None:
        self.m = model
        self.N = model.order
        self.cache: dict[tuple[str, ...], float] = {}

    def log10(self, g: tuple[str, ...]) -> float:
        if len(g) > self.N:
            g = g[-self.N:]
        hit = self.cache.get(g)
        if hit is not None:
            return hit
        d = self.m.ngrams[len(g) - 1].get(g)
        if d is not None:
            r = d[0]
        elif len(g) == 1:
            r = _NEG  # not in this model's vocabulary: its mass is in <unk>
        else:
            h = g[:-1]
            hb = self.m.ngrams[len(h) - 1].get(h)
            r = (hb[1] if hb is not None else 0.0) + self.log10(g[1:])
        self.cache[g] = r
        return r


def _p(lp: float) -> float:
    return 0.0 if lp == _NEG else 10.0 ** lp


def mix_models(models: Sequence[ArpaModel], weights: Sequence[float]) -> ArpaModel:
    """Mix in-memory ARPA models with ``weights`` (normalised to sum 1) into a new :class:`ArpaModel`."""
    if len(models) < 2:
        raise LanguageModelError("mixing needs at least two models")
    lam = _normalize_weights(weights, len(models))
    N = max(m.order for m in models)
    bos = [_BackedOff(m) for m in models]
    union: list[set] = [set() for _ in range(N)]
    for m in models:
        for k, d in enumerate(m.ngrams):
            union[k].update(d.keys())

    probs: list[dict[tuple[str, ...], float]] = []  # linear mixed probabilities of union n-grams
    for k in range(N):
        pk = {}
        for g in union[k]:
            pk[g] = sum(l * _p(b.log10(g)) for l, b in zip(lam, bos))
        probs.append(pk)

    # mixed backed-off probability, using backoffs of lower orders computed before
    bows: list[dict[tuple[str, ...], float]] = [dict() for _ in range(N)]

    def p_mix(g: tuple[str, ...]) -> float:
        k = len(g)
        v = probs[k - 1].get(g)
        if v is not None:
            return v
        if k == 1:
            return 0.0
        return bows[k - 2].get(g[:-1], 1.0) * p_mix(g[1:])

    for k in range(1, N):  # contexts of order k
        ext: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for g in union[k]:
            if g[-1] != BOS:
                ext[g[:-1]].append(g)
        bk = bows[k - 1]
        for h in union[k - 1]:
            gs = ext.get(h)
            if not gs:
                continue
            num = 1.0 - sum(probs[k][g] for g in gs)
            den = 1.0 - sum(p_mix(g[1:]) for g in gs)
            if num <= 1e-12:
                bk[h] = 1e-99 if den > 1e-12 else 1.0
            elif den <= 1e-12:
                bk[h] = 1.0
            else:
                bk[h] = num / den

    out = []
    for k in range(N):
        d = {}
        for g, p in probs[k].items():
            lp = 0.0 if (k == 0 and g[0] == BOS) else (math.log10(p) if p > 0 else -99.0)
            b = bows[k].get(g, 1.0) if k < N - 1 else 1.0
            d[g] = (min(0.0, lp), math.log10(b) if b > 0 else -99.0)
        out.append(d)
    return ArpaModel(ngrams=out)


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
    models = [read_arpa(p) for p in paths]
    mixed = mix_models(models, lam)
    write_arpa(mixed, out_path)
    return MixResult(path=Path(out_path), weights=lam, ngram_counts=mixed.counts)


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
