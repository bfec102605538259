"""One call from audio to text: ``transcribe("talk.flac", lm="domain.arpa.gz", hotwords=["KUBERNETES"])``.

The same steps as the classes (:class:`~ctcdecode_plus.acoustic.AcousticModel` -> emissions -> a decoder), with
the acoustic model loaded once per name and device and kept for the next call.
"""
from __future__ import annotations

import functools
import inspect
import logging
import numbers
import os
from typing import Callable, Iterable, Iterator, Optional, Sequence, Tuple, Union

import numpy as np

from .acoustic import AcousticModel, AudioInput
from .audio import Audio
from .constants import DEFAULT_FILL_GAP_SECONDS, DEFAULT_PAUSE_SECONDS, DEMO_MODEL_NAME
from .decoders import BeamSearchDecoder, Decoder, GreedyDecoder
from .decoders.base import _timed_decode
from .emissions import Emissions
from .errors import CtcDecodeError, unexpected
from .transcript import Transcript

logger = logging.getLogger(__name__)

ModelLike = Union[str, os.PathLike, AcousticModel]


@functools.lru_cache(maxsize=2)
def _cached_model(name: str, device: Optional[str]) -> AcousticModel:
    return AcousticModel.from_pretrained(name, device=device)


def load_model(model: ModelLike = DEMO_MODEL_NAME, device: Optional[str] = None) -> AcousticModel:
    """``model`` itself if it is an :class:`AcousticModel`, else the model of that folder / hub id / ``"demo"``,
    loaded once per (name, device) and kept (the two most recent)."""
    if isinstance(model, AcousticModel):
        return model
    if not isinstance(model, (str, os.PathLike)):
        raise CtcDecodeError(f"model={model!r:.40}: give an AcousticModel, a model folder, a hub id or "
                             f"{DEMO_MODEL_NAME!r}.")
    return _cached_model(os.fspath(model), device)


Source = Union[AudioInput, Emissions]


def is_emissions_file(source: object) -> bool:
    """Whether ``source`` names saved emissions (a ``.npz`` written by ``ctcdecode-plus emissions`` or
    :meth:`Emissions.save`), decoded without running the acoustic model."""
    return isinstance(source, (str, os.PathLike)) and os.fspath(source).lower().endswith(".npz")


def needs_acoustic_model(sources: Iterable[Source]) -> bool:
    """Whether any of ``sources`` is audio (not :class:`Emissions` or a saved ``.npz`` of them)."""
    return any(not isinstance(s, Emissions) and not is_emissions_file(s) for s in sources)


def _saved_label_sets(sources: Sequence[Source]) -> list:
    """The distinct label sets of ``sources`` (:class:`Emissions` or saved ``.npz``), most files first; a file
    that cannot be read is left to fail in its turn."""
    counts: dict = {}
    for s in sources:
        if isinstance(s, Emissions):
            labels = s.labels
        elif is_emissions_file(s):
            try:
                labels = Emissions.load_labels(s)  # its labels only, not its log-probs
            except CtcDecodeError:
                continue
        else:
            continue
        counts[labels] = counts.get(labels, 0) + 1
    return sorted(counts, key=counts.get, reverse=True)


def _prepare_for_saved(decoder: Decoder, sources: Sequence[Source]) -> None:
    """Check ``decoder`` against the label sets of saved emissions: an LM or hotword that fits none of them raises
    once, here; emissions of another model beside them (which it does not fit) fail one by one, in their turn."""
    first_error = None
    for labels in _saved_label_sets(sources):
        try:
            decoder.prepare(labels)
            return
        except CtcDecodeError as e:
            first_error = first_error or e
    if first_error is not None:
        raise first_error


