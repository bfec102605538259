"""Command line: a thin layer over the Python API.

    ctcdecode-plus transcribe AUDIO... [--model M] [--lm LM] [--hotwords W ...] [--format text|json|srt|vtt|ctm ...]
    ctcdecode-plus emissions AUDIO... [--model M] -o DIR
    ctcdecode-plus compare --manifest MANIFEST [--model M] [--lm [NAME=]LM ...] [--hotwords ...] [--json OUT]
    ctcdecode-plus spoken-forms [--lm LM] [--hotwords W ...] [--hotwords-file F]   (hotword entries to edit)
    ctcdecode-plus build-lm TEXT... -o OUT.arpa --order N        (language-model tools)
    ctcdecode-plus perplexity --lm LM TEXT...

User errors print one line (``error: ...``) and exit with status 2; a batch with some failed inputs finishes the
rest, lists the failures at the end and exits with status 1.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import errno
import itertools
import json
import logging
import math
import os
import re
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import __version__
from .constants import (
    AUDIO_EXTENSIONS,
    DEFAULT_ALPHA,
    DEFAULT_BEAM_WIDTH,
    DEFAULT_BETA,
    DEFAULT_CHUNK_SECONDS,
    DEFAULT_CONTEXT_SECONDS,
    DEFAULT_FILL_GAP_SECONDS,
    DEFAULT_HOTWORD_FULL_LETTERS,
    DEFAULT_HOTWORD_PREFIX_SHARE,
    DEFAULT_HOTWORD_WEIGHT,
    DEFAULT_PAUSE_SECONDS,
    DEFAULT_SEGMENT_SECONDS,
    DEFAULT_SPOTTING_MARGIN,
    DEFAULT_SPOTTING_RATIO,
    DEFAULT_UNK_SCORE_OFFSET,
    DEMO_MODEL_NAME,
)
from ._files import replaced_file, size_and_time, write_in_place
from .compare import _atomic_write
from .errors import CtcDecodeError
from .manifest import ManifestEntry, cut_entries, unique_ids

log = logging.getLogger("ctcdecode_plus")


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="item", disable=None, leave=False, file=sys.stderr)


class _AudioProgress:
    """The progress bar of a run of inputs through the acoustic model (on stderr, where that is a terminal): in
    seconds of audio where every input's header says its length, so that a long file moves it chunk by chunk, else
    in inputs."""

    def __init__(self, sources: Sequence, desc: str):
        from tqdm import tqdm

        from .audio import audio_duration

        lengths = [audio_duration(s) for s in sources] if sys.stderr.isatty() and sources else []
        self.lengths = lengths if lengths and None not in lengths and sum(lengths) > 0 else None
        self.reached = list(itertools.accumulate(self.lengths)) if self.lengths else []  # after each input
        self.finished = 0
        self.bar = tqdm(total=round(sum(self.lengths), 1) if self.lengths else len(sources), desc=desc,
                        unit="s" if self.lengths else "item", disable=None, leave=False, file=sys.stderr)

    def seconds(self, done: float) -> None:
        """``done`` more seconds of audio through the model."""
        if self.lengths:
            self.bar.update(max(0.0, min(done, self.bar.total - self.bar.n)))

    def inputs(self, n: int = 1) -> None:
        """``n`` more inputs finished, in their order (done or failed)."""
        self.finished += n
        if not self.lengths:
            self.bar.update(n)
        elif self.finished:
            target = min(self.reached[min(self.finished, len(self.reached)) - 1], self.bar.total)
            self.bar.update(max(0.0, target - self.bar.n))

    def close(self) -> None:
        self.bar.close()


def _read_hotwords(args) -> list[str]:
    words = list(args.hotwords or [])
    if getattr(args, "hotwords_file", None):
        from .decoders.hotwords import read_hotwords

        words += read_hotwords(args.hotwords_file)
    keys = [" ".join(w.split()) for w in words]  # spaces aside (case matters to a model with both cases)
    first = dict(zip(reversed(keys), reversed(words)))  # each key's first entry (later ones are overwritten)
    twice = [first[k] for k, n in Counter(keys).items() if n > 1]
    if twice:
        print(f"note: hotwords listed more than once (kept once): {', '.join(twice)}", file=sys.stderr)
    return [first[k] for k in dict.fromkeys(keys)]


def _check_writable(flag: str, path: Optional[str]) -> None:
    """Fail before the work, not after it, when an output file cannot be written."""
    if not path:
        return
    p = Path(path)
    if p.is_dir():
        raise CtcDecodeError(f"{flag} {path}: is a folder; give a file name (a file inside it, or another path).")
    if write_in_place(p):  # a pipe or device (/dev/stdout, a shell's >(...)): written to as it is
        if not os.access(p, os.W_OK):
            raise CtcDecodeError(f"{flag} {path}: cannot write there (permission denied); choose a writable path.")
        return
    p = replaced_file(p)  # a link: its target is written
    probe = p.with_name(p.name + ".check")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise CtcDecodeError(f"{flag} {path}: cannot write there ({e.strerror or e}); choose a writable path.") from None


def _check_folder(flag: str, path: Optional[str], read_only_ok: bool = False) -> None:
    """Fail before the work, not after it, when an output folder cannot be created or written. ``read_only_ok``:
    an existing folder that cannot be written passes (a cache of saved emissions may be read-only: what is missing
    is computed and not saved, with a warning)."""
    if not path:
        return
    p = Path(path)
    if p.is_dir() and read_only_ok:
        return
    probe = p / ".ctcdecode-plus.check"
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as e:
        what = ("is a file, not a folder" if p.is_file() else "is not a folder (a device or pipe is there)"
                if p.exists() and not p.is_dir() else f"cannot write there ({e.strerror or e})")
        raise CtcDecodeError(f"{flag} {path}: {what}; choose a writable folder.") from None


def _load_model(args):
    from .acoustic import AcousticModel

    return AcousticModel.from_pretrained(args.model, device=args.device)


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=DEMO_MODEL_NAME,
                   help="acoustic model: a folder written by save_pretrained, a hub id such as "
                        "facebook/wav2vec2-base-960h (needs the network or the hub cache), or 'demo' "
                        "(the small model shipped with ctcdecode-plus; default)")
    p.add_argument("--device", default=None, help="torch device (cpu, cuda, cuda:1); default: CUDA if available")
    p.add_argument("--chunk-seconds", type=_chunk_seconds, default=None,
                   help="run audio longer than this many seconds plus twice --context-seconds in chunks of this "
                        "length; 0: never chunk; default: the "
                        f"model's, {DEFAULT_CHUNK_SECONDS:g} s unless its folder says otherwise: the demo model's "
                        "2.5 s")
    p.add_argument("--context-seconds", type=_context_seconds, default=None,
                   help="audio each chunk runs with on both sides, seconds (only the chunk's own frames are kept); "
                        f"default: the model's, {DEFAULT_CONTEXT_SECONDS:g} s unless its folder says otherwise: the "
                        "demo model's 1 s")


def _add_manifest_args(p: argparse.ArgumentParser, manifest_help: str) -> None:
    """--manifest, the model options and --emissions: what :func:`_manifest_items` reads."""
    p.add_argument("--manifest", required=True, help=manifest_help)
    _add_model_args(p)
    p.add_argument("--emissions", default=None,
                   help="folder of saved emissions (NAME.npz, one per audio file, named by its stem): reused when "
                        "made by this model and settings from the same audio, else written")
    _add_jobs_arg(p, "The results are the same; the 'decode s' and RTF columns add each utterance's own decode "
                     "time, so they compare decoders alike whatever N is, while the run takes less time")


def _add_jobs_arg(p: argparse.ArgumentParser, more: str) -> None:
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help=f"decode in N processes (0: one per CPU core; default 1). {more}")


def _add_decoder_args(p: argparse.ArgumentParser, multi_lm: bool = False) -> None:
    g = p.add_argument_group("decoding")
    if multi_lm:
        g.add_argument("--lm", action="append", default=[], metavar="[NAME=]PATH",
                       help="KenLM model (ARPA or binary); repeat to compare several (each gets a beam+NAME row)")
    else:
        g.add_argument("--lm", default=None, help="KenLM language model (ARPA or binary) for beam search")
    g.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, help="LM weight (default %(default)s)")
    g.add_argument("--beta", type=float, default=DEFAULT_BETA, help="word insertion bonus (default %(default)s)")
    g.add_argument("--unk-score-offset", type=float, default=DEFAULT_UNK_SCORE_OFFSET,
                   help="score added to words the LM does not know (default %(default)s)")
    g.add_argument("--beam-width", type=int, default=DEFAULT_BEAM_WIDTH, help="beams kept (default %(default)s)")
    g.add_argument("--pause-seconds", type=_pause_seconds, default=DEFAULT_PAUSE_SECONDS, metavar="SECONDS|off",
                   help="a pause this long (blank frames only) ends a word where the model put no word delimiter "
                        "in it, so words either side of a silence are not run together (default %(default)s; "
                        "'off': the delimiter only, as bare pyctcdecode)")
    g.add_argument("--fill-gap-seconds", type=_fill_gap_seconds, default=DEFAULT_FILL_GAP_SECONDS,
                   metavar="SECONDS|off",
                   help="a word whose next word starts at most this long after its last letter ends where the next "
                        "one starts, and one before a longer gap at the model's word delimiter, if it says one at most "
                        "this long after the letter (the model emits a word's last letter early in its last sound; "
                        "greedy and beam search; default %(default)s; 'off' or 0: at its last letter's frame, as bare "
                        "pyctcdecode)")
    g.add_argument("--segment-seconds", type=_segment_seconds, default=DEFAULT_SEGMENT_SECONDS,
                   metavar="SECONDS|off",
                   help="beam search decodes a longer recording in pieces of at most this length, cut in its longest "
                        "pauses, so time and memory grow with its length, not its square (default %(default)s; "
                        "'off': one search)")
    g.add_argument("--word-confidence", action=argparse.BooleanOptionalAction, default=False,
                   help="beam search: give each word a confidence in [0, 1] (transcribe --format json), its n-best "
                        "posterior (acoustics, LM and hotwords) times its acoustic confidence to the power 1/4; about "
                        "2.5x the decoding time (greedy decoding always gives one: the mean probability of its "
                        "frames); --no-word-confidence turns off a --decoder-folder's")
    g.add_argument("--hotword-prefix-share", type=_share, default=DEFAULT_HOTWORD_PREFIX_SHARE, metavar="SHARE",
                   help="the share of pyctcdecode's bonus for a partial hotword that a word being spelled gets while "
                        "it is a hotword's prefix (default %(default)s: the bonus comes when the hotword is whole; "
                        "1: pyctcdecode's, which let a prefix push letters out)")
    g.add_argument("--hotword-full-letters", type=int, default=DEFAULT_HOTWORD_FULL_LETTERS, metavar="N",
                   help="a hotword of fewer letters earns weight x letters / N of the bonus, so that a short one "
                        "('C', 'AI') is not written all over the transcript (default %(default)s; 1: the whole "
                        "weight for any hotword, as pyctcdecode)")
    g.add_argument("--spotting-margin", type=_margin, default=DEFAULT_SPOTTING_MARGIN, metavar="NATS|off",
                   help="hotword spotting keeps a change only if the acoustics are against it by at most this many "
                        "nats per character of the words it brings in, whatever the LM says (default %(default)s; "
                        "'off': no limit: a hotword then replaced words the LM does not know on the "
                        "unknown-word penalty alone)")
    g.add_argument("--hotwords", nargs="+", default=[], metavar="WORD",
                   help="words or phrases to boost (quote phrases); 'SHOWN: SPOKEN, ...' for a term written unlike "
                        "it sounds, e.g. 'STDLIB: ES TEE DEE LIB' or 'C++: SEE PLUS PLUS'")
    g.add_argument("--hotwords-file", default=None,
                   help="file with one hotword or phrase per line (or 'SHOWN: SPOKEN, ...'; # starts a comment)")
    g.add_argument("--auto-spoken-forms", action="store_true",
                   help="also search each plain hotword as it may sound: a compound of the LM's words split "
                        "(HEAPPUSH as HEAP PUSH), letters without a vowel read as letter names "
                        "(STDLIB as ESTEEDEE LIB)")
    g.add_argument("--hotword-weight", type=float, default=DEFAULT_HOTWORD_WEIGHT,
                   help="score bonus per hotword (default %(default)s)")
    g.add_argument("--hotword-spotting", type=_spotting_threshold, default=None, metavar="NATS|off",
                   help="also spot hotwords in the acoustics and put them in place of the words they overlap, "
                        "when their alignment is at most NATS per character worse than the best path (try 1.0); "
                        "'off' (the default) does not spot; with --spotting-background, the most any hotword's "
                        "calibrated threshold may be")
    g.add_argument("--spotting-background", type=_off_or_path, default=None, metavar="PATH|off",
                   help="speech like your inputs that does not contain the hotwords (a manifest, audio files or a "
                        "folder; transcripts are not used): turns spotting on with a threshold per hotword, "
                        "--spotting-ratio times the deficit of its closest false alarm there")
    g.add_argument("--spotting-ratio", type=_ratio, default=DEFAULT_SPOTTING_RATIO,
                   help="with --spotting-background: share of each hotword's closest false alarm that a detection "
                        "must stay under, in (0, 1] (default %(default)s)")


def _number(text: str, low: float = -math.inf, high: float = math.inf, what: str = "a finite number") -> float:
    """A finite float in [low, high], or an argparse error saying what to give."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"{text!r}: give {what}")
    return value


