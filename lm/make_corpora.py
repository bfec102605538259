"""Build the demo's text corpora and the held-out domain sentences.

* Domain: Python's own documentation text -- ``pydoc_data/topics.py`` (the language
  reference topics) plus every docstring (module, class, function) of the
  standard-library modules ``lib/python3.11/*.py`` and packages (asyncio, email,
  json, concurrent ...; tests, IDLE, lib2to3 and site-packages excluded).  Code examples (indented
  blocks, ``>>>`` lines), reST markup and grammar productions are dropped; the
  prose is split into sentences and normalised to the demo model's alphabet
  (upper-case A-Z, apostrophe) with the project's own normaliser
  (``ctcdecode_plus.lm.normalize``).
* ``demo/sentences.txt``: 64 held-out sentences (5-20 words, plain prose -- no
  code symbols, acronyms, camelCase or dotted names), about half of them chosen
  among sentences with typical Python vocabulary (iterator, coroutine, tuple,
  lambda ...).  They are removed from the domain corpus (every normalised
  sentence equal to a held-out one is dropped).
* ``demo/dev/sentences.txt``: 160 more held-out sentences, drawn the same way, for tuning (alpha, beta, hotword
  weight) on data that is neither in the LM corpus nor in the demo set.
* ``lm/domain_corpus.txt``: all other domain sentences, one a line (gzip'd when > 5 MB).
* ``lm/general_corpus.txt``: general English from Debian fortunes, the part of
  ``training/text.py``'s utterances that the acoustic training pool does *not*
  use (``training/synth.py`` synthesises the first ``--pool`` shuffled
  utterances), validation sentences excluded.

Usage (from the repository root)::

    .venv/bin/python lm/make_corpora.py
"""
from __future__ import annotations

import argparse
import ast
import gzip
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ctcdecode_plus.lm.normalize import Alphabet, Normalizer  # noqa: E402

PYLIB = Path("/root/.pyenv/versions/3.11.7/lib/python3.11")
ALPHABET = Alphabet.from_string("ABCDEFGHIJKLMNOPQRSTUVWXYZ'", case="upper")
SEED = 2024
N_DEMO = 64
N_DEV = 160
MAX_PLAIN_BYTES = 5_000_000

# Typical Python vocabulary: half of the demo sentences are drawn among sentences with one of these.
DOMAIN_TERMS = {
    "ITERATOR", "ITERATORS", "ITERABLE", "ITERABLES", "COROUTINE", "COROUTINES", "TUPLE", "TUPLES", "LAMBDA",
    "DICT", "DICTS", "DICTIONARY", "DICTIONARIES", "KWARGS", "ARGS", "GENERATOR", "GENERATORS", "DECORATOR",
    "DECORATORS", "NAMESPACE", "NAMESPACES", "SUBCLASS", "SUBCLASSES", "BOOLEAN", "INTEGER", "INTEGERS",
    "UNICODE", "BYTES", "MUTABLE", "IMMUTABLE", "ATTRIBUTE", "ATTRIBUTES", "METACLASS", "DESCRIPTOR",
    "DESCRIPTORS", "CALLABLE", "CALLABLES", "TRACEBACK", "KEYWORD", "ARGUMENT", "ARGUMENTS", "INTERPRETER",
    "HASHABLE", "SUBPROCESS", "THREAD", "THREADS", "SOCKET", "SOCKETS", "ENCODING", "PICKLE", "PICKLED",
    "BUFFER", "STDIN", "STDOUT", "STDERR", "PARSER", "SYNTAX", "BYTECODE", "ASYNCHRONOUS", "AWAIT", "ASYNC",
    "YIELD", "SEQUENCE", "MAPPING", "METHOD", "METHODS", "INSTANCE", "INSTANCES", "EXCEPTION", "EXCEPTIONS",
    "MODULE", "MODULES", "STRING", "STRINGS", "SLICE", "SLICES", "OBJECT", "OBJECTS", "CLASS", "FUNCTION",
    "FUNCTIONS", "PARAMETER", "PARAMETERS", "FILENAME", "DIRECTORY", "TIMESTAMP", "DEPRECATED", "UTF",
    "ASCII", "SERIALIZE", "SERIALIZED", "IMPORT", "IMPORTED", "BUILTIN", "BUILTINS", "OVERRIDE", "OVERRIDDEN",
    "INHERITANCE", "SINGLETON", "CLOSURE", "SCOPE", "TOKENIZER", "DELIMITER", "WHITESPACE", "NEWLINE",
}


