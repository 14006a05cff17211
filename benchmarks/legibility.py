"""Legibility of the shipped weights: write varied sentences, let the reader read them.

Writes every sentence of ``sentences.txt`` (42 letter-style sentences: capitals, digits,
punctuation; none from IAM-OnDB) one per line with the default settings, saves the SVG, a PNG
and the expected text, then runs the recognizer given as ``--reader`` (an online-
handwriting recognizer's ``reader.py`` taking ``cer SVG --text-file TXT``) on the SVG and
prints the character error rate, how often the sampler's own failed-line detection (stuck
or runaway attention, scribbles) and the legibility checker had a line written again, the
lines kept though the checker sends them back, the lines still failing after the retries,
and the seconds taken. ``--sentences held_out.txt``: 40 more letter sentences that no setting
of the checker was chosen on. ``--no-check`` writes without the checker, ``--thorough`` as
``handwrite --thorough``; ``--per-line`` adds a table of each line (the reader's reading and
error, the checker's score and reading, the attempts) and each line's ink (``-lines.npz``,
for ``blind_pairs.py``).

    python benchmarks/legibility.py --reader PATH/reader.py [--out DIR] [--bias 0.75]
        [--seeds 1,2,3] [--style 3] [--weights DIR] [--no-check | --thorough]
        [--sentences FILE] [--per-line] [--json FILE]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import report  # beside this script

HERE = Path(__file__).resolve().parent


def write_and_read(args: argparse.Namespace, sentences: list[str], seed: int) -> dict:
    """Write the sentences with one seed, save SVG/PNG/expected text, let the reader read."""
    import vpype as vp

    from vpype_handwriting import defaults
    from vpype_handwriting.layout import LayoutOptions
    from vpype_handwriting.render import render_png
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.writer import Handwriter

    sample = SampleOptions(seed=seed)
    if args.candidates is not None:
        sample.candidates = args.candidates
    if args.retries is not None:
        sample.retries = args.retries
    if args.thorough:
        sample.candidates, sample.rewrite_sent_back = 1, True
    if args.bias is not None:
        sample.bias = args.bias
    start = time.perf_counter()
    args.style = args.style or defaults.STYLE
    writer = Handwriter.load(
        args.weights, "cpu", check=args.check, style=args.style, sample=sample
    )
    layout = LayoutOptions(size=2.5 * 96 / 25.4, line_spacing=args.line_spacing)
    sampled: dict[str, object] = {}  # each text's sampled line, for the per-line table
    sample_texts = writer.sample_texts

    def keep(texts: list[str]) -> list:
        out = sample_texts(texts)
        sampled.update({line.text: line for line in out})
        return out

    writer.sample_texts = keep  # type: ignore[method-assign]
    lines = writer.write("\n".join(sentences), layout)
    seconds = time.perf_counter() - start
    doc = vp.Document()
    doc.add(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for ln in lines for p in ln.polylines]))
    stem = "legibility" if len(args.seeds) == 1 else f"legibility-{seed}"
    svg, expected = args.out / f"{stem}.svg", args.out / "expected.txt"
    with open(svg, "w") as fh:
        vp.write_svg(fh, doc)
    expected.write_text("\n".join(sentences) + "\n")
    render_png([p for ln in lines for p in ln.polylines], args.out / f"{stem}.png")
    proc = subprocess.run(
        [sys.executable, str(args.reader), "cer", str(svg), "--text-file", str(expected)],
        capture_output=True,
        text=True,
    )
    found = re.findall(r"CER\s+([0-9.]+)", proc.stdout)
    if not found or "warning" in proc.stdout + proc.stderr:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    if args.per_line:
        per_line(args, svg, sentences, sampled, args.out / f"{stem}-lines.tsv")
        save_ink(lines, args.out / f"{stem}-lines.npz")
    return {
        "cer": float(found[-1]) if found else float("nan"),
        "resampled": writer.resampled,
        "broken": writer.broken,
        "illegible": writer.illegible,
        "unclear": sum(1 for line in sampled.values() if getattr(line, "sent_back", False)),
        "failed": len(writer.failed),
        "seconds": seconds,
        "bias": sample.bias,
        "svg": svg,
    }


def save_ink(lines: list, out: Path) -> None:
    """Each written line's polylines as placed, without pickle: ``points`` (all of them, in
    order), ``path_ends`` (where each polyline ends in ``points``) and ``line_ends`` (where
    each line's polylines end in ``path_ends``); :func:`load_ink` reads it back."""
    import numpy as np

    paths = [p for ln in lines for p in ln.polylines]
    np.savez(
        out,
        points=np.concatenate(paths) if paths else np.zeros((0, 2)),
        path_ends=np.cumsum([len(p) for p in paths], dtype=np.int64),
        line_ends=np.cumsum([len(ln.polylines) for ln in lines], dtype=np.int64),
    )


def load_ink(path: Path) -> list[list]:
    """The polylines of each line saved by :func:`save_ink`."""
    import numpy as np

    with np.load(path) as f:
        paths = np.split(f["points"], f["path_ends"][:-1])
        starts = np.r_[0, f["line_ends"][:-1]]
        return [paths[a:b] for a, b in zip(starts, f["line_ends"])]


def read_lines(reader: Path, svg: Path) -> list[str]:
    """The reader's reading of each text line of ``svg``, top to bottom."""
    proc = subprocess.run(
        [sys.executable, str(reader), "read", str(svg)], capture_output=True, text=True
    )
    return [r for r in proc.stdout.splitlines() if r.strip()]


ROWS = 20  # lines an SVG for read_written: the reader finds every row of a page this size


def read_written(reader: Path, lines: list, label: str) -> list[str | None]:
    """The reader's reading of each written line (anything with ``offsets``), laid out
    :data:`ROWS` to an SVG, one a row and far apart; None for the lines of an SVG where
    the reader did not find every row (said on stdout, after ``label``)."""
    import tempfile

    import numpy as np
    import vpype as vp

    from vpype_handwriting.strokes import offsets_to_polylines

    out: list[str | None] = []
    for start in range(0, len(lines), ROWS):
        part = lines[start : start + ROWS]
        paths, y = [], 0.0
        for line in part:
            polys = offsets_to_polylines(line.offsets)
            ink = np.concatenate(polys)
            low, high = ink[:, 1].min(), ink[:, 1].max()
            paths += [p - [ink[:, 0].min(), low - y] for p in polys]
            y += (high - low) * 4 + 80  # rows far apart: the reader splits them surely
        doc = vp.Document(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in paths]))
        with tempfile.TemporaryDirectory() as tmp:
            svg = Path(tmp) / "lines.svg"
            with open(svg, "w") as fh:
                vp.write_svg(fh, doc)
            read = [r.strip() for r in read_lines(reader, svg)]
        if len(read) != len(part):
            print(f"{label}: reader found {len(read)} of {len(part)} rows; skipped")
            out += [None] * len(part)
        else:
            out += read
    return out


