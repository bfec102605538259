"""Synthesise the domain demo set and choose its hotwords.

Input: ``demo/sentences.txt`` (held-out Python-documentation sentences, written by
``lm/make_corpora.py``) and the corpora ``lm/domain_corpus.txt(.gz)`` /
``lm/general_corpus.txt(.gz)``.

Output:

* ``demo/audio/NNN_<family>.flac`` -- 16 kHz mono 16-bit FLAC, one per sentence; the
  voices cycle over the four families: espeak-ng (training accents), flite,
  festival and the held-out "new voice" (espeak ``en-gb-x-gbcwmd+f4``, never used
  for acoustic training).  Leading/trailing silence trimmed.
* ``demo/manifest.tsv`` -- header ``audio<TAB>text`` (paths relative to the manifest,
  upper-case normalised text), plus ``demo/voices.tsv`` (which voice read what).
* ``demo/hotwords.txt`` -- one a line; see ``choose_hotwords``.

Usage (from the repository root)::

    .venv/bin/python demo/make_demo.py              # demo/ (the set the demo reports on)
    .venv/bin/python demo/make_demo.py --set dev    # demo/dev/ (the set alpha, beta, hotword weight are tuned on)
    .venv/bin/python demo/make_demo.py --set background  # demo/background/ (untranscribed-style speech for
                                                          # calibrating hotword spotting; see below)
    .venv/bin/python demo/make_demo.py --set dev-reread  # runs/dev_reread/ (not committed): the development
                                                          # sentences again, each read by the three other families
    .venv/bin/python demo/make_demo.py --set demo-reread # runs/demo_reread/: the same for the demo sentences
    .venv/bin/python demo/make_demo.py --set dev-soundalike  # runs/dev_soundalike/: hotword-free sound-alikes
                                                              # of the development hotwords, four readings each

``runs/dev_reread/`` (session 20): each development sentence read again by the three voice families that did not
read it in ``demo/dev/`` (480 utterances, other voice draws), so that hotword settings are chosen on four readings
of every development hotword and 552 hotword-free utterances instead of one reading and 138
(``runs/dev_reread/dev_and_reread.tsv``: both sets, 640 utterances). Written without sox dither, so a rerun gives
the same files; too large to commit (about 36 MB). ``--set demo-reread`` does the same for the demo sentences
(``runs/demo_reread/``, 192 utterances, ``demo_and_reread.tsv`` 256): a larger test set, never tuned on.

``runs/dev_soundalike/`` (session 26): the 38 sentences of ``demo/dev/soundalike.txt``, each full of ordinary words
that sound like a development hotword (DETECTIVES for DIRECTIVES, THE PAINTED WINDOW for PANEDWINDOW, GORILLA for
MOZILLA) and none of them, read by all four families (152 utterances, ``sNNN_k_family.flac``, no dither). The
development set had no such negatives, so settings chosen on it could not see a hotword forced onto a word that
merely sounds like it (the session-25 model's 4 of 19 on ``demo/newterms``' sound-alikes). ``dev_all.tsv`` there:
``dev_and_reread.tsv`` (written first by ``--set dev-reread``) and these, 792 utterances: the set the export gates
measure on (``training/train.py``, ``dev_manifest``) and ``benchmarks/hotword_soundalikes.py`` reports on;
``benchmarks/demo_table.sh`` still tunes on the 640 (``demo/README.md`` says why).

``demo/background/``: 64 general-English sentences read by the same voice families, none of them with a demo or
development hotword: the acoustic training's held-out validation sentences (``training.text``: never synthesised
for training, in no language model). Spotting calibration
(``BeamSearchDecoder.calibrate_spotting``) uses only its audio, as a user would use untranscribed recordings.
"""
from __future__ import annotations

import gzip
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
sys.path.insert(0, str(ROOT))

from training.synth import FESTIVAL_VOICES, FLITE_VOICES, _tts, pick_voice  # noqa: E402

