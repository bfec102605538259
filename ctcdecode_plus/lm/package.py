"""Decoder folders that pyctcdecode's ``BeamSearchDecoderCTC.load_from_dir`` and transformers'
``Wav2Vec2ProcessorWithLM.from_pretrained`` read (pyctcdecode 0.5.0 layout)::

    FOLDER/alphabet.json                 {"labels": [...], "is_bpe": false}
    FOLDER/language_model/attrs.json     {"alpha": .., "beta": .., "unk_score_offset": .., "score_boundary": ..}
    FOLDER/language_model/unigrams.txt   sorted words, one a line
    FOLDER/language_model/<lm>.arpa|.bin|.binary   the KenLM model (exactly one)
    FOLDER/.ctcdecode_plus.json          ctcdecode-plus's search settings (hotwords, ...), where given

``Wav2Vec2ProcessorWithLM`` also needs the feature extractor and tokenizer files in the same folder: pass
``processor_dir`` (the acoustic model's folder, name or hub id, or the ``AcousticModel``) to copy them. The folder
is assembled under a temporary name and renamed into place, so it is never left half-written.
"""
from __future__ import annotations

import contextlib
import gzip
import json
import logging
import math
import os
import re
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from .._quiet import quiet_logger
from ..constants import DEFAULT_ALPHA, DEFAULT_BETA, DEFAULT_UNK_SCORE_OFFSET
from ..errors import LanguageModelError, VocabularyError
from ..vocab import Labels, apply_case, labels_of
from .arpa import _open_text, default_mode, is_arpa_file, read_arpa_unigrams, unigram_list_path
from .counts import SPECIALS, split_words

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]

ALPHABET_FILENAME = "alphabet.json"
#: ctcdecode-plus's own search settings (hotwords, beam width, spotting thresholds): hidden, so that pyctcdecode's
#: ``load_from_dir`` (which ignores hidden files) and transformers read the folder as before
SEARCH_SETTINGS_FILENAME = ".ctcdecode_plus.json"
LM_DIRNAME = "language_model"
ATTRS_FILENAME = "attrs.json"
UNIGRAMS_FILENAME = "unigrams.txt"
JSON_ATTRS = ("alpha", "beta", "unk_score_offset", "score_boundary")
LM_SUFFIXES = (".arpa", ".bin", ".binary")
#: Files of a Wav2Vec2 processor that ``Wav2Vec2ProcessorWithLM.from_pretrained`` needs beside the decoder.
PROCESSOR_FILES = ("preprocessor_config.json", "tokenizer_config.json", "vocab.json", "special_tokens_map.json",
                   "added_tokens.json", "processor_config.json")


@dataclass
class DecoderFolder:
    """A decoder folder read back.

    Attributes:
        folder: the folder.
        labels: decoder labels (pyctcdecode's normalised form: ``""`` blank, ``" "`` word delimiter).
        is_bpe: whether the labels are BPE pieces.
        lm_path: the KenLM model file inside ``language_model/`` (``None`` for a folder without LM).
        alpha, beta, unk_score_offset, score_boundary: pyctcdecode's LM parameters.
        unigrams: the word list (empty without LM).
    """

    folder: Path
    labels: list[str]
    is_bpe: bool
    lm_path: Optional[Path]
    alpha: float
    beta: float
    unk_score_offset: float
    score_boundary: bool
    unigrams: list[str]


def _normalize_labels(labels: Union[Labels, Sequence[str], object]) -> tuple[list[str], bool]:
    """pyctcdecode's labels and ``is_bpe`` from a :class:`~ctcdecode_plus.vocab.Labels`, an ``AcousticModel`` (its
    ``.labels``) or a plain label list."""
    known = labels_of(labels)  # Labels, or an AcousticModel's
    if known is not None:
        labels = known.labels
    if labels is None or isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
        raise VocabularyError(f"labels={labels!r:.40} ({type(labels).__name__}): give the model's labels "
                              "(AcousticModel.labels), the AcousticModel, or a list of one string per CTC output")
    labels = list(labels)
    if not labels or not all(isinstance(x, str) for x in labels):
        raise VocabularyError("labels must be a non-empty list of strings (one per CTC output)")
    try:
        from pyctcdecode.alphabet import Alphabet as _PyAlphabet

        # a Wav2Vec2 vocabulary's <s>, </s> are not BPE pieces: pyctcdecode's warning that they might be is noise
        specials_only = all(len(x) <= 1 or _SPECIAL.match(x) for x in labels)
        with quiet_logger("pyctcdecode.alphabet", when=specials_only):
            alpha = _PyAlphabet.build_alphabet(labels)
        return alpha.labels, alpha.is_bpe
    except ImportError:
        return labels, False
    except ValueError as exc:
        raise VocabularyError(f"labels {labels[:8]}...: pyctcdecode rejects them ({exc}); fix the labels") from None


