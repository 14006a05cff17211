"""Which words of a written letter page the reader reads differently, seed by seed.

Writes ``benchmarks/letter.txt`` (or ``--letter``) as the README's sample page does
(``vpype -s SEED handwrite --wrap WRAP --file LETTER layout a4 write``) for each seed, lets
the ``--reader`` read every SVG and aligns its words with the
letter's. A word read differently is not always written wrong (the reader errs too, about
one character in twenty on human lines), but a dropped, doubled or scribbled letter shows up
here, so these are the words to look at in the renders (``--png``).

    python research/page_audit.py [--seeds 1,2,3,4,5] [--weights DIR] [--style 1]
                                    [--out page-audit]
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))  # legibility.py and sample_page.py live there

from legibility import read_lines  # noqa: E402
from sample_page import draw_page, write_page  # noqa: E402


def word_diffs(expected: list[str], read: list[str]) -> list[tuple[str, str]]:
    """The stretches of words where the reading differs from the text: (written, read)."""
    matcher = difflib.SequenceMatcher(a=expected, b=read, autojunk=False)
    return [
        (" ".join(expected[i1:i2]), " ".join(read[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--letter", type=Path, default=BENCH / "letter.txt")
    parser.add_argument("--wrap", default="17cm")
    parser.add_argument("--weights", type=Path, help="weights folder (default: the shipped)")
    parser.add_argument("--style", default=None, help="default: the command's")
    parser.add_argument(
        "--reader", type=Path, required=True, help="the recognizer's reader.py"
    )
    parser.add_argument("--out", type=Path, default=Path("page-audit"))
    parser.add_argument("--png", action="store_true", help="also render each page to PNG")
    args = parser.parse_args()
    if not args.reader.exists():
        sys.exit(f"error: reader not found at {args.reader} (pass --reader)")
    args.out.mkdir(parents=True, exist_ok=True)
    expected = args.letter.read_text(encoding="utf-8").split()
    total = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        svg = args.out / f"page-{seed}.svg"
        write_page(seed, args.wrap, args.letter, svg, args.weights, args.style)
        reading = " ".join(read_lines(args.reader, svg)).split()
        diffs = word_diffs(expected, reading)
        total += len(diffs)
        shown = "; ".join(f"{a or '-'} -> {b or '-'}" for a, b in diffs) or "none"
        print(
            f"seed {seed}: {len(diffs)} stretches of {len(expected)} words read "
            f"differently: {shown}"
        )
        if args.png:
            draw_page(svg, svg.with_suffix(".png"), 1100)
    print(f"{total} stretches read differently in all; look at them in {args.out}/")


if __name__ == "__main__":
    main()
