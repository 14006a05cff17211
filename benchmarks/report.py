"""Figures of a benchmark run, saved as JSON for ``results.py`` to gather into
docs/results.md: each with the command that made it, the date and the CPU."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name and how many cores this process may use."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    )
    return f"{name}, {cores} cores"


def command() -> str:
    """The command line that ran this script, from the repository root."""
    script = Path(sys.argv[0]).resolve()
    root = Path(__file__).resolve().parents[1]
    if script.is_relative_to(root):
        script = script.relative_to(root)
    return " ".join(["python", script.as_posix(), *(_shown(a, root) for a in sys.argv[1:])])


def _shown(arg: str, root: Path) -> str:
    """An argument as the table shows it: a file outside the repository by its name only
    (its place is the reader's own, e.g. the recognizer given to ``--reader``)."""
    path = Path(arg)
    if len(arg) < 2 or not (path.is_absolute() or path.exists()):
        return arg
    if path.resolve().is_relative_to(root):
        return path.resolve().relative_to(root).as_posix()
    return f"PATH/{path.name}"


def save(path: Path | None, benchmark: str, figures: list[tuple[str, str]]) -> None:
    """Write ``figures`` (name, value with its unit) of ``benchmark`` to ``path``."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": benchmark,
        "command": command(),
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_name(),
        "figures": [{"name": n, "value": v} for n, v in figures],
    }
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"figures saved to {path}")
