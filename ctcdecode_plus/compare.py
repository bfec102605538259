"""Comparison: several decoders over the same emissions and references, side by side.

``compare({"greedy": GreedyDecoder(), "beam+lm": BeamSearchDecoder("lm.arpa")}, items)`` returns a
:class:`Comparison` with WER, CER, hotword recall / false insertions and speed per decoder, and a row per
utterance and decoder. It prints as a table and exports JSON and CSV.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Union

from ._files import atomic_write
from .decoders.base import Decoder
from .decoders.hotwords import display_forms
from .emissions import Emissions
from .errors import CtcDecodeError
from .metrics import ErrorCounts, char_errors, count_hotwords, hotword_counts, normalize_for_scoring, word_errors


@dataclass(eq=False)  # holds arrays, which have no single truth value: equal is the same object
class Item:
    """One utterance to compare on: its emissions and reference text."""

    id: str
    emissions: Emissions
    reference: str


@dataclass
class UtteranceResult:
    """One decoder's result on one utterance. ``decode_seconds`` is wall time in seconds."""

    id: str
    decoder: str
    reference: str
    hypothesis: str
    wer: float
    cer: float
    decode_seconds: float
    error: Optional[str] = None


@dataclass
class DecoderScore:
    """Corpus-level scores of one decoder.

    ``wer``/``cer`` are total edit errors over total reference words/characters; ``rtf`` is decode seconds per
    second of audio; hotword fields are ``None`` when no hotwords were given. ``hotword_false_insertion_rate``
    counts the utterances without a hotword that gain a whole one; ``hotword_free_changed`` (decoders with
    hotwords) the share of them whose text the hotwords changed in any way (the same decoder without hotwords
    wrote something else: a hotword glued to a word, "TERRACE FORMS" -> "TERRAFORMS", or a prefix of one).
    ``substitutions``, ``deletions`` and ``insertions`` split the word errors (their sum over ``reference_words`` is
    ``wer``): an LM mostly fixes substitutions; the word bonus ``beta`` trades deletions for insertions.
    """

    name: str
    wer: float
    cer: float
    utterances: int
    failed: int
    decode_seconds: float
    audio_seconds: float
    rtf: float
    hotword_recall: Optional[float] = None
    hotword_false_insertion_rate: Optional[float] = None
    hotword_insertions: Optional[int] = None
    hotword_detail: Optional[dict] = None  # {hotword: {"expected", "found", "inserted"}}
    hotword_free_changed: Optional[float] = None
    reference_words: int = 0
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0


