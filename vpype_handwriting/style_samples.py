"""A user's own handwriting as a style sample: one line drawn in an SVG, read as polylines
and normalized like the training data (``vpype-handwriting styles add``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import strokes
from .config import ModelConfig
from .styles import (
    MAX_STYLE_CHARS,
    MAX_STYLE_POINTS,
    MIN_STYLE_POINTS,
    StyleError,
    check_sample,
    check_text,
    one_line,
)

#: Bytes of an SVG given to ``styles add``: one handwritten line needs far less.
MAX_SVG_BYTES = 5 * 2**20


def read_svg_polylines(path: Path) -> list[np.ndarray]:
    """Every path of an SVG as a polyline (document order = writing order), y down."""
    import vpype as vp

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise StyleError(f"cannot read {path}: {exc.strerror or exc}") from None
    if size == 0:
        raise StyleError(f"{path} is empty: export the handwriting as SVG")
    if size > MAX_SVG_BYTES:
        raise StyleError(
            f"{path} is larger than {MAX_SVG_BYTES // 2**20} MB: export one handwritten line "
            "as plain vector paths"
        )
    try:
        doc = vp.read_multilayer_svg(str(path), quantization=0.5)
    except Exception as exc:  # vpype/svgelements raise many kinds on bad files
        raise StyleError(f"cannot read {path} as SVG: {one_line(exc)}") from None
    lines = [
        np.stack([line.real, line.imag], 1) for layer in doc.layers.values() for line in layer
    ]
    if not lines:
        raise StyleError(f"{path} holds no paths: draw the handwriting as vector lines")
    return lines


def _checked_polylines(polylines: list[np.ndarray], text: str) -> list[np.ndarray]:
    """The drawn polylines of ``text`` as (N, 2) float arrays, or a :class:`StyleError`."""
    polylines = [np.asarray(p, dtype=np.float64)[:, :2] for p in polylines if len(p)]
    if len(polylines) > MAX_STYLE_POINTS:
        raise StyleError(
            f"the sample has {len(polylines):,} strokes, more than {MAX_STYLE_POINTS:,}: "
            f"write a shorter sample: one line of at most {MAX_STYLE_CHARS} characters"
        )
    if sum(len(p) for p in polylines) < MIN_STYLE_POINTS or len(text) < 3:
        raise StyleError("the sample is too short: write at least a few words")
    if not all(np.isfinite(p).all() for p in polylines):
        raise StyleError("the drawing has coordinates that are not numbers")
    return polylines


def sample_from_polylines(
    polylines: list[np.ndarray], text: str, config: ModelConfig
) -> np.ndarray:
    """A user's handwritten line (polylines in writing order, y down, any units) → offsets
    normalized like the training data, or a :class:`StyleError` saying what is wrong."""
    text = check_text(text)
    bad = sorted({c for c in text if c not in config.alphabet})
    if bad:
        raise StyleError(f"the text has characters the model lacks: {''.join(bad)!r}")
    polylines = _checked_polylines(polylines, text)
    pts = np.vstack(polylines)
    center = pts.mean(axis=0)
    slope = np.polyfit(pts[:, 0], pts[:, 1], 1)[0] if np.ptp(pts[:, 0]) > 0 else 0.0
    angle = -np.arctan(slope)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    polylines = [(p - center) @ rot.T for p in polylines]
    height = strokes.x_height(strokes.straighten(polylines))
    if not height > 0:
        raise StyleError(
            "no letter shapes found in the sample: is it handwriting, in one line?"
        )
    # The window advances ~1/kappa_scale of a character per point, so the sample must have
    # the training data's points per character: scale its pen path to kappa_scale steps of
    # ~1 unit per character, then resample at 1 unit.
    arc = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in polylines if len(p) > 1)
    scale = config.kappa_scale * len(text) / max(arc, 1e-9)
    polylines = [strokes.resample(p * scale, 1.0) for p in polylines]
    ratio = height * scale / config.x_height
    if not 0.4 <= ratio <= 2.5:
        raise StyleError(
            f"the letters come out {ratio:.1f}x the usual size for this much text: does the "
            "text match the handwriting, in one line?"
        )
    offsets = strokes.polylines_to_offsets(polylines)
    offsets[0, :2] = 0.0
    check_sample(text, offsets)
    return offsets.astype(np.float32)
