"""How often the words holding a given letter are read right, first attempts unchecked.

Writes each sentence of the file (default ``x_words.txt``: six sentences dense in words
with an ``x``) three times a seed without the legibility checker, lets
the ``--reader`` read the lines, and counts the words holding any
of ``--letters`` that the reader's reading holds, and the CER of all the lines. The
checker can not send back an ``x`` written without its cross (``nert`` for ``next``):
it reads ``next`` there, as the reader often does not; so this compares weights, styles
and biases on the letter itself (``--check``: what ``handwrite`` keeps after the checker's
retries).

    python research/letter_words.py [--weights DIR] [--style 1] [--bias 1.5]
                                      [--seeds 1,2,3,4] [--letters x] [--sentences FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))  # legibility.py and sample_page.py live there

from legibility import read_written, tally  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    parser.add_argument("--style", default=None, help="default: the command's; or none")
    parser.add_argument("--bias", type=float, default=None, help="default: the command's")
    parser.add_argument("--seeds", default="1,2,3,4")
    parser.add_argument("--letters", default="x")
    parser.add_argument("--repeat", type=int, default=3, help="samples of each sentence")
    parser.add_argument("--sentences", type=Path, default=HERE / "x_words.txt")
    parser.add_argument(
        "--reader", type=Path, required=True, help="the recognizer's reader.py"
    )
    parser.add_argument(
        "--check", action="store_true", help="with the legibility checker and its retries"
    )
    parser.add_argument(
        "--candidates", type=int, default=1, help="with --check: best of N a line"
    )
    args = parser.parse_args()
    if not args.reader.is_file():
        sys.exit(f"no reader at {args.reader} (--reader)")

    from vpype_handwriting import defaults
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.styles import load_style
    from vpype_handwriting.writer import Handwriter

    texts = [t for t in args.sentences.read_text().splitlines() if t.strip()]
    style = args.style or defaults.STYLE
    bias = defaults.BIAS if args.bias is None else args.bias
    errors = chars = hits = words = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        sample = SampleOptions(seed=seed, bias=bias, candidates=args.candidates)
        writer = Handwriter.load(args.weights, "cpu", check=args.check, sample=sample)
        writer.sample.prime = load_style(style, writer.alphabet)
        lines = writer.sample_texts(texts * args.repeat)
        read = read_written(args.reader, lines, f"seed {seed}")
        e, c, h, w = tally(lines, read, lambda word: bool(set(word) & set(args.letters)))
        errors, chars, hits, words = errors + e, chars + c, hits + h, words + w
    print(
        f"style {style}, bias {bias}, seeds {args.seeds}{', checked' if args.check else ''}: "
        f"words with {args.letters!r} read "
        f"right {hits} of {words}; CER of the lines {errors / max(chars, 1):.4f}"
    )


if __name__ == "__main__":
    main()
