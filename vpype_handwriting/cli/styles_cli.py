"""``vpype-handwriting styles``: list, add, remove and show the handwriting styles."""

from __future__ import annotations

from pathlib import Path

import click

from ..limits import MAX_SEED
from .group import cli, fail
from .options import bias_option, weights_option


@cli.group(invoke_without_command=True)
@click.pass_context
def styles(ctx: click.Context) -> None:
    """List the handwriting styles (built-in writers and your own).

    Examples:

        vpype-handwriting styles

        vpype-handwriting styles add mine --svg my-line.svg --text "the quick brown fox"

        vpype-handwriting styles specimen --out styles.png
    """
    if ctx.invoked_subcommand is not None:
        return
    from .. import styles as st

    found, damaged = st.scan_styles()
    if not found and not damaged:
        click.echo("no styles installed")
    for style in found:
        kind = "built-in" if style.builtin else "yours"
        click.echo(f"{style.name:>10}  {kind:8}  {style.text!r}  ({style.source})")
    for bad in damaged:
        click.echo(f"{bad.name:>10}  damaged   ({bad.problem}): {bad.fix}")


@styles.command("add")
@click.argument("name")
@click.option(
    "--svg",
    "svg",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="One handwritten line as vector paths, in writing order.",
)
@click.option("--text", required=True, help="What the sample says.")
@weights_option()
@click.option("--overwrite", is_flag=True, help="Replace a style of the same name.")
def styles_add(name: str, svg: Path, text: str, weights: Path | None, overwrite: bool) -> None:
    """Add your own handwriting as a style: one line drawn with a tablet or drawing app.

    Example: vpype-handwriting styles add mine --svg my-line.svg --text "the quick brown fox"
    """
    from .. import styles as st
    from ..config import ModelConfig
    from ..style_samples import read_svg_polylines, sample_from_polylines
    from ..weights import WeightsError, default_weights, read_meta

    try:  # the cheap checks first: the name, the text, the size of the SVG
        st.user_style_path(name, overwrite)
        text = st.check_text(text)
        config = ModelConfig.from_dict(read_meta(weights or default_weights())["config"])
        offsets = sample_from_polylines(read_svg_polylines(svg), text, config)
        path = st.save_user_style(name, text, offsets, f"from {svg.name}", overwrite)
    except (st.StyleError, WeightsError) as exc:
        fail(exc)
    click.echo(f"added style {name!r} ({len(offsets)} points) at {path}")
    click.echo(f'use it with: vpype handwrite --style {name} "Dear Tom" write out.svg')


@styles.command("remove")
@click.argument("name")
def styles_remove(name: str) -> None:
    """Delete one of your own styles."""
    from .. import styles as st

    try:
        st.remove_user_style(name)
    except st.StyleError as exc:
        fail(exc)
    click.echo(f"removed style {name!r}")


@styles.command("specimen")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("styles.png"),
    show_default=True,
    help="An .svg or .png file.",
)
@click.option(
    "--text", default="The quick brown fox jumps over the lazy dog.", show_default=True
)
@weights_option()
@bias_option()
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True)
def styles_specimen(
    out: Path, text: str, weights: Path | None, bias: float, seed: int
) -> None:
    """Every style writing the same sentence, one per line, to SVG or PNG.

    The output's folder must exist; PNG needs matplotlib (the ``plot`` extra).
    """
    from ..limits import LimitError
    from ..specimen import specimen_sheet

    try:
        specimen_sheet(out, text, weights, bias, seed)
    except LimitError as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.option}") from None
    except (ValueError, RuntimeError, OSError) as exc:
        fail(exc)
    click.echo(f"wrote {out}")
