"""The acoustic model: any Hugging Face CTC checkpoint (``Wav2Vec2ForCTC`` and kin) with its processor.

``AcousticModel.from_pretrained(name_or_path)`` takes a local folder, a hub id (``facebook/wav2vec2-base-960h``;
needs the network or the local hub cache) or ``"demo"``, the small model shipped with this package.
``model.emissions(audio)`` turns audio into :class:`~ctcdecode_plus.emissions.Emissions`: log-probabilities
``[frames, vocab]`` at ``seconds_per_frame`` seconds a frame (0.02 s for wav2vec2). Long audio runs in chunks with
context on both sides, so model memory does not grow with the file's length.
"""
from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import math
import numbers
import os
import time
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

import numpy as np

from ._quiet import no_transformers_bar
from .audio import Audio, Chunk, _check_content, audio_files, iter_chunks, load_audio, stream_chunks
from .constants import DEFAULT_CHUNK_SECONDS, DEFAULT_CONTEXT_SECONDS, DEMO_MODEL_NAME, MODEL_SETTINGS_FILENAME
from .emissions import Emissions
from .errors import CtcDecodeError, ModelError
from .vocab import Labels

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
AudioInput = Union[PathLike, Audio, np.ndarray]

#: shortest chunk (seconds) that ``chunk_seconds`` may ask for, 0 aside: each chunk also runs the model on
#: ``context_seconds`` of audio on both sides, so tiny chunks (down to 20 ms windows) make the model run for ages
MIN_CHUNK_SECONDS = 1.0

#: folder of the shipped demo model
DEMO_MODEL_DIR = Path(__file__).resolve().parent / "models" / DEMO_MODEL_NAME


def resolve_model_path(name_or_path: PathLike) -> str:
    """``"demo"`` → the shipped model folder; anything else unchanged (a folder or a hub id)."""
    if str(name_or_path) == DEMO_MODEL_NAME and not (Path(DEMO_MODEL_NAME) / "config.json").is_file():
        if not (DEMO_MODEL_DIR / "config.json").is_file():
            raise ModelError(
                "the demo model is not installed in this copy of ctcdecode-plus "
                f"({DEMO_MODEL_DIR} is missing); pass --model with a model folder or hub id."
            )
        return str(DEMO_MODEL_DIR)
    return str(name_or_path)


