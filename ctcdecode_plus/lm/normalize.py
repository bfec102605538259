"""Normalise raw text to a CTC model's alphabet: one sentence a line, the model's characters and case.

Steps, per input line (lines are never joined, so text that is already one sentence a line keeps its lines):

1. Unicode NFKC; curly/typographic apostrophes and backticks become ``'``;
2. sentence splitting after ``. ! ? …`` when the next word starts a sentence (common abbreviations excepted);
3. numbers spelled out with ``num2words`` (``1,000`` -> one thousand, ``3.5``, ``21st``, ``50%``, years such as
   ``1999`` -> nineteen ninety-nine);
4. case taken from the alphabet (upper, lower, or kept where the alphabet is mixed or uncased);
5. punctuation becomes a space, except an apostrophe between two letters (``don't``) where the alphabet has one;
6. a word with characters outside the alphabet is cleaned where that is harmless (accents stripped: ``café`` ->
   ``cafe``; apostrophes dropped where the alphabet has none) and otherwise dropped (or, with
   ``unknown="strip"``, loses the foreign characters). Every change is counted in :class:`NormalizeStats`.

Text already in the alphabet, one sentence a line, comes out unchanged.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Sequence, Union

from ..errors import VocabularyError, LanguageModelError
from .arpa import atomic_write
from .counts import iter_text_lines

if TYPE_CHECKING:
    from ..vocab import Labels

PathLike = Union[str, Path]

_SPECIAL_TOKEN = re.compile(r"^[<\[].*[>\]]$")
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u201b\u2032\u02bc\u02bb`\u00b4\uff07"), "'")
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "no", "fig", "approx", "inc",
    "ltd", "co", "mt", "ft", "sgt", "capt", "gen", "col", "lt", "rev", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "cf", "al",
}
_SENT_END = re.compile(r"([.!?\u2026]+)([\"')\]\u201d]*)\s+(?=[\"'(\[\u201c]*[^\W_a-z])", re.UNICODE)
_NUMBER = re.compile(
    r"(?:(?<!\S)(?P<neg>-))?(?P<cur>[$€£])?"  # a sign or a leading point only where a word starts: not 10--20
    r"(?P<num>\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?<!\S)\.\d+)(?P<ord>st|nd|rd|th)?(?P<pct>%)?(?![\w])",
    re.UNICODE | re.IGNORECASE,
)
#: an amount of money with a scale, read before the number ("$1.5M": ONE POINT FIVE MILLION DOLLARS; "$2 billion")
_MONEY_SCALED = re.compile(
    r"(?:(?<!\S)(?P<neg>-))?(?P<cur>[$€£])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?)"
    r"(?P<scale>\s+(?:thousand|million|billion|trillion)|bn|[kmb])(?![\w])", re.UNICODE | re.IGNORECASE)
#: a whole number that starts a word and runs into letters: a decade ("1990s", "80s") or a unit ("4K", "3D", "9am")
_NOT_THOUSANDS = r"(?!(?<=\d,)\d{3}(?!\d))"  # not the 000 of 1,000km
_NOT_ORDINAL = r"(?!(?i:st|nd|rd|th)(?![^\W_]))"  # not the digits of an ordinal (1st, the3rd, 3rd_party)
_NUMBER_LETTERS = re.compile(r"(?<![\w.])" + _NOT_THOUSANDS +
                             r"(?P<num>\d+)(?!(?i:st|nd|rd|th)(?![\w]))(?P<tail>'?[^\W\d_]+)(?![\w])",
                             re.UNICODE)  # ordinals ("1st", "22nd") are _NUMBER's
#: scientific notation, read as written: 1e5 ONE E FIVE, 2.5e-3 TWO POINT FIVE E MINUS THREE
_SCIENTIFIC = re.compile(r"(?<![\w.])(?P<m>\d+(?:\.\d+)?|\.\d+)[eE](?P<sign>[-+]?)(?P<exp>\d+)(?![\w])", re.UNICODE)
#: a dotted version or address with three or more parts (3.11.7, v3.11.7rc1, 192.168.0.1): each part a number,
#: POINT between
_DOTTED = re.compile(r"(?<![\d.])\d+(?:\.\d+){2,}(?!\d|\.\d)", re.UNICODE)
#: digits that touch a letter or an underscore after the whole-word cases (1990s, 4K, 1st) are read: a number of
#: their own (md5sum, i18n, 0x20, 2to3, 3.5mm, 1,000km); a match starts only where a number starts (linear time)
_TOUCHING_DIGITS = re.compile(
    r"(?<=[^\W\d])\d+(?:\.\d+)?(?!\.?\d)" + _NOT_ORDINAL  # after a letter
    + r"|(?<![\d.])" + _NOT_THOUSANDS + r"\d+(?:,\d{3})*(?:\.\d+)?(?=[^\W\d])" + _NOT_ORDINAL,  # before one
    re.UNICODE)
_LETTER = re.compile(r"[^\W\d]")  # a letter (or an underscore)
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_CENTS = {"$": "cents", "€": "cents", "£": "pence"}
_ONE = {"dollars": "dollar", "euros": "euro", "pounds": "pound", "cents": "cent", "pence": "penny"}  # $1, 1p
_SCALES = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}  # $5k, $1.5M, $2bn


def strip_accents(text: str) -> str:
    """``text`` without its accents (NFKD, combining marks removed, NFC): ``ZOË`` -> ``ZOE``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def plain_letters(text: str) -> str:
    """``text`` with typographic apostrophes as ``'`` and no accents, as build-lm writes its words:
    ``O’BRIEN`` -> ``O'BRIEN``, ``ZOË`` -> ``ZOE``."""
    return strip_accents(text.translate(_APOSTROPHES))


