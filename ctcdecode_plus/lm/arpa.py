"""Read and write ARPA back-off language models (plain or ``.gz``), atomically.

Writing follows lmplz's layout: ``\\data\\`` header, one section per order, a backoff column on every line of every
order but the highest (on 1-grams always, even for a unigram model, because pyctcdecode's unigram reader skips
1-gram lines without one), ``<s>`` with log10 probability 0. Files are written to a temporary name in the same
folder and renamed, so an interrupted run never leaves a half-written model.

Reading is strict and names file and line for every problem (a malformed line, a count that does not match the
header, a missing ``\\end\\``: a truncated file).
"""
from __future__ import annotations

import contextlib
import gzip
import io
import logging
import math
import os
import shutil
import subprocess
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator, Optional, Sequence, Union

import numpy as np

from .._files import atomic_write as _atomic_write
from .._files import default_mode, temp_beside  # noqa: F401  (default_mode: package.py's folders use it)
from ..errors import LanguageModelError
from .counts import BOS, EOS, SPECIALS, UNK, WORD_DELIMITERS, split_words

logger = logging.getLogger(__name__)

#: how to rewrite an ARPA file that KenLM cannot read but :func:`read_arpa` can (fields split by spaces, not tabs)
REWRITE_WITH_TABS = ("python -c \"from ctcdecode_plus.lm import read_arpa, write_arpa; "
                     "write_arpa(read_arpa('{path}'), 'with_tabs.arpa')\"")

#: log10 probability KenLM gives an unknown word where the model has no <unk> ("substituting -100")
MISSING_UNK_LOG10 = -100.0

PathLike = Union[str, Path]


# --------------------------------------------------------------------------------------------------- atomic files
def _temp_beside(path: Path) -> str:
    """An empty temporary file in ``path``'s folder, or a :class:`LanguageModelError` saying why there is none."""
    return temp_beside(path, LanguageModelError)


def check_writable(path: PathLike) -> list[Path]:
    """Raise :class:`LanguageModelError` now where ``path`` could not be written later (before a long build); a
    missing output folder is created, as ``transcribe -o`` and ``emissions -o`` create theirs.

    Returns:
        The folders it created, deepest first (empty when the folder was there): hand them to
        :func:`remove_if_empty` when the build fails, so a failed build leaves nothing behind.
    """
    parent = Path(path).parent
    created = []
    missing = parent
    while not missing.exists():
        created.append(missing)
        missing = missing.parent
    if created:
        try:
            parent.mkdir(parents=True)
        except OSError as exc:
            raise LanguageModelError(f"{parent}: output folder does not exist and cannot be created "
                                     f"({exc.strerror or exc}); choose a writable output path") from None
    try:
        os.unlink(_temp_beside(Path(path)))
    except LanguageModelError:
        remove_if_empty(created)
        raise
    return created


