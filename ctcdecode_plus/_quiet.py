"""Keep C libraries' own messages off the user's terminal (KenLM's loading bar, libmpg123's frame complaints)."""
from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def quiet_stderr():
    """Send file descriptor 2 to ``/dev/null`` for the duration (what C code prints there; Python's ``sys.stderr``
    writes land there too). Where fd 2 cannot be duplicated, nothing changes."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)


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