def each_transcript(
    sources: Iterable[Source],
    acoustic: Optional[AcousticModel],
    decoder: Decoder,
    *,
    input_rate: Optional[int] = None,
    chunk_seconds: Optional[float] = None,
    context_seconds: Optional[float] = None,
    progress: Optional[Callable[[float], None]] = None,
    num_workers: Optional[int] = None,
    checkpoints: Optional[Iterable[Optional[Union[str, os.PathLike]]]] = None,
) -> Iterator[Tuple[Source, Optional[Emissions], Union[Transcript, CtcDecodeError]]]:
    """``(source, emissions, transcript)`` for each source as soon as it is done; a source that fails gives
    ``(source, None, the CtcDecodeError)`` and the next one goes on. A source is audio (run through ``acoustic``),
    :class:`Emissions`, or a saved ``.npz`` of them (decoded as they are; ``acoustic`` may be ``None`` when every
    source is one). An LM or hotword that does not fit the model (or any of the models saved
    emissions come from) raises once, before any audio is read.
    ``input_rate`` (Hz), ``chunk_seconds`` and ``context_seconds`` as in :func:`transcribe`; ``progress`` is called
    with the seconds of audio each step ran through the model (increments, chunk by chunk in a long file; they add
    up to its length). ``num_workers`` > 1: decode in that many worker processes while this one reads and runs
    the model on the next sources (the same transcripts, in order). ``checkpoints``: a file for each source, in
    order (``None`` for none), where a long one's model run is kept as it goes and resumed from (``checkpoint`` of
    :meth:`.AcousticModel.emissions`). The loop under :func:`transcribe` and ``ctcdecode-plus transcribe``."""
    if not isinstance(decoder, Decoder):
        raise CtcDecodeError(f"each_transcript(): decoder={decoder!r:.40} is not a decoder; give GreedyDecoder() or "
                             "BeamSearchDecoder(...).")
    if num_workers is not None and (isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral)
                                    or num_workers < 1):
        raise CtcDecodeError(f"num_workers={num_workers!r}: give a whole number of processes >= 1, or None.")
    if isinstance(sources, (str, os.PathLike, Emissions, Audio)) or (isinstance(sources, np.ndarray)
                                                                     and sources.ndim == 1):
        sources = [sources]  # one source, not its characters or samples
    if acoustic is not None and not isinstance(acoustic, AcousticModel):
        acoustic = load_model(acoustic)  # a folder, hub id or "demo"
    if acoustic is not None:
        decoder.prepare(acoustic.labels)
    else:  # saved emissions only: a mismatch with every model among them fails once, not per file
        sources = list(sources)
        _prepare_for_saved(decoder, sources)

    kept = iter(checkpoints) if checkpoints is not None else None

    def emissions_of(source) -> Emissions:
        checkpoint = next(kept, None) if kept is not None else None  # called once per source, in order
        if isinstance(source, Emissions):
            return source
        if is_emissions_file(source):
            return Emissions.load(source)
        if acoustic is None:
            raise CtcDecodeError(f"{source}: audio needs an acoustic model; pass one (or give saved emissions, "
                                 "a .npz from `ctcdecode-plus emissions`).")
        return acoustic.emissions(source, input_rate=input_rate, chunk_seconds=chunk_seconds,
                                  context_seconds=context_seconds, progress=progress, checkpoint=checkpoint)

    if num_workers is not None and num_workers > 1:
        labels = [acoustic.labels] if acoustic is not None else _saved_label_sets(list(sources))
        yield from _decoded_in_workers(sources, emissions_of, decoder, num_workers, labels)
        return
    for source in sources:
        try:
            em = emissions_of(source)
        except CtcDecodeError as e:
            yield source, None, e
            continue
        except Exception as e:  # noqa: BLE001 - a bug here or in a library: this source fails, the rest go on
            yield source, None, unexpected(source, e, "reading it")
            continue
        out = _timed_decode(decoder, em)[0]
        yield (source, None, out) if isinstance(out, CtcDecodeError) else (source, em, out)


def _decoded_in_workers(sources: Iterable[Source], emissions_of: Callable[[Source], Emissions], decoder: Decoder,
                        num_workers: int, label_sets: Sequence) -> Iterator:
    """:func:`each_transcript`'s loop with the decoding in ``num_workers`` processes (:func:`.worker_pool`: by
    forkserver where torch is loaded), at most two per worker waiting, yielded in order as each is done."""
    import collections

    from .decoders.base import _decode_in_worker, worker_pool

    pending: collections.deque = collections.deque()  # (source, emissions, async result or the source's error)

    def result(entry):
        source, em, job = entry
        if isinstance(job, CtcDecodeError):
            return source, None, job
        out = job.result()[0]
        return (source, None, out) if isinstance(out, CtcDecodeError) else (source, em, out)

    with worker_pool(decoder, num_workers, label_sets) as pool:
        for source in sources:
            try:
                em = emissions_of(source)
                pending.append((source, em, pool.submit(_decode_in_worker, em)))
            except CtcDecodeError as e:
                pending.append((source, None, e))
            except Exception as e:  # noqa: BLE001 - as in the loop of one process
                pending.append((source, None, unexpected(source, e, "reading it")))
            while pending and (len(pending) > 2 * num_workers or isinstance(pending[0][2], CtcDecodeError)
                               or pending[0][2].done()):
                yield result(pending.popleft())
        while pending:
            yield result(pending.popleft())


