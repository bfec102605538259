"""The shipped demo: model, data and language models load and work together (a broken file fails CI)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ctcdecode_plus import AcousticModel, BeamSearchDecoder, GreedyDecoder, cer, read_manifest, wer
from ctcdecode_plus.acoustic import DEMO_MODEL_DIR

REPO = Path(__file__).resolve().parents[1]

#: Greedy CER the shipped model must stay under on the two utterances below. Measured on the shipped weights
#: (session 25's WiSE-FT export): 000_espeak 0.032, 001_flite 0.056 (session 15's sixth stage: 0.032, 0.079). The
#: bound leaves room for float differences across machines, not for a broken model or processor (a random or
#: blank-only model scores about 1.0).
CER_BOUND = 0.35


@pytest.fixture(scope="module")
def demo_model():
    assert (DEMO_MODEL_DIR / "config.json").is_file(), "the demo model is missing from ctcdecode_plus/models/demo"
    return AcousticModel.from_pretrained("demo", device="cpu")


def test_demo_model_is_a_base_960h_style_ctc_model(demo_model):
    assert demo_model.labels.labels[:5] == ("", "<s>", "</s>", "<unk>", " ")
    assert demo_model.labels.case == "upper" and demo_model.seconds_per_frame == pytest.approx(0.02)
    # the cap is the shipped file: at most 30 MB (fp16 weights)
    assert (DEMO_MODEL_DIR / "model.safetensors").stat().st_size <= 30_000_000
    assert sum(p.numel() for p in demo_model.model.parameters()) < 16_000_000


def test_demo_model_transcribes_two_demo_utterances(demo_model):
    entries = {e.id: e for e in read_manifest(REPO / "demo" / "manifest.tsv")}
    for uid in ("000_espeak", "001_flite"):
        em = demo_model.emissions(entries[uid].audio)
        hyp = GreedyDecoder().decode(em).text
        assert cer(entries[uid].text, hyp) < CER_BOUND, (uid, hyp)


def test_demo_files_are_complete():
    entries = read_manifest(REPO / "demo" / "manifest.tsv")
    assert 60 <= len(entries) <= 100 and all(Path(e.audio).is_file() for e in entries)
    dev = read_manifest(REPO / "demo" / "dev" / "manifest.tsv")
    assert not {e.text for e in dev} & {e.text for e in entries}  # tuning data is not the reported data
    hotwords = (REPO / "demo" / "hotwords.txt").read_text().split()
    assert 10 <= len(hotwords) <= 30
    for lm in ("general_3gram", "domain_4gram", "mixed"):
        assert (REPO / "lm" / f"{lm}.arpa.gz").is_file() and (REPO / "lm" / f"{lm}.unigrams.txt").is_file()


def test_domain_lm_fixes_demo_words(demo_model):
    # with the LM weights tuned on demo/dev, beam search with the domain LM has fewer word errors than greedy
    entries = read_manifest(REPO / "demo" / "manifest.tsv")[:6]
    ems = [demo_model.emissions(e.audio) for e in entries]
    refs = [e.text for e in entries]
    greedy = [GreedyDecoder().decode(em).text for em in ems]
    lm = BeamSearchDecoder(REPO / "lm" / "domain_4gram.arpa.gz", alpha=0.5, beta=0.0, beam_width=32)
    fused = [lm.decode(em).text for em in ems]
    assert wer(refs, fused) < wer(refs, greedy)


def test_nbest_keeps_the_best_transcript_and_phrases_are_words(demo_model):
    # on the demo's 030_festival, a search that keeps 5 alternatives once wrote "THE UNETATIONS ARE" where the
    # 1-best search writes "THE ANNOTATIONS ARE"; a spotted phrase was one Word with a space in it
    lm = REPO / "lm" / "domain_4gram.arpa.gz"
    em = demo_model.emissions(REPO / "demo" / "audio" / "030_festival.flac")
    one, five = BeamSearchDecoder(lm).decode(em), BeamSearchDecoder(lm, nbest=5).decode(em)
    assert five.text == one.text == five.nbest[0].text and len({h.text for h in five.nbest}) == len(five.nbest)
    em = demo_model.emissions(REPO / "demo" / "audio" / "013_flite.flac")
    t = BeamSearchDecoder(lm, hotwords=["KEYWORD ARGUMENTS"], hotword_spotting=2.0).decode(em)
    assert "KEYWORD ARGUMENTS" in t.text and [w.word for w in t.words] == t.text.split()


WORD_TIMES = REPO / "tests" / "data" / "word_times"


def _word_time_errors(decoder, ems_and_truth) -> tuple[float, float, float]:
    """Median absolute start and end error and mean signed end error (seconds) of ``decoder``'s words against the
    true ``(word, start, end)`` lists, over the words matched to the same word in the same place."""
    import difflib
    import statistics

    starts, ends, signed_ends = [], [], []
    for em, truth in ems_and_truth:
        hyp = decoder.decode(em).words
        matcher = difflib.SequenceMatcher(a=[w for w, _, _ in truth], b=[w.word for w in hyp], autojunk=False)
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                (_, start, end), w = truth[block.a + k], hyp[block.b + k]
                starts.append(abs(w.start - start))
                ends.append(abs(w.end - end))
                signed_ends.append(w.end - end)
    assert len(starts) >= 20, "too few words recognised to time"
    return statistics.median(starts), statistics.median(ends), statistics.fmean(signed_ends)


def _word_time_table() -> dict:
    import json

    return json.loads((WORD_TIMES / "words.json").read_text())["utterances"]


def test_word_times_match_the_synthesisers_word_boundaries(demo_model):
    """Word times against festival's own word boundaries (tests/data/word_times, one utterance per festival voice;
    benchmarks/word_times.py measures 60): starts within 60 ms (median), and ends too once placed
    (``fill_gap_seconds``); at the last letter's frame, as pyctcdecode's, ends sit early."""
    table = _word_time_table()
    data = [(demo_model.emissions(WORD_TIMES / name), entry["words"]) for name, entry in table.items()]
    for make in (GreedyDecoder, BeamSearchDecoder):
        start, end, _ = _word_time_errors(make(), data)
        assert start <= 0.06 and end <= 0.06, (make.__name__, start, end)
        _, end_unfilled, bias = _word_time_errors(make(fill_gap_seconds=None), data)
        assert end_unfilled > end and bias < -0.03, (make.__name__, end_unfilled, bias)
        # the last word, with no word delimiter after it: WORD_TAIL_SECONDS on (120-140 ms early without)
        for em, words in data:
            assert abs(make().decode(em).words[-1].end - words[-1][2]) <= 0.05, (make.__name__, em.source)


def test_word_times_hold_in_a_long_recording_of_chunks_and_pieces(demo_model, tmp_path):
    """The three utterances joined with 0.6 s of silence (12 s: the demo model reads it in 2.5 s chunks) and beam
    search in pieces (segment_seconds=5): the times of every piece stay where the words are."""
    import numpy as np
    import soundfile as sf

    from ctcdecode_plus import load_audio

    table = _word_time_table()
    pieces, truth, t = [], [], 0.0
    for name, entry in table.items():
        x = load_audio(WORD_TIMES / name).samples
        pieces += [x, np.zeros(9600, dtype=np.float32)]
        truth += [(w, a + t, b + t) for w, a, b in entry["words"]]
        t += len(x) / 16000 + 0.6
    sf.write(tmp_path / "long.wav", np.concatenate(pieces), 16000)
    em = demo_model.emissions(tmp_path / "long.wav")
    assert len(em.segments(5.0)) >= 3
    for decoder in (GreedyDecoder(), BeamSearchDecoder(segment_seconds=5.0)):
        start, end, _ = _word_time_errors(decoder, [(em, truth)])
        assert start <= 0.06 and end <= 0.06, (decoder, start, end)


def test_export_gates_decode_with_the_demos_settings():
    """training's export gates judge a new model as ``scripts/demo.sh`` decodes (its options in the script)."""
    import re

    from training import train as T

    script = "\n".join(ln for ln in (REPO / "scripts" / "demo.sh").read_text().splitlines()
                       if not ln.lstrip().startswith("#"))

    def option(name: str) -> float:
        return float(re.search(rf"--{name} ([0-9.]+)", script).group(1))

    assert (T.GATE_ALPHA, T.GATE_BETA) == (option("alpha"), option("beta"))
    assert T.HOTWORD_GATE == dict(alpha=option("alpha"), beta=option("beta"),
                                  hotword_weight=option("hotword-weight"), spotting_ratio=option("spotting-ratio"))


def test_the_sound_alike_development_sentences_say_no_hotword():
    """demo/dev/soundalike.txt (hotword-free negatives the demo's settings are tuned with) holds no demo or development
    hotword, nor one's spoken form; the check itself finds one that is there."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_demo", REPO / "demo" / "make_demo.py")
    make_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_demo)
    sentences = (REPO / "demo" / "dev" / "soundalike.txt").read_text().splitlines()
    assert len(sentences) >= 30 and all(s == s.upper() and s.strip() for s in sentences)
    assert make_demo.soundalike_problems(sentences) == []
    found = make_demo.soundalike_problems(["THE PAINTED WINDOW", "DRAG THE SCROLL BARS", "A MAKEFILE"])
    assert len(found) == 2 and "SCROLLBARS" in found[0] and "MAKEFILE" in found[1]
