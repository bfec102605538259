"""ctcdecode-plus: Wav2Vec2 CTC transcription with greedy and beam-search decoders, KenLM fusion,
hotwords, decoder comparison, and language-model tools.

The pipeline, one module each::

    transcribe (pipeline.py): all of it in one call
    load_audio (audio.py) -> AcousticModel (acoustic.py) -> Emissions (emissions.py)
        -> GreedyDecoder / BeamSearchDecoder (decoders/) -> Transcript (transcript.py)
        -> compare, manifest_items, wer, cer (compare.py, metrics.py)
    lm/: normalise text, count, Kneser-Ney, ARPA, mix, package, perplexity (cp.lm.build_lm, cp.lm.perplexity)
    tune.py: alpha/beta and hotword sweeps on a development set (cp.tune.tune_alpha_beta, tune_hotwords)
"""
from __future__ import annotations

from .acoustic import AcousticModel
from .audio import Audio, load_audio
from .compare import Comparison, Item, compare, manifest_items
from .decoders import BeamSearchDecoder, Decoder, GreedyDecoder, read_hotwords
from .emissions import Emissions
from .errors import (
    AudioError,
    CtcDecodeError,
    EmissionsError,
    LanguageModelError,
    ManifestError,
    ModelError,
    VocabularyError,
)
from .manifest import read_manifest
from .metrics import cer, wer
from .pipeline import each_transcript, load_model, transcribe
from .transcript import Hypothesis, Transcript, Word
from .vocab import Labels
from . import lm, tune  # noqa: E402  (cp.lm.build_lm, cp.tune.tune_alpha_beta)

__version__ = "0.1.0"

__all__ = [
    "transcribe", "each_transcript", "load_model", "AcousticModel", "Audio", "load_audio", "Emissions", "Labels",
    "Decoder", "GreedyDecoder", "BeamSearchDecoder", "read_hotwords",
    "Transcript", "Word", "Hypothesis", "compare", "Comparison", "Item", "manifest_items", "read_manifest", "wer",
    "cer",
    "CtcDecodeError", "AudioError", "ModelError", "EmissionsError", "VocabularyError", "LanguageModelError",
    "ManifestError",
]