SEED = 77
FAMILIES = ["espeak", "flite", "festival", "newvoice"]
MAX_DOMAIN_COUNT = 12
# Ordinary English words that pass the frequency test but are not domain terms.
NOT_DOMAIN_TERMS = {
    "INTERVENING", "INTERACTING", "CONSUMED", "DESCRIBES", "TRACKING", "OVERVIEW", "PROFILE", "COMPRESSES",
    "RECALCULATE", "UNCONNECTED",
    # same test on the development set (demo/dev)
    "HORIZONTALLY", "VERTICALLY", "LOCATES",
    # the development set grown to 160 sentences (session 7), before any decoding of it
    "FLIPS", "MULTIPLES", "CANCELS", "RECURRING", "ZONES", "SCANNED", "SHIFTED", "NARROWING", "RETRIEVES",
    "BEHAVES", "DESCENDANT", "REGRESSION", "CONDITIONAL", "INTERCEPT", "INVOKING", "REPRESENTABLE", "TRUNCATE",
    "AWAITED", "YIELDED",
}
# How a reader says a hotword that a voice's letter-to-sound rules misread (session 14): the TTS input only, the
# transcript keeps the hotword. `demo/audit_pronunciations.py` prints what each voice says for every hotword
# occurrence; these are the ones where the voice drops sounds the spelling carries or spells a word out:
# festival's cmu_us_slt_arctic_hts said HEAPPUSH as "hh iy ah sh" (no P), espeak's new voice PTEXT as "t'Ekst"
# (silent P, the same sounds as TEXT), flite's kal NBYTES letter by letter ("N B Y T E S"). Accent features
# stay (the new voice's "Ekst'Ets" for HEXTETS drops the H as that accent does), as do readings of an unfamiliar
# identifier as one word (CAFILE "k'afaIl").
READ_AS = {"HEAPPUSH": "heap push", "PTEXT": "p text", "NBYTES": "n bytes"}


def tts_input(text: str) -> str:
    """What a voice is given to read for the transcript ``text``: hotwords respelled as a reader says them
    (``READ_AS``)."""
    return " ".join(READ_AS.get(w, w) for w in text.split())


def read_corpus(stem: str) -> list[str]:
    p = ROOT / "lm" / stem
    if p.exists():
        return p.read_text().splitlines()
    with gzip.open(str(p) + ".gz", "rt") as fh:
        return fh.read().splitlines()


