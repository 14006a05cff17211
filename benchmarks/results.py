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
RUNS = {
    "legibility": ["benchmarks/legibility.py", "--seeds", "1,2,3"],
    "legibility-no-check": ["benchmarks/legibility.py", "--seeds", "1,2,3", "--no-check"],
    "marks-reader": ["benchmarks/marks_reader.py", "--seeds", "9,10"],
    "speed": ["benchmarks/sample_speed.py", "--repeats", "5"],
    "speed-no-check": ["benchmarks/sample_speed.py", "--repeats", "5", "--no-check"],
    "letters": ["benchmarks/letters_speed.py", "--count", "10"],
    "letters-no-check": ["benchmarks/letters_speed.py", "--count", "10", "--no-check"],
    "letters-jobs2": ["benchmarks/letters_speed.py", "--count", "10", "--jobs", "2"],
    "training": ["benchmarks/train_throughput.py", "--repeats", "3"],
}
READS = {"legibility", "legibility-no-check", "marks-reader"}  # need the recognizer
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
        if name.startswith("legibility"):
            args += ["--out", tempfile.mkdtemp(prefix="legibility-")]
        print("+", " ".join(args[1:]), flush=True)
        subprocess.run(args, check=True, cwd=ROOT)


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
    return HEADER + "\n".join(rows) + "\n\nCommands:\n\n" + "\n".join(commands) + "\n"


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