_SPECIAL = re.compile(r"^[<\[].*[>\]]$")  # <s>, </s>, <unk>, [PAD]: a tokenizer's special tokens

_PROCESSOR_HOW = "give the acoustic model's processor folder, its name or hub id ('demo'), or the AcousticModel"


def _has_processor(folder: Path) -> bool:
    """Whether ``folder`` holds a saved processor: ``preprocessor_config.json``, or ``processor_config.json`` (the
    feature extractor's settings inside it, as recent transformers save a processor)."""
    return (folder / "preprocessor_config.json").is_file() or (folder / "processor_config.json").is_file()


def _processor_folder(processor_dir: Union[PathLike, object, None]):
    """The folder whose processor files :func:`save_decoder_folder` copies: a folder; an ``AcousticModel`` (its
    ``source`` folder; one loaded from a hub id is returned as it is, its loaded processor to be saved); a name or
    hub id as :func:`~ctcdecode_plus.acoustic.resolve_model_path` reads it (``"demo"``; a hub
    id's files from the hub, or from the local hub cache when offline)."""
    if processor_dir is None:
        return None
    if not isinstance(processor_dir, (str, os.PathLike)):
        source = getattr(processor_dir, "source", None)  # an AcousticModel: where it was loaded from
        if hasattr(processor_dir, "tokenizer") and hasattr(processor_dir, "feature_extractor") and not (
                isinstance(source, (str, os.PathLike)) and _has_processor(Path(source))):
            return processor_dir  # loaded from a hub id (its revision, cache): its processor is saved as loaded
        if not isinstance(source, (str, os.PathLike)) or not str(source):
            raise LanguageModelError(f"processor_dir={processor_dir!r:.40} ({type(processor_dir).__name__}): "
                                     f"{_PROCESSOR_HOW}")
        processor_dir = source
    from ..acoustic import near_miss_folder, resolve_model_path

    name = resolve_model_path(processor_dir)
    path = Path(name)
    if _has_processor(path):
        return path
    if path.exists() or name.startswith(("/", ".", "~")) or name.count("/") != 1:  # a folder, not a hub id
        raise LanguageModelError(f"{path}: no preprocessor_config.json (or processor_config.json); {_PROCESSOR_HOW}")
    try:  # "org/name": a hub id
        from huggingface_hub import hf_hub_download

        folder = Path(hf_hub_download(name, "preprocessor_config.json")).parent
    except Exception as exc:  # noqa: BLE001 - offline without a cached copy, no such repo, no such file
        raise LanguageModelError(
            f"{name}: no such folder, and the hub id's preprocessor_config.json could not be fetched "
            f"({type(exc).__name__}; offline, only the local hub cache is read). {near_miss_folder(name)}"
            f"{_PROCESSOR_HOW[0].upper()}{_PROCESSOR_HOW[1:]}.") from None
    for fname in PROCESSOR_FILES:  # the rest of the processor, into the same snapshot folder, where the repo has it
        try:
            hf_hub_download(name, fname)
        except Exception:  # noqa: BLE001 - optional files (added_tokens.json) many repositories lack
            pass
    return folder


def _resolve_unigrams(lm_path: Path, unigrams: Optional[Iterable[str]]) -> list[str]:
    if unigrams is not None:
        uni = list(unigrams)
    else:
        beside = unigram_list_path(lm_path)
        if beside.exists():
            uni = split_words(beside.read_text(encoding="utf-8"))  # one word a line; a no-break space is a letter
        elif is_arpa_file(lm_path):
            uni = read_arpa_unigrams(lm_path)
        else:
            raise LanguageModelError(
                f"{lm_path}: a binary model has no readable word list and {beside.name} is not beside it; "
                f"pass unigrams=[...] (or the .unigrams.txt written by build-lm)"
            )
    return sorted({w for w in uni if w and w not in SPECIALS})


