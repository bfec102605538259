"""``build-lm`` and ``perplexity`` subcommands; the main CLI calls :func:`register`.

Handlers return an exit code and raise :class:`~ctcdecode_plus.errors.CtcDecodeError` subclasses for user errors
(the main CLI prints those as one line).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

from ..errors import LanguageModelError
from .counts import MAX_ORDER
from .kneser_ney import DiscountFallbackWarning
from .normalize import Alphabet


def _alphabet(args) -> "Alphabet | None":
    case = None if args.case in (None, "auto") else args.case
    if args.alphabet_from:
        return Alphabet.from_pretrained(args.alphabet_from, case)
    if args.alphabet is not None:
        if not args.alphabet.strip():  # '' would quietly mean no alphabet: the text not normalised at all
            raise LanguageModelError("--alphabet '': give the characters words may contain, e.g. "
                                     "--alphabet \"ABCDEFGHIJKLMNOPQRSTUVWXYZ'\", or --alphabet-from MODEL")
        return Alphabet.from_string(args.alphabet, case)
    if args.case and args.case != "auto":
        raise LanguageModelError("--case needs an alphabet: add --alphabet-from MODEL or --alphabet 'ABC...'")
    return None


def _count_threshold(text: str) -> int:
    """``--prune`` values; a word that is not one is usually a TEXT file swallowed by the list (argparse's nargs)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a count threshold; if it is a TEXT file, put the TEXT files before --prune "
            f"(or end the thresholds with --)") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: thresholds are counts, 0 or more")
    return value


def _add_alphabet_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("normalisation (text is used as is without these)")
    x = g.add_mutually_exclusive_group()
    x.add_argument("--alphabet-from", metavar="MODEL",
                   help="normalise text to a model's vocab.json: a Wav2Vec2 processor folder, a hub id or 'demo'")
    x.add_argument("--alphabet", metavar="CHARS", help="normalise text to these characters, e.g. \"ABCDEFGHIJKLMNOPQRSTUVWXYZ'\"")
    g.add_argument("--case", choices=("auto", "upper", "lower", "keep"), default=None,
                   help="case of the normalised text (default: from the alphabet)")


def cmd_build_lm(args) -> int:
    from .build import build_lm, overwritten_by_build
    from .mix import parse_mix_spec

    from .._files import write_in_place

    alphabet = _alphabet(args)
    texts = [Path(t) for t in args.text]  # paths: a missing one gets no hint about lines= (Python's)
    if write_in_place(args.output):
        raise LanguageModelError(f"-o {args.output}: a device or pipe; build-lm writes files beside its output (the "
                                 "unigram list, a KenLM binary): give a file path.")
    mixes = [parse_mix_spec(s) for s in (args.mix or [])]
    named = [os.path.abspath(p) for p, _ in mixes]
    if len(set(named)) < len(named):
        twice = next(p for p, _ in mixes if named.count(os.path.abspath(p)) > 1)
        raise LanguageModelError(f"--mix {twice}: given twice; give each model once, with the sum of its weights.")
    for given in [*texts, *(Path(p) for p, _ in mixes)]:
        written = overwritten_by_build(args.output, given)
        if written is not None:
            raise LanguageModelError(f"-o {args.output}: the build writes {written}, which is also an input "
                                     f"({given}); writing it would destroy what the build reads: choose another "
                                     "output path.")
    for path, _ in mixes:
        if not Path(path).exists():
            raise LanguageModelError(f"--mix {path}: ARPA file not found; check the path")
    rest = 1.0 - sum(w for _, w in mixes)
    if mixes and rest <= 0:
        raise LanguageModelError(f"--mix weights sum to {1 - rest:g}; they must leave the built model a share (< 1)")
    out = Path(args.output)
    # check the output and read the models to mix first: a bad one fails before the (long) build
    from .arpa import check_writable, read_arpa_arrays, remove_if_empty

    created = check_writable(out)
    try:
        mix_models_ = [read_arpa_arrays(p) for p, _ in mixes]
        target = out
        tmpdir = None
        if mixes:
            tmpdir = tempfile.mkdtemp(prefix=".build-lm.", dir=out.parent if out.parent.exists() else None)
            target = Path(tmpdir) / "domain.arpa"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DiscountFallbackWarning)  # printed below, once
                res = build_lm(texts, target, args.order, prune=args.prune, discount_fallback=args.discount_fallback,
                               alphabet=alphabet, skip_symbols=args.skip_symbols,
                               binary=not args.no_binary and not mixes)
            for w in res.warnings:
                if not mixes or "build_binary" not in w:
                    print(f"warning: {w}", file=sys.stderr)
            if res.normalize_stats is not None:
                print(f"normalised: {res.normalize_stats.summary()}", file=sys.stderr)
            if mixes:
                from .arpa import binary_path_for, try_build_binary, unigram_list_path, write_arpa, write_unigrams
                from .mix import _normalize_weights, check_same_case, mix_arrays

                weights = _normalize_weights([rest] + [w for _, w in mixes], len(mixes) + 1)
                built = read_arpa_arrays(target)
                check_same_case([f"the model built from {', '.join(map(str, args.text))}"] + [p for p, _ in mixes],
                                [built] + mix_models_)
                mixed = mix_arrays([built] + mix_models_, weights)
                if mixed.order > args.order:
                    print(f"note: the mix has order {mixed.order}, its highest input's (--order {args.order} is the "
                          "built model's)", file=sys.stderr)
                write_arpa(mixed, out)
                write_unigrams(mixed.vocab, unigram_list_path(out))
                counts = mixed.counts
                bin_path = None
                if not args.no_binary:
                    bin_path, warning = try_build_binary(out, binary_path_for(out))
                    if warning:
                        print(f"warning: {warning}", file=sys.stderr)
                names = ["built model"] + [str(p) for p, _ in mixes]
                print(f"mixed with weights {', '.join(f'{n}={w:.3g}' for n, w in zip(names, weights))}",
                      file=sys.stderr)
            else:
                counts, bin_path = res.ngram_counts, res.binary_path
            print(f"wrote {out} (order {len(counts)}, n-grams {' '.join(map(str, counts))}, "
                  f"{res.tokens} words in {res.sentences} sentences, {res.seconds:.1f}s)")
            from .arpa import unigram_list_path as _uni

            print(f"wrote {_uni(out)}")
            if bin_path:
                print(f"wrote {bin_path}")
        finally:
            if tmpdir:
                import shutil

                shutil.rmtree(tmpdir, ignore_errors=True)
    except BaseException:  # a failed build leaves no output folder it made behind
        remove_if_empty(created)
        raise
    return 0


