"""Keep C libraries' own messages off the user's terminal (KenLM's loading bar, libmpg123's frame complaints)."""
from __future__ import annotations

import contextlib
import os
import threading

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_stderr: "int | None" = None


@contextlib.contextmanager
def quiet_stderr():
    """Send file descriptor 2 to ``/dev/null`` for the duration (what C code prints there; Python's ``sys.stderr``
    writes land there too). Where fd 2 cannot be duplicated, nothing changes. Threads share fd 2: the first to
    enter saves it and the last to leave puts it back (each restoring its own copy, two threads overlapping left
    it at ``/dev/null`` for good)."""
    global _quiet_depth, _saved_stderr
    with _quiet_lock:
        if _quiet_depth == 0:
            try:
                saved = os.dup(2)
            except OSError:
                saved = None
            if saved is not None:
                try:
                    null = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(null, 2)
                    os.close(null)
                except OSError:
                    os.close(saved)
                    saved = None
            _saved_stderr = saved
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_stderr is not None:
                os.dup2(_saved_stderr, 2)
                os.close(_saved_stderr)
                _saved_stderr = None


@contextlib.contextmanager
def quiet_logger(name: str, when: bool = True):
    """Raise logger ``name`` to ERROR for the duration (``when``: only then), for a library's warning that is known
    not to apply (pyctcdecode's "entries of length > 1" for a Wav2Vec2 vocabulary's ``<s>``, ``</s>``)."""
    import logging

    log = logging.getLogger(name)
    old = log.level
    if when:
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(old)


@contextlib.contextmanager
def no_transformers_bar():
    """transformers' own progress bars off for the duration ("Loading weights" for a local folder, on every load in
    a script); huggingface_hub's download bars are left as they were."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was = getattr(hf_logging, "_tqdm_active", None)
    if not was:
        yield
        return
    hf_logging._tqdm_active = False  # disable_progress_bar() would switch off the hub's download bars too
    try:
        yield
    finally:
        hf_logging._tqdm_active = was