@dataclass(frozen=True)
class Alphabet:
    """Characters a word may contain (the word delimiter, space, is implied) and the case text is put in.

    Attributes:
        characters: allowed characters.
        case: ``"upper"``, ``"lower"`` or ``"keep"``.
    """

    characters: frozenset[str]
    case: str = "keep"

    @property
    def apostrophe(self) -> bool:
        return "'" in self.characters

    @classmethod
    def from_labels(cls, labels: Union["Labels", Iterable[str], object], case: Optional[str] = None) -> "Alphabet":
        """From a model's labels: a :class:`~ctcdecode_plus.vocab.Labels`, an ``AcousticModel`` (its ``.labels``),
        or a plain list of decoder labels or vocabulary tokens. 1-character tokens are characters; ``|`` and ``" "``
        are the word delimiter; ``""`` (blank) and ``<pad>``-style specials are ignored.

        Raises:
            VocabularyError: anything else, a non-string token, or a token longer than one character (BPE).
        """
        chars = set()
        for tok in _label_tokens(labels):
            if tok in ("", " ", "|") or _SPECIAL_TOKEN.match(tok):
                continue
            if len(tok) != 1:
                raise VocabularyError(
                    f"token {tok!r} is not a single character: this is not a character (Wav2Vec2-style) "
                    f"vocabulary; give the alphabet as a string instead (--alphabet 'ABC...', alphabet='ABC...' in "
                    "Python)"
                )
            chars.add(tok)
        if not chars:
            raise VocabularyError("the alphabet has no characters; give the model's labels, or the characters: "
                                  "--alphabet 'ABC...' (alphabet='ABC...' in Python)")
        return cls(frozenset(_in_case(chars, case)), case or detect_case(chars))

    @classmethod
    def from_string(cls, chars: Union[str, Sequence[str]], case: Optional[str] = None) -> "Alphabet":
        """``"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"`` or a list of characters."""
        return cls.from_labels([c for c in chars if c != " "], case)

    @classmethod
    def from_pretrained(cls, name_or_path: PathLike, case: Optional[str] = None) -> "Alphabet":
        """From what ``--model`` takes: a processor/model folder, ``"demo"``, or a hub id (its ``vocab.json`` from
        the hub, or from the local hub cache when offline)."""
        from ..acoustic import resolve_model_path

        name = resolve_model_path(name_or_path)
        path = Path(name)
        if path.exists() or name.startswith(("/", ".", "~")) or name.count("/") != 1:
            return cls.from_model_dir(path, case)
        try:  # "org/name": a hub id
            from huggingface_hub import hf_hub_download

            vocab = hf_hub_download(name, "vocab.json")
        except Exception as exc:  # noqa: BLE001 - offline without a cached copy, no such repo, no vocab.json
            raise VocabularyError(
                f"{name}: no such folder, and the hub id's vocab.json could not be fetched ({type(exc).__name__}; "
                "offline, only the local hub cache is read). Pass a processor folder, or the characters: "
                "--alphabet 'ABC...' (alphabet='ABC...' in Python)."
            ) from None
        return cls.from_model_dir(vocab, case)

    @classmethod
    def from_model_dir(cls, folder: PathLike, case: Optional[str] = None) -> "Alphabet":
        """From a Hugging Face Wav2Vec2 processor/model folder (its ``vocab.json``)."""
        folder = Path(folder)
        path = folder / "vocab.json" if folder.is_dir() else folder
        if not path.exists():
            raise VocabularyError(
                f"{path}: not found; --alphabet-from MODEL (Alphabet.from_pretrained in Python) needs a Wav2Vec2 "
                "processor folder with vocab.json; or give the characters: --alphabet 'ABC...' (alphabet='ABC...')"
            )
        try:
            vocab = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VocabularyError(f"{path}: cannot read the vocabulary ({exc}); fix or re-download vocab.json") from None
        if isinstance(vocab, dict) and vocab and all(isinstance(v, dict) for v in vocab.values()):
            # multi-lingual tokenizers: {"en": {...}, ...}; take the first language
            vocab = next(iter(vocab.values()))
        if not isinstance(vocab, dict) or not vocab:
            raise VocabularyError(f"{path}: expected a JSON object mapping tokens to ids; fix vocab.json")
        return cls.from_labels(vocab.keys(), case)


