"""``vpype-handwriting inspect``: the attention window and the mixture density of one
written line, drawn to a PNG."""

from __future__ import annotations

from pathlib import Path

import click

from .group import cli, fail
from .options import bias_option, style_option, weights_option


@cli.command()
@click.argument("text")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("inspect.png"),
    show_default=True,
    help="PNG to write.",
)
@weights_option()
@bias_option()
@click.option("--seed", type=int, default=0, show_default=True)
@style_option()
def inspect(
    text: str, out: Path, weights: Path | None, bias: float, seed: int, style: str
) -> None:
    """Draw the attention window and the mixture density of one written line.

    Example: vpype-handwriting inspect "Dear Tom" --out inspect.png
    """
    from ..numpy_net import NumpyNet
    from ..render import render_inspection
    from ..sampling import SampleOptions, replay
    from ..specimen import check_output
    from ..writer import Handwriter

    try:
        check_output(out, (".png",))  # before sampling: the folder, matplotlib
        writer = Handwriter.load(
            weights, "cpu", style=style, sample=SampleOptions(bias=bias, seed=seed)
        )
        (line,) = writer.sample_texts([writer.prepare_text(text)])
        assert isinstance(writer.model, NumpyNet)  # loaded for the CPU above
        render_inspection(line, replay(writer.model, line, writer.sample.prime), out)
    except (ValueError, RuntimeError, OSError) as exc:
        fail(exc)
    state = f"FAILED: {line.failure}" if line.failure else "ok"
    click.echo(f"{len(line.offsets)} points, {line.attempts} attempt(s), {state}; wrote {out}")
    if line.legibility is not None:
        click.echo(f"checker reads {line.reading!r} ({line.legibility:.3f} nats/character)")
        if line.weakest >= 0:
            click.echo(
                f"its weakest letter, {line.text[line.weakest]!r} (character "
                f"{line.weakest + 1}), reads {line.margin:.2f} nats surer than any other"
                + (" (below the checker's min_margin)" if line.weak else "")
            )
