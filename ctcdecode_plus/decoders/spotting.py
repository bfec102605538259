"""CTC word spotting for hotwords: find where the acoustics support a hotword, then put it in the transcript.

For each hotword, a Viterbi pass over its CTC state sequence (``blank t1 blank t2 ... tn blank``) with a free
start and end finds, for every end frame, the best alignment and its *deficit*: how much less log-probability it
has than the best unconstrained path over the same frames (each frame scored relative to its best token, so the
deficit is >= 0 and 0 means the greedy path already spells the hotword there). A span whose deficit per hotword
character is at most ``threshold`` (natural-log units) is a detection; decoded words overlapping it may be
replaced by the hotword (the beam decoder keeps a replacement only if acoustics + LM prefer it). This is
the idea of NeMo's CTC word spotter (Andrusenko et al., 2024), on top of any beam search.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from ..transcript import Transcript, Word
from .hotwords import letters


@dataclass(frozen=True)
class Detection:
    """A hotword found in frames ``[start_frame, end_frame)`` (seconds: times ``seconds_per_frame``); ``deficit``
    in nats per character (lower is surer)."""

    word: str
    start_frame: int
    end_frame: int
    deficit: float


@dataclass(frozen=True)
class Decision:
    """One change the spotting check judged (:meth:`.beam.BeamSearchDecoder.explain_hotwords`): the decoded words
    ``before`` (seconds ``start``-``end``) against ``after`` (as spelled: a spoken form as its words), which brings
    in ``hotwords`` (as transcripts show them). ``acoustic`` and
    ``language_model`` are nats in favour of ``after`` (negative: against it): the acoustic comparison that
    carried most, and the LM + word-bonus difference. ``kept``: their sum is >= 0, the acoustics are against
    it by at most the decoder's ``spotting_margin`` (nats per character of the words it brings in), and the
    change was made."""

    hotwords: tuple[str, ...]
    before: str
    after: str
    start: float
    end: float
    acoustic: float
    language_model: float
    kept: bool


@dataclass
class HotwordReport:
    """What the hotwords did in one utterance: ``transcript`` (the same as ``decode`` gives), ``detections``
    (hotword spellings found within their threshold, ``[start_frame, end_frame)``, with ``thresholds`` in nats
    per character by spelling), the ``decisions`` of the spotting check, in order, and the changes the search's
    hotword ``bonus`` made (against the same search without it: ``acoustic`` and ``language_model`` as in a
    :class:`Decision`, the bonus itself aside, ``bonus_weight`` nats a hotword word, a share of it for a hotword
    of fewer than ``bonus_full_letters`` letters)."""

    transcript: Transcript
    detections: list[Detection]
    thresholds: dict[str, float]
    decisions: list[Decision]
    seconds_per_frame: float
    bonus: list[Decision] = field(default_factory=list)
    bonus_weight: float = 0.0
    bonus_full_letters: int = 1

    def _short_note(self, hotwords: Sequence[str]) -> str:
        """``"; AI: 2/4 of it"`` for the hotwords of fewer than ``bonus_full_letters`` letters (spaces aside)."""
        n = self.bonus_full_letters
        return "".join(f"; {h}: {letters(h)}/{n} of it" for h in dict.fromkeys(hotwords) if letters(h) < n)

    def lines(self) -> list[str]:
        """The report as text, one line per change the bonus made, per detection and per decision (times in seconds,
        margins in nats)."""
        out = [f"the bonus brought in {' '.join(c.hotwords)} at {c.start:.2f}-{c.end:.2f} s: "
               f"{c.before or '(nothing)'!r} -> {c.after or '(nothing)'!r}; acoustics {c.acoustic:+.1f}, LM "
               f"{c.language_model:+.1f}, total {c.acoustic + c.language_model:+.1f} nats without the bonus "
               f"(weight {self.bonus_weight:g} a hotword word{self._short_note(c.hotwords)})" for c in self.bonus]
        if not self.thresholds:
            return out + ["hotword spotting was off or had no hotwords (give hotwords and --hotword-spotting NATS "
                          "or --spotting-background PATH; hotword_spotting= in Python)"]
        spf = self.seconds_per_frame
        out += [f"spotted {d.word} at {d.start_frame * spf:.2f}-{d.end_frame * spf:.2f} s: {d.deficit:.2f} nats/char "
                f"from the best path (threshold {self.thresholds.get(d.word, float('nan')):.2f})"
                for d in self.detections]
        for c in dict.fromkeys(self.decisions):  # the guided search and the replacement may judge the same change
            verdict = "kept" if c.kept else "refused"
            out.append(f"{verdict} {' '.join(c.hotwords) or '(no hotword)'} at {c.start:.2f}-{c.end:.2f} s: "
                       f"{c.before or '(nothing)'!r} -> {c.after or '(nothing)'!r}; acoustics {c.acoustic:+.1f}, "
                       f"LM {c.language_model:+.1f}, total {c.acoustic + c.language_model:+.1f} nats")
        if not self.detections:
            out.append("no hotword spotted within its threshold")
        return out


def _end_scores_many(rel: np.ndarray, seqs: Sequence[Sequence[int]], blank: int) -> tuple[np.ndarray, np.ndarray]:
    """Best alignment of each token sequence of ``seqs`` ending at each frame of ``rel`` ``[frames, vocab]``
    (all <= 0), with a free start: one pass over the frames for all sequences at once.

    Returns the score (nats, <= 0; ``-inf`` where none ends) and the start frame, each ``[frames, len(seqs)]``.
    """
    H, T = len(seqs), rel.shape[0]
    lengths = np.array([2 * len(ids) + 1 for ids in seqs])
    S = int(lengths.max())
    ext = np.full((H, S), blank)
    for h, ids in enumerate(seqs):
        ext[h, 1 : lengths[h] : 2] = ids
    states = np.arange(S)
    valid = states[None, :] < lengths[:, None]
    # skipping the blank between two tokens is allowed unless they are the same token
    skip_ok = (states % 2 == 1) & (states >= 3) & valid
    skip_ok[:, 3:] &= ext[:, 3:] != ext[:, 1:-2]
    emit = np.where(valid[None], rel[:, ext], -np.inf)  # [T, H, S]
    rows = np.arange(H)
    last, second = lengths - 1, lengths - 2
    score = np.full((H, S), -np.inf)
    start = np.zeros((H, S), int)
    p1, p2 = np.full((H, S), -np.inf), np.full((H, S), -np.inf)
    s1, s2 = np.zeros((H, S), int), np.zeros((H, S), int)
    end_score = np.full((T, H), -np.inf)
    end_start = np.zeros((T, H), int)
    for f in range(T):
        p1[:, 1:], s1[:, 1:] = score[:, :-1], start[:, :-1]
        p2[:, 2:], s2[:, 2:] = score[:, :-2], start[:, :-2]
        from1 = p1 > score  # ties keep the earlier choice: stay, then one step, then the skip
        score, start = np.where(from1, p1, score), np.where(from1, s1, start)
        from2 = skip_ok & (p2 > score)
        score, start = np.where(from2, p2, score), np.where(from2, s2, start)
        new = score[:, :2] < 0.0  # a new alignment may begin here
        score[:, :2][new], start[:, :2][new] = 0.0, f
        score += emit[f]
        take_last = score[rows, last] >= score[rows, second]
        k = np.where(take_last, last, second)
        end_score[f], end_start[f] = score[rows, k], start[rows, k]
    return end_score, end_start


def _end_scores(rel: np.ndarray, ids: Sequence[int], blank: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_end_scores_many` for one token sequence ``ids``: score and start frame, each ``[frames]``."""
    end_score, end_start = _end_scores_many(rel, [ids], blank)
    return end_score[:, 0], end_start[:, 0]


