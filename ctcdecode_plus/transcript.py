"""Transcripts: decoded text with word timings (seconds) and scores, as dataclasses."""
from __future__ import annotations

import json
import math
import numbers
from dataclasses import asdict, dataclass, field, replace
from typing import Optional, Sequence

from .errors import CtcDecodeError


@dataclass
class Word:
    """One decoded word. ``start``/``end`` in seconds from the start of the audio; ``confidence`` in [0, 1]: from
    greedy decoding the mean probability of its characters' frames; from beam search ``None``, or with
    ``word_confidence=True`` its n-best posterior times its acoustic confidence to the power 1/4."""

    word: str
    start: float
    end: float
    confidence: Optional[float] = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)):  # subtitles and JSON cannot hold them
            raise CtcDecodeError(f"Word({self.word!r}): start={self.start!r} and end={self.end!r} must be finite "
                                 "times in seconds.")


@dataclass
class Hypothesis:
    """One alternative of an n-best list. Scores as in :class:`Transcript`: ``acoustic_score`` natural-log,
    ``lm_score`` pyctcdecode's combined score (the total the beams are ranked by)."""

    text: str
    acoustic_score: float
    lm_score: Optional[float] = None
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    """Result of decoding one utterance.

    Attributes:
        text: words joined by single spaces.
        words: per-word timings in seconds.
        acoustic_score: natural-log acoustic score, not comparable across decoders: greedy gives the
            log-probability of its best path (one alignment); beam search pyctcdecode's beam score (alignments of
            the same text merged: near the text's full CTC log-probability, a few nats above the best path).
        lm_score: the total the beam search ranks by (pyctcdecode's combined score: acoustics + alpha * LM +
            beta * words + hotword bonus), not the LM's part alone; ``None`` from greedy decoding and from beam
            search with neither an LM nor hotwords.
        nbest: alternatives, best first (the best one included) when asked for.
        source: audio or emissions the transcript came from.
        decoder: the decoder's name.
    """

    text: str
    words: list[Word] = field(default_factory=list)
    acoustic_score: Optional[float] = None
    lm_score: Optional[float] = None
    nbest: list[Hypothesis] = field(default_factory=list)
    source: str = "<array>"
    decoder: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_srt(self, max_words: int = 8, max_gap: float = 1.0) -> str:
        """SubRip subtitles: a pause longer than ``max_gap`` seconds between two words starts a new cue, so no cue
        stays on screen through a silence, and the words between two such pauses are shared out over as few cues of
        at most ``max_words`` words (a whole number >= 1) as they need, of near-equal length."""
        return "\n".join(f"{n}\n{_srt_time(g[0].start)} --> {_srt_time(g[-1].end)}\n" + _lines([w.word for w in g])
                         + "\n" for n, g in enumerate(self._cues(max_words, max_gap), start=1))

    def to_vtt(self, max_words: int = 8, max_gap: float = 1.0) -> str:
        """WebVTT subtitles (HTML5 ``<track>``), cue by cue as :meth:`to_srt`: at most ``max_words`` words, a new
        cue after a pause longer than ``max_gap`` seconds. ``&``, ``<`` and ``>`` in a word (a hotword's shown
        form) are written as WebVTT's escapes, so a player shows them instead of reading tags (or a ``-->``)."""
        def text(g: list[Word]) -> str:
            return _lines([w.word.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for w in g])

        cues = "".join(f"\n{_srt_time(g[0].start, '.')} --> {_srt_time(g[-1].end, '.')}\n" + text(g) + "\n"
                       for g in self._cues(max_words, max_gap))
        return "WEBVTT\n" + cues

    def to_ctm(self, recording: str, channel: str = "1") -> str:
        """NIST CTM (time-marked words, as sclite and most ASR scoring tools read them): one line per word,
        ``<recording> <channel> <start s> <duration s> <word> [<confidence>]``, times to the millisecond, the
        confidence where the decoder gave one; a word's spaces (a phrase) become ``_``. Empty for no words."""
        if not isinstance(recording, str) or not recording.strip() or len(recording.split()) != 1:
            raise CtcDecodeError(f"recording={recording!r}: give the recording's id, one token with no spaces (CTM "
                                 "fields are space-separated), e.g. the file name without its extension.")
        lines = []
        for w in self.words:
            conf = "" if w.confidence is None else f" {w.confidence:.3f}"
            lines.append(f"{recording} {channel} {w.start:.3f} {max(0.0, w.end - w.start):.3f} "
                         f"{'_'.join(w.word.split())}{conf}")
        return "".join(line + "\n" for line in lines)

    def _cues(self, max_words: int, max_gap: float) -> list[list[Word]]:
        if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
            raise CtcDecodeError(f"max_words={max_words!r}: give a whole number of words per subtitle, 1 or more.")
        if isinstance(max_gap, bool) or not isinstance(max_gap, (int, float)) or not max_gap >= 0:
            raise CtcDecodeError(f"max_gap={max_gap!r}: give the longest pause inside a subtitle in seconds, >= 0.")
        runs: list[list[Word]] = []  # words between pauses longer than max_gap
        for w in self.words:
            if not runs or w.start - runs[-1][-1].end > max_gap:
                runs.append([])
            runs[-1].append(w)
        groups = []
        for run in runs:  # a long run in cues of near-equal length: 9 words as 4 + 5, not 8 + a lone word
            n = -(-len(run) // max_words)
            bounds = [round(i * len(run) / n) for i in range(n + 1)]
            groups += [run[a:b] for a, b in zip(bounds, bounds[1:])]
        return groups


#: characters on a subtitle line before a cue is shown on two (the broadcasters' common limit)
SUBTITLE_LINE_CHARS = 42


def _lines(words: list[str]) -> str:
    """A cue's words on one line, or on two where one would be longer than :data:`SUBTITLE_LINE_CHARS`, broken
    between the words that make the longer line shortest."""
    text = " ".join(words)
    if len(text) <= SUBTITLE_LINE_CHARS or len(words) < 2:
        return text
    cut = min(range(1, len(words)), key=lambda i: max(len(" ".join(words[:i])), len(" ".join(words[i:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


def _srt_time(seconds: float, decimal: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SubRip; WebVTT writes ``.`` before the milliseconds)."""
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def check_fill_gap_seconds(value, name: str = "fill_gap_seconds") -> Optional[float]:
    """``value`` as the decoders keep it (``None`` or a float), or :class:`CtcDecodeError` unless it is ``None`` or a
    number of seconds >= 0 (:func:`fill_word_gaps`)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise CtcDecodeError(f"{name}={value!r} (--fill-gap-seconds): give the longest gap in seconds (>= 0) that a "
                             "word's end is moved across to the next word's start, or None to end each word at its "
                             "last letter's frame.")
    return float(value)


def fill_word_gaps(words: Sequence[Word], max_gap: Optional[float]) -> list[Word]:
    """``words`` with each word that the next one follows within ``max_gap`` seconds ending where the next starts
    (CTC emits a word's last letter early in its last sound: the blank frames after it are mostly its tail); a
    longer gap is a pause and the word keeps its end. ``None``: unchanged."""
    if max_gap is None or len(words) < 2:
        return list(words)
    out = list(words)
    for i in range(len(out) - 1):
        gap = out[i + 1].start - out[i].end
        if 0 < gap <= max_gap + 1e-9:
            out[i] = replace(out[i], end=out[i + 1].start)
    return out