def _label_tokens(labels) -> list[str]:
    """The tokens of ``labels`` (:class:`~ctcdecode_plus.vocab.Labels`, an object whose ``.labels`` is one, such
    as an ``AcousticModel``, or an iterable of strings) without the blank and suppressed 1-character specials."""
    from ..vocab import labels_of

    known = labels_of(labels)  # Labels, or an AcousticModel's
    if known is not None:
        return [lab for i, lab in enumerate(known.labels)
                if i != known.blank_id and not (i in known.suppressed and len(lab) == 1)]
    tokens = list(labels) if isinstance(labels, str) or (
        not isinstance(labels, bytes) and hasattr(labels, "__iter__")) else None
    if tokens is None or not all(isinstance(t, str) for t in tokens):
        what = f"{type(labels).__name__} {labels!r:.40}" if tokens is None else \
            f"token {next(t for t in tokens if not isinstance(t, str))!r:.40}"
        raise VocabularyError(f"labels: {what} is not labels; give the model's labels (AcousticModel.labels), the "
                              "AcousticModel, or a list of one string per vocabulary id (Alphabet.from_string for "
                              "characters)")
    return tokens


def as_alphabet(
    alphabet: Union[Alphabet, str, "Labels", object, None], *, required: bool = False
) -> Optional[Alphabet]:
    """``alphabet=`` of the LM functions as an :class:`Alphabet`: an Alphabet as it is; a string of characters as
    ``--alphabet`` reads it (``"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"``, case from its letters); a ``Labels``, an
    ``AcousticModel`` or a label list by :meth:`Alphabet.from_labels`; ``None`` as ``None`` (an error if
    ``required``).

    Raises:
        LanguageModelError: anything else, a blank string, or a model name given as the characters.
    """
    if isinstance(alphabet, Alphabet):
        return alphabet
    if alphabet is None and not required:
        return None
    how = ("give the characters (alphabet=\"ABCDEFGHIJKLMNOPQRSTUVWXYZ'\", --alphabet on the command line), the "
           "AcousticModel or its labels, or an Alphabet")
    if alphabet is None:
        raise LanguageModelError(f"alphabet=None: normalising needs an alphabet; {how}")
    if isinstance(alphabet, str):
        if not alphabet.strip():  # as the CLI's --alphabet '': no characters, not "no alphabet"
            raise LanguageModelError(f"alphabet={alphabet!r}: {how}")
        from ..constants import DEMO_MODEL_NAME

        # a model (a name, a folder, a hub id "org/name"), not characters: "/" is no letter of an alphabet
        if alphabet == DEMO_MODEL_NAME or "/" in alphabet or Path(alphabet).is_dir():
            raise LanguageModelError(
                f"alphabet={alphabet!r} names a model, not characters; pass Alphabet.from_pretrained({alphabet!r}) "
                "(--alphabet-from on the command line) or the AcousticModel (characters that include '/': "
                "Alphabet.from_string)")
        return Alphabet.from_string(alphabet)
    from ..vocab import labels_of

    if isinstance(alphabet, (list, tuple)) or labels_of(alphabet) is not None:
        try:
            return Alphabet.from_labels(alphabet)
        except VocabularyError as exc:
            raise LanguageModelError(f"alphabet=: {exc}") from None
    raise LanguageModelError(f"alphabet={alphabet!r:.40} ({type(alphabet).__name__}): {how}")


