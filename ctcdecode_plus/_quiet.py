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
