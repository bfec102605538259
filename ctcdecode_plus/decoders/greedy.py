"""Greedy (best-path) CTC decoding: argmax per frame, collapse repeats, drop blanks."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..constants import DEFAULT_FILL_GAP_SECONDS, DEFAULT_PAUSE_SECONDS
from ..emissions import Emissions, check_pause_seconds
from ..transcript import Transcript, Word, check_fill_gap_seconds
from ..vocab import SPACE_LABEL
from .base import Decoder, check_emissions, word_ends


class GreedyDecoder(Decoder):
    """Best-path decoding. A word starts at its first character's frame and ends where the word ends
    (``fill_gap_seconds``), not at its last character's frame.

    Args:
        pause_seconds: a pause this long (seconds of frames whose best token is the blank) ends a word even where
            the model put no word delimiter in it (:meth:`Emissions.with_pause_breaks`); ``None``: only the
            delimiter does, as plain best-path decoding.
        fill_gap_seconds: a word whose next word starts at most this long (seconds) after its last letter ends
            where the next one starts, and one before a longer gap at the model's word delimiter, if it says one
            at most this long after the letter (:func:`.base.word_ends`); ``None`` or 0: each word ends at its last
            letter's frame.
        name: name in comparison tables.
    """

    name = "greedy"
    fill_gap_seconds: Optional[float] = DEFAULT_FILL_GAP_SECONDS  # what a decoder pickled before it had

    def __init__(self, *, pause_seconds: Optional[float] = DEFAULT_PAUSE_SECONDS,
                 fill_gap_seconds: Optional[float] = DEFAULT_FILL_GAP_SECONDS, name: Optional[str] = None) -> None:
        check_pause_seconds(pause_seconds)
        self.pause_seconds = pause_seconds
        self.fill_gap_seconds = check_fill_gap_seconds(fill_gap_seconds)
        if name is not None:
            self.name = name

    def settings(self) -> dict:
        return {"type": "GreedyDecoder", "pause_seconds": self.pause_seconds, "fill_gap_seconds": self.fill_gap_seconds}

    def __repr__(self) -> str:
        return (f"GreedyDecoder(pause_seconds={self.pause_seconds!r}, fill_gap_seconds={self.fill_gap_seconds!r}, "
                f"name={self.name!r})")

    def decode(self, emissions: Emissions) -> Transcript:
        check_emissions(emissions, self.name)
        original = emissions
        emissions = emissions.with_pause_breaks(self.pause_seconds)
        lp = emissions.log_probs
        if not len(lp):  # no frames (built directly: from_logits refuses them): nothing was said
            return Transcript("", [], acoustic_score=0.0, source=emissions.source, decoder=self.name)
        labels = emissions.labels.labels
        blank = emissions.labels.blank_id
        best = lp.argmax(axis=1)
        best_lp = lp[np.arange(len(best)), best]
        # start of each run of identical ids
        run_start = np.flatnonzero(np.r_[True, best[1:] != best[:-1]])
        run_end = np.r_[run_start[1:], len(best)]
        spf = emissions.seconds_per_frame
        words: list[Word] = []
        chars: list[str] = []
        first = last = -1
        probs: list[float] = []

        def flush() -> None:
            if chars:
                words.append(Word("".join(chars), round(first * spf, 4), round(last * spf, 4),
                                  round(float(np.mean(probs)), 4)))
                chars.clear()
                probs.clear()

        for s, e in zip(run_start, run_end):
            tok = int(best[s])
            if tok == blank:
                continue
            if labels[tok] == SPACE_LABEL:
                flush()
                continue
            if not chars:
                first = int(s)
            chars.append(labels[tok])
            last = int(e)
            probs.extend(np.exp(best_lp[s:e]).tolist())
        flush()
        words = word_ends(words, original, self.fill_gap_seconds)
        text = " ".join(w.word for w in words)
        score = float(best_lp.sum())
        return Transcript(text, words, acoustic_score=score, source=emissions.source, decoder=self.name)