def _in_case(chars: set, case: Optional[str]) -> set:
    """The characters text in ``case`` may use: an upper-case alphabet asked for lower-case text allows the lower-case
    letters (not only the upper-case ones, which dropped every word), ``"keep"`` both; ``None``: as they are."""
    def one(c: str, to: str) -> str:
        changed = c.upper() if to == "upper" else c.lower()
        return changed if len(changed) == 1 else c  # "ß".upper() is "SS": left as it is

    if case in ("upper", "lower"):
        out = {one(c, case) for c in chars}
        return out | {"ς"} if "σ" in out else out  # Greek's word-final sigma: Σ has two lower-case forms
    if case == "keep":
        return chars | {one(c, "upper") for c in chars} | {one(c, "lower") for c in chars}
    return chars


def detect_case(chars: Iterable[str]) -> str:
    """``"upper"`` if every cased character is upper case, ``"lower"`` likewise, else ``"keep"``."""
    cased = [c for c in chars if c.lower() != c.upper()]
    if cased and all(c == c.upper() for c in cased):
        return "upper"
    if cased and all(c == c.lower() for c in cased):
        return "lower"
    return "keep"


@dataclass
class NormalizeStats:
    """What normalisation changed.

    Attributes:
        lines_in: input lines read.
        sentences_out: sentences (lines) written.
        words_out: words written.
        numbers_spelled: numbers replaced by words.
        words_cleaned: words changed to fit the alphabet (accents or apostrophes removed).
        words_dropped: words dropped because they had characters outside the alphabet.
        empty_dropped: sentences left empty after normalisation (not written).
        unknown_chars: characters outside the alphabet, with how often they were seen.
    """

    lines_in: int = 0
    sentences_out: int = 0
    words_out: int = 0
    numbers_spelled: int = 0
    words_cleaned: int = 0
    words_dropped: int = 0
    empty_dropped: int = 0
    unknown_chars: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        top = ", ".join(f"{c!r}x{n}" for c, n in self.unknown_chars.most_common(8))
        return (
            f"{self.lines_in} lines -> {self.sentences_out} sentences, {self.words_out} words; "
            f"{self.numbers_spelled} numbers spelled out, {self.words_cleaned} words cleaned, "
            f"{self.words_dropped} words dropped" + (f" (characters outside the alphabet: {top})" if top else "")
        )


