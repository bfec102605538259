"""Streamed n-gram counting with compact integer ids, the way KenLM's ``lmplz`` counts.

Text is read line by line (one sentence a line) and each word is mapped to an ``int32`` id, in order of first
appearance after the specials ``<unk>`` = 0, ``<s>`` = 1, ``</s>`` = 2 (lmplz's numbering). Each sentence becomes
``<s> w1 ... wn </s>`` in one flat token array. Words are split on space, tab, carriage return and NUL, as lmplz
splits them, so an empty line is the sentence ``<s> </s>``.

n-grams are then identified order by order without any dict of tuples: a k-gram is the pair (first word, id of its
(k-1)-word suffix), packed into one ``int64`` key and made unique with :func:`numpy.unique`. Every k-gram of the
model is "valid" in lmplz's sense: it ends at a real token (not ``<s>``) and holds at most one ``<s>``, at its start.
"""
from __future__ import annotations

import gzip
import os
import re
import zlib
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence, Union

import numpy as np

from ..errors import LanguageModelError

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIALS = (UNK, BOS, EOS)
MAX_ORDER = 6

#: lmplz's word delimiters (util::BoolCharacter::Build("\0\t\n\r ")).
_DELIMS = str.maketrans({"\t": " ", "\r": " ", "\0": " ", "\n": " "})
WORD_DELIMITERS = " \t\r\n\0"