@dataclass
class Comparison:
    """Result of :func:`compare`: per-decoder scores, per-utterance rows, and inputs that failed."""

    decoders: dict[str, DecoderScore]
    utterances: list[UtteranceResult]
    failures: list[dict] = field(default_factory=list)
    hotwords: list[str] = field(default_factory=list)
    settings: dict[str, dict] = field(default_factory=dict)  # {decoder name: Decoder.settings()}

    def to_dict(self) -> dict:
        return {
            "decoders": {k: _clean({**asdict(v), "settings": json_safe(self.settings.get(k))})
                         for k, v in self.decoders.items()},
            "utterances": [_clean(asdict(u)) for u in self.utterances],
            "failures": self.failures,
            "hotwords": self.hotwords,
        }

    def to_json(self, path: Optional[Union[str, os.PathLike]] = None, indent: int = 2) -> str:
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            _atomic_write(Path(path), text)
        return text

    def to_csv(self, path: Optional[Union[str, os.PathLike]] = None) -> str:
        """Per-utterance rows as CSV (id, decoder, reference, hypothesis, wer, cer, decode_seconds, error)."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(UtteranceResult.__dataclass_fields__))
        writer.writeheader()
        for u in self.utterances:
            writer.writerow(asdict(u))
        if path is not None:
            _atomic_write(Path(path), buf.getvalue())
        return buf.getvalue()

    def table(self, baseline: Optional[str] = None) -> str:
        """A fixed-width text table; ``baseline`` (default: the first decoder) gives the relative WER column."""
        names = list(self.decoders)
        if not names:
            return "(no decoders)"
        if baseline is not None and baseline not in self.decoders:
            raise CtcDecodeError(f"baseline={baseline!r}: no decoder has that name; give one of {names}.")
        base = self.decoders[baseline or names[0]]
        show_hw = any(s.hotword_recall is not None for s in self.decoders.values())
        show_changed = any(s.hotword_free_changed is not None for s in self.decoders.values())
        head = ["decoder", "WER %", "rel. WER", "sub/del/ins %", "CER %"]
        head += ["hotword recall %", "false ins. %"] if show_hw else []
        head += ["hw-free changed %"] if show_changed else []
        head += ["decode s", "RTF", "failed"]
        rows = [head]
        for s in self.decoders.values():
            rel = (s.wer / base.wer - 1) * 100 if base.wer > 0 else 0.0
            split = "/".join(f"{100 * n / max(s.reference_words, 1):.1f}"
                             for n in (s.substitutions, s.deletions, s.insertions))
            row = [s.name, f"{100 * s.wer:.1f}", f"{rel:+.0f}%", split, f"{100 * s.cer:.1f}"]
            if show_hw:
                row += [_pct(s.hotword_recall), _pct(s.hotword_false_insertion_rate)]
            if show_changed:
                row += [_pct(s.hotword_free_changed)]
            row += [f"{s.decode_seconds:.2f}", f"{s.rtf:.4f}", str(s.failed)]
            rows.append(row)
        return _format_rows(rows)

    def hotword_table(self) -> str:
        """One row per hotword, one column per decoder: ``found/expected`` in the references, ``+N`` for N
        insertions beyond them; empty when no hotwords were scored."""
        scored = {n: s.hotword_detail for n, s in self.decoders.items() if s.hotword_detail}
        if not scored:
            return ""
        terms = list(next(iter(scored.values())))
        rows = [["hotword", *scored]]
        for t in terms:
            cells = []
            for detail in scored.values():
                d = detail[t]
                cells.append(f"{d['found']}/{d['expected']}" + (f" +{d['inserted']}" if d["inserted"] else ""))
            rows.append([t, *cells])
        return _format_rows(rows)


def _format_rows(rows: list[list[str]]) -> str:
    """Fixed-width text: the first row is the header, then a rule; first column left-aligned, the rest right."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _pct(x: Optional[float]) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}"


def _clean(d: dict) -> dict:
    """JSON has no NaN/inf: write them as null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def json_safe(value):
    """``value`` (dicts, lists, numbers, strings) with every non-finite float as the string ``"inf"``, ``"-inf"``
    or ``"nan"``: strict JSON has no Infinity (a calibrated spotting threshold can be one), and the string keeps what
    ``null`` would lose."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def _atomic_write(path: Path, text: str) -> None:
    """``text`` to ``path`` whole or not at all (:func:`ctcdecode_plus._files.atomic_write`; a missing folder is
    created)."""
    with atomic_write(path, make_folder=True) as fh:
        fh.write(text)


def split_scorable(items: Sequence[Item]) -> tuple[list[Item], list[dict]]:
    """``items`` with a reference that has words to score, and a failure record (``id``, ``audio``, ``error``) for
    each of the others (an empty or punctuation-only transcript would score every decoder perfect)."""
    scorable, failures = [], []
    for it in items:
        if normalize_for_scoring(it.reference):
            scorable.append(it)
        else:
            failures.append({"id": it.id, "audio": it.emissions.source,
                             "error": f"{it.id}: the reference text {it.reference!r} has no words to score; write the "
                                      "utterance's transcript, or remove it."})
    return scorable, failures