def remove_if_empty(folders: Sequence[Path]) -> None:
    """Remove ``folders`` (deepest first, as :func:`check_writable` returns them) while they are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty (something else wrote there), or gone: leave it
            return


def atomic_write(path: PathLike, mode: str = "w", encoding: Optional[str] = "utf-8"):
    """:func:`ctcdecode_plus._files.atomic_write` with :class:`LanguageModelError`: a temporary file beside
    ``path``, renamed to it only when the block ends without error (a pipe or device is written in place)."""
    return _atomic_write(path, mode, encoding, error=LanguageModelError)


# --------------------------------------------------------------------------------------------------- writing
def format_float(x: float) -> str:
    """Shortest text that reads back as the same float32 (what lmplz prints), ``0`` for zero."""
    if x == 0:
        return "0"
    if math.isinf(x):
        return "-99" if x < 0 else "99"
    return np.format_float_positional(np.float32(x), unique=True, trim="-")


def _fmt_array(values: np.ndarray) -> list[str]:
    """Vectorised-ish float formatting: 8 significant digits (lmplz's float32 precision), zeros as ``0``."""
    v = np.asarray(values, dtype=np.float64)
    v = np.where(np.isneginf(v), -99.0, v)
    out = ["%.8g" % x for x in v.tolist()]
    return ["0" if s in ("0", "-0") else s for s in out]


def write_arpa_text(fh: IO[str], vocab: list[str], orders, chunk: int = 50_000) -> None:
    """Write sections for ``orders`` (objects with ``log10_prob``, ``log10_backoff``, ``words``) to ``fh``."""
    N = len(orders)
    fh.write("\\data\\\n")
    for k, o in enumerate(orders, 1):
        fh.write(f"ngram {k}={len(o.log10_prob)}\n")
    vocab_arr = np.array(vocab, dtype=object)
    for k, o in enumerate(orders, 1):
        fh.write(f"\n\\{k}-grams:\n")
        n = len(o.log10_prob)
        with_bo = k < N or k == 1
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            w = o.words[s:e]
            text = vocab_arr[w[:, 0]]
            for j in range(1, k):
                text = text + " " + vocab_arr[w[:, j]]
            probs = _fmt_array(o.log10_prob[s:e])
            if with_bo:
                bos = _fmt_array(o.log10_backoff[s:e])
                fh.write("".join(f"{p}\t{t}\t{b}\n" for p, t, b in zip(probs, text.tolist(), bos)))
            else:
                fh.write("".join(f"{p}\t{t}\n" for p, t in zip(probs, text.tolist())))
    fh.write("\n\\end\\\n")


def write_arpa(model, path: PathLike) -> Path:
    """Write a model (``KneserNeyModel`` or :class:`ArpaModel`) as ARPA text, atomically. ``.gz`` compresses."""
    path = Path(path)
    if isinstance(model, ArpaModel):
        orders = model.to_order_arrays()
        vocab = orders.pop(0)
    else:
        orders, vocab = model.orders, model.vocab
    with atomic_write(path) as fh:
        write_arpa_text(fh, vocab, orders)
    return path


def unigram_list_path(arpa_path: PathLike) -> Path:
    """``lm.arpa`` -> ``lm.unigrams.txt`` (also for ``.arpa.gz`` and ``.bin``)."""
    p = Path(arpa_path)
    name = p.name
    for suf in (".gz", ".arpa", ".binary", ".bin", ".klm"):
        if name.endswith(suf):
            name = name[: -len(suf)]
    return p.with_name(name + ".unigrams.txt")


def write_unigrams(words, path: PathLike) -> Path:
    """Write the sorted word list (specials ``<s> </s> <unk>`` left out), one a line, atomically."""
    uni = sorted({w for w in words if w not in SPECIALS})
    with atomic_write(path) as fh:
        fh.write("".join(w + "\n" for w in uni))
    return Path(path)


def binary_path_for(arpa_path: PathLike) -> Path:
    """Where :func:`build_binary` puts the binary of an ARPA file: ``lm.arpa`` / ``lm.arpa.gz`` -> ``lm.bin``."""
    p = Path(arpa_path)
    name = p.name
    for suf in (".gz", ".arpa"):
        if name.endswith(suf) and len(name) > len(suf):
            name = name[: -len(suf)]
    return p.with_name(name + ".bin")


def build_binary(arpa_path: PathLike, binary_path: PathLike) -> Optional[Path]:
    """Run KenLM's ``build_binary`` where it is on PATH; return the binary, or ``None`` (ARPA works, loads slower)."""
    exe = shutil.which("build_binary")
    if exe is None:
        return None
    binary_path = Path(binary_path)
    tmp = _temp_beside(binary_path)
    try:
        res = subprocess.run([exe, str(arpa_path), tmp], capture_output=True, text=True)
        if res.returncode != 0:
            raise LanguageModelError(
                f"{arpa_path}: build_binary failed ({res.stderr.strip().splitlines()[-1:] or res.returncode}); "
                f"use the ARPA file instead"
            )
        os.replace(tmp, binary_path)
        return binary_path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def try_build_binary(arpa_path: PathLike, binary_path: PathLike) -> tuple[Optional[Path], Optional[str]]:
    """:func:`build_binary` for a caller whose ARPA file is already written and works without a binary: returns
    ``(binary path, None)``, or ``(None, warning)`` saying why there is no binary (tool missing, or it failed)."""
    try:
        path = build_binary(arpa_path, binary_path)
    except LanguageModelError as exc:
        return None, str(exc)
    if path is None:
        return None, "KenLM's build_binary is not on PATH: wrote ARPA only (it works, it just loads slower)"
    return path, None


# --------------------------------------------------------------------------------------------------- reading
@dataclass
class ArpaModel:
    """An ARPA model in memory: ``ngrams[k-1]`` maps a word tuple to ``(log10_prob, log10_backoff)``."""

    ngrams: list[dict[tuple[str, ...], tuple[float, float]]]
    path: Optional[str] = None

    @property
    def order(self) -> int:
        return len(self.ngrams)

    @property
    def counts(self) -> list[int]:
        return [len(d) for d in self.ngrams]

    @property
    def vocab(self) -> set[str]:
        return {g[0] for g in self.ngrams[0]}

    def to_order_arrays(self) -> list:
        """``[vocab, order1, order2, ...]`` in the array form :func:`write_arpa_text` takes."""
        words = self.vocab
        vocab = [w for w in (UNK, BOS, EOS) if w in words] + sorted(words - {UNK, BOS, EOS})
        ids = {w: i for i, w in enumerate(vocab)}
        out: list = [vocab]
        for k, d in enumerate(self.ngrams, 1):
            grams = list(d.keys())
            words = np.array([[ids[w] for w in g] for g in grams], dtype=np.int32).reshape(len(grams), k)
            vals = np.array([d[g] for g in grams], dtype=np.float64).reshape(len(grams), 2)
            out.append(_Arrays(vals[:, 0], vals[:, 1], words))
        return out

    # ---- scoring (pure Python back-off)
    def log10_prob(self, word: str, context: tuple[str, ...]) -> tuple[float, int]:
        """log10 p(word | context) with back-off; returns (log10 prob, length of the n-gram matched). A word the
        model does not know, in ``context`` or as ``word``, is ``<unk>`` (its n-grams and backoff), as in KenLM."""
        unigrams = self.ngrams[0]
        ctx = tuple(context[-(self.order - 1):]) if self.order > 1 else ()
        ctx = tuple(w if (w,) in unigrams else UNK for w in ctx)
        if (word,) not in unigrams:
            word = UNK
        bo = 0.0
        for start in range(len(ctx) + 1):
            h = ctx[start:]
            g = h + (word,)
            k = len(g)
            hit = self.ngrams[k - 1].get(g)
            if hit is not None:
                return bo + hit[0], k
            if h:
                hb = self.ngrams[len(h) - 1].get(h)
                if hb is not None:
                    bo += hb[1]
        unk = self.ngrams[0].get((UNK,))
        return bo + (unk[0] if unk is not None else MISSING_UNK_LOG10), 0


@dataclass
class _Arrays:
    log10_prob: np.ndarray
    log10_backoff: np.ndarray
    words: np.ndarray


def _open_text(path: Path) -> IO[str]:
    if not path.exists():
        raise LanguageModelError(f"{path}: language model file not found; check the path")
    if path.is_dir():
        raise LanguageModelError(f"{path}: is a folder; give the .arpa file inside it")
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="\n")
    return open(path, "r", encoding="utf-8", newline="\n")