def transcribe(
    audio: Union[Source, Sequence[Source]],
    *,
    model: ModelLike = DEMO_MODEL_NAME,
    lm: Optional[Union[str, os.PathLike]] = None,
    hotwords: Optional[Sequence[str]] = None,
    decoder: Optional[Decoder] = None,
    input_rate: Optional[int] = None,
    chunk_seconds: Optional[float] = None,
    context_seconds: Optional[float] = None,
    device: Optional[str] = None,
    errors: str = "raise",
    pause_seconds: Optional[float] = DEFAULT_PAUSE_SECONDS,
    fill_gap_seconds: Optional[float] = DEFAULT_FILL_GAP_SECONDS,
    **beam_options,
) -> Union[Transcript, list]:
    """Transcribe one recording, or a list of them, with word times in seconds.

    Args:
        audio: a file path (any format and rate; resampled to the model's 16 kHz mono), a float array of samples
            (give ``input_rate`` in Hz), :class:`Emissions` or a saved ``.npz`` of them (decoded without the
            model), or a list of these.
        model: an :class:`AcousticModel`, or a model folder, hub id or ``"demo"`` (loaded once and kept).
        lm: KenLM model (ARPA, ``.arpa.gz`` or binary) for beam search; ``None``: no LM.
        hotwords: words or phrases to boost (``"SHOWN: SPOKEN, ..."`` for terms written unlike they sound).
        decoder: any decoder, instead of the one ``lm``/``hotwords``/``beam_options`` describe.
        input_rate: sample rate of array input, Hz.
        chunk_seconds: audio longer than this (seconds) runs through the model in chunks; 0: never; ``None``: the
            model's own length (``AcousticModel.chunk_seconds``: 20 s, the demo model's 2.5 s).
        context_seconds: audio each chunk runs with on both sides (seconds); ``None``: the model's own
            (``AcousticModel.context_seconds``: 2 s, the demo model's 1 s).
        device: torch device for the model (``"cpu"``, ``"cuda"``); default CUDA when available.
        errors: for a list: ``"raise"`` raises the first failure after all inputs ran; ``"return"`` puts the
            :class:`~ctcdecode_plus.errors.CtcDecodeError` in that input's place.
        pause_seconds: a pause this long (seconds) ends a word where the model put no word delimiter in it;
            ``None``: the delimiter only (applies to the decoder built here, not to ``decoder=``).
        fill_gap_seconds: a word whose next word starts at most this long (seconds) after its last letter ends
            where the next one starts, and one before a longer gap at the model's word delimiter if it says one
            within that time (:func:`~ctcdecode_plus.decoders.base.word_ends`); ``None`` or 0: at its last letter's
            frame (the decoder built here only).
        beam_options: :class:`BeamSearchDecoder` settings (``alpha``, ``beta``, ``beam_width``,
            ``hotword_weight``, ``hotword_spotting``...).

    Returns:
        A :class:`Transcript` (``.text``, ``.words`` with start/end seconds), or a list of them for a list.

    Raises:
        CtcDecodeError: bad input, with what to do about it (for a list with ``errors="raise"``: the first one).
    """
    if errors not in ("raise", "return"):
        raise CtcDecodeError(f"errors={errors!r}: give 'raise' or 'return'.")
    if decoder is not None and (lm is not None or hotwords or beam_options):
        raise CtcDecodeError("transcribe(): give either decoder= or lm/hotwords/beam options, not both.")
    unknown = sorted(set(beam_options) - set(inspect.signature(BeamSearchDecoder.__init__).parameters))
    if unknown:
        raise CtcDecodeError(f"transcribe(): no option {unknown[0]!r}; the beam options are BeamSearchDecoder's "
                             "(alpha, beta, beam_width, hotword_weight, ...).")
    lm_only = [k for k in ("alpha", "beta", "unk_score_offset") if k in beam_options]
    if lm is None and decoder is None and lm_only:
        logger.warning("transcribe(): %s weigh a language model's scores and do nothing without lm=; give lm= (an "
                       "ARPA or KenLM binary) for them to act", ", ".join(lm_only))
    if decoder is None:
        beam = lm is not None or bool(hotwords) or bool(beam_options)
        decoder = BeamSearchDecoder(lm, hotwords=hotwords, pause_seconds=pause_seconds,
                                    fill_gap_seconds=fill_gap_seconds, **beam_options) if beam \
            else GreedyDecoder(pause_seconds=pause_seconds, fill_gap_seconds=fill_gap_seconds)
    single = isinstance(audio, (str, os.PathLike, np.ndarray, Emissions, Audio)) or hasattr(audio, "detach") \
        or not hasattr(audio, "__iter__")  # one recording (a path, samples, a tensor) or a list, tuple, generator
    sources = [audio] if single else list(audio)
    acoustic = load_model(model, device) if needs_acoustic_model(sources) else None
    results = [t for _, _, t in each_transcript(sources, acoustic, decoder,
                                                input_rate=input_rate, chunk_seconds=chunk_seconds,
                                                context_seconds=context_seconds)]
    if errors == "raise" or single:
        for r in results:
            if isinstance(r, CtcDecodeError):
                raise r
    return results[0] if single else results
