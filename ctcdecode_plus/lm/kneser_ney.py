"""Interpolated modified Kneser-Ney estimation, step for step as KenLM's ``lmplz`` does it.

What lmplz does (lm/builder/adjust_counts.cc, initial_probabilities.cc, interpolate.cc), and so what this does:

* adjusted counts: the highest order keeps raw counts; a lower-order n-gram gets the number of distinct words that
  precede it (``<s>`` included), except n-grams that start with ``<s>``, which keep their raw count;
* discounts per order from the counts-of-counts n1..n4 of the adjusted counts (Chen & Goodman eq. 26):
  ``Y = n1/(n1+2 n2)``, ``D_j = j - (j+1) Y n_{j+1}/n_j``; out of range or a zero n_j is an error, or with
  ``discount_fallback`` the fallback D1=0.5, D2=1, D3+=1.5 with a warning;
* pruning (``--prune``): an n-gram of order >= 2 whose raw count is at most the order's threshold is dropped; its
  whole adjusted count goes to its context's interpolation weight (gamma) instead of the discount, so every context
  still normalises; counts-of-counts include pruned n-grams;
* ``p(w|h) = (a(hw) - D(a))/sum_x a(hx) + gamma(h) p(w|h')``, ``gamma(h) = sum_x D(a(hx))/sum_x a(hx)``, and the
  unigram level interpolates with the uniform distribution over the vocabulary (``<unk>`` included, ``<s>`` not),
  so ``<unk>`` (a zero-count unigram) gets ``gamma * uniform``;
* the ARPA backoff of an n-gram h is gamma(h); n-grams that end in ``</s>`` or ``<unk>`` have backoff 0 (log10),
  ``<s>`` is written with log10 probability 0.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ..errors import LanguageModelError
from .counts import BOS_ID, EOS_ID, MAX_ORDER, UNK_ID, NGramCounts

logger = logging.getLogger(__name__)

FALLBACK_DISCOUNTS = (0.5, 1.0, 1.5)


class DiscountFallbackWarning(UserWarning):
    """Kneser-Ney discounts could not be estimated for an order; lmplz's fallback values were used."""


@dataclass(frozen=True)
class Discount:
    """Discounts of one order: ``amount[j]`` for adjusted count j (j = 0..3, 3 meaning 3+)."""

    order: int
    amount: tuple[float, float, float, float]
    counts_of_counts: tuple[int, int, int, int]
    fallback: bool = False

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        table = np.asarray(self.amount, dtype=np.float64)
        return table[np.minimum(counts, 3)]


@dataclass
class OrderModel:
    """Estimated n-grams of one order (pruned ones removed). Index ``i`` is one n-gram.

    Attributes:
        index: indices of the kept n-grams in the counts of this order (for their words, see ``words``).
        log10_prob: interpolated log10 probability.
        log10_backoff: log10 backoff (zeros for the highest order).
        words: word ids, shape ``(n, k)``.
    """

    log10_prob: np.ndarray
    log10_backoff: np.ndarray
    words: np.ndarray


@dataclass
class KneserNeyModel:
    """A back-off n-gram model estimated from counts, ready to be written as ARPA."""

    order: int
    vocab: list[str]
    orders: list[OrderModel]
    discounts: list[Discount]
    prune: tuple[int, ...]
    tokens: int = 0
    sentences: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ngram_counts(self) -> list[int]:
        return [int(o.log10_prob.shape[0]) for o in self.orders]