def is_arpa_file(path: PathLike) -> bool:
    """Whether ``path`` (plain or gzip) starts like an ARPA file (``\\data\\`` in its first 4 KiB), in any
    encoding (one that is not UTF-8 is then refused by the readers, with how to convert it)."""
    try:
        with open(path, "rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
            return b"\\data\\" in fh.read(4096)
    except (OSError, EOFError, zlib.error):
        return False


def _unreadable(path: Path, exc: BaseException) -> LanguageModelError:
    """The error for an ARPA file that cannot be read through (a damaged gzip stream, an I/O error)."""
    return LanguageModelError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc}); the file is damaged "
                              "or truncated")


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> LanguageModelError:
    return LanguageModelError(f"{path}: not UTF-8 text ({exc.reason}); a KenLM binary or a damaged file? give an "
                              f"ARPA text file (one in another encoding, e.g. Latin-1: convert it with `iconv -f "
                              f"LATIN1 -t UTF-8 {path} > utf8.arpa`)")


def read_arpa_unigrams(path: PathLike) -> list[str]:
    """Words of an ARPA file's ``\\1-grams:`` section (plain or gzip), ``<s> </s> <unk>`` left out.

    Much faster than :func:`read_arpa` when only the vocabulary is needed (decoders, unigram lists).
    """
    path = Path(path)
    words: list[str] = []
    try:
        with _open_text(path) as fh:
            inside = False
            for line in fh:
                s = line.strip(WORD_DELIMITERS)
                if s == "\\1-grams:":
                    inside = True
                elif inside and s.startswith("\\"):
                    break
                elif inside:
                    parts = split_words(s)
                    if len(parts) >= 2 and parts[1] not in SPECIALS:
                        words.append(parts[1])
    except UnicodeDecodeError as e:
        raise _not_utf8(path, e) from None
    except (OSError, EOFError, zlib.error) as e:
        raise _unreadable(path, e) from None
    if not words:
        raise LanguageModelError(f"{path}: no 1-grams found; is this an ARPA file (it must contain '\\1-grams:')?")
    return words


