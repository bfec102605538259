"""Emissions: frame-level CTC log-probabilities with everything a decoder needs to read them.

Shape ``[frames, vocab]``, float32, natural-log probabilities (each row log-sum-exps to 0). A frame lasts
``seconds_per_frame`` seconds (0.02 s for wav2vec2: conv stride 320 samples at 16 kHz).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ._files import atomic_write
from .constants import MAX_SECONDS_PER_FRAME, MIN_SECONDS_PER_FRAME
from .errors import EmissionsError
from .vocab import BLANK_LABEL, SPACE_LABEL, Labels

#: log-probability given to suppressed tokens and used in place of -inf (exp(-1e4) == 0 in float32).
LOG_FLOOR = -1.0e4


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable log-softmax along ``axis`` (float32 in, float32 out)."""
    x = x.astype(np.float32, copy=False)
    m = np.max(x, axis=axis, keepdims=True)
    return (x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))).astype(np.float32)


@dataclass(eq=False)  # arrays have no single truth value: equal is the same object
class Emissions:
    """CTC log-probabilities of one utterance.

    Attributes:
        log_probs: ``[frames, vocab]`` float32 natural-log probabilities.
        labels: the decoder label mapping; ``len(labels) == vocab``.
        seconds_per_frame: duration of one frame in seconds.
        source: where the emissions came from (audio path or ``"<array>"``).
        audio_seconds: length of the audio they come from, in seconds (``None``: not known). The frames cover
            up to about one frame less (:attr:`duration`): the model's window needs whole frames of audio.
    """

    log_probs: np.ndarray
    labels: Labels
    seconds_per_frame: float
    source: str = "<array>"
    audio_seconds: Optional[float] = None

    def __post_init__(self) -> None:
        """Check what the decoders rely on: labels, frame length, and ``[frames, vocab]`` float32 normalised
        log-probs without NaN (``-inf`` floored); raw logits go through :meth:`from_logits`."""
        if not isinstance(self.source, str):
            self.source = str(self.source)
        self.labels = _checked_labels(self.labels, self.source)
        _check_lengths(self.seconds_per_frame, self.audio_seconds, self.source)
        self.log_probs = _checked_log_probs(self.log_probs, self.labels, self.source)

    @classmethod
    def _unchecked(cls, log_probs: np.ndarray, labels: Labels, seconds_per_frame: float, source: str = "<array>",
                   audio_seconds: Optional[float] = None) -> "Emissions":
        """Emissions of arrays this module has just made or checked (normalised float32 log-probs and checked
        labels), without checking them again: a long recording's log-sum-exp is not free."""
        em = cls.__new__(cls)
        em.log_probs, em.labels, em.seconds_per_frame, em.source, em.audio_seconds = (
            log_probs, labels, seconds_per_frame, source, audio_seconds)
        return em

    def _with(self, **changes) -> "Emissions":
        """These emissions with some fields replaced by values made here (:meth:`_unchecked`)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return Emissions._unchecked(**{**fields, **changes})

    def __repr__(self) -> str:  # the log-probs' shape, not their values
        audio = "" if self.audio_seconds is None else f", audio_seconds={self.audio_seconds:.3f}"
        return (f"Emissions(source={self.source!r}, frames={self.num_frames}, vocab={self.log_probs.shape[1]}, "
                f"seconds_per_frame={self.seconds_per_frame:g}{audio})")

    @property
    def num_frames(self) -> int:
        return int(self.log_probs.shape[0])

    @property
    def duration(self) -> float:
        """Seconds covered by the frames (``frames * seconds_per_frame``); the audio's own length is
        :attr:`audio_seconds`."""
        return self.num_frames * self.seconds_per_frame

    @property
    def audio_duration(self) -> float:
        """The audio's length in seconds: :attr:`audio_seconds` where known (emissions saved before it was kept:
        :attr:`duration`, the frames' span)."""
        return self.audio_seconds if self.audio_seconds is not None else self.duration

    @property
    def blank_id(self) -> int:
        return self.labels.blank_id

    @classmethod
    def from_logits(
        cls,
        logits: np.ndarray,
        labels: Union[Labels, Sequence[str]],
        seconds_per_frame: float = 0.02,
        source: str = "<array>",
        audio_seconds: Optional[float] = None,
    ) -> "Emissions":
        """Validate raw logits (or log-probs) ``[frames, vocab]`` and turn them into normalised log-probs.

        ``audio_seconds``: the length of the audio, seconds, where known.
        Raises :class:`EmissionsError` for a wrong shape, a width that does not match ``labels``, NaN or +inf, and
        probabilities (rows in [0, 1] summing to 1: give ``np.log(probs)``).
        ``-inf`` (probability 0) is allowed and floored to :data:`LOG_FLOOR`. Suppressed tokens are floored too.
        """
        labels = _checked_labels(labels, source)
        _check_lengths(seconds_per_frame, audio_seconds, source)
        if hasattr(logits, "detach") and hasattr(logits, "cpu"):  # a torch tensor, maybe on a GPU or tracking grads
            logits = logits.detach().cpu().float().numpy()
        try:
            arr = np.asarray(logits)
        except (ValueError, TypeError):
            raise EmissionsError(
                f"{source}: logits are not a rectangular [frames, vocab] array (rows of different lengths?)."
            ) from None
        if arr.ndim == 3 and arr.shape[0] == 1:
            arr = arr[0]
        if arr.ndim != 2:
            raise EmissionsError(f"{source}: logits must have shape [frames, vocab], got {arr.shape}.")
        if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
            raise EmissionsError(f"{source}: logits must be numeric, got dtype {arr.dtype}.")
        if arr.shape[0] == 0:
            raise EmissionsError(f"{source}: logits have 0 frames; the audio is too short for the model.")
        if arr.shape[1] != len(labels):
            raise EmissionsError(
                f"{source}: logits have {arr.shape[1]} columns but the label set has {len(labels)} entries; "
                "use the labels (vocabulary) of the model that produced these logits."
            )
        arr = arr.astype(np.float32)
        nan = np.isnan(arr) | np.isposinf(arr)
        if nan.any():
            frames = np.unique(np.nonzero(nan)[0])
            raise EmissionsError(
                f"{source}: logits contain {int(nan.sum())} NaN/+inf values (frames {frames[:5].tolist()}...). "
                "The model produced invalid output: check the audio, or run the model in float32 instead of float16."
            )
        if arr.shape[1] > 1 and arr.min() >= 0 and arr.max() <= 1 and np.allclose(arr.sum(axis=1), 1, atol=1e-3):
            raise EmissionsError(  # read as logits they give wrong text and confidences, silently
                f"{source}: these look like probabilities (every value in [0, 1], every frame summing to 1), not "
                "logits; pass logits or log-probabilities: np.log(probs), or the model's output before softmax.")
        suppressed = set(labels.suppressed)
        usable = [i for i in range(arr.shape[1]) if i not in suppressed]
        dead = np.isneginf(arr[:, usable]).all(axis=1) if usable else np.ones(arr.shape[0], bool)
        if dead.any():
            frames = np.flatnonzero(dead)
            raise EmissionsError(
                f"{source}: {len(frames)} frame(s) give every token probability 0 (all -inf, or only suppressed "
                f"tokens; frames {frames[:5].tolist()}...), so there is nothing to decode. The model produced "
                "invalid output: check the audio, or run the model in float32 instead of float16."
            )
        # log_softmax ignores a shift per frame: putting each frame's best usable logit at 0 first means the floor
        # only reaches tokens 1e4 below it, even where every logit of a frame is below the floor
        arr = np.maximum(arr - arr[:, usable].max(axis=1, keepdims=True), LOG_FLOOR)
        if labels.suppressed:
            arr[:, list(labels.suppressed)] = LOG_FLOOR
        log_probs = np.maximum(log_softmax(arr), LOG_FLOOR)  # floored values stay exactly LOG_FLOOR
        return cls._unchecked(log_probs, labels, float(seconds_per_frame), str(source),
                              None if audio_seconds is None else float(audio_seconds))

    def with_temperature(self, temperature: float) -> "Emissions":
        """These emissions with each frame's distribution flattened (``temperature`` > 1) or sharpened (< 1):
        ``log_softmax(log_probs / temperature)`` ``[frames, vocab]``, exactly as if the model's logits had been
        divided by ``temperature`` (a frame's log-probs differ from its logits by a constant). The argmax of every
        frame, hence greedy output, is unchanged; floored (suppressed, impossible) tokens stay floored.

        Beam search prunes by fixed log-probabilities (``token_min_logp``, ``beam_prune_logp``), so an
        over-confident model leaves the LM no alternatives to choose from: flattening lets it reach them. Choose
        the temperature on a development set, as alpha and beta (the shipped demo model has its own baked in).
        """
        t = temperature
        if isinstance(t, bool) or not isinstance(t, (int, float, np.number)) or not np.isfinite(t) or t <= 0:
            raise EmissionsError(f"{self.source}: temperature={t!r} must be a positive number (1 changes nothing; "
                                 "an over-confident model wants about 1.5-3).")
        if t == 1:
            return self
        floored = self.log_probs <= LOG_FLOOR
        scaled = np.where(floored, LOG_FLOOR, self.log_probs / np.float32(t)).astype(np.float32)
        log_probs = np.where(floored, LOG_FLOOR, log_softmax(scaled)).astype(np.float32)
        return self._with(log_probs=log_probs)

    def segments(self, max_seconds: Optional[float]) -> list[tuple[int, int]]:
        """Frame ranges ``[(start, end), ...]`` that cover these emissions, each at most ``max_seconds`` long (one
        range when they are no longer, or ``max_seconds`` is ``None``). Each cut is in the middle of the longest run
        of frames whose best token is the blank or the word delimiter in the second half of the allowed span: a
        pause between words (a word is cut only where a span has no such frame at all). Labels without a word
        delimiter (BPE-like) are not cut: their pieces could not be joined without guessing a word break."""
        if max_seconds is not None and (isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float))
                                        or not np.isfinite(max_seconds) or max_seconds < 1):
            raise EmissionsError(f"segments({max_seconds!r}): give a length in seconds >= 1, or None.")
        n = self.num_frames
        limit = None if max_seconds is None else max(2, int(max_seconds / self.seconds_per_frame))
        if limit is None or n <= limit or SPACE_LABEL not in self.labels.labels:
            return [(0, n)]
        best = self.log_probs.argmax(axis=1)
        gap = (best == self.blank_id) | (best == self.labels.labels.index(SPACE_LABEL))
        edges = np.flatnonzero(np.diff(np.concatenate([[0], gap.astype(np.int8), [0]])))
        starts, ends = edges[0::2], edges[1::2]  # runs of gap frames [start, end)
        centers, lengths = (starts + ends) // 2, ends - starts
        cuts, a = [], 0
        while n - a > limit:
            lo, hi = a + limit // 2, a + limit
            inside = np.flatnonzero((centers > lo) & (centers <= hi))
            # the longest run; of equal ones the latest, for pieces as long as allowed
            cut = int(centers[inside[::-1][np.argmax(lengths[inside[::-1]])]]) if len(inside) else hi
            cuts.append(cut)
            a = cut
        return list(zip([0, *cuts], [*cuts, n]))

    def piece(self, start: int, end: int) -> "Emissions":
        """Frames ``[start, end)`` as emissions of their own (times in a transcript of them count from ``start``);
        ``0 <= start <= end <= num_frames``."""
        if not (isinstance(start, (int, np.integer)) and isinstance(end, (int, np.integer))
                and 0 <= start <= end <= self.num_frames):
            raise EmissionsError(f"{self.source}: piece({start!r}, {end!r}): give frame indices with 0 <= start <= end "
                                 f"<= {self.num_frames} (the number of frames).")
        return Emissions._unchecked(self.log_probs[start:end], self.labels, self.seconds_per_frame, self.source, None)

    def with_pause_breaks(self, min_pause: Optional[float]) -> "Emissions":
        """These emissions with a word break in every pause of at least ``min_pause`` seconds that has none.

        A model may say nothing but blank through a silence, with no word delimiter (``" "``): then the words on
        either side run together (``CARDIF`` for "CARD" ... "IF", its time spanning the silence; one subtitle cue
        across it). In each run of at least ``min_pause`` seconds of frames whose most likely token is the blank,
        between two characters that are not delimiters, the middle frame gets the blank's and the delimiter's
        log-probabilities swapped, so the best path says the delimiter there. ``[frames, vocab]`` unchanged;
        ``None``, labels without a delimiter (BPE), or nothing to break return ``self``.
        """
        check_pause_seconds(min_pause, "min_pause")
        if min_pause is None:
            return self
        labels = self.labels.labels
        if SPACE_LABEL not in labels or not len(self.log_probs):
            return self
        space, blank = labels.index(SPACE_LABEL), self.blank_id
        best = self.log_probs.argmax(axis=1)
        is_blank = best == blank
        edges = np.flatnonzero(np.diff(np.r_[0, is_blank.astype(np.int8), 0]))
        if min_pause > self.duration:  # no pause that long (and no int of a huge frame count)
            return self
        min_frames = max(1, int(np.ceil(min_pause / self.seconds_per_frame - 1e-9)))
        middles = [(a + b) // 2 for a, b in zip(edges[::2], edges[1::2])
                   if b - a >= min_frames and a > 0 and b < len(best) and space not in (best[a - 1], best[b])]
        if not middles:
            return self
        log_probs = self.log_probs.copy()
        log_probs[middles, space], log_probs[middles, blank] = self.log_probs[middles, blank], \
            self.log_probs[middles, space]
        return self._with(log_probs=log_probs)

    # --- persistence -------------------------------------------------------------------------------------------
    def save(self, path: Union[str, os.PathLike], made_with: Optional[dict] = None) -> Path:
        """Write to ``path`` (``.npz`` appended if missing, as numpy does): log-probs, labels, blank id, suppressed
        ids, seconds per frame, source, audio length, and ``made_with`` (JSON-able: what a cache of emissions
        checks before it reuses them; the CLI's ``--emissions`` records the model, chunking and audio file there).
        Returns the path written."""
        path = Path(path)
        if path.is_dir():
            raise EmissionsError(f"{path}: is a folder; give a file name for the emissions (e.g. {path / 'utt.npz'}).")
        if path.suffix.lower() != ".npz":  # as numpy.savez: the extension is what marks a file as emissions
            path = path.with_name(path.name + ".npz")
        meta = {
            "labels": list(self.labels.labels),
            "blank_id": self.labels.blank_id,
            "suppressed": list(self.labels.suppressed),
            "seconds_per_frame": self.seconds_per_frame,
            "source": self.source,
            "audio_seconds": self.audio_seconds,
        }
        if self.source and os.path.isfile(self.source):  # where it is, whatever folder a later run starts in
            meta["source_abspath"] = os.path.abspath(self.source)
        if made_with:
            meta["made_with"] = made_with
        # the temporary file is hidden and not *.npz, so that a folder listing never takes a leftover for emissions
        with atomic_write(path, "wb", error=EmissionsError, make_folder=True) as fh:  # numpy appends no .npz to a file
            np.savez_compressed(fh, log_probs=self.log_probs, meta=np.array(json.dumps(meta)))
        return path

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "Emissions":
        """Read emissions written by :meth:`save`."""
        path = Path(path)
        log_probs, labels, meta = _read_saved(path, with_log_probs=True)
        try:
            seconds_per_frame = float(meta["seconds_per_frame"])
            source = str(meta.get("source", path))
            audio_seconds = meta.get("audio_seconds")  # None in files written before it was kept
        except Exception as e:  # noqa: BLE001
            raise _not_saved_emissions(path, e) from None
        try:
            return cls.from_logits(log_probs, labels, seconds_per_frame, source, audio_seconds)
        except EmissionsError as e:  # name the file, not only the audio it came from
            raise EmissionsError(f"{path}: {e}") from None

    @staticmethod
    def load_labels(path: Union[str, os.PathLike]) -> Labels:
        """The labels of emissions saved at ``path``, read without their log-probs (cheap for a long file);
        raises what :meth:`load` raises for a missing or damaged file."""
        return _read_saved(Path(path), with_log_probs=False)[1]


