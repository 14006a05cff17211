"""Do the drawn accents disturb the reading of the letters under them? The recognizer's
view, beside the blind sheets of ``characters.py``.

Takes the lines of ``characters.txt`` that hold accented letters and no sign drawn by hand,
and writes each for each seed with ``handwrite``'s default settings twice: as it is (the
network writes the base letters, the marks are drawn over them) and as its base letters
(``é`` as ``e``). The network gets the same text and seed both times, so the two differ by
the marks alone (and the dots that accents on i take the place of). The recognizer given as
``--reader`` (an online-handwriting recognizer's ``reader.py``; it knows no accents) reads
both, and each reading is scored against the base letters: the character error rate as the
reader counts it and over the letters and digits alone, and the share of words read whole,
the words holding an accented letter apart from the others. The reader has never seen an
accent: it reads many as punctuation (``Tomas'``, ``Odon:``), which the second figure
leaves aside, and some as part of a letter (``ł`` as ``t``), which a reader of the language
would not. The words without an accented letter show whether a mark disturbs the reading of
its neighbours. A mark on the wrong letter does not show (the blind sheets judge that).

    python benchmarks/marks_reader.py --reader PATH/reader.py [--seeds 9,10]
        [--weights PATH] [--json FILE]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import report  # beside this script
from characters import HERE, load_writer, writable_lines
from legibility import read_written


def accented_lines(writer, lines: list[str]) -> tuple[list[str], list[str]]:
    """The writable lines with accented letters and no drawn sign, and their base letters."""
    from vpype_handwriting import alphabet, glyphs

    texts, bases = [], []
    for _, text in writable_lines(writer, lines):
        base = alphabet.base_text(text, writer.alphabet)
        if base != text and not glyphs.plan(base).runs:
            texts.append(text)
            bases.append(base)
    return texts, bases


WORD = re.compile(r"[^\W_]+")  # letters and digits


def score(readings: list[str | None], texts: list[str], bases: list[str]) -> list[int]:
    """Over the lines read: edit distance and characters, then the same over letters and
    digits alone; words read whole and words, of those with an accented letter, then of the
    others."""
    from vpype_handwriting.checker import edit_distance

    out = [0] * 8
    for reading, text, base in zip(readings, texts, bases):
        if reading is None:  # the reader did not find the line
            continue
        bare = "".join(filter(str.isalnum, reading)), "".join(filter(str.isalnum, base))
        out[0] += edit_distance(" ".join(reading.split()), base)
        out[1] += len(base)
        out[2] += edit_distance(*bare)
        out[3] += len(bare[1])
        read = WORD.findall(reading)
        for word, plain in zip(WORD.findall(text), WORD.findall(base)):
            at = 4 if word != plain else 6
            out[at] += plain in read
            out[at + 1] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reader", type=Path, required=True)
    parser.add_argument(
        "--seeds", type=lambda v: [int(x) for x in v.split(",")], default=[9, 10]
    )
    parser.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    parser.add_argument("--text", type=Path, default=HERE / "characters.txt")
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    lines = [s for s in args.text.read_text(encoding="utf-8").splitlines() if s.strip()]
    writer = load_writer(args.weights)
    texts, bases = accented_lines(writer, lines)
    totals = {"with marks": [0] * 8, "without": [0] * 8}
    for seed in args.seeds:
        for name, asked in (("with marks", texts), ("without", bases)):
            writer.sample.seed = seed
            read = read_written(args.reader, writer.sample_texts(asked), f"seed {seed} {name}")
            totals[name] = [a + b for a, b in zip(totals[name], score(read, texts, bases))]
    figures = [("lines a seed", str(len(texts))), ("seeds", ",".join(map(str, args.seeds)))]
    for name, n in totals.items():
        figures += [
            (f"reader CER, {name}", f"{n[0] / n[1]:.3f}"),
            (f"reader CER over letters and digits, {name}", f"{n[2] / n[3]:.3f}"),
            (f"words with an accent read whole, {name}", f"{n[4]}/{n[5]} ({n[4] / n[5]:.0%})"),
            (f"other words read whole, {name}", f"{n[6]}/{n[7]} ({n[6] / n[7]:.0%})"),
        ]
    for name, value in figures:
        print(f"{name}: {value}")
    report.save(args.json, "marks_reader", figures)


if __name__ == "__main__":
    main()