def _parse_float(tok: str) -> float:
    t = tok.lower()
    if t in ("-inf", "-infinity"):
        return -math.inf
    value = float(tok)
    if math.isnan(value):
        raise ValueError(tok)  # NaN is no log-probability: "not a number", as the callers say
    return value


def _read_header(path: Path, lines: Iterator[tuple[int, str]]) -> dict[int, int]:
    """Read an ARPA file's ``\\data\\`` header from ``lines`` (``(number, line)``, consumed up to and with
    ``\\1-grams:``): ``{order: declared count}``, or a :class:`LanguageModelError` naming the line."""
    where = lambda n: f"{path}:{n}"  # noqa: E731
    declared: dict[int, int] = {}
    lineno = 0
    # header
    for lineno, line in lines:
        s = line.strip(WORD_DELIMITERS)
        if not s:
            continue
        if s.lstrip("\ufeff") == "\\data\\" and s != "\\data\\":
            raise LanguageModelError(f"{path}: starts with a byte-order mark (BOM), which KenLM cannot read; "
                                     "save the file as UTF-8 without BOM")
        if s == "\\data\\":
            break
        if lineno > 1000 or "\0" in line:
            raise LanguageModelError(f"{where(lineno)}: no \\data\\ header found; this is not an ARPA file "
                                     f"(a KenLM binary? give the .arpa it was built from)")
    else:
        raise LanguageModelError(f"{path}: no \\data\\ header; this is not an ARPA file (empty or truncated)")
    section = None
    for lineno, line in lines:
        s = line.strip(WORD_DELIMITERS)
        if not s:
            continue
        if s.startswith("ngram "):
            try:
                k_s, c_s = s[6:].split("=")
                k, c = int(k_s), int(c_s)
            except ValueError:
                raise LanguageModelError(f"{where(lineno)}: malformed header line {s!r}; expected "
                                         f"'ngram N=COUNT'") from None
            if c < 0:
                raise LanguageModelError(f"{where(lineno)}: header line {s!r} declares a negative number of "
                                         f"{k}-grams; the file is damaged (rebuild it)")
            if k != len(declared) + 1:
                raise LanguageModelError(f"{where(lineno)}: header line {s!r} out of sequence; orders must "
                                         f"be listed 1, 2, ...")
            declared[k] = c
            continue
        if s == "\\1-grams:":
            section = 1
            break
        raise LanguageModelError(f"{where(lineno)}: unexpected line {s[:60]!r} in the \\data\\ header")
    if section is None:
        raise LanguageModelError(f"{path}: file ends inside the \\data\\ header; the file is truncated")
    if not declared:
        raise LanguageModelError(f"{path}: the \\data\\ header lists no 'ngram N=COUNT' lines")
    if declared[1] == 0:
        raise LanguageModelError(f"{path}: the header declares no 1-grams ('ngram 1=0'): the model has no "
                                 "words; rebuild it from text")
    return declared


