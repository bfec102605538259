"""Perplexity and out-of-vocabulary rate of text under an n-gram model (KenLM, or our own scorer on numpy arrays).

Conventions are KenLM ``query``'s: each line is a sentence scored with ``<s>`` context and a final ``</s>``;
perplexity = ``10 ** (-log10 total / (words + sentences))``; "excluding OOVs" leaves the OOV words' scores and
counts out.
"""
from __future__ import annotations

import logging
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence, Union

import numpy as np

from .._quiet import quiet_stderr
from ..errors import LanguageModelError
from ..vocab import text_case
from .arpa import (MISSING_UNK_LOG10, REWRITE_WITH_TABS, ArpaArrays, NGramIndex, _open_text, check_arpa_header,
                   is_arpa_file, read_arpa, read_arpa_arrays, read_arpa_unigrams)
from .counts import BOS, EOS, UNK, iter_corpus_lines, split_words, text_paths
from .normalize import Alphabet, Normalizer, _in_case, as_alphabet

if TYPE_CHECKING:
    from ..vocab import Labels

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]


@dataclass
class PerplexityResult:
    """Scores of a text under a model.

    Attributes:
        perplexity: including OOV words (scored as ``<unk>``) and ``</s>``.
        perplexity_excluding_oov: without the OOV words.
        log10_prob: total log10 probability.
        sentences, words: counted (``</s>`` not counted as a word).
        oovs: words not in the model's vocabulary; oov_rate = oovs / words.
        backend: ``"kenlm"`` or ``"python"``.
    """

    perplexity: float
    perplexity_excluding_oov: float
    log10_prob: float
    sentences: int
    words: int
    oovs: int
    oov_rate: float
    backend: str


def _result(total: float, oov_total: float, sentences: int, words: int, oovs: int, backend: str) -> PerplexityResult:
    n = words + sentences
    if n == 0:
        raise LanguageModelError("no sentences to score; give a non-empty text")
    ppl = 10.0 ** (-total / n)
    n_ex = n - oovs
    ppl_ex = 10.0 ** (-(total - oov_total) / n_ex) if n_ex > 0 else float("inf")
    return PerplexityResult(ppl, ppl_ex, total, sentences, words, oovs, oovs / words if words else 0.0, backend)


def load_kenlm(lm_path: PathLike):
    """``kenlm.Model`` with errors turned into :class:`LanguageModelError` naming file and line."""
    import kenlm  # noqa: WPS433

    p = Path(lm_path)
    if not p.exists():
        raise LanguageModelError(f"{p}: language model file not found; check the path")
    if p.is_dir():
        is_decoder = (p / "language_model").is_dir()
        inside = p / "language_model" if is_decoder else p
        try:
            found = sorted(x.name for x in inside.iterdir() if x.suffix in (".arpa", ".bin", ".binary", ".gz"))[:3]
        except OSError:  # a folder that cannot be listed: the message without the list
            found = []
        decoder = (" (a decoder folder: BeamSearchDecoder.from_pretrained, or --decoder-folder, reads it with its "
                   "alpha, beta and hotwords)") if is_decoder else ""
        raise LanguageModelError(f"{p}: is a folder; give the .arpa or .bin file inside it"
                                 + (f" ({', '.join(str(inside.relative_to(p) / n) for n in found)})" if found else "")
                                 + decoder)
    if not p.is_file():  # a pipe (`--lm <(zcat ...)`) or a device: KenLM reads an ARPA more than once, and it
        # waited for ever on a FIFO no one writes
        raise LanguageModelError(f"{p}: not a regular file (a pipe or a device?); KenLM reads a language model "
                                 "more than once: give the file itself (an .arpa.gz is read as it is)")
    if is_arpa_file(p):
        check_arpa_header(p)  # KenLM sizes its tables by the header's counts: a negative one crashed the process
    try:
        with quiet_stderr():
            return kenlm.Model(str(p))
    except Exception as exc:  # kenlm raises OSError/RuntimeError with long C++ messages
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        detail = first.split(" threw ")[-1].strip()  # the reason, not KenLM's C++ function signature
        if detail.count(")") > detail.count("("):
            detail = detail[:-1]
        spaced = "Expected tab" in detail  # an ARPA with spaces between its fields (SRILM reads those)
        if p.suffix != ".bin" and p.suffix != ".binary" and not spaced:
            read_arpa(p)  # raises a precise file:line error where the ARPA is malformed
        hint = ("; KenLM, and so beam search, needs order 2 or more: rebuild it with build-lm --order 2+ (order=2 or "
                "more in build_lm; perplexity reads an order-1 model with --backend python, backend='python')"
                if "at least a bigram" in detail else
                "; its fields are separated by spaces, and KenLM needs tabs: rewrite it with tabs: "
                + REWRITE_WITH_TABS.format(path=p) if spaced else "; rebuild it")
        raise LanguageModelError(f"{p}: KenLM cannot load this model ({detail[:200]}){hint}") from None


