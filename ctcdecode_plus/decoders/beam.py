"""Beam-search CTC decoding on pyctcdecode, optionally fused with a KenLM n-gram model and hotwords.

What this adds to bare pyctcdecode:

* **Case reconciliation.** An LM whose words are lower case used with upper-case labels (or the reverse) makes
  every word out-of-vocabulary and the LM silently harmful. The LM's case is detected and the decoder works in
  it; transcripts come back in the acoustic model's case. An LM that cannot be reconciled is an error.
* **Hotwords that work.** pyctcdecode scores a hotword the LM does not know with the unknown-word penalty
  (``unk_score_offset``, -10 by default) at every partial step, which cancels the hotword bonus. Here hotwords are
  in-vocabulary for the penalty, so ``hotword_weight`` acts as the boost it is meant to be.
* **Hotword spotting** (``hotword_spotting=``): CTC word spotting finds hotwords the beam never tried; a guided
  second search and a replacement step put them in, each only where acoustics + LM prefer the result (the
  hotword known to the LM, without its bonus). Thresholds can be set per hotword from untranscribed speech
  (:meth:`BeamSearchDecoder.calibrate_spotting`).
* **Spoken forms** (``"C++: SEE PLUS PLUS"``): a hotword that cannot be spelled from how it sounds is searched by
  its spoken spelling and shown as written (:mod:`.hotwords`); ``auto_spoken_forms=True`` writes them for
  compounds of the LM's words and letter-by-letter acronyms.
* Clear errors for a missing or malformed LM, and hotwords with characters outside the alphabet.
* Worker processes rebuild the decoder from its configuration (see :mod:`.base`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import difflib
import inspect
import logging
import math
import numbers
import os
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from ..constants import (
    DEFAULT_ALPHA,
    DEFAULT_BEAM_PRUNE_LOGP,
    DEFAULT_BLANK_SKIP_THRESHOLD,
    DEFAULT_BEAM_WIDTH,
    DEFAULT_BETA,
    DEFAULT_FILL_GAP_SECONDS,
    DEFAULT_HOTWORD_FULL_LETTERS,
    DEFAULT_HOTWORD_PREFIX_SHARE,
    DEFAULT_HOTWORD_WEIGHT,
    DEFAULT_PAUSE_SECONDS,
    DEFAULT_SEGMENT_SECONDS,
    DEFAULT_SPOTTING_MARGIN,
    DEFAULT_SPOTTING_RATIO,
    DEFAULT_TOKEN_MIN_LOGP,
    DEFAULT_UNK_SCORE_OFFSET,
    SMALL_LM_WORDS,
    WORD_CONFIDENCE_ACOUSTIC,
    WORD_CONFIDENCE_NBEST,
    WORD_CONFIDENCE_SCALE,
)
from ..emissions import Emissions, check_pause_seconds, check_same_labels
from ..errors import CtcDecodeError, LanguageModelError, VocabularyError
from ..lm.arpa import is_arpa_file, read_arpa_unigrams, unigram_list_path
from ..lm.counts import split_words
from ..lm.normalize import plain_letters
from ..lm.perplexity import load_kenlm
from ..transcript import Hypothesis, Transcript, Word, check_fill_gap_seconds
from ..vocab import BLANK_LABEL, SPACE_LABEL, Labels, apply_case, labels_of, text_case
from .base import Decoder, as_labels, check_emissions, word_ends
from .hotwords import apply_display, parse_hotword, split_word, with_suggested_forms
from .spotting import (Decision, HotwordReport, alignment_cost, apply_detections, boost_detections,
                       false_alarm_floors, forced_alignment, relative_log_probs, spot_hotwords, transcript_cost)

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
_LM_SPECIAL = {"<s>", "</s>", "<unk>"}
_PROBE_WORDS = ("the", "a", "and", "of", "to", "is", "in", "it", "that", "you")


def _find_unigrams_beside(path: Path) -> Optional[list[str]]:
    """The word list written beside a (binary) LM: ``lm.unigrams.txt`` (build-lm) or ``unigrams.txt``."""
    for cand in (unigram_list_path(path), path.parent / "unigrams.txt"):
        if cand.is_file():
            return [w for w in split_words(cand.read_text(encoding="utf-8")) if w not in _LM_SPECIAL]
    return None


def _hotword_lm_class():
    """A pyctcdecode ``LanguageModel`` that does not apply the unknown-word penalty to hotwords."""
    from pyctcdecode.language_model import LanguageModel

    class HotwordAwareLanguageModel(LanguageModel):
        def __init__(self, *args, hotwords: Iterable[str] = (), **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._hotwords = frozenset(hotwords)
            self._hotword_prefixes = frozenset(w[:i] for w in self._hotwords for i in range(1, len(w) + 1))

        def score_partial_token(self, partial_token: str) -> float:
            if partial_token in self._hotword_prefixes:
                return 0.0
            return super().score_partial_token(partial_token)

        def score(self, prev_state, word: str, is_last_word: bool = False):
            if word not in self._hotwords:
                return super().score(prev_state, word, is_last_word)
            offset, self.unk_score_offset = self.unk_score_offset, 0.0
            try:
                return super().score(prev_state, word, is_last_word)
            finally:
                self.unk_score_offset = offset

    return HotwordAwareLanguageModel


def skip_blank_frames(log_probs: np.ndarray, blank_id: int, threshold: Optional[float],
                      keep: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """Drop all but the first frame of each run of frames whose blank probability exceeds ``threshold``.

    Such frames extend every beam by "blank" alone, so searching one of them is equivalent up to a score shift of
    at most ``(run length - 1) * ln(threshold)`` per run. Frames where the ``[frames]`` mask ``keep`` is true are
    never dropped. Returns the kept log-probs ``[kept, vocab]`` and, for each kept frame, its index in the
    original ``[frames]`` axis.
    """
    if threshold is None or threshold >= 1.0:
        return log_probs, np.arange(len(log_probs))
    confident = log_probs[:, blank_id] > np.log(threshold)
    if keep is not None:
        confident &= ~keep
    keep = ~confident | np.r_[True, ~confident[:-1]]
    index = np.flatnonzero(keep)
    return log_probs[index], index


class BeamSearchDecoder(Decoder):
    """CTC prefix beam search (pyctcdecode), optionally with a KenLM model and hotwords.

    Args:
        lm: path of an ARPA (``.arpa``/``.arpa.gz``) or KenLM binary model, or ``None`` for no LM.
        alpha: LM weight in shallow fusion (score = acoustic + alpha * ln P_lm + beta * words).
        beta: word insertion bonus.
        unk_score_offset: log-score added for words the LM does not know.
        unigrams: known words; default: read from an ARPA file, or ``unigrams.txt`` beside a binary.
        hotwords: words or phrases to boost (in the alphabet; case follows the labels). An entry
            ``"SHOWN: SPOKEN, SPOKEN..."`` also searches how the term sounds and shows ``SHOWN`` (verbatim, any
            characters) in its place, e.g. ``"STDLIB: ES TEE DEE LIB"``, ``"C++: SEE PLUS PLUS"`` (:mod:`.hotwords`).
        hotword_prefix_share: the share, in [0, 1], of pyctcdecode's bonus for a partial hotword that a word being
            spelled gets while it is a hotword's prefix (default 0: the bonus comes when the hotword is whole; the
            prefix still pays no unknown-word penalty. 1: pyctcdecode's, which let a prefix push letters out: "CAFE"
            -> "KAFE" for KAFKA).
        hotword_weight: bonus per hotword match (pyctcdecode's scale), >= 0. Weight 0 is not "hotwords off": a
            hotword stays a known word (no unknown-word penalty) and spotting still applies; for "off", give no
            hotwords.
        hotword_full_letters: the letters (spaces aside) from which a hotword entry earns the whole bonus; a
            shorter one earns ``hotword_weight * letters / hotword_full_letters`` (default 4: "C" a quarter, "AI"
            half; a one-letter hotword at the whole weight was written all over the development set). 1: every
            entry the whole weight, as pyctcdecode.
        beam_width, beam_prune_logp, token_min_logp: pyctcdecode's search parameters.
        lm_score_boundary: score sentence start/end with the LM.
        nbest: number of alternatives to keep in ``Transcript.nbest``.
        blank_skip_threshold: in each run of frames whose blank probability exceeds this, only the first frame is
            searched (one blank still separates repeated letters); word times are mapped back to the original
            frames. ``None`` searches every frame, exactly as bare pyctcdecode does.
        hotword_spotting: also spot hotwords acoustically (:mod:`.spotting`): a hotword whose CTC alignment is at
            most this many nats per character worse than the best path over the same frames is a candidate for
            the words it overlaps, and replaces them if acoustics + LM + word bonus prefer it, the hotword
            counting as a known word but without its bonus: spotting repairs what the search pruned, it does not
            outvote the acoustics and the LM (so it needs an LM). ``None``: off; a number: one threshold for all; a
            mapping ``{hotword spelling: threshold}``: one per hotword (those left out are not spotted), as
            :meth:`calibrate_spotting` makes from untranscribed speech. Tune it with
            :func:`ctcdecode_plus.tune.tune_hotwords`.
        spotting_margin: the most the acoustics may be against a spotted change, in nats per character of the words
            it brings in, whatever the LM says (the unknown-word penalty alone let a hotword replace an ordinary word
            the LM does not know: PRETENDS -> PREPENDS); ``None``: no limit (before session 26).
        pause_seconds: a pause this long (seconds of frames whose best token is the blank) ends a word even where
            the model put no word delimiter in it (:meth:`Emissions.with_pause_breaks`), so the words on either
            side are searched and scored by the LM apart; ``None``: only the delimiter does, as bare pyctcdecode.
        segment_seconds: a recording longer than this (seconds) is searched in pieces of at most this length, cut in
            its longest pauses (:meth:`Emissions.segments`), the LM context starting afresh in each, so that time
            and memory grow with the length, not its square (one search of an 18-minute file took 1.5 GB);
            ``None``: one search, however long. A transcript of pieces keeps n-best alternatives that differ in one
            piece.
        fill_gap_seconds: a word whose next word starts at most this long (seconds) after its last letter ends
            where the next one starts, and one before a longer gap at the model's word delimiter, if it says one
            at most this long after the letter (:func:`.base.word_ends`); ``None`` or 0: each word ends at its last
            letter's frame, as pyctcdecode's.
        word_confidence: give each word of the transcript a confidence in [0, 1] (``Word.confidence``; otherwise
            ``None``): its posterior in the n-best list (the combined scores, so the LM and hotwords count) times
            its acoustic confidence to the power 1/4 (constants ``WORD_CONFIDENCE_*``). One more search per
            utterance, with alternatives kept apart: about 2.5x the decoding time (2.2-2.9x measured;
            ``benchmarks/word_confidence.py``). Words that hotword spotting put in have none.
        auto_spoken_forms: give each plain hotword the spoken forms of
            :func:`.hotwords.suggest_spoken_forms`, with the LM's unigrams as the known words (``HEAPPUSH`` is
            also searched as ``HEAP PUSH``, ``STDLIB`` as ``ESTEEDEE LIB``); entries with their own forms are kept.
        name: name in comparison tables.
    """

    fill_gap_seconds: Optional[float] = DEFAULT_FILL_GAP_SECONDS  # what a decoder pickled before it had
    word_confidence: bool = False

    def __init__(
        self,
        lm: Optional[PathLike] = None,
        *,
        alpha: float = DEFAULT_ALPHA,
        beta: float = DEFAULT_BETA,
        unk_score_offset: float = DEFAULT_UNK_SCORE_OFFSET,
        unigrams: Optional[Iterable[str]] = None,
        hotwords: Optional[Sequence[str]] = None,
        hotword_weight: float = DEFAULT_HOTWORD_WEIGHT,
        beam_width: int = DEFAULT_BEAM_WIDTH,
        beam_prune_logp: float = DEFAULT_BEAM_PRUNE_LOGP,
        token_min_logp: float = DEFAULT_TOKEN_MIN_LOGP,
        lm_score_boundary: bool = True,
        nbest: int = 1,
        blank_skip_threshold: Optional[float] = DEFAULT_BLANK_SKIP_THRESHOLD,
        hotword_spotting: Optional[float] = None,
        auto_spoken_forms: bool = False,
        pause_seconds: Optional[float] = DEFAULT_PAUSE_SECONDS,
        segment_seconds: Optional[float] = DEFAULT_SEGMENT_SECONDS,
        hotword_prefix_share: float = DEFAULT_HOTWORD_PREFIX_SHARE,
        hotword_full_letters: int = DEFAULT_HOTWORD_FULL_LETTERS,
        fill_gap_seconds: Optional[float] = DEFAULT_FILL_GAP_SECONDS,
        word_confidence: bool = False,
        spotting_margin: Optional[float] = DEFAULT_SPOTTING_MARGIN,
        name: Optional[str] = None,
    ) -> None:
        if lm is not None and not isinstance(lm, (str, os.PathLike)):
            raise LanguageModelError(f"lm={lm!r}: give the path of a KenLM model (ARPA, .arpa.gz or binary), or None.")
        self.lm_path = Path(lm) if lm is not None else None
        settings = _normalized_settings(dict(
            alpha=alpha, beta=beta, unk_score_offset=unk_score_offset, hotwords=hotwords, hotword_weight=hotword_weight,
            beam_width=beam_width, beam_prune_logp=beam_prune_logp, token_min_logp=token_min_logp,
            lm_score_boundary=lm_score_boundary, nbest=nbest, blank_skip_threshold=blank_skip_threshold,
            hotword_spotting=hotword_spotting, auto_spoken_forms=auto_spoken_forms, pause_seconds=pause_seconds,
            segment_seconds=segment_seconds, hotword_prefix_share=hotword_prefix_share,
            hotword_full_letters=hotword_full_letters, fill_gap_seconds=fill_gap_seconds,
            word_confidence=word_confidence, spotting_margin=spotting_margin))
        self.alpha: float = settings["alpha"]
        self.beta: float = settings["beta"]
        self.unk_score_offset: float = settings["unk_score_offset"]
        self.hotwords: list[str] = settings["hotwords"]
        self.hotword_weight: float = settings["hotword_weight"]
        self.beam_width: int = settings["beam_width"]
        self.beam_prune_logp: float = settings["beam_prune_logp"]
        self.token_min_logp: float = settings["token_min_logp"]
        self.lm_score_boundary: bool = settings["lm_score_boundary"]
        self.nbest: int = settings["nbest"]
        self.blank_skip_threshold: Optional[float] = settings["blank_skip_threshold"]
        self.hotword_spotting: Optional[float] = settings["hotword_spotting"]
        self.auto_spoken_forms: bool = settings["auto_spoken_forms"]
        self.pause_seconds: Optional[float] = settings["pause_seconds"]
        self.segment_seconds: Optional[float] = settings["segment_seconds"]
        self.hotword_prefix_share: float = settings["hotword_prefix_share"]
        self.hotword_full_letters: int = settings["hotword_full_letters"]
        self.fill_gap_seconds: Optional[float] = settings["fill_gap_seconds"]
        self.word_confidence: bool = settings["word_confidence"]
        self.spotting_margin: Optional[float] = settings["spotting_margin"]
        self.spotting_floors: Optional[dict[str, float]] = None  # set by calibrate_spotting
        self.name = name or ("beam" + ("+lm" if lm is not None else "") + ("+hotwords" if self.hotwords else ""))
        self._cache_kenlm = None
        self._cache_decoders: dict = {}
        self._cache_unigram_set: Optional[frozenset] = None
        self.unigrams: Optional[list[str]] = list(unigrams) if unigrams is not None else None
        self.lm_case = "none"
        if self.lm_path is not None:
            self._cache_kenlm = load_kenlm(self.lm_path)  # validates the file now, not at the first decode
            if self.unigrams is None:
                self.unigrams = (read_arpa_unigrams(self.lm_path) if is_arpa_file(self.lm_path)
                                 else _find_unigrams_beside(self.lm_path))
                if self.unigrams is None:
                    logger.warning("%s: no unigram list found (write unigrams.txt beside it); "
                                   "beam search works but is less accurate.", self.lm_path)
            self.lm_case = self._detect_lm_case()

    # --- configuration checks ----------------------------------------------------------------------------
    def _detect_lm_case(self) -> str:
        if self.unigrams:
            return text_case("".join(self.unigrams[:5000]))
        model = self._kenlm()
        lower = sum(w in model for w in _PROBE_WORDS)
        upper = sum(w.upper() in model for w in _PROBE_WORDS)
        return "lower" if lower > upper else "upper" if upper > lower else "none"

    def _kenlm(self):
        if self._cache_kenlm is None and self.lm_path is not None:
            self._cache_kenlm = load_kenlm(self.lm_path)
        return self._cache_kenlm

    def _work_case(self, label_case: str) -> str:
        """The case the search runs in, for labels in ``label_case``: the LM's when it differs (reconciliation)."""
        if self.lm_path is None or self.lm_case in ("none", label_case) or label_case == "none":
            return label_case
        if self.lm_case == "mixed" or label_case == "mixed":
            if self.lm_case != label_case:
                raise VocabularyError(
                    f"{self.lm_path}: the LM's words are {self.lm_case} case but the model's labels are "
                    f"{label_case} case; rebuild the LM with `ctcdecode-plus build-lm --alphabet-from MODEL`."
                )
            return label_case
        logger.info("%s: LM words are %s case, labels %s case: decoding in the LM's case.",
                    self.lm_path, self.lm_case, label_case)
        return self.lm_case

    def _check_coverage(self, labels: Labels, case: str) -> None:
        if not self.unigrams:
            return
        chars = {apply_case(c, case) for c in labels.characters}
        sample = [w for w in self.unigrams[:20000] if w not in ("<s>", "</s>", "<unk>")]  # pyctcdecode's folders
        if not sample:                                                                      # list the markers
            return
        bad = [w for w in sample if any(ch not in chars for ch in w)]
        examples = ", ".join(repr(w if len(w) <= 20 else w[:20] + "...") for w in bad[:3])
        if len(bad) > 0.5 * len(sample):
            raise VocabularyError(
                f"{self.lm_path}: {len(bad)} of {len(sample)} LM words use characters outside the model's "
                f"alphabet (e.g. {examples}); the LM does not match this acoustic model. Rebuild it with "
                "`ctcdecode-plus build-lm --alphabet-from MODEL`."
            )
        if len(sample) < SMALL_LM_WORDS and (self.lm_path, "small") not in _WARNED_COVERAGE:
            _WARNED_COVERAGE.add((self.lm_path, "small"))
            single = sum(len(w) == 1 for w in sample)
            what = (f"{single} of its {len(sample)} words are single characters: a character-level model, which "
                    "word-level fusion (pyctcdecode's) cannot use" if single > len(sample) / 2
                    else f"it knows only {len(sample)} words ({', '.join(repr(w) for w in sample[:5])}...)")
            logger.warning("%s: %s; every other word is scored as unknown (unk_score_offset %g), so beam search with "
                           "it is likely worse than without an LM. Build a word-level model of the domain's text "
                           "with `ctcdecode-plus build-lm --alphabet-from MODEL`; ignore this if the speech only "
                           "ever uses these words.", self.lm_path, what, self.unk_score_offset)
        if len(bad) > 0.01 * len(sample) and (self.lm_path, labels.labels) not in _WARNED_COVERAGE:
            _WARNED_COVERAGE.add((self.lm_path, labels.labels))
            logger.warning("%s: %d of %d LM words (%.0f %%) use characters outside the model's alphabet (e.g. %s): "
                           "the decoder can never say them, and the LM's probabilities are spread over them. "
                           "Rebuild it with `ctcdecode-plus build-lm --alphabet-from MODEL`.",
                           self.lm_path, len(bad), len(sample), 100 * len(bad) / len(sample), examples)

    def _decoder_for(self, labels: Labels) -> tuple:
        """(pyctcdecode decoder, search case, the boosted hotword spellings in that case, the spotted ones in the
        labels' case, ``{spoken words: shown form}``), built once (:meth:`_spellings`)."""
        cached = self._cache_decoders.get(labels.labels)
        if cached is not None:
            return cached
        from pyctcdecode.alphabet import Alphabet

        from .search import FastBeamSearchDecoderCTC

        if self.hotword_spotting is not None and self.hotwords and self.lm_path is None:
            raise CtcDecodeError("hotword spotting judges each candidate with the language model: give an LM (--lm; "
                                 "BeamSearchDecoder('lm.arpa') in Python) or turn spotting off (--hotword-spotting "
                                 "off; hotword_spotting=None).")
        case = self._work_case(labels.case)
        self._check_coverage(labels, case)
        label_hotwords, hotwords, to_display = self._spellings(labels)
        search_labels = []
        for i, lab in enumerate(labels.labels):
            if i in labels.suppressed:
                search_labels.append(chr(0xE000 + i))  # private-use placeholder: never emitted (floored)
            elif lab in (BLANK_LABEL, SPACE_LABEL):
                search_labels.append(lab)
            else:
                search_labels.append(apply_case(lab, case))
        alphabet = Alphabet(search_labels, is_bpe=False)
        lm = None
        if self.lm_path is not None:
            from pyctcdecode.language_model import LanguageModel

            settings = dict(alpha=self.alpha, beta=self.beta, unk_score_offset=self.unk_score_offset,
                            score_boundary=self.lm_score_boundary)
            # words that appear only in boosted phrases get their unknown-word penalty back in the phrase alone
            # (search.PhraseHotwordScorer); every other hotword word is exempt from it wherever it stands
            boosted_phrases = {apply_case(h, case) for h in hotwords if len(h.split()) > 1}
            phrase_only = ({w for h in boosted_phrases for w in h.split()}
                           - {w for h in label_hotwords if apply_case(h, case) not in boosted_phrases
                              for w in apply_case(h, case).split()})
            if label_hotwords:  # the subclass costs a Python call per LM query: only where it changes something
                hot_words = [w for h in label_hotwords for w in apply_case(h, case).split() if w not in phrase_only]
                lm = _hotword_lm_class()(self._kenlm(), self.unigrams, hotwords=hot_words, **settings)
            else:
                lm = LanguageModel(self._kenlm(), self.unigrams, **settings)
        dec = FastBeamSearchDecoderCTC(alphabet, lm)
        if lm is not None:
            from pyctcdecode.constants import LOG_BASE_CHANGE_FACTOR

            unknown = [w for w in phrase_only if (lm._unigram_set and w not in lm._unigram_set)
                       or w not in lm._kenlm_model]  # as pyctcdecode's LanguageModel.score decides
            dec.phrase_refund = {w: -self.alpha * self.unk_score_offset * LOG_BASE_CHANGE_FACTOR for w in unknown}
        cached = (dec, case, [apply_case(h, case) for h in hotwords], label_hotwords, to_display)
        self._cache_decoders[labels.labels] = cached
        return cached

    def _spellings(self, labels: Labels) -> tuple[list[str], list[str], dict]:
        """The hotword spellings to spot, in the labels' case (each entry's shown form where the labels can
        spell it, and its spoken forms: :mod:`.hotwords`); those the beam search boosts; and ``{spoken words:
        shown form}`` for the output.

        pyctcdecode boosts each word of a phrase wherever it stands, so an automatic spoken form of several words
        (``auto_spoken_forms``) is boosted only when the LM knows none of them (``HEAP PUSH`` would boost every
        ``PUSH``); spotting finds the others. Spoken forms written in the entry are boosted as given.
        """
        known = self._unigram_set()
        spellings, boosted, to_display = [], [], {}
        for entry in map(parse_hotword, self.hotwords):
            auto = not entry.spoken and self.auto_spoken_forms
            if auto:
                entry = with_suggested_forms(entry, known)
            if not entry.spoken:
                try:
                    spellings.append(labels.validate_text(entry.display, "hotword"))
                except VocabularyError as e:
                    plain = plain_letters(entry.display)  # O’BRIEN as O'BRIEN, ZOË as ZOE: as build-lm writes them
                    try:
                        spelled = labels.validate_text(plain, "hotword") if plain != entry.display else None
                    except VocabularyError:
                        spelled = None
                    if spelled is None:
                        raise VocabularyError(f"{e} Or say how it sounds: '{entry.display}: SPOKEN FORM'.") from None
                    spellings.append(spelled)  # searched in the model's letters, shown as written
                    to_display[tuple(spelled.split())] = entry.display
                boosted.append(spellings[-1])
                continue
            with contextlib.suppress(VocabularyError):  # "C++: SEE PLUS PLUS": only the spoken form is searched
                spellings.append(labels.validate_text(entry.display, "hotword"))
                boosted.append(spellings[-1])
            for spoken in entry.spoken:
                spelled = labels.validate_text(spoken, f"spoken form of hotword {entry.display!r}:")
                spellings.append(spelled)
                if not auto or len(spelled.split()) == 1 or not any(w.upper() in known or w.lower() in known
                                                                     for w in spelled.split()):
                    boosted.append(spelled)
                to_display[tuple(spelled.split())] = entry.display
        return list(dict.fromkeys(spellings)), list(dict.fromkeys(boosted)), to_display

    # --- decoding --------------------------------------------------------------------------------------------
    def prepare(self, labels: Union[Labels, Sequence[str]]) -> "BeamSearchDecoder":
        self._decoder_for(as_labels(labels))
        return self

    def decode(self, emissions: Emissions) -> Transcript:
        return self._with_word_ends(self._decode(emissions), emissions)

    def _with_word_ends(self, t: Transcript, emissions: Emissions) -> Transcript:
        """``t`` with its words' ends (and its n-best's) where the words end (``fill_gap_seconds``:
        :func:`.base.word_ends`)."""
        if self.fill_gap_seconds is None:
            return t
        nbest = [dataclasses.replace(h, words=word_ends(h.words, emissions, self.fill_gap_seconds)) for h in t.nbest]
        return dataclasses.replace(t, words=word_ends(t.words, emissions, self.fill_gap_seconds), nbest=nbest)

    def explain_hotwords(self, emissions: Emissions) -> HotwordReport:
        """Decode ``emissions`` as :meth:`decode` does and say what the hotwords did: each change the search's bonus
        made (``report.bonus``: against the same search without it, one more search; acoustic and LM margins in nats,
        the bonus aside), where spotting found each hotword spelling (deficit against its threshold, nats per
        character) and every change its check judged (margins in nats, kept or refused). ``report.lines()`` reads
        as text; the CLI prints it with ``transcribe --explain-hotwords``. Without spotting
        (``hotword_spotting=None``) only the bonus's part is filled. The times are the search's words', before
        :func:`.base.word_ends` places the transcript's ends."""
        report = HotwordReport(None, [], {}, [], emissions.seconds_per_frame)
        report.transcript = self._with_word_ends(self._decode(emissions, report), emissions)
        return report

    def _decode(self, emissions: Emissions, report: Optional[HotwordReport] = None) -> Transcript:
        check_emissions(emissions, self.name)
        pieces = emissions.segments(self.segment_seconds)
        if len(pieces) > 1:
            return self._decode_pieces(emissions, pieces, report)
        emissions = emissions.with_pause_breaks(self.pause_seconds)
        dec, case, hotwords, label_hotwords, to_display = self._decoder_for(emissions.labels)
        if not len(emissions.log_probs):  # no frames (built directly: from_logits refuses them): nothing was said
            return Transcript("", [], 0.0, None, [], emissions.source, self.name)
        hyps = self._search(dec, hotwords, emissions, emissions.log_probs)
        if report is not None and label_hotwords and self.hotword_weight > 0:
            report.bonus = self._bonus_changes(dec, case, hotwords, label_hotwords, emissions, hyps[0].words,
                                               to_display)
            report.bonus_weight, report.bonus_full_letters = self.hotword_weight, self.hotword_full_letters
        keep = max(self.nbest, WORD_CONFIDENCE_NBEST if self.word_confidence else 1)
        if keep > 1:  # the alternatives from a search that keeps them; the best stays the 1-best search's
            alternatives = self._search(dec, hotwords, emissions, emissions.log_probs, nbest=keep)
            if self.word_confidence:
                hyps[0] = _with_confidences(hyps[0], alternatives, emissions)
            if self.nbest > 1:
                hyps += [h for h in alternatives[: self.nbest] if h.text != hyps[0].text]
        best = hyps[0]
        if self.hotword_spotting is not None and label_hotwords:
            words = self._spot(dec, case, hotwords, label_hotwords, emissions, best.words, to_display, report)
            best = Hypothesis(" ".join(w.word for w in words), best.acoustic_score, best.lm_score, words)
            hyps[0] = best
        if to_display:  # spoken forms -> what the transcript shows
            for i, h in enumerate(hyps):
                words = apply_display(h.words, to_display)
                if [w.word for w in words] != [w.word for w in h.words]:
                    hyps[i] = Hypothesis(" ".join(w.word for w in words), h.acoustic_score, h.lm_score, words)
        hyps = [_one_word_each(h) for h in hyps]
        best = hyps[0]
        seen: set = set()
        distinct = [h for h in hyps if not (h.text in seen or seen.add(h.text))]  # the first of each text, in order
        return Transcript(best.text, best.words, best.acoustic_score, best.lm_score,
                          distinct[: self.nbest] if self.nbest > 1 else [], emissions.source, self.name)

    def _decode_pieces(self, emissions: Emissions, pieces: Sequence[tuple[int, int]],
                       report: Optional[HotwordReport]) -> Transcript:
        """One transcript of ``emissions`` decoded piece by piece (frame ranges ``pieces``), words and report times
        shifted to the whole; n-best: the best with one piece's alternative in its place, least loss first."""
        spf = emissions.seconds_per_frame
        parts = []
        for a, b in pieces:
            sub = None if report is None else HotwordReport(None, [], {}, [], spf)
            parts.append((a * spf, self._decode(emissions.piece(a, b), sub)))
            if report is not None:
                report.detections += [dataclasses.replace(d, start_frame=d.start_frame + a, end_frame=d.end_frame + a)
                                      for d in sub.detections]
                report.thresholds.update(sub.thresholds)
                report.decisions += [dataclasses.replace(c, start=c.start + a * spf, end=c.end + a * spf)
                                     for c in sub.decisions]
                report.bonus += [dataclasses.replace(c, start=c.start + a * spf, end=c.end + a * spf)
                                 for c in sub.bonus]
                report.bonus_weight, report.bonus_full_letters = sub.bonus_weight, sub.bonus_full_letters

        def words(t: Union[Transcript, Hypothesis], offset: float) -> list[Word]:
            return [dataclasses.replace(w, start=round(w.start + offset, 4), end=round(w.end + offset, 4))
                    for w in t.words]

        def total(ts, name: str) -> Optional[float]:
            values = [getattr(t, name) for t in ts]
            return None if any(v is None for v in values) else float(sum(values))

        bests = [t for _, t in parts]
        all_words = [w for offset, t in parts for w in words(t, offset)]
        text = " ".join(t.text for t in bests if t.text)
        nbest = []
        if self.nbest > 1:
            score = "lm_score" if total(bests, "lm_score") is not None else "acoustic_score"
            swaps = []  # (loss, piece, alternative): the best with that piece's alternative in its place
            for i, t in enumerate(bests):
                swaps += [(getattr(t, score) - getattr(h, score), i, h) for h in t.nbest[1:]]
            nbest = [Hypothesis(text, total(bests, "acoustic_score"), total(bests, "lm_score"), all_words)]
            for _, i, h in sorted(swaps, key=lambda x: x[0])[: self.nbest - 1]:
                chosen = [h if j == i else t for j, t in enumerate(bests)]
                nbest.append(Hypothesis(" ".join(c.text for c in chosen if c.text), total(chosen, "acoustic_score"),
                                        total(chosen, "lm_score"),
                                        [w for j, ((off, _), c) in enumerate(zip(parts, chosen))
                                         for w in words(c, off)]))
        return Transcript(text, all_words, total(bests, "acoustic_score"), total(bests, "lm_score"), nbest,
                          emissions.source, self.name)

    def _search(self, dec, hotwords: Sequence[str], emissions: Emissions, log_probs: np.ndarray,
                keep: Optional[np.ndarray] = None, nbest: int = 1, weight: Optional[float] = None) -> list[Hypothesis]:
        """pyctcdecode's beam search over ``log_probs`` ``[frames, vocab]`` (the emissions' or a boosted copy);
        the ``nbest`` best hypotheses with word times in seconds. ``nbest=1`` merges beams that share their LM
        history, as pyctcdecode's ``decode()`` does; more keeps them apart (``decode_beams()``), which can change
        the best one, so :meth:`decode` takes the best from a 1-best search."""
        searched, frame_index = skip_blank_frames(log_probs, emissions.blank_id, self.blank_skip_threshold, keep)
        dec.hotword_prefix_share = self.hotword_prefix_share
        dec.hotword_full_letters = self.hotword_full_letters
        beams = dec.decode_beams(
            searched,
            beam_width=self.beam_width,
            beam_prune_logp=self.beam_prune_logp,
            token_min_logp=self.token_min_logp,
            prune_history=nbest == 1,
            hotwords=hotwords or None,
            hotword_weight=self.hotword_weight if weight is None else weight,
        )
        out_case = emissions.labels.case
        spf = emissions.seconds_per_frame
        has_lm = self.lm_path is not None or bool(hotwords)
        hyps = []
        for text, _state, word_frames, logit_score, combined in beams[:nbest]:
            words = [Word(apply_case(w, out_case), round(int(frame_index[s]) * spf, 4),
                          round((int(frame_index[e - 1]) + 1) * spf, 4)) for w, (s, e) in word_frames]
            hyps.append(Hypothesis(apply_case(text, out_case), float(logit_score),
                                   float(combined) if has_lm else None, words))
        return hyps

    def _spot(self, dec, case: str, hotwords: Sequence[str], label_hotwords: Sequence[str], emissions: Emissions,
              words: list[Word], to_display: Optional[dict] = None,
              report: Optional[HotwordReport] = None) -> list[Word]:
        """Hotword spotting (:mod:`.spotting`) on top of the beam's ``words``, in two steps, each judged by the
        beam's own score without the hotword bonus (:class:`_FusionJudge`):

        1. *guided search*: the beam search runs again with every spotted hotword's alignment made as likely as
           the best path, so the hotword and the words around it are decoded together (a misheard hotword often
           garbles its neighbours too); each changed stretch of words that brings in a hotword is kept if the
           score prefers it;
        2. *replacement*: a detection still missing replaces the words it covers, if the score prefers it.

        ``report`` (:meth:`explain_hotwords`) collects the detections and the check's decisions.
        """
        labels, blank = emissions.labels.labels, emissions.blank_id
        threshold = self.hotword_spotting
        if isinstance(threshold, Mapping):
            threshold = {apply_case(k, emissions.labels.case): v for k, v in threshold.items()}
        found = spot_hotwords(emissions.log_probs, labels, blank, label_hotwords, threshold)
        if report is not None:
            report.detections = list(found)
            report.thresholds = {h: (threshold.get(h, float("nan")) if isinstance(threshold, Mapping) else threshold)
                                 for h in label_hotwords}
        if not found:
            return words
        judge = self._judge(emissions, case, label_hotwords, to_display)
        judge.decisions = report.decisions if report is not None else None
        space = labels.index(SPACE_LABEL) if SPACE_LABEL in labels else None
        boosted, keep, used = boost_detections(emissions.log_probs, found, labels, blank, space)
        if used and self._guided_search:
            guided = self._search(dec, hotwords, emissions, boosted, keep)[0].words
            words = judge.merge(words, guided)
        display = to_display or {}
        return apply_detections(words, found, emissions.seconds_per_frame, accept=judge.accept,
                                term=lambda text: display.get(tuple(text.split()), text).casefold())

    def _bonus_changes(self, dec, case: str, hotwords: Sequence[str], label_hotwords: Sequence[str],
                       emissions: Emissions, words: list[Word], to_display: Optional[dict]) -> list[Decision]:
        """For :meth:`explain_hotwords`: each stretch of the search's best ``words`` that differs from the same
        search without the hotword bonus and brings in a hotword, judged as spotting's check judges a change, the
        bonus aside (one more search)."""
        plain = self._search(dec, hotwords, emissions, emissions.log_probs, weight=0.0)[0].words
        judge = _FusionJudge(self, emissions, case, label_hotwords, hotword_bonus=0.0, to_display=to_display)
        out = []
        ops = difflib.SequenceMatcher(a=[w.word for w in plain], b=[w.word for w in words], autojunk=False)
        for tag, i1, i2, j1, j2 in ops.get_opcodes():
            old, new = plain[i1:i2], words[j1:j2]
            if tag == "equal" or not judge.brings_in(old, new):
                continue
            before = words[:j1] + old + words[j2:]
            acoustic = max(judge.local_difference(old, new), judge.whole_difference(before, words))
            out.append(judge._decision(before, words, acoustic, judge.fusion(words) - judge.fusion(before), True))
        return out

    _guided_search = True  # step 1 of _spot; benchmarks/hotword_spotting.py turns it off for its ablation

    def _judge(self, emissions: Emissions, case: str, label_hotwords: Sequence[str],
               to_display: Optional[dict] = None) -> "_FusionJudge":
        # no hotword bonus: spotting repairs the search, it does not outvote the acoustics and the LM (a bonus
        # here let near-misses such as ALLOCATE for "A LOCATES" through; benchmarks/RESULTS.md)
        return _FusionJudge(self, emissions, case, label_hotwords, hotword_bonus=0.0, to_display=to_display,
                            margin=self.spotting_margin)

    def calibrate_spotting(self, background: Iterable[Emissions], ratio: float = DEFAULT_SPOTTING_RATIO,
                           cap: Optional[float] = None) -> "BeamSearchDecoder":
        """A copy whose spotting threshold is set per hotword from untranscribed ``background`` speech that does
        not contain the hotwords (other recordings of the same kind: no transcripts needed).

        Each hotword spelling's threshold is ``ratio`` times its false-alarm floor, the lowest deficit of its
        alignment in any background utterance (:func:`.spotting.false_alarm_floors`), and at most ``cap`` nats
        per character (``None``: no cap, whatever ``hotword_spotting`` the decoder had; the CLI passes
        ``--hotword-spotting`` as the cap). ``ratio`` in (0, 1]: lower is stricter. The floors are in
        ``.spotting_floors``.
        """
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 < ratio <= 1:
            raise CtcDecodeError(f"spotting ratio {ratio!r} (--spotting-ratio): give a number in (0, 1] (the share "
                                 "of each hotword's closest false alarm that a detection must stay under).")
        background = list(background)
        if not self.hotwords:
            raise CtcDecodeError("calibrate_spotting: the decoder has no hotwords to calibrate.")
        if not background:
            raise CtcDecodeError("calibrate_spotting: no background utterances; give recordings like the ones you "
                                 "will decode that do not contain the hotwords.")
        labels = background[0].labels
        for em in background[1:]:
            check_same_labels(labels, em.labels, f"background utterance {em.source or ''}".strip())
        _dec, _case, _hot, label_hotwords, _disp = self._decoder_for(labels)
        floors = false_alarm_floors((em.with_pause_breaks(self.pause_seconds).log_probs for em in background),
                                    labels.labels, background[0].blank_id, label_hotwords)  # as decode() spots
        limit = float("inf") if cap is None else float(cap)
        new = self.replace(hotword_spotting={h: min(limit, ratio * f) for h, f in floors.items()})
        new.spotting_floors = floors
        return new

    def _unigram_set(self) -> frozenset:
        if self._cache_unigram_set is None:
            self._cache_unigram_set = frozenset(self.unigrams or ())
        return self._cache_unigram_set

    def settings(self) -> dict:
        """The LM (its path), every search setting, and the calibrated spotting floors where there are any."""
        out = {"type": "BeamSearchDecoder", "lm": None if self.lm_path is None else str(self.lm_path)}
        out.update({key: getattr(self, key) for key in _SETTINGS})
        if self.spotting_floors:
            out["spotting_floors"] = self.spotting_floors
        return out

    def __repr__(self) -> str:
        """``BeamSearchDecoder(lm='...', alpha=..., ...)``: the LM, the name, and the settings that differ from the
        defaults (a long hotword list shortened), for logs."""
        defaults = inspect.signature(BeamSearchDecoder.__init__).parameters
        parts = [f"lm={None if self.lm_path is None else str(self.lm_path)!r}"]
        for key in _SETTINGS:
            value = getattr(self, key)
            if key == "hotwords" and value:
                value = value[:5] + ([f"... {len(value) - 5} more"] if len(value) > 5 else [])
            if value != defaults[key].default and not (key == "hotwords" and not value):
                parts.append(f"{key}={value!r}")
        return f"BeamSearchDecoder({', '.join(parts)}, name={self.name!r})"

    def replace(self, **changes) -> "BeamSearchDecoder":
        """A copy with some settings changed (``alpha=``, ``beta=``, ``hotwords=``, ``name=``...) that shares the
        loaded KenLM model and unigrams, so a parameter sweep loads the LM once."""
        import copy

        unknown = set(changes) - set(_SETTINGS) - {"name"}
        if unknown:  # the LM and what is read from it (unigrams, case) belong to a new decoder
            raise TypeError(f"replace() cannot change {sorted(unknown)}; build a new BeamSearchDecoder for another LM")
        new = copy.copy(self)
        name = changes.pop("name", None)
        for key, value in _normalized_settings(changes).items():  # as the constructor: no bad value mid-sweep
            setattr(new, key, value)
        if name is not None:
            new.name = name
        new._cache_decoders = {}
        new._cache_unigram_set = None
        return new

    # --- files ---------------------------------------------------------------------------------------------------
    def save_pretrained(self, folder: PathLike, labels, *, processor_dir=None, overwrite: bool = False) -> Path:
        """Write a decoder folder that ``Wav2Vec2ProcessorWithLM.from_pretrained`` and pyctcdecode's
        ``BeamSearchDecoderCTC.load_from_dir`` read (``alphabet.json``, ``language_model/``).

        ``labels``: the acoustic model's labels (``AcousticModel.labels``, or the ``AcousticModel``);
        ``processor_dir``: the model (an ``AcousticModel``, its folder, ``"demo"`` or a hub id) whose processor files
        are copied in, which makes the folder a complete ``Wav2Vec2ProcessorWithLM``.
        The search settings those readers have no place for (hotwords and their weight, beam width and pruning,
        spotting and its calibrated thresholds) go in ``.ctcdecode_plus.json``, which they ignore and
        :meth:`from_pretrained` reads. ``overwrite``: write into a non-empty folder, replacing only the decoder's
        files there: saved into the acoustic model's own folder (``processor_dir=`` that folder), it keeps the
        model's config and weights and makes one folder that both ``AcousticModel.from_pretrained`` and this
        class's :meth:`from_pretrained` read, as a hub "with LM" repository.
        """
        from ..lm.package import save_decoder_folder

        _check_folder_arg(folder, "save_pretrained")
        if labels_of(labels) is not None:  # Labels, or an AcousticModel's
            labels = labels_of(labels)
        label_case = as_labels(labels).case  # and a clear error for what is not labels
        label_list = list(labels.labels) if isinstance(labels, Labels) else list(labels)
        # an LM in another case than the labels is reconciled here (_work_case), but not by pyctcdecode or
        # transformers: the folder gets the LM's words in the labels' case
        lm_case = label_case if self.lm_path is not None and self._work_case(label_case) != label_case else None
        search = {key: getattr(self, key) for key in _SAVED_SEARCH_SETTINGS}
        search["spotting_floors"] = self.spotting_floors
        return save_decoder_folder(folder, label_list, self.lm_path, alpha=self.alpha, beta=self.beta,
                                   unk_score_offset=self.unk_score_offset, unigrams=self.unigrams,
                                   score_boundary=self.lm_score_boundary, processor_dir=processor_dir,
                                   overwrite=overwrite, search_settings=search, lm_case=lm_case)

    @classmethod
    def from_pretrained(cls, folder: PathLike, **overrides) -> "BeamSearchDecoder":
        """Load a decoder folder (ours, pyctcdecode's or a ``Wav2Vec2ProcessorWithLM`` hub folder).

        ``overrides`` replace stored values or set search options (``alpha=``, ``hotwords=``, ``beam_width=``...);
        search settings saved by :meth:`save_pretrained` are read from ``.ctcdecode_plus.json``.
        """
        _check_folder_arg(folder, "from_pretrained")
        from ..lm.package import SEARCH_SETTINGS_FILENAME, _read_json, load_decoder_folder

        unknown = sorted(set(overrides) - set(inspect.signature(cls.__init__).parameters))
        if unknown:
            raise TypeError(f"from_pretrained: unknown settings {unknown}")
        df = load_decoder_folder(folder)
        kwargs = dict(alpha=df.alpha, beta=df.beta, unk_score_offset=df.unk_score_offset,
                      unigrams=df.unigrams or None, lm_score_boundary=df.score_boundary)
        floors = None
        if (df.folder / SEARCH_SETTINGS_FILENAME).exists():
            saved = _read_json(df.folder / SEARCH_SETTINGS_FILENAME, "search settings written by save_pretrained")
            _check_saved_settings(df.folder / SEARCH_SETTINGS_FILENAME, saved)
            floors = saved.pop("spotting_floors", None)
            if "hotwords" in overrides:  # thresholds calibrated for the saved hotwords are not for these
                floors = None
                if isinstance(saved.get("hotword_spotting"), dict) and "hotword_spotting" not in overrides:
                    logger.warning("%s: the saved per-hotword spotting thresholds are for the saved hotwords, not "
                                   "the ones given; spotting is off (pass hotword_spotting=)", df.folder)
                    saved.pop("hotword_spotting")
            kwargs.update(saved)
        kwargs.update(overrides)
        if df.lm_path is None and kwargs.get("hotword_spotting") is not None and kwargs.get("hotwords"):
            raise LanguageModelError(f"{df.folder}: has no language_model/ folder, but its saved settings spot "
                                     "hotwords, which needs an LM: copy the decoder folder again whole, or pass "
                                     "hotword_spotting=None")
        try:  # the caller's own values first: an error there is theirs, not the folder's
            _normalized_settings(dict(overrides))
        except (ValueError, CtcDecodeError) as e:
            raise CtcDecodeError(f"from_pretrained({df.folder}): {e}") from None
        try:
            decoder = cls(df.lm_path, **kwargs)
        except (ValueError, CtcDecodeError) as e:
            raise LanguageModelError(f"{df.folder}: its settings do not make a decoder ({e})") from None
        if floors is not None:
            decoder.spotting_floors = {str(k): float(v) for k, v in floors.items()}
        return decoder


