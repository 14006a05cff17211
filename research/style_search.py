"""Rank human lines as the default style: which writer's hand the net copies most legibly.

Each candidate priming line (the built-in styles, and IAM-OnDB validation lines of 20-40
characters from different forms that the reader reads without error) primes the net for a
probe set dense in what goes wrong (``capitals.txt``, ``x_words.txt``, ``digits.txt``,
``fives.txt`` and the first sentences of ``sentences.txt``), written with ``--seeds``,
without the checker (the failed-line checks resample as in ``handwrite``).
the recognizer given as ``--reader`` reads them; the table gives, best
first, the words the reader does not find, the CER, and the lines the failed-line checks
would send back (a hand the net cannot hold, as style 7's).

    python research/style_search.py [--weights DIR] [--candidates 40] [--seeds 1,2]
    python research/style_search.py --styles 1,8,mine --seeds 3,4,5,6   # named only
    python research/style_search.py --with-chars HEM --baseline 9 --candidates 20
    python research/style_search.py --with-chars I --probes late_bars.txt --sentences 0

``--with-chars`` keeps the validation lines that hold at least one of those characters
(a writer whose capitals the net then sees); ``--baseline`` names the styles scored beside
them (default: every built-in); ``--probes`` swaps the probe files (e.g. ``late_bars.txt``,
whose ``It`` and ``Italy`` a hand may write like ``H``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))  # legibility.py and sample_page.py live there

from legibility import read_written, tally  # noqa: E402

HERE = Path(__file__).resolve().parent
PROBES = ("capitals.txt", "x_words.txt", "digits.txt", "fives.txt")


def probe_texts(sentences: int, probes: tuple[str, ...] = PROBES) -> list[str]:
    texts = [
        t
        for f in probes
        for t in (HERE / f if (HERE / f).exists() else BENCH / f).read_text().splitlines()
        if t.strip()
    ]
    main = [t for t in (BENCH / "sentences.txt").read_text().splitlines() if t.strip()]
    return texts + main[:sentences]


def candidates(args: argparse.Namespace, alphabet: str) -> list[tuple[str, str, np.ndarray]]:
    """(name, text, offsets): the built-in styles, then validation lines of other forms;
    with ``--styles``, those styles only (built-in or the user's)."""
    from vpype_handwriting.styles import find_style, list_styles
    from vpype_handwriting.training import iamondb

    if args.styles:
        return [
            (f"style {s.name}", s.text, s.offsets)
            for s in (find_style(name) for name in args.styles.split(","))
        ]
    builtin = [s for s in list_styles() if s.builtin]
    if args.baseline is not None:
        builtin = [find_style(name) for name in args.baseline.split(",") if name]
    out = [(f"style {s.name}", s.text, s.offsets) for s in builtin]
    _, val = iamondb.Dataset.load(args.data or iamondb.default_cache()).split()
    rng = np.random.default_rng(args.pick_seed)
    seen = {s.source.split()[-1] for s in builtin}  # their forms: no near-copies
    picked: list[SimpleNamespace] = []
    for i in rng.permutation(len(val)):
        text = val.texts[i]
        if len(picked) >= 3 * args.candidates or val.forms[i] in seen:
            continue
        if args.with_chars and not set(text) & set(args.with_chars):
            continue
        if 20 <= len(text) <= 40 and set(text) <= set(alphabet) and not text.endswith("-"):
            seen.add(val.forms[i])
            picked.append(SimpleNamespace(offsets=val.line(i), text=text, index=i))
    read = read_written(args.reader, picked, "candidates")  # keep lines read without error
    for line, reading in zip(picked, read):
        if reading == line.text and len(out) < args.candidates + len(builtin):
            name = f"{val.forms[line.index]} #{line.index}"
            out.append((name, line.text, line.offsets.astype(np.float32)))
    return out


def score(args, writer, prime, texts: list[str]) -> tuple[int, int, float, int]:
    """(words missed, words, CER, lines the failed-line checks sent back) of the probe
    texts in one hand."""
    writer.sample.prime = prime
    errors = chars = found = words = failed = 0
    for seed in args.seeds:
        writer.sample.seed = seed
        lines = writer.sample_texts(texts)
        failed += sum(line.broken > 0 for line in lines)
        e, c, f, w = tally(lines, read_written(args.reader, lines, "probe"))
        errors, chars, found, words = errors + e, chars + c, found + f, words + w
    return words - found, words, errors / max(chars, 1), failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="default: the shipped")
    parser.add_argument("--data", type=Path, default=None, help="prepared .npz")
    parser.add_argument("--candidates", type=int, default=40, help="validation lines")
    parser.add_argument("--styles", default=None, help="only these styles (e.g. 1,8,mine)")
    parser.add_argument("--pick-seed", type=int, default=0)
    parser.add_argument("--with-chars", default="", help="validation lines holding one of")
    parser.add_argument("--baseline", default=None, help="styles beside them (default: all)")
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--sentences", type=int, default=12, help="of sentences.txt")
    parser.add_argument("--probes", default=",".join(PROBES), help="files beside this script")
    parser.add_argument(
        "--reader", type=Path, required=True, help="the recognizer's reader.py"
    )
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if not args.reader.is_file():
        sys.exit(f"no reader at {args.reader} (--reader)")

    from vpype_handwriting.sampling import Prime, SampleOptions
    from vpype_handwriting.writer import Handwriter

    writer = Handwriter.load(args.weights, "cpu", check=False, sample=SampleOptions())
    texts = probe_texts(args.sentences, tuple(args.probes.split(",")))
    rows = []
    for name, text, offsets in candidates(args, writer.alphabet):
        start = time.perf_counter()
        missed, words, cer, failed = score(args, writer, Prime(offsets, text), texts)
        rows.append((missed, cer, failed, name, text))
        print(f"{name:18s} missed {missed:3d} of {words}  CER {cer:.4f}  failed {failed:2d}"
              f"  {time.perf_counter() - start:4.0f} s  {text!r}", flush=True)  # fmt: skip
    print("\nbest first:")
    for missed, cer, failed, name, text in sorted(rows)[:15]:
        print(f"{name:18s} missed {missed:3d}  CER {cer:.4f}  failed {failed:2d}  {text!r}")


if __name__ == "__main__":
    main()