def _arpa_order(lm_path: PathLike) -> Optional[int]:
    """Highest order in an ARPA file's ``\\data\\`` header (plain or gzip), or ``None`` (not ARPA text, unreadable)."""
    try:
        with _open_text(Path(lm_path)) as fh:
            head = fh.read(4096)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, LanguageModelError):
        return None
    if "\\data\\" not in head:
        return None
    orders = [int(m) for m in re.findall(r"^ngram\s+(\d+)\s*=", head, flags=re.MULTILINE)]
    return max(orders) if orders else None


def _sentences(texts: Sequence[PathLike], lines: Optional[Iterable[str]], alphabet: Optional[Alphabet]):
    norm = Normalizer(alphabet) if alphabet is not None else None
    for _, line in iter_corpus_lines(texts, lines):
        if norm is not None:
            yield from norm.line(line)
        else:
            yield line


def _warn_unnormalised(lm_path: PathLike, result: PerplexityResult, alphabet: Optional[Alphabet],
                       oov_log10: float = 0.0) -> None:
    """Most words out of the vocabulary and the text not normalised: likely raw text against an LM built from
    normalised text (upper case, numbers spelt out), not a real mismatch. OOV words at KenLM's -100 (``oov_log10``,
    their total): the model has no ``<unk>``, and they, not the model, make the perplexity."""
    if result.oovs and oov_log10 / result.oovs <= MISSING_UNK_LOG10 + 1:
        logger.warning("%s: the model has no <unk>, so each of the %d OOV words scores log10 %g (KenLM's convention) "
                       "and the perplexity (%.3g) is theirs; read the perplexity excluding OOVs (%.1f), or rebuild the "
                       "LM with `ctcdecode-plus build-lm` (which writes <unk>)", lm_path, result.oovs,
                       MISSING_UNK_LOG10, result.perplexity, result.perplexity_excluding_oov)
    if result.words and result.oov_rate >= 0.5:
        why = ("if the LM was built from normalised text, normalise this text the same way: --alphabet-from MODEL "
               "(or --alphabet) on the command line, alphabet= in perplexity(); otherwise the LM does not fit it"
               if alphabet is None else "the LM does not fit this text (another domain or language, or a model of "
               "few words), and the perplexity says little about it")
        logger.warning("%s: %d of %d words (%.0f %%) are not in the LM's vocabulary: %s", lm_path, result.oovs,
                       result.words, 100 * result.oov_rate, why)


def _in_lm_case(lm_path: PathLike, alphabet: Optional[Alphabet]) -> Optional[Alphabet]:
    """``alphabet`` in the case of the LM's words where the two differ (upper against lower), as the decoders
    reconcile them: an upper-case model's alphabet scored against a lower-case LM made every word an OOV."""
    if alphabet is None or alphabet.case not in ("upper", "lower") or not is_arpa_file(lm_path):
        return alphabet
    try:
        words = [w for w in read_arpa_unigrams(lm_path)[:5000] if w not in (BOS, EOS, UNK)]
    except LanguageModelError:
        return alphabet  # scoring reads the file again and says what is wrong with it
    lm_case = text_case("".join(words))
    if lm_case not in ("upper", "lower") or lm_case == alphabet.case:
        return alphabet
    logger.info("%s: the LM's words are %s case, the alphabet %s case: scoring the text in the LM's case",
                lm_path, lm_case, alphabet.case)
    return Alphabet(frozenset(_in_case(set(alphabet.characters), lm_case)), lm_case)