#: (LM path, labels) already warned about LM words outside the alphabet: once per process, not per decoder copy
_WARNED_COVERAGE: set = set()
_NUMBER_OPTIONS = ("alpha", "beta", "unk_score_offset", "hotword_weight", "beam_prune_logp", "token_min_logp")
#: what save_pretrained keeps beside pyctcdecode's files (``.ctcdecode_plus.json``), with ``spotting_floors``
_SAVED_SEARCH_SETTINGS = ("hotwords", "hotword_weight", "beam_width", "beam_prune_logp", "token_min_logp", "nbest",
                          "blank_skip_threshold", "hotword_spotting", "auto_spoken_forms", "pause_seconds",
                          "segment_seconds", "hotword_prefix_share", "hotword_full_letters", "fill_gap_seconds",
                          "word_confidence", "spotting_margin")


def _check_folder_arg(folder, method: str) -> None:
    """A :class:`CtcDecodeError` for a ``folder`` that is not a path (``None``, a number)."""
    if not isinstance(folder, (str, os.PathLike)):
        raise CtcDecodeError(f"BeamSearchDecoder.{method}(): folder={folder!r:.40} is not a path; give the decoder "
                             "folder's path.")


def _check_saved_settings(path: Path, saved: dict) -> None:
    """The JSON types of a ``.ctcdecode_plus.json`` (the constructor would coerce "no" to True, a dict to its keys)."""
    def number(v) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    def mapping(v) -> bool:
        return isinstance(v, dict) and all(isinstance(k, str) and number(x) for k, x in v.items())

    checks = {
        "hotwords": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "hotword_weight": number, "beam_prune_logp": number, "token_min_logp": number,
        "beam_width": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "nbest": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "blank_skip_threshold": lambda v: v is None or number(v),
        "hotword_spotting": lambda v: v is None or number(v) or mapping(v),
        "auto_spoken_forms": lambda v: isinstance(v, bool),
        "pause_seconds": lambda v: v is None or number(v),
        "segment_seconds": lambda v: v is None or number(v),
        "fill_gap_seconds": lambda v: v is None or (number(v) and v >= 0),
        "word_confidence": lambda v: isinstance(v, bool),
        "hotword_prefix_share": lambda v: number(v) and 0 <= v <= 1,
        "hotword_full_letters": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "spotting_margin": lambda v: v is None or (number(v) and v >= 0),
        "spotting_floors": lambda v: v is None or mapping(v),
    }
    unknown = sorted(set(saved) - set(checks))
    if unknown:
        raise LanguageModelError(f"{path}: unknown settings {unknown}; write the folder again with save_pretrained, "
                                 "or delete the file")
    bad = sorted(k for k, v in saved.items() if not checks[k](v))
    if bad:
        raise LanguageModelError(f"{path}: wrong type or value for {bad} ({', '.join(repr(saved[k]) for k in bad)}); "
                                 "write the folder again with save_pretrained, or delete the file")


