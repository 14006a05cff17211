"""How often a legibility checker catches a letter dropped or doubled in a written line.

Writes the sentences unchecked (first attempts, default settings), lets the synthesis net
say which character each point was written for (teacher forced, ``cuts.align``), and makes
three flawed copies of every line: one letter or digit taken out of the ink (the ink after
it closes up, as when the net skips one), one written twice (``mutations.mutate_line``)
and one written in the ink of another letter from another of the lines (``Mutations``), the
flaws the ``--mutate`` checker learns from. Prints, per checker, how many clean lines
it sends back (the rule ``handwrite`` uses: score above the threshold or any misread
letter) and how many of the flawed ones, and of the flawed ones, how many it reads as the
text asked for (the dropped letter read back in from the word around it). No reader is
needed; the same seeds give the same lines, so checkers compare on the same ink.

    python research/checker_mutations.py [--weights DIR] [--checkers DIR ...]
                                           [--seeds 1,2] [--sentences benchmarks/sentences.txt]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent / "benchmarks"


def first_attempts(weights: Path | None, texts: list[str], seeds: list[int]) -> list:
    from vpype_handwriting import defaults
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.styles import load_style
    from vpype_handwriting.writer import Handwriter

    lines = []
    for seed in seeds:
        writer = Handwriter.load(weights, "cpu", check=False, sample=SampleOptions(seed=seed))
        writer.sample.prime = load_style(defaults.STYLE, writer.alphabet)
        lines += [(line.offsets, line.text) for line in writer.sample_texts(texts)]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    parser.add_argument(
        "--checkers", type=Path, nargs="*", default=None, help="folders (default: --weights)"
    )
    parser.add_argument("--sentences", type=Path, default=BENCH / "sentences.txt")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--show", action="store_true", help="list the flawed lines passed")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    from vpype_handwriting.checker import Checker
    from vpype_handwriting.training.cuts import align
    from vpype_handwriting.training.iamondb import Dataset
    from vpype_handwriting.training.mutations import Mutations, mutate_line
    from vpype_handwriting.weights import load_weights, shipped_weights

    texts = [t for t in args.sentences.read_text().splitlines() if t.strip()]
    lines = first_attempts(args.weights, texts, seeds)
    offsets, written = [o for o, _ in lines], [t for _, t in lines]
    data = Dataset.from_lines(offsets, written, ["bench"] * len(lines))
    chars = align(load_weights(args.weights), data, np.arange(len(data)))
    swaps = Mutations(data, chars, swap=1.0)  # letters from the other written lines
    sets: dict[str, list] = {"clean": [], "drop": [], "double": [], "swap": []}
    for k, (ink, text, c) in enumerate(zip(offsets, written, chars)):
        sets["clean"].append((ink, text, text))  # (ink, what it says, what was asked)
        for kind in ("drop", "double", "swap"):
            rng = np.random.default_rng([k, 7])
            if kind == "swap":
                out, label = swaps.swapped(k, ink, text, rng)
            else:
                out, label = mutate_line(ink, text, c, rng, kind)
            if label != text:
                sets[kind].append((out, label, text))
    flawed = ", ".join(f"{len(sets[k])} {k}" for k in ("drop", "double", "swap"))
    print(
        f"{len(lines)} first attempts ({len(texts)} sentences x {len(seeds)} seeds); {flawed}"
    )
    for folder in args.checkers or [args.weights or shipped_weights()]:
        checker = Checker.load(folder)
        parts = []
        for kind, rows in sets.items():
            judged = checker.assess_batch([r[0] for r in rows], [r[2] for r in rows])
            back = [checker.sends_back(seen, r[2]) for seen, r in zip(judged, rows)]
            asked = sum(seen.reading.strip() == r[2].strip() for seen, r in zip(judged, rows))
            part = f"{kind} {sum(back)}/{len(rows)} sent back"
            parts.append(part if kind == "clean" else f"{part} ({asked} read as asked)")
            if args.show and kind != "clean":
                for seen, r, b in zip(judged, rows, back):
                    if not b:
                        read = seen.reading.strip()
                        print(f"    passed {kind}: written {r[1]!r}, read {read!r}")
        print(f"{folder}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