def _write_arpa_in_case(src: Path, dest: Path, case: str) -> None:
    """Copy the ARPA file ``src`` (plain or gzip) to ``dest`` with its words in ``case`` (``<s>``-style tokens kept).
    Two 1-grams that become one (``nasa`` and ``NASA``) are an error: the file would list n-grams twice."""
    try:
        with _open_text(src) as fin, open(dest, "w", encoding="utf-8") as fout:
            section = None
            unigrams: set[str] = set()
            for line in fin:
                if line.startswith("\\"):
                    section = line.rstrip()
                elif section and section.endswith("-grams:") and "\t" in line:
                    fields = line.rstrip("\r\n").split("\t")
                    fields[1] = " ".join(w if w.startswith("<") and w.endswith(">") else apply_case(w, case)
                                         for w in fields[1].split(" "))
                    if section == "\\1-grams:":
                        if fields[1] in unigrams:
                            raise LanguageModelError(
                                f"{src}: has words that differ only in case ({fields[1]!r} twice in {case} case), so "
                                "it cannot be written in the labels' case; rebuild it with `ctcdecode-plus build-lm "
                                "--alphabet-from MODEL` (build_lm(..., alphabet=model) in Python)")
                        unigrams.add(fields[1])
                    line = "\t".join(fields) + "\n"
                fout.write(line)
    except (EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError) as exc:
        raise LanguageModelError(f"{src}: cannot be read as ARPA text ({exc}); the model is damaged: rebuild or "
                                 "copy it again") from None


def save_decoder_folder(
    folder: PathLike,
    labels: Union[Labels, Sequence[str], object],
    lm_path: Optional[PathLike],
    *,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    unk_score_offset: float = DEFAULT_UNK_SCORE_OFFSET,
    unigrams: Optional[Iterable[str]] = None,
    score_boundary: bool = True,
    processor_dir: Union[PathLike, object, None] = None,
    overwrite: bool = False,
    search_settings: Optional[dict] = None,
    lm_case: Optional[str] = None,
) -> Path:
    """Write a decoder folder (labels + LM + alpha/beta + unigrams); returns the folder.
    ``BeamSearchDecoder.save_pretrained`` calls it.

    ``labels``: the model's :class:`~ctcdecode_plus.vocab.Labels`, the ``AcousticModel``, or a plain label list.
    ``lm_path`` may be ARPA (``.gz`` is decompressed, since pyctcdecode wants ``.arpa``), or a KenLM binary; ``None``
    writes a decoder without LM. ``unigrams`` default: the ``.unigrams.txt`` beside the LM, else the ARPA's 1-grams.
    ``processor_dir``: where the processor files come from: a folder, the ``AcousticModel``, or a model name / hub id
    (``"demo"``).
    ``search_settings``: a JSON-able dict written as ``.ctcdecode_plus.json`` (``BeamSearchDecoder.save_pretrained``).
    ``overwrite``: write into an existing non-empty folder, replacing the files a decoder save writes there
    (``alphabet.json``, ``language_model/``, ``.ctcdecode_plus.json``, the processor files when ``processor_dir`` is
    given) and keeping the rest, so that a decoder saved into a model's folder makes a "with LM" folder.
    ``lm_case``: ``"upper"`` or ``"lower"`` writes the LM's words and the unigrams in that case (an ARPA LM whose
    case differs from the labels', which pyctcdecode and transformers would otherwise read as all out-of-vocabulary).

    Raises:
        LanguageModelError: missing LM file, binary LM without unigrams, a processor_dir without processor files,
            existing non-empty folder without overwrite, a file where the folder should be.
        VocabularyError: labels pyctcdecode cannot use.
    """
    folder = Path(folder)
    norm_labels, is_bpe = _normalize_labels(labels)
    for name, v in (("alpha", alpha), ("beta", beta), ("unk_score_offset", unk_score_offset)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v != v:
            raise LanguageModelError(f"{name}={v!r} must be a number")
    if folder.exists() and not folder.is_dir():
        raise LanguageModelError(f"{folder}: is a file, not a folder; choose a folder name")
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise LanguageModelError(f"{folder}: already exists and is not empty; choose a new folder or pass "
                                 "overwrite=True (which replaces the decoder's files there and keeps the rest, such as "
                                 "a model's weights)")
    if not folder.parent.exists():
        raise LanguageModelError(f"{folder.parent}: parent folder does not exist; create it first")
    lm = Path(lm_path) if lm_path is not None else None
    if lm is not None and (not lm.exists() or lm.is_dir()):
        raise LanguageModelError(f"{lm}: language model file not found; check the path (ARPA or KenLM binary)")
    proc = _processor_folder(processor_dir)

    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
        os.chmod(tmp, default_mode(folder=True))
    except OSError as exc:
        raise LanguageModelError(f"{folder}: cannot write here ({exc.strerror or exc}); choose a writable folder") from None
    try:
        (tmp / ALPHABET_FILENAME).write_text(json.dumps({"labels": norm_labels, "is_bpe": is_bpe}), encoding="utf-8")
        if lm is not None:
            lmdir = tmp / LM_DIRNAME
            lmdir.mkdir()
            uni = _resolve_unigrams(lm, unigrams)
            if lm_case is not None and not is_arpa_file(lm):
                logger.warning("%s: its words are not in the labels' case (%s) and a KenLM binary cannot be rewritten: "
                               "BeamSearchDecoder.from_pretrained reads the folder, pyctcdecode and transformers will "
                               "find every word out of vocabulary; save from the ARPA file to fix that", lm, lm_case)
                lm_case = None
            if lm_case is not None:
                uni = sorted({apply_case(w, lm_case) for w in uni})
            attrs = {"alpha": float(alpha), "beta": float(beta), "unk_score_offset": float(unk_score_offset),
                     "score_boundary": bool(score_boundary)}
            (lmdir / ATTRS_FILENAME).write_text(json.dumps(attrs), encoding="utf-8")
            (lmdir / UNIGRAMS_FILENAME).write_text("".join(w + "\n" for w in uni), encoding="utf-8")
            name = lm.name
            if lm_case is not None:
                stem = name[:-3] if name.endswith(".gz") else name
                _write_arpa_in_case(lm, lmdir / (stem if stem.endswith(".arpa") else Path(stem).stem + ".arpa"),
                                    lm_case)
            elif name.endswith(".gz"):
                stem = name[:-3]
                dest = lmdir / (stem if stem.endswith(".arpa") else stem + ".arpa")
                try:
                    with gzip.open(lm, "rb") as src, open(dest, "wb") as dst:
                        shutil.copyfileobj(src, dst)
                except (EOFError, gzip.BadGzipFile, zlib.error) as exc:  # the LM, not the folder, is the problem
                    raise LanguageModelError(f"{lm}: not a complete gzip file ({exc}); the model is damaged or "
                                             "truncated: rebuild or copy it again") from None
            elif lm.suffix in LM_SUFFIXES:
                shutil.copy2(lm, lmdir / name)
            else:
                shutil.copy2(lm, lmdir / (lm.stem + (".arpa" if is_arpa_file(lm) else ".bin")))
        if search_settings:
            (tmp / SEARCH_SETTINGS_FILENAME).write_text(json.dumps(search_settings, indent=1), encoding="utf-8")
        if isinstance(proc, Path):
            for fname in PROCESSOR_FILES:
                if (proc / fname).exists():
                    shutil.copy2(proc / fname, tmp / fname)
        elif proc is not None:  # an AcousticModel from a hub id: the processor it loaded
            proc.feature_extractor.save_pretrained(str(tmp))
            proc.tokenizer.save_pretrained(str(tmp))
        if folder.exists():
            _replace_decoder_files(tmp, folder)
        else:
            os.replace(tmp, folder)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):  # disk full, permissions
            raise LanguageModelError(f"{folder}: cannot write the decoder folder ({exc.strerror or exc}); check free "
                                     "space and permissions") from None
        raise
    return folder