def _checked_labels(labels, source: str) -> Labels:
    """``labels`` as :class:`Labels` (a list of strings is read as a model's vocabulary), or an EmissionsError."""
    if isinstance(labels, Labels):
        return labels
    try:
        items = None if labels is None or isinstance(labels, (str, bytes)) else list(labels)
    except TypeError:
        items = None
    if items is None or not all(isinstance(x, str) for x in items):
        raise EmissionsError(
            f"{source}: labels must be the model's label list (one string per vocabulary id) or Labels, "
            f"got {type(labels).__name__}; use AcousticModel.labels or Labels.from_folder(model_dir)."
        )
    return Labels.from_list(items)


def _check_lengths(seconds_per_frame, audio_seconds, source: str) -> None:
    """An EmissionsError unless ``seconds_per_frame`` is a frame length a CTC model has (seconds) and
    ``audio_seconds`` is ``None`` or a length in seconds."""
    spf = seconds_per_frame
    if isinstance(spf, bool) or not isinstance(spf, (int, float, np.number)) or not np.isfinite(spf) or spf <= 0:
        raise EmissionsError(
            f"{source}: seconds_per_frame={spf!r} must be a positive number of seconds (0.02 for wav2vec2)."
        )
    if not MIN_SECONDS_PER_FRAME <= spf <= MAX_SECONDS_PER_FRAME:
        raise EmissionsError(
            f"{source}: seconds_per_frame={spf!r} is not a frame length a CTC model has (seconds, between "
            f"{MIN_SECONDS_PER_FRAME:g} and {MAX_SECONDS_PER_FRAME:g}; 0.02 for wav2vec2): milliseconds given "
            "for seconds, or a damaged file?"
        )
    if audio_seconds is not None and (isinstance(audio_seconds, bool) or not isinstance(
            audio_seconds, (int, float, np.number)) or not np.isfinite(audio_seconds) or audio_seconds < 0):
        raise EmissionsError(f"{source}: audio_seconds={audio_seconds!r} must be a length in seconds, or None.")


