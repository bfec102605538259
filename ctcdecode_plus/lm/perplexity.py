"""Perplexity and out-of-vocabulary rate of text under an n-gram model (KenLM, or a pure-Python ARPA scorer).

Conventions are KenLM ``query``'s: each line is a sentence scored with ``<s>`` context and a final ``</s>``;
perplexity = ``10 ** (-log10 total / (words + sentences))``; "excluding OOVs" leaves the OOV words' scores and
counts out.
"""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from ..errors import LanguageModelError
from .arpa import read_arpa
from .counts import BOS, EOS, UNK, iter_text_lines
from .normalize import Alphabet, Normalizer

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


@contextlib.contextmanager
def _quiet_stderr():
    """KenLM prints loading progress on fd 2; keep the user's terminal clean."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)


def load_kenlm(lm_path: PathLike):
    """``kenlm.Model`` with errors turned into :class:`LanguageModelError` naming file and line."""
    import kenlm  # noqa: WPS433

    p = Path(lm_path)
    if not p.exists():
        raise LanguageModelError(f"{p}: language model file not found; check the path")
    if p.is_dir():
        raise LanguageModelError(f"{p}: is a folder; give the .arpa or .bin file inside it")
    try:
        with _quiet_stderr():
            return kenlm.Model(str(p))
    except Exception as exc:  # kenlm raises OSError/RuntimeError with long C++ messages
        if p.suffix != ".bin" and p.suffix != ".binary":
            read_arpa(p)  # raises a precise file:line error where the ARPA is malformed
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        detail = first.split(" threw ")[-1].strip()  # the reason, not KenLM's C++ function signature
        if detail.count(")") > detail.count("("):
            detail = detail[:-1]
        hint = ("; use --backend python (backend='python') for an order-1 model, or rebuild it with order 2+"
                if "at least a bigram" in detail else "; rebuild it")
        raise LanguageModelError(f"{p}: KenLM cannot load this model ({detail[:200]}){hint}") from None


def _arpa_order(lm_path: PathLike) -> Optional[int]:
    """Highest order in an ARPA file's ``\\data\\`` header, or ``None`` (not ARPA text, unreadable)."""
    try:
        with open(lm_path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if b"\\data\\" not in head:
        return None
    orders = [int(m) for m in re.findall(rb"^ngram\s+(\d+)\s*=", head, flags=re.MULTILINE)]
    return max(orders) if orders else None


def _sentences(texts: Sequence[PathLike], lines: Optional[Iterable[str]], alphabet: Optional[Alphabet]):
    norm = Normalizer(alphabet) if alphabet is not None else None
    def gen():
        for p in texts:
            for _, line in iter_text_lines(p):
                yield line
        if lines is not None:
            yield from lines
    for line in gen():
        if norm is not None:
            yield from norm.line(line)
        else:
            yield line


def perplexity(
    lm_path: PathLike,
    texts: Sequence[PathLike] = (),
    *,
    lines: Optional[Iterable[str]] = None,
    alphabet: Optional[Alphabet] = None,
    backend: str = "auto",
) -> PerplexityResult:
    """Perplexity and OOV rate of text files (and/or ``lines``) under ``lm_path`` (ARPA, ``.gz`` or KenLM binary).

    ``backend``: ``"kenlm"``, ``"python"`` (ARPA only), or ``"auto"`` (KenLM when importable).
    Empty lines are skipped. Text is normalised to ``alphabet`` first when one is given.
    """
    if backend not in ("auto", "kenlm", "python"):
        raise LanguageModelError(f"backend {backend!r}: choose auto, kenlm or python")
    use_kenlm = backend == "kenlm"
    if backend == "auto":
        try:
            import kenlm  # noqa: F401
            use_kenlm = not str(lm_path).endswith(".gz")
        except ImportError:
            use_kenlm = False
    total = oov_total = 0.0
    sentences = words = oovs = 0
    texts = [texts] if isinstance(texts, (str, os.PathLike)) else texts  # one path, not its characters
    if isinstance(lines, str):
        lines = [lines]
    if use_kenlm and backend == "auto" and _arpa_order(lm_path) == 1:
        use_kenlm = False  # KenLM refuses order-1 models; the python scorer reads them
    if use_kenlm:
        model = load_kenlm(lm_path)
        for s in _sentences(texts, lines, alphabet):
            s = " ".join(s.split())
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
        return _result(total, oov_total, sentences, words, oovs, "kenlm")
    model = read_arpa(lm_path)
    vocab = model.vocab
    for s in _sentences(texts, lines, alphabet):
        ws = s.split()
        if not ws:
            continue
        sentences += 1
        words += len(ws)
        ctx: tuple[str, ...] = (BOS,)
        for w in ws + [EOS]:
            is_oov = w not in vocab
            lp, _ = model.log10_prob(UNK if is_oov else w, ctx)
            total += lp
            if is_oov:
                oovs += 1
                oov_total += lp
            ctx = (ctx + (UNK if is_oov else w,))[-(model.order - 1):] if model.order > 1 else ()
    return _result(total, oov_total, sentences, words, oovs, "python")
