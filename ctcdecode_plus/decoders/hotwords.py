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
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import CtcDecodeError
from ..transcript import Word


@dataclass(frozen=True)
class Hotword:
    """One hotword entry: ``display`` is what transcripts show, ``spoken`` the extra spellings searched for."""

    display: str
    spoken: tuple[str, ...] = ()


def parse_hotword(entry: str) -> Hotword:
    """``"C++: SEE PLUS PLUS, C PLUS PLUS"`` -> ``Hotword("C++", ("SEE PLUS PLUS", "C PLUS PLUS"))``; an entry
    without ``:`` is a plain hotword. Spaces are normalised; raises :class:`CtcDecodeError` on an empty part."""
    display, sep, rest = entry.partition(":")
    display = " ".join(display.split())
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


def apply_display(words: list[Word], spoken_to_display: dict[tuple[str, ...], str]) -> list[Word]:
    """Replace every run of words that spells a spoken form (a tuple of words, as in ``words``) by its shown form,
    timed from the first word's start to the last one's end; longer forms first, left to right."""
    if not spoken_to_display:
        return words
    lengths = sorted({len(k) for k in spoken_to_display}, reverse=True)
    out, i = [], 0
    while i < len(words):
        for n in lengths:
            shown = spoken_to_display.get(tuple(w.word for w in words[i:i + n]))
            if shown is not None:
                out.append(Word(shown, words[i].start, words[i + n - 1].end))
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out
