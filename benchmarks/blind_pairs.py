"""Sheets of line pairs from two legibility runs, in a random order, for judging by eye.

The reader can not tell a `jor` from a `jar` that it reads either way; eyes can, but they
favour the setting they expect to win. This takes two ``legibility.py --per-line --out``
folders written with the same sentences and seeds (two weights, checkers or settings),
finds the lines that came out different, and draws each pair, one above the other, in an
order drawn at random and saved to ``KEY.json`` beside the sheets. Note which of each pair
(``top``/``bot``) has a flawed word, then ``--unblind`` with those notes counts them by run.

    python benchmarks/blind_pairs.py RUN_A RUN_B --seeds 1,2,3 --out pairs
    python benchmarks/blind_pairs.py --unblind pairs --top 0,7 --bot 3,12
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np


def rows(run: Path, seed: int) -> list[dict]:
    with open(run / f"legibility-{seed}-lines.tsv") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def line_paths(svg: Path, count: int) -> list[list[np.ndarray]]:
    """The SVG's paths grouped into its ``count`` text lines by their heights (1-D k-means
    from evenly spaced centres: the benchmark's lines are far apart)."""
    import vpype as vp

    lc, _, _ = vp.read_svg(str(svg), quantization=0.5)
    paths = [np.asarray(p) for p in lc]
    ys = np.array([p.imag.mean() for p in paths])
    centres = np.linspace(np.percentile(ys, 1), np.percentile(ys, 99), count)
    for _ in range(30):
        label = np.abs(ys[:, None] - centres[None]).argmin(1)
        centres = np.array(
            [ys[label == k].mean() if (label == k).any() else centres[k] for k in range(count)]
        )
    return [[p for p, k in zip(paths, label) if k == i] for i in range(count)]


def draw(paths: list[np.ndarray], width: int, height: int, scale: float):
    from PIL import Image, ImageDraw

    ink = np.concatenate(paths)
    x0, y0 = ink.real.min(), ink.imag.min()
    s = min(scale, (height - 10) / max(1e-6, ink.imag.max() - y0))
    image = Image.new("L", (width, height), 255)
    pen = ImageDraw.Draw(image)
    for p in paths:
        xy = [((z.real - x0) * s + 5, (z.imag - y0) * s + 5) for z in p]
        pen.line(xy, fill=0, width=2) if len(xy) > 1 else pen.point(xy, fill=0)
    return image


def sheets(args: argparse.Namespace) -> None:
    from PIL import Image, ImageDraw

    rng = random.Random(args.shuffle_seed)
    pairs, lines = [], {}
    for seed in args.seeds:
        a, b = rows(args.run_a, seed), rows(args.run_b, seed)
        for run in (args.run_a, args.run_b):
            lines[run, seed] = line_paths(run / f"legibility-{seed}.svg", len(a))
        for i, (x, y) in enumerate(zip(a, b)):
            if (x["checker_score"], x["attempts"]) != (y["checker_score"], y["attempts"]):
                pairs.append({"seed": seed, "line": i, "top": rng.choice("AB")})
    args.out.mkdir(parents=True, exist_ok=True)
    key = {"A": str(args.run_a), "B": str(args.run_b), "pairs": pairs}
    (args.out / "KEY.json").write_text(json.dumps(key))
    for start in range(0, len(pairs), args.per_sheet):
        tiles = []
        for n, pair in enumerate(pairs[start : start + args.per_sheet], start):
            order = (args.run_a, args.run_b)
            if pair["top"] == "B":
                order = order[::-1]
            for pos, run in zip(("top", "bot"), order):
                paths = lines[run, pair["seed"]][pair["line"]]
                tiles.append((f"{n} {pos}", draw(paths, args.width, args.height, args.scale)))
        sheet = Image.new("L", (args.width + 70, len(tiles) * (args.height + 4)), 255)
        pen, y = ImageDraw.Draw(sheet), 0
        for label, tile in tiles:
            sheet.paste(tile, (70, y))
            pen.text((2, y + args.height // 2), label, fill=0)
            y += args.height + 4
            if label.endswith("bot"):
                pen.line((0, y - 2, sheet.width, y - 2), fill=0, width=2)
        sheet.save(args.out / f"sheet-{start // args.per_sheet}.png")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path, nargs="?")
    parser.add_argument("run_b", type=Path, nargs="?")
    ints = lambda v: [int(x) for x in v.split(",") if x]  # noqa: E731
    parser.add_argument("--seeds", type=ints, default=[1, 2, 3])
    parser.add_argument("--out", type=Path, default=Path("blind-pairs"))
    parser.add_argument("--per-sheet", type=int, default=10)
    parser.add_argument("--shuffle-seed", type=int, default=7)
    parser.add_argument("--width", type=int, default=1500)
    parser.add_argument("--height", type=int, default=115)
    parser.add_argument("--scale", type=float, default=1.9, help="pixels per SVG pixel")
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