def _finite(text: str) -> float:
    """A grid value (``--alphas``, ``--betas``): any finite number."""
    return _number(text)


def _nonnegative(text: str) -> float:
    """``--spotting-thresholds`` values: nats per character, finite and >= 0."""
    return _number(text, 0.0, what="a finite number >= 0 (nats per character), e.g. 1.0")


def _fill_gap_seconds(text: str) -> Optional[float]:
    """``--fill-gap-seconds`` value: seconds >= 0, or ``off``."""
    if text.strip().lower() in ("off", "none", "no"):
        return None
    return _number(text, low=0.0, what="a number of seconds >= 0 (e.g. 0.2), or 'off'")


def _utterance_share(text: str) -> float:
    """``--max-false-insertions``: a share of utterances, in [0, 1]."""
    return _number(text, 0.0, 1.0, what="a share of utterances in [0, 1], e.g. 0.01")


def _chunk_seconds(text: str) -> float:
    """``--chunk-seconds``: 0 (never chunk) or at least :data:`~.acoustic.MIN_CHUNK_SECONDS` seconds."""
    from .acoustic import MIN_CHUNK_SECONDS

    value = _number(text, 0.0, what=f"0 (never chunk) or a number of seconds >= {MIN_CHUNK_SECONDS:g}")
    if 0 < value < MIN_CHUNK_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give 0 (never chunk) or at least {MIN_CHUNK_SECONDS:g} s (default {DEFAULT_CHUNK_SECONDS:g}); "
            "each chunk also runs with context on both sides (--context-seconds), so tiny chunks make the model "
            "run for ages")
    return value


def _formats(text: str) -> list[str]:
    """``--format``: one of :data:`_EXTENSIONS`' formats, or several comma-separated (each once, in order)."""
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in _EXTENSIONS]
    if bad or not formats:
        raise argparse.ArgumentTypeError(f"{text!r}: give one of {', '.join(_EXTENSIONS)}, or several separated by "
                                         "commas (json,srt)")
    return list(dict.fromkeys(formats))


def _context_seconds(text: str) -> float:
    """``--context-seconds``: seconds >= 0 (the model's receptive field at least is always used)."""
    return _number(text, 0.0, what=f"a number of seconds >= 0 (default: the model's own, {DEFAULT_CONTEXT_SECONDS:g} "
                                   "unless its folder says otherwise)")


def _ratio(text: str) -> float:
    """``--spotting-ratio`` value: a number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number in (0, 1], e.g. {DEFAULT_SPOTTING_RATIO}")
    return value


def _jobs(text: str) -> int:
    """``--jobs``: a whole number of processes >= 0; 0 is one per CPU core."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of processes, e.g. 4 (0: one per CPU core)")
    from .decoders.base import usable_cores

    return value or usable_cores()


def _pause_seconds(text: str) -> Optional[float]:
    """``--pause-seconds`` value: seconds > 0, or ``off``."""
    if text.strip().lower() in ("off", "none", "no"):
        return None
    return _number(text, low=1e-9, what="a number of seconds > 0 (e.g. 0.5), or 'off'")


def _share(text: str) -> float:
    """``--hotword-prefix-share``: a number in [0, 1]."""
    return _number(text, 0.0, 1.0, what="a share in [0, 1], e.g. 0.5")


def _margin(text: str) -> Optional[float]:
    """``--spotting-margin``: nats per character >= 0, or ``off``."""
    if text.strip().lower() in ("off", "none", "no"):
        return None
    return _number(text, low=0.0, what="nats per character >= 0 (e.g. 0.5), or 'off'")


def _segment_seconds(text: str) -> Optional[float]:
    """``--segment-seconds`` value: seconds >= 1, or ``off``."""
    if text.strip().lower() in ("off", "none", "no"):
        return None
    return _number(text, low=1.0, what="a number of seconds >= 1 (e.g. 30), or 'off'")


def _off_or_path(text: str) -> Optional[str]:
    """``--spotting-background`` value: a path, or ``off``."""
    return None if text.strip().lower() in ("off", "none", "no") else text


