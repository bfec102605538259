"""One exception family for every error a user can cause.

Each message names the input that was wrong and says how to fix it. The CLI turns any
:class:`CtcDecodeError` into a one-line message and a non-zero exit status, never a traceback.
"""
from __future__ import annotations


class CtcDecodeError(Exception):
    """Base class of all user-facing errors of ctcdecode-plus."""


class AudioError(CtcDecodeError):
    """An audio file or array could not be used (missing, corrupt, empty, silent)."""


class ModelError(CtcDecodeError):
    """An acoustic model folder or hub id could not be loaded as a CTC model with a tokenizer."""


class EmissionsError(CtcDecodeError):
    """Logits/emissions are malformed: wrong shape, width not matching the labels, NaN or inf."""


class VocabularyError(CtcDecodeError):
    """Labels, hotwords or a language model do not fit the acoustic model's alphabet."""


class LanguageModelError(CtcDecodeError):
    """A language model file is missing, malformed or truncated, or cannot be built from the given text."""


class ManifestError(CtcDecodeError):
    """A manifest (TSV or JSON lines) is empty, malformed or lacks required columns."""


def unexpected(source: object, exc: Exception, what: str) -> CtcDecodeError:
    """A :class:`CtcDecodeError` for an exception nothing here anticipated while ``what`` (``"decoding"``...) ran on
    one item of a batch, naming ``source``: that item fails and the batch goes on. The traceback is logged at
    DEBUG level (``ctcdecode-plus -v``, or ``logging.getLogger("ctcdecode_plus")``) for the report it asks for."""
    import logging

    logging.getLogger("ctcdecode_plus").debug("%s: %s failed unexpectedly", source, what, exc_info=exc)
    return CtcDecodeError(f"{source}: {what} failed unexpectedly ({type(exc).__name__}: {str(exc)[:200]}); the rest "
                          "of the batch goes on. Please report this with the input that caused it.")