# --------------------------------------------------------------------------- raw text
def topics_texts(path: Path) -> list[str]:
    """The values of the ``topics`` dict in pydoc_data/topics.py (without importing it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            return [v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


SKIP_DIRS = {"test", "tests", "idlelib", "lib2to3", "site-packages", "ensurepip", "turtledemo", "pydoc_data",
             "config-3.11-x86_64-linux-gnu", "__phello__"}


def stdlib_files(lib: Path) -> list[Path]:
    """``lib/*.py`` plus the standard-library packages (tests, IDLE, lib2to3, site-packages excluded)."""
    return sorted(p for p in lib.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(lib).parts[:-1]))


def docstrings(lib: Path) -> list[str]:
    out = []
    for path in stdlib_files(lib):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    out.append(doc)
    return out


_ROLE = re.compile(r":[a-z]+:`~?([^`<]*?)(?:\s*<[^>]*>)?`")  # :func:`name` -> name
_LITERAL = re.compile(r"``([^`]*)``")
_EMPH = re.compile(r"\*\*?([^*\n]+?)\*\*?")


def prose_paragraphs(text: str) -> list[str]:
    """Paragraphs of flush-left prose; indented blocks (code, grammar, tables) and ``>>>`` lines dropped."""
    paras, cur = [], []
    for line in text.splitlines():
        if not line.strip() or line[:1].isspace() or line.lstrip().startswith((">>>", "...", "+--", "===", "---")):
            if cur:
                paras.append(" ".join(cur))
                cur = []
            continue
        cur.append(line.strip())
    if cur:
        paras.append(" ".join(cur))
    cleaned = []
    for p in paras:
        p = _ROLE.sub(r"\1", p)
        p = _LITERAL.sub(r"\1", p)
        p = _EMPH.sub(r"\1", p)
        p = p.replace("::", ":")
        cleaned.append(p)
    return cleaned


_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def raw_sentences(texts: list[str]) -> list[str]:
    out = []
    for t in texts:
        for p in prose_paragraphs(t):
            out.extend(s.strip() for s in _SENT_SPLIT.split(p) if s.strip())
    return out


# --------------------------------------------------------------------------- demo selection
_PLAIN = re.compile(r"^[A-Za-z ,;:'\-.?!]+$")


def demo_candidate(raw: str, norm: str) -> bool:
    """Plain, pronounceable prose: letters and light punctuation only, no acronyms/camelCase/dotted names."""
    if not _PLAIN.match(raw) or not raw[0].isupper() or not raw.rstrip().endswith("."):
        return False
    if re.search(r"\w\.\w", raw) or re.search(r"\b(e\.g|i\.e|etc)\b", raw):
        return False
    for w in re.findall(r"[A-Za-z']+", raw):
        if len(w) > 1 and (w.isupper() or any(c.isupper() for c in w[1:])):
            return False  # acronym or camelCase: a TTS would spell it
    words = norm.split()
    if not 5 <= len(words) <= 20:
        return False
    if any(len(w) == 1 and w not in {"A", "I"} for w in words) or any(len(w) > 16 for w in words):
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pylib", default=str(PYLIB))
    ap.add_argument("--pool", type=int, default=15000, help="training-pool size used by training/synth.py")
    ap.add_argument("--n-demo", type=int, default=N_DEMO)
    ap.add_argument("--n-dev", type=int, default=N_DEV,
                    help="held-out development sentences (demo/dev/) for tuning alpha, beta and hotword weight")
    args = ap.parse_args()
    lib = Path(args.pylib)

    texts = topics_texts(lib / "pydoc_data" / "topics.py") + docstrings(lib)
    raws = raw_sentences(texts)
    norm = Normalizer(ALPHABET)
    pairs = []
    for r in raws:
        n = " ".join(norm.line(r))
        if n:
            pairs.append((r, n))
    print(f"domain: {len(texts)} texts, {len(pairs)} sentences, stats {norm.stats}", file=sys.stderr)

    # held-out demo sentences
    rng = random.Random(SEED)
    seen, cands = set(), []
    for r, n in pairs:
        if n not in seen and demo_candidate(r, n):
            seen.add(n)
            cands.append(n)
    rng.shuffle(cands)
    rich = [c for c in cands if sum(w in DOMAIN_TERMS for w in c.split()) >= 2]
    demo = rich[: args.n_demo // 2]
    demo += [c for c in cands if c not in set(demo)][: args.n_demo - len(demo)]
    rng.shuffle(demo)
    # development sentences, drawn the same way from what is left (the demo choice above is unchanged by this)
    left_rich = [c for c in rich if c not in set(demo)]
    dev = left_rich[: args.n_dev // 2]
    dev += [c for c in cands if c not in set(demo) and c not in set(dev)][: args.n_dev - len(dev)]
    rng.shuffle(dev)
    held = set(demo) | set(dev)
    print(f"demo candidates {len(cands)} (domain-rich {len(rich)}); chose {len(demo)} demo + {len(dev)} dev",
          file=sys.stderr)

    (ROOT / "demo" / "dev").mkdir(parents=True, exist_ok=True)
    (ROOT / "demo" / "sentences.txt").write_text("\n".join(demo) + "\n")
    (ROOT / "demo" / "dev" / "sentences.txt").write_text("\n".join(dev) + "\n")

    domain_lines = []
    for _, n in pairs:
        for s in [n]:
            if s not in held:
                domain_lines.append(s)
    write_corpus(ROOT / "lm" / "domain_corpus.txt", domain_lines)

    # general English: fortunes utterances the acoustic pool does not use
    from training.synth import SEED as SYNTH_SEED
    from training.text import read_fortunes, split_train_val, utterances_from_fortunes

    train, _val = split_train_val(utterances_from_fortunes(read_fortunes()))
    shuffled = list(train)
    random.Random(SYNTH_SEED + 1).shuffle(shuffled)  # the order training/synth.py draws texts in
    general = shuffled[args.pool :]
    write_corpus(ROOT / "lm" / "general_corpus.txt", general)


def write_corpus(path: Path, lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    if len(data) > MAX_PLAIN_BYTES:
        path = path.with_suffix(path.suffix + ".gz")
        with gzip.GzipFile(path, "wb", mtime=0) as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    print(f"{path}: {len(lines)} lines, {sum(len(l.split()) for l in lines)} words", file=sys.stderr)


if __name__ == "__main__":
    main()
