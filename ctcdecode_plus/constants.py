"""Defaults in one place (as pyctcdecode's ``constants.py`` does)."""
from __future__ import annotations

#: Sampling rate (Hz) wav2vec2 models are trained on; the feature extractor's own value wins when present.
DEFAULT_SAMPLING_RATE = 16_000

#: Beam search defaults (pyctcdecode's own defaults).
DEFAULT_BEAM_WIDTH = 100
DEFAULT_BEAM_PRUNE_LOGP = -10.0
DEFAULT_TOKEN_MIN_LOGP = -5.0
DEFAULT_ALPHA = 0.5
DEFAULT_BETA = 1.5
DEFAULT_UNK_SCORE_OFFSET = -10.0
DEFAULT_HOTWORD_WEIGHT = 10.0
#: Beam search visits one frame of each run of frames whose blank probability exceeds this (None: all frames).
DEFAULT_BLANK_SKIP_THRESHOLD = 0.999
#: A pause of at least this many seconds (frames whose best token is the blank) ends a word where the model put no
#: word delimiter in it (``Emissions.with_pause_breaks``; ``pause_seconds=None`` in a decoder turns it off).
DEFAULT_PAUSE_SECONDS = 0.5
#: A word whose next word starts at most this many seconds after its last letter's frame ends where the next word
#: starts; one before a longer gap (a pause) ends at a word-delimiter frame at most this long after it, if any
#: (``fill_gap_seconds`` in the decoders, ``decoders.base.word_ends``; ``None`` or 0: at its last letter's frame, as
#: pyctcdecode's). A CTC model emits a word's last letter early in its last sound: on 60 festival utterances with the
#: synthesiser's own word boundaries, the demo model's word ends were 75 ms early (median) and 17 % of words had start
#: and end within 50 ms; with this, 24 ms and 85 % (greedy; gaps of 0.15-0.3 s filled gave the same;
#: benchmarks/word_times.py); with the two rules below too (session 20), 22 ms and 90 %.
DEFAULT_FILL_GAP_SECONDS = 0.2
#: With ``fill_gap_seconds`` on, a word before a pause where the model says no word delimiter in reach (most often
#: the last word of a recording) ends this many seconds after its last letter's frame (never past the next word or
#: the end of the audio, never more than ``fill_gap_seconds``). Session 20, benchmarks/word_times.py with the
#: demo model: such words ended 105 ms early (median; 4 % within 50 ms); chosen on the 23 of 60 utterances
#: (0.1 s: -5 ms, 78 %; 0.12 s: +15 ms, 91 %; 0.14 s: +35 ms, 78 %) and checked on 45 of the other 100 (-115 ms,
#: 4 % -> +5 ms, 84 %).
WORD_TAIL_SECONDS = 0.12
#: A word ended at a word-delimiter frame (``word_ends``) ends this long before it: the demo model says the
#: delimiter about a frame after the sound stops. Session 20, benchmarks/word_times.py: such words ended 25 ms late
#: (median; 67 % within 50 ms); 0.02 s: +5 ms, 89 %; 0.04 s: -15 ms, 78 % (27 words of the 60 utterances); on 38 of
#: the other 100: +24 ms, 79 % -> +4 ms, 87 %.
DELIMITER_LAG_SECONDS = 0.02
#: Beam-search word confidence (``BeamSearchDecoder(word_confidence=True)``): the word's posterior in an n-best list
#: of up to this many hypotheses (pyctcdecode keeps those within ``beam_prune_logp`` of the best; weights
#: ``softmax(scale * combined score)``; a hypothesis counts if it has the same word overlapping in time) times its
#: acoustic confidence (the mean probability of its letters' frames in their best alignment) to the power
#: ``ACOUSTIC``. On demo/dev with the domain LM, telling right words from wrong ones: AUC 0.80-0.81 for the posterior
#: alone at scale 0.5, 0.66 for the acoustic confidence alone, 0.865 for this product (scale 0.5, power 0.25; chosen
#: there); on the held-out demo set 0.837; greedy's own confidence on its words 0.78-0.79
#: (benchmarks/word_confidence.py).
WORD_CONFIDENCE_NBEST = 50
WORD_CONFIDENCE_SCALE = 0.5
WORD_CONFIDENCE_ACOUSTIC = 0.25
#: Beam search decodes a recording longer than this (seconds) in pieces of at most this length, cut in its longest
#: pauses (``Emissions.segments``): pyctcdecode's beams and LM cache are keyed by the whole text so far, so one
#: search over an hour grows to gigabytes (``segment_seconds=None`` in ``BeamSearchDecoder`` turns it off).
DEFAULT_SEGMENT_SECONDS = 30.0
#: The share of pyctcdecode's bonus for a partial hotword (``weight * len(prefix) / len(hotword)`` while a word is
#: spelled) that a prefix gets. Whole pushed letters out ("CAFE" -> "KAFE" for KAFKA); on demo/dev at weight 10 half
#: of it changed 0.7 % of the hotword-free utterances instead of 2.2 %, at the same recall and a better WER
#: (8.0 against 8.3 %; benchmarks/partial_bonus.py). Since session 27 none (0): a hotword earns its bonus only when
#: it is whole, as a phrase does (``search.PhraseHotwordScorer``); its prefix still pays no unknown-word penalty. On
#: the development set with its sound-alikes (weight 10, ratio 1) the same recall (97 %) with fewer sound-alikes
#: given a hotword (15.1 against 17.8 %; benchmarks/RESULTS.md, "Hotwords on sound-alikes"). 1: pyctcdecode's.
DEFAULT_HOTWORD_PREFIX_SHARE = 0.0
#: A hotword entry of fewer letters than this (spaces aside) earns ``weight * letters / this`` of the bonus
#: (``BeamSearchDecoder(hotword_full_letters=)``; 1: the whole weight for any entry, as pyctcdecode). A short word
#: costs the search little to write anywhere: on the 640 development utterances (domain LM, weight 10, spotting x1,
#: session 30) the hotwords C R X E I at the whole weight went into 78.3 % of the utterances without them and took
#: WER from 8.6 (no hotwords) to 52.7 %; at 4, 12.6 % and 9.7 %; eight two-letter terms (AI, ML, IO...) 24.2 ->
#: 4.4 %. Entries of 4 letters or more are unchanged (all the demo's and the development set's hotwords).
DEFAULT_HOTWORD_FULL_LETTERS = 4
#: Calibrated hotword spotting: a detection must be at most this share of the hotword's closest false alarm in
#: background speech (nats per character; ``BeamSearchDecoder.calibrate_spotting``).
DEFAULT_SPOTTING_RATIO = 0.7
#: Hotword spotting's check keeps a change only if the acoustics are against it by at most this many nats per
#: character of the words it brings in (``BeamSearchDecoder(spotting_margin=)``; ``None``: no limit, before session
#: 26). Without it the check swapped words the domain LM does not know for a hotword on the unknown-word penalty
#: alone (+11.5 nats at alpha 0.5: PRETENDS -> PREPENDS, DETECTIVES -> DIRECTIVES); on the development set with its
#: sound-alikes (weight 10, ratio 1) 0.5 cut their false insertions from 27.6 to 17.8 % for a recall of 97 instead
#: of 98 % (benchmarks/RESULTS.md, "Hotwords on sound-alikes").
DEFAULT_SPOTTING_MARGIN = 0.5

