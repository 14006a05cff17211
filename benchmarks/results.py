"""docs/results.md from the benchmarks' saved figures (docs/results/*.json).

Each benchmark saves its figures with ``--json docs/results/NAME.json``; this script puts
them in one table with the command, date and CPU of each. ``--run`` first runs the
benchmarks named (all by default) with the arguments below, then writes the table:

    python benchmarks/results.py                       # the table from the saved figures
    python benchmarks/results.py --run speed letters   # run these again first
    python benchmarks/results.py --run legibility marks-reader --reader PATH/TO/reader.py

Run it on an otherwise idle machine: the speed figures are wall-clock seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "results"
HELD_OUT = ["benchmarks/legibility.py", "--sentences", "benchmarks/held_out.txt"]
RUNS = {
    "legibility": ["benchmarks/legibility.py", "--seeds", "1,2,3,4,5,6"],
    "legibility-thorough": [
        "benchmarks/legibility.py",
        "--seeds",
        "1,2,3,4,5,6",
        "--thorough",
    ],
    "legibility-no-check": [
        "benchmarks/legibility.py",
        "--seeds",
        "1,2,3,4,5,6",
        "--no-check",
    ],
    "held-out": [*HELD_OUT, "--seeds", "1,2,3,4,5,6"],
    "held-out-thorough": [*HELD_OUT, "--seeds", "1,2,3,4,5,6", "--thorough"],
    "held-out-no-check": [*HELD_OUT, "--seeds", "1,2,3,4,5,6", "--no-check"],
    "marks-reader": ["benchmarks/marks_reader.py", "--seeds", "9,10"],
    "speed": ["benchmarks/sample_speed.py", "--repeats", "5"],
    "speed-thorough": ["benchmarks/sample_speed.py", "--repeats", "5", "--thorough"],
    "speed-no-check": ["benchmarks/sample_speed.py", "--repeats", "5", "--no-check"],
    "letters": ["benchmarks/letters_speed.py", "--count", "20"],
    "letters-jobs1": ["benchmarks/letters_speed.py", "--count", "10", "--jobs", "1"],
    "letters-no-check": ["benchmarks/letters_speed.py", "--count", "20", "--no-check"],
    "training": ["benchmarks/train_throughput.py", "--repeats", "3"],
}
# need the recognizer
READS = {name for name in RUNS if name.startswith(("legibility", "held-out", "marks"))}
HEADER = """# Results

Every figure here comes from a script in `benchmarks/`, saved by its `--json` option into
`docs/results/` and gathered by `python benchmarks/results.py` (which can run them again:
see its `--help`). The date and CPU are those of the run that made each figure; timings are
wall-clock on an otherwise idle machine, so compare rows of the same CPU only.

| benchmark | figure | value | date | CPU |
|---|---|---|---|---|
"""


def run(names: list[str], reader: Path | None) -> None:
    for name in names:
        args = [sys.executable, *RUNS[name], "--json", str(FOLDER / f"{name}.json")]
        if name in READS:
            if reader is None:
                raise SystemExit(f"{name} needs --reader PATH (the recognizer's reader.py)")
            args += ["--reader", str(reader)]
        if name in READS - {"marks-reader"}:
            args += ["--out", tempfile.mkdtemp(prefix="legibility-")]
        print("+", " ".join(args[1:]), flush=True)
        subprocess.run(args, check=True, cwd=ROOT)


#: The checker's trade-off: each mode's runs (legibility on the two sentence files, the page).
MODES = {
    "off (`--no-check`)": ("legibility-no-check", "held-out-no-check", "speed-no-check"),
    "on (the default)": ("legibility", "held-out", "speed"),
    "`--thorough`": ("legibility-thorough", "held-out-thorough", "speed-thorough"),
}


def _figure(run: str, starts: str) -> str:
    """The value of the first figure of ``run`` whose name starts so ('?' if none)."""
    path = FOLDER / f"{run}.json"
    if not path.is_file():
        return "?"
    figures = json.loads(path.read_text())["figures"]
    return next((f["value"] for f in figures if f["name"].startswith(starts)), "?")


def tradeoff() -> str:
    """What the checker buys and costs, mode by mode, from the saved runs."""
    rows = [
        "## The legibility checker: what it buys and what it costs",
        "",
        "Reader CER: the recognizer's character error rate, mean over the seeds (each seed's "
        "in brackets), on `benchmarks/sentences.txt` (the sentences the checker's settings "
        "were chosen on) and `benchmarks/held_out.txt` (sentences they were not). Page: the "
        "A4 letter end to end, from the rows below.",
        "",
        "| checker | reader CER, sentences.txt | reader CER, held_out.txt | A4 page |",
        "|---|---|---|---|",
    ]
    for mode, (sentences, held_out, speed) in MODES.items():
        rows.append(
            f"| {mode} | {_figure(sentences, 'reader CER')} | "
            f"{_figure(held_out, 'reader CER')} | {_figure(speed, 'A4 letter')} |"
        )
    return "\n".join(rows) + "\n\n"


def table() -> str:
    rows, commands = [], []
    for path in sorted(FOLDER.glob("*.json")):
        doc = json.loads(path.read_text())
        commands.append(f"- `{path.stem}`: `{doc['command']}`")
        for fig in doc["figures"]:
            rows.append(
                f"| `{path.stem}` | {fig['name']} | {fig['value']} | {doc['date']} | "
                f"{doc['cpu']} |"
            )
    return (
        HEADER.split("| benchmark |")[0]
        + tradeoff()
        + "## Every figure\n\n| benchmark |"
        + HEADER.split("| benchmark |")[1]
        + "\n".join(rows)
        + "\n\nCommands:\n\n"
        + "\n".join(commands)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", nargs="*", choices=sorted(RUNS), default=None)
    parser.add_argument("--reader", type=Path, default=None)
    args = parser.parse_args()
    if args.run is not None:
        run(args.run or sorted(RUNS), args.reader)
    (ROOT / "docs" / "results.md").write_text(table())
    print(f"wrote {ROOT / 'docs' / 'results.md'}")


if __name__ == "__main__":
    main()