#: what str.split() splits on that lmplz does not (Unicode and ASCII-control spaces), and NUL, which lmplz splits on
#: and str.split() does not: a line without any splits the same both ways
_SPLIT_DIFFERS = re.compile("[\x00\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def split_words(line: str) -> list[str]:
    """The words of ``line`` as lmplz and KenLM split them: on space, tab, CR, LF and NUL only (not on a no-break
    space or other Unicode whitespace, which ``str.split()`` would split on)."""
    if _SPLIT_DIFFERS.search(line) is None:
        return line.split()  # the same words, at str.split()'s speed (the ARPA reader's hot path)
    return [w for w in line.translate(_DELIMS).split(" ") if w]

PathLike = Union[str, Path]


@dataclass
class OrderCounts:
    """All k-grams of one order, index ``i`` = one k-gram.

    Attributes:
        first: word id of the first word.
        suffix: index of the (k-1)-word suffix in the previous order (unused for unigrams).
        context: index of the (k-1)-word prefix (the context) in the previous order (unused for unigrams).
        count: raw count (occurrences in the ``<s>``-padded text).
    """

    first: np.ndarray
    suffix: np.ndarray
    context: np.ndarray
    count: np.ndarray

    def __len__(self) -> int:
        return int(self.first.shape[0])


@dataclass
class NGramCounts:
    """Raw counts of every order of a corpus, plus what lmplz's adjusted-count pass needs.

    Attributes:
        order: highest order N.
        vocab: words by id (``vocab[0:3]`` are ``<unk> <s> </s>``).
        orders: ``orders[k-1]`` holds the k-grams.
        last_suffixes: for k = 1..N-1, the index of the k-word suffix of the last N-gram that lmplz's suffix-sorted
            stream ends with (or -1 where that suffix would hold more than one ``<s>``); lmplz counts these few
            n-grams with their raw count in the counts-of-counts, which a byte-exact estimate has to copy.
        tokens: number of word tokens (``</s>`` and ``<s>`` not included), lmplz's "Unigram tokens".
        sentences: number of lines.
    """

    order: int
    vocab: list[str]
    orders: list[OrderCounts]
    last_suffixes: list[int] = field(default_factory=list)
    tokens: int = 0
    sentences: int = 0

    def words(self, k: int, index: np.ndarray) -> np.ndarray:
        """Word ids of the k-grams ``index`` as an array of shape ``(len(index), k)``."""
        index = np.asarray(index, dtype=np.int64)
        out = np.empty((index.shape[0], k), dtype=np.int32)
        cur = index
        for j in range(k):
            o = self.orders[k - 1 - j]
            if k - j == 1:
                out[:, j] = cur
            else:
                out[:, j] = o.first[cur]
                cur = o.suffix[cur]
        return out


def _check_order(order: int) -> None:
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or not 1 <= int(order) <= MAX_ORDER:
        raise LanguageModelError(
            f"order {order!r} is not supported: choose an n-gram order from 1 to {MAX_ORDER} (e.g. --order 4, "
            "order=4 in Python)"
        )


def iter_text_lines(path: PathLike) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` of a UTF-8 text file (``.gz`` too), with a clear error for bad bytes."""
    p = Path(path)
    if not p.exists():
        raise LanguageModelError(f"{p}: text file not found; check the path")
    if p.is_dir():
        raise LanguageModelError(f"{p}: is a folder, not a text file; give the text file(s) inside it")
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise LanguageModelError(
                        f"{p}:{lineno}: not valid UTF-8 (byte {raw[exc.start:exc.start + 1]!r} at column "
                        f"{exc.start + 1}); convert the file to UTF-8 ({_conversion_hint(raw, lineno)})"
                    ) from None
                if line.endswith("\n"):
                    line = line[:-1]
                if lineno == 1 and line.startswith("\ufeff"):  # a byte-order mark, not part of the first word
                    line = line[1:]
                yield lineno, line
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        if isinstance(exc, LanguageModelError):
            raise
        raise LanguageModelError(f"{p}: cannot read text ({exc}); check the file is readable and not truncated") from None


def _conversion_hint(raw: bytes, lineno: int) -> str:
    """How to convert a text whose line ``raw`` is not UTF-8: UTF-16 (a byte-order mark, or NUL bytes between
    the letters, as Windows' "Unicode" saves text) or, most often otherwise, Latin-1."""
    if (lineno == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff")) or raw.count(b"\0") * 4 >= len(raw) > 0:
        return "it is UTF-16: iconv -f UTF-16 -t UTF-8"
    return "e.g. iconv -f latin1 -t utf-8"


def _first_line(text: str, limit: int = 60) -> str:
    """``text`` shortened for a one-line message: its first line, at most ``limit`` characters, ``...`` if cut."""
    line = text.splitlines()[0] if text.strip() else text
    return line[:limit] + ("..." if len(line) > limit or line != text else "")


def text_paths(texts: Union[PathLike, Iterable[PathLike], None], verb: str = "build") -> list[PathLike]:
    """``texts`` as a list of paths (one path, not its characters; ``None``: none). A string that is no file
    raises "text file not found" with a hint to pass the text as ``lines=`` (``verb``: what the caller does)."""
    if texts is None:
        return []
    texts = [texts] if isinstance(texts, (str, os.PathLike)) else list(texts)
    for p in texts:
        if not isinstance(p, (str, os.PathLike)):
            raise LanguageModelError(f"texts: {type(p).__name__} {p!r:.40} is not a file path; give UTF-8 text "
                                     f"files, or lines=[...] of text")
        if isinstance(p, str) and not os.path.exists(p):  # False, not an error, for a name too long or with NUL
            raise LanguageModelError(f"{_first_line(p) or repr(p)}: text file not found; check the path "
                                     f"(to {verb} from strings, pass lines=[...])")
    return texts


def iter_corpus_lines(texts: Sequence[PathLike], lines: Optional[Iterable[str]]) -> Iterator[tuple[str, str]]:
    """Yield ``(where, line)``: the lines of the files ``texts``, then the strings ``lines`` (each a line of text);
    ``where`` is ``file:line`` or ``lines[i]`` for errors."""
    for p in texts:
        for lineno, line in iter_text_lines(p):
            yield f"{p}:{lineno}", line
    if lines is None:
        return
    if isinstance(lines, (str, bytes)) or not hasattr(lines, "__iter__"):
        lines = [lines]  # one line (a bytes or other non-str item is named below)
    for i, line in enumerate(lines):
        if not isinstance(line, str):
            raise LanguageModelError(f"lines[{i}]: {type(line).__name__} {line!r:.40} is not a str; give lines of "
                                     "text as strings (decode bytes first)")
        yield f"lines[{i}]", line


class Vocabulary:
    """Word -> int32 id in lmplz's numbering: ``<unk>`` 0, ``<s>`` 1, ``</s>`` 2, then order of first appearance."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {UNK: UNK_ID, BOS: BOS_ID, EOS: EOS_ID}
        self.words: list[str] = [UNK, BOS, EOS]

    def __len__(self) -> int:
        return len(self.words)


class CorpusReader:
    """Accumulates sentences into one flat ``int32`` token array (streamed, one line at a time)."""

    def __init__(self, skip_symbols: bool = False) -> None:
        self.vocab = Vocabulary()
        self.tokens = array("i")
        self.n_tokens = 0
        self.n_sentences = 0
        self.skip_symbols = skip_symbols

    def add_line(self, line: str, where: str = "<text>") -> None:
        """Add one sentence. ``where`` names file and line for errors."""
        ids = self.vocab.ids
        words = self.vocab.words
        out = [BOS_ID]
        append = out.append
        for w in line.translate(_DELIMS).split(" "):
            if not w:
                continue
            i = ids.get(w)
            if i is None:
                i = ids[w] = len(words)
                words.append(w)
            elif i <= EOS_ID:
                if self.skip_symbols:
                    continue
                raise LanguageModelError(
                    f"{where}: the corpus contains the reserved symbol {w!r}; remove it, normalise the text "
                    f"(build-lm --alphabet-from MODEL, alphabet= in Python), or pass --skip-symbols "
                    f"(skip_symbols=True) to treat <s>, </s> and <unk> as spaces, as lmplz --skip_symbols does"
                )
            append(i)
        self.n_tokens += len(out) - 1
        append(EOS_ID)
        self.tokens.extend(out)
        self.n_sentences += 1

    def add_lines(self, lines: Iterable[str], name: str = "<text>") -> None:
        for lineno, line in enumerate(lines, 1):
            self.add_line(line, f"{name}:{lineno}")

    def add_file(self, path: PathLike) -> None:
        for lineno, line in iter_text_lines(path):
            self.add_line(line, f"{path}:{lineno}")


def _unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted unique keys, inverse (int32 where it fits) and counts."""
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    if uniq.shape[0] < 2**31 - 1:
        inverse = inverse.astype(np.int32, copy=False)
    return uniq, inverse.reshape(-1), counts


def count_tokens(tokens: np.ndarray, vocab: Sequence[str], order: int) -> tuple[list[OrderCounts], list[int]]:
    """Count every valid k-gram (k = 1..order) of a flat ``<s> ... </s>`` token array."""
    _check_order(order)
    tok = np.asarray(tokens, dtype=np.int32)
    n = tok.shape[0]
    V = len(vocab)
    idx = np.arange(n, dtype=np.int64)
    is_bos = tok == BOS_ID
    # offset of each position within its sentence (0 at <s>)
    start = np.where(is_bos, idx, 0)
    np.maximum.accumulate(start, out=start)
    off = (idx - start).astype(np.int32)
    del start, idx
    real = ~is_bos

    # unigrams: every vocabulary word (the specials <unk> and <s> have count 0)
    uni_count = np.bincount(tok[real], minlength=V).astype(np.int64)
    empty = np.zeros(0, dtype=np.int32)
    orders = [OrderCounts(first=np.arange(V, dtype=np.int32), suffix=empty, context=empty, count=uni_count)]

    # lmplz's last full N-gram in suffix order (words compared from the last one back, <s> padding)
    last_pos = _last_full_position(tok, off, real, order)
    last_suffixes = [int(tok[last_pos])] if order > 1 else []

    pos_id = tok.astype(np.int32)  # id of the (k-1)-gram ending at each position (unigram id = word id)
    pos_id[~real] = -1
    prev_keys = None  # sorted unique keys of the previous order (k-1 >= 2)
    for k in range(2, order + 1):
        valid = real & (off >= k - 1)
        P = np.flatnonzero(valid)
        U_prev = len(orders[-1])
        keys = tok[P - (k - 1)].astype(np.int64) * U_prev + pos_id[P]
        uniq, inverse, counts = _unique(keys)
        del keys
        first = (uniq // U_prev).astype(np.int32)
        suffix = uniq % U_prev
        prev = orders[-1]
        if k == 2:
            context = first.astype(np.int64)
        else:
            # prefix of (w, s) is the (k-1)-gram (w, prefix(s))
            U_prev2 = len(orders[-2])
            ctx_keys = first.astype(np.int64) * U_prev2 + prev.context[suffix]
            context = np.searchsorted(prev_keys, ctx_keys)
        idx_dtype = np.int32 if U_prev < 2**31 - 1 else np.int64
        orders.append(
            OrderCounts(first=first, suffix=suffix.astype(idx_dtype), context=context.astype(idx_dtype),
                        count=counts.astype(np.int64))
        )
        new_pos = np.full(n, -1, dtype=inverse.dtype)
        new_pos[P] = inverse
        if k < order:
            lp = int(new_pos[last_pos]) if off[last_pos] >= k - 1 else -1
            last_suffixes.append(lp)
        pos_id = new_pos
        prev_keys = uniq
        del P, inverse, valid
    return orders, last_suffixes


def _last_full_position(tok: np.ndarray, off: np.ndarray, real: np.ndarray, order: int) -> int:
    """Position of the N-gram that sorts last in lmplz's SuffixOrder (ties: any, they are the same N-gram)."""
    cand = np.flatnonzero(real)
    if cand.shape[0] == 0:
        return 0
    vals = tok[cand]
    cand = cand[vals == vals.max()]
    for j in range(1, order):
        inside = off[cand] >= j
        vals = np.where(inside, tok[np.maximum(cand - j, 0)], BOS_ID)
        cand = cand[vals == vals.max()]
        if cand.shape[0] == 1:
            break
    return int(cand[0])


def count_ngrams(
    sources: Union[PathLike, Iterable[PathLike]] = (),
    order: int = 3,
    *,
    lines: Iterable[str] | None = None,
    skip_symbols: bool = False,
) -> NGramCounts:
    """Count n-grams of text files (one sentence a line) and/or of an iterable of lines.

    Raises:
        LanguageModelError: missing/unreadable/non-UTF-8 file (file and line named), a reserved symbol in the text,
            an order outside 1..6, or no words at all.
    """
    _check_order(order)
    if isinstance(sources, (str, Path)):
        sources = [sources]
    reader = CorpusReader(skip_symbols=skip_symbols)
    names = []
    for src in sources:
        names.append(str(src))
        reader.add_file(src)
    if lines is not None:
        names.append("<lines>")
        reader.add_lines([lines] if isinstance(lines, str) else lines)  # one string is one line, not its letters
    if reader.n_tokens == 0:
        what = ", ".join(names) or "the corpus"
        raise LanguageModelError(
            f"{what}: no words to count (empty, blank or all-punctuation text); give text with at least one word "
            f"per line in the model's alphabet"
        )
    return counts_from_reader(reader, order)


def counts_from_reader(reader: CorpusReader, order: int) -> NGramCounts:
    """Turn what a :class:`CorpusReader` collected into :class:`NGramCounts`."""
    tok = np.frombuffer(reader.tokens, dtype=np.int32) if len(reader.tokens) else np.zeros(0, np.int32)
    orders, last = count_tokens(tok, reader.vocab.words, order)
    return NGramCounts(order=order, vocab=reader.vocab.words, orders=orders, last_suffixes=last,
                       tokens=reader.n_tokens, sentences=reader.n_sentences)


def naive_counts(lines: Iterable[str], order: int) -> dict[tuple[str, ...], int]:
    """Reference counter with a dict of tuples (slow; for tests and as the benchmark's baseline)."""
    out: dict[tuple[str, ...], int] = {}
    for line in lines:
        words = [BOS] + split_words(line) + [EOS]
        for i in range(1, len(words)):
            for k in range(1, order + 1):
                if i - k + 1 < 0:
                    break
                g = tuple(words[i - k + 1:i + 1])
                out[g] = out.get(g, 0) + 1
    return out
