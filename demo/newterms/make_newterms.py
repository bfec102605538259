"""Synthesise the new-terms check: custom vocabulary the demo's settings were never tuned on.

``sentences.tsv`` (id, reference, text the voice reads) holds 19 sentences with one of the 13 terms of
``hotwords.txt`` each (product names, surnames, acronyms read letter by letter, compounds) and 19 without any, full of
words that sound like them (CUBAN NOTES, POSTERS, CAFE, TERRACE FORMS, JEEP YOU). Voices take turns: espeak-ng en-us,
en-gb and en-us+f3, flite slt and rms. Writes ``audio/*.flac`` (16 kHz mono, trimmed as the demo set is) and
``manifest.tsv``. Needs espeak-ng, flite and sox.

    python demo/newterms/make_newterms.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from training.synth import _tts  # noqa: E402

VOICES = [("espeak", "en-us:s160:p50"), ("espeak", "en-gb:s160:p50"), ("espeak", "en-us+f3:s160:p50"),
          ("flite", "slt:d1.00"), ("flite", "rms:d1.00")]


def main() -> None:
    rows = [ln.split("\t") for ln in (HERE / "sentences.tsv").read_text(encoding="utf-8").splitlines() if ln]
    audio = HERE / "audio"
    audio.mkdir(exist_ok=True)
    for old in audio.glob("*.flac"):
        old.unlink()
    out = []
    for i, (uid, reference, spoken) in enumerate(rows):
        family, voice = VOICES[i % len(VOICES)]
        name = f"{uid}_{family}_{voice.split(':')[0].replace('+', '_')}.flac"
        with tempfile.TemporaryDirectory() as tmp:
            wav = f"{tmp}/x.wav"
            _tts(family, voice, spoken, wav)
            subprocess.run(["sox", wav, "-r", "16000", "-c", "1", "-b", "16", str(audio / name), "norm", "-3",
                            "silence", "1", "0.05", "0.5%", "reverse", "silence", "1", "0.05", "0.5%", "reverse",
                            "pad", "0.15", "0.15"], check=True)
        out.append(f"audio/{name}\t{reference}")
    (HERE / "manifest.tsv").write_text("audio\ttext\n" + "\n".join(out) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in audio.glob("*.flac"))
    print(f"{len(out)} utterances, {size / 1e6:.1f} MB of FLAC")


if __name__ == "__main__":
    main()
