"""Scoring: WER/CER (jiwer) and hotword recall / false insertions, on text normalised for scoring."""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .errors import CtcDecodeError

_EDGE_APOS = re.compile(r"(?<![\w\u0300-\u036f])'|'(?!\w)")


def _word_char(ch: str, keep: str) -> bool:
    """Letters, digits, combining marks (Devanagari vowel signs, Arabic harakat: category M), apostrophes, spaces,
    and the characters of ``keep``."""
    return ch.isalnum() or ch in "' " or ch in keep or unicodedata.category(ch)[0] == "M"


@functools.lru_cache(maxsize=64)
def _non_word(keep: str) -> "re.Pattern[str]":
    """Runs of characters that are not word characters, apostrophes, spaces or ``keep`` (ASCII text has no marks)."""
    return re.compile("[^\\w' " + re.escape(keep) + "]+")


def _unified(text: str) -> str:
    """NFKC, typographic apostrophes as ``'``."""
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")


def _scoring_chars(text: str, keep: str) -> str:
    """:func:`normalize_for_scoring` of :func:`_unified` text without collapsing spaces: one character out per
    character in, so that the character offsets of one text agree whatever ``keep`` is."""
    return _EDGE_APOS.sub(" ", "".join(ch if _word_char(ch, keep) else " " for ch in text).upper())


def normalize_for_scoring(text: str, keep: str = "") -> str:
    """Upper case, punctuation removed (word-internal apostrophes and combining marks kept), single spaces.
    ``keep``: more characters to keep (a hotword's own symbols, the ``++`` of ``C++``)."""
    text = _unified(text)
    if text.isascii():  # the common case, at regex speed: no combining marks to keep
        text = _EDGE_APOS.sub(" ", _non_word(keep).sub(" ", text if "_" in keep else text.replace("_", " ")).upper())
    else:
        text = _scoring_chars(text, keep)
    return " ".join(text.split())


@dataclass
class ErrorCounts:
    """Edit-distance counts of one or more utterances: ``errors / reference_length`` is the error rate. Word counts
    (:func:`word_errors`) split ``errors`` into ``substitutions + deletions + insertions`` (one optimal alignment,
    as jiwer's ``process_words``); character counts leave the split at 0."""

    errors: int = 0
    reference_length: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0

    @property
    def rate(self) -> float:
        """``errors / reference_length``; with an empty reference, errors per one word, as jiwer does."""
        return self.errors / max(self.reference_length, 1)

    def __add__(self, other: "ErrorCounts") -> "ErrorCounts":
        return ErrorCounts(self.errors + other.errors, self.reference_length + other.reference_length,
                           self.substitutions + other.substitutions, self.deletions + other.deletions,
                           self.insertions + other.insertions)


def _edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    import jiwer  # noqa: F401  (rapidfuzz ships with jiwer and does the C-speed Levenshtein)
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(ref, hyp))


def _edit_ops(ref: Sequence[str], hyp: Sequence[str]) -> tuple[int, int, int]:
    """``(substitutions, deletions, insertions)`` of one optimal alignment of ``hyp`` to ``ref``."""
    from rapidfuzz.distance import Levenshtein

    tags = [op.tag for op in Levenshtein.editops(ref, hyp)]
    return tags.count("replace"), tags.count("delete"), tags.count("insert")


def _scored(text: str, normalize: bool, words: bool = True) -> str:
    """``text`` as scored: normalised, or (``normalize=False``) stripped, and for words split at any white space
    (jiwer's defaults split at spaces only: a tab or line break inside a text is a word break here, not there;
    characters keep every inner space)."""
    if normalize:
        return normalize_for_scoring(text)
    return " ".join(text.split()) if words else text.strip()


def word_errors(reference: str, hypothesis: str, normalize: bool = True) -> ErrorCounts:
    """Word-level edit distance (substitutions + deletions + insertions, each counted too) and reference word count,
    of the texts :func:`normalize_for_scoring` gives (``normalize=False``: as they are, split at white space)."""
    ref, hyp = _scored(reference, normalize).split(), _scored(hypothesis, normalize).split()
    s, d, i = _edit_ops(ref, hyp)
    return ErrorCounts(s + d + i, len(ref), s, d, i)