def _reads_as_year(num: str, value: int, decade: bool = False) -> bool:
    """Whether a 4-digit number is read as a year (1990 NINETEEN NINETY, not ONE THOUSAND...): 1100-2099 but not
    round hundreds or 2000-2099; a decade (``decade``: 1900s, 2010s) ending in 0 up to 2999, round or not."""
    if len(num) != 4:
        return False
    if decade and value % 10 == 0:
        return 1100 <= value <= 2999
    return 1100 <= value <= 2099 and value % 100 != 0 and value // 100 != 20


def _spell_number(m: re.Match, lang: str) -> str:
    from num2words import num2words

    groups = m.groupdict()  # _NUMBER's, or _MONEY_SCALED's (a scale, no ordinal or percent)
    num = m.group("num").replace(",", "")
    ordinal = groups.get("ord")
    pct = groups.get("pct")
    cur = m.group("cur")
    scale = (groups.get("scale") or "").strip().lower()
    scale = _SCALES.get(scale, scale)

    def unit(name: str, amount: str) -> str:  # one dollar, two dollars
        return _ONE[name] if amount.lstrip("0") == "1" and not scale else name

    try:
        if "." in num:  # the digits after the point one by one, as read ("three point one four"): no float round-off
            whole, _, frac = num.partition(".")
            if cur and len(frac) == 2 and not scale:  # $1,000.50: one thousand dollars and fifty cents
                words = f"{num2words(int(whole or 0), lang=lang)} {unit(_CURRENCY[cur], whole)}"
                if int(frac):
                    words += f" and {num2words(int(frac), lang=lang)} {unit(_CENTS[cur], frac)}"
                cur = None  # said already
            else:
                words = (f"{num2words(int(whole), lang=lang)} " if whole else "") + "point " + \
                    " ".join(num2words(int(d), lang=lang) for d in frac)
        elif _zero_led(num) and not cur and not ordinal:  # 007, 0644: read digit by digit
            words = " ".join(num2words(int(d), lang=lang) for d in num)
        else:
            value = int(num)
            if ordinal:
                words = num2words(value, lang=lang, to="ordinal")
            elif not pct and not cur and "," not in m.group("num") and _reads_as_year(num, value):
                words = num2words(value, lang=lang, to="year")
            else:
                words = num2words(value, lang=lang)
    except (NotImplementedError, ValueError, OverflowError, TypeError):
        words = " ".join(num2words(int(d), lang=lang) if d.isdigit() else d for d in num)
    if scale:
        words += " " + scale
    if pct:
        words += " percent"
    if cur:
        words += " " + unit(_CURRENCY[cur], num)
    if m.group("neg"):
        words = "minus " + words
    return f" {words} "


def _spell_number_letters(m: re.Match, lang: str) -> str:
    """``1990s`` -> nineteen nineties, ``80s`` -> eighties, ``4K`` -> four K, ``9am`` -> nine am."""
    from num2words import num2words

    num, tail = m.group("num"), m.group("tail")
    plural = tail.lower() in ("s", "'s")
    try:
        if _zero_led(num):  # 007s
            raise ValueError("leading zero: digit by digit")
        value = int(num)  # ValueError past Python's 4300 digits
        year = _reads_as_year(num, value, decade=plural)  # the 1900s NINETEEN HUNDREDS, the 2010s TWENTY TENS
        words = num2words(value, lang=lang, to="year" if year else "cardinal")
    except (NotImplementedError, ValueError, OverflowError, TypeError):
        words = " ".join(num2words(int(d), lang=lang) for d in num)
    if plural:  # a decade or a plural: the last word takes the plural
        last = words.rsplit(" ", 1)[-1]
        plurals = last[:-1] + "ies" if last.endswith("y") else last + "s"
        return f"{words[: len(words) - len(last)]}{plurals}"
    return f"{words} {tail.lstrip(chr(39))}"  # no outer spaces: a - after it is no minus sign


def _zero_led(num: str) -> bool:
    """Three or more digits with a leading zero (007, 0644): read digit by digit; 07 and 00 are read as numbers
    (09:30 NINE THIRTY)."""
    return len(num) > 2 and unicodedata.digit(num[0], 1) == 0


