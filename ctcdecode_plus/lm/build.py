"""One call from text files to an ARPA model (+ unigram list, + KenLM binary where ``build_binary`` exists)."""
from __future__ import annotations

import os
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence, Union

from ..errors import LanguageModelError
from .arpa import (
    binary_path_for,
    check_writable,
    remove_if_empty,
    try_build_binary,
    unigram_list_path,
    write_arpa,
    write_unigrams,
)
from .counts import MAX_ORDER, CorpusReader, counts_from_reader, iter_corpus_lines, text_paths
from .kneser_ney import Discount, estimate, parse_prune
from .normalize import Alphabet, NormalizeStats, Normalizer, as_alphabet

if TYPE_CHECKING:
    from ..vocab import Labels

PathLike = Union[str, Path]


@dataclass
class BuildResult:
    """What :func:`build_lm` wrote and measured.

    Attributes:
        arpa_path: the ARPA file.
        unigrams_path: sorted word list beside it (pyctcdecode's ``unigrams.txt``).
        binary_path: KenLM binary, or ``None`` where ``build_binary`` is not on PATH (ARPA works, loads slower).
        order: model order.
        ngram_counts: n-grams per order written.
        discounts: per-order discounts (``fallback`` marks lmplz's fallback values).
        tokens: word tokens counted; sentences: lines counted.
        normalize_stats: what normalisation changed (``None`` when the text was used as is).
        warnings: messages for the user (discount fallback, no binary).
        seconds: wall time.
    """

    arpa_path: Path
    unigrams_path: Path
    binary_path: Optional[Path]
    order: int
    ngram_counts: list[int]
    discounts: list[Discount]
    tokens: int
    sentences: int
    normalize_stats: Optional[NormalizeStats] = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _raw_text_notes(words: list) -> list[str]:
    """What a model counted from text used as it is (no alphabet) holds that a decoder cannot use: words in both
    cases ("The" and "the", which a single-case acoustic model refuses), words with punctuation stuck to them."""
    from ..vocab import text_case

    notes = []
    if text_case("".join(words)) == "mixed":
        notes.append("the text was used as it is (no --alphabet-from/--alphabet) and its words are in mixed case "
                     f"(e.g. {', '.join(repr(w) for w in [w for w in words if w != w.lower()][:3])}): a decoder for a "
                     "single-case acoustic model refuses such an LM; normalise with --alphabet-from MODEL "
                     "(alphabet=model in Python)")
    marked = [w for w in words if any(c != "'" and unicodedata.category(c)[0] in "PS" for c in w)]  # not marks
    if len(marked) > 0.05 * len(words):
        notes.append(f"the text was used as it is and {len(marked)} of its {len(words)} words carry punctuation or "
                     f"symbols (e.g. {', '.join(repr(w) for w in marked[:3])}), which speech never spells: normalise "
                     "with --alphabet-from MODEL (alphabet=model in Python)")
    return notes


def overwritten_by_build(out_path: PathLike, given: PathLike) -> Optional[Path]:
    """Which of the files a build into ``out_path`` writes (the ARPA, its unigram list, its KenLM binary) is the
    file ``given`` (an input), or ``None``."""
    for written in (Path(out_path), unigram_list_path(out_path), binary_path_for(out_path)):
        try:
            if os.path.abspath(given) == os.path.abspath(written) or (
                    written.exists() and Path(given).exists() and os.path.samefile(given, written)):
                return written
        except (OSError, ValueError):  # a name the system refuses: not the same file
            continue
    return None