def _check_sentences(sentences: int, alphabet: Optional[Alphabet], texts: Sequence[PathLike] = (),
                     lines: Optional[Iterable[str]] = None) -> None:
    """No sentence to score: name the text (files, ``lines``) and, after normalising, say it was the alphabet, not
    the text, that left none."""
    if sentences == 0 and alphabet is None:
        source = ", ".join([*map(str, texts), *(["lines="] if lines is not None else [])]) or "the text"
        raise LanguageModelError(f"{source}: no sentences to score (empty, or only blank lines); give text with words")
    if sentences == 0 and alphabet is not None:
        raise LanguageModelError(
            "no sentences left to score after normalising the text to the alphabet "
            f"({''.join(sorted(alphabet.characters))[:40]!r}, {alphabet.case} case): no word of the text is spelled "
            "with it, or the text is empty; check that the alphabet (--alphabet/--alphabet-from, alphabet= in Python) "
            "matches the text's language")


def perplexity(
    lm_path: PathLike,
    texts: Union[PathLike, Sequence[PathLike], None] = (),
    *,
    lines: Optional[Iterable[str]] = None,
    alphabet: Union[Alphabet, str, "Labels", object, None] = None,
    backend: str = "auto",
) -> PerplexityResult:
    """Perplexity and OOV rate of text files (and/or ``lines``: strings, each a line of text) under ``lm_path``
    (ARPA, ``.gz`` or KenLM binary).

    ``backend``: ``"kenlm"``, ``"python"`` (ARPA only), or ``"auto"`` (KenLM when importable).
    Empty lines are skipped. Text is normalised first when ``alphabet`` is given: an :class:`Alphabet`, its
    characters as a string (``"ABCDEFGHIJKLMNOPQRSTUVWXYZ'"``, as ``--alphabet``), or an ``AcousticModel`` / its labels.
    """
    if backend not in ("auto", "kenlm", "python"):
        raise LanguageModelError(f"backend {backend!r}: choose auto, kenlm or python")
    use_kenlm = backend == "kenlm"
    if backend == "auto":
        try:
            import kenlm  # noqa: F401
            use_kenlm = True
        except ImportError:
            use_kenlm = False
    total = oov_total = 0.0
    sentences = words = oovs = 0
    alphabet = _in_lm_case(lm_path, as_alphabet(alphabet))
    texts = text_paths(texts, "score")
    if use_kenlm and backend == "auto" and _arpa_order(lm_path) == 1:
        use_kenlm = False  # KenLM refuses order-1 models; the python scorer reads them
    model = None
    if use_kenlm:
        if is_arpa_file(lm_path):  # KenLM reads bytes: words in another encoding would be OOVs without a word
            read_arpa_unigrams(lm_path)  # (not UTF-8: the error says how to convert it, as beam search's does)
        try:
            model = load_kenlm(lm_path)
        except LanguageModelError:
            if backend != "auto" or not str(lm_path).endswith(".gz"):
                raise
            # a KenLM built without zlib cannot read .gz; the python scorer can (and names any real damage)
    if model is not None:
        for s in _sentences(texts, lines, alphabet):
            s = " ".join(split_words(s))
            if not s:
                continue
            sentences += 1
            ws = s.split(" ")
            words += len(ws)
            for i, (lp, _, oov) in enumerate(model.full_scores(s, bos=True, eos=True)):
                total += lp
                if oov and i < len(ws):
                    oovs += 1
                    oov_total += lp
        _check_sentences(sentences, alphabet, texts, lines)
        result = _result(total, oov_total, sentences, words, oovs, "kenlm")
        _warn_unnormalised(lm_path, result, alphabet, oov_total)
        return result
    scorer = ArrayScorer(read_arpa_arrays(lm_path))
    batch: list[list[str]] = []
    size = 0
    for s in _sentences(texts, lines, alphabet):
        ws = split_words(s)
        if not ws:
            continue
        sentences += 1
        words += len(ws)
        batch.append(ws)
        size += len(ws) + 2
        if size >= _BATCH_TOKENS:
            t, o, n = scorer.score(batch)
            total, oov_total, oovs, batch, size = total + t, oov_total + o, oovs + n, [], 0
    if batch:
        t, o, n = scorer.score(batch)
        total, oov_total, oovs = total + t, oov_total + o, oovs + n
    _check_sentences(sentences, alphabet, texts, lines)
    result = _result(total, oov_total, sentences, words, oovs, "python")
    _warn_unnormalised(lm_path, result, alphabet, oov_total)
    return result


