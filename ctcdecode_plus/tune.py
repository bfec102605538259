"""Tuning the LM weight ``alpha`` and word bonus ``beta`` on a development set by grid search.

The best pair depends on the acoustic model, the LM and the domain; tune it on utterances that are *not* the
ones you report results on.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from .compare import Comparison, Item, compare
from .decoders.beam import BeamSearchDecoder


@dataclass
class TuneResult:
    """Grid-search outcome: the best ``alpha``/``beta`` (lowest WER, then CER) and every point's scores."""

    alpha: float
    beta: float
    wer: float
    cer: float
    comparison: Comparison

    def table(self) -> str:
        return self.comparison.table()


def tune_alpha_beta(
    decoder: BeamSearchDecoder,
    items: Sequence[Item],
    alphas: Sequence[float] = (0.3, 0.5, 0.7, 1.0, 1.5),
    betas: Sequence[float] = (0.0, 1.0, 2.0, 3.0),
    *,
    progress: Optional[Callable[[int], None]] = None,
) -> TuneResult:
    """Decode ``items`` with every (alpha, beta) pair; the LM is loaded once and shared.

    Args:
        decoder: a beam decoder with an LM; its other settings (beam width, hotwords...) are kept.
        items: development utterances (emissions + references).
        alphas: LM weights to try. betas: word insertion bonuses to try.
    """
    grid = {f"alpha={a:g} beta={b:g}": decoder.replace(alpha=float(a), beta=float(b), name=f"alpha={a:g} beta={b:g}")
            for a, b in itertools.product(alphas, betas)}
    result = compare(grid, items, progress=progress)
    best = min(result.decoders.values(), key=lambda s: (s.wer, s.cer))
    chosen = grid[best.name]
    return TuneResult(chosen.alpha, chosen.beta, best.wer, best.cer, result)
