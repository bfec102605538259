"""The decoder interface: ``decode(emissions) -> Transcript``, plus process-parallel batches.

Decoders are plain configuration objects; anything that cannot be pickled (KenLM models, pyctcdecode
instances) is built lazily and dropped on pickling. A worker process therefore rebuilds it from the
configuration, which makes parallel decoding work under every multiprocessing start method
(fork, spawn, forkserver) — unlike pyctcdecode's ``decode_batch``, which silently goes serial under spawn.
"""
from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import numbers
import os
import signal
import sys
import time
from abc import ABC, abstractmethod
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator, Optional, Sequence, Union

import numpy as np

from ..constants import DELIMITER_LAG_SECONDS, WORD_TAIL_SECONDS
from ..emissions import Emissions
from ..errors import CtcDecodeError, unexpected
from ..transcript import Transcript, Word, fill_word_gaps
from ..vocab import SPACE_LABEL, Labels

_WORKER_DECODER: Optional["Decoder"] = None


def check_emissions(emissions, decoder: str = "decoder") -> None:
    """Raise :class:`~ctcdecode_plus.errors.EmissionsError` unless ``emissions`` is an :class:`Emissions` (a bare
    array of logits has no labels or frame duration: say how to make one)."""
    if not isinstance(emissions, Emissions):
        from ..errors import EmissionsError

        raise EmissionsError(
            f"{decoder}: decode() takes Emissions, got {type(emissions).__name__}; wrap logits or log-probs "
            "[frames, vocab] with Emissions.from_logits(logits, labels), or use AcousticModel.emissions(audio)."
        )


def word_ends(words: Sequence[Word], emissions: Emissions, fill_gap_seconds: Optional[float]) -> list[Word]:
    """``words`` decoded from ``emissions`` (as the model gave them: before pause breaks), their ends placed where
    the words end rather than at their last letter's frame, which a CTC model emits early in the word's last sound:

    * a word that the next one follows within ``fill_gap_seconds`` ends where the next starts
      (:func:`~ctcdecode_plus.transcript.fill_word_gaps`: the blank frames between are mostly its tail);
    * a word before a longer gap (a pause) or at the end ends at the first frame after it, at most
      ``fill_gap_seconds`` on, where the best token is the word delimiter, where there is one, less
      :data:`~ctcdecode_plus.constants.DELIMITER_LAG_SECONDS` (the demo model puts it a frame after the sound
      stops; a delimiter further on, as some models put just before the next word, is not taken), and where there
      is none, :data:`~ctcdecode_plus.constants.WORD_TAIL_SECONDS` (0.12 s) after its
      last letter's frame, within the gap (the last word of a recording, most often: measured, 105 ms early
      without this).

    No end moves more than ``fill_gap_seconds``; ``None`` or 0: unchanged (each word ends at its last letter's
    frame, as pyctcdecode's). Measured against festival's own word boundaries: ``benchmarks/word_times.py``."""
    if fill_gap_seconds is None or not words:
        return list(words)
    out = fill_word_gaps(words, fill_gap_seconds)
    labels = emissions.labels.labels
    if not len(emissions.log_probs):
        return out
    spf = emissions.seconds_per_frame
    is_delimiter = (emissions.log_probs.argmax(axis=1) == labels.index(SPACE_LABEL) if SPACE_LABEL in labels
                    else np.zeros(len(emissions.log_probs), dtype=bool))
    for i, w in enumerate(out):
        following = out[i + 1].start if i + 1 < len(out) else len(is_delimiter) * spf
        if i + 1 < len(out) and following - w.end <= fill_gap_seconds + 1e-9:
            continue  # filled, or no gap
        a = int(round(w.end / spf))
        reach = min(fill_gap_seconds, len(is_delimiter) * spf)  # a huge value: to the end, not an int overflow
        b = min(int(round(following / spf)), a + int(reach / spf + 1e-9) + 1)
        hits = np.flatnonzero(is_delimiter[a:b])
        end = ((a + int(hits[0])) * spf - DELIMITER_LAG_SECONDS if len(hits)
               else min(w.end + min(WORD_TAIL_SECONDS, reach), following))
        out[i] = dataclasses.replace(w, end=round(max(end, w.end), 4))
    return out


def as_labels(labels) -> Labels:
    """``labels`` as :class:`Labels` (a plain label list is read by :meth:`Labels.from_list`); a
    :class:`~ctcdecode_plus.errors.VocabularyError` for anything else."""
    if isinstance(labels, Labels):
        return labels
    if labels is None or isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
        from ..errors import VocabularyError

        raise VocabularyError(f"labels={labels!r:.40}: give the model's labels (AcousticModel.labels, or a list of one "
                              "string per vocabulary id).")
    return Labels.from_list(list(labels))


