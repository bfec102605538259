"""Do hotwords of several words harm utterances that do not contain them? Decodes saved emissions with the
domain LM, without and with the given hotwords (no spotting), and prints every transcript they change and the WER.

    .venv/bin/ctcdecode-plus emissions demo/audio -o runs/demo_emissions_final
    .venv/bin/python benchmarks/phrase_hotwords.py --emissions runs/demo_emissions_final

The default hotwords are the README's spoken-form examples (``C++: SEE PLUS PLUS``, ``STDLIB: ES TEE DEE LIB``);
on the demo set neither C++ nor a spoken STDLIB as "es tee dee lib" is said, so every change is a side effect.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ctcdecode_plus.decoders.beam import BeamSearchDecoder
from ctcdecode_plus.emissions import Emissions
from ctcdecode_plus.manifest import read_manifest
from ctcdecode_plus.metrics import wer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--manifest", default="demo/manifest.tsv")
    p.add_argument("--emissions", required=True, help="folder of <id>.npz (ctcdecode-plus emissions ... -o DIR)")
    p.add_argument("--lm", default="lm/domain_4gram.arpa.gz")
    p.add_argument("--alpha", type=float, default=0.8)
    p.add_argument("--beta", type=float, default=1.5)
    p.add_argument("--weights", type=float, nargs="+", default=[3.0, 10.0])
    p.add_argument("--hotwords", nargs="+", default=["C++: SEE PLUS PLUS", "STDLIB: ES TEE DEE LIB"])
    args = p.parse_args()
    items = [(e.id, e.text, Emissions.load(Path(args.emissions) / f"{e.id}.npz")) for e in read_manifest(args.manifest)]
    base = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta)
    plain = [base.decode(em).text for _, _, em in items]
    refs = [text for _, text, _ in items]
    for weight in args.weights:
        dec = BeamSearchDecoder(args.lm, alpha=args.alpha, beta=args.beta, hotwords=args.hotwords,
                                hotword_weight=weight)
        hyps = [dec.decode(em).text for _, _, em in items]
        changed = [(i, a, b) for (i, _, _), a, b in zip(items, plain, hyps) if a != b]
        for i, a, b in changed:
            print(f"  {i}: {a!r} -> {b!r}")
        print(f"weight {weight:g}: {len(changed)} of {len(items)} transcripts changed; WER {100 * wer(refs, plain):.2f} %"
              f" without the hotwords, {100 * wer(refs, hyps):.2f} % with them")


if __name__ == "__main__":
    main()
