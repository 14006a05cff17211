"""The pen strokes of the letters and signs the network never learned (``ß æ œ``, ``@ € £ $
% # ...``), as a writer draws them: each stroke in writing order, x right and y up in
x-heights from the glyph's left edge on the baseline. ``glyphs.py`` places them in a line.

A ``curve`` stroke is drawn smoothly through its points; a ``line`` stroke is straight
between them, with its corners kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Height of a capital in x-heights (IAM-OnDB writers' capitals stand about twice their
#: lowercase body).
CAP = 1.9


@dataclass(frozen=True)
class Glyph:
    """A sign's width (x-heights) and its strokes: (``curve`` or ``line``, points); ``lean``:
    how much of the hand's slant it takes (a bar ``|`` stands nearly upright, or it reads
    as ``/``)."""

    width: float
    strokes: tuple[tuple[str, np.ndarray], ...]
    lean: float = 1.0


def arc(
    cx: float, cy: float, rx: float, ry: float, start: float, stop: float
) -> list[tuple[float, float]]:
    """Points of an ellipse from angle ``start`` to ``stop`` (degrees, counter-clockwise
    from the right, y up), one every 15 degrees."""
    steps = max(2, int(abs(stop - start) / 15) + 1)
    angles = np.radians(np.linspace(start, stop, steps))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


def _glyph(
    width: float, *strokes: tuple[str, list[tuple[float, float]]], lean: float = 1.0
) -> Glyph:
    return Glyph(
        width, tuple((kind, np.asarray(pts, dtype=np.float64)) for kind, pts in strokes), lean
    )


def _mirror(glyph: Glyph) -> Glyph:
    """The glyph flipped left to right (``>`` from ``<``), each stroke still drawn forward."""
    flipped = [
        (kind, np.stack([glyph.width - pts[:, 0], pts[:, 1]], 1))
        for kind, pts in glyph.strokes
    ]
    return Glyph(glyph.width, tuple(flipped), glyph.lean)


SHAPES: dict[str, Glyph] = {
    "@": _glyph(
        1.6,
        ("curve", arc(0.72, 0.5, 0.3, 0.36, 25, 385)
         + [(1.0, 0.3), (1.05, 0.12), (1.25, 0.1), (1.45, 0.3), (1.55, 0.62)]
         + arc(0.8, 0.6, 0.78, 0.85, 10, 295)),
    ),
    "\u20ac": _glyph(  # €
        1.4,
        ("curve", arc(0.78, 0.9, 0.62, 0.92, 55, 305)),
        ("line", [(0.0, 1.1), (0.95, 1.12)]),
        ("line", [(0.0, 0.72), (0.85, 0.74)]),
    ),
    "\u00a3": _glyph(  # £
        1.3,
        ("curve", [(1.1, 1.5), (1.0, 1.78), (0.75, 1.88), (0.5, 1.72), (0.42, 1.35),
                   (0.45, 0.85), (0.38, 0.4), (0.2, 0.08), (0.05, 0.05), (0.12, 0.18),
                   (0.4, 0.15), (0.75, 0.02), (1.1, 0.05), (1.25, 0.2)]),
        ("line", [(0.1, 0.85), (0.85, 0.87)]),
    ),
    "$": _glyph(
        1.1,
        ("curve", [(1.0, 1.45), (0.85, 1.62), (0.55, 1.68), (0.25, 1.55), (0.18, 1.25),
                   (0.4, 1.0), (0.75, 0.85), (0.98, 0.6), (0.92, 0.25), (0.6, 0.03),
                   (0.3, 0.05), (0.05, 0.25)]),
        ("line", [(0.6, 1.95), (0.5, -0.25)]),
    ),
    "%": _glyph(
        1.25,
        ("curve", arc(0.28, 1.45, 0.22, 0.3, 90, 450)),
        ("line", [(1.15, 1.85), (0.1, -0.05)]),
        ("curve", arc(1.0, 0.35, 0.22, 0.3, 90, 450)),
    ),
    "&": _glyph(
        1.2,
        ("curve", [(1.15, 0.05), (0.8, 0.45), (0.45, 1.0), (0.3, 1.35), (0.38, 1.7),
                   (0.6, 1.8), (0.78, 1.6), (0.65, 1.3), (0.3, 1.0), (0.05, 0.6),
                   (0.05, 0.2), (0.3, 0.0), (0.65, 0.1), (0.95, 0.45), (1.1, 0.75)]),
    ),
    "#": _glyph(
        1.25,
        ("line", [(0.48, 1.65), (0.32, 0.05)]),
        ("line", [(0.98, 1.65), (0.82, 0.05)]),
        ("line", [(0.05, 1.15), (1.25, 1.17)]),
        ("line", [(0.0, 0.55), (1.2, 0.57)]),
    ),
    "*": _glyph(
        0.9,
        ("line", [(0.45, 1.8), (0.45, 1.0)]),
        ("line", [(0.1, 1.6), (0.8, 1.2)]),
        ("line", [(0.8, 1.6), (0.1, 1.2)]),
    ),
    "+": _glyph(1.0, ("line", [(0.5, 1.4), (0.48, 0.2)]), ("line", [(0.0, 0.8), (1.0, 0.82)])),
    "=": _glyph(
        1.0, ("line", [(0.0, 1.0), (0.95, 1.02)]), ("line", [(0.0, 0.52), (0.95, 0.54)])
    ),
    "\\": _glyph(0.85, ("line", [(0.0, 1.85), (0.85, -0.1)])),
    "/": _glyph(0.85, ("line", [(0.85, 1.85), (0.0, -0.1)])),
    "<": _glyph(0.9, ("line", [(0.9, 1.3), (0.0, 0.72), (0.9, 0.12)])),
    "~": _glyph(1.0, ("curve", [(0.0, 0.6), (0.22, 0.87), (0.48, 0.77), (0.72, 0.6),
                                (0.98, 0.85)])),
    "_": _glyph(1.2, ("line", [(0.0, -0.25), (1.2, -0.25)])),
    "|": _glyph(0.2, ("line", [(0.1, 2.05), (0.1, -0.5)]), lean=0.0),
    "\u00b0": _glyph(0.45, ("curve", arc(0.22, 1.62, 0.18, 0.22, 90, 450))),  # °
    "\u00a7": _glyph(  # §
        0.95,
        ("curve", [(0.8, 1.75), (0.6, 1.92), (0.3, 1.88), (0.15, 1.62), (0.35, 1.4),
                   (0.7, 1.2), (0.85, 0.95), (0.7, 0.72), (0.45, 0.62)]),
        ("curve", [(0.4, 1.3), (0.15, 1.1), (0.15, 0.85), (0.45, 0.65), (0.75, 0.45),
                   (0.85, 0.2), (0.6, -0.02), (0.3, -0.02), (0.08, 0.15)]),
    ),
    "[": _glyph(0.5, ("line", [(0.45, 1.95), (0.12, 1.95), (0.1, -0.35), (0.45, -0.35)])),
    "\u00d7": _glyph(  # ×
        0.8, ("line", [(0.05, 0.85), (0.75, 0.15)]), ("line", [(0.75, 0.85), (0.05, 0.15)])
    ),
    "\u00df": _glyph(  # ß
        1.05,
        ("curve", [(0.12, 0.0), (0.12, 0.6), (0.14, 1.3), (0.3, 1.75), (0.55, 1.9),
                   (0.82, 1.75), (0.85, 1.45), (0.6, 1.2), (0.45, 1.1), (0.8, 0.95),
                   (1.0, 0.6), (0.92, 0.2), (0.65, 0.0), (0.4, 0.08)]),
    ),
    "\u00e6": _glyph(  # æ: an a (its bowl, its stem down to a foot) joined to an e
        1.45,
        ("curve", arc(0.3, 0.42, 0.24, 0.38, 25, 385)
         + [(0.6, 0.9), (0.6, 0.45), (0.62, 0.1), (0.72, 0.0), (0.84, 0.12), (0.86, 0.4),
            (1.22, 0.56), (1.22, 0.9), (1.02, 0.97), (0.86, 0.72), (0.88, 0.25), (1.1, 0.0),
            (1.42, 0.12)]),
    ),
    "\u0153": _glyph(  # œ: an o joined to an e
        1.35,
        ("curve", arc(0.38, 0.48, 0.35, 0.48, 30, 390)
         + [(0.72, 0.5), (1.15, 0.6), (1.12, 0.92), (0.9, 0.96), (0.74, 0.65), (0.78, 0.2),
            (1.0, 0.0), (1.3, 0.12)]),
    ),
    "\u00c6": _glyph(  # Æ
        1.6,
        ("line", [(0.0, 0.0), (0.8, CAP - 0.05), (1.6, CAP - 0.05)]),
        ("line", [(0.8, CAP - 0.05), (0.78, 0.0), (1.6, 0.02)]),
        ("line", [(0.38, 0.85), (1.4, 0.9)]),
    ),
    "\u0152": _glyph(  # Œ
        1.65,
        ("curve", [(1.6, 1.85), (0.9, 1.86)] + arc(0.85, 0.93, 0.8, 0.93, 95, 265)
         + [(0.9, 0.0), (1.6, 0.02)]),
        ("line", [(0.9, 1.85), (0.9, 0.0)]),
        ("line", [(0.9, 0.95), (1.45, 0.97)]),
    ),
}  # fmt: skip
SHAPES[">"] = _mirror(SHAPES["<"])
SHAPES["]"] = _mirror(SHAPES["["])
SHAPES["\u1e9e"] = SHAPES["\u00df"]  # ẞ, the capital, as writers draw it