def _init_worker(decoder: "Decoder", label_sets: Sequence[Labels] = ()) -> None:
    global _WORKER_DECODER
    _WORKER_DECODER = decoder
    with contextlib.suppress(ValueError, OSError):  # Ctrl-C (or SIGTERM) to the whole process group: the parent
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # stops the pool and says so; a worker's traceback would only
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # add noise (a fork inherits the CLI's SIGTERM handler)
    for labels in label_sets:  # build the LM and hotwords before the first item's clock starts
        try:
            decoder.prepare(labels)
        except CtcDecodeError:
            pass  # each item's decode fails with it


def _timed_decode(decoder: "Decoder", emissions: Emissions) -> tuple[Union[Transcript, CtcDecodeError], float]:
    """``decoder.decode(emissions)`` (or its error, returned: one bad item does not stop a batch) and its seconds.
    An unexpected exception is that item's :class:`CtcDecodeError` too, saying so."""
    t0 = time.perf_counter()
    try:
        out: Union[Transcript, CtcDecodeError] = decoder.decode(emissions)
    except CtcDecodeError as e:
        out = e
    except Exception as e:  # noqa: BLE001 - a bug here or in a library: this item fails, the batch goes on
        out = unexpected(getattr(emissions, "source", None) or f"a {type(emissions).__name__}", e, "decoding")
    return out, time.perf_counter() - t0


def _decode_in_worker(emissions: Emissions) -> tuple[Union[Transcript, CtcDecodeError], float]:
    assert _WORKER_DECODER is not None
    return _timed_decode(_WORKER_DECODER, emissions)


