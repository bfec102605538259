"""Word-time accuracy against the synthesiser's own word boundaries: greedy, beam search and bare pyctcdecode.

    python benchmarks/word_times.py                      # 60 demo/dev sentences, festival's three voices
    python benchmarks/word_times.py --offset 60 --sentences 100   # the other 100, not used to choose the rule
    python benchmarks/word_times.py --concat 12   # 45 s recordings: chunked through the model, beam search in pieces

festival synthesises each sentence and reports where each word starts and ends (``word_start``/``word_end``: the
first and last of its phone segments, in seconds, exact by construction). The shipped demo model turns the audio into
emissions, and each decoder's words are matched to the reference words (the same word in the same place of the
aligned word sequences: ``difflib``); only matched words are timed. Errors are hypothesis minus truth, in
milliseconds: ``start`` and ``end`` separately, their median absolute value, their mean (a bias: CTC models emit a
character's spike a little after it begins), and the share of words whose start and end are both within 50 and
100 ms. Decoders: greedy; ``BeamSearchDecoder`` without and with the LM, each also with ``fill_gap_seconds=None``
(a word ends at its last letter's frame); bare pyctcdecode on the same emissions (its word frames turned into
seconds as ``BeamSearchDecoder`` turns its own: start frame and end frame times 20 ms).
Needs Debian's festival (``apt-get install festival festvox-kallpc16k festvox-kdlpc16k``) for the audio.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOICES = ("kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts")

_SCHEME = """(voice_{voice})
(define (synth_one text wav)
  (let ((utt (SynthText text)))
    (utt.save.wave utt wav 'riff)
    (mapcar (lambda (w) (format t "W\\t%s\\t%s\\t%s\\t%s\\n" wav (item.name w) (item.feat w "word_start")
                                 (item.feat w "word_end")))
            (utt.relation.items utt 'Word))))
"""


def synthesise(sentences: list[str], voice: str, folder: Path) -> list[tuple[Path, list[tuple[str, float, float]]]]:
    """Each sentence as ``folder/<voice>_<i>.wav`` and its words ``(WORD, start s, end s)`` from festival."""
    script = _SCHEME.format(voice=voice) + "".join(
        f'(synth_one "{s.lower()}" "{folder / f"{voice}_{i:03d}.wav"}")\n' for i, s in enumerate(sentences))
    (folder / f"{voice}.scm").write_text(script)
    out = subprocess.run(["festival", "-b", str(folder / f"{voice}.scm")], capture_output=True, text=True, check=True)
    words: dict[str, list] = {}
    for line in out.stdout.splitlines():
        if line.startswith("W\t"):
            _, wav, word, start, end = line.split("\t")
            word = re.sub(r"[^A-Z']", "", word.upper())
            if word:
                words.setdefault(wav, []).append((word, float(start), float(end)))
    return [(folder / f"{voice}_{i:03d}.wav", words.get(str(folder / f"{voice}_{i:03d}.wav"), []))
            for i in range(len(sentences))]


def matched_errors(truth: list[tuple[str, float, float]], hyp: list[tuple[str, float, float]]):
    """(start error, end error) in seconds for every hypothesis word matched to the same reference word."""
    sm = difflib.SequenceMatcher(a=[w for w, _, _ in truth], b=[w for w, _, _ in hyp], autojunk=False)
    out = []
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            t, h = truth[block.a + k], hyp[block.b + k]
            out.append((h[1] - t[1], h[2] - t[2]))
    return out


def summary(errors: list[tuple[float, float]], total_words: int) -> dict:
    starts = [1000 * s for s, _ in errors]
    ends = [1000 * e for _, e in errors]
    return dict(
        matched=len(errors), reference_words=total_words,
        median_abs_start_ms=statistics.median(map(abs, starts)), median_abs_end_ms=statistics.median(map(abs, ends)),
        mean_start_ms=statistics.fmean(starts), mean_end_ms=statistics.fmean(ends),
        start_within_50ms=sum(abs(s) <= 50 for s in starts) / len(errors),
        within_50ms=sum(abs(s) <= 50 and abs(e) <= 50 for s, e in zip(starts, ends)) / len(errors),
        within_100ms=sum(abs(s) <= 100 and abs(e) <= 100 for s, e in zip(starts, ends)) / len(errors),
    )


def concatenate(clips, n: int, folder: Path, gap: float = 0.6):
    """``clips`` joined ``n`` at a time into longer recordings (16 kHz, ``gap`` seconds of silence between), with
    their word boundaries shifted to match."""
    import numpy as np
    import soundfile as sf

    from ctcdecode_plus import load_audio

    out = []
    for g in range(0, len(clips), n):
        pieces, words, t = [], [], 0.0
        for wav, ws in clips[g: g + n]:
            x = load_audio(wav).samples
            pieces += [x, np.zeros(int(gap * 16000), dtype=np.float32)]
            words += [(w, a + t, b + t) for w, a, b in ws]
            t += len(x) / 16000 + gap
        path = folder / f"long_{g:03d}.wav"
        sf.write(path, np.concatenate(pieces), 16000)
        out.append((path, words))
    return out


def write_fixture(folder: Path) -> None:
    """``tests/data/word_times``: one demo/dev sentence per festival voice, 16 kHz FLAC, and ``words.json``."""
    import soundfile as sf

    from ctcdecode_plus import load_audio

    sentences = [s for s in (ROOT / "demo" / "dev" / "sentences.txt").read_text().split("\n") if s.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for v, voice in enumerate(VOICES):
            [(wav, words)] = synthesise([sentences[v]], voice, Path(tmp))
            audio = load_audio(wav)  # 16 kHz mono, as the model reads it (the HTS voice writes 48 kHz)
            sf.write(folder / f"{voice}.flac", audio.samples, audio.sampling_rate, subtype="PCM_16")
            table[f"{voice}.flac"] = dict(text=sentences[v], words=[[w, round(a, 4), round(b, 4)] for w, a, b in words])
    head = dict(made_by="python benchmarks/word_times.py --fixture tests/data/word_times",
                what="festival's own word boundaries (word_start, word_end; seconds) of the audio beside this file")
    rows = ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in table.items())
    (folder / "words.json").write_text(json.dumps(head, indent=1)[:-2] + ',\n "utterances": {\n' + rows + "\n}}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sentences", type=int, default=60, help="how many demo/dev sentences (split over the voices)")
    ap.add_argument("--offset", type=int, default=0, help="skip this many demo/dev sentences first (60: the ones the "
                                                           "word-end rule was not chosen on)")
    ap.add_argument("--lm", default=str(ROOT / "lm" / "domain_4gram.arpa.gz"))
    ap.add_argument("--alpha", type=float, default=0.8)
    ap.add_argument("--beta", type=float, default=1.5)
    ap.add_argument("--concat", type=int, default=1,
                    help="join this many utterances (0.6 s of silence between) into each recording: long files go "
                         "through the model in chunks and beam search in pieces, and their word times must still fit")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--fixture", type=Path, help="instead: write the first sentence of each voice as FLAC, with its "
                                                 "word boundaries in words.json, into this folder (the test's data)")
    args = ap.parse_args()
    if args.fixture:
        return write_fixture(args.fixture)

    from pyctcdecode import build_ctcdecoder

    from ctcdecode_plus import AcousticModel, BeamSearchDecoder, GreedyDecoder
    from ctcdecode_plus.lm.arpa import read_arpa_unigrams

    sentences = (ROOT / "demo" / "dev" / "sentences.txt").read_text().split("\n")
    sentences = [s for s in sentences if s.strip()][args.offset: args.offset + args.sentences]
    model = AcousticModel.from_pretrained("demo")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        clips = []
        for v, voice in enumerate(VOICES):
            clips += synthesise(sentences[v::len(VOICES)], voice, Path(tmp))
        clips = [(wav, words) for wav, words in clips if words]
        if args.concat > 1:
            clips = concatenate(clips, args.concat, Path(tmp))
        synth_s = time.perf_counter() - t0
        ems = [model.emissions(wav) for wav, _ in clips]
    em0 = ems[0]
    labels = list(em0.labels.labels)
    spf = em0.seconds_per_frame
    names = [lab if i not in em0.labels.suppressed else f"<{i}>" for i, lab in enumerate(labels)]
    unigrams = read_arpa_unigrams(args.lm)
    bare_plain = build_ctcdecoder(names)
    bare_lm = build_ctcdecoder(names, kenlm_model_path=args.lm, unigrams=unigrams, alpha=args.alpha, beta=args.beta)

    def bare(dec):
        def run(em):
            text, _, frames, _, _ = dec.decode_beams(em.log_probs)[0]
            return [(w.upper(), s * spf, e * spf) for w, (s, e) in frames]
        return run

    def ours(dec):
        return lambda em: [(w.word.upper(), w.start, w.end) for w in dec.decode(em).words]

    lm_beam = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta)
    decoders = {
        "greedy": ours(GreedyDecoder()),
        "greedy, fill_gap_seconds=None": ours(GreedyDecoder(fill_gap_seconds=None)),
        "beam": ours(BeamSearchDecoder()),
        "beam, fill_gap_seconds=None": ours(BeamSearchDecoder(fill_gap_seconds=None)),
        "bare pyctcdecode": bare(bare_plain),
        "beam + LM": ours(lm_beam),
        "beam + LM, fill_gap_seconds=None": ours(lm_beam.replace(fill_gap_seconds=None)),
        "bare pyctcdecode + LM": bare(bare_lm),
    }
    total = sum(len(words) for _, words in clips)
    results = {}
    for name, run in decoders.items():
        errors = [e for (_, words), em in zip(clips, ems) for e in matched_errors(words, run(em))]
        results[name] = summary(errors, total)

    what = f"recordings of {args.concat} utterances each" if args.concat > 1 else "utterances"
    print(f"{len(clips)} festival {what} ({', '.join(VOICES)}), {total} words; synthesis and emissions "
          f"{synth_s:.0f} s; errors are decoder minus festival's word boundaries")
    print(f"| decoder | words timed | median abs. start error ms | median abs. end error ms | mean start error ms "
          f"| mean end error ms | start within 50 ms | both within 50 ms | both within 100 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['matched']} of {r['reference_words']} | {r['median_abs_start_ms']:.0f} | "
              f"{r['median_abs_end_ms']:.0f} | {r['mean_start_ms']:+.0f} | {r['mean_end_ms']:+.0f} | "
              f"{100 * r['start_within_50ms']:.1f} % | {100 * r['within_50ms']:.1f} % | "
              f"{100 * r['within_100ms']:.1f} % |")
    if args.json:
        args.json.write_text(json.dumps(dict(utterances=len(clips), words=total, results=results), indent=1) + "\n")


if __name__ == "__main__":
    main()
