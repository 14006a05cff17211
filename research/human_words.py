"""Blind sheets of one line-opening word, written by IAM-OnDB's writers and by the model.

When the model writes ``It`` so that it looks like ``H``, is that its own flaw or its
teachers' habit? This picks IAM-OnDB lines whose transcription starts with ``--word``
(``It``, ``He``, ``Have``, ...), has the model write the same texts as ``handwrite`` would
(the checker and its retries on unless ``--no-check``), cuts the first two words of every
line the same way for both (the line cut by their share of its characters) and draws the
crops, each scaled to the same height, in an order drawn at random and saved to
``KEY.json``. Note the numbers of the flawed crops, then ``--unblind`` counts them by
writer: human or model.

    python research/human_words.py --word It --n 30 --out words-It
    python research/human_words.py --unblind words-It --flawed 3,8,17
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from blind_pairs import ints  # beside this script


def opening(polylines: list[np.ndarray], text: str, words: int = 2) -> list[np.ndarray]:
    """The ink of a line's first ``words`` words: the line cut where they end by their
    share of its characters (with a fifth more room, so that nothing of them is lost),
    pieces of strokes right of the cut dropped."""
    parts = text.split(" ")
    share = min((len(" ".join(parts[:words])) + 1) / max(len(text), 1) * 1.2, 1.0)
    xs = np.vstack(polylines)[:, 0]
    limit = xs.min() + share * (xs.max() - xs.min())
    out = []
    for line in polylines:
        keep = line[:, 0] <= limit
        cuts = np.flatnonzero(np.diff(keep.astype(int))) + 1
        out += [run for run, start in zip(np.split(line, cuts), np.r_[0, cuts]) if keep[start]]
    return out


def human_lines(word: str, n: int, rng: random.Random) -> list[tuple[str, list[np.ndarray]]]:
    """(text, polylines) of ``n`` IAM-OnDB lines starting with ``word``, from different
    forms where there are enough."""
    from vpype_handwriting.strokes import offsets_to_polylines
    from vpype_handwriting.training import iamondb

    data = iamondb.Dataset.load(iamondb.default_cache())
    hits = [i for i, t in enumerate(data.texts) if t.split(" ")[0] == word and " " in t]
    rng.shuffle(hits)
    first_of_form: dict[str, int] = {}
    for i in hits:
        first_of_form.setdefault(data.forms[i], i)
    firsts = set(first_of_form.values())
    picked = (list(first_of_form.values()) + [i for i in hits if i not in firsts])[:n]
    return [(data.texts[i], offsets_to_polylines(data.line(i))) for i in picked]


def sheets(args: argparse.Namespace) -> None:
    from vpype_handwriting import defaults
    from vpype_handwriting.render import render_png
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.strokes import offsets_to_polylines
    from vpype_handwriting.styles import load_style
    from vpype_handwriting.writer import Handwriter

    rng = random.Random(args.shuffle_seed)
    human = human_lines(args.word, args.n, rng)
    if not human:
        raise SystemExit(f"no IAM-OnDB line starts with {args.word!r}")
    sample = SampleOptions(
        seed=args.seed, bias=defaults.BIAS if args.bias is None else args.bias
    )
    writer = Handwriter.load(args.weights, "cpu", check=args.check, sample=sample)
    style = args.style or defaults.STYLE
    writer.sample.prime = load_style(style, writer.alphabet)
    texts = [text for text, _ in human if set(text) <= set(writer.alphabet)]
    model = [(ln.text, offsets_to_polylines(ln.offsets)) for ln in writer.sample_texts(texts)]
    crops = [
        (by, text, opening(polys, text))
        for by, lines in (("human", human), ("model", model))
        for text, polys in lines
    ]
    rng.shuffle(crops)
    args.out.mkdir(parents=True, exist_ok=True)
    key = {"word": args.word, "style": style, "seed": args.seed, "check": args.check}
    key["crops"] = [{"by": by, "text": text} for by, text, _ in crops]
    (args.out / "KEY.json").write_text(json.dumps(key, indent=1))
    per_row, cell = args.per_row, 100.0
    for start in range(0, len(crops), args.per_sheet):
        ink, labels = [], []
        for n, (_, _, crop) in enumerate(crops[start : start + args.per_sheet], start):
            k = n - start
            x0, y0 = (k % per_row) * 4.5 * cell, (k // per_row) * 1.4 * cell
            pts = np.vstack(crop)
            lo = pts.min(axis=0)
            width, height = np.maximum(pts.max(axis=0) - lo, 1e-9)
            scale = min(0.8 * cell / height, 4 * cell / width)  # one height, none too wide
            ink += [(p - lo) * scale + [x0 + 0.25 * cell, y0] for p in crop]
            labels.append((x0, y0 + 0.4 * cell, str(n)))
        render_png(ink, args.out / f"sheet-{start // args.per_sheet}.png", labels=labels)
    print(f"{len(crops)} crops ({len(human)} human, {len(model)} model) in {args.out}")


def unblind(args: argparse.Namespace) -> None:
    key = json.loads((args.unblind / "KEY.json").read_text())
    crops = key["crops"]
    unknown = sorted(set(args.flawed) - set(range(len(crops))))
    if unknown:
        raise SystemExit(f"no crop numbered {unknown} (0-{len(crops) - 1})")
    for by in ("human", "model"):
        mine = [i for i, c in enumerate(crops) if c["by"] == by]
        flawed = [i for i in mine if i in args.flawed]
        print(f"{by:6s} {len(flawed):3d} of {len(mine)} flawed ({key['word']!r})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--word", default="It")
    parser.add_argument("--n", type=int, default=30, help="IAM-OnDB lines (and model lines)")
    parser.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    parser.add_argument("--style", default=None, help="default: the command's")
    parser.add_argument("--bias", type=float, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-check", dest="check", action="store_false")
    parser.add_argument("--out", type=Path, default=Path("human-words"))
    parser.add_argument("--per-sheet", type=int, default=30)
    parser.add_argument("--per-row", type=int, default=3)
    parser.add_argument("--shuffle-seed", type=int, default=7)
    parser.add_argument("--unblind", type=Path, help="a folder of sheets: count the notes")
    parser.add_argument("--flawed", type=ints, default=[], help="crops noted as flawed")
    args = parser.parse_args()
    if args.unblind:
        unblind(args)
    else:
        sheets(args)


if __name__ == "__main__":
    main()
