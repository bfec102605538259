"""General-English training text for the demo acoustic model.

Sources: Debian fortunes (``/usr/share/games/fortunes``), attributions and
formatting stripped, and (from session 8) the example sentences of WordNet's
glosses (Debian ``wordnet-base``, ``/usr/share/wordnet/data.*``); both
normalised to the wav2vec2-base-960h alphabet (upper-case A-Z, apostrophe,
single spaces; digits spelt with num2words) and cut into utterances of 3-12
words.

The split is deterministic (seeded): ``VAL_SIZE`` utterances are held out as the
validation *sentences* (never synthesised for training); the rest is the
training text.  ``python -m training.text`` writes both lists into
``training/cache/``, and ``train_text_wordnet.txt`` beside them when WordNet is
installed: the WordNet utterances minus any that contain a demo or dev hotword
(the demo's hotwords must stay words the acoustic model never heard) or that
equal a validation, demo, dev, background or independent-check sentence.
"""
from __future__ import annotations

import argparse
import os
import random
import re
from pathlib import Path

FORTUNE_DIR = Path("/usr/share/games/fortunes")
WORDNET_DIR = Path("/usr/share/wordnet")  # apt-get install wordnet-base
REPO = Path(__file__).resolve().parent.parent
# Files that are not prose (pictures, code, foreign text).
SKIP_FILES = {"ascii-art", "perl", "translate-me"}
VAL_SIZE = 150
SEED = 1234
MIN_WORDS, MAX_WORDS = 3, 12
ALLOWED_SINGLE_LETTERS = {"A", "I"}

_ALPHA_RE = re.compile(r"[^A-Z' ]+")
_SPACE_RE = re.compile(r"\s+")


def _num_to_words(match: re.Match) -> str:
    from num2words import num2words

    tok = match.group(0)
    num, suffix = re.match(r"(\d[\d,]*(?:\.\d+)?)(st|nd|rd|th|s)?", tok, re.I).groups()
    num = num.replace(",", "")
    try:
        if suffix and suffix.lower() in {"st", "nd", "rd", "th"}:
            words = num2words(int(float(num)), to="ordinal")
        elif "." in num:
            words = num2words(float(num))
        elif len(num) == 4 and 1100 <= int(num) <= 2099:
            words = num2words(int(num), to="year")
            if suffix and suffix.lower() == "s":  # 1960s
                words = words + "s" if not words.endswith("y") else words[:-1] + "ies"
        else:
            words = num2words(int(num))
    except Exception:  # pragma: no cover - num2words edge cases
        return " "
    return " " + words + " "


def normalize(text: str) -> str:
    """Map free text to the model alphabet: ``A-Z``, ``'`` and single spaces."""
    t = text.replace("\u2019", "'").replace("`", "'")
    t = t.replace("&", " and ").replace("%", " percent ").replace("+", " plus ")
    t = re.sub(r"\$(\d[\d,]*)", r"\1 dollars", t)
    t = re.sub(r"\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th|s)?\b", _num_to_words, t)
    t = t.replace("-", " ")
    t = t.upper()
    t = _ALPHA_RE.sub(" ", t)
    # keep apostrophes only inside words (DON'T, O'CLOCK), drop quote marks
    t = re.sub(r"(?<![A-Z])'|'(?![A-Z])", " ", t)
    return _SPACE_RE.sub(" ", t).strip()


def read_fortunes(directory: Path = FORTUNE_DIR) -> list[str]:
    """Return the fortunes (one string each), attribution lines removed."""
    out: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.suffix or not path.is_file() or path.name in SKIP_FILES:
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        for block in raw.split("\n%\n"):
            lines = []
            for line in block.splitlines():
                s = line.strip()
                if not s or s == "%":
                    continue
                if s.startswith("--") or s.startswith("-- ") or s.startswith("~~"):
                    break  # attribution: the rest of the block is source info
                lines.append(s)
            if not lines:
                continue
            body = " ".join(lines)
            letters = sum(c.isalpha() for c in body)
            if letters < 0.6 * len(body.replace(" ", "")):
                continue  # pictures / code / tables
            out.append(body)
    return out


_SENT_RE = re.compile(r"(?<=[.!?;:])\s+|\s+--\s+")


def _has_acronym(sentence: str) -> bool:
    words = re.findall(r"[A-Za-z']+", sentence)
    if not words or all(w.isupper() for w in words if len(w) > 1):
        return False  # all-caps text reads as words
    return any(len(w) >= 2 and w.isupper() for w in words)


