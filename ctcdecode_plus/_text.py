"""Reading a small text file a user wrote (a manifest, a hotwords file), with errors that name it and the fix."""
from __future__ import annotations

from pathlib import Path

from .errors import CtcDecodeError


def read_user_text(path: Path, noun: str, form: str, error: type = CtcDecodeError) -> str:
    """The text of ``path`` (UTF-8; a byte-order mark dropped: Excel, Notepad). ``error`` (a
    :class:`CtcDecodeError` class) for a folder, a missing file or other bytes, naming the ``noun`` ("manifest")
    and its ``form`` ("TSV audio<TAB>text, or JSON lines")."""
    if path.is_dir():
        raise error(f"{path}: is a folder; give the {noun} ({form}).")
    if not path.is_file():
        raise error(f"{path}: {noun} not found ({form}).")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        utf16 = e.object[:2] in (b"\xff\xfe", b"\xfe\xff") or e.object[:200].count(b"\0") * 4 >= len(e.object[:200])
        raise error(f"{path}: the {noun} is not UTF-8 text (byte {e.start}"
                    + ("; it is UTF-16, as Windows' 'Unicode' saves text" if utf16 else "")
                    + f"); save it as UTF-8 ({form}).") from None