def choose_hotwords(sentences: list[str]) -> list[tuple[str, int]]:
    """Technical words of the demo sentences that the LMs lack or underweight.

    A word of the demo sentences (>= 4 letters, no apostrophe) is a hotword when it never occurs in
    the general corpus and at most ``MAX_DOMAIN_COUNT`` times in the domain corpus (which excludes
    the demo sentences), unless it is plain English (``NOT_DOMAIN_TERMS``, by inspection).
    """
    dom = Counter(w for line in read_corpus("domain_corpus.txt") for w in line.split())
    gen = Counter(w for line in read_corpus("general_corpus.txt") for w in line.split())
    words = sorted({w for s in sentences for w in s.split()})
    out = [
        (w, dom[w])
        for w in words
        if len(w) >= 4 and "'" not in w and gen[w] == 0 and dom[w] <= MAX_DOMAIN_COUNT and w not in NOT_DOMAIN_TERMS
    ]
    return sorted(out, key=lambda t: (t[1], t[0]))


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["demo", "dev", "background", "dev-reread", "demo-reread", "dev-soundalike"],
                    default="demo",
                    help="demo: the demo set in demo/; dev: the development set in demo/dev/ (other sentences, "
                         "hotwords and voices, for tuning); background: demo/background/ (general English, for "
                         "calibrating hotword spotting); dev-reread: runs/dev_reread/ (the development "
                         "sentences read by the three other voice families; not committed); demo-reread: "
                         "runs/demo_reread/ (the same for the demo sentences: a larger test, never tuned on); "
                         "dev-soundalike: runs/dev_soundalike/ (demo/dev/soundalike.txt read by all four families, "
                         "and dev_all.tsv: those with runs/dev_reread/dev_and_reread.tsv)")
    args = ap.parse_args()
    if args.set == "dev-soundalike":
        soundalikes()
        return
    if args.set == "background":
        out = DEMO / "background"
        out.mkdir(exist_ok=True)
        (out / "sentences.txt").write_text("\n".join(background_sentences()) + "\n")
        synthesise(out, SEED + 2, hotwords=False)
        return
    if args.set.endswith("-reread"):
        name = args.set.split("-")[0]  # dev or demo
        source, rel = (DEMO / "dev", "../../demo/dev/") if name == "dev" else (DEMO, "../../demo/")
        out = ROOT / "runs" / f"{name}_reread"
        out.mkdir(parents=True, exist_ok=True)
        (out / "sentences.txt").write_text((source / "sentences.txt").read_text())
        synthesise(out, SEED + (3 if name == "dev" else 4), readings=(1, 2, 3), dither=False)
        both = [line for f, prefix in ((source / "manifest.tsv", rel), (out / "manifest.tsv", ""))
                for line in [prefix + row for row in f.read_text().splitlines()[1:] if row.strip()]]
        (out / f"{name}_and_reread.tsv").write_text("audio\ttext\n" + "\n".join(both) + "\n")
        print(f"{out / f'{name}_and_reread.tsv'}: {source.relative_to(ROOT)} and these, {len(both)} utterances")
        return
    synthesise(DEMO if args.set == "demo" else DEMO / "dev", SEED if args.set == "demo" else SEED + 1)


def soundalikes() -> None:
    """``--set dev-soundalike``: see the module's docstring. Refuses a sentence with a demo or development hotword,
    or with the words of one's spoken form in a row (those would be the hotword said, not a sound-alike)."""
    sentences = (DEMO / "dev" / "soundalike.txt").read_text().splitlines()
    both = ROOT / "runs" / "dev_reread" / "dev_and_reread.tsv"
    if not both.is_file():
        sys.exit(f"{both} is missing: run `demo/make_demo.py --set dev-reread` first")
    problems = soundalike_problems(sentences)
    if problems:
        sys.exit("demo/dev/soundalike.txt: " + "; ".join(problems))
    out = ROOT / "runs" / "dev_soundalike"
    out.mkdir(parents=True, exist_ok=True)
    (out / "sentences.txt").write_text("\n".join(sentences) + "\n")
    synthesise(out, SEED + 5, hotwords=False, readings=(0, 1, 2, 3), dither=False, prefix="s")  # s: its names
    # must not meet dev_reread's (NNN_k_family) in the tuning's emissions folder
    rows = [f"../dev_reread/{r}" for r in both.read_text().splitlines()[1:] if r.strip()]
    rows += [r for r in (out / "manifest.tsv").read_text().splitlines()[1:] if r.strip()]
    (out / "dev_all.tsv").write_text("audio\ttext\n" + "\n".join(rows) + "\n")
    print(f"{out / 'dev_all.tsv'}: {both.relative_to(ROOT)} and these, {len(rows)} utterances")


def soundalike_problems(sentences: list[str]) -> list[str]:
    """What makes ``sentences`` unfit as hotword-free sound-alikes: a demo or development hotword in one, or the
    words of a hotword's automatic spoken form in a row (that is the hotword said), one message each."""
    from ctcdecode_plus.decoders.hotwords import suggest_spoken_forms
    from ctcdecode_plus.lm.arpa import read_arpa_unigrams

    lexicon = read_arpa_unigrams(ROOT / "lm" / "domain_4gram.arpa.gz")
    problems = []
    for f in (DEMO / "hotwords.txt", DEMO / "dev" / "hotwords.txt"):
        for word in f.read_text().split():
            for form in (word, *suggest_spoken_forms(word, lexicon)):
                problems += [f"{s!r} says the hotword {word} ({form}): rewrite it" for s in sentences
                             if f" {form} " in f" {s} "]
    return problems


