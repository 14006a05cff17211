"""How well a legibility checker tells the lines the reader gets wrong from the ones it reads.

Writes the sentences unchecked (first attempts only, default settings), one per row of an
SVG, lets the ``--reader`` read every line, and then asks each
checker which lines it would send back. Prints, per checker, how many of the lines the reader
got wrong it sends back (what the retries can mend) and how many of the ones the reader
reads right (time spent for nothing), and the first attempts' numbers the reader read right,
so that two checkers, or two synthesis weights, compare on the same lines.

    python research/checker_recall.py [--weights DIR] [--checkers DIR ...] [--seeds 11,12,13]
                                        [--style 10]
                                        [--sentences benchmarks/digits.txt ...] [--show]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))  # legibility.py and sample_page.py live there

from legibility import read_written  # noqa: E402


def sample_and_read(args: argparse.Namespace, texts: list[str]) -> list[tuple]:
    """(offsets, text, reading) of the unchecked first attempt of each text, each seed."""
    from vpype_handwriting import defaults
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.styles import load_style
    from vpype_handwriting.writer import Handwriter

    rows = []
    for seed in args.seeds:
        sample = SampleOptions(seed=seed)
        writer = Handwriter.load(args.weights, "cpu", check=False, sample=sample)
        writer.sample.prime = load_style(args.style or defaults.STYLE, writer.alphabet)
        lines = writer.sample_texts(texts)
        read = read_written(args.reader, lines, f"seed {seed}")
        rows += [(ln.offsets, ln.text, r) for ln, r in zip(lines, read) if r is not None]
    return rows


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text.translate(str.maketrans("oO", "00")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    parser.add_argument(
        "--checkers", type=Path, nargs="*", default=None, help="folders (default: --weights)"
    )
    here = Path(__file__).resolve().parent
    parser.add_argument(
        "--sentences", type=Path, nargs="+",
        default=[here.parent / "benchmarks" / "digits.txt", here / "fives.txt"],
    )  # fmt: skip
    parser.add_argument("--seeds", default="11,12,13")
    parser.add_argument("--style", default=None, help="default: the command's; or none")
    parser.add_argument(
        "--reader", type=Path, required=True, help="the recognizer's reader.py"
    )
    parser.add_argument("--show", action="store_true", help="list the wrong lines passed")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if not args.reader.is_file():
        sys.exit(f"no reader at {args.reader} (--reader)")

    from vpype_handwriting.checker import Checker, edit_distance
    from vpype_handwriting.weights import shipped_weights

    texts = [t for f in args.sentences for t in f.read_text().splitlines() if t.strip()]
    rows = sample_and_read(args, texts)
    wrong = np.array([edit_distance(reading, text) > 0 for _, text, reading in rows], bool)
    found = [(n, n in numbers(reading)) for _, text, reading in rows for n in numbers(text)]
    print(f"{len(rows)} first attempts ({len(texts)} sentences x {len(args.seeds)} seeds)")
    print(f"  the reader reads {int((~wrong).sum())} right, {int(wrong.sum())} wrong")
    print(f"  numbers read right {sum(ok for _, ok in found)} of {len(found)}", end="")
    for number in ("35", "14"):
        hits = [ok for n, ok in found if n == number]
        if hits:
            print(f"; {number}: {sum(hits)} of {len(hits)}", end="")
    print()
    for folder in args.checkers or [args.weights or shipped_weights()]:
        checker = Checker.load(folder)
        assessed = checker.assess_batch([r[0] for r in rows], [r[1] for r in rows])
        back = np.array(
            [checker.sends_back(seen, r[1]) for seen, r in zip(assessed, rows)], bool
        )
        caught, alarms = int(back[wrong].sum()), int(back[~wrong].sum())
        print(
            f"{folder}: sends back {caught} of {int(wrong.sum())} lines the reader gets "
            f"wrong, {alarms} of {int((~wrong).sum())} it reads right"
        )
        if args.show:
            for seen, row, b, w in zip(assessed, rows, back, wrong):
                if w and not b:
                    print(f"    passed: {row[2]!r} (checker read {seen.reading.strip()!r})")


if __name__ == "__main__":
    main()