def _spotting_threshold(text: str) -> Optional[float]:
    """``--hotword-spotting`` value: a threshold in nats per character, or ``off``."""
    if text.strip().lower() in ("off", "none", "no"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of nats per character (e.g. 1.0) or 'off'")
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: the threshold must be a finite number >= 0, or 'off'")
    return value


def _beam(args, lm: Optional[str], hotwords: Sequence[str], name: Optional[str] = None):
    from .decoders import BeamSearchDecoder

    return BeamSearchDecoder(lm, alpha=args.alpha, beta=args.beta, unk_score_offset=args.unk_score_offset,
                             beam_width=args.beam_width, hotwords=hotwords, hotword_weight=args.hotword_weight,
                             hotword_spotting=args.hotword_spotting if hotwords else None,
                             auto_spoken_forms=args.auto_spoken_forms, pause_seconds=args.pause_seconds,
                             segment_seconds=args.segment_seconds, fill_gap_seconds=args.fill_gap_seconds,
                             word_confidence=args.word_confidence, hotword_prefix_share=args.hotword_prefix_share,
                             hotword_full_letters=args.hotword_full_letters, spotting_margin=args.spotting_margin,
                             name=name)


def _first_saved_labels(sources: Sequence):
    """The labels of the first saved emissions file among ``sources`` that can be read, or ``None``."""
    from .emissions import Emissions

    for s in sources:
        try:
            return Emissions.load_labels(s)
        except CtcDecodeError:
            continue
    return None


def _background_emissions(args, model=None, labels=None) -> list:
    """Emissions of ``--spotting-background`` (a manifest, audio files or a folder), cached in
    ``--emissions DIR/background`` where that option exists. Inputs that fail are reported and skipped."""
    from .acoustic import iter_sources
    from .manifest import read_manifest

    path = Path(args.spotting_background)
    if not getattr(args, "lm", None):  # check it before the acoustic model runs on the background
        raise CtcDecodeError(f"--spotting-background {path}: hotword spotting judges each candidate with the language "
                             "model: give an LM (--lm), or leave --spotting-background out.")
    if not path.exists():
        raise CtcDecodeError(f"--spotting-background {path}: no such file or folder; give a manifest, audio files "
                             "or a folder of recordings without the hotwords.")
    is_manifest = path.is_file() and path.suffix.lower() in (".tsv", ".json", ".jsonl")
    entries = read_manifest(path) if is_manifest else \
        [ManifestEntry(Path(s).stem, str(s), "") for s in iter_sources([str(path)])]
    cache = Path(args.emissions) / "background" if getattr(args, "emissions", None) else None
    out = []
    for e, em in zip(entries, _entries_emissions(entries, cache, args, model, "background", labels)):
        if isinstance(em, CtcDecodeError):
            print(f"--spotting-background: skipped {e.audio}: {em}", file=sys.stderr)
        else:
            out.append(em)
    if not out:
        raise CtcDecodeError(f"--spotting-background {path}: no recording could be read.")
    return out


def _calibrate(decoder, args, background):
    """``decoder`` with per-hotword spotting thresholds from ``background`` (when it has hotwords)."""
    if not background or not getattr(decoder, "hotwords", None):
        return decoder
    return decoder.calibrate_spotting(background, ratio=args.spotting_ratio, cap=args.hotword_spotting)


def _report_failures(failures: list[tuple[str, str]], total: Optional[int] = None) -> int:
    """List the failed inputs on stderr, ``N input(s) failed (of TOTAL)``; exit status 1 if any (0 if none)."""
    if not failures:
        return 0
    of = f" (of {total}; none succeeded)" if total == len(failures) else f" (of {total})" if total else ""
    print(f"\n{len(failures)} input(s) failed{of}:", file=sys.stderr)
    for src, msg in failures:
        print(f"  {src}: {msg}" if not msg.startswith(src) else f"  {msg}", file=sys.stderr)
    return 1


def _note_unused_beam_options(args, hotwords: Sequence[str]) -> None:
    """Greedy decoding ignores the beam options: say so, rather than let ``--beam-width 8`` look like it did
    something."""
    defaults = build_parser().parse_args(["transcribe", "x"])
    given = [f"--{k.replace('_', '-')}" for k in ("lm", "alpha", "beta", "unk_score_offset", "beam_width",
                                                 "hotword_weight", "auto_spoken_forms", "hotword_spotting",
                                                 "segment_seconds", "hotword_prefix_share", "hotword_full_letters",
                                                 "spotting_background",
                                                 "word_confidence", "spotting_margin",
                                                 "spotting_ratio",
                                                 "explain_hotwords")
             if getattr(args, k) != getattr(defaults, k)] + (["--hotwords"] if hotwords else [])
    if given:
        why = "--decoder greedy" if args.decoder == "greedy" else "beam search runs with --lm, --hotwords or " \
              "--decoder beam"
        print(f"note: {', '.join(given)}: beam-search options, ignored: this run decodes greedily ({why})",
              file=sys.stderr)


# --- transcribe -----------------------------------------------------------------------------------------------
#: command-line options that set a BeamSearchDecoder setting of the same name
_FOLDER_OVERRIDES = ("alpha", "beta", "unk_score_offset", "beam_width", "hotword_weight", "hotword_spotting",
                     "auto_spoken_forms", "pause_seconds", "segment_seconds", "hotword_prefix_share",
                     "hotword_full_letters", "fill_gap_seconds", "word_confidence", "spotting_margin")


def _folder_decoder(args, hotwords: Sequence[str]):
    """``--decoder-folder``: the saved decoder, with the decoding options written beside it on the command line and
    ``hotwords`` in place of its saved ones."""
    from .decoders import BeamSearchDecoder

    if args.lm or args.decoder == "greedy":
        raise CtcDecodeError(f"--decoder-folder {args.decoder_folder}: it brings its own LM and beam search; leave out "
                             f"{'--lm' if args.lm else '--decoder greedy'}.")
    given = getattr(args, "given_options", set())
    overrides = {k: getattr(args, k) for k in _FOLDER_OVERRIDES
                 if {f"--{k.replace('_', '-')}", f"--no-{k.replace('_', '-')}"} & given}
    if hotwords:
        overrides["hotwords"] = list(hotwords)
    return BeamSearchDecoder.from_pretrained(args.decoder_folder, **overrides)


def _skip_word_confidence(args, why: str) -> None:
    """``--word-confidence`` where nothing would show the confidences: say so and do not pay for them."""
    if getattr(args, "word_confidence", False):
        print(f"note: --word-confidence: ignored ({why}); it would only slow decoding", file=sys.stderr)
        args.word_confidence = False


def _check_audio_given(args) -> None:
    """No audio argument: say so, and where ``--hotwords`` took the files for hotwords (it reads every word after
    it), how to write the command."""
    if args.audio:
        return
    taken = [w for w in (args.hotwords or []) if os.path.exists(w) or Path(w).suffix.lower() in
             AUDIO_EXTENSIONS | {".npz"}]
    if taken:
        raise CtcDecodeError(f"no audio given: {taken[0]!r} was read as a hotword (--hotwords takes every word after "
                             "it); put the audio before --hotwords, or end the hotwords with --")
    raise CtcDecodeError("no audio given: name audio files, saved emissions (.npz) or folders to transcribe")


def cmd_transcribe(args) -> int:
    from .acoustic import iter_sources
    from .decoders import GreedyDecoder
    from .pipeline import each_transcript, needs_acoustic_model

    _check_audio_given(args)
    formats = list(args.format)
    if len(formats) > 1 and not args.output_dir:
        raise CtcDecodeError(f"--format {','.join(formats)}: several formats are one file per input and format; give "
                             "-o DIR to write DIR/<name>.<format> for each, or give one format.")
    fmt = formats[0]  # the one format printed without -o
    if not {"json", "ctm"} & set(formats):
        _skip_word_confidence(args, f"--format {','.join(formats)} shows no confidences; --format json and ctm do")
    hotwords = _read_hotwords(args)
    if args.decoder_folder:
        decoder, use_beam = _folder_decoder(args, hotwords), True
    else:
        use_beam = args.decoder == "beam" or (args.decoder is None and (args.lm or hotwords))
        decoder = _beam(args, args.lm, hotwords) if use_beam else GreedyDecoder(
            pause_seconds=args.pause_seconds, fill_gap_seconds=args.fill_gap_seconds)
    if not use_beam:
        _note_unused_beam_options(args, hotwords)
    sources = iter_sources(args.audio, emissions=True)
    if fmt in ("srt", "vtt") and len(sources) > 1 and not args.output_dir:
        raise CtcDecodeError(f"--format {fmt} with {len(sources)} inputs: subtitles are one file per "
                             f"recording; give -o DIR to write DIR/<name>.{fmt} for each.")
    out_dir = Path(args.output_dir) if args.output_dir else None
    if out_dir is not None and out_dir.suffix.lower() in (".srt", ".vtt", ".json", ".txt") and not out_dir.is_dir():
        if len(formats) > 1:
            raise CtcDecodeError(f"-o {out_dir}: -o names a folder, which gets <name>.<format> for each input and "
                                 f"format; give a folder name (e.g. -o {out_dir.with_suffix('')}/).")
        raise CtcDecodeError(f"-o {out_dir}: -o names a folder, which gets <name>.{out_dir.suffix[1:]} for each input; "
                             f"for one file, redirect the output instead: ... --format {fmt} > {out_dir}")
    _check_folder("-o/--output-dir", args.output_dir)
    names = _output_names(sources, note=out_dir is not None)
    clashes: list[tuple[str, str]] = []
    given = len(sources)
    made_with = _transcript_made_with(args, decoder, sources) if out_dir is not None else None
    # with -o, each input's files are written in this order, those that record how they were made in themselves
    # (JSON, VTT, CTM) last: where the last one is there, so are the others, each written whole
    formats.sort(key=lambda f: (f == "json", f in _NOTE_PREFIX))
    if args.skip_existing:
        if out_dir is None:
            raise CtcDecodeError("--skip-existing skips the inputs whose file is already in -o DIR; give -o DIR.")
        last = _EXTENSIONS[formats[-1]]
        others = [_EXTENSIONS[f] for f in formats[:-1]]
        sources, names, clashes = _skip_existing(
            sources, names, [out_dir / f"{n}.{last}" for n in names], out_dir, made_with,
            complete=lambda out: all(out.with_suffix(f".{e}").exists() for e in others))
    spotting_background = use_beam and args.spotting_background
    # saved emissions (.npz) decode without the model; audio, and background recordings, need it
    model = _load_model(args) if spotting_background or needs_acoustic_model(sources) else None
    if spotting_background:  # saved emissions only: the background must fit them, not --model
        saved = None if needs_acoustic_model(sources) else _first_saved_labels(sources)
        decoder = _calibrate(decoder, args, _background_emissions(args, model, saved))
    if model is not None:
        decoder.prepare(model.labels)  # an LM or hotword that does not fit the model fails here, once
    failures: list[tuple[str, str]] = list(clashes)
    results = []
    bar = _AudioProgress(sources, "transcribing")
    interrupted, processed = False, 0
    # with -o, a long file's model run is kept beside its outputs as it goes, for the next run to resume
    checkpoints = [out_dir / f".{n}{_CHECKPOINT_SUFFIX}" for n in names] if out_dir is not None else None
    try:
        for (src, em, t), name in zip(each_transcript(sources, model, decoder, **_chunking(args),
                                                      progress=bar.seconds, num_workers=args.jobs,
                                                      checkpoints=checkpoints), names):
            bar.inputs(1)
            processed += 1
            if isinstance(t, CtcDecodeError):
                failures.append((src, str(t)))
                if fmt == "json" and not args.output_dir:  # the JSON accounts for every input
                    results.append({"audio": src, "error": str(t)})
                continue
            if args.explain_hotwords and use_beam:  # decodes once more, recording what spotting did
                for line in decoder.explain_hotwords(em).lines():
                    print(f"{src}: {line}", file=sys.stderr)
            if args.output_dir:  # one file per input and format, written as it is done, named as `emissions` does
                made = (None if made_with is None else
                        {**_for_audio(made_with, src), "source_abspath": os.path.abspath(src)})
                try:  # whole or not at all: a kill mid-write leaves no half file for the next stage to read
                    for f in formats:
                        out = Path(args.output_dir) / f"{name}.{_EXTENSIONS[f]}"
                        body = (json.dumps({"audio": src, "duration": round(em.audio_duration, 3), **t.to_dict(),
                                            "made_with": made}, indent=2)
                                if f == "json" else t.to_srt() if f == "srt" else _with_note(t.to_vtt(), f, made)
                                if f == "vtt" else _with_note(_ctm(t, name).rstrip("\n"), f, made) if f == "ctm"
                                else t.text)
                        _atomic_write(out, body + "\n")
                        print(f"{src}\t{out}")  # as it is written: an interrupted run lists what it wrote
                        if f in _SIDECAR_FORMATS and made is not None:  # after it: never a stale record kept
                            _atomic_write(_sidecar(out), json.dumps(made) + "\n")
                except CtcDecodeError as e:
                    failures.append((src, str(e)))
                    continue
            elif fmt == "json":
                results.append({"audio": src, "duration": round(em.audio_duration, 3), **t.to_dict()})
            elif fmt == "srt":
                print(t.to_srt())
            elif fmt == "vtt":
                print(t.to_vtt())
            elif fmt == "ctm":
                print(_ctm(t, name), end="")
            else:
                print(f"{src}\t{t.text}" if len(sources) > 1 else t.text)
    except KeyboardInterrupt:  # keep what is done: the JSON below still gets the finished files
        interrupted = True
    bar.close()
    if fmt == "json" and not args.output_dir:
        if len(sources) > 1 or results:  # a failed input is {"audio": ..., "error": ...}, in its place
            print(json.dumps(results if len(sources) > 1 else results[0], indent=2))
    rc = _report_failures(failures, processed + given - len(sources))  # skipped ones count as inputs
    if interrupted:
        print(_interrupted_line(processed, given - len(sources) - len(clashes), given, "the results above are complete",
                                len(clashes)), file=sys.stderr)
        _say_checkpoint_kept(checkpoints or ())
        return 130
    return rc


def _say_checkpoint_kept(checkpoints) -> None:
    """After Ctrl-C: where a long input's model run so far is kept (:meth:`.AcousticModel.emissions`'s checkpoint)."""
    kept = [c for c in checkpoints if c.exists()]
    if kept:
        print(f"the model's run through {kept[0].name[1:-len(_CHECKPOINT_SUFFIX)]} so far is kept in {kept[0]}; "
              "the same command (with --skip-existing for the finished files) goes on from there", file=sys.stderr)


#: the file (``-o DIR/.<name><suffix>``) where ``transcribe -o`` and ``emissions -o`` keep a long input's model run as
#: it goes
_CHECKPOINT_SUFFIX = ".partial-emissions"


#: the file extension of each ``transcribe --format``
_EXTENSIONS = {"text": "txt", "json": "json", "srt": "srt", "vtt": "vtt", "ctm": "ctm"}
#: the suffixes of transcripts in ``-o DIR``, each of which records how it was made
_TRANSCRIPT_SUFFIXES = tuple(f".{e}" for e in _EXTENSIONS.values())


def _transcript_made_with(args, decoder, sources) -> dict:
    """What a transcript in ``-o DIR`` records of how it was made (JSON, VTT and CTM in themselves, text and SRT in a
    hidden file beside them: :func:`_sidecar`), for ``--skip-existing`` to remake one made otherwise: the model and
    chunking (for audio), and the decoder's settings (with ``--spotting-background``, the background and ratio
    instead of the thresholds calibrated from them, which come later)."""
    from .compare import json_safe
    from .pipeline import needs_acoustic_model

    made = _made_with(args) if needs_acoustic_model(sources) else {"model": None, "chunk_seconds": None,
                                                                   "context_seconds": None}
    settings = decoder.settings()
    if settings.get("lm"):  # the file, wherever it was named from, and as it is now (a rebuild is another LM)
        settings["lm"] = _file_stamp(settings["lm"])
    if getattr(args, "spotting_background", None) and settings.get("hotwords"):
        settings = {k: v for k, v in settings.items() if k not in ("hotword_spotting", "spotting_floors")}
        settings.update(spotting_background=_file_stamp(args.spotting_background),
                        spotting_ratio=args.spotting_ratio, spotting_cap=args.hotword_spotting)
    return json.loads(json.dumps(json_safe({**made, "decoder": settings})))  # as a file gives it back


def _file_stamp(path) -> list:
    """``[real path, size, modification time in ns]`` of a file or folder (``None`` for what cannot be read)."""
    stamp = size_and_time(path)
    return [os.path.realpath(path), *stamp] if stamp else [str(path), None, None]


def _interrupted_line(done: int, skipped: int, given: int, kept: str, refused: int = 0) -> str:
    """What an interrupted run says: inputs done of those given, counted as the failure list counts them (an input
    --skip-existing left out, ``skipped``, or ``refused`` for a clash with another input's file, is one of them),
    and what was ``kept``."""
    aside = [f"{skipped} skipped: their output was already there"] if skipped else []
    aside += [f"{refused} refused: another input's file has their name"] if refused else []
    return (f"interrupted: {done + skipped + refused} of {given} inputs processed"
            + (f" ({'; '.join(aside)})" if aside else "") + f"; {kept}")


# --- emissions ------------------------------------------------------------------------------------------------
def _output_names(sources: Sequence[str], note: bool = True) -> list[str]:
    """The names ``-o DIR`` gives the inputs' files: their stems, made unique in order as a manifest's ids are
    (a repeat gets ``#1``...); a note (``note``) says which inputs share a name, since the suffix depends on the
    order."""
    names = unique_ids([Path(src).stem for src in sources])
    renamed = [(src, n) for src, n in zip(sources, names) if n != Path(src).stem]
    if renamed and note:
        shown = ", ".join(f"{src} -> {n}" for src, n in renamed[:3]) + (" ..." if len(renamed) > 3 else "")
        print(f"note: {len(renamed)} input(s) share a file name with an earlier one and are written as NAME#k "
              f"(by their order here): {shown}", file=sys.stderr)
    return names


#: the comment line a VTT (after its header) or CTM transcript in ``-o DIR`` records its ``made_with`` in, for
#: ``--skip-existing`` as a JSON transcript's: a WebVTT ``NOTE`` block, which players skip, and a CTM ``;;``
#: comment, which sclite skips
_NOTE_PREFIX = {"vtt": "NOTE ctcdecode-plus made_with ", "ctm": ";; ctcdecode-plus made_with "}


def _with_note(body: str, fmt: str, made: dict) -> str:
    """A VTT or CTM transcript ``body`` with a comment line recording ``made`` (one line of JSON; ``>`` escaped, so
    that no ``-->`` ends a WebVTT note)."""
    note = _NOTE_PREFIX[fmt] + json.dumps(made, separators=(",", ":")).replace(">", "\\u003e")
    if fmt == "ctm":
        return note + ("\n" + body if body else "")
    header, _, cues = body.partition("\n")  # "WEBVTT", then the cues, each after a blank line
    return f"{header}\n\n{note}\n{cues}"


#: the formats without a comment that every reader skips: their transcripts in ``-o DIR`` record their ``made_with``
#: in a hidden file beside them (:func:`_sidecar`, ``.<name>.txt.made_with``, one JSON object)
_SIDECAR_FORMATS = ("text", "srt")
_SIDECAR_SUFFIX = ".made_with"


def _sidecar(path: Path) -> Path:
    """Where a text or SRT transcript ``path`` records how it was made (:data:`_SIDECAR_SUFFIX`)."""
    return path.with_name(f".{path.name}{_SIDECAR_SUFFIX}")


def _noted_made_with(path: Path) -> dict:
    """``{"made_with": ...}`` from a VTT or CTM transcript's comment (:func:`_with_note`), or a text or SRT
    transcript's hidden file (:func:`_sidecar`); ``{}`` where it has none or it cannot be read."""
    prefix = _NOTE_PREFIX.get(path.suffix[1:])
    if prefix is None:  # text, SRT; none (made before it was recorded), or damaged: nothing to compare
        made = _json_object(_sidecar(path))
        return {"made_with": made} if made else {}
    try:
        with path.open(encoding="utf-8") as f:
            for _, line in zip(range(3), f):  # the note is the first line (CTM) or the third (VTT)
                if line.startswith(prefix):
                    made = json.loads(line[len(prefix):])
                    return {"made_with": made} if isinstance(made, dict) else {}
    except Exception:  # noqa: BLE001 - damaged, or not ours: nothing to compare
        return {}
    return {}


def _ctm(t, name: str) -> str:
    """``t`` as CTM lines, the recording named ``name`` (its output name) with any spaces as ``_``."""
    return t.to_ctm("_".join(name.split()) or "_")


def _saved_meta(npz: Path) -> dict:
    """The metadata of a saved emissions file (:meth:`.Emissions.save`), a JSON transcript's object, or a VTT, CTM,
    text or SRT transcript's ``{"made_with": ...}`` (:func:`_noted_made_with`); ``{}`` where it cannot be read."""
    import numpy as np

    if npz.suffix == ".json":
        return _json_object(npz)
    if npz.suffix in _TRANSCRIPT_SUFFIXES:
        return _noted_made_with(npz)
    try:
        with np.load(npz, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
    except Exception:  # noqa: BLE001 - damaged or not emissions: loading it says so
        return {}
    return meta if isinstance(meta, dict) else {}


def _json_object(path: Path) -> dict:
    """The JSON object in file ``path``; ``{}`` where there is none, or it is damaged or not ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - damaged, or not ours: nothing to compare
        return {}
    return data if isinstance(data, dict) else {}


def _recorded_source(path: Path) -> Optional[str]:
    """The absolute path of the input an output file says it was made from (a ``.npz``'s or a ``.json``
    transcript's ``source_abspath``, or its ``source`` or ``audio`` where that is absolute), or ``None`` where it
    does not say (a file made before this was recorded; a relative path, which named a file in whatever folder that
    run started in) or cannot be read."""
    try:
        if path.suffix == ".npz":
            meta = _saved_meta(path)
            source = meta.get("source_abspath") or meta.get("source")
        elif path.suffix in _TRANSCRIPT_SUFFIXES:  # JSON: the absolute path since session 23; "audio" as given
            data = _saved_meta(path)
            made = data.get("made_with")
            source = (made.get("source_abspath") if isinstance(made, dict) else None) or data.get("audio")
        else:
            return None
    except Exception:  # noqa: BLE001 - a file that does not say: nothing to compare
        return None
    return source if isinstance(source, str) and os.path.isabs(source) else None


def _finished(path: Path) -> bool:
    """Whether ``path`` is an output a run finished: a file, and for emissions (``.npz``) and JSON transcripts one
    whose contents can be read back (every file is written whole, so anything else is not ours, or damaged)."""
    try:
        return path.is_file() and (path.suffix not in (".npz", ".json") or bool(_saved_meta(path)))
    except OSError:  # a name too long for the system...: nothing there
        return False


def _numbering_key(path: Path) -> tuple[str, str]:
    """``(name without its #k numbering, extension)``: ``u0#1.npz`` and ``u0.npz`` share ``("u0", ".npz")``."""
    return path.stem.split("#")[0], path.suffix


def _made_under_another_name(src, out: Path, siblings: dict) -> Optional[Path]:
    """A file beside ``out`` named as ``out`` is but for its ``#k`` numbering (``NAME.npz``, ``NAME#1.npz``...)
    that says it was made from ``src``: an earlier run, given other inputs of the same name, numbered them
    otherwise. ``siblings``: the folder's files by :func:`_numbering_key`, listed once for all inputs."""
    for p in sorted(siblings.get(_numbering_key(out), ())):
        recorded = _recorded_source(p)
        if recorded is not None and _same_file(recorded, str(src)):
            return p
    return None


def _same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one existing file."""
    try:
        return Path(a).is_file() and os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _skip_existing(sources: list, names: list, outputs: list, folder: Path, made_with: Optional[dict] = None,
                   complete: Optional[Callable[[Path], bool]] = None) -> tuple[list, list, list[tuple[str, str]]]:
    """``--skip-existing``: the inputs (and names) whose output file is not there yet, with a note of the rest
    (files are written whole or not at all, so one that is there is complete), and the inputs whose file there
    was made from another input of the same name (an earlier run's), as failures: neither skipped nor
    overwritten. With ``made_with`` (emissions: :func:`_made_with`), a saved file made otherwise (another model,
    chunking, or audio that has changed since) is made again, and so is one for which ``complete(file)`` is false
    (``transcribe`` with several formats: another format's file is missing beside it)."""
    keep, clashes, stale, names = [], [], {}, list(names)
    siblings: dict = collections.defaultdict(list)
    with contextlib.suppress(OSError):
        for p in folder.iterdir():
            siblings[_numbering_key(p)].append(p)
    for i, (src, out) in enumerate(zip(sources, outputs)):
        if not _finished(out):  # a folder, or a file that cannot be read, in its place is not a finished output
            out = _made_under_another_name(src, out, siblings)  # NAME#1 now, NAME in the run that wrote it
            if out is None:
                keep.append(i)
                continue
            names[i] = out.stem  # made again (stale), it replaces its own file, under the name that run gave it
        other = _recorded_source(out)
        if other is not None and _other_file(other, str(src)):
            own = _made_under_another_name(src, out, siblings)  # NAME#1 then; NAME, another input's, now
            if own is None:
                clashes.append((str(src), f"{src}: {out} is already there, made from {other}, another file of the "
                                          f"same name (an earlier run into {folder}); give this one another -o "
                                          "folder, or remove that file to replace it"))
                continue
            out, names[i] = own, own.stem  # made again, it must replace its own file, never the other input's
        why = _stale(out, made_with, src) if made_with is not None else None
        if not why and complete is not None and not complete(out):
            why = "without every --format asked for now"
        if why:
            stale[why] = stale.get(why, 0) + 1
            keep.append(i)
    if stale:
        print("note: made again, not skipped: " + "; ".join(f"{n} made {why}" for why, n in stale.items()),
              file=sys.stderr)
    skipped = len(sources) - len(keep) - len(clashes)
    if skipped:
        print(f"note: {skipped} of {len(sources)} input(s) skipped: their file is already in "
              f"{folder} (--skip-existing)", file=sys.stderr)
    return [sources[i] for i in keep], [names[i] for i in keep], clashes


def cmd_emissions(args) -> int:
    from .acoustic import iter_sources

    out = Path(args.output)
    _check_folder("-o", args.output)  # a file there, a folder that cannot be created or written: said up front
    if args.manifest:
        from .manifest import read_manifest

        if args.audio:
            raise CtcDecodeError("give audio files or --manifest M, not both (a manifest's files are named as compare "
                                 "--emissions looks for them, which other inputs would upset)")
        files = list(dict.fromkeys(e.audio for e in read_manifest(args.manifest)))
        # named as compare and tune name them (_entries_emissions), saved .npz rows included in the numbering
        named = [(f, n) for f, n in zip(files, unique_ids([Path(f).stem for f in files]))
                 if not f.lower().endswith(".npz")]
        if not named:
            raise CtcDecodeError(f"--manifest {args.manifest}: it lists no audio files (only saved emissions), so "
                                 "there is nothing to run the model on")
        sources, names = [f for f, _ in named], [n for _, n in named]
    elif not args.audio:
        raise CtcDecodeError("no audio given: name audio files or folders, or --manifest M")
    else:
        sources = iter_sources(args.audio)
        names = _output_names(sources)
    model = _load_model(args)
    clashes: list[tuple[str, str]] = []
    given = len(sources)
    made_with = _made_with(args)  # recorded in each file: a later --emissions or --skip-existing checks it
    if args.skip_existing:
        sources, names, clashes = _skip_existing(sources, names, [out / f"{n}.npz" for n in names], out, made_with)
    bar = _AudioProgress(sources, "emissions")
    failures = list(clashes)
    done = 0
    checkpoints = [out / f".{n}{_CHECKPOINT_SUFFIX}" for n in names]  # a long file's run so far, for Ctrl-C
    try:  # slice by slice, each saved as soon as it is computed: an interrupted run keeps what it did
        for k in range(0, len(sources), _SAVE_EMISSIONS_EVERY):
            part = sources[k:k + _SAVE_EMISSIONS_EVERY]
            results = model.emissions_batch(part, **_chunking(args), progress=bar.seconds, progress_seconds=True,
                                            checkpoints=checkpoints[k:k + _SAVE_EMISSIONS_EVERY])
            bar.inputs(len(part))
            for src, em in zip(part, results):
                done += 1
                if isinstance(em, CtcDecodeError):
                    failures.append((src, str(em)))
                    continue
                try:
                    path = em.save(out / f"{names[done - 1]}.npz", made_with=_for_audio(made_with, src))
                except CtcDecodeError as e:
                    failures.append((src, str(e)))
                    continue
                print(f"{src}\t{path}\t{em.num_frames} frames")
    except KeyboardInterrupt:
        bar.close()
        _report_failures(failures, done + given - len(sources))
        print(_interrupted_line(done, given - len(sources) - len(clashes), given, "the files listed above are written",
                                len(clashes)), file=sys.stderr)
        _say_checkpoint_kept(checkpoints)
        return 130
    bar.close()
    return _report_failures(failures, given)


# --- compare --------------------------------------------------------------------------------------------------
def _parse_lms(specs: Sequence[str]) -> list[tuple[str, str]]:
    lms: list[tuple[str, str]] = []
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = Path(spec).name.split(".")[0] or Path(spec).name, spec
        if not path.strip():
            raise CtcDecodeError(f"--lm {spec}: no path after '='; write --lm NAME=PATH (e.g. domain=lm.arpa).")
        if not name.strip():
            raise CtcDecodeError(f"--lm {spec}: no name before '='; write --lm NAME=PATH, or just --lm PATH.")
        if name in [n for n, _ in lms]:
            raise CtcDecodeError(
                f"--lm {spec}: two language models are named {name!r}, and the table has one row per name; "
                f"name them apart: --lm {name}1=PATH --lm {name}2=PATH.")
        lms.append((name, path))
    return lms


def build_comparison_decoders(args, hotwords: Sequence[str]) -> dict:
    """greedy, beam, beam+NAME per LM, and beam+NAME+hotwords (on ``--hotword-lm`` or the first LM)."""
    from .decoders import GreedyDecoder

    decoders = {"greedy": GreedyDecoder(pause_seconds=args.pause_seconds, fill_gap_seconds=args.fill_gap_seconds),
                "beam": _beam(args, None, [], "beam")}
    lms = _parse_lms(args.lm)
    for name, path in lms:
        decoders[f"beam+{name}"] = _beam(args, path, [], f"beam+{name}")
    if hotwords:
        target = [lm for lm in lms if lm[0] == args.hotword_lm] if args.hotword_lm else lms[:1]
        if args.hotword_lm and not target:
            raise CtcDecodeError(f"--hotword-lm {args.hotword_lm}: no --lm has that name ({[n for n, _ in lms]}).")
        if target:
            name = f"beam+{target[0][0]}"
            decoders[name + "+hotwords"] = decoders[name].replace(hotwords=hotwords, name=name + "+hotwords",
                                                                  hotword_spotting=args.hotword_spotting)
        else:
            decoders["beam+hotwords"] = _beam(args, None, hotwords, "beam+hotwords")
    return decoders


_SAVE_EMISSIONS_EVERY = 32  # inputs


def _cached_emissions(pairs: Sequence[tuple[str, str]], cache: Optional[Path], args, model=None,
                      what: str = "acoustic model", labels=None) -> list:
    """Emissions of ``(id, audio)`` pairs, in order: from ``cache/<id>.npz`` where saved, else from the model (and
    then saved there, slice by slice, so an interrupted run keeps what it computed). Each is an ``Emissions`` or
    the ``CtcDecodeError`` of that input. A saved file made otherwise (:func:`_stale`: another model, chunking,
    audio changed since), or one that cannot be read, is computed again; one whose labels are not ``--model``'s,
    or made from another file of the same name, is an error."""
    from .emissions import Emissions

    emissions: dict[str, object] = {}
    todo = []
    made_with = _made_with(args) if cache is not None else {}
    stale: dict[str, int] = {}  # why saved emissions are made again: how many for each reason
    for key, audio in pairs:
        if str(audio).lower().endswith(".npz"):  # saved emissions listed in the manifest: decoded as they are
            try:
                emissions[key] = Emissions.load(audio)
            except CtcDecodeError as err:
                emissions[key] = err
            continue
        npz = cache / f"{key}.npz" if cache else None
        if npz is not None and npz.is_file():
            try:
                em: object = Emissions.load(npz)
            except CtcDecodeError:  # damaged (a disk that filled up, a copy cut short): a cache computes it again
                em = None
            recorded = (_recorded_source(npz) or em.source) if em is not None else None  # where its audio was
            clash = recorded is not None and _other_file(recorded, audio)
            why = ("that could not be read (damaged)" if em is None
                   else None if clash else _stale(npz, made_with, audio))
            if why:
                stale[why] = stale.get(why, 0) + 1
                todo.append((key, audio))
                continue
            if clash:
                em = CtcDecodeError(
                    f"{npz}: saved emissions of {recorded}, not of {audio} (another file with the same name). "
                    "Delete the file to recompute it, or give each manifest its own --emissions folder.")
            emissions[key] = em
        else:
            todo.append((key, audio))
    if stale:
        print(f"--emissions {cache}: computing saved emissions again: "
              + "; ".join(f"{n} made {why}" for why, n in stale.items()), file=sys.stderr)
    if todo:
        model = model or _load_model(args)
        saving = True
        bar = _AudioProgress([a for _, a in todo], what)
        for k in range(0, len(todo), _SAVE_EMISSIONS_EVERY):
            part = todo[k:k + _SAVE_EMISSIONS_EVERY]
            outs = model.emissions_batch([a for _, a in part], **_chunking(args), progress=bar.seconds,
                                         progress_seconds=True)
            bar.inputs(len(part))
            for (key, audio), em in zip(part, outs):
                emissions[key] = em
                if cache is not None and saving and isinstance(em, Emissions):
                    try:  # the emissions are in hand: a cache that cannot be written must not lose them
                        cache.mkdir(parents=True, exist_ok=True)
                        em.save(cache / f"{key}.npz", made_with=_for_audio(made_with, audio))
                    except (OSError, CtcDecodeError) as err:
                        saving = False
                        print(f"warning: --emissions {cache}: cannot save the emissions there ("
                              f"{getattr(err, 'strerror', None) or err}); going on without saving them.",
                              file=sys.stderr)
        bar.close()
    reference = labels if labels is not None else _model_labels(args, model)  # ``labels``: the inputs' own
    out = []
    for key, audio in pairs:
        em = emissions[key]
        if isinstance(em, Emissions) and reference is not None and em.labels.labels != reference.labels:
            listed = str(audio).lower().endswith(".npz")  # the manifest's own file, not the cache's
            where = audio if listed else cache / (key + ".npz") if cache else key
            if labels is not None:  # the labels of the saved inputs this run decodes
                fix = f"the saved inputs have {len(reference)}). Give background emissions of the inputs' model."
            elif listed:
                fix = f"{args.model} has {len(reference)}). Pass the --model that wrote it."
            else:
                fix = (f"{args.model} has {len(reference)}). Delete the file to recompute it, or pass the --model "
                       "that wrote it.")
            em = CtcDecodeError(f"{where}: emissions of another model ({len(em.labels)} labels; {fix}")
        out.append(em)
    return out


def _made_with(args) -> dict:
    """What emissions saved in ``--emissions`` were made with, beside their audio file: the model (its files as
    they are now: :func:`~.acoustic.model_fingerprint`, its own chunking included), the chunk length asked for
    (``None``: the model's own), and the context each chunk runs with (seconds, the model's own where none is
    asked for; ``None`` where nothing is chunked)."""
    from .acoustic import model_chunking, model_fingerprint

    try:
        model = model_fingerprint(args.model)
    except CtcDecodeError:
        model = None  # the model cannot be found: loading it says why, where it is needed
    own_chunk, own_context = model_chunking(args.model)
    chunked = own_chunk if args.chunk_seconds is None else args.chunk_seconds
    context = (own_context if args.context_seconds is None else args.context_seconds) if chunked else None
    return {"model": model, "chunk_seconds": args.chunk_seconds, "context_seconds": context}


def _chunking(args) -> dict:
    """``chunk_seconds`` and ``context_seconds`` as given (``None``: the model's own), for the model's calls."""
    return {"chunk_seconds": args.chunk_seconds, "context_seconds": args.context_seconds}


def _for_audio(made_with: dict, audio) -> dict:
    """``made_with`` (:func:`_made_with`) with the audio file's ``[size, modification time in ns]`` (``None`` where
    it cannot be read), to tell later whether it changed."""
    return {**made_with, "audio": size_and_time(audio)}


_STALE_REASONS = {"model": "by another model, or one whose files have changed since",
                  "chunk_seconds": "with another --chunk-seconds",
                  "context_seconds": "with another --context-seconds", "audio": "from audio that has changed since",
                  "decoder": "with other decoding settings (LM, alpha, beta, hotwords...)"}


def _stale(npz: Path, made_with: dict, audio) -> Optional[str]:
    """Why the emissions saved in ``npz`` (or a JSON transcript) cannot stand for ones of ``audio`` made now with
    ``made_with``, or ``None``. Files saved before this was recorded (no ``made_with`` in them) are taken as they
    are."""
    saved = _saved_meta(npz).get("made_with")
    if not isinstance(saved, dict):
        return None
    now = _for_audio(made_with, audio)
    for field, why in _STALE_REASONS.items():
        if field == "context_seconds" and field not in saved and "chunk_seconds" in saved:
            # made before the context was recorded: with the fixed 2 s of then, where anything was chunked (the
            # chunk length is the same as now, or the file is already stale above)
            saved = {**saved, field: DEFAULT_CONTEXT_SECONDS if now.get(field) is not None else None}
        if field not in saved:
            continue
        before, after = saved[field], now.get(field)
        if isinstance(before, dict) and isinstance(after, dict):  # decoder settings: those both name (a setting
            before, after = ({k: d[k] for k in before.keys() & after.keys()} for d in (before, after))  # added later)
        unknown = field not in ("chunk_seconds", "context_seconds") and (before is None or after is None)  # None
        # chunk length: the model's own; None context: nothing chunked
        if not unknown and before != after:
            return why
    return None


def _other_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` are both existing files, and not the same one (a cached emission's source
    recorded relative to another working folder does not exist here, and so does not count as another file)."""
    try:
        return Path(a).is_file() and Path(b).is_file() and not os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _manifest_items(args) -> tuple[list, list[dict]]:
    """Emissions + references of a manifest's utterances: from ``--emissions DIR`` where saved, else from the
    model (and then saved there). Returns the items and the inputs that failed, with their errors."""
    from .compare import Item, split_scorable
    from .manifest import read_manifest

    entries = read_manifest(args.manifest)
    cache = Path(args.emissions) if args.emissions else None
    items, failures = [], []
    for e, em in zip(entries, _entries_emissions(entries, cache, args)):
        if isinstance(em, CtcDecodeError):
            failures.append({"id": e.id, "audio": e.audio, "error": str(em)})
        else:
            items.append(Item(e.id, em, e.text))
    items, unscorable = split_scorable(items)  # a punctuation-only reference would score every decoder perfect
    audio_of = {e.id: e.audio for e in entries}
    failures += [dict(f, audio=audio_of[f["id"]]) for f in unscorable]
    if not items:
        listed = "".join(f"\n  {f['error']}" for f in failures[:10])
        more = f"\n  ... and {len(failures) - 10} more" if len(failures) > 10 else ""
        raise CtcDecodeError(f"{args.manifest}: no utterance could be processed, so there is nothing to score "
                             f"({len(failures)} failed):{listed}{more}")
    return items, failures


def _entries_emissions(entries: Sequence, cache: Optional[Path], args, model=None,
                       what: str = "acoustic model", labels=None) -> list:
    """The emissions (or error) of each manifest entry: each audio file run once (:func:`_cached_emissions`),
    however many rows are segments of it (NeMo's offset/duration), and cut to each row's stretch. Saved files are
    named by the audio files' stems, made unique in order: without repeated files, the rows' ids."""
    files = list(dict.fromkeys(e.audio for e in entries))
    keys = unique_ids([Path(a).stem for a in files])
    whole = dict(zip(files, _cached_emissions(list(zip(keys, files)), cache, args, model, what, labels)))
    return cut_entries(entries, whole)


def _model_labels(args, model):
    """Labels of ``--model`` (loaded or not) to check cached emissions against; ``None`` if unknown."""
    if model is not None:
        return model.labels
    from .acoustic import resolve_model_path
    from .vocab import Labels

    try:
        folder = Path(resolve_model_path(args.model))
        return Labels.from_folder(folder) if folder.is_dir() else None
    except CtcDecodeError:
        return None


def _prepare(decoders, args) -> None:
    """Check the decoders against ``--model``'s labels before any audio is processed (where they can be read
    without loading the model): a mismatch then fails once instead of on every utterance."""
    labels = _model_labels(args, None)
    if labels is not None:
        for decoder in decoders:
            decoder.prepare(labels)


def cmd_compare(args) -> int:
    from .compare import compare

    _skip_word_confidence(args, "compare scores transcripts, not confidences")
    _check_writable("--json", args.json)
    _check_writable("--csv", args.csv)
    _check_folder("--emissions", args.emissions, read_only_ok=True)
    hotwords = _read_hotwords(args)
    decoders = build_comparison_decoders(args, hotwords)
    if hotwords and args.spotting_background:
        background = _background_emissions(args)
        decoders = {name: _calibrate(d, args, background) for name, d in decoders.items()}
    _prepare(decoders.values(), args)
    items, failures = _manifest_items(args)
    bar = _progress(len(items) * len(decoders), "decoding")
    result = compare(decoders, items, hotwords=hotwords, failures=failures, progress=bar.update,
                     num_workers=args.jobs)
    bar.close()
    print(result.table())
    if hotwords:
        print("\nhotwords found / in the references (+ insertions beyond them):\n" + result.hotword_table())
    if args.explain_hotwords:
        from .compare import explain_missed_hotwords

        lines = explain_missed_hotwords(result, decoders, items)
        spotting = any(getattr(d, "hotword_spotting", None) is not None and getattr(d, "hotwords", None)
                       for d in decoders.values())
        print("\nwhy hotwords were missed or inserted (margins in nats):\n" + "\n".join(
            lines or ["(none missed or inserted)" if spotting else
                      "(none inserted; no decoder spots hotwords: add --hotword-spotting NATS or --spotting-background "
                      "PATH to see why they were missed)"]))
    print(f"\n{len(items)} utterances, {sum(i.emissions.audio_duration for i in items):.1f} s of audio"
          + (f"; hotwords: {len(hotwords)}" if hotwords else "")
          + (f"; {len(result.failures)} more not scored (listed below; the 'failed' column counts decoding "
             "failures)" if result.failures else ""))
    if args.json:
        _atomic_write(Path(args.json), json.dumps({**result.to_dict(), "run": _run_record(args)}, indent=2))
        print(f"wrote {args.json}")
    if args.csv:
        result.to_csv(args.csv)
        print(f"wrote {args.csv}")
    return _report_failures([(f["audio"], f["error"]) for f in failures])


# --- spoken-forms -----------------------------------------------------------------------------------------------
def cmd_spoken_forms(args) -> int:
    """Print each hotword entry with the spoken forms ``--auto-spoken-forms`` would add (a hotwords file to edit)."""
    from .decoders import BeamSearchDecoder
    from .decoders.hotwords import letters, near_words, parse_hotword, with_suggested_forms

    entries = _read_hotwords(args)
    if not entries:
        raise CtcDecodeError("spoken-forms: no hotwords; give --hotwords WORD ... or --hotwords-file FILE.")
    lexicon = (BeamSearchDecoder(args.lm).unigrams or []) if args.lm else []
    lines = []  # every entry first: a bad one must not leave half a hotwords file in a redirected output
    parsed = [parse_hotword(text) for text in entries]
    listed = [e.display for e in parsed]
    for entry in parsed:
        entry = with_suggested_forms(entry, lexicon)
        near = near_words(entry.display, lexicon, exclude=listed)
        if near:  # a comment line: the output stays a hotwords file
            shown = [n.upper() if entry.display.isupper() else n for n in near]
            lines.append(f"# {entry.display} is one letter from {', '.join(shown)}, known to the LM: the hotword "
                         f"bonus may write {entry.display} where {'one of those' if len(near) > 1 else shown[0]} "
                         "is said")
        searched = [s for s in (entry.display, *entry.spoken) if all(c.isalpha() or c in "' " for c in s)]  # C++: no
        shortest = min(map(letters, searched), default=DEFAULT_HOTWORD_FULL_LETTERS)
        if shortest < DEFAULT_HOTWORD_FULL_LETTERS:
            lines.append(f"# {entry.display} is searched as {shortest} letter{'s' if shortest > 1 else ''}: it earns "
                         f"{shortest}/{DEFAULT_HOTWORD_FULL_LETTERS} of the hotword bonus (--hotword-full-letters), "
                         "and a short word is easy to write where it is not said; a phrase with the words around it "
                         "earns it whole")
        lines.append(f"{entry.display}: {', '.join(entry.spoken)}" if entry.spoken else entry.display)
    print("\n".join(lines))
    return 0


# --- tune -------------------------------------------------------------------------------------------------------
def cmd_tune(args) -> int:
    from .tune import tune_alpha_beta, tune_hotwords

    _skip_word_confidence(args, "tune scores transcripts, not confidences")
    if not args.lm:
        raise CtcDecodeError("tune needs --lm LM: alpha and beta weigh a language model.")
    _check_writable("--json", args.json)
    _check_folder("--emissions", args.emissions, read_only_ok=True)
    if args.save_decoder:  # checked now, not after the sweep: the folder, and the processor files it copies
        from .lm.package import _processor_folder

        target = Path(args.save_decoder)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CtcDecodeError(f"--save-decoder {target}: already there and not empty; give a new folder "
                                 "(nothing is tuned until the folder can take the result)")
        _processor_folder(args.model)
    hotwords = _read_hotwords(args)
    if hotwords and args.hotword_weights and args.spotting_background \
            and not Path(args.spotting_background).exists():  # used after the alpha/beta grid: check it now
        raise CtcDecodeError(f"--spotting-background {args.spotting_background}: no such file or folder; give a "
                             "manifest, audio files or a folder of recordings without the hotwords.")
    ignored = [(one, grid) for one, grid in (("--alpha", "--alphas"), ("--beta", "--betas"),
                                             ("--hotword-weight", "--hotword-weights"))
               if one in args.given_options]
    if ignored:
        print("note: " + "; ".join(f"{one} is not used: tune tries {grid}" for one, grid in ignored), file=sys.stderr)
    decoder = _beam(args, args.lm, [], "beam+lm")
    _prepare([decoder, decoder.replace(hotwords=hotwords)] if hotwords else [decoder], args)
    items, failures = _manifest_items(args)
    bar = _progress(len(items) * len(args.alphas) * len(args.betas), "tuning")
    result = tune_alpha_beta(decoder, items, args.alphas, args.betas, progress=bar.update, num_workers=args.jobs)
    bar.close()
    print(result.table())
    print(f"\nbest: --alpha {result.alpha:g} --beta {result.beta:g}  (WER {100 * result.wer:.1f} %, "
          f"CER {100 * result.cer:.1f} %) on {len(items)} utterances")
    _note_grid_edge("alpha", args.alphas, result.alpha, floor=0.0)
    _note_grid_edge("beta", args.betas, result.beta, floor=None)
    report = {**result.comparison.to_dict(), "run": _run_record(args),
              "best": {"alpha": result.alpha, "beta": result.beta, "wer": result.wer, "cer": result.cer}}
    if hotwords and args.hotword_weights:
        background = _background_emissions(args) if args.spotting_background else []
        hw = tune_hotwords(decoder.replace(alpha=result.alpha, beta=result.beta), items, hotwords,
                           args.hotword_weights, [None, *args.spotting_thresholds], background=background,
                           ratios=args.spotting_ratios, max_false_insertion_rate=args.max_false_insertions,
                           num_workers=args.jobs)
        print("\n" + hw.table())
        print(f"\nbest: {_hotword_options(hw, args.spotting_background)}  (recall {100 * hw.recall:.1f} %, "
              f"false insertions {100 * hw.false_insertion_rate:.1f} % of hotword-free utterances, WER {100 * hw.wer:.1f} %)")
        _note_grid_edge("hotword-weight", args.hotword_weights, hw.weight, floor=0.0)
        report["hotword_weights"] = hw.comparison.to_dict()["decoders"]
        report["best"]["hotwords"] = {"hotword_weight": hw.weight, "hotword_spotting": hw.spotting,
                                      "spotting_ratio": hw.ratio, "recall": hw.recall,
                                      "false_insertion_rate": hw.false_insertion_rate, "wer": hw.wer,
                                      "options": _hotword_options(hw, args.spotting_background)}
    if args.json:
        _atomic_write(Path(args.json), json.dumps(report, indent=2))
    if args.save_decoder:
        chosen = hw.decoder if hotwords and args.hotword_weights else result.decoder
        chosen.save_pretrained(args.save_decoder, items[0].emissions.labels, processor_dir=args.model)
        print(f"wrote {args.save_decoder} (transcribe --decoder-folder {args.save_decoder})")
    return _report_failures([(f["audio"], f["error"]) for f in failures])


def _note_grid_edge(option: str, grid: Sequence[float], chosen: float, floor: Optional[float]) -> None:
    """A note on stderr where ``tune`` chose the largest value of ``--<option>s`` tried, or the smallest above
    ``floor`` (the lowest the option may take; ``None``: none): the best may lie beyond the grid."""
    values = sorted(set(float(v) for v in grid))
    if len(values) < 3:
        return
    if chosen == values[-1]:
        side = "largest"
    elif chosen == values[0] and (floor is None or chosen > floor):
        side = "smallest"
    else:
        return
    print(f"note: --{option} {chosen:g} is the {side} of --{option}s tried; the best may lie beyond it: try "
          f"{side.replace('est', 'er')} values too", file=sys.stderr)


def _run_record(args) -> dict:
    """What a ``--json`` report records of the run that made it: the command line, the model and the manifest."""
    return {"command": ["ctcdecode-plus", *getattr(args, "argv", [])], "model": args.model,
            "manifest": args.manifest, "ctcdecode_plus_version": __version__}


def _hotword_options(hw, background) -> str:
    """The hotword options that reproduce ``hw`` (a :class:`~ctcdecode_plus.tune.HotwordTuneResult`) with
    ``compare``/``transcribe``: a calibrated choice names its background, and a spotting threshold beside it is the
    cap on the calibrated thresholds."""
    out = f"--hotword-weight {hw.weight:g}"
    if hw.ratio is not None:
        out += f" --spotting-background {background} --spotting-ratio {hw.ratio:g}"
        return out + ("" if hw.spotting is None else f" --hotword-spotting {hw.spotting:g}")
    return out + " --hotword-spotting " + ("off" if hw.spotting is None else f"{hw.spotting:g}")


# --- parser ---------------------------------------------------------------------------------------------------
class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``error: PROG: what; see PROG --help``), exit status 2, as
    every other user error here; that reads ``-1e9`` as a number, not an option; and that takes options only whole."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)  # --alph is no --alpha: --decoder-folder reads the options as written
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$|^-(?:inf|nan)$",
                                                   re.IGNORECASE)

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message}; see {self.prog} --help\n")


def _refuse_empty_values(parser: argparse.ArgumentParser, args) -> None:
    """An option given an empty value (``--lm ""``, ``-o ""``, an unset variable in a script): a usage error, not
    an option left out (``--save-decoder ""`` saved nothing and exited 0; ``--lm ""`` decoded greedily)."""
    sub = next((a.choices.get(getattr(args, "command", None)) for a in parser._actions
                if isinstance(a, argparse._SubParsersAction)), None)
    for action in sub._actions if sub is not None else ():
        value = getattr(args, action.dest, None) if action.option_strings else None
        values = value if isinstance(value, list) else [value]
        values = [x for v in values for x in (v if isinstance(v, list) else [v])]
        if any(isinstance(v, str) and not v.strip() for v in values):
            sub.error(f"argument {'/'.join(action.option_strings)}: an empty value; give one"
                      + ("" if action.required else ", or leave the option out"))


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ctcdecode-plus",
        description="Speech to text with a Wav2Vec2 CTC model, then better text with language models: greedy and "
                    "beam-search decoding, KenLM fusion, hotwords, decoder comparison, and ARPA LM building.",
    )
    parser.add_argument("--version", action="version", version=f"ctcdecode-plus {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (resampling, LM case...)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("transcribe", help="transcribe audio files (or decode saved emissions)",
                       description="Transcribe audio files (any format and rate; resampled to 16 kHz mono), or decode "
                                   "emissions saved by `ctcdecode-plus emissions` (.npz) without running the model.")
    # "*", checked in cmd_transcribe: "--hotwords A B talk.wav" takes the file for a hotword, which a required
    # positional could only report as "required: audio"
    p.add_argument("audio", nargs="*", help="audio files, saved emissions (.npz) or folders of either")
    _add_model_args(p)
    _add_decoder_args(p)
    p.add_argument("--decoder", choices=["greedy", "beam"], default=None,
                   help="default: beam when --lm or --hotwords are given, else greedy")
    _add_jobs_arg(p, "The transcripts are the same, in the same order; the model runs on the next files here while "
                     "the workers decode: worth it for saved emissions (1.77x on 2 cores), and for audio only where "
                     "the model leaves cores idle (on 2 cores it was no faster)")
    p.add_argument("--decoder-folder", default=None, metavar="DIR",
                   help="decode with a saved decoder (BeamSearchDecoder.save_pretrained, pyctcdecode or "
                        "Wav2Vec2ProcessorWithLM folder): its LM, alpha, beta, hotwords and search settings; "
                        "decoding options given beside it override them")
    p.add_argument("--format", type=_formats, default=["text"], metavar="{" + ",".join(_EXTENSIONS) + "}[,...]",
                   help="json carries words with start/end times in seconds; srt and vtt are subtitles; ctm is NIST's "
                        "time-marked words (sclite), a line per word named by the input's file name. Several "
                        "formats, comma-separated (--format json,srt), need -o DIR: each input gets a file in each")
    p.add_argument("--explain-hotwords", action="store_true",
                   help="say on stderr where each hotword was spotted (nats per character against its threshold) "
                        "and why spotting kept or refused it (acoustic and LM margins, nats)")
    p.add_argument("-o", "--output-dir", default=None, metavar="DIR",
                   help="write one file per input and format, DIR/<name>.txt, .json, .srt, .vtt or .ctm (by --format), "
                        "each as soon as it is done; stdout lists them (needed for subtitles of several inputs)")
    p.add_argument("--skip-existing", action="store_true",
                   help="with -o: leave out the inputs whose file is already there (to finish an interrupted run); "
                        "one made with another model or other settings is made again (each file records how it was "
                        "made; text and SRT in a hidden .NAME.txt.made_with beside them)")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("emissions", help="save frame-level log-probabilities (.npz)",
                       description="Run the acoustic model and save emissions [frames, vocab] as .npz, one per file, "
                                   "so decoders can be compared without rerunning the model.")
    p.add_argument("audio", nargs="*", help="audio files or folders")
    p.add_argument("--manifest", default=None,
                   help="instead of audio arguments: every audio file a manifest lists (TSV or JSON lines), each "
                        "once, named as `compare --emissions` and `tune --emissions` look for them")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--skip-existing", action="store_true",
                   help="leave out the inputs whose .npz is already there (to finish an interrupted run)")
    _add_model_args(p)
    p.set_defaults(func=cmd_emissions)

    p = sub.add_parser("compare", help="compare decoders on a manifest (WER, CER, hotwords, speed)",
                       description="Compare greedy, beam, beam+LM and beam+LM+hotwords on the utterances of a "
                                   "manifest (TSV 'audio<TAB>text' or NeMo JSON lines) and print a table.")
    _add_manifest_args(p, "TSV with header audio<TAB>text, or JSON lines")
    _add_decoder_args(p, multi_lm=True)
    p.add_argument("--hotword-lm", default=None, help="NAME of the --lm to combine with hotwords (default: first)")
    p.add_argument("--json", default=None, help="write the full comparison as JSON")
    p.add_argument("--csv", default=None, help="write per-utterance rows as CSV")
    p.add_argument("--explain-hotwords", action="store_true",
                   help="after the tables, say why each hotword a spotting decoder missed was missed (where it was "
                        "spotted, and the check's acoustic and LM margins in nats)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("spoken-forms", help="print hotword entries with the spoken forms --auto-spoken-forms adds",
                       description="Print each hotword as a hotwords-file line, 'SHOWN: SPOKEN, ...', with the spoken "
                                   "forms --auto-spoken-forms would search (compounds of the LM's words split, "
                                   "consonant runs read as letter names); edit the output and pass it with "
                                   "--hotwords-file. Entries that have forms keep them. With --lm, a '#' line "
                                   "before a hotword names the words the LM knows one letter from it (TRACING: "
                                   "TRACKING), where the hotword bonus may write the hotword for them; another "
                                   "says when a hotword is searched as fewer than 4 letters (AI), and so earns a "
                                   "share of the bonus.")
    p.add_argument("--lm", default=None, help="KenLM model whose unigrams are the known words (compounds and "
                                              "one-letter neighbours need it)")
    p.add_argument("--hotwords", nargs="+", default=[], metavar="WORD", help="hotwords")
    p.add_argument("--hotwords-file", default=None, help="file with one hotword per line")
    p.set_defaults(func=cmd_spoken_forms)

    p = sub.add_parser("tune", help="grid-search the LM weight alpha and word bonus beta on a dev set",
                       description="Decode a development manifest with every (alpha, beta) pair and report the "
                                   "best. Tune on utterances you do not report results on.")
    _add_manifest_args(p, "development set: TSV audio<TAB>text, or JSON lines")
    _add_decoder_args(p)
    p.add_argument("--alphas", type=_finite, nargs="+", default=[0.3, 0.5, 0.7, 1.0, 1.5],
                   help="LM weights to try (default: %(default)s)")
    p.add_argument("--betas", type=_finite, nargs="+", default=[0.0, 1.0, 2.0, 3.0],
                   help="word bonuses to try (default: %(default)s)")
    p.add_argument("--hotword-weights", type=_nonnegative, nargs="+", default=[2.0, 5.0, 10.0, 15.0, 20.0],
                   help="with --hotwords/--hotwords-file: weights to try after alpha/beta are chosen (default: "
                        "%(default)s)")
    p.add_argument("--spotting-thresholds", type=_nonnegative, nargs="*", default=[1.0, 2.0, 3.0],
                   help="with hotwords: CTC word-spotting thresholds to try as well (nats per character; default: "
                        "%(default)s; the option with no value: spotting off)")
    p.add_argument("--spotting-ratios", type=_ratio, nargs="*", default=[0.5, 0.7, 1.0],
                   help="with hotwords and --spotting-background: calibration ratios to try as well (default: "
                        "%(default)s)")
    p.add_argument("--max-false-insertions", type=_utterance_share, default=0.01,
                   help="largest share of hotword-free utterances that may gain a hotword (default %(default)s)")
    p.add_argument("--json", default=None, help="write every grid point's scores as JSON")
    p.add_argument("--save-decoder", default=None, metavar="DIR",
                   help="write the chosen setting as a decoder folder (LM, alpha, beta, and the hotwords with their "
                        "chosen weight and spotting), with --model's processor files: `transcribe --decoder-folder "
                        "DIR` decodes with it, and so do pyctcdecode and Wav2Vec2ProcessorWithLM")
    p.set_defaults(func=cmd_tune)

    try:
        from .lm.cli import register
    except ImportError:  # the LM tools are optional at import time
        register = None
    if register is not None:
        register(sub)
    for command in sub.choices.values():  # -v after the command too; SUPPRESS: not given there, the top one stands
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="log what happens (resampling, LM case...)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _refuse_empty_values(parser, args)
    # the options written on the command line, not left at their defaults (--decoder-folder's overrides)
    args.argv = [a for a in (sys.argv[1:] if argv is None else argv) if isinstance(a, str)]  # for --json reports
    args.given_options = {a.split("=")[0] for a in args.argv if a.startswith("--")}
    try:  # file names that are not UTF-8 (undecodable bytes) print as they are instead of failing the output
        sys.stdout.reconfigure(errors="surrogateescape", line_buffering=True)  # each table as it is done
    except (AttributeError, ValueError, OSError):
        pass
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        for name in ("pyctcdecode", "transformers"):
            logging.getLogger(name).setLevel(logging.ERROR)
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
        except ImportError:
            pass
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    previous = _on_sigterm_interrupt()
    try:
        rc = int(args.func(args) or 0)
        return 143 if rc == 130 and _TERMINATED else rc
    except CtcDecodeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 143 if _TERMINATED else 130
    except BrokenPipeError:  # `ctcdecode-plus ... | head`: the reader left; no traceback, no second error at exit
        _stdout_to_devnull()
        return 141  # 128 + SIGPIPE, as a shell reports it
    except OSError as e:  # what was printed could not be written (`> /dev/full`, a disk that filled up), or another
        _stdout_to_devnull()  # system error no check above names: said in a line, not a traceback
        where = f" {e.filename}" if e.filename else ""
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
            print(f"error: cannot write the output{where} ({e.strerror or e}); free some space, or send it "
                  "elsewhere (-o DIR, --json PATH)", file=sys.stderr)
        elif e.errno == errno.ENAMETOOLONG:  # a path given: a usage error
            print(f"error:{where[:120]}{'...' if len(where) > 120 else ''}: a file name too long for this system; "
                  "give a shorter path", file=sys.stderr)
            return 2
        else:
            print(f"error:{where} {e.strerror or e}", file=sys.stderr)
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


_TERMINATED = False


def _stdout_to_devnull() -> None:
    """Point standard output at /dev/null, so the text still buffered for it is not written (and fails) again at
    exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _on_sigterm_interrupt():
    """Make SIGTERM (timeout, systemd, a batch scheduler) stop a command as Ctrl-C does: what is done is kept and
    written, the rest listed, exit status 143. Returns the handler it replaced (``None``: not installed)."""
    def handler(signum, frame):
        global _TERMINATED
        _TERMINATED = True
        raise KeyboardInterrupt

    global _TERMINATED
    _TERMINATED = False
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not the main thread
        return None


if __name__ == "__main__":
    sys.exit(main())
