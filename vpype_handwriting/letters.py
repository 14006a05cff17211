"""Batch letters: one template, many recipients, one plotter-ready file (or more) per letter.

Everything that can be checked is checked before the first line is written: placeholders
against the columns, output paths (no two rows on one file, nothing overwritten without
``overwrite``), the text of every row. The first-pass lines of several letters are sampled
together as one batch; pages are written atomically (temporary file, then rename), the first
page last, so a letter whose first file exists is complete.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import alphabet as alpha
from .layout import PITCH, Calibration, LayoutOptions, WrittenLine, first_pass, layout_text
from .sampling import SampledLine

logger = logging.getLogger(__name__)

ENVELOPES = {
    "DL": (220.0, 110.0),
    "C5": (229.0, 162.0),
    "C6": (162.0, 114.0),
    "C4": (324.0, 229.0),
    "10": (241.3, 104.8),
}  # mm, landscape


class LetterError(ValueError):
    """The template, the rows or the output paths cannot work together."""


@dataclass
class Row:
    number: int  # 1-based data row (header excluded)
    values: dict[str, str]
    text: str = ""
    paths: list[Path] = field(default_factory=list)  # page files, first page first
    error: str | None = None


def read_rows(path: Path, fmt: str | None = None) -> list[dict[str, str]]:
    """Rows from csv, json (a list of objects) or jsonl (one object per line); the format
    is ``fmt`` or else the file's suffix."""
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LetterError(f"cannot read {path}: {exc}") from None
    try:
        if fmt == "jsonl":
            rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
        elif fmt == "json":
            rows = json.loads(raw)
        else:
            rows = list(csv.DictReader(raw.splitlines()))
    except (json.JSONDecodeError, csv.Error) as exc:
        raise LetterError(f"{path} is not valid {fmt}: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LetterError(f"{path}: expected a list of records")
    return [{str(k): "" if v is None else str(v) for k, v in r.items()} for r in rows]


def placeholders(template: str) -> list[str]:
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise LetterError(
            f"template: {exc} (write {{{{ and }}}} for literal braces)"
        ) from None
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise LetterError(f"template placeholder {{{bad[0]}}} is not a column name")
    return names


def plan(
    template: str,
    out_pattern: str,
    rows: list[dict[str, str]],
    alphabet: str,
    unknown: str = "error",
) -> tuple[list[Row], list[str]]:
    """Fill every row; returns the rows (failed ones carry ``error``) and warnings.

    Raises :class:`LetterError` for problems of the whole job: a placeholder naming a
    column the data lacks, or no rows.
    """
    if not rows:
        raise LetterError("the data has no rows")
    columns = set().union(*(r.keys() for r in rows))
    wanted = placeholders(template) + placeholders(out_pattern)
    missing = sorted(set(wanted) - columns)
    if missing:
        raise LetterError(
            f"placeholders without a column: {', '.join(missing)} "
            f"(columns: {', '.join(sorted(columns))})"
        )
    warnings = [
        f"column {c!r} is not used by the template or --out"
        for c in sorted(columns - set(wanted))
    ]
    planned = []
    for number, values in enumerate(rows, 1):
        row = Row(number, values)
        empty = [n for n in wanted if not values.get(n, "").strip()]
        if empty:
            row.error = f"empty field {empty[0]!r}"
        else:
            try:
                row.text = alpha.check(template.format(**values), alphabet, unknown)
                row.paths = [Path(out_pattern.format(**values))]
            except ValueError as exc:
                row.error = str(exc)
        planned.append(row)
    return planned, warnings


def page_path(first: Path, page: int) -> Path:
    return first if page == 1 else first.with_name(f"{first.stem}-p{page}{first.suffix}")


def check_outputs(rows: list[Row], overwrite: bool, resume: bool) -> list[Row]:
    """Rows still to write; refuses duplicates and existing files (unless asked)."""
    seen: dict[Path, int] = {}
    todo = []
    for row in rows:
        if row.error is not None:
            continue
        path = row.paths[0].resolve()
        if path in seen:
            raise LetterError(f"rows {seen[path]} and {row.number} would both write {path}")
        seen[path] = row.number
        if row.paths[0].exists():
            if resume:
                continue
            if not overwrite:
                raise LetterError(
                    f"{row.paths[0]} exists (use --overwrite, or --resume to "
                    "skip finished letters)"
                )
        todo.append(row)
    return todo


class BatchSampler:
    """Samples the first-pass lines of several letters as one batch, then serves them."""

    def __init__(self, sample: Callable[[Sequence[str]], list[SampledLine]]) -> None:
        self.sample = sample
        self.ready: dict[str, list[SampledLine]] = {}

    def prefetch(self, texts: Sequence[str]) -> None:
        for line in self.sample(list(texts)):
            self.ready.setdefault(line.text, []).append(line)

    def __call__(self, texts: Sequence[str]) -> list[SampledLine]:
        out: list[SampledLine | None] = []
        missing = []
        for i, text in enumerate(texts):
            if self.ready.get(text):
                out.append(self.ready[text].pop())
            else:
                out.append(None)
                missing.append(i)
        for i, line in zip(
            missing, self.sample([texts[i] for i in missing]) if missing else []
        ):
            out[i] = line
        return [line for line in out if line is not None]


@dataclass
class Page:
    width: float
    height: float
    margin: float


def paginate(
    lines: list[WrittenLine], page: Page, opts: LayoutOptions
) -> list[list[np.ndarray]]:
    """Split placed lines over pages by their baselines; continued pages start at the top."""
    pitch = PITCH * opts.size * opts.line_spacing
    top = opts.position[1]
    per_page = max(1, int((page.height - page.margin - top) // pitch) + 1)
    pages: list[list[np.ndarray]] = []
    for line in lines:
        k = int(round((line.baseline - top) / pitch))
        index, slot = divmod(k, per_page)
        while len(pages) <= index:
            pages.append([])
        shift = np.array([0.0, (slot - k) * pitch])
        pages[index] += [p + shift for p in line.polylines]
    return pages


def write_letter(
    lines: list[WrittenLine],
    page: Page,
    opts: LayoutOptions,
    first: Path,
    save: Callable[[list[np.ndarray], Path], None],
) -> list[Path]:
    """Write every page atomically, the first page last; returns the files written."""
    pages = paginate(lines, page, opts)
    paths = [page_path(first, k) for k in range(1, len(pages) + 1)]
    for polylines, path in reversed(list(zip(pages, paths))):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
        save(polylines, tmp)
        os.replace(tmp, path)
    return paths


def layout_letters(
    rows: list[Row],
    sampler: BatchSampler,
    calib: Calibration,
    opts: LayoutOptions,
    batch_lines: int,
):
    """Yield (row, written lines or error) letter by letter, sampling in batches."""
    queue = list(rows)
    while queue:
        chunk: list[Row] = []
        lines: list[str] = []
        while queue and (not chunk or len(lines) < batch_lines):
            row = queue.pop(0)
            chunk.append(row)
            lines += [t for p in first_pass(row.text, calib, opts) for t in p]
        sampler.prefetch(lines)
        for row in chunk:
            try:
                yield row, layout_text(row.text, sampler, calib, opts)
            except ValueError as exc:
                yield row, str(exc)
