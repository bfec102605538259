"""Audio in: read any file or array, downmix to mono, resample to the model's rate, chunk long audio.

Units: sample rates in Hz, durations and offsets in seconds, samples as float32 in [-1, 1].
"""
from __future__ import annotations

import contextlib
import errno
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Union

import numpy as np

from ._quiet import quiet_stderr
from .constants import AUDIO_EXTENSIONS, DEFAULT_SAMPLING_RATE, SILENCE_PEAK
from ._files import link_loops
from .errors import AudioError

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]

#: lowest input rate (Hz) taken as real audio; lower values are a wrong header or a rate given in kHz
MIN_INPUT_RATE = 1000
MAX_INPUT_RATE = 1_000_000  # above the fastest audio formats (768 kHz PCM); more is a mistake (Hz x 1000)


@dataclass(eq=False)  # holds arrays, which have no single truth value: equal is the same object
class Audio:
    """Mono float32 audio at a known rate.

    Attributes:
        samples: shape ``[n_samples]``, float32.
        sampling_rate: Hz.
        source: file path or ``"<array>"``.
        original_rate: rate of the input before resampling (Hz).
        original_channels: channel count of the input before downmixing.
    """

    samples: np.ndarray
    sampling_rate: int
    source: str = "<array>"
    original_rate: Optional[int] = None
    original_channels: int = 1

    def __post_init__(self) -> None:
        rate = self.sampling_rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) or not math.isfinite(rate) \
                or rate <= 0:
            raise AudioError(f"{self.source}: sampling_rate={rate!r}: give the rate of the samples in Hz (a number "
                             "> 0, e.g. 16000).")

    def __repr__(self) -> str:  # the samples' count, not their values
        return (f"Audio(source={self.source!r}, samples={len(self.samples)}, sampling_rate={self.sampling_rate}, "
                f"duration={self.duration:.3f} s)")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / float(self.sampling_rate)


def resample(samples: np.ndarray, orig_rate: int, target_rate: int) -> np.ndarray:
    """Resample ``samples`` (shape ``[n]`` or ``[n, channels]``) from ``orig_rate`` to ``target_rate`` Hz.

    Uses soxr's high-quality band-limited resampler; returns float32.
    """
    if orig_rate == target_rate:
        return samples.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(samples.astype(np.float32, copy=False), orig_rate, target_rate, quality="HQ").astype(
        np.float32, copy=False
    )


def _to_mono(samples: np.ndarray, source: str, channel: Optional[int]) -> np.ndarray:
    """``[n]`` or ``[n, channels]`` → ``[n]``: one channel if asked, else the mean of all channels."""
    if samples.ndim == 1:
        return samples
    if samples.ndim != 2:
        raise AudioError(f"{source}: audio must have shape [samples] or [samples, channels], got {samples.shape}.")
    if channel is not None:
        if not 0 <= channel < samples.shape[1]:
            raise AudioError(
                f"{source}: channel {channel} requested but the audio has {samples.shape[1]} channel(s); "
                f"use a channel index from 0 to {samples.shape[1] - 1}."
            )
        return samples[:, channel]
    return samples.mean(axis=1)


def _check_content(samples: np.ndarray, source: str, allow_silence: bool) -> None:
    if samples.size == 0:
        raise AudioError(f"{source}: the audio is empty (0 samples). Check that the file was fully written.")
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{source}: the audio contains NaN or infinite samples; re-export it as PCM WAV or FLAC.")
    if not allow_silence and float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise _silent(source)


def _silent(source) -> AudioError:
    """The error for a recording with no sound in it."""
    return AudioError(f"{source}: the audio is silent (peak amplitude below {SILENCE_PEAK:g}); check the recording "
                      "level or the channel (to transcribe it anyway, to an empty transcript: "
                      "load_audio(path, allow_silence=True) and pass the Audio).")


def _has_sound(f) -> bool:
    """Whether an open, seekable ``soundfile.SoundFile`` has a sample at or above :data:`SILENCE_PEAK` (read from
    the start until one is found: at once for most recordings, the whole file only for a silent one), so that a
    long silent file is refused before the model spends minutes on it. A read that fails says yes: the windows
    read it again and say what is wrong. Leaves the file at its start."""
    try:
        f.seek(0)
        while True:
            block, error = _read_blocks(f, _READ_BLOCK_FRAMES)
            if block.size and not np.all(np.abs(block) < SILENCE_PEAK):  # NaN counts as sound: its error follows
                return True
            if error or len(block) < _READ_BLOCK_FRAMES:
                return bool(error)
    except Exception:  # noqa: BLE001 - libsndfile's error for a damaged stream: the windows report it
        return True
    finally:
        with contextlib.suppress(Exception):
            f.seek(0)