def manifest_items(manifest: Union[str, os.PathLike], model=None, *, chunk_seconds: Optional[float] = None,
                   context_seconds: Optional[float] = None,
                   batch_seconds: float = 60.0) -> tuple[list[Item], list[dict]]:
    """The utterances of a manifest (TSV or NeMo JSON lines: :func:`~ctcdecode_plus.manifest.read_manifest`) as
    :func:`compare` items, and the inputs that failed: ``(items, failures)``, each failure a dict ``id``,
    ``audio``, ``error`` (an unreadable file, a segment outside its audio, a reference with no words to score).

    ``model``: an :class:`~ctcdecode_plus.acoustic.AcousticModel`, or a folder, hub id or ``"demo"`` (loaded once);
    ``None`` where every entry is saved emissions (``.npz``). Each audio file runs through the model once
    (:meth:`~ctcdecode_plus.acoustic.AcousticModel.emissions_batch`, ``batch_seconds`` of audio a batch, files
    longer than ``chunk_seconds`` in chunks with ``context_seconds`` on both sides; ``None``: the model's own),
    however many rows are segments of it (NeMo's ``offset`` and ``duration``, seconds), and each row gets its
    stretch of the frames, its times counted from its offset."""
    from .manifest import cut_entries, read_manifest

    entries = read_manifest(manifest)
    files = list(dict.fromkeys(e.audio for e in entries))
    whole: dict = {}
    audio = [f for f in files if not f.lower().endswith(".npz")]
    for f in files:
        if f.lower().endswith(".npz"):
            try:
                whole[f] = Emissions.load(f)
            except CtcDecodeError as err:
                whole[f] = err
    if audio:
        if model is None:
            raise CtcDecodeError(f"{manifest}: {len(audio)} of its audio files need an acoustic model (e.g. "
                                 f"{audio[0]}); pass model= (an AcousticModel, a folder, a hub id or 'demo').")
        from .pipeline import load_model

        model = load_model(model)
        whole.update(zip(audio, model.emissions_batch(audio, chunk_seconds=chunk_seconds,
                                                      context_seconds=context_seconds, batch_seconds=batch_seconds)))
    items, failures = [], []
    for e, em in zip(entries, cut_entries(entries, whole)):
        if isinstance(em, CtcDecodeError):
            failures.append({"id": e.id, "audio": e.audio, "error": str(em)})
        else:
            items.append(Item(e.id, em, e.text))
    items, unscorable = split_scorable(items)
    audio_of = {e.id: e.audio for e in entries}
    return items, failures + [dict(f, audio=audio_of[f["id"]]) for f in unscorable]


