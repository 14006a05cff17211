"""Batch letters per minute: ``vpype-handwriting letters`` on a ~300-character letter.

Writes ``--count`` letters (A4, 2.5 mm x-height, wrapped to the page) into a temporary folder,
each letter's lines sampled as one batch, and prints letters per minute (model load included,
as a user would time the command). ``--no-check`` times it without the legibility checker,
``--thorough`` with ``letters --thorough``; ``--jobs N`` passes ``--jobs N`` (by default the
command's own: one process per core).

    python benchmarks/letters_speed.py [--count 20] [--no-check | --thorough] [--jobs N]
                                       [--json FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report  # beside this script

TEMPLATE = """Dear {first_name},

Thank you so much for coming to the party on Saturday. It was lovely to see you and
{partner} again after so long, and the flowers you brought are still on the kitchen table.

We hope to visit you in {city} in the spring. Let us know which weekend suits you best.

With love,
Helen and Tom
"""
CLI = "from vpype_handwriting.cli import cli; cli()"
NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Frank", "Grace", "Henry", "Isla", "Jack"]
CITIES = ["York", "Bath", "Leeds", "Derby", "Chester"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-check", action="store_true")
    group.add_argument("--thorough", action="store_true")
    parser.add_argument("--jobs", type=int, default=None, help="letters --jobs")
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "letter.txt").write_text(TEMPLATE)
        rows = ["first_name,partner,city,id"] + [
            f"{NAMES[i % 10]},{NAMES[(i + 3) % 10]},{CITIES[i % 5]},{i}"
            for i in range(args.count)
        ]
        (folder / "people.csv").write_text("\n".join(rows) + "\n")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", CLI, "letters",
             str(folder / "letter.txt"), "--csv", str(folder / "people.csv"), "--out",
             str(folder / "out" / "{id}-{first_name}.svg"),
             *(["--jobs", str(args.jobs)] if args.jobs else []),
             *(["--no-check"] if args.no_check else []),
             *(["--thorough"] if args.thorough else [])],
            check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        written = len(list((folder / "out").glob("*.svg")))
    chars = len(" ".join(TEMPLATE.split()))
    rate = 60 * written / seconds
    from vpype_handwriting.cli.letters_cli import default_jobs

    jobs = args.jobs or default_jobs()
    checker = " without the checker" if args.no_check else ""
    mode = checker + (" --thorough" if args.thorough else "") + f", --jobs {jobs}"
    print(
        f"{written} letters of ~{chars} characters in {seconds:.1f} s: "
        f"{rate:.1f} letters/minute{mode}"
    )
    report.save(
        args.json,
        "letters_speed",
        [
            (
                f"letters of ~{chars} characters per minute{mode}, {written} letters",
                f"{rate:.1f}",
            )
        ],
    )


if __name__ == "__main__":
    main()