def _check_rate(rate: float, source: str) -> None:
    if np.isfinite(rate) and rate > MAX_INPUT_RATE:
        raise AudioError(f"{source}: sample rate {rate:g} Hz is not a real audio rate (above {MAX_INPUT_RATE} Hz); "
                         "rates are in Hz (e.g. 16000): fix the rate, or re-export the file with its true rate.")
    if not np.isfinite(rate) or rate < MIN_INPUT_RATE:
        raise AudioError(
            f"{source}: sample rate {rate:g} Hz is not a real audio rate (below {MIN_INPUT_RATE} Hz); "
            "rates are in Hz (e.g. 16000, not 16). Fix the rate, or re-export the file with its true rate."
        )


def audio_files(folder: Path) -> list[Path]:
    """The entries below ``folder`` (recursively, sorted; symlinked folders not followed) with an audio extension
    (:data:`AUDIO_EXTENSIONS`) that are not folders: a broken link or a pipe is kept, to fail in its turn with the
    other bad files, not to vanish from the batch; a subfolder that cannot be listed is named in a warning."""
    found: list[Path] = []
    unreadable: list[str] = []
    for root, dirs, files in os.walk(folder, onerror=lambda e: unreadable.append(str(e.filename))):
        dirs.sort()
        found += [Path(root) / name for name in files if Path(name).suffix.lower() in AUDIO_EXTENSIONS]
    if unreadable:
        logger.warning("%s: %d folder(s) could not be listed (%s), so their audio is left out of the batch; check "
                       "the permissions", folder, len(unreadable), ", ".join(unreadable[:3]))
    return sorted(found)


def _check_path(source: PathLike) -> Path:
    path = Path(source)
    if str(source) == "-":
        raise AudioError("-: audio cannot be read from standard input (the readers seek in a file); save it to a file "
                         "first, e.g. `... > in.wav`, and pass that.")
    try:
        os.stat(path)
    except OSError as e:  # a name the system refuses (too long...); a missing file is said below
        if e.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            raise AudioError(f"{str(path)[:120]}{'...' if len(str(path)) > 120 else ''}: cannot be read "
                             f"({e.strerror or e}); check the path.") from None
    if not path.exists() and path.is_symlink():
        if link_loops(path):
            raise AudioError(f"{path}: is a link that leads back to itself (through {os.readlink(path)}); mend or "
                             "remove the link.")
        raise AudioError(f"{path}: is a link to {os.readlink(path)}, which does not exist (a disk not mounted, a file "
                         "moved?); mend or remove the link.")
    if not path.exists():
        hint = f" (relative paths start at {Path.cwd()})" if not path.is_absolute() else ""
        raise AudioError(f"{path}: audio file not found. Check the path{hint}.")
    if path.is_dir():
        raise AudioError(
            f"{path}: is a folder, not an audio file; pass audio files (a folder given on the command line must "
            "contain .wav/.flac/.mp3/.ogg/... files" + ("; this one has none" if not audio_files(path) else "") + ")."
        )
    if path.suffix.lower() == ".npz" and path.is_file():
        raise AudioError(f"{path}: is saved emissions (.npz), not audio: decode it as it is (`ctcdecode-plus "
                         "transcribe FILE.npz`, Emissions.load) rather than running the model on it.")
    if not path.is_file():  # a pipe (/dev/stdin, <(...)) or a device: no size, and no seeking
        raise AudioError(f"{path}: is a pipe or device, not a file; the audio readers seek in a file: save it to a "
                         "file first, e.g. `... > in.wav`, and pass that.")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty (0 bytes).")
    if not os.access(path, os.R_OK):  # not a format problem: the decoders' messages would blame the format
        raise AudioError(f"{path}: permission denied: this user cannot read the file; check its permissions.")
    return path


#: frames read per call while decoding a file (a read that fails part-way, in a FLAC file cut short, keeps the
#: frames it decoded: _raw_reader)
_READ_BLOCK_FRAMES = 8192

#: libsndfile reports SF_COUNT_MAX (2**63 - 1) frames for a file that does not say its length
_UNKNOWN_LENGTH = 2 ** 62

