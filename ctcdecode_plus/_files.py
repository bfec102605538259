"""Writing output files whole or not at all, as every command does (transcripts, tables, emissions, models).

A regular file is written to a temporary file beside it and renamed over it, so an interrupted or failed write
leaves the old file (or none), never half of one. A symbolic link is written through: its target is replaced and the
link stays a link. Anything else that is already there and is not a regular file (a pipe, ``/dev/stdout``,
``/dev/null``, ``/dev/fd/N`` from a shell's ``>(...)``) is written in place, since renaming over it would put a
plain file where the device or pipe was.
"""
from __future__ import annotations

import contextlib
import errno
import gzip
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Iterator, Optional, Type, Union

from .errors import CtcDecodeError

PathLike = Union[str, os.PathLike]


def size_and_time(path) -> Optional[list]:
    """``[size in bytes, modification time in ns]`` of a file or folder, to tell later whether it changed; ``None``
    for what cannot be read (or is not a path)."""
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns]


def default_mode(folder: bool = False) -> int:
    """The permission bits ``open``/``mkdir`` would give a new file (folder) under the current umask: ``mkstemp``
    and ``mkdtemp`` make theirs private (0600/0700), which would hide a written model from other users."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def write_in_place(path: PathLike) -> bool:
    """Whether ``path`` is something that exists and is neither a regular file nor a folder (a pipe, a device,
    ``/dev/fd/N``): written to directly, never replaced."""
    try:
        mode = os.stat(path).st_mode  # through links: /dev/stdout is a link to the terminal or pipe
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def replaced_file(path: PathLike, error: Type[CtcDecodeError] = CtcDecodeError) -> Path:
    """The file a write to ``path`` replaces: ``path``, or where a symbolic link at ``path`` leads (so the link is
    kept and its target gets the new content); ``error`` for a link that leads back to itself."""
    path = Path(path)
    if not path.is_symlink():
        return path
    if link_loops(path):
        raise error(f"{path}: is a link that leads back to itself; mend or remove it, or choose another output path")
    return Path(os.path.realpath(path))


def link_loops(path: PathLike) -> bool:
    """Whether ``path`` is a symbolic link that, link after link, leads back to itself."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def temp_beside(path: Path, error: Type[CtcDecodeError] = CtcDecodeError) -> str:
    """An empty temporary file in ``path``'s folder (hidden, not named like the output), or ``error`` saying why
    there is none."""
    if path.is_dir():
        raise error(f"{path}: is a folder; give a file name for the output")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise error(f"{parent}: output folder does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise error(f"{path}: cannot write here ({exc.strerror or exc}); choose a writable output path") from None
    os.close(fd)
    os.chmod(tmp, default_mode())
    return tmp


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w", encoding: Optional[str] = "utf-8", *,
                 error: Type[CtcDecodeError] = CtcDecodeError, make_folder: bool = False) -> Iterator[IO]:
    """Open ``path`` for writing as this module says (``.gz``: gzip-compressed); the file appears only when the
    block ends without error. ``make_folder``: create a missing parent folder. An ``OSError`` (disk full,
    permission denied, read-only file system) becomes ``error`` naming ``path`` and the fix."""
    binary = "b" in mode
    path = Path(path)
    in_place = write_in_place(path)
    target = path if in_place else replaced_file(path, error)
    tmp = None
    try:
        if not in_place:
            if make_folder:
                target.parent.mkdir(parents=True, exist_ok=True)
            tmp = temp_beside(target, error)
        out = tmp if tmp is not None else path
        if target.suffix == ".gz" and not in_place:
            raw = gzip.open(out, "wb" if binary else "wt", encoding=None if binary else encoding, compresslevel=6)
        else:
            raw = open(out, "wb" if binary else "w", encoding=None if binary else encoding,
                       newline=None if binary else "\n")
        with raw as fh:
            yield fh
        if tmp is not None:
            os.replace(tmp, target)
            tmp = None
    except BaseException as exc:
        if isinstance(exc, OSError):  # disk full, read-only file system, permission denied
            raise error(f"{path}: cannot write ({exc.strerror or exc}); check free space and permissions, or "
                        "choose another output path") from None
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
