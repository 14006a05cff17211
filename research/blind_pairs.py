"""Sheets of line pairs from two legibility runs, in a random order, for judging by eye.

The reader can not tell a `jor` from a `jar` that it reads either way; eyes can, but they
favour the setting they expect to win. This takes two ``legibility.py --per-line --out``
folders written with the same sentences and seeds (two weights, checkers or settings),
finds the lines that came out different, and draws each pair, one above the other, in an
order drawn at random and saved to ``KEY.json`` beside the sheets. Note which of each pair
(``top``/``bot``) has a flawed word, then ``--unblind`` with those notes counts them by run.

    python research/blind_pairs.py RUN_A RUN_B --seeds 1,2,3 --out pairs
    python research/blind_pairs.py --unblind pairs --top 0,7 --bot 3,12
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys  # noqa: E402
from collections import Counter
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))  # legibility.py and sample_page.py live there

from legibility import load_ink  # noqa: E402


def rows(run: Path, seed: int) -> list[dict]:
    with open(run / f"legibility-{seed}-lines.tsv") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def sheets(args: argparse.Namespace) -> None:
    from vpype_handwriting.render import render_png

    rng = random.Random(args.shuffle_seed)
    pairs, lines = [], {}
    for seed in args.seeds:
        a, b = rows(args.run_a, seed), rows(args.run_b, seed)
        for run in (args.run_a, args.run_b):
            lines[run, seed] = load_ink(run / f"legibility-{seed}-lines.npz")
        for i, (x, y) in enumerate(zip(a, b)):
            if (x["checker_score"], x["attempts"]) != (y["checker_score"], y["attempts"]):
                pairs.append({"seed": seed, "line": i, "top": rng.choice("AB")})
    args.out.mkdir(parents=True, exist_ok=True)
    key = {"A": str(args.run_a), "B": str(args.run_b), "pairs": pairs}
    (args.out / "KEY.json").write_text(json.dumps(key))
    for start in range(0, len(pairs), args.per_sheet):
        ink, labels, top = [], [], 0.0
        for n, pair in enumerate(pairs[start : start + args.per_sheet], start):
            order = (args.run_a, args.run_b)
            if pair["top"] == "B":
                order = order[::-1]
            for pos, run in zip(("top", "bot"), order):
                paths = lines[run, pair["seed"]][pair["line"]]
                low = np.vstack(paths).min(axis=0)
                ink += [p - low + (0.0, top) for p in paths]
                labels.append((-args.margin, top + args.row / 3, f"{n} {pos}"))
                top += args.row
            ink.append(
                np.array(
                    [[-args.margin, top - args.row / 4], [args.width, top - args.row / 4]]
                )
            )
        render_png(ink, args.out / f"sheet-{start // args.per_sheet}.png", labels=labels)
    print(f"{len(pairs)} lines differ; sheets in {args.out}, key in {args.out / 'KEY.json'}")


def unblind(args: argparse.Namespace) -> None:
    key = json.loads((args.unblind / "KEY.json").read_text())
    pairs = key["pairs"]

    def run(i: int, pos: str) -> str:
        top = pairs[i]["top"]
        return top if pos == "top" else "B" if top == "A" else "A"

    flawed = Counter(run(i, "top") for i in args.top)
    flawed.update(run(i, "bot") for i in args.bot)
    print(f"{len(pairs)} pairs; flawed lines noted:")
    for name in "AB":
        print(f"  {name} ({key[name]}): {flawed[name]}")


def ints(text: str) -> list[int]:
    """``3,8,17`` as a list of numbers (an argparse type)."""
    return [int(x) for x in text.split(",") if x]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path, nargs="?")
    parser.add_argument("run_b", type=Path, nargs="?")
    parser.add_argument("--seeds", type=ints, default=[1, 2, 3])
    parser.add_argument("--out", type=Path, default=Path("blind-pairs"))
    parser.add_argument("--per-sheet", type=int, default=10)
    parser.add_argument("--shuffle-seed", type=int, default=7)
    parser.add_argument("--row", type=float, default=60.0, help="row height, SVG pixels")
    parser.add_argument("--width", type=float, default=800.0, help="rule length, SVG pixels")
    parser.add_argument("--margin", type=float, default=60.0, help="label room, SVG pixels")
    parser.add_argument("--unblind", type=Path, help="a folder of sheets: count the notes")
    parser.add_argument("--top", type=ints, default=[], help="pairs whose top line is flawed")
    parser.add_argument("--bot", type=ints, default=[], help="pairs whose lower one is")
    args = parser.parse_args()
    if args.unblind:
        unblind(args)
    elif args.run_a and args.run_b:
        sheets(args)
    else:
        parser.error("give RUN_A RUN_B, or --unblind FOLDER")


if __name__ == "__main__":
    main()