#: _MPEG_NOTE: libsndfile (1.2.2, through libmpg123) decodes an MP3 exactly only when it is read in one call; reads
#: in pieces or after a seek garble some frames ("part2_3_length too large for available bit count" on stderr; samples
#: off by up to 0.45 here, python-soundfile issue 402), so MP3 files are read whole, never streamed in windows.

#: an MP3 counts as cut short where it decodes this many frames fewer than its Xing/Info/VBRI header announces
#: (two MPEG frames: encoder delay and padding are already taken out by the decoder's gapless mode)
_MP3_FRAME_SLACK = 2304


def _wav_cut_short(path: Path) -> Optional[str]:
    """Where a WAV file holds less audio data than its header announces (a copy or recording cut short), the share
    missing; libsndfile reads what is there without a word, so the transcript would silently stop early."""
    import struct

    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
                return None
            order = "<" if head[:4] == b"RIFF" else ">"
            pos = 12
            while pos + 8 <= size:
                fh.seek(pos)
                chunk_id, length = struct.unpack(order + "4sI", fh.read(8))
                if chunk_id == b"data":
                    have = size - pos - 8
                    # 0, 0xFFFFFFFF (ffmpeg) or 0x7FFFF000 and up (sox): a WAV written to a pipe, size unknown
                    if 0 < length < 0x7FFFF000 and have < length:
                        return f"{100.0 * (length - have) / length:.0f} % of the audio its header announces is missing"
                    return None
                pos += 8 + length + (length & 1)
    except (OSError, struct.error):
        return None
    return None


def _ogg_cut_short(path: Path) -> Optional[str]:
    """Where an Ogg file (Vorbis, Opus, FLAC in Ogg) does not end on a whole page marked end-of-stream, why:
    libsndfile decodes the pages that are there without a word."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            if fh.read(4) != b"OggS":
                return None
            fh.seek(max(0, size - 65536))
            tail = fh.read()
    except OSError:
        return None
    at = tail.rfind(b"OggS")
    if at < 0 or len(tail) - at < 27:
        return "its last page is incomplete"
    segments = tail[at + 27: at + 27 + tail[at + 26]]
    if len(segments) < tail[at + 26] or len(tail) - at < 27 + len(segments) + sum(segments):
        return "its last page is incomplete"
    if not tail[at + 5] & 0x04:
        return "its last page is not marked end-of-stream"
    return None


def _mp3_announces_length(path: Path) -> bool:
    """Whether an MP3 file carries a Xing/Info/VBRI header (its exact length); without one libsndfile's length is an
    estimate from the file size, which says nothing about a cut."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(10)
            skip = 0
            if head[:3] == b"ID3" and len(head) == 10:  # ID3v2 tag: 4 syncsafe bytes of size after the 10-byte header
                skip = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9] & 0x7F)
            fh.seek(skip)
            first = fh.read(4096)
    except OSError:
        return False
    return any(tag in first for tag in (b"Xing", b"Info", b"VBRI"))


def _cut_short_reason(path: Path, fmt: str) -> Optional[str]:
    """Why a file that decodes is nevertheless cut short, from its container alone (WAV and Ogg), else ``None``."""
    if fmt.startswith("WAV"):
        return _wav_cut_short(path)
    if fmt == "OGG":
        return _ogg_cut_short(path)
    return None


def _warn_cut_short(path: Path, reason: str, seconds: float) -> None:
    logger.warning("%s: the file is cut short or damaged (%s); using the %.2f s that decode (copy or export the "
                   "file again for the rest)", path, reason, seconds)


def _known_frames(f) -> Optional[int]:
    """The length a ``soundfile.SoundFile`` announces, in frames, or ``None`` where the file does not say it (a FLAC
    written to a pipe: libsndfile reports ``SF_COUNT_MAX`` frames)."""
    return int(f.frames) if 0 <= f.frames < _UNKNOWN_LENGTH else None


