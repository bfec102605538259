"""Tuning the LM weight ``alpha`` and word bonus ``beta`` on a development set by grid search.

The best pair depends on the acoustic model, the LM and the domain; tune it on utterances that are *not* the
ones you report results on.
"""
from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from .compare import Comparison, Item, compare
from .decoders.beam import BeamSearchDecoder
from .emissions import Emissions
from .errors import CtcDecodeError

logger = logging.getLogger(__name__)


@dataclass
class TuneResult:
    """Grid-search outcome: the best ``alpha``/``beta`` (lowest WER, then CER) and every point's scores."""

    alpha: float
    beta: float
    wer: float
    cer: float
    comparison: Comparison
    decoder: Optional[BeamSearchDecoder] = None  # the chosen setting, ready to use or save_pretrained()

    def table(self) -> str:
        return self.comparison.table()


def _check_beam(decoder, what: str, need_lm: bool) -> None:
    """A :class:`CtcDecodeError` before any decoding for a decoder the sweep cannot tune."""
    if not isinstance(decoder, BeamSearchDecoder):
        raise CtcDecodeError(f"{what}(): the decoder is a {type(decoder).__name__}; give a BeamSearchDecoder"
                             + (" with an LM: BeamSearchDecoder('lm.arpa')." if need_lm else "."))
    if need_lm and decoder.lm_path is None:
        raise CtcDecodeError(f"{what}(): alpha and beta weigh an LM, and this decoder has none; give "
                             "BeamSearchDecoder('lm.arpa').")


def _check_decoded(result: Comparison, what: str) -> None:
    """A :class:`CtcDecodeError` where no setting decoded any utterance: a choice among failures means nothing."""
    scores = list(result.decoders.values())
    if scores and all(s.failed == s.utterances for s in scores):
        first = next((u.error for u in result.utterances if u.error), "")
        raise CtcDecodeError(f"{what}(): every decode failed, so there is nothing to choose from: {first}")


def tune_alpha_beta(
    decoder: BeamSearchDecoder,
    items: Sequence[Item],
    alphas: Sequence[float] = (0.3, 0.5, 0.7, 1.0, 1.5),
    betas: Sequence[float] = (0.0, 1.0, 2.0, 3.0),
    *,
    progress: Optional[Callable[[int], None]] = None,
    num_workers: Optional[int] = None,
) -> TuneResult:
    """Decode ``items`` with every (alpha, beta) pair; the LM is loaded once and shared.

    Args:
        decoder: a beam decoder with an LM; its other settings (beam width, hotwords...) are kept.
        items: development utterances (emissions + references).
        alphas: LM weights to try. betas: word insertion bonuses to try.
        num_workers: processes to decode in (:func:`~ctcdecode_plus.compare.compare`); the choice is the same.
    """
    _check_beam(decoder, "tune_alpha_beta", need_lm=True)
    if not list(alphas) or not list(betas):
        raise CtcDecodeError("tune_alpha_beta(): give at least one alpha and one beta to try (--alphas, --betas).")
    for name, values in (("alphas", alphas), ("betas", betas)):
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)]
        if bad:
            raise CtcDecodeError(f"tune_alpha_beta(): {name} {bad[0]!r}: give finite numbers.")
    grid = {f"alpha={a:g} beta={b:g}": decoder.replace(alpha=float(a), beta=float(b), name=f"alpha={a:g} beta={b:g}")
            for a, b in itertools.product(alphas, betas)}
    result = compare(grid, items, progress=progress, num_workers=num_workers)
    _check_decoded(result, "tune_alpha_beta")
    best = min(result.decoders.values(), key=lambda s: (s.wer, s.cer))
    chosen = grid[best.name]
    return TuneResult(chosen.alpha, chosen.beta, best.wer, best.cer, result, chosen.replace(name=decoder.name))


@dataclass
class HotwordTuneResult:
    """Hotword sweep outcome: the chosen weight and spotting threshold, and every setting's scores.

    The choice: among settings whose false-insertion rate is at most ``max_false_insertion_rate``, the best
    recall, then the lowest WER, then the smallest weight, then the largest spotting threshold or ratio (off
    counts as the smallest). A larger one only adds candidates, each of which the score check judges, so where the
    development set shows no difference it is the setting with more room to find a hotword. ``spotting`` is the
    chosen threshold (nats per character) or ``None``; ``ratio`` the chosen calibration ratio (with a background
    set) or ``None``.
    """

    weight: float
    spotting: Optional[float]
    recall: float
    false_insertion_rate: float
    wer: float
    comparison: Comparison
    ratio: Optional[float] = None
    decoder: Optional[BeamSearchDecoder] = None  # the chosen setting (calibrated where chosen so), ready to use

    def table(self) -> str:
        return self.comparison.table()