def _scientific_parts(m: re.Match) -> str:
    """``2.5e-3`` -> ``2.5 e minus 3`` (each number then spelt as any other; the exponent without leading zeros)."""
    sign = " minus" if m.group("sign") == "-" else ""
    return f"{m.group('m')} e{sign} {m.group('exp').lstrip('0') or '0'}"


def _touching(m: re.Match) -> str:
    """Digits that touch a letter, as read: after a letter, a leading zero is read digit by digit (0x04 ZERO X ZERO
    FOUR, S01E02, v01), where a number alone keeps 07 a number (09:30 NINE THIRTY)."""
    num = m.group(0)
    if m.start() and _LETTER.match(m.string[m.start() - 1]) and len(num) > 1 and num.isdigit() \
            and unicodedata.digit(num[0], 1) == 0:
        return " ".join(num)
    return num


def _padded(m: re.Match, body: str) -> str:
    """``body`` for ``m``, with a space on each side where ``m`` touches a letter; none elsewhere (a space would make
    the - of x86-64 a minus sign)."""
    s, i, j = m.string, m.start(), m.end()
    return (" " if i and _LETTER.match(s[i - 1]) else "") + body + (" " if j < len(s) and _LETTER.match(s[j]) else "")


def split_sentences(text: str) -> list[str]:
    """Split a line after ``. ! ? …`` where the next word starts a new sentence (abbreviations excepted)."""
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        before = text[start:m.start()].rstrip()
        last_word = before.rsplit(None, 1)[-1].lower() if before.split() else ""
        last_word = last_word.strip("\"'([")
        if m.group(1) == "." and (last_word in _ABBREV or (len(last_word) == 1 and last_word.isalpha())):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