def compare(
    decoders: Mapping[str, Decoder],
    items: Sequence[Item],
    *,
    hotwords: Optional[Sequence[str]] = None,
    failures: Optional[list[dict]] = None,
    progress: Optional[Callable[[int], None]] = None,
    num_workers: Optional[int] = None,
) -> Comparison:
    """Run every decoder on every item and score it against the references.

    Args:
        decoders: ``{name: decoder}``; names label the table rows.
        items: utterances with emissions and reference text.
        hotwords: words/phrases whose recall and false insertions are reported (entries with spoken forms,
            ``"SHOWN: SPOKEN, ..."``, are scored by their shown form).
        failures: inputs that failed before decoding (e.g. unreadable audio), carried into the result.
        progress: called with 1 after each (decoder, item) decode.
        num_workers: processes to decode in (:meth:`.Decoder.timed_decodes`); ``None`` or 1: this one. The
            results are the same; the speed columns add each item's own decode time wherever it ran, so they
            measure decoding compute, comparable between settings, while the run takes less wall-clock time.

    A decoder error on one item is recorded in that row (and counted in ``failed``); the rest go on. An item whose
    reference has no words to score (empty, only punctuation), or whose emissions are the
    :class:`~ctcdecode_plus.errors.CtcDecodeError` an input failed with (``AcousticModel.emissions_batch`` puts
    one in its place), is listed in ``failures`` and left out (``audio`` ``None`` there: the error names the input).

    Raises:
        CtcDecodeError: no item left to score (none given, or none with a reference), or a malformed argument.
    """
    if not isinstance(decoders, Mapping) or not decoders or not all(isinstance(d, Decoder) for d in decoders.values()):
        raise CtcDecodeError("compare(): decoders must be a mapping {name: decoder} with at least one, e.g. "
                             "{'greedy': GreedyDecoder()}.")
    items = list(items)
    # an input that failed before decoding (emissions_batch puts its CtcDecodeError in its place): a failure
    failed_inputs = [{"id": it.id, "audio": None, "error": str(it.emissions)} for it in items
                     if isinstance(it, Item) and isinstance(it.emissions, CtcDecodeError)]
    items = [it for it in items if not (isinstance(it, Item) and isinstance(it.emissions, CtcDecodeError))]
    bad = [(i, it) for i, it in enumerate(items) if not isinstance(it, Item)
           or not isinstance(it.emissions, Emissions) or not isinstance(it.reference, str)]
    if bad:
        i, it = bad[0]
        what = (f"a {type(it).__name__}" if not isinstance(it, Item) else f"an Item whose emissions are a "
                f"{type(it.emissions).__name__}" if not isinstance(it.emissions, Emissions)
                else f"an Item whose reference is a {type(it.reference).__name__}")
        raise CtcDecodeError(f"compare(): item {i} is {what}, not an Item(id, emissions, reference text); build each "
                             "from Emissions (AcousticModel.emissions or Emissions.load) and its transcript: "
                             "Item('utt1', emissions, 'THE REFERENCE').")
    hotwords = display_forms(hotwords or [])  # "C++: SEE PLUS PLUS" is scored as C++
    failures = list(failures or []) + failed_inputs
    if not items and failed_inputs:
        raise CtcDecodeError(f"compare(): no utterance to score: every one of the {len(failed_inputs)} item(s) failed "
                             f"before decoding (first: {failed_inputs[0]['error'][:200]})")
    scorable, unscorable = split_scorable(items)
    failures += unscorable
    items = scorable
    if not items:
        raise CtcDecodeError(f"compare(): no utterance to score ({len(unscorable)} without a reference to score "
                             "against); give items with their transcripts.")
    utterances: list[UtteranceResult] = []
    scores: dict[str, DecoderScore] = {}
    audio_seconds = sum(it.emissions.audio_duration for it in items)  # RTF: of the audio, not the frames
    label_sets = list({id(it.emissions.labels): it.emissions.labels for it in items}.values())
    free = [i for i, it in enumerate(items) if not any(count_hotwords(it.reference, hotwords).values())] \
        if hotwords else []
    without: dict = {}  # the texts of each decoder without its hotwords (one decode per distinct setting)
    for name, decoder in decoders.items():
        for labels in label_sets:  # build the decoder (LM, hotwords) before the clock starts: speed is decoding's
            try:
                decoder.prepare(labels)
            except CtcDecodeError:
                pass  # the decodes below fail with it, item by item
        words, chars = ErrorCounts(), ErrorCounts()
        refs, hyps, errs = [], [], []
        seconds = 0.0
        failed = 0
        # closed when the loop ends: its worker processes stop before the next decoder (or pass) starts its own
        with contextlib.closing(decoder.timed_decodes([it.emissions for it in items], num_workers)) as decoded:
            for it, (out, dt) in zip(items, decoded):
                if isinstance(out, CtcDecodeError):
                    hyp, err = "", str(out)
                    failed += 1
                else:
                    hyp, err = out.text, None
                seconds += dt
                we, ce = word_errors(it.reference, hyp), char_errors(it.reference, hyp)
                words, chars = words + we, chars + ce
                refs.append(it.reference)
                hyps.append(hyp)
                errs.append(err)
                utterances.append(UtteranceResult(it.id, name, it.reference, hyp, we.rate, ce.rate, dt, err))
                if progress:
                    progress(1)
        hw = hotword_counts(refs, hyps, hotwords) if hotwords else None
        scores[name] = DecoderScore(
            name, words.rate, chars.rate, len(items), failed, seconds, audio_seconds,
            seconds / audio_seconds if audio_seconds else 0.0,
            hw.recall if hw else None, hw.false_insertion_rate if hw else None, hw.inserted if hw else None,
            hw.per_hotword if hw else None,
            _hotword_free_changed(decoder, items, free, hyps, errs, without, num_workers) if hotwords else None,
            words.reference_length, words.substitutions, words.deletions, words.insertions,
        )
    return Comparison(scores, utterances, failures, hotwords, {name: d.settings() for name, d in decoders.items()})