def check_arpa_header(path: PathLike) -> dict[int, int]:
    """The ``\\data\\`` header of an ARPA file (plain or gzip), checked (orders 1, 2, ... with counts >= 0 and
    1-grams), read without the rest of the file: ``{order: count}``. KenLM trusts these counts to size its tables
    (a negative one crashed the process), so they are checked before KenLM reads the file."""
    try:
        with _open_text(Path(path)) as fh:
            return _read_header(Path(path), enumerate(fh, 1))
    except UnicodeDecodeError as exc:
        raise _not_utf8(Path(path), exc) from None
    except (OSError, EOFError, zlib.error) as exc:  # a damaged gzip stream, an unreadable file
        raise _unreadable(Path(path), exc) from None


def _parse_arpa(path: Path, begin: Callable[[int], None], store: Callable[[int, list, float, float], None],
                stored: Callable[[int], int]) -> None:
    """Parse an ARPA file (plain or gzip) strictly, handing it to a sink: ``begin(order)`` once the header is read,
    ``store(k, words, log10_prob, log10_backoff)`` for every n-gram line, and ``stored(k)``, how many k-grams the
    sink holds, checked against the header at the end of each section (a dict sink holds a repeated line once, so
    the repeat fails that check; an array sink looks for repeats itself).

    Raises:
        LanguageModelError: missing file, not ARPA (binary KenLM model, no ``\\data\\``), a malformed line or a count
            that does not match the header (file and line named), or a truncated file (no ``\\end\\``).
    """
    fh = _open_text(path)
    where = lambda n: f"{path}:{n}"  # noqa: E731
    try:
        with fh:
            lines = enumerate(fh, 1)
            declared = _read_header(path, lines)
            vocabulary: set[str] = set()  # the 1-grams: every word of a longer n-gram must be one
            lineno = 0
            N = len(declared)
            begin(N)
            k = 1
            ended = False
            spaced = 0  # the first n-gram line with no tab: SRILM reads it, KenLM does not
            for lineno, line in lines:
                s = line.strip(WORD_DELIMITERS)
                if not s:
                    continue
                if s[0] == "\\":
                    if stored(k) != declared[k]:
                        raise LanguageModelError(
                            f"{where(lineno)}: section \\{k}-grams: has {stored(k)} entries but the header declares "
                            f"{declared[k]}; the file is damaged or truncated")
                    if s == "\\end\\":
                        if k < N:
                            raise LanguageModelError(
                                f"{where(lineno)}: \\end\\ after \\{k}-grams:, but the header declares "
                                f"{N} orders (no \\{k + 1}-grams: section); the file is damaged, rebuild it")
                        ended = True
                        break
                    if s == f"\\{k + 1}-grams:" and k + 1 <= N:
                        k += 1
                        continue
                    raise LanguageModelError(f"{where(lineno)}: unexpected section {s!r} after \\{k}-grams:")
                if "\t\t" in s:  # split_words would close the gap and read the backoff as the word
                    raise LanguageModelError(f"{where(lineno)}: two tabs together, an empty field (a missing word?) in "
                                             f"{s[:80]!r}; the file is damaged, rebuild it")
                parts = split_words(s)
                if not spaced and "\t" not in s:
                    spaced = lineno
                if len(parts) == k + 1:
                    bo = 0.0
                elif len(parts) == k + 2:
                    try:
                        bo = _parse_float(parts[-1])
                    except ValueError:
                        raise LanguageModelError(f"{where(lineno)}: backoff {parts[-1]!r} is not a number") from None
                else:
                    raise LanguageModelError(
                        f"{where(lineno)}: expected 'log10prob' + {k} word(s) [+ backoff] in a {k}-gram line, got "
                        f"{len(parts)} fields: {s[:80]!r}")
                try:
                    lp = _parse_float(parts[0])
                except ValueError:
                    raise LanguageModelError(f"{where(lineno)}: probability {parts[0]!r} is not a number") from None
                if lp > 0 and not (k == 1 and parts[1] == BOS):
                    raise LanguageModelError(f"{where(lineno)}: log10 probability {lp} is positive; not an ARPA model")
                if k == 1:
                    vocabulary.add(parts[1])
                else:
                    for w in parts[1:k + 1]:
                        if w not in vocabulary:  # KenLM refuses it too ("was not seen in the unigrams")
                            raise LanguageModelError(f"{where(lineno)}: the word {w!r} of this {k}-gram is not among "
                                                     "the 1-grams; the file is damaged, rebuild it")
                store(k, parts[1:k + 1], lp, bo)
            if not ended:
                raise LanguageModelError(
                    f"{path}:{lineno}: file ends before \\end\\ (in \\{k}-grams:, {stored(k)} of {declared[k]} "
                    f"entries read); the file is truncated, rebuild or re-download it")
            if spaced:
                logger.warning("%s: its fields are separated by spaces, not tabs: read here, but KenLM (and so beam "
                               "search) refuses the file; rewrite it with tabs: %s", where(spaced),
                               REWRITE_WITH_TABS.format(path=path))
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise _unreadable(path, exc) from None


