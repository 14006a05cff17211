"""Specimen sheet: every style (and the plain model) writing the same sentence."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import limits
from .layout import PITCH, LayoutOptions
from .sampling import SampleOptions
from .styles import list_styles
from .writer import Handwriter

logger = logging.getLogger(__name__)

SIZE = 2.5 * 96 / 25.4  # 2.5 mm x-height, in CSS pixels
ROW_GAP = 1.6  # from a row's last baseline to the next row's first, in line pitches
#: Characters of the specimen sentence: it is written once per style (eleven rows with the
#: shipped weights), so a page of text would take minutes.
MAX_SPECIMEN_CHARS = 300


class OutputError(ValueError):
    """The picture cannot be written where or as asked."""


def check_output(out: Path, kinds: Sequence[str] = (".svg", ".png")) -> None:
    """Raise an :class:`OutputError` before any sampling when ``out`` cannot be written:
    a kind of file other than ``kinds``, a folder that does not exist, or a PNG without
    matplotlib."""
    suffix = out.suffix.lower()
    if suffix not in kinds:
        raise OutputError(f"{out}: the picture is written as {' or '.join(kinds)}")
    folder = out.parent
    if not folder.is_dir():
        raise OutputError(f"folder {folder} does not exist: create it or write elsewhere")
    if suffix == ".png":
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise OutputError(
                "PNG output needs matplotlib: pip install 'vpype-handwriting[plot]' "
                "(or write an .svg)"
            ) from None


def specimen_sheet(
    out: Path, text: str, weights: Path | None, bias: float, seed: int
) -> list[np.ndarray]:
    """Write ``text`` once per style (plus the model's own hand) and save SVG or PNG.

    A row that wraps (a text longer than the model writes in one line) pushes the rows
    after it down, so no two rows overlap. Every input is checked before any sampling
    (:class:`OutputError`, :class:`~vpype_handwriting.limits.LimitError`); a style that is
    damaged or uses characters the model lacks is left out with a warning."""
    check_output(out)
    limits.sampling(bias, seed)
    if len(text) > MAX_SPECIMEN_CHARS:
        raise limits.LimitError(
            "text", f"the text has {len(text)} characters, more than {MAX_SPECIMEN_CHARS}"
        )
    base = Handwriter.load(weights, "cpu")
    rows: list[tuple[str, SampleOptions]] = [("model", SampleOptions(bias=bias, seed=seed))]
    for style in list_styles():
        missing = style.missing(base.alphabet)
        if missing:
            logger.warning("style %s left out: the model lacks %r", style.name, missing)
            continue
        opts = SampleOptions(bias=bias, seed=seed, prime=style.prime())
        rows.append((f"style {style.name}", opts))
    polylines: list[np.ndarray] = []
    y = 0.0
    for label, opts in rows:
        writer = Handwriter(base.model, opts)
        lines = writer.write(f"{label}: {text}", LayoutOptions(size=SIZE, position=(0.0, y)))
        polylines += [p for line in lines for p in line.polylines]
        y = max((line.baseline for line in lines), default=y) + ROW_GAP * PITCH * SIZE
    if out.suffix.lower() == ".png":
        from .render import render_png

        render_png(polylines, out)
    else:
        import vpype as vp

        doc = vp.Document(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in polylines]))
        with open(out, "w") as fh:
            vp.write_svg(fh, doc)
    return polylines