def build_lm(
    texts: Union[PathLike, Sequence[PathLike], None],
    out_path: PathLike,
    order: int,
    *,
    lines: Optional[Iterable[str]] = None,
    prune: Optional[Sequence[int]] = None,
    discount_fallback: bool = False,
    alphabet: Union[Alphabet, str, "Labels", object, None] = None,
    skip_symbols: bool = False,
    binary: bool = True,
) -> BuildResult:
    """Count ``texts`` (UTF-8 files, one sentence a line) and then ``lines`` (strings, each a line of text), estimate
    lmplz-exact modified Kneser-Ney, and write ``out_path`` (ARPA; ``.gz`` compresses) plus ``<stem>.unigrams.txt``
    beside it. ``texts`` may be empty (or ``None``) when ``lines`` is given.

    ``alphabet``: normalise the text on the fly to an :class:`Alphabet`, its characters as a string
    (``"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"``, as ``--alphabet``), or an ``AcousticModel`` / its labels; ``None``: as is.

    Raises:
        LanguageModelError: bad order/thresholds/alphabet (checked before reading), unreadable or empty text,
            reserved symbols, discounts out of range without ``discount_fallback``.
    """
    t0 = time.perf_counter()
    if not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= MAX_ORDER:
        raise LanguageModelError(f"order {order!r} is not supported: choose an n-gram order from 1 to {MAX_ORDER}")
    parse_prune(prune, order)  # fail fast, before reading a large corpus
    alphabet = as_alphabet(alphabet)
    texts = text_paths(texts, "build")
    if not texts and lines is None:
        raise LanguageModelError("no text given; pass one or more UTF-8 text files, or lines=[...] of text")
    out_path = Path(out_path)
    for t in texts:  # the model (or its unigram list, or binary) would replace the text it was counted from
        written = overwritten_by_build(out_path, t)
        if written is not None:
            beside = "" if written == out_path else f" (the build writes {written} beside it)"
            raise LanguageModelError(f"{out_path}: is also the text to count ({t}){beside}; choose another output "
                                     "path.")
    created = check_writable(out_path)  # fail now, not after counting a large corpus
    try:
        reader = CorpusReader(skip_symbols=skip_symbols)
        norm = Normalizer(alphabet) if alphabet is not None else None
        cr_inside = None  # the first line with a carriage return inside it: a file with CR-only line ends?
        for where, line in iter_corpus_lines(texts, lines):
            if cr_inside is None and "\r" in line.rstrip("\r"):
                cr_inside = where
            if norm is None:
                reader.add_line(line, where)
            else:
                for s in norm.line(line):
                    reader.add_line(s, where)
        source = ", ".join([*map(str, texts), *(["lines"] if lines is not None else [])])
        if reader.n_tokens == 0:
            raise LanguageModelError(
                f"{source}: no words left to count (empty, blank or all-punctuation text"
                + (", or no word fits the alphabet" if norm else "") + "); give text with words in the model's alphabet"
            )
        counts = counts_from_reader(reader, order)
        del reader
        try:
            model = estimate(counts, prune=prune, discount_fallback=discount_fallback)
        except LanguageModelError as e:  # the discounts of this text: name it
            raise LanguageModelError(f"{source}: {e}") from None
        del counts
        write_arpa(model, out_path)
        uni_path = write_unigrams(model.vocab, unigram_list_path(out_path))
        msgs = list(model.warnings)
        if cr_inside is not None:
            msgs.append(f"{cr_inside}: carriage returns (CR) inside a line, counted as spaces: a file whose lines end "
                        "with CR alone (old Mac text) is one sentence here, as lmplz reads it; convert it first: "
                        "tr '\\r' '\\n' < in.txt > out.txt")
        if norm is None:
            msgs += _raw_text_notes([w for w in model.vocab if w not in ("<s>", "</s>", "<unk>")])
        if order == 1:
            msgs.append("an order-1 model works for perplexity (python backend) but KenLM, and so beam search, needs "
                        "order 2 or more; build with --order 2+ (order=2 or more in Python) for decoding")
        bin_path = None
        if binary:
            bin_path, warning = try_build_binary(out_path, binary_path_for(out_path))
            if warning:
                msgs.append(warning)
    except BaseException:  # a failed build leaves no output folder it made behind
        remove_if_empty(created)
        raise
    return BuildResult(
        arpa_path=out_path, unigrams_path=uni_path, binary_path=bin_path, order=order,
        ngram_counts=model.ngram_counts, discounts=model.discounts, tokens=model.tokens, sentences=model.sentences,
        normalize_stats=norm.stats if norm else None, warnings=msgs, seconds=time.perf_counter() - t0,
    )