def _detections(end_score: np.ndarray, end_start: np.ndarray, n: int, threshold: float) -> list[Detection]:
    """Non-overlapping detections of one sequence of ``n`` tokens, from its ``[frames]`` end scores and starts."""
    deficit = -end_score / n
    found: list[Detection] = []
    order = np.argsort(deficit, kind="stable")
    taken = np.zeros(len(deficit), bool)
    for f in order:
        if not deficit[f] <= threshold:
            break
        s = int(end_start[f])
        if taken[s : f + 1].any():
            continue
        taken[s : f + 1] = True
        found.append(Detection("", s, int(f) + 1, float(deficit[f])))
    return found


def relative_log_probs(log_probs: np.ndarray) -> np.ndarray:
    """``log_probs`` ``[frames, vocab]`` minus each frame's best: the best path scores 0, every other path < 0."""
    return log_probs - log_probs.max(axis=1, keepdims=True)


def alignment_cost(rel: np.ndarray, labels: Sequence[str], blank: int, text: str) -> float:
    """Deficit (nats, >= 0) of the best CTC alignment of ``text`` within the frames of ``rel`` ``[frames, vocab]``
    (from :func:`relative_log_probs`, free start and end); ``inf`` if ``text`` cannot be spelled or does not fit."""
    index = {lab: i for i, lab in enumerate(labels) if lab}
    ids = [index.get(ch, -1) for ch in text]
    if not ids or -1 in ids or rel.shape[0] == 0:
        return float("inf")
    return float(-_end_scores(rel, ids, blank)[0].max())


