"""pyctcdecode's CTC beam search with less Python per frame: the same beams and scores, faster, and better word times.

:class:`FastBeamSearchDecoderCTC` replaces ``BeamSearchDecoderCTC._decode_logits`` (pyctcdecode 0.5) for
character alphabets with an equivalent loop:

* the frame's candidate beams are merged as they are made (one dict, no list of tuples to merge afterwards);
* a beam carries its LM + hotword score, so extending it by a blank or a repeated letter (most extensions) costs
  no lookup, and a new word or letter is scored once per merged beam, not once per candidate;
* each new prefix text is scored by the LM once per utterance, and each partial word once per decoder and hotword
  list (pyctcdecode asks its unigram trie again for every utterance);
* the n-gram history of a text, which ``prune_history`` compares, is split once per text, not once per frame;
* the frame's log-probabilities are read as Python floats (exactly the float32 values, added in the same order).
* a new text's hotword score is worked out from the text it extends (:func:`hotword_stepper`: the hotword words
  it ends with), where pyctcdecode matches a regular expression of every hotword against the whole text (session
  30: with 1,000 hotwords that was 70 % of the decoding time).

Every operation that decides a score or an order (log-sum-exp merging, LM and hotword scores, outlier pruning,
``heapq.nlargest``, history pruning) is pyctcdecode's, in pyctcdecode's order, so the texts, scores and order are
the same: the tests compare the two on real logits, with and without an LM and hotwords. BPE alphabets use
pyctcdecode's loop.

One deliberate difference (session 15): where two paths merge into one beam, the beam keeps the word frames of the
likelier one; pyctcdecode keeps the last one's, whatever its probability. On the 72 demo and dev utterances where
greedy and beam search (no LM) write the same text, pyctcdecode's word times differed from the greedy alignment in
642 of 701 words (median 20 ms, at most 140 ms); these differ in 5, by 20 ms.

Another (session 16): a hotword list that holds a phrase is scored by :class:`PhraseHotwordScorer` (a phrase counts
only where it stands whole), not word by word as pyctcdecode scores it; lists of single words score as before.

And a third (session 18): ``hotword_prefix_share`` scales the bonus of a partial hotword (1.0 here, pyctcdecode's;
``BeamSearchDecoder`` sets its own, 0 by default since session 27: the whole bonus let a prefix push letters out).

And a fourth (session 30): ``hotword_full_letters`` (1 here, pyctcdecode's; ``BeamSearchDecoder`` sets 4): a hotword
entry of fewer letters earns ``weight * letters / full_letters`` per word, so that a one- or two-letter hotword ("C",
"AI"), which the search can write almost anywhere for little acoustic cost, is not written everywhere.
"""
from __future__ import annotations

import copy
import heapq
import math
import re
from operator import itemgetter
from typing import Iterable, Mapping, Optional

import numpy as np

# pyctcdecode 0.5.0 (pinned) helpers, used as they are so that merged scores and texts are bit-identical
from pyctcdecode.constants import (DEFAULT_BEAM_WIDTH, DEFAULT_HOTWORD_WEIGHT, DEFAULT_MIN_TOKEN_LOGP,
                                   DEFAULT_PRUNE_BEAMS, DEFAULT_PRUNE_LOGP, MIN_TOKEN_CLIP_P)
from pyctcdecode.decoder import BeamSearchDecoderCTC, _log_softmax, _merge_beams, _merge_tokens, _sum_log_scores
from pyctcdecode.language_model import HotwordScorer

from .hotwords import letters as _letters

_NULL_FRAMES = (-1, -1)
_PARTIAL_CACHE_LIMIT = 200_000  # partial words kept between utterances (~50 k new ones per 10 min of noisy speech)