def _checked_log_probs(log_probs, labels: Labels, source: str) -> np.ndarray:
    """``log_probs`` as a float32 ``[frames, vocab]`` array of normalised natural-log probabilities (``-inf``
    floored to :data:`LOG_FLOOR`), or an EmissionsError that says to build them with :meth:`Emissions.from_logits`."""
    fix = "build them with Emissions.from_logits(logits, labels), which checks and normalises logits"
    if hasattr(log_probs, "detach") and hasattr(log_probs, "cpu"):  # a torch tensor
        log_probs = log_probs.detach().cpu().float().numpy()
    try:
        arr = np.asarray(log_probs)
    except (ValueError, TypeError):
        arr = np.empty(0)  # ragged rows: the shape error below
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.floating):
        raise EmissionsError(f"{source}: log_probs must be a float [frames, vocab] array, "
                             f"got shape {arr.shape}, dtype {arr.dtype}; {fix}.")
    if arr.shape[1] != len(labels):
        raise EmissionsError(f"{source}: log_probs have {arr.shape[1]} columns but the label set has {len(labels)} "
                             "entries; use the labels of the model that produced them.")
    arr = arr.astype(np.float32, copy=False)
    if np.isnan(arr).any() or np.isposinf(arr).any():
        raise EmissionsError(f"{source}: log_probs contain NaN or +inf; {fix} (it names the frames).")
    if np.isneginf(arr).any():
        arr = np.maximum(arr, LOG_FLOOR)
    top = arr.max(axis=1) if len(arr) else np.zeros(0, np.float32)
    total = top + np.log(np.exp(arr - top[:, None]).sum(axis=1))  # each frame's log-sum-exp: 0 when normalised
    bad = np.flatnonzero(np.abs(total) > 0.05)  # 5 % of the mass: float16 log-softmax passes
    if len(bad):
        raise EmissionsError(f"{source}: log_probs are not normalised log-probabilities (frame {int(bad[0])} sums "
                             f"to probability {float(np.exp(total[bad[0]])):.3g}, not 1; {len(bad)} such frames): "
                             f"logits given as log-probs? {fix}.")
    return arr