def char_errors(reference: str, hypothesis: str, normalize: bool = True) -> ErrorCounts:
    """Character-level edit distance (spaces count as characters) and reference length, normalised as in
    :func:`word_errors`."""
    ref, hyp = _scored(reference, normalize, words=False), _scored(hypothesis, normalize, words=False)
    return ErrorCounts(_edit_distance(list(ref), list(hyp)), len(ref))


def _pairs(reference, hypothesis) -> tuple[list, list]:
    """``([reference], [hypothesis])`` for two strings, else the two lists, which must be as long as each other."""
    if isinstance(reference, str) and isinstance(hypothesis, str):
        return [reference], [hypothesis]
    pairs = []
    for what, x in (("reference", reference), ("hypothesis", hypothesis)):
        try:
            texts = [x] if isinstance(x, str) else list(x)
        except TypeError:
            texts = None
        if texts is None or not all(isinstance(t, str) for t in texts):
            raise CtcDecodeError(f"{what} {x!r:.40}: give a string, or strings (a list, one per utterance).")
        pairs.append(texts)
    refs, hyps = pairs
    if not refs and not hyps:
        raise CtcDecodeError("no utterances to score (two empty lists): give a reference and a hypothesis for each.")
    if len(refs) != len(hyps):
        raise CtcDecodeError(f"{len(refs)} references but {len(hyps)} hypotheses: give one hypothesis per reference.")
    return refs, hyps


def wer(reference, hypothesis, normalize: bool = True) -> float:
    """Word error rate of one pair of strings, or corpus WER of two equal-length lists (jiwer's convention: total
    errors over total reference words; an empty reference counts as one word).

    ``normalize``: score the texts :func:`normalize_for_scoring` gives, as every table here does: case, punctuation
    and hyphens do not count (``wer("Hello, World!", "HELLO WORLD")`` is 0.0); ``False``: score them as they are,
    split at white space, as ``jiwer.wer`` does (1.0 there; jiwer splits at spaces only, this at tabs and line
    breaks too)."""
    refs, hyps = _pairs(reference, hypothesis)
    return sum((word_errors(r, h, normalize) for r, h in zip(refs, hyps)), ErrorCounts()).rate


def cer(reference, hypothesis, normalize: bool = True) -> float:
    """Character error rate of one pair of strings, or of two equal-length lists (as :func:`wer`, ``normalize``
    too; spaces count as characters)."""
    refs, hyps = _pairs(reference, hypothesis)
    return sum((char_errors(r, h, normalize) for r, h in zip(refs, hyps)), ErrorCounts()).rate


#: symbols that make a term what it is (C++, C#, AT&T, F*) and are kept when counting a hotword that has them; other
#: punctuation (the . of Node.js, the - of T-Mobile, a sentence's full stop) is dropped as in all scoring
_TERM_SYMBOLS = frozenset("+#&*@$%=/<>^~|")


def _symbols(phrase: str) -> str:
    """The term symbols of ``phrase`` (``++`` in ``C++``, ``#`` in ``C#``): kept when counting it, so ``C++`` is
    not counted as every ``C``."""
    return "".join(sorted({ch for ch in phrase if ch in _TERM_SYMBOLS}))


def count_phrase(text: str, phrase: str) -> int:
    """Whole-word occurrences of ``phrase`` in ``text`` (both normalised for scoring, the phrase's symbols kept)."""
    keep = _symbols(phrase)
    phrase = normalize_for_scoring(phrase, keep)
    if not phrase:
        return 0
    return len(re.findall(r"(?<!\S)" + re.escape(phrase) + r"(?!\S)", normalize_for_scoring(text, keep)))


