"""Hotword entries with spoken forms ("sounds like").

A character CTC model writes what it hears. An acronym read out letter by letter ("STDLIB" heard as
"es tee dee lib") or a term with characters outside the alphabet ("C++") cannot be spelled from the audio, so a
hotword entry may say how it sounds::

    STDLIB: ES TEE DEE LIB, ESTEEDEELIB
    C++: SEE PLUS PLUS

The part before the first ``:`` is what the transcript shows (any characters); after it, comma-separated
spellings in the model's alphabet of what it hears. The decoder boosts and spots the spoken forms (and the
shown form itself where the alphabet can spell it) and writes the shown form in their place, with the times of
the words it replaces. An entry without ``:`` is a plain hotword.

:func:`suggest_spoken_forms` writes such forms itself for the two kinds of term that a character model misses
most (``BeamSearchDecoder(auto_spoken_forms=True)``, ``--auto-spoken-forms``): a compound of known words
(``HEAPPUSH`` -> ``HEAP PUSH``) and a run of letters with no vowel, read letter by letter (``STDLIB`` ->
``ESTEEDEE LIB``, ``ESTEEDEELIB``).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Collection, Sequence, Union

from ..constants import LETTER_NAMES
from .._text import read_user_text
from ..errors import CtcDecodeError
from ..transcript import Word


@dataclass(frozen=True)
class Hotword:
    """One hotword entry: ``display`` is what transcripts show, ``spoken`` the extra spellings searched for."""

    display: str
    spoken: tuple[str, ...] = ()


def numbered_hotword_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, entry)`` of a hotwords file's text: one word or phrase a line; blank lines and ``#`` comments
    skipped."""
    return [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1)
            if ln.strip() and not ln.lstrip().startswith("#")]


def read_hotwords(path: Union[str, os.PathLike]) -> list[str]:
    """The entries of a hotwords file (UTF-8, one word or phrase a line, ``SHOWN: SPOKEN, ...`` for a term written
    unlike it sounds; blank lines and ``#`` comments skipped), for ``BeamSearchDecoder(hotwords=...)``. The file
    ``--hotwords-file`` reads. Raises :class:`CtcDecodeError` naming the file (and the line of a malformed entry)."""
    path = Path(path)
    text = read_user_text(path, "hotwords file", "one word or phrase per line")
    listed = numbered_hotword_lines(text)
    if not listed:  # a user who gives a file means hotwords: decoding without them would pass unnoticed
        raise CtcDecodeError(f"{path}: the hotwords file lists no hotword (only blank or # lines); write one word "
                             "or phrase per line.")
    for n, entry in listed:  # a malformed entry named by its line, before any work
        if re.search(r"\s#", entry):  # "TERM # a note": the note would become part of the hotword
            raise CtcDecodeError(f"{path}, line {n}: {entry!r}: '#' starts a comment only at the start of a line; "
                                 "put the comment on a line of its own.")
        try:
            parse_hotword(entry)
        except CtcDecodeError as e:
            raise CtcDecodeError(f"{path}, line {n}: {e}") from None
    return [entry for _, entry in listed]


def hotword_lines(text: str) -> list[str]:
    """The entries of a hotwords file's text (:func:`numbered_hotword_lines` without the numbers)."""
    return [entry for _, entry in numbered_hotword_lines(text)]


def parse_hotword(entry: str) -> Hotword:
    """``"C++: SEE PLUS PLUS, C PLUS PLUS"`` -> ``Hotword("C++", ("SEE PLUS PLUS", "C PLUS PLUS"))``; an entry
    without ``:`` is a plain hotword. Spaces are normalised; raises :class:`CtcDecodeError` on an empty part."""
    display, sep, rest = entry.partition(":")
    display = " ".join(display.split())
    if not display and not sep:
        raise CtcDecodeError(f"hotword {entry!r}: empty; give a word or phrase (or 'SHOWN: SPOKEN FORM, ...').")
    if not display:
        raise CtcDecodeError(f"hotword {entry!r}: nothing before ':'; write 'SHOWN: SPOKEN FORM, ...'.")
    if not sep:
        return Hotword(display)
    spoken = tuple(" ".join(s.split()) for s in rest.split(","))
    if not all(spoken):
        raise CtcDecodeError(f"hotword {entry!r}: an empty spoken form after ':'; write 'SHOWN: SPOKEN FORM, ...' "
                             "with comma-separated spellings of how it sounds.")
    return Hotword(display, tuple(dict.fromkeys(spoken)))


def display_forms(entries: Sequence[str]) -> list[str]:
    """What transcripts show for each hotword entry (for scoring recall against references)."""
    return [parse_hotword(e).display for e in entries]


def split_word(w: Word) -> list[Word]:
    """A :class:`Word` holding several words (a spotted phrase, "HEAP PUSH") as one Word each, its time span shared
    out by their lengths in characters; any other Word as it is."""
    parts = w.word.split()
    if len(parts) < 2:
        return [w]
    total, start, out = sum(map(len, parts)), w.start, []
    for k, part in enumerate(parts):
        end = w.end if k == len(parts) - 1 else round(start + (w.end - w.start) * len(part) / total, 4)
        out.append(Word(part, start, end, w.confidence))
        start = end
    return out


def apply_display(words: list[Word], spoken_to_display: dict[tuple[str, ...], str]) -> list[Word]:
    """Replace every run of words that spells a spoken form (a tuple of words, as in ``words``) by its shown form,
    timed from the first word's start to the last one's end; longer forms first, left to right."""
    if not spoken_to_display:
        return words
    words = [piece for w in words for piece in split_word(w)]
    lengths = sorted({len(k) for k in spoken_to_display}, reverse=True)
    out, i = [], 0
    while i < len(words):
        for n in lengths:
            if i + n > len(words):  # a shorter run at the end is looked up under its own length
                continue
            shown = spoken_to_display.get(tuple(w.word for w in words[i:i + n]))
            if shown is not None:
                parts = [w.confidence for w in words[i:i + n]]
                out.append(Word(shown, words[i].start, words[i + n - 1].end,
                                None if None in parts else min(parts)))
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


