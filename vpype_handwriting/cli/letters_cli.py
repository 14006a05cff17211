"""``vpype-handwriting letters``: the command's work, kept apart from its option list."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click
import vpype as vp

from .. import defaults
from ..limits import MAX_SEED
from .group import cli
from .options import (
    bias_option,
    check_option,
    device_option,
    option_name,
    style_option,
    unknown_option,
    weights_option,
)

logger = logging.getLogger(__name__)


#: ``--jobs`` when not given: one process per core, but no more than this (each holds a
#: model and a page in memory).
MAX_DEFAULT_JOBS = 8


def default_jobs() -> int:
    """One per core this process may run on, up to :data:`MAX_DEFAULT_JOBS`."""
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    )
    return max(1, min(MAX_DEFAULT_JOBS, cores or 1))


def _length(value: str, name: str) -> float:
    from ..limits import MAX_EXTENT, LimitError, number

    try:
        return number(name, float(vp.convert_length(value)), 0.0, MAX_EXTENT, length=True)
    except LimitError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a length", param_hint=name) from None


def _page(value: str, name: str) -> tuple[float, float]:
    from ..limits import MAX_EXTENT, LimitError, number

    try:
        w, h = vp.convert_page_size(value)
        return (number(name, w, 1.0, MAX_EXTENT, True), number(name, h, 1.0, MAX_EXTENT, True))
    except LimitError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a page size", param_hint=name) from None


def _shard(value: str) -> tuple[int, int]:
    """``K/N`` as (K, N), 1 <= K <= N."""
    k, _, n = value.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 1 <= int(k) <= int(n) <= 100_000:
        raise click.BadParameter(
            f"{value!r} is not K/N with 1 <= K <= N (e.g. 2/3)", param_hint="--shard"
        )
    return int(k), int(n)


def _pipeline(pipeline: str) -> str:
    """The user's own vpype commands, run on each page's document (never on a string
    holding values from the data); checked once on an empty page before any sampling."""
    if not pipeline.strip():
        return ""
    try:
        words = shlex.split(pipeline)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--pipeline") from None
    if "write" in words:
        raise click.BadParameter(
            "letters writes each page itself: leave 'write' out", param_hint="--pipeline"
        )
    import vpype_cli

    try:
        vpype_cli.execute(pipeline, document=vp.Document(page_size=(100.0, 100.0)))
    except (click.ClickException, ValueError) as exc:
        message = exc.format_message() if isinstance(exc, click.ClickException) else exc
        raise click.BadParameter(str(message), param_hint="--pipeline") from None
    return pipeline


def _geometry(kw: dict[str, Any]):
    from ..layout import LayoutError, LayoutOptions, check_options
    from ..letters import ENVELOPES, Page
    from ..limits import LimitError

    size = _length(kw["size"], "--size")
    wrap = _length(kw["wrap"], "--wrap") if kw["wrap"] else None
    if kw["envelope"]:
        key = kw["envelope"].upper()
        if key in ENVELOPES:
            w, h = (v * 96 / 25.4 for v in ENVELOPES[key])
        else:
            w, h = _page(kw["envelope"], "--envelope")
        page = Page(w, h, 0.1 * h, envelope=True)
        x = 0.45 * w if wrap is None else min(0.45 * w, w - page.margin - wrap)
        wrap = w - page.margin - x if wrap is None else wrap
        if x < page.margin:
            raise click.BadParameter("is wider than the envelope", param_hint="--wrap")
        position, align = (x, 0.5 * h), kw["align"]
    else:
        w, h = _page(kw["page"], "--page")
        margin = _length(kw["margin"], "--margin")
        if 2 * margin >= min(w, h):
            raise click.BadParameter("leaves no room on the page", param_hint="--margin")
        wrap = w - 2 * margin if wrap is None else wrap
        if wrap > w - 2 * margin:
            raise click.BadParameter(
                "is wider than the page less its margins", param_hint="--wrap"
            )
        page = Page(w, h, margin)
        position, align = (margin, margin + 2.0 * size), kw["align"]
    opts = LayoutOptions(
        size=size, wrap=wrap, align=align, position=position, line_spacing=kw["line_spacing"]
    )
    try:
        check_options(opts)
    except LimitError as exc:
        raise click.BadParameter(str(exc), param_hint=option_name(exc.option)) from None
    except LayoutError as exc:
        raise click.UsageError(f"letters: {exc}") from None
    return page, opts


def _plan(template: Path, source: tuple[Path, str], out_pattern: str, kw, writer):
    from ..files import read_text
    from ..letters import OutPattern, check_outputs, plan, read_rows
    from ..limits import MAX_TEXT_BYTES

    out = OutPattern(out_pattern)
    text = read_text(template, MAX_TEXT_BYTES, f"the template {template}")
    rows, warnings = plan(
        text, out, read_rows(*source), writer.alphabet, kw["unknown"], kw["seed"]
    )
    return out, rows, warnings, check_outputs(rows, kw["overwrite"], kw["resume"], kw["shard"])


def _write_all(todo, job, jobs: int, writer, failed, quiet: bool) -> int:
    """Write the letters (in ``jobs`` processes); returns how many were written."""
    from tqdm import tqdm

    from ..alphabet import describe
    from .letters_jobs import write_rows

    by_number = {row.number: row for row in todo}
    written = 0
    bar = tqdm(total=len(todo), unit="letter", disable=True if quiet else None)
    for outcome in write_rows(todo, job, jobs, writer):
        row = by_number[outcome.number]
        bar.update(1)
        bar.set_postfix_str(f"{60 * bar.n / max(bar.format_dict['elapsed'], 1e-9):.1f}/min")
        if outcome.fatal:
            bar.close()
            raise click.ClickException(f"{outcome.fatal} ({written} letter(s) written)")
        if outcome.error:
            row.error = outcome.error
            failed.append(row)
            click.echo(f"row {row.number}: failed: {outcome.error}", err=True)
            continue
        row.paths, written = outcome.paths or [], written + 1
        if row.changes:
            click.echo(
                f"row {row.number}: written as the model can: {describe(row.changes)}",
                err=True,
            )
    bar.close()
    return written


def run_letters(
    template: Path, source: tuple[Path, str], out_pattern: str, kw: dict[str, Any]
) -> int:
    """Plan, check, write; returns the number of rows that failed."""
    from ..files import FileError, folder_lock
    from ..letters import in_shard
    from ..limits import LimitError, sampling
    from .letters_jobs import Job, Saver, load_writer

    page, opts = _geometry(kw)
    job = Job(kw, page, opts, Saver((page.width, page.height), _pipeline(kw["pipeline"])))
    try:
        sampling(kw["bias"], kw["seed"])
    except LimitError as exc:
        raise click.BadParameter(str(exc), param_hint=option_name(exc.option)) from None
    try:
        writer = load_writer(kw)
        out, rows, warnings, todo = _plan(template, source, out_pattern, kw, writer)
    except (ValueError, OSError) as exc:  # the letters, files, style and weights errors
        raise click.ClickException(str(exc)) from None
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    k, n = kw["shard"]
    failed = [r for r in rows if r.error is not None and in_shard(r, kw["shard"])]
    for row in failed:
        click.echo(f"row {row.number}: skipped: {row.error}", err=True)
    mine = sum(1 for r in rows if r.error is None and in_shard(r, kw["shard"]))
    if mine - len(todo):
        click.echo(
            f"{mine - len(todo)} letter(s) already written, skipped (--resume)", err=True
        )
    try:
        with folder_lock(out.root, "letters", f"{k}of{n}" if n > 1 else ""):
            jobs = kw["jobs"] or default_jobs()
            written = _write_all(todo, job, jobs, writer, failed, kw["quiet"])
    except FileError as exc:
        raise click.ClickException(str(exc)) from None
    changed = sum(1 for r in todo if r.error is None and r.changes)
    click.echo(f"wrote {written} letter(s); {len(failed)} row(s) failed", err=True)
    if changed:
        click.echo(
            f"{changed} letter(s) had characters the model cannot write changed (see above)",
            err=True,
        )
    return len(failed)


@cli.command()
@click.argument("template", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recipients as CSV with a header row.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recipients as a JSON list of objects.",
)
@click.option(
    "--jsonl",
    "jsonl_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Recipients as JSON lines.",
)
@click.option(
    "--out",
    "out_pattern",
    required=True,
    help="Output .svg pattern, e.g. 'out/{last_name}-{first_name}.svg'. Values are made "
    "safe as file names, and every file stays inside the folder before the first {.",
)
@click.option("--page", default="a4", show_default=True, help="a4, letter, ... or WxH.")
@click.option("--margin", default="2cm", show_default=True)
@click.option(
    "--size", default=defaults.SIZE, show_default=True, help="x-height of the letters."
)
@click.option("--wrap", default=None, help="Line width (default: page width - 2 margins).")
@click.option(
    "--align",
    type=click.Choice(["left", "center", "right"]),
    default="left",
    show_default=True,
)
@click.option(
    "--line-spacing",
    type=float,
    default=1.0,
    show_default=True,
    help="Baseline distance in units of 3.2 x-heights, 0.1 to 10.",
)
@click.option(
    "--envelope",
    default=None,
    help="Write the address side of an envelope instead: DL, C4, C5, C6, 10 or WxH.",
)
@style_option()
@bias_option()
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=0,
    show_default=True,
    help="Run seed; each letter's own comes from it and the letter, so a letter is the "
    "same however the run is split or resumed.",
)
@click.option(
    "--pipeline",
    default="",
    help="vpype commands run on each page before writing, e.g. 'linemerge linesort'.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Skip finished letters (their first page exists); write the rest.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing files.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes writing letters at once [default: one per core, up to "
    f"{MAX_DEFAULT_JOBS}]; the files are the same whatever the number.",
)
@click.option(
    "--shard",
    type=str,
    default="1/1",
    callback=lambda ctx, param, value: _shard(value),
    show_default=True,
    help="K/N: write only rows K, K+N, K+2N, ... (one share of N, e.g. one machine's); "
    "the N shares together are the whole run, byte for byte.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@unknown_option()
@weights_option()
@check_option()
@device_option()
def letters(
    template: Path,
    csv_path: Path | None,
    json_path: Path | None,
    jsonl_path: Path | None,
    out_pattern: str,
    **kw,
) -> None:
    """Write one handwritten letter per row of a table, one file (or more pages) each.

    TEMPLATE is text with {column} placeholders, filled from each row; so is --out.

    Examples:

        vpype-handwriting letters letter.txt --csv people.csv --out 'out/{last_name}.svg'

        vpype-handwriting letters address.txt --csv people.csv --envelope DL \\
            --out 'env/{last_name}.svg' --pipeline "linemerge linesort"
    """
    sources = [
        (p, f)
        for p, f in ((csv_path, "csv"), (json_path, "json"), (jsonl_path, "jsonl"))
        if p is not None
    ]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of --csv, --json or --jsonl")
    if kw["thorough"] and not kw["check"]:
        raise click.UsageError("--thorough needs the checker: drop --no-check")
    failed = run_letters(template, sources[0], out_pattern, kw)
    if failed:
        sys.exit(1)