def spot_hotwords(log_probs: np.ndarray, labels: Sequence[str], blank: int, hotwords: Sequence[str],
                  threshold: Union[float, Mapping[str, float]]) -> list[Detection]:
    """Find ``hotwords`` (words or phrases, in the labels' case) in ``log_probs`` ``[frames, vocab]``.

    ``threshold``: the most deficit (nats per character) a detection may have; one for all hotwords, or one per
    hotword (a mapping; hotwords missing from it are not spotted; see :func:`false_alarm_floors`).
    """
    index = {lab: i for i, lab in enumerate(labels) if lab}
    limit = threshold if isinstance(threshold, Mapping) else dict.fromkeys(hotwords, threshold)
    # the decoder has already refused hotwords outside the alphabet
    words = [hw for hw in hotwords if hw and hw in limit and all(ch in index for ch in hw)]
    if not words or len(log_probs) == 0:
        return []
    seqs = [[index[ch] for ch in hw] for hw in words]
    end_score, end_start = _end_scores_many(relative_log_probs(log_probs), seqs, blank)
    out: list[Detection] = []
    for h, hw in enumerate(words):
        out += [Detection(hw, d.start_frame, d.end_frame, d.deficit)
                for d in _detections(end_score[:, h], end_start[:, h], len(seqs[h]), limit[hw])]
    return sorted(out, key=lambda d: d.deficit)


def apply_detections(words: list[Word], detections: Sequence[Detection], seconds_per_frame: float,
                     accept: Optional[Callable[[list[Word], list[Word], Detection], bool]] = None,
                     term: Optional[Callable[[str], str]] = None) -> list[Word]:
    """Replace the decoded words that overlap each detection (most certain first) by the hotword.

    A word overlaps when more than half of it lies inside the detected span. Detections that overlap no word, or
    a word already replaced, are ignored: spotting corrects words, it never inserts them. ``accept(before, after,
    detection)``, given the word lists without and with one replacement, may veto it. ``term(text)`` names the
    term a spelling stands for (a spoken form -> its hotword): words that already spell the detection's term by
    another spelling are left as they are.
    """
    words = list(words)
    replaced: set[int] = set()
    for d in detections:
        t0, t1 = d.start_frame * seconds_per_frame, d.end_frame * seconds_per_frame
        hit = [i for i, w in enumerate(words)
               if min(w.end, t1) - max(w.start, t0) > 0.5 * max(w.end - w.start, 1e-9)]
        if not hit or replaced & set(hit) or hit != list(range(hit[0], hit[-1] + 1)):
            continue
        covered = " ".join(words[i].word for i in hit)
        if covered == d.word or (term is not None and term(covered) == term(d.word)):
            replaced |= set(hit)
            continue
        new = Word(d.word, words[hit[0]].start, words[hit[-1]].end, None)
        after = words[: hit[0]] + [new] + words[hit[-1] + 1 :]
        if accept is not None and not accept(words, after, d):
            continue
        words = after
        shift = len(hit) - 1  # indices after the run move left
        replaced = {i if i < hit[0] else i - shift for i in replaced if not hit[0] <= i <= hit[-1]} | {hit[0]}
    return words


def forced_alignment(rel: np.ndarray, ids: Sequence[int], blank: int) -> np.ndarray:
    """Best CTC alignment of ``ids`` over *all* frames of ``rel`` ``[frames, vocab]``: the token of each frame
    ``[frames]`` (``blank`` between and around the tokens). Raises ``ValueError`` if ``ids`` do not fit."""
    n = len(ids)
    ext = np.full(2 * n + 1, blank)
    ext[1::2] = ids
    S, T = len(ext), rel.shape[0]
    if T == 0:
        raise ValueError("no frames to align")
    skip_ok = np.zeros(S, bool)
    skip_ok[3::2] = np.asarray(ids[1:]) != np.asarray(ids[:-1])
    emit = rel[:, ext]
    back = np.zeros((T, S), np.int8)  # 0 stay, 1 from s-1, 2 from s-2
    score = np.full(S, -np.inf)
    score[: min(2, S)] = emit[0, : min(2, S)]
    for f in range(1, T):
        cand = np.stack([score, np.r_[-np.inf, score[:-1]], np.where(skip_ok, np.r_[-np.inf, -np.inf, score[:-2]],
                                                                     -np.inf)])
        back[f] = cand.argmax(0)
        score = cand[back[f], np.arange(S)] + emit[f]
    s = S - 1 if S < 2 or score[S - 1] >= score[S - 2] else S - 2
    if not np.isfinite(score[s]):
        raise ValueError("the token sequence does not fit in these frames")
    path = np.empty(T, int)
    for f in range(T - 1, -1, -1):
        path[f] = ext[s]
        s -= int(back[f, s])
    return path


