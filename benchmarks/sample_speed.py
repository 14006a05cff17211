"""Sampling speed: a handwritten A4 page end to end, and characters/s by batch size.

1. End to end: ``vpype -s SEED handwrite --file letter.txt --wrap 17cm layout a4 write
   out.svg`` in a fresh process (process start to file written) for seeds 1..``--repeats``:
   the median and the slowest (seeds differ in how many lines are resampled or re-wrapped),
   split into import + model load, sampling, and layout/strokes (the same steps timed
   in-process), with the child's peak memory.
2. Characters per second of the batched sampler at 1, 8, 32 and 128 lines of ~40 characters
   (default style, no retries).

    python benchmarks/sample_speed.py [--repeats 5] [--weights DIR] [--no-check] [--json FILE]

(``--no-check``: without the legibility checker, which reads every line and has some of
them written again.)

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
LINE = "We hope to visit again in the autumn, if it suits you"[:40]


def end_to_end(repeats: int, weights: Path | None, check: bool) -> tuple[list[float], float]:
    times = []
    extra = ["--weights", str(weights)] if weights else []
    extra += [] if check else ["--no-check"]
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


def in_process(weights: Path | None, check: bool) -> dict[str, float]:
    t0 = time.perf_counter()
    import vpype as vp

    from vpype_handwriting import defaults
    from vpype_handwriting.layout import LayoutOptions
    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.writer import Handwriter

    writer = Handwriter.load(  # the style as the command takes it
        weights, "cpu", check=check, style=defaults.STYLE, sample=SampleOptions(seed=1)
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
        "rewritten": writer.illegible,
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
        t0 = time.perf_counter()
        sample_lines(model, [LINE] * n, SampleOptions(seed=1, retries=0, prime=prime))
        rows.append((n, n * len(LINE) / (time.perf_counter() - t0)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--no-check", dest="check", action="store_false")
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    chars = len(" ".join(LETTER.read_text().split()))
    # first, while no torch is imported in this process
    times, peak = end_to_end(args.repeats, args.weights, args.check)
    import numpy as np

    print(
        f"machine: {os.cpu_count()} CPUs, numpy {np.__version__}; "
        f"letter of {chars} characters, --wrap 17cm"
    )
    parts = in_process(args.weights, args.check)
    print(
        f"end to end (vpype handwrite ... write out.svg), seeds 1-{len(times)}: "
        f"median {np.median(times):.2f} s, slowest {max(times):.2f} s, peak {peak:.0f} MB"
    )
    for key in ("import + load", "sampling", "layout + strokes"):
        print(f"  {key:18s} {parts[key]:.2f} s")
    print(
        f"  {int(parts['lines'])} written lines ({int(parts['rewritten'])} sent back by the "
        f"checker), {int(parts['paths'])} paths"
    )
    print("batch (lines of 40 chars)  chars/s")
    rates = chars_per_second(args.weights)
    for n, cps in rates:
        print(f"  {n:4d}                    {cps:8.0f}")
    checker = "checker on" if args.check else "checker off"
    report.save(
        args.json,
        "sample_speed",
        [
            (
                f"A4 letter of {chars} characters end to end, {checker}, seeds 1-{len(times)}",
                f"median {np.median(times):.2f} s, slowest {max(times):.2f} s",
            ),
            (f"of it sampling ({checker}, in-process)", f"{parts['sampling']:.2f} s"),
            (f"lines the checker sent back ({checker})", f"{int(parts['rewritten'])} of "
             f"{int(parts['lines'])}"),
            ("batched sampler, lines of 40 characters", ", ".join(
                f"{cps:.0f} chars/s at {n}" for n, cps in rates)),
        ],
    )  # fmt: skip


if __name__ == "__main__":
    main()