def parse_prune(prune: Optional[Sequence[int]], order: int) -> tuple[int, ...]:
    """Validate lmplz-style thresholds (``--prune 0 1 1``) and pad them to ``order`` with the last value."""
    if not prune:
        return (0,) * order
    try:
        values = [int(x) for x in prune]
    except (TypeError, ValueError):
        raise LanguageModelError(f"prune thresholds {list(prune)!r} must be whole numbers, e.g. --prune 0 1 1 "
                                 "(prune=[0, 1, 1] in Python)") from None
    if any(v < 0 for v in values):
        raise LanguageModelError(f"prune thresholds {values} must not be negative, e.g. --prune 0 1 1 "
                                 "(prune=[0, 1, 1] in Python)")
    if len(values) > order:
        raise LanguageModelError(
            f"prune thresholds {values} are given for {len(values)} orders but the model has order {order}; "
            f"give at most {order} values"
        )
    if values[0] != 0:
        raise LanguageModelError(
            f"prune thresholds {values}: unigrams cannot be pruned (as in lmplz); make the first threshold 0, "
            f"e.g. --prune 0 {' '.join(map(str, values[1:])) or '1'} "
            f"(prune={[0, *values[1:]] if len(values) > 1 else [0, 1]} in Python)"
        )
    for a, b in zip(values, values[1:]):
        if b < a:
            raise LanguageModelError(
                f"prune thresholds {values} decrease ({a} then {b}); they must be non-decreasing so that no "
                f"n-gram loses its context (e.g. --prune 0 1 1, prune=[0, 1, 1] in Python)"
            )
    return tuple(values + [values[-1]] * (order - len(values)))


def compute_discount(order: int, n: Sequence[int], fallback: bool) -> tuple[Discount, Optional[str]]:
    """lmplz's StatCollector::CalculateDiscounts for one order (computed in float32 as lmplz does)."""
    n = [int(x) for x in n]  # n[0..4]
    problem = None
    for j in range(1, 4):
        if n[j] == 0:
            problem = (
                f"could not calculate Kneser-Ney discounts for {order}-grams with adjusted count {j + 1} because "
                f"no {order}-grams with adjusted count {j} were observed (small or artificial data?)"
            )
            break
    amounts = [0.0, 0.0, 0.0, 0.0]
    if problem is None:
        f32 = np.float32
        y = f32(n[1]) / f32(n[1] + 2.0 * n[2])
        for j in range(1, 4):
            d = f32(j) - f32(j + 1) * y * f32(n[j + 1]) / f32(n[j])
            amounts[j] = float(d)
            if d < 0.0 or d > j:
                problem = f"{order}-gram discount out of range for adjusted count {j}: {float(d):.6g}"
                break
    cc = (n[1], n[2], n[3], n[4])
    if problem is None:
        return Discount(order, (0.0, amounts[1], amounts[2], amounts[3]), cc), None
    if not fallback:
        raise LanguageModelError(
            f"{problem}. Use more text, or pass --discount-fallback (discount_fallback=True) to substitute "
            f"lmplz's fallback discounts D1=0.5 D2=1 D3+=1.5"
        )
    msg = f"{problem}; substituting fallback discounts D1=0.5 D2=1 D3+=1.5"
    return Discount(order, (0.0,) + FALLBACK_DISCOUNTS, cc, fallback=True), msg


