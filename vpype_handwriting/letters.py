"""Batch letters: one template, many recipients, one plotter-ready file (or more) per letter.

Everything that can be checked is checked before the first line is written: placeholders
against the columns, output paths (inside the output folder, no two rows on one file,
nothing overwritten without ``overwrite``), the text of every row. Values are data, never
code: they fill plain ``{column}`` placeholders and nothing else reads them. Each letter is
sampled on its own, from a seed derived from the run's seed and the letter itself, so a
letter is the same whether it is written alone, after others or on resuming. Pages are
filled down to the bottom margin by the ink and written atomically, the first page last, so
a letter whose first file exists is complete.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import alphabet as alpha
from .files import FileError, read_text
from .layout import WrittenLine
from .letter_files import OutPattern, OutputError, clashes, existing_pages, page_path
from .limits import MAX_ROWS, MAX_TABLE_BYTES
from .seeds import derived_seed

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
    seed: int = 0  # the letter's own, from the run's seed and the letter
    changes: list[alpha.Change] = field(default_factory=list)  # made to its text
    stale: list[Path] = field(default_factory=list)  # its files from an earlier run


def read_rows(path: Path, fmt: str | None = None) -> list[dict[str, str]]:
    """Rows from csv, json (a list of objects) or jsonl (one object per line); the format
    is ``fmt`` or else the file's suffix."""
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    try:
        raw = read_text(path, MAX_TABLE_BYTES)
    except FileError as exc:
        raise LetterError(str(exc)) from None
    try:
        if fmt == "jsonl":
            rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
        elif fmt == "json":
            rows = json.loads(raw)
        else:
            rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    except (json.JSONDecodeError, csv.Error, RecursionError) as exc:
        raise LetterError(f"{path} is not valid {fmt}: {exc}") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LetterError(f"{path}: expected a list of records")
    if len(rows) > MAX_ROWS:
        raise LetterError(f"{path} has {len(rows):,} rows, more than {MAX_ROWS:,}: split it")
    if any(None in r for r in rows):  # csv: more values than the header has columns
        bad = next(k for k, r in enumerate(rows, 1) if None in r)
        raise LetterError(f"{path}: row {bad} has more values than the header has columns")
    return [{str(k): _value(v) for k, v in r.items()} for r in rows]


def _value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, list):  # csv's extra values are refused above; json's lists are joined
        return ", ".join(_value(x) for x in v)
    return str(v)


def placeholders(template: str, what: str = "template") -> list[str]:
    """The column names of ``template``'s placeholders: plain ``{name}`` only (no format
    specs, conversions, attributes or indexes: values are written, never evaluated)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise LetterError(f"{what}: {exc} (write {{{{ and }}}} for literal braces)") from None
    names = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = (
                name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            )
            raise LetterError(
                f"{what}: {'{' + shown + '}'!r} is not a plain {{column}} placeholder "
                "(write {{ and }} for literal braces)"
            )
        names.append(name)
    return names


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each placeholder replaced by its value, as text."""
    return "".join(
        text + (values[name] if name is not None else "")
        for text, name, _, _ in string.Formatter().parse(template)
    )


def letter_seed(seed: int, text: str, name: str) -> int:
    """A letter's own seed: from the run's and the letter (its text and file name), not
    from where the row stands in the run."""
    return derived_seed(seed, name, text) >> 1


def plan(
    template: str,
    out: OutPattern,
    rows: list[dict[str, str]],
    alphabet: str,
    unknown: str = "error",
    seed: int = 0,
) -> tuple[list[Row], list[str]]:
    """Fill every row; returns the rows (failed ones carry ``error``) and warnings.

    Raises :class:`LetterError` for problems of the whole job: a placeholder naming a
    column the data lacks, or no rows.
    """
    if not rows:
        raise LetterError("the data has no rows")
    columns = set().union(*(r.keys() for r in rows))
    wanted = placeholders(template) + out.fields
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
                prepared = alpha.prepare(fill(template, values), alphabet, unknown)
                row.text, row.changes = prepared.text, prepared.changes
                row.paths = [out.path(values)]
                name = row.paths[0].resolve().relative_to(out.root.resolve()).as_posix()
                row.seed = letter_seed(seed, row.text, name)
            except ValueError as exc:
                row.error = str(exc)
        planned.append(row)
    return planned, warnings


def in_shard(row: Row, shard: tuple[int, int]) -> bool:
    """Whether ``row`` is one of share K of N (rows K, K + N, K + 2N, ...)."""
    k, n = shard
    return (row.number - 1) % n == k - 1


