"""Pick the built-in styles: distinct, legible human lines from IAM-OnDB validation forms.

Candidates are validation lines of 20-40 characters whose text the model can write. Each is
drawn to an SVG and read by the recognizer given as ``--reader``; lines are
kept when read without error and not extreme (within 1.5 standard deviations), then
farthest-point sampling over (slant, width per character, x-height) picks COUNT
lines from different forms, so the styles differ. Writes ``weights/styles/<n>.json``. Look at
the specimen sheet (``vpype-handwriting styles specimen``) before committing a new set.

    python benchmarks/make_styles.py --reader PATH/reader.py [--count 8] [--data PREPARED.npz]
    python benchmarks/make_styles.py --add g10-373z/4   # one chosen line as the next style

``--add FORM/K`` skips the picking and writes line K (1-based, in the form's order) of a
validation form as the next free style number, e.g. a line ``style_search.py`` ranked well.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vpype_handwriting.training.iamondb import Dataset

HERE = Path(__file__).resolve().parent


def slant(polylines: list[np.ndarray]) -> float:
    """Mean angle from vertical of the steep pen-down segments (positive leans right)."""
    d = np.vstack([np.diff(p, axis=0) for p in polylines if len(p) > 1])
    steep = d[np.abs(d[:, 1]) > 2 * np.abs(d[:, 0])]
    if not len(steep):
        return 0.0
    sign = -np.sign(steep[:, 1])  # y down: an upstroke has dy < 0
    return float(np.mean(np.arctan2(sign * steep[:, 0], np.abs(steep[:, 1]))))


def char_error(hyp: str, ref: str) -> float:
    prev = list(range(len(ref) + 1))
    for i, h in enumerate(hyp, 1):
        cur = [i]
        for j, r in enumerate(ref, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (h != r)))
        prev = cur
    return prev[-1] / max(len(ref), 1)


def style_doc(val: Dataset, i: int) -> dict:
    """The JSON of a built-in style: line ``i`` of the validation set, text and offsets."""
    return {
        "text": val.texts[i],
        "source": f"IAM-OnDB validation form {val.forms[i]}",
        "offsets": [[round(float(v), 3) for v in r] for r in val.line(i)],
    }


def add_line(spec: str, data: Path | None, out: Path) -> None:
    from vpype_handwriting.training import iamondb

    form, _, k = spec.partition("/")
    _, val = iamondb.Dataset.load(data or iamondb.default_cache()).split()
    rows = [i for i, f in enumerate(val.forms) if f == form]
    if not rows or not k.isdigit() or not 1 <= int(k) <= len(rows):
        sys.exit(f"{spec}: validation form {form!r} has {len(rows)} lines; give FORM/K")
    i = rows[int(k) - 1]
    out.mkdir(parents=True, exist_ok=True)
    taken = [int(p.stem) for p in out.glob("*.json") if p.stem.isdigit()]
    path = out / f"{max(taken, default=0) + 1}.json"
    path.write_text(json.dumps(style_doc(val, i)))
    print(f"{path.name}: {form} {val.texts[i]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=HERE.parent / "weights" / "styles")
    parser.add_argument("--add", metavar="FORM/K", help="write this one validation line")
    parser.add_argument("--reader", type=Path, default=None, help="the recognizer's reader.py")
    args = parser.parse_args()
    if args.add:
        add_line(args.add, args.data, args.out)
        return

    if args.reader is None:
        parser.error("picking styles needs --reader PATH (the recognizer's reader.py)")
    import vpype as vp

    from vpype_handwriting import strokes
    from vpype_handwriting.training import iamondb
    from vpype_handwriting.weights import load_weights

    alphabet = load_weights().config.alphabet
    _, val = iamondb.Dataset.load(args.data or iamondb.default_cache()).split()
    cands = [
        i
        for i, t in enumerate(val.texts)
        if 20 <= len(t) <= 40 and set(t) <= set(alphabet) and " ." not in t
    ]
    rows, feats, lines = [], [], []
    for i in cands:
        polys = strokes.straighten(strokes.offsets_to_polylines(val.line(i)))
        h = strokes.x_height(polys)
        x0, _, x1, _ = strokes.bounds(polys)
        if h <= 0:
            continue
        rows.append(i)
        feats.append([slant(polys), (x1 - x0) / len(val.texts[i]) / h, h])
        lines.append([p / h * 12 + [0, 40 * len(lines)] for p in polys])
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for start in range(0, len(lines), 40):  # the reader finds lines in pages of ~40
            svg = Path(tmp) / f"cands{start}.svg"
            chunk = [p - [0, 40 * start] for ls in lines[start : start + 40] for p in ls]
            with open(svg, "w") as fh:
                vp.write_svg(
                    fh, vp.Document(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in chunk]))
                )
            read = subprocess.run(
                [sys.executable, str(args.reader), "read", str(svg)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            got = read.splitlines()
            want = len(lines[start : start + 40])
            out += got if len(got) == want else ["?"] * want  # misread page: skip its lines
    z = np.array(feats)
    z = (z - z.mean(0)) / (z.std(0) + 1e-9)
    good = [
        k
        for k, (i, hyp) in enumerate(zip(rows, out))
        if char_error(hyp.strip(), val.texts[i]) == 0.0
        and np.abs(z[k]).max() < 1.5
        and not val.texts[i].endswith("-")
    ]  # read perfectly, no extreme hand
    f = z[good]
    chosen, forms = [int(np.argmin(np.abs(f).sum(1)))], set()
    forms.add(val.forms[rows[good[chosen[0]]]])
    while len(chosen) < args.count:
        dist = np.min([np.linalg.norm(f - f[c], axis=1) for c in chosen], axis=0)
        for k in np.argsort(-dist):
            if val.forms[rows[good[k]]] not in forms:
                chosen.append(int(k))
                forms.add(val.forms[rows[good[k]]])
                break
        else:
            break
    args.out.mkdir(parents=True, exist_ok=True)
    for n, k in enumerate(chosen, 1):
        i = rows[good[k]]
        (args.out / f"{n}.json").write_text(json.dumps(style_doc(val, i)))
        print(
            f"style {n}: {val.forms[i]} {val.texts[i]!r} slant/width/height "
            f"{np.round(feats[good[k]], 2).tolist()}"
        )
    print(f"{len(good)} of {len(rows)} candidates read without error and not extreme")


if __name__ == "__main__":
    main()