def model_fingerprint(name_or_path: PathLike) -> str:
    """A short id of a model as its files are now, to tell whether saved emissions came from it: for a folder
    (``"demo"`` included), a hash of its resolved path and of each file's name, size and modification time, so that
    new weights or settings in it, or another folder, give another id; for a hub id, the id and the revision
    (snapshot) its main branch has in the local hub cache, where it is there."""
    import hashlib

    folder = Path(resolve_model_path(name_or_path))
    if not folder.is_dir():  # the revision of its files in the local hub cache, where they are there
        try:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(str(name_or_path), "config.json")
        except Exception:  # noqa: BLE001 - not a repo id the hub client takes: the id alone
            found = None
        return f"hub:{name_or_path}" + (f"@{Path(found).parent.name}" if isinstance(found, str) else "")
    h = hashlib.sha1(str(folder.resolve()).encode())
    for f in sorted(folder.iterdir()):
        with contextlib.suppress(OSError):
            st = f.stat()
            if f.is_file():
                h.update(f"\0{f.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def model_chunking(name_or_path: PathLike) -> tuple[float, float]:
    """``(chunk_seconds, context_seconds)`` a model runs long audio with by default, from its
    ``ctcdecode_plus.json`` without loading it (the library's defaults where the file says nothing or the model
    cannot be found; loading it says why)."""
    path = resolve_model_path(name_or_path)
    try:
        settings = _model_settings(path, Path(path).is_dir(), {})
    except CtcDecodeError:
        settings = {}
    return (float(settings.get("chunk_seconds", DEFAULT_CHUNK_SECONDS)),
            float(settings.get("context_seconds", DEFAULT_CONTEXT_SECONDS)))


def _check_progress(progress) -> None:
    """A :class:`ModelError` for a ``progress=`` that cannot be called (it would fail after the first step)."""
    if progress is not None and not callable(progress):
        raise ModelError(f"progress={progress!r:.40}: give a function called with the seconds (or inputs) done, "
                         "or None.")


def near_miss_folder(name: str) -> str:
    """For an ``org/name`` that is tried as a hub id because no such folder exists: a sentence saying so where
    ``org`` is a local folder (a mistyped relative path, e.g. ``runs/modle``), else ``""``."""
    parent = Path(name).parent
    if str(parent) in ("", ".") or not parent.is_dir():
        return ""
    return (f"No folder {name} exists ({parent}/ has no '{Path(name).name}'), so it was tried as a hub id: if you "
            "meant a folder, check the path. ")


def _check_device(device: str) -> None:
    """Raise :class:`ModelError` for a device string torch cannot parse or a GPU this machine does not have."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ModelError(f"device={device!r}: not a torch device; use cpu, cuda or cuda:N (e.g. --device cpu).") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelError(
                f"device={device!r}: CUDA is not available here (no GPU, or torch built for CPU only); "
                "use --device cpu or leave --device out."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ModelError(
                f"device={device!r}: this machine has {torch.cuda.device_count()} CUDA device(s); "
                f"use cuda:0 to cuda:{torch.cuda.device_count() - 1}."
            )


def _finite_number(value) -> bool:
    """Whether ``value`` is a finite real number (numpy's too; not a bool, and not a whole number of hundreds of
    digits, which overflows a float)."""
    try:
        return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    except OverflowError:
        return False


def _check_chunking(chunk_seconds: float, context_seconds: float, batch_size: int = 1) -> None:
    """Raise for chunk settings that would loop forever, crash, or silently run 20 ms windows."""
    for name, value in (("chunk_seconds", chunk_seconds), ("context_seconds", context_seconds)):
        if not _finite_number(value) or value < 0:
            raise CtcDecodeError(
                f"{name}={value!r:.40} (--{name.replace('_', '-')}): give 0 or a positive number of seconds "
                f"(chunk_seconds=0 disables chunking; the library's defaults are {DEFAULT_CHUNK_SECONDS:g} and "
                f"{DEFAULT_CONTEXT_SECONDS:g}, a model folder may set its own)."
            )
    if 0 < chunk_seconds < MIN_CHUNK_SECONDS:
        raise CtcDecodeError(
            f"chunk_seconds={chunk_seconds!r} (--chunk-seconds): give 0 (never chunk) or at least "
            f"{MIN_CHUNK_SECONDS:g} s (default {DEFAULT_CHUNK_SECONDS:g}); each chunk also runs "
            f"{context_seconds:g} s of context on both sides, so tiny chunks make the model run for ages."
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise CtcDecodeError(f"chunk_batch_size={batch_size!r}: give a positive whole number of chunks per batch.")


def _first_line(error: BaseException) -> str:
    """``"Type: first line of the message"``, at most 200 characters of it, for one-line errors."""
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:200]}".rstrip(": ")


class AcousticModel:
    """A CTC acoustic model and its processor (feature extractor + CTC tokenizer).

    Attributes:
        model: the transformers ``*ForCTC`` module (``torch.nn.Module``, in eval mode on :attr:`device`).
        feature_extractor: its ``Wav2Vec2FeatureExtractor`` (normalisation, attention mask).
        tokenizer: its CTC tokenizer (``Wav2Vec2CTCTokenizer``: the vocabulary the labels come from).
        device: the torch device the model runs on (``"cpu"``, ``"cuda"``...).
        source: the folder, hub id or ``"demo"`` it was loaded from.
        labels: decoder label mapping of the tokenizer vocabulary.
        sampling_rate: Hz the model expects.
        frame_samples: input samples per output frame (product of the conv strides).
        seconds_per_frame: ``frame_samples / sampling_rate``.
        chunk_seconds: the chunk length :meth:`emissions` uses by default, seconds (``DEFAULT_CHUNK_SECONDS``, or
            what the model folder's ``ctcdecode_plus.json`` says: the demo model's is 2.5 s).
        context_seconds: the audio each chunk runs with on both sides by default, seconds
            (``DEFAULT_CONTEXT_SECONDS``, or what ``ctcdecode_plus.json`` says: the demo model's is 1 s).
    """

    def __init__(self, model, feature_extractor, tokenizer, *, device: str = "cpu", source: str = "",
                 chunk_seconds: float = DEFAULT_CHUNK_SECONDS,
                 context_seconds: float = DEFAULT_CONTEXT_SECONDS) -> None:
        _check_chunking(chunk_seconds, context_seconds)
        self.chunk_seconds = float(chunk_seconds)
        self.context_seconds = float(context_seconds)
        self.model = model.eval()
        self.feature_extractor = feature_extractor
        self.tokenizer = tokenizer
        self.device = device
        self.source = source
        self.labels = Labels.from_tokenizer(tokenizer)
        self.sampling_rate = int(getattr(feature_extractor, "sampling_rate", 16000))
        strides = getattr(model.config, "conv_stride", None) or [320]
        self.frame_samples = int(math.prod(strides))
        self.seconds_per_frame = self.frame_samples / self.sampling_rate
        self.use_attention_mask = bool(getattr(feature_extractor, "return_attention_mask", False))
        vocab_size = model.config.vocab_size
        if vocab_size != len(self.labels):
            raise ModelError(
                f"{source}: the model has {vocab_size} output classes but the tokenizer has {len(self.labels)} "
                "tokens; the processor does not belong to this model."
            )

    def __repr__(self) -> str:
        return (f"AcousticModel(source={self.source!r}, vocab={len(self.labels)}, sampling_rate={self.sampling_rate}, "
                f"seconds_per_frame={self.seconds_per_frame:g}, chunk_seconds={self.chunk_seconds:g}, "
                f"context_seconds={self.context_seconds:g}, "
                f"device={str(self.device)!r})")

    # --- loading ---------------------------------------------------------------------------------------------
    @classmethod
    def from_pretrained(
        cls, name_or_path: PathLike = DEMO_MODEL_NAME, *, device: Optional[str] = None, **kwargs
    ) -> "AcousticModel":
        """Load a CTC model and processor from a folder, a hub id or ``"demo"``.

        Args:
            name_or_path: local folder written by ``save_pretrained``, hub id, or ``"demo"``.
            device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; default CUDA when available.
            kwargs: passed to ``AutoModelForCTC.from_pretrained``; where to find a hub id's files (``revision``,
                ``cache_dir``, ``token``, ``local_files_only``...) to the config, tokenizer and feature extractor too.
        """
        import torch
        from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForCTC, AutoTokenizer

        if device is not None:
            _check_device(device)
        path = resolve_model_path(name_or_path)
        local = Path(path).is_dir()
        looks_like_path = path.startswith(("/", ".", "~")) or path.count("/") > 1 or Path(path).exists()
        if not local and looks_like_path:
            raise ModelError(f"{path}: model folder not found. Pass a folder written by save_pretrained() or a hub id.")
        if local and not (Path(path) / "config.json").is_file():
            raise ModelError(f"{path}: no config.json; this folder is not a Hugging Face model (save_pretrained()).")
        where = "folder" if local else "hub id"
        hub = {k: kwargs[k] for k in _HUB_OPTIONS if k in kwargs}  # the same revision, cache... for every file
        try:
            config = AutoConfig.from_pretrained(path, **hub)
        except (OSError, ValueError) as e:
            hint = ("Fix or re-save its config.json (save_pretrained())." if local else
                    near_miss_folder(path) + "A hub id needs the network or the local hub cache (HF_HUB_OFFLINE=1 "
                    "allows only the cache); otherwise pass a local folder.")
            raise ModelError(f"{path}: cannot load this {where} ({str(e).splitlines()[0][:200]}). {hint}") from None
        except Exception as e:  # noqa: BLE001 - a value of the wrong type: transformers raises whatever its checks do
            raise ModelError(f"{path}: config.json has a value transformers cannot use ({_first_line(e)}). Fix or "
                             "re-save it (save_pretrained()).") from None
        archs = getattr(config, "architectures", None) or []
        if not isinstance(archs, (list, tuple)) or not all(isinstance(a, str) for a in archs):
            raise ModelError(f"{path}: config.json's architectures must be a list of class names (e.g. "
                             f"[\"Wav2Vec2ForCTC\"]), not {str(archs)[:80]}; fix or re-save it (save_pretrained()).")
        if archs and not any(a.endswith("ForCTC") for a in archs):
            raise ModelError(
                f"{path}: the checkpoint has no CTC head (architectures={archs}). Use a model fine-tuned with CTC "
                "(e.g. facebook/wav2vec2-base-960h), or fine-tune this one with a CTC head first."
            )
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, **hub)
            feature_extractor = AutoFeatureExtractor.from_pretrained(path, **hub)
        except Exception as e:  # noqa: BLE001 - a missing file, or one whose values transformers cannot use
            raise ModelError(
                f"{path}: no usable tokenizer/feature extractor ({_first_line(e)}). Save the processor next to the "
                "model: Wav2Vec2Processor(...).save_pretrained(folder)."
            ) from None
        if not hasattr(tokenizer, "get_vocab") or not tokenizer.get_vocab():
            raise ModelError(f"{path}: the tokenizer has no vocabulary (vocab.json).")
        try:
            with no_transformers_bar():  # its "Loading weights" bar on every load, not a download's
                model, info = AutoModelForCTC.from_pretrained(path, output_loading_info=True, **kwargs)
        except (OSError, ValueError) as e:
            raise ModelError(f"{path}: cannot load the model weights ({str(e).splitlines()[0][:200]}).") from None
        except Exception as e:  # noqa: BLE001 - a truncated or corrupt weights file raises its format library's error
            raise ModelError(f"{path}: cannot load the model weights ({_first_line(e)}); the weights file is damaged "
                             "or incomplete: copy or download it again.") from None
        if any(k.startswith("lm_head") for k in info.get("missing_keys", [])):
            raise ModelError(
                f"{path}: the checkpoint's CTC head (lm_head) is missing, so its outputs would be random. "
                "Use a CTC fine-tuned checkpoint."
            )
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            model = model.float().to(device)
        except (RuntimeError, AssertionError, ValueError) as e:
            raise ModelError(
                f"device={device!r}: cannot move the model there ({str(e).splitlines()[0][:200]}); use --device cpu."
            ) from None
        settings = _model_settings(path, local, hub)
        try:
            return cls(model, feature_extractor, tokenizer, device=device, source=path,
                       chunk_seconds=settings.get("chunk_seconds", DEFAULT_CHUNK_SECONDS),
                       context_seconds=settings.get("context_seconds", DEFAULT_CONTEXT_SECONDS))
        except CtcDecodeError:
            raise
        except Exception as e:  # noqa: BLE001 - e.g. a sampling_rate or conv_stride of the wrong type
            raise ModelError(f"{path}: the model's files do not fit together ({_first_line(e)}); re-save the model "
                             "and its processor with save_pretrained().") from None

    def save_pretrained(self, folder: PathLike) -> Path:
        """Write model, feature extractor and tokenizer to ``folder`` (``from_pretrained`` reads it back), and
        the chunking where it is not the default (``ctcdecode_plus.json``)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.feature_extractor.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        settings = folder / MODEL_SETTINGS_FILENAME
        own = {k: v for k, v, default in (("chunk_seconds", self.chunk_seconds, DEFAULT_CHUNK_SECONDS),
                                           ("context_seconds", self.context_seconds, DEFAULT_CONTEXT_SECONDS))
               if v != default}
        if own:
            settings.write_text(json.dumps(own) + "\n", encoding="utf-8")
        elif settings.exists():  # an earlier save's chunking is not this model's
            settings.unlink()
        return folder

    # --- inference -------------------------------------------------------------------------------------------
    def num_frames(self, num_samples: int) -> int:
        """Frames the model outputs for ``num_samples`` input samples (0 where they are fewer than its window)."""
        import torch

        if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) or num_samples < 0:
            raise CtcDecodeError(f"num_frames({num_samples!r}): give a number of samples, a whole number >= 0.")
        return max(0, int(self.model._get_feat_extract_output_lengths(torch.tensor([int(num_samples)]))[0]))

    def _forward(self, signals: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run a padded batch; returns one ``[frames_i, vocab]`` log-prob array per signal."""
        import torch

        inputs = self.feature_extractor(
            list(signals),
            sampling_rate=self.sampling_rate,
            padding=True,
            return_attention_mask=self.use_attention_mask,
            return_tensors="pt",
        )
        kwargs = {"input_values": inputs["input_values"].to(self.device)}
        if self.use_attention_mask:
            kwargs["attention_mask"] = inputs["attention_mask"].to(self.device)
        with torch.inference_mode():
            logits = self.model(**kwargs).logits.float()
            log_probs = torch.log_softmax(logits, dim=-1).cpu().numpy()
        lengths = self.model._get_feat_extract_output_lengths(torch.tensor([len(s) for s in signals]))
        return [log_probs[i, : int(n)] for i, n in enumerate(lengths)]

    def _load(self, source: AudioInput, input_rate: Optional[int]) -> Audio:
        if isinstance(source, Audio):
            samples = np.asarray(source.samples)
            if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.floating):
                return load_audio(samples, self.sampling_rate, input_rate=source.sampling_rate)  # checks, mono
            if samples is not source.samples or samples.dtype != np.float32:  # a list, float64: the model's input
                source = dataclasses.replace(source, samples=samples.astype(np.float32))
            if source.sampling_rate == self.sampling_rate:
                _check_content(np.asarray(source.samples), source.source, allow_silence=True)  # NaN: not the model's
                return source
            return load_audio(source.samples, self.sampling_rate, input_rate=source.sampling_rate)
        return load_audio(source, self.sampling_rate, input_rate=input_rate)

    def _min_samples(self) -> int:
        kernels = getattr(self.model.config, "conv_kernel", None) or [400]
        strides = getattr(self.model.config, "conv_stride", None) or [320]
        need = 1
        for k, s in zip(reversed(kernels), reversed(strides)):
            need = (need - 1) * s + k
        return need

    def emissions(
        self,
        source: AudioInput,
        *,
        input_rate: Optional[int] = None,
        chunk_seconds: Optional[float] = None,
        context_seconds: Optional[float] = None,
        chunk_batch_size: int = 4,
        progress: Optional[Callable[[float], None]] = None,
        checkpoint: Optional[PathLike] = None,
    ) -> Emissions:
        """Emissions of one utterance: log-probs ``[frames, vocab]``, float32, 1 frame = ``seconds_per_frame`` s.

        Audio longer than ``chunk_seconds`` (seconds) runs in chunks of that length with ``context_seconds`` of
        audio on each side (at least the model's receptive field, 40 ms for wav2vec2); only each chunk's central
        frames are kept, so no frame is dropped or duplicated. ``chunk_seconds=0`` disables chunking; ``None``: the
        model's own (:attr:`chunk_seconds`, :attr:`context_seconds`). ``progress`` is called after each step
        (``chunk_batch_size`` chunks; the whole input when it is not chunked) with the seconds of audio that step
        did: increments, which add up to the audio's length (a progress bar's ``update``), not a running total.

        ``checkpoint``: a file (``.npz``) where a chunked run keeps the frames it has computed, saved every
        ``CHECKPOINT_SECONDS`` of running and when it is interrupted (Ctrl-C, SIGTERM as ``KeyboardInterrupt``); a
        later call with the same file, audio (path, size and time), model files and chunking starts after the chunks
        it holds (``progress`` gets their seconds at once), and the file is removed when the emissions are whole.
        One that does not match is ignored and replaced. Unchunked audio does not use it.
        """
        chunk_seconds = self.chunk_seconds if chunk_seconds is None else chunk_seconds
        context_seconds = self.context_seconds if context_seconds is None else context_seconds
        _check_chunking(chunk_seconds, context_seconds, chunk_batch_size)
        _check_progress(progress)
        # every chunk needs a receptive field of context on each side: with less, the model computes one frame
        # fewer at each chunk's end (20 ms lost per boundary), and a last chunk of a few samples cannot be run
        field = -(-self._min_samples() // self.frame_samples) * self.frame_samples
        context_seconds = max(context_seconds, field / self.sampling_rate)
        if chunk_seconds and isinstance(source, (str, os.PathLike)):
            streamed = stream_chunks(source, self.sampling_rate, chunk_seconds, context_seconds, self.frame_samples,
                                     min_seconds=chunk_seconds + 2 * context_seconds)
            if streamed is not None:
                ends: list[float] = []  # each chunk's end, in seconds: the last is the audio's length
                saved = self._checkpoint(checkpoint, source, None, chunk_seconds, context_seconds)
                log_probs = self._stitch((ends.append(c.end) or c for c in streamed), chunk_batch_size, progress,
                                         saved)
                return Emissions.from_logits(log_probs, self.labels, self.seconds_per_frame, str(source), ends[-1])
        audio = self._load(source, input_rate)
        if len(audio.samples) < self._min_samples():
            raise ModelError(
                f"{audio.source}: audio of {len(audio.samples)} sample{'s' if len(audio.samples) != 1 else ''} "
                f"({1000 * audio.duration:.1f} ms) is shorter "
                f"than the model's receptive field "
                f"({self._min_samples() / self.sampling_rate:.3f} s); pad it or pass a longer recording."
            )
        if chunk_seconds and audio.duration > chunk_seconds + 2 * context_seconds:
            saved = self._checkpoint(checkpoint, audio.source, len(audio.samples), chunk_seconds, context_seconds)
            log_probs = self._stitch(iter_chunks(audio, chunk_seconds, context_seconds, self.frame_samples),
                                     chunk_batch_size, progress, saved)
        else:
            log_probs = self._forward([audio.samples])[0]
            if progress:
                progress(audio.duration)
        return Emissions.from_logits(log_probs, self.labels, self.seconds_per_frame, audio.source, audio.duration)

    def _stitch(self, chunks: Iterable[Chunk], batch_size: int,
                progress: Optional[Callable[[float], None]] = None,
                checkpoint: Optional["_Checkpoint"] = None) -> np.ndarray:
        """Run chunks ``batch_size`` at a time and keep each one's central frames; returns ``[frames, vocab]``.
        ``progress``: called with the seconds each group covers. ``checkpoint``: resume from it, keep it, and
        remove it at the end (:meth:`emissions`)."""
        pieces: list[np.ndarray] = []
        it = iter(chunks)
        done = 0
        if checkpoint is not None and checkpoint.frames is not None:  # the chunks it holds: read past, not run
            skipped = list(itertools.islice(it, checkpoint.chunks))
            if len(skipped) == checkpoint.chunks:
                pieces.append(checkpoint.frames)
                done = checkpoint.chunks
                if progress:
                    progress(sum(c.end - c.start for c in skipped))
            else:  # fewer chunks than it says: not this audio after all
                it = itertools.chain(skipped, it)
        first = done
        try:
            while True:
                group = list(itertools.islice(it, batch_size))
                if not group:
                    break
                outs = self._forward([c.samples for c in group])
                for c, out in zip(group, outs):
                    left = int(round(c.left_context * self.sampling_rate / self.frame_samples))
                    keep = int(round((c.end - c.start) * self.sampling_rate / self.frame_samples))
                    is_last = c.right_context == 0
                    pieces.append(out[left:] if is_last else out[left : left + keep])
                done += len(group)
                if checkpoint is not None and checkpoint.due():
                    checkpoint.save(done, pieces)
                if progress:
                    progress(sum(c.end - c.start for c in group))
        except KeyboardInterrupt:  # keep what was computed for the next run
            if checkpoint is not None and done > first:
                checkpoint.save(done, pieces)
            raise
        if checkpoint is not None:
            checkpoint.remove()
        return np.concatenate(pieces, axis=0)

    def _checkpoint(self, path: Optional[PathLike], source, samples: Optional[int], chunk_seconds: float,
                    context_seconds: float) -> Optional["_Checkpoint"]:
        """The :class:`_Checkpoint` of a chunked run of ``source`` (a path, or an :class:`Audio`'s ``source``),
        what it holds loaded where it was made the same way."""
        if path is None:
            return None
        from ._files import size_and_time

        stamp = size_and_time(source)
        key = {"audio": [os.path.abspath(source), *stamp] if stamp else str(source), "samples": samples,
               "model": model_fingerprint(self.source) if self.source else None,
               "chunk_seconds": chunk_seconds, "context_seconds": context_seconds,
               "frame_samples": self.frame_samples, "vocab": len(self.labels)}
        return _Checkpoint(Path(path), json.loads(json.dumps(key)))  # as it reads back from the file: lists, floats

    def emissions_batch(
        self,
        sources: Sequence[AudioInput],
        *,
        batch_seconds: float = 60.0,
        chunk_seconds: Optional[float] = None,
        context_seconds: Optional[float] = None,
        progress: Optional[Callable[[float], None]] = None,
        input_rate: Optional[int] = None,
        progress_seconds: bool = False,
        checkpoints: Optional[Sequence[Optional[PathLike]]] = None,
    ) -> list[Union[Emissions, CtcDecodeError]]:
        """Emissions for many inputs, batched by total duration (``batch_seconds`` of padded audio at most).

        Inputs are read 64 at a time and sorted by length within them to limit padding (memory: 64 inputs' audio,
        not all of them); long inputs go through :meth:`emissions` in chunks. A bad
        input does not stop the batch: its slot holds the :class:`CtcDecodeError` that explains it. ``input_rate``
        (Hz): the rate of the numpy arrays among ``sources``.
        ``progress`` is called after each step with the number of inputs finished, or with ``progress_seconds`` the
        seconds of audio done (a long input's chunks as they go; nothing for an input that fails).
        ``checkpoints``: a file for each source (``None`` for none) where a long one's run is kept and resumed from
        (``checkpoint`` of :meth:`emissions`).
        """
        chunk_seconds = self.chunk_seconds if chunk_seconds is None else chunk_seconds
        context_seconds = self.context_seconds if context_seconds is None else context_seconds
        _check_chunking(chunk_seconds, context_seconds)
        _check_progress(progress)
        if not _finite_number(batch_seconds) or batch_seconds <= 0:
            raise ModelError(f"batch_seconds={batch_seconds!r:.40}: give the seconds of audio a batch may hold, a "
                             "positive number (default 60).")
        if isinstance(sources, (str, os.PathLike, Audio)) or (isinstance(sources, np.ndarray) and sources.ndim == 1):
            sources = [sources]  # one input, not its characters or samples
        sources = list(sources)  # a generator too
        kept = list(checkpoints) if checkpoints is not None else [None] * len(sources)
        if len(kept) != len(sources):
            raise ModelError(f"checkpoints: {len(kept)} for {len(sources)} sources; give one (or None) for each.")
        results: list[Union[Emissions, CtcDecodeError, None]] = [None] * len(sources)
        for start in range(0, len(sources), _LOAD_AHEAD):  # memory: a window's audio, not all of it
            self._batch_window(sources, range(start, min(start + _LOAD_AHEAD, len(sources))), results,
                               batch_seconds, chunk_seconds, context_seconds, progress, input_rate, progress_seconds,
                               kept)
        return results  # type: ignore[return-value]

    def _batch_window(self, sources, window: range, results: list, batch_seconds: float, chunk_seconds: float,
                      context_seconds: float, progress, input_rate, progress_seconds: bool = False,
                      checkpoints: Sequence = ()) -> None:
        """:meth:`emissions_batch` of ``sources[window]``, into ``results``: load, sort by length, batch, run."""
        loaded: list[tuple[int, Audio]] = []
        for i in window:
            src = sources[i]
            try:
                audio = self._load(src, input_rate)
                if len(audio.samples) < self._min_samples():
                    results[i] = self.emissions(audio)  # raises the short-audio error
                elif chunk_seconds and audio.duration > chunk_seconds + 2 * context_seconds:
                    results[i] = self.emissions(audio, chunk_seconds=chunk_seconds, context_seconds=context_seconds,
                                                progress=progress if progress_seconds else None,
                                                checkpoint=checkpoints[i] if checkpoints else None)
                    if progress and not progress_seconds:
                        progress(1)
                else:
                    loaded.append((i, audio))
            except CtcDecodeError as e:
                results[i] = e
                if progress and not progress_seconds:
                    progress(1)
        loaded.sort(key=lambda t: len(t[1].samples))
        batch: list[tuple[int, Audio]] = []

        def flush() -> None:
            if not batch:
                return
            outs = self._forward([a.samples for _, a in batch])
            for (i, a), out in zip(batch, outs):
                try:
                    results[i] = Emissions.from_logits(out, self.labels, self.seconds_per_frame, a.source, a.duration)
                except CtcDecodeError as e:
                    results[i] = e
            if progress:
                progress(sum(a.duration for i, a in batch if isinstance(results[i], Emissions)) if progress_seconds
                         else len(batch))
            batch.clear()

        for item in loaded:
            longest = max([len(a.samples) for _, a in batch] + [len(item[1].samples)])
            if batch and longest * (len(batch) + 1) > batch_seconds * self.sampling_rate:
                flush()
            batch.append(item)
        flush()


#: a chunked run with a ``checkpoint`` saves the frames it has computed at most this often (seconds of running), and
#: when it is interrupted
CHECKPOINT_SECONDS = 30.0


class _Checkpoint:
    """The frames of a chunked run saved so far (:meth:`AcousticModel.emissions`'s ``checkpoint``): ``chunks`` done
    and their ``frames`` ``[frames, vocab]``, loaded where the file says it was made as ``key`` says (the audio, the
    model files, the chunking); ``frames`` is ``None`` where there is nothing to resume."""

    def __init__(self, path: Path, key: dict) -> None:
        self.path, self.key, self.chunks, self.frames = path, key, 0, None
        self._last = time.monotonic()
        try:
            with np.load(path, allow_pickle=False) as z:
                if json.loads(str(z["key"])) == key:
                    self.chunks, self.frames = int(z["chunks"]), np.asarray(z["frames"], dtype=np.float32)
        except Exception:  # noqa: BLE001 - none there, damaged, or another run's: start from the beginning
            self.chunks, self.frames = 0, None

    def due(self) -> bool:
        """Has ``CHECKPOINT_SECONDS`` passed since the last save (or the start)?"""
        return time.monotonic() - self._last >= CHECKPOINT_SECONDS

    def save(self, chunks: int, pieces: Sequence[np.ndarray]) -> None:
        """Keep ``chunks`` chunks' frames (``pieces``, in order), written whole or not at all. A file that cannot be
        written is left out with a warning: the run itself goes on."""
        from ._files import atomic_write

        try:
            with atomic_write(self.path, "wb") as fh:
                np.savez(fh, key=np.array(json.dumps(self.key)), chunks=np.array(chunks),
                         frames=np.concatenate(pieces, axis=0))
        except CtcDecodeError as e:
            logger.warning("%s; the run goes on without it", e)
        self._last = time.monotonic()

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


#: emissions_batch loads this many inputs at a time (sorted by length within them, for little padding), so its memory
#: is that of a window's audio, not of every input's
_LOAD_AHEAD = 64

#: from_pretrained options that say where a hub id's files are (passed to every loader, not only the model's)
_HUB_OPTIONS = ("revision", "cache_dir", "token", "local_files_only", "force_download", "proxies", "subfolder")


def _model_settings(name_or_path: str, local: bool, hub: dict) -> dict:
    """The settings in the model's ``ctcdecode_plus.json`` (``{"chunk_seconds": 2.5, "context_seconds": 1}``, either
    may be left out), from its folder or, for a hub
    id, the hub or its cache; ``{}`` without the file."""
    if local:
        path = Path(name_or_path) / hub.get("subfolder", "") / MODEL_SETTINGS_FILENAME
    else:
        from transformers.utils import cached_file

        try:  # a missing file, or no network and no cache: the defaults (the model itself loaded, so it is there)
            found = cached_file(name_or_path, MODEL_SETTINGS_FILENAME, _raise_exceptions_for_missing_entries=False,
                                _raise_exceptions_for_connection_errors=False, **hub)
        except Exception:  # noqa: BLE001 - the hub client's own errors (a gated repo...): settings are optional
            found = None
        if not found:
            return {}
        path = Path(found)
    if not path.is_file():
        if path.exists() or path.is_symlink():  # a folder, a pipe or a broken link: its settings cannot be read
            raise ModelError(f"{path}: not a file; the model's settings (chunk_seconds, context_seconds) belong in a "
                             "JSON file of that name: fix it or delete it.")
        return {}
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ModelError(f"{path}: not valid JSON ({_first_line(e)}); fix it or delete it.") from None
    try:
        if not isinstance(settings, dict) or set(settings) - {"chunk_seconds", "context_seconds"}:
            raise CtcDecodeError("unknown settings")
        _check_chunking(settings.get("chunk_seconds", DEFAULT_CHUNK_SECONDS),
                        settings.get("context_seconds", DEFAULT_CONTEXT_SECONDS))
    except CtcDecodeError as e:
        raise ModelError(f"{path}: expected {{\"chunk_seconds\": SECONDS, \"context_seconds\": SECONDS}} (either "
                         f"may be left out), got {str(settings)[:80]} ({e}); fix it or delete it.") from None
    return settings


def iter_sources(paths: Iterable[PathLike], *, emissions: bool = False) -> list[str]:
    """Expand folders into the audio files they contain (sorted); files pass through. ``emissions=True``: a folder
    with no audio gives its saved emissions (``.npz``) instead.

    A folder without audio files passes through as itself, so loading it fails with an error naming it (a batch
    reports it with the other failures) instead of the folder being skipped without a word.
    """
    out: list[str] = []
    for p in paths:
        p = Path(p)
        try:
            folder = p.is_dir()
        except OSError:  # a name too long for the system...: an input of its own, which fails when it is read
            folder = False
        if folder:
            found = [str(f) for f in audio_files(p)]
            if not found and emissions:
                found = [str(f) for f in sorted(p.rglob("*.npz")) if f.is_file()]
            out.extend(found or [str(p)])
        else:
            out.append(str(p))
    return out