def check_outputs(
    rows: list[Row], overwrite: bool, resume: bool, shard: tuple[int, int] = (1, 1)
) -> list[Row]:
    """Rows still to write; refuses rows that share a file (any page, over the whole
    table) and existing files (any page) unless asked to overwrite, or to resume (finished
    letters are skipped). With ``shard`` (K, N), only rows K, K + N, ... are written."""
    ready = [r for r in rows if r.error is None]
    found = clashes([(r.number, r.paths[0]) for r in ready])
    if found:
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise LetterError("; ".join(found[:3]) + more)
    todo = []
    for row in ready:
        if not in_shard(row, shard):
            continue  # another shard's
        row.stale = existing_pages(row.paths[0])
        if resume and row.paths[0].exists():
            continue  # the first page is written last: the letter is complete
        if row.stale and not (overwrite or resume):
            raise LetterError(
                f"{row.stale[0]} exists (use --overwrite, or --resume to skip finished "
                "letters)"
            )
        todo.append(row)
    return todo


@dataclass
class Page:
    width: float
    height: float
    margin: float
    envelope: bool = False  # one address block, moved up to fit instead of paginated


def _ink_y(line: WrittenLine) -> tuple[float, float]:
    ys = np.concatenate([p[:, 1] for p in line.polylines])
    return float(ys.min()), float(ys.max())


def paginate(lines: list[WrittenLine], page: Page, first: float) -> list[list[np.ndarray]]:
    """Fill pages down to the bottom margin with the ink itself; a page after the first
    starts its first line on baseline ``first``. A page is moved down as far as the ink of
    its lines needs to stay below the top margin. Paragraph gaps are kept within a page."""
    pages: list[list[np.ndarray]] = []
    current: list[np.ndarray] = []
    shift, low, bottom = 0.0, -np.inf, page.height - page.margin
    for line in lines:
        if not line.polylines:
            continue
        top, line_low = _ink_y(line)
        need = max(shift, page.margin - top)
        if current and max(low, line_low) + need > bottom:
            pages.append([p + [0.0, shift] for p in current])
            current = []
        if not current:
            need, low = max(first - line.baseline, page.margin - top), -np.inf
            if line_low + need > bottom:
                raise LetterError(
                    f"the line {line.text!r} is taller than the page: use a smaller --size"
                )
        shift, low = need, max(low, line_low)
        current += line.polylines
    return pages + ([[p + [0.0, shift] for p in current]] if current else [])


def place_envelope(lines: list[WrittenLine], page: Page) -> list[np.ndarray]:
    """The address block moved up as far as needed to end above the bottom margin."""
    polylines = [p for line in lines for p in line.polylines]
    if not polylines:
        return []
    ys = np.concatenate([p[:, 1] for p in polylines])
    shift = min(0.0, page.height - page.margin - float(ys.max()))
    if float(ys.min()) + shift < page.margin:
        raise LetterError(
            f"the address is too tall for the {page.width:.0f}x{page.height:.0f} px "
            "envelope: use a smaller --size or fewer lines"
        )
    return [p + [0.0, shift] for p in polylines]


def off_page(polylines: list[np.ndarray], page: Page, tolerance: float = 0.5) -> str | None:
    """What ink lies outside the page's margins, or None when all is inside."""
    if not polylines:
        return None
    pts = np.concatenate(polylines)
    lo = page.margin - tolerance
    hi = np.array([page.width, page.height]) - lo
    outside = (pts < lo).any(axis=1) | (pts > hi).any(axis=1)
    if not outside.any():
        return None
    x, y = pts[outside][0]
    return f"ink at ({x:.0f}, {y:.0f}) px lies outside the page's margins"


def write_letter(
    pages: list[list[np.ndarray]],
    first: Path,
    save: Callable[[list[np.ndarray], Path], None],
    stale: list[Path],
) -> list[Path]:
    """Write every page (atomically, by ``save``), the first page last, and remove the
    pages of an earlier version of the letter beyond the new last page."""
    paths = [page_path(first, k) for k in range(1, len(pages) + 1)]
    first.parent.mkdir(parents=True, exist_ok=True)
    for polylines, path in reversed(list(zip(pages, paths))[1:]):
        save(polylines, path)
    for path in stale:
        if path not in paths:
            path.unlink(missing_ok=True)
    save(pages[0] if pages else [], first)
    return paths


__all__ = [
    "ENVELOPES",
    "LetterError",
    "OutPattern",
    "OutputError",
    "Page",
    "Row",
    "check_outputs",
    "fill",
    "letter_seed",
    "off_page",
    "paginate",
    "place_envelope",
    "placeholders",
    "plan",
    "read_rows",
    "write_letter",
]