def tune_hotwords(
    decoder: BeamSearchDecoder,
    items: Sequence[Item],
    hotwords: Sequence[str],
    weights: Sequence[float] = (2.0, 5.0, 10.0, 15.0, 20.0),
    spotting: Sequence[Optional[float]] = (None,),
    *,
    background: Sequence[Emissions] = (),
    ratios: Sequence[float] = (),
    max_false_insertion_rate: float = 0.01,
    progress: Optional[Callable[[int], None]] = None,
    num_workers: Optional[int] = None,
) -> HotwordTuneResult:
    """Decode ``items`` with ``hotwords`` for every (weight, spotting threshold), and with ``background`` speech
    (no hotwords in it) every (weight, calibration ratio) (:meth:`BeamSearchDecoder.calibrate_spotting`), and
    choose as :class:`HotwordTuneResult` says. The items should include utterances without any hotword, so that
    false insertions can be measured. ``num_workers``: processes to decode in, as for :func:`tune_alpha_beta`.
    """
    _check_beam(decoder, "tune_hotwords", need_lm=False)
    if not list(weights):
        raise CtcDecodeError("tune_hotwords(): give at least one hotword weight to try (--hotword-weights).")
    if isinstance(hotwords, str) or not list(hotwords):
        raise CtcDecodeError("tune_hotwords(): give the hotwords to tune for, a list of words or phrases.")
    for w in weights:  # before any calibration or decoding, naming the grid
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise CtcDecodeError(f"tune_hotwords(): weight {w!r} (--hotword-weights): give numbers >= 0.")
    hot = decoder.replace(hotwords=list(hotwords))
    calibrated = {float(r): hot.calibrate_spotting(background, ratio=r) for r in ratios} if background else {}
    grid, ratio_of = {}, {}
    for w in sorted(weights):
        for t in spotting:
            name = f"weight={w:g}" + ("" if t is None else f" spot={t:g}")
            grid[name] = hot.replace(hotword_weight=float(w), hotword_spotting=t, name=name)
        for r, cal in calibrated.items():
            name = f"weight={w:g} spot=x{r:g}"
            grid[name] = cal.replace(hotword_weight=float(w), name=name)
            ratio_of[name] = r
    result = compare(grid, items, hotwords=hotwords, progress=progress, num_workers=num_workers)
    _check_decoded(result, "tune_hotwords")

    def measured(value: Optional[float]) -> float:  # NaN: nothing to measure it on (no such utterance)
        return 0.0 if value is None or math.isnan(value) else float(value)

    def fi(s) -> float:
        return measured(s.hotword_false_insertion_rate)

    stats = list(result.decoders.values())
    for what, rates in (("false insertions", [s.hotword_false_insertion_rate for s in stats]),
                        ("recall", [s.hotword_recall for s in stats])):
        if all(r is None or math.isnan(r) for r in rates):
            logger.warning("tune: %s cannot be measured: no utterance %s a hotword; the choice ignores them (add "
                           "utterances %s hotwords to the set)", what,
                           "is without" if what == "false insertions" else "has",
                           "without" if what == "false insertions" else "with")
    allowed = [s for s in stats if fi(s) <= max_false_insertion_rate]
    if not allowed:
        allowed = [min(stats, key=fi)]
        logger.warning("tune: no setting kept false insertions within %.1f %% (--max-false-insertions); the choice "
                       "is the one with the fewest (%.1f %%): lower the weights tried, or allow more",
                       100 * max_false_insertion_rate, 100 * fi(allowed[0]))

    def key(s):
        threshold = ratio_of.get(s.name, grid[s.name].hotword_spotting)
        return (-measured(s.hotword_recall), s.wer, grid[s.name].hotword_weight,
                -(threshold if threshold is not None else -1.0))

    chosen = min(allowed, key=key)
    best = grid[chosen.name]
    ratio = ratio_of.get(chosen.name)
    return HotwordTuneResult(best.hotword_weight, None if ratio is not None else best.hotword_spotting,
                             measured(chosen.hotword_recall), fi(chosen), chosen.wer, result, ratio,
                             best.replace(name=decoder.name + "+hotwords"))
