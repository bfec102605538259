"""Training text with made-up words, so the acoustic model learns to spell what it hears, not only words it knows.

The demo's hotwords (``MAXFDS``, ``HEXTETS``, ``CAFILE``) are words the model never heard, and recall depends on
how well it spells them from their sound. Fortunes and WordNet teach spelling only through the ~40,000 word types
they hold, so a trained model leans towards a known word (``CAFILE`` heard as ``CAFOIL``, ``MAXFDS`` as ``ACTS``).
Here each utterance is a training sentence with one or two of its words replaced by a *nonce word*:

* half are drawn from a letter 4-gram model of the training words' spellings (one count per word type), kept if
  they are 4-11 letters long, not a word of the training text, and pronounceable (a vowel, no run of more than
  three consonants);
* half are compounds of two short training words written as one (``DOGSHELF``), the shape of identifiers.

The synthesisers read them with their own letter-to-sound rules, which is how they read the demo's terms; the
transcript is the nonce spelling. None is a demo, dev or new-terms hotword, contains one, or is a word of an
evaluated sentence (:func:`training.text._held_out_words_and_sentences` and the manifests), so the hotwords stay
words the model never heard.

``python -m training.nonce --count 8000`` writes ``training/cache/train_text_nonce.txt``;
``python -m training.synth --nonce 8000 -j 2`` synthesises it into the pool (ids ``nw_NNNNNN``).
"""
from __future__ import annotations

import argparse
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from training.text import _held_out_words_and_sentences

CACHE = Path(__file__).resolve().parent / "cache"
SEED = 2026
ORDER = 4
_VOWELS = set("AEIOUY")
_CONSONANT_RUN = re.compile(r"[^AEIOUY']{4,}")


def _lexicon(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in t.split() if w.isalpha()})


def _letter_model(words: list[str]) -> dict[str, Counter]:
    model: dict[str, Counter] = defaultdict(Counter)
    for w in words:
        padded = "^" * (ORDER - 1) + w + "$"
        for i in range(ORDER - 1, len(padded)):
            model[padded[i - ORDER + 1 : i]][padded[i]] += 1
    return model


def _sample(model: dict[str, Counter], rng: random.Random, max_len: int = 12) -> str:
    out, ctx = "", "^" * (ORDER - 1)
    while len(out) <= max_len:
        counts = model[ctx]
        ch = rng.choices(list(counts), list(counts.values()))[0]
        if ch == "$":
            return out
        out += ch
        ctx = ctx[1:] + ch
    return ""


def _pronounceable(w: str) -> bool:
    return bool(_VOWELS & set(w)) and not _CONSONANT_RUN.search(w) and "'" not in w


def _forbidden() -> tuple[set[str], set[str]]:
    """Hotwords of every demo set (upper case), and the words of every evaluated sentence."""
    val = (CACHE / "val_text.txt").read_text().splitlines()
    hotwords, sentences = _held_out_words_and_sentences(
        val, ("demo/hotwords.txt", "demo/dev/hotwords.txt", "demo/newterms/hotwords.txt"))
    return hotwords, {w for s in sentences for w in s.split()}


def nonce_words(lexicon: list[str], rng: random.Random, n: int, forbidden_words: set[str],
                hotwords: set[str]) -> list[str]:
    """``n`` distinct nonce words, half from the letter model, half compounds of two short lexicon words."""
    known = set(lexicon)
    model = _letter_model(lexicon)
    short = [w for w in lexicon if 3 <= len(w) <= 5 and _VOWELS & set(w)]
    out: list[str] = []
    seen: set[str] = set()

    def ok(w: str) -> bool:
        return (4 <= len(w) <= 11 and w not in known and w not in seen and w not in forbidden_words
                and not any(h in w or w in h for h in hotwords if len(h) >= 4) and _pronounceable(w))

    made = [0, 0]  # accepted from the letter model, compounds
    misses = [0, 0]  # failed tries in a row per source: one that keeps failing (a small lexicon) gives way
    tries = 0
    while len(out) < n and tries < 200 * n:
        tries += 1
        src = 0 if made[0] <= made[1] else 1
        if misses[src] >= 100 and misses[1 - src] < 100:
            src = 1 - src
        w = _sample(model, rng) if src == 0 else rng.choice(short) + rng.choice(short)
        if ok(w):
            seen.add(w)
            out.append(w)
            made[src] += 1
            misses[src] = 0
        else:
            misses[src] += 1
    return out


def nonce_utterances(count: int, seed: int = SEED) -> list[str]:
    """``count`` training sentences (fortunes and WordNet) with one or two words of >= 4 letters replaced by
    nonce words (one in three utterances gets two)."""
    rng = random.Random(seed)
    texts = (CACHE / "train_text.txt").read_text().splitlines()
    wordnet = CACHE / "train_text_wordnet.txt"
    if wordnet.exists():
        texts += wordnet.read_text().splitlines()
    hotwords, evaluated = _forbidden()
    words = nonce_words(_lexicon(texts), rng, int(count * 1.4) + 10, evaluated, hotwords)
    rng.shuffle(texts)
    out, k = [], 0
    for text in texts:
        if len(out) == count or k >= len(words):
            break
        toks = text.split()
        slots = [i for i, t in enumerate(toks) if len(t) >= 4]
        if not slots or len(toks) > 10:
            continue
        for i in rng.sample(slots, min(len(slots), 2 if rng.random() < 1 / 3 else 1)):
            if k < len(words):
                toks[i], k = words[k], k + 1
        out.append(" ".join(toks))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    utts = nonce_utterances(args.count, args.seed)
    (CACHE / "train_text_nonce.txt").write_text("\n".join(utts) + "\n")
    print(f"wrote {len(utts)} utterances to {CACHE / 'train_text_nonce.txt'}")


if __name__ == "__main__":
    main()