def _hotword_free_changed(decoder: Decoder, items: Sequence[Item], free: Sequence[int], hyps: Sequence[str],
                          errs: Sequence[Optional[str]], cache: dict,
                          num_workers: Optional[int] = None) -> Optional[float]:
    """Share of the utterances ``free`` (indices into ``items``, references without a hotword) whose text
    ``decoder`` wrote otherwise than it does without its hotwords (decoded here, not timed; ``cache``: texts by
    setting); ``None`` for a decoder without hotwords, or no such utterance."""
    from .constants import DEFAULT_HOTWORD_WEIGHT
    from .decoders.beam import BeamSearchDecoder

    if not isinstance(decoder, BeamSearchDecoder) or not decoder.hotwords:
        return None
    plain = decoder.replace(hotwords=[], hotword_weight=DEFAULT_HOTWORD_WEIGHT, hotword_spotting=None,
                            auto_spoken_forms=False, name="without hotwords")
    texts = cache.setdefault(repr(plain), {})
    todo = [i for i in free if errs[i] is None and i not in texts]
    for i, out in zip(todo, plain.decode_batch([items[i].emissions for i in todo], num_workers, errors="return")):
        texts[i] = None if isinstance(out, CtcDecodeError) else out.text
    counted = changed = 0
    for i in free:
        if errs[i] is not None:
            continue
        if texts[i] is not None:
            counted += 1
            changed += texts[i] != hyps[i]
    return changed / counted if counted else None


def explain_missed_hotwords(result: Comparison, decoders: Mapping[str, Decoder], items: Sequence[Item]) -> list[str]:
    """Why each decoder with hotword spotting missed the hotwords it missed, and why each decoder with hotwords put
    in those it put in beyond the reference: for every such utterance (``result.hotwords`` counted in the reference
    and the decoder's hypothesis), the utterance's :meth:`~.decoders.beam.BeamSearchDecoder.explain_hotwords` lines
    (decoded once more: what the bonus brought in, what spotting found, kept and refused). Text lines."""
    from .metrics import count_hotwords

    hyp = {(u.id, u.decoder): u.hypothesis for u in result.utterances if u.error is None}
    out: list[str] = []
    for name, decoder in decoders.items():
        if not getattr(decoder, "hotwords", None) or not hasattr(decoder, "explain_hotwords"):
            continue
        spots = getattr(decoder, "hotword_spotting", None) is not None
        for it in items:
            text = hyp.get((it.id, name))
            if text is None:
                continue
            expected, found = count_hotwords(it.reference, result.hotwords), count_hotwords(text, result.hotwords)
            missed = [w for w in result.hotwords if expected[w] > found[w]] if spots else []
            inserted = [w for w in result.hotwords if found[w] > expected[w]]
            if missed or inserted:
                what = "; ".join(f"{verb} {', '.join(ws)}" for verb, ws in (("missed", missed), ("inserted", inserted))
                                 if ws)
                out.append(f"{name} / {it.id}: {what} (wrote: {text})")
                out += [f"  {line}" for line in decoder.explain_hotwords(it.emissions).lines()]
    return out