class PhraseHotwordScorer(HotwordScorer):
    """Hotword scoring that knows phrases. pyctcdecode boosts every word of a hotword phrase wherever it stands
    (``ES TEE DEE LIB`` turned "CLASSES" into "CLASS ES", and "NO AS Y" into "NON A SEE"); here a phrase earns its
    bonus, ``weight`` per word as in pyctcdecode, only where the whole phrase stands in the text (phrases may
    overlap: at each word, the longest hotword starting there counts).

    ``refund``: for a phrase's words the LM does not know, the unknown-word penalty (natural log, as the LM adds it)
    is given back inside a whole phrase, and also while the text ends with the start of one (so that the beam is
    not pruned between an unknown word and the end of its phrase); the next word that breaks the phrase, or the end
    of the utterance (:meth:`at_end`), takes it back. The refund only cancels a penalty: no bonus before the phrase
    is whole.

    ``full_letters``: an entry (word or phrase) of fewer letters than this earns ``letters / full_letters`` of the
    bonus, for each of its words, and its prefixes their share of that (:meth:`score_partial_token`); 1: all earn it
    whole, as in pyctcdecode.

    Single-word hotwords score exactly as in pyctcdecode (at ``full_letters`` 1, or when none is shorter). The trie
    of partial words holds the single-word hotwords and the phrase words in ``refund`` (so that the LM's penalty for
    an unknown partial word does not end a phrase before its last word); a partial word's bonus lasts only until the
    word ends.

    Tried and not kept: a provisional *bonus* for the last words of the text that begin a phrase. The beam then kept
    such a word and ran the following speech into one long unknown "word" (which pays the unknown-word penalty once,
    instead of the LM cost of each real word): on the demo set, with ``C++: SEE PLUS PLUS`` and ``STDLIB: ES TEE
    DEE LIB`` at weight 10, WER 8.3 -> 10.4 %, against 8.3 % without it.
    """

    def __init__(self, match_ptn, char_trie, weight: float, refund: Mapping[str, float], longest_phrase: int = 1,
                 prefixes: frozenset = frozenset(), final: bool = False, full_letters: int = 1) -> None:
        super().__init__(match_ptn, char_trie, weight)
        self.full_letters = full_letters
        self._entries: dict = {}  # {entry's words: bonus per word} (build); what stepper() reads
        self._refund = dict(refund)
        #: words in the longest hotword: history pruning must compare that many words (less one) to keep apart
        #: beams such as "sea plus" and "see plus" while "see plus plus" is being heard
        self.longest_phrase = longest_phrase
        self._prefixes = prefixes  # proper prefixes (word tuples) of the phrases that hold a refunded word
        self._final = final

    @classmethod
    def build(cls, hotwords: Iterable[str], weight: float, refund: Optional[Mapping[str, float]] = None,
              full_letters: int = 1) -> "PhraseHotwordScorer":
        """``hotwords``: words and phrases (space-separated, in the search's case); ``refund``: ``{word: nats}``;
        ``full_letters``: the letters from which an entry earns the whole bonus."""
        entries = list(dict.fromkeys(" ".join(h.split()) for h in hotwords if h.strip()))
        refund = dict(refund or {})
        partial = [e for e in entries if " " not in e] + [w for e in entries if " " in e for w in e.split()
                                                          if w in refund]
        trie = HotwordScorer.build_scorer(partial, weight=weight)._char_trie
        alternatives = "|".join(re.escape(e) for e in sorted(entries, key=len, reverse=True))  # longest first
        match_ptn = re.compile(r"(?<!\S)(?=(" + alternatives + r")(?!\S))")  # zero width: phrases may overlap
        prefixes = frozenset(tuple(e.split()[:k]) for e in entries if any(w in refund for w in e.split())
                             for k in range(1, len(e.split())))
        scorer = cls(match_ptn, trie, weight, refund, max(len(e.split()) for e in entries), prefixes,
                     full_letters=full_letters)
        scorer._entries = {tuple(e.split()): scorer._entry_weight(e) for e in entries}
        return scorer

    def at_end(self) -> "PhraseHotwordScorer":
        """This scorer for the end of the utterance: a phrase left unfinished gets no refund."""
        end = copy.copy(self)
        end._final = True
        return end

    def _entry_weight(self, entry: str) -> float:
        """The bonus each word of a hotword entry earns: ``weight``, times ``letters / full_letters`` if shorter."""
        return self._weight * min(1.0, _letters(entry) / self.full_letters)

    def score(self, text: str) -> float:
        total = 0.0
        for m in self._match_ptn.finditer(text):
            entry = m.group(1)
            bonus = self._entry_weight(entry)
            for w in entry.split():
                total += bonus + self._refund.get(w, 0.0)
        if self._final or not self._prefixes:
            return total
        words = text.split()
        for k in range(min(self.longest_phrase - 1, len(words)), 0, -1):  # the longest phrase start ending the text
            tail = tuple(words[-k:])
            if tail in self._prefixes:
                return total + sum(self._refund.get(w, 0.0) for w in tail)
        return total

    def _add_position(self, total: float, words: list, i: int) -> float:
        """``total`` plus what the longest entry starting at word ``i`` earns (as :meth:`score` adds it)."""
        entries, refund = self._entries, self._refund
        for k in range(min(self.longest_phrase, len(words) - i), 0, -1):
            entry = tuple(words[i:i + k])
            bonus = entries.get(entry)
            if bonus is not None:
                for w in entry:
                    total += bonus + refund.get(w, 0.0)
                return total
        return total

    def stepper(self):
        """``step(new_text, text, word, final=False)``: :meth:`score` of ``new_text`` (``text`` and one more
        ``word``, or ``text`` itself), equal to it to the bit, from what ``text``'s step kept: a match starting more
        than :attr:`longest_phrase` words before the end cannot change, so each step looks at the last words only,
        where the regular expression read the whole text with every hotword (with 1,000 hotwords it took 70 % of
        the decoding time). ``final``: the score of :meth:`at_end` instead. Texts must reach the step in order:
        ``""`` first, each one before those that extend it."""
        # text -> (total of the positions no later word changes, their count, score, score at the end)
        kept = {"": (0.0, 0, 0.0, 0.0)}
        span, prefixes, refund, add = self.longest_phrase, self._prefixes, self._refund, self._add_position

        def step(new_text: str, text: str, word: str, final: bool = False) -> float:
            done = kept.get(new_text)
            if done is not None:
                return done[3] if final else done[2]
            fixed, m, _, _ = kept[text]
            words = new_text.split()
            n = len(words)
            m_new = max(m, n - span + 1)
            for i in range(m, m_new):
                fixed = add(fixed, words, i)
            whole = fixed
            for i in range(m_new, n):
                whole = add(whole, words, i)
            total = whole
            if prefixes and not self._final:
                for k in range(min(span - 1, n), 0, -1):
                    tail = tuple(words[-k:])
                    if tail in prefixes:
                        total = whole + sum(refund.get(w, 0.0) for w in tail)
                        break
            kept[new_text] = (fixed, m_new, total, whole)
            return whole if final else total

        return step

    def score_partial_token(self, token: str) -> float:
        """pyctcdecode's bonus for a word being spelled: ``weight * len(token) / letters`` of the shortest hotword
        word it begins, here ``/ max(letters, full_letters)``, so that it grows to what the whole word earns."""
        if token not in self:
            return 0.0
        shortest = len(next(self._char_trie.iterkeys(token, shallow=True)))
        return self._weight * len(token) / max(shortest, self.full_letters)


