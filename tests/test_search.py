"""The faster search loop (decoders/search.py) returns pyctcdecode's beams and scores, with the likelier path's
word frames where paths merge."""
from __future__ import annotations

import numpy as np
import pytest

pyctcdecode = pytest.importorskip("pyctcdecode")

from ctcdecode_plus.decoders import BeamSearchDecoder  # noqa: E402
from ctcdecode_plus.decoders.search import FastBeamSearchDecoderCTC  # noqa: E402

LABELS = list(" abcdefghijklmnopqrstuvwxyz'") + [""]


def _flattened(logits: np.ndarray, seed: int) -> np.ndarray:
    """The real logits made uncertain (temperature 3 + noise): many tokens per frame, many merges and words."""
    rng = np.random.default_rng(seed)
    return (logits / 3.0 + rng.normal(0.0, 1.0, logits.shape)).astype(np.float32)


def _beams(decoder, logits, **kwargs):
    """decode_beams output without the KenLM state objects and word frames: (text, has state, words, logit,
    combined). Frames may differ from pyctcdecode's: test_word_frames_are_the_likelier_paths."""
    return [(text, state is not None, [w for w, _ in frames], float(logit), float(combined))
            for text, state, frames, logit, combined in decoder.decode_beams(logits, **kwargs)]


OPTIONS = [
    {},
    {"prune_history": True},
    # single words: a list with a phrase is scored by PhraseHotwordScorer, not as pyctcdecode scores it
    # (test_decoders.py::test_a_hotword_phrase_is_boosted_only_where_it_stands_whole)
    {"hotwords": ["bunny", "looney", "rabbit"], "hotword_weight": 6.0, "prune_history": True},
    {"hotwords": ["bunny"], "hotword_weight": 10.0},
    {"beam_width": 8, "beam_prune_logp": -4.0, "token_min_logp": -8.0},
    # words the speech holds, some more than once: the hotword score counted word by word (hotword_stepper)
    {"hotwords": ["have", "i", "mind", "remember", "doubt"], "hotword_weight": 4.0},
]


@pytest.mark.parametrize("with_lm", [False, True], ids=["no-lm", "kenlm"])
@pytest.mark.parametrize("options", OPTIONS, ids=["default", "prune-history", "hotwords", "one-hotword", "narrow",
                                                  "spoken-hotwords"])
def test_same_beams_as_pyctcdecode(pyctc_data, libri_emissions, with_lm, options):
    bare = pyctcdecode.build_ctcdecoder(LABELS, str(pyctc_data / "bugs_bunny_kenlm.arpa") if with_lm else None)
    fast = FastBeamSearchDecoderCTC(bare._alphabet, bare._language_model)
    logits = libri_emissions.log_probs
    counts = []
    for inputs in (logits, _flattened(logits, 0), _flattened(logits, 1)[:150]):
        expected = _beams(bare, inputs, **options)
        counts.append(len(expected))
        assert _beams(fast, inputs, **options) == expected
        assert _beams(fast, inputs, **options) == expected  # again, with the partial-word cache filled
    assert max(counts) > 1  # alternatives were compared, not only the best beam


def test_beam_decoder_searches_with_the_fast_loop(pyctc_data, libri_emissions):
    """BeamSearchDecoder (no blank skipping) gives pyctcdecode's transcript on uncertain logits."""
    lm = pyctc_data / "bugs_bunny_kenlm.arpa"
    bare = pyctcdecode.build_ctcdecoder(LABELS, str(lm))
    ours = BeamSearchDecoder(lm, blank_skip_threshold=None)
    for seed in range(3):
        logits = _flattened(libri_emissions.log_probs, seed)
        em = type(libri_emissions).from_logits(logits, LABELS, 0.02, f"flat{seed}")
        text, _, frames, _, _ = bare.decode_beams(logits, prune_history=True)[0]
        got = ours.decode(em)
        assert got.text == text and [w.word for w in got.words] == [w for w, _ in frames]
    assert isinstance(ours._decoder_for(em.labels)[0], FastBeamSearchDecoderCTC)


