"""The one label mapping from a CTC tokenizer vocabulary to decoder labels, shared by every decoder.

Rules (the same as pyctcdecode's and ``Wav2Vec2ProcessorWithLM``'s, made explicit):

* the pad token (``<pad>``) is the CTC blank and becomes ``""``;
* the word delimiter (``|``) becomes ``" "``;
* other special tokens (``<s>``, ``</s>``, ``<unk>``, ...) keep a unique placeholder label but are *suppressed*:
  their log-probabilities are floored so no decoder ever emits them.
"""
from __future__ import annotations

import json
import numbers
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

from .errors import VocabularyError

BLANK_LABEL = ""
SPACE_LABEL = " "
_SPECIAL = re.compile(r"^[<\[].+[>\]]$")
_PAD = re.compile(r"^[<\[]pad[>\]]$", re.IGNORECASE)


@dataclass(frozen=True)
class Labels:
    """Decoder labels indexed by token id.

    Attributes:
        labels: one string per vocabulary id: ``""`` blank, ``" "`` word delimiter, characters, or a special token.
        blank_id: index of the CTC blank.
        suppressed: ids that must never be emitted (special tokens other than the blank).
    """

    labels: tuple[str, ...]
    blank_id: int
    suppressed: tuple[int, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def characters(self) -> frozenset[str]:
        """Characters a transcript can contain (word delimiter excluded)."""
        return frozenset(
            lab for i, lab in enumerate(self.labels) if i not in self.suppressed and lab not in (BLANK_LABEL, SPACE_LABEL)
        )

    @property
    def case(self) -> str:
        """``"upper"``, ``"lower"``, ``"mixed"`` or ``"none"`` (no cased letters)."""
        return text_case("".join(self.characters))

    @classmethod
    def from_vocab(
        cls,
        vocab: Mapping[str, int],
        *,
        pad_token: str = "<pad>",
        word_delimiter_token: Optional[str] = "|",
        special_tokens: Iterable[str] = (),
    ) -> "Labels":
        """Build labels from a ``token -> id`` mapping (a tokenizer's ``get_vocab()`` or ``vocab.json``)."""
        if not vocab:
            raise VocabularyError("the vocabulary is empty; a CTC model needs at least a blank and characters.")
        top = max(100 * len(vocab), 100_000)  # ids beyond this are damage (and would allocate a huge label list)
        bad = [(t, i) for t, i in vocab.items()
               if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < top]
        if bad:
            raise VocabularyError(
                f"token {bad[0][0]!r} has id {bad[0][1]!r}; a vocabulary maps each token to its output index, a "
                "whole number >= 0. vocab.json is damaged: save the processor again with save_pretrained()."
            )
        size = max(vocab.values()) + 1
        by_id: list[Optional[str]] = [None] * size
        for token, idx in vocab.items():
            by_id[idx] = token
        specials = set(special_tokens)
        labels: list[str] = []
        blank_id = -1
        suppressed: list[int] = []
        pieces: list[str] = []  # tokens of several characters that are not markup: a subword vocabulary
        for idx, token in enumerate(by_id):
            if token is None:
                token = f"<unused_{idx}>"
            if token == pad_token or (blank_id < 0 and _PAD.match(token)):
                labels.append(BLANK_LABEL)
                blank_id = idx
            elif token == word_delimiter_token:
                labels.append(SPACE_LABEL)
            elif token in specials or _SPECIAL.match(token) or len(token) != 1:
                labels.append(token)
                suppressed.append(idx)
                if token not in specials and not _SPECIAL.match(token) and token.strip():
                    pieces.append(token)
            else:
                labels.append(token)
        if pieces:  # never emitted, they would vanish from every transcript without a word
            raise VocabularyError(
                f"the vocabulary has {len(pieces)} tokens of several characters ({', '.join(map(repr, pieces[:5]))}"
                f"{', ...' if len(pieces) > 5 else ''}): a subword (BPE, word-piece) vocabulary; ctcdecode-plus "
                "decodes character vocabularies, one character a token, as Wav2Vec2's CTC models have. Mark tokens "
                "that are not text as special (special_tokens=, or <...> / [...] names).")
        if blank_id < 0:
            raise VocabularyError(
                f"no CTC blank found in the vocabulary (looked for pad token {pad_token!r}); "
                "pass pad_token= with the token the model uses as blank."
            )
        if SPACE_LABEL not in labels:
            raise VocabularyError(
                f"no word delimiter found in the vocabulary (looked for {word_delimiter_token!r} or ' '); "
                "pass word_delimiter_token=."
            )
        return cls(tuple(labels), blank_id, tuple(suppressed))

    @classmethod
    def from_tokenizer(cls, tokenizer) -> "Labels":
        """Build labels from a Hugging Face CTC tokenizer (``Wav2Vec2CTCTokenizer``)."""
        return cls.from_vocab(
            tokenizer.get_vocab(),
            pad_token=tokenizer.pad_token,
            word_delimiter_token=getattr(tokenizer, "word_delimiter_token", "|"),
            special_tokens=[t for t in tokenizer.all_special_tokens if t != tokenizer.pad_token],
        )

    @classmethod
    def from_folder(cls, folder: Union[str, Path]) -> "Labels":
        """Build labels from a model folder's ``vocab.json`` (and ``tokenizer_config.json`` when present)."""
        folder = Path(folder)
        vocab_file = folder / "vocab.json"
        if not vocab_file.is_file():
            raise VocabularyError(f"{folder}: no vocab.json; save the processor with processor.save_pretrained().")
        cfg_file = folder / "tokenizer_config.json"
        try:
            vocab = json.loads(vocab_file.read_text(encoding="utf-8"))
            cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.is_file() else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise VocabularyError(
                f"{folder}: cannot read vocab.json/tokenizer_config.json ({e}); save the processor again with "
                "processor.save_pretrained()."
            ) from None
        if not isinstance(vocab, dict) or not isinstance(cfg, dict):
            raise VocabularyError(f"{vocab_file}: expected a JSON object mapping tokens to ids.")
        if vocab and all(isinstance(v, dict) for v in vocab.values()):  # multilingual tokenizers nest by language
            vocab = next(iter(vocab.values()))
        return cls.from_vocab(
            vocab,
            pad_token=_token_str(cfg.get("pad_token"), "<pad>"),
            word_delimiter_token=_token_str(cfg.get("word_delimiter_token"), "|"),
        )

    @classmethod
    def from_list(cls, labels: Sequence[str]) -> "Labels":
        """Accept a plain decoder label list (``""`` or ``<pad>`` blank, ``" "`` or ``|`` space)."""
        labels = list(labels)
        bad = [lab for lab in labels if not isinstance(lab, str)]
        if bad:
            raise VocabularyError(f"labels must be strings, got {bad[0]!r}; give one string per vocabulary id.")
        dup = sorted(lab for lab, n in Counter(labels).items() if n > 1)
        if dup:
            raise VocabularyError(
                f"labels {dup!r} appear more than once in the label list; each vocabulary id needs its own label "
                "(use the model's vocabulary, e.g. Labels.from_folder(model_dir))."
            )
        try:
            return cls.from_vocab({lab: i for i, lab in enumerate(labels)}, pad_token="", word_delimiter_token="|")
        except VocabularyError as e:  # from_vocab's fix names its own arguments, which a label list has not
            if "tokens of several characters" in str(e):
                raise
            raise VocabularyError(f"{str(e).split(';')[0]}; a label list marks the blank as '' (or '<pad>') and the "
                                  "word delimiter as ' ' (or '|'); for other tokens build the labels with "
                                  "Labels.from_vocab(vocab, pad_token=..., word_delimiter_token=...).") from None

    def validate_text(self, text: str, what: str) -> str:
        """Return ``text`` in this alphabet's case, or raise naming the characters it cannot spell."""
        converted = apply_case(text, self.case)
        bad = sorted({ch for ch in converted if ch != " " and ch not in self.characters})
        if bad:
            raise VocabularyError(
                f"{what} {text!r} has characters outside the model's alphabet: {''.join(bad)!r}. "
                "Spell it with the alphabet's characters only (e.g. digits as words)."
            )
        return converted


def _token_str(value, default: str) -> str:
    if isinstance(value, dict):  # AddedToken serialised as a dict
        return value.get("content", default)
    return default if value is None else str(value)


def text_case(text: str) -> str:
    """Case of the cased letters in ``text``: ``"upper"``, ``"lower"``, ``"mixed"`` or ``"none"``."""
    has_upper = any(c.isupper() for c in text)
    has_lower = any(c.islower() for c in text)
    if has_upper and has_lower:
        return "mixed"
    return "upper" if has_upper else "lower" if has_lower else "none"


def apply_case(text: str, case: str) -> str:
    """Convert ``text`` to ``case`` (``"upper"``/``"lower"``); other cases leave it unchanged."""
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    return text


def labels_of(obj) -> Optional[Labels]:
    """``obj`` as :class:`Labels` where it is one or carries one as ``.labels`` (an ``AcousticModel``); else ``None``
    (a plain label list, or something else, for the caller to read or refuse)."""
    if isinstance(obj, Labels):
        return obj
    inner = getattr(obj, "labels", None)
    return inner if isinstance(inner, Labels) else None