def hotword_stepper(scorer: HotwordScorer):
    """``step(new_text, text, word, final=False)``: ``scorer.score(new_text)`` (``final``: the score at the end of
    the utterance), computed from ``text``'s (``new_text`` is ``text`` and one more ``word``, or ``text`` itself).
    pyctcdecode's scorer counts the words of the text that are hotwords; :meth:`PhraseHotwordScorer.stepper` has
    its own."""
    if isinstance(scorer, PhraseHotwordScorer):
        return scorer.stepper()
    if type(scorer) is not HotwordScorer:  # another scorer: ask it
        return lambda new_text, text, word, final=False: scorer.score(new_text)
    hot = frozenset(scorer._char_trie.keys())
    weight = scorer._weight
    counts = {"": 0}

    def step(new_text: str, text: str, word: str, final: bool = False) -> float:
        n = counts.get(new_text)
        if n is None:
            n = counts[new_text] = counts[text] + (word in hot)
        return weight * n

    return step


class _SteppedScorer:
    """``scorer`` at the end of the utterance (pyctcdecode's ``_get_lm_beams``), its whole-text score read from
    the search's ``step`` (each final text is a text of the search, or one and its unfinished last word)."""

    def __init__(self, scorer: HotwordScorer, step) -> None:
        self._scorer, self._step = scorer, step
        self._at_end = scorer.at_end() if isinstance(scorer, PhraseHotwordScorer) else scorer

    def __contains__(self, item: str) -> bool:
        return item in self._scorer

    def score_partial_token(self, token: str) -> float:
        return self._scorer.score_partial_token(token)

    def score(self, text: str) -> float:
        parent, _, word = text.rpartition(" ")
        try:
            return self._step(text, parent, word, True)
        except KeyError:  # a text the search never scored: the whole text, as before
            return self._at_end.score(text)


