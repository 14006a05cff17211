"""``vpype-handwriting letters``: the command's work, kept apart from its option list."""

from __future__ import annotations

import logging
import shlex
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np
import vpype as vp

from .. import defaults
from .tools import bias_option, check_option, cli, weights_option

logger = logging.getLogger(__name__)


def _length(value: str, name: str) -> float:
    try:
        return float(vp.convert_length(value))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a length", param_hint=name) from None


def _page(value: str, name: str) -> tuple[float, float]:
    try:
        return tuple(vp.convert_page_size(value))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a page size", param_hint=name) from None


def _saver(page_size: tuple[float, float], pipeline: str):
    def save(polylines: list[np.ndarray], path: Path) -> None:
        doc = vp.Document(page_size=page_size)
        doc.add(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in polylines]), 1)
        if pipeline.strip() or path.suffix.lower() != ".svg":
            import vpype_cli

            vpype_cli.execute(f"{pipeline} write {shlex.quote(str(path))}", document=doc)
        else:
            with open(path, "w") as fh:
                vp.write_svg(fh, doc)

    return save


def _geometry(kw: dict[str, Any]):
    from ..layout import LayoutOptions
    from ..letters import ENVELOPES, Page

    size = _length(kw["size"], "--size")
    if kw["envelope"]:
        key = kw["envelope"].upper()
        if key in ENVELOPES:
            w, h = (v * 96 / 25.4 for v in ENVELOPES[key])
        else:
            w, h = _page(kw["envelope"], "--envelope")
        page = Page(w, h, 0.1 * h)
        opts = LayoutOptions(
            size=size, position=(0.45 * w, 0.5 * h), line_spacing=kw["line_spacing"]
        )
        return page, opts
    w, h = _page(kw["page"], "--page")
    margin = _length(kw["margin"], "--margin")
    wrap = _length(kw["wrap"], "--wrap") if kw["wrap"] else w - 2 * margin
    if wrap <= 0 or wrap > w:
        raise click.BadParameter("does not fit the page", param_hint="--wrap/--margin")
    page = Page(w, h, margin)
    opts = LayoutOptions(
        size=size,
        wrap=wrap,
        align=kw["align"],
        position=(margin, margin + 2.0 * size),
        line_spacing=kw["line_spacing"],
    )
    return page, opts


def run_letters(
    template: Path, source: tuple[Path, str], out_pattern: str, kw: dict[str, Any]
) -> int:
    """Plan, check, write; returns the number of rows that failed."""
    from tqdm import tqdm

    from ..letters import (
        BatchSampler,
        LetterError,
        check_outputs,
        layout_letters,
        plan,
        read_rows,
        write_letter,
    )
    from ..sampling import SampleOptions
    from ..styles import StyleError, load_style
    from ..weights import WeightsError
    from ..writer import Handwriter

    page, opts = _geometry(kw)
    try:
        writer = Handwriter.load(
            kw["weights"],
            kw["device"],
            check=kw["check"],
            sample=SampleOptions(bias=kw["bias"], seed=kw["seed"]),
        )
        writer.sample.prime = load_style(kw["style"], writer.alphabet)
        rows, warnings = plan(
            template.read_text(encoding="utf-8"),
            out_pattern,
            read_rows(*source),
            writer.alphabet,
            kw["unknown"],
        )
        todo = check_outputs(rows, kw["overwrite"], kw["resume"])
    except (LetterError, StyleError, WeightsError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    failed = [r for r in rows if r.error is not None]
    for row in failed:
        click.echo(f"row {row.number}: skipped: {row.error}", err=True)
    skipped = sum(1 for r in rows if r.error is None) - len(todo)
    if skipped:
        click.echo(f"{skipped} letter(s) already written, skipped (--resume)", err=True)
    save = _saver((page.width, page.height), kw["pipeline"])
    sampler = BatchSampler(writer.sample_texts)
    bar = tqdm(total=len(todo), unit="letter", disable=None)
    for row, result in layout_letters(
        todo, sampler, writer.calibration(), opts, kw["batch_lines"]
    ):
        if isinstance(result, str):
            row.error = result
            failed.append(row)
            click.echo(f"row {row.number}: failed: {result}", err=True)
        else:
            row.paths = write_letter(result, page, opts, row.paths[0], save)
        bar.update(1)
    bar.close()
    written = sum(1 for r in todo if r.error is None)
    click.echo(f"wrote {written} letter(s); {len(failed)} row(s) failed", err=True)
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
    help="Output file pattern, e.g. 'out/{last_name}-{first_name}.svg'.",
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
@click.option("--line-spacing", type=float, default=1.0, show_default=True)
@click.option(
    "--envelope",
    default=None,
    help="Write the address side of an envelope instead: DL, C4, C5, C6, 10 or WxH.",
)
@click.option(
    "--style",
    default=defaults.STYLE,
    show_default=True,
    help="Built-in style number, your style's name, or 'none'.",
)
@bias_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--pipeline",
    default="",
    help="vpype commands run on each page before writing, e.g. 'linemerge linesort'.",
)
@click.option(
    "--batch-lines",
    type=click.IntRange(1, 1024),
    default=64,
    show_default=True,
    help="Lines of several letters sampled together.",
)
@click.option("--resume", is_flag=True, help="Skip letters whose file already exists.")
@click.option("--overwrite", is_flag=True, help="Replace existing files.")
@click.option(
    "--unknown",
    type=click.Choice(["error", "skip", "replace"]),
    default="error",
    show_default=True,
)
@weights_option
@check_option
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True
)
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
    failed = run_letters(template, sources[0], out_pattern, kw)
    if failed:
        sys.exit(1)