def _not_saved_emissions(path: Path, e: Exception) -> EmissionsError:
    return EmissionsError(f"{path}: not an emissions .npz written by ctcdecode-plus ({type(e).__name__}: {e}); delete "
                          "it and write it again with `ctcdecode-plus emissions` or Emissions.save().")


def _read_saved(path: Path, with_log_probs: bool) -> Tuple[Optional[np.ndarray], Labels, dict]:
    """``(log_probs or None, labels, meta)`` of a file written by :meth:`Emissions.save`, its labels checked."""
    if not path.is_file():
        raise EmissionsError(f"{path}: emissions file not found; create it with `ctcdecode-plus emissions`.")
    try:
        with np.load(path, allow_pickle=False) as data:  # an .npz member is read only when asked for
            log_probs = data["log_probs"] if with_log_probs else None
            meta = json.loads(str(data["meta"]))
        labels = Labels(tuple(str(x) for x in meta["labels"]), int(meta["blank_id"]),
                        tuple(int(i) for i in meta.get("suppressed", ())))
    except Exception as e:  # noqa: BLE001
        raise _not_saved_emissions(path, e) from None
    if not 0 <= labels.blank_id < len(labels) or any(not 0 <= i < len(labels) for i in labels.suppressed):
        raise EmissionsError(f"{path}: blank or suppressed ids outside the label set; the file is damaged.")
    # what save() never writes, and what would decode to wrong text: the blank on a letter, a label twice, "|"
    # with no " " (save() writes a model's word delimiter as " "; "|" beside it is a character of its own)
    problem = ("the blank id is on the label " + repr(labels.labels[labels.blank_id])
               if labels.labels[labels.blank_id] != BLANK_LABEL
               else "a label appears twice" if len(set(labels.labels)) != len(labels.labels)
               else "'|' stands where the word delimiter ' ' should" if "|" in labels.labels
               and SPACE_LABEL not in labels.labels else None)
    if problem:
        raise EmissionsError(f"{path}: {problem}; emissions files hold '' for the blank and ' ' for the word "
                             "delimiter, each label once: the file is damaged (or not written by "
                             "Emissions.save): write it again with `ctcdecode-plus emissions`.")
    return log_probs, labels, meta


