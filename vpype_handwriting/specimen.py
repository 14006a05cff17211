"""Specimen sheet: every style (and the plain model) writing the same sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .layout import PITCH, LayoutOptions
from .sampling import SampleOptions
from .styles import list_styles
from .writer import Handwriter

SIZE = 2.5 * 96 / 25.4  # 2.5 mm x-height, in CSS pixels
ROW_GAP = 1.6  # from a row's last baseline to the next row's first, in line pitches


def specimen_sheet(
    out: Path, text: str, weights: Path | None, bias: float, seed: int
) -> list[np.ndarray]:
    """Write ``text`` once per style (plus the model's own hand) and save SVG or PNG.

    A row that wraps (a text longer than the model writes in one line) pushes the rows
    after it down, so no two rows overlap."""
    polylines: list[np.ndarray] = []
    rows = [None] + [s.name for s in list_styles()]
    base = Handwriter.load(weights, "cpu")
    y = 0.0
    for name in rows:
        writer = Handwriter(base.model, SampleOptions(bias=bias, seed=seed))
        if name is not None:
            from .styles import load_style

            writer.sample.prime = load_style(name, writer.alphabet)
        label = "model" if name is None else f"style {name}"
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