def estimate(
    counts: NGramCounts,
    *,
    prune: Optional[Sequence[int]] = None,
    discount_fallback: bool = False,
) -> KneserNeyModel:
    """Estimate an interpolated modified Kneser-Ney model from :class:`NGramCounts`, exactly as lmplz does.

    Raises:
        LanguageModelError: bad prune thresholds, or discounts out of range without ``discount_fallback``.
    """
    N = counts.order
    if not 1 <= N <= MAX_ORDER:
        raise LanguageModelError(f"order {N} is not supported: choose 1 to {MAX_ORDER}")
    thresholds = parse_prune(prune, N)
    oc = counts.orders
    V = len(oc[0])

    # adjusted counts a_k and the counts used for counts-of-counts
    adjusted: list[np.ndarray] = []
    for k in range(1, N + 1):
        raw = oc[k - 1].count
        if k == N:
            a = raw
        else:
            nxt = oc[k]
            a = np.bincount(nxt.suffix, minlength=len(oc[k - 1])).astype(np.int64)
            a[oc[k - 1].first == BOS_ID] = raw[oc[k - 1].first == BOS_ID]
        adjusted.append(a)

    marked: list[Optional[np.ndarray]] = [None]
    for k in range(2, N + 1):
        t = thresholds[k - 1]
        marked.append(oc[k - 1].count <= t if t > 0 else None)

    discounts: list[Discount] = []
    msgs: list[str] = []
    for k in range(1, N + 1):
        a = adjusted[k - 1]
        stat = a
        if k < N and k - 1 < len(counts.last_suffixes) and counts.last_suffixes[k - 1] >= 0:
            # lmplz's final flush adds the last suffixes with their raw count (adjust_counts.cc)
            i = counts.last_suffixes[k - 1]
            if a[i] != oc[k - 1].count[i]:
                stat = a.copy()
                stat[i] = oc[k - 1].count[i]
        n = np.bincount(np.minimum(stat, 5), minlength=6)[:5]
        d, msg = compute_discount(k, n, discount_fallback)
        if msg:
            msgs.append(msg)
            warnings.warn(msg, DiscountFallbackWarning, stacklevel=2)
        discounts.append(d)

    uniform = 1.0 / float(V - 1)  # <unk> included, <s> excluded
    # gammas[k-1][c]: interpolation weight of context c (an order k-1 index) for order k; den > 0 where c is a context
    probs: list[np.ndarray] = []
    gammas: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(1, N + 1):
        a = adjusted[k - 1].astype(np.float64)
        ai = adjusted[k - 1]
        D = discounts[k - 1]
        if k == 1:
            ctx = np.zeros(V, dtype=np.int64)
            n_ctx = 1
        else:
            ctx = oc[k - 1].context
            n_ctx = len(oc[k - 2])
        disc = np.where(ai > 0, D(ai), 0.0)
        m = marked[k - 1]
        gnum_w = disc if m is None else np.where(m, a, disc)
        den = np.bincount(ctx, weights=a, minlength=n_ctx)
        gnum = np.bincount(ctx, weights=gnum_w, minlength=n_ctx)
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = np.where(den > 0, gnum / np.where(den > 0, den, 1.0), 0.0)
            uninterp = np.where(ai > 0, (a - disc) / den[ctx], 0.0)
        lower = uniform if k == 1 else probs[k - 2][oc[k - 1].suffix]
        p = uninterp + gamma[ctx] * lower
        probs.append(p)
        gammas.append((gamma, den))
        del a, disc, gnum_w, uninterp

    out_orders: list[OrderModel] = []
    for k in range(1, N + 1):
        p = probs[k - 1]
        with np.errstate(divide="ignore"):
            lp = np.minimum(0.0, np.log10(p))
        if k < N:
            gamma, den = gammas[k]
            bo = np.where(den > 0, gamma, 1.0)
            last = _last_words(counts, k)
            bo[(last == EOS_ID) | (last == UNK_ID)] = 1.0
            with np.errstate(divide="ignore"):
                lbo = np.log10(bo)
        else:
            lbo = np.zeros_like(lp)
        if k == 1:
            lp[BOS_ID] = 0.0
        m = marked[k - 1]
        if m is not None:
            keep = np.flatnonzero(~m)
        else:
            keep = np.arange(lp.shape[0])
        out_orders.append(
            OrderModel(
                log10_prob=lp[keep].astype(np.float64),
                log10_backoff=lbo[keep].astype(np.float64),
                words=counts.words(k, keep),
            )
        )
    return KneserNeyModel(
        order=N, vocab=list(counts.vocab), orders=out_orders, discounts=discounts, prune=thresholds,
        tokens=counts.tokens, sentences=counts.sentences, warnings=msgs,
    )


def _last_words(counts: NGramCounts, k: int) -> np.ndarray:
    """Word id of the last word of every k-gram."""
    if k == 1:
        return counts.orders[0].first
    cur = counts.orders[k - 1].suffix
    for j in range(k - 1, 1, -1):
        cur = counts.orders[j - 1].suffix[cur]
    return np.asarray(cur)
