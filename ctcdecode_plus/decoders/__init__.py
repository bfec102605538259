"""Decoders: one interface, ``decode(emissions) -> Transcript``."""
from .base import Decoder
from .beam import BeamSearchDecoder
from .greedy import GreedyDecoder

__all__ = ["Decoder", "GreedyDecoder", "BeamSearchDecoder"]
