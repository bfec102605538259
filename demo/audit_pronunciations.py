"""What each synthetic voice actually says for every hotword occurrence of a demo set.

    .venv/bin/python demo/audit_pronunciations.py demo demo/dev

A hotword test means something only if the audio says the hotword. TTS letter-to-sound rules misread made-up
identifiers: festival's slt voice reads HEAPPUSH as "hh iy ah sh", with no P at all. For each utterance that
holds a hotword, this prints the phonemes its voice (``voices.tsv``) gives the hotword as written and as
``make_demo.READ_AS`` has the voice read it (``tts_input``), in each engine's own phone set: espeak-ng ``-x``,
flite ``-ps``, festival's Segment relation. Reading them is the audit; ``READ_AS`` records its outcome.
"""
from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_demo import tts_input  # noqa: E402


def phonemes(family: str, voice: str, text: str) -> str:
    """The phonemes ``voice`` of ``family`` (as in ``voices.tsv``) gives ``text``; space-separated words."""
    text = text.lower()
    name = voice.split(":")[0]
    if family in ("espeak", "newvoice"):
        cmd, stdin = ["espeak-ng", "-q", "-x", "-v", name, text], None
    elif family == "flite":
        cmd, stdin = ["flite", "-voice", name, "-t", text, "-ps", "-o", "none"], None
    elif family == "festival":
        cmd = ["festival", "--pipe"]
        stdin = (f'(voice_{name}) (set! u (utt.synth (Utterance Text "{text}"))) '
                 "(print (mapcar (lambda (s) (item.name s)) (utt.relation.items u 'Segment)))")
    else:
        raise ValueError(f"unknown voice family {family!r}")
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, check=True).stdout
    last = out.strip().splitlines()[-1] if out.strip() else ""
    return " ".join(last.replace('"', "").strip("()").split())


def audit(folder: Path) -> list[tuple[str, str, str, str, str, str]]:
    """``(audio, family, voice, hotword, phonemes as written, phonemes as read)`` per hotword occurrence."""
    hot = set((folder / "hotwords.txt").read_text().split())
    with open(folder / "voices.tsv", newline="") as fh:
        voices = {r["audio"]: (r["family"], r["voice"]) for r in csv.DictReader(fh, delimiter="\t")}
    rows = []
    with open(folder / "manifest.tsv", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            family, voice = voices[r["audio"]]
            for word in dict.fromkeys(w for w in r["text"].split() if w in hot):
                read = tts_input(word)
                rows.append((r["audio"], family, voice, word, phonemes(family, voice, word),
                             phonemes(family, voice, read) if read != word else "(as written)"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path, help="demo set folders (manifest.tsv, voices.tsv, hotwords.txt)")
    args = ap.parse_args()
    print("| set | audio | voice | hotword | said as written | said as read (READ_AS) |")
    print("|---|---|---|---|---|---|")
    for folder in args.sets:
        for audio, family, voice, word, written, read in audit(folder):
            print(f"| {folder} | {audio} | {family} {voice} | {word} | `{written}` | `{read}` |")


if __name__ == "__main__":
    main()