_VOWELS = frozenset("AEIOUY")
_MAX_PIECES = 3
_MAX_LETTER_RUN = 4  # a longer run of consonants is more likely a word the model can spell than an acronym


def _segmentations(word: str, lexicon: Collection[str]) -> list[list[tuple[str, bool]]]:
    """Every way to cut ``word`` into 2-3 pieces, each a ``lexicon`` word of at least 3 letters with a vowel, or
    a run of 1-4 letters without a vowel (read as letter names) at the start or the end of ``word``:
    ``[(piece, is_letter_run), ...]`` per segmentation. A leading run is not followed by a vowel (the ``D`` of
    ``DUNDER`` opens a syllable), and a trailing run has at least 3 letters (``DS`` or ``NT`` close a syllable:
    ``PREPENDS``)."""
    out: list[list[tuple[str, bool]]] = []

    def walk(i: int, pieces: list[tuple[str, bool]]) -> None:
        if i == len(word):
            if len(pieces) >= 2:
                out.append(list(pieces))
            return
        if len(pieces) == _MAX_PIECES:
            return
        for j in range(i + 1, len(word) + 1):
            piece = word[i:j]
            if len(piece) >= 3 and _VOWELS & set(piece) and (piece in lexicon or piece.lower() in lexicon):
                walk(j, pieces + [(piece, False)])
            leading, trailing = i == 0 and j < len(word), i > 0 and j == len(word)
            if (len(piece) <= _MAX_LETTER_RUN and not _VOWELS & set(piece)
                    and (leading and word[j] not in _VOWELS or trailing and len(piece) >= 3)):
                walk(j, pieces + [(piece, True)])

    walk(0, [])
    return out


def suggest_spoken_forms(word: str, lexicon: Collection[str] = (), limit: int = 2) -> tuple[str, ...]:
    """How a single-word term may sound, spelled in A-Z (upper case): at most ``limit`` forms, fewest pieces first.

    * a compound of ``lexicon`` words (e.g. the language model's unigrams, upper or lower case) is split:
      ``HEAPPUSH`` -> ``HEAP PUSH``;
    * a term that is all consonants is read letter by letter: ``KWDS`` -> ``KAY DOUBLEYOU DEE ES``,
      ``KAYDOUBLEYOUDEEES``;
    * a consonant run beside a known word is read as letters and the word as itself: ``STDLIB`` ->
      ``ESTEEDEE LIB``, ``ESTEEDEELIB``; ``NBYTES`` -> ``EN BYTES``.

    Letter names are written as a model trained on English text hears them (``constants.LETTER_NAMES``). A
    phrase, a term with characters other than A-Z, or one with no such reading gives ``()``.
    """
    word = word.upper()
    if not word.isalpha() or not word.isascii():
        return ()
    forms: list[str] = []
    if not _VOWELS & set(word) and len(word) <= 2 * _MAX_LETTER_RUN:
        names = [LETTER_NAMES[ch] for ch in word]
        forms += [" ".join(names), "".join(names)]
    segs = sorted(_segmentations(word, lexicon), key=lambda seg: (len(seg), sum(run for _, run in seg)))
    for seg in segs:
        spoken = ["".join(LETTER_NAMES[ch] for ch in piece) if run else piece for piece, run in seg]
        forms.append(" ".join(spoken))
        if any(run for _, run in seg):  # a spelled run is said in one breath with what follows or precedes it
            forms.append("".join(spoken))
    forms = [f for f in dict.fromkeys(forms) if f != word]
    return tuple(forms[:limit])


def with_suggested_forms(entry: Hotword, lexicon: Collection[str] = ()) -> Hotword:
    """``entry`` with :func:`suggest_spoken_forms` as its spoken forms, unless it has its own."""
    return entry if entry.spoken else replace(entry, spoken=suggest_spoken_forms(entry.display, lexicon))


def letters(entry: str) -> int:
    """The letters of a hotword entry (a word or phrase), spaces aside: what ``hotword_full_letters`` counts."""
    return len(entry) - entry.count(" ")


def _one_edit_apart(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` one insertion, deletion or substitution apart (Levenshtein distance 1)?"""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1 or a == b:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


def near_words(word: str, lexicon: Collection[str], limit: int = 5, exclude: Collection[str] = ()) -> list[str]:
    """Words of ``lexicon`` (an LM's vocabulary) one letter away from the single word ``word`` (an insertion,
    deletion or substitution; case ignored), other than those in ``exclude`` (the other hotwords: boosted alike, the
    bonus does not choose between them), at most ``limit``, in the lexicon's order; none for a phrase or a word under
    4 letters.

    A hotword one letter from a word the LM knows (TRACING and TRACKING) is where the hotword bonus most often
    writes the hotword for the ordinary word: the demo's one false insertion (README). Giving those neighbours the
    bonus too was measured and not kept (``benchmarks/RESULTS.md``, *Hotwords on sound-alikes*, session 29), so
    ``ctcdecode-plus spoken-forms`` names them for the user to judge.
    """
    w = word.casefold()
    if " " in w.strip() or len(w) < 4:
        return []
    skip = {x.casefold() for x in exclude}
    out = [x for x in dict.fromkeys(lexicon) if _one_edit_apart(w, x.casefold()) and x.casefold() not in skip]
    return out[:limit]