class Normalizer:
    """Normalises lines of raw text to an :class:`Alphabet`; keeps running :class:`NormalizeStats`."""

    def __init__(self, alphabet: Alphabet, *, lang: str = "en", unknown: str = "drop", split: bool = True) -> None:
        if unknown not in ("drop", "strip"):
            raise LanguageModelError(f"unknown={unknown!r}: choose 'drop' (drop the word) or 'strip' (drop the characters)")
        self.alphabet = alphabet
        self.lang = lang
        self.unknown = unknown
        self.split = split
        self.stats = NormalizeStats()
        # a line already in the alphabet passes as it is, unless it has what the full path treats specially
        # (apostrophes at word edges, numbers to spell out): then both paths give the same words
        plain = "".join(sorted(c for c in alphabet.characters if c != "'" and not c.isdigit()))
        self._fast = re.compile("[" + re.escape(plain) + "]+(?: [" + re.escape(plain) + "]+)*") if plain else None

    def _case(self, s: str) -> str:
        if self.alphabet.case == "upper":
            return s.upper()
        if self.alphabet.case == "lower":
            return s.lower()
        return s

    def _fit_word(self, word: str) -> Optional[str]:
        chars = self.alphabet.characters
        if all(c in chars for c in word):
            return word
        cleaned = strip_accents(word)
        if not self.alphabet.apostrophe:
            cleaned = cleaned.replace("'", "")
        if cleaned and all(c in chars for c in cleaned):
            self.stats.words_cleaned += 1
            return cleaned
        for c in cleaned:
            if c not in chars:
                self.stats.unknown_chars[c] += 1
        if self.unknown == "strip":
            kept = "".join(c for c in cleaned if c in chars)
            if kept:
                self.stats.words_cleaned += 1
                return kept
        self.stats.words_dropped += 1
        return None

    def sentence(self, text: str) -> str:
        """Normalise one sentence (no splitting) to a line of words in the alphabet ('' if nothing is left)."""
        if self._fast is not None and self._fast.fullmatch(text):  # already normalised
            return text
        s = text
        if any(c.isdigit() for c in s):  # numbers, spelt out: first the forms that would be split apart
            if "_" in s and "_" not in self.alphabet.characters:
                s = s.replace("_", " ")  # as below, but first: 3rd_party THIRD PARTY
            s = _SCIENTIFIC.sub(_scientific_parts, s)
            s = _DOTTED.sub(lambda m: _padded(m, m.group(0).replace(".", " point ")), s)
            s, n0 = _MONEY_SCALED.subn(lambda m: _spell_number(m, self.lang), s)
            s, n1 = _NUMBER_LETTERS.subn(lambda m: _spell_number_letters(m, self.lang), s)
            s = _TOUCHING_DIGITS.sub(lambda m: _padded(m, _touching(m)), s)
            s, n = _NUMBER.subn(lambda m: _spell_number(m, self.lang), s)
            self.stats.numbers_spelled += n0 + n1 + n
        s = self._case(s)
        keep_apos = self.alphabet.apostrophe
        out_chars = []
        L = len(s)
        for i, c in enumerate(s):
            cat = unicodedata.category(c)
            if c == "'":
                inner = 0 < i < L - 1 and s[i - 1].isalpha() and s[i + 1].isalpha()
                out_chars.append("'" if inner and keep_apos else ("" if inner else " "))
            elif cat == "Cf" and c not in self.alphabet.characters:  # invisible (a soft hyphen, a zero-width
                continue  # space): it joins the word around it, not splits it; one the alphabet has (ZWNJ) stays
            elif cat[0] in "LM" or (cat[0] == "N" and c not in "_") or c in self.alphabet.characters:
                out_chars.append(c)
            else:
                out_chars.append(" ")
        words = []
        for w in "".join(out_chars).split():
            fit = self._fit_word(w)
            if fit and any(c.isalnum() for c in fit):  # "-" or "--" left by an alphabet with a hyphen is no word
                words.append(fit)
        return " ".join(words)

    def line(self, line: str) -> list[str]:
        """Normalise one input line into zero or more sentences."""
        self.stats.lines_in += 1
        text = unicodedata.normalize("NFKC", line).translate(_APOSTROPHES).strip()
        parts = split_sentences(text) if self.split else [text]
        if not parts:
            self.stats.empty_dropped += 1
        out = []
        for part in parts:
            s = self.sentence(part)
            if s:
                out.append(s)
                self.stats.sentences_out += 1
                self.stats.words_out += s.count(" ") + 1
            else:
                self.stats.empty_dropped += 1
        return out

    def lines(self, lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            yield from self.line(line)


def normalize_text(
    text: Union[str, Iterable[str]], alphabet: Union[Alphabet, str, "Labels", object], *, lang: str = "en",
    unknown: str = "drop",
) -> tuple[list[str], NormalizeStats]:
    """Normalise a string (or lines) to sentences in ``alphabet`` (an :class:`Alphabet`, its characters as a string,
    or an ``AcousticModel`` / its labels: see :func:`as_alphabet`); returns (sentences, stats)."""
    lines = text.splitlines() if isinstance(text, str) else text
    norm = Normalizer(as_alphabet(alphabet, required=True), lang=lang, unknown=unknown)
    return list(norm.lines(lines)), norm.stats


def iter_normalized_files(paths: Iterable[PathLike], norm: Normalizer) -> Iterator[tuple[str, str]]:
    """Yield ``(sentence, "file:line")`` for every sentence of UTF-8 files, normalised on the fly."""
    for p in paths:
        for lineno, line in iter_text_lines(p):
            for s in norm.line(line):
                yield s, f"{p}:{lineno}"


def normalize_files(
    paths: Sequence[PathLike], out_path: PathLike, alphabet: Union[Alphabet, str, "Labels", object], *,
    lang: str = "en", unknown: str = "drop",
) -> NormalizeStats:
    """Normalise text files into one file, one sentence a line (written atomically); ``alphabet`` as in
    :func:`normalize_text`."""
    norm = Normalizer(as_alphabet(alphabet, required=True), lang=lang, unknown=unknown)
    with atomic_write(out_path) as fh:
        for s, _ in iter_normalized_files(paths, norm):
            fh.write(s + "\n")
    return norm.stats