def _raw_reader(f) -> Optional[Callable[[np.ndarray], tuple[int, Optional[str]]]]:
    """A function that fills a float32 ``[n, channels]`` array from the open ``soundfile.SoundFile`` ``f`` with
    libsndfile's ``sf_readf_float`` and returns ``(frames read, libsndfile's error or None)``; ``None`` where this
    soundfile lacks the internals it uses. Unlike ``SoundFile.read``, it keeps the frames of a read that ends in an
    error: soundfile seeks after every read, and in a cut FLAC that seek fails and loses the whole block."""
    try:
        from soundfile import _ffi, _snd

        handle, readf, error_code, error_text = f._file, _snd.sf_readf_float, _snd.sf_error, _snd.sf_strerror
    except (ImportError, AttributeError):
        return None

    def read(out: np.ndarray) -> tuple[int, Optional[str]]:
        n = int(readf(handle, _ffi.cast("float *", out.ctypes.data), len(out)))
        if not error_code(handle):
            return max(n, 0), None
        return max(n, 0), _ffi.string(error_text(handle)).decode("utf-8", "replace").strip() or "decoder error"

    return read


def _read_blocks(f, frames: Optional[int]) -> tuple[np.ndarray, Optional[str]]:
    """Read ``frames`` frames (``None``: to the end) from an open ``soundfile.SoundFile`` as float32
    ``[n, channels]``, into one array where the length is known.

    A decoder error part-way (a FLAC file cut short: "lost sync") ends the read instead of losing it: returns the
    frames decoded before it and the error's text (``None`` where the read was clean)."""
    out = np.empty((frames, f.channels), np.float32) if frames is not None else None
    blocks: list[np.ndarray] = []
    raw = _raw_reader(f)
    got, error = 0, None
    while frames is None or got < frames:
        want = _READ_BLOCK_FRAMES if frames is None else min(_READ_BLOCK_FRAMES, frames - got)
        buf = out[got:got + want] if out is not None else np.empty((want, f.channels), np.float32)
        if raw is not None:
            n, error = raw(buf)
        else:  # soundfile without the internals: a failed read loses its block
            try:
                n = len(f.read(want, dtype="float32", always_2d=True, out=buf))
            except Exception as exc:  # noqa: BLE001 - libsndfile's error for a damaged stream
                n, error = 0, str(exc).strip() or type(exc).__name__
        if out is None and n:
            blocks.append(buf[:n])
        got += n
        if error or n == 0:
            break
    if out is not None:
        return out[:got], error
    return (np.concatenate(blocks) if blocks else np.zeros((0, f.channels), np.float32)), error


def _shortfall(path: Path, fmt: str, announced: Optional[int], got: int, rate: int,
               error: Optional[str]) -> Optional[str]:
    """Why ``got`` decoded frames fall short of a whole file of ``announced`` frames (``None``: the file does not
    say its length), else ``None``."""
    if error:
        unknown = "; the file does not say its length, so it may be complete" if announced is None else ""
        return f"decoding stopped at {got / rate:.2f} s: {error}{unknown}"
    slack = _MP3_FRAME_SLACK if fmt == "MP3" else 2  # 2: a window's end rounded to the source rate
    if announced is not None and announced > got + slack and (fmt != "MP3" or _mp3_announces_length(path)):
        return f"its header announces {announced / rate:.2f} s"
    return None


def _sf_name(path: Path) -> Union[str, bytes]:
    """``path`` as soundfile should open it: its bytes on POSIX, so that a name that is not UTF-8 (undecodable bytes,
    which Python keeps as surrogates) opens instead of failing as "could not decode the audio"."""
    return os.fsencode(path) if os.name == "posix" else str(path)


def _open_sound_file(path: Path):
    """``soundfile.SoundFile(path)``, with what libmpg123 prints while it scans an MP3 ("Xing stream size off...",
    "Illegal Audio-MPEG-Header") kept off the terminal: a damaged file gets one warning of ours instead. Other
    formats open as they are (libsndfile reports through exceptions; fd 2 stays untouched)."""
    import soundfile as sf

    with quiet_stderr() if path.suffix.lower() in (".mp3", ".mp2", ".mpga", ".mpeg") else contextlib.nullcontext():
        return sf.SoundFile(_sf_name(path))


