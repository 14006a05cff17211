"""Legibility of the shipped weights: write varied sentences, let the reader read them.

Writes every sentence of ``sentences.txt`` (42 letter-style sentences: capitals, digits,
punctuation; none from IAM-OnDB) one per line with the default settings, saves the SVG, a PNG
and the expected text, then runs ``../shared/tools/reader/reader.py cer`` on the SVG and
prints the character error rate, the failed-line count of the sampler's own detection (lines
resampled, and lines still failing after the retries) and the seconds taken.

    python benchmarks/legibility.py [--out DIR] [--bias 0.75] [--seed 1] [--weights DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
READER = HERE.parent.parent / "shared" / "tools" / "reader" / "reader.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("legibility-out"))
    parser.add_argument("--bias", type=float, default=None, help="default: the command's")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--reader", type=Path, default=READER)
    parser.add_argument("--sentences", type=Path, default=HERE / "sentences.txt")
    parser.add_argument(
        "--line-spacing",
        type=float,
        default=1.5,
        help="wide enough for the reader to find every line (1.5)",
    )
    args = parser.parse_args()

    import vpype as vp

    from vpype_handwriting.layout import LayoutOptions
    from vpype_handwriting.render import render_png
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.writer import Handwriter

    sentences = [s for s in args.sentences.read_text().splitlines() if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    sample = SampleOptions(seed=args.seed)
    if args.bias is not None:
        sample.bias = args.bias
    start = time.perf_counter()
    writer = Handwriter.load(args.weights, "cpu", sample=sample)
    layout = LayoutOptions(size=2.5 * 96 / 25.4, line_spacing=args.line_spacing)
    lines = writer.write("\n".join(sentences), layout)
    seconds = time.perf_counter() - start
    resampled = writer.resampled
    doc = vp.Document()
    doc.add(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for ln in lines for p in ln.polylines]))
    svg, expected = args.out / "legibility.svg", args.out / "expected.txt"
    with open(svg, "w") as fh:
        vp.write_svg(fh, doc)
    expected.write_text("\n".join(sentences) + "\n")
    render_png([p for ln in lines for p in ln.polylines], args.out / "legibility.png")
    proc = subprocess.run(
        [sys.executable, str(args.reader), "cer", str(svg), "--text-file", str(expected)],
        capture_output=True,
        text=True,
    )
    found = re.findall(r"CER\s+([0-9.]+)", proc.stdout)
    cer = float(found[-1]) if found else float("nan")
    if not found or "warning" in proc.stdout + proc.stderr:
        print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
    print(f"sentences          {len(sentences)}")
    print(f"reader CER         {cer:.3f}")
    print(f"lines resampled    {resampled} ({100 * resampled / len(sentences):.1f}%)")
    print(f"lines still failed {len(writer.failed)}")
    print(f"seconds            {seconds:.1f} (load + sample + layout, bias {sample.bias})")
    print(f"svg/png            {svg} {args.out / 'legibility.png'}")


if __name__ == "__main__":
    main()