def cmd_perplexity(args) -> int:
    from .perplexity import perplexity

    alphabet = _alphabet(args)
    r = perplexity(args.lm, [Path(t) for t in args.text], alphabet=alphabet, backend=args.backend)
    print(f"perplexity {r.perplexity:.4f} (excluding OOVs {r.perplexity_excluding_oov:.4f}); "
          f"OOV rate {100 * r.oov_rate:.2f}% ({r.oovs}/{r.words} words, {r.sentences} sentences); "
          f"log10 prob {r.log10_prob:.4f} [{r.backend}]")
    return 0


def register(subparsers) -> None:
    """Add ``build-lm`` and ``perplexity`` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "build-lm", help="build an ARPA n-gram model from text (lmplz-exact modified Kneser-Ney)",
        description="Build an interpolated modified Kneser-Ney ARPA model, as KenLM's lmplz does, from UTF-8 text "
                    "(one sentence a line). Writes OUT and OUT's .unigrams.txt beside it (and a KenLM binary where "
                    "build_binary is on PATH).")
    p.add_argument("text", nargs="+", metavar="TEXT", help="UTF-8 text files (.gz too)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.arpa", help="ARPA file to write (.arpa.gz compresses)")
    p.add_argument("--order", type=int, required=True, metavar="N", help=f"n-gram order, 1..{MAX_ORDER}")
    p.add_argument("--prune", type=_count_threshold, nargs="+", metavar="T",
                   help="count thresholds per order as lmplz --prune (e.g. 0 1 1: drop singleton 2- and 3+-grams)")
    p.add_argument("--discount-fallback", action="store_true",
                   help="use D1=0.5 D2=1 D3+=1.5 where discounts cannot be estimated (small data)")
    p.add_argument("--skip-symbols", action="store_true", help="treat <s>, </s>, <unk> in the text as spaces")
    p.add_argument("--mix", action="append", metavar="OTHER.arpa:WEIGHT",
                   help="linearly interpolate the built model with another ARPA model (repeatable); "
                        "the built model gets 1 - sum of the weights")
    p.add_argument("--no-binary", action="store_true", help="do not run build_binary even where it exists")
    _add_alphabet_args(p)
    p.set_defaults(func=cmd_build_lm)

    q = subparsers.add_parser("perplexity", help="perplexity and OOV rate of text under a language model",
                              description="Perplexity (KenLM query conventions) and OOV rate of text under an LM.")
    q.add_argument("text", nargs="+", metavar="TEXT", help="UTF-8 text files, one sentence a line")
    q.add_argument("--lm", required=True, help="ARPA (.gz too) or KenLM binary")
    q.add_argument("--backend", choices=("auto", "kenlm", "python"), default="auto")
    _add_alphabet_args(q)
    q.set_defaults(func=cmd_perplexity)


def main(argv=None) -> int:
    """Stand-alone entry point (the project's main CLI normally calls :func:`register`)."""
    from ..cli import OneLineParser
    from ..errors import CtcDecodeError

    parser = OneLineParser(prog="ctcdecode-plus-lm")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CtcDecodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