def _read_file(path: Path) -> tuple[np.ndarray, int]:
    """Read a file as float32 ``[n, channels]`` at its own rate: soundfile first, librosa/audioread as fallback."""
    import soundfile as sf

    try:
        with _open_sound_file(path) as f:
            rate, fmt, announced = int(f.samplerate), f.format, _known_frames(f)
            if fmt == "MP3":  # libsndfile decodes MP3 exactly only in one read (_MPEG_NOTE) ...
                with quiet_stderr():  # libmpg123 prints a line per damaged frame: the warning below says it once
                    try:
                        data, error = f.read(dtype="float32", always_2d=True), None
                    except Exception:  # noqa: BLE001 - ... but a damaged one may not decode in one: save what decodes
                        f.seek(0)
                        data, error = _read_blocks(f, None)
            else:  # one array for the announced length, unless a damaged header announces more than can be there
                size = path.stat().st_size
                plausible = announced is not None and announced * f.channels * 4 <= 1024 * size + (64 << 20)
                data, error = _read_blocks(f, announced if plausible else None)
        if error and not len(data):
            raise OSError(error)
        reason = _shortfall(path, fmt, announced, len(data), rate, error) or _cut_short_reason(path, fmt)
        if reason:
            _warn_cut_short(path, reason, len(data) / rate)
        return data, rate
    except Exception as sf_error:  # noqa: BLE001 - any libsndfile failure falls back to audioread
        try:
            import warnings

            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data, rate = librosa.load(str(path), sr=None, mono=False)
            data = np.asarray(data, dtype=np.float32)
            data = data[:, None] if data.ndim == 1 else data.T
            return data, int(rate)
        except Exception as lr_error:  # noqa: BLE001
            if path.suffix.lower() in _TEXT_SUFFIXES:
                raise AudioError(f"{path}: a {path.suffix} file is not audio; a manifest goes with --manifest "
                                 "(compare, tune, emissions), a text file is for build-lm or perplexity") from None
            raise AudioError(
                f"{path}: could not decode the audio ({sf_error}; fallback: {str(lr_error) or type(lr_error).__name__}). "
                f"Is it a complete WAV/FLAC/MP3/Ogg file? Convert it with e.g. "
                f"`ffmpeg -i {path} -ar 16000 -ac 1 out.wav`."
            ) from None


#: names of text files, not audio: given as audio they get a word about what they are for, not ffmpeg's advice
_TEXT_SUFFIXES = frozenset({".tsv", ".csv", ".json", ".jsonl", ".txt", ".arpa", ".gz", ".md"})


def audio_duration(source: PathLike) -> Optional[float]:
    """The length in seconds that an audio file's header announces, read without decoding the samples; ``None``
    where it says none (a stream written to a pipe), or the file is missing or not one soundfile opens (the
    error comes when the file is loaded). For progress over long files."""
    import soundfile as sf

    try:
        path = Path(source)
        if not path.is_file():  # a pipe would block the open until something writes to it
            return None
        with _open_sound_file(path) as f:
            frames = _known_frames(f)
            return None if frames is None or f.samplerate <= 0 else frames / float(f.samplerate)
    except Exception:  # noqa: BLE001 - not readable here: load_audio explains it
        return None