_BATCH_TOKENS = 200_000  # tokens scored together by the python backend (memory: ~100 bytes each)


class ArrayScorer:
    """Back-off scoring on :class:`~.arpa.ArpaArrays`, vectorised over batches of sentences: the log10
    probabilities :meth:`~.arpa.ArpaModel.log10_prob` gives word by word (KenLM's rule: the longest n-gram the model
    has, plus the backoffs of the longer contexts it has), at numpy's speed and the arrays' memory."""

    def __init__(self, model: ArpaArrays) -> None:
        self.order = model.order
        self.index = NGramIndex([[o.words] for o in model.orders], len(model.vocab))
        self.log10_prob: list[np.ndarray] = []  # per order, aligned with index.rows; NaN: a filled-in context
        self.log10_backoff: list[np.ndarray] = []
        for k, o in enumerate(model.orders, 1):
            at, n = self.index.locate(o.words), len(self.index.rows[k - 1])
            lp, bo = np.full(n, np.nan), np.zeros(n)
            lp[at], bo[at] = o.log10_prob, o.log10_backoff
            self.log10_prob.append(lp)
            self.log10_backoff.append(bo)
        self.ids = {model.vocab[i]: int(i) for i in model.orders[0].words[:, 0]}  # the vocabulary: its 1-grams

    def score(self, sentences: Sequence[Sequence[str]]) -> tuple[float, float, int]:
        """``(log10 probability, log10 probability of the OOV words, OOV count)`` of ``sentences`` (word lists),
        each from ``<s>`` to ``</s>``; an OOV word is scored as ``<unk>`` and stays ``<unk>`` in later contexts."""
        unk = self.ids.get(UNK, -1)
        tok, start, oov = [], [], []
        for ws in sentences:
            s0 = len(tok)
            tok.append(self.ids.get(BOS, -1))
            oov.append(False)
            for w in [*ws, EOS]:
                i = self.ids.get(w)
                tok.append(unk if i is None else i)
                oov.append(i is None or i == unk)  # a literal <unk> too, as KenLM counts it
            start.extend([s0] * (len(ws) + 2))
        tok_a, start_a, oov_a = np.array(tok, dtype=np.int64), np.array(start), np.array(oov)
        n, N = len(tok_a), self.order
        pos = np.arange(n)
        known = tok_a >= 0
        last = np.maximum(tok_a, 0)
        idx = [np.where(known, self.index.find(1, None, last), -1)]  # idx[k-1][i]: the k-gram ending at i
        for k in range(2, N + 1):
            prev = np.concatenate([[-1], idx[-1][:-1]])  # the (k-1)-gram ending at i-1: the context
            ok = known & (pos - (k - 1) >= start_a) & (prev >= 0)
            idx.append(np.where(ok, self.index.find(k, np.maximum(prev, 0), last), -1))
        longest = np.minimum(N - 1, pos - start_a)  # context words available (<s> included)
        logp, acc, done = np.zeros(n), np.zeros(n), pos == start_a  # <s> itself is not scored
        for k in range(N, 0, -1):
            active = ~done & (k - 1 <= longest)
            g = idx[k - 1]
            probs = self.log10_prob[k - 1]  # empty for an order the model lists no n-gram of ('ngram 3=0')
            lp = np.where(g >= 0, probs[np.maximum(g, 0)], np.nan) if len(probs) else np.full(n, np.nan)
            hit = active & ~np.isnan(lp)
            logp[hit] = acc[hit] + lp[hit]
            done |= hit
            if k > 1:  # not found: back off, paying the context's backoff where the model has that context
                ctx = np.concatenate([[-1], idx[k - 2][:-1]])
                miss = active & ~hit & (ctx >= 0)
                acc[miss] += self.log10_backoff[k - 2][ctx[miss]]
        logp[~done] = acc[~done] + MISSING_UNK_LOG10  # not even a 1-gram: a model without <unk>
        scored = pos != start_a
        return float(logp[scored].sum()), float(logp[oov_a].sum()), int(oov_a.sum())
