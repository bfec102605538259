"""Decoders: one interface, ``decode(emissions) -> Transcript``."""
from .base import Decoder
from .beam import BeamSearchDecoder
from .greedy import GreedyDecoder
from .hotwords import read_hotwords

__all__ = ["Decoder", "GreedyDecoder", "BeamSearchDecoder", "read_hotwords"]
