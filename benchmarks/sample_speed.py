"""Sampling speed: a handwritten A4 page end to end, and characters/s by batch size.

1. End to end: ``vpype -s SEED handwrite --file letter.txt --wrap 17cm layout a4 write
   out.svg`` in a fresh process (process start to file written) for seeds 1..``--repeats``:
   the median and the slowest (seeds differ in how many lines are resampled or re-wrapped),
   split into import + model load, sampling, and layout/strokes (the same steps timed
   in-process), with the child's peak memory.
2. Characters per second of the batched sampler at 1, 8, 32 and 128 different lines of
   about 40 characters (the words of ``sentences.txt``; default style, one attempt each).

    python benchmarks/sample_speed.py [--repeats 5] [--weights DIR] [--no-check | --thorough]
                                      [--json FILE]

(``--no-check``: without the legibility checker, which reads two attempts at every line and
keeps the better; ``--thorough``: as ``handwrite --thorough``, which writes the lines it
sends back again.)

Run it on an otherwise idle machine: the figures are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report  # beside this script

HERE = Path(__file__).resolve().parent
LETTER = HERE / "letter.txt"
SENTENCES = HERE / "sentences.txt"


def lines_of(width: int, count: int) -> list[str]:
    """``count`` different lines of at most ``width`` characters: the benchmark sentences'
    words, wrapped (and wrapped again from the start as often as needed)."""
    words, out, line = SENTENCES.read_text().split(), [], ""
    while len(out) < count:
        for word in words:
            if line and len(line) + 1 + len(word) > width:
                out.append(line)
                line = ""
            line = f"{line} {word}" if line else word
    return out[:count]


def mode_options(mode: str) -> list[str]:
    return {"check": [], "no-check": ["--no-check"], "thorough": ["--thorough"]}[mode]


def end_to_end(repeats: int, weights: Path | None, mode: str) -> tuple[list[float], float]:
    times = []
    extra = ["--weights", str(weights)] if weights else []
    extra += mode_options(mode)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.svg"
        for seed in range(1, repeats + 1):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from vpype_cli.cli import cli; cli()",
                    "-s",
                    str(seed),
                    "handwrite",
                    *extra,
                    "--file",
                    str(LETTER),
                    "--wrap",
                    "17cm",
                    "layout",
                    "a4",
                    "write",
                    str(out),
                ],
                check=True,
            )
            times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return times, peak


def in_process(weights: Path | None, mode: str) -> dict[str, float]:
    t0 = time.perf_counter()
    import vpype as vp

    from vpype_handwriting import defaults
    from vpype_handwriting.layout import LayoutOptions
    from vpype_handwriting.sampling import THOROUGH, SampleOptions
    from vpype_handwriting.writer import Handwriter

    sample = SampleOptions(seed=1, **(THOROUGH if mode == "thorough" else {}))
    writer = Handwriter.load(  # the style as the command takes it
        weights, "cpu", check=mode != "no-check", style=defaults.STYLE, sample=sample
    )
    t1 = time.perf_counter()
    sampling = 0.0
    inner = writer.sample_texts

    def timed(texts):
        nonlocal sampling
        s = time.perf_counter()
        out = inner(texts)
        sampling += time.perf_counter() - s
        return out

    writer.sample_texts = timed  # type: ignore[method-assign]
    t2 = time.perf_counter()
    lines = writer.write(
        LETTER.read_text(), LayoutOptions(size=2.5 * 96 / 25.4, wrap=17 * 96 / 2.54)
    )
    lc = vp.LineCollection([p[:, 0] + 1j * p[:, 1] for ln in lines for p in ln.polylines])
    t3 = time.perf_counter()
    return {
        "import + load": t1 - t0,
        "sampling": sampling,
        "layout + strokes": t3 - t2 - sampling,
        "lines": len(lines),
        "rewritten": writer.resampled,
        "paths": len(lc),
    }


def chars_per_second(weights: Path | None) -> list[tuple[int, float]]:
    from vpype_handwriting import defaults
    from vpype_handwriting.sampling import SampleOptions, sample_lines
    from vpype_handwriting.styles import load_style
    from vpype_handwriting.writer import cached_model

    model = cached_model(None if weights is None else str(weights), "cpu")
    prime = load_style(defaults.STYLE, model.config.alphabet)
    rows = []
    for n in (1, 8, 32, 128):
        texts = lines_of(40, n)
        t0 = time.perf_counter()
        sample_lines(model, texts, SampleOptions(seed=1, retries=0, prime=prime))
        rows.append((n, sum(map(len, texts)) / (time.perf_counter() - t0)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--weights", type=Path, default=None)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-check", dest="mode", action="store_const", const="no-check")
    group.add_argument("--thorough", dest="mode", action="store_const", const="thorough")
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    chars = len(" ".join(LETTER.read_text().split()))
    # first, while no torch is imported in this process
    mode = args.mode or "check"
    times, peak = end_to_end(args.repeats, args.weights, mode)
    import numpy as np

    print(
        f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}; "
        f"letter of {chars} characters, --wrap 17cm"
    )
    parts = in_process(args.weights, mode)
    print(
        f"end to end (vpype handwrite ... write out.svg), seeds 1-{len(times)}: "
        f"median {np.median(times):.2f} s, slowest {max(times):.2f} s, peak {peak:.0f} MB"
    )
    for key in ("import + load", "sampling", "layout + strokes"):
        print(f"  {key:18s} {parts[key]:.2f} s")
    print(
        f"  {int(parts['lines'])} written lines ({int(parts['rewritten'])} written again "
        f"after the first attempts), {int(parts['paths'])} paths"
    )
    print("batch (lines of 40 chars)  chars/s")
    rates = chars_per_second(args.weights)
    for n, cps in rates:
        print(f"  {n:4d}                    {cps:8.0f}")
    checker = {"check": "checker on", "no-check": "checker off", "thorough": "--thorough"}[
        mode
    ]
    report.save(
        args.json,
        "sample_speed",
        [
            (
                f"A4 letter of {chars} characters end to end, {checker}, seeds 1-{len(times)}",
                f"median {np.median(times):.2f} s, slowest {max(times):.2f} s",
            ),
            (f"of it sampling ({checker}, in-process)", f"{parts['sampling']:.2f} s"),
            (f"lines written again after the first attempts ({checker})",
             f"{int(parts['rewritten'])} of "
             f"{int(parts['lines'])}"),
            ("batched sampler, lines of 40 characters", ", ".join(
                f"{cps:.0f} chars/s at {n}" for n, cps in rates)),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