#: How a character model trained on English text writes each letter's name when a term is read letter by letter
#: (automatic hotword spoken forms, ``decoders.hotwords.suggest_spoken_forms``).
LETTER_NAMES = {
    "A": "AY", "B": "BEE", "C": "SEE", "D": "DEE", "E": "EE", "F": "EF", "G": "GEE", "H": "AITCH", "I": "EYE",
    "J": "JAY", "K": "KAY", "L": "EL", "M": "EM", "N": "EN", "O": "OH", "P": "PEE", "Q": "CUE", "R": "AR",
    "S": "ES", "T": "TEE", "U": "YOU", "V": "VEE", "W": "DOUBLEYOU", "X": "EX", "Y": "WHY", "Z": "ZEE",
}

#: File extensions taken for audio when a folder is expanded (``iter_sources``).
AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aiff", ".aif", ".au", ".webm"})

#: Long-audio chunking (seconds): each chunk runs with ``DEFAULT_CONTEXT_SECONDS`` of audio on both sides. A model
#: folder may set its own in ``MODEL_SETTINGS_FILENAME`` (``{"chunk_seconds": 2.5, "context_seconds": 1}``): a model
#: trained on short utterances reads long windows worse.
DEFAULT_CHUNK_SECONDS = 20.0
DEFAULT_CONTEXT_SECONDS = 2.0
MODEL_SETTINGS_FILENAME = "ctcdecode_plus.json"
DEFAULT_CHUNK_OVERLAP_SECONDS = DEFAULT_CONTEXT_SECONDS  # its name before session 23, for code that imports it

#: Audio whose peak absolute amplitude is below this is treated as silent.
SILENCE_PEAK = 1e-4

#: Name of the shipped demo acoustic model (``--model demo``).
DEMO_MODEL_NAME = "demo"

#: the frame lengths emissions may have, seconds: CTC models put a frame every 10-80 ms (wav2vec2: 20 ms); outside
#: this range a value is a mistake (milliseconds for seconds, a damaged file) that would make absurd times or
#: frame counts too large to hold
MIN_SECONDS_PER_FRAME = 1e-4
MAX_SECONDS_PER_FRAME = 10.0

#: A language model that knows fewer words than this is warned about when a decoder uses it: every other word is
#: scored as unknown (``unk_score_offset``), so beam search with it can be far worse than without (a 2-word model
#: took the demo's WER from 40 to 82 %: words glued together).
SMALL_LM_WORDS = 100