def tally(lines: list, readings: list[str | None], counts=lambda word: True) -> tuple:
    """(edit distance, characters, words read, words) over the lines the reader read: the
    words of each text that ``counts`` keeps, and of those the ones its reading holds."""
    from vpype_handwriting.checker import edit_distance

    errors = chars = found = words = 0
    for line, reading in zip(lines, readings):
        if reading is None:
            continue
        errors += edit_distance(reading, line.text)
        chars += len(line.text)
        got = re.findall(r"[\w']+", reading)
        for word in filter(counts, re.findall(r"[\w']+", line.text)):
            words += 1
            found += word in got
    return errors, chars, found, words


def per_line(
    args: argparse.Namespace, svg: Path, sentences: list[str], sampled: dict, out: Path
) -> None:
    """Each line: the reader's reading and edit distance, the checker's score and reading,
    the attempts (a TSV, and the lines the reader got wrong printed)."""
    from vpype_handwriting.checker import Assessment, edit_distance

    read = read_lines(args.reader, svg)
    if len(read) != len(sentences):
        print(f"reader found {len(read)} lines for {len(sentences)}", file=sys.stderr)
        return
    from vpype_handwriting.writer import cached_checker

    checker = cached_checker(None if args.weights is None else str(args.weights))
    rows = ["text\treader\treader_errors\tchecker_score\tchecker_reading\tweakest\tattempts"]
    for text, reading in zip(sentences, read):
        line = sampled.get(text)
        errors = edit_distance(" ".join(reading.split()), " ".join(text.split()))
        seen = None
        if line is not None and line.legibility is not None:  # judged while it was written
            seen = Assessment(line.legibility, line.reading or "", line.margin, line.weakest)
        elif checker is not None and line is not None:  # --no-check
            seen = checker.assess(line.offsets, line.text)
        weakest = (
            ""
            if seen is None or seen.weakest < 0
            else f"{text[seen.weakest]} {seen.margin:.2f}"
        )
        rows.append("\t".join([
            text, reading, str(errors), "" if seen is None else f"{seen.score:.3f}",
            "" if seen is None else seen.reading, weakest, str(getattr(line, "attempts", "")),
        ]))  # fmt: skip
        if errors:
            score = None if seen is None else round(seen.score, 3)
            print(f"    {errors} error(s): {reading!r}  (score {score})", file=sys.stderr)
    out.write_text("\n".join(rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("legibility-out"))
    parser.add_argument("--bias", type=float, default=None, help="default: the command's")
    parser.add_argument(
        "--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[1], help="1,2,3"
    )
    parser.add_argument("--style", default=None, help="default: the command's; or none")
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument(
        "--reader", type=Path, required=True, help="the recognizer's reader.py (it says so)"
    )
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    parser.add_argument(
        "--no-check", dest="check", action="store_false", help="without the checker"
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="with the checker: best of N (the command's)",
    )
    parser.add_argument(
        "--retries", type=int, default=None, help="more attempts at a line (the command's)"
    )
    parser.add_argument("--thorough", action="store_true", help="as handwrite --thorough")
    parser.add_argument("--per-line", action="store_true", help="a TSV of every line")
    parser.add_argument("--sentences", type=Path, default=HERE / "sentences.txt")
    parser.add_argument(
        "--line-spacing",
        type=float,
        default=1.5,
        help="wide enough for the reader to find every line (1.5)",
    )
    args = parser.parse_args()
    sentences = [s for s in args.sentences.read_text().splitlines() if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    runs = [write_and_read(args, sentences, seed) for seed in args.seeds]
    n = len(sentences) * len(runs)
    resampled = sum(r["resampled"] for r in runs)
    broken = sum(r["broken"] for r in runs)
    illegible = sum(r["illegible"] for r in runs)
    print(f"reader             {args.reader.resolve()}")
    print(f"sentences          {len(sentences)} x seeds {','.join(map(str, args.seeds))}")
    print(
        f"style              {args.style}, bias {runs[0]['bias']}, checker {args.check}"
        f"{' (thorough)' if args.thorough else ''}"
    )
    for seed, r in zip(args.seeds, runs):
        print(f"  seed {seed:<3d} CER {r['cer']:.3f}  resampled {r['resampled']}  {r['svg']}")
    print(f"reader CER         {sum(r['cer'] for r in runs) / len(runs):.4f} (mean)")
    print(f"lines resampled    {resampled} of {n} ({100 * resampled / n:.1f}%)")
    print(f"  failed-line detection fired on {broken} ({100 * broken / n:.1f}%)")
    print(f"  legibility checker sent back   {illegible} ({100 * illegible / n:.1f}%)")
    unclear = sum(r["unclear"] for r in runs)
    print(f"  kept though the checker sends them back {unclear} ({100 * unclear / n:.1f}%)")
    print(f"lines still failed {sum(r['failed'] for r in runs)}")
    seconds = sum(r["seconds"] for r in runs) / len(runs)
    print(f"seconds            {seconds:.1f} per seed (load + sample + layout)")
    cer = sum(r["cer"] for r in runs) / len(runs)
    mode = "off" if not args.check else "--thorough" if args.thorough else "on"
    seeds = " / ".join(f"{r['cer']:.3f}" for r in runs)
    report.save(
        args.json,
        "legibility",
        [
            ("reader", args.reader.parent.name + "/" + args.reader.name),
            (
                f"reader CER, {args.sentences.name}: {len(sentences)} sentences x "
                f"{len(runs)} seeds",
                f"{cer:.4f} ({seeds})",
            ),
            ("checker", mode),
            ("lines written again", f"{resampled} of {n}"),
            ("lines the failed-line checks sent back", f"{broken} of {n}"),
            ("lines the legibility checker had written again", f"{illegible} of {n}"),
            ("lines kept though the checker sends them back", f"{unclear} of {n}"),
            ("lines still failing", f"{sum(r['failed'] for r in runs)} of {n}"),
            ("seconds per seed (load, sample, layout)", f"{seconds:.1f}"),
        ],
    )


if __name__ == "__main__":
    main()