def read_arpa(path: PathLike) -> ArpaModel:
    """Read an ARPA file (plain or gzip) strictly into an :class:`ArpaModel` (dicts: for scoring by word).

    Raises:
        LanguageModelError: as :func:`_parse_arpa` (file and line named for every problem).
    """
    ngrams: list[dict] = []

    def store(k: int, words: list, lp: float, bo: float) -> None:
        key = tuple(words)
        if key in ngrams[k - 1]:  # the header check would only say the section is one short
            raise LanguageModelError(f"{path}: the {k}-gram {' '.join(words)!r} is listed twice; the file is damaged "
                                     "(rebuild it)")
        ngrams[k - 1][key] = (lp, bo)

    _parse_arpa(Path(path), lambda n: ngrams.extend(dict() for _ in range(n)), store, lambda k: len(ngrams[k - 1]))
    return ArpaModel(ngrams=ngrams, path=str(path))


@dataclass
class ArpaArrays:
    """An ARPA model as arrays, about 30 bytes an n-gram where :class:`ArpaModel`'s dicts take about 300:
    ``vocab`` (id -> word) and, per order k, ``orders[k-1]`` with ``words`` (n x k word ids), ``log10_prob`` and
    ``log10_backoff`` (n,). What :func:`~ctcdecode_plus.lm.mix.mix_arrays` works on; :func:`write_arpa` writes it."""

    vocab: list[str]
    orders: list[_Arrays]

    @property
    def order(self) -> int:
        return len(self.orders)

    @property
    def counts(self) -> list[int]:
        return [len(o.log10_prob) for o in self.orders]


def unique_rows(r: np.ndarray) -> np.ndarray:
    """The distinct rows of ``r`` (n x k integers), sorted lexicographically (``np.unique(r, axis=0)``, faster)."""
    if len(r) < 2:
        return r
    s = r[np.lexsort(r.T[::-1])]
    keep = np.ones(len(s), dtype=bool)
    keep[1:] = (s[1:] != s[:-1]).any(axis=1)
    return s[keep]


