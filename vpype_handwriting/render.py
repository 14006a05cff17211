"""PNG pictures of written lines and of the attention (matplotlib: the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "PNG output needs matplotlib: pip install 'vpype-handwriting[plot]'"
        ) from None
    return plt


def render_png(
    polylines: Sequence[np.ndarray],
    path: Path,
    width_px: int = 1600,
    line_width: float = 1.0,
    labels: Sequence[tuple[float, float, str]] = (),
) -> None:
    """Draw polylines (y down, any units) on white, cropped to the ink, as a PNG, with
    ``labels`` (x, y, text) written at those points of the drawing."""
    plt = _pyplot()
    pts = np.vstack(polylines)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    pad = 0.03 * max(x1 - x0, y1 - y0, 1e-9)
    w, h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    fig = plt.figure(figsize=(width_px / 100, max(width_px / 100 * h / w, 0.5)), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    for line in polylines:
        ax.plot(line[:, 0], line[:, 1], "k-", lw=line_width, solid_capstyle="round")
    for x, y, text in labels:
        ax.text(x, y, text, fontsize=8, va="center")
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y1 + pad, y0 - pad)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(path, facecolor="white")
    plt.close(fig)


def render_inspection(line, mixture: dict[str, np.ndarray], path: Path) -> None:
    """Graves-style diagnostic: the written line, the window weights over the characters
    against time, and the predicted next-point mixture along the line.

    ``line`` is a :class:`~vpype_handwriting.sampling.SampledLine`; ``mixture`` holds the
    per-step ``pi`` (T, M), ``mu`` (T, M, 2) and ``sigma`` (T, M, 2) in offset units.
    """
    plt = _pyplot()
    from matplotlib.patches import Ellipse

    from .strokes import offsets_to_polylines

    points = np.cumsum(line.offsets[:, :2], axis=0)
    fig, (ax_ink, ax_phi, ax_mix) = plt.subplots(
        3, 1, figsize=(14, 9), gridspec_kw={"height_ratios": [1, 1.3, 1]}
    )
    for poly in offsets_to_polylines(line.offsets):
        ax_ink.plot(poly[:, 0], poly[:, 1], "k-", lw=1)
    ax_ink.set_title(
        f"written: {line.text!r}" + (f"  (FAILED: {line.failure})" if line.failure else "")
    )
    labels = list(line.text) + ["END"]
    ax_phi.imshow(
        line.phi.T, aspect="auto", origin="lower", cmap="Greys", interpolation="nearest"
    )
    ax_phi.set_yticks(range(len(labels)))
    ax_phi.set_yticklabels([c if c != " " else "␣" for c in labels], fontsize=7)
    ax_phi.set_xlabel("pen point (time step)")
    ax_phi.set_title("attention window φ(t, u): one diagonal = every character written once")
    prev = np.vstack([[0.0, 0.0], points[:-1]])
    for t in range(len(points)):
        for m in np.argsort(mixture["pi"][t])[-3:]:
            w = float(mixture["pi"][t, m])
            if w < 0.05:
                continue
            c = prev[t] + mixture["mu"][t, m]
            s = mixture["sigma"][t, m]
            ax_mix.add_patch(
                Ellipse(tuple(c), 4 * s[0], 4 * s[1], alpha=0.25 * w, color="tab:red", lw=0)
            )
    for poly in offsets_to_polylines(line.offsets):
        ax_mix.plot(poly[:, 0], poly[:, 1], "k-", lw=0.4)
    ax_mix.set_title("mixture density of the next pen point (2σ ellipses, shaded by π)")
    for ax in (ax_ink, ax_mix):
        ax.set_aspect("equal")
        ax.invert_yaxis()
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110, facecolor="white")
    plt.close(fig)