def _decode_chunk_in_worker(chunk: list) -> list:
    """:func:`_decode_in_worker` over a list of emissions (one message each way for several utterances)."""
    return [_decode_in_worker(em) for em in chunk]


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity, as ``taskset`` or a container's cpuset limits it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def worker_pool(decoder: "Decoder", workers: int, label_sets: Sequence[Labels] = (),
                start_method: Optional[str] = None) -> Iterator:
    """A ``ProcessPoolExecutor`` of ``workers`` processes (at most :func:`usable_cores`), each holding ``decoder``
    (built once for ``label_sets``). Leaving the block in any way (the last result read, an error, Ctrl-C, a
    generator closed half-way) stops the workers at once: no decode outlives its caller, and no pool waits for the
    ones queued. A worker that dies (a crash in a C library) is a :class:`CtcDecodeError`, not a hang.
    ``start_method`` ``None``: the platform's, except that a process that has loaded torch (whose threads may hold
    a lock a fork would copy) starts them by forkserver where it can."""
    if start_method is None and "torch" in sys.modules and "forkserver" in multiprocessing.get_all_start_methods():
        start_method = "forkserver"
    workers = max(1, min(int(workers), usable_cores()))  # more processes than cores only cost memory (an audit:
    # --jobs 1000 started 541 of them on 2 cores, 3.7 GB and five times slower)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(start_method),
                               initializer=_init_worker, initargs=(decoder, list(label_sets)))
    try:
        yield pool
    except BrokenProcessPool:
        raise CtcDecodeError(f"{getattr(decoder, 'name', 'decoder')}: a decoding worker process died (a crash in "
                             "KenLM or another C library?); decode in one process (--jobs 1, num_workers=None) to "
                             "see the error") from None
    finally:
        _stop_pool(pool)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` at once: queued work cancelled, running workers terminated, and the pool's own threads ended
    before this returns, so that nothing is left for the interpreter's exit to wait on.

    Callers must not cancel the pool's futures themselves (``Executor.map``'s iterator does, when closed): on
    Python 3.11 a cancelled future that the pool then finds broken crashes its manager thread
    (``InvalidStateError``) before it closes its call queue, and the queue's feeder thread, blocked writing to a
    pipe no worker reads, made the process hang at exit (seen in CI: the suite passed, then never ended)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # before shutdown forgets them
    call_queue = getattr(pool, "_call_queue", None)
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:  # the ones still decoding: their results are no longer wanted
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=10)
    if manager is not None:
        manager.join(timeout=10)  # it finds the workers gone, fails what was running, joins the call queue's feeder
    feeder = getattr(call_queue, "_thread", None)
    if call_queue is not None and feeder is not None and feeder.is_alive():  # the last guard, should that go wrong:
        with contextlib.suppress(OSError):  # no reader left, so a write it is blocked in fails (EPIPE, ignored) ...
            call_queue._reader.close()
        call_queue.cancel_join_thread()  # ... and exit does not wait for it


class Decoder(ABC):
    """Common interface of all decoders."""

    #: short name used in tables and JSON
    name: str = "decoder"

    @abstractmethod
    def decode(self, emissions: Emissions) -> Transcript:
        """Decode one utterance's emissions ``[frames, vocab]`` into a :class:`Transcript`."""

    def settings(self) -> dict:
        """What this decoder decodes with, JSON-able (``compare``'s JSON records it beside each decoder's scores, so
        a result says how it was made)."""
        return {"type": type(self).__name__}

    def prepare(self, labels: Labels) -> "Decoder":
        """Check this decoder against a model's labels now and build what decoding needs (LM, hotwords), so that
        a mismatch (LM in another alphabet, a hotword the labels cannot spell) fails once, before any audio is
        processed, instead of on every utterance. Raises what :meth:`decode` would raise; returns ``self``."""
        return self

    def decode_batch(
        self,
        batch: Sequence[Emissions],
        num_workers: Optional[int] = None,
        *,
        start_method: Optional[str] = None,
        errors: str = "raise",
    ) -> list:
        """Decode many utterances, in ``num_workers`` processes when more than one.

        Args:
            batch: emissions to decode; an error in it (as :meth:`AcousticModel.emissions_batch` puts in a failed
                file's place) is passed through as that item's result.
            num_workers: processes to use; ``None`` or 1 decodes in this process.
            start_method: multiprocessing start method (``"fork"``, ``"spawn"``, ``"forkserver"``); default
                the platform's (forkserver where torch is loaded: :func:`worker_pool`).
            errors: ``"raise"`` raises the first item's error after all items ran; ``"return"`` puts the
                :class:`CtcDecodeError` in that item's place.

        Returns:
            One :class:`Transcript` (or error, with ``errors="return"``) per input, in order.
        """
        if errors not in ("raise", "return"):
            raise CtcDecodeError(f"errors={errors!r}: give 'raise' or 'return'.")
        results = [r for r, _ in self.timed_decodes(batch, num_workers, start_method=start_method)]
        if errors == "raise":
            for r in results:
                if isinstance(r, CtcDecodeError):
                    raise r
        return results

    def timed_decodes(
        self,
        batch: Sequence[Emissions],
        num_workers: Optional[int] = None,
        *,
        start_method: Optional[str] = None,
    ) -> Iterator[tuple[Union[Transcript, CtcDecodeError], float]]:
        """Decode many utterances as :meth:`decode_batch` does (``errors="return"``), yielding each one's
        ``(transcript or error, seconds)`` in order as soon as it is done: ``seconds`` is the time its own decode
        took, in whichever process ran it (0 for an error passed through), so a sum over items is decoding
        compute, comparable between ``num_workers`` settings; the wall-clock time of the batch is shorter with
        more workers. Each worker builds the decoder's LM and hotwords once, before its first item's clock starts.
        """
        if start_method is not None and start_method not in multiprocessing.get_all_start_methods():
            raise CtcDecodeError(f"start_method={start_method!r}: this platform has "
                                 f"{multiprocessing.get_all_start_methods()} (or None for its default).")
        if num_workers is not None and (isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral)
                                        or num_workers < 1):
            raise CtcDecodeError(f"num_workers={num_workers!r}: give a whole number of processes >= 1, or None.")
        return self._timed_decodes(list(batch), num_workers or 1, start_method)

    def _timed_decodes(self, batch: list, num_workers: int, start_method: Optional[str]) -> Iterator:
        # an error in the batch (emissions_batch puts a file's error in its place) stays that error
        todo = [em for em in batch if not isinstance(em, CtcDecodeError)]
        workers = min(num_workers, len(todo), usable_cores())
        if workers <= 1:
            done: Iterator = (_timed_decode(self, em) for em in todo)
            for em in batch:
                yield (em, 0.0) if isinstance(em, CtcDecodeError) else next(done)
            return
        label_sets = list({id(em.labels): em.labels for em in todo if isinstance(em, Emissions)}.values())
        size = max(1, min(8, len(todo) // (4 * workers)))
        with worker_pool(self, workers, label_sets, start_method) as pool:
            # submitted, not Executor.map: its iterator cancels futures when closed (see _stop_pool)
            jobs = [pool.submit(_decode_chunk_in_worker, todo[i:i + size]) for i in range(0, len(todo), size)]
            done = (r for job in jobs for r in job.result())
            for em in batch:
                yield (em, 0.0) if isinstance(em, CtcDecodeError) else next(done)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for key in [k for k in state if k.startswith("_cache")]:
            state[key] = {} if isinstance(state[key], dict) else None
        return state
