"""Manifests: which audio goes with which reference text.

Two formats: a TSV with a header ``audio<TAB>text`` (more columns allowed), or NeMo-style JSON lines
(``{"audio_filepath": ..., "text": ...}``). Relative audio paths are relative to the manifest's folder.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from ._text import read_user_text
from .emissions import Emissions
from .errors import EmissionsError, ManifestError


@dataclass
class ManifestEntry:
    """One utterance: ``id`` (file stem, unique), absolute ``audio`` path, ``text`` reference (may be empty: compare
    and tune list such a row as a failure and score the rest), and where it lies in the audio: from ``offset``
    seconds, for ``duration`` seconds (``None``: to the end), as NeMo's manifests give segments of longer
    recordings."""

    id: str
    audio: str
    text: str
    offset: float = 0.0
    duration: Optional[float] = None

    def cut(self, emissions: Emissions) -> Emissions:
        """This entry's stretch of ``emissions`` (of its whole audio file; frames ``[frames, vocab]``): its own
        times then count from ``offset``; a duration past the end stops at the end (as NeMo reads it). The whole
        emissions where the entry is the whole file (no offset, and a duration to within a frame of the end or
        beyond, as NeMo writes for whole files); an :class:`EmissionsError` where it starts past the end."""
        spf = emissions.seconds_per_frame
        total = emissions.audio_duration
        end = total if self.duration is None else min(self.offset + self.duration, total)  # NeMo reads to the end
        if self.offset <= 0 and end >= total - spf:
            return emissions
        if self.offset >= total:
            raise EmissionsError(f"{self.audio}: row {self.id!r} starts at {self.offset:g} s, past the end of its "
                                 f"audio ({total:.2f} s); check its offset")
        a = min(int(round(self.offset / spf)), emissions.num_frames - 1)  # the last half-frame: the last frame
        b = max(a + 1, min(int(round(end / spf)), emissions.num_frames))
        return dataclasses.replace(emissions.piece(a, b), audio_seconds=end - self.offset)


def cut_entries(entries: Sequence[ManifestEntry], whole: dict) -> list:
    """Each entry's emissions, in order: ``whole[entry.audio]`` (its audio file's emissions, or the
    :class:`~ctcdecode_plus.errors.CtcDecodeError` that file failed with) cut to the entry's stretch
    (:meth:`ManifestEntry.cut`); a stretch outside its audio is that entry's error."""
    out = []
    for e in entries:
        em = whole[e.audio]
        if isinstance(em, Emissions):
            try:
                em = e.cut(em)
            except EmissionsError as err:
                em = err
        out.append(em)
    return out


