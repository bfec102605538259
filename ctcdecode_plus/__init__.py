"""ctcdecode-plus: Wav2Vec2 CTC transcription with greedy and beam-search decoders, KenLM fusion,
hotwords, decoder comparison, and language-model tools."""
from __future__ import annotations

from .errors import (
    AudioError,
    CtcDecodeError,
    EmissionsError,
    LanguageModelError,
    ManifestError,
    ModelError,
    VocabularyError,
)

__version__ = "0.1.0"