def _check_option(option: str, value) -> None:
    """Raise :class:`CtcDecodeError` for a numeric setting that is not a finite number (``beam_width``: not a whole
    number >= 1; ``beam_prune_logp``: above 0, which prunes every beam); other settings pass."""
    if option in _NUMBER_OPTIONS:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise CtcDecodeError(f"{option}={value!r} (--{option.replace('_', '-')}): must be a finite number.")
        if option == "alpha" and value < 0:
            raise CtcDecodeError(f"alpha={value!r} (--alpha): the LM weight must be >= 0 (0: no LM; a negative weight "
                                 "rewards what the LM finds unlikely); tune it with `ctcdecode-plus tune`.")
        if option == "hotword_weight" and value < 0:
            raise CtcDecodeError(f"hotword_weight={value!r} (--hotword-weight): must be >= 0 (a bonus for each hotword "
                                 "match); to leave a word out, do not list it.")
        if option == "beam_prune_logp" and value > 0:
            raise CtcDecodeError(f"beam_prune_logp={value!r}: must be <= 0 (a log-probability margin below the best "
                                 f"beam; default {DEFAULT_BEAM_PRUNE_LOGP}); above 0 it prunes every beam.")
    elif option == "beam_width":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise CtcDecodeError(f"beam_width={value!r} (--beam-width): must be a whole number >= 1 "
                                 f"(default {DEFAULT_BEAM_WIDTH}).")
    elif option == "nbest":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise CtcDecodeError(f"nbest={value!r}: must be a whole number >= 1 (1: the best transcript only; more "
                                 "fills Transcript.nbest with that many alternatives).")


