"""Pack synthesised utterances into a few Ogg/Opus files, small enough to travel to a GPU machine.

The GPU machine lent to a session takes the working tree plus at most 64 MiB in all, and has no TTS voices,
so the training pool goes there compressed: utterances concatenated (0.1 s of silence between them) into
chunks of about ``--chunk-minutes`` of audio, Opus at libsndfile's ``--level`` (0.96 ~ 15.5 kbps, 0.98 ~ 11
kbps, measured on this pool), with ``index.tsv`` (``split chunk start n_samples family text``, samples at
16 kHz). libsndfile's Opus round trip keeps every sample position, so the offsets stay exact.

Usage::

    python -m training.pack --out gpu_pack --hours 14 --level 0.98    # a random share of the pool + val, <= 62 MiB
    python -m training.pack --out runs/gpu_pack_seed11 --hours 14 --seed 11 \
        --exclude gpu_pack runs/gpu_pack_seed9 runs/gpu_pack_seed10    # only utterances no earlier pack holds
"""
from __future__ import annotations

import argparse
import random
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import soundfile as sf

from training.common import SR

CACHE = Path(__file__).resolve().parent / "cache"
GAP = int(0.1 * SR)


def _rows(manifest: Path) -> list[list[str]]:
    if not manifest.is_file():
        return []
    return [r.split("\t") for r in manifest.read_text().splitlines()[1:] if r.count("\t") == 4]


def _encode(job: tuple[Path, str, list[list[str]], float]) -> tuple[list[str], float]:
    """Write one chunk; returns its index lines and its seconds of speech."""
    out, name, rows, level = job
    buf, lines, pos = [], [], 0
    for rel, fam, _voice, _dur, text in rows:
        a, sr = sf.read(CACHE / rel, dtype="float32")
        if sr != SR:
            raise SystemExit(f"{rel}: {sr} Hz, expected {SR}")
        lines.append(f"{name.split('_')[0]}\t{name}\t{pos}\t{len(a)}\t{fam}\t{text}\n")
        buf += [a, np.zeros(GAP, np.float32)]
        pos += len(a) + GAP
    sf.write(out / name, np.concatenate(buf), SR, format="OGG", subtype="OPUS", compression_level=level)
    return lines, sum(float(r[3]) for r in rows)


def packed_keys(packs: list[Path]) -> dict[tuple[str, str], list[int]]:
    """``{(family, text): [n_samples, ...]}`` of the training utterances in earlier packs' ``index.tsv``."""
    keys: dict[tuple[str, str], list[int]] = {}
    for pack in packs:
        index = pack / "index.tsv"
        if not index.is_file():
            raise SystemExit(f"--exclude {pack}: no index.tsv there; give folders written by training.pack")
        for line in index.read_text().splitlines()[1:]:
            split, _chunk, _start, n, family, text = line.split("\t")
            if split == "train":
                keys.setdefault((family, text), []).append(int(n))
    return keys


def is_packed(row: list[str], keys: dict[tuple[str, str], list[int]]) -> bool:
    """Is the manifest ``row`` (path, family, voice, seconds to the ms, text) one of ``keys``' utterances? The
    same text read by the same family matches when the lengths agree to the millisecond."""
    _rel, family, _voice, dur, text = row
    return any(abs(n - float(dur) * SR) <= SR / 1000 for n in keys.get((family, text), ()))


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir())


def chunk_jobs(rows: list[list[str]], split: str, out: Path, level: float, chunk_s: float) -> list:
    """``rows`` (manifest rows) cut into chunks of about ``chunk_s`` seconds named ``<split>_NNN.ogg``."""
    jobs, cur, secs = [], [], 0.0
    for r in rows:
        cur.append(r)
        secs += float(r[3]) + GAP / SR
        if secs >= chunk_s:
            jobs.append((out, f"{split}_{len(jobs):03d}.ogg", cur, level))
            cur, secs = [], 0.0
    if cur:
        jobs.append((out, f"{split}_{len(jobs):03d}.ogg", cur, level))
    return jobs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--hours", type=float, default=9.0, help="hours of training speech to pack")
    ap.add_argument("--level", type=float, default=0.98, help="libsndfile Opus compression level (0-1)")
    ap.add_argument("--chunk-minutes", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-j", "--processes", type=int, default=2)
    ap.add_argument("--max-mib", type=float, default=62.0,
                    help="drop the last training chunks until the pack is at most this size (the device takes 64 "
                         "MiB in all, code and wheels included)")
    ap.add_argument("--exclude", type=Path, nargs="+", default=[], metavar="PACK",
                    help="leave out the training utterances that these earlier packs hold (so a new pack brings "
                         "speech a continued run has not heard)")
    ap.add_argument("--manifest", default="train.tsv",
                    help="the pool manifest under training/cache to pack from (train_nonce.tsv: the nonce-word "
                         "utterances of training/nonce.py)")
    args = ap.parse_args(argv)
    train = _rows(CACHE / args.manifest)
    val = _rows(CACHE / "val.tsv")
    if not train or not val:
        raise SystemExit(f"no synthesised pool under {CACHE}: run `python -m training.synth --val --train N` first")
    if args.exclude:
        keys = packed_keys(args.exclude)
        before = len(train)
        train = [r for r in train if not is_packed(r, keys)]
        print(f"--exclude: {before - len(train)} of {before} pool utterances are in the earlier packs; "
              f"{len(train)} ({sum(float(r[3]) for r in train) / 3600:.2f} h) left", file=sys.stderr)
    random.Random(args.seed).shuffle(train)
    # the pool's own family shares, cut at --hours
    picked, secs = [], 0.0
    for r in train:
        if secs >= args.hours * 3600:
            break
        picked.append(r)
        secs += float(r[3])
    if not picked or args.hours <= 0:
        raise SystemExit(f"--hours {args.hours}: give a positive number of hours to pack")
    picked.sort(key=lambda r: r[0])
    args.out.mkdir(parents=True, exist_ok=True)
    for old in [*args.out.glob("*.ogg"), args.out / "index.tsv"]:  # an earlier pack's chunks would travel too
        old.unlink(missing_ok=True)
    chunk_s = args.chunk_minutes * 60
    jobs = chunk_jobs(picked, "train", args.out, args.level, chunk_s) + chunk_jobs(val, "val", args.out, args.level,
                                                                                  chunk_s)
    with Pool(args.processes) as pool:
        done = list(zip(jobs, pool.imap(_encode, jobs)))
    # what travels to the device is capped: drop the last training chunks until the pack, index included, fits
    header = "split\tchunk\tstart\tn_samples\tfamily\ttext\n"

    def index_bytes() -> int:
        return len(header.encode()) + sum(len(line.encode()) for _, (lines, _) in done for line in lines)

    while (_size(args.out) + index_bytes() > args.max_mib * 2**20
           and sum(job[1].startswith("train") for job, _ in done) > 1):
        k = max(i for i, (job, _) in enumerate(done) if job[1].startswith("train"))
        (args.out / done.pop(k)[0][1]).unlink()
    secs = {"train": 0.0, "val": 0.0}
    with open(args.out / "index.tsv", "w") as index:
        index.write(header)
        for job, (lines, s) in done:
            index.writelines(lines)
            secs[job[1].split("_")[0]] += s
    picked = [r for job, _ in done if job[1].startswith("train") for r in job[2]]
    t, v = secs["train"], secs["val"]
    print(f"{args.out}: {len(picked)} training utterances ({t / 3600:.2f} h), {len(val)} validation "
          f"({v / 3600:.2f} h), {_size(args.out) / 2**20:.1f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
