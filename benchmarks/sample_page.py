"""The README's sample page: a letter written with the default settings, drawn on its page.

Runs ``vpype -s SEED handwrite --wrap WRAP --file letter.txt layout a4 write`` and renders the
SVG with the page's outline as a PNG (docs/sample.png).

    python benchmarks/sample_page.py [--out docs/sample.png] [--seed 3] [--wrap 17cm]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_page(
    seed: int,
    wrap: str,
    letter: Path,
    svg: Path,
    weights: Path | None = None,
    style: str | None = None,
) -> None:
    """``vpype -s SEED handwrite --wrap WRAP --file LETTER layout a4 write SVG``."""
    opts = ["-s", str(seed), "handwrite", "--wrap", wrap, "--file", str(letter)]
    if weights is not None:
        opts += ["--weights", str(weights)]
    if style is not None:
        opts += ["--style", style]
    opts += ["layout", "a4", "write", str(svg)]
    code = f"from vpype_cli.cli import cli; cli({opts!r})"
    subprocess.run([sys.executable, "-c", code], check=True)


def draw_page(svg: Path, png: Path, width: int) -> tuple[float, ...]:
    """Render ``svg`` with its page's outline to ``png``; returns the page size and the ink's
    bounds (px: w, h, x0, y0, x1, y1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import vpype as vp

    doc = vp.read_multilayer_svg(str(svg), 0.1)
    w, h = doc.page_size
    fig = plt.figure(figsize=(width / 100, width / 100 * h / w), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.plot([0, w, w, 0, 0], [0, 0, h, h, 0], "k-", lw=1.5)
    for layer in doc.layers.values():
        for line in layer:
            ax.plot(line.real, line.imag, "k-", lw=0.9, solid_capstyle="round")
    ax.set_xlim(-0.01 * w, 1.01 * w)
    ax.set_ylim(1.01 * h, -0.01 * h)
    ax.set_aspect("equal")
    ax.axis("off")
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, facecolor="white")
    plt.close(fig)
    return (w, h, *doc.bounds())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/sample.png"))
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--wrap", default="17cm")
    parser.add_argument("--letter", type=Path, default=HERE / "letter.txt")
    parser.add_argument("--width", type=int, default=1100, help="pixels")
    parser.add_argument("--style", default=None, help="default: the command's")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "page.svg"
        write_page(args.seed, args.wrap, args.letter, svg, style=args.style)
        w, h, x0, y0, x1, y1 = draw_page(svg, args.out, args.width)
    print(
        f"wrote {args.out}: ink {x0 / 37.8:.1f}-{x1 / 37.8:.1f} cm across, "
        f"{y0 / 37.8:.1f}-{y1 / 37.8:.1f} cm down a {w / 37.8:.1f} x {h / 37.8:.1f} cm page"
    )


if __name__ == "__main__":
    main()