def _with_confidences(best: Hypothesis, alternatives: Sequence[Hypothesis], emissions: Emissions) -> Hypothesis:
    """``best`` with a confidence for each word (``BeamSearchDecoder(word_confidence=True)``): its posterior among
    ``alternatives`` and ``best`` itself (weights ``softmax(WORD_CONFIDENCE_SCALE * score)``, the combined score where
    there is one; a hypothesis counts if it has the same word overlapping it in time; pyctcdecode returns up to
    ``WORD_CONFIDENCE_NBEST`` of them, those within ``beam_prune_logp`` of the best, so ``beam_width`` and
    ``beam_prune_logp`` shape it too) times its acoustic confidence (the mean
    probability of its letters' frames in their best alignment within its frames) to the power
    ``WORD_CONFIDENCE_ACOUSTIC``."""
    def score(h: Hypothesis) -> float:
        return h.lm_score if h.lm_score is not None else h.acoustic_score

    if all(h.text != best.text for h in alternatives):  # the search that keeps alternatives apart filled its beam
        # with near-copies and lost the one the history-pruning search chose (a narrow beam): it counts, with its
        # own score (one beam's, as theirs are)
        alternatives = [best, *alternatives]
    alternatives = [h for h in alternatives if math.isfinite(score(h))]
    scores = np.array([score(h) for h in alternatives] or [0.0])
    weights = np.exp(WORD_CONFIDENCE_SCALE * (scores - scores.max()))
    weights /= weights.sum()
    spf, lp, blank = emissions.seconds_per_frame, emissions.log_probs, emissions.blank_id
    index = {lab: i for i, lab in enumerate(emissions.labels.labels) if lab}
    spans = []  # per alternative: {word: [(start, end), ...]}
    for h in alternatives:
        by_word: dict = {}
        for x in h.words:
            by_word.setdefault(x.word, []).append((x.start, x.end))
        spans.append(by_word)
    words = []
    for w in best.words:
        posterior = sum(p for by_word, p in zip(spans, weights)
                        if any(min(e, w.end) > max(st, w.start) for st, e in by_word.get(w.word, ())))
        confidence = min(1.0, float(posterior)) if alternatives else 1.0
        a, b = int(round(w.start / spf)), int(round(w.end / spf))
        ids = [index.get(ch, -1) for ch in w.word]
        if b > a and ids and -1 not in ids:
            try:
                path = forced_alignment(lp[a:b] - lp[a:b].max(axis=1, keepdims=True), ids, blank)
                frames = np.flatnonzero(path != blank)
                confidence *= float(np.exp(lp[a:b][frames, path[frames]]).mean()) ** WORD_CONFIDENCE_ACOUSTIC
            except ValueError:  # the letters do not fit in the word's frames: the posterior alone
                pass
        words.append(dataclasses.replace(w, confidence=round(confidence, 4)))
    return Hypothesis(best.text, best.acoustic_score, best.lm_score, words)


