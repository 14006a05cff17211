"""The ``handwrite`` vpype generator."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import click
import vpype as vp
import vpype_cli
from vpype_cli import ChoiceType, FloatType, IntegerType, LengthType, PathType, TextType

from .. import defaults
from .options import (
    bias_option,
    check_option,
    device_option,
    option_name,
    style_option,
    unknown_option,
    weights_option,
)

if TYPE_CHECKING:  # torch is imported only when the command runs
    from ..layout import LayoutOptions
    from ..writer import Handwriter

logger = logging.getLogger(__name__)
NO_TEXT = "\x00no-text"  # stands in for TEXT when --file gives the text


class FileAwareCommand(click.Command):
    """With ``--file``, TEXT is absent: don't let it swallow the next pipeline command.

    In a chained vpype pipeline an optional positional argument takes the next token, so
    ``handwrite --file letter.txt layout a4`` would read "layout" as the text. A placeholder
    is slipped in where TEXT would stand, after the last option.
    """

    help_group: str  # where ``vpype --help`` lists the command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes = {
            name: (0 if p.is_flag else p.nargs)
            for p in self.params
            if isinstance(p, click.Option)
            for name in p.opts + p.secondary_opts
        }
        args = list(args)
        i, has_file = 0, False
        while i < len(args) and args[i].startswith("-") and args[i] != "-":
            name, _, value = args[i].partition("=")
            has_file = has_file or name in ("-f", "--file")
            i += 1 + (0 if value else takes.get(name, 0))
        if has_file:  # where TEXT would stand: after all the options
            args.insert(i, NO_TEXT)
        return super().parse_args(ctx, args)


def _read_text(text: str | None, file: str | None) -> str:
    if text == NO_TEXT:
        text = None
    if file is not None and text is not None:
        raise click.UsageError("handwrite: give the text or --file, not both")
    if file is None:
        if text is None:
            raise click.UsageError("handwrite: no text given (pass TEXT or --file PATH)")
        return text.replace("\\n", "\n")
    from ..files import FileError, read_text
    from ..limits import MAX_TEXT_BYTES

    try:
        return read_text(file, MAX_TEXT_BYTES)
    except FileError as exc:
        raise click.BadParameter(str(exc), param_hint="--file") from None


@click.command(cls=FileAwareCommand)
@click.argument("text", type=TextType(), required=False)
@click.option(
    "-f",
    "--file",
    type=PathType(dir_okay=False, allow_dash=True),
    default=None,
    help="Read the text from this file ('-' for stdin) instead of TEXT.",
)
@click.option(
    "-s",
    "--size",
    type=LengthType(),
    default=defaults.SIZE,
    help=f"x-height: height of lowercase letters such as 'x' (default: {defaults.SIZE}).",
)
@click.option(
    "-w",
    "--wrap",
    type=LengthType(),
    default=None,
    help="Wrap at word boundaries so no written line is wider than this.",
)
@click.option(
    "-a",
    "--align",
    type=ChoiceType(["left", "center", "right"]),
    default="left",
    help="Alignment with respect to --position, or inside --wrap (default: left).",
)
@click.option(
    "-j",
    "--justify",
    is_flag=True,
    help="Stretch the word gaps of wrapped lines to the full --wrap width.",
)
@click.option(
    "-p",
    "--position",
    nargs=2,
    type=LengthType(),
    default=[0, 0],
    help="Start of the first line's baseline (default: 0 0).",
)
@click.option(
    "--line-spacing",
    type=FloatType(),
    default=1.0,
    help="Baseline distance in units of 3.2 x-heights, 0.1 to 10 (default: 1.0).",
)
@bias_option(vpype=True)
@click.option(
    "--seed",
    type=IntegerType(),
    default=None,
    help="Random seed, 0 to 4294967295 (default: from vpype's global -s/--seed).",
)
@style_option(vpype=True)
@unknown_option(vpype=True)
@click.option(
    "--smooth",
    type=IntegerType(),
    default=2,
    help="Curve smoothing passes, 0 to 6; 0 keeps the raw pen points (default: 2).",
)
@device_option(vpype=True)
@weights_option(vpype=True)
@check_option()
@vpype_cli.generator
def handwrite(
    text: str | None,
    file: str | None,
    size: float,
    wrap: float | None,
    align: str,
    justify: bool,
    position: tuple[float, float],
    line_spacing: float,
    bias: float,
    seed: int | None,
    style: str,
    unknown: str,
    smooth: int,
    device: str,
    weights: str | None,
    check: bool,
    thorough: bool,
) -> vp.LineCollection:
    """Write text in realistic human handwriting.

    A handwriting-synthesis network (Graves 2013) writes the text pen stroke by pen stroke,
    all lines of the text at once. Newlines start new lines, blank lines separate
    paragraphs; lines are split at word boundaries when they are longer than the model
    writes in one go or, with --wrap, wider than the given width.

    The options come before the text in a vpype pipeline.

    Examples:

    \b
        vpype handwrite "Dear Tom" layout a4 write out.svg
        vpype handwrite --size 3mm --wrap 16cm --file letter.txt layout a4 write out.svg
        vpype -s 7 handwrite --bias 1.0 --style 3 "Thank you!" linemerge write card.svg
    """
    if justify and not wrap:
        raise click.UsageError("handwrite: --justify needs --wrap")
    if thorough and not check:
        raise click.UsageError("handwrite: --thorough needs the checker: drop --no-check")
    from ..layout import LayoutError, LayoutOptions, check_options
    from ..limits import LimitError, sampling

    layout = LayoutOptions(
        size=size,
        wrap=wrap,
        align=align,
        justify=justify,
        position=(position[0], position[1]),
        line_spacing=line_spacing,
        smooth=smooth,
    )
    try:
        check_options(layout)
        sampling(bias, seed)
    except LimitError as exc:
        raise click.BadParameter(str(exc), param_hint=option_name(exc.option)) from None
    except LayoutError as exc:
        raise click.UsageError(f"handwrite: {exc}") from None
    writer = _writer(weights, device, bias, seed, style, unknown, check, thorough)
    return _to_collection(writer, _read_text(text, file), layout)


#: ``vpype --help`` lists the commands by group: ``handwrite`` beside vpype's own ``text``.
handwrite.help_group = "Text"


def _writer(
    weights: str | None,
    device: str,
    bias: float,
    seed: int | None,
    style: str,
    unknown: str,
    check: bool = True,
    thorough: bool = False,
) -> Handwriter:
    import numpy as np

    from ..sampling import THOROUGH, SampleOptions
    from ..styles import StyleError
    from ..weights import WeightsError
    from ..writer import Handwriter

    if seed is None:  # vpype's global -s/--seed seeds numpy's global RNG
        seed = int(np.random.randint(2**31))
    try:
        return Handwriter.load(
            weights,
            device,
            check=check,
            style=style,
            unknown=unknown,
            sample=SampleOptions(bias=bias, seed=seed, **(THOROUGH if thorough else {})),
        )
    except WeightsError as exc:
        raise click.BadParameter(str(exc), param_hint="--weights") from None
    except StyleError as exc:
        raise click.BadParameter(str(exc), param_hint="--style") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--device") from None


def _to_collection(
    writer: Handwriter, content: str, layout: LayoutOptions
) -> vp.LineCollection:
    from ..alphabet import EmptyTextError, TextTooLongError, UnknownCharacterError, describe
    from ..layout import LayoutError

    try:
        lines = writer.write(content, layout)
    except (EmptyTextError, UnknownCharacterError, TextTooLongError, LayoutError) as exc:
        raise click.UsageError(f"handwrite: {exc}") from None
    if writer.changes:
        logger.warning("handwrite: written as the model can: %s", describe(writer.changes))
    lc = vp.LineCollection()
    for line in lines:
        for poly in line.polylines:
            lc.append(poly[:, 0] + 1j * poly[:, 1])
    if writer.failed:
        logger.warning(
            "handwrite: %d line(s) still looked wrong after resampling", len(writer.failed)
        )
    return lc
