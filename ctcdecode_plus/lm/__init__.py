"""Language-model tools: normalise text to a CTC alphabet, count n-grams, estimate modified Kneser-Ney exactly as
KenLM's lmplz does, read/write ARPA, mix models, measure perplexity, and package pyctcdecode decoder folders.

Pipeline: ``normalize`` -> ``counts`` -> ``kneser_ney`` -> ``arpa``; ``build.build_lm`` runs it in one call.
"""
from __future__ import annotations

from .arpa import ArpaModel, read_arpa, write_arpa
from .build import BuildResult, build_lm
from .counts import NGramCounts, count_ngrams
from .kneser_ney import Discount, KneserNeyModel, estimate
from .mix import MixResult, mix_arpa, mix_models
from .normalize import Alphabet, NormalizeStats, normalize_files, normalize_text
from .package import DecoderFolder, load_decoder_folder, save_decoder_folder
from .perplexity import PerplexityResult, perplexity

__all__ = [
    "Alphabet", "ArpaModel", "BuildResult", "DecoderFolder", "Discount", "KneserNeyModel", "MixResult",
    "NGramCounts", "NormalizeStats", "PerplexityResult", "build_lm", "count_ngrams", "estimate",
    "load_decoder_folder", "mix_arpa", "mix_models", "normalize_files", "normalize_text", "perplexity",
    "read_arpa", "save_decoder_folder", "write_arpa",
]