def _one_word_each(h: Hypothesis) -> Hypothesis:
    """``h`` with a Word per word: a spotted phrase ("KEYWORD ARGUMENTS") or a shown form of several words is split,
    its time shared out by length (:func:`.hotwords.split_word`)."""
    if all(" " not in w.word for w in h.words):
        return h
    return Hypothesis(h.text, h.acoustic_score, h.lm_score, [piece for w in h.words for piece in split_word(w)])


#: the settings BeamSearchDecoder(...) takes beside ``lm``, ``unigrams`` and ``name``; replace() may change them
_SETTINGS = ("alpha", "beta", "unk_score_offset", "hotwords", "hotword_weight", "beam_width", "beam_prune_logp",
             "token_min_logp", "lm_score_boundary", "nbest", "blank_skip_threshold", "hotword_spotting",
             "auto_spoken_forms", "pause_seconds", "segment_seconds", "hotword_prefix_share", "hotword_full_letters",
             "fill_gap_seconds", "word_confidence", "spotting_margin")


def _normalized_settings(settings: dict) -> dict:
    """``settings`` (some of :data:`_SETTINGS`) checked and in the form the decoder keeps; :class:`CtcDecodeError`
    for a bad value. The constructor and :meth:`BeamSearchDecoder.replace` both go through it."""
    out = {}
    for key, value in settings.items():
        _check_option(key, value)
        if key == "hotwords":
            if isinstance(value, str):
                value = [value]  # one phrase, not its letters
            value = list(value or [])
            bad = [h for h in value if not isinstance(h, str)]
            if bad:
                raise CtcDecodeError(f"hotwords: each hotword must be a string (a word or phrase), got {bad[0]!r}.")
            blank = [i for i, h in enumerate(value) if not h.strip()]
            if blank:
                raise CtcDecodeError(f"hotwords: entry {blank[0] + 1} (counted from 1) is empty ({value[blank[0]]!r}); "
                                     "give words or phrases (leave the empty ones out).")
            value = [h.strip() for h in value]
        elif key == "nbest":
            value = int(value)
        elif key == "blank_skip_threshold":
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                      or not 0 < value <= 1):
                raise CtcDecodeError(f"blank_skip_threshold={value!r}: give a probability in (0, 1], "
                                     "or None to search every frame.")
        elif key == "hotword_spotting":
            value = _check_spotting(value)
        elif key == "pause_seconds":
            check_pause_seconds(value)
            value = None if value is None else float(value)
        elif key == "hotword_prefix_share":
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
                raise CtcDecodeError(f"hotword_prefix_share={value!r} (--hotword-prefix-share): give a share in [0, 1] "
                                     f"(default {DEFAULT_HOTWORD_PREFIX_SHARE:g}; 1: pyctcdecode's partial bonus).")
            value = float(value)
        elif key == "hotword_full_letters":
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise CtcDecodeError(f"hotword_full_letters={value!r} (--hotword-full-letters): give a whole number "
                                     f">= 1 (default {DEFAULT_HOTWORD_FULL_LETTERS}; 1: every hotword the whole "
                                     "bonus, as pyctcdecode).")
            value = int(value)
        elif key == "segment_seconds":
            value = _optional_number(key, value, 1, f"a length in seconds >= 1 (default {DEFAULT_SEGMENT_SECONDS:g}), "
                                                    "or None for one search")
        elif key == "fill_gap_seconds":
            value = check_fill_gap_seconds(value)
        elif key == "spotting_margin":
            value = _optional_number(key, value, 0, f"nats per character >= 0 (default {DEFAULT_SPOTTING_MARGIN:g}), "
                                                    "or None for no limit")
        elif key in _NUMBER_OPTIONS:
            value = float(value)
        elif key == "beam_width":
            value = int(value)
        elif key in ("lm_score_boundary", "auto_spoken_forms", "word_confidence"):
            value = bool(value)
        out[key] = value
    return out


