"""Offline speech synthesis of the training pool and the validation sets.

Engines ("voice families"): espeak-ng (several accents x voice variants, varied
speed and pitch), flite (kal, kal16, awb, rms, slt; varied duration stretch) and
festival (kal_diphone, ked_diphone, cmu_us_slt_arctic_hts).  Everything is
converted to 16 kHz mono 16-bit FLAC with sox under ``training/cache/audio``.

Manifests (TSV, header ``path family voice duration text``; paths relative to
``training/cache``):

* ``val.tsv``      the held-out validation sentences, each synthesised once per
                   family (voice cycled within the family), plus family
                   ``newvoice``: the same sentences with an espeak accent+variant
                   that is never used for training (``HELD_OUT_VOICE``).
* ``train.tsv``    the training pool; appended to as synthesis proceeds, so the
                   trainer can start early and pick up more utterances later.
                   Re-running resumes (ids already present are skipped).

Usage::

    python -m training.synth --val                # validation sets (~600 utts)
    python -m training.synth --train 15000 -j 2   # training pool (fortunes)
    python -m training.synth --wordnet 24000 -j 2 # + WordNet example sentences
    python -m training.synth --nonce 8000 -j 2    # nonce-word sentences (training/nonce.py), train_nonce.tsv
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from multiprocessing import Pool
from pathlib import Path

import soundfile as sf

CACHE = Path(__file__).resolve().parent / "cache"
SEED = 4321

ESPEAK_ACCENTS = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-us-nyc", "en-gb-x-rp", "en-gb-x-gbclan"]
ESPEAK_VARIANTS = ["", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4", "+f5"]
# Never used for training: the "new voice" check.  (The whole West-Midlands accent is held out.)
HELD_OUT_VOICE = "en-gb-x-gbcwmd+f4"
FLITE_VOICES = ["kal", "kal16", "awb", "rms", "slt"]
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]
FAMILIES = ["espeak", "flite", "festival"]
# share of the training pool per family (festival is the slowest to synthesise)
FAMILY_WEIGHTS = {"espeak": 0.45, "flite": 0.35, "festival": 0.20}


def pick_voice(family: str, rng: random.Random) -> str:
    """A voice spec string for ``family`` (includes speed/pitch settings)."""
    if family == "espeak":
        voice = rng.choice(ESPEAK_ACCENTS) + rng.choice(ESPEAK_VARIANTS)
        return f"{voice}:s{rng.randint(135, 195)}:p{rng.randint(25, 75)}"
    if family == "flite":
        return f"{rng.choice(FLITE_VOICES)}:d{rng.uniform(0.85, 1.2):.2f}"
    if family == "festival":
        return rng.choice(FESTIVAL_VOICES)
    if family == "newvoice":
        return f"{HELD_OUT_VOICE}:s{rng.randint(145, 185)}:p{rng.randint(35, 65)}"
    raise ValueError(family)


def _tts(family: str, voice: str, text: str, wav: str) -> None:
    spoken = text.lower()
    if family in ("espeak", "newvoice"):
        name, s, p = voice.split(":")
        cmd = ["espeak-ng", "-v", name, "-s", s[1:], "-p", p[1:], "-w", wav, spoken]
    elif family == "flite":
        name, d = voice.split(":")
        cmd = ["flite", "-voice", name, "--setf", f"duration_stretch={d[1:]}", "-t", spoken, "-o", wav]
    elif family == "festival":
        txt = wav + ".txt"
        Path(txt).write_text(spoken + "\n")
        cmd = ["text2wave", "-eval", f"(voice_{voice})", "-o", wav, txt]
    else:
        raise ValueError(family)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def synth_one(job: tuple[str, str, str, str]) -> tuple[str, str, str, float, str] | None:
    """(uid, family, voice, text) -> manifest row, or None on failure."""
    uid, family, voice, text = job
    rel = f"audio/{family}/{uid}.flac"
    out = CACHE / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "x.wav")
        try:
            _tts(family, voice, text, wav)
            subprocess.run(
                ["sox", wav, "-r", "16000", "-c", "1", "-b", "16", str(out), "norm", "-3"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            )
            info = sf.info(str(out))
        except Exception as exc:  # pragma: no cover - a failing TTS call is skipped
            print(f"failed {uid} {family} {voice}: {exc}", file=sys.stderr)
            return None
    dur = info.frames / info.samplerate
    if dur < 0.5 or dur > 9.0:
        out.unlink(missing_ok=True)
        return None
    return rel, family, voice, dur, text


def _done_ids(manifest: Path) -> set[str]:
    if not manifest.exists():
        return set()
    ids = set()
    for line in manifest.read_text().splitlines()[1:]:
        ids.add(Path(line.split("\t")[0]).stem)
    return ids


def run_jobs(jobs, manifest: Path, processes: int) -> None:
    done = _done_ids(manifest)
    jobs = [j for j in jobs if j[0] not in done]
    new = not manifest.exists()
    with open(manifest, "a", buffering=1) as fh:
        if new:
            fh.write("path\tfamily\tvoice\tduration\ttext\n")
        n = 0
        with Pool(processes) as pool:
            for row in pool.imap(synth_one, jobs, chunksize=4):
                if row is None:
                    continue
                rel, fam, voice, dur, text = row
                fh.write(f"{rel}\t{fam}\t{voice}\t{dur:.3f}\t{text}\n")
                n += 1
                if n % 500 == 0:
                    print(f"{manifest.name}: {n}/{len(jobs)}", flush=True)
    print(f"{manifest.name}: wrote {n} new rows", flush=True)


def fixed_voice_jobs(sentences: list[str], prefix: str, seed: int = SEED) -> list[tuple[str, str, str, str]]:
    """Each sentence once per family + the new voice: flite and festival voices cycled, espeak and the new
    voice drawn with a seeded generator. Ids are ``<prefix>_<family>_<index>``."""
    rng = random.Random(seed)
    jobs = []
    for fam in FAMILIES + ["newvoice"]:
        for i, text in enumerate(sentences):
            if fam == "espeak":
                voice = pick_voice("espeak", rng)
            elif fam == "flite":
                voice = f"{FLITE_VOICES[i % len(FLITE_VOICES)]}:d1.00"
            elif fam == "festival":
                voice = FESTIVAL_VOICES[i % len(FESTIVAL_VOICES)]
            else:
                voice = pick_voice("newvoice", rng)
            jobs.append((f"{prefix}_{fam}_{i:04d}", fam, voice, text))
    return jobs


def val_jobs() -> list[tuple[str, str, str, str]]:
    return fixed_voice_jobs((CACHE / "val_text.txt").read_text().splitlines(), "val")


def train_jobs(n: int, text_file: str = "train_text.txt", prefix: str = "tr", seed: int = SEED + 1
               ) -> list[tuple[str, str, str, str]]:
    """``n`` training jobs over the shuffled sentences of ``text_file``, a family drawn per job
    (``FAMILY_WEIGHTS``); ids ``<prefix>_NNNNNN`` (the same ``n`` gives the same jobs, so a pool grows
    by appending)."""
    texts = (CACHE / text_file).read_text().splitlines()
    rng = random.Random(seed)
    rng.shuffle(texts)
    fams = list(FAMILY_WEIGHTS)
    weights = [FAMILY_WEIGHTS[f] for f in fams]
    jobs = []
    for i in range(n):
        text = texts[i % len(texts)]
        fam = rng.choices(fams, weights)[0]
        jobs.append((f"{prefix}_{i:06d}", fam, pick_voice(fam, rng), text))
    return jobs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--val", action="store_true", help="synthesise the validation/new-voice sets")
    ap.add_argument("--train", type=int, default=0, help="size of the training pool")
    ap.add_argument("--wordnet", type=int, default=0,
                    help="number of WordNet example utterances (train_text_wordnet.txt) to add to the pool")
    ap.add_argument("--nonce", type=int, default=0,
                    help="number of nonce-word utterances (train_text_nonce.txt, `python -m training.nonce`) to "
                         "synthesise into their own manifest, train_nonce.tsv")
    ap.add_argument("-j", "--processes", type=int, default=1)
    args = ap.parse_args()
    if not (CACHE / "train_text.txt").exists():
        from training.text import build

        build(CACHE)
    if args.val:
        run_jobs(val_jobs(), CACHE / "val.tsv", args.processes)
    if args.train:
        run_jobs(train_jobs(args.train), CACHE / "train.tsv", args.processes)
    if args.wordnet:
        run_jobs(train_jobs(args.wordnet, "train_text_wordnet.txt", "wn", SEED + 2), CACHE / "train.tsv",
                 args.processes)
    if args.nonce:
        run_jobs(train_jobs(args.nonce, "train_text_nonce.txt", "nw", SEED + 3), CACHE / "train_nonce.tsv",
                 args.processes)


if __name__ == "__main__":
    main()