def read_manifest(path: Union[str, os.PathLike]) -> list[ManifestEntry]:
    """Read a TSV or JSON-lines manifest; raise :class:`ManifestError` naming the file, line and fix."""
    if not isinstance(path, (str, os.PathLike)):
        raise ManifestError(f"{path!r:.40}: give the path of a manifest file (TSV audio<TAB>text, or JSON lines).")
    path = Path(path)
    content = read_user_text(path, "manifest", "TSV audio<TAB>text, or JSON lines", ManifestError)
    rows = _LINE_BREAK.split(content)  # not str.splitlines(): U+2028 or U+0085 inside a text is not a new row
    lines = [ln for ln in rows if ln.strip()]
    if not lines:
        raise ManifestError(f"{path}: the manifest is empty; write a header 'audio<TAB>text' and one row per file.")
    if lines[0].lstrip().startswith("["):
        raise ManifestError(f"{path}: a JSON array; write JSON lines instead, one object per line: "
                            '{"audio_filepath": ..., "text": ...}.')
    base = path.parent
    entries: list[ManifestEntry] = []
    if lines[0].lstrip().startswith("{"):
        for n, line in enumerate(rows, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ManifestError(f"{path}:{n}: not valid JSON ({e.msg}).") from None
            if not isinstance(row, dict) or "audio_filepath" not in row or "text" not in row:
                raise ManifestError(f"{path}:{n}: each JSON line needs the keys 'audio_filepath' and 'text'.")
            if not isinstance(row["audio_filepath"], str) or not isinstance(row["text"], str):
                raise ManifestError(
                    f"{path}:{n}: 'audio_filepath' and 'text' must be strings, got "
                    f"{type(row['audio_filepath']).__name__} and {type(row['text']).__name__}."
                )
            entries.append(_entry(base, row["audio_filepath"], row["text"], f"{path}:{n}", row.get("offset"),
                                  row.get("duration")))
    else:
        reader = (row.split("\t") for row in rows)  # no quoting rules, and no field size limit as csv has
        header = [h.strip().lower() for h in next(reader)]
        if "audio" not in header or "text" not in header:
            raise ManifestError(
                f"{path}:1: the header must name the columns 'audio' and 'text' (tab-separated), got {header}."
            )
        ia, it = header.index("audio"), header.index("text")
        io_, id_ = (header.index(c) if c in header else None for c in ("offset", "duration"))
        for n, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) <= max(ia, it):
                raise ManifestError(f"{path}:{n}: expected {len(header)} tab-separated columns, got {len(row)}.")
            while len(row) > len(header) and not row[-1].strip():
                row.pop()  # a trailing tab
            if len(row) > len(header) and it == len(header) - 1:  # the text's own tab: it would lose what follows
                raise ManifestError(f"{path}:{n}: {len(row)} tab-separated columns, and the header names "
                                    f"{len(header)}; the text (the last column) holds a tab: replace it with a "
                                    "space.")
            cell = lambda i: row[i].strip() if i is not None and i < len(row) and row[i].strip() else None  # noqa: E731
            entries.append(_entry(base, _unquote(row[ia].strip()), _unquote(row[it].strip()), f"{path}:{n}",
                                  cell(io_), cell(id_)))
    if not entries:
        raise ManifestError(f"{path}: the manifest has a header but no rows.")
    for e, unique in zip(entries, unique_ids([e.id for e in entries])):
        e.id = unique
    return entries


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _unquote(field: str) -> str:
    """A TSV field as a spreadsheet writes it: ``"a b.wav"`` (quotes doubled inside) is ``a b.wav``."""
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def unique_ids(stems: Sequence[str]) -> list[str]:
    """``stems`` made unique in order: the first of each keeps its name, and a repeat gets ``#1``, ``#2``...,
    skipping any name that another input has as its own (rows a.wav, a.wav, a#1.wav give a, a#2, a#1: the file
    a#1.wav keeps its name). The ids of manifest rows, and the names ``emissions`` and ``transcribe -o`` give their
    files, so the two always agree."""
    own = set(stems)
    used: set[str] = set()
    tried: dict[str, int] = {}  # the last suffix tried per stem: the next repeat starts after it (linear time)
    out = []
    for stem in stems:
        name, k = stem, tried.get(stem, 0)
        if name in used:
            while name in used or name in own:
                k += 1
                name = f"{stem}#{k}"
        tried[stem] = k
        used.add(name)
        out.append(name)
    return out


def _entry(base: Path, audio: str, text: str, where: str, offset=None, duration=None) -> ManifestEntry:
    if not audio.strip():
        raise ManifestError(f"{where}: the audio path is empty; give the audio file of this row.")
    if "\0" in audio:
        raise ManifestError(f"{where}: the audio path holds a NUL character; give the file's path as it is.")
    for what, value in (("audio path", audio), ("text", text)):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\udc80" in JSON): no file can hold it as text
            raise ManifestError(f"{where}: the {what} holds a lone surrogate (e.g. '\\udc80' in JSON), which is "
                                "not a character; write the text as UTF-8.") from None
    try:
        p = Path(audio).expanduser()
    except RuntimeError:  # "~user/...": no such user
        raise ManifestError(f"{where}: {audio!r} starts with '~' and no such user's home folder is known; give "
                            "the path in full.") from None
    if not p.is_absolute():  # the manifest's folder, made absolute: messages then say where the file was looked for
        p = Path(os.path.abspath(base / p))
    times = [_seconds(v, name, where) for v, name in ((offset, "offset"), (duration, "duration"))]
    if times[1] == 0:
        raise ManifestError(f"{where}: duration 0: a segment needs a length in seconds (or leave it out: to the end).")
    return ManifestEntry(Path(audio).stem, str(p), text, times[0] or 0.0, times[1])


def _seconds(value, name: str, where: str) -> Optional[float]:
    """A row's ``offset`` or ``duration``: seconds >= 0 (a number, or its text in a TSV), or ``None`` if absent."""
    if value is None:
        return None
    try:
        seconds = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError, OverflowError):  # OverflowError: a whole number of hundreds of digits
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ManifestError(f"{where}: {name} {value!r}: give a number of seconds >= 0 (or leave it out).")
    return seconds