def load_audio(
    source: Union[PathLike, np.ndarray],
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    *,
    input_rate: Optional[int] = None,
    channel: Optional[int] = None,
    allow_silence: bool = False,
) -> Audio:
    """Load audio as float32 mono at ``sampling_rate`` Hz.

    Args:
        source: a path to any file soundfile or librosa reads (WAV 16/24-bit/float, FLAC, MP3, Ogg, ...), or a
            numpy array (or torch tensor) of shape ``[n_samples]`` or ``[n_samples, channels]`` (then ``input_rate``
            is required; torchaudio's ``[channels, n_samples]`` needs ``.T``).
        sampling_rate: target rate in Hz (the feature extractor's rate; 16 000 for wav2vec2).
        input_rate: rate of an array ``source`` in Hz.
        channel: keep only this channel (0-based) instead of averaging all channels.
        allow_silence: accept all-silent audio instead of raising :class:`AudioError`.

    Returns:
        :class:`Audio` with ``samples`` of shape ``[n]``. Resampling is logged at INFO level.
    """
    if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, (int, np.integer)) or sampling_rate < 1:
        raise AudioError(f"sampling_rate={sampling_rate!r}: the rate to load at must be a whole number of Hz "
                         f"(the model's, {DEFAULT_SAMPLING_RATE} for wav2vec2).")
    if hasattr(source, "detach") and hasattr(source, "cpu") and hasattr(source, "numpy"):  # a torch tensor
        source = source.detach().cpu().float().numpy()
    if not isinstance(source, (str, os.PathLike, np.ndarray)):
        raise AudioError(
            f"{type(source).__name__} {str(source)[:40]!r}: give an audio file path, or a numpy array (or torch "
            "tensor) of samples with input_rate= (Hz)."
        )
    if isinstance(source, np.ndarray):
        name = "<array>"
        if isinstance(input_rate, bool) or not isinstance(input_rate, (int, float, np.number)) or input_rate <= 0:
            raise AudioError(f"<array>: pass input_rate= (Hz, a number; got {input_rate!r}) together with a numpy "
                             "array of samples.")
        _check_rate(float(input_rate), name)
        data = np.asarray(source)
        if not np.issubdtype(data.dtype, np.number) or np.issubdtype(data.dtype, np.complexfloating):
            raise AudioError(f"<array>: samples must be real numbers, got dtype {data.dtype}.")
        if data.ndim not in (1, 2):
            raise AudioError(f"<array>: shape {data.shape}: give samples as [samples] or [samples, channels].")
        if data.ndim == 2 and data.shape[1] > data.shape[0]:
            raise AudioError(
                f"<array>: shape {data.shape} has more channels than samples; give [samples] or [samples, channels] "
                "(a [channels, samples] array, as torchaudio.load returns, needs .T)."
            )
        if np.issubdtype(data.dtype, np.unsignedinteger):  # 8-bit PCM's convention: silence at 128, not 0
            info = np.iinfo(data.dtype)
            middle = (info.max + 1) / 2.0
            data = ((data.astype(np.float64) - middle) / middle).astype(np.float32)
        elif np.issubdtype(data.dtype, np.integer):
            full = float(np.iinfo(data.dtype).max)
            peak = float(np.abs(data.astype(np.float64)).max()) if data.size else 0.0
            if data.dtype.itemsize > 2 and 0 < peak <= 32768:  # 16-bit values in a wider array (np.array(ints) is
                full = 32767.0  # int64): at the type's full scale they would be silent, so read them as 16-bit
                logger.info("<array>: %s samples with 16-bit values (peak %d): scaled as 16-bit PCM", data.dtype,
                            peak)
            data = data.astype(np.float32) / full
        data = data.astype(np.float32, copy=False)
        rate = int(input_rate)
        channels = 1 if data.ndim == 1 else data.shape[-1]
    else:
        path = _check_path(source)
        name = str(path)
        data, rate = _read_file(path)
        _check_rate(rate, name)
        channels = data.shape[1]
    mono = _to_mono(data, name, channel)
    if data.ndim == 2 and data.shape[1] > 1 and channel is None and not allow_silence and mono.size \
            and np.all(np.isfinite(data)) and float(np.max(np.abs(mono))) < SILENCE_PEAK \
            <= float(np.min(np.max(np.abs(data), axis=0))) > 10 * float(np.max(np.abs(mono))):
        # every channel has sound, the mean a tenth of the quietest's at most: they cancel (a quiet file: silent)
        raise AudioError(f"{name}: the channels cancel out when averaged to mono (one is the other inverted: a "
                         "wiring or phase fault); keep one channel: load_audio(path, channel=0), or export one, "
                         "e.g. `ffmpeg -i IN -af pan=mono|c0=c0 OUT.wav`.")
    _check_content(mono, name, allow_silence)
    if rate != sampling_rate:
        logger.info("%s: resampling %d Hz -> %d Hz", name, rate, sampling_rate)
        mono = resample(mono, rate, sampling_rate)
    if channels > 1 and channel is None:
        logger.info("%s: averaged %d channels to mono", name, channels)
    return Audio(mono, sampling_rate, name, original_rate=rate, original_channels=channels)


@dataclass(frozen=True)
class Chunk:
    """One window of a long signal.

    ``samples`` covers ``[start - left_context, end + right_context)`` seconds of the signal; only the frames of
    ``[start, end)`` are kept when emissions are stitched, so each frame of the file comes from exactly one chunk.
    """

    samples: np.ndarray
    start: float
    end: float
    left_context: float
    right_context: float


def iter_chunks(
    audio: Audio, chunk_seconds: float, context_seconds: float, frame_samples: int
) -> Iterator[Chunk]:
    """Split ``audio`` into windows of ``chunk_seconds`` plus ``context_seconds`` on each side.

    Window edges fall on multiples of ``frame_samples`` (the model's total conv stride, in samples), so the kept
    frames of consecutive chunks tile the file's frame grid without gaps or overlaps.
    """
    rate = audio.sampling_rate
    step = max(frame_samples, int(round(chunk_seconds * rate / frame_samples)) * frame_samples)
    ctx = int(round(context_seconds * rate / frame_samples)) * frame_samples
    n = len(audio.samples)
    for begin in range(0, n, step):
        end = min(n, begin + step)
        lo, hi = max(0, begin - ctx), min(n, end + ctx)
        yield Chunk(audio.samples[lo:hi], begin / rate, end / rate, (begin - lo) / rate, (hi - end) / rate)