def _replace_decoder_files(new: Path, folder: Path) -> None:
    """Move the decoder files written in ``new`` into the existing ``folder``, remove what an earlier save wrote
    there that this one does not (a language model, search settings), and keep everything else: a Hugging Face
    "with LM" folder holds the acoustic model's config and weights beside the decoder. The old entries are moved
    aside first and removed only once every new one is in; a failure or Ctrl-C part-way puts them back, so the
    folder holds the old decoder or the new one, never a mix."""
    written = sorted(entry.name for entry in new.iterdir())
    names = written + [n for n in (LM_DIRNAME, SEARCH_SETTINGS_FILENAME) if n not in written]
    aside: list[tuple[Path, Path]] = []  # (entry, where it waits)
    moved_in: list[str] = []
    try:
        for name in names:
            dest, old = folder / name, folder / f".{name}.old{os.getpid()}"
            if dest.exists() or dest.is_symlink():  # a folder cannot be renamed over, nor onto a file
                os.replace(dest, old)
                aside.append((dest, old))
        for name in written:
            os.replace(new / name, folder / name)
            moved_in.append(name)
    except BaseException:
        for name in reversed(moved_in):
            with contextlib.suppress(OSError):
                os.replace(folder / name, new / name)
        for dest, old in reversed(aside):
            with contextlib.suppress(OSError):
                os.replace(old, dest)
        raise
    for _, old in aside:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                old.unlink()
    new.rmdir()