def transcript_cost(rel: np.ndarray, labels: Sequence[str], blank: int, space: Optional[int], text: str) -> float:
    """Deficit (nats, >= 0) of the best CTC alignment of the whole ``text`` over *all* frames of ``rel``
    ``[frames, vocab]`` (from :func:`relative_log_probs`), words separated by the ``space`` token (or by blanks
    alone if ``space`` is None); ``inf`` if ``text`` cannot be spelled or does not fit."""
    index = {lab: i for i, lab in enumerate(labels) if lab}
    ids: list[int] = []
    for k, word in enumerate(text.split()):
        if k and space is not None:
            ids.append(space)
        ids += [index.get(ch, -1) for ch in word]
    if -1 in ids or rel.shape[0] == 0:
        return float("inf")
    if not ids:
        return float(-rel[:, blank].sum())
    try:
        path = forced_alignment(rel, ids, blank)
    except ValueError:
        return float("inf")
    return float(-rel[np.arange(len(path)), path].sum())


def boost_detections(log_probs: np.ndarray, detections: Sequence[Detection], labels: Sequence[str], blank: int,
                     space: Optional[int]) -> tuple[np.ndarray, np.ndarray, list[Detection]]:
    """Make each detected hotword's best alignment as likely as the best path, so that a beam search over the
    result can choose the hotword *and* re-decode the words around it (the language model then judges them
    together). Non-overlapping detections are taken most certain first. So that the hotword can stand as its own
    word, the word delimiter ``space`` is made as likely as the best token at each end of the span: in its first
    (last) frame if the alignment has a blank there, else in the frame before (after) it if that frame is blank.

    Returns the boosted copy of ``log_probs`` ``[frames, vocab]``, a ``[frames]`` mask of the frames changed (a
    search must not skip them), and the detections used.
    """
    index = {lab: i for i, lab in enumerate(labels) if lab}
    best = log_probs.max(axis=1)
    out = log_probs.copy()
    changed = np.zeros(len(log_probs), bool)
    used: list[Detection] = []
    for d in detections:
        f0, f1 = d.start_frame, d.end_frame
        lo, hi = max(f0 - 1, 0), min(f1 + 1, len(log_probs))
        if changed[lo:hi].any():
            continue
        ids = [index[ch] for ch in d.word if ch in index]
        try:
            path = forced_alignment(log_probs[f0:f1] - best[f0:f1, None], ids, blank)
        except ValueError:
            continue
        frames = np.arange(f0, f1)
        out[frames, path] = best[frames]
        if space is not None:  # a delimiter where the span or the frame beside it is blank, never over a letter
            for inner, outer in ((f0, f0 - 1), (f1 - 1, f1)):
                if path[inner - f0] == blank:
                    out[inner, space] = best[inner]
                elif 0 <= outer < len(out) and log_probs[outer].argmax() in (blank, space):
                    out[outer, space] = best[outer]
        changed[lo:hi] = True
        used.append(d)
    return out, changed, used


def false_alarm_floors(background: Iterable[np.ndarray], labels: Sequence[str], blank: int,
                       hotwords: Sequence[str]) -> dict[str, float]:
    """How close speech *without* the hotwords comes to each of them: the lowest deficit (nats per character) of
    each hotword's best alignment over the ``background`` utterances (each ``[frames, vocab]`` log-probs).

    A detection less certain than a hotword's floor is no better evidence than the closest false alarm seen, so
    a threshold below the floor (:meth:`.beam.BeamSearchDecoder.calibrate_spotting`) calibrates each hotword by
    its own spelling: a short or common-sounding word gets a strict threshold, a long unusual one a lenient one
    (keyword-specific thresholds, as in keyword-search systems). Hotwords outside the labels are left out;
    ``inf`` where no utterance can hold the hotword.
    """
    index = {lab: i for i, lab in enumerate(labels) if lab}
    words = [hw for hw in dict.fromkeys(hotwords) if hw and all(ch in index for ch in hw)]
    floors = dict.fromkeys(words, float("inf"))
    if not words:
        return floors
    seqs = [[index[ch] for ch in hw] for hw in words]
    for log_probs in background:
        if len(log_probs) == 0:
            continue
        end_score, _ = _end_scores_many(relative_log_probs(log_probs), seqs, blank)
        best = end_score.max(axis=0)
        for h, hw in enumerate(words):
            floors[hw] = min(floors[hw], max(0.0, float(-best[h]) / len(seqs[h])))
    return floors