def test_word_frames_are_the_likelier_paths(pyctc_data, libri_emissions):
    """Where paths merge, the beam keeps the likelier one's word frames (pyctcdecode: the last one's), so on real
    logits the best beam's words sit where the greedy alignment puts them."""
    from ctcdecode_plus.decoders import GreedyDecoder

    greedy = GreedyDecoder(fill_gap_seconds=None).decode(libri_emissions)  # the letters' own frames
    bare = pyctcdecode.build_ctcdecoder(LABELS)
    fast = FastBeamSearchDecoderCTC(bare._alphabet, bare._language_model)
    for decoder, expect_greedy in ((fast, True), (bare, False)):
        text, _, frames, _, _ = decoder.decode_beams(libri_emissions.log_probs)[0]
        assert text == greedy.text
        spans = [(round(w.start / 0.02), round(w.end / 0.02)) for w in greedy.words]
        assert (list(map(tuple, (f for _, f in frames))) == spans) is expect_greedy



def test_partial_word_cache_is_bounded_and_harmless(monkeypatch, pyctc_data, libri_emissions):
    """The partial-word scores kept between utterances are dropped past the limit; results never change."""
    from ctcdecode_plus.decoders import search

    bare = pyctcdecode.build_ctcdecoder(LABELS, str(pyctc_data / "bugs_bunny_kenlm.arpa"))
    fast = FastBeamSearchDecoderCTC(bare._alphabet, bare._language_model)
    monkeypatch.setattr(search, "_PARTIAL_CACHE_LIMIT", 50)
    logits = _flattened(libri_emissions.log_probs, 2)
    expected = _beams(bare, logits)
    assert _beams(fast, logits) == expected
    (cache,) = fast._partial_caches.values()
    assert len(cache) > 50
    cache["marker"] = 0.0
    assert _beams(fast, logits) == expected
    assert "marker" not in cache  # cleared before the second utterance, then refilled
    assert len(cache) > 50


def test_the_hotword_score_step_by_step_equals_the_whole_texts():
    """The search scores a new text from the text it extends (``hotword_stepper``): the same float, to the bit, as
    the scorer's regular expression over the whole text, for pyctcdecode's scorer and for phrases, short entries
    (``full_letters``) and refunds; with 1,000 hotwords the whole-text expression took 70 % of the decoding time."""
    from pyctcdecode.language_model import HotwordScorer

    from ctcdecode_plus.decoders.search import PhraseHotwordScorer, hotword_stepper

    rng = np.random.default_rng(7)
    vocab = ["a", "see", "plus", "c", "heap", "push", "es", "tee", "dee", "lib", "the", "kafka"]
    scorers = [HotwordScorer.build_scorer(["heap", "c", "kafka"], weight=3.3),
               PhraseHotwordScorer.build(["see plus plus", "see plus", "c", "heap push", "es tee dee lib", "kafka"],
                                         2.7, refund={"es": 1.1, "tee": 0.7, "dee": 0.7, "lib": 0.3},
                                         full_letters=4),
               PhraseHotwordScorer.build(["plus plus", "a", "the"], 10.0, full_letters=1)]
    for scorer in scorers:
        step = hotword_stepper(scorer)
        assert step("", "", "") == scorer.score("")
        texts = [""]
        for _ in range(400):
            text = texts[int(rng.integers(len(texts)))]
            word = str(rng.choice(vocab))
            new_text = f"{text} {word}" if text else word
            assert step(new_text, text, word) == scorer.score(new_text), (type(scorer).__name__, new_text)
            at_end = scorer.at_end() if isinstance(scorer, PhraseHotwordScorer) else scorer  # no refund left open
            assert step(new_text, text, word, True) == at_end.score(new_text), (type(scorer).__name__, new_text)
            texts.append(new_text)
        assert max(len(t.split()) for t in texts) > 8 and any(scorer.score(t) > 0 for t in texts)
        assert any(scorer.score(t) != at_end.score(t) for t in texts) or not isinstance(scorer, PhraseHotwordScorer) \
            or not scorer._prefixes