@dataclass
class HotwordCounts:
    """Hotword statistics over utterances.

    Attributes:
        expected: hotword occurrences in the references.
        found: of those, how many the hypotheses contain (per utterance, ``min(ref, hyp)`` counts).
        inserted: hotword occurrences in hypotheses beyond the reference's count (false insertions).
        clean_utterances: utterances whose reference contains no hotword.
        clean_with_insertion: of those, how many hypotheses contain a hotword.
        per_hotword: ``{hotword: {"expected": n, "found": n, "inserted": n}}``, the same counts per term.
    """

    expected: int = 0
    found: int = 0
    inserted: int = 0
    clean_utterances: int = 0
    clean_with_insertion: int = 0
    per_hotword: dict = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else float("nan")

    @property
    def false_insertion_rate(self) -> float:
        """Share of hotword-free utterances whose hypothesis contains a hotword."""
        return self.clean_with_insertion / self.clean_utterances if self.clean_utterances else float("nan")


def _scored_keys(hotwords: Iterable[str]) -> dict:
    """``{hotword: (its text as scored, the symbols it keeps)}``."""
    return {h: (normalize_for_scoring(h, _symbols(h)), _symbols(h)) for h in hotwords}


def _count_hotwords(text: str, keys: dict) -> dict:
    text = _unified(text)
    chars: dict = {}  # the text as scored, per set of kept symbols
    spans: dict = {}  # scored hotword -> character spans of its whole-word occurrences
    for key, keep in keys.values():
        if key and key not in spans:
            if keep not in chars:
                chars[keep] = _scoring_chars(text, keep)
            words = r"\s+".join(map(re.escape, key.split()))
            spans[key] = [m.span() for m in re.finditer(r"(?<!\S)" + words + r"(?!\S)", chars[keep])]
    taken: list = []
    counts: dict = {}
    for key in sorted(spans, key=lambda k: (-len(k.split()), -len(k))):  # longer hotwords claim their spans first
        free = [(a, b) for a, b in spans[key] if not any(x <= a and b <= y for x, y in taken)]
        counts[key] = len(free)
        taken += free
    return {h: counts.get(key, 0) for h, (key, _) in keys.items()}


def count_hotwords(text: str, hotwords: Sequence[str]) -> dict:
    """``{hotword: occurrences in text}``, whole words, normalised for scoring (a hotword's own symbols kept); an
    occurrence inside one of a longer listed hotword counts only as that one (the KUBE of KUBE PROXY is no KUBE).
    Hotwords equal once scored (HEAPPUSH, heappush) get the same count."""
    return _count_hotwords(text, _scored_keys(hotwords))


def hotword_counts(references: Sequence[str], hypotheses: Sequence[str], hotwords: Iterable[str]) -> HotwordCounts:
    """Recall and false insertions of ``hotwords`` over paired references and hypotheses.

    A hotword inside a longer listed one (KUBE and KUBE PROXY) is counted where it stands alone: the reference
    "KUBE PROXY" expects one KUBE PROXY, not also a KUBE.
    """
    keys: dict = {}  # one entry per hotword as scored: HEAPPUSH and heappush are one term
    seen: set = set()
    for h, (key, keep) in _scored_keys(hotwords).items():
        if key and key not in seen:
            seen.add(key)
            keys[h] = (key, keep)
    hotwords = list(keys)
    out = HotwordCounts(per_hotword={h: {"expected": 0, "found": 0, "inserted": 0} for h in hotwords})
    for ref, hyp in zip(references, hypotheses):
        ref_total = 0
        hyp_extra = 0
        ref_counts, hyp_counts = _count_hotwords(ref, keys), _count_hotwords(hyp, keys)
        for h in hotwords:
            r, c = ref_counts[h], hyp_counts[h]
            ref_total += r
            out.expected += r
            out.found += min(r, c)
            hyp_extra += max(0, c - r)
            per = out.per_hotword[h]
            per["expected"] += r
            per["found"] += min(r, c)
            per["inserted"] += max(0, c - r)
        out.inserted += hyp_extra
        if ref_total == 0:
            out.clean_utterances += 1
            out.clean_with_insertion += int(hyp_extra > 0)
    return out