def _optional_number(key: str, value, low: float, what: str) -> Optional[float]:
    """``value`` as a float, or ``None``; :class:`CtcDecodeError` naming ``key`` (and its option) and ``what`` to give
    unless it is ``None`` or a finite number >= ``low``."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                              or not math.isfinite(value) or value < low):
        raise CtcDecodeError(f"{key}={value!r} (--{key.replace('_', '-')}): give {what}.")
    return None if value is None else float(value)


def _check_spotting(value):
    """``hotword_spotting``: ``None``, a threshold >= 0 or a mapping of hotword spelling to threshold."""
    def ok(v) -> bool:
        return not isinstance(v, bool) and isinstance(v, numbers.Real) and v >= 0 and not math.isnan(v)

    if value is None:
        return None
    if isinstance(value, Mapping):
        bad = {k: v for k, v in value.items() if not ok(v)}
        if bad:
            raise CtcDecodeError(f"hotword_spotting: thresholds must be numbers >= 0 (nats per character); got {bad}")
        return {str(k): float(v) for k, v in value.items()}
    if not (ok(value) and math.isfinite(value)):
        raise CtcDecodeError(f"hotword_spotting={value!r}: give a threshold >= 0 (nats per character), one per "
                             "hotword as a mapping, or None.")
    return float(value)


def _common_ends(a: Sequence[str], b: Sequence[str]) -> tuple[int, int]:
    """How many words two transcripts share at the start and, after that, at the end: ``a[p:len(a) - q]`` and
    ``b[p:len(b) - q]`` are the stretches that differ."""
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    q = 0
    while q < min(len(a), len(b)) - p and a[len(a) - 1 - q] == b[len(b) - 1 - q]:
        q += 1
    return p, q


class _FusionJudge:
    """Compares two transcripts of the same emissions by the beam's own full score: acoustics + alpha * LM +
    beta * words + unknown-word penalty + hotword bonus (``hotword_bonus`` per hotword; default the decoder's
    ``hotword_weight``; spotting judges with 0). The beam may have pruned a transcript, not judged it worse; this
    judges it.

    Acoustics are compared two ways, and a change is kept if the score prefers it by either:

    * *per word*: only where the transcripts differ, as deficits from the best path (:func:`.spotting.alignment_cost`)
      of each differing word over its own frames (one more each side against rounding); a spotted hotword's deficit
      is its detection's. Lenient where a garbled neighbour overlaps the hotword's frames;
    * *whole transcript* (session 11): the best alignment of each transcript's differing words over every frame
      between the words both share (:meth:`whole_difference`), so a transcript pays for frames its words leave
      unexplained -- the beam's
      BUILD for a spoken "BUILD DATE" no longer gets DATE's frames for free. On demo/dev (ratio 0.5, weight 6) this
      raised recall from 72 to 84 % at the same 0.7 % false insertions; the demo set kept 10/15.

    A Word holding a spotted phrase ("MAKE FILE") is scored as its words (LM, unknown-word penalty, word bonus).
    The non-acoustic part scores a spoken form as the term it stands for (``to_display``, ``{spoken words: shown
    form}``; session 14): the transcript will show HEAPPOP, not "HEAP POP", and the domain text the LM learnt
    from writes it so; the acoustic part stays on the spoken form, which is what the audio holds.
    """

    def __init__(self, decoder: BeamSearchDecoder, emissions: Emissions, case: str,
                 label_hotwords: Sequence[str], hotword_bonus: Optional[float] = None,
                 to_display: Optional[dict] = None, margin: Optional[float] = None) -> None:
        self.decoder, self.emissions, self.case, self.margin = decoder, emissions, case, margin
        self.hotword_bonus = decoder.hotword_weight if hotword_bonus is None else hotword_bonus
        self.to_display = dict(to_display or {})
        self._spoken = {" ".join(k): v for k, v in self.to_display.items()}  # "HEAP POP" -> HEAPPOP, for reports
        self.hot_words = ({w for h in label_hotwords for w in h.split()}
                          | {w for shown in self.to_display.values() for w in shown.split()})
        self.known = decoder._unigram_set()
        self.kenlm = decoder._kenlm()
        self._rel: Optional[np.ndarray] = None  # computed at the first need

    def fusion(self, words: Sequence[Word]) -> float:
        """The non-acoustic part of the score of ``words``."""
        d = self.decoder
        if self.to_display:  # the LM judges the written term, not its spoken form
            words = apply_display(list(words), self.to_display)
        tokens = [t for w in words for t in w.word.split()]  # a spotted phrase ("HEAP PUSH") is one Word
        score = self.hotword_bonus * sum(t in self.hot_words for t in tokens)
        if self.kenlm is None:
            return score
        lm_tokens = [apply_case(t, self.case) for t in tokens]
        log10_p = self.kenlm.score(" ".join(lm_tokens), bos=d.lm_score_boundary, eos=d.lm_score_boundary)
        # pyctcdecode adds the unknown-word offset to the log10 score, before the alpha * ln(10) scaling
        # (LanguageModel.score); hotwords are exempt (_hotword_lm_class)
        unknown = sum(((bool(self.known) and t not in self.known) or t not in self.kenlm) and w not in self.hot_words
                      for t, w in zip(lm_tokens, tokens))
        return score + d.alpha * math.log(10.0) * (log10_p + d.unk_score_offset * unknown) + d.beta * len(tokens)

    def word_cost(self, w: Word) -> float:
        """Acoustic deficit (nats, >= 0) of ``w`` over its own frames; ``inf`` if it cannot be aligned there."""
        em = self.emissions
        spf = em.seconds_per_frame
        f0, f1 = max(int(round(w.start / spf)) - 1, 0), int(round(w.end / spf)) + 1
        return alignment_cost(self._relative()[f0:f1], em.labels.labels, em.blank_id, w.word)

    def _relative(self) -> np.ndarray:
        """The emissions' :func:`.spotting.relative_log_probs`, computed at the first need."""
        if self._rel is None:
            self._rel = relative_log_probs(self.emissions.log_probs)
        return self._rel

    # benchmarks' ablation switch: False judges by the per-word comparison alone, as before session 11
    whole_transcript_check = True

    def whole_difference(self, before: Sequence[Word], after: Sequence[Word]) -> float:
        """How much better (nats, > 0 favours ``after``) ``after`` explains the frames than ``before``: the best
        alignment of each one's differing words over the same frames (:func:`.spotting.transcript_cost`), from the
        end of the last word the two share before the difference to the start of the first one they share after
        it (the whole utterance where they share none), so both pay for every frame there and the cost stays bounded
        by the change, not the utterance."""
        a, b = [w.word for w in before], [w.word for w in after]
        p, q = _common_ends(a, b)
        em = self.emissions
        spf, rel = em.seconds_per_frame, self._relative()
        f0 = int(round(before[p - 1].end / spf)) if p else 0
        f1 = int(round(before[len(a) - q].start / spf)) if q else len(rel)
        labels = em.labels.labels
        space = labels.index(SPACE_LABEL) if SPACE_LABEL in labels else None
        window = rel[f0:max(f0, f1)]
        return (transcript_cost(window, labels, em.blank_id, space, " ".join(a[p:len(a) - q]))
                - transcript_cost(window, labels, em.blank_id, space, " ".join(b[p:len(b) - q])))

    def prefers(self, before: list[Word], after: list[Word], local: float) -> bool:
        """Does the score prefer ``after`` to ``before``? ``local`` is the per-word acoustic comparison (nats,
        > 0 favours ``after``); if it does not carry ``after``, the whole-transcript one
        (:meth:`whole_difference`) may; and with a ``margin``, the acoustics may be against ``after`` by at most
        that many nats per character of the words it brings in. With ``decisions`` (a list) set, each judgement is
        added to it."""
        gain = self.fusion(after) - self.fusion(before)
        acoustic, kept = local, math.isfinite(local) and local + gain >= 0.0
        if not kept and self.whole_transcript_check:
            whole = self.whole_difference(before, after)
            kept = math.isfinite(whole) and whole + gain >= 0.0
            acoustic = max(acoustic, whole)
        if kept and self.margin is not None:  # the acoustics may not be against it by more than the margin
            a, b = [w.word for w in before], [w.word for w in after]
            p, q = _common_ends(a, b)
            kept = acoustic >= -self.margin * max(1, sum(len(w.replace(" ", "")) for w in b[p:len(b) - q]))
        if self.decisions is not None:
            self.decisions.append(self._decision(before, after, acoustic, gain, kept))
        return kept

    decisions: Optional[list] = None  # explain_hotwords: where prefers() records what it judged

    def _decision(self, before: Sequence[Word], after: Sequence[Word], acoustic: float, gain: float,
                  kept: bool) -> Decision:
        """The :class:`.spotting.Decision` for one judgement: the stretch of words that differs (as spelled, spoken
        forms included), and the hotwords it brings in (as shown)."""
        a, b = list(before), list(after)
        p, q = _common_ends([w.word for w in a], [w.word for w in b])
        old, new = a[p:len(a) - q], b[p:len(b) - q]
        spoken = self._spoken

        def terms(ws: Sequence[Word]) -> set:
            return {spoken.get(w.word, w.word) for w in ws if w.word in spoken or w.word in self.hot_words}

        span = new or old
        return Decision(tuple(sorted(terms(new) - terms(old))), " ".join(w.word for w in old),
                        " ".join(w.word for w in new), span[0].start if span else 0.0,
                        span[-1].end if span else 0.0, float(acoustic), float(gain), bool(kept))

    def accept(self, before: list[Word], after: list[Word], det) -> bool:
        """``accept`` for :func:`.spotting.apply_detections`: does the score prefer ``after`` (``before`` with
        the words under one detection replaced by its hotword)?"""
        kept = {id(w) for w in after}
        local = -det.deficit * len(det.word) + sum(self.word_cost(w) for w in before if id(w) not in kept)
        return self.prefers(before, after, local)

    def brings_in(self, old: Sequence[Word], new: Sequence[Word]) -> bool:
        """Does the stretch ``new``, in place of ``old``, bring in a hotword word that ``old`` does not hold?"""
        return bool({w.word for w in new} & self.hot_words - {w.word for w in old})

    def local_difference(self, old: Sequence[Word], new: Sequence[Word]) -> float:
        """The per-word acoustic comparison of ``new`` in place of ``old`` (nats, > 0 favours ``new``): each one's
        deficit over its own frames (:meth:`word_cost`)."""
        return sum(self.word_cost(w) for w in old) - sum(self.word_cost(w) for w in new)

    def merge(self, words: list[Word], other: list[Word]) -> list[Word]:
        """``words`` with each stretch of ``other`` that differs, brings in a hotword, and raises the score;
        stretches are judged one at a time, left to right."""
        ops = difflib.SequenceMatcher(a=[w.word for w in words], b=[w.word for w in other],
                                      autojunk=False).get_opcodes()
        out, shift = list(words), 0
        for tag, i1, i2, j1, j2 in ops:
            old, new = out[i1 + shift:i2 + shift], other[j1:j2]
            if tag == "equal" or not self.brings_in(old, new):
                continue
            candidate = out[:i1 + shift] + new + out[i2 + shift:]
            if self.prefers(out, candidate, self.local_difference(old, new)):
                out = candidate
                shift += len(new) - len(old)
        return out