def background_sentences(n: int = 64) -> list[str]:
    """The first ``n`` held-out validation sentences of the acoustic training text without a demo or dev hotword."""
    from training.text import read_fortunes, split_train_val, utterances_from_fortunes

    _, val = split_train_val(utterances_from_fortunes(read_fortunes()))
    hot = set()
    for f in (DEMO / "hotwords.txt", DEMO / "dev" / "hotwords.txt"):
        hot |= set(f.read_text().split())
    return [s for s in val if not hot & set(s.split())][:n]


def synthesise(out: Path, seed: int, hotwords: bool = True, readings: tuple[int, ...] = (0,),
               dither: bool = True, prefix: str = "") -> None:
    """Synthesise ``out/sentences.txt`` into ``out/audio``, ``out/manifest.tsv``, ``voices.tsv``, ``hotwords.txt``
    (this one only with ``hotwords``). Sentence ``i`` is read once per ``k`` in ``readings``, by family
    ``FAMILIES[(i + k) % 4]`` (file ``NNN_<family>.flac``, or ``NNN_k_<family>.flac`` with several readings);
    ``dither=False`` makes sox write the same bytes on every run; ``prefix`` starts every file name (a set whose
    names must not meet another's in one emissions folder)."""
    sentences = (out / "sentences.txt").read_text().splitlines()
    hot = choose_hotwords(sentences) if hotwords else []
    if hotwords:
        (out / "hotwords.txt").write_text("".join(f"{w}\n" for w, _ in hot))
        hotset = {w for w, _ in hot}
        n_with = sum(any(w in hotset for w in s.split()) for s in sentences)
        print(f"{len(hot)} hotwords; {n_with}/{len(sentences)} demo utterances contain one")
        for w, c in hot:
            print(f"  {w}\t(domain corpus count {c})")

    audio = out / "audio"
    audio.mkdir(exist_ok=True)
    for old in audio.glob("*.flac"):
        old.unlink()
    rng = random.Random(seed)
    rows, voices = [], []
    for i, text in enumerate(sentences):
        for k in readings:
            fam = FAMILIES[(i + k) % len(FAMILIES)]
            if fam == "flite":
                voice = f"{FLITE_VOICES[(i // 4 + k) % len(FLITE_VOICES)]}:d1.00"
            elif fam == "festival":
                voice = FESTIVAL_VOICES[(i // 4 + k) % len(FESTIVAL_VOICES)]
            else:
                voice = pick_voice(fam, rng)
            name = prefix + (f"{i:03d}_{fam}.flac" if len(readings) == 1 else f"{i:03d}_{k}_{fam}.flac")
            with tempfile.TemporaryDirectory() as tmp:
                wav = f"{tmp}/x.wav"
                _tts("espeak" if fam == "newvoice" else fam, voice, tts_input(text), wav)
                subprocess.run(
                    ["sox", *([] if dither else ["-D"]), wav, "-r", "16000", "-c", "1", "-b", "16",
                     str(audio / name), "norm", "-3",
                     "silence", "1", "0.05", "0.5%", "reverse", "silence", "1", "0.05", "0.5%", "reverse",
                     "pad", "0.15", "0.15"],
                    check=True,
                )
            rows.append(f"audio/{name}\t{text}")
            voices.append(f"audio/{name}\t{fam}\t{voice}")
    (out / "manifest.tsv").write_text("audio\ttext\n" + "\n".join(rows) + "\n")
    (out / "voices.tsv").write_text("audio\tfamily\tvoice\n" + "\n".join(voices) + "\n")
    size = sum(p.stat().st_size for p in audio.glob("*.flac"))
    print(f"{len(rows)} utterances, {size / 1e6:.1f} MB of FLAC")


if __name__ == "__main__":
    main()