class NGramIndex:
    """N-grams of one or more models, per order, sorted and keyed for vectorised lookup.

    ``rows[k-1]``: the k-grams (n x k word ids), closed under contexts and suffixes (each k-gram's first and last
    k-1 words are a (k-1)-gram too, added where no model lists them: SRILM's pruning can drop one; lmplz's models
    have them all); ``keys[k-1]``: one int64 per row, its context's index * ``n_words`` + its last word, ascending;
    ``context[k-1]`` and ``suffix[k-1]`` (k >= 2): the index of each k-gram's context and suffix in order k-1.
    """

    def __init__(self, grams: Sequence[Sequence[np.ndarray]], n_words: int) -> None:
        N, self.n_words = len(grams), n_words
        self.rows: list[np.ndarray] = [np.zeros((0, k), dtype=np.int32) for k in range(1, N + 1)]
        for k in range(N, 0, -1):
            parts = list(grams[k - 1]) + ([self.rows[k][:, :-1], self.rows[k][:, 1:]] if k < N else [])
            self.rows[k - 1] = unique_rows(np.concatenate(parts).reshape(-1, k).astype(np.int32))
        self.keys: list[np.ndarray] = []
        for k, r in enumerate(self.rows, 1):
            self.keys.append(r[:, 0].astype(np.int64) if k == 1 else self.locate(r[:, :-1]) * n_words + r[:, -1])
        self.context = [None] + [self.keys[k] // n_words for k in range(1, N)]
        self.suffix = [None] + [self.locate(self.rows[k][:, 1:]) for k in range(1, N)]

    def locate(self, r: np.ndarray) -> np.ndarray:
        """Index of each k-gram of ``r`` (n x k; every one in the index) in ``rows[k-1]``."""
        k = r.shape[1]
        q = r[:, 0].astype(np.int64) if k == 1 else self.locate(r[:, :-1]) * self.n_words + r[:, -1]
        return np.searchsorted(self.keys[k - 1], q)

    def find(self, k: int, context: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Index in ``rows[k-1]`` of each k-gram given by the index of its context in order k-1 (ignored for
        k = 1; -1: no context) and its last word; -1 where the index does not hold it."""
        q = last.astype(np.int64) if k == 1 else context.astype(np.int64) * self.n_words + last
        keys = self.keys[k - 1]
        at = np.minimum(np.searchsorted(keys, q), max(len(keys) - 1, 0))
        ok = (keys[at] == q) if len(keys) else np.zeros(len(q), dtype=bool)
        if k > 1:
            ok &= context >= 0
        return np.where(ok, at, -1)


def read_arpa_arrays(path: PathLike) -> ArpaArrays:
    """Read an ARPA file (plain or gzip) strictly into :class:`ArpaArrays`.

    Raises:
        LanguageModelError: as :func:`read_arpa`, and for an n-gram listed twice in a section.
    """
    path = Path(path)
    ids: dict[str, int] = {}
    words: list[array] = []
    probs: list[array] = []
    backoffs: list[array] = []

    def begin(n: int) -> None:
        for _ in range(n):
            words.append(array("i"))
            probs.append(array("d"))
            backoffs.append(array("d"))

    def store(k: int, ws: list, lp: float, bo: float) -> None:
        out = words[k - 1]
        for w in ws:
            i = ids.get(w)
            if i is None:
                i = ids[w] = len(ids)
            out.append(i)
        probs[k - 1].append(lp)
        backoffs[k - 1].append(bo)

    _parse_arpa(path, begin, store, lambda k: len(probs[k - 1]))
    orders = []
    for k, (w, lp, bo) in enumerate(zip(words, probs, backoffs), 1):
        grams = np.frombuffer(w, dtype=np.intc).astype(np.int32, copy=False).reshape(-1, k)
        if len(unique_rows(grams)) != len(grams):
            raise LanguageModelError(f"{path}: section \\{k}-grams: lists an n-gram more than once; the file is "
                                     "damaged (rebuild it)")
        orders.append(_Arrays(np.frombuffer(lp, dtype=np.float64), np.frombuffer(bo, dtype=np.float64), grams))
    return ArpaArrays(vocab=list(ids), orders=orders)