def read_wordnet_examples(directory: Path | None = None) -> list[str]:
    """Return the quoted example sentences of WordNet's glosses (``data.noun``, ``.verb``, ``.adj``,
    ``.adv`` in ``directory``, default ``WORDNET_DIR``), in file order; empty where WordNet is not
    installed.  Examples with parentheses (alternatives, asides) are left out."""
    directory = Path(directory) if directory is not None else WORDNET_DIR
    out: list[str] = []
    for pos in ("noun", "verb", "adj", "adv"):
        path = directory / f"data.{pos}"
        if not path.exists():
            continue
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue  # licence header / no gloss
            for part in line.split("|", 1)[1].split(";"):
                part = part.strip()
                if part.startswith('"') and "(" not in part:
                    out.append(part.strip('"').strip())
    return out


def utterances_from_fortunes(fortunes: list[str]) -> list[str]:
    """Split texts (fortunes, or any prose) into sentences, normalise, cut into 3-12-word utterances."""
    seen: set[str] = set()
    out: list[str] = []
    for fortune in fortunes:
        for sent in _SENT_RE.split(fortune):
            if _has_acronym(sent) or re.search(r"[<>{}\[\]=/\\|_#@^~*]", sent):
                continue
            norm = normalize(sent)
            words = norm.split()
            if len(words) < MIN_WORDS:
                continue
            if any(len(w) == 1 and w not in ALLOWED_SINGLE_LETTERS for w in words):
                continue
            if any(len(w) > 18 for w in words):
                continue
            # cut long sentences into roughly equal chunks of <= MAX_WORDS words
            n_chunks = -(-len(words) // MAX_WORDS)
            size = -(-len(words) // n_chunks)
            for i in range(0, len(words), size):
                chunk = words[i : i + size]
                if len(chunk) < MIN_WORDS:
                    continue
                utt = " ".join(chunk)
                if utt not in seen:
                    seen.add(utt)
                    out.append(utt)
    return out


def split_train_val(utts: list[str], val_size: int = VAL_SIZE, seed: int = SEED):
    rng = random.Random(seed)
    order = list(range(len(utts)))
    rng.shuffle(order)
    # validation: 4-12 words so every family gets a fair 1-5 s utterance
    val_idx = [i for i in order if 4 <= len(utts[i].split()) <= 12][:val_size]
    val_set = set(val_idx)
    val = [utts[i] for i in val_idx]
    train = [utts[i] for i in order if i not in val_set]
    return train, val


def _held_out_words_and_sentences(val: list[str], hotword_files: tuple[str, ...] = (
        "demo/hotwords.txt", "demo/dev/hotwords.txt")) -> tuple[set[str], set[str]]:
    """Hotwords of the demo and dev sets (``hotword_files``, under the repository), and every sentence that is
    evaluated somewhere."""
    words: set[str] = set()
    for rel in hotword_files:
        path = REPO / rel
        if path.exists():
            words |= {w.strip().upper() for w in path.read_text().split() if w.strip()}
    sentences = set(val)
    from ctcdecode_plus.manifest import read_manifest
    from training.independent_check import LICENSE_DIR, licence_sentences

    for rel in ("demo/manifest.tsv", "demo/dev/manifest.tsv", "demo/background/manifest.tsv"):
        path = REPO / rel
        if path.exists():
            sentences |= {normalize(e.text) for e in read_manifest(path)}
    if LICENSE_DIR.is_dir():
        sentences |= set(licence_sentences())
    return words, sentences


def wordnet_train_text(val: list[str], train: list[str]) -> list[str]:
    """WordNet example utterances for training: new (not in ``train``), no held-out hotword, no evaluated
    sentence."""
    words, sentences = _held_out_words_and_sentences(val)
    known = set(train) | sentences
    return [u for u in utterances_from_fortunes(read_wordnet_examples())
            if u not in known and not words.intersection(u.split())]


def build(out_dir: Path) -> tuple[list[str], list[str]]:
    utts = utterances_from_fortunes(read_fortunes())
    train, val = split_train_val(utts)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "train_text.txt").write_text("\n".join(train) + "\n")
    (out_dir / "val_text.txt").write_text("\n".join(val) + "\n")
    extra = wordnet_train_text(val, train)
    if extra:
        (out_dir / "train_text_wordnet.txt").write_text("\n".join(extra) + "\n")
    return train, val


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "cache"))
    args = ap.parse_args()
    tr, va = build(Path(args.out))
    print(f"train utterances: {len(tr)}  val: {len(va)}")