def check_pause_seconds(pause_seconds, name: str = "pause_seconds") -> None:
    """Raise :class:`EmissionsError` unless ``pause_seconds`` is ``None`` or a positive number of seconds (the
    shortest pause that ends a word: :meth:`Emissions.with_pause_breaks`; the decoders' ``pause_seconds``)."""
    if pause_seconds is None:
        return
    if isinstance(pause_seconds, bool) or not isinstance(pause_seconds, (int, float, np.number)) \
            or not np.isfinite(pause_seconds) or pause_seconds <= 0:
        raise EmissionsError(f"{name}={pause_seconds!r} (--pause-seconds): give a positive number of seconds (a pause "
                             "that long ends a word), or None to leave words to the model's delimiter.")


def frames_to_seconds(frames: Union[int, np.ndarray], seconds_per_frame: float) -> Union[float, np.ndarray]:
    """Frame index (or indices) → seconds from the start of the audio."""
    return frames * seconds_per_frame


def check_same_labels(a: Labels, b: Labels, what: Optional[str] = None) -> None:
    """Raise if two label sets differ (e.g. emissions of two different models mixed in one batch)."""
    if a.labels != b.labels:
        raise EmissionsError(
            f"{what or 'emissions'}: label set differs from the decoder's ({len(a)} vs {len(b)} labels); "
            "decode emissions of one model with one decoder."
        )