class FastBeamSearchDecoderCTC(BeamSearchDecoderCTC):
    """``pyctcdecode.BeamSearchDecoderCTC`` with a faster, equivalent search loop for character alphabets."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._partial_caches: dict = {}
        self.phrase_refund: dict = {}  # {word: nats}: see PhraseHotwordScorer (set by the caller that knows the LM)
        #: the share of pyctcdecode's bonus for a partial hotword (``weight * len(prefix) / len(hotword)``) a prefix
        #: gets while it is spelled; 1: pyctcdecode's (character alphabets; BPE keeps pyctcdecode's)
        self.hotword_prefix_share: float = 1.0
        #: an entry of fewer letters earns this share of the bonus: letters / hotword_full_letters (1: pyctcdecode's)
        self.hotword_full_letters: int = 1

    def decode_beams(self, logits, beam_width: int = DEFAULT_BEAM_WIDTH, beam_prune_logp: float = DEFAULT_PRUNE_LOGP,
                     token_min_logp: float = DEFAULT_MIN_TOKEN_LOGP, prune_history: bool = DEFAULT_PRUNE_BEAMS,
                     hotwords: Optional[Iterable[str]] = None, hotword_weight: float = DEFAULT_HOTWORD_WEIGHT,
                     lm_start_state=None):
        """pyctcdecode's ``decode_beams``; hotword lists with a phrase, or with an entry shorter than
        :attr:`hotword_full_letters`, are scored by :class:`PhraseHotwordScorer` (character alphabets; other lists
        of single words, and BPE, as pyctcdecode scores them)."""
        hotwords = [h for h in (hotwords or ()) if h.strip()]
        full = self.hotword_full_letters
        if self._is_bpe or not any(len(h.split()) > 1 or _letters(h.strip()) < full for h in hotwords):
            return super().decode_beams(logits, beam_width=beam_width, beam_prune_logp=beam_prune_logp,
                                        token_min_logp=token_min_logp, prune_history=prune_history,
                                        hotwords=hotwords or None, hotword_weight=hotword_weight,
                                        lm_start_state=lm_start_state)
        self._check_logits_dimension(logits)
        scorer = PhraseHotwordScorer.build(hotwords, hotword_weight, self.phrase_refund, full_letters=full)
        if math.isclose(logits.sum(axis=1).mean(), 1):  # as pyctcdecode: probabilities, or logits
            logits = np.log(np.clip(logits, MIN_TOKEN_CLIP_P, 1))
        else:
            logits = np.clip(_log_softmax(logits, axis=1), np.log(MIN_TOKEN_CLIP_P), 0)
        return self._decode_logits(logits, beam_width=beam_width, beam_prune_logp=beam_prune_logp,
                                   token_min_logp=token_min_logp, prune_history=prune_history,
                                   hotword_scorer=scorer, lm_start_state=lm_start_state)

    def _partial_cache(self, hotword_scorer) -> dict:
        """``{partial word: score}`` shared by the utterances decoded with the same hotwords and LM settings."""
        lm = self._language_model
        key = (type(hotword_scorer), hotword_scorer._match_ptn.pattern, hotword_scorer._weight,
               tuple(sorted(getattr(hotword_scorer, "_refund", {}))), getattr(lm, "unk_score_offset", None),
               self.hotword_prefix_share, getattr(hotword_scorer, "full_letters", 1))
        cache = self._partial_caches.get(key)
        if cache is None:
            if len(self._partial_caches) > 16:
                self._partial_caches.clear()
            cache = self._partial_caches[key] = {}
        elif len(cache) > _PARTIAL_CACHE_LIMIT:  # a long batch job: bounded memory, at the cost of a refill
            cache.clear()
        return cache

    def _decode_logits(self, logits, beam_width: int, beam_prune_logp: float, token_min_logp: float,
                       prune_history: bool, hotword_scorer, lm_start_state=None):
        if self._is_bpe:
            return super()._decode_logits(logits, beam_width, beam_prune_logp, token_min_logp, prune_history,
                                          hotword_scorer, lm_start_state)
        lm = self._language_model
        start = lm.get_start_state() if lm_start_state is None and lm is not None else lm_start_state
        lm_cache = {"": (0.0, 0.0, start)}  # text -> (LM + hotword score, raw LM score, LM state)
        partial = self._partial_cache(hotword_scorer)
        share = self.hotword_prefix_share
        hot_step = hotword_stepper(hotword_scorer)
        if lm is None:  # pyctcdecode's score is then logit + hotword score(text) + hotword score(partial word)
            bonus: dict = {}

            def text_score(new_text: str, text: str, word: str) -> float:
                if new_text not in bonus:
                    bonus[new_text] = hot_step(new_text, text, word)
                return bonus[new_text]

            def word_score(word_part: str) -> float:
                if word_part not in partial:
                    partial[word_part] = share * hotword_scorer.score_partial_token(word_part)
                return partial[word_part]
        else:  # logit + (LM + hotword score(text)) [+ partial word score]
            def text_score(new_text: str, text: str, word: str) -> float:
                cached = lm_cache.get(new_text)
                if cached is None:
                    _, prev_raw, state = lm_cache[text]
                    score, end_state = lm.score(state, word, is_last_word=False)
                    raw = prev_raw + score
                    cached = lm_cache[new_text] = (raw + hot_step(new_text, text, word), raw, end_state)
                return cached[0]

            def word_score(word_part: str) -> float:
                if word_part not in partial:
                    partial[word_part] = (share * hotword_scorer.score_partial_token(word_part)
                                          if word_part in hotword_scorer else lm.score_partial_token(word_part))
                return partial[word_part]

        history: dict = {}
        n_history = max(1, (1 if lm is None else lm.order) - 1)
        if isinstance(hotword_scorer, PhraseHotwordScorer):  # beams that differ in a phrase's words stay apart
            n_history = max(n_history, hotword_scorer.longest_phrase - 1)
        idx2vocab = self._idx2vocab
        merge_text, log_add, nlargest, by_score = _merge_tokens, _sum_log_scores, heapq.nlargest, itemgetter(0)

        # a beam: (text, word_part, last_char, text_frames, part_frames, logit_score, t, w), where the beam's
        # pyctcdecode score is logit_score + w with an LM (t: the text's LM score; w: t + the partial word's) and
        # logit_score + t + w without one (t: the text's hotword score; w: the partial word's)
        if lm is None:
            beams = [("", "", None, [], _NULL_FRAMES, 0.0, text_score("", "", ""), word_score(""))]
        else:
            beams = [("", "", None, [], _NULL_FRAMES, 0.0, 0.0, 0.0)]
        for frame_idx, logit_col in enumerate(logits):
            max_idx = logit_col.argmax()
            idx_list = set(np.where(logit_col >= token_min_logp)[0]) | {max_idx}  # pyctcdecode's set, same order
            col = logit_col.tolist()
            end = frame_idx + 1
            merged: dict = {}  # pyctcdecode's merge key -> beam; a repeated key sums, keeping the likelier frames
            for idx_char in idx_list:
                p_char = col[idx_char]
                char = idx2vocab[idx_char]
                for text, word_part, last_char, text_frames, part_frames, score, t, w in beams:
                    if char == "" or last_char == char:
                        key = (text, word_part, char)
                        old = merged.get(key)
                        frames = part_frames if char == "" else (part_frames[0], end)
                    elif char == " ":
                        new_text = merge_text(text, word_part)
                        key = (new_text, "", char)
                        old = merged.get(key)
                        if old is None:  # a beam's scores depend on its key only: computed once per key
                            t = text_score(new_text, text, word_part)
                            w = t if lm is not None else word_score("")
                        else:
                            t, w = old[6], old[7]
                        if word_part:
                            text_frames = text_frames + [part_frames]
                        text, word_part, frames = new_text, "", _NULL_FRAMES
                    else:
                        word_part += char
                        key = (text, word_part, char)
                        old = merged.get(key)
                        if old is not None:
                            w = old[7]
                        else:
                            w = partial.get(word_part)
                            if w is None:
                                w = word_score(word_part)
                            if lm is not None:
                                w = t + w
                        frames = (frame_idx, end) if part_frames[0] < 0 else (part_frames[0], end)
                    if old is None:
                        merged[key] = (text, word_part, char, text_frames, frames, score + p_char, t, w)
                    elif old[5] >= score + p_char:  # the likelier path's frames: its word times
                        merged[key] = (text, word_part, char, old[3], old[4], log_add(old[5], score + p_char), t, w)
                    else:
                        merged[key] = (text, word_part, char, text_frames, frames, log_add(old[5], score + p_char),
                                       t, w)

            candidates = list(merged.values())
            if lm is None:
                combined = [b[5] + b[6] + b[7] for b in candidates]
            else:
                combined = [b[5] + b[7] for b in candidates]
            floor = max(combined) + beam_prune_logp
            trimmed = nlargest(beam_width, [x for x in zip(combined, candidates) if x[0] >= floor], key=by_score)
            if prune_history:
                seen = set()
                beams = []
                for _, beam in trimmed:
                    text = beam[0]
                    hist = history.get(text)
                    if hist is None:
                        hist = history[text] = tuple(text.split()[-n_history:])
                    key = (hist, beam[1], beam[2])
                    if key not in seen:
                        seen.add(key)
                        beams.append(beam)
            else:
                beams = [beam for _, beam in trimmed]

        # the end of the utterance: pyctcdecode's own final step, on its cache layout
        final = _merge_beams([(text, word_part, "", None, text_frames if word_part == "" else
                               text_frames + [part_frames], _NULL_FRAMES, score)
                              for text, word_part, _, text_frames, part_frames, score, _, _ in beams])
        cached = {(b[0], False): lm_cache[b[0]] for b in final if b[0] in lm_cache}
        at_end = _SteppedScorer(hotword_scorer, hot_step)
        scored = self._get_lm_beams(final, at_end, cached, partial, is_eos=True)
        max_score = max(b[-1] for b in scored)
        scored = [b for b in scored if b[-1] >= max_score + beam_prune_logp]
        trimmed = nlargest(beam_width, scored, key=itemgetter(-1))
        return [
            (" ".join(text.split()), cached[(text, True)][-1] if (text, True) in cached else None,
             list(zip(text.split(), text_frames)), score, combined)
            for text, _, _, _, text_frames, _, score, combined in trimmed
        ]