def stream_chunks(
    source: PathLike,
    sampling_rate: int,
    chunk_seconds: float,
    context_seconds: float,
    frame_samples: int,
    *,
    min_seconds: float = 0.0,
) -> Optional[Iterator[Chunk]]:
    """Like :func:`iter_chunks`, but reads each window from the file as it goes (memory independent of length).

    Returns ``None`` when the file is no longer than ``min_seconds``, is an MP3 (read whole: ``_MPEG_NOTE``) or
    soundfile cannot seek in it (then load it whole with :func:`load_audio`). Windows are downmixed and resampled one
    by one; the context on each side absorbs the resampler's edge effects. A file that ends or stops decoding before
    its announced length (cut short) ends the windows there, with a warning. Raises :class:`AudioError` at the end
    if the whole file was silent.
    """
    import soundfile as sf

    path = _check_path(source)
    try:
        f = _open_sound_file(path)
        seekable = f.seekable() and (_known_frames(f) or 0) > 0  # a length to cut into windows
    except Exception:  # noqa: BLE001 - not readable by libsndfile: the caller falls back to load_audio
        return None
    if seekable:
        try:
            _check_rate(f.samplerate, str(path))
        except AudioError:
            f.close()
            raise
    if not seekable or f.frames / f.samplerate <= min_seconds or f.format == "MP3":  # MP3: _MPEG_NOTE
        f.close()
        return None
    fmt = f.format
    container_reason = _cut_short_reason(path, fmt)

    def gen() -> Iterator[Chunk]:
        src_rate = f.samplerate
        # length at the target rate, rounded half up as soxr rounds a whole signal's (load_audio: the same frames)
        total = (f.frames * sampling_rate * 2 + src_rate) // (2 * src_rate)
        step = max(frame_samples, int(round(chunk_seconds * sampling_rate / frame_samples)) * frame_samples)
        ctx = int(round(context_seconds * sampling_rate / frame_samples)) * frame_samples
        peak = 0.0
        if not _has_sound(f):
            f.close()
            raise _silent(path)
        if src_rate != sampling_rate:
            logger.info("%s: resampling %d Hz -> %d Hz in %.1f s windows", path, src_rate, sampling_rate,
                        chunk_seconds)
        with f:
            for begin in range(0, total, step):
                end = min(total, begin + step)
                lo, hi = max(0, begin - ctx), min(total, end + ctx)
                s_lo, s_hi = int(round(lo * src_rate / sampling_rate)), int(round(hi * src_rate / sampling_rate))
                try:
                    f.seek(s_lo)
                except Exception as exc:  # noqa: BLE001 - a damaged file: libsndfile cannot find the position
                    block, error = np.zeros((0, f.channels), np.float32), str(exc).strip() or type(exc).__name__
                else:
                    block, error = _read_blocks(f, s_hi - s_lo)
                reason = _shortfall(path, fmt, s_hi, s_lo + len(block), src_rate, error)
                block = block.mean(axis=1)
                if reason:  # the file ends (or stops decoding) before its announced length: this chunk is the last
                    hi = lo + int(len(block) * sampling_rate / src_rate)
                    if hi <= begin or not block.size:  # nothing new: the windows before end at ``begin``
                        if begin == 0:
                            raise AudioError(f"{path}: no audio decodes ({reason}); export or copy the file again.")
                        _warn_cut_short(path, reason, begin / sampling_rate)
                        break
                    _warn_cut_short(path, reason, hi / sampling_rate)
                    end = hi
                if not np.all(np.isfinite(block)):
                    raise AudioError(
                        f"{path}: the audio contains NaN or infinite samples; re-export it as PCM WAV or FLAC."
                    )
                peak = max(peak, float(np.max(np.abs(block))) if block.size else 0.0)
                samples = resample(block, src_rate, sampling_rate)
                yield Chunk(samples, begin / sampling_rate, end / sampling_rate, (begin - lo) / sampling_rate,
                            (hi - end) / sampling_rate)
                if reason:
                    break
            else:
                if container_reason:
                    _warn_cut_short(path, container_reason, total / sampling_rate)
        if peak < SILENCE_PEAK:
            raise _silent(path)

    return gen()