def _read_json(path: Path, what: str) -> dict:
    if not path.exists():
        raise LanguageModelError(f"{path}: missing; {what}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise LanguageModelError(f"{path}: not valid JSON ({str(exc)[:200] or type(exc).__name__}); {what}") from None
    if not isinstance(data, dict):
        raise LanguageModelError(f"{path}: expected a JSON object; {what}")
    return data


def load_decoder_folder(folder: PathLike) -> DecoderFolder:
    """Read a decoder folder written by ``BeamSearchDecoder.save_pretrained`` (:func:`save_decoder_folder`),
    pyctcdecode or ``Wav2Vec2ProcessorWithLM``.

    Raises:
        LanguageModelError: a missing folder/file, bad JSON, wrong keys, or not exactly one LM file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LanguageModelError(f"{folder}: decoder folder not found; write one with "
                                 "BeamSearchDecoder.save_pretrained")
    alph = _read_json(folder / ALPHABET_FILENAME, "a decoder folder needs alphabet.json with labels and is_bpe")
    if set(alph) != {"labels", "is_bpe"} or not isinstance(alph["labels"], list):
        raise LanguageModelError(f"{folder / ALPHABET_FILENAME}: expected keys labels (a list) and is_bpe, "
                                 f"found {sorted(alph)}; rewrite the folder")
    if not all(isinstance(x, str) for x in alph["labels"]) or not isinstance(alph["is_bpe"], bool):
        raise LanguageModelError(f"{folder / ALPHABET_FILENAME}: labels must be a list of strings and is_bpe true "
                                 "or false; rewrite the folder (BeamSearchDecoder.save_pretrained)")
    lmdir = folder / LM_DIRNAME
    if not lmdir.exists():
        return DecoderFolder(folder, list(alph["labels"]), bool(alph["is_bpe"]), None, DEFAULT_ALPHA, DEFAULT_BETA,
                             DEFAULT_UNK_SCORE_OFFSET, True, [])
    attrs = _read_json(lmdir / ATTRS_FILENAME, "the language_model folder needs attrs.json")
    if set(attrs) != set(JSON_ATTRS):
        raise LanguageModelError(f"{lmdir / ATTRS_FILENAME}: expected keys {list(JSON_ATTRS)}, found {sorted(attrs)}")
    uni_path = lmdir / UNIGRAMS_FILENAME
    if not uni_path.exists():
        raise LanguageModelError(f"{uni_path}: missing; the language_model folder needs unigrams.txt (may be empty)")
    try:
        unigrams = uni_path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise LanguageModelError(f"{uni_path}: not UTF-8 text ({exc.reason}); write the unigrams one per line in "
                                 "UTF-8, or rewrite the folder") from None
    bad = [k for k in ("alpha", "beta", "unk_score_offset")
           if isinstance(attrs[k], bool) or not isinstance(attrs[k], (int, float)) or not math.isfinite(attrs[k])]
    if bad or not isinstance(attrs["score_boundary"], bool):
        keys = bad or ["score_boundary"]
        want = "true or false" if not bad else "a finite number" if len(bad) == 1 else "finite numbers"
        raise LanguageModelError(f"{lmdir / ATTRS_FILENAME}: {' and '.join(keys)} must be {want} (found "
                                 f"{', '.join(repr(attrs[k]) for k in keys)}); rewrite the folder "
                                 "(BeamSearchDecoder.save_pretrained)")
    others = [p for p in lmdir.iterdir()
              if not p.name.startswith((".", "__")) and p.name not in (ATTRS_FILENAME, UNIGRAMS_FILENAME)]
    if len(others) != 1 or others[0].suffix not in LM_SUFFIXES:
        raise LanguageModelError(
            f"{lmdir}: expected exactly one .arpa/.bin/.binary file beside attrs.json and unigrams.txt, found "
            f"{sorted(p.name for p in others)}; pyctcdecode refuses such a folder")
    return DecoderFolder(
        folder=folder, labels=list(alph["labels"]), is_bpe=bool(alph["is_bpe"]), lm_path=others[0],
        alpha=float(attrs["alpha"]), beta=float(attrs["beta"]), unk_score_offset=float(attrs["unk_score_offset"]),
        score_boundary=bool(attrs["score_boundary"]), unigrams=unigrams,
    )
